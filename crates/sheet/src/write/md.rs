//! Markdown: one GFM pipe table per sheet, under a `##` heading naming it
//! when there are several. Pipes, backslashes and inline markup characters
//! are escaped and line breaks become `<br>`, so every cell reads back as the
//! text it held. Without a header row, the columns are headed A, B, C...

use std::io::{BufWriter, Write};

use fileconv_core::{Cell, Context, Result, Row, Value};

use crate::text::{column_name, TextStyle};
use crate::write::{rows, text_target, width, TextTarget};

/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad option, [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let TextTarget { mut table, header, style, sheets: chosen } = text_target(value, ctx)?;
    let headings = chosen.len() > 1;
    let mut out = BufWriter::with_capacity(64 << 10, out);
    for (k, (index, sheet_ctx)) in chosen.into_iter().enumerate() {
        let mut collected = Vec::new();
        rows(&mut table, index, &sheet_ctx, |row| {
            collected.push(row.clone());
            Ok(())
        })?;
        if k > 0 {
            out.write_all(b"\n")?;
        }
        if headings {
            writeln!(out, "## {}\n", escape(&table.sheets[index].name))?;
        }
        let width = width(&collected);
        let mut body = collected.as_slice();
        let mut next = 0u32;
        match body.split_first() {
            Some((first, rest)) if header => {
                write_row(&mut out, first, width, &style)?;
                next = first.index + 1;
                body = rest;
            }
            _ => {
                let letters = Row { index: 0, cells: (0..width).map(|c| Cell::String(column_name(c))).collect() };
                write_row(&mut out, &letters, width, &style)?;
            }
        }
        out.write_all(b"|")?;
        for _ in 0..width {
            out.write_all(b" --- |")?;
        }
        out.write_all(b"\n")?;
        for row in body {
            while next < row.index {
                write_row(&mut out, &Row { index: next, cells: Vec::new() }, width, &style)?;
                next += 1;
            }
            write_row(&mut out, row, width, &style)?;
            next = row.index + 1;
        }
        sheet_ctx.progress(1.0);
    }
    out.flush()?;
    table.note_unread(false, ctx);
    Ok(())
}

fn write_row(out: &mut impl Write, row: &Row, width: usize, style: &TextStyle<'_>) -> Result<()> {
    out.write_all(b"|")?;
    for col in 0..width {
        let text = row.cells.get(col).map(|c| style.text(c)).unwrap_or_default();
        write!(out, " {} |", escape(&text))?;
    }
    out.write_all(b"\n")?;
    Ok(())
}

/// Escapes what Markdown would read as markup inside a table cell.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("<br>"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_escaped() {
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(escape("*x* _y_"), "\\*x\\* \\_y\\_");
        assert_eq!(escape("line1\nline2"), "line1<br>line2");
        assert_eq!(escape("1.5"), "1.5");
    }
}
