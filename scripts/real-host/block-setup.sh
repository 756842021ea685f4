#!/usr/bin/env bash
# Gives the real-host suite a block device for a Block storage domain: a sparse file on a loop device attached with
# partition scanning (losetup -fP), so a libvirt `disk` pool can partition it and the kernel shows /dev/loopNpK.
# This kernel has no device-mapper, so an LVM (`logical`) pool cannot activate volumes here; a GPT device can.
#
# libvirt 9.0 removes a disk pool's partition with `parted DEVICE rm NUMBER`, taking NUMBER from the volume name
# after the device name: for loop0p1 on /dev/loop0 that is "p1", which parted refuses. The pool is therefore given the
# device as /dev/loopNp, a symlink to /dev/loopN: libvirt then names partitions loopNp1… (the kernel's own nodes) and
# removes them as number 1…. Real hosts use disks such as /dev/sdb, which need nothing of the kind.
#
# Prints the device path the pool must use; also writes it to ROOT/run/block-device. block-teardown.sh undoes it all.
# Usage: block-setup.sh [ROOT] [SIZE]   (ROOT defaults to /var/lib/portal-real, SIZE to 1G)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${1:-/var/lib/portal-real}
SIZE=${2:-1G}
command -v parted >/dev/null || { echo "parted is needed by libvirt's disk pools (apt-get install parted)" >&2; exit 1; }
bash "$here/block-teardown.sh" "$ROOT" >/dev/null
mkdir -p "$ROOT/block" "$ROOT/run"
truncate -s "$SIZE" "$ROOT/block/disk.img"
loop=$(losetup -fP --show "$ROOT/block/disk.img")
echo "$loop" > "$ROOT/run/block-loop"
ln -sfn "$(basename "$loop")" "${loop}p"
echo "${loop}p" > "$ROOT/run/block-device"
echo "${loop}p"
