"""Schemathesis hooks for fuzzing `cadodesk sandbox` with the official OpenAPI contract.

- Every request is signed with v1HMAC by the official Python SDK's own authenticator, so the fuzzer reaches the
  operations instead of bouncing on 403.
- `merchantId` is always the sandbox's merchant; `paymentId` / `hostedCheckoutId` are drawn either by the fuzzer or
  from real, paid objects seeded before the run (SCHEMATHESIS_PAYMENT_IDS, SCHEMATHESIS_CHECKOUT_IDS), so refunds,
  captures and cancels run through the real state machine too.
- The sandbox must never be made to call out of this machine: webhook URLs in generated bodies are removed or
  pointed at a closed loopback port.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit
from wsgiref.handlers import format_date_time
import time

import requests
import schemathesis
from hypothesis import strategies as st

from onlinepayments.sdk.authentication.v1hmac_authenticator import V1HmacAuthenticator
from onlinepayments.sdk.communication.metadata_provider import MetadataProvider
from onlinepayments.sdk.communication.request_header import RequestHeader
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration

SANDBOX_URL = os.environ["SANDBOX_URL"]
MERCHANT_ID = os.environ.get("SANDBOX_MERCHANT_ID", "cadodesk-sandbox")
PAYMENT_IDS = [p for p in os.environ.get("SCHEMATHESIS_PAYMENT_IDS", "").split(",") if p]
CHECKOUT_IDS = [c for c in os.environ.get("SCHEMATHESIS_CHECKOUT_IDS", "").split(",") if c]
# Nothing listens on the discard port: a test webhook sent there fails at once and stays on this machine.
CLOSED_LOOPBACK_URL = "http://127.0.0.1:9/webhooks"

_configuration = CommunicatorConfiguration(
    api_endpoint=SANDBOX_URL,
    api_key_id=os.environ.get("SANDBOX_API_KEY_ID", "sandbox-key-id"),
    secret_api_key=os.environ.get("SANDBOX_API_SECRET", "sandbox-secret"),
    authorization_type="v1HMAC",
    connect_timeout=5,
    socket_timeout=30,
    integrator="cadodesk-schemathesis",
)
_authenticator = V1HmacAuthenticator(_configuration)
_server_meta = MetadataProvider("cadodesk-schemathesis").metadata_headers


@schemathesis.hook
def flatmap_path_parameters(ctx, params):
    params = dict(params or {})
    params["merchantId"] = MERCHANT_ID
    options = [st.just(params)]
    if "paymentId" in params and PAYMENT_IDS:
        options.append(st.sampled_from(PAYMENT_IDS).map(lambda p: {**params, "paymentId": p}))
    if "hostedCheckoutId" in params and CHECKOUT_IDS:
        options.append(st.sampled_from(CHECKOUT_IDS).map(lambda c: {**params, "hostedCheckoutId": c}))
    return st.one_of(*options)


@schemathesis.hook
def map_body(ctx, body):
    if not isinstance(body, dict):
        return body
    path = ctx.operation.path if ctx.operation is not None else ""
    if path.endswith("/webhooks/sendtest"):
        return {**body, "url": CLOSED_LOOPBACK_URL}
    if path.endswith("/hostedcheckouts") and "feedbacks" in body:
        return {k: v for k, v in body.items() if k != "feedbacks"}
    return body


@schemathesis.hook
def before_call(ctx, case, kwargs):
    """Signs the request exactly as it will be sent."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() not in ("authorization", "date")}
    transport = case.as_transport_kwargs(base_url=SANDBOX_URL, headers=headers)
    url = urlsplit(requests.utils.requote_uri(transport["url"]))
    if transport.get("params"):
        prepared = requests.Request("GET", transport["url"], params=transport["params"]).prepare()
        url = urlsplit(prepared.url)
    sent_headers = dict(transport.get("headers") or {})
    method = case.method.upper()
    content_type = ""
    if method != "GET":
        content_type = next((v for k, v in sent_headers.items() if k.lower() == "content-type"), "")
        if not content_type and ("json" in transport or transport.get("data") is not None):
            content_type = "application/json"
    date = format_date_time(time.time())
    signed = [RequestHeader("Date", date)] + [RequestHeader(h.name, h.value) for h in _server_meta]
    if content_type:
        signed.append(RequestHeader("Content-Type", content_type))
    for k, v in sent_headers.items():
        if k.lower().startswith("x-gcs") and k.lower() != "x-gcs-servermetainfo":
            signed.append(RequestHeader(k, str(v)))
    authorization = _authenticator.get_authorization(method, url, signed)
    case.headers = {**headers, "Date": date, "Authorization": authorization,
                    **{h.name: h.value for h in _server_meta}}
    if content_type:
        case.headers["Content-Type"] = content_type
