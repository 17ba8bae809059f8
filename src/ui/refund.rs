//! Rembourser: the refund dialog. Per tender or as an order amount (split by the till, each card's share editable
//! before confirming), a required reason, a confirmation that restates amount and card, the manager PIN when the
//! rules ask for it. Once confirmed the button stays disabled until the till answers, so one press is one refund.

use egui::{RichText, Ui};

use crate::domain::Amount;
use crate::i18n::{Lang, Localize};
use crate::ui::app::Cx;
use crate::ui::model::{Checkout, UiError};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

mod confirm;

/// What the refund applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One tender.
    Tender(String),
    /// The order: the till splits the amount over the tenders.
    Order,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Form,
    Allocating,
    Confirm {
        parts: Vec<(String, Amount)>,
    },
    Sending {
        waiting: usize,
        /// What was confirmed, to come back to when the manager PIN is refused.
        parts: Vec<(String, Amount)>,
    },
    Done,
}

/// The dialog's state; closed when `checkout` is `None`.
#[derive(Default)]
pub struct RefundDialog {
    checkout: Option<Checkout>,
    target: Option<Target>,
    /// Amount as typed.
    pub amount: String,
    /// Index into [`text::REASONS`].
    pub reason_index: Option<usize>,
    /// Free text of the reason.
    pub reason_text: String,
    /// Manager PIN as typed (cleared after use).
    pub pin: String,
    stage: Option<Stage>,
    /// An order refund's split as proposed by the till, then as edited: (tender, amount as typed).
    pub split: Vec<(String, String)>,
    split_errors: Vec<Option<String>>,
    amount_error: Option<String>,
    reason_error: Option<String>,
    pin_error: Option<String>,
    error: Option<UiError>,
    sent: Vec<crate::ui::model::RefundLine>,
    /// The language amounts are typed in (set when the dialog opens).
    lang: Lang,
    /// The amount field was given the focus since the dialog opened.
    amount_focused: bool,
    /// The PIN field was given the focus since the confirmation appeared.
    pin_focused: bool,
}

impl RefundDialog {
    /// Is the dialog open?
    pub fn is_open(&self) -> bool {
        self.checkout.is_some()
    }

    /// One line on where the dialog stands, for test failure messages and logs (never the PIN itself).
    pub fn describe(&self) -> String {
        format!(
            "stage {:?}, PIN typed {} chars, PIN error {:?}, sent {}",
            self.stage,
            self.pin.len(),
            self.pin_error,
            self.sent.len()
        )
    }

    /// The reason picked from the list, if one was.
    pub fn reason_picked(&self) -> Option<&'static str> {
        self.reason_index
            .and_then(|i| text::REASONS.get(i))
            .map(|t| t.get(crate::i18n::Lang::Fr))
    }

    /// The last error the till gave for this refund, if any.
    pub fn error(&self) -> Option<&UiError> {
        self.error.as_ref()
    }

    /// Is a refund being sent (the confirm button disabled)?
    pub fn in_flight(&self) -> bool {
        matches!(self.stage, Some(Stage::Sending { .. }))
    }

    fn open(&mut self, checkout: &Checkout, target: Target, amount: Amount, lang: Lang) {
        *self = RefundDialog {
            checkout: Some(checkout.clone()),
            target: Some(target),
            amount: amount.typed(lang),
            lang,
            stage: Some(Stage::Form),
            ..RefundDialog::default()
        };
    }

    /// Opens for one tender, the amount preset to what is left on it (as typed in `lang`).
    pub fn open_tender(&mut self, checkout: &Checkout, payment_id: &str, lang: Lang) {
        let left = checkout
            .tender(payment_id)
            .map_or(Amount::ZERO, |t| t.refundable);
        self.open(checkout, Target::Tender(payment_id.to_string()), left, lang);
    }

    /// Opens for an order-level amount, preset to everything left (as typed in `lang`).
    pub fn open_order(&mut self, checkout: &Checkout, lang: Lang) {
        self.open(checkout, Target::Order, checkout.refundable(), lang);
    }

    /// Closes the dialog without refunding anything (what "Annuler" does).
    pub fn close(&mut self) {
        *self = RefundDialog::default();
    }

    /// Keeps the dialog's copy of the checkout fresh (what is left to refund changes), and the refunds it sent
    /// with where they stand now (a pending refund that completed says so).
    pub fn checkout_updated(&mut self, checkout: &Checkout) {
        if let Some(c) = &mut self.checkout
            && c.id == checkout.id
        {
            *c = checkout.clone();
            for line in &mut self.sent {
                let now = checkout
                    .refunds
                    .iter()
                    .find(|r| match (&r.refund_id, &line.refund_id) {
                        (Some(a), Some(b)) => a == b,
                        _ => {
                            r.payment_id == line.payment_id
                                && r.amount == line.amount
                                && r.created_at == line.created_at
                        }
                    });
                if let Some(now) = now {
                    *line = now.clone();
                }
            }
        }
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event, commands: &mut Vec<Command>) {
        let Some(checkout) = &self.checkout else {
            return;
        };
        match event {
            Event::Allocation { checkout_id, parts } if *checkout_id == checkout.id => {
                if matches!(self.stage, Some(Stage::Allocating)) {
                    // Every card with something left gets a line: the till's share, or zero to fill in.
                    self.split = checkout
                        .tenders
                        .iter()
                        .filter(|t| t.refundable > Amount::ZERO)
                        .map(|t| {
                            let share = parts
                                .iter()
                                .find(|(p, _)| *p == t.payment_id)
                                .map_or(Amount::ZERO, |(_, a)| *a);
                            (t.payment_id.clone(), share.typed(self.lang))
                        })
                        .collect();
                    self.split_errors = vec![None; self.split.len()];
                    self.stage = Some(Stage::Confirm {
                        parts: parts.clone(),
                    });
                }
            }
            Event::RefundRecorded(line) => {
                if let Some(Stage::Sending { waiting, .. }) = &mut self.stage {
                    self.sent.push((**line).clone());
                    *waiting = waiting.saturating_sub(1);
                    if *waiting == 0 {
                        self.stage = Some(Stage::Done);
                        commands.push(Command::LoadCheckout {
                            id: checkout.id.clone(),
                        });
                    }
                }
            }
            Event::Failed { origin, error } => match origin {
                Origin::Allocate if matches!(self.stage, Some(Stage::Allocating)) => {
                    self.error = Some(error.clone());
                    self.stage = Some(Stage::Form);
                }
                Origin::RefundPin => {
                    // Nothing was sent: back to the confirmation, to type the PIN again.
                    if let Some(Stage::Sending { parts, .. }) = &self.stage {
                        self.stage = Some(Stage::Confirm {
                            parts: parts.clone(),
                        });
                        self.error = Some(error.clone());
                    }
                }
                Origin::Refund => {
                    if let Some(Stage::Sending { waiting, .. }) = &mut self.stage {
                        self.error = Some(error.clone());
                        *waiting = waiting.saturating_sub(1);
                        if *waiting == 0 {
                            // Back to the form with everything typed still there; the till refused or failed.
                            self.stage = Some(if self.sent.is_empty() {
                                Stage::Form
                            } else {
                                Stage::Done
                            });
                            commands.push(Command::LoadCheckout {
                                id: checkout.id.clone(),
                            });
                        }
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    /// The reason as the journal keeps it (the list's words in French, the details after them).
    fn reason(&self) -> String {
        self.reason_in(Lang::Fr)
    }

    /// The reason in the given language, for the screen.
    fn reason_in(&self, lang: Lang) -> String {
        let base = self
            .reason_index
            .and_then(|i| text::REASONS.get(i))
            .map(|t| t.get(lang))
            .unwrap_or_default();
        let extra = self.reason_text.trim();
        if extra.is_empty() {
            base.to_string()
        } else {
            lang.labelled(base, extra)
        }
    }

    fn refundable(&self) -> Amount {
        let Some(c) = &self.checkout else {
            return Amount::ZERO;
        };
        match &self.target {
            Some(Target::Tender(p)) => c.tender(p).map_or(Amount::ZERO, |t| t.refundable),
            _ => c.refundable(),
        }
    }

    /// The amount typed, or why it cannot be refunded.
    fn amount_checked(&self, lang: Lang) -> Result<Amount, String> {
        match Amount::parse_positive(&self.amount) {
            Ok(a) if a > self.refundable() => Err(format!(
                "{} ({}).",
                text::REFUND_TOO_MUCH.get(lang),
                self.refundable().display(lang)
            )),
            Ok(a) => Ok(a),
            Err(e) => Err(e.localize(lang)),
        }
    }

    /// What is wrong with the amount typed, if anything.
    fn amount_problem(&self, lang: Lang) -> Option<String> {
        self.amount_checked(lang).err()
    }

    /// What is missing from the reason, if anything.
    fn reason_problem(&self, lang: Lang) -> Option<String> {
        match self.reason_index {
            None => Some(text::REASON_MISSING.get(lang).to_string()),
            Some(i) if i + 1 == text::REASONS.len() && self.reason_text.trim().is_empty() => {
                Some(text::REASON_TEXT_MISSING.get(lang).to_string())
            }
            Some(_) => None,
        }
    }

    pub(crate) fn validate_form(&mut self, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        self.pin_error = None;
        self.error = None;
        let amount = self.amount_checked(lang);
        self.amount_error = amount.as_ref().err().cloned();
        let amount = amount.ok();
        self.reason_error = self.reason_problem(lang);
        let (Some(amount), None) = (amount, &self.reason_error) else {
            return;
        };
        let (Some(c), Some(target)) = (&self.checkout, &self.target) else {
            return;
        };
        match target {
            Target::Tender(p) => {
                self.stage = Some(Stage::Confirm {
                    parts: vec![(p.clone(), amount)],
                });
            }
            Target::Order => {
                self.stage = Some(Stage::Allocating);
                cx.send(Command::Allocate {
                    checkout_id: c.id.clone(),
                    amount,
                });
            }
        }
    }

    /// Is the confirmation step showing?
    pub fn confirming(&self) -> bool {
        matches!(self.stage, Some(Stage::Confirm { .. }))
    }

    /// Presses "Confirmer" on the confirmation step (the screenshot tour uses it).
    pub(crate) fn confirm_shown(&mut self, cx: &mut Cx<'_>) {
        if let Some(Stage::Confirm { parts }) = self.stage.clone()
            && let Some(parts) = self.edited_split(cx.lang, parts)
        {
            self.confirm(cx, parts);
        }
    }

    /// For an order refund, the split as edited: every line checked against what is left on its card, zero lines
    /// dropped. `None` (with the errors set beside the lines) when a line is wrong or nothing is left to send.
    fn edited_split(
        &mut self,
        lang: crate::i18n::Lang,
        parts: Vec<(String, Amount)>,
    ) -> Option<Vec<(String, Amount)>> {
        if self.target != Some(Target::Order) || self.split.is_empty() {
            return Some(parts);
        }
        let checkout = self.checkout.clone()?;
        self.split_errors = vec![None; self.split.len()];
        self.error = None;
        let mut out = Vec::new();
        for (i, (payment_id, typed)) in self.split.iter().enumerate() {
            let left = checkout
                .tender(payment_id)
                .map_or(Amount::ZERO, |t| t.refundable);
            match Amount::parse(typed) {
                Ok(a) if a == Amount::ZERO => {}
                Ok(a) if a > left => {
                    self.split_errors[i] = Some(format!(
                        "{} ({}).",
                        text::REFUND_TOO_MUCH.get(lang),
                        left.display(lang)
                    ));
                }
                Ok(a) => out.push((payment_id.clone(), a)),
                Err(e) => self.split_errors[i] = Some(e.localize(lang)),
            }
        }
        if self.split_errors.iter().any(Option::is_some) {
            return None;
        }
        if out.is_empty() {
            self.split_errors[0] = Some(text::REFUND_SPLIT_EMPTY.get(lang).to_string());
            return None;
        }
        Some(out)
    }

    /// The split's total as typed so far (lines that do not parse count as zero).
    fn split_total(&self) -> Amount {
        self.split
            .iter()
            .filter_map(|(_, t)| Amount::parse(t).ok())
            .sum()
    }

    /// Draws the dialog when open. Escape closes it, except while a refund is being sent.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let Some(checkout) = self.checkout.clone() else {
            return;
        };
        let lang = cx.lang;
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("refund-dialog")).show(ui.ctx(), |ui| {
            ui.set_width(480.0);
            ui.heading(format!(
                "{} · {} · {}",
                text::REFUND_TITLE.get(lang),
                checkout.reference,
                checkout.amount.display(lang)
            ));
            ui.add_space(6.0);
            let stage = self.stage.clone().unwrap_or(Stage::Form);
            if !matches!(stage, Stage::Confirm { .. }) {
                self.pin_focused = false;
            }
            match stage {
                Stage::Form | Stage::Allocating => self.form_ui(ui, cx, &checkout, &mut close),
                Stage::Confirm { parts } => self.confirm_ui(ui, cx, &checkout, parts, &mut close),
                Stage::Sending { .. } => {
                    ui.horizontal(|ui| {
                        widgets::busy_ui(ui);
                        ui.label(text::REFUND_SENDING.get(lang));
                    });
                    ui.add_enabled(false, egui::Button::new(text::REFUND_CONFIRM.get(lang)));
                }
                Stage::Done => {
                    for line in &self.sent {
                        let tender = checkout
                            .tender(&line.payment_id)
                            .map(|t| t.label())
                            .unwrap_or_else(|| line.payment_id.clone());
                        ui.label(
                            RichText::new(lang.labelled(
                                text::REFUND_SENT.get(lang),
                                format!(
                                    "{} {} {tender} · {}",
                                    line.amount.display(lang),
                                    text::ON_CARD.get(lang),
                                    line.status.label(lang)
                                ),
                            ))
                            .color(widgets::OK_GREEN),
                        );
                    }
                    if let Some(e) = &self.error {
                        widgets::error_ui(ui, lang, e, "refund-done");
                    }
                    // The refund's note, offered at once (one note for an order's refunds).
                    if let Some(first) = self.sent.first()
                        && ui.button(text::REFUND_NOTE.get(lang)).clicked()
                    {
                        cx.send(Command::Receipt {
                            target: crate::till::ReceiptTarget::Refund(first.number),
                            duplicate: false,
                        });
                        close = true;
                    }
                    if ui.button(text::CLOSE.get(lang)).clicked() {
                        close = true;
                    }
                }
            }
        });
        if modal.should_close() && !self.in_flight() {
            close = true;
        }
        if close {
            self.close();
        }
    }

    fn form_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>, checkout: &Checkout, close: &mut bool) {
        let lang = cx.lang;
        let allocating = matches!(self.stage, Some(Stage::Allocating));
        ui.label(RichText::new(text::REFUND_WHICH.get(lang)).strong());
        let mut target = self.target.clone().unwrap_or(Target::Order);
        for t in &checkout.tenders {
            let label = format!(
                "{} · {} {}",
                t.label(),
                text::STILL_REFUNDABLE.get(lang),
                t.refundable.display(lang)
            );
            ui.add_enabled_ui(t.refundable > Amount::ZERO, |ui| {
                ui.radio_value(&mut target, Target::Tender(t.payment_id.clone()), label);
            });
        }
        if checkout.tenders.len() > 1 {
            ui.radio_value(
                &mut target,
                Target::Order,
                text::REFUND_WHOLE_ORDER.get(lang),
            );
        }
        if Some(&target) != self.target.as_ref() {
            self.target = Some(target);
            self.amount = self.refundable().typed(lang);
        }
        ui.add_space(6.0);
        let mut enter = false;
        ui.horizontal(|ui| {
            let l = ui.label(text::REFUND_AMOUNT.get(lang));
            let r = widgets::with_currency(ui, lang, None, |ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.amount)
                        .id_salt("refund-amount")
                        .desired_width(100.0),
                )
                .labelled_by(l.id)
            });
            if !self.amount_focused {
                self.amount_focused = true;
                r.request_focus();
            }
            if r.changed() && self.amount_error.is_some() {
                self.amount_error = self.amount_problem(lang);
            }
            enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.small_button(text::REFUND_ALL.get(lang)).clicked() {
                self.amount = self.refundable().typed(lang);
            }
            ui.label(format!(
                "({} {})",
                text::STILL_REFUNDABLE.get(lang),
                self.refundable().display(lang)
            ));
        });
        if let Some(e) = &self.amount_error {
            widgets::field_error_ui(ui, e);
        }
        ui.horizontal(|ui| {
            let l = ui.label(text::REASON.get(lang));
            let selected = self
                .reason_index
                .and_then(|i| text::REASONS.get(i))
                .map_or(text::REASON_PICK.get(lang), |t| t.get(lang));
            let before = self.reason_index;
            egui::ComboBox::from_id_salt("refund-reason")
                .selected_text(selected)
                .width(220.0)
                .show_ui(ui, |ui| {
                    for (i, r) in text::REASONS.iter().enumerate() {
                        ui.selectable_value(&mut self.reason_index, Some(i), r.get(lang));
                    }
                })
                .response
                .labelled_by(l.id);
            if before != self.reason_index && self.reason_error.is_some() {
                self.reason_error = self.reason_problem(lang);
            }
        });
        ui.horizontal(|ui| {
            let l = ui.label(text::REASON_TEXT.get(lang));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.reason_text)
                        .id_salt("refund-reason_text")
                        .desired_width(300.0),
                )
                .labelled_by(l.id);
            if r.changed() && self.reason_error.is_some() {
                self.reason_error = self.reason_problem(lang);
            }
            enter |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        if let Some(e) = &self.reason_error {
            widgets::field_error_ui(ui, e);
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "refund-form");
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!allocating, egui::Button::new(text::CONTINUE.get(lang)))
                .clicked()
                || (enter && !allocating)
            {
                self.validate_form(cx);
            }
            if allocating {
                widgets::busy_ui(ui);
                ui.label(text::ALLOCATING.get(lang));
            }
            if ui.button(text::CANCEL.get(lang)).clicked() {
                *close = true;
            }
        });
    }
}
