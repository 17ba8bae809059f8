//! Settings that are not secret (secrets go to [`crate::vault`]); each change is a journal entry.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::append::append_tx;
use super::{Event, Ledger, Result};

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

impl Ledger {
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
            self.clock.now(),
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
}
