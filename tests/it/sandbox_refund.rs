//! Refunds: partial, over, after full, declined, completion after the delay, idempotence.

use serde_json::{Value, json};

use crate::support::sandbox::*;

fn eur(amount: i64) -> Value {
    json!({"amountOfMoney": {"amount": amount, "currencyCode": "EUR"}, "reason": "retour article",
           "operationReferences": {"merchantReference": "R-1"}})
}

/// A checkout paid by gift card 1 (250 €) and a Visa (rest); returns (gift id, visa id).
async fn paid(s: &Sbx, amount: i64) -> (String, String) {
    let fields = form(&[gift(1, 1), visa()]);
    let (_, g) = s.paid_checkout(amount, &refs(&fields)).await;
    let t = s.tender_ids(&g).await;
    (t[0].0.clone(), t[1].0.clone())
}

#[tokio::test]
async fn partial_refunds_then_over_and_after_full() {
    let s = Sbx::start().await;
    let (gift_id, visa_id) = paid(&s, 30_000).await; // 250 € gift + 50 € Visa
    let a = s
        .post(&format!("/payments/{visa_id}/refund"), &eur(2_000))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let r = a.json();
    crate::openapi::assert_valid("refundResponse", &r);
    assert_eq!(r["status"], "REFUND_REQUESTED");
    assert_eq!(r["statusOutput"]["statusCode"], 81);
    assert_eq!(
        r["statusOutput"]["statusCategory"],
        "PENDING_CONNECT_OR_3RD_PARTY"
    );
    let rid = r["id"].as_str().expect("id");
    let base = visa_id.split_once('_').expect("_").0;
    assert_eq!(rid, format!("{base}_1"));
    assert_eq!(r["refundOutput"]["paymentMethod"], "card");

    // 20 € requested of 50 €: 31 € is too much, 30 € is exactly what is left.
    let e = s
        .post(&format!("/payments/{visa_id}/refund"), &eur(3_100))
        .await
        .assert_error(400);
    assert_eq!(e["message"], "ACTION_NOT_ALLOWED_ON_TRANSACTION");
    let a = s
        .post(&format!("/payments/{visa_id}/refund"), &eur(3_000))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    assert_eq!(a.json()["id"], format!("{base}_2"));
    let e = s
        .post(&format!("/payments/{visa_id}/refund"), &eur(1))
        .await
        .assert_error(400);
    assert_eq!(e["message"], "ACTION_NOT_ALLOWED_ON_TRANSACTION");

    // Both complete after the delay; the payment is then fully refunded.
    let p = eventually(|| async {
        let p = s.get(&format!("/payments/{visa_id}")).await.json();
        (p["status"] == "REFUNDED").then_some(p)
    })
    .await;
    crate::openapi::assert_valid("paymentResponse", &p);
    assert_eq!(p["statusOutput"]["statusCode"], 8);
    assert_eq!(p["statusOutput"]["isRefundable"], false);
    let list = s.get(&format!("/payments/{visa_id}/refunds")).await.json();
    crate::openapi::assert_valid("refundsResponse", &list);
    let statuses: Vec<&Value> = list["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(statuses, vec!["REFUNDED", "REFUNDED"]);
    let e = s
        .post(&format!("/payments/{visa_id}/refund"), &eur(100))
        .await
        .assert_error(400);
    assert_eq!(e["message"], "ACTION_NOT_ALLOWED_ON_TRANSACTION");

    // Details on the gift card list every tender and every refund.
    let d = s.get(&format!("/payments/{gift_id}/details")).await.json();
    crate::openapi::assert_valid("paymentDetailsResponse", &d);
    let codes: Vec<(i64, i64)> = d["Operations"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|o| {
            (
                o["statusOutput"]["statusCode"].as_i64().unwrap_or(0),
                o["amountOfMoney"]["amount"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(codes, vec![(9, 25_000), (9, 5_000), (8, 2_000), (8, 3_000)]);

    // Refunds of unknown payments, bad amounts.
    s.post("/payments/9999999999_0/refund", &eur(100))
        .await
        .assert_error(404);
    s.get("/payments/9999999999_0/refunds")
        .await
        .assert_error(404);
    let e = s
        .post(&format!("/payments/{gift_id}/refund"), &eur(0))
        .await
        .assert_error(400);
    assert_eq!(e["propertyName"], "amountOfMoney.amount");
    let mut usd = eur(100);
    usd["amountOfMoney"]["currencyCode"] = json!("USD");
    let e = s
        .post(&format!("/payments/{gift_id}/refund"), &usd)
        .await
        .assert_error(400);
    assert_eq!(e["propertyName"], "amountOfMoney.currencyCode");
}

#[tokio::test]
async fn a_completed_gift_card_refund_restores_the_balance() {
    let s = Sbx::start().await;
    let fields = form(&[gift(1, 2)]);
    let (_, g) = s.paid_checkout(4_000, &refs(&fields)).await;
    let id = g["createdPaymentOutput"]["payment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(s.state().await["balances"]["6299000000000002"], 1_000);
    let a = s.post(&format!("/payments/{id}/refund"), &eur(1_500)).await;
    assert_eq!(a.status, 201);
    assert_eq!(a.json()["refundOutput"]["paymentMethod"], "redirect");
    let rid = a.json()["id"].as_str().expect("id").to_string();
    let r = eventually(|| async {
        let list = s.get(&format!("/payments/{id}/refunds")).await.json();
        let r = list["refunds"]
            .as_array()?
            .iter()
            .find(|r| r["id"] == rid.as_str())?
            .clone();
        (r["status"] == "REFUNDED").then_some(r)
    })
    .await;
    assert_eq!(r["statusOutput"]["statusCode"], 8);
    assert_eq!(r["statusOutput"]["statusCategory"], "REFUNDED");
    assert_eq!(s.state().await["balances"]["6299000000000002"], 2_500);
    // Partly refunded: still CAPTURED and refundable.
    let p = s.get(&format!("/payments/{id}")).await.json();
    assert_eq!(p["status"], "CAPTURED");
    assert_eq!(p["statusOutput"]["isRefundable"], true);
}

/// A 10 € refund of a sale paid with test card 6, whose refunds the sandbox declines: the card's payment id and
/// the answer.
async fn refund_on_card_6(s: &Sbx) -> (String, Answer) {
    let fields = form(&[gift(1, 6)]);
    let (_, g) = s.paid_checkout(3_000, &refs(&fields)).await;
    let id = g["createdPaymentOutput"]["payment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let answer = s.post(&format!("/payments/{id}/refund"), &eur(1_000)).await;
    (id, answer)
}

#[tokio::test]
async fn refunds_to_card_6_are_declined_with_a_refund_result() {
    let s = Sbx::start().await;
    let (id, a) = refund_on_card_6(&s).await;
    assert!(a.status >= 400, "{}", a.text);
    assert!(a.content_type().starts_with("application/json"));
    let body = a.json();
    crate::openapi::assert_valid("refundErrorResponse", &body);
    assert_eq!(body["refundResult"]["status"], "REJECTED");
    assert_eq!(
        body["refundResult"]["statusOutput"]["statusCategory"],
        "UNSUCCESSFUL"
    );
    // Nothing was refunded, so the whole amount can still be asked for.
    let st = s.state().await;
    assert_eq!(st["balances"]["6299000000000006"], 7_000);
    let p = s.get(&format!("/payments/{id}")).await.json();
    assert_eq!(p["statusOutput"]["isRefundable"], true);
}

/// The schema name the contract gives RefundPayment's answer with this status, if it lists the status.
fn refund_payment_response_schema(status: u16) -> Option<String> {
    let text = include_str!("../data/worldline-direct-openapi-v2.yaml");
    let yaml: Value = serde_yaml::from_str(text).expect("the contract is valid YAML");
    let responses =
        &yaml["paths"]["/v2/{merchantId}/payments/{paymentId}/refund"]["post"]["responses"];
    assert!(responses.is_object(), "RefundPayment is in the contract");
    let schema = responses
        .get(status.to_string())?
        .pointer("/content/application~1json/schema/$ref")?
        .as_str()?;
    schema
        .strip_prefix("#/components/schemas/")
        .map(str::to_string)
}

#[tokio::test]
async fn a_declined_refund_is_a_400_refund_error_response_as_the_contract_says() {
    let s = Sbx::start().await;
    let (id, a) = refund_on_card_6(&s).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.content_type().starts_with("application/json"));
    let schema = refund_payment_response_schema(a.status)
        .unwrap_or_else(|| panic!("the contract does not list {} for RefundPayment", a.status));
    assert_eq!(schema, "refundErrorResponse");
    let body = a.json();
    crate::openapi::assert_valid(&schema, &body);
    assert_eq!(body["errors"][0]["httpStatusCode"], 400);
    assert_eq!(body["errors"][0]["id"], "REFUND_DECLINED");
    let refund = &body["refundResult"];
    crate::openapi::assert_valid("refundResponse", refund);
    assert_eq!(refund["id"], format!("{}_1", &id[..10]));
    assert_eq!(refund["status"], "REJECTED");
    assert_eq!(refund["statusOutput"]["statusCode"], 83);
    assert_eq!(refund["refundOutput"]["amountOfMoney"]["amount"], 1_000);
    // The refused refund is listed as REJECTED, as the platform keeps it.
    let list = s.get(&format!("/payments/{id}/refunds")).await.json();
    assert_eq!(list["refunds"][0]["status"], "REJECTED");
}

#[tokio::test]
async fn an_idempotent_refund_is_replayed_with_its_timestamp() {
    let s = Sbx::start().await;
    let (_, visa_id) = paid(&s, 30_000).await;
    let path = format!("/payments/{visa_id}/refund");
    let first = s.post_idem(&path, &eur(1_000), "key-1").await;
    assert_eq!(first.status, 201);
    assert!(
        first
            .header("x-gcs-idempotence-request-timestamp")
            .is_none()
    );
    // Same key, even with another amount: the same answer, once.
    let again = s.post_idem(&path, &eur(4_000), "key-1").await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json(), first.json());
    let ts: i64 = again
        .header("x-gcs-idempotence-request-timestamp")
        .expect("timestamp header")
        .parse()
        .expect("milliseconds");
    assert!(ts > 1_700_000_000_000, "{ts}");
    let list = s.get(&format!("/payments/{visa_id}/refunds")).await.json();
    assert_eq!(list["refunds"].as_array().expect("refunds").len(), 1);
    // A stored error is replayed too.
    let e1 = s.post_idem(&path, &eur(1_000_000), "key-2").await;
    e1.assert_error(400);
    let e2 = s.post_idem(&path, &eur(100), "key-2").await;
    e2.assert_error(400);
    assert!(e2.header("x-gcs-idempotence-request-timestamp").is_some());
    // Keys longer than 40 characters are refused.
    let long = "k".repeat(41);
    let e = s.post_idem(&path, &eur(100), &long).await.assert_error(400);
    assert_eq!(e["propertyName"], "X-GCS-Idempotence-Key");
}

#[tokio::test]
async fn a_repeat_while_the_first_runs_gets_409() {
    let s = Sbx::start().await;
    let (_, visa_id) = paid(&s, 30_000).await;
    // The first refund is held inside the idempotence window until the test lets it go.
    let r = s
        .http
        .post(format!("{}/sandbox/faults", s.base))
        .json(&json!({"operation": "refund", "hold": true, "count": 1}))
        .send()
        .await
        .expect("faults");
    assert_eq!(r.status().as_u16(), 200);
    let path = format!("/payments/{visa_id}/refund");
    let body = eur(1_000);
    let slow = s.post_idem(&path, &body, "slow-key");
    let repeat = async {
        // Wait until the platform holds the first request in progress, then repeat it, then let the first go.
        eventually(|| async {
            let st = s.state().await;
            st["inProgress"]
                .as_array()
                .is_some_and(|keys| keys.iter().any(|k| k == "slow-key"))
                .then_some(())
        })
        .await;
        let second = s.post_idem(&path, &eur(1_000), "slow-key").await;
        let r = s
            .http
            .delete(format!("{}/sandbox/faults", s.base))
            .send()
            .await
            .expect("release");
        assert_eq!(r.status().as_u16(), 200);
        second
    };
    let (first, second) = tokio::join!(slow, repeat);
    let e = second.assert_error(409);
    assert_eq!(e["errorCode"], "30001002");
    assert_eq!(e["code"], "1409");
    assert!(
        second
            .header("x-gcs-idempotence-request-timestamp")
            .is_some()
    );
    // Released, the first one was carried out.
    assert_eq!(first.status, 201, "{}", first.text);
}
