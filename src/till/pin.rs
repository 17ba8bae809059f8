//! The manager PIN, enforced by the till for both faces: the app passes what the manager typed, the command line what
//! it read on standard input (`--manager-pin-stdin`). The rule, the PIN's hash and every attempt live in the ledger:
//! the rule is read checked against the journal (a setting changed in the file is refused), each attempt is a journal
//! entry (never the PIN), and [`manager::MAX_WRONG`] wrong PINs in a row lock it for [`manager::LOCK`]. Changing
//! the PIN or its rule needs the current PIN, once one is set.

use chrono::{DateTime, Utc};

use crate::domain::{Amount, RefundState};
use crate::ledger::{Event, PinOutcome, keys};

use super::manager::{self, Pin, PinRule};
use super::{Records, Result, TillError};

/// What the PIN is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinAction {
    /// A refund.
    Refund,
    /// Closing a refund left without an answer.
    RefundClose,
    /// Changing the PIN or its rule.
    PinChange,
}

impl PinAction {
    fn code(self) -> &'static str {
        match self {
            PinAction::Refund => "refund",
            PinAction::RefundClose => "refund_close",
            PinAction::PinChange => "pin_change",
        }
    }
}

/// The PIN's rule and whether a PIN is set, as the journal says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinPolicy {
    /// When the PIN is needed.
    pub rule: PinRule,
    /// The stored hash (never shown).
    hash: Option<String>,
}

impl PinPolicy {
    /// True when a manager PIN is set.
    pub fn is_set(&self) -> bool {
        self.hash.is_some()
    }
}

/// A manager's approval of refunds on one sale up to a total, given by [`Records::approve_refund`]: one PIN for
/// an order-level refund sent as one refund per card. It cannot be made outside the till, and lasts a few minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundApproval {
    hosted_checkout_id: String,
    up_to: Amount,
    at: DateTime<Utc>,
    /// The manager's PIN was checked for it (else the rule asked for none, and each refund is judged by the rule).
    pin_given: bool,
}

/// How long an approval lasts.
const APPROVAL_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);

impl RefundApproval {
    /// The sale's total it allows.
    pub(super) fn up_to(&self) -> Amount {
        self.up_to
    }

    /// Does it cover a refund that brings this sale's refunds to `at_stake`, now?
    pub(super) fn covers(
        &self,
        hosted_checkout_id: &str,
        at_stake: Amount,
        now: DateTime<Utc>,
    ) -> bool {
        self.pin_given
            && self.hosted_checkout_id == hosted_checkout_id
            && at_stake <= self.up_to
            && now >= self.at
            && now - self.at <= APPROVAL_LIFETIME
    }
}

impl Records {
    /// The manager PIN's rule as the ledger holds it, checked against the journal.
    pub fn pin_policy(&self) -> Result<PinPolicy> {
        let settings = self
            .ledger()
            .settings_checked()
            .map_err(TillError::from_ledger)?;
        let rule = PinRule::from_stored(
            settings.get(keys::PIN_THRESHOLD_CENTS).map(String::as_str),
            settings.get(keys::REQUIRE_PIN_FOR_ALL).map(String::as_str),
        )
        .map_err(TillError::Config)?;
        Ok(PinPolicy {
            rule,
            hash: settings.get(keys::MANAGER_PIN_HASH).cloned(),
        })
    }

    /// What the sale's refunds add up to once a refund of `amount` is added (declined ones left out): the amount
    /// the PIN rule is applied to.
    pub fn sale_refunds_with(&self, hosted_checkout_id: &str, amount: Amount) -> Result<Amount> {
        let refunds = self
            .ledger()
            .refunds_of_checkout(hosted_checkout_id)
            .map_err(TillError::from_ledger)?;
        Ok(refunds
            .iter()
            .filter(|r| r.state != RefundState::Declined)
            .map(|r| r.amount)
            .sum::<Amount>()
            .saturating_add(amount))
    }

    /// Does a refund of `amount` on this sale need the manager PIN?
    pub fn refund_needs_pin(&self, hosted_checkout_id: &str, amount: Amount) -> Result<bool> {
        let policy = self.pin_policy()?;
        Ok(policy
            .rule
            .needs_pin(self.sale_refunds_with(hosted_checkout_id, amount)?))
    }

    /// Lets an action through when the rule does not ask for the PIN at `at_stake`, or when `pin` is the manager's,
    /// and returns the rule it was judged by. Each PIN checked is journaled, right or wrong.
    pub fn authorize(
        &self,
        action: PinAction,
        at_stake: Amount,
        amount: Option<Amount>,
        pin: Option<&Pin>,
    ) -> Result<PinRule> {
        let policy = self.pin_policy()?;
        if !policy.rule.needs_pin(at_stake) {
            return Ok(policy.rule);
        }
        let Some(hash) = &policy.hash else {
            self.journal_pin(action, amount, PinOutcome::Missing)?;
            return Err(TillError::PinNotSet { rule: policy.rule });
        };
        let Some(pin) = pin.filter(|p| !p.is_empty()) else {
            self.journal_pin(action, amount, PinOutcome::Missing)?;
            return Err(TillError::PinRequired { rule: policy.rule });
        };
        self.check_pin(action, amount, pin, hash)?;
        Ok(policy.rule)
    }

    /// Journals one time the PIN was asked for, and what came of it (never the PIN).
    fn journal_pin(
        &self,
        action: PinAction,
        amount: Option<Amount>,
        outcome: PinOutcome,
    ) -> Result<crate::ledger::Entry> {
        self.ledger()
            .append(
                self.operator(),
                &Event::ManagerPin {
                    action: action.code().to_string(),
                    amount_cents: amount.map(Amount::cents),
                    outcome,
                },
            )
            .map_err(TillError::from_ledger)
    }

    /// Approves refunds of `amount` in all on one sale: the PIN is checked (and journaled) once, if the rule asks
    /// for it; the approval then covers each card's refund ([`super::Till::refund_approved`]).
    pub fn approve_refund(
        &self,
        hosted_checkout_id: &str,
        amount: Amount,
        pin: Option<&Pin>,
    ) -> Result<RefundApproval> {
        let at_stake = self.sale_refunds_with(hosted_checkout_id, amount)?;
        let rule = self.authorize(PinAction::Refund, at_stake, Some(amount), pin)?;
        let pin_given = rule.needs_pin(at_stake);
        Ok(RefundApproval {
            hosted_checkout_id: hosted_checkout_id.to_string(),
            up_to: at_stake,
            at: self.now(),
            pin_given,
        })
    }

    fn pin_attempts(&self) -> Result<Vec<(DateTime<Utc>, bool)>> {
        self.ledger()
            .pin_attempts(manager::MAX_WRONG * 4)
            .map_err(TillError::from_ledger)
    }

    fn check_pin(
        &self,
        action: PinAction,
        amount: Option<Amount>,
        pin: &Pin,
        hash: &str,
    ) -> Result<()> {
        let mut attempts = self.pin_attempts()?;
        if let Some(until) = manager::locked_until(&attempts, self.now()) {
            self.journal_pin(action, amount, PinOutcome::Locked)?;
            return Err(TillError::PinLocked { until });
        }
        let accepted = manager::verify(pin, hash);
        let outcome = if accepted {
            PinOutcome::Accepted
        } else {
            PinOutcome::Wrong
        };
        let entry = self.journal_pin(action, amount, outcome)?;
        if accepted {
            tracing::info!(action = action.code(), "manager PIN given");
            return Ok(());
        }
        tracing::info!(action = action.code(), "wrong manager PIN");
        attempts.push((entry.at, false));
        match manager::locked_until(&attempts, self.now()) {
            Some(until) => Err(TillError::PinLocked { until }),
            None => Err(TillError::PinWrong {
                tries_left: manager::tries_left(&attempts),
            }),
        }
    }

    /// Sets the manager PIN's rule and, when `new_pin` is given, the PIN itself. Once a PIN is set, `current` must
    /// be it (checked and journaled like any other attempt). The changes are journaled in one transaction; the
    /// hash is stored but only its fingerprint is journaled.
    pub fn set_pin_rules(
        &self,
        current: Option<&Pin>,
        new_pin: Option<&Pin>,
        rule: PinRule,
    ) -> Result<()> {
        let policy = self.pin_policy()?;
        if let Some(new) = new_pin
            && !new.is_acceptable()
        {
            return Err(TillError::PinUnacceptable);
        }
        if let Some(t) = rule.threshold {
            manager::check_threshold(t).map_err(TillError::ThresholdInvalid)?;
        }
        if let Some(hash) = &policy.hash {
            let Some(current) = current.filter(|p| !p.is_empty()) else {
                self.journal_pin(PinAction::PinChange, None, PinOutcome::Missing)?;
                return Err(TillError::PinCurrentNeeded);
            };
            self.check_pin(PinAction::PinChange, None, current, hash)?;
        }
        let threshold = Some(
            rule.threshold
                .map_or_else(|| keys::NO_THRESHOLD.to_string(), |a| a.cents().to_string()),
        );
        let always = Some(if rule.always { "true" } else { "false" }.to_string());
        let hash = match new_pin {
            Some(p) => Some(manager::hash(p)),
            None => policy.hash.clone(),
        };
        if hash.as_deref() == Some("") {
            return Err(TillError::Config("the PIN could not be hashed".into()));
        }
        let changes: [(&str, Option<String>); 3] = [
            (keys::MANAGER_PIN_HASH, hash),
            (keys::PIN_THRESHOLD_CENTS, threshold),
            (keys::REQUIRE_PIN_FOR_ALL, always),
        ];
        self.ledger()
            .set_settings(self.operator(), &changes)
            .map_err(TillError::from_ledger)?;
        tracing::info!(pin_changed = new_pin.is_some(), "manager PIN rule set");
        Ok(())
    }
}
