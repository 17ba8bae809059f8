#!/usr/bin/env bash
# The reliability run: a thousand sales and refunds through the `cadodesk` binary against `cadodesk sandbox`
# (its own process, loopback only, state kept in a --data file, refunds completing after 300 ms) while the
# sandbox's fault switchboard adds latency beyond the client's timeout, bursts of 5xx, connections dropped after
# the platform committed, and 409 "in progress" answers; while the binary is killed with SIGKILL at random
# moments and restarted; while `refund-close` is tried from another process on refunds in flight or left
# unanswered; and while the sandbox itself is killed and restarted on its address mid-refund. The ledger is then compared with the platform's own state, and the two secrets are searched
# for in everything the run left behind. (Bad input, the full disk and two tills on one ledger are `cargo test`
# cases: tests/it/bad_input.rs and tests/it/chaos_concurrency.rs.)
#
# Prints one line: `chaos: N operations, F faults, K kills, L lost, D duplicated`, and exits non-zero unless L and
# D are 0, the ledger verifies, and no secret leaked. The full run must also reach 1000 operations, 100 faults and
# 50 kills (`--quick` and explicit CADODESK_CHAOS_OPS runs are not held to those floors).
#
#   bash scripts/chaos.sh            # ~1000 operations, at most 15 minutes of faults
#   bash scripts/chaos.sh --quick    # ~100 operations, one request held beyond the timeout
#   CADODESK_CHAOS_OPS=400 CADODESK_CHAOS_SEED=42 bash scripts/chaos.sh
#   CADODESK_CHAOS_KEEP=1 …          # keep the work directory (ledger, logs, exports) for a look afterwards
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [[ ${1:-} == --quick ]]; then
    export CADODESK_CHAOS_OPS="${CADODESK_CHAOS_OPS:-100}"
    export CADODESK_CHAOS_SECONDS="${CADODESK_CHAOS_SECONDS:-120}"
    export CADODESK_CHAOS_SLOW="${CADODESK_CHAOS_SLOW:-1}"
elif [[ -n ${1:-} ]]; then
    echo "usage: $0 [--quick]" >&2
    exit 2
fi

say() { printf 'chaos.sh: %s\n' "$*" >&2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cadodesk-chaos.XXXXXX")"
cleanup() {
    if [[ -z ${CADODESK_CHAOS_KEEP:-} ]]; then
        rm -rf "$WORK"
    else
        say "work directory kept: $WORK"
    fi
}
trap cleanup EXIT

# Unusual secrets, shared by the sandbox and the till through the environment only, so that a leak is unambiguous.
rand_hex() { od -An -N8 -tx1 /dev/urandom | tr -d ' \n'; }
export CADODESK_CHAOS_API_SECRET="chaos-secret-$(rand_hex)"
export CADODESK_CHAOS_WEBHOOK_SECRET="chaos-webhook-secret-$(rand_hex)"
export CADODESK_CHAOS_DIR="$WORK/run"
export CADODESK_CHAOS=1
mkdir -p "$CADODESK_CHAOS_DIR"

say "building the binary and the test suite (debug)"
# `cargo test` builds target/debug/cadodesk too, with the same dependencies as the tests.
cargo test --quiet --test it --no-run 2>"$WORK/build.log" || {
    cat "$WORK/build.log" >&2
    exit 1
}

rc=0
say "fault run (seed ${CADODESK_CHAOS_SEED:-random}, ${CADODESK_CHAOS_OPS:-1000} operations aimed at)"
cargo test --quiet --test it chaos::chaos_run -- --ignored --exact --nocapture \
    >"$WORK/chaos.out" 2>"$WORK/chaos.err" || rc=$?
grep '^chaos: ' "$WORK/chaos.err" | grep -v '^chaos: [0-9]* operations' >&2 || true

# Secrets: the ledger, the logs (one command in ten ran with -vvv), the CSV exports, the sandbox's files, the test
# output (panics included): not one hit.
leaks=0
for secret in "$CADODESK_CHAOS_API_SECRET" "$CADODESK_CHAOS_WEBHOOK_SECRET"; do
    if hits="$(grep -rlaF -- "$secret" "$WORK")"; then
        say "SECRET FOUND in: $hits"
        leaks=$((leaks + 1))
    fi
done
files=$(find "$CADODESK_CHAOS_DIR" -type f | wc -l)
if ((leaks == 0)); then
    say "secrets: 0 hits in $files files (ledger, WAL, logs with -vvv, CSV exports, sandbox state, test output)"
else
    rc=1
fi
if grep -qa 'panicked' "$CADODESK_CHAOS_DIR"/cli-stderr.log 2>/dev/null; then
    say "a cadodesk process panicked: see cli-stderr.log"
    rc=1
fi

summary="$(grep -h '^chaos: [0-9]* operations' "$WORK/chaos.out" "$WORK/chaos.err" | tail -n 1 || true)"
if [[ -z $summary ]]; then
    say "the fault run printed no summary; its output:"
    tail -n 60 "$WORK/chaos.out" "$WORK/chaos.err" >&2
    echo "chaos: run failed before its summary"
    exit 1
fi
if ((rc != 0)); then
    tail -n 40 "$WORK/chaos.out" >&2
fi
echo "$summary"
if [[ ! $summary =~ ,\ 0\ lost,\ 0\ duplicated$ ]]; then
    exit 1
fi
if [[ -z ${CADODESK_CHAOS_OPS:-} && $summary =~ ^chaos:\ ([0-9]+)\ operations,\ ([0-9]+)\ faults,\ ([0-9]+)\ kills ]]; then
    if ((BASH_REMATCH[1] < 1000 || BASH_REMATCH[2] < 100 || BASH_REMATCH[3] < 50)); then
        say "the full run fell short of 1000 operations, 100 faults and 50 kills"
        exit 1
    fi
fi
exit "$rc"
