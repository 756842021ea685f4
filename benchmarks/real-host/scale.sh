#!/usr/bin/env bash
# The portal on qemu:///system with N more domains defined (default 5,000; inactive, each a 128 MiB VM whose disk file
# does not exist: libvirtd keeps their definitions only), set up by scripts/real-host/setup.sh:
#   - first start on a fresh data folder (every domain new to the portal): process start -> live / ready
#   - restarts on that folder (the VMs known): live / ready, RESTARTS times (default 3)
#   - the portal's CPU per inventory change (a domain defined, then removed, by virsh), after WARM cycles (default 20)
#   - a burst of 100 defines, then of 100 removals, in one virsh session: the portal's CPU over the 8 s after each
# The domains (scale-NNNNN, burst-NN) are removed again at the end, whatever happens. Runs the Release build
# (dotnet build -c Release Portal), or the folder PORTAL_APP names (from scripts/publish.sh: ReadyToRun).
# Usage: [N=5000] [PORTAL_APP=DIR] bash benchmarks/real-host/scale.sh
set -euo pipefail
ROOT=/var/lib/portal-real
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/scripts/common.sh"
need_apt sqlite3
bash "$repo/scripts/real-host/setup.sh" "$ROOT" >/dev/null
app=${PORTAL_APP:-$repo/Portal/bin/Release/net10.0}
N=${N:-5000}; RESTARTS=${RESTARTS:-3}; WARM=${WARM:-20}
V="virsh -q -c qemu:///system"
work=$(mktemp -d); port=5098; pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  { for i in $(seq -f "%05g" 0 $((N - 1))); do echo "undefine scale-$i"; done
    for i in $(seq -w 0 99); do echo "undefine burst-$i"; done; echo "undefine scale-extra"; } | $V >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
domain() { # name uuid
  cat <<XML
<domain type='qemu'><name>$1</name><uuid>$2</uuid><memory unit='KiB'>131072</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$ROOT/data/$1.qcow2'/><target dev='vda' bus='virtio'/></disk>
<serial type='pty'><target port='0'/></serial><console type='pty'/><graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'/></devices></domain>
XML
}
mkdir -p "$work/xml"
for i in $(seq 0 $((N - 1))); do domain "$(printf 'scale-%05d' "$i")" "$(printf '5ca1e000-0000-4000-8000-%012d' "$i")" > "$work/xml/$i.xml"; done
for i in $(seq -w 0 99); do domain "burst-$i" "5ca1e000-0000-4000-9000-0000000000$i" > "$work/xml/burst-$i.xml"; done
domain scale-extra 5ca1e000-0000-4000-a000-000000000001 > "$work/xml/extra.xml"
t0=$(date +%s%N); for i in $(seq 0 $((N - 1))); do echo "define $work/xml/$i.xml"; done | $V >/dev/null
echo "defined $N domains in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($($V list --all --name | grep -c .) on the host)"

start() { # data folder -> prints "live X ms, ready Y ms"; leaves $pid running (not in a subshell)
  local t0 live="" code
  t0=$(date +%s%N)
  env Portal__DataDirectory="$1" Portal__AdminPassword=Bench-admin-pass1 Libvirt__Uri=qemu:///system \
    Libvirt__DataPools__0=portal-data Libvirt__ExportPools__0=portal-export \
    dotnet "$app/Portal.dll" --contentRoot "$app" --urls "http://127.0.0.1:$port" >> "$1.log" 2>&1 &
  pid=$!
  while true; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz/ready" || true)
    [ -z "$live" ] && [ "$code" != 000 ] && live=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ "$code" = 200 ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the portal exited; its log:"; tail -20 "$1.log"; exit 1; }
    sleep 0.02
  done
  echo "live $live ms, ready $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # clock ticks (10 ms)

data="$work/data"; mkdir -p "$data"
echo -n "first start (every domain new): "; start "$data"; stop
for r in $(seq "$RESTARTS"); do echo -n "restart $r: "; start "$data"; stop; done

echo -n "started again: "; start "$data"
for _ in $(seq "$WARM"); do $V define "$work/xml/extra.xml" >/dev/null; sleep 0.7; $V undefine scale-extra >/dev/null; sleep 0.7; done
sleep 2; d=(); u=()
for _ in $(seq 8); do
  a=$(cpu); $V define "$work/xml/extra.xml" >/dev/null; sleep 1.5
  b=$(cpu); $V undefine scale-extra >/dev/null; sleep 1.5
  c=$(cpu); d+=($(( (b - a) * 10 ))); u+=($(( (c - b) * 10 )))
done
a=$(cpu); sleep 3; b=$(cpu)
echo "portal CPU per inventory change (each over 1.5 s): define ${d[*]} ms; undefine ${u[*]} ms; idle 3 s $(( (b - a) * 10 )) ms"
for r in 1 2; do
  a=$(cpu); for i in $(seq -w 0 99); do echo "define $work/xml/burst-$i.xml"; done | $V >/dev/null; sleep 8; b=$(cpu)
  known=$(sqlite3 "$data/portal.db" "select count(*) from Vms where Name like 'burst-%' and IsMissingOnHost = 0")
  for i in $(seq -w 0 99); do echo "undefine burst-$i"; done | $V >/dev/null; sleep 8; c=$(cpu)
  echo "burst $r: 100 defines, portal CPU over 8 s $(( (b - a) * 10 )) ms ($known of 100 in the inventory); 100 removals $(( (c - b) * 10 )) ms"
done
stop
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
