//! XLSX and XLSM sheets as they print: column widths and row heights from
//! `<cols>`, `<row ht>` and `<sheetFormatPr>`, cell formats from the styles
//! part (number format, font, fill, borders, alignment) with theme and
//! indexed colours, merged cells, page setup (paper, orientation, margins,
//! scale or fit, page order, centring, gridlines, first page number),
//! headers and footers, print areas. Hidden sheets do not print.

use std::collections::HashMap;
use std::io::{Cursor, Read, Seek};

use fileconv_core::document::fixed::{Align, Anchor, Color, PageLayer, Stroke};
use fileconv_core::document::grid::{CellRange, CellStyle, GridCell, GridPage, RowHeight, SheetGrid, Width};
use fileconv_core::{Context, Error, Result};
use fileconv_zip::roxmltree::Node;
use fileconv_zip::tree::{child, children, is_named, parse, rgb, utf8};
use fileconv_zip::zip::ZipArchive;

use super::{header_footer, number_format, paper_size, DrawingCount};
use crate::read::xlsx::{locate, shared_strings, Workbook};

const FORMAT: &str = "xlsx";
/// OOXML's page margins when a sheet gives none (LibreOffice's import), inches.
const DEFAULT_MARGINS: [f32; 4] = [0.748, 0.984, 0.748, 0.984];
const DEFAULT_HEADER_MARGIN: f32 = 0.512;

/// Reads every visible sheet's grid.
///
/// # Errors
/// [`Error::InvalidInput`] for a broken package or part;
/// [`Error::LimitExceeded`] past the zip, XML or cell limits.
pub fn read(bytes: &[u8], ctx: &Context<'_>) -> Result<PageLayer> {
    let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
    let Workbook { base, names, paths, date1904 } = locate(&mut zip, FORMAT)?;
    let workbook_path = format!("{base}workbook.xml");
    let book = WorkbookFacts::read(&mut zip, &workbook_path)?;
    let strings = match fileconv_zip::read_optional(&mut zip, &format!("{base}sharedStrings.xml"), FORMAT)? {
        Some(xml) => shared_strings(&xml).map_err(|e| Error::invalid_input(FORMAT, format!("sharedStrings.xml: {e}")))?,
        None => Vec::new(),
    };
    let theme = match fileconv_zip::read_optional(&mut zip, &format!("{base}theme/theme1.xml"), FORMAT)? {
        Some(bytes) => theme_colors(&utf8(bytes, "theme1.xml", FORMAT)?)?,
        None => DEFAULT_THEME.to_vec(),
    };
    let styles = match fileconv_zip::read_optional(&mut zip, &format!("{base}styles.xml"), FORMAT)? {
        Some(bytes) => Styles::read(&utf8(bytes, "styles.xml", FORMAT)?, &theme)?,
        None => Styles::default(),
    };
    let mut grids = Vec::new();
    let mut drawings = DrawingCount::default();
    let mut cells_left = ctx.limits.max_cells;
    for (index, (name, path)) in names.iter().zip(&paths).enumerate() {
        ctx.checkpoint()?;
        if book.hidden.contains(name) {
            continue;
        }
        let Some(bytes) = fileconv_zip::read_optional(&mut zip, path, FORMAT)? else { continue };
        let text = utf8(bytes, path, FORMAT)?;
        let xml = parse(&text, path, FORMAT)?;
        let sheet = SheetReader { max_cells: ctx.limits.max_cells, strings: &strings, styles: &styles, date1904, name };
        let mut grid = sheet.grid(xml.root_element(), &mut cells_left)?;
        grid.print_area = book.print_areas.get(&index).copied();
        (grid.drawings, grid.pictures) = drawings.read_xlsx(&mut zip, path, xml.root_element(), name, ctx)?;
        grids.push(grid);
    }
    drawings.note(ctx);
    Ok(PageLayer::Sheets(grids))
}

/// What the workbook part says about printing: hidden sheets and print areas.
struct WorkbookFacts {
    hidden: Vec<String>,
    /// By the sheet's position in the workbook.
    print_areas: HashMap<usize, CellRange>,
}

impl WorkbookFacts {
    fn read<R: Read + Seek>(zip: &mut ZipArchive<R>, path: &str) -> Result<Self> {
        let bytes = fileconv_zip::read_entry(zip, path, FORMAT)?;
        let text = utf8(bytes, path, FORMAT)?;
        let xml = parse(&text, path, FORMAT)?;
        let root = xml.root_element();
        let hidden = child(root, "sheets")
            .into_iter()
            .flat_map(|s| children(s, "sheet"))
            .filter(|s| matches!(s.attribute("state"), Some("hidden" | "veryHidden")))
            .filter_map(|s| s.attribute("name").map(str::to_string))
            .collect();
        let mut print_areas = HashMap::new();
        for name in child(root, "definedNames").into_iter().flat_map(|d| children(d, "definedName")) {
            if name.attribute("name") != Some("_xlnm.Print_Area") {
                continue;
            }
            let (Some(sheet), Some(text)) = (name.attribute("localSheetId").and_then(|v| v.parse().ok()), name.text()) else { continue };
            if let Some(range) = text.split(',').next().and_then(CellRange::parse) {
                print_areas.insert(sheet, range);
            }
        }
        Ok(WorkbookFacts { hidden, print_areas })
    }
}

fn number(node: Node<'_, '_>, name: &str) -> Option<f32> {
    node.attribute(name)?.trim().parse().ok()
}

fn flag(node: Node<'_, '_>, name: &str) -> Option<bool> {
    node.attribute(name).map(|v| matches!(v, "1" | "true"))
}

/// Excel's default theme colours, by theme index (light 1, dark 1, light 2,
/// dark 2, accents 1 to 6, hyperlink, followed hyperlink).
const DEFAULT_THEME: [Color; 12] = [
    (255, 255, 255),
    (0, 0, 0),
    (231, 230, 230),
    (68, 84, 106),
    (68, 114, 196),
    (237, 125, 49),
    (165, 165, 165),
    (255, 192, 0),
    (91, 155, 213),
    (112, 173, 71),
    (5, 99, 193),
    (149, 79, 114),
];

/// The theme's colours in SpreadsheetML's index order (light before dark).
fn theme_colors(text: &str) -> Result<Vec<Color>> {
    let xml = parse(text, "theme1.xml", FORMAT)?;
    let Some(scheme) = xml.descendants().find(|n| is_named(*n, "clrScheme")) else { return Ok(DEFAULT_THEME.to_vec()) };
    let mut colors: Vec<Color> = scheme
        .children()
        .filter(Node::is_element)
        .map(|slot| {
            slot.children()
                .filter(Node::is_element)
                .find_map(|c| match c.tag_name().name() {
                    "srgbClr" => c.attribute("val").and_then(rgb),
                    "sysClr" => c.attribute("lastClr").and_then(rgb),
                    _ => None,
                })
                .unwrap_or((0, 0, 0))
        })
        .collect();
    if colors.len() < 4 {
        return Ok(DEFAULT_THEME.to_vec());
    }
    colors.swap(0, 1);
    colors.swap(2, 3);
    Ok(colors)
}

/// The 64 colours of the legacy palette `indexed` colours name.
const PALETTE: [Color; 64] = [
    (0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255),
    (0, 0, 0), (255, 255, 255), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (255, 0, 255), (0, 255, 255),
    (128, 0, 0), (0, 128, 0), (0, 0, 128), (128, 128, 0), (128, 0, 128), (0, 128, 128), (192, 192, 192), (128, 128, 128),
    (153, 153, 255), (153, 51, 102), (255, 255, 204), (204, 255, 255), (102, 0, 102), (255, 128, 128), (0, 102, 204), (204, 204, 255),
    (0, 0, 128), (255, 0, 255), (255, 255, 0), (0, 255, 255), (128, 0, 128), (128, 0, 0), (0, 128, 128), (0, 0, 255),
    (0, 204, 255), (204, 255, 255), (204, 255, 204), (255, 255, 153), (153, 204, 255), (255, 153, 204), (204, 153, 255), (255, 204, 153),
    (51, 102, 255), (51, 204, 204), (153, 204, 0), (255, 204, 0), (255, 153, 0), (255, 102, 0), (102, 102, 153), (150, 150, 150),
    (0, 51, 102), (51, 153, 102), (0, 51, 0), (51, 51, 0), (153, 51, 0), (153, 51, 102), (51, 51, 153), (51, 51, 51),
];

/// A legacy palette colour (BIFF's too): 64 and up are the window's text
/// and background (black, white).
pub(crate) fn palette(index: usize) -> Option<Color> {
    match index {
        0..=63 => Some(PALETTE[index]),
        64 | 0x7FFF => Some((0, 0, 0)),
        65 => Some((255, 255, 255)),
        _ => None,
    }
}

/// A `<color>` element's colour: `rgb`, `theme` with `tint`, `indexed`;
/// `None` for `auto` and unreadable ones.
fn color(node: Node<'_, '_>, theme: &[Color]) -> Option<Color> {
    let base = if let Some(value) = node.attribute("rgb") {
        rgb(value.get(value.len().saturating_sub(6)..).unwrap_or(value))?
    } else if let Some(index) = node.attribute("theme").and_then(|v| v.parse::<usize>().ok()) {
        *theme.get(index)?
    } else if let Some(index) = node.attribute("indexed").and_then(|v| v.parse::<usize>().ok()) {
        palette(index)?
    } else {
        return None;
    };
    Some(match number(node, "tint") {
        Some(tint) if tint != 0.0 => {
            let (h, s, l) = fileconv_core::document::fixed::to_hsl(base);
            let l = if tint < 0.0 { l * (1.0 + tint) } else { l * (1.0 - tint) + tint };
            fileconv_core::document::fixed::from_hsl(h, s, l.clamp(0.0, 1.0))
        }
        _ => base,
    })
}

/// The styles part: one resolved look and number format per cell format.
#[derive(Default)]
struct Styles {
    looks: Vec<CellStyle>,
    /// `None`: general.
    formats: Vec<Option<String>>,
}

impl Styles {
    fn read(text: &str, theme: &[Color]) -> Result<Self> {
        let xml = parse(text, "styles.xml", FORMAT)?;
        let root = xml.root_element();
        let mut codes: HashMap<u32, String> = HashMap::new();
        for f in child(root, "numFmts").into_iter().flat_map(|n| children(n, "numFmt")) {
            if let (Some(id), Some(code)) = (f.attribute("numFmtId").and_then(|v| v.parse().ok()), f.attribute("formatCode")) {
                codes.insert(id, code.to_string());
            }
        }
        let fonts: Vec<Node<'_, '_>> = child(root, "fonts").map(|f| children(f, "font").collect()).unwrap_or_default();
        let fills: Vec<Option<Color>> = child(root, "fills").map(|f| children(f, "fill").map(|fill| fill_color(fill, theme)).collect()).unwrap_or_default();
        let borders: Vec<[Option<Stroke>; 4]> = child(root, "borders").map(|b| children(b, "border").map(|b| border(b, theme)).collect()).unwrap_or_default();
        let mut styles = Styles::default();
        for xf in child(root, "cellXfs").into_iter().flat_map(|x| children(x, "xf")) {
            let index = |name: &str| xf.attribute(name).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
            let mut look = CellStyle::default();
            look.text.size = 11.0;
            if let Some(font) = fonts.get(index("fontId")) {
                apply_font(&mut look, *font, theme);
            }
            look.fill = fills.get(index("fillId")).copied().flatten();
            look.borders = borders.get(index("borderId")).copied().unwrap_or_default();
            if let Some(alignment) = child(xf, "alignment") {
                apply_alignment(&mut look, alignment);
            }
            let id = index("numFmtId") as u32;
            let code = codes.get(&id).cloned().or_else(|| number_format::builtin(id).map(str::to_string));
            styles.formats.push(code.filter(|c| !c.eq_ignore_ascii_case("general")));
            styles.looks.push(look);
        }
        if styles.looks.is_empty() {
            let mut look = CellStyle::default();
            look.text.size = 11.0;
            if let Some(font) = fonts.first() {
                apply_font(&mut look, *font, theme);
            }
            styles.looks.push(look);
            styles.formats.push(None);
        }
        Ok(styles)
    }
}

fn apply_font(look: &mut CellStyle, font: Node<'_, '_>, theme: &[Color]) {
    let val = |name: &str| child(font, name).map(|n| n.attribute("val"));
    let on = |name: &str| val(name).is_some_and(|v| !matches!(v, Some("0" | "false" | "none")));
    let text = &mut look.text;
    text.font = val("name").flatten().map(str::to_string);
    text.size = child(font, "sz").and_then(|n| number(n, "val")).filter(|s| *s > 0.0 && *s < 500.0).unwrap_or(11.0);
    text.bold = on("b");
    text.italic = on("i");
    text.underline = on("u");
    text.strike = on("strike");
    text.color = child(font, "color").and_then(|c| color(c, theme)).unwrap_or((0, 0, 0));
}

fn fill_color(fill: Node<'_, '_>, theme: &[Color]) -> Option<Color> {
    let pattern = child(fill, "patternFill")?;
    match pattern.attribute("patternType") {
        None | Some("none") => None,
        Some("solid") => child(pattern, "fgColor").and_then(|c| color(c, theme)),
        Some(_) => child(pattern, "fgColor").and_then(|c| color(c, theme)).map(super::pattern_shade),
    }
}

fn border(node: Node<'_, '_>, theme: &[Color]) -> [Option<Stroke>; 4] {
    ["left", "top", "right", "bottom"].map(|side| {
        let edge = child(node, side).or_else(|| child(node, if side == "left" { "start" } else if side == "right" { "end" } else { side }))?;
        let width = line_width(edge.attribute("style")?)?;
        let color = child(edge, "color").and_then(|c| color(c, theme)).unwrap_or((0, 0, 0));
        Some(Stroke { color, width })
    })
}

/// A border style's line width, points, as LibreOffice draws them.
pub(crate) fn line_width(style: &str) -> Option<f32> {
    Some(match style {
        "none" => return None,
        "hair" => 0.25,
        "medium" | "mediumDashed" | "mediumDashDot" | "mediumDashDotDot" | "slantDashDot" => 1.75,
        "thick" => 2.5,
        "double" => 2.0,
        _ => 0.75,
    })
}

fn apply_alignment(look: &mut CellStyle, alignment: Node<'_, '_>) {
    look.align = match alignment.attribute("horizontal") {
        Some("left") | Some("fill") => Some(Align::Left),
        Some("center") | Some("centerContinuous") => Some(Align::Center),
        Some("right") => Some(Align::Right),
        Some("justify") | Some("distributed") => Some(Align::Justify),
        _ => None,
    };
    look.anchor = match alignment.attribute("vertical") {
        Some("top") => Anchor::Top,
        Some("center") | Some("justify") | Some("distributed") => Anchor::Middle,
        _ => Anchor::Bottom,
    };
    look.wrap = flag(alignment, "wrapText").unwrap_or(false) || matches!(alignment.attribute("horizontal"), Some("justify" | "distributed"));
    look.shrink = flag(alignment, "shrinkToFit").unwrap_or(false);
    // An indent level is three spaces of the default font.
    look.indent = number(alignment, "indent").unwrap_or(0.0).clamp(0.0, 250.0) * 9.0;
}

struct SheetReader<'a> {
    max_cells: u64,
    strings: &'a [String],
    styles: &'a Styles,
    date1904: bool,
    name: &'a str,
}

impl SheetReader<'_> {
    fn grid(&self, root: Node<'_, '_>, cells_left: &mut u64) -> Result<SheetGrid> {
        let default_look = &self.styles.looks[0];
        let mut grid = SheetGrid {
            name: self.name.to_string(),
            digit_font: (default_look.text.font.clone(), default_look.text.size),
            styles: self.styles.looks.clone(),
            ..SheetGrid::default()
        };
        let format = child(root, "sheetFormatPr");
        grid.default_width = match format.and_then(|f| number(f, "defaultColWidth")) {
            Some(width) => Width::digits(width),
            // The base width in digits, plus Excel's five pixels of padding.
            None => Width { digits: format.and_then(|f| number(f, "baseColWidth")).unwrap_or(8.0), points: 3.75 },
        };
        grid.default_height = format.and_then(|f| number(f, "defaultRowHeight")).filter(|h| *h > 0.0).unwrap_or_else(|| default_row_height(default_look.text.size));
        for col in child(root, "cols").into_iter().flat_map(|c| children(c, "col")) {
            let (Some(min), Some(max)) = (number(col, "min"), number(col, "max")) else { continue };
            let (min, max) = ((min as u32).max(1) - 1, (max as u32).clamp(1, 16_384) - 1);
            let width = number(col, "width").map_or(grid.default_width, Width::digits);
            let hidden = flag(col, "hidden").unwrap_or(false);
            // A run to the last column (`max="16384"`) sets the default for the rest.
            if max >= 1023 {
                if min < 1024 {
                    grid.default_width = width;
                }
                if hidden {
                    grid.hidden_columns.extend(min..min.max(1024));
                }
            }
            let last = max.min(1023);
            if grid.columns.len() <= last as usize {
                let fill = grid.default_width;
                grid.columns.resize(last as usize + 1, fill);
            }
            for c in min..=last {
                grid.columns[c as usize] = width;
                if hidden {
                    grid.hidden_columns.push(c);
                }
            }
        }
        let mut next_row = 0;
        for row in child(root, "sheetData").into_iter().flat_map(|d| children(d, "row")) {
            let index = number(row, "r").map_or(next_row, |r| (r as u32).max(1) - 1);
            next_row = index + 1;
            if let Some(height) = number(row, "ht").filter(|h| *h >= 0.0 && *h < 4096.0) {
                grid.rows.push((index, RowHeight { points: height, custom: flag(row, "customHeight").unwrap_or(false) }));
            }
            if flag(row, "hidden").unwrap_or(false) {
                grid.hidden_rows.push(index);
            }
            let mut next_column = 0;
            for cell in children(row, "c") {
                let (r, column) = cell.attribute("r").and_then(fileconv_core::document::grid::cell_reference).map_or((index, next_column), |(r, c)| (r, c));
                next_column = column + 1;
                *cells_left = cells_left.checked_sub(1).ok_or_else(|| Error::limit("cells", self.max_cells, self.max_cells + 1))?;
                if let Some(cell) = self.cell(cell, r, column) {
                    grid.cells.push(cell);
                }
            }
        }
        grid.cells.sort_by_key(|c| (c.row, c.column));
        grid.merges = child(root, "mergeCells").into_iter().flat_map(|m| children(m, "mergeCell")).filter_map(|m| CellRange::parse(m.attribute("ref")?)).collect();
        grid.page = self.page(root);
        Ok(grid)
    }

    fn cell(&self, node: Node<'_, '_>, row: u32, column: u32) -> Option<GridCell> {
        let style = node.attribute("s").and_then(|v| v.parse::<usize>().ok()).filter(|s| *s < self.styles.looks.len()).unwrap_or(0);
        let value = child(node, "v").and_then(|v| v.text()).unwrap_or("");
        let mut cell = GridCell { row, column, style: style as u32, ..GridCell::default() };
        match node.attribute("t") {
            Some("s") => cell.text = self.strings.get(value.trim().parse::<usize>().ok()?)?.clone(),
            Some("inlineStr") => cell.text = child(node, "is").map(|is| is.descendants().filter(|t| is_named(*t, "t") && !t.ancestors().any(|a| is_named(a, "rPh"))).filter_map(|t| t.text()).collect()).unwrap_or_default(),
            Some("str") => cell.text = value.to_string(),
            Some("e") => cell.text = value.to_string(),
            Some("b") => {
                cell.text = if value.trim() == "1" { "TRUE" } else { "FALSE" }.to_string();
                cell.number = true;
            }
            Some("d") => {
                let serial = fileconv_core::DateTime::parse_iso(value.trim())?.to_serial();
                cell.number = true;
                cell.text = self.show(serial, style, &mut cell.general);
            }
            _ if value.trim().is_empty() => {}
            _ => {
                let number: f64 = value.trim().parse().ok()?;
                cell.number = true;
                cell.text = self.show(number, style, &mut cell.general);
            }
        }
        (!cell.text.is_empty() || self.styles.looks[style].is_visible()).then_some(cell)
    }

    /// A number as its format shows it; general numbers keep their value for the writer to fit.
    fn show(&self, number: f64, style: usize, general: &mut Option<f64>) -> String {
        match self.styles.formats[style].as_deref().and_then(|code| number_format::format(number, code, self.date1904)) {
            Some(text) => text,
            None => {
                *general = Some(number);
                fileconv_core::Cell::number(number).to_string()
            }
        }
    }

    fn page(&self, root: Node<'_, '_>) -> GridPage {
        let mut page = GridPage::default();
        let margins = child(root, "pageMargins");
        let inch = |name: &str, default: f32| margins.and_then(|m| number(m, name)).filter(|v| (0.0..50.0).contains(v)).unwrap_or(default) * 72.0;
        page.margins = [inch("left", DEFAULT_MARGINS[0]), inch("top", DEFAULT_MARGINS[1]), inch("right", DEFAULT_MARGINS[2]), inch("bottom", DEFAULT_MARGINS[3])];
        page.header_distance = inch("header", DEFAULT_HEADER_MARGIN);
        page.footer_distance = inch("footer", DEFAULT_HEADER_MARGIN);
        if let Some(setup) = child(root, "pageSetup") {
            // A page setup without a paper size means the schema's default, letter (LibreOffice reads it so).
            if let Some((width, height)) = paper_size(number(setup, "paperSize").map_or(1, |p| p as u32)) {
                (page.width, page.height) = (width, height);
            }
            if setup.attribute("orientation") == Some("landscape") {
                (page.width, page.height) = (page.height, page.width);
            }
            if let Some(scale) = number(setup, "scale").filter(|s| (10.0..=400.0).contains(s)) {
                page.scale = scale / 100.0;
            }
            let fit_to_page = child(root, "sheetPr").and_then(|p| child(p, "pageSetUpPr")).and_then(|p| flag(p, "fitToPage")).unwrap_or(false);
            if fit_to_page {
                let pages = |name: &str| number(setup, name).map_or(1, |v| v.clamp(0.0, 32_767.0) as u32);
                page.fit = Some((pages("fitToWidth"), pages("fitToHeight")));
            }
            page.down_then_over = setup.attribute("pageOrder") != Some("overThenDown");
            if flag(setup, "useFirstPageNumber").unwrap_or(false) {
                page.first_page_number = number(setup, "firstPageNumber").map(|n| n.clamp(0.0, 1e6) as u32);
            }
        }
        if let Some(options) = child(root, "printOptions") {
            page.gridlines = flag(options, "gridLines").unwrap_or(false);
            page.center_horizontally = flag(options, "horizontalCentered").unwrap_or(false);
            page.center_vertically = flag(options, "verticalCentered").unwrap_or(false);
        }
        if let Some(hf) = child(root, "headerFooter") {
            let font = &self.styles.looks[0].text;
            let part = |name: &str| child(hf, name).and_then(|n| n.text()).and_then(|code| header_footer(code, self.name, font));
            page.header = part("oddHeader");
            page.footer = part("oddFooter");
        }
        page
    }
}

/// A row's height for its default font when the sheet gives none, points
/// (Excel's: 12.75 for 10 pt, 15 for Calibri 11).
pub(crate) fn default_row_height(size: f32) -> f32 {
    if size <= 10.0 {
        12.75
    } else if size <= 11.0 {
        15.0
    } else {
        (size * 1.32 * 4.0).round() / 4.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_and_tinted_colours() {
        let theme = DEFAULT_THEME.to_vec();
        let xml = fileconv_zip::roxmltree::Document::parse(r#"<c><a theme="1"/><b rgb="FF112233"/><d indexed="10"/><e theme="0" tint="-0.5"/></c>"#).unwrap();
        let colors: Vec<_> = xml.root_element().children().map(|n| color(n, &theme)).collect();
        assert_eq!(colors, [Some((0, 0, 0)), Some((17, 34, 51)), Some((255, 0, 0)), Some((128, 128, 128))]);
    }
}
