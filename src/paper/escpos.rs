//! A receipt as ESC/POS bytes for a thermal printer (80 mm, 42 characters a line in font A), through the `escpos`
//! crate with an in-memory driver: nothing is sent here, the till sends the bytes.
//!
//! The code page is **PC858** (`ESC t 19`): Western European with the euro sign at `0xD5`; every French letter is in
//! it. A character outside it (a narrow no-break space, a dash) is printed as its nearest ASCII form, else `?`. The
//! text is encoded here, from the code page's published table: the crate's own PC858 table sends the ASCII hyphen as
//! `0xF0` (the soft hyphen) and misplaces a few letters (`Ô`, `¿`). The bytes are: `ESC @` (initialise), `ESC t 19`, the lines (titles centred and bold), the QR code (`GS ( k`: model 2,
//! module size, correction level M, the data, print), a few feeds and `GS V A 0` (feed and cut).

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::printer_options::PrinterOptions;
use escpos::utils::{
    JustifyMode, PageCode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption,
};

use super::receipt::{Receipt, ReceiptLine, Style, receipt_lines};
use crate::i18n::Lang;

/// Characters on a line of an 80 mm ticket in font A.
pub const COLUMNS: usize = 42;

/// The code page's number for `ESC t n` (PC858, Euro).
pub const CODE_PAGE_PC858: u8 = 19;

/// The euro sign in PC858.
pub const EURO_PC858: u8 = 0xD5;

/// Why the bytes could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EscPosError {
    /// The ESC/POS library refused a command (its words).
    #[error("the ESC/POS commands could not be made: {0}")]
    Commands(String),
}

impl From<escpos::errors::PrinterError> for EscPosError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        EscPosError::Commands(e.to_string())
    }
}

/// Collects what the printer would be sent.
#[derive(Debug, Clone, Default)]
struct Collect(Rc<RefCell<Vec<u8>>>);

impl Driver for Collect {
    fn name(&self) -> String {
        "memory".into()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// PC858's upper half, `0x80` to `0xFF` (code page 850 with the euro sign at `0xD5`).
const PC858_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈ€ÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";

/// A character's byte in PC858, if it has one.
fn pc858_byte(c: char) -> Option<u8> {
    match c {
        ' '..='~' => Some(c as u8),
        _ => PC858_HIGH
            .chars()
            .position(|h| h == c)
            .and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

/// Text in PC858's repertoire: spaces of every kind become a space, dashes and quotes their ASCII forms, the
/// ellipsis three dots; letters and signs PC858 lacks become `?`.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{a0}' | '\u{202f}' | '\u{2009}' => out.push(' '),
            '–' | '—' | '‑' => out.push('-'),
            '‘' | '’' => out.push('\''),
            '“' | '”' => out.push('"'),
            '…' => out.push_str("..."),
            'œ' => out.push_str("oe"),
            'Œ' => out.push_str("OE"),
            c if pc858_byte(c).is_some() && !c.is_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// Text as PC858 bytes (after [`printable`]).
pub fn pc858(text: &str) -> Vec<u8> {
    printable(text)
        .chars()
        .map(|c| pc858_byte(c).unwrap_or(b'?'))
        .collect()
}

/// A line of `COLUMNS` characters at most: the words, the figure on the right; words too long wrap onto the lines
/// before the figure's.
pub fn columns(line: &ReceiptLine) -> Vec<String> {
    let left = printable(&line.left);
    let right = line.right.as_deref().map(printable).unwrap_or_default();
    let room = COLUMNS.saturating_sub(right.chars().count() + usize::from(!right.is_empty()));
    let mut chunks: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in left.split(' ') {
        let fits =
            current.chars().count() + word.chars().count() + usize::from(!current.is_empty());
        if !current.is_empty() && fits > COLUMNS {
            chunks.push(std::mem::take(&mut current));
        }
        if !current.is_empty() || word.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    chunks.push(current);
    let last = chunks.pop().unwrap_or_default();
    let last = if right.is_empty() {
        last
    } else if last.chars().count() <= room {
        format!("{last:<room$} {right}")
    } else {
        chunks.push(last);
        format!("{right:>COLUMNS$}")
    };
    chunks.push(last);
    chunks
}

/// The receipt as the bytes an ESC/POS printer is sent (see the module's notes).
pub fn receipt_escpos(r: &Receipt) -> Result<Vec<u8>, EscPosError> {
    lines_escpos(&receipt_lines(r), r.qr.as_deref())
}

/// A test page: the printer's address, the time, every French letter and the euro sign, a ruler of the columns, a
/// QR code and a cut, so the shop sees at once that the code page, the width and the cutter are right.
pub fn test_page_escpos(printer: &str, at: &str, lang: Lang) -> Result<Vec<u8>, EscPosError> {
    let line = |style, left: &str, right: Option<&str>| ReceiptLine {
        left: left.into(),
        right: right.map(str::to_string),
        style,
    };
    let ruler: String = (1..=COLUMNS)
        .map(|i| char::from(b'0' + (i % 10) as u8))
        .collect();
    let lines = [
        line(Style::Title, lang.pick("PAGE DE TEST", "TEST PAGE"), None),
        line(Style::Center, "cadodesk", None),
        line(
            Style::Plain,
            &format!("{} {printer}", lang.pick("Imprimante :", "Printer:")),
            None,
        ),
        line(Style::Plain, at, None),
        line(Style::Rule, "", None),
        line(Style::Plain, "àâçéèêëîïôùûü ÀÇÉÈÊÔ °", None),
        line(Style::Bold, lang.pick("Total", "Total"), Some("1 234,50 €")),
        line(Style::Plain, &ruler, None),
        line(Style::Rule, "", None),
    ];
    lines_escpos(&lines, Some("cadodesk test"))
}

fn lines_escpos(lines: &[ReceiptLine], qr: Option<&str>) -> Result<Vec<u8>, EscPosError> {
    let sink = Collect::default();
    let options = PrinterOptions::new(Some(PageCode::PC858), None, COLUMNS as u8);
    let mut p = Printer::new(sink.clone(), Protocol::default(), Some(options));
    p.init()?;
    for line in lines {
        match line.style {
            Style::Rule => {
                p.custom(&pc858(&"-".repeat(COLUMNS)))?.feed()?;
            }
            Style::Title | Style::Center => {
                p.justify(JustifyMode::CENTER)?;
                p.bold(line.style == Style::Title)?;
                for text in columns(line) {
                    p.custom(&pc858(text.trim()))?.feed()?;
                }
                p.bold(false)?;
                p.justify(JustifyMode::LEFT)?;
            }
            Style::Bold | Style::Plain => {
                p.bold(line.style == Style::Bold)?;
                for text in columns(line) {
                    p.custom(&pc858(&text))?.feed()?;
                }
                p.bold(false)?;
            }
        }
    }
    if let Some(data) = qr {
        p.feed()?;
        p.justify(JustifyMode::CENTER)?;
        p.qrcode_option(
            data,
            QRCodeOption::new(QRCodeModel::Model2, 5, QRCodeCorrectionLevel::M),
        )?;
        p.justify(JustifyMode::LEFT)?;
    }
    p.feeds(3)?;
    p.print_cut()?;
    let bytes = sink.0.borrow().clone();
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pc858_table_covers_the_whole_upper_half() {
        assert_eq!(PC858_HIGH.chars().count(), 128);
        assert_eq!(pc858_byte('€'), Some(EURO_PC858));
        assert_eq!(pc858_byte('\u{a0}'), Some(0xff));
        assert_eq!(pc858_byte('ÿ'), Some(0x98));
    }

    #[test]
    fn a_test_page_shows_every_french_letter_and_cuts() {
        let bytes = test_page_escpos("tcp://10.0.0.9:9100", "29/11/2026 10:00", Lang::Fr)
            .unwrap_or_default();
        assert!(bytes.starts_with(b"\x1b@\x1bt\x13"));
        assert!(bytes.ends_with(b"\x1dVA\x00"));
        assert!(bytes.windows(4).any(|w| w == b"\x85\x83\x87\x82"), "àâçé");
        assert!(bytes.windows(2).any(|w| w == [b' ', EURO_PC858]));
        assert!(bytes.windows(10).any(|w| w == b"1234567890"));
    }
}
