//! The accountant's files say one thing per column: the refund export's columns are the refund's, the sale's
//! (`vente_`) or the card's (`carte_`), with what the card itself paid; the sales export has a line per card.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

fn read_fr(path: &std::path::Path) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let head = r.headers().unwrap().clone();
    (head, r.records().map(Result::unwrap).collect())
}

fn col(head: &csv::StringRecord, name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {head:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_refund_export_mixes_no_levels_and_the_sales_export_has_a_line_per_card() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    cli.no_pin_needed().await;
    let made = json_of(
        &cli.run(&["checkout", "create", "--amount", "87,50", "--json"])
            .await,
    );
    pay(
        made["redirectUrl"].as_str().unwrap(),
        &[CADO_20, CADO_50],
        Some(VISA),
    )
    .await;
    let id = made["hostedCheckoutId"].as_str().unwrap();
    let seen = json_of(&cli.run(&["checkout", "status", id, "--json"]).await);
    let tenders = seen["tenders"].as_array().unwrap().clone();
    assert_eq!(tenders.len(), 3, "{seen}");
    let card = tenders[1]["paymentId"].as_str().unwrap();
    let out = cli
        .run(&[
            "refund",
            "--payment-id",
            card,
            "--amount",
            "5,00",
            "--reason",
            "retour",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let (from, to) = (
        today.pred_opt().unwrap().to_string(),
        today.succ_opt().unwrap().to_string(),
    );

    let refunds = dir.path().join("remboursements.csv");
    let out = cli
        .run(&[
            "export",
            "refunds",
            "--from",
            &from,
            "--to",
            &to,
            "-o",
            refunds.to_str().unwrap(),
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (head, rows) = read_fr(&refunds);
    for gone in [
        "moyen",
        "montant",
        "montant_vente",
        "deja_rembourse",
        "reste_remboursable",
    ] {
        assert!(
            !head.iter().any(|h| h == gone),
            "{gone} mixed levels: {head:?}"
        );
    }
    let r = &rows[0];
    assert_eq!(&r[col(&head, "montant_rembourse")], "5,00");
    assert_eq!(&r[col(&head, "vente_montant")], "87,50");
    assert_eq!(&r[col(&head, "carte_type")], "Bimpli CADO");
    assert_eq!(&r[col(&head, "carte_rang")], "2");
    assert_eq!(
        &r[col(&head, "carte_montant_paye")],
        "50,00",
        "what the card itself paid"
    );
    assert_eq!(&r[col(&head, "carte_deja_rembourse")], "0,00");
    assert_eq!(&r[col(&head, "carte_reste_remboursable")], "45,00");

    let sales = dir.path().join("ventes.csv");
    let done = json_of(
        &cli.run(&[
            "export",
            "sales",
            "--from",
            &from,
            "--to",
            &to,
            "-o",
            sales.to_str().unwrap(),
            "--json",
        ])
        .await,
    );
    assert_eq!(
        (
            done["rows"].as_i64(),
            done["paid"].as_i64(),
            done["refunded"].as_i64()
        ),
        (Some(3), Some(8750), Some(500))
    );
    let (head, rows) = read_fr(&sales);
    assert_eq!(rows.len(), 3, "one line per card");
    let kinds: Vec<&str> = rows.iter().map(|r| &r[col(&head, "carte_type")]).collect();
    assert_eq!(kinds, ["Bimpli CADO", "Bimpli CADO", "Visa"]);
    let paid: Vec<&str> = rows
        .iter()
        .map(|r| &r[col(&head, "carte_montant_paye")])
        .collect();
    assert_eq!(paid, ["20,00", "50,00", "17,50"]);
    assert_eq!(&rows[1][col(&head, "carte_rembourse")], "5,00");
    assert_eq!(&rows[1][col(&head, "carte_reste_remboursable")], "45,00");
    assert!(
        rows.iter()
            .all(|r| &r[col(&head, "vente_montant")] == "87,50")
    );
    assert!(
        rows[2][col(&head, "carte_numero")].contains("****"),
        "{:?}",
        rows[2]
    );
    // Journaled like every export.
    let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
    let entries = ledger.entries(1, 10_000).unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.kind == "export_made" && e.payload.contains("\"what\":\"sales\""))
    );
}
