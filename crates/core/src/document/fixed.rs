//! Pages as the source sets them up, for writers of pages (PDF, page
//! images); writers of flowing text (Markdown, HTML, EPUB...) ignore them
//! and read the document's blocks. Two kinds, filled by readers beside the
//! blocks:
//! - [`FixedPage`]s ([`Document::fixed_pages`](super::Document)): content
//!   sitting where the source placed it: slides.
//! - A [`PageFlow`] ([`Document::page_flow`](super::Document)): a word
//!   processor's text with its page setup and resolved paragraph and run
//!   properties, which the writer breaks into lines and pages.
//! - [`SheetGrid`](super::grid::SheetGrid)s ([`Document::sheet_grids`](super::Document)):
//!   a spreadsheet's grid, cells and page setup, which the writer breaks into pages.
//!
//! Everything is resolved: positions in points from the page's top left,
//! colours as RGB, text properties after the source's inheritance (theme,
//! master, layout, shape), so a writer needs no knowledge of the source.

use std::sync::Arc;

use crate::{OptionKind, OptionSpec};

/// Asks readers of presentations for a notes page after the slides for
/// each slide shown: the slide, its speaker notes and its number, on the
/// presentation's notes page size (as PowerPoint and LibreOffice print
/// notes pages).
pub const NOTES: OptionSpec = OptionSpec {
    name: "notes",
    kind: OptionKind::Boolean,
    default: "false",
    help: "Presentations: a notes page (the slide and its speaker notes) for each slide, after the slides",
};


/// An RGB colour.
pub type Color = (u8, u8, u8);

/// A colour's hue, saturation and lightness, each 0..1.
pub fn to_hsl((r, g, b): Color) -> (f32, f32, f32) {
    let (r, g, b) = (f32::from(r) / 255.0, f32::from(g) / 255.0, f32::from(b) / 255.0);
    let (max, min) = (r.max(g).max(b), r.min(g).min(b));
    let l = (max + min) / 2.0;
    if max == min {
        return (0.0, 0.0, l);
    }
    let d = max - min;
    let s = if l > 0.5 { d / (2.0 - max - min) } else { d / (max + min) };
    let h = if max == r {
        (g - b) / d + if g < b { 6.0 } else { 0.0 }
    } else if max == g {
        (b - r) / d + 2.0
    } else {
        (r - g) / d + 4.0
    };
    (h / 6.0, s, l)
}

/// The colour of a hue, saturation and lightness (0..1).
pub fn from_hsl(h: f32, s: f32, l: f32) -> Color {
    let channel = |t: f32| {
        if s == 0.0 {
            return l;
        }
        let q = if l < 0.5 { l * (1.0 + s) } else { l + s - l * s };
        let p = 2.0 * l - q;
        let t = t.rem_euclid(1.0);
        if t < 1.0 / 6.0 {
            p + (q - p) * 6.0 * t
        } else if t < 0.5 {
            q
        } else if t < 2.0 / 3.0 {
            p + (q - p) * (2.0 / 3.0 - t) * 6.0
        } else {
            p
        }
    };
    let to = |v: f32| (v * 255.0).round().clamp(0.0, 255.0) as u8;
    (to(channel(h + 1.0 / 3.0)), to(channel(h)), to(channel(h - 1.0 / 3.0)))
}

/// A gradient fill: colours at offsets from 0 to 1, along a line through
/// the box's centre at `angle` degrees clockwise from left to right
/// (linear), or from the box's centre out to its corners (radial).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gradient {
    /// In offset order.
    pub stops: Vec<(f32, Color)>,
    pub angle: f32,
    pub radial: bool,
}

impl Gradient {
    /// Its first colour, for what draws one colour (text, a writer of flat fills).
    pub fn first(&self) -> Option<Color> {
        self.stops.first().map(|(_, c)| *c)
    }
}

/// A page of placed shapes, drawn in order (later ones on top).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedPage {
    /// Points.
    pub width: f32,
    pub height: f32,
    pub background: Option<Color>,
    /// Drawn instead of `background` (its first colour) when set.
    pub background_gradient: Option<Gradient>,
    /// A picture filling the page, over the background colour.
    pub background_picture: Option<Picture>,
    pub shapes: Vec<Shape>,
}

/// A shape's box: its top left corner and size before rotation, in points;
/// rotation clockwise in degrees about the box's centre.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Frame {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
    pub rotation: f32,
    pub flip_h: bool,
    pub flip_v: bool,
}

/// The outline a shape's fill and stroke follow.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Geometry {
    #[default]
    Rect,
    /// Corner radius as a share of the shorter side.
    RoundRect(f32),
    Ellipse,
    /// From the frame's top left to its bottom right (flips choose the diagonal).
    Line,
    /// Points as shares of the frame (0..1), closed.
    Polygon(Vec<(f32, f32)>),
    /// Points as shares of the frame, open (a chart's line): stroked only.
    Polyline(Vec<(f32, f32)>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    pub color: Color,
    /// Points.
    pub width: f32,
}

/// A picture file's bytes (shared between the pages that show it) and how
/// much of each edge is cut off: shares of the picture's width or height
/// (left, top, right, bottom).
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    pub data: Arc<Vec<u8>>,
    pub crop: [f32; 4],
}

/// A placed shape: any of fill, stroke, picture and text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shape {
    pub frame: Frame,
    pub geometry: Geometry,
    pub fill: Option<Color>,
    /// Drawn instead of `fill` (its first colour) when set.
    pub gradient: Option<Gradient>,
    pub stroke: Option<Stroke>,
    pub picture: Option<Picture>,
    pub text: Option<TextBody>,
    /// A table whose top left corner is the frame's.
    pub table: Option<FixedTable>,
    /// Another page drawn in the frame, scaled to fit and centred: the
    /// slide on its notes page.
    pub page: Option<Box<FixedPage>>,
}

/// A table on a page: column widths, and rows at least as tall as stated
/// (writers make a row taller when its text needs it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedTable {
    /// Points.
    pub columns: Vec<f32>,
    pub rows: Vec<FixedRow>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedRow {
    /// The least height, points.
    pub height: f32,
    /// The cells that start in this row (those a merge covers are left out).
    pub cells: Vec<FixedCell>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FixedCell {
    /// The first column it covers, and how many columns and rows.
    pub column: usize,
    pub columns: usize,
    pub rows: usize,
    pub fill: Option<Color>,
    /// Left, top, right, bottom.
    pub borders: [Option<Stroke>; 4],
    pub text: TextBody,
}

/// Where text sits in its box vertically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Anchor {
    #[default]
    Top,
    Middle,
    Bottom,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
    Justify,
}

/// Text laid out in its shape's box.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBody {
    pub paragraphs: Vec<TextParagraph>,
    /// Space between the box and the text: left, top, right, bottom, points.
    pub inset: [f32; 4],
    pub anchor: Anchor,
    /// Lines wrap at the box's width; when false each paragraph is one line
    /// (line breaks aside) that may run past the box.
    pub wrap: bool,
    /// What the source's shrink-on-overflow settled on: every size times
    /// `font_scale`, line spacing less `spacing_reduction` (a share).
    pub font_scale: f32,
    pub spacing_reduction: f32,
    /// Text that overflows the box at `font_scale` is shrunk until it fits
    /// (the source asks to shrink on overflow).
    pub shrink_to_fit: bool,
    /// Lines are 1.2 times their largest size, the baseline one size
    /// below the line's top, whatever the font (PowerPoint's rule, which
    /// LibreOffice follows for its files); else the faces' own ascent and
    /// descent (OpenDocument's).
    pub uniform_lines: bool,
}

impl Default for TextBody {
    fn default() -> Self {
        TextBody { paragraphs: Vec::new(), inset: [7.2, 3.6, 7.2, 3.6], anchor: Anchor::Top, wrap: true, font_scale: 1.0, spacing_reduction: 0.0, shrink_to_fit: false, uniform_lines: false }
    }
}

/// Space above or below a paragraph, or between its lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spacing {
    /// Exactly this many points.
    Points(f32),
    /// Lines of the paragraph's text (1.0 = single spacing).
    Lines(f32),
    /// Single spacing, but never less than this many points (between lines only).
    AtLeast(f32),
}

#[derive(Clone, Debug, PartialEq)]
pub struct TextParagraph {
    pub runs: Vec<TextRun>,
    pub align: Align,
    /// Points from the box's inner left edge to the text's left edge.
    pub margin_left: f32,
    /// The first line's offset from `margin_left` (negative: hanging, where bullets go).
    pub indent: f32,
    pub bullet: Option<Bullet>,
    pub space_before: Spacing,
    pub space_after: Spacing,
    pub line_spacing: Spacing,
    /// The size and font of an empty paragraph's line (from its end mark).
    pub empty_size: f32,
}

impl Default for TextParagraph {
    fn default() -> Self {
        TextParagraph {
            runs: Vec::new(),
            align: Align::Left,
            margin_left: 0.0,
            indent: 0.0,
            bullet: None,
            space_before: Spacing::Points(0.0),
            space_after: Spacing::Points(0.0),
            line_spacing: Spacing::Lines(1.0),
            empty_size: 18.0,
        }
    }
}

/// The mark before a paragraph's first line: its text ("•", "3.", "c)"),
/// font family when it has its own, colour and size.
#[derive(Clone, Debug, PartialEq)]
pub struct Bullet {
    pub text: String,
    pub font: Option<String>,
    pub color: Color,
    pub size: f32,
    /// When the first line indents (no hanging room): the text after the
    /// label starts at the next multiple of this many points (a word
    /// processor's default tab stops); `None`: a small gap after the label.
    pub tab_stops: Option<f32>,
}

/// Text of one look; `\n` is a line break.
#[derive(Clone, Debug, PartialEq)]
pub struct TextRun {
    pub text: String,
    /// The family the source asks for; writers substitute what is installed.
    pub font: Option<String>,
    /// Points.
    pub size: f32,
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub strike: bool,
    pub color: Color,
    /// Raised (positive) or lowered, as a share of the size.
    pub baseline: f32,
    pub link: Option<String>,
    /// The text stands for the number of the page it is drawn on.
    pub page_number: bool,
}

impl Default for TextRun {
    fn default() -> Self {
        TextRun { text: String::new(), font: None, size: 18.0, bold: false, italic: false, underline: false, strike: false, color: (0, 0, 0), baseline: 0.0, link: None, page_number: false }
    }
}

/// A word processor's document as its pages are set up: sections, each
/// with its page size, margins, header and footer, and its flowing blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageFlow {
    pub sections: Vec<FlowSection>,
    /// Endnotes, on pages of their own after the last section.
    pub endnotes: Vec<FlowBlock>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowSection {
    /// Points.
    pub width: f32,
    pub height: f32,
    /// Left, top, right, bottom, points.
    pub margins: [f32; 4],
    /// From the page's top edge to the header's top, and from its bottom
    /// edge to the footer's bottom.
    pub header_distance: f32,
    pub footer_distance: f32,
    pub header: Vec<FlowBlock>,
    pub footer: Vec<FlowBlock>,
    /// The section's first page has a header and footer of its own (Word's
    /// "different first page"): these.
    pub first_header: Option<Vec<FlowBlock>>,
    pub first_footer: Option<Vec<FlowBlock>>,
    /// Starts on the page the section before ends on, not a new one.
    pub continuous: bool,
    pub blocks: Vec<FlowBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FlowBlock {
    Paragraph(FlowParagraph),
    /// A table with its column widths; `indent` from the left margin.
    Table { table: FixedTable, indent: f32 },
    /// A picture on a line of its own, at its size in points.
    Picture { picture: Picture, width: f32, height: f32, align: Align },
    /// A shape (a text box, a picture the text flows around) on the page of
    /// the paragraph before it, outside the flow: its frame's x measured
    /// from `x_from` (or aligned in it, when `align` says so), its y from `y_from`.
    Floating { shape: Shape, x_from: Origin, y_from: Origin, align: Option<Align> },
    PageBreak,
}

/// What a floating shape's position is measured from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Origin {
    /// The page's edge.
    Page,
    /// The text area's edge (the margin).
    #[default]
    Margin,
    /// The top of the paragraph it is anchored in (vertical only; the
    /// margin horizontally).
    Paragraph,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlowParagraph {
    pub text: TextParagraph,
    /// Right indent, points.
    pub margin_right: f32,
    /// Kept on the page of the paragraph after it.
    pub keep_with_next: bool,
    /// Starts a new page.
    pub page_break_before: bool,
    /// Next to a paragraph of the same group, the space between the two is
    /// left out (Word's contextual spacing; the group is the style).
    pub spacing_group: Option<String>,
    /// The footnotes it cites, set at the foot of the page it starts on.
    pub notes: Vec<FlowParagraph>,
}

/// What a page layer reader gives.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PageLayer {
    /// The file's layout could not be read (the reader said why in a note).
    #[default]
    Unread,
    Fixed(Vec<FixedPage>),
    Flow(PageFlow),
    Sheets(Vec<super::grid::SheetGrid>),
}

