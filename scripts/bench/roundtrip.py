"""Round trip through the official Worldline Direct Python SDK against a running sandbox: create hosted checkout,
get payment details and refund, N times each. Prints the same lines as `bench --roundtrip`:
    roundtrip op=create n=N median_us=X p99_us=Y
Usage: python roundtrip.py SANDBOX_URL N
"""
import statistics
import sys
import time
import uuid

import requests
from onlinepayments.sdk.call_context import CallContext
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.domain.create_hosted_checkout_request import CreateHostedCheckoutRequest
from onlinepayments.sdk.domain.refund_request import RefundRequest
from onlinepayments.sdk.factory import Factory

url, n = sys.argv[1], int(sys.argv[2])
configuration = CommunicatorConfiguration(
    api_endpoint=url, api_key_id="sandbox-key-id", secret_api_key="sandbox-secret",
    authorization_type="v1HMAC", connect_timeout=5, socket_timeout=30, max_connections=4,
    integrator="cadodesk-bench")
client = Factory.create_client_from_configuration(configuration)
merchant = client.merchant("cadodesk-sandbox")


def checkout_request(amount: int) -> CreateHostedCheckoutRequest:
    return CreateHostedCheckoutRequest().from_dictionary({
        "order": {"amountOfMoney": {"amount": amount, "currencyCode": "EUR"}},
        "hostedCheckoutSpecificInput": {"locale": "fr_FR", "returnUrl": "https://shop.example/return"},
        "redirectPaymentMethodSpecificInput": {
            "paymentProductId": 3103,
            "paymentProduct3103SpecificInput": {"completeRemainingPaymentAmount": True},
        },
        "cardPaymentMethodSpecificInput": {"authorizationMode": "SALE"},
    })


def refund_request() -> RefundRequest:
    return RefundRequest().from_dictionary({"amountOfMoney": {"amount": 1, "currencyCode": "EUR"}})


# One paid checkout to read and refund, cent by cent.
created = merchant.hosted_checkout().create_hosted_checkout(checkout_request(25000))
answer = requests.post(created.redirect_url, data={
    "card_number": "4012000033330026", "card_expiry": "05/30", "card_cvv": "123", "action": "pay"},
    allow_redirects=False, timeout=30)
assert answer.status_code in (200, 302, 303), f"paying failed: {answer.status_code}"
payment_id = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id) \
    .created_payment_output.payment.id
for _ in range(10):  # warm-up: connection pool and first-use costs
    merchant.payments().get_payment_details(payment_id)


def timed(op):
    out = []
    for _ in range(n):
        t = time.perf_counter()
        op()
        out.append((time.perf_counter() - t) * 1e6)
    return out


def report(name, micros):
    micros.sort()
    p99 = micros[min(len(micros) - 1, round((len(micros) - 1) * 0.99))]
    print(f"roundtrip op={name} n={len(micros)} median_us={statistics.median(micros):.0f} p99_us={p99:.0f}")


create = timed(lambda: merchant.hosted_checkout().create_hosted_checkout(checkout_request(4250)))
details = timed(lambda: merchant.payments().get_payment_details(payment_id))
refund = timed(lambda: merchant.payments().refund_payment(
    payment_id, refund_request(), CallContext(idempotence_key=str(uuid.uuid4()))))
report("create", create)
report("details", details)
report("refund", refund)
