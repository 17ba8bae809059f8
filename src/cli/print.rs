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
        "abandoned": v.abandoned,
        "paidAfterAbandon": v.paid_after_abandon(),
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
    if let Some(a) = &v.abandoned {
        println!("cancelled at the till by {}: {}", a.operator, a.reason);
        if v.paid_after_abandon() {
            println!(
                "PAID AFTER ITS CANCELLATION: refund {}",
                v.refundable().fr()
            );
        }
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

/// A closing as `close --json` and `closings --json` print it.
pub(super) fn closing_json(row: &crate::till::ClosingRow) -> Value {
    let c = &row.closing;
    json!({
        "kind": c.kind.code(),
        "number": c.number,
        "documentNumber": c.document_number(),
        "till": c.till,
        "tillUuid": c.till_uuid,
        "label": c.label,
        "from": c.from,
        "to": c.to,
        "firstSeq": c.first_seq,
        "lastSeq": c.last_seq,
        "salesCount": c.totals.sales_count,
        "refundsCount": c.totals.refunds_count,
        "paymentsCents": c.totals.payments_cents,
        "refundsCents": c.totals.refunds_cents,
        "periodTotalCents": c.period_total_cents,
        "perpetualTotalCents": c.perpetual_total_cents,
        "perpetualAbsoluteTotalCents": c.perpetual_absolute_total_cents,
        "byTender": c.totals.by_tender.iter().map(|t| json!({
            "kind": t.kind,
            "paymentsCents": t.payments_cents,
            "refundsCents": t.refunds_cents,
        })).collect::<Vec<_>>(),
        "headHash": c.head_hash,
        "previous": c.previous,
        "seq": row.seq,
        "signature": row.signature,
        "keyFingerprint": row.key_id,
    })
}

/// A closing in one line.
pub(super) fn print_closing(row: &crate::till::ClosingRow) {
    let c = &row.closing;
    let euros = |cents: i64| {
        let a =
            crate::domain::Amount::from_cents(cents.abs()).unwrap_or(crate::domain::Amount::ZERO);
        format!("{}{}", if cents < 0 { "-" } else { "" }, a.fr())
    };
    println!(
        "{} n°{} {} (entries {}–{}): {} sales, {} refunds, payments {}, refunds {}, period {}, perpetual {}, absolute {}",
        c.kind.code(),
        c.number,
        c.label,
        c.first_seq,
        c.last_seq,
        c.totals.sales_count,
        c.totals.refunds_count,
        euros(c.totals.payments_cents),
        euros(c.totals.refunds_cents),
        euros(c.period_total_cents),
        euros(c.perpetual_total_cents),
        euros(c.perpetual_absolute_total_cents)
    );
}
