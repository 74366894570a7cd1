//! A word processor's [`PageFlow`] set on its own pages: each section on
//! pages of its size within its margins, paragraphs broken into lines with
//! their own fonts, sizes, indents, alignment and spacing (space before a
//! paragraph is left out at the top of a page), lines moved to the next
//! page when they do not fit, tables row by row, pictures at their size
//! (scaled down to the text area), and every page's header and footer with
//! its page number.

use fileconv_core::document::fixed::{Align, FixedTable, FlowBlock, FlowParagraph, FlowSection, Frame, Geometry, Origin, PageFlow, Shape, Spacing, TextBody};
use fileconv_core::Result;

use super::{Engine, Layout, Op, Page};

/// What laying out a page flow keeps between blocks.
#[derive(Default)]
pub(super) struct FlowState {
    /// The space after the last paragraph (taken back when the next one is
    /// of its spacing group).
    last_after: f32,
    /// Where the paragraph being laid out begins (floating shapes anchored
    /// in it are placed from there).
    paragraph_top: f32,
    /// Footnotes cited on the page being laid out, the room they take at
    /// its foot (their rule included), and where they go (left edge, width,
    /// bottom of the text area).
    notes: Vec<FlowParagraph>,
    notes_room: f32,
    notes_area: (f32, f32, f32),
    /// The footer of the page being laid out, drawn when it ends: its
    /// section (whose footer it is), left edge, width and top.
    footer: Option<(FlowSection, f32, f32, f32)>,
}

/// Letter, one-inch margins: a section without a page setup.
const LETTER: (f32, f32) = (612.0, 792.0);
/// Between the text and the footnotes: the room the short rule takes.
const NOTE_SEPARATOR: f32 = 12.0;

impl Engine<'_> {
    /// Lays out a page flow, section by section.
    ///
    /// # Errors
    /// [`fileconv_core::Error::LimitExceeded`] past the page or drawing
    /// limits; cancellation from `checkpoint`.
    pub fn run_paged(mut self, flow: &PageFlow, checkpoint: &dyn Fn() -> Result<()>) -> Result<Layout> {
        self.pages.clear();
        for section in &flow.sections {
            checkpoint()?;
            // A continuous section goes on where the one before ended.
            if !(section.continuous && !self.pages.is_empty()) {
                self.start_page(section, true)?;
            }
            let mut previous = None;
            for (index, block) in section.blocks.iter().enumerate() {
                if index % 32 == 0 {
                    checkpoint()?;
                }
                self.flow_block(block, section, index == 0, previous)?;
                previous = Some(block);
            }
        }
        // Endnotes on pages of their own, in the last section's setup.
        if let Some(last) = flow.sections.last().filter(|_| !flow.endnotes.is_empty()) {
            // (LibreOffice sets them on its endnote page style: no header, no footer.)
            let notes = FlowSection { blocks: flow.endnotes.clone(), ..*section_setup(last) };
            self.start_page(&notes, true)?;
            for (index, block) in notes.blocks.iter().enumerate() {
                self.flow_block(block, &notes, index == 0, index.checked_sub(1).map(|i| &notes.blocks[i]))?;
            }
        }
        self.finish_page()?;
        if self.pages.is_empty() {
            self.pages.push(Page { ops: Vec::new(), size: Some(LETTER) });
        }
        Ok(self.finish())
    }

    fn text_area(section: &FlowSection) -> (f32, f32, f32, f32) {
        let (width, height) = page_size(section);
        let [left, top, right, bottom] = section.margins;
        (left, top, (width - left - right).max(36.0), (height - bottom).max(top + 36.0))
    }

    /// Starts a page of the section (not its first): its header and footer
    /// drawn, the cursor at the top margin.
    fn section_page(&mut self, section: &FlowSection) -> Result<()> {
        self.start_page(section, false)
    }

    fn start_page(&mut self, section: &FlowSection, first: bool) -> Result<()> {
        self.finish_page()?;
        if self.pages.len() >= self.max_pages {
            return Err(fileconv_core::Error::limit("pages", self.max_pages as u64, self.pages.len() as u64 + 1));
        }
        let (width, height) = page_size(section);
        self.pages.push(Page { ops: Vec::new(), size: Some((width, height)) });
        let number = self.pages.len();
        let (left, _, text_width, _) = Self::text_area(section);
        let header = if first { section.first_header.as_ref().unwrap_or(&section.header) } else { &section.header };
        let footer = if first { section.first_footer.as_ref().unwrap_or(&section.footer) } else { &section.footer };
        if !header.is_empty() {
            self.y = section.header_distance;
            self.fixed_blocks(header, left, text_width, number, Some(section))?;
        }
        if !footer.is_empty() {
            let tall = self.blocks_height(footer, text_width, number);
            // The section's page setup and footer, without its body.
            let setup = FlowSection { footer: footer.clone(), ..*section_setup(section) };
            self.flow.footer = Some((setup, left, text_width, height - section.footer_distance - tall));
        }
        self.y = section.margins[1];
        Ok(())
    }

    fn flow_block(&mut self, block: &FlowBlock, section: &FlowSection, first: bool, previous: Option<&FlowBlock>) -> Result<()> {
        let (left, top, width, page_bottom) = Self::text_area(section);
        // Footnotes already on this page take room at its foot.
        let bottom = page_bottom - self.flow.notes_room;
        match block {
            FlowBlock::PageBreak => self.section_page(section)?,
            FlowBlock::Floating { shape, x_from, y_from, align } => self.floating(shape, *x_from, *y_from, *align, section)?,
            FlowBlock::Paragraph(para) => {
                if para.page_break_before && self.y > top + 0.5 {
                    self.section_page(section)?;
                }
                let (lines, before, after) = self.paragraph_lines(para, width, self.pages.len());
                // Next to a paragraph of its spacing group, the space between is left out.
                let grouped = matches!(previous, Some(FlowBlock::Paragraph(p)) if p.spacing_group.is_some() && p.spacing_group == para.spacing_group);
                if grouped {
                    self.y -= self.flow.last_after;
                }
                // Space before a paragraph is left out at a page's top (but for the first).
                if (first || self.y > top + 0.5) && !grouped {
                    self.y += before;
                }
                self.flow.paragraph_top = self.y;
                // Its footnotes go at the foot of the page its first line is on.
                let mut bottom = bottom;
                if !para.notes.is_empty() {
                    let notes: f32 = para.notes.iter().map(|n| self.note_height(n, width)).sum();
                    let first_line = lines.first().map_or(0.0, |l| l.line.height);
                    if self.y + first_line + notes + NOTE_SEPARATOR > bottom + 0.01 && self.y > top + 0.5 {
                        self.section_page(section)?;
                    }
                    if self.flow.notes.is_empty() {
                        self.flow.notes_room = NOTE_SEPARATOR;
                    }
                    self.flow.notes.extend(para.notes.iter().cloned());
                    self.flow.notes_room += notes;
                    self.flow.notes_area = (left, width, page_bottom);
                    bottom = page_bottom - self.flow.notes_room;
                }
                for line in lines {
                    if self.y + line.line.height > bottom + 0.01 && self.y > top + 0.5 {
                        self.section_page(section)?;
                        bottom = page_bottom;
                    }
                    let y = self.y;
                    self.draw_line(line, left, y)?;
                }
                self.y += after;
                self.flow.last_after = after;
            }
            FlowBlock::Table { table, indent } => {
                let table = &fit_columns(table, width - indent);
                let mut laid = self.lay_table(table);
                let heights: Vec<f32> = laid.iter().map(|row| row.height).collect();
                for (row, height) in heights.iter().enumerate() {
                    if self.y + height > bottom + 0.01 && self.y > top + 0.5 {
                        self.section_page(section)?;
                    }
                    let y = self.y;
                    self.table_rows(table, &heights, &mut laid, row..row + 1, left + indent, y)?;
                    self.y = y + height;
                }
            }
            FlowBlock::Picture { picture, width: w, height: h, align } => {
                let scale = (width / w.max(0.01)).min((bottom - top) / h.max(0.01)).min(1.0);
                let (w, h) = (w * scale, h * scale);
                if self.y + h > bottom + 0.01 && self.y > top + 0.5 {
                    self.section_page(section)?;
                }
                let x = match align {
                    Align::Center => left + (width - w) / 2.0,
                    Align::Right => left + width - w,
                    _ => left,
                };
                let frame = Frame { x, y: self.y, width: w, height: h, ..Frame::default() };
                self.picture(picture, frame, &Geometry::Rect)?;
                self.y += h;
            }
        }
        Ok(())
    }

    fn note_height(&self, note: &FlowParagraph, width: f32) -> f32 {
        let (lines, before, after) = self.paragraph_lines(note, width, self.pages.len());
        before + after + lines.iter().map(|l| l.line.height).sum::<f32>()
    }

    /// Ends the page being laid out: its footnotes, then its footer (last,
    /// so text is read in the order a person reads the page).
    fn finish_page(&mut self) -> Result<()> {
        self.flush_notes()?;
        if let Some((section, left, width, top)) = self.flow.footer.take() {
            self.y = top;
            self.fixed_blocks(&section.footer, left, width, self.pages.len(), Some(&section))?;
        }
        Ok(())
    }

    /// Draws the page's footnotes at its foot, under a short rule.
    fn flush_notes(&mut self) -> Result<()> {
        if self.flow.notes.is_empty() || self.pages.is_empty() {
            return Ok(());
        }
        let (left, width, bottom) = self.flow.notes_area;
        let top = bottom - std::mem::take(&mut self.flow.notes_room);
        let rule = top + NOTE_SEPARATOR / 2.0;
        self.push(Op::Line { x1: left, y1: rule, x2: left + width / 3.0, y2: rule, width: 0.5, color: (0, 0, 0) })?;
        self.y = top + NOTE_SEPARATOR;
        let notes: Vec<FlowBlock> = std::mem::take(&mut self.flow.notes).into_iter().map(FlowBlock::Paragraph).collect();
        self.fixed_blocks(&notes, left, width, self.pages.len(), None)
    }

    /// A paragraph's lines at `width`, with its space before and after;
    /// page-number fields read `page`.
    fn paragraph_lines(&self, para: &FlowParagraph, width: f32, page: usize) -> (Vec<super::fixed::PlacedLine>, f32, f32) {
        let mut text = para.text.clone();
        for run in text.runs.iter_mut().filter(|r| r.page_number) {
            run.text = page.to_string();
        }
        let size = text.runs.first().map_or(text.empty_size, |r| r.size);
        let spaced = |s: Spacing| match s {
            Spacing::Points(p) | Spacing::AtLeast(p) => p,
            Spacing::Lines(l) => l * size,
        };
        let (before, after) = (spaced(text.space_before), spaced(text.space_after));
        let body = TextBody { paragraphs: vec![text], inset: [0.0; 4], ..TextBody::default() };
        let (lines, _) = self.lay_text(&body, (width - para.margin_right).max(1.0), 1.0);
        (lines, before, after)
    }

    /// Header, footer or footnote blocks from the cursor, not paginated;
    /// floating shapes among them are placed on `section`'s page.
    fn fixed_blocks(&mut self, blocks: &[FlowBlock], left: f32, width: f32, page: usize, section: Option<&FlowSection>) -> Result<()> {
        for block in blocks {
            match block {
                FlowBlock::Paragraph(para) => {
                    let (lines, before, after) = self.paragraph_lines(para, width, page);
                    self.y += before;
                    for line in lines {
                        let y = self.y;
                        self.draw_line(line, left, y)?;
                    }
                    self.y += after;
                }
                FlowBlock::Table { table, indent } => {
                    let table = &fit_columns(table, width - indent);
                    let mut laid = self.lay_table(table);
                    let heights: Vec<f32> = laid.iter().map(|row| row.height).collect();
                    let y = self.y;
                    self.table_rows(table, &heights, &mut laid, 0..table.rows.len(), left + indent, y)?;
                    self.y = y + heights.iter().sum::<f32>();
                }
                FlowBlock::Picture { picture, width: w, height: h, align } => {
                    let x = match align {
                        Align::Center => left + (width - w) / 2.0,
                        Align::Right => left + width - w,
                        _ => left,
                    };
                    let frame = Frame { x, y: self.y, width: *w, height: *h, ..Frame::default() };
                    self.picture(picture, frame, &Geometry::Rect)?;
                    self.y += h;
                }
                FlowBlock::Floating { shape, x_from, y_from, align } => {
                    if let Some(section) = section {
                        self.flow.paragraph_top = self.y;
                        self.floating(shape, *x_from, *y_from, *align, section)?;
                    }
                }
                FlowBlock::PageBreak => {}
            }
        }
        Ok(())
    }

    /// A floating shape on the current page, placed from its origin.
    fn floating(&mut self, shape: &Shape, x_from: Origin, y_from: Origin, align: Option<Align>, section: &FlowSection) -> Result<()> {
        let (width, _) = page_size(section);
        let [left, top, right, _] = section.margins;
        let (x0, room) = match x_from {
            Origin::Page => (0.0, width),
            Origin::Margin | Origin::Paragraph => (left, width - left - right),
        };
        let y0 = match y_from {
            Origin::Page => 0.0,
            Origin::Margin => top,
            Origin::Paragraph => self.flow.paragraph_top,
        };
        let mut placed = shape.clone();
        placed.frame.x = match align {
            Some(Align::Center) => x0 + (room - shape.frame.width) / 2.0,
            Some(Align::Right) => x0 + room - shape.frame.width,
            _ => x0 + shape.frame.x,
        };
        placed.frame.y = y0 + shape.frame.y;
        let saved = self.y;
        self.placed_shape(&placed)?;
        self.y = saved;
        Ok(())
    }

    fn blocks_height(&self, blocks: &[FlowBlock], width: f32, page: usize) -> f32 {
        blocks
            .iter()
            .map(|block| match block {
                FlowBlock::Paragraph(para) => {
                    let (lines, before, after) = self.paragraph_lines(para, width, page);
                    before + after + lines.iter().map(|l| l.line.height).sum::<f32>()
                }
                FlowBlock::Table { table, indent } => self.lay_table(&fit_columns(table, width - indent)).iter().map(|row| row.height).sum(),
                FlowBlock::Picture { height, .. } => *height,
                FlowBlock::Floating { .. } | FlowBlock::PageBreak => 0.0,
            })
            .sum()
    }
}

fn page_size(section: &FlowSection) -> (f32, f32) {
    if section.width >= 36.0 && section.height >= 36.0 && section.width.is_finite() && section.height.is_finite() {
        (section.width.min(14_400.0), section.height.min(14_400.0))
    } else {
        LETTER
    }
}

/// A table whose grid gives no widths (or fewer columns than its rows
/// use) shares `width` equally between its columns.
fn fit_columns(table: &FixedTable, width: f32) -> std::borrow::Cow<'_, FixedTable> {
    let used = table.rows.iter().map(|r| r.cells.iter().map(|c| c.column + c.columns).max().unwrap_or(0)).max().unwrap_or(0);
    if table.columns.iter().sum::<f32>() >= 1.0 && table.columns.len() >= used {
        return std::borrow::Cow::Borrowed(table);
    }
    let count = used.max(table.columns.len()).max(1);
    let mut fitted = table.clone();
    fitted.columns = vec![width.max(36.0) / count as f32; count];
    std::borrow::Cow::Owned(fitted)
}

/// A section's page setup alone (its blocks left empty), to copy from.
fn section_setup(section: &FlowSection) -> Box<FlowSection> {
    Box::new(FlowSection {
        width: section.width,
        height: section.height,
        margins: section.margins,
        header_distance: section.header_distance,
        footer_distance: section.footer_distance,
        header: Vec::new(),
        footer: Vec::new(),
        first_header: None,
        first_footer: None,
        continuous: false,
        blocks: Vec::new(),
    })
}
