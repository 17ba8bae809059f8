//! Each subcommand run against the till, or against its records alone when it needs no platform.

use serde_json::json;

use super::Outcome;
use super::amount;
use super::args::*;
use super::print::{
    checkout_json, closing_json, print_checkout, print_closing, print_json, print_refund,
    refund_json,
};
use crate::domain::{CheckoutState, RefundState};
use crate::till::manager::{Pin, PinRule};
use crate::till::{
    CheckoutFilter, CsvFormat, NewCheckout, Records, RefundCommand, RefundFilter, Till, TillError,
};

/// Runs a command that needs only the ledger; gives any other command back.
pub(super) fn records_command(
    records: &Records,
    cmd: Command,
) -> Result<anyhow::Result<Outcome>, Box<Command>> {
    match cmd {
        Command::Checkout(CheckoutCommand::List(a)) => Ok((|| -> anyhow::Result<Outcome> {
            let status = match a.status.as_deref() {
                None => None,
                Some(s) => match s.parse::<CheckoutState>() {
                    Ok(st) => Some(st),
                    Err(_) => {
                        return Ok(Outcome::Refused(format!(
                            "status '{s}': use in_progress, paid, partially_paid, cancelled, expired or rejected"
                        )));
                    }
                },
            };
            let rows = records.list_checkouts(&CheckoutFilter {
                from: a.from,
                to: a.to,
                status,
                text: a.text,
            })?;
            if a.json {
                print_json(&json!(
                    rows.iter()
                        .map(|r| json!({
                            "hostedCheckoutId": r.hosted_checkout_id,
                            "merchantReference": r.merchant_reference,
                            "amount": r.amount.cents(),
                            "status": r.state.code(),
                            "createdAt": r.created_at,
                            "operator": r.operator,
                            "captured": r.captured.cents(),
                            "refunded": r.refunded.cents(),
                            "tenders": r.tenders,
                        }))
                        .collect::<Vec<_>>()
                ))?;
            } else {
                for r in rows {
                    println!(
                        "{}  {}  {}  {}  {}  paid {}  refunded {}",
                        r.created_at.format("%Y-%m-%d %H:%M"),
                        r.hosted_checkout_id.as_deref().unwrap_or("-"),
                        r.merchant_reference,
                        r.amount.fr(),
                        r.state.code(),
                        r.captured.fr(),
                        r.refunded.fr()
                    );
                }
            }
            Ok(Outcome::Ok)
        })()),
        Command::Refunds(RefundsArgs { range: a, .. }) => Ok((|| -> anyhow::Result<Outcome> {
            let rows = records.refunds(&RefundFilter {
                from: Some(a.from),
                to: Some(a.to),
            })?;
            if a.json {
                print_json(&json!(
                    rows.iter()
                        .map(|r| {
                            let mut v = refund_json(&r.refund);
                            v["hostedCheckoutId"] = json!(r.hosted_checkout_id);
                            v["merchantReference"] = json!(r.merchant_reference);
                            v
                        })
                        .collect::<Vec<_>>()
                ))?;
            } else {
                for r in rows {
                    print_refund(&r.refund);
                }
            }
            Ok(Outcome::Ok)
        })()),
        Command::Export(ExportCommand::Sales(a)) => Ok((|| -> anyhow::Result<Outcome> {
            let Some(format) = CsvFormat::parse(&a.format) else {
                return Ok(Outcome::Refused(format!(
                    "format '{}': use excel-fr or rfc4180",
                    a.format
                )));
            };
            let s = records.export_sales(a.from, a.to, format, &a.output)?;
            if a.json {
                print_json(&json!({
                    "rows": s.rows,
                    "paid": s.paid.cents(),
                    "refunded": s.refunded.cents(),
                    "path": a.output,
                    "format": format.name(),
                }))?;
            } else {
                println!(
                    "{} cards of the sales written to {} (paid {}, refunded {})",
                    s.rows,
                    a.output.display(),
                    s.paid.fr(),
                    s.refunded.fr()
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::Export(ExportCommand::Refunds(a)) => Ok((|| -> anyhow::Result<Outcome> {
            let Some(format) = CsvFormat::parse(&a.format) else {
                return Ok(Outcome::Refused(format!(
                    "format '{}': use excel-fr or rfc4180",
                    a.format
                )));
            };
            let s = records.export_refunds(a.from, a.to, format, &a.output)?;
            if a.json {
                print_json(&json!({
                    "rows": s.rows,
                    "total": s.total.cents(),
                    "totalRefunded": s.total_refunded.cents(),
                    "totalNotPaid": s.total_not_paid.cents(),
                    "path": a.output,
                    "format": format.name(),
                }))?;
            } else {
                println!(
                    "{} refunds written to {}: {} paid back (refunded or pending), {} declined or unsettled",
                    s.rows,
                    a.output.display(),
                    s.total.fr(),
                    s.total_not_paid.fr()
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::Pin(PinCommand::Set(a)) => Ok(pin_set(records, &a)),
        Command::Backup(a) => Ok(super::backup::backup(records, &a)),
        Command::Pin(PinCommand::Show(a)) => Ok((|| -> anyhow::Result<Outcome> {
            let p = records.pin_policy()?;
            let threshold = p.rule.threshold;
            if a.json {
                print_json(&json!({
                    "set": p.is_set(),
                    "thresholdCents": threshold.map(|t| t.cents()),
                    "always": p.rule.always,
                }))?;
            } else {
                println!(
                    "manager PIN {}; needed for {}",
                    if p.is_set() { "set" } else { "not set" },
                    match (p.rule.always, threshold) {
                        (true, _) => "every refund".to_string(),
                        (false, Some(t)) => format!("refunds above {} on one sale", t.fr()),
                        (false, None) => "no refund".to_string(),
                    }
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::Close(a) => Ok((|| -> anyhow::Result<Outcome> {
            let made = records.close_day()?;
            let rows = records.closing_list(None)?;
            let row_of = |c: &crate::domain::closing::Closing| {
                rows.iter()
                    .find(|r| r.closing.kind == c.kind && r.closing.number == c.number)
                    .cloned()
            };
            let mut printed: Vec<crate::till::ClosingRow> =
                made.iter().filter_map(row_of).collect();
            anyhow::ensure!(
                !printed.is_empty(),
                "the closing was made but could not be read back: run `cadodesk closings`"
            );
            if a.json {
                // Today's closing is the last daily one made; earlier days and the months come along.
                let today = printed
                    .iter()
                    .rposition(|r| r.closing.kind == crate::domain::closing::ClosingKind::Day)
                    .unwrap_or(0);
                let mut v = closing_json(&printed.remove(today));
                v["alsoClosed"] = json!(printed.iter().map(closing_json).collect::<Vec<_>>());
                print_json(&v)?;
            } else {
                for r in &printed {
                    print_closing(r);
                }
            }
            Ok(Outcome::Ok)
        })()),
        Command::Till(t) => Ok((|| -> anyhow::Result<Outcome> {
            let (id, json) = match t {
                TillCommand::Init(a) => (
                    records.till_init(&a.code, a.shop.as_deref(), a.address.as_deref())?,
                    a.json,
                ),
                TillCommand::Show(a) => (records.till_identity()?, a.json),
            };
            if json {
                print_json(&json!({
                    "code": id.code,
                    "uuid": id.uuid,
                    "shop": id.shop,
                    "address": id.address,
                }))?;
            } else {
                println!(
                    "till {} ({}){}{}",
                    id.code,
                    id.uuid,
                    id.shop
                        .as_deref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default(),
                    id.address
                        .as_deref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::Archive(ArchiveArgs {
            from: Some(from),
            to: Some(to),
            output: Some(output),
            json,
            ..
        }) => Ok((|| -> anyhow::Result<Outcome> {
            let s = records.archive(from, to, &output)?;
            if json {
                print_json(&serde_json::to_value(&s)?)?;
            } else {
                println!(
                    "archive {} written: {} closings, entries {} to {} ({} entries, {} technical events), signed by key {}; SHA-256 {}",
                    s.file,
                    s.closings,
                    s.first_seq,
                    s.last_seq,
                    s.entries,
                    s.events,
                    s.key_id,
                    s.sha256
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::ZReport(a) => Ok((|| -> anyhow::Result<Outcome> {
            let lang = if a.lang == "en" {
                crate::i18n::Lang::En
            } else {
                crate::i18n::Lang::Fr
            };
            let (row, pdf) = records.z_report(a.kind, a.number, lang)?;
            write_new_file(&a.output, &pdf)?;
            if a.json {
                let mut v = closing_json(&row);
                v["path"] = json!(a.output);
                v["bytes"] = json!(pdf.len());
                print_json(&v)?;
            } else {
                println!(
                    "Z report of the {} closing n°{} ({}) written to {}",
                    row.closing.kind.code(),
                    row.closing.number,
                    row.closing.label,
                    a.output.display()
                );
            }
            Ok(Outcome::Ok)
        })()),
        Command::Receipt(a) => Ok(super::receipt::receipt(records, &a)),
        Command::Closings(a) => Ok((|| -> anyhow::Result<Outcome> {
            let rows = records.closing_list(a.kind)?;
            if a.json {
                print_json(&json!(rows.iter().map(closing_json).collect::<Vec<_>>()))?;
            } else {
                for r in &rows {
                    print_closing(r);
                }
            }
            Ok(Outcome::Ok)
        })()),
        other => Err(Box::new(other)),
    }
}

pub(super) async fn till_command(till: &Till, cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Checkout(CheckoutCommand::Create(a)) => {
            let view = till
                .create_checkout(NewCheckout {
                    amount: amount(&a.amount)?,
                    merchant_reference: a.reference,
                    email: a.email,
                    locale: a.locale,
                    return_url: a.return_url,
                })
                .await?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Checkout(CheckoutCommand::Status(a)) => {
            let view = till.refresh(&a.id).await?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Checkout(CheckoutCommand::Cancel(a)) => {
            let view = till.abandon_sale(&a.id, &a.reason).await?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Checkout(CheckoutCommand::TakeIn(a)) => {
            let hosted = till.take_in_sale(&a.id).await?;
            let view = till
                .checkout(&hosted)?
                .ok_or_else(|| TillError::UnknownCheckout(hosted.clone()))?;
            if a.json {
                print_json(&checkout_json(&view))?;
            } else {
                print_checkout(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Refund(a) => {
            let pin = pin_from_stdin(a.manager_pin_stdin)?;
            let view = till
                .refund_with_pin(
                    RefundCommand {
                        payment_id: a.payment_id,
                        amount: amount(&a.amount)?,
                        reason: a.reason,
                    },
                    pin.as_ref(),
                )
                .await?;
            if a.json {
                print_json(&refund_json(&view))?;
            } else {
                print_refund(&view);
            }
            Ok(match view.state {
                RefundState::Declined => Outcome::Refused(format!(
                    "refund n°{} declined by the platform: {}",
                    view.number,
                    view.failure.as_deref().unwrap_or("no reason given")
                )),
                RefundState::Unknown | RefundState::Requested => Outcome::Unsettled(format!(
                    "refund n°{}: the platform's answer was lost; run `cadodesk resume` to settle it (never refund again)",
                    view.number
                )),
                _ => Outcome::Ok,
            })
        }
        Command::RefundClose(a) => {
            let pin = pin_from_stdin(a.manager_pin_stdin)?;
            let view = till
                .close_refund_with_pin(&a.refund, &a.reason, pin.as_ref())
                .await?;
            if a.json {
                print_json(&refund_json(&view))?;
            } else {
                print_refund(&view);
            }
            Ok(Outcome::Ok)
        }
        Command::Reconcile(a) => {
            let report = till.reconcile(a.from, a.to).await?;
            if a.json {
                print_json(&serde_json::to_value(&report)?)?;
            } else {
                println!(
                    "{} checkouts, {} payments re-read; {} external refunds imported; {} refunds updated",
                    report.checkouts_checked,
                    report.payments_checked,
                    report.refunds_imported,
                    report.refunds_updated
                );
                for d in &report.differences {
                    println!("  {d}");
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Resume(a) => {
            let n = till.resume().await?;
            if a.json {
                print_json(&json!({ "handled": n }))?;
            } else {
                println!("{n} unfinished items handled");
            }
            Ok(Outcome::Ok)
        }
        Command::TestConnection(a) => {
            till.test_connection().await?;
            if a.json {
                print_json(&json!({ "result": "OK" }))?;
            } else {
                println!("OK");
            }
            Ok(Outcome::Ok)
        }
        // Handled before a till is opened.
        Command::App
        | Command::Sandbox(_)
        | Command::Keychain(_)
        | Command::Checkout(CheckoutCommand::List(_))
        | Command::Refunds(_)
        | Command::Export(_)
        | Command::Pin(_)
        | Command::Close(_)
        | Command::Closings(_)
        | Command::ZReport(_)
        | Command::Receipt(_)
        | Command::Archive(_)
        | Command::Central(_)
        | Command::Sync(_)
        | Command::Till(_)
        | Command::Ledger(_)
        | Command::Backup(_)
        | Command::Restore(_)
        | Command::Key(_) => Ok(Outcome::Ok),
    }
}

/// `ledger verify`: prints the report; the outcome and the report (to journal the check).
pub(super) fn ledger_verify(
    records: &Records,
    a: &JsonArgs,
) -> anyhow::Result<(Outcome, crate::ledger::VerifyReport)> {
    let r = records.verify_ledger()?;
    if a.json {
        let mut v = serde_json::to_value(&r)?;
        v["sound"] = json!(r.is_sound());
        v["message"] = json!(r.first_break.as_ref().map(|b| b.describe_en()));
        print_json(&v)?;
    } else {
        if r.is_sound() {
            println!(
                "journal sound: {} entries, last hash {}",
                r.entries_checked, r.last_hash
            );
        }
        match (&r.sealed_by, &r.key_home) {
            (Some(k), Some(home)) if home.starts_with("file:") => println!(
                "sealed by key {k}, kept in a file ({}): whoever can read that file can re-seal the journal",
                home.trim_start_matches("file:")
            ),
            (Some(k), _) => println!("sealed by key {k}, kept in the OS keychain"),
            (None, _) => {}
        }
        for n in &r.notes {
            println!("note: {n}");
        }
    }
    let outcome = match &r.first_break {
        None => Outcome::Ok,
        Some(b) => Outcome::Refused(format!(
            "journal broken at entry {}: {}",
            b.seq(),
            b.describe_en()
        )),
    };
    Ok((outcome, r))
}

/// Writes `bytes` to `path`, a file that must not exist, whole or not at all (a temporary file beside it, synced,
/// then linked into place).
pub(super) fn write_new_file(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.{}.partial",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    written.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::Error::from(TillError::OutputExists(path.display().to_string()))
        } else {
            anyhow::anyhow!("{}: {e}", path.display())
        }
    })
}

/// `archive verify FILE`: the file alone; the first difference is one line and exit 1.
pub(super) fn archive_verify(a: &ArchiveVerifyArgs) -> anyhow::Result<Outcome> {
    use crate::i18n::{Lang, Localize};
    match crate::till::archive::verify_archive(&a.file) {
        Ok(r) => {
            if a.json {
                let mut v = serde_json::to_value(&r)?;
                v["sound"] = json!(true);
                print_json(&v)?;
            } else {
                println!(
                    "archive sound: till {}, {} to {}, {} entries ({} seals checked, {} written before the journal had a key), {} closings recomputed, {} technical events; manifest signed by key {}",
                    r.till,
                    r.from,
                    r.to,
                    r.entries,
                    r.seals,
                    r.unsealed,
                    r.closings,
                    r.events,
                    r.key_id
                );
            }
            Ok(Outcome::Ok)
        }
        Err(e) => {
            if a.json {
                print_json(&json!({"sound": false, "message": e.localize(Lang::En)}))?;
            }
            Ok(Outcome::Refused(e.localize(Lang::En)))
        }
    }
}

/// One line of standard input, without its line end: the way PINs are given, never on the command line.
fn stdin_line(what: &str) -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| anyhow::anyhow!("{what}: standard input could not be read ({e})"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// The manager PIN from standard input, when `--manager-pin-stdin` says so.
fn pin_from_stdin(asked: bool) -> anyhow::Result<Option<Pin>> {
    if !asked {
        return Ok(None);
    }
    let pin = Pin::new(&stdin_line("manager PIN")?);
    Ok((!pin.is_empty()).then_some(pin))
}

/// `pin set`: the current PIN (once one is set) and the new one, a line each, then the rule from the options.
fn pin_set(records: &Records, a: &PinSetArgs) -> anyhow::Result<Outcome> {
    let policy = records.pin_policy()?;
    let threshold = if a.no_threshold {
        None
    } else if let Some(t) = &a.threshold {
        Some(crate::domain::Amount::parse_positive(t).map_err(TillError::ThresholdInvalid)?)
    } else {
        policy.rule.threshold
    };
    let current = if policy.is_set() {
        Some(Pin::new(&stdin_line("current PIN")?))
    } else {
        None
    };
    let new_pin = Pin::new(&stdin_line("new PIN")?);
    let new_pin = (!new_pin.is_empty()).then_some(new_pin);
    let always = if a.always {
        true
    } else if a.not_always {
        false
    } else {
        policy.rule.always
    };
    let rule = PinRule { threshold, always };
    records.set_pin_rules(current.as_ref(), new_pin.as_ref(), rule)?;
    if a.json {
        print_json(&json!({
            "set": new_pin.is_some() || policy.is_set(),
            "thresholdCents": threshold.map(|t| t.cents()),
            "always": always,
        }))?;
    } else {
        println!(
            "manager PIN {}; rule saved",
            if new_pin.is_some() { "changed" } else { "kept" }
        );
    }
    Ok(Outcome::Ok)
}
