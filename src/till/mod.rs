//! The use cases shared by the app and the command line: checkout, watch, refund, reconcile, resume.
//!
//! [`Till`] is the facade: cheap to clone, it holds the ledger, the platform client and the operator. Every fact is
//! written to the ledger before the platform is asked (the intent) and after it answers. Refunds go through the
//! ledger's guard ([`crate::ledger::Ledger::request_refund`]) so that two windows or two processes cannot refund
//! more than what is left, and a lost answer is settled with the same idempotence key, never a new one.

mod direct_gateway;
pub mod gateway;
pub mod logic;
mod views;
pub mod watcher;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use thiserror::Error;

use crate::i18n::{Lang, Localize, capitalise};
use crate::ledger::export::{self, ExportError};
use crate::ledger::{CheckoutListFilter, Event, Ledger, LedgerError, RefundRecord};
use crate::money::{Amount, AmountError};
use crate::vault::{ApiCredentials, VaultError};

pub use crate::ledger::VerifyReport;
pub use crate::ledger::export::{CsvFormat, ExportSummary};
pub use direct_gateway::DirectGateway;
pub use gateway::{Gateway, GatewayError};
pub use logic::{AllocationError, CheckoutState, RefundState, TenderKind};
pub use views::{
    CheckoutFilter, CheckoutRow, CheckoutView, NewCheckout, ReconcileReport, RefundCommand,
    RefundFilter, RefundRow, RefundView, TenderView, TimelineEntry,
};

use gateway::{CheckoutRequest, OperationReading, RefundReading};
use logic::{TenderFacts, refund_state_of};

/// Named platform environments.
pub mod endpoints {
    /// Worldline Direct pre-production.
    pub const PREPROD: &str = "https://payment.preprod.direct.worldline-solutions.com";
    /// Worldline Direct production.
    pub const PROD: &str = "https://payment.direct.worldline-solutions.com";
}

/// How the till is opened.
#[derive(Debug, Clone)]
pub struct TillConfig {
    /// Where `ledger.sqlite3` lives.
    pub data_dir: PathBuf,
    /// The platform's base URL (an environment's, or the sandbox's).
    pub base_url: String,
    /// Merchant id, API key id and secret.
    pub credentials: ApiCredentials,
    /// Who is at the till; written on every journal entry.
    pub operator: String,
    /// Minutes the hosted page stays open (1–1440; the platform's default is 180).
    pub session_timeout_minutes: i64,
    /// Default return URL for checkouts.
    pub return_url: Option<String>,
}

impl TillConfig {
    /// A configuration with the defaults: operator `caisse`, 180-minute sessions, no return URL.
    pub fn new(
        data_dir: impl Into<PathBuf>,
        base_url: impl Into<String>,
        credentials: ApiCredentials,
    ) -> TillConfig {
        TillConfig {
            data_dir: data_dir.into(),
            base_url: base_url.into(),
            credentials,
            operator: "caisse".to_string(),
            session_timeout_minutes: logic::DEFAULT_SESSION_TIMEOUT_MINUTES,
            return_url: None,
        }
    }
}

/// Why a use case refused or failed. Each variant names the field or the cause, and the fix.
#[derive(Debug, Error)]
pub enum TillError {
    /// The amount typed is not usable.
    #[error("amount: {0}")]
    Amount(#[from] AmountError),
    /// The order reference is not 1–40 printable ASCII characters.
    #[error("order reference '{0}': use 1 to 40 letters, digits or - _ . (no accents)")]
    ReferenceInvalid(String),
    /// The order reference is already used.
    #[error("order reference '{0}' is already used: choose another or leave it empty to get one")]
    ReferenceTaken(String),
    /// The e-mail does not look like one.
    #[error("e-mail '{0}': type an address such as name@example.fr, or leave it empty")]
    EmailInvalid(String),
    /// The return URL is not absolute.
    #[error("return URL '{0}': use a full address starting with https:// (at most 200 characters)")]
    ReturnUrlInvalid(String),
    /// The locale is not like `fr_FR`.
    #[error("locale '{0}': use a code such as fr_FR or en_GB")]
    LocaleInvalid(String),
    /// No reason given for a refund.
    #[error("reason: a refund needs a reason (for example \"article returned\")")]
    ReasonMissing,
    /// The reason is too long for the platform.
    #[error("reason: {0} characters, at most 100: shorten it")]
    ReasonTooLong(usize),
    /// No such checkout in the ledger.
    #[error("checkout {0} is not in this till's ledger: check the id, or run reconcile")]
    UnknownCheckout(String),
    /// No such payment in the ledger.
    #[error(
        "payment {0} is not in this till's ledger: check the id, or refresh its checkout first"
    )]
    UnknownPayment(String),
    /// The tender was not captured.
    #[error("payment {payment_id} was not captured (status {status}): there is nothing to refund")]
    NotRefundable {
        /// The tender.
        payment_id: String,
        /// Its status.
        status: String,
    },
    /// Not enough left on the tender.
    #[error("amount: only {} is left to refund on payment {payment_id}", .left.fr())]
    NotEnoughLeft {
        /// The tender.
        payment_id: String,
        /// What is left.
        left: Amount,
    },
    /// Another refund on this tender has no answer yet.
    #[error(
        "refund n°{number} on payment {payment_id} is still waiting for the platform's answer: wait, or run `cadodesk resume`"
    )]
    RefundInFlight {
        /// The tender.
        payment_id: String,
        /// The refund waiting.
        number: i64,
    },
    /// No refund with that number or key in the ledger.
    #[error(
        "refund '{0}' is not in this till's ledger: give its number (n°) as `refunds` lists it"
    )]
    UnknownRefund(String),
    /// Only a refund without an answer can be closed.
    #[error("refund n°{number} is {state}, not waiting for an answer: there is nothing to close")]
    RefundNotOpen {
        /// The refund.
        number: i64,
        /// Its state.
        state: String,
    },
    /// The platform shows the refund: it was carried out and cannot be closed.
    #[error(
        "refund n°{number} exists on the platform ({refund_id}, {status}): it was recorded and cannot be closed"
    )]
    RefundOnPlatform {
        /// The refund.
        number: i64,
        /// The platform's id.
        refund_id: String,
        /// The platform's status.
        status: String,
    },
    /// An order-level amount cannot be split across tenders.
    #[error("amount: {0}")]
    Allocation(String),
    /// The platform refused the request.
    #[error("the platform refused: {0}")]
    Refused(String),
    /// The platform refused the credentials.
    #[error(
        "the platform refused the credentials ({0}): check the merchant id, API key id and secret"
    )]
    Unauthorized(String),
    /// The platform did not answer.
    #[error(
        "the platform did not answer ({0}): check the connection; nothing is lost, it will be read again"
    )]
    Unreachable(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The export failed.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The keychain failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
}

impl TillError {
    fn from_gateway(e: GatewayError) -> TillError {
        match e {
            GatewayError::Declined { message, .. } => TillError::Refused(message),
            GatewayError::Refused { message, .. } => TillError::Refused(message),
            GatewayError::Unauthorized { message } => TillError::Unauthorized(message),
            GatewayError::InProgress => {
                TillError::Unreachable("the same request is still being processed".into())
            }
            GatewayError::Unreachable { message } => TillError::Unreachable(message),
        }
    }

    fn from_ledger(e: LedgerError) -> TillError {
        match e {
            LedgerError::NotEnoughLeft { payment_id, left } => {
                TillError::NotEnoughLeft { payment_id, left }
            }
            LedgerError::RefundInFlight { payment_id, number } => {
                TillError::RefundInFlight { payment_id, number }
            }
            LedgerError::UnknownTender(p) => TillError::UnknownPayment(p),
            LedgerError::UnknownCheckout(c) => TillError::UnknownCheckout(c),
            other => TillError::Ledger(other),
        }
    }
}

impl Localize for TillError {
    fn localize(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                TillError::Amount(e) => format!("Amount: {}", e.localize(Lang::En)),
                TillError::Ledger(e) => e.localize(lang),
                TillError::Export(e) => e.localize(lang),
                TillError::Vault(e) => e.localize(lang),
                other => capitalise(other.to_string()),
            };
        }
        match self {
            TillError::Amount(e) => format!("Montant : {}", e.localize(Lang::Fr)),
            TillError::ReferenceInvalid(r) => format!(
                "Référence de commande « {r} » : utilisez 1 à 40 lettres, chiffres ou - _ . (sans accents)"
            ),
            TillError::ReferenceTaken(r) => format!(
                "La référence de commande « {r} » est déjà utilisée : choisissez-en une autre ou laissez vide pour en obtenir une"
            ),
            TillError::EmailInvalid(e) => format!(
                "E-mail « {e} » : saisissez une adresse comme nom@exemple.fr, ou laissez vide"
            ),
            TillError::ReturnUrlInvalid(u) => format!(
                "URL de retour « {u} » : utilisez une adresse complète commençant par https:// (200 caractères au plus)"
            ),
            TillError::LocaleInvalid(l) => {
                format!("Langue de la page « {l} » : utilisez un code comme fr_FR ou en_GB")
            }
            TillError::ReasonMissing => {
                "Motif : un remboursement demande un motif (par exemple « article rendu »)".into()
            }
            TillError::ReasonTooLong(n) => {
                format!("Motif : {n} caractères, 100 au plus : raccourcissez-le")
            }
            TillError::UnknownCheckout(c) => format!(
                "La commande {c} n'est pas dans le journal de cette caisse : vérifiez l'identifiant ou lancez un rapprochement"
            ),
            TillError::UnknownPayment(p) => format!(
                "Le paiement {p} n'est pas dans le journal de cette caisse : vérifiez l'identifiant ou actualisez d'abord sa commande"
            ),
            TillError::NotRefundable { payment_id, status } => format!(
                "Le paiement {payment_id} n'a pas été encaissé (statut {status}) : il n'y a rien à rembourser"
            ),
            TillError::NotEnoughLeft { payment_id, left } => format!(
                "Montant : il ne reste que {} à rembourser sur le paiement {payment_id}",
                left.fr()
            ),
            TillError::RefundInFlight { payment_id, number } => format!(
                "Le remboursement n°{number} du paiement {payment_id} attend encore la réponse de la plateforme : patientez, ou lancez « cadodesk resume »"
            ),
            TillError::UnknownRefund(r) => format!(
                "Le remboursement « {r} » n'est pas dans le journal de cette caisse : indiquez son numéro (n°) tel que la liste des remboursements l'affiche"
            ),
            TillError::RefundNotOpen { number, state } => format!(
                "Le remboursement n°{number} est « {} », il n'attend pas de réponse : il n'y a rien à clore",
                RefundState::from_code(state).label_fr()
            ),
            TillError::RefundOnPlatform {
                number,
                refund_id,
                status,
            } => format!(
                "Le remboursement n°{number} existe chez la plateforme ({refund_id}, {status}) : il a été enregistré et ne peut pas être clos"
            ),
            TillError::Allocation(m) => format!("Montant : {m}"),
            TillError::Refused(m) => format!("La plateforme a refusé : {m}"),
            TillError::Unauthorized(m) => format!(
                "La plateforme a refusé les identifiants ({m}) : vérifiez l'identifiant marchand, la clé d'API et son secret"
            ),
            TillError::Unreachable(m) => format!(
                "La plateforme n'a pas répondu ({m}) : vérifiez la connexion ; rien n'est perdu, ce sera relu"
            ),
            TillError::Ledger(e) => e.localize(lang),
            TillError::Export(e) => e.localize(lang),
            TillError::Vault(e) => e.localize(lang),
            TillError::Config(m) => format!("Configuration : {m}"),
        }
    }
}

type Result<T, E = TillError> = std::result::Result<T, E>;

/// How many times the till sends a keyed request whose answer was lost (the client already retries each send with
/// the same key and backoff; this covers a platform that stays away a little longer).
const SAME_KEY_ATTEMPTS: u32 = 2;

/// A watcher's reading leaves a refund without an answer alone for this long after its last change.
const SETTLE_AFTER_SECS: i64 = 30;

/// Idempotence keys are kept by the platform for at least 24 h; past this age a refund is only read, never re-sent.
const RESEND_WINDOW: Duration = Duration::hours(23);

#[derive(Debug, Default, Clone, Copy)]
struct PollState {
    last: Option<DateTime<Utc>>,
    failures: u32,
}

#[derive(Debug)]
struct Core {
    ledger: Ledger,
    gateway: Arc<dyn Gateway>,
    session_timeout: Duration,
    return_url: Option<String>,
    polls: Mutex<HashMap<String, PollState>>,
}

/// The till: the use cases over the ledger and the platform. Cheap to clone; clones share everything but the
/// operator (see [`Till::with_operator`]).
#[derive(Debug, Clone)]
pub struct Till {
    core: Arc<Core>,
    operator: String,
}

/// What one reading of a checkout changed (for reconciliation).
#[derive(Debug, Default)]
struct RefreshOutcome {
    imported: u64,
    updated: u64,
    payments: u64,
    differences: Vec<String>,
}

impl Till {
    /// Opens the ledger in `config.data_dir` and the platform client for `config.base_url`.
    pub fn open(config: TillConfig) -> Result<Till> {
        let ledger = Ledger::open_in(&config.data_dir).map_err(TillError::Ledger)?;
        let gateway =
            DirectGateway::new(&config.base_url, &config.credentials).map_err(TillError::Config)?;
        Ok(Till::with_gateway(
            ledger,
            Arc::new(gateway),
            &config.operator,
            config.session_timeout_minutes,
            config.return_url,
        ))
    }

    /// A till over any [`Gateway`] (the app and the command line use [`Till::open`]).
    pub fn with_gateway(
        ledger: Ledger,
        gateway: Arc<dyn Gateway>,
        operator: &str,
        session_timeout_minutes: i64,
        return_url: Option<String>,
    ) -> Till {
        Till {
            core: Arc::new(Core {
                ledger,
                gateway,
                session_timeout: Duration::minutes(session_timeout_minutes.clamp(1, 1440)),
                return_url,
                polls: Mutex::new(HashMap::new()),
            }),
            operator: operator.to_string(),
        }
    }

    /// The same till with another person at it.
    pub fn with_operator(&self, operator: &str) -> Till {
        Till {
            core: Arc::clone(&self.core),
            operator: operator.to_string(),
        }
    }

    /// Who is at the till.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The ledger, for settings and the screens' direct reads.
    pub fn ledger(&self) -> &Ledger {
        &self.core.ledger
    }

    fn ledger_err(e: LedgerError) -> TillError {
        TillError::from_ledger(e)
    }

    // ----- checkout -------------------------------------------------------------------------------------------

    /// Validates, records the intent, creates the hosted checkout, records the answer, and returns the view with
    /// the redirect URL.
    pub async fn create_checkout(&self, new: NewCheckout) -> Result<CheckoutView> {
        if new.amount.cents() == 0 {
            return Err(TillError::Amount(AmountError::Zero));
        }
        if new.amount.cents() > crate::money::PLATFORM_MAX_CENTS {
            return Err(TillError::Amount(AmountError::TooLarge {
                max: Amount::from_cents(crate::money::PLATFORM_MAX_CENTS).unwrap_or(Amount::ZERO),
            }));
        }
        let email = new
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        if let Some(e) = &email
            && !logic::valid_email(e)
        {
            return Err(TillError::EmailInvalid(e.clone()));
        }
        let return_url = new
            .return_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_string)
            .or_else(|| self.core.return_url.clone());
        if let Some(u) = &return_url
            && !logic::valid_return_url(u)
        {
            return Err(TillError::ReturnUrlInvalid(u.clone()));
        }
        let locale = if new.locale.trim().is_empty() {
            "fr_FR".to_string()
        } else {
            new.locale.trim().to_string()
        };
        if locale.len() > 6 || !locale.chars().all(|c| c.is_ascii_alphabetic() || c == '_') {
            return Err(TillError::LocaleInvalid(locale));
        }
        let ledger = &self.core.ledger;
        let typed_reference = new
            .merchant_reference
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if let Some(r) = &typed_reference {
            if !logic::valid_reference(r) {
                return Err(TillError::ReferenceInvalid(r.clone()));
            }
            if ledger
                .checkout_by_reference(r)
                .map_err(Self::ledger_err)?
                .is_some()
            {
                return Err(TillError::ReferenceTaken(r.clone()));
            }
        }
        // The intent first. A generated reference may be taken by another process between reading the counter and
        // writing; the UNIQUE key refuses it and the next number is tried.
        let mut attempt = 0;
        let merchant_reference = loop {
            let reference = match &typed_reference {
                Some(r) => r.clone(),
                None => ledger
                    .next_merchant_reference(&logic::reference_prefix(Utc::now()))
                    .map_err(Self::ledger_err)?,
            };
            let event = Event::CheckoutRequested {
                merchant_reference: reference.clone(),
                amount_cents: new.amount.cents(),
                currency: "EUR".to_string(),
                email: email.clone(),
                locale: locale.clone(),
                return_url: return_url.clone(),
            };
            match ledger.append(&self.operator, &event) {
                Ok(_) => break reference,
                Err(LedgerError::Constraint(_)) if typed_reference.is_none() && attempt < 5 => {
                    attempt += 1;
                }
                Err(LedgerError::Constraint(_)) => {
                    return Err(TillError::ReferenceTaken(reference));
                }
                Err(e) => return Err(Self::ledger_err(e)),
            }
        };
        let request = CheckoutRequest {
            amount_cents: new.amount.cents(),
            merchant_reference: merchant_reference.clone(),
            email,
            locale,
            return_url,
            session_timeout_minutes: self.core.session_timeout.num_minutes(),
        };
        match self.core.gateway.create_checkout(&request).await {
            Ok(created) => {
                ledger
                    .append(
                        &self.operator,
                        &Event::CheckoutCreated {
                            merchant_reference: merchant_reference.clone(),
                            hosted_checkout_id: created.hosted_checkout_id.clone(),
                            redirect_url: created.redirect_url,
                        },
                    )
                    .map_err(Self::ledger_err)?;
                tracing::info!(hosted_checkout_id = %created.hosted_checkout_id, %merchant_reference, "checkout created");
                self.checkout(&created.hosted_checkout_id)?
                    .ok_or(TillError::UnknownCheckout(created.hosted_checkout_id))
            }
            Err(e) => {
                ledger
                    .append(
                        &self.operator,
                        &Event::CheckoutFailed {
                            merchant_reference,
                            failure: e.message(),
                        },
                    )
                    .map_err(Self::ledger_err)?;
                Err(TillError::from_gateway(e))
            }
        }
    }

    /// The checkout as the ledger knows it (no network).
    pub fn checkout(&self, hosted_checkout_id: &str) -> Result<Option<CheckoutView>> {
        let ledger = &self.core.ledger;
        let Some(record) = ledger
            .checkout(hosted_checkout_id)
            .map_err(Self::ledger_err)?
        else {
            return Ok(None);
        };
        let tenders = ledger
            .tenders(hosted_checkout_id)
            .map_err(Self::ledger_err)?;
        let refunds = ledger
            .refunds_of_checkout(hosted_checkout_id)
            .map_err(Self::ledger_err)?;
        let timeline = ledger
            .timeline(&record.merchant_reference)
            .map_err(Self::ledger_err)?;
        Ok(Some(views::checkout_view(
            record, &tenders, &refunds, &timeline,
        )))
    }

    /// Checkouts, newest first.
    pub fn list_checkouts(&self, filter: &CheckoutFilter) -> Result<Vec<CheckoutRow>> {
        let (from, to) = views::range(filter.from, filter.to);
        let rows = self
            .core
            .ledger
            .list_checkouts(&CheckoutListFilter {
                from,
                to,
                state: None,
                text: filter.text.clone(),
                limit: None,
            })
            .map_err(Self::ledger_err)?;
        Ok(rows
            .into_iter()
            .map(views::checkout_row)
            .filter(|r| filter.status.is_none_or(|s| s == r.state))
            .collect())
    }

    // ----- watch ----------------------------------------------------------------------------------------------

    /// Reads the checkout again from the platform (GetHostedCheckout, GetPaymentDetails, each tender's
    /// GetPayment), records what changed, settles refunds still waiting for an answer, and returns the view.
    pub async fn refresh(&self, hosted_checkout_id: &str) -> Result<CheckoutView> {
        let started = Utc::now();
        let result = self.refresh_inner(hosted_checkout_id, started).await;
        self.note_poll(hosted_checkout_id, started, result.as_ref().err());
        result?;
        self.checkout(hosted_checkout_id)?
            .ok_or_else(|| TillError::UnknownCheckout(hosted_checkout_id.to_string()))
    }

    /// Records a reading that started at `started`: the schedule counts from the start of a reading, not its end,
    /// so a slow answer does not push every later reading back.
    fn note_poll(&self, id: &str, started: DateTime<Utc>, error: Option<&TillError>) {
        let mut polls = self.core.polls.lock().unwrap_or_else(|p| p.into_inner());
        let st = polls.entry(id.to_string()).or_default();
        st.last = Some(started);
        st.failures = match error {
            Some(TillError::Unreachable(_)) => st.failures.saturating_add(1),
            _ => 0,
        };
    }

    async fn refresh_inner(&self, id: &str, now: DateTime<Utc>) -> Result<RefreshOutcome> {
        let ledger = &self.core.ledger;
        let gw = &self.core.gateway;
        let Some(record) = ledger.checkout(id).map_err(Self::ledger_err)? else {
            return Err(TillError::UnknownCheckout(id.to_string()));
        };
        let mut out = RefreshOutcome::default();
        let hosted = match gw.hosted_checkout(id).await {
            Ok(h) => Some(h),
            // Sessions live at most 3 hours on the platform; after that only the payments can be read.
            Err(GatewayError::Refused {
                http_status: 404 | 410,
                ..
            }) => None,
            Err(e) => return Err(TillError::from_gateway(e)),
        };
        let known_tenders = ledger.tenders(id).map_err(Self::ledger_err)?;
        // Which payments to read: the first one the hosted checkout names, and every tender in its operations.
        let mut tender_ids: Vec<String> = Vec::new();
        let mut readings: HashMap<String, gateway::PaymentReading> = HashMap::new();
        if let Some(p) = hosted.as_ref().and_then(|h| h.payment.clone()) {
            tender_ids.push(p.id.clone());
            readings.insert(p.id.clone(), p);
        }
        for t in &known_tenders {
            if !tender_ids.contains(&t.payment_id) {
                tender_ids.push(t.payment_id.clone());
            }
        }
        let mut refund_ops: Vec<OperationReading> = Vec::new();
        if let Some(first) = tender_ids.first().cloned() {
            let ops = gw
                .operations(&first)
                .await
                .map_err(TillError::from_gateway)?;
            for op in ops {
                if logic::is_refund_operation(&op.status, op.status_code) {
                    refund_ops.push(op);
                } else if !tender_ids.contains(&op.id) {
                    tender_ids.push(op.id);
                }
            }
        }
        let mut events = Vec::new();
        let mut facts = Vec::new();
        for tid in &tender_ids {
            let reading = match readings.remove(tid) {
                // The hosted checkout's copy may lack the card details; GetPayment has them all.
                Some(r) if r.product_id.is_some() => r,
                _ => gw.payment(tid).await.map_err(TillError::from_gateway)?,
            };
            out.payments += 1;
            let captured =
                logic::captured_of(&reading.status, reading.status_code, reading.acquired_cents);
            facts.push(TenderFacts {
                status: reading.status.clone(),
                captured_cents: captured,
            });
            let known = known_tenders.iter().find(|t| &t.payment_id == tid);
            let changed = match known {
                None => true,
                Some(k) => {
                    k.status != reading.status
                        || k.captured.cents() != captured
                        || k.amount.cents() != reading.amount_cents
                        || (reading.masked_number.is_some()
                            && k.masked_number != reading.masked_number)
                }
            };
            if let Some(k) = known
                && k.captured.cents() != captured
            {
                out.differences.push(format!(
                    "payment {tid}: captured {} in the ledger, {} on the platform",
                    k.captured,
                    Amount::from_cents(captured).unwrap_or(Amount::ZERO)
                ));
            }
            if changed {
                events.push(Event::TenderSeen {
                    hosted_checkout_id: id.to_string(),
                    payment_id: tid.clone(),
                    product_id: reading
                        .product_id
                        .or(known.map(|k| k.product_id))
                        .unwrap_or(0),
                    masked_number: reading.masked_number.clone(),
                    amount_cents: reading.amount_cents,
                    captured_cents: captured,
                    status: reading.status.clone(),
                    status_code: reading.status_code,
                });
            }
        }
        let state = logic::derive_checkout_state(
            hosted.as_ref().map(|h| h.status.as_str()),
            &facts,
            record.amount.cents(),
            record.created_at,
            self.core.session_timeout,
            now,
        );
        let platform_status = hosted
            .as_ref()
            .map(|h| h.status.clone())
            .unwrap_or_else(|| record.platform_status.clone().unwrap_or_default());
        // A stale reading never undoes a final state (a late answer must not overwrite a good one).
        let current = CheckoutState::from_code(&record.state);
        let regress = current.is_final() && !state.is_final() && record.state != "failed";
        if !regress
            && (record.state != state.code()
                || record.platform_status.as_deref() != Some(&platform_status))
        {
            events.push(Event::CheckoutStatusSeen {
                hosted_checkout_id: id.to_string(),
                state: state.code().to_string(),
                platform_status,
            });
        }
        ledger
            .append_all(&self.operator, &events)
            .map_err(Self::ledger_err)?;

        // Refunds: update ours, settle the ones without an answer, import the ones made elsewhere.
        let known_refunds = ledger.refunds_of_checkout(id).map_err(Self::ledger_err)?;
        let mut answered: HashSet<String> = HashSet::new();
        let mut answers = Vec::new();
        let mut unmatched = Vec::new();
        for op in &refund_ops {
            let reading = RefundReading {
                id: op.id.clone(),
                status: op.status.clone(),
                status_code: op.status_code,
                amount_cents: op.amount_cents,
                merchant_reference: op.merchant_reference.clone(),
            };
            let mine = known_refunds.iter().find(|r| {
                r.refund_id.as_deref() == Some(&op.id)
                    || (op.merchant_reference.is_some()
                        && op.merchant_reference.as_deref() == Some(&r.idempotence_key))
            });
            match mine {
                Some(r) => {
                    answered.insert(r.idempotence_key.clone());
                    if let Some(e) = correction_event(r, &reading) {
                        out.updated += 1;
                        out.differences.push(format!(
                            "refund n°{} was recorded as {} but the platform shows it {} ({}): corrected",
                            r.number, r.state, reading.status, reading.id
                        ));
                        answers.push(e);
                    } else if let Some(e) = answer_event(r, &reading) {
                        if r.state == "unknown" {
                            out.differences.push(format!(
                                "refund n°{} had no known outcome; the platform shows it {} ({})",
                                r.number, reading.status, reading.id
                            ));
                        }
                        out.updated += 1;
                        answers.push(e);
                    }
                }
                None => unmatched.push(reading),
            }
        }
        ledger
            .append_all(&self.operator, &answers)
            .map_err(Self::ledger_err)?;
        // A refund asked moments ago is most likely still being sent by whoever asked it; it is settled by them, or
        // by a later reading.
        let settle_after = Utc::now() - Duration::seconds(SETTLE_AFTER_SECS);
        for r in known_refunds.iter().filter(|r| {
            matches!(r.state.as_str(), "requested" | "unknown")
                && !answered.contains(&r.idempotence_key)
                && r.updated_at < settle_after
        }) {
            if let Err(e) = self.settle_refund(r, false).await {
                tracing::warn!(number = r.number, error = %e, "refund still unsettled");
            }
        }
        // Whatever is still unmatched after settling was made elsewhere, unless a refund on that tender is still
        // unsettled (its answer may be the one seen here).
        let after = ledger.refunds_of_checkout(id).map_err(Self::ledger_err)?;
        for reading in unmatched {
            if after
                .iter()
                .any(|r| r.refund_id.as_deref() == Some(&reading.id))
            {
                continue;
            }
            let tender = tender_of_operation(&reading.id);
            if after.iter().any(|r| {
                r.payment_id == tender && matches!(r.state.as_str(), "requested" | "unknown")
            }) {
                continue;
            }
            let state = refund_state_of(&reading.status, reading.status_code);
            match ledger.import_external_refund(
                &self.operator,
                &tender,
                &reading.id,
                Amount::from_cents(reading.amount_cents).unwrap_or(Amount::ZERO),
                state.code(),
                &reading.status,
            ) {
                Ok(true) => {
                    out.imported += 1;
                    out.differences.push(format!(
                        "refund {} of {} on payment {tender} was made outside cadodesk: imported",
                        reading.id,
                        Amount::from_cents(reading.amount_cents).unwrap_or(Amount::ZERO)
                    ));
                }
                Ok(false) => {}
                Err(e) => out
                    .differences
                    .push(format!("refund {} could not be imported: {e}", reading.id)),
            }
        }
        // Pending refunds the operations did not show: ask the tender's refund list.
        let still_pending: Vec<RefundRecord> = ledger
            .refunds_of_checkout(id)
            .map_err(Self::ledger_err)?
            .into_iter()
            .filter(|r| r.state == "pending" && r.refund_id.is_some())
            .filter(|r| {
                !refund_ops
                    .iter()
                    .any(|op| Some(&op.id) == r.refund_id.as_ref())
            })
            .collect();
        let mut by_tender: HashMap<String, Vec<RefundRecord>> = HashMap::new();
        for r in still_pending {
            by_tender.entry(r.payment_id.clone()).or_default().push(r);
        }
        for (payment_id, rs) in by_tender {
            let list = gw
                .refunds(&payment_id)
                .await
                .map_err(TillError::from_gateway)?;
            let mut evs = Vec::new();
            for r in rs {
                if let Some(reading) = list.iter().find(|x| Some(&x.id) == r.refund_id.as_ref()) {
                    if let Some(e) = answer_event(&r, reading) {
                        out.updated += 1;
                        evs.push(e);
                    }
                } else {
                    out.differences.push(format!(
                        "refund n°{} ({}) is in the ledger but not on the platform",
                        r.number,
                        r.refund_id.as_deref().unwrap_or("")
                    ));
                }
            }
            ledger
                .append_all(&self.operator, &evs)
                .map_err(Self::ledger_err)?;
        }
        Ok(out)
    }

    /// Unfinished checkouts (and checkouts with unfinished refunds) with the time of their next reading, soonest
    /// first, for the watcher. Pure over the ledger and the in-memory poll times; `now` is passed in.
    pub fn pending_work(&self, now: DateTime<Utc>) -> Vec<(String, DateTime<Utc>)> {
        let ledger = &self.core.ledger;
        let mut items: HashMap<String, DateTime<Utc>> = HashMap::new();
        match ledger.unfinished_checkouts() {
            Ok(cs) => {
                for c in cs {
                    if let Some(id) = c.hosted_checkout_id {
                        items.insert(id, c.created_at);
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list unfinished checkouts"),
        }
        match ledger.unfinished_refunds() {
            Ok(rs) => {
                for r in rs {
                    // A refund is watched from its own creation time, not its checkout's.
                    let e = items.entry(r.hosted_checkout_id).or_insert(r.created_at);
                    if r.created_at > *e {
                        *e = r.created_at;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list unfinished refunds"),
        }
        let polls = self.core.polls.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(String, DateTime<Utc>)> = items
            .into_iter()
            .filter_map(|(id, since)| {
                let st = polls.get(&id).copied().unwrap_or_default();
                let last = st.last.filter(|l| *l >= since);
                logic::next_poll_at(since, last, self.core.session_timeout, st.failures)
                    .map(|t| (id, t))
            })
            .collect();
        drop(polls);
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let _ = now;
        out
    }

    // ----- refund ---------------------------------------------------------------------------------------------

    /// The default split of an order-level refund across the checkout's tenders (see [`logic::allocate`]: the card
    /// remainder first, then gift cards from the last paid to the first). The caller may change any line before
    /// sending one [`RefundCommand`] per tender.
    pub fn allocate(
        &self,
        hosted_checkout_id: &str,
        amount: Amount,
    ) -> Result<Vec<(String, Amount)>> {
        self.allocate_with(hosted_checkout_id, amount, &[])
    }

    /// Like [`Till::allocate`], with some tenders' amounts fixed by the caller.
    pub fn allocate_with(
        &self,
        hosted_checkout_id: &str,
        amount: Amount,
        overrides: &[(String, Amount)],
    ) -> Result<Vec<(String, Amount)>> {
        let tenders = self
            .core
            .ledger
            .tenders(hosted_checkout_id)
            .map_err(Self::ledger_err)?;
        if tenders.is_empty()
            && self
                .core
                .ledger
                .checkout(hosted_checkout_id)
                .map_err(Self::ledger_err)?
                .is_none()
        {
            return Err(TillError::UnknownCheckout(hosted_checkout_id.to_string()));
        }
        let refundable: Vec<logic::Refundable> = tenders
            .iter()
            .map(|t| logic::Refundable {
                payment_id: t.payment_id.clone(),
                product_id: t.product_id,
                position: t.position,
                refundable: t.refundable(),
            })
            .collect();
        logic::allocate(&refundable, amount, overrides).map_err(|e| match e {
            AllocationError::TooMuch { left } => TillError::Allocation(format!(
                "only {} is left to refund on this order",
                left.fr()
            )),
            AllocationError::UnknownTender(p) => TillError::UnknownPayment(p),
            AllocationError::OverrideTooMuch { payment_id, left } => {
                TillError::NotEnoughLeft { payment_id, left }
            }
        })
    }

    /// Refunds part or all of one tender. The intent and a fresh idempotence key are committed first (refused if
    /// more than what is left, or if another refund on the tender has no answer yet); then the request is sent;
    /// a lost answer is settled with the same key. Declined refunds come back as a view in the `Declined` state.
    pub async fn refund(&self, cmd: RefundCommand) -> Result<RefundView> {
        let reason = cmd.reason.trim().to_string();
        if reason.is_empty() {
            return Err(TillError::ReasonMissing);
        }
        let len = reason.chars().count();
        if len > logic::MAX_REASON_LEN {
            return Err(TillError::ReasonTooLong(len));
        }
        if cmd.amount.cents() == 0 {
            return Err(TillError::Amount(AmountError::Zero));
        }
        let ledger = &self.core.ledger;
        let Some(tender) = ledger.tender(&cmd.payment_id).map_err(Self::ledger_err)? else {
            return Err(TillError::UnknownPayment(cmd.payment_id));
        };
        if tender.captured.cents() == 0 {
            return Err(TillError::NotRefundable {
                payment_id: tender.payment_id,
                status: tender.status,
            });
        }
        let intent = ledger
            .request_refund(&self.operator, &cmd.payment_id, cmd.amount, &reason)
            .map_err(Self::ledger_err)?;
        tracing::info!(number = intent.number, payment_id = %cmd.payment_id, amount = %cmd.amount, "refund intent recorded");
        let record = ledger
            .refund_by_key(&intent.idempotence_key)
            .map_err(Self::ledger_err)?
            .ok_or_else(|| TillError::UnknownPayment(cmd.payment_id.clone()))?;
        let settled = self.settle_refund(&record, true).await?;
        Ok(settled)
    }

    /// Sends (again) a refund that has no answer, with its own idempotence key, and records the answer. Past the
    /// platform's key lifetime it only reads the tender's refunds, matching on the operation reference.
    ///
    /// `fresh` is true only for the first send, right after the intent was committed. Any other call (a watcher,
    /// `resume`, a second same-key send) may follow an attempt that reached the platform, so a refusal is only
    /// recorded as declined once the platform's list of refunds has been read and does not show ours. A doubtful
    /// answer always ends as `unknown`, which keeps the amount reserved and the tender blocked until it is settled.
    async fn settle_refund(&self, r: &RefundRecord, fresh: bool) -> Result<RefundView> {
        let gw = &self.core.gateway;
        let mut last_error = None;
        if Utc::now() - r.created_at < RESEND_WINDOW {
            for attempt in 0..SAME_KEY_ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(300 << attempt)).await;
                }
                let retried = !fresh || attempt > 0;
                match gw
                    .refund(
                        &r.payment_id,
                        r.amount.cents(),
                        &r.reason,
                        &r.idempotence_key,
                    )
                    .await
                {
                    Ok(reading) => {
                        self.record_answer(r, &reading, None)?;
                        return self.refund_view(&r.idempotence_key);
                    }
                    Err(GatewayError::Declined { refund, message }) => {
                        let refund_id = refund.map(|x| x.id).filter(|s| !s.is_empty());
                        return self.conclude_refused(r, refund_id, &message, retried).await;
                    }
                    Err(GatewayError::Refused { message, .. }) => {
                        // The platform refused this refund (over-refund, not captured, …).
                        return self.conclude_refused(r, None, &message, retried).await;
                    }
                    Err(GatewayError::Unauthorized { message }) => {
                        // A first send refused for its credentials was not carried out: close the intent, so
                        // the operator's "refused" stays true and a later `resume` cannot send it. After an
                        // earlier send the intent stays open, since that send may have been carried out.
                        if !retried {
                            self.record_declined(r, None, &message)?;
                        }
                        return Err(TillError::Unauthorized(message));
                    }
                    Err(e) => {
                        tracing::warn!(number = r.number, attempt, error = %e.message(), "refund answer lost or unclear; same key again");
                        last_error = Some(e);
                    }
                }
            }
        }
        // Read the platform: the refund may exist even though no clear answer came back.
        if let Ok(Some(found)) = self.find_on_platform(r).await {
            self.record_answer(r, &found, None)?;
            return self.refund_view(&r.idempotence_key);
        }
        let message = last_error
            .map(|e| e.message())
            .unwrap_or_else(|| "no answer within the key's lifetime".to_string());
        self.record_unknown(r, message)?;
        self.refund_view(&r.idempotence_key)
    }

    /// The platform refused (or declined) a refund. A first send's refusal is the platform's word; after any
    /// earlier send the tender's refunds are read first, because that earlier send may have been carried out.
    async fn conclude_refused(
        &self,
        r: &RefundRecord,
        refund_id: Option<String>,
        message: &str,
        retried: bool,
    ) -> Result<RefundView> {
        match self.find_on_platform(r).await {
            Ok(Some(found)) => {
                tracing::warn!(number = r.number, refund_id = %found.id, "refused on a re-send but present on the platform");
                self.record_answer(r, &found, None)?;
            }
            Ok(None) => self.record_declined(r, refund_id, message)?,
            Err(_) if !retried => self.record_declined(r, refund_id, message)?,
            Err(e) => self.record_unknown(
                r,
                format!(
                    "{message}; the platform's refunds could not be read to confirm ({})",
                    e.message()
                ),
            )?,
        }
        self.refund_view(&r.idempotence_key)
    }

    /// Our refund as the platform lists it (GetRefunds on its tender), if it is there. Matched on the operation
    /// reference the till sends (the intent's idempotence key, unique per intent); when the platform echoes no
    /// reference at all, as a last resort on the amount, among refunds the ledger does not already know.
    async fn find_on_platform(
        &self,
        r: &RefundRecord,
    ) -> Result<Option<RefundReading>, GatewayError> {
        let list = self.core.gateway.refunds(&r.payment_id).await?;
        if let Some(found) = list
            .iter()
            .find(|x| x.merchant_reference.as_deref() == Some(&r.idempotence_key))
        {
            return Ok(Some(found.clone()));
        }
        if list.iter().any(|x| x.merchant_reference.is_some()) {
            return Ok(None);
        }
        let known: HashSet<String> = self
            .core
            .ledger
            .refunds_of_checkout(&r.hosted_checkout_id)
            .map(|rs| rs.into_iter().filter_map(|x| x.refund_id).collect())
            .unwrap_or_default();
        Ok(list
            .iter()
            .find(|x| {
                x.amount_cents == r.amount.cents()
                    && !known.contains(&x.id)
                    && !refund_state_of(&x.status, x.status_code).eq(&RefundState::Declined)
            })
            .cloned())
    }

    fn record_unknown(&self, r: &RefundRecord, message: String) -> Result<()> {
        if r.state == "unknown" {
            return Ok(());
        }
        self.core
            .ledger
            .append(
                &self.operator,
                &Event::RefundAnswered {
                    idempotence_key: r.idempotence_key.clone(),
                    refund_id: None,
                    state: "unknown".into(),
                    platform_status: None,
                    failure: Some(message),
                },
            )
            .map_err(Self::ledger_err)?;
        Ok(())
    }

    /// Closes a refund intent that never got an answer (state `requested` or `unknown`), so that its tender is
    /// no longer blocked and its amount is free again. `refund` is the refund number (n°) or its idempotence key.
    /// The platform's list of refunds for the tender is read first: if it shows the refund, the answer is
    /// recorded instead and the close is refused; if it cannot be read, the close is refused too. The closing is
    /// journaled with the operator and the reason.
    pub async fn close_refund(&self, refund: &str, reason: &str) -> Result<RefundView> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(TillError::ReasonMissing);
        }
        let len = reason.chars().count();
        if len > logic::MAX_REASON_LEN {
            return Err(TillError::ReasonTooLong(len));
        }
        let ledger = &self.core.ledger;
        let wanted = refund.trim().trim_start_matches("n°");
        let record = match wanted.parse::<i64>() {
            Ok(n) => ledger.refund_by_number(n),
            Err(_) => ledger.refund_by_key(wanted),
        }
        .map_err(Self::ledger_err)?
        .ok_or_else(|| TillError::UnknownRefund(refund.to_string()))?;
        if !matches!(record.state.as_str(), "requested" | "unknown") {
            return Err(TillError::RefundNotOpen {
                number: record.number,
                state: record.state,
            });
        }
        match self.find_on_platform(&record).await {
            Ok(Some(found))
                if refund_state_of(&found.status, found.status_code) == RefundState::Declined =>
            {
                // The platform's own refusal settles it: nothing left to close.
                self.record_answer(&record, &found, None)?;
                return self.refund_view(&record.idempotence_key);
            }
            Ok(Some(found)) => {
                self.record_answer(&record, &found, None)?;
                return Err(TillError::RefundOnPlatform {
                    number: record.number,
                    refund_id: found.id,
                    status: found.status,
                });
            }
            Ok(None) => {}
            Err(e) => return Err(TillError::from_gateway(e)),
        }
        ledger
            .append(
                &self.operator,
                &Event::RefundClosed {
                    idempotence_key: record.idempotence_key.clone(),
                    reason,
                },
            )
            .map_err(Self::ledger_err)?;
        tracing::info!(
            number = record.number,
            "refund intent closed by the operator"
        );
        self.refund_view(&record.idempotence_key)
    }

    fn record_answer(
        &self,
        r: &RefundRecord,
        reading: &RefundReading,
        failure: Option<String>,
    ) -> Result<()> {
        if let Some(mut e) = answer_event(r, reading) {
            if let Event::RefundAnswered { failure: f, .. } = &mut e {
                *f = failure;
            }
            self.core
                .ledger
                .append(&self.operator, &e)
                .map_err(Self::ledger_err)?;
        }
        Ok(())
    }

    fn record_declined(
        &self,
        r: &RefundRecord,
        refund_id: Option<String>,
        message: &str,
    ) -> Result<()> {
        self.core
            .ledger
            .append(
                &self.operator,
                &Event::RefundAnswered {
                    idempotence_key: r.idempotence_key.clone(),
                    refund_id,
                    state: "declined".into(),
                    platform_status: Some("REJECTED".into()),
                    failure: Some(message.to_string()),
                },
            )
            .map_err(Self::ledger_err)?;
        Ok(())
    }

    fn refund_view(&self, key: &str) -> Result<RefundView> {
        let r = self
            .core
            .ledger
            .refund_by_key(key)
            .map_err(Self::ledger_err)?
            .ok_or_else(|| TillError::Config(format!("refund {key} vanished from the ledger")))?;
        Ok(views::refund_view(&r))
    }

    /// Refunds asked between two local days (inclusive), by number.
    pub fn refunds(&self, filter: &RefundFilter) -> Result<Vec<RefundRow>> {
        let (from, to) = views::range(filter.from, filter.to);
        let rows = self
            .core
            .ledger
            .refunds_between(from, to)
            .map_err(Self::ledger_err)?;
        let mut references: HashMap<String, String> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let reference = match references.get(&r.hosted_checkout_id) {
                Some(s) => s.clone(),
                None => {
                    let s = self
                        .core
                        .ledger
                        .checkout(&r.hosted_checkout_id)
                        .map_err(Self::ledger_err)?
                        .map(|c| c.merchant_reference)
                        .unwrap_or_default();
                    references.insert(r.hosted_checkout_id.clone(), s.clone());
                    s
                }
            };
            out.push(views::refund_row(&r, reference));
        }
        Ok(out)
    }

    // ----- export, verify, connection, resume, reconcile ------------------------------------------------------

    /// Writes the refunds asked between two local days (inclusive) to `path`, and journals the export.
    pub fn export_refunds(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        format: CsvFormat,
        path: &Path,
    ) -> Result<ExportSummary> {
        let (f, t) = logic::local_days_to_utc(from, to);
        let summary = export::write_refunds_to_path(&self.core.ledger, f, t, format, path)?;
        self.core
            .ledger
            .append(
                &self.operator,
                &Event::ExportMade {
                    from: from.to_string(),
                    to: to.to_string(),
                    format: format.name().to_string(),
                    rows: summary.rows,
                },
            )
            .map_err(Self::ledger_err)?;
        Ok(summary)
    }

    /// Walks the journal's hash chain and checks its recorded head; replays it and compares the derived tables.
    /// Names the first entry edited, removed or reordered, a cut tail, or the first derived value edited.
    pub fn verify_ledger(&self) -> Result<VerifyReport> {
        self.core.ledger.verify().map_err(Self::ledger_err)
    }

    /// Checks that the platform answers and accepts the credentials.
    pub async fn test_connection(&self) -> Result<()> {
        self.core
            .gateway
            .test_connection()
            .await
            .map_err(TillError::from_gateway)
    }

    /// After a restart: settles refunds without an answer (same key), re-reads pending refunds and unfinished
    /// checkouts. Checkouts asked but never answered (the till stopped during the call) are marked failed: the
    /// platform's session, if any, expires unpaid. Returns how many items were handled.
    pub async fn resume(&self) -> Result<usize> {
        let ledger = &self.core.ledger;
        let mut handled = 0usize;
        let mut checkouts: Vec<String> = Vec::new();
        for r in ledger.unfinished_refunds().map_err(Self::ledger_err)? {
            if matches!(r.state.as_str(), "requested" | "unknown") {
                self.settle_refund(&r, false).await?;
                handled += 1;
            }
            if !checkouts.contains(&r.hosted_checkout_id) {
                checkouts.push(r.hosted_checkout_id.clone());
            }
        }
        for c in ledger.unfinished_checkouts().map_err(Self::ledger_err)? {
            match c.hosted_checkout_id {
                Some(id) if !checkouts.contains(&id) => checkouts.push(id),
                Some(_) => {}
                None if Utc::now() - c.created_at > Duration::minutes(1) => {
                    ledger
                        .append(
                            &self.operator,
                            &Event::CheckoutFailed {
                                merchant_reference: c.merchant_reference,
                                failure: "the till stopped before the platform answered".into(),
                            },
                        )
                        .map_err(Self::ledger_err)?;
                    handled += 1;
                }
                None => {}
            }
        }
        for id in checkouts {
            match self.refresh(&id).await {
                Ok(_) => handled += 1,
                Err(TillError::Unreachable(m)) => {
                    tracing::warn!(hosted_checkout_id = %id, error = %m, "not reachable; will be read again");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(handled)
    }

    /// Re-reads every checkout created between two local days (inclusive) from the platform; refunds made
    /// elsewhere are imported as external; differences are reported and journaled.
    pub async fn reconcile(&self, from: NaiveDate, to: NaiveDate) -> Result<ReconcileReport> {
        let (f, t) = logic::local_days_to_utc(from, to);
        let ids = self
            .core
            .ledger
            .hosted_checkouts_between(f, t)
            .map_err(Self::ledger_err)?;
        let mut report = ReconcileReport {
            from,
            to,
            checkouts_checked: 0,
            payments_checked: 0,
            refunds_imported: 0,
            refunds_updated: 0,
            differences: Vec::new(),
        };
        for id in ids {
            match self.refresh_inner(&id, Utc::now()).await {
                Ok(o) => {
                    report.checkouts_checked += 1;
                    report.payments_checked += o.payments;
                    report.refunds_imported += o.imported;
                    report.refunds_updated += o.updated;
                    report.differences.extend(
                        o.differences
                            .into_iter()
                            .map(|d| format!("checkout {id}: {d}")),
                    );
                }
                Err(e) => report
                    .differences
                    .push(format!("checkout {id}: could not be read: {e}")),
            }
        }
        self.core
            .ledger
            .append(
                &self.operator,
                &Event::ReconcileDone {
                    from: from.to_string(),
                    to: to.to_string(),
                    payments_checked: report.payments_checked,
                    refunds_imported: report.refunds_imported,
                    differences: report.differences.clone(),
                },
            )
            .map_err(Self::ledger_err)?;
        Ok(report)
    }
}

/// The tender an operation belongs to: `1234567890_3` → `1234567890_0`.
fn tender_of_operation(op_id: &str) -> String {
    match op_id.rsplit_once('_') {
        Some((base, _)) => format!("{base}_0"),
        None => op_id.to_string(),
    }
}

/// The correction for one of our refunds recorded as declined (by a refusal, or closed by an operator) that the
/// platform shows as pending or refunded: the platform's word beats the local conclusion. `None` otherwise.
fn correction_event(r: &RefundRecord, reading: &RefundReading) -> Option<Event> {
    let state = refund_state_of(&reading.status, reading.status_code);
    if r.external
        || r.state != RefundState::Declined.code()
        || !matches!(state, RefundState::Pending | RefundState::Refunded)
    {
        return None;
    }
    Some(Event::RefundCorrected {
        idempotence_key: r.idempotence_key.clone(),
        refund_id: Some(reading.id.clone()).filter(|s| !s.is_empty()),
        previous_state: r.state.clone(),
        state: state.code().to_string(),
        platform_status: Some(reading.status.clone()),
        note: format!(
            "recorded as declined, but the platform shows {} {}",
            reading.id, reading.status
        ),
    })
}

/// The journal entry for a platform reading of one of our refunds, or `None` when it changes nothing (or would
/// move the refund backwards).
fn answer_event(r: &RefundRecord, reading: &RefundReading) -> Option<Event> {
    let state = refund_state_of(&reading.status, reading.status_code);
    let current = RefundState::from_code(&r.state);
    let id = Some(reading.id.clone()).filter(|s| !s.is_empty());
    let same = current == state
        && r.refund_id == id
        && r.platform_status.as_deref() == Some(&reading.status);
    if same || state.rank() < current.rank() || (current.is_final() && state != current) {
        return None;
    }
    Some(Event::RefundAnswered {
        idempotence_key: r.idempotence_key.clone(),
        refund_id: id,
        state: state.code().to_string(),
        platform_status: Some(reading.status.clone()),
        failure: None,
    })
}
