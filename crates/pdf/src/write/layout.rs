//! Lays a [`Document`] out on pages: text measured with the fonts' own
//! advances and broken into lines (where UAX #14 allows: at spaces, after
//! hyphens, between CJK ideographs...; inside a word only when it is wider
//! than the line),
//! paginated line by line; headings kept with what follows; lists indented
//! with their markers; code on a shaded band; quotes with a bar; tables
//! with columns fitted to the width, borders, and header rows repeated on
//! every page the table continues on; images scaled to fit. The result is
//! a list of drawing operations per page, which [`super::render`] hands to krilla.

use fileconv_core::{Block, Document, Image, Inline, Result, Run, TableBlock};

use crate::fonts::FontSet;

mod fixed;
mod grid;
mod paged;

/// Page size and margins in points.
#[derive(Clone, Copy, Debug)]
pub struct PageSetup {
    pub width: f32,
    pub height: f32,
    pub margin: f32,
}

pub type Rgb = (u8, u8, u8);

const BLACK: Rgb = (0, 0, 0);
const LINK: Rgb = (0x1a, 0x4f, 0xc4);
const BODY_SIZE: f32 = 11.0;
const CODE_SIZE: f32 = 9.0;
const TABLE_SIZE: f32 = 10.0;
const LINE_SPACING: f32 = 1.3;
const HEADING_SIZES: [f32; 6] = [20.0, 16.0, 14.0, 12.0, 11.0, 11.0];
const INDENT: f32 = 20.0;
const CELL_PAD: f32 = 4.0;

pub use crate::fonts::ShapedGlyph;

/// Where the glyph run last drawn ends (x), and whether it may take more
/// words (it holds no right-to-left text): kept as runs are drawn so that
/// joining a line's words measures and scans each word once.
#[derive(Clone, Copy)]
struct OpenRun {
    end: f32,
    joinable: bool,
}

impl OpenRun {
    fn of(op: &Op) -> Option<OpenRun> {
        let Op::Glyphs { x, size, glyphs, text, .. } = op else { return None };
        Some(OpenRun { end: *x + glyphs.iter().map(|g| g.advance).sum::<f32>() * *size, joinable: !text.chars().any(crate::fonts::is_right_to_left) })
    }
}

/// Appends the glyphs of `next` to `last` (which ends at `end`) when they
/// continue its line in the same face, size and colour (the words of a
/// line): one text object instead of one per word, which is most of a
/// page's drawing and compressing. The gap between them becomes a space
/// glyph that wide, so text extracts with its spaces.
fn join_glyphs(last: &mut Op, next: &Op, end: f32, fonts: &FontSet) -> bool {
    let (Op::Glyphs { y, face, size, glyphs, text, color, .. }, Op::Glyphs { x: next_x, y: next_y, face: next_face, size: next_size, glyphs: next_glyphs, text: next_text, color: next_color }) =
        (last, next)
    else {
        return false;
    };
    if (*y, *face, *size, *color) != (*next_y, *next_face, *next_size, *next_color) || *size <= 0.0 {
        return false;
    }
    let gap = *next_x - end;
    if !(-0.01..=*size * 8.0).contains(&gap) {
        return false;
    }
    if gap > 0.01 {
        let Some((space, _)) = fonts.face(*face).glyph(' ') else { return false };
        glyphs.push(ShapedGlyph { id: space, advance: gap / *size, x_offset: 0.0, y_offset: 0.0, text: text.len()..text.len() + 1 });
        text.push(' ');
    }
    let offset = text.len();
    glyphs.extend(next_glyphs.iter().map(|g| ShapedGlyph { text: g.text.start + offset..g.text.end + offset, ..g.clone() }));
    text.push_str(next_text);
    true
}

/// One drawing operation; coordinates in points from the page's top left.
#[derive(Clone, Debug)]
pub enum Op {
    /// Shaped glyphs of one face from `x` on the baseline `y`, in drawing order.
    Glyphs { x: f32, y: f32, face: usize, size: f32, glyphs: Vec<ShapedGlyph>, text: String, color: Rgb },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32, color: Rgb },
    Rect { x: f32, y: f32, w: f32, h: f32, color: Rgb },
    /// An image file's bytes, drawn into the box.
    Image { x: f32, y: f32, w: f32, h: f32, data: std::sync::Arc<Vec<u8>> },
    Link { x: f32, y: f32, w: f32, h: f32, uri: String },
    /// A closed outline (or an open line) filled and stroked.
    Shape { outline: Outline, fill: Option<Rgb>, stroke: Option<(Rgb, f32)> },
    /// A closed outline filled with a gradient laid across `frame` (x, y, width, height).
    Gradient { outline: Outline, frame: [f32; 4], gradient: fileconv_core::document::fixed::Gradient },
    /// What follows, up to the matching [`Op::Pop`], drawn through this
    /// matrix (x' = a x + c y + e, y' = b x + d y + f).
    PushTransform([f32; 6]),
    /// What follows, up to the matching [`Op::Pop`], clipped to the outline.
    PushClip(Outline),
    Pop,
}

/// The outline of an [`Op::Shape`].
#[derive(Clone, Debug)]
pub enum Outline {
    Rect { x: f32, y: f32, w: f32, h: f32 },
    RoundRect { x: f32, y: f32, w: f32, h: f32, radius: f32 },
    Ellipse { x: f32, y: f32, w: f32, h: f32 },
    Polyline { points: Vec<(f32, f32)>, closed: bool },
}

#[derive(Default)]
pub struct Page {
    pub ops: Vec<Op>,
    /// Width and height in points when the page has its own (slides);
    /// `None`: the layout's page setup.
    pub size: Option<(f32, f32)>,
}

/// A heading for the PDF's outline: level, text, page, y.
pub struct Bookmark {
    pub level: u8,
    pub title: String,
    pub page: usize,
    pub y: f32,
}

/// The pages laid out so far. With a sink ([`Engine::drawing_to`]) every
/// page but the one being laid out goes to it as soon as the next starts:
/// no page is changed once another follows it, so the writer draws a page
/// while the next is laid out.
struct PageList<'f> {
    pages: Vec<Page>,
    sent: usize,
    sink: Option<Box<dyn FnMut(Page) + 'f>>,
}

impl<'f> PageList<'f> {
    fn new(pages: Vec<Page>) -> Self {
        PageList { pages, sent: 0, sink: None }
    }

    /// Pages so far, those sent included.
    fn len(&self) -> usize {
        self.sent + self.pages.len()
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push(&mut self, page: Page) {
        self.send_all();
        self.pages.push(page);
    }

    fn last_mut(&mut self) -> Option<&mut Page> {
        self.pages.last_mut()
    }

    /// Starts over (a layout's first step; nothing is sent before it).
    fn clear(&mut self) {
        debug_assert_eq!(self.sent, 0, "pages were sent before the layout started");
        self.pages.clear();
    }

    fn send_all(&mut self) {
        if let Some(sink) = &mut self.sink {
            for page in self.pages.drain(..) {
                self.sent += 1;
                sink(page);
            }
        }
    }

    /// The pages not sent: all of them without a sink, none with one.
    fn finish(mut self) -> Vec<Page> {
        self.send_all();
        self.pages
    }
}

pub struct Layout {
    /// The pages, unless they went to the writer as they were laid out.
    pub pages: Vec<Page>,
    /// Drawing operations on all pages, sent or not.
    pub ops: usize,
    pub bookmarks: Vec<Bookmark>,
    /// Characters no installed font draws (shown as empty boxes), and how many times.
    pub missing_glyphs: std::collections::BTreeMap<char, usize>,
    /// Pictures left out because PDF cannot embed their format.
    pub unsupported_pictures: usize,
}

/// The look of a run of text.
#[derive(Clone, Debug, PartialEq)]
struct Style {
    size: f32,
    bold: bool,
    italic: bool,
    mono: bool,
    underline: bool,
    strike: bool,
    color: Rgb,
    link: Option<String>,
    /// The face, when the text names its family (slides); else the
    /// DejaVu face of `bold`, `italic`, `mono`.
    face: Option<usize>,
    /// Points above the baseline (superscript) or below (negative).
    rise: f32,
}

impl Style {
    fn body(size: f32) -> Self {
        Style { size, bold: false, italic: false, mono: false, underline: false, strike: false, color: BLACK, link: None, face: None, rise: 0.0 }
    }

    fn face(&self) -> usize {
        self.face.unwrap_or_else(|| FontSet::styled(self.bold, self.italic, self.mono))
    }

    fn with_run(&self, run: &Run) -> Self {
        Style {
            size: if run.code && !self.mono { self.size * 0.92 } else { self.size },
            bold: self.bold || run.bold,
            italic: self.italic || run.italic,
            mono: self.mono || run.code,
            underline: self.underline || run.underline || run.link.is_some(),
            strike: self.strike || run.strike,
            color: if run.link.is_some() { LINK } else { self.color },
            link: run.link.clone().or_else(|| self.link.clone()),
            face: None,
            rise: 0.0,
        }
    }
}

/// A piece of a line: text that is never broken (a word, a space, a CJK
/// character), or an image.
#[derive(Clone, Debug)]
enum Piece {
    /// `joined`: no line may break before it (a word that runs on from
    /// the piece before, in another style).
    Text { text: String, style: Style, width: f32, space: bool, joined: bool },
    Image { data: std::sync::Arc<Vec<u8>>, w: f32, h: f32, link: Option<String> },
    Break,
}

/// A laid-out line: pieces with their x offsets, and its height and ascent.
#[derive(Debug, Default)]
struct LineBox {
    items: Vec<(f32, Piece)>,
    width: f32,
    height: f32,
    ascent: f32,
    /// Ended by a line break, not by the width.
    hard_end: bool,
}

pub struct Engine<'f> {
    fonts: &'f FontSet,
    setup: PageSetup,
    pages: PageList<'f>,
    bookmarks: Vec<Bookmark>,
    y: f32,
    /// Left bars of the quotes the cursor is in: their x.
    quote_bars: Vec<f32>,
    ops_budget: usize,
    max_ops: usize,
    max_pages: usize,
    missing_glyphs: std::collections::BTreeMap<char, usize>,
    /// Pictures of placed pages in formats PDF cannot embed (EMF, WMF, TIFF, BMP).
    unsupported_pictures: usize,
    /// What laying out a page flow keeps between blocks.
    flow: paged::FlowState,
    /// The glyph run last pushed, when it was the last operation.
    open_run: Option<OpenRun>,
    /// Words shaped so far, by face: a word is measured when lines are
    /// broken and drawn after, and most words come back many times.
    /// By face, then by text (looked up without allocating).
    shaped: std::cell::RefCell<Vec<std::collections::HashMap<String, std::rc::Rc<Vec<crate::fonts::ShapedRun>>>>>,
}

/// Shaped words kept at most per face; the cache starts over past it.
const SHAPED_CACHE: usize = 20_000;

/// Bounds of one layout: drawing operations (what the laid-out pages hold
/// in memory) and pages.
#[derive(Clone, Copy, Debug)]
pub struct LayoutLimits {
    pub max_ops: usize,
    pub max_pages: usize,
}

impl LayoutLimits {
    /// The bounds for a conversion with `memory_left` bytes of its budget
    /// and `max_pages` pages.
    pub fn new(memory_left: u64, max_pages: u32) -> Self {
        let by_memory = usize::try_from(memory_left / OP_BYTES).unwrap_or(usize::MAX);
        LayoutLimits { max_ops: by_memory.min(MAX_OPS), max_pages: max_pages as usize }
    }

    /// The memory `ops` drawing operations are taken to hold.
    pub fn op_memory(ops: usize) -> u64 {
        ops as u64 * OP_BYTES
    }
}

/// At most this many drawing operations (a bound on output and memory).
const MAX_OPS: usize = 20_000_000;
/// What one drawing operation holds, with its glyphs and text, on average
/// or more (a table cell's word: a glyph run of a few glyphs).
const OP_BYTES: u64 = std::mem::size_of::<Op>() as u64 + 64;

impl<'f> Engine<'f> {
    pub fn new(fonts: &'f FontSet, setup: PageSetup, limits: LayoutLimits) -> Self {
        Engine {
            fonts,
            setup,
            pages: PageList::new(vec![Page::default()]),
            bookmarks: Vec::new(),
            y: setup.margin,
            quote_bars: Vec::new(),
            ops_budget: limits.max_ops,
            max_ops: limits.max_ops,
            max_pages: limits.max_pages,
            missing_glyphs: std::collections::BTreeMap::new(),
            unsupported_pictures: 0,
            flow: paged::FlowState::default(),
            open_run: None,
            shaped: Default::default(),
        }
    }

    /// Hands every finished page to `sink` as the layout goes (the
    /// [`Layout`] then holds none).
    #[must_use]
    pub fn drawing_to(mut self, sink: impl FnMut(Page) + 'f) -> Self {
        self.pages.sink = Some(Box::new(sink));
        self
    }

    /// What the layout made (the pages not sent, if any).
    fn finish(self) -> Layout {
        Layout { pages: self.pages.finish(), ops: self.max_ops - self.ops_budget, bookmarks: self.bookmarks, missing_glyphs: self.missing_glyphs, unsupported_pictures: self.unsupported_pictures }
    }

    /// `text` shaped in `face`, from the cache when it was shaped before.
    fn shape(&self, face: usize, text: &str) -> std::rc::Rc<Vec<crate::fonts::ShapedRun>> {
        let mut cache = self.shaped.borrow_mut();
        if cache.len() <= face {
            cache.resize_with(face + 1, Default::default);
        }
        let words = &mut cache[face];
        if let Some(runs) = words.get(text) {
            return runs.clone();
        }
        if words.len() >= SHAPED_CACHE {
            words.clear();
        }
        let runs = std::rc::Rc::new(self.fonts.shape(face, text));
        words.insert(text.to_string(), runs.clone());
        runs
    }


    fn left(&self) -> f32 {
        self.setup.margin
    }

    fn content_width(&self) -> f32 {
        self.setup.width - 2.0 * self.setup.margin
    }

    fn bottom(&self) -> f32 {
        self.setup.height - self.setup.margin
    }

    fn push(&mut self, op: Op) -> Result<()> {
        if self.ops_budget == 0 {
            return Err(fileconv_core::Error::limit("PDF drawing operations (bounded by the memory budget)", self.max_ops as u64, self.max_ops as u64 + 1));
        }
        if self.pages.len() > self.max_pages {
            return Err(fileconv_core::Error::limit("pages", self.max_pages as u64, self.pages.len() as u64));
        }
        let page = self.pages.last_mut().expect("a page");
        let run = OpenRun::of(&op);
        // Right-to-left text is left as it is, on either side.
        if let (Some(last @ Op::Glyphs { .. }), Some(open), Some(next)) = (page.ops.last_mut(), self.open_run, run) {
            if open.joinable && next.joinable && join_glyphs(last, &op, open.end, self.fonts) {
                self.open_run = run;
                return Ok(());
            }
        }
        self.open_run = run;
        self.ops_budget -= 1;
        page.ops.push(op);
        Ok(())
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = self.setup.margin;
    }

    /// Starts a new page unless `height` fits below the cursor (or the page is empty).
    fn ensure(&mut self, height: f32) {
        if self.y + height > self.bottom() && self.y > self.setup.margin + 0.5 {
            self.new_page();
        }
    }

    /// Lays out the whole document.
    ///
    /// # Errors
    /// [`fileconv_core::Error::LimitExceeded`] past the drawing-operation limit;
    /// cancellation from `checkpoint`.
    pub fn run(mut self, doc: &Document, checkpoint: &dyn Fn() -> Result<()>) -> Result<Layout> {
        if let Some(title) = &doc.title {
            let style = Style { bold: true, ..Style::body(22.0) };
            self.paragraph(&[Inline::Text(Run::plain(title.clone()))], &style, self.left(), self.content_width(), true)?;
            self.y += 4.0;
        }
        if let Some(author) = &doc.author {
            self.paragraph(&[Inline::Text(Run::plain(author.clone()))], &Style::body(12.0), self.left(), self.content_width(), true)?;
        }
        if doc.title.is_some() || doc.author.is_some() {
            self.y += 12.0;
        }
        let (x, width) = (self.left(), self.content_width());
        for (i, block) in doc.blocks.iter().enumerate() {
            if i % 64 == 0 {
                checkpoint()?;
            }
            let next = doc.blocks.get(i + 1);
            self.block(block, next, x, width, checkpoint)?;
        }
        if self.pages.len() > self.max_pages {
            return Err(fileconv_core::Error::limit("pages", self.max_pages as u64, self.pages.len() as u64));
        }
        Ok(self.finish())
    }

    fn block(&mut self, block: &Block, next: Option<&Block>, x: f32, width: f32, checkpoint: &dyn Fn() -> Result<()>) -> Result<()> {
        match block {
            Block::Heading { level, content } => {
                let level = (*level).clamp(1, 6);
                let size = HEADING_SIZES[usize::from(level) - 1];
                let style = Style { bold: true, ..Style::body(size) };
                self.y += if level <= 2 { 12.0 } else { 8.0 };
                // Kept with the start of what follows.
                let lines = self.break_lines(content, &style, width);
                let own: f32 = lines.iter().map(|l| l.height).sum();
                let follow = if next.is_some() { BODY_SIZE * LINE_SPACING * 2.0 } else { 0.0 };
                self.ensure(own + follow);
                self.bookmarks.push(Bookmark { level, title: fileconv_core::document::plain_text(content), page: self.pages.len() - 1, y: self.y });
                for line in lines {
                    self.emit_line(line, x)?;
                }
                self.y += 4.0;
            }
            Block::Paragraph(content) => {
                self.paragraph(content, &Style::body(BODY_SIZE), x, width, false)?;
                self.y += 6.0;
            }
            Block::List { numbering, start, items } => {
                for (n, item) in items.iter().enumerate() {
                    let marker = numbering.label(start.saturating_add(n as u64)).map_or_else(|| "•".to_string(), |label| format!("{label}."));
                    let style = Style::body(BODY_SIZE);
                    let marker_line = self.break_lines(&[Inline::Text(Run::plain(marker))], &style, INDENT * 3.0);
                    let marker_width = marker_line.first().map_or(0.0, |l| l.width);
                    let first_height = marker_line.first().map_or(0.0, |l| l.height);
                    self.ensure(first_height);
                    // The marker beside the item's first line, drawn first.
                    if let Some(line) = marker_line.into_iter().next() {
                        let top = self.y;
                        self.emit_line(line, x + INDENT - 5.0 - marker_width)?;
                        self.y = top;
                    }
                    for (i, child) in item.iter().enumerate() {
                        self.block(child, item.get(i + 1), x + INDENT, width - INDENT, checkpoint)?;
                    }
                    if item.is_empty() {
                        self.y += first_height;
                    }
                }
            }
            Block::Table(table) => {
                self.table(table, x, width, checkpoint)?;
                self.y += 8.0;
            }
            Block::Image(image) => {
                if let Some((data, w, h)) = self.image_box(image, width) {
                    self.ensure(h);
                    self.push(Op::Image { x, y: self.y, w, h, data })?;
                    self.y += h + 6.0;
                } else {
                    let text = if image.alt.is_empty() { image.src.clone() } else { image.alt.clone() };
                    self.paragraph(&[Inline::Text(Run::plain(format!("[{text}]")))], &Style::body(BODY_SIZE), x, width, false)?;
                }
            }
            Block::CodeBlock { text, .. } => {
                let style = Style { mono: true, ..Style::body(CODE_SIZE) };
                self.y += 2.0;
                for line in text.trim_end_matches('\n').split('\n') {
                    let inlines = [Inline::Text(Run::plain(line.replace('\t', "    ")))];
                    let mut lines = self.break_lines(&inlines, &style, width - 8.0);
                    if lines.is_empty() {
                        lines.push(LineBox { height: CODE_SIZE * LINE_SPACING, ascent: CODE_SIZE, ..LineBox::default() });
                    }
                    for l in lines {
                        self.ensure(l.height);
                        self.push(Op::Rect { x, y: self.y, w: width, h: l.height, color: (0xf3, 0xf3, 0xf3) })?;
                        self.emit_line(l, x + 4.0)?;
                    }
                }
                self.y += 8.0;
            }
            Block::Quote(inner) => {
                self.quote_bars.push(x + 2.0);
                for (i, child) in inner.iter().enumerate() {
                    self.block(child, inner.get(i + 1), x + 14.0, width - 14.0, checkpoint)?;
                }
                self.quote_bars.pop();
            }
            Block::Rule => {
                self.ensure(12.0);
                self.y += 6.0;
                self.push(Op::Line { x1: x, y1: self.y, x2: x + width, y2: self.y, width: 0.75, color: (0x99, 0x99, 0x99) })?;
                self.y += 8.0;
            }
            Block::PageBreak => self.new_page(),
        }
        Ok(())
    }

    fn paragraph(&mut self, content: &[Inline], style: &Style, x: f32, width: f32, centered: bool) -> Result<()> {
        let lines = self.break_lines(content, style, width);
        let right_to_left = base_is_right_to_left(content);
        for mut line in lines {
            let offset = if centered {
                ((width - line.width) / 2.0).max(0.0)
            } else if right_to_left {
                (width - line.width).max(0.0)
            } else {
                0.0
            };
            for item in &mut line.items {
                item.0 += offset;
            }
            self.ensure(line.height);
            self.emit_line(line, x)?;
        }
        Ok(())
    }

    /// The image's bytes and its box: 96 dpi, scaled down to `width` and the page's height.
    fn image_box(&self, image: &Image, width: f32) -> Option<(std::sync::Arc<Vec<u8>>, f32, f32)> {
        let data = image.data.as_ref()?;
        let (w, h) = crate::write::image_size(data)?;
        let (mut w, mut h) = (w as f32 * 0.75, h as f32 * 0.75);
        let max_h = self.bottom() - self.setup.margin;
        let scale = (width / w).min(max_h / h).min(1.0);
        w *= scale;
        h *= scale;
        Some((std::sync::Arc::new(data.clone()), w, h))
    }

    /// The width of `text` in `style`, shaped.
    fn measure(&self, text: &str, style: &Style) -> f32 {
        self.shape(style.face(), text).iter().map(|run| run.width).sum::<f32>() * style.size
    }

    /// Cuts inlines into unbreakable pieces.
    fn pieces(&self, content: &[Inline], base: &Style, width: f32) -> Vec<Piece> {
        let mut pieces = Vec::new();
        for inline in content {
            match inline {
                Inline::Text(run) => self.text_pieces(&run.text, &base.with_run(run), &mut pieces),
                Inline::Break => pieces.push(Piece::Break),
                Inline::Image(image) => match self.image_box(image, width) {
                    Some((data, w, h)) => pieces.push(Piece::Image { data, w, h, link: None }),
                    None => {
                        let text = format!("[{}]", if image.alt.is_empty() { &image.src } else { &image.alt });
                        pieces.push(Piece::Text { width: self.measure(&text, base), text, style: base.clone(), space: false, joined: false });
                    }
                },
            }
        }
        pieces
    }

    /// Text of one style cut into pieces at the line-break opportunities
    /// of UAX #14 (after spaces and hyphens, between ideographs, after a
    /// closing bracket before a sign...): words, spaces (a tab is four),
    /// and breaks at `\n`. A word that runs on from the piece before (text
    /// in another style with no opportunity between) is marked joined.
    fn text_pieces(&self, text: &str, style: &Style, pieces: &mut Vec<Piece>) {
        let before = match pieces.last() {
            Some(Piece::Text { text, space: false, .. }) => text.chars().last(),
            _ => None,
        };
        let mut joined = match (before, text.chars().next()) {
            (Some(last), Some(first)) if !first.is_whitespace() => {
                let mut pair = [0u8; 8];
                let split = last.encode_utf8(&mut pair).len();
                let end = split + first.encode_utf8(&mut pair[split..]).len();
                let text = std::str::from_utf8(&pair[..end]).expect("two encoded chars");
                let breaks = unicode_linebreak::linebreaks(text).any(|(at, _)| at == split);
                !breaks
            }
            _ => false,
        };
        let mut start = 0;
        for (at, _) in unicode_linebreak::linebreaks(text) {
            let segment = &text[start..at];
            start = at;
            // A segment is a word and the spaces or line break after it.
            let word_end = segment.trim_end_matches(|c: char| c.is_whitespace() && c != '\u{a0}' && c != '\u{202f}').len();
            let (word, tail) = segment.split_at(word_end);
            if !word.is_empty() {
                pieces.push(Piece::Text { width: self.measure(word, style), text: word.to_string(), style: style.clone(), space: false, joined });
            }
            joined = false;
            for c in tail.chars() {
                match c {
                    '\r' => {}
                    '\n' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => pieces.push(Piece::Break),
                    c => {
                        let text = if c == '\t' { "    " } else { " " };
                        pieces.push(Piece::Text { width: self.measure(text, style), text: text.to_string(), style: style.clone(), space: true, joined: false });
                    }
                }
            }
        }
    }

    /// Breaks inlines into lines no wider than `width`.
    fn break_lines(&self, content: &[Inline], style: &Style, width: f32) -> Vec<LineBox> {
        self.lines(self.pieces(content, style, width), style, width, base_is_right_to_left(content))
    }

    /// Puts pieces on lines no wider than `width`; `style` gives an empty line its height.
    fn lines(&self, pieces: Vec<Piece>, style: &Style, width: f32, right_to_left: bool) -> Vec<LineBox> {
        let width = width.max(20.0);
        let mut lines = Vec::new();
        let mut line = LineBox::default();
        let finish = |line: &mut LineBox, lines: &mut Vec<LineBox>| {
            // Spaces at the end of a line take no room.
            while matches!(line.items.last(), Some((_, Piece::Text { space: true, .. }))) {
                line.items.pop();
            }
            visual_order(line, right_to_left);
            line.width = line.items.last().map_or(0.0, |(x, p)| x + piece_width(p));
            if line.height == 0.0 {
                line.height = style.size * LINE_SPACING;
                line.ascent = style.size;
            }
            lines.push(std::mem::take(line));
        };
        let mut x = 0.0f32;
        // Spaces that start a line are dropped after a wrap, kept after a
        // line break (indented code).
        let mut wrapped = false;
        for piece in pieces {
            match &piece {
                Piece::Break => {
                    line.hard_end = true;
                    finish(&mut line, &mut lines);
                    x = 0.0;
                    wrapped = false;
                    continue;
                }
                Piece::Text { space: true, .. } if line.items.is_empty() && wrapped => continue,
                _ => {}
            }
            let w = piece_width(&piece);
            // A hair of slack: a column sized to its widest word must hold it.
            if x + w > width + 0.01 && !line.items.is_empty() && !matches!(piece, Piece::Text { space: true, .. }) {
                // A word in several styles moves to the next line whole.
                let mut carried = Vec::new();
                if matches!(piece, Piece::Text { joined: true, .. }) {
                    let start = line.items.iter().rposition(|(_, p)| !matches!(p, Piece::Text { joined: true, .. })).unwrap_or(0);
                    if start > 0 && !matches!(line.items[start].1, Piece::Text { space: true, .. }) {
                        carried = line.items.split_off(start);
                    }
                }
                finish(&mut line, &mut lines);
                x = 0.0;
                wrapped = true;
                for (_, carried) in carried {
                    let w = piece_width(&carried);
                    self.place(&mut line, x, carried);
                    x += w;
                }
            }
            if w > width + 0.01 {
                // A word wider than the line: cut it between characters.
                if let Piece::Text { text, style: s, .. } = &piece {
                    let mut part = String::new();
                    let mut part_width = 0.0;
                    for c in text.chars() {
                        let cw = self.measure(c.encode_utf8(&mut [0; 4]), s);
                        if part_width + cw > width - x && !part.is_empty() {
                            self.place(&mut line, x, Piece::Text { text: std::mem::take(&mut part), style: s.clone(), width: part_width, space: false, joined: false });
                            finish(&mut line, &mut lines);
                            x = 0.0;
                            part_width = 0.0;
                            wrapped = true;
                        }
                        part.push(c);
                        part_width += cw;
                    }
                    if !part.is_empty() {
                        self.place(&mut line, x, Piece::Text { text: part, style: s.clone(), width: part_width, space: false, joined: false });
                        x += part_width;
                    }
                    continue;
                }
            }
            self.place(&mut line, x, piece);
            x += w;
        }
        if !line.items.is_empty() || lines.is_empty() {
            finish(&mut line, &mut lines);
        }
        lines
    }

    fn place(&self, line: &mut LineBox, x: f32, piece: Piece) {
        let (height, ascent) = match &piece {
            Piece::Text { style, .. } => (style.size * LINE_SPACING, style.size * (1.0 + (LINE_SPACING - 1.0) / 2.0) * 0.93),
            Piece::Image { h, .. } => (h + 2.0, *h),
            Piece::Break => (0.0, 0.0),
        };
        line.height = line.height.max(height);
        line.ascent = line.ascent.max(ascent);
        line.items.push((x, piece));
    }

    /// Draws a line at the cursor, from `x`, and moves the cursor below it.
    fn emit_line(&mut self, line: LineBox, x: f32) -> Result<()> {
        let baseline = self.y + line.ascent;
        for bar in self.quote_bars.clone() {
            self.push(Op::Line { x1: bar, y1: self.y, x2: bar, y2: self.y + line.height, width: 2.0, color: (0xcc, 0xcc, 0xcc) })?;
        }
        for (offset, piece) in line.items {
            let left = x + offset;
            match piece {
                Piece::Text { text, style, width, space, .. } => {
                    if !space {
                        self.glyphs(left, baseline - style.rise, &text, &style)?;
                    }
                    if style.underline {
                        let y = baseline + style.size * 0.12;
                        self.push(Op::Line { x1: left, y1: y, x2: left + width, y2: y, width: style.size * 0.06, color: style.color })?;
                    }
                    if style.strike {
                        let y = baseline - style.size * 0.3;
                        self.push(Op::Line { x1: left, y1: y, x2: left + width, y2: y, width: style.size * 0.06, color: style.color })?;
                    }
                    if let Some(uri) = style.link {
                        self.push(Op::Link { x: left, y: baseline - style.size, w: width, h: style.size * 1.25, uri })?;
                    }
                }
                Piece::Image { data, w, h, link } => {
                    self.push(Op::Image { x: left, y: baseline - h, w, h, data })?;
                    if let Some(uri) = link {
                        self.push(Op::Link { x: left, y: baseline - h, w, h, uri })?;
                    }
                }
                Piece::Break => {}
            }
        }
        self.y += line.height;
        Ok(())
    }

    /// Text shaped, in runs of one face each (characters the style's face
    /// lacks come from a fallback).
    fn glyphs(&mut self, x: f32, y: f32, text: &str, style: &Style) -> Result<()> {
        let mut x = x;
        for run in self.shape(style.face(), text).iter() {
            for c in &run.missing {
                *self.missing_glyphs.entry(*c).or_default() += 1;
            }
            self.push(Op::Glyphs { x, y, face: run.face, size: style.size, glyphs: run.glyphs.clone(), text: run.text.clone(), color: style.color })?;
            x += run.width * style.size;
        }
        Ok(())
    }

    fn table(&mut self, table: &TableBlock, x: f32, width: f32, checkpoint: &dyn Fn() -> Result<()>) -> Result<()> {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return Ok(());
        }
        // Natural widths: the widest word (minimum) and the widest cell on one line (maximum).
        let mut min = vec![0.0f32; columns];
        let mut max = vec![0.0f32; columns];
        for (r, row) in table.rows.iter().enumerate().take(2000) {
            let probe = Self::cell_style(TABLE_SIZE, r < table.header_rows);
            for (c, cell) in row.iter().enumerate() {
                // A column is at least as wide as its widest word (cut at
                // spaces only: `2024-03-01` stays whole when it can).
                for word in fileconv_core::document::plain_text(cell).split_whitespace() {
                    min[c] = min[c].max(self.measure(word, &probe));
                }
                let mut line = 0.0f32;
                for piece in self.pieces(cell, &probe, width) {
                    match piece {
                        Piece::Text { width: w, .. } => line += w,
                        Piece::Image { w, .. } => {
                            line += w;
                            min[c] = min[c].max(w.min(width / columns as f32));
                        }
                        Piece::Break => {
                            max[c] = max[c].max(line);
                            line = 0.0;
                        }
                    }
                }
                max[c] = max[c].max(line);
            }
        }
        let pad = 2.0 * CELL_PAD;
        let available = width - pad * columns as f32;
        let min_total: f32 = min.iter().sum();
        let max_total: f32 = max.iter().sum();
        // Too wide even word by word: a smaller size (down to 6 pt), then words are cut.
        let size = if min_total > available && min_total > 0.0 { (TABLE_SIZE * available / min_total).max(6.0) } else { TABLE_SIZE };
        let scale = size / TABLE_SIZE;
        let widths: Vec<f32> = if max_total * scale <= available {
            max.iter().map(|m| m * scale).collect()
        } else if min_total * scale <= available {
            let extra = available - min_total * scale;
            let flexible: f32 = max.iter().zip(&min).map(|(a, b)| (a - b) * scale).sum::<f32>().max(1e-3);
            min.iter().zip(&max).map(|(lo, hi)| lo * scale + extra * (hi - lo) * scale / flexible).collect()
        } else {
            vec![available / columns as f32; columns]
        };
        let widths: Vec<f32> = widths.into_iter().map(|w| w.max(4.0) + pad).collect();
        let header_rows = table.header_rows.min(table.rows.len());
        // Every row is at least one line tall: a table that cannot fit in
        // the page limit is refused before any of it is laid out.
        let page_height = self.bottom() - self.setup.margin;
        let rows_per_page = (page_height / (size * LINE_SPACING + 2.0 * CELL_PAD)).floor().max(1.0) as u64;
        let body_rows = (table.rows.len() - header_rows) as u64;
        let body_per_page = rows_per_page.saturating_sub(header_rows as u64).max(1);
        let pages = self.pages.len() as u64 + body_rows.div_ceil(body_per_page);
        if pages > self.max_pages as u64 {
            return Err(fileconv_core::Error::limit("pages", self.max_pages as u64, pages));
        }
        for (r, row) in table.rows.iter().enumerate() {
            if r % 256 == 0 {
                checkpoint()?;
            }
            let header = r < header_rows;
            let (cells, height) = self.layout_row(row, &widths, size, header);
            if self.y + height > self.bottom() && self.y > self.setup.margin + 0.5 {
                self.new_page();
                if !header {
                    for h in &table.rows[..header_rows] {
                        let (header_cells, header_height) = self.layout_row(h, &widths, size, true);
                        self.row(header_cells, &widths, x, true, header_height)?;
                    }
                }
            }
            self.row(cells, &widths, x, header, height)?;
        }
        Ok(())
    }

    fn cell_style(size: f32, header: bool) -> Style {
        Style { bold: header, ..Style::body(size) }
    }

    /// A row's cells broken into lines (once: the height is measured and
    /// the same lines are drawn), and the row's height.
    fn layout_row(&self, row: &[Vec<Inline>], widths: &[f32], size: f32, header: bool) -> (Vec<Vec<LineBox>>, f32) {
        let style = Self::cell_style(size, header);
        let cells: Vec<Vec<LineBox>> = row.iter().zip(widths).map(|(cell, w)| self.break_lines(cell, &style, w - 2.0 * CELL_PAD)).collect();
        let tallest = cells.iter().map(|lines| lines.iter().map(|l| l.height).sum::<f32>()).fold(size * LINE_SPACING, f32::max);
        // A row never taller than a page: what does not fit is cut.
        (cells, (tallest + 2.0 * CELL_PAD).min(self.bottom() - self.setup.margin))
    }

    fn row(&mut self, cells: Vec<Vec<LineBox>>, widths: &[f32], x: f32, header: bool, height: f32) -> Result<()> {
        let top = self.y;
        let total: f32 = widths.iter().sum();
        if header {
            self.push(Op::Rect { x, y: top, w: total, h: height, color: (0xee, 0xee, 0xee) })?;
        }
        let mut left = x;
        let saved_bars = std::mem::take(&mut self.quote_bars);
        for (lines, w) in cells.into_iter().zip(widths) {
            self.y = top + CELL_PAD;
            for line in lines {
                if self.y + line.height > top + height + 0.01 {
                    break;
                }
                self.emit_line(line, left + CELL_PAD)?;
            }
            left += w;
        }
        self.quote_bars = saved_bars;
        let grey = (0x99, 0x99, 0x99);
        let bottom = top + height;
        self.push(Op::Line { x1: x, y1: top, x2: x + total, y2: top, width: 0.5, color: grey })?;
        self.push(Op::Line { x1: x, y1: bottom, x2: x + total, y2: bottom, width: 0.5, color: grey })?;
        let mut edge = x;
        self.push(Op::Line { x1: edge, y1: top, x2: edge, y2: bottom, width: 0.5, color: grey })?;
        for w in widths {
            edge += w;
            self.push(Op::Line { x1: edge, y1: top, x2: edge, y2: bottom, width: 0.5, color: grey })?;
        }
        self.y = bottom;
        Ok(())
    }
}

/// Whether a paragraph runs right to left: its first strong character is
/// (the Unicode bidirectional algorithm's rules P2 and P3).
fn base_is_right_to_left(content: &[Inline]) -> bool {
    strong_direction(&fileconv_core::document::plain_text(content)) == Some(true)
}

/// The direction of a text's first strong character: `Some(true)` right
/// to left (Hebrew, Arabic), `Some(false)` left to right, `None` when it
/// has none (spaces, digits, punctuation).
fn strong_direction(text: &str) -> Option<bool> {
    use unicode_bidi::BidiClass;
    text.chars().find_map(|c| match unicode_bidi::bidi_class(c) {
        BidiClass::L => Some(false),
        BidiClass::R | BidiClass::AL => Some(true),
        _ => None,
    })
}

/// Puts a line's pieces in the order they are seen, and at their new
/// places: rule L2 of the Unicode bidirectional algorithm applied piece by
/// piece (a word is shaped whole, so its glyphs are already in order). A
/// neutral piece (a space, a number, an image) between two of one
/// direction takes it, else the paragraph's.
fn visual_order(line: &mut LineBox, base_right_to_left: bool) {
    let directions: Vec<Option<bool>> = line.items.iter().map(|(_, p)| if let Piece::Text { text, .. } = p { strong_direction(text) } else { None }).collect();
    if !base_right_to_left && !directions.contains(&Some(true)) {
        return;
    }
    let levels: Vec<u8> = (0..directions.len())
        .map(|i| {
            let right_to_left = directions[i].unwrap_or_else(|| {
                let before = directions[..i].iter().rev().find_map(|d| *d);
                let after = directions[i + 1..].iter().find_map(|d| *d);
                match (before, after) {
                    (Some(a), Some(b)) if a == b => a,
                    _ => base_right_to_left,
                }
            });
            match (base_right_to_left, right_to_left) {
                (false, false) => 0,
                (_, true) => 1,
                (true, false) => 2,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..levels.len()).collect();
    for level in (1..=levels.iter().copied().max().unwrap_or(0)).rev() {
        let mut i = 0;
        while i < order.len() {
            if levels[order[i]] < level {
                i += 1;
                continue;
            }
            let start = i;
            while i < order.len() && levels[order[i]] >= level {
                i += 1;
            }
            order[start..i].reverse();
        }
    }
    let mut items: Vec<Option<(f32, Piece)>> = std::mem::take(&mut line.items).into_iter().map(Some).collect();
    let mut x = 0.0;
    for i in order {
        if let Some((_, piece)) = items[i].take() {
            let width = piece_width(&piece);
            line.items.push((x, piece));
            x += width;
        }
    }
}

fn piece_width(piece: &Piece) -> f32 {
    match piece {
        Piece::Text { width, .. } => *width,
        Piece::Image { w, .. } => *w,
        Piece::Break => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::{fonts, REGULAR};

    /// The glyph runs of a one-paragraph document: (x, text, glyph ids).
    fn runs(text: &str) -> Vec<(f32, String, Vec<u16>)> {
        let doc = Document { title: None, author: None, blocks: vec![Block::Paragraph(vec![Inline::Text(Run::plain(text))])], ..Document::default() };
        let setup = PageSetup { width: 595.0, height: 842.0, margin: 50.0 };
        let layout = Engine::new(fonts().unwrap(), setup, LayoutLimits::new(1 << 30, 100)).run(&doc, &|| Ok(())).unwrap();
        let mut runs: Vec<(f32, String, Vec<u16>)> = layout.pages[0]
            .ops
            .iter()
            .filter_map(|op| if let Op::Glyphs { x, text, glyphs, .. } = op { Some((*x, text.clone(), glyphs.iter().map(|g| g.id).collect())) } else { None })
            .filter(|(_, text, _)| !text.trim().is_empty())
            .collect();
        runs.sort_by(|a, b| a.0.total_cmp(&b.0));
        runs
    }

    #[test]
    fn latin_text_is_kerned() {
        let fonts = fonts().unwrap();
        let shaped: f32 = fonts.shape(REGULAR, "AVAV").iter().map(|r| r.width).sum();
        let one_by_one: f32 = "AVAV".chars().map(|c| fonts.glyph(REGULAR, c).2).sum();
        assert!(shaped < one_by_one - 0.05, "kerning pulls A and V together: {shaped} against {one_by_one}");
    }

    #[test]
    fn arabic_letters_join() {
        let fonts = fonts().unwrap();
        let word = "مرحبا";
        let isolated: Vec<u16> = word.chars().map(|c| fonts.glyph(REGULAR, c).1).collect();
        let shaped = fonts.shape(REGULAR, word);
        assert_eq!(shaped.len(), 1);
        let mut ids: Vec<u16> = shaped[0].glyphs.iter().map(|g| g.id).collect();
        ids.reverse(); // drawn right to left
        assert_ne!(ids, isolated, "contextual forms, not the isolated letters");
        assert!(shaped[0].glyphs.iter().all(|g| g.id != 0));
        // Every glyph names its text, so the text can be copied out.
        assert!(shaped[0].glyphs.iter().all(|g| !g.text.is_empty() && g.text.end <= word.len()));
    }

    #[test]
    fn right_to_left_paragraphs_run_from_the_right_margin() {
        // Hebrew: the first word is the rightmost, and the line ends at the right margin.
        let hebrew = runs("שלום עולם");
        let (first, second) = (hebrew.iter().find(|r| r.1 == "שלום").unwrap(), hebrew.iter().find(|r| r.1 == "עולם").unwrap());
        assert!(first.0 > second.0, "{hebrew:?}");
        assert!(first.0 > 400.0, "right-aligned: {hebrew:?}");
        // A Hebrew word inside English stays in the English order around it.
        let mixed = runs("one שלום עולם two");
        let order: Vec<&str> = mixed.iter().map(|r| r.1.as_str()).collect();
        assert_eq!(order, ["one", "עולם", "שלום", "two"], "{mixed:?}");
        assert!(mixed[0].0 < 60.0, "left-aligned");
    }
}
