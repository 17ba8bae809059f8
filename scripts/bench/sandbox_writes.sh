#!/usr/bin/env bash
# Sandbox write throughput: signed CreateHostedCheckout POSTs under wrk (each one a state change: a new session,
# stored before it is answered) against three sandboxes started one after the other from the same binary: in
# memory, with an empty --data file, and with a --data file already holding REFUNDS refunds (written in the
# snapshot format by seed_sandbox.py). Prints one line per comparison with `req/s` and a ratio.
#
# Usage: scripts/bench/sandbox_writes.sh CADODESK_BIN OUT_DIR SECONDS [REFUNDS]   (REFUNDS defaults to 100000)
# Run alone, or as part of scripts/bench.sh. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="$1"; OUT="$2"; SECONDS_EACH="$3"; REFUNDS="${4:-100000}"
mkdir -p "$OUT"
log() { printf 'bench: %s\n' "$*" >&2; }
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null || true' EXIT

PATH_V2="/v2/cadodesk-sandbox/hostedcheckouts"
DATE="$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"
AUTH="$(python3 scripts/bench/sign_request.py sandbox-key-id sandbox-secret "$DATE" "$PATH_V2" POST application/json)"
export BENCH_BODY='{"order":{"amountOfMoney":{"amount":4250,"currencyCode":"EUR"},"references":{"merchantReference":"BENCH-1"}},"hostedCheckoutSpecificInput":{"returnUrl":"https://shop.example/back","locale":"fr_FR"}}'

# Starts the sandbox with the given extra flags; sets URL and PID.
start() {
  "$BIN" sandbox --listen 127.0.0.1:0 --merchant-id cadodesk-sandbox --api-key-id sandbox-key-id \
    --api-secret sandbox-secret "$@" >"$OUT/writes-sandbox.out" 2>"$OUT/writes-sandbox.err" &
  PID=$!
  for _ in $(seq 1200); do grep -q '^listening on' "$OUT/writes-sandbox.out" 2>/dev/null && break; sleep 0.1; done
  URL="$(sed -n '1s/^listening on //p' "$OUT/writes-sandbox.out")"
  [ -n "$URL" ] || { log "the sandbox did not start: $(cat "$OUT/writes-sandbox.err")"; exit 1; }
  code="$(curl -s -o "$OUT/writes-first.json" -w '%{http_code}' -X POST -H "Date: $DATE" -H "Authorization: $AUTH" \
    -H 'Content-Type: application/json' --data "$BENCH_BODY" "$URL$PATH_V2")"
  [ "$code" = 200 ] || { log "signed CreateHostedCheckout answered $code: $(head -c 300 "$OUT/writes-first.json")"; exit 1; }
}
stop() { kill -INT "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }
# Few connections and a long timeout: a store that writes everything on every request must still be counted.
rps() {
  wrk -t1 -c4 -d"${SECONDS_EACH}s" --timeout 60s -s scripts/bench/post_json.lua -H "Date: $DATE" \
    -H "Authorization: $AUTH" "$URL$PATH_V2" | tee -a "$OUT/writes-wrk.txt" | sed -n 's/^Requests\/sec: *//p'
}
div() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
fmt() { python3 -c "import sys; v=float(sys.argv[1]); print(f'{v:.0f}' if v >= 10 else f'{v:.2f}')" "$1"; }
: >"$OUT/writes-wrk.txt"

log "sandbox writes: in memory"
start; memory="$(rps)"; stop
log "sandbox writes: --data, empty"
rm -f "$OUT/writes-empty.json" "$OUT/writes-empty.json.log"
start --data "$OUT/writes-empty.json"; empty="$(rps)"; stop
log "sandbox writes: --data holding $REFUNDS refunds"
rm -f "$OUT/writes-full.json" "$OUT/writes-full.json.log"
python3 scripts/bench/seed_sandbox.py "$OUT/writes-full.json" "$REFUNDS" >&2
start --data "$OUT/writes-full.json"; full="$(rps)"; stop
non2xx="$(grep -c 'Non-2xx' "$OUT/writes-wrk.txt" || true)"
[ "$non2xx" = 0 ] || log "wrk saw non-2xx answers: see $OUT/writes-wrk.txt"

echo "sandbox writes: CreateHostedCheckout (signed, a state change each) with --data holding $REFUNDS refunds $(fmt "$full") req/s, in memory $(fmt "$memory") req/s, ratio $(div "$full" "$memory")"
echo "sandbox writes: CreateHostedCheckout with --data holding $REFUNDS refunds $(fmt "$full") req/s, with an empty --data $(fmt "$empty") req/s, ratio $(div "$full" "$empty") (1 means a write costs the same however much is stored)"
