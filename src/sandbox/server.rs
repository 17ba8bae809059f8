//! The HTTP server: the shared application state, the router, and a listener whose connections a handler can cut
//! (the "dropped after commit" fault needs to close a connection without answering).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::routing::any;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::SandboxConfig;
use super::faults::Switchboard;
use super::model::{Event, State, now_ms};
use super::webhooks::{self, Outgoing};

/// Everything the handlers share.
pub(crate) struct App {
    pub cfg: SandboxConfig,
    state: Mutex<State>,
    pub faults: Mutex<Switchboard>,
    hooks: tokio::sync::mpsc::UnboundedSender<Outgoing>,
}

impl App {
    /// Loads the data file (if any) and starts the webhook sender and the clock that settles refunds.
    pub(crate) fn new(cfg: SandboxConfig, stop: watch::Receiver<bool>) -> anyhow::Result<Arc<App>> {
        let state = match &cfg.data_file {
            Some(path) => State::load(path).map_err(|e| {
                anyhow::anyhow!("cannot read the sandbox state {}: {e}", path.display())
            })?,
            None => State::default(),
        };
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(webhooks::deliver(
            rx,
            cfg.webhook_key_id.clone(),
            cfg.webhook_secret.clone(),
            stop.clone(),
        ));
        let app = Arc::new(App {
            cfg,
            state: Mutex::new(state),
            faults: Mutex::new(Switchboard::default()),
            hooks: tx,
        });
        tokio::spawn(tick(Arc::downgrade(&app), stop));
        Ok(app)
    }

    /// The state, locked. A panic while it was held cannot leave it half-changed (every change is made before the
    /// guard is released), so a poisoned lock is still usable.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault switchboard, locked.
    pub(crate) fn faults(&self) -> MutexGuard<'_, Switchboard> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// After a change: saves the state (while still locked, so saves happen in the order of the changes) and queues
    /// the webhooks of `events`. The file is small; writing it takes well under a millisecond. When the save fails
    /// nothing is announced and the error is returned, so that the caller answers with a failure rather than
    /// confirm something a restart would forget.
    pub(crate) fn commit(&self, state: &State, events: Vec<Event>) -> anyhow::Result<()> {
        if let Some(path) = &self.cfg.data_file
            && let Err(e) = state.save(path)
        {
            tracing::error!(path = %path.display(), error = %e, "cannot save the sandbox state");
            return Err(e);
        }
        let now = now_ms();
        for event in events {
            let urls = webhooks::urls_for(state, &event, self.cfg.webhook_url.as_deref());
            if urls.is_empty() {
                continue;
            }
            let Some(body) = super::wire::webhook_body(state, &self.cfg.merchant_id, &event, now)
            else {
                continue;
            };
            self.send_webhook(urls, body.to_string().into_bytes());
        }
        Ok(())
    }

    /// Queues one webhook body for the given endpoints.
    pub(crate) fn send_webhook(&self, urls: Vec<String>, body: Vec<u8>) {
        let _ = self.hooks.send(Outgoing { urls, body });
    }

    /// Locks the state and applies what is due now (completed refunds, ended sessions).
    pub(crate) fn settled(&self) -> MutexGuard<'_, State> {
        let mut st = self.lock();
        let now = now_ms();
        if st.has_due(now) {
            let events = st.settle(now);
            // A failed save is logged by `commit`; the due changes are saved again with the next one.
            let _ = self.commit(&st, events);
        }
        st
    }
}

/// Settles due refunds every 50 ms so their webhooks go out without waiting for a request.
async fn tick(app: std::sync::Weak<App>, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(Duration::from_millis(50));
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let Some(app) = app.upgrade() else { return };
        drop(app.settled());
    }
}

/// A TCP stream whose handler can cut it: once `killed`, reads end and writes fail, so hyper closes the connection
/// without sending the response.
pub(crate) struct CuttableStream {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl AsyncRead for CuttableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = self.get_mut();
        if me.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut me.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CuttableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let me = self.get_mut();
        if me.killed.load(Ordering::SeqCst) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionAborted.into()));
        }
        Pin::new(&mut me.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A TCP listener that hands out [`CuttableStream`]s.
pub(crate) struct CuttableListener(TcpListener);

impl Listener for CuttableListener {
    type Io = CuttableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((inner, addr)) => {
                    let _ = inner.set_nodelay(true);
                    let killed = Arc::new(AtomicBool::new(false));
                    return (CuttableStream { inner, killed }, addr);
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// Per-connection facts given to handlers: the peer, and the switch that cuts the connection.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    pub remote: SocketAddr,
    killed: Arc<AtomicBool>,
}

impl Conn {
    /// Makes the connection close without an answer.
    pub(crate) fn cut(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

impl Connected<IncomingStream<'_, CuttableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, CuttableListener>) -> Self {
        Conn {
            remote: *stream.remote_addr(),
            killed: stream.io().killed.clone(),
        }
    }
}

/// The routes.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2/{*rest}", any(super::api::v2))
        .route("/hostedcheckout/{id}", any(super::page::page))
        .route("/sandbox/faults", any(super::faults::faults_route))
        .route("/sandbox/state", any(super::faults::state_route))
        .fallback(super::api::not_found)
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
