//! The egui desktop app.

use crate::cli::GlobalArgs;

struct Placeholder;

impl eframe::App for Placeholder {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ui.heading("cadodesk");
    }
}

/// Opens the desktop app and returns when its window closes.
pub fn run_app(_global: &GlobalArgs) -> anyhow::Result<()> {
    let options = eframe::NativeOptions::default();
    eframe::run_native(
        "cadodesk",
        options,
        Box::new(|_cc| Ok(Box::new(Placeholder))),
    )
    .map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}
