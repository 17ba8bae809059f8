//! Closings: the operator's daily closing (the "Z"), the day left open closed at the next start, and the monthly and
//! fiscal-year closings that follow once their period has ended. Each is a journal entry (sealed like every entry)
//! that never changes; a refund answered after a closing counts in the next period.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Europe::Paris;

use crate::domain::closing::{Closing, ClosingKind, Movement, PeriodTotals, totals};
use crate::ledger::{Event, TillIdentity, keys};

use super::closing::MoneyFlow;
use super::{Records, Result, TillError};

/// The code a till gets when none was chosen.
pub const TILL_CODE: &str = "T01";

/// A till code: 1 to 8 capital letters or digits (`T01`, `CAISSE2`).
pub fn valid_till_code(code: &str) -> bool {
    (1..=8).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A closing as listed: the closing, its journal entry and its seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingRow {
    /// The closing.
    pub closing: Closing,
    /// Its journal entry.
    pub seq: i64,
    /// The seal's signature (hex), when the ledger is sealed.
    pub signature: Option<String>,
    /// The sealing key's id.
    pub key_id: Option<String>,
}

fn paris_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris).format("%Y-%m-%d").to_string()
}

/// The fiscal year a month (`YYYY-MM`) belongs to, named by the year it starts in (`2026`, or `2026-04` when it
/// starts in April).
fn fiscal_year(month: &str, start_month: u32) -> Option<String> {
    let (y, m) = month.split_once('-')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let start_year = if m >= start_month { y } else { y - 1 };
    Some(if start_month == 1 {
        format!("{start_year}")
    } else {
        format!("{start_year}-{start_month:02}")
    })
}

/// The closing of several closings of the kind below (a month of days, a year of months), summed.
fn summed(
    kind: ClosingKind,
    number: i64,
    label: String,
    parts: &[&Closing],
    previous: Option<i64>,
) -> Option<Closing> {
    let (first, last) = (parts.first()?, parts.last()?);
    let totals = PeriodTotals::sum(parts.iter().map(|c| &c.totals));
    Some(Closing {
        kind,
        number,
        till: last.till.clone(),
        till_uuid: last.till_uuid.clone(),
        label,
        from: first.from,
        to: last.to,
        first_seq: first.first_seq,
        last_seq: last.last_seq,
        period_total_cents: totals.net_cents(),
        totals,
        perpetual_total_cents: last.perpetual_total_cents,
        perpetual_absolute_total_cents: last.perpetual_absolute_total_cents,
        head_hash: last.head_hash.clone(),
        previous,
    })
}

impl Records {
    /// Who this till is; a ledger that never said so becomes till [`TILL_CODE`] with a new UUID (a journal entry).
    pub fn till_identity(&self) -> Result<TillIdentity> {
        if let Some(id) = self
            .ledger()
            .till_identity()
            .map_err(TillError::from_ledger)?
        {
            return Ok(id);
        }
        self.till_init(TILL_CODE, None, None)
    }

    /// Names the till: its code (kept once a closing carries it), the shop's name and address. Its UUID is made
    /// once and never changes.
    pub fn till_init(
        &self,
        code: &str,
        shop: Option<&str>,
        address: Option<&str>,
    ) -> Result<TillIdentity> {
        let code = code.trim();
        if !valid_till_code(code) {
            return Err(TillError::TillCodeInvalid(code.chars().take(20).collect()));
        }
        let ledger = self.ledger();
        let current = ledger.till_identity().map_err(TillError::from_ledger)?;
        if let Some(c) = &current
            && c.code != code
            && !ledger
                .closings()
                .map_err(TillError::from_ledger)?
                .is_empty()
        {
            return Err(TillError::TillCodeFixed(c.code.clone()));
        }
        // Printed on documents, one line each: no control characters (a line break could forge a line), bounded.
        for (field, value, max) in [("shop", shop, 80), ("address", address, 200)] {
            if let Some(v) = value
                && (v.chars().count() > max || v.chars().any(char::is_control))
            {
                return Err(TillError::TillTextInvalid { field, max });
            }
        }
        let text = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let identity = TillIdentity {
            code: code.to_string(),
            uuid: current
                .as_ref()
                .map_or_else(|| uuid::Uuid::new_v4().to_string(), |c| c.uuid.clone()),
            shop: text(shop).or_else(|| current.as_ref().and_then(|c| c.shop.clone())),
            address: text(address).or_else(|| current.as_ref().and_then(|c| c.address.clone())),
        };
        if current.as_ref() == Some(&identity) {
            return Ok(identity);
        }
        // Written only if nothing was written since the identity was read: two processes starting together name
        // the till once, with one UUID.
        let head = ledger
            .head()
            .map_err(TillError::from_ledger)?
            .map_or(0, |h| h.0);
        if ledger.till_identity().map_err(TillError::from_ledger)? != current {
            return self.till_init(code, shop, address);
        }
        let written = ledger
            .append_at_head(
                self.operator(),
                &Event::TillIdentified {
                    code: identity.code.clone(),
                    uuid: identity.uuid.clone(),
                    shop: identity.shop.clone(),
                    address: identity.address.clone(),
                },
                head,
            )
            .map_err(TillError::from_ledger)?;
        match written {
            Some(_) => Ok(identity),
            None => {
                // Another entry came first: read again, and name the till only if it still needs it.
                match ledger.till_identity().map_err(TillError::from_ledger)? {
                    Some(now)
                        if now.code == identity.code && shop.is_none() && address.is_none() =>
                    {
                        Ok(now)
                    }
                    _ => self.till_init(code, shop, address),
                }
            }
        }
    }

    /// The operator's daily closing, now: first each earlier day left open (cut at its midnight), then today's from
    /// the end of the previous daily closing, then the monthly and yearly closings that became due, in that order.
    pub fn close_day(&self) -> Result<Vec<Closing>> {
        let mut out = self.close_earlier_days()?;
        out.extend(self.make_day(None)?);
        out.extend(self.close_periods()?);
        Ok(out)
    }

    /// What a start closes by itself: each earlier day (Europe/Paris) with sales or refunds and no closing, cut at
    /// its midnight, then the months and years that ended.
    pub fn close_due(&self) -> Result<Vec<Closing>> {
        let mut out = self.close_earlier_days()?;
        out.extend(self.close_periods()?);
        Ok(out)
    }

    /// One daily closing per earlier day left open: from the first money entry not closed yet, the day it belongs
    /// to is closed at its midnight, and so on until today.
    fn close_earlier_days(&self) -> Result<Vec<Closing>> {
        let ledger = self.ledger();
        let mut out = Vec::new();
        let today = self.now().with_timezone(&Paris).date_naive();
        for _ in 0..366 {
            let closed_to = ledger
                .closings()
                .map_err(TillError::from_ledger)?
                .iter()
                .rev()
                .find(|(_, c)| c.kind == ClosingKind::Day)
                .map_or(0, |(_, c)| c.last_seq);
            let Some(first) = ledger
                .first_money_entry_after(closed_to)
                .map_err(TillError::from_ledger)?
            else {
                break;
            };
            let day = first.with_timezone(&Paris).date_naive();
            if day >= today {
                break;
            }
            let Some(end) = day.succ_opt().map(super::logic::paris_midnight) else {
                break;
            };
            match self.make_day(Some(end))? {
                Some(c) => {
                    tracing::info!(day = %c.label, "closed a day left open");
                    out.push(c);
                }
                None => break,
            }
        }
        Ok(out)
    }

    /// The closings made, oldest first, of one kind or all.
    pub fn closing_list(&self, kind: Option<ClosingKind>) -> Result<Vec<ClosingRow>> {
        let ledger = self.ledger();
        let mut out = Vec::new();
        for (seq, closing) in ledger.closings().map_err(TillError::from_ledger)? {
            if kind.is_some_and(|k| k != closing.kind) {
                continue;
            }
            let seal = ledger.seal_of(seq).map_err(TillError::from_ledger)?;
            out.push(ClosingRow {
                closing,
                seq,
                key_id: seal.as_ref().map(|s| s.0.clone()),
                signature: seal.map(|s| s.1),
            });
        }
        Ok(out)
    }

    /// The Z report of closing `number` of `kind` (the last one of that kind when `None`), as a PDF in `lang`.
    pub fn z_report(
        &self,
        kind: ClosingKind,
        number: Option<i64>,
        lang: crate::i18n::Lang,
    ) -> Result<(ClosingRow, Vec<u8>)> {
        let rows = self.closing_list(Some(kind))?;
        let row = match number {
            None => rows.last(),
            Some(n) => rows.iter().find(|r| r.closing.number == n),
        }
        .cloned()
        .ok_or(TillError::NoSuchClosing {
            kind: kind.code(),
            number,
        })?;
        let identity = self.till_identity()?;
        let pdf = crate::paper::z_report_pdf(&crate::paper::ZReport {
            closing: &row.closing,
            seq: row.seq,
            signature: row.signature.as_deref(),
            key_id: row.key_id.as_deref(),
            shop: identity.shop.as_deref(),
            address: identity.address.as_deref(),
            lang,
            printed_at: self.now(),
        });
        Ok((row, pdf))
    }

    /// What the daily closing would be now, without making it: the totals the operator confirms first.
    pub fn preview_day(&self) -> Result<Closing> {
        self.compute_day(None)?
            .map(|(c, _)| c)
            .ok_or_else(|| TillError::Config("the day's totals could not be computed".into()))
    }

    /// The daily closing from the previous one to the journal's head, or to the last entry before `cut` (a
    /// midnight), and the head it was computed at. `None` when a cut closing has nothing to close (another process
    /// closed that day first).
    fn compute_day(&self, cut: Option<DateTime<Utc>>) -> Result<Option<(Closing, i64)>> {
        let ledger = self.ledger();
        let head = ledger
            .head()
            .map_err(TillError::from_ledger)?
            .map_or(0, |h| h.0);
        let closings = ledger.closings().map_err(TillError::from_ledger)?;
        let previous = closings
            .iter()
            .rev()
            .find(|(_, c)| c.kind == ClosingKind::Day)
            .map(|(_, c)| c.clone());
        let first_seq = previous.as_ref().map_or(1, |c| c.last_seq + 1);
        let last_seq = match cut {
            None => head,
            Some(at) => ledger
                .last_seq_before(at)
                .map_err(TillError::from_ledger)?
                .unwrap_or(0),
        };
        if cut.is_some()
            && ledger
                .first_money_entry_after(first_seq - 1)
                .map_err(TillError::from_ledger)?
                .is_none_or(|at| cut.is_some_and(|c| at >= c))
        {
            return Ok(None);
        }
        let head_hash = ledger
            .hash_of(last_seq)
            .map_err(TillError::from_ledger)?
            .unwrap_or_default();
        let mut flow = MoneyFlow::default();
        let mut moves: Vec<Movement> = Vec::new();
        let mut first_at = None;
        ledger
            .for_each_entry(last_seq, |seq, at, event| {
                let moved = flow.step(seq, event);
                if seq < first_seq || matches!(event, Event::ClosingMade { .. }) {
                    return;
                }
                if let Some(m) = moved {
                    moves.push(m);
                }
                first_at.get_or_insert(at);
            })
            .map_err(TillError::from_ledger)?;
        let now = self.now();
        let totals = totals(&moves);
        let (perpetual, absolute) = previous.as_ref().map_or((0, 0), |c| {
            (c.perpetual_total_cents, c.perpetual_absolute_total_cents)
        });
        let identity = self.till_identity()?;
        let closing = Closing {
            kind: ClosingKind::Day,
            number: previous.as_ref().map_or(1, |c| c.number + 1),
            till: identity.code,
            till_uuid: identity.uuid,
            // A cut closing is its day's; the operator's closing is today's.
            label: match cut {
                Some(end) => paris_day(end - chrono::Duration::milliseconds(1)),
                None => paris_day(now),
            },
            from: previous.as_ref().map(|c| c.to).or(first_at).unwrap_or(now),
            to: cut.unwrap_or(now),
            first_seq,
            last_seq,
            period_total_cents: totals.net_cents(),
            perpetual_total_cents: perpetual + totals.net_cents(),
            perpetual_absolute_total_cents: absolute + totals.absolute_cents(),
            totals,
            head_hash,
            previous: previous.map(|c| c.number),
        };
        Ok(Some((closing, head)))
    }

    /// The daily closing from the previous one to now, or to the midnight `cut` (nothing when another process
    /// closed that day first).
    fn make_day(&self, cut: Option<DateTime<Utc>>) -> Result<Option<Closing>> {
        // Another writer may append between the reading and the closing: then the closing is computed again.
        for _ in 0..5 {
            let Some((closing, head)) = self.compute_day(cut)? else {
                return Ok(None);
            };
            let written = self
                .ledger()
                .append_at_head(
                    self.operator(),
                    &Event::ClosingMade {
                        closing: closing.clone(),
                    },
                    head,
                )
                .map_err(TillError::from_ledger)?;
            if written.is_some() {
                tracing::info!(number = closing.number, label = %closing.label, "daily closing made");
                return Ok(Some(closing));
            }
        }
        Err(TillError::Ledger(crate::ledger::LedgerError::Locked))
    }

    /// The monthly closings of the months that ended (summing their days), then the fiscal years that ended
    /// (summing their months).
    fn close_periods(&self) -> Result<Vec<Closing>> {
        self.close_periods_attempt(0)
    }

    fn close_periods_attempt(&self, attempt: u32) -> Result<Vec<Closing>> {
        let ledger = self.ledger();
        // Each closing is written only if the journal still ends where it was read.
        let mut head = ledger
            .head()
            .map_err(TillError::from_ledger)?
            .map_or(0, |h| h.0);
        let start_month: u32 = ledger
            .setting(keys::FISCAL_YEAR_START_MONTH)
            .map_err(TillError::from_ledger)?
            .and_then(|v| v.parse().ok())
            .filter(|m| (1..=12).contains(m))
            .unwrap_or(1);
        let now = self.now().with_timezone(&Paris);
        let this_month = format!("{}-{:02}", now.year(), now.month());
        let this_year = fiscal_year(&this_month, start_month).unwrap_or_default();
        let mut out = Vec::new();
        for (kind, below, group, current) in [
            (ClosingKind::Month, ClosingKind::Day, 0u8, this_month),
            (ClosingKind::Year, ClosingKind::Month, 1u8, this_year),
        ] {
            let closings: Vec<Closing> = ledger
                .closings()
                .map_err(TillError::from_ledger)?
                .into_iter()
                .map(|(_, c)| c)
                .collect();
            let made: Vec<&Closing> = closings.iter().filter(|c| c.kind == kind).collect();
            let mut number = made.last().map_or(0, |c| c.number);
            let mut previous = made.last().map(|c| c.number);
            let period_of = |c: &Closing| -> Option<String> {
                let month = c.label.get(..7)?.to_string();
                if group == 0 {
                    Some(month)
                } else {
                    fiscal_year(&month, start_month)
                }
            };
            let mut periods: Vec<String> = closings
                .iter()
                .filter(|c| c.kind == below)
                .filter_map(period_of)
                .collect();
            periods.dedup();
            for period in periods {
                if period >= current || made.iter().any(|c| c.label == period) {
                    continue;
                }
                let parts: Vec<&Closing> = closings
                    .iter()
                    .filter(|c| c.kind == below && period_of(c).as_deref() == Some(period.as_str()))
                    .collect();
                number += 1;
                let Some(closing) = summed(kind, number, period.clone(), &parts, previous) else {
                    continue;
                };
                let written = ledger
                    .append_at_head(
                        self.operator(),
                        &Event::ClosingMade {
                            closing: closing.clone(),
                        },
                        head,
                    )
                    .map_err(TillError::from_ledger)?;
                if written.is_none() {
                    // Another process wrote meanwhile (perhaps this very closing): read everything again.
                    return if attempt < 5 {
                        let mut again = out;
                        again.extend(self.close_periods_attempt(attempt + 1)?);
                        Ok(again)
                    } else {
                        Err(TillError::Ledger(crate::ledger::LedgerError::Locked))
                    };
                }
                head += 1;
                tracing::info!(kind = kind.code(), label = %period, "closing made");
                previous = Some(number);
                out.push(closing);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fiscal_year_is_named_by_the_year_it_starts_in() {
        assert_eq!(fiscal_year("2026-11", 1).as_deref(), Some("2026"));
        assert_eq!(fiscal_year("2026-03", 4).as_deref(), Some("2025-04"));
        assert_eq!(fiscal_year("2026-04", 4).as_deref(), Some("2026-04"));
        assert_eq!(fiscal_year("nonsense", 1), None);
    }
}
