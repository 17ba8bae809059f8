//! `receipt`: a sale's receipt or a refund's note to a new file or to an ESC/POS printer, then its print journaled.

use serde_json::json;

use super::Outcome;
use super::args::ReceiptArgs;
use super::dispatch::write_new_file;
use super::print::print_json;
use crate::till::Records;

/// `receipt`: the document to a new file or to a printer, then its print journaled.
pub(super) fn receipt(records: &Records, a: &ReceiptArgs) -> anyhow::Result<Outcome> {
    use crate::till::{PrinterAddress, ReceiptError, ReceiptFormat, ReceiptTarget};
    let lang = if a.lang == "en" {
        crate::i18n::Lang::En
    } else {
        crate::i18n::Lang::Fr
    };
    let target = if a.what == "refund" {
        match a.id.trim().trim_start_matches("n°").parse::<i64>() {
            Ok(n) if n >= 1 => ReceiptTarget::Refund(n),
            _ => {
                return Ok(Outcome::Refused(format!(
                    "refund '{}': give the refund's number, as `refunds` shows it",
                    a.id
                )));
            }
        }
    } else {
        ReceiptTarget::Sale(a.id.trim().to_string())
    };
    let refused = |e: ReceiptError| -> anyhow::Result<Outcome> {
        if e.is_refusal() {
            Ok(Outcome::Refused(e.to_string()))
        } else {
            Err(anyhow::Error::from(e))
        }
    };
    let (prepared, entry, to) = match (&a.printer, &a.output) {
        (Some(printer), _) => {
            let printer = match PrinterAddress::parse(printer) {
                Ok(p) => p,
                Err(e) => return Ok(Outcome::Refused(e.to_string())),
            };
            match records.print_receipt(&target, a.duplicate, &printer, lang) {
                Ok((p, e)) => (p, e, printer.to_string()),
                Err(e) => return refused(e),
            }
        }
        (None, Some(path)) => {
            let format = ReceiptFormat::from_code(&a.format).unwrap_or(ReceiptFormat::Pdf);
            let prepared = match records.prepare_receipt(&target, a.duplicate, format, lang) {
                Ok(p) => p,
                Err(e) => return refused(e),
            };
            write_new_file(path, &prepared.bytes)?;
            let entry = records.receipt_handed_out(&prepared, "file")?;
            (prepared, entry, path.display().to_string())
        }
        (None, None) => {
            return Ok(Outcome::Refused(
                "receipt: give -o FILE or --printer tcp://HOST:PORT".into(),
            ));
        }
    };
    let r = &prepared.receipt;
    if a.json {
        print_json(&json!({
            "document": r.document,
            "kind": r.kind.code(),
            "reference": r.reference,
            "refunds": prepared.refunds,
            "copy": r.copy,
            "format": prepared.format.code(),
            "to": to,
            "bytes": prepared.bytes.len(),
            "seq": entry.seq,
        }))?;
    } else {
        let copy = if r.copy > 0 {
            format!(" (DUPLICATA {})", r.copy)
        } else {
            String::new()
        };
        println!(
            "{} {}{copy} sent to {to} (journal entry {})",
            r.kind.code(),
            r.document,
            entry.seq
        );
    }
    Ok(Outcome::Ok)
}
