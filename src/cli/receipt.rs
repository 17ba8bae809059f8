//! `receipt`: a sale's receipt or a refund's note to a new file or to an ESC/POS printer, then its print journaled;
//! the receipt printer chosen; a test page.

use serde_json::json;

use super::Outcome;
use super::args::ReceiptArgs;
use super::dispatch::write_new_file;
use super::print::print_json;
use crate::i18n::Lang;
use crate::till::{PrinterAddress, ReceiptError, ReceiptFormat, ReceiptTarget, Records};

/// A refusal is one line and exit 1; anything else is an error.
fn refused(e: ReceiptError) -> anyhow::Result<Outcome> {
    if e.is_refusal() || matches!(e, ReceiptError::Printer(_)) {
        Ok(Outcome::Refused(e.to_string()))
    } else {
        Err(anyhow::Error::from(e))
    }
}

/// The printer named by --printer, else the one chosen; `Err` is the refusal to print.
fn printer_of(
    records: &Records,
    a: &ReceiptArgs,
) -> anyhow::Result<Result<PrinterAddress, String>> {
    match &a.printer {
        Some(p) => Ok(PrinterAddress::parse(p).map_err(|e| e.to_string())),
        None => match records.receipt_printer() {
            Ok(Some(p)) => Ok(Ok(p)),
            Ok(None) => Ok(Err(
                "receipt: give -o FILE or --printer tcp://HOST:PORT, or choose the receipt printer with `receipt printer tcp://HOST:PORT`".into(),
            )),
            // A stored address no longer readable names itself; the ledger's failures are errors.
            Err(e @ ReceiptError::Printer(_)) => Ok(Err(e.to_string())),
            Err(e) => Err(e.into()),
        },
    }
}

/// `receipt`: the document to a new file or to a printer, then its print journaled.
pub(super) fn receipt(records: &Records, a: &ReceiptArgs) -> anyhow::Result<Outcome> {
    let lang = if a.lang == "en" { Lang::En } else { Lang::Fr };
    let id = a.id.as_deref().map(str::trim).unwrap_or_default();
    let target = match a.what.as_str() {
        "printer" => {
            let chosen = match id {
                "" => return Ok(Outcome::Refused(
                    "receipt printer: give its address (tcp://HOST:PORT, usb:/dev/usb/lp0, serial:/dev/ttyUSB0) or `none`".into(),
                )),
                "none" => None,
                address => Some(address),
            };
            return match records.set_receipt_printer(chosen) {
                Ok(Some(p)) => {
                    println!("receipt printer: {p}");
                    Ok(Outcome::Ok)
                }
                Ok(None) => {
                    println!("receipt printer: none (receipts go to files)");
                    Ok(Outcome::Ok)
                }
                Err(e) => refused(e),
            };
        }
        "test-page" => {
            let printer = match printer_of(records, a)? {
                Ok(p) => p,
                Err(line) => return Ok(Outcome::Refused(line)),
            };
            return match records.print_test_page(&printer, lang) {
                Ok(()) => {
                    println!("test page sent to {printer}");
                    Ok(Outcome::Ok)
                }
                Err(e) => refused(e),
            };
        }
        "refund" => match id.trim_start_matches("n°").parse::<i64>() {
            Ok(n) if n >= 1 => ReceiptTarget::Refund(n),
            _ => {
                return Ok(Outcome::Refused(format!(
                    "refund '{id}': give the refund's number, as `refunds` shows it"
                )));
            }
        },
        _ if id.is_empty() => {
            return Ok(Outcome::Refused(
                "receipt sale: give the sale's order reference, as `checkout list` shows it".into(),
            ));
        }
        _ => ReceiptTarget::Sale(id.to_string()),
    };
    let (prepared, entry, to) = match &a.output {
        None => {
            let printer = match printer_of(records, a)? {
                Ok(p) => p,
                Err(line) => return Ok(Outcome::Refused(line)),
            };
            match records.print_receipt(&target, a.duplicate, &printer, lang) {
                Ok((p, e)) => (p, e, printer.to_string()),
                Err(e) => return refused(e),
            }
        }
        Some(path) => {
            let format = ReceiptFormat::from_code(&a.format).unwrap_or(ReceiptFormat::Pdf);
            let prepared = match records.prepare_receipt(&target, a.duplicate, format, lang) {
                Ok(p) => p,
                Err(e) => return refused(e),
            };
            write_new_file(path, &prepared.bytes)?;
            let entry = records.receipt_handed_out(&prepared, "file")?;
            (prepared, entry, path.display().to_string())
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
