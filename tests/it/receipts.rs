//! Receipts and refund notes: printed on a network ESC/POS printer (a TCP listener here, its bytes decoded by a
//! small decoder written from the ESC/POS commands, not from the code that writes them), and as PDFs.
//!
//! With `CADODESK_PDF_FIXTURES=DIR` the PDFs are also written to DIR with the rows each must show, for the
//! independent reader (`scripts/pdf-test.sh`: poppler's `pdftotext` and `pdftoppm`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::io::Read;
use std::net::TcpListener;
use std::sync::mpsc;

use cadodesk::i18n::Lang;
use cadodesk::ledger::Event;
use cadodesk::paper::{PdfLayout, ReceiptLine, receipt_pdf_rows};
use cadodesk::till::{
    PrinterAddress, ReceiptError, ReceiptFormat, ReceiptTarget, RefundCommand, Till,
};

use crate::support::binary::{Cli, stderr_of};
use crate::support::till::*;
use crate::z_report::holds;

/// What an ESC/POS byte stream asks of the printer, decoded.
#[derive(Debug, Default)]
struct Decoded {
    /// `ESC @` seen, and where (0: first).
    init_at: Option<usize>,
    /// `ESC t n`.
    code_page: Option<u8>,
    /// The printed lines, PC858 read back to Unicode.
    lines: Vec<String>,
    /// The QR codes stored (`GS ( k` cn 49 fn 80) and printed (fn 81).
    qr_stored: Vec<String>,
    qr_printed: usize,
    /// `GS V` seen as the last command.
    cut_last: bool,
}

/// PC858's upper half, for the letters a French receipt uses (the rest is refused: the test names the byte).
fn pc858(b: u8) -> char {
    match b {
        0x20..=0x7e => char::from(b),
        0x80 => 'Ç',
        0x81 => 'ü',
        0x82 => 'é',
        0x83 => 'â',
        0x85 => 'à',
        0x87 => 'ç',
        0x88 => 'ê',
        0x89 => 'ë',
        0x8a => 'è',
        0x8b => 'ï',
        0x8c => 'î',
        0x90 => 'É',
        0x93 => 'ô',
        0x96 => 'û',
        0x97 => 'ù',
        0xb7 => 'À',
        0xd2 => 'Ê',
        0xd4 => 'È',
        0xd5 => '€',
        0xe2 => 'Ô',
        0xf8 => '°',
        0xff => '\u{a0}',
        other => panic!("byte {other:#04x} is not a letter a French receipt uses in PC858"),
    }
}

fn decode(bytes: &[u8]) -> Decoded {
    let mut d = Decoded::default();
    let mut line = String::new();
    let mut i = 0;
    let mut last_command_was_cut = false;
    while i < bytes.len() {
        last_command_was_cut = false;
        match bytes[i] {
            0x1b => {
                let cmd = bytes[i + 1];
                match cmd {
                    b'@' => {
                        d.init_at.get_or_insert(i);
                        i += 2;
                    }
                    b't' => {
                        d.code_page = Some(bytes[i + 2]);
                        i += 3;
                    }
                    b'E' | b'a' => i += 3,
                    b'd' => {
                        d.lines.push(std::mem::take(&mut line));
                        for _ in 1..bytes[i + 2] {
                            d.lines.push(String::new());
                        }
                        i += 3;
                    }
                    other => panic!("unknown ESC {other:#04x} at {i}"),
                }
            }
            0x1d => match bytes[i + 1] {
                b'(' if bytes[i + 2] == b'k' => {
                    let len = usize::from(bytes[i + 3]) + 256 * usize::from(bytes[i + 4]);
                    let body = &bytes[i + 5..i + 5 + len];
                    assert_eq!(body[0], 49, "cn 49: a QR code");
                    match body[1] {
                        80 => d
                            .qr_stored
                            .push(String::from_utf8(body[3..].to_vec()).unwrap()),
                        81 => d.qr_printed += 1,
                        65 | 67 | 69 => {} // model, module size, correction level
                        f => panic!("QR function {f}"),
                    }
                    i += 5 + len;
                }
                b'V' => {
                    // GS V m (0, 1, 48, 49) or GS V m n (65, 66).
                    let m = bytes[i + 2];
                    i += if m >= 65 { 4 } else { 3 };
                    last_command_was_cut = true;
                }
                other => panic!("unknown GS {other:#04x} at {i}"),
            },
            0x0a => {
                d.lines.push(std::mem::take(&mut line));
                i += 1;
            }
            b => {
                line.push(pc858(b));
                i += 1;
            }
        }
    }
    d.cut_last = last_command_was_cut;
    d
}

/// A fake network printer: accepts `jobs` connections and hands over what each sent.
fn fake_printer(jobs: usize) -> (PrinterAddress, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("fake-printer".into())
        .spawn(move || {
            for _ in 0..jobs {
                let (mut conn, _) = listener.accept().unwrap();
                let mut job = Vec::new();
                conn.read_to_end(&mut job).unwrap();
                tx.send(job).unwrap();
            }
        })
        .unwrap();
    (
        PrinterAddress::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        rx,
    )
}

/// A shop that sold 400 € (three gift cards, 320 €, and 80 € on a Visa), then refunded 100 € of it as one order
/// refund, split by the till over the Visa (80 €) and the last gift card (20 €). The sale and the refunds' numbers.
async fn a_sale_and_an_order_refund(till: &Till) -> (String, Vec<i64>) {
    till.till_init(
        "T01",
        Some("Boutique Zoé"),
        Some("12 rue de l'Église, 75011 Paris"),
    )
    .unwrap();
    let id = paid_sale(till, 40_000, &[CADO_20, CADO_50, CADO_250], Some(VISA)).await;
    let mut numbers = Vec::new();
    for (payment_id, amount) in till.allocate(&id, eur(10_000)).unwrap() {
        let r = till
            .refund(RefundCommand {
                payment_id,
                amount,
                reason: "article retourné".into(),
            })
            .await
            .unwrap();
        numbers.push(r.number);
    }
    (id, numbers)
}

fn prints(till: &Till) -> Vec<(i64, Event)> {
    till.ledger()
        .entries(1, 10_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "receipt_printed")
        .map(|e| (e.seq, e.event().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_note_on_a_network_printer_then_its_duplicate_both_journaled() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "caisse");
    let (id, numbers) = a_sale_and_an_order_refund(&till).await;
    assert_eq!(numbers.len(), 2, "one refund per card");
    let sale_day = till
        .checkout(&id)
        .unwrap()
        .unwrap()
        .created_at
        .with_timezone(&chrono_tz::Europe::Paris)
        .format("%d/%m/%Y")
        .to_string();

    let (printer, jobs) = fake_printer(2);
    let note = ReceiptTarget::Refund(numbers[1]);
    let (first, _) = till
        .print_receipt(&note, false, &printer, Lang::Fr)
        .unwrap();
    let d = decode(&jobs.recv().unwrap());
    assert_eq!(d.init_at, Some(0), "ESC @ first");
    assert_eq!(d.code_page, Some(19), "ESC t 19: PC858");
    let text = d.lines.join("\n");
    // Words as printed, a wrapped line read on: spaces folded.
    let flat = d
        .lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    let has = |want: &str| flat.contains(want);
    for want in [
        "Boutique Zoé",
        "Caisse T01",
        "NOTE DE REMBOURSEMENT n° T01-R000001",
        &format!("Ce ticket modifie le ticket n° T01-V000001 du {sale_day}"),
        "Motif : article retourné",
        "-80,00 €",
        "remboursement n° 1",
        "-20,00 €",
        "remboursement n° 2",
        "Total remboursé",
        "100,00 €",
        "Reste remboursable sur la vente",
        "300,00 €",
    ] {
        assert!(has(want), "the note prints {want:?}:\n{text}");
    }
    assert!(!has("DUPLICATA"), "{text}");
    // A QR code, stored and printed, holding nothing secret.
    assert_eq!(d.qr_stored.len(), 1);
    assert_eq!(d.qr_printed, 1);
    let qr = &d.qr_stored[0];
    assert!(qr.contains("T01-R000001") && qr.contains("100.00"), "{qr}");
    assert!(
        !qr.contains("4012") && !qr.contains("6299") && !qr.contains("http"),
        "{qr}"
    );
    assert!(d.cut_last, "GS V: the paper is cut last");
    assert_eq!(first.receipt.copy, 0);

    // The note as a whole, whichever of its refunds is named: a second original is refused.
    let again = till
        .print_receipt(
            &ReceiptTarget::Refund(numbers[0]),
            false,
            &printer,
            Lang::Fr,
        )
        .unwrap_err();
    assert!(
        matches!(&again, ReceiptError::AlreadyPrinted { document, .. } if document == "T01-R000001"),
        "{again}"
    );
    assert!(again.to_string().contains("--duplicate"), "{again}");

    let (copy, _) = till.print_receipt(&note, true, &printer, Lang::Fr).unwrap();
    let d2 = decode(&jobs.recv().unwrap());
    assert!(
        d2.lines.iter().any(|l| l.trim() == "DUPLICATA 1"),
        "{:#?}",
        d2.lines
    );
    assert!(d2.lines.iter().any(|l| l.contains("-80,00 €")));
    assert_eq!(copy.receipt.copy, 1);

    // Both prints are journal entries: the copy's number, the first print's entry, the ticket it modifies.
    let p = prints(&till);
    assert_eq!(p.len(), 2, "{p:#?}");
    let Event::ReceiptPrinted {
        document,
        receipt_kind,
        refunds,
        modifies,
        copy,
        original_seq,
        format,
        to,
        ..
    } = &p[1].1
    else {
        panic!("{p:#?}")
    };
    assert_eq!(
        (document.as_str(), receipt_kind.as_str(), copy, original_seq),
        ("T01-R000001", "refund", &1, &Some(p[0].0))
    );
    assert_eq!(refunds, &numbers);
    assert_eq!(modifies.as_deref(), Some("T01-V000001"));
    assert_eq!(
        (format.as_str(), to.as_str()),
        ("escpos", printer.to_string().as_str())
    );
    assert!(matches!(
        &p[0].1,
        Event::ReceiptPrinted {
            copy: 0,
            original_seq: None,
            ..
        }
    ));

    // A printer that is not there: the error names it, and nothing is journaled.
    drop(jobs);
    let gone = PrinterAddress::parse("tcp://127.0.0.1:9").unwrap();
    let e = till
        .print_receipt(&note, true, &gone, Lang::Fr)
        .unwrap_err();
    assert!(e.to_string().contains("printer tcp://127.0.0.1:9"), "{e}");
    assert_eq!(prints(&till).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_pdfs_of_a_three_gift_card_sale_and_a_two_card_refund() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "caisse");
    let (id, numbers) = a_sale_and_an_order_refund(&till).await;
    let reference = till.checkout(&id).unwrap().unwrap().merchant_reference;

    let mut files = Vec::new();
    for (name, target, format, layout) in [
        (
            "receipt-sale-ticket",
            ReceiptTarget::Sale(reference.clone()),
            ReceiptFormat::Pdf,
            PdfLayout::Ticket,
        ),
        (
            "receipt-refund-ticket",
            ReceiptTarget::Refund(numbers[0]),
            ReceiptFormat::Pdf,
            PdfLayout::Ticket,
        ),
        (
            "receipt-sale-a4",
            ReceiptTarget::Sale(reference.clone()),
            ReceiptFormat::PdfA4,
            PdfLayout::A4,
        ),
    ] {
        let duplicate = name.ends_with("a4");
        let p = till
            .prepare_receipt(&target, duplicate, format, Lang::Fr)
            .unwrap();
        assert!(p.bytes.starts_with(b"%PDF-"));
        till.receipt_handed_out(&p, "file").unwrap();
        let rows: Vec<String> = receipt_pdf_rows(&p.receipt, layout)
            .iter()
            .map(ReceiptLine::text)
            .filter(|t| !t.trim().is_empty())
            .collect();
        files.push((name, p.bytes, rows));
    }
    let rows_of = |name: &str| &files.iter().find(|f| f.0 == name).unwrap().2;
    let sale = rows_of("receipt-sale-ticket").join("\n");
    for want in [
        "TICKET n° T01-V000001",
        "Total TTC 400,00\u{a0}€",
        "Carte cadeau 1 Bimpli CADO",
        "Carte cadeau 2 Bimpli CADO",
        "Carte cadeau 3 Bimpli CADO",
        "80,00\u{a0}€",
    ] {
        assert!(sale.contains(want), "{want:?} in\n{sale}");
    }
    assert!(
        sale.contains("Visa ") && !sale.contains(VISA),
        "masked, never whole:\n{sale}"
    );
    let refund = rows_of("receipt-refund-ticket").join("\n");
    assert!(
        refund.contains("Ce ticket modifie le ticket n°"),
        "{refund}"
    );
    assert!(
        refund.contains("-80,00\u{a0}€") && refund.contains("-20,00\u{a0}€"),
        "{refund}"
    );
    assert!(
        rows_of("receipt-sale-a4")
            .iter()
            .any(|r| r == "DUPLICATA 1")
    );
    for (name, pdf, rows) in &files {
        for row in rows {
            assert!(holds(pdf, row.split(' ').next().unwrap()), "{name}: {row}");
        }
    }

    if let Some(out) = std::env::var_os("CADODESK_PDF_FIXTURES") {
        let out = std::path::PathBuf::from(out);
        std::fs::create_dir_all(&out).unwrap();
        for (name, pdf, rows) in &files {
            std::fs::write(out.join(format!("{name}.pdf")), pdf).unwrap();
            std::fs::write(out.join(format!("{name}.expected.txt")), rows.join("\n")).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipt_through_the_binary_to_a_file_then_on_the_chosen_printer_with_a_test_page() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "caisse");
    let (id, numbers) = a_sale_and_an_order_refund(&till).await;
    let reference = till.checkout(&id).unwrap().unwrap().merchant_reference;
    drop(till);
    let out = dir.path().join("ticket.bin");
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    let ok = cli
        .run(&[
            "receipt",
            "sale",
            &reference,
            "--format",
            "escpos",
            "-o",
            out.to_str().unwrap(),
        ])
        .await;
    assert!(ok.status.success(), "{}", stderr_of(&ok));
    let d = decode(&std::fs::read(&out).unwrap());
    assert!(
        d.lines.iter().any(|l| l.contains("TICKET n° T01-V000001")),
        "{:#?}",
        d.lines
    );
    let again = cli
        .run(&[
            "receipt",
            "sale",
            &reference,
            "-o",
            dir.path().join("again.pdf").to_str().unwrap(),
        ])
        .await;
    assert_eq!(again.status.code(), Some(1), "{}", stderr_of(&again));
    assert!(
        stderr_of(&again).contains("--duplicate"),
        "{}",
        stderr_of(&again)
    );
    let copy = cli
        .run(&[
            "receipt",
            "sale",
            &reference,
            "--duplicate",
            "--format",
            "pdf-a4",
            "-o",
            dir.path().join("copy.pdf").to_str().unwrap(),
        ])
        .await;
    assert!(copy.status.success(), "{}", stderr_of(&copy));
    assert!(holds(
        &std::fs::read(dir.path().join("copy.pdf")).unwrap(),
        "DUPLICATA 1"
    ));

    // The receipt printer chosen once (a journaled setting), tried with a test page, then used without --printer.
    let (printer, jobs) = fake_printer(2);
    let none = cli.run(&["receipt", "refund", "1"]).await;
    assert_eq!(none.status.code(), Some(1), "{}", stderr_of(&none));
    assert!(
        stderr_of(&none).contains("receipt printer"),
        "{}",
        stderr_of(&none)
    );
    let bad = cli.run(&["receipt", "printer", "192.168.1.50"]).await;
    assert_eq!(bad.status.code(), Some(1), "{}", stderr_of(&bad));
    assert!(
        stderr_of(&bad).contains("tcp://HOST:PORT"),
        "{}",
        stderr_of(&bad)
    );
    let chosen = cli.run(&["receipt", "printer", &printer.to_string()]).await;
    assert!(chosen.status.success(), "{}", stderr_of(&chosen));
    let test = cli.run(&["receipt", "test-page"]).await;
    assert!(test.status.success(), "{}", stderr_of(&test));
    let page = decode(&jobs.recv().unwrap());
    assert!(
        page.lines.iter().any(|l| l.contains("PAGE DE TEST")),
        "{:#?}",
        page.lines
    );
    assert!(
        page.lines.iter().any(|l| l.contains("1 234,50 €")),
        "{:#?}",
        page.lines
    );
    assert!(page.cut_last);
    let note = cli
        .run(&["receipt", "refund", &numbers[0].to_string(), "--json"])
        .await;
    assert!(note.status.success(), "{}", stderr_of(&note));
    let printed = decode(&jobs.recv().unwrap());
    assert!(
        printed
            .lines
            .iter()
            .any(|l| l.contains("NOTE DE REMBOURSEMENT")),
        "{:#?}",
        printed.lines
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_note_on_the_customers_phone_is_served_by_the_sandbox_and_journaled() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let till = till(dir.path(), &sb.base_url(), "caisse");
    let (_, numbers) = a_sale_and_an_order_refund(&till).await;
    let note = ReceiptTarget::Refund(numbers[0]);
    let url = cadodesk::app::receipt_phone::publish(&till, &sb.base_url(), &note, false, Lang::Fr)
        .await
        .unwrap();
    assert!(
        url.starts_with(&format!("{}/receipts/", sb.base_url())),
        "{url}"
    );

    // The phone opens the page: the note's words, its PDF, nothing secret.
    let page = reqwest::get(&url).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for want in [
        "NOTE DE REMBOURSEMENT n° T01-R000001",
        "Ce ticket modifie le ticket n° T01-V000001",
        "-80,00\u{a0}€",
        "Télécharger le PDF",
    ] {
        assert!(html.contains(want), "{want:?} in {html}");
    }
    assert!(!html.contains(VISA) && !html.contains(CADO_250), "{html}");
    let pdf = reqwest::get(format!("{url}/pdf")).await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let unknown = reqwest::get(format!("{}/receipts/{}", sb.base_url(), "0".repeat(32)))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    // Handed out, so journaled; the second time is a duplicate.
    let p = prints(&till);
    assert!(
        matches!(&p[..], [(_, Event::ReceiptPrinted { to, copy: 0, .. })] if to == "phone"),
        "{p:#?}"
    );
    let again =
        cadodesk::app::receipt_phone::publish(&till, &sb.base_url(), &note, false, Lang::Fr)
            .await
            .unwrap_err();
    assert!(again.to_string().contains("--duplicate"), "{again}");
    let copy = cadodesk::app::receipt_phone::publish(&till, &sb.base_url(), &note, true, Lang::Fr)
        .await
        .unwrap();
    let html = reqwest::get(&copy).await.unwrap().text().await.unwrap();
    assert!(html.contains("DUPLICATA 1"), "{html}");
}

#[test]
fn receipt_and_duplicata_from_the_sale_detail_and_the_note_offered_after_a_refund() {
    use crate::ui::{
        click, harness, open_sale_detail, paid_sale, retype, type_into, wait_for, wait_ready,
    };
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let sale = paid_sale(&mut h, "95,00 €");
    open_sale_detail(&mut h, &sale.reference);
    // No receipt printer chosen: the PDF goes to the data directory's `recus` folder.
    click(&mut h, "Reçu");
    let first = dir.path().join("recus").join("T01-V000001.pdf");
    // The screen says where it went once the print is journaled (after the file is written).
    wait_for(&mut h, "the receipt handed out", |h| {
        h.query_by_label_contains("Remis : T01-V000001").is_some()
    });
    assert!(first.exists());
    let bytes = std::fs::read(&first).unwrap();
    assert!(holds(&bytes, "TICKET n° T01-V000001"));
    assert!(holds(&bytes, "95,00\u{a0}€"));
    click(&mut h, "Duplicata");
    let copy = dir.path().join("recus").join("T01-V000001-duplicata-1.pdf");
    // The screen's word, not only the file (written before the print is journaled and said): nothing moves under
    // the next click.
    wait_for(&mut h, "the duplicate said on screen", |h| {
        copy.exists() && h.query_by_label_contains("(DUPLICATA 1)").is_some()
    });
    assert!(holds(&std::fs::read(&copy).unwrap(), "DUPLICATA 1"));

    // A refund offers its note at once.
    h.get_all_by_label("Rembourser").next().unwrap().click();
    h.run_steps(3);
    retype(&mut h, "Montant à rembourser", "10,00");
    click(&mut h, "Motif");
    click(&mut h, "Retour d'article");
    type_into(&mut h, "Précision", "taille");
    click(&mut h, "Continuer");
    click(&mut h, "Confirmer le remboursement");
    wait_for(&mut h, "the refund to be recorded", |h| {
        h.query_by_label_contains("Note de remboursement").is_some()
    });
    click(&mut h, "Note de remboursement");
    let note = dir.path().join("recus").join("T01-R000001.pdf");
    wait_for(&mut h, "the refund note's PDF", |_| note.exists());
    let bytes = std::fs::read(&note).unwrap();
    assert!(holds(&bytes, "Ce ticket modifie le ticket n"));
    assert!(holds(&bytes, "-10,00\u{a0}€"));
}

/// Réglages: the receipt printer chosen (a journaled setting) and "Imprimer une page de test", on a network printer
/// played by a TCP listener: the page arrives, initialised and cut.
#[test]
fn the_receipt_printer_is_chosen_in_reglages_and_prints_a_test_page() {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let printed = std::thread::Builder::new()
        .name("fake-printer".into())
        .spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut bytes = Vec::new();
            s.read_to_end(&mut bytes).unwrap();
            bytes
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut h = crate::ui::harness(dir.path());
    crate::ui::wait_ready(&mut h);
    crate::ui::click(&mut h, "Réglages");
    h.run_steps(3);
    h.state_mut().settings_panel.printer.address = format!("tcp://127.0.0.1:{port}");
    crate::ui::click(&mut h, "Choisir cette imprimante");
    crate::ui::wait_for(&mut h, "the printer chosen", |h| {
        h.state().settings_panel.printer.said().is_some()
    });
    crate::ui::click(&mut h, "Imprimer une page de test");
    crate::ui::wait_for(&mut h, "the test page printed", |h| {
        h.state()
            .settings_panel
            .printer
            .said()
            .is_some_and(|s| s.starts_with("Page de test"))
            || h.state().settings_panel.printer.error().is_some()
    });
    assert!(h.state().settings_panel.printer.error().is_none());
    let bytes = printed.join().unwrap();
    assert!(bytes.starts_with(&[0x1b, 0x40]), "initialised first");
    assert!(bytes.windows(2).any(|w| w == [0x1d, 0x56]), "cut");
    let ledger = cadodesk::ledger::Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    assert!(
        ledger
            .entries(1, 10_000)
            .unwrap()
            .iter()
            .any(|e| e.kind == "setting_changed" && e.payload.contains("receipt_printer")),
        "the choice is journaled"
    );
}

/// On the counter, a paid sale's receipt goes to the customer's phone: a QR code for a page the embedded sandbox
/// serves, journaled like a print.
#[test]
fn a_paid_sale_s_receipt_goes_to_the_customer_s_phone_from_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = crate::ui::harness(dir.path());
    crate::ui::wait_ready(&mut h);
    let sale = crate::ui::paid_sale(&mut h, "87,50 €");
    crate::ui::click(&mut h, "Caisse");
    crate::ui::click(&mut h, "Reçu sur le téléphone du client");
    crate::ui::wait_for(&mut h, "the phone's QR code", |h| {
        h.state().cashier.phone_receipt().is_some()
    });
    let url = h.state().cashier.phone_receipt().unwrap().to_string();
    let page = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() });
    assert!(page.contains("87,50"), "{page}");
    let ledger = cadodesk::ledger::Ledger::open(&dir.path().join("ledger.sqlite3")).unwrap();
    assert!(
        ledger
            .entries(1, 10_000)
            .unwrap()
            .iter()
            .any(|e| e.kind == "receipt_printed" && e.payload.contains("phone")),
        "journaled as handed out to the phone ({})",
        sale.reference
    );
}
