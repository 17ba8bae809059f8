//! `GET|POST /hostedcheckout/{hostedCheckoutId}`: the Bimpli CADO hosted payment page at the checkout's
//! `redirectUrl`: up to three gift cards and, when the checkout allows it, a Visa or Mastercard for the remainder. A
//! plain HTML form (no JavaScript needed) posted to its own URL; a small script shows the remaining amount live. The
//! HTML is in `page_html`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::{Method, StatusCode};
use axum::response::Response;

use super::page_html::{Refusal, finish, form_page, html, not_found, result_page};
use crate::sandbox::app::App;
use crate::sandbox::cards::{CardKind, TestCard, test_card};
use crate::sandbox::model::{Checkout, CheckoutStatus, Event, PayStatus, Payment, State, now_ms};
use crate::sandbox::webhooks;

/// `MM/YY`, `MMYY`, `MM/YYYY` → `MMYY`.
fn normalise_expiry(s: &str) -> Option<String> {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let (mm, yy) = match digits.len() {
        4 => (&digits[..2], &digits[2..]),
        6 => (&digits[..2], &digits[4..]),
        _ => return None,
    };
    let m: u32 = mm.parse().ok()?;
    (1..=12).contains(&m).then(|| format!("{mm}{yy}"))
}

/// Whether a card valid through `mmyy` has expired at `now_ms`.
fn expired(mmyy: &str, now: i64) -> bool {
    let (Ok(m), Ok(y)) = (mmyy[..2].parse::<i32>(), mmyy[2..].parse::<i32>()) else {
        return true;
    };
    let Some(t) = chrono::DateTime::from_timestamp_millis(now) else {
        return false;
    };
    use chrono::Datelike as _;
    (2000 + y, m) < (t.year(), t.month() as i32)
}

/// Checks one entered card against the test cards.
fn check_card(
    number: &str,
    expiry: &str,
    cvv: &str,
    gift: bool,
    now: i64,
) -> Result<&'static TestCard, Refusal> {
    let unknown = if gift {
        Refusal::UnknownGiftCard
    } else {
        Refusal::UnknownCard
    };
    let card = test_card(number).ok_or(unknown)?;
    if (card.kind == CardKind::GiftCard) != gift {
        return Err(unknown);
    }
    if normalise_expiry(expiry).as_deref() != Some(card.expiry) {
        return Err(Refusal::WrongExpiry);
    }
    if expired(card.expiry, now) {
        return Err(Refusal::Expired);
    }
    if cvv.trim() != card.cvv {
        return Err(Refusal::WrongCvv);
    }
    if card.declined {
        return Err(Refusal::Declined);
    }
    Ok(card)
}

/// A card entered on the form.
struct Entered {
    number: String,
    expiry: String,
    cvv: String,
}

fn entered(form: &HashMap<String, String>, prefix: &str) -> Option<Entered> {
    let get = |k: &str| {
        form.get(&format!("{prefix}_{k}"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let number: String = get("number")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    (!number.is_empty()).then(|| Entered {
        number,
        expiry: get("expiry"),
        cvv: get("cvv"),
    })
}

/// What a POST of the form led to.
enum Outcome {
    /// Paid or ended: go back to the merchant.
    Done,
    /// Show the form again with this reason.
    Again(Refusal),
}

fn new_payment(
    st: &State,
    c: &Checkout,
    number: &str,
    expiry: &str,
    product_id: u32,
    amount: i64,
    now: i64,
) -> Payment {
    Payment {
        base: st.fresh_base(),
        checkout_id: c.id.clone(),
        product_id,
        card_number: number.to_string(),
        expiry: expiry.to_string(),
        amount,
        currency: c.currency.clone(),
        merchant_reference: c.merchant_reference.clone(),
        merchant_parameters: c.merchant_parameters.clone(),
        created_ms: now,
        status: PayStatus::Captured,
        status_ms: now,
        decline: None,
        capture_id: None,
        cancel_id: None,
        next_op: 0,
    }
}

/// Records a declined tender as a REJECTED payment and counts the attempt; ends the checkout when no attempt is
/// left.
fn decline(
    st: &mut State,
    checkout_id: &str,
    tender: Option<(&str, &str, u32, i64)>,
    refusal: Refusal,
    now: i64,
    events: &mut Vec<Event>,
) -> Outcome {
    let Some(c) = st.checkouts().get(checkout_id).cloned() else {
        return Outcome::Done;
    };
    let mut rejected = None;
    if let Some((number, expiry, product, amount)) = tender {
        let mut p = new_payment(
            st,
            &c,
            number,
            &normalise_expiry(expiry).unwrap_or_default(),
            product,
            amount,
            now,
        );
        p.status = PayStatus::Rejected;
        p.decline = Some(refusal.code().to_string());
        events.push(Event::Payment {
            kind: "payment.rejected",
            base: p.base.clone(),
        });
        rejected = Some(p.base.clone());
        st.add_payment(p);
    }
    let Some(c) = st.checkout_mut(checkout_id) else {
        return Outcome::Done;
    };
    if let Some(b) = rejected {
        c.rejected.push(b);
    }
    c.failed_attempts += 1;
    if c.failed_attempts >= c.allowed_attempts {
        c.status = CheckoutStatus::CancelledByConsumer;
        return Outcome::Done;
    }
    Outcome::Again(refusal)
}

fn bank_product(number: &str) -> u32 {
    if number.starts_with('5') || number.starts_with('2') {
        3
    } else {
        1
    }
}

/// One payment attempt from the form.
fn pay(
    st: &mut State,
    checkout_id: &str,
    form: &HashMap<String, String>,
    now: i64,
    events: &mut Vec<Event>,
) -> Outcome {
    let Some(c) = st.checkouts().get(checkout_id).cloned() else {
        return Outcome::Done;
    };
    let gifts: Vec<Entered> = (1..=3)
        .filter_map(|i| entered(form, &format!("giftcard{i}")))
        .collect();
    let card = entered(form, "card");
    if gifts.is_empty() && card.is_none() {
        return Outcome::Again(Refusal::NothingEntered);
    }
    for (i, g) in gifts.iter().enumerate() {
        if gifts[..i].iter().any(|h| h.number == g.number) {
            return Outcome::Again(Refusal::SameCardTwice);
        }
    }
    let mut remaining = c.amount;
    let mut plan: Vec<(&'static TestCard, &Entered, i64)> = Vec::new();
    for g in &gifts {
        let card = match check_card(&g.number, &g.expiry, &g.cvv, true, now) {
            Ok(card) => card,
            Err(r) => {
                return decline(
                    st,
                    checkout_id,
                    Some((&g.number, &g.expiry, 3103, remaining)),
                    r,
                    now,
                    events,
                );
            }
        };
        let balance = st.balance(card);
        if balance <= 0 {
            return decline(
                st,
                checkout_id,
                Some((&g.number, &g.expiry, 3103, remaining)),
                Refusal::NoBalance,
                now,
                events,
            );
        }
        let take = balance.min(remaining);
        if take > 0 {
            plan.push((card, g, take));
            remaining -= take;
        }
    }
    let mut bank: Option<(&'static TestCard, &Entered)> = None;
    if remaining > 0 {
        if !c.complete_remaining {
            return decline(st, checkout_id, None, Refusal::NotCovered, now, events);
        }
        let Some(k) = &card else {
            return Outcome::Again(Refusal::CardNeeded);
        };
        match check_card(&k.number, &k.expiry, &k.cvv, false, now) {
            Ok(tc) => bank = Some((tc, k)),
            Err(r) => {
                // The card remainder was refused: no gift card is debited (the whole purchase fails).
                let product = bank_product(&k.number);
                return decline(
                    st,
                    checkout_id,
                    Some((&k.number, &k.expiry, product, remaining)),
                    r,
                    now,
                    events,
                );
            }
        }
    }
    let mut tenders = Vec::new();
    for (tc, _, take) in plan {
        let p = new_payment(st, &c, tc.number, tc.expiry, 3103, take, now);
        let b = st.balance(tc) - take;
        st.set_balance(tc, b);
        tenders.push(p.base.clone());
        events.push(Event::Payment {
            kind: "payment.captured",
            base: p.base.clone(),
        });
        st.add_payment(p);
    }
    if let Some((tc, _)) = bank {
        let mut p = new_payment(
            st,
            &c,
            tc.number,
            tc.expiry,
            tc.kind.product_id(),
            remaining,
            now,
        );
        let kind = if c.card_needs_capture {
            p.status = PayStatus::PendingCapture;
            "payment.pending_capture"
        } else {
            "payment.captured"
        };
        tenders.push(p.base.clone());
        events.push(Event::Payment {
            kind,
            base: p.base.clone(),
        });
        st.add_payment(p);
    }
    if let Some(c) = st.checkout_mut(checkout_id) {
        c.tenders = tenders;
        c.status = CheckoutStatus::PaymentCreated;
    }
    Outcome::Done
}

/// `GET|POST /hostedcheckout/{hostedCheckoutId}`.
pub(crate) async fn page(
    AxState(app): AxState<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    body: Bytes,
) -> Response {
    let mut st = webhooks::settled(&app);
    let Some(c) = st.checkouts().get(&id).cloned() else {
        return not_found();
    };
    match method {
        Method::GET | Method::HEAD => {
            if c.status == CheckoutStatus::InProgress {
                html(StatusCode::OK, form_page(&st, &c, None, &HashMap::new()))
            } else {
                html(StatusCode::GONE, result_page(&c))
            }
        }
        Method::POST => {
            if c.status != CheckoutStatus::InProgress {
                return html(StatusCode::GONE, result_page(&c));
            }
            let form: HashMap<String, String> =
                serde_urlencoded::from_bytes(&body).unwrap_or_default();
            let now = now_ms();
            let mut events = Vec::new();
            let outcome = match form.get("action").map(String::as_str) {
                Some("cancel") => {
                    if let Some(c) = st.checkout_mut(&id) {
                        c.status = CheckoutStatus::CancelledByConsumer;
                    }
                    Outcome::Done
                }
                _ => pay(&mut st, &id, &form, now, &mut events),
            };
            if webhooks::commit(&app, &mut st, events, false).is_err() {
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Erreur</title><p>Le paiement n'a pas pu être enregistré. Réessayez.</p>"
                        .to_string(),
                );
            }
            let Some(c) = st.checkouts().get(&id).cloned() else {
                return not_found();
            };
            match outcome {
                Outcome::Done => finish(&c),
                Outcome::Again(r) => html(StatusCode::OK, form_page(&st, &c, Some(r), &form)),
            }
        }
        _ => html(StatusCode::METHOD_NOT_ALLOWED, result_page(&c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        assert_eq!(normalise_expiry("12/30").as_deref(), Some("1230"));
        assert_eq!(normalise_expiry("1230").as_deref(), Some("1230"));
        assert_eq!(normalise_expiry("12/2030").as_deref(), Some("1230"));
        assert_eq!(normalise_expiry("13/30"), None);
    }

    #[test]
    fn expiry_is_checked_against_the_month() {
        let jan_2026 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        assert!(expired("0124", jan_2026));
        assert!(!expired("0126", jan_2026));
        assert!(!expired("1230", jan_2026));
    }
}
