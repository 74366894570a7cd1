//! Placed pages ([`FixedPage`]: slides) drawn as they are: one page each at
//! its own size, background first, then every shape in order: fill (a
//! colour or a linear or radial gradient) and outline along its geometry, picture cropped to its box, text laid out
//! inside the box's insets (lines broken at its width unless it does not
//! wrap, aligned, spaced as the paragraph says with the face's own ascent
//! and descent, anchored top, middle or bottom, shrunk by the autofit
//! scale), all turned about the box's centre when it is rotated.

use fileconv_core::document::fixed::{Align, Anchor, FixedCell, FixedPage, FixedTable, Frame, Geometry, Picture, Shape, Spacing, TextBody, TextParagraph, TextRun};
use fileconv_core::Result;

use super::{Engine, Layout, LineBox, Op, Outline, Page, Piece, Style};

impl Engine<'_> {
    /// Draws placed pages, one PDF page each.
    ///
    /// # Errors
    /// [`fileconv_core::Error::LimitExceeded`] past the page or drawing
    /// limits; cancellation from `checkpoint`.
    pub fn run_fixed(mut self, pages: &[FixedPage], checkpoint: &dyn Fn() -> Result<()>) -> Result<Layout> {
        self.pages.clear();
        for page in pages {
            checkpoint()?;
            if self.pages.len() >= self.max_pages {
                return Err(fileconv_core::Error::limit("pages", self.max_pages as u64, pages.len() as u64));
            }
            self.pages.push(Page { ops: Vec::new(), size: Some((page.width.max(1.0), page.height.max(1.0))) });
            self.page_content(page)?;
        }
        Ok(self.finish())
    }

    /// A placed page's background and shapes, from the top left corner.
    fn page_content(&mut self, page: &FixedPage) -> Result<()> {
        if let Some(gradient) = &page.background_gradient {
            let frame = [0.0, 0.0, page.width, page.height];
            self.push(Op::Gradient { outline: Outline::Rect { x: 0.0, y: 0.0, w: page.width, h: page.height }, frame, gradient: gradient.clone() })?;
        } else if let Some(color) = page.background {
            self.push(Op::Rect { x: 0.0, y: 0.0, w: page.width, h: page.height, color })?;
        }
        if let Some(picture) = &page.background_picture {
            self.picture(picture, Frame { width: page.width, height: page.height, ..Frame::default() }, &Geometry::Rect)?;
        }
        for shape in &page.shapes {
            self.placed_shape(shape)?;
        }
        Ok(())
    }

    /// A page drawn in a frame, scaled to fit, centred and clipped to its
    /// edges, on white (a slide on its notes page).
    fn inset_page(&mut self, page: &FixedPage, f: Frame) -> Result<()> {
        if page.width <= 0.0 || page.height <= 0.0 {
            return Ok(());
        }
        let scale = (f.width / page.width).min(f.height / page.height);
        let (x, y) = (f.x + (f.width - page.width * scale) / 2.0, f.y + (f.height - page.height * scale) / 2.0);
        self.push(Op::PushTransform([scale, 0.0, 0.0, scale, x, y]))?;
        self.push(Op::PushClip(Outline::Rect { x: 0.0, y: 0.0, w: page.width, h: page.height }))?;
        self.push(Op::Rect { x: 0.0, y: 0.0, w: page.width, h: page.height, color: (255, 255, 255) })?;
        self.page_content(page)?;
        self.push(Op::Pop)?;
        self.push(Op::Pop)
    }

    pub(super) fn placed_shape(&mut self, shape: &Shape) -> Result<()> {
        let f = shape.frame;
        let rotated = f.rotation.rem_euclid(360.0) != 0.0;
        if rotated {
            self.push(Op::PushTransform(turn(f, f.rotation, false, false)))?;
        }
        let flipped = f.flip_h || f.flip_v;
        if flipped {
            self.push(Op::PushTransform(turn(f, 0.0, f.flip_h, f.flip_v)))?;
        }
        if let Some(page) = &shape.page {
            self.inset_page(page, f)?;
        }
        let open = matches!(shape.geometry, Geometry::Line | Geometry::Polyline(_));
        let gradient = shape.gradient.as_ref().filter(|_| !open);
        if let Some(gradient) = gradient {
            self.push(Op::Gradient { outline: outline(&shape.geometry, f), frame: [f.x, f.y, f.width, f.height], gradient: gradient.clone() })?;
        }
        let fill = if open || gradient.is_some() { None } else { shape.fill };
        if fill.is_some() || shape.stroke.is_some() {
            self.push(Op::Shape { outline: outline(&shape.geometry, f), fill, stroke: shape.stroke.map(|s| (s.color, s.width)) })?;
        }
        if let Some(picture) = &shape.picture {
            self.picture(picture, f, &shape.geometry)?;
        }
        if flipped {
            self.push(Op::Pop)?;
        }
        if let Some(text) = &shape.text {
            self.text_body(text, f)?;
        }
        if let Some(table) = &shape.table {
            self.table_grid(table, f)?;
        }
        if rotated {
            self.push(Op::Pop)?;
        }
        Ok(())
    }

    /// A picture stretched so that its uncropped part fills the frame,
    /// clipped to the shape's outline.
    pub(super) fn picture(&mut self, picture: &Picture, f: Frame, geometry: &Geometry) -> Result<()> {
        let [left, top, right, bottom] = picture.crop;
        let (shown_w, shown_h) = ((1.0 - left - right).max(0.01), (1.0 - top - bottom).max(0.01));
        let (w, h) = (f.width / shown_w, f.height / shown_h);
        let data = std::sync::Arc::clone(&picture.data);
        if crate::write::image_size(&data).is_none() {
            self.unsupported_pictures += 1;
            return Ok(());
        }
        let clipped = picture.crop.iter().any(|c| *c != 0.0) || !matches!(geometry, Geometry::Rect | Geometry::Line);
        if clipped {
            let outline = if *geometry == Geometry::Line { Outline::Rect { x: f.x, y: f.y, w: f.width, h: f.height } } else { outline(geometry, f) };
            self.push(Op::PushClip(outline))?;
        }
        self.push(Op::Image { x: f.x - left * w, y: f.y - top * h, w, h, data })?;
        if clipped {
            self.push(Op::Pop)?;
        }
        Ok(())
    }

    /// A run's style; raised or lowered text is drawn at two thirds of its size.
    pub(super) fn run_style(&self, run: &TextRun, scale: f32) -> Style {
        let shifted = run.baseline != 0.0;
        let size = (run.size * scale).max(1.0);
        Style {
            size: if shifted { size * 2.0 / 3.0 } else { size },
            rise: run.baseline * size,
            bold: run.bold,
            italic: run.italic,
            mono: false,
            underline: run.underline,
            strike: run.strike,
            color: run.color,
            link: run.link.clone(),
            face: Some(self.fonts.face_for(run.font.as_deref(), run.bold, run.italic)),
        }
    }

    /// A line's ascent and descent from the faces and sizes on it; with
    /// `uniform`, 1.0 and 0.2 of its largest size.
    fn line_metrics(&self, line: &LineBox, empty: &Style, uniform: bool) -> (f32, f32) {
        if uniform {
            let size = line.items.iter().filter_map(|(_, p)| if let Piece::Text { style, .. } = p { Some(style.size) } else { None }).fold(0.0, f32::max);
            let size = if size == 0.0 { empty.size } else { size };
            return (size, size * 0.2);
        }
        let mut ascent: f32 = 0.0;
        let mut descent: f32 = 0.0;
        for (_, piece) in &line.items {
            if let Piece::Text { style, .. } = piece {
                let face = self.fonts.face(style.face());
                ascent = ascent.max(face.ascent * style.size);
                descent = descent.max(face.descent * style.size);
            }
        }
        if ascent == 0.0 {
            let face = self.fonts.face(empty.face());
            (face.ascent * empty.size, face.descent * empty.size)
        } else {
            (ascent, descent)
        }
    }

    /// A text body's lines in a box `inner_w` wide, and their height.
    pub(super) fn lay_text(&self, body: &TextBody, inner_w: f32, scale: f32) -> (Vec<PlacedLine>, f32) {
        let mut placed: Vec<PlacedLine> = Vec::new();
        let mut y = 0.0f32;
        for (index, para) in body.paragraphs.iter().enumerate() {
            let empty = self.empty_style(para, scale);
            let first_size = para.runs.first().map_or(empty.size, |r| r.size * scale);
            let spaced = |spacing: Spacing| match spacing {
                Spacing::Points(p) | Spacing::AtLeast(p) => p,
                Spacing::Lines(l) => l * first_size,
            };
            if index > 0 {
                y += spaced(para.space_before) * (1.0 - body.spacing_reduction);
            }
            let bullet = para.bullet.as_ref().map(|b| {
                let run = TextRun { text: b.text.clone(), font: b.font.clone(), size: b.size, color: b.color, ..TextRun::default() };
                let style = self.run_style(&run, scale);
                let width = self.measure(&b.text, &style);
                (b.text.clone(), style, width, b.tab_stops)
            });
            // The first line starts at margin + indent (where a bullet goes);
            // with a hanging indent its text starts at the margin, past the bullet.
            let first_start = para.margin_left + para.indent;
            let first_text = match &bullet {
                Some((_, _, width, _)) if para.indent < 0.0 => para.margin_left.max(first_start + width),
                // The next tab stop after the label (a word processor's).
                Some((_, _, width, Some(stops))) if *stops > 0.0 => ((first_start + width) / stops).floor() * stops + stops,
                Some((_, _, width, Some(_))) => first_start + width,
                Some((_, _, width, None)) => first_start + width + 0.3 * first_size,
                None => first_start,
            };
            let width = if body.wrap { (inner_w - para.margin_left.max(first_text)).max(1.0) } else { f32::MAX / 4.0 };
            let mut pieces = Vec::new();
            for run in &para.runs {
                self.text_pieces(&run.text, &self.run_style(run, scale), &mut pieces);
            }
            let right_to_left = super::strong_direction(&para.runs.iter().map(|r| r.text.as_str()).collect::<String>()) == Some(true);
            let mut bullet = bullet;
            let lines = self.lines(pieces, &empty, width, right_to_left);
            let count = lines.len();
            for (number, mut line) in lines.into_iter().enumerate() {
                let (ascent, descent) = self.line_metrics(&line, &empty, body.uniform_lines);
                let natural = (ascent + descent).max(0.01);
                match para.line_spacing {
                    Spacing::Lines(l) => {
                        line.height = natural * l * (1.0 - body.spacing_reduction);
                        line.ascent = ascent * line.height / natural;
                    }
                    // Extra room goes above the text, as word processors put it.
                    Spacing::Points(p) => {
                        line.height = p;
                        line.ascent = p - descent;
                    }
                    Spacing::AtLeast(p) => {
                        line.height = natural.max(p);
                        line.ascent = line.height - descent;
                    }
                }
                let text_x = if number == 0 { first_text } else { para.margin_left };
                let room = if body.wrap { inner_w - text_x } else { line.width };
                let offset = match para.align {
                    Align::Center => (room - line.width) / 2.0,
                    Align::Right => room - line.width,
                    Align::Left | Align::Justify => 0.0,
                };
                // Justified: every line but the last (and those a line break ends) fills the width.
                if para.align == Align::Justify && body.wrap && number + 1 < count && !line.hard_end {
                    justify(&mut line, room);
                }
                let offset = if body.wrap { offset.max(0.0) } else { offset };
                let height = line.height;
                let mark = if number == 0 { bullet.take().map(|(text, style, _, _)| (first_start, text, style)) } else { None };
                placed.push(PlacedLine { line, x: text_x + offset, top: y, bullet: mark });
                y += height;
            }
            y += spaced(para.space_after) * (1.0 - body.spacing_reduction);
        }
        (placed, y)
    }

    pub(super) fn text_body(&mut self, body: &TextBody, f: Frame) -> Result<()> {
        let [left, top, right, bottom] = body.inset;
        let inner_h = f.height - top - bottom;
        let inner_w = (f.width - left - right).max(1.0);
        let (mut placed, mut y) = self.lay_text(body, inner_w, body.font_scale);
        // Shrink on overflow: 5% smaller at a time, down to a quarter.
        let mut scale = body.font_scale;
        while body.shrink_to_fit && y > inner_h + 0.5 && scale > 0.25 {
            scale = (scale - 0.05).max(0.25);
            (placed, y) = self.lay_text(body, inner_w, scale);
        }
        self.draw_text(body, f, placed, y)
    }

    /// Lines laid out for `body` (`height` tall in all), drawn in the frame
    /// at the body's insets and anchoring.
    fn draw_text(&mut self, body: &TextBody, f: Frame, placed: Vec<PlacedLine>, y: f32) -> Result<()> {
        let [left, top, _, bottom] = body.inset;
        let inner_h = f.height - top - bottom;
        let origin = match body.anchor {
            Anchor::Top => f.y + top,
            Anchor::Middle => f.y + top + (inner_h - y) / 2.0,
            Anchor::Bottom => f.y + f.height - bottom - y,
        };
        let x0 = f.x + left;
        for line in placed {
            let top = origin + line.top;
            self.draw_line(line, x0, top)?;
        }
        Ok(())
    }

    /// A laid-out line (and its bullet) with its top at `top`, from the box's inner left edge `x0`.
    pub(super) fn draw_line(&mut self, placed: PlacedLine, x0: f32, top: f32) -> Result<()> {
        let PlacedLine { line, x, bullet, .. } = placed;
        if let Some((at, text, style)) = bullet {
            self.glyphs(x0 + at, top + line.ascent, &text, &style)?;
        }
        self.y = top;
        self.emit_line(line, x0 + x)
    }

    /// A table: rows as tall as they say or as their one-row cells' text
    /// needs; fills, then text, then borders over both.
    fn table_grid(&mut self, table: &FixedTable, f: Frame) -> Result<()> {
        let mut laid = self.lay_table(table);
        let heights: Vec<f32> = laid.iter().map(|row| row.height).collect();
        self.table_rows(table, &heights, &mut laid, 0..table.rows.len(), f.x, f.y)
    }

    /// The left edge of each column and of the table's end, from `x`.
    fn column_edges(table: &FixedTable, x: f32) -> Vec<f32> {
        let mut xs = vec![x];
        for w in &table.columns {
            xs.push(xs.last().copied().unwrap_or(x) + w);
        }
        xs
    }

    fn span_width(xs: &[f32], cell: &FixedCell) -> f32 {
        let end = (cell.column + cell.columns).min(xs.len() - 1);
        xs[end] - xs[cell.column.min(end)]
    }

    /// Every cell's text laid out once (for the row heights and for
    /// drawing), and each row's height: what it says, or what its one-row
    /// cells' text needs.
    pub(super) fn lay_table(&self, table: &FixedTable) -> Vec<LaidRow> {
        let xs = Self::column_edges(table, 0.0);
        table
            .rows
            .iter()
            .map(|row| {
                let cells: Vec<(Vec<PlacedLine>, f32)> = row
                    .cells
                    .iter()
                    .map(|cell| {
                        let [left, _, right, _] = cell.text.inset;
                        self.lay_text(&cell.text, (Self::span_width(&xs, cell) - left - right).max(1.0), cell.text.font_scale)
                    })
                    .collect();
                let height = row.cells.iter().zip(&cells).filter(|(c, _)| c.rows == 1).fold(row.height, |tallest, (cell, (_, text))| tallest.max(text + cell.text.inset[1] + cell.text.inset[3]));
                LaidRow { height, cells }
            })
            .collect()
    }

    /// Rows `rows` of a table drawn from (`x`, `y`), their laid-out cells
    /// taken from `laid`; `heights` are every row's, so a cell spanning rows
    /// gets their height.
    pub(super) fn table_rows(&mut self, table: &FixedTable, heights: &[f32], laid: &mut [LaidRow], rows: std::ops::Range<usize>, x: f32, y: f32) -> Result<()> {
        let xs = Self::column_edges(table, x);
        let start = rows.start;
        let mut ys = vec![y];
        for h in &heights[start..] {
            ys.push(ys.last().copied().unwrap_or(y) + h);
        }
        let frame_of = |r: usize, cell: &FixedCell| {
            let bottom = ys[(r - start + cell.rows).min(ys.len() - 1)];
            Frame { x: xs[cell.column.min(xs.len() - 1)], y: ys[r - start], width: Self::span_width(&xs, cell), height: bottom - ys[r - start], ..Frame::default() }
        };
        for r in rows.clone() {
            let cells = std::mem::take(&mut laid[r].cells);
            for (cell, (placed, height)) in table.rows[r].cells.iter().zip(cells) {
                let cf = frame_of(r, cell);
                if let Some(color) = cell.fill {
                    self.push(Op::Rect { x: cf.x, y: cf.y, w: cf.width, h: cf.height, color })?;
                }
                self.draw_text(&cell.text, cf, placed, height)?;
            }
        }
        for r in rows {
            for cell in &table.rows[r].cells {
                let cf = frame_of(r, cell);
                let (x1, y1, x2, y2) = (cf.x, cf.y, cf.x + cf.width, cf.y + cf.height);
                let sides = [(x1, y1, x1, y2), (x1, y1, x2, y1), (x2, y1, x2, y2), (x1, y2, x2, y2)];
                for (border, (ax, ay, bx, by)) in cell.borders.iter().zip(sides) {
                    if let Some(stroke) = border {
                        self.push(Op::Line { x1: ax, y1: ay, x2: bx, y2: by, width: stroke.width, color: stroke.color })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// The style of an empty paragraph's line (its end mark's size).
    fn empty_style(&self, para: &TextParagraph, scale: f32) -> Style {
        let run = para.runs.first().cloned().unwrap_or(TextRun { size: para.empty_size, ..TextRun::default() });
        self.run_style(&TextRun { size: if para.runs.is_empty() { para.empty_size } else { run.size }, ..run }, scale)
    }
}

/// Spreads a line's slack over its spaces so it fills `room`.
fn justify(line: &mut LineBox, room: f32) {
    let spaces = line.items.iter().filter(|(_, p)| matches!(p, Piece::Text { space: true, .. })).count();
    let slack = room - line.width;
    if spaces == 0 || slack <= 0.0 || slack > room * 0.5 {
        return;
    }
    let extra = slack / spaces as f32;
    let mut shift = 0.0;
    for (x, piece) in &mut line.items {
        *x += shift;
        if matches!(piece, Piece::Text { space: true, .. }) {
            shift += extra;
        }
    }
    line.width = room;
}

/// A table row laid out: its height and each cell's lines with their height.
pub(super) struct LaidRow {
    pub(super) height: f32,
    cells: Vec<(Vec<PlacedLine>, f32)>,
}

/// A laid-out line of a text box: its x from the box's inner left edge, its
/// top from the text's top, and the bullet before it (x, text, style).
pub(super) struct PlacedLine {
    pub(super) line: LineBox,
    pub(super) x: f32,
    top: f32,
    bullet: Option<(f32, String, Style)>,
}

/// The matrix that turns by `degrees` clockwise and flips about the frame's centre.
fn turn(f: Frame, degrees: f32, flip_h: bool, flip_v: bool) -> [f32; 6] {
    let (cx, cy) = (f.x + f.width / 2.0, f.y + f.height / 2.0);
    let (sin, cos) = degrees.to_radians().sin_cos();
    let (fx, fy) = (if flip_h { -1.0 } else { 1.0 }, if flip_v { -1.0 } else { 1.0 });
    let (a, b, c, d) = (cos * fx, sin * fx, -sin * fy, cos * fy);
    [a, b, c, d, cx - a * cx - c * cy, cy - b * cx - d * cy]
}

fn outline(geometry: &Geometry, f: Frame) -> Outline {
    let (x, y, w, h) = (f.x, f.y, f.width, f.height);
    match geometry {
        Geometry::Rect => Outline::Rect { x, y, w, h },
        Geometry::RoundRect(share) => Outline::RoundRect { x, y, w, h, radius: share * w.min(h) },
        Geometry::Ellipse => Outline::Ellipse { x, y, w, h },
        Geometry::Line => Outline::Polyline { points: vec![(x, y), (x + w, y + h)], closed: false },
        Geometry::Polygon(points) => Outline::Polyline { points: points.iter().map(|(px, py)| (x + px * w, y + py * h)).collect(), closed: true },
        Geometry::Polyline(points) => Outline::Polyline { points: points.iter().map(|(px, py)| (x + px * w, y + py * h)).collect(), closed: false },
    }
}
