//! The refund guard across tills as the till uses it, with a centre that answers as told (no server needed): a
//! refusal or a centre out of reach sends nothing, and an intent left unsent by a crash is sent again only once the
//! centre holds its amount.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::sync::Arc;

use cadodesk::domain::{Amount, RefundState};
use cadodesk::till::central_guard::{CentralGuard, CentralUnavailable, ForeignTender, Reservation};
use cadodesk::till::gateway::BoxFuture;
use cadodesk::till::{RefundCommand, TillError};

use crate::support::till::*;

/// A centre that answers every reservation with `answer` (`None`: out of reach), and holds no sale.
#[derive(Debug)]
struct Centre {
    answer: Option<Reservation>,
    asked: std::sync::Mutex<Vec<String>>,
}

impl Centre {
    fn new(answer: Option<Reservation>) -> Arc<Centre> {
        Arc::new(Centre {
            answer,
            asked: std::sync::Mutex::new(Vec::new()),
        })
    }
}

impl CentralGuard for Centre {
    fn reserve<'a>(
        &'a self,
        _payment_id: &'a str,
        idempotence_key: &'a str,
        _amount: Amount,
    ) -> BoxFuture<'a, Result<Reservation, CentralUnavailable>> {
        self.asked.lock().unwrap().push(idempotence_key.to_string());
        let answer = self.answer;
        Box::pin(
            async move { answer.ok_or_else(|| CentralUnavailable("connection refused".into())) },
        )
    }

    fn foreign_tender<'a>(
        &'a self,
        _payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ForeignTender>, CentralUnavailable>> {
        Box::pin(async { Ok(None) })
    }

    fn foreign_sale<'a>(
        &'a self,
        _sale: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ForeignTender>, CentralUnavailable>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

fn cmd(payment: &str, cents: i64) -> RefundCommand {
    RefundCommand {
        payment_id: payment.to_string(),
        amount: eur(cents),
        reason: "retour".into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_the_centre_refuses_or_cannot_count_is_never_sent() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let t = till(dir.path(), &sb.base_url(), "ana");
    let sale = paid_sale(&t, 3000, &[], Some(VISA)).await;
    let payment = t.checkout(&sale).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();

    let refusing = t
        .clone()
        .with_central(Centre::new(Some(Reservation::NotEnoughLeft {
            left: eur(200),
        })));
    match refusing.refund(cmd(&payment, 500)).await {
        Err(TillError::NotEnoughLeft { left, .. }) => assert_eq!(left, eur(200)),
        other => panic!("the centre's refusal is the answer: {other:?}"),
    }
    let away = t.clone().with_central(Centre::new(None));
    match away.refund(cmd(&payment, 500)).await {
        Err(TillError::CentralUnreachable(why)) => assert!(why.contains("refused"), "{why}"),
        other => panic!("a centre out of reach refuses the refund: {other:?}"),
    }
    assert!(
        platform_refunds(&sb.base_url(), &payment).await.is_empty(),
        "nothing sent"
    );
    let refunds = t.ledger().refunds_of_checkout(&sale).unwrap();
    assert_eq!(refunds.len(), 2);
    assert!(
        refunds.iter().all(|r| r.state == RefundState::Declined),
        "each intent closed as declined, its amount free again: {refunds:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_intent_a_crash_left_unsent_is_sent_by_resume_only_once_the_centre_holds_its_amount() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let t = till(dir.path(), &sb.base_url(), "ana");
    let sale = paid_sale(&t, 3000, &[], Some(VISA)).await;
    let payment = t.checkout(&sale).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    // The intent is written, then the process dies before asking the centre or the platform.
    let intent = t
        .ledger()
        .request_refund("ana", &payment, eur(700), "retour")
        .unwrap();

    let refusing = Centre::new(Some(Reservation::NotEnoughLeft { left: eur(0) }));
    t.clone()
        .with_central(refusing.clone())
        .resume()
        .await
        .unwrap();
    assert_eq!(
        refusing.asked.lock().unwrap().as_slice(),
        [intent.idempotence_key.to_string()]
    );
    assert!(
        platform_refunds(&sb.base_url(), &payment).await.is_empty(),
        "not sent while the centre does not hold its amount"
    );
    let r = t
        .ledger()
        .refund_by_key(&intent.idempotence_key)
        .unwrap()
        .unwrap();
    assert!(
        r.state.awaits_answer(),
        "left for a later attempt or the operator: {r:?}"
    );

    let accepting = Centre::new(Some(Reservation::Accepted { left: eur(2300) }));
    t.clone().with_central(accepting).resume().await.unwrap();
    let on_platform = platform_refunds(&sb.base_url(), &payment).await;
    assert_eq!(on_platform.len(), 1, "sent once the centre holds it");
    assert_eq!(on_platform[0].1, 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_without_a_centre_says_how_to_give_it_one() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = crate::support::binary::Cli::sandbox(dir.path(), &sb.base_url());
    let out = cli.run(&["sync", "--json"]).await;
    let said = crate::support::binary::stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("central connect") && said.contains("CADODESK_CENTRAL_URL"),
        "{said}"
    );
}
