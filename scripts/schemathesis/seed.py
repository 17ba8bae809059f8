"""Seeds the sandbox with real objects for the fuzzer: a paid split checkout (two gift cards + Visa), a gift card
whose refunds are declined, and an unpaid checkout. Prints `PAYMENT_IDS=…` and `CHECKOUT_IDS=…` lines."""

import os
import sys

import requests
from onlinepayments.sdk.communicator_configuration import CommunicatorConfiguration
from onlinepayments.sdk.domain.create_hosted_checkout_request import CreateHostedCheckoutRequest
from onlinepayments.sdk.factory import Factory

SANDBOX_URL = os.environ["SANDBOX_URL"]
MERCHANT_ID = os.environ.get("SANDBOX_MERCHANT_ID", "cadodesk-sandbox")


def main() -> int:
    configuration = CommunicatorConfiguration(
        api_endpoint=SANDBOX_URL, api_key_id=os.environ.get("SANDBOX_API_KEY_ID", "sandbox-key-id"),
        secret_api_key=os.environ.get("SANDBOX_API_SECRET", "sandbox-secret"), authorization_type="v1HMAC",
        connect_timeout=5, socket_timeout=30, max_connections=2, integrator="cadodesk-schemathesis")
    payments, checkouts = [], []
    with Factory.create_client_from_configuration(configuration) as client:
        merchant = client.merchant(MERCHANT_ID)
        for amount, fields in [
            (12000, {"giftcard1_number": "6299000000000002", "giftcard1_expiry": "12/30", "giftcard1_cvv": "123",
                     "giftcard2_number": "6299000000000003", "giftcard2_expiry": "12/30", "giftcard2_cvv": "123",
                     "card_number": "4012000033330026", "card_expiry": "05/30", "card_cvv": "123"}),
            (3000, {"giftcard1_number": "6299000000000006", "giftcard1_expiry": "12/30", "giftcard1_cvv": "123"}),
            (4500, None),
        ]:
            request = CreateHostedCheckoutRequest().from_dictionary({
                "order": {"amountOfMoney": {"amount": amount, "currencyCode": "EUR"}},
                "hostedCheckoutSpecificInput": {"locale": "fr_FR", "returnUrl": "http://127.0.0.1:9/return"},
                "redirectPaymentMethodSpecificInput": {
                    "paymentProductId": 3103,
                    "paymentProduct3103SpecificInput": {"completeRemainingPaymentAmount": True}},
            })
            created = merchant.hosted_checkout().create_hosted_checkout(request)
            checkouts.append(created.hosted_checkout_id)
            if fields is None:
                continue
            answer = requests.post(created.redirect_url, data={**fields, "action": "pay"}, allow_redirects=False,
                                   timeout=30)
            if answer.status_code not in (302, 303):
                print(f"seed: paying checkout {created.hosted_checkout_id} gave HTTP {answer.status_code}",
                      file=sys.stderr)
                continue
            first = merchant.hosted_checkout().get_hosted_checkout(created.hosted_checkout_id)
            details = merchant.payments().get_payment_details(first.created_payment_output.payment.id)
            payments.extend(op.id for op in details.operations or [])
    print("PAYMENT_IDS=" + ",".join(payments))
    print("CHECKOUT_IDS=" + ",".join(checkouts))
    return 0 if payments else 1


if __name__ == "__main__":
    sys.exit(main())
