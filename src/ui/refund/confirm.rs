//! The refund dialog's confirmation: what will be refunded on which card, restated; the manager PIN when the rule
//! asks for it (the till checks it, and decides); the one press that sends it.

use egui::{RichText, Ui};

use crate::domain::Amount;
use crate::till::manager;
use crate::ui::app::Cx;
use crate::ui::model::Checkout;
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::Command;

use super::{RefundDialog, Stage, Target};

impl RefundDialog {
    /// What the sale's refunds already add up to (refunded or on their way): the PIN rule counts them with the new
    /// ones.
    fn already_refunded(&self) -> Amount {
        self.checkout
            .as_ref()
            .map(|c| {
                c.tenders
                    .iter()
                    .map(|t| t.refunded.saturating_add(t.pending))
                    .sum()
            })
            .unwrap_or(Amount::ZERO)
    }

    /// Does this order refund need the manager PIN (the till checks it again, and decides)?
    fn pin_needed(&self, cx: &Cx<'_>, total: Amount) -> bool {
        cx.settings
            .pin_needed(self.already_refunded().saturating_add(total))
    }

    pub(super) fn confirm(&mut self, cx: &mut Cx<'_>, parts: Vec<(String, Amount)>) {
        let lang = cx.lang;
        self.pin_error = None;
        self.error = None;
        let total: Amount = parts.iter().map(|(_, a)| *a).sum();
        let pin = if self.pin_needed(cx, total) {
            if cx.settings.pin_hash.is_none() {
                self.pin_error = Some(text::PIN_NOT_SET.get(lang).to_string());
                return;
            }
            if self.pin.trim().is_empty() {
                self.pin_error = Some(text::PIN_NEEDED.get(lang).to_string());
                return;
            }
            Some(manager::Pin::new(&self.pin))
        } else {
            None
        };
        self.pin.clear();
        let Some(c) = &self.checkout else { return };
        let reason = self.reason();
        let waiting = parts.len();
        cx.send(Command::Refund {
            checkout_id: c.id.clone(),
            parts: parts.clone(),
            reason,
            pin,
        });
        self.sent.clear();
        self.stage = Some(Stage::Sending { waiting, parts });
    }

    pub(super) fn confirm_ui(
        &mut self,
        ui: &mut Ui,
        cx: &mut Cx<'_>,
        checkout: &Checkout,
        parts: Vec<(String, Amount)>,
        close: &mut bool,
    ) {
        let lang = cx.lang;
        ui.label(
            RichText::new(text::REFUND_CONFIRM_Q.get(lang))
                .size(18.0)
                .strong(),
        );
        let editable = self.target == Some(Target::Order) && !self.split.is_empty();
        if editable {
            ui.label(text::REFUND_SPLIT.get(lang));
            let mut changed = None;
            egui::Grid::new("refund-split")
                .num_columns(3)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    for (i, (payment_id, typed)) in self.split.iter_mut().enumerate() {
                        let t = checkout.tender(payment_id);
                        let tender = t.map(|t| t.label()).unwrap_or_else(|| payment_id.clone());
                        let left = t.map_or(Amount::ZERO, |t| t.refundable);
                        let l = ui.label(RichText::new(&tender).size(16.0));
                        ui.horizontal(|ui| {
                            let r = widgets::with_currency(ui, lang, None, |ui| {
                                ui.add_sized(
                                    [90.0, 22.0],
                                    egui::TextEdit::singleline(typed).id_salt(("refund-split", i)),
                                )
                                .labelled_by(l.id)
                            });
                            if r.changed() {
                                changed = Some(i);
                            }
                        });
                        ui.label(format!(
                            "({} {})",
                            text::STILL_REFUNDABLE.get(lang),
                            left.display(lang)
                        ));
                        ui.end_row();
                    }
                });
            // A line changed is checked again when confirmed; its old error goes.
            if let Some(e) = changed.and_then(|i| self.split_errors.get_mut(i)) {
                *e = None;
            }
            // Errors under the grid, each naming its card, so the columns keep their width.
            for ((payment_id, _), e) in self.split.iter().zip(&self.split_errors) {
                if let Some(e) = e {
                    let tender = checkout
                        .tender(payment_id)
                        .map(|t| t.label())
                        .unwrap_or_else(|| payment_id.clone());
                    widgets::field_error_ui(ui, &lang.labelled(&tender, e));
                }
            }
            ui.label(
                RichText::new(lang.labelled(
                    text::REFUND_SPLIT_TOTAL.get(lang),
                    self.split_total().display(lang),
                ))
                .size(18.0)
                .strong(),
            );
        } else {
            for (payment_id, amount) in &parts {
                let tender = checkout
                    .tender(payment_id)
                    .map(|t| t.label())
                    .unwrap_or_else(|| payment_id.clone());
                ui.label(
                    RichText::new(format!(
                        "{} {} {tender}",
                        amount.display(lang),
                        text::ON_CARD.get(lang)
                    ))
                    .size(18.0),
                );
            }
        }
        ui.label(lang.labelled(text::REASON.get(lang), self.reason_in(lang)));
        let total: Amount = if editable {
            self.split_total()
        } else {
            parts.iter().map(|(_, a)| *a).sum()
        };
        let mut enter = false;
        if self.pin_needed(cx, total) {
            ui.horizontal(|ui| {
                let l = ui.label(text::MANAGER_PIN.get(lang));
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut self.pin)
                            .id_salt("refund-pin")
                            .password(true)
                            .desired_width(100.0),
                    )
                    .labelled_by(l.id);
                if r.changed() {
                    self.pin_error = None;
                }
                if !self.pin_focused {
                    // Asked for, the PIN is typed straight away; Enter confirms.
                    self.pin_focused = true;
                    r.request_focus();
                }
                enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            });
            if let Some(e) = &self.pin_error {
                widgets::field_error_ui(ui, e);
            }
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "refund-confirm");
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let confirm = ui
                .add(egui::Button::new(
                    RichText::new(text::REFUND_CONFIRM.get(lang)).strong(),
                ))
                .clicked();
            if (confirm || enter)
                && let Some(parts) = self.edited_split(lang, parts.clone())
            {
                self.confirm(cx, parts);
            }
            if ui.button(text::BACK.get(lang)).clicked() {
                self.stage = Some(Stage::Form);
                self.pin_error = None;
                self.error = None;
            }
            if ui.button(text::CANCEL.get(lang)).clicked() {
                *close = true;
            }
        });
    }
}
