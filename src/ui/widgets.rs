//! Small pieces shared by the panels: an error with its detail one click away, a copy button, a QR code.

use egui::{Color32, RichText, Ui};

use crate::i18n::Lang;
use crate::ui::model::UiError;
use crate::ui::text;

/// The red of errors.
pub const ERROR_RED: Color32 = Color32::from_rgb(200, 40, 40);
/// The green of success.
pub const OK_GREEN: Color32 = Color32::from_rgb(30, 140, 60);
/// The orange of the sandbox badge.
pub const SANDBOX_ORANGE: Color32 = Color32::from_rgb(235, 120, 0);

/// An error in plain words, with the technical detail in a collapsed section beneath.
pub fn error_ui(ui: &mut Ui, lang: Lang, error: &UiError, id_salt: &str) {
    ui.colored_label(ERROR_RED, error.message(lang));
    if !error.detail.is_empty() {
        egui::CollapsingHeader::new(text::DETAILS.get(lang))
            .id_salt(("error-detail", id_salt))
            .default_open(false)
            .show(ui, |ui| {
                ui.label(RichText::new(&error.detail).monospace().small());
            });
    }
}

/// A short error next to a field.
pub fn field_error_ui(ui: &mut Ui, message: &str) {
    ui.colored_label(ERROR_RED, message);
}

/// A value with a button that copies it.
pub fn copyable_ui(ui: &mut Ui, lang: Lang, label: &str, value: &str) {
    ui.horizontal(|ui| {
        ui.label(format!("{label}{}", lang.colon()));
        ui.label(RichText::new(value).monospace());
        if ui
            .small_button(text::COPY.get(lang))
            .on_hover_text(value)
            .clicked()
        {
            ui.ctx().copy_text(value.to_string());
        }
    });
}

/// A QR code, already encoded, as modules to draw.
pub struct Qr {
    data: String,
    width: usize,
    dark: Vec<bool>,
}

impl Qr {
    /// Encodes a text; `None` if it is too long for a QR code.
    pub fn new(data: &str) -> Option<Qr> {
        let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Some(Qr {
            data: data.to_string(),
            width,
            dark,
        })
    }

    /// The encoded text.
    pub fn data(&self) -> &str {
        &self.data
    }

    /// Draws it as a square of `side` points, dark modules as rects on white with a quiet zone.
    pub fn ui(&self, ui: &mut Ui, side: f32) -> egui::Response {
        let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 4.0, Color32::WHITE);
        let quiet = 4usize;
        let cells = self.width + 2 * quiet;
        let module = side / cells as f32;
        for y in 0..self.width {
            for x in 0..self.width {
                if self.dark.get(y * self.width + x).copied().unwrap_or(false) {
                    let min = rect.min
                        + egui::vec2((x + quiet) as f32 * module, (y + quiet) as f32 * module);
                    painter.rect_filled(
                        egui::Rect::from_min_size(min, egui::vec2(module, module)),
                        0.0,
                        Color32::BLACK,
                    );
                }
            }
        }
        response
    }
}

/// The "Du … au …" pair of date fields that filters a list. Returns true when Enter was pressed in either, which
/// applies the filter like the "Appliquer" button.
pub fn date_range_ui(
    ui: &mut Ui,
    lang: Lang,
    from: &mut String,
    to: &mut String,
    id_salt: &str,
) -> bool {
    let mut apply = false;
    for (label, value, end) in [(text::FROM, from, "from"), (text::TO, to, "to")] {
        let l = ui.label(label.get(lang));
        let r = ui
            .add(
                egui::TextEdit::singleline(value)
                    .id_salt(format!("{id_salt}-{end}"))
                    .hint_text(text::DATE_HINT.get(lang))
                    .desired_width(95.0),
            )
            .labelled_by(l.id);
        apply |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    }
    apply
}

/// How often a busy indicator moves: twice a second shows life. Each frame is a whole window drawn again (about a
/// quarter of a core-second for the counter under software rendering, llvmpipe at 1366×740: `scripts/bench.sh`),
/// so a busy indicator is kept to short waits; egui's spinner, drawing frame after frame, took all it could get.
pub const BUSY_TICK: std::time::Duration = std::time::Duration::from_millis(500);

/// A cheap "working…" indicator: eight dots, one lit, moving one step per [`BUSY_TICK`]. Unlike egui's spinner,
/// which asks for a new frame at once every frame (a core or more under software rendering), it asks for the next
/// frame one tick later, when its picture has changed.
pub fn busy_ui(ui: &mut Ui) -> egui::Response {
    busy_every_ui(ui, BUSY_TICK)
}

/// How often the indicator of a sale being watched moves: it can stay on the counter for minutes while the customer
/// pays on the phone, so once a second (each frame costs a quarter of a core-second under software rendering).
pub const WATCH_TICK: std::time::Duration = std::time::Duration::from_millis(1000);

/// [`busy_ui`] moving one step every `tick`.
pub fn busy_every_ui(ui: &mut Ui, tick: std::time::Duration) -> egui::Response {
    let side = ui.spacing().interact_size.y;
    let (rect, response) = ui.allocate_exact_size(egui::vec2(side, side), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let every = tick;
        let tick = every.as_secs_f64();
        let step = (ui.input(|i| i.time) / tick).floor() as i64;
        let lit = step.rem_euclid(8) as usize;
        let painter = ui.painter();
        let center = rect.center();
        let radius = side * 0.35;
        let color = ui.visuals().strong_text_color();
        for i in 0..8usize {
            let angle = std::f32::consts::TAU * i as f32 / 8.0;
            let at = center + radius * egui::vec2(angle.cos(), angle.sin());
            let c = if i == lit {
                color
            } else {
                color.gamma_multiply(0.3)
            };
            painter.circle_filled(at, side * 0.08, c);
        }
        ui.ctx().request_repaint_after(every);
    }
    response
}

/// Enter was pressed this frame, not held down (a held key repeats: one press is one action, never two).
pub fn enter_pressed(ui: &Ui) -> bool {
    ui.input(|i| {
        i.events.iter().any(|e| {
            matches!(
                e,
                egui::Event::Key {
                    key: egui::Key::Enter,
                    pressed: true,
                    repeat: false,
                    ..
                }
            )
        })
    })
}

/// An amount field with the euro sign where the language puts it: after the number in French ("17,50 €"), before
/// it in English ("€17.50"). `field` adds the field; `size` is the sign's text size (the body's when `None`).
pub fn with_currency<R>(
    ui: &mut Ui,
    lang: Lang,
    size: Option<f32>,
    field: impl FnOnce(&mut Ui) -> R,
) -> R {
    let sign = |ui: &mut Ui| {
        let text = RichText::new("€");
        ui.label(match size {
            Some(s) => text.size(s),
            None => text,
        });
    };
    if lang == Lang::En {
        sign(ui);
    }
    let r = field(ui);
    if lang == Lang::Fr {
        sign(ui);
    }
    r
}

/// `name` in the user's Documents folder (else the home folder, else the temporary folder): where a file the shop
/// writes (an export, a backup) is proposed by default.
pub fn in_documents(name: &str) -> String {
    let dir = directories::UserDirs::new()
        .and_then(|u| {
            u.document_dir()
                .map(|d| d.to_path_buf())
                .or_else(|| Some(u.home_dir().to_path_buf()))
        })
        .unwrap_or_else(std::env::temp_dir);
    dir.join(name).display().to_string()
}
