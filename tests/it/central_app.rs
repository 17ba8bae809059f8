//! The app with a central ledger: it sends its journal in the background and says how far behind the centre is,
//! and sells on when the centre is out of reach.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use cadodesk::vault::{Secret, Vault};
use egui_kittest::kittest::Queryable;

use crate::ui::{harness_with, paid_sale, wait_for, wait_ready};

/// A data directory whose till (T01) keeps `url` as its central URL in `vault`, as `central connect` leaves it.
fn connected(dir: &std::path::Path, url: &str) -> Vault {
    let ledger = cadodesk::app::open_ledger(dir).unwrap();
    let records = cadodesk::till::Records::new(ledger.clone(), "ana");
    let uuid = records.till_identity().unwrap().uuid;
    ledger
        .set_setting(
            "ana",
            cadodesk::ledger::keys::CENTRAL_URL_HOME,
            Some("keychain"),
        )
        .unwrap();
    let vault = Vault::with_store(keyring_core::mock::Store::new().expect("mock keychain"));
    vault.store_central_url(&uuid, &Secret::new(url)).unwrap();
    vault
}

#[test]
fn a_till_whose_centre_is_out_of_reach_says_so_and_sells_on() {
    let dir = tempfile::tempdir().unwrap();
    let vault = connected(
        dir.path(),
        "postgres://cadodesk_x_t01:pw4c3ntr4l@127.0.0.1:1/shop?connect_timeout=2",
    );
    let mut h = harness_with(dir.path(), |c| c.vault = Some(vault));
    wait_ready(&mut h);
    wait_for(&mut h, "the centre said out of reach", |h| {
        h.state().central().is_some_and(|c| c.problem.is_some())
    });
    let first = h.state().central().unwrap().clone();
    assert!(first.pending > 0, "{first:?}");
    let (fr, en) = first.problem.clone().unwrap();
    assert!(
        fr.contains("injoignable") && en.contains("cannot be reached"),
        "{fr} / {en}"
    );
    assert!(
        !fr.contains("pw4c3ntr4l") && !en.contains("pw4c3ntr4l"),
        "never the password"
    );
    assert!(
        h.query_by_label_contains("Central injoignable").is_some(),
        "the bar says it"
    );
    // Sales go on, and the entries waiting grow.
    paid_sale(&mut h, "20,00 €");
    wait_for(&mut h, "more entries waiting", |h| {
        h.state()
            .central()
            .is_some_and(|c| c.problem.is_some() && c.pending > first.pending)
    });
}

#[test]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
fn the_app_sends_its_sales_to_the_centre_in_the_background() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin = rt.block_on(crate::central::fresh_centre());
    let url = rt
        .block_on(cadodesk::central::add_till(
            &admin,
            "T01",
            Some("Boutique Zoé"),
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vault = connected(dir.path(), &url);
    let mut h = harness_with(dir.path(), |c| c.vault = Some(vault));
    wait_ready(&mut h);
    let sale = paid_sale(&mut h, "20,00 €");
    wait_for(
        &mut h,
        "the sale at the centre, nothing left to send",
        |h| {
            h.state()
                .central()
                .is_some_and(|c| c.problem.is_none() && c.pending == 0 && c.acknowledged_seq > 0)
        },
    );
    assert!(h.query_by_label_contains("Central : à jour").is_some());
    let held = rt.block_on(async {
        let c = cadodesk::central::connect(&admin).await.unwrap();
        c.query_one(
            "SELECT state FROM cadodesk.checkouts WHERE till = 'T01' AND merchant_reference = $1",
            &[&sale.reference],
        )
        .await
        .map(|r| r.get::<_, String>(0))
    });
    // The watcher's reading of the payment may still be on its way; the sale itself is there.
    assert!(held.is_ok(), "{held:?}");
}
