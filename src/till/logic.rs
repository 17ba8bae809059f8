//! The till's rules as pure functions of their inputs (time included): input validation, the refund allocation and
//! the watch schedule. States and their platform codes live in [`crate::domain::state`].

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;

use crate::domain::{Amount, PRODUCT_CADO};

/// The hosted page's default session timeout (the platform's default, 180 minutes).
pub const DEFAULT_SESSION_TIMEOUT_MINUTES: i64 = 180;

/// Longest merchant reference the platform takes.
pub const MAX_REFERENCE_LEN: usize = 40;

/// Longest refund reason the platform takes.
pub const MAX_REASON_LEN: usize = 100;

/// Longest return URL the platform takes.
pub const MAX_RETURN_URL_LEN: usize = 200;

/// The watch schedule: how long to wait before the next reading of something `age` old.
/// Every 2 s for the first minute, 10 s up to 5 min, 60 s up to the session timeout, then every 15 min for 24 h;
/// `None` after that (the daily reconciliation takes over). Each consecutive failure (5xx, timeout) doubles the
/// wait, up to 15 min.
pub fn poll_delay(age: Duration, session_timeout: Duration, failures: u32) -> Option<Duration> {
    let base = if age < Duration::minutes(1) {
        Duration::seconds(2)
    } else if age < Duration::minutes(5) {
        Duration::seconds(10)
    } else if age < session_timeout {
        Duration::seconds(60)
    } else if age < session_timeout + Duration::hours(24) {
        Duration::minutes(15)
    } else {
        return None;
    };
    if failures == 0 {
        return Some(base);
    }
    let factor = 1i32 << failures.min(9);
    let backed = base * factor;
    Some(backed.min(Duration::minutes(15)).max(base))
}

/// The next reading's time, or `None` when watching is over.
pub fn next_poll_at(
    created_at: DateTime<Utc>,
    last_poll: Option<DateTime<Utc>>,
    session_timeout: Duration,
    failures: u32,
) -> Option<DateTime<Utc>> {
    let from = last_poll.unwrap_or(created_at);
    let delay = poll_delay(from - created_at, session_timeout, failures)?;
    Some(if last_poll.is_none() {
        created_at
    } else {
        from + delay
    })
}

/// One tender as the refund allocation sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    /// The tender.
    pub payment_id: String,
    /// Its product.
    pub product_id: i32,
    /// Its place in the checkout (1 = first paid).
    pub position: i64,
    /// What can still be refunded on it.
    pub refundable: Amount,
}

/// Why an amount cannot be allocated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllocationError {
    /// More than the tenders have left, in total.
    TooMuch {
        /// What is left on the checkout.
        left: Amount,
    },
    /// An override names a tender that is not in the checkout.
    UnknownTender(String),
    /// An override asks more than that tender has left.
    OverrideTooMuch {
        /// The tender.
        payment_id: String,
        /// What is left on it.
        left: Amount,
    },
}

/// Splits an order-level refund across tenders. Tenders fixed by `overrides` take exactly their amount; the rest
/// follows the default order: the card that paid the remainder first (money back on the customer's bank card),
/// then the gift cards from the last paid to the first. Tenders with nothing allocated are left out.
pub fn allocate(
    tenders: &[Refundable],
    amount: Amount,
    overrides: &[(String, Amount)],
) -> Result<Vec<(String, Amount)>, AllocationError> {
    let total_left: Amount = tenders.iter().map(|t| t.refundable).sum();
    if amount > total_left {
        return Err(AllocationError::TooMuch { left: total_left });
    }
    let mut out: Vec<(String, Amount)> = Vec::new();
    let mut remaining = amount;
    for (payment_id, a) in overrides {
        let Some(t) = tenders.iter().find(|t| &t.payment_id == payment_id) else {
            return Err(AllocationError::UnknownTender(payment_id.clone()));
        };
        if *a > t.refundable {
            return Err(AllocationError::OverrideTooMuch {
                payment_id: payment_id.clone(),
                left: t.refundable,
            });
        }
        let Some(r) = remaining.checked_sub(*a) else {
            return Err(AllocationError::TooMuch { left: remaining });
        };
        remaining = r;
        if a.cents() > 0 {
            out.push((payment_id.clone(), *a));
        }
    }
    let mut order: Vec<&Refundable> = tenders
        .iter()
        .filter(|t| !overrides.iter().any(|(p, _)| p == &t.payment_id))
        .collect();
    order.sort_by_key(|t| (t.product_id == PRODUCT_CADO, std::cmp::Reverse(t.position)));
    for t in order {
        if remaining.cents() == 0 {
            break;
        }
        let take = remaining.min(t.refundable);
        if take.cents() > 0 {
            out.push((t.payment_id.clone(), take));
            remaining = remaining.saturating_sub(take);
        }
    }
    if remaining.cents() > 0 {
        return Err(AllocationError::TooMuch {
            left: amount.saturating_sub(remaining),
        });
    }
    Ok(out)
}

/// The generated order reference's prefix for a till and a day: `CD-T01-20261126-`. The till's code keeps two
/// tills of one shop from ever making the same reference.
pub fn reference_prefix(till: &str, now: DateTime<Utc>) -> String {
    format!("CD-{till}-{}-", now.with_timezone(&Paris).format("%Y%m%d"))
}

/// Checks a merchant reference typed by a person: 1–40 letters, digits, `-`, `_` or `.` (what the error says). No
/// spaces, no formula characters (`=`, `+`, `@`), nothing that a spreadsheet or a log could take for something else.
pub fn valid_reference(r: &str) -> bool {
    !r.is_empty()
        && r.len() <= MAX_REFERENCE_LEN
        && r.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The first and last day of a period, in order. `None` when the first comes after the last.
pub fn ordered_days(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    (from <= to).then_some((from, to))
}

/// A day as the command line and the screens take it: `YYYY-MM-DD`, four digits for the year, from 1970 on (years
/// such as 0000 or -0001 are typing mistakes, never a shop's books).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    let shaped = t.len() == 10
        && t.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    let day = NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
    (shaped && day.year() >= 1970).then_some(day)
}

/// A plausible e-mail: one `@`, something before, a dot in the domain, no spaces, at most 254 characters.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute `http` or `https` URL of at most 200 characters.
pub fn valid_return_url(u: &str) -> bool {
    if u.len() > MAX_RETURN_URL_LEN || u.chars().any(|c| c.is_whitespace()) {
        return false;
    }
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/'))
}

/// The UTC instants `[from, to)` covering the local (Europe/Paris) days `from` to `to` inclusive.
pub fn local_days_to_utc(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        paris_midnight(from),
        paris_midnight(to.succ_opt().unwrap_or(to)),
    )
}

/// The next midnight in Europe/Paris after `now`: when a till left running closes the day that just ended.
pub fn next_paris_midnight(now: DateTime<Utc>) -> DateTime<Utc> {
    let today = now.with_timezone(&Paris).date_naive();
    paris_midnight(today.succ_opt().unwrap_or(today))
}

/// The first instant of day `d` in Europe/Paris.
pub(super) fn paris_midnight(d: NaiveDate) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    // Midnight always exists in Paris (changes happen at 2 or 3 am); `earliest` covers any other case.
    Paris
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

#[cfg(test)]
mod midnight_tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn the_next_paris_midnight_follows_the_clock_change() {
        // Winter: Paris is UTC+1.
        assert_eq!(
            next_paris_midnight(at("2026-11-29T11:00:00Z")),
            at("2026-11-29T23:00:00Z")
        );
        // 23:30 UTC is already the 30th in Paris.
        assert_eq!(
            next_paris_midnight(at("2026-11-29T23:30:00Z")),
            at("2026-11-30T23:00:00Z")
        );
        // Summer: UTC+2; the night of the change to winter time.
        assert_eq!(
            next_paris_midnight(at("2026-07-01T12:00:00Z")),
            at("2026-07-01T22:00:00Z")
        );
        assert_eq!(
            next_paris_midnight(at("2026-10-25T12:00:00Z")),
            at("2026-10-25T23:00:00Z")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    #[test]
    fn schedule() {
        let s = Duration::minutes(180);
        let check = |age_s: i64, failures: u32, expected: Option<i64>| {
            assert_eq!(
                poll_delay(Duration::seconds(age_s), s, failures).map(|d| d.num_seconds()),
                expected,
                "age {age_s}s failures {failures}"
            );
        };
        check(0, 0, Some(2));
        check(59, 0, Some(2));
        check(60, 0, Some(10));
        check(299, 0, Some(10));
        check(300, 0, Some(60));
        check(180 * 60 - 1, 0, Some(60));
        check(180 * 60, 0, Some(900));
        check(180 * 60 + 24 * 3600 - 1, 0, Some(900));
        check(180 * 60 + 24 * 3600, 0, None);
        check(0, 1, Some(4));
        check(0, 3, Some(16));
        check(300, 20, Some(900));
        let created = at("2026-11-26T10:00:00Z");
        assert_eq!(next_poll_at(created, None, s, 0), Some(created));
        assert_eq!(
            next_poll_at(created, Some(created + Duration::seconds(30)), s, 0),
            Some(created + Duration::seconds(32))
        );
    }

    fn r(p: &str, product: i32, position: i64, cents: i64) -> Refundable {
        Refundable {
            payment_id: p.into(),
            product_id: product,
            position,
            refundable: Amount::from_cents(cents).expect("amount"),
        }
    }

    fn a(cents: i64) -> Amount {
        Amount::from_cents(cents).expect("amount")
    }

    #[test]
    fn allocation_defaults_to_card_then_last_gift_card_first() {
        let tenders = [
            r("g1", 3103, 1, 5000),
            r("g2", 3103, 2, 2000),
            r("v", 1, 3, 1500),
        ];
        let check = |amount: i64,
                     overrides: &[(String, Amount)],
                     expected: Result<Vec<(&str, i64)>, AllocationError>| {
            let got = allocate(&tenders, a(amount), overrides);
            let expected = expected.map(|v| {
                v.into_iter()
                    .map(|(p, c)| (p.to_string(), a(c)))
                    .collect::<Vec<_>>()
            });
            assert_eq!(got, expected, "amount {amount}");
        };
        check(1000, &[], Ok(vec![("v", 1000)]));
        check(2500, &[], Ok(vec![("v", 1500), ("g2", 1000)]));
        check(8500, &[], Ok(vec![("v", 1500), ("g2", 2000), ("g1", 5000)]));
        check(8501, &[], Err(AllocationError::TooMuch { left: a(8500) }));
        check(3000, &[("g1".into(), a(3000))], Ok(vec![("g1", 3000)]));
        check(
            4000,
            &[("g1".into(), a(1000))],
            Ok(vec![("g1", 1000), ("v", 1500), ("g2", 1500)]),
        );
        check(
            100,
            &[("v".into(), a(1600))],
            Err(AllocationError::OverrideTooMuch {
                payment_id: "v".into(),
                left: a(1500),
            }),
        );
        check(
            100,
            &[("x".into(), a(1))],
            Err(AllocationError::UnknownTender("x".into())),
        );
    }

    #[test]
    fn validation() {
        assert!(valid_email("a@b.fr"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("a b@c.fr"));
        assert!(!valid_email("@c.fr"));
        assert!(valid_return_url("https://shop.example/back"));
        assert!(valid_return_url("http://127.0.0.1:8080/r"));
        assert!(!valid_return_url("shop.example/back"));
        assert!(!valid_return_url("https://"));
        assert!(valid_reference("CD-20261126-0001"));
        assert!(!valid_reference(&"x".repeat(41)));
        assert!(!valid_reference("café"));
        for bad in ["=1+1", "VENTE 42", "+33", "@cmd", "a/b", "x\ty"] {
            assert!(!valid_reference(bad), "{bad:?}");
        }
        assert!(valid_reference("VENTE-42_b.1"));
        let d = |s: &str| parse_day(s);
        assert_eq!(d("2026-11-30"), NaiveDate::from_ymd_opt(2026, 11, 30));
        for bad in [
            "0000-01-01",
            "-0001-01-01",
            "1969-12-31",
            "2026-1-30",
            "2026-02-30",
            "30/11/2026",
            "",
        ] {
            assert_eq!(d(bad), None, "{bad:?}");
        }
        let (a, b) = (d("2026-11-01").expect("day"), d("2026-11-30").expect("day"));
        assert_eq!(ordered_days(a, b), Some((a, b)));
        assert_eq!(ordered_days(b, a), None);
        assert_eq!(
            reference_prefix("T02", at("2026-11-26T23:30:00Z")),
            "CD-T02-20261127-"
        );
        let (f, t) = local_days_to_utc(
            NaiveDate::from_ymd_opt(2026, 11, 1).expect("d"),
            NaiveDate::from_ymd_opt(2026, 11, 30).expect("d"),
        );
        assert_eq!(f, at("2026-10-31T23:00:00Z"));
        assert_eq!(t, at("2026-11-30T23:00:00Z"));
    }
}
