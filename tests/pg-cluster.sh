#!/bin/bash
# tests/pg-cluster.sh start DIR | stop DIR: a private PostgreSQL cluster
# for tests.
#
# start: initdb into DIR/data (as the unprivileged user nobody, who owns
# DIR, when run as root: initdb refuses root), then postgres listening on
# a Unix socket in DIR only (listen_addresses=''), and a database
# "carnet" (UTF8, C collation: text orders as SQLite's). Prints the libpq
# conninfo, e.g. "host=DIR dbname=carnet user=carnet"; a cluster that
# was stopped (DIR/data exists) is started again as it was. The cluster's log
# is DIR/postgres.log. fsync is off: the tests kill clients, not the
# server, and must not be slowed by the disk. PG_FSYNC=on (for
# benchmarks: bench/run-host.sh) starts it with fsync on, so that each
# commit waits for the disk as in production.
# stop: stops it (fast, then immediate); stopping a cluster that is not
# running succeeds, so that a caller can trap it:
#       trap 'tests/pg-cluster.sh stop "$dir"' EXIT
set -euo pipefail

usage() {
        echo "usage: $0 start|stop DIR" >&2
        exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
dir=$2
case "${PG_FSYNC:-off}" in
on | off) fsync=${PG_FSYNC:-off} ;;
*)
        echo "pg-cluster: PG_FSYNC must be on or off" >&2
        exit 2
        ;;
esac
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$pgbin/initdb" ] || {
        echo "pg-cluster: no PostgreSQL server (postgresql package) under /usr/lib/postgresql" >&2
        exit 1
}

# Runs a command as the cluster's owner.
as_owner() {
        if [ "$(id -u)" = 0 ]; then
                setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
        else
                "$@"
        fi
}

start() {
        mkdir -p "$dir"
        dir=$(cd "$dir" && pwd)
        # the socket's path must fit in sun_path
        [ ${#dir} -le 90 ] || {
                echo "pg-cluster: $dir is too long for a socket path" >&2
                exit 1
        }
        [ "$(id -u)" = 0 ] && chown nobody:nogroup "$dir"
        chmod 0700 "$dir"
        # a cluster stopped earlier (pg-cluster.sh stop) starts again as it was
        local fresh=1
        [ ! -f "$dir/data/PG_VERSION" ] || fresh=0
        [ "$fresh" = 0 ] || as_owner "$pgbin/initdb" -D "$dir/data" -U carnet -A trust -E UTF8 --locale=C --no-sync \
                >"$dir/initdb.log" 2>&1 || {
                cat "$dir/initdb.log" >&2
                exit 1
        }
        as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
                -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=$fsync -c max_connections=60" \
                start >/dev/null || {
                cat "$dir/postgres.log" >&2
                exit 1
        }
        [ "$fresh" = 0 ] || as_owner "$pgbin/createdb" -h "$dir" -U carnet -E UTF8 --locale=C -T template0 carnet
        echo "host=$dir dbname=carnet user=carnet"
}

stop() {
        [ -f "$dir/data/postmaster.pid" ] || return 0
        as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 10 stop >/dev/null 2>&1 ||
                as_owner "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
                true
        [ ! -f "$dir/data/postmaster.pid" ]
}

case "$cmd" in
start) start ;;
stop) stop ;;
*) usage ;;
esac
