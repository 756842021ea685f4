#!/usr/bin/env bash
# Undoes block-setup.sh: stops and undefines every libvirt pool on its device, detaches the loop device it attached
# (only that one), removes the symlink and the backing file. Safe to run when nothing is set up.
# Usage: block-teardown.sh [ROOT]
set -uo pipefail
ROOT=${1:-/var/lib/portal-real}
V="virsh -q -c qemu:///system"
[ -f "$ROOT/run/block-loop" ] || { rm -f "$ROOT/block/disk.img" "$ROOT/run/block-device"; exit 0; }
loop=$(cat "$ROOT/run/block-loop")
device=$(cat "$ROOT/run/block-device" 2>/dev/null || echo "${loop}p")
if $V version >/dev/null 2>&1; then
  for pool in $($V pool-list --all --name); do
    if $V pool-dumpxml "$pool" 2>/dev/null | grep -qE "<device path='($device|$loop)'"; then
      $V pool-destroy "$pool" >/dev/null 2>&1
      $V pool-undefine "$pool" >/dev/null 2>&1
      echo ">> removed libvirt pool $pool on $device"
    fi
  done
fi
# Only the loop device this script's setup attached, and only while it still points at our file.
if losetup "$loop" 2>/dev/null | grep -q "$ROOT/block/disk.img"; then losetup -d "$loop"; fi
[ -L "$device" ] && rm -f "$device"
rm -f "$ROOT/block/disk.img" "$ROOT/run/block-loop" "$ROOT/run/block-device"
echo ">> block device released"
