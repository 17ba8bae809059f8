//! The till's link to the central ledger as the app shows it: a sync now, and how far behind the centre is.

use crate::central::CentralError;
use crate::i18n::{Lang, Localize};
use crate::ledger::{Event, Ledger};
use crate::vault::Secret;

/// Where the till stands with the centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralState {
    /// The last entry the centre acknowledged.
    pub acknowledged_seq: i64,
    /// Entries of this till the centre does not hold yet (as far as the till knows).
    pub pending: i64,
    /// Entries sent by this sync.
    pub uploaded: u64,
    /// Why the last sync did not go through, in French and in English.
    pub problem: Option<(String, String)>,
}

/// The last acknowledgement the journal holds (0: none).
fn acknowledged(ledger: &Ledger) -> i64 {
    match ledger.last_payload_of("central_acknowledged") {
        Ok(Some(p)) => match serde_json::from_str::<Event>(&p) {
            Ok(Event::CentralAcknowledged { seq, .. }) => seq,
            _ => 0,
        },
        _ => 0,
    }
}

/// Whether the journal's last entry is an acknowledgement from the centre.
fn head_is_acknowledgement(ledger: &Ledger) -> bool {
    let Ok(Some((head, _))) = ledger.head() else {
        return false;
    };
    ledger
        .entries(head, 1)
        .ok()
        .and_then(|e| e.into_iter().next())
        .is_some_and(|e| e.kind == "central_acknowledged")
}

/// Sends this till's entries the centre does not hold yet, and says where the till stands. A failure (the
/// centre out of reach, an entry refused) is said, and what is still to send.
pub async fn sync_now(ledger: &Ledger, operator: &str, url: &Secret) -> CentralState {
    match crate::central::sync(ledger, operator, url.expose()).await {
        Ok(r) => CentralState {
            acknowledged_seq: r.acknowledged_seq,
            // The acknowledgement the sync just journaled goes with the next one: nothing the centre lacks.
            pending: if r.pending == 1 && head_is_acknowledgement(ledger) {
                0
            } else {
                r.pending
            },
            uploaded: r.uploaded,
            problem: None,
        },
        Err(e) => {
            let ack = acknowledged(ledger);
            let head = ledger.head().ok().flatten().map_or(0, |h| h.0);
            if !matches!(e, CentralError::Unreachable(_)) {
                tracing::warn!(error = %e, "sync with the centre refused");
            }
            CentralState {
                acknowledged_seq: ack,
                pending: (head - ack).max(0),
                uploaded: 0,
                problem: Some((e.localize(Lang::Fr), e.localize(Lang::En))),
            }
        }
    }
}
