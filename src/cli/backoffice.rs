//! The back office over every till (`--central`): `checkout list`, `refunds`, `export refunds` and `closings` read
//! from the central ledger, each line with its till and shop, narrowed with `--till` and `--shop`. Needs the
//! centre only: no ledger is opened, no platform asked.

use anyhow::Context;
use serde_json::json;

use super::Outcome;
use super::args::*;
use super::print::print_json;
use crate::central::query::{self, Scope};
use crate::central::{self, CentralError};
use crate::domain::Amount;
use crate::domain::closing::ClosingKind;
use crate::i18n::{Lang, Localize};
use crate::till::CsvFormat;
use crate::till::logic::local_days_to_utc;

/// The commands that may read from the centre.
pub(super) fn handles(cmd: &Command) -> bool {
    matches!(
        cmd,
        Command::Checkout(CheckoutCommand::List(_))
            | Command::Refunds(_)
            | Command::Export(ExportCommand::Refunds(_))
            | Command::Closings(_)
    )
}

/// The tills a command names, if any (only meaningful with `--central`).
pub(super) fn scope_of(cmd: &Command) -> Option<&ScopeArgs> {
    match cmd {
        Command::Checkout(CheckoutCommand::List(a)) => Some(&a.scope),
        Command::Refunds(a) => Some(&a.scope),
        Command::Export(ExportCommand::Refunds(a) | ExportCommand::Sales(a)) => Some(&a.scope),
        Command::Closings(a) => Some(&a.scope),
        _ => None,
    }
}

fn scope(s: &ScopeArgs) -> Scope {
    Scope {
        till: s.till.clone(),
        shop: s.shop.clone(),
    }
}

/// The centre's URL: the one given, else `CADODESK_CENTRAL_URL`.
fn url(given: &str) -> Result<String, Outcome> {
    if !given.is_empty() {
        return Ok(given.to_string());
    }
    match std::env::var("CADODESK_CENTRAL_URL") {
        Ok(u) if !u.trim().is_empty() => Ok(u),
        _ => Err(Outcome::Refused(
            "--central: no URL given; pass --central=URL (a till's or a reader's) or set CADODESK_CENTRAL_URL"
                .into(),
        )),
    }
}

fn euros(cents: i64) -> String {
    let a = Amount::from_cents(cents.abs()).unwrap_or(Amount::ZERO);
    format!("{}{}", if cents < 0 { "-" } else { "" }, a.fr())
}

/// Runs a back-office command against the centre.
pub(super) fn run(
    global: &super::GlobalArgs,
    given: &str,
    cmd: Command,
) -> anyhow::Result<Outcome> {
    let url = match url(given) {
        Ok(u) => u,
        Err(o) => return Ok(o),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match runtime.block_on(read(global, &url, cmd)) {
        Ok(o) => Ok(o),
        Err(e @ CentralError::Export(crate::ledger::export::ExportError::Write { .. })) => {
            Err(anyhow::anyhow!(e.localize(Lang::En)))
        }
        Err(e) => Ok(Outcome::Refused(e.localize(Lang::En))),
    }
}

async fn read(
    global: &super::GlobalArgs,
    url: &str,
    cmd: Command,
) -> Result<Outcome, CentralError> {
    let client = central::connect(url).await?;
    match cmd {
        Command::Checkout(CheckoutCommand::List(a)) => {
            let (from, to) = match (a.from, a.to) {
                (Some(f), Some(t)) => {
                    let (f, t) = local_days_to_utc(f, t);
                    (Some(f), Some(t))
                }
                (Some(f), None) => (Some(local_days_to_utc(f, f).0), None),
                (None, Some(t)) => (None, Some(local_days_to_utc(t, t).1)),
                (None, None) => (None, None),
            };
            let mut rows = query::checkouts(&client, from, to, &scope(&a.scope), 10_000).await?;
            if let Some(st) = &a.status {
                rows.retain(|r| &r.state == st);
            }
            if let Some(text) = &a.text {
                rows.retain(|r| {
                    r.merchant_reference.contains(text.as_str())
                        || r.hosted_checkout_id
                            .as_deref()
                            .is_some_and(|h| h.contains(text.as_str()))
                });
            }
            if a.json {
                print_json(
                    &serde_json::to_value(&rows).map_err(|e| CentralError::Sql(e.to_string()))?,
                )
                .map_err(|e| CentralError::Sql(e.to_string()))?;
            } else {
                for r in rows {
                    println!(
                        "{}  {}  {}  {}  {}  {}  paid {}  refunded {}",
                        r.till,
                        r.created_at
                            .get(..16)
                            .unwrap_or(&r.created_at)
                            .replace('T', " "),
                        r.hosted_checkout_id.as_deref().unwrap_or("-"),
                        r.merchant_reference,
                        euros(r.amount_cents),
                        r.state,
                        euros(r.captured_cents),
                        euros(r.refunded_cents)
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Refunds(a) => {
            let (from, to) = local_days_to_utc(a.range.from, a.range.to);
            let mut out = Vec::new();
            query::for_each_refund_export_row(&client, from, to, &scope(&a.scope), |r| {
                out.push(r.clone());
                Ok::<(), std::convert::Infallible>(())
            })
            .await
            .map_err(|e| match e {
                query::ExportReadError::Centre(c) => c,
                query::ExportReadError::Sink(never) => match never {},
            })?;
            if a.range.json {
                let rows: Vec<_> = out
                    .iter()
                    .map(|r| {
                        let f = &r.row.refund;
                        json!({
                            "till": r.till,
                            "shop": r.shop,
                            "number": f.number,
                            "idempotenceKey": f.idempotence_key,
                            "refundId": f.refund_id,
                            "paymentId": f.payment_id,
                            "hostedCheckoutId": f.hosted_checkout_id,
                            "merchantReference": r.row.merchant_reference,
                            "amount": f.amount.cents(),
                            "status": f.state.code(),
                            "reason": f.reason,
                            "operator": f.operator,
                            "external": f.external,
                            "createdAt": f.created_at,
                        })
                    })
                    .collect();
                print_json(&json!(rows)).map_err(|e| CentralError::Sql(e.to_string()))?;
            } else {
                for r in &out {
                    let f = &r.row.refund;
                    println!(
                        "{}  n°{}  {}  {}  {}  {}  {}",
                        r.till,
                        f.number,
                        f.created_at.format("%Y-%m-%d %H:%M"),
                        f.payment_id,
                        f.amount.fr(),
                        f.state.code(),
                        r.row.merchant_reference
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        Command::Export(ExportCommand::Refunds(a)) => {
            let Some(format) = CsvFormat::parse(&a.format) else {
                return Ok(Outcome::Refused(format!(
                    "format '{}': use excel-fr or rfc4180",
                    a.format
                )));
            };
            let (from, to) = local_days_to_utc(a.from, a.to);
            // The till's own files on this machine are never written over, whatever the path says.
            let own = global
                .data_dir()
                .map(|d| crate::app::own_files(&d))
                .unwrap_or_default();
            let s =
                query::export_refunds(&client, from, to, &scope(&a.scope), format, &a.output, own)
                    .await?;
            if a.json {
                print_json(&json!({
                    "rows": s.rows,
                    "total": s.total.cents(),
                    "totalRefunded": s.total_refunded.cents(),
                    "totalNotPaid": s.total_not_paid.cents(),
                    "path": s.path,
                    "format": s.format.name(),
                }))
                .map_err(|e| CentralError::Sql(e.to_string()))?;
            } else {
                println!(
                    "{} refunds of every till written to {} (total {})",
                    s.rows,
                    a.output.display(),
                    s.total.fr()
                );
            }
            Ok(Outcome::Ok)
        }
        Command::Closings(a) => {
            let kind = a.kind.unwrap_or(ClosingKind::Day);
            let rows = query::closings(&client, kind, &scope(&a.scope)).await?;
            let consolidated = query::consolidate(&rows);
            if a.json {
                let tills: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        json!({
                            "till": r.till,
                            "shop": r.shop,
                            "kind": r.closing.kind.code(),
                            "number": r.closing.number,
                            "documentNumber": r.closing.document_number(),
                            "label": r.closing.label,
                            "paymentsCents": r.closing.totals.payments_cents,
                            "refundsCents": r.closing.totals.refunds_cents,
                            "periodTotalCents": r.closing.period_total_cents,
                            "perpetualTotalCents": r.closing.perpetual_total_cents,
                        })
                    })
                    .collect();
                print_json(&json!({ "tills": tills, "consolidated": consolidated }))
                    .map_err(|e| CentralError::Sql(e.to_string()))?;
            } else {
                for c in &consolidated {
                    println!(
                        "{} {}: {} tills ({}), {} sales, {} refunds, payments {}, refunds {}, net {}",
                        c.label,
                        if c.company {
                            "company".to_string()
                        } else {
                            format!("shop {}", c.shop.as_deref().unwrap_or("(none)"))
                        },
                        c.tills.len(),
                        c.tills.join(", "),
                        c.sales_count,
                        c.refunds_count,
                        euros(c.payments_cents),
                        euros(c.refunds_cents),
                        euros(c.net_cents)
                    );
                }
            }
            Ok(Outcome::Ok)
        }
        other => Ok(Outcome::Refused(format!(
            "--central applies to checkout list, refunds, export refunds and closings, not to {other:?}"
        ))),
    }
}

/// `central connect` (the URL from standard input, checked at the centre, kept in the keychain, its home a
/// journaled setting) and `central disconnect`.
pub(super) async fn connect(
    ledger: &crate::ledger::Ledger,
    operator: &str,
    cmd: &CentralCommand,
) -> anyhow::Result<Outcome> {
    use crate::ledger::keys::CENTRAL_URL_HOME;
    let (home, backend) = match cmd {
        CentralCommand::Connect(a) if a.keyutils => {
            ("keyutils", crate::vault::Backend::KernelKeyutils)
        }
        CentralCommand::Connect(_) => ("keychain", crate::vault::Backend::Platform),
        _ => {
            ledger.set_setting(operator, CENTRAL_URL_HOME, None)?;
            println!("this till no longer uses a central ledger");
            return Ok(Outcome::Ok);
        }
    };
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the central URL from standard input")?;
    let url = line.trim();
    if url.is_empty() {
        return Ok(Outcome::Refused(
            "central URL: standard input was empty; pipe the line `central add-till` printed"
                .into(),
        ));
    }
    let till = match central::upload::check_till_url(ledger, url).await {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::Refused(e.localize(Lang::En))),
    };
    let uuid = ledger
        .till_identity()?
        .map(|t| t.uuid)
        .context("the till has no identity")?;
    crate::vault::Vault::open(backend)?
        .store_central_url(&uuid, &crate::vault::Secret::new(url))?;
    ledger.set_setting(operator, CENTRAL_URL_HOME, Some(home))?;
    println!("till {till} connected to the central ledger (its URL kept in the {home})");
    Ok(Outcome::Ok)
}
