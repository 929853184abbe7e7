#!/usr/bin/env bash
# The single test entry point (CI runs exactly this): system packages, formatting, clippy, a
# full workspace build (cdylib plugins included), then the whole test suite as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"

# Test set-up, not sifter: crun 1.8 refuses a hybrid cgroup host while a controller still sits in
# the cgroup2 mount (oci-reference.md §5.1). Moving hugetlb to its own v1 hierarchy lets both
# runtimes be tested. sifter itself never changes the host's cgroup layout.
if [ "$(id -u)" -eq 0 ] && [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    if ! mountpoint -q "/sys/fs/cgroup/$c"; then
      mkdir -p "/sys/fs/cgroup/$c" 2>/dev/null || true
      mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c" || echo "test.sh: could not mount the $c cgroup hierarchy" >&2
    fi
  done
fi

echo "== python syntax of scripts/*.py (the benchmark harness, which no test runs)"
python3 -c 'import ast, sys; [ast.parse(open(f).read(), f) for f in sys.argv[1:]]' scripts/*.py
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo build --workspace"
cargo build --workspace
log=$(mktemp /tmp/sifter-test.XXXXXX)
trap 'rm -f "$log"' EXIT
echo "== cargo test (unit tests and doc tests of every crate)"
cargo test --workspace --exclude sifter-tests -- --test-threads="${SIFTER_TEST_THREADS:-2}" 2>&1 | tee "$log"
echo "== cargo test (acceptance: CLI, SIF, build, import, mount, lifecycle, hooks; as root)"
cargo test -p sifter-tests --test acceptance -- --test-threads="${SIFTER_TEST_THREADS:-2}" 2>&1 | tee -a "$log"
# One closing line over every test binary.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
