//! The till's settings (never a secret: the API secret lives in the keychain), stored in the ledger, with what the
//! command line overrides for one run.

use crate::domain::Amount;
use crate::i18n::Lang;
use crate::ledger::{Ledger, LedgerError, keys};
use crate::till::manager::PinRule;

/// The operator written on entries when none is set.
pub const DEFAULT_OPERATOR: &str = "caisse";

/// What the command line (or the environment of a script) sets for this run only, over the stored settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--endpoint`: `sandbox`, `preprod`, `prod` or a base URL.
    pub endpoint: Option<String>,
    /// `--merchant-id`.
    pub merchant_id: Option<String>,
    /// `--operator`.
    pub operator: Option<String>,
}

/// Which platform the till talks to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Environment {
    /// The emulator inside the app.
    #[default]
    Sandbox,
    /// Worldline's pre-production.
    Preprod,
    /// Worldline's production: real money.
    Prod,
    /// Any base URL.
    Custom(String),
}

impl Environment {
    /// The value of `--endpoint` and of the stored setting.
    pub fn code(&self) -> String {
        match self {
            Environment::Sandbox => "sandbox".into(),
            Environment::Preprod => "preprod".into(),
            Environment::Prod => "prod".into(),
            Environment::Custom(url) => url.clone(),
        }
    }

    /// Reads `--endpoint` or the stored setting; empty means the sandbox.
    pub fn from_code(code: &str) -> Environment {
        match code.trim() {
            "" | "sandbox" => Environment::Sandbox,
            "preprod" | "test" => Environment::Preprod,
            "prod" | "production" => Environment::Prod,
            other => Environment::Custom(other.to_string()),
        }
    }
}

/// The screen's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    /// As the desktop says (light when it says nothing).
    #[default]
    System,
    /// Dark text on light.
    Light,
    /// Light text on dark.
    Dark,
}

impl Theme {
    /// Every choice, in the order Réglages offers them.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The stored value.
    pub fn code(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    /// Reads a stored value; anything else is the system's theme.
    pub fn from_code(code: &str) -> Theme {
        match code.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

/// The text size, in percent of the normal size: only the sizes offered exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextSize(u16);

impl TextSize {
    /// The normal size.
    pub const NORMAL: TextSize = TextSize(100);
    /// Every size offered.
    pub const ALL: [TextSize; 3] = [TextSize(100), TextSize(125), TextSize(150)];

    /// The size of `percent`, when it is offered.
    pub fn from_percent(percent: u16) -> Option<TextSize> {
        TextSize::ALL.into_iter().find(|s| s.0 == percent)
    }

    /// Reads a stored value; anything not offered is the normal size.
    pub fn from_code(code: &str) -> TextSize {
        code.trim()
            .parse::<u16>()
            .ok()
            .and_then(TextSize::from_percent)
            .unwrap_or(TextSize::NORMAL)
    }

    /// In percent.
    pub fn percent(self) -> u16 {
        self.0
    }

    /// The zoom factor of the screen.
    pub fn factor(self) -> f32 {
        f32::from(self.0) / 100.0
    }
}

/// What the Réglages screen edits. The secret is not here: it goes straight to the keychain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which platform.
    pub environment: Environment,
    /// PSPID.
    pub merchant_id: String,
    /// API key id.
    pub api_key_id: String,
    /// Where the customer lands after paying.
    pub return_url: String,
    /// Who is at the till.
    pub operator: String,
    /// Language of the app.
    pub lang: Lang,
    /// The manager PIN's Argon2id hash (never the PIN itself); read only, to tell whether one is set.
    pub pin_hash: Option<String>,
    /// Refunds above this need the PIN.
    pub pin_threshold: Option<Amount>,
    /// Every refund needs the PIN.
    pub pin_always: bool,
    /// The screen's colours.
    pub theme: Theme,
    /// The text size.
    pub text_size: TextSize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            environment: Environment::Sandbox,
            merchant_id: "cadodesk-sandbox".into(),
            api_key_id: "sandbox-key-id".into(),
            return_url: String::new(),
            operator: DEFAULT_OPERATOR.into(),
            lang: Lang::Fr,
            pin_hash: None,
            pin_threshold: PinRule::default_rule().threshold,
            pin_always: PinRule::default_rule().always,
            theme: Theme::System,
            text_size: TextSize::NORMAL,
        }
    }
}

impl Settings {
    /// The manager's PIN rule these settings set.
    pub fn pin_rule(&self) -> PinRule {
        PinRule {
            threshold: self.pin_threshold,
            always: self.pin_always,
        }
    }

    /// Does a refund of this amount need the manager PIN? (The till's rule: [`PinRule::needs_pin`].)
    pub fn pin_needed(&self, amount: Amount) -> bool {
        self.pin_rule().needs_pin(amount)
    }
}

/// The settings stored in the ledger, with `overrides` (the command line) on top for this run only.
pub fn load(ledger: &Ledger, overrides: &Overrides) -> Result<Settings, LedgerError> {
    // One read, checked against the journal: a setting changed in the file is refused, never applied.
    let stored = ledger.settings_checked()?;
    let get = |k: &str| Ok::<_, LedgerError>(stored.get(k).cloned());
    let mut s = Settings::default();
    if let Some(v) = get(keys::ENVIRONMENT)? {
        s.environment = Environment::from_code(&v);
    }
    if let Some(v) = get(keys::MERCHANT_ID)? {
        s.merchant_id = v;
    }
    if let Some(v) = get(keys::API_KEY_ID)? {
        s.api_key_id = v;
    }
    if let Some(v) = get(keys::RETURN_URL)? {
        s.return_url = v;
    }
    if let Some(v) = get(keys::OPERATOR)? {
        s.operator = v;
    }
    if let Some(v) = get(keys::LANGUAGE)? {
        s.lang = Lang::from_code(&v);
    }
    if let Some(v) = get(keys::THEME)? {
        s.theme = Theme::from_code(&v);
    }
    if let Some(v) = get(keys::TEXT_SIZE)? {
        s.text_size = TextSize::from_code(&v);
    }
    s.pin_hash = get(keys::MANAGER_PIN_HASH)?;
    let rule = PinRule::from_stored(
        stored.get(keys::PIN_THRESHOLD_CENTS).map(String::as_str),
        stored.get(keys::REQUIRE_PIN_FOR_ALL).map(String::as_str),
    )
    .map_err(LedgerError::Decode)?;
    s.pin_threshold = rule.threshold;
    s.pin_always = rule.always;
    // The command line wins over what is stored, for this run only.
    if let Some(e) = &overrides.endpoint {
        s.environment = Environment::from_code(e);
    }
    if let Some(m) = &overrides.merchant_id {
        s.merchant_id = m.clone();
    }
    if let Some(o) = &overrides.operator {
        s.operator = o.clone();
    }
    Ok(s)
}

/// Stores what changed (each change is a journal entry, by the settings' operator), in one transaction. The manager
/// PIN and its rule are not stored here: they change through [`crate::till::Records::set_pin_rules`], which asks
/// for the current PIN.
pub fn store(ledger: &Ledger, s: &Settings) -> Result<(), LedgerError> {
    let changes: [(&str, Option<String>); 6] = [
        (keys::ENVIRONMENT, Some(s.environment.code())),
        (keys::MERCHANT_ID, Some(s.merchant_id.clone())),
        (keys::API_KEY_ID, Some(s.api_key_id.clone())),
        (
            keys::RETURN_URL,
            (!s.return_url.is_empty()).then(|| s.return_url.clone()),
        ),
        (keys::OPERATOR, Some(s.operator.clone())),
        (keys::LANGUAGE, Some(s.lang.code().to_string())),
    ];
    ledger.set_settings(&s.operator, &changes)
}

/// Stores the screen's theme and text size (each change a journal entry, by `operator`).
pub fn store_display(
    ledger: &Ledger,
    operator: &str,
    theme: Theme,
    text_size: TextSize,
) -> Result<(), LedgerError> {
    ledger.set_settings(
        operator,
        &[
            (keys::THEME, Some(theme.code().to_string())),
            (keys::TEXT_SIZE, Some(text_size.percent().to_string())),
        ],
    )
}
