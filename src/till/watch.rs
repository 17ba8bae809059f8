//! Reading a checkout again from the platform: its tenders, its state, its refunds; and what is due next.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::domain::state::{self as states, TenderFacts};
use crate::domain::{HostedCheckoutId, IdempotenceKey, PaymentId, RefundState};
use crate::ledger::{Event, RefundRecord};

use super::gateway::{self, GatewayError, OperationReading};
use super::refund_answer::{answer_event, correction_event, unclaimed, with_note};
use super::views::CheckoutView;
use super::{Result, Till, TillError, logic};

/// A watcher's reading leaves a refund without an answer alone for this long after its last change.
const SETTLE_AFTER_SECS: i64 = 30;

/// How long a refund closed by an operator is still read on the platform: the platform keeps an idempotence key
/// for at least 24 h, and a request that timed out is carried out within that time or never.
pub(super) const CLOSED_WATCH: Duration = Duration::hours(25);

/// When a checkout was last read, and how many readings in a row failed.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct PollState {
    pub(super) last: Option<DateTime<Utc>>,
    pub(super) failures: u32,
}

/// What one reading of a checkout changed (for reconciliation).
#[derive(Debug, Default)]
pub(super) struct RefreshOutcome {
    pub(super) imported: u64,
    pub(super) updated: u64,
    pub(super) payments: u64,
    pub(super) differences: Vec<String>,
}

impl Till {
    /// Reads the checkout again from the platform (GetHostedCheckout, GetPaymentDetails, each tender's
    /// GetPayment), records what changed, settles refunds still waiting for an answer, and returns the view.
    pub async fn refresh(&self, hosted_checkout_id: &str) -> Result<CheckoutView> {
        let id = HostedCheckoutId::parse(hosted_checkout_id).map_err(TillError::InvalidId)?;
        // A sale of another till, taken in to be refunded here: its payments are that till's to read and journal
        // (read here, they would count as this till's takings). It is shown as the centre gave it.
        if self
            .ledger()
            .sold_at_till(hosted_checkout_id)
            .map_err(TillError::from_ledger)?
            .is_some()
        {
            return self
                .checkout(hosted_checkout_id)?
                .ok_or_else(|| TillError::UnknownCheckout(hosted_checkout_id.to_string()));
        }
        let started = self.now();
        self.note_reading_started(hosted_checkout_id, started);
        let result = self.refresh_inner(&id, started).await;
        self.note_poll(hosted_checkout_id, started, result.as_ref().err());
        result?;
        self.checkout(hosted_checkout_id)?
            .ok_or_else(|| TillError::UnknownCheckout(hosted_checkout_id.to_string()))
    }

    /// Records that a reading of `id` starts at `started`: from now on it is not due until its next turn on the
    /// schedule, which counts from the start of a reading, not its end, so a slow answer does not push every later
    /// reading back.
    pub fn note_reading_started(&self, id: &str, started: DateTime<Utc>) {
        let mut polls = self.core.polls.lock().unwrap_or_else(|p| p.into_inner());
        let st = polls.entry(id.to_string()).or_default();
        if st.last.is_none_or(|l| l < started) {
            st.last = Some(started);
        }
    }

    /// Records how a reading that started at `started` ended (consecutive failures back the schedule off).
    fn note_poll(&self, id: &str, started: DateTime<Utc>, error: Option<&TillError>) {
        let mut polls = self.core.polls.lock().unwrap_or_else(|p| p.into_inner());
        let st = polls.entry(id.to_string()).or_default();
        if st.last.is_none_or(|l| l < started) {
            st.last = Some(started);
        }
        st.failures = match error {
            Some(TillError::Unreachable(_) | TillError::Unreadable(_)) => {
                st.failures.saturating_add(1)
            }
            _ => 0,
        };
    }

    pub(super) async fn refresh_inner(
        &self,
        id: &HostedCheckoutId,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome> {
        let ledger = self.ledger();
        let gw = &self.core.gateway;
        let Some(record) = ledger.checkout(id).map_err(TillError::from_ledger)? else {
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
        let known_tenders = ledger.tenders(id).map_err(TillError::from_ledger)?;
        // Which payments to read: the first one the hosted checkout names, and every tender in its operations.
        let mut tender_ids: Vec<PaymentId> = Vec::new();
        let mut readings: HashMap<PaymentId, gateway::PaymentReading> = HashMap::new();
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
                if op.is_refund() {
                    refund_ops.push(op);
                    continue;
                }
                let tender = PaymentId::parse(&op.id).map_err(|e| {
                    TillError::from_gateway(GatewayError::Unreadable {
                        message: format!("an operation of checkout {id}: {e}"),
                    })
                })?;
                if !tender_ids.contains(&tender) {
                    tender_ids.push(tender);
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
            let captured = reading.captured();
            let status = reading.status.as_str().to_string();
            facts.push(TenderFacts {
                status: status.clone(),
                captured,
            });
            let known = known_tenders.iter().find(|t| &t.payment_id == tid);
            let changed = match known {
                None => true,
                Some(k) => {
                    k.status != status
                        || k.captured != captured
                        || k.amount != reading.amount
                        || (reading.masked_number.is_some()
                            && k.masked_number != reading.masked_number)
                }
            };
            if let Some(k) = known
                && k.captured != captured
            {
                out.differences.push(format!(
                    "payment {tid}: captured {} in the ledger, {} on the platform",
                    k.captured, captured
                ));
            }
            if changed {
                events.push(Event::TenderSeen {
                    hosted_checkout_id: id.clone(),
                    payment_id: tid.clone(),
                    product_id: reading
                        .product_id
                        .or(known.map(|k| k.product_id))
                        .unwrap_or(0),
                    masked_number: reading.masked_number.clone(),
                    amount_cents: reading.amount.cents(),
                    captured_cents: captured.cents(),
                    status,
                    status_code: reading.status_code,
                });
            }
        }
        let state = states::derive_checkout_state(
            hosted.as_ref().map(|h| h.status.as_str()),
            &facts,
            record.amount,
            record.created_at,
            self.core.session_timeout,
            now,
        );
        let platform_status = hosted
            .as_ref()
            .map(|h| h.status.as_str().to_string())
            .unwrap_or_else(|| record.platform_status.clone().unwrap_or_default());
        // A stale reading never undoes a final state (a late answer must not overwrite a good one).
        // A checkout whose creation failed is never read again; any other final state is kept.
        let regress = record.state.is_final() && !state.is_final() && record.failure.is_none();
        if !regress
            && (record.state != state
                || record.platform_status.as_deref() != Some(&platform_status))
        {
            events.push(Event::CheckoutStatusSeen {
                hosted_checkout_id: id.clone(),
                state,
                platform_status,
            });
        }
        ledger
            .append_all(self.operator(), &events)
            .map_err(TillError::from_ledger)?;

        // Refunds: update ours, settle the ones without an answer, import the ones made elsewhere.
        let known_refunds = ledger
            .refunds_of_checkout(id)
            .map_err(TillError::from_ledger)?;
        let mut answered: HashSet<IdempotenceKey> = HashSet::new();
        let mut answers = Vec::new();
        let mut unmatched = Vec::new();
        for op in &refund_ops {
            let reading = op.as_refund();
            // Our operation reference names the refund first; the id only when the platform echoes no reference
            // (an id may be in the ledger twice over, from two platforms: see `unclaimed`).
            let mine = known_refunds
                .iter()
                .find(|r| {
                    op.merchant_reference.is_some()
                        && op.merchant_reference.as_deref() == Some(r.idempotence_key.as_str())
                })
                .or_else(|| {
                    known_refunds
                        .iter()
                        .find(|r| r.refund_id.as_deref() == Some(op.id.as_str()))
                });
            match mine {
                Some(r) => {
                    answered.insert(r.idempotence_key.clone());
                    let (reading, taken) = unclaimed(r, &reading, &known_refunds);
                    if let Some(note) = &taken {
                        out.differences.push(note.clone());
                    }
                    if let Some(e) = correction_event(r, &reading) {
                        out.updated += 1;
                        out.differences.push(format!(
                            "refund n°{} was recorded as {} but the platform shows it {} ({}): corrected",
                            r.number, r.state, reading.status_word(), op.id
                        ));
                        answers.push(with_note(e, taken));
                    } else if let Some(e) = answer_event(r, &reading) {
                        if r.state == RefundState::Unknown {
                            out.differences.push(format!(
                                "refund n°{} had no known outcome; the platform shows it {} ({})",
                                r.number,
                                reading.status_word(),
                                op.id
                            ));
                        }
                        out.updated += 1;
                        answers.push(with_note(e, taken));
                    }
                }
                None => unmatched.push(reading),
            }
        }
        ledger
            .append_all(self.operator(), &answers)
            .map_err(TillError::from_ledger)?;
        // A refund asked moments ago is most likely still being sent by whoever asked it; it is settled by them, or
        // by a later reading.
        let settle_after = self.now() - Duration::seconds(SETTLE_AFTER_SECS);
        for r in known_refunds.iter().filter(|r| {
            r.state.awaits_answer()
                && !answered.contains(&r.idempotence_key)
                && r.updated_at < settle_after
        }) {
            if let Err(e) = self.settle_refund(r, false).await {
                tracing::warn!(number = r.number, error = %e, "refund still unsettled");
            }
        }
        // Whatever is still unmatched after settling was made elsewhere, unless a refund on that tender is still
        // unsettled (its answer may be the one seen here).
        let after = ledger
            .refunds_of_checkout(id)
            .map_err(TillError::from_ledger)?;
        for reading in unmatched {
            let Some(refund_id) = reading.id.clone() else {
                out.differences.push(format!(
                    "a refund of checkout {id} was listed by the platform without a usable id: not imported"
                ));
                continue;
            };
            if after
                .iter()
                .any(|r| r.refund_id.as_ref() == Some(&refund_id))
            {
                continue;
            }
            let tender = match PaymentId::tender_of_operation(&refund_id) {
                Ok(t) => t,
                Err(e) => {
                    out.differences
                        .push(format!("refund {refund_id}: {e}: not imported"));
                    continue;
                }
            };
            if after
                .iter()
                .any(|r| r.payment_id == tender && r.state.awaits_answer())
            {
                continue;
            }
            let state = reading.state();
            // A refund whose amount the platform did not give cannot be imported: it is reported, never recorded
            // as zero.
            let Some(amount) = reading.amount else {
                tracing::error!(%refund_id, "a refund made elsewhere has no amount: not imported");
                out.differences.push(format!(
                    "refund {refund_id} on payment {tender} was made outside cadodesk, but the platform gave no amount: not imported"
                ));
                continue;
            };
            match ledger.import_external_refund(
                self.operator(),
                &tender,
                &refund_id,
                amount,
                state,
                reading.status_word(),
            ) {
                Ok(true) => {
                    out.imported += 1;
                    out.differences.push(format!(
                        "refund {refund_id} of {amount} on payment {tender} was made outside cadodesk: imported"
                    ));
                }
                Ok(false) => {}
                Err(e) => out
                    .differences
                    .push(format!("refund {refund_id} could not be imported: {e}")),
            }
        }
        // Pending refunds the operations did not show: ask the tender's refund list.
        let still_pending: Vec<RefundRecord> = ledger
            .refunds_of_checkout(id)
            .map_err(TillError::from_ledger)?
            .into_iter()
            .filter(|r| r.state == RefundState::Pending && r.refund_id.is_some())
            .filter(|r| {
                !refund_ops
                    .iter()
                    .any(|op| r.refund_id.as_deref() == Some(op.id.as_str()))
            })
            .collect();
        let mut by_tender: HashMap<PaymentId, Vec<RefundRecord>> = HashMap::new();
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
                if let Some(reading) = list.iter().find(|x| x.id.is_some() && x.id == r.refund_id) {
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
                .append_all(self.operator(), &evs)
                .map_err(TillError::from_ledger)?;
        }
        // What still differs once everything above is recorded: amounts, states, totals.
        let platform: Vec<_> = refund_ops.iter().map(OperationReading::as_refund).collect();
        let refunds = ledger
            .refunds_of_checkout(id)
            .map_err(TillError::from_ledger)?;
        let tenders = ledger.tenders(id).map_err(TillError::from_ledger)?;
        out.differences
            .extend(super::compare::differences(&refunds, &tenders, &platform));
        Ok(out)
    }

    /// Unfinished checkouts (and checkouts with unfinished refunds) with the time of their next reading, soonest
    /// first, for the watcher (which starts those due now). A checkout whose reading has started is due only
    /// at its next turn on the schedule.
    pub fn pending_work(&self) -> Vec<(HostedCheckoutId, DateTime<Utc>)> {
        let ledger = self.ledger();
        let mut items: HashMap<HostedCheckoutId, DateTime<Utc>> = HashMap::new();
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
        // A closed refund is read for a day after its closing: its request may still be carried out late.
        match ledger.closed_refunds_since(self.now() - CLOSED_WATCH) {
            Ok(rs) => {
                for r in rs {
                    let e = items.entry(r.hosted_checkout_id).or_insert(r.updated_at);
                    if r.updated_at > *e {
                        *e = r.updated_at;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list closed refunds"),
        }
        let polls = self.core.polls.lock().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<(HostedCheckoutId, DateTime<Utc>)> = items
            .into_iter()
            .filter_map(|(id, since)| {
                let st = polls.get(id.as_str()).copied().unwrap_or_default();
                // A reading counts once the work exists (a refund asked after it needs a reading of its own).
                let last = st.last.filter(|l| *l >= since);
                logic::next_poll_at(since, last, self.core.session_timeout, st.failures)
                    .map(|t| (id, t))
            })
            .collect();
        drop(polls);
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}
