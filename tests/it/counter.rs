//! The counter as a cashier works it, through the app's accessibility tree with real pointer clicks: the defects a
//! new shop met in its first hour, each with the test that reproduces it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use egui_kittest::kittest::Queryable;

use crate::ui::{click, harness, has_label, paid_sale, retype, wait_for, wait_ready};

/// Defect 1: a second refund was impossible until the app restarted (the reason list drawn under the dialog, and
/// choosing a reason closed it). Two refunds in a row, each with its reason picked from the list.
#[test]
fn two_refunds_in_a_row_each_with_a_reason_picked_from_the_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let sale = paid_sale(&mut h, "87,50 €");
    click(&mut h, "Transactions");
    wait_for(&mut h, "the sale in the table", |h| {
        h.state().transactions.rows().len() == 1
    });
    click(&mut h, &sale.reference.clone());
    wait_for(&mut h, "the detail panel", |h| {
        h.state().transactions.detail().is_some()
    });
    for (round, tender) in [(1, 0usize), (2, 1usize)] {
        h.get_all_by_label("Rembourser")
            .nth(tender)
            .expect("a refund button per card")
            .click();
        h.run_steps(3);
        assert!(
            h.state().transactions.refund.is_open(),
            "round {round}: the dialog opens"
        );
        retype(&mut h, "Montant à rembourser", "5,00");
        click(&mut h, "Motif");
        assert!(
            has_label(&h, "Article défectueux"),
            "round {round}: the reasons are listed"
        );
        click(&mut h, "Article défectueux");
        assert!(
            h.state().transactions.refund.is_open(),
            "round {round}: choosing a reason keeps the dialog open"
        );
        assert_eq!(
            h.state().transactions.refund.reason_picked(),
            Some("Article défectueux"),
            "round {round}: the reason is chosen"
        );
        click(&mut h, "Continuer");
        wait_for(&mut h, "the confirmation", |h| {
            h.state().transactions.refund.confirming()
        });
        click(&mut h, "Confirmer le remboursement");
        wait_for(&mut h, "the refund to be recorded", |h| {
            h.query_by_label_contains("Remboursement enregistré")
                .is_some()
        });
        click(&mut h, "Fermer");
        assert!(
            !h.state().transactions.refund.is_open(),
            "round {round}: closed"
        );
    }
    wait_for(&mut h, "both refunds in the detail", |h| {
        h.state()
            .transactions
            .detail()
            .is_some_and(|d| d.refunds.len() == 2)
    });
}
