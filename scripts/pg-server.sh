#!/bin/sh
# A throwaway PostgreSQL server for racelab's tests and demos.
#
#   scripts/pg-server.sh start DIR [--tcp]   start one; DIR/conninfo gets its
#                                            connection string
#   scripts/pg-server.sh stop DIR            stop it and delete its files
#   scripts/pg-server.sh restart DIR [MODE]  pg_ctl restart -m MODE: fast (the
#                                            default), immediate or smart
#   scripts/pg-server.sh halt DIR            stop it, keeping its data
#   scripts/pg-server.sh resume DIR          start it again after halt
#
# The server lives in a new temporary directory under /tmp (its data and
# its Unix socket; the socket path must stay short), listens on that socket
# only (no TCP unless --tcp, then on 127.0.0.1 at a free port), runs as a
# non-root user (initdb refuses root: as root it runs as 'postgres', or
# 'nobody' when there is no such user), and has durability off (fsync,
# synchronous_commit, full_page_writes): fast, and nothing to keep.
# DIR holds only pointers to it: conninfo, server (the temporary
# directory), pgbin. Exits non-zero, saying why, when it cannot start.
# With RACELAB_PG_TEMPLATE=TDIR set, the cluster is a copy of one made once
# in TDIR (by the first start that needs it), not a new initdb each time.
set -eu

usage() {
    echo "usage: $0 start DIR [--tcp] | stop|halt|resume DIR | restart DIR [fast|immediate|smart]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
tcp=${3:-}

pgbin() {
    for b in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$b/initdb" ] && { echo "$b"; return 0; }
    done
    command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
    echo "racelab: PostgreSQL's server programs (initdb, pg_ctl) are not installed;" \
         "'make deps' installs Debian's postgresql package" >&2
    return 1
}

# Run a command as the server's user.
as_user() {
    if [ -n "$runas" ]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u "$runas" -- "$@"
        else
            su -s /bin/sh "$runas" -c "$(printf '%s ' "$@")"
        fi
    else
        "$@"
    fi
}

pick_user() {
    runas=""
    if [ "$(id -u)" = 0 ]; then
        if id postgres >/dev/null 2>&1; then runas=postgres; else runas=nobody; fi
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    bin=$(pgbin)
    pick_user
    mkdir -p "$dir"
    if [ -f "$dir/server" ] && [ -d "$(cat "$dir/server")" ]; then
        "$0" stop "$dir" || true
    fi
    srv=$(mktemp -d /tmp/racelab-pg.XXXXXX)
    chmod 755 "$srv"
    mkdir "$srv/data" "$srv/sock"
    [ -n "$runas" ] && chown "$runas" "$srv" "$srv/data" "$srv/sock"
    echo "$srv" > "$dir/server"
    echo "$bin" > "$dir/pgbin"
    if [ -n "${RACELAB_PG_TEMPLATE:-}" ]; then
        # A copy of a cluster made once (initdb takes a second of CPU; make
        # test starts a dozen servers): the first server to need it makes
        # it, the others wait on the lock, then every one copies it.
        mkdir -p "$RACELAB_PG_TEMPLATE"
        (
            flock 9
            # made by these server programs, or made again
            if [ "$(cat "$RACELAB_PG_TEMPLATE/ready" 2>/dev/null)" != "$bin" ]; then
                rm -rf "$RACELAB_PG_TEMPLATE/data"
                mkdir "$RACELAB_PG_TEMPLATE/data"
                [ -n "$runas" ] && chown "$runas" "$RACELAB_PG_TEMPLATE/data"
                as_user "$bin/initdb" -D "$RACELAB_PG_TEMPLATE/data" -A trust -U racelab -E UTF8 \
                    --locale=C --no-sync >"$srv/initdb.log" 2>&1 || exit 1
                echo "$bin" >"$RACELAB_PG_TEMPLATE/ready"
            fi
        ) 9>"$RACELAB_PG_TEMPLATE/lock" || {
            echo "racelab: initdb failed:" >&2; cat "$srv/initdb.log" >&2; exit 1; }
        rmdir "$srv/data"
        cp -a "$RACELAB_PG_TEMPLATE/data" "$srv/data"
    elif ! as_user "$bin/initdb" -D "$srv/data" -A trust -U racelab -E UTF8 --locale=C \
            --no-sync >"$srv/initdb.log" 2>&1; then
        echo "racelab: initdb failed:" >&2; cat "$srv/initdb.log" >&2; exit 1
    fi
    listen="''"
    port=5432
    if [ "$tcp" = "--tcp" ]; then
        listen=127.0.0.1
        port=$(free_port)
    fi
    opts="-c listen_addresses=$listen -p $port -k $srv/sock -c fsync=off"
    opts="$opts -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    opts="$opts -c shared_buffers=128MB -c max_locks_per_transaction=256"
    echo "$opts" > "$dir/opts"
    if ! as_user "$bin/pg_ctl" -D "$srv/data" -o "$opts" -l "$srv/log" -w -t 60 start \
            >/dev/null 2>&1; then
        echo "racelab: the PostgreSQL server did not start; its log:" >&2
        cat "$srv/log" >&2 2>/dev/null || true
        exit 1
    fi
    echo "host=$srv/sock port=$port user=racelab dbname=postgres" > "$dir/conninfo"
    if [ "$tcp" = "--tcp" ]; then
        echo "host=127.0.0.1 port=$port user=racelab dbname=postgres" > "$dir/conninfo-tcp"
    fi
    echo "racelab: PostgreSQL running in $srv ($(cat "$dir/conninfo"))"
    ;;
stop)
    [ -f "$dir/server" ] || exit 0
    srv=$(cat "$dir/server")
    bin=$(cat "$dir/pgbin" 2>/dev/null || pgbin)
    pick_user
    if [ -d "$srv/data" ]; then
        as_user "$bin/pg_ctl" -D "$srv/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$srv"
    rm -f "$dir/server" "$dir/conninfo" "$dir/conninfo-tcp" "$dir/pgbin" "$dir/opts"
    ;;
restart)
    mode=${3:-fast}
    case $mode in fast|immediate|smart) ;; *) usage ;; esac
    srv=$(cat "$dir/server")
    bin=$(cat "$dir/pgbin")
    pick_user
    as_user "$bin/pg_ctl" -D "$srv/data" -m "$mode" -w restart >/dev/null
    ;;
halt)
    srv=$(cat "$dir/server")
    bin=$(cat "$dir/pgbin")
    pick_user
    as_user "$bin/pg_ctl" -D "$srv/data" -m fast -w stop >/dev/null
    ;;
resume)
    srv=$(cat "$dir/server")
    bin=$(cat "$dir/pgbin")
    pick_user
    as_user "$bin/pg_ctl" -D "$srv/data" -o "$(cat "$dir/opts")" -l "$srv/log" -w -t 60 start \
        >/dev/null
    ;;
*)
    usage
    ;;
esac
