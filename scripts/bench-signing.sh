#!/usr/bin/env bash
# v1HMAC signing throughput: cadodesk's signer against the official Python SDK's V1HmacAuthenticator, on the
# same fixed requests (the Rust bench prints them), run side by side. Prints one line:
#   signing: cadodesk X/s, Python SDK Y/s, ratio Z
# Needs python3 with venv and network access to PyPI (the SDK is installed in a throwaway virtualenv).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CADODESK_BENCH_VENV:-${TMPDIR:-/tmp}/cadodesk-bench-venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import onlinepayments' 2>/dev/null ||
  "$venv/bin/pip" install --quiet --disable-pip-version-check onlinepayments-sdk-python3==10.3.0

# BENCH_BIN: an already built bench executable (scripts/bench.sh passes its own); otherwise cargo builds one.
if [ -n "${BENCH_BIN:-}" ]; then
  bench() { "$BENCH_BIN" "$@"; }
else
  cargo bench --quiet --bench bench --no-run
  bench() { cargo bench --quiet --bench bench -- "$@"; }
fi
inputs="$(bench --signing-inputs)"
rust_rate="$(bench --signing | sed -n 's/^signing_per_second=//p')"

python_rate="$(SIGNING_INPUTS="$inputs" "$venv/bin/python" - <<'PY'
import json, os, sys, time
from urllib.parse import urlparse
from onlinepayments.sdk.authentication.v1hmac_authenticator import V1HmacAuthenticator
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.communication.request_header import RequestHeader

cases = []
for i in json.loads(os.environ["SIGNING_INPUTS"]):
    config = CommunicatorConfiguration(
        api_endpoint="https://payment.preprod.direct.worldline-solutions.com",
        api_key_id=i["keyId"], secret_api_key=i["secret"], authorization_type="v1HMAC",
        connect_timeout=5, socket_timeout=20, integrator="cadodesk-bench")
    auth = V1HmacAuthenticator(config)
    uri = urlparse("https://payment.preprod.direct.worldline-solutions.com" + i["path"]
                   + ("?" + i["query"] if i["query"] else ""))
    headers = [RequestHeader(n, v) for n, v in i["headers"]]
    got = auth.get_authorization(i["method"], uri, headers)
    if got != i["expected"]:
        sys.exit(f"the SDK signs {i['method']} {i['path']} differently: {got} != {i['expected']}")
    cases.append((auth, i["method"], uri, headers))

for auth, m, u, h in cases:  # warm-up
    auth.get_authorization(m, u, h)
count, start = 0, time.perf_counter()
while time.perf_counter() - start < 2.0:
    for _ in range(20):
        for auth, m, u, h in cases:
            auth.get_authorization(m, u, h)
    count += 20 * len(cases)
print(f"{count / (time.perf_counter() - start):.0f}")
PY
)"

ratio="$(python3 -c "print(f'{$rust_rate / $python_rate:.1f}')")"
human() { python3 -c "r=$1; print(f'{r/1e6:.2f} M' if r >= 1e6 else f'{r/1e3:.0f} k' if r >= 1e3 else f'{r:.0f} ')"; }
echo "signing: cadodesk $(human "$rust_rate")/s, Python SDK $(human "$python_rate")/s, ratio ${ratio}"
