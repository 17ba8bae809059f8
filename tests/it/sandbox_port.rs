//! The embedded sandbox keeps its port (issue 14, defect 2): a link or QR code already handed to a customer still
//! opens after a restart; another port only when the kept one is taken, and then it says so. Told to listen on the
//! shop's network, the links carry an address a phone can reach.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::app::{EmbeddedSandbox, Role, SandboxOptions};

use crate::support::binary::{Cli, json_of, stderr_of};
use crate::support::till::*;

/// What the hosted page answers a customer's GET of `url`.
async fn open(url: &str) -> u16 {
    reqwest::get(url)
        .await
        .expect("the page answers")
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_sandbox_keeps_its_port_so_links_of_open_sales_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let first = EmbeddedSandbox::start(d, None).await.unwrap();
    let url = first.url().to_string();
    let sale = till(d, &url, "ana")
        .create_checkout(sale(1000))
        .await
        .unwrap();
    let link = sale.redirect_url.clone().expect("a link for the QR code");
    assert_eq!(open(&link).await, 200);
    first.stop().await;

    let again = EmbeddedSandbox::start(d, None).await.unwrap();
    assert_eq!(again.url(), url, "the port changed across a restart");
    assert_eq!(again.port_note(), None);
    assert_eq!(open(&link).await, 200, "{link}");
    again.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_sandbox_whose_port_is_taken_listens_on_another_and_says_so() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let running = EmbeddedSandbox::start(one.path(), None).await.unwrap();
    // The second data directory last ran on the port the first one holds now.
    std::fs::copy(
        one.path().join("sandbox.json.owner"),
        two.path().join("sandbox.json.owner"),
    )
    .unwrap();
    let moved = EmbeddedSandbox::start(two.path(), None).await.unwrap();
    assert_ne!(moved.url(), running.url());
    let note = moved.port_note().expect("the move is said");
    let port = running.url().rsplit(':').next().unwrap();
    assert!(note.contains(port), "{note}");
    // The new port is the one kept from now on.
    let url = moved.url().to_string();
    moved.stop().await;
    let again = EmbeddedSandbox::start(two.path(), None).await.unwrap();
    assert_eq!(again.url(), url);
    again.stop().await;
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_sandbox_links_carry_the_address_it_is_told_to_listen_on() {
    // An address of this machine other than 127.0.0.1 (the whole of 127/8 is this machine on Linux), as a LAN
    // address would be: the links carry it, and the page answers there.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut cli = Cli::sandbox(d, "sandbox");
    cli.extra_env = vec![("CADODESK_SANDBOX_LISTEN".into(), "127.0.0.2".into())];
    let out = cli
        .run(&[
            "checkout", "create", "--amount", "10,00", "--email", "a@b.fr", "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let link = json_of(&out)["redirectUrl"].as_str().unwrap().to_string();
    assert!(link.starts_with("http://127.0.0.2:"), "{link}");
    let port = |link: &str| {
        let host = link.split('/').nth(2).unwrap().to_string();
        host.rsplit(':').next().unwrap().to_string()
    };
    let kept = port(&link);

    // Listening on every address, the links carry the machine's LAN address (when it has one).
    let sandbox = EmbeddedSandbox::start_with(&SandboxOptions {
        data_dir: d.to_path_buf(),
        refund_delay_ms: None,
        listen: Some("0.0.0.0".into()),
        role: Role::App,
    })
    .await
    .unwrap();
    assert!(
        sandbox.url().starts_with("http://127.0.0.1:"),
        "{}",
        sandbox.url()
    );
    let sale = till(d, sandbox.url(), "ana")
        .create_checkout(sale(1000))
        .await
        .unwrap();
    let link = sale.redirect_url.unwrap();
    match cadodesk::app::platform::lan_address() {
        Some(lan) => {
            assert!(link.starts_with(&format!("http://{lan}:")), "{link}");
            assert!(sandbox.page_url().contains(&lan.to_string()));
            assert_eq!(open(&link).await, 200, "{link}");
        }
        None => assert!(link.starts_with("http://127.0.0.1:"), "{link}"),
    }
    // The port is the one the command line listened on, kept.
    assert_eq!(port(&link), kept);
    sandbox.stop().await;
}
