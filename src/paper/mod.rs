//! The documents the till hands out, laid out and rendered to PDF: pure functions from their data (time passed in)
//! to bytes. `pdf` draws text and rules on pages with the PDF standard fonts (Helvetica, WinAnsi encoding: every
//! French character and the euro sign, no font to ship); `z_report` lays out a closing's Z report.

pub mod pdf;
pub mod z_report;

pub use z_report::{ZReport, z_report_lines, z_report_pdf};
