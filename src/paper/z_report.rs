//! The Z report: one closing on an A4 page, in French or English: the shop and the till, the period, the counts, each
//! kind of card, the period's and the perpetual totals, and what proves it (the journal entry, the chain's hash, the
//! seal and the key's id to compare with `ledger verify` and the archives).

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

use crate::domain::Amount;
use crate::domain::closing::{Closing, ClosingKind};
use crate::i18n::Lang;

use super::pdf::{A4, Align, Page, render};

/// What a Z report shows beyond the closing itself.
#[derive(Debug, Clone)]
pub struct ZReport<'a> {
    /// The closing.
    pub closing: &'a Closing,
    /// Its journal entry.
    pub seq: i64,
    /// The entry's seal (hex), when sealed.
    pub signature: Option<&'a str>,
    /// The sealing key's id.
    pub key_id: Option<&'a str>,
    /// The shop's name.
    pub shop: Option<&'a str>,
    /// The shop's address.
    pub address: Option<&'a str>,
    /// The language.
    pub lang: Lang,
    /// When the report is printed.
    pub printed_at: DateTime<Utc>,
}

/// Cents with their sign, as the language writes amounts.
fn money(cents: i64, lang: Lang) -> String {
    let a = Amount::from_cents(cents.saturating_abs()).unwrap_or(Amount::ZERO);
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}", a.display(lang))
}

fn when(at: DateTime<Utc>, lang: Lang) -> String {
    let local = at.with_timezone(&Paris);
    match lang {
        Lang::Fr => local.format("%d/%m/%Y %H:%M:%S").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// A line of the report: its left text, and a figure on the right when it has one; `bold` for headings and totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The words.
    pub left: String,
    /// A figure in the column before the last (a card's payments, beside its refunds).
    pub middle: Option<String>,
    /// The figure, right-aligned.
    pub right: Option<String>,
    /// Heading or total.
    pub bold: bool,
}

fn line(left: impl Into<String>, right: Option<String>, bold: bool) -> Line {
    Line {
        left: left.into(),
        middle: None,
        right,
        bold,
    }
}

/// The report's lines, top to bottom (what the PDF draws; tests and `pdftotext` read the same words).
pub fn z_report_lines(r: &ZReport<'_>) -> Vec<Line> {
    let c = r.closing;
    let l = r.lang;
    let kind = match (c.kind, l) {
        (ClosingKind::Day, Lang::Fr) => "Clôture journalière",
        (ClosingKind::Month, Lang::Fr) => "Clôture mensuelle",
        (ClosingKind::Year, Lang::Fr) => "Clôture annuelle",
        (ClosingKind::Day, Lang::En) => "Daily closing",
        (ClosingKind::Month, Lang::En) => "Monthly closing",
        (ClosingKind::Year, Lang::En) => "Yearly closing",
    };
    let mut out = vec![line(
        format!(
            "{} — {kind} {} {} ({})",
            l.pick("Rapport Z", "Z report"),
            l.pick("n°", "no."),
            c.number,
            c.document_number()
        ),
        None,
        true,
    )];
    if let Some(shop) = r.shop {
        out.push(line(shop, None, false));
    }
    if let Some(address) = r.address {
        out.push(line(address, None, false));
    }
    out.push(line(
        format!(
            "{} {} — UUID {}",
            l.pick("Caisse", "Till"),
            c.till,
            c.till_uuid
        ),
        None,
        false,
    ));
    let (from, to) = (when(c.from, l), when(c.to, l));
    out.push(line(
        match l {
            Lang::Fr => format!("Période {} : du {from} au {to} (heure de Paris)", c.label),
            Lang::En => format!("Period {}: from {from} to {to} (Paris time)", c.label),
        },
        None,
        false,
    ));
    out.push(line(
        format!(
            "{} {} {} {}",
            l.pick("Écritures du journal n°", "Journal entries"),
            c.first_seq,
            l.pick("à", "to"),
            c.last_seq
        ),
        None,
        false,
    ));
    let t = &c.totals;
    out.push(line(l.pick("Activité", "Activity"), None, true));
    out.push(line(
        l.pick("Ventes payées", "Sales paid"),
        Some(t.sales_count.to_string()),
        false,
    ));
    out.push(line(
        l.pick("Remboursements", "Refunds"),
        Some(t.refunds_count.to_string()),
        false,
    ));
    out.push(line(
        l.pick("Par moyen de paiement", "By means of payment"),
        None,
        true,
    ));
    if t.by_tender.is_empty() {
        out.push(line(l.pick("Aucun mouvement", "No movement"), None, false));
    } else {
        out.push(Line {
            middle: Some(l.pick("Encaissé", "Paid in").into()),
            ..line("", Some(l.pick("Remboursé", "Refunded").into()), false)
        });
    }
    for tender in &t.by_tender {
        out.push(Line {
            middle: Some(money(tender.payments_cents, l)),
            ..line(
                crate::domain::closing::kind_label(&tender.kind, l),
                Some(money(tender.refunds_cents, l)),
                false,
            )
        });
    }
    out.push(line(l.pick("Totaux", "Totals"), None, true));
    out.push(line(
        l.pick("Encaissements", "Payments"),
        Some(money(t.payments_cents, l)),
        false,
    ));
    out.push(line(
        l.pick("Remboursements", "Refunds"),
        Some(money(t.refunds_cents, l)),
        false,
    ));
    out.push(line(
        l.pick("Total de la période (net)", "Period total (net)"),
        Some(money(c.period_total_cents, l)),
        true,
    ));
    out.push(line(
        l.pick(
            "Grand total perpétuel (net, depuis l'ouverture)",
            "Perpetual grand total (net, since the till began)",
        ),
        Some(money(c.perpetual_total_cents, l)),
        true,
    ));
    out.push(line(
        l.pick(
            "Grand total perpétuel absolu (encaissements + remboursements)",
            "Perpetual absolute total (payments + refunds)",
        ),
        Some(money(c.perpetual_absolute_total_cents, l)),
        false,
    ));
    out.push(line(l.pick("Inaltérabilité", "Integrity"), None, true));
    out.push(line(
        format!(
            "{} {}",
            l.pick(
                "Écriture de la clôture : n°",
                "Closing's journal entry: no."
            ),
            r.seq
        ),
        None,
        false,
    ));
    out.push(line(
        l.pick(
            "Empreinte du journal (SHA-256) :",
            "Journal hash (SHA-256):",
        ),
        None,
        false,
    ));
    out.push(line(c.head_hash.clone(), None, false));
    out.push(line(
        format!(
            "{} {}",
            l.pick("Clé de scellement :", "Sealing key:"),
            r.key_id.unwrap_or(l.pick("aucune", "none"))
        ),
        None,
        false,
    ));
    if let Some(sig) = r.signature {
        out.push(line(
            l.pick("Sceau (Ed25519) :", "Seal (Ed25519):"),
            None,
            false,
        ));
        for chunk in sig.as_bytes().chunks(64) {
            out.push(line(String::from_utf8_lossy(chunk), None, false));
        }
    }
    if let Some(previous) = c.previous {
        out.push(line(
            format!(
                "{} {previous}",
                l.pick("Clôture précédente : n°", "Previous closing: no.")
            ),
            None,
            false,
        ));
    }
    out.push(line(
        format!(
            "{} {} — cadodesk {}",
            l.pick("Imprimé le", "Printed"),
            when(r.printed_at, l),
            env!("CARGO_PKG_VERSION")
        ),
        None,
        false,
    ));
    out
}

/// The Z report as a one-page A4 PDF.
pub fn z_report_pdf(r: &ZReport<'_>) -> Vec<u8> {
    let mut page = Page::new(A4);
    let (left, right) = (56.0, A4.0 - 56.0);
    let mut y = A4.1 - 64.0;
    for (i, l) in z_report_lines(r).iter().enumerate() {
        let heading = l.bold && l.right.is_none();
        let size = if i == 0 { 16.0 } else { 10.5 };
        if heading && i > 0 {
            y -= 8.0;
            page.text(left, y, 11.5, true, Align::Left, &l.left);
            page.rule(left, right, y - 4.0);
            y -= 18.0;
            continue;
        }
        page.text(left, y, size, l.bold, Align::Left, &l.left);
        if let Some(figure) = &l.middle {
            page.text(right - 120.0, y, size, l.bold, Align::Right, figure);
        }
        if let Some(figure) = &l.right {
            page.text(right, y, size, l.bold, Align::Right, figure);
        }
        y -= if i == 0 { 24.0 } else { 15.0 };
    }
    let title = z_report_lines(r)
        .first()
        .map(|l| l.left.clone())
        .unwrap_or_default();
    render(&[page], &title, r.printed_at)
}
