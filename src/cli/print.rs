//! What the commands print: one JSON document with `--json`, else lines for people.

use std::io::Write;

use serde_json::{Value, json};

use crate::till::{CheckoutView, RefundView};

pub(super) fn print_json(v: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, v)?;
    writeln!(stdout)?;
    Ok(())
}

fn tenders_json(v: &CheckoutView) -> Value {
    Value::Array(
        v.tenders
            .iter()
            .map(|t| {
                json!({
                    "paymentId": t.payment_id,
                    "productId": t.product_id,
                    "kind": t.kind,
                    "maskedNumber": t.masked_number,
                    "amount": t.amount.cents(),
                    "captured": t.captured.cents(),
                    "refunded": t.refunded.cents(),
                    "pending": t.pending.cents(),
                    "refundable": t.refundable.cents(),
                    "status": t.status,
                })
            })
            .collect(),
    )
}

pub(super) fn refund_json(r: &RefundView) -> Value {
    json!({
        "number": r.number,
        "refundId": r.refund_id,
        "paymentId": r.payment_id,
        "amount": r.amount.cents(),
        "reason": r.reason,
        "status": r.state.code(),
        "platformStatus": r.platform_status,
        "failure": r.failure,
        "operator": r.operator,
        "createdAt": r.created_at,
        "external": r.external,
    })
}

pub(super) fn checkout_json(v: &CheckoutView) -> Value {
    json!({
        "hostedCheckoutId": v.hosted_checkout_id,
        "merchantReference": v.merchant_reference,
        "redirectUrl": v.redirect_url,
        "amount": v.amount.cents(),
        "currency": "EUR",
        "status": v.state.code(),
        "createdAt": v.created_at,
        "email": v.email,
        "operator": v.operator,
        "captured": v.captured().cents(),
        "refundable": v.refundable().cents(),
        "tenders": tenders_json(v),
        "refunds": v.refunds.iter().map(refund_json).collect::<Vec<_>>(),
    })
}

pub(super) fn print_checkout(v: &CheckoutView) {
    println!(
        "{}  {}  {}  {}",
        v.hosted_checkout_id,
        v.merchant_reference,
        v.amount.fr(),
        v.state.code()
    );
    if let Some(u) = &v.redirect_url {
        println!("page: {u}");
    }
    for t in &v.tenders {
        println!(
            "  {}  product {}  {}  amount {}  refunded {}  pending {}  refundable {}  {}",
            t.payment_id,
            t.product_id,
            t.masked_number.as_deref().unwrap_or("-"),
            t.amount.fr(),
            t.refunded.fr(),
            t.pending.fr(),
            t.refundable.fr(),
            t.status
        );
    }
    for r in &v.refunds {
        print_refund(r);
    }
}

pub(super) fn print_refund(r: &RefundView) {
    println!(
        "  refund n°{}  {}  on {}  {}  {}{}",
        r.number,
        r.refund_id.as_deref().unwrap_or("-"),
        r.payment_id,
        r.amount.fr(),
        r.state.code(),
        if r.external { "  (external)" } else { "" }
    );
}
