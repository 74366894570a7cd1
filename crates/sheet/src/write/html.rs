//! HTML: a standalone page with one table per sheet (a caption names it when
//! there are several), every cell escaped, line breaks kept as `<br>`,
//! numbers right-aligned.

use std::io::{BufWriter, Write};

use fileconv_core::{escape_markup, Cell, Context, Result, Row, Value};

use crate::text::TextStyle;
use crate::write::{rows, text_target, width, TextTarget};

const STYLE: &str = "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.2em .5em;vertical-align:top}th{background:#f3f3f3;text-align:left}td.n{text-align:right}caption{font-weight:bold;text-align:left;padding:.3em 0}";

/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad option, [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let TextTarget { mut table, header, style, sheets: chosen } = text_target(value, ctx)?;
    let captions = chosen.len() > 1;
    let mut out = BufWriter::with_capacity(64 << 10, out);
    let title = chosen.first().map(|(i, _)| table.sheets[*i].name.clone()).unwrap_or_default();
    write!(out, "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n", escape_markup(&title))?;
    for (index, sheet_ctx) in chosen {
        let mut collected = Vec::new();
        rows(&mut table, index, &sheet_ctx, |row| {
            collected.push(row.clone());
            Ok(())
        })?;
        let width = width(&collected);
        out.write_all(b"<table>\n")?;
        if captions {
            writeln!(out, "<caption>{}</caption>", escape_markup(&table.sheets[index].name))?;
        }
        let mut body = collected.as_slice();
        let mut next = 0u32;
        if header {
            if let Some((first, rest)) = body.split_first() {
                out.write_all(b"<thead>\n")?;
                write_row(&mut out, first, width, "th", &style)?;
                out.write_all(b"</thead>\n")?;
                next = first.index + 1;
                body = rest;
            }
        }
        out.write_all(b"<tbody>\n")?;
        for row in body {
            while next < row.index {
                write_row(&mut out, &Row { index: next, cells: Vec::new() }, width, "td", &style)?;
                next += 1;
            }
            write_row(&mut out, row, width, "td", &style)?;
            next = row.index + 1;
        }
        out.write_all(b"</tbody>\n</table>\n")?;
        sheet_ctx.progress(1.0);
    }
    out.write_all(b"</body>\n</html>\n")?;
    out.flush()?;
    table.note_unread(false, ctx);
    Ok(())
}

fn write_row(out: &mut impl Write, row: &Row, width: usize, tag: &str, style: &TextStyle<'_>) -> Result<()> {
    out.write_all(b"<tr>")?;
    for col in 0..width {
        let cell = row.cells.get(col).unwrap_or(&Cell::Empty);
        let class = if tag == "td" && matches!(cell, Cell::Int(_) | Cell::Float(_)) { " class=\"n\"" } else { "" };
        write!(out, "<{tag}{class}>{}</{tag}>", escape_markup(&style.text(cell)).replace('\n', "<br>"))?;
    }
    out.write_all(b"</tr>\n")?;
    Ok(())
}
