//! PDF to document: lopdf parses the file (broken cross-reference tables
//! are rebuilt by scanning; every stream it inflates is bounded), then each
//! page's content stream is interpreted for its text operators: positions
//! from the text and graphics matrices, strings decoded through the font's
//! ToUnicode map or encoding, widths from the font's width tables. Text is
//! put in reading order (lines top to bottom, chunks left to right, spaces
//! where glyphs are apart), lines joined into paragraphs by their spacing,
//! headings inferred from font sizes clearly above the body size, list
//! items from bullet and number markers, and a page break between pages.
//! Superscripts and subscripts join their line; text a `q` saved the font
//! of is drawn in that font after `Q`; overstruck "bold" is read once.
//! A content stream lopdf could not parse is read again from the file, as
//! qpdf does. Not read: tables (their text comes out line by line),
//! several columns on one page (read across).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use fileconv_core::document::flow::{Flow, Kind};
use fileconv_core::{Block, Context, Error, Inline, Input, Result, Run, Value};
use lopdf::content::Content;
use lopdf::Encoding;
use lopdf::{Dictionary, Document, LoadOptions, Object};

const FORMAT: &str = "pdf";
/// Most pages read from one PDF.
const MAX_PAGES: usize = 100_000;
/// Most content-stream operations read from one page.
const MAX_OPERATIONS: usize = 5_000_000;

/// # Errors
/// [`Error::InvalidInput`] for bytes lopdf cannot read or a PDF that needs
/// a password; [`Error::LimitExceeded`] for streams inflating past the
/// limit, or too many pages.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let bytes = input.bytes;
    // lopdf reports most damage as errors; a panic in it is damage too.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_bytes(bytes, ctx))) {
        Ok(result) => result,
        Err(panic) => Err(Error::invalid_input(FORMAT, format!("lopdf stopped: {}", fileconv_core::panic_text(panic.as_ref())))),
    }
}

fn inflate_limit(ctx: &Context<'_>) -> usize {
    usize::try_from(ctx.limits.max_unzipped_bytes.min(1 << 30)).unwrap_or(1 << 30)
}

fn pdf_error(e: lopdf::Error, limit: usize) -> Error {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => Error::limit("inflated PDF stream (bytes)", limit as u64, limit as u64 + 1),
        other => Error::invalid_input(FORMAT, other),
    }
}

fn decode_bytes(bytes: &[u8], ctx: &Context<'_>) -> Result<Value> {
    if !bytes.starts_with(b"%PDF-") && !bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(Error::invalid_input(FORMAT, "no %PDF- header"));
    }
    let limit = inflate_limit(ctx);
    let options = LoadOptions { max_decompressed_size: Some(limit), ..LoadOptions::default() };
    let mut doc = Document::load_mem_with_options(bytes, options).map_err(|e| pdf_error(e, limit))?;
    if doc.is_encrypted() && doc.decrypt("").is_err() {
        return Err(Error::invalid_input(FORMAT, "the PDF is encrypted with a password"));
    }
    // lopdf lists a kid the file does not hold as a page: such kids are not pages.
    let mut pages: Vec<lopdf::ObjectId> = doc.get_pages().into_values().filter(|id| doc.get_dictionary(*id).is_ok()).collect();
    if pages.is_empty() {
        pages = pages_by_type(&doc);
        if pages.is_empty() {
            return Err(Error::invalid_input(FORMAT, "the PDF has no pages"));
        }
        ctx.note(BROKEN_PAGE_TREE);
    }
    if pages.len() > MAX_PAGES {
        return Err(Error::limit("PDF pages", MAX_PAGES as u64, pages.len() as u64));
    }
    let mut first_seen = HashMap::new();
    for (number, page_id) in pages.iter().enumerate() {
        if let Some(first) = first_seen.get(page_id) {
            ctx.note(format!("pages {first} and {}: the page tree lists one page object twice; it is read as both pages, as qpdf does", number + 1));
        } else {
            first_seen.insert(*page_id, number + 1);
        }
        recover_content_streams(&mut doc, bytes, *page_id, number + 1, limit, ctx);
    }
    let mut flow = Flow::default();
    let (title, author) = info(&doc);
    let mut page_lines = Vec::with_capacity(pages.len());
    let document_fonts = Fonts::new(&doc, limit);
    for page_id in pages {
        ctx.checkpoint()?;
        let content = match doc.get_page_content_with_limit(page_id, limit) {
            Ok(content) => content,
            Err(e @ lopdf::Error::Decompress(_)) => return Err(pdf_error(e, limit)),
            Err(e) => {
                ctx.note(format!("page {}: its content cannot be read ({e}); the page is left empty", page_lines.len() + 1));
                Vec::new()
            }
        };
        let fonts = document_fonts.of_page(page_id)?;
        let operations = match Content::decode(&content) {
            Ok(c) => c.operations,
            Err(e) => {
                ctx.note(format!("page {}: its content stream is damaged ({e}); the page is left empty", page_lines.len() + 1));
                Vec::new()
            }
        };
        if operations.len() > MAX_OPERATIONS {
            return Err(Error::limit("PDF content operations per page", MAX_OPERATIONS as u64, operations.len() as u64));
        }
        let unread = unparsed_text_operators(&content, &operations);
        if unread > 0 {
            ctx.note(format!("page {}: its content stream is damaged after {} operations; {unread} text-showing operator(s) after that are not read", page_lines.len() + 1, operations.len()));
        }
        let forms = FormReader { doc: &doc, fonts: &document_fonts, limit, operations_left: std::cell::Cell::new(MAX_OPERATIONS - operations.len()) };
        let xobjects = doc
            .get_page_resources(page_id)
            .ok()
            .and_then(|(own, inherited)| {
                own.and_then(|r| r.get(b"XObject").ok()).or_else(|| inherited.iter().find_map(|id| doc.get_dictionary(*id).ok()?.get(b"XObject").ok()))
            })
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_dict().ok());
        let mut chunks = interpret(&operations, &fonts, IDENTITY, &mut |name, ctm| forms.chunks(xobjects, name, ctm, &fonts, 0))?;
        say_lost_text(ctx, page_lines.len() + 1, &operations, &chunks);
        let annotations = forms.annotation_chunks(page_id, xobjects, &fonts)?;
        // A caption the page itself draws where its widget is (a button's
        // label) is not read twice.
        let drawn_twice = |a: &Chunk| chunks.iter().any(|c| c.text.trim() == a.text.trim() && (c.y - a.y).abs() <= a.size.max(c.size) && c.x < a.end + a.size && a.x < c.end + c.size);
        let annotations: Vec<Chunk> = annotations.into_iter().filter(|a| !drawn_twice(a)).collect();
        chunks.extend(annotations);
        page_lines.push(lines(chunks));
    }
    let right_to_left = page_lines.iter().flatten().flat_map(|l| l.text.chars()).filter(|c| crate::fonts::is_right_to_left(*c)).count();
    if right_to_left > 0 {
        ctx.note(format!("{right_to_left} right-to-left character(s) (Hebrew, Arabic) are given in the order the PDF draws them, which can reverse their words"));
    }
    let body = body_size(&page_lines);
    let heading_sizes = heading_sizes(&page_lines, body, &[title.as_deref(), author.as_deref()]);
    let last = page_lines.len().saturating_sub(1);
    let pages: Vec<Vec<Paragraph>> = page_lines.into_iter().map(|lines| paragraphs(lines, body)).collect();
    let indents = list_indents(&pages);
    let mut seen = (false, false);
    for (number, paragraphs) in pages.into_iter().enumerate() {
        for (i, paragraph) in paragraphs.into_iter().enumerate() {
            // The title and author set at the top of the first page are the metadata's.
            let kind = match (number, i) {
                (0, 0..=2) if !seen.0 && title.as_deref() == Some(paragraph.text.as_str()) => {
                    seen.0 = true;
                    Kind::Title
                }
                (0, 0..=2) if !seen.1 && author.as_deref() == Some(paragraph.text.as_str()) => {
                    seen.1 = true;
                    Kind::Author
                }
                _ => classify(&paragraph, &heading_sizes, &indents),
            };
            let mut text = paragraph.text;
            if let Kind::Item { .. } = kind {
                text = strip_marker(&text).to_string();
            }
            flow.paragraph(kind, vec![Inline::Text(Run::plain(text))]);
        }
        if number < last {
            flow.block(Block::PageBreak);
        }
    }
    flow.metadata(title, author);
    Ok(Value::Document(flow.finish()))
}

/// Most bytes searched for a damaged stream's end.
const MAX_RECOVERED_STREAM: usize = 1 << 26;

/// Content streams of a page that lopdf could not parse (lopdf then leaves
/// them out of the page's content without a word), read again from the
/// file as qpdf does: the stream's dictionary, then its data up to
/// `endstream`, or up to `endobj` when that keyword is damaged. A stream
/// found neither way is noted as lost.
fn recover_content_streams(doc: &mut Document, bytes: &[u8], page_id: lopdf::ObjectId, page: usize, limit: usize, ctx: &Context<'_>) {
    for id in doc.get_page_contents(page_id) {
        if doc.get_object(id).and_then(Object::as_stream).is_ok() {
            continue;
        }
        let offset = match doc.reference_table.get(id.0) {
            Some(lopdf::xref::XrefEntry::Normal { offset, .. }) => Some(*offset as usize),
            _ => None,
        };
        match offset.and_then(|offset| damaged_stream_at(bytes, offset, limit)) {
            Some(stream) => {
                ctx.note(format!("page {page}: its content stream {} 0 R is damaged; it was read up to where its object ends", id.0));
                doc.objects.insert(id, Object::Stream(stream));
            }
            None => ctx.note(format!("page {page}: its content stream {} 0 R cannot be read; the text in it is lost", id.0)),
        }
    }
}

/// The stream object starting at `offset`, read leniently: its dictionary
/// by lopdf's own object parser, its data from after `stream` up to the
/// first `endstream` or `endobj`, whichever comes first; `None` when there is no such object there.
fn damaged_stream_at(bytes: &[u8], offset: usize, limit: usize) -> Option<lopdf::Stream> {
    let rest = bytes.get(offset..)?;
    let rest = &rest[..rest.len().min(MAX_RECOVERED_STREAM)];
    let find = |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let header_end = find(&rest[..rest.len().min(64)], b"obj")? + 3;
    let stream_at = find(rest, b"stream")?;
    // The dictionary parses as the operand of a made-up operator.
    let mut operand = rest.get(header_end..stream_at)?.to_vec();
    operand.extend_from_slice(b" x");
    let dict = match Content::decode(&operand).ok()?.operations.first()?.operands.first()? {
        Object::Dictionary(d) => d.clone(),
        _ => return None,
    };
    let mut data = &rest[stream_at + b"stream".len()..];
    data = data.strip_prefix(b"\r\n").or_else(|| data.strip_prefix(b"\n")).or_else(|| data.strip_prefix(b"\r")).unwrap_or(data);
    let end = match (find(data, b"endstream"), find(data, b"endobj")) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let mut stream = lopdf::Stream::new(dict, data[..end].to_vec());
    if stream.dict.has(b"Filter") {
        stream.decompress_with_limit(limit).ok()?;
    }
    Some(stream)
}

/// Text-showing operators (`Tj`, `TJ`) in a content stream's bytes that
/// lopdf's parse, which stops quietly at the first token it cannot read,
/// did not reach; 0 when the stream parses to its end.
fn unparsed_text_operators(content: &[u8], operations: &[lopdf::content::Operation]) -> usize {
    let parsed = operations.iter().filter(|op| matches!(op.operator.as_str(), "Tj" | "TJ")).count();
    let written = content.windows(3).filter(|w| matches!(w[0], b')' | b']' | b'>') || w[0].is_ascii_whitespace()).filter(|w| &w[1..] == b"Tj" || &w[1..] == b"TJ").count();
    if written <= parsed || Content::decode_strict(content).is_ok() {
        return 0;
    }
    written - parsed
}

/// Notes a page whose text-showing operators gave no readable text, or
/// mostly unmapped characters: the text is there, and we cannot read it.
fn say_lost_text(ctx: &Context<'_>, page: usize, operations: &[lopdf::content::Operation], chunks: &[Chunk]) {
    let shown: usize = operations
        .iter()
        .filter(|op| matches!(op.operator.as_str(), "Tj" | "TJ" | "'" | "\""))
        .flat_map(|op| op.operands.iter())
        .map(|o| match o {
            Object::String(bytes, _) => bytes.len(),
            Object::Array(items) => items.iter().map(|i| if let Object::String(b, _) = i { b.len() } else { 0 }).sum(),
            _ => 0,
        })
        .sum();
    let chars: Vec<char> = chunks.iter().flat_map(|c| c.text.chars()).filter(|c| !c.is_whitespace()).collect();
    let unreadable = chars.iter().filter(|c| **c == char::REPLACEMENT_CHARACTER || ('\u{E000}'..='\u{F8FF}').contains(*c)).count();
    if shown >= 4 && chars.is_empty() {
        ctx.note(format!("page {page}: its text is drawn in fonts with no character map; that text is left out"));
    } else if unreadable * 2 > chars.len() && chars.len() >= 4 {
        ctx.note(format!("page {page}: most of its characters have no Unicode value; they are left as U+FFFD"));
    }
}

/// Title and author from the document information dictionary.
/// What a conversion says when it found the pages by [`pages_by_type`].
pub(crate) const BROKEN_PAGE_TREE: &str = "the PDF's page tree is broken; its pages were found by their type, in the order they are stored";

/// The page objects of a PDF whose page tree gives none (a Pages node that
/// is a Page, kids that do not exist): poppler finds pages by their type,
/// and so do we, in the order they are stored.
pub(crate) fn pages_by_type(doc: &Document) -> Vec<lopdf::ObjectId> {
    doc.objects
        .iter()
        .filter(|(_, o)| o.as_dict().ok().and_then(|d| d.get(b"Type").ok()).and_then(|t| t.as_name().ok()) == Some(b"Page"))
        .map(|(id, _)| *id)
        .collect()
}

/// The PDF rewritten with a page tree of the pages [`pages_by_type`]
/// finds, for a renderer that reads pages only through the tree; `None`
/// when lopdf cannot read it or finds no page objects either.
pub(crate) fn with_rebuilt_page_tree(bytes: &[u8], ctx: &Context<'_>) -> Option<Vec<u8>> {
    let options = LoadOptions { max_decompressed_size: Some(inflate_limit(ctx)), ..LoadOptions::default() };
    let mut doc = Document::load_mem_with_options(bytes, options).ok()?;
    let pages = pages_by_type(&doc);
    if pages.is_empty() || pages.len() > MAX_PAGES {
        return None;
    }
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set("Kids", Object::Array(pages.iter().map(|id| Object::Reference(*id)).collect()));
    tree.set("Count", Object::Integer(pages.len() as i64));
    let tree = doc.add_object(tree);
    for id in &pages {
        if let Ok(page) = doc.get_object_mut(*id).and_then(Object::as_dict_mut) {
            page.set("Parent", Object::Reference(tree));
        }
    }
    doc.catalog_mut().ok()?.set("Pages", Object::Reference(tree));
    let mut out = Vec::new();
    doc.save_to(&mut out).ok()?;
    Some(out)
}

fn info(doc: &Document) -> (Option<String>, Option<String>) {
    let Ok(info) = doc.trailer.get(b"Info").and_then(|o| doc.dereference(o)).and_then(|(_, o)| o.as_dict()) else { return (None, None) };
    let text = |key: &[u8]| info.get(key).ok().and_then(|o| lopdf::decode_text_string(o).ok()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
    (text(b"Title"), text(b"Author"))
}

/// What a font needs to turn string bytes into text and widths.
struct FontInfo<'a> {
    encoding: Option<Encoding<'a>>,
    /// An embedded font program's own encoding (TeX's math italic: code 13
    /// is gamma), for a simple font whose dictionary names no encoding and
    /// has no `ToUnicode` map; used before `encoding`.
    builtin: Option<HashMap<u8, String>>,
    /// A fixed-pitch font (its descriptor says so, or its name: Mono, Courier, Consolas...).
    mono: bool,
    two_byte: bool,
    /// Widths in thousandths of an em by character code.
    widths: HashMap<u32, f32>,
    default_width: f32,
}

fn number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// Fonts kept read at once (a page rarely uses more than a few dozen).
const MAX_CACHED_FONTS: usize = 1024;

/// A page's or form's fonts by resource name.
type FontMap<'a> = BTreeMap<Vec<u8>, Rc<FontInfo<'a>>>;

/// The fonts of one document, each read once however many pages and forms
/// use it (a ToUnicode map or an embedded program's encoding is parsed
/// once, not per page). Keyed by the font dictionary's address in the
/// document, which stays put while it is borrowed.
struct Fonts<'a> {
    doc: &'a Document,
    limit: usize,
    read: RefCell<HashMap<*const Dictionary, Rc<FontInfo<'a>>>>,
}

impl<'a> Fonts<'a> {
    fn new(doc: &'a Document, limit: usize) -> Self {
        Fonts { doc, limit, read: RefCell::new(HashMap::new()) }
    }

    fn of_page(&self, page: lopdf::ObjectId) -> Result<FontMap<'a>> {
        self.of(self.doc.get_page_fonts(page).unwrap_or_default().into_iter())
    }

    /// The fonts of a resource dictionary's `Font` entries, by resource name.
    fn of(&self, entries: impl Iterator<Item = (Vec<u8>, &'a Dictionary)>) -> Result<FontMap<'a>> {
        let mut fonts = BTreeMap::new();
        for (name, dict) in entries {
            let key: *const Dictionary = dict;
            let known = self.read.borrow().get(&key).cloned();
            let font = match known {
                Some(font) => font,
                None => {
                    let font = Rc::new(font_info(self.doc, dict, self.limit)?);
                    let mut read = self.read.borrow_mut();
                    // A document of thousands of fonts keeps the recent ones only.
                    if read.len() >= MAX_CACHED_FONTS {
                        read.clear();
                    }
                    read.insert(key, Rc::clone(&font));
                    font
                }
            };
            fonts.insert(name, font);
        }
        Ok(fonts)
    }
}

/// What text extraction needs of one font dictionary.
fn font_info<'a>(doc: &'a Document, dict: &'a Dictionary, limit: usize) -> Result<FontInfo<'a>> {
    let encoding = match font_encoding(doc, dict, limit) {
        Ok(e) => Some(e),
        Err(e @ lopdf::Error::Decompress(_)) => return Err(pdf_error(e, limit)),
        Err(_) => None,
    };
    let two_byte = dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Type0");
    let mut widths = HashMap::new();
    let mut default_width = if two_byte { 1000.0 } else { 500.0 };
    if two_byte {
        if let Some(descendant) = descendant(doc, dict) {
            if let Some(dw) = descendant.get(b"DW").ok().and_then(number) {
                default_width = dw;
            }
            if let Ok(w) = descendant.get(b"W").and_then(|o| doc.dereference(o)).and_then(|(_, o)| o.as_array()) {
                cid_widths(doc, w, &mut widths);
            }
        }
    } else if let Ok(list) = dict.get(b"Widths").and_then(|o| doc.dereference(o)).and_then(|(_, o)| o.as_array()) {
        let first = dict.get(b"FirstChar").ok().and_then(number).unwrap_or(0.0) as u32;
        for (i, w) in list.iter().take(65_536).enumerate() {
            if let Some(w) = doc.dereference(w).ok().and_then(|(_, o)| number(o)) {
                widths.insert(first + i as u32, w);
            }
        }
    }
    let base = dict.get(b"BaseFont").and_then(Object::as_name).map(|n| String::from_utf8_lossy(n).to_ascii_lowercase()).unwrap_or_default();
    let descriptor = descendant(doc, dict).unwrap_or(dict).get(b"FontDescriptor").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_dict().ok());
    let fixed = descriptor.and_then(|d| d.get(b"Flags").ok()).and_then(number).is_some_and(|f| (f as u32) & 1 != 0);
    let mono = fixed || ["mono", "courier", "consol", "code"].iter().any(|n| base.contains(n));
    let builtin = if dict.has(b"ToUnicode") { None } else { descriptor.and_then(|d| builtin_encoding(doc, dict, d, limit)) };
    Ok(FontInfo { encoding, builtin, mono, two_byte, widths, default_width })
}

/// The encoding an embedded Type 1 or CFF font program defines for itself
/// ([`builtin_glyph_names`]), for a simple Type 1 font whose dictionary
/// names no encoding: PDF readers use it (PDF 9.6.6.1), where lopdf's
/// StandardEncoding would make TeX's math italic gamma a carriage return.
/// Glyph names become text through lopdf's glyph list, by way of a
/// synthetic `Differences` encoding.
fn builtin_encoding(doc: &Document, font: &Dictionary, descriptor: &Dictionary, limit: usize) -> Option<HashMap<u8, String>> {
    if font.get(b"Subtype").and_then(Object::as_name).ok()? != b"Type1" || font.has(b"Encoding") {
        return None;
    }
    // One name at a time: lopdf drops a whole Differences array over one
    // name its glyph list lacks (TeX's rho1, arrowhookleft...); such codes
    // are left to the font's usual encoding.
    let table: HashMap<u8, String> = builtin_glyph_names(doc, descriptor, limit)?
        .into_iter()
        .filter_map(|(code, name)| {
            // TeX names its variant Greek letters phi1, epsilon1...: the letter.
            let name = match name.strip_suffix(b"1") {
                Some(base @ (b"phi" | b"epsilon" | b"theta" | b"rho" | b"sigma" | b"omega" | b"pi")) => base.to_vec(),
                _ => name,
            };
            let mut encoding = Dictionary::new();
            encoding.set("Differences", Object::Array(vec![Object::Integer(i64::from(code)), Object::Name(name)]));
            let mut synthetic = Dictionary::new();
            synthetic.set("Type", Object::Name(b"Font".to_vec()));
            synthetic.set("Encoding", Object::Dictionary(encoding));
            match synthetic.get_font_encoding_with_limit(doc, limit).ok()? {
                differences @ Encoding::Differences(_) => Some((code, differences.bytes_to_string(&[code]).ok()?)),
                _ => None,
            }
        })
        .filter(|(_, text)| !text.is_empty())
        .collect();
    (!table.is_empty()).then_some(table)
}

/// The glyph name of each code an embedded font program encodes: a Type 1
/// program's clear-text `/Encoding` array (`dup 13 /gamma put`), or a CFF
/// (Type 1C) program's encoding and charset. `None` when the program uses
/// StandardEncoding or is not embedded.
fn builtin_glyph_names(doc: &Document, descriptor: &Dictionary, limit: usize) -> Option<Vec<(u8, Vec<u8>)>> {
    let stream = |key: &[u8]| descriptor.get(key).ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_stream().ok());
    if let Some(program) = stream(b"FontFile3").filter(|p| p.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|s| s == b"Type1C")) {
        let bytes = program.get_plain_content_with_limit(limit).ok()?;
        let table = ttf_parser::cff::Table::parse(&bytes)?;
        let names: Vec<(u8, Vec<u8>)> = (0..=255u8)
            .filter_map(|code| {
                let glyph = table.glyph_index(code).filter(|g| g.0 != 0)?;
                Some((code, table.glyph_name(glyph)?.as_bytes().to_vec()))
            })
            .collect();
        return (!names.is_empty()).then_some(names);
    }
    let program = stream(b"FontFile")?;
    let clear = program.dict.get(b"Length1").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_i64().ok()).and_then(|n| usize::try_from(n).ok())?;
    let bytes = program.get_plain_content_with_limit(limit).ok()?;
    let clear = &bytes[..clear.min(bytes.len())];
    let start = clear.windows(9).position(|w| w == b"/Encoding")?;
    let mut names = Vec::new();
    let mut tokens = clear[start..].split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty());
    // `dup <code> /<name> put`, until `readonly def` or `def`.
    while let Some(token) = tokens.next() {
        match token {
            b"def" | b"readonly" if !names.is_empty() => break,
            b"StandardEncoding" => return None,
            b"dup" => {
                let (Some(code), Some(name)) = (tokens.next(), tokens.next()) else { break };
                let code = std::str::from_utf8(code).ok().and_then(|c| c.parse::<u8>().ok());
                if let (Some(code), Some(name)) = (code, name.strip_prefix(b"/")) {
                    names.push((code, name.to_vec()));
                }
            }
            _ => {}
        }
        if names.len() > 256 {
            break;
        }
    }
    (!names.is_empty()).then_some(names)
}

/// The font's encoding for text extraction: its `ToUnicode` map first, as
/// the PDF specification (9.10.2) and poppler have it, then `Encoding`.
/// lopdf 0.47 reads `Encoding` first, which turns a subset font's codes
/// 1, 2, 3... into control characters.
fn font_encoding<'a>(doc: &'a Document, dict: &'a Dictionary, limit: usize) -> lopdf::Result<Encoding<'a>> {
    if dict.has(b"ToUnicode") && dict.has(b"Encoding") {
        let mut map_only = dict.clone();
        map_only.remove(b"Encoding");
        match map_only.get_font_encoding_with_limit(doc, limit) {
            Ok(Encoding::UnicodeMapEncoding(map)) => return Ok(Encoding::UnicodeMapEncoding(map)),
            Err(e @ lopdf::Error::Decompress(_)) => return Err(e),
            _ => {}
        }
    }
    dict.get_font_encoding_with_limit(doc, limit)
}

fn descendant<'a>(doc: &'a Document, font: &'a Dictionary) -> Option<&'a Dictionary> {
    let list = font.get(b"DescendantFonts").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_array().ok())?;
    doc.dereference(list.first()?).ok().and_then(|(_, o)| o.as_dict().ok())
}

/// A CID font's `W` array: `c [w1 w2 ...]` and `c_first c_last w` entries.
fn cid_widths(doc: &Document, w: &[Object], widths: &mut HashMap<u32, f32>) {
    let mut i = 0;
    while i < w.len() && widths.len() < 65_536 {
        let Some(first) = number(&w[i]) else { break };
        match w.get(i + 1).map(|o| doc.dereference(o).map(|(_, o)| o)) {
            Some(Ok(Object::Array(list))) => {
                for (k, v) in list.iter().take(65_536).enumerate() {
                    if let Some(v) = number(v) {
                        widths.insert(first as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(Ok(last)) => {
                let (Some(last), Some(v)) = (number(last), w.get(i + 2).and_then(number)) else { break };
                for c in (first as u32)..=(last as u32).min(first as u32 + 65_536) {
                    widths.insert(c, v);
                }
                i += 3;
            }
            _ => break,
        }
    }
}

type Matrix = [f32; 6];

const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3], a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]
}

/// Text at a place: its start and end x, baseline y (PDF space, y up), size.
#[derive(Debug, Clone)]
struct Chunk {
    mono: bool,
    x: f32,
    end: f32,
    y: f32,
    size: f32,
    text: String,
}

fn operand(ops: &[Object], i: usize) -> f32 {
    ops.get(i).and_then(number).unwrap_or(0.0)
}

/// Runs the text operators of a page's content stream.
/// Text chunks of a content stream drawn under `initial` (the page's or a
/// form's matrix); `forms` gives the chunks of a form XObject `Do` draws.
fn interpret(
    operations: &[lopdf::content::Operation],
    fonts: &FontMap<'_>,
    initial: Matrix,
    forms: &mut dyn FnMut(&[u8], Matrix) -> Result<Vec<Chunk>>,
) -> Result<Vec<Chunk>> {
    let mut chunks = Vec::new();
    let mut ctm = initial;
    let (mut tm, mut tlm) = (IDENTITY, IDENTITY);
    let mut font: Option<&FontInfo<'_>> = None;
    let (mut size, mut leading, mut char_spacing, mut word_spacing, mut scale) = (0.0f32, 0.0f32, 0.0f32, 0.0f32, 1.0f32);
    // The text state is graphics state: `Q` restores the font a `q` saw,
    // which a later `BT` without `Tf` draws in (LaTeX's TikZ pictures).
    let mut stack = Vec::new();
    for op in operations {
        let o = &op.operands;
        match op.operator.as_str() {
            "q" => {
                if stack.len() < 1024 {
                    stack.push((ctm, font, size, leading, char_spacing, word_spacing, scale));
                }
            }
            "Q" => {
                (ctm, font, size, leading, char_spacing, word_spacing, scale) = stack.pop().unwrap_or((initial, font, size, leading, char_spacing, word_spacing, scale));
            }
            "Do" => {
                if let Some(name) = o.first().and_then(|n| n.as_name().ok()) {
                    let mut drawn = forms(name, ctm)?;
                    if chunks.len() + drawn.len() < 10_000_000 {
                        chunks.append(&mut drawn);
                    }
                }
            }
            "cm" if o.len() == 6 => ctm = multiply(&[operand(o, 0), operand(o, 1), operand(o, 2), operand(o, 3), operand(o, 4), operand(o, 5)], &ctm),
            "BT" => {
                tm = IDENTITY;
                tlm = IDENTITY;
            }
            "Tf" => {
                font = o.first().and_then(|n| n.as_name().ok()).and_then(|n| fonts.get(n)).map(|f| &**f);
                size = operand(o, 1);
            }
            "TL" => leading = operand(o, 0),
            "Tc" => char_spacing = operand(o, 0),
            "Tw" => word_spacing = operand(o, 0),
            "Tz" => scale = operand(o, 0) / 100.0,
            "Td" | "TD" => {
                if op.operator == "TD" {
                    leading = -operand(o, 1);
                }
                tlm = multiply(&[1.0, 0.0, 0.0, 1.0, operand(o, 0), operand(o, 1)], &tlm);
                tm = tlm;
            }
            "Tm" if o.len() == 6 => {
                tlm = [operand(o, 0), operand(o, 1), operand(o, 2), operand(o, 3), operand(o, 4), operand(o, 5)];
                tm = tlm;
            }
            "T*" => {
                tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                tm = tlm;
            }
            "Tj" | "'" | "\"" | "TJ" => {
                if op.operator == "'" || op.operator == "\"" {
                    if op.operator == "\"" {
                        word_spacing = operand(o, 0);
                        char_spacing = operand(o, 1);
                    }
                    tlm = multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -leading], &tlm);
                    tm = tlm;
                }
                let Some(f) = font else { continue };
                let items: Vec<&Object> = match (op.operator.as_str(), o.last()) {
                    ("TJ", Some(Object::Array(list))) => list.iter().collect(),
                    (_, Some(s @ Object::String(..))) => vec![s],
                    _ => continue,
                };
                for item in items {
                    match item {
                        Object::String(bytes, _) => {
                            let text = decode_string(f, bytes);
                            let start = multiply(&tm, &ctm);
                            let mut advance = 0.0;
                            let codes: Vec<u32> = if f.two_byte { bytes.chunks(2).map(|c| u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0))).collect() } else { bytes.iter().map(|b| u32::from(*b)).collect() };
                            for code in codes {
                                let w = f.widths.get(&code).copied().unwrap_or(f.default_width) / 1000.0;
                                advance += (w * size + char_spacing + if code == 32 && !f.two_byte { word_spacing } else { 0.0 }) * scale;
                            }
                            tm = multiply(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], &tm);
                            let end = multiply(&tm, &ctm);
                            let effective = size * (start[2] * start[2] + start[3] * start[3]).sqrt();
                            if !text.is_empty() && chunks.len() < 10_000_000 {
                                chunks.push(Chunk { mono: f.mono, x: start[4], end: end[4], y: start[5], size: effective.abs().max(0.1), text });
                            }
                        }
                        other => {
                            let shift = -number(other).unwrap_or(0.0) / 1000.0 * size * scale;
                            tm = multiply(&[1.0, 0.0, 0.0, 1.0, shift, 0.0], &tm);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(chunks)
}

/// The value of a filled text field (`FT` `Tx`, on the widget or the field
/// it belongs to), `None` for other annotations and empty fields.
fn text_field_value(doc: &Document, widget: &Dictionary) -> Option<String> {
    let parent = widget.get(b"Parent").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_dict().ok());
    let field = |key: &[u8]| widget.get(key).ok().or_else(|| parent.and_then(|p| p.get(key).ok()));
    if field(b"FT").and_then(|t| t.as_name().ok()) != Some(b"Tx") {
        return None;
    }
    let value = field(b"V").and_then(|v| doc.dereference(v).ok()).and_then(|(_, v)| lopdf::decode_text_string(v).ok())?;
    let value = value.split(['\r', '\n']).map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(value)
}

/// Depth of forms drawn inside forms that is followed.
const MAX_FORM_DEPTH: usize = 8;

/// What form XObjects drawn on one page may cost together.
struct FormReader<'a> {
    doc: &'a Document,
    fonts: &'a Fonts<'a>,
    limit: usize,
    /// Content operations left for this page's forms.
    operations_left: std::cell::Cell<usize>,
}

impl<'a> FormReader<'a> {
    /// The text chunks of the form XObject `name` of `xobjects`, drawn
    /// under `ctm`; nothing for images, unknown names or forms nested past
    /// [`MAX_FORM_DEPTH`]. A form without its own fonts or XObjects uses
    /// those it is drawn with.
    fn chunks(
        &self,
        xobjects: Option<&'a Dictionary>,
        name: &[u8],
        ctm: Matrix,
        fonts: &FontMap<'a>,
        depth: usize,
    ) -> Result<Vec<Chunk>> {
        let doc = self.doc;
        let Some(stream) = xobjects
            .filter(|_| depth < MAX_FORM_DEPTH)
            .and_then(|x| x.get(name).ok())
            .and_then(|o| doc.dereference(o).ok())
            .and_then(|(_, o)| o.as_stream().ok())
            .filter(|s| s.dict.get(b"Subtype").and_then(Object::as_name).is_ok_and(|n| n == b"Form"))
        else {
            return Ok(Vec::new());
        };
        self.form_chunks(stream, xobjects, ctm, fonts, depth)
    }

    /// The text of the page's annotations as they appear (a filled form
    /// field's value, a free-text note): each visible annotation's normal
    /// appearance stream, drawn into its rectangle, as viewers and
    /// pdftotext show them.
    fn annotation_chunks(&self, page: lopdf::ObjectId, xobjects: Option<&'a Dictionary>, fonts: &FontMap<'a>) -> Result<Vec<Chunk>> {
        const HIDDEN: i64 = 2;
        let doc = self.doc;
        let resolve = |o: &'a Object| doc.dereference(o).ok().map(|(_, o)| o);
        let Some(annotations) = doc.get_dictionary(page).ok().and_then(|p| p.get(b"Annots").ok()).and_then(resolve).and_then(|a| a.as_array().ok()) else {
            return Ok(Vec::new());
        };
        let mut chunks = Vec::new();
        for annotation in annotations.iter().take(10_000).filter_map(resolve).filter_map(|a| a.as_dict().ok()) {
            if annotation.get(b"F").and_then(Object::as_i64).is_ok_and(|flags| flags & HIDDEN != 0) {
                continue;
            }
            let Some(normal) = annotation.get(b"AP").ok().and_then(resolve).and_then(|ap| ap.as_dict().ok()).and_then(|ap| ap.get(b"N").ok()).and_then(resolve) else {
                continue;
            };
            // A check box's appearances are a dictionary of states, `AS` the one shown.
            let stream = match normal {
                Object::Stream(stream) => Some(stream),
                Object::Dictionary(states) => annotation.get(b"AS").and_then(Object::as_name).ok().and_then(|s| states.get(s).ok()).and_then(resolve).and_then(|o| o.as_stream().ok()),
                _ => None,
            };
            let corners = |key: &[u8], dict: &Dictionary| dict.get(key).ok().and_then(|o| o.as_array().ok()).filter(|a| a.len() == 4).map(|a| a.iter().map(number).collect::<Vec<_>>());
            let Some([Some(x), Some(y), Some(right), Some(top)]) = corners(b"Rect", annotation).as_deref().map(|r| [r[0], r[1], r[2], r[3]]) else {
                continue;
            };
            let drawn = match stream {
                Some(stream) => {
                    let [bx, by] = corners(b"BBox", &stream.dict).map_or([0.0, 0.0], |b| [b[0].unwrap_or(0.0), b[1].unwrap_or(0.0)]);
                    self.form_chunks(stream, xobjects, [1.0, 0.0, 0.0, 1.0, x - bx, y - by], fonts, 0)?
                }
                None => Vec::new(),
            };
            // A text field whose appearance was left for the viewer to make
            // (LibreOffice's forms set NeedAppearances): its value, as viewers show it.
            match text_field_value(doc, annotation) {
                Some(value) if drawn.iter().all(|c| c.text.trim().is_empty()) => {
                    let size = (top - y).abs().clamp(1.0, 24.0) * 0.8;
                    chunks.push(Chunk { mono: false, x, end: right, y: y + (top - y - size) / 2.0, size, text: value });
                }
                _ => chunks.extend(drawn),
            }
        }
        Ok(chunks)
    }

    /// The text chunks of one form stream drawn under `ctm`.
    fn form_chunks(
        &self,
        stream: &'a lopdf::Stream,
        xobjects: Option<&'a Dictionary>,
        ctm: Matrix,
        fonts: &FontMap<'a>,
        depth: usize,
    ) -> Result<Vec<Chunk>> {
        let doc = self.doc;
        let content = match stream.get_plain_content_with_limit(self.limit) {
            Ok(content) => content,
            Err(e @ lopdf::Error::Decompress(_)) => return Err(pdf_error(e, self.limit)),
            Err(_) => return Ok(Vec::new()),
        };
        let operations = Content::decode(&content).map(|c| c.operations).unwrap_or_default();
        let left = self.operations_left.get();
        if operations.len() > left {
            return Err(Error::limit("PDF content operations per page (forms included)", MAX_OPERATIONS as u64, (MAX_OPERATIONS - left + operations.len()) as u64));
        }
        self.operations_left.set(left - operations.len());
        let matrix = stream.dict.get(b"Matrix").ok().and_then(|o| o.as_array().ok()).filter(|a| a.len() == 6).map(|a| {
            let mut m = IDENTITY;
            for (slot, value) in m.iter_mut().zip(a) {
                *slot = number(value).unwrap_or(0.0);
            }
            m
        });
        let ctm = multiply(&matrix.unwrap_or(IDENTITY), &ctm);
        let resources = stream.dict.get(b"Resources").ok().and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_dict().ok());
        let entry = |key: &[u8]| resources.and_then(|r| r.get(key).ok()).and_then(|o| doc.dereference(o).ok()).and_then(|(_, o)| o.as_dict().ok());
        let own_fonts = match entry(b"Font") {
            Some(dict) => Some(self.fonts.of(dict.iter().filter_map(|(k, v)| Some((k.clone(), doc.dereference(v).ok()?.1.as_dict().ok()?))))?),
            None => None,
        };
        let fonts = own_fonts.as_ref().unwrap_or(fonts);
        let xobjects = entry(b"XObject").or(xobjects);
        interpret(&operations, fonts, ctm, &mut |inner, m| self.chunks(xobjects, inner, m, fonts, depth + 1))
    }
}

fn decode_string(font: &FontInfo<'_>, bytes: &[u8]) -> String {
    let usual = |bytes: &[u8]| match &font.encoding {
        Some(encoding) => encoding.bytes_to_string(bytes).unwrap_or_default(),
        None => bytes.iter().map(|b| char::from(*b)).collect(),
    };
    let text = match &font.builtin {
        Some(builtin) => bytes.iter().map(|b| builtin.get(b).cloned().unwrap_or_else(|| usual(&[*b]))).collect(),
        None => usual(bytes),
    };
    text.chars().filter(|c| !c.is_control() || *c == '\t').collect()
}

/// A line of text: its baseline, size (largest), left edge and text.
#[derive(Debug)]
struct Line {
    y: f32,
    x: f32,
    mono: bool,
    size: f32,
    text: String,
}

/// Chunks into lines, top to bottom, each read left to right.
fn lines(mut chunks: Vec<Chunk>) -> Vec<Line> {
    chunks.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Vec<Chunk>> = Vec::new();
    for chunk in chunks {
        match lines.last_mut() {
            Some(line) if (line[0].y - chunk.y).abs() <= line[0].size.min(chunk.size) * 0.35 => line.push(chunk),
            _ => lines.push(vec![chunk]),
        }
    }
    merge_scripts(&mut lines);
    lines
        .into_iter()
        .map(|mut chunks| {
            chunks.sort_by(|a, b| a.x.total_cmp(&b.x));
            let chunks = without_overstrikes(chunks);
            let base = chunks.iter().fold(&chunks[0], |a, c| if c.size > a.size { c } else { a });
            let (y, x) = (base.y, chunks[0].x);
            let mut text = String::new();
            let mut end: Option<f32> = None;
            for c in &chunks {
                if let Some(e) = end {
                    let gap = c.x - e;
                    if gap > c.size * 0.1 && !text.ends_with(' ') && !c.text.starts_with(' ') {
                        text.push(' ');
                    }
                }
                text.push_str(&c.text);
                end = Some(c.end.max(c.x));
            }
            let size = chunks.iter().map(|c| c.size).fold(0.0, f32::max);
            let mono = chunks.iter().all(|c| c.mono);
            // Code keeps the spaces it is indented with.
            let text = if mono { text.trim_end().to_string() } else { text.trim().to_string() };
            Line { y, x, mono, size, text }
        })
        .filter(|l| !l.text.trim().is_empty())
        .collect()
}

/// Joins each line of superscripts or subscripts (all its chunks smaller
/// than a nearby line's and beside that line's text) to the line it
/// belongs to: a superscript's baseline sits up to about half the base
/// size above, a subscript's up to a third below, which is further than
/// the lines' own grouping tolerates.
fn merge_scripts(lines: &mut Vec<Vec<Chunk>>) {
    let size = |line: &[Chunk]| line.iter().map(|c| c.size).fold(0.0, f32::max);
    let extent = |line: &[Chunk]| line.iter().fold((f32::MAX, f32::MIN), |(lo, hi), c| (lo.min(c.x), hi.max(c.end.max(c.x))));
    let mut i = 0;
    while i < lines.len() {
        let small = size(&lines[i]);
        let (lo, hi) = extent(&lines[i]);
        let y = lines[i][0].y;
        let target = [i.checked_sub(1), Some(i + 1)]
            .into_iter()
            .flatten()
            .filter(|&j| j < lines.len())
            .filter(|&j| {
                let base = size(&lines[j]);
                let (base_lo, base_hi) = extent(&lines[j]);
                let raised = y - lines[j][0].y;
                small < base * 0.9 && raised <= base * 0.55 && raised >= -base * 0.35 && lo >= base_lo - base && hi <= base_hi + base * 2.0 && lo <= base_hi + base * 0.3
            })
            .min_by(|&a, &b| (y - lines[a][0].y).abs().total_cmp(&(y - lines[b][0].y).abs()));
        match target {
            Some(j) => {
                let script = lines.remove(i);
                let j = if j > i { j - 1 } else { j };
                lines[j].extend(script);
                i = i.min(j + 1);
            }
            None => i += 1,
        }
    }
}

/// The chunks of a line (sorted by x) without the copies TeX's poor man's
/// bold draws over the first, a fraction of a point apart: poppler reads
/// such text once.
fn without_overstrikes(chunks: Vec<Chunk>) -> Vec<Chunk> {
    let mut kept: Vec<Chunk> = Vec::with_capacity(chunks.len());
    for c in chunks {
        let near = (c.size * 0.2).min((c.end - c.x).abs() * 0.5);
        let copy = kept.iter().rev().take(8).any(|k| k.text == c.text && (k.x - c.x).abs() < near && (k.y - c.y).abs() < c.size * 0.2);
        if !copy {
            kept.push(c);
        }
    }
    kept
}

/// The body text size: the size most characters are set in.
fn body_size(pages: &[Vec<Line>]) -> f32 {
    let mut counts: HashMap<i32, usize> = HashMap::new();
    for line in pages.iter().flatten() {
        *counts.entry((line.size * 2.0).round() as i32).or_default() += line.text.chars().count();
    }
    counts.into_iter().max_by_key(|(size, n)| (*n, -size)).map_or(11.0, |(size, _)| size as f32 / 2.0)
}

/// Sizes clearly above the body's, largest first: heading levels 1, 2...
fn heading_sizes(pages: &[Vec<Line>], body: f32, metadata: &[Option<&str>]) -> Vec<i32> {
    // The title and author lines at the top of the first page (each once) are not headings.
    let mut unused: Vec<&str> = metadata.iter().flatten().copied().collect();
    let top = pages.first().map_or(0, |p| {
        p.iter()
            .take(3)
            .take_while(|l| match unused.iter().position(|m| *m == l.text) {
                Some(at) => {
                    unused.remove(at);
                    true
                }
                None => false,
            })
            .count()
    });
    let mut sizes: Vec<i32> = pages.iter().flatten().skip(top).filter(|l| l.size >= body * 1.15 && l.text.chars().count() <= 200).map(|l| (l.size * 2.0).round() as i32).collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes.dedup();
    sizes.truncate(6);
    sizes
}

struct Paragraph {
    text: String,
    size: f32,
    /// Left edge of the first line.
    x: f32,
    lines: usize,
    mono: bool,
}

/// Lines into paragraphs: a new one where the gap is larger than the line
/// spacing, the size changes, a list marker starts a line, or a line is
/// code (each code line is its own paragraph: its breaks are kept).
fn paragraphs(lines: Vec<Line>, body: f32) -> Vec<Paragraph> {
    let mut out: Vec<Paragraph> = Vec::new();
    let mut previous: Option<(f32, f32, f32)> = None;
    for line in lines {
        let starts_new = match previous {
            None => true,
            Some((y, size, x)) => {
                let gap = y - line.y;
                gap > size.max(line.size) * 1.6 || gap < 0.0 || (size - line.size).abs() > 0.5 || marker(&line.text).is_some() || (line.x - x).abs() > body * 3.0 || line.mono || out.last().is_some_and(|p| p.mono)
            }
        };
        match out.last_mut() {
            Some(p) if !starts_new => {
                if p.text.ends_with('-') && line.text.starts_with(|c: char| c.is_lowercase()) {
                    p.text.pop();
                } else {
                    p.text.push(' ');
                }
                p.text.push_str(&line.text);
                p.lines += 1;
            }
            _ => out.push(Paragraph { text: line.text.clone(), size: line.size, x: line.x, lines: 1, mono: line.mono }),
        }
        previous = Some((line.y, line.size, line.x));
    }
    // Code lines get back their indentation, in character widths from the block's left edge.
    let mut i = 0;
    while i < out.len() {
        let run = out[i..].iter().take_while(|p| p.mono).count();
        if run > 0 {
            let left = out[i..i + run].iter().map(|p| p.x).fold(f32::INFINITY, f32::min);
            for p in &mut out[i..i + run] {
                let spaces = ((p.x - left) / (p.size * 0.6).max(0.1)).round() as usize;
                p.text.insert_str(0, &" ".repeat(spaces.min(200)));
            }
        }
        i += run.max(1);
    }
    out
}

/// A list marker at the start of a line: bullet, or number with its value.
fn marker(text: &str) -> Option<Option<u64>> {
    let first = text.split_whitespace().next()?;
    if matches!(first, "•" | "◦" | "▪" | "-" | "–" | "*" | "·") && text.len() > first.len() {
        return Some(None);
    }
    let digits = first.strip_suffix(['.', ')'])?;
    (text.len() > first.len() && !digits.is_empty() && digits.len() <= 4).then(|| digits.parse().ok()).flatten().map(Some)
}

fn strip_marker(text: &str) -> &str {
    let first = text.split_whitespace().next().unwrap_or("");
    text.trim_start()[first.len()..].trim_start()
}

/// The x positions list markers start at (their left edges: markers of one
/// level line up on the left in word processors' output, and within a
/// few points in ours, which aligns them on the right), clustered: level 0, 1...
fn list_indents(pages: &[Vec<Paragraph>]) -> Vec<f32> {
    let mut xs: Vec<f32> = pages.iter().flatten().filter(|p| marker(&p.text).is_some()).map(|p| p.x).collect();
    xs.sort_by(f32::total_cmp);
    let mut levels: Vec<f32> = Vec::new();
    for x in xs {
        if levels.last().is_none_or(|l| x - l > 4.0) {
            levels.push(x);
        }
    }
    levels
}

fn classify(p: &Paragraph, heading_sizes: &[i32], indents: &[f32]) -> Kind {
    let key = (p.size * 2.0).round() as i32;
    if p.lines <= 3 && p.text.chars().count() <= 200 {
        if let Some(level) = heading_sizes.iter().position(|s| *s == key) {
            return Kind::Heading(level as u8 + 1);
        }
    }
    if p.mono {
        return Kind::Code;
    }
    match marker(&p.text) {
        Some(number) => {
            let level = indents.iter().rposition(|x| *x <= p.x + 4.0).unwrap_or(0);
            Kind::marked_item(level.min(fileconv_core::document::flow::MAX_LEVEL), number, fileconv_core::Numbering::Decimal)
        }
        None => Kind::Normal,
    }
}



#[cfg(test)]
mod tests {
    use super::*;
    use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};

    /// A one-page PDF drawing `content` with two fonts: `F1`, an embedded
    /// Type 1 font whose program encodes codes 13 and 59 as gamma and comma
    /// (as TeX's math italic does) and whose dictionary names no encoding,
    /// and `F2`, Helvetica in WinAnsiEncoding.
    fn one_page_pdf(content: &[u8]) -> Vec<u8> {
        let mut doc = Document::with_version("1.4");
        let program = b"%!PS-AdobeFont-1.0: CMMI10\n/Encoding 256 array\n0 1 255 {1 index exch /.notdef put} for\ndup 13 /gamma put\ndup 59 /comma put\ndup 120 /x put\nreadonly def\ncurrentfile eexec\n".to_vec();
        let clear = program.len() as i64;
        let mut file = lopdf::Stream::new(Dictionary::new(), program);
        file.dict.set("Length1", Object::Integer(clear));
        let file = doc.add_object(file);
        let mut descriptor = Dictionary::new();
        descriptor.set("Type", Object::Name(b"FontDescriptor".to_vec()));
        descriptor.set("FontName", Object::Name(b"CMMI10".to_vec()));
        descriptor.set("FontFile", Object::Reference(file));
        let descriptor = doc.add_object(descriptor);
        let mut font = Dictionary::new();
        font.set("Type", Object::Name(b"Font".to_vec()));
        font.set("Subtype", Object::Name(b"Type1".to_vec()));
        font.set("BaseFont", Object::Name(b"CMMI10".to_vec()));
        font.set("FontDescriptor", Object::Reference(descriptor));
        let font = doc.add_object(font);
        let mut fonts = Dictionary::new();
        fonts.set("F1", Object::Reference(font));
        let mut helvetica = Dictionary::new();
        helvetica.set("Type", Object::Name(b"Font".to_vec()));
        helvetica.set("Subtype", Object::Name(b"Type1".to_vec()));
        helvetica.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
        helvetica.set("Encoding", Object::Name(b"WinAnsiEncoding".to_vec()));
        fonts.set("F2", Object::Reference(doc.add_object(helvetica)));
        let mut resources = Dictionary::new();
        resources.set("Font", Object::Dictionary(fonts));
        let content = doc.add_object(lopdf::Stream::new(Dictionary::new(), content.to_vec()));
        let pages = doc.new_object_id();
        let mut page = Dictionary::new();
        page.set("Type", Object::Name(b"Page".to_vec()));
        page.set("Parent", Object::Reference(pages));
        page.set("MediaBox", Object::Array([0, 0, 612, 792].map(Object::Integer).to_vec()));
        page.set("Resources", Object::Dictionary(resources));
        page.set("Contents", Object::Reference(content));
        let page = doc.add_object(page);
        let mut tree = Dictionary::new();
        tree.set("Type", Object::Name(b"Pages".to_vec()));
        tree.set("Kids", Object::Array(vec![Object::Reference(page)]));
        tree.set("Count", Object::Integer(1));
        doc.objects.insert(pages, Object::Dictionary(tree));
        let mut catalog = Dictionary::new();
        catalog.set("Type", Object::Name(b"Catalog".to_vec()));
        catalog.set("Pages", Object::Reference(pages));
        let catalog = doc.add_object(catalog);
        doc.trailer.set("Root", Object::Reference(catalog));
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// The text of the first paragraph `content` draws.
    fn first_paragraph(content: &[u8]) -> String {
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let Value::Document(doc) = decode_bytes(&one_page_pdf(content), &ctx).unwrap() else { panic!("a document") };
        fileconv_core::plain_text(match &doc.blocks[0] { Block::Paragraph(i) => i, other => panic!("{other:?}") })
    }

    #[test]
    fn an_embedded_font_programs_own_encoding_is_read() {
        // StandardEncoding would give a control character and a semicolon.
        assert_eq!(first_paragraph(b"BT /F1 12 Tf 72 700 Td <0D783B78> Tj ET"), "γx,x");
    }

    #[test]
    fn q_and_cap_q_save_and_restore_the_font() {
        // TikZ's way: a label set in F1 inside q...Q, then text with no Tf of its own.
        let content = b"BT /F2 12 Tf 72 700 Td (a) Tj ET q BT /F1 12 Tf 72 680 Td (x) Tj ET Q BT 78.7 700 Td (;) Tj ET";
        assert_eq!(first_paragraph(content), "a;");
    }

    #[test]
    fn superscripts_and_subscripts_join_their_line() {
        // R, a raised 7-point n, then an x with a lowered 1 (no Widths: each glyph half an em).
        let content = b"BT /F2 10 Tf 72 700 Td (R) Tj ET BT /F2 7 Tf 77.1 704 Td (n) Tj ET BT /F2 10 Tf 82 700 Td (and x) Tj ET BT /F2 7 Tf 107.1 697.5 Td (1) Tj ET";
        assert_eq!(first_paragraph(content), "Rn and x1");
    }

    #[test]
    fn overstruck_bold_is_read_once() {
        let content = b"BT /F2 10 Tf 72 700 Td (1.) Tj ET BT /F2 10 Tf 72.3 700 Td (1.) Tj ET BT /F2 10 Tf 72.6 700 Td (1.) Tj ET BT /F2 10 Tf 84 700 Td (Text) Tj ET";
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let Value::Document(doc) = decode_bytes(&one_page_pdf(content), &ctx).unwrap() else { panic!("a document") };
        // One item numbered 1, not "1. 1. 1. Text".
        let [Block::List { start: 1, items, .. }] = &doc.blocks[..] else { panic!("{:?}", doc.blocks) };
        assert!(matches!(&items[..], [item] if matches!(&item[..], [Block::Paragraph(text)] if fileconv_core::plain_text(text) == "Text")), "{items:?}");
    }
}
