#!/usr/bin/env bash
# Stops the libvirtd and virtlogd that start-libvirtd.sh started, by PID.
RUN=${1:?usage: stop-libvirtd.sh RUNDIR}
[ -f "$RUN/pids" ] || exit 0
for pid in $(tac "$RUN/pids"); do kill "$pid" 2>/dev/null; done
for pid in $(cat "$RUN/pids"); do for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done; done
rm -f "$RUN/pids"
