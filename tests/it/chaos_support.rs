//! Helpers for the reliability suites: the `cadodesk` binary run as a script would run it (with every line it
//! writes kept for the secrets check), `cadodesk sandbox` as its own process, the fault switchboard, the hosted page
//! filled over HTTP, and the platform's own view of what happened.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

/// The sandbox's default merchant and key id (documented in the README).
pub const MERCHANT: &str = "cadodesk-sandbox";
/// The sandbox's default API key id.
pub const KEY_ID: &str = "sandbox-key-id";
/// The sandbox's default API secret.
pub const SECRET: &str = "sandbox-secret";

/// Gift cards with a balance and the two bank cards that pay (see the README's test cards).
pub const CADO_250: &str = "6299000000000001";
/// 50 € gift card.
pub const CADO_50: &str = "6299000000000002";
/// 20 € gift card.
pub const CADO_20: &str = "6299000000000003";
/// Visa that pays.
pub const VISA: &str = "4012000033330026";
/// Mastercard that pays.
pub const MASTERCARD: &str = "5555555555554444";
/// Visa that is declined.
pub const VISA_DECLINED: &str = "4321456998744563";

/// splitmix64: repeatable draws from a seed, without depending on a crate's API.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        lo + (self.next_u64() % ((hi - lo) as u64 + 1)) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

/// A random-enough seed for one run; printed so a failing run can be replayed.
pub fn fresh_seed() -> u64 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    t ^ (u64::from(std::process::id()) << 32)
}

/// `cadodesk sandbox` in its own process on a free loopback port; killed on drop.
pub struct SandboxProcess {
    pub url: String,
    // Held so that the process lives as long as the handle (killed on drop).
    _child: tokio::process::Child,
}

/// What the sandbox process is started with.
pub struct SandboxOptions<'a> {
    pub api_secret: &'a str,
    pub webhook_secret: &'a str,
    pub data: Option<&'a Path>,
    pub refund_delay_ms: u64,
    /// Where its standard error goes.
    pub log: &'a Path,
}

impl SandboxProcess {
    pub async fn start(o: SandboxOptions<'_>) -> SandboxProcess {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(o.log)
            .expect("sandbox log");
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cadodesk"));
        cmd.env_remove("RUST_LOG")
            .args([
                "sandbox",
                "--listen",
                "127.0.0.1:0",
                "--merchant-id",
                MERCHANT,
            ])
            .args(["--api-key-id", KEY_ID, "--api-secret", o.api_secret])
            .args(["--webhook-secret", o.webhook_secret])
            .args(["--refund-delay-ms", &o.refund_delay_ms.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .kill_on_drop(true);
        if let Some(d) = o.data {
            cmd.arg("--data").arg(d);
        }
        let mut child = cmd.spawn().expect("cadodesk sandbox starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = tokio::io::BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(120), lines.next_line())
            .await
            .expect("the sandbox announces its address in time")
            .expect("stdout readable")
            .expect("a first line");
        let url = first
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first}"))
            .to_string();
        assert!(url.starts_with("http://127.0.0.1:"), "loopback only: {url}");
        // Keep draining stdout so the sandbox never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        SandboxProcess { url, _child: child }
    }
}

/// The `cadodesk` binary with a clean environment: one data dir, one endpoint, the given credentials. Every
/// output is appended to `<log_dir>/cli-stdout.log` and `<log_dir>/cli-stderr.log` for the secrets check.
#[derive(Debug, Clone)]
pub struct Cli {
    pub data_dir: PathBuf,
    pub endpoint: String,
    pub key_id: String,
    pub secret: Option<String>,
    pub log_dir: Option<PathBuf>,
    pub verbose: bool,
}

impl Cli {
    pub fn new(data_dir: &Path, endpoint: &str, secret: &str) -> Cli {
        Cli {
            data_dir: data_dir.to_path_buf(),
            endpoint: endpoint.to_string(),
            key_id: KEY_ID.to_string(),
            secret: Some(secret.to_string()),
            log_dir: None,
            verbose: false,
        }
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(env!("CARGO_BIN_EXE_cadodesk"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CADODESK_") || k == "RUST_LOG" {
                c.env_remove(k);
            }
        }
        c.env("CADODESK_API_KEY_ID", &self.key_id);
        if let Some(s) = &self.secret {
            c.env("CADODESK_API_SECRET", s);
        }
        if self.verbose {
            c.arg("-vvv");
        }
        c.arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--endpoint", &self.endpoint, "--merchant-id", MERCHANT])
            .args(["--operator", "chaos"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().await.expect("cadodesk runs");
        self.keep(args, &out).await;
        out
    }

    /// Appends one command's outputs to the logs.
    pub async fn keep(&self, args: &[&str], out: &Output) {
        let Some(dir) = &self.log_dir else { return };
        for (name, bytes) in [
            ("cli-stdout.log", &out.stdout),
            ("cli-stderr.log", &out.stderr),
        ] {
            let mut f = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join(name))
                .await
                .expect("log");
            let head = format!("\n### cadodesk {} -> {:?}\n", args.join(" "), out.status);
            f.write_all(head.as_bytes()).await.expect("log");
            f.write_all(bytes).await.expect("log");
        }
    }
}

pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

pub fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Fills and posts the hosted page: gift cards, then a card for the remainder (`card` may be `None`).
pub use crate::till_support::submit_hosted_page as pay;

/// Adds fault rules.
pub async fn add_faults(base_url: &str, rules: &Value) {
    crate::till_support::fault(base_url, rules.clone()).await;
}

/// The rules still armed.
pub async fn faults(base_url: &str) -> Vec<Value> {
    let v: Value = reqwest::get(format!("{base_url}/sandbox/faults"))
        .await
        .expect("faults answer")
        .json()
        .await
        .expect("JSON");
    v["rules"].as_array().cloned().unwrap_or_default()
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
pub use crate::till_support::state as platform_state;

/// What a request may change at the platform, to show that a refusal sent nothing.
pub fn footprint(state: &Value) -> (usize, usize, usize, i64) {
    let n = |k: &str| state[k].as_array().map(Vec::len).unwrap_or(0);
    (
        n("checkouts"),
        n("payments"),
        n("refunds"),
        state["idempotenceKeys"].as_i64().unwrap_or(-1),
    )
}

/// Files under `dir` (recursively) whose bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                hits.push(p);
            }
        }
    }
    hits
}
