//! Send claims: before a refund request leaves (first send, same-key re-send, or the reading that precedes an
//! operator's close), the process takes the refund's claim in one IMMEDIATE transaction; it gives it back when the
//! answer is recorded. While a live claim exists no other process sends that refund or closes it. A claim ends by
//! its release, at its `until` time, or when its holder is known dead (the caller's `is_dead` decides). Claims are
//! not facts: they are not journaled, and losing them loses nothing but the wait.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, TransactionBehavior, params};

use super::append::append_tx;
use super::journal::format_time;
use super::queries::{refund_state, time};
use super::{Event, Ledger, LedgerError, Result};
use crate::domain::{IdempotenceKey, RefundState};

/// What asking for a refund's send claim gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The claim is ours until the time given.
    Taken,
    /// Another live holder has it.
    Busy {
        /// Who holds it.
        holder: String,
        /// When its claim ends at the latest.
        until: DateTime<Utc>,
    },
    /// The refund no longer waits for an answer (answered, or closed): nothing to send.
    Settled(RefundState),
}

impl Ledger {
    /// Takes the send claim of the refund with this key for `holder` until `until`, unless a live claim by someone
    /// else holds it or the refund no longer waits for an answer. A claim past its time, or whose holder
    /// `is_dead`, is taken over.
    pub fn claim_send(
        &self,
        idempotence_key: &str,
        holder: &str,
        until: DateTime<Utc>,
        is_dead: &dyn Fn(&str) -> bool,
    ) -> Result<Claim> {
        let now = self.clock.now();
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let state = tx
            .query_row(
                "SELECT state FROM refunds WHERE idempotence_key = ?1",
                [idempotence_key],
                |r| refund_state(r, 0),
            )
            .optional()
            .map_err(&err)?
            .ok_or_else(|| {
                LedgerError::Decode(format!("refund {idempotence_key} is not in the ledger"))
            })?;
        if !state.awaits_answer() {
            return Ok(Claim::Settled(state));
        }
        let current: Option<(String, DateTime<Utc>)> = tx
            .query_row(
                "SELECT holder, until FROM refund_sends WHERE idempotence_key = ?1",
                [idempotence_key],
                |r| Ok((r.get(0)?, time(&r.get::<_, String>(1)?)?)),
            )
            .optional()
            .map_err(&err)?;
        if let Some((other, other_until)) = current
            && other != holder
            && other_until > now
            && !is_dead(&other)
        {
            return Ok(Claim::Busy {
                holder: other,
                until: other_until,
            });
        }
        tx.execute(
            "INSERT INTO refund_sends(idempotence_key, holder, until) VALUES (?1, ?2, ?3)
             ON CONFLICT(idempotence_key) DO UPDATE SET holder = excluded.holder, until = excluded.until",
            params![idempotence_key, holder, format_time(until)],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(Claim::Taken)
    }

    /// Gives the claim back, if `holder` still has it.
    pub fn release_send(&self, idempotence_key: &str, holder: &str) -> Result<()> {
        let conn = self.lock();
        conn.execute(
            "DELETE FROM refund_sends WHERE idempotence_key = ?1 AND holder = ?2",
            params![idempotence_key, holder],
        )
        .map_err(self.err())?;
        Ok(())
    }

    /// Closes a refund whose claim `holder` has: journals the closing and gives the claim back in one
    /// transaction. Refused (nothing written) if the claim was lost meanwhile or the refund was answered.
    pub fn close_claimed(
        &self,
        operator: &str,
        idempotence_key: &IdempotenceKey,
        holder: &str,
        reason: &str,
    ) -> Result<bool> {
        let now = self.clock.now();
        let mut conn = self.lock();
        let err = self.err();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&err)?;
        let ours: Option<DateTime<Utc>> = tx
            .query_row(
                "SELECT until FROM refund_sends WHERE idempotence_key = ?1 AND holder = ?2",
                params![idempotence_key, holder],
                |r| time(&r.get::<_, String>(0)?),
            )
            .optional()
            .map_err(&err)?;
        let open: bool = tx
            .query_row(
                &format!(
                    "SELECT EXISTS(SELECT 1 FROM refunds WHERE idempotence_key = ?1 AND state IN ({}))",
                    super::refund_states_where(RefundState::awaits_answer)
                ),
                [idempotence_key],
                |r| r.get(0),
            )
            .map_err(&err)?;
        let live = ours.is_some_and(|until| until > now);
        if !live || !open {
            return Ok(false);
        }
        append_tx(
            &tx,
            now,
            operator,
            &Event::RefundClosed {
                idempotence_key: idempotence_key.clone(),
                reason: reason.to_string(),
            },
            self.key.as_deref(),
        )
        .map_err(&err)?;
        tx.execute(
            "DELETE FROM refund_sends WHERE idempotence_key = ?1",
            [idempotence_key],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(true)
    }

    /// Our refunds an operator closed at or after `since` and that the platform has not shown since: a request
    /// that timed out can still be carried out late, so the till keeps reading them.
    pub fn closed_refunds_since(&self, since: DateTime<Utc>) -> Result<Vec<super::RefundRecord>> {
        let conn = self.lock();
        let err = self.err();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {cols} FROM refunds r WHERE r.state = 'declined' AND r.closed_at >= ?1
                 ORDER BY r.number",
                cols = super::queries::REFUND_COLUMNS
            ))
            .map_err(&err)?;
        let rows = stmt
            .query_map([format_time(since)], super::queries::refund_from_row)
            .map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>()
            .map_err(&err)
    }
}
