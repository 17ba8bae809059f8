//! The embedded emulator of Worldline Direct ("the sandbox"): API routes, the Bimpli CADO hosted page, test cards,
//! persistence and faults. It shares no code with the client; the two meet only over HTTP, so a bug on one side
//! cannot hide a bug on the other.
//!
//! # Routes
//!
//! Signed with v1HMAC (every official SDK's variant is accepted), under `/v2/{merchantId}/`:
//! - `POST hostedcheckouts` (200), `GET hostedcheckouts/{id}`;
//! - `GET payments/{id}`, `GET payments/{id}/details`, `POST payments/{id}/refund` (201; a refund the issuer
//!   declines is a 400 RefundErrorResponse whose `refundResult` is the REJECTED refund), `GET payments/{id}/refunds`,
//!   `POST payments/{id}/capture` (201), `GET payments/{id}/captures`, `POST payments/{id}/cancel` (200);
//! - `GET services/testconnection`, `POST webhooks/validateCredentials`, `POST webhooks/sendtest` (204).
//!
//! Unsigned:
//! - `GET|POST /hostedcheckout/{hostedCheckoutId}`: the Bimpli CADO payment page (the checkout's `redirectUrl`).
//! - The fault switchboard, answered to loopback clients only:
//!   - `POST /sandbox/faults` adds a rule (a JSON object or an array of them):
//!     `{"operation": "refund", "latencyMs": 0, "errorRate": 0.0, "dropAfterCommit": 0.0, "inProgress409": 0.0,
//!     "count": null, "seed": null}`. `operation` is one of `create_checkout`, `get_checkout`, `get_payment`,
//!     `get_details`, `refund`, `get_refunds`, `capture`, `get_captures`, `cancel`, `test_connection`,
//!     `validate_credentials`, `send_test_webhook` or `any`. `latencyMs` delays the operation (inside the
//!     idempotence window, so a repeat with the same key meanwhile gets 409); `errorRate` is the share of answers
//!     replaced by a 500 platform error before anything is done; `dropAfterCommit` the share of operations that are
//!     carried out and stored, after which the connection is closed without an answer; `inProgress409` the share of
//!     answers replaced by a 409 "request in progress" (`errorCode` 30001002, `code` 1409); `storeError` the share
//!     of operations whose write to the data file fails halfway (as on a full disk): the change is undone and
//!     answered with a 500. `count` limits how many requests the rule applies to. `seed` makes the random draws repeatable. The first matching rule applies.
//!   - `DELETE /sandbox/faults` removes every rule; `GET /sandbox/faults` lists them.
//!   - `GET /sandbox/state`: checkouts, payments, refunds and gift-card balances as JSON, for reconciliation tests.
//!
//! # Payment model (an assumption: the platform's documentation does not settle it)
//!
//! Each tender of a hosted checkout (each gift card, and the Visa/Mastercard remainder) is its own payment
//! `<10 digits>_0` with its own `paymentProductId` (3103, or 1 Visa / 3 Mastercard). GetHostedCheckout returns the
//! first tender in `createdPaymentOutput`; GetPaymentDetails on any tender lists every tender and every refund of the
//! checkout in `Operations`. Tenders are captured at once (CAPTURED, 9) unless the checkout asked for
//! `FINAL_AUTHORIZATION`/`PRE_AUTHORIZATION`, in which case the card remainder waits for a capture
//! (PENDING_CAPTURE, 5). A refund is `<same 10 digits>_<n>`: REFUND_REQUESTED (81), then REFUNDED (8) after the
//! configured delay.
//!
//! # Persistence and layers
//!
//! With `--data FILE` the state is a snapshot (`FILE`) plus an append-only change log (`FILE.log`, one JSON line
//! per stored change, fsynced before the answer), replayed and compacted at start and compacted at a clean
//! shutdown; `store.rs` documents the format. One process owns a data file at a time (`FILE.lock`, and `FILE.owner`
//! naming it); `owner.rs` documents both. The modules are layered (state ← HTTP helpers ← handlers ← router),
//! as `server.rs` lists; a unit test checks the imports.

mod app;
mod auth;
mod cards;
mod conn;
mod faults;
mod handlers;
#[cfg(test)]
mod layering_test;
mod model;
pub mod owner;
mod reply;
mod server;
mod store;
mod webhooks;
mod wire;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Default merchant id (PSPID) of the sandbox.
pub const DEFAULT_MERCHANT_ID: &str = "cadodesk-sandbox";
/// Default API key id of the sandbox.
pub const DEFAULT_API_KEY_ID: &str = "sandbox-key-id";
/// Default API secret of the sandbox (public on purpose: it guards nothing but test data).
pub const DEFAULT_API_SECRET: &str = "sandbox-secret";
/// Default webhook key id of the sandbox.
pub const DEFAULT_WEBHOOK_KEY_ID: &str = "sandbox-webhook-key-id";
/// Default webhook secret of the sandbox.
pub const DEFAULT_WEBHOOK_SECRET: &str = "sandbox-webhook-secret";
/// Default delay between REFUND_REQUESTED and REFUNDED.
pub const DEFAULT_REFUND_DELAY_MS: u64 = 2000;

/// `cadodesk sandbox` options.
#[derive(Clone, Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free port. Keep it on loopback: the sandbox has no real security.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: String,
    /// The merchant id (PSPID) the API key belongs to.
    #[arg(long, default_value = DEFAULT_MERCHANT_ID)]
    pub merchant_id: String,
    /// The API key id clients sign with.
    #[arg(long, default_value = DEFAULT_API_KEY_ID)]
    pub api_key_id: String,
    /// The API secret clients sign with.
    #[arg(long, default_value = DEFAULT_API_SECRET, hide_default_value = true)]
    pub api_secret: String,
    /// The key id sent in `X-GCS-KeyId` on webhooks.
    #[arg(long, default_value = DEFAULT_WEBHOOK_KEY_ID)]
    pub webhook_key_id: String,
    /// The secret webhooks are signed with.
    #[arg(long, default_value = DEFAULT_WEBHOOK_SECRET, hide_default_value = true)]
    pub webhook_secret: String,
    /// An endpoint that receives every webhook, besides each checkout's `feedbacks.webhooksUrls`.
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// A JSON file that keeps the whole state across restarts (with a change log `FILE.log` next to it); without it
    /// the state lives in memory only. One process at a time: `FILE.lock` is locked while it serves.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Milliseconds between a refund's REFUND_REQUESTED and its REFUNDED.
    #[arg(long, default_value_t = DEFAULT_REFUND_DELAY_MS)]
    pub refund_delay_ms: u64,
}

impl fmt::Debug for SandboxArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxArgs")
            .field("listen", &self.listen)
            .field("merchant_id", &self.merchant_id)
            .field("api_key_id", &self.api_key_id)
            .field("webhook_key_id", &self.webhook_key_id)
            .field("webhook_url", &self.webhook_url)
            .field("data", &self.data)
            .field("refund_delay_ms", &self.refund_delay_ms)
            .finish_non_exhaustive()
    }
}

/// What the embedded sandbox needs to run. `Default` gives the documented default credentials, no data file,
/// loopback with a free port and a 2 s refund delay.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Address to bind, e.g. `127.0.0.1:0`.
    pub listen: String,
    /// The merchant id (PSPID) of the one merchant the sandbox serves.
    pub merchant_id: String,
    /// The API key id.
    pub api_key_id: String,
    /// The API secret.
    pub api_secret: String,
    /// The webhook key id (`X-GCS-KeyId`).
    pub webhook_key_id: String,
    /// The webhook secret.
    pub webhook_secret: String,
    /// An endpoint that receives every webhook.
    pub webhook_url: Option<String>,
    /// Where the state is kept across restarts: a snapshot, and a change log `FILE.log` next to it. Every change is
    /// appended to the log and fsynced before it is answered; when that fails the change is undone and the request
    /// answered with a 500 platform error. The log is folded into the snapshot at start and at a clean shutdown.
    pub data_file: Option<PathBuf>,
    /// Milliseconds between REFUND_REQUESTED and REFUNDED.
    pub refund_delay_ms: u64,
    /// With a data file and a `listen` address on port 0: listen first on the port the file's last owner listened
    /// on (`FILE.owner`), so that links already handed out keep working; another only if that one is taken, which
    /// [`RunningSandbox::port_note`] and a warning say.
    pub keep_port: bool,
    /// The address the hosted page's links carry (`http://PAGE_IP:PORT/hostedcheckout/…`, the QR code's), e.g. the
    /// machine's LAN address so that a phone can open them; `None`: the address the client called.
    pub page_ip: Option<IpAddr>,
    /// What runs it, as `FILE.owner` says: `app`, `command` or `sandbox`.
    pub role: String,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:0".into(),
            merchant_id: DEFAULT_MERCHANT_ID.into(),
            api_key_id: DEFAULT_API_KEY_ID.into(),
            api_secret: DEFAULT_API_SECRET.into(),
            webhook_key_id: DEFAULT_WEBHOOK_KEY_ID.into(),
            webhook_secret: DEFAULT_WEBHOOK_SECRET.into(),
            webhook_url: None,
            data_file: None,
            refund_delay_ms: DEFAULT_REFUND_DELAY_MS,
            keep_port: false,
            page_ip: None,
            role: "sandbox".into(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("listen", &self.listen)
            .field("merchant_id", &self.merchant_id)
            .field("api_key_id", &self.api_key_id)
            .field("webhook_key_id", &self.webhook_key_id)
            .field("webhook_url", &self.webhook_url)
            .field("data_file", &self.data_file)
            .field("refund_delay_ms", &self.refund_delay_ms)
            .field("keep_port", &self.keep_port)
            .field("page_ip", &self.page_ip)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl From<SandboxArgs> for SandboxConfig {
    fn from(a: SandboxArgs) -> Self {
        Self {
            listen: a.listen,
            merchant_id: a.merchant_id,
            api_key_id: a.api_key_id,
            api_secret: a.api_secret,
            webhook_key_id: a.webhook_key_id,
            webhook_secret: a.webhook_secret,
            webhook_url: a.webhook_url,
            data_file: a.data,
            refund_delay_ms: a.refund_delay_ms,
            ..SandboxConfig::default()
        }
    }
}

/// A sandbox serving in the background. Dropping it stops the server; `shutdown().await` also waits for it.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    page_url: String,
    port_note: Option<String>,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl RunningSandbox {
    /// The base URL to configure clients of this machine with, e.g. `http://127.0.0.1:41234` (loopback when it
    /// listens on every address).
    pub fn base_url(&self) -> String {
        format!("http://{}", reachable(self.addr))
    }

    /// The base URL the hosted page's links carry (what a QR code of a checkout encodes).
    pub fn page_url(&self) -> &str {
        &self.page_url
    }

    /// Set when the port kept from the last run was taken and another one is used (so earlier links no longer
    /// work): says which.
    pub fn port_note(&self) -> Option<&str> {
        self.port_note.as_deref()
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting requests, lets running ones finish, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
    }
}

/// Takes the data file (if any) for this process ([`owner`]: refused with [`owner::OwnerError::Held`] while another
/// holds it), binds `config.listen` (the kept port first, with `keep_port`), loads the data file, names the owner in
/// `FILE.owner`, and serves in a background task of the current runtime.
pub async fn start(config: SandboxConfig) -> anyhow::Result<RunningSandbox> {
    let lock = match &config.data_file {
        Some(file) => Some(owner::acquire(file)?),
        None => None,
    };
    let (listener, port_note) = bind(&config).await?;
    let addr = listener.local_addr().context("no local address")?;
    if !addr.ip().is_loopback() {
        // The credentials are public test values and the control routes are unsigned: say so loudly.
        tracing::warn!(%addr, "the sandbox listens beyond loopback; anyone who can reach it can use it");
    }
    let page_host = config
        .page_ip
        .map(|ip| SocketAddr::new(ip, addr.port()).to_string());
    let page_url = format!(
        "http://{}",
        page_host
            .clone()
            .unwrap_or_else(|| reachable(addr).to_string())
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let data_file = config.data_file.clone();
    let role = config.role.clone();
    let app = server::app(config, page_host, stop_rx.clone())?;
    if let Some(file) = &data_file {
        let me = owner::Owner {
            pid: std::process::id(),
            url: format!("http://{}", reachable(addr)),
            page_url: page_url.clone(),
            role,
        };
        owner::write(file, &me).with_context(|| {
            format!(
                "cannot write {}: check that the folder can be written",
                owner::owner_path(file).display()
            )
        })?;
    }
    let task = tokio::spawn(async move {
        let mut stop = stop_rx;
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        if let Err(e) = server::serve(listener, app.clone(), shutdown).await {
            tracing::error!(error = %e, "sandbox server ended");
        }
        // A clean stop: the change log is folded into the snapshot, and only then is the data file let go.
        app.compact();
        drop(lock);
    });
    Ok(RunningSandbox {
        addr,
        page_url,
        port_note,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// The listener, and a note when the kept port was taken and another one is used.
async fn bind(config: &SandboxConfig) -> anyhow::Result<(tokio::net::TcpListener, Option<String>)> {
    let kept = match (config.listen.parse::<SocketAddr>(), &config.data_file) {
        (Ok(listen), Some(file)) if config.keep_port && listen.port() == 0 => owner::read(file)
            .and_then(|o| o.port())
            .map(|port| SocketAddr::new(listen.ip(), port)),
        _ => None,
    };
    let mut taken = None;
    if let Some(addr) = kept {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(listener) => return Ok((listener, None)),
            Err(e) => taken = Some((addr.port(), e)),
        }
    }
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let note = match taken {
        None => None,
        Some((port, e)) => {
            let now = listener.local_addr().map(|a| a.port()).unwrap_or_default();
            tracing::warn!(kept = port, now, error = %e, "the sandbox's port was taken; it listens on another one");
            Some(format!(
                "the sandbox's port {port} was taken ({e}), so it listens on port {now}: links and QR codes \
                 of sales opened before no longer open; free port {port} and restart to keep them"
            ))
        }
    };
    Ok((listener, note))
}

/// The address a process of this machine reaches `addr` at: loopback when it is every address.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Runs `cadodesk sandbox`: prints `listening on http://ADDR` as the first line of standard output, then serves
/// until the process is stopped.
pub fn run_cli(args: SandboxArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sandbox")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let sandbox = start(args.into()).await?;
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on {}", sandbox.base_url())
                .context("cannot write to stdout")?;
            out.flush().context("cannot write to stdout")?;
        }
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for a stop signal")?;
        sandbox.shutdown().await;
        Ok(())
    })
}
