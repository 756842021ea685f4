#!/usr/bin/env bash
# Starts (or stops) a private PostgreSQL from Debian's postgresql package, without systemd: its own data folder,
# listening only on a Unix socket in that folder, trust authentication for the local user "postgres".
#   scripts/postgres.sh start [DIR]   (default DIR: /tmp/portal-pg) prints the connection string on its last line
#   scripts/postgres.sh stop  [DIR]
# The portal then runs with  ConnectionStrings__Portal="Host=DIR;Username=postgres;Database=portal" Database__Provider=PostgreSQL
set -euo pipefail
cmd=${1:-start}
dir=${2:-/tmp/portal-pg}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL is not installed (apt-get install postgresql)." >&2; exit 1
fi
# PostgreSQL refuses to run as root: run it as the package's "postgres" user (or the caller when not root).
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "$cmd" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      # Tests create and drop a database each: fsync off is for throw-away data only (PG_FSYNC=on to keep it).
      as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $dir -c max_connections=300 -c fsync=${PG_FSYNC:-off} -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=128MB" >/dev/null
    fi
    as_pg "$bin/pg_isready" -h "$dir" -q
    echo "Host=$dir;Username=postgres"
    ;;
  stop)
    if [ -f "$dir/data/PG_VERSION" ]; then as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
