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
    let good = authorization(KEY_ID, SECRET, "GET", "", DATE, &[], TEST_CONNECTION);
    let wrong_secret = authorization(
        KEY_ID,
        "not-the-secret",
        "GET",
        "",
        DATE,
        &[],
        TEST_CONNECTION,
    );
    let unknown_key = authorization("other-key", SECRET, "GET", "", DATE, &[], TEST_CONNECTION);
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, DATE, &good, &[]).await.status,
        200
    );
    raw_get(&s, TEST_CONNECTION, DATE, &wrong_secret, &[])
        .await
        .assert_error(403);
    raw_get(&s, TEST_CONNECTION, DATE, &unknown_key, &[])
        .await
        .assert_error(403);
    raw_get(&s, TEST_CONNECTION, DATE, "Bearer nothing", &[])
        .await
        .assert_error(403);
    // Signed correctly, but for a merchant the key does not belong to.
    let other = "/v2/000000/services/testconnection";
    let auth = authorization(KEY_ID, SECRET, "GET", "", DATE, &[], other);
    raw_get(&s, other, DATE, &auth, &[]).await.assert_error(403);
    // The date is part of the signature.
    raw_get(
        &s,
        TEST_CONNECTION,
        "Thu, 26 Nov 2026 15:00:01 GMT",
        &good,
        &[],
    )
    .await
    .assert_error(403);
}

#[tokio::test]
async fn node_sends_a_content_type_on_get_but_signs_none() {
    let s = Sbx::start().await;
    let auth = authorization(KEY_ID, SECRET, "GET", "", DATE, &[], TEST_CONNECTION);
    let a = raw_get(
        &s,
        TEST_CONNECTION,
        DATE,
        &auth,
        &[("Content-Type", "application/json")],
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
}

#[tokio::test]
async fn java_unpadded_date_is_signed_as_received() {
    let s = Sbx::start().await;
    let date = "Thu, 6 Nov 2026 15:00:00 GMT";
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
        let auth = authorization(KEY_ID, SECRET, "GET", "", DATE, &[], resource);
        let a = raw_get(&s, &target, DATE, &auth, &[]).await;
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
    let auth = authorization(KEY_ID, SECRET, "GET", "", DATE, &meta, TEST_CONNECTION);
    assert_eq!(
        raw_get(&s, TEST_CONNECTION, DATE, &auth, &meta)
            .await
            .status,
        200
    );
    let tampered = [meta[0], ("X-GCS-ClientMetaInfo", "e30=")];
    raw_get(&s, TEST_CONNECTION, DATE, &auth, &tampered)
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
        DATE,
        &[],
        resource,
    );
    let send = |bytes: Vec<u8>, gzip: bool| {
        let mut req = s
            .http
            .post(format!("{}{resource}", s.base))
            .header("Date", DATE)
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
        DATE,
        &[],
        resource,
    );
    let r = s
        .http
        .post(format!("{}{resource}", s.base))
        .header("Date", DATE)
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
