//! The central ledger on a real PostgreSQL server (`scripts/central-test.sh` starts one and runs these): a till
//! uploads its signed chain, the centre checks it entry by entry and refuses anything else, and a till's role can
//! neither write another till's entries nor change anything.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::central::{self, CentralError};
use cadodesk::ledger::journal::entry_hash;
use serde_json::Value;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// A fresh database on the test server, and its administrator's URL.
pub(crate) async fn fresh_centre() -> String {
    let admin = std::env::var("CADODESK_TEST_PG_URL")
        .expect("CADODESK_TEST_PG_URL (scripts/central-test.sh)");
    let client = central::connect(&admin).await.expect("the test server");
    let name = format!("cadodesk_t_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a database");
    let (base, _) = admin.rsplit_once('/').expect("a database in the URL");
    let url = format!("{base}/{name}");
    assert_eq!(
        central::init(&url).await.expect("init"),
        central::schema::SCHEMA_VERSION
    );
    url
}

pub(crate) async fn count_at_centre(admin: &str, till: &str) -> (i64, i64) {
    let c = central::connect(admin).await.unwrap();
    let row = c
        .query_one(
            "SELECT count(*), COALESCE(max(seq), 0) FROM cadodesk.entries WHERE till = $1",
            &[&till],
        )
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn a_till_uploads_its_chain_once_and_the_centre_holds_it_whole() {
    let admin = fresh_centre().await;
    // Upgrading an up-to-date centre changes nothing.
    assert_eq!(
        central::init(&admin).await.unwrap(),
        central::schema::SCHEMA_VERSION
    );
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "ana");
    let sale = paid_sale(&till, 5000, &[CADO_50], None).await;
    refund_first_card(&till, &sale, 1000).await;
    let url = central::add_till(&admin, "T01", Some("Boutique Zoé"))
        .await
        .unwrap();
    assert!(
        matches!(
            central::add_till(&admin, "T01", None).await,
            Err(CentralError::Exists(_))
        ),
        "a till is added once"
    );
    let head = till.ledger().head().unwrap().unwrap().0;
    let first = central::sync(till.ledger(), "ana", &url).await.unwrap();
    assert_eq!(first.uploaded as i64, head);
    assert_eq!(first.acknowledged_seq, head);
    assert_eq!(
        first.pending, 1,
        "the acknowledgement itself is the one entry left"
    );
    assert_eq!(count_at_centre(&admin, "T01").await, (head, head));
    // The acknowledgement goes next, without another one after it.
    let second = central::sync(till.ledger(), "ana", &url).await.unwrap();
    assert_eq!((second.uploaded, second.pending), (1, 0));
    let third = central::sync(till.ledger(), "ana", &url).await.unwrap();
    assert_eq!((third.uploaded, third.pending), (0, 0));
    assert_eq!(count_at_centre(&admin, "T01").await, (head + 1, head + 1));
    let acks: Vec<_> = till
        .ledger()
        .entries(1, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "central_acknowledged")
        .collect();
    assert_eq!(acks.len(), 1, "one acknowledgement journaled");

    // Through the binary, with the till's URL in the environment.
    drop(till);
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    let out = cli
        .command(&["sync", "--json"])
        .env("CADODESK_CENTRAL_URL", &url)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: Value = json_of(&out);
    assert_eq!(v["till"], "T01");
    assert_eq!(v["pending"], 0);
    // Another till's URL is refused with the reason.
    let other = central::add_till(&admin, "T02", None).await.unwrap();
    let out = cli
        .command(&["sync"])
        .env("CADODESK_CENTRAL_URL", &other)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("till T02's connection"),
        "{}",
        stderr_of(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn a_ledger_restored_from_an_older_copy_is_refused_and_nothing_is_overwritten() {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let older = tempfile::tempdir().unwrap();
    let url = central::add_till(&admin, "T01", None).await.unwrap();
    {
        let till = till(dir.path(), &sb.base_url(), "ana");
        paid_sale(&till, 2000, &[], Some(VISA)).await;
        central::sync(till.ledger(), "ana", &url).await.unwrap();
    }
    // A copy of the data directory, then more sales, all sent.
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let f = f.unwrap();
        if f.file_type().unwrap().is_file() {
            std::fs::copy(f.path(), older.path().join(f.file_name())).unwrap();
        }
    }
    {
        let till = till(dir.path(), &sb.base_url(), "ana");
        paid_sale(&till, 3000, &[], Some(VISA)).await;
        central::sync(till.ledger(), "ana", &url).await.unwrap();
    }
    let held = count_at_centre(&admin, "T01").await;
    // The older copy, with a sale of its own: its entries after the copy are not the centre's.
    let restored = till(older.path(), &sb.base_url(), "ana");
    paid_sale(&restored, 4000, &[], Some(VISA)).await;
    match central::sync(restored.ledger(), "ana", &url).await {
        Err(CentralError::Diverged { why, .. }) => assert!(why.contains("older copy"), "{why}"),
        other => panic!("a restored ledger must be refused: {other:?}"),
    }
    assert_eq!(
        count_at_centre(&admin, "T01").await,
        held,
        "nothing overwritten"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn a_till_s_role_writes_only_its_own_chain_and_changes_nothing() {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let url = central::add_till(&admin, "T01", None).await.unwrap();
    central::add_till(&admin, "T02", None).await.unwrap();
    let till = till(dir.path(), &sb.base_url(), "ana");
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    central::sync(till.ledger(), "ana", &url).await.unwrap();
    let (_, head) = count_at_centre(&admin, "T01").await;
    let me = central::connect(&url).await.unwrap();
    let row = me
        .query_one("SELECT hash FROM cadodesk.heads WHERE till = 'T01'", &[])
        .await
        .unwrap();
    let prev: String = row.get(0);
    let insert = "INSERT INTO cadodesk.entries (till, seq, at, kind, operator, payload, prev_hash, hash, key_id, signature)
                  VALUES ($1, $2, $3, 'export_made', 'x', $4, $5, $6, $7, $8)";
    let at = "2026-11-29T10:00:00.000Z".to_string();
    let payload = r#"{"kind":"export_made","from":"2026-11-01","to":"2026-11-30","format":"excel-fr","rows":0}"#.to_string();
    let key_id: Option<String> = me
        .query_one(
            "SELECT key_id FROM cadodesk.entries WHERE till = 'T01' AND seq = $1",
            &[&head],
        )
        .await
        .unwrap()
        .get(0);
    let seq = head + 1;
    let hash = entry_hash(seq, &at, "export_made", "x", &payload, &prev);
    let refusal = |e: tokio_postgres::Error| {
        e.as_db_error()
            .map(|d| d.message().to_string())
            .unwrap_or_else(|| e.to_string())
    };
    // Another till's chain: row-level security.
    let other = me
        .execute(
            insert,
            &[
                &"T02",
                &1i64,
                &at,
                &payload,
                &"0".repeat(64),
                &entry_hash(1, &at, "export_made", "x", &payload, &"0".repeat(64)),
                &key_id,
                &"00".repeat(64),
            ],
        )
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(other.contains("only its own entries"), "{other}");
    // Its own chain, with a hash that is not its content.
    let bad_hash = me
        .execute(
            insert,
            &[
                &"T01",
                &seq,
                &at,
                &payload,
                &prev,
                &"ab".repeat(32),
                &key_id,
                &"00".repeat(64),
            ],
        )
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(bad_hash.contains("hash does not match"), "{bad_hash}");
    // Chained right, but sealed by someone without the key: refused at commit.
    let forged = me
        .execute(
            insert,
            &[
                &"T01",
                &seq,
                &at,
                &payload,
                &prev,
                &hash,
                &key_id,
                &"00".repeat(64),
            ],
        )
        .await
        .map_err(refusal)
        .unwrap_err();
    assert!(forged.contains("seal does not verify"), "{forged}");
    // Nothing changes or goes.
    for sql in [
        "UPDATE cadodesk.entries SET operator = 'x' WHERE till = 'T01'",
        "DELETE FROM cadodesk.entries WHERE till = 'T01'",
        "TRUNCATE cadodesk.entries",
        "UPDATE cadodesk.tills SET shop = 'x'",
        "DELETE FROM cadodesk.tills",
        "SELECT rolpassword FROM pg_authid",
    ] {
        let e = me.batch_execute(sql).await.map_err(refusal).unwrap_err();
        assert!(e.contains("permission denied"), "{sql}: {e}");
    }
    assert_eq!(count_at_centre(&admin, "T01").await, (head, head));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn five_tills_selling_and_syncing_at_once_leave_every_entry_once_and_every_chain_whole() {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let mut tasks = Vec::new();
    for n in 1..=5 {
        let code = format!("T0{n}");
        let url = central::add_till(&admin, &code, Some("Boutique Zoé"))
            .await
            .unwrap();
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let dir = tempfile::tempdir().unwrap();
            let till = till(dir.path(), &base, "ana");
            till.till_init(&code, Some("Boutique Zoé"), None).unwrap();
            for i in 0..3 {
                let sale = paid_sale(&till, 2000 + 100 * i, &[], Some(VISA)).await;
                if i == 1 {
                    refund_first_card(&till, &sale, 500).await;
                }
                // Each till syncs while the others sell and sync.
                central::sync(till.ledger(), "ana", &url).await.unwrap();
            }
            let last = central::sync(till.ledger(), "ana", &url).await.unwrap();
            assert_eq!(last.pending, 0, "{code}: {last:?}");
            let head = till.ledger().head().unwrap().unwrap();
            (code, head, dir)
        }));
    }
    let c = central::connect(&admin).await.unwrap();
    for t in tasks {
        let (code, (seq, hash), _dir) = t.await.unwrap();
        // Every entry once, numbered without a gap, the chain's head the till's own.
        let row = c
            .query_one(
                "SELECT count(*), count(DISTINCT seq), max(seq) FROM cadodesk.entries WHERE till = $1",
                &[&code],
            )
            .await
            .unwrap();
        let (n, distinct, max): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!((n, distinct, max), (seq, seq, seq), "{code}");
        let held: String = c
            .query_one("SELECT hash FROM cadodesk.heads WHERE till = $1", &[&code])
            .await
            .unwrap()
            .get(0);
        assert_eq!(held, hash, "{code}: the centre's head is the till's");
        // Each link at the centre is the hash before it.
        let broken: i64 = c
            .query_one(
                "SELECT count(*) FROM cadodesk.entries e JOIN cadodesk.entries p
                 ON p.till = e.till AND p.seq = e.seq - 1 WHERE e.till = $1 AND e.prev_hash <> p.hash",
                &[&code],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(broken, 0, "{code}");
    }
}

/// A TCP proxy to the centre that can cut every connection through it: what a network does mid-transaction.
struct Cutter {
    port: u16,
    cut: std::sync::Arc<tokio::sync::Notify>,
    /// Bytes from the till to the centre after which each connection is cut (`u64::MAX`: never).
    budget: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Cutter {
    async fn start(upstream: String) -> Cutter {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = std::sync::Arc::new(tokio::sync::Notify::new());
        let budget = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
        let (c, b) = (cut.clone(), budget.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let (cut, budget) = (c.clone(), b.clone());
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt, AsyncWriteExt};
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (mut ri, mut wi) = inbound.split();
                    let (mut ro, mut wo) = outbound.split();
                    let limit = budget.load(std::sync::atomic::Ordering::SeqCst);
                    let up = async {
                        let mut sent = 0u64;
                        let mut buf = vec![0u8; 4096];
                        loop {
                            let n = ri.read(&mut buf).await.unwrap_or(0);
                            if n == 0 || sent + n as u64 > limit {
                                return;
                            }
                            sent += n as u64;
                            if wo.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let down = tokio::io::copy(&mut ro, &mut wi);
                    tokio::select! {
                        _ = up => {}
                        _ = down => {}
                        _ = cut.notified() => {}
                    }
                });
            }
        });
        Cutter { port, cut, budget }
    }

    /// The till's URL through the proxy.
    fn url(&self, till_url: &str) -> String {
        let (creds, rest) = till_url.rsplit_once('@').unwrap();
        let (_, db) = rest.split_once('/').unwrap();
        format!("{creds}@127.0.0.1:{}/{db}", self.port)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn connections_cut_mid_upload_and_a_day_offline_lose_nothing_and_double_nothing() {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let url = central::add_till(&admin, "T01", None).await.unwrap();
    let upstream = url
        .rsplit_once('@')
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .0
        .to_string();
    let proxy = Cutter::start(upstream).await;
    let through = proxy.url(&url);
    let clock = test_clock();
    let till = till_on_clock(dir.path(), &sb.base_url(), &clock, None);

    // Offline for a day of sales (one every three hours on the till's clock), closed at its end: the centre cannot
    // be reached; sales go on and the error says so.
    let nowhere = {
        let (creds, rest) = url.rsplit_once('@').unwrap();
        let (_, db) = rest.split_once('/').unwrap();
        format!("{creds}@127.0.0.1:1/{db}?connect_timeout=2")
    };
    let mut takings = 0;
    for i in 0..8 {
        paid_sale(&till, 1000 + i * 100, &[], Some(VISA)).await;
        takings += 1000 + i * 100;
        match central::sync(till.ledger(), "ana", &nowhere).await {
            Err(CentralError::Unreachable(_)) => {}
            other => panic!("an unreachable centre is said so: {other:?}"),
        }
        clock.advance(chrono::Duration::hours(3));
    }
    // The day's sales may span midnight: each day is closed.
    let closed: i64 = till
        .close_day()
        .unwrap()
        .iter()
        .filter(|c| c.kind == cadodesk::domain::closing::ClosingKind::Day)
        .map(|c| c.totals.payments_cents)
        .sum();
    assert_eq!(closed, takings);
    // Back, through a network that cuts each connection after a few kilobytes, then recovers: each attempt
    // commits a whole batch or nothing, and the next one goes on from what the centre holds.
    // (4 kB: the login and the first reads pass, no batch of entries does.)
    proxy
        .budget
        .store(4_000, std::sync::atomic::Ordering::SeqCst);
    let head = till.ledger().head().unwrap().unwrap().0;
    let mut attempts = 0;
    let mut failures = 0;
    loop {
        attempts += 1;
        assert!(attempts < 100, "the upload never finished");
        match central::sync(till.ledger(), "ana", &through).await {
            Ok(r) if r.pending == 0 => break,
            Ok(_) => {}
            Err(CentralError::Unreachable(_)) | Err(CentralError::Sql(_)) => failures += 1,
            Err(e) => panic!("a cut connection is retried, not refused: {e}"),
        }
        if attempts > 20 {
            // A network that recovers.
            proxy
                .budget
                .store(u64::MAX, std::sync::atomic::Ordering::SeqCst);
        }
    }
    assert!(
        failures > 0,
        "the proxy cut connections mid-upload ({attempts} attempts, {} entries)",
        till.ledger().head().unwrap().unwrap().0
    );
    proxy.cut.notify_waiters();
    let at_centre = count_at_centre(&admin, "T01").await;
    let local = till.ledger().head().unwrap().unwrap().0;
    assert!(local >= head);
    assert_eq!(at_centre, (local, local), "every entry once, none missing");
    // The day's closing made offline reached the centre with the rest, and adds up there.
    let c = central::connect(&admin).await.unwrap();
    let closings = central::query::closings(
        &c,
        cadodesk::domain::closing::ClosingKind::Day,
        &Default::default(),
    )
    .await
    .unwrap();
    let company: Vec<_> = central::query::consolidate(&closings)
        .into_iter()
        .filter(|x| x.company)
        .collect();
    assert_eq!(
        (
            company.iter().map(|x| x.payments_cents).sum::<i64>(),
            company.iter().map(|x| x.sales_count).sum::<i64>()
        ),
        (takings, 8),
        "{company:?}"
    );
}

/// Till `code`'s till on `dir`, named, with the centre as its refund guard.
fn central_till(dir: &std::path::Path, base: &str, code: &str, url: &str) -> cadodesk::till::Till {
    let t = till(dir, base, "ana");
    t.till_init(code, Some("Boutique Zoé"), None).unwrap();
    let guard = central::PgGuard::new(url, t.ledger().clone(), "ana");
    t.with_central(std::sync::Arc::new(guard))
}

fn first_payment(t: &cadodesk::till::Till, sale: &str) -> String {
    t.checkout(sale).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string()
}

fn refund_cmd(payment: &str, cents: i64) -> cadodesk::till::RefundCommand {
    cadodesk::till::RefundCommand {
        payment_id: payment.to_string(),
        amount: eur(cents),
        reason: "retour".into(),
    }
}

async fn left_at_centre(admin: &str, payment: &str) -> i64 {
    let c = central::connect(admin).await.unwrap();
    c.query_one("SELECT cadodesk.left_to_refund($1)", &[&payment])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn a_sale_of_till_a_is_refunded_at_till_b_and_two_tills_at_once_never_refund_more_than_was_paid()
 {
    use cadodesk::till::TillError;
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let url_a = central::add_till(&admin, "T01", Some("Boutique Zoé"))
        .await
        .unwrap();
    let url_b = central::add_till(&admin, "T02", Some("Boutique Zoé"))
        .await
        .unwrap();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = central_till(dir_a.path(), &base, "T01", &url_a);
    let b = central_till(dir_b.path(), &base, "T02", &url_b);
    let sale = paid_sale(&a, 5000, &[], Some(VISA)).await;
    let payment = first_payment(&a, &sale);

    // Till A has not sent the sale yet: till B cannot refund it, and says why; nothing reaches the platform.
    match b.refund(refund_cmd(&payment, 1000)).await {
        Err(TillError::NotAtCentre(p)) => assert_eq!(p, payment),
        other => panic!("a sale the centre does not hold is refused: {other:?}"),
    }
    assert!(platform_refunds(&base, &payment).await.is_empty());
    // Looked up by its reference, the message says which till holds it.
    let reference = a.checkout(&sale).unwrap().unwrap().merchant_reference;
    match b.take_in_sale(&reference).await {
        Err(e @ TillError::NotSentYet { .. }) => {
            assert!(e.to_string().contains("till T01"), "{e}");
        }
        other => panic!("a sale not sent yet names its till: {other:?}"),
    }

    // Once sent, till B refunds 10 € of it: the sale is taken in from the centre, the refund is B's.
    central::sync(a.ledger(), "ana", &url_a).await.unwrap();
    assert_eq!(b.take_in_sale(&reference).await.unwrap(), sale);
    assert_eq!(
        b.checkout(&sale).unwrap().unwrap().tenders.len(),
        1,
        "the sale and its card, taken in once"
    );
    let v = b.refund(refund_cmd(&payment, 1000)).await.unwrap();
    assert!(v.state.left_money(), "{v:?}");
    let taken_in = b.ledger().entries(1, 10_000).unwrap();
    assert!(
        taken_in.iter().any(|e| e.kind == "foreign_tender_seen"),
        "the foreign sale is journaled at B"
    );
    assert_eq!(
        left_at_centre(&admin, &payment).await,
        4000,
        "reserved at the centre"
    );

    // Both tills at once, 30 € each, on the 40 € left: one goes through, the other is refused by the centre and
    // never reaches the platform.
    let (ra, rb) = tokio::join!(
        a.refund(refund_cmd(&payment, 3000)),
        b.refund(refund_cmd(&payment, 3000))
    );
    let results = [ra, rb];
    let ok = results
        .iter()
        .filter(|r| matches!(r, Ok(v) if v.state.left_money()))
        .count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(TillError::NotEnoughLeft { left, .. }) if left.cents() == 1000))
        .count();
    assert_eq!((ok, refused), (1, 1), "{results:?}");
    let on_platform: i64 = platform_refunds(&base, &payment)
        .await
        .iter()
        .map(|r| r.1)
        .sum();
    assert_eq!(
        on_platform, 4000,
        "the platform refunded 10 + 30 €, never more"
    );
    assert_eq!(left_at_centre(&admin, &payment).await, 1000);

    // Each till sends its journal; the centre's refunds then say the same, each with its till.
    central::sync(a.ledger(), "ana", &url_a).await.unwrap();
    central::sync(b.ledger(), "ana", &url_b).await.unwrap();
    assert_eq!(left_at_centre(&admin, &payment).await, 1000);
    let c = central::connect(&admin).await.unwrap();
    let rows = c
        .query(
            "SELECT till, amount_cents, state FROM cadodesk.refunds WHERE payment_id = $1 ORDER BY created_at",
            &[&payment],
        )
        .await
        .unwrap();
    let seen: Vec<(String, i64, String)> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        seen.iter()
            .filter(|r| r.2 == "refunded" || r.2 == "pending")
            .map(|r| r.1)
            .sum::<i64>(),
        4000,
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.0 == "T02" && r.2 != "declined"),
        "{seen:?}"
    );
    assert!(seen.iter().any(|r| r.2 == "declined"), "{seen:?}");

    // The refund at B is B's in B's closing (its kind is the card's), and A's payment is A's alone: reading the
    // sale again or reconciling at B never journals A's payment here.
    b.refresh(&sale).await.unwrap();
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    b.reconcile(today.pred_opt().unwrap(), today.succ_opt().unwrap())
        .await
        .unwrap();
    assert!(
        !b.ledger()
            .entries(1, 10_000)
            .unwrap()
            .iter()
            .any(|e| e.kind == "tender_seen"),
        "no payment reading journaled at B"
    );
    let closed_b = b.close_day().unwrap();
    let day_b = &closed_b[0].totals;
    assert_eq!(
        (day_b.payments_cents, day_b.sales_count),
        (0, 0),
        "{day_b:?}"
    );
    assert!(day_b.refunds_cents >= 1000, "{day_b:?}");
    let visa = day_b.by_tender.iter().find(|t| t.kind == "visa").unwrap();
    assert_eq!(visa.refunds_cents, day_b.refunds_cents, "{day_b:?}");

    // A till that cannot reach the centre refuses a refund, says why, and sends nothing.
    let nowhere = {
        let (creds, rest) = url_b.rsplit_once('@').unwrap();
        let (_, db) = rest.split_once('/').unwrap();
        format!("{creds}@127.0.0.1:1/{db}?connect_timeout=2")
    };
    let offline = till(dir_b.path(), &base, "ana").with_central(std::sync::Arc::new(
        central::PgGuard::new(&nowhere, b.ledger().clone(), "ana"),
    ));
    let before = platform_refunds(&base, &payment).await.len();
    match offline.refund(refund_cmd(&payment, 500)).await {
        Err(e @ TillError::CentralUnreachable(_)) => {
            let said = cadodesk::i18n::Localize::localize(&e, cadodesk::i18n::Lang::Fr);
            assert!(said.contains("serveur central est injoignable"), "{said}");
            assert!(
                !said.contains(url_b.rsplit_once('@').unwrap().0),
                "no password"
            );
        }
        other => panic!("an unreachable centre refuses the refund: {other:?}"),
    }
    assert_eq!(platform_refunds(&base, &payment).await.len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn the_central_export_is_the_sum_of_the_tills_exports_and_closings_add_up_per_shop() {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let base = sb.base_url();
    // Yesterday to tomorrow: the sales are made now, whatever the hour.
    let now = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let (first, last) = (now.pred_opt().unwrap(), now.succ_opt().unwrap());
    let mut expected: Vec<Vec<String>> = Vec::new();
    let mut dirs = Vec::new();
    let mut payments = 0i64;
    for (code, shop) in [("T01", "Paris"), ("T02", "Paris"), ("T03", "Lyon")] {
        let url = central::add_till(&admin, code, Some(shop)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let t = till(dir.path(), &base, "ana");
        t.till_init(code, Some(shop), None).unwrap();
        for i in 0..2 {
            let sale = paid_sale(&t, 2000 + 100 * i, &[], Some(VISA)).await;
            payments += 2000 + 100 * i;
            refund_first_card(&t, &sale, 300 + i).await;
            if i == 1 {
                // A second refund on the same card: what it had refunded before shows in the line.
                refund_first_card(&t, &sale, 100).await;
            }
        }
        t.close_day().unwrap();
        let csv = dir.path().join("refunds.csv");
        t.export_refunds(first, last, cadodesk::till::CsvFormat::Rfc4180, &csv)
            .unwrap();
        let mut r = csv::Reader::from_path(&csv).unwrap();
        expected.extend(
            r.records()
                .map(|x| x.unwrap().iter().map(str::to_string).collect()),
        );
        central::sync(t.ledger(), "ana", &url).await.unwrap();
        dirs.push(dir);
    }
    let c = central::connect(&admin).await.unwrap();
    let (from, to) = cadodesk::till::logic::local_days_to_utc(first, last);
    let out = dirs[0].path().join("central.csv");
    let all = central::query::Scope::default();
    let s = central::query::export_refunds(
        &c,
        from,
        to,
        &all,
        cadodesk::till::CsvFormat::Rfc4180,
        &out,
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(s.rows, 9);
    let mut r = csv::Reader::from_path(&out).unwrap();
    assert_eq!(&r.headers().unwrap()[0], "till");
    let mut got: Vec<Vec<String>> = Vec::new();
    let mut tills = std::collections::BTreeSet::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        tills.insert(rec[0].to_string());
        got.push(rec.iter().skip(2).map(str::to_string).collect());
    }
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "the centre's lines are the tills' lines");
    assert_eq!(tills.len(), 3);
    // One shop only.
    let paris = central::query::Scope {
        shop: Some("Paris".into()),
        ..Default::default()
    };
    let out2 = dirs[0].path().join("paris.csv");
    let s2 = central::query::export_refunds(
        &c,
        from,
        to,
        &paris,
        cadodesk::till::CsvFormat::ExcelFr,
        &out2,
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(s2.rows, 6);
    // The closings, added up per shop and for the company.
    let closings = central::query::closings(&c, cadodesk::domain::closing::ClosingKind::Day, &all)
        .await
        .unwrap();
    assert_eq!(closings.len(), 3);
    let cons = central::query::consolidate(&closings);
    let company = cons.iter().find(|x| x.company).unwrap();
    assert_eq!(company.tills, vec!["T01", "T02", "T03"]);
    assert_eq!(company.payments_cents, payments);
    assert_eq!(company.sales_count, 6);
    let paris = cons
        .iter()
        .find(|x| x.shop.as_deref() == Some("Paris") && !x.company)
        .unwrap();
    assert_eq!(paris.tills, vec!["T01", "T02"]);
    assert_eq!(
        company.net_cents,
        closings
            .iter()
            .map(|x| x.closing.totals.net_cents())
            .sum::<i64>()
    );
}

/// Runs the binary for `cli` with the till's central URL in its environment (as a till configured for a centre).
async fn run_central(cli: &Cli, url: &str, args: &[&str]) -> std::process::Output {
    let out = cli
        .command(args)
        .env("CADODESK_CENTRAL_URL", url)
        .output()
        .await
        .expect("cadodesk runs");
    assert!(
        out.status.success(),
        "cadodesk {}: {}",
        args.join(" "),
        stderr_of(&out)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn five_till_processes_selling_and_refunding_at_once_add_up_at_the_centre_and_in_the_back_office()
 {
    let admin = fresh_centre().await;
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let reader = central::schema::add_reader(&admin, "compta").await.unwrap();
    let now = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let (first, last) = (
        now.pred_opt().unwrap().to_string(),
        now.succ_opt().unwrap().to_string(),
    );
    let mut tasks = Vec::new();
    for n in 1..=5 {
        let code = format!("T0{n}");
        let shop = if n <= 3 { "Paris" } else { "Lyon" };
        let url = central::add_till(&admin, &code, Some(shop)).await.unwrap();
        let (base, first, last) = (base.clone(), first.clone(), last.clone());
        tasks.push(tokio::spawn(async move {
            let dir = tempfile::tempdir().unwrap();
            let cli = Cli::sandbox(dir.path(), &base);
            run_central(
                &cli,
                &url,
                &["till", "init", "--code", &code, "--shop", shop],
            )
            .await;
            cli.no_pin_needed().await;
            let mut payments = Vec::new();
            for i in 0..2 {
                let amount = format!("{},00", 20 + n * 2 + i);
                let made = json_of(
                    &run_central(
                        &cli,
                        &url,
                        &["checkout", "create", "--amount", &amount, "--json"],
                    )
                    .await,
                );
                pay(made["redirectUrl"].as_str().unwrap(), &[], Some(VISA)).await;
                let id = made["hostedCheckoutId"].as_str().unwrap().to_string();
                let seen =
                    json_of(&run_central(&cli, &url, &["checkout", "status", &id, "--json"]).await);
                let payment = seen["tenders"][0]["paymentId"]
                    .as_str()
                    .unwrap()
                    .to_string();
                // The refund goes through the centre (the sale is sent first, since the centre does not hold it).
                run_central(
                    &cli,
                    &url,
                    &[
                        "refund",
                        "--payment-id",
                        &payment,
                        "--amount",
                        "5,00",
                        "--reason",
                        "retour",
                    ],
                )
                .await;
                payments.push(payment);
                let synced = json_of(&run_central(&cli, &url, &["sync", "--json"]).await);
                assert_eq!(synced["till"], code.as_str());
            }
            run_central(&cli, &url, &["close", "--json"]).await;
            let csv = dir.path().join("refunds.csv");
            run_central(
                &cli,
                &url,
                &[
                    "export",
                    "refunds",
                    "--from",
                    &first,
                    "--to",
                    &last,
                    "--format",
                    "rfc4180",
                    "-o",
                    csv.to_str().unwrap(),
                ],
            )
            .await;
            let synced = json_of(&run_central(&cli, &url, &["sync", "--json"]).await);
            // The export's own entry, then its acknowledgement.
            let synced = if synced["pending"] == 0 {
                synced
            } else {
                json_of(&run_central(&cli, &url, &["sync", "--json"]).await)
            };
            assert_eq!(synced["pending"], 0, "{synced}");
            let mut r = csv::Reader::from_path(&csv).unwrap();
            let rows: Vec<Vec<String>> = r
                .records()
                .map(|x| x.unwrap().iter().map(str::to_string).collect())
                .collect();
            let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
            let head = ledger.head().unwrap().unwrap();
            (code, head, rows, payments, dir)
        }));
    }
    let c = central::connect(&admin).await.unwrap();
    let mut expected = Vec::new();
    for t in tasks {
        let (code, (seq, hash), rows, payments, _dir) = t.await.unwrap();
        expected.extend(rows);
        let row = c
            .query_one(
                "SELECT count(*), count(DISTINCT seq), max(seq) FROM cadodesk.entries WHERE till = $1",
                &[&code],
            )
            .await
            .unwrap();
        let (n, distinct, max): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        assert_eq!(
            (n, distinct, max),
            (seq, seq, seq),
            "{code}: every entry once, none missing"
        );
        let held: String = c
            .query_one("SELECT hash FROM cadodesk.heads WHERE till = $1", &[&code])
            .await
            .unwrap()
            .get(0);
        assert_eq!(held, hash, "{code}: the centre's head is the till's");
        // Per tender: what the centre says was refunded is what the platform holds.
        for p in payments {
            let platform: i64 = platform_refunds(&base, &p)
                .await
                .iter()
                .filter(|r| r.2 != "REJECTED")
                .map(|r| r.1)
                .sum();
            let at_centre: i64 = c
                .query_one(
                    "SELECT COALESCE(sum(amount_cents), 0)::bigint FROM cadodesk.refunds WHERE payment_id = $1
                     AND state IN ('pending', 'refunded')",
                    &[&p],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!((platform, at_centre), (500, 500), "{code} {p}");
        }
    }
    // The accountant's back office, through the binary with the reader's URL: every till, each line with its till.
    let dir = tempfile::tempdir().unwrap();
    let acct = Cli::sandbox(dir.path(), &base);
    let central_arg = format!("--central={reader}");
    let list = json_of(
        &acct
            .run(&["checkout", "list", &central_arg, "--json"])
            .await,
    );
    assert_eq!(list.as_array().unwrap().len(), 10, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| s["refundedCents"] == 500)
    );
    let refunds = json_of(
        &acct
            .run(&[
                "refunds",
                &central_arg,
                "--from",
                &first,
                "--to",
                &last,
                "--json",
            ])
            .await,
    );
    assert_eq!(refunds.as_array().unwrap().len(), 10, "{refunds}");
    let out = dir.path().join("all.csv");
    let done = acct
        .run(&[
            "export",
            "refunds",
            &central_arg,
            "--from",
            &first,
            "--to",
            &last,
            "--format",
            "rfc4180",
            "-o",
            out.to_str().unwrap(),
            "--json",
        ])
        .await;
    assert!(done.status.success(), "{}", stderr_of(&done));
    let mut r = csv::Reader::from_path(&out).unwrap();
    let head = r.headers().unwrap().clone();
    assert_eq!((&head[0], &head[1]), ("till", "shop"));
    let mut got: Vec<Vec<String>> = r
        .records()
        .map(|x| x.unwrap().iter().skip(2).map(str::to_string).collect())
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(
        got, expected,
        "the central export is the tills' exports, line for line"
    );
    let lyon = dir.path().join("lyon.csv");
    let s = json_of(
        &acct
            .run(&[
                "export",
                "refunds",
                &central_arg,
                "--shop",
                "Lyon",
                "--from",
                &first,
                "--to",
                &last,
                "-o",
                lyon.to_str().unwrap(),
                "--json",
            ])
            .await,
    );
    assert_eq!(s["rows"], 4, "{s}");
    let closings = json_of(&acct.run(&["closings", &central_arg, "--json"]).await);
    let company = closings["consolidated"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["company"] == true)
        .unwrap()
        .clone();
    assert_eq!(company["tills"].as_array().unwrap().len(), 5, "{closings}");
    assert_eq!(company["salesCount"], 10, "{closings}");
    assert_eq!(company["refundsCents"], 5000, "{closings}");
    // Filters without a centre, and a reader that writes: refused.
    let said = acct
        .run(&["refunds", "--till", "T01", "--from", &first, "--to", &last])
        .await;
    assert_eq!(said.status.code(), Some(1));
    assert!(
        stderr_of(&said).contains("add --central"),
        "{}",
        stderr_of(&said)
    );
    let r = central::connect(&reader).await.unwrap();
    let e = r
        .batch_execute("DELETE FROM cadodesk.refunds")
        .await
        .unwrap_err();
    assert!(
        e.as_db_error()
            .unwrap()
            .message()
            .contains("permission denied"),
        "{e}"
    );
}

/// Stops (`stop`) or starts (`start`) the test server, through the script that started it.
async fn server(what: &str) {
    let ctl = std::env::var("CADODESK_TEST_PG_CTL")
        .expect("CADODESK_TEST_PG_CTL (scripts/central-test.sh)");
    let st = tokio::process::Command::new("bash")
        .arg(&ctl)
        .arg(what)
        .status()
        .await
        .expect("ctl.sh runs");
    assert!(st.success(), "server {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it (it stops and starts the server)"]
async fn the_server_stopped_mid_upload_and_started_again_loses_nothing_and_doubles_nothing() {
    use cadodesk::ledger::Event;
    let admin = fresh_centre().await;
    let url = central::add_till(&admin, "T01", None).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ledger = cadodesk::ledger::Ledger::open_in(dir.path()).unwrap();
    cadodesk::till::Records::new(ledger.clone(), "ana")
        .till_identity()
        .unwrap();
    // Thirty thousand entries: fifteen batches, a few seconds of upload.
    let events: Vec<Event> = (0..30_000u64)
        .map(|i| Event::IntegrityChecked {
            entries: i,
            ok: true,
            problem: None,
        })
        .collect();
    ledger.append_all("ana", &events).unwrap();
    let head = ledger.head().unwrap().unwrap().0;
    let upload = {
        let (ledger, url) = (ledger.clone(), url.clone());
        tokio::spawn(async move { central::sync(&ledger, "ana", &url).await })
    };
    // Once the first batch is in, the server stops (a fast shutdown: the batch in flight is cut).
    let watcher = central::connect(&admin).await.unwrap();
    loop {
        let n: i64 = watcher
            .query_one("SELECT count(*) FROM cadodesk.entries", &[])
            .await
            .unwrap()
            .get(0);
        if n > 0 {
            break;
        }
        assert!(
            !upload.is_finished(),
            "the upload ended before any batch was seen"
        );
        tokio::task::yield_now().await;
    }
    server("stop").await;
    let cut = upload.await.unwrap();
    match &cut {
        Err(CentralError::Unreachable(_)) | Err(CentralError::Sql(_)) => {}
        other => panic!("the upload was cut by the server stopping: {other:?}"),
    }
    // The till keeps selling meanwhile: its journal goes on.
    ledger
        .append(
            "ana",
            &Event::IntegrityChecked {
                entries: 1,
                ok: true,
                problem: None,
            },
        )
        .unwrap();
    server("start").await;
    let mut attempts = 0;
    let report = loop {
        attempts += 1;
        match central::sync(&ledger, "ana", &url).await {
            Ok(r) => break r,
            Err(CentralError::Unreachable(_)) if attempts < 50 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("after the restart the upload goes on: {e}"),
        }
    };
    assert!(report.acknowledged_seq > head, "{report:?}");
    let ack = report.acknowledged_seq;
    assert_eq!(
        ledger.head().unwrap().unwrap().0,
        ack + 1,
        "then the acknowledgement"
    );
    let at_centre = count_at_centre(&admin, "T01").await;
    assert_eq!(at_centre, (ack, ack), "nothing lost");
    let distinct: i64 = central::connect(&admin)
        .await
        .unwrap()
        .query_one(
            "SELECT count(DISTINCT seq) FROM cadodesk.entries WHERE till = 'T01'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(distinct, at_centre.0, "every entry once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
async fn a_centre_upgraded_from_version_1_derives_its_tables_from_the_entries_it_holds() {
    let admin = std::env::var("CADODESK_TEST_PG_URL").expect("CADODESK_TEST_PG_URL");
    let server = central::connect(&admin).await.unwrap();
    let name = format!("cadodesk_t_{}", uuid::Uuid::new_v4().simple());
    server
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
    assert_eq!(central::schema::init_up_to(&url, 1).await.unwrap(), 1);
    let till_url = central::add_till(&url, "T01", Some("Boutique Zoé"))
        .await
        .unwrap();
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let t = till(dir.path(), &sb.base_url(), "ana");
    let sale = paid_sale(&t, 4200, &[CADO_20], Some(VISA)).await;
    refund_first_card(&t, &sale, 700).await;
    central::sync(t.ledger(), "ana", &till_url).await.unwrap();
    // Version 2 replays what the centre holds into its new tables.
    assert_eq!(
        central::init(&url).await.unwrap(),
        central::schema::SCHEMA_VERSION
    );
    let c = central::connect(&url).await.unwrap();
    let (sales, tenders, refunded): (i64, i64, i64) = {
        let r = c
            .query_one(
                "SELECT (SELECT count(*) FROM cadodesk.checkouts WHERE state = 'paid'),
                        (SELECT count(*) FROM cadodesk.tenders),
                        (SELECT COALESCE(sum(amount_cents), 0)::bigint FROM cadodesk.refunds
                         WHERE state IN ('pending', 'refunded'))",
                &[],
            )
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!((sales, tenders, refunded), (1, 2, 700));
    let payment = t.checkout(&sale).unwrap().unwrap().tenders[0]
        .payment_id
        .to_string();
    let left: i64 = c
        .query_one("SELECT cadodesk.left_to_refund($1)", &[&payment])
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 2000 - 700);
}
