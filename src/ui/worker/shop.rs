//! The worker's handlers for the shop's own files and the other tills: every till read from the central ledger and
//! exported, a sale of another till taken in, a backup of the ledger, the receipt printer.

use crate::till::CsvFormat;
use crate::ui::model::UiError;
use crate::ui::text;

use super::engine::{Engine, till_error};
use super::{Command, Event, Outbox};

pub(super) async fn handle(
    engine: &Engine,
    command: Command,
    outbox: &Outbox,
) -> Result<(), UiError> {
    match command {
        Command::LoadAllTills {
            from,
            to,
            till,
            shop,
        } => {
            let url = engine
                .central_url()
                .ok_or_else(|| UiError::new(text::NO_CENTRE, "no central URL"))?;
            let scope = crate::app::centre::Scope { till, shop };
            match crate::app::centre::read_all(&url, from, to, &scope).await {
                Ok(all) => {
                    outbox.send(Event::AllTills(Box::new(all)));
                    Ok(())
                }
                Err(e) => Err(UiError::localized(&e, e.to_string())),
            }
        }
        Command::ExportAllTills {
            from,
            to,
            till,
            shop,
            path,
        } => {
            let url = engine
                .central_url()
                .ok_or_else(|| UiError::new(text::NO_CENTRE, "no central URL"))?;
            let scope = crate::app::centre::Scope { till, shop };
            match crate::app::centre::export_all(
                &url,
                from,
                to,
                &scope,
                CsvFormat::ExcelFr,
                &path,
                &engine.config.data_dir,
            )
            .await
            {
                Ok(s) => {
                    outbox.send(Event::AllTillsExported { path, rows: s.rows });
                    Ok(())
                }
                Err(e) => Err(UiError::localized(&e, e.to_string())),
            }
        }
        Command::ReceiptToPhone { reference } => {
            let settings = engine.settings();
            let Some(sandbox) = super::engine::current_sandbox_url(engine, &settings).await else {
                return Err(UiError::new(text::NO_PHONE_PAGE, "not in sandbox mode"));
            };
            let till = engine.till()?;
            let target = crate::till::ReceiptTarget::Sale(reference);
            // The first receipt, or a duplicate when it was handed out already.
            let url = match crate::app::receipt_phone::publish(
                till.records(),
                &sandbox,
                &target,
                false,
                settings.lang,
            )
            .await
            {
                Ok(url) => url,
                Err(first) => crate::app::receipt_phone::publish(
                    till.records(),
                    &sandbox,
                    &target,
                    true,
                    settings.lang,
                )
                .await
                .map_err(|_| UiError::new(text::RECEIPT_FAILED_PHONE, format!("{first:#}")))?,
            };
            outbox.send(Event::ReceiptOnPhone(url));
            Ok(())
        }
        Command::LoadReceiptPrinter => {
            let till = engine.till()?;
            let address = blocking_receipt(move || till.receipt_printer()).await?;
            outbox.send(Event::ReceiptPrinter {
                address: address.map(|a| a.to_string()),
                saved: false,
            });
            Ok(())
        }
        Command::SetReceiptPrinter { address } => {
            let till = engine.till()?;
            let chosen =
                blocking_receipt(move || till.set_receipt_printer(address.as_deref())).await?;
            outbox.send(Event::ReceiptPrinter {
                address: chosen.map(|a| a.to_string()),
                saved: true,
            });
            Ok(())
        }
        Command::PrinterTestPage => {
            let till = engine.till()?;
            let lang = engine.settings().lang;
            let reader = till.clone();
            let printer = blocking_receipt(move || reader.receipt_printer())
                .await?
                .ok_or_else(|| UiError::new(text::NO_PRINTER, "no receipt printer is chosen"))?;
            let to = printer.to_string();
            blocking_receipt(move || till.print_test_page(&printer, lang)).await?;
            outbox.send(Event::PrinterTested(to));
            Ok(())
        }
        Command::Backup { path } => {
            let ledger = engine.ledger.clone();
            let operator = engine.settings().operator;
            let made =
                blocking_backup(move || crate::app::backup::backup(&ledger, &operator, &path))
                    .await?;
            outbox.send(Event::BackupDone {
                path: made.path,
                last_seq: made.last_seq,
            });
            outbox.send(Event::BackupDue(false));
            Ok(())
        }
        Command::TakeIn { reference } => {
            let till = engine.till()?;
            let hosted = till
                .take_in_sale(&reference)
                .await
                .map_err(|e| till_error(&e))?;
            outbox.send(Event::TakenIn(hosted));
            Ok(())
        }
        // Only the commands above are sent here (see `handlers::handle_inner`).
        _ => Err(UiError::new(
            text::WORKER_GONE,
            "a command reached the wrong handler",
        )),
    }
}

/// Runs a backup off the async threads; its error in words for the screen.
async fn blocking_backup<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::app::backup::BackupError> + Send + 'static,
) -> Result<T, UiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(UiError::new(text::BACKUP_FAILED, e.to_string())),
        Err(e) => Err(UiError::new(text::BACKUP_FAILED, e.to_string())),
    }
}

/// Runs a receipt printer's work off the async threads; its error in words for the screen.
async fn blocking_receipt<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, crate::till::ReceiptError> + Send + 'static,
) -> Result<T, UiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(UiError::localized(&e, e.to_string())),
        Err(e) => Err(UiError::new(text::WORKER_GONE, e.to_string())),
    }
}
