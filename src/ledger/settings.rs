//! Settings that are not secret (secrets go to [`crate::vault`]); each change is a journal entry, and what the till
//! reads is checked against the journal: a setting changed, added or removed behind the till's back (in the SQLite
//! file) is refused where it is read and named by `ledger verify`. A hidden setting (the manager PIN's hash) is
//! journaled as the SHA-256 of its value, never the value.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use super::append::append_tx;
use super::{ChainBreak, Event, Ledger, LedgerError, PinOutcome, Result};

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
    /// Refunds above this amount (cents) on one sale need the manager PIN; [`NO_THRESHOLD`] for none.
    pub const PIN_THRESHOLD_CENTS: &str = "pin_threshold_cents";
    /// The value of [`PIN_THRESHOLD_CENTS`] when no amount needs the PIN (only "always", if set).
    pub const NO_THRESHOLD: &str = "none";
    /// `true` when every refund needs the manager PIN.
    pub const REQUIRE_PIN_FOR_ALL: &str = "require_pin_for_all";
    /// The first month of the fiscal year (1–12; January when unset).
    pub const FISCAL_YEAR_START_MONTH: &str = "fiscal_year_start_month";
    /// `keychain` when the till's central URL is kept in the OS keychain (`cadodesk central connect`).
    pub const CENTRAL_URL_HOME: &str = "central_url_home";
    /// The receipt printer: `tcp://HOST:PORT`, `usb:PATH` or `serial:PATH` (none: receipts go to files).
    pub const RECEIPT_PRINTER: &str = "receipt_printer";
    /// The screen's theme: `system` (the default), `light` or `dark`.
    pub const THEME: &str = "theme";
    /// The screen's text size in percent: `100` (the default), `125` or `150`.
    pub const TEXT_SIZE: &str = "text_size";
    /// Settings whose value is not copied into the journal.
    pub const HIDDEN_IN_JOURNAL: &[&str] = &[MANAGER_PIN_HASH];
}

/// The SHA-256 of a hidden setting's value, hex: what its journal entry holds.
pub fn fingerprint(value: &str) -> String {
    super::journal::hex(&Sha256::digest(value.as_bytes()))
}

/// What the journal says one setting holds: its last change's entry number and value (or fingerprint).
struct Journaled {
    seq: i64,
    value: Option<String>,
    fingerprint: Option<String>,
}

/// The last journaled change of every setting. Each entry read is checked against its own hash and the next
/// entry's link to it, so an entry edited in the file is refused here (`Err(seq, key)`), not trusted: rewriting it
/// and the chain after it breaks the last entry's seal, which the till checks when it opens the ledger.
fn journaled(
    conn: &Connection,
) -> rusqlite::Result<Result<BTreeMap<String, Journaled>, (i64, String)>> {
    let mut out = BTreeMap::new();
    let entries = match super::journal::entries_of_kind(conn, "setting_changed")? {
        Ok(e) => e,
        Err((seq, payload)) => {
            let key = match serde_json::from_str(&payload) {
                Ok(Event::SettingChanged { key, .. }) => key,
                _ => String::new(),
            };
            return Ok(Err((seq, key)));
        }
    };
    for (seq, payload) in entries {
        let parsed = serde_json::from_str(&payload);
        if let Ok(Event::SettingChanged {
            key,
            value,
            fingerprint,
        }) = parsed
        {
            out.insert(
                key,
                Journaled {
                    seq,
                    value,
                    fingerprint,
                },
            );
        }
    }
    Ok(Ok(out))
}

/// The stored settings checked against the journal: the first one that differs, as a [`ChainBreak`], or all of them.
pub(super) fn checked(
    conn: &Connection,
) -> rusqlite::Result<std::result::Result<BTreeMap<String, String>, ChainBreak>> {
    let journal = match journaled(conn)? {
        Ok(j) => j,
        Err((seq, _)) => return Ok(Err(ChainBreak::Edited { seq })),
    };
    let mut stored = BTreeMap::new();
    {
        let mut stmt = conn.prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            stored.insert(r.get::<_, String>(0)?, r.get::<_, String>(1)?);
        }
    }
    let differs =
        |key: &str, seq: i64, found: String, expected: String| ChainBreak::DerivedMismatch {
            table: "settings",
            key: key.to_string(),
            column: "value".into(),
            seq,
            found,
            expected,
        };
    let shown = |v: Option<&String>| v.map_or_else(|| "no value".to_string(), |v| format!("'{v}'"));
    let mut keys: Vec<&String> = stored.keys().chain(journal.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let found = stored.get(key);
        let j = journal.get(key);
        let hidden = keys::HIDDEN_IN_JOURNAL.contains(&key.as_str());
        let ok = match (found, j) {
            (None, None) => true,
            (Some(_), None) => false,
            (found, Some(j)) if hidden => match (found, &j.fingerprint) {
                (None, None) => j.value.is_none(),
                (Some(v), Some(f)) => fingerprint(v) == *f,
                _ => false,
            },
            (found, Some(j)) => found == j.value.as_ref(),
        };
        if !ok {
            let seq = j.map_or(0, |j| j.seq);
            let (found, expected) = if hidden {
                (
                    found.map_or("no value", |_| "a value").to_string(),
                    match j.and_then(|j| j.fingerprint.as_ref()) {
                        Some(f) => format!("the value whose SHA-256 is {f}"),
                        None => "no value".to_string(),
                    },
                )
            } else {
                (shown(found), shown(j.and_then(|j| j.value.as_ref())))
            };
            return Ok(Err(differs(key, seq, found, expected)));
        }
    }
    Ok(Ok(stored))
}

impl Ledger {
    /// Reads a setting, checked against the journal (see [`Ledger::settings_checked`]).
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self.settings_checked()?.remove(key))
    }

    /// Every setting, checked against the journal: a setting whose stored value is not the one its last journal
    /// entry gave (or that no entry gave) is refused with [`LedgerError::SettingAltered`], so the till never
    /// enforces a rule the journal does not hold.
    pub fn settings_checked(&self) -> Result<BTreeMap<String, String>> {
        let conn = self.lock();
        match checked(&conn).map_err(self.err())? {
            Ok(map) => Ok(map),
            Err(ChainBreak::DerivedMismatch { key, seq, .. }) => {
                Err(LedgerError::SettingAltered { key, seq })
            }
            Err(other) => Err(LedgerError::SettingAltered {
                key: "(a settings entry of the journal)".into(),
                seq: other.seq(),
            }),
        }
    }

    /// Writes (or with `None` removes) a setting, and journals the change. Secrets must never be passed here.
    pub fn set_setting(&self, operator: &str, key: &str, value: Option<&str>) -> Result<()> {
        self.set_settings(operator, &[(key, value.map(str::to_string))])
    }

    /// Writes (or with `None` removes) several settings, journaling each change, all in one transaction. The
    /// stored settings are checked against the journal first: a setting changed in the file is refused, never
    /// silently overwritten. A hidden setting's change is journaled as its fingerprint.
    pub fn set_settings(&self, operator: &str, changes: &[(&str, Option<String>)]) -> Result<()> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let stored = match checked(&tx).map_err(&err)? {
            Ok(map) => map,
            Err(ChainBreak::DerivedMismatch { key, seq, .. }) => {
                return Err(LedgerError::SettingAltered { key, seq });
            }
            Err(other) => {
                return Err(LedgerError::SettingAltered {
                    key: "(a settings entry of the journal)".into(),
                    seq: other.seq(),
                });
            }
        };
        let now = self.clock.now();
        for (key, value) in changes {
            if stored.get(*key) == value.as_ref() {
                continue;
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
            let hidden = keys::HIDDEN_IN_JOURNAL.contains(key);
            let (shown, print) = match value {
                Some(v) if hidden => (None, Some(fingerprint(v))),
                other => (other.clone(), None),
            };
            append_tx(
                &tx,
                now,
                operator,
                &Event::SettingChanged {
                    key: (*key).to_string(),
                    value: shown,
                    fingerprint: print,
                },
                self.key.as_deref(),
            )
            .map_err(&err)?;
        }
        tx.commit().map_err(&err)?;
        Ok(())
    }

    /// The last `limit` manager PINs given (right or wrong; not the ones missing or refused for the lock), oldest
    /// first: when, and whether the PIN was right.
    pub fn pin_attempts(&self, limit: usize) -> Result<Vec<(DateTime<Utc>, bool)>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare_cached(
                "SELECT at, payload FROM journal WHERE kind = 'manager_pin' ORDER BY seq DESC LIMIT ?1",
            )
            .map_err(&err)?;
        let mut rows = stmt.query([limit as i64]).map_err(&err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&err)? {
            let at: String = r.get(0).map_err(&err)?;
            let payload: String = r.get(1).map_err(&err)?;
            let accepted = match serde_json::from_str(&payload) {
                Ok(Event::ManagerPin {
                    outcome: PinOutcome::Accepted,
                    ..
                }) => true,
                Ok(Event::ManagerPin {
                    outcome: PinOutcome::Wrong,
                    ..
                }) => false,
                _ => continue,
            };
            out.push((super::queries::time(&at).map_err(&err)?, accepted));
        }
        out.reverse();
        Ok(out)
    }
}
