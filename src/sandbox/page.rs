//! The Bimpli CADO hosted payment page at the checkout's `redirectUrl`: up to three gift cards and, when the
//! checkout allows it, a Visa or Mastercard for the remainder. A plain HTML form (no JavaScript needed) posted to
//! its own URL; a small script shows the remaining amount live.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as AxState};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

use super::model::{
    CardKind, Checkout, CheckoutStatus, Event, PayStatus, Payment, State, TestCard, now_ms,
    test_card,
};
use super::server::App;

const TEMPLATE: &str = include_str!("../../assets/sandbox/page.html");
const CSS: &str = include_str!("../../assets/sandbox/page.css");
const JS: &str = include_str!("../../assets/sandbox/page.js");

/// The page's language: French for French locales, English otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Fr,
    En,
}

impl Lang {
    fn of(c: &Checkout) -> Lang {
        match &c.locale {
            Some(l) if l.to_ascii_lowercase().starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    fn t(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

/// Why a payment attempt did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    NothingEntered,
    CardNeeded,
    SameCardTwice,
    NotCovered,
    UnknownGiftCard,
    UnknownCard,
    WrongExpiry,
    Expired,
    WrongCvv,
    NoBalance,
    Declined,
}

impl Refusal {
    fn text(self, lang: Lang) -> &'static str {
        match self {
            Refusal::NothingEntered => lang.t(
                "Saisissez au moins une carte.",
                "Enter at least one card.",
            ),
            Refusal::CardNeeded => lang.t(
                "Les cartes cadeaux ne couvrent pas tout le montant : saisissez une carte bancaire pour le reste.",
                "The gift cards do not cover the whole amount: enter a bank card for the remainder.",
            ),
            Refusal::SameCardTwice => lang.t(
                "La même carte cadeau a été saisie deux fois.",
                "The same gift card was entered twice.",
            ),
            Refusal::NotCovered => lang.t(
                "Paiement refusé : les cartes cadeaux ne couvrent pas le montant.",
                "Payment declined: the gift cards do not cover the amount.",
            ),
            Refusal::UnknownGiftCard => lang.t(
                "Paiement refusé : ce n'est pas une carte Bimpli CADO valide.",
                "Payment declined: this is not a valid Bimpli CADO card.",
            ),
            Refusal::UnknownCard => lang.t(
                "Paiement refusé : carte bancaire inconnue.",
                "Payment declined: unknown bank card.",
            ),
            Refusal::WrongExpiry => lang.t(
                "Paiement refusé : date d'expiration incorrecte.",
                "Payment declined: wrong expiry date.",
            ),
            Refusal::Expired => lang.t("Paiement refusé : carte expirée.", "Payment declined: the card has expired."),
            Refusal::WrongCvv => lang.t(
                "Paiement refusé : cryptogramme incorrect.",
                "Payment declined: wrong security code.",
            ),
            Refusal::NoBalance => lang.t(
                "Paiement refusé : le solde de la carte cadeau est épuisé.",
                "Payment declined: the gift card has no balance left.",
            ),
            Refusal::Declined => lang.t(
                "Paiement refusé par la banque.",
                "Payment declined by the bank.",
            ),
        }
    }

    fn code(self) -> &'static str {
        match self {
            Refusal::UnknownGiftCard | Refusal::UnknownCard => "UNKNOWN_CARD",
            Refusal::WrongExpiry => "INVALID_EXPIRY_DATE",
            Refusal::Expired => "CARD_EXPIRED",
            Refusal::WrongCvv => "INVALID_CVV",
            Refusal::NoBalance => "INSUFFICIENT_FUNDS",
            _ => "DECLINED",
        }
    }
}

/// French or English money: `42,50 €` / `€42.50`.
fn money(cents: i64, lang: Lang) -> String {
    let (e, c) = (cents / 100, (cents % 100).abs());
    match lang {
        Lang::Fr => format!("{e},{c:02}\u{a0}€"),
        Lang::En => format!("€{e}.{c:02}"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

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
    let Some(c) = st.checkouts.get(checkout_id).cloned() else {
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
        st.payments.insert(p.base.clone(), p);
    }
    let Some(c) = st.checkouts.get_mut(checkout_id) else {
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
    let Some(c) = st.checkouts.get(checkout_id).cloned() else {
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
        st.balances.insert(tc.number.to_string(), b);
        tenders.push(p.base.clone());
        events.push(Event::Payment {
            kind: "payment.captured",
            base: p.base.clone(),
        });
        st.payments.insert(p.base.clone(), p);
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
        st.payments.insert(p.base.clone(), p);
    }
    if let Some(c) = st.checkouts.get_mut(checkout_id) {
        c.tenders = tenders;
        c.status = CheckoutStatus::PaymentCreated;
    }
    Outcome::Done
}

fn html(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn render(lang: Lang, title: &str, content: &str) -> String {
    TEMPLATE
        .replace("{{css}}", CSS)
        .replace("{{js}}", JS)
        .replace("{{lang}}", lang.t("fr", "en"))
        .replace("{{title}}", &escape(title))
        .replace(
            "{{subtitle}}",
            lang.t("Paiement par carte cadeau", "Gift card payment"),
        )
        .replace(
            "{{footer}}",
            lang.t(
                "Environnement de test : aucune somme réelle n'est débitée.",
                "Test environment: no real money moves.",
            ),
        )
        .replace("{{content}}", content)
}

fn field(name: &str, label: &str, value: &str, class: &str, autocomplete: &str) -> String {
    format!(
        r#"<label class="{class}">{label}<input name="{name}" value="{}" autocomplete="{autocomplete}" inputmode="numeric"></label>"#,
        escape(value)
    )
}

fn form_page(
    st: &State,
    c: &Checkout,
    refusal: Option<Refusal>,
    form: &HashMap<String, String>,
) -> String {
    let lang = Lang::of(c);
    let value = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut out = String::new();
    out.push_str(&format!(
        r#"<section class="summary"><div><div class="ref">{}</div><div class="ref">{}</div></div><div class="amount">{}</div></section>"#,
        lang.t("Montant à payer", "Amount to pay"),
        escape(&c.merchant_reference),
        money(c.amount, lang)
    ));
    if let Some(r) = refusal {
        let left = c.allowed_attempts - c.failed_attempts;
        out.push_str(&format!(
            r#"<div class="error" role="alert">{}<br><small>{} {left}</small></div>"#,
            r.text(lang),
            lang.t("Tentatives restantes :", "Attempts left:"),
        ));
    }
    let balances: Vec<String> = super::model::TEST_CARDS
        .iter()
        .filter(|t| t.kind == CardKind::GiftCard)
        .map(|t| format!("\"{}\":{}", t.number, st.balance(t)))
        .collect();
    out.push_str(&format!(
        r#"<form id="pay-form" method="post" action="/hostedcheckout/{}" data-amount="{}" data-complete-remaining="{}" data-balances="{}">"#,
        escape(&c.id),
        c.amount,
        c.complete_remaining,
        escape(&format!("{{{}}}", balances.join(",")))
    ));
    for i in 1..=3 {
        out.push_str(&format!(
            r#"<fieldset><legend>{} {i}</legend><div class="row">{}{}{}</div></fieldset>"#,
            lang.t("Carte Bimpli CADO", "Bimpli CADO card"),
            field(
                &format!("giftcard{i}_number"),
                lang.t("Numéro de carte", "Card number"),
                &value(&format!("giftcard{i}_number")),
                "number",
                "off"
            ),
            field(
                &format!("giftcard{i}_expiry"),
                lang.t("Expiration (MM/AA)", "Expiry (MM/YY)"),
                &value(&format!("giftcard{i}_expiry")),
                "",
                "off"
            ),
            field(
                &format!("giftcard{i}_cvv"),
                lang.t("Cryptogramme", "Security code"),
                "",
                "",
                "off"
            ),
        ));
    }
    out.push_str(&format!(
        r#"<div id="remaining" class="remaining hidden"><span>{}</span><strong id="remaining-amount"></strong></div>"#,
        lang.t("Reste à payer par carte bancaire", "Left to pay by bank card")
    ));
    if c.complete_remaining {
        out.push_str(&format!(
            r#"<fieldset id="card-section"><legend>{}</legend><p class="note">{}</p><div class="row">{}{}{}</div></fieldset>"#,
            lang.t("Carte bancaire (Visa, Mastercard)", "Bank card (Visa, Mastercard)"),
            lang.t(
                "Seulement si les cartes cadeaux ne couvrent pas tout le montant.",
                "Only if the gift cards do not cover the whole amount.",
            ),
            field("card_number", lang.t("Numéro de carte", "Card number"), &value("card_number"), "number", "cc-number"),
            field("card_expiry", lang.t("Expiration (MM/AA)", "Expiry (MM/YY)"), &value("card_expiry"), "", "cc-exp"),
            field("card_cvv", lang.t("Cryptogramme", "Security code"), "", "", "cc-csc"),
        ));
    } else {
        out.push_str(&format!(
            r#"<p class="note">{}</p>"#,
            lang.t(
                "Les cartes cadeaux doivent couvrir tout le montant.",
                "The gift cards must cover the whole amount.",
            )
        ));
    }
    out.push_str(&format!(
        // Pay comes first in the document so that Enter in a field pays (a browser submits with the first button);
        // the stylesheet shows Cancel on the left.
        r#"<div class="actions"><button class="pay" type="submit" name="action" value="pay">{} {}</button><button class="cancel" type="submit" name="action" value="cancel">{}</button></div></form>"#,
        lang.t("Payer", "Pay"),
        money(c.amount, lang),
        lang.t("Annuler", "Cancel"),
    ));
    render(
        lang,
        lang.t("Paiement Bimpli CADO", "Bimpli CADO payment"),
        &out,
    )
}

fn result_page(c: &Checkout) -> String {
    let lang = Lang::of(c);
    let (class, title, text) = match c.status {
        CheckoutStatus::PaymentCreated => (
            "result ok",
            lang.t("Paiement accepté", "Payment accepted"),
            lang.t(
                "Merci, votre paiement est enregistré.",
                "Thank you, your payment is recorded.",
            ),
        ),
        CheckoutStatus::CancelledByConsumer => (
            "result",
            lang.t("Paiement annulé", "Payment cancelled"),
            lang.t("Aucune somme n'a été débitée.", "Nothing was charged."),
        ),
        CheckoutStatus::InProgress => (
            "result",
            lang.t("Paiement en cours", "Payment in progress"),
            "",
        ),
    };
    let content = format!(
        r#"<section class="{class}"><h1>{title}</h1><p>{text}</p><p class="note">{} {}</p></section>"#,
        lang.t("Référence :", "Reference:"),
        escape(&c.merchant_reference)
    );
    render(lang, title, &content)
}

/// Where the customer goes when the checkout is over: the merchant's returnUrl with `RETURNMAC` and
/// `hostedCheckoutId`, or the result page.
fn finish(c: &Checkout) -> Response {
    if let Some(url) = &c.return_url
        && let Ok(mut u) = reqwest::Url::parse(url)
    {
        u.query_pairs_mut()
            .append_pair("RETURNMAC", &c.returnmac)
            .append_pair("hostedCheckoutId", &c.id);
        if let Ok(v) = HeaderValue::from_str(u.as_str()) {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            r.headers_mut().insert(header::LOCATION, v);
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return r;
        }
    }
    html(StatusCode::OK, result_page(c))
}

fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        render(
            Lang::En,
            "Not found",
            r#"<section class="result"><h1>Session not found</h1><p>This payment session does not exist.</p></section>"#,
        ),
    )
}

/// `GET|POST /hostedcheckout/{hostedCheckoutId}`.
pub(crate) async fn page(
    AxState(app): AxState<Arc<App>>,
    Path(id): Path<String>,
    method: Method,
    body: Bytes,
) -> Response {
    let mut st = app.settled();
    let Some(c) = st.checkouts.get(&id).cloned() else {
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
                    if let Some(c) = st.checkouts.get_mut(&id) {
                        c.status = CheckoutStatus::CancelledByConsumer;
                    }
                    Outcome::Done
                }
                _ => pay(&mut st, &id, &form, now, &mut events),
            };
            if app.commit(&st, events).is_err() {
                return html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Erreur</title><p>Le paiement n'a pas pu être enregistré. Réessayez.</p>"
                        .to_string(),
                );
            }
            let Some(c) = st.checkouts.get(&id).cloned() else {
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

    #[test]
    fn money_in_both_languages() {
        assert_eq!(money(4250, Lang::Fr), "42,50\u{a0}€");
        assert_eq!(money(5, Lang::En), "€0.05");
    }
}
