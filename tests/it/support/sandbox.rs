//! Helpers for the sandbox tests: a sandbox on loopback, raw signed HTTP calls (our own small v1HMAC signer, not
//! the client's, so a client bug cannot hide a server bug), and the hosted-page flow.

use std::collections::HashMap;

use base64::Engine as _;
use cadodesk::sandbox::{RunningSandbox, SandboxConfig, start};
use hmac::{Hmac, KeyInit as _, Mac as _};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use sha2::Sha256;

pub const MERCHANT: &str = "cadodesk-sandbox";
pub const KEY_ID: &str = "sandbox-key-id";
pub const SECRET: &str = "sandbox-secret";
pub static DATE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| http_date(*SIGNED_AT, true));

/// When the test process signs its requests: once, at the first request. A test run lasts far less than the
/// platform's 15 minutes of tolerance for the Date header, so one time serves every test.
pub static SIGNED_AT: std::sync::LazyLock<chrono::DateTime<chrono::Utc>> =
    std::sync::LazyLock::new(chrono::Utc::now);

/// An RFC 1123 Date header value, `Thu, 26 Nov 2026 15:00:00 GMT`, or with the day unpadded as the Java SDK writes
/// it (`Thu, 6 Nov 2026 …`).
pub fn http_date(t: chrono::DateTime<chrono::Utc>, padded: bool) -> String {
    let day = if padded { "%d" } else { "%-d" };
    t.format(&format!("%a, {day} %b %Y %H:%M:%S GMT"))
        .to_string()
}

pub fn hmac_b64(secret: &str, message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The v1HMAC Authorization header for the given parts.
pub fn authorization(
    key_id: &str,
    secret: &str,
    method: &str,
    content_type: &str,
    date: &str,
    gcs: &[(&str, &str)],
    resource: &str,
) -> String {
    let mut lines: Vec<(String, String)> = gcs
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    lines.sort();
    let mut s = format!("{method}\n{content_type}\n{date}\n");
    for (n, v) in lines {
        s.push_str(&format!("{n}:{v}\n"));
    }
    s.push_str(resource);
    s.push('\n');
    format!("GCS v1HMAC:{key_id}:{}", hmac_b64(secret, s.as_bytes()))
}

/// A raw answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a JSON ErrorResponse (valid against the contract) with this status; returns the first error.
    #[track_caller]
    pub fn assert_error(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert!(
            self.content_type().starts_with("application/json"),
            "{:?}",
            self.headers
        );
        let body = self.json();
        crate::openapi::assert_valid("errorResponse", &body);
        body["errors"][0].clone()
    }
}

/// A sandbox on loopback and an HTTP client that does not follow redirects.
pub struct Sbx {
    /// `None` when the tests talk to a sandbox in another process.
    pub sandbox: Option<RunningSandbox>,
    pub base: String,
    pub http: reqwest::Client,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl Sbx {
    pub async fn start() -> Sbx {
        Sbx::with(SandboxConfig {
            refund_delay_ms: 100,
            ..SandboxConfig::default()
        })
        .await
    }

    pub async fn with(config: SandboxConfig) -> Sbx {
        let sandbox = start(config).await.expect("sandbox starts");
        let base = sandbox.base_url();
        Sbx {
            sandbox: Some(sandbox),
            base,
            http: client(),
        }
    }

    /// Stops the sandbox and waits for it.
    pub async fn shutdown(self) {
        if let Some(s) = self.sandbox {
            s.shutdown().await;
        }
    }

    /// A signed call to `/v2/{MERCHANT}{path}` with extra X-GCS headers (signed) and a JSON body.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        gcs: &[(&str, &str)],
    ) -> Answer {
        let resource = format!("/v2/{MERCHANT}{path}");
        let ct = if body.is_some() {
            "application/json"
        } else {
            ""
        };
        let auth = authorization(KEY_ID, SECRET, method, ct, DATE.as_str(), gcs, &resource);
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(m, format!("{}{resource}", self.base))
            .header("Date", DATE.as_str())
            .header("Authorization", auth);
        for (n, v) in gcs {
            req = req.header(*n, *v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        answer(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call_with("GET", path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.call_with("POST", path, Some(body), &[]).await
    }

    pub async fn post_idem(&self, path: &str, body: &Value, key: &str) -> Answer {
        self.call_with("POST", path, Some(body), &[("X-GCS-Idempotence-Key", key)])
            .await
    }

    /// Creates a 3103 checkout; `extra` is merged over a default request.
    pub async fn create_checkout(&self, amount: i64, complete_remaining: bool) -> Value {
        let body = checkout_request(amount, complete_remaining);
        let a = self.post("/hostedcheckouts", &body).await;
        assert_eq!(a.status, 200, "{}", a.text);
        let v = a.json();
        crate::openapi::assert_valid("createHostedCheckoutResponse", &v);
        v
    }

    /// Posts the hosted page form.
    pub async fn submit(&self, redirect_url: &str, fields: &[(&str, &str)]) -> Answer {
        let r = self
            .http
            .post(redirect_url)
            .form(fields)
            .send()
            .await
            .expect("form posted");
        answer(r).await
    }

    pub async fn state(&self) -> Value {
        let r = self
            .http
            .get(format!("{}/sandbox/state", self.base))
            .send()
            .await
            .expect("state");
        answer(r).await.json()
    }

    /// A checkout paid with the given form; returns (checkout response, hosted checkout status).
    pub async fn paid_checkout(&self, amount: i64, fields: &[(&str, &str)]) -> (Value, Value) {
        let c = self.create_checkout(amount, true).await;
        let a = self
            .submit(c["redirectUrl"].as_str().expect("url"), fields)
            .await;
        assert_eq!(a.status, 302, "{}", a.text);
        let id = c["hostedCheckoutId"].as_str().expect("id");
        let g = self.get(&format!("/hostedcheckouts/{id}")).await;
        assert_eq!(g.status, 200);
        (c, g.json())
    }

    /// Every tender id of a paid checkout, from GetPaymentDetails' Operations.
    pub async fn tender_ids(&self, hosted: &Value) -> Vec<(String, i64, i64)> {
        let first = hosted["createdPaymentOutput"]["payment"]["id"]
            .as_str()
            .expect("payment id");
        let d = self.get(&format!("/payments/{first}/details")).await.json();
        d["Operations"]
            .as_array()
            .expect("Operations")
            .iter()
            .filter(|o| o["status"] == "CAPTURED")
            .map(|o| {
                (
                    o["id"].as_str().unwrap_or_default().to_string(),
                    o["amountOfMoney"]["amount"].as_i64().unwrap_or_default(),
                    0,
                )
            })
            .collect()
    }
}

pub async fn answer(r: reqwest::Response) -> Answer {
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap_or_default();
    Answer {
        status,
        headers,
        text,
    }
}

pub fn checkout_request(amount: i64, complete_remaining: bool) -> Value {
    json!({
        "order": {
            "amountOfMoney": {"amount": amount, "currencyCode": "EUR"},
            "references": {"merchantReference": "T-1"},
            "customer": {"contactDetails": {"emailAddress": "jean.dupont@test.com"}},
        },
        "hostedCheckoutSpecificInput": {"locale": "fr_FR", "returnUrl": "https://shop.example/return"},
        "redirectPaymentMethodSpecificInput": {
            "paymentProductId": 3103,
            "paymentProduct3103SpecificInput": {"completeRemainingPaymentAmount": complete_remaining},
        },
    })
}

/// Gift card 1 (250 €), 2 (50 €) … by last digit, with the right expiry and CVV.
pub fn gift(slot: u8, last: u8) -> Vec<(String, String)> {
    let number = format!("629900000000000{last}");
    let expiry = if last == 5 { "01/24" } else { "12/30" };
    vec![
        (format!("giftcard{slot}_number"), number),
        (format!("giftcard{slot}_expiry"), expiry.to_string()),
        (format!("giftcard{slot}_cvv"), "123".to_string()),
    ]
}

pub fn visa() -> Vec<(String, String)> {
    vec![
        ("card_number".into(), "4012000033330026".into()),
        ("card_expiry".into(), "05/30".into()),
        ("card_cvv".into(), "123".into()),
    ]
}

/// Borrowed view of owned form fields, plus `action=pay`.
pub fn form(parts: &[Vec<(String, String)>]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = parts.iter().flatten().cloned().collect();
    v.push(("action".into(), "pay".into()));
    v
}

pub fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

/// The query of a Location header.
pub fn query_of(location: &str) -> HashMap<String, String> {
    let u = reqwest::Url::parse(location).expect("absolute location");
    u.query_pairs().into_owned().collect()
}

/// Polls `f` until it returns `Some`, for states that change on their own (refund completion). Gives up after
/// about ten seconds so a broken sandbox fails the test instead of hanging it.
pub async fn eventually<T, F, Fut>(mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..200 {
        if let Some(v) = f().await {
            return v;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the expected state never came");
}
