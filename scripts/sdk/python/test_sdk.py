"""The official Worldline Direct Python SDK, unchanged, against `cadodesk sandbox`.

The sandbox must be indistinguishable from the platform for this SDK: same paths, signatures, JSON names, status
codes, error bodies, idempotence headers and webhook signatures. Run through scripts/sdk-conformance.sh, which starts
the sandbox and exports SANDBOX_URL and the SANDBOX_* credentials.

The tests share one paid checkout (two gift cards and a Visa remainder) built once by session fixtures; each test
asserts one part of the conformance story.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from onlinepayments.sdk.authorization_exception import AuthorizationException
from onlinepayments.sdk.communication.communication_exception import CommunicationException
from onlinepayments.sdk.call_context import CallContext
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.communication.request_header import RequestHeader
from onlinepayments.sdk.declined_refund_exception import DeclinedRefundException
from onlinepayments.sdk.domain.create_hosted_checkout_request import CreateHostedCheckoutRequest
from onlinepayments.sdk.domain.refund_request import RefundRequest
from onlinepayments.sdk.domain.send_test_request import SendTestRequest
from onlinepayments.sdk.domain.validate_credentials_request import ValidateCredentialsRequest
from onlinepayments.sdk.factory import Factory
from onlinepayments.sdk.idempotence_exception import IdempotenceException
from onlinepayments.sdk.json.default_marshaller import DefaultMarshaller
from onlinepayments.sdk.reference_exception import ReferenceException
from onlinepayments.sdk.validation_exception import ValidationException
from onlinepayments.sdk.webhooks.in_memory_secret_key_store import InMemorySecretKeyStore
from onlinepayments.sdk.webhooks.signature_validation_exception import SignatureValidationException
from onlinepayments.sdk.webhooks.webhooks_helper import WebhooksHelper

SANDBOX_URL = os.environ.get("SANDBOX_URL", "")
MERCHANT_ID = os.environ.get("SANDBOX_MERCHANT_ID", "cadodesk-sandbox")
API_KEY_ID = os.environ.get("SANDBOX_API_KEY_ID", "sandbox-key-id")
API_SECRET = os.environ.get("SANDBOX_API_SECRET", "sandbox-secret")
WEBHOOK_KEY_ID = os.environ.get("SANDBOX_WEBHOOK_KEY_ID", "sandbox-webhook-key-id")
WEBHOOK_SECRET = os.environ.get("SANDBOX_WEBHOOK_SECRET", "sandbox-webhook-secret")

AMOUNT = 12000  # 120,00 €: 50 € + 20 € on gift cards, 50 € on the Visa remainder
GIFT_50 = "6299000000000002"
GIFT_20 = "6299000000000003"
GIFT_REFUND_DECLINED = "6299000000000006"
VISA = "4012000033330026"
PAYMENT_ID = re.compile(r"^\d{10}_\d+$")
# How long to wait for something asynchronous (a webhook, a refund settling). Polling, not a timed assertion.
WAIT_SECONDS = 20

pytestmark = pytest.mark.skipif(not SANDBOX_URL, reason="SANDBOX_URL is not set (run scripts/sdk-conformance.sh)")


# --------------------------------------------------------------------------------------------------- helpers


def make_client(secret: str = API_SECRET, key_id: str = API_KEY_ID):
    configuration = CommunicatorConfiguration(
        api_endpoint=SANDBOX_URL,
        api_key_id=key_id,
        secret_api_key=secret,
        authorization_type="v1HMAC",
        connect_timeout=5,
        socket_timeout=30,
        max_connections=4,
        integrator="cadodesk-conformance",
    )
    return Factory.create_client_from_configuration(configuration)


def checkout_request(return_url: str, webhook_url: str | None = None, amount: int = AMOUNT,
                     reference: str | None = None) -> CreateHostedCheckoutRequest:
    body = {
        "order": {
            "amountOfMoney": {"amount": amount, "currencyCode": "EUR"},
            "customer": {"contactDetails": {"emailAddress": "jean.dupont@example.com"}},
            "references": {"merchantReference": reference or f"CONF-{uuid.uuid4().hex[:12]}"},
        },
        "hostedCheckoutSpecificInput": {"locale": "fr_FR", "returnUrl": return_url},
        "redirectPaymentMethodSpecificInput": {
            "paymentProductId": 3103,
            "paymentProduct3103SpecificInput": {"completeRemainingPaymentAmount": True},
        },
        "cardPaymentMethodSpecificInput": {"authorizationMode": "SALE"},
    }
    if webhook_url:
        body["feedbacks"] = {"webhooksUrls": [webhook_url]}
    request = CreateHostedCheckoutRequest().from_dictionary(body)
    # The SDK model silently drops names it does not know; make sure every field above is really sent.
    assert request.to_dictionary() == body
    return request


def refund_request(amount: int, reference: str) -> RefundRequest:
    body = {
        "amountOfMoney": {"amount": amount, "currencyCode": "EUR"},
        "operationReferences": {"merchantReference": reference},
        "reason": "Retour client",
    }
    request = RefundRequest().from_dictionary(body)
    assert request.to_dictionary() == body
    return request


def pay_on_hosted_page(redirect_url: str, fields: dict) -> requests.Response:
    """Posts the hosted page's form as a browser without JavaScript would, and does not follow the redirect."""
    page = requests.get(redirect_url, timeout=10)
    assert page.status_code == 200, f"GET redirectUrl: {page.status_code} {page.text[:300]}"
    return requests.post(redirect_url, data=fields, allow_redirects=False, timeout=30)


def split_payment_fields() -> dict:
    return {
        "giftcard1_number": GIFT_50, "giftcard1_expiry": "12/30", "giftcard1_cvv": "123",
        "giftcard2_number": GIFT_20, "giftcard2_expiry": "12/30", "giftcard2_cvv": "123",
        "giftcard3_number": "", "giftcard3_expiry": "", "giftcard3_cvv": "",
        "card_number": VISA, "card_expiry": "05/30", "card_cvv": "123",
        "action": "pay",
    }


def webhook_credentials_secret(secret: str) -> str:
    """What validateCredentials expects as `secret`: the signature of an empty body."""
    return base64.b64encode(hmac.new(secret.encode(), b"", hashlib.sha256).digest()).decode()


def product_of(payment) -> int | None:
    output = payment.payment_output
    if output.redirect_payment_method_specific_output is not None:
        return output.redirect_payment_method_specific_output.payment_product_id
    if output.card_payment_method_specific_output is not None:
        return output.card_payment_method_specific_output.payment_product_id
    return None


def set_fault(rule: dict | None) -> None:
    """Adds a rule to the sandbox's fault switchboard, or clears every rule."""
    if rule is None:
        answer = requests.delete(f"{SANDBOX_URL}/sandbox/faults", timeout=10)
    else:
        answer = requests.post(f"{SANDBOX_URL}/sandbox/faults", json=rule, timeout=10)
    assert answer.status_code < 300, f"fault switchboard: {answer.status_code} {answer.text[:300]}"


def error_summary(e) -> str:
    return f"HTTP {e.status_code}: {e.response_body}"


# --------------------------------------------------------------------------------------------------- fixtures


class Receiver:
    """A tiny merchant site on loopback: it takes webhooks (POST) and customers coming back (GET)."""

    def __init__(self):
        self.webhooks: "queue.Queue[tuple[list[tuple[str, str]], bytes, str]]" = queue.Queue()
        self.returns: "queue.Queue[str]" = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.webhooks.put((list(self.headers.items()), body, self.path))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):  # noqa: N802
                receiver.returns.put(self.path)
                payload = b"<html><body>merci</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True)
        self.thread.start()
        self.seen: list[tuple[list[tuple[str, str]], bytes, str]] = []

    def wait_webhooks(self, predicate, what: str):
        """Waits until a received webhook satisfies predicate(headers, body, path); returns it."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            for item in self.seen:
                if predicate(*item):
                    return item
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                kinds = [json.loads(b or b"{}").get("type") for _, b, _ in self.seen]
                pytest.fail(f"no webhook {what} within {WAIT_SECONDS}s; received types: {kinds}")
            try:
                self.seen.append(self.webhooks.get(timeout=min(remaining, 0.5)))
            except queue.Empty:
                pass

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def client():
    with make_client() as c:
        yield c


@pytest.fixture(scope="session")
def merchant(client):
    return client.merchant(MERCHANT_ID)


@pytest.fixture(scope="session")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="session")
def helper():
    store = InMemorySecretKeyStore.instance()
    store.store_secret_key(WEBHOOK_KEY_ID, WEBHOOK_SECRET)
    return WebhooksHelper(DefaultMarshaller.instance(), store)


@pytest.fixture(scope="session")
def checkout(merchant, receiver):
    """A created, not yet paid 3103 checkout with the receiver as returnUrl and webhook URL."""
    request = checkout_request(f"{receiver.base}/return?order=42", f"{receiver.base}/webhooks")
    response = merchant.hosted_checkout().create_hosted_checkout(request)
    return request, response


@pytest.fixture(scope="session")
def paid(checkout, receiver):
    """The checkout above paid on the hosted page with two gift cards and the Visa remainder."""
    _, created = checkout
    answer = pay_on_hosted_page(created.redirect_url, split_payment_fields())
    assert answer.status_code in (302, 303), \
        f"POST pay: expected a 302/303 redirect to returnUrl, got {answer.status_code}: {answer.text[:500]}"
    location = answer.headers["Location"]
    # Follow it, as the customer's browser would.
    landed = requests.get(location, timeout=10)
    return location, landed


@pytest.fixture(scope="session")
def first_payment(merchant, checkout, paid):
    _, created = checkout
    got = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id)
    return got.created_payment_output.payment


@pytest.fixture(scope="session")
def tenders(merchant, first_payment):
    """The tenders of the paid checkout: [(payment id, amount, product id)] in the order of Operations."""
    details = merchant.payments().get_payment_details(first_payment.id)
    result = []
    for op in details.operations or []:
        if op.status == "CAPTURED":
            payment = merchant.payments().get_payment(op.id)
            result.append((op.id, op.amount_of_money.amount, product_of(payment)))
    return result


@pytest.fixture(scope="session")
def idempotent_refund(merchant, tenders):
    """A partial refund of 15,00 € on the 50 € gift card with an idempotence key, then the same call again."""
    gift_50 = next(t for t in tenders if t[2] == 3103 and t[1] == 5000)
    key = str(uuid.uuid4())
    first_context = CallContext(idempotence_key=key)
    first = merchant.payments().refund_payment(gift_50[0], refund_request(1500, "RMB-1"), first_context)
    replay_context = CallContext(idempotence_key=key)
    replay = merchant.payments().refund_payment(gift_50[0], refund_request(1500, "RMB-1"), replay_context)
    return gift_50, first, first_context, replay, replay_context


# --------------------------------------------------------------------------------------------------- tests


def test_connection(merchant):
    assert merchant.services().test_connection().result == "OK"


def test_create_hosted_checkout(checkout, receiver):
    request, created = checkout
    assert created.hosted_checkout_id, "hostedCheckoutId missing"
    assert isinstance(created.hosted_checkout_id, str)
    assert created.returnmac, "RETURNMAC missing"
    assert created.merchant_reference == request.order.references.merchant_reference
    parts = urlsplit(created.redirect_url)
    assert parts.scheme == "http" and parts.netloc == urlsplit(SANDBOX_URL).netloc, created.redirect_url
    assert created.partial_redirect_url, "partialRedirectUrl missing"
    assert created.redirect_url.endswith(created.partial_redirect_url), \
        (created.redirect_url, created.partial_redirect_url)


def test_get_hosted_checkout_in_progress(merchant, receiver):
    created = merchant.hosted_checkout().create_hosted_checkout(checkout_request(f"{receiver.base}/return"))
    got = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id)
    assert got.status == "IN_PROGRESS"
    assert got.created_payment_output is None


def test_hosted_page_is_french_form(checkout):
    _, created = checkout
    page = requests.get(created.redirect_url, timeout=10)
    assert page.status_code == 200
    assert page.headers.get("Content-Type", "").startswith("text/html")
    html = page.text
    for name in ["giftcard1_number", "giftcard1_expiry", "giftcard1_cvv", "giftcard2_number", "giftcard3_number",
                 "card_number", "card_expiry", "card_cvv", "action"]:
        assert f'name="{name}"' in html, f"form field {name} missing"
    assert 'lang="fr' in html, "fr_FR checkout should give a French page"
    assert "120,00" in html, "amount in French format (120,00) not shown"


def test_complete_hosted_page_returns_to_return_url(checkout, paid, receiver):
    _, created = checkout
    location, landed = paid
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{receiver.base}/return", location
    query = parse_qs(parts.query)
    assert query.get("order") == ["42"], f"the returnUrl's own query must be kept: {location}"
    assert query.get("RETURNMAC") == [created.returnmac], location
    assert query.get("hostedCheckoutId") == [created.hosted_checkout_id], location
    assert landed.status_code == 200
    assert receiver.returns.get(timeout=5).startswith("/return?")


def test_get_hosted_checkout_paid(merchant, checkout, paid):
    _, created = checkout
    got = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id)
    assert got.status == "PAYMENT_CREATED"
    output = got.created_payment_output
    assert output is not None
    assert output.payment_status_category == "SUCCESSFUL"
    payment = output.payment
    assert PAYMENT_ID.match(payment.id) and payment.id.endswith("_0"), payment.id
    assert payment.status == "CAPTURED"
    assert payment.status_output.status_code == 9
    assert payment.status_output.status_category == "COMPLETED"
    assert payment.status_output.is_refundable is True
    assert payment.hosted_checkout_specific_output.hosted_checkout_id == created.hosted_checkout_id


def test_payment_details_lists_three_tenders(merchant, first_payment, tenders):
    assert [t[1] for t in tenders] == [5000, 2000, 5000], tenders
    assert [t[2] for t in tenders] == [3103, 3103, 1], tenders
    assert sum(t[1] for t in tenders) == AMOUNT
    ids = [t[0] for t in tenders]
    assert len(set(ids)) == 3 and all(PAYMENT_ID.match(i) and i.endswith("_0") for i in ids), ids
    assert first_payment.id == ids[0]
    details = merchant.payments().get_payment_details(first_payment.id)
    assert details.id == first_payment.id
    assert details.status == "CAPTURED"
    for op in details.operations:
        assert op.status_output.status_code == 9
        assert op.amount_of_money.currency_code == "EUR"
        assert op.payment_method in ("redirect", "card"), op.payment_method
    # Any tender lists the whole checkout.
    visa_details = merchant.payments().get_payment_details(ids[2])
    assert [op.id for op in visa_details.operations if op.status == "CAPTURED"] == ids


def test_get_payment_per_tender(merchant, tenders):
    gift, _, visa = tenders
    payment = merchant.payments().get_payment(gift[0])
    assert payment.payment_output.payment_method == "redirect"
    assert payment.payment_output.amount_of_money.amount == 5000
    assert payment.payment_output.acquired_amount.amount == 5000
    card = merchant.payments().get_payment(visa[0])
    assert card.payment_output.payment_method == "card"
    masked = card.payment_output.card_payment_method_specific_output.card.card_number
    assert masked and VISA not in masked and masked.endswith("0026"), masked


def test_partial_refund_with_idempotence_key_and_replay(idempotent_refund):
    gift_50, first, first_context, replay, replay_context = idempotent_refund
    assert PAYMENT_ID.match(first.id) and first.id.split("_")[0] == gift_50[0].split("_")[0], first.id
    assert first.id != gift_50[0]
    assert first.status == "REFUND_REQUESTED"
    assert first.status_output.status_code == 81
    assert first.refund_output.amount_of_money.amount == 1500
    assert first.refund_output.amount_of_money.currency_code == "EUR"
    assert first_context.idempotence_request_timestamp is None, \
        "the first attempt must not carry X-GCS-Idempotence-Request-Timestamp"
    assert replay.id == first.id, "a replay with the same key must return the same refund"
    assert replay_context.idempotence_request_timestamp is not None, \
        "the replay must carry X-GCS-Idempotence-Request-Timestamp"
    now_ms = time.time() * 1000
    assert abs(now_ms - int(replay_context.idempotence_request_timestamp)) < 10 * 60 * 1000, \
        "X-GCS-Idempotence-Request-Timestamp is not epoch milliseconds"


def test_get_refunds_and_settlement(merchant, idempotent_refund):
    gift_50, first, *_ = idempotent_refund
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        refunds = merchant.refunds().get_refunds(gift_50[0]).refunds
        assert [r.id for r in refunds] == [first.id], "exactly one refund, the replay made none"
        if refunds[0].status == "REFUNDED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert refunds[0].status == "REFUNDED"
    assert refunds[0].status_output.status_code == 8
    assert refunds[0].refund_output.amount_of_money.amount == 1500
    details = merchant.payments().get_payment_details(gift_50[0])
    refund_ops = [op for op in details.operations if op.id == first.id]
    assert len(refund_ops) == 1 and refund_ops[0].amount_of_money.amount == 1500, \
        "the refund must appear in Operations"


def test_over_refund_is_validation_error(merchant, tenders, idempotent_refund):
    gift_50 = idempotent_refund[0]
    # 15,00 € of 50,00 € is refunded already: 35,01 € is one cent too many.
    with pytest.raises(ValidationException) as raised:
        merchant.payments().refund_payment(gift_50[0], refund_request(3501, "RMB-OVER"),
                                           CallContext(idempotence_key=str(uuid.uuid4())))
    e = raised.value
    assert e.status_code == 400, error_summary(e)
    assert e.errors and e.errors[0].message == "ACTION_NOT_ALLOWED_ON_TRANSACTION", error_summary(e)
    # A single refund beyond a tender's amount too.
    gift_20 = next(t for t in tenders if t[1] == 2000)
    with pytest.raises(ValidationException) as raised:
        merchant.payments().refund_payment(gift_20[0], refund_request(2001, "RMB-OVER-2"))
    assert raised.value.errors[0].message == "ACTION_NOT_ALLOWED_ON_TRANSACTION", error_summary(raised.value)


def test_full_refund_then_any_refund_is_refused(merchant, tenders):
    gift_20 = next(t for t in tenders if t[1] == 2000)
    full = merchant.payments().refund_payment(gift_20[0], refund_request(2000, "RMB-FULL"))
    assert full.status == "REFUND_REQUESTED"
    with pytest.raises(ValidationException) as raised:
        merchant.payments().refund_payment(gift_20[0], refund_request(1, "RMB-AFTER-FULL"))
    assert raised.value.errors[0].message == "ACTION_NOT_ALLOWED_ON_TRANSACTION", error_summary(raised.value)


def test_wrong_secret_is_authorization_error():
    with make_client(secret="not-the-secret") as wrong:
        with pytest.raises(AuthorizationException) as raised:
            wrong.merchant(MERCHANT_ID).services().test_connection()
    assert raised.value.status_code == 403
    assert raised.value.errors, "403 must carry an ErrorResponse"
    assert "not-the-secret" not in raised.value.response_body


def test_unknown_key_and_foreign_merchant_are_authorization_errors(client):
    with make_client(key_id="no-such-key") as unknown:
        with pytest.raises(AuthorizationException):
            unknown.merchant(MERCHANT_ID).services().test_connection()
    with pytest.raises(AuthorizationException):
        client.merchant("000000").services().test_connection()


def test_unknown_payment_is_reference_error(merchant):
    with pytest.raises(ReferenceException) as raised:
        merchant.payments().get_payment("9999999999_0")
    assert raised.value.status_code == 404
    assert raised.value.errors
    with pytest.raises(ReferenceException):
        merchant.payments().get_payment_details("9999999999_0")
    with pytest.raises(ReferenceException):
        merchant.hosted_checkout().get_hosted_checkout("9999999999")
    with pytest.raises(ReferenceException):
        merchant.refunds().get_refunds("9999999999_0")


def test_validation_errors_name_the_property(merchant, receiver):
    bad = checkout_request("/relative/return")
    with pytest.raises(ValidationException) as raised:
        merchant.hosted_checkout().create_hosted_checkout(bad)
    assert raised.value.errors[0].property_name == "hostedCheckoutSpecificInput.returnUrl", \
        error_summary(raised.value)
    usd = checkout_request(f"{receiver.base}/return")
    usd.order.amount_of_money.currency_code = "USD"
    with pytest.raises(ValidationException) as raised:
        merchant.hosted_checkout().create_hosted_checkout(usd)
    assert raised.value.errors[0].property_name == "order.amountOfMoney.currencyCode", error_summary(raised.value)
    long_ref = checkout_request(f"{receiver.base}/return", reference="R" * 41)
    with pytest.raises(ValidationException) as raised:
        merchant.hosted_checkout().create_hosted_checkout(long_ref)
    assert raised.value.errors[0].property_name == "order.references.merchantReference", \
        error_summary(raised.value)


def test_gzip_request_body_is_accepted(merchant, receiver):
    created = merchant.hosted_checkout().create_hosted_checkout(
        checkout_request(f"{receiver.base}/return"), CallContext(gzip=True))
    assert created.hosted_checkout_id


def test_declined_refund_card(merchant, receiver):
    created = merchant.hosted_checkout().create_hosted_checkout(checkout_request(f"{receiver.base}/return", amount=3000))
    answer = pay_on_hosted_page(created.redirect_url, {
        "giftcard1_number": GIFT_REFUND_DECLINED, "giftcard1_expiry": "12/30", "giftcard1_cvv": "123",
        "action": "pay",
    })
    assert answer.status_code in (302, 303), answer.text[:300]
    payment = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id).created_payment_output.payment
    # RefundPayment's contract answers a refused refund with 400 and a RefundErrorResponse. The SDK looks at the
    # body before the status: a `refundResult` makes it a DeclinedRefundException, not a ValidationException.
    with pytest.raises(DeclinedRefundException) as raised:
        merchant.payments().refund_payment(payment.id, refund_request(1000, "RMB-DECLINED"))
    assert not isinstance(raised.value, ValidationException)
    assert raised.value.status_code == 400, error_summary(raised.value)
    assert raised.value.refund_response is not None
    assert raised.value.refund_response.status == "REJECTED"
    assert raised.value.refund_response.status_output.status_code == 83


def test_webhooks_from_checkout_verified_by_sdk(helper, receiver, tenders, idempotent_refund):
    ids = {t[0] for t in tenders}
    refund_id = idempotent_refund[1].id

    def is_payment(_headers, body, path):
        return path == "/webhooks" and json.loads(body).get("type", "").startswith("payment.")

    def is_refund(_headers, body, path):
        event = json.loads(body)
        return path == "/webhooks" and event.get("type", "").startswith("refund.") \
            and event.get("refund", {}).get("id") == refund_id

    for predicate, what in [(is_payment, "payment.*"), (is_refund, "refund.* for the idempotent refund")]:
        headers, body, _ = receiver.wait_webhooks(predicate, what)
        event = helper.unmarshal(body, [RequestHeader(k, v) for k, v in headers])
        assert event.api_version == "v1"
        assert event.merchant_id == MERCHANT_ID
        assert event.id and event.created
        if event.payment is not None:
            assert event.payment.id in ids, (event.payment.id, ids)
        else:
            assert event.refund.id == refund_id
    # A tampered body must fail: the helper really checks the signature.
    headers, body, _ = receiver.wait_webhooks(is_payment, "payment.*")
    with pytest.raises(SignatureValidationException):
        helper.unmarshal(body.replace(b"v1", b"v2", 1) + b" ", [RequestHeader(k, v) for k, v in headers])


def test_send_test_webhook_verified_by_sdk(merchant, helper, receiver):
    merchant.webhooks().send_test_webhook(SendTestRequest().from_dictionary({"url": f"{receiver.base}/sendtest"}))
    headers, body, _ = receiver.wait_webhooks(lambda h, b, p: p == "/sendtest", "at the sendtest url")
    event = helper.unmarshal(body, [RequestHeader(k, v) for k, v in headers])
    assert event.api_version == "v1"
    assert dict((k.lower(), v) for k, v in headers).get("x-gcs-keyid") == WEBHOOK_KEY_ID


def test_validate_webhook_credentials(merchant):
    good = ValidateCredentialsRequest().from_dictionary(
        {"key": WEBHOOK_KEY_ID, "secret": webhook_credentials_secret(WEBHOOK_SECRET)})
    assert merchant.webhooks().validate_webhook_credentials(good).result == "Valid"
    bad = ValidateCredentialsRequest().from_dictionary(
        {"key": WEBHOOK_KEY_ID, "secret": webhook_credentials_secret("wrong")})
    assert merchant.webhooks().validate_webhook_credentials(bad).result == "Invalid"


def test_same_key_while_running_is_idempotence_exception(merchant, tenders):
    """Two concurrent refunds with one key: one is carried out, the other gets 409 → the SDK's IdempotenceException."""
    visa = next(t for t in tenders if t[2] == 1)
    key = str(uuid.uuid4())
    set_fault({"operation": "refund", "latencyMs": 3000, "count": 1})
    results: dict[int, object] = {}

    def attempt(i: int) -> None:
        try:
            results[i] = merchant.payments().refund_payment(visa[0], refund_request(700, "RMB-CONCURRENT"),
                                                            CallContext(idempotence_key=key))
        except Exception as e:  # noqa: BLE001 (the assertion below names what came back)
            results[i] = e

    try:
        threads = [threading.Thread(target=attempt, args=(i,), name=f"refund-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        set_fault(None)
    conflicts = [r for r in results.values() if isinstance(r, IdempotenceException)]
    refunds = [r for r in results.values() if not isinstance(r, Exception)]
    assert len(conflicts) == 1 and len(refunds) == 1, results
    assert conflicts[0].status_code == 409
    assert conflicts[0].idempotence_key == key
    assert conflicts[0].idempotence_request_timestamp is not None, \
        "the 409 must carry X-GCS-Idempotence-Request-Timestamp"
    replay = merchant.payments().refund_payment(visa[0], refund_request(700, "RMB-CONCURRENT"),
                                                CallContext(idempotence_key=key))
    assert replay.id == refunds[0].id


def test_lost_answer_is_settled_by_the_same_key(merchant, tenders):
    """The refund is stored but its answer is lost; re-sending the same key returns that refund, not a second one."""
    visa = next(t for t in tenders if t[2] == 1)
    before = merchant.refunds().get_refunds(visa[0]).refunds or []
    key = str(uuid.uuid4())
    set_fault({"operation": "refund", "dropAfterCommit": 1.0, "count": 1})
    try:
        with pytest.raises(CommunicationException):
            merchant.payments().refund_payment(visa[0], refund_request(300, "RMB-LOST"),
                                               CallContext(idempotence_key=key))
    finally:
        set_fault(None)
    context = CallContext(idempotence_key=key)
    settled = merchant.payments().refund_payment(visa[0], refund_request(300, "RMB-LOST"), context)
    assert context.idempotence_request_timestamp is not None, "the answer must be the stored one"
    after = merchant.refunds().get_refunds(visa[0]).refunds
    assert len(after) == len(before) + 1, "exactly one refund for one key"
    assert settled.id in {r.id for r in after} and settled.id not in {r.id for r in before}


@pytest.mark.parametrize("fields", [
    {"giftcard1_number": "6299000000000004", "giftcard1_expiry": "12/30", "giftcard1_cvv": "123"},  # no balance
    {"giftcard1_number": "6299000000000005", "giftcard1_expiry": "01/24", "giftcard1_cvv": "123"},  # expired
    {"giftcard1_number": "6299000000000001", "giftcard1_expiry": "12/30", "giftcard1_cvv": "999"},  # wrong CVV
    {"card_number": "4321456998744563", "card_expiry": "05/30", "card_cvv": "123"},  # declined Visa
], ids=["no-balance", "expired", "wrong-cvv", "declined-visa"])
def test_declined_card_reshows_the_page(merchant, receiver, fields):
    created = merchant.hosted_checkout().create_hosted_checkout(checkout_request(f"{receiver.base}/return", amount=3000))
    answer = pay_on_hosted_page(created.redirect_url, {**fields, "action": "pay"})
    assert answer.status_code == 200, f"a decline re-shows the page, got {answer.status_code}"
    assert 'name="giftcard1_number"' in answer.text
    assert merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id).status == "IN_PROGRESS"


def test_last_allowed_attempt_ends_the_checkout(merchant, receiver):
    request = checkout_request(f"{receiver.base}/return", amount=3000)
    request.hosted_checkout_specific_input.allowed_number_of_payment_attempts = 1
    created = merchant.hosted_checkout().create_hosted_checkout(request)
    pay_on_hosted_page(created.redirect_url, {"card_number": "4321456998744563", "card_expiry": "05/30",
                                              "card_cvv": "123", "action": "pay"})
    got = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id)
    assert got.status != "IN_PROGRESS", "one allowed attempt, one decline: the checkout is over"


def test_completed_refund_restores_the_gift_card_balance(merchant, receiver, tenders):
    """The 20 € card paid 20 € and was refunded in full (test_full_refund…): once REFUNDED it can pay 20 € again."""
    gift_20 = next(t for t in tenders if t[1] == 2000)
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        refunds = merchant.refunds().get_refunds(gift_20[0]).refunds or []
        if refunds and all(r.status == "REFUNDED" for r in refunds) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sum(r.refund_output.amount_of_money.amount for r in refunds if r.status == "REFUNDED") == 2000, \
        "run with test_full_refund_then_any_refund_is_refused"
    created = merchant.hosted_checkout().create_hosted_checkout(checkout_request(f"{receiver.base}/return", amount=2000))
    answer = pay_on_hosted_page(created.redirect_url, {
        "giftcard1_number": GIFT_20, "giftcard1_expiry": "12/30", "giftcard1_cvv": "123", "action": "pay"})
    assert answer.status_code in (302, 303), "the refunded 20 € are back on the card"


def test_errors_are_json_everywhere(receiver):
    """An unknown resource under /v2 and a bad signature both answer JSON (an SDK needs it to type the error)."""
    for path, key in [(f"/v2/{MERCHANT_ID}/nothing/here", API_KEY_ID), (f"/v2/{MERCHANT_ID}/services/testconnection",
                                                                       "no-such-key")]:
        date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        to_sign = f"GET\n\n{date}\n{path}\n"
        signature = base64.b64encode(hmac.new(API_SECRET.encode(), to_sign.encode(), hashlib.sha256).digest()).decode()
        answer = requests.get(SANDBOX_URL + path, timeout=10,
                              headers={"Date": date, "Authorization": f"GCS v1HMAC:{key}:{signature}"})
        assert answer.status_code >= 400
        assert answer.headers.get("Content-Type", "").startswith("application/json"), (path, answer.headers)
        assert answer.json()["errors"], answer.text
