//! Réglages, "Sauvegarde": a copy of the ledger written now (checked, journaled, never over a file), and the
//! reminder when none was made or the last is older than a week.

use std::path::PathBuf;

use egui::{RichText, Ui};

use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::model::UiError;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The backup part of the settings screen.
#[derive(Default)]
pub struct BackupSection {
    /// Where the copy goes, as typed.
    pub path: String,
    busy: bool,
    done: Option<(PathBuf, i64)>,
    error: Option<UiError>,
    due: bool,
}

fn default_path() -> String {
    widgets::in_documents(&format!(
        "cadodesk-sauvegarde-{}.sqlite3",
        chrono::Local::now().format("%Y-%m-%d-%H%M")
    ))
}

impl BackupSection {
    /// Whether a backup is due (none yet, or the last older than a week).
    pub fn due(&self) -> bool {
        self.due
    }

    /// The last backup written here: the file and the last entry it holds.
    pub fn done(&self) -> Option<&(PathBuf, i64)> {
        self.done.as_ref()
    }

    /// Takes what the worker sent.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::BackupDue(due) => self.due = *due,
            Event::BackupDone { path, last_seq } => {
                self.busy = false;
                self.error = None;
                self.due = false;
                self.done = Some((path.clone(), *last_seq));
                // The next one gets a new name: a backup never replaces a file.
                self.path = default_path();
            }
            Event::Failed {
                origin: Origin::Backup,
                error,
            } => {
                self.busy = false;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the section.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        if self.path.is_empty() {
            self.path = default_path();
        }
        ui.add_space(10.0);
        ui.heading(lang.pick("Sauvegarde", "Backup"));
        ui.label(lang.pick(
            "Une copie du registre, vérifiée avant d'être gardée, à mettre sur une clé USB ou un autre disque.",
            "A copy of the ledger, checked before it is kept, for a USB stick or another disk.",
        ));
        if self.due {
            ui.colored_label(
                widgets::SANDBOX_ORANGE,
                lang.pick(
                    "Aucune sauvegarde depuis plus d'une semaine : faites-en une.",
                    "No backup for more than a week: make one.",
                ),
            );
        }
        ui.horizontal(|ui| {
            ui.label(lang.pick("Fichier", "File"));
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(320.0));
        });
        ui.horizontal(|ui| {
            let button = egui::Button::new(lang.pick("Sauvegarder maintenant", "Back up now"));
            if ui.add_enabled(cx.ready && !self.busy, button).clicked() {
                self.busy = true;
                self.error = None;
                self.done = None;
                cx.send(Command::Backup {
                    path: PathBuf::from(self.path.trim()),
                });
            }
            if self.busy {
                widgets::busy_ui(ui);
            }
        });
        if let Some((path, seq)) = &self.done {
            ui.colored_label(
                widgets::OK_GREEN,
                RichText::new(match lang {
                    Lang::Fr => format!(
                        "Sauvegarde vérifiée : {} (jusqu'à l'écriture n°{seq})",
                        path.display()
                    ),
                    Lang::En => {
                        format!("Backup checked: {} (up to entry no. {seq})", path.display())
                    }
                }),
            );
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "backup");
        }
    }
}
