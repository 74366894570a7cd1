//! ODP slides as placed pages ([`FixedPage`]): one per `draw:page` that is
//! not hidden, at its master page's page-layout size, the master page's
//! own shapes (not its placeholders) under the slide's. Shapes: frames
//! (text boxes, pictures, tables), custom shapes (rectangles, ellipses and
//! the polygons `draw:enhanced-geometry` names; others as their box),
//! rectangles, ellipses, circles, lines, connectors, polygons and groups,
//! with `draw:transform` rotations. Properties follow ODF's style chain:
//! the shape's graphic or presentation style and its parents, then the
//! default graphic style; text takes the span's, then the paragraph's,
//! then the shape's text properties. Backgrounds: the page's or the master
//! page's solid fill or picture.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::Arc;

use fileconv_core::document::fixed::{
    Align, Anchor, Gradient, NOTES, Bullet, Color, FixedCell, FixedPage, FixedRow, FixedTable, Frame, Geometry, Picture, Shape, Spacing, Stroke, TextBody, TextParagraph, TextRun,
};
use fileconv_core::{Context, Error, Result};
use fileconv_zip::zip;
use roxmltree::{Document as Xml, Node};

const FORMAT: &str = "odp";
const MAX_DEPTH: usize = 32;
const MAX_SHAPES: usize = 100_000;

/// Reads the placed pages of an ODP package whose `content.xml` is `content`.
///
/// # Errors
/// [`Error::InvalidInput`] for broken XML; [`Error::LimitExceeded`] past
/// the node or shape limits.
pub fn read<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, content: &[u8], ctx: &Context<'_>) -> Result<Vec<FixedPage>> {
    with_reader(zip, content, ctx, |reader, root| {
        let Some(presentation) = root.descendants().find(|n| n.has_tag_name((OFFICE, "presentation"))) else { return Ok(Vec::new()) };
        slides(reader, presentation, ctx)
    })
}

/// Parses `content.xml` and `styles.xml` and hands a reader over their
/// styles, with the content's root, to `read`.
fn with_reader<R: Read + Seek, T>(
    zip: &mut zip::ZipArchive<R>,
    content: &[u8],
    ctx: &Context<'_>,
    read: impl FnOnce(&mut PageReader<'_, '_, '_, R>, Node<'_, '_>) -> Result<T>,
) -> Result<T> {
    let content = std::str::from_utf8(content).map_err(|_| Error::invalid_input(FORMAT, "content.xml: not UTF-8"))?;
    let styles_text = match fileconv_zip::read_optional(zip, "styles.xml", FORMAT)? {
        Some(bytes) => fileconv_zip::tree::utf8(bytes, "styles.xml", FORMAT)?,
        None => String::new(),
    };
    let content = parse(content, "content.xml")?;
    let styles_xml = if styles_text.is_empty() { None } else { Some(parse(&styles_text, "styles.xml")?) };
    let mut styles = Styles::default();
    if let Some(s) = &styles_xml {
        styles.read(s.root_element(), true);
    }
    styles.read(content.root_element(), false);
    let mut reader = PageReader { zip, styles: &styles, media: HashMap::new(), shapes: Vec::new(), ctx, number: 0, thumbnail: None };
    read(&mut reader, content.root_element())
}

/// Every `draw:page` that is not hidden, as a placed page; then, when
/// [`NOTES`] asks, each one's notes page.
fn slides<R: Read + Seek>(reader: &mut PageReader<'_, '_, '_, R>, presentation: Node<'_, '_>, ctx: &Context<'_>) -> Result<Vec<FixedPage>> {
    let styles = reader.styles;
    let mut pages = Vec::new();
    let mut shown = Vec::new();
    for page in presentation.children().filter(|n| n.has_tag_name((DRAW, "page"))) {
        ctx.checkpoint()?;
        let page_style = attr(page, DRAW, "style-name");
        if styles.get("drawing-page", page_style, false, "visibility").is_some_and(|v| v == "hidden") {
            continue;
        }
        let master = attr(page, DRAW, "master-page-name").and_then(|m| styles.masters.get(m).copied());
        let layout = master.and_then(|m| attr(m, STYLE, "page-layout-name"));
        let size = |name| styles.get("page-layout", layout, true, name).and_then(length);
        let (width, height) = (size("page-width").unwrap_or(792.0), size("page-height").unwrap_or(612.0));
        let mut fixed = FixedPage { width, height, ..FixedPage::default() };
        reader.number = pages.len() + 1;
        // The page's background, else the master page's.
        let master_style = master.and_then(|m| attr(m, DRAW, "style-name"));
        for (style, in_master) in [(page_style, false), (master_style, true)] {
            match styles.get("drawing-page", style, in_master, "fill") {
                Some("solid") => fixed.background = styles.get("drawing-page", style, in_master, "fill-color").and_then(color),
                Some("bitmap") => {
                    let image = styles.get("drawing-page", style, in_master, "fill-image-name").and_then(|n| styles.fill_images.get(n).cloned());
                    if let Some(data) = image.map(|href| reader.picture(&href)).transpose()?.flatten() {
                        fixed.background_picture = Some(Picture { data, crop: [0.0; 4] });
                    }
                }
                Some("gradient") => {
                    let gradient = styles.get("drawing-page", style, in_master, "fill-gradient-name").and_then(|n| styles.gradients.get(n).cloned());
                    fixed.background = gradient.as_ref().and_then(Gradient::first);
                    fixed.background_gradient = gradient;
                }
                Some(_) => {}
                None => continue,
            }
            break;
        }
        if let Some(m) = master {
            reader.shapes_of(m, true, 0)?;
        }
        reader.shapes_of(page, false, 0)?;
        fixed.shapes = std::mem::take(&mut reader.shapes);
        shown.push((page, master, pages.len()));
        pages.push(fixed);
    }
    if NOTES.boolean(ctx.options)? {
        for (page, master, index) in shown {
            ctx.checkpoint()?;
            pages.push(notes_page(reader, page, master, &pages[index], index + 1)?);
        }
    }
    Ok(pages)
}

/// A slide's notes page: its `presentation:notes` (the slide's thumbnail
/// and the notes) on the master's notes page size, else the master's
/// notes page with the slide in its thumbnail.
fn notes_page<R: Read + Seek>(reader: &mut PageReader<'_, '_, '_, R>, page: Node<'_, '_>, master: Option<Node<'_, '_>>, slide: &FixedPage, number: usize) -> Result<FixedPage> {
    let styles = reader.styles;
    let master_notes = master.and_then(|m| m.children().find(|n| n.has_tag_name((PRESENTATION, "notes"))));
    let layout = master_notes.and_then(|n| attr(n, STYLE, "page-layout-name"));
    let size = |name| styles.get("page-layout", layout, true, name).and_then(length);
    let mut notes = FixedPage { width: size("page-width").unwrap_or(595.3), height: size("page-height").unwrap_or(841.9), ..FixedPage::default() };
    reader.number = number;
    reader.thumbnail = Some(slide.clone());
    match page.children().find(|n| n.has_tag_name((PRESENTATION, "notes"))) {
        Some(own) => reader.shapes_of(own, false, 0)?,
        None => {
            if let Some(thumbnail) = master_notes.and_then(|n| n.children().find(|c| c.has_tag_name((DRAW, "page-thumbnail")))) {
                reader.shape(thumbnail, false)?;
            }
        }
    }
    reader.thumbnail = None;
    notes.shapes = std::mem::take(&mut reader.shapes);
    Ok(notes)
}

mod text;
pub use text::read_text;

const OFFICE: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const STYLE: &str = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const DRAW: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const SVG: &str = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";
const TEXT: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const PRESENTATION: &str = "urn:oasis:names:tc:opendocument:xmlns:presentation:1.0";
const XLINK: &str = "http://www.w3.org/1999/xlink";

fn parse<'a>(text: &'a str, part: &str) -> Result<Xml<'a>> {
    fileconv_zip::tree::parse(text, part, FORMAT)
}

fn attr<'a>(node: Node<'a, '_>, ns: &str, name: &str) -> Option<&'a str> {
    node.attribute((ns, name))
}

/// An ODF length (`2.5cm`, `10mm`, `1in`, `12pt`, `3pc`, `40px`) in points.
fn length(text: &str) -> Option<f32> {
    let text = text.trim();
    let at = text.find(|c: char| c.is_ascii_alphabetic() || c == '%').unwrap_or(text.len());
    let value: f32 = text[..at].parse().ok().filter(|v: &f32| v.is_finite())?;
    Some(match &text[at..] {
        "cm" => value * 72.0 / 2.54,
        "mm" => value * 72.0 / 25.4,
        "in" | "inch" => value * 72.0,
        "pt" | "" => value,
        "pc" => value * 12.0,
        "px" => value * 0.75,
        _ => return None,
    })
}

use fileconv_zip::tree::rgb as color;

/// Styles by family, then name: looked up for every property of every
/// paragraph and run, without allocating.
type ByFamily<'a, 'i> = HashMap<&'a str, HashMap<&'a str, Node<'a, 'i>>>;

/// Styles by family and name, from `styles.xml` (common and master-page
/// automatic styles) and `content.xml` (automatic styles).
#[derive(Default)]
struct Styles<'a, 'i> {
    common: ByFamily<'a, 'i>,
    /// styles.xml's automatic styles (used by master pages).
    master_auto: ByFamily<'a, 'i>,
    /// content.xml's automatic styles.
    content_auto: ByFamily<'a, 'i>,
    defaults: HashMap<String, Node<'a, 'i>>,
    masters: HashMap<String, Node<'a, 'i>>,
    page_layouts: HashMap<String, Node<'a, 'i>>,
    list_styles: HashMap<String, Node<'a, 'i>>,
    fonts: HashMap<String, String>,
    fill_images: HashMap<String, String>,
    /// Gradients by name.
    gradients: HashMap<String, Gradient>,
}

impl<'a, 'i> Styles<'a, 'i> {
    fn read(&mut self, root: Node<'a, 'i>, is_styles_part: bool) {
        for section in root.children().filter(Node::is_element) {
            let name = section.tag_name().name();
            for node in section.descendants().filter(Node::is_element) {
                let key = node.tag_name().name();
                match key {
                    "style" => {
                        let (Some(family), Some(style_name)) = (attr(node, STYLE, "family"), attr(node, STYLE, "name")) else { continue };
                        let map = match (name, is_styles_part) {
                            ("automatic-styles", true) => &mut self.master_auto,
                            ("automatic-styles", false) => &mut self.content_auto,
                            _ => &mut self.common,
                        };
                        map.entry(family).or_default().insert(style_name, node);
                    }
                    "default-style" => {
                        if let Some(family) = attr(node, STYLE, "family") {
                            self.defaults.insert(family.to_string(), node);
                        }
                    }
                    "master-page" => {
                        if let Some(n) = attr(node, STYLE, "name") {
                            self.masters.insert(n.to_string(), node);
                        }
                    }
                    "page-layout" => {
                        if let Some(n) = attr(node, STYLE, "name") {
                            self.page_layouts.insert(n.to_string(), node);
                        }
                    }
                    "list-style" if node.tag_name().namespace() == Some(TEXT) => {
                        if let Some(n) = attr(node, STYLE, "name") {
                            self.list_styles.insert(n.to_string(), node);
                        }
                    }
                    "font-face" => {
                        if let (Some(n), Some(family)) = (attr(node, STYLE, "name"), attr(node, SVG, "font-family")) {
                            self.fonts.insert(n.to_string(), family.trim_matches(|c| c == '\'' || c == '"').to_string());
                        }
                    }
                    "fill-image" => {
                        if let (Some(n), Some(href)) = (attr(node, DRAW, "name"), attr(node, XLINK, "href")) {
                            self.fill_images.insert(n.to_string(), href.to_string());
                        }
                    }
                    "gradient" => {
                        if let (Some(n), Some(gradient)) = (attr(node, DRAW, "name"), gradient(node)) {
                            self.gradients.insert(n.to_string(), gradient);
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn style(&self, family: &str, name: &str, in_master: bool) -> Option<Node<'a, 'i>> {
        let automatic = if in_master { &self.master_auto } else { &self.content_auto };
        let find = |map: &ByFamily<'a, 'i>| map.get(family).and_then(|styles| styles.get(name)).copied();
        find(automatic).or_else(|| find(&self.common))
    }

    /// A property (by local name, in any of the style's property elements)
    /// of the named style or its parents, then of the family's default.
    fn get(&self, family: &str, name: Option<&str>, in_master: bool, property: &str) -> Option<&'a str> {
        let find = |n: &str| self.style(family, n, in_master).or_else(|| self.style(family, n, !in_master));
        let mut wanted = name;
        for _ in 0..16 {
            let Some(n) = wanted else { break };
            let Some(style) = find(n) else {
                // A standard style the file names without defining: LibreOffice's own.
                if let Some(v) = builtin_style(family, n, property) {
                    return Some(v);
                }
                break;
            };
            if let Some(v) = own_property(style, property) {
                return Some(v);
            }
            wanted = attr(style, STYLE, "parent-style-name");
        }
        if family == "page-layout" {
            return name.and_then(|n| self.page_layouts.get(n)).and_then(|l| own_property(*l, property));
        }
        let default_family = if family == "presentation" { "graphic" } else { family };
        self.defaults.get(default_family).and_then(|d| own_property(*d, property))
    }
}

/// LibreOffice's definitions of the standard paragraph styles, for files
/// (pandoc's among them) that use them without defining them.
fn builtin_style(family: &str, name: &str, property: &str) -> Option<&'static str> {
    if family != "paragraph" {
        return None;
    }
    let heading = name == "Heading" || name == "Title" || name == "Subtitle" || name.starts_with("Heading_20_");
    let own = match (name, property) {
        ("Title", "font-size") => "28pt",
        ("Title", "font-weight") => "bold",
        ("Title" | "Subtitle", "text-align") => "center",
        ("Subtitle", "font-size") => "18pt",
        ("Subtitle", "margin-top") => "0.106cm",
        ("Heading", "font-size") => "14pt",
        ("Heading_20_1", "font-size") => "18.2pt",
        ("Heading_20_2", "font-size") => "16.1pt",
        ("Heading_20_3", "font-size") => "14.1pt",
        ("Heading_20_4", "font-size") => "13.3pt",
        ("Heading_20_5" | "Heading_20_6", "font-size") => "11.9pt",
        (n, "font-weight") if n.starts_with("Heading_20_") => "bold",
        ("Heading_20_2" | "Heading_20_4" | "Heading_20_6", "font-style") => "italic",
        ("Text_20_body" | "Text_20_body_20_indent", "margin-bottom") => "0.247cm",
        ("Text_20_body" | "Text_20_body_20_indent", "line-height") => "115%",
        ("Quotations", "margin-left" | "margin-right") => "1cm",
        ("Quotations", "margin-bottom") => "0.499cm",
        ("Preformatted_20_Text", "font-family") => "Liberation Mono",
        ("Preformatted_20_Text", "font-size") => "10pt",
        _ if heading => match property {
            "font-family" => "Liberation Sans",
            "margin-top" => "0.423cm",
            "margin-bottom" => "0.212cm",
            "keep-with-next" => "always",
            _ => return None,
        },
        _ => return None,
    };
    Some(own)
}

fn own_property<'a>(style: Node<'a, '_>, property: &str) -> Option<&'a str> {
    style.children().filter(|c| c.is_element() && c.tag_name().name().ends_with("-properties")).find_map(|p| p.attributes().find(|a| a.name() == property).map(|a| a.value()))
}

/// Text properties as they cascade: span, paragraph, shape.
#[derive(Clone, Debug, Default)]
struct TextLook {
    size: Option<f32>,
    bold: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    strike: Option<bool>,
    color: Option<Color>,
    font: Option<String>,
    /// The shape's paragraph alignment, for paragraphs that do not say.
    align: Option<Align>,
}

fn alignment(value: Option<&str>) -> Option<Align> {
    Some(match value? {
        "center" => Align::Center,
        "end" | "right" => Align::Right,
        "justify" => Align::Justify,
        _ => Align::Left,
    })
}

struct PageReader<'r, 'a, 'i, R> {
    zip: &'r mut zip::ZipArchive<R>,
    styles: &'r Styles<'a, 'i>,
    media: HashMap<String, Option<Arc<Vec<u8>>>>,
    shapes: Vec<Shape>,
    ctx: &'r Context<'r>,
    /// The slide's number (1-based), for page-number fields.
    number: usize,
    /// On a notes page: the slide, drawn in its page thumbnail.
    thumbnail: Option<FixedPage>,
}

impl<R: Read + Seek> PageReader<'_, '_, '_, R> {
    fn push(&mut self, shape: Shape) -> Result<()> {
        if self.shapes.len() >= MAX_SHAPES {
            return Err(Error::limit("shapes on one slide", MAX_SHAPES as u64, MAX_SHAPES as u64 + 1));
        }
        self.shapes.push(shape);
        Ok(())
    }

    fn picture(&mut self, href: &str) -> Result<Option<Arc<Vec<u8>>>> {
        if href.contains("://") {
            return Ok(None);
        }
        let path = fileconv_zip::resolve("", href);
        if let Some(found) = self.media.get(&path) {
            return Ok(found.clone());
        }
        let data = fileconv_zip::read_optional(self.zip, &path, FORMAT)?;
        if let Some(d) = &data {
            self.ctx.charge_memory(d.len() as u64, "memory for slide pictures (bytes)")?;
        }
        let data = data.map(Arc::new);
        self.media.insert(path, data.clone());
        Ok(data)
    }

    /// The drawing shapes directly inside `parent` (a page, master page or group).
    fn shapes_of(&mut self, parent: Node<'_, '_>, in_master: bool, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::limit("nesting of group shapes", MAX_DEPTH as u64, depth as u64));
        }
        for node in parent.children().filter(|n| n.is_element() && n.tag_name().namespace() == Some(DRAW)) {
            // A master page's placeholders are prompts, not drawn.
            if in_master && attr(node, PRESENTATION, "class").is_some() {
                continue;
            }
            match node.tag_name().name() {
                "g" => self.shapes_of(node, in_master, depth + 1)?,
                "frame" | "custom-shape" | "rect" | "ellipse" | "circle" | "line" | "connector" | "polygon" | "polyline" | "page-thumbnail" => self.shape(node, in_master)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn shape(&mut self, node: Node<'_, '_>, in_master: bool) -> Result<()> {
        let name = node.tag_name().name();
        let (family, style) = match attr(node, PRESENTATION, "style-name") {
            Some(s) => ("presentation", Some(s)),
            None => ("graphic", attr(node, DRAW, "style-name")),
        };
        let styles = self.styles;
        let get = |property: &str| styles.get(family, style, in_master, property);
        let len = |ns, n| attr(node, ns, n).and_then(length);
        let mut frame = Frame { x: len(SVG, "x").unwrap_or(0.0), y: len(SVG, "y").unwrap_or(0.0), width: len(SVG, "width").unwrap_or(0.0), height: len(SVG, "height").unwrap_or(0.0), ..Frame::default() };
        let mut geometry = Geometry::Rect;
        match name {
            "line" | "connector" => {
                let (x1, y1, x2, y2) = (len(SVG, "x1").unwrap_or(0.0), len(SVG, "y1").unwrap_or(0.0), len(SVG, "x2").unwrap_or(0.0), len(SVG, "y2").unwrap_or(0.0));
                frame = Frame { x: x1.min(x2), y: y1.min(y2), width: (x2 - x1).abs(), height: (y2 - y1).abs(), flip_h: x2 < x1, flip_v: y2 < y1, ..Frame::default() };
                geometry = Geometry::Line;
            }
            "ellipse" | "circle" => geometry = Geometry::Ellipse,
            "rect" => {
                let radius = len(DRAW, "corner-radius").unwrap_or(0.0);
                if radius > 0.0 && frame.width.min(frame.height) > 0.0 {
                    geometry = Geometry::RoundRect(radius / frame.width.min(frame.height));
                }
            }
            "polygon" | "polyline" => {
                if let Some(points) = polygon(node) {
                    geometry = Geometry::Polygon(points);
                }
            }
            "custom-shape" => geometry = node.children().find(|c| c.has_tag_name((DRAW, "enhanced-geometry"))).map_or(Geometry::Rect, enhanced_geometry),
            _ => {}
        }
        if let Some(transform) = attr(node, DRAW, "transform") {
            apply_transform(&mut frame, transform);
        }
        if name == "page-thumbnail" {
            // The slide on its notes page, outlined thinly.
            let Some(slide) = &self.thumbnail else { return Ok(()) };
            let stroke = Some(Stroke { color: (128, 128, 128), width: 0.75 });
            return self.push(Shape { frame, page: Some(Box::new(slide.clone())), stroke, ..Shape::default() });
        }
        let mut shape = Shape { frame, geometry, ..Shape::default() };
        if name != "frame" {
            match get("fill") {
                Some("none") => {}
                Some("gradient") => {
                    shape.gradient = get("fill-gradient-name").and_then(|n| styles.gradients.get(n).cloned());
                    shape.fill = shape.gradient.as_ref().and_then(Gradient::first);
                }
                Some("bitmap") => {
                    let href = get("fill-image-name").and_then(|n| styles.fill_images.get(n).cloned());
                    if let Some(data) = href.map(|h| self.picture(&h)).transpose()?.flatten() {
                        shape.picture = Some(Picture { data, crop: [0.0; 4] });
                    }
                }
                _ => shape.fill = get("fill-color").and_then(color).or(Some((0x72, 0x9f, 0xcf))),
            }
            if get("stroke") != Some("none") {
                let width = get("stroke-width").and_then(length).unwrap_or(0.0).max(0.75);
                shape.stroke = Some(Stroke { color: get("stroke-color").and_then(color).unwrap_or((0x34, 0x65, 0xa4)), width });
            }
        } else if node.children().all(|c| !c.has_tag_name((TABLE, "table"))) {
            if get("fill") == Some("solid") {
                shape.fill = get("fill-color").and_then(color);
            }
            if matches!(get("stroke"), Some("solid") | Some("dash")) {
                let width = get("stroke-width").and_then(length).unwrap_or(0.0).max(0.75);
                shape.stroke = get("stroke-color").and_then(color).map(|c| Stroke { color: c, width });
            }
        }
        let text_parent = if name == "frame" { node.children().find(|c| c.has_tag_name((DRAW, "text-box"))) } else { Some(node) };
        if let Some(parent) = text_parent {
            shape.text = self.text_body(parent, family, style, attr(node, DRAW, "text-style-name"), in_master);
        }
        if name == "frame" {
            // A table's frame also holds a preview picture of it, not drawn.
            let table = node.children().find(|c| c.has_tag_name((TABLE, "table")));
            if let Some(image) = node.children().find(|c| c.has_tag_name((DRAW, "image"))).filter(|_| table.is_none()) {
                if let Some(data) = attr(image, XLINK, "href").map(|h| self.picture(h)).transpose()?.flatten() {
                    shape.picture = Some(Picture { data, crop: [0.0; 4] });
                }
            }
            if let Some(table) = table {
                shape.table = Some(self.table(table, in_master));
            }
        }
        if shape.fill.is_some() || shape.stroke.is_some() || shape.picture.is_some() || shape.text.is_some() || shape.table.is_some() {
            self.push(shape)?;
        }
        Ok(())
    }

    fn text_look(&self, family: &str, style: Option<&str>, in_master: bool, base: &TextLook) -> TextLook {
        let get = |p: &str| style.and_then(|_| self.styles.get(family, style, in_master, p));
        let mut look = base.clone();
        if let Some(size) = get("font-size") {
            look.size = match size.strip_suffix('%') {
                Some(pct) => pct.parse::<f32>().ok().map(|p| base.size.unwrap_or(18.0) * p / 100.0),
                None => length(size),
            }
            .or(look.size);
        }
        if let Some(w) = get("font-weight") {
            look.bold = Some(w == "bold" || w.parse::<u32>().is_ok_and(|n| n >= 600));
        }
        if let Some(s) = get("font-style") {
            look.italic = Some(s == "italic" || s == "oblique");
        }
        if let Some(u) = get("text-underline-style") {
            look.underline = Some(u != "none");
        }
        if let Some(l) = get("text-line-through-style") {
            look.strike = Some(l != "none");
        }
        if let Some(c) = get("color").and_then(color) {
            look.color = Some(c);
        }
        if let Some(font) = get("font-name").and_then(|n| self.styles.fonts.get(n).cloned()).or_else(|| get("font-family").map(|f| f.trim_matches('\'').to_string())) {
            look.font = Some(font);
        }
        look
    }

    /// A shape's text: `style` is its graphic or presentation style,
    /// `text_style` the paragraph style its `draw:text-style-name` gives
    /// every paragraph that names none.
    fn text_body(&self, parent: Node<'_, '_>, family: &str, style: Option<&str>, text_style: Option<&str>, in_master: bool) -> Option<TextBody> {
        let get = |property: &str| self.styles.get(family, style, in_master, property);
        let base = self.text_look(family, style.or(Some("")), in_master, &TextLook { size: Some(18.0), ..TextLook::default() });
        let mut base = if style.is_none() { self.text_look("graphic", Some("standard"), in_master, &base) } else { base };
        base.align = alignment(get("text-align"));
        if let Some(text_style) = text_style {
            base = self.text_look("paragraph", Some(text_style), in_master, &base);
            base.align = alignment(self.styles.get("paragraph", Some(text_style), in_master, "text-align")).or(base.align);
        }
        let mut body = TextBody::default();
        let pad = |p: &str, default: f32| get(p).and_then(length).unwrap_or(default);
        body.inset = [pad("padding-left", 7.09), pad("padding-top", 3.54), pad("padding-right", 7.09), pad("padding-bottom", 3.54)];
        body.anchor = match get("textarea-vertical-align") {
            Some("middle") => Anchor::Middle,
            Some("bottom") => Anchor::Bottom,
            _ => Anchor::Top,
        };
        body.wrap = get("wrap-option") != Some("no-wrap") || family == "presentation";
        body.shrink_to_fit = get("shrink-to-fit") == Some("true") || get("fit-to-size") == Some("shrink-to-fit");
        // Line heights from the size, not the font (what LibreOffice writes for PowerPoint's files).
        let independent = text_style.and_then(|t| self.styles.get("paragraph", Some(t), in_master, "font-independent-line-spacing")).or_else(|| get("font-independent-line-spacing"));
        body.uniform_lines = independent == Some("true");
        let list_style = style.and_then(|_| get("list-style-name")).map(str::to_string);
        let presentation_list = if family == "presentation" { style.and_then(|s| self.styles.style("presentation", s, in_master)).and_then(|s| s.descendants().find(|n| n.has_tag_name((TEXT, "list-style")))) } else { None };
        let list = list_style.as_deref().and_then(|l| self.styles.list_styles.get(l).copied()).or(presentation_list);
        self.paragraphs(parent, in_master, &base, list, &mut body.paragraphs);
        if body.paragraphs.iter().all(|p| p.runs.iter().all(|r| r.text.trim().is_empty())) {
            return None;
        }
        Some(body)
    }

    /// The paragraphs and lists directly inside `parent`.
    fn paragraphs(&self, parent: Node<'_, '_>, in_master: bool, base: &TextLook, inherited_list: Option<Node<'_, '_>>, out: &mut Vec<TextParagraph>) {
        for node in parent.children().filter(|n| n.is_element() && n.tag_name().namespace() == Some(TEXT)) {
            match node.tag_name().name() {
                "p" | "h" => out.push(self.paragraph(node, in_master, base, None)),
                "list" => {
                    let style = attr(node, TEXT, "style-name").and_then(|l| self.styles.list_styles.get(l).copied()).or(inherited_list);
                    self.list(node, in_master, base, 1, style, out);
                }
                _ => {}
            }
        }
    }

    /// A list's items at `level` (from 1), with the markers of `style`'s level.
    fn list(&self, list: Node<'_, '_>, in_master: bool, base: &TextLook, level: usize, style: Option<Node<'_, '_>>, out: &mut Vec<TextParagraph>) {
        if level > 10 {
            return;
        }
        let style = attr(list, TEXT, "style-name").and_then(|l| self.styles.list_styles.get(l).copied()).or(style);
        let marker = style.and_then(|s| list_level(s, level));
        let mut number = marker.as_ref().map_or(1, |m| m.start);
        for item in list.children().filter(|c| c.is_element() && c.tag_name().name().starts_with("list-")) {
            let mut first = item.tag_name().name() == "list-item";
            let marker = marker.clone().map(|mut m| {
                if let Some((counting, prefix, suffix)) = &m.numbered {
                    m.text = format!("{prefix}{}{suffix}", counting.label(number).unwrap_or_else(|| number.to_string()));
                }
                m
            });
            if first {
                number += 1;
            }
            for child in item.children().filter(|n| n.is_element() && n.tag_name().namespace() == Some(TEXT)) {
                match child.tag_name().name() {
                    "p" | "h" => {
                        let mut para = self.paragraph(child, in_master, base, marker.clone().filter(|_| first));
                        if let Some(m) = &marker {
                            para.margin_left += m.indent;
                        }
                        first = false;
                        out.push(para);
                    }
                    "list" => self.list(child, in_master, base, level + 1, style, out),
                    _ => {}
                }
            }
        }
    }

    fn paragraph(&self, node: Node<'_, '_>, in_master: bool, base: &TextLook, marker: Option<ListLevel>) -> TextParagraph {
        let style = attr(node, TEXT, "style-name");
        let look = self.text_look("paragraph", style, in_master, base);
        let get = |p: &str| style.and_then(|_| self.styles.get("paragraph", style, in_master, p));
        let mut para = TextParagraph {
            align: alignment(get("text-align")).or(look.align).unwrap_or(Align::Left),
            margin_left: get("margin-left").and_then(length).unwrap_or(0.0),
            indent: get("text-indent").and_then(length).unwrap_or(0.0),
            space_before: Spacing::Points(get("margin-top").and_then(length).unwrap_or(0.0)),
            space_after: Spacing::Points(get("margin-bottom").and_then(length).unwrap_or(0.0)),
            line_spacing: match get("line-height") {
                Some(l) if l.ends_with('%') => Spacing::Lines(l.trim_end_matches('%').parse::<f32>().map_or(1.0, |p| p / 100.0)),
                Some(l) => length(l).map_or(Spacing::Lines(1.0), Spacing::Points),
                None => Spacing::Lines(1.0),
            },
            empty_size: look.size.unwrap_or(18.0),
            ..TextParagraph::default()
        };
        self.runs(node, in_master, &look, &mut para.runs, 0);
        if let Some(m) = marker.filter(|_| para.runs.iter().any(|r| !r.text.trim().is_empty())) {
            let first = para.runs.first().cloned().unwrap_or_default();
            para.bullet = Some(Bullet { text: m.text, font: None, color: m.color.unwrap_or(first.color), size: first.size * m.scale, tab_stops: None });
            para.indent -= m.label_width;
        }
        para
    }

    fn runs(&self, node: Node<'_, '_>, in_master: bool, look: &TextLook, out: &mut Vec<TextRun>, depth: usize) {
        let run = |text: String, look: &TextLook| TextRun {
            text,
            font: look.font.clone(),
            size: look.size.unwrap_or(18.0).clamp(1.0, 4000.0),
            bold: look.bold.unwrap_or(false),
            italic: look.italic.unwrap_or(false),
            underline: look.underline.unwrap_or(false),
            strike: look.strike.unwrap_or(false),
            color: look.color.unwrap_or((0, 0, 0)),
            baseline: 0.0,
            link: None,
            page_number: false,
        };
        for child in node.children() {
            if child.is_text() {
                let text: String = child.text().unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ");
                let raw = child.text().unwrap_or("");
                let mut text = text;
                if raw.starts_with(char::is_whitespace) && !text.is_empty() {
                    text.insert(0, ' ');
                }
                if raw.ends_with(char::is_whitespace) && !text.is_empty() {
                    text.push(' ');
                }
                if !text.is_empty() {
                    out.push(run(text, look));
                }
                continue;
            }
            if !child.is_element() || depth > 32 {
                continue;
            }
            match child.tag_name().name() {
                "span" | "a" => {
                    let inner = self.text_look("text", attr(child, TEXT, "style-name"), in_master, look);
                    self.runs(child, in_master, &inner, out, depth + 1);
                }
                "s" => out.push(run(" ".repeat(attr(child, TEXT, "c").and_then(|c| c.parse().ok()).unwrap_or(1usize).min(100)), look)),
                "tab" => out.push(run("\t".into(), look)),
                "line-break" => out.push(run("\n".into(), look)),
                "page-number" => out.push(TextRun { page_number: true, ..run(self.number.to_string(), look) }),
                // A note's mark where it is cited; its body is read by the text reader.
                "note" => {
                    if let Some(citation) = child.children().find(|c| c.has_tag_name((TEXT, "note-citation"))).and_then(|c| c.text()) {
                        out.push(TextRun { baseline: 0.33, ..run(citation.to_string(), look) });
                    }
                }
                "date-time" | "date" | "time" => {
                    if let Some(t) = child.text() {
                        out.push(run(t.to_string(), look));
                    }
                }
                _ => {}
            }
        }
    }

    fn table(&mut self, table: Node<'_, '_>, in_master: bool) -> FixedTable {
        let mut out = FixedTable::default();
        for column in table.descendants().filter(|n| n.has_tag_name((TABLE, "table-column"))) {
            let width = self.styles.get("table-column", attr(column, TABLE, "style-name"), in_master, "column-width").and_then(length).unwrap_or(72.0);
            let repeat = attr(column, TABLE, "number-columns-repeated").and_then(|r| r.parse().ok()).unwrap_or(1usize).min(1000);
            out.columns.extend(std::iter::repeat_n(width, repeat));
        }
        let base = TextLook { size: Some(18.0), ..TextLook::default() };
        for row in table.descendants().filter(|n| n.has_tag_name((TABLE, "table-row"))) {
            let height = self.styles.get("table-row", attr(row, TABLE, "style-name"), in_master, "row-height").and_then(length).unwrap_or(0.0);
            let mut fixed_row = FixedRow { height, cells: Vec::new() };
            let mut column = 0;
            for cell in row.children().filter(Node::is_element) {
                let span = attr(cell, TABLE, "number-columns-spanned").and_then(|s| s.parse().ok()).unwrap_or(1usize).clamp(1, 1000);
                if cell.has_tag_name((TABLE, "table-cell")) {
                    let style = attr(cell, TABLE, "style-name");
                    let get = |p: &str| self.styles.get("table-cell", style, in_master, p);
                    let line = |side: &str| {
                        let spec = get(&format!("border-{side}")).or_else(|| get("border"))?;
                        if spec == "none" {
                            return None;
                        }
                        let mut parts = spec.split_whitespace();
                        let width = parts.next().and_then(length).unwrap_or(0.75);
                        Some(Stroke { width: width.max(0.25), color: spec.split_whitespace().find_map(color).unwrap_or((0, 0, 0)) })
                    };
                    let mut text = TextBody::default();
                    self.paragraphs(cell, in_master, &base, None, &mut text.paragraphs);
                    fixed_row.cells.push(FixedCell {
                        column,
                        columns: span,
                        rows: attr(cell, TABLE, "number-rows-spanned").and_then(|s| s.parse().ok()).unwrap_or(1usize).clamp(1, 1000),
                        fill: get("background-color").and_then(color),
                        borders: [line("left"), line("top"), line("right"), line("bottom")],
                        text,
                    });
                }
                column += span;
            }
            out.rows.push(fixed_row);
        }
        out
    }
}

/// A list level's marker: its text (for numbers: how they count, the
/// text around them and the first), the indent of its text and the width
/// of its label, colour and size (a share of the text's).
#[derive(Clone, Debug)]
struct ListLevel {
    text: String,
    numbered: Option<(fileconv_core::Numbering, String, String)>,
    start: u64,
    indent: f32,
    label_width: f32,
    color: Option<Color>,
    scale: f32,
}

fn list_level(style: Node<'_, '_>, level: usize) -> Option<ListLevel> {
    let wanted = level.to_string();
    let node = style.children().find(|c| c.is_element() && attr(*c, TEXT, "level") == Some(wanted.as_str()))?;
    let props = node.children().find(|c| c.has_tag_name((STYLE, "list-level-properties")));
    let before = props.and_then(|p| attr(p, TEXT, "space-before")).and_then(length).unwrap_or(0.0);
    let label = props.and_then(|p| attr(p, TEXT, "min-label-width")).and_then(length).unwrap_or(0.0);
    let text_props = node.children().find(|c| c.has_tag_name((STYLE, "text-properties")));
    let scale = text_props.and_then(|t| t.attribute(("urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0", "font-size"))).and_then(|s| s.strip_suffix('%')).and_then(|p| p.parse::<f32>().ok()).map_or(1.0, |p| p / 100.0);
    let color = text_props.and_then(|t| t.attribute(("urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0", "color"))).and_then(color);
    let (text, numbered) = match node.tag_name().name() {
        "list-level-style-bullet" => (attr(node, TEXT, "bullet-char").unwrap_or("•").to_string(), None),
        "list-level-style-number" => {
            let format = attr(node, STYLE, "num-format").unwrap_or("1");
            if format.is_empty() {
                return None;
            }
            let counting = fileconv_core::Numbering::from_code(format).unwrap_or(fileconv_core::Numbering::Decimal);
            (String::new(), Some((counting, attr(node, STYLE, "num-prefix").unwrap_or("").to_string(), attr(node, STYLE, "num-suffix").unwrap_or("").to_string())))
        }
        _ => return None,
    };
    let start = attr(node, TEXT, "start-value").and_then(|v| v.parse().ok()).unwrap_or(1);
    // LibreOffice's own mode: the level gives the paragraph's margin and first-line indent.
    let aligned = props.and_then(|p| p.children().find(|c| c.has_tag_name((STYLE, "list-level-label-alignment"))));
    if let Some(a) = aligned {
        let fo = |n: &str| a.attribute(("urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0", n)).and_then(length);
        let (margin, first) = (fo("margin-left").unwrap_or(0.0), fo("text-indent").unwrap_or(0.0));
        return Some(ListLevel { text, numbered, start, indent: margin, label_width: -first, color, scale });
    }
    Some(ListLevel { text, numbered, start, indent: before + label, label_width: label, color, scale })
}

/// `draw:transform`'s rotation and translation applied to a frame whose
/// size is known: ODF turns the shape about its top left corner, then moves it.
/// A `draw:gradient`: linear (start colour at the top before turning by
/// `draw:angle` counter-clockwise), axial (the end colour in the middle),
/// or radial, ellipsoid, square and rectangular, drawn radial (the end
/// colour at the centre); `draw:border` keeps the start colour over that
/// share of the way.
fn gradient(node: Node<'_, '_>) -> Option<Gradient> {
    let start = attr(node, DRAW, "start-color").and_then(color)?;
    let end = attr(node, DRAW, "end-color").and_then(color).unwrap_or(start);
    let border = attr(node, DRAW, "border").and_then(|b| b.trim_end_matches('%').parse::<f32>().ok()).map_or(0.0, |b| (b / 100.0).clamp(0.0, 1.0));
    // Degrees, unless a unit says otherwise (ODF 1.2; LibreOffice reads a
    // bare number so too, though OpenOffice wrote tenths of a degree).
    let angle = attr(node, DRAW, "angle").map_or(0.0, |a| {
        let (number, scale) = match () {
            () if a.ends_with("deg") => (&a[..a.len() - 3], 1.0),
            () if a.ends_with("grad") => (&a[..a.len() - 4], 0.9),
            () if a.ends_with("rad") => (&a[..a.len() - 3], 180.0 / std::f32::consts::PI),
            () => (a, 1.0),
        };
        number.trim().parse::<f32>().unwrap_or(0.0) * scale
    });
    let (stops, radial) = match attr(node, DRAW, "style").unwrap_or("linear") {
        "linear" => (vec![(border, start), (1.0, end)], false),
        "axial" => (vec![(border / 2.0, start), (0.5, end), (1.0 - border / 2.0, start)], false),
        _ => (vec![(0.0, end), (1.0 - border, start)], true),
    };
    // ODF's 0 runs top to bottom and turns counter-clockwise; ours runs left
    // to right and turns clockwise.
    Some(Gradient { stops, angle: 90.0 - angle, radial })
}

fn apply_transform(frame: &mut Frame, transform: &str) {
    let mut angle = 0.0f32;
    let (mut tx, mut ty) = (frame.x, frame.y);
    let mut rest = transform;
    while let Some(open) = rest.find('(') {
        let name = rest[..open].trim();
        let Some(close) = rest[open..].find(')') else { break };
        let args: Vec<&str> = rest[open + 1..open + close].split(|c: char| c.is_whitespace() || c == ',').filter(|a| !a.is_empty()).collect();
        match name {
            "rotate" => angle = args.first().and_then(|a| a.parse().ok()).unwrap_or(0.0),
            "translate" => {
                tx = args.first().and_then(|a| length(a)).unwrap_or(tx);
                ty = args.get(1).and_then(|a| length(a)).unwrap_or(ty);
            }
            _ => {}
        }
        rest = &rest[open + close + 1..];
    }
    // The centre of the turned shape; ODF's angle runs counter-clockwise.
    let (sin, cos) = (-angle).sin_cos();
    let (hw, hh) = (frame.width / 2.0, frame.height / 2.0);
    let (cx, cy) = (tx + hw * cos - hh * sin, ty + hw * sin + hh * cos);
    frame.x = cx - hw;
    frame.y = cy - hh;
    frame.rotation = (-angle).to_degrees();
}

/// `svg:points` in `svg:viewBox` units as shares of the frame.
fn polygon(node: Node<'_, '_>) -> Option<Vec<(f32, f32)>> {
    let view: Vec<f32> = attr(node, SVG, "viewBox")?.split_whitespace().filter_map(|v| v.parse().ok()).collect();
    let (vx, vy, vw, vh) = (*view.first()?, *view.get(1)?, *view.get(2)?, *view.get(3)?);
    if vw <= 0.0 || vh <= 0.0 {
        return None;
    }
    let points: Vec<(f32, f32)> = attr(node, DRAW, "points")?
        .split_whitespace()
        .filter_map(|p| {
            let (x, y) = p.split_once(',')?;
            Some(((x.parse::<f32>().ok()? - vx) / vw, (y.parse::<f32>().ok()? - vy) / vh))
        })
        .take(10_000)
        .collect();
    (points.len() >= 2).then_some(points)
}

fn enhanced_geometry(geometry: Node<'_, '_>) -> Geometry {
    let preset = |name| super::preset_shapes::polygon(name).unwrap_or_default();
    match attr(geometry, DRAW, "type").unwrap_or("rectangle") {
        "ellipse" | "circle" | "flowchart-connector" => Geometry::Ellipse,
        "round-rectangle" | "round-square" | "flowchart-alternate-process" => Geometry::RoundRect(0.1667),
        "isosceles-triangle" | "flowchart-extract" => preset("triangle"),
        "right-triangle" => preset("rtTriangle"),
        "diamond" | "flowchart-decision" => preset("diamond"),
        "parallelogram" | "flowchart-data" => preset("parallelogram"),
        // ODF's trapezoid is wide at the top.
        "trapezoid" => Geometry::Polygon(vec![(0.0, 0.0), (1.0, 0.0), (0.75, 1.0), (0.25, 1.0)]),
        "pentagon" | "hexagon" | "octagon" | "star5" => preset(attr(geometry, DRAW, "type").unwrap_or_default()),
        "right-arrow" => preset("rightArrow"),
        "left-arrow" => preset("leftArrow"),
        "up-arrow" => preset("upArrow"),
        "down-arrow" => preset("downArrow"),
        "chevron" => preset("chevron"),
        _ => Geometry::Rect,
    }
}
