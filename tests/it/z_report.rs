//! The Z report: a closing on one A4 page, as a PDF, with the shop, the till, the totals and what proves them.
//!
//! With `CADODESK_PDF_FIXTURES=DIR` the reports are also written to DIR with the lines each must show, for the
//! independent reader (`scripts/pdf-test.sh`: poppler's `pdftotext` and `pdftoppm`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::closing::ClosingKind;
use cadodesk::i18n::Lang;
use cadodesk::paper::pdf::winansi;
use cadodesk::paper::{ZReport, z_report_lines};

use crate::archive::a_year_of_closings;
use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// Whether the PDF draws `text`: its content streams show text as WinAnsi bytes, in a literal string when plain
/// ASCII and in hex otherwise.
pub(crate) fn holds(pdf: &[u8], text: &str) -> bool {
    let bytes = winansi(text);
    let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
    let found = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    found(&bytes) || found(hex.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_z_report_shows_the_till_the_totals_and_the_seal() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = a_year_of_closings(dir.path(), &sb.base_url()).await;
    till.till_init(
        "T01",
        Some("Boutique Zoé"),
        Some("12 rue de l'Église, 75011 Paris"),
    )
    .unwrap();

    // Day 2 (30 November): a 10 € refund of a gift card, a 20 € Visa sale.
    let (row, pdf) = till.z_report(ClosingKind::Day, Some(2), Lang::Fr).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let c = &row.closing;
    assert_eq!(
        (c.number, c.period_total_cents, c.perpetual_total_cents),
        (2, 1000, 6000)
    );
    let lines = z_report_lines(&ZReport {
        closing: c,
        seq: row.seq,
        signature: row.signature.as_deref(),
        key_id: row.key_id.as_deref(),
        shop: Some("Boutique Zoé"),
        address: Some("12 rue de l'Église, 75011 Paris"),
        lang: Lang::Fr,
        printed_at: chrono::Utc::now(),
    });
    let text: Vec<String> = lines
        .iter()
        .map(|l| {
            [Some(l.left.clone()), l.middle.clone(), l.right.clone()]
                .into_iter()
                .flatten()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let shows = |want: &str| text.iter().any(|l| l.contains(want));
    for want in [
        "Clôture journalière n° 2",
        "Boutique Zoé",
        "Caisse T01",
        "Période 2026-11-30",
        "Encaissé Remboursé",
        "Bimpli CADO 0,00\u{a0}€ 10,00\u{a0}€",
        "Visa 20,00\u{a0}€ 0,00\u{a0}€",
        "Total de la période (net) 10,00\u{a0}€",
        "Grand total perpétuel (net, depuis l'ouverture) 60,00\u{a0}€",
        "absolu (encaissements + remboursements) 80,00\u{a0}€",
        &c.head_hash,
        row.key_id.as_deref().unwrap(),
    ] {
        assert!(shows(want), "the report shows {want:?}: {text:#?}");
    }
    // The PDF draws those words (the standard fonts' encoding: é, € and all).
    for want in [
        "Boutique Zo\u{e9}",
        "Bimpli CADO",
        "60,00\u{a0}€",
        c.head_hash.as_str(),
    ] {
        assert!(holds(&pdf, want), "the PDF holds {want:?}");
    }
    // In English, formatted the English way.
    let (_, en) = till.z_report(ClosingKind::Day, Some(2), Lang::En).unwrap();
    assert!(holds(&en, "Perpetual grand total"));
    assert!(holds(&en, "€60.00"));

    // A month and the year have theirs; a closing that does not exist is named.
    let (month, _) = till.z_report(ClosingKind::Month, None, Lang::Fr).unwrap();
    assert_eq!(month.closing.label, "2026-12");
    let missing = till
        .z_report(ClosingKind::Day, Some(99), Lang::Fr)
        .unwrap_err();
    assert!(missing.to_string().contains("n°99"), "{missing}");

    if let Some(out) = std::env::var_os("CADODESK_PDF_FIXTURES") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("z-day-2.pdf"), &pdf).unwrap();
        // The printing time is the till's clock, not this one: every other line.
        let expected: Vec<&String> = text.iter().filter(|l| !l.starts_with("Imprimé")).collect();
        let expected: Vec<&str> = expected.iter().map(|l| l.as_str()).collect();
        std::fs::write(out.join("z-day-2.expected.txt"), expected.join("\n")).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn z_report_through_the_binary_never_overwrites_a_file() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    cli.no_pin_needed().await;
    let none = cli.run(&["z-report", "-o", "z.pdf"]).await;
    assert_eq!(none.status.code(), Some(1), "{}", stderr_of(&none));
    assert!(
        stderr_of(&none).contains("no day closing"),
        "{}",
        stderr_of(&none)
    );
    let closed = cli.run(&["close", "--json"]).await;
    assert!(closed.status.success(), "{}", stderr_of(&closed));
    let target = dir.path().join("z.pdf");
    let t = target.to_str().unwrap();
    let made = cli.run(&["z-report", "-o", t, "--json"]).await;
    assert!(made.status.success(), "{}", stderr_of(&made));
    assert_eq!(json_of(&made)["number"], 1);
    // Numbers carry the till's code: two tills of one shop never print the same one.
    assert_eq!(json_of(&made)["documentNumber"], "T01-Z-0001");
    let before = std::fs::read(&target).unwrap();
    assert!(before.starts_with(b"%PDF-"));
    let again = cli.run(&["z-report", "-o", t]).await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr_of(&again));
    assert!(
        stderr_of(&again).contains("exists"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(std::fs::read(&target).unwrap(), before);
}
