//! The desktop app driven through its accessibility tree (egui_kittest), with the real worker, a real ledger in a
//! temporary directory, the keychain's mock store, and the embedded sandbox on loopback.

use std::path::Path;
use std::time::{Duration, Instant};

use cadodesk::ui::app::{CadodeskApp, Startup, Tab};
use cadodesk::ui::worker::{self, WorkerConfig};
use cadodesk::vault::Vault;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

/// The app over a fresh data directory, in a 1366×768 window.
pub fn harness(dir: &Path) -> Harness<'static, CadodeskApp> {
    let mut config = WorkerConfig::new(dir);
    config.vault = Some(Vault::with_store(
        keyring_core::mock::Store::new().expect("mock keychain"),
    ));
    config.sandbox_refund_delay_ms = Some(300);
    let handle = worker::start(config).expect("worker thread");
    let app = CadodeskApp::new(handle);
    Harness::builder()
        .with_size(egui::vec2(1366.0, 768.0))
        .build_ui_state(|ui, app: &mut CadodeskApp| app.frame_ui(ui), app)
}

/// Steps frames until `done` holds; fails with `what` after a minute (a hang, not a speed check).
pub fn wait_for(
    h: &mut Harness<'static, CadodeskApp>,
    what: &str,
    done: impl Fn(&Harness<'static, CadodeskApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        if done(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn has_label(h: &Harness<'static, CadodeskApp>, label: &str) -> bool {
    h.query_by_label(label).is_some()
}

fn type_into(h: &mut Harness<'static, CadodeskApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run_steps(2);
    assert!(h.get_by_label(label).is_focused(), "{label} took the focus");
    h.get_by_label(label).type_text(text);
    h.run_steps(2);
}

#[test]
fn opens_in_french_with_every_tab_and_the_sandbox_badge() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    h.run_steps(3);
    for tab in [
        "Encaisser",
        "Transactions",
        "Remboursements",
        "Réglages",
        "Journal",
    ] {
        assert!(has_label(&h, tab), "tab {tab} is missing");
    }
    assert!(has_label(&h, "SANDBOX"), "the sandbox badge is missing");
    assert!(has_label(&h, "Créer le paiement"));
    h.get_by_label("Transactions").click();
    h.run_steps(3);
    assert_eq!(h.state().tab(), Tab::Transactions);
    for column in ["Date", "Référence", "Statut", "Remboursable", "Opérateur"] {
        assert!(has_label(&h, column), "column {column} is missing");
    }
}

#[test]
fn a_wrong_amount_is_explained_next_to_the_field_and_kept() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    h.run_steps(2);
    type_into(&mut h, "Montant", "12,345");
    h.get_by_label("Créer le paiement").click();
    h.run_steps(3);
    let error = h.state().cashier.amount_error().expect("an amount error");
    assert!(error.contains("deux décimales"), "{error}");
    assert!(
        h.query_by_label_contains("deux décimales").is_some(),
        "the error is on screen"
    );
    assert_eq!(h.state().cashier.amount, "12,345", "what was typed is kept");
    assert!(h.state().cashier.current().is_none(), "nothing was created");

    // Enter submits too, and "abc" gets its own explanation.
    h.state_mut().cashier.amount.clear();
    type_into(&mut h, "Montant", "abc");
    assert_eq!(h.state().cashier.amount, "abc");
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    let error = h.state().cashier.amount_error().expect("an amount error");
    assert!(error.contains("n'est pas un montant"), "{error}");
}

#[test]
fn the_window_can_switch_to_english() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut h = harness(dir.path());
    wait_for(&mut h, "the till to start", |h| {
        !matches!(h.state().startup(), Startup::Starting)
    });
    h.get_by_label("Réglages").click();
    h.run_steps(3);
    h.get_by_label("English").click();
    h.run_steps(3);
    assert!(has_label(&h, "Settings"));
    assert!(has_label(&h, "Checkout"));
    assert!(!has_label(&h, "Réglages"));
}

#[test]
fn every_symbol_the_screens_use_has_a_glyph() {
    // egui refuses to draw a missing glyph in tests; this catches a symbol that would show as a box.
    let mut h = Harness::new_ui(|ui| {
        ui.label("• … € « » ’ é è à ç ô û É · ° ê î ù");
    });
    h.run_steps(2);
}
