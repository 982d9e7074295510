#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on a loopback port, for tests and benchmarks.
#
#   scripts/pg.sh start [DIR]   init (once) and start a cluster in DIR (default: a new temp dir);
#                               prints `export TEST_DATABASE_URL=… PGDATA_DIR=…` lines to eval
#   scripts/pg.sh stop DIR      stop that cluster and remove DIR
#
# Uses Debian's PostgreSQL (installs `postgresql` from Debian when no initdb is found and we are
# root). initdb refuses root, so as root the cluster belongs to the `postgres` user.
# Exit 3 when the server cannot be started (callers decide whether that is a skip or a failure).
set -euo pipefail

find_bin() {
    local name="$1" dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/$name" ] && { echo "$dir/$name"; return 0; }
    done
    command -v "$name" 2>/dev/null
}

as_owner() {
    # run a command as the cluster's owner: ourselves, or `postgres` when we are root
    # (from / : the postgres user may not be allowed into the checkout)
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {
    local dir="${1:-}"
    local initdb pg_ctl
    initdb="$(find_bin initdb || true)"
    if [ -z "$initdb" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing postgresql from Debian" >&2
        apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
        initdb="$(find_bin initdb || true)"
    fi
    pg_ctl="$(find_bin pg_ctl || true)"
    if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
        echo "PostgreSQL is not installed (no initdb/pg_ctl found)" >&2
        exit 3
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    [ -n "$dir" ] || dir="$(mktemp -d /tmp/talentnord-pg.XXXXXX)"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir" && chmod 700 "$dir"
    local port
    port="$(free_port)"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
            || { echo "initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 3; }
    fi
    # loopback only, our own socket dir, fsync off: a test cluster, thrown away afterwards
    if ! as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >&2; then
        echo "PostgreSQL did not start:" >&2
        tail -20 "$dir/server.log" >&2 || true
        exit 3
    fi
    as_owner psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qtAc "CREATE DATABASE talentnord" >/dev/null
    echo "export TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$port/talentnord"
    echo "export PGDATA_DIR=$dir"
}

stop() {
    local dir="${1:?usage: scripts/pg.sh stop DIR}"
    local pg_ctl
    pg_ctl="$(find_bin pg_ctl || true)"
    if [ -n "$pg_ctl" ] && [ -f "$dir/data/postmaster.pid" ]; then
        as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: scripts/pg.sh start [DIR] | stop DIR" >&2; exit 2 ;;
esac
