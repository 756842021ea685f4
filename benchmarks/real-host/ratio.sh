#!/usr/bin/env bash
# Issue #4's ratios on the 128 MiB busybox guest 'tiny' (qemu:///system, set up by scripts/real-host/setup.sh):
#   create-snapshot-with-memory through the portal (REST, 201 = finished) / virsh snapshot-create-as --memspec --diskspec
#   run-from-memory through the portal (REST start after preview)        / virsh restore --xml --paused + resume
# plus the time the portal shows the VM SavingState. ROUNDS (default 3) rounds each, after one warm-up of each side is
# part of the rounds (the median drops it): the first define or restore after libvirtd starts probes QEMU's capabilities.
# The two sides take turns round by round, the portal running throughout (it sees virsh's changes as it would any
# other client's); each round's two snapshots are also compared as a pair.
# SNAPSHOT_ONLY=1 measures the snapshot ratio only (the restores take a minute or more each on this machine).
set -euo pipefail
ROOT=/var/lib/portal-real
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/real-host/setup.sh" "$ROOT" >/dev/null
V="virsh -q -c qemu:///system"
VM=7e1a0000-0000-4000-8000-000000000001
data=$(mktemp -d); port=5099; pass='Bench-pass-1'
B=http://127.0.0.1:$port/ovirt-engine/api
now() { date +%s.%N; }
ms() { echo "($2 - $1) * 1000" | bc -l | xargs printf '%.0f'; }

# The hosting log's "Request finished" line gives the server's time per request (curl's minus it is the client's).
env Portal__DataDirectory="$data" Portal__AdminPassword="$pass" Libvirt__Uri=qemu:///system \
Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics=Information \
Libvirt__DataPools__0=portal-data Libvirt__ExportPools__0=portal-export \
  dotnet "$repo/Portal/bin/Release/net10.0/Portal.dll" --contentRoot "$repo/Portal/bin/Release/net10.0" \
  --urls "http://127.0.0.1:$port" > "$data/portal.log" 2>&1 &
portal=$!
trap 'kill $portal 2>/dev/null || true; wait $portal 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz/ready" >/dev/null && break; sleep 0.5; done
# Sign in once, as the oVirt SDKs do (SSO token): Basic would verify the password (PBKDF2, ~80 ms here) on every call.
token=$(curl -sf -d "grant_type=password&scope=ovirt-app-api&username=admin@internal&password=$pass" \
  "http://127.0.0.1:$port/ovirt-engine/sso/oauth/token" | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
A=(-H "Authorization: Bearer $token" -H 'Content-Type: application/xml')

boot() { : > "$ROOT/console/tiny.log"; curl -sf "${A[@]}" -d '<action/>' "$B/vms/$VM/start" >/dev/null; until grep -aq "COUNTER 3 " "$ROOT/console/tiny.log" 2>/dev/null; do sleep 0.5; done; }
stop() { curl -sf "${A[@]}" -d '<action/>' "$B/vms/$VM/stop" >/dev/null; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ROUNDS=${ROUNDS:-3}
# QEMU of the previous round has let go of the disk
qemu_gone() { for _ in $(seq 100); do pgrep -f "guest=tiny," >/dev/null || break; sleep 0.1; done; }

# --- portal: snapshot with memory, end to end (Expect: 201-created waits for the end) ---
ps=(); pr=()
portal_round() {
  local round=$1 sid t0 t1
  boot
  sync # both sides start each round with no dirty pages of earlier rounds waiting to be written
  t0=$(now); sid=$(curl -sf "${A[@]}" -H 'Expect: 201-created' -d "<snapshot><description>bench $round</description><persist_memorystate>true</persist_memorystate></snapshot>" "$B/vms/$VM/snapshots" | grep -oP '<snapshot [^>]*id="\K[^"]+' | head -1); t1=$(now)
  ps+=("$(ms "$t0" "$t1")")
  stop
  if [ "${SNAPSHOT_ONLY:-0}" != 1 ]; then
    curl -sf "${A[@]}" -d "<action><snapshot id=\"$sid\"/><restore_memory>true</restore_memory></action>" "$B/vms/$VM/previewsnapshot" >/dev/null
    t0=$(now); curl -sf "${A[@]}" -d '<action/>' "$B/vms/$VM/start" >/dev/null; t1=$(now)
    pr+=("$(ms "$t0" "$t1")")
    stop
    curl -sf "${A[@]}" -d '<action/>' "$B/vms/$VM/undosnapshot" >/dev/null || true
  else
    pr+=(0)
  fi
  curl -sf "${A[@]}" -X DELETE "$B/vms/$VM/snapshots/$sid" >/dev/null || true
  qemu_gone
}

# --- virsh on the same guest (the portal keeps running and sees it, as it would see any other client) ---
vs=(); vr=(); vcall=()
virsh_round() {
  local round=$1 out t0 t1 disk
  # the top of the guest's chain: the portal's removal of its snapshot leaves the VM on that snapshot's overlay
  disk=$($V domblklist tiny | awk '$1=="vda"{print $2}')
  $V start tiny >/dev/null; : > "$ROOT/console/tiny.log"; until grep -aq "COUNTER 3 " "$ROOT/console/tiny.log"; do sleep 0.5; done
  sync
  # --timing: virsh's own figure for the command (the lookup and the libvirt call, without its start and connection)
  t0=$(now); out=$($V --timing snapshot-create-as tiny "virsh-bench-$round" --memspec "file=$ROOT/data/virsh-bench-$round.mem,snapshot=external" --diskspec "vda,snapshot=external,file=$ROOT/data/tiny.virsh-bench-$round.qcow2"); t1=$(now)
  vs+=("$(ms "$t0" "$t1")"); vcall+=("$(grep -oP 'Time: \K[0-9.]+' <<< "$out" | head -1 | xargs printf '%.0f')")
  $V destroy tiny >/dev/null
  if [ "${SNAPSHOT_ONLY:-0}" != 1 ]; then
  qemu-img create -q -f qcow2 -b "$disk" -F qcow2 "$ROOT/data/tiny.virsh-restore-$round.qcow2"
  $V save-image-dumpxml "$ROOT/data/virsh-bench-$round.mem" | sed "s#file='$disk'#file='$ROOT/data/tiny.virsh-restore-$round.qcow2'#" > "$ROOT/run/restore.xml"
  t0=$(now); $V restore "$ROOT/data/virsh-bench-$round.mem" --xml "$ROOT/run/restore.xml" --paused >/dev/null; $V resume tiny >/dev/null; t1=$(now)
  vr+=("$(ms "$t0" "$t1")")
  $V destroy tiny >/dev/null
  else vr+=(1); fi
  $V snapshot-delete tiny "virsh-bench-$round" --metadata >/dev/null 2>&1 || true
  # the next round snapshots the same base disk again
  $V dumpxml --inactive tiny | sed "s#file='$ROOT/data/tiny.virsh-bench-$round.qcow2'#file='$disk'#" | python3 -c '
import sys, xml.etree.ElementTree as E
d = E.fromstring(sys.stdin.read())
for disk in d.iter("disk"):
    for b in disk.findall("backingStore"): disk.remove(b)
print(E.tostring(d, encoding="unicode"))' > "$ROOT/run/tiny-again.xml"
  $V define "$ROOT/run/tiny-again.xml" >/dev/null
  # as the portal's snapshot removal deletes its memory volume each round
  rm -f "$ROOT/data/virsh-bench-$round.mem" "$ROOT/data/tiny.virsh-bench-$round.qcow2" "$ROOT/data/tiny.virsh-restore-$round.qcow2"
  qemu_gone
}

# The two sides take turns, each first in every other round: a machine whose speed drifts during a run (page cache,
# another load) weighs on both alike. Each side's first round is its warm-up (the medians drop it).
for round in $(seq "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then portal_round "$round"; virsh_round "$round"; else virsh_round "$round"; portal_round "$round"; fi
done
portal_snap=$(printf '%s\n' "${ps[@]}" | median); portal_restore=$(printf '%s\n' "${pr[@]}" | median)
saving=$(python3 - "$data/portal.db" <<'PY'
import sqlite3, sys, datetime
c = sqlite3.connect(sys.argv[1]); rows = c.execute("select [To], At from VmStatusTransitions order by Id").fetchall()
t = lambda s: datetime.datetime.fromisoformat(s[:26])
start = next(t(a) for s, a in rows if s == 'SavingState'); end = next(t(a) for s, a in rows if s == 'Up' and t(a) > start)
print(round((end - start).total_seconds() * 1000))
PY
)
kill $portal; wait $portal 2>/dev/null || true
breakdown=$(grep -oE "checks [0-9.]+ ms, records and volumes [0-9.]+ ms, libvirt [0-9.]+ ms, completion [0-9.]+ ms" "$data/portal.log" | paste -sd';' || true)
command_ms=$(grep -oE "Create snapshot ended Ok for [^ ]+ in [0-9]+ ms" "$data/portal.log" | grep -oE "[0-9]+ ms" | paste -sd' ' || true)
server_ms=$(grep -E "Request finished HTTP/[0-9.]+ POST .*/vms/$VM/snapshots " "$data/portal.log" | grep -oE "[0-9.]+ms$" | paste -sd' ' || true)

virsh_snap=$(printf '%s\n' "${vs[@]}" | median); virsh_restore=$(printf '%s\n' "${vr[@]}" | median)
echo "rounds: portal snapshot ${ps[*]} ms, virsh snapshot ${vs[*]} ms$([ "${SNAPSHOT_ONLY:-0}" = 1 ] || echo "; portal restore ${pr[*]} ms, virsh restore ${vr[*]} ms")"

echo "create snapshot with memory: portal ${portal_snap} ms, virsh ${virsh_snap} ms, ratio $(echo "$portal_snap / $virsh_snap" | bc -l | xargs printf '%.2f')"
[ "${SNAPSHOT_ONLY:-0}" = 1 ] ||
  echo "run from memory:             portal ${portal_restore} ms, virsh ${virsh_restore} ms, ratio $(echo "$portal_restore / $virsh_restore" | bc -l | xargs printf '%.2f')"
echo "round by round (warm rounds): ratio median $(python3 -c 'import sys, statistics; p, v = sys.argv[1].split(), sys.argv[2].split(); print("%.2f" % statistics.median([int(a) / int(b) for a, b in zip(p[1:], v[1:])] or [int(p[0]) / int(v[0])]))' "${ps[*]}" "${vs[*]}")"
echo "portal's SavingState time:   ${saving} ms"
echo "portal's own breakdown:      ${breakdown:-not logged}"
echo "command total per round:     ${command_ms:-not logged}"
echo "virsh's own call per round:  ${vcall[*]} ms"
echo "server time per request:     ${server_ms:-not logged}"
echo "load average:                $(cut -d' ' -f1-3 /proc/loadavg)"
