//! Réglages, "Imprimante des reçus": the receipt printer chosen (a journaled setting; none: receipts go to PDF files)
//! and "Imprimer une page de test".

use egui::Ui;

use crate::ui::app::Cx;
use crate::ui::model::UiError;
use crate::ui::widgets;
use crate::ui::worker::{Command, Event, Origin};

/// The receipt printer part of the settings screen.
#[derive(Default)]
pub struct PrinterSection {
    /// The printer's address as typed (`tcp://HOST:9100`, `usb:/dev/usb/lp0`, `serial:/dev/ttyUSB0`; empty: none).
    pub address: String,
    loaded: bool,
    busy: bool,
    /// What it last said, in French and in English.
    said: Option<(String, String)>,
    error: Option<UiError>,
}

impl PrinterSection {
    /// The command that reads the printer chosen, the first time the screen is drawn.
    fn load(&mut self, cx: &mut Cx<'_>) {
        if !self.loaded && cx.ready {
            self.loaded = true;
            cx.send(Command::LoadReceiptPrinter);
        }
    }

    /// What the section last said, in French (the printer chosen, the test page printed).
    pub fn said(&self) -> Option<&str> {
        self.said.as_ref().map(|(fr, _)| fr.as_str())
    }

    /// The last error, if any.
    pub fn error(&self) -> Option<&UiError> {
        self.error.as_ref()
    }

    /// Takes what the worker sent.
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::ReceiptPrinter { address, saved } => {
                self.busy = false;
                self.error = None;
                // The stored address fills the field, unless something was typed meanwhile (a reading that comes
                // back late never wipes what the shop is typing).
                if *saved || self.address.trim().is_empty() {
                    self.address = address.clone().unwrap_or_default();
                }
                if *saved {
                    self.said = Some(match address {
                        Some(a) => (
                            format!("Imprimante choisie : {a}"),
                            format!("Printer in use: {a}"),
                        ),
                        None => (
                            "Les reçus sont des PDF".to_string(),
                            "Receipts are PDFs".to_string(),
                        ),
                    });
                }
            }
            Event::PrinterTested(to) => {
                self.busy = false;
                self.error = None;
                self.said = Some((
                    format!("Page de test imprimée sur {to}"),
                    format!("Test page printed on {to}"),
                ));
            }
            Event::Failed {
                origin: Origin::Printer,
                error,
            } => {
                self.busy = false;
                self.said = None;
                self.error = Some(error.clone());
            }
            _ => {}
        }
    }

    /// Draws the section.
    pub fn ui(&mut self, ui: &mut Ui, cx: &mut Cx<'_>) {
        let lang = cx.lang;
        self.load(cx);
        ui.add_space(10.0);
        ui.heading(lang.pick("Imprimante des reçus", "Receipt printer"));
        ui.label(lang.pick(
            "Une imprimante ESC/POS : réseau (tcp://HÔTE:9100), USB (usb:/dev/usb/lp0) ou série (serial:/dev/ttyUSB0). Vide : les reçus sont des PDF.",
            "An ESC/POS printer: network (tcp://HOST:9100), USB (usb:/dev/usb/lp0) or serial (serial:/dev/ttyUSB0). Empty: receipts are PDFs.",
        ));
        ui.horizontal(|ui| {
            ui.label(lang.pick("Adresse de l'imprimante", "Printer address"));
            ui.add(
                egui::TextEdit::singleline(&mut self.address)
                    .hint_text("tcp://192.168.1.50:9100")
                    .desired_width(260.0),
            );
        });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    cx.ready && !self.busy,
                    egui::Button::new(lang.pick("Choisir cette imprimante", "Use this printer")),
                )
                .clicked()
            {
                self.busy = true;
                self.said = None;
                self.error = None;
                let typed = self.address.trim();
                cx.send(Command::SetReceiptPrinter {
                    address: (!typed.is_empty()).then(|| typed.to_string()),
                });
            }
            if ui
                .add_enabled(
                    cx.ready && !self.busy && !self.address.trim().is_empty(),
                    egui::Button::new(lang.pick("Imprimer une page de test", "Print a test page")),
                )
                .clicked()
            {
                self.busy = true;
                self.said = None;
                self.error = None;
                cx.send(Command::PrinterTestPage);
            }
            if self.busy {
                widgets::busy_ui(ui);
            }
        });
        if let Some((fr, en)) = &self.said {
            ui.colored_label(widgets::OK_GREEN, lang.pick(fr, en));
        }
        if let Some(e) = &self.error {
            widgets::error_ui(ui, lang, e, "printer");
        }
    }
}
