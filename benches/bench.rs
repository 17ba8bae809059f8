//! The benchmark harness: figures and ratios, never pass/fail.
//!
//! `cargo bench --bench bench` prints every figure. Sections can be asked for by name:
//! - `--signing`: v1HMAC signatures per second over a fixed set of requests (`signing_per_second=N`).
//! - `--signing-inputs`: that fixed set as JSON, so another signer (the official Python SDK, in
//!   `scripts/bench-signing.sh`) can be timed on exactly the same requests.
//! - `--roundtrip URL N`: create checkout, get payment details and refund through `DirectClient` against a running
//!   sandbox, N times each; median and p99 in microseconds (`roundtrip op=… median_us=… p99_us=…`).
//! - `--ledger DIR REFUNDS`: journal appends per second (production settings: WAL, `synchronous=FULL`, one
//!   transaction per entry) against raw rusqlite inserts of the same rows without the chain; then fills DIR with
//!   REFUNDS refunds and times `verify` against a plain scan of the same columns. DIR is kept for the export step.
//! - `--ui CHECKOUTS`: the desktop app (headless egui) over a ledger of CHECKOUTS checkouts: time to first frame,
//!   frame time of the Transactions screen, resident memory.
//! - `--watcher URL SECONDS`: 50 open checkouts watched through a counting proxy for SECONDS, against what the
//!   schedule asks for in the same window; and the schedule alone over a simulated hour.
//!
//! - `--closing DIR ENTRIES`: a daily closing of a journal of ENTRIES entries (`closing_day_ms`).
//! - `--central ADMIN_URL ENTRIES`: a till's journal of about ENTRIES entries uploaded to a fresh centre (`sync`),
//!   against `COPY` of the same rows into the same table and into a plain one (`central_upload_s`, …).
//! - `--archive DIR ENTRIES`: a journal of about ENTRIES entries closed, archived to `DIR/year.tar` and the archive
//!   checked in-process (`archive_make_s`, `archive_verify_s`); `scripts/bench.sh` then times `cadodesk archive
//!   verify`, the Python verifier and `sha256sum` on the same file, with their peak memory.
//!
//! Every section prints `key=value` lines; `scripts/bench.sh` puts them side by side with their references.

// A measurement tool, not product code: a broken fixture should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use cadodesk::direct::signing;
use cadodesk::ledger::journal::Event;
use cadodesk::ledger::{JournalKey, KeyHome, Ledger};

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

// ----- round trip -----------------------------------------------------------------------------------------------

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(op: &str, mut micros: Vec<f64>) {
    micros.sort_by(|a, b| a.total_cmp(b));
    println!(
        "roundtrip op={op} n={} median_us={:.0} p99_us={:.0}",
        micros.len(),
        percentile(&micros, 0.5),
        percentile(&micros, 0.99)
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Pays a hosted checkout on the sandbox's page with the Visa test card alone, as a browser without JavaScript.
async fn pay_with_card(http: &reqwest::Client, redirect_url: &str) {
    let form = [
        ("card_number", "4012000033330026"),
        ("card_expiry", "05/30"),
        ("card_cvv", "123"),
        ("action", "pay"),
    ];
    let r = http
        .post(redirect_url)
        .form(&form)
        .send()
        .await
        .expect("pay on the page");
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "paying failed: {}",
        r.status()
    );
}

fn roundtrip(url: &str, n: usize) {
    use cadodesk::direct::wire::{CadoCheckout, CreateHostedCheckoutRequest, RefundRequest};
    use cadodesk::direct::{ClientOptions, Credentials, DirectClient, Environment, IdempotenceKey};
    use cadodesk::domain::Amount;

    let rt = runtime();
    rt.block_on(async {
        let env: Environment = url.parse().expect("sandbox URL");
        let credentials = Credentials::new("cadodesk-sandbox", "sandbox-key-id", "sandbox-secret");
        let client = DirectClient::for_environment(&env, credentials, ClientOptions::default())
            .expect("client");
        let request = |amount: i64| {
            CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
                amount: Amount::from_cents(amount).expect("amount"),
                merchant_reference: None,
                customer_email: None,
                locale: "fr_FR".into(),
                return_url: "https://shop.example/return".into(),
                session_timeout_minutes: None,
                allowed_number_of_payment_attempts: None,
                complete_remaining_payment_amount: true,
                card_authorization_mode: None,
                webhooks_urls: Vec::new(),
            })
        };
        // One paid checkout to read and refund (cent by cent, so it never runs out).
        let created = client
            .create_hosted_checkout(&request(25000))
            .await
            .expect("create");
        let redirect = created.redirect_url.clone().expect("redirectUrl");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        pay_with_card(&http, &redirect).await;
        let got = client
            .get_hosted_checkout(&created.hosted_checkout_id)
            .await
            .expect("get hosted checkout");
        let got = serde_json::to_value(&got).expect("json");
        let payment_id = got["createdPaymentOutput"]["payment"]["id"]
            .as_str()
            .expect("payment id")
            .to_string();
        // Warm-up: connection pool and first-use costs.
        for _ in 0..10 {
            client
                .get_payment_details(&payment_id)
                .await
                .expect("details");
        }
        let mut create = Vec::with_capacity(n);
        for _ in 0..n {
            let r = request(42_50);
            let t = Instant::now();
            black_box(client.create_hosted_checkout(&r).await.expect("create"));
            create.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let mut details = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            black_box(
                client
                    .get_payment_details(&payment_id)
                    .await
                    .expect("details"),
            );
            details.push(t.elapsed().as_secs_f64() * 1e6);
        }
        let mut refund = Vec::with_capacity(n);
        for _ in 0..n {
            let body = RefundRequest::eur(Amount::from_cents(1).expect("amount"), None, None);
            let key = IdempotenceKey::generate();
            let t = Instant::now();
            black_box(
                client
                    .refund_payment(&payment_id, &body, &key)
                    .await
                    .expect("refund"),
            );
            refund.push(t.elapsed().as_secs_f64() * 1e6);
        }
        report("create", create);
        report("details", details);
        report("refund", refund);
        println!("roundtrip_payment_id={payment_id}");
        // For the throughput run: a payment as a shop has them, paid and refunded twice (the one above now carries
        // every refund of the round trips).
        let typical = client
            .create_hosted_checkout(&request(8750))
            .await
            .expect("create");
        pay_with_card(&http, typical.redirect_url.as_deref().expect("redirectUrl")).await;
        let got = client
            .get_hosted_checkout(&typical.hosted_checkout_id)
            .await
            .expect("get hosted checkout");
        let got = serde_json::to_value(&got).expect("json");
        let typical_id = got["createdPaymentOutput"]["payment"]["id"]
            .as_str()
            .expect("payment id")
            .to_string();
        for cents in [1000, 500] {
            let body = RefundRequest::eur(Amount::from_cents(cents).expect("amount"), None, None);
            client
                .refund_payment(&typical_id, &body, &IdempotenceKey::generate())
                .await
                .expect("refund");
        }
        println!("typical_payment_id={typical_id}");
    });
}

// ----- ledger ---------------------------------------------------------------------------------------------------

const OPERATOR: &str = "bench";

fn hosted_id(i: u64) -> String {
    format!("{:010}", 3_000_000_000u64 + i)
}

/// The four facts of one paid checkout of 250 € on one gift card.
fn paid_checkout(i: u64) -> [Event; 4] {
    let merchant_reference = format!("BENCH-{i:09}");
    let hc = hosted_id(i);
    [
        Event::CheckoutRequested {
            merchant_reference: merchant_reference.clone(),
            amount_cents: 25000,
            currency: "EUR".into(),
            email: None,
            locale: "fr_FR".into(),
            return_url: None,
        },
        Event::CheckoutCreated {
            merchant_reference,
            hosted_checkout_id: hc.clone().parse().expect("an id"),
            redirect_url: format!("http://127.0.0.1:1/hostedcheckout/{hc}"),
        },
        Event::TenderSeen {
            hosted_checkout_id: hc.clone().parse().expect("an id"),
            payment_id: format!("{hc}_0").parse().expect("an id"),
            product_id: 3103,
            masked_number: Some("629900******0001".into()),
            amount_cents: 25000,
            captured_cents: 25000,
            status: "CAPTURED".into(),
            status_code: Some(9),
        },
        Event::CheckoutStatusSeen {
            hosted_checkout_id: hc.parse().expect("an id"),
            state: cadodesk::domain::CheckoutState::Paid,
            platform_status: "PAYMENT_CREATED".into(),
        },
    ]
}

/// Fills `ledger` with `checkouts` paid checkouts and `per_checkout` refunds on each (refund numbers from 1), in
/// transactions of a few thousand entries.
fn fill(ledger: &Ledger, checkouts: u64, per_checkout: u64) {
    let mut batch: Vec<Event> = Vec::with_capacity(8192);
    let mut number = 0i64;
    for i in 0..checkouts {
        batch.extend(paid_checkout(i));
        let hc = hosted_id(i);
        for k in 1..=per_checkout {
            number += 1;
            batch.push(Event::RefundImported {
                idempotence_key: format!("ext-{hc}_0_{k}").parse().expect("an id"),
                number,
                payment_id: format!("{hc}_0").parse().expect("an id"),
                hosted_checkout_id: hc.clone().parse().expect("an id"),
                refund_id: format!("{hc}_0_{k}").parse().expect("an id"),
                amount_cents: 100 + (k as i64 * 37) % 1900,
                state: cadodesk::domain::RefundState::Refunded,
                platform_status: "REFUNDED".into(),
            });
        }
        if batch.len() >= 5000 {
            ledger.append_all(OPERATOR, &batch).expect("append_all");
            batch.clear();
        }
    }
    if !batch.is_empty() {
        ledger.append_all(OPERATOR, &batch).expect("append_all");
    }
}

/// A row as long as a journal entry, for the reference inserts.
fn reference_row(i: u64) -> (String, String, String) {
    let payload = serde_json::to_string(&paid_checkout(i)[0]).expect("json");
    let hash = format!("{:064x}", i);
    (chrono::Utc::now().to_rfc3339(), payload, hash)
}

fn raw_connection(path: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "FULL")
        .expect("sync");
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL,
         operator TEXT NOT NULL, payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL) STRICT",
    )
    .expect("table");
    conn
}

fn raw_insert(tx: &rusqlite::Transaction<'_>, i: u64) {
    let (at, payload, hash) = reference_row(i);
    tx.execute(
        "INSERT INTO journal(at, kind, operator, payload, prev_hash, hash) VALUES (?1, 'checkout_requested', ?2, ?3, ?4, ?4)",
        rusqlite::params![at, OPERATOR, payload, hash],
    )
    .expect("insert");
}

/// The ledger at `path`, sealing each entry with a fresh journal key when `sealed` (as the app and the command line
/// open it), or unsealed (as before seals).
fn bench_ledger(path: &Path, sealed: bool) -> Ledger {
    let ledger = Ledger::open(path).expect("ledger");
    if sealed {
        ledger
            .with_journal_key(JournalKey::generate(KeyHome::File("bench".into())), None)
            .expect("key")
    } else {
        ledger
    }
}

/// Single appends for about `budget`, each its own transaction (as the till writes): entries per second, unsealed,
/// sealed, and the raw reference.
fn appends_single(dir: &Path, budget: Duration) -> (f64, f64, f64) {
    let rate = |sealed: bool, name: &str| {
        let ledger = bench_ledger(&dir.join(name), sealed);
        let start = Instant::now();
        let mut i = 0u64;
        while start.elapsed() < budget {
            ledger
                .append(OPERATOR, &paid_checkout(10_000_000 + i)[0])
                .expect("append");
            i += 1;
        }
        i as f64 / start.elapsed().as_secs_f64()
    };
    let ours = rate(false, "single.sqlite3");
    let sealed = rate(true, "single-sealed.sqlite3");
    let mut conn = raw_connection(&dir.join("single-raw.sqlite3"));
    let start = Instant::now();
    let mut j = 0u64;
    while start.elapsed() < budget {
        let tx = conn.transaction().expect("tx");
        raw_insert(&tx, j);
        tx.commit().expect("commit");
        j += 1;
    }
    (ours, sealed, j as f64 / start.elapsed().as_secs_f64())
}

/// Appends in transactions of 1 000 (as `append_all` does for a reconciliation): entries per second, which shows
/// the chain's and derived tables' own cost once the fsync is shared.
fn appends_batched(dir: &Path, total: u64) -> (f64, f64, f64) {
    let rate = |sealed: bool, name: &str| {
        let ledger = bench_ledger(&dir.join(name), sealed);
        let start = Instant::now();
        let mut i = 0u64;
        while i < total {
            let batch: Vec<Event> = (i..i + 1000)
                .map(|k| paid_checkout(20_000_000 + k)[0].clone())
                .collect();
            ledger.append_all(OPERATOR, &batch).expect("append_all");
            i += 1000;
        }
        total as f64 / start.elapsed().as_secs_f64()
    };
    let ours = rate(false, "batched.sqlite3");
    let sealed = rate(true, "batched-sealed.sqlite3");
    let mut conn = raw_connection(&dir.join("batched-raw.sqlite3"));
    let start = Instant::now();
    let mut j = 0u64;
    while j < total {
        let tx = conn.transaction().expect("tx");
        for k in j..j + 1000 {
            raw_insert(&tx, k);
        }
        tx.commit().expect("commit");
        j += 1000;
    }
    (ours, sealed, total as f64 / start.elapsed().as_secs_f64())
}

fn ledger_section(dir: &Path, refunds: u64) {
    std::fs::create_dir_all(dir).expect("dir");
    let scratch = tempfile::tempdir_in(dir).expect("scratch dir");
    let (single, single_sealed, single_raw) =
        appends_single(scratch.path(), Duration::from_secs(3));
    println!("ledger_append_single_per_s={single:.0}");
    println!("ledger_append_single_sealed_per_s={single_sealed:.0}");
    println!("raw_insert_single_per_s={single_raw:.0}");
    let (batched, batched_sealed, batched_raw) = appends_batched(scratch.path(), 50_000);
    println!("ledger_append_batched_per_s={batched:.0}");
    println!("ledger_append_batched_sealed_per_s={batched_sealed:.0}");
    println!("raw_insert_batched_per_s={batched_raw:.0}");

    // The same journal unsealed, for verify's cost without seals.
    let unsealed = bench_ledger(&scratch.path().join("unsealed.sqlite3"), false);
    fill(&unsealed, refunds / 10, 10);
    let start = Instant::now();
    let report = unsealed.verify().expect("verify");
    assert!(report.is_sound(), "the unsealed journal does not verify");
    println!(
        "ledger_verify_unsealed_s={:.3}",
        start.elapsed().as_secs_f64()
    );
    drop(unsealed);
    drop(scratch);

    let path = dir.join("ledger.sqlite3");
    if path.exists() {
        std::fs::remove_file(&path).expect("remove old ledger");
        let _ = std::fs::remove_file(dir.join("ledger.sqlite3-wal"));
        let _ = std::fs::remove_file(dir.join("ledger.sqlite3-shm"));
    }
    // Sealed, as the app and the command line write it.
    let ledger = bench_ledger(&path, true);
    let per_checkout = 10;
    let start = Instant::now();
    fill(&ledger, refunds / per_checkout, per_checkout);
    let fill_s = start.elapsed().as_secs_f64();
    let entries = ledger.journal_len().expect("len");
    println!("ledger_entries={entries}");
    println!("ledger_refunds={refunds}");
    println!("ledger_fill_s={fill_s:.2}");
    // Both reads start from the same warm page cache: one untimed scan first.
    let scan = |conn: &rusqlite::Connection| -> u64 {
        let mut stmt = conn
            .prepare("SELECT seq, at, kind, operator, payload, prev_hash, hash FROM journal ORDER BY rowid")
            .expect("prepare");
        let mut rows = stmt.query([]).expect("query");
        let mut bytes = 0u64;
        while let Some(r) = rows.next().expect("row") {
            let seq: i64 = r.get(0).expect("seq");
            bytes += seq as u64 & 1;
            for c in 1..7 {
                let s: String = r.get(c).expect("text");
                bytes += s.len() as u64;
            }
        }
        bytes
    };
    let conn = rusqlite::Connection::open(&path).expect("open");
    black_box(scan(&conn));
    let start = Instant::now();
    let report = ledger.verify().expect("verify");
    let verify_s = start.elapsed().as_secs_f64();
    assert!(report.is_sound(), "the filled journal does not verify");
    let start = Instant::now();
    black_box(scan(&conn));
    let scan_s = start.elapsed().as_secs_f64();
    println!("ledger_verify_entries={}", report.entries_checked);
    println!("ledger_verify_s={verify_s:.3}");
    println!("raw_scan_s={scan_s:.3}");
}

// ----- closings and archives -------------------------------------------------------------------------------------

/// Today in Europe/Paris: the label of a closing made now.
fn paris_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
}

/// A sealed ledger at `path` (any old one removed) with `entries` entries of paid checkouts and refunds.
fn filled_ledger(path: &Path, entries: u64) -> Ledger {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let ledger = bench_ledger(path, true);
    // 4 entries per checkout and 10 refunds each: 14 entries per checkout.
    let checkouts = (entries / 14).max(1);
    fill(&ledger, checkouts, 10);
    ledger
}

/// Closing a day of `entries` entries (the whole journal, replayed from entry 1).
fn closing_section(dir: &Path, entries: u64) {
    std::fs::create_dir_all(dir).expect("dir");
    let ledger = filled_ledger(&dir.join("closing.sqlite3"), entries);
    let records = cadodesk::till::Records::new(ledger.clone(), OPERATOR);
    records.till_identity().expect("till");
    let start = Instant::now();
    let made = records.close_day().expect("close");
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(made.len(), 1);
    println!("closing_day_entries={}", ledger.journal_len().expect("len"));
    println!("closing_day_ms={ms:.1}");
    println!(
        "closing_day_payments_cents={}",
        made[0].totals.payments_cents
    );
}

/// A year's journal of about `entries` entries, closed, then archived to `file`; the archive checked in-process.
fn archive_section(dir: &Path, file: &Path, entries: u64) {
    std::fs::create_dir_all(dir).expect("dir");
    let ledger = filled_ledger(&dir.join("archive.sqlite3"), entries);
    let records = cadodesk::till::Records::new(ledger.clone(), OPERATOR);
    records.till_identity().expect("till");
    let start = Instant::now();
    records.close_day().expect("close");
    println!("archive_closing_s={:.3}", start.elapsed().as_secs_f64());
    let _ = std::fs::remove_file(file);
    let today = paris_today();
    let start = Instant::now();
    let s = records.archive(today, today, file).expect("archive");
    println!("archive_make_s={:.3}", start.elapsed().as_secs_f64());
    println!("archive_entries={}", s.entries);
    println!(
        "archive_bytes={}",
        std::fs::metadata(file).expect("archive").len()
    );
    let start = Instant::now();
    let r = cadodesk::till::archive::verify_archive(file).expect("the archive verifies");
    println!("archive_verify_s={:.3}", start.elapsed().as_secs_f64());
    println!("archive_verify_seals={}", r.seals);
}

// ----- central ledger ---------------------------------------------------------------------------------------------

/// CSV for `COPY … FROM STDIN (FORMAT csv)`: each field quoted, quotes doubled.
fn csv_row(fields: &[Option<&str>]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if let Some(f) = f {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        }
    }
    out.push('\n');
    out
}

/// A till's journal of about `entries` entries uploaded to a fresh centre on the server at `admin` (`sync`, every
/// entry checked as it arrives), against `COPY` of the same rows into the same table (the same checks, as another
/// till) and into a plain table without them.
fn central_section(dir: &Path, admin: &str, entries: u64) {
    use futures_util::SinkExt;
    std::fs::create_dir_all(dir).expect("dir");
    let rt = runtime();
    rt.block_on(async {
        let server = cadodesk::central::connect(admin).await.expect("the server");
        let name = format!("cadodesk_bench_{}", uuid::Uuid::new_v4().simple());
        server
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("a database");
        let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
        let url = format!("{base}/{name}");
        cadodesk::central::init(&url).await.expect("init");
        let till_url = cadodesk::central::add_till(&url, "T01", None).await.expect("T01");
        cadodesk::central::add_till(&url, "T02", None).await.expect("T02");
        let ledger = filled_ledger(&dir.join("central.sqlite3"), entries);
        cadodesk::till::Records::new(ledger.clone(), OPERATOR)
            .till_identity()
            .expect("till");
        let start = Instant::now();
        let r = cadodesk::central::sync(&ledger, OPERATOR, &till_url)
            .await
            .expect("sync");
        let upload_s = start.elapsed().as_secs_f64();
        println!("central_upload_entries={}", r.uploaded);
        println!("central_upload_s={upload_s:.3}");
        // The same rows, as CSV.
        let mut rows = String::new();
        let till_rows = |till: &str| -> String {
            let mut csv = String::new();
            ledger
                .for_each_stored(1, r.acknowledged_seq, |e| {
                    let (key_id, sig) = e.seal.clone().unzip();
                    let seq = e.seq.to_string();
                    csv.push_str(&csv_row(&[
                        Some(till),
                        Some(&seq),
                        Some(&e.at),
                        Some(&e.kind),
                        Some(&e.operator),
                        Some(&e.payload),
                        Some(&e.prev_hash),
                        Some(&e.hash),
                        key_id.as_deref(),
                        sig.as_deref(),
                    ]));
                    Ok::<(), cadodesk::ledger::LedgerError>(())
                })
                .expect("rows");
            csv
        };
        let t02 = till_rows("T02");
        rows.push_str(&till_rows("T01"));
        let admin_db = cadodesk::central::connect(&url).await.expect("admin");
        admin_db
            .batch_execute(
                "CREATE TABLE plain_copy (till text, seq bigint, at text, kind text, operator text, payload text,
                 prev_hash text, hash text, key_id text, signature text, PRIMARY KEY (till, seq))",
            )
            .await
            .expect("plain table");
        let columns = "(till, seq, at, kind, operator, payload, prev_hash, hash, key_id, signature)";
        for (label, table, data) in [
            ("central_copy_same_table_s", "cadodesk.entries", t02),
            ("central_copy_plain_s", "plain_copy", rows),
        ] {
            let start = Instant::now();
            let sink = admin_db
                .copy_in(&format!("COPY {table} {columns} FROM STDIN (FORMAT csv)"))
                .await
                .expect("copy");
            let mut sink = Box::pin(sink);
            sink.send(std::io::Cursor::new(data.into_bytes()))
                .await
                .expect("copy data");
            sink.as_mut().finish().await.expect("copy done");
            println!("{label}={:.3}", start.elapsed().as_secs_f64());
        }
        drop(admin_db);
        server
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop");
    });
}

// ----- UI -------------------------------------------------------------------------------------------------------

fn vm_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn ui_section(checkouts: u64) {
    use cadodesk::ui::app::{CadodeskApp, Startup, Tab};
    use cadodesk::ui::worker::{self, WorkerConfig};
    use cadodesk::vault::Vault;

    let dir = tempfile::tempdir().expect("temp dir");
    {
        let ledger = Ledger::open_in(dir.path()).expect("ledger");
        let start = Instant::now();
        fill(&ledger, checkouts, 0);
        println!("ui_fill_s={:.2}", start.elapsed().as_secs_f64());
    }
    let rss_before = vm_kib("VmRSS:");
    let start = Instant::now();
    let mut config = WorkerConfig::new(dir.path());
    config.vault = Some(Vault::with_store(
        keyring_core::mock::Store::new().expect("mock keychain"),
    ));
    let handle = worker::start(config).expect("worker thread");
    let app = CadodeskApp::new(handle);
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1366.0, 768.0))
        .build_ui_state(|ui, app: &mut CadodeskApp| app.frame_ui(ui), app);
    h.step();
    println!(
        "ui_first_frame_ms={:.1}",
        start.elapsed().as_secs_f64() * 1e3
    );
    // The till opens on the worker (ledger, embedded sandbox); the table can be asked for once it is ready.
    while matches!(h.state().startup(), Startup::Starting)
        && start.elapsed() < Duration::from_secs(120)
    {
        h.step();
        std::thread::sleep(Duration::from_millis(2));
    }
    if let Startup::Failed(e) = h.state().startup() {
        println!("ui_error={}", e.message(cadodesk::i18n::Lang::En));
        return;
    }
    println!("ui_ready_ms={:.1}", start.elapsed().as_secs_f64() * 1e3);
    h.state_mut().set_tab(Tab::Transactions);
    let loading = Instant::now();
    while (h.state().transactions.rows().len() as u64) < checkouts
        && loading.elapsed() < Duration::from_secs(300)
    {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    println!(
        "ui_rows_loaded={} ui_load_ms={:.0}",
        h.state().transactions.rows().len(),
        loading.elapsed().as_secs_f64() * 1e3
    );
    for _ in 0..5 {
        h.step();
    }
    let mut frames: Vec<f64> = Vec::new();
    let start = Instant::now();
    while frames.len() < 300 && start.elapsed() < Duration::from_secs(20) {
        let t = Instant::now();
        h.step();
        frames.push(t.elapsed().as_secs_f64() * 1e3);
    }
    frames.sort_by(|a, b| a.total_cmp(b));
    println!(
        "ui_frame_ms_median={:.2} ui_frame_ms_p99={:.2} ui_frames={}",
        percentile(&frames, 0.5),
        percentile(&frames, 0.99),
        frames.len()
    );
    println!(
        "ui_rss_mib={:.0} ui_rss_before_mib={:.0} ui_hwm_mib={:.0}",
        vm_kib("VmRSS:") as f64 / 1024.0,
        rss_before as f64 / 1024.0,
        vm_kib("VmHWM:") as f64 / 1024.0
    );
}

// ----- watcher --------------------------------------------------------------------------------------------------

/// A TCP proxy in front of the sandbox that counts HTTP requests (request lines) from the till.
async fn counting_proxy(upstream: String, count: Arc<AtomicU64>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(server) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut cr, mut cw) = client.into_split();
                let (mut sr, mut sw) = server.into_split();
                let up = async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match cr.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let lines = buf[..n]
                            .windows(11)
                            .filter(|w| *w == b" HTTP/1.1\r\n")
                            .count();
                        count.fetch_add(lines as u64, Ordering::Relaxed);
                        if sw.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    let _ = sw.shutdown().await;
                };
                let down = async move {
                    let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    let _ = cw.shutdown().await;
                };
                tokio::join!(up, down);
            });
        }
    });
    format!("http://{addr}")
}

/// What the schedule asks for: readings of checkouts created at `created` (seconds) within `[0, window)`.
fn scheduled_readings(created: &[f64], window: f64, session_timeout_minutes: i64) -> u64 {
    use cadodesk::till::logic::next_poll_at;
    let t0 = chrono::DateTime::<chrono::Utc>::from_timestamp(1_800_000_000, 0).expect("time");
    let timeout = chrono::Duration::minutes(session_timeout_minutes);
    let mut n = 0u64;
    for &c in created {
        let created_at = t0 + chrono::Duration::milliseconds((c * 1000.0) as i64);
        let mut last = None;
        while let Some(at) = next_poll_at(created_at, last, timeout, 0) {
            if (at - t0).num_milliseconds() as f64 / 1000.0 >= window {
                break;
            }
            n += 1;
            last = Some(at);
        }
    }
    n
}

fn watcher_section(url: &str, seconds: u64) {
    use cadodesk::domain::Amount;
    use cadodesk::till::watcher::Watcher;
    use cadodesk::till::{NewCheckout, Till, TillConfig};
    use cadodesk::vault::{ApiCredentials, Secret};

    const OPEN: usize = 50;
    // The schedule alone, over a simulated hour: 50 checkouts opened in the first minute, none paid.
    let created: Vec<f64> = (0..OPEN).map(|i| i as f64 * 60.0 / OPEN as f64).collect();
    let hour = scheduled_readings(&created, 3600.0, 180);
    println!("watch_schedule_hour_readings={hour}");
    println!("watch_schedule_hour_per_min={:.1}", hour as f64 / 60.0);

    let rt = runtime();
    rt.block_on(async {
        let upstream = url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let count = Arc::new(AtomicU64::new(0));
        let proxy = counting_proxy(upstream, count.clone()).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let config = TillConfig::new(
            dir.path(),
            proxy,
            ApiCredentials {
                merchant_id: "cadodesk-sandbox".into(),
                api_key_id: "sandbox-key-id".into(),
                api_secret: Secret::new("sandbox-secret"),
                source: "bench",
            },
        );
        let till = Till::open(config).expect("till");
        let origin = Instant::now();
        for i in 0..OPEN {
            till.create_checkout(NewCheckout {
                amount: Amount::from_cents(42_50 + i as i64).expect("amount"),
                merchant_reference: None,
                email: None,
                locale: "fr_FR".into(),
                return_url: Some("https://shop.example/return".into()),
            })
            .await
            .expect("create checkout");
        }
        let creates = count.load(Ordering::Relaxed);
        // The status watcher exactly as the app runs it (`till::watcher::Watcher`).
        let watcher = Watcher::new();
        let watch_start = origin.elapsed().as_secs_f64();
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < deadline {
            let wait = watcher.step(&till, |_, _| {}).await;
            tokio::time::sleep(wait.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
        let window = origin.elapsed().as_secs_f64() - watch_start;
        let watched = count.load(Ordering::Relaxed) - creates;
        // The schedule's count over the same window, for checkouts whose first reading is when watching starts; a
        // reading due at the very end of the window is not asked for.
        let expected = scheduled_readings(&[0.0; OPEN], window.min(seconds as f64), 180);
        println!("watch_open_checkouts={OPEN}");
        println!("watch_window_s={window:.1}");
        println!("watch_requests={watched}");
        println!(
            "watch_requests_per_min={:.0}",
            watched as f64 * 60.0 / window
        );
        println!("watch_schedule_readings={expected}");
        println!(
            "watch_schedule_per_min={:.0}",
            expected as f64 * 60.0 / window
        );
    });
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |name: &str| args.iter().any(|a| a == name);
    let after = |name: &str, k: usize| -> Option<String> {
        let i = args.iter().position(|a| a == name)?;
        args.get(i + 1 + k).cloned()
    };
    if wants("--signing-inputs") {
        println!("{}", signing_inputs_json());
        return;
    }
    let sections = [
        "--signing",
        "--roundtrip",
        "--ledger",
        "--ui",
        "--watcher",
        "--closing",
        "--archive",
        "--central",
    ];
    let everything = !sections.iter().any(|s| wants(s));
    if everything || wants("--signing") {
        let rate = signing_per_second(Duration::from_secs(2));
        println!("signing_per_second={rate:.0}");
    }
    if let Some(url) = after("--roundtrip", 0) {
        let n = after("--roundtrip", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(200);
        roundtrip(&url, n);
    }
    if wants("--ledger") || everything {
        let dir = after("--ledger", 0)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("cadodesk-bench-ledger"));
        let refunds = after("--ledger", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        ledger_section(&dir, refunds);
    }
    if wants("--ui") || everything {
        let n = after("--ui", 0)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        ui_section(n);
    }
    if wants("--closing") || everything {
        let dir = after("--closing", 0)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("cadodesk-bench-closing"));
        let entries = after("--closing", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        closing_section(&dir, entries);
    }
    if wants("--archive") || everything {
        let dir = after("--archive", 0)
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("cadodesk-bench-archive"));
        let entries = after("--archive", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        archive_section(&dir, &dir.join("year.tar"), entries);
    }
    if let Some(admin) = after("--central", 0) {
        let entries = after("--central", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        central_section(
            &std::env::temp_dir().join("cadodesk-bench-central"),
            &admin,
            entries,
        );
    }
    if let Some(url) = after("--watcher", 0) {
        let secs = after("--watcher", 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(60);
        watcher_section(&url, secs);
    }
}
