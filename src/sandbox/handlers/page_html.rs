//! The hosted page's HTML: the French or English form with the checkout's amount and the test cards' balances, the
//! refusal messages, the result page, and where the customer goes at the end.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::sandbox::cards::{CardKind, TEST_CARDS};
use crate::sandbox::model::{Checkout, CheckoutStatus, State};

const TEMPLATE: &str = include_str!("../../../assets/sandbox/page.html");
const CSS: &str = include_str!("../../../assets/sandbox/page.css");
const JS: &str = include_str!("../../../assets/sandbox/page.js");

/// The page's language: French for French locales, English otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lang {
    Fr,
    En,
}

impl Lang {
    pub(super) fn of(c: &Checkout) -> Lang {
        match &c.locale {
            Some(l) if l.to_ascii_lowercase().starts_with("fr") => Lang::Fr,
            _ => Lang::En,
        }
    }

    pub(super) fn t(self, fr: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

/// Why a payment attempt did not go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
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
    pub(super) fn text(self, lang: Lang) -> &'static str {
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

    pub(super) fn code(self) -> &'static str {
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
pub(super) fn money(cents: i64, lang: Lang) -> String {
    let (e, c) = (cents / 100, (cents % 100).abs());
    match lang {
        Lang::Fr => format!("{e},{c:02}\u{a0}€"),
        Lang::En => format!("€{e}.{c:02}"),
    }
}

pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub(super) fn html(status: StatusCode, body: String) -> Response {
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

pub(super) fn render(lang: Lang, title: &str, content: &str) -> String {
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

pub(super) fn field(
    name: &str,
    label: &str,
    value: &str,
    class: &str,
    autocomplete: &str,
) -> String {
    format!(
        r#"<label class="{class}">{label}<input name="{name}" value="{}" autocomplete="{autocomplete}" inputmode="numeric"></label>"#,
        escape(value)
    )
}

pub(super) fn form_page(
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
    let balances: Vec<String> = TEST_CARDS
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

pub(super) fn result_page(c: &Checkout) -> String {
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
pub(super) fn finish(c: &Checkout) -> Response {
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

pub(super) fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        render(
            Lang::En,
            "Not found",
            r#"<section class="result"><h1>Session not found</h1><p>This payment session does not exist.</p></section>"#,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_both_languages() {
        assert_eq!(money(4250, Lang::Fr), "42,50\u{a0}€");
        assert_eq!(money(5, Lang::En), "€0.05");
    }
}
