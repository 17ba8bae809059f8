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
        h.query_by_label_contains("Central injoignable (").is_some() && first.unreachable,
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

#[test]
#[ignore = "needs PostgreSQL: scripts/central-test.sh starts one and runs it"]
fn the_app_lists_every_till_and_refunds_a_sale_made_at_another() {
    use egui_kittest::kittest::Queryable;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let admin = rt.block_on(crate::central::fresh_centre());
    let url_a = rt
        .block_on(cadodesk::central::add_till(&admin, "T01", Some("Paris")))
        .unwrap();
    let url_b = rt
        .block_on(cadodesk::central::add_till(&admin, "T02", Some("Lyon")))
        .unwrap();
    // Till T02 sells 30 € and sends it to the centre.
    let sb = rt.block_on(crate::support::till::sandbox(0));
    let dir_b = tempfile::tempdir().unwrap();
    let b = crate::support::till::till(dir_b.path(), &sb.base_url(), "bob");
    b.till_init("T02", Some("Lyon"), None).unwrap();
    let sale = rt.block_on(crate::support::till::paid_sale(
        &b,
        3000,
        &[],
        Some(crate::support::VISA),
    ));
    let reference = b.checkout(&sale).unwrap().unwrap().merchant_reference;
    rt.block_on(cadodesk::central::sync(b.ledger(), "bob", &url_b))
        .unwrap();

    // The app is till T01: every till is one tab away.
    let dir = tempfile::tempdir().unwrap();
    let vault = connected(dir.path(), &url_a);
    let mut h = harness_with(dir.path(), |c| c.vault = Some(vault));
    wait_ready(&mut h);
    wait_for(&mut h, "the centre reached", |h| {
        h.state().central().is_some_and(|c| c.problem.is_none())
    });
    crate::ui::click(&mut h, "Toutes les caisses");
    wait_for(&mut h, "every till read", |h| {
        h.state()
            .all_tills
            .data()
            .is_some_and(|d| d.sales.iter().any(|s| s.merchant_reference == reference))
    });
    assert!(
        h.query_by_label(&reference).is_some(),
        "the sale of T02 is listed"
    );
    // Every till's refunds, exported from here (none yet: the header only, with the till column first).
    let csv = dir.path().join("toutes.csv");
    h.state_mut().all_tills.export_path = csv.display().to_string();
    crate::ui::click(
        &mut h,
        "Exporter les remboursements de toutes les caisses (CSV)",
    );
    wait_for(&mut h, "every till's refunds written", |h| {
        h.state().all_tills.exported().is_some()
    });
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.trim_start_matches('\u{feff}')
            .starts_with("caisse;magasin;n_piece"),
        "{text}"
    );
    crate::ui::click(&mut h, "Reprendre ici pour rembourser");
    wait_for(&mut h, "the sale's detail at this till", |h| {
        h.state()
            .transactions
            .detail()
            .is_some_and(|d| d.id == sale)
    });
    // Refunded here, through the centre's guard.
    h.get_all_by_label("Rembourser")
        .next()
        .expect("a refund button for the card")
        .click();
    h.run_steps(3);
    crate::ui::retype(&mut h, "Montant à rembourser", "12,00");
    crate::ui::click(&mut h, "Motif");
    crate::ui::click(&mut h, "Article défectueux");
    crate::ui::click(&mut h, "Continuer");
    wait_for(&mut h, "the confirmation", |h| {
        h.state().transactions.refund.confirming()
    });
    crate::ui::click(&mut h, "Confirmer le remboursement");
    wait_for(&mut h, "the refund recorded", |h| {
        h.query_by_label_contains("Remboursement enregistré")
            .is_some()
    });
    let left: i64 = rt.block_on(async {
        let payment = b.checkout(&sale).unwrap().unwrap().tenders[0]
            .payment_id
            .to_string();
        cadodesk::central::connect(&admin)
            .await
            .unwrap()
            .query_one("SELECT cadodesk.left_to_refund($1)", &[&payment])
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(left, 3000 - 1200, "reserved at the centre for every till");
}
