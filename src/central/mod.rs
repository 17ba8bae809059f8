//! The central ledger in PostgreSQL: several tills, one view. Each till keeps its own signed chain in SQLite (its
//! record and its offline buffer) and uploads its entries in order; the centre checks, as each entry arrives, that
//! the till's chain continues (number, link, hash, key changes), and at commit the seal of the last one, with
//! Ed25519 in PL/pgSQL: nothing is ever overwritten, and a till's role can append only its own entries.
//!
//! - [`schema`]: versioned migrations, the roles, `central init` and `central add-till` (the administrator's).
//! - [`upload`]: a till's `sync`: what the centre holds compared with the ledger, the entries sent in batches, the
//!   acknowledgement journaled.
//!
//! The only module that speaks PostgreSQL.

pub mod guard;
pub mod query;
pub mod schema;
pub mod upload;

use std::sync::Arc;

use crate::i18n::{Lang, Localize};

pub use guard::PgGuard;
pub use schema::{add_till, init};
pub use upload::{SyncReport, sync};

/// What went wrong with the centre.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// The URL is not a PostgreSQL connection URL.
    #[error("central URL: {0} (expected postgres://USER:PASSWORD@HOST:PORT/DATABASE)")]
    Url(String),
    /// The centre cannot be reached or refused the login.
    #[error(
        "the centre cannot be reached ({0}); sales go on, and the till catches up once it is back"
    )]
    Unreachable(String),
    /// This connection is not a till's, or another till's.
    #[error("central URL: {0}")]
    WrongTill(String),
    /// The centre refused an entry: the upload stopped there, nothing was overwritten.
    #[error("sync stopped at entry {seq}: {reason}")]
    Refused {
        /// The entry.
        seq: i64,
        /// What the centre said.
        reason: String,
    },
    /// The centre's copy of this till's chain is not this ledger's.
    #[error(
        "sync stopped at entry {seq}: the centre holds another entry {seq} for this till ({why}); nothing was overwritten"
    )]
    Diverged {
        /// The entry.
        seq: i64,
        /// Why it may be.
        why: String,
    },
    /// The till has no name yet.
    #[error(
        "this ledger has no till code yet: start the till once, or run `cadodesk till init --code T02`"
    )]
    NoTill,
    /// A role or till already exists.
    #[error("{0}")]
    Exists(String),
    /// The local ledger failed.
    #[error(transparent)]
    Ledger(#[from] crate::ledger::LedgerError),
    /// An export file could not be written.
    #[error(transparent)]
    Export(#[from] crate::ledger::export::ExportError),
    /// Any other failure at the centre.
    #[error("the centre answered: {0}")]
    Sql(String),
}

impl Localize for CentralError {
    fn localize(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            CentralError::Url(d) => format!(
                "Adresse du serveur central : {d} (attendu postgres://UTILISATEUR:MOT_DE_PASSE@HÔTE:PORT/BASE)"
            ),
            CentralError::Unreachable(d) => format!(
                "Le serveur central est injoignable ({d}) ; les ventes continuent, la caisse rattrape son retard à son retour"
            ),
            CentralError::WrongTill(d) => format!("Adresse du serveur central : {d}"),
            CentralError::Refused { seq, reason } => {
                format!("Synchronisation arrêtée à l'écriture {seq} : {reason}")
            }
            CentralError::Diverged { seq, why } => format!(
                "Synchronisation arrêtée à l'écriture {seq} : le serveur central détient une autre écriture {seq} pour cette caisse ({why}) ; rien n'a été écrasé"
            ),
            CentralError::NoTill => "Ce registre n'a pas encore de code de caisse : démarrez la caisse une fois, ou lancez `cadodesk till init --code T02`".into(),
            CentralError::Exists(d) => d.clone(),
            CentralError::Ledger(e) => e.localize(lang),
            CentralError::Export(e) => e.localize(lang),
            CentralError::Sql(d) => format!("Le serveur central a répondu : {d}"),
        }
    }
}

impl CentralError {
    /// A PostgreSQL error in words, without the connection URL (never printed).
    pub(crate) fn from_pg(e: &tokio_postgres::Error) -> CentralError {
        match e.as_db_error() {
            Some(db) => CentralError::Sql(db.message().to_string()),
            None if e.is_closed() => CentralError::Unreachable("the connection closed".into()),
            None => CentralError::Unreachable(e.to_string()),
        }
    }
}

/// Opens a connection: TLS when the server offers it (the URL's `sslmode`, `prefer` by default), through rustls
/// with the system's certificates; the connection runs on the current tokio runtime.
pub async fn connect(url: &str) -> Result<tokio_postgres::Client, CentralError> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e: tokio_postgres::Error| CentralError::Url(e.to_string()))?;
    // A centre that does not answer is said so within seconds, not after the system's TCP timeout.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.keepalives_idle(std::time::Duration::from_secs(30));
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A certificate the system holds but rustls cannot read is skipped, as every TLS client does.
        let _ = roots.add(cert);
    }
    let tls_config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| CentralError::Unreachable(format!("TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
    let (client, connection) = config
        .connect(tls)
        .await
        .map_err(|e| CentralError::from_pg(&e))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "the connection to the centre ended");
        }
    });
    Ok(client)
}
