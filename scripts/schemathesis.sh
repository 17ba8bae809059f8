#!/usr/bin/env bash
# Fuzzes `cadodesk sandbox` with schemathesis from the official OpenAPI contract
# (tests/data/worldline-direct-openapi-v2.yaml), limited to the operations the sandbox implements. Requests are
# signed by a hook (scripts/schemathesis/hooks.py, the official Python SDK's authenticator) and some draw real paid
# payments seeded first (scripts/schemathesis/seed.py). Asserts that no request gets a 5xx and that the sandbox
# survives the whole run. Bounded: SCHEMATHESIS_MAX_EXAMPLES (default 40) cases per operation, fixed seed.
#
# Usage: bash scripts/schemathesis.sh [extra schemathesis args…]
set -euo pipefail

JUDGE_NAME=schemathesis
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$JUDGES_ROOT"

if [[ ${JUDGES_SKIP_INSTALL:-0} != 1 ]]; then
    bash scripts/install-deps.sh --no-apt --no-node
fi
PY="$(judges_venv_python)"
export PYTHONDONTWRITEBYTECODE=1
[[ -x $JUDGES_ROOT/.venv/bin/schemathesis ]] || judges_die "schemathesis missing from .venv: run scripts/install-deps.sh"

cadodesk_build
sandbox_start --refund-delay-ms 300

seed_out="$("$PY" scripts/schemathesis/seed.py)" || judges_die "could not seed the sandbox: $seed_out"
SCHEMATHESIS_PAYMENT_IDS="$(sed -n 's/^PAYMENT_IDS=//p' <<<"$seed_out")"
SCHEMATHESIS_CHECKOUT_IDS="$(sed -n 's/^CHECKOUT_IDS=//p' <<<"$seed_out")"
export SCHEMATHESIS_PAYMENT_IDS SCHEMATHESIS_CHECKOUT_IDS
judges_log "seeded payments: $SCHEMATHESIS_PAYMENT_IDS"

OPERATIONS=(CreateHostedCheckoutApi GetHostedCheckoutApi GetPaymentApi GetPaymentDetailsApi RefundPaymentApi
    GetRefundsApi CapturePaymentApi CancelPaymentApi TestConnectionApi ValidateWebhookCredentialsApi
    SendTestWebhookApi)
include=()
for op in "${OPERATIONS[@]}"; do include+=(--include-operation-id "$op"); done

REPORTS="$(mktemp -d "${TMPDIR:-/tmp}/schemathesis.XXXXXX")"
set +e
PYTHONPATH="$JUDGES_ROOT/scripts/schemathesis${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=hooks \
    "$JUDGES_ROOT/.venv/bin/schemathesis" run tests/data/worldline-direct-openapi-v2.yaml \
    --url "$SANDBOX_URL" "${include[@]}" \
    --checks not_a_server_error \
    --phases examples,coverage,fuzzing \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
    --seed "${SCHEMATHESIS_SEED:-20261126}" \
    --workers 1 --request-timeout 10 --no-color --generation-database none \
    --report junit --report-junit-path "$REPORTS/junit.xml" "$@"
rc=$?
set -e

alive=1
if ! kill -0 "$SANDBOX_PID" 2>/dev/null; then
    alive=0
    judges_log "the sandbox died during the run"
    sandbox_show_log 60
fi
read -r passed failed < <("$PY" - "$REPORTS/junit.xml" <<'PYEOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 1)
    sys.exit()
cases = list(root.iter("testcase"))
bad = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
print(len(cases) - bad, bad)
PYEOF
)
if ((alive == 0)); then failed=$((failed + 1)); fi
if [[ $rc != 0 && $failed == 0 ]]; then failed=1; fi
if [[ $passed == 0 && $failed == 0 ]]; then failed=1; fi
if ((failed > 0)); then sandbox_show_log 40; fi
sandbox_stop
echo "schemathesis: $passed passed, $failed failed"
((failed == 0))
