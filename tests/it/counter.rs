//! The counter as a cashier works it, through the app's accessibility tree with real pointer clicks: the defects a
//! new shop met in its first hour, each with the test that reproduces it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // reason: a failed expectation is the test failing

use egui_kittest::kittest::Queryable;

use crate::ui::{
    click, harness, has_label, open_sale_detail, paid_sale, retype, type_into, wait_for, wait_ready,
};

/// Defect 1: a second refund was impossible until the app restarted (the reason list drawn under the dialog, and
/// choosing a reason closed it). Two refunds in a row, each with its reason picked from the list.
#[test]
fn two_refunds_in_a_row_each_with_a_reason_picked_from_the_list() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let sale = paid_sale(&mut h, "87,50 €");
    open_sale_detail(&mut h, &sale.reference);
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

/// Clears a text field as a person does: select all, then delete.
fn clear(h: &mut egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>, label: &str) {
    h.get_by_label(label).focus();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.key_press(egui::Key::Backspace);
    h.run_steps(2);
}

/// Defect 6: settings that make no sense are refused, naming the field and the fix, and nothing is saved: an empty
/// operator, a PIN threshold of 0 or one no refund reaches (which would turn the PIN off), a new PIN typed two
/// different ways.
#[test]
fn settings_that_make_no_sense_are_refused_with_the_field_and_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    click(&mut h, "Réglages");
    let said = |h: &egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>| {
        h.state()
            .settings_panel
            .field_error()
            .unwrap_or_default()
            .to_string()
    };
    clear(&mut h, "Nom de l'opérateur");
    click(&mut h, "Enregistrer");
    assert!(said(&h).starts_with("Nom de l'opérateur"), "{}", said(&h));
    type_into(&mut h, "Nom de l'opérateur", "Zoé");
    for (typed, words) in [("0", "au moins 0,01"), ("100000000", "au plus 10")] {
        clear(&mut h, "Code responsable au-delà de");
        type_into(&mut h, "Code responsable au-delà de", typed);
        click(&mut h, "Enregistrer");
        assert!(
            said(&h).starts_with("Code responsable au-delà de") && said(&h).contains(words),
            "{typed}: {}",
            said(&h)
        );
    }
    clear(&mut h, "Code responsable au-delà de");
    type_into(&mut h, "Code responsable au-delà de", "50,00");
    type_into(&mut h, "Nouveau code responsable", "2468");
    type_into(&mut h, "Confirmer le nouveau code", "2469");
    click(&mut h, "Enregistrer");
    assert!(
        said(&h).contains("les deux codes diffèrent"),
        "{}",
        said(&h)
    );
    assert!(h.state().settings().pin_hash.is_none(), "nothing saved");
    clear(&mut h, "Confirmer le nouveau code");
    type_into(&mut h, "Confirmer le nouveau code", "2468");
    click(&mut h, "Enregistrer");
    wait_for(&mut h, "the PIN to be set", |h| {
        h.state().settings().pin_hash.is_some()
    });
    assert_eq!(h.state().settings().operator, "Zoé");
}

/// The same rule at the till, whatever face asks: the command line, and the till's own use case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_threshold_no_refund_reaches_is_refused_by_the_till_too() {
    let sb = crate::support::till::sandbox(0).await;
    let dir = tempfile::tempdir().unwrap();
    let cli = crate::support::binary::Cli::sandbox(dir.path(), &sb.base_url());
    for (typed, words) in [("100000000", "at most"), ("0", "at least")] {
        let out = cli
            .run_input(&["pin", "set", "--threshold", typed], "2468\n")
            .await;
        let said = crate::support::binary::stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(
            said.to_lowercase().contains("threshold") && said.contains(words),
            "{said}"
        );
    }
    let till = crate::support::till::till(dir.path(), &sb.base_url(), "ana");
    let refused = till.set_pin_rules(
        None,
        None,
        cadodesk::till::manager::PinRule {
            threshold: cadodesk::domain::Amount::from_cents(0),
            always: false,
        },
    );
    assert!(
        matches!(refused, Err(cadodesk::till::TillError::ThresholdInvalid(_))),
        "{refused:?}"
    );
}

/// Defect 9: the spinner of a sale being watched asked egui for a new frame at once, every frame (1.7 cores under
/// software rendering). While a sale is open and nothing else happens, each frame asks for the next one a few times
/// a second at most, and at least once a second (the indicator still moves).
#[test]
fn an_open_sale_repaints_a_few_times_a_second_not_continuously() {
    use cadodesk::domain::CheckoutState;
    use cadodesk::ui::worker::Event;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let mut sale = crate::ui::a_sale(CheckoutState::InProgress);
    sale.redirect_url = Some("https://payment.example/hostedcheckout/1".into());
    h.state_mut()
        .cashier
        .on_event(&Event::CheckoutCreated(Box::new(sale)));
    h.run_steps(3);
    assert!(has_label(&h, "Suivi en cours"), "the sale is watched");
    let delay = |h: &egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay
    };
    // The worker wakes the window when it has news; with none, a frame soon asks for no immediate repaint.
    let mut seen = Vec::new();
    for _ in 0..20 {
        h.step();
        seen.push(delay(&h));
        if seen.last().is_some_and(|d| !d.is_zero()) {
            break;
        }
    }
    let last = *seen.last().expect("a frame");
    assert!(
        last >= std::time::Duration::from_millis(200) && last <= std::time::Duration::from_secs(1),
        "each frame asks for the next one in 200 ms to 1 s: {seen:?}"
    );
}

/// Refunds `amount` of the sale shown in the detail panel as an order refund (split by the till), and waits until
/// every refund of the sale has completed.
pub(crate) fn refund_order_and_wait(
    h: &mut egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>,
    amount: &str,
) {
    click(h, "Rembourser un montant de la vente");
    retype(h, "Montant à rembourser", amount);
    click(h, "Motif");
    click(h, "Retour d'article");
    click(h, "Continuer");
    wait_for(h, "the till's split", |h| {
        h.state().transactions.refund.confirming()
    });
    click(h, "Confirmer le remboursement");
    wait_for(h, "the refunds recorded", |h| {
        !h.state().transactions.refund.in_flight()
            && h.query_all_by_label_contains("Remboursement enregistré")
                .next()
                .is_some()
    });
    click(h, "Fermer");
    wait_for(h, "the refunds to complete", |h| {
        h.state().transactions.detail().is_some_and(|d| {
            !d.refunds.is_empty()
                && d.refunds
                    .iter()
                    .all(|r| r.status == cadodesk::domain::RefundState::Refunded)
        })
    });
    h.run_steps(3);
}

/// Defect 8: a sale stayed "Payé" after 75 of 87,50 € were refunded, and the status filter had no refunded
/// states. The list, the detail and the filter say what the sale is now: refunded in part, then refunded.
#[test]
fn a_refunded_sale_says_so_in_the_list_the_detail_and_the_filter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    // No manager PIN up to 100 € of refunds, so that the refunds below need none.
    click(&mut h, "Réglages");
    retype(&mut h, "Code responsable au-delà de", "100,00");
    click(&mut h, "Enregistrer");
    wait_for(&mut h, "the threshold saved", |h| {
        h.state().settings().pin_threshold.map(|a| a.cents()) == Some(10_000)
    });
    let sale = paid_sale(&mut h, "87,50");
    open_sale_detail(&mut h, &sale.reference);
    refund_order_and_wait(&mut h, "75,00");
    let role = egui::accesskit::Role::Label;
    assert!(
        h.query_by_role_and_label(role, "Remboursé en partie")
            .is_some(),
        "the list says the sale is refunded in part"
    );
    assert!(
        h.query_by_label_contains("· Remboursé en partie ·")
            .is_some(),
        "the detail says so"
    );
    // The filter offers it, and picks the sale.
    h.get_by_role_and_label(egui::accesskit::Role::ComboBox, "Statut")
        .click();
    h.run_steps(3);
    h.get_by_role_and_label(egui::accesskit::Role::Button, "Remboursé en partie")
        .click();
    h.run_steps(3);
    wait_for(&mut h, "the filtered list", |h| {
        h.state().transactions.shown().count() == 1 && !h.state().transactions.loading()
    });
    // The rest refunded: the sale is refunded, and leaves the "refunded in part" list.
    click(&mut h, &sale.reference);
    refund_order_and_wait(&mut h, "12,50");
    assert!(
        h.query_by_label_contains("· Remboursé ·").is_some(),
        "the detail says the sale is refunded"
    );
    assert_eq!(h.state().transactions.shown().count(), 0);
}

/// Defect 7: English mode was half French ("50,00", "Reason :", "Operator :", an amount hint asking for a comma,
/// "10000.00 EUR" in an error). In English, amounts are typed and shown the English way, and labels take a colon
/// without a space.
#[test]
fn english_mode_writes_amounts_and_punctuation_the_english_way() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    let sale = paid_sale(&mut h, "87,50");
    click(&mut h, "Réglages");
    click(&mut h, "English");
    let operator = h.state().settings().operator.clone();
    assert!(
        has_label(&h, &format!("Operator: {operator}")),
        "the top bar, the English way"
    );
    assert_eq!(
        h.state().settings_panel.pin_threshold,
        "50.00",
        "the threshold as an English reader types it"
    );
    retype(&mut h, "Manager PIN above", "100000000");
    click(&mut h, "Save");
    assert!(
        h.query_by_label_contains("Manager PIN above: ").is_some()
            && h.query_by_label_contains("at most €10,000.00").is_some(),
        "the limit in English: {:?}",
        h.state().settings_panel.field_error()
    );
    retype(&mut h, "Manager PIN above", "50.00");

    // The cashier's amount: the example is written the English way.
    click(&mut h, "Counter");
    click(&mut h, "New sale");
    type_into(&mut h, "Amount", "abc");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let said = h
        .state()
        .cashier
        .amount_error()
        .unwrap_or_default()
        .to_string();
    assert!(said.contains("17.50") && !said.contains("17,50"), "{said}");

    // The refund dialog: the amount, the reason.
    crate::ui::open_sale_detail(&mut h, &sale.reference);
    h.get_all_by_label("Refund")
        .next()
        .expect("a refund button")
        .click();
    h.run_steps(3);
    let first = h.state().transactions.detail().expect("detail").tenders[0].refundable;
    assert_eq!(h.state().transactions.refund.amount, first.plain('.'));
    retype(&mut h, "Amount to refund", "1,505");
    click(&mut h, "Reason");
    click(&mut h, "Item returned");
    click(&mut h, "Continue");
    assert!(
        h.query_by_label_contains("such as 12.35").is_some(),
        "the example in English"
    );
    retype(&mut h, "Amount to refund", "1.50");
    click(&mut h, "Continue");
    assert!(h.state().transactions.refund.confirming());
    assert!(
        h.query_by_label_contains("Reason: Item returned").is_some(),
        "the reason, the English way"
    );
    assert!(h.query_by_label_contains("€1.50 to ").is_some());
}

/// Defect 5: the keyboard flow. The amount field has the focus at start and after "Nouvelle vente"; Enter submits
/// the refund form; an error goes once its field is corrected; the refund's result follows it to "Remboursé"; no
/// PIN error shows on a confirmation before the PIN was asked there; the browser's error leaves with the sale.
#[test]
fn the_keyboard_flow_focuses_submits_and_clears_what_was_fixed() {
    use cadodesk::domain::CheckoutState;
    use cadodesk::ui::model::UiError;
    use cadodesk::ui::worker::{Event, Origin};
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    h.run_steps(2);
    assert!(
        h.get_by_label("Montant").is_focused(),
        "the amount field has the focus at start"
    );
    // Typed straight away, without a click; the error goes once the amount is fixed.
    h.get_by_label("Montant").type_text("abc");
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.state().cashier.amount_error().is_some());
    retype(&mut h, "Montant", "12,50");
    assert_eq!(
        h.state().cashier.amount_error(),
        None,
        "fixed, the error goes"
    );
    assert!(h.query_by_label_contains("n'est pas un montant").is_none());

    // The browser's error does not stay on the "Payé" screen.
    let mut sale = crate::ui::a_sale(CheckoutState::InProgress);
    sale.redirect_url = Some("https://payment.example/hostedcheckout/1".into());
    let cashier = &mut h.state_mut().cashier;
    cashier.on_event(&Event::CheckoutCreated(Box::new(sale.clone())));
    cashier.on_event(&Event::Failed {
        origin: Origin::Open,
        error: UiError::new(cadodesk::ui::text::BROWSER_FAILED, "no browser"),
    });
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Le navigateur n'a pas pu")
            .is_some()
    );
    sale.status = CheckoutState::Paid;
    h.state_mut()
        .cashier
        .on_event(&Event::CheckoutUpdated(Box::new(sale)));
    h.run_steps(3);
    assert!(has_label(&h, "Payé"));
    assert!(
        h.query_by_label_contains("Le navigateur n'a pas pu")
            .is_none(),
        "the browser's error left with the sale in progress"
    );
    click(&mut h, "Nouvelle vente");
    assert!(
        h.get_by_label("Montant").is_focused(),
        "the amount field has the focus after \"Nouvelle vente\""
    );

    // A manager PIN for every refund.
    click(&mut h, "Réglages");
    type_into(&mut h, "Nouveau code responsable", "2468");
    type_into(&mut h, "Confirmer le nouveau code", "2468");
    click(&mut h, "Code responsable pour tout remboursement");
    click(&mut h, "Enregistrer");
    wait_for(&mut h, "the PIN to be set", |h| {
        h.state().settings().pin_hash.is_some()
    });
    let sale = paid_sale(&mut h, "87,50");
    open_sale_detail(&mut h, &sale.reference);
    h.get_all_by_label("Rembourser")
        .next()
        .expect("a refund button")
        .click();
    h.run_steps(3);
    retype(&mut h, "Montant à rembourser", "5,00");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Choisissez un motif").is_some(),
        "Enter submits the form: a reason is asked for"
    );
    click(&mut h, "Motif");
    click(&mut h, "Retour d'article");
    assert!(
        h.query_by_label_contains("Choisissez un motif").is_none(),
        "a reason chosen, its error goes"
    );
    h.get_by_label("Montant à rembourser").focus();
    h.run_steps(2);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(
        h.state().transactions.refund.confirming(),
        "Enter continues"
    );
    // Confirmed without the PIN: asked for. Back and forward again: not before it is confirmed again.
    click(&mut h, "Confirmer le remboursement");
    let asked = "demande le code responsable";
    assert!(h.query_by_label_contains(asked).is_some());
    click(&mut h, "Retour");
    click(&mut h, "Continuer");
    assert!(h.state().transactions.refund.confirming());
    assert!(
        h.query_by_label_contains(asked).is_none(),
        "no PIN error before the PIN is asked"
    );
    assert!(
        h.get_by_label("Code responsable").is_focused(),
        "the PIN field has the focus on the confirmation"
    );
    type_into(&mut h, "Code responsable", "2468");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    wait_for(&mut h, "the refund recorded", |h| {
        h.query_by_label_contains("Remboursement enregistré")
            .is_some()
    });
    // The dialog left open follows the refund to its end.
    wait_for(&mut h, "the refund to complete", |h| {
        h.state().transactions.detail().is_some_and(|d| {
            d.refunds
                .iter()
                .any(|r| r.status == cadodesk::domain::RefundState::Refunded)
        })
    });
    h.run_steps(3);
    use egui_kittest::kittest::NodeT;
    let result = h
        .get_by_label_contains("Remboursement enregistré")
        .accesskit_node()
        .value()
        .unwrap_or_default();
    assert!(
        result.ends_with("· Remboursé"),
        "the result says the refund is done: {result}"
    );
    click(&mut h, "Fermer");

    // A date filter's error goes once the date is fixed.
    retype(&mut h, "Du", "2026-13-45");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(h.query_by_label_contains("Date invalide").is_some());
    retype(&mut h, "Du", "2026-11-01");
    assert!(
        h.query_by_label_contains("Date invalide").is_none(),
        "fixed, the date's error goes"
    );
}

/// Defect 6 (the rest): the settings showed one error at a time, under the form, and the Save button moved as
/// errors came and went. Every error shows at once beside its field, goes when its field is fixed, and the button
/// stays where it is.
#[test]
fn every_settings_error_shows_at_once_beside_its_field_and_save_stays_put() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::NodeT;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_ready(&mut h);
    click(&mut h, "Réglages");
    let save_at = h.get_by_label("Enregistrer").rect();
    clear(&mut h, "Nom de l'opérateur");
    clear(&mut h, "Code responsable au-delà de");
    type_into(&mut h, "Code responsable au-delà de", "0");
    type_into(&mut h, "Nouveau code responsable", "2468");
    type_into(&mut h, "Confirmer le nouveau code", "2469");
    click(&mut h, "Enregistrer");
    // Each error under its own field (the field's bottom edge, then the error, a line below at most).
    let beside = |h: &egui_kittest::Harness<'static, cadodesk::ui::app::CadodeskApp>,
                  field: &str,
                  words: &str| {
        let error = h
            .query_by_label_contains(words)
            .unwrap_or_else(|| panic!("the error \"{words}\" is on screen"))
            .rect();
        // The field itself, not its label (a PIN field is a password input).
        let field = h
            .get_all_by_label(field)
            .find(|n| n.accesskit_node().role() != Role::Label)
            .expect("the field")
            .rect();
        error.top() >= field.bottom() - 1.0 && error.top() - field.bottom() < 24.0
    };
    for (field, words) in [
        ("Nom de l'opérateur", "saisissez le nom de la personne"),
        ("Code responsable au-delà de", "au moins 0,01"),
        ("Confirmer le nouveau code", "les deux codes diffèrent"),
    ] {
        assert!(beside(&h, field, words), "{words} is shown under {field}");
    }
    assert_eq!(h.state().settings_panel.field_errors().count(), 3);
    assert_eq!(
        h.get_by_label("Enregistrer").rect(),
        save_at,
        "Save stays where it was"
    );
    // Fixed, an error goes; the others stay until their fields are fixed.
    type_into(&mut h, "Nom de l'opérateur", "Zoé");
    assert!(
        h.query_by_label_contains("saisissez le nom de la personne")
            .is_none()
    );
    assert_eq!(h.state().settings_panel.field_errors().count(), 2);
    assert_eq!(h.get_by_label("Enregistrer").rect(), save_at);
    retype(&mut h, "Code responsable au-delà de", "50,00");
    retype(&mut h, "Confirmer le nouveau code", "2468");
    click(&mut h, "Enregistrer");
    wait_for(&mut h, "the PIN to be set", |h| {
        h.state().settings().pin_hash.is_some()
    });
    assert_eq!(h.state().settings_panel.field_errors().count(), 0);
    assert_eq!(h.get_by_label("Enregistrer").rect(), save_at);
}
