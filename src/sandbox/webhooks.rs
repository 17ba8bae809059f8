//! After a change: storing it and announcing it. Outgoing webhooks are signed with the webhook secret
//! (`X-GCS-Signature` = Base64 HMAC-SHA256 of the exact body bytes, `X-GCS-KeyId`) and sent in the background with a
//! few retries, so the API never waits for a receiver. Due transitions (refunds that complete, sessions that end)
//! are applied before each request and every 50 ms.

use std::sync::{MutexGuard, Weak};
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::app::{App, Outgoing};
use super::auth::hmac_base64;
use super::model::{Event, State, now_ms};
use super::wire;

/// Stores what changed in `state` (see [`App::store`]) and then queues the webhooks of `events`. When the change
/// cannot be stored it is undone, nothing is announced and the error is returned.
pub(crate) fn commit(
    app: &App,
    state: &mut State,
    events: Vec<Event>,
    fail: bool,
) -> anyhow::Result<()> {
    app.store(state, fail)?;
    let now = now_ms();
    for event in events {
        let urls = urls_for(state, &event, app.cfg.webhook_url.as_deref());
        if urls.is_empty() {
            continue;
        }
        let Some(body) = wire::webhook_body(state, &app.cfg.merchant_id, &event, now) else {
            continue;
        };
        app.send_webhook(urls, body.to_string().into_bytes());
    }
    Ok(())
}

/// Locks the state and applies what is due now (completed refunds, ended sessions).
pub(crate) fn settled(app: &App) -> MutexGuard<'_, State> {
    let mut st = app.lock();
    let now = now_ms();
    if st.has_due(now) {
        let events = st.settle(now);
        // A failed store is logged and undone: the transitions fall due again at the next look.
        let _ = commit(app, &mut st, events, false);
    }
    st
}

/// Settles due refunds every 50 ms so their webhooks go out without waiting for a request.
pub(crate) async fn tick(app: Weak<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let Some(app) = app.upgrade() else { return };
        drop(settled(&app));
    }
}

/// Attempts per endpoint, and the pause before each retry.
const BACKOFF_MS: [u64; 3] = [250, 1_000, 4_000];

/// Where an event goes: the checkout's `feedbacks.webhooksUrls` and the sandbox's `--webhook-url`.
pub(crate) fn urls_for(state: &State, event: &Event, configured: Option<&str>) -> Vec<String> {
    let base = match event {
        Event::Payment { base, .. } => Some(base.as_str()),
        Event::Refund { id, .. } => state.refunds().get(id).map(|r| r.payment_base.as_str()),
    };
    let mut urls: Vec<String> = base
        .and_then(|b| state.payments().get(b))
        .and_then(|p| state.checkouts().get(&p.checkout_id))
        .map(|c| c.webhook_urls.clone())
        .unwrap_or_default();
    if let Some(u) = configured
        && !urls.iter().any(|x| x == u)
    {
        urls.push(u.to_string());
    }
    urls
}

/// Sends what arrives on `rx` until `stop`.
pub(crate) async fn deliver(
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    key_id: String,
    secret: String,
    mut stop: watch::Receiver<bool>,
) {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; webhooks are off");
            return;
        }
    };
    loop {
        let next = tokio::select! {
            m = rx.recv() => m,
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(out) = next else { return };
        let signature = hmac_base64(secret.as_bytes(), &out.body);
        for url in out.urls {
            let client = client.clone();
            let body = out.body.clone();
            let signature = signature.clone();
            let key_id = key_id.clone();
            tokio::spawn(async move {
                for (attempt, pause) in std::iter::once(0).chain(BACKOFF_MS).enumerate() {
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    let sent = client
                        .post(&url)
                        .header("Content-Type", "application/json")
                        .header("X-GCS-Signature", &signature)
                        .header("X-GCS-KeyId", &key_id)
                        .body(body.clone())
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().is_success() => return,
                        Ok(r) => {
                            tracing::info!(%url, status = %r.status(), attempt, "webhook refused")
                        }
                        Err(e) => {
                            tracing::info!(%url, error = %e, attempt, "webhook not delivered")
                        }
                    }
                }
                tracing::warn!(%url, "webhook given up after retries");
            });
        }
    }
}
