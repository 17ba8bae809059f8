//! The counter's on-screen keypad: what a key does to the amount typed (pure), and the keys themselves, large enough
//! for a finger.

use egui::{RichText, Ui};

use crate::i18n::Lang;

/// A key of the keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// 0 to 9.
    Digit(u8),
    /// The decimal separator (a comma in French, a point in English).
    Decimal,
    /// Takes the last character back.
    Back,
    /// Empties the amount.
    Clear,
}

/// Digits before the decimal separator the keypad accepts: a million euros is not a sale.
const MAX_WHOLE_DIGITS: usize = 6;

/// The amount as typed after `key`. The keypad works on the bare number: spaces, the euro sign and `EUR` typed by
/// hand are dropped first ("1 234,50 €" becomes "1234,50"). A key that would make no amount (a third decimal, a
/// second separator, a seventh whole digit) changes nothing more; a leading zero is replaced by the digit after it.
pub fn press(typed: &str, key: Key, lang: Lang) -> String {
    let separator = match lang {
        Lang::Fr => ',',
        Lang::En => '.',
    };
    let mut out: String = typed
        .replace("EUR", "")
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '€' | '\u{202f}'))
        // In English a comma groups thousands ("1,234.50"); in French either mark is the decimal one.
        .filter(|c| !(lang == Lang::En && *c == ','))
        .collect();
    match key {
        Key::Clear => out.clear(),
        Key::Back => {
            out.pop();
        }
        Key::Decimal => {
            if !out.contains([',', '.']) {
                if !out.chars().any(|c| c.is_ascii_digit()) {
                    out = "0".to_string();
                }
                out.push(separator);
            }
        }
        Key::Digit(d) => {
            let digit = char::from(b'0' + d.min(9));
            match out.split_once([',', '.']) {
                Some((_, decimals)) => {
                    if decimals.chars().filter(char::is_ascii_digit).count() < 2 {
                        out.push(digit);
                    }
                }
                None => {
                    let whole = out.chars().filter(char::is_ascii_digit).count();
                    if out.trim() == "0" {
                        out = digit.to_string();
                    } else if whole < MAX_WHOLE_DIGITS {
                        out.push(digit);
                    }
                }
            }
        }
    }
    out
}

/// The side of a key, in points: well over the 44 points a finger needs.
pub const KEY_WIDTH: f32 = 104.0;
/// The height of a key when the screen has room; never less than [`MIN_KEY_HEIGHT`].
pub const KEY_HEIGHT: f32 = 62.0;
/// The least height of a key: a finger's target.
pub const MIN_KEY_HEIGHT: f32 = 44.0;

/// Draws the keypad (7 8 9 / 4 5 6 / 1 2 3 / separator 0 back), keys `key_height` high (clamped to
/// [`MIN_KEY_HEIGHT`]..=[`KEY_HEIGHT`]), and applies a key pressed to `typed`. True when the amount changed.
pub fn keypad_ui(ui: &mut Ui, typed: &mut String, lang: Lang, key_height: f32) -> bool {
    let key_height = key_height.clamp(MIN_KEY_HEIGHT, KEY_HEIGHT);
    let separator = match lang {
        Lang::Fr => ",",
        Lang::En => ".",
    };
    let rows: [[(Key, &str); 3]; 4] = [
        [
            (Key::Digit(7), "7"),
            (Key::Digit(8), "8"),
            (Key::Digit(9), "9"),
        ],
        [
            (Key::Digit(4), "4"),
            (Key::Digit(5), "5"),
            (Key::Digit(6), "6"),
        ],
        [
            (Key::Digit(1), "1"),
            (Key::Digit(2), "2"),
            (Key::Digit(3), "3"),
        ],
        // "Corr." as on a card terminal: the yellow key that takes the last digit back.
        [
            (Key::Decimal, separator),
            (Key::Digit(0), "0"),
            (Key::Back, lang.pick("Corr.", "Del")),
        ],
    ];
    let mut pressed = None;
    egui::Grid::new("keypad")
        .spacing([8.0, 8.0])
        .show(ui, |ui| {
            for row in rows {
                for (key, label) in row {
                    let button = egui::Button::new(RichText::new(label).size(28.0))
                        .min_size(egui::vec2(KEY_WIDTH, key_height));
                    let response = ui.add(button);
                    let response = if key == Key::Back {
                        response.on_hover_text(lang.pick(
                            "Effacer le dernier chiffre (appui long ou clic droit : tout effacer)",
                            "Delete the last digit (long press or right click: clear all)",
                        ))
                    } else {
                        response
                    };
                    if response.clicked() {
                        pressed = Some(key);
                    } else if key == Key::Back
                        && (response.long_touched() || response.secondary_clicked())
                    {
                        pressed = Some(Key::Clear);
                    }
                }
                ui.end_row();
            }
        });
    match pressed {
        Some(key) => {
            let next = press(typed, key, lang);
            let changed = next != *typed;
            *typed = next;
            changed
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(lang: Lang, keys: &[Key]) -> String {
        keys.iter().fold(String::new(), |t, k| press(&t, *k, lang))
    }

    #[test]
    fn an_amount_is_keyed_in_as_it_is_read() {
        use Key::*;
        assert_eq!(
            keys(Lang::Fr, &[Digit(1), Digit(7), Decimal, Digit(5), Digit(0)]),
            "17,50"
        );
        assert_eq!(
            keys(Lang::En, &[Digit(1), Digit(7), Decimal, Digit(5)]),
            "17.5"
        );
        assert_eq!(keys(Lang::Fr, &[Decimal, Digit(5)]), "0,5");
        assert_eq!(keys(Lang::Fr, &[Digit(0), Digit(8)]), "8");
        assert_eq!(keys(Lang::Fr, &[Digit(0), Decimal, Digit(8)]), "0,8");
    }

    #[test]
    fn a_key_that_would_make_no_amount_changes_nothing() {
        use Key::*;
        assert_eq!(press("17,50", Digit(1), Lang::Fr), "17,50");
        assert_eq!(press("17,5", Decimal, Lang::Fr), "17,5");
        assert_eq!(press("17.5", Decimal, Lang::Fr), "17.5");
        assert_eq!(press("123456", Digit(7), Lang::Fr), "123456");
    }

    #[test]
    fn an_amount_typed_by_hand_goes_on_as_a_bare_number() {
        use Key::*;
        assert_eq!(press("17 €", Digit(5), Lang::Fr), "175");
        assert_eq!(press("17,5 €", Digit(0), Lang::Fr), "17,50");
        assert_eq!(press("17 €", Decimal, Lang::Fr), "17,");
        assert_eq!(press("€1,234.5", Digit(0), Lang::En), "1234.50");
        assert_eq!(press("12 EUR", Digit(3), Lang::Fr), "123");
    }

    #[test]
    fn back_and_clear_take_characters_away() {
        assert_eq!(press("17,50", Key::Back, Lang::Fr), "17,5");
        assert_eq!(press("17,50 €", Key::Back, Lang::Fr), "17,5");
        assert_eq!(press("1 234", Key::Back, Lang::Fr), "123");
        assert_eq!(press("", Key::Back, Lang::Fr), "");
        assert_eq!(press("17,50", Key::Clear, Lang::Fr), "");
    }
}
