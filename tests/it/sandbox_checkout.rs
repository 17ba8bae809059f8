//! Hosted checkouts: validation, the Bimpli CADO page over HTTP, tenders and their details.

use serde_json::{Value, json};

use crate::support::sandbox::*;

fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    let target = if parent.is_empty() {
        &mut base
    } else {
        base.pointer_mut(parent).expect("parent exists")
    };
    target[key] = value;
    base
}

#[tokio::test]
async fn validation_names_the_property() {
    let s = Sbx::start().await;
    let ok = checkout_request(4250, true);
    let cases = [
        (
            "/order/amountOfMoney/amount",
            json!(0),
            "order.amountOfMoney.amount",
        ),
        (
            "/order/amountOfMoney/amount",
            json!(-5),
            "order.amountOfMoney.amount",
        ),
        (
            "/order/amountOfMoney/amount",
            json!("42,50"),
            "order.amountOfMoney.amount",
        ),
        (
            "/order/amountOfMoney/amount",
            json!(1_000_000_000_000i64),
            "order.amountOfMoney.amount",
        ),
        (
            "/order/amountOfMoney/currencyCode",
            json!("USD"),
            "order.amountOfMoney.currencyCode",
        ),
        (
            "/order/amountOfMoney/currencyCode",
            json!("EURO"),
            "order.amountOfMoney.currencyCode",
        ),
        (
            "/order/references/merchantReference",
            json!("x".repeat(41)),
            "order.references.merchantReference",
        ),
        (
            "/hostedCheckoutSpecificInput/returnUrl",
            json!("shop.example/return"),
            "hostedCheckoutSpecificInput.returnUrl",
        ),
        (
            "/hostedCheckoutSpecificInput/returnUrl",
            json!(format!("https://shop.example/{}", "r".repeat(200))),
            "hostedCheckoutSpecificInput.returnUrl",
        ),
        (
            "/hostedCheckoutSpecificInput/locale",
            json!("fr_FR_x"),
            "hostedCheckoutSpecificInput.locale",
        ),
        (
            "/hostedCheckoutSpecificInput/sessionTimeout",
            json!(0),
            "hostedCheckoutSpecificInput.sessionTimeout",
        ),
        (
            "/hostedCheckoutSpecificInput/sessionTimeout",
            json!(1441),
            "hostedCheckoutSpecificInput.sessionTimeout",
        ),
        (
            "/hostedCheckoutSpecificInput/allowedNumberOfPaymentAttempts",
            json!(11),
            "hostedCheckoutSpecificInput.allowedNumberOfPaymentAttempts",
        ),
        (
            "/hostedCheckoutSpecificInput/allowedNumberOfPaymentAttempts",
            json!(0),
            "hostedCheckoutSpecificInput.allowedNumberOfPaymentAttempts",
        ),
        ("/order/amountOfMoney", Value::Null, "order.amountOfMoney"),
    ];
    for (pointer, value, property) in cases {
        let body = with(ok.clone(), pointer, value.clone());
        let a = s.post("/hostedcheckouts", &body).await;
        let e = a.assert_error(400);
        assert_eq!(
            e["propertyName"], property,
            "{pointer} = {value}: {}",
            a.text
        );
    }
    let e = s
        .post("/hostedcheckouts", &json!({}))
        .await
        .assert_error(400);
    assert_eq!(e["propertyName"], "order");
    // Boundaries that are allowed.
    for (pointer, value) in [
        ("/order/references/merchantReference", json!("x".repeat(40))),
        ("/hostedCheckoutSpecificInput/sessionTimeout", json!(1440)),
        (
            "/hostedCheckoutSpecificInput/allowedNumberOfPaymentAttempts",
            json!(1),
        ),
        ("/order/amountOfMoney/amount", json!(999_999_999_999i64)),
    ] {
        let a = s
            .post("/hostedcheckouts", &with(ok.clone(), pointer, value))
            .await;
        assert_eq!(a.status, 200, "{pointer}: {}", a.text);
    }
}

#[tokio::test]
async fn two_gift_cards_and_a_visa_pay_one_checkout() {
    let s = Sbx::start().await;
    // 320 € = 250 € (card 1) + 50 € (card 2) + 20 € Visa.
    let c = s.create_checkout(32_000, true).await;
    let id = c["hostedCheckoutId"].as_str().expect("id").to_string();
    assert!(id.chars().all(|ch| ch.is_ascii_digit()), "{id}");
    let url = c["redirectUrl"].as_str().expect("redirectUrl").to_string();
    assert!(
        url.ends_with(
            &c["partialRedirectUrl"]
                .as_str()
                .expect("partial")
                .to_string()
        )
    );

    let g = s.get(&format!("/hostedcheckouts/{id}")).await;
    crate::openapi::assert_valid("getHostedCheckoutResponse", &g.json());
    assert_eq!(g.json()["status"], "IN_PROGRESS");

    let page = s.http.get(&url).send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("html");
    for name in [
        "giftcard1_number",
        "giftcard1_expiry",
        "giftcard1_cvv",
        "giftcard3_cvv",
        "card_number",
        "card_expiry",
        "card_cvv",
        "name=\"action\"",
        "value=\"pay\"",
        "value=\"cancel\"",
        "Bimpli CADO",
        "320,00",
    ] {
        assert!(html.contains(name), "page lacks {name}");
    }
    assert!(html.contains("lang=\"fr\""));
    // Enter in a field submits with the first button: it must be Pay, not Cancel.
    let pay = html.find("value=\"pay\"").expect("pay button");
    let cancel = html.find("value=\"cancel\"").expect("cancel button");
    assert!(pay < cancel, "the pay button comes first");

    let fields = form(&[gift(1, 1), gift(2, 2), visa()]);
    let a = s.submit(&url, &refs(&fields)).await;
    assert_eq!(a.status, 302, "{}", a.text);
    let location = a.header("location").expect("Location");
    assert!(
        location.starts_with("https://shop.example/return?"),
        "{location}"
    );
    let q = query_of(location);
    assert_eq!(
        q.get("RETURNMAC").map(String::as_str),
        c["RETURNMAC"].as_str()
    );
    assert_eq!(q.get("hostedCheckoutId"), Some(&id));

    let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
    crate::openapi::assert_valid("getHostedCheckoutResponse", &g);
    assert_eq!(g["status"], "PAYMENT_CREATED");
    assert_eq!(
        g["createdPaymentOutput"]["paymentStatusCategory"],
        "SUCCESSFUL"
    );
    let first = &g["createdPaymentOutput"]["payment"];
    assert_eq!(first["status"], "CAPTURED");
    assert_eq!(first["statusOutput"]["statusCode"], 9);
    assert_eq!(
        first["hostedCheckoutSpecificOutput"]["hostedCheckoutId"],
        id.as_str()
    );

    let pid = first["id"].as_str().expect("payment id");
    let (digits, op) = pid.split_once('_').expect("underscore");
    assert_eq!((digits.len(), op), (10, "0"));
    let d = s.get(&format!("/payments/{pid}/details")).await;
    assert_eq!(d.status, 200);
    let d = d.json();
    crate::openapi::assert_valid("paymentDetailsResponse", &d);
    let ops = d["Operations"].as_array().expect("Operations");
    let summary: Vec<(i64, String)> = ops
        .iter()
        .map(|o| {
            (
                o["amountOfMoney"]["amount"].as_i64().unwrap_or(0),
                o["paymentMethod"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (25_000, "redirect".into()),
            (5_000, "redirect".into()),
            (2_000, "card".into())
        ]
    );
    // Every tender is a payment of its own, readable by its id.
    let mut products = Vec::new();
    for o in ops {
        let p = s
            .get(&format!("/payments/{}", o["id"].as_str().expect("id")))
            .await;
        assert_eq!(p.status, 200);
        let p = p.json();
        crate::openapi::assert_valid("paymentResponse", &p);
        assert_eq!(p["status"], "CAPTURED");
        assert_eq!(p["statusOutput"]["statusCategory"], "COMPLETED");
        assert_eq!(p["statusOutput"]["isRefundable"], true);
        let out = &p["paymentOutput"];
        let product = out["redirectPaymentMethodSpecificOutput"]["paymentProductId"]
            .as_i64()
            .or(out["cardPaymentMethodSpecificOutput"]["paymentProductId"].as_i64());
        products.push(product);
        let date = out["transactionDate"].as_str().expect("transactionDate");
        assert!(date.ends_with('Z'), "{date}");
        let change = p["statusOutput"]["statusCodeChangeDateTime"]
            .as_str()
            .expect("change");
        assert_eq!(change.len(), 14);
        // Details on any tender list the same operations.
        let other = s
            .get(&format!(
                "/payments/{}/details",
                o["id"].as_str().expect("id")
            ))
            .await
            .json();
        assert_eq!(other["Operations"], d["Operations"]);
    }
    assert_eq!(products, vec![Some(3103), Some(3103), Some(1)]);
    let card_op = &ops[2];
    let card = s
        .get(&format!(
            "/payments/{}",
            card_op["id"].as_str().expect("id")
        ))
        .await
        .json();
    assert_eq!(
        card["paymentOutput"]["cardPaymentMethodSpecificOutput"]["card"]["cardNumber"],
        "************0026"
    );

    // Balances fell.
    let st = s.state().await;
    assert_eq!(st["balances"]["6299000000000001"], 0);
    assert_eq!(st["balances"]["6299000000000002"], 0);
    // The page is over.
    let again = s.http.get(&url).send().await.expect("page");
    assert_eq!(again.status().as_u16(), 410);
}

#[tokio::test]
async fn a_gift_card_pays_at_most_what_is_left() {
    let s = Sbx::start().await;
    // 30 €: card 2 (50 €) pays 30 €, card 3 is not needed and keeps its 20 €.
    let fields = form(&[gift(1, 2), gift(2, 3)]);
    let (_, g) = s.paid_checkout(3_000, &refs(&fields)).await;
    let tenders = s.tender_ids(&g).await;
    assert_eq!(tenders.iter().map(|t| t.1).collect::<Vec<_>>(), vec![3_000]);
    let st = s.state().await;
    assert_eq!(st["balances"]["6299000000000002"], 2_000);
    assert_eq!(st["balances"]["6299000000000003"], 2_000);
}

#[tokio::test]
async fn declines_reshow_the_page_and_debit_nothing() {
    let s = Sbx::start().await;
    let c = s.create_checkout(30_000, true).await;
    let url = c["redirectUrl"].as_str().expect("url");
    let id = c["hostedCheckoutId"].as_str().expect("id");
    let mut wrong_cvv = gift(1, 1);
    wrong_cvv[2].1 = "999".into();
    let declined_visa = vec![
        ("card_number".to_string(), "4321456998744563".to_string()),
        ("card_expiry".to_string(), "05/30".to_string()),
        ("card_cvv".to_string(), "123".to_string()),
    ];
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        (form(&[wrong_cvv]), "cryptogramme"),
        (form(&[gift(1, 4)]), "solde"),
        (form(&[gift(1, 5)]), "expirée"),
        (form(&[gift(1, 1), declined_visa]), "banque"),
    ];
    for (fields, reason) in cases {
        let a = s.submit(url, &refs(&fields)).await;
        assert_eq!(a.status, 200, "{}", a.text);
        assert!(
            a.text.to_lowercase().contains(reason),
            "expected {reason}: {}",
            a.text
        );
    }
    // Card 1 was accepted in the last attempt but the Visa was refused: nothing was debited.
    let st = s.state().await;
    assert_eq!(st["balances"]["6299000000000001"], 25_000);
    let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
    assert_eq!(g["status"], "IN_PROGRESS");
    crate::openapi::assert_valid("getHostedCheckoutResponse", &g);
    let rejected: Vec<&Value> = st["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .filter(|p| p["status"] == "REJECTED")
        .collect();
    assert_eq!(rejected.len(), 4);
    // A rejected tender cannot be refunded.
    let rid = rejected[0]["id"].as_str().expect("id");
    let e = s
        .post(
            &format!("/payments/{rid}/refund"),
            &json!({"amountOfMoney": {"amount": 100, "currencyCode": "EUR"}}),
        )
        .await
        .assert_error(400);
    assert_eq!(e["message"], "ACTION_NOT_ALLOWED_ON_TRANSACTION");
}

#[tokio::test]
async fn gift_cards_must_cover_the_amount_without_complete_remaining() {
    let s = Sbx::start().await;
    let c = s.create_checkout(30_000, false).await;
    let url = c["redirectUrl"].as_str().expect("url");
    let html = s
        .http
        .get(url)
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(
        !html.contains("card_number"),
        "no card field without completeRemainingPaymentAmount"
    );
    let a = s.submit(url, &refs(&form(&[gift(1, 2), visa()]))).await;
    assert_eq!(a.status, 200);
    assert!(a.text.contains("ne couvrent pas"), "{}", a.text);
    let a = s.submit(url, &refs(&form(&[gift(1, 1), gift(2, 2)]))).await;
    assert_eq!(a.status, 302);
}

#[tokio::test]
async fn attempts_run_out_and_the_checkout_ends() {
    let s = Sbx::start().await;
    let mut body = checkout_request(5_000, true);
    body["hostedCheckoutSpecificInput"]["allowedNumberOfPaymentAttempts"] = json!(2);
    body["hostedCheckoutSpecificInput"]["locale"] = json!("en_GB");
    let c = s.post("/hostedcheckouts", &body).await.json();
    let url = c["redirectUrl"].as_str().expect("url");
    let id = c["hostedCheckoutId"].as_str().expect("id");
    let a = s.submit(url, &refs(&form(&[gift(1, 4)]))).await;
    assert_eq!(a.status, 200);
    assert!(
        a.text.contains("no balance left"),
        "English page: {}",
        a.text
    );
    let a = s.submit(url, &refs(&form(&[gift(1, 4)]))).await;
    assert_eq!(a.status, 302);
    let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
    crate::openapi::assert_valid("getHostedCheckoutResponse", &g);
    assert_eq!(g["status"], "CANCELLED_BY_CONSUMER");
    assert_eq!(
        g["createdPaymentOutput"]["paymentStatusCategory"],
        "REJECTED"
    );
    assert_eq!(g["createdPaymentOutput"]["payment"]["status"], "REJECTED");
    // The page no longer takes payments.
    let a = s.submit(url, &refs(&form(&[gift(1, 1)]))).await;
    assert_eq!(a.status, 410);
}

#[tokio::test]
async fn cancel_returns_to_the_shop_and_a_missing_return_url_shows_a_result_page() {
    let s = Sbx::start().await;
    let c = s.create_checkout(5_000, true).await;
    let a = s
        .submit(
            c["redirectUrl"].as_str().expect("url"),
            &[("action", "cancel")],
        )
        .await;
    assert_eq!(a.status, 302);
    let q = query_of(a.header("location").expect("location"));
    assert_eq!(
        q.get("RETURNMAC").map(String::as_str),
        c["RETURNMAC"].as_str()
    );
    let id = c["hostedCheckoutId"].as_str().expect("id");
    let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
    assert_eq!(g["status"], "CANCELLED_BY_CONSUMER");
    crate::openapi::assert_valid("getHostedCheckoutResponse", &g);

    let mut body = checkout_request(5_000, true);
    body["hostedCheckoutSpecificInput"]
        .as_object_mut()
        .expect("object")
        .remove("returnUrl");
    let c = s.post("/hostedcheckouts", &body).await.json();
    let a = s
        .submit(
            c["redirectUrl"].as_str().expect("url"),
            &refs(&form(&[gift(1, 1)])),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(a.text.contains("Paiement accepté"), "{}", a.text);
}

#[tokio::test]
async fn an_authorised_card_remainder_is_captured_or_cancelled() {
    let s = Sbx::start().await;
    let mut body = checkout_request(30_000, true);
    body["cardPaymentMethodSpecificInput"] = json!({"authorizationMode": "FINAL_AUTHORIZATION"});
    // Each round uses another gift card: the first one is spent by the first round.
    for (action, last) in [("capture", 1), ("cancel", 2)] {
        let c = s.post("/hostedcheckouts", &body).await.json();
        let a = s
            .submit(
                c["redirectUrl"].as_str().expect("url"),
                &refs(&form(&[gift(1, last), visa()])),
            )
            .await;
        assert_eq!(a.status, 302, "{}", a.text);
        let id = c["hostedCheckoutId"].as_str().expect("id");
        let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
        let ids: Vec<String> = {
            let first = g["createdPaymentOutput"]["payment"]["id"]
                .as_str()
                .expect("id");
            let d = s.get(&format!("/payments/{first}/details")).await.json();
            d["Operations"]
                .as_array()
                .expect("ops")
                .iter()
                .map(|o| o["id"].as_str().unwrap_or("").to_string())
                .collect()
        };
        let card = &ids[1];
        let p = s.get(&format!("/payments/{card}")).await.json();
        assert_eq!(p["status"], "PENDING_CAPTURE");
        assert_eq!(p["statusOutput"]["statusCode"], 5);
        let gift_id = &ids[0];
        if action == "capture" {
            let a = s
                .post_idem(&format!("/payments/{card}/capture"), &json!({}), "cap-1")
                .await;
            assert_eq!(a.status, 201, "{}", a.text);
            crate::openapi::assert_valid("captureResponse", &a.json());
            assert_eq!(a.json()["status"], "CAPTURED");
            let p = s.get(&format!("/payments/{card}")).await.json();
            assert_eq!(p["status"], "CAPTURED");
            let caps = s.get(&format!("/payments/{card}/captures")).await.json();
            crate::openapi::assert_valid("capturesResponse", &caps);
            let e = s
                .post(&format!("/payments/{card}/capture"), &json!({}))
                .await
                .assert_error(400);
            assert_eq!(e["message"], "ACTION_NOT_ALLOWED_ON_TRANSACTION");
        } else {
            let a = s
                .post(&format!("/payments/{card}/cancel"), &json!({}))
                .await;
            assert_eq!(a.status, 200, "{}", a.text);
            crate::openapi::assert_valid("cancelPaymentResponse", &a.json());
            assert_eq!(a.json()["payment"]["status"], "CANCELLED");
            // A captured gift card cannot be cancelled.
            s.post(&format!("/payments/{gift_id}/cancel"), &json!({}))
                .await
                .assert_error(409);
        }
    }
}
