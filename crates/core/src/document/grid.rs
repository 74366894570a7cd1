//! A spreadsheet's sheets as they print: the grid (column widths, row
//! heights), what each cell shows with its look, merged ranges and the page
//! setup. The third kind of page layer (see [`super::fixed`]): a writer of
//! pages breaks the grid into pages, measuring text with its own fonts
//! (general numbers lose decimals to fit their column, rows that fit their
//! text grow), in the order and at the scale the setup asks.

use super::fixed::{Align, Anchor, Color, Picture, Stroke, TextRun};

/// A column's width: `digits` widths of the sheet's digit font's widest
/// digit plus `points` (spreadsheets count widths in characters of their
/// default font).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Width {
    pub digits: f32,
    pub points: f32,
}

impl Width {
    pub fn points(points: f32) -> Self {
        Width { digits: 0.0, points }
    }

    pub fn digits(digits: f32) -> Self {
        Width { digits, points: 0.0 }
    }
}

/// A sheet set up for printing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SheetGrid {
    pub name: String,
    pub page: GridPage,
    /// The font whose digits [`Width::digits`] counts: family and size.
    pub digit_font: (Option<String>, f32),
    /// Widths from column A on; later columns are `default_width` wide.
    pub columns: Vec<Width>,
    pub default_width: Width,
    /// Hidden columns (and rows, below) print nothing and take no room.
    pub hidden_columns: Vec<u32>,
    /// Heights, points, of the rows the source sizes, by index; the rest are
    /// `default_height` tall, or taller when their text needs it.
    pub rows: Vec<(u32, RowHeight)>,
    pub default_height: f32,
    pub hidden_rows: Vec<u32>,
    pub styles: Vec<CellStyle>,
    /// Row by row, left to right.
    pub cells: Vec<GridCell>,
    /// Ranges shown as one cell: the top left cell's text and style fill them.
    pub merges: Vec<CellRange>,
    /// What prints; `None`: from A1 to the last cell that shows anything.
    pub print_area: Option<CellRange>,
    /// The cells pictures, charts and shapes placed on the sheet cover:
    /// they print with it.
    pub drawings: Vec<CellRange>,
    /// The pictures placed on the sheet, drawn over its cells.
    pub pictures: Vec<SheetPicture>,
}

/// A point on a sheet: a cell's top left corner and an offset from it, in points.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CellPoint {
    pub row: u32,
    pub column: u32,
    pub x: f32,
    pub y: f32,
}

/// A picture on a sheet: from its top left corner to its bottom right one
/// when it moves and sizes with the cells, else `size` points from the first.
#[derive(Clone, Debug, PartialEq)]
pub struct SheetPicture {
    pub from: CellPoint,
    pub to: Option<CellPoint>,
    pub size: (f32, f32),
    pub picture: Picture,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowHeight {
    pub points: f32,
    /// The source fixed it; otherwise a row grows to fit its text.
    pub custom: bool,
}

/// A rectangle of cells, inclusive, 0-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CellRange {
    pub first_row: u32,
    pub first_column: u32,
    pub last_row: u32,
    pub last_column: u32,
}

impl CellRange {
    pub fn contains(&self, row: u32, column: u32) -> bool {
        (self.first_row..=self.last_row).contains(&row) && (self.first_column..=self.last_column).contains(&column)
    }

    /// An `A1:C3` or `$A$1` reference (a sheet name before `!` left out).
    pub fn parse(reference: &str) -> Option<CellRange> {
        let reference = reference.rsplit('!').next()?;
        let mut ends = reference.split(':');
        let (first_row, first_column) = cell_reference(ends.next()?)?;
        let (last_row, last_column) = match ends.next() {
            Some(end) => cell_reference(end)?,
            None => (first_row, first_column),
        };
        Some(CellRange { first_row: first_row.min(last_row), first_column: first_column.min(last_column), last_row: first_row.max(last_row), last_column: first_column.max(last_column) })
    }
}

/// `B12` (or `$B$12`) as 0-based (row, column).
pub fn cell_reference(text: &str) -> Option<(u32, u32)> {
    let text = text.trim().replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic()) {
        return None;
    }
    let column = letters.bytes().fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)) - 1;
    let row = digits.parse::<u32>().ok()?.checked_sub(1)?;
    Some((row, column))
}

/// How a cell's text looks and sits.
#[derive(Clone, Debug, PartialEq)]
pub struct CellStyle {
    /// The look of the cell's text: a run whose text is left empty.
    pub text: TextRun,
    pub fill: Option<Color>,
    /// Left, top, right, bottom.
    pub borders: [Option<Stroke>; 4],
    /// `None`: the spreadsheet's general rule (numbers right, text left).
    pub align: Option<Align>,
    pub anchor: Anchor,
    pub wrap: bool,
    /// Text shrinks to its cell's width.
    pub shrink: bool,
    /// Points from the aligned edge.
    pub indent: f32,
}

impl Default for CellStyle {
    fn default() -> Self {
        CellStyle {
            text: TextRun { size: 10.0, ..TextRun::default() },
            fill: None,
            borders: [None; 4],
            align: None,
            anchor: Anchor::Bottom,
            wrap: false,
            shrink: false,
            indent: 0.0,
        }
    }
}

impl CellStyle {
    /// Whether a cell of this style shows anything without text.
    pub fn is_visible(&self) -> bool {
        self.fill.is_some() || self.borders.iter().any(Option::is_some)
    }
}

/// One cell as displayed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridCell {
    pub row: u32,
    pub column: u32,
    /// As the cell shows it (its number format applied).
    pub text: String,
    /// Index into [`SheetGrid::styles`].
    pub style: u32,
    /// A number: aligned right under the general rule.
    pub number: bool,
    /// A number in the general format: decimals are dropped until it fits
    /// its column, and `###` shows when it cannot.
    pub general: Option<f64>,
}

/// Page setup of a sheet.
#[derive(Clone, Debug, PartialEq)]
pub struct GridPage {
    /// Points.
    pub width: f32,
    pub height: f32,
    /// Left, top, right, bottom, points: where the cells print.
    pub margins: [f32; 4],
    /// From the page's top edge to the header's top, and from its bottom
    /// edge to the footer's bottom.
    pub header_distance: f32,
    pub footer_distance: f32,
    pub header: Option<HeaderFooter>,
    pub footer: Option<HeaderFooter>,
    /// Room the header (footer) takes between the margin and the cells,
    /// points (OpenDocument's page styles; spreadsheets of the OOXML and
    /// BIFF kinds print their headers inside the margins: 0).
    pub header_room: f32,
    pub footer_room: f32,
    /// Share of the natural size (1.0 = 100%).
    pub scale: f32,
    /// Fit to this many pages across and down (0: as many as needed);
    /// overrides `scale`.
    pub fit: Option<(u32, u32)>,
    /// Pages go down the rows first, then across (the default); else across first.
    pub down_then_over: bool,
    pub center_horizontally: bool,
    pub center_vertically: bool,
    pub gridlines: bool,
    /// The first page's number (`None`: go on from the sheet before).
    pub first_page_number: Option<u32>,
}

impl Default for GridPage {
    fn default() -> Self {
        GridPage {
            width: 595.3,
            height: 841.9,
            margins: [50.4, 54.0, 50.4, 54.0],
            header_distance: 21.6,
            footer_distance: 21.6,
            header: None,
            footer: None,
            header_room: 0.0,
            footer_room: 0.0,
            scale: 1.0,
            fit: None,
            down_then_over: true,
            center_horizontally: false,
            center_vertically: false,
            gridlines: false,
            first_page_number: None,
        }
    }
}

/// A header or footer: left, centre and right parts, each runs of text
/// whose [`TextRun::page_number`] and [`HeaderFooter::PAGE_COUNT`] stand
/// for the page's number and the document's page count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HeaderFooter {
    pub parts: [Vec<TextRun>; 3],
}

impl HeaderFooter {
    /// What a run's text is when it stands for the page count.
    pub const PAGE_COUNT: &'static str = "\u{0}pages";

    pub fn is_empty(&self) -> bool {
        self.parts.iter().all(|runs| runs.iter().all(|r| r.text.trim().is_empty() && !r.page_number))
    }
}

/// `value` rounded to `decimals` places, halves away from zero, as
/// spreadsheets round what they show (Rust's formatting rounds halves to even).
pub fn round_half_away(value: f64, decimals: usize) -> f64 {
    let power = 10f64.powi(decimals as i32);
    (value * power * (1.0 + 4.0 * f64::EPSILON)).round() / power
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        assert_eq!(cell_reference("A1"), Some((0, 0)));
        assert_eq!(cell_reference("$AB$12"), Some((11, 27)));
        assert_eq!(cell_reference("A0"), None);
        assert_eq!(cell_reference("1A"), None);
        assert_eq!(CellRange::parse("'My sheet'!$C$3:$A$1"), Some(CellRange { first_row: 0, first_column: 0, last_row: 2, last_column: 2 }));
    }
}
