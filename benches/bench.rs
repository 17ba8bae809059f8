//! The benchmark harness: figures and ratios, never pass/fail.
//!
//! `cargo bench --bench bench` prints every figure. Sections can be asked for by name:
//! - `--signing`: v1HMAC signatures per second over a fixed set of requests (`signing_per_second=N`).
//! - `--signing-inputs`: that fixed set as JSON, so another signer (the official Python SDK, in
//!   `scripts/bench-signing.sh`) can be timed on exactly the same requests.

use std::hint::black_box;
use std::time::{Duration, Instant};

use cadodesk::direct::signing;

/// One request to sign.
struct SigningInput {
    method: &'static str,
    content_type: Option<&'static str>,
    date: &'static str,
    headers: &'static [(&'static str, &'static str)],
    path: &'static str,
    query: Option<&'static str>,
    key_id: &'static str,
    secret: &'static str,
}

const META: &str = "eyJwbGF0Zm9ybUlkZW50aWZpZXIiOiJsaW51eC94ODZfNjQgUnVzdCIsInNka0lkZW50aWZpZXIiOiJjYWRvZGVzay8wLjEuMCIsInNka0NyZWF0b3IiOiJjYWRvZGVzayIsImludGVncmF0b3IiOiJjYWRvZGVzayJ9";

/// What the till sends in a day, plus the SDKs' own vectors V6 and D1.
fn signing_inputs() -> Vec<SigningInput> {
    let date = "Mon, 07 Jul 2014 12:12:40 GMT";
    vec![
        SigningInput {
            method: "GET",
            content_type: None,
            date,
            headers: &[("X-GCS-ServerMetaInfo", META)],
            path: "/v2/cadodesk-sandbox/services/testconnection",
            query: None,
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
        SigningInput {
            method: "POST",
            content_type: Some("application/json"),
            date,
            headers: &[("X-GCS-ServerMetaInfo", META)],
            path: "/v2/cadodesk-sandbox/hostedcheckouts",
            query: None,
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
        SigningInput {
            method: "GET",
            content_type: None,
            date,
            headers: &[("X-GCS-ServerMetaInfo", META)],
            path: "/v2/cadodesk-sandbox/hostedcheckouts/3066019730",
            query: None,
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
        SigningInput {
            method: "GET",
            content_type: None,
            date,
            headers: &[("X-GCS-ServerMetaInfo", META)],
            path: "/v2/cadodesk-sandbox/payments/3254564310_0/details",
            query: None,
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
        SigningInput {
            method: "POST",
            content_type: Some("application/json"),
            date,
            headers: &[
                ("X-GCS-ServerMetaInfo", META),
                (
                    "X-GCS-Idempotence-Key",
                    "3b9c2f1e-0d7a-4c55-9d0e-7f2a1b6c8e41",
                ),
            ],
            path: "/v2/cadodesk-sandbox/payments/3254564310_0/refund",
            query: None,
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
        SigningInput {
            method: "DELETE",
            content_type: Some("application/json"),
            date: "Fri, 06 Jun 2014 13:39:43 GMT",
            headers: &[
                ("X-GCS-ServerMetaInfo", "processed header value"),
                ("X-GCS-ClientMetaInfo", "processed header value"),
                ("X-GCS-CustomerHeader", "processed header value"),
            ],
            path: "/v2/1/tokens/123456789",
            query: None,
            key_id: "5e45c937b9db33ae",
            secret: "I42Zf4pVnRdroHfuHnRiJjJ2B6+22h0yQt/R3nZR8Xg=",
        },
        SigningInput {
            method: "POST",
            content_type: Some("application/json"),
            date,
            headers: &[
                (
                    "X-GCS-ServerMetaInfo",
                    "eyJzZGtDcmVhdG9yIjoiT25saW5lUGF5bWVudHMifQ==",
                ),
                (
                    "X-GCS-Idempotence-Key",
                    "3b9c2f1e-0d7a-4c55-9d0e-7f2a1b6c8e41",
                ),
            ],
            path: "/v2/TESTPSPID/payments/3254564310_0/refund",
            query: None,
            key_id: "apiKeyId",
            secret: "secretApiKey",
        },
        SigningInput {
            method: "GET",
            content_type: None,
            date,
            headers: &[("X-GCS-ServerMetaInfo", META)],
            path: "/v2/cadodesk-sandbox/payments/3254564310_0/refunds",
            query: Some("aap=noot&mies=geen%20noot"),
            key_id: "sandbox-key-id",
            secret: "sandbox-secret",
        },
    ]
}

/// The whole Authorization header for one input: string to sign, HMAC, Base64, header.
fn authorize(i: &SigningInput) -> String {
    let sts = signing::string_to_sign(
        i.method,
        i.content_type,
        i.date,
        i.headers.iter().copied(),
        &signing::canonical_resource(i.path, i.query),
    );
    signing::authorization_header(i.key_id, &signing::signature(i.secret, &sts))
}

fn signing_inputs_json() -> String {
    let list: Vec<serde_json::Value> = signing_inputs()
        .iter()
        .map(|i| {
            let mut headers: Vec<(String, String)> = i
                .headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect();
            headers.push(("Date".into(), i.date.into()));
            if let Some(ct) = i.content_type {
                headers.push(("Content-Type".into(), ct.into()));
            }
            serde_json::json!({
                "method": i.method,
                "path": i.path,
                "query": i.query,
                "headers": headers,
                "keyId": i.key_id,
                "secret": i.secret,
                "expected": authorize(i),
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// Signs the fixed inputs round after round for about `budget`; returns signatures per second.
fn signing_per_second(budget: Duration) -> f64 {
    let inputs = signing_inputs();
    // Warm-up, so the figure is the steady state.
    for i in &inputs {
        black_box(authorize(black_box(i)));
    }
    let start = Instant::now();
    let mut count: u64 = 0;
    while start.elapsed() < budget {
        for _ in 0..100 {
            for i in &inputs {
                black_box(authorize(black_box(i)));
            }
        }
        count += 100 * inputs.len() as u64;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| args.iter().any(|a| a == name);
    if wants("--signing-inputs") {
        println!("{}", signing_inputs_json());
        return;
    }
    let everything = !wants("--signing");
    if everything || wants("--signing") {
        let rate = signing_per_second(Duration::from_secs(2));
        println!("signing_per_second={rate:.0}");
    }
}
