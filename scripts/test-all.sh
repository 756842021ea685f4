#!/usr/bin/env bash
# Runs every test project (core, bUnit, API, Playwright on the embedded libvirt) and prints one line
# "N passed, N failed, N skipped" summed over every run. Exits non-zero when a test failed or none ran.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
set +e
need_apt libvirt0 libvirt-clients chromium parted || exit 1
need_npm || exit 1
# The production database: Portal.Tests runs a second time on PostgreSQL (scripts/postgres.sh, a private socket).
need_apt postgresql || exit 1
# Real oVirt clients driven by Portal.Tests/Clients: the Python SDK (built from its vendored source) and libgovirt.
need_apt python3-pycurl libxml2-dev python3-dev gcc gir1.2-govirt-1.0 python3-gi || exit 1
need_dotnet

log=$(mktemp)
failures=$(mktemp)
passed=0; failed=0; skipped=0; runs_failed=0

# Each run has a budget, so that a hung test cannot take the whole CI run past its limit: a run that exceeds it is
# stopped and counted as failed ("timed out"), and the summary line is still printed.
run() { # minutes, command...
  local minutes=$1; shift
  timeout --kill-after=60 "${minutes}m" "$@"
  local rc=$?
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "!! timed out after ${minutes} min: $*" | tee -a "$failures"; fi
  return $rc
}

count() { # sums the MTP summary of one run's output; $2 names the run in the list of failed tests
  local out=$1 run=$2
  local t f s k
  f=$(grep -E '^\s+failed: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
  s=$(grep -E '^\s+succeeded: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
  k=$(grep -E '^\s+skipped: [0-9]+' "$out" | tail -1 | grep -oE '[0-9]+' || echo 0)
  # Each failed test with the first lines of its message and stack, so that the summary at the end (all that a
  # long CI log keeps in view) says why it failed, not only which.
  awk -v run="$run" '
    /^[[:space:]]*failed [A-Za-z_]/ { sub(/^[[:space:]]*/, ""); print "[" run "] " $0; n = 14; next }
    n > 0 && /^[[:space:]]*(passed|skipped|failed) [A-Za-z_]|^Test run summary/ { n = 0 }
    n > 0 { print "    " $0; n-- }' "$out" >> "$failures"
  passed=$((passed + ${s:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
}

dotnet build Portal.sln -nologo -v q 2>&1 | tail -3
echo ">> dotnet test --solution Portal.sln (embedded libvirt test driver; the kill-9 drill included)"
drill=Portal.E2E/bin/Debug/net10.0/TestResults/kill-drill.txt
rm -f "$drill"
run 35 dotnet test --solution Portal.sln --no-build -- --filter-not-trait "Category=RealHost" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count "$log" embedded
[ "$rc" -ne 0 ] && runs_failed=1
[ -f "$drill" ] && echo "Kill drill: $(head -1 "$drill")"

# The core suite again on PostgreSQL: every test's portal gets its own database on a server started here.
if [ "${SKIP_POSTGRES:-0}" != "1" ]; then
  echo ">> dotnet test --project Portal.Tests on PostgreSQL (scripts/postgres.sh)"
  pgdir=/tmp/portal-pg-ci
  if pgcs=$(bash scripts/postgres.sh start "$pgdir" | tail -1); then
    PORTAL_TEST_POSTGRES="$pgcs" run 15 dotnet test --project Portal.Tests --no-build -- --filter-not-trait "Category=RealHost" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    count "$log" postgresql
    [ "$rc" -ne 0 ] && runs_failed=1
    bash scripts/postgres.sh stop "$pgdir"
  else
    echo "PostgreSQL could not be started (scripts/postgres.sh)." >&2
    runs_failed=1; failed=$((failed + 1))
  fi
fi

# The real hypervisor: libvirtd and QEMU started by hand, a busybox guest whose memory must come back.
if [ "${SKIP_REAL_HOST:-0}" != "1" ]; then
  echo ">> real host: scripts/real-host/setup.sh"
  if bash scripts/real-host/setup.sh /var/lib/portal-real; then
    echo ">> dotnet test --project Portal.E2E (Category=RealHost, qemu:///system)"
    run 25 dotnet test --project Portal.E2E --no-build -- --filter-trait "Category=RealHost" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    count "$log" real-host
    [ "$rc" -ne 0 ] && runs_failed=1
  else
    echo "The real host could not be set up." >&2
    runs_failed=1; failed=$((failed + 1))
  fi
  bash scripts/real-host/stop-libvirtd.sh /var/lib/portal-real/run
fi

echo
if [ -s "$failures" ]; then echo "Failed tests:"; sed 's/^/  /' "$failures"; fi
rm -f "$failures"
echo "$passed passed, $failed failed, $skipped skipped"
rm -f "$log"
if [ "$failed" -gt 0 ] || [ "$runs_failed" -ne 0 ]; then exit 1; fi
if [ "$passed" -eq 0 ]; then echo "No test ran." >&2; exit 1; fi
exit 0
