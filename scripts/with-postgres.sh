#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster, then stop and delete it.
#
#   scripts/with-postgres.sh .venv/bin/pytest
#
# The cluster is created with initdb under tmp/ (nothing touches /var/lib/postgresql or the
# system cluster), listens on 127.0.0.1 only (no Unix socket), runs with fsync off, and
# lives only as long as the command. The command gets
#   DATABASE_URL=postgres://harborreg:<random>@127.0.0.1:<port>/harborreg
# where the role has CREATEDB (pytest-django creates and drops test_harborreg).
# The exit status is the command's.
#
# PG_PORT: port to use (default: the first free one from 5433 up).
# PG_BINDIR: PostgreSQL's bin directory (default: the newest /usr/lib/postgresql/*/bin).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

if [ $# -eq 0 ]; then
    echo "usage: scripts/with-postgres.sh COMMAND [ARG...]" >&2
    exit 2
fi

PG_BINDIR=${PG_BINDIR:-$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)}
if [ ! -x "$PG_BINDIR/initdb" ]; then
    echo "error: PostgreSQL server binaries not found (apt-get install postgresql-15, or set PG_BINDIR)" >&2
    exit 1
fi

# initdb and postgres refuse to run as root: as root, run them as the postgres user.
if [ "$(id -u)" = 0 ]; then
    PG_USER=postgres
    as_pg() { runuser -u "$PG_USER" -- "$@"; }
else
    PG_USER=$(id -un)
    as_pg() { "$@"; }
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

t0=${EPOCHREALTIME/[.,]/}
mkdir -p "$REPO/tmp"
PGROOT=$(mktemp -d "$REPO/tmp/postgres.XXXXXX")
chown "$PG_USER:" "$PGROOT"
if ! as_pg test -w "$PGROOT"; then
    # The clone lives where $PG_USER cannot reach (e.g. under /root): use /tmp instead.
    rmdir "$PGROOT"
    PGROOT=$(mktemp -d /tmp/harborreg-postgres.XXXXXX)
    chown "$PG_USER:" "$PGROOT"
fi
DATADIR=$PGROOT/data
PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

STARTED=0
cleanup() {
    if [ "$STARTED" = 1 ]; then
        as_pg "$PG_BINDIR/pg_ctl" -D "$DATADIR" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$PGROOT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

printf '%s\n' "$PASSWORD" >"$PGROOT/pwfile"
chown "$PG_USER:" "$PGROOT/pwfile"
chmod 600 "$PGROOT/pwfile"
as_pg "$PG_BINDIR/initdb" -D "$DATADIR" -U postgres --pwfile="$PGROOT/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log" >&2; exit 1; }
rm -f "$PGROOT/pwfile"

# Take the requested port, or the first free one from 5433 (parallel runs get their own).
port=${PG_PORT:-5433}
last=${PG_PORT:-5453}
while :; do
    STARTED=1  # from here on, cleanup stops whatever may have started
    if ! port_in_use "$port" &&
        as_pg "$PG_BINDIR/pg_ctl" -D "$DATADIR" -l "$PGROOT/postgres.log" -w -t 30 start \
            -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            >>"$PGROOT/pg_ctl.log" 2>&1; then
        break
    fi
    if [ "$port" -ge "$last" ]; then
        echo "error: could not start PostgreSQL on 127.0.0.1:$port (see below; set PG_PORT to choose a port)" >&2
        tail -5 "$PGROOT/pg_ctl.log" "$PGROOT/postgres.log" >&2 2>/dev/null || true
        exit 1
    fi
    port=$((port + 1))
done

# Statements on stdin (not in argv), each in its own transaction as CREATE DATABASE needs.
PGPASSWORD=$PASSWORD "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$port" -U postgres -d postgres <<SQL
CREATE ROLE harborreg LOGIN CREATEDB PASSWORD '$PASSWORD';
CREATE DATABASE harborreg OWNER harborreg;
SQL

version=$("$PG_BINDIR/postgres" -V | awk '{print $3}')
elapsed_ms=$(( (${EPOCHREALTIME/[.,]/} - t0) / 1000 ))
printf '==> PostgreSQL %s on 127.0.0.1:%s ready in %d.%03d s (data in %s)\n' \
    "$version" "$port" $((elapsed_ms / 1000)) $((elapsed_ms % 1000)) "$DATADIR"

export DATABASE_URL="postgres://harborreg:$PASSWORD@127.0.0.1:$port/harborreg"
status=0
"$@" || status=$?
exit "$status"
