//! XLSX through rust_xlsxwriter in constant-memory mode: each worksheet is
//! streamed row by row to a temporary file, then zipped. Numbers are number
//! cells, dates real date cells with a date format, errors formula cells
//! with the error as cached result; the header row is bold and frozen.

use std::collections::HashSet;
use std::io::Write;

use fileconv_core::{Cell, Context, DateTime, Error, Result, Value};
use rust_xlsxwriter::{Format, Formula, Workbook, XlsxError};

use crate::options::HEADER;
use crate::read::rows::{MAX_COLUMNS, MAX_ROWS};
use crate::write::{rows, sheets};

/// Longest text an Excel cell holds; longer text is cut there.
const MAX_TEXT: usize = 32_767;

fn backend(e: XlsxError) -> Error {
    match e {
        XlsxError::IoError(io) => Error::Io(io),
        other => Error::backend("xlsx", other),
    }
}

/// Deflate level of the package's parts. zlib's default, 6, spent half of a
/// 200,000-row CSV's conversion in `longest_match` (1.74 s); level 3 takes
/// 0.95 s for a file 5% larger (13.7 MB against 13.0 MB; gnumeric's is 14.7 MB).
const ZIP_LEVEL: u8 = 3;

/// # Errors
/// [`Error::InvalidOption`] for a bad option; [`Error::LimitExceeded`] for a
/// row or column past Excel's 1,048,576 x 16,384; [`Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut table = value.into_table()?;
    let header = HEADER.boolean(ctx.options)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("hh:mm:ss");
    let date_time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let mut workbook = Workbook::new();
    workbook.set_zip_compression_level(ZIP_LEVEL);
    let mut used_names = HashSet::new();
    for (index, sheet_ctx) in sheets(&table, ctx, true)? {
        let name = sheet_name(&table.sheets[index].name, &mut used_names);
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(backend)?;
        sheet.set_name(name).map_err(backend)?;
        let mut header_row = None;
        rows(&mut table, index, &sheet_ctx, |row| {
            if row.index >= MAX_ROWS {
                return Err(Error::limit("xlsx rows", MAX_ROWS.into(), u64::from(row.index) + 1));
            }
            if row.cells.len() > MAX_COLUMNS as usize {
                return Err(Error::limit("xlsx columns", MAX_COLUMNS.into(), row.cells.len() as u64));
            }
            let is_header = header && *header_row.get_or_insert(row.index) == row.index;
            for (col, cell) in row.cells.iter().enumerate() {
                let (r, c) = (row.index, col as u16);
                let done = match cell {
                    Cell::Empty => continue,
                    Cell::Bool(b) if is_header => sheet.write_boolean_with_format(r, c, *b, &bold),
                    Cell::Bool(b) => sheet.write_boolean(r, c, *b),
                    Cell::Int(i) if is_header => sheet.write_number_with_format(r, c, *i as f64, &bold),
                    Cell::Int(i) => sheet.write_number(r, c, *i as f64),
                    Cell::Float(f) if !f.is_finite() => sheet.write_formula(r, c, Formula::new("#NUM!").set_result("#NUM!")),
                    Cell::Float(f) if is_header => sheet.write_number_with_format(r, c, *f, &bold),
                    Cell::Float(f) => sheet.write_number(r, c, *f),
                    Cell::String(s) => {
                        let s = truncate(s);
                        if is_header { sheet.write_string_with_format(r, c, s, &bold) } else { sheet.write_string(r, c, s) }
                    }
                    Cell::DateTime(d) => {
                        let format = match (d.date, d.time) {
                            (Some(_), None) => &date,
                            (None, _) => &time,
                            (Some(_), Some(_)) => &date_time,
                        };
                        sheet.write_number_with_format(r, c, DateTime::to_serial(*d), format)
                    }
                    Cell::Error(e) => sheet.write_formula(r, c, Formula::new(e.as_str()).set_result(e.as_str())),
                };
                done.map_err(backend)?;
            }
            Ok(())
        })?;
        if let Some(r) = header_row.filter(|_| header) {
            sheet.set_freeze_panes(r + 1, 0).map_err(backend)?;
        }
    }
    table.note_unread(true, ctx);
    let mut spool = ctx.output_spool();
    workbook.save_to_writer(&mut spool).map_err(|e| match e {
        XlsxError::IoError(_) if spool.exceeded() => Error::limit("output size (bytes)", spool.limit(), spool.limit()),
        other => backend(other),
    })?;
    spool.copy_to(out)?;
    Ok(())
}

fn truncate(s: &str) -> &str {
    if s.len() <= MAX_TEXT {
        return s;
    }
    let mut end = s.char_indices().nth(MAX_TEXT).map_or(s.len(), |(i, _)| i);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A name Excel accepts, unique in the workbook: at most 31 characters,
/// none of `[]:*?/\`, not blank, not starting or ending with `'`.
fn sheet_name(name: &str, used: &mut HashSet<String>) -> String {
    let clean: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let clean = clean.trim_matches('\'').trim();
    let base: String = if clean.is_empty() { "Sheet".to_string() } else { clean.chars().take(31).collect() };
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.to_lowercase()) || candidate.eq_ignore_ascii_case("history") {
        let suffix = format!(" ({n})");
        candidate = format!("{}{suffix}", base.chars().take(31 - suffix.len()).collect::<String>());
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_excel_accepts() {
        let mut used = HashSet::new();
        assert_eq!(sheet_name("Data", &mut used), "Data");
        assert_eq!(sheet_name("data", &mut used), "data (2)");
        assert_eq!(sheet_name("a/b:c", &mut used), "a_b_c");
        assert_eq!(sheet_name("'", &mut used), "Sheet");
        assert_eq!(sheet_name(&"x".repeat(40), &mut used).chars().count(), 31);
    }

    #[test]
    fn long_text_is_cut_at_a_character() {
        let s = "é".repeat(40_000);
        assert_eq!(truncate(&s).chars().count(), MAX_TEXT);
    }
}
