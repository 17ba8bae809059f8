//! How the screens look: the till's text styles, and the theme and text size chosen in Réglages → Affichage.

use crate::app::settings::{TextSize, Theme};

/// Larger text than egui's default: a till is read at arm's length, often standing. Set for both themes.
pub fn till_style(ctx: &egui::Context) {
    ctx.all_styles_mut(|style| {
        use egui::{FontFamily, FontId, TextStyle};
        style.text_styles = [
            (
                TextStyle::Small,
                FontId::new(11.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(14.5, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(14.5, FontFamily::Proportional),
            ),
            (
                TextStyle::Heading,
                FontId::new(21.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(13.5, FontFamily::Monospace),
            ),
        ]
        .into();
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
    });
    // Light: fields white and every widget outlined, so a field stands out from the panel under a shop's lights.
    ctx.style_mut_of(egui::Theme::Light, |style| {
        style.visuals.text_edit_bg_color = Some(egui::Color32::WHITE);
        style.visuals.widgets.inactive.bg_stroke =
            egui::Stroke::new(1.0, egui::Color32::from_gray(175));
    });
    // A desktop that says nothing of its theme (a bare X server, an old one) gets the light one: a shop's counter is
    // usually lit.
    ctx.options_mut(|o| o.fallback_theme = egui::Theme::Light);
}

/// The egui preference for a theme.
pub fn preference(theme: Theme) -> egui::ThemePreference {
    match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    }
}

/// What is applied to the window, to apply it again only when it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    theme: Theme,
    text_size: TextSize,
}

/// Applies the theme and text size when they differ from what `applied` holds (once per change, not every frame:
/// a zoom change lays the whole screen out again).
pub fn apply(
    ctx: &egui::Context,
    applied: &mut Option<Applied>,
    theme: Theme,
    text_size: TextSize,
) {
    let wanted = Applied { theme, text_size };
    if *applied == Some(wanted) {
        return;
    }
    ctx.set_theme(preference(theme));
    ctx.set_zoom_factor(text_size.factor());
    *applied = Some(wanted);
}
