//! PPTX (PresentationML): slides in the order `presentation.xml` lists
//! them, each a section: its title placeholder a level-1 heading, then the
//! text of its shapes (paragraphs; bullets and numbering as nested lists,
//! from the paragraph's own `buChar`/`buAutoNum`/`buNone` or, in body
//! placeholders, the master's default bullets; `lvl` gives the depth),
//! tables, and pictures with their bytes; a footer's text where it first
//! appears or changes (slide numbers and dates left out). A first slide holding only a
//! centred title and subtitle is the document's title and author.
//! Beside this flowing reading, [`super::pptx_pages`] reads each slide as a
//! placed page for writers of pages; both are read when a writer asks.

use std::collections::HashMap;
use std::io::Cursor;

use fileconv_core::document::flow::{push_cell_paragraph, push_text, Flow, Kind, MAX_LEVEL};
use fileconv_core::document::fixed::PageLayer;
use fileconv_core::{Context, Document, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};
use fileconv_zip::quick_xml::events::{BytesStart, Event};
use fileconv_zip::quick_xml::XmlVersion;
use fileconv_zip::xml::{attr, push_reference, Events};

const FORMAT: &str = "pptx";

fn xml_error(part: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid_input(FORMAT, format!("{part}: {e}"))
}

fn get(e: &BytesStart<'_>, key: &str, part: &str) -> Result<Option<String>> {
    attr(e, key).map_err(|m| xml_error(part, m))
}

/// Relationship id to (target path, external).
pub(super) fn read_rels(bytes: &[u8], base: &str) -> Result<HashMap<String, (String, bool)>> {
    let mut reader = Events::new(bytes, FORMAT, "relationships");
    let mut rels = HashMap::new();
    loop {
        match reader.read()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (get(&e, "Id", "relationships")?, get(&e, "Target", "relationships")?) {
                    let external = get(&e, "TargetMode", "relationships")?.is_some_and(|m| m == "External");
                    let target = if external { target } else { fileconv_zip::resolve(base, &target) };
                    rels.insert(id, (target, external));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rels)
}

pub(super) fn rels_path(part: &str) -> String {
    match part.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{part}.rels"),
    }
}

/// A presentation, its text and its slides read when a writer asks
/// ([`Document::deferred`]).
///
/// # Errors
/// [`Error::InvalidInput`] for a broken zip, no presentation part or a
/// broken one (broken slides when the text or pages are read);
/// [`Error::LimitExceeded`] for zip bombs.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut zip = fileconv_zip::open(Cursor::new(input.bytes), ctx.limits, FORMAT)?;
    slide_order(&mut zip)?;
    Ok(Value::Document(Document::deferred(&input, ctx, read_flow, |bytes, ctx| {
        let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
        let order = slide_order(&mut zip)?;
        Ok(PageLayer::Fixed(super::pptx_pages::read(&mut zip, &order, ctx)?))
    })?))
}

/// The slides' text in order: titles as headings, bodies, tables, pictures.
fn read_flow(bytes: &[u8], ctx: &Context<'_>) -> Result<Document> {
    let mut zip = fileconv_zip::open(Cursor::new(bytes), ctx.limits, FORMAT)?;
    let order = slide_order(&mut zip)?;
    let mut flow = Flow::default();
    let mut last_footer = String::new();
    let mut spoken = false;
    for (number, path) in order.iter().enumerate() {
        ctx.checkpoint()?;
        let Some(slide) = fileconv_zip::read_optional(&mut zip, path, FORMAT)? else { continue };
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
        let slide_rels = match fileconv_zip::read_optional(&mut zip, &rels_path(path), FORMAT)? {
            Some(bytes) => read_rels(&bytes, &dir)?,
            None => HashMap::new(),
        };
        let mut pictures = HashMap::new();
        for (id, (target, external)) in &slide_rels {
            if !external && is_image(target) {
                if let Some(bytes) = fileconv_zip::read_optional(&mut zip, target, FORMAT)? {
                    pictures.insert(id.clone(), bytes);
                }
            }
        }
        read_slide(&slide, number, &slide_rels, &pictures, &mut flow, &mut last_footer)?;
        for (target, external) in slide_rels.values() {
            if !external && !spoken && target.contains("/notesSlides/") {
                spoken = fileconv_zip::read_optional(&mut zip, target, FORMAT)?.is_some_and(|xml| fileconv_zip::xml::letters(&xml, &["t"], &[]) > 0);
            }
        }
    }
    // Speaker notes become pages of their own (notes=true) for PDF, not flowing text.
    super::note_unread(ctx, if spoken { &["speaker notes"] } else { &[] }, "PowerPoint files into flowing text");
    Ok(flow.finish())
}

/// The slide parts in the order `presentation.xml` lists them.
///
/// # Errors
/// [`Error::InvalidInput`] for a missing or broken presentation part.
fn slide_order<R: std::io::Read + std::io::Seek>(zip: &mut fileconv_zip::zip::ZipArchive<R>) -> Result<Vec<String>> {
    let presentation = fileconv_zip::read_entry(zip, "ppt/presentation.xml", FORMAT)?;
    let rels = match fileconv_zip::read_optional(zip, "ppt/_rels/presentation.xml.rels", FORMAT)? {
        Some(bytes) => read_rels(&bytes, "ppt")?,
        None => HashMap::new(),
    };
    let mut order = Vec::new();
    let mut reader = Events::new(&presentation, FORMAT, "presentation.xml");
    loop {
        match reader.read()? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sldId" => {
                if let Some((path, _)) = get(&e, "r:id", "presentation.xml")?.and_then(|id| rels.get(&id)) {
                    order.push(path.clone());
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(order)
}

fn is_image(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".emf", ".wmf", ".svg"].iter().any(|e| lower.ends_with(e))
}

/// A paragraph's `bullet` when `buNone` says it has none.
const NO_BULLET: u64 = u64::MAX;

/// A shape's text paragraphs as they are read.
struct ShapePara {
    level: usize,
    bullet: Option<Option<u64>>,
    /// How `buAutoNum` counts (its `type`: arabicPeriod, alphaLcParenR...).
    counting: Numbering,
    inlines: Vec<Inline>,
}

fn read_slide(
    xml: &[u8],
    number: usize,
    rels: &HashMap<String, (String, bool)>,
    pictures: &HashMap<String, Vec<u8>>,
    flow: &mut Flow,
    last_footer: &mut String,
) -> Result<()> {
    const PART: &str = "slide";
    let mut reader = Events::new(xml, FORMAT, PART);
    // Placeholder type of the shape being read ("title", "ctrTitle", "subTitle", "body", "" for a text box).
    let mut placeholder: Option<String> = None;
    let mut paragraphs: Vec<ShapePara> = Vec::new();
    let mut shapes: Vec<(Option<String>, Vec<ShapePara>)> = Vec::new();
    let mut para: Option<ShapePara> = None;
    let mut run = Run::default();
    let mut in_text = false;
    let mut table: Option<TableBlock> = None;
    let mut cell: Option<Vec<Inline>> = None;
    let mut picture_alt = String::new();
    let mut depth = 0usize;
    loop {
        let event = reader.read()?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if depth > 256 {
                    return Err(Error::limit("nesting depth", 256, depth as u64));
                }
                match e.local_name().as_ref() {
                    "sp" => {
                        placeholder = None;
                        paragraphs.clear();
                    }
                    "ph" => placeholder = Some(get(&e, "type", PART)?.unwrap_or_else(|| "body".into())),
                    "tbl" => table = Some(TableBlock { header_rows: 0, rows: Vec::new() }),
                    "tblPr" => {
                        if let Some(t) = &mut table {
                            t.header_rows = usize::from(get(&e, "firstRow", PART)?.is_some_and(|v| v == "1" || v == "true"));
                        }
                    }
                    "tr" => {
                        if let Some(t) = &mut table {
                            t.rows.push(Vec::new());
                        }
                    }
                    "tc" => cell = Some(Vec::new()),
                    "p" => {
                        para = Some(ShapePara { level: 0, bullet: None, counting: Numbering::Decimal, inlines: Vec::new() });
                    }
                    "pPr" => {
                        if let Some(p) = &mut para {
                            p.level = get(&e, "lvl", PART)?.and_then(|l| l.parse().ok()).unwrap_or(0).min(MAX_LEVEL);
                        }
                    }
                    "buNone" => {
                        // No bullet, stated: the placeholder's default bullet does not apply.
                        if let Some(p) = &mut para {
                            p.bullet = Some(Some(NO_BULLET));
                        }
                    }
                    "buChar" => {
                        if let Some(p) = &mut para {
                            p.bullet = Some(None);
                        }
                    }
                    "buAutoNum" => {
                        if let Some(p) = &mut para {
                            let start = get(&e, "startAt", PART)?.and_then(|s| s.parse().ok()).unwrap_or(1);
                            p.bullet = Some(Some(start));
                            let scheme = get(&e, "type", PART)?.unwrap_or_default();
                            p.counting = match scheme.get(..7).unwrap_or_default() {
                                "alphaLc" => Numbering::LowerAlpha,
                                "alphaUc" => Numbering::UpperAlpha,
                                "romanLc" => Numbering::LowerRoman,
                                "romanUc" => Numbering::UpperRoman,
                                _ => Numbering::Decimal,
                            };
                        }
                    }
                    "r" | "fld" => run = Run::default(),
                    "rPr" => {
                        let flag = |v: Option<String>| v.is_some_and(|v| v == "1" || v == "true");
                        run.bold = flag(get(&e, "b", PART)?);
                        run.italic = flag(get(&e, "i", PART)?);
                        run.underline = get(&e, "u", PART)?.is_some_and(|u| u != "none");
                        run.strike = get(&e, "strike", PART)?.is_some_and(|s| s != "noStrike");
                    }
                    "latin" => {
                        let face = get(&e, "typeface", PART)?.unwrap_or_default().to_ascii_lowercase();
                        if ["courier", "mono", "consolas", "code"].iter().any(|m| face.contains(m)) {
                            run.code = true;
                        }
                    }
                    "hlinkClick" => {
                        if let Some((target, _)) = get(&e, "r:id", PART)?.and_then(|id| rels.get(&id)) {
                            run.link = Some(target.clone());
                        }
                    }
                    "t" => in_text = true,
                    "cNvPr" => picture_alt = get(&e, "descr", PART)?.unwrap_or_default(),
                    "blip" => {
                        if let Some(id) = get(&e, "r:embed", PART)? {
                            let src = rels.get(&id).map(|(t, _)| t.clone()).unwrap_or_default();
                            let image = Image { src, alt: std::mem::take(&mut picture_alt), data: pictures.get(&id).cloned() };
                            flow.image(image);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "t" => in_text = false,
                    "br" => {
                        if let Some(p) = &mut para {
                            p.inlines.push(Inline::Break);
                        }
                    }
                    "p" => {
                        let Some(p) = para.take() else { continue };
                        match &mut cell {
                            Some(c) => push_cell_paragraph(c, p.inlines),
                            None => paragraphs.push(p),
                        }
                    }
                    "tc" => {
                        if let (Some(c), Some(t)) = (cell.take(), &mut table) {
                            if let Some(row) = t.rows.last_mut() {
                                row.push(c);
                            }
                        }
                    }
                    "tbl" => {
                        if let Some(t) = table.take() {
                            shapes.push((Some("table".into()), Vec::new()));
                            flush(&mut shapes, number, flow, last_footer);
                            flow.table(t);
                        }
                    }
                    "sp" => {
                        shapes.push((placeholder.take(), std::mem::take(&mut paragraphs)));
                        flush(&mut shapes, number, flow, last_footer);
                    }
                    _ => {}
                }
            }
            Event::Text(t) if in_text => {
                let text = t.xml_content(XmlVersion::Implicit1_0);
                if let Some(p) = &mut para {
                    push_text(&mut p.inlines, &run, &text);
                }
            }
            Event::GeneralRef(r) if in_text => {
                let mut text = String::new();
                push_reference(&r, &mut text).map_err(|m| xml_error(PART, m))?;
                if let Some(p) = &mut para {
                    push_text(&mut p.inlines, &run, &text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// A shape's paragraphs as one paragraph, a line break between each.
fn joined(paragraphs: Vec<ShapePara>) -> Vec<Inline> {
    let mut inlines = Vec::new();
    for p in paragraphs.into_iter().filter(|p| !p.inlines.is_empty()) {
        if !inlines.is_empty() {
            inlines.push(Inline::Break);
        }
        inlines.extend(p.inlines);
    }
    inlines
}

/// Writes finished shapes into the flow.
fn flush(shapes: &mut Vec<(Option<String>, Vec<ShapePara>)>, slide: usize, flow: &mut Flow, last_footer: &mut String) {
    for (placeholder, paragraphs) in shapes.drain(..) {
        let kind = placeholder.as_deref().unwrap_or("");
        let text = |p: &ShapePara| fileconv_core::document::plain_text(&p.inlines);
        match kind {
            "title" | "ctrTitle" => {
                let inlines = joined(paragraphs);
                if slide == 0 && kind == "ctrTitle" {
                    flow.paragraph(Kind::Title, inlines);
                } else {
                    flow.paragraph(Kind::Heading(1), inlines);
                }
            }
            "subTitle" if slide == 0 => {
                let inlines = joined(paragraphs);
                flow.paragraph(Kind::Author, inlines);
            }
            // A footer's text once, not again on every slide that repeats it;
            // slide numbers and dates are the viewer's, not the content.
            "ftr" | "hdr" => {
                let inlines = joined(paragraphs);
                let text = fileconv_core::document::plain_text(&inlines);
                if !text.trim().is_empty() && text != *last_footer {
                    *last_footer = text;
                    flow.paragraph(Kind::Normal, inlines);
                }
            }
            "sldNum" | "dt" => {}
            _ => {
                let body = kind == "body" || kind == "obj";
                for p in paragraphs {
                    if text(&p).trim().is_empty() {
                        continue;
                    }
                    let bullet = match p.bullet {
                        Some(Some(NO_BULLET)) => None,
                        Some(b) => Some(b),
                        None if body => Some(None),
                        None => None,
                    };
                    let kind = match bullet {
                        Some(number) => Kind::marked_item(p.level, number, p.counting),
                        None => {
                            let all_code = p.inlines.iter().all(|i| matches!(i, Inline::Text(r) if r.code) || matches!(i, Inline::Break));
                            if all_code { Kind::Code } else { Kind::Normal }
                        }
                    };
                    if kind == Kind::Code {
                        for line in text(&p).split('\n') {
                            flow.paragraph(Kind::Code, vec![Inline::Text(Run::plain(line))]);
                        }
                    } else {
                        flow.paragraph(kind, p.inlines);
                    }
                }
            }
        }
    }
}
