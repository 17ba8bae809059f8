//! Réglages: the platform (environment, PSPID, API key id, secret to the keychain, connection test), the till
//! (returnUrl, operator, language) and the refund rules (manager PIN). Nothing is applied until "Enregistrer";
//! switching to production asks first.

use egui::{RichText, Ui};

use crate::app::settings::{Environment, Settings};
use crate::domain::Amount;
use crate::i18n::Lang;
use crate::till::manager::PinRule;
use crate::ui::app::Cx;
use crate::ui::model::{KeychainState, UiError};
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin, Secret};

pub mod backup;
mod check;
pub mod display;
pub mod printer;

use check::{Field, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvChoice {
    Sandbox,
    Preprod,
    Prod,
    Custom,
}

/// The settings form.
pub struct SettingsPanel {
    /// "Sauvegarde": a copy of the ledger now, and the reminder.
    pub backup: backup::BackupSection,
    /// "Imprimante des reçus".
    pub printer: printer::PrinterSection,
    /// "Affichage": theme and text size.
    pub display: display::DisplaySection,
    env: EnvChoice,
    /// Custom base URL as typed.
    pub custom_url: String,
    /// PSPID as typed.
    pub merchant_id: String,
    /// API key id as typed.
    pub api_key_id: String,
    /// API secret as typed; sent to the keychain on save, then cleared.
    pub secret: String,
    /// returnUrl as typed.
    pub return_url: String,
    /// Operator as typed.
    pub operator: String,
    lang: Lang,
    lang_change: Option<Lang>,
    /// PIN threshold as typed.
    pub pin_threshold: String,
    pin_always: bool,
    /// New PIN as typed.
    pub new_pin: String,
    /// The new PIN typed again.
    pub new_pin_again: String,
    /// The current PIN as typed: needed to change the PIN or its rule once one is set.
    pub current_pin: String,
    pin_hash: Option<String>,
    /// The rule as stored, to tell whether the form changes it.
    stored_rule: Option<PinRule>,
    keychain: KeychainState,
    confirm_prod: bool,
    prod_confirmed: bool,
    saving: bool,
    saved: bool,
    testing: bool,
    connection_ok: bool,
    field_errors: FieldErrors,
    save_error: Option<UiError>,
    connection_error: Option<UiError>,
}

impl Default for SettingsPanel {
    fn default() -> Self {
        let mut p = SettingsPanel {
            backup: backup::BackupSection::default(),
            printer: printer::PrinterSection::default(),
            display: display::DisplaySection::default(),
            env: EnvChoice::Sandbox,
            custom_url: String::new(),
            merchant_id: String::new(),
            api_key_id: String::new(),
            secret: String::new(),
            return_url: String::new(),
            operator: String::new(),
            lang: Lang::Fr,
            lang_change: None,
            pin_threshold: String::new(),
            pin_always: false,
            new_pin: String::new(),
            new_pin_again: String::new(),
            current_pin: String::new(),
            pin_hash: None,
            stored_rule: None,
            keychain: KeychainState::Unknown,
            confirm_prod: false,
            prod_confirmed: false,
            saving: false,
            saved: false,
            testing: false,
            connection_ok: false,
            field_errors: FieldErrors::default(),
            save_error: None,
            connection_error: None,
        };
        p.load(&Settings::default(), &KeychainState::Unknown);
        p
    }
}

impl SettingsPanel {
    /// Fills the form from the settings in force.
    pub fn load(&mut self, s: &Settings, keychain: &KeychainState) {
        self.env = match &s.environment {
            Environment::Sandbox => EnvChoice::Sandbox,
            Environment::Preprod => EnvChoice::Preprod,
            Environment::Prod => EnvChoice::Prod,
            Environment::Custom(url) => {
                self.custom_url = url.clone();
                EnvChoice::Custom
            }
        };
        self.prod_confirmed = self.env == EnvChoice::Prod;
        self.merchant_id = s.merchant_id.clone();
        self.api_key_id = s.api_key_id.clone();
        self.return_url = s.return_url.clone();
        self.operator = s.operator.clone();
        self.lang = s.lang;
        self.pin_threshold = s.pin_threshold.map(|a| a.typed(s.lang)).unwrap_or_default();
        self.pin_always = s.pin_always;
        self.pin_hash = s.pin_hash.clone();
        self.stored_rule = Some(s.pin_rule());
        self.current_pin.clear();
        self.keychain = keychain.clone();
        self.display.load(s.theme, s.text_size);
    }

    /// The worker stored the settings.
    pub fn saved(&mut self, s: &Settings, keychain: &KeychainState) {
        self.load(s, keychain);
        self.saving = false;
        self.saved = true;
        self.save_error = None;
    }

    /// A language picked in the form, to apply at once.
    pub fn take_lang_change(&mut self) -> Option<Lang> {
        self.lang_change.take()
    }

    /// Did the last connection test pass?
    pub fn connection_ok(&self) -> bool {
        self.connection_ok
    }

    /// The form's first refusal (a field to fix), if any.
    pub fn field_error(&self) -> Option<&str> {
        self.field_errors.messages().next()
    }

    /// Every field the form refused at the last save, in the form's order, each shown under its field.
    pub fn field_errors(&self) -> impl Iterator<Item = &str> {
        self.field_errors.messages()
    }

    /// The last save's error (the till's refusal), if any.
    pub fn save_error(&self) -> Option<&UiError> {
        self.save_error.as_ref()
    }

    /// The last connection error, if any.
    pub fn connection_error(&self) -> Option<&UiError> {
        self.connection_error.as_ref()
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        self.backup.on_event(event);
        self.printer.on_event(event);
        self.display.on_event(event);
        match event {
            Event::ConnectionOk => {
                self.testing = false;
                self.connection_ok = true;
                self.connection_error = None;
            }
            Event::Failed { origin, error } => match origin {
                Origin::Connection => {
                    self.testing = false;
                    self.connection_ok = false;
                    self.connection_error = Some(error.clone());
                }
                Origin::Settings => {
                    self.saving = false;
                    self.save_error = Some(error.clone());
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn environment(&self) -> Environment {
        match self.env {
            EnvChoice::Sandbox => Environment::Sandbox,
            EnvChoice::Preprod => Environment::Preprod,
            EnvChoice::Prod => Environment::Prod,
            EnvChoice::Custom => Environment::Custom(self.custom_url.trim().to_string()),
        }
    }

    fn typed_secret(&self) -> Option<Secret> {
        (!self.secret.is_empty()).then(|| Secret::new(self.secret.clone()))
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        // Save in a bar of its own at the bottom: errors come and go beside their fields, the button stays put.
        egui::Panel::bottom("settings-actions")
            .resizable(false)
            .exact_size(48.0)
            .show(ui, |ui| {
                ui.add_space(6.0);
                ui.horizontal(|ui| {
                    let button =
                        egui::Button::new(RichText::new(text::SAVE.get(lang)).strong().size(16.0))
                            .min_size(egui::vec2(160.0, 32.0));
                    if ui.add_enabled(!self.saving, button).clicked() {
                        self.save(cx);
                    }
                    if self.saving {
                        widgets::busy_ui(ui);
                    }
                    if self.saved {
                        ui.colored_label(widgets::OK_GREEN, text::SAVED.get(lang));
                    }
                    if !self.field_errors.is_empty() {
                        widgets::field_error_ui(ui, text::FIX_FIELDS.get(lang));
                    }
                });
            });
        egui::ScrollArea::vertical()
            .id_salt("settings-scroll")
            .show(ui, |ui| {
                ui.columns(2, |cols| {
                    let [left, right] = cols else { return };
                    self.platform_ui(left, cx);
                    self.display.ui(left, cx);
                    self.till_ui(right, cx);
                    self.printer.ui(right, cx);
                    self.backup.ui(right, cx);
                });
                if let Some(e) = &self.save_error {
                    ui.separator();
                    widgets::error_ui(ui, lang, e, "settings");
                }
            });
        self.prod_dialog_ui(ui, cx);
    }

    fn save(&mut self, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        self.saved = false;
        self.save_error = None;
        match self.build(lang) {
            Err(e) => self.field_errors = e,
            Ok((s, pin_change)) => {
                self.field_errors.clear();
                if s.environment == Environment::Prod
                    && cx.settings.environment != Environment::Prod
                    && !self.prod_confirmed
                {
                    self.confirm_prod = true;
                    return;
                }
                self.saving = true;
                self.new_pin.clear();
                self.new_pin_again.clear();
                self.current_pin.clear();
                cx.send(Command::SaveSettings {
                    settings: Box::new(s),
                    secret: self.typed_secret(),
                    pin_change,
                });
                self.secret.clear();
            }
        }
    }

    fn prod_dialog_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        if !self.confirm_prod {
            return;
        }
        let lang = cx.lang;
        let mut yes = false;
        let mut no = false;
        let modal = egui::Modal::new(egui::Id::unique("prod-confirm")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            ui.heading(text::PROD_CONFIRM_TITLE.get(lang));
            ui.label(text::PROD_CONFIRM_TEXT.get(lang));
            ui.horizontal(|ui| {
                yes = ui.button(text::PROD_CONFIRM_YES.get(lang)).clicked();
                no = ui.button(text::CANCEL.get(lang)).clicked();
            });
        });
        if modal.should_close() || no {
            self.confirm_prod = false;
        }
        if yes {
            self.confirm_prod = false;
            self.prod_confirmed = true;
            self.save(cx);
        }
    }

    fn platform_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::PLATFORM.get(lang));
        egui::Grid::new("platform-grid")
            .num_columns(2)
            .spacing([10.0, 8.0])
            .show(ui, |ui| {
                ui.label(text::ENVIRONMENT.get(lang));
                ui.vertical(|ui| {
                    let before = self.env;
                    ui.radio_value(
                        &mut self.env,
                        EnvChoice::Sandbox,
                        text::ENV_SANDBOX.get(lang),
                    );
                    ui.radio_value(
                        &mut self.env,
                        EnvChoice::Preprod,
                        text::ENV_PREPROD.get(lang),
                    );
                    ui.radio_value(&mut self.env, EnvChoice::Prod, text::ENV_PROD.get(lang));
                    ui.radio_value(&mut self.env, EnvChoice::Custom, text::ENV_CUSTOM.get(lang));
                    if before != self.env {
                        self.prod_confirmed = false;
                        self.connection_ok = false;
                        self.connection_error = None;
                    }
                });
                ui.end_row();
                if self.env == EnvChoice::Custom {
                    let l = ui.label(text::CUSTOM_URL.get(lang));
                    ui.vertical(|ui| {
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut self.custom_url)
                                    .id_salt("settings-custom_url")
                                    .hint_text("https://…")
                                    .desired_width(300.0),
                            )
                            .labelled_by(l.id);
                        self.field_errors.under(ui, Field::CustomUrl, r.changed());
                    });
                    ui.end_row();
                }
                let l = ui.label(text::PSPID.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.merchant_id)
                                .id_salt("settings-merchant_id")
                                .desired_width(260.0),
                        )
                        .labelled_by(l.id);
                    self.field_errors.under(ui, Field::MerchantId, r.changed());
                });
                ui.end_row();
                let l = ui.label(text::API_KEY_ID.get(lang));
                ui.add(
                    egui::TextEdit::singleline(&mut self.api_key_id)
                        .id_salt("settings-api_key_id")
                        .desired_width(260.0),
                )
                .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(text::API_SECRET.get(lang));
                ui.add(
                    egui::TextEdit::singleline(&mut self.secret)
                        .id_salt("settings-secret")
                        .password(true)
                        .hint_text(text::API_SECRET_HINT.get(lang))
                        .desired_width(260.0),
                )
                .labelled_by(l.id);
                ui.end_row();
            });
        match &self.keychain {
            KeychainState::Usable { has_secret: true } => {
                ui.colored_label(widgets::OK_GREEN, text::SECRET_IN_KEYCHAIN.get(lang));
            }
            KeychainState::Unusable(why) => {
                ui.colored_label(widgets::ERROR_RED, text::NO_KEYCHAIN.get(lang));
                ui.label(text::NO_KEYCHAIN_FIX.get(lang));
                egui::CollapsingHeader::new(text::DETAILS.get(lang))
                    .id_salt("keychain-detail")
                    .show(ui, |ui| ui.label(RichText::new(why).monospace().small()));
            }
            _ => {}
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !self.testing,
                    egui::Button::new(text::TEST_CONNECTION.get(lang)),
                )
                .clicked()
            {
                self.connection_ok = false;
                self.connection_error = None;
                match self.build(lang) {
                    Err(e) => self.field_errors = e,
                    Ok((s, _)) => {
                        self.field_errors.clear();
                        self.testing = true;
                        cx.send(Command::TestConnection {
                            settings: Box::new(s),
                            secret: self.typed_secret(),
                        });
                    }
                }
            }
            if self.testing {
                widgets::busy_ui(ui);
                ui.label(text::TESTING.get(lang));
            }
            if self.connection_ok {
                ui.colored_label(widgets::OK_GREEN, text::CONNECTION_OK.get(lang).to_string());
            }
        });
        if let Some(e) = &self.connection_error {
            widgets::error_ui(ui, lang, e, "connection");
        }
    }

    fn till_ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::TILL.get(lang));
        egui::Grid::new("till-grid")
            .num_columns(2)
            .spacing([10.0, 8.0])
            .show(ui, |ui| {
                let l = ui.label(text::RETURN_URL.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.return_url)
                                .id_salt("settings-return_url")
                                .hint_text(text::RETURN_URL_HINT.get(lang))
                                .desired_width(280.0),
                        )
                        .labelled_by(l.id);
                    self.field_errors.under(ui, Field::ReturnUrl, r.changed());
                });
                ui.end_row();
                let l = ui.label(text::OPERATOR_NAME.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.operator)
                                .id_salt("settings-operator")
                                .desired_width(200.0),
                        )
                        .labelled_by(l.id);
                    self.field_errors.under(ui, Field::Operator, r.changed());
                });
                ui.end_row();
                ui.label(text::LANGUAGE.get(lang));
                ui.horizontal(|ui| {
                    let before = self.lang;
                    ui.radio_value(&mut self.lang, Lang::Fr, "Français");
                    ui.radio_value(&mut self.lang, Lang::En, "English");
                    if before != self.lang {
                        self.lang_change = Some(self.lang);
                        // An amount in the form is rewritten the new language's way, when it reads as one.
                        if let Ok(a) = Amount::parse(&self.pin_threshold) {
                            self.pin_threshold = a.typed(self.lang);
                        }
                    }
                });
                ui.end_row();
            });
        ui.add_space(10.0);
        ui.heading(text::REFUND_RULES.get(lang));
        egui::Grid::new("pin-grid")
            .num_columns(2)
            .spacing([10.0, 8.0])
            .show(ui, |ui| {
                let l = ui.label(text::PIN_THRESHOLD.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .horizontal(|ui| {
                            widgets::with_currency(ui, lang, None, |ui| {
                                ui.add(
                                    egui::TextEdit::singleline(&mut self.pin_threshold)
                                        .id_salt("settings-pin_threshold")
                                        .desired_width(90.0),
                                )
                                .labelled_by(l.id)
                            })
                        })
                        .inner;
                    self.field_errors
                        .under(ui, Field::PinThreshold, r.changed());
                });
                ui.end_row();
                ui.label("");
                ui.checkbox(&mut self.pin_always, text::PIN_ALWAYS.get(lang));
                ui.end_row();
                if self.pin_hash.is_some() {
                    let l = ui.label(text::CURRENT_PIN.get(lang));
                    ui.vertical(|ui| {
                        let r = ui
                            .add(
                                egui::TextEdit::singleline(&mut self.current_pin)
                                    .id_salt("settings-current_pin")
                                    .password(true)
                                    .desired_width(120.0),
                            )
                            .labelled_by(l.id);
                        self.field_errors.under(ui, Field::CurrentPin, r.changed());
                    });
                    ui.end_row();
                }
                let l = ui.label(text::NEW_PIN.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.new_pin)
                                .id_salt("settings-new_pin")
                                .password(true)
                                .desired_width(120.0),
                        )
                        .labelled_by(l.id);
                    self.field_errors.under(ui, Field::NewPin, r.changed());
                });
                ui.end_row();
                let l = ui.label(text::NEW_PIN_AGAIN.get(lang));
                ui.vertical(|ui| {
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut self.new_pin_again)
                                .id_salt("settings-new_pin_again")
                                .password(true)
                                .desired_width(120.0),
                        )
                        .labelled_by(l.id);
                    self.field_errors.under(ui, Field::NewPinAgain, r.changed());
                });
                ui.end_row();
            });
        ui.label(if self.pin_hash.is_some() {
            text::PIN_IS_SET.get(lang)
        } else {
            text::PIN_IS_NOT_SET.get(lang)
        });
    }
}
