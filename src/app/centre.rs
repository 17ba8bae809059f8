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
    /// Whether that was the centre out of reach (else it refused: a chain it does not recognise, a wrong URL).
    pub unreachable: bool,
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
            unreachable: false,
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
                unreachable: matches!(e, CentralError::Unreachable(_)),
            }
        }
    }
}

pub use crate::central::query::{CentralCheckout, Consolidated, Scope};

/// A refund of any till, as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentralRefund {
    /// The till that made it.
    pub till: String,
    /// Its shop.
    pub shop: Option<String>,
    /// Its number at that till.
    pub number: i64,
    /// When it was asked.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The sale's reference.
    pub merchant_reference: String,
    /// The amount.
    pub amount: crate::domain::Amount,
    /// Where it stands.
    pub state: crate::domain::RefundState,
}

/// What the back office shows of every till for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllTills {
    /// The sales, newest first.
    pub sales: Vec<CentralCheckout>,
    /// The refunds, by till then number.
    pub refunds: Vec<CentralRefund>,
    /// The daily closings of the period, added up per shop and for the company.
    pub closings: Vec<Consolidated>,
}

/// Reads every till in `scope` from the centre for the local days `from` to `to`.
pub async fn read_all(
    url: &Secret,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    scope: &Scope,
) -> Result<AllTills, CentralError> {
    use crate::central::query;
    let client = crate::central::connect(url.expose()).await?;
    let (f, t) = crate::till::logic::local_days_to_utc(from, to);
    let sales = query::checkouts(&client, Some(f), Some(t), scope, 2_000).await?;
    let mut refunds = Vec::new();
    query::for_each_refund_export_row(&client, f, t, scope, |r| {
        refunds.push(CentralRefund {
            till: r.till.clone(),
            shop: r.shop.clone(),
            number: r.row.refund.number,
            created_at: r.row.refund.created_at,
            merchant_reference: r.row.merchant_reference.clone(),
            amount: r.row.refund.amount,
            state: r.row.refund.state,
        });
        Ok::<(), std::convert::Infallible>(())
    })
    .await
    .map_err(|e| match e {
        query::ExportReadError::Centre(c) => c,
        query::ExportReadError::Sink(never) => match never {},
    })?;
    let days = query::closings(&client, crate::domain::closing::ClosingKind::Day, scope).await?;
    let first = from.to_string();
    let last = to.to_string();
    let closings = query::consolidate(&days)
        .into_iter()
        .filter(|c| c.label >= first && c.label <= last)
        .collect();
    Ok(AllTills {
        sales,
        refunds,
        closings,
    })
}

/// Writes the refund export of every till in `scope` for the local days `from` to `to` to `path` (the till and
/// shop columns first), never over one of the till's files in `data_dir`.
pub async fn export_all(
    url: &Secret,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    scope: &Scope,
    format: crate::ledger::export::CsvFormat,
    path: &std::path::Path,
    data_dir: &std::path::Path,
) -> Result<crate::ledger::export::ExportSummary, CentralError> {
    let client = crate::central::connect(url.expose()).await?;
    let (f, t) = crate::till::logic::local_days_to_utc(from, to);
    crate::central::query::export_refunds(
        &client,
        f,
        t,
        scope,
        format,
        path,
        super::own_files(data_dir),
    )
    .await
}
