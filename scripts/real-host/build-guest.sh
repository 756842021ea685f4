#!/usr/bin/env bash
# Builds the tiny guest that proves memory restore: a Debian kernel and a busybox initramfs whose /init prints
# "GUEST-BOOTED boot_id=…" once, then "COUNTER i boot_id=… uptime=…" every second on the serial console (and on the
# screen), with a busybox shell on the serial console for the portal's interactive console to type into.
# Output: $OUT/vmlinuz and $OUT/initrd.gz. Only Debian packages are used (apt-get download, no network beyond apt).
# A guest built by an older version of this script (see $OUT/version) is built again.
set -euo pipefail
OUT=${1:?usage: build-guest.sh OUTDIR}
mkdir -p "$OUT"
VERSION=2-shell
[ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initrd.gz" ] && [ "$(cat "$OUT/version" 2>/dev/null)" = "$VERSION" ] && { echo ">> guest already built in $OUT"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
kernel_pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kernel_pkg" ] || { echo "cannot find the kernel package linux-image-amd64 depends on (run apt-get update)" >&2; exit 1; }
apt-get download -qq "$kernel_pkg" busybox-static >/dev/null
dpkg -x "$kernel_pkg"_*.deb kernel
dpkg -x busybox-static_*.deb busybox
cp kernel/boot/vmlinuz-* "$OUT/vmlinuz"

mkdir -p root/bin root/proc root/sys root/dev root/tmp
cp busybox/bin/busybox root/bin/busybox
cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
BOOT_ID=$(cat /proc/sys/kernel/random/boot_id)
echo "GUEST-BOOTED boot_id=$BOOT_ID"
echo "GUEST-BOOTED boot_id=$BOOT_ID" > /dev/tty1 2>/dev/null
# The counter runs in the background: the proof that memory came back (same boot_id, the count goes on).
(
  i=0
  while true; do
    line="COUNTER $i boot_id=$BOOT_ID uptime=$(cut -d' ' -f1 /proc/uptime)"
    echo "$line"
    echo "$line" > /dev/tty1 2>/dev/null
    i=$((i+1))
    sleep 1
  done
) &
# A shell on the serial console (ttyS0, the last console= of the command line), restarted when it exits.
export PS1='guest# ' HOME=/ PATH=/bin
while true; do
  setsid cttyhack sh || sh
done
INIT
chmod +x root/init
(cd root && find . | cpio -o -H newc --quiet | gzip -9) > "$OUT/initrd.gz"
echo "$VERSION" > "$OUT/version"
echo ">> guest built: $OUT/vmlinuz ($(stat -c %s "$OUT/vmlinuz") bytes), $OUT/initrd.gz ($(stat -c %s "$OUT/initrd.gz") bytes)"
