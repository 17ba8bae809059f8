//! Receipts and refund notes: what the customer is handed, as lines of text (the one content every output shares),
//! laid out on an 80 mm ticket or an A4 page as a PDF. The ESC/POS output (`escpos`) prints the same lines.
//!
//! A receipt says who sold (shop, address, till), which document it is (number, date and time in Paris, operator,
//! the sale's reference), the amount and each tender with what it paid: a gift card by its position and the last
//! digits of the platform's payment id, a card by its masked number. A refund note adds the ticket it modifies, what
//! each card got back, the reason and what is still refundable. A copy says "DUPLICATA n". Nothing secret is printed:
//! no full card number (only the platform's masked one), no token, no URL with credentials.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

use crate::domain::{Amount, RefundState, TenderKind};
use crate::i18n::Lang;

use super::pdf::{A4, Align, MM, Page, render, text_width};

/// A sale's receipt or a refund's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    /// The receipt of a paid sale.
    Sale,
    /// The note of a refund (one refund, or an order-level refund spread over several cards).
    Refund,
}

impl ReceiptKind {
    /// `sale` or `refund`, as journaled.
    pub fn code(self) -> &'static str {
        match self {
            ReceiptKind::Sale => "sale",
            ReceiptKind::Refund => "refund",
        }
    }
}

/// One tender of the sale, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptTender {
    /// 1 for the first tender paid.
    pub position: i64,
    /// Gift card, Visa, Mastercard, other.
    pub kind: TenderKind,
    /// The platform's payment id (only its last digits are printed).
    pub payment_id: String,
    /// The masked card number, as the platform gave it.
    pub masked_number: Option<String>,
    /// What it paid (captured).
    pub paid: Amount,
}

/// One refund of a refund note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRefund {
    /// The refund's number (n° de pièce).
    pub number: i64,
    /// The tender it gives back to.
    pub tender: ReceiptTender,
    /// The amount.
    pub amount: Amount,
    /// Where it stands.
    pub state: RefundState,
}

/// What a refund note adds to a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPart {
    /// The sale's receipt number, the ticket this note modifies.
    pub original_document: String,
    /// When the sale was made.
    pub original_at: DateTime<Utc>,
    /// The refunds, one per card.
    pub refunds: Vec<ReceiptRefund>,
    /// Why.
    pub reason: String,
    /// What is still refundable on the sale after these refunds.
    pub still_refundable: Amount,
}

/// Everything a receipt or refund note shows. Built by the till from the ledger; rendered here without IO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Sale or refund.
    pub kind: ReceiptKind,
    /// The document's number (`T01-V000042`, `T01-R000007`).
    pub document: String,
    /// The shop's name.
    pub shop: Option<String>,
    /// The shop's address.
    pub address: Option<String>,
    /// The till's code.
    pub till: String,
    /// When the sale (or the refund) was made.
    pub at: DateTime<Utc>,
    /// Who made it.
    pub operator: String,
    /// The sale's order reference.
    pub reference: String,
    /// The sale's amount (a refund note: the refunded total).
    pub amount: Amount,
    /// The sale's tenders.
    pub tenders: Vec<ReceiptTender>,
    /// A refund note's part.
    pub refund: Option<RefundPart>,
    /// 0 for the first print, n for "DUPLICATA n".
    pub copy: u32,
    /// What the QR code holds (never a secret), when one is printed.
    pub qr: Option<String>,
    /// The language.
    pub lang: Lang,
}

/// How a line sits on the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The shop's name and the document's title: centred, bold.
    Title,
    /// Centred.
    Center,
    /// A heading or a total: bold.
    Bold,
    /// Plain.
    Plain,
    /// A rule across the ticket.
    Rule,
}

/// A line of a receipt: words on the left, a figure on the right when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    /// The words.
    pub left: String,
    /// The figure, right-aligned.
    pub right: Option<String>,
    /// How it sits.
    pub style: Style,
}

impl ReceiptLine {
    /// The line as one text: the words, then the figure.
    pub fn text(&self) -> String {
        match &self.right {
            Some(r) if !self.left.is_empty() => format!("{} {r}", self.left),
            Some(r) => r.clone(),
            None => self.left.clone(),
        }
    }
}

fn l(style: Style, left: impl Into<String>, right: Option<String>) -> ReceiptLine {
    ReceiptLine {
        left: left.into(),
        right,
        style,
    }
}

/// The last `n` digits of a payment id (`4000012345_0` → `2345`): enough for the customer to tell cards apart.
fn last_digits(payment_id: &str, n: usize) -> String {
    let digits: Vec<char> = payment_id
        .split('_')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits[digits.len().saturating_sub(n)..].iter().collect()
}

/// How a tender is named on paper: "Carte cadeau 2 Bimpli CADO ...2345", "Visa ************1111".
pub fn tender_words(t: &ReceiptTender, lang: Lang) -> String {
    match t.kind {
        TenderKind::GiftCard => format!(
            "{} {} Bimpli CADO ...{}",
            lang.pick("Carte cadeau", "Gift card"),
            t.position,
            last_digits(&t.payment_id, 4)
        ),
        other => match &t.masked_number {
            Some(m) => format!("{} {m}", other.label(lang)),
            None => format!("{} ...{}", other.label(lang), last_digits(&t.payment_id, 4)),
        },
    }
}

fn paris(at: DateTime<Utc>, lang: Lang, with_time: bool) -> String {
    let local = at.with_timezone(&Paris);
    match (lang, with_time) {
        (Lang::Fr, true) => local.format("%d/%m/%Y %H:%M").to_string(),
        (Lang::Fr, false) => local.format("%d/%m/%Y").to_string(),
        (Lang::En, true) => local.format("%Y-%m-%d %H:%M").to_string(),
        (Lang::En, false) => local.format("%Y-%m-%d").to_string(),
    }
}

/// The receipt's lines, top to bottom: what the PDF draws and the printer prints (tests and `pdftotext` read the
/// same words).
pub fn receipt_lines(r: &Receipt) -> Vec<ReceiptLine> {
    let lang = r.lang;
    let money = |a: Amount| a.display(lang);
    let mut out = Vec::new();
    if let Some(shop) = &r.shop {
        out.push(l(Style::Title, shop, None));
    }
    if let Some(address) = &r.address {
        out.push(l(Style::Center, address, None));
    }
    out.push(l(
        Style::Center,
        format!("{} {}", lang.pick("Caisse", "Till"), r.till),
        None,
    ));
    out.push(l(Style::Rule, "", None));
    let title = match r.kind {
        ReceiptKind::Sale => lang.pick("TICKET", "RECEIPT"),
        ReceiptKind::Refund => lang.pick("NOTE DE REMBOURSEMENT", "REFUND NOTE"),
    };
    out.push(l(
        Style::Title,
        format!("{title} {} {}", lang.pick("n°", "no."), r.document),
        None,
    ));
    if r.copy > 0 {
        out.push(l(Style::Title, format!("DUPLICATA {}", r.copy), None));
    }
    if let Some(p) = &r.refund {
        out.push(l(
            Style::Bold,
            match lang {
                Lang::Fr => format!(
                    "Ce ticket modifie le ticket n° {} du {}",
                    p.original_document,
                    paris(p.original_at, lang, false)
                ),
                Lang::En => format!(
                    "This note modifies receipt no. {} of {}",
                    p.original_document,
                    paris(p.original_at, lang, false)
                ),
            },
            None,
        ));
    }
    out.push(l(
        Style::Plain,
        format!(
            "{} {} {}",
            lang.pick("Le", "On"),
            paris(r.at, lang, true),
            lang.pick("(heure de Paris)", "(Paris time)")
        ),
        None,
    ));
    out.push(l(
        Style::Plain,
        format!("{} {}", lang.pick("Opérateur :", "Operator:"), r.operator),
        None,
    ));
    out.push(l(
        Style::Plain,
        format!("{} {}", lang.pick("Vente :", "Sale:"), r.reference),
        None,
    ));
    out.push(l(Style::Rule, "", None));
    match &r.refund {
        None => {
            out.push(l(
                Style::Bold,
                lang.pick("Total TTC", "Total"),
                Some(money(r.amount)),
            ));
            out.push(l(Style::Plain, lang.pick("Réglé par", "Paid with"), None));
            for t in &r.tenders {
                out.push(l(
                    Style::Plain,
                    format!("  {}", tender_words(t, lang)),
                    Some(money(t.paid)),
                ));
            }
        }
        Some(p) => {
            out.push(l(
                Style::Plain,
                format!("{} {}", lang.pick("Motif :", "Reason:"), p.reason),
                None,
            ));
            out.push(l(
                Style::Plain,
                lang.pick("Remboursé sur", "Refunded to"),
                None,
            ));
            for x in &p.refunds {
                out.push(l(
                    Style::Plain,
                    format!("  {}", tender_words(&x.tender, lang)),
                    Some(format!("-{}", money(x.amount))),
                ));
                let state = if x.state == RefundState::Refunded {
                    String::new()
                } else {
                    format!(", {}", x.state.label(lang).to_lowercase())
                };
                out.push(l(
                    Style::Plain,
                    format!(
                        "    {} {}{state}",
                        lang.pick("remboursement n°", "refund no."),
                        x.number
                    ),
                    None,
                ));
            }
            out.push(l(
                Style::Bold,
                lang.pick("Total remboursé", "Total refunded"),
                Some(money(r.amount)),
            ));
            out.push(l(
                Style::Plain,
                lang.pick(
                    "Reste remboursable sur la vente",
                    "Still refundable on the sale",
                ),
                Some(money(p.still_refundable)),
            ));
        }
    }
    out.push(l(Style::Rule, "", None));
    out.push(l(
        Style::Center,
        lang.pick("Merci de votre visite", "Thank you for your visit"),
        None,
    ));
    out
}

/// The two PDF layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfLayout {
    /// An 80 mm wide ticket, as long as the receipt.
    Ticket,
    /// An A4 page.
    A4,
}

/// The measures of a layout: page width, margin, font size, line step, QR code side.
fn measures(layout: PdfLayout) -> (f32, f32, f32, f32, f32) {
    match layout {
        PdfLayout::Ticket => (80.0 * MM, 4.0 * MM, 7.5, 10.5, 34.0 * MM),
        PdfLayout::A4 => (A4.0, 60.0, 11.0, 17.0, 40.0 * MM),
    }
}

/// Words broken into lines no wider than `room` points.
fn wrap(text: &str, size: f32, bold: bool, room: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && text_width(&candidate, size, bold) > room {
            out.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    out.push(current);
    out
}

/// The rows the PDF draws in `layout`: the receipt's lines, long words wrapped to the page's width (the figure on
/// the last row of its line). What `pdftotext` must find, row by row.
pub fn receipt_pdf_rows(r: &Receipt, layout: PdfLayout) -> Vec<ReceiptLine> {
    let (width, margin, size, _, _) = measures(layout);
    let room = width - 2.0 * margin;
    let mut rows = Vec::new();
    for line in receipt_lines(r) {
        let (size, bold) = match line.style {
            Style::Title => (size * 1.2, true),
            Style::Bold => (size, true),
            _ => (size, false),
        };
        let figure = line
            .right
            .as_deref()
            .map(|f| text_width(f, size, bold) + size)
            .unwrap_or(0.0);
        let mut parts = wrap(&line.left, size, bold, room);
        // The figure needs room beside the last words: else it gets a row of its own.
        let last_fits = parts
            .last()
            .is_some_and(|p| text_width(p, size, bold) + figure <= room);
        if !last_fits && line.right.is_some() {
            parts.push(String::new());
        }
        let n = parts.len();
        for (i, left) in parts.into_iter().enumerate() {
            rows.push(ReceiptLine {
                left,
                right: if i + 1 == n { line.right.clone() } else { None },
                style: line.style,
            });
        }
    }
    rows
}

/// The receipt as a PDF in `layout`, created at `created`.
pub fn receipt_pdf(r: &Receipt, layout: PdfLayout, created: DateTime<Utc>) -> Vec<u8> {
    let rows = receipt_pdf_rows(r, layout);
    let (width, margin, size, step, qr_side) = measures(layout);
    let qr_room = if r.qr.is_some() { qr_side + step } else { 0.0 };
    let height = match layout {
        PdfLayout::Ticket => 2.0 * margin + step * (rows.len() as f32 + 1.0) + qr_room,
        PdfLayout::A4 => A4.1,
    };
    let mut page = Page::new((width, height));
    let (left, right, center) = (margin, width - margin, width / 2.0);
    let mut y = height - margin - step;
    for row in &rows {
        match row.style {
            Style::Rule => page.rule(left, right, y + step / 2.5),
            Style::Title => page.text(center, y, size * 1.2, true, Align::Center, &row.left),
            Style::Center => page.text(center, y, size, false, Align::Center, &row.left),
            Style::Bold | Style::Plain => {
                let bold = row.style == Style::Bold;
                page.text(left, y, size, bold, Align::Left, &row.left);
                if let Some(figure) = &row.right {
                    page.text(right, y, size, bold, Align::Right, figure);
                }
            }
        }
        y -= step;
    }
    if let Some(data) = &r.qr {
        // A code too long is left out; the receipt's words hold everything it would.
        page.qr(center - qr_side / 2.0, y - qr_side, qr_side, data);
    }
    let kind = match r.kind {
        ReceiptKind::Sale => r.lang.pick("Ticket", "Receipt"),
        ReceiptKind::Refund => r.lang.pick("Note de remboursement", "Refund note"),
    };
    render(&[page], &format!("{kind} {}", r.document), created)
}

#[cfg(test)]
#[path = "receipt_tests.rs"]
mod tests;
