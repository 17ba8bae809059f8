//! The refund ledger export for the accountant. Row building is a pure function of one ledger row; the writer
//! streams rows from SQLite to the file one at a time, so memory stays flat whatever the number of rows.
//!
//! Two profiles:
//! - `excel-fr` (default): UTF-8 with BOM, `;` separator, decimal comma, CRLF line ends, French headers,
//!   local time (Europe/Paris) as `JJ/MM/AAAA HH:MM:SS` plus a UTC ISO 8601 column. Opens right in French Excel.
//! - `rfc4180`: no BOM, `,` separator, decimal point, CRLF, English headers, local time as ISO 8601 with offset.
//!
//! Every refund asked in the period is a row, whatever its status (`statut`): declined and unsettled rows stay
//! visible. Only refunds that left money count in sums: `refunded` and `pending` (accepted by the platform, paid
//! back shortly). A declined refund, or one whose outcome is still unknown, counts for nothing in the
//! `deja_rembourse` / `refunded_before` and `reste_remboursable` / `still_refundable` columns, nor in
//! [`ExportSummary::total`]; [`ExportSummary::total_not_paid`] sums those rows apart. An accountant summing the
//! `montant` column must filter on `statut` the same way.
//!
//! Amounts are always positive numbers written by our own formatter (the `sens` column says "Remboursement"), so no
//! amount cell can start with `-`. Free-text cells that start with `=`, `+`, `-`, `@`, tab or CR get a leading `'`
//! so that spreadsheets do not run them as formulas.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;
use serde::Serialize;
use thiserror::Error;

use super::export_rows::ExportReadError;
use super::{Ledger, LedgerError, RefundExportRow};
use crate::domain::{Amount, RefundState};
use crate::i18n::{Lang, Localize};

/// The file layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum CsvFormat {
    /// UTF-8 BOM, `;`, decimal comma, CRLF, French headers.
    #[default]
    ExcelFr,
    /// RFC 4180: `,`, decimal point, CRLF, no BOM, English headers.
    Rfc4180,
}

impl CsvFormat {
    /// Reads `excel-fr` or `rfc4180`.
    pub fn parse(s: &str) -> Option<CsvFormat> {
        match s.trim().to_ascii_lowercase().as_str() {
            "excel-fr" | "excel" | "fr" => Some(CsvFormat::ExcelFr),
            "rfc4180" | "csv" => Some(CsvFormat::Rfc4180),
            _ => None,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            CsvFormat::ExcelFr => "excel-fr",
            CsvFormat::Rfc4180 => "rfc4180",
        }
    }

    pub(super) fn delimiter(self) -> u8 {
        match self {
            CsvFormat::ExcelFr => b';',
            CsvFormat::Rfc4180 => b',',
        }
    }

    pub(super) fn decimal(self) -> char {
        match self {
            CsvFormat::ExcelFr => ',',
            CsvFormat::Rfc4180 => '.',
        }
    }
}

/// The header line. One level per column, named so: the refund (its number, times, amount, status…), then the sale
/// (`vente_`), then the card it was paid back to (`carte_`: its kind, rank among the sale's gift cards, number, what
/// it paid, what was refunded on it before this refund and what is left after it).
pub fn header(format: CsvFormat) -> [&'static str; COLUMNS] {
    match format {
        CsvFormat::ExcelFr => [
            "n_piece",
            "date_heure_locale",
            "date_utc",
            "refund_id",
            "montant_rembourse",
            "devise",
            "sens",
            "statut",
            "motif",
            "operateur",
            "origine",
            "date_statut_final_utc",
            "reference_commande",
            "vente_montant",
            "payment_id",
            "carte_type",
            "carte_rang",
            "carte_numero",
            "carte_montant_paye",
            "carte_deja_rembourse",
            "carte_reste_remboursable",
        ],
        CsvFormat::Rfc4180 => [
            "refund_number",
            "local_time",
            "utc_time",
            "refund_id",
            "refund_amount",
            "currency",
            "direction",
            "status",
            "reason",
            "operator",
            "origin",
            "final_status_utc",
            "order_reference",
            "sale_amount",
            "payment_id",
            "card_type",
            "card_rank",
            "card_number",
            "card_paid",
            "card_refunded_before",
            "card_still_refundable",
        ],
    }
}

/// Number of columns.
pub const COLUMNS: usize = 21;

/// Index of the refunded amount's column (for readers).
pub const AMOUNT_COLUMN: usize = 4;

/// Makes a free-text cell safe for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` in front.
pub fn neutralise(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// A card's kind in words: "Bimpli CADO", "Visa", "Mastercard", or the product's number.
pub fn card_type(product_id: i32, lang: Lang) -> String {
    match product_id {
        3103 => "Bimpli CADO".to_string(),
        1 => "Visa".to_string(),
        3 => "Mastercard".to_string(),
        other => format!("{} {other}", lang.pick("Moyen", "Product")),
    }
}

/// How a tender is named in one cell: "CADO 2 629900******0002", "Visa 401200******0026".
pub fn tender_label(
    product_id: i32,
    gift_card_rank: i64,
    masked: Option<&str>,
    lang: Lang,
) -> String {
    let kind = match product_id {
        3103 => format!("CADO {gift_card_rank}"),
        other => card_type(other, lang),
    };
    match masked {
        Some(m) if !m.is_empty() => format!("{kind} {m}"),
        _ => kind,
    }
}

pub(super) fn utc_iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// One export line: a pure function of the ledger row and the profile.
pub fn row_cells(row: &RefundExportRow, format: CsvFormat) -> [String; COLUMNS] {
    let lang = match format {
        CsvFormat::ExcelFr => Lang::Fr,
        CsvFormat::Rfc4180 => Lang::En,
    };
    let d = format.decimal();
    let r = &row.refund;
    let local = r.created_at.with_timezone(&Paris);
    let local_s = match format {
        CsvFormat::ExcelFr => local.format("%d/%m/%Y %H:%M:%S").to_string(),
        CsvFormat::Rfc4180 => local.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
    };
    let counts = r.state.left_money();
    let after = row
        .refunded_before
        .checked_add(if counts { r.amount } else { Amount::ZERO })
        .unwrap_or(row.refunded_before);
    let still = row.tender_captured.saturating_sub(after);
    [
        r.number.to_string(),
        local_s,
        utc_iso(r.created_at),
        neutralise(r.refund_id.as_deref().unwrap_or("")),
        r.amount.plain(d),
        "EUR".to_string(),
        lang.pick("Remboursement", "Refund").to_string(),
        r.state.label(lang).to_string(),
        neutralise(&r.reason),
        neutralise(&r.operator),
        if r.external {
            lang.pick("portail", "portal").to_string()
        } else {
            "cadodesk".to_string()
        },
        r.final_at.map(utc_iso).unwrap_or_default(),
        neutralise(&row.merchant_reference),
        row.sale_amount.plain(d),
        neutralise(&r.payment_id),
        card_type(row.product_id, lang),
        if row.product_id == crate::domain::PRODUCT_CADO {
            row.gift_card_rank.to_string()
        } else {
            String::new()
        },
        neutralise(row.masked_number.as_deref().unwrap_or("")),
        row.tender_captured.plain(d),
        row.refunded_before.plain(d),
        still.plain(d),
    ]
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    /// Data rows (the header not counted).
    pub rows: u64,
    /// Sum over rows that left money (refunded or pending); declined and unsettled rows are not counted.
    pub total: Amount,
    /// Sum over rows whose status is refunded.
    pub total_refunded: Amount,
    /// Sum over rows that did not (or not yet) leave money: declined, requested or unknown.
    pub total_not_paid: Amount,
    /// The file written, when written to a file.
    pub path: Option<PathBuf>,
    /// The profile.
    pub format: CsvFormat,
}

/// Why an export failed.
#[derive(Debug, Error)]
pub enum ExportError {
    /// Reading the ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The target may not receive an export (the ledger, a device, a link…).
    #[error("will not write the export to {path}: {why}: choose another file")]
    Refused {
        /// The file asked for.
        path: String,
        /// Why not.
        why: String,
    },
    /// Writing the file failed.
    #[error("cannot write {path}: {detail}: choose another folder or free some space")]
    Write {
        /// The file.
        path: String,
        /// The system's reason.
        detail: String,
    },
}

impl Localize for ExportError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (ExportError::Ledger(e), _) => e.localize(lang),
            (ExportError::Refused { path, why }, Lang::Fr) => format!(
                "L'export ne sera pas écrit dans {path} ({why}) : choisissez un autre fichier"
            ),
            (ExportError::Refused { path, why }, Lang::En) => {
                format!("Will not write the export to {path} ({why}): choose another file")
            }
            (ExportError::Write { path, detail }, Lang::Fr) => format!(
                "Impossible d'écrire {path} ({detail}) : choisissez un autre dossier ou libérez de la place"
            ),
            (ExportError::Write { path, detail }, Lang::En) => {
                format!("Cannot write {path}: {detail}: choose another folder or free some space")
            }
        }
    }
}

/// A CSV writer for export rows: the BOM and header on creation, one line per [`CsvSink::write_row`]. Holds one
/// row at a time.
pub struct CsvSink<W: Write> {
    w: csv::Writer<W>,
    format: CsvFormat,
    /// Each line starts with its till and shop (an export of several tills, read at the centre).
    till_columns: bool,
    rows: u64,
    total: Amount,
    total_refunded: Amount,
    total_not_paid: Amount,
}

impl<W: Write> std::fmt::Debug for CsvSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsvSink")
            .field("format", &self.format)
            .field("rows", &self.rows)
            .finish()
    }
}

impl<W: Write> CsvSink<W> {
    /// Writes the BOM (French profile) and the header.
    pub fn new(format: CsvFormat, out: W) -> Result<CsvSink<W>, csv::Error> {
        CsvSink::make(format, out, false)
    }

    /// Like [`CsvSink::new`], for several tills: each line starts with its till and its shop (`caisse`,
    /// `magasin`; `till`, `shop`), then the columns of one till's export. Lines go through
    /// [`CsvSink::write_row_of`].
    pub fn with_till_columns(format: CsvFormat, out: W) -> Result<CsvSink<W>, csv::Error> {
        CsvSink::make(format, out, true)
    }

    fn make(format: CsvFormat, mut out: W, till_columns: bool) -> Result<CsvSink<W>, csv::Error> {
        if format == CsvFormat::ExcelFr {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let mut w = csv::WriterBuilder::new()
            .delimiter(format.delimiter())
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(out);
        let first: &[&str] = match (till_columns, format) {
            (false, _) => &[],
            (true, CsvFormat::ExcelFr) => &["caisse", "magasin"],
            (true, CsvFormat::Rfc4180) => &["till", "shop"],
        };
        w.write_record(first.iter().chain(header(format).iter()))?;
        Ok(CsvSink {
            w,
            format,
            till_columns,
            rows: 0,
            total: Amount::ZERO,
            total_refunded: Amount::ZERO,
            total_not_paid: Amount::ZERO,
        })
    }

    /// Writes one line.
    pub fn write_row(&mut self, row: &RefundExportRow) -> Result<(), csv::Error> {
        debug_assert!(
            !self.till_columns,
            "a sink with till columns takes write_row_of"
        );
        self.w.write_record(row_cells(row, self.format))?;
        self.count(row);
        Ok(())
    }

    /// Writes one line of till `till` (of shop `shop`), for a sink made by [`CsvSink::with_till_columns`].
    pub fn write_row_of(
        &mut self,
        till: &str,
        shop: Option<&str>,
        row: &RefundExportRow,
    ) -> Result<(), csv::Error> {
        let first = [neutralise(till), neutralise(shop.unwrap_or(""))];
        self.w
            .write_record(first.iter().chain(row_cells(row, self.format).iter()))?;
        self.count(row);
        Ok(())
    }

    fn count(&mut self, row: &RefundExportRow) {
        self.rows += 1;
        if row.refund.state.left_money() {
            self.total = self.total.saturating_add(row.refund.amount);
        } else {
            self.total_not_paid = self.total_not_paid.saturating_add(row.refund.amount);
        }
        if row.refund.state == RefundState::Refunded {
            self.total_refunded = self.total_refunded.saturating_add(row.refund.amount);
        }
    }

    /// Flushes and returns the summary.
    pub fn finish(mut self) -> Result<ExportSummary, csv::Error> {
        self.w.flush()?;
        Ok(ExportSummary {
            rows: self.rows,
            total: self.total,
            total_refunded: self.total_refunded,
            total_not_paid: self.total_not_paid,
            path: None,
            format: self.format,
        })
    }
}

/// Streams the refunds asked in `[from, to)` to `out` in the given profile.
pub fn write_refunds<W: Write>(
    ledger: &Ledger,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    format: CsvFormat,
    out: W,
) -> Result<ExportSummary, ExportError> {
    let io = |e: &dyn std::fmt::Display| ExportError::Write {
        path: "(output)".to_string(),
        detail: e.to_string(),
    };
    let mut sink = CsvSink::new(format, out).map_err(|e| io(&e))?;
    ledger
        .for_each_refund_export_row(from, to, |row| sink.write_row(row))
        .map_err(|e| match e {
            ExportReadError::Ledger(l) => ExportError::Ledger(l),
            ExportReadError::Sink(s) => io(&s),
        })?;
    sink.finish().map_err(|e| io(&e))
}

/// Why `path` may not receive an export, if it may not: it names one of the till's own files (the ledger, its WAL
/// and shared-memory files, the sandbox's state), under that name or another (a hard link), or it exists and is not
/// a regular file (a device, a folder, a symbolic link: a rename would replace the link itself, and writing through
/// it would write elsewhere).
fn refusal(own: &[PathBuf], path: &Path) -> Option<String> {
    let Some(target) = where_it_lands(path) else {
        return Some("it names no file".into());
    };
    if own
        .iter()
        .any(|f| where_it_lands(f).as_ref() == Some(&target))
    {
        return Some(
            "it is one of the till's own files (the ledger or the sandbox's state)".into(),
        );
    }
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            Some("it exists and is not a regular file (a link, a device or a folder)".into())
        }
        Ok(m) if own.iter().any(|f| same_file(&m, f)) => {
            Some("it is one of the till's own files under another name".into())
        }
        _ => None,
    }
}

/// The file a path names: its folder, resolved, and its name. `None` without a name.
fn where_it_lands(path: &Path) -> Option<PathBuf> {
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = parent
        .canonicalize()
        .unwrap_or_else(|_| parent.to_path_buf());
    Some(dir.join(name))
}

#[cfg(unix)]
fn same_file(target: &std::fs::Metadata, other: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(other).is_ok_and(|o| o.dev() == target.dev() && o.ino() == target.ino())
}

#[cfg(not(unix))]
fn same_file(_target: &std::fs::Metadata, _other: &Path) -> bool {
    false
}

/// An export being written: rows go to a new temporary file beside the target (created exclusively, under an
/// unpredictable name, so no link can be planted there); [`ExportFile::commit`] flushes it to disk, checks the
/// target again and renames it into place, then flushes the folder. Dropped without a commit, it removes its
/// temporary file: an interrupted export never leaves a half file under the final name. A target that names one of
/// `own` (the till's files: the ledger, its WAL, the sandbox's state), under that name or another, or that is not a
/// regular file, is refused before anything is written.
#[derive(Debug)]
pub struct ExportFile {
    path: PathBuf,
    tmp: PathBuf,
    dir: PathBuf,
    own: Vec<PathBuf>,
    out: Option<std::io::BufWriter<std::fs::File>>,
}

impl ExportFile {
    /// Opens the temporary file for `path`, or says why `path` may not receive an export.
    pub fn create(path: &Path, own: Vec<PathBuf>) -> Result<ExportFile, ExportError> {
        if let Some(why) = refusal(&own, path) {
            return Err(ExportError::Refused {
                path: path.display().to_string(),
                why,
            });
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.partial", uuid::Uuid::new_v4().simple()));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| write_error(path, &e))?;
        Ok(ExportFile {
            path: path.to_path_buf(),
            tmp,
            dir,
            own,
            out: Some(std::io::BufWriter::new(file)),
        })
    }

    /// Where the rows go.
    pub fn writer(&mut self) -> &mut std::io::BufWriter<std::fs::File> {
        #[allow(clippy::expect_used)]
        // reason: `out` is only taken by `commit`, which consumes the value
        self.out.as_mut().expect("an export file not committed yet")
    }

    /// Flushes the rows to disk and puts the file in place (checking the target again: it may have changed while
    /// the rows were written).
    pub fn commit(mut self) -> Result<PathBuf, ExportError> {
        let werr = |e: std::io::Error| write_error(&self.path, &e);
        let out = self
            .out
            .take()
            .ok_or_else(|| write_error(&self.path, &std::io::Error::other("already committed")))?;
        let file = out.into_inner().map_err(|e| werr(e.into_error()))?;
        file.sync_all().map_err(werr)?;
        drop(file);
        if let Some(why) = refusal(&self.own, &self.path) {
            return Err(ExportError::Refused {
                path: self.path.display().to_string(),
                why,
            });
        }
        std::fs::rename(&self.tmp, &self.path).map_err(werr)?;
        std::fs::File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(werr)?;
        Ok(self.path.clone())
    }
}

impl Drop for ExportFile {
    fn drop(&mut self) {
        // Gone already after a commit's rename; otherwise the half file goes.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

fn write_error(path: &Path, e: &dyn std::fmt::Display) -> ExportError {
    ExportError::Write {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

/// Writes the export to `path` without ever touching what is not an export (see [`ExportFile`]).
pub fn write_refunds_to_path(
    ledger: &Ledger,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    format: CsvFormat,
    path: &Path,
) -> Result<ExportSummary, ExportError> {
    let mut file = ExportFile::create(path, ledger.own_files())?;
    let summary = write_refunds(ledger, from, to, format, file.writer()).map_err(|e| match e {
        ExportError::Write { detail, .. } => ExportError::Write {
            path: path.display().to_string(),
            detail,
        },
        other => other,
    })?;
    let written = file.commit()?;
    Ok(ExportSummary {
        path: Some(written),
        ..summary
    })
}
