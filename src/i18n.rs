//! The two languages of the app and the trait that turns a typed error or label into words for a person.

use serde::{Deserialize, Serialize};

/// The language staff read. French is the default: the shops are in France.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    /// Français.
    #[default]
    Fr,
    /// English.
    En,
}

impl Lang {
    /// Picks the French or the English text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// What follows a label before its value: " :" in French (a space before the colon), ":" in English.
    pub fn colon(self) -> &'static str {
        self.pick(" :", ":")
    }

    /// A label and its value with the language's punctuation: "Motif : retour", "Reason: returned".
    pub fn labelled(self, label: &str, value: impl std::fmt::Display) -> String {
        format!("{label}{} {value}", self.colon())
    }

    /// The decimal separator people type and read: a comma in French, a point in English.
    pub fn decimal_separator(self) -> char {
        match self {
            Lang::Fr => ',',
            Lang::En => '.',
        }
    }

    /// The code stored in settings (`fr` or `en`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// Reads a stored code; anything unknown falls back to French.
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Fr
        }
    }
}

/// Something that can explain itself to shop staff: which field is wrong and how to fix it.
pub trait Localize {
    /// The sentence shown in the app, in the given language.
    fn localize(&self, lang: Lang) -> String;
}

/// The sentence with its first letter in upper case: English messages are written lower-case after "error: "
/// in the command line, and start a sentence on screen.
pub fn capitalise(s: String) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn each_language_punctuates_its_own_way() {
        assert_eq!(Lang::Fr.labelled("Motif", "retour"), "Motif : retour");
        assert_eq!(Lang::En.labelled("Reason", "returned"), "Reason: returned");
        assert_eq!(Lang::En.decimal_separator(), '.');
    }
}
