//! DOCX as a [`PageFlow`]: sections with their page size, margins, header
//! and footer (the default ones), and the body's paragraphs, tables and
//! pictures with every property resolved the way Word resolves it:
//! document defaults, then the paragraph style's chain (`basedOn`), the
//! character style's, then direct formatting; theme fonts (`minorHAnsi`)
//! become the theme's families. Paragraphs: alignment, indents, spacing
//! before and after, line spacing (auto, exact, at least), keep with next,
//! page break before, list labels from `numbering.xml` (counted per list
//! and level, in each level's format and text). Runs: font, size, bold,
//! italic, underline, strike, colour, capitals, hidden text left out, page
//! number fields. Tables: column widths, indent, cell margins, borders
//! (table, style and cell), shading, merged cells. Pictures: inline and
//! anchored drawings at their extent, on lines of their own.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::Arc;

use fileconv_core::document::fixed::{
    Align, Bullet, FixedCell, FixedRow, FixedTable, FlowBlock, FlowParagraph, FlowSection, Frame, Origin, PageFlow, Picture, Shape, Spacing, Stroke, TextBody, TextParagraph, TextRun,
};
use fileconv_core::{Context, Error, Numbering, Result};
use fileconv_zip::zip;
use roxmltree::{Document as Xml, Node};

use super::pptx::read_rels;
use super::pptx_pages::{bullet_char, is_symbol_font};
use super::run_props::RunProps;
use fileconv_zip::tree::{child, related_id, rgb};

const FORMAT: &str = "docx";
/// Nesting of tables (and other containers) followed at most.
const MAX_DEPTH: usize = 24;
/// Blocks one document may hold.
const MAX_BLOCKS: usize = 2_000_000;

type Rels = HashMap<String, (String, bool)>;

/// Reads the page flow of a DOCX whose `word/document.xml` is `document`.
///
/// # Errors
/// [`Error::InvalidInput`] for broken XML; [`Error::LimitExceeded`] past
/// the node or block limits.
pub fn read<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, document: &[u8], ctx: &Context<'_>) -> Result<PageFlow> {
    let text = utf8(document.to_vec(), "document.xml")?;
    let xml = parse(&text, "document.xml")?;
    let rels = match fileconv_zip::read_optional(zip, "word/_rels/document.xml.rels", FORMAT)? {
        Some(bytes) => read_rels(&bytes, "word")?,
        None => HashMap::new(),
    };
    let load = |zip: &mut zip::ZipArchive<R>, path: &str| -> Result<Option<String>> { fileconv_zip::read_optional(zip, path, FORMAT)?.map(|b| utf8(b, path)).transpose() };
    let styles_text = load(zip, "word/styles.xml")?.unwrap_or_default();
    let numbering_text = load(zip, "word/numbering.xml")?.unwrap_or_default();
    let theme_path = rels.values().find(|(t, ext)| !ext && t.contains("theme/")).map(|(t, _)| t.clone());
    let theme_text = match theme_path {
        Some(p) => load(zip, &p)?.unwrap_or_default(),
        None => String::new(),
    };
    let theme = if theme_text.is_empty() { None } else { Some(parse(&theme_text, "theme")?) };
    let theme_fonts = theme.as_ref().map(|t| theme_fonts(t.root_element())).unwrap_or_default();
    let styles_xml = if styles_text.is_empty() { None } else { Some(parse(&styles_text, "styles.xml")?) };
    let styles = Styles::read(styles_xml.as_ref().map(|x| x.root_element()), &theme_fonts);
    let numbering_xml = if numbering_text.is_empty() { None } else { Some(parse(&numbering_text, "numbering.xml")?) };
    let numbering = numbering_xml.as_ref().map(|x| NumberingDefs::read(x.root_element(), &theme_fonts)).unwrap_or_default();
    let settings = load(zip, "word/settings.xml")?.unwrap_or_default();
    let settings = if settings.is_empty() { None } else { Some(parse(&settings, "settings.xml")?) };
    let settings = settings.as_ref().map(|x| x.root_element());
    let tab_stop = settings.and_then(|s| s.descendants().find(|n| n.tag_name().name() == "defaultTabStop")).and_then(|n| twips(n, "val"));
    let tab_stop = tab_stop.filter(|t| *t >= 1.0).unwrap_or(36.0);
    // How footnotes and endnotes count: the settings', else the first section's, else Word's (1, 2 and i, ii).
    let note_format = |kind: &str, default: &str| {
        let from = |root: Option<Node<'_, '_>>| root?.descendants().find(|n| n.tag_name().name() == kind).and_then(|p| child(p, "numFmt")).and_then(|f| wattr(f, "val")).map(str::to_string);
        from(settings).or_else(|| from(Some(xml.root_element()))).unwrap_or_else(|| default.to_string())
    };
    let note_formats = [note_format("footnotePr", "decimal"), note_format("endnotePr", "lowerRoman")];
    // Footnotes and endnotes, read where they are cited.
    let mut note_texts = Vec::new();
    for name in ["word/footnotes.xml", "word/endnotes.xml"] {
        let text = load(zip, name)?.unwrap_or_default();
        let rels = match fileconv_zip::read_optional(zip, &super::pptx::rels_path(name), FORMAT)? {
            Some(bytes) => read_rels(&bytes, "word")?,
            None => HashMap::new(),
        };
        note_texts.push((text, std::rc::Rc::new(rels)));
    }
    let note_xml: Vec<Option<Xml<'_>>> = note_texts.iter().map(|(t, _)| if t.is_empty() { Ok(None) } else { parse(t, "notes").map(Some) }).collect::<Result<_>>()?;
    let mut notes = HashMap::new();
    for (endnote, xml) in note_xml.iter().enumerate() {
        for note in xml.iter().flat_map(|x| x.root_element().children()).filter(|n| n.is_element() && matches!(n.tag_name().name(), "footnote" | "endnote")) {
            if let Some(id) = wattr(note, "id") {
                notes.insert((endnote == 1, id.to_string()), note);
            }
        }
    }
    let mut reader = FlowReader {
        zip,
        notes,
        note_rels: [note_texts[0].1.clone(), note_texts[1].1.clone()],
        note_numbers: [0; 2],
        note_label: None,
        cited: Vec::new(),
        carried: Vec::new(),
        endnotes: Vec::new(),
        tab_stop,
        note_formats,
        ctx,
        styles: &styles,
        numbering: &numbering,
        theme_fonts: &theme_fonts,
        counters: HashMap::new(),
        media: HashMap::new(),
        blocks: 0,
    };
    let Some(body) = xml.root_element().children().find(|c| c.tag_name().name() == "body") else { return Ok(PageFlow::default()) };
    let mut flow = PageFlow::default();
    let mut blocks = Vec::new();
    for node in body.children().filter(Node::is_element) {
        ctx.checkpoint()?;
        match node.tag_name().name() {
            "sectPr" => {
                let section = reader.section(node, &rels, std::mem::take(&mut blocks))?;
                flow.sections.push(section);
            }
            _ => {
                reader.block(node, &rels, &mut blocks, 0)?;
                // A paragraph whose properties hold a section's ends that section.
                if let Some(sect) = node.children().find(|c| c.tag_name().name() == "pPr").and_then(|p| p.children().find(|c| c.tag_name().name() == "sectPr")) {
                    let section = reader.section(sect, &rels, std::mem::take(&mut blocks))?;
                    flow.sections.push(section);
                }
            }
        }
    }
    if !blocks.is_empty() {
        if !reader.carried.is_empty() {
            blocks.push(FlowBlock::Paragraph(FlowParagraph { notes: std::mem::take(&mut reader.carried), ..FlowParagraph::default() }));
        }
        let section = FlowSection { width: 612.0, height: 792.0, margins: [72.0; 4], header_distance: 36.0, footer_distance: 36.0, blocks, ..FlowSection::default() };
        flow.sections.push(section);
    }
    flow.endnotes = std::mem::take(&mut reader.endnotes);
    Ok(flow)
}

fn utf8(bytes: Vec<u8>, name: &str) -> Result<String> {
    fileconv_zip::tree::utf8(bytes, name, FORMAT)
}

fn parse<'a>(text: &'a str, part: &str) -> Result<Xml<'a>> {
    fileconv_zip::tree::parse(text, part, FORMAT)
}

/// A WordprocessingML attribute (`w:val`) by local name.
fn wattr<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attributes().find(|a| a.name() == name).map(|a| a.value())
}

fn number(node: Node<'_, '_>, name: &str) -> Option<f32> {
    wattr(node, name).and_then(|v| v.trim().parse::<f32>().ok()).filter(|v| v.is_finite())
}

/// Twentieths of a point (twips) in points.
fn twips(node: Node<'_, '_>, name: &str) -> Option<f32> {
    number(node, name).map(|v| v / 20.0)
}

/// An on/off property: present and not `false`/`0`/`off`.
fn on(node: Option<Node<'_, '_>>) -> Option<bool> {
    node.map(|n| !matches!(wattr(n, "val"), Some("0" | "false" | "off" | "none")))
}

/// The theme's minor and major Latin fonts.
#[derive(Default)]
struct ThemeFonts {
    minor: Option<String>,
    major: Option<String>,
}

fn theme_fonts(root: Node<'_, '_>) -> ThemeFonts {
    let latin = |name: &str| {
        root.descendants().find(|n| n.tag_name().name() == name).and_then(|f| child(f, "latin")).and_then(|l| wattr(l, "typeface")).filter(|t| !t.is_empty()).map(str::to_string)
    };
    ThemeFonts { minor: latin("minorFont"), major: latin("majorFont") }
}

impl RunProps {
    /// A WordprocessingML run property element (`w:rPr`) over these.
    fn apply_wordml(&mut self, r_pr: Node<'_, '_>, theme: &ThemeFonts) {
        for c in r_pr.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "rFonts" => {
                    let themed = wattr(c, "asciiTheme").or_else(|| wattr(c, "hAnsiTheme")).and_then(|t| if t.starts_with("major") { theme.major.clone() } else { theme.minor.clone() });
                    if let Some(font) = themed.or_else(|| wattr(c, "ascii").or_else(|| wattr(c, "hAnsi")).map(str::to_string)) {
                        self.font = Some(font);
                    }
                }
                "sz" => self.size = number(c, "val").map(|v| v / 2.0).or(self.size),
                "b" => self.bold = on(Some(c)),
                "i" => self.italic = on(Some(c)),
                "u" => self.underline = on(Some(c)),
                "strike" | "dstrike" => self.strike = on(Some(c)),
                "caps" | "smallCaps" => self.caps = on(Some(c)),
                "vanish" => self.hidden = on(Some(c)),
                "color" => {
                    if let Some(v) = wattr(c, "val").filter(|v| *v != "auto") {
                        self.color = rgb(v);
                    }
                }
                "vertAlign" => {
                    self.baseline = match wattr(c, "val") {
                        Some("superscript") => Some(0.33),
                        Some("subscript") => Some(-0.2),
                        _ => Some(0.0),
                    }
                }
                _ => {}
            }
        }
    }

}

/// Paragraph properties; `None` inherits.
#[derive(Clone, Debug, Default)]
struct ParaProps {
    align: Option<Align>,
    left: Option<f32>,
    right: Option<f32>,
    /// First-line offset: positive indents, negative hangs.
    first: Option<f32>,
    before: Option<f32>,
    after: Option<f32>,
    line: Option<Spacing>,
    keep_next: Option<bool>,
    break_before: Option<bool>,
    /// (numId, level).
    numbering: Option<(String, usize)>,
    contextual: Option<bool>,
}

impl ParaProps {
    fn apply(&mut self, p_pr: Node<'_, '_>) {
        for c in p_pr.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "jc" => {
                    self.align = Some(match wattr(c, "val").unwrap_or("left") {
                        "center" => Align::Center,
                        "right" | "end" => Align::Right,
                        "both" | "distribute" => Align::Justify,
                        _ => Align::Left,
                    })
                }
                "ind" => {
                    if let Some(v) = twips(c, "left").or_else(|| twips(c, "start")) {
                        self.left = Some(v);
                    }
                    if let Some(v) = twips(c, "right").or_else(|| twips(c, "end")) {
                        self.right = Some(v);
                    }
                    if let Some(v) = twips(c, "hanging") {
                        self.first = Some(-v);
                    } else if let Some(v) = twips(c, "firstLine") {
                        self.first = Some(v);
                    }
                }
                "spacing" => {
                    if let Some(v) = twips(c, "before") {
                        self.before = Some(v);
                    }
                    if let Some(v) = twips(c, "after") {
                        self.after = Some(v);
                    }
                    if let Some(v) = number(c, "line") {
                        self.line = Some(match wattr(c, "lineRule").unwrap_or("auto") {
                            "exact" => Spacing::Points(v / 20.0),
                            "atLeast" => Spacing::AtLeast(v / 20.0),
                            _ => Spacing::Lines(v / 240.0),
                        });
                    }
                }
                "keepNext" => self.keep_next = on(Some(c)),
                "contextualSpacing" => self.contextual = on(Some(c)),
                "pageBreakBefore" => self.break_before = on(Some(c)),
                "numPr" => {
                    let id = child(c, "numId").and_then(|n| wattr(n, "val")).map(str::to_string);
                    let level = child(c, "ilvl").and_then(|n| number(n, "val")).map_or(0, |l| (l.max(0.0) as usize).min(8));
                    if let Some(id) = id {
                        self.numbering = Some((id, level));
                    }
                }
                _ => {}
            }
        }
    }

    fn over(&mut self, top: &ParaProps) {
        macro_rules! take {
            ($($f:ident),*) => { $( if top.$f.is_some() { self.$f = top.$f.clone(); } )* };
        }
        take!(align, left, right, first, before, after, line, keep_next, break_before, numbering, contextual);
    }
}

/// Borders of a table or cell: left, top, right, bottom, inside horizontal, inside vertical.
type Borders = [Option<Option<Stroke>>; 6];

fn borders(node: Node<'_, '_>) -> Borders {
    let mut out: Borders = Default::default();
    for (i, names) in [["left", "start"], ["top", "top"], ["right", "end"], ["bottom", "bottom"], ["insideH", "insideH"], ["insideV", "insideV"]].iter().enumerate() {
        if let Some(b) = child(node, names[0]).or_else(|| child(node, names[1])) {
            out[i] = Some(match wattr(b, "val") {
                Some("nil" | "none") | None => None,
                Some(_) => Some(Stroke {
                    color: wattr(b, "color").filter(|c| *c != "auto").and_then(rgb).unwrap_or((0, 0, 0)),
                    width: number(b, "sz").map_or(0.5, |s| (s / 8.0).max(0.25)),
                }),
            });
        }
    }
    out
}

struct StyleDef {
    based_on: Option<String>,
    p: ParaProps,
    r: RunProps,
    table_borders: Option<Borders>,
    cell_margins: Option<[Option<f32>; 4]>,
}

struct Styles {
    defaults_p: ParaProps,
    defaults_r: RunProps,
    by_id: HashMap<String, StyleDef>,
    default_paragraph: Option<String>,
    default_table: Option<String>,
}

fn cell_margins(node: Node<'_, '_>) -> [Option<f32>; 4] {
    let side = |a: &str, b: &str| child(node, a).or_else(|| child(node, b)).and_then(|m| twips(m, "w"));
    [side("left", "start"), side("top", "top"), side("right", "end"), side("bottom", "bottom")]
}

impl Styles {
    fn read(root: Option<Node<'_, '_>>, theme: &ThemeFonts) -> Styles {
        let mut styles = Styles { defaults_p: ParaProps::default(), defaults_r: RunProps::default(), by_id: HashMap::new(), default_paragraph: None, default_table: None };
        let Some(root) = root else {
            // No styles part: Word's own defaults.
            styles.defaults_r.size = Some(10.0);
            styles.defaults_r.font = Some("Times New Roman".into());
            return styles;
        };
        if let Some(defaults) = child(root, "docDefaults") {
            if let Some(r) = child(defaults, "rPrDefault").and_then(|d| child(d, "rPr")) {
                styles.defaults_r.apply_wordml(r, theme);
            }
            if let Some(p) = child(defaults, "pPrDefault").and_then(|d| child(d, "pPr")) {
                styles.defaults_p.apply(p);
            }
        }
        for style in root.children().filter(|c| c.tag_name().name() == "style") {
            let Some(id) = wattr(style, "styleId") else { continue };
            let kind = wattr(style, "type").unwrap_or("paragraph");
            let mut def = StyleDef { based_on: child(style, "basedOn").and_then(|b| wattr(b, "val")).map(str::to_string), p: ParaProps::default(), r: RunProps::default(), table_borders: None, cell_margins: None };
            if let Some(p) = child(style, "pPr") {
                def.p.apply(p);
            }
            if let Some(r) = child(style, "rPr") {
                def.r.apply_wordml(r, theme);
            }
            if let Some(t) = child(style, "tblPr") {
                def.table_borders = child(t, "tblBorders").map(borders);
                def.cell_margins = child(t, "tblCellMar").map(cell_margins);
            }
            if wattr(style, "default").is_some_and(|d| d == "1" || d == "true") {
                match kind {
                    "paragraph" => styles.default_paragraph = Some(id.to_string()),
                    "table" => styles.default_table = Some(id.to_string()),
                    _ => {}
                }
            }
            styles.by_id.insert(id.to_string(), def);
        }
        styles
    }

    /// The style and its ancestors, root first.
    fn chain(&self, id: Option<&str>) -> Vec<&StyleDef> {
        let mut chain = Vec::new();
        let mut current = id.and_then(|i| self.by_id.get(i));
        while let Some(style) = current {
            if chain.len() >= 16 {
                break;
            }
            chain.push(style);
            current = style.based_on.as_deref().and_then(|b| self.by_id.get(b));
        }
        chain.reverse();
        chain
    }
}

/// A list level: how it counts, its text (`%1.`), start, indent, bullet font.
#[derive(Clone, Debug, Default)]
struct Level {
    format: String,
    text: String,
    /// What follows the label: `tab`, `space` or `nothing`.
    suffix: String,
    start: u64,
    p: ParaProps,
    r: RunProps,
}

#[derive(Default)]
struct NumberingDefs {
    /// numId → (abstract id, level overrides of start).
    nums: HashMap<String, (String, HashMap<usize, u64>)>,
    abstracts: HashMap<String, Vec<Level>>,
}

impl NumberingDefs {
    fn read(root: Node<'_, '_>, theme: &ThemeFonts) -> NumberingDefs {
        let mut defs = NumberingDefs::default();
        for node in root.children().filter(Node::is_element) {
            match node.tag_name().name() {
                "abstractNum" => {
                    let Some(id) = wattr(node, "abstractNumId") else { continue };
                    let mut levels = vec![Level { format: "decimal".into(), text: String::new(), suffix: "tab".into(), start: 1, ..Level::default() }; 9];
                    for lvl in node.children().filter(|c| c.tag_name().name() == "lvl") {
                        let Some(i) = number(lvl, "ilvl").map(|l| l as usize).filter(|l| *l < 9) else { continue };
                        let level = &mut levels[i];
                        level.format = child(lvl, "numFmt").and_then(|f| wattr(f, "val")).unwrap_or("decimal").to_string();
                        level.text = child(lvl, "lvlText").and_then(|t| wattr(t, "val")).unwrap_or("").to_string();
                        level.suffix = child(lvl, "suff").and_then(|t| wattr(t, "val")).unwrap_or("tab").to_string();
                        level.start = child(lvl, "start").and_then(|s| number(s, "val")).map_or(1, |s| s.max(0.0) as u64);
                        if let Some(p) = child(lvl, "pPr") {
                            level.p.apply(p);
                        }
                        if let Some(r) = child(lvl, "rPr") {
                            level.r.apply_wordml(r, theme);
                        }
                    }
                    defs.abstracts.insert(id.to_string(), levels);
                }
                "num" => {
                    let (Some(id), Some(abstract_id)) = (wattr(node, "numId"), child(node, "abstractNumId").and_then(|a| wattr(a, "val"))) else { continue };
                    let mut starts = HashMap::new();
                    for o in node.children().filter(|c| c.tag_name().name() == "lvlOverride") {
                        if let (Some(l), Some(s)) = (number(o, "ilvl"), child(o, "startOverride").and_then(|s| number(s, "val"))) {
                            starts.insert(l as usize, s.max(0.0) as u64);
                        }
                    }
                    defs.nums.insert(id.to_string(), (abstract_id.to_string(), starts));
                }
                _ => {}
            }
        }
        defs
    }

    fn level(&self, num: &str, level: usize) -> Option<(&str, Level)> {
        let (abstract_id, starts) = self.nums.get(num)?;
        let mut found = self.abstracts.get(abstract_id)?.get(level)?.clone();
        if let Some(start) = starts.get(&level) {
            found.start = *start;
        }
        Some((abstract_id.as_str(), found))
    }
}

fn counted(format: &str, n: u64) -> String {
    let counting = match format {
        "lowerLetter" => Numbering::LowerAlpha,
        "upperLetter" => Numbering::UpperAlpha,
        "lowerRoman" => Numbering::LowerRoman,
        "upperRoman" => Numbering::UpperRoman,
        "none" => return String::new(),
        _ => Numbering::Decimal,
    };
    counting.label(n).unwrap_or_else(|| n.to_string())
}

struct FlowReader<'r, 'x, 'i, R> {
    zip: &'r mut zip::ZipArchive<R>,
    /// Footnote (false) and endnote (true) bodies by id, and their parts' relationships.
    notes: HashMap<(bool, String), Node<'x, 'i>>,
    note_rels: [std::rc::Rc<Rels>; 2],
    /// Notes cited so far, footnotes and endnotes.
    note_numbers: [u64; 2],
    /// The number of the note being read (its `footnoteRef` mark).
    note_label: Option<String>,
    /// Footnotes cited in the paragraph being read.
    cited: Vec<FlowParagraph>,
    /// Footnotes cited in a table's cells, set with the paragraph after the table.
    carried: Vec<FlowParagraph>,
    /// The document's default tab stops, points apart.
    tab_stop: f32,
    /// How footnotes and endnotes count (`numFmt`).
    note_formats: [String; 2],
    endnotes: Vec<FlowBlock>,
    ctx: &'r Context<'r>,
    styles: &'r Styles,
    numbering: &'r NumberingDefs,
    theme_fonts: &'r ThemeFonts,
    /// Counters per abstract list, per level.
    counters: HashMap<String, [u64; 9]>,
    media: HashMap<String, Option<Arc<Vec<u8>>>>,
    blocks: usize,
}

impl<R: Read + Seek> FlowReader<'_, '_, '_, R> {
    fn push(&mut self, out: &mut Vec<FlowBlock>, block: FlowBlock) -> Result<()> {
        self.blocks += 1;
        if self.blocks > MAX_BLOCKS {
            return Err(Error::limit("paragraphs and tables", MAX_BLOCKS as u64, self.blocks as u64));
        }
        out.push(block);
        Ok(())
    }

    fn section(&mut self, sect: Node<'_, '_>, rels: &Rels, mut blocks: Vec<FlowBlock>) -> Result<FlowSection> {
        // Notes cited in a table or text box that ends the section: with its last paragraph.
        if !self.carried.is_empty() {
            let carried = std::mem::take(&mut self.carried);
            match blocks.iter_mut().rev().find_map(|b| if let FlowBlock::Paragraph(p) = b { Some(p) } else { None }) {
                Some(last) => last.notes.extend(carried),
                None => blocks.push(FlowBlock::Paragraph(FlowParagraph { notes: carried, ..FlowParagraph::default() })),
            }
        }
        let mut section = FlowSection { width: 612.0, height: 792.0, margins: [72.0; 4], header_distance: 36.0, footer_distance: 36.0, blocks, ..FlowSection::default() };
        if let Some(size) = child(sect, "pgSz") {
            section.width = twips(size, "w").unwrap_or(612.0);
            section.height = twips(size, "h").unwrap_or(792.0);
        }
        if let Some(m) = child(sect, "pgMar") {
            let get = |n: &str, d: f32| twips(m, n).unwrap_or(d).abs();
            section.margins = [get("left", 72.0) + get("gutter", 0.0), get("top", 72.0), get("right", 72.0), get("bottom", 72.0)];
            section.header_distance = get("header", 36.0);
            section.footer_distance = get("footer", 36.0);
        }
        section.continuous = child(sect, "type").and_then(|t| wattr(t, "val")) == Some("continuous");
        let title_page = on(child(sect, "titlePg")).unwrap_or(false);
        if title_page {
            // A different first page: empty unless the section gives it a header or footer.
            section.first_header = Some(Vec::new());
            section.first_footer = Some(Vec::new());
        }
        for (kind, which, target) in [("headerReference", "default", 0), ("footerReference", "default", 1), ("headerReference", "first", 2), ("footerReference", "first", 3)] {
            if which == "first" && !title_page {
                continue;
            }
            let reference = sect.children().filter(|c| c.tag_name().name() == kind).find(|c| wattr(*c, "type").unwrap_or("default") == which);
            let Some((path, false)) = reference.and_then(|r| related_id(r, "id")).and_then(|id| rels.get(id)).cloned() else { continue };
            let Some(bytes) = fileconv_zip::read_optional(self.zip, &path, FORMAT)? else { continue };
            let text = utf8(bytes, &path)?;
            let xml = parse(&text, &path)?;
            let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
            let part_rels = match fileconv_zip::read_optional(self.zip, &super::pptx::rels_path(&path), FORMAT)? {
                Some(bytes) => read_rels(&bytes, dir)?,
                None => HashMap::new(),
            };
            let mut out = Vec::new();
            for node in xml.root_element().children().filter(Node::is_element) {
                self.block(node, &part_rels, &mut out, 0)?;
            }
            match target {
                0 => section.header = out,
                1 => section.footer = out,
                2 => section.first_header = Some(out),
                _ => section.first_footer = Some(out),
            }
        }
        Ok(section)
    }

    fn block(&mut self, node: Node<'_, '_>, rels: &Rels, out: &mut Vec<FlowBlock>, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::limit("nesting of tables and content controls", MAX_DEPTH as u64, depth as u64));
        }
        match node.tag_name().name() {
            "p" => self.paragraph(node, rels, out)?,
            "tbl" => {
                let block = self.table(node, rels, depth)?;
                self.push(out, block)?;
            }
            "sdt" | "customXml" | "ins" | "smartTag" => {
                let content = child(node, "sdtContent").unwrap_or(node);
                for c in content.children().filter(Node::is_element) {
                    self.block(c, rels, out, depth + 1)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A paragraph's properties after its style chain and direct formatting,
    /// and the run properties its runs start from.
    fn paragraph_props(&self, p_pr: Option<Node<'_, '_>>) -> (ParaProps, RunProps, Option<String>) {
        let style_id = p_pr.and_then(|p| child(p, "pStyle")).and_then(|s| wattr(s, "val")).map(str::to_string).or_else(|| self.styles.default_paragraph.clone());
        let mut p = self.styles.defaults_p.clone();
        let mut r = self.styles.defaults_r.clone();
        for style in self.styles.chain(style_id.as_deref()) {
            p.over(&style.p);
            r.over(&style.r);
        }
        if let Some(node) = p_pr {
            let mut own = ParaProps::default();
            own.apply(node);
            p.over(&own);
        }
        (p, r, style_id)
    }

    fn paragraph(&mut self, node: Node<'_, '_>, rels: &Rels, out: &mut Vec<FlowBlock>) -> Result<()> {
        let p_pr = child(node, "pPr");
        let (mut props, base_run, style_id) = self.paragraph_props(p_pr);
        // A list level's indents apply unless the paragraph sets its own.
        let mut label = None;
        if let Some((num, level)) = props.numbering.clone().filter(|(n, _)| n != "0") {
            if let Some((abstract_id, lvl)) = self.numbering.level(&num, level) {
                // Indents: the paragraph's own, else the list level's, else the style's.
                let mut own = ParaProps::default();
                if let Some(node) = p_pr {
                    own.apply(node);
                }
                props.left = own.left.or(lvl.p.left).or(props.left);
                props.first = own.first.or(lvl.p.first).or(props.first);
                let counters = self.counters.entry(abstract_id.to_string()).or_insert([0; 9]);
                counters[level] = if counters[level] == 0 { lvl.start } else { counters[level] + 1 };
                for deeper in counters.iter_mut().skip(level + 1) {
                    *deeper = 0;
                }
                let counters = *counters;
                let mut text = lvl.text.clone();
                if lvl.format == "bullet" {
                    text = bullet_char(&text, lvl.r.font.as_deref());
                } else {
                    for (i, n) in counters.iter().enumerate().take(level + 1) {
                        let format = self.numbering.level(&num, i).map_or("decimal".to_string(), |(_, l)| l.format);
                        text = text.replace(&format!("%{}", i + 1), &counted(&format, (*n).max(1)));
                    }
                }
                let mut r = base_run.clone();
                r.over(&lvl.r);
                if lvl.r.font.as_deref().is_some_and(is_symbol_font) {
                    r.font = base_run.font.clone();
                }
                label = Some((text, r, lvl.suffix.clone()));
            }
        }
        let mut para = TextParagraph {
            align: props.align.unwrap_or(Align::Left),
            margin_left: props.left.unwrap_or(0.0),
            indent: props.first.unwrap_or(0.0),
            space_before: Spacing::Points(props.before.unwrap_or(0.0)),
            space_after: Spacing::Points(props.after.unwrap_or(0.0)),
            line_spacing: props.line.unwrap_or(Spacing::Lines(1.0)),
            empty_size: base_run.size.unwrap_or(10.0),
            ..TextParagraph::default()
        };
        if let Some(mark) = p_pr.and_then(|p| child(p, "rPr")) {
            let mut r = base_run.clone();
            let mut own = RunProps::default();
            own.apply_wordml(mark, self.theme_fonts);
            r.over(&own);
            para.empty_size = r.size.unwrap_or(para.empty_size);
        }
        let mut pictures = Vec::new();
        let mut breaks_after = false;
        let mut field = FieldState::default();
        let cited_before = std::mem::take(&mut self.cited);
        self.runs(node, rels, &base_run, &mut para.runs, &mut pictures, &mut breaks_after, &mut field, 0)?;
        let mut notes = std::mem::replace(&mut self.cited, cited_before);
        if self.note_label.is_none() {
            notes.splice(0..0, std::mem::take(&mut self.carried));
        }
        // The label, then a tab to the hanging indent or the next tab stop
        // (even when the label is empty, as outline numbering without numbers is).
        if let Some((text, r, suffix)) = label {
            let run = to_run(String::new(), &r);
            match suffix.as_str() {
                "nothing" => para.bullet = Some(Bullet { text, font: run.font, color: run.color, size: run.size, tab_stops: Some(0.0) }),
                "space" => para.bullet = Some(Bullet { text: text + " ", font: run.font, color: run.color, size: run.size, tab_stops: Some(0.0) }),
                _ => para.bullet = Some(Bullet { text, font: run.font, color: run.color, size: run.size, tab_stops: Some(self.tab_stop) }),
            }
        }
        let flow = FlowParagraph {
            text: para,
            margin_right: props.right.unwrap_or(0.0),
            keep_with_next: props.keep_next.unwrap_or(false),
            page_break_before: props.break_before.unwrap_or(false),
            spacing_group: style_id.filter(|_| props.contextual == Some(true)),
            notes,
        };
        let has_text = flow.text.runs.iter().any(|r| !r.text.trim().is_empty());
        if has_text || pictures.is_empty() {
            self.push(out, FlowBlock::Paragraph(flow.clone()))?;
        }
        for mut block in pictures {
            if let FlowBlock::Picture { align, .. } = &mut block {
                *align = flow.text.align;
            }
            self.push(out, block)?;
        }
        if breaks_after {
            self.push(out, FlowBlock::PageBreak)?;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn runs(&mut self, node: Node<'_, '_>, rels: &Rels, base: &RunProps, out: &mut Vec<TextRun>, pictures: &mut Vec<FlowBlock>, page_break: &mut bool, field: &mut FieldState, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Ok(());
        }
        for c in node.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "r" => self.run(c, rels, base, out, pictures, page_break, field)?,
                "hyperlink" | "smartTag" | "ins" | "customXml" | "fldSimple" | "bdo" | "dir" => {
                    let page = c.tag_name().name() == "fldSimple" && wattr(c, "instr").is_some_and(|i| i.trim_start().starts_with("PAGE"));
                    let start = out.len();
                    self.runs(c, rels, base, out, pictures, page_break, field, depth + 1)?;
                    if page {
                        for run in &mut out[start..] {
                            run.page_number = true;
                        }
                    }
                }
                "sdt" => {
                    if let Some(content) = child(c, "sdtContent") {
                        self.runs(content, rels, base, out, pictures, page_break, field, depth + 1)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn run(&mut self, r: Node<'_, '_>, rels: &Rels, base: &RunProps, out: &mut Vec<TextRun>, pictures: &mut Vec<FlowBlock>, page_break: &mut bool, field: &mut FieldState) -> Result<()> {
        let mut props = base.clone();
        if let Some(r_pr) = child(r, "rPr") {
            if let Some(style) = child(r_pr, "rStyle").and_then(|s| wattr(s, "val")) {
                for s in self.styles.chain(Some(style)) {
                    props.over(&s.r);
                }
            }
            let mut own = RunProps::default();
            own.apply_wordml(r_pr, self.theme_fonts);
            props.over(&own);
        }
        if props.hidden == Some(true) {
            return Ok(());
        }
        let mut text = String::new();
        for c in r.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "t" if !field.in_instruction() => text.push_str(c.text().unwrap_or("")),
                "tab" | "ptab" => text.push('\t'),
                "br" | "cr" => {
                    if wattr(c, "type") == Some("page") {
                        *page_break = true;
                    } else {
                        text.push('\n');
                    }
                }
                "noBreakHyphen" => text.push('-'),
                "sym" => {
                    if let Some(code) = wattr(c, "char").and_then(|h| u32::from_str_radix(h, 16).ok()) {
                        text.push_str(&bullet_char(&char::from_u32(code).unwrap_or('•').to_string(), wattr(c, "font")));
                    }
                }
                "fldChar" => match wattr(c, "fldCharType") {
                    Some("begin") => field.begin(),
                    Some("separate") => field.separate(),
                    Some("end") => field.end(),
                    _ => {}
                },
                "instrText" => field.instruction(c.text().unwrap_or("")),
                "footnoteReference" | "endnoteReference" => {
                    let endnote = c.tag_name().name() == "endnoteReference";
                    self.note_numbers[usize::from(endnote)] += 1;
                    let n = self.note_numbers[usize::from(endnote)];
                    let label = counted(&self.note_formats[usize::from(endnote)], n);
                    // A zero-width space keeps the mark a word of its own for text extraction.
                    text.push('\u{200B}');
                    text.push_str(&label);
                    if props.baseline.is_none() {
                        props.baseline = Some(0.33);
                    }
                    // (A note citing a note is not followed: a note may cite itself.)
                    let body = wattr(c, "id").and_then(|id| self.notes.get(&(endnote, id.to_string())).copied()).filter(|_| self.note_label.is_none());
                    if let Some(body) = body {
                        let rels = self.note_rels[usize::from(endnote)].clone();
                        let saved = self.note_label.replace(label);
                        let mut blocks = Vec::new();
                        for part in body.children().filter(Node::is_element) {
                            self.block(part, &rels, &mut blocks, MAX_DEPTH / 2)?;
                        }
                        self.note_label = saved;
                        if endnote {
                            self.endnotes.extend(blocks);
                        } else {
                            self.cited.extend(blocks.into_iter().filter_map(|b| if let FlowBlock::Paragraph(p) = b { Some(p) } else { None }));
                        }
                    }
                }
                "footnoteRef" | "endnoteRef" => text.push_str(self.note_label.as_deref().unwrap_or("")),
                "drawing" | "pict" | "object" => {
                    if let Some(block) = self.drawing(c, rels)? {
                        pictures.push(block);
                    }
                }
                "AlternateContent" => {
                    if let Some(drawing) = c.descendants().find(|d| d.tag_name().name() == "drawing") {
                        if let Some(block) = self.drawing(drawing, rels)? {
                            pictures.push(block);
                        }
                    }
                }
                _ => {}
            }
        }
        if !text.is_empty() {
            let mut run = to_run(text, &props);
            run.page_number = field.is_page();
            out.push(run);
        }
        Ok(())
    }

    /// A drawing: an inline picture on its own line, or an anchored picture,
    /// text box or shape floating at its position.
    fn drawing(&mut self, node: Node<'_, '_>, rels: &Rels) -> Result<Option<FlowBlock>> {
        if let Some(anchor) = node.descendants().find(|d| d.tag_name().name() == "anchor") {
            return self.anchored(anchor, rels);
        }
        Ok(self.picture(node, rels)?.map(|(picture, width, height)| FlowBlock::Picture { picture, width, height, align: Align::Left }))
    }

    /// An anchored drawing (`wp:anchor`): where it sits, and a picture or a
    /// text box (`wps:wsp`) with its fill, outline and paragraphs.
    fn anchored(&mut self, anchor: Node<'_, '_>, rels: &Rels) -> Result<Option<FlowBlock>> {
        let (Some(w), Some(h)) = (child(anchor, "extent").and_then(|e| number(e, "cx")), child(anchor, "extent").and_then(|e| number(e, "cy"))) else { return Ok(None) };
        let (width, height) = (w / 12_700.0, h / 12_700.0);
        let position = |name: &str| -> (Origin, f32, Option<String>) {
            let Some(p) = child(anchor, name) else { return (Origin::Margin, 0.0, None) };
            let origin = match wattr(p, "relativeFrom").unwrap_or("margin") {
                "page" => Origin::Page,
                "paragraph" | "line" | "character" => Origin::Paragraph,
                _ => Origin::Margin,
            };
            let offset = child(p, "posOffset").and_then(|o| o.text()).and_then(|t| t.trim().parse::<f32>().ok()).map_or(0.0, |v| v / 12_700.0);
            (origin, offset, child(p, "align").and_then(|a| a.text()).map(str::to_string))
        };
        let (x_from, x, x_align) = position("positionH");
        let (y_from, y, _) = position("positionV");
        let x_from = if x_from == Origin::Paragraph { Origin::Margin } else { x_from };
        let mut shape = Shape { frame: Frame { x, y, width, height, ..Frame::default() }, ..Shape::default() };
        let align = x_align.map(|a| match a.as_str() {
            "center" => Align::Center,
            "right" | "outside" => Align::Right,
            _ => Align::Left,
        });
        if let Some((picture, _, _)) = self.picture(anchor, rels)? {
            shape.picture = Some(picture);
        } else if let Some(wsp) = anchor.descendants().find(|d| d.tag_name().name() == "wsp") {
            let sp_pr = child(wsp, "spPr");
            if let Some(fill) = sp_pr.and_then(|p| child(p, "solidFill")).and_then(|f| f.descendants().find(|c| c.tag_name().name() == "srgbClr")).and_then(|c| wattr(c, "val")).and_then(rgb) {
                shape.fill = Some(fill);
            }
            if let Some(line) = sp_pr.and_then(|p| child(p, "ln")).filter(|l| child(*l, "noFill").is_none()) {
                let color = line.descendants().find(|c| c.tag_name().name() == "srgbClr").and_then(|c| wattr(c, "val")).and_then(rgb).unwrap_or((0, 0, 0));
                shape.stroke = Some(Stroke { color, width: number(line, "w").map_or(0.75, |w| w / 12_700.0) });
            }
            if let Some(content) = wsp.descendants().find(|d| d.tag_name().name() == "txbxContent") {
                let mut blocks = Vec::new();
                for c in content.children().filter(Node::is_element) {
                    self.block(c, rels, &mut blocks, MAX_DEPTH / 2)?;
                }
                let mut paragraphs = Vec::new();
                for block in blocks {
                    if let FlowBlock::Paragraph(mut p) = block {
                        // Notes cited in a text box go with the paragraph after it.
                        self.carried.append(&mut p.notes);
                        paragraphs.push(p.text);
                    }
                }
                let body_pr = child(wsp, "bodyPr");
                let inset = |name: &str, default: f32| body_pr.and_then(|b| number(b, name)).map_or(default, |v| v / 12_700.0);
                shape.text = Some(TextBody { paragraphs, inset: [inset("lIns", 7.2), inset("tIns", 3.6), inset("rIns", 7.2), inset("bIns", 3.6)], ..TextBody::default() });
            }
        } else {
            return Ok(None);
        }
        Ok(Some(FlowBlock::Floating { shape, x_from, y_from, align }))
    }

    /// A drawing's picture and its extent in points.
    fn picture(&mut self, node: Node<'_, '_>, rels: &Rels) -> Result<Option<(Picture, f32, f32)>> {
        let Some(blip) = node.descendants().find(|d| d.tag_name().name() == "blip" || d.tag_name().name() == "imagedata") else { return Ok(None) };
        let Some(id) = related_id(blip, "embed").or_else(|| related_id(blip, "id")) else { return Ok(None) };
        let Some((target, false)) = rels.get(id).cloned() else { return Ok(None) };
        let data = match self.media.get(&target) {
            Some(found) => found.clone(),
            None => {
                let data = fileconv_zip::read_optional(self.zip, &target, FORMAT)?;
                if let Some(d) = &data {
                    self.ctx.charge_memory(d.len() as u64, "memory for document pictures (bytes)")?;
                }
                let data = data.map(Arc::new);
                self.media.insert(target, data.clone());
                data
            }
        };
        let Some(data) = data else { return Ok(None) };
        let extent = node.descendants().find(|d| d.tag_name().name() == "extent");
        let size = extent.and_then(|e| Some((number(e, "cx")? / 12_700.0, number(e, "cy")? / 12_700.0)));
        let size = size.or_else(|| fileconv_core::EmbeddedImage::probe(&data).map(|i| (i.width as f32 * 0.75, i.height as f32 * 0.75)));
        let Some((w, h)) = size.filter(|(w, h)| *w > 0.0 && *h > 0.0) else { return Ok(None) };
        Ok(Some((Picture { data, crop: [0.0; 4] }, w, h)))
    }

    fn table(&mut self, tbl: Node<'_, '_>, rels: &Rels, depth: usize) -> Result<FlowBlock> {
        let t_pr = child(tbl, "tblPr");
        let style_id = t_pr.and_then(|t| child(t, "tblStyle")).and_then(|s| wattr(s, "val")).map(str::to_string).or_else(|| self.styles.default_table.clone());
        let mut table_borders: Borders = Default::default();
        let mut margins = [Some(5.4), Some(0.0), Some(5.4), Some(0.0)];
        for style in self.styles.chain(style_id.as_deref()) {
            if let Some(b) = &style.table_borders {
                for (mine, theirs) in table_borders.iter_mut().zip(b) {
                    if theirs.is_some() {
                        *mine = *theirs;
                    }
                }
            }
            if let Some(m) = style.cell_margins {
                for (mine, theirs) in margins.iter_mut().zip(m) {
                    if theirs.is_some() {
                        *mine = theirs;
                    }
                }
            }
        }
        if let Some(t) = t_pr {
            if let Some(b) = child(t, "tblBorders") {
                for (mine, theirs) in table_borders.iter_mut().zip(borders(b)) {
                    if theirs.is_some() {
                        *mine = theirs;
                    }
                }
            }
            if let Some(m) = child(t, "tblCellMar") {
                for (mine, theirs) in margins.iter_mut().zip(cell_margins(m)) {
                    if theirs.is_some() {
                        *mine = theirs;
                    }
                }
            }
        }
        let indent = t_pr.and_then(|t| child(t, "tblInd")).and_then(|i| twips(i, "w")).unwrap_or(0.0);
        let columns: Vec<f32> = child(tbl, "tblGrid").map(|g| g.children().filter(|c| c.tag_name().name() == "gridCol").map(|c| twips(c, "w").unwrap_or(0.0).max(0.0)).collect()).unwrap_or_default();
        let rows: Vec<Node<'_, '_>> = tbl.children().filter(|c| c.tag_name().name() == "tr").collect();
        let mut table = FixedTable { columns: columns.clone(), rows: Vec::with_capacity(rows.len()) };
        let mut continues: Vec<(usize, usize)> = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            let height = child(*row, "trPr").and_then(|p| child(p, "trHeight")).and_then(|h| twips(h, "val")).unwrap_or(0.0);
            let mut fixed_row = FixedRow { height, cells: Vec::new() };
            let mut column = child(*row, "trPr").and_then(|p| child(p, "gridBefore")).and_then(|g| number(g, "val")).map_or(0, |g| g as usize);
            for cell in row.children().filter(|c| c.tag_name().name() == "tc") {
                let tc_pr = child(cell, "tcPr");
                let span = tc_pr.and_then(|p| child(p, "gridSpan")).and_then(|g| number(g, "val")).map_or(1, |g| (g.max(1.0) as usize).min(1000));
                let merge = tc_pr.and_then(|p| child(p, "vMerge")).map(|m| wattr(m, "val") == Some("restart"));
                if merge == Some(false) {
                    continues.push((r, column));
                    column += span;
                    continue;
                }
                let edges = [column == 0, r == 0, column + span >= columns.len(), r + 1 == rows.len()];
                let mut cell_borders = [0usize, 1, 2, 3].map(|i| {
                    let index = match (i, edges[i]) {
                        (0 | 2, false) => 5,
                        (1 | 3, false) => 4,
                        _ => i,
                    };
                    table_borders[index].flatten()
                });
                let mut inset = [margins[0].unwrap_or(5.4), margins[1].unwrap_or(0.0), margins[2].unwrap_or(5.4), margins[3].unwrap_or(0.0)];
                let mut fill = None;
                if let Some(p) = tc_pr {
                    if let Some(b) = child(p, "tcBorders") {
                        for (i, own) in borders(b).iter().take(4).enumerate() {
                            if let Some(own) = own {
                                cell_borders[i] = *own;
                            }
                        }
                    }
                    if let Some(m) = child(p, "tcMar") {
                        for (i, own) in cell_margins(m).iter().enumerate() {
                            if let Some(v) = own {
                                inset[i] = *v;
                            }
                        }
                    }
                    fill = child(p, "shd").and_then(|s| wattr(s, "fill")).filter(|f| *f != "auto").and_then(rgb);
                }
                let mut blocks = Vec::new();
                for c in cell.children().filter(Node::is_element) {
                    self.block(c, rels, &mut blocks, depth + 1)?;
                }
                let paragraphs = blocks
                    .into_iter()
                    .flat_map(|b| match b {
                        FlowBlock::Paragraph(mut p) => {
                            self.carried.append(&mut p.notes);
                            vec![p.text]
                        }
                        FlowBlock::Table { table, .. } => table.rows.into_iter().flat_map(|r| r.cells.into_iter().flat_map(|c| c.text.paragraphs)).collect(),
                        _ => Vec::new(),
                    })
                    .collect();
                let text = TextBody { paragraphs, inset, ..TextBody::default() };
                fixed_row.cells.push(FixedCell { column, columns: span, rows: 1, fill, borders: cell_borders, text });
                column += span;
            }
            table.rows.push(fixed_row);
        }
        // A cell that restarts a vertical merge spans the continuing cells below it.
        for (r, column) in continues {
            for above in (0..r).rev() {
                if let Some(cell) = table.rows[above].cells.iter_mut().find(|c| c.column == column) {
                    if above + cell.rows == r {
                        cell.rows += 1;
                    }
                    break;
                }
            }
        }
        Ok(FlowBlock::Table { table, indent })
    }
}

fn to_run(text: String, props: &RunProps) -> TextRun {
    let text = if props.caps == Some(true) { text.to_uppercase() } else { text };
    TextRun {
        text,
        font: props.font.clone(),
        size: props.size.unwrap_or(10.0).clamp(1.0, 1638.0),
        bold: props.bold.unwrap_or(false),
        italic: props.italic.unwrap_or(false),
        underline: props.underline.unwrap_or(false),
        strike: props.strike.unwrap_or(false),
        color: props.color.unwrap_or((0, 0, 0)),
        baseline: props.baseline.unwrap_or(0.0),
        link: None,
        page_number: false,
    }
}

/// Where the reader is in complex fields (`fldChar` begin, instruction,
/// separate, result, end), nested.
#[derive(Default)]
struct FieldState {
    /// Per open field: its instruction, and whether its result has begun.
    open: Vec<(String, bool)>,
}

impl FieldState {
    fn begin(&mut self) {
        if self.open.len() < 16 {
            self.open.push((String::new(), false));
        }
    }

    fn separate(&mut self) {
        if let Some(f) = self.open.last_mut() {
            f.1 = true;
        }
    }

    fn end(&mut self) {
        self.open.pop();
    }

    fn instruction(&mut self, text: &str) {
        if let Some(f) = self.open.last_mut() {
            if f.0.len() < 1024 {
                f.0.push_str(text);
            }
        }
    }

    /// Inside an instruction, where text is not shown.
    fn in_instruction(&self) -> bool {
        self.open.last().is_some_and(|f| !f.1)
    }

    /// The text being read is a PAGE field's result.
    fn is_page(&self) -> bool {
        self.open.last().is_some_and(|f| f.1 && f.0.trim_start().starts_with("PAGE"))
    }
}
