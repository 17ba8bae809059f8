//! Remboursements: the refund ledger over a date range, its totals, and the CSV export for the accountant.

use std::path::PathBuf;

use chrono::NaiveDate;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::domain::Amount;
use crate::domain::RefundState;
use crate::ui::app::Cx;
use crate::ui::model::{CsvProfile, RefundRow, UiError, local_time};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The export dialog's state.
#[derive(Default)]
struct ExportDialog {
    open: bool,
    path: String,
    profile: CsvProfile,
    running: bool,
    /// The system's save dialog is open.
    choosing: bool,
    path_error: Option<UiError>,
    error: Option<UiError>,
    done: Option<(PathBuf, u64)>,
}

/// The refund ledger screen's state.
#[derive(Default)]
pub struct RefundsPanel {
    /// "From" date as typed.
    pub from: String,
    /// "To" date as typed.
    pub to: String,
    date_error: Option<String>,
    rows: Vec<RefundRow>,
    loading: bool,
    error: Option<UiError>,
    export: ExportDialog,
}

fn parse_date(s: &str) -> Result<Option<NaiveDate>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map(Some)
        .map_err(|_| ())
}

fn default_export_path() -> String {
    widgets::in_documents(&format!(
        "remboursements-{}.csv",
        chrono::Local::now().format("%Y-%m-%d")
    ))
}

impl RefundsPanel {
    /// The rows loaded.
    pub fn rows(&self) -> &[RefundRow] {
        &self.rows
    }

    /// The last export written: path and number of refunds.
    pub fn last_export(&self) -> Option<&(PathBuf, u64)> {
        self.export.done.as_ref()
    }

    /// The export dialog's last error, if any.
    pub fn export_error(&self) -> Option<&UiError> {
        self.export.error.as_ref()
    }

    /// What is wrong with the export's file (empty path, no save dialog), if anything.
    pub fn export_path_error(&self) -> Option<&UiError> {
        self.export.path_error.as_ref()
    }

    /// Opens the export dialog with this path and profile (the tests, and the button, use it).
    pub fn open_export(&mut self, path: Option<String>, profile: CsvProfile) {
        self.export = ExportDialog {
            open: true,
            path: path.unwrap_or_else(default_export_path),
            profile,
            ..ExportDialog::default()
        };
    }

    /// Closes the export dialog.
    pub fn close_export(&mut self) {
        self.export.open = false;
    }

    /// The export's file as typed or chosen.
    pub fn export_path(&self) -> &str {
        &self.export.path
    }

    /// Writes the export to the file given (what "Exporter" does).
    pub fn start_export(&mut self, cx: &mut Cx<'_>) {
        let e = &mut self.export;
        e.path_error = None;
        e.error = None;
        e.done = None;
        let path = e.path.trim();
        if path.is_empty() {
            e.path_error = Some(UiError::new(text::PATH_EMPTY, ""));
        } else {
            e.running = true;
            cx.send(Command::Export {
                from: parse_date(&self.from).ok().flatten(),
                to: parse_date(&self.to).ok().flatten(),
                profile: e.profile,
                path: PathBuf::from(path),
            });
        }
    }

    /// Opens the system's save dialog on the file typed so far (what "Parcourir…" does).
    pub fn choose_export_file(&mut self, cx: &mut Cx<'_>) {
        if self.export.choosing {
            return;
        }
        self.export.choosing = true;
        self.export.path_error = None;
        cx.send(Command::ChooseExportFile {
            current: PathBuf::from(self.export.path.trim()),
        });
    }

    /// The command that loads the ledger with the current dates.
    pub fn reload_command(&mut self) -> Command {
        self.loading = true;
        Command::LoadRefunds {
            from: parse_date(&self.from).ok().flatten(),
            to: parse_date(&self.to).ok().flatten(),
        }
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Refunds(rows) => {
                self.rows = rows.clone();
                self.loading = false;
                self.error = None;
            }
            Event::ExportFileChosen(chosen) => {
                self.export.choosing = false;
                if let Some(path) = chosen {
                    self.export.path = path.display().to_string();
                    self.export.path_error = None;
                    self.export.error = None;
                    self.export.done = None;
                }
            }
            Event::Exported { path, rows } => {
                self.export.running = false;
                self.export.error = None;
                self.export.done = Some((path.clone(), *rows));
            }
            Event::Failed { origin, error } => match origin {
                Origin::Refunds => {
                    self.loading = false;
                    self.error = Some(error.clone());
                }
                // The save dialog could not open: said under the path field, which still works.
                Origin::ExportFile => {
                    self.export.choosing = false;
                    self.export.path_error = Some(error.clone());
                }
                Origin::Export => {
                    self.export.running = false;
                    self.export.error = Some(error.clone());
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::REFUND_LEDGER.get(lang));
        let mut apply = false;
        ui.horizontal(|ui| {
            apply |= widgets::date_range_ui(ui, lang, &mut self.from, &mut self.to, "refunds");
            apply |= ui.button(text::APPLY.get(lang)).clicked();
            if self.loading {
                widgets::busy_ui(ui);
            }
            ui.separator();
            if ui
                .button(RichText::new(text::EXPORT_CSV.get(lang)).strong())
                .clicked()
            {
                self.open_export(None, CsvProfile::ExcelFr);
            }
        });
        // Once shown, the error goes as soon as both dates read as dates.
        if self.date_error.is_some()
            && parse_date(&self.from).is_ok()
            && parse_date(&self.to).is_ok()
        {
            self.date_error = None;
        }
        if let Some(e) = &self.date_error {
            widgets::field_error_ui(ui, e);
        }
        if apply {
            if parse_date(&self.from).is_err() || parse_date(&self.to).is_err() {
                self.date_error = Some(text::DATE_INVALID.get(lang).to_string());
            } else {
                self.date_error = None;
                let c = self.reload_command();
                cx.send(c);
            }
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "refunds");
        }
        let sum = |f: &dyn Fn(RefundState) -> bool| -> Amount {
            self.rows
                .iter()
                .filter(|r| f(r.status))
                .map(|r| r.amount)
                .sum()
        };
        let refunded = sum(&|s| s == RefundState::Refunded);
        let pending = sum(&|s| s.holds_amount());
        let declined = sum(&|s| s == RefundState::Declined);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(
                    lang.labelled(text::TOTAL_REFUNDED.get(lang), refunded.display(lang)),
                )
                .strong(),
            );
            ui.separator();
            ui.label(lang.labelled(text::TOTAL_PENDING.get(lang), pending.display(lang)));
            ui.separator();
            ui.label(lang.labelled(text::TOTAL_DECLINED.get(lang), declined.display(lang)));
            ui.separator();
            ui.label(format!("{} {}", self.rows.len(), text::ROWS.get(lang)));
        });
        ui.separator();
        let right = egui::Layout::right_to_left(egui::Align::Center);
        TableBuilder::new(ui)
            .id_salt("refunds-table")
            .striped(true)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::exact(120.0))
            .column(Column::initial(130.0).clip(true))
            .column(Column::initial(190.0).clip(true))
            .column(Column::exact(90.0))
            .column(Column::exact(110.0))
            .column(Column::initial(220.0).clip(true))
            .column(Column::remainder().at_least(60.0).clip(true))
            .header(22.0, |mut h| {
                for t in [
                    text::COL_DATE,
                    text::COL_REFERENCE,
                    text::COL_TENDER,
                    text::COL_AMOUNT,
                    text::COL_STATUS,
                    text::COL_REASON,
                    text::COL_OPERATOR,
                ] {
                    h.col(|ui| {
                        ui.label(RichText::new(t.get(lang)).strong());
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, self.rows.len(), |mut row| {
                    let Some(r) = self.rows.get(row.index()) else {
                        return;
                    };
                    row.col(|ui| {
                        ui.label(local_time(r.created_at));
                    });
                    row.col(|ui| {
                        ui.label(&r.reference);
                    });
                    row.col(|ui| {
                        ui.label(&r.tender).on_hover_text(&r.payment_id);
                    });
                    row.col(|ui| {
                        ui.with_layout(right, |ui| ui.label(r.amount.display(lang)));
                    });
                    row.col(|ui| {
                        ui.label(r.status.label(lang));
                    });
                    row.col(|ui| {
                        ui.label(&r.reason);
                    });
                    row.col(|ui| {
                        ui.label(&r.operator);
                    });
                });
            });
        self.export_ui(ui, cx);
    }

    fn export_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        if !self.export.open {
            return;
        }
        let lang = cx.lang;
        let mut close = false;
        let mut start_export = false;
        let mut choose_file = false;
        let modal = egui::Modal::new(egui::Id::unique("export-dialog")).show(ui.ctx(), |ui| {
            ui.set_width(560.0);
            ui.heading(text::EXPORT_CSV.get(lang));
            let e = &mut self.export;
            ui.horizontal(|ui| {
                let l = ui.label(text::EXPORT_PATH.get(lang));
                ui.add(
                    egui::TextEdit::singleline(&mut e.path)
                        .id_salt("refunds-path")
                        .desired_width(360.0),
                )
                .labelled_by(l.id);
                if ui
                    .add_enabled(
                        !e.running && !e.choosing,
                        egui::Button::new(text::BROWSE.get(lang)),
                    )
                    .clicked()
                {
                    choose_file = true;
                }
            });
            if let Some(err) = &e.path_error {
                widgets::field_error_ui(ui, err.message(lang));
            }
            ui.radio_value(
                &mut e.profile,
                CsvProfile::ExcelFr,
                text::FORMAT_EXCEL_FR.get(lang),
            );
            ui.radio_value(
                &mut e.profile,
                CsvProfile::Rfc4180,
                text::FORMAT_RFC4180.get(lang),
            );
            if let Some(err) = &e.error {
                widgets::error_ui(ui, lang, err, "export");
            }
            if let Some((path, rows)) = &e.done {
                ui.colored_label(
                    widgets::OK_GREEN,
                    lang.labelled(
                        text::EXPORT_DONE.get(lang),
                        format!("{rows} {}, {}", text::ROWS.get(lang), path.display()),
                    ),
                );
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!e.running, egui::Button::new(text::EXPORT_START.get(lang)))
                    .clicked()
                {
                    start_export = true;
                }
                if e.running {
                    widgets::busy_ui(ui);
                }
                if ui.button(text::CLOSE.get(lang)).clicked() {
                    close = true;
                }
            });
        });
        if start_export {
            self.start_export(cx);
        }
        if choose_file {
            self.choose_export_file(cx);
        }
        if modal.should_close() && !self.export.running {
            close = true;
        }
        if close {
            self.export.open = false;
        }
    }
}
