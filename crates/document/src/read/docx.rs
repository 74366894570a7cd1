//! DOCX (WordprocessingML): `word/document.xml` read with quick-xml as a
//! stream of paragraphs and tables, styled by `styles.xml` (headings by
//! name or outline level, code, quotes, title), numbered by `numbering.xml`
//! (bullet or ordered, level), with links and images resolved through the
//! part's relationships. Footnotes and endnotes become `[n]` marks where they
//! are referenced and numbered paragraphs after the body, as pandoc writes
//! them in plain text. The zip is checked by fileconv-zip before any part is
//! inflated; tracked deletions and field codes are left out.

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::document::fixed::PageLayer;
use fileconv_core::{Context, Document, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};
use fileconv_zip::quick_xml::events::{BytesStart, Event};
use fileconv_zip::quick_xml::XmlVersion;
use fileconv_zip::xml::{attr, push_reference, Events};

use fileconv_core::document::flow::{flatten_into_cell, push_cell_paragraph, push_text, Flow, Kind};

const FORMAT: &str = "docx";
const DOCUMENT: &str = "word/document.xml";

fn xml_error(part: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid_input(FORMAT, format!("{part}: {e}"))
}

/// A Word document, its text and its pages read when a writer asks
/// ([`Document::deferred`]).
///
/// # Errors
/// [`Error::InvalidInput`] when the zip is broken or `word/document.xml`
/// is missing (broken XML when the text or pages are read);
/// [`Error::LimitExceeded`] for zip bombs.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let zip = fileconv_zip::open(Cursor::new(input.bytes), ctx.limits, FORMAT)?;
    if zip.index_for_name(DOCUMENT).is_none() {
        return Err(no_document());
    }
    Ok(Value::Document(Document::deferred(&input, ctx, read_flow, |bytes, ctx| {
        let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
        let document = fileconv_zip::read_entry(&mut zip, DOCUMENT, FORMAT)?;
        Ok(PageLayer::Flow(super::docx_pages::read(&mut zip, &document, ctx)?))
    })?))
}

fn no_document() -> Error {
    Error::invalid_input(FORMAT, format!("no {DOCUMENT}: not a Word document"))
}

/// The flowing tree: text, headings, lists, tables, pictures, notes, metadata.
fn read_flow(bytes: &[u8], ctx: &Context<'_>) -> Result<Document> {
    let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
    let mut part = |name: &str| fileconv_zip::read_optional(&mut zip, name, FORMAT);
    let document = part(DOCUMENT)?.ok_or_else(no_document)?;
    let styles = part("word/styles.xml")?.map(|x| read_styles(&x)).transpose()?.unwrap_or_default();
    let numbering = part("word/numbering.xml")?.map(|x| read_numbering(&x)).transpose()?.unwrap_or_default();
    let rels = part("word/_rels/document.xml.rels")?.map(|x| read_rels(&x)).transpose()?.unwrap_or_default();
    let core = part("docProps/core.xml")?.map(|x| read_core(&x)).transpose()?.unwrap_or_default();
    // Page furniture and comments are not part of the flowing text (DOCX
    // to PDF draws headers and footers from the page layer): said when they hold words.
    let mut unread = Vec::new();
    for (kinds, what) in [(&["/header", "/footer"][..], "headers and footers"), (&["/comments"][..], "comments")] {
        let mut words = false;
        for rel in rels.values().filter(|r| !r.external && kinds.iter().any(|k| r.kind.ends_with(k))) {
            if let Some(xml) = part(&fileconv_zip::resolve("word", &rel.target))? {
                words |= fileconv_zip::xml::letters(&xml, &["t"], &[]) > 0;
            }
        }
        if words {
            unread.push(what);
        }
    }
    super::note_unread(ctx, &unread, "Word files into flowing text");
    let mut media = HashMap::new();
    for (id, rel) in &rels {
        if rel.kind.ends_with("/image") && !rel.external {
            let path = fileconv_zip::resolve("word", &rel.target);
            if let Some(bytes) = part(&path)? {
                media.insert(id.clone(), bytes);
            }
        }
    }
    let mut reader = BodyReader { styles, numbering, rels, media, flow: Flow::default(), notes: Notes::default(), counters: HashMap::new() };
    for (endnote, name) in [(false, "word/footnotes.xml"), (true, "word/endnotes.xml")] {
        if let Some(xml) = part(name)? {
            reader.notes.reading = Some((endnote, String::new()));
            reader.read(&xml, ctx)?;
        }
    }
    // Only note paragraphs are kept from the notes parts.
    reader.flow = Flow::default();
    reader.notes.reading = None;
    reader.read(&document, ctx)?;
    let Notes { mut bodies, cited, .. } = std::mem::take(&mut reader.notes);
    reader.flow.notes(cited.into_iter().map(|key| bodies.remove(&key).unwrap_or_default()));
    reader.flow.metadata(core.0, core.1);
    Ok(reader.flow.finish())
}

fn local(e: &BytesStart<'_>) -> String {
    e.local_name().as_ref().to_string()
}

/// The value of `w:val` (or another attribute), `None` when absent.
fn val(e: &BytesStart<'_>, key: &str, part: &str) -> Result<Option<String>> {
    attr(e, key).map_err(|m| xml_error(part, m))
}

/// Whether an on/off property (`<w:b/>`, `<w:b w:val="0"/>`) is on.
fn on(e: &BytesStart<'_>) -> Result<bool> {
    Ok(!matches!(val(e, "w:val", DOCUMENT)?.as_deref(), Some("0" | "false" | "off" | "none")))
}

#[derive(Clone, Debug, Default)]
struct Style {
    name: String,
    based_on: Option<String>,
    outline: Option<u8>,
}

/// What a paragraph or character style means, its `basedOn` chain followed.
#[derive(Default)]
struct Styles(HashMap<String, Style>);

impl Styles {
    fn kind(&self, id: &str) -> Kind {
        let mut id = id.to_string();
        for _ in 0..16 {
            let Some(style) = self.0.get(&id) else { break };
            if let Some(kind) = super::style_name_kind(&style.name).filter(|k| matches!(k, Kind::Heading(_))) {
                return kind;
            }
            if let Some(level) = style.outline.filter(|l| *l < 9) {
                return Kind::Heading((level + 1).min(6));
            }
            if let Some(kind) = super::style_name_kind(&style.name).filter(|k| *k != Kind::Rule) {
                return kind;
            }
            match &style.based_on {
                Some(parent) => id = parent.clone(),
                None => break,
            }
        }
        Kind::Normal
    }

    /// A character style's effect on a run.
    fn apply(&self, id: &str, run: &mut Run) {
        let name = self.0.get(id).map(|s| s.name.to_ascii_lowercase()).unwrap_or_default();
        match name.as_str() {
            "strong" => run.bold = true,
            "emphasis" => run.italic = true,
            n if n.contains("verbatim") || n.contains("code") || n.replace('_', " ") == "source text" => run.code = true,
            _ => {}
        }
    }
}

fn read_styles(bytes: &[u8]) -> Result<Styles> {
    const PART: &str = "word/styles.xml";
    let mut reader = Events::new(bytes, FORMAT, PART);
    let mut styles = HashMap::new();
    let mut current: Option<(String, Style)> = None;
    loop {
        match reader.read()? {
            Event::Start(e) => match local(&e).as_str() {
                "style" => current = val(&e, "w:styleId", PART)?.map(|id| (id, Style::default())),
                "name" => {
                    if let Some((_, s)) = &mut current {
                        s.name = val(&e, "w:val", PART)?.unwrap_or_default();
                    }
                }
                "basedOn" => {
                    if let Some((_, s)) = &mut current {
                        s.based_on = val(&e, "w:val", PART)?;
                    }
                }
                "outlineLvl" => {
                    if let Some((_, s)) = &mut current {
                        s.outline = val(&e, "w:val", PART)?.and_then(|v| v.parse().ok());
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => {
                if let Some((id, style)) = current.take() {
                    styles.insert(id, style);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(Styles(styles))
}

/// `numId` to its levels: (counting style, start) by `ilvl`.
#[derive(Default)]
struct ListDefinitions(HashMap<String, Vec<(Numbering, u64)>>);

fn read_numbering(bytes: &[u8]) -> Result<ListDefinitions> {
    const PART: &str = "word/numbering.xml";
    let mut reader = Events::new(bytes, FORMAT, PART);
    let mut abstracts: HashMap<String, Vec<(Numbering, u64)>> = HashMap::new();
    // numId: its abstractNumId and the levels whose start it overrides.
    let mut nums: Vec<(String, String, Vec<(usize, u64)>)> = Vec::new();
    let mut current_abstract: Option<String> = None;
    let mut current_num: Option<String> = None;
    let mut override_level: Option<usize> = None;
    let mut level: usize = 0;
    loop {
        match reader.read()? {
            Event::Start(e) => match local(&e).as_str() {
                "abstractNum" => current_abstract = val(&e, "w:abstractNumId", PART)?,
                "lvl" => {
                    level = val(&e, "w:ilvl", PART)?.and_then(|v| v.parse().ok()).unwrap_or(0).min(fileconv_core::document::flow::MAX_LEVEL);
                    if let Some(id) = &current_abstract {
                        let levels = abstracts.entry(id.clone()).or_default();
                        if levels.len() <= level {
                            levels.resize(level + 1, (Numbering::Bullet, 1));
                        }
                    }
                }
                "start" => {
                    if let Some(levels) = current_abstract.as_ref().and_then(|id| abstracts.get_mut(id)) {
                        levels[level].1 = val(&e, "w:val", PART)?.and_then(|v| v.parse().ok()).unwrap_or(1);
                    }
                }
                "numFmt" => {
                    if let Some(levels) = current_abstract.as_ref().and_then(|id| abstracts.get_mut(id)) {
                        let format = val(&e, "w:val", PART)?.unwrap_or_default();
                        levels[level].0 = match format.as_str() {
                            "bullet" | "none" | "" => Numbering::Bullet,
                            "lowerLetter" => Numbering::LowerAlpha,
                            "upperLetter" => Numbering::UpperAlpha,
                            "lowerRoman" => Numbering::LowerRoman,
                            "upperRoman" => Numbering::UpperRoman,
                            // decimal, decimalZero, ordinal, the East Asian counters...
                            _ => Numbering::Decimal,
                        };
                    }
                }
                "num" => current_num = val(&e, "w:numId", PART)?,
                "abstractNumId" => {
                    if let (Some(num), Some(target)) = (&current_num, val(&e, "w:val", PART)?) {
                        nums.push((num.clone(), target, Vec::new()));
                    }
                }
                "lvlOverride" if current_num.is_some() => {
                    override_level = val(&e, "w:ilvl", PART)?.and_then(|v| v.parse().ok()).map(|l: usize| l.min(fileconv_core::document::flow::MAX_LEVEL));
                }
                "startOverride" => {
                    let start = val(&e, "w:val", PART)?.and_then(|v| v.parse().ok());
                    if let (Some(level), Some(start), Some(last)) = (override_level, start, nums.last_mut()) {
                        if Some(&last.0) == current_num.as_ref() {
                            last.2.push((level, start));
                        }
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "abstractNum" => current_abstract = None,
                "num" => current_num = None,
                "lvlOverride" => override_level = None,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(ListDefinitions(
        nums.into_iter()
            .filter_map(|(num, target, overrides)| {
                let mut levels = abstracts.get(&target)?.clone();
                for (level, start) in overrides {
                    if let Some(l) = levels.get_mut(level) {
                        l.1 = start;
                    }
                }
                Some((num, levels))
            })
            .collect(),
    ))
}

struct Rel {
    kind: String,
    target: String,
    external: bool,
}

fn read_rels(bytes: &[u8]) -> Result<HashMap<String, Rel>> {
    const PART: &str = "word/_rels/document.xml.rels";
    let mut reader = Events::new(bytes, FORMAT, PART);
    let mut rels = HashMap::new();
    loop {
        match reader.read()? {
            Event::Start(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (val(&e, "Id", PART)?, val(&e, "Target", PART)?) {
                    let kind = val(&e, "Type", PART)?.unwrap_or_default();
                    let external = val(&e, "TargetMode", PART)?.is_some_and(|m| m == "External");
                    rels.insert(id, Rel { kind, target, external });
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rels)
}

/// Title and creator from `docProps/core.xml`.
fn read_core(bytes: &[u8]) -> Result<(Option<String>, Option<String>)> {
    const PART: &str = "docProps/core.xml";
    let mut reader = Events::new(bytes, FORMAT, PART);
    let (mut title, mut author) = (None, None);
    let mut field: Option<bool> = None;
    let mut text = String::new();
    loop {
        match reader.read()? {
            Event::Start(e) => {
                field = match e.local_name().as_ref() {
                    "title" => Some(true),
                    "creator" => Some(false),
                    _ => None,
                };
                text.clear();
            }
            Event::Text(t) if field.is_some() => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if field.is_some() => push_reference(&r, &mut text).map_err(|m| xml_error(PART, m))?,
            Event::End(_) => {
                match field.take() {
                    Some(true) => title = Some(text.trim().to_string()),
                    Some(false) => author = Some(text.trim().to_string()),
                    None => {}
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((title, author))
}

/// A table being read: rows of cells of inlines, header rows counted.
#[derive(Default)]
struct OpenTable {
    rows: Vec<Vec<Vec<Inline>>>,
    header_rows: usize,
    header_look: bool,
    row_is_header: bool,
}

struct BodyReader {
    styles: Styles,
    numbering: ListDefinitions,
    rels: HashMap<String, Rel>,
    media: HashMap<String, Vec<u8>>,
    flow: Flow,
    notes: Notes,
    /// The last number given at each level of each list (numId), as Word counts.
    counters: HashMap<String, Vec<Option<u64>>>,
}

/// Footnotes and endnotes: (endnote?, id) to paragraphs, and the order the
/// body cites them in.
#[derive(Default)]
struct Notes {
    bodies: HashMap<(bool, String), Vec<Vec<Inline>>>,
    cited: Vec<(bool, String)>,
    /// While a notes part is read: the kind of note, and the one open.
    reading: Option<(bool, String)>,
}

/// Paragraph state while its runs are read.
#[derive(Default)]
struct Paragraph {
    style: Option<String>,
    num: Option<(String, usize)>,
    outline: Option<u8>,
    inlines: Vec<Inline>,
    page_break: bool,
}

impl BodyReader {
    fn read(&mut self, bytes: &[u8], ctx: &Context<'_>) -> Result<()> {
        let mut events = Events::new(bytes, FORMAT, DOCUMENT);
        let mut tables: Vec<OpenTable> = Vec::new();
        let mut para: Option<Paragraph> = None;
        // Paragraphs a text box's own paragraphs opened inside (a drawing
        // anchored in a run): each resumes when the box's paragraph ends.
        let mut outer: Vec<(Paragraph, Run)> = Vec::new();
        let mut run = Run::default();
        let mut links: Vec<Option<String>> = Vec::new();
        let mut in_text = false;
        let mut in_run = false;
        // Depth inside elements whose text is not content (deleted text,
        // field instructions, footnote references).
        let mut skip = 0usize;
        // Field codes: text between `begin` and `separate` is the instruction.
        let mut in_field_code = false;
        let mut field_link: Option<String> = None;
        let mut image_alt = String::new();
        loop {
            match events.next(ctx)? {
                Event::Start(e) => {
                    let name = local(&e);
                    if skip > 0 {
                        skip += 1;
                        continue;
                    }
                    match name.as_str() {
                        "footnote" | "endnote" if self.notes.reading.is_some() => {
                            let id = val(&e, "w:id", DOCUMENT)?.unwrap_or_default();
                            if let Some((_, open)) = &mut self.notes.reading {
                                *open = id;
                            }
                        }
                        "footnoteReference" | "endnoteReference" if self.notes.reading.is_none() => {
                            let key = (name == "endnoteReference", val(&e, "w:id", DOCUMENT)?.unwrap_or_default());
                            let number = match self.notes.cited.iter().position(|k| *k == key) {
                                Some(i) => i + 1,
                                None => {
                                    self.notes.cited.push(key);
                                    self.notes.cited.len()
                                }
                            };
                            push(&mut para, &run, &format!("[{number}]"));
                            skip = 1;
                        }
                        "del" | "instrText" | "delText" | "footnoteReference" | "endnoteReference" | "commentReference" | "fallback" | "Fallback" => skip = 1,
                        "tbl" => {
                            if tables.len() >= fileconv_core::document::MAX_DEPTH {
                                return Err(Error::limit("nesting depth", fileconv_core::document::MAX_DEPTH as u64, tables.len() as u64 + 1));
                            }
                            tables.push(OpenTable::default());
                        }
                        "tblLook" => {
                            if let Some(t) = tables.last_mut() {
                                let first_row = val(&e, "w:firstRow", DOCUMENT)?.is_some_and(|v| v == "1" || v == "true")
                                    || val(&e, "w:val", DOCUMENT)?.and_then(|v| u32::from_str_radix(&v, 16).ok()).is_some_and(|bits| bits & 0x20 != 0);
                                t.header_look = first_row;
                            }
                        }
                        "tr" => {
                            if let Some(t) = tables.last_mut() {
                                t.rows.push(Vec::new());
                                t.row_is_header = false;
                            }
                        }
                        "tblHeader" => {
                            if let Some(t) = tables.last_mut() {
                                t.row_is_header = on(&e)?;
                            }
                        }
                        "tc" => {
                            if let Some(row) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                                row.push(Vec::new());
                            }
                        }
                        "p" => {
                            if let Some(open) = para.take() {
                                if outer.len() >= fileconv_core::document::MAX_DEPTH {
                                    return Err(Error::limit("nesting depth", fileconv_core::document::MAX_DEPTH as u64, outer.len() as u64 + 1));
                                }
                                outer.push((open, std::mem::take(&mut run)));
                            }
                            para = Some(Paragraph::default());
                            run = Run::default();
                        }
                        "pStyle" => {
                            if let Some(p) = &mut para {
                                p.style = val(&e, "w:val", DOCUMENT)?;
                            }
                        }
                        "outlineLvl" => {
                            if let Some(p) = &mut para {
                                p.outline = val(&e, "w:val", DOCUMENT)?.and_then(|v| v.parse().ok());
                            }
                        }
                        "ilvl" => {
                            if let Some(p) = &mut para {
                                let level = val(&e, "w:val", DOCUMENT)?.and_then(|v| v.parse().ok()).unwrap_or(0);
                                p.num.get_or_insert_with(|| (String::new(), 0)).1 = level;
                            }
                        }
                        "numId" => {
                            if let Some(p) = &mut para {
                                let id = val(&e, "w:val", DOCUMENT)?.unwrap_or_default();
                                p.num.get_or_insert_with(|| (String::new(), 0)).0 = id;
                            }
                        }
                        "r" => {
                            in_run = true;
                            run = Run { link: links.last().cloned().flatten().or_else(|| field_link.clone()), ..Run::default() };
                        }
                        "rStyle" => {
                            if let Some(id) = val(&e, "w:val", DOCUMENT)? {
                                self.styles.apply(&id, &mut run);
                            }
                        }
                        "b" => run.bold = on(&e)?,
                        "i" => run.italic = on(&e)?,
                        "u" => run.underline = on(&e)?,
                        "strike" | "dstrike" => run.strike = on(&e)?,
                        "hyperlink" => {
                            let target = match val(&e, "r:id", DOCUMENT)? {
                                Some(id) => self.rels.get(&id).map(|r| r.target.clone()),
                                None => val(&e, "w:anchor", DOCUMENT)?.map(|a| format!("#{a}")),
                            };
                            links.push(target);
                            run.link = links.last().cloned().flatten();
                        }
                        "t" => in_text = true,
                        "tab" if in_run && !in_field_code => push(&mut para, &run, "\t"),
                        "br" | "cr" if in_run => {
                            if let Some(p) = &mut para {
                                if val(&e, "w:type", DOCUMENT)?.is_some_and(|t| t == "page") {
                                    p.page_break = true;
                                } else {
                                    p.inlines.push(Inline::Break);
                                }
                            }
                        }
                        "fldChar" => match val(&e, "w:fldCharType", DOCUMENT)?.as_deref() {
                            Some("begin") => in_field_code = true,
                            Some("separate") => in_field_code = false,
                            Some("end") => {
                                in_field_code = false;
                                field_link = None;
                            }
                            _ => {}
                        },
                        "docPr" => image_alt = val(&e, "descr", DOCUMENT)?.or(val(&e, "title", DOCUMENT)?).unwrap_or_default(),
                        "blip" => {
                            let id = val(&e, "r:embed", DOCUMENT)?.or(val(&e, "r:link", DOCUMENT)?).unwrap_or_default();
                            let src = self.rels.get(&id).map(|r| r.target.clone()).unwrap_or_default();
                            let image = Image { src, alt: std::mem::take(&mut image_alt), data: self.media.get(&id).cloned() };
                            match &mut para {
                                Some(p) => p.inlines.push(Inline::Image(image)),
                                None => self.flow.image(image),
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    match e.local_name().as_ref() {
                        "t" => in_text = false,
                        "r" => in_run = false,
                        "hyperlink" => {
                            links.pop();
                            run.link = links.last().cloned().flatten();
                        }
                        "p" => {
                            let Some(p) = para.take() else { continue };
                            if let Some((open, open_run)) = outer.pop() {
                                para = Some(open);
                                run = open_run;
                            }
                            if let Some(key) = self.notes.reading.clone() {
                                self.notes.bodies.entry(key).or_default().push(p.inlines);
                            } else if let Some(cell) = tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
                                push_cell_paragraph(cell, p.inlines);
                            } else {
                                let kind = self.paragraph_kind(&p);
                                self.flow.paragraph(kind, p.inlines);
                                if p.page_break {
                                    self.flow.block(fileconv_core::Block::PageBreak);
                                }
                            }
                        }
                        "tr" => {
                            if let Some(t) = tables.last_mut() {
                                if t.row_is_header && t.header_rows + 1 == t.rows.len() {
                                    t.header_rows += 1;
                                }
                            }
                        }
                        "tbl" => {
                            let Some(t) = tables.pop() else { continue };
                            let header_rows = if t.header_rows == 0 && t.header_look && t.rows.len() > 1 { 1 } else { t.header_rows };
                            let table = TableBlock { header_rows, rows: t.rows };
                            match tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
                                Some(cell) => flatten_into_cell(cell, table),
                                None => self.flow.table(table),
                            }
                        }
                        _ => {}
                    }
                }
                Event::Text(t) if in_text && !in_field_code => {
                    let text = t.xml_content(XmlVersion::Implicit1_0);
                    push(&mut para, &run, &text);
                }
                Event::GeneralRef(r) if in_text && !in_field_code => {
                    let mut text = String::new();
                    push_reference(&r, &mut text).map_err(|m| xml_error(DOCUMENT, m))?;
                    push(&mut para, &run, &text);
                }
                Event::Text(t) if skip > 0 && in_field_code => {
                    // `HYPERLINK "url"` field instructions give the link of the field's result.
                    let code = t.xml_content(XmlVersion::Implicit1_0);
                    if let Some(rest) = code.trim().strip_prefix("HYPERLINK") {
                        field_link = rest.split('"').nth(1).map(str::to_string);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(())
    }

    fn paragraph_kind(&mut self, p: &Paragraph) -> Kind {
        let styled = p.style.as_deref().map(|id| self.styles.kind(id)).unwrap_or(Kind::Normal);
        if let Some((num, level)) = &p.num {
            if let Some(levels) = self.numbering.0.get(num) {
                if !matches!(styled, Kind::Heading(_)) {
                    let (numbering, start) = levels.get(*level).copied().unwrap_or((Numbering::Bullet, 1));
                    if !numbering.is_ordered() {
                        return Kind::Item { level: *level, numbering, start };
                    }
                    // Word numbers a list on across other paragraphs, restarts
                    // deeper levels under a new item, and starts each list at
                    // its level's start or its override.
                    let counts = self.counters.entry(num.clone()).or_default();
                    counts.resize(fileconv_core::document::flow::MAX_LEVEL + 1, None);
                    let number = counts[*level].map_or(start, |n| n + 1);
                    counts[*level] = Some(number);
                    counts[*level + 1..].iter_mut().for_each(|c| *c = None);
                    return Kind::Numbered { level: *level, number, numbering };
                }
            }
        }
        match (styled, p.outline) {
            (Kind::Normal, Some(level)) if level < 9 => Kind::Heading((level + 1).min(6)),
            (kind, _) => kind,
        }
    }
}

fn push(para: &mut Option<Paragraph>, run: &Run, text: &str) {
    if let Some(p) = para {
        push_text(&mut p.inlines, run, text);
    }
}
