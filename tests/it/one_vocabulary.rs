//! One definition of each domain word, used by the ledger, the till and the screens alike; and a value that cannot
//! be read is an error naming it, never a zero. Over the sandbox on loopback and real SQLite files.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::sync::Arc;

use cadodesk::direct::status::PaymentStatus;
use cadodesk::domain::RefundState;
use cadodesk::ledger::{Ledger, LedgerError};
use cadodesk::till::gateway::OperationReading;
use cadodesk::till::{CheckoutFilter, DirectGateway, RefundCommand, Till, TillError};

use crate::support::till::*;

fn refund(payment_id: &str, cents: i64) -> RefundCommand {
    RefundCommand {
        payment_id: payment_id.parse().expect("an id"),
        amount: eur(cents),
        reason: "retour".into(),
    }
}

/// A sale of 50 € paid with one gift card, and a 10 € refund of it that the platform keeps pending.
async fn sale_with_a_pending_refund(till: &Till) -> (String, String) {
    let v = till.create_checkout(sale(5000)).await.expect("created");
    pay(v.redirect_url.as_deref().expect("url"), &[CADO_50], None).await;
    let v = till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    let payment = v.tenders[0].payment_id.clone();
    let r = till.refund(refund(&payment, 1000)).await.expect("refund");
    assert_eq!(r.state, RefundState::Pending, "{r:?}");
    (v.hosted_checkout_id, payment.to_string())
}

/// The Transactions table's "Remboursable" is the till's refundable amount: captured − refunded − what pending
/// refunds hold. (It used to be captured − refunded, offering money a pending refund had already taken.)
#[tokio::test]
async fn the_transactions_refundable_column_subtracts_pending_refunds() {
    let sb = sandbox(600_000).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (id, payment) = sale_with_a_pending_refund(&till).await;
    let rows = till
        .list_checkouts(&CheckoutFilter::default())
        .expect("list");
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        (row.captured, row.held, row.refundable),
        (eur(5000), eur(1000), eur(4000))
    );
    let screen = cadodesk::ui::convert::checkout_row(row).expect("a row on screen");
    assert_eq!(
        screen.refundable,
        eur(4000),
        "the screen shows the till's number"
    );
    let view = till.checkout(&id).expect("read").expect("checkout");
    assert_eq!(view.refundable(), eur(4000));
    let tender = till
        .ledger()
        .tender(&payment)
        .expect("read")
        .expect("tender");
    assert_eq!(tender.refundable(), eur(4000), "and the guard's");
}

/// A pending refund holds its amount but has its answer: it is not "in flight", so the guard lets the next
/// refund of the tender through, and the screens, which use the same states, say the same.
#[tokio::test]
async fn a_pending_refund_holds_its_amount_but_is_not_in_flight() {
    let sb = sandbox(600_000).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (id, payment) = sale_with_a_pending_refund(&till).await;
    let view = till.checkout(&id).expect("read").expect("checkout");
    let first = &view.refunds[0];
    assert!(first.state.holds_amount());
    assert!(!first.state.awaits_answer());
    assert!(!view.tenders[0].refund_in_flight, "the ledger agrees");
    let second = till
        .refund(refund(&payment, 1000))
        .await
        .expect("the guard lets a second refund through");
    assert_eq!(second.state, RefundState::Pending);
    let line = cadodesk::ui::convert::refund(&second);
    assert_eq!(
        line.status,
        RefundState::Pending,
        "the screen's state is the till's"
    );
    assert!(!line.status.awaits_answer());
}

/// A refund made outside cadodesk whose amount the platform does not give is reported by reconciliation, by name,
/// and not imported. (The missing amount used to be read as 0 €; only the ledger's `CHECK (amount_cents > 0)`
/// kept it out, and the report showed that raw SQLite refusal instead of saying what was missing.)
#[tokio::test]
async fn an_external_refund_whose_amount_cannot_be_read_is_reported_not_journaled_as_zero() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let platform = Arc::new(Interposed::new(&sb.base_url()));
    let ledger = Ledger::open_in(dir.path()).expect("ledger");
    let till = Till::with_gateway(ledger, platform.clone(), "ana", 180, None);
    let v = till.create_checkout(sale(5000)).await.expect("created");
    pay(v.redirect_url.as_deref().expect("url"), &[CADO_50], None).await;
    let v = till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    let base = v.tenders[0].payment_id.trim_end_matches("_0").to_string();
    // The platform lists one more refund, made elsewhere, without its amount.
    platform
        .extra_operations
        .lock()
        .unwrap()
        .push(OperationReading {
            id: format!("{base}_9"),
            status: Some(PaymentStatus::Refunded),
            status_code: Some(8),
            amount: None,
            merchant_reference: None,
        });
    let entries = till.ledger().journal_len().expect("len");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let report = till.reconcile(today, today).await.expect("reconcile");
    assert_eq!(report.refunds_imported, 0);
    assert!(
        report
            .differences
            .iter()
            .any(|d| d.contains(&format!("{base}_9")) && d.contains("no amount")),
        "{:?}",
        report.differences
    );
    let refunds = till
        .ledger()
        .refunds_of_checkout(&v.hosted_checkout_id)
        .expect("read");
    assert!(refunds.is_empty(), "nothing imported: {refunds:?}");
    // Only the reconciliation itself was journaled.
    assert_eq!(till.ledger().journal_len().expect("len"), entries + 1);
}

/// A stored amount that is not an amount (a negative number, written behind the app's back) is an error naming
/// its column. (It used to read as 0 €.)
#[tokio::test]
async fn a_stored_amount_that_cannot_be_read_is_an_error_naming_its_column() {
    let sb = sandbox(600_000).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let (_, payment) = sale_with_a_pending_refund(&till).await;
    {
        let db = rusqlite::Connection::open(dir.path().join("ledger.sqlite3")).expect("open");
        db.execute_batch(
            "PRAGMA ignore_check_constraints = ON; UPDATE refunds SET amount_cents = -1000;",
        )
        .expect("edit behind the app's back");
    }
    let ledger = Ledger::open_in(dir.path()).expect("ledger");
    match ledger.refund_by_number(1) {
        Err(LedgerError::Decode(m)) => {
            assert!(m.contains("amount_cents") && m.contains("-1000"), "{m}")
        }
        other => panic!("expected an error naming the column, got {other:?}"),
    }
    let till = Till::with_gateway(
        ledger,
        Arc::new(DirectGateway::new(&sb.base_url(), &credentials()).expect("gateway")),
        "ana",
        180,
        None,
    );
    match till.refund(refund(&payment, 100)).await {
        Err(TillError::Ledger(LedgerError::Decode(m))) => assert!(m.contains("-1000"), "{m}"),
        other => panic!("a refund over an unreadable ledger is refused, got {other:?}"),
    }
}
