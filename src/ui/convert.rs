//! The till's views turned into what the screens show. The one place that knows both shapes.

use crate::domain::{PRODUCT_CADO, TenderKind};
use crate::i18n::Lang;
use crate::till::{
    CheckoutRow as TillRow, CheckoutView, RefundRow as TillRefundRow, RefundView, TenderView,
};
use crate::ui::model::{Checkout, CheckoutRow, RefundLine, RefundRow, Tender, TimelineEntry};

fn kind_name(kind: TenderKind) -> String {
    kind.label(Lang::Fr)
}

/// "•••• 0002" from whatever masking the platform used ("629900******0002").
fn masked(number: Option<&str>) -> String {
    let Some(n) = number else {
        return String::new();
    };
    let last: String = n
        .chars()
        .rev()
        .filter(char::is_ascii_digit)
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if last.is_empty() {
        n.to_string()
    } else {
        format!("•••• {last}")
    }
}

/// One tender.
pub fn tender(t: &TenderView) -> Tender {
    Tender {
        payment_id: t.payment_id.to_string(),
        product_id: t.product_id,
        kind: kind_name(t.kind),
        masked_number: masked(t.masked_number.as_deref()),
        amount: t.captured.max(t.amount),
        refunded: t.refunded,
        pending: t.pending,
        refundable: t.refundable,
        status: t.status.clone(),
    }
}

/// Gift cards paid through the hosted page come back without a card number; number them in paying order
/// ("n°1", "n°2") so staff can still tell them apart.
fn numbered(mut tenders: Vec<Tender>) -> Vec<Tender> {
    let mut n = 0;
    for t in &mut tenders {
        if t.product_id == PRODUCT_CADO {
            n += 1;
            if t.masked_number.is_empty() {
                t.masked_number = format!("n°{n}");
            }
        }
    }
    tenders
}

/// One refund.
pub fn refund(r: &RefundView) -> RefundLine {
    RefundLine {
        number: r.number,
        refund_id: r.refund_id.as_ref().map(ToString::to_string),
        payment_id: r.payment_id.to_string(),
        amount: r.amount,
        reason: r.reason.clone(),
        status: r.state,
        operator: r.operator.clone(),
        created_at: r.created_at,
        external: r.external,
    }
}

/// A whole checkout.
pub fn checkout(v: &CheckoutView) -> Checkout {
    Checkout {
        id: v.hosted_checkout_id.clone(),
        reference: v.merchant_reference.clone(),
        amount: v.amount,
        status: v.state,
        redirect_url: v.redirect_url.clone(),
        created_at: v.created_at,
        email: v.email.clone(),
        operator: v.operator.clone(),
        tenders: numbered(v.tenders.iter().map(tender).collect()),
        refunds: v.refunds.iter().map(refund).collect(),
        timeline: v
            .timeline
            .iter()
            .map(|e| TimelineEntry {
                at: e.at,
                what_fr: e.summary_fr.clone(),
                what_en: e.summary_en.clone(),
            })
            .collect(),
        abandoned: v.abandoned.as_ref().map(|a| a.reason.clone()),
    }
}

/// A table row; `None` for a checkout whose creation failed before the platform gave it an id.
pub fn checkout_row(r: &TillRow) -> Option<CheckoutRow> {
    let id = r.hosted_checkout_id.clone()?;
    Some(CheckoutRow {
        id: id.to_string(),
        created_at: r.created_at,
        reference: r.merchant_reference.clone(),
        amount: r.amount,
        status: r.state,
        paid: r.captured,
        refunded: r.refunded,
        refundable: r.refundable,
        operator: r.operator.clone(),
    })
}

/// The day so far, for the counter.
pub fn today(v: &crate::till::TodayView) -> crate::ui::model::Today {
    crate::ui::model::Today {
        since: v.day.from,
        totals: v.day.totals.clone(),
        last_sales: v.last_sales.iter().filter_map(checkout_row).collect(),
    }
}

/// A refund ledger row, with its tender's label from its checkout.
pub fn refund_row(r: &TillRefundRow, checkout: Option<&CheckoutView>) -> RefundRow {
    let tender = checkout
        .map(|c| numbered(c.tenders.iter().map(tender).collect()))
        .and_then(|ts| ts.into_iter().find(|t| r.refund.payment_id == t.payment_id))
        .map(|t| t.label())
        .unwrap_or_else(|| r.refund.payment_id.to_string());
    RefundRow {
        created_at: r.refund.created_at,
        reference: r.merchant_reference.clone(),
        payment_id: r.refund.payment_id.to_string(),
        tender,
        refund_id: r.refund.refund_id.as_ref().map(ToString::to_string),
        amount: r.refund.amount,
        status: r.refund.state,
        reason: r.refund.reason.clone(),
        operator: r.refund.operator.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn masks_show_the_last_four_digits_only() {
        assert_eq!(masked(Some("629900******0002")), "•••• 0002");
        assert_eq!(masked(Some("************0026")), "•••• 0026");
        assert_eq!(masked(None), "");
    }
}
