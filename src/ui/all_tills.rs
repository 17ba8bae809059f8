//! Toutes les caisses: every till's sales, refunds and daily closings read from the central ledger, narrowed to a
//! till or a shop, and "Reprendre ici" to take a sale of another till in and refund it at this one. Shown only for a
//! till with a centre.

use chrono::NaiveDate;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

use crate::app::centre::AllTills;
use crate::domain::Amount;
use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::model::{UiError, local_time};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The screen's state.
#[derive(Default)]
pub struct AllTillsPanel {
    /// "From" date as typed (today when empty).
    pub from: String,
    /// "To" date as typed (today when empty).
    pub to: String,
    /// Only this till, as typed.
    pub till: String,
    /// Only this shop, as typed.
    pub shop: String,
    /// Where "Exporter" writes every till's refunds, as typed.
    pub export_path: String,
    date_error: Option<String>,
    data: Option<AllTills>,
    exported: Option<(std::path::PathBuf, u64)>,
    loading: bool,
    error: Option<UiError>,
}

fn euros(cents: i64, lang: Lang) -> String {
    let a = Amount::from_cents(cents.abs()).unwrap_or(Amount::ZERO);
    format!("{}{}", if cents < 0 { "-" } else { "" }, a.display(lang))
}

fn day(s: &str, today: NaiveDate) -> Result<NaiveDate, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(today);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .map_err(|_| ())
}

fn default_export_path() -> String {
    widgets::in_documents(&format!(
        "remboursements-toutes-caisses-{}.csv",
        chrono::Local::now().format("%Y-%m-%d")
    ))
}

fn typed(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

impl AllTillsPanel {
    /// What was read last.
    pub fn data(&self) -> Option<&AllTills> {
        self.data.as_ref()
    }

    /// The last export of every till's refunds: where, and how many.
    pub fn exported(&self) -> Option<&(std::path::PathBuf, u64)> {
        self.exported.as_ref()
    }

    /// The period typed (today when empty), or `None` and the error shown.
    fn period(&mut self) -> Option<(NaiveDate, NaiveDate)> {
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Europe::Paris)
            .date_naive();
        let (Ok(from), Ok(to)) = (day(&self.from, today), day(&self.to, today)) else {
            self.date_error = Some("JJ/MM/AAAA".into());
            return None;
        };
        self.date_error = None;
        Some((from, to))
    }

    /// The command that reads the centre with the filters, or `None` (and the error shown) when a date is wrong.
    pub fn reload_command(&mut self) -> Option<Command> {
        let (from, to) = self.period()?;
        self.loading = true;
        self.error = None;
        Some(Command::LoadAllTills {
            from,
            to,
            till: typed(&self.till).map(|t| t.to_ascii_uppercase()),
            shop: typed(&self.shop),
        })
    }

    /// The command that writes every till's refunds of the period to the typed path (French Excel profile).
    pub fn export_command(&mut self) -> Option<Command> {
        let (from, to) = self.period()?;
        if self.export_path.trim().is_empty() {
            self.export_path = default_export_path();
        }
        self.loading = true;
        self.error = None;
        self.exported = None;
        Some(Command::ExportAllTills {
            from,
            to,
            till: typed(&self.till).map(|t| t.to_ascii_uppercase()),
            shop: typed(&self.shop),
            path: std::path::PathBuf::from(self.export_path.trim()),
        })
    }

    /// Takes what the worker sent.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::AllTills(all) => {
                self.loading = false;
                self.data = Some((**all).clone());
            }
            Event::TakenIn(_) => self.loading = false,
            Event::AllTillsExported { path, rows } => {
                self.loading = false;
                self.exported = Some((path.clone(), *rows));
            }
            Event::Failed {
                origin: Origin::AllTills,
                error,
            } => {
                self.loading = false;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::TAB_ALL_TILLS.get(lang));
        ui.label(lang.pick(
            "Les ventes, remboursements et clôtures de toutes les caisses, lus au serveur central.",
            "Every till's sales, refunds and closings, read from the central ledger.",
        ));
        ui.add_space(6.0);
        let mut reload = false;
        ui.horizontal(|ui| {
            let today = lang.pick("aujourd'hui", "today");
            let all = lang.pick("toutes", "all");
            for (label, value, width, hint) in [
                (lang.pick("Du", "From"), &mut self.from, 100.0, today),
                (lang.pick("Au", "To"), &mut self.to, 100.0, today),
                (lang.pick("Caisse", "Till"), &mut self.till, 60.0, all),
                (
                    lang.pick("Magasin", "Shop"),
                    &mut self.shop,
                    140.0,
                    lang.pick("tous", "all"),
                ),
            ] {
                ui.label(label);
                let r = ui.add(
                    egui::TextEdit::singleline(value)
                        .hint_text(hint)
                        .desired_width(width),
                );
                reload |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            }
            reload |= ui
                .add_enabled(
                    cx.ready && !self.loading,
                    egui::Button::new(lang.pick("Actualiser", "Refresh")),
                )
                .clicked();
            if self.loading {
                ui.label(lang.pick("Lecture…", "Reading…"));
            }
        });
        if let Some(e) = &self.date_error {
            ui.colored_label(
                widgets::SANDBOX_ORANGE,
                format!("{} {e}", lang.pick("Date : attendu", "Date: expected")),
            );
        }
        if reload && let Some(c) = self.reload_command() {
            cx.send(c);
        }
        ui.horizontal(|ui| {
            if self.export_path.is_empty() {
                self.export_path = default_export_path();
            }
            ui.label(lang.pick("Fichier", "File"));
            ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(420.0));
            if ui
                .add_enabled(
                    cx.ready && !self.loading,
                    egui::Button::new(lang.pick(
                        "Exporter les remboursements de toutes les caisses (CSV)",
                        "Export every till's refunds (CSV)",
                    )),
                )
                .clicked()
                && let Some(c) = self.export_command()
            {
                cx.send(c);
            }
        });
        if let Some((path, rows)) = &self.exported {
            ui.colored_label(
                widgets::OK_GREEN,
                match lang {
                    Lang::Fr => format!("{rows} remboursements écrits dans {}", path.display()),
                    Lang::En => format!("{rows} refunds written to {}", path.display()),
                },
            );
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "all-tills");
        }
        let Some(data) = &self.data else {
            return;
        };
        let mut take_in = None;
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.add_space(6.0);
            ui.label(
                RichText::new(
                    lang.pick("Clôtures du jour, consolidées", "Daily closings, added up"),
                )
                .strong(),
            );
            for c in &data.closings {
                ui.label(format!(
                    "{}  {}  ({})  {} {}  {} {}  {} {}  {} {}",
                    c.label,
                    if c.company {
                        lang.pick("Société", "Company").to_string()
                    } else {
                        c.shop.clone().unwrap_or_else(|| "—".into())
                    },
                    c.tills.join(", "),
                    lang.pick("ventes :", "sales:"),
                    c.sales_count,
                    lang.pick("encaissé", "taken"),
                    euros(c.payments_cents, lang),
                    lang.pick("remboursé", "refunded"),
                    euros(c.refunds_cents, lang),
                    lang.pick("net", "net"),
                    euros(c.net_cents, lang),
                ));
            }
            ui.add_space(8.0);
            ui.label(RichText::new(lang.pick("Ventes", "Sales")).strong());
            TableBuilder::new(ui)
                .id_salt("all-tills-sales")
                .striped(true)
                .column(Column::auto().at_least(50.0))
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(120.0))
                .column(Column::auto().at_least(200.0))
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(90.0))
                .column(Column::auto().at_least(110.0))
                .column(Column::remainder())
                .header(22.0, |mut h| {
                    for t in [
                        lang.pick("Caisse", "Till"),
                        lang.pick("Magasin", "Shop"),
                        lang.pick("Date", "Date"),
                        lang.pick("Référence", "Reference"),
                        lang.pick("Montant", "Amount"),
                        lang.pick("Statut", "Status"),
                        lang.pick("Remboursé", "Refunded"),
                        lang.pick("Reste", "Left"),
                        "",
                    ] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|mut body| {
                    for s in &data.sales {
                        body.row(26.0, |mut row| {
                            row.col(|ui| {
                                ui.label(&s.till);
                            });
                            row.col(|ui| {
                                ui.label(s.shop.as_deref().unwrap_or("—"));
                            });
                            row.col(|ui| {
                                let at = chrono::DateTime::parse_from_rfc3339(&s.created_at)
                                    .map(|t| local_time(t.with_timezone(&chrono::Utc)))
                                    .unwrap_or_else(|_| s.created_at.clone());
                                ui.label(at);
                            });
                            row.col(|ui| {
                                ui.label(&s.merchant_reference);
                            });
                            row.col(|ui| {
                                ui.label(euros(s.amount_cents, lang));
                            });
                            row.col(|ui| {
                                ui.label(
                                    crate::domain::CheckoutState::from_stored(&s.state)
                                        .map(|st| st.label(lang).to_string())
                                        .unwrap_or_else(|_| s.state.clone()),
                                );
                            });
                            row.col(|ui| {
                                ui.label(euros(s.refunded_cents, lang));
                            });
                            row.col(|ui| {
                                ui.label(euros(s.refundable_cents, lang));
                            });
                            row.col(|ui| {
                                if s.refundable_cents > 0
                                    && ui
                                        .add_enabled(
                                            cx.ready,
                                            egui::Button::new(lang.pick(
                                                "Reprendre ici pour rembourser",
                                                "Take in here to refund",
                                            )),
                                        )
                                        .clicked()
                                {
                                    take_in = Some(s.merchant_reference.clone());
                                }
                            });
                        });
                    }
                });
            ui.add_space(8.0);
            ui.label(RichText::new(lang.pick("Remboursements", "Refunds")).strong());
            for r in &data.refunds {
                ui.label(format!(
                    "{}  n°{}  {}  {}  {}  {}",
                    r.till,
                    r.number,
                    local_time(r.created_at),
                    r.merchant_reference,
                    r.amount.display(lang),
                    r.state.label(lang)
                ));
            }
        });
        if let Some(reference) = take_in {
            self.loading = true;
            self.error = None;
            cx.send(Command::TakeIn { reference });
        }
    }
}
