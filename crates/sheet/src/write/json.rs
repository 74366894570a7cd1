//! JSON: with a header row, an array of objects keyed by it; without, an
//! array of arrays. Several sheets make an object of sheet name to array.
//! Numbers and booleans stay JSON numbers and booleans, empty cells are
//! `null`, dates are strings (ISO 8601 or `dateFormat`).

use std::collections::HashSet;
use std::io::{BufWriter, Write};

use fileconv_core::{Cell, Context, Result, Row, Value};

use crate::text::{column_name, TextStyle};
use crate::write::{rows, text_target, TextTarget};

/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad option, [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let TextTarget { mut table, header, style, sheets: chosen } = text_target(value, ctx)?;
    let keyed = chosen.len() > 1;
    let mut out = BufWriter::with_capacity(64 << 10, out);
    if keyed {
        out.write_all(b"{")?;
    }
    for (k, (index, sheet_ctx)) in chosen.into_iter().enumerate() {
        if keyed {
            if k > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"\n")?;
            string(&mut out, &table.sheets[index].name)?;
            out.write_all(b": ")?;
        }
        out.write_all(b"[")?;
        let mut keys: Option<Vec<String>> = None;
        let mut next = 0u32;
        let mut first = true;
        let mut text = String::new();
        rows(&mut table, index, &sheet_ctx, |row| {
            if header && keys.is_none() {
                keys = Some(header_keys(row, &style));
                next = row.index + 1;
                return Ok(());
            }
            while next < row.index {
                record(&mut out, &Row { index: next, cells: Vec::new() }, keys.as_deref(), &style, &mut first, &mut text)?;
                next += 1;
            }
            record(&mut out, row, keys.as_deref(), &style, &mut first, &mut text)?;
            next = row.index + 1;
            Ok(())
        })?;
        out.write_all(if first { b"]" } else { b"\n]" })?;
        sheet_ctx.progress(1.0);
    }
    out.write_all(if keyed { b"\n}\n" } else { b"\n" })?;
    out.flush()?;
    table.note_unread(false, ctx);
    Ok(())
}

/// The header's texts as keys: empty ones named by their column letter,
/// repeated ones suffixed `_2`, `_3`...
fn header_keys(row: &Row, style: &TextStyle<'_>) -> Vec<String> {
    let mut seen = HashSet::new();
    row.cells
        .iter()
        .enumerate()
        .map(|(col, cell)| {
            let base = match style.text(cell) {
                t if t.is_empty() => column_name(col),
                t => t,
            };
            let mut key = base.clone();
            let mut n = 2;
            while !seen.insert(key.clone()) {
                key = format!("{base}_{n}");
                n += 1;
            }
            key
        })
        .collect()
}

fn record(out: &mut impl Write, row: &Row, keys: Option<&[String]>, style: &TextStyle<'_>, first: &mut bool, text: &mut String) -> Result<()> {
    out.write_all(if *first { b"\n  " } else { b",\n  " })?;
    *first = false;
    match keys {
        Some(keys) => {
            out.write_all(b"{")?;
            let width = keys.len().max(row.cells.len());
            for col in 0..width {
                if col > 0 {
                    out.write_all(b", ")?;
                }
                match keys.get(col) {
                    Some(key) => string(out, key)?,
                    None => string(out, &column_name(col))?,
                }
                out.write_all(b": ")?;
                cell(out, row.cells.get(col).unwrap_or(&Cell::Empty), style, text)?;
            }
            out.write_all(b"}")?;
        }
        None => {
            out.write_all(b"[")?;
            for (col, c) in row.cells.iter().enumerate() {
                if col > 0 {
                    out.write_all(b", ")?;
                }
                cell(out, c, style, text)?;
            }
            out.write_all(b"]")?;
        }
    }
    Ok(())
}

fn cell(out: &mut impl Write, cell: &Cell, style: &TextStyle<'_>, text: &mut String) -> Result<()> {
    text.clear();
    match cell {
        Cell::Empty => out.write_all(b"null")?,
        Cell::Bool(b) => out.write_all(if *b { b"true" } else { b"false" })?,
        Cell::Int(i) => write!(out, "{i}")?,
        Cell::Float(f) if f.is_finite() => write!(out, "{cell}")?,
        other => {
            style.write(other, text);
            string(out, text)?;
        }
    }
    Ok(())
}

fn string(out: &mut impl Write, s: &str) -> Result<()> {
    serde_json::to_writer(&mut *out, s).map_err(|e| fileconv_core::Error::Io(e.into()))
}
