//! PPTX slides as placed pages ([`FixedPage`]): one per slide that is not
//! hidden, at the presentation's slide size, with every shape where the
//! slide puts it. Placeholders take what the slide leaves out (position,
//! size, text properties, insets, anchoring) from the layout's placeholder
//! of the same index or type, then the master's; text properties start
//! from the master's title, body or other text style (the presentation's
//! default text style for shapes that are not placeholders) and follow
//! the shape's list styles level by level. Colours are the theme's through
//! the master's colour map, with their luminance, shade and tint changes;
//! theme fonts (`+mj-lt`, `+mn-lt`) become the theme's families. Drawn:
//! backgrounds (solid, first stop of a gradient, picture), the master's and
//! layout's own shapes under the slide's, fills and outlines (explicit or
//! from the shape's theme style), preset geometries (rectangles, rounded
//! rectangles, ellipses, lines, triangles, diamonds, arrows and other
//! polygons; unknown ones as their box), custom geometry as polygons,
//! pictures with their crop, group shapes, tables (cell fills, borders,
//! margins, merged cells), charts from the values their part caches
//! (`super::chart`), SmartArt from the drawing PowerPoint saved of it. With `notes=true`, a notes page follows the
//! slides for each slide shown: the notes slide's shapes placed by the
//! notes master (its slide image placeholder showing the slide, its body
//! the notes in the master's notes style).

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::Arc;

use fileconv_core::document::fixed::{from_hsl, to_hsl, Align, Gradient, NOTES, Anchor, Bullet, Color, FixedCell, FixedPage, FixedRow, FixedTable, Frame, Geometry, Picture, Shape, Spacing, Stroke, TextBody, TextParagraph, TextRun};
use fileconv_zip::zip;
use fileconv_core::{Context, Error, Result};
use roxmltree::{Document as Xml, Node};

use super::pptx::{read_rels, rels_path};
use super::run_props::RunProps;
use fileconv_zip::tree::{child, related_id, rgb};

const FORMAT: &str = "pptx";
/// English Metric Units per point.
const EMU: f32 = 12_700.0;
/// Nesting of group shapes followed at most.
const MAX_GROUP_DEPTH: usize = 32;

type Rels = HashMap<String, (String, bool)>;

/// Reads the placed pages of the slides listed in `order` (paths of slide parts).
///
/// # Errors
/// [`Error::InvalidInput`] for broken XML in a part the pages need;
/// [`Error::LimitExceeded`] for parts past the node limit.
pub fn read<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, order: &[String], ctx: &Context<'_>) -> Result<Vec<FixedPage>> {
    let text = utf8(fileconv_zip::read_entry(zip, "ppt/presentation.xml", FORMAT)?, "presentation.xml")?;
    let presentation = parse(&text, "presentation.xml")?;
    let root = presentation.root_element();
    let (width, height) = child(root, "sldSz").map_or((720.0, 540.0), |s| (emu(s, "cx").unwrap_or(720.0), emu(s, "cy").unwrap_or(540.0)));
    let default_text = child(root, "defaultTextStyle").map(|n| ListStyle::read(n, None)).unwrap_or_default();
    let table_styles = match fileconv_zip::read_optional(zip, "ppt/tableStyles.xml", FORMAT)? {
        Some(bytes) => utf8(bytes, "tableStyles.xml")?,
        None => String::new(),
    };
    let table_styles = if table_styles.is_empty() { None } else { Some(parse(&table_styles, "tableStyles.xml")?) };

    let notes = NOTES.boolean(ctx.options)?;
    let notes_size = child(root, "notesSz").map_or((540.0, 720.0), |s| (emu(s, "cx").unwrap_or(540.0), emu(s, "cy").unwrap_or(720.0)));

    // The slides (and their notes), and the layouts, masters and themes
    // they use: each shared part read and parsed once, however many slides use it.
    let mut shared: HashMap<String, Part> = HashMap::new();
    let mut jobs = Vec::new();
    let mut notes_parts = Vec::new();
    for (number, path) in order.iter().enumerate() {
        ctx.checkpoint()?;
        let Some(slide) = Part::load(zip, path)? else { continue };
        let layout = load_shared(zip, &mut shared, slide.related("slideLayout"))?;
        let master_path = layout.as_ref().and_then(|l| shared[l].related("slideMaster"));
        let master = load_shared(zip, &mut shared, master_path)?;
        let theme_path = master.as_ref().and_then(|m| shared[m].related("theme"));
        let theme = load_shared(zip, &mut shared, theme_path)?;
        if notes {
            let notes_slide = match slide.related("notesSlide") {
                Some(path) => Part::load(zip, &path)?.map(|part| (path, part)),
                None => None,
            };
            notes_parts.push((number, notes_slide));
        }
        jobs.push(Job { number, path: path.clone(), part: slide, layout, master, theme, notes_of: None });
    }
    if notes {
        let presentation_master = Part::load(zip, "ppt/presentation.xml")?.and_then(|p| p.related("notesMaster"));
        for (number, notes_slide) in notes_parts {
            let (path, part) = notes_slide.unwrap_or_else(|| (String::new(), Part { text: EMPTY_NOTES.to_string(), rels: HashMap::new() }));
            let master = load_shared(zip, &mut shared, part.related("notesMaster").or_else(|| presentation_master.clone()))?;
            let theme_path = master.as_ref().and_then(|m| shared[m].related("theme"));
            let theme = load_shared(zip, &mut shared, theme_path)?;
            jobs.push(Job { number, path, part, layout: None, master, theme, notes_of: Some(number) });
        }
    }
    let parsed: HashMap<&str, Xml<'_>> = shared.iter().map(|(path, part)| Ok((path.as_str(), parse(&part.text, path)?))).collect::<Result<_>>()?;
    let themes: HashMap<&str, Theme<'_, '_>> = jobs.iter().filter_map(|s| s.theme.as_deref()).map(|path| (path, Theme::read(parsed.get(path).map(|x| x.root_element())))).collect();
    let no_theme = Theme::default();

    let mut pages = Vec::new();
    // The page each slide shown became, by slide number.
    let mut shown: HashMap<usize, usize> = HashMap::new();
    let mut media: HashMap<String, Option<Arc<Vec<u8>>>> = HashMap::new();
    for Job { number, path, part: slide, layout, master, theme, notes_of } in &jobs {
        ctx.checkpoint()?;
        let thumbnail = match notes_of {
            None => None,
            Some(slide) => match shown.get(slide) {
                Some(index) => Some(&pages[*index]),
                // A hidden slide has no notes page either.
                None => continue,
            },
        };
        let slide_xml = parse(&slide.text, path)?;
        if notes_of.is_none() && slide_xml.root_element().attribute("show").is_some_and(|s| s == "0" || s == "false") {
            continue;
        }
        // A shared part: its parsed root and the part (for its relationships).
        let layer = |path: &Option<String>| path.as_deref().and_then(|p| Some((parsed.get(p)?.root_element(), &shared[p])));
        let (layout, master) = (layer(layout), layer(master));
        let theme = theme.as_deref().and_then(|t| themes.get(t)).unwrap_or(&no_theme);
        let mut colors = Colors { scheme: theme.colors.clone(), map: HashMap::new() };
        if let Some(map) = master.and_then(|(m, _)| child(m, "clrMap")) {
            colors.read_map(map);
        }
        if let Some(map) = layout.and_then(|(l, _)| descendant(l, "overrideClrMapping")) {
            colors.read_map(map);
        }
        if let Some(map) = descendant(slide_xml.root_element(), "overrideClrMapping") {
            colors.read_map(map);
        }
        let mut reader = SlideReader {
            zip: &mut *zip,
            media: &mut media,
            colors,
            theme,
            master,
            layout,
            default_text: &default_text,
            table_styles: table_styles.as_ref().map(|t| t.root_element()),
            number: number + 1,
            thumbnail,
            page_size: if notes_of.is_some() { notes_size } else { (width, height) },
            shapes: Vec::new(),
            budget: ctx,
        };
        let (width, height) = reader.page_size;
        let mut page = FixedPage { width, height, ..FixedPage::default() };
        let slide_root = slide_xml.root_element();
        let layers = [master, layout, Some((slide_root, slide))];
        // The background: the slide's, else the layout's, else the master's.
        for (root, part) in layers.iter().rev().flatten() {
            if let Some(bg) = child(child(*root, "cSld").unwrap_or(*root), "bg") {
                reader.background(bg, part, &mut page)?;
                break;
            }
        }
        // Master and layout shapes that are not placeholders, under the slide's.
        let shows = |root: Node<'_, '_>| root.attribute("showMasterSp").is_none_or(|v| v != "0" && v != "false");
        let show_master = shows(slide_root) && layers[1].is_none_or(|(l, _)| shows(l));
        for (index, layer) in layers.iter().enumerate() {
            let Some((root, part)) = layer else { continue };
            if (index == 0 && !show_master) || (index == 1 && !shows(slide_root)) {
                continue;
            }
            if let Some(tree) = child(*root, "cSld").and_then(|c| child(c, "spTree")) {
                reader.tree(tree, part, index == 2, &Placement::IDENTITY, 0)?;
            }
        }
        page.shapes = std::mem::take(&mut reader.shapes);
        if notes_of.is_none() {
            shown.insert(*number, pages.len());
        }
        pages.push(page);
    }
    Ok(pages)
}

/// What a fill element paints: a colour (a gradient's first), a gradient
/// or a picture.
#[derive(Default)]
struct Fill {
    color: Option<Color>,
    gradient: Option<Gradient>,
    picture: Option<Picture>,
}

/// A slide's part, or its notes page's, and the shared parts it uses.
struct Job {
    number: usize,
    path: String,
    part: Part,
    layout: Option<String>,
    master: Option<String>,
    theme: Option<String>,
    /// For a notes page: the number of its slide.
    notes_of: Option<usize>,
}

/// The notes page of a slide without one: its slide image and number
/// where the notes master puts them.
const EMPTY_NOTES: &str = r#"<p:notes xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:nvSpPr><p:cNvPr id="2" name=""/><p:cNvSpPr/><p:nvPr><p:ph type="sldImg"/></p:nvPr></p:nvSpPr><p:spPr/></p:sp><p:sp><p:nvSpPr><p:cNvPr id="3" name=""/><p:cNvSpPr/><p:nvPr><p:ph type="sldNum"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:p><a:fld type="slidenum"><a:t>#</a:t></a:fld></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:notes>"#;

fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    fileconv_zip::tree::utf8(bytes, name, FORMAT)
}

/// Reads the part at `path` into `shared` unless it is there; its path
/// when the package has it.
fn load_shared<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, shared: &mut HashMap<String, Part>, path: Option<String>) -> Result<Option<String>> {
    let Some(path) = path else { return Ok(None) };
    if !shared.contains_key(&path) {
        let Some(part) = Part::load(zip, &path)? else { return Ok(None) };
        shared.insert(path.clone(), part);
    }
    Ok(Some(path))
}

/// A part's XML text and its relationships.
struct Part {
    text: String,
    rels: Rels,
}

impl Part {
    fn load<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, path: &str) -> Result<Option<Part>> {
        let Some(bytes) = fileconv_zip::read_optional(zip, path, FORMAT)? else { return Ok(None) };
        let text = utf8(bytes, path)?;
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        let rels = match fileconv_zip::read_optional(zip, &rels_path(path), FORMAT)? {
            Some(bytes) => read_rels(&bytes, dir)?,
            None => HashMap::new(),
        };
        Ok(Some(Part { text, rels }))
    }

    /// The target of the first relationship whose target path names `kind`
    /// (`slideLayout`, `slideMaster`, `theme`).
    fn related(&self, kind: &str) -> Option<String> {
        let mut found: Vec<&String> = self.rels.values().filter(|(t, ext)| !ext && t.rsplit('/').next().is_some_and(|f| f.starts_with(kind))).map(|(t, _)| t).collect();
        found.sort();
        found.first().map(|t| (*t).clone())
    }
}

fn parse<'a>(text: &'a str, part: &str) -> Result<Xml<'a>> {
    fileconv_zip::tree::parse(text, part, FORMAT)
}

fn children<'a, 'i: 'a>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn descendant<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.descendants().find(|c| c.is_element() && c.tag_name().name() == name)
}

fn path<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

/// An attribute by local name, without a namespace (`id`, not `r:id`).
fn plain<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes().find(|a| a.namespace().is_none() && a.name() == name).map(|a| a.value())
}

fn number(node: Node<'_, '_>, name: &str) -> Option<f32> {
    plain(node, name).and_then(|v| v.trim().parse::<f32>().ok()).filter(|v| v.is_finite())
}

/// An EMU attribute in points.
fn emu(node: Node<'_, '_>, name: &str) -> Option<f32> {
    number(node, name).map(|v| v / EMU)
}

fn flag(node: Node<'_, '_>, name: &str) -> Option<bool> {
    plain(node, name).map(|v| v == "1" || v == "true" || v == "on")
}

/// The theme's colours and fonts, its line widths and fill styles.
#[derive(Default)]
struct Theme<'x, 'i> {
    colors: HashMap<String, Color>,
    major_font: Option<String>,
    minor_font: Option<String>,
    line_widths: Vec<f32>,
    /// The fill styles shapes refer to (`fillRef idx` 1, 2, 3...) and
    /// backgrounds do (`bgRef idx` 1001...): fill elements whose colour
    /// `phClr` is the referrer's.
    fills: Vec<Node<'x, 'i>>,
    background_fills: Vec<Node<'x, 'i>>,
}

impl<'x, 'i> Theme<'x, 'i> {
    fn read(root: Option<Node<'x, 'i>>) -> Theme<'x, 'i> {
        let mut theme = Theme::default();
        let Some(elements) = root.and_then(|r| child(r, "themeElements")) else { return theme };
        if let Some(scheme) = child(elements, "clrScheme") {
            for entry in scheme.children().filter(Node::is_element) {
                let color = entry.children().filter(Node::is_element).find_map(|c| match c.tag_name().name() {
                    "srgbClr" => plain(c, "val").and_then(rgb),
                    "sysClr" => plain(c, "lastClr").and_then(rgb).or(Some(if plain(c, "val") == Some("window") { (255, 255, 255) } else { (0, 0, 0) })),
                    _ => None,
                });
                if let Some(color) = color {
                    theme.colors.insert(entry.tag_name().name().to_string(), color);
                }
            }
        }
        if let Some(fonts) = child(elements, "fontScheme") {
            let latin = |name| path(fonts, &[name, "latin"]).and_then(|l| plain(l, "typeface")).filter(|f| !f.is_empty()).map(str::to_string);
            theme.major_font = latin("majorFont");
            theme.minor_font = latin("minorFont");
        }
        if let Some(lines) = path(elements, &["fmtScheme", "lnStyleLst"]) {
            theme.line_widths = children(lines, "ln").map(|l| emu(l, "w").unwrap_or(0.75)).collect();
        }
        let styles = |name| path(elements, &["fmtScheme", name]).map(|list| list.children().filter(Node::is_element).collect()).unwrap_or_default();
        theme.fills = styles("fillStyleLst");
        theme.background_fills = styles("bgFillStyleLst");
        theme
    }

    /// The fill style a `fillRef` or `bgRef` refers to by its index.
    fn fill_style(&self, reference: Node<'_, '_>) -> Option<Node<'x, 'i>> {
        let index = number(reference, "idx")? as usize;
        match index {
            1000.. => self.background_fills.get(index.checked_sub(1001)?).copied(),
            _ => self.fills.get(index.checked_sub(1)?).copied(),
        }
    }
}

/// Theme colours and the master's map from roles (`tx1`, `bg1`) to them.
#[derive(Clone)]
struct Colors {
    scheme: HashMap<String, Color>,
    map: HashMap<String, String>,
}

impl Colors {
    fn read_map(&mut self, node: Node<'_, '_>) {
        for a in node.attributes() {
            self.map.insert(a.name().to_string(), a.value().to_string());
        }
    }

    fn scheme(&self, name: &str) -> Option<Color> {
        let default = match name {
            "tx1" => "dk1",
            "bg1" => "lt1",
            "tx2" => "dk2",
            "bg2" => "lt2",
            other => other,
        };
        let mapped = self.map.get(name).map_or(default, String::as_str);
        self.scheme.get(mapped).copied()
    }

    /// The colour of a fill-like element (`solidFill`, `buClr`, a style
    /// reference): its colour child with its changes; `placeholder` stands
    /// for `phClr`.
    fn of(&self, node: Node<'_, '_>, placeholder: Option<Color>) -> Option<Color> {
        let c = node.children().find(|c| c.is_element())?;
        let base = match c.tag_name().name() {
            "srgbClr" => plain(c, "val").and_then(rgb),
            "schemeClr" => match plain(c, "val")? {
                "phClr" => placeholder,
                name => self.scheme(name),
            },
            "sysClr" => plain(c, "lastClr").and_then(rgb),
            "prstClr" => preset_color(plain(c, "val")?),
            "scrgbClr" => {
                let part = |n| number(c, n).map(|v| (v / 100_000.0 * 255.0).clamp(0.0, 255.0) as u8);
                Some((part("r")?, part("g")?, part("b")?))
            }
            _ => None,
        }?;
        Some(modify(base, c))
    }
}

fn preset_color(name: &str) -> Option<Color> {
    Some(match name {
        "black" => (0, 0, 0),
        "white" => (255, 255, 255),
        "red" => (255, 0, 0),
        "green" => (0, 128, 0),
        "blue" => (0, 0, 255),
        "yellow" => (255, 255, 0),
        "gray" | "grey" => (128, 128, 128),
        "darkGray" => (169, 169, 169),
        "lightGray" => (211, 211, 211),
        "orange" => (255, 165, 0),
        _ => return None,
    })
}

/// A colour with its child changes applied (lumMod, lumOff, shade, tint).
fn modify(color: Color, node: Node<'_, '_>) -> Color {
    let mut rgb = color;
    for m in node.children().filter(Node::is_element) {
        let Some(v) = number(m, "val").map(|v| v / 100_000.0) else { continue };
        match m.tag_name().name() {
            "lumMod" | "lumOff" => {
                let (h, s, l) = to_hsl(rgb);
                let l = if m.tag_name().name() == "lumMod" { l * v } else { l + v };
                rgb = from_hsl(h, s, l.clamp(0.0, 1.0));
            }
            "shade" => rgb = (scale(rgb.0, v), scale(rgb.1, v), scale(rgb.2, v)),
            "tint" => rgb = (tint(rgb.0, v), tint(rgb.1, v), tint(rgb.2, v)),
            _ => {}
        }
    }
    rgb
}

fn scale(c: u8, v: f32) -> u8 {
    (f32::from(c) * v).round().clamp(0.0, 255.0) as u8
}

fn tint(c: u8, v: f32) -> u8 {
    (f32::from(c) * v + 255.0 * (1.0 - v)).round().clamp(0.0, 255.0) as u8
}

/// A paragraph's bullet as a level of a list style says it.
#[derive(Clone, Debug)]
enum BulletKind {
    None,
    Char(String),
    Number { scheme: String, start: u64 },
}

impl RunProps {
    /// A DrawingML run property element (`a:rPr`, `a:defRPr`) over these.
    fn apply_drawingml(&mut self, node: Node<'_, '_>, colors: Option<&Colors>) {
        if let Some(sz) = number(node, "sz") {
            self.size = Some(sz / 100.0);
        }
        if let Some(b) = flag(node, "b") {
            self.bold = Some(b);
        }
        if let Some(i) = flag(node, "i") {
            self.italic = Some(i);
        }
        if let Some(u) = plain(node, "u") {
            self.underline = Some(u != "none");
        }
        if let Some(s) = plain(node, "strike") {
            self.strike = Some(s != "noStrike");
        }
        if let Some(b) = number(node, "baseline") {
            self.baseline = Some(b / 100_000.0);
        }
        if let Some(cap) = plain(node, "cap") {
            self.caps = Some(cap != "none");
        }
        if let Some(colors) = colors {
            let color = match (child(node, "solidFill"), child(node, "gradFill")) {
                (Some(fill), _) => colors.of(fill, None),
                (None, Some(gradient)) => path(gradient, &["gsLst", "gs"]).and_then(|g| colors.of(g, None)),
                _ => None,
            };
            if color.is_some() {
                self.color = color;
            }
        }
        if let Some(face) = child(node, "latin").and_then(|l| plain(l, "typeface")).filter(|f| !f.is_empty()) {
            self.font = Some(face.to_string());
        }
    }

}

/// Paragraph properties at one level.
#[derive(Clone, Debug, Default)]
struct ParaProps {
    align: Option<Align>,
    margin_left: Option<f32>,
    indent: Option<f32>,
    bullet: Option<BulletKind>,
    bullet_font: Option<String>,
    bullet_color: Option<Color>,
    bullet_size: Option<f32>,
    space_before: Option<Spacing>,
    space_after: Option<Spacing>,
    line_spacing: Option<Spacing>,
    run: RunProps,
}

fn spacing(node: Option<Node<'_, '_>>) -> Option<Spacing> {
    let node = node?;
    if let Some(p) = child(node, "spcPts").and_then(|p| number(p, "val")) {
        return Some(Spacing::Points(p / 100.0));
    }
    child(node, "spcPct").and_then(|p| number(p, "val")).map(|v| Spacing::Lines(v / 100_000.0))
}

impl ParaProps {
    fn apply(&mut self, node: Node<'_, '_>, colors: Option<&Colors>) {
        if let Some(a) = plain(node, "algn") {
            self.align = Some(match a {
                "ctr" => Align::Center,
                "r" => Align::Right,
                "just" | "dist" | "justLow" | "thaiDist" => Align::Justify,
                _ => Align::Left,
            });
        }
        if let Some(m) = emu(node, "marL") {
            self.margin_left = Some(m);
        }
        if let Some(i) = emu(node, "indent") {
            self.indent = Some(i);
        }
        for c in node.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "buNone" => self.bullet = Some(BulletKind::None),
                "buChar" => self.bullet = Some(BulletKind::Char(plain(c, "char").unwrap_or("•").to_string())),
                "buAutoNum" => {
                    let start = number(c, "startAt").map_or(1, |s| s.max(1.0) as u64);
                    self.bullet = Some(BulletKind::Number { scheme: plain(c, "type").unwrap_or("arabicPeriod").to_string(), start });
                }
                "buFont" => self.bullet_font = plain(c, "typeface").map(str::to_string),
                "buClr" => self.bullet_color = colors.and_then(|k| k.of(c, None)),
                "buSzPct" => self.bullet_size = number(c, "val").map(|v| v / 100_000.0),
                "spcBef" => self.space_before = spacing(Some(c)).or(self.space_before),
                "spcAft" => self.space_after = spacing(Some(c)).or(self.space_after),
                "lnSpc" => self.line_spacing = spacing(Some(c)).or(self.line_spacing),
                "defRPr" => self.run.apply_drawingml(c, colors),
                _ => {}
            }
        }
    }

    fn over(&mut self, top: &ParaProps) {
        macro_rules! take {
            ($($f:ident),*) => { $( if top.$f.is_some() { self.$f = top.$f.clone(); } )* };
        }
        take!(align, margin_left, indent, bullet, bullet_font, bullet_color, bullet_size, space_before, space_after, line_spacing);
        self.run.over(&top.run);
    }
}

/// Nine levels of paragraph properties (`lvl1pPr`..`lvl9pPr`, after `defPPr`).
#[derive(Clone, Debug, Default)]
struct ListStyle([ParaProps; 9]);

impl ListStyle {
    fn read(node: Node<'_, '_>, colors: Option<&Colors>) -> ListStyle {
        let mut style = ListStyle::default();
        style.apply(node, colors);
        style
    }

    fn apply(&mut self, node: Node<'_, '_>, colors: Option<&Colors>) {
        if let Some(def) = child(node, "defPPr") {
            for level in &mut self.0 {
                level.apply(def, colors);
            }
        }
        for (i, level) in self.0.iter_mut().enumerate() {
            if let Some(p) = child(node, &format!("lvl{}pPr", i + 1)) {
                level.apply(p, colors);
            }
        }
    }
}

/// Text box settings (`bodyPr`), inherited attribute by attribute.
#[derive(Clone, Debug, Default)]
struct BodyProps {
    inset: [Option<f32>; 4],
    anchor: Option<Anchor>,
    wrap: Option<bool>,
    font_scale: Option<f32>,
    spacing_reduction: Option<f32>,
    shrink: Option<bool>,
}

impl BodyProps {
    fn apply(&mut self, node: Node<'_, '_>) {
        for (i, name) in ["lIns", "tIns", "rIns", "bIns"].iter().enumerate() {
            if let Some(v) = emu(node, name) {
                self.inset[i] = Some(v);
            }
        }
        if let Some(a) = plain(node, "anchor") {
            self.anchor = Some(match a {
                "ctr" => Anchor::Middle,
                "b" => Anchor::Bottom,
                _ => Anchor::Top,
            });
        }
        if let Some(w) = plain(node, "wrap") {
            self.wrap = Some(w != "none");
        }
        if let Some(fit) = child(node, "normAutofit") {
            self.font_scale = Some(number(fit, "fontScale").map_or(1.0, |v| v / 100_000.0));
            self.spacing_reduction = Some(number(fit, "lnSpcReduction").map_or(0.0, |v| v / 100_000.0));
            self.shrink = Some(true);
        } else if child(node, "noAutofit").is_some() || child(node, "spAutoFit").is_some() {
            self.font_scale = Some(1.0);
            self.spacing_reduction = Some(0.0);
            self.shrink = Some(false);
        }
    }
}

/// Maps a group's child coordinates to the page: x' = x * scale + offset.
#[derive(Clone, Copy, Debug)]
struct Placement {
    sx: f32,
    sy: f32,
    dx: f32,
    dy: f32,
}

impl Placement {
    const IDENTITY: Placement = Placement { sx: 1.0, sy: 1.0, dx: 0.0, dy: 0.0 };

    fn frame(&self, mut f: Frame) -> Frame {
        f.x = f.x * self.sx + self.dx;
        f.y = f.y * self.sy + self.dy;
        f.width *= self.sx;
        f.height *= self.sy;
        f
    }
}

/// The style id of PowerPoint's default table style, which
/// `tableStyles.xml` often leaves undefined.
const MEDIUM_STYLE_2_ACCENT_1: &str = "{5C22544A-7EE6-4342-B048-85BDC9FD1C3A}";

/// How a table style paints a cell: `None` fields inherit; `fill` is
/// `Some(None)` when the style says no fill.
#[derive(Clone, Copy, Debug, Default)]
struct CellLook {
    fill: Option<Option<Color>>,
    text: Option<Color>,
    bold: Option<bool>,
    borders: [Option<Stroke>; 4],
}

impl CellLook {
    fn over(&mut self, top: CellLook) {
        if top.fill.is_some() {
            self.fill = top.fill;
        }
        self.text = top.text.or(self.text);
        self.bold = top.bold.or(self.bold);
        for (mine, theirs) in self.borders.iter_mut().zip(top.borders) {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
    }
}

/// A placeholder's identity: its type (`body` when unstated) and index.
fn placeholder(shape: Node<'_, '_>) -> Option<(String, Option<String>)> {
    let nv = shape.children().find(|c| c.is_element() && c.tag_name().name().starts_with("nv"))?;
    let ph = path(nv, &["nvPr", "ph"])?;
    Some((plain(ph, "type").unwrap_or("body").to_string(), plain(ph, "idx").map(str::to_string)))
}

/// The type a master's placeholder has for a layout's or slide's of `kind`.
fn master_kind(kind: &str) -> &str {
    match kind {
        "ctrTitle" | "title" => "title",
        "dt" | "ftr" | "sldNum" | "sldImg" | "hdr" => kind,
        _ => "body",
    }
}

/// Where a notes page without a notes master shows its slide: across the
/// page under a small top margin, as LibreOffice lays such pages out
/// (measured on its PDFs: 3% of the page's width in from each side, 7.6%
/// of its height down); such pages show no slide number.
fn default_slide_image(page: (f32, f32), slide: &FixedPage) -> Frame {
    let width = page.0 * 0.943;
    let height = if slide.width > 0.0 { width * slide.height / slide.width } else { page.1 * 0.4 };
    Frame { x: page.0 * 0.0285, y: page.1 * 0.076, width, height, ..Frame::default() }
}

/// In a layout or master, the placeholder shape a slide's `(kind, idx)` inherits from.
fn find_placeholder<'a, 'i>(root: Node<'a, 'i>, kind: &str, idx: Option<&str>, master: bool) -> Option<Node<'a, 'i>> {
    let tree = path(root, &["cSld", "spTree"])?;
    let shapes: Vec<(Node<'a, 'i>, (String, Option<String>))> = tree.descendants().filter(|n| n.is_element() && n.tag_name().name() == "sp").filter_map(|n| placeholder(n).map(|p| (n, p))).collect();
    if master {
        let want = master_kind(kind);
        return shapes.iter().find(|(_, (k, _))| master_kind(k) == want).map(|(n, _)| *n);
    }
    if let Some(idx) = idx {
        if let Some((n, _)) = shapes.iter().find(|(_, (_, i))| i.as_deref() == Some(idx)) {
            return Some(*n);
        }
    }
    shapes.iter().find(|(_, (k, _))| k == kind).or_else(|| shapes.iter().find(|(_, (k, _))| master_kind(k) == master_kind(kind) && kind != "body")).map(|(n, _)| *n)
}

fn xfrm_frame(xfrm: Node<'_, '_>) -> Option<Frame> {
    let off = child(xfrm, "off")?;
    let ext = child(xfrm, "ext")?;
    Some(Frame {
        x: emu(off, "x")?,
        y: emu(off, "y")?,
        width: emu(ext, "cx")?.max(0.0),
        height: emu(ext, "cy")?.max(0.0),
        rotation: number(xfrm, "rot").map_or(0.0, |r| r / 60_000.0),
        flip_h: flag(xfrm, "flipH").unwrap_or(false),
        flip_v: flag(xfrm, "flipV").unwrap_or(false),
    })
}

struct SlideReader<'r, 'x, 'i, R> {
    zip: &'r mut zip::ZipArchive<R>,
    media: &'r mut HashMap<String, Option<Arc<Vec<u8>>>>,
    colors: Colors,
    theme: &'r Theme<'x, 'i>,
    master: Option<(Node<'x, 'i>, &'r Part)>,
    layout: Option<(Node<'x, 'i>, &'r Part)>,
    default_text: &'r ListStyle,
    table_styles: Option<Node<'x, 'i>>,
    /// The slide's number (1-based), for slide-number fields.
    number: usize,
    /// On a notes page: the slide, drawn where its image placeholder is.
    thumbnail: Option<&'r FixedPage>,
    /// The page's width and height, points.
    page_size: (f32, f32),
    shapes: Vec<Shape>,
    budget: &'r Context<'r>,
}

/// How many shapes one page may hold.
const MAX_SHAPES: usize = 100_000;

impl<'r, 'x, 'i, R: Read + Seek> SlideReader<'r, 'x, 'i, R> {
    fn push(&mut self, shape: Shape) -> Result<()> {
        if self.shapes.len() >= MAX_SHAPES {
            return Err(Error::limit("shapes on one slide", MAX_SHAPES as u64, MAX_SHAPES as u64 + 1));
        }
        self.shapes.push(shape);
        Ok(())
    }

    fn picture(&mut self, part: &Part, id: &str) -> Result<Option<Arc<Vec<u8>>>> {
        let Some((target, false)) = part.rels.get(id) else { return Ok(None) };
        if let Some(found) = self.media.get(target) {
            return Ok(found.clone());
        }
        let data = fileconv_zip::read_optional(self.zip, target, FORMAT)?;
        if let Some(d) = &data {
            self.budget.charge_memory(d.len() as u64, "memory for slide pictures (bytes)")?;
        }
        let data = data.map(Arc::new);
        self.media.insert(target.clone(), data.clone());
        Ok(data)
    }

    fn background(&mut self, bg: Node<'_, '_>, part: &Part, page: &mut FixedPage) -> Result<()> {
        let fill = match (child(bg, "bgPr"), child(bg, "bgRef")) {
            (Some(pr), _) => self.fill(pr, part, None)?,
            (None, Some(reference)) => self.theme_fill(reference),
            (None, None) => Fill::default(),
        };
        page.background = fill.color;
        page.background_gradient = fill.gradient;
        page.background_picture = fill.picture;
        Ok(())
    }

    /// The theme's fill style a `fillRef` or `bgRef` names, in the
    /// reference's colour; the colour alone when the theme has no such
    /// style or its style is a picture (tiled and tinted: not drawn).
    fn theme_fill(&mut self, reference: Node<'_, '_>) -> Fill {
        let color = self.colors.of(reference, None);
        let style = self.theme.fill_style(reference).filter(|s| matches!(s.tag_name().name(), "solidFill" | "gradFill" | "noFill"));
        match style {
            Some(style) if style.tag_name().name() == "gradFill" => {
                let gradient = self.gradient(style, color);
                Fill { color: gradient.as_ref().and_then(Gradient::first).or(color), gradient, ..Fill::default() }
            }
            Some(style) if style.tag_name().name() == "noFill" => Fill::default(),
            Some(style) => Fill { color: self.colors.of(style, color), ..Fill::default() },
            None => Fill { color, ..Fill::default() },
        }
    }

    /// The first fill a shape's or background's properties state; nothing
    /// for no fill or none stated.
    fn fill(&mut self, node: Node<'_, '_>, part: &Part, placeholder: Option<Color>) -> Result<Fill> {
        for c in node.children().filter(Node::is_element) {
            if let Some(fill) = self.paint(c, part, placeholder)? {
                return Ok(fill);
            }
        }
        Ok(Fill::default())
    }

    /// A fill element (`solidFill`, `gradFill`, `blipFill`, `pattFill`,
    /// `noFill`); `None` for another element. `placeholder` is the colour `phClr` stands for.
    fn paint(&mut self, c: Node<'_, '_>, part: &Part, placeholder: Option<Color>) -> Result<Option<Fill>> {
        Ok(Some(match c.tag_name().name() {
            "solidFill" => Fill { color: self.colors.of(c, placeholder), ..Fill::default() },
            "gradFill" => {
                let gradient = self.gradient(c, placeholder);
                Fill { color: gradient.as_ref().and_then(Gradient::first), gradient, ..Fill::default() }
            }
            "blipFill" => {
                let Some(blip) = child(c, "blip") else { return Ok(Some(Fill::default())) };
                let data = match related_id(blip, "embed") {
                    Some(id) => self.picture(part, id)?,
                    None => None,
                };
                Fill { picture: data.map(|data| Picture { data, crop: crop(c) }), ..Fill::default() }
            }
            // A pattern as its foreground colour.
            "pattFill" => Fill { color: child(c, "fgClr").and_then(|f| self.colors.of(f, placeholder)), ..Fill::default() },
            "noFill" => Fill::default(),
            _ => return Ok(None),
        }))
    }

    /// A `gradFill`: its stops in order, its angle (`lin ang`, 60,000ths of
    /// a degree) or radial (`path`).
    fn gradient(&self, grad: Node<'_, '_>, placeholder: Option<Color>) -> Option<Gradient> {
        let mut stops: Vec<(f32, Color)> = child(grad, "gsLst")
            .map(|list| children(list, "gs").filter_map(|gs| Some((number(gs, "pos").unwrap_or(0.0) / 100_000.0, self.colors.of(gs, placeholder)?))).collect())
            .unwrap_or_default();
        if stops.is_empty() {
            return None;
        }
        stops.sort_by(|a, b| a.0.total_cmp(&b.0));
        let angle = child(grad, "lin").and_then(|l| number(l, "ang")).map_or(0.0, |a| a / 60_000.0);
        Some(Gradient { stops, angle, radial: child(grad, "path").is_some() })
    }

    /// Shapes of a shape tree (or a group), in order.
    fn tree(&mut self, tree: Node<'_, '_>, part: &Part, slide: bool, at: &Placement, depth: usize) -> Result<()> {
        if depth > MAX_GROUP_DEPTH {
            return Err(Error::limit("nesting of group shapes", MAX_GROUP_DEPTH as u64, depth as u64));
        }
        for node in tree.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "sp" | "cxnSp" => {
                    let ph = placeholder(node);
                    // A master's or layout's placeholders are prompts for the slide, not drawn.
                    if ph.is_some() && !slide {
                        continue;
                    }
                    self.shape(node, part, ph, at)?;
                }
                "pic" => self.picture_shape(node, part, at)?,
                "grpSp" => {
                    let Some(xfrm) = path(node, &["grpSpPr", "xfrm"]) else { continue };
                    let (Some(frame), Some(ch_off), Some(ch_ext)) = (xfrm_frame(xfrm), child(xfrm, "chOff"), child(xfrm, "chExt")) else { continue };
                    let (cx, cy) = (emu(ch_off, "x").unwrap_or(0.0), emu(ch_off, "y").unwrap_or(0.0));
                    let (cw, ch) = (emu(ch_ext, "cx").unwrap_or(0.0), emu(ch_ext, "cy").unwrap_or(0.0));
                    let sx = if cw > 0.0 { frame.width / cw } else { 1.0 };
                    let sy = if ch > 0.0 { frame.height / ch } else { 1.0 };
                    let inner = Placement { sx: sx * at.sx, sy: sy * at.sy, dx: (frame.x - cx * sx) * at.sx + at.dx, dy: (frame.y - cy * sy) * at.sy + at.dy };
                    self.tree(node, part, slide, &inner, depth + 1)?;
                }
                "graphicFrame" => self.graphic_frame(node, part, at, depth)?,
                "AlternateContent" => {
                    // The choice a reader without the extension takes.
                    if let Some(fallback) = child(node, "Fallback") {
                        self.tree(fallback, part, slide, at, depth + 1)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn shape(&mut self, node: Node<'_, '_>, part: &Part, ph: Option<(String, Option<String>)>, at: &Placement) -> Result<()> {
        let (layout_ph, master_ph) = match &ph {
            Some((kind, idx)) => {
                let layout_ph = self.layout.and_then(|(root, _)| find_placeholder(root, kind, idx.as_deref(), false));
                let master_kind = layout_ph.and_then(placeholder).map_or(kind.clone(), |(k, _)| k);
                let master_ph = self.master.and_then(|(root, _)| find_placeholder(root, &master_kind, None, true));
                (layout_ph, master_ph)
            }
            None => (None, None),
        };
        let chain: Vec<Node<'_, '_>> = [master_ph, layout_ph, Some(node)].into_iter().flatten().collect();
        let frame = chain.iter().rev().find_map(|n| path(*n, &["spPr", "xfrm"]).and_then(xfrm_frame));
        if let Some(slide) = self.thumbnail.filter(|_| ph.as_ref().is_some_and(|(kind, _)| kind == "sldImg")) {
            let frame = frame.unwrap_or_else(|| default_slide_image(self.page_size, slide));
            // Its outline as the notes master draws it, else a thin grey one.
            let line = chain.iter().rev().find_map(|n| path(*n, &["spPr", "ln"]));
            let color = line.and_then(|l| child(l, "solidFill")).and_then(|f| self.colors.of(f, None)).unwrap_or((128, 128, 128));
            let stroke = Some(Stroke { color, width: line.and_then(|l| emu(l, "w")).unwrap_or(0.75) });
            return self.push(Shape { frame: at.frame(frame), page: Some(Box::new(slide.clone())), stroke, ..Shape::default() });
        }
        let Some(frame) = frame else { return Ok(()) };
        let sp_pr = child(node, "spPr");
        let style = child(node, "style");
        let mut shape = Shape { frame: at.frame(frame), geometry: sp_pr.map_or(Geometry::Rect, geometry), ..Shape::default() };
        if node.tag_name().name() == "cxnSp" && shape.geometry == Geometry::Rect {
            shape.geometry = Geometry::Line;
        }
        // Fill and outline: the shape's own, else its theme style's.
        let explicit_fill = sp_pr.and_then(|p| p.children().find(|c| c.is_element() && matches!(c.tag_name().name(), "noFill" | "solidFill" | "gradFill" | "blipFill" | "pattFill")));
        let fill = match explicit_fill {
            Some(f) => self.paint(f, part, None)?.unwrap_or_default(),
            None => match style.and_then(|s| child(s, "fillRef")).filter(|r| number(*r, "idx").is_some_and(|i| i > 0.0)) {
                Some(reference) => self.theme_fill(reference),
                None => Fill::default(),
            },
        };
        (shape.fill, shape.gradient, shape.picture) = (fill.color, fill.gradient, fill.picture);
        let line = sp_pr.and_then(|p| child(p, "ln"));
        let line_ref = style.and_then(|s| child(s, "lnRef")).filter(|r| number(*r, "idx").is_some_and(|i| i > 0.0));
        let line_color = match line.map(|l| l.children().find(|c| c.is_element() && matches!(c.tag_name().name(), "noFill" | "solidFill" | "gradFill"))) {
            Some(Some(f)) if f.tag_name().name() == "noFill" => None,
            Some(Some(f)) if f.tag_name().name() == "solidFill" => self.colors.of(f, None),
            Some(Some(f)) => child(f, "gsLst").and_then(|l| child(l, "gs")).and_then(|g| self.colors.of(g, None)),
            _ => line_ref.and_then(|r| self.colors.of(r, None)),
        };
        if let Some(color) = line_color {
            let themed = line_ref.and_then(|r| number(r, "idx")).and_then(|i| self.theme.line_widths.get((i as usize).saturating_sub(1)).copied());
            let width = line.and_then(|l| emu(l, "w")).or(themed).unwrap_or(0.75);
            shape.stroke = Some(Stroke { color, width });
        }
        if let Some(body) = child(node, "txBody") {
            let font_color = style.and_then(|s| child(s, "fontRef")).and_then(|r| self.colors.of(r, None));
            let kind = ph.as_ref().map(|(k, _)| k.as_str());
            shape.text = self.text_body(body, &chain, kind, font_color)?;
        }
        // A diagram's shape may set its text in a box of its own.
        if let Some(text_frame) = child(node, "txXfrm").and_then(xfrm_frame).filter(|_| shape.text.is_some()) {
            let text = shape.text.take();
            if shape.fill.is_some() || shape.stroke.is_some() || shape.picture.is_some() {
                self.push(shape)?;
            }
            return self.push(Shape { frame: at.frame(text_frame), text, ..Shape::default() });
        }
        if shape.fill.is_some() || shape.stroke.is_some() || shape.picture.is_some() || shape.text.is_some() {
            self.push(shape)?;
        }
        Ok(())
    }

    fn picture_shape(&mut self, node: Node<'_, '_>, part: &Part, at: &Placement) -> Result<()> {
        let ph = placeholder(node);
        let own = path(node, &["spPr", "xfrm"]).and_then(xfrm_frame);
        let frame = own.or_else(|| {
            let (kind, idx) = ph.as_ref()?;
            let layout_ph = self.layout.and_then(|(root, _)| find_placeholder(root, kind, idx.as_deref(), false))?;
            path(layout_ph, &["spPr", "xfrm"]).and_then(xfrm_frame)
        });
        let Some(frame) = frame else { return Ok(()) };
        let Some(blip_fill) = child(node, "blipFill") else { return Ok(()) };
        let data = match child(blip_fill, "blip").and_then(|b| related_id(b, "embed")) {
            Some(id) => self.picture(part, id)?,
            None => None,
        };
        let Some(data) = data else { return Ok(()) };
        let mut shape = Shape { frame: at.frame(frame), picture: Some(Picture { data, crop: crop(blip_fill) }), ..Shape::default() };
        if let Some(sp_pr) = child(node, "spPr") {
            shape.geometry = geometry(sp_pr);
            if let Some(line) = child(sp_pr, "ln") {
                if let Some(color) = child(line, "solidFill").and_then(|f| self.colors.of(f, None)) {
                    shape.stroke = Some(Stroke { color, width: emu(line, "w").unwrap_or(0.75) });
                }
            }
        }
        self.push(shape)
    }

    fn graphic_frame(&mut self, node: Node<'_, '_>, part: &Part, at: &Placement, depth: usize) -> Result<()> {
        let Some(frame) = child(node, "xfrm").and_then(xfrm_frame) else { return Ok(()) };
        let frame = at.frame(frame);
        let Some(data) = path(node, &["graphic", "graphicData"]) else { return Ok(()) };
        if let Some(table) = child(data, "tbl") {
            return self.table(table, frame);
        }
        if let Some(ids) = child(data, "relIds") {
            return self.diagram(ids, part, frame, at, depth);
        }
        if let Some(chart) = child(data, "chart") {
            return self.chart(chart, part, frame);
        }
        // An OLE object's or chart's preview picture, when the frame has one.
        if let Some(pic) = descendant(data, "pic") {
            if let Some(id) = descendant(pic, "blip").and_then(|b| related_id(b, "embed")) {
                if let Some(data) = self.picture(part, id)? {
                    self.push(Shape { frame, picture: Some(Picture { data, crop: [0.0; 4] }), ..Shape::default() })?;
                }
            }
        }
        Ok(())
    }

    /// SmartArt: the shapes PowerPoint saved of its last drawing of the
    /// diagram (the drawing part the data part's `dataModelExt` names),
    /// placed in the frame.
    fn diagram(&mut self, ids: Node<'_, '_>, part: &Part, frame: Frame, at: &Placement, depth: usize) -> Result<()> {
        let Some((data_path, false)) = related_id(ids, "dm").and_then(|id| part.rels.get(id)).cloned() else { return Ok(()) };
        let Some(data) = Part::load(self.zip, &data_path)? else { return Ok(()) };
        let drawing_id = parse(&data.text, &data_path)?.descendants().find(|n| n.tag_name().name() == "dataModelExt").and_then(|n| plain(n, "relId").map(str::to_string));
        let Some((drawing_path, false)) = drawing_id.and_then(|id| part.rels.get(&id).cloned()) else { return Ok(()) };
        let Some(drawing) = Part::load(self.zip, &drawing_path)? else { return Ok(()) };
        let xml = parse(&drawing.text, &drawing_path)?;
        let Some(tree) = child(xml.root_element(), "spTree") else { return Ok(()) };
        let inner = Placement { sx: at.sx, sy: at.sy, dx: frame.x, dy: frame.y };
        self.tree(tree, &drawing, true, &inner, depth + 1)
    }

    /// A chart drawn from the values its part caches, in the theme's accents.
    fn chart(&mut self, reference: Node<'_, '_>, part: &Part, frame: Frame) -> Result<()> {
        let Some((path, false)) = related_id(reference, "id").and_then(|id| part.rels.get(id)).cloned() else { return Ok(()) };
        let Some(chart) = Part::load(self.zip, &path)? else { return Ok(()) };
        let xml = parse(&chart.text, &path)?;
        let palette: Vec<Color> = (1..=6).filter_map(|i| self.colors.scheme(&format!("accent{i}"))).collect();
        let colors = &self.colors;
        let shapes = super::chart::shapes(xml.root_element(), frame, &palette, self.theme.minor_font.as_deref(), &|n| colors.of(n, None));
        for shape in shapes {
            self.push(shape)?;
        }
        Ok(())
    }

    fn table(&mut self, table: Node<'_, '_>, frame: Frame) -> Result<()> {
        let columns: Vec<f32> = child(table, "tblGrid").map(|g| children(g, "gridCol").map(|c| emu(c, "w").unwrap_or(0.0).max(0.0)).collect()).unwrap_or_default();
        let props = child(table, "tblPr");
        let on = |name| props.and_then(|p| flag(p, name)).unwrap_or(false);
        let (first_row, last_row, first_col, band_rows) = (on("firstRow"), on("lastRow"), on("firstCol"), on("bandRow"));
        let style_id = props.and_then(|p| child(p, "tableStyleId")).and_then(|s| s.text()).map(str::trim);
        let style = style_id.and_then(|id| self.table_styles?.children().find(|s| s.is_element() && plain(*s, "styleId") == Some(id)));
        let builtin = style.is_none() && style_id == Some(MEDIUM_STYLE_2_ACCENT_1);
        let rows: Vec<Node<'_, '_>> = children(table, "tr").collect();
        let mut out = FixedTable { columns, rows: Vec::with_capacity(rows.len()) };
        for (r, row) in rows.iter().enumerate() {
            let mut fixed_row = FixedRow { height: emu(*row, "h").unwrap_or(0.0).max(0.0), cells: Vec::new() };
            let mut column = 0;
            for cell in children(*row, "tc") {
                let span = number(cell, "gridSpan").map_or(1, |s| (s.max(1.0) as usize).min(1000));
                let merged = flag(cell, "hMerge").unwrap_or(false) || flag(cell, "vMerge").unwrap_or(false);
                if !merged {
                    let mut regions = vec!["wholeTbl"];
                    let data_row = r.checked_sub(usize::from(first_row));
                    if band_rows && data_row.is_some_and(|d| d % 2 == 0) && !(last_row && r + 1 == rows.len()) {
                        regions.push("band1H");
                    }
                    if first_col && column == 0 {
                        regions.push("firstCol");
                    }
                    if last_row && r + 1 == rows.len() {
                        regions.push("lastRow");
                    }
                    if first_row && r == 0 {
                        regions.push("firstRow");
                    }
                    let edges = [column == 0, r == 0, column + span >= out.columns.len(), r + 1 == rows.len()];
                    let mut look = CellLook::default();
                    for region in regions {
                        let part = if builtin { self.builtin_look(region) } else { self.styled_look(style, region, edges) };
                        look.over(part);
                    }
                    let rows_spanned = number(cell, "rowSpan").map_or(1, |s| (s.max(1.0) as usize).min(1000));
                    fixed_row.cells.push(self.table_cell(cell, column, span, rows_spanned, look)?);
                }
                column += span;
            }
            out.rows.push(fixed_row);
        }
        self.push(Shape { frame, table: Some(out), ..Shape::default() })
    }

    /// A region of a table style from `tableStyles.xml`.
    fn styled_look(&self, style: Option<Node<'_, '_>>, region: &str, edges: [bool; 4]) -> CellLook {
        let mut look = CellLook::default();
        let Some(part) = style.and_then(|s| child(s, region)) else { return look };
        if let Some(fill) = path(part, &["tcStyle", "fill"]) {
            if let Some(solid) = child(fill, "solidFill") {
                look.fill = Some(self.colors.of(solid, None));
            } else if child(fill, "noFill").is_some() {
                look.fill = Some(None);
            }
        }
        if let Some(reference) = path(part, &["tcStyle", "fillRef"]) {
            look.fill = Some(self.colors.of(reference, None));
        }
        if let Some(text) = child(part, "tcTxStyle") {
            if let Some(b) = plain(text, "b") {
                look.bold = Some(b == "on");
            }
            let color = match text.children().find(|c| c.is_element() && c.tag_name().name() != "font") {
                Some(reference) if reference.tag_name().name() == "fontRef" => self.colors.of(reference, None),
                Some(_) => self.colors.of(text, None),
                None => None,
            };
            look.text = color.or(look.text);
        }
        if let Some(borders) = path(part, &["tcStyle", "tcBdr"]) {
            // Outer edges take left/top/right/bottom, inner ones insideV/insideH.
            let sides = [("left", "insideV"), ("top", "insideH"), ("right", "insideV"), ("bottom", "insideH")];
            for (i, (outer, inner)) in sides.iter().enumerate() {
                let Some(side) = child(borders, if edges[i] { outer } else { inner }) else { continue };
                if let Some(stroke) = child(side, "ln").and_then(|line| self.line(line)) {
                    look.borders[i] = Some(stroke);
                }
            }
        }
        look
    }

    /// PowerPoint's default table style ("Medium Style 2 - Accent 1"),
    /// which files name without defining.
    fn builtin_look(&self, region: &str) -> CellLook {
        let accent = self.colors.scheme("accent1").unwrap_or((0x44, 0x72, 0xc4));
        let light = self.colors.scheme("lt1").unwrap_or((255, 255, 255));
        let dark = self.colors.scheme("dk1").unwrap_or((0, 0, 0));
        let tinted = |v: f32| (tint(accent.0, v), tint(accent.1, v), tint(accent.2, v));
        let white = Some(Stroke { color: light, width: 1.0 });
        match region {
            "wholeTbl" => CellLook { fill: Some(Some(tinted(0.2))), text: Some(dark), bold: None, borders: [white; 4] },
            "band1H" => CellLook { fill: Some(Some(tinted(0.4))), ..CellLook::default() },
            "firstRow" => CellLook {
                fill: Some(Some(accent)),
                text: Some(light),
                bold: Some(true),
                borders: [None, None, None, Some(Stroke { color: light, width: 3.0 })],
            },
            "lastRow" => CellLook { fill: Some(Some(accent)), text: Some(light), bold: Some(true), borders: [None, Some(Stroke { color: light, width: 3.0 }), None, None] },
            "firstCol" => CellLook { fill: Some(Some(accent)), text: Some(light), bold: Some(true), ..CellLook::default() },
            _ => CellLook::default(),
        }
    }

    fn line(&self, line: Node<'_, '_>) -> Option<Stroke> {
        let color = child(line, "solidFill").and_then(|f| self.colors.of(f, None))?;
        Some(Stroke { color, width: emu(line, "w").unwrap_or(0.75) })
    }

    fn table_cell(&mut self, cell: Node<'_, '_>, column: usize, columns: usize, rows: usize, look: CellLook) -> Result<FixedCell> {
        let props = child(cell, "tcPr");
        let mut out = FixedCell { column, columns, rows, fill: look.fill.flatten(), borders: look.borders, text: TextBody::default() };
        let mut inset = [7.2, 3.6, 7.2, 3.6];
        if let Some(p) = props {
            for (i, name) in ["marL", "marT", "marR", "marB"].iter().enumerate() {
                if let Some(v) = emu(p, name) {
                    inset[i] = v;
                }
            }
            if let Some(fill) = child(p, "solidFill") {
                out.fill = self.colors.of(fill, None);
            } else if child(p, "noFill").is_some() {
                out.fill = None;
            }
            for (i, side) in ["lnL", "lnT", "lnR", "lnB"].iter().enumerate() {
                if let Some(line) = child(p, side) {
                    out.borders[i] = if child(line, "noFill").is_some() { None } else { self.line(line).or(out.borders[i]) };
                }
            }
        }
        if let Some(body) = child(cell, "txBody") {
            let mut list = self.other_text();
            for level in &mut list.0 {
                if let Some(b) = look.bold {
                    level.run.bold = Some(b);
                }
                level.run.color = look.text.or(level.run.color).or_else(|| self.colors.scheme("tx1"));
            }
            if let Some(ls) = child(body, "lstStyle") {
                list.apply(ls, Some(&self.colors));
            }
            out.text = self.paragraphs(body, &list)?;
        }
        out.text.inset = inset;
        out.text.anchor = match props.and_then(|p| plain(p, "anchor")) {
            Some("ctr") => Anchor::Middle,
            Some("b") => Anchor::Bottom,
            _ => Anchor::Top,
        };
        Ok(out)
    }

    /// The text style of text outside placeholders: the presentation's
    /// default, under the master's "other" style (as LibreOffice reads it).
    fn other_text(&self) -> ListStyle {
        let mut list = self.default_text.clone();
        if let Some(other) = self.master.and_then(|(m, _)| path(m, &["txStyles", "otherStyle"])) {
            list.apply(other, Some(&self.colors));
        }
        list
    }

    /// A shape's text with what it inherits: `chain` is the master's
    /// placeholder, the layout's, then the shape (those it has).
    fn text_body(&mut self, body: Node<'_, '_>, chain: &[Node<'_, '_>], kind: Option<&str>, font_color: Option<Color>) -> Result<Option<TextBody>> {
        let master = self.master.map(|(root, _)| root);
        let mut list = match kind {
            Some(kind) => {
                let styles = master.and_then(|m| child(m, "txStyles"));
                let name = match master_kind(kind) {
                    "title" => "titleStyle",
                    "body" => "bodyStyle",
                    _ => "otherStyle",
                };
                // A notes master has one style, for the notes.
                let notes = master.and_then(|m| child(m, "notesStyle")).filter(|_| name == "bodyStyle");
                notes.or_else(|| styles.and_then(|s| child(s, name))).map(|s| ListStyle::read(s, Some(&self.colors))).unwrap_or_default()
            }
            None => {
                let mut list = self.default_text.clone();
                // The presentation's default style was read without the master's colours.
                if let Some(color) = self.colors.scheme("tx1") {
                    for level in &mut list.0 {
                        level.run.color.get_or_insert(color);
                    }
                }
                list
            }
        };
        if let Some(color) = font_color {
            for level in &mut list.0 {
                level.run.color = Some(color);
            }
        }
        let mut props = BodyProps::default();
        for node in chain {
            if let Some(b) = child(*node, "txBody") {
                if let Some(pr) = child(b, "bodyPr") {
                    props.apply(pr);
                }
                if let Some(ls) = child(b, "lstStyle") {
                    list.apply(ls, Some(&self.colors));
                }
            }
        }
        let mut text = self.paragraphs(body, &list)?;
        if text.paragraphs.iter().all(|p| p.runs.iter().all(|r| r.text.trim().is_empty())) {
            return Ok(None);
        }
        let defaults = TextBody::default();
        for (i, v) in props.inset.iter().enumerate() {
            text.inset[i] = v.unwrap_or(defaults.inset[i]);
        }
        text.anchor = props.anchor.unwrap_or(Anchor::Top);
        text.wrap = props.wrap.unwrap_or(true);
        text.font_scale = props.font_scale.unwrap_or(1.0).clamp(0.05, 1.0);
        text.spacing_reduction = props.spacing_reduction.unwrap_or(0.0).clamp(0.0, 0.9);
        text.shrink_to_fit = props.shrink.unwrap_or(false);
        Ok(Some(text))
    }

    fn paragraphs(&mut self, body: Node<'_, '_>, list: &ListStyle) -> Result<TextBody> {
        let mut text = TextBody { uniform_lines: true, ..TextBody::default() };
        // Auto-numbering counters per level.
        let mut counters = [0u64; 9];
        for p in children(body, "p") {
            let p_pr = child(p, "pPr");
            let level = p_pr.and_then(|n| number(n, "lvl")).map_or(0, |l| (l.max(0.0) as usize).min(8));
            let mut props = list.0[level].clone();
            if let Some(n) = p_pr {
                let mut own = ParaProps::default();
                own.apply(n, Some(&self.colors));
                props.over(&own);
            }
            let mut para = TextParagraph {
                align: props.align.unwrap_or(Align::Left),
                margin_left: props.margin_left.unwrap_or(0.0),
                indent: props.indent.unwrap_or(0.0),
                space_before: props.space_before.unwrap_or(Spacing::Points(0.0)),
                space_after: props.space_after.unwrap_or(Spacing::Points(0.0)),
                line_spacing: props.line_spacing.unwrap_or(Spacing::Lines(1.0)),
                ..TextParagraph::default()
            };
            for r in p.children().filter(Node::is_element) {
                let name = r.tag_name().name();
                if !matches!(name, "r" | "br" | "fld") {
                    continue;
                }
                let mut run_props = props.run.clone();
                if let Some(r_pr) = child(r, "rPr") {
                    let mut own = RunProps::default();
                    own.apply_drawingml(r_pr, Some(&self.colors));
                    run_props.over(&own);
                }
                let content = match name {
                    "br" => "\n".to_string(),
                    "fld" if plain(r, "type") == Some("slidenum") => self.number.to_string(),
                    _ => child(r, "t").and_then(|t| t.text()).unwrap_or("").to_string(),
                };
                para.runs.push(self.run(content, &run_props));
            }
            let end = child(p, "endParaRPr").map(|e| {
                let mut own = RunProps::default();
                own.apply_drawingml(e, Some(&self.colors));
                let mut merged = props.run.clone();
                merged.over(&own);
                merged
            });
            para.empty_size = end.as_ref().and_then(|e| e.size).or(props.run.size).unwrap_or(18.0);
            let has_text = para.runs.iter().any(|r| !r.text.trim().is_empty());
            match (&props.bullet, has_text) {
                (Some(BulletKind::Char(c)), true) => {
                    let first = para.runs.first().cloned().unwrap_or_default();
                    para.bullet = Some(Bullet {
                        text: bullet_char(c, props.bullet_font.as_deref()),
                        font: props.bullet_font.clone().filter(|f| !is_symbol_font(f)).or(first.font.clone()),
                        color: props.bullet_color.unwrap_or(first.color),
                        size: first.size * props.bullet_size.unwrap_or(1.0),
                        tab_stops: None,
                    });
                    counters[level] = 0;
                }
                (Some(BulletKind::Number { scheme, start }), true) => {
                    let first = para.runs.first().cloned().unwrap_or_default();
                    let n = if counters[level] == 0 { *start } else { counters[level] + 1 };
                    counters[level] = n;
                    para.bullet = Some(Bullet {
                        text: number_label(scheme, n),
                        font: first.font.clone(),
                        color: props.bullet_color.unwrap_or(first.color),
                        size: first.size * props.bullet_size.unwrap_or(1.0),
                        tab_stops: None,
                    });
                }
                _ => counters[level] = 0,
            }
            for deeper in counters.iter_mut().skip(level + 1) {
                *deeper = 0;
            }
            text.paragraphs.push(para);
        }
        Ok(text)
    }

    fn run(&self, text: String, props: &RunProps) -> TextRun {
        let font = props.font.as_deref().map(|f| match f {
            "+mj-lt" => self.theme.major_font.clone().unwrap_or_default(),
            "+mn-lt" => self.theme.minor_font.clone().unwrap_or_default(),
            other => other.to_string(),
        });
        let font = font.filter(|f| !f.is_empty() && !f.starts_with('+')).or_else(|| self.theme.minor_font.clone());
        let text = if props.caps == Some(true) { text.to_uppercase() } else { text };
        TextRun {
            text,
            font,
            size: props.size.unwrap_or(18.0).clamp(1.0, 4000.0),
            bold: props.bold.unwrap_or(false),
            italic: props.italic.unwrap_or(false),
            underline: props.underline.unwrap_or(false),
            strike: props.strike.unwrap_or(false),
            color: props.color.or_else(|| self.colors.scheme("tx1")).unwrap_or((0, 0, 0)),
            baseline: props.baseline.unwrap_or(0.0),
            link: None,
            page_number: false,
        }
    }
}

pub(super) fn is_symbol_font(font: &str) -> bool {
    let f = font.to_ascii_lowercase();
    f.starts_with("wingdings") || f == "symbol" || f.starts_with("webdings")
}

/// A bullet character as Unicode: symbol fonts' private codes become the
/// shapes they draw.
pub(super) fn bullet_char(c: &str, font: Option<&str>) -> String {
    if !font.is_some_and(is_symbol_font) {
        return c.to_string();
    }
    match c.chars().next().map(|c| c as u32 & 0xFF) {
        Some(0xA7 | 0x6E) => "\u{25AA}",
        Some(0xD8) => "\u{27A2}",
        Some(0xFC) => "\u{2714}",
        Some(0x71) => "\u{2751}",
        Some(0x76) => "\u{2756}",
        Some(0xB7 | 0x6C) => "\u{2022}",
        Some(0xE0 | 0xE8) => "\u{2794}",
        _ => "\u{2022}",
    }
    .to_string()
}

/// `buAutoNum`'s label for item `n` ("3.", "c)", "(iv)").
fn number_label(scheme: &str, n: u64) -> String {
    use fileconv_core::Numbering;
    let counting = match scheme.get(..7).unwrap_or("") {
        "alphaLc" => Numbering::LowerAlpha,
        "alphaUc" => Numbering::UpperAlpha,
        "romanLc" => Numbering::LowerRoman,
        "romanUc" => Numbering::UpperRoman,
        _ => Numbering::Decimal,
    };
    let label = counting.label(n).unwrap_or_else(|| n.to_string());
    if scheme.ends_with("ParenBoth") {
        format!("({label})")
    } else if scheme.ends_with("ParenR") {
        format!("{label})")
    } else if scheme.ends_with("Plain") {
        label
    } else {
        format!("{label}.")
    }
}

/// `srcRect`'s crop as shares of the picture (left, top, right, bottom).
fn crop(blip_fill: Node<'_, '_>) -> [f32; 4] {
    let Some(rect) = child(blip_fill, "srcRect") else { return [0.0; 4] };
    ["l", "t", "r", "b"].map(|k| number(rect, k).map_or(0.0, |v| (v / 100_000.0).clamp(-1.0, 0.99)))
}

/// A shape's outline from `prstGeom` or `custGeom`.
fn geometry(sp_pr: Node<'_, '_>) -> Geometry {
    if let Some(custom) = child(sp_pr, "custGeom") {
        if let Some(points) = custom_points(custom) {
            return Geometry::Polygon(points);
        }
        return Geometry::Rect;
    }
    let Some(preset) = child(sp_pr, "prstGeom") else { return Geometry::Rect };
    let adjust = |default: f32| {
        child(preset, "avLst")
            .and_then(|l| child(l, "gd"))
            .and_then(|g| plain(g, "fmla"))
            .and_then(|f| f.strip_prefix("val ").and_then(|v| v.trim().parse::<f32>().ok()))
            .map_or(default, |v| v / 100_000.0)
    };
    match plain(preset, "prst").unwrap_or("rect") {
        "roundRect" | "round2SameRect" | "flowChartAlternateProcess" => Geometry::RoundRect(adjust(0.16667).clamp(0.0, 0.5)),
        "ellipse" | "flowChartConnector" | "donut" => Geometry::Ellipse,
        "line" | "straightConnector1" | "bentConnector2" | "bentConnector3" | "curvedConnector3" => Geometry::Line,
        "flowChartExtract" => super::preset_shapes::polygon("triangle").unwrap_or_default(),
        "flowChartDecision" => super::preset_shapes::polygon("diamond").unwrap_or_default(),
        "flowChartInputOutput" => super::preset_shapes::polygon("parallelogram").unwrap_or_default(),
        other => super::preset_shapes::polygon(other).unwrap_or_default(),
    }
}

/// The first path of a custom geometry as points (shares of the frame);
/// curves are flattened.
fn custom_points(custom: Node<'_, '_>) -> Option<Vec<(f32, f32)>> {
    let p = path(custom, &["pathLst", "path"])?;
    let (w, h) = (number(p, "w").filter(|w| *w > 0.0)?, number(p, "h").filter(|h| *h > 0.0)?);
    let point = |n: Node<'_, '_>| Some((number(n, "x")? / w, number(n, "y")? / h));
    let mut points: Vec<(f32, f32)> = Vec::new();
    for seg in p.children().filter(Node::is_element) {
        let pts: Vec<(f32, f32)> = children(seg, "pt").filter_map(point).collect();
        match seg.tag_name().name() {
            "moveTo" | "lnTo" => points.extend(pts),
            "cubicBezTo" if pts.len() == 3 => {
                let start = points.last().copied().unwrap_or(pts[0]);
                for k in 1..=8 {
                    let t = k as f32 / 8.0;
                    let u = 1.0 - t;
                    let f = |a: f32, b: f32, c: f32, d: f32| u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d;
                    points.push((f(start.0, pts[0].0, pts[1].0, pts[2].0), f(start.1, pts[0].1, pts[1].1, pts[2].1)));
                }
            }
            "quadBezTo" if pts.len() == 2 => points.extend(pts),
            _ => {}
        }
        if points.len() > 10_000 {
            break;
        }
    }
    (points.len() >= 2).then_some(points)
}
