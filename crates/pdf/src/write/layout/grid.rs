//! Spreadsheets' sheets ([`SheetGrid`]) printed as a spreadsheet prints
//! them: from A1 (or the print area) to the last cell that shows
//! something, text overflowing into empty neighbours and the cells under
//! drawings included; columns and
//! rows cut into pages where the next would not fit the printable area
//! (a column wider than it gets a page of its own), pages taken down then
//! across unless the sheet says otherwise, at the sheet's scale or the one
//! that fits it into the pages asked; each sheet on new pages, page numbers
//! running on through the workbook. Cells: fill, then text (general numbers
//! lose decimals to fit, numbers that cannot fit show `###`, text clipped
//! where a neighbour holds something), then borders and gridlines, then
//! the pictures placed on the sheet.

use std::collections::HashMap;

use fileconv_core::document::fixed::{Align, Anchor, Frame, Geometry, Picture, TextBody, TextParagraph, TextRun};
use fileconv_core::document::grid::{round_half_away, CellStyle, GridCell, GridPage, HeaderFooter, SheetGrid, Width};
use fileconv_core::{Error, Result};

use super::{Engine, Layout, Op, Outline, Page};

/// Space between a cell's edges and its text, points (LibreOffice's).
const PAD_X: f32 = 1.0;
const PAD_Y: f32 = 0.5;
/// Gridlines' colour and width.
const GRID: ((u8, u8, u8), f32) = ((192, 192, 192), 0.25);

/// One page's share of a sheet: its columns and rows (inclusive ranges of
/// indexes into the sheet's printed columns and rows).
struct PagePart {
    columns: (usize, usize),
    rows: (usize, usize),
}

/// A sheet with its measures resolved, ready to cut into pages.
struct Measured<'g> {
    grid: &'g SheetGrid,
    /// Printed columns and rows (sheet indexes), with their size in points.
    columns: Vec<(u32, f32)>,
    rows: Vec<(u32, f32)>,
    /// Sheet (row, column) to the cell's index in `grid.cells`.
    at: HashMap<(u32, u32), usize>,
    /// The merged range whose top left is this cell: its last row and column.
    merge_ends: HashMap<(u32, u32), (u32, u32)>,
    /// Cells a merge covers, other than its top left.
    covered: std::collections::HashSet<(u32, u32)>,
    scale: f32,
    parts: Vec<PagePart>,
}

impl Engine<'_> {
    /// Prints sheets, each on pages of its own setup.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past the page or drawing limits;
    /// cancellation from `checkpoint`.
    pub fn run_grids(mut self, grids: &[SheetGrid], checkpoint: &dyn Fn() -> Result<()>) -> Result<Layout> {
        self.pages.clear();
        let mut sheets = Vec::new();
        let mut total = 0usize;
        for grid in grids {
            checkpoint()?;
            let measured = self.measure_sheet(grid, checkpoint)?;
            total += measured.parts.len();
            if total > self.max_pages {
                return Err(Error::limit("pages", self.max_pages as u64, total as u64));
            }
            sheets.push(measured);
        }
        let mut number = 0u32;
        for sheet in &sheets {
            if let Some(first) = sheet.grid.page.first_page_number {
                number = first.saturating_sub(1);
            }
            for part in &sheet.parts {
                checkpoint()?;
                number += 1;
                self.print_page(sheet, part, number, total)?;
            }
        }
        // A workbook with nothing to print still makes one (empty) page.
        if self.pages.is_empty() {
            let page = GridPage::default();
            self.pages.push(Page { ops: Vec::new(), size: Some((page.width, page.height)) });
        }
        Ok(self.finish())
    }

    fn digit_width(&self, grid: &SheetGrid) -> f32 {
        let face = self.fonts.face_for(grid.digit_font.0.as_deref(), false, false);
        let widest = ('0'..='9').filter_map(|d| self.fonts.face(face).glyph(d).map(|(_, w)| w)).fold(0.0f32, f32::max);
        (if widest > 0.0 { widest } else { 0.55 }) * grid.digit_font.1.max(1.0)
    }

    fn measure_sheet<'g>(&self, grid: &'g SheetGrid, checkpoint: &dyn Fn() -> Result<()>) -> Result<Measured<'g>> {
        let digit = self.digit_width(grid);
        let points = |w: Width| (w.digits * digit + w.points).max(0.0);
        let hidden_columns: std::collections::HashSet<u32> = grid.hidden_columns.iter().copied().collect();
        let hidden_rows: std::collections::HashSet<u32> = grid.hidden_rows.iter().copied().collect();
        let column_width = |c: u32| if hidden_columns.contains(&c) { 0.0 } else { points(grid.columns.get(c as usize).copied().unwrap_or(grid.default_width)) };
        let mut at = HashMap::with_capacity(grid.cells.len());
        for (i, cell) in grid.cells.iter().enumerate() {
            at.insert((cell.row, cell.column), i);
        }
        let mut merge_ends = HashMap::new();
        let mut covered = std::collections::HashSet::new();
        for m in &grid.merges {
            // A merge of a million cells is a forged one: only its top left is kept.
            if u64::from(m.last_row - m.first_row + 1) * u64::from(m.last_column - m.first_column + 1) <= 100_000 {
                for r in m.first_row..=m.last_row {
                    for c in m.first_column..=m.last_column {
                        covered.insert((r, c));
                    }
                }
            }
            covered.remove(&(m.first_row, m.first_column));
            merge_ends.insert((m.first_row, m.first_column), (m.last_row, m.last_column));
        }
        // What prints: the print area, else A1 to the last cell that shows something.
        let (first_row, first_column, last_row, last_column) = match grid.print_area {
            Some(area) => (area.first_row, area.first_column, area.last_row.min(1_048_575), area.last_column.min(16_383)),
            None => {
                let mut last: Option<(u32, u32)> = None;
                let mut extend = |r: u32, c: u32| last = Some(last.map_or((r, c), |(lr, lc)| (lr.max(r), lc.max(c))));
                for cell in &grid.cells {
                    let style = style_of(grid, cell);
                    if cell.text.is_empty() && !style.is_visible() {
                        continue;
                    }
                    let (end_row, end_column) = merge_ends.get(&(cell.row, cell.column)).copied().unwrap_or((cell.row, cell.column));
                    extend(end_row, end_column);
                    // Text running into empty cells to the right prints with them.
                    if !cell.text.is_empty() && !style.wrap && !cell.number && matches!(style.align, None | Some(Align::Left)) {
                        let mut room = column_width(cell.column) - 2.0 * PAD_X;
                        let width = self.text_width(&cell.text, style);
                        let mut c = cell.column;
                        while width > room && c < cell.column + 256 && !at.contains_key(&(cell.row, c + 1)) {
                            c += 1;
                            room += column_width(c);
                        }
                        extend(cell.row, c);
                    }
                }
                for d in &grid.drawings {
                    extend(d.last_row.min(1_048_575), d.last_column.min(16_383));
                }
                // Pictures placed by size reach as far as their width and height do.
                let row_height = |r: u32| match grid.rows.binary_search_by_key(&r, |(k, _)| *k) {
                    Ok(i) => grid.rows[i].1.points,
                    Err(_) => grid.default_height,
                };
                for p in grid.pictures.iter().filter(|p| p.to.is_none()) {
                    // The column or row the far edge falls in (looked for over 1,000 at most).
                    let reach = |first: u32, mut left: f32, size: &dyn Fn(u32) -> f32, last: u32| {
                        let mut at = first;
                        while at < last.min(first.saturating_add(1_000)) && left > size(at) {
                            left -= size(at);
                            at += 1;
                        }
                        at
                    };
                    let column = reach(p.from.column, p.from.x + p.size.0, &column_width, 16_383);
                    let row = reach(p.from.row, p.from.y + p.size.1, &row_height, 1_048_575);
                    extend(row, column);
                }
                for p in grid.pictures.iter().filter_map(|p| p.to) {
                    extend(p.row.min(1_048_575), p.column.min(16_383));
                }
                match last {
                    Some((r, c)) => (0, 0, r, c),
                    None => return Ok(Measured { grid, columns: Vec::new(), rows: Vec::new(), at, merge_ends, covered, scale: 1.0, parts: Vec::new() }),
                }
            }
        };
        if last_row < first_row || last_column < first_column {
            return Ok(Measured { grid, columns: Vec::new(), rows: Vec::new(), at, merge_ends, covered, scale: 1.0, parts: Vec::new() });
        }
        let columns: Vec<(u32, f32)> = (first_column..=last_column).map(|c| (c, column_width(c))).collect();
        let explicit: HashMap<u32, fileconv_core::document::grid::RowHeight> = grid.rows.iter().copied().collect();
        // Rows the source does not fix grow to their tallest wrapped or large text.
        let mut needed: HashMap<u32, f32> = HashMap::new();
        for cell in &grid.cells {
            let style = style_of(grid, cell);
            let spans_rows = merge_ends.get(&(cell.row, cell.column)).is_some_and(|end| end.0 > cell.row);
            if cell.text.is_empty() || explicit.get(&cell.row).is_some_and(|h| h.custom) || spans_rows {
                continue;
            }
            let lines = if style.wrap {
                let width = column_width(cell.column) - 2.0 * PAD_X - style.indent;
                let body = cell_body(&cell.text, style, Align::Left, true);
                let (placed, _) = self.lay_text(&body, width.max(1.0), 1.0);
                placed.len().max(1)
            } else {
                cell.text.lines().count().max(1)
            };
            let look = &style.text;
            let face = self.fonts.face(self.fonts.face_for(look.font.as_deref(), look.bold, look.italic));
            // A spreadsheet's optimal height: the lines and 1.3 pt (12.8 for Liberation Sans 10, as LibreOffice sets it).
            let height = lines as f32 * (face.ascent + face.descent) * look.size + 1.3;
            let entry = needed.entry(cell.row).or_insert(0.0);
            *entry = entry.max(height);
        }
        let mut rows = Vec::new();
        for r in first_row..=last_row {
            if r % 4096 == 0 {
                checkpoint()?;
            }
            let height = if hidden_rows.contains(&r) {
                0.0
            } else {
                match explicit.get(&r) {
                    Some(h) if h.custom => h.points,
                    Some(h) => h.points.max(needed.get(&r).copied().unwrap_or(0.0)),
                    None => grid.default_height.max(needed.get(&r).copied().unwrap_or(0.0)),
                }
            };
            rows.push((r, height));
        }
        let page = &grid.page;
        let room_w = (page.width - page.margins[0] - page.margins[2]).max(36.0);
        let room_h = (page.height - page.margins[1] - page.margins[3] - page.header_room - page.footer_room).max(36.0);
        let scale = match page.fit {
            Some((across, down)) => {
                let total_w: f32 = columns.iter().map(|c| c.1).sum();
                let total_h: f32 = rows.iter().map(|r| r.1).sum();
                let mut scale: f32 = 1.0;
                if across > 0 && total_w > 0.0 {
                    scale = scale.min(room_w * across as f32 / total_w);
                }
                if down > 0 && total_h > 0.0 {
                    scale = scale.min(room_h * down as f32 / total_h);
                }
                // Page breaks fall at whole columns: a hair smaller so the last one fits.
                (scale * 0.999).max(0.1)
            }
            None => page.scale.clamp(0.1, 4.0),
        };
        let column_bands = bands(columns.iter().map(|c| c.1 * scale), room_w);
        let row_bands = bands(rows.iter().map(|r| r.1 * scale), room_h);
        if column_bands.len().saturating_mul(row_bands.len()) > self.max_pages {
            return Err(Error::limit("pages", self.max_pages as u64, (column_bands.len() * row_bands.len()) as u64));
        }
        let mut parts = Vec::new();
        if page.down_then_over {
            for &c in &column_bands {
                for &r in &row_bands {
                    parts.push(PagePart { columns: c, rows: r });
                }
            }
        } else {
            for &r in &row_bands {
                for &c in &column_bands {
                    parts.push(PagePart { columns: c, rows: r });
                }
            }
        }
        Ok(Measured { grid, columns, rows, at, merge_ends, covered, scale, parts })
    }

    fn text_width(&self, text: &str, style: &CellStyle) -> f32 {
        let run = run_of(text, style);
        self.measure(text, &self.run_style(&run, 1.0))
    }

    fn print_page(&mut self, sheet: &Measured<'_>, part: &PagePart, number: u32, total: usize) -> Result<()> {
        let grid = sheet.grid;
        let page = &grid.page;
        self.pages.push(Page { ops: Vec::new(), size: Some((page.width.max(1.0), page.height.max(1.0))) });
        let columns = &sheet.columns[part.columns.0..=part.columns.1];
        let rows = &sheet.rows[part.rows.0..=part.rows.1];
        let (width, height): (f32, f32) = (columns.iter().map(|c| c.1).sum(), rows.iter().map(|r| r.1).sum());
        let room_w = page.width - page.margins[0] - page.margins[2];
        let room_h = page.height - page.margins[1] - page.margins[3] - page.header_room - page.footer_room;
        let mut x0 = page.margins[0];
        let mut y0 = page.margins[1] + page.header_room;
        if page.center_horizontally {
            x0 += ((room_w - width * sheet.scale) / 2.0).max(0.0);
        }
        if page.center_vertically {
            y0 += ((room_h - height * sheet.scale) / 2.0).max(0.0);
        }
        self.header_footer(page.header.as_ref(), page, number, total, true)?;
        self.header_footer(page.footer.as_ref(), page, number, total, false)?;
        // The cells are drawn unscaled from (0, 0), through the page's scale and origin, clipped to the printable area.
        self.push(Op::PushClip(Outline::Rect { x: page.margins[0], y: page.margins[1] + page.header_room, w: room_w.max(1.0), h: room_h.max(1.0) }))?;
        self.push(Op::PushTransform([sheet.scale, 0.0, 0.0, sheet.scale, x0, y0]))?;
        let mut xs = vec![0.0f32];
        for c in columns {
            xs.push(xs.last().copied().unwrap_or(0.0) + c.1);
        }
        let mut ys = vec![0.0f32];
        for r in rows {
            ys.push(ys.last().copied().unwrap_or(0.0) + r.1);
        }
        let column_at: HashMap<u32, usize> = columns.iter().enumerate().map(|(i, c)| (c.0, i)).collect();
        let row_at: HashMap<u32, usize> = rows.iter().enumerate().map(|(i, r)| (r.0, i)).collect();
        // The edges of a sheet's column or row on this page, also past its ends (merges reaching out).
        let x_of = |c: u32| -> f32 {
            match column_at.get(&c) {
                Some(&i) => xs[i],
                None if c < columns[0].0 => -sheet.columns.iter().filter(|(k, _)| *k >= c && *k < columns[0].0).map(|k| k.1).sum::<f32>(),
                None => xs[xs.len() - 1] + sheet.columns.iter().filter(|(k, _)| *k > columns[columns.len() - 1].0 && *k < c).map(|k| k.1).sum::<f32>(),
            }
        };
        let y_of = |r: u32| -> f32 {
            match row_at.get(&r) {
                Some(&i) => ys[i],
                None if r < rows[0].0 => -sheet.rows.iter().filter(|(k, _)| *k >= r && *k < rows[0].0).map(|k| k.1).sum::<f32>(),
                None => ys[ys.len() - 1] + sheet.rows.iter().filter(|(k, _)| *k > rows[rows.len() - 1].0 && *k < r).map(|k| k.1).sum::<f32>(),
            }
        };
        let (first_row, last_row) = (rows[0].0, rows[rows.len() - 1].0);
        let (first_column, last_column) = (columns[0].0, columns[columns.len() - 1].0);
        // Cells on this page, and merges starting before it that reach into it.
        let mut shown: Vec<(&GridCell, f32, f32, f32, f32)> = Vec::new();
        let start = grid.cells.partition_point(|c| c.row < first_row);
        for cell in grid.cells[start..].iter().take_while(|c| c.row <= last_row) {
            if cell.column < first_column || cell.column > last_column || sheet.covered.contains(&(cell.row, cell.column)) {
                continue;
            }
            let (end_row, end_column) = sheet.merge_ends.get(&(cell.row, cell.column)).copied().unwrap_or((cell.row, cell.column));
            shown.push((cell, x_of(cell.column), y_of(cell.row), x_of(end_column + 1), y_of(end_row + 1)));
        }
        for (&(r, c), &(end_row, end_column)) in &sheet.merge_ends {
            let starts_here = (first_row..=last_row).contains(&r) && (first_column..=last_column).contains(&c);
            let reaches = r <= last_row && end_row >= first_row && c <= last_column && end_column >= first_column;
            if !starts_here && reaches {
                if let Some(&i) = sheet.at.get(&(r, c)) {
                    shown.push((&grid.cells[i], x_of(c), y_of(r), x_of(end_column + 1), y_of(end_row + 1)));
                }
            }
        }
        for &(cell, x1, y1, x2, y2) in &shown {
            if let Some(color) = style_of(grid, cell).fill {
                self.push(Op::Rect { x: x1, y: y1, w: x2 - x1, h: y2 - y1, color })?;
            }
        }
        if page.gridlines {
            for x in &xs {
                self.push(Op::Line { x1: *x, y1: 0.0, x2: *x, y2: height, width: GRID.1, color: GRID.0 })?;
            }
            for y in &ys {
                self.push(Op::Line { x1: 0.0, y1: *y, x2: width, y2: *y, width: GRID.1, color: GRID.0 })?;
            }
        }
        for &(cell, x1, y1, x2, y2) in &shown {
            if !cell.text.is_empty() {
                self.cell_text(sheet, cell, (x1, y1, x2, y2), &x_of)?;
            }
        }
        for &(cell, x1, y1, x2, y2) in &shown {
            let sides = [(x1, y1, x1, y2), (x1, y1, x2, y1), (x2, y1, x2, y2), (x1, y2, x2, y2)];
            for (border, (ax, ay, bx, by)) in style_of(grid, cell).borders.iter().zip(sides) {
                if let Some(stroke) = border {
                    self.push(Op::Line { x1: ax, y1: ay, x2: bx, y2: by, width: stroke.width, color: stroke.color })?;
                }
            }
        }
        // Pictures over the cells, each part on the page its cells print on.
        let placed: Vec<(Frame, &Picture)> = grid
            .pictures
            .iter()
            .filter_map(|p| {
                let (x, y) = (x_of(p.from.column) + p.from.x, y_of(p.from.row) + p.from.y);
                let (x2, y2) = p.to.map_or((x + p.size.0, y + p.size.1), |to| (x_of(to.column) + to.x, y_of(to.row) + to.y));
                let on_page = x < width && x2 > 0.0 && y < height && y2 > 0.0 && x2 > x && y2 > y;
                on_page.then_some((Frame { x, y, width: x2 - x, height: y2 - y, ..Frame::default() }, &p.picture))
            })
            .collect();
        if !placed.is_empty() {
            self.push(Op::PushClip(Outline::Rect { x: 0.0, y: 0.0, w: width, h: height }))?;
            for (frame, picture) in placed {
                self.picture(picture, frame, &Geometry::Rect)?;
            }
            self.push(Op::Pop)?;
        }
        self.push(Op::Pop)?;
        self.push(Op::Pop)
    }

    /// A cell's text in its box (`x1..x2`, `y1..y2`), or past it into empty
    /// neighbours when it does not wrap.
    fn cell_text(&mut self, sheet: &Measured<'_>, cell: &GridCell, (x1, y1, x2, y2): (f32, f32, f32, f32), x_of: &dyn Fn(u32) -> f32) -> Result<()> {
        let style = style_of(sheet.grid, cell);
        let align = style.align.unwrap_or(if cell.number { Align::Right } else { Align::Left });
        let room = x2 - x1 - 2.0 * PAD_X - style.indent;
        let mut text = cell.text.clone();
        let mut width = self.text_width(&text, style);
        if cell.number && !style.wrap && !style.shrink && width > room {
            (text, width) = self.fit_number(cell, style, room);
        }
        let merged = sheet.merge_ends.contains_key(&(cell.row, cell.column));
        // Text runs on over empty cells on the side(s) it is aligned away from.
        let (mut left, mut right) = (x1, x2);
        if !style.wrap && !cell.number && !merged && width > room {
            let empty = |c: u32| sheet.at.get(&(cell.row, c)).is_none_or(|&i| sheet.grid.cells[i].text.is_empty()) && !sheet.covered.contains(&(cell.row, c));
            let need = width - room;
            let (mut c_right, mut c_left) = (cell.column, cell.column);
            let (go_right, go_left) = match align {
                Align::Left | Align::Justify => (true, false),
                Align::Right => (false, true),
                Align::Center => (true, true),
            };
            let share = if go_left && go_right { 0.5 } else { 1.0 };
            while go_right && need * share > right - x2 && c_right < cell.column + 256 && empty(c_right + 1) {
                c_right += 1;
                right = x_of(c_right + 1);
            }
            while go_left && need * share > x1 - left && c_left > 0 && empty(c_left - 1) {
                c_left -= 1;
                left = x_of(c_left);
            }
        }
        let mut body = cell_body(&text, style, align, style.wrap);
        // Unwrapped text gets a box just its width, placed as it aligns (centred text stays centred on its cell).
        let frame_x = if style.wrap {
            (x1, x2)
        } else {
            let w = width + 2.0 * PAD_X + style.indent;
            match align {
                Align::Center => ((x1 + x2 - w) / 2.0, (x1 + x2 + w) / 2.0),
                Align::Right => (x2 - w, x2),
                Align::Left | Align::Justify => (x1, x1 + w),
            }
        };
        if style.shrink && width > room && width > 0.0 {
            body.font_scale = (room / width).clamp(0.1, 1.0);
        }
        let frame = Frame { x: frame_x.0, y: y1, width: frame_x.1 - frame_x.0, height: y2 - y1, ..Frame::default() };
        self.push(Op::PushClip(Outline::Rect { x: left, y: y1, w: (right - left).max(0.1), h: (y2 - y1).max(0.1) }))?;
        self.text_body(&body, frame)?;
        self.push(Op::Pop)
    }

    /// A number that does not fit its column: a general one with fewer
    /// decimals, else `###` as wide as the room allows.
    fn fit_number(&self, cell: &GridCell, style: &CellStyle, room: f32) -> (String, f32) {
        if let Some(value) = cell.general.filter(|v| v.is_finite()) {
            for decimals in (0..=10).rev() {
                let text = trim_decimals(format!("{:.*}", decimals, round_half_away(value, decimals)));
                let width = self.text_width(&text, style);
                if width <= room {
                    return (text, width);
                }
            }
        }
        let hash = self.text_width("#", style).max(0.1);
        let count = ((room / hash).floor() as usize).clamp(1, 64);
        let text = "#".repeat(count);
        let width = hash * count as f32;
        (text, width)
    }

    fn header_footer(&mut self, part: Option<&HeaderFooter>, page: &GridPage, number: u32, total: usize, header: bool) -> Result<()> {
        let Some(hf) = part else { return Ok(()) };
        let aligns = [Align::Left, Align::Center, Align::Right];
        let width = page.width - page.margins[0] - page.margins[2];
        for (runs, align) in hf.parts.iter().zip(aligns) {
            if runs.is_empty() {
                continue;
            }
            let runs: Vec<TextRun> = runs
                .iter()
                .map(|r| {
                    let text = if r.page_number {
                        number.to_string()
                    } else if r.text == HeaderFooter::PAGE_COUNT {
                        total.to_string()
                    } else {
                        r.text.clone()
                    };
                    TextRun { text, page_number: false, ..r.clone() }
                })
                .collect();
            let body = TextBody {
                paragraphs: vec![TextParagraph { runs, align, ..TextParagraph::default() }],
                inset: [0.0; 4],
                anchor: if header { Anchor::Top } else { Anchor::Bottom },
                wrap: true,
                ..TextBody::default()
            };
            let frame = if header {
                Frame { x: page.margins[0], y: page.header_distance, width, height: (page.margins[1] - page.header_distance).max(1.0) + page.header_room, ..Frame::default() }
            } else {
                let bottom = page.height - page.footer_distance;
                let height = (page.margins[3] - page.footer_distance).max(1.0) + page.footer_room;
                Frame { x: page.margins[0], y: bottom - height, width, height, ..Frame::default() }
            };
            self.text_body(&body, frame)?;
        }
        Ok(())
    }
}

/// Consecutive runs of sizes that fit `room` each (one alone when it is
/// wider), as inclusive index ranges.
fn bands(sizes: impl Iterator<Item = f32>, room: f32) -> Vec<(usize, usize)> {
    let mut bands = Vec::new();
    let (mut start, mut used) = (0usize, 0.0f32);
    let mut count = 0;
    for (i, size) in sizes.enumerate() {
        count = i + 1;
        if i > start && used + size > room + 0.01 {
            bands.push((start, i - 1));
            start = i;
            used = 0.0;
        }
        used += size;
    }
    if count > start {
        bands.push((start, count - 1));
    }
    bands
}

fn style_of<'g>(grid: &'g SheetGrid, cell: &GridCell) -> &'g CellStyle {
    static DEFAULT: std::sync::OnceLock<CellStyle> = std::sync::OnceLock::new();
    grid.styles.get(cell.style as usize).unwrap_or_else(|| DEFAULT.get_or_init(CellStyle::default))
}

fn run_of(text: &str, style: &CellStyle) -> TextRun {
    TextRun { text: text.to_string(), ..style.text.clone() }
}

fn cell_body(text: &str, style: &CellStyle, align: Align, wrap: bool) -> TextBody {
    let indent = style.indent;
    let (left, right) = match align {
        Align::Right => (PAD_X, PAD_X + indent),
        _ => (PAD_X + indent, PAD_X),
    };
    TextBody {
        paragraphs: text.split('\n').map(|line| TextParagraph { runs: vec![run_of(line, style)], align, empty_size: style.text.size, ..TextParagraph::default() }).collect(),
        inset: [left, PAD_Y, right, PAD_Y],
        anchor: style.anchor,
        wrap,
        ..TextBody::default()
    }
}

/// `2.50` to `2.5`, `3.0` to `3`.
fn trim_decimals(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_fit_their_room() {
        assert_eq!(bands([10.0, 10.0, 10.0].into_iter(), 20.0), [(0, 1), (2, 2)]);
        assert_eq!(bands([50.0, 10.0].into_iter(), 20.0), [(0, 0), (1, 1)]);
        assert_eq!(bands(std::iter::empty(), 20.0), []);
        assert_eq!(trim_decimals("2.50".into()), "2.5");
        assert_eq!(trim_decimals("3.0".into()), "3");
    }
}
