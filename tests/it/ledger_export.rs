//! The accountant's export: exact bytes of both profiles, and a French file read back by a CSV parser whose sums
//! equal the ledger's.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::Amount;
use cadodesk::domain::RefundState;
use cadodesk::ledger::export::{self, CsvFormat, CsvSink};
use cadodesk::ledger::{Event, Ledger, RefundExportRow, RefundRecord};
use chrono::{DateTime, TimeZone, Utc};

fn a(cents: i64) -> Amount {
    Amount::from_cents(cents).expect("amount")
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

fn row(
    number: i64,
    state: &str,
    amount: i64,
    reason: &str,
    product: i32,
    rank: i64,
    before: i64,
) -> RefundExportRow {
    RefundExportRow {
        refund: RefundRecord {
            idempotence_key: format!("k{number}").parse().expect("a key"),
            number,
            payment_id: "3000000001_0".parse().expect("an id"),
            hosted_checkout_id: "4000000001".parse().expect("an id"),
            refund_id: (state != "declined")
                .then(|| format!("3000000001_{number}").parse().expect("an id")),
            amount: a(amount),
            reason: reason.into(),
            state: state.parse().expect("a refund state"),
            platform_status: None,
            failure: None,
            external: number == 3,
            operator: "Zoé".into(),
            created_at: at("2026-11-26T16:05:09Z"),
            updated_at: at("2026-11-26T16:05:09Z"),
            final_at: (state == "refunded").then(|| at("2026-11-26T16:05:11Z")),
        },
        merchant_reference: "CD-20261126-0001".into(),
        sale_amount: a(12_345),
        product_id: product,
        tender_position: rank,
        gift_card_rank: rank,
        masked_number: Some("629900******0002".into()),
        tender_captured: a(5000),
        refunded_before: a(before),
    }
}

fn write(format: CsvFormat) -> String {
    let mut buf = Vec::new();
    let mut sink = CsvSink::new(format, &mut buf).expect("sink");
    sink.write_row(&row(1, "refunded", 1050, "article rendu", 3103, 2, 0))
        .expect("row");
    sink.write_row(&row(
        2,
        "declined",
        99,
        "=HYPERLINK(\"x\"); -2+3",
        1,
        1,
        1050,
    ))
    .expect("row");
    sink.write_row(&row(3, "pending", 7, "@SUM(A1)", 3103, 1, 1050))
        .expect("row");
    let s = sink.finish().expect("finish");
    // The declined 0,99 is a visible row but is not money paid back.
    assert_eq!(
        (
            s.rows,
            s.total.cents(),
            s.total_refunded.cents(),
            s.total_not_paid.cents()
        ),
        (3, 1057, 1050, 99)
    );
    String::from_utf8(buf).expect("utf-8")
}

#[test]
fn french_excel_profile_bytes() {
    let got = write(CsvFormat::ExcelFr);
    let expected = "\u{feff}n_piece;date_heure_locale;date_utc;refund_id;montant_rembourse;devise;sens;statut;motif;operateur;origine;date_statut_final_utc;reference_commande;vente_montant;payment_id;carte_type;carte_rang;carte_numero;carte_montant_paye;carte_deja_rembourse;carte_reste_remboursable\r\n\
1;26/11/2026 17:05:09;2026-11-26T16:05:09Z;3000000001_1;10,50;EUR;Remboursement;Remboursé;article rendu;Zoé;cadodesk;2026-11-26T16:05:11Z;CD-20261126-0001;123,45;3000000001_0;Bimpli CADO;2;629900******0002;50,00;0,00;39,50\r\n\
2;26/11/2026 17:05:09;2026-11-26T16:05:09Z;;0,99;EUR;Remboursement;Refusé;\"'=HYPERLINK(\"\"x\"\"); -2+3\";Zoé;cadodesk;;CD-20261126-0001;123,45;3000000001_0;Visa;;629900******0002;50,00;10,50;39,50\r\n\
3;26/11/2026 17:05:09;2026-11-26T16:05:09Z;3000000001_3;0,07;EUR;Remboursement;En attente;'@SUM(A1);Zoé;portail;;CD-20261126-0001;123,45;3000000001_0;Bimpli CADO;1;629900******0002;50,00;10,50;39,43\r\n";
    assert_eq!(got, expected);
}

#[test]
fn rfc4180_profile_bytes() {
    let got = write(CsvFormat::Rfc4180);
    let expected = "refund_number,local_time,utc_time,refund_id,refund_amount,currency,direction,status,reason,operator,origin,final_status_utc,order_reference,sale_amount,payment_id,card_type,card_rank,card_number,card_paid,card_refunded_before,card_still_refundable\r\n\
1,2026-11-26T17:05:09+01:00,2026-11-26T16:05:09Z,3000000001_1,10.50,EUR,Refund,Refunded,article rendu,Zoé,cadodesk,2026-11-26T16:05:11Z,CD-20261126-0001,123.45,3000000001_0,Bimpli CADO,2,629900******0002,50.00,0.00,39.50\r\n\
2,2026-11-26T17:05:09+01:00,2026-11-26T16:05:09Z,,0.99,EUR,Refund,Declined,\"'=HYPERLINK(\"\"x\"\"); -2+3\",Zoé,cadodesk,,CD-20261126-0001,123.45,3000000001_0,Visa,,629900******0002,50.00,10.50,39.50\r\n\
3,2026-11-26T17:05:09+01:00,2026-11-26T16:05:09Z,3000000001_3,0.07,EUR,Refund,Pending,'@SUM(A1),Zoé,portal,,CD-20261126-0001,123.45,3000000001_0,Bimpli CADO,1,629900******0002,50.00,10.50,39.43\r\n";
    assert_eq!(got, expected);
}

#[test]
fn only_text_cells_are_neutralised() {
    for (input, expected) in [
        ("=1+1", "'=1+1"),
        ("+33", "'+33"),
        ("-12,50", "'-12,50"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ok", "ok"),
        ("", ""),
    ] {
        assert_eq!(export::neutralise(input), expected, "{input:?}");
    }
}

/// A sale of three tenders in a real ledger file, with refunded, pending and declined refunds.
fn ledger_with_refunds() -> (tempfile::TempDir, Ledger) {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = Ledger::open_in(dir.path()).expect("open");
    let mut events = vec![
        Event::CheckoutRequested {
            merchant_reference: "=cmd('calc')".into(),
            amount_cents: 12_345,
            currency: "EUR".into(),
            email: None,
            locale: "fr_FR".into(),
            return_url: None,
        },
        Event::CheckoutCreated {
            merchant_reference: "=cmd('calc')".into(),
            hosted_checkout_id: "h1".parse().expect("an id"),
            redirect_url: "http://127.0.0.1/p".into(),
        },
    ];
    for (p, product, cents) in [("1_0", 3103, 5000), ("2_0", 3103, 2000), ("3_0", 1, 5345)] {
        events.push(Event::TenderSeen {
            hosted_checkout_id: "h1".parse().expect("an id"),
            payment_id: p.parse().expect("an id"),
            product_id: product,
            masked_number: Some("************0001".into()),
            amount_cents: cents,
            captured_cents: cents,
            status: "CAPTURED".into(),
            status_code: Some(9),
        });
    }
    l.append_all("ana", &events).expect("sale");
    for (i, (p, cents, state)) in [
        ("1_0", 1999, "refunded"),
        ("1_0", 1, "declined"),
        ("2_0", 435, "pending"),
        ("3_0", 5345, "refunded"),
        ("1_0", 29, "refunded"),
    ]
    .into_iter()
    .enumerate()
    {
        let intent = l
            .request_refund("ana", p, a(cents), "-retour client")
            .expect("intent");
        l.append(
            "ana",
            &Event::RefundAnswered {
                idempotence_key: intent.idempotence_key,
                refund_id: (state != "declined")
                    .then(|| format!("{}_{}", &p[..1], i + 1).parse().expect("an id")),
                state: state.parse().expect("a refund state"),
                platform_status: None,
                failure: None,
            },
        )
        .expect("answer");
    }
    (dir, l)
}

fn parse_fr(cell: &str) -> i64 {
    let (whole, frac) = cell.split_once(',').expect("decimal comma");
    whole.parse::<i64>().expect("euros") * 100 + frac.parse::<i64>().expect("cents")
}

#[test]
fn french_export_reads_back_with_the_ledgers_sums() {
    let (dir, l) = ledger_with_refunds();
    let from = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("from");
    let to = Utc::now() + chrono::Duration::days(1);
    let path = dir.path().join("remboursements.csv");
    let summary =
        export::write_refunds_to_path(&l, from, to, CsvFormat::ExcelFr, &path).expect("export");
    assert_eq!(summary.rows, 5);

    let bytes = std::fs::read(&path).expect("read");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM first");
    assert!(!std::fs::read_dir(dir.path()).expect("dir").any(|e| {
        e.map(|e| e.file_name().to_string_lossy().contains("partial"))
            .unwrap_or(false)
    }));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&bytes[3..]);
    let headers = reader.headers().expect("headers").clone();
    assert_eq!(
        headers.get(export::AMOUNT_COLUMN),
        Some("montant_rembourse")
    );
    let mut sum = 0i64;
    let mut refunded = 0i64;
    let mut n = 0;
    for rec in reader.records() {
        let rec = rec.expect("record");
        assert_eq!(rec.len(), export::COLUMNS);
        let cents = parse_fr(rec.get(export::AMOUNT_COLUMN).expect("amount"));
        sum += cents;
        if rec.get(7) == Some("Remboursé") {
            refunded += cents;
        }
        assert_eq!(
            rec.get(12),
            Some("'=cmd('calc')"),
            "order reference neutralised"
        );
        assert_eq!(rec.get(8), Some("'-retour client"), "reason neutralised");
        n += 1;
    }
    assert_eq!(n, 5);
    let ledger_refunds = l.refunds_between(None, None).expect("refunds");
    let ledger_sum: i64 = ledger_refunds.iter().map(|r| r.amount.cents()).sum();
    let ledger_refunded: i64 = ledger_refunds
        .iter()
        .filter(|r| r.state == RefundState::Refunded)
        .map(|r| r.amount.cents())
        .sum();
    assert_eq!(sum, ledger_sum);
    assert_eq!(refunded, ledger_refunded);
    assert_eq!(
        (sum, refunded),
        (1999 + 1 + 435 + 5345 + 29, 1999 + 5345 + 29)
    );
    // The summary counts what left money: everything but the declined 0,01.
    assert_eq!(summary.total.cents(), sum - 1);
    assert_eq!(summary.total_not_paid.cents(), 1);

    // Refunded before / still refundable follow each tender's history: the declined refund counts for nothing.
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let last = text.lines().nth(5).expect("fifth refund");
    assert!(
        last.contains(";0,29;EUR;") && last.ends_with(";19,99;29,72"),
        "{last}"
    );
}

#[test]
fn sink_streams_many_rows_with_counters_only() {
    // The sink keeps counters only: writing many rows to a sink that discards them needs no growing buffer.
    let mut sink = CsvSink::new(CsvFormat::ExcelFr, std::io::sink()).expect("sink");
    let r = row(1, "refunded", 100, "ok", 3103, 1, 0);
    for _ in 0..50_000 {
        sink.write_row(&r).expect("row");
    }
    let s = sink.finish().expect("finish");
    assert_eq!((s.rows, s.total.cents()), (50_000, 5_000_000));
}

#[test]
fn ledger_export_totals_and_refunded_before_count_only_refunds_that_left_money() {
    let dir = tempfile::tempdir().expect("tempdir");
    let l = Ledger::open_in(dir.path()).expect("open");
    l.append_all(
        "ana",
        &[
            Event::CheckoutRequested {
                merchant_reference: "R1".into(),
                amount_cents: 5000,
                currency: "EUR".into(),
                email: None,
                locale: "fr_FR".into(),
                return_url: None,
            },
            Event::CheckoutCreated {
                merchant_reference: "R1".into(),
                hosted_checkout_id: "h1".parse().expect("an id"),
                redirect_url: "http://x".into(),
            },
            Event::TenderSeen {
                hosted_checkout_id: "h1".parse().expect("an id"),
                payment_id: "1_0".parse().expect("an id"),
                product_id: 3103,
                masked_number: None,
                amount_cents: 5000,
                captured_cents: 5000,
                status: "CAPTURED".into(),
                status_code: Some(9),
            },
        ],
    )
    .expect("sale");
    // n°1 without a known outcome, then n°2 made in the portal and found by reconciliation.
    let intent = l
        .request_refund("ana", "1_0", a(1000), "retour")
        .expect("intent");
    l.append(
        "ana",
        &Event::RefundAnswered {
            idempotence_key: intent.idempotence_key,
            refund_id: None,
            state: RefundState::Unknown,
            platform_status: None,
            failure: Some("no answer".into()),
        },
    )
    .expect("unknown");
    assert!(
        l.import_external_refund(
            "ana",
            &"1_0".parse().expect("an id"),
            &"1_2".parse().expect("an id"),
            a(700),
            RefundState::Refunded,
            "REFUNDED"
        )
        .expect("import")
    );
    let mut buf = Vec::new();
    let from = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .expect("from");
    let s = export::write_refunds(
        &l,
        from,
        Utc::now() + chrono::Duration::days(1),
        CsvFormat::Rfc4180,
        &mut buf,
    )
    .expect("export");
    assert_eq!(
        (s.rows, s.total.cents(), s.total_not_paid.cents()),
        (2, 700, 1000)
    );
    let text = String::from_utf8(buf).expect("utf-8");
    let second = text.lines().nth(2).expect("second refund");
    // Still visible as a row, the unknown n°1 is not "refunded before" n°2, and does not lower what is left.
    assert!(
        text.lines().nth(1).expect("first").contains(",Unknown,"),
        "{text}"
    );
    assert!(
        second.contains(",portal,") && second.ends_with(",0.00,43.00"),
        "{second}"
    );
}
