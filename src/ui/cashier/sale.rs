//! The counter once the sale is rung up: its status in a band readable from two metres (colour and words), the hosted
//! page's QR code large, what each card paid, and "Nouvelle vente" one touch or Enter away.

use egui::{RichText, Ui};

use crate::domain::Amount;
use crate::domain::CheckoutState;
use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::cancel_sale::cancelled_ui;
use crate::ui::model::Checkout;
use crate::ui::text;
use crate::ui::today::TARGET;
use crate::ui::widgets;
use crate::ui::worker::Command;

use super::CashierPanel;

/// The band's colour and words for a sale.
fn banner(checkout: &Checkout, lang: Lang) -> (egui::Color32, String) {
    if checkout.abandoned.is_some() {
        return (
            widgets::ERROR_RED,
            lang.pick("Vente annulée", "Sale cancelled").to_string(),
        );
    }
    match checkout.status {
        CheckoutState::InProgress => (
            egui::Color32::from_rgb(196, 98, 0),
            lang.pick("En attente du paiement", "Waiting for payment")
                .to_string(),
        ),
        CheckoutState::PartiallyPaid => (
            egui::Color32::from_rgb(196, 98, 0),
            match lang {
                Lang::Fr => format!(
                    "{} : reste {}",
                    checkout.status.label(lang),
                    checkout.left_to_pay().display(lang)
                ),
                Lang::En => format!(
                    "{}: {} left",
                    checkout.status.label(lang),
                    checkout.left_to_pay().display(lang)
                ),
            },
        ),
        CheckoutState::Paid => (widgets::OK_GREEN, text::PAID_BIG.get(lang).to_string()),
        other => (widgets::ERROR_RED, other.label(lang).to_string()),
    }
}

fn big_button(words: &str) -> egui::Button<'_> {
    egui::Button::new(RichText::new(words).size(17.0)).min_size(egui::vec2(0.0, TARGET))
}

impl CashierPanel {
    pub(super) fn checkout_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        let Some(checkout) = self.current.clone() else {
            return;
        };
        ui.add_space(8.0);
        let (color, words) = banner(&checkout, lang);
        egui::Frame::new()
            .fill(color)
            .corner_radius(6.0)
            .inner_margin(egui::Margin::symmetric(18, 12))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(words)
                            .size(40.0)
                            .strong()
                            .color(egui::Color32::WHITE),
                    );
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.label(
                            RichText::new(checkout.amount.display(lang))
                                .size(34.0)
                                .color(egui::Color32::WHITE),
                        );
                    });
                });
            });
        ui.add_space(10.0);
        // The sale is over (paid, declined, expired, cancelled): Enter starts the next one.
        let over = checkout.status.is_final() || checkout.abandoned.is_some();
        if over && ui.memory(|m| m.focused().is_none()) && widgets::enter_pressed(ui) {
            self.new_sale(cx);
            return;
        }
        ui.columns(2, |cols| {
            let [left, right] = cols else { return };
            // Left-aligned, each widget its own width (a column stretches them by default).
            left.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                self.status_ui(ui, cx, &checkout);
            });
            right.vertical_centered(|ui| self.code_ui(ui, cx, &checkout));
        });
    }

    /// The right half: the hosted page's QR code while the sale waits, the receipt for the customer's phone once
    /// paid.
    fn code_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, checkout: &Checkout) {
        let lang = cx.lang;
        if checkout.status == CheckoutState::InProgress {
            if let Some(qr) = &self.qr {
                let side = ui
                    .available_width()
                    .min(ui.available_height() - 90.0)
                    .clamp(180.0, 380.0);
                qr.ui(ui, side);
                ui.label(RichText::new(text::QR_HINT.get(lang)).size(16.0));
                // The address the code carries: a phone must be able to reach it.
                if let Some(host) = qr.data().split('/').nth(2) {
                    ui.small(format!("QR : {host}"));
                }
                if ui.add(big_button(text::COPY_LINK.get(lang))).clicked() {
                    ui.ctx().copy_text(qr.data().to_string());
                }
            }
        } else if checkout.status == CheckoutState::Paid {
            if let Some(qr) = &self.phone {
                // The receipt on the customer's phone: nothing secret in the code, an unguessable address.
                let side = ui
                    .available_width()
                    .min(ui.available_height() - 60.0)
                    .clamp(180.0, 320.0);
                qr.ui(ui, side);
                ui.label(lang.pick(
                    "Le client scanne ce code pour garder son reçu.",
                    "The customer scans this code to keep the receipt.",
                ));
                return;
            }
            ui.add_space(30.0);
            ui.label(RichText::new(checkout.amount.display(lang)).size(32.0));
            ui.add_space(12.0);
            if ui
                .add_enabled(
                    cx.ready && !self.phone_busy,
                    big_button(lang.pick(
                        "Reçu sur le téléphone du client",
                        "Receipt on the customer's phone",
                    )),
                )
                .clicked()
            {
                self.phone_busy = true;
                self.phone_error = None;
                cx.send(Command::ReceiptToPhone {
                    reference: checkout.reference.clone(),
                });
            }
            if let Some(e) = &self.phone_error {
                widgets::error_ui(ui, lang, e, "phone-receipt");
            }
        }
    }

    fn status_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, checkout: &Checkout) {
        let lang = cx.lang;
        ui.label(lang.labelled(text::REFERENCE.get(lang), &checkout.reference));
        if let Some(email) = &checkout.email {
            ui.label(lang.labelled(text::EMAIL_SHORT.get(lang), email));
        }
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("{}{}", text::STATUS.get(lang), lang.colon())).size(18.0),
            );
            ui.label(
                RichText::new(checkout.status.label(lang))
                    .size(18.0)
                    .strong()
                    .color(banner(checkout, lang).0),
            );
            // Watched until final: a partially paid sale may still be completed or refunded.
            if !checkout.status.is_final() {
                widgets::busy_every_ui(ui, widgets::WATCH_TICK);
                ui.label(text::WATCHING.get(lang));
            }
        });
        ui.add_space(8.0);
        ui.horizontal_wrapped(|ui| {
            let over = checkout.status.is_final() || checkout.abandoned.is_some();
            let next =
                egui::Button::new(RichText::new(text::NEW_SALE.get(lang)).size(20.0).strong())
                    .min_size(egui::vec2(200.0, 56.0));
            let next = if over {
                next.fill(ui.visuals().selection.bg_fill)
            } else {
                next
            };
            if ui.add(next).clicked() {
                self.new_sale(cx);
            }
            if let Some(url) = &checkout.redirect_url
                && checkout.status == CheckoutState::InProgress
                && checkout.abandoned.is_none()
                && ui
                    .add(big_button(text::OPEN_PAYMENT_PAGE.get(lang)))
                    .clicked()
            {
                self.open_error = None;
                cx.send(Command::OpenUrl(url.clone()));
            }
            if ui
                .add_enabled(!self.refreshing, big_button(text::REFRESH.get(lang)))
                .clicked()
            {
                self.refreshing = true;
                self.refresh_error = None;
                cx.send(Command::Refresh {
                    id: checkout.id.clone(),
                });
            }
            if self.refreshing {
                widgets::busy_ui(ui);
            }
        });
        if let Some(e) = &self.open_error {
            widgets::error_ui(ui, lang, e, "open");
        }
        if let Some(e) = &self.refresh_error {
            widgets::error_ui(ui, lang, e, "refresh");
        }
        // A sale paid after its cancellation is refunded from its detail, in the Transactions.
        cancelled_ui(ui, cx, checkout, false);
        self.cancel.ui(ui, cx, checkout);
        ui.add_space(10.0);
        ui.label(RichText::new(text::TENDERS.get(lang)).strong().size(16.0));
        if checkout.tenders.is_empty() {
            ui.label(text::NO_TENDER_YET.get(lang));
        } else {
            egui::Grid::new("cashier-tenders")
                .striped(true)
                .num_columns(3)
                .spacing([16.0, 6.0])
                .show(ui, |ui| {
                    for t in &checkout.tenders {
                        ui.label(RichText::new(&t.kind).size(16.0));
                        ui.label(RichText::new(&t.masked_number).monospace());
                        ui.label(RichText::new(t.amount.display(lang)).size(16.0).strong());
                        ui.end_row();
                    }
                });
        }
        let left = checkout.left_to_pay();
        if left > Amount::ZERO && checkout.status != CheckoutState::Paid {
            ui.label(lang.labelled(text::LEFT_TO_PAY.get(lang), left.display(lang)));
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("{}{}", text::CHECKOUT_ID.get(lang), lang.colon())).weak(),
            );
            // Selectable, for a call to the platform's support; no small button on a touch screen.
            ui.add(egui::Label::new(RichText::new(&checkout.id).monospace()).selectable(true));
        });
    }
}
