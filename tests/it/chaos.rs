//! The fault-injection run: a thousand sales and refunds through the `cadodesk` binary against `cadodesk sandbox`
//! while the sandbox's switchboard adds latency beyond the client's timeout, bursts of 5xx, connections dropped after
//! the operation was committed and 409 "in progress" answers; while the binary is killed with SIGKILL at random
//! moments and restarted (`cadodesk resume`, or the same read again); while another process tries `refund-close` on
//! refunds in flight or left unanswered by a killed process; and while the sandbox itself is killed and restarted
//! on its address in the middle of refunds. At the end the ledger is compared with the
//! platform's own state: every platform refund appears exactly once in the ledger, no refund the ledger asked for is
//! missing or doubled at the platform, sums match per tender, and `ledger verify` passes. It prints one line:
//! `chaos: N operations, F faults, K kills, L lost, D duplicated`.
//!
//! It takes minutes, so it is ignored by `cargo test`; `scripts/chaos.sh` runs it. Knobs (environment):
//! `CADODESK_CHAOS_OPS` (operations to aim for, default 1000), `CADODESK_CHAOS_SECONDS` (time budget of the
//! fault phase, default 900), `CADODESK_CHAOS_SLOW` (requests held beyond the client's 20 s timeout, default 2),
//! `CADODESK_CHAOS_SEED`, `CADODESK_CHAOS_DIR` (where the ledger, logs and exports are kept; a temporary directory
//! otherwise), `CADODESK_CHAOS_API_SECRET` and `CADODESK_CHAOS_WEBHOOK_SECRET` (the secrets the sandbox and the
//! till share; random otherwise).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::support::chaos::*;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Clone)]
struct Tender {
    payment_id: String,
    refundable: i64,
}

#[derive(Debug, Clone)]
struct Sale {
    id: String,
    tenders: Vec<Tender>,
}

/// How one command ended.
#[derive(Debug)]
struct Ran {
    out: Output,
    killed: bool,
}

impl Ran {
    fn code(&self) -> Option<i32> {
        self.out.status.code()
    }
}

struct Run {
    cli: Cli,
    base: String,
    rng: Rng,
    dir: PathBuf,
    ops: u64,
    kills: u64,
    faults: u64,
    sales: Vec<Sale>,
    /// Refund ids the binary printed on success: each must be at the platform and in the ledger.
    printed_refunds: Vec<(String, String, i64)>,
    /// Exits that no fault explains, kept for the report.
    odd: Vec<String>,
    panics: u64,
    /// How long a command usually takes here (ms, moving average): kill moments are drawn within it.
    typical_ms: f64,
    /// The platform's own process, killed and restarted on its address mid-run.
    sandbox: Option<SandboxProcess>,
    /// The API and webhook secrets it is started with.
    secrets: (String, String),
    sandbox_restarts: u64,
    /// `refund-close` tried on refunds in flight or left unsettled, and how many went through.
    closes_tried: u64,
    closes_done: u64,
}

impl Run {
    /// Runs one command; with `kill_after`, sends SIGKILL at that moment if it is still running.
    async fn op(&mut self, args: &[&str], kill_after: Option<Duration>) -> Ran {
        self.ops += 1;
        let mut cli = self.cli.clone();
        // Every tenth command logs everything: the secrets check reads those logs.
        cli.verbose = self.ops % 10 == 1;
        let mut child = cli.command(args).spawn().expect("cadodesk starts");
        let mut so = child.stdout.take().expect("stdout");
        let mut se = child.stderr.take().expect("stderr");
        let read_out = tokio::spawn(async move {
            let mut b = Vec::new();
            let _ = so.read_to_end(&mut b).await;
            b
        });
        let read_err = tokio::spawn(async move {
            let mut b = Vec::new();
            let _ = se.read_to_end(&mut b).await;
            b
        });
        let mut killed = false;
        let t0 = Instant::now();
        let status = match kill_after {
            None => child.wait().await.expect("wait"),
            Some(d) => {
                tokio::select! {
                    s = child.wait() => s.expect("wait"),
                    () = tokio::time::sleep(d) => {
                        match child.try_wait().expect("try_wait") {
                            Some(s) => s,
                            None => {
                                child.start_kill().expect("kill -9");
                                let s = child.wait().await.expect("wait");
                                killed = s.signal() == Some(9);
                                s
                            }
                        }
                    }
                }
            }
        };
        if killed {
            self.kills += 1;
        } else if kill_after.is_none() {
            self.typical_ms = 0.8 * self.typical_ms + 0.2 * t0.elapsed().as_millis() as f64;
        }
        let out = Output {
            status,
            stdout: read_out.await.unwrap_or_default(),
            stderr: read_err.await.unwrap_or_default(),
        };
        cli.keep(args, &out).await;
        let err = stderr_of(&out);
        if err.contains("panicked") {
            self.panics += 1;
            eprintln!("chaos: PANIC in `cadodesk {}`: {err}", args.join(" "));
        }
        Ran { out, killed }
    }

    fn note(&mut self, what: &str, ran: &Ran) {
        let line = format!(
            "{what}: exit {:?}: {}",
            ran.out.status,
            stderr_of(&ran.out).trim().lines().last().unwrap_or("")
        );
        eprintln!("chaos: {line}");
        self.odd.push(line);
    }

    async fn arm(&mut self, rules: Value) -> u64 {
        let armed: u64 = rules
            .as_array()
            .map(|a| a.iter().map(|r| r["count"].as_u64().unwrap_or(0)).sum())
            .unwrap_or(0);
        add_faults(&self.base, &rules).await;
        armed
    }

    /// Counts what fired of the rules armed, and removes the rest.
    async fn disarm(&mut self, armed: u64) {
        let left: u64 = faults(&self.base)
            .await
            .iter()
            .map(|r| r["count"].as_u64().unwrap_or(0))
            .sum();
        self.faults += armed.saturating_sub(left);
        clear_faults(&self.base).await;
    }

    /// A random fault on `operation` (or on every operation), always limited by `count` so it can be counted.
    fn random_fault(&mut self, operation: &str) -> Option<Value> {
        let op = if self.rng.chance(0.2) {
            "any"
        } else {
            operation
        };
        let seed = self.rng.next_u64() >> 12;
        Some(match self.rng.range(0, 9) {
            0..=2 => return None,
            3..=4 => {
                json!([{"operation": op, "errorRate": 1.0, "count": self.rng.range(1, 5), "seed": seed}])
            }
            5..=6 => {
                json!([{"operation": op, "dropAfterCommit": 1.0, "count": self.rng.range(1, 2), "seed": seed}])
            }
            7..=8 => {
                json!([{"operation": op, "inProgress409": 1.0, "count": self.rng.range(1, 3), "seed": seed}])
            }
            _ => json!([
                {"operation": op, "errorRate": 1.0, "count": 1, "seed": seed},
                {"operation": op, "dropAfterCommit": 1.0, "count": 1},
            ]),
        })
    }

    /// A kill moment within a command's usual run time (from start-up to its last write).
    fn maybe_kill(&mut self, p: f64) -> Option<Duration> {
        if self.rng.chance(p) {
            let hi = (self.typical_ms * 1.1).max(20.0) as i64;
            Some(Duration::from_millis(self.rng.range(5, hi) as u64))
        } else {
            None
        }
    }

    /// After a kill or a lost answer: the restart that settles what was left unfinished.
    async fn restart(&mut self) {
        let r = self.op(&["resume", "--json"], None).await;
        if !r.out.status.success() {
            // Faults may still be armed: the next resume (at the latest the final one) settles it.
            self.note("resume after restart", &r);
        }
    }

    async fn read_sale(&mut self, id: &str, kill: Option<Duration>) -> Option<Value> {
        let r = self.op(&["checkout", "status", id, "--json"], kill).await;
        if r.killed {
            // Restart: the same read again.
            let again = self.op(&["checkout", "status", id, "--json"], None).await;
            return again.out.status.success().then(|| json_of(&again.out));
        }
        r.out.status.success().then(|| json_of(&r.out))
    }

    fn absorb(&mut self, v: &Value) {
        let Some(id) = v["hostedCheckoutId"].as_str() else {
            return;
        };
        if v["status"] != "paid" {
            return;
        }
        let tenders: Vec<Tender> = v["tenders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["captured"].as_i64().unwrap_or(0) > 0)
            .map(|t| Tender {
                payment_id: t["paymentId"].as_str().unwrap_or_default().to_string(),
                refundable: t["refundable"].as_i64().unwrap_or(0),
            })
            .collect();
        match self.sales.iter_mut().find(|s| s.id == id) {
            Some(s) => s.tenders = tenders,
            None => self.sales.push(Sale {
                id: id.to_string(),
                tenders,
            }),
        }
    }

    async fn new_sale(&mut self) {
        let cents = self.rng.range(500, 18_000);
        let amount = format!("{},{:02}", cents / 100, cents % 100);
        let fault = if self.rng.chance(0.3) {
            self.random_fault("create_checkout")
        } else {
            None
        };
        let armed = match fault {
            Some(f) => self.arm(f).await,
            None => 0,
        };
        let kill = self.maybe_kill(0.15);
        let r = self
            .op(&["checkout", "create", "--amount", &amount, "--json"], kill)
            .await;
        self.disarm(armed).await;
        if r.killed {
            self.restart().await;
            return;
        }
        if !r.out.status.success() {
            // A create whose answer was lost is recorded as failed; its session expires unpaid at the platform.
            if armed == 0 {
                self.note("checkout create without a fault", &r);
            }
            return;
        }
        let created = json_of(&r.out);
        let id = created["hostedCheckoutId"]
            .as_str()
            .expect("id")
            .to_string();
        let url = created["redirectUrl"].as_str().expect("url").to_string();
        // Gift cards that still have a balance, then a bank card for the remainder.
        let st = platform_state(&self.base).await;
        let mut gifts: Vec<&str> = Vec::new();
        for card in [CADO_250, CADO_50, CADO_20] {
            if st["balances"][card].as_i64().unwrap_or(0) > 0 && self.rng.chance(0.35) {
                gifts.push(card);
            }
        }
        let card = if self.rng.chance(0.5) {
            VISA
        } else {
            MASTERCARD
        };
        self.ops += 1;
        let code = pay(&url, &gifts, Some(card)).await;
        assert!(code < 500, "hosted page answered {code}");
        let fault = if self.rng.chance(0.4) {
            let op = if self.rng.chance(0.5) {
                "get_checkout"
            } else {
                "get_details"
            };
            self.random_fault(op)
        } else {
            None
        };
        let armed = match fault {
            Some(f) => self.arm(f).await,
            None => 0,
        };
        let kill = self.maybe_kill(0.1);
        let v = self.read_sale(&id, kill).await;
        self.disarm(armed).await;
        let v = match v {
            Some(v) => v,
            None => match self.read_sale(&id, None).await {
                Some(v) => v,
                None => return,
            },
        };
        if v["status"] != "paid" {
            eprintln!("chaos: sale {id} reads {} after paying", v["status"]);
        }
        self.absorb(&v);
    }

    /// A sale's tender with something left to refund, drawn at random.
    fn pick_tender(&mut self) -> Option<(String, Tender)> {
        let candidates: Vec<(usize, usize)> = self
            .sales
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.tenders
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.refundable > 0)
                    .map(move |(j, _)| (i, j))
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let (i, j) = *self.rng.pick(&candidates);
        Some((self.sales[i].id.clone(), self.sales[i].tenders[j].clone()))
    }

    async fn refund(&mut self, slow: bool) {
        let Some((sale_id, t)) = self.pick_tender() else {
            return;
        };
        let over = self.rng.chance(0.12);
        let cents = if over {
            t.refundable + self.rng.range(1, 500)
        } else if self.rng.chance(0.4) {
            t.refundable
        } else {
            self.rng.range(1, t.refundable)
        };
        let amount = format!("{},{:02}", cents / 100, cents % 100);
        let (armed, kill) = if slow {
            // Held beyond the client's 20 s timeout: the retry with the same key meets the first request still
            // running (409), then its replay.
            let armed = self
                .arm(json!([{"operation": "refund", "latencyMs": 21_000, "count": 1}]))
                .await;
            (armed, None)
        } else {
            if self.rng.chance(0.15) {
                // The platform is slow (within the timeout) and the till dies while it works: the refund is
                // committed at the platform after the process is gone, and only the restart learns of it.
                let latency = self.rng.range(300, 1500);
                let armed = self
                    .arm(json!([{"operation": "refund", "latencyMs": latency, "count": 1}]))
                    .await;
                let at = self.typical_ms as i64 + self.rng.range(0, latency);
                (armed, Some(Duration::from_millis(at as u64)))
            } else {
                let fault = if self.rng.chance(0.6) {
                    self.random_fault("refund")
                } else {
                    None
                };
                let armed = match fault {
                    Some(f) => self.arm(f).await,
                    None => 0,
                };
                (armed, self.maybe_kill(0.3))
            }
        };
        let args = [
            "refund",
            "--payment-id",
            &t.payment_id,
            "--amount",
            &amount,
            "--reason",
            "retour client",
            "--json",
        ];
        let r = self.op(&args, kill).await;
        match r.code() {
            _ if r.killed => {
                // An operator may close what the dead process left unanswered before anyone resumes it.
                if self.rng.chance(0.5) {
                    self.close_unsettled(&t.payment_id).await;
                }
                self.restart().await
            }
            Some(0) => {
                let v = json_of(&r.out);
                let id = v["refundId"].as_str().unwrap_or_default().to_string();
                if over {
                    self.note(
                        &format!("refund of {cents} over {} accepted", t.refundable),
                        &r,
                    );
                }
                self.printed_refunds.push((id, t.payment_id.clone(), cents));
            }
            Some(1) if over => {}
            Some(3) => self.restart().await,
            _ => {
                // In flight (an earlier refund on this tender is unsettled), or refused after a fault: settle.
                if armed == 0 {
                    self.note("refund without a fault", &r);
                }
                self.restart().await;
            }
        }
        self.disarm(armed).await;
        if let Some(v) = self.read_sale(&sale_id, None).await {
            self.absorb(&v);
        }
    }
}

impl Run {
    /// A tender with something left, and an amount within it.
    fn pick_refund(&mut self) -> Option<(String, String, i64)> {
        let (sale_id, t) = self.pick_tender()?;
        let cents = self.rng.range(1, t.refundable);
        Some((sale_id, t.payment_id, cents))
    }

    /// `cadodesk refund …` started in the background (the command another process runs meanwhile).
    fn spawn_refund(&mut self, payment_id: &str, cents: i64) -> tokio::task::JoinHandle<Output> {
        self.ops += 1;
        let cli = self.cli.clone();
        let amount = format!("{},{:02}", cents / 100, cents % 100);
        let payment_id = payment_id.to_string();
        tokio::spawn(async move {
            cli.run(&[
                "refund",
                "--payment-id",
                &payment_id,
                "--amount",
                &amount,
                "--reason",
                "retour client",
                "--json",
            ])
            .await
        })
    }

    /// The numbers of the refunds on `payment_id` that have no answer yet.
    async fn unsettled_on(&mut self, payment_id: &str) -> Vec<i64> {
        let (from, to) = (day_offset(-1), day_offset(1));
        let r = self
            .op(&["refunds", "--from", &from, "--to", &to, "--json"], None)
            .await;
        if !r.out.status.success() {
            return Vec::new();
        }
        json_of(&r.out)
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| v["paymentId"] == payment_id)
            .filter(|v| v["status"] == "requested" || v["status"] == "unknown")
            .filter_map(|v| v["number"].as_i64())
            .collect()
    }

    /// `refund-close` on whatever is unsettled on the tender: refused while it may still be carried out or when
    /// the platform shows it; closed only when the platform, asked by its key, never saw it.
    async fn close_unsettled(&mut self, payment_id: &str) -> Vec<Ran> {
        let mut out = Vec::new();
        for n in self.unsettled_on(payment_id).await {
            self.closes_tried += 1;
            let r = self
                .op(
                    &["refund-close", &n.to_string(), "--reason", "caisse arrêtée"],
                    None,
                )
                .await;
            if r.out.status.success() {
                self.closes_done += 1;
            }
            out.push(r);
        }
        out
    }

    /// A refund the platform holds a few seconds, and an operator who tries to close it meanwhile from another
    /// process: the close must be refused (the refund is being sent), and the money never leaves twice.
    async fn close_while_in_flight(&mut self) {
        let Some((sale_id, payment_id, cents)) = self.pick_refund() else {
            return;
        };
        let latency = self.rng.range(1500, 3000);
        let armed = self
            .arm(json!([{"operation": "refund", "latencyMs": latency, "count": 1}]))
            .await;
        let sending = self.spawn_refund(&payment_id, cents);
        // The intent is written before the request: wait for it to show.
        let mut closes = Vec::new();
        for _ in 0..20 {
            closes = self.close_unsettled(&payment_id).await;
            if !closes.is_empty() || sending.is_finished() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let out = sending.await.expect("the refund process ran");
        for c in &closes {
            if c.out.status.success() {
                self.note(
                    "refund-close went through while the refund was being sent",
                    c,
                );
            }
        }
        self.settle_background(&out, &payment_id, cents, armed)
            .await;
        if let Some(v) = self.read_sale(&sale_id, None).await {
            self.absorb(&v);
        }
    }

    /// The platform's own process dies (SIGKILL) while a refund is on its way, and comes back on its address with
    /// its stored state.
    async fn sandbox_dies_during_a_refund(&mut self) {
        let Some((sale_id, payment_id, cents)) = self.pick_refund() else {
            return;
        };
        let sending = self.spawn_refund(&payment_id, cents);
        let at = self.rng.range(0, self.typical_ms.max(20.0) as i64);
        tokio::time::sleep(Duration::from_millis(at as u64)).await;
        self.restart_sandbox().await;
        let out = sending.await.expect("the refund process ran");
        self.settle_background(&out, &payment_id, cents, 0).await;
        if let Some(v) = self.read_sale(&sale_id, None).await {
            self.absorb(&v);
        }
    }

    async fn restart_sandbox(&mut self) {
        let Some(old) = self.sandbox.take() else {
            return;
        };
        let listen = self.base.trim_start_matches("http://").to_string();
        old.kill().await;
        self.faults += 1;
        self.sandbox_restarts += 1;
        let dir = self.dir.clone();
        let (api, webhook) = self.secrets.clone();
        let sb = SandboxProcess::start(SandboxOptions {
            api_secret: &api,
            webhook_secret: &webhook,
            data: Some(&dir.join("sandbox-state.json")),
            refund_delay_ms: 300,
            log: &dir.join("sandbox-stderr.log"),
            listen: Some(&listen),
        })
        .await;
        assert_eq!(sb.url, self.base, "the sandbox came back on its address");
        self.sandbox = Some(sb);
    }

    /// What a background refund printed: a refund done is expected at the platform; anything else is settled by
    /// a restart.
    async fn settle_background(&mut self, out: &Output, payment_id: &str, cents: i64, armed: u64) {
        if stderr_of(out).contains("panicked") {
            self.panics += 1;
        }
        if out.status.code() == Some(0) {
            let v = json_of(out);
            let id = v["refundId"].as_str().unwrap_or_default().to_string();
            self.printed_refunds
                .push((id, payment_id.to_string(), cents));
        } else {
            self.restart().await;
        }
        self.disarm(armed).await;
    }
}

fn day_offset(days: i64) -> String {
    (chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
        + chrono::Duration::days(days))
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes long: scripts/chaos.sh runs it (cargo test --test it chaos::chaos_run -- --ignored)"]
async fn chaos_run() {
    let target_ops: u64 = env_or("CADODESK_CHAOS_OPS", 1000);
    let budget = Duration::from_secs(env_or("CADODESK_CHAOS_SECONDS", 900));
    let slow_total: u64 = env_or("CADODESK_CHAOS_SLOW", 2);
    let seed: u64 = env_or("CADODESK_CHAOS_SEED", fresh_seed());
    let mut rng = Rng::new(seed);
    let api_secret = std::env::var("CADODESK_CHAOS_API_SECRET")
        .unwrap_or_else(|_| format!("chaos-secret-{:016x}", rng.next_u64()));
    let webhook_secret = std::env::var("CADODESK_CHAOS_WEBHOOK_SECRET")
        .unwrap_or_else(|_| format!("chaos-webhook-{:016x}", rng.next_u64()));
    let temp = tempfile::tempdir().expect("tempdir");
    let dir: PathBuf = std::env::var_os("CADODESK_CHAOS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("work dir");
    let data_dir = dir.join("till");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    eprintln!(
        "chaos: seed {seed}, aiming at {target_ops} operations within {}s, work dir {}",
        budget.as_secs(),
        dir.display()
    );

    let sandbox = SandboxProcess::start(SandboxOptions {
        api_secret: &api_secret,
        webhook_secret: &webhook_secret,
        data: Some(&dir.join("sandbox-state.json")),
        refund_delay_ms: 300,
        log: &dir.join("sandbox-stderr.log"),
        listen: None,
    })
    .await;
    let base = sandbox.url.clone();
    let mut cli = Cli::new(&data_dir, &base, &api_secret);
    cli.log_dir = Some(dir.clone());
    cli.no_pin_needed().await;

    let mut run = Run {
        cli,
        base: base.clone(),
        rng,
        dir: dir.clone(),
        ops: 0,
        kills: 0,
        faults: 0,
        sales: Vec::new(),
        printed_refunds: Vec::new(),
        odd: Vec::new(),
        panics: 0,
        typical_ms: 300.0,
        sandbox: Some(sandbox),
        secrets: (api_secret.clone(), webhook_secret.clone()),
        sandbox_restarts: 0,
        closes_tried: 0,
        closes_done: 0,
    };

    let started = Instant::now();
    let mut slow_done = 0u64;
    while run.ops < target_ops && started.elapsed() < budget {
        // The requests held beyond the client's timeout are spread over the run.
        let due_slow = slow_done < slow_total
            && run.ops * (slow_total + 1) >= (slow_done + 1) * target_ops
            && !run.sales.is_empty();
        let open = run
            .sales
            .iter()
            .filter(|s| s.tenders.iter().any(|t| t.refundable > 0))
            .count();
        if due_slow {
            slow_done += 1;
            run.refund(true).await;
        } else if open < 3 || run.rng.chance(0.3) {
            run.new_sale().await;
        } else if run.rng.chance(0.08) {
            run.restart().await;
        } else if run.rng.chance(0.08) {
            run.close_while_in_flight().await;
        } else if run.rng.chance(0.03) {
            run.sandbox_dies_during_a_refund().await;
        } else {
            run.refund(false).await;
        }
    }
    let fault_phase = started.elapsed();

    // Settle: no faults, resume until nothing is unfinished, let the refunds complete, read every sale again.
    clear_faults(&base).await;
    let cli = run.cli.clone();
    let (from, to) = (day_offset(-1), day_offset(1));
    let mut unsettled = usize::MAX;
    for _ in 0..6 {
        let out = cli.run(&["resume", "--json"]).await;
        assert!(out.status.success(), "resume: {}", stderr_of(&out));
        let refunds = json_of(
            &cli.run(&["refunds", "--from", &from, "--to", &to, "--json"])
                .await,
        );
        unsettled = refunds
            .as_array()
            .expect("refunds")
            .iter()
            .filter(|r| r["status"] == "requested" || r["status"] == "unknown")
            .count();
        if unsettled == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let ids: Vec<String> = run.sales.iter().map(|s| s.id.clone()).collect();
    for id in &ids {
        let out = cli.run(&["checkout", "status", id, "--json"]).await;
        assert!(out.status.success(), "status {id}: {}", stderr_of(&out));
    }

    // Reconcile re-reads the platform: a refund the ledger lacked would come back as "external" (counted as lost
    // below), and one it has must not come back twice.
    let out = cli
        .run(&["reconcile", "--from", &from, "--to", &to, "--json"])
        .await;
    assert!(out.status.success(), "reconcile: {}", stderr_of(&out));
    let reconciled = json_of(&out);
    eprintln!("chaos: reconcile: {reconciled}");

    // The comparison.
    let platform = platform_state(&base).await;
    let ledger_refunds = json_of(
        &cli.run(&["refunds", "--from", &from, "--to", &to, "--json"])
            .await,
    );
    let ledger_refunds = ledger_refunds.as_array().expect("refunds").clone();
    let checkouts = json_of(&cli.run(&["checkout", "list", "--json"]).await);
    let csv_path = dir.join("refunds.csv");
    let export = cli
        .run(&[
            "export",
            "refunds",
            "--from",
            &from,
            "--to",
            &to,
            "--format",
            "rfc4180",
            "-o",
            csv_path.to_str().expect("path"),
            "--json",
        ])
        .await;
    assert!(export.status.success(), "export: {}", stderr_of(&export));
    let export = json_of(&export);
    let excel = cli
        .run(&[
            "export",
            "refunds",
            "--from",
            &from,
            "--to",
            &to,
            "-o",
            dir.join("refunds-excel-fr.csv").to_str().expect("path"),
        ])
        .await;
    assert!(excel.status.success(), "export: {}", stderr_of(&excel));
    let verify = cli.run(&["ledger", "verify", "--json"]).await;

    let Tally {
        lost,
        mut duplicated,
        mut problems,
        tenders_checked,
    } = compare(&platform, &ledger_refunds, &run.printed_refunds);
    let p_refunds: Vec<&Value> = platform["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .collect();
    // Per sale, the ledger's list against the platform.
    let mut per_checkout: HashMap<String, i64> = HashMap::new();
    for p in platform["payments"].as_array().expect("payments") {
        *per_checkout
            .entry(
                p["hostedCheckoutId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default() += p["refundedAmount"].as_i64().unwrap_or(0);
    }
    for c in checkouts.as_array().expect("list") {
        let Some(id) = c["hostedCheckoutId"].as_str() else {
            continue;
        };
        let expect = per_checkout.get(id).copied().unwrap_or(0);
        if c["refunded"].as_i64().unwrap_or(0) != expect {
            problems.push(format!(
                "checkout list: {id} refunded {} in the ledger, {expect} at the platform",
                c["refunded"]
            ));
        }
    }
    // The export: one row per ledger refund, each id once, the same total.
    let mut reader = csv::Reader::from_path(&csv_path).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    let id_col = headers
        .iter()
        .position(|h| h.to_lowercase().contains("refund id"));
    let mut csv_ids: HashSet<String> = HashSet::new();
    let mut rows = 0;
    for rec in reader.records() {
        let rec = rec.expect("row");
        rows += 1;
        if let Some(i) = id_col
            && !rec[i].is_empty()
            && !csv_ids.insert(rec[i].to_string())
        {
            duplicated += 1;
            problems.push(format!("refund {} twice in the export", &rec[i]));
        }
    }
    if rows != ledger_refunds.len() || export["rows"].as_u64() != Some(ledger_refunds.len() as u64)
    {
        problems.push(format!(
            "export has {rows} rows ({}), the ledger {} refunds",
            export["rows"],
            ledger_refunds.len()
        ));
    }
    let verify_ok = verify.status.success() && json_of(&verify)["sound"] == true;

    // Secrets: nowhere in what the run left behind (ledger, logs, exports, the sandbox's own files).
    let leaks: Vec<PathBuf> = [&api_secret, &webhook_secret]
        .iter()
        .flat_map(|s| files_containing(&dir, s.as_bytes()))
        .collect();

    for p in &problems {
        eprintln!("chaos: PROBLEM: {p}");
    }
    eprintln!(
        "chaos: {} sales, {} platform refunds, {} ledger refunds, {tenders_checked} tenders compared, {} odd exits, \
         {} sandbox kills and restarts, {} refund-close tried ({} closed), fault phase {}s, seed {seed}",
        run.sales.len(),
        p_refunds.len(),
        ledger_refunds.len(),
        run.odd.len(),
        run.sandbox_restarts,
        run.closes_tried,
        run.closes_done,
        fault_phase.as_secs()
    );
    println!(
        "chaos: {} operations, {} faults, {} kills, {lost} lost, {duplicated} duplicated",
        run.ops, run.faults, run.kills
    );
    write_summary(&run.dir, &run, lost, duplicated);
    assert_eq!(unsettled, 0, "refunds left unsettled after resume");
    assert!(verify_ok, "ledger verify: {}", stderr_of(&verify));
    assert_eq!(run.panics, 0, "the binary panicked");
    assert!(leaks.is_empty(), "a secret was written to {leaks:?}");
    assert_eq!((lost, duplicated), (0, 0), "{problems:#?}");
    assert!(problems.is_empty(), "{problems:#?}");
    if let Some(sb) = run.sandbox.take() {
        sb.kill().await;
    }
}

/// What the comparison of the ledger with the platform found.
#[derive(Debug)]
struct Tally {
    lost: u64,
    duplicated: u64,
    problems: Vec<String>,
    tenders_checked: usize,
}

/// Compares the platform's state (`GET /sandbox/state`) with the ledger's refunds (`cadodesk refunds --json`) and
/// the refunds the binary printed as done.
fn compare(platform: &Value, ledger_refunds: &[Value], printed: &[(String, String, i64)]) -> Tally {
    let mut lost = 0u64;
    let mut duplicated = 0u64;
    let mut problems: Vec<String> = Vec::new();

    let p_refunds: Vec<&Value> = platform["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .collect();
    let real = |r: &Value| r["status"] != "REJECTED" && r["status"] != "CANCELLED";
    let mut by_key: HashMap<String, Vec<&Value>> = HashMap::new();
    for r in &p_refunds {
        by_key
            .entry(
                r["merchantReference"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
            .or_default()
            .push(r);
    }
    for (key, rs) in &by_key {
        let n = rs.iter().filter(|r| real(r)).count();
        if n > 1 {
            duplicated += (n - 1) as u64;
            problems.push(format!("{n} platform refunds carry the key {key}: {rs:?}"));
        }
    }
    let mut ledger_ids: HashMap<String, usize> = HashMap::new();
    for r in ledger_refunds {
        let status = r["status"].as_str().unwrap_or_default();
        if r["external"] == true {
            lost += 1;
            problems.push(format!(
                "a platform refund the till did not ask for was imported: {r}"
            ));
        }
        match status {
            "requested" | "unknown" => {
                lost += 1;
                problems.push(format!("refund still unsettled after resume: {r}"));
                continue;
            }
            "declined" => {
                if let Some(id) = r["refundId"].as_str()
                    && let Some(p) = p_refunds.iter().find(|p| p["id"] == id)
                    && real(p)
                {
                    lost += 1;
                    problems.push(format!(
                        "declined in the ledger, carried out at the platform: {r} / {p}"
                    ));
                }
                continue;
            }
            _ => {}
        }
        let Some(id) = r["refundId"].as_str() else {
            lost += 1;
            problems.push(format!("refund without a platform id: {r}"));
            continue;
        };
        *ledger_ids.entry(id.to_string()).or_default() += 1;
        match p_refunds.iter().find(|p| p["id"] == id) {
            None => {
                lost += 1;
                problems.push(format!("in the ledger, not at the platform: {r}"));
            }
            Some(p) => {
                if p["amount"] != r["amount"] || p["paymentId"] != r["paymentId"] {
                    lost += 1;
                    problems.push(format!("ledger and platform disagree: {r} / {p}"));
                }
                let settled = p["status"] == "REFUNDED";
                if settled != (status == "refunded") {
                    problems.push(format!("status differs (not counted): {r} / {p}"));
                }
            }
        }
    }
    for (id, n) in &ledger_ids {
        if *n > 1 {
            duplicated += (*n - 1) as u64;
            problems.push(format!("refund {id} appears {n} times in the ledger"));
        }
    }
    for p in p_refunds.iter().filter(|p| real(p)) {
        let id = p["id"].as_str().unwrap_or_default();
        if !ledger_ids.contains_key(id) {
            lost += 1;
            problems.push(format!("at the platform, not in the ledger: {p}"));
        }
    }
    for (id, payment, cents) in printed {
        let at_platform = p_refunds.iter().any(|p| p["id"] == id.as_str() && real(p));
        if !at_platform || !ledger_ids.contains_key(id) {
            lost += 1;
            problems.push(format!(
                "refund {id} ({cents} on {payment}) was printed as done but is missing (platform: {at_platform})"
            ));
        }
    }
    // Sums per tender, and never more than the tender.
    let mut ledger_sums: BTreeMap<String, i64> = BTreeMap::new();
    for r in ledger_refunds {
        if matches!(r["status"].as_str(), Some("pending" | "refunded")) {
            *ledger_sums
                .entry(r["paymentId"].as_str().unwrap_or_default().to_string())
                .or_default() += r["amount"].as_i64().unwrap_or(0);
        }
    }
    let mut tenders_checked = 0;
    for p in platform["payments"].as_array().expect("payments") {
        let id = p["id"].as_str().unwrap_or_default();
        let on_platform = p["refundedAmount"].as_i64().unwrap_or(0)
            + p["pendingRefundAmount"].as_i64().unwrap_or(0);
        let in_ledger = ledger_sums.get(id).copied().unwrap_or(0);
        tenders_checked += 1;
        if on_platform != in_ledger {
            lost += 1;
            problems.push(format!(
                "tender {id}: platform refunded {on_platform}, ledger {in_ledger}"
            ));
        }
        if on_platform > p["amount"].as_i64().unwrap_or(0) {
            duplicated += 1;
            problems.push(format!("tender {id} refunded beyond its amount: {p}"));
        }
    }
    Tally {
        lost,
        duplicated,
        problems,
        tenders_checked,
    }
}

#[test]
fn the_comparison_counts_what_is_lost_and_what_is_doubled() {
    let platform = |refunds: Value| {
        json!({
            "payments": [{"id": "1000000001_0", "amount": 5000, "refundedAmount": 3000, "pendingRefundAmount": 0}],
            "refunds": refunds,
        })
    };
    let p = |id: &str, key: &str, amount: i64| json!({"id": id, "paymentId": "1000000001_0", "amount": amount, "status": "REFUNDED", "merchantReference": key});
    let l = |id: &str, amount: i64| json!({"refundId": id, "paymentId": "1000000001_0", "amount": amount, "status": "refunded", "external": false});
    // Agreement.
    let t = compare(
        &platform(json!([
            p("1000000001_1", "k1", 1000),
            p("1000000001_2", "k2", 2000)
        ])),
        &[l("1000000001_1", 1000), l("1000000001_2", 2000)],
        &[("1000000001_1".into(), "1000000001_0".into(), 1000)],
    );
    assert_eq!((t.lost, t.duplicated), (0, 0), "{:?}", t.problems);
    // The platform refunded twice under one key: doubled (and the ledger misses one).
    let t = compare(
        &platform(json!([
            p("1000000001_1", "k1", 1000),
            p("1000000001_2", "k1", 2000)
        ])),
        &[l("1000000001_1", 1000)],
        &[],
    );
    assert!(t.duplicated >= 1 && t.lost >= 1, "{t:?}");
    // The ledger has a refund the platform never made, and one still unsettled: lost.
    let mut unsettled = l("", 500);
    unsettled["status"] = json!("unknown");
    let t = compare(
        &platform(json!([p("1000000001_1", "k1", 3000)])),
        &[l("1000000001_1", 3000), l("1000000001_9", 100), unsettled],
        &[("1000000001_8".into(), "1000000001_0".into(), 100)],
    );
    assert!(t.lost >= 3, "{t:?}");
    assert_eq!(t.duplicated, 0, "{t:?}");
}

fn write_summary(dir: &Path, run: &Run, lost: u64, duplicated: u64) {
    let line = format!(
        "chaos: {} operations, {} faults, {} kills, {lost} lost, {duplicated} duplicated\n",
        run.ops, run.faults, run.kills
    );
    let _ = std::fs::write(dir.join("summary.txt"), line);
}
