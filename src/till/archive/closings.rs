//! An archive's closings checked against what they cover: each day recomputed from its entries' movements, each
//! month and year summed from the closings below it, each against the one before it of its kind.

use std::collections::BTreeMap;

use crate::domain::closing::{Closing, ClosingKind, PeriodTotals};

use super::ArchiveError;
use super::format::{ClosingLine, Manifest, Opening};
use super::write::closing_days;

type Check<T> = Result<T, ArchiveError>;

fn differs(
    c: &Closing,
    field: &'static str,
    recorded: impl ToString,
    recomputed: impl ToString,
) -> ArchiveError {
    ArchiveError::ClosingDiffers {
        kind: c.kind.code(),
        number: c.number,
        label: c.label.clone(),
        field,
        recorded: recorded.to_string(),
        recomputed: recomputed.to_string(),
    }
}

/// Compares one figure.
fn same<T: PartialEq + std::fmt::Debug>(
    c: &Closing,
    field: &'static str,
    recorded: T,
    recomputed: T,
) -> Check<()> {
    if recorded == recomputed {
        Ok(())
    } else {
        Err(differs(
            c,
            field,
            format!("{recorded:?}"),
            format!("{recomputed:?}"),
        ))
    }
}

fn same_totals(c: &Closing, t: &PeriodTotals) -> Check<()> {
    let r = &c.totals;
    same(c, "salesCount", r.sales_count, t.sales_count)?;
    same(c, "refundsCount", r.refunds_count, t.refunds_count)?;
    same(c, "paymentsCents", r.payments_cents, t.payments_cents)?;
    same(c, "refundsCents", r.refunds_cents, t.refunds_cents)?;
    same(c, "absoluteCents", r.absolute_cents, t.absolute_cents)?;
    same(c, "byTender", &r.by_tender, &t.by_tender)?;
    same(c, "periodTotalCents", c.period_total_cents, t.net_cents())
}

/// Each closing against its predecessor of the same kind and against what it sums.
pub(super) fn check_closings(
    manifest: &Manifest,
    opening: &Opening,
    closings: &[ClosingLine],
    day_totals: &[Option<PeriodTotals>],
    hashes: &BTreeMap<i64, Option<String>>,
) -> Check<()> {
    let mut previous: BTreeMap<&str, &Closing> = opening
        .previous_closings
        .iter()
        .map(|l| (l.closing.kind.code(), &l.closing))
        .collect();
    for (i, line) in closings.iter().enumerate() {
        let c = &line.closing;
        same(c, "till", c.till.as_str(), manifest.till.code.as_str())?;
        same(
            c,
            "tillUuid",
            c.till_uuid.as_str(),
            manifest.till.uuid.as_str(),
        )?;
        let days =
            closing_days(c).ok_or_else(|| differs(c, "label", &c.label, "a day, month or year"))?;
        if days.0 < manifest.period.from || days.1 > manifest.period.to {
            return Err(differs(
                c,
                "label",
                &c.label,
                "a period inside the archive's",
            ));
        }
        let prev = previous.get(c.kind.code()).copied();
        same(c, "number", c.number, prev.map_or(1, |p| p.number + 1))?;
        same(c, "previous", c.previous, prev.map(|p| p.number))?;
        let head = hashes.get(&c.last_seq).cloned().flatten();
        match c.kind {
            ClosingKind::Day => {
                let t = day_totals[i]
                    .as_ref()
                    .ok_or_else(|| differs(c, "lastSeq", c.last_seq, "an entry in the archive"))?;
                same_totals(c, t)?;
                let (perpetual, absolute, last) = prev.map_or((0, 0, 0), |p| {
                    (
                        p.perpetual_total_cents,
                        p.perpetual_absolute_total_cents,
                        p.last_seq,
                    )
                });
                same(c, "firstSeq", c.first_seq, last + 1)?;
                if let Some(p) = prev {
                    same(c, "from", c.from, p.to)?;
                }
                same(
                    c,
                    "perpetualTotalCents",
                    c.perpetual_total_cents,
                    perpetual + t.net_cents(),
                )?;
                same(
                    c,
                    "perpetualAbsoluteTotalCents",
                    c.perpetual_absolute_total_cents,
                    absolute + t.absolute_cents,
                )?;
                // The head hash of a closing covering nothing in the archive is the opening's link.
                let head = head.or_else(|| {
                    (c.last_seq == opening.before_seq).then(|| opening.prev_hash.clone())
                });
                same(c, "headHash", Some(c.head_hash.clone()), head)?;
            }
            ClosingKind::Month | ClosingKind::Year => {
                let below = if c.kind == ClosingKind::Month {
                    ClosingKind::Day
                } else {
                    ClosingKind::Month
                };
                let parts: Vec<&Closing> = closings[..i]
                    .iter()
                    .map(|l| &l.closing)
                    .filter(|p| {
                        p.kind == below
                            && closing_days(p).is_some_and(|(f, t)| f >= days.0 && t <= days.1)
                    })
                    .collect();
                let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
                    return Err(differs(
                        c,
                        "parts",
                        "a sum",
                        "no closing below it in the archive",
                    ));
                };
                same_totals(c, &PeriodTotals::sum(parts.iter().map(|p| &p.totals)))?;
                same(c, "firstSeq", c.first_seq, first.first_seq)?;
                same(c, "lastSeq", c.last_seq, last.last_seq)?;
                same(c, "from", c.from, first.from)?;
                same(c, "to", c.to, last.to)?;
                same(
                    c,
                    "perpetualTotalCents",
                    c.perpetual_total_cents,
                    last.perpetual_total_cents,
                )?;
                same(
                    c,
                    "perpetualAbsoluteTotalCents",
                    c.perpetual_absolute_total_cents,
                    last.perpetual_absolute_total_cents,
                )?;
                same(c, "headHash", c.head_hash.as_str(), last.head_hash.as_str())?;
            }
        }
        previous.insert(c.kind.code(), c);
    }
    Ok(())
}
