#!/usr/bin/env bash
# Installs the system packages sifter's build, tests and demo need, on Debian 12 as root.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=(
  runc crun conmon                 # OCI runtimes and the container monitor
  squashfs-tools squashfuse fuse3  # mksquashfs/unsquashfs, the --fuse mount path
  busybox-static                   # the demo and test root filesystems
  umoci skopeo zstd                # OCI image layouts and zstd layers for the import tests
  jq util-linux procps             # test helpers: losetup, findmnt, ps
  python3-jsonschema               # test helper: runtime-spec schema validation
  pkg-config gcc make              # C parts of crates (vendored Lua)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cargo >/dev/null 2>&1 || { echo "install-deps: cargo not found (install a Rust toolchain)" >&2; exit 1; }
exit 0
