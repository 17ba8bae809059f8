//! Persistence across restarts, webhooks, and the fault switchboard.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use cadodesk::sandbox::SandboxConfig;
use serde_json::{Value, json};

use crate::support::sandbox::*;

#[tokio::test]
async fn the_whole_state_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        data_file: Some(file.clone()),
        refund_delay_ms: 60_000,
        ..SandboxConfig::default()
    };
    let s = Sbx::with(config.clone()).await;
    let fields = form(&[gift(1, 2), visa()]);
    let (c, g) = s.paid_checkout(8_000, &refs(&fields)).await;
    let id = g["createdPaymentOutput"]["payment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let refund = s
        .post_idem(
            &format!("/payments/{id}/refund"),
            &json!({"amountOfMoney": {"amount": 500, "currencyCode": "EUR"}}),
            "persist-key",
        )
        .await;
    assert_eq!(refund.status, 201);
    let before = s.state().await;
    let hosted_before = s
        .get(&format!(
            "/hostedcheckouts/{}",
            c["hostedCheckoutId"].as_str().expect("id")
        ))
        .await
        .json();
    s.shutdown().await;
    assert!(file.exists());

    let s = Sbx::with(config).await;
    assert_eq!(s.state().await, before);
    let hosted = s
        .get(&format!(
            "/hostedcheckouts/{}",
            c["hostedCheckoutId"].as_str().expect("id")
        ))
        .await
        .json();
    assert_eq!(hosted, hosted_before);
    // The idempotence key survived: the same refund comes back, no second one.
    let replay = s
        .post_idem(
            &format!("/payments/{id}/refund"),
            &json!({"amountOfMoney": {"amount": 500, "currencyCode": "EUR"}}),
            "persist-key",
        )
        .await;
    assert_eq!(replay.json()["id"], refund.json()["id"]);
    assert!(
        replay
            .header("x-gcs-idempotence-request-timestamp")
            .is_some()
    );
    assert_eq!(s.state().await["balances"]["6299000000000002"], 0);
}

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// A webhook receiver on loopback; returns its URL and what it got.
async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let sink = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), got)
}

fn events(got: &Received) -> Vec<Value> {
    got.lock()
        .expect("lock")
        .iter()
        .map(|(headers, body)| {
            let sig = headers
                .get("x-gcs-signature")
                .and_then(|v| v.to_str().ok())
                .expect("signature");
            assert_eq!(
                sig,
                hmac_b64("sandbox-webhook-secret", body),
                "signature of the exact bytes"
            );
            assert_eq!(
                headers.get("x-gcs-keyid").and_then(|v| v.to_str().ok()),
                Some("sandbox-webhook-key-id")
            );
            serde_json::from_slice(body).expect("JSON")
        })
        .collect()
}

#[tokio::test]
async fn signed_webhooks_reach_the_checkout_urls() {
    let (url, got) = receiver().await;
    let s = Sbx::start().await;
    let mut body = checkout_request(30_000, true);
    body["feedbacks"] = json!({"webhooksUrls": [url]});
    let c = s.post("/hostedcheckouts", &body).await.json();
    let a = s
        .submit(
            c["redirectUrl"].as_str().expect("url"),
            &refs(&form(&[gift(1, 1), visa()])),
        )
        .await;
    assert_eq!(a.status, 302);
    let captured = eventually(|| async {
        let e = events(&got);
        (e.iter().filter(|e| e["type"] == "payment.captured").count() == 2).then_some(e)
    })
    .await;
    for e in &captured {
        assert_eq!(e["apiVersion"], "v1");
        assert_eq!(e["merchantId"], MERCHANT);
        assert!(e["created"].as_str().expect("created").ends_with("+00:00"));
        assert_eq!(e["id"].as_str().expect("id").len(), 36);
        crate::openapi::assert_valid("paymentResponse", &e["payment"]);
    }
    let pid = captured[1]["payment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let r = s
        .post(
            &format!("/payments/{pid}/refund"),
            &json!({"amountOfMoney": {"amount": 1000, "currencyCode": "EUR"}}),
        )
        .await;
    assert_eq!(r.status, 201);
    let refund_events = eventually(|| async {
        let e = events(&got);
        let types: Vec<String> = e
            .iter()
            .filter(|e| e.get("refund").is_some())
            .map(|e| e["type"].as_str().unwrap_or("").to_string())
            .collect();
        (types.contains(&"refund.refunded".to_string())).then_some(types)
    })
    .await;
    assert_eq!(
        refund_events,
        vec!["refund.refund_requested", "refund.refunded"]
    );
    // A full refund also reports the payment as refunded.
    let r = s.post(&format!("/payments/{pid}/refund"), &json!({})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let refunded = eventually(|| async {
        events(&got)
            .into_iter()
            .find(|e| e["type"] == "payment.refunded")
    })
    .await;
    assert_eq!(refunded["payment"]["id"], pid.as_str());
    assert_eq!(refunded["payment"]["status"], "REFUNDED");
    for e in events(&got).iter().filter(|e| e.get("refund").is_some()) {
        crate::openapi::assert_valid("refundResponse", &e["refund"]);
    }
}

#[tokio::test]
async fn sendtest_posts_a_signed_webhook() {
    let (url, got) = receiver().await;
    let s = Sbx::start().await;
    let a = s.post("/webhooks/sendtest", &json!({"url": url})).await;
    assert_eq!(a.status, 204, "{}", a.text);
    let e = eventually(|| async { events(&got).pop() }).await;
    assert_eq!(e["apiVersion"], "v1");
    let e = s
        .post("/webhooks/sendtest", &json!({}))
        .await
        .assert_error(400);
    assert_eq!(e["propertyName"], "url");
}

async fn fault(s: &Sbx, rule: Value) {
    let r = s
        .http
        .post(format!("{}/sandbox/faults", s.base))
        .json(&rule)
        .send()
        .await
        .expect("faults");
    assert_eq!(
        r.status().as_u16(),
        200,
        "{}",
        r.text().await.unwrap_or_default()
    );
}

#[tokio::test]
async fn the_switchboard_injects_errors_drops_and_conflicts() {
    let s = Sbx::start().await;
    // 5xx: nothing is created.
    fault(
        &s,
        json!({"operation": "create_checkout", "errorRate": 1.0, "count": 1}),
    )
    .await;
    let e = s
        .post("/hostedcheckouts", &checkout_request(1_000, true))
        .await
        .assert_error(500);
    assert_eq!(e["retriable"], true);
    assert_eq!(
        s.state().await["checkouts"]
            .as_array()
            .expect("checkouts")
            .len(),
        0
    );
    assert_eq!(
        s.post("/hostedcheckouts", &checkout_request(1_000, true))
            .await
            .status,
        200
    );

    // Dropped after commit: no answer, but the refund exists, and the same key settles it.
    let fields = form(&[gift(1, 1)]);
    let (_, g) = s.paid_checkout(5_000, &refs(&fields)).await;
    let id = g["createdPaymentOutput"]["payment"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    fault(
        &s,
        json!({"operation": "refund", "dropAfterCommit": 1.0, "count": 1}),
    )
    .await;
    let path = format!("/v2/{MERCHANT}/payments/{id}/refund");
    let body = json!({"amountOfMoney": {"amount": 700, "currencyCode": "EUR"}});
    let auth = authorization(
        KEY_ID,
        SECRET,
        "POST",
        "application/json",
        DATE.as_str(),
        &[("X-GCS-Idempotence-Key", "drop-key")],
        &path,
    );
    let lost = s
        .http
        .post(format!("{}{path}", s.base))
        .header("Date", DATE.as_str())
        .header("Authorization", auth)
        .header("X-GCS-Idempotence-Key", "drop-key")
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    assert!(
        lost.is_err(),
        "the connection was cut without an answer: {lost:?}"
    );
    let st = s.state().await;
    let refunds = st["refunds"].as_array().expect("refunds");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], 700);
    let replay = s
        .post_idem(&format!("/payments/{id}/refund"), &body, "drop-key")
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json()["id"], refunds[0]["id"]);
    assert_eq!(
        s.state().await["refunds"]
            .as_array()
            .expect("refunds")
            .len(),
        1
    );

    // A forced 409.
    fault(
        &s,
        json!({"operation": "any", "inProgress409": 1.0, "count": 1}),
    )
    .await;
    let e = s
        .post_idem(&format!("/payments/{id}/refund"), &body, "other-key")
        .await
        .assert_error(409);
    assert_eq!(e["errorCode"], "30001002");

    // Listing and clearing.
    fault(&s, json!({"operation": "get_details", "latencyMs": 5})).await;
    let listed: Value = s
        .http
        .get(format!("{}/sandbox/faults", s.base))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(listed["rules"].as_array().expect("rules").len(), 1);
    let r = s
        .http
        .delete(format!("{}/sandbox/faults", s.base))
        .send()
        .await
        .expect("delete");
    let cleared: Value = r.json().await.expect("json");
    assert_eq!(cleared["rules"], json!([]));
    // Bad rules are refused with JSON.
    let r = s
        .http
        .post(format!("{}/sandbox/faults", s.base))
        .json(&json!({"operation": "nope"}))
        .send()
        .await
        .expect("post");
    assert_eq!(answer(r).await.assert_error(400)["id"], "INVALID_VALUE");
}

#[tokio::test]
async fn the_command_prints_its_address_first_and_serves() {
    use tokio::io::AsyncBufReadExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("state.json");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_cadodesk"))
        .args([
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--refund-delay-ms",
            "50",
            "--data",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("cadodesk runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let first = lines
        .next_line()
        .await
        .expect("read")
        .expect("a first line");
    let base = first
        .strip_prefix("listening on ")
        .expect("listening on …")
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let resource = format!("/v2/{MERCHANT}/services/testconnection");
    let auth = authorization(KEY_ID, SECRET, "GET", "", DATE.as_str(), &[], &resource);
    let r = client()
        .get(format!("{base}{resource}"))
        .header("Date", DATE.as_str())
        .header("Authorization", auth)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    // A change is written to the data file's change log at once, one line.
    let s = Sbx {
        sandbox: None,
        base: base.clone(),
        http: client(),
    };
    s.create_checkout(1_000, true).await;
    let log = std::fs::read_to_string(dir.path().join("state.json.log")).expect("saved");
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert_eq!(
        lines[0]["checkouts"].as_object().expect("checkouts").len(),
        1
    );
    child.kill().await.expect("stopped");
}

#[tokio::test]
async fn a_session_past_its_timeout_is_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("sandbox.json");
    let config = SandboxConfig {
        data_file: Some(file.clone()),
        ..SandboxConfig::default()
    };
    let s = Sbx::with(config.clone()).await;
    let mut body = checkout_request(1_000, true);
    body["hostedCheckoutSpecificInput"]["sessionTimeout"] = json!(1);
    let c = s.post("/hostedcheckouts", &body).await.json();
    let id = c["hostedCheckoutId"].as_str().expect("id").to_string();
    s.shutdown().await;
    // Two minutes pass while the sandbox is stopped.
    let mut saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("saved")).expect("JSON");
    let created = saved["checkouts"][&id]["created_ms"]
        .as_i64()
        .expect("created_ms");
    saved["checkouts"][&id]["created_ms"] = json!(created - 120_000);
    std::fs::write(&file, saved.to_string()).expect("write");

    let s = Sbx::with(config).await;
    let g = s.get(&format!("/hostedcheckouts/{id}")).await.json();
    assert_eq!(g["status"], "CANCELLED_BY_CONSUMER");
    // The restarted sandbox has another port; the page path is the same.
    let page = s
        .http
        .get(format!("{}/hostedcheckout/{id}", s.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status().as_u16(), 410);
}

#[test]
fn debug_output_keeps_the_secrets_out() {
    let shown = format!("{:?}", SandboxConfig::default());
    assert!(shown.contains("cadodesk-sandbox"), "{shown}");
    assert!(
        !shown.contains(cadodesk::sandbox::DEFAULT_API_SECRET),
        "{shown}"
    );
    assert!(
        !shown.contains(cadodesk::sandbox::DEFAULT_WEBHOOK_SECRET),
        "{shown}"
    );
}
