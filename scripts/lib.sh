# Shared shell helpers for the judge scripts. Source it: `source "$(dirname "$0")/lib.sh"`.
#
#   cadodesk_build            builds the debug binary (or uses $CADODESK_BIN) and sets CADODESK_BIN
#   sandbox_start [FLAGS…]     starts `cadodesk sandbox` on a free loopback port with the default credentials plus
#                             FLAGS; sets SANDBOX_URL, SANDBOX_PID, SANDBOX_LOG and exports the SANDBOX_* credentials
#   sandbox_stop              stops the sandbox started above (also run on exit)
#   judges_venv_python        path of the venv's python, or a clear error if install-deps.sh was not run
#
# The default credentials are the ones documented in the README; the scripts pass them explicitly so that a change
# of defaults cannot make the judges test something else than they say.

JUDGES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export JUDGES_ROOT

export SANDBOX_MERCHANT_ID="${SANDBOX_MERCHANT_ID:-cadodesk-sandbox}"
export SANDBOX_API_KEY_ID="${SANDBOX_API_KEY_ID:-sandbox-key-id}"
export SANDBOX_API_SECRET="${SANDBOX_API_SECRET:-sandbox-secret}"
export SANDBOX_WEBHOOK_KEY_ID="${SANDBOX_WEBHOOK_KEY_ID:-sandbox-webhook-key-id}"
export SANDBOX_WEBHOOK_SECRET="${SANDBOX_WEBHOOK_SECRET:-sandbox-webhook-secret}"

judges_log() { printf '%s: %s\n' "${JUDGE_NAME:-judge}" "$*"; }
judges_die() {
    printf '%s: error: %s\n' "${JUDGE_NAME:-judge}" "$*" >&2
    exit 1
}

# Builds `cadodesk` (debug) unless CADODESK_BIN already names an executable.
cadodesk_build() {
    if [[ -n ${CADODESK_BIN:-} ]]; then
        [[ -x $CADODESK_BIN ]] || judges_die "CADODESK_BIN=$CADODESK_BIN is not executable"
        return 0
    fi
    # Built as `cargo test` builds it (the integration tests need the binary): one build of the dependencies serves
    # the tests and every judge, where `cargo build` would compile many of them again without the test features.
    judges_log "building cadodesk (cargo test --no-run --test it)"
    (cd "$JUDGES_ROOT" && cargo test --quiet --no-run --test it 2>/dev/null) ||
        (cd "$JUDGES_ROOT" && cargo test --no-run --test it) || judges_die "cargo build failed"
    local target_dir="${CARGO_TARGET_DIR:-$JUDGES_ROOT/target}"
    CADODESK_BIN="$target_dir/debug/cadodesk"
    [[ -x $CADODESK_BIN ]] || judges_die "built binary not found at $CADODESK_BIN"
    export CADODESK_BIN
}

SANDBOX_PID=""
SANDBOX_URL=""
SANDBOX_LOG=""
SANDBOX_STDOUT=""

# Starts the sandbox and waits (at most SANDBOX_START_TIMEOUT seconds, default 60) for its first stdout line,
# `listening on http://127.0.0.1:PORT`.
sandbox_start() {
    [[ -n ${CADODESK_BIN:-} ]] || cadodesk_build
    local workdir
    workdir="$(mktemp -d "${TMPDIR:-/tmp}/cadodesk-judge.XXXXXX")"
    SANDBOX_STDOUT="$workdir/stdout"
    SANDBOX_LOG="$workdir/stderr"
    : >"$SANDBOX_STDOUT"
    "$CADODESK_BIN" sandbox --listen 127.0.0.1:0 \
        --merchant-id "$SANDBOX_MERCHANT_ID" \
        --api-key-id "$SANDBOX_API_KEY_ID" \
        --api-secret "$SANDBOX_API_SECRET" \
        "$@" >"$SANDBOX_STDOUT" 2>"$SANDBOX_LOG" &
    SANDBOX_PID=$!
    trap sandbox_stop EXIT
    local deadline=$((SECONDS + ${SANDBOX_START_TIMEOUT:-60}))
    local first=""
    while ((SECONDS < deadline)); do
        first="$(head -n 1 "$SANDBOX_STDOUT" 2>/dev/null || true)"
        if [[ -n $first && $(wc -l <"$SANDBOX_STDOUT") -ge 1 ]]; then break; fi
        if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
            judges_log "sandbox exited before listening; its stderr:"
            sed 's/^/    /' "$SANDBOX_LOG" >&2
            judges_die "cadodesk sandbox did not start"
        fi
        sleep 0.1
    done
    if [[ $first =~ ^listening\ on\ (http://127\.0\.0\.1:[0-9]+)$ ]]; then
        SANDBOX_URL="${BASH_REMATCH[1]}"
    else
        judges_log "first stdout line was: '${first}' (expected 'listening on http://127.0.0.1:PORT')"
        sed 's/^/    /' "$SANDBOX_LOG" >&2
        sandbox_stop
        judges_die "cadodesk sandbox did not announce its address"
    fi
    export SANDBOX_URL SANDBOX_PID SANDBOX_LOG
    judges_log "sandbox pid $SANDBOX_PID at $SANDBOX_URL (stderr: $SANDBOX_LOG)"
}

# Stops the sandbox started by sandbox_start, by its process id only.
sandbox_stop() {
    if [[ -n ${SANDBOX_PID:-} ]] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
        kill "$SANDBOX_PID" 2>/dev/null || true
        local i
        for i in $(seq 1 50); do
            kill -0 "$SANDBOX_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$SANDBOX_PID" 2>/dev/null || true
        wait "$SANDBOX_PID" 2>/dev/null || true
    fi
    SANDBOX_PID=""
}

# Prints the sandbox's stderr tail; useful after a failure.
sandbox_show_log() {
    if [[ -n ${SANDBOX_LOG:-} && -s $SANDBOX_LOG ]]; then
        judges_log "last lines of the sandbox's stderr:"
        tail -n "${1:-40}" "$SANDBOX_LOG" | sed 's/^/    /'
    fi
}

judges_venv_python() {
    local py="$JUDGES_ROOT/.venv/bin/python"
    [[ -x $py ]] || judges_die "no Python venv at $JUDGES_ROOT/.venv: run 'bash scripts/install-deps.sh' first"
    printf '%s\n' "$py"
}

judges_node_modules() {
    local dir="$JUDGES_ROOT/$1"
    [[ -d $dir/node_modules ]] || judges_die "no $1/node_modules: run 'bash scripts/install-deps.sh' first"
}
