//! Journal: runs the ledger's integrity check and shows its verdict.

use egui::{RichText, Ui};

use crate::ui::app::Cx;
use crate::ui::model::UiError;
use crate::ui::text;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The last verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Nothing edited, removed or reordered.
    pub ok: bool,
    /// Entries checked.
    pub entries: u64,
    /// The first broken entry, in words.
    pub detail: String,
    /// The seal and the notes, in words.
    pub seal: Vec<String>,
}

/// The journal screen's state.
#[derive(Default)]
pub struct JournalPanel {
    running: bool,
    verdict: Option<Verdict>,
    error: Option<UiError>,
}

impl JournalPanel {
    /// The last verdict.
    pub fn verdict(&self) -> Option<&Verdict> {
        self.verdict.as_ref()
    }

    /// Takes the worker's news.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::Verified {
                ok,
                entries,
                detail,
                seal,
            } => {
                self.running = false;
                self.error = None;
                self.verdict = Some(Verdict {
                    ok: *ok,
                    entries: *entries,
                    detail: detail.clone(),
                    seal: seal.clone(),
                });
            }
            Event::Failed {
                origin: Origin::Verify,
                error,
            } => {
                self.running = false;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.heading(text::JOURNAL_HEADING.get(lang));
        ui.label(text::JOURNAL_EXPLAIN.get(lang));
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            let button = egui::Button::new(RichText::new(text::VERIFY.get(lang)).size(16.0))
                .min_size(egui::vec2(200.0, 34.0));
            if ui.add_enabled(!self.running, button).clicked() {
                self.running = true;
                self.error = None;
                cx.send(Command::VerifyLedger);
            }
            if self.running {
                widgets::busy_ui(ui);
                ui.label(text::VERIFYING.get(lang));
            }
        });
        ui.add_space(10.0);
        if let Some(v) = &self.verdict {
            if v.ok {
                ui.label(
                    RichText::new(text::VERIFY_OK.get(lang).to_string())
                        .size(22.0)
                        .color(widgets::OK_GREEN),
                );
            } else {
                ui.label(
                    RichText::new(text::VERIFY_BROKEN.get(lang).to_string())
                        .size(22.0)
                        .color(widgets::ERROR_RED),
                );
                ui.label(&v.detail);
            }
            ui.label(format!("{} {}", v.entries, text::ENTRIES.get(lang)));
            for line in &v.seal {
                ui.label(line);
            }
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "verify");
        }
    }
}
