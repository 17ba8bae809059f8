//! What a platform reading of one of our refunds writes in the journal (pure): an answer, a correction of a
//! refund recorded as declined, and a refund id the ledger already gives another refund left out, with a note.

use crate::domain::RefundState;
use crate::ledger::{Event, RefundRecord};

use super::gateway::RefundReading;

/// `reading` as the ledger can record it for `r`. A refund id is recorded once: when the ledger already gives the
/// platform's id to another of the checkout's refunds (`known`), two platforms numbered refunds of one sale (two
/// sandboxes on one data file, a data file restored from a copy), and writing it again would fail on every try,
/// leaving the refund without an answer for ever. The reading is then recorded without its id (its state, the
/// platform's word, still settles the refund), and the note names both refunds; reconcile reports it.
pub(super) fn unclaimed(
    r: &RefundRecord,
    reading: &RefundReading,
    known: &[RefundRecord],
) -> (RefundReading, Option<String>) {
    let Some(id) = &reading.id else {
        return (reading.clone(), None);
    };
    let Some(holder) = known
        .iter()
        .find(|k| k.idempotence_key != r.idempotence_key && k.refund_id.as_ref() == Some(id))
    else {
        return (reading.clone(), None);
    };
    tracing::error!(number = r.number, refund_id = %id, holder = holder.number, "the platform's refund id is already in the ledger for another refund");
    let note = format!(
        "the platform numbers refund n°{} {id}, an id the ledger already gives refund n°{}: one of the two is not \
         this platform's (were two sandboxes run on one data file?); recorded without the id, check it with \
         `cadodesk reconcile`",
        r.number, holder.number
    );
    let mut stripped = reading.clone();
    stripped.id = None;
    (stripped, Some(note))
}

/// `event` with `note` added to what it says of the refund (its failure or correction note).
pub(super) fn with_note(mut event: Event, note: Option<String>) -> Event {
    let Some(note) = note else { return event };
    match &mut event {
        Event::RefundAnswered { failure, .. } => {
            *failure = Some(match failure.take() {
                Some(f) => format!("{f}; {note}"),
                None => note,
            });
        }
        Event::RefundCorrected { note: n, .. } => *n = format!("{n}; {note}"),
        _ => {}
    }
    event
}

/// The correction for one of our refunds recorded as declined (by a refusal, or closed by an operator) that the
/// platform shows as pending or refunded: the platform's word beats the local conclusion. `None` otherwise.
pub(super) fn correction_event(r: &RefundRecord, reading: &RefundReading) -> Option<Event> {
    let state = reading.state();
    if r.external
        || r.state != RefundState::Declined
        || !matches!(state, RefundState::Pending | RefundState::Refunded)
    {
        return None;
    }
    Some(Event::RefundCorrected {
        idempotence_key: r.idempotence_key.clone(),
        refund_id: reading.id.clone(),
        previous_state: r.state,
        state,
        platform_status: Some(reading.status_word().to_string()),
        note: format!(
            "recorded as declined, but the platform shows {} {}",
            reading.id.as_deref().unwrap_or("a refund"),
            reading.status_word()
        ),
    })
}

/// The journal entry for a platform reading of one of our refunds, or `None` when it changes nothing (or would
/// move the refund backwards).
pub(super) fn answer_event(r: &RefundRecord, reading: &RefundReading) -> Option<Event> {
    let state = reading.state();
    let current = r.state;
    let id = reading.id.clone();
    let same = current == state
        && r.refund_id == id
        && r.platform_status.as_deref() == Some(reading.status_word());
    if same || !current.may_become(state) {
        return None;
    }
    Some(Event::RefundAnswered {
        idempotence_key: r.idempotence_key.clone(),
        refund_id: id,
        state,
        platform_status: Some(reading.status_word().to_string()),
        failure: None,
    })
}
