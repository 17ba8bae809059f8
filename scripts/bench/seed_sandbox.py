"""Writes a sandbox data file (the snapshot format documented in src/sandbox/store.rs) holding REFUNDS refunds, for
measuring a sandbox that already holds a lot: REFUNDS/2 checkouts, each paid by one Visa payment of 100 € refunded
twice (10 € each, REFUNDED). The same file loads in a sandbox that predates the change log (its whole-state format).
Usage: python seed_sandbox.py FILE REFUNDS"""
import json
import sys

path, refunds = sys.argv[1], int(sys.argv[2])
T = 1_767_225_600_000  # 2026-01-01T00:00:00Z
checkouts, payments, refund_map = {}, {}, {}
for i in range((refunds + 1) // 2):
    base = str(1_000_000_000 + i)
    checkouts[base] = {
        "id": base, "returnmac": f"mac-{base}", "amount": 10_000, "currency": "EUR",
        "merchant_reference": f"SEED{base}", "merchant_parameters": None, "return_url": None, "locale": "fr_FR",
        "session_timeout_min": 180, "allowed_attempts": 10, "complete_remaining": True, "card_needs_capture": False,
        "webhook_urls": [], "created_ms": T, "status": "PaymentCreated", "failed_attempts": 0,
        "tenders": [base], "rejected": [],
    }
    payments[base] = {
        "base": base, "checkout_id": base, "product_id": 1, "card_number": "4012000033330026", "expiry": "0530",
        "amount": 10_000, "currency": "EUR", "merchant_reference": f"SEED{base}", "merchant_parameters": None,
        "created_ms": T, "status": "Captured", "status_ms": T, "decline": None, "capture_id": None,
        "cancel_id": None, "next_op": 0,
    }
    for _ in range(2):
        if len(refund_map) == refunds:
            break
        payments[base]["next_op"] += 1
        rid = f"{base}_{payments[base]['next_op']}"
        refund_map[rid] = {
            "id": rid, "payment_base": base, "amount": 1_000, "currency": "EUR", "status": "Refunded",
            "requested_ms": T, "due_ms": T + 2_000, "status_ms": T + 2_000, "merchant_reference": f"R-{rid}",
            "reason": None,
        }
with open(path, "w") as f:
    json.dump({"checkouts": checkouts, "payments": payments, "refunds": refund_map, "balances": {},
               "idempotence": {}}, f, indent=2)
print(f"seeded {path}: {len(checkouts)} checkouts, {len(payments)} payments, {len(refund_map)} refunds")
