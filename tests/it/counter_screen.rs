//! The counter screen as a cashier at a busy till uses it: the amount on the on-screen keypad, "Encaisser",
//! "Aujourd'hui" adding up the day, targets a finger can hit, the theme and the text size.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};

use cadodesk::app::settings::{TextSize, Theme};
use cadodesk::domain::CheckoutState;

use crate::counter::refund_order_and_wait;
use crate::ui::{click, harness, has_label, open_sale_detail, paid_sale, wait_for, wait_ready};

type H = egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>;

fn key(h: &mut H, label: &str) {
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, label).click();
    h.run_steps(2);
}

#[test]
fn an_amount_keyed_in_on_the_keypad_is_charged_and_the_keyboard_goes_on_where_it_ended() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    for k in ["1", "7", "4", "Corr.", ",", "5"] {
        key(&mut h, k);
    }
    assert_eq!(h.state().cashier.amount, "17,5");
    // The field kept the focus, its cursor at the end: the keyboard finishes what the keypad began.
    assert!(h.get_by_label("Montant").is_focused());
    h.get_by_label("Montant").type_text("0");
    h.run_steps(2);
    assert_eq!(h.state().cashier.amount, "17,50");
    key(&mut h, ",");
    key(&mut h, "9");
    assert_eq!(
        h.state().cashier.amount,
        "17,50",
        "a third decimal or a second comma changes nothing"
    );
    click(&mut h, "Encaisser");
    wait_for(&mut h, "the sale to be created", |h| {
        h.state().cashier.current().is_some()
    });
    let sale = h.state().cashier.current().cloned().expect("the sale");
    assert_eq!(sale.amount.cents(), 1750);
    assert_eq!(sale.status, CheckoutState::InProgress);
    assert!(has_label(&h, "En attente du paiement"), "the band says it");
}

#[test]
fn aujourd_hui_adds_up_the_day_per_tender_with_its_refunds_open_sales_and_last_sales() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    wait_for(&mut h, "the day read at start", |h| {
        h.state().cashier.today.today().is_some()
    });
    assert_eq!(
        h.state().cashier.today.today().unwrap().totals.sales_count,
        0
    );

    // 87,50 €: gift cards 50 + 20, Visa 17,50.
    let sale = paid_sale(&mut h, "87,50 €");
    wait_for(&mut h, "the day to count the sale", |h| {
        h.state()
            .cashier
            .today
            .today()
            .is_some_and(|t| t.totals.sales_count == 1)
    });
    let t = h.state().cashier.today.today().cloned().unwrap();
    let by = |kind: &str| {
        t.totals
            .by_tender
            .iter()
            .find(|l| l.kind == kind)
            .map_or(0, |l| l.payments_cents)
    };
    assert_eq!(
        (by("gift_card"), by("visa"), by("mastercard")),
        (7000, 1750, 0)
    );
    // 70 € is the gift cards' takings only: the sale's lines say 50 € and 20 €.
    assert!(has_label(&h, "70,00\u{a0}€"), "gift cards' takings shown");
    assert_eq!(t.last_sales.len(), 1);

    // A refund of 30 € split by the till, from the sale's detail; back at the counter the day says it.
    open_sale_detail(&mut h, &sale.reference);
    refund_order_and_wait(&mut h, "30,00");
    click(&mut h, "Caisse");
    click(&mut h, "Nouvelle vente");
    wait_for(&mut h, "the day to count the refund", |h| {
        h.state()
            .cashier
            .today
            .today()
            .is_some_and(|t| t.totals.refunds_cents == 3000)
    });
    let refunds = h
        .state()
        .cashier
        .today
        .today()
        .unwrap()
        .totals
        .refunds_count;
    assert!(refunds >= 1, "the till's split is one refund per card");
    assert!(has_label(&h, &format!("Remboursements ({refunds})")));
    assert!(has_label(&h, "-30,00\u{a0}€"), "refunds shown as money out");
    assert!(has_label(&h, "57,50\u{a0}€"), "net: 87,50 less 30,00");

    // A second sale left open: listed in "Ventes en cours" to take up again, and first in the last sales.
    h.get_by_label("Montant").type_text("12");
    click(&mut h, "Encaisser");
    wait_for(&mut h, "the open sale", |h| {
        h.state().cashier.current().is_some()
    });
    let open = h.state().cashier.current().cloned().unwrap();
    click(&mut h, "Nouvelle vente");
    wait_for(&mut h, "the open sale listed, the day read again", |h| {
        h.state().cashier.open_sales().len() == 1
            && h.state()
                .cashier
                .today
                .today()
                .is_some_and(|t| t.last_sales.len() == 2)
    });
    assert!(has_label(&h, "Ventes en cours (1)"));
    assert_eq!(
        h.state().cashier.today.today().unwrap().last_sales[0].reference,
        open.reference,
        "newest first"
    );
    click(&mut h, &format!("Reprendre {}", open.reference));
    wait_for(&mut h, "the open sale on screen again", |h| {
        h.state().cashier.current().is_some_and(|c| c.id == open.id)
    });
    assert!(has_label(&h, "En attente du paiement"));

    // "Annuler" beside an open sale shows it with the cancel question asked.
    click(&mut h, "Nouvelle vente");
    wait_for(&mut h, "the form again, the open sale listed", |h| {
        h.state().cashier.current().is_none() && h.state().cashier.open_sales().len() == 1
    });
    click(&mut h, "Annuler");
    wait_for(&mut h, "the open sale with its cancel question", |h| {
        h.state().cashier.current().is_some_and(|c| c.id == open.id)
            && h.state().cashier.cancel.is_open_for(&open.id)
    });
    assert!(has_label(&h, "Motif de l'annulation"));

    // A line of the last sales opens the sale in Transactions.
    h.query_all_by_role(Role::Button)
        .find(|n| {
            n.accesskit_node()
                .label()
                .is_some_and(|l| l.contains(&sale.reference))
        })
        .expect("the paid sale in the last sales")
        .click();
    h.run_steps(3);
    wait_for(&mut h, "the sale's detail in Transactions", |h| {
        h.state().tab() == cadodesk::ui::Tab::Transactions
            && h.state()
                .transactions
                .detail()
                .is_some_and(|d| d.id == sale.id)
    });
}

/// Every button and text field on screen that is smaller than a finger (44 points either way), by label.
fn too_small(h: &H) -> Vec<String> {
    [
        Role::Button,
        Role::TextInput,
        Role::RadioButton,
        Role::CheckBox,
    ]
    .into_iter()
    .flat_map(|role| h.query_all_by_role(role).collect::<Vec<_>>())
    .filter(|n| {
        let r = n.rect();
        r.height() < 44.0 || r.width() < 44.0
    })
    .map(|n| {
        format!(
            "{:?} {:?} {:?}",
            n.accesskit_node().role(),
            n.accesskit_node().label(),
            n.rect().size()
        )
    })
    .collect()
}

#[test]
fn every_target_on_the_counter_is_at_least_44_points_from_the_form_to_the_paid_sale() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    h.run_steps(3);
    let small = too_small(&h);
    assert!(small.is_empty(), "the form: {small:#?}");
    paid_sale(&mut h, "87,50 €");
    h.run_steps(3);
    let small = too_small(&h);
    assert!(small.is_empty(), "the paid sale: {small:#?}");
    // An open sale beside the paid one, so "Ventes en cours" has its buttons.
    click(&mut h, "Nouvelle vente");
    h.get_by_label("Montant").type_text("12");
    click(&mut h, "Encaisser");
    wait_for(&mut h, "the open sale", |h| {
        h.state()
            .cashier
            .current()
            .is_some_and(|c| c.status == CheckoutState::InProgress)
    });
    h.run_steps(3);
    let small = too_small(&h);
    assert!(small.is_empty(), "a sale waiting: {small:#?}");
    click(&mut h, "Annuler la vente");
    let small = too_small(&h);
    assert!(small.is_empty(), "the cancel question: {small:#?}");
    // The check can fail: the settings screen has smaller targets (it is not used by touch).
    click(&mut h, "Réglages");
    assert!(!too_small(&h).is_empty());
}

#[test]
fn the_theme_follows_the_system_until_one_is_chosen_and_the_text_size_applies_at_once_and_stays() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let mut h = harness(dir.path());
        wait_ready(&mut h);
        // A fresh till follows the desktop: dark when the system says dark, light when it says light.
        assert_eq!(h.state().settings().theme, Theme::System);
        h.input_mut().system_theme = Some(egui::Theme::Dark);
        h.run_steps(3);
        assert_eq!(h.ctx.theme(), egui::Theme::Dark);
        h.input_mut().system_theme = Some(egui::Theme::Light);
        h.run_steps(3);
        assert_eq!(h.ctx.theme(), egui::Theme::Light);

        click(&mut h, "Réglages");
        click(&mut h, "Sombre");
        wait_for(&mut h, "the dark theme stored and applied", |h| {
            h.state().settings().theme == Theme::Dark && h.ctx.theme() == egui::Theme::Dark
        });
        // Chosen, it no longer follows the system.
        h.input_mut().system_theme = Some(egui::Theme::Light);
        h.run_steps(3);
        assert_eq!(h.ctx.theme(), egui::Theme::Dark);

        // The app's own window: 1366×740.
        h.set_size(egui::vec2(1366.0, 740.0));
        click(&mut h, "150 %");
        wait_for(&mut h, "the text size stored and applied", |h| {
            h.state().settings().text_size == TextSize::from_percent(150).unwrap()
                && (h.ctx.zoom_factor() - 1.5).abs() < 1e-6
        });
        // Everything is larger on the screen; the keys give up height (never under 44 points, 66 pixels here) so
        // that "Encaisser" stays inside the 740-pixel window.
        click(&mut h, "Caisse");
        let ppp = h.ctx.pixels_per_point();
        let key = h.get_by_role_and_label(Role::Button, "7").rect().height() * ppp;
        assert!(key >= 1.5 * 44.0, "a key is {key} pixels high");
        let charge = h.get_by_role_and_label(Role::Button, "Encaisser").rect();
        assert!(
            charge.max.y * ppp <= 740.0 && charge.height() >= 44.0,
            "Encaisser on screen: {charge:?}"
        );
    }
    // Kept: the next start opens dark, at 150 %.
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    h.run_steps(3);
    assert_eq!(h.state().settings().theme, Theme::Dark);
    assert_eq!(h.state().settings().text_size.percent(), 150);
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    assert!((h.ctx.zoom_factor() - 1.5).abs() < 1e-6);
    // Both are journaled settings: the journal still verifies.
    let ledger = cadodesk::ledger::Ledger::open(&dir.path().join(cadodesk::ledger::LEDGER_FILE))
        .expect("ledger");
    drop(h);
    let report = ledger.verify().expect("verify");
    assert!(report.first_break.is_none(), "{report:?}");
}

#[test]
fn enter_starts_the_next_sale_once_one_is_over_and_never_while_it_waits() {
    use cadodesk::ui::worker::Event;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let mut sale = crate::ui::a_sale(CheckoutState::InProgress);
    h.state_mut()
        .cashier
        .on_event(&Event::CheckoutCreated(Box::new(sale.clone())));
    h.run_steps(3);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(
        h.state().cashier.current().is_some(),
        "a sale waiting for its payment stays on screen"
    );
    sale.status = CheckoutState::Paid;
    h.state_mut()
        .cashier
        .on_event(&Event::CheckoutUpdated(Box::new(sale)));
    h.run_steps(3);
    assert!(has_label(&h, "Payé"));
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.state().cashier.current().is_none(), "the next sale");
    assert!(
        h.get_by_label("Montant").is_focused(),
        "its amount typed straight away"
    );
}
