//! Writers. Each reads the selected sheets row by row through [`rows`];
//! html and md, which need a sheet's width before its first row, collect
//! the sheet first.

pub mod csv;
pub mod html;
pub mod json;
pub mod md;
pub mod ods;
pub mod xlsx;

use fileconv_core::{Context, Result, Row, Table, Value};

use crate::options::{selected_sheets, DATE_FORMAT, HEADER, SHEET};
use crate::text::TextStyle;

/// Rows between two checks of the cancel flag and the wall-time limit.
const CHECK_EVERY: u64 = 4096;

/// Hands every row of sheet `index` to `f`, checking for cancellation.
///
/// # Errors
/// What the source or `f` returns; [`fileconv_core::Error::Cancelled`].
pub fn rows(table: &mut Table, index: usize, ctx: &Context<'_>, mut f: impl FnMut(&Row) -> Result<()>) -> Result<()> {
    let mut n = 0u64;
    table.read_sheet(index, &mut |row| {
        n += 1;
        if n % CHECK_EVERY == 0 {
            ctx.checkpoint()?;
        }
        f(row)
    })
}

/// The selected sheets, each with the context narrowed to its share of the
/// progress.
///
/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad `sheet`.
pub fn sheets<'a>(table: &Table, ctx: &Context<'a>, multi: bool) -> Result<Vec<(usize, Context<'a>)>> {
    let chosen = selected_sheets(table, ctx.options, multi)?;
    if !multi && table.sheets.len() > 1 && ctx.options.get(SHEET.name).is_none() {
        let others: Vec<String> = table.sheets.iter().skip(1).take(5).map(|s| format!("'{}'", s.name)).collect();
        ctx.note(format!(
            "this format holds one sheet: the first, '{}', was written and {} other(s) left out ({}{}); the sheet option picks another (sheet=2)",
            table.sheets[0].name,
            table.sheets.len() - 1,
            others.join(", "),
            if table.sheets.len() > 6 { ", ..." } else { "" }
        ));
    }
    let n = chosen.len() as f32;
    Ok(chosen.into_iter().enumerate().map(|(k, i)| (i, ctx.stage(k as f32 / n, (k + 1) as f32 / n))).collect())
}

/// The text style the options ask for.
///
/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad `dateFormat`.
pub fn text_style<'a>(ctx: &Context<'a>) -> Result<TextStyle<'a>> {
    Ok(TextStyle { date_format: DATE_FORMAT.text(ctx.options)? })
}

/// What the writers of several sheets as text (json, html, md) start from.
pub struct TextTarget<'a> {
    pub table: Table,
    pub header: bool,
    pub style: TextStyle<'a>,
    /// The selected sheets, each with its share of the progress.
    pub sheets: Vec<(usize, Context<'a>)>,
}

/// Reads the options of a text target holding several sheets.
///
/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a bad `sheet`, `header` or `dateFormat`.
pub fn text_target<'a>(value: Value, ctx: &Context<'a>) -> Result<TextTarget<'a>> {
    let table = value.into_table()?;
    let sheets = sheets(&table, ctx, true)?;
    Ok(TextTarget { header: HEADER.boolean(ctx.options)?, style: text_style(ctx)?, sheets, table })
}

/// The column count of a sheet's rows (at least 1).
pub fn width(rows: &[Row]) -> usize {
    rows.iter().map(|r| r.cells.len()).max().unwrap_or(0).max(1)
}
