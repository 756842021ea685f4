#!/usr/bin/env bash
# Gives the real host fresh guests: every domain of ours destroyed and undefined, the pools emptied, then
# 'tiny' (128 MiB, a 64 MiB qcow2 disk) and 'tiny-stateless' (the same, marked stateless) defined again, down.
set -euo pipefail
ROOT=${1:-/var/lib/portal-real}
V="virsh -q -c qemu:///system"
for dom in $($V list --all --name); do
  $V destroy "$dom" >/dev/null 2>&1 || true
  $V undefine "$dom" --snapshots-metadata --nvram >/dev/null 2>&1 || $V undefine "$dom" >/dev/null 2>&1 || true
done
rm -f "$ROOT/small/filler"
for pool in portal-data portal-export portal-small; do
  $V pool-refresh "$pool" >/dev/null 2>&1 || continue
  for vol in $($V vol-list "$pool" | awk '{print $1}'); do $V vol-delete "$vol" --pool "$pool" >/dev/null 2>&1 || true; done
done
rm -rf "$ROOT/export/master" "$ROOT"/console/*.log
define() { # name uuid stateless
  local name=$1 uuid=$2 stateless=$3
  $V vol-create-as portal-data "$name.qcow2" 64M --format qcow2 >/dev/null
  cat > "$ROOT/run/$name.xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <uuid>$uuid</uuid>
  <metadata><portal:vm xmlns:portal="urn:ramsnap:portal"><stateless>$stateless</stateless></portal:vm></metadata>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>$ROOT/guest/vmlinuz</kernel><initrd>$ROOT/guest/initrd.gz</initrd><cmdline>console=tty0 console=ttyS0 panic=-1</cmdline></os>
  <on_reboot>destroy</on_reboot>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$ROOT/data/$name.qcow2'/><target dev='vda' bus='virtio'/></disk>
    <!-- A pty the portal's interactive console streams (virDomainOpenConsole), logged to a file the tests read. -->
    <serial type='pty'><log file='$ROOT/console/$name.log' append='on'/><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <!-- The screen for the graphical console: VNC on the loopback only, the portal proxies it. -->
    <graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>
    <video><model type='vga' vram='4096' heads='1'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
XML
  $V define "$ROOT/run/$name.xml" >/dev/null
}
define tiny 7e1a0000-0000-4000-8000-000000000001 false
define tiny-stateless 7e1a0000-0000-4000-8000-000000000002 true
