//! The derived tables' rules: how each journal fact changes `checkouts`, `tenders`, `refunds` and `timeline`. Used
//! by every append and by the replay of `ledger verify`, so the two cannot disagree.

use rusqlite::{Transaction, params};

use super::Event;
use crate::domain::RefundState;

/// The refund moves [`RefundState::may_become`] allows, as SQL row values: `VALUES ('requested', 'pending'), …`.
pub(crate) fn forward_moves() -> &'static str {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let pairs: Vec<String> = RefundState::ALL
            .into_iter()
            .flat_map(|from| {
                RefundState::ALL
                    .into_iter()
                    .filter(move |to| from.may_become(*to))
                    .map(move |to| format!("('{}', '{}')", from.code(), to.code()))
            })
            .collect();
        format!("VALUES {}", pairs.join(", "))
    });
    &SQL
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

/// The derived tables' rules: how each fact changes them.
pub(super) fn apply(
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
            .execute(params![
                hosted_checkout_id,
                state.code(),
                platform_status,
                at,
                seq
            ])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::CheckoutAbandoned {
            hosted_checkout_id, ..
        } => {
            // The sale's story only: its state stays the platform's, so a payment that arrives anyway is seen.
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
        Event::ForeignTenderSeen {
            till,
            merchant_reference,
            hosted_checkout_id,
            sale_amount_cents,
            payment_id,
            product_id,
            masked_number,
            amount_cents,
            captured_cents,
            status,
        } => {
            // The sale as the centre showed it, once; its tenders as they were then. Its journal is the other
            // till's: nothing here ever polls it.
            tx.prepare_cached(
                "INSERT INTO checkouts(merchant_reference, hosted_checkout_id, amount_cents, currency, locale, state,
                 platform_status, operator, created_at, updated_at, seq, sold_at_till)
                 VALUES (?1, ?2, ?3, 'EUR', 'fr_FR', 'paid', 'FOREIGN', ?4, ?5, ?5, ?6, ?7)
                 ON CONFLICT(merchant_reference) DO NOTHING",
            )?
            .execute(params![
                merchant_reference,
                hosted_checkout_id,
                sale_amount_cents,
                operator,
                at,
                seq,
                till
            ])?;
            tx.prepare_cached("INSERT INTO tenders(payment_id, hosted_checkout_id, position, product_id, masked_number, amount_cents,
                 captured_cents, status, status_code, updated_at, seq)
                 VALUES (?1, ?2, (SELECT COUNT(*) + 1 FROM tenders WHERE hosted_checkout_id = ?2), ?3, ?4, ?5, ?6, ?7,
                 NULL, ?8, ?9)
                 ON CONFLICT(payment_id) DO UPDATE SET captured_cents = excluded.captured_cents,
                 status = excluded.status, updated_at = excluded.updated_at, seq = excluded.seq")?.execute(params![
                    payment_id,
                    hosted_checkout_id,
                    product_id,
                    masked_number,
                    amount_cents,
                    captured_cents,
                    status,
                    at,
                    seq
                ])?;
            timeline(tx, seq, merchant_reference)?;
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
            let final_at = state.is_final().then_some(at);
            // The state only moves forward: requested < unknown, pending < refunded, declined. Whatever snapshot
            // a writer held, a late answer cannot undo a later one, because this runs inside the writers' one
            // IMMEDIATE transaction. Leaving a final state takes an explicit `RefundCorrected`.
            tx.prepare_cached(&format!(
                "UPDATE refunds SET refund_id = COALESCE(?2, refund_id), state = ?3,
                 platform_status = COALESCE(?4, platform_status), failure = ?5, updated_at = ?6,
                 final_at = COALESCE(final_at, ?7), seq = ?8 WHERE idempotence_key = ?1 AND (state, ?3) IN ({})",
                forward_moves()
            ))?
            .execute(params![
                idempotence_key,
                refund_id,
                state.code(),
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
            let final_at = state.is_final().then_some(at);
            // Only towards what the platform shows (pending or refunded), and never out of `refunded`.
            tx.prepare_cached("UPDATE refunds SET refund_id = COALESCE(?2, refund_id), state = ?3,
                 platform_status = COALESCE(?4, platform_status), failure = ?5, updated_at = ?6,
                 final_at = ?7, seq = ?8
                 WHERE idempotence_key = ?1 AND ?3 IN ('pending', 'refunded') AND state != 'refunded'")?.execute(params![
                    idempotence_key,
                    refund_id,
                    state.code(),
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
            tx.prepare_cached(&format!(
                "UPDATE refunds SET state = 'declined', failure = ?2, updated_at = ?3,
                 final_at = COALESCE(final_at, ?3), closed_at = ?3, seq = ?4
                 WHERE idempotence_key = ?1 AND state IN ({})",
                super::refund_states_where(RefundState::awaits_answer)
            ))?
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
            let final_at = state.is_final().then_some(at);
            tx.prepare_cached("INSERT INTO refunds(idempotence_key, number, payment_id, hosted_checkout_id, refund_id, amount_cents,
                 reason, state, platform_status, external, operator, created_at, updated_at, final_at, seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8, 1, ?9, ?10, ?10, ?11, ?12)")?.execute(params![
                    idempotence_key,
                    number,
                    payment_id,
                    hosted_checkout_id,
                    refund_id,
                    amount_cents,
                    state.code(),
                    platform_status,
                    operator,
                    at,
                    final_at,
                    seq
                ])?;
            timeline_by_hosted(tx, seq, hosted_checkout_id)?;
        }
        Event::ExportMade { .. }
        | Event::ReconcileDone { .. }
        | Event::SettingChanged { .. }
        | Event::ManagerPin { .. }
        | Event::JournalKey { .. }
        | Event::ClosingMade { .. }
        | Event::TillIdentified { .. }
        | Event::JournalKeyRotated { .. }
        | Event::AppStarted { .. }
        | Event::AppStopped { .. }
        | Event::IntegrityChecked { .. }
        | Event::ArchiveMade { .. }
        | Event::CentralAcknowledged { .. }
        | Event::ReceiptPrinted { .. }
        | Event::BackupMade { .. } => {}
    }
    Ok(())
}
