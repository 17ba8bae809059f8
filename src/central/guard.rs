//! The refund guard across tills over PostgreSQL: what the till's [`CentralGuard`] asks, done at the centre
//! (`cadodesk.reserve_refund`: the tender locked, every till's refunds and reservations counted, the amount
//! reserved in one transaction).

use std::time::Duration;

use crate::domain::Amount;
use crate::ledger::Ledger;
use crate::till::central_guard::{CentralGuard, CentralUnavailable, ForeignTender, Reservation};
use crate::till::gateway::BoxFuture;

use super::{CentralError, connect, query, sync};

/// The longest a refund waits for the centre before it is refused (nothing is sent then).
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A till's refund guard at the centre, over its own connection URL.
pub struct PgGuard {
    url: String,
    ledger: Ledger,
    operator: String,
}

impl std::fmt::Debug for PgGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL holds the till's password: never printed.
        f.debug_struct("PgGuard").finish_non_exhaustive()
    }
}

impl PgGuard {
    /// The guard of the till whose ledger is `ledger`, at the centre `url` (the till's URL).
    pub fn new(url: &str, ledger: Ledger, operator: &str) -> PgGuard {
        PgGuard {
            url: url.to_string(),
            ledger,
            operator: operator.to_string(),
        }
    }

    async fn reserve_once(
        &self,
        payment_id: &str,
        key: &str,
        amount: Amount,
    ) -> Result<Reservation, CentralError> {
        let client = connect(&self.url).await?;
        let row = client
            .query_one(
                "SELECT accepted, left_cents, sold_by FROM cadodesk.reserve_refund($1, $2, $3)",
                &[&payment_id, &key, &amount.cents()],
            )
            .await
            .map_err(|e| CentralError::from_pg(&e))?;
        let (accepted, left, sold_by): (bool, Option<i64>, Option<String>) =
            (row.get(0), row.get(1), row.get(2));
        let left = Amount::from_cents(left.unwrap_or(0).max(0)).unwrap_or(Amount::ZERO);
        Ok(match (accepted, sold_by) {
            (true, _) => Reservation::Accepted { left },
            (false, Some(_)) => Reservation::NotEnoughLeft { left },
            (false, None) => Reservation::NotAtCentre,
        })
    }
}

fn unavailable(e: CentralError) -> CentralUnavailable {
    CentralUnavailable(e.to_string())
}

fn foreign(t: query::CentralTender) -> ForeignTender {
    ForeignTender {
        till: t.till,
        merchant_reference: t.merchant_reference,
        hosted_checkout_id: t.hosted_checkout_id,
        sale_amount_cents: t.sale_amount_cents,
        payment_id: t.payment_id,
        product_id: t.product_id,
        masked_number: t.masked_number,
        amount_cents: t.amount_cents,
        captured_cents: t.captured_cents,
        status: t.status,
    }
}

impl CentralGuard for PgGuard {
    fn foreign_sale<'a>(
        &'a self,
        sale: &'a str,
    ) -> BoxFuture<'a, Result<Vec<ForeignTender>, CentralUnavailable>> {
        Box::pin(async move {
            let work = async {
                let client = connect(&self.url).await?;
                query::sale_tenders(&client, sale).await
            };
            match tokio::time::timeout(ANSWER_WITHIN, work).await {
                Ok(found) => Ok(found
                    .map_err(unavailable)?
                    .into_iter()
                    .map(foreign)
                    .collect()),
                Err(_) => Err(CentralUnavailable(format!(
                    "no answer within {} s",
                    ANSWER_WITHIN.as_secs()
                ))),
            }
        })
    }

    fn reserve<'a>(
        &'a self,
        payment_id: &'a str,
        idempotence_key: &'a str,
        amount: Amount,
    ) -> BoxFuture<'a, Result<Reservation, CentralUnavailable>> {
        Box::pin(async move {
            let work = async {
                let first = self
                    .reserve_once(payment_id, idempotence_key, amount)
                    .await?;
                // A sale of this till that the centre does not hold yet: this till sends what it has, then asks
                // again (the refund's own intent goes with it and is counted once).
                if first == Reservation::NotAtCentre
                    && self.ledger.tender(payment_id).ok().flatten().is_some()
                {
                    sync(&self.ledger, &self.operator, &self.url).await?;
                    return self.reserve_once(payment_id, idempotence_key, amount).await;
                }
                Ok(first)
            };
            match tokio::time::timeout(ANSWER_WITHIN, work).await {
                Ok(answer) => answer.map_err(unavailable),
                Err(_) => Err(CentralUnavailable(format!(
                    "no answer within {} s",
                    ANSWER_WITHIN.as_secs()
                ))),
            }
        })
    }

    fn foreign_tender<'a>(
        &'a self,
        payment_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<ForeignTender>, CentralUnavailable>> {
        Box::pin(async move {
            let work = async {
                let client = connect(&self.url).await?;
                query::tender(&client, payment_id).await
            };
            let found = match tokio::time::timeout(ANSWER_WITHIN, work).await {
                Ok(found) => found.map_err(unavailable)?,
                Err(_) => {
                    return Err(CentralUnavailable(format!(
                        "no answer within {} s",
                        ANSWER_WITHIN.as_secs()
                    )));
                }
            };
            Ok(found.map(foreign))
        })
    }
}
