//! A page of text, rules and filled squares (a QR code's modules), rendered to PDF with `pdf-writer`. Fonts are the
//! standard Helvetica and Helvetica-Bold in WinAnsi encoding, which every PDF reader has; a character outside it is
//! drawn as `?`. Pages may be of any size: A4 for reports, 80 mm wide and as long as needed for tickets.

use chrono::{DateTime, Datelike, Timelike, Utc};
use pdf_writer::{Content, Date, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// How a line of text sits on its x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Starts at x.
    Left,
    /// Ends at x.
    Right,
    /// Centred on x.
    Center,
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
    /// A filled rectangle (a run of a QR code's dark modules).
    Fill {
        /// Left.
        x: f32,
        /// Bottom.
        y: f32,
        /// Width.
        w: f32,
        /// Height.
        h: f32,
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

/// Points in a millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// A QR code's modules as booleans (dark), row by row, and its width in modules; `None` when `data` is too long.
pub fn qr_modules(data: &str) -> Option<(usize, Vec<bool>)> {
    let code = qrcode::QrCode::new(data.as_bytes()).ok()?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((width, dark))
}

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

    /// Draws `data` as a QR code `side` points wide with its bottom left corner at (x, y): each row's runs of dark
    /// modules as filled rectangles. `false` (nothing drawn) when the data is too long for a QR code.
    pub fn qr(&mut self, x: f32, y: f32, side: f32, data: &str) -> bool {
        let Some((width, dark)) = qr_modules(data) else {
            return false;
        };
        let m = side / width as f32;
        for (row, cells) in dark.chunks(width).enumerate() {
            let top = y + side - (row as f32 + 1.0) * m;
            let mut col = 0;
            while col < width {
                if !cells[col] {
                    col += 1;
                    continue;
                }
                let start = col;
                while col < width && cells[col] {
                    col += 1;
                }
                self.marks.push(Mark::Fill {
                    x: x + start as f32 * m,
                    y: top,
                    w: (col - start) as f32 * m,
                    h: m,
                });
            }
        }
        true
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
                        Align::Center => x - text_width(text, *size, *bold) / 2.0,
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
                Mark::Fill { x, y, w, h } => {
                    content.rect(*x, *y, *w, *h);
                    content.fill_nonzero();
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

    #[test]
    fn a_qr_code_is_drawn_as_filled_runs_inside_its_square() {
        let mut p = Page::new((80.0 * MM, 200.0));
        assert!(p.qr(10.0, 20.0, 100.0, "T01-V000001"));
        let fills: Vec<&Mark> = p
            .marks
            .iter()
            .filter(|m| matches!(m, Mark::Fill { .. }))
            .collect();
        assert!(fills.len() > 20, "{}", fills.len());
        for m in fills {
            let Mark::Fill { x, y, w, h } = m else {
                continue;
            };
            assert!(*x >= 10.0 && *y >= 20.0 - 0.01, "{m:?}");
            assert!(x + w <= 110.01 && y + h <= 120.01, "{m:?}");
        }
        let bytes = render(
            &[p],
            "QR",
            DateTime::from_timestamp(0, 0).unwrap_or_default(),
        );
        assert!(String::from_utf8_lossy(&bytes).contains(" re\nf"));
        // Too long for any QR code: nothing drawn, and said.
        assert!(!Page::new(A4).qr(0.0, 0.0, 10.0, &"x".repeat(8000)));
    }
}
