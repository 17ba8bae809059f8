//! What closings read and write: the journal streamed entry by entry, the closings already made, and a closing
//! appended only if nothing was written since its totals were computed.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::append::append_tx;
use super::queries::time;
use super::{Entry, Event, Ledger, LedgerError, Result};
use crate::domain::closing::Closing;

/// Who a till is (see [`Event::TillIdentified`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TillIdentity {
    /// `T01`.
    pub code: String,
    /// Its UUID.
    pub uuid: String,
    /// The shop's name.
    pub shop: Option<String>,
    /// The shop's address.
    pub address: Option<String>,
}

/// The entries that move or may move money: a day holding one of them is closed.
const MONEY_KINDS: [&str; 11] = [
    "checkout_requested",
    "checkout_created",
    "checkout_failed",
    "checkout_abandoned",
    "checkout_status_seen",
    "tender_seen",
    "refund_requested",
    "refund_answered",
    "refund_imported",
    "refund_corrected",
    "refund_closed",
];

impl Ledger {
    /// The last entry: its number and chain hash.
    pub fn head(&self) -> Result<Option<(i64, String)>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(self.err())
    }

    /// Calls `f` with every entry from number 1 to `to_seq`, in order, one at a time (constant memory).
    pub fn for_each_entry(
        &self,
        to_seq: i64,
        mut f: impl FnMut(i64, DateTime<Utc>, &Event),
    ) -> Result<()> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare("SELECT seq, at, payload FROM journal WHERE seq <= ?1 ORDER BY seq")
            .map_err(&err)?;
        let mut rows = stmt.query([to_seq]).map_err(&err)?;
        while let Some(r) = rows.next().map_err(&err)? {
            let seq: i64 = r.get(0).map_err(&err)?;
            let at: String = r.get(1).map_err(&err)?;
            let payload: String = r.get(2).map_err(&err)?;
            let event: Event = serde_json::from_str(&payload)
                .map_err(|e| LedgerError::Decode(format!("entry {seq}: {e}")))?;
            f(seq, time(&at).map_err(&err)?, &event);
        }
        Ok(())
    }

    /// Appends `event` only if the journal's last entry is still `expected_head` (0 for an empty journal), in one
    /// immediate transaction: `None` when another writer got there first (the caller computes again).
    pub fn append_at_head(
        &self,
        operator: &str,
        event: &Event,
        expected_head: i64,
    ) -> Result<Option<Entry>> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let head: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| {
                r.get(0)
            })
            .map_err(&err)?;
        if head != expected_head {
            return Ok(None);
        }
        let entry =
            append_tx(&tx, self.clock.now(), operator, event, self.key.as_deref()).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Some(entry))
    }

    /// Every closing made, in journal order, with its entry's number.
    pub fn closings(&self) -> Result<Vec<(i64, Closing)>> {
        let conn = self.lock();
        let entries = super::journal::entries_of_kind(&conn, "closing_made").map_err(self.err())?;
        // A closing edited in the file would carry its forged totals into the next one: refused here.
        let entries = entries.map_err(|(seq, _)| LedgerError::ClosingAltered { seq })?;
        let mut out = Vec::with_capacity(entries.len());
        for (seq, payload) in entries {
            match serde_json::from_str(&payload) {
                Ok(Event::ClosingMade { closing }) => out.push((seq, closing)),
                _ => return Err(LedgerError::Decode(format!("entry {seq}: not a closing"))),
            }
        }
        Ok(out)
    }

    /// The time of the last entry after `seq` that moved or may move money (a checkout, a tender, a refund), if any:
    /// a day with such entries and no closing is closed at the next start.
    pub fn last_money_entry_after(&self, seq: i64) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let err = self.err();
        // One index lookup per kind (journal_kind is on (kind, seq)): no scan, however long the journal.
        let mut last: Option<i64> = None;
        for kind in MONEY_KINDS {
            let s: Option<i64> = conn
                .prepare_cached("SELECT MAX(seq) FROM journal WHERE kind = ?1")
                .and_then(|mut st| st.query_row([kind], |r| r.get(0)))
                .map_err(&err)?;
            last = last.max(s);
        }
        let Some(last) = last.filter(|l| *l > seq) else {
            return Ok(None);
        };
        let at: Option<String> = conn
            .query_row("SELECT at FROM journal WHERE seq = ?1", [last], |r| {
                r.get(0)
            })
            .optional()
            .map_err(&err)?;
        at.map(|a| time(&a).map_err(&err)).transpose()
    }

    /// The till's identity as the journal last gave it: (code, uuid, shop, address).
    pub fn till_identity(&self) -> Result<Option<TillIdentity>> {
        let conn = self.lock();
        let err = self.err();
        let payload: Option<String> = conn
            .query_row(
                "SELECT payload FROM journal WHERE kind = 'till_identified' ORDER BY seq DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&err)?;
        Ok(payload.and_then(|p| match serde_json::from_str(&p) {
            Ok(Event::TillIdentified {
                code,
                uuid,
                shop,
                address,
            }) => Some(TillIdentity {
                code,
                uuid,
                shop,
                address,
            }),
            _ => None,
        }))
    }

    /// The time of the first entry after `seq` that moved or may move money, if any.
    pub fn first_money_entry_after(&self, seq: i64) -> Result<Option<DateTime<Utc>>> {
        let conn = self.lock();
        let err = self.err();
        let mut first: Option<i64> = None;
        for kind in MONEY_KINDS {
            let s: Option<i64> = conn
                .prepare_cached("SELECT MIN(seq) FROM journal WHERE kind = ?1 AND seq > ?2")
                .and_then(|mut st| st.query_row(params![kind, seq], |r| r.get(0)))
                .map_err(&err)?;
            first = match (first, s) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let Some(first) = first else {
            return Ok(None);
        };
        let at: Option<String> = conn
            .query_row("SELECT at FROM journal WHERE seq = ?1", [first], |r| {
                r.get(0)
            })
            .optional()
            .map_err(&err)?;
        at.map(|a| time(&a).map_err(&err)).transpose()
    }

    /// The last entry written before `at` (entries are in time order: the search stops at the first one from the
    /// end).
    pub fn last_seq_before(&self, at: DateTime<Utc>) -> Result<Option<i64>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT seq FROM journal WHERE at < ?1 ORDER BY seq DESC LIMIT 1",
            [super::journal::format_time(at)],
            |r| r.get(0),
        )
        .optional()
        .map_err(self.err())
    }

    /// The chain hash of entry `seq`.
    pub fn hash_of(&self, seq: i64) -> Result<Option<String>> {
        let conn = self.lock();
        conn.query_row("SELECT hash FROM journal WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .optional()
        .map_err(self.err())
    }

    /// The seal of entry `seq`: the key's id and the signature (hex), when it has one.
    pub fn seal_of(&self, seq: i64) -> Result<Option<(String, String)>> {
        let conn = self.lock();
        conn.query_row(
            "SELECT key_id, signature FROM journal_seals WHERE seq = ?1",
            params![seq],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(self.err())
    }
}
