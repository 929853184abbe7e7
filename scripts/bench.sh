#!/usr/bin/env bash
# Benchmarks (root): sifter against runc, crun, podman and squashfuse, side by side in one run.
#   scripts/bench.sh [--quick] [--json FILE] [--runs N] [--only run,lifecycle,hooks,mount,read,scale,import]
# Writes bench/report.md and bench/latency.svg. Installs hyperfine and podman if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"
missing=()
for p in hyperfine podman; do
  command -v "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Same host set-up as the tests: crun needs every cgroup2-held controller moved to v1 on
# hybrid hosts (oci-reference.md §5.1). sifter itself never does this.
if [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mountpoint -q "/sys/fs/cgroup/$c" || { mkdir -p "/sys/fs/cgroup/$c"; mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"; }
  done
fi

cargo build --release --workspace
exec /usr/bin/python3 scripts/bench.py "$@"
