//! Refunds: the split of an order amount, the intent and its guard, the request with its idempotence key, the
//! answer (or the lack of one) settled by the same key or by reading the platform, and the operator's close.

use std::collections::HashSet;

use chrono::Duration;

use crate::domain::{Amount, AmountError, RefundId, RefundState};
use crate::ledger::{Claim, Event, RefundRecord};

use super::gateway::{GatewayError, RefundReading};
use super::logic::{self, AllocationError};
use super::manager::{Pin, PinRule};
use super::pin::RefundApproval;
use super::refund_answer::{answer_event, correction_event, unclaimed, with_note};
use super::sender;
use super::views::{self, RefundCommand, RefundView};
use super::{PinAction, Result, Till, TillError};

/// Idempotence keys are kept by the platform for at least 24 h; past this age a refund is only read, never re-sent.
const RESEND_WINDOW: Duration = Duration::hours(23);

impl Till {
    /// The default split of an order-level refund across the checkout's tenders (see [`logic::allocate`]: the card
    /// remainder first, then gift cards from the last paid to the first). The caller may change any line before
    /// sending one [`RefundCommand`] per tender.
    pub fn allocate(
        &self,
        hosted_checkout_id: &str,
        amount: Amount,
    ) -> Result<Vec<(String, Amount)>> {
        self.allocate_with(hosted_checkout_id, amount, &[])
    }

    /// Like [`Till::allocate`], with some tenders' amounts fixed by the caller.
    pub fn allocate_with(
        &self,
        hosted_checkout_id: &str,
        amount: Amount,
        overrides: &[(String, Amount)],
    ) -> Result<Vec<(String, Amount)>> {
        let tenders = self
            .ledger()
            .tenders(hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        if tenders.is_empty()
            && self
                .ledger()
                .checkout(hosted_checkout_id)
                .map_err(TillError::from_ledger)?
                .is_none()
        {
            return Err(TillError::UnknownCheckout(hosted_checkout_id.to_string()));
        }
        let refundable: Vec<logic::Refundable> = tenders
            .iter()
            .map(|t| logic::Refundable {
                payment_id: t.payment_id.to_string(),
                product_id: t.product_id,
                position: t.position,
                refundable: t.refundable(),
            })
            .collect();
        logic::allocate(&refundable, amount, overrides).map_err(|e| match e {
            AllocationError::TooMuch { left } => TillError::Allocation(format!(
                "only {} is left to refund on this order",
                left.fr()
            )),
            AllocationError::UnknownTender(p) => TillError::UnknownPayment(p),
            AllocationError::OverrideTooMuch { payment_id, left } => {
                TillError::NotEnoughLeft { payment_id, left }
            }
        })
    }

    /// Refunds part or all of one tender. The intent and a fresh idempotence key are committed first (refused if
    /// more than what is left, or if another refund on the tender has no answer yet); then the request is sent;
    /// a lost answer is settled with the same key. Declined refunds come back as a view in the `Declined` state.
    ///
    /// No PIN is given: a refund the manager's rule covers is refused ([`Till::refund_with_pin`] gives one).
    pub async fn refund(&self, cmd: RefundCommand) -> Result<RefundView> {
        self.refund_approved(cmd, None).await
    }

    /// [`Till::refund`] with the manager PIN when the manager typed one: the till checks the rule (the sale's
    /// refunds, this one included, above the threshold, or every refund) and the PIN, and journals the attempt,
    /// before the intent is written.
    pub async fn refund_with_pin(
        &self,
        cmd: RefundCommand,
        pin: Option<&Pin>,
    ) -> Result<RefundView> {
        let Some(tender) = self.tender_here_or_at_centre(&cmd.payment_id).await? else {
            return Err(TillError::UnknownPayment(cmd.payment_id));
        };
        let approval = self.approve_refund(tender.hosted_checkout_id.as_str(), cmd.amount, pin)?;
        self.refund_approved(cmd, Some(&approval)).await
    }

    /// [`Till::refund`] under an approval from [`Records::approve_refund`] (one PIN for an order-level refund
    /// spread over several cards): the approval covers refunds of its sale up to the total it was given for, for
    /// a few minutes. Anything beyond it is judged by the rule with no PIN.
    pub async fn refund_approved(
        &self,
        cmd: RefundCommand,
        approval: Option<&RefundApproval>,
    ) -> Result<RefundView> {
        let reason = cmd.reason.trim().to_string();
        if reason.is_empty() {
            return Err(TillError::ReasonMissing);
        }
        let len = reason.chars().count();
        if len > logic::MAX_REASON_LEN {
            return Err(TillError::ReasonTooLong(len));
        }
        if cmd.amount.cents() == 0 {
            return Err(TillError::Amount(AmountError::Zero));
        }
        let ledger = self.ledger();
        let Some(tender) = self.tender_here_or_at_centre(&cmd.payment_id).await? else {
            return Err(TillError::UnknownPayment(cmd.payment_id));
        };
        if tender.captured.cents() == 0 {
            return Err(TillError::NotRefundable {
                payment_id: tender.payment_id.to_string(),
                status: tender.status,
            });
        }
        // What the guard would refuse anyway is said first, without asking for the manager's PIN (the guard
        // checks it again, atomically, when the intent is written).
        if let Some(r) = ledger
            .refunds_of_checkout(tender.hosted_checkout_id.as_str())
            .map_err(TillError::from_ledger)?
            .iter()
            .find(|r| r.payment_id == tender.payment_id && r.state.awaits_answer())
        {
            return Err(TillError::RefundInFlight {
                payment_id: tender.payment_id.to_string(),
                number: r.number,
            });
        }
        let left = tender.refundable();
        if cmd.amount > left {
            return Err(TillError::NotEnoughLeft {
                payment_id: tender.payment_id.to_string(),
                left,
            });
        }
        let at_stake = self.sale_refunds_with(tender.hosted_checkout_id.as_str(), cmd.amount)?;
        // The sale's total this refund may bring it to, checked again by the guard in its transaction: what the
        // approval covers, or what the rule lets through without the PIN.
        let sale_limit = match approval {
            Some(a) if a.covers(tender.hosted_checkout_id.as_str(), at_stake, self.now()) => {
                Some(a.up_to())
            }
            _ => {
                let rule = self.authorize(PinAction::Refund, at_stake, Some(cmd.amount), None)?;
                if rule.always { None } else { rule.threshold }
            }
        };
        let intent = ledger
            .request_refund_within(
                self.operator(),
                &cmd.payment_id,
                cmd.amount,
                &reason,
                sale_limit,
            )
            .map_err(|e| match e {
                crate::ledger::LedgerError::SaleLimit { .. } => TillError::PinRequired {
                    rule: self
                        .pin_policy()
                        .map(|p| p.rule)
                        .unwrap_or_else(|_| PinRule::default_rule()),
                },
                other => TillError::from_ledger(other),
            })?;
        tracing::info!(number = intent.number, payment_id = %cmd.payment_id, amount = %cmd.amount, "refund intent recorded");
        let record = ledger
            .refund_by_key(&intent.idempotence_key)
            .map_err(TillError::from_ledger)?
            .ok_or_else(|| TillError::UnknownPayment(cmd.payment_id.clone()))?;
        self.reserve_at_centre(&record).await?;
        let settled = self.settle_refund(&record, true).await?;
        Ok(settled)
    }

    /// Sends (again) a refund that has no answer, with its own idempotence key, and records the answer. Past the
    /// platform's key lifetime it only reads the tender's refunds, matching on the operation reference.
    ///
    /// `fresh` is true only for the first send, right after the intent was committed. Any other call (a watcher,
    /// `resume`, a second same-key send) may follow an attempt that reached the platform, so a refusal is only
    /// recorded as declined once the platform's list of refunds has been read and does not show ours. A doubtful
    /// answer always ends as `unknown`, which keeps the amount reserved and the tender blocked until it is settled.
    ///
    /// Nothing is sent without the refund's send claim: while another process holds it (it is sending the same
    /// refund), or once the refund is answered or closed, the refund is left as the ledger shows it.
    pub(super) async fn settle_refund(&self, r: &RefundRecord, fresh: bool) -> Result<RefundView> {
        let (holder, claim) = self.claim(r)?;
        match claim {
            Claim::Taken => {}
            Claim::Busy { until, .. } => {
                tracing::info!(number = r.number, %until, "refund being sent by another process: left to it");
                return self.refund_view(&r.idempotence_key);
            }
            Claim::Settled(state) => {
                tracing::info!(number = r.number, state = %state, "refund settled meanwhile: not sent");
                return self.refund_view(&r.idempotence_key);
            }
        }
        // Whatever the ledger fails to write from here on, the request may have been carried out: the refund is
        // settled later with its own key (`resume`), never sent again as a new one.
        let result = match self.send_and_record(r, fresh).await {
            Err(TillError::Ledger(cause)) => Err(TillError::AnswerNotRecorded {
                number: r.number,
                cause,
            }),
            other => other,
        };
        self.release(r, &holder);
        result
    }

    /// Asks for the refund's send claim under a fresh holder name: the name (to give it back) and the answer.
    fn claim(&self, r: &RefundRecord) -> Result<(String, Claim)> {
        let holder = sender::holder();
        let claim = self
            .ledger()
            .claim_send(
                r.idempotence_key.as_str(),
                &holder,
                self.now() + sender::SEND_CLAIM,
                &sender::is_dead,
            )
            .map_err(TillError::from_ledger)?;
        Ok((holder, claim))
    }

    /// Gives a send claim back. A claim that cannot be given back (a full disk) ends with its time, or at once
    /// once this process has ended.
    fn release(&self, r: &RefundRecord, holder: &str) {
        if let Err(e) = self
            .ledger()
            .release_send(r.idempotence_key.as_str(), holder)
        {
            tracing::warn!(number = r.number, error = %e, "send claim not given back; it ends with its time");
        }
    }

    async fn send_and_record(&self, r: &RefundRecord, fresh: bool) -> Result<RefundView> {
        let gw = &self.core.gateway;
        let mut last_error = None;
        // With a centre, nothing is sent again unless the centre holds the refund's amount (the same key's
        // reservation, or one made now): an intent whose first send never happened (a crash in between) is sent
        // only once the centre has counted it against every till.
        let reserved = fresh || self.reserved_for_resend(r).await;
        // One send: the client already retries with the same key and backoff (its retry policy is the only one);
        // whatever stays unclear after that is settled by reading the platform, or later with the same key.
        if reserved && self.now() - r.created_at < RESEND_WINDOW {
            match gw
                .refund(&r.payment_id, r.amount, &r.reason, &r.idempotence_key)
                .await
            {
                Ok(reading) => {
                    self.record_answer(r, &reading, None)?;
                    return self.refund_view(&r.idempotence_key);
                }
                Err(GatewayError::Declined {
                    refund, message, ..
                }) => {
                    let refund_id = refund.and_then(|x| x.id);
                    return self.conclude_refused(r, refund_id, &message, !fresh).await;
                }
                Err(GatewayError::Refused { message, .. }) => {
                    // The platform refused this refund (over-refund, not captured, …).
                    return self.conclude_refused(r, None, &message, !fresh).await;
                }
                Err(e @ GatewayError::Unauthorized { .. }) => {
                    // A first send refused for its credentials was not carried out: close the intent, so the
                    // operator's "refused" stays true and a later `resume` cannot send it. After an earlier send
                    // the intent stays open, since that send may have been carried out.
                    if fresh {
                        self.record_declined(r, None, &e.detail())?;
                    }
                    return Err(TillError::Unauthorized(Box::new(e)));
                }
                Err(e) => {
                    tracing::warn!(number = r.number, error = %e.message(), "refund answer lost or unclear");
                    last_error = Some(e);
                }
            }
        }
        // Read the platform: the refund may exist even though no clear answer came back.
        if let Ok(Some(found)) = self.find_on_platform(r).await {
            self.record_answer(r, &found, None)?;
            return self.refund_view(&r.idempotence_key);
        }
        if !reserved {
            // Not sent: it stays as it was, for a later attempt or the operator's close.
            return self.refund_view(&r.idempotence_key);
        }
        let message = last_error
            .map(|e| e.message())
            .unwrap_or_else(|| "no answer within the key's lifetime".to_string());
        self.record_unknown(r, message)?;
        self.refund_view(&r.idempotence_key)
    }

    /// The platform refused (or declined) a refund. A first send's refusal is the platform's word; after any
    /// earlier send the tender's refunds are read first, because that earlier send may have been carried out.
    async fn conclude_refused(
        &self,
        r: &RefundRecord,
        refund_id: Option<RefundId>,
        message: &str,
        retried: bool,
    ) -> Result<RefundView> {
        match self.find_on_platform(r).await {
            Ok(Some(found)) => {
                tracing::warn!(number = r.number, refund_id = ?found.id, "refused on a re-send but present on the platform");
                self.record_answer(r, &found, None)?;
            }
            Ok(None) => self.record_declined(r, refund_id, message)?,
            Err(_) if !retried => self.record_declined(r, refund_id, message)?,
            Err(e) => self.record_unknown(
                r,
                format!(
                    "{message}; the platform's refunds could not be read to confirm ({})",
                    e.message()
                ),
            )?,
        }
        self.refund_view(&r.idempotence_key)
    }

    /// Our refund as the platform lists it (GetRefunds on its tender), if it is there. Matched on the operation
    /// reference the till sends (the intent's idempotence key, unique per intent); when the platform echoes no
    /// reference at all, as a last resort on the amount, among refunds the ledger does not already know.
    async fn find_on_platform(
        &self,
        r: &RefundRecord,
    ) -> Result<Option<RefundReading>, GatewayError> {
        let list = self.core.gateway.refunds(&r.payment_id).await?;
        if let Some(found) = list
            .iter()
            .find(|x| x.merchant_reference.as_deref() == Some(r.idempotence_key.as_str()))
        {
            return Ok(Some(found.clone()));
        }
        if list.iter().any(|x| x.merchant_reference.is_some()) {
            return Ok(None);
        }
        // A ledger that cannot be read leaves the answer unknown (never "not on the platform").
        let known: HashSet<RefundId> = self
            .ledger()
            .refunds_of_checkout(&r.hosted_checkout_id)
            .map_err(|e| GatewayError::Unreadable {
                message: format!("the ledger could not be read to match refunds: {e}"),
            })?
            .into_iter()
            .filter_map(|x| x.refund_id)
            .collect();
        Ok(list
            .iter()
            .find(|x| {
                x.amount == Some(r.amount)
                    && x.id.as_ref().is_some_and(|id| !known.contains(id))
                    && x.state() != RefundState::Declined
            })
            .cloned())
    }

    fn record_unknown(&self, r: &RefundRecord, message: String) -> Result<()> {
        if r.state == RefundState::Unknown {
            return Ok(());
        }
        self.ledger()
            .append(
                self.operator(),
                &Event::RefundAnswered {
                    idempotence_key: r.idempotence_key.clone(),
                    refund_id: None,
                    state: RefundState::Unknown,
                    platform_status: None,
                    failure: Some(message),
                },
            )
            .map_err(TillError::from_ledger)?;
        Ok(())
    }

    /// Closes a refund intent that never got an answer (state `requested` or `unknown`), so that its tender is
    /// no longer blocked and its amount is free again. `refund` is the refund number (n°) or its idempotence key.
    ///
    /// The close first takes the refund's send claim: while another process is sending the refund (or retrying
    /// it) the close is refused, and while the close holds the claim nobody sends it. Then the platform's refunds
    /// for the tender are read and matched on the refund's key: if the refund is there, its answer is recorded
    /// and the close refused; if they cannot be read, the close is refused too. Only then is the closing
    /// journaled, with the operator and the reason. Since a request that timed out can still be carried out late,
    /// the till keeps reading a closed refund's checkout for a day ([`crate::ledger::Ledger::closed_refunds_since`]);
    /// if the refund shows up, a correction is recorded and the difference reported.
    pub async fn close_refund(&self, refund: &str, reason: &str) -> Result<RefundView> {
        self.close_refund_with_pin(refund, reason, None).await
    }

    /// [`Till::close_refund`] with the manager PIN, asked when the refund's amount is one the manager's rule covers.
    pub async fn close_refund_with_pin(
        &self,
        refund: &str,
        reason: &str,
        pin: Option<&Pin>,
    ) -> Result<RefundView> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            return Err(TillError::ReasonMissing);
        }
        let len = reason.chars().count();
        if len > logic::MAX_REASON_LEN {
            return Err(TillError::ReasonTooLong(len));
        }
        let ledger = self.ledger();
        let wanted = refund.trim().trim_start_matches("n°");
        let record = match wanted.parse::<i64>() {
            Ok(n) => ledger.refund_by_number(n),
            Err(_) => ledger.refund_by_key(wanted),
        }
        .map_err(TillError::from_ledger)?
        .ok_or_else(|| TillError::UnknownRefund(refund.to_string()))?;
        if !record.state.awaits_answer() {
            return Err(TillError::RefundNotOpen {
                number: record.number,
                state: record.state,
            });
        }
        self.authorize(
            PinAction::RefundClose,
            record.amount,
            Some(record.amount),
            pin,
        )?;
        let (holder, claim) = self.claim(&record)?;
        match claim {
            Claim::Taken => {}
            Claim::Busy { until, .. } => {
                return Err(TillError::RefundBeingSent {
                    number: record.number,
                    until,
                });
            }
            Claim::Settled(state) => {
                return Err(TillError::RefundNotOpen {
                    number: record.number,
                    state,
                });
            }
        }
        let result = self.close_claimed(&record, &holder, reason).await;
        self.release(&record, &holder);
        result
    }

    async fn close_claimed(
        &self,
        record: &RefundRecord,
        holder: &str,
        reason: String,
    ) -> Result<RefundView> {
        match self.find_on_platform(record).await {
            Ok(Some(found)) if found.state() == RefundState::Declined => {
                // The platform's own refusal settles it: nothing left to close.
                self.record_answer(record, &found, None)?;
                return self.refund_view(&record.idempotence_key);
            }
            Ok(Some(found)) => {
                self.record_answer(record, &found, None)?;
                let status = found.status_word().to_string();
                return Err(TillError::RefundOnPlatform {
                    number: record.number,
                    refund_id: found.id.map(String::from).unwrap_or_default(),
                    status,
                });
            }
            Ok(None) => {}
            Err(e) => return Err(TillError::from_gateway(e)),
        }
        let closed = self
            .ledger()
            .close_claimed(self.operator(), &record.idempotence_key, holder, &reason)
            .map_err(TillError::from_ledger)?;
        if !closed {
            // The claim ran out while the platform was read, or the refund was answered meanwhile.
            let now = self
                .ledger()
                .refund_by_key(record.idempotence_key.as_str())
                .map_err(TillError::from_ledger)?;
            return Err(match now {
                Some(r) if !r.state.awaits_answer() => TillError::RefundNotOpen {
                    number: r.number,
                    state: r.state,
                },
                _ => TillError::RefundBeingSent {
                    number: record.number,
                    until: self.now() + sender::SEND_CLAIM,
                },
            });
        }
        tracing::info!(
            number = record.number,
            "refund intent closed by the operator"
        );
        self.refund_view(&record.idempotence_key)
    }

    /// Records what the platform shows for one of our refunds, judged against the ledger as it is now (not as it
    /// was when the request left): a refund closed meanwhile that the platform shows pending or refunded gets a
    /// correction, so the operator is told "refunded", never "declined", for money that left.
    fn record_answer(
        &self,
        r: &RefundRecord,
        reading: &RefundReading,
        failure: Option<String>,
    ) -> Result<()> {
        let current = self
            .ledger()
            .refund_by_key(r.idempotence_key.as_str())
            .map_err(TillError::from_ledger)?;
        let r = current.as_ref().unwrap_or(r);
        let known = self
            .ledger()
            .refunds_of_checkout(&r.hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        let (reading, taken) = unclaimed(r, reading, &known);
        if let Some(e) = correction_event(r, &reading) {
            tracing::warn!(
                number = r.number,
                "closed or declined refund shown by the platform: corrected"
            );
            self.ledger()
                .append(self.operator(), &with_note(e, taken))
                .map_err(TillError::from_ledger)?;
            return Ok(());
        }
        if let Some(mut e) = answer_event(r, &reading) {
            if let Event::RefundAnswered { failure: f, .. } = &mut e {
                *f = failure;
            }
            self.ledger()
                .append(self.operator(), &with_note(e, taken))
                .map_err(TillError::from_ledger)?;
        }
        Ok(())
    }

    fn record_declined(
        &self,
        r: &RefundRecord,
        refund_id: Option<RefundId>,
        message: &str,
    ) -> Result<()> {
        let known = self
            .ledger()
            .refunds_of_checkout(&r.hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        let reading = RefundReading {
            id: refund_id,
            ..RefundReading::default()
        };
        let (reading, taken) = unclaimed(r, &reading, &known);
        let answer = Event::RefundAnswered {
            idempotence_key: r.idempotence_key.clone(),
            refund_id: reading.id,
            state: RefundState::Declined,
            platform_status: Some("REJECTED".into()),
            failure: Some(message.to_string()),
        };
        self.ledger()
            .append(self.operator(), &with_note(answer, taken))
            .map_err(TillError::from_ledger)?;
        Ok(())
    }

    fn refund_view(&self, key: &str) -> Result<RefundView> {
        let r = self
            .ledger()
            .refund_by_key(key)
            .map_err(TillError::from_ledger)?
            .ok_or_else(|| TillError::Config(format!("refund {key} vanished from the ledger")))?;
        Ok(views::refund_view(&r))
    }
}
