//! ODT (OpenDocument text) and ODP (presentation, one section per slide:
//! its title a level-1 heading; the first slide's title and subtitle are
//! the document's title and author; speaker notes left out): `content.xml`
//! read with quick-xml as a stream;
//! styles from `styles.xml` and the automatic styles say what a paragraph
//! is (title, author, code, quote: by the style's name, its parents
//! followed) and what a span looks like (bold, italic, underline, strike,
//! a fixed-pitch font); list styles say bullet or number per level.
//! Footnotes and endnotes become `[n]` marks and numbered paragraphs after
//! the body; annotations and tracked deletions are left out. Whitespace collapses as
//! ODF says (`text:s`, `text:tab`, `text:line-break` are kept).

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::{Block, Context, Document, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};
use fileconv_zip::quick_xml::events::Event;
use fileconv_zip::quick_xml::XmlVersion;
use fileconv_zip::xml::{attr, push_reference, Events};

use fileconv_core::document::fixed::PageLayer;
use fileconv_core::document::flow::{flatten_into_cell, push_cell_paragraph, push_text, Flow, Kind, MAX_LEVEL};

const FORMAT: &str = "odt";

/// A presentation: its text as [`decode`] reads it, and its slides as
/// placed pages ([`super::odf_pages`]), both read when a writer asks.
///
/// # Errors
/// As [`decode`].
pub fn decode_presentation(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    check(&input, ctx)?;
    Ok(Value::Document(Document::deferred(&input, ctx, read_flow, |bytes, ctx| {
        let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
        let content = fileconv_zip::read_entry(&mut zip, CONTENT, FORMAT)?;
        Ok(PageLayer::Fixed(super::odf_pages::read(&mut zip, &content, ctx)?))
    })?))
}

const CONTENT: &str = "content.xml";

fn xml_error(part: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid_input(FORMAT, format!("{part}: {e}"))
}

/// A text document, its text and its pages (page styles, resolved
/// paragraph styles) read when a writer asks.
///
/// # Errors
/// [`Error::InvalidInput`] when the zip is broken or `content.xml` is
/// missing (broken XML when the text or pages are read);
/// [`Error::LimitExceeded`] for zip bombs and lists nested past the limit.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    check(&input, ctx)?;
    Ok(Value::Document(Document::deferred(&input, ctx, read_flow, |bytes, ctx| {
        let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
        let content = fileconv_zip::read_entry(&mut zip, CONTENT, FORMAT)?;
        if content.windows(20).any(|w| w == b"<office:presentation") {
            // A presentation named .odt: its text flows.
            return Ok(PageLayer::Unread);
        }
        Ok(PageLayer::Flow(super::odf_pages::read_text(&mut zip, &content, ctx)?))
    })?))
}

/// The package opens and has its content part.
fn check(input: &Input<'_>, ctx: &Context<'_>) -> Result<()> {
    let zip = fileconv_zip::open(Cursor::new(input.bytes), ctx.limits, FORMAT)?;
    match zip.index_for_name(CONTENT) {
        Some(_) => Ok(()),
        None => Err(no_content()),
    }
}

fn no_content() -> Error {
    Error::invalid_input(FORMAT, "no content.xml: not an OpenDocument file")
}

/// The flowing tree: text, headings, lists, tables, pictures, metadata.
fn read_flow(bytes: &[u8], ctx: &Context<'_>) -> Result<Document> {
    let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
    let mut part = |name: &str| fileconv_zip::read_optional(&mut zip, name, FORMAT);
    let content = part(CONTENT)?.ok_or_else(no_content)?;
    let mut styles = Styles::default();
    let mut unread = Vec::new();
    if let Some(bytes) = part("styles.xml")? {
        styles.read(&bytes, "styles.xml")?;
        // The master pages' headers and footers: page furniture, not flowing text.
        if fileconv_zip::xml::letters(&bytes, &["header", "footer", "header-left", "footer-left", "header-first", "footer-first"], &[]) > 0 {
            unread.push("headers and footers");
        }
    }
    if fileconv_zip::xml::letters(&content, &["annotation"], &["creator", "date"]) > 0 {
        unread.push("comments");
    }
    if fileconv_zip::xml::letters(&content, &["notes"], &[]) > 0 {
        unread.push("speaker notes");
    }
    super::note_unread(ctx, &unread, "OpenDocument files into flowing text");
    styles.read(&content, CONTENT)?;
    let (title, author) = part("meta.xml")?.map(|m| read_meta(&m)).transpose()?.unwrap_or_default();
    let mut reader = BodyReader { styles, flow: Flow::default(), pictures: HashMap::new() };
    for href in picture_refs(&content) {
        if let Some(bytes) = part(&href)? {
            reader.pictures.insert(href, bytes);
        }
    }
    reader.read(&content, ctx)?;
    reader.flow.metadata(title, author);
    Ok(reader.flow.finish())
}

/// The package paths of embedded pictures (`xlink:href="Pictures/..."`).
fn picture_refs(content: &[u8]) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = content;
    while let Some(at) = memchr_find(rest, b"xlink:href=\"") {
        rest = &rest[at + 12..];
        let end = rest.iter().position(|b| *b == b'"').unwrap_or(0);
        let href = String::from_utf8_lossy(&rest[..end]).into_owned();
        if !href.contains(':') && !href.starts_with('#') && !href.starts_with("..") && refs.len() < 10_000 {
            refs.push(href.trim_start_matches("./").to_string());
        }
    }
    refs
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[derive(Clone, Default)]
struct Style {
    parent: Option<String>,
    display: String,
    bold: Option<bool>,
    italic: Option<bool>,
    underline: Option<bool>,
    strike: Option<bool>,
    mono: bool,
    page_break: bool,
    /// Defined in content.xml: direct formatting of one paragraph, not a named style.
    automatic: bool,
}

/// A list style: per level (from 0), counting style and start.
type ListStyle = Vec<(Numbering, u64)>;

#[derive(Default)]
struct Styles {
    styles: HashMap<String, Style>,
    lists: HashMap<String, ListStyle>,
    fixed_fonts: Vec<String>,
}

/// A style name as shown: `Preformatted_20_Text` is "Preformatted Text".
fn decode_name(name: &str) -> String {
    name.replace("_20_", " ").replace('_', " ").to_ascii_lowercase()
}

impl Styles {
    fn read(&mut self, bytes: &[u8], part: &str) -> Result<()> {
        let mut reader = Events::new(bytes, FORMAT, part);
        let mut current: Option<(String, Style)> = None;
        let mut list: Option<(String, ListStyle)> = None;
        loop {
            let event = reader.read()?;
            match event {
                Event::Start(e) => {
                    let get = |key: &str| attr(&e, key).map_err(|m| xml_error(part, m));
                    match e.name().as_ref() {
                        "style:font-face" => {
                            if get("style:font-pitch")?.as_deref() == Some("fixed") {
                                if let Some(name) = get("style:name")? {
                                    self.fixed_fonts.push(name);
                                }
                            }
                        }
                        "style:style" => {
                            if let Some(name) = get("style:name")? {
                                let style = Style { parent: get("style:parent-style-name")?, display: get("style:display-name")?.unwrap_or_else(|| name.clone()), automatic: part == CONTENT, ..Style::default() };
                                current = Some((name, style));
                            }
                        }
                        "style:text-properties" => {
                            if let Some((_, s)) = &mut current {
                                if let Some(w) = get("fo:font-weight")? {
                                    s.bold = Some(w == "bold" || w.parse::<u32>().is_ok_and(|n| n >= 600));
                                }
                                if let Some(v) = get("fo:font-style")? {
                                    s.italic = Some(v == "italic" || v == "oblique");
                                }
                                if let Some(v) = get("style:text-underline-style")? {
                                    s.underline = Some(v != "none");
                                }
                                if let Some(v) = get("style:text-line-through-style")? {
                                    s.strike = Some(v != "none");
                                }
                                if let Some(font) = get("style:font-name")? {
                                    s.mono = self.fixed_fonts.contains(&font) || font.to_ascii_lowercase().contains("mono") || font.contains("Courier");
                                }
                            }
                        }
                        "style:paragraph-properties" => {
                            if let Some((_, s)) = &mut current {
                                s.page_break = get("fo:break-before")?.as_deref() == Some("page");
                            }
                        }
                        "text:list-style" => list = get("style:name")?.map(|n| (n, Vec::new())),
                        name @ ("text:list-level-style-number" | "text:list-level-style-bullet" | "text:list-level-style-image") => {
                            if let Some((_, levels)) = &mut list {
                                let level = get("text:level")?.and_then(|l| l.parse::<usize>().ok()).unwrap_or(1).clamp(1, MAX_LEVEL + 1) - 1;
                                if levels.len() <= level {
                                    levels.resize(level + 1, (Numbering::Bullet, 1));
                                }
                                // An empty num-format is a level that shows no number.
                                let numbering = match get("style:num-format")? {
                                    Some(format) if name == "text:list-level-style-number" && !format.is_empty() => Numbering::from_code(&format).unwrap_or(Numbering::Decimal),
                                    _ => Numbering::Bullet,
                                };
                                let start = get("text:start-value")?.and_then(|v| v.parse().ok()).unwrap_or(1);
                                levels[level] = (numbering, start);
                            }
                        }
                        _ => {}
                    }
                }
                Event::End(e) => match e.name().as_ref() {
                    "style:style" => {
                        if let Some((name, style)) = current.take() {
                            self.styles.insert(name, style);
                        }
                    }
                    "text:list-style" => {
                        if let Some((name, levels)) = list.take() {
                            self.lists.insert(name, levels);
                        }
                    }
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(())
    }

    /// The chain of a style and its parents (at most 16).
    fn chain(&self, name: &str) -> Vec<(&str, &Style)> {
        let mut chain = Vec::new();
        let mut next = Some(name.to_string());
        while let Some(n) = next.take() {
            let Some((key, style)) = self.styles.get_key_value(&n) else { break };
            chain.push((key.as_str(), style));
            if chain.len() >= 16 {
                break;
            }
            next = style.parent.clone();
        }
        chain
    }

    fn paragraph_kind(&self, name: &str) -> Kind {
        // A style used without a definition (pandoc's "Title") still names itself.
        let undefined = Style { display: name.to_string(), ..Style::default() };
        let mut chain = self.chain(name);
        if chain.is_empty() {
            chain.push((name, &undefined));
        }
        for (key, style) in chain {
            for candidate in [decode_name(key), style.display.clone()] {
                if let Some(kind) = super::style_name_kind(&candidate) {
                    return kind;
                }
            }
        }
        Kind::Normal
    }

    fn page_break(&self, name: &str) -> bool {
        self.chain(name).first().is_some_and(|(_, s)| s.page_break)
    }

    /// A paragraph's run style: the direct formatting of its automatic style
    /// (a named style's look, such as a heading's weight, is not the text's).
    fn paragraph_run(&self, name: &str) -> Run {
        match self.styles.get(name) {
            Some(style) if style.automatic => Run {
                bold: style.bold.unwrap_or(false),
                italic: style.italic.unwrap_or(false),
                underline: style.underline.unwrap_or(false),
                strike: style.strike.unwrap_or(false),
                ..Run::default()
            },
            _ => Run::default(),
        }
    }

    /// `base` with a span style's properties applied (nearest definition wins).
    fn apply(&self, name: &str, base: &Run) -> Run {
        let mut run = base.clone();
        let chain = self.chain(name);
        let pick = |f: fn(&Style) -> Option<bool>| chain.iter().find_map(|(_, s)| f(s));
        if let Some(b) = pick(|s| s.bold) {
            run.bold = b;
        }
        if let Some(i) = pick(|s| s.italic) {
            run.italic = i;
        }
        if let Some(u) = pick(|s| s.underline) {
            run.underline = u;
        }
        if let Some(s) = pick(|s| s.strike) {
            run.strike = s;
        }
        let code_named = chain.iter().any(|(key, s)| {
            let n = decode_name(key);
            s.mono || n.contains("source text") || n.contains("verbatim") || n.contains("code") || s.display.to_ascii_lowercase().contains("source text")
        });
        if code_named {
            run.code = true;
        }
        run
    }
}

fn read_meta(bytes: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let mut reader = Events::new(bytes, FORMAT, "meta.xml");
    let (mut title, mut author, mut initial) = (None, None, None);
    let mut field: Option<u8> = None;
    let mut text = String::new();
    loop {
        match reader.read()? {
            Event::Start(e) => {
                field = match e.name().as_ref() {
                    "dc:title" => Some(0),
                    "dc:creator" => Some(1),
                    "meta:initial-creator" => Some(2),
                    _ => None,
                };
                text.clear();
            }
            Event::Text(t) if field.is_some() => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if field.is_some() => push_reference(&r, &mut text).map_err(|m| xml_error("meta.xml", m))?,
            Event::End(_) => {
                let value = Some(text.trim().to_string());
                match field.take() {
                    Some(0) => title = value,
                    Some(1) => author = value,
                    Some(2) => initial = value,
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok((title, initial.or(author)))
}

/// An open `text:list`: its style and depth-first level.
struct OpenList {
    style: Option<String>,
    /// Paragraphs seen in the current item (the first starts the item).
    paragraphs_in_item: usize,
    start: Option<u64>,
}

struct BodyReader {
    styles: Styles,
    flow: Flow,
    pictures: HashMap<String, Vec<u8>>,
}

#[derive(Default)]
struct OpenTable {
    rows: Vec<Vec<Vec<Inline>>>,
    header_rows: usize,
    in_header: bool,
}

impl BodyReader {
    fn list_kind(&self, lists: &mut [OpenList]) -> Kind {
        let level = lists.len() - 1;
        // Nested lists without a style take their outermost styled list's level.
        let style = lists.iter().rev().find_map(|l| l.style.clone());
        let (numbering, default_start) = style.and_then(|s| self.styles.lists.get(&s)).and_then(|levels| levels.get(level.min(MAX_LEVEL)).copied()).unwrap_or((Numbering::Bullet, 1));
        let list = lists.last_mut().expect("in a list");
        list.paragraphs_in_item += 1;
        if list.paragraphs_in_item == 1 {
            Kind::Item { level: level.min(MAX_LEVEL), numbering, start: list.start.take().unwrap_or(default_start) }
        } else {
            Kind::ItemMore { level: level.min(MAX_LEVEL), numbering }
        }
    }

    fn read(&mut self, bytes: &[u8], ctx: &Context<'_>) -> Result<()> {
        let mut events = Events::new(bytes, FORMAT, CONTENT);
        let mut in_body = false;
        let mut lists: Vec<OpenList> = Vec::new();
        let mut tables: Vec<OpenTable> = Vec::new();
        // The paragraph being read: kind, inlines, and its style stack (spans, links).
        let mut para: Option<(Kind, Vec<Inline>)> = None;
        // Paragraphs a text box's own paragraphs opened inside (a frame
        // anchored in the text): each resumes when the box's paragraph ends.
        let mut enclosing: Vec<((Kind, Vec<Inline>), Vec<Run>, bool)> = Vec::new();
        let mut runs: Vec<Run> = Vec::new();
        let mut last_space = true;
        let mut skip = 0usize;
        let mut image: Option<Image> = None;
        let mut alt_depth: Option<usize> = None;
        // Presentations: the slide number (from 1) and the frame's class (title, subtitle, outline...).
        let mut slide = 0usize;
        let mut frame_class: Option<String> = None;
        let mut first_title = true;
        let mut frame_has_content = false;
        // Footnotes and endnotes: a `[n]` mark where they stand, their
        // paragraphs after the body; the paragraph they interrupt waits.
        let mut notes: Vec<Vec<Vec<Inline>>> = Vec::new();
        let mut outer: Option<(Option<(Kind, Vec<Inline>)>, Vec<Run>, bool)> = None;
        loop {
            match events.next(ctx)? {
                Event::Start(e) => {
                    if skip > 0 {
                        skip += 1;
                        continue;
                    }
                    let get = |key: &str| attr(&e, key).map_err(|m| xml_error(CONTENT, m));
                    match e.name().as_ref() {
                        "office:text" | "office:presentation" => in_body = true,
                        _ if !in_body => {}
                        "text:note" if outer.is_none() => {
                            notes.push(Vec::new());
                            push_to(&mut para, &runs, &format!("[{}]", notes.len()));
                            outer = Some((para.take(), std::mem::take(&mut runs), last_space));
                        }
                        "text:note-citation" => skip = 1,
                        "text:note" | "office:annotation" | "text:tracked-changes" | "text:sequence-decls" | "office:forms" | "presentation:notes" => skip = 1,
                        "draw:page" => slide += 1,
                        "draw:frame" => {
                            frame_class = get("presentation:class")?;
                            frame_has_content = false;
                        }
                        "draw:object" | "draw:object-ole" => frame_has_content = true,
                        "text:list" => {
                            if lists.len() >= fileconv_core::document::MAX_DEPTH {
                                return Err(Error::limit("nesting depth", fileconv_core::document::MAX_DEPTH as u64, lists.len() as u64 + 1));
                            }
                            lists.push(OpenList { style: get("text:style-name")?, paragraphs_in_item: 0, start: None });
                        }
                        "text:list-item" | "text:list-header" => {
                            if let Some(list) = lists.last_mut() {
                                list.paragraphs_in_item = 0;
                                list.start = get("text:start-value")?.and_then(|v| v.parse().ok());
                            }
                        }
                        "table:table" => {
                            frame_has_content = true;
                            if tables.len() >= fileconv_core::document::MAX_DEPTH {
                                return Err(Error::limit("nesting depth", fileconv_core::document::MAX_DEPTH as u64, tables.len() as u64 + 1));
                            }
                            tables.push(OpenTable::default());
                        }
                        "table:table-header-rows" => {
                            if let Some(t) = tables.last_mut() {
                                t.in_header = true;
                            }
                        }
                        "table:table-row" => {
                            if let Some(t) = tables.last_mut() {
                                t.rows.push(Vec::new());
                                if t.in_header {
                                    t.header_rows += 1;
                                }
                            }
                        }
                        "table:table-cell" | "table:covered-table-cell" => {
                            if let Some(row) = tables.last_mut().and_then(|t| t.rows.last_mut()) {
                                row.push(Vec::new());
                            }
                        }
                        name @ ("text:p" | "text:h") => {
                            let style = get("text:style-name")?.unwrap_or_default();
                            if self.styles.page_break(&style) && para.is_none() && tables.is_empty() && lists.is_empty() {
                                self.flow.block(Block::PageBreak);
                            }
                            let kind = if let Some(class) = frame_class.as_deref().filter(|c| matches!(*c, "title" | "subtitle")) {
                                match (class, slide) {
                                    ("title", 1) if first_title => Kind::Title,
                                    ("subtitle", 1) => Kind::Author,
                                    _ => Kind::Heading(1),
                                }
                            } else if name == "text:h" {
                                let level = get("text:outline-level")?.and_then(|l| l.parse::<u8>().ok()).unwrap_or(1);
                                Kind::Heading(level.clamp(1, 6))
                            } else if !lists.is_empty() {
                                self.list_kind(&mut lists)
                            } else {
                                self.styles.paragraph_kind(&style)
                            };
                            if let Some(open) = para.take() {
                                if enclosing.len() >= fileconv_core::document::MAX_DEPTH {
                                    return Err(Error::limit("nesting depth", fileconv_core::document::MAX_DEPTH as u64, enclosing.len() as u64 + 1));
                                }
                                enclosing.push((open, std::mem::take(&mut runs), last_space));
                            }
                            para = Some((kind, Vec::new()));
                            runs = vec![self.styles.paragraph_run(&style)];
                            last_space = true;
                        }
                        "text:span" => {
                            let base = runs.last().cloned().unwrap_or_default();
                            let run = match get("text:style-name")? {
                                Some(style) => self.styles.apply(&style, &base),
                                None => base,
                            };
                            runs.push(run);
                        }
                        "text:a" => {
                            let mut run = runs.last().cloned().unwrap_or_default();
                            run.link = get("xlink:href")?;
                            runs.push(run);
                        }
                        "text:s" => {
                            let n = get("text:c")?.and_then(|c| c.parse::<usize>().ok()).unwrap_or(1).min(1000);
                            push_to(&mut para, &runs, &" ".repeat(n));
                            last_space = false;
                        }
                        "text:tab" => push_to(&mut para, &runs, "\t"),
                        "text:line-break" => {
                            if let Some((_, inlines)) = &mut para {
                                inlines.push(Inline::Break);
                                // A space after a line break is kept, as LibreOffice shows it.
                                last_space = false;
                            }
                        }
                        // A frame's image after its table or object is only their preview.
                        "draw:image" if frame_has_content => {}
                        "draw:image" => {
                            let src = get("xlink:href")?.unwrap_or_default();
                            let data = self.pictures.get(src.trim_start_matches("./")).cloned();
                            image = Some(Image { src, alt: String::new(), data });
                        }
                        "svg:title" | "svg:desc" => alt_depth = Some(1),
                        _ => {}
                    }
                }
                Event::End(e) => {
                    if skip > 0 {
                        skip -= 1;
                        continue;
                    }
                    match e.name().as_ref() {
                        "office:text" | "office:presentation" => in_body = false,
                        "text:note" => {
                            if let Some((p, r, space)) = outer.take() {
                                (para, runs, last_space) = (p, r, space);
                            }
                        }
                        "text:list" => {
                            lists.pop();
                        }
                        "text:span" | "text:a" => {
                            if runs.len() > 1 {
                                runs.pop();
                            }
                        }
                        "svg:title" | "svg:desc" => alt_depth = None,
                        "draw:frame" => {
                            if frame_class.as_deref() == Some("title") && slide == 1 {
                                first_title = false;
                            }
                            frame_class = None;
                            if let Some(img) = image.take() {
                                match &mut para {
                                    Some((_, inlines)) => inlines.push(Inline::Image(img)),
                                    None => self.flow.image(img),
                                }
                            }
                        }
                        "text:p" | "text:h" => {
                            let Some((kind, inlines)) = para.take() else { continue };
                            if let Some((open, open_runs, open_space)) = enclosing.pop() {
                                para = Some(open);
                                runs = open_runs;
                                last_space = open_space;
                            }
                            if outer.is_some() {
                                if let Some(note) = notes.last_mut() {
                                    note.push(inlines);
                                }
                            } else if let Some(cell) = tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
                                push_cell_paragraph(cell, inlines);
                            } else {
                                let all_code = !inlines.is_empty() && inlines.iter().all(|i| matches!(i, Inline::Text(r) if r.code) || matches!(i, Inline::Break));
                                if kind == Kind::Normal && all_code {
                                    // A paragraph set wholly in code: a code block, line by line.
                                    for line in fileconv_core::document::plain_text(&inlines).split('\n') {
                                        self.flow.paragraph(Kind::Code, vec![Inline::Text(Run::plain(line))]);
                                    }
                                } else {
                                    self.flow.paragraph(kind, inlines);
                                }
                            }
                        }
                        "table:table-header-rows" => {
                            if let Some(t) = tables.last_mut() {
                                t.in_header = false;
                            }
                        }
                        "table:table" => {
                            let Some(t) = tables.pop() else { continue };
                            let table = TableBlock { header_rows: t.header_rows, rows: t.rows };
                            match tables.last_mut().and_then(|t| t.rows.last_mut()).and_then(|r| r.last_mut()) {
                                Some(cell) => flatten_into_cell(cell, table),
                                None => self.flow.table(table),
                            }
                        }
                        _ => {}
                    }
                }
                Event::Text(t) if skip == 0 => {
                    let text = t.xml_content(XmlVersion::Implicit1_0);
                    if let (Some(_), Some(img)) = (alt_depth, image.as_mut()) {
                        img.alt.push_str(text.trim());
                    } else if para.is_some() {
                        let collapsed = collapse(&text, &mut last_space);
                        push_to(&mut para, &runs, &collapsed);
                    }
                }
                Event::GeneralRef(r) if skip == 0 && para.is_some() => {
                    let mut text = String::new();
                    push_reference(&r, &mut text).map_err(|m| xml_error(CONTENT, m))?;
                    last_space = text.ends_with(' ');
                    push_to(&mut para, &runs, &text);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        self.flow.notes(notes);
        Ok(())
    }
}

fn push_to(para: &mut Option<(Kind, Vec<Inline>)>, runs: &[Run], text: &str) {
    if let Some((_, inlines)) = para {
        push_text(inlines, runs.last().unwrap_or(&Run::default()), text);
    }
}

/// ODF whitespace: tabs and line ends are spaces, runs of spaces are one.
fn collapse(text: &str, last_space: &mut bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            if !*last_space {
                out.push(' ');
            }
            *last_space = true;
        } else {
            out.push(c);
            *last_space = false;
        }
    }
    out
}
