//! The platform's JSON, built by hand from the state with the contract's exact property names. The sandbox shares
//! no wire types with the client on purpose.

use serde_json::{Map, Value, json};

use super::cards::{CardKind, TEST_CARDS, mask};
use super::model::{
    Checkout, CheckoutStatus, Event, PayStatus, Payment, Refund, RefundStatus, State,
};

/// `2024-05-01T10:00:00.000Z` (the contract's pattern allows `Z` only).
pub(crate) fn iso_z(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => String::new(),
    }
}

/// `2024-05-01T10:00:00.000+00:00`, for webhooks' `created`.
pub(crate) fn iso_offset(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string(),
        None => String::new(),
    }
}

/// `YYYYMMDDHHmmss`, for `statusCodeChangeDateTime`.
pub(crate) fn compact(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y%m%d%H%M%S").to_string(),
        None => String::new(),
    }
}

fn money(amount: i64, currency: &str) -> Value {
    json!({"amount": amount, "currencyCode": currency})
}

/// One APIError.
pub(crate) fn api_error(
    http: u16,
    code: &str,
    id: &str,
    category: &str,
    message: &str,
    property: Option<&str>,
    retriable: bool,
) -> Value {
    let mut e = json!({
        "errorCode": code,
        "code": code,
        "category": category,
        "httpStatusCode": http,
        "id": id,
        "message": message,
        "retriable": retriable,
    });
    if let (Some(p), Some(obj)) = (property, e.as_object_mut()) {
        obj.insert("propertyName".into(), json!(p));
    }
    e
}

/// An ErrorResponse holding one error.
pub(crate) fn error_body(error: Value) -> Value {
    json!({"errorId": uuid::Uuid::new_v4().to_string(), "errors": [error]})
}

/// The payment's status, statusOutput (a PaymentStatusOutput) for its current state.
pub(crate) fn payment_status(state: &State, p: &Payment) -> (&'static str, Value) {
    let (refunded, pending) = state.refund_totals(&p.base);
    let change = compact(p.status_ms);
    match p.status {
        PayStatus::PendingCapture => (
            "PENDING_CAPTURE",
            json!({"isCancellable": true, "statusCategory": "PENDING_MERCHANT", "statusCode": 5,
                   "statusCodeChangeDateTime": change, "isAuthorized": true, "isRefundable": false}),
        ),
        PayStatus::Cancelled => (
            "CANCELLED",
            json!({"isCancellable": false, "statusCategory": "UNSUCCESSFUL", "statusCode": 6,
                   "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": false}),
        ),
        PayStatus::Rejected => {
            let reason = p.decline.clone().unwrap_or_else(|| "DECLINED".into());
            (
                "REJECTED",
                json!({"isCancellable": false, "statusCategory": "UNSUCCESSFUL", "statusCode": 2,
                       "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": false,
                       "errors": [api_error(402, "30511001", "PAYMENT_DECLINED", "PAYMENT_PLATFORM_ERROR",
                                            &reason, None, false)]}),
            )
        }
        PayStatus::Captured => {
            let left = p.amount - refunded - pending;
            let last_refund_ms = state
                .refunds_of(&p.base)
                .iter()
                .filter(|r| r.status != RefundStatus::Rejected)
                .map(|r| r.status_ms)
                .max();
            if refunded >= p.amount {
                let change = compact(last_refund_ms.unwrap_or(p.status_ms));
                (
                    "REFUNDED",
                    json!({"isCancellable": false, "statusCategory": "REFUNDED", "statusCode": 8,
                           "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": false}),
                )
            } else if left <= 0 {
                let change = compact(last_refund_ms.unwrap_or(p.status_ms));
                (
                    "REFUND_REQUESTED",
                    json!({"isCancellable": false, "statusCategory": "PENDING_CONNECT_OR_3RD_PARTY",
                           "statusCode": 81, "statusCodeChangeDateTime": change, "isAuthorized": false,
                           "isRefundable": false}),
                )
            } else {
                (
                    "CAPTURED",
                    json!({"isCancellable": false, "statusCategory": "COMPLETED", "statusCode": 9,
                           "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": true}),
                )
            }
        }
    }
}

/// The tender's own amount: what was captured, 0 once cancelled.
fn acquired(p: &Payment) -> i64 {
    match p.status {
        PayStatus::Captured | PayStatus::PendingCapture => p.amount,
        PayStatus::Cancelled | PayStatus::Rejected => 0,
    }
}

fn references(merchant_reference: &str, merchant_parameters: Option<&str>) -> Value {
    let mut r = json!({"merchantReference": merchant_reference});
    if let (Some(mp), Some(obj)) = (merchant_parameters, r.as_object_mut()) {
        obj.insert("merchantParameters".into(), json!(mp));
    }
    r
}

fn method_output(p: &Payment) -> (&'static str, Value) {
    if p.product_id == 3103 {
        (
            "redirectPaymentMethodSpecificOutput",
            json!({"paymentProductId": 3103, "paymentOption": "CADOCARTE"}),
        )
    } else {
        let bin: String = p.card_number.chars().take(6).collect();
        (
            "cardPaymentMethodSpecificOutput",
            json!({
                "paymentProductId": p.product_id,
                "authorisationCode": "123456",
                "card": {"cardNumber": mask(&p.card_number), "expiryDate": p.expiry, "bin": bin, "countryCode": "FR"},
                "fraudResults": {"fraudServiceResult": "accepted", "cvvResult": "M"},
            }),
        )
    }
}

/// paymentOutput of a tender.
pub(crate) fn payment_output(p: &Payment) -> Value {
    let (key, output) = method_output(p);
    let mut o = Map::new();
    o.insert("amountOfMoney".into(), money(p.amount, &p.currency));
    o.insert("acquiredAmount".into(), money(acquired(p), &p.currency));
    o.insert(
        "references".into(),
        references(&p.merchant_reference, p.merchant_parameters.as_deref()),
    );
    if let Some(mp) = &p.merchant_parameters {
        o.insert("merchantParameters".into(), json!(mp));
    }
    o.insert("paymentMethod".into(), json!(p.method()));
    o.insert(key.into(), output);
    o.insert("transactionDate".into(), json!(iso_z(p.created_ms)));
    Value::Object(o)
}

/// A PaymentResponse.
pub(crate) fn payment_response(state: &State, p: &Payment) -> Value {
    let (status, status_output) = payment_status(state, p);
    json!({
        "id": p.id(),
        "status": status,
        "statusOutput": status_output,
        "paymentOutput": payment_output(p),
        "hostedCheckoutSpecificOutput": {"hostedCheckoutId": p.checkout_id},
    })
}

/// A PaymentDetailsResponse: the PaymentResponse plus every operation of the checkout.
pub(crate) fn payment_details(state: &State, p: &Payment) -> Value {
    let mut v = payment_response(state, p);
    let mut ops = Vec::new();
    let tenders: Vec<&Payment> = match state.checkouts().get(&p.checkout_id) {
        Some(c) if c.tenders.contains(&p.base) => c
            .tenders
            .iter()
            .filter_map(|b| state.payments().get(b))
            .collect(),
        _ => vec![p],
    };
    for t in &tenders {
        ops.push(tender_operation(t));
    }
    for t in &tenders {
        for r in state.refunds_of(&t.base) {
            ops.push(refund_operation(t, r));
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("Operations".into(), Value::Array(ops));
    }
    v
}

/// The OperationOutput of a tender's own operation (`_0`), as it was processed.
fn tender_operation(p: &Payment) -> Value {
    let change = compact(p.status_ms);
    let (status, output) = match p.status {
        PayStatus::Captured => (
            "CAPTURED",
            json!({"isCancellable": false, "statusCategory": "COMPLETED", "statusCode": 9,
                   "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": true}),
        ),
        PayStatus::PendingCapture => (
            "PENDING_CAPTURE",
            json!({"isCancellable": true, "statusCategory": "PENDING_MERCHANT", "statusCode": 5,
                   "statusCodeChangeDateTime": change, "isAuthorized": true, "isRefundable": false}),
        ),
        PayStatus::Cancelled => (
            "CANCELLED",
            json!({"isCancellable": false, "statusCategory": "UNSUCCESSFUL", "statusCode": 6,
                   "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": false}),
        ),
        PayStatus::Rejected => (
            "REJECTED",
            json!({"isCancellable": false, "statusCategory": "UNSUCCESSFUL", "statusCode": 2,
                   "statusCodeChangeDateTime": change, "isAuthorized": false, "isRefundable": false}),
        ),
    };
    json!({
        "id": p.id(),
        "amountOfMoney": money(p.amount, &p.currency),
        "status": status,
        "statusOutput": output,
        "paymentMethod": p.method(),
        "references": {"merchantReference": p.merchant_reference},
    })
}

fn refund_operation(p: &Payment, r: &Refund) -> Value {
    let (status, category, code) = refund_codes(r.status);
    let mut op = json!({
        "id": r.id,
        "amountOfMoney": money(r.amount, &r.currency),
        "status": status,
        "statusOutput": {"isCancellable": false, "statusCategory": category, "statusCode": code,
                         "statusCodeChangeDateTime": compact(r.status_ms), "isAuthorized": false,
                         "isRefundable": false},
        "paymentMethod": p.method(),
    });
    if let (Some(mr), Some(obj)) = (&r.merchant_reference, op.as_object_mut()) {
        obj.insert(
            "operationReferences".into(),
            json!({"merchantReference": mr}),
        );
    }
    op
}

fn refund_codes(s: RefundStatus) -> (&'static str, &'static str, i64) {
    match s {
        RefundStatus::Requested => ("REFUND_REQUESTED", "PENDING_CONNECT_OR_3RD_PARTY", 81),
        RefundStatus::Refunded => ("REFUNDED", "REFUNDED", 8),
        RefundStatus::Rejected => ("REJECTED", "UNSUCCESSFUL", 83),
    }
}

/// A RefundResponse.
pub(crate) fn refund_response(state: &State, p: &Payment, r: &Refund) -> Value {
    let (status, category, code) = refund_codes(r.status);
    let (refunded, _) = state.refund_totals(&p.base);
    let mut status_output = json!({"isCancellable": false, "statusCategory": category, "statusCode": code,
                                   "statusCodeChangeDateTime": compact(r.status_ms)});
    if r.status == RefundStatus::Rejected
        && let Some(obj) = status_output.as_object_mut()
    {
        obj.insert(
            "errors".into(),
            json!([api_error(
                400,
                "30521001",
                "REFUND_DECLINED",
                "PAYMENT_PLATFORM_ERROR",
                "The issuer declined the refund",
                None,
                false
            )]),
        );
    }
    let totals = json!({"totalAmountPaid": p.amount, "totalAmountRefunded": refunded});
    let mut out = Map::new();
    out.insert("amountOfMoney".into(), money(r.amount, &r.currency));
    if let Some(mr) = &r.merchant_reference {
        out.insert(
            "operationReferences".into(),
            json!({"merchantReference": mr}),
        );
    }
    out.insert("paymentMethod".into(), json!(p.method()));
    out.insert("amountPaid".into(), json!(p.amount));
    if p.product_id == 3103 {
        out.insert("redirectRefundMethodSpecificOutput".into(), totals);
    } else {
        out.insert("cardRefundMethodSpecificOutput".into(), totals);
    }
    json!({"id": r.id, "status": status, "statusOutput": status_output, "refundOutput": Value::Object(out)})
}

/// A CaptureResponse for a tender's capture.
pub(crate) fn capture_response(p: &Payment, capture_id: &str) -> Value {
    let (key, output) = method_output(p);
    let mut out = Map::new();
    out.insert("amountOfMoney".into(), money(p.amount, &p.currency));
    out.insert("acquiredAmount".into(), money(p.amount, &p.currency));
    out.insert(
        "references".into(),
        references(&p.merchant_reference, p.merchant_parameters.as_deref()),
    );
    out.insert("paymentMethod".into(), json!(p.method()));
    out.insert(key.into(), output);
    json!({"id": capture_id, "status": "CAPTURED", "statusOutput": {"statusCode": 9},
           "captureOutput": Value::Object(out)})
}

/// A GetHostedCheckoutResponse.
pub(crate) fn hosted_checkout(state: &State, c: &Checkout) -> Value {
    let status = match c.status {
        CheckoutStatus::InProgress => "IN_PROGRESS",
        CheckoutStatus::PaymentCreated => "PAYMENT_CREATED",
        CheckoutStatus::CancelledByConsumer => "CANCELLED_BY_CONSUMER",
    };
    let mut v = json!({"status": status});
    let created = match c.status {
        CheckoutStatus::PaymentCreated => c
            .tenders
            .first()
            .and_then(|b| state.payments().get(b))
            .map(|p| (p, "SUCCESSFUL")),
        _ => c
            .rejected
            .last()
            .and_then(|b| state.payments().get(b))
            .map(|p| (p, "REJECTED")),
    };
    if let (Some((p, category)), Some(obj)) = (created, v.as_object_mut()) {
        obj.insert(
            "createdPaymentOutput".into(),
            json!({"payment": payment_response(state, p), "paymentStatusCategory": category}),
        );
    }
    v
}

/// The webhook envelope for an event, as of the current state; `None` if its object is gone.
pub(crate) fn webhook_body(
    state: &State,
    merchant_id: &str,
    event: &Event,
    now: i64,
) -> Option<Value> {
    let (kind, key, object) = match event {
        Event::Payment { kind, base } => {
            let p = state.payments().get(base)?;
            (*kind, "payment", payment_response(state, p))
        }
        Event::Refund { kind, id } => {
            let r = state.refunds().get(id)?;
            let p = state.payments().get(&r.payment_base)?;
            (*kind, "refund", refund_response(state, p, r))
        }
    };
    let mut v = json!({
        "apiVersion": "v1",
        "id": uuid::Uuid::new_v4().to_string(),
        "created": iso_offset(now),
        "merchantId": merchant_id,
        "type": kind,
    });
    if let Some(obj) = v.as_object_mut() {
        obj.insert(key.into(), object);
    }
    Some(v)
}

/// Reconciliation dump for `GET /sandbox/state`.
pub(crate) fn state_dump(state: &State) -> Value {
    let checkouts: Vec<Value> = state
        .checkouts()
        .values()
        .map(|c| {
            json!({"hostedCheckoutId": c.id, "status": hosted_checkout(state, c)["status"],
                   "amount": c.amount, "currencyCode": c.currency, "merchantReference": c.merchant_reference,
                   "failedAttempts": c.failed_attempts,
                   "tenders": c.tenders.iter().map(|b| format!("{b}_0")).collect::<Vec<_>>()})
        })
        .collect();
    let payments: Vec<Value> = state
        .payments()
        .values()
        .map(|p| {
            let (refunded, pending) = state.refund_totals(&p.base);
            json!({"id": p.id(), "hostedCheckoutId": p.checkout_id, "paymentProductId": p.product_id,
                   "amount": p.amount, "status": payment_status(state, p).0, "refundedAmount": refunded,
                   "pendingRefundAmount": pending, "cardNumber": mask(&p.card_number)})
        })
        .collect();
    let refunds: Vec<Value> = state
        .refunds()
        .values()
        .map(|r| {
            json!({"id": r.id, "paymentId": format!("{}_0", r.payment_base), "amount": r.amount,
                   "status": refund_codes(r.status).0, "merchantReference": r.merchant_reference})
        })
        .collect();
    let balances: Map<String, Value> = TEST_CARDS
        .iter()
        .filter(|c| c.kind == CardKind::GiftCard)
        .map(|c| (c.number.to_string(), json!(state.balance(c))))
        .collect();
    // The keys of the requests being carried out right now, sorted: a test can wait until a request has reached
    // the platform without guessing how long that takes.
    let mut in_progress: Vec<&String> = state.in_progress.keys().collect();
    in_progress.sort();
    json!({"checkouts": checkouts, "payments": payments, "refunds": refunds, "balances": balances,
           "idempotenceKeys": state.idempotence().len(), "inProgress": in_progress})
}
