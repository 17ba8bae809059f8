//! A page of text and rules, rendered to PDF with `pdf-writer`. Fonts are the standard Helvetica and Helvetica-Bold
//! in WinAnsi encoding, which every PDF reader has; a character outside it is drawn as `?`.

use chrono::{DateTime, Datelike, Timelike, Utc};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// How a line of text sits on its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Starts at x.
    Left,
    /// Ends at x.
    Right,
}

/// Something drawn on a page. Coordinates are PDF points (1/72 inch) from the bottom left.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A line of text.
    Text {
        /// Where.
        x: f32,
        /// The baseline.
        y: f32,
        /// Font size.
        size: f32,
        /// Helvetica-Bold rather than Helvetica.
        bold: bool,
        /// How it sits on x.
        align: Align,
        /// What.
        text: String,
    },
    /// A horizontal rule.
    Rule {
        /// From.
        x1: f32,
        /// To.
        x2: f32,
        /// Height.
        y: f32,
    },
}

/// One page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// Width in points.
    pub width: f32,
    /// Height in points.
    pub height: f32,
    /// What is drawn on it.
    pub marks: Vec<Mark>,
}

/// A4 portrait, in points.
pub const A4: (f32, f32) = (595.0, 842.0);

impl Page {
    /// An empty page of this size.
    pub fn new((width, height): (f32, f32)) -> Page {
        Page {
            width,
            height,
            marks: Vec::new(),
        }
    }

    /// Adds a line of text.
    pub fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, align: Align, text: &str) {
        self.marks.push(Mark::Text {
            x,
            y,
            size,
            bold,
            align,
            text: text.to_string(),
        });
    }

    /// Adds a rule.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        self.marks.push(Mark::Rule { x1, x2, y });
    }
}

/// A character in WinAnsi (Windows-1252), or `?`.
fn winansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        // Narrow and ordinary no-break spaces (French amounts) are the no-break space.
        '\u{a0}' | '\u{202f}' => 0xa0,
        '\u{a1}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‰' => 0x89,
        'Œ' => 0x8c,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        'œ' => 0x9c,
        'Ÿ' => 0x9f,
        _ => b'?',
    }
}

/// Text in WinAnsi bytes.
pub fn winansi(s: &str) -> Vec<u8> {
    s.chars().map(winansi_byte).collect()
}

/// Helvetica's advance widths (1/1000 em) for WinAnsi bytes 32..=126, from the font's metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// The width of `text` in points at `size` (Helvetica; bold is about 5 % wider, enough to right-align figures).
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = winansi(text)
        .iter()
        .map(|b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            0xa0 => 278,
            // Accented letters and the euro sign: about a figure's width.
            _ => 556,
        })
        .sum();
    let w = units as f32 * size / 1000.0;
    if bold { w * 1.05 } else { w }
}

fn pdf_date(at: DateTime<Utc>) -> Date {
    Date::new(u16::try_from(at.year()).unwrap_or(2000))
        .month(at.month() as u8)
        .day(at.day() as u8)
        .hour(at.hour() as u8)
        .minute(at.minute() as u8)
        .second(at.second() as u8)
        .utc_offset_hour(0)
}

/// The pages as one PDF, with its title and creation time.
pub fn render(pages: &[Page], title: &str, created: DateTime<Utc>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (page, id) in pages.iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut p = pdf.page(*id);
        p.media_box(Rect::new(0.0, 0.0, page.width, page.height));
        p.parent(tree);
        p.contents(content_id);
        let mut resources = p.resources();
        resources
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        resources.finish();
        p.finish();
        let mut content = Content::new();
        for mark in &page.marks {
            match mark {
                Mark::Text {
                    x,
                    y,
                    size,
                    bold,
                    align,
                    text,
                } => {
                    let x = match align {
                        Align::Left => *x,
                        Align::Right => x - text_width(text, *size, *bold),
                    };
                    content.begin_text();
                    content.set_font(Name(if *bold { b"F2" } else { b"F1" }), *size);
                    content.next_line(x, *y);
                    content.show(Str(&winansi(text)));
                    content.end_text();
                }
                Mark::Rule { x1, x2, y } => {
                    content.set_line_width(0.5);
                    content.move_to(*x1, *y);
                    content.line_to(*x2, *y);
                    content.stroke();
                }
            }
        }
        pdf.stream(content_id, &content.finish());
    }
    pdf.document_info(info)
        .title(TextStr(title))
        .producer(TextStr(concat!("cadodesk ", env!("CARGO_PKG_VERSION"))))
        .creation_date(pdf_date(created));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_text_and_the_euro_sign_are_winansi() {
        assert_eq!(winansi("é€ à"), vec![0xe9, 0x80, b' ', 0xe0]);
        assert_eq!(
            winansi("1\u{202f}234,50\u{a0}€"),
            b"1\xa0234,50\xa0\x80".to_vec()
        );
        assert_eq!(winansi("→"), b"?".to_vec());
    }

    #[test]
    fn figures_share_one_width_so_amounts_align_on_the_right() {
        assert_eq!(text_width("1", 10.0, false), text_width("9", 10.0, false));
        // Four figures (556/1000 em each) and a comma (278) at 10 points.
        assert!((text_width("10,00", 10.0, false) - 25.02).abs() < 0.01);
        assert!(text_width("10,00", 10.0, true) > text_width("10,00", 10.0, false));
    }

    #[test]
    fn a_page_renders_to_a_pdf_with_its_text() {
        let mut p = Page::new(A4);
        p.text(50.0, 800.0, 12.0, true, Align::Left, "Rapport Z");
        p.rule(50.0, 545.0, 790.0);
        let bytes = render(
            &[p],
            "Rapport Z",
            DateTime::from_timestamp(0, 0).unwrap_or_default(),
        );
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("(Rapport Z) Tj"), "{text}");
        assert!(text.contains("/WinAnsiEncoding"));
    }
}
