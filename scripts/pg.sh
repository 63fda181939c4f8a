#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests: installs Debian's postgresql if missing,
# runs a private cluster (trust auth, 127.0.0.1 only, fsync off) owned by the
# `postgres` OS user under a temp dir, and creates database `minqing_test`.
# Idempotent: when the cluster is already up it only drops the databases
# earlier test runs left behind and prints the URL.
#
#   eval "$(scripts/pg.sh)"   # exports MINQING_TEST_DATABASE_URL
#   source scripts/pg.sh      # the same
#
# Settings: MINQING_PG_PORT (default 55432), MINQING_PG_DIR (default
# ${TMPDIR:-/tmp}/minqing-pg-$MINQING_PG_PORT), MINQING_PG_DURABLE=1 for a
# cluster with PostgreSQL's default durability (fsync, synchronous_commit and
# full_page_writes on), as a deployment runs it — for benchmarks, e.g.
#   MINQING_PG_PORT=55433 MINQING_PG_DURABLE=1 scripts/pg.sh
# Progress goes to stderr; stdout carries only the export line.
(
set -euo pipefail
port="${MINQING_PG_PORT:-55432}"
dir="${MINQING_PG_DIR:-${TMPDIR:-/tmp}/minqing-pg-$port}"
log() { echo "pg.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then
  log "installing postgresql"
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
fi
bin="$(bindir)"
as_pg() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; }

if ! ready; then
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    log "initdb in $dir/data"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
CONF
    if [ "${MINQING_PG_DURABLE:-}" != 1 ]; then
      # Tests only: nothing here must survive a power cut.
      printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' \
        >>"$dir/data/postgresql.conf"
    fi
    # Trust, and only over loopback TCP or the private socket.
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$dir/data/pg_hba.conf"
  fi
  log "starting on 127.0.0.1:$port"
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2
fi
if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'minqing_test'" | grep -q 1; then
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "CREATE DATABASE minqing_test" >&2
fi
# Tests create a database each (scratch_…); drop those of earlier runs that
# nobody is connected to any more (one still in use just refuses).
for db in $("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc \
    "SELECT datname FROM pg_database WHERE datname LIKE 'scratch\_%'
       AND datname NOT IN (SELECT datname FROM pg_stat_activity WHERE datname IS NOT NULL)"); do
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -qc "DROP DATABASE IF EXISTS \"$db\"" \
    >/dev/null 2>&1 || true
done
echo "export MINQING_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$port/minqing_test"
) > "${TMPDIR:-/tmp}/minqing-pg-${MINQING_PG_PORT:-55432}.env" || { echo "pg.sh: failed" >&2; return 1 2>/dev/null || exit 1; }
cat "${TMPDIR:-/tmp}/minqing-pg-${MINQING_PG_PORT:-55432}.env"
. "${TMPDIR:-/tmp}/minqing-pg-${MINQING_PG_PORT:-55432}.env"
