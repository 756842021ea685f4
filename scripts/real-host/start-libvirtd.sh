#!/usr/bin/env bash
# Starts virtlogd and libvirtd by hand (no systemd here) and waits until qemu:///system answers.
# Writes their PIDs to $RUN/pids; stop-libvirtd.sh stops exactly those.
set -euo pipefail
RUN=${1:?usage: start-libvirtd.sh RUNDIR}
mkdir -p "$RUN"
if virsh -c qemu:///system version >/dev/null 2>&1; then echo ">> libvirtd already answers"; exit 0; fi
cat > "$RUN/libvirtd.conf" <<CONF
log_outputs="3:file:$RUN/libvirtd.log"
CONF
# The daemons outlive this script: they must not inherit its open files. A caller's lock (flock's descriptor) held by
# libvirtd for its whole life would keep every other user of the host waiting.
daemon() (
  for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
  exec "$@"
)
# A /dev/kvm that only root may open (no udev here to give it to group kvm, as Debian's rule does) makes libvirt
# throw away its QEMU capabilities on every define and start: probed as root, KVM is there; checked for the QEMU user,
# it is not, so the cache is stale each time and QEMU is probed again (50-90 s under TCG). Give it to group kvm,
# whose member the QEMU user is; the guests here are type='qemu' (TCG) either way.
if [ -c /dev/kvm ] && getent group kvm >/dev/null; then chgrp kvm /dev/kvm && chmod 660 /dev/kvm; fi
# After libvirtd alone was killed (a fault test does that), virtlogd still runs: keep it.
if ! { [ -f "$RUN/virtlogd.pid" ] && kill -0 "$(cat "$RUN/virtlogd.pid")" 2>/dev/null; }; then daemon virtlogd -d -p "$RUN/virtlogd.pid"; fi
daemon libvirtd -d -f "$RUN/libvirtd.conf" -p "$RUN/libvirtd.pid"
for _ in $(seq 1 100); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version >/dev/null || { echo "libvirtd did not answer; see $RUN/libvirtd.log" >&2; exit 1; }
printf "%s\n%s\n" "$(cat "$RUN/virtlogd.pid")" "$(cat "$RUN/libvirtd.pid")" > "$RUN/pids"
echo ">> libvirtd up (pids $(tr '\n' ' ' < "$RUN/pids"))"
