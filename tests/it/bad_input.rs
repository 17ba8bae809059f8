//! Bad input through the `cadodesk` binary, over a real SQLite file and the sandbox on loopback: each refusal exits
//! non-zero with one line on standard error that names the field, and writes nothing to the journal and sends
//! nothing to the platform. Also the environment going wrong: a corrupted or read-only ledger, the platform down,
//! wrong credentials, no keychain, and a full disk (ignored in plain `cargo test`: `scripts/full-disk-test.sh` runs it as root).

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Output;

use cadodesk::sandbox::{RunningSandbox, SandboxConfig};
use serde_json::Value;

use crate::support::chaos::*;

struct Fixture {
    sb: RunningSandbox,
    dir: tempfile::TempDir,
    cli: Cli,
    /// The hosted checkout paid with a 20 € gift card and a Visa for 22,50 €.
    checkout: String,
    gift: String,
    visa: String,
}

impl Fixture {
    async fn new() -> Fixture {
        let sb = cadodesk::sandbox::start(SandboxConfig {
            refund_delay_ms: 50,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox");
        let dir = tempfile::tempdir().expect("tempdir");
        let cli = Cli::new(dir.path(), &sb.base_url(), SECRET);
        let out = cli
            .run(&["checkout", "create", "--amount", "42,50", "--json"])
            .await;
        assert!(out.status.success(), "{}", stderr_of(&out));
        let created = json_of(&out);
        let checkout = created["hostedCheckoutId"]
            .as_str()
            .expect("id")
            .to_string();
        pay(
            created["redirectUrl"].as_str().expect("url"),
            &[CADO_20],
            Some(VISA),
        )
        .await;
        let v = json_of(&cli.run(&["checkout", "status", &checkout, "--json"]).await);
        assert_eq!(v["status"], "paid", "{v}");
        let gift = v["tenders"][0]["paymentId"]
            .as_str()
            .expect("gift")
            .to_string();
        let visa = v["tenders"][1]["paymentId"]
            .as_str()
            .expect("visa")
            .to_string();
        Fixture {
            sb,
            dir,
            cli,
            checkout,
            gift,
            visa,
        }
    }

    fn base(&self) -> String {
        self.sb.base_url()
    }

    fn data(&self) -> &Path {
        self.dir.path()
    }

    /// The journal's entries, counted in the file opened read-only (`ledger verify` journals its own check).
    async fn journal_len(&self) -> i64 {
        let conn = rusqlite::Connection::open_with_flags(
            self.data().join("ledger.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("the ledger opens read-only");
        conn.query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .expect("count")
    }

    async fn footprint(&self) -> (usize, usize, usize, i64) {
        footprint(&platform_state(&self.base()).await)
    }

    /// Runs `args`, expects a refusal naming one of `words`, and checks nothing was written or sent.
    async fn refused(&self, cli: &Cli, args: &[&str], words: &[&str]) -> String {
        let journal = self.journal_len().await;
        let platform = self.footprint().await;
        let out = cli.run(args).await;
        let line = refusal_line(&out, args, words);
        assert_eq!(
            self.journal_len().await,
            journal,
            "`{}` wrote to the journal",
            args.join(" ")
        );
        assert_eq!(
            self.footprint().await,
            platform,
            "`{}` reached the platform",
            args.join(" ")
        );
        line
    }
}

/// Lines that are the till's log (tracing), not its answer.
fn is_log_line(l: &str) -> bool {
    l.contains(" WARN ") || l.contains(" ERROR ") || l.contains(" INFO ") || l.contains("\u{1b}[")
}

/// Non-zero exit and exactly one answer line on standard error that names one of `words`.
fn refusal_line(out: &Output, args: &[&str], words: &[&str]) -> String {
    let err = stderr_of(out);
    let cmd = args.join(" ");
    assert!(
        matches!(out.status.code(), Some(c) if c != 0),
        "`{cmd}` must fail: {:?}\nstdout: {}\nstderr: {err}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!err.contains("panicked"), "`{cmd}` panicked: {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.trim().is_empty() && !is_log_line(l))
        .collect();
    assert_eq!(lines.len(), 1, "`{cmd}`: one line on stderr, got:\n{err}");
    let line = lines[0].to_string();
    let lower = line.to_lowercase();
    assert!(
        words.iter().any(|w| lower.contains(&w.to_lowercase())),
        "`{cmd}`: the reason should name {words:?}: {line}"
    );
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_that_are_not_amounts_are_refused_for_sales_and_refunds() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    // `--amount=-5` as a script writes it; "-5" as its own word is checked below.
    for bad in [
        "0",
        "0,00",
        "-5",
        "abc",
        "12,345",
        "1e9",
        "10000000000",
        "10 000 000 000,00",
        "",
        // Spaces and apostrophes anywhere but between thousands.
        "1 5",
        "5 00",
        "1'5",
    ] {
        let flag = format!("--amount={bad}");
        fx.refused(&cli, &["checkout", "create", &flag, "--json"], &["amount"])
            .await;
        fx.refused(
            &cli,
            &[
                "refund",
                "--payment-id",
                &fx.visa,
                &flag,
                "--reason",
                "retour",
                "--json",
            ],
            &["amount"],
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_negative_amount_typed_as_its_own_word_is_refused_on_one_line() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    fx.refused(&cli, &["checkout", "create", "--amount", "-5"], &["amount"])
        .await;
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            &fx.visa,
            "--amount",
            "-5",
            "--reason",
            "retour",
        ],
        &["amount"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_beyond_what_is_left_or_on_an_unpaid_tender_are_refused() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    let line = fx
        .refused(
            &cli,
            &[
                "refund",
                "--payment-id",
                &fx.visa,
                "--amount",
                "22,51",
                "--reason",
                "retour",
            ],
            &["amount"],
        )
        .await;
    assert!(line.contains("22,50"), "says what is left: {line}");
    // After a partial refund, what is left is the limit.
    let out = cli
        .run(&[
            "refund",
            "--payment-id",
            &fx.gift,
            "--amount",
            "15,00",
            "--reason",
            "retour",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let line = fx
        .refused(
            &cli,
            &[
                "refund",
                "--payment-id",
                &fx.gift,
                "--amount",
                "5,01",
                "--reason",
                "retour",
            ],
            &["amount"],
        )
        .await;
    assert!(line.contains("5,00"), "says what is left: {line}");

    // A tender the card network declined: in the ledger, never captured.
    let created = json_of(
        &cli.run(&["checkout", "create", "--amount", "30,00", "--json"])
            .await,
    );
    let id = created["hostedCheckoutId"]
        .as_str()
        .expect("id")
        .to_string();
    pay(
        created["redirectUrl"].as_str().expect("url"),
        &[],
        Some(VISA_DECLINED),
    )
    .await;
    let v = json_of(&cli.run(&["checkout", "status", &id, "--json"]).await);
    let unpaid: Vec<String> = v["tenders"]
        .as_array()
        .expect("tenders")
        .iter()
        .filter(|t| t["captured"] == 0)
        .filter_map(|t| t["paymentId"].as_str().map(str::to_string))
        .collect();
    assert!(
        !unpaid.is_empty(),
        "the declined attempt is listed as a tender: {v}"
    );
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            &unpaid[0],
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
        &["payment", "captured"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_ids_are_refused() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            "9999999999_0",
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
        &["payment"],
    )
    .await;
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            "not-an-id",
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
        &["payment"],
    )
    .await;
    fx.refused(
        &cli,
        &["checkout", "status", "0000000000", "--json"],
        &["checkout"],
    )
    .await;
    fx.refused(
        &cli,
        &["checkout", "status", "../../etc/passwd"],
        &["checkout"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_fields_are_checked_before_anything_is_sent() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    let long = "R".repeat(41);
    fx.refused(
        &cli,
        &[
            "checkout",
            "create",
            "--amount",
            "10,00",
            "--reference",
            &long,
        ],
        &["reference"],
    )
    .await;
    fx.refused(
        &cli,
        &[
            "checkout",
            "create",
            "--amount",
            "10,00",
            "--reference",
            "réf-accentuée",
        ],
        &["reference"],
    )
    .await;
    for email in ["not-an-email", "a@b", "a b@c.fr", "@example.fr"] {
        fx.refused(
            &cli,
            &["checkout", "create", "--amount", "10,00", "--email", email],
            &["e-mail"],
        )
        .await;
    }
    for url in [
        "shop.example/back",
        "//shop.example/back",
        "ftp://shop.example",
        "javascript:alert(1)",
    ] {
        fx.refused(
            &cli,
            &[
                "checkout",
                "create",
                "--amount",
                "10,00",
                "--return-url",
                url,
            ],
            &["return url"],
        )
        .await;
    }
    // A refund needs a reason.
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            &fx.visa,
            "--amount",
            "1,00",
            "--reason",
            "  ",
        ],
        &["reason"],
    )
    .await;
    let long_reason = "x".repeat(101);
    fx.refused(
        &cli,
        &[
            "refund",
            "--payment-id",
            &fx.visa,
            "--amount",
            "1,00",
            "--reason",
            &long_reason,
        ],
        &["reason"],
    )
    .await;
}

fn ledger_file(dir: &Path) -> std::path::PathBuf {
    dir.join("ledger.sqlite3")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_ledger_is_refused_and_nothing_is_sent() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    let file = ledger_file(fx.data());
    assert!(file.exists(), "the ledger lives at {}", file.display());
    // Garbage over the header and the first pages, as a failing disk or a stray copy would leave it.
    let mut bytes = std::fs::read(&file).expect("read");
    for (i, b) in bytes.iter_mut().take(12_288).enumerate() {
        *b = (i as u8).wrapping_mul(31) ^ 0x5a;
    }
    std::fs::write(&file, &bytes).expect("write");
    let before = fx.footprint().await;
    for args in [
        vec!["checkout", "create", "--amount", "10,00", "--json"],
        vec![
            "refund",
            "--payment-id",
            fx.visa.as_str(),
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
        vec!["checkout", "status", fx.checkout.as_str()],
        vec!["ledger", "verify"],
        vec!["checkout", "list", "--json"],
    ] {
        let out = cli.run(&args).await;
        refusal_line(
            &out,
            &args,
            &["ledger", "database", file.to_str().expect("path")],
        );
    }
    assert_eq!(fx.footprint().await, before, "nothing reached the platform");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_ledger_is_refused_and_nothing_is_sent() {
    let fx = Fixture::new().await;
    let file = ledger_file(fx.data());
    let journal = fx.journal_len().await;
    let mut cli = fx.cli.clone();
    let root = rustix_is_root();
    // As root, permissions do not stop writes: the till runs as `nobody`, who may create files beside the ledger
    // (its -wal and -shm) but not write the ledger itself.
    std::fs::set_permissions(fx.data(), std::fs::Permissions::from_mode(0o777)).expect("chmod dir");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).expect("chmod file");
    cli.log_dir = None;
    let before = fx.footprint().await;
    for args in [
        vec!["checkout", "create", "--amount", "10,00", "--json"],
        vec![
            "refund",
            "--payment-id",
            fx.visa.as_str(),
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
    ] {
        let mut cmd = cli.command(&args);
        if root {
            cmd.as_std_mut().uid(65_534).gid(65_534);
            cmd.env("HOME", fx.data());
        }
        let out = cmd.output().await.expect("runs");
        refusal_line(
            &out,
            &args,
            &[
                "read-only",
                "readonly",
                "ledger",
                file.to_str().expect("path"),
            ],
        );
    }
    assert_eq!(fx.footprint().await, before, "nothing reached the platform");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod back");
    assert_eq!(fx.journal_len().await, journal, "nothing was written");
}

fn rustix_is_root() -> bool {
    // The effective uid, read without a libc binding: /proc/self/status "Uid: real effective …".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A loopback port nobody listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_down_is_reported_and_nothing_is_left_half_done() {
    let fx = Fixture::new().await;
    let mut down = fx.cli.clone();
    down.endpoint = format!("http://127.0.0.1:{}", dead_port());
    let args = ["checkout", "create", "--amount", "10,00", "--json"];
    let out = down.run(&args).await;
    refusal_line(&out, &args, &["platform", "connect", "answer"]);
    // The attempt is recorded as failed, never as a sale waiting to be paid.
    let list = json_of(&fx.cli.run(&["checkout", "list", "--json"]).await);
    let waiting = list
        .as_array()
        .expect("list")
        .iter()
        .filter(|c| c["status"] == "in_progress")
        .count();
    assert_eq!(waiting, 0, "{list}");
    let out = down.run(&["test-connection"]).await;
    refusal_line(
        &out,
        &["test-connection"],
        &["platform", "connect", "answer"],
    );
    let out = down
        .run(&["checkout", "status", &fx.checkout, "--json"])
        .await;
    refusal_line(
        &out,
        &["checkout", "status"],
        &["platform", "connect", "answer"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_asked_while_the_platform_is_down_is_settled_once_when_it_is_back() {
    let fx = Fixture::new().await;
    let mut down = fx.cli.clone();
    down.endpoint = format!("http://127.0.0.1:{}", dead_port());
    let args = [
        "refund",
        "--payment-id",
        &fx.visa,
        "--amount",
        "2,00",
        "--reason",
        "retour",
    ];
    let out = down.run(&args).await;
    let line = refusal_line(&out, &args, &["resume", "platform"]);
    assert_eq!(out.status.code(), Some(3), "unsettled, not refused: {line}");
    assert!(refund_amounts(&platform_state(&fx.base()).await, &fx.visa).is_empty());
    // While it is unsettled, no second refund on the tender.
    let out = fx.cli.run(&args).await;
    refusal_line(&out, &args, &["resume", "waiting"]);
    // Back up: resume sends it with the same key, once.
    for _ in 0..2 {
        let out = fx.cli.run(&["resume", "--json"]).await;
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    assert_eq!(
        refund_amounts(&platform_state(&fx.base()).await, &fx.visa),
        vec![200]
    );
}

fn refund_amounts(state: &Value, payment: &str) -> Vec<i64> {
    state["refunds"]
        .as_array()
        .expect("refunds")
        .iter()
        .filter(|r| r["paymentId"] == payment)
        .filter_map(|r| r["amount"].as_i64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_refused_and_nothing_is_done_later() {
    let fx = Fixture::new().await;
    let mut wrong = fx.cli.clone();
    wrong.secret = Some("not-the-secret".into());
    let args = ["checkout", "create", "--amount", "10,00", "--json"];
    let before = fx.footprint().await;
    let out = wrong.run(&args).await;
    refusal_line(&out, &args, &["credentials", "secret"]);
    let mut wrong_key = fx.cli.clone();
    wrong_key.key_id = "no-such-key".into();
    let out = wrong_key.run(&args).await;
    refusal_line(&out, &args, &["credentials", "key"]);
    let out = wrong_key.run(&["test-connection"]).await;
    refusal_line(&out, &["test-connection"], &["credentials", "key"]);
    let args = [
        "refund",
        "--payment-id",
        &fx.visa,
        "--amount",
        "3,00",
        "--reason",
        "retour",
    ];
    let out = wrong.run(&args).await;
    let line = refusal_line(&out, &args, &["credentials", "secret"]);
    assert_eq!(
        fx.footprint().await,
        before,
        "nothing was done at the platform"
    );
    // The operator was told the refund was refused: a later resume with the right credentials must not carry it
    // out behind their back, and the tender must stay refundable.
    let out = fx.cli.run(&["resume", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        refund_amounts(&platform_state(&fx.base()).await, &fx.visa).is_empty(),
        "a refund refused with `{line}` was carried out by resume"
    );
    let out = fx
        .cli
        .run(&[
            "refund",
            "--payment-id",
            &fx.visa,
            "--amount",
            "22,50",
            "--reason",
            "retour",
            "--json",
        ])
        .await;
    assert!(
        out.status.success(),
        "the whole tender is still refundable: {}",
        stderr_of(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_keychain_and_no_secret_is_refused_with_the_fix() {
    let fx = Fixture::new().await;
    let mut cli = fx.cli.clone();
    cli.secret = None;
    let journal = fx.journal_len().await;
    let before = fx.footprint().await;
    let home = tempfile::tempdir().expect("home");
    for args in [
        vec!["checkout", "create", "--amount", "10,00", "--json"],
        vec![
            "refund",
            "--payment-id",
            fx.visa.as_str(),
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ],
    ] {
        let mut cmd = cli.command(&args);
        cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("XDG_RUNTIME_DIR")
            .env("HOME", home.path());
        let out = cmd.output().await.expect("runs");
        let line = refusal_line(&out, &args, &["keychain", "secret"]);
        assert!(
            line.contains("CADODESK_API_SECRET"),
            "names the way out: {line}"
        );
    }
    assert_eq!(fx.footprint().await, before, "nothing reached the platform");
    assert_eq!(fx.journal_len().await, journal, "nothing was written");
}

/// A till whose data folder is on a 1 MiB tmpfs (root only), with one 42,50 € sale paid by Visa, against an
/// in-process sandbox. The tmpfs is unmounted when it is dropped.
struct OnSmallDisk {
    sb: RunningSandbox,
    mp: std::path::PathBuf,
    data: std::path::PathBuf,
    cli: Cli,
    id: String,
    visa: String,
    _unmount: Unmount,
    _mount: tempfile::TempDir,
}

struct Unmount(std::path::PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

impl OnSmallDisk {
    async fn new() -> OnSmallDisk {
        assert!(
            rustix_is_root(),
            "run as root (scripts/full-disk-test.sh): a small tmpfs is mounted"
        );
        let sb = cadodesk::sandbox::start(SandboxConfig {
            refund_delay_ms: 50,
            ..SandboxConfig::default()
        })
        .await
        .expect("sandbox");
        let mount = tempfile::tempdir().expect("mount point");
        let mp = mount.path().to_path_buf();
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                "size=1m",
                "cadodesk-full",
                mp.to_str().expect("path"),
            ])
            .status()
            .expect("mount runs");
        assert!(ok.success(), "mount -t tmpfs failed");
        let unmount = Unmount(mp.clone());
        let data = mp.join("till");
        std::fs::create_dir(&data).expect("dir");
        let cli = Cli::new(&data, &sb.base_url(), SECRET);
        let created = json_of(
            &cli.run(&["checkout", "create", "--amount", "42,50", "--json"])
                .await,
        );
        let id = created["hostedCheckoutId"]
            .as_str()
            .expect("id")
            .to_string();
        pay(
            created["redirectUrl"].as_str().expect("url"),
            &[],
            Some(VISA),
        )
        .await;
        let v = json_of(&cli.run(&["checkout", "status", &id, "--json"]).await);
        let visa = v["tenders"][0]["paymentId"]
            .as_str()
            .expect("tender")
            .to_string();
        OnSmallDisk {
            sb,
            mp,
            data,
            cli,
            id,
            visa,
            _unmount: unmount,
            _mount: mount,
        }
    }

    fn base(&self) -> String {
        self.sb.base_url()
    }
}

/// Fills what is left of the disk at `mp` with one file, and names it (remove it to free the disk).
fn fill(mp: &std::path::Path) -> std::path::PathBuf {
    use std::io::Write;
    let filler = mp.join("filler");
    let mut f = std::fs::File::create(&filler).expect("filler");
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    filler
}

/// A full disk: a 1 MiB tmpfs holds the ledger, then a file fills it. Needs root, so plain `cargo test` ignores it;
/// `scripts/full-disk-test.sh` runs it (CI runs that script as root).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root to mount a small tmpfs: scripts/full-disk-test.sh runs it"]
async fn a_full_disk_is_refused_cleanly_and_the_ledger_stays_sound() {
    let disk = OnSmallDisk::new().await;
    let (base, mp, data, cli) = (
        disk.base(),
        disk.mp.clone(),
        disk.data.clone(),
        disk.cli.clone(),
    );
    let (id, visa) = (disk.id.clone(), disk.visa.clone());

    // Fill what is left of the disk.
    let filler = fill(&mp);
    let before = footprint(&platform_state(&base).await);
    let mut full_named = false;
    let mut last_line = String::new();
    for i in 0..5 {
        let amount = format!("{},00", 10 + i);
        let args = ["checkout", "create", "--amount", amount.as_str(), "--json"];
        let out = cli.run(&args).await;
        eprintln!(
            "full disk, sale {i}: {:?} {}",
            out.status,
            stderr_of(&out).trim()
        );
        if out.status.success() {
            continue; // the WAL still had room: a sale fully recorded is fine
        }
        let line = refusal_line(&out, &args, &["disk", "full", "space", "ledger"]);
        let lower = line.to_lowercase();
        // The fix has to be findable: the disk is full, or at least which file could not be written.
        full_named |= lower.contains("full")
            || lower.contains("space")
            || line.contains(data.to_str().expect("path"));
        last_line = line;
        let args = [
            "refund",
            "--payment-id",
            visa.as_str(),
            "--amount",
            "1,00",
            "--reason",
            "retour",
        ];
        let out = cli.run(&args).await;
        if !out.status.success() {
            refusal_line(&out, &args, &["disk", "full", "space", "ledger", "resume"]);
        }
    }
    std::fs::remove_file(&filler).expect("free the disk");
    // Freed: everything the platform did is in the ledger and the journal is sound.
    let out = cli.run(&["resume", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = cli.run(&["ledger", "verify", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(json_of(&out)["sound"], true);
    let after = platform_state(&base).await;
    let list = json_of(&cli.run(&["checkout", "list", "--json"]).await);
    let known: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["hostedCheckoutId"].as_str())
        .collect();
    for c in after["checkouts"].as_array().expect("checkouts") {
        let id = c["hostedCheckoutId"].as_str().expect("id");
        assert!(
            known.contains(&id),
            "checkout {id} exists at the platform but not in the ledger"
        );
    }
    let refunded: i64 = refund_amounts(&after, &visa).iter().sum();
    let out = json_of(&cli.run(&["checkout", "status", &id, "--json"]).await);
    assert_eq!(
        out["tenders"][0]["refunded"].as_i64().unwrap_or(0)
            + out["tenders"][0]["pending"].as_i64().unwrap_or(0),
        refunded,
        "ledger and platform agree on the tender: {out}"
    );
    assert!(
        !last_line.is_empty(),
        "a write onto a full disk failed at least once"
    );
    assert!(
        full_named,
        "the refusal says the disk is full or names the ledger file: {last_line}"
    );
    let _ = before;
}

/// Smaller refusals, each one line that names what is wrong, exit 1, and nothing written or sent: a period given
/// backwards, years no shop's books have, an option the command line does not know or without its value, order
/// references with spaces or formula characters, and operator names with a formula or a control character.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smaller_refusals_are_one_clear_line_and_change_nothing() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    let csv = fx.data().join("export.csv");
    let csv_arg = csv.to_string_lossy().to_string();
    let cases: Vec<(Vec<&str>, &[&str])> = vec![
        (
            vec![
                "export",
                "refunds",
                "--from",
                "2026-11-30",
                "--to",
                "2026-11-01",
                "-o",
                &csv_arg,
            ],
            &["first day", "--from"],
        ),
        (
            vec!["refunds", "--from", "2026-11-30", "--to", "2026-11-01"],
            &["--from"],
        ),
        (
            vec!["refunds", "--from", "0000-01-01", "--to", "2026-11-01"],
            &["not a day"],
        ),
        (
            vec!["refunds", "--from=-0001-01-01", "--to", "2026-11-01"],
            &["not a day"],
        ),
        (
            vec!["refunds", "--from", "2026-11-01", "--to", "2026-11-31"],
            &["not a day"],
        ),
        (vec!["ledger", "verify", "--colour"], &["--colour"]),
        (
            vec![
                "refunds",
                "--operator",
                "=1+1",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
            ],
            &["operator"],
        ),
        (
            vec![
                "refunds",
                "--operator",
                "ana\u{7}",
                "--from",
                "2026-11-01",
                "--to",
                "2026-11-30",
            ],
            &["operator"],
        ),
        (vec!["checkout", "create", "--amount"], &["--amount"]),
        (
            vec![
                "checkout",
                "create",
                "--amount",
                "10",
                "--reference",
                "=1+1",
            ],
            &["reference"],
        ),
        (
            vec![
                "checkout",
                "create",
                "--amount",
                "10",
                "--reference",
                "VENTE 42",
            ],
            &["reference"],
        ),
    ];
    for (args, words) in cases {
        let out = cli.run(&args).await;
        assert_eq!(
            out.status.code(),
            Some(1),
            "`{}` is a refusal: {}",
            args.join(" "),
            stderr_of(&out)
        );
        fx.refused(&cli, &args, words).await;
    }
    assert!(!csv.exists(), "no export was written");
}

/// An export never overwrites the till's own files (the ledger under its name, its WAL or shared-memory file, a hard
/// link to it, the sandbox's state) and never replaces what is not a regular file: a device such as `/dev/full`, or
/// a symbolic link (the link and what it points to stay as they were). Each is refused on one line, exit 1, and the
/// journal is unchanged. (It used to replace any of them with a CSV and exit 0.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_never_overwrites_the_ledger_a_device_or_a_link() {
    let fx = Fixture::new().await;
    let cli = fx.cli.clone();
    let data = fx.data().to_path_buf();
    let outside = tempfile::tempdir().expect("tempdir");
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "keep me").expect("victim");
    let link = outside.path().join("link.csv");
    std::os::unix::fs::symlink(&victim, &link).expect("symlink");
    let hard = outside.path().join("ledger-copy.csv");
    std::fs::hard_link(data.join("ledger.sqlite3"), &hard).expect("hard link");
    let ledger_bytes = std::fs::read(data.join("ledger.sqlite3")).expect("ledger");
    let targets = [
        data.join("ledger.sqlite3"),
        data.join("ledger.sqlite3-wal"),
        data.join("ledger.sqlite3-shm"),
        data.join("sandbox.json"),
        data.join("sandbox.json.log"),
        data.join(".").join("ledger.sqlite3"),
        hard.clone(),
        link.clone(),
        std::path::PathBuf::from("/dev/full"),
    ];
    for target in &targets {
        let t = target.to_string_lossy().to_string();
        let args = [
            "export",
            "refunds",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "-o",
            &t,
        ];
        let out = cli.run(&args).await;
        assert_eq!(out.status.code(), Some(1), "{t}: {}", stderr_of(&out));
        fx.refused(&cli, &args, &["will not write"]).await;
    }
    assert_eq!(
        std::fs::read(data.join("ledger.sqlite3")).expect("ledger"),
        ledger_bytes,
        "the ledger is untouched"
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep me");
    let verify = cli.run(&["ledger", "verify", "--json"]).await;
    assert!(verify.status.success(), "{}", stderr_of(&verify));
    // An ordinary file outside the data folder is written, and nothing is left beside it.
    let good = outside.path().join("remboursements.csv");
    let g = good.to_string_lossy().to_string();
    let out = cli
        .run(&[
            "export",
            "refunds",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "-o",
            &g,
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(good.is_file());
    let leftovers: Vec<_> = std::fs::read_dir(outside.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A disk that fills up while a refund is at the platform: the platform carries it out, the answer cannot be
/// written, and the command says so as for a lost answer (exit 3, "run `cadodesk resume`"), never "free some space,
/// then try again" (exit 2), which would invite a second refund. Once space is freed, `resume` settles it with the
/// same key: one refund at the platform, the same in the ledger. Needs root (a tmpfs); run by
/// `scripts/full-disk-test.sh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs root to mount a small tmpfs: scripts/full-disk-test.sh runs it"]
async fn a_full_disk_after_the_refund_was_sent_says_resume_with_exit_3() {
    let disk = OnSmallDisk::new().await;
    let (base, mp, cli) = (disk.base(), disk.mp.clone(), disk.cli.clone());
    let (id, visa) = (disk.id.clone(), disk.visa.clone());

    // The platform holds the refund; meanwhile the disk fills; then the platform carries it out and answers.
    crate::support::till::fault(
        &base,
        serde_json::json!({"operation": "refund", "hold": true, "count": 1}),
    )
    .await;
    let args = [
        "refund",
        "--payment-id",
        visa.as_str(),
        "--amount",
        "5,00",
        "--reason",
        "retour",
    ];
    let refund = cli.command(&args).output();
    let fill_then_release = async {
        let mut held = false;
        for _ in 0..600 {
            let st = platform_state(&base).await;
            if st["inProgress"].as_array().is_some_and(|k| !k.is_empty()) {
                held = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(held, "the refund reached the platform");
        let filler = fill(&mp);
        clear_faults(&base).await;
        filler
    };
    let (out, filler) = tokio::join!(refund, fill_then_release);
    let out = out.expect("cadodesk runs");
    let err = stderr_of(&out);
    eprintln!("refund onto a full disk: {:?} {}", out.status, err.trim());
    assert_ne!(
        out.status.code(),
        Some(2),
        "never 'free some space, then try again': {err}"
    );
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains("cadodesk resume"), "names the way out: {err}");
    }
    std::fs::remove_file(&filler).expect("free the disk");
    let out = cli.run(&["resume", "--json"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let after = platform_state(&base).await;
    assert_eq!(
        refund_amounts(&after, &visa),
        vec![500],
        "exactly one refund at the platform"
    );
    let v = json_of(&cli.run(&["checkout", "status", &id, "--json"]).await);
    assert_eq!(
        v["tenders"][0]["refunded"].as_i64().unwrap_or(0)
            + v["tenders"][0]["pending"].as_i64().unwrap_or(0),
        500,
        "the ledger agrees: {v}"
    );
    let verify = cli.run(&["ledger", "verify", "--json"]).await;
    assert!(verify.status.success(), "{}", stderr_of(&verify));
}
