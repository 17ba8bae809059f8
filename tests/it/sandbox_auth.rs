//! The sandbox's v1HMAC verifier and request handling, over raw HTTP.

use std::io::Write as _;

use serde_json::json;

use crate::support::sandbox::*;

const TEST_CONNECTION: &str = "/v2/cadodesk-sandbox/services/testconnection";

async fn raw_get(s: &Sbx, target: &str, date: &str, auth: &str, extra: &[(&str, &str)]) -> Answer {
    let mut req = s
        .http
        .get(format!("{}{target}", s.base))
        .header("Date", date)
        .header("Authorization", auth);
    for (n, v) in extra {
        req = req.header(*n, *v);
    }
    answer(req.send().await.expect("sent")).await
}

#[tokio::test]
async fn a_good_signature_connects() {
    let s = Sbx::start().await;
    let a = s.get("/services/testconnection").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.content_type().starts_with("application/json"));
    crate::openapi::assert_valid("testConnection", &a.json());
    assert_eq!(a.json()["result"], "OK");
}

#[tokio::test]
async fn bad_signature_unknown_key_and_foreign_merchant_get_403_json() {
    let s = Sbx::start().await;
    let good = authorization(
        KEY_ID,
        SECRET,
        "GET",
        "",
        DATE.as_str(),
        &[],
        TEST_CONNECTION,
    );
    let wrong_secret = authorization(
        KEY_ID,
        "not-the-secret",
        "GET",
        "",
        DATE.as_str(),
        &[],
        TEST_CONNECTION,
    );
    let unknown_key = authorization(
        "other-key",
        SECRET,
        "GET",
        "",
        DATE.as_str(),
        &[],
        TEST_CONNECTION,
    );
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, DATE.as_str(), &good, &[])
            .await
            .status,
        200
    );
    raw_get(&s, TEST_CONNECTION, DATE.as_str(), &wrong_secret, &[])
        .await
        .assert_error(403);
    raw_get(&s, TEST_CONNECTION, DATE.as_str(), &unknown_key, &[])
        .await
        .assert_error(403);
    raw_get(&s, TEST_CONNECTION, DATE.as_str(), "Bearer nothing", &[])
        .await
        .assert_error(403);
    // Signed correctly, but for a merchant the key does not belong to.
    let other = "/v2/000000/services/testconnection";
    let auth = authorization(KEY_ID, SECRET, "GET", "", DATE.as_str(), &[], other);
    raw_get(&s, other, DATE.as_str(), &auth, &[])
        .await
        .assert_error(403);
    // The date is part of the signature.
    raw_get(
        &s,
        TEST_CONNECTION,
        &http_date(*SIGNED_AT + chrono::Duration::seconds(1), true),
        &good,
        &[],
    )
    .await
    .assert_error(403);
}

#[tokio::test]
async fn node_sends_a_content_type_on_get_but_signs_none() {
    let s = Sbx::start().await;
    let auth = authorization(
        KEY_ID,
        SECRET,
        "GET",
        "",
        DATE.as_str(),
        &[],
        TEST_CONNECTION,
    );
    let a = raw_get(
        &s,
        TEST_CONNECTION,
        DATE.as_str(),
        &auth,
        &[("Content-Type", "application/json")],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn java_unpadded_date_is_signed_as_received() {
    let s = Sbx::start().await;
    let unpadded = http_date(*SIGNED_AT, false);
    let date = unpadded.as_str();
    let auth = authorization(KEY_ID, SECRET, "GET", "", date, &[], TEST_CONNECTION);
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, date, &auth, &[]).await.status,
        200
    );
}

#[tokio::test]
async fn raw_and_percent_decoded_resources_both_verify() {
    let s = Sbx::start().await;
    let target = format!("{TEST_CONNECTION}?note=caf%C3%A9%20cr%C3%A8me");
    let decoded = format!("{TEST_CONNECTION}?note=café crème");
    for resource in [&target, &decoded] {
        let auth = authorization(KEY_ID, SECRET, "GET", "", DATE.as_str(), &[], resource);
        let a = raw_get(&s, &target, DATE.as_str(), &auth, &[]).await;
        assert_eq!(a.status, 200, "{resource}: {}", a.text);
    }
}

#[tokio::test]
async fn x_gcs_headers_are_covered_by_the_signature() {
    let s = Sbx::start().await;
    let meta = [
        (
            "X-GCS-ServerMetaInfo",
            "eyJzZGtDcmVhdG9yIjoiT25saW5lUGF5bWVudHMifQ==",
        ),
        ("X-GCS-ClientMetaInfo", "eyJ0ZXN0IjoidGVzdCJ9"),
    ];
    let auth = authorization(
        KEY_ID,
        SECRET,
        "GET",
        "",
        DATE.as_str(),
        &meta,
        TEST_CONNECTION,
    );
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, DATE.as_str(), &auth, &meta)
            .await
            .status,
        200
    );
    let tampered = [meta[0], ("X-GCS-ClientMetaInfo", "e30=")];
    raw_get(&s, TEST_CONNECTION, DATE.as_str(), &auth, &tampered)
        .await
        .assert_error(403);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let s = Sbx::start().await;
    let e = s.get("/nothing/here").await.assert_error(404);
    assert_eq!(e["httpStatusCode"], 404);
    s.call_with("DELETE", "/services/testconnection", None, &[])
        .await
        .assert_error(405);
    s.get("/hostedcheckouts/9999999999").await.assert_error(404);
    s.get("/payments/9999999999_0").await.assert_error(404);
    // Outside /v2 too.
    let r = s
        .http
        .get(format!("{}/favicon.ico", s.base))
        .send()
        .await
        .expect("sent");
    answer(r).await.assert_error(404);
}

#[tokio::test]
async fn gzip_bodies_are_accepted_and_oversized_ones_refused() {
    let s = Sbx::start().await;
    let body = checkout_request(4250, true).to_string();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).expect("gzip");
    let zipped = gz.finish().expect("gzip");
    let resource = "/v2/cadodesk-sandbox/hostedcheckouts";
    let auth = authorization(
        KEY_ID,
        SECRET,
        "POST",
        "application/json",
        DATE.as_str(),
        &[],
        resource,
    );
    let send = |bytes: Vec<u8>, gzip: bool| {
        let mut req = s
            .http
            .post(format!("{}{resource}", s.base))
            .header("Date", DATE.as_str())
            .header("Authorization", auth.clone())
            .header("Content-Type", "application/json");
        if gzip {
            req = req.header("Content-Encoding", "gzip");
        }
        req.body(bytes).send()
    };
    let a = answer(send(zipped, true).await.expect("sent")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    crate::openapi::assert_valid("createHostedCheckoutResponse", &a.json());

    let big = vec![b' '; 2 * 1024 * 1024];
    let a = answer(send(big, false).await.expect("sent")).await;
    assert_eq!(a.status, 413);
    assert!(a.content_type().starts_with("application/json"));
}

#[tokio::test]
async fn malformed_json_is_a_400_json_error() {
    let s = Sbx::start().await;
    let resource = "/v2/cadodesk-sandbox/hostedcheckouts";
    let auth = authorization(
        KEY_ID,
        SECRET,
        "POST",
        "application/json",
        DATE.as_str(),
        &[],
        resource,
    );
    let r = s
        .http
        .post(format!("{}{resource}", s.base))
        .header("Date", DATE.as_str())
        .header("Authorization", auth)
        .header("Content-Type", "application/json")
        .body("{\"order\": ")
        .send()
        .await
        .expect("sent");
    answer(r).await.assert_error(400);
}

#[tokio::test]
async fn webhook_credentials_are_validated() {
    let s = Sbx::start().await;
    let good = hmac_b64("sandbox-webhook-secret", b"");
    let a = s
        .post(
            "/webhooks/validateCredentials",
            &json!({"key": "sandbox-webhook-key-id", "secret": good}),
        )
        .await;
    assert_eq!(a.status, 200);
    crate::openapi::assert_valid("validateCredentialsResponse", &a.json());
    assert_eq!(a.json()["result"], "Valid");
    let a = s
        .post(
            "/webhooks/validateCredentials",
            &json!({"key": "sandbox-webhook-key-id", "secret": "x"}),
        )
        .await;
    assert_eq!(a.json()["result"], "Invalid");
}

/// A Date more than 15 minutes away from the sandbox's clock is refused as the platform refuses a stale request,
/// even with a good signature over it.
#[tokio::test]
async fn a_stale_date_is_refused_as_the_platform_does() {
    let s = Sbx::start().await;
    for minutes in [-16i64, 16] {
        let date = http_date(
            chrono::Utc::now() + chrono::Duration::minutes(minutes),
            true,
        );
        let auth = authorization(KEY_ID, SECRET, "GET", "", &date, &[], TEST_CONNECTION);
        let a = raw_get(&s, TEST_CONNECTION, &date, &auth, &[]).await;
        let e = a.assert_error(403);
        assert!(
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("15 minutes")),
            "{e}"
        );
    }
    let date = http_date(chrono::Utc::now() - chrono::Duration::minutes(10), true);
    let auth = authorization(KEY_ID, SECRET, "GET", "", &date, &[], TEST_CONNECTION);
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, &date, &auth, &[]).await.status,
        200
    );
}

/// The control routes answer only a program on this machine that asks on purpose: a web page's `text/plain` POST,
/// a foreign `Origin` and a `Host` that is not loopback (DNS rebinding) are refused, and nothing changes.
#[tokio::test]
async fn the_control_routes_refuse_web_pages_and_foreign_hosts() {
    let s = Sbx::start().await;
    let faults = format!("{}/sandbox/faults", s.base);
    let state = format!("{}/sandbox/state", s.base);
    let rule = r#"{"operation": "refund", "errorRate": 1.0}"#;
    let as_text = s
        .http
        .post(&faults)
        .header("Content-Type", "text/plain")
        .body(rule)
        .send()
        .await
        .expect("answer");
    assert_eq!(as_text.status().as_u16(), 415);
    let from_a_page = s
        .http
        .post(&faults)
        .header("Content-Type", "application/json")
        .header("Origin", "https://evil.example")
        .body(rule)
        .send()
        .await
        .expect("answer");
    assert_eq!(from_a_page.status().as_u16(), 403);
    for url in [&faults, &state] {
        let rebound = s
            .http
            .get(url.as_str())
            .header("Host", "evil.example:8080")
            .send()
            .await
            .expect("answer");
        assert_eq!(rebound.status().as_u16(), 403, "{url}");
        assert!(
            rebound
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"))
        );
    }
    // Nothing was added; the same requests as a script sends them work.
    let listed: serde_json::Value = s
        .http
        .get(&faults)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed["rules"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );
    let ok = s
        .http
        .post(&faults)
        .header("Origin", s.base.clone())
        .json(&serde_json::json!({"operation": "refund", "errorRate": 0.0}))
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status().as_u16(), 200);
}
