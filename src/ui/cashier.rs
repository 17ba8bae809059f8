//! Encaisser: type an amount, create the hosted checkout, show the page's QR code and follow the payment live.

use egui::{RichText, Ui};

use crate::domain::Amount;
use crate::domain::CheckoutState;
use crate::i18n::Localize;
use crate::ui::app::Cx;
use crate::ui::cancel_sale::{CancelSale, cancelled_ui};
use crate::ui::model::{Checkout, UiError, local_time};
use crate::ui::text;
use crate::ui::widgets::{self, Qr};
use crate::ui::worker::{Command, Event, Origin};

/// The cashier screen's state. What was typed stays until "Nouvelle vente", whatever fails.
#[derive(Default)]
pub struct CashierPanel {
    /// Amount as typed.
    pub amount: String,
    /// Order reference as typed.
    pub reference: String,
    /// Customer e-mail as typed.
    pub email: String,
    amount_error: Option<String>,
    reference_error: Option<String>,
    email_error: Option<String>,
    create_error: Option<UiError>,
    creating: bool,
    current: Option<Checkout>,
    qr: Option<Qr>,
    /// The receipt's page for the customer's phone, once published (sandbox mode).
    phone: Option<Qr>,
    phone_busy: bool,
    phone_error: Option<UiError>,
    refreshing: bool,
    refresh_error: Option<UiError>,
    open_error: Option<UiError>,
    /// The amount field was given the focus since the form appeared (at start, after "Nouvelle vente").
    amount_focused: bool,
    /// "Annuler la vente" for the sale in progress.
    pub cancel: CancelSale,
    /// The sales still open (left by a restart, or for another sale), to take up again.
    open_sales: Vec<Checkout>,
}

impl CashierPanel {
    /// The checkout being paid, once created.
    pub fn current(&self) -> Option<&Checkout> {
        self.current.as_ref()
    }

    /// The sales still open, listed under the form.
    pub fn open_sales(&self) -> &[Checkout] {
        &self.open_sales
    }

    /// The amount error shown next to the field, if any.
    pub fn amount_error(&self) -> Option<&str> {
        self.amount_error.as_deref()
    }

    /// The address of the receipt's page for the customer's phone, once published.
    pub fn phone_receipt(&self) -> Option<&str> {
        self.phone.as_ref().map(Qr::data)
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        self.cancel.on_event(event);
        match event {
            Event::CheckoutCreated(checkout) => {
                self.creating = false;
                self.create_error = None;
                self.qr = checkout.redirect_url.as_deref().and_then(Qr::new);
                self.phone = None;
                self.current = Some((**checkout).clone());
            }
            Event::OpenSales(sales) => self.open_sales = sales.clone(),
            Event::ReceiptOnPhone(url) => {
                self.phone_busy = false;
                self.phone_error = None;
                self.phone = Qr::new(url);
            }
            Event::Failed {
                origin: Origin::ReceiptPhone,
                error,
            } => {
                self.phone_busy = false;
                self.phone_error = Some(error.clone());
            }
            Event::CheckoutUpdated(checkout) => {
                if let Some(i) = self.open_sales.iter().position(|s| s.id == checkout.id) {
                    if checkout.can_be_abandoned() {
                        self.open_sales[i] = (**checkout).clone();
                    } else {
                        self.open_sales.remove(i);
                    }
                }
                if let Some(current) = &mut self.current
                    && current.id == checkout.id
                {
                    *current = (**checkout).clone();
                    self.refreshing = false;
                    self.refresh_error = None;
                    if checkout.abandoned.is_some() {
                        // A cancelled sale's page is no longer offered.
                        self.qr = None;
                    }
                    if checkout.status != CheckoutState::InProgress {
                        // The payment page is gone with the sale in progress, and so is the trouble opening it.
                        self.open_error = None;
                    }
                }
            }
            Event::Failed { origin, error } => match origin {
                Origin::Create => {
                    self.creating = false;
                    self.create_error = Some(error.clone());
                }
                Origin::Refresh if self.current.is_some() => {
                    self.refreshing = false;
                    self.refresh_error = Some(error.clone());
                }
                Origin::Open => self.open_error = Some(error.clone()),
                _ => {}
            },
            _ => {}
        }
    }

    pub(crate) fn submit(&mut self, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        self.amount_error = None;
        self.reference_error = None;
        self.email_error = None;
        self.create_error = None;
        let amount = match Amount::parse_positive(&self.amount) {
            Ok(a) => Some(a),
            Err(e) => {
                self.amount_error = Some(e.localize(lang));
                None
            }
        };
        let reference = self.reference.trim().to_string();
        if reference.chars().count() > 40 {
            self.reference_error = Some(text::REFERENCE_TOO_LONG.get(lang).to_string());
        }
        let email = self.email.trim().to_string();
        if !email.is_empty() && !looks_like_email(&email) {
            self.email_error = Some(text::EMAIL_INVALID.get(lang).to_string());
        }
        let Some(amount) = amount else { return };
        if self.reference_error.is_some() || self.email_error.is_some() {
            return;
        }
        if !cx.ready {
            self.create_error = Some(UiError::new(text::NOT_READY, ""));
            return;
        }
        self.creating = true;
        cx.send(Command::CreateCheckout {
            amount,
            reference: (!reference.is_empty()).then_some(reference),
            email: (!email.is_empty()).then_some(email),
        });
    }

    fn new_sale(&mut self, cx: &mut Cx<'_>) {
        *self = CashierPanel::default();
        cx.send(Command::LoadOpenSales);
    }

    /// Shows an open sale again, as when it was rung up, and reads it anew.
    fn take_up(&mut self, sale: Checkout, cx: &mut Cx<'_>) {
        let id = sale.id.clone();
        let open_sales = std::mem::take(&mut self.open_sales);
        *self = CashierPanel {
            qr: sale.redirect_url.as_deref().and_then(Qr::new),
            current: Some(sale),
            refreshing: true,
            amount_focused: true,
            open_sales,
            ..CashierPanel::default()
        };
        cx.send(Command::Refresh { id });
    }

    fn open_sales_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        if self.open_sales.is_empty() {
            return;
        }
        ui.add_space(16.0);
        ui.label(RichText::new(text::OPEN_SALES.get(lang)).strong());
        let mut take = None;
        for s in &self.open_sales {
            ui.horizontal(|ui| {
                ui.label(local_time(s.created_at));
                ui.label(RichText::new(&s.reference).strong());
                ui.label(s.amount.display(lang));
                ui.label(s.status.label(lang));
                let label = format!("{} {}", text::TAKE_UP_SALE.get(lang), s.reference);
                if ui.button(label).clicked() {
                    take = Some(s.clone());
                }
            });
        }
        if let Some(s) = take {
            self.take_up(s, cx);
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        if self.current.is_none() {
            self.form_ui(ui, cx);
        } else {
            self.checkout_ui(ui, cx);
        }
    }

    fn form_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.add_space(8.0);
        ui.heading(text::NEW_SALE_HEADING.get(lang));
        ui.add_space(8.0);
        let mut enter = false;
        egui::Grid::new("cashier-form")
            .num_columns(2)
            .spacing([12.0, 10.0])
            .show(ui, |ui| {
                let label = ui.label(RichText::new(text::AMOUNT.get(lang)).size(18.0));
                ui.vertical(|ui| {
                    ui.horizontal(|ui| {
                        let r = widgets::with_currency(ui, lang, Some(18.0), |ui| {
                            ui.add(
                                egui::TextEdit::singleline(&mut self.amount)
                                    .id_salt("cashier-amount")
                                    .hint_text(Amount::literal(1750).typed(lang))
                                    .font(egui::TextStyle::Heading)
                                    .desired_width(180.0),
                            )
                            .labelled_by(label.id)
                        });
                        if r.changed() && self.amount_error.is_some() {
                            // Shown once, the error follows the typing: it goes when the amount is right.
                            self.amount_error = Amount::parse_positive(&self.amount)
                                .err()
                                .map(|e| e.localize(lang));
                        }
                        if !self.amount_focused {
                            // A new sale starts at the keyboard: the amount is typed straight away.
                            self.amount_focused = true;
                            r.request_focus();
                        }
                        enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    });
                    if let Some(e) = &self.amount_error {
                        widgets::field_error_ui(ui, e);
                    }
                });
                ui.end_row();

                let label = ui.label(text::REFERENCE.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.reference)
                                .id_salt("cashier-reference")
                                .hint_text(text::REFERENCE_HINT.get(lang))
                                .desired_width(280.0),
                        )
                        .labelled_by(label.id);
                    enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if r.changed() && self.reference.trim().chars().count() <= 40 {
                        self.reference_error = None;
                    }
                    if let Some(e) = &self.reference_error {
                        widgets::field_error_ui(ui, e);
                    }
                });
                ui.end_row();

                let label = ui.label(text::EMAIL.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.email)
                                .id_salt("cashier-email")
                                .hint_text(text::OPTIONAL.get(lang))
                                .desired_width(280.0),
                        )
                        .labelled_by(label.id);
                    enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let email = self.email.trim();
                    if r.changed() && (email.is_empty() || looks_like_email(email)) {
                        self.email_error = None;
                    }
                    if let Some(e) = &self.email_error {
                        widgets::field_error_ui(ui, e);
                    }
                });
                ui.end_row();
            });
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            let button =
                egui::Button::new(RichText::new(text::CREATE_PAYMENT.get(lang)).size(18.0))
                    .min_size(egui::vec2(220.0, 40.0));
            let clicked = ui.add_enabled(!self.creating, button).clicked();
            if self.creating {
                widgets::busy_ui(ui);
                ui.label(text::CREATING.get(lang));
            }
            if (clicked || enter) && !self.creating {
                self.submit(cx);
            }
        });
        if let Some(e) = &self.create_error {
            ui.add_space(6.0);
            widgets::error_ui(ui, lang, e, "create");
        }
        self.open_sales_ui(ui, cx);
    }

    fn checkout_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        let Some(checkout) = self.current.clone() else {
            return;
        };
        ui.add_space(8.0);
        ui.columns(2, |cols| {
            let [left, right] = cols else { return };
            self.status_ui(left, cx, &checkout);
            right.vertical_centered(|ui| {
                if checkout.status == CheckoutState::InProgress {
                    if let Some(qr) = &self.qr {
                        let side = ui
                            .available_width()
                            .min(ui.available_height() - 60.0)
                            .clamp(160.0, 340.0);
                        qr.ui(ui, side);
                        ui.label(text::QR_HINT.get(lang));
                        // The address the code carries: a phone must be able to reach it.
                        if let Some(host) = qr.data().split('/').nth(2) {
                            ui.small(format!("QR : {host}"));
                        }
                        if ui.small_button(text::COPY_LINK.get(lang)).clicked() {
                            ui.ctx().copy_text(qr.data().to_string());
                        }
                    }
                } else if checkout.status == CheckoutState::Paid {
                    if let Some(qr) = &self.phone {
                        // The receipt on the customer's phone: nothing secret in the code, an unguessable address.
                        let side = ui
                            .available_width()
                            .min(ui.available_height() - 60.0)
                            .clamp(160.0, 300.0);
                        qr.ui(ui, side);
                        ui.label(lang.pick(
                            "Le client scanne ce code pour garder son reçu.",
                            "The customer scans this code to keep the receipt.",
                        ));
                        return;
                    }
                    ui.add_space(40.0);
                    ui.label(
                        RichText::new(text::PAID_BIG.get(lang).to_string())
                            .size(64.0)
                            .strong()
                            .color(widgets::OK_GREEN),
                    );
                    ui.label(RichText::new(checkout.amount.display(lang)).size(32.0));
                    ui.add_space(12.0);
                    if ui
                        .add_enabled(
                            cx.ready && !self.phone_busy,
                            egui::Button::new(lang.pick(
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
            });
        });
    }

    fn status_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, checkout: &Checkout) {
        let lang = cx.lang;
        ui.label(
            RichText::new(checkout.amount.display(lang))
                .size(34.0)
                .strong(),
        );
        ui.label(lang.labelled(text::REFERENCE.get(lang), &checkout.reference));
        if let Some(email) = &checkout.email {
            ui.label(lang.labelled(text::EMAIL_SHORT.get(lang), email));
        }
        ui.add_space(6.0);
        let status_color = match checkout.status {
            CheckoutState::Paid => widgets::OK_GREEN,
            CheckoutState::InProgress | CheckoutState::PartiallyPaid => {
                egui::Color32::from_rgb(200, 130, 0)
            }
            _ => widgets::ERROR_RED,
        };
        ui.horizontal(|ui| {
            ui.label(
                RichText::new(format!("{}{}", text::STATUS.get(lang), lang.colon())).size(18.0),
            );
            ui.label(
                RichText::new(checkout.status.label(lang))
                    .size(18.0)
                    .strong()
                    .color(status_color),
            );
            // Watched until final: a partially paid sale may still be completed or refunded.
            if !checkout.status.is_final() {
                widgets::busy_ui(ui);
                ui.label(text::WATCHING.get(lang));
            }
        });
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if let Some(url) = &checkout.redirect_url
                && checkout.status == CheckoutState::InProgress
                && ui
                    .add(
                        egui::Button::new(
                            RichText::new(text::OPEN_PAYMENT_PAGE.get(lang)).size(16.0),
                        )
                        .min_size(egui::vec2(0.0, 34.0)),
                    )
                    .clicked()
            {
                self.open_error = None;
                cx.send(Command::OpenUrl(url.clone()));
            }
            let refresh = ui.add_enabled(
                !self.refreshing,
                egui::Button::new(text::REFRESH.get(lang)).min_size(egui::vec2(0.0, 34.0)),
            );
            if refresh.clicked() {
                self.refreshing = true;
                self.refresh_error = None;
                cx.send(Command::Refresh {
                    id: checkout.id.clone(),
                });
            }
            if self.refreshing {
                widgets::busy_ui(ui);
            }
            if ui
                .add(egui::Button::new(text::NEW_SALE.get(lang)).min_size(egui::vec2(0.0, 34.0)))
                .clicked()
            {
                self.new_sale(cx);
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
        ui.label(RichText::new(text::TENDERS.get(lang)).strong());
        if checkout.tenders.is_empty() {
            ui.label(text::NO_TENDER_YET.get(lang));
        } else {
            egui::Grid::new("cashier-tenders")
                .striped(true)
                .num_columns(3)
                .show(ui, |ui| {
                    for t in &checkout.tenders {
                        ui.label(&t.kind);
                        ui.label(RichText::new(&t.masked_number).monospace());
                        ui.label(t.amount.display(lang));
                        ui.end_row();
                    }
                });
        }
        let left = checkout.left_to_pay();
        if left > Amount::ZERO && checkout.status != CheckoutState::Paid {
            ui.label(lang.labelled(text::LEFT_TO_PAY.get(lang), left.display(lang)));
        }
        ui.add_space(10.0);
        widgets::copyable_ui(ui, lang, text::CHECKOUT_ID.get(lang), &checkout.id);
    }
}

/// A light check that catches typing slips; the platform has the last word.
fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
        && s.len() <= 70
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn email_check_catches_slips() {
        assert!(looks_like_email("client@exemple.fr"));
        assert!(!looks_like_email("client.exemple.fr"));
        assert!(!looks_like_email("client@exemple"));
        assert!(!looks_like_email("cli ent@exemple.fr"));
    }
}
