#!/usr/bin/env bash
# Reads cadodesk's PDFs with independent tools (poppler-utils): the integration tests
# `z_report::a_z_report_shows_the_till_the_totals_and_the_seal` (a Z report) and
# `receipts::receipt_pdfs_of_a_three_gift_card_sale_and_a_two_card_refund` (a sale's receipt on an 80 mm ticket and on
# A4, a refund note over two cards) write their PDFs and the lines each must show; `pdftotext` must find every one of
# them in the PDF, and `pdftoppm` must render its page.
# Closes with `pdf-test: N passed, M failed`.
#
# Usage: bash scripts/pdf-test.sh [--screenshot]   (--screenshot: also refresh assets/screenshots/z-report.png and
# assets/screenshots/receipt-*.png)
# Env: JUDGES_SKIP_INSTALL=1 (do not run install-deps.sh first).
set -euo pipefail

JUDGE_NAME=pdf-test
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JUDGES_ROOT"

if [[ ${JUDGES_SKIP_INSTALL:-0} != 1 ]]; then
    bash scripts/install-deps.sh
fi
command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null ||
    judges_die "pdftotext and pdftoppm (poppler-utils) are needed: bash scripts/install-deps.sh"

OUT="$(mktemp -d "${TMPDIR:-/tmp}/pdf-test.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
TESTS=(
    z_report::a_z_report_shows_the_till_the_totals_and_the_seal
    receipts::receipt_pdfs_of_a_three_gift_card_sale_and_a_two_card_refund
)
judges_log "writing a Z report and receipts with cargo test (${TESTS[*]})"
CADODESK_PDF_FIXTURES="$OUT" cargo test --quiet --test it -- --exact "${TESTS[@]}" >/dev/null ||
    judges_die "a test that writes the PDFs failed"

passed=0
failed=0
for pdf in "$OUT"/*.pdf; do
    name="$(basename "$pdf" .pdf)"
    pdftotext -layout "$pdf" "$OUT/$name.txt"
    pdfinfo "$pdf" | sed -n 's/^\(Pages\|Page size\|Producer\|Title\):/  &/p'
    # Every expected line, spaces folded (pdftotext lays the figures out on the right), must be in the text.
    if python3 - "$OUT/$name.txt" "$OUT/$name.expected.txt" <<'PYEOF'; then
import re
import sys

def fold(s):
    return re.sub(r"\s+", " ", s.replace("\u00a0", " ").replace("\u202f", " ")).strip()

text = [fold(l) for l in open(sys.argv[1], encoding="utf-8")]
missing = []
for want in open(sys.argv[2], encoding="utf-8").read().splitlines():
    w = fold(want)
    if w and not any(w in l for l in text):
        missing.append(w)
for m in missing:
    print(f"  missing: {m}")
sys.exit(1 if missing else 0)
PYEOF
        judges_log "ok    $name: pdftotext finds every line"
        passed=$((passed + 1))
    else
        judges_log "FAIL  $name: pdftotext does not find the lines above"
        failed=$((failed + 1))
    fi
    # Receipts at 110 dpi: an 80 mm ticket stays readable.
    dpi=100
    [[ $name == receipt-* ]] && dpi=110
    pdftoppm -png -r "$dpi" -f 1 -l 1 "$pdf" "$OUT/$name"
    png="$(ls "$OUT/$name"-*.png 2>/dev/null | head -1)"
    if [[ -s $png ]]; then
        judges_log "ok    $name: pdftoppm renders page 1 ($(stat -c %s "$png") bytes)"
        passed=$((passed + 1))
        if [[ ${1:-} == --screenshot ]]; then
            shot=assets/screenshots/$name.png
            [[ $name == z-day-2 ]] && shot=assets/screenshots/z-report.png
            cp "$png" "$shot"
            judges_log "$shot refreshed"
        fi
    else
        judges_log "FAIL  $name: pdftoppm rendered nothing"
        failed=$((failed + 1))
    fi
done
echo "pdf-test: $passed passed, $failed failed"
((failed == 0 && passed > 0))
