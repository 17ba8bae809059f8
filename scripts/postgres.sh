#!/usr/bin/env bash
# A throwaway PostgreSQL server for the central ledger's tests. Source it, then:
#
#   pg_start     installs the Debian package when missing, creates a cluster in a temporary directory, starts it on
#                a free loopback port (password authentication, superuser `cadodesk_admin`), and exports
#                CADODESK_TEST_PG_URL (the administrator's URL), CADODESK_TEST_PG_CTL (`ctl.sh stop|start`, for
#                the outage tests) and PG_BIN; stopped and removed on exit
#   pg_stop      stops it now (fast shutdown; the data stay until exit)
#   pg_restart   starts it again on the same port and data (for the outage tests)
#
# Runs as root (the CI) or as a normal user: as root, the server runs as the `postgres` system user.
set -euo pipefail

pg_log() { printf 'postgres: %s\n' "$*" >&2; }

pg_install() {
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
        pg_log "installing postgresql (Debian package)"
        local sudo=()
        [[ $(id -u) == 0 ]] || sudo=(sudo)
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            postgresql postgresql-client >&2
    fi
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    export PG_BIN
}

# Runs a PostgreSQL server command as the user that owns the cluster.
pg_as() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_start() {
    pg_install
    PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/cadodesk-pg.XXXXXX")"
    export PG_DIR
    [[ $(id -u) == 0 ]] && chown postgres: "$PG_DIR"
    PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    export PG_PORT
    PG_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    local pwfile="$PG_DIR/pw"
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    [[ $(id -u) == 0 ]] && chown postgres: "$pwfile"
    pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U cadodesk_admin --pwfile="$pwfile" -A scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        return 1
    }
    rm -f "$pwfile"
    trap pg_cleanup EXIT
    pg_restart
    export CADODESK_TEST_PG_URL="postgres://cadodesk_admin:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres"
    # `ctl.sh stop|start`: the outage tests stop the server mid-upload and start it again.
    local here
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    cat >"$PG_DIR/ctl.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
source "$here/postgres.sh"
PG_DIR="$PG_DIR" PG_BIN="$PG_BIN" PG_PORT="$PG_PORT"
case "\$1" in stop) pg_stop ;; start) pg_restart ;; *) exit 2 ;; esac
EOF
    chmod 755 "$PG_DIR/ctl.sh"
    export CADODESK_TEST_PG_CTL="$PG_DIR/ctl.sh"
    pg_log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

pg_restart() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=on" \
        start >/dev/null
}

pg_stop() {
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_cleanup() {
    [[ -n ${PG_DIR:-} && -d $PG_DIR ]] || return 0
    pg_stop
    rm -rf "$PG_DIR"
}
