//! Helpers for the till's tests: a sandbox on loopback, a till over a real SQLite file, the hosted page completed
//! over HTTP, and the sandbox's own view of what happened.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::domain::{Amount, TestClock};
use cadodesk::sandbox::{RunningSandbox, SandboxConfig};
use cadodesk::till::{DirectGateway, Gateway, NewCheckout, Till};
use cadodesk::vault::{ApiCredentials, Secret, sandbox_defaults};
use serde_json::Value;

pub use super::{CADO_20, CADO_50, CADO_250, VISA};

/// Gift card whose refunds are declined.
pub const CADO_REFUNDS_DECLINED: &str = "6299000000000006";

pub fn eur(cents: i64) -> Amount {
    Amount::from_cents(cents).expect("amount")
}

/// A sandbox whose refunds complete after `refund_delay_ms`.
pub async fn sandbox(refund_delay_ms: u64) -> RunningSandbox {
    cadodesk::sandbox::start(SandboxConfig {
        refund_delay_ms,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

pub fn credentials() -> ApiCredentials {
    ApiCredentials {
        merchant_id: sandbox_defaults::MERCHANT_ID.into(),
        api_key_id: sandbox_defaults::API_KEY_ID.into(),
        api_secret: Secret::new(sandbox_defaults::API_SECRET),
        source: "sandbox defaults",
    }
}

/// A till over `<dir>/ledger.sqlite3` and the sandbox at `base_url`.
/// Its ledger is opened as the app and the command line open it (sealed with the till's journal key), so that it
/// can share a data directory with the binary.
pub fn till(dir: &std::path::Path, base_url: &str, operator: &str) -> Till {
    let ledger = cadodesk::app::open_ledger(dir).expect("ledger opens");
    let gateway = DirectGateway::new(base_url, &credentials()).expect("gateway");
    no_pin_needed(Till::with_gateway(
        ledger,
        std::sync::Arc::new(gateway),
        operator,
        180,
        Some("https://shop.example/back".into()),
    ))
}

/// The tests' shop asks no manager PIN (the rule is journaled like any shop's): the PIN's own tests set one.
pub fn no_pin_needed(till: Till) -> Till {
    if !till.pin_policy().expect("policy").is_set() {
        till.set_pin_rules(
            None,
            None,
            cadodesk::till::manager::PinRule {
                threshold: None,
                always: false,
            },
        )
        .expect("rule set");
    }
    till
}

/// A till like [`till`] whose ledger and schedule run on `clock` (a test moves it by hand), over `gateway` when
/// given (to interpose on the platform), else straight to the sandbox at `base_url`.
pub fn till_on_clock(
    dir: &std::path::Path,
    base_url: &str,
    clock: &TestClock,
    gateway: Option<std::sync::Arc<dyn Gateway>>,
) -> Till {
    let ledger = cadodesk::app::open_ledger(dir)
        .expect("ledger")
        .with_clock(clock.shared());
    let gateway = gateway.unwrap_or_else(|| {
        std::sync::Arc::new(DirectGateway::new(base_url, &credentials()).expect("gateway"))
    });
    no_pin_needed(Till::with_gateway(ledger, gateway, "ana", 180, None))
}

/// A test clock at a whole second near now (the ledger stores milliseconds; a whole second compares exactly).
pub fn test_clock() -> TestClock {
    let now = chrono::Utc::now().timestamp();
    TestClock::at(chrono::DateTime::from_timestamp(now, 0).expect("time"))
}

pub fn sale(cents: i64) -> NewCheckout {
    NewCheckout {
        amount: eur(cents),
        merchant_reference: None,
        email: Some("client@example.fr".into()),
        locale: "fr_FR".into(),
        return_url: None,
    }
}

/// Fills and posts the hosted page as a customer would: gift cards, then a card for the remainder; the page's
/// HTTP status, whatever it is (a declined card is an answer too).
pub async fn submit_hosted_page(
    redirect_url: &str,
    gift_cards: &[&str],
    card: Option<&str>,
) -> u16 {
    let mut form: Vec<(String, String)> = Vec::new();
    for (i, number) in gift_cards.iter().enumerate() {
        let n = i + 1;
        form.push((format!("giftcard{n}_number"), (*number).into()));
        form.push((format!("giftcard{n}_expiry"), "12/30".into()));
        form.push((format!("giftcard{n}_cvv"), "123".into()));
    }
    if let Some(c) = card {
        form.push(("card_number".into(), c.into()));
        form.push(("card_expiry".into(), "05/30".into()));
        form.push(("card_cvv".into(), "123".into()));
    }
    form.push(("action".into(), "pay".into()));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    client
        .post(redirect_url)
        .form(&form)
        .send()
        .await
        .expect("hosted page answers")
        .status()
        .as_u16()
}

/// [`submit_hosted_page`], and the page must have taken it (2xx or a redirect to the returnUrl).
pub async fn pay(redirect_url: &str, gift_cards: &[&str], card: Option<&str>) {
    let status = submit_hosted_page(redirect_url, gift_cards, card).await;
    assert!((200..400).contains(&status), "hosted page: {status}");
}

/// Adds a fault rule (or an array of rules) to the sandbox.
pub async fn fault(base_url: &str, rule: Value) {
    let resp = reqwest::Client::new()
        .post(format!("{base_url}/sandbox/faults"))
        .json(&rule)
        .send()
        .await
        .expect("faults answer");
    assert!(
        resp.status().is_success(),
        "fault refused: {}",
        resp.status()
    );
}

/// Removes every rule.
pub async fn clear_faults(base_url: &str) {
    let resp = reqwest::Client::new()
        .delete(format!("{base_url}/sandbox/faults"))
        .send()
        .await
        .expect("faults answer");
    assert!(resp.status().is_success());
}

/// The sandbox's whole state.
pub async fn state(base_url: &str) -> Value {
    reqwest::get(format!("{base_url}/sandbox/state"))
        .await
        .expect("state answers")
        .json()
        .await
        .expect("state is JSON")
}

/// The refunds the platform holds for one payment: (id, amount in cents, status).
pub async fn platform_refunds(base_url: &str, payment_id: &str) -> Vec<(String, i64, String)> {
    let st = state(base_url).await;
    st["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .filter(|r| r["paymentId"] == payment_id)
        .map(|r| {
            (
                r["id"].as_str().unwrap_or_default().to_string(),
                r["amount"].as_i64().unwrap_or_default(),
                r["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Creates a sale and pays it on the hosted page; returns the hosted checkout id once paid.
pub async fn paid_sale(till: &Till, cents: i64, gift_cards: &[&str], card: Option<&str>) -> String {
    let v = till
        .create_checkout(sale(cents))
        .await
        .expect("checkout created");
    pay(
        v.redirect_url.as_deref().expect("redirect url"),
        gift_cards,
        card,
    )
    .await;
    let v = till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    assert_eq!(v.state, cadodesk::domain::CheckoutState::Paid, "{v:#?}");
    v.hosted_checkout_id
}

/// The platform through the real client, with the test able to step in: let time pass while GetHostedCheckout
/// answers, or add operations to what GetPaymentDetails lists.
#[derive(Debug)]
pub struct Interposed {
    inner: DirectGateway,
    /// Moved forward by `takes` at each GetHostedCheckout, when set.
    pub clock: Option<(TestClock, chrono::Duration)>,
    /// Added to every GetPaymentDetails answer.
    pub extra_operations: std::sync::Mutex<Vec<cadodesk::till::gateway::OperationReading>>,
    /// When set, checkouts are created with the card for the remainder only authorised (FINAL_AUTHORIZATION), as a
    /// platform configured for it does: that card then waits for its capture.
    pub authorise_card: Option<cadodesk::direct::DirectClient>,
}

impl Interposed {
    /// The sandbox at `base_url`, with nothing stepped in yet.
    pub fn new(base_url: &str) -> Interposed {
        Interposed {
            inner: DirectGateway::new(base_url, &credentials()).expect("gateway"),
            clock: None,
            extra_operations: std::sync::Mutex::default(),
            authorise_card: None,
        }
    }

    /// The sandbox at `base_url`, its card for the remainder only authorised (see `authorise_card`).
    pub fn authorising(base_url: &str) -> Interposed {
        use std::str::FromStr;
        let c = credentials();
        let client = cadodesk::direct::DirectClient::for_environment(
            &cadodesk::direct::Environment::from_str(base_url).expect("environment"),
            cadodesk::direct::Credentials::new(
                c.merchant_id.clone(),
                c.api_key_id.clone(),
                c.api_secret.expose().to_string(),
            ),
            cadodesk::direct::ClientOptions::default(),
        )
        .expect("client");
        Interposed {
            authorise_card: Some(client),
            ..Interposed::new(base_url)
        }
    }
}

mod interposed {
    use cadodesk::direct::status::AuthorizationMode;
    use cadodesk::direct::wire::{CadoCheckout, CreateHostedCheckoutRequest};
    use cadodesk::domain::Amount;
    use cadodesk::till::Gateway;
    use cadodesk::till::GatewayError;
    use cadodesk::till::gateway::{
        BoxFuture, CheckoutRequest, CreatedCheckout, HostedCheckoutReading, OperationReading,
        PaymentReading, RefundReading,
    };

    use super::Interposed;

    impl Gateway for Interposed {
        fn create_checkout<'a>(
            &'a self,
            req: &'a CheckoutRequest,
        ) -> BoxFuture<'a, Result<CreatedCheckout, GatewayError>> {
            let Some(client) = &self.authorise_card else {
                return self.inner.create_checkout(req);
            };
            Box::pin(async move {
                let body = CreateHostedCheckoutRequest::bimpli_cado(CadoCheckout {
                    amount: req.amount,
                    merchant_reference: Some(req.merchant_reference.clone()),
                    customer_email: None,
                    locale: req.locale.clone(),
                    return_url: req.return_url.clone().unwrap_or_default(),
                    session_timeout_minutes: None,
                    allowed_number_of_payment_attempts: None,
                    complete_remaining_payment_amount: true,
                    card_authorization_mode: Some(AuthorizationMode::FinalAuthorization),
                    webhooks_urls: Vec::new(),
                });
                let created = client
                    .create_hosted_checkout(&body)
                    .await
                    .expect("checkout created");
                Ok(CreatedCheckout {
                    hosted_checkout_id: created.hosted_checkout_id.parse().expect("id"),
                    redirect_url: created.redirect_url.expect("redirect url"),
                })
            })
        }
        fn hosted_checkout<'a>(
            &'a self,
            id: &'a str,
        ) -> BoxFuture<'a, Result<HostedCheckoutReading, GatewayError>> {
            if let Some((clock, takes)) = &self.clock {
                clock.advance(*takes);
            }
            self.inner.hosted_checkout(id)
        }
        fn payment<'a>(
            &'a self,
            id: &'a str,
        ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>> {
            self.inner.payment(id)
        }
        fn operations<'a>(
            &'a self,
            id: &'a str,
        ) -> BoxFuture<'a, Result<Vec<OperationReading>, GatewayError>> {
            Box::pin(async move {
                let mut ops = self.inner.operations(id).await?;
                ops.extend(self.extra_operations.lock().unwrap().iter().cloned());
                Ok(ops)
            })
        }
        fn refund<'a>(
            &'a self,
            payment_id: &'a str,
            amount: Amount,
            reason: &'a str,
            key: &'a str,
        ) -> BoxFuture<'a, Result<RefundReading, GatewayError>> {
            self.inner.refund(payment_id, amount, reason, key)
        }
        fn cancel_payment<'a>(
            &'a self,
            payment_id: &'a str,
            key: &'a str,
        ) -> BoxFuture<'a, Result<PaymentReading, GatewayError>> {
            self.inner.cancel_payment(payment_id, key)
        }
        fn refunds<'a>(
            &'a self,
            id: &'a str,
        ) -> BoxFuture<'a, Result<Vec<RefundReading>, GatewayError>> {
            self.inner.refunds(id)
        }
        fn test_connection(&self) -> BoxFuture<'_, Result<(), GatewayError>> {
            self.inner.test_connection()
        }
    }
}

/// Refunds `cents` on the first card of sale `hosted_checkout_id`, with the reason "retour".
pub async fn refund_first_card(till: &Till, hosted_checkout_id: &str, cents: i64) {
    let payment = till
        .checkout(hosted_checkout_id)
        .expect("ledger")
        .expect("the sale")
        .tenders[0]
        .payment_id
        .to_string();
    till.refund(cadodesk::till::RefundCommand {
        payment_id: payment,
        amount: eur(cents),
        reason: "retour".into(),
    })
    .await
    .expect("refunded");
}
