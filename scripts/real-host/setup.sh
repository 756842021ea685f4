#!/usr/bin/env bash
# Prepares this machine as a real libvirt/QEMU host for the portal: packages, libvirtd started by hand, the tiny
# busybox guest, two directory pools (portal-data, portal-export) and fresh guests (reset-guests.sh). ovmf is the
# UEFI firmware RealQemuUefiTests boots; a private sshd on 127.0.0.1:2222 serves the qemu+ssh tests.
# Usage: setup.sh [ROOT]   (ROOT defaults to /var/lib/portal-real; the daemon's run files go to ROOT/run)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ROOT=${1:-/var/lib/portal-real}
source "$here/../common.sh"
need_apt libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system qemu-system-x86 qemu-utils libvirt-clients cpio parted ovmf
mkdir -p "$ROOT"/{data,export,console,guest,run}
# QEMU runs as libvirt-qemu: it may traverse ROOT (711) but list nothing; dumps inside are 0600.
chmod 711 "$ROOT"
bash "$here/build-guest.sh" "$ROOT/guest"
bash "$here/start-libvirtd.sh" "$ROOT/run"
# The same libvirtd reached as a remote host (qemu+ssh://root@127.0.0.1:2222/system), for RealQemuSshTests.
bash "$here/start-sshd.sh" "$ROOT" "$ROOT/run" || echo ">> sshd could not start: RealQemuSshTests will fail, the other real-host tests run" >&2
V="virsh -q -c qemu:///system"
for pool in portal-data:data portal-export:export; do
  name=${pool%%:*}; dir=$ROOT/${pool##*:}
  if ! $V pool-info "$name" >/dev/null 2>&1; then
    $V pool-define-as "$name" dir --target "$dir" >/dev/null
  fi
  $V pool-start "$name" >/dev/null 2>&1 || true
done
# A small data domain on its own 400 MiB filesystem: it has room for the 128 MiB guest's memory estimate (329 MiB),
# so the portal accepts it, and a test can fill it during the dump (out of space half-way).
mkdir -p "$ROOT/small"
mountpoint -q "$ROOT/small" || mount -t tmpfs -o size=400M,mode=0711 portal-small "$ROOT/small" \
  || echo ">> no tmpfs here: portal-small is a plain directory on the root filesystem"
if ! $V pool-info portal-small >/dev/null 2>&1; then $V pool-define-as portal-small dir --target "$ROOT/small" >/dev/null; fi
$V pool-start portal-small >/dev/null 2>&1 || true
bash "$here/reset-guests.sh" "$ROOT"
echo ">> real host ready: qemu:///system (and qemu+ssh on 127.0.0.1:2222), pools portal-data, portal-small (400 MiB) and portal-export, guests tiny and tiny-stateless"
