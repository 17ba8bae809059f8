//! The one harness that drives the `cadodesk` binary as a script would: a clean environment, one data directory,
//! one endpoint, credentials from the environment, and every output kept when asked (for the secrets check).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::{KEY_ID, MERCHANT, SECRET};

/// The `cadodesk` binary with a clean environment: one data dir, one endpoint, the given credentials. Every
/// output is appended to `<log_dir>/cli-stdout.log` and `<log_dir>/cli-stderr.log` for the secrets check.
#[derive(Debug, Clone)]
pub struct Cli {
    pub data_dir: PathBuf,
    pub endpoint: String,
    pub key_id: String,
    pub secret: Option<String>,
    pub operator: String,
    pub log_dir: Option<PathBuf>,
    pub verbose: bool,
    /// More environment variables for the command (`CADODESK_SANDBOX_LISTEN`, …).
    pub extra_env: Vec<(String, String)>,
}

impl Cli {
    /// The binary against the sandbox at `base_url`, with its default credentials.
    pub fn sandbox(data_dir: &Path, base_url: &str) -> Cli {
        Cli::new(data_dir, base_url, SECRET)
    }

    pub fn new(data_dir: &Path, endpoint: &str, secret: &str) -> Cli {
        Cli {
            data_dir: data_dir.to_path_buf(),
            endpoint: endpoint.to_string(),
            key_id: KEY_ID.to_string(),
            secret: Some(secret.to_string()),
            operator: "script".to_string(),
            log_dir: None,
            verbose: false,
            extra_env: Vec::new(),
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
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        if self.verbose {
            c.arg("-vvv");
        }
        c.arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--endpoint", &self.endpoint, "--merchant-id", MERCHANT])
            .args(["--operator", &self.operator])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        c
    }

    /// Sets the shop's rule to "no manager PIN" (`pin set --no-threshold`, no PIN yet), as the till tests' shops
    /// do; the PIN's own tests set one.
    pub async fn no_pin_needed(&self) {
        let out = self.run(&["pin", "set", "--no-threshold"]).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Runs with `input` on standard input (PINs, secrets).
    pub async fn run_input(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .spawn()
            .expect("cadodesk runs");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(input.as_bytes())
            .await
            .expect("input written");
        drop(stdin);
        let out = child.wait_with_output().await.expect("cadodesk ends");
        self.keep(args, &out).await;
        out
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
