//! The technical events (the JET) the till journals: the app's start and stop with its version (a start after a
//! kill says the previous stop was not clean), and each integrity check with its result.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::ledger::Event;
use cadodesk::ui::app::Startup;

use crate::support::binary::{Cli, stderr_of};
use crate::support::till::*;
use crate::ui::{harness, wait_for};

fn technical(dir: &std::path::Path) -> Vec<Event> {
    let ledger = cadodesk::app::open_ledger(dir).unwrap();
    ledger
        .entries(1, 100_000)
        .unwrap()
        .iter()
        .filter_map(|e| e.event())
        .filter(|e| {
            matches!(
                e,
                Event::AppStarted { .. }
                    | Event::AppStopped { .. }
                    | Event::IntegrityChecked { .. }
            )
        })
        .collect()
}

#[test]
fn the_app_journals_its_start_and_stop_and_a_start_after_a_kill_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let version = env!("CARGO_PKG_VERSION").to_string();
    {
        let mut h = harness(dir.path());
        wait_for(&mut h, "the app to start", |h| {
            !matches!(h.state().startup(), Startup::Starting)
        });
        // Closing the window ends the worker, which journals the stop before the process goes.
    }
    assert_eq!(
        technical(dir.path()),
        [
            Event::AppStarted {
                version: version.clone(),
                previous_stop_clean: true
            },
            Event::AppStopped {
                version: version.clone()
            },
        ]
    );
    // A run killed after its start never journals its stop: the next start says so.
    let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
    assert!(cadodesk::app::journal_start(&ledger, "ana").unwrap());
    drop(ledger);
    {
        let mut h = harness(dir.path());
        wait_for(&mut h, "the app to start again", |h| {
            !matches!(h.state().startup(), Startup::Starting)
        });
    }
    let events = technical(dir.path());
    assert_eq!(
        events[3],
        Event::AppStarted {
            version,
            previous_stop_clean: false
        },
        "{events:#?}"
    );
    let ledger = cadodesk::app::open_ledger(dir.path()).unwrap();
    assert!(ledger.verify().unwrap().is_sound());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_journals_the_check_and_its_result_but_never_on_a_read_only_copy() {
    let sb = sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::sandbox(dir.path(), &sb.base_url());
    cli.no_pin_needed().await;
    let out = cli.run(&["ledger", "verify"]).await;
    assert!(out.status.success(), "{}", stderr_of(&out));
    let events = technical(dir.path());
    let Some(Event::IntegrityChecked {
        entries,
        ok: true,
        problem: None,
    }) = events.last()
    else {
        panic!("{events:#?}");
    };
    assert!(*entries > 0);
    // The checks journaled are checked by the next one.
    let again = cli.run(&["ledger", "verify"]).await;
    assert!(again.status.success(), "{}", stderr_of(&again));
    assert_eq!(technical(dir.path()).len(), 2);

    // A read-only ledger (an inspector's copy) is checked on a private copy and never written to.
    let file = dir.path().join("ledger.sqlite3");
    let before = std::fs::read(&file).unwrap();
    let mut perms = std::fs::metadata(&file).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&file, perms.clone()).unwrap();
    let ro = cli.run(&["ledger", "verify"]).await;
    assert!(ro.status.success(), "{}", stderr_of(&ro));
    assert_eq!(std::fs::read(&file).unwrap(), before);
    #[allow(clippy::permissions_set_readonly_false)] // reason: the test's own file, given back
    perms.set_readonly(false);
    std::fs::set_permissions(&file, perms).unwrap();
    assert_eq!(technical(dir.path()).len(), 2);
}
