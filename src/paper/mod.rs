//! The documents the till hands out, laid out and rendered: pure functions from their data (time passed in) to bytes.
//! `pdf` draws text, rules and QR codes on pages with the PDF standard fonts (Helvetica, WinAnsi encoding: every
//! French character and the euro sign, no font to ship); `z_report` lays out a closing's Z report; `receipt` a sale's
//! receipt or a refund's note (80 mm ticket or A4), which `escpos` turns into a thermal printer's bytes.

pub mod escpos;
pub mod pdf;
pub mod receipt;
pub mod z_report;

pub use receipt::{
    PdfLayout, Receipt, ReceiptKind, ReceiptLine, ReceiptRefund, ReceiptTender, RefundPart,
    receipt_lines, receipt_pdf, receipt_pdf_rows,
};
pub use z_report::{ZReport, z_report_lines, z_report_pdf};
