#!/usr/bin/env bash
# Judges the sandbox's Bimpli CADO hosted page in a real browser: Debian's Chromium, headless, driven by
# playwright-core (scripts/browser/test.mjs). Two gift cards plus a Visa remainder land on the returnUrl with
# RETURNMAC; the cancel button cancels; a declined card re-shows the page. Saves a screenshot of the page to
# assets/screenshots/hosted-page.png (and hosted-page-filled.png).
#
# Usage: bash scripts/browser-test.sh
# Env: CADODESK_BIN (skip the build), JUDGES_SKIP_INSTALL=1, HOSTED_PAGE_SCREENSHOT (where to save; empty: none).
set -euo pipefail

JUDGE_NAME=browser-test
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JUDGES_ROOT"

if [[ ${JUDGES_SKIP_INSTALL:-0} != 1 ]]; then
    bash scripts/install-deps.sh --no-python
fi
[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || judges_die "no Chromium at ${CHROMIUM:-/usr/bin/chromium}: run 'bash scripts/install-deps.sh'"
judges_node_modules scripts/browser
judges_log "$("${CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null || echo 'chromium: version unknown')"

cadodesk_build
sandbox_start --refund-delay-ms 300

export HOSTED_PAGE_SCREENSHOT="${HOSTED_PAGE_SCREENSHOT-$JUDGES_ROOT/assets/screenshots/hosted-page.png}"
REPORTS="$(mktemp -d "${TMPDIR:-/tmp}/browser-test.XXXXXX")"
set +e
(cd scripts/browser && node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$REPORTS/browser.tap" test.mjs)
rc=$?
set -e
pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$REPORTS/browser.tap" 2>/dev/null | tail -n 1)"
fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$REPORTS/browser.tap" 2>/dev/null | tail -n 1)"
pass="${pass:-0}"
fail="${fail:-0}"
if [[ $rc != 0 && $fail == 0 ]]; then fail=1; fi
if [[ $pass == 0 && $fail == 0 ]]; then fail=1; fi
if ((fail > 0)); then sandbox_show_log 60; fi
if [[ -n $HOSTED_PAGE_SCREENSHOT && -f $HOSTED_PAGE_SCREENSHOT ]]; then
    judges_log "screenshot: $HOSTED_PAGE_SCREENSHOT"
fi
sandbox_stop
echo "browser-test: $pass passed, $fail failed"
((fail == 0))
