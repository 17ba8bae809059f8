#!/usr/bin/env bash
# The central ledger against a real PostgreSQL server: starts a throwaway one (scripts/postgres.sh), runs the
# integration tests that need it (ignored in plain `cargo test`), checks a till's rights with `psql` as that till,
# and closes with `central-test: N passed, M failed`.
#
# Usage: bash scripts/central-test.sh
set -euo pipefail

JUDGE_NAME=central-test
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/postgres.sh"
cd "$JUDGES_ROOT"

pg_start
passed=0
failed=0

# The tests that share the server run two at a time; the one that stops and starts it runs alone, after them.
OUTAGE=central::the_server_stopped_mid_upload_and_started_again_loses_nothing_and_doubles_nothing
run_tests() { # run_tests LOG CARGO-TEST-ARGS...
    local log="$1"
    shift
    if cargo test --quiet --test it "$@" 2>&1 | tee "$log" | grep -E '^test |test result'; then
        read -r ok ko < <(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed.*/\1 \2/p' "$log" | tail -1)
        passed=$((passed + ${ok:-0}))
        failed=$((failed + ${ko:-0}))
    else
        failed=$((failed + 1))
        tail -40 "$log" >&2
    fi
}
judges_log "cargo test central (the centre, the app with a centre) -- --ignored"
run_tests "$PG_DIR/cargo.log" central -- --ignored --test-threads 2 --skip "$OUTAGE"
judges_log "cargo test $OUTAGE -- --ignored (alone: it stops the server)"
run_tests "$PG_DIR/cargo-outage.log" "$OUTAGE" -- --ignored --exact

# With psql, as a till: its rights are the centre's, whatever client it uses.
cadodesk_build
db="cadodesk_psql"
psql -q "$CADODESK_TEST_PG_URL" -c "CREATE DATABASE $db"
ADMIN="${CADODESK_TEST_PG_URL%/*}/$db"
"$CADODESK_BIN" central init --url "$ADMIN" >/dev/null
TILL_A="$("$CADODESK_BIN" central add-till --url "$ADMIN" --till T01 2>/dev/null)"
"$CADODESK_BIN" central add-till --url "$ADMIN" --till T02 >/dev/null 2>&1
check() { # check NAME SQL EXPECTED-WORDS
    local out
    out="$(psql -X -q "$TILL_A" -v ON_ERROR_STOP=1 -c "$2" 2>&1 || true)"
    if grep -q "$3" <<<"$out"; then
        judges_log "ok    $1"
        passed=$((passed + 1))
    else
        judges_log "FAIL  $1: $out"
        failed=$((failed + 1))
    fi
}
Z64="$(printf '0%.0s' $(seq 64))"
check "till A cannot insert an entry of till B" \
    "INSERT INTO cadodesk.entries (till, seq, at, kind, operator, payload, prev_hash, hash) VALUES ('T02', 1, 'x', 'x', 'x', '{}', '$Z64', '$Z64')" \
    "only its own entries"
check "till A cannot update an entry" "UPDATE cadodesk.entries SET operator = 'x'" "permission denied"
check "till A cannot delete an entry" "DELETE FROM cadodesk.entries" "permission denied"
check "till A cannot change a till" "UPDATE cadodesk.tills SET shop = 'x'" "permission denied"
check "till A cannot read the roles' passwords" "SELECT rolname, rolpassword FROM pg_authid" "permission denied"
check "till A cannot register a till" "INSERT INTO cadodesk.tills (code, role_name) VALUES ('T09', 'x')" "permission denied"
check "till A cannot change a derived refund" "UPDATE cadodesk.refunds SET amount_cents = 1" "permission denied"
check "till A cannot write a reservation directly" \
    "INSERT INTO cadodesk.refund_reservations (till, idempotence_key, payment_id, amount_cents) VALUES ('T01', 'k', 'p', 1)" \
    "permission denied"
check "till A cannot delete a reservation" "DELETE FROM cadodesk.refund_reservations" "permission denied"
READER="$("$CADODESK_BIN" central add-reader --url "$ADMIN" --name compta 2>/dev/null)"
check_reader() { # check_reader NAME SQL EXPECTED-WORDS
    local out
    out="$(psql -X -q "$READER" -v ON_ERROR_STOP=1 -c "$2" 2>&1 || true)"
    if grep -q "$3" <<<"$out"; then
        judges_log "ok    $1"
        passed=$((passed + 1))
    else
        judges_log "FAIL  $1: $out"
        failed=$((failed + 1))
    fi
}
check_reader "the reader reads every till" "SELECT count(*) AS tills FROM cadodesk.tills" " 2"
check_reader "the reader cannot append an entry" \
    "INSERT INTO cadodesk.entries (till, seq, at, kind, operator, payload, prev_hash, hash) VALUES ('T01', 1, 'x', 'x', 'x', '{}', '$Z64', '$Z64')" \
    "permission denied"
check_reader "the reader cannot reserve a refund" "SELECT * FROM cadodesk.reserve_refund('p', 'k', 1)" "permission denied"
check_reader "the reader cannot delete a refund" "DELETE FROM cadodesk.refunds" "permission denied"

echo "central-test: $passed passed, $failed failed"
((failed == 0 && passed > 0))
