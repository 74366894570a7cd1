//! CSV and TSV: one sheet; quotes only where needed; rows padded to the
//! sheet's width when the source knows it, and empty rows kept as empty
//! records.

use std::io::Write;

use fileconv_core::{Context, Error, Result, Value};

use crate::options::{delimiter, DELIMITER};
use crate::write::{rows, sheets, text_style};

/// Writes the selected sheet with `default_delimiter` unless `delimiter` is given.
///
/// # Errors
/// [`Error::InvalidOption`] for a bad option, [`Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>, default_delimiter: u8) -> Result<()> {
    let mut table = value.into_table()?;
    let delimiter = delimiter(&DELIMITER, ctx.options)?.unwrap_or(default_delimiter);
    let style = text_style(ctx)?;
    let mut writer = csv::WriterBuilder::new().delimiter(delimiter).flexible(true).from_writer(out);
    let csv_error = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::Internal(format!("csv writer: {other:?}")),
    };
    for (index, _) in sheets(&table, ctx, false)? {
        let mut width = table.sheets[index].columns.unwrap_or(0) as usize;
        let mut fields: Vec<String> = Vec::new();
        let mut next = 0u32;
        rows(&mut table, index, ctx, |row| {
            width = width.max(row.cells.len());
            while next < row.index {
                writer.write_record(std::iter::repeat_n("", width.max(1))).map_err(csv_error)?;
                next += 1;
            }
            fields.resize(width, String::new());
            for (k, field) in fields.iter_mut().enumerate() {
                field.clear();
                if let Some(cell) = row.cells.get(k) {
                    style.write(cell, field);
                }
            }
            writer.write_record(&fields).map_err(csv_error)?;
            next = row.index + 1;
            Ok(())
        })?;
    }
    writer.flush()?;
    table.note_unread(false, ctx);
    Ok(())
}
