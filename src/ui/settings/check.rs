//! The settings form checked as a whole: every field that makes no sense is named at once, each error kept beside
//! its field until the field is changed.

use egui::Ui;

use crate::app::settings::Settings;
use crate::domain::Amount;
use crate::i18n::{Lang, Localize};
use crate::till::manager::{self, Pin, PinRule};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::PinChange;

use super::{EnvChoice, SettingsPanel};

/// A field of the settings form that can be refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Field {
    CustomUrl,
    MerchantId,
    ReturnUrl,
    Operator,
    PinThreshold,
    CurrentPin,
    NewPin,
    NewPinAgain,
}

/// The errors of the last check, in the form's order, one per field at most.
#[derive(Debug, Default)]
pub(super) struct FieldErrors(Vec<(Field, String)>);

impl FieldErrors {
    /// The messages, in the form's order.
    pub(super) fn messages(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(_, m)| m.as_str())
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn add(&mut self, field: Field, message: String) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message));
            self.0.sort_by_key(|(f, _)| *f);
        }
    }

    /// Under a field: its error, if it has one. A field just changed loses its error (it is checked again at the
    /// next save).
    pub(super) fn under(&mut self, ui: &mut Ui, field: Field, changed: bool) {
        if changed {
            self.0.retain(|(f, _)| *f != field);
        }
        if let Some((_, e)) = self.0.iter().find(|(f, _)| *f == field) {
            widgets::field_error_ui(ui, e);
        }
    }
}

impl SettingsPanel {
    /// Builds settings from the form, or names every field that is wrong.
    pub(super) fn build(&self, lang: Lang) -> Result<(Settings, Option<PinChange>), FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.env == EnvChoice::Custom {
            let u = self.custom_url.trim();
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                errors.add(
                    Field::CustomUrl,
                    text::RETURN_URL_INVALID.get(lang).replace(
                        lang.pick("L'adresse de retour", "The return URL"),
                        lang.pick("L'adresse personnalisée", "The custom URL"),
                    ),
                );
            }
        }
        if self.env != EnvChoice::Sandbox && self.merchant_id.trim().is_empty() {
            errors.add(
                Field::MerchantId,
                text::MERCHANT_MISSING.get(lang).to_string(),
            );
        }
        let r = self.return_url.trim();
        if !r.is_empty()
            && (!(r.starts_with("https://") || r.starts_with("http://")) || r.len() > 200)
        {
            errors.add(
                Field::ReturnUrl,
                text::RETURN_URL_INVALID.get(lang).to_string(),
            );
        }
        let operator = self.operator.trim();
        if operator.is_empty() {
            errors.add(Field::Operator, text::OPERATOR_EMPTY.get(lang).to_string());
        } else if !manager::valid_operator(operator) {
            errors.add(
                Field::Operator,
                crate::till::TillError::OperatorInvalid(operator.to_string()).localize(lang),
            );
        }
        let threshold = if self.pin_threshold.trim().is_empty() {
            Ok(None)
        } else {
            Amount::parse(&self.pin_threshold)
                .and_then(|a| manager::check_threshold(a).map(|()| Some(a)))
                .map_err(|e| lang.labelled(text::PIN_THRESHOLD.get(lang), e.localize(lang)))
        };
        let threshold = threshold.unwrap_or_else(|e| {
            errors.add(Field::PinThreshold, e);
            None
        });
        let new_pin = (!self.new_pin.trim().is_empty()).then(|| Pin::new(&self.new_pin));
        if new_pin.as_ref().is_some_and(|p| !p.is_acceptable()) {
            errors.add(Field::NewPin, text::PIN_TOO_SHORT.get(lang).to_string());
        }
        if new_pin.is_some() && self.new_pin != self.new_pin_again {
            errors.add(Field::NewPinAgain, text::PIN_MISMATCH.get(lang).to_string());
        }
        let rule = PinRule {
            threshold,
            always: self.pin_always,
        };
        // The PIN and its rule are changed by the till, which asks for the current PIN once one is set. (With a
        // threshold refused, the rule is not known yet: the current PIN is asked once it is.)
        let threshold_ok = !errors.0.iter().any(|(f, _)| *f == Field::PinThreshold);
        let pin_change = (new_pin.is_some() || self.stored_rule != Some(rule)).then(|| PinChange {
            current: (!self.current_pin.trim().is_empty()).then(|| Pin::new(&self.current_pin)),
            new_pin,
            rule,
        });
        if threshold_ok
            && pin_change.is_some()
            && self.pin_hash.is_some()
            && self.current_pin.trim().is_empty()
        {
            errors.add(
                Field::CurrentPin,
                crate::till::TillError::PinCurrentNeeded.localize(lang),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let settings = Settings {
            environment: self.environment(),
            merchant_id: self.merchant_id.trim().to_string(),
            api_key_id: self.api_key_id.trim().to_string(),
            return_url: r.to_string(),
            operator: operator.to_string(),
            lang: self.lang,
            pin_hash: self.pin_hash.clone(),
            pin_threshold: threshold,
            pin_always: self.pin_always,
            // The theme and text size are not this form's: the worker keeps the ones in force.
            ..Settings::default()
        };
        Ok((settings, pin_change))
    }
}
