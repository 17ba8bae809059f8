//! Writing the journal: each fact becomes the next numbered, hash-chained entry, and the derived tables follow in
//! the same transaction ([`super::projection::apply`]).

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::projection::apply;
use super::seal::{JournalKey, seal_tx};
use super::{Entry, Event, Ledger, Result, journal};

impl Ledger {
    /// Appends one fact and updates the derived tables, in one transaction. Returns the entry written.
    pub fn append(&self, operator: &str, event: &Event) -> Result<Entry> {
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let entry =
            append_tx(&tx, self.clock.now(), operator, event, self.key.as_deref()).map_err(&err)?;
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
        let now = self.clock.now();
        let mut out = Vec::with_capacity(events.len());
        for e in events {
            out.push(append_tx(&tx, now, operator, e, self.key.as_deref()).map_err(&err)?);
        }
        tx.commit().map_err(&err)?;
        Ok(out)
    }
}

pub(super) fn next_refund_number(tx: &Transaction<'_>) -> rusqlite::Result<i64> {
    tx.prepare_cached("SELECT COALESCE(MAX(number), 0) + 1 FROM refunds")?
        .query_row([], |r| r.get(0))
}

/// Writes one entry after the last one and applies it to the derived tables. Must run inside an IMMEDIATE
/// transaction so that the chain stays linear across processes.
pub(super) fn append_tx(
    tx: &Transaction<'_>,
    at: DateTime<Utc>,
    operator: &str,
    event: &Event,
    key: Option<&JournalKey>,
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
    if let Some(key) = key {
        seal_tx(tx, key, seq, &hash)?;
    }
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
