#!/usr/bin/env bash
# Quick start on a fresh Debian 12 machine (as root): install the system packages, build
# sifter, make a busybox SIF image from the host's busybox-static and show what is in it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
export PATH="$HOME/.cargo/bin:$PATH"

echo "== cargo build --release"
cargo build --release
sifter="${CARGO_TARGET_DIR:-target}/release/sifter"

demo=target/quickstart
image=$demo/busybox.sif
work=$(mktemp -d "${TMPDIR:-/var/tmp}/sifter-quickstart.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== a root filesystem from /bin/busybox"
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,root,tmp,proc,sys,dev}
chmod 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
echo 'root:x:0:' > "$rootfs/etc/group"
printf '#!/bin/sh\necho "hello from a sifter-built busybox image"\nexec /bin/sh "$@"\n' > "$work/runscript"

echo "== sifter build $image"
mkdir -p "$demo"
"$sifter" build --label org.sifter.demo=quickstart --env DEMO=1 --runscript "$work/runscript" \
  "$image" "$rootfs"

echo "== sifter sif list $image"
"$sifter" sif list "$image"
echo "== sifter sif header $image"
"$sifter" sif header "$image"
echo "quickstart: $image is ready"

# Mount the image as an OCI bundle, run it with `sifter oci run`, then unmount: nothing stays
# mounted afterwards.
bundle=$work/bundle
state=$work/state
cleanup() {
  if [ -e "$bundle/.sifter-mount.json" ]; then
    "$sifter" --root "$state" oci umount "$bundle" || { echo "quickstart: $bundle is still mounted" >&2; return; }
  fi
  rm -rf "$work"
}
trap cleanup EXIT
echo "== sifter oci mount $image $bundle"
"$sifter" --root "$state" oci mount "$image" "$bundle"
echo "== sifter oci run: the image's shell, with 'echo hello' and 'hostname' typed into its terminal"
# The generated config has a terminal, so `script` lends the container a pty; `oci run` exits
# with the shell's status.
printf 'echo hello\nhostname\nexit 0\n' |
  script -qec "$sifter --root $state oci run -b $bundle quickstart-$$" /dev/null
echo "== sifter oci umount $bundle"
"$sifter" --root "$state" oci umount "$bundle"
