//! The counter ("Caisse"): a big amount typed on the keyboard or the on-screen keypad, a big "Encaisser", then the
//! hosted page's QR code and the payment followed live, with "Aujourd'hui" beside it.

use egui::{RichText, Ui};

use crate::domain::Amount;
use crate::domain::CheckoutState;
use crate::i18n::Localize;
use crate::ui::app::Cx;
use crate::ui::cancel_sale::CancelSale;
use crate::ui::keypad;
use crate::ui::model::{Checkout, UiError};
use crate::ui::text;
use crate::ui::today::{TodayAction, TodayPanel};
use crate::ui::widgets::{self, Qr};
use crate::ui::worker::{Command, Event, Origin};

mod sale;

/// The width of the amount, the keypad and "Encaisser": three keys and their gaps.
const COLUMN: f32 = 3.0 * keypad::KEY_WIDTH + 2.0 * 8.0;

/// The counter's state. What was typed stays until "Nouvelle vente", whatever fails.
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
    /// The keypad changed the amount: the field takes the focus back, its cursor at the end.
    keyed: bool,
    /// "Annuler la vente" for the sale in progress.
    pub cancel: CancelSale,
    /// The sales still open (left by a restart, or for another sale), to take up again.
    open_sales: Vec<Checkout>,
    /// Sales seen over (paid, cancelled, expired) since the list was asked for: a list read just before is not
    /// allowed to bring them back.
    over: std::collections::HashSet<String>,
    /// "Aujourd'hui".
    pub today: TodayPanel,
    /// A sale to open in Transactions (its hosted checkout id), for the app to take.
    show_in_transactions: Option<String>,
}

impl CashierPanel {
    /// The checkout being paid, once created.
    pub fn current(&self) -> Option<&Checkout> {
        self.current.as_ref()
    }

    /// The sales still open, listed in "Aujourd'hui".
    pub fn open_sales(&self) -> &[Checkout] {
        &self.open_sales
    }

    /// The amount error shown next to the field, if any.
    pub fn amount_error(&self) -> Option<&str> {
        self.amount_error.as_deref()
    }

    /// Why the last "Encaisser" failed, if it did, and whether one is under way.
    pub fn create_state(&self) -> (bool, Option<&UiError>) {
        (self.creating, self.create_error.as_ref())
    }

    /// The address of the receipt's page for the customer's phone, once published.
    pub fn phone_receipt(&self) -> Option<&str> {
        self.phone.as_ref().map(Qr::data)
    }

    /// A sale the cashier asked to see in Transactions (its hosted checkout id), once.
    pub fn take_show_in_transactions(&mut self) -> Option<String> {
        self.show_in_transactions.take()
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        self.cancel.on_event(event);
        self.today.on_event(event);
        match event {
            Event::CheckoutCreated(checkout) => {
                self.creating = false;
                self.create_error = None;
                self.qr = checkout.redirect_url.as_deref().and_then(Qr::new);
                self.phone = None;
                self.current = Some((**checkout).clone());
                if checkout.can_be_abandoned()
                    && !self.open_sales.iter().any(|s| s.id == checkout.id)
                {
                    self.open_sales.insert(0, (**checkout).clone());
                }
            }
            Event::OpenSales(sales) => {
                self.open_sales = sales
                    .iter()
                    .filter(|s| !self.over.contains(&s.id))
                    .cloned()
                    .collect();
            }
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
                if !checkout.can_be_abandoned() {
                    self.over.insert(checkout.id.clone());
                }
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

    /// The counter is shown: the open sales and the day, read anew.
    pub fn opened(&mut self, commands: &mut Vec<Command>) {
        commands.push(Command::LoadOpenSales);
        self.today.reload();
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

    /// Back to an empty form; the open sales and the day stay.
    pub(crate) fn new_sale(&mut self, cx: &mut Cx<'_>) {
        *self = CashierPanel {
            open_sales: std::mem::take(&mut self.open_sales),
            over: std::mem::take(&mut self.over),
            today: std::mem::take(&mut self.today),
            ..CashierPanel::default()
        };
        cx.send(Command::LoadOpenSales);
    }

    /// Shows an open sale again, as when it was rung up, and reads it anew.
    fn take_up(&mut self, sale: Checkout, cx: &mut Cx<'_>) {
        let id = sale.id.clone();
        *self = CashierPanel {
            qr: sale.redirect_url.as_deref().and_then(Qr::new),
            current: Some(sale),
            refreshing: true,
            amount_focused: true,
            open_sales: std::mem::take(&mut self.open_sales),
            over: std::mem::take(&mut self.over),
            today: std::mem::take(&mut self.today),
            ..CashierPanel::default()
        };
        cx.send(Command::Refresh { id });
    }

    /// Draws the screen: "Aujourd'hui" on the right, the sale on the left.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let on_screen = self.current.as_ref().map(|c| c.id.clone());
        let mut action = None;
        // "Aujourd'hui" takes a third of the width, at most 390 points: the sale keeps the rest at 150 % text.
        let today_width = (ui.available_width() * 0.34).clamp(280.0, 390.0);
        egui::Panel::right("today")
            .resizable(false)
            .exact_size(today_width)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("today-scroll")
                    .show(ui, |ui| {
                        action = self
                            .today
                            .ui(ui, cx, &self.open_sales, on_screen.as_deref());
                    });
            });
        // While a sale is being created, its answer would replace the one taken up: the list waits.
        if self.creating {
            action = None;
        }
        match action {
            Some(TodayAction::TakeUp(sale)) => self.take_up(sale, cx),
            Some(TodayAction::Cancel(sale)) => {
                let id = sale.id.clone();
                self.take_up(sale, cx);
                self.cancel.ask(&id);
            }
            Some(TodayAction::Show(id)) => self.show_in_transactions = Some(id),
            None => {}
        }
        let room = ui.available_size();
        egui::ScrollArea::vertical()
            .id_salt("counter-scroll")
            .show(ui, |ui| {
                if self.current.is_none() {
                    self.form_ui(ui, cx, room);
                } else {
                    self.checkout_ui(ui, cx);
                }
            });
    }

    /// The form: the amount, the keypad and "Encaisser" in one column, the reference and the e-mail beside it (or
    /// under it when `room` is narrow). The keys are as high as `room` allows for "Encaisser" to stay on screen,
    /// never under a finger's 44 points.
    fn form_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, room: egui::Vec2) {
        // Short of room (large text on a small screen), the heading goes: the tab already says where we are.
        let compact = room.y < 520.0;
        if !compact {
            ui.add_space(8.0);
        }
        let mut enter = false;
        // Heading, amount, gaps and "Encaisser" take about 230 points; the four rows of keys share the rest.
        let fixed = if compact { 190.0 } else { 230.0 };
        let key_height = (room.y - fixed - 3.0 * 8.0) / 4.0;
        if room.x >= COLUMN + 24.0 + 300.0 {
            ui.horizontal_top(|ui| {
                ui.vertical(|ui| enter |= self.column_ui(ui, cx, key_height, compact));
                ui.add_space(24.0);
                ui.vertical(|ui| {
                    ui.add_space(40.0);
                    enter |= self.details_ui(ui, cx);
                });
            });
        } else {
            enter |= self.column_ui(ui, cx, key_height, compact);
            ui.add_space(16.0);
            enter |= self.details_ui(ui, cx);
        }
        if enter && !self.creating && self.current.is_none() {
            self.submit(cx);
        }
    }

    /// The amount, the keypad and "Encaisser". True when Enter was pressed in the amount or the button clicked.
    fn column_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, key_height: f32, compact: bool) -> bool {
        let lang = cx.lang;
        ui.set_width(COLUMN);
        if !compact {
            ui.heading(text::NEW_SALE_HEADING.get(lang));
            ui.add_space(6.0);
        }
        let mut enter = self.amount_ui(ui, cx);
        ui.add_space(8.0);
        if keypad::keypad_ui(ui, &mut self.amount, lang, key_height) {
            self.keyed = true;
            if self.amount_error.is_some() {
                self.amount_error = Amount::parse_positive(&self.amount)
                    .err()
                    .map(|e| e.localize(lang));
            }
        }
        ui.add_space(10.0);
        let button = egui::Button::new(
            RichText::new(text::CREATE_PAYMENT.get(lang))
                .size(26.0)
                .strong()
                .color(egui::Color32::WHITE),
        )
        .fill(widgets::OK_GREEN)
        .min_size(egui::vec2(COLUMN, 60.0));
        enter |= ui.add_enabled(!self.creating, button).clicked();
        if self.creating {
            ui.horizontal(|ui| {
                widgets::busy_ui(ui);
                ui.label(text::CREATING.get(lang));
            });
        }
        if let Some(e) = &self.create_error {
            ui.add_space(6.0);
            widgets::error_ui(ui, lang, e, "create");
        }
        enter
    }

    /// The amount, big, with its error under it. True when Enter was pressed in it.
    fn amount_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) -> bool {
        let lang = cx.lang;
        let label = ui.label(RichText::new(text::AMOUNT.get(lang)).size(18.0));
        let mut enter = false;
        ui.horizontal(|ui| {
            let r = widgets::with_currency(ui, lang, Some(40.0), |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.amount)
                        .id_salt("cashier-amount")
                        .hint_text(Amount::literal(1750).typed(lang))
                        .font(egui::FontId::proportional(40.0))
                        .align(egui::Align2::RIGHT_CENTER)
                        .desired_width(COLUMN - 40.0),
                )
                .labelled_by(label.id)
            });
            if r.changed() && self.amount_error.is_some() {
                // Shown once, the error follows the typing: it goes when the amount is right.
                self.amount_error = Amount::parse_positive(&self.amount)
                    .err()
                    .map(|e| e.localize(lang));
            }
            if !self.amount_focused || std::mem::take(&mut self.keyed) {
                // A new sale starts at the keyboard: the amount is typed straight away, and after a key of the
                // keypad the keyboard goes on where it ended.
                self.amount_focused = true;
                r.request_focus();
                cursor_to_end(ui.ctx(), r.id, &self.amount);
            }
            enter = r.lost_focus() && widgets::enter_pressed(ui);
        });
        if let Some(e) = &self.amount_error {
            widgets::field_error_ui(ui, e);
        }
        enter
    }

    /// The reference and the customer's e-mail, both optional. True when Enter was pressed in one.
    fn details_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) -> bool {
        let lang = cx.lang;
        let mut enter = false;
        let r = labelled_field(
            ui,
            text::REFERENCE.get(lang),
            &mut self.reference,
            "cashier-reference",
            text::REFERENCE_HINT.get(lang),
        );
        enter |= r.lost_focus() && widgets::enter_pressed(ui);
        if r.changed() && self.reference.trim().chars().count() <= 40 {
            self.reference_error = None;
        }
        if let Some(e) = &self.reference_error {
            widgets::field_error_ui(ui, e);
        }
        ui.add_space(10.0);
        let r = labelled_field(
            ui,
            text::EMAIL.get(lang),
            &mut self.email,
            "cashier-email",
            text::OPTIONAL.get(lang),
        );
        enter |= r.lost_focus() && widgets::enter_pressed(ui);
        let email = self.email.trim();
        if r.changed() && (email.is_empty() || looks_like_email(email)) {
            self.email_error = None;
        }
        if let Some(e) = &self.email_error {
            widgets::field_error_ui(ui, e);
        }
        ui.add_space(10.0);
        ui.label(
            RichText::new(lang.pick(
                "Touche Entrée : encaisser. Le client paie sur la page Worldline (QR code ou navigateur).",
                "Press Enter to charge. The customer pays on the Worldline page (QR code or browser).",
            ))
            .weak(),
        );
        enter
    }
}

/// An optional field of the form under its label, a finger's height.
fn labelled_field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    id_salt: &str,
    hint: &str,
) -> egui::Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .id_salt(id_salt)
            .hint_text(hint)
            .min_size(egui::vec2(0.0, crate::ui::today::TARGET))
            .desired_width(300.0),
    )
    .labelled_by(label.id)
}

/// Puts a text field's cursor after its last character (the keypad typed into it).
fn cursor_to_end(ctx: &egui::Context, id: egui::Id, text: &str) {
    if let Some(mut state) = egui::TextEdit::load_state(ctx, id) {
        let end = egui::text::CCursor::new(text.chars().count());
        state
            .cursor
            .set_char_range(Some(egui::text::CCursorRange::one(end)));
        state.store(ctx, id);
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
