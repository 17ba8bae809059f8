use chrono::{DateTime, TimeZone, Utc};

use super::*;
use crate::paper::escpos::{EURO_PC858, columns, pc858, printable, receipt_escpos};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, h, m, 0)
        .single()
        .unwrap_or_default()
}

fn eur(cents: i64) -> Amount {
    Amount::from_cents(cents).unwrap_or(Amount::ZERO)
}

fn tender(position: i64, kind: TenderKind, payment_id: &str, cents: i64) -> ReceiptTender {
    ReceiptTender {
        position,
        kind,
        payment_id: payment_id.into(),
        masked_number: (kind == TenderKind::Visa).then(|| "************1111".into()),
        paid: eur(cents),
    }
}

/// A sale of 1 095,00 € paid with three gift cards and a Visa.
pub(crate) fn sale() -> Receipt {
    Receipt {
        kind: ReceiptKind::Sale,
        document: "T01-V000042".into(),
        shop: Some("Boutique Zoé".into()),
        address: Some("12 rue de l'Église, 75011 Paris".into()),
        till: "T01".into(),
        at: at(14, 5),
        operator: "caisse".into(),
        reference: "CD-20261129-0001".into(),
        amount: eur(109_500),
        tenders: vec![
            tender(1, TenderKind::GiftCard, "4000001231_0", 2000),
            tender(2, TenderKind::GiftCard, "4000004562_0", 5000),
            tender(3, TenderKind::GiftCard, "4000007893_0", 25000),
            tender(4, TenderKind::Visa, "4000009994_0", 77500),
        ],
        refund: None,
        copy: 0,
        qr: Some("cadodesk T01-V000042".into()),
        lang: Lang::Fr,
    }
}

pub(crate) fn refund_note() -> Receipt {
    let s = sale();
    Receipt {
        kind: ReceiptKind::Refund,
        document: "T01-R000007".into(),
        at: at(16, 30),
        amount: eur(80_000),
        refund: Some(RefundPart {
            original_document: "T01-V000042".into(),
            original_at: s.at,
            refunds: vec![
                ReceiptRefund {
                    number: 7,
                    tender: s.tenders[3].clone(),
                    amount: eur(77_500),
                    state: RefundState::Pending,
                },
                ReceiptRefund {
                    number: 8,
                    tender: s.tenders[2].clone(),
                    amount: eur(2_500),
                    state: RefundState::Refunded,
                },
            ],
            reason: "retour".into(),
            still_refundable: eur(29_500),
        }),
        copy: 1,
        ..s
    }
}

fn texts(r: &Receipt) -> Vec<String> {
    receipt_lines(r).iter().map(ReceiptLine::text).collect()
}

#[test]
fn a_sale_receipt_names_the_shop_the_document_and_each_tender() {
    let t = texts(&sale());
    for want in [
        "Boutique Zoé",
        "Caisse T01",
        "TICKET n° T01-V000042",
        "Le 29/11/2026 15:05 (heure de Paris)",
        "Opérateur : caisse",
        "Vente : CD-20261129-0001",
        "Total TTC 1\u{202f}095,00\u{a0}€",
        "Carte cadeau 1 Bimpli CADO ...1231 20,00\u{a0}€",
        "Carte cadeau 3 Bimpli CADO ...7893 250,00\u{a0}€",
        "Visa ************1111 775,00\u{a0}€",
    ] {
        assert!(t.iter().any(|l| l.contains(want)), "{want:?} in {t:#?}");
    }
    assert!(!t.iter().any(|l| l.contains("DUPLICATA")), "{t:#?}");
}

#[test]
fn a_refund_note_says_which_ticket_it_modifies_and_what_is_left() {
    let t = texts(&refund_note());
    for want in [
        "NOTE DE REMBOURSEMENT n° T01-R000007",
        "DUPLICATA 1",
        "Ce ticket modifie le ticket n° T01-V000042 du 29/11/2026",
        "Motif : retour",
        "Visa ************1111 -775,00\u{a0}€",
        "remboursement n° 7, en attente",
        "Carte cadeau 3 Bimpli CADO ...7893 -25,00\u{a0}€",
        "Total remboursé 800,00\u{a0}€",
        "Reste remboursable sur la vente 295,00\u{a0}€",
    ] {
        assert!(t.iter().any(|l| l.contains(want)), "{want:?} in {t:#?}");
    }
}

#[test]
fn both_pdf_layouts_hold_the_words_and_a_qr_code() {
    for (layout, width) in [(PdfLayout::Ticket, "226.77"), (PdfLayout::A4, "595")] {
        let pdf = receipt_pdf(&refund_note(), layout, at(16, 31));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(DUPLICATA 1) Tj"), "{layout:?}");
        assert!(text.contains(" re\nf"), "{layout:?}: the QR code's squares");
        assert!(
            text.contains(&format!("/MediaBox [0 0 {width}")),
            "{layout:?}"
        );
    }
}

#[test]
fn escpos_initialises_picks_pc858_prints_the_euro_and_cuts() {
    let bytes = receipt_escpos(&refund_note()).unwrap_or_default();
    assert!(bytes.starts_with(b"\x1b@\x1bt\x13"), "{:?}", &bytes[..8]);
    assert!(bytes.ends_with(b"\x1dVA\x00"));
    assert!(bytes.windows(2).any(|w| w == [b',', b'0']));
    assert!(
        bytes
            .windows(4)
            .any(|w| w == [b'0', b'0', b' ', EURO_PC858])
    );
    // A QR code: store (cn 49, fn 80) and print (fn 81).
    assert!(bytes.windows(5).any(|w| w == b"\x1d(k\x03\x00"));
    // No UTF-8 reached the printer.
    assert!(!bytes.windows(2).any(|w| *w == "€".as_bytes()[..2]));
}

#[test]
fn lines_fit_the_ticket_with_the_figure_on_the_right() {
    let line = ReceiptLine {
        left: "Reste remboursable sur la vente".into(),
        right: Some("1\u{202f}295,00\u{a0}€".into()),
        style: Style::Plain,
    };
    let c = columns(&line);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].chars().count(), 42);
    assert!(c[0].ends_with(" 1 295,00 €"), "{c:?}");
    let long = ReceiptLine {
        left: "Ce ticket modifie le ticket n° T01-V000042 du 29/11/2026".into(),
        right: None,
        style: Style::Bold,
    };
    let c = columns(&long);
    assert!(
        c.len() == 2 && c.iter().all(|l| l.chars().count() <= 42),
        "{c:?}"
    );
    assert_eq!(printable("Zoé — 5 €…✓"), "Zoé - 5 €...?");
    // The published table: the hyphen stays ASCII, the euro sign is 0xD5, Ô 0xE2, ¿ 0xA8, the no-break space 0xFF.
    assert_eq!(pc858("-€Ô¿é°"), vec![b'-', 0xd5, 0xe2, 0xa8, 0x82, 0xf8]);
}

#[test]
fn long_lines_wrap_on_the_narrow_ticket_and_keep_every_word() {
    let r = refund_note();
    let rows = receipt_pdf_rows(&r, PdfLayout::Ticket);
    let a4 = receipt_pdf_rows(&r, PdfLayout::A4);
    assert!(
        rows.len() > a4.len(),
        "{} rows on the ticket, {} on A4",
        rows.len(),
        a4.len()
    );
    let words = |v: &[ReceiptLine]| {
        v.iter()
            .map(ReceiptLine::text)
            .collect::<Vec<_>>()
            .join(" ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(words(&rows), words(&a4));
    assert!(words(&rows).contains("Ce ticket modifie le ticket n° T01-V000042 du 29/11/2026"));
    let room = 80.0 * crate::paper::pdf::MM - 8.0 * crate::paper::pdf::MM;
    for row in &rows {
        let bold = matches!(row.style, Style::Title | Style::Bold);
        let size = if row.style == Style::Title { 9.0 } else { 7.5 };
        let w = crate::paper::pdf::text_width(&row.text(), size, bold);
        assert!(w <= room + 8.0, "{row:?}: {w} > {room}");
    }
}
