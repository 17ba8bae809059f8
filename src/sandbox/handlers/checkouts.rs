//! `POST hostedcheckouts` and `GET hostedcheckouts/{id}`.

use serde_json::{Value, json};

use crate::sandbox::model::{Checkout, CheckoutStatus, State};
use crate::sandbox::reply::{
    Reply, absolute_url, at, invalid, missing, opt_bool, opt_int, opt_str,
};
use crate::sandbox::wire;

/// `POST hostedcheckouts`: checks the request as the platform does and opens a session.
pub(super) fn create(st: &mut State, input: &Value, host: &str, now: i64) -> Result<Reply, Reply> {
    if at(input, "order").is_none() {
        return Err(missing("order"));
    }
    if at(input, "order.amountOfMoney").is_none() {
        return Err(missing("order.amountOfMoney"));
    }
    let Some(amount) = opt_int(input, "order.amountOfMoney.amount", 1, 999_999_999_999)? else {
        return Err(missing("order.amountOfMoney.amount"));
    };
    let Some(currency) = opt_str(input, "order.amountOfMoney.currencyCode", 3)? else {
        return Err(missing("order.amountOfMoney.currencyCode"));
    };
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(invalid(
            "order.amountOfMoney.currencyCode",
            "currencyCode must be an ISO 4217 code",
        ));
    }
    let product = opt_int(
        input,
        "redirectPaymentMethodSpecificInput.paymentProductId",
        0,
        99_999,
    )?;
    if let Some(p) = product
        && p != 3103
    {
        return Err(invalid(
            "redirectPaymentMethodSpecificInput.paymentProductId",
            "This platform offers payment product 3103 (Bimpli CADO) only",
        ));
    }
    if currency != "EUR" {
        return Err(invalid(
            "order.amountOfMoney.currencyCode",
            "Payment product 3103 accepts EUR only",
        ));
    }
    let merchant_reference = opt_str(input, "order.references.merchantReference", 40)?;
    let merchant_parameters = opt_str(input, "order.references.merchantParameters", 1000)?;
    opt_str(input, "order.references.operationGroupReference", 50)?;
    opt_str(input, "order.customer.contactDetails.emailAddress", 255)?;
    opt_str(input, "order.customer.locale", 6)?;
    opt_str(input, "order.customer.merchantCustomerId", 50)?;
    let locale = opt_str(input, "hostedCheckoutSpecificInput.locale", 6)?;
    let mut return_url = opt_str(input, "hostedCheckoutSpecificInput.returnUrl", 200)?;
    if let Some(u) = &return_url {
        absolute_url("hostedCheckoutSpecificInput.returnUrl", u)?;
    }
    if return_url.is_none() {
        let path = "redirectPaymentMethodSpecificInput.redirectionData.returnUrl";
        return_url = opt_str(input, path, 200)?;
        if let Some(u) = &return_url {
            absolute_url(path, u)?;
        }
    }
    let session_timeout =
        opt_int(input, "hostedCheckoutSpecificInput.sessionTimeout", 1, 1440)?.unwrap_or(180);
    let attempts = opt_int(
        input,
        "hostedCheckoutSpecificInput.allowedNumberOfPaymentAttempts",
        1,
        10,
    )?
    .unwrap_or(10);
    let complete_remaining = opt_bool(
        input,
        "redirectPaymentMethodSpecificInput.paymentProduct3103SpecificInput.completeRemainingPaymentAmount",
    )?
    .unwrap_or(false);
    let mode = opt_str(
        input,
        "cardPaymentMethodSpecificInput.authorizationMode",
        32,
    )?;
    if let Some(m) = &mode
        && !matches!(
            m.as_str(),
            "FINAL_AUTHORIZATION" | "PRE_AUTHORIZATION" | "SALE"
        )
    {
        return Err(invalid(
            "cardPaymentMethodSpecificInput.authorizationMode",
            "authorizationMode must be FINAL_AUTHORIZATION, PRE_AUTHORIZATION or SALE",
        ));
    }
    let mut webhook_urls = Vec::new();
    match at(input, "feedbacks.webhooksUrls") {
        None => {}
        Some(Value::Array(items)) if items.len() <= 5 => {
            for (i, item) in items.iter().enumerate() {
                let path = format!("feedbacks.webhooksUrls[{i}]");
                match item.as_str() {
                    Some(u) if u.len() <= 325 => {
                        absolute_url(&path, u)?;
                        webhook_urls.push(u.to_string());
                    }
                    _ => {
                        return Err(invalid(
                            &path,
                            "Each webhook URL is a string of at most 325 characters",
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(invalid("feedbacks.webhooksUrls", "At most 5 webhook URLs"));
        }
    }
    if let Some(u) = opt_str(input, "feedbacks.webhookUrl", 325)? {
        absolute_url("feedbacks.webhookUrl", &u)?;
        webhook_urls.push(u);
    }

    let id = st.fresh_base();
    let merchant_reference = merchant_reference.unwrap_or_else(|| format!("SBX{id}"));
    let returnmac = uuid::Uuid::new_v4().to_string();
    let checkout = Checkout {
        id: id.clone(),
        returnmac: returnmac.clone(),
        amount,
        currency,
        merchant_reference: merchant_reference.clone(),
        merchant_parameters,
        return_url,
        locale,
        session_timeout_min: session_timeout,
        allowed_attempts: attempts,
        complete_remaining,
        card_needs_capture: matches!(
            mode.as_deref(),
            Some("FINAL_AUTHORIZATION" | "PRE_AUTHORIZATION")
        ),
        webhook_urls,
        created_ms: now,
        status: CheckoutStatus::InProgress,
        failed_attempts: 0,
        tenders: vec![],
        rejected: vec![],
    };
    st.add_checkout(checkout);
    let partial = format!("{host}/hostedcheckout/{id}");
    Ok(Reply::ok(
        200,
        json!({
            "RETURNMAC": returnmac,
            "hostedCheckoutId": id,
            "merchantReference": merchant_reference,
            "redirectUrl": format!("http://{partial}"),
            "partialRedirectUrl": partial,
        }),
    ))
}

/// `GET hostedcheckouts/{id}`.
pub(super) fn get(st: &State, id: &str) -> Reply {
    match st.checkouts().get(id) {
        Some(c) => Reply::ok(200, wire::hosted_checkout(st, c)),
        None => Reply::error(
            404,
            "30041003",
            "UNKNOWN_HOSTED_CHECKOUT_ID",
            "Hosted checkout not found",
            None,
        ),
    }
}
