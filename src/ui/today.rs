//! "Aujourd'hui" on the counter: the day so far (sales, takings per tender kind, refunds, net, as the daily closing
//! would count them now), the sales still open (each taken up again, its QR code shown, or cancelled), and the
//! latest sales.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use crate::domain::CheckoutState;
use crate::domain::SaleStatus;
use crate::domain::closing::kind_label;
use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::closings::euros;
use crate::ui::model::{Checkout, Today, UiError};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The height of every button of the counter: a finger's target.
pub const TARGET: f32 = 44.0;

/// What the cashier asked from the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TodayAction {
    /// Show an open sale again (its status and its QR code).
    TakeUp(Checkout),
    /// Cancel an open sale: taken up, with the question asked.
    Cancel(Checkout),
    /// Open a sale's detail in Transactions (its hosted checkout id).
    Show(String),
}

/// The panel's state.
#[derive(Debug, Default)]
pub struct TodayPanel {
    today: Option<Today>,
    /// A reading was sent, no answer yet.
    loading: bool,
    /// The day is to be read (again) at the next frame the panel is drawn: one reading at a time, and none while
    /// the counter is not on screen.
    wanted: bool,
    error: Option<UiError>,
}

/// Whether an event changes what the day adds up to.
fn moves_money(event: &Event) -> bool {
    matches!(
        event,
        Event::CheckoutCreated(_)
            | Event::CheckoutUpdated(_)
            | Event::RefundRecorded(_)
            | Event::DayClosed(_)
    )
}

impl TodayPanel {
    /// The day as last read.
    pub fn today(&self) -> Option<&Today> {
        self.today.as_ref()
    }

    /// The day is to be read anew.
    pub fn reload(&mut self) {
        self.wanted = true;
    }

    /// Takes the worker's news; the day is read again when money moved.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Today(today) => {
                self.today = Some((**today).clone());
                self.error = None;
                self.loading = false;
            }
            Event::Failed {
                origin: Origin::Today,
                error,
            } => {
                self.loading = false;
                self.wanted = false;
                self.error = Some(error.clone());
            }
            e if moves_money(e) => self.wanted = true,
            _ => {}
        }
    }

    /// Draws the panel. `open_sales` are the sales still open; `on_screen` the one the counter shows.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut Cx<'_>,
        open_sales: &[Checkout],
        on_screen: Option<&str>,
    ) -> Option<TodayAction> {
        let lang = cx.lang;
        if self.wanted && !self.loading && cx.ready {
            self.wanted = false;
            self.loading = true;
            cx.send(Command::LoadToday);
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            ui.heading(RichText::new(lang.pick("Aujourd'hui", "Today")).strong());
            if self.loading {
                widgets::busy_ui(ui);
            }
        });
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "today");
        }
        // Before the first reading, the same lines without figures: nothing below moves when they come.
        totals_ui(ui, lang, self.today.as_ref());
        let mut action = open_sales_ui(ui, lang, open_sales, on_screen);
        if let Some(today) = &self.today
            && let Some(a) = last_sales_ui(ui, lang, today)
        {
            action = Some(a);
        }
        action
    }
}

fn since_words(since: DateTime<Utc>, lang: Lang) -> String {
    let local = since.with_timezone(&chrono_tz::Europe::Paris);
    let today = Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    if local.date_naive() == today {
        format!("{} {}", lang.pick("Depuis", "Since"), local.format("%H:%M"))
    } else {
        match lang {
            Lang::Fr => format!("Depuis le {}", local.format("%d/%m à %H:%M")),
            Lang::En => format!("Since {}", local.format("%Y-%m-%d %H:%M")),
        }
    }
}

fn totals_ui(ui: &mut Ui, lang: Lang, today: Option<&Today>) {
    let empty = crate::domain::closing::PeriodTotals::default();
    let t = today.map_or(&empty, |t| &t.totals);
    // A figure, or a dash until the day is read.
    let figure = |cents: i64| match today {
        Some(_) => euros(cents, lang),
        None => "–".to_string(),
    };
    let since = match today {
        Some(today) => lang.labelled(
            &since_words(today.since, lang),
            lang.pick(
                "ce que comptera la clôture du jour",
                "what the daily closing will count",
            ),
        ),
        None => lang
            .pick("Lecture du jour…", "Loading today's figures…")
            .to_string(),
    };
    ui.label(RichText::new(since).small().weak());
    ui.add_space(4.0);
    egui::Grid::new("today-totals")
        .num_columns(2)
        .spacing([16.0, 6.0])
        .striped(true)
        .show(ui, |ui| {
            let row = |ui: &mut Ui, label: String, value: String, strong: bool| {
                let value = RichText::new(value).size(17.0);
                let label = RichText::new(label).size(16.0);
                if strong {
                    ui.label(label.strong());
                    ui.label(value.strong().size(20.0));
                } else {
                    ui.label(label);
                    ui.label(value);
                }
                ui.end_row();
            };
            row(
                ui,
                lang.pick("Ventes encaissées", "Paid sales").into(),
                today.map_or("–".to_string(), |_| t.sales_count.to_string()),
                false,
            );
            // The three kinds a CADO till takes always shown, in the closing's order; any other after them.
            for kind in ["gift_card", "visa", "mastercard"] {
                let cents = t
                    .by_tender
                    .iter()
                    .find(|l| l.kind == kind)
                    .map_or(0, |l| l.payments_cents);
                row(ui, kind_label(kind, lang), figure(cents), false);
            }
            for l in t.by_tender.iter().filter(|l| l.kind == "other") {
                row(
                    ui,
                    kind_label(&l.kind, lang),
                    figure(l.payments_cents),
                    false,
                );
            }
            row(
                ui,
                format!(
                    "{} ({})",
                    lang.pick("Remboursements", "Refunds"),
                    t.refunds_count
                ),
                figure(-t.refunds_cents),
                false,
            );
            row(
                ui,
                lang.pick("Net", "Net").into(),
                figure(t.net_cents()),
                true,
            );
        });
}

fn time_of(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%H:%M")
        .to_string()
}

fn open_sales_ui(
    ui: &mut Ui,
    lang: Lang,
    open_sales: &[Checkout],
    on_screen: Option<&str>,
) -> Option<TodayAction> {
    if open_sales.is_empty() {
        return None;
    }
    let mut action = None;
    ui.add_space(12.0);
    ui.label(
        RichText::new(format!(
            "{} ({})",
            text::OPEN_SALES.get(lang),
            open_sales.len()
        ))
        .strong()
        .size(16.0),
    );
    for s in open_sales {
        ui.label(format!(
            "{}  {}  {}",
            time_of(s.created_at),
            s.reference,
            s.amount.display(lang)
        ));
        if on_screen == Some(s.id.as_str()) {
            ui.label(RichText::new(lang.pick("À l'écran", "On screen")).weak());
            continue;
        }
        ui.horizontal(|ui| {
            let take = format!("{} {}", text::TAKE_UP_SALE.get(lang), s.reference);
            if ui
                .add(egui::Button::new(take).min_size(egui::vec2(0.0, TARGET)))
                .on_hover_text(lang.pick(
                    "Afficher la vente et son QR code",
                    "Show the sale and its QR code",
                ))
                .clicked()
            {
                action = Some(TodayAction::TakeUp(s.clone()));
            }
            if s.can_be_abandoned()
                && ui
                    .add(
                        egui::Button::new(lang.pick("Annuler", "Cancel"))
                            .min_size(egui::vec2(0.0, TARGET)),
                    )
                    .on_hover_text(text::CANCEL_SALE.get(lang))
                    .clicked()
            {
                action = Some(TodayAction::Cancel(s.clone()));
            }
        });
    }
    action
}

fn last_sales_ui(ui: &mut Ui, lang: Lang, today: &Today) -> Option<TodayAction> {
    if today.last_sales.is_empty() {
        return None;
    }
    let mut action = None;
    ui.add_space(12.0);
    ui.label(
        RichText::new(lang.pick("Dernières ventes", "Latest sales"))
            .strong()
            .size(16.0),
    );
    let width = ui.available_width();
    for s in &today.last_sales {
        let status = s.sale_status();
        let color = status_color(status);
        let words = format!(
            "{}  {}  {}",
            time_of(s.created_at),
            s.reference,
            s.amount.display(lang)
        );
        // The whole line is the target: the sale on the left, what it is now on the right.
        let button = egui::Button::new(words)
            .right_text(RichText::new(status.label(lang)).color(color))
            .frame_when_inactive(false)
            .min_size(egui::vec2(width, TARGET));
        if ui
            .add(button)
            .on_hover_text(lang.pick(
                "Ouvrir la vente dans Transactions",
                "Open the sale in Transactions",
            ))
            .clicked()
        {
            action = Some(TodayAction::Show(s.id.clone()));
        }
    }
    action
}

/// The colour a sale's status is written in: green paid, orange waiting, red for what did not go through.
pub fn status_color(status: SaleStatus) -> egui::Color32 {
    match status {
        SaleStatus::Checkout(CheckoutState::Paid) => widgets::OK_GREEN,
        SaleStatus::Checkout(CheckoutState::InProgress | CheckoutState::PartiallyPaid) => {
            widgets::SANDBOX_ORANGE
        }
        SaleStatus::PartlyRefunded | SaleStatus::Refunded => egui::Color32::from_rgb(40, 110, 200),
        SaleStatus::Checkout(_) => widgets::ERROR_RED,
    }
}
