#!/usr/bin/env bash
# Starts a private sshd for libvirt's qemu+ssh transport to this machine: 127.0.0.1 port 2222, root by key only, its
# own host key, client key and config under ROOT/ssh (nothing of the system's sshd or ~/.ssh changes). Its PID is
# appended to RUN/pids, so stop-libvirtd.sh stops it with the daemons.
# The portal then reaches this host as qemu+ssh://root@127.0.0.1:2222/system?keyfile=ROOT/ssh/id_ed25519&no_verify=1
# Usage: start-sshd.sh ROOT RUNDIR
set -euo pipefail
ROOT=${1:?usage: start-sshd.sh ROOT RUNDIR}; RUN=${2:?usage: start-sshd.sh ROOT RUNDIR}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../common.sh"
need_apt openssh-server openssh-client netcat-openbsd
dir=$ROOT/ssh
mkdir -p "$dir" "$RUN" /run/sshd
chmod 700 "$dir"
[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" -C portal-real-host
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys" "$dir/id_ed25519" "$dir/host_ed25519"
cat > "$dir/sshd_config" <<CONF
Port 2222
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $RUN/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $dir/authorized_keys
UsePAM no
MaxStartups 50:30:100
MaxSessions 50
CONF
if [ -f "$RUN/sshd.pid" ] && kill -0 "$(cat "$RUN/sshd.pid")" 2>/dev/null; then echo ">> sshd already runs"; exit 0; fi
# Like the daemons in start-libvirtd.sh: it must not inherit the caller's open files (a flock's descriptor).
( for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null; done
  exec /usr/sbin/sshd -f "$dir/sshd_config" -E "$RUN/sshd.log" )
for _ in $(seq 1 50); do [ -s "$RUN/sshd.pid" ] && break; sleep 0.1; done
[ -s "$RUN/sshd.pid" ] || { echo "sshd did not start; see $RUN/sshd.log" >&2; exit 1; }
cat "$RUN/sshd.pid" >> "$RUN/pids"
uri="qemu+ssh://root@127.0.0.1:2222/system?keyfile=$dir/id_ed25519&no_verify=1"
virsh -q -c "$uri" version >/dev/null || { echo "libvirt over ssh did not answer ($uri); see $RUN/sshd.log" >&2; exit 1; }
echo ">> sshd up (pid $(cat "$RUN/sshd.pid")): $uri"
