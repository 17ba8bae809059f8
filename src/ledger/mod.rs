//! All SQL lives here: migrations, the append-only hash-chained journal, the queries the screens need, CSV export.
//!
//! One database file, `<data dir>/ledger.sqlite3`, in WAL mode with foreign keys and a busy timeout. Every fact is a
//! numbered [`journal::Event`] in the `journal` table, hash-chained to the entry before; triggers refuse UPDATE and
//! DELETE there. The other tables (`checkouts`, `tenders`, `refunds`, `timeline`) are derived from the journal in the
//! same transaction as each entry, by [`Ledger::append`], so they can be rebuilt by replaying it. Secrets are never
//! written here.

pub mod export;
pub mod journal;
mod queries;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{
    Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior, params,
};
use serde::Serialize;
use thiserror::Error;

use crate::i18n::{Lang, Localize, capitalise};
use crate::money::Amount;

pub use journal::{ChainBreak, Entry, Event};
pub use queries::{
    CheckoutListFilter, CheckoutRecord, CheckoutSummary, RefundExportRow, RefundRecord,
    TenderRecord,
};

/// The database file's name inside the data directory.
pub const LEDGER_FILE: &str = "ledger.sqlite3";

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings keys (non-secret). Secrets go to [`crate::vault`].
pub mod keys {
    /// `sandbox`, `preprod`, `prod` or a base URL.
    pub const ENVIRONMENT: &str = "environment";
    /// The merchant id (PSPID).
    pub const MERCHANT_ID: &str = "merchant_id";
    /// The API key id (the secret itself is in the keychain).
    pub const API_KEY_ID: &str = "api_key_id";
    /// Where the hosted page sends the customer back.
    pub const RETURN_URL: &str = "return_url";
    /// Who is at the till by default.
    pub const OPERATOR: &str = "operator";
    /// `fr` or `en`.
    pub const LANGUAGE: &str = "language";
    /// The manager PIN's salted hash (never the PIN).
    pub const MANAGER_PIN_HASH: &str = "manager_pin_hash";
    /// Refunds above this amount (cents) need the manager PIN.
    pub const PIN_THRESHOLD_CENTS: &str = "pin_threshold_cents";
    /// `true` when every refund needs the manager PIN.
    pub const REQUIRE_PIN_FOR_ALL: &str = "require_pin_for_all";
    /// Settings whose value is not copied into the journal.
    pub const HIDDEN_IN_JOURNAL: &[&str] = &[MANAGER_PIN_HASH];
}

/// What went wrong with the ledger. Storage failures are told apart so that the person at the till knows what to
/// do; refusals of the refund guard are typed so the use case can explain them.
#[derive(Debug, Error)]
pub enum LedgerError {
    /// The disk is full.
    #[error("the disk holding the ledger is full: free some space, then try again")]
    DiskFull,
    /// A write failed at the system level: most often a full disk that SQLite reports as an I/O error.
    #[error(
        "the ledger {path} could not be written (disk I/O error): check that its disk is not full or failing, free some space, then try again"
    )]
    Io {
        /// The database file.
        path: String,
    },
    /// The file or its folder is read-only.
    #[error("the ledger {path} is read-only: check the folder's permissions")]
    ReadOnly {
        /// The database file.
        path: String,
    },
    /// The file is damaged or not a cadodesk ledger.
    #[error("the ledger {path} is damaged or is not a cadodesk ledger: restore it from a backup")]
    Corrupt {
        /// The database file.
        path: String,
    },
    /// Another program holds the ledger for too long.
    #[error("the ledger is busy in another cadodesk window or process: try again in a moment")]
    Locked,
    /// The file cannot be opened or created.
    #[error(
        "the ledger {path} cannot be opened ({detail}): check that the folder exists and is writable"
    )]
    CannotOpen {
        /// The database file.
        path: String,
        /// The system's reason.
        detail: String,
    },
    /// Written by a newer cadodesk.
    #[error(
        "the ledger was written by a newer cadodesk (schema {found}, this one knows {supported}): update cadodesk"
    )]
    TooNew {
        /// The file's schema version.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// The tender is not in the ledger.
    #[error("payment {0} is not in the ledger: refresh its checkout first")]
    UnknownTender(String),
    /// The checkout is not in the ledger.
    #[error("checkout {0} is not in the ledger")]
    UnknownCheckout(String),
    /// The refund would go beyond what is left on the tender.
    #[error("only {left} is left to refund on payment {payment_id}")]
    NotEnoughLeft {
        /// The tender.
        payment_id: String,
        /// What is left.
        left: Amount,
    },
    /// Another refund on this tender has no answer yet.
    #[error(
        "refund n°{number} on payment {payment_id} is still waiting for the platform's answer: wait for it first"
    )]
    RefundInFlight {
        /// The tender.
        payment_id: String,
        /// The refund waiting.
        number: i64,
    },
    /// A rule of the schema refused a row (a bug, or a hand-edited database).
    #[error("the ledger refused the record: {0}")]
    Constraint(String),
    /// Anything else SQLite reported.
    #[error("ledger error: {0}")]
    Sqlite(String),
    /// A stored payload no longer decodes (hand-edited database).
    #[error("a journal entry cannot be read: {0}")]
    Decode(String),
}

impl LedgerError {
    fn from_sqlite(e: rusqlite::Error, path: &Path) -> LedgerError {
        let path_s = path.display().to_string();
        match &e {
            rusqlite::Error::SqliteFailure(f, msg) => match f.code {
                ErrorCode::DiskFull => LedgerError::DiskFull,
                ErrorCode::SystemIoFailure => LedgerError::Io { path: path_s },
                ErrorCode::ReadOnly | ErrorCode::PermissionDenied => {
                    LedgerError::ReadOnly { path: path_s }
                }
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    LedgerError::Corrupt { path: path_s }
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => LedgerError::Locked,
                ErrorCode::CannotOpen => LedgerError::CannotOpen {
                    path: path_s,
                    detail: msg.clone().unwrap_or_else(|| f.to_string()),
                },
                ErrorCode::ConstraintViolation => {
                    LedgerError::Constraint(msg.clone().unwrap_or_else(|| f.to_string()))
                }
                _ => LedgerError::Sqlite(e.to_string()),
            },
            _ => LedgerError::Sqlite(e.to_string()),
        }
    }
}

impl Localize for LedgerError {
    fn localize(&self, lang: Lang) -> String {
        match lang {
            Lang::En => capitalise(self.to_string()),
            Lang::Fr => match self {
                LedgerError::DiskFull => {
                    "Le disque du journal est plein : libérez de la place puis réessayez".into()
                }
                LedgerError::Io { path } => format!(
                    "Le journal {path} n'a pas pu être écrit (erreur d'entrée-sortie) : vérifiez que le disque n'est ni plein ni défaillant, libérez de la place puis réessayez"
                ),
                LedgerError::ReadOnly { path } => format!(
                    "Le journal {path} est en lecture seule : vérifiez les droits du dossier"
                ),
                LedgerError::Corrupt { path } => format!(
                    "Le journal {path} est endommagé ou n'est pas un journal cadodesk : restaurez une sauvegarde"
                ),
                LedgerError::Locked => "Le journal est occupé par une autre fenêtre ou un autre processus cadodesk : réessayez dans un instant".into(),
                LedgerError::CannotOpen { path, detail } => format!(
                    "Impossible d'ouvrir le journal {path} ({detail}) : vérifiez que le dossier existe et est accessible en écriture"
                ),
                LedgerError::TooNew { found, supported } => format!(
                    "Le journal a été écrit par une version plus récente de cadodesk (schéma {found}, celle-ci connaît {supported}) : mettez cadodesk à jour"
                ),
                LedgerError::UnknownTender(p) => format!(
                    "Le paiement {p} n'est pas dans le journal : actualisez d'abord sa commande"
                ),
                LedgerError::UnknownCheckout(c) => {
                    format!("La commande {c} n'est pas dans le journal")
                }
                LedgerError::NotEnoughLeft { payment_id, left } => format!(
                    "Il ne reste que {} à rembourser sur le paiement {payment_id}",
                    left.fr()
                ),
                LedgerError::RefundInFlight { payment_id, number } => format!(
                    "Le remboursement n°{number} du paiement {payment_id} attend encore la réponse de la plateforme : attendez-la d'abord"
                ),
                LedgerError::Constraint(m) => format!("Le journal a refusé l'écriture : {m}"),
                LedgerError::Sqlite(m) => format!("Erreur du journal : {m}"),
                LedgerError::Decode(m) => format!("Une écriture du journal est illisible : {m}"),
            },
        }
    }
}

/// The result of [`Ledger::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    /// Entries whose hash and place were checked before the first problem (all of them when sound).
    pub entries_checked: u64,
    /// The last entry's number.
    pub last_seq: i64,
    /// The last good entry's hash: write it down to prove later that nothing before it changed.
    pub last_hash: String,
    /// The first problem, if any.
    pub first_break: Option<ChainBreak>,
}

impl VerifyReport {
    /// True when the chain is whole.
    pub fn is_sound(&self) -> bool {
        self.first_break.is_none()
    }
}

/// The result of [`Ledger::request_refund`]: the refund intent, committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundIntent {
    /// The idempotence key to send.
    pub idempotence_key: String,
    /// The sequential refund number.
    pub number: i64,
    /// The checkout.
    pub hosted_checkout_id: String,
}

/// The ledger: one SQLite connection, shared. Cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    conn: Arc<Mutex<Connection>>,
    path: Arc<PathBuf>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

type Result<T, E = LedgerError> = std::result::Result<T, E>;

impl Ledger {
    /// Opens (creating if needed) `<data_dir>/ledger.sqlite3`, creating the folder too.
    pub fn open_in(data_dir: &Path) -> Result<Ledger> {
        std::fs::create_dir_all(data_dir).map_err(|e| LedgerError::CannotOpen {
            path: data_dir.display().to_string(),
            detail: e.to_string(),
        })?;
        Ledger::open(&data_dir.join(LEDGER_FILE))
    }

    /// Opens (creating if needed) the database file at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Ledger> {
        let err = |e| LedgerError::from_sqlite(e, path);
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // WAL lets readers (the app's screens) run while a writer appends; FULL sync because each entry is money.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err)?;
        // Appends prepare each of their statements once per connection (about twenty of them).
        conn.set_prepared_statement_cache_capacity(64);
        let ledger = Ledger {
            conn: Arc::new(Mutex::new(conn)),
            path: Arc::new(path.to_path_buf()),
        };
        ledger.migrate()?;
        Ok(ledger)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll back on drop), so
        // the connection is still good.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        move |e| LedgerError::from_sqlite(e, &self.path)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        let err = self.err();
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(&err)?;
        let supported = schema::MIGRATIONS.len() as i64;
        if version > supported {
            return Err(LedgerError::TooNew {
                found: version,
                supported,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&err)?;
            // Another process may have migrated while this one waited for the lock.
            let now: i64 = tx
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(&err)?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql).map_err(&err)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(&err)?;
            tx.commit().map_err(&err)?;
        }
        Ok(())
    }

    /// Appends one fact and updates the derived tables, in one transaction. Returns the entry written.
    pub fn append(&self, operator: &str, event: &Event) -> Result<Entry> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let entry = append_tx(&tx, Utc::now(), operator, event).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(entry)
    }

    /// Appends several facts in one transaction (all or none).
    pub fn append_all(&self, operator: &str, events: &[Event]) -> Result<Vec<Entry>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let now = Utc::now();
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            out.push(append_tx(&tx, now, operator, e).map_err(&err)?);
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }

    /// The refund guard. In one IMMEDIATE transaction (so two processes are serialised by SQLite's write lock):
    /// checks that no other refund on the tender is waiting for an answer and that `amount` does not exceed
    /// captured − refunded − pending, then writes the intent with a fresh idempotence key and the next refund
    /// number. Only after this commits may the request be sent.
    pub fn request_refund(
        &self,
        operator: &str,
        payment_id: &str,
        amount: Amount,
        reason: &str,
    ) -> Result<RefundIntent> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let tender: Option<(String, i64)> = tx
            .query_row(
                "SELECT hosted_checkout_id, captured_cents FROM tenders WHERE payment_id = ?1",
                [payment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(&err)?;
        let Some((hosted_checkout_id, captured)) = tender else {
            return Err(LedgerError::UnknownTender(payment_id.to_string()));
        };
        let in_flight: Option<i64> = tx
            .query_row(
                "SELECT number FROM refunds WHERE payment_id = ?1 AND state IN ('requested', 'unknown')
                 ORDER BY number LIMIT 1",
                [payment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        if let Some(number) = in_flight {
            return Err(LedgerError::RefundInFlight {
                payment_id: payment_id.to_string(),
                number,
            });
        }
        let taken: i64 = tx
            .query_row(
                "SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE payment_id = ?1 AND state != 'declined'",
                [payment_id],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let left = (captured - taken).max(0);
        if amount.cents() > left {
            return Err(LedgerError::NotEnoughLeft {
                payment_id: payment_id.to_string(),
                left: Amount::from_cents(left).unwrap_or(Amount::ZERO),
            });
        }
        let number = next_refund_number(&tx).map_err(&err)?;
        // 32 hex characters: within the platform's 40-character ASCII limit for idempotence keys and references.
        let idempotence_key = uuid::Uuid::new_v4().simple().to_string();
        let event = Event::RefundRequested {
            idempotence_key: idempotence_key.clone(),
            number,
            payment_id: payment_id.to_string(),
            hosted_checkout_id: hosted_checkout_id.clone(),
            amount_cents: amount.cents(),
            reason: reason.to_string(),
        };
        append_tx(&tx, Utc::now(), operator, &event).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(RefundIntent {
            idempotence_key,
            number,
            hosted_checkout_id,
        })
    }

    /// Imports a refund found on the platform that the ledger does not know (made elsewhere). Does nothing and
    /// returns `false` if a refund with that platform id is already recorded.
    pub fn import_external_refund(
        &self,
        operator: &str,
        payment_id: &str,
        refund_id: &str,
        amount: Amount,
        state: &str,
        platform_status: &str,
    ) -> Result<bool> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let known: bool = tx
            .query_row(
                "SELECT EXISTS(SELECT 1 FROM refunds WHERE refund_id = ?1)",
                [refund_id],
                |r| r.get(0),
            )
            .map_err(&err)?;
        if known {
            return Ok(false);
        }
        let hosted_checkout_id: Option<String> = tx
            .query_row(
                "SELECT hosted_checkout_id FROM tenders WHERE payment_id = ?1",
                [payment_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        let Some(hosted_checkout_id) = hosted_checkout_id else {
            return Err(LedgerError::UnknownTender(payment_id.to_string()));
        };
        let number = next_refund_number(&tx).map_err(&err)?;
        let event = Event::RefundImported {
            idempotence_key: format!("ext-{refund_id}").chars().take(40).collect(),
            number,
            payment_id: payment_id.to_string(),
            hosted_checkout_id,
            refund_id: refund_id.to_string(),
            amount_cents: amount.cents(),
            state: state.to_string(),
            platform_status: platform_status.to_string(),
        };
        append_tx(&tx, Utc::now(), operator, &event).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(true)
    }

    /// Walks the whole chain in order and names the first entry that was edited, removed or reordered; checks the
    /// recorded head (so that entries cut from the end are noticed); and replays every entry into a private
    /// temporary database with the same rules as [`Ledger::append`], then compares the derived tables
    /// (`checkouts`, `tenders`, `refunds`, `timeline`) row by row and names the first value that differs. The walk
    /// holds one entry at a time; the replay lives in a temporary file that SQLite removes on close.
    pub fn verify(&self) -> Result<VerifyReport> {
        let conn = self.lock();
        let err = self.err();
        // An empty file name is a private, temporary on-disk database: large replays do not fill memory.
        let mut replay = Connection::open("").map_err(&err)?;
        // The replay holds no journal rows for the derived rows' `seq` to point at.
        replay
            .pragma_update(None, "foreign_keys", "OFF")
            .map_err(&err)?;
        replay.set_prepared_statement_cache_capacity(64);
        for sql in schema::MIGRATIONS {
            replay.execute_batch(sql).map_err(&err)?;
        }
        let rtx = replay.transaction().map_err(&err)?;
        let mut walker = journal::ChainWalker::default();
        let mut first_break = None;
        {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, at, kind, operator, payload, prev_hash, hash FROM journal ORDER BY rowid",
                )
                .map_err(&err)?;
            let mut rows = stmt.query([]).map_err(&err)?;
            while let Some(r) = rows.next().map_err(&err)? {
                let seq: i64 = r.get(0).map_err(&err)?;
                let at: String = r.get(1).map_err(&err)?;
                let kind: String = r.get(2).map_err(&err)?;
                let operator: String = r.get(3).map_err(&err)?;
                let payload: String = r.get(4).map_err(&err)?;
                let prev_hash: String = r.get(5).map_err(&err)?;
                let hash: String = r.get(6).map_err(&err)?;
                if let Err(b) = walker.step(seq, &at, &kind, &operator, &payload, &prev_hash, &hash)
                {
                    first_break = Some(b);
                    break;
                }
                let event: Event = serde_json::from_str(&payload)
                    .map_err(|e| LedgerError::Decode(format!("entry {seq}: {e}")))?;
                if let Err(e) = apply(&rtx, seq, &at, &operator, &event) {
                    first_break = Some(ChainBreak::DerivedMismatch {
                        table: "journal",
                        key: seq.to_string(),
                        column: "replay".into(),
                        seq,
                        found: e.to_string(),
                        expected: "an entry that applies".into(),
                    });
                    break;
                }
            }
        }
        if first_break.is_none() {
            // Entries cut from the end leave the chain whole; the head and the derived tables still point at them.
            let head: Option<(i64, String)> = conn
                .query_row("SELECT seq, hash FROM journal_head WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(&err)?;
            let referenced: i64 = conn
                .query_row(
                    "SELECT MAX(m) FROM (SELECT COALESCE(MAX(seq), 0) AS m FROM checkouts
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM tenders
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM refunds
                     UNION ALL SELECT COALESCE(MAX(seq), 0) FROM timeline)",
                    [],
                    |r| r.get(0),
                )
                .map_err(&err)?;
            let head_seq = head.as_ref().map_or(0, |h| h.0);
            let last = walker.last_seq();
            if referenced.max(head_seq) > last {
                first_break = Some(ChainBreak::Truncated {
                    last_seq: last,
                    referenced_seq: referenced.max(head_seq),
                });
            } else if head_seq != last || head.as_ref().is_some_and(|h| h.1 != walker.last_hash()) {
                first_break = Some(ChainBreak::HeadMismatch {
                    last_seq: last,
                    head_seq,
                });
            }
        }
        if first_break.is_none() {
            for (table, key) in [
                ("checkouts", "merchant_reference"),
                ("tenders", "payment_id"),
                ("refunds", "idempotence_key"),
                ("timeline", "seq"),
            ] {
                if let Some(b) = compare_table(&conn, &rtx, table, key).map_err(&err)? {
                    first_break = Some(b);
                    break;
                }
            }
        }
        Ok(VerifyReport {
            entries_checked: walker.checked(),
            last_seq: walker.last_seq(),
            last_hash: walker.last_hash().to_string(),
            first_break,
        })
    }

    /// Reads a setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let conn = self.lock();
        conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(self.err())
    }

    /// Writes (or with `None` removes) a setting, and journals the change. Secrets must never be passed here.
    pub fn set_setting(&self, operator: &str, key: &str, value: Option<&str>) -> Result<()> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let old: Option<String> = tx
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(&err)?;
        if old.as_deref() == value {
            return Ok(());
        }
        match value {
            Some(v) => tx
                .execute(
                    "INSERT INTO settings(key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    params![key, v],
                )
                .map_err(&err)?,
            None => tx
                .execute("DELETE FROM settings WHERE key = ?1", [key])
                .map_err(&err)?,
        };
        let shown = if keys::HIDDEN_IN_JOURNAL.contains(&key) {
            None
        } else {
            value.map(str::to_string)
        };
        append_tx(
            &tx,
            Utc::now(),
            operator,
            &Event::SettingChanged {
                key: key.to_string(),
                value: shown,
            },
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(())
    }

    /// Every setting, sorted by key.
    pub fn settings(&self) -> Result<Vec<(String, String)>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare("SELECT key, value FROM settings ORDER BY key")
            .map_err(&err)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// The number of journal entries.
    pub fn journal_len(&self) -> Result<i64> {
        let conn = self.lock();
        conn.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .map_err(self.err())
    }

    /// Journal entries from `from_seq` (inclusive), at most `limit`, in order.
    pub fn entries(&self, from_seq: i64, limit: i64) -> Result<Vec<Entry>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, kind, operator, payload, prev_hash, hash FROM journal
                 WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            )
            .map_err(&err)?;
        let rows = stmt
            .query_map(params![from_seq, limit], queries::entry_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }

    /// The next free order reference for the given prefix (such as `CD-20261126-`): the prefix plus a four-digit
    /// counter, one more than the highest already used.
    pub fn next_merchant_reference(&self, prefix: &str) -> Result<String> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(
                "SELECT merchant_reference FROM checkouts WHERE merchant_reference LIKE ?1 || '%'",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([prefix]).map_err(&err)?;
        let mut max = 0u64;
        while let Some(r) = rows.next().map_err(&err)? {
            let reference: String = r.get(0).map_err(&err)?;
            if let Some(n) = reference
                .strip_prefix(prefix)
                .and_then(|s| s.parse::<u64>().ok())
            {
                max = max.max(n);
            }
        }
        Ok(format!("{prefix}{:04}", max + 1))
    }
}

fn next_refund_number(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.prepare_cached("SELECT COALESCE(MAX(number), 0) + 1 FROM refunds")?
        .query_row([], |r| r.get(0))
}

/// Writes one entry after the last one and applies it to the derived tables. Must run inside an IMMEDIATE
/// transaction so that the chain stays linear across processes.
fn append_tx(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    operator: &str,
    event: &Event,
) -> rusqlite::Result<Entry> {
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev_hash) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, journal::GENESIS_HASH.to_string()),
    };
    let at_s = journal::format_time(at);
    let kind = event.kind();
    let payload = serde_json::to_string(event)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let hash = journal::entry_hash(seq, &at_s, kind, operator, &payload, &prev_hash);
    tx.prepare_cached("INSERT INTO journal(seq, at, kind, operator, payload, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![seq, at_s, kind, operator, payload, prev_hash, hash])?;
    tx.prepare_cached(
        "INSERT INTO journal_head(id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![seq, hash])?;
    apply(tx, seq, &at_s, operator, event)?;
    Ok(Entry {
        seq,
        at,
        kind: kind.to_string(),
        operator: operator.to_string(),
        payload,
        prev_hash,
        hash,
    })
}

fn show(v: &rusqlite::types::Value) -> String {
    use rusqlite::types::Value;
    match v {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => format!("'{t}'"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// The order SQLite's `ORDER BY` gives keys of one type (integers numerically, text bytewise).
fn key_order(a: &rusqlite::types::Value, b: &rusqlite::types::Value) -> std::cmp::Ordering {
    use rusqlite::types::Value;
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => show(a).cmp(&show(b)),
    }
}

/// Compares one derived table with its replay, both read in key order, one row at a time.
fn compare_table(
    live: &Connection,
    replay: &Connection,
    table: &'static str,
    key: &str,
) -> rusqlite::Result<Option<ChainBreak>> {
    let sql = format!("SELECT * FROM {table} ORDER BY {key}");
    let mut a = live.prepare(&sql)?;
    let mut b = replay.prepare(&sql)?;
    let names: Vec<String> = a.column_names().map(|s| s.to_string()).collect();
    let key_i = names.iter().position(|n| n == key).unwrap_or(0);
    let seq_i = names.iter().position(|n| n == "seq");
    let n = names.len();
    let read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Vec<rusqlite::types::Value>> {
        (0..n)
            .map(|i| r.get::<_, rusqlite::types::Value>(i))
            .collect()
    };
    let seq_of = |row: &[rusqlite::types::Value]| -> i64 {
        match seq_i.map(|i| &row[i]) {
            Some(rusqlite::types::Value::Integer(s)) => *s,
            _ => 0,
        }
    };
    let mut ra = a.query([])?;
    let mut rb = b.query([])?;
    let mut x = ra.next()?.map(read).transpose()?;
    let mut y = rb.next()?.map(read).transpose()?;
    loop {
        let mismatch = |key: &rusqlite::types::Value, found: &str, expected: &str, seq: i64| {
            ChainBreak::DerivedMismatch {
                table,
                key: show(key),
                column: "row".into(),
                seq,
                found: found.into(),
                expected: expected.into(),
            }
        };
        match (&x, &y) {
            (None, None) => return Ok(None),
            (Some(l), None) => return Ok(Some(mismatch(&l[key_i], "a row", "no row", 0))),
            (None, Some(e)) => {
                return Ok(Some(mismatch(&e[key_i], "no row", "a row", seq_of(e))));
            }
            (Some(l), Some(e)) => match key_order(&l[key_i], &e[key_i]) {
                std::cmp::Ordering::Less => {
                    return Ok(Some(mismatch(&l[key_i], "a row", "no row", 0)));
                }
                std::cmp::Ordering::Greater => {
                    return Ok(Some(mismatch(&e[key_i], "no row", "a row", seq_of(e))));
                }
                std::cmp::Ordering::Equal => {
                    if let Some(i) = (0..n).find(|&i| l[i] != e[i]) {
                        return Ok(Some(ChainBreak::DerivedMismatch {
                            table,
                            key: show(&l[key_i]),
                            column: names[i].clone(),
                            seq: seq_of(e),
                            found: show(&l[i]),
                            expected: show(&e[i]),
                        }));
                    }
                }
            },
        }
        x = ra.next()?.map(read).transpose()?;
        y = rb.next()?.map(read).transpose()?;
    }
}

fn timeline(tx: &Transaction<'_>, seq: i64, merchant_reference: &str) -> rusqlite::Result<()> {
    tx.prepare_cached("INSERT INTO timeline(seq, merchant_reference) VALUES (?1, ?2)")?
        .execute(params![seq, merchant_reference])?;
    Ok(())
}

fn timeline_by_hosted(tx: &Transaction<'_>, seq: i64, hosted: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO timeline(seq, merchant_reference)
         SELECT ?1, merchant_reference FROM checkouts WHERE hosted_checkout_id = ?2",
    )?
    .execute(params![seq, hosted])?;
    Ok(())
}

fn timeline_by_refund(
    tx: &Transaction<'_>,
    seq: i64,
    idempotence_key: &str,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO timeline(seq, merchant_reference)
         SELECT ?1, c.merchant_reference FROM refunds r JOIN checkouts c
         ON c.hosted_checkout_id = r.hosted_checkout_id WHERE r.idempotence_key = ?2",
    )?
    .execute(params![seq, idempotence_key])?;
    Ok(())
}

fn is_final_refund_state(state: &str) -> bool {
    matches!(state, "refunded" | "declined")
}

/// The derived tables' rules: how each fact changes them.
fn apply(
    tx: &Transaction<'_>,
    seq: i64,
    at: &str,
    operator: &str,
    event: &Event,
) -> rusqlite::Result<()> {
    match event {
        Event::CheckoutRequested {
            merchant_reference,
            amount_cents,
            currency,
            email,
            locale,
            return_url,
        } => {
            tx.prepare_cached("INSERT INTO checkouts(merchant_reference, amount_cents, currency, email, locale, return_url, state,
                 operator, created_at, updated_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'requested', ?7, ?8, ?8, ?9)")?.execute(params![
                    merchant_reference,
                    amount_cents,
                    currency,
                    email,
                    locale,
                    return_url,
                    operator,
                    at,
                    seq
                ])?;
            timeline(tx, seq, merchant_reference)?;
        }
        Event::CheckoutCreated {
            merchant_reference,
            hosted_checkout_id,
            redirect_url,
        } => {
            tx.prepare_cached("UPDATE checkouts SET hosted_checkout_id = ?2, redirect_url = ?3, state = 'in_progress',
                 updated_at = ?4, seq = ?5 WHERE merchant_reference = ?1")?.execute(params![merchant_reference, hosted_checkout_id, redirect_url, at, seq])?;
            timeline(tx, seq, merchant_reference)?;
        }
        Event::CheckoutFailed {
            merchant_reference,
            failure,
        } => {
            tx.prepare_cached(
                "UPDATE checkouts SET state = 'failed', failure = ?2, updated_at = ?3, seq = ?4
                 WHERE merchant_reference = ?1",
            )?
            .execute(params![merchant_reference, failure, at, seq])?;
            timeline(tx, seq, merchant_reference)?;
        }
        Event::CheckoutStatusSeen {
            hosted_checkout_id,
            state,
            platform_status,
        } => {
            tx.prepare_cached(
                "UPDATE checkouts SET state = ?2, platform_status = ?3, updated_at = ?4, seq = ?5
                 WHERE hosted_checkout_id = ?1",
            )?
            .execute(params![hosted_checkout_id, state, platform_status, at, seq])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::TenderSeen {
            hosted_checkout_id,
            payment_id,
            product_id,
            masked_number,
            amount_cents,
            captured_cents,
            status,
            status_code,
        } => {
            tx.prepare_cached("INSERT INTO tenders(payment_id, hosted_checkout_id, position, product_id, masked_number, amount_cents,
                 captured_cents, status, status_code, updated_at, seq)
                 VALUES (?1, ?2, (SELECT COUNT(*) + 1 FROM tenders WHERE hosted_checkout_id = ?2), ?3, ?4, ?5, ?6, ?7,
                 ?8, ?9, ?10)
                 ON CONFLICT(payment_id) DO UPDATE SET product_id = excluded.product_id,
                 masked_number = COALESCE(excluded.masked_number, masked_number), amount_cents = excluded.amount_cents,
                 captured_cents = excluded.captured_cents, status = excluded.status,
                 status_code = excluded.status_code, updated_at = excluded.updated_at, seq = excluded.seq")?.execute(params![
                    payment_id,
                    hosted_checkout_id,
                    product_id,
                    masked_number,
                    amount_cents,
                    captured_cents,
                    status,
                    status_code,
                    at,
                    seq
                ])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::RefundRequested {
            idempotence_key,
            number,
            payment_id,
            hosted_checkout_id,
            amount_cents,
            reason,
        } => {
            tx.prepare_cached("INSERT INTO refunds(idempotence_key, number, payment_id, hosted_checkout_id, amount_cents, reason,
                 state, external, operator, created_at, updated_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'requested', 0, ?7, ?8, ?8, ?9)")?.execute(params![
                    idempotence_key,
                    number,
                    payment_id,
                    hosted_checkout_id,
                    amount_cents,
                    reason,
                    operator,
                    at,
                    seq
                ])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::RefundAnswered {
            idempotence_key,
            refund_id,
            state,
            platform_status,
            failure,
        } => {
            let final_at = is_final_refund_state(state).then_some(at);
            // The state only moves forward: requested < unknown, pending < refunded, declined. Whatever snapshot
            // a writer held, a late answer cannot undo a later one, because this runs inside the writers' one
            // IMMEDIATE transaction. Leaving a final state takes an explicit `RefundCorrected`.
            tx.prepare_cached(
                "UPDATE refunds SET refund_id = COALESCE(?2, refund_id), state = ?3,
                 platform_status = COALESCE(?4, platform_status), failure = ?5, updated_at = ?6,
                 final_at = COALESCE(final_at, ?7), seq = ?8 WHERE idempotence_key = ?1 AND (
                   state = 'requested'
                   OR (state = 'unknown' AND ?3 != 'requested')
                   OR (state = 'pending' AND ?3 IN ('pending', 'refunded', 'declined'))
                   OR (state IN ('refunded', 'declined') AND state = ?3))",
            )?
            .execute(params![
                idempotence_key,
                refund_id,
                state,
                platform_status,
                failure,
                at,
                final_at,
                seq
            ])?;
            timeline_by_refund(tx, seq, idempotence_key)?;
        }
        Event::RefundCorrected {
            idempotence_key,
            refund_id,
            state,
            platform_status,
            note,
            ..
        } => {
            let final_at = is_final_refund_state(state).then_some(at);
            // Only towards what the platform shows (pending or refunded), and never out of `refunded`.
            tx.prepare_cached("UPDATE refunds SET refund_id = COALESCE(?2, refund_id), state = ?3,
                 platform_status = COALESCE(?4, platform_status), failure = ?5, updated_at = ?6,
                 final_at = ?7, seq = ?8
                 WHERE idempotence_key = ?1 AND ?3 IN ('pending', 'refunded') AND state != 'refunded'")?.execute(params![
                    idempotence_key,
                    refund_id,
                    state,
                    platform_status,
                    note,
                    at,
                    final_at,
                    seq
                ])?;
            timeline_by_refund(tx, seq, idempotence_key)?;
        }
        Event::RefundClosed {
            idempotence_key,
            reason,
        } => {
            // Only an intent without an answer can be closed.
            tx.prepare_cached(
                "UPDATE refunds SET state = 'declined', failure = ?2, updated_at = ?3,
                 final_at = COALESCE(final_at, ?3), seq = ?4
                 WHERE idempotence_key = ?1 AND state IN ('requested', 'unknown')",
            )?
            .execute(params![
                idempotence_key,
                format!("closed by the operator: {reason}"),
                at,
                seq
            ])?;
            timeline_by_refund(tx, seq, idempotence_key)?;
        }
        Event::RefundImported {
            idempotence_key,
            number,
            payment_id,
            hosted_checkout_id,
            refund_id,
            amount_cents,
            state,
            platform_status,
        } => {
            let final_at = is_final_refund_state(state).then_some(at);
            tx.prepare_cached("INSERT INTO refunds(idempotence_key, number, payment_id, hosted_checkout_id, refund_id, amount_cents,
                 reason, state, platform_status, external, operator, created_at, updated_at, final_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, 1, ?9, ?10, ?10, ?11, ?12)")?.execute(params![
                    idempotence_key,
                    number,
                    payment_id,
                    hosted_checkout_id,
                    refund_id,
                    amount_cents,
                    state,
                    platform_status,
                    operator,
                    at,
                    final_at,
                    seq
                ])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::ExportMade { .. } | Event::ReconcileDone { .. } | Event::SettingChanged { .. } => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
