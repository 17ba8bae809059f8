//! Each command carried out: the till's use cases, on the worker, with the answers sent back as events.

use chrono::NaiveDate;

use crate::app::settings::{self};
use crate::domain::CheckoutState;
use crate::till::{CheckoutFilter, CsvFormat, NewCheckout, RefundCommand, RefundFilter, TillError};
use crate::ui::convert;
use crate::ui::file_dialog;
use crate::ui::model::{CsvProfile, UiError};
use crate::ui::text;

use super::engine::{Engine, VaultText, blocking, current_sandbox_url, till_error};
use super::{Command, Event, Origin, Outbox};

pub(super) async fn handle_inner(
    engine: &Engine,
    command: Command,
    outbox: &Outbox,
) -> Result<(), UiError> {
    match command {
        Command::OpenUrl(url) => {
            let result = tokio::task::spawn_blocking(move || open::that(&url)).await;
            match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(UiError::new(text::BROWSER_FAILED, e.to_string())),
                Err(e) => Err(UiError::new(text::BROWSER_FAILED, e.to_string())),
            }
        }
        Command::CreateCheckout {
            amount,
            reference,
            email,
        } => {
            let till = engine.till()?;
            let locale = engine.settings().lang.pick("fr_FR", "en_GB").to_string();
            let view = till
                .create_checkout(NewCheckout {
                    amount,
                    merchant_reference: reference,
                    email,
                    locale,
                    return_url: None,
                })
                .await
                .map_err(|e| till_error(&e))?;
            outbox.send(Event::CheckoutCreated(Box::new(convert::checkout(&view))));
            Ok(())
        }
        Command::AbandonSale { id, reason } => {
            let till = engine.till()?;
            let view = till
                .abandon_sale(&id, &reason)
                .await
                .map_err(|e| till_error(&e))?;
            outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))));
            Ok(())
        }
        Command::LoadOpenSales => {
            let till = engine.till()?;
            let open = blocking(move || {
                let mut open = Vec::new();
                for state in [CheckoutState::InProgress, CheckoutState::PartiallyPaid] {
                    let rows = till.list_checkouts(&CheckoutFilter {
                        status: Some(state),
                        ..CheckoutFilter::default()
                    })?;
                    for id in rows.iter().filter_map(|r| r.hosted_checkout_id.as_ref()) {
                        if let Some(v) = till.checkout(id)?
                            && v.abandoned.is_none()
                        {
                            open.push(convert::checkout(&v));
                        }
                    }
                }
                open.sort_by_key(|s| std::cmp::Reverse(s.created_at));
                Ok(open)
            })
            .await?;
            outbox.send(Event::OpenSales(open));
            Ok(())
        }
        Command::Refresh { id } => {
            let till = engine.till()?;
            let view = till.refresh(&id).await.map_err(|e| till_error(&e))?;
            outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))));
            Ok(())
        }
        Command::LoadCheckouts(query) => {
            let till = engine.till()?;
            let filter = CheckoutFilter {
                from: query.from,
                to: query.to,
                status: query.status,
                text: query.text,
            };
            let rows = blocking(move || till.list_checkouts(&filter)).await?;
            outbox.send(Event::Checkouts(
                rows.iter().filter_map(convert::checkout_row).collect(),
            ));
            Ok(())
        }
        c @ (Command::LoadAllTills { .. }
        | Command::ExportAllTills { .. }
        | Command::LoadReceiptPrinter
        | Command::SetReceiptPrinter { .. }
        | Command::PrinterTestPage
        | Command::ReceiptToPhone { .. }
        | Command::Backup { .. }
        | Command::TakeIn { .. }) => super::shop::handle(engine, c, outbox).await,
        c @ (Command::LoadToday | Command::SetDisplay { .. }) => {
            super::counter::handle(engine, c, outbox).await
        }
        Command::LoadCheckout { id } => {
            let till = engine.till()?;
            let missing = id.clone();
            let view = blocking(move || till.checkout(&id)).await?;
            match view {
                Some(v) => {
                    outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&v))));
                    Ok(())
                }
                None => Err(till_error(&TillError::UnknownCheckout(missing))),
            }
        }
        Command::Allocate {
            checkout_id,
            amount,
        } => {
            let till = engine.till()?;
            let id = checkout_id.clone();
            let parts = blocking(move || till.allocate(&id, amount)).await?;
            outbox.send(Event::Allocation { checkout_id, parts });
            Ok(())
        }
        Command::Refund {
            checkout_id,
            parts,
            reason,
            pin,
        } => {
            let till = engine.till()?;
            let total: crate::domain::Amount = parts.iter().map(|(_, a)| *a).sum();
            let approving = till.clone();
            let (hosted, pin_typed) = (checkout_id.clone(), pin.clone());
            let approval = tokio::task::spawn_blocking(move || {
                approving.approve_refund(&hosted, total, pin_typed.as_ref())
            })
            .await
            .map_err(|e| UiError::new(text::WORKER_GONE, e.to_string()))?;
            let approval = match approval {
                Ok(a) => a,
                Err(e) if e.is_pin_refusal() => {
                    // Nothing sent: the dialog goes back to its confirmation to have the PIN typed again.
                    outbox.send(Event::Failed {
                        origin: Origin::RefundPin,
                        error: till_error(&e),
                    });
                    return Ok(());
                }
                Err(e) => {
                    // One check for the whole order: every part fails with its answer, none is sent.
                    let error = till_error(&e);
                    for _ in &parts {
                        outbox.send(Event::Failed {
                            origin: Origin::Refund,
                            error: error.clone(),
                        });
                    }
                    return Ok(());
                }
            };
            for (payment_id, amount) in parts {
                let result = till
                    .refund_approved(
                        RefundCommand {
                            payment_id,
                            amount,
                            reason: reason.clone(),
                        },
                        Some(&approval),
                    )
                    .await;
                match result {
                    Ok(refund) => {
                        outbox.send(Event::RefundRecorded(Box::new(convert::refund(&refund))))
                    }
                    Err(e) => outbox.send(Event::Failed {
                        origin: Origin::Refund,
                        error: till_error(&e),
                    }),
                }
            }
            // Whatever happened, the checkout's state changed in the ledger: show it.
            let reread = till.clone();
            if let Ok(Some(view)) = blocking(move || reread.checkout(&checkout_id)).await {
                outbox.send(Event::CheckoutUpdated(Box::new(convert::checkout(&view))));
            }
            Ok(())
        }
        Command::LoadRefunds { from, to } => {
            let till = engine.till()?;
            let rows = blocking(move || till.refunds(&RefundFilter { from, to })).await?;
            let tills = engine.till()?;
            // Tender labels come from each refund's checkout; the ledger is local, so this stays quick.
            let out = blocking(move || {
                let mut cache = std::collections::HashMap::new();
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let label = match cache.get(&r.hosted_checkout_id) {
                        Some(v) => v,
                        None => {
                            let v = tills.checkout(&r.hosted_checkout_id)?;
                            cache.entry(r.hosted_checkout_id.clone()).or_insert(v)
                        }
                    };
                    out.push(convert::refund_row(r, label.as_ref()));
                }
                Ok(out)
            })
            .await?;
            outbox.send(Event::Refunds(out));
            Ok(())
        }
        Command::Export {
            from,
            to,
            profile,
            path,
        } => {
            let till = engine.till()?;
            let from = from.unwrap_or(NaiveDate::MIN);
            let to = to.unwrap_or_else(|| {
                till.now()
                    .with_timezone(&chrono_tz::Europe::Paris)
                    .date_naive()
                    .succ_opt()
                    .unwrap_or(NaiveDate::MAX)
            });
            let format = match profile {
                CsvProfile::ExcelFr => CsvFormat::ExcelFr,
                CsvProfile::Rfc4180 => CsvFormat::Rfc4180,
            };
            let target = path.clone();
            let summary = blocking(move || till.export_refunds(from, to, format, &target)).await?;
            outbox.send(Event::Exported {
                path,
                rows: summary.rows,
            });
            Ok(())
        }
        Command::ChooseExportFile { current } => {
            if !engine
                .config
                .file_dialog
                .unwrap_or_else(file_dialog::available)
            {
                return Err(UiError::new(
                    text::NO_FILE_DIALOG,
                    "no desktop portal session bus and no zenity on this machine",
                ));
            }
            let (dir, name) = file_dialog::start_from(&current);
            let mut dialog = rfd::AsyncFileDialog::new()
                .set_title(
                    engine
                        .settings()
                        .lang
                        .pick("Exporter les remboursements", "Export refunds"),
                )
                .add_filter("CSV", &["csv"])
                .set_file_name(file_dialog::file_name_for(
                    dir.as_deref(),
                    &name,
                    file_dialog::zenity_likely(),
                ));
            if let Some(dir) = dir {
                dialog = dialog.set_directory(dir);
            }
            let chosen = dialog
                .save_file()
                .await
                .map(|file| file_dialog::with_csv_extension(file.path().to_path_buf()));
            outbox.send(Event::ExportFileChosen(chosen));
            Ok(())
        }
        Command::ZReport { kind, number } => {
            let till = engine.till()?;
            let lang = engine.settings().lang;
            let folder = engine.config.data_dir.join("rapports");
            let open = engine.config.open_documents;
            let path = blocking(move || {
                let (row, pdf) = till.z_report(kind, Some(number), lang)?;
                let name = format!(
                    "Z-{}-{}-{:04}.pdf",
                    row.closing.till,
                    kind.code(),
                    row.closing.number
                );
                write_document(&folder, &name, &pdf).map_err(|e| {
                    TillError::Config(format!("{}: {e}", folder.join(&name).display()))
                })
            })
            .await?;
            if open && let Err(e) = open::that_detached(&path) {
                tracing::warn!(path = %path.display(), error = %e, "the Z report could not be opened");
            }
            outbox.send(Event::ZReportWritten(path));
            Ok(())
        }
        Command::Receipt { target, duplicate } => {
            let till = engine.till()?;
            let lang = engine.settings().lang;
            let folder = engine.config.data_dir.join("recus");
            let open = engine.config.open_documents;
            let done = tokio::task::spawn_blocking(move || {
                receipt(&till, &target, duplicate, lang, &folder)
            })
            .await
            .map_err(|e| UiError::new(text::WORKER_GONE, e.to_string()))??;
            if open
                && let Some(path) = &done.2
                && let Err(e) = open::that_detached(path)
            {
                tracing::warn!(path = %path.display(), error = %e, "the receipt could not be opened");
            }
            outbox.send(Event::ReceiptDone {
                document: done.0,
                copy: done.1,
                to: done.3,
            });
            Ok(())
        }
        Command::LoadClosings => {
            let till = engine.till()?;
            let rows = blocking(move || till.closing_list(None)).await?;
            outbox.send(Event::Closings(rows));
            Ok(())
        }
        Command::PreviewDay => {
            let till = engine.till()?;
            let preview = blocking(move || till.preview_day()).await?;
            outbox.send(Event::DayPreview(Box::new(preview)));
            Ok(())
        }
        Command::CloseDay => {
            let till = engine.till()?;
            let lister = till.clone();
            let made = blocking(move || till.close_day()).await?;
            outbox.send(Event::DayClosed(made));
            let rows = blocking(move || lister.closing_list(None)).await?;
            outbox.send(Event::Closings(rows));
            Ok(())
        }
        Command::VerifyLedger => {
            let till = engine.till()?;
            let report = blocking(move || till.check_integrity()).await?;
            let lang = engine.settings().lang;
            outbox.send(Event::Verified {
                ok: report.is_sound(),
                entries: report.entries_checked,
                detail: report
                    .first_break
                    .as_ref()
                    .map(|b| match lang {
                        crate::i18n::Lang::Fr => b.describe_fr(),
                        crate::i18n::Lang::En => b.describe_en(),
                    })
                    .unwrap_or_default(),
                seal: seal_lines(&report, lang),
            });
            Ok(())
        }
        Command::TestConnection { settings, secret } => {
            let till = engine.build_till(&settings, secret.as_ref()).await?;
            till.test_connection().await.map_err(|e| till_error(&e))?;
            outbox.send(Event::ConnectionOk);
            Ok(())
        }
        Command::SaveSettings {
            settings,
            secret,
            pin_change,
        } => {
            let mut settings = *settings;
            // The theme and text size change on their own (Réglages → Affichage), never through this form.
            let current = engine.settings();
            settings.theme = current.theme;
            settings.text_size = current.text_size;
            if let Some(change) = pin_change {
                let records = crate::till::Records::new(engine.ledger.clone(), &settings.operator);
                let stored = blocking(move || {
                    records.set_pin_rules(
                        change.current.as_ref(),
                        change.new_pin.as_ref(),
                        change.rule,
                    )?;
                    settings::load(records.ledger(), &settings::Overrides::default())
                        .map_err(TillError::Ledger)
                })
                .await?;
                // The PIN's hash and rule are the till's, as now stored.
                settings.pin_hash = stored.pin_hash;
                settings.pin_threshold = stored.pin_threshold;
                settings.pin_always = stored.pin_always;
            }
            if let Some(secret) = &secret {
                let vault = engine
                    .vault
                    .clone()
                    .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))?;
                let (m, k, s) = (
                    settings.merchant_id.clone(),
                    settings.api_key_id.clone(),
                    secret.clone(),
                );
                tokio::task::spawn_blocking(move || vault.store_api_secret(&m, &k, &s))
                    .await
                    .map_err(|e| UiError::new(text::WORKER_GONE, e.to_string()))?
                    .map_err(|e| UiError::localized(&VaultText(&e), e.to_string()))?;
            }
            let ledger = engine.ledger.clone();
            let to_store = settings.clone();
            blocking(move || settings::store(&ledger, &to_store).map_err(TillError::Ledger))
                .await?;
            let keychain = engine.keychain_state(&settings);
            // The settings are stored even when the till cannot be rebuilt (say, no secret yet): the error says
            // what is missing, and the next save or start picks them up.
            let till = engine.build_till(&settings, secret.as_ref()).await;
            let sandbox_url = current_sandbox_url(engine, &settings).await;
            match till {
                Ok(t) => {
                    engine.set_till(settings.clone(), Some(t));
                    outbox.send(Event::SettingsSaved {
                        settings: Box::new(settings),
                        keychain,
                        sandbox_url,
                    });
                    Ok(())
                }
                Err(e) => {
                    engine.set_till(settings.clone(), None);
                    outbox.send(Event::SettingsSaved {
                        settings: Box::new(settings),
                        keychain,
                        sandbox_url,
                    });
                    outbox.send(Event::StartFailed(e.clone()));
                    Err(e)
                }
            }
        }
    }
}

pub(super) fn origin_of(command: &Command) -> Origin {
    match command {
        Command::CreateCheckout { .. } => Origin::Create,
        Command::AbandonSale { .. } => Origin::Abandon,
        Command::LoadOpenSales => Origin::OpenSales,
        Command::Refresh { .. } => Origin::Refresh,
        Command::OpenUrl(_) => Origin::Open,
        Command::LoadCheckouts(_) => Origin::List,
        Command::LoadCheckout { .. } => Origin::Detail,
        Command::Allocate { .. } => Origin::Allocate,
        Command::Refund { .. } => Origin::Refund,
        Command::LoadRefunds { .. } => Origin::Refunds,
        Command::Export { .. } => Origin::Export,
        Command::ChooseExportFile { .. } => Origin::ExportFile,
        Command::VerifyLedger => Origin::Verify,
        Command::LoadClosings
        | Command::PreviewDay
        | Command::CloseDay
        | Command::ZReport { .. } => Origin::Closings,
        Command::SaveSettings { .. } => Origin::Settings,
        Command::TestConnection { .. } => Origin::Connection,
        Command::Receipt { .. } => Origin::Receipt,
        Command::Backup { .. } => Origin::Backup,
        Command::LoadReceiptPrinter
        | Command::SetReceiptPrinter { .. }
        | Command::PrinterTestPage => Origin::Printer,
        Command::ReceiptToPhone { .. } => Origin::ReceiptPhone,
        Command::LoadToday => Origin::Today,
        Command::SetDisplay { .. } => Origin::Display,
        Command::LoadAllTills { .. } | Command::TakeIn { .. } | Command::ExportAllTills { .. } => {
            Origin::AllTills
        }
    }
}

/// The journal's seal in words: which key and where it is kept (a file protects less), then each note (notes are
/// in English: they quote entry numbers and key ids).
fn seal_lines(report: &crate::till::VerifyReport, lang: crate::i18n::Lang) -> Vec<String> {
    let mut out = Vec::new();
    match (&report.sealed_by, report.key_home.as_deref()) {
        (Some(k), Some(home)) if home.starts_with("file:") => out.push(lang.pick(
            &format!("Scellé par la clé {k}, gardée dans un fichier ({}) : quiconque lit ce fichier peut resceller le journal", home.trim_start_matches("file:")),
            &format!("Sealed by key {k}, kept in a file ({}): whoever can read that file can re-seal the journal", home.trim_start_matches("file:")),
        ).to_string()),
        (Some(k), _) => out.push(lang.pick(
            &format!("Scellé par la clé {k}, gardée dans le trousseau du système"),
            &format!("Sealed by key {k}, kept in the OS keychain"),
        ).to_string()),
        (None, _) => {}
    }
    out.extend(report.notes.iter().cloned());
    out
}

/// A receipt on the chosen printer, else a PDF in `folder`: (document, copy, the PDF's path, where it went).
fn receipt(
    till: &crate::till::Till,
    target: &crate::till::ReceiptTarget,
    duplicate: bool,
    lang: crate::i18n::Lang,
    folder: &std::path::Path,
) -> Result<(String, u32, Option<std::path::PathBuf>, String), UiError> {
    use crate::till::ReceiptFormat;
    let failed = |e: &dyn crate::i18n::Localize| UiError::localized(e, String::new());
    if let Some(printer) = till.receipt_printer().map_err(|e| failed(&e))? {
        let (p, _) = till
            .print_receipt(target, duplicate, &printer, lang)
            .map_err(|e| failed(&e))?;
        return Ok((
            p.receipt.document,
            p.receipt.copy,
            None,
            printer.to_string(),
        ));
    }
    let p = till
        .prepare_receipt(target, duplicate, ReceiptFormat::Pdf, lang)
        .map_err(|e| failed(&e))?;
    let name = match p.receipt.copy {
        0 => format!("{}.pdf", p.receipt.document),
        n => format!("{}-duplicata-{n}.pdf", p.receipt.document),
    };
    let path = write_document(folder, &name, &p.bytes).map_err(|e| {
        failed(&crate::till::TillError::Config(format!(
            "{}: {e}",
            folder.join(&name).display()
        )))
    })?;
    till.receipt_handed_out(&p, "file")
        .map_err(|e| failed(&e))?;
    let to = path.display().to_string();
    Ok((p.receipt.document, p.receipt.copy, Some(path), to))
}

/// Writes a document the till can make again (a Z report) into `folder`, whole: a temporary file, synced, renamed
/// over the previous copy.
fn write_document(
    folder: &std::path::Path,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<std::path::PathBuf> {
    use std::io::Write;
    std::fs::create_dir_all(folder)?;
    let path = folder.join(name);
    let tmp = folder.join(format!(".{name}.{}.partial", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map(|()| path)
}
