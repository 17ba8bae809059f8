//! The router, and serving it: the top layer, the only one that sees every other.
//!
//! Layers (a module only imports modules of its own layer or below; `layering_test` checks it):
//! 0. state: `cards`, `model`, `store`, `faults` (the switchboard's rules), `app`, `owner` (who owns the data file);
//! 1. HTTP helpers: `reply`, `wire`, `auth`, `conn`, `webhooks` (storing and announcing a change);
//! 2. handlers: `handlers` (the `/v2` dispatcher), `handlers::{checkouts, payments, services, page, page_html,
//!    control}`;
//! 3. `server` and the module root (`crate::sandbox`).

use std::io;
use std::sync::Arc;

use axum::Router;
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::app::App;
use super::conn::{Conn, CuttableListener};
use super::handlers;
use super::reply;
use super::webhooks;

/// Builds the shared state (opening the data file) and starts the webhook sender and the clock that settles
/// refunds.
pub(crate) fn app(
    cfg: super::SandboxConfig,
    page_host: Option<String>,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Arc<App>> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let key_id = cfg.webhook_key_id.clone();
    let secret = cfg.webhook_secret.clone();
    let app = Arc::new(App::new(cfg, page_host, tx)?);
    tokio::spawn(webhooks::deliver(rx, key_id, secret, stop.clone()));
    tokio::spawn(webhooks::tick(Arc::downgrade(&app), stop));
    Ok(app)
}

/// The routes.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2/{*rest}", any(handlers::v2))
        .route("/hostedcheckout/{id}", any(handlers::page::page))
        .route("/sandbox/faults", any(handlers::control::faults_route))
        .route("/sandbox/state", any(handlers::control::state_route))
        .route("/sandbox/receipts", any(handlers::receipts::publish))
        .route("/receipts/{id}", any(handlers::receipts::page))
        .route("/receipts/{id}/pdf", any(handlers::receipts::pdf))
        .fallback(reply::not_found)
        .with_state(app)
}

/// Serves on an already-bound listener until `shutdown` completes.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let service = router(app).into_make_service_with_connect_info::<Conn>();
    axum::serve(CuttableListener(listener), service)
        .with_graceful_shutdown(shutdown)
        .await
}
