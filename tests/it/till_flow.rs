//! The till's use cases against the sandbox on loopback and a real SQLite file.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::{CheckoutState, RefundState, TenderKind};
use cadodesk::till::{RefundCommand, TillError};
use serde_json::json;

use crate::support::till::*;

fn refund(payment_id: &str, cents: i64, reason: &str) -> RefundCommand {
    RefundCommand {
        payment_id: payment_id.parse().expect("an id"),
        amount: eur(cents),
        reason: reason.into(),
    }
}

#[tokio::test]
async fn sale_with_two_gift_cards_and_a_visa_then_partial_and_full_refunds() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "Zoé");

    let created = till.create_checkout(sale(12_000)).await.expect("created");
    assert!(
        created.merchant_reference.starts_with("CD-T01-"),
        "{}",
        created.merchant_reference
    );
    assert_eq!(created.state, CheckoutState::InProgress);
    let id = created.hosted_checkout_id.clone();
    pay(
        created.redirect_url.as_deref().expect("url"),
        &[CADO_50, CADO_20],
        Some(VISA),
    )
    .await;

    let v = till.refresh(&id).await.expect("refresh");
    assert_eq!(v.state, CheckoutState::Paid);
    let kinds: Vec<(TenderKind, i64)> = v
        .tenders
        .iter()
        .map(|t| (t.kind, t.amount.cents()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (TenderKind::GiftCard, 5000),
            (TenderKind::GiftCard, 2000),
            (TenderKind::Visa, 5000)
        ]
    );
    assert!(v.tenders.iter().all(|t| t.refundable == t.amount));
    let (g1, g2, visa) = (
        v.tenders[0].payment_id.clone(),
        v.tenders[1].payment_id.clone(),
        v.tenders[2].payment_id.clone(),
    );
    assert_ne!(g1, g2, "each gift card is its own row");

    // Default allocation: the card remainder first, then the last gift card.
    let plan = till.allocate(&id, eur(6000)).expect("allocate");
    assert_eq!(
        plan,
        vec![(visa.to_string(), eur(5000)), (g2.to_string(), eur(1000))]
    );

    // Partial refunds.
    let r1 = till
        .refund(refund(&visa, 1000, "article rendu"))
        .await
        .expect("refund 1");
    assert!(
        matches!(r1.state, RefundState::Pending | RefundState::Refunded),
        "{r1:?}"
    );
    assert!(r1.refund_id.is_some());
    let r2 = till
        .refund(refund(&g2, 500, "geste commercial"))
        .await
        .expect("refund 2");
    assert_eq!(r2.number, r1.number + 1);
    let v = till.checkout(&id).expect("read").expect("known");
    assert_eq!(v.tenders[2].refundable.cents(), 4000);
    assert_eq!(v.tenders[1].refundable.cents(), 1500);

    // Bad input is refused before anything is written.
    assert!(matches!(
        till.refund(refund(&g2, 100, "  ")).await,
        Err(TillError::ReasonMissing)
    ));
    assert!(matches!(
        till.refund(refund(&g2, 100, &"x".repeat(101))).await,
        Err(TillError::ReasonTooLong(101))
    ));
    assert!(matches!(
        till.refund(refund(&g2, 1501, "trop")).await,
        Err(TillError::NotEnoughLeft { left, .. }) if left.cents() == 1500
    ));

    // Watch until the platform has paid both back.
    let mut v = till.refresh(&id).await.expect("refresh");
    for _ in 0..100 {
        if v.refunds.iter().all(|r| r.state == RefundState::Refunded) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        v = till.refresh(&id).await.expect("refresh");
    }
    assert!(
        v.refunds.iter().all(|r| r.state == RefundState::Refunded),
        "{:#?}",
        v.refunds
    );
    assert_eq!(
        v.state,
        CheckoutState::Paid,
        "a refund does not unpay the sale"
    );

    // Full refund of what is left, tender by tender.
    let rest = till
        .allocate(&id, v.refundable())
        .expect("allocate the rest");
    assert_eq!(rest.len(), 3);
    for (payment_id, amount) in rest {
        till.refund(refund(
            &payment_id,
            amount.cents(),
            "annulation de la vente",
        ))
        .await
        .expect("full refund");
    }
    let v = till.checkout(&id).expect("read").expect("known");
    assert_eq!(v.refundable().cents(), 0);
    assert!(matches!(
        till.refund(refund(&g1, 1, "encore")).await,
        Err(TillError::NotEnoughLeft { left, .. }) if left.cents() == 0
    ));

    // The platform holds exactly what the ledger holds.
    for t in &v.tenders {
        let on_platform: i64 = platform_refunds(&sb.base_url(), &t.payment_id)
            .await
            .iter()
            .map(|r| r.1)
            .sum();
        let in_ledger: i64 = v
            .refunds
            .iter()
            .filter(|r| r.payment_id == t.payment_id)
            .map(|r| r.amount.cents())
            .sum();
        assert_eq!(
            (on_platform, in_ledger),
            (t.amount.cents(), t.amount.cents())
        );
    }
    assert!(till.verify_ledger().expect("verify").is_sound());
    assert!(v.timeline.len() >= 8, "{:#?}", v.timeline);
}

#[tokio::test]
async fn a_lost_refund_answer_is_settled_to_exactly_one_refund() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let id = paid_sale(&till, 7000, &[CADO_50, CADO_20], None).await;
    let tender = till.checkout(&id).expect("read").expect("known").tenders[0]
        .payment_id
        .clone();

    fault(
        &sb.base_url(),
        json!({"operation": "refund", "dropAfterCommit": 1.0, "count": 1}),
    )
    .await;
    let r = till
        .refund(refund(&tender, 1234, "retour"))
        .await
        .expect("settled");
    assert!(
        matches!(r.state, RefundState::Pending | RefundState::Refunded),
        "{r:?}"
    );
    let on_platform = platform_refunds(&sb.base_url(), &tender).await;
    assert_eq!(on_platform.len(), 1, "{on_platform:?}");
    assert_eq!(
        Some(on_platform[0].0.clone()),
        r.refund_id.as_ref().map(ToString::to_string)
    );
    assert_eq!(on_platform[0].1, 1234);
    let v = till.checkout(&id).expect("read").expect("known");
    assert_eq!(v.refunds.len(), 1);
    assert_eq!(v.tenders[0].refundable.cents(), 5000 - 1234);
}

#[tokio::test]
async fn two_tills_on_one_ledger_never_refund_more_than_what_is_left() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let a = till(dir.path(), &sb.base_url(), "caisse 1");
    // A second connection to the same file, as a second process would have.
    let b = till(dir.path(), &sb.base_url(), "caisse 2");
    let id = paid_sale(&a, 2000, &[CADO_20], None).await;
    let tender = a.checkout(&id).expect("read").expect("known").tenders[0]
        .payment_id
        .clone();

    // The first request is held at the platform, so both are in flight together.
    fault(
        &sb.base_url(),
        json!({"operation": "refund", "latencyMs": 400, "count": 1}),
    )
    .await;
    let (ra, rb) = tokio::join!(
        a.refund(refund(&tender, 1500, "retour")),
        b.refund(refund(&tender, 1500, "retour"))
    );
    let oks = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks, 1, "{ra:?} {rb:?}");
    let refused = if ra.is_err() { ra } else { rb };
    assert!(
        matches!(
            refused,
            Err(TillError::RefundInFlight { .. }) | Err(TillError::NotEnoughLeft { .. })
        ),
        "{refused:?}"
    );
    let total: i64 = platform_refunds(&sb.base_url(), &tender)
        .await
        .iter()
        .map(|r| r.1)
        .sum();
    assert_eq!(total, 1500);
    // What is left can still be refunded, once.
    b.refund(refund(&tender, 500, "solde"))
        .await
        .expect("the rest");
    assert!(matches!(
        a.refund(refund(&tender, 1, "trop")).await,
        Err(TillError::NotEnoughLeft { .. })
    ));
    assert!(a.verify_ledger().expect("verify").is_sound());
}

#[tokio::test]
async fn a_declined_refund_is_recorded_and_shown_as_declined() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let id = paid_sale(&till, 3000, &[CADO_REFUNDS_DECLINED], None).await;
    let tender = till.checkout(&id).expect("read").expect("known").tenders[0]
        .payment_id
        .clone();
    let r = till
        .refund(refund(&tender, 1000, "retour"))
        .await
        .expect("answered");
    assert_eq!(r.state, RefundState::Declined, "{r:?}");
    let v = till.checkout(&id).expect("read").expect("known");
    assert_eq!(
        v.tenders[0].refundable.cents(),
        3000,
        "a declined refund frees its amount"
    );
    assert_eq!(v.refunds[0].state, RefundState::Declined);
}

#[tokio::test]
async fn reconcile_imports_a_refund_made_elsewhere() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let id = paid_sale(&till, 26_000, &[CADO_250], Some(VISA)).await;
    let visa = till.checkout(&id).expect("read").expect("known").tenders[1]
        .payment_id
        .clone();

    // A refund made in the Merchant Portal: straight to the platform, not through the till.
    let client = cadodesk::direct::DirectClient::new(
        reqwest::Url::parse(&sb.base_url()).expect("url"),
        cadodesk::direct::Credentials::new("cadodesk-sandbox", "sandbox-key-id", "sandbox-secret"),
        cadodesk::direct::ClientOptions::default(),
    )
    .expect("client");
    client
        .refund_payment(
            &visa,
            &cadodesk::direct::wire::RefundRequest::eur(eur(300), Some("portail".into()), None),
            &cadodesk::direct::IdempotenceKey::generate(),
        )
        .await
        .expect("portal refund");

    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let report = till.reconcile(today, today).await.expect("reconcile");
    assert_eq!(report.refunds_imported, 1, "{report:#?}");
    assert_eq!(report.checkouts_checked, 1);
    assert!(!report.differences.is_empty());
    let v = till.checkout(&id).expect("read").expect("known");
    assert_eq!(v.refunds.len(), 1);
    assert!(v.refunds[0].external);
    assert_eq!(v.tenders[1].refundable.cents(), 1000 - 300);
    // Reading again imports nothing twice.
    let again = till.reconcile(today, today).await.expect("reconcile");
    assert_eq!(again.refunds_imported, 0);
}

#[tokio::test]
async fn checkout_input_is_checked_field_by_field() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let till = till(dir.path(), &sb.base_url(), "ana");
    let mut bad = sale(0);
    assert!(matches!(
        till.create_checkout(bad.clone()).await,
        Err(TillError::Amount(_))
    ));
    bad.amount = eur(100);
    bad.email = Some("pas-un-mail".into());
    assert!(matches!(
        till.create_checkout(bad.clone()).await,
        Err(TillError::EmailInvalid(_))
    ));
    bad.email = None;
    bad.return_url = Some("shop.example/back".into());
    assert!(matches!(
        till.create_checkout(bad.clone()).await,
        Err(TillError::ReturnUrlInvalid(_))
    ));
    bad.return_url = None;
    bad.merchant_reference = Some("x".repeat(41));
    assert!(matches!(
        till.create_checkout(bad.clone()).await,
        Err(TillError::ReferenceInvalid(_))
    ));
    bad.merchant_reference = Some("VENTE-42".into());
    let v = till.create_checkout(bad.clone()).await.expect("created");
    assert_eq!(v.merchant_reference, "VENTE-42");
    assert!(matches!(
        till.create_checkout(bad).await,
        Err(TillError::ReferenceTaken(_))
    ));
    // Nothing invalid reached the ledger: one checkout, two entries (intent and answer).
    let checkout_entries = till
        .ledger()
        .entries(1, 100)
        .expect("entries")
        .iter()
        .filter(|e| e.kind.starts_with("checkout"))
        .count();
    assert_eq!(checkout_entries, 2);
    let msg = cadodesk::i18n::Localize::localize(
        &TillError::EmailInvalid("x".into()),
        cadodesk::i18n::Lang::Fr,
    );
    assert!(msg.contains("E-mail"), "{msg}");
}
