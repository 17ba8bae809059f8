//! Closings (French till law): days, months and fiscal years, with their perpetual totals, on the test clock and
//! through the binary.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::closing::{Closing, ClosingKind};
use serde_json::Value;

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

fn kinds(closings: &[Closing], kind: ClosingKind) -> Vec<&Closing> {
    closings.iter().filter(|c| c.kind == kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_days_a_month_and_a_year_with_their_perpetual_totals() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let clock = test_clock();
    // Noon in Paris on 2026-11-29, whatever the day the test runs.
    clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-29T11:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let till = till_on_clock(dir.path(), &base, &clock, None);

    // Day 1: a 50 € sale, closed by the operator.
    let sale1 = paid_sale(&till, 5000, &[CADO_50], None).await;
    let day1 = till.close_day().unwrap();
    assert_eq!(day1.len(), 1, "{day1:#?}");
    let d1 = &day1[0];
    assert_eq!(
        (d1.kind, d1.number, d1.label.as_str()),
        (ClosingKind::Day, 1, "2026-11-29")
    );
    assert_eq!(
        (
            d1.totals.sales_count,
            d1.totals.payments_cents,
            d1.period_total_cents,
            d1.perpetual_total_cents
        ),
        (1, 5000, 5000, 5000)
    );

    // Day 2: a refund of day 1's sale (after its closing: it counts today) and a 20 € sale; the day is left open.
    clock.advance(chrono::Duration::days(1));
    refund_first_card(&till, &sale1, 1000).await;
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    assert!(
        till.close_due().unwrap().is_empty(),
        "nothing due on the same day"
    );

    // Day 3, December 1st: the first start closes day 2, then November (ended) from its two days.
    clock.advance(chrono::Duration::days(1));
    let due = till.close_due().unwrap();
    assert_eq!(due.len(), 2, "{due:#?}");
    let d2 = &due[0];
    assert_eq!(
        (d2.kind, d2.number, d2.label.as_str()),
        (ClosingKind::Day, 2, "2026-11-30")
    );
    assert_eq!(
        (
            d2.totals.payments_cents,
            d2.totals.refunds_cents,
            d2.period_total_cents
        ),
        (2000, 1000, 1000)
    );
    assert_eq!(
        (d2.perpetual_total_cents, d2.perpetual_absolute_total_cents),
        (6000, 8000)
    );
    assert_eq!(d2.first_seq, d1.last_seq + 1);
    let by_kind: Vec<(&str, i64, i64)> = d2
        .totals
        .by_tender
        .iter()
        .map(|t| (t.kind.as_str(), t.payments_cents, t.refunds_cents))
        .collect();
    assert_eq!(by_kind, [("gift_card", 0, 1000), ("visa", 2000, 0)]);
    let month = &due[1];
    assert_eq!(
        (month.kind, month.label.as_str(), month.number),
        (ClosingKind::Month, "2026-11", 1)
    );
    assert_eq!(month.period_total_cents, 6000);
    assert_eq!(month.perpetual_total_cents, 6000);
    assert_eq!(
        (month.first_seq, month.last_seq),
        (d1.first_seq, d2.last_seq)
    );
    assert_eq!(month.totals.sales_count, 2);
    // Day 3's sale, closed by the operator: only the day (December has not ended).
    let day3_sale = paid_sale(&till, 2000, &[], Some(VISA)).await;
    let made = till.close_day().unwrap();
    assert_eq!(made.len(), 1, "{made:#?}");

    // A closed period never changes: later entries leave every closing as it was.
    let before = till.ledger().closings().unwrap();
    refund_first_card(&till, &day3_sale, 500).await;
    // January: December and the fiscal year 2026 close at the first start.
    clock.advance(chrono::Duration::days(35));
    let due = till.close_due().unwrap();
    let after = till.ledger().closings().unwrap();
    assert_eq!(&after[..before.len()], &before[..]);
    let all: Vec<Closing> = after.into_iter().map(|(_, c)| c).collect();
    let days = kinds(&all, ClosingKind::Day);
    assert_eq!(days.len(), 4, "{due:#?}");
    let dec = kinds(&all, ClosingKind::Month)
        .into_iter()
        .find(|c| c.label == "2026-12")
        .expect("December closed");
    assert_eq!(dec.period_total_cents, 2000 - 500);
    let year = kinds(&all, ClosingKind::Year);
    assert_eq!(year.len(), 1);
    assert_eq!(year[0].label, "2026");
    // Perpetual totals are the sums over every day.
    let sum: i64 = days.iter().map(|d| d.period_total_cents).sum();
    let abs: i64 = days
        .iter()
        .map(|d| d.totals.payments_cents + d.totals.refunds_cents)
        .sum();
    let last = days.last().unwrap();
    assert_eq!(
        (
            last.perpetual_total_cents,
            last.perpetual_absolute_total_cents
        ),
        (sum, abs)
    );
    assert_eq!(year[0].period_total_cents, sum);
    assert_eq!(year[0].perpetual_total_cents, sum);
    assert_eq!(sum, 5000 - 1000 + 2000 + 2000 - 500);
    assert!(till.verify_ledger().unwrap().is_sound());
}

async fn binary_sale(cli: &Cli, amount: &str) -> String {
    let out = cli
        .run(&["checkout", "create", "--amount", amount, "--json"])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v = json_of(&out);
    pay(v["redirectUrl"].as_str().unwrap(), &[], Some(VISA)).await;
    let id = v["hostedCheckoutId"].as_str().unwrap().to_string();
    let out = cli.run(&["checkout", "status", &id, "--json"]).await;
    assert_eq!(json_of(&out)["status"], "paid", "{}", stderr_of(&out));
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_through_the_binary_gives_the_period_and_the_perpetual_totals() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &base);
    // The till's name, before anything: its code goes on every closing.
    let out = cli
        .run(&[
            "till",
            "init",
            "--code",
            "T02",
            "--shop",
            "Boutique Zoé",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let till = json_of(&out);
    assert_eq!(till["code"], "T02");
    let uuid = till["uuid"].as_str().unwrap().to_string();
    let out = cli.run(&["till", "init", "--code", "t-2"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    // The shop's name goes on documents one line long: a line break (a forged line) or a novel is refused.
    for shop in ["Boutique\nTOTAL 0,00", &"x".repeat(81)] {
        let out = cli
            .run(&["till", "init", "--code", "T02", "--shop", shop])
            .await;
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        assert!(stderr_of(&out).contains("Shop"), "{}", stderr_of(&out));
    }
    let first = binary_sale(&cli, "42,50").await;
    let out = cli.run(&["close", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let z1 = json_of(&out);
    assert_eq!(
        (
            z1["kind"].as_str(),
            z1["periodTotalCents"].as_i64(),
            z1["perpetualTotalCents"].as_i64()
        ),
        (Some("day"), Some(4250), Some(4250)),
        "{z1}"
    );
    assert!(
        z1["signature"].as_str().is_some_and(|s| s.len() == 128),
        "{z1}"
    );
    assert_eq!(z1["till"], "T02");
    // Its code is on a closing now: it cannot change; the shop can.
    let out = cli.run(&["till", "init", "--code", "T03"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("cannot change"),
        "{}",
        stderr_of(&out)
    );
    let out = cli
        .run(&[
            "till",
            "init",
            "--code",
            "T02",
            "--address",
            "1 rue de Paris",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(
        json_of(&out)["uuid"],
        uuid.as_str(),
        "the UUID never changes"
    );
    assert_eq!(json_of(&out)["shop"], "Boutique Zoé");
    assert!(z1["keyFingerprint"].is_string(), "{z1}");

    let status = json_of(&cli.run(&["checkout", "status", &first, "--json"]).await);
    let payment = status["tenders"][0]["paymentId"]
        .as_str()
        .unwrap()
        .to_string();
    let out = cli
        .run(&[
            "refund",
            "--payment-id",
            &payment,
            "--amount",
            "10,00",
            "--reason",
            "retour",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    binary_sale(&cli, "20,00").await;
    let z2 = json_of(&cli.run(&["close", "--json"]).await);
    assert_eq!(
        (
            z2["periodTotalCents"].as_i64(),
            z2["perpetualTotalCents"].as_i64(),
            z2["perpetualAbsoluteTotalCents"].as_i64(),
            z2["number"].as_i64(),
            z2["previous"].as_i64(),
        ),
        (Some(1000), Some(5250), Some(7250), Some(2), Some(1)),
        "{z2}"
    );
    let list = json_of(&cli.run(&["closings", "--kind", "day", "--json"]).await);
    let numbers: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c: &Value| c["number"].as_i64())
        .collect();
    assert_eq!(numbers, [1, 2]);
    let out = cli.run(&["closings", "--kind", "week"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("day, month or year"));
    let verify = cli.run(&["ledger", "verify"]).await;
    assert!(verify.status.success(), "{}", stderr_of(&verify));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_name_the_till_once() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &base);
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let c = cli.clone();
            tokio::spawn(async move { c.run(&["till", "show", "--json"]).await })
        })
        .collect();
    let mut uuids = Vec::new();
    for r in runs {
        let out = r.await.unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        uuids.push(json_of(&out)["uuid"].as_str().unwrap().to_string());
    }
    uuids.dedup();
    assert_eq!(uuids.len(), 1, "one UUID: {uuids:?}");
    let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
    let named = ledger
        .entries(1, 1000)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "till_identified")
        .count();
    assert_eq!(named, 1);
    assert!(ledger.verify().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tills_starting_together_on_a_later_day_close_the_open_day_once() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let clock = test_clock();
    let till = till_on_clock(dir.path(), &base, &clock, None);
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    clock.advance(chrono::Duration::days(1));
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let d = dir.path().to_path_buf();
            let c = clock.clone();
            std::thread::Builder::new()
                .name("till-start".into())
                .spawn(move || {
                    let ledger = cadodesk::app::open_ledger(&d)
                        .unwrap()
                        .with_clock(c.shared());
                    cadodesk::till::Records::new(ledger, "ana")
                        .close_due()
                        .unwrap()
                })
                .unwrap()
        })
        .collect();
    let made: usize = starts
        .into_iter()
        .map(|t| {
            t.join()
                .unwrap()
                .iter()
                .filter(|c| c.kind == ClosingKind::Day)
                .count()
        })
        .sum();
    assert_eq!(
        made, 1,
        "one process closes the day, the others find it closed"
    );
    let days = till.closing_list(Some(ClosingKind::Day)).unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!(days[0].closing.period_total_cents, 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_made_after_midnight_keeps_each_day_and_each_month_whole() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let clock = test_clock();
    let at = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    // 23:30 in Paris on November 30th, then 00:10 on December 1st.
    clock.set(at("2026-11-30T22:30:00Z"));
    let till = till_on_clock(dir.path(), &base, &clock, None);
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    clock.set(at("2026-11-30T23:10:00Z"));
    paid_sale(&till, 3000, &[], Some(VISA)).await;
    // The operator closes at 00:30: November 30th is closed at its midnight, then December 1st so far, then November.
    clock.set(at("2026-11-30T23:30:00Z"));
    let made = till.close_day().unwrap();
    let seen: Vec<(ClosingKind, &str, i64)> = made
        .iter()
        .map(|c| (c.kind, c.label.as_str(), c.period_total_cents))
        .collect();
    assert_eq!(
        seen,
        [
            (ClosingKind::Day, "2026-11-30", 2000),
            (ClosingKind::Day, "2026-12-01", 3000),
            (ClosingKind::Month, "2026-11", 2000),
        ]
    );
    assert_eq!(
        made[0].to,
        at("2026-11-30T23:00:00Z"),
        "cut at Paris midnight"
    );
    assert_eq!(made[1].first_seq, made[0].last_seq + 1);
    assert_eq!(made[1].perpetual_total_cents, 5000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closing_edited_in_the_file_never_carries_its_totals_into_the_next() {
    let sb = sandbox(0).await;
    let base = sb.base_url();
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &base, "ana");
    paid_sale(&till, 2000, &[], Some(VISA)).await;
    let z = till.close_day().unwrap();
    assert_eq!(z[0].perpetual_total_cents, 2000);
    // The perpetual total of the closing lowered in the file, the journal's guard put back.
    let conn = rusqlite::Connection::open(dir.path().join(cadodesk::ledger::LEDGER_FILE)).unwrap();
    let guard: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'journal_no_update'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute_batch(&format!(
        "DROP TRIGGER journal_no_update;
         UPDATE journal SET payload = replace(payload, '\"perpetual_total_cents\":2000',
                                              '\"perpetual_total_cents\":20')
          WHERE kind = 'closing_made';
         {guard};"
    ))
    .unwrap();
    drop(conn);
    let e = till.close_day().unwrap_err();
    assert!(
        matches!(
            e,
            cadodesk::till::TillError::Ledger(cadodesk::ledger::LedgerError::ClosingAltered { .. })
        ),
        "{e:?}"
    );
    assert!(!till.verify_ledger().unwrap().is_sound());
}
