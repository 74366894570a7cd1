//! OpenDocument spreadsheets, read by a streaming parser of `content.xml`
//! (not calamine's, which lays every sheet out densely at open time and
//! expands repeated rows and cells without a bound). Repeats are checked
//! against the cell budget before they are expanded, and empty repeats (the
//! million blank rows LibreOffice writes at the end of a sheet) only move the
//! row index.

use std::io::{BufRead, BufReader};

use fileconv_core::{Cell, CellBudget, Context, DateTime, Error, Input, ReadSeek, Result, Row, RowOut, SheetInfo, Table, TableSource, Time, Unread, Value};
use fileconv_zip::zip::ZipArchive;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::rows::{MAX_COLUMNS, MAX_ROWS};

const FORMAT: &str = "ods";
const CONTENT: &str = "content.xml";
/// Longest text a cell may hold (LibreOffice's own limit is 2^31; this keeps
/// `<text:s text:c="...">` from asking for gigabytes).
const MAX_CELL_TEXT: usize = 1 << 20;

struct OdsSource {
    zip: ZipArchive<Box<dyn ReadSeek>>,
    budget: CellBudget,
    /// Formulas (`table:formula`, whose values are read), drawings and
    /// annotations of the tables read.
    unread: Unread,
}

/// Opens an ODS file as a [`Table`].
///
/// # Errors
/// [`Error::InvalidInput`] for a broken zip or XML, [`Error::LimitExceeded`]
/// for a zip past the limits.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let pages = fileconv_core::document::deferred::LazyPages::from_input(&input, ctx, crate::pages::ods::read)?;
    let mut zip = fileconv_zip::open(input.open()?, ctx.limits, FORMAT)?;
    let names = sheet_names(&mut zip)?;
    if names.is_empty() {
        return Err(Error::invalid_input(FORMAT, "the document has no table"));
    }
    let sheets = names.into_iter().map(|name| SheetInfo { name, columns: None }).collect();
    let mut table = Table::new(sheets, Box::new(OdsSource { zip, budget: CellBudget::new(ctx.limits), unread: Unread::default() }));
    table.pages = Some(pages);
    Ok(Value::Table(table))
}

fn xml_error(e: impl std::fmt::Display) -> Error {
    Error::invalid_input(FORMAT, format!("content.xml: {e}"))
}

fn open_content(zip: &mut ZipArchive<Box<dyn ReadSeek>>) -> Result<Reader<BufReader<impl std::io::Read + '_>>> {
    let entry = zip.by_name(CONTENT).map_err(|e| Error::invalid_input(FORMAT, format!("{CONTENT}: {e}")))?;
    Ok(Reader::from_reader(BufReader::with_capacity(64 << 10, entry)))
}

fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>> {
    fileconv_zip::xml::attr(e, key).map_err(xml_error)
}

fn repeats(e: &BytesStart<'_>, key: &str) -> Result<u64> {
    match attr(e, key)? {
        Some(v) => v.trim().parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| xml_error(format!("{key}=\"{v}\" is not a count"))),
        None => Ok(1),
    }
}

/// The names of the top-level tables, in order.
fn sheet_names(zip: &mut ZipArchive<Box<dyn ReadSeek>>) -> Result<Vec<String>> {
    let mut xml = open_content(zip)?;
    let mut buf = Vec::new();
    let mut names = Vec::new();
    let mut depth = 0usize;
    loop {
        match xml.read_event_into(&mut buf).map_err(xml_error)? {
            Event::Start(e) if e.name().as_ref() == "table:table" => {
                if depth == 0 {
                    names.push(attr(&e, "table:name")?.unwrap_or_else(|| format!("Sheet{}", names.len() + 1)));
                }
                depth += 1;
            }
            Event::Empty(e) if e.name().as_ref() == "table:table" && depth == 0 => {
                names.push(attr(&e, "table:name")?.unwrap_or_else(|| format!("Sheet{}", names.len() + 1)));
            }
            Event::End(e) if e.name().as_ref() == "table:table" => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(names)
}

impl TableSource for OdsSource {
    fn read_sheet(&mut self, index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        let budget = &mut self.budget;
        let mut xml = open_content(&mut self.zip)?;
        let mut buf = Vec::new();
        let mut seen = 0usize;
        loop {
            match xml.read_event_into(&mut buf).map_err(xml_error)? {
                Event::Start(e) if e.name().as_ref() == "table:table" => {
                    if seen == index {
                        return read_table(&mut xml, budget, &mut self.unread, sink);
                    }
                    seen += 1;
                    let end = e.to_end().into_owned();
                    xml.read_to_end_into(end.name(), &mut Vec::new()).map_err(xml_error)?;
                }
                Event::Empty(e) if e.name().as_ref() == "table:table" => {
                    if seen == index {
                        return Ok(());
                    }
                    seen += 1;
                }
                Event::Eof => return Err(xml_error(format!("table {} is missing", index + 1))),
                _ => {}
            }
            buf.clear();
        }
    }

    fn unread(&mut self, _formulas: bool) -> Unread {
        self.unread
    }
}

/// What a cell element says, before its repeats are applied.
struct CellStart {
    value_type: Option<String>,
    value: Option<String>,
    date: Option<String>,
    time: Option<String>,
    boolean: Option<String>,
    error: bool,
    formula: bool,
    columns: u64,
}

impl CellStart {
    fn read(e: &BytesStart<'_>) -> Result<Self> {
        Ok(CellStart {
            value_type: attr(e, "office:value-type")?,
            value: attr(e, "office:value")?,
            date: attr(e, "office:date-value")?,
            time: attr(e, "office:time-value")?,
            boolean: attr(e, "office:boolean-value")?,
            error: attr(e, "calcext:value-type")?.as_deref() == Some("error"),
            formula: attr(e, "table:formula")?.is_some(),
            columns: repeats(e, "table:number-columns-repeated")?,
        })
    }

    fn cell(self, text: String) -> Cell {
        if self.error {
            return Cell::Error(text);
        }
        let typed = match self.value_type.as_deref() {
            Some("float" | "percentage" | "currency") => self.value.and_then(|v| v.trim().parse::<f64>().ok()).map(Cell::number),
            Some("date") => self.date.and_then(|v| DateTime::parse_iso(v.trim())).map(Cell::DateTime),
            Some("time") => self.time.and_then(|v| duration(v.trim())),
            Some("boolean") => self.boolean.map(|v| Cell::Bool(v.trim() == "true")),
            _ => None,
        };
        typed.unwrap_or(if text.is_empty() { Cell::Empty } else { Cell::String(text) })
    }
}

/// `PT13H45M00S` (or with fractional seconds): a time of day, or a number of
/// days when a day or longer.
fn duration(text: &str) -> Option<Cell> {
    let body = text.strip_prefix("PT").or_else(|| text.strip_prefix("-PT"))?;
    let (mut hours, mut minutes, mut seconds) = (0.0, 0.0, 0.0);
    let mut number = String::new();
    for c in body.chars() {
        match c {
            'H' => hours = number.parse().ok()?,
            'M' => minutes = number.parse().ok()?,
            'S' => seconds = number.parse().ok()?,
            _ => {
                number.push(c);
                continue;
            }
        }
        number.clear();
    }
    let total: f64 = hours * 3600.0 + minutes * 60.0 + seconds;
    if !(0.0..86_400.0).contains(&total) || text.starts_with('-') {
        return Some(Cell::number(total / 86_400.0));
    }
    let ms = (total * 1000.0).round() as u64;
    let time = Time::new((ms / 3_600_000) as u8, (ms / 60_000 % 60) as u8, (ms / 1000 % 60) as u8, (ms % 1000) as u16)?;
    Some(Cell::DateTime(DateTime::time(time)))
}

fn read_table<R: BufRead>(xml: &mut Reader<R>, budget: &mut CellBudget, unread: &mut Unread, sink: &mut RowOut<'_>) -> Result<()> {
    let mut buf = Vec::new();
    let mut row = Row::default();
    let mut row_index: u64 = 0;
    let mut rows_repeated: u64 = 1;
    let mut col: u64 = 0;
    let mut nested = 0usize;
    // Inside a drawn object (`table:shapes` holds those placed on the sheet): its depth.
    let mut drawing = 0usize;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        match event {
            Event::Eof => return Err(xml_error("the table is not closed")),
            Event::Start(_) if drawing > 0 => drawing += 1,
            Event::End(_) if drawing > 0 => drawing -= 1,
            _ if drawing > 0 => {}
            Event::Start(ref e) if is_drawing(e.name().as_ref()) => {
                unread.drawings += 1;
                drawing = 1;
            }
            Event::Empty(ref e) if is_drawing(e.name().as_ref()) => unread.drawings += 1,
            Event::Start(ref e) if e.name().as_ref() == "table:table" => nested += 1,
            Event::End(ref e) if e.name().as_ref() == "table:table" => {
                if nested == 0 {
                    return Ok(());
                }
                nested -= 1;
            }
            _ if nested > 0 => {}
            Event::Start(ref e) if e.name().as_ref() == "table:table-row" => {
                rows_repeated = repeats(e, "table:number-rows-repeated")?;
                row.cells.clear();
                col = 0;
            }
            Event::Empty(ref e) if e.name().as_ref() == "table:table-row" => {
                row_index = row_index.saturating_add(repeats(e, "table:number-rows-repeated")?);
            }
            Event::End(ref e) if e.name().as_ref() == "table:table-row" => {
                if !row.cells.is_empty() {
                    budget.take((row.cells.len() as u64).saturating_mul(rows_repeated))?;
                    if row_index.saturating_add(rows_repeated) > u64::from(MAX_ROWS) {
                        return Err(xml_error(format!("rows past row {MAX_ROWS}")));
                    }
                    for k in 0..rows_repeated {
                        sink(Row { index: (row_index + k) as u32, cells: row.cells.clone() })?;
                    }
                }
                row_index = row_index.saturating_add(rows_repeated);
            }
            Event::Start(ref e) | Event::Empty(ref e)
                if matches!(e.name().as_ref(), "table:table-cell" | "table:covered-table-cell") =>
            {
                let start = CellStart::read(e)?;
                let text = if matches!(event, Event::Start(_)) { cell_text(xml, unread)? } else { String::new() };
                let repeat = start.columns;
                if start.formula {
                    unread.formulas = unread.formulas.saturating_add(repeat.saturating_mul(rows_repeated));
                }
                let cell = start.cell(text);
                if !cell.is_empty() {
                    if col.saturating_add(repeat) > u64::from(MAX_COLUMNS) {
                        return Err(xml_error(format!("cells past column {MAX_COLUMNS}")));
                    }
                    budget.take(repeat)?;
                    row.cells.resize(col as usize, Cell::Empty);
                    row.cells.extend(std::iter::repeat_n(cell, repeat as usize));
                }
                col = col.saturating_add(repeat);
            }
            _ => {}
        }
        buf.clear();
    }
}

/// Whether an element is a drawn object: a frame (picture, chart, text
/// box), a shape or a group of them.
fn is_drawing(name: &str) -> bool {
    matches!(
        name,
        "draw:frame" | "draw:custom-shape" | "draw:rect" | "draw:ellipse" | "draw:circle" | "draw:line" | "draw:connector" | "draw:polygon" | "draw:polyline" | "draw:path" | "draw:g" | "draw:caption" | "draw:measure"
    )
}

/// The text of a cell: its paragraphs joined by line breaks, with `text:s`,
/// `text:tab` and `text:line-break` spelled out; annotations are left out.
fn cell_text<R: BufRead>(xml: &mut Reader<R>, unread: &mut Unread) -> Result<String> {
    let mut buf = Vec::new();
    let mut text = String::new();
    let mut paragraphs = 0usize;
    let mut depth = 0usize;
    let mut skip_depth: Option<usize> = None;
    let mut paragraph_depth: Option<usize> = None;
    loop {
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        match &event {
            Event::Start(e) => {
                depth += 1;
                let name = e.name();
                // A comment, or an object anchored to the cell: not the cell's text.
                if skip_depth.is_none() && (name.as_ref() == "office:annotation" || is_drawing(name.as_ref())) {
                    if name.as_ref() == "office:annotation" {
                        unread.comments += 1;
                    } else {
                        unread.drawings += 1;
                    }
                    skip_depth = Some(depth);
                } else if skip_depth.is_none() && paragraph_depth.is_none() && name.as_ref() == "text:p" {
                    if paragraphs > 0 {
                        text.push('\n');
                    }
                    paragraphs += 1;
                    paragraph_depth = Some(depth);
                }
            }
            Event::End(_) if depth == 0 => return Ok(text),
            Event::End(_) => {
                if skip_depth == Some(depth) {
                    skip_depth = None;
                }
                if paragraph_depth == Some(depth) {
                    paragraph_depth = None;
                }
                depth -= 1;
            }
            // Before the skipped parts: a file cut inside a comment ends too.
            Event::Eof => return Err(xml_error("a cell is not closed")),
            _ if skip_depth.is_some() => {}
            Event::Empty(e) if is_drawing(e.name().as_ref()) => unread.drawings += 1,
            Event::Empty(e) => match e.name().as_ref() {
                "text:s" => {
                    let n = repeats(e, "text:c")?.min(1000) as usize;
                    text.extend(std::iter::repeat_n(' ', n));
                }
                "text:tab" => text.push('\t'),
                "text:line-break" => text.push('\n'),
                "text:p" => {
                    if paragraphs > 0 {
                        text.push('\n');
                    }
                    paragraphs += 1;
                }
                _ => {}
            },
            _ if paragraph_depth.is_none() => {}
            Event::Text(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => text.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => fileconv_zip::xml::push_reference(r, &mut text).map_err(xml_error)?,
            _ => {}
        }
        if text.len() > MAX_CELL_TEXT {
            return Err(Error::limit("cell text (bytes)", MAX_CELL_TEXT as u64, text.len() as u64));
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("PT13H45M00S"), Some(Cell::DateTime(DateTime::parse_iso("13:45:00").unwrap())));
        assert_eq!(duration("PT00H00M01.5S"), Some(Cell::DateTime(DateTime::parse_iso("00:00:01.500").unwrap())));
        assert_eq!(duration("PT36H00M00S"), Some(Cell::Float(1.5)));
        assert_eq!(duration("P1D"), None);
    }
}
