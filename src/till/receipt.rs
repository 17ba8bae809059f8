//! Receipts and refund notes: the model built from the ledger (the sale, its tenders, its refunds, the till's
//! identity), its number, the copy counted from the journal, and each print journaled (`receipt_printed`).
//!
//! Numbers: a sale's receipt is `<till>-V<n>`, n its place among the till's sales (`Ledger::sale_number`); a refund
//! note is `<till>-R<n>`, n the number of its first refund. An order-level refund spread over several cards is one
//! note: the sale's refunds asked one after the other by the same operator for the same reason, each within two
//! minutes of the one before. A document is printed once; every print after that is "DUPLICATA n", n counted from
//! the journal's prints of that document. A print is journaled once it was handed out (the file written, the
//! printer sent every byte): what failed to print is not journaled and the error says why.

use chrono::Duration;
use thiserror::Error;

use crate::domain::{Amount, CheckoutState, RefundState, TenderKind};
use crate::i18n::{Lang, Localize};
use crate::ledger::keys;
use crate::ledger::{Entry, Event, LedgerError, RefundRecord, TenderRecord};
use crate::paper::escpos::{EscPosError, receipt_escpos, test_page_escpos};
use crate::paper::{
    PdfLayout, Receipt, ReceiptKind, ReceiptRefund, ReceiptTender, RefundPart, receipt_pdf,
};

use super::printer::{PrinterAddress, PrinterError};
use super::{Records, TillError};

/// Refunds asked further apart than this are separate notes.
const ONE_ORDER_REFUND: Duration = Duration::minutes(2);

/// Which document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptTarget {
    /// A paid sale, by its order reference or its hosted checkout id.
    Sale(String),
    /// A refund, by its number (n° de pièce); the note covers the order-level refund it belongs to.
    Refund(i64),
}

/// What the document is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptFormat {
    /// A PDF on an 80 mm ticket.
    Pdf,
    /// A PDF on an A4 page.
    PdfA4,
    /// ESC/POS bytes for a thermal printer.
    EscPos,
}

impl ReceiptFormat {
    /// `pdf`, `pdf-a4` or `escpos`, as the command line and the journal say it.
    pub fn code(self) -> &'static str {
        match self {
            ReceiptFormat::Pdf => "pdf",
            ReceiptFormat::PdfA4 => "pdf-a4",
            ReceiptFormat::EscPos => "escpos",
        }
    }

    /// The format named `code`.
    pub fn from_code(code: &str) -> Option<ReceiptFormat> {
        match code.trim() {
            "pdf" => Some(ReceiptFormat::Pdf),
            "pdf-a4" => Some(ReceiptFormat::PdfA4),
            "escpos" => Some(ReceiptFormat::EscPos),
            _ => None,
        }
    }
}

/// Why a receipt was not made or not printed.
#[derive(Debug, Error)]
pub enum ReceiptError {
    /// No such sale.
    #[error(
        "sale {0}: not in this till's ledger; give its order reference as `checkout list` shows it"
    )]
    UnknownSale(String),
    /// No such refund.
    #[error("refund n°{0}: not in this till's ledger; give its number as `refunds` shows it")]
    UnknownRefund(i64),
    /// Only a paid sale has a receipt.
    #[error("sale {reference} is {state}: only a paid sale has a receipt")]
    NotPaid {
        /// The order reference.
        reference: String,
        /// Its state.
        state: CheckoutState,
    },
    /// The first print was made: another is a duplicate.
    #[error(
        "{document} was already printed (journal entry {seq}): ask for a copy with --duplicate (\"Duplicata\")"
    )]
    AlreadyPrinted {
        /// The document's number.
        document: String,
        /// The first print's journal entry.
        seq: i64,
    },
    /// A duplicate of what was never printed.
    #[error("{0} was never printed: print it first without --duplicate")]
    NeverPrinted(String),
    /// The printer could not be reached or did not take every byte.
    #[error(transparent)]
    Printer(#[from] PrinterError),
    /// The ESC/POS bytes could not be made.
    #[error(transparent)]
    EscPos(#[from] EscPosError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The till failed (its identity).
    #[error(transparent)]
    Till(#[from] Box<TillError>),
}

impl ReceiptError {
    /// The request was refused (nothing broke): a wrong number, an unpaid sale, a second original.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ReceiptError::UnknownSale(_)
                | ReceiptError::UnknownRefund(_)
                | ReceiptError::NotPaid { .. }
                | ReceiptError::AlreadyPrinted { .. }
                | ReceiptError::NeverPrinted(_)
        )
    }
}

impl Localize for ReceiptError {
    fn localize(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            ReceiptError::UnknownSale(s) => format!(
                "Vente {s} : absente du journal de cette caisse ; indiquez sa référence telle que la liste l'affiche"
            ),
            ReceiptError::UnknownRefund(n) => format!(
                "Remboursement n°{n} : absent du journal de cette caisse ; indiquez son numéro tel que la liste l'affiche"
            ),
            ReceiptError::NotPaid { reference, state } => format!(
                "La vente {reference} est « {} » : seule une vente payée a un ticket",
                state.label(Lang::Fr)
            ),
            ReceiptError::AlreadyPrinted { document, seq } => format!(
                "{document} a déjà été imprimé (écriture {seq}) : demandez un « Duplicata »"
            ),
            ReceiptError::NeverPrinted(d) => {
                format!("{d} n'a jamais été imprimé : imprimez-le d'abord (« Reçu »)")
            }
            ReceiptError::Printer(e) => e.localize(lang),
            ReceiptError::EscPos(e) => e.to_string(),
            ReceiptError::Ledger(e) => e.localize(lang),
            ReceiptError::Till(e) => e.localize(lang),
        }
    }
}

type Result<T, E = ReceiptError> = std::result::Result<T, E>;

/// A document ready to hand out: its model, its bytes, and what its print entry will say.
#[derive(Debug, Clone)]
pub struct PreparedReceipt {
    /// What it shows.
    pub receipt: Receipt,
    /// The bytes (a PDF, or ESC/POS).
    pub bytes: Vec<u8>,
    /// What they are.
    pub format: ReceiptFormat,
    /// A refund note's refunds.
    pub refunds: Vec<i64>,
    /// For a copy, the first print's journal entry.
    pub original_seq: Option<i64>,
}

impl PreparedReceipt {
    /// Its title: "Ticket T01-V000042", "Note de remboursement T01-R000007".
    pub fn title(&self) -> String {
        let r = &self.receipt;
        let kind = match r.kind {
            ReceiptKind::Sale => r.lang.pick("Ticket", "Receipt"),
            ReceiptKind::Refund => r.lang.pick("Note de remboursement", "Refund note"),
        };
        format!("{kind} {}", r.document)
    }

    /// Its lines as printed, one text each (the figure after the words; rules as dashes).
    pub fn lines(&self) -> Vec<String> {
        crate::paper::receipt_lines(&self.receipt)
            .iter()
            .map(|l| {
                if l.style == crate::paper::receipt::Style::Rule {
                    "-".repeat(24)
                } else {
                    l.text()
                }
            })
            .collect()
    }
}

fn tender_of(t: &TenderRecord) -> ReceiptTender {
    ReceiptTender {
        position: t.position,
        kind: TenderKind::from_product(t.product_id),
        payment_id: t.payment_id.to_string(),
        masked_number: t.masked_number.clone(),
        paid: t.captured,
    }
}

/// The refunds of `all` (one sale's, by number) that make one order-level refund with refund `number`.
fn one_order(all: &[RefundRecord], number: i64) -> Vec<RefundRecord> {
    let Some(i) = all.iter().position(|r| r.number == number) else {
        return Vec::new();
    };
    let together = |a: &RefundRecord, b: &RefundRecord| {
        a.reason == b.reason
            && a.operator == b.operator
            && a.external == b.external
            && (b.created_at - a.created_at).abs() <= ONE_ORDER_REFUND
    };
    let mut start = i;
    while start > 0 && together(&all[start - 1], &all[start]) {
        start -= 1;
    }
    let mut end = i;
    while end + 1 < all.len() && together(&all[end], &all[end + 1]) {
        end += 1;
    }
    all[start..=end].to_vec()
}

impl Records {
    /// The receipt of `target` in `lang`, numbered as the next print of it: the first, or `DUPLICATA n` when
    /// `duplicate` (a second original is refused, as is a copy of what was never printed).
    pub fn prepare_receipt(
        &self,
        target: &ReceiptTarget,
        duplicate: bool,
        format: ReceiptFormat,
        lang: Lang,
    ) -> Result<PreparedReceipt> {
        let ledger = self.ledger();
        let identity = self.till_identity().map_err(Box::new)?;
        let (checkout, refunds) = match target {
            ReceiptTarget::Sale(s) => {
                let c = match ledger.checkout_by_reference(s)? {
                    Some(c) => Some(c),
                    None => ledger.checkout(s)?,
                };
                (c.ok_or_else(|| ReceiptError::UnknownSale(s.clone()))?, None)
            }
            ReceiptTarget::Refund(n) => {
                let r = ledger
                    .refund_by_number(*n)?
                    .ok_or(ReceiptError::UnknownRefund(*n))?;
                let c = ledger
                    .checkout(r.hosted_checkout_id.as_str())?
                    .ok_or(ReceiptError::UnknownRefund(*n))?;
                let all = ledger.refunds_of_checkout(r.hosted_checkout_id.as_str())?;
                (c, Some((one_order(&all, *n), all)))
            }
        };
        let hosted = checkout
            .hosted_checkout_id
            .as_ref()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let tenders = ledger.tenders(&hosted)?;
        let captured: Amount = tenders.iter().map(|t| t.captured).sum();
        if refunds.is_none() && (checkout.state != CheckoutState::Paid || captured.cents() == 0) {
            return Err(ReceiptError::NotPaid {
                reference: checkout.merchant_reference,
                state: checkout.state,
            });
        }
        let sale_number = ledger
            .sale_number(&checkout.merchant_reference)?
            .unwrap_or_default();
        let sale_document = format!("{}-V{sale_number:06}", identity.code);
        let tender_views: Vec<ReceiptTender> = tenders.iter().map(tender_of).collect();
        let mut receipt = Receipt {
            kind: ReceiptKind::Sale,
            document: sale_document.clone(),
            shop: identity.shop.clone(),
            address: identity.address.clone(),
            till: identity.code.clone(),
            at: checkout.created_at,
            operator: checkout.operator.clone(),
            reference: checkout.merchant_reference.clone(),
            amount: captured,
            tenders: tender_views.clone(),
            refund: None,
            copy: 0,
            qr: None,
            lang,
        };
        let mut numbers = Vec::new();
        if let Some((group, all)) = refunds {
            let (Some(first), Some(last)) = (group.first(), group.last()) else {
                return Err(ReceiptError::UnknownRefund(match target {
                    ReceiptTarget::Refund(n) => *n,
                    ReceiptTarget::Sale(_) => 0,
                }));
            };
            let gave_back = |r: &&RefundRecord| r.state != RefundState::Declined;
            // What was left once these refunds were asked: the same on every copy, whatever came later.
            let taken: Amount = all
                .iter()
                .filter(|r| r.number <= last.number)
                .filter(gave_back)
                .map(|r| r.amount)
                .sum();
            numbers = group.iter().map(|r| r.number).collect();
            receipt.kind = ReceiptKind::Refund;
            receipt.document = format!("{}-R{:06}", identity.code, first.number);
            receipt.at = first.created_at;
            receipt.operator = first.operator.clone();
            receipt.amount = group.iter().filter(gave_back).map(|r| r.amount).sum();
            receipt.refund = Some(RefundPart {
                original_document: sale_document,
                original_at: checkout.created_at,
                refunds: group
                    .iter()
                    .map(|r| ReceiptRefund {
                        number: r.number,
                        tender: tender_views
                            .iter()
                            .find(|t| t.payment_id == r.payment_id.as_str())
                            .cloned()
                            .unwrap_or_else(|| ReceiptTender {
                                position: 0,
                                kind: TenderKind::Other(0),
                                payment_id: r.payment_id.to_string(),
                                masked_number: None,
                                paid: Amount::ZERO,
                            }),
                        amount: r.amount,
                        state: r.state,
                    })
                    .collect(),
                reason: first.reason.clone(),
                still_refundable: captured.saturating_sub(taken),
            });
        }
        let prints = ledger.receipt_prints(&receipt.document)?;
        let original_seq = prints.first().map(|p| p.seq);
        match (duplicate, original_seq) {
            (false, Some(seq)) => {
                return Err(ReceiptError::AlreadyPrinted {
                    document: receipt.document,
                    seq,
                });
            }
            (true, None) => return Err(ReceiptError::NeverPrinted(receipt.document)),
            _ => {}
        }
        receipt.copy = u32::try_from(prints.len()).unwrap_or(u32::MAX);
        // For the customer's own record: the document, the sale and the amount, nothing secret.
        receipt.qr = Some(format!(
            "{} {} {} {} {}",
            receipt.kind.code(),
            receipt.document,
            receipt.reference,
            receipt.at.format("%Y-%m-%dT%H:%MZ"),
            receipt.amount.plain('.')
        ));
        let bytes = match format {
            ReceiptFormat::Pdf => receipt_pdf(&receipt, PdfLayout::Ticket, self.now()),
            ReceiptFormat::PdfA4 => receipt_pdf(&receipt, PdfLayout::A4, self.now()),
            ReceiptFormat::EscPos => receipt_escpos(&receipt)?,
        };
        Ok(PreparedReceipt {
            receipt,
            bytes,
            format,
            refunds: numbers,
            original_seq: if duplicate { original_seq } else { None },
        })
    }

    /// Journals that `prepared` was handed out `to` (`file`, or the printer's address).
    pub fn receipt_handed_out(&self, prepared: &PreparedReceipt, to: &str) -> Result<Entry> {
        let r = &prepared.receipt;
        let entry = self.ledger().append(
            self.operator(),
            &Event::ReceiptPrinted {
                document: r.document.clone(),
                receipt_kind: r.kind.code().into(),
                merchant_reference: r.reference.clone(),
                refunds: prepared.refunds.clone(),
                modifies: r.refund.as_ref().map(|p| p.original_document.clone()),
                copy: r.copy,
                original_seq: prepared.original_seq,
                format: prepared.format.code().into(),
                to: to.into(),
            },
        )?;
        tracing::info!(
            document = %r.document,
            copy = r.copy,
            to,
            "receipt handed out"
        );
        Ok(entry)
    }

    /// Prints `target` on the ESC/POS printer at `printer` and journals the print: the first, or the next
    /// duplicate.
    pub fn print_receipt(
        &self,
        target: &ReceiptTarget,
        duplicate: bool,
        printer: &PrinterAddress,
        lang: Lang,
    ) -> Result<(PreparedReceipt, Entry)> {
        let prepared = self.prepare_receipt(target, duplicate, ReceiptFormat::EscPos, lang)?;
        printer.send(&prepared.bytes)?;
        let entry = self.receipt_handed_out(&prepared, &printer.to_string())?;
        Ok((prepared, entry))
    }
}

impl Records {
    /// The receipt printer chosen in the settings, if any.
    pub fn receipt_printer(&self) -> Result<Option<PrinterAddress>> {
        match self.ledger().setting(keys::RECEIPT_PRINTER)? {
            None => Ok(None),
            Some(s) => Ok(Some(PrinterAddress::parse(&s)?)),
        }
    }

    /// Chooses the receipt printer (`None`: receipts go to files), a journaled setting. An address that is not one
    /// of the forms is refused before anything is written.
    pub fn set_receipt_printer(&self, printer: Option<&str>) -> Result<Option<PrinterAddress>> {
        let address = printer.map(PrinterAddress::parse).transpose()?;
        self.ledger().set_setting(
            self.operator(),
            keys::RECEIPT_PRINTER,
            address.as_ref().map(|a| a.to_string()).as_deref(),
        )?;
        Ok(address)
    }

    /// Prints a test page ("Imprimer une page de test"): not a document, so not journaled.
    pub fn print_test_page(&self, printer: &PrinterAddress, lang: Lang) -> Result<()> {
        let at = self
            .now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .format("%d/%m/%Y %H:%M")
            .to_string();
        let bytes = test_page_escpos(&printer.to_string(), &at, lang)?;
        printer.send(&bytes)?;
        Ok(())
    }
}
