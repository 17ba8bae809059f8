#!/usr/bin/env bash
# Judges `cadodesk sandbox` with the official Worldline Direct SDKs, unchanged:
#   - Python (onlinepayments-sdk-python3, pytest): scripts/sdk/python/test_sdk.py
#   - Node (onlinepayments-sdk-nodejs, node --test): scripts/sdk/node/test.mjs
# It builds the binary, starts one sandbox on a free loopback port (refunds settle after 300 ms, webhooks signed with
# the default webhook key), runs both suites against it and closes with `sdk-conformance: N passed, M failed`.
#
# Usage: bash scripts/sdk-conformance.sh [extra pytest args…]
# Env: CADODESK_BIN (skip the build), JUDGES_SKIP_INSTALL=1 (do not run install-deps.sh --no-apt first).
set -euo pipefail

JUDGE_NAME=sdk-conformance
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JUDGES_ROOT"

if [[ ${JUDGES_SKIP_INSTALL:-0} != 1 ]]; then
    bash scripts/install-deps.sh --no-apt
fi
PY="$(judges_venv_python)"
export PYTHONDONTWRITEBYTECODE=1
judges_node_modules scripts/sdk/node

cadodesk_build
sandbox_start --refund-delay-ms 300 \
    --webhook-key-id "$SANDBOX_WEBHOOK_KEY_ID" --webhook-secret "$SANDBOX_WEBHOOK_SECRET"

REPORTS="$(mktemp -d "${TMPDIR:-/tmp}/sdk-conformance.XXXXXX")"
passed=0
failed=0

# --- Python -----------------------------------------------------------------------------------------------------
judges_log "official Python SDK ($("$PY" -m pip show onlinepayments-sdk-python3 2>/dev/null | sed -n 's/^Version: //p'))"
set +e
"$PY" -m pytest scripts/sdk/python/test_sdk.py -v -p no:cacheprovider --junitxml="$REPORTS/python.xml" "$@"
py_rc=$?
set -e
read -r py_pass py_fail < <("$PY" - "$REPORTS/python.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1)
    sys.exit()
suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
tests = sum(int(s.get("tests", 0)) for s in suites)
bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) + int(s.get("skipped", 0)) for s in suites)
print(tests - bad, bad)
EOF
)
if [[ $py_rc != 0 && $py_fail == 0 ]]; then py_fail=1; fi # pytest failed without a test to blame (collection error)
if [[ $py_pass == 0 && $py_fail == 0 ]]; then py_fail=1; fi # no test ran: that is a failure here
judges_log "python: $py_pass passed, $py_fail failed"
passed=$((passed + py_pass))
failed=$((failed + py_fail))

# --- Node -------------------------------------------------------------------------------------------------------
# A fresh sandbox: gift-card balances fell during the Python run, and the Node run pays with the same cards.
sandbox_stop
sandbox_start --refund-delay-ms 300 \
    --webhook-key-id "$SANDBOX_WEBHOOK_KEY_ID" --webhook-secret "$SANDBOX_WEBHOOK_SECRET"
judges_log "official Node SDK ($(node -p 'require("./scripts/sdk/node/node_modules/onlinepayments-sdk-nodejs/package.json").version'))"
set +e
(cd scripts/sdk/node && node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$REPORTS/node.tap" test.mjs)
node_rc=$?
set -e
node_pass="$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$REPORTS/node.tap" 2>/dev/null | tail -n 1)"
node_fail="$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$REPORTS/node.tap" 2>/dev/null | tail -n 1)"
node_pass="${node_pass:-0}"
node_fail="${node_fail:-0}"
if [[ $node_rc != 0 && $node_fail == 0 ]]; then node_fail=1; fi
if [[ $node_pass == 0 && $node_fail == 0 ]]; then node_fail=1; fi
judges_log "node: $node_pass passed, $node_fail failed"
passed=$((passed + node_pass))
failed=$((failed + node_fail))

if ((failed > 0)); then
    sandbox_show_log 60
fi
sandbox_stop
echo "sdk-conformance: $passed passed, $failed failed"
((failed == 0))
