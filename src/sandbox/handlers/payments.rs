//! `payments/{id}`: the payment, its details, refunds, captures, and the refund, capture and cancel operations.

use serde_json::{Value, json};

use crate::sandbox::cards::test_card;
use crate::sandbox::model::{Event, PayStatus, Refund, RefundStatus, State};
use crate::sandbox::reply::{
    Reply, at, invalid, missing, not_allowed, opt_int, opt_str, unknown_payment,
};
use crate::sandbox::wire;

/// The payment base for an id `<10 digits>_0` (or the bare 10 digits).
fn find(st: &State, id: &str) -> Option<String> {
    let base = match id.split_once('_') {
        Some((b, "0")) => b,
        Some(_) => return None,
        None => id,
    };
    st.payments().contains_key(base).then(|| base.to_string())
}

/// `GET payments/{id}`.
pub(super) fn get(st: &State, id: &str) -> Reply {
    match find(st, id).and_then(|b| st.payments().get(&b)) {
        Some(p) => Reply::ok(200, wire::payment_response(st, p)),
        None => unknown_payment(id),
    }
}

/// `GET payments/{id}/details`.
pub(super) fn details(st: &State, id: &str) -> Reply {
    match find(st, id).and_then(|b| st.payments().get(&b)) {
        Some(p) => Reply::ok(200, wire::payment_details(st, p)),
        None => unknown_payment(id),
    }
}

/// `GET payments/{id}/refunds`.
pub(super) fn refunds(st: &State, id: &str) -> Reply {
    match find(st, id).and_then(|b| st.payments().get(&b)) {
        Some(p) => {
            let refunds: Vec<Value> = st
                .refunds_of(&p.base)
                .into_iter()
                .map(|r| wire::refund_response(st, p, r))
                .collect();
            Reply::ok(200, json!({"refunds": refunds}))
        }
        None => unknown_payment(id),
    }
}

/// `GET payments/{id}/captures`.
pub(super) fn captures(st: &State, id: &str) -> Reply {
    match find(st, id).and_then(|b| st.payments().get(&b)) {
        Some(p) => {
            let captures: Vec<Value> = match (p.status, &p.capture_id) {
                (PayStatus::Captured, Some(cid)) => vec![wire::capture_response(p, cid)],
                (PayStatus::Captured, None) => vec![wire::capture_response(p, &p.id())],
                _ => vec![],
            };
            Reply::ok(200, json!({"captures": captures}))
        }
        None => unknown_payment(id),
    }
}

/// `POST payments/{id}/refund`: a refund of what is left, REFUND_REQUESTED until the delay has passed; refused
/// as a 400 RefundErrorResponse when the card's issuer declines refunds.
pub(super) fn refund(
    st: &mut State,
    id: &str,
    input: &Value,
    now: i64,
    delay_ms: u64,
) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let Some(p) = st.payments().get(&base) else {
        return Err(unknown_payment(id));
    };
    let amount = opt_int(input, "amountOfMoney.amount", i64::MIN, i64::MAX)?;
    let currency = opt_str(input, "amountOfMoney.currencyCode", 3)?;
    if at(input, "amountOfMoney").is_some() && (amount.is_none() || currency.is_none()) {
        return Err(missing(if amount.is_none() {
            "amountOfMoney.amount"
        } else {
            "amountOfMoney.currencyCode"
        }));
    }
    if let Some(c) = &currency
        && c != &p.currency
    {
        return Err(invalid(
            "amountOfMoney.currencyCode",
            "The currency differs from the payment's",
        ));
    }
    if let Some(a) = amount
        && !(1..=999_999_999_999).contains(&a)
    {
        return Err(invalid(
            "amountOfMoney.amount",
            "amount must be a positive number of cents",
        ));
    }
    let reason = opt_str(input, "reason", 100)?;
    let reference = match opt_str(input, "operationReferences.merchantReference", 40)? {
        Some(r) => Some(r),
        None => opt_str(input, "references.merchantReference", 40)?,
    };
    if p.status != PayStatus::Captured {
        return Err(not_allowed("the payment is not captured"));
    }
    let (refunded, pending) = st.refund_totals(&base);
    let left = p.amount - refunded - pending;
    let amount = amount.unwrap_or(left);
    if left <= 0 || amount > left {
        return Err(not_allowed("the refund exceeds what is left"));
    }
    let declined = test_card(&p.card_number).is_some_and(|c| c.refunds_declined);
    let currency = p.currency.clone();
    let Some(p) = st.payment_mut(&base) else {
        return Err(unknown_payment(id));
    };
    let refund_id = p.next_op_id();
    let delay = i64::try_from(delay_ms).unwrap_or(i64::MAX);
    let refund = Refund {
        id: refund_id.clone(),
        payment_base: base.clone(),
        amount,
        currency,
        status: if declined {
            RefundStatus::Rejected
        } else {
            RefundStatus::Requested
        },
        requested_ms: now,
        due_ms: now.saturating_add(delay),
        status_ms: now,
        merchant_reference: reference,
        reason,
    };
    st.add_refund(refund);
    let (Some(p), Some(r)) = (st.payments().get(&base), st.refunds().get(&refund_id)) else {
        return Err(unknown_payment(id));
    };
    let body = wire::refund_response(st, p, r);
    if declined {
        // RefundPayment's contract answers 201, 400 or 404: a refused refund is a 400 RefundErrorResponse whose
        // `refundResult` carries the REJECTED refund.
        let mut error = wire::error_body(wire::api_error(
            400,
            "30521001",
            "REFUND_DECLINED",
            "PAYMENT_PLATFORM_ERROR",
            "The issuer declined the refund",
            None,
            false,
        ));
        if let Some(obj) = error.as_object_mut() {
            obj.insert("refundResult".into(), body);
        }
        return Ok((
            Reply::ok(400, error),
            vec![Event::Refund {
                kind: "refund.rejected",
                id: refund_id,
            }],
        ));
    }
    Ok((
        Reply::ok(201, body),
        vec![Event::Refund {
            kind: "refund.refund_requested",
            id: refund_id,
        }],
    ))
}

/// `POST payments/{id}/capture`: the whole authorised amount.
pub(super) fn capture(
    st: &mut State,
    id: &str,
    input: &Value,
    now: i64,
) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let amount = opt_int(input, "amount", 1, 999_999_999_999)?;
    let Some(p) = st.payment_mut(&base) else {
        return Err(unknown_payment(id));
    };
    if p.status != PayStatus::PendingCapture {
        return Err(not_allowed("only an authorised payment can be captured"));
    }
    if let Some(a) = amount
        && a != p.amount
    {
        return Err(invalid(
            "amount",
            "The sandbox captures the whole authorised amount only",
        ));
    }
    let capture_id = p.next_op_id();
    p.status = PayStatus::Captured;
    p.status_ms = now;
    p.capture_id = Some(capture_id.clone());
    let body = wire::capture_response(p, &capture_id);
    Ok((
        Reply::ok(201, body),
        vec![Event::Payment {
            kind: "payment.captured",
            base,
        }],
    ))
}

/// `POST payments/{id}/cancel`: an authorisation that waits for its capture.
pub(super) fn cancel(st: &mut State, id: &str, now: i64) -> Result<(Reply, Vec<Event>), Reply> {
    let Some(base) = find(st, id) else {
        return Err(unknown_payment(id));
    };
    let Some(p) = st.payment_mut(&base) else {
        return Err(unknown_payment(id));
    };
    if p.status != PayStatus::PendingCapture {
        return Err(Reply::error(
            409,
            "30041004",
            "PAYMENT_CLOSED",
            "Cancellation is not allowed because payment is closed",
            None,
        ));
    }
    let cancel_id = p.next_op_id();
    p.status = PayStatus::Cancelled;
    p.status_ms = now;
    p.cancel_id = Some(cancel_id);
    let Some(p) = st.payments().get(&base) else {
        return Err(unknown_payment(id));
    };
    let body = json!({"payment": wire::payment_response(st, p)});
    Ok((
        Reply::ok(200, body),
        vec![Event::Payment {
            kind: "payment.cancelled",
            base,
        }],
    ))
}
