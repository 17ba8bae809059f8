//! Two tills on one ledger file: two `cadodesk` processes, and two in-process tills (as two app windows would
//! hold), refunding and selling at the same moment. The journal stays sound, no refund is doubled, a tender is
//! never refunded beyond what it took, and writers on different tenders do not refuse each other.

use serde_json::{Value, json};

use crate::support::chaos::*;

async fn paid(cli: &Cli, cents: i64, gifts: &[&str], card: Option<&str>) -> Value {
    let amount = format!("{},{:02}", cents / 100, cents % 100);
    let out = cli
        .run(&["checkout", "create", "--amount", &amount, "--json"])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let created = json_of(&out);
    let id = created["hostedCheckoutId"]
        .as_str()
        .expect("id")
        .to_string();
    pay(created["redirectUrl"].as_str().expect("url"), gifts, card).await;
    let v = json_of(&cli.run(&["checkout", "status", &id, "--json"]).await);
    assert_eq!(v["status"], "paid", "{v}");
    v
}

fn platform_refunded(state: &Value, payment: &str) -> i64 {
    state["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .filter(|r| r["paymentId"] == payment && r["status"] != "REJECTED")
        .filter_map(|r| r["amount"].as_i64())
        .sum()
}

async fn ledger_sound(cli: &Cli) {
    let out = cli.run(&["ledger", "verify", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["sound"], true);
}

/// The ledger's refunded + pending on a tender, as `checkout status` reads it back.
async fn ledger_refunded(cli: &Cli, checkout: &str, payment: &str) -> i64 {
    let v = json_of(&cli.run(&["checkout", "status", checkout, "--json"]).await);
    v["tenders"]
        .as_array()
        .expect("tenders")
        .iter()
        .find(|t| t["paymentId"] == payment)
        .map(|t| t["refunded"].as_i64().unwrap_or(0) + t["pending"].as_i64().unwrap_or(0))
        .expect("tender")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_refund_processes_on_one_tender_never_exceed_what_is_left() {
    let sb = cadodesk::sandbox::start(cadodesk::sandbox::SandboxConfig {
        refund_delay_ms: 50,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = Cli::new(dir.path(), &base, SECRET);
    cli.no_pin_needed().await;
    let sale = paid(&cli, 10_000, &[], Some(VISA)).await;
    let checkout = sale["hostedCheckoutId"].as_str().expect("id").to_string();
    let visa = sale["tenders"][0]["paymentId"]
        .as_str()
        .expect("tender")
        .to_string();

    // Each round both processes ask for the same share of what is left, at once; some rounds the platform is slow.
    let mut left = 10_000i64;
    for (round, share, slow) in [
        (1, 60, false),
        (2, 60, true),
        (3, 30, false),
        (4, 100, true),
        (5, 100, false),
    ] {
        if left == 0 {
            break;
        }
        if slow {
            add_faults(
                &base,
                &json!({"operation": "refund", "latencyMs": 400, "count": 1}),
            )
            .await;
        }
        let cents = (left * share / 100).max(1);
        let amount = format!("{},{:02}", cents / 100, cents % 100);
        let args = [
            "refund",
            "--payment-id",
            &visa,
            "--amount",
            &amount,
            "--reason",
            "retour",
            "--json",
        ];
        let (a, b) = tokio::join!(cli.run(&args), cli.run(&args));
        clear_faults(&base).await;
        let ok = [&a, &b].iter().filter(|o| o.status.success()).count() as i64;
        for o in [&a, &b] {
            assert!(
                matches!(o.status.code(), Some(0 | 1)),
                "round {round}: {:?} {}",
                o.status,
                stderr_of(o)
            );
        }
        assert!(
            ok >= 1,
            "round {round}: one of the two goes through: {} / {}",
            stderr_of(&a),
            stderr_of(&b)
        );
        if cents * 2 > left {
            assert_eq!(ok, 1, "round {round}: both asked for {cents} of {left}");
        }
        left -= ok * cents;
        let state = platform_state(&base).await;
        assert_eq!(
            platform_refunded(&state, &visa),
            10_000 - left,
            "round {round}"
        );
        assert_eq!(
            ledger_refunded(&cli, &checkout, &visa).await,
            10_000 - left,
            "round {round}"
        );
        ledger_sound(&cli).await;
    }
    // Nothing left: both are refused.
    if left == 0 {
        let args = [
            "refund",
            "--payment-id",
            &visa,
            "--amount",
            "0,01",
            "--reason",
            "retour",
        ];
        let (a, b) = tokio::join!(cli.run(&args), cli.run(&args));
        assert_eq!((a.status.code(), b.status.code()), (Some(1), Some(1)));
    }
    assert!(platform_refunded(&platform_state(&base).await, &visa) <= 10_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_different_tenders_and_sales_do_not_refuse_each_other() {
    let sb = cadodesk::sandbox::start(cadodesk::sandbox::SandboxConfig {
        refund_delay_ms: 50,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = Cli::new(dir.path(), &base, SECRET);
    cli.no_pin_needed().await;
    let sale = paid(&cli, 6_000, &[CADO_50], Some(MASTERCARD)).await;
    let gift = sale["tenders"][0]["paymentId"]
        .as_str()
        .expect("gift")
        .to_string();
    let card = sale["tenders"][1]["paymentId"]
        .as_str()
        .expect("card")
        .to_string();
    for round in 0..3 {
        let a = [
            "refund",
            "--payment-id",
            &gift,
            "--amount",
            "5,00",
            "--reason",
            "retour",
            "--json",
        ];
        let b = [
            "refund",
            "--payment-id",
            &card,
            "--amount",
            "1,00",
            "--reason",
            "retour",
            "--json",
        ];
        let c = ["checkout", "create", "--amount", "12,00", "--json"];
        let (ra, rb, rc, rd) = tokio::join!(cli.run(&a), cli.run(&b), cli.run(&c), cli.run(&c));
        for (name, o) in [
            ("gift", &ra),
            ("card", &rb),
            ("sale 1", &rc),
            ("sale 2", &rd),
        ] {
            assert!(
                o.status.success(),
                "round {round}, {name}: {}",
                stderr_of(o)
            );
        }
        assert_ne!(
            json_of(&rc)["merchantReference"],
            json_of(&rd)["merchantReference"],
            "two sales at once get two references"
        );
    }
    let state = platform_state(&base).await;
    assert_eq!(platform_refunded(&state, &gift), 1_500);
    assert_eq!(platform_refunded(&state, &card), 300);
    ledger_sound(&cli).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_in_process_tills_and_a_process_on_one_ledger_never_double_a_refund() {
    let sb = cadodesk::sandbox::start(cadodesk::sandbox::SandboxConfig {
        refund_delay_ms: 50,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let base = sb.base_url();
    let dir = tempfile::tempdir().expect("tempdir");
    let cli = Cli::new(dir.path(), &base, SECRET);
    cli.no_pin_needed().await;
    let sale = paid(&cli, 2_000, &[CADO_20], None).await;
    let checkout = sale["hostedCheckoutId"].as_str().expect("id").to_string();
    let gift = sale["tenders"][0]["paymentId"]
        .as_str()
        .expect("gift")
        .to_string();

    let a = crate::support::till::till(dir.path(), &base, "caisse-1");
    let b = crate::support::till::till(dir.path(), &base, "caisse-2");
    let cmd = || cadodesk::till::RefundCommand {
        payment_id: gift.clone(),
        amount: crate::support::till::eur(150),
        reason: "retour".into(),
    };
    // 3 writers × 6 tries × 1,50 € on a 20 € tender: at most 13 can go through.
    let mut done = 0i64;
    for _ in 0..6 {
        let args = [
            "refund",
            "--payment-id",
            &gift,
            "--amount",
            "1,50",
            "--reason",
            "retour",
            "--json",
        ];
        let (ra, rb, rc) = tokio::join!(a.refund(cmd()), b.refund(cmd()), cli.run(&args));
        for v in [&ra, &rb].into_iter().flatten() {
            assert!(
                matches!(
                    v.state,
                    cadodesk::domain::RefundState::Pending
                        | cadodesk::domain::RefundState::Refunded
                ),
                "{v:?}"
            );
            done += 150;
        }
        if rc.status.success() {
            done += 150;
        } else {
            assert_eq!(rc.status.code(), Some(1), "{}", stderr_of(&rc));
        }
    }
    assert!(done <= 2_000 && done > 0, "{done}");
    let state = platform_state(&base).await;
    assert_eq!(
        platform_refunded(&state, &gift),
        done,
        "what the writers were told is what the platform did"
    );
    assert_eq!(ledger_refunded(&cli, &checkout, &gift).await, done);
    let mut keys: Vec<&str> = state["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .filter_map(|r| r["merchantReference"].as_str())
        .collect();
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n, "one platform refund per idempotence key");
    assert!(a.verify_ledger().expect("verify").is_sound());
    ledger_sound(&cli).await;
}
