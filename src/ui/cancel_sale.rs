//! "Annuler la vente": an open sale cancelled with a reason, from its detail or from the counter. A part of those
//! panels: the button, then the question with the reason, then the worker's answer.

use egui::{RichText, Ui};

use crate::ui::app::Cx;
use crate::ui::model::{Checkout, UiError};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The cancellation of one sale, as far as it went.
#[derive(Debug, Default)]
pub struct CancelSale {
    /// The sale whose question is open.
    open_for: Option<String>,
    /// The reason as typed.
    reason: String,
    /// Sent to the worker, no answer yet.
    sent: bool,
    error: Option<UiError>,
}

impl CancelSale {
    /// Whether the question is open (for `id`).
    pub fn is_open_for(&self, id: &str) -> bool {
        self.open_for.as_deref() == Some(id)
    }

    /// Opens the question for `id` (the counter's "Annuler" beside an open sale).
    pub fn ask(&mut self, id: &str) {
        *self = CancelSale {
            open_for: Some(id.to_string()),
            ..CancelSale::default()
        };
    }

    /// Takes the worker's news: the sale cancelled closes the question; a refusal is shown under it.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::CheckoutUpdated(c) if self.is_open_for(&c.id) && c.abandoned.is_some() => {
                *self = CancelSale::default();
            }
            Event::Failed {
                origin: Origin::Abandon,
                error,
            } if self.open_for.is_some() => {
                self.sent = false;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the button, or the question, or nothing when the sale cannot be cancelled (paid, closed, cancelled).
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, checkout: &Checkout) {
        let lang = cx.lang;
        if !checkout.can_be_abandoned() {
            return;
        }
        if !self.is_open_for(&checkout.id) {
            if ui.add(target(text::CANCEL_SALE.get(lang))).clicked() {
                self.ask(&checkout.id);
            }
            return;
        }
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(RichText::new(text::CANCEL_SALE_ASK.get(lang)).strong());
            let l = ui.label(text::CANCEL_REASON.get(lang));
            ui.add(
                egui::TextEdit::singleline(&mut self.reason)
                    .id_salt("cancel-sale-reason")
                    .hint_text(text::CANCEL_REASON_HINT.get(lang))
                    .min_size(egui::vec2(0.0, crate::ui::today::TARGET))
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            ui.horizontal(|ui| {
                let ready = !self.sent && !self.reason.trim().is_empty();
                if ui
                    .add_enabled(ready, target(text::CANCEL_CONFIRM.get(lang)))
                    .clicked()
                {
                    self.sent = true;
                    self.error = None;
                    cx.send(Command::AbandonSale {
                        id: checkout.id.clone(),
                        reason: self.reason.trim().to_string(),
                    });
                }
                if self.sent {
                    widgets::busy_ui(ui);
                } else if ui.add(target(text::CANCEL_KEEP.get(lang))).clicked() {
                    *self = CancelSale::default();
                }
            });
            if let Some(e) = &self.error {
                widgets::error_ui(ui, lang, e, "cancel-sale");
            }
        });
    }
}

/// A button a finger can hit (the counter is used by touch).
fn target(words: &str) -> egui::Button<'_> {
    egui::Button::new(words).min_size(egui::vec2(0.0, crate::ui::today::TARGET))
}

/// A sale cancelled at the till says so, with its reason; one paid anyway says it loudly, with the one step that
/// refunds it (when `offer_refund`). True when "Rembourser tout" was clicked.
pub fn cancelled_ui(ui: &mut Ui, cx: &Cx<'_>, checkout: &Checkout, offer_refund: bool) -> bool {
    let lang = cx.lang;
    let Some(reason) = &checkout.abandoned else {
        return false;
    };
    ui.colored_label(
        widgets::ERROR_RED,
        lang.labelled(text::SALE_CANCELLED.get(lang), reason),
    );
    if !checkout.paid_after_abandon() {
        return false;
    }
    let mut refund = false;
    egui::Frame::new()
        .fill(widgets::ERROR_RED)
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(format!(
                    "{} ({})",
                    text::PAID_AFTER_CANCEL.get(lang),
                    checkout.refundable().display(lang)
                ))
                .size(18.0)
                .strong()
                .color(egui::Color32::WHITE),
            );
            refund = offer_refund && ui.add(target(text::REFUND_EVERYTHING.get(lang))).clicked();
        });
    refund
}
