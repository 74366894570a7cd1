//! XLSX and XLSM, read by our own SpreadsheetML reader. The workbook's small
//! parts (workbook, relationships, styles, shared strings) are parsed with
//! quick-xml; the worksheets, which are nearly all of the work, with a scanner
//! that knows only `<row>` and `<c>` and finds them with memchr, while a
//! second thread inflates the next megabyte. calamine's general XML path
//! spent 85% of an XLSX-to-CSV conversion parsing (6x faster than ssconvert
//! on 200,000 rows, short of the 10x target); this reader is several times
//! faster on the same file.

use std::collections::HashMap;
use std::io::{Read, Seek};
use std::sync::mpsc;

use fileconv_core::{Cell, CellBudget, Context, DateTime, Error, Input, ReadSeek, Result, RowOut, SheetInfo, Table, TableSource, Unread, Value};
use fileconv_zip::zip::ZipArchive;
use memchr::memmem;
use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::rows::RowBuilder;

/// The first `byte` in `hay`, by a plain loop: the spans searched inside a
/// cell (a tag's attributes, a `<v>` value) are a few bytes, where memchr's
/// call and dispatch cost more than the search (they were a third of the
/// scanning thread's time on 2 million cells).
#[inline(always)]
fn find_near(hay: &[u8], byte: u8) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

/// [`find_near`] for a span that may be long (the end of a tag, of a
/// cell's body): its first [`NEAR`] bytes one by one, then memchr, so that
/// a long text or a forged tag of megabytes still goes at memchr's speed.
#[inline(always)]
fn find_near_or_far(hay: &[u8], byte: u8) -> Option<usize> {
    let near = &hay[..hay.len().min(NEAR)];
    match find_near(near, byte) {
        Some(i) => Some(i),
        None if hay.len() > NEAR => memchr::memchr(byte, &hay[NEAR..]).map(|i| NEAR + i),
        None => None,
    }
}

/// Bytes [`find_near_or_far`] looks at one by one.
const NEAR: usize = 64;
/// Longest start tag [`plain_cell`] reads (Excel's own are under 40 bytes).
const PLAIN_TAG: usize = 256;

/// Where the `</c>` that ends a cell's body starts.
#[inline]
fn find_cell_end(body: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(i) = find_near_or_far(&body[at..], b'<').map(|i| at + i) {
        if body[i + 1..].starts_with(b"/c>") {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Bytes inflated per step.
const CHUNK: usize = 1 << 20;
/// Room left before each inflated chunk for the unscanned end of the one
/// before (an element cut by the chunk's end), so that the scanner reads
/// both as one slice without copying the chunk.
const HEADROOM: usize = 64 << 10;
/// Longest single element (a cell with its text) the scanner accepts.
const MAX_ELEMENT: usize = 64 << 20;
/// Widths wider than this are not trusted: a writer pads every row to the
/// width, and a forged `<dimension ref="A1:XFD1"/>` would make each row 16,384 fields.
pub const MAX_DECLARED_WIDTH: u32 = 1024;

struct XlsxSource {
    zip: ZipArchive<Box<dyn ReadSeek>>,
    format: &'static str,
    paths: Vec<String>,
    strings: Vec<String>,
    /// Per cell style (`s`): whether its number format shows a date or time.
    date_styles: Vec<bool>,
    date1904: bool,
    budget: CellBudget,
    /// Formulas (counted by the scanner), drawings and comments of the sheets read.
    unread: Unread,
}

/// Opens an XLSX or XLSM workbook as a [`Table`].
///
/// # Errors
/// [`Error::InvalidInput`] for a broken zip or part; [`Error::LimitExceeded`]
/// for a zip past the limits.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str) -> Result<Value> {
    let pages = fileconv_core::document::deferred::LazyPages::from_input(&input, ctx, crate::pages::xlsx::read)?;
    let mut zip = fileconv_zip::open(input.open()?, ctx.limits, format)?;
    let invalid = |what: &str, e: &dyn std::fmt::Display| Error::invalid_input(format, format!("{what}: {e}"));
    let part = |zip: &mut ZipArchive<Box<dyn ReadSeek>>, name: &str| fileconv_zip::read_optional(zip, name, format);
    let Workbook { base, names, paths, date1904 } = locate(&mut zip, format)?;
    let strings = match part(&mut zip, &format!("{base}sharedStrings.xml"))? {
        Some(xml) => shared_strings(&xml).map_err(|e| invalid("sharedStrings.xml", &e))?,
        None => Vec::new(),
    };
    let date_styles = match part(&mut zip, &format!("{base}styles.xml"))? {
        Some(xml) => date_styles(&xml).map_err(|e| invalid("styles.xml", &e))?,
        None => Vec::new(),
    };
    let mut infos = Vec::new();
    for (name, path) in names.into_iter().zip(&paths) {
        infos.push(SheetInfo { name, columns: declared_width(&mut zip, path) });
    }
    let source = XlsxSource { zip, format, paths, strings, date_styles, date1904, budget: CellBudget::new(ctx.limits), unread: Unread::default() };
    let mut table = Table::new(infos, Box::new(source));
    table.pages = Some(pages);
    Ok(Value::Table(table))
}

/// Where a workbook's parts are: its folder, its worksheets (hidden ones
/// too) by name and path, in order, and whether dates count from 1904.
pub(crate) struct Workbook {
    pub base: String,
    pub names: Vec<String>,
    pub paths: Vec<String>,
    pub date1904: bool,
}

/// Finds the workbook part from the package's relationships, then its sheets.
///
/// # Errors
/// [`Error::InvalidInput`] for an encrypted workbook, a missing or broken
/// workbook part, or one without worksheets.
pub(crate) fn locate<R: std::io::Read + std::io::Seek>(zip: &mut ZipArchive<R>, format: &str) -> Result<Workbook> {
    let invalid = |what: &str, e: &dyn std::fmt::Display| Error::invalid_input(format, format!("{what}: {e}"));
    let part = |zip: &mut ZipArchive<R>, name: &str| fileconv_zip::read_optional(zip, name, format);
    if zip.index_for_name("EncryptedPackage").is_some() {
        return Err(Error::invalid_input(format, "the workbook is encrypted"));
    }
    let workbook_path = part(zip, "_rels/.rels")?
        .and_then(|rels| relationships(&rels).ok())
        .and_then(|r| r.into_values().find(|(kind, _)| kind.ends_with("/officeDocument")).map(|(_, target)| target.trim_start_matches('/').to_string()))
        .unwrap_or_else(|| "xl/workbook.xml".to_string());
    let base = workbook_path.rsplit_once('/').map_or(String::new(), |(dir, _)| format!("{dir}/"));
    let rels_path = format!("{base}_rels/{}.rels", workbook_path.rsplit('/').next().unwrap_or_default());
    let workbook = part(zip, &workbook_path)?.ok_or_else(|| Error::invalid_input(format, format!("no {workbook_path}")))?;
    let rels = relationships(&part(zip, &rels_path)?.ok_or_else(|| Error::invalid_input(format, format!("no {rels_path}")))?)
        .map_err(|e| invalid(&rels_path, &e))?;
    let (sheets, date1904) = workbook_sheets(&workbook).map_err(|e| invalid(&workbook_path, &e))?;
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for (name, id) in sheets {
        let Some((kind, target)) = rels.get(&id) else { continue };
        if !kind.ends_with("/worksheet") {
            continue;
        }
        let path = match target.strip_prefix('/') {
            Some(absolute) => absolute.to_string(),
            None => format!("{base}{target}"),
        };
        names.push(name);
        paths.push(path);
    }
    if names.is_empty() {
        return Err(Error::invalid_input(format, "the workbook has no worksheet"));
    }
    Ok(Workbook { base, names, paths, date1904 })
}

fn xml_error(e: impl std::fmt::Display) -> String {
    e.to_string()
}

use fileconv_zip::xml::attr;

/// Relationship id to (type, target).
pub(crate) fn relationships(xml: &[u8]) -> std::result::Result<HashMap<String, (String, String)>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut map = HashMap::new();
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id")?, attr(&e, "Target")?) {
                    map.insert(id, (attr(&e, "Type")?.unwrap_or_default(), target));
                }
            }
            Event::Eof => return Ok(map),
            _ => {}
        }
    }
}

/// The sheets (name, relationship id) in order, and whether dates count from 1904.
fn workbook_sheets(xml: &[u8]) -> std::result::Result<(Vec<(String, String)>, bool), String> {
    let mut reader = Reader::from_reader(xml);
    let mut sheets = Vec::new();
    let mut date1904 = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sheet" => {
                    let id = e
                        .attributes()
                        .filter_map(|a| a.ok())
                        .find(|a| a.key.local_name().as_ref() == "id")
                        .map(|a| a.normalized_value(XmlVersion::Implicit1_0).map(|v| v.into_owned()))
                        .transpose()
                        .map_err(xml_error)?;
                    if let (Some(name), Some(id)) = (attr(&e, "name")?, id) {
                        sheets.push((name, id));
                    }
                }
                "workbookPr" => date1904 = matches!(attr(&e, "date1904")?.as_deref(), Some("1" | "true")),
                _ => {}
            },
            Event::Eof => return Ok((sheets, date1904)),
            _ => {}
        }
    }
}

/// The shared strings: each `<si>`'s text runs, phonetic runs left out.
pub(crate) fn shared_strings(xml: &[u8]) -> std::result::Result<Vec<String>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut strings = Vec::new();
    let mut current = String::new();
    let (mut in_t, mut in_phonetic) = (false, false);
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) => match e.local_name().as_ref() {
                "si" => current.clear(),
                "t" => in_t = true,
                "rPh" => in_phonetic = true,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "si" => strings.push(std::mem::take(&mut current)),
                "t" => in_t = false,
                "rPh" => in_phonetic = false,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "si" => strings.push(String::new()),
            Event::Text(t) if in_t && !in_phonetic => current.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) if in_t && !in_phonetic => current.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) if in_t && !in_phonetic => fileconv_zip::xml::push_reference(&r, &mut current)?,
            Event::Eof => return Ok(strings),
            _ => {}
        }
    }
}

/// For each cell format (`cellXfs`), whether its number format is a date or time.
fn date_styles(xml: &[u8]) -> std::result::Result<Vec<bool>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut custom: HashMap<u32, bool> = HashMap::new();
    let mut styles = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        match reader.read_event().map_err(xml_error)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    if let (Some(id), Some(code)) = (attr(&e, "numFmtId")?, attr(&e, "formatCode")?) {
                        custom.insert(id.parse().unwrap_or(u32::MAX), crate::pages::number_format::is_date(&code));
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs => {
                    let id: u32 = attr(&e, "numFmtId")?.and_then(|v| v.parse().ok()).unwrap_or(0);
                    styles.push(custom.get(&id).copied().unwrap_or_else(|| is_builtin_date(id)));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Event::Eof => return Ok(styles),
            _ => {}
        }
    }
}

/// The built-in number formats that show dates or times (ECMA-376 18.8.30).
fn is_builtin_date(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}


/// The width a worksheet's `<dimension ref="A1:J6"/>` declares, read from
/// the part's first 64 KB.
fn declared_width(zip: &mut ZipArchive<Box<dyn ReadSeek>>, path: &str) -> Option<u32> {
    let mut head = Vec::new();
    zip.by_name(path).ok()?.take(64 << 10).read_to_end(&mut head).ok()?;
    let at = memmem::find(&head, b"<dimension ref=\"")? + 16;
    let end = at + memchr::memchr(b'"', &head[at..])?;
    let last = std::str::from_utf8(&head[at..end]).ok()?.rsplit(':').next()?;
    let (_, col) = cell_ref(last.as_bytes())?;
    let width = col.checked_add(1)?;
    (width <= MAX_DECLARED_WIDTH).then_some(width)
}

/// A decimal number in ASCII digits, blanks around it allowed: what
/// `str::parse::<u32>` reads of such text, without the UTF-8 check.
fn ascii_u32(text: &[u8]) -> Option<u32> {
    let digits = text.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &b| if b.is_ascii_digit() { n.checked_mul(10)?.checked_add(u32::from(b - b'0')) } else { None })
}

/// `B12` to (row 11, column 1); the row is `None` when absent (`B`).
fn cell_ref(r: &[u8]) -> Option<(Option<u32>, u32)> {
    let letters = r.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].iter().fold(0u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)) - 1;
    let digits = &r[letters..];
    let row = if digits.is_empty() { None } else { Some(ascii_u32(digits)?.checked_sub(1)?) };
    Some((row, col))
}

impl TableSource for XlsxSource {
    fn read_sheet(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        let format = self.format;
        let path = self.paths[index].clone();
        let mut entry = self.zip.by_name(&path).map_err(|e| Error::invalid_input(format, format!("{path}: {e}")))?;
        let mut scanner = Scanner {
            strings: &self.strings,
            date_styles: &self.date_styles,
            date1904: self.date1904,
            format,
            row: None,
            next_col: 0,
            formulas: 0,
        };
        let mut rows = RowBuilder::new(format, &mut self.budget);
        // Inflate on a second thread, a megabyte ahead of the scanner.
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
            scope.spawn(move || loop {
                let mut chunk = Vec::with_capacity(HEADROOM + CHUNK);
                chunk.resize(HEADROOM, 0);
                match (&mut entry).take(CHUNK as u64).read_to_end(&mut chunk) {
                    Ok(0) => break,
                    Ok(_) => {
                        if tx.send(Ok(chunk)).is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        break;
                    }
                }
            });
            // What the last scan left: the start of an element the chunk cut.
            let mut tail: Vec<u8> = Vec::new();
            let mut done = false;
            // Writers that spell the main namespace with a prefix (`<x:c>`)
            // get it taken off, so the scanner sees `<c>`.
            let mut prefix: Option<Option<Vec<u8>>> = None;
            let mut carry = Vec::new();
            for chunk in rx {
                let mut chunk = chunk.map_err(|e| Error::invalid_input(format, format!("{path}: {e}")))?;
                let prefix = prefix.get_or_insert_with(|| element_prefix(&chunk[HEADROOM..], b"worksheet"));
                let used = match prefix {
                    Some(p) => {
                        strip_element_prefix(&mut carry, &chunk[HEADROOM..], p, &mut tail);
                        scanner.scan(&tail, &mut rows, sink, &mut done)?
                    }
                    // The tail goes in front of the chunk, in the room left for it.
                    None if tail.len() <= HEADROOM => {
                        let from = HEADROOM - tail.len();
                        chunk[from..HEADROOM].copy_from_slice(&tail);
                        let text = &chunk[from..];
                        let used = scanner.scan(text, &mut rows, sink, &mut done)?;
                        tail.clear();
                        tail.extend_from_slice(&text[used..]);
                        0
                    }
                    None => {
                        tail.extend_from_slice(&chunk[HEADROOM..]);
                        scanner.scan(&tail, &mut rows, sink, &mut done)?
                    }
                };
                tail.drain(..used);
                if done {
                    break;
                }
                if tail.len() > MAX_ELEMENT {
                    return Err(Error::limit("xlsx element (bytes)", MAX_ELEMENT as u64, tail.len() as u64));
                }
            }
            Ok(())
        })?;
        self.unread.formulas += scanner.formulas;
        rows.flush(sink)?;
        let (drawings, comments) = placed_objects(&mut self.zip, &path, format);
        self.unread.drawings += drawings;
        self.unread.comments += comments;
        Ok(())
    }

    fn unread(&mut self, _formulas: bool) -> Unread {
        self.unread
    }
}

/// The objects a worksheet's relationships attach to it: the anchored
/// charts, shapes and pictures of its drawing, and its cells' comments
/// (legacy notes and threaded comments' notes alike). Parts that cannot be
/// read count as none.
fn placed_objects<R: Read + Seek>(zip: &mut ZipArchive<R>, sheet_path: &str, format: &str) -> (u64, u64) {
    let (dir, file) = sheet_path.rsplit_once('/').unwrap_or(("", sheet_path));
    let Ok(Some(rels)) = fileconv_zip::read_optional(zip, &format!("{dir}/_rels/{file}.rels"), format) else { return (0, 0) };
    let Ok(relations) = relationships(&rels) else { return (0, 0) };
    let (mut drawings, mut comments) = (0, 0);
    for (kind, target) in relations.values() {
        let counted = if kind.ends_with("/drawing") {
            &mut drawings
        } else if kind.ends_with("/comments") {
            &mut comments
        } else {
            continue;
        };
        let part = fileconv_zip::resolve(dir, target);
        let Ok(Some(xml)) = fileconv_zip::read_optional(zip, &part, format) else { continue };
        let mut reader = Reader::from_reader(xml.as_slice());
        let mut depth = 0usize;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) => {
                    depth += 1;
                    // The drawing's anchors are the root's children; the comments are in its list.
                    let name = e.local_name();
                    if (depth == 2 && name.as_ref().ends_with("Anchor")) || name.as_ref() == "comment" {
                        *counted += 1;
                    }
                }
                Ok(Event::Empty(e)) if depth == 1 && e.local_name().as_ref().ends_with("Anchor") => *counted += 1,
                Ok(Event::End(_)) => depth = depth.saturating_sub(1),
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    (drawings, comments)
}

/// The namespace prefix of the first `<prefix:name` element, when there is one.
fn element_prefix(xml: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    let mut needle = b":".to_vec();
    needle.extend_from_slice(name);
    let at = memmem::find(xml, &needle)?;
    let open = memchr::memrchr(b'<', &xml[..at])?;
    let prefix = &xml[open + 1..at];
    (!prefix.is_empty() && prefix.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')).then(|| prefix.to_vec())
}

/// Appends `chunk` to `out` with `<prefix:` and `</prefix:` made `<` and
/// `</`; a tag cut at the chunk's end waits in `carry` for the next chunk.
fn strip_element_prefix(carry: &mut Vec<u8>, chunk: &[u8], prefix: &[u8], out: &mut Vec<u8>) {
    carry.extend_from_slice(chunk);
    let keep_from = match memchr::memrchr(b'<', carry) {
        Some(i) if carry.len() - i < prefix.len() + 3 => i,
        _ => carry.len(),
    };
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &carry[at..keep_from]).map(|i| at + i) {
        out.extend_from_slice(&carry[at..=i]);
        let after = i + 1 + usize::from(carry.get(i + 1) == Some(&b'/'));
        out.extend_from_slice(&carry[i + 1..after]);
        at = after;
        if carry[at..].starts_with(prefix) && carry.get(at + prefix.len()) == Some(&b':') {
            at += prefix.len() + 1;
        }
    }
    out.extend_from_slice(&carry[at..keep_from]);
    carry.drain(..keep_from);
}

/// The worksheet scanner's state between chunks.
struct Scanner<'a> {
    strings: &'a [String],
    date_styles: &'a [bool],
    date1904: bool,
    format: &'static str,
    /// The current row (0-based), once a `<row>` was seen.
    row: Option<u32>,
    /// The column a cell without `r` takes.
    next_col: u32,
    /// Cells with a formula (`<f>`), whose cached values are read.
    formulas: u64,
}

impl Scanner<'_> {
    /// Scans the complete elements in `buf`; returns how many bytes were used.
    /// Sets `done` at `</sheetData>`.
    fn scan(&mut self, buf: &[u8], rows: &mut RowBuilder<'_>, sink: &mut RowOut<'_>, done: &mut bool) -> Result<usize> {
        let mut at = 0;
        // Elements follow each other without text between them in nearly
        // every sheet: the next byte is the next tag's.
        while let Some(offset) = if buf.get(at) == Some(&b'<') { Some(0) } else { memchr::memchr(b'<', &buf[at.min(buf.len())..]) } {
            let start = at + offset;
            if let Some((used, parts)) = plain_cell(&buf[start..]) {
                self.put_cell(parts, rows, sink)?;
                at = start + used;
                continue;
            }
            let rest = &buf[start + 1..];
            let Some(tag_end) = find_near_or_far(rest, b'>').map(|i| start + 1 + i) else { return Ok(start) };
            let tag = &buf[start + 1..tag_end];
            // A closing tag's name starts with its '/'.
            let name_len = tag.iter().skip(1).position(|b| b.is_ascii_whitespace() || *b == b'/').map_or(tag.len(), |p| p + 1);
            match &tag[..name_len] {
                b"c" => {
                    let Some((end, parts)) = cell_element(buf, tag_end, &tag[name_len..]) else { return Ok(start) };
                    self.put_cell(parts, rows, sink)?;
                    at = end;
                    continue;
                }
                b"row" => {
                    let r = attribute(&tag[name_len..], b"r").and_then(ascii_u32);
                    let row = match (r, self.row) {
                        (Some(r), _) if r >= 1 => r - 1,
                        (_, Some(prev)) => prev + 1,
                        (_, None) => 0,
                    };
                    self.row = Some(row);
                    self.next_col = 0;
                }
                b"/sheetData" => {
                    *done = true;
                    return Ok(tag_end + 1);
                }
                _ => {}
            }
            at = tag_end + 1;
        }
        Ok(buf.len())
    }

    fn put_cell(&mut self, parts: CellParts<'_>, rows: &mut RowBuilder<'_>, sink: &mut RowOut<'_>) -> Result<()> {
        let CellParts { reference, kind, style, value, body, formula } = parts;
        let (row, col) = match reference.and_then(cell_ref) {
            Some((Some(row), col)) => (row, col),
            Some((None, col)) => (self.row.unwrap_or(0), col),
            None => (self.row.unwrap_or(0), self.next_col),
        };
        self.next_col = col + 1;
        let kind = kind.unwrap_or(b"n");
        self.formulas += u64::from(formula);
        let cell = match kind {
            b"inlineStr" => Cell::String(inline_text(body)),
            _ if value.is_none() => Cell::Empty,
            b"s" => {
                let text = value.unwrap_or_default();
                let index = ascii_u32(text).ok_or_else(|| self.bad("a shared string index", text))?;
                let s = self.strings.get(index as usize).ok_or_else(|| self.bad("a shared string index", text))?;
                Cell::String(s.clone())
            }
            b"b" => Cell::Bool(value == Some(b"1") || value == Some(b"true")),
            b"e" => Cell::Error(unescape(value.unwrap_or_default())),
            b"str" => Cell::String(unescape(value.unwrap_or_default())),
            b"d" => {
                let text = unescape(value.unwrap_or_default());
                DateTime::parse_iso(&text).map_or(Cell::String(text), Cell::DateTime)
            }
            _ => {
                let text = value.unwrap_or_default();
                let number: f64 = std::str::from_utf8(text).ok().and_then(|t| t.trim().parse().ok()).ok_or_else(|| self.bad("a number", text))?;
                let style = style.and_then(ascii_u32).unwrap_or(0);
                if self.date_styles.get(style as usize).copied().unwrap_or(false) {
                    let serial = if self.date1904 { number + 1462.0 } else { number };
                    DateTime::from_serial(serial).map_or(Cell::number(number), Cell::DateTime)
                } else {
                    Cell::number(number)
                }
            }
        };
        rows.put(row, col, cell, sink)
    }

    fn bad(&self, what: &str, text: &[u8]) -> Error {
        Error::invalid_input(self.format, format!("'{}' is not {what}", String::from_utf8_lossy(&text[..text.len().min(40)])))
    }
}

/// What a cell element says, as the scanner found it.
#[derive(Debug, Default, PartialEq)]
struct CellParts<'a> {
    /// `r`: its reference (`B2`).
    reference: Option<&'a [u8]>,
    /// `t`: its type (`n` when absent).
    kind: Option<&'a [u8]>,
    /// `s`: its style's index.
    style: Option<&'a [u8]>,
    /// The raw text of its `<v>`.
    value: Option<&'a [u8]>,
    /// Everything between its tags (read for inline strings).
    body: &'a [u8],
    /// Whether its body holds a formula.
    formula: bool,
}

impl<'a> CellParts<'a> {
    fn attribute(&mut self, key: &[u8], value: &'a [u8]) {
        match key {
            b"r" => self.reference = Some(value),
            b"t" => self.kind = Some(value),
            b"s" => self.style = Some(value),
            _ => {}
        }
    }
}

/// The cell whose start tag ends at `buf[tag_end]`, `attrs` being that
/// tag's text after its name; with the end of the element. `None` when the
/// element does not end in `buf`.
fn cell_element<'a>(buf: &'a [u8], tag_end: usize, attrs: &'a [u8]) -> Option<(usize, CellParts<'a>)> {
    let (end, body) = if attrs.last() == Some(&b'/') {
        (tag_end + 1, &[][..])
    } else {
        let end = tag_end + find_cell_end(&buf[tag_end..])? + 4;
        (end, &buf[tag_end + 1..end - 4])
    };
    let mut parts = CellParts { body, formula: body.windows(2).any(|pair| pair == b"<f"), value: element_text(body, b"v"), ..CellParts::default() };
    for_each_attribute(attrs, |key, value| parts.attribute(key, value));
    Some((end, parts))
}

/// A cell written as nearly every writer writes one, read in one pass:
/// `<c` and attributes `name="value"` then `/>`, or `>` then
/// `<v>text</v></c>`; with the bytes it takes. `None` for any other form,
/// or one `buf` cuts short: the general reading then reads it, and reads
/// this form the same way (a test holds the two to each other).
#[inline]
fn plain_cell(buf: &[u8]) -> Option<(usize, CellParts<'_>)> {
    // A start tag longer than this is left to the general reading, which
    // searches long spans at memchr's speed.
    let tag = &buf[..buf.len().min(PLAIN_TAG)];
    if tag.get(1) != Some(&b'c') || !tag.get(2)?.is_ascii_whitespace() {
        return None;
    }
    let mut parts = CellParts::default();
    let mut at = 3;
    loop {
        while tag.get(at)?.is_ascii_whitespace() {
            at += 1;
        }
        match tag[at] {
            b'>' => break,
            b'/' => return (tag.get(at + 1)? == &b'>').then_some((at + 2, parts)),
            _ => {}
        }
        let name_end = at + tag[at..].iter().position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-')))?;
        let quote = *tag.get(name_end + 1)?;
        if name_end == at || tag[name_end] != b'=' || !matches!(quote, b'"' | b'\'') {
            return None;
        }
        let value_start = name_end + 2;
        let value_end = value_start + tag[value_start..].iter().position(|&b| b == quote || b == b'>' || b == b'<')?;
        if tag[value_end] != quote {
            return None;
        }
        parts.attribute(&tag[at..name_end], &tag[value_start..value_end]);
        at = value_end + 1;
        if !matches!(tag.get(at)?, b'>' | b'/') && !tag[at].is_ascii_whitespace() {
            return None;
        }
    }
    let body_start = at + 1;
    let text_start = body_start + 3;
    if buf.get(body_start..text_start)? != b"<v>" {
        return None;
    }
    let text_end = text_start + find_near_or_far(&buf[text_start..], b'<')?;
    let end = text_end + b"</v></c>".len();
    if buf.get(text_end..end)? != b"</v></c>" {
        return None;
    }
    parts.value = Some(&buf[text_start..text_end]);
    parts.body = &buf[body_start..end - 4];
    Some((end, parts))
}

/// Calls `f` with each attribute of a tag's attribute text (` r="B2" s="1"`).
fn for_each_attribute<'a>(attrs: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8])) {
    let mut at = 0;
    loop {
        while attrs.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        let Some(eq) = find_near(&attrs[at.min(attrs.len())..], b'=').map(|e| at + e) else { return };
        let key = attrs[at..eq].trim_ascii_end();
        let mut v = eq + 1;
        while attrs.get(v).is_some_and(|b| b.is_ascii_whitespace()) {
            v += 1;
        }
        let Some(&quote) = attrs.get(v).filter(|q| **q == b'"' || **q == b'\'') else { return };
        let Some(end) = find_near(&attrs[v + 1..], quote).map(|e| v + 1 + e) else { return };
        f(key, &attrs[v + 1..end]);
        at = end + 1;
    }
}

/// The value of attribute `name` in a tag's attribute text.
fn attribute<'a>(attrs: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut found = None;
    for_each_attribute(attrs, |key, value| {
        if found.is_none() && key == name {
            found = Some(value);
        }
    });
    found
}

/// The raw text of the first `<name>...</name>` (or `<name attr...>`) in `body`.
fn element_text<'a>(body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut at = 0;
    while let Some(i) = find_near(&body[at..], b'<').map(|i| at + i) {
        let after = &body[i + 1..];
        if after.starts_with(name) {
            let next = after.get(name.len()).copied();
            if next == Some(b'>') || next.is_some_and(|b| b.is_ascii_whitespace()) {
                let open_end = i + 1 + find_near(after, b'>')?;
                if body[open_end - 1] == b'/' {
                    return Some(&[]);
                }
                let close = find_near(&body[open_end..], b'<')?;
                return Some(&body[open_end + 1..open_end + close]);
            }
            if next == Some(b'/') {
                return Some(&[]);
            }
        }
        at = i + 1;
    }
    None
}

/// The text of an inline string: every `<t>` run outside phonetic `<rPh>`.
fn inline_text(body: &[u8]) -> String {
    let mut text = String::new();
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &body[at..]).map(|i| at + i) {
        let after = &body[i + 1..];
        if after.starts_with(b"rPh") {
            match memmem::find(&body[i..], b"</rPh>") {
                Some(end) => {
                    at = i + end + 6;
                    continue;
                }
                None => break,
            }
        }
        if after.starts_with(b"t>") || after.starts_with(b"t ") {
            let Some(open_end) = memchr::memchr(b'>', after).map(|e| i + 1 + e) else { break };
            if body[open_end - 1] != b'/' {
                let Some(close) = memmem::find(&body[open_end..], b"</t>") else { break };
                text.push_str(&unescape(&body[open_end + 1..open_end + close]));
                at = open_end + close + 4;
                continue;
            }
        }
        at = i + 1;
    }
    text
}

/// XML text to a string: the five entities and character references
/// resolved, `\r\n` as `\n`, invalid UTF-8 replaced.
fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !text.contains('&') && !text.contains('\r') {
        return text.into_owned();
    }
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 12) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let resolved = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match resolved {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    // Excel's own escape for control characters: _x000D_.
    if out.contains("_x") {
        return unescape_ooxml(&out);
    }
    out
}

/// `_xHHHH_` escapes (ECMA-376 22.9.2.19) to their characters.
fn unescape_ooxml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let candidate = &rest[i..];
        let decoded = candidate
            .get(2..6)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()) && candidate.as_bytes().get(6) == Some(&b'_'))
            .and_then(|h| char::from_u32(u32::from_str_radix(h, 16).ok()?));
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &candidate[7..];
            }
            None => {
                out.push_str("_x");
                rest = &candidate[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_elements_lose_their_prefix_across_chunks() {
        let xml = b"<x:worksheet xmlns:x=\"m\"><x:sheetData><x:row r=\"1\"><x:c r=\"A1\" t=\"inlineStr\"><x:is><x:t>a</x:t></x:is></x:c></x:row></x:sheetData>";
        let prefix = element_prefix(xml, b"worksheet").unwrap();
        assert_eq!(prefix, b"x");
        for cut in 1..xml.len() {
            let (mut carry, mut out) = (Vec::new(), Vec::new());
            strip_element_prefix(&mut carry, &xml[..cut], &prefix, &mut out);
            strip_element_prefix(&mut carry, &xml[cut..], &prefix, &mut out);
            out.extend_from_slice(&carry);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "<worksheet xmlns:x=\"m\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c></row></sheetData>",
                "cut at {cut}"
            );
        }
        assert_eq!(element_prefix(b"<worksheet xmlns=\"m\">", b"worksheet"), None);
    }

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((Some(0), 0)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((Some(1_048_575), 16_383)));
        assert_eq!(cell_ref(b"C"), Some((None, 2)));
        assert_eq!(cell_ref(b"A0"), None);
        assert_eq!(cell_ref(b"12"), None);
        assert_eq!(cell_ref(b"ABCD1"), None);
    }

    #[test]
    fn numbers_in_attributes_read_as_str_parse_reads_them() {
        for text in ["0", "7", " 12 ", "4294967295", "00042"] {
            assert_eq!(ascii_u32(text.as_bytes()), text.trim().parse().ok(), "{text:?}");
        }
        for text in ["", " ", "4294967296", "1.5", "-1", "x1", "1x"] {
            assert_eq!(ascii_u32(text.as_bytes()), None, "{text:?}");
        }
        assert_eq!(cell_ref(b"B12"), Some((Some(11), 1)));
        assert_eq!(cell_ref(b"B0"), None);
    }

    #[test]
    fn attributes_and_elements() {
        assert_eq!(attribute(b" r=\"B2\" s=\"3\" t=\"s\"", b"s"), Some(&b"3"[..]));
        assert_eq!(attribute(b" r=\"B2\" t='str'", b"t"), Some(&b"str"[..]));
        assert_eq!(attribute(b" rs=\"1\"", b"s"), None);
        assert_eq!(element_text(b"<f>A1*2</f><v>4</v>", b"v"), Some(&b"4"[..]));
        assert_eq!(element_text(b"<f>A1</f>", b"v"), None);
        assert_eq!(inline_text(b"<is><r><t>a</t></r><r><t xml:space=\"preserve\"> &amp; b</t></r><rPh><t>x</t></rPh></is>"), "a & b");
    }

    #[test]
    fn text_escapes() {
        assert_eq!(unescape(b"a &lt;b&gt; &#233; &#x1F600; &bogus; &"), "a <b> é 😀 &bogus; &");
        assert_eq!(unescape(b"line_x000D_\r\nnext"), "line\r\nnext");
    }

    #[test]
    fn date_formats() {
        for code in ["yyyy-mm-dd", "d/m/yy h:mm", "[$-409]mmmm d, yyyy", "hh:mm:ss", "[h]:mm:ss"] {
            assert!(crate::pages::number_format::is_date(code), "{code}");
        }
        for code in ["General", "0.00", "#,##0 \"days\"", "[Red]0.00", "0.0%", "\\d0"] {
            assert!(!crate::pages::number_format::is_date(code), "{code}");
        }
    }

    #[test]
    fn near_and_far_bytes_are_found() {
        let mut long = vec![b'a'; 5000];
        long[4321] = b'>';
        assert_eq!(find_near_or_far(&long, b'>'), Some(4321));
        assert_eq!(find_near_or_far(&long[..100], b'>'), None);
        assert_eq!(find_near_or_far(b"r=\"A1\">", b'>'), Some(6));
        let body = [&b"<is><t>"[..], &vec![b'x'; 300], b"</t></is></c>"].concat();
        assert_eq!(find_cell_end(&body), Some(body.len() - 4));
    }

    /// The general reading of the cell `xml` starts with.
    fn general_cell(xml: &[u8]) -> Option<(usize, CellParts<'_>)> {
        let tag_end = xml.iter().position(|&b| b == b'>')?;
        let tag = &xml[1..tag_end];
        let name_len = tag.iter().skip(1).position(|b| b.is_ascii_whitespace() || *b == b'/').map_or(tag.len(), |p| p + 1);
        cell_element(xml, tag_end, &tag[name_len..])
    }

    #[test]
    fn plain_cells_read_as_the_general_reading_reads_them() {
        let plain: [&[u8]; 9] = [
            b"<c r=\"A5\" s=\"0\" t=\"n\"><v>4</v></c><c>",
            b"<c r=\"B5\" t=\"s\"><v>24</v></c>",
            b"<c r='C7' s='3'><v>1.5E-3</v></c>",
            b"<c  r=\"D1\"   t=\"str\" ><v>a&amp;b&gt;c</v></c>",
            b"<c r=\"E1\" s=\"2\"/>",
            b"<c r=\"E1\" s=\"2\" />",
            b"<c r=\"F1\" t=\"inlineStr\"><v>x</v></c>",
            b"<c r=\"G1\" x14ac:dyDescent=\"0.25\" t=\"b\"><v>1</v></c>",
            b"<c r=\"H1\"><v></v></c>",
        ];
        for xml in plain {
            let fast = plain_cell(xml);
            assert!(fast.is_some(), "{}", String::from_utf8_lossy(xml));
            assert_eq!(fast, general_cell(xml), "{}", String::from_utf8_lossy(xml));
        }
        let other: [&[u8]; 12] = [
            b"<c r=\"A1\"><f>SUM(B1)</f><v>3</v></c>",
            b"<c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c>",
            b"<c r=\"A1\" t=\"a>b\"><v>1</v></c>",
            b"<c r = \"A1\"><v>1</v></c>",
            b"<c r=\"A1\"t=\"s\"><v>1</v></c>",
            b"<c r=\"A1\"><v>1</v><extLst/></c>",
            b"<c r=\"A1\"><v t=\"x\">1</v></c>",
            b"<c r=\"A1\"></c>",
            b"<cx r=\"A1\"><v>1</v></c>",
            b"<c>",
            b"<c r=\"A1\"><v>1</v></",
            b"<c r=\"A1",
        ];
        for xml in other {
            assert_eq!(plain_cell(xml), None, "{}", String::from_utf8_lossy(xml));
        }
        let long = [&b"<c r=\"A1\" x=\""[..], &[b'y'; PLAIN_TAG][..], b"\"><v>1</v></c>"].concat();
        assert_eq!(plain_cell(&long), None);
        assert_eq!(general_cell(&long).unwrap().1.value, Some(&b"1"[..]));
        for cut in 0..plain[0].len() - 4 {
            assert_eq!(plain_cell(&plain[0][..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn scanner_resumes_across_chunks() {
        let xml = b"<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"str\"><v>a&amp;b</v></c><c r=\"C1\"><v>2.5</v></c></row><row r=\"3\"><c><v>7</v></c><c t=\"b\"><v>1</v></c></row></sheetData></worksheet>";
        let limits = fileconv_core::Limits::default();
        for split in [1, 10, 40, 57, 90, xml.len() - 1] {
            let mut budget = CellBudget::new(&limits);
            let mut collected = Vec::new();
            let mut sink = |r: fileconv_core::Row| {
                collected.push(r);
                Ok(())
            };
            let mut rows = RowBuilder::new("xlsx", &mut budget);
            let mut scanner = Scanner { strings: &[], date_styles: &[], date1904: false, format: "xlsx", row: None, next_col: 0, formulas: 0 };
            let mut done = false;
            let mut buf = xml[..split].to_vec();
            let used = scanner.scan(&buf, &mut rows, &mut sink, &mut done).unwrap();
            buf.drain(..used);
            buf.extend_from_slice(&xml[split..]);
            scanner.scan(&buf, &mut rows, &mut sink, &mut done).unwrap();
            rows.flush(&mut sink).unwrap();
            assert!(done);
            assert_eq!(collected.len(), 2, "split at {split}");
            assert_eq!(collected[0].cells, [Cell::String("a&b".into()), Cell::Empty, Cell::Float(2.5)]);
            assert_eq!(collected[1].index, 2);
            assert_eq!(collected[1].cells, [Cell::Int(7), Cell::Bool(true)]);
        }
    }
}
