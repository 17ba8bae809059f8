//! Helpers for the reliability suites: repeatable draws, `cadodesk sandbox` as its own process, the fault
//! switchboard, and the platform's own view of what happened.

use std::path::{Path, PathBuf};

pub use super::binary::{Cli, json_of, stderr_of};
pub use super::*;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::AsyncBufReadExt;

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
    child: tokio::process::Child,
}

/// What the sandbox process is started with.
pub struct SandboxOptions<'a> {
    pub api_secret: &'a str,
    pub webhook_secret: &'a str,
    pub data: Option<&'a Path>,
    pub refund_delay_ms: u64,
    /// Where its standard error goes.
    pub log: &'a Path,
    /// `--listen` (a restarted sandbox takes its old address back); `127.0.0.1:0` when `None`.
    pub listen: Option<&'a str>,
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
                o.listen.unwrap_or("127.0.0.1:0"),
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
        SandboxProcess { url, child }
    }

    /// SIGKILL, and waits until it is gone (its port free again).
    pub async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

/// Fills and posts the hosted page: gift cards, then a card for the remainder (`card` may be `None`).
pub use crate::support::till::submit_hosted_page as pay;

/// Adds fault rules.
pub async fn add_faults(base_url: &str, rules: &Value) {
    crate::support::till::fault(base_url, rules.clone()).await;
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

pub use super::till::clear_faults;

/// The sandbox's whole state.
pub use crate::support::till::state as platform_state;

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
