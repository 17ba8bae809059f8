#!/usr/bin/env bash
# cadodesk's benchmarks, each side by side with its reference in the same run. Every comparison is one line with
# the word `ratio`; a ratio above 1 means cadodesk is faster (or lighter) than the reference named on the line.
#
# Usage: scripts/bench.sh [--quick] [--debug]
#   --quick   reduced scale (100 000 refunds instead of 1 million, shorter runs): a few minutes once built
#   --debug   use the debug build (to check the harness; its figures are not for publication)
#
# Needs: the Rust toolchain, python3 with venv, and (installed here when missing, through apt-get and PyPI) wrk,
# sqlite3, GNU time, Xvfb and the official Worldline Python SDK. Everything runs on loopback.
# Raw key=value figures go to $BENCH_OUT (default target/bench-out/), the summary to standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

quick=0
profile=release
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --debug) profile=debug ;;
    *) echo "bench: unknown option $arg (use --quick, --debug)" >&2; exit 2 ;;
  esac
done

if ((quick)); then
  REFUNDS=100000; ROUNDS=100; WRK_SECONDS=5; WATCH_SECONDS=20; ARCHIVE_ENTRIES=100000; CENTRAL_ENTRIES=20000
else
  REFUNDS=1000000; ROUNDS=300; WRK_SECONDS=15; WATCH_SECONDS=60; ARCHIVE_ENTRIES=1000000; CENTRAL_ENTRIES=100000
fi
ARCHIVE_ENTRIES="${BENCH_ARCHIVE_ENTRIES:-$ARCHIVE_ENTRIES}"
UI_CHECKOUTS=100000
COUNTER_SECONDS=10
# Overrides, for checking the harness itself at a tiny scale.
REFUNDS="${BENCH_REFUNDS:-$REFUNDS}"; UI_CHECKOUTS="${BENCH_UI_CHECKOUTS:-$UI_CHECKOUTS}"
ROUNDS="${BENCH_ROUNDS:-$ROUNDS}"; WATCH_SECONDS="${BENCH_WATCH_SECONDS:-$WATCH_SECONDS}"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${BENCH_OUT:-$TARGET/bench-out}"
mkdir -p "$OUT"
log() { printf 'bench: %s\n' "$*" >&2; }

# ----- tools ----------------------------------------------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
[ -x /usr/bin/time ] || missing+=(time)
python3 -c 'import ensurepip' 2>/dev/null || missing+=(python3-venv)
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=(); [ "$(id -u)" = 0 ] || SUDO=(sudo)
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
VENV="${CADODESK_BENCH_VENV:-$ROOT/.venv-bench}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import onlinepayments, requests, cryptography' 2>/dev/null ||
  "$VENV/bin/pip" install --quiet --disable-pip-version-check onlinepayments-sdk-python3==10.3.0 requests \
    cryptography==50.0.2 >&2
PY="$VENV/bin/python"

# ----- build ----------------------------------------------------------------------------------------------------
cargo_flags=(); [ "$profile" = release ] && cargo_flags=(--release)
log "building ($profile)"
# One build of the binary and the bench together: the same features, so nothing is built twice.
BENCH_BIN="$(cargo build "${cargo_flags[@]}" --bins --bench bench --message-format=json |
  python3 -c 'import json,sys
exe=[m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="bench" and m.get("executable")]
print(exe[-1])')"
CADODESK="$TARGET/$profile/cadodesk"
export BENCH_BIN

fmt() { python3 -c "import sys; print(format(float(sys.argv[1]), sys.argv[2]))" "$1" "$2"; }
div() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f'{a/b:.2f}' if b else 'n/a')" "$1" "$2"; }
get() { sed -n "s/.*\b$2=\([^ ]*\).*/\1/p" "$1" | tail -1; }

echo "# cadodesk benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), profile $profile$( ((quick)) && echo ', --quick'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$profile" = debug ] && echo "# debug build: these figures check the harness and are not for publication"

# ----- 1. signing -----------------------------------------------------------------------------------------------
log "signing"
CADODESK_BENCH_VENV="$VENV" scripts/bench-signing.sh

# ----- the sandbox, for 2, 3 and 7 ------------------------------------------------------------------------------
SANDBOX_PID=""
REF_PID=""
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill "$SANDBOX_PID" 2>/dev/null || true
  [ -n "$REF_PID" ] && kill "$REF_PID" 2>/dev/null || true
}
trap cleanup EXIT
"$CADODESK" sandbox --listen 127.0.0.1:0 --merchant-id cadodesk-sandbox --api-key-id sandbox-key-id \
  --api-secret sandbox-secret --refund-delay-ms 20 >"$OUT/sandbox.out" 2>"$OUT/sandbox.err" &
SANDBOX_PID=$!
for _ in $(seq 100); do grep -q '^listening on' "$OUT/sandbox.out" 2>/dev/null && break; sleep 0.1; done
SANDBOX="$(sed -n '1s/^listening on //p' "$OUT/sandbox.out")"
[ -n "$SANDBOX" ] || { log "the sandbox did not start: $(cat "$OUT/sandbox.err")"; exit 1; }

# ----- 2. round trip --------------------------------------------------------------------------------------------
log "round trip ($ROUNDS each) against $SANDBOX"
"$BENCH_BIN" --roundtrip "$SANDBOX" "$ROUNDS" >"$OUT/roundtrip-rust.txt"
"$PY" scripts/bench/roundtrip.py "$SANDBOX" "$ROUNDS" >"$OUT/roundtrip-python.txt"
for op in create details refund; do
  r="$(grep "op=$op " "$OUT/roundtrip-rust.txt")"; p="$(grep "op=$op " "$OUT/roundtrip-python.txt")"
  rm_="$(echo "$r" | get /dev/stdin median_us)"; rp="$(echo "$r" | get /dev/stdin p99_us)"
  pm="$(echo "$p" | get /dev/stdin median_us)"; pp="$(echo "$p" | get /dev/stdin p99_us)"
  echo "roundtrip $op: cadodesk median $(fmt "$(div "$rm_" 1000)" .2f) ms p99 $(fmt "$(div "$rp" 1000)" .2f) ms, Python SDK median $(fmt "$(div "$pm" 1000)" .2f) ms p99 $(fmt "$(div "$pp" 1000)" .2f) ms, ratio $(div "$pm" "$rm_") (median), $(div "$pp" "$rp") (p99)"
done

# ----- 3. sandbox throughput ------------------------------------------------------------------------------------
# A payment as a shop has them (paid, refunded twice), not the one the round trips refunded hundreds of times.
PAYMENT="$(get "$OUT/roundtrip-rust.txt" typical_payment_id)"
DETAILS="/v2/cadodesk-sandbox/payments/$PAYMENT/details"
DATE="$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')"
AUTH="$("$PY" scripts/bench/sign_request.py sandbox-key-id sandbox-secret "$DATE" "$DETAILS")"
code="$(curl -s -o "$OUT/details.json" -w '%{http_code}' -H "Date: $DATE" -H "Authorization: $AUTH" "$SANDBOX$DETAILS")"
[ "$code" = 200 ] || { log "signed GetPaymentDetails answered $code: $(head -c 300 "$OUT/details.json")"; exit 1; }
# The reference: a static file of the same body, served by Python's http.server (threaded) on the same cores.
mkdir -p "$OUT/static"; cp "$OUT/details.json" "$OUT/static/details.json"
(cd "$OUT/static" && exec python3 -m http.server --bind 127.0.0.1 0 >"$OUT/static.out" 2>&1) &
REF_PID=$!
for _ in $(seq 100); do grep -q 'Serving HTTP' "$OUT/static.out" 2>/dev/null && break; sleep 0.1; done
REF_PORT="$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$OUT/static.out" | head -1)"
wrk_rps() { wrk -t2 -c16 -d"${WRK_SECONDS}s" "$@" | tee -a "$OUT/wrk.txt" | sed -n 's/^Requests\/sec: *//p'; }
log "wrk ${WRK_SECONDS}s each"
: >"$OUT/wrk.txt"
sandbox_rps="$(wrk_rps -H "Date: $DATE" -H "Authorization: $AUTH" "$SANDBOX$DETAILS")"
state_rps="$(wrk_rps "$SANDBOX/sandbox/faults")"
static_rps="$(wrk_rps "http://127.0.0.1:$REF_PORT/details.json")"
non2xx="$(grep -c 'Non-2xx' "$OUT/wrk.txt" || true)"
echo "sandbox throughput: cadodesk sandbox GetPaymentDetails (signed) $(fmt "$sandbox_rps" .0f) req/s, python3 http.server static file of the same body $(fmt "$static_rps" .0f) req/s, ratio $(div "$sandbox_rps" "$static_rps")"
echo "sandbox throughput: cadodesk sandbox GetPaymentDetails (signed) $(fmt "$sandbox_rps" .0f) req/s, same sandbox's unsigned GET /sandbox/faults $(fmt "$state_rps" .0f) req/s, ratio $(div "$sandbox_rps" "$state_rps")"
[ "$non2xx" = 0 ] || log "wrk saw non-2xx answers: see $OUT/wrk.txt"
kill "$REF_PID" 2>/dev/null || true; REF_PID=""
# Writes: a state change per request, in memory and with --data holding 100 000 refunds (its own sandboxes).
log "sandbox writes (wrk ${WRK_SECONDS}s each)"
scripts/bench/sandbox_writes.sh "$CADODESK" "$OUT" "$WRK_SECONDS" 100000

# ----- 7. watcher -----------------------------------------------------------------------------------------------
log "watcher (${WATCH_SECONDS}s)"
"$BENCH_BIN" --watcher "$SANDBOX" "$WATCH_SECONDS" >"$OUT/watcher.txt"
W="$OUT/watcher.txt"
kill "$SANDBOX_PID" 2>/dev/null || true; SANDBOX_PID=""

# ----- 4. ledger ------------------------------------------------------------------------------------------------
log "ledger ($REFUNDS refunds)"
LEDGER_DIR="$OUT/ledger"
"$BENCH_BIN" --ledger "$LEDGER_DIR" "$REFUNDS" >"$OUT/ledger.txt"
L="$OUT/ledger.txt"
echo "ledger appends, one transaction each (WAL, synchronous=FULL): cadodesk $(get "$L" ledger_append_single_per_s)/s, raw rusqlite insert without chain $(get "$L" raw_insert_single_per_s)/s, ratio $(div "$(get "$L" ledger_append_single_per_s)" "$(get "$L" raw_insert_single_per_s)")"
echo "ledger appends, 1 000 per transaction: cadodesk $(get "$L" ledger_append_batched_per_s)/s, raw rusqlite insert without chain $(get "$L" raw_insert_batched_per_s)/s, ratio $(div "$(get "$L" ledger_append_batched_per_s)" "$(get "$L" raw_insert_batched_per_s)")"
echo "ledger appends sealed (Ed25519 per entry), one transaction each: cadodesk $(get "$L" ledger_append_single_sealed_per_s)/s, unsealed $(get "$L" ledger_append_single_per_s)/s, ratio $(div "$(get "$L" ledger_append_single_sealed_per_s)" "$(get "$L" ledger_append_single_per_s)")"
echo "ledger appends sealed, 1 000 per transaction: cadodesk $(get "$L" ledger_append_batched_sealed_per_s)/s, unsealed $(get "$L" ledger_append_batched_per_s)/s, ratio $(div "$(get "$L" ledger_append_batched_sealed_per_s)" "$(get "$L" ledger_append_batched_per_s)")"
entries="$(get "$L" ledger_verify_entries)"
# The command an accountant runs, as a process.
/usr/bin/time -f '%e %M' -o "$OUT/verify-cli.time" "$CADODESK" --data-dir "$LEDGER_DIR" ledger verify >"$OUT/verify-cli.out" 2>&1 || true
read -r verify_cli_s verify_cli_kib <"$OUT/verify-cli.time" || true
echo "ledger verify sealed ($entries entries): cadodesk $(get "$L" ledger_verify_s) s, the same journal unsealed $(get "$L" ledger_verify_unsealed_s) s, ratio $(div "$(get "$L" ledger_verify_unsealed_s)" "$(get "$L" ledger_verify_s)")"
echo "ledger verify ($entries entries, sealed): cadodesk $(get "$L" ledger_verify_s) s (\`cadodesk ledger verify\` process ${verify_cli_s:-?} s, $(( ${verify_cli_kib:-0} / 1024 )) MiB), plain rusqlite scan of the same columns $(get "$L" raw_scan_s) s, ratio $(div "$(get "$L" raw_scan_s)" "$(get "$L" ledger_verify_s)")"

# ----- 5. export ------------------------------------------------------------------------------------------------
log "export"
FROM="$(date -u -d yesterday +%F)"; TO="$(date -u -d tomorrow +%F)"
/usr/bin/time -f '%e %M' -o "$OUT/export-cadodesk.time" "$CADODESK" --data-dir "$LEDGER_DIR" \
  export refunds --from "$FROM" --to "$TO" --format excel-fr -o "$OUT/refunds-fr.csv" >"$OUT/export.out" 2>&1
read -r exp_s exp_kib <"$OUT/export-cadodesk.time"
# The same rows (refund, sale, tender) straight out of SQLite, no formatting, no French conventions.
SQL="SELECT r.number, r.created_at, c.merchant_reference, c.amount_cents, r.payment_id, t.product_id, t.masked_number,
  t.captured_cents, r.amount_cents, r.refund_id, r.state, r.platform_status, r.reason, r.operator, r.external,
  (SELECT COALESCE(SUM(r2.amount_cents), 0) FROM refunds r2 WHERE r2.payment_id = r.payment_id
     AND r2.number < r.number AND r2.state != 'declined') AS refunded_before
  FROM refunds r JOIN tenders t ON t.payment_id = r.payment_id
  JOIN checkouts c ON c.hosted_checkout_id = r.hosted_checkout_id ORDER BY r.number"
/usr/bin/time -f '%e %M' -o "$OUT/export-sqlite.time" sqlite3 -csv -header "$LEDGER_DIR/ledger.sqlite3" "$SQL" >"$OUT/refunds-sqlite.csv"
read -r sql_s sql_kib <"$OUT/export-sqlite.time"
rows_c=$(($(wc -l <"$OUT/refunds-fr.csv") - 1)); rows_s=$(($(wc -l <"$OUT/refunds-sqlite.csv") - 1))
echo "export $rows_c refunds (French CSV) time: cadodesk ${exp_s} s, sqlite3 -csv ($rows_s rows) ${sql_s} s, ratio $(div "$sql_s" "$exp_s")"
echo "export peak memory (max RSS): cadodesk $((exp_kib / 1024)) MiB, sqlite3 -csv $((sql_kib / 1024)) MiB, ratio $(div "$sql_kib" "$exp_kib")"

# ----- 5b. closings and archives ---------------------------------------------------------------------------------
log "closing a day of 10 000 entries"
"$BENCH_BIN" --closing "$OUT/closing" 10000 >"$OUT/closing.txt"
C="$OUT/closing.txt"
echo "closing a day of $(get "$C" closing_day_entries) entries (replayed from entry 1, sealed): cadodesk $(get "$C" closing_day_ms) ms"
log "archive of a year of $ARCHIVE_ENTRIES entries"
/usr/bin/time -f '%e %M' -o "$OUT/archive-make.time" "$BENCH_BIN" --archive "$OUT/archive" "$ARCHIVE_ENTRIES" >"$OUT/archive.txt"
A="$OUT/archive.txt"
TAR="$OUT/archive/year.tar"
/usr/bin/time -f '%e %M' -o "$OUT/archive-verify.time" "$CADODESK" archive verify "$TAR" >"$OUT/archive-verify.out"
/usr/bin/time -f '%e %M' -o "$OUT/archive-verify-py.time" "$PY" scripts/archive/verify.py "$TAR" >"$OUT/archive-verify-py.out"
/usr/bin/time -f '%e %M' -o "$OUT/archive-sha.time" sha256sum "$TAR" >/dev/null
read -r av_s av_kib <"$OUT/archive-verify.time"; read -r ap_s ap_kib <"$OUT/archive-verify-py.time"
read -r as_s as_kib <"$OUT/archive-sha.time"; read -r _ am_kib <"$OUT/archive-make.time"
ar_entries="$(get "$A" archive_entries)"; ar_mib="$(div "$(get "$A" archive_bytes)" 1048576)"
echo "archive of $ar_entries entries ($ar_mib MiB, one daily closing over them $(get "$A" archive_closing_s) s): written in $(get "$A" archive_make_s) s (bench process peak $((am_kib / 1024)) MiB, ledger filling included)"
echo "archive verify $ar_entries entries ($(get "$A" archive_verify_seals) Ed25519 seals, chain, closings recomputed): cadodesk archive verify ${av_s} s $((av_kib / 1024)) MiB, Python verifier ${ap_s} s $((ap_kib / 1024)) MiB, sha256sum of the same bytes ${as_s} s $((as_kib / 1024)) MiB, ratio $(div "$as_s" "$av_s") (sha256sum/cadodesk time), $(div "$ap_s" "$av_s") (Python/cadodesk time)"

# ----- 5c. central ledger ---------------------------------------------------------------------------------------
log "central ledger: a till's $CENTRAL_ENTRIES entries uploaded to a throwaway PostgreSQL server"
(
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  pg_start
  "$BENCH_BIN" --central "$CADODESK_TEST_PG_URL" "$CENTRAL_ENTRIES"
) >"$OUT/central.txt"
Ce="$OUT/central.txt"
echo "central upload of $(get "$Ce" central_upload_entries) entries (each checked as it arrives, the last seal at commit): cadodesk sync $(get "$Ce" central_upload_s) s, COPY of the same rows into the same table (the same checks) $(get "$Ce" central_copy_same_table_s) s, ratio $(div "$(get "$Ce" central_copy_same_table_s)" "$(get "$Ce" central_upload_s)")"
echo "central upload of $(get "$Ce" central_upload_entries) entries: cadodesk sync $(get "$Ce" central_upload_s) s, COPY into a plain table without checks $(get "$Ce" central_copy_plain_s) s, ratio $(div "$(get "$Ce" central_copy_plain_s)" "$(get "$Ce" central_upload_s)")"
log "central export: $REFUNDS refunds over 10 tills"
(
  # shellcheck source=scripts/postgres.sh
  source scripts/postgres.sh
  pg_start
  bash scripts/bench-central-export.sh "$CADODESK" "$CADODESK_TEST_PG_URL" "$REFUNDS" "$OUT"
) >"$OUT/central-export.txt"
Cx="$OUT/central-export.txt"
echo "central export of $(get "$Cx" central_export_rows) refunds over 10 tills ($(div "$(get "$Cx" central_export_bytes)" 1048576) MiB CSV, till and shop columns, what each card had refunded before): cadodesk export refunds --central $(get "$Cx" central_export_s) s (peak $(get "$Cx" central_export_peak_mib) MiB), psql \\copy of the same rows joined $(get "$Cx" central_copy_join_s) s, ratio $(div "$(get "$Cx" central_copy_join_s)" "$(get "$Cx" central_export_s)"); psql \\copy of the refunds table alone $(get "$Cx" central_copy_plain_s) s"

# ----- 6. UI ----------------------------------------------------------------------------------------------------
log "UI ($UI_CHECKOUTS checkouts)"
"$BENCH_BIN" --ui "$UI_CHECKOUTS" >"$OUT/ui.txt" 2>"$OUT/ui.err"
U="$OUT/ui.txt"
if grep -q ui_error "$U"; then
  echo "ui: not measured: $(get "$U" ui_error)"
else
  fm="$(get "$U" ui_frame_ms_median)"
  echo "ui Transactions screen, $(get "$U" ui_rows_loaded) checkouts (headless egui, layout without GPU): cadodesk frame median ${fm} ms p99 $(get "$U" ui_frame_ms_p99) ms, 60 Hz budget 16.7 ms, ratio $(div 16.7 "$fm")"
  echo "ui start: first frame $(get "$U" ui_first_frame_ms) ms, till ready $(get "$U" ui_ready_ms) ms, table of $(get "$U" ui_rows_loaded) loaded in $(get "$U" ui_load_ms) ms; resident memory $(get "$U" ui_rss_mib) MiB (peak $(get "$U" ui_hwm_mib) MiB, $(get "$U" ui_rss_before_mib) MiB before the app)"
fi

# ----- 6b. the counter's CPU under Xvfb ----------------------------------------------------------------------------
log "counter CPU under Xvfb (3 x ${COUNTER_SECONDS}s)"
bash scripts/bench-counter-cpu.sh "$CADODESK" "$OUT" "$COUNTER_SECONDS" >"$OUT/counter-cpu-all.txt"
Cc="$OUT/counter-cpu-all.txt"
echo "counter CPU over $(get "$Cc" counter_cpu_seconds) s under Xvfb (Mesa software rendering), % of one core: no sale $(get "$Cc" counter_cpu_idle_pct) %, a sale waiting for its payment $(get "$Cc" counter_cpu_open_pct) %; the same screen repainted at every frame $(get "$Cc" counter_cpu_continuous_pct) %, ratio $(div "$(get "$Cc" counter_cpu_continuous_pct)" "$(get "$Cc" counter_cpu_open_pct)") (sale waiting)"

# ----- 7. watcher (printed last, measured above while the sandbox ran) -----------------------------------------
echo "watcher, $(get "$W" watch_open_checkouts) open checkouts over $(get "$W" watch_window_s) s: cadodesk $(get "$W" watch_requests_per_min) req/min ($(get "$W" watch_requests) requests), schedule minimum $(get "$W" watch_schedule_per_min) req/min ($(get "$W" watch_schedule_readings) readings), ratio $(div "$(get "$W" watch_schedule_per_min)" "$(get "$W" watch_requests_per_min)") (above 1: fewer requests than the schedule asks, i.e. readings later than scheduled)"
echo "watcher schedule over a simulated hour, 50 checkouts opened in the first minute and never paid: $(get "$W" watch_schedule_hour_per_min) req/min on average ($(get "$W" watch_schedule_hour_readings) readings)"
