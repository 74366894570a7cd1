//! XLS (BIFF8, and the widths, heights and page setup of BIFF5) sheets as
//! they print. Values come from calamine, as for every other target; what
//! it does not read comes from the records: fonts, number formats, cell
//! formats (XF) and the palette; per sheet the column widths (COLINFO,
//! DEFCOLWIDTH, STANDARDWIDTH), row heights (ROW, DEFAULTROWHEIGHT), each
//! cell's format, merged cells, margins, SETUP (paper, orientation, scale,
//! fit, page order, first page), centring, gridlines, header and footer,
//! and print areas (the built-in NAME).

use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, SheetType, Xls};
use fileconv_core::document::fixed::{Align, Anchor, Color, PageLayer, Stroke, TextRun};
use fileconv_core::document::grid::{CellRange, CellStyle, GridCell, GridPage, RowHeight, SheetGrid, Width};
use fileconv_core::{Context, Error, Result};

use super::{header_footer, number_format, paper_size, DrawingCount};
use crate::read::biff::{
    records, u16_at, u32_at, workbook_stream, BLANK, BOF, BOUND_SHEET, CELL_RECORDS, COL_INFO, DATE_MODE, DEFAULT_ROW_HEIGHT, DEF_COL_WIDTH, EOF, FONT, FOOTER, FORMAT_RECORD, HCENTER, HEADER, MARGINS, MERGED_CELLS,
    MUL_BLANK, MUL_RK, NAME, OBJ, PALETTE, PRINT_GRIDLINES, ROW, SETUP, STANDARD_WIDTH, VCENTER, WS_BOOL, XF,
};

const FORMAT: &str = "xls";

fn f64_at(data: &[u8], at: usize) -> Option<f64> {
    data.get(at..at + 8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// A BIFF8 string without its length: a flags byte (bit 0: two bytes per
/// character), then `count` characters; rich text and phonetic parts skipped.
fn string_body(data: &[u8], at: usize, count: usize) -> Option<String> {
    let flags = *data.get(at)?;
    let mut start = at + 1;
    if flags & 0x08 != 0 {
        start += 2;
    }
    if flags & 0x04 != 0 {
        start += 4;
    }
    if flags & 0x01 != 0 {
        let units: Vec<u16> = data.get(start..start + 2 * count)?.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(data.get(start..start + count)?.iter().map(|&b| char::from(b)).collect())
    }
}

/// What the workbook's globals say.
#[derive(Default)]
struct Globals {
    biff8: bool,
    fonts: Vec<TextRun>,
    /// Each font's colour index (the palette is known only after the fonts).
    font_colors: Vec<u16>,
    formats: HashMap<u16, String>,
    /// Per XF: its look and number format code (`None`: general).
    xfs: Vec<(CellStyle, Option<String>)>,
    palette: Vec<Color>,
    /// Stream offset, name, hidden, of each worksheet.
    sheets: Vec<(usize, String, bool)>,
    /// Print areas by 0-based sheet index among all sheets.
    print_areas: HashMap<usize, CellRange>,
    date1904: bool,
}

/// Reads every visible sheet's grid.
///
/// # Errors
/// [`Error::InvalidInput`] for a broken compound file or workbook;
/// [`Error::LimitExceeded`] past the cell limit.
pub fn read(bytes: &[u8], ctx: &Context<'_>) -> Result<PageLayer> {
    crate::read::biff::check(bytes, ctx.limits)?;
    let stream = workbook_stream(bytes)?;
    let globals = globals(&stream);
    let mut book: Xls<_> = crate::read::excel::guarded(FORMAT, || Xls::new(Cursor::new(bytes)).map_err(|e| Error::invalid_input(FORMAT, e)))?;
    let worksheets: Vec<String> = book.sheets_metadata().iter().filter(|s| s.typ == SheetType::WorkSheet).map(|s| s.name.clone()).collect();
    let mut grids = Vec::new();
    let mut drawings = DrawingCount::default();
    for (index, (offset, name, hidden)) in globals.sheets.iter().enumerate() {
        ctx.checkpoint()?;
        if *hidden || !worksheets.contains(name) {
            continue;
        }
        let Some(sheet_stream) = stream.get(*offset..) else { continue };
        let values = crate::read::excel::guarded(FORMAT, || book.worksheet_range(name).map_err(|e| Error::invalid_input(FORMAT, e)))?;
        let mut grid = sheet(&globals, sheet_stream, name, &values, &mut drawings);
        grid.print_area = globals.print_areas.get(&index).copied();
        grids.push(grid);
    }
    drawings.note(ctx);
    Ok(PageLayer::Sheets(grids))
}

/// The BIFF8 palette's first eight and the default 56 after them.
fn color(globals: &Globals, index: u16) -> Option<Color> {
    let index = usize::from(index);
    if (8..64).contains(&index) {
        if let Some(c) = globals.palette.get(index - 8) {
            return Some(*c);
        }
    }
    super::xlsx::palette(index)
}

/// Font `index` of an XF (BIFF numbers fonts without a 4).
fn font_of(globals: &Globals, index: u16) -> TextRun {
    let index = usize::from(if index >= 4 { index - 1 } else { index });
    globals.fonts.get(index).or_else(|| globals.fonts.first()).cloned().unwrap_or(TextRun { font: Some("Arial".into()), size: 10.0, ..TextRun::default() })
}

fn globals(stream: &[u8]) -> Globals {
    let mut g = Globals::default();
    let mut raw_xfs: Vec<&[u8]> = Vec::new();
    let mut seen_bof = false;
    for (typ, data) in records(stream) {
        match typ {
            BOF if !seen_bof => {
                seen_bof = true;
                g.biff8 = u16_at(data, 0) == Some(0x0600);
            }
            EOF => break,
            FONT => {
                let mut font = TextRun { size: (f32::from(u16_at(data, 0).unwrap_or(200)) / 20.0).clamp(1.0, 409.0), ..TextRun::default() };
                let flags = u16_at(data, 2).unwrap_or(0);
                font.italic = flags & 0x02 != 0;
                font.strike = flags & 0x08 != 0;
                font.bold = u16_at(data, 6).unwrap_or(400) >= 600;
                font.underline = data.get(10).is_some_and(|&u| u != 0);
                g.font_colors.push(u16_at(data, 4).unwrap_or(0x7FFF));
                let count = usize::from(*data.get(14).unwrap_or(&0));
                font.font = if g.biff8 { string_body(data, 15, count) } else { data.get(15..15 + count).map(|b| b.iter().map(|&c| char::from(c)).collect()) };
                g.fonts.push(font);
            }
            FORMAT_RECORD => {
                let Some(id) = u16_at(data, 0) else { continue };
                let code = if g.biff8 {
                    u16_at(data, 2).and_then(|count| string_body(data, 4, usize::from(count)))
                } else {
                    data.get(2).and_then(|&count| data.get(3..3 + usize::from(count))).map(|b| b.iter().map(|&c| char::from(c)).collect())
                };
                if let Some(code) = code {
                    g.formats.insert(id, code);
                }
            }
            XF => raw_xfs.push(data),
            PALETTE => {
                let count = usize::from(u16_at(data, 0).unwrap_or(0));
                g.palette = (0..count.min(56)).filter_map(|i| data.get(2 + 4 * i..5 + 4 * i).map(|c| (c[0], c[1], c[2]))).collect();
            }
            DATE_MODE => g.date1904 = u16_at(data, 0) == Some(1),
            BOUND_SHEET => {
                let (Some(offset), Some(&flags), Some(&kind)) = (u32_at(data, 0), data.get(4), data.get(5)) else { continue };
                let count = usize::from(*data.get(6).unwrap_or(&0));
                let name = if g.biff8 { string_body(data, 7, count) } else { data.get(7..7 + count).map(|b| b.iter().map(|&c| char::from(c)).collect()) };
                if kind == 0 {
                    if let Some(name) = name {
                        g.sheets.push((offset as usize, name, flags & 0x03 != 0));
                    }
                }
            }
            NAME if g.biff8 => {
                // The built-in Print_Area (0x06) of sheet itab, as a 3-D area reference.
                let (Some(flags), Some(&length), Some(size), Some(sheet)) = (u16_at(data, 0), data.get(3), u16_at(data, 4), u16_at(data, 8)) else { continue };
                if flags & 0x20 == 0 || sheet == 0 {
                    continue;
                }
                let wide = data.get(14).is_some_and(|f| f & 1 != 0);
                let name_end = 15 + usize::from(length) * if wide { 2 } else { 1 };
                if data.get(15) != Some(&0x06) {
                    continue;
                }
                let formula = data.get(name_end..name_end + usize::from(size)).unwrap_or(&[]);
                if formula.first().is_some_and(|ptg| matches!(ptg, 0x3B | 0x5B | 0x7B)) {
                    let (Some(first_row), Some(last_row), Some(first_column), Some(last_column)) = (u16_at(formula, 3), u16_at(formula, 5), u16_at(formula, 7), u16_at(formula, 9)) else { continue };
                    let range = CellRange { first_row: u32::from(first_row), last_row: u32::from(last_row), first_column: u32::from(first_column & 0x3FFF), last_column: u32::from(last_column & 0x3FFF) };
                    g.print_areas.insert(usize::from(sheet) - 1, range);
                }
            }
            _ => {}
        }
    }
    for data in raw_xfs {
        g.xfs.push(xf(&g, data));
    }
    g
}

/// An XF record: its font, number format and (BIFF8) alignment, borders and fill.
fn xf(g: &Globals, data: &[u8]) -> (CellStyle, Option<String>) {
    let font_index = u16_at(data, 0).unwrap_or(0);
    let mut look = CellStyle { text: font_of(g, font_index), ..CellStyle::default() };
    let font_color = g.font_colors.get(usize::from(if font_index >= 4 { font_index - 1 } else { font_index })).copied().unwrap_or(0x7FFF);
    look.text.color = color(g, font_color).unwrap_or((0, 0, 0));
    let format_id = u16_at(data, 2).unwrap_or(0);
    let code = g.formats.get(&format_id).cloned().or_else(|| number_format::builtin(u32::from(format_id)).map(str::to_string)).filter(|c| !c.eq_ignore_ascii_case("general"));
    if !g.biff8 || data.len() < 20 {
        return (look, code);
    }
    let alignment = data[6];
    look.align = match alignment & 0x07 {
        1 | 4 => Some(Align::Left),
        2 | 6 => Some(Align::Center),
        3 => Some(Align::Right),
        5 | 7 => Some(Align::Justify),
        _ => None,
    };
    look.wrap = alignment & 0x08 != 0;
    look.anchor = match (alignment >> 4) & 0x07 {
        0 => Anchor::Top,
        1 | 3 | 4 => Anchor::Middle,
        _ => Anchor::Bottom,
    };
    look.indent = f32::from(data[8] & 0x0F) * 9.0;
    look.shrink = data[8] & 0x10 != 0;
    let styles = u16_at(data, 10).unwrap_or(0);
    let side_colors = u16_at(data, 12).unwrap_or(0);
    let more = u32_at(data, 14).unwrap_or(0);
    let line = |style: u16, index: u16| line_width(style).map(|width| Stroke { color: color(g, index).unwrap_or((0, 0, 0)), width });
    look.borders = [
        line(styles & 0x0F, side_colors & 0x7F),
        line((styles >> 8) & 0x0F, (more & 0x7F) as u16),
        line((styles >> 4) & 0x0F, (side_colors >> 7) & 0x7F),
        line((styles >> 12) & 0x0F, ((more >> 7) & 0x7F) as u16),
    ];
    let pattern = (more >> 26) & 0x3F;
    let fill_colors = u16_at(data, 18).unwrap_or(0);
    look.fill = match pattern {
        0 => None,
        1 => color(g, fill_colors & 0x7F),
        _ => color(g, fill_colors & 0x7F).map(super::pattern_shade),
    };
    (look, code)
}

/// A BIFF border style's width (the same lines as SpreadsheetML's).
fn line_width(style: u16) -> Option<f32> {
    let name = match style {
        0 => return None,
        2 => "medium",
        5 => "thick",
        6 => "double",
        7 => "hair",
        8 | 10 | 12 | 13 => "medium",
        _ => "thin",
    };
    super::xlsx::line_width(name)
}

/// One sheet's substream: its layout records, then calamine's values shown through each cell's XF.
fn sheet(g: &Globals, stream: &[u8], name: &str, values: &calamine::Range<Data>, drawings: &mut DrawingCount) -> SheetGrid {
    let default_font = font_of(g, 0);
    let mut grid = SheetGrid { name: name.to_string(), digit_font: (default_font.font.clone(), default_font.size), ..SheetGrid::default() };
    grid.styles = g.xfs.iter().map(|(look, _)| look.clone()).collect();
    if grid.styles.is_empty() {
        grid.styles.push(CellStyle { text: default_font.clone(), ..CellStyle::default() });
    }
    // LibreOffice's default width: the record's characters plus a padding that depends on the font's height.
    let padding = 40_960.0 / (default_font.size * 20.0 - 15.0).max(60.0) + 50.0;
    grid.default_width = Width::digits(8.0 + padding / 256.0);
    grid.default_height = 12.75;
    let mut page = GridPage { margins: [54.0, 72.0, 54.0, 72.0], header_distance: 36.0, footer_distance: 36.0, ..GridPage::default() };
    let mut xf_at: HashMap<(u32, u32), u16> = HashMap::new();
    let mut objects = 0;
    let mut fit_to_page = false;
    let mut setup: Option<&[u8]> = None;
    let mut depth = 0;
    for (typ, data) in records(stream) {
        match typ {
            BOF => depth += 1,
            EOF => {
                depth -= 1;
                if depth <= 0 {
                    break;
                }
            }
            _ if depth > 1 => {}
            DEF_COL_WIDTH => {
                if let Some(chars) = u16_at(data, 0) {
                    grid.default_width = Width::digits(f32::from(chars.min(255)) + padding / 256.0);
                }
            }
            STANDARD_WIDTH => {
                if let Some(width) = u16_at(data, 0) {
                    grid.default_width = Width::digits(f32::from(width) / 256.0);
                }
            }
            COL_INFO => {
                let (Some(first), Some(last), Some(width), Some(flags)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4), u16_at(data, 8)) else { continue };
                let last = last.min(1023);
                for c in first..=last {
                    if grid.columns.len() <= usize::from(c) {
                        let fill = grid.default_width;
                        grid.columns.resize(usize::from(c) + 1, fill);
                    }
                    grid.columns[usize::from(c)] = Width::digits(f32::from(width) / 256.0);
                    if flags & 0x01 != 0 {
                        grid.hidden_columns.push(u32::from(c));
                    }
                }
            }
            DEFAULT_ROW_HEIGHT => {
                if let Some(height) = u16_at(data, 2).filter(|h| *h > 0) {
                    grid.default_height = f32::from(height & 0x7FFF) / 20.0;
                }
            }
            ROW => {
                let (Some(row), Some(height), Some(flags)) = (u16_at(data, 0), u16_at(data, 6), u16_at(data, 12)) else { continue };
                if flags & 0x20 != 0 {
                    grid.hidden_rows.push(u32::from(row));
                }
                if height & 0x8000 == 0 {
                    grid.rows.push((u32::from(row), RowHeight { points: f32::from(height & 0x7FFF) / 20.0, custom: flags & 0x40 != 0 }));
                }
            }
            MERGED_CELLS => {
                let count = usize::from(u16_at(data, 0).unwrap_or(0));
                for i in 0..count {
                    let at = 2 + 8 * i;
                    let (Some(r1), Some(r2), Some(c1), Some(c2)) = (u16_at(data, at), u16_at(data, at + 2), u16_at(data, at + 4), u16_at(data, at + 6)) else { break };
                    grid.merges.push(CellRange { first_row: u32::from(r1.min(r2)), last_row: u32::from(r1.max(r2)), first_column: u32::from(c1.min(c2)), last_column: u32::from(c1.max(c2)) });
                }
            }
            MUL_RK | MUL_BLANK => {
                let (Some(row), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) else { continue };
                let step = if typ == MUL_RK { 6 } else { 2 };
                let count = data.len().saturating_sub(6) / step;
                for i in 0..count {
                    if let Some(xf) = u16_at(data, 4 + step * i) {
                        xf_at.insert((u32::from(row), u32::from(first) + i as u32), xf);
                    }
                }
            }
            t if t == BLANK || CELL_RECORDS.contains(&t) => {
                if let (Some(row), Some(column), Some(xf)) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4)) {
                    xf_at.insert((u32::from(row), u32::from(column)), xf);
                }
            }
            t if MARGINS.contains(&t) => {
                let side = MARGINS.iter().position(|m| *m == t).unwrap_or(0);
                if let Some(inches) = f64_at(data, 0).filter(|v| (0.0..50.0).contains(v)) {
                    page.margins[side] = inches as f32 * 72.0;
                }
            }
            SETUP => setup = Some(data),
            HCENTER => page.center_horizontally = u16_at(data, 0) == Some(1),
            VCENTER => page.center_vertically = u16_at(data, 0) == Some(1),
            PRINT_GRIDLINES => page.gridlines = u16_at(data, 0) == Some(1),
            WS_BOOL => fit_to_page = u16_at(data, 0).is_some_and(|f| f & 0x0100 != 0),
            HEADER | FOOTER if !data.is_empty() => {
                let text = if g.biff8 {
                    u16_at(data, 0).and_then(|count| string_body(data, 2, usize::from(count)))
                } else {
                    data.first().and_then(|&count| data.get(1..1 + usize::from(count))).map(|b| b.iter().map(|&c| char::from(c)).collect())
                };
                let part = text.and_then(|t| header_footer(&t, name, &default_font));
                if typ == HEADER {
                    page.header = part;
                } else {
                    page.footer = part;
                }
            }
            OBJ => objects += 1,
            _ => {}
        }
    }
    if let Some(data) = setup {
        let flags = u16_at(data, 10).unwrap_or(0);
        // fNoPls: the paper, scale and orientation were never set.
        if flags & 0x04 == 0 {
            if let Some((width, height)) = u16_at(data, 0).and_then(|p| paper_size(u32::from(p))) {
                (page.width, page.height) = (width, height);
            }
            if flags & 0x02 == 0 && flags & 0x40 == 0 {
                (page.width, page.height) = (page.height.max(page.width), page.width.min(page.height));
            }
            if let Some(scale) = u16_at(data, 2).filter(|s| (10..=400).contains(s)) {
                page.scale = f32::from(scale) / 100.0;
            }
        }
        if fit_to_page {
            page.fit = Some((u32::from(u16_at(data, 6).unwrap_or(1)), u32::from(u16_at(data, 8).unwrap_or(1))));
        }
        page.down_then_over = flags & 0x01 == 0;
        if flags & 0x80 != 0 {
            page.first_page_number = u16_at(data, 4).map(u32::from);
        }
        let inches = |at| f64_at(data, at).filter(|v| (0.0..50.0).contains(v)).map(|v| v as f32 * 72.0);
        page.header_distance = inches(16).unwrap_or(page.header_distance);
        page.footer_distance = inches(24).unwrap_or(page.footer_distance);
    }
    grid.page = page;
    if objects > 0 {
        drawings.add(objects, name);
    }
    // The values, shown through their cells' formats.
    if let Some((top, left)) = values.start() {
        for (i, row) in values.rows().enumerate() {
            for (j, value) in row.iter().enumerate() {
                let (r, c) = (top + i as u32, left + j as u32);
                let xf = xf_at.remove(&(r, c)).map_or(0, usize::from);
                let xf = if xf < g.xfs.len() { xf } else { 0 };
                let code = g.xfs.get(xf).and_then(|(_, code)| code.as_deref());
                let mut cell = GridCell { row: r, column: c, style: xf as u32, ..GridCell::default() };
                let number = |n: f64, cell: &mut GridCell| {
                    cell.number = true;
                    match code.and_then(|code| number_format::format(n, code, g.date1904)) {
                        Some(text) => cell.text = text,
                        None => {
                            cell.general = Some(n);
                            cell.text = fileconv_core::Cell::number(n).to_string();
                        }
                    }
                };
                match value {
                    Data::Empty => {}
                    Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => cell.text = s.clone(),
                    Data::Int(n) => number(*n as f64, &mut cell),
                    Data::Float(n) => number(*n, &mut cell),
                    // calamine counts dates from 1900 whatever the workbook says; formats add 1904's days back.
                    Data::DateTime(d) => number(if g.date1904 { d.as_f64() - 1462.0 } else { d.as_f64() }, &mut cell),
                    Data::Bool(b) => {
                        cell.text = if *b { "TRUE" } else { "FALSE" }.into();
                        cell.number = true;
                    }
                    Data::Error(e) => cell.text = crate::read::excel::error(e).to_string(),
                }
                if !cell.text.is_empty() || grid.styles.get(xf).is_some_and(CellStyle::is_visible) {
                    grid.cells.push(cell);
                }
            }
        }
    }
    // Formatted cells without a value (borders, fills).
    for ((row, column), xf) in xf_at {
        if grid.styles.get(usize::from(xf)).is_some_and(CellStyle::is_visible) {
            grid.cells.push(GridCell { row, column, style: u32::from(xf), ..GridCell::default() });
        }
    }
    grid.cells.sort_by_key(|c| (c.row, c.column));
    grid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_of_both_widths() {
        assert_eq!(string_body(&[0, b'a', b'b'], 0, 2).as_deref(), Some("ab"));
        assert_eq!(string_body(&[1, b'a', 0, 0xE9, 0], 0, 2).as_deref(), Some("aé"));
        assert_eq!(string_body(&[1, b'a'], 0, 2), None);
    }
}
