//! Which platform the till talks to and with which credentials, and the till wired from them: the embedded sandbox
//! (its own thread and runtime, so it answers even when the caller's threads are busy), Worldline's test and
//! production environments, or any base URL; credentials from the environment, the keychain, or the sandbox's
//! public defaults.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ledger::Ledger;
use crate::sandbox::SandboxConfig;
use crate::sandbox::owner::{self, Owner, OwnerError};
use crate::till::{DirectGateway, Gateway, Till, TillError, endpoints, logic};
use crate::vault::{self, ApiCredentials, Backend, Secret, Vault, VaultError};

use super::settings::{DEFAULT_OPERATOR, Environment, Settings};

/// The file the embedded sandbox keeps its state in, inside the data directory.
pub const SANDBOX_FILE: &str = "sandbox.json";

/// Where the embedded sandbox listens: an IP address of this machine (its port is kept from run to run), or
/// `IP:PORT`; `0.0.0.0` (or `lan`) listens on every address and gives the hosted page's links (the QR codes) the
/// machine's LAN address, so that a customer's phone on the shop's network can open them. Default: loopback only.
pub const LISTEN_ENV: &str = "CADODESK_SANDBOX_LISTEN";

/// How long a command or the app waits for a command line that holds the sandbox to end, and how long the command
/// line gives a running app's sandbox to answer (it may be starting).
const WAIT_FOR_COMMAND: Duration = Duration::from_secs(30);
const WAIT_FOR_ANSWER: Duration = Duration::from_secs(10);
/// How long one test connection to it may take.
const PROBE: Duration = Duration::from_secs(5);

/// Who starts the embedded sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The desktop app: it serves for as long as the app runs.
    App,
    /// One command of the command line: it serves for that command only.
    Command,
}

impl Role {
    fn code(self) -> &'static str {
        match self {
            Role::App => "app",
            Role::Command => "command",
        }
    }
}

/// What the embedded sandbox is started with.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The data directory (`sandbox.json` in it).
    pub data_dir: PathBuf,
    /// Overrides the time between REFUND_REQUESTED and REFUNDED.
    pub refund_delay_ms: Option<u64>,
    /// Where it listens ([`LISTEN_ENV`]'s value); `None`: loopback, on the port kept from the last run.
    pub listen: Option<String>,
    /// Who starts it.
    pub role: Role,
}

impl SandboxOptions {
    /// The options for `data_dir` and `role`, listening where [`LISTEN_ENV`] says.
    pub fn from_env(data_dir: &Path, refund_delay_ms: Option<u64>, role: Role) -> SandboxOptions {
        SandboxOptions {
            data_dir: data_dir.to_path_buf(),
            refund_delay_ms,
            listen: std::env::var(LISTEN_ENV)
                .ok()
                .filter(|v| !v.trim().is_empty()),
            role,
        }
    }
}

/// Why the embedded sandbox could not be started or reached.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Another process runs the sandbox of this data directory (and this one may not share it).
    #[error(
        "the embedded sandbox of {} is already run by {}: close it, or give this one another data directory \
         (--data-dir)", dir.display(), who(owner.as_deref())
    )]
    Held {
        /// The data directory.
        dir: PathBuf,
        /// What its owner file says.
        owner: Option<Box<Owner>>,
    },
    /// A command line held it for longer than a command lasts.
    #[error(
        "the embedded sandbox of {} is still held by {} after {} s: wait for that command to end (or stop it), \
         then try again", dir.display(), who(owner.as_deref()), WAIT_FOR_COMMAND.as_secs()
    )]
    StillHeld {
        /// The data directory.
        dir: PathBuf,
        /// What its owner file says.
        owner: Option<Box<Owner>>,
    },
    /// The app runs the sandbox but it does not answer: the command line does not start a second one.
    #[error(
        "the embedded sandbox of {} is run by {}, which does not answer ({cause}); this command does not start a \
         second one on the same data: restart the app (or close it to let the command run its own sandbox), \
         then run the command again", dir.display(), who(owner.as_deref())
    )]
    Unreachable {
        /// The data directory.
        dir: PathBuf,
        /// What its owner file says.
        owner: Option<Box<Owner>>,
        /// What the last attempt got.
        cause: String,
    },
    /// The listening address set in [`LISTEN_ENV`] cannot be read.
    #[error(
        "{LISTEN_ENV}='{0}' is not an address: use 0.0.0.0 (every address; links carry the LAN address), an IP \
         address of this machine, or IP:PORT"
    )]
    Listen(String),
    /// It did not start.
    #[error("the embedded sandbox did not start: {0}")]
    Start(String),
}

fn who(owner: Option<&Owner>) -> String {
    match owner {
        Some(o) => {
            let what = match o.role.as_str() {
                "app" => "the cadodesk app",
                "command" => "a cadodesk command",
                _ => "a cadodesk sandbox",
            };
            format!("{what} (process {}) at {}", o.pid, o.url)
        }
        None => "another process".into(),
    }
}

/// The address to bind and the one the hosted page's links carry, from [`LISTEN_ENV`]'s value.
pub fn listen_address(value: Option<&str>) -> Result<(String, Option<IpAddr>), SandboxError> {
    let value = value.map(str::trim).unwrap_or("");
    let addr = match value {
        "" | "loopback" => return Ok(("127.0.0.1:0".into(), None)),
        "lan" => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        v => v
            .parse::<SocketAddr>()
            .or_else(|_| v.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 0)))
            .map_err(|_| SandboxError::Listen(v.to_string()))?,
    };
    let page = if addr.ip().is_unspecified() {
        let lan = lan_address();
        if lan.is_none() {
            tracing::warn!(
                "the sandbox listens on every address, but this machine shows no LAN address: links carry the \
                 address the till calls"
            );
        }
        lan
    } else if addr.ip().is_loopback() {
        None
    } else {
        Some(addr.ip())
    };
    Ok((addr.to_string(), page))
}

/// The address this machine reaches the network with (its LAN address), if it has one. Nothing is sent: a UDP
/// socket is only pointed at an outside address, so the system picks the interface.
pub fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(203, 0, 113, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// The embedded sandbox on a thread and runtime of its own. Dropping it stops the server.
#[derive(Debug)]
pub struct EmbeddedSandbox {
    url: String,
    page_url: String,
    port_note: Option<String>,
    _stop: tokio::sync::oneshot::Sender<()>,
    stopped: tokio::sync::oneshot::Receiver<()>,
}

/// What the sandbox thread reports once it listens.
struct Listening {
    url: String,
    page_url: String,
    port_note: Option<String>,
}

impl EmbeddedSandbox {
    /// Starts the desktop app's sandbox on `<data_dir>/sandbox.json`, listening where [`LISTEN_ENV`] says, and
    /// waits until it listens. `refund_delay_ms` overrides the time between REFUND_REQUESTED and REFUNDED.
    pub async fn start(
        data_dir: &Path,
        refund_delay_ms: Option<u64>,
    ) -> Result<EmbeddedSandbox, String> {
        let options = SandboxOptions::from_env(data_dir, refund_delay_ms, Role::App);
        EmbeddedSandbox::start_with(&options)
            .await
            .map_err(|e| e.to_string())
    }

    /// Starts the sandbox as `options` say. This process owns its data file for as long as it runs: while a command
    /// line holds it, waits (bounded) for that command to end; while anything else holds it, `Held`.
    pub async fn start_with(options: &SandboxOptions) -> Result<EmbeddedSandbox, SandboxError> {
        let since = Instant::now();
        loop {
            match EmbeddedSandbox::try_start(options).await {
                // A command ends soon; a sandbox of this process is stopping.
                Err(SandboxError::Held { dir, owner })
                    if owner.as_ref().is_some_and(|o| {
                        o.role == Role::Command.code() || o.pid == std::process::id()
                    }) =>
                {
                    if since.elapsed() > WAIT_FOR_COMMAND {
                        return Err(SandboxError::StillHeld { dir, owner });
                    }
                    tracing::info!(owner = %who(owner.as_deref()), "waiting for a command line to let the sandbox go");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => return other,
            }
        }
    }

    async fn try_start(options: &SandboxOptions) -> Result<EmbeddedSandbox, SandboxError> {
        let (listen, page_ip) = listen_address(options.listen.as_deref())?;
        let mut config = SandboxConfig {
            listen,
            data_file: Some(options.data_dir.join(SANDBOX_FILE)),
            keep_port: true,
            page_ip,
            role: options.role.code().into(),
            ..SandboxConfig::default()
        };
        if let Some(ms) = options.refund_delay_ms {
            config.refund_delay_ms = ms;
        }
        let (url_tx, url_rx) = tokio::sync::oneshot::channel::<Result<Listening, SandboxError>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("cadodesk-sandbox-rt")
            .enable_all()
            .build()
            .map_err(|e| SandboxError::Start(e.to_string()))?;
        let dir = options.data_dir.clone();
        std::thread::Builder::new()
            .name("cadodesk-sandbox".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match crate::sandbox::start(config).await {
                        Ok(running) => {
                            let _ = url_tx.send(Ok(Listening {
                                url: running.base_url(),
                                page_url: running.page_url().to_string(),
                                port_note: running.port_note().map(str::to_string),
                            }));
                            // Serves until the handle is dropped.
                            let _ = stop_rx.await;
                            running.shutdown().await;
                            let _ = stopped_tx.send(());
                        }
                        Err(e) => {
                            let err = match e.downcast_ref::<OwnerError>() {
                                Some(OwnerError::Held { owner, .. }) => SandboxError::Held {
                                    dir,
                                    owner: owner.clone().map(Box::new),
                                },
                                _ => SandboxError::Start(format!("{e:#}")),
                            };
                            let _ = url_tx.send(Err(err));
                        }
                    }
                });
            })
            .map_err(|e| SandboxError::Start(e.to_string()))?;
        let listening = url_rx
            .await
            .map_err(|_| SandboxError::Start("the sandbox thread ended".into()))??;
        tracing::info!(url = %listening.url, page = %listening.page_url, "embedded sandbox listening; the hosted page's links carry the page address");
        Ok(EmbeddedSandbox {
            url: listening.url,
            page_url: listening.page_url,
            port_note: listening.port_note,
            _stop: stop_tx,
            stopped: stopped_rx,
        })
    }

    /// Stops the server and waits until its state is saved and its data file let go (dropping it only asks).
    pub async fn stop(self) {
        let EmbeddedSandbox { _stop, stopped, .. } = self;
        drop(_stop);
        let _ = stopped.await;
    }

    /// Its base URL, `http://127.0.0.1:PORT` (or the address it was told to listen on).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the hosted page's links (the QR codes) carry: the LAN address when it listens there.
    pub fn page_url(&self) -> &str {
        &self.page_url
    }

    /// Set when the port kept from the last run was taken, so that links of sales opened before no longer open:
    /// says which port it listens on instead.
    pub fn port_note(&self) -> Option<&str> {
        self.port_note.as_deref()
    }
}

/// The base URL of a named environment; the embedded sandbox's is only known once it runs.
pub fn base_url(environment: &Environment, sandbox_url: Option<&str>) -> Option<String> {
    match environment {
        Environment::Sandbox => sandbox_url.map(str::to_string),
        Environment::Preprod => Some(endpoints::PREPROD.to_string()),
        Environment::Prod => Some(endpoints::PROD.to_string()),
        Environment::Custom(url) => Some(url.clone()),
    }
}

/// The credentials for `settings`: a secret just typed (to test it before saving), else the environment
/// (`CADODESK_API_KEY_ID`, `CADODESK_API_SECRET`), else the keychain. The embedded sandbox always takes its own
/// public defaults, the only ones it knows.
pub fn credentials(
    settings: &Settings,
    typed: Option<&Secret>,
    env: &dyn Fn(&str) -> Option<String>,
    keychain: &dyn Fn() -> Result<Vault, VaultError>,
) -> Result<ApiCredentials, VaultError> {
    if settings.environment == Environment::Sandbox {
        return sandbox_credentials();
    }
    if let Some(secret) = typed {
        return Ok(ApiCredentials {
            merchant_id: settings.merchant_id.clone(),
            api_key_id: settings.api_key_id.clone(),
            api_secret: secret.clone(),
            source: "settings",
        });
    }
    vault::resolve_credentials(
        Some(&settings.merchant_id)
            .filter(|m| !m.is_empty())
            .map(String::as_str),
        Some(&settings.api_key_id)
            .filter(|k| !k.is_empty())
            .map(String::as_str),
        env,
        false,
        keychain,
    )
}

/// The platform a till talks to: its base URL and, for the embedded sandbox this process runs, the server.
#[derive(Debug)]
pub struct Platform {
    /// The base URL.
    pub base_url: String,
    /// The embedded sandbox, when this process runs it; dropping it stops the server. `None` for another
    /// environment, or when the sandbox of the data directory is the running app's.
    pub sandbox: Option<EmbeddedSandbox>,
}

impl Platform {
    /// The platform for `environment`, for one command of the command line. For the embedded sandbox, the one
    /// process that owns `<data_dir>/sandbox.json` serves it: the running app's when there is one (reached over
    /// HTTP with the sandbox's credentials), else one started here for the command; when the app's does not
    /// answer, `Unreachable` (never a second sandbox on the same data).
    pub async fn open(
        environment: &Environment,
        data_dir: &Path,
    ) -> Result<Platform, SandboxError> {
        let sandbox = match environment {
            Environment::Sandbox => {
                let options = SandboxOptions::from_env(data_dir, None, Role::Command);
                match EmbeddedSandbox::start_with(&options).await {
                    Ok(s) => Some(s),
                    Err(SandboxError::Held { dir, owner }) => {
                        let base_url = reach_owner(&dir, owner).await?;
                        tracing::info!(%base_url, "using the running app's sandbox");
                        return Ok(Platform {
                            base_url,
                            sandbox: None,
                        });
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        let base_url = base_url(environment, sandbox.as_ref().map(EmbeddedSandbox::url))
            .ok_or_else(|| SandboxError::Start("the embedded sandbox gave no address".into()))?;
        Ok(Platform { base_url, sandbox })
    }
}

/// The URL of the process that owns the sandbox of `dir`, once it answers a signed test connection with the
/// sandbox's credentials. Its owner file may still name the previous owner for a moment after a start: it is
/// read again until the sandbox answers, for a few seconds at most.
async fn reach_owner(dir: &Path, mut owner: Option<Box<Owner>>) -> Result<String, SandboxError> {
    let file = dir.join(SANDBOX_FILE);
    let since = Instant::now();
    let mut cause = "its owner file names no address".to_string();
    loop {
        if let Some(o) = &owner {
            match probe(&o.url).await {
                Ok(()) => return Ok(o.url.clone()),
                Err(e) => cause = e,
            }
        }
        if since.elapsed() > WAIT_FOR_ANSWER {
            return Err(SandboxError::Unreachable {
                dir: dir.to_path_buf(),
                owner,
                cause,
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        owner = owner::read(&file).map(Box::new);
    }
}

/// A signed test connection to the sandbox at `url`, with its public credentials.
async fn probe(url: &str) -> Result<(), String> {
    let credentials = sandbox_credentials().map_err(|e| e.to_string())?;
    let gateway = DirectGateway::new(url, &credentials)?;
    match tokio::time::timeout(PROBE, gateway.test_connection()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.message()),
        Err(_) => Err(format!("no answer from {url} within {} s", PROBE.as_secs())),
    }
}

fn sandbox_credentials() -> Result<ApiCredentials, VaultError> {
    vault::resolve_credentials(None, None, &|_| None, true, &|| {
        Err(VaultError::NoKeychain(
            "the embedded sandbox needs none".into(),
        ))
    })
}

/// The till over `ledger`, talking to `base_url` with `credentials`, as `settings` say (operator, return URL).
pub fn till(
    ledger: Ledger,
    settings: &Settings,
    base_url: &str,
    credentials: &ApiCredentials,
    central: Option<&Secret>,
) -> Result<Till, TillError> {
    let gateway = DirectGateway::new(base_url, credentials).map_err(TillError::Config)?;
    let return_url = (!settings.return_url.is_empty()).then(|| settings.return_url.clone());
    let operator = if settings.operator.trim().is_empty() {
        DEFAULT_OPERATOR
    } else {
        settings.operator.as_str()
    };
    // One rule for both faces, whatever the ledger's settings hold (they can be edited behind the app's back).
    if !crate::till::manager::valid_operator(operator) {
        return Err(TillError::OperatorInvalid(
            operator.chars().take(60).collect(),
        ));
    }
    let till = Till::with_gateway(
        ledger.clone(),
        Arc::new(gateway),
        operator,
        logic::DEFAULT_SESSION_TIMEOUT_MINUTES,
        return_url,
    );
    Ok(match central {
        Some(url) => till.with_central(Arc::new(crate::central::PgGuard::new(
            url.expose(),
            ledger,
            operator,
        ))),
        None => till,
    })
}

/// The till's connection URL to the central ledger, when it has one: `CADODESK_CENTRAL_URL`, else the keychain
/// `central connect` put it in (under the till's UUID). A keychain that cannot be read is said in the log and counts as none.
pub fn central_url(
    ledger: &Ledger,
    env: &dyn Fn(&str) -> Option<String>,
    vault: &dyn Fn(Backend) -> Result<Vault, crate::vault::VaultError>,
) -> Option<crate::vault::Secret> {
    if let Some(u) = env("CADODESK_CENTRAL_URL").filter(|u| !u.trim().is_empty()) {
        return Some(crate::vault::Secret::new(u));
    }
    // The keychain is asked only when the till put the URL there: a till without a centre never touches it.
    let home = ledger
        .setting(crate::ledger::keys::CENTRAL_URL_HOME)
        .ok()
        .flatten();
    let backend = match home.as_deref() {
        Some("keychain") => Backend::Platform,
        Some("keyutils") => Backend::KernelKeyutils,
        _ => return None,
    };
    let uuid = ledger.till_identity().ok().flatten()?.uuid;
    match vault(backend).and_then(|v| v.load_central_url(&uuid)) {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(error = %e, "the keychain could not be read for the central URL");
            None
        }
    }
}
