//! The status watcher and its schedule on a test clock: which checkout is read when, never one twice at once, and
//! when the watcher wakes. The platform is the sandbox on loopback; only time is driven by hand.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use cadodesk::domain::Clock;
use cadodesk::domain::TestClock;
use cadodesk::sandbox::RunningSandbox;
use cadodesk::till::watcher::{IDLE, Watcher};
use cadodesk::till::{CheckoutView, Till, TillError};
use chrono::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::support::till::*;

/// The checkouts read, in the order their readings ended.
type Seen = Arc<Mutex<Vec<String>>>;

/// A watcher callback that records which checkout was read and signals each reading.
fn recorder() -> (Seen, UnboundedReceiver<()>, OnReading) {
    let seen: Seen = Arc::default();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (seen.clone(), rx, OnReading { seen, tx })
}

/// What the watcher calls after each reading.
#[derive(Clone)]
struct OnReading {
    seen: Seen,
    tx: tokio::sync::mpsc::UnboundedSender<()>,
}

impl OnReading {
    fn callback(&self) -> impl Fn(&str, Result<CheckoutView, TillError>) + Clone + Send + 'static {
        let this = self.clone();
        move |id: &str, reading: Result<CheckoutView, TillError>| {
            assert!(reading.is_ok(), "{reading:?}");
            this.seen.lock().unwrap().push(id.to_string());
            let _ = this.tx.send(());
        }
    }
}

/// A till on a test clock over the sandbox, with two sales just rung up (due for their first reading at once).
async fn two_open_sales() -> (
    RunningSandbox,
    tempfile::TempDir,
    TestClock,
    Till,
    [String; 2],
) {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = test_clock();
    let till = till_on_clock(dir.path(), &sb.base_url(), &clock, None);
    let a = till.create_checkout(sale(1000)).await.expect("created");
    let b = till.create_checkout(sale(2000)).await.expect("created");
    (
        sb,
        dir,
        clock,
        till,
        [a.hosted_checkout_id, b.hosted_checkout_id],
    )
}

/// Waits for `n` readings to finish and for the watcher to have nothing in flight.
async fn readings_done(rx: &mut UnboundedReceiver<()>, watcher: &Watcher, n: usize) {
    for _ in 0..n {
        rx.recv().await.expect("a reading");
    }
    while watcher.in_flight() > 0 {
        tokio::task::yield_now().await;
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// A reading is recorded as started when the watcher starts it, before its task runs: a look at the pending work
/// in between never finds that checkout due again. (The watcher used to record a reading only when it ended, so a
/// step that looked while a reading was finishing started the same checkout a second time: `[A, B, B]`.)
#[tokio::test]
async fn a_checkout_being_read_is_not_due_again() {
    let (_sb, _dir, clock, till, [a, b]) = two_open_sales().await;
    let now = clock.now();
    assert_eq!(
        till.pending_work().iter().filter(|w| w.1 <= now).count(),
        2,
        "both new checkouts are due at once"
    );
    let watcher = Watcher::new();
    let (seen, mut rx, on_reading) = recorder();
    watcher.step(&till, on_reading.callback()).await;
    // The readings are spawned but have not run yet (one-thread runtime, no await since): nothing is due.
    assert_eq!(watcher.in_flight(), 2);
    let due_now: Vec<_> = till
        .pending_work()
        .into_iter()
        .filter(|w| w.1 <= now)
        .collect();
    assert!(
        due_now.is_empty(),
        "due again while being read: {due_now:?}"
    );
    // A second step while they run starts nothing more.
    watcher.step(&till, on_reading.callback()).await;
    readings_done(&mut rx, &watcher, 2).await;
    assert_eq!(
        sorted(seen.lock().unwrap().clone()),
        sorted(vec![a, b]),
        "each checkout read exactly once"
    );
}

/// The watcher reads what is due once, then sleeps exactly until the next reading is due (at most `IDLE`), and
/// reads again when the clock gets there.
#[tokio::test]
async fn the_watcher_reads_what_is_due_once_and_wakes_for_the_next_reading() {
    let (_sb, _dir, clock, till, [a, b]) = two_open_sales().await;
    let watcher = Watcher::new();
    let (seen, mut rx, on_reading) = recorder();

    let wait = watcher.step(&till, on_reading.callback()).await;
    assert_eq!(
        wait, IDLE,
        "both read now; the next is 2 s away, beyond IDLE"
    );
    readings_done(&mut rx, &watcher, 2).await;
    let want = sorted(vec![a, b]);
    assert_eq!(sorted(seen.lock().unwrap().clone()), want);

    // Read just now: nothing is due, the watcher looks again within IDLE.
    assert_eq!(watcher.step(&till, on_reading.callback()).await, IDLE);
    assert_eq!(seen.lock().unwrap().len(), 2);
    // 1.6 s later the next reading is 0.4 s away: the watcher wakes then, not a tick later.
    clock.advance(Duration::milliseconds(1600));
    assert_eq!(
        watcher.step(&till, on_reading.callback()).await,
        StdDuration::from_millis(400)
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "nothing read early");
    // At 2 s both are due again (the first minute's pace) and read once each.
    clock.advance(Duration::milliseconds(400));
    watcher.step(&till, on_reading.callback()).await;
    readings_done(&mut rx, &watcher, 2).await;
    let all = seen.lock().unwrap().clone();
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(sorted(all[2..].to_vec()), want);
}

/// A new checkout is read at once, then 2 s after each reading's start during its first minute; once paid it is
/// no longer watched.
#[tokio::test]
async fn the_watcher_is_told_what_to_read_and_when() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = test_clock();
    let till = till_on_clock(dir.path(), &sb.base_url(), &clock, None);
    let t0 = clock.now();
    let v = till.create_checkout(sale(1000)).await.expect("created");
    let work = till.pending_work();
    assert_eq!(work.len(), 1);
    assert_eq!(
        (work[0].0.to_string(), work[0].1),
        (v.hosted_checkout_id.clone(), t0),
        "read at once"
    );
    clock.advance(Duration::seconds(5));
    till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    assert_eq!(
        till.pending_work()[0].1,
        t0 + Duration::seconds(7),
        "2 s after the reading that started at 5 s"
    );
    pay(v.redirect_url.as_deref().expect("url"), &[CADO_20], None).await;
    till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    assert!(
        till.pending_work().is_empty(),
        "paid: nothing left to watch"
    );
}

/// A reading that takes 1.5 s does not push the schedule back: the next reading is due 2 s after it started.
#[tokio::test]
async fn a_slow_reading_does_not_push_the_schedule_back() {
    let sb = sandbox(50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = test_clock();
    // The platform takes 1.5 s to answer GetHostedCheckout.
    let mut slow = Interposed::new(&sb.base_url());
    slow.clock = Some((clock.clone(), Duration::milliseconds(1500)));
    let till: Till = till_on_clock(dir.path(), &sb.base_url(), &clock, Some(Arc::new(slow)));
    let v = till.create_checkout(sale(1000)).await.expect("created");
    let started = clock.now();
    till.refresh(&v.hosted_checkout_id).await.expect("refresh");
    assert_eq!(clock.now(), started + Duration::milliseconds(1500));
    assert_eq!(
        till.pending_work()[0].1,
        started + Duration::seconds(2),
        "counted from the reading's start, not its end"
    );
}
