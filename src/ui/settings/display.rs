//! Réglages, "Affichage": the theme (the system's by default, light or dark) and the text size (100, 125 or 150 %),
//! applied at once and kept as journaled settings.

use egui::{RichText, Ui};

use crate::app::settings::{TextSize, Theme};
use crate::i18n::Lang;
use crate::ui::app::Cx;
use crate::ui::model::UiError;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The display part of the settings screen.
#[derive(Debug)]
pub struct DisplaySection {
    theme: Theme,
    text_size: TextSize,
    /// What is in force (stored), to go back to when a choice is refused.
    in_force: (Theme, TextSize),
    busy: bool,
    error: Option<UiError>,
}

impl Default for DisplaySection {
    fn default() -> Self {
        DisplaySection {
            theme: Theme::System,
            text_size: TextSize::NORMAL,
            in_force: (Theme::System, TextSize::NORMAL),
            busy: false,
            error: None,
        }
    }
}

/// A theme's name on the screen.
pub fn theme_name(theme: Theme, lang: Lang) -> &'static str {
    match theme {
        Theme::System => lang.pick("Comme le système", "System default"),
        Theme::Light => lang.pick("Clair", "Light"),
        Theme::Dark => lang.pick("Sombre", "Dark"),
    }
}

impl DisplaySection {
    /// Shows what is in force.
    pub fn load(&mut self, theme: Theme, text_size: TextSize) {
        self.in_force = (theme, text_size);
        if !self.busy {
            self.theme = theme;
            self.text_size = text_size;
        }
    }

    /// The worker stored a choice.
    pub fn saved(&mut self, theme: Theme, text_size: TextSize) {
        self.busy = false;
        self.error = None;
        self.theme = theme;
        self.text_size = text_size;
        self.in_force = (theme, text_size);
    }

    /// The last error, if any.
    pub fn error(&self) -> Option<&UiError> {
        self.error.as_ref()
    }

    /// Takes what the worker sent.
    pub fn on_event(&mut self, event: &Event) {
        if let Event::Failed {
            origin: Origin::Display,
            error,
        } = event
        {
            self.busy = false;
            self.error = Some(error.clone());
            // Refused: the choices show what is in force again.
            (self.theme, self.text_size) = self.in_force;
        }
    }

    /// Draws the section. A choice is sent at once; the screen changes when it is stored.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        ui.add_space(10.0);
        ui.heading(lang.pick("Affichage", "Display"));
        let (theme, size) = (self.theme, self.text_size);
        let ready = cx.ready;
        egui::Grid::new("display-grid")
            .num_columns(2)
            .spacing([10.0, 8.0])
            .show(ui, |ui| {
                ui.label(lang.pick("Thème", "Theme"));
                ui.horizontal(|ui| {
                    for t in Theme::ALL {
                        ui.add_enabled_ui(!self.busy && ready, |ui| {
                            ui.radio_value(&mut self.theme, t, theme_name(t, lang));
                        });
                    }
                });
                ui.end_row();
                ui.label(lang.pick("Taille du texte", "Text size"));
                ui.horizontal(|ui| {
                    for s in TextSize::ALL {
                        ui.add_enabled_ui(!self.busy && ready, |ui| {
                            ui.radio_value(&mut self.text_size, s, format!("{} %", s.percent()));
                        });
                    }
                });
                ui.end_row();
            });
        ui.label(
            RichText::new(lang.pick(
                "Appliqué tout de suite, sans « Enregistrer ».",
                "Applied at once, without \"Save\".",
            ))
            .small(),
        );
        if (self.theme, self.text_size) != (theme, size) && ready {
            self.busy = true;
            self.error = None;
            cx.send(Command::SetDisplay {
                theme: self.theme,
                text_size: self.text_size,
            });
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "display");
        }
    }
}
