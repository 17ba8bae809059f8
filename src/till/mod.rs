//! The use cases shared by the app and the command line, one file each: [`checkout`] (ring up a sale), [`watch`]
//! (read it again), [`refund`], [`reconcile`], [`resume`] (after a restart), [`records`] (what needs only the
//! ledger: lists, export, verify), and [`receipt`] (receipts and refund notes, sent to a [`printer`] or a file).
//!
//! [`Till`] is the facade: cheap to clone, it holds the ledger ([`Records`]), the platform ([`Gateway`]) and the
//! operator. Every fact is written to the ledger before the platform is asked (the intent) and after it answers.
//! Refunds go through the ledger's guard ([`crate::ledger::Ledger::request_refund`]) so that two windows or two
//! processes cannot refund more than what is left, and a lost answer is settled with the same idempotence key, never
//! a new one. Time comes from the ledger's [`crate::domain::Clock`].

mod abandon;
pub mod archive;
pub mod central_guard;
mod checkout;
mod close;
pub mod closing;
mod compare;
mod direct_gateway;
mod error;
mod event_words;
pub mod gateway;
pub mod logic;
pub mod manager;
mod pin;
pub mod printer;
mod receipt;
mod reconcile;
mod records;
mod refund;
mod refund_answer;
mod resume;
mod sender;
mod views;
mod watch;
pub mod watcher;

use std::collections::HashMap;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::Duration;

use crate::ledger::Ledger;
use crate::vault::ApiCredentials;

pub use crate::ledger::VerifyReport;
pub use crate::ledger::export::{CsvFormat, ExportSummary};
pub use close::{ClosingRow, TILL_CODE, valid_till_code};
pub use direct_gateway::DirectGateway;
pub use error::TillError;
pub use gateway::{Gateway, GatewayError};
pub use logic::AllocationError;
pub use pin::{PinAction, PinPolicy, RefundApproval};
pub use printer::{PrinterAddress, PrinterError};
pub use receipt::{PreparedReceipt, ReceiptError, ReceiptFormat, ReceiptTarget};
pub use records::Records;
pub use views::{
    Abandonment, CheckoutFilter, CheckoutRow, CheckoutView, NewCheckout, ReconcileReport,
    RefundCommand, RefundFilter, RefundRow, RefundView, TenderView, TimelineEntry, TodayView,
};

use watch::PollState;

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

type Result<T, E = TillError> = std::result::Result<T, E>;

#[derive(Debug)]
struct Core {
    gateway: Arc<dyn Gateway>,
    session_timeout: Duration,
    return_url: Option<String>,
    polls: Mutex<HashMap<String, PollState>>,
    /// The central ledger's refund guard, when the till has a centre.
    central: Option<Arc<dyn central_guard::CentralGuard>>,
}

/// The till: the use cases over the ledger and the platform. Cheap to clone; clones share everything but the
/// operator (see [`Till::with_operator`]). What needs only the ledger is its [`Records`], which it dereferences to.
#[derive(Debug, Clone)]
pub struct Till {
    core: Arc<Core>,
    records: Records,
}

impl Deref for Till {
    type Target = Records;

    fn deref(&self) -> &Records {
        &self.records
    }
}

impl Till {
    /// Opens the ledger in `config.data_dir`, unsealed, and the platform client for `config.base_url`: for tools
    /// and tests on a ledger of their own. The app and the command line open a sealed ledger
    /// (`crate::app::open_ledger`) and wire the till from it; a sealed ledger is refused here, since entries
    /// written without its key would break its seals.
    pub fn open(config: TillConfig) -> Result<Till> {
        let ledger = Ledger::open_in(&config.data_dir).map_err(TillError::Ledger)?;
        if ledger.current_key().map_err(TillError::Ledger)?.is_some() {
            return Err(TillError::Config(format!(
                "the ledger in {} is sealed: open it as the app does (with its journal key)",
                config.data_dir.display()
            )));
        }
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

    /// A till over any [`Gateway`] (the app and the command line use [`Till::open`]). Its clock is the ledger's.
    pub fn with_gateway(
        ledger: Ledger,
        gateway: Arc<dyn Gateway>,
        operator: &str,
        session_timeout_minutes: i64,
        return_url: Option<String>,
    ) -> Till {
        Till {
            core: Arc::new(Core {
                gateway,
                session_timeout: Duration::minutes(session_timeout_minutes.clamp(1, 1440)),
                return_url,
                polls: Mutex::new(HashMap::new()),
                central: None,
            }),
            records: Records::new(ledger, operator),
        }
    }

    /// The same till with a central ledger: refunds are reserved there first (see [`central_guard`]), and a sale
    /// made at another till can be refunded here. Made when the till is wired, before it is shared.
    pub fn with_central(self, guard: Arc<dyn central_guard::CentralGuard>) -> Till {
        Till {
            core: Arc::new(Core {
                gateway: Arc::clone(&self.core.gateway),
                session_timeout: self.core.session_timeout,
                return_url: self.core.return_url.clone(),
                polls: Mutex::new(HashMap::new()),
                central: Some(guard),
            }),
            records: self.records,
        }
    }

    /// Whether refunds go through a central ledger.
    pub fn has_central(&self) -> bool {
        self.core.central.is_some()
    }

    /// The same till with another person at it.
    pub fn with_operator(&self, operator: &str) -> Till {
        Till {
            core: Arc::clone(&self.core),
            records: self.records.with_operator(operator),
        }
    }

    /// The ledger's side of the till, for the use cases that need no platform.
    pub fn records(&self) -> &Records {
        &self.records
    }
}
