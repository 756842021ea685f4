#!/usr/bin/env bash
# Stops the libvirtd and virtlogd that start-libvirtd.sh started, and the sshd of start-sshd.sh, by PID.
RUN=${1:?usage: stop-libvirtd.sh RUNDIR}
# sshd's own PID file: a libvirtd started again (start-libvirtd.sh) writes the pids file anew without it.
if [ -f "$RUN/sshd.pid" ]; then kill "$(cat "$RUN/sshd.pid")" 2>/dev/null; rm -f "$RUN/sshd.pid"; fi
[ -f "$RUN/pids" ] || exit 0
for pid in $(tac "$RUN/pids"); do kill "$pid" 2>/dev/null; done
for pid in $(cat "$RUN/pids"); do for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done
rm -f "$RUN/pids"
