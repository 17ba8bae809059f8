//! Clôtures: the closings made (days, months, years, newest first) and "Clôturer la journée", which shows the
//! day's totals first and closes only once confirmed.

use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::domain::Amount;
use crate::domain::closing::{Closing, ClosingKind};
use crate::i18n::Lang;
use crate::till::ClosingRow;
use crate::ui::app::Cx;
use crate::ui::model::UiError;
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The Clôtures screen's state.
#[derive(Default)]
pub struct ClosingsPanel {
    rows: Vec<ClosingRow>,
    /// The day's totals, shown for confirmation.
    preview: Option<Closing>,
    busy: bool,
    /// The day's closing just made.
    just_closed: Option<Closing>,
    /// The Z report just written.
    report: Option<std::path::PathBuf>,
    error: Option<UiError>,
}

/// Signed cents in words: "-10,00 €".
pub(crate) fn euros(cents: i64, lang: Lang) -> String {
    let a = Amount::from_cents(cents.abs()).unwrap_or(Amount::ZERO);
    format!("{}{}", if cents < 0 { "-" } else { "" }, a.display(lang))
}

fn kind_label(kind: ClosingKind, lang: Lang) -> &'static str {
    match kind {
        ClosingKind::Day => lang.pick("Jour", "Day"),
        ClosingKind::Month => lang.pick("Mois", "Month"),
        ClosingKind::Year => lang.pick("Année", "Year"),
    }
}

impl ClosingsPanel {
    /// The command that loads the list.
    pub fn reload_command(&self) -> Command {
        Command::LoadClosings
    }

    /// The closings shown.
    pub fn rows(&self) -> &[ClosingRow] {
        &self.rows
    }

    /// The totals awaiting confirmation, if any.
    pub fn preview(&self) -> Option<&Closing> {
        self.preview.as_ref()
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Closings(rows) => {
                self.rows = rows.clone();
                self.busy = false;
            }
            Event::ZReportWritten(path) => {
                self.report = Some(path.clone());
                self.busy = false;
            }
            Event::DayPreview(c) => {
                self.preview = Some((**c).clone());
                self.busy = false;
            }
            Event::DayClosed(made) => {
                // Today's closing is the last daily one made (earlier days left open come before it).
                self.just_closed = made
                    .iter()
                    .rev()
                    .find(|c| c.kind == ClosingKind::Day)
                    .cloned();
                self.preview = None;
                self.busy = false;
            }
            Event::Failed {
                origin: Origin::Closings,
                error,
            } => {
                self.busy = false;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::CLOSINGS_HEADING.get(lang));
        ui.label(text::CLOSINGS_EXPLAIN.get(lang));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let button = egui::Button::new(RichText::new(text::CLOSE_DAY.get(lang)).size(16.0))
                .min_size(egui::vec2(220.0, 34.0));
            if ui
                .add_enabled(cx.ready && !self.busy && self.preview.is_none(), button)
                .clicked()
            {
                self.busy = true;
                self.error = None;
                self.just_closed = None;
                cx.send(Command::PreviewDay);
            }
            if self.busy {
                widgets::busy_ui(ui);
            }
        });
        if let Some(c) = &self.just_closed {
            ui.colored_label(
                widgets::OK_GREEN,
                lang.labelled(
                    &format!(
                        "{} {}{} ({})",
                        text::DAY_CLOSED.get(lang),
                        lang.pick("n°", "no. "),
                        c.number,
                        c.label
                    ),
                    euros(c.period_total_cents, lang),
                ),
            );
        }
        if let Some(path) = &self.report {
            ui.colored_label(
                widgets::OK_GREEN,
                format!(
                    "{} {}",
                    lang.pick("Rapport Z écrit :", "Z report written:"),
                    path.display()
                ),
            );
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "closings");
        }
        self.confirm_ui(ui, cx);
        ui.add_space(10.0);
        if let Some((kind, number)) = self.table_ui(ui, lang, cx.ready && !self.busy) {
            self.busy = true;
            self.error = None;
            self.report = None;
            cx.send(Command::ZReport { kind, number });
        }
    }

    fn confirm_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let Some(c) = self.preview.clone() else {
            return;
        };
        let lang = cx.lang;
        let (mut yes, mut no) = (false, false);
        let modal = egui::Modal::new(egui::Id::unique("close-day-confirm")).show(ui.ctx(), |ui| {
            ui.set_width(460.0);
            ui.heading(text::CLOSE_DAY_CONFIRM.get(lang));
            egui::Grid::new("close-day-totals")
                .num_columns(2)
                .spacing([16.0, 6.0])
                .show(ui, |ui| {
                    let mut line = |label: &str, value: String| {
                        ui.label(label);
                        ui.label(RichText::new(value).strong());
                        ui.end_row();
                    };
                    line(lang.pick("Période", "Period"), c.label.clone());
                    line(
                        lang.pick("Ventes", "Sales"),
                        c.totals.sales_count.to_string(),
                    );
                    line(
                        lang.pick("Remboursements", "Refunds"),
                        c.totals.refunds_count.to_string(),
                    );
                    line(
                        lang.pick("Encaissé", "Paid in"),
                        euros(c.totals.payments_cents, lang),
                    );
                    line(
                        lang.pick("Remboursé", "Refunded"),
                        euros(c.totals.refunds_cents, lang),
                    );
                    line(
                        lang.pick("Total de la période", "Period total"),
                        euros(c.period_total_cents, lang),
                    );
                    line(
                        lang.pick("Total perpétuel", "Perpetual total"),
                        euros(c.perpetual_total_cents, lang),
                    );
                });
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                yes = ui.button(text::CLOSE_DAY_YES.get(lang)).clicked();
                no = ui.button(text::CANCEL.get(lang)).clicked();
            });
        });
        if modal.should_close() || no {
            self.preview = None;
        }
        if yes {
            self.busy = true;
            cx.send(Command::CloseDay);
        }
    }

    /// The table; the closing whose Z report was asked for, if one was.
    fn table_ui(&self, ui: &mut Ui, lang: Lang, enabled: bool) -> Option<(ClosingKind, i64)> {
        if self.rows.is_empty() {
            ui.label(text::NO_CLOSINGS.get(lang));
            return None;
        }
        let mut asked = None;
        TableBuilder::new(ui)
            .id_salt("closings-table")
            .striped(true)
            .column(Column::auto().at_least(60.0))
            .column(Column::auto().at_least(50.0))
            .column(Column::auto().at_least(100.0))
            .column(Column::auto().at_least(60.0))
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::auto().at_least(110.0))
            .column(Column::remainder().at_least(80.0))
            .header(22.0, |mut h| {
                for title in [
                    lang.pick("Type", "Kind"),
                    lang.pick("N°", "No."),
                    lang.pick("Période", "Period"),
                    lang.pick("Ventes", "Sales"),
                    lang.pick("Rembours.", "Refunds"),
                    lang.pick("Total période", "Period total"),
                    lang.pick("Total perpétuel", "Perpetual total"),
                    lang.pick("Rapport Z", "Z report"),
                ] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|mut body| {
                for r in self.rows.iter().rev() {
                    let c = &r.closing;
                    body.row(20.0, |mut row| {
                        row.col(|ui| {
                            ui.label(kind_label(c.kind, lang));
                        });
                        row.col(|ui| {
                            ui.label(c.number.to_string());
                        });
                        row.col(|ui| {
                            ui.label(&c.label);
                        });
                        row.col(|ui| {
                            ui.label(c.totals.sales_count.to_string());
                        });
                        row.col(|ui| {
                            ui.label(c.totals.refunds_count.to_string());
                        });
                        row.col(|ui| {
                            ui.label(euros(c.period_total_cents, lang));
                        });
                        row.col(|ui| {
                            ui.label(euros(c.perpetual_total_cents, lang));
                        });
                        row.col(|ui| {
                            let button = ui
                                .add_enabled(enabled, egui::Button::new("PDF").small())
                                .on_hover_text(lang.pick(
                                    "Écrire le rapport Z en PDF et l'ouvrir",
                                    "Write the Z report as a PDF and open it",
                                ));
                            if button.clicked() {
                                asked = Some((c.kind, c.number));
                            }
                        });
                    });
                }
            });
        asked
    }
}
