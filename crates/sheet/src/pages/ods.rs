//! OpenDocument spreadsheets as they print: the text each cell shows (ODF
//! stores it), column widths and row heights from their styles, cell styles
//! through their parents to the default (font, colour, fill, borders,
//! alignment, wrapping), merged and covered cells, hidden rows, columns and
//! sheets, print ranges, and each sheet's master page: paper, margins,
//! header and footer with their room, scale, page order, centring.

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::document::fixed::{Align, Anchor, PageLayer, Picture, Stroke, TextRun};
use fileconv_core::document::grid::{CellPoint, CellRange, CellStyle, GridCell, GridPage, HeaderFooter, RowHeight, SheetGrid, SheetPicture, Width};
use fileconv_core::{Context, Error, Result};
use fileconv_zip::roxmltree::{Document as Xml, Node};
use fileconv_zip::tree::{is_named as is, parse, rgb, utf8};

use super::DrawingCount;

const FORMAT: &str = "ods";
/// LibreOffice's defaults: column 0.889 in, row 0.178 in (Liberation Sans 10).
const DEFAULT_COLUMN: f32 = 64.0;
const DEFAULT_ROW: f32 = 12.8;
/// Cells, rows or columns a `number-*-repeated` may stand for when they
/// show nothing but a style (a forged count must not make a billion cells).
const MAX_STYLED_REPEAT: u32 = 1024;

/// Reads every visible sheet's grid.
///
/// # Errors
/// [`Error::InvalidInput`] for a broken package or part;
/// [`Error::LimitExceeded`] past the zip, XML or cell limits.
pub fn read(bytes: &[u8], ctx: &Context<'_>) -> Result<PageLayer> {
    let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
    let content = utf8(fileconv_zip::read_entry(&mut zip, "content.xml", FORMAT)?, "content.xml", FORMAT)?;
    let styles_text = match fileconv_zip::read_optional(&mut zip, "styles.xml", FORMAT)? {
        Some(bytes) => Some(utf8(bytes, "styles.xml", FORMAT)?),
        None => None,
    };
    let content = parse(&content, "content.xml", FORMAT)?;
    let styles_xml = styles_text.as_deref().map(|t| parse(t, "styles.xml", FORMAT)).transpose()?;
    let styles = Styles::new(&content, styles_xml.as_ref());
    let mut grids = Vec::new();
    let mut drawings = DrawingCount::default();
    let mut cells_left = ctx.limits.max_cells;
    for table in content.descendants().filter(|n| is(*n, "table") && n.parent().is_some_and(|p| is(p, "spreadsheet"))) {
        ctx.checkpoint()?;
        let style = table.attribute((TABLE, "style-name")).and_then(|s| styles.get("table", s));
        if style.and_then(|s| styles.property(s, "table-properties", (TABLE, "display"))) == Some("false") {
            continue;
        }
        let name = table.attribute((TABLE, "name")).unwrap_or("Sheet").to_string();
        let master = style.and_then(|s| s.attribute((STYLE, "master-page-name"))).unwrap_or("Default");
        let mut grid = SheetGrid { name: name.clone(), digit_font: (None, 10.0), default_width: Width::points(DEFAULT_COLUMN), default_height: DEFAULT_ROW, ..SheetGrid::default() };
        grid.page = styles.page(master, &name);
        let mut reader = TableReader { styles: &styles, grid, looks: HashMap::new(), cells_left: &mut cells_left, max_cells: ctx.limits.max_cells };
        reader.read(table)?;
        let mut grid = reader.grid;
        let shapes = table.descendants().filter(|n| n.tag_name().namespace() == Some(DRAW) && n.parent().is_some_and(|p| is(p, "shapes") || p.tag_name().namespace() == Some(TABLE_NS)));
        let mut left_out = 0;
        for shape in shapes {
            match picture(&mut zip, table, shape, ctx)? {
                Some(picture) => grid.pictures.push(picture),
                None => left_out += 1,
            }
        }
        if left_out > 0 {
            drawings.add(left_out, &name);
        }
        grids.push(grid);
    }
    drawings.note(ctx);
    Ok(PageLayer::Sheets(grids))
}

/// A frame holding a picture: in a cell, placed from that cell's corner
/// (as LibreOffice places it), in the table's shapes, from the sheet's;
/// `None` for another shape or a picture the package lacks.
fn picture<R: std::io::Read + std::io::Seek>(zip: &mut fileconv_zip::zip::ZipArchive<R>, table: Node<'_, '_>, frame: Node<'_, '_>, ctx: &Context<'_>) -> Result<Option<SheetPicture>> {
    let Some(href) = frame.children().find(|c| c.has_tag_name((DRAW, "image"))).and_then(|i| i.attribute((XLINK, "href"))) else { return Ok(None) };
    let href = href.trim_start_matches("./");
    if href.contains(':') || href.starts_with("..") {
        return Ok(None);
    }
    let Some(data) = fileconv_zip::read_optional(zip, href, FORMAT)? else { return Ok(None) };
    ctx.charge_memory(data.len() as u64, "memory for pictures on sheets (bytes)")?;
    let len = |name| frame.attribute((SVG, name)).and_then(length).unwrap_or(0.0);
    let (row, column) = anchor_cell(table, frame).unwrap_or((0, 0));
    let from = CellPoint { row, column, x: len("x"), y: len("y") };
    Ok(Some(SheetPicture { from, to: None, size: (len("width"), len("height")), picture: Picture { data: std::sync::Arc::new(data), crop: [0.0; 4] } }))
}

/// The row and column of the cell a shape sits in, counting repeated rows
/// and columns; `None` for a shape outside the cells.
fn anchor_cell(table: Node<'_, '_>, shape: Node<'_, '_>) -> Option<(u32, u32)> {
    let cell = shape.parent().filter(|c| is(*c, "table-cell") || is(*c, "covered-table-cell"))?;
    let row = cell.parent().filter(|r| is(*r, "table-row"))?;
    let repeated = |n: Node<'_, '_>, key: &str| n.attribute((TABLE, key)).and_then(|v| v.parse::<u32>().ok()).unwrap_or(1);
    let column = cell.prev_siblings().skip(1).filter(|c| is(*c, "table-cell") || is(*c, "covered-table-cell")).fold(0u32, |n, c| n.saturating_add(repeated(c, "number-columns-repeated")));
    let mut index = 0u32;
    for r in table.descendants().filter(|n| is(*n, "table-row")) {
        if r == row {
            return Some((index.min(1_048_575), column.min(16_383)));
        }
        index = index.saturating_add(repeated(r, "number-rows-repeated"));
    }
    None
}

const TABLE_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const SVG: &str = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";
const XLINK: &str = "http://www.w3.org/1999/xlink";
const TABLE: &str = TABLE_NS;
const STYLE: &str = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const FO: &str = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0";
const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const DRAW: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";

/// An ODF length (`2cm`, `0.889in`, `12pt`, `20mm`) in points.
fn length(text: &str) -> Option<f32> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic() || c == '%')?;
    let (number, unit) = text.split_at(split);
    let number: f32 = number.trim().parse().ok()?;
    let points = number
        * match unit {
            "in" => 72.0,
            "cm" => 72.0 / 2.54,
            "mm" => 72.0 / 25.4,
            "pt" => 1.0,
            "pc" => 12.0,
            "px" => 0.75,
            _ => return None,
        };
    points.is_finite().then_some(points)
}

/// Every style of both parts by family and name, and the defaults by family.
struct Styles<'a, 'i> {
    named: HashMap<(&'a str, &'a str), Node<'a, 'i>>,
    defaults: HashMap<&'a str, Node<'a, 'i>>,
    layouts: HashMap<&'a str, Node<'a, 'i>>,
    masters: HashMap<&'a str, Node<'a, 'i>>,
}

impl<'a, 'i> Styles<'a, 'i> {
    fn new(content: &'a Xml<'i>, styles: Option<&'a Xml<'i>>) -> Self {
        let mut s = Styles { named: HashMap::new(), defaults: HashMap::new(), layouts: HashMap::new(), masters: HashMap::new() };
        for doc in styles.into_iter().chain([content]) {
            for node in doc.descendants().filter(|n| n.is_element() && n.tag_name().namespace() == Some(STYLE)) {
                let name = node.attribute((STYLE, "name"));
                match node.tag_name().name() {
                    "style" => {
                        if let (Some(family), Some(name)) = (node.attribute((STYLE, "family")), name) {
                            s.named.insert((family, name), node);
                        }
                    }
                    "default-style" => {
                        if let Some(family) = node.attribute((STYLE, "family")) {
                            s.defaults.insert(family, node);
                        }
                    }
                    "page-layout" => {
                        if let Some(name) = name {
                            s.layouts.insert(name, node);
                        }
                    }
                    "master-page" => {
                        if let Some(name) = name {
                            s.masters.insert(name, node);
                        }
                    }
                    _ => {}
                }
            }
        }
        s
    }

    fn get(&self, family: &str, name: &str) -> Option<Node<'a, 'i>> {
        self.named.get(&(family, name)).copied()
    }

    /// A property of a style's `kind` properties, through its parents to the family's default.
    fn property(&self, style: Node<'a, 'i>, kind: &str, name: (&str, &str)) -> Option<&'a str> {
        let family = style.attribute((STYLE, "family"));
        let mut current = Some(style);
        for _ in 0..32 {
            let node = current?;
            if let Some(value) = node.children().find(|c| is(*c, kind)).and_then(|p| p.attribute(name)) {
                return Some(value);
            }
            current = node.attribute((STYLE, "parent-style-name")).and_then(|p| self.get(family?, p));
            if current.is_none() {
                return family.and_then(|f| self.defaults.get(f)).and_then(|d| d.children().find(|c| is(*c, kind))).and_then(|p| p.attribute(name));
            }
        }
        None
    }

    /// A cell style resolved (`None`: the default style's look).
    fn look(&self, name: Option<&str>) -> CellStyle {
        let style = name.and_then(|n| self.get("table-cell", n)).or_else(|| self.get("table-cell", "Default"));
        let default = self.defaults.get("table-cell").copied();
        let prop = |kind: &str, ns: &str, attr: &str| -> Option<&'a str> {
            match style {
                Some(s) => self.property(s, kind, (ns, attr)),
                None => default.and_then(|d| d.children().find(|c| is(*c, kind))).and_then(|p| p.attribute((ns, attr))),
            }
        };
        let mut look = CellStyle::default();
        look.text.font = Some(prop("text-properties", STYLE, "font-name").or_else(|| prop("text-properties", FO, "font-family")).map_or("Liberation Sans", |f| f.trim_matches('\'')).to_string());
        look.text.size = prop("text-properties", FO, "font-size").and_then(length).filter(|s| *s > 0.0 && *s < 500.0).unwrap_or(10.0);
        look.text.bold = prop("text-properties", FO, "font-weight").is_some_and(|w| w == "bold" || w.parse::<u32>().is_ok_and(|n| n >= 600));
        look.text.italic = prop("text-properties", FO, "font-style").is_some_and(|s| s == "italic" || s == "oblique");
        look.text.underline = prop("text-properties", STYLE, "text-underline-style").is_some_and(|u| u != "none");
        look.text.strike = prop("text-properties", STYLE, "text-line-through-style").is_some_and(|u| u != "none");
        look.text.color = prop("text-properties", FO, "color").and_then(rgb).unwrap_or((0, 0, 0));
        look.fill = prop("table-cell-properties", FO, "background-color").and_then(|c| if c == "transparent" { None } else { rgb(c) });
        let all = prop("table-cell-properties", FO, "border");
        for (i, side) in ["border-left", "border-top", "border-right", "border-bottom"].iter().enumerate() {
            look.borders[i] = prop("table-cell-properties", FO, side).or(all).and_then(border);
        }
        look.align = match prop("paragraph-properties", FO, "text-align") {
            Some("center") => Some(Align::Center),
            Some("end" | "right") => Some(Align::Right),
            Some("start" | "left") if prop("table-cell-properties", STYLE, "text-align-source") != Some("value-type") => Some(Align::Left),
            Some("justify") => Some(Align::Justify),
            _ => None,
        };
        look.anchor = match prop("table-cell-properties", STYLE, "vertical-align") {
            Some("top") => Anchor::Top,
            Some("middle") => Anchor::Middle,
            _ => Anchor::Bottom,
        };
        look.wrap = prop("table-cell-properties", FO, "wrap-option") == Some("wrap");
        look.shrink = prop("table-cell-properties", STYLE, "shrink-to-fit") == Some("true");
        look.indent = prop("paragraph-properties", FO, "margin-left").and_then(length).unwrap_or(0.0).clamp(0.0, 500.0);
        look
    }

    /// A sheet's page: its master page's layout, header and footer.
    fn page(&self, master: &str, sheet: &str) -> GridPage {
        let mut page = GridPage { margins: [56.7; 4], ..GridPage::default() };
        let master_node = self.masters.get(master).or_else(|| self.masters.get("Default")).copied();
        let layout = master_node.and_then(|m| m.attribute((STYLE, "page-layout-name"))).and_then(|l| self.layouts.get(l)).copied();
        let layout_props = layout.and_then(|l| l.children().find(|c| is(*c, "page-layout-properties")));
        let get = |name: (&str, &str)| layout_props.and_then(|p| p.attribute(name));
        if let (Some(w), Some(h)) = (get((FO, "page-width")).and_then(length), get((FO, "page-height")).and_then(length)) {
            if w > 36.0 && h > 36.0 && w < 14_400.0 && h < 14_400.0 {
                (page.width, page.height) = (w, h);
            }
        }
        if get((STYLE, "print-orientation")) == Some("landscape") && page.width < page.height {
            (page.width, page.height) = (page.height, page.width);
        }
        for (i, side) in ["margin-left", "margin-top", "margin-right", "margin-bottom"].iter().enumerate() {
            if let Some(margin) = get((FO, side)).and_then(length).filter(|m| (0.0..page.width.min(page.height) / 2.0).contains(m)) {
                page.margins[i] = margin;
            }
        }
        page.down_then_over = get((STYLE, "print-page-order")) != Some("ltr");
        if let Some(scale) = get((STYLE, "scale-to")).and_then(|s| s.trim_end_matches('%').parse::<f32>().ok()).filter(|s| (10.0..=400.0).contains(s)) {
            page.scale = scale / 100.0;
        }
        let pages = |name: &str| get((STYLE, name)).and_then(|v| v.parse::<u32>().ok());
        if let Some(count) = pages("scale-to-pages") {
            page.fit = Some((count, count));
        }
        if pages("scale-to-X").is_some() || pages("scale-to-Y").is_some() {
            page.fit = Some((pages("scale-to-X").unwrap_or(0), pages("scale-to-Y").unwrap_or(0)));
        }
        match get((STYLE, "table-centering")) {
            Some("horizontal") => page.center_horizontally = true,
            Some("vertical") => page.center_vertically = true,
            Some("both") => (page.center_horizontally, page.center_vertically) = (true, true),
            _ => {}
        }
        page.gridlines = get((STYLE, "print")).is_some_and(|p| p.split_whitespace().any(|w| w == "grid"));
        page.first_page_number = get((STYLE, "first-page-number")).and_then(|n| n.parse().ok());
        // Without a master page LibreOffice's default one applies: the sheet's name above, "Page 1" below.
        let Some(master_node) = master_node else {
            let run = |text: &str, page_number: bool| TextRun { text: text.into(), font: Some("Liberation Sans".into()), size: 10.0, page_number, ..TextRun::default() };
            page.header = Some(HeaderFooter { parts: [Vec::new(), vec![run(sheet, false)], Vec::new()] });
            page.footer = Some(HeaderFooter { parts: [Vec::new(), vec![run("Page ", false), run("1", true)], Vec::new()] });
            (page.header_room, page.footer_room) = (21.26, 21.26);
            page.header_distance = page.margins[1];
            page.footer_distance = page.margins[3];
            return page;
        };
        for (header, kind) in [(true, "header"), (false, "footer")] {
            let Some(part) = master_node.children().find(|c| is(*c, kind)) else { continue };
            if part.attribute((STYLE, "display")) == Some("false") {
                continue;
            }
            let properties = layout
                .and_then(|l| l.children().find(|c| is(*c, &format!("{kind}-style"))))
                .and_then(|s| s.children().find(|c| is(*c, "header-footer-properties")));
            let size = |name: &str| properties.and_then(|p| p.attribute((FO, name))).and_then(length).unwrap_or(0.0);
            // The spacing to the cells is inside the height (LibreOffice's page styles).
            let room = size("min-height").max(size("height")).max(size(if header { "margin-bottom" } else { "margin-top" })).clamp(0.0, page.height / 3.0);
            let text = header_footer_text(part, &self.look(None).text, sheet);
            if header {
                page.header_room = room;
                page.header_distance = page.margins[1];
                page.header = text;
            } else {
                page.footer_room = room;
                page.footer_distance = page.margins[3];
                page.footer = text;
            }
        }
        page
    }
}

/// A border's width and colour from `0.06pt solid #000000`.
fn border(text: &str) -> Option<Stroke> {
    if text.trim() == "none" || text.contains("hidden") {
        return None;
    }
    let mut width = 0.75;
    let mut color = (0, 0, 0);
    for word in text.split_whitespace() {
        if let Some(w) = length(word) {
            width = w.clamp(0.1, 10.0);
        } else if let Some(c) = rgb(word) {
            color = c;
        }
    }
    Some(Stroke { color, width })
}

/// A header's or footer's regions (left, centre, right) or its one
/// paragraph (centred), with sheet names, page numbers and counts.
fn header_footer_text(part: Node<'_, '_>, base: &TextRun, sheet: &str) -> Option<HeaderFooter> {
    let mut out = HeaderFooter::default();
    let regions: Vec<(usize, Node<'_, '_>)> = part
        .children()
        .filter_map(|c| match c.tag_name().name() {
            "region-left" => Some((0, c)),
            "region-center" => Some((1, c)),
            "region-right" => Some((2, c)),
            _ => None,
        })
        .collect();
    let regions = if regions.is_empty() { vec![(1, part)] } else { regions };
    for (slot, region) in regions {
        let run = |text: String, page_number: bool| TextRun { text, font: base.font.clone(), size: base.size, page_number, ..TextRun::default() };
        for (i, p) in region.children().filter(|c| is(*c, "p")).enumerate() {
            if i > 0 {
                out.parts[slot].push(run("\n".into(), false));
            }
            for node in p.descendants().skip(1) {
                if node.is_text() {
                    // Text inside a field element is that field's stand-in, replaced below.
                    if node.parent().is_some_and(|p| p.tag_name().namespace() == Some(TEXT) && matches!(p.tag_name().name(), "sheet-name" | "page-number" | "page-count" | "title" | "date" | "time" | "file-name")) {
                        continue;
                    }
                    out.parts[slot].push(run(node.text().unwrap_or("").to_string(), false));
                    continue;
                }
                match node.tag_name().name() {
                    "sheet-name" => out.parts[slot].push(run(sheet.to_string(), false)),
                    "page-number" => out.parts[slot].push(run("1".into(), true)),
                    "page-count" => out.parts[slot].push(run(HeaderFooter::PAGE_COUNT.into(), false)),
                    "title" | "date" | "time" | "file-name" => out.parts[slot].push(run(node.text().unwrap_or("").to_string(), false)),
                    "s" => out.parts[slot].push(run(" ".repeat(node.attribute((TEXT, "c")).and_then(|c| c.parse().ok()).unwrap_or(1usize).min(100)), false)),
                    "tab" => out.parts[slot].push(run("\t".into(), false)),
                    _ => {}
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

struct TableReader<'s, 'a, 'i> {
    styles: &'s Styles<'a, 'i>,
    grid: SheetGrid,
    /// Cell style name to its index in the grid's styles.
    looks: HashMap<Option<String>, u32>,
    cells_left: &'s mut u64,
    max_cells: u64,
}

impl TableReader<'_, '_, '_> {
    fn look(&mut self, name: Option<&str>) -> u32 {
        let key = name.map(str::to_string);
        if let Some(&index) = self.looks.get(&key) {
            return index;
        }
        let index = self.grid.styles.len() as u32;
        self.grid.styles.push(self.styles.look(name));
        self.looks.insert(key, index);
        index
    }

    fn read(&mut self, table: Node<'_, '_>) -> Result<()> {
        let base = self.look(None);
        let default = &self.grid.styles[base as usize];
        self.grid.digit_font = (default.text.font.clone(), default.text.size);
        if let Some(range) = table.attribute((TABLE, "print-ranges")).and_then(|r| r.split_whitespace().next()).and_then(|r| CellRange::parse(&r.replace(['.', '\''], ""))) {
            self.grid.print_area = Some(range);
        }
        let mut column_styles: Vec<Option<String>> = Vec::new();
        let mut column = 0u32;
        for col in table.descendants().filter(|n| is(*n, "table-column")) {
            let repeat = col.attribute((TABLE, "number-columns-repeated")).and_then(|r| r.parse::<u32>().ok()).unwrap_or(1).max(1);
            let width = col.attribute((TABLE, "style-name")).and_then(|s| self.styles.get("table-column", s)).and_then(|s| self.styles.property(s, "table-column-properties", (STYLE, "column-width"))).and_then(length);
            let hidden = matches!(col.attribute((TABLE, "visibility")), Some("collapse" | "filter"));
            let cell_style = col.attribute((TABLE, "default-cell-style-name")).map(str::to_string);
            for _ in 0..repeat.min(1024u32.saturating_sub(column)) {
                self.grid.columns.push(width.map_or(self.grid.default_width, Width::points));
                column_styles.push(cell_style.clone());
                if hidden {
                    self.grid.hidden_columns.push(column);
                }
                column += 1;
            }
            if column >= 1024 {
                // The rest of the sheet's columns are as the last run says.
                if let Some(width) = width {
                    self.grid.default_width = Width::points(width);
                }
                break;
            }
        }
        let mut row = 0u32;
        for row_node in table.descendants().filter(|n| is(*n, "table-row")) {
            let repeat = row_node.attribute((TABLE, "number-rows-repeated")).and_then(|r| r.parse::<u32>().ok()).unwrap_or(1).max(1);
            let style = row_node.attribute((TABLE, "style-name")).and_then(|s| self.styles.get("table-row", s));
            let height = style.and_then(|s| self.styles.property(s, "table-row-properties", (STYLE, "row-height"))).and_then(length);
            let optimal = style.and_then(|s| self.styles.property(s, "table-row-properties", (STYLE, "use-optimal-row-height"))) != Some("false");
            let hidden = matches!(row_node.attribute((TABLE, "visibility")), Some("collapse" | "filter"));
            let has_text = row_node.descendants().any(|n| is(n, "p"));
            // Long runs of empty rows only matter for their height.
            let repeat_cells = if has_text { repeat.min(MAX_STYLED_REPEAT) } else { repeat.min(4) };
            for copy in 0..repeat.min(1_048_576u32.saturating_sub(row)) {
                let r = row + copy;
                if let Some(points) = height.filter(|h| (0.0..4096.0).contains(h)) {
                    if repeat < 65_536 || copy == 0 {
                        self.grid.rows.push((r, RowHeight { points, custom: !optimal }));
                    }
                }
                if hidden && repeat < 65_536 {
                    self.grid.hidden_rows.push(r);
                }
                if copy < repeat_cells {
                    self.row_cells(row_node, r, &column_styles)?;
                }
            }
            row = row.saturating_add(repeat);
        }
        self.grid.cells.sort_by_key(|c| (c.row, c.column));
        Ok(())
    }

    fn row_cells(&mut self, row_node: Node<'_, '_>, r: u32, column_styles: &[Option<String>]) -> Result<()> {
        let mut c = 0u32;
        for cell in row_node.children().filter(|n| is(*n, "table-cell") || is(*n, "covered-table-cell")) {
            let repeat = cell.attribute((TABLE, "number-columns-repeated")).and_then(|r| r.parse::<u32>().ok()).unwrap_or(1).max(1);
            if is(cell, "covered-table-cell") {
                c = c.saturating_add(repeat);
                continue;
            }
            let lines: Vec<String> = cell.children().filter(|p| is(*p, "p")).map(paragraph_text).collect();
            let text = lines.join("\n");
            let style_name = cell.attribute((TABLE, "style-name")).map(str::to_string).or_else(|| column_styles.get(c as usize).cloned().flatten());
            let style = self.look(style_name.as_deref());
            // The default style's look (a white background, say) does not make an empty cell print.
            let visible = style != self.looks[&None] && self.grid.styles[style as usize].is_visible();
            let spans = (cell.attribute((TABLE, "number-columns-spanned")).and_then(|v| v.parse::<u32>().ok()).unwrap_or(1), cell.attribute((TABLE, "number-rows-spanned")).and_then(|v| v.parse::<u32>().ok()).unwrap_or(1));
            if !text.is_empty() || visible {
                let value_type = cell.attribute((OFFICE, "value-type"));
                let number = matches!(value_type, Some("float" | "percentage" | "currency" | "date" | "time" | "boolean"));
                let general = (value_type == Some("float") && self.styles_general(cell)).then(|| cell.attribute((OFFICE, "value")).and_then(|v| v.parse::<f64>().ok())).flatten();
                let copies = if text.is_empty() { repeat.min(MAX_STYLED_REPEAT) } else { repeat.min(16_384) };
                for copy in 0..copies {
                    *self.cells_left = self.cells_left.checked_sub(1).ok_or_else(|| Error::limit("cells", self.max_cells, self.max_cells + 1))?;
                    self.grid.cells.push(GridCell { row: r, column: c + copy, text: text.clone(), style, number, general });
                }
            }
            if spans.0 > 1 || spans.1 > 1 {
                self.grid.merges.push(CellRange { first_row: r, first_column: c, last_row: r + spans.1.clamp(1, 65_536) - 1, last_column: c + spans.0.clamp(1, 16_384) - 1 });
            }
            c = c.saturating_add(repeat);
        }
        Ok(())
    }

    /// Whether a number cell shows in the general format (no data style of its own).
    fn styles_general(&self, cell: Node<'_, '_>) -> bool {
        let style = cell.attribute((TABLE, "style-name")).and_then(|s| self.styles.get("table-cell", s));
        style.and_then(|s| s.attribute((STYLE, "data-style-name"))).is_none_or(|d| d == "N0")
    }
}

/// A paragraph's text with its spaces (`text:s`), tabs and line breaks.
fn paragraph_text(p: Node<'_, '_>) -> String {
    let mut text = String::new();
    for node in p.descendants().skip(1) {
        if node.is_text() {
            if !node.ancestors().any(|a| is(a, "annotation") || is(a, "note")) {
                text.push_str(node.text().unwrap_or(""));
            }
        } else {
            match node.tag_name().name() {
                "s" => text.push_str(&" ".repeat(node.attribute((TEXT, "c")).and_then(|c| c.parse().ok()).unwrap_or(1usize).min(1000))),
                "tab" => text.push('\t'),
                "line-break" => text.push('\n'),
                _ => {}
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_borders() {
        assert_eq!(length("1in"), Some(72.0));
        assert!((length("2.54cm").unwrap() - 72.0).abs() < 0.01);
        assert_eq!(length("abc"), None);
        assert_eq!(border("0.06pt solid #ff0000"), Some(Stroke { color: (255, 0, 0), width: 0.1 }));
        assert_eq!(border("none"), None);
    }

    #[test]
    fn a_sheet_with_its_page() {
        let content = r##"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0">
<office:automatic-styles><style:style style:name="co1" style:family="table-column"><style:table-column-properties style:column-width="1in"/></style:style>
<style:style style:name="ce1" style:family="table-cell"><style:table-cell-properties fo:background-color="#ffff00"/><style:text-properties fo:font-weight="bold"/></style:style></office:automatic-styles>
<office:body><office:spreadsheet><table:table table:name="S"><table:table-column table:style-name="co1" table:number-columns-repeated="2"/>
<table:table-row><table:table-cell table:style-name="ce1" office:value-type="string" table:number-columns-spanned="2"><text:p>a<text:s text:c="2"/>b</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
<table:table-row table:number-rows-repeated="1000000"><table:table-cell table:style-name="ce1" table:number-columns-repeated="16384"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"##;
        let xml = Xml::parse(content).unwrap();
        let styles = Styles::new(&xml, None);
        let mut left = 10_000_000;
        let mut reader = TableReader { styles: &styles, grid: SheetGrid::default(), looks: HashMap::new(), cells_left: &mut left, max_cells: 10_000_000 };
        reader.read(xml.descendants().find(|n| is(*n, "table")).unwrap()).unwrap();
        let grid = reader.grid;
        assert_eq!(grid.columns[..2], [Width::points(72.0), Width::points(72.0)]);
        assert_eq!(grid.cells[0].text, "a  b");
        assert!(grid.styles[grid.cells[0].style as usize].text.bold);
        assert_eq!(grid.merges, [CellRange { first_row: 0, first_column: 0, last_row: 0, last_column: 1 }]);
        // A million styled rows of 16,384 cells are cut short.
        assert!(grid.cells.len() < 10_000, "{}", grid.cells.len());
        let page = styles.page("Default", "S");
        assert_eq!(page.header.unwrap().parts[1][0].text, "S");
    }
}
