#!/usr/bin/env bash
# The central export against psql: REFUNDS refunds over 10 tills written straight into the centre's derived tables
# (the rows the tills' entries would have made), then `cadodesk export refunds --central` against `psql \copy` of
# the same rows (the export's join, and the refunds table alone). Prints key=value lines.
#
# Usage: bash scripts/bench-central-export.sh CADODESK_BINARY ADMIN_URL REFUNDS OUTDIR
set -euo pipefail
BIN="$1"; SERVER="$2"; REFUNDS="$3"; OUT="$4"
mkdir -p "$OUT"
db="cadodesk_export_bench_$$"
psql -X -q "$SERVER" -c "CREATE DATABASE $db"
ADMIN="${SERVER%/*}/$db"
trap 'psql -X -q "$SERVER" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
"$BIN" central init --url "$ADMIN" >/dev/null
for n in 01 02 03 04 05 06 07 08 09 10; do
  shop=Paris; [[ $n > 05 ]] && shop=Lyon
  "$BIN" central add-till --url "$ADMIN" --till "T$n" --shop "$shop" >/dev/null 2>&1
done
# Two refunds per sale, one card per sale; times spread over 2026.
sales=$((REFUNDS / 2))
start=$(date +%s.%N)
psql -X -q "$ADMIN" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO cadodesk.checkouts (till, merchant_reference, hosted_checkout_id, amount_cents, state, operator,
    created_at, updated_at, seq)
SELECT 'T' || lpad((1 + i % 10)::text, 2, '0'), 'CD-T' || lpad((1 + i % 10)::text, 2, '0') || '-' || i,
    (4000000000 + i)::text, 5000, 'paid', 'ana',
    to_char(timestamp '2026-01-01' + (i % 360) * interval '1 day' + (i % 36000) * interval '1 second',
        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    '2026-01-01T00:00:00.000Z', i
FROM generate_series(1, $sales) i;
INSERT INTO cadodesk.tenders (payment_id, till, hosted_checkout_id, position, product_id, masked_number,
    amount_cents, captured_cents, status, updated_at, seq)
SELECT (4000000000 + i)::text || '_0', 'T' || lpad((1 + i % 10)::text, 2, '0'), (4000000000 + i)::text, 1,
    CASE WHEN i % 3 = 0 THEN 1 ELSE 3103 END, '************0026', 5000, 5000, 'CAPTURED',
    '2026-01-01T00:00:00.000Z', i
FROM generate_series(1, $sales) i;
INSERT INTO cadodesk.refunds (till, idempotence_key, number, payment_id, hosted_checkout_id, refund_id,
    amount_cents, reason, state, external, operator, created_at, updated_at, final_at, seq)
SELECT 'T' || lpad((1 + i % 10)::text, 2, '0'), md5(i::text || '-' || k), 2 * (i / 10) + k + 1,
    (4000000000 + i)::text || '_0', (4000000000 + i)::text, (4000000000 + i)::text || '_' || (k + 1),
    1000 + k * 500, 'retour', 'refunded', false, 'ana',
    to_char(timestamp '2026-01-02' + (i % 360) * interval '1 day' + (i % 36000) * interval '1 second'
        + k * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    '2026-12-31T00:00:00.000Z', '2026-12-31T00:00:00.000Z', i
FROM generate_series(1, $sales) i, generate_series(0, 1) k;
ANALYZE;
SQL
echo "central_export_fill_s=$(python3 -c "import time,sys; print(f'{time.time()-float(sys.argv[1]):.1f}')" "$start")"
echo "central_export_refunds=$(psql -X -qtA "$ADMIN" -c 'SELECT count(*) FROM cadodesk.refunds')"
data="$(mktemp -d)"
/usr/bin/time -f '%e %M' -o "$OUT/central-export.time" \
  "$BIN" --data-dir "$data" export refunds --central="$ADMIN" --from 2026-01-01 --to 2027-01-31 --format rfc4180 \
  -o "$OUT/central-export.csv" --json >"$OUT/central-export.json"
read -r ce_s ce_kib <"$OUT/central-export.time"
echo "central_export_s=$ce_s"
echo "central_export_peak_mib=$((ce_kib / 1024))"
echo "central_export_rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rows"])' "$OUT/central-export.json")"
echo "central_export_bytes=$(stat -c %s "$OUT/central-export.csv")"
/usr/bin/time -f '%e %M' -o "$OUT/central-copy-join.time" psql -X -q "$ADMIN" -c "\\copy (SELECT r.till, tl.shop, r.number, r.created_at, c.merchant_reference, r.payment_id, r.refund_id, t.product_id, t.masked_number, r.amount_cents, r.state, r.reason, r.operator, c.amount_cents, t.captured_cents, r.external, r.final_at FROM cadodesk.refunds r JOIN cadodesk.tenders t ON t.payment_id = r.payment_id JOIN cadodesk.checkouts c ON c.till = t.till AND c.hosted_checkout_id = t.hosted_checkout_id JOIN cadodesk.tills tl ON tl.code = r.till WHERE r.created_at >= '2025-12-31T23:00:00.000Z' AND r.created_at < '2027-01-31T23:00:00.000Z' ORDER BY r.till, r.number) TO '$OUT/central-copy-join.csv' CSV HEADER"
read -r cj_s _ <"$OUT/central-copy-join.time"
echo "central_copy_join_s=$cj_s"
/usr/bin/time -f '%e %M' -o "$OUT/central-copy-plain.time" psql -X -q "$ADMIN" -c "\\copy cadodesk.refunds TO '$OUT/central-copy-plain.csv' CSV HEADER"
read -r cp_s _ <"$OUT/central-copy-plain.time"
echo "central_copy_plain_s=$cp_s"
rm -rf "$data"
