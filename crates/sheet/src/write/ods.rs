//! ODS, written directly (no crate writes OpenDocument spreadsheets in a
//! stream): `mimetype` stored first, the manifest, minimal styles, and
//! `content.xml` deflated row by row as the rows arrive. Runs of empty cells
//! and rows use ODF's repeat counts; dates and times carry data styles so
//! they show as such; the header row is bold. No whitespace between
//! elements: some readers (odfpy) take it for content.

use std::io::Write;

use fileconv_core::{escape_markup, Cell, Context, Result, Value};
use fileconv_zip::Package;

use crate::options::HEADER;
use crate::write::{rows, sheets};

const MIME: &str = "application/vnd.oasis.opendocument.spreadsheet";

const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2">
 <office:styles><style:default-style style:family="table-cell"/></office:styles>
</office:document-styles>
"#;

const META: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.2">
 <office:meta><meta:generator>fileconv</meta:generator></office:meta>
</office:document-meta>
"#;

const CONTENT_HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.2"><office:automatic-styles><number:date-style style:name="Ndate"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/></number:date-style><number:date-style style:name="Ndatetime"><number:year number:style="long"/><number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text><number:day number:style="long"/><number:text> </number:text><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/></number:date-style><number:time-style style:name="Ntime"><number:hours number:style="long"/><number:text>:</number:text><number:minutes number:style="long"/><number:text>:</number:text><number:seconds number:style="long"/></number:time-style><style:style style:name="date" style:family="table-cell" style:data-style-name="Ndate"/><style:style style:name="datetime" style:family="table-cell" style:data-style-name="Ndatetime"/><style:style style:name="time" style:family="table-cell" style:data-style-name="Ntime"/><style:style style:name="bold" style:family="table-cell"><style:text-properties fo:font-weight="bold"/></style:style></office:automatic-styles><office:body><office:spreadsheet>"#;

const CONTENT_TAIL: &str = "</office:spreadsheet></office:body></office:document-content>";

/// # Errors
/// [`Error::InvalidOption`] for a bad option, [`Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut table = value.into_table()?;
    let header = HEADER.boolean(ctx.options)?;
    let chosen = sheets(&table, ctx, true)?;
    let mut package = Package::new(ctx.limits, "ods");
    package.stored("mimetype", MIME.as_bytes())?;
    for (name, text) in [("META-INF/manifest.xml", MANIFEST), ("styles.xml", STYLES), ("meta.xml", META)] {
        package.file(name, text.as_bytes())?;
    }
    let zip = package.start("content.xml")?;
    zip.write_all(CONTENT_HEAD.as_bytes())?;
    let mut xml = String::with_capacity(64 << 10);
    for (index, sheet_ctx) in chosen {
        write!(zip, "<table:table table:name=\"{}\">", escape_markup(&table.sheets[index].name))?;
        let mut next = 0u32;
        let mut header_row = None;
        rows(&mut table, index, &sheet_ctx, |row| {
            if row.index > next {
                let gap = row.index - next;
                xml.push_str(&format!("<table:table-row table:number-rows-repeated=\"{gap}\"><table:table-cell/></table:table-row>"));
            }
            let bold = header && *header_row.get_or_insert(row.index) == row.index;
            xml.push_str("<table:table-row>");
            let mut empty_run = 0usize;
            for cell in &row.cells {
                if cell.is_empty() {
                    empty_run += 1;
                    continue;
                }
                if empty_run > 0 {
                    xml.push_str(&format!("<table:table-cell table:number-columns-repeated=\"{empty_run}\"/>"));
                    empty_run = 0;
                }
                write_cell(&mut xml, cell, bold);
            }
            xml.push_str("</table:table-row>");
            next = row.index + 1;
            if xml.len() > 60 << 10 {
                zip.write_all(xml.as_bytes())?;
                xml.clear();
            }
            Ok(())
        })?;
        zip.write_all(xml.as_bytes())?;
        xml.clear();
        if next == 0 {
            zip.write_all(b"<table:table-row><table:table-cell/></table:table-row>")?;
        }
        zip.write_all(b"</table:table>")?;
    }
    zip.write_all(CONTENT_TAIL.as_bytes())?;
    table.note_unread(true, ctx);
    package.finish(out)
}

fn write_cell(xml: &mut String, cell: &Cell, bold: bool) {
    let style = if bold { " table:style-name=\"bold\"" } else { "" };
    match cell {
        Cell::Empty => {}
        Cell::Bool(b) => {
            let word = if *b { "true" } else { "false" };
            xml.push_str(&format!("<table:table-cell{style} office:value-type=\"boolean\" office:boolean-value=\"{word}\"><text:p>{}</text:p></table:table-cell>", word.to_uppercase()));
        }
        Cell::Int(_) | Cell::Float(_) => {
            let text = cell.to_string();
            if matches!(cell, Cell::Float(f) if !f.is_finite()) {
                xml.push_str(&format!("<table:table-cell{style} office:value-type=\"string\" calcext:value-type=\"error\"><text:p>#NUM!</text:p></table:table-cell>"));
            } else {
                xml.push_str(&format!("<table:table-cell{style} office:value-type=\"float\" office:value=\"{text}\"><text:p>{text}</text:p></table:table-cell>"));
            }
        }
        Cell::String(s) => {
            xml.push_str(&format!("<table:table-cell{style} office:value-type=\"string\">"));
            for line in s.split('\n') {
                xml.push_str("<text:p>");
                push_text(xml, line);
                xml.push_str("</text:p>");
            }
            xml.push_str("</table:table-cell>");
        }
        Cell::DateTime(d) => {
            let shown = d.format("%Y-%m-%d %H:%M:%S");
            match (d.date, d.time) {
                (Some(_), time) => {
                    let cell_style = if bold { "bold" } else if time.is_some() { "datetime" } else { "date" };
                    xml.push_str(&format!("<table:table-cell table:style-name=\"{cell_style}\" office:value-type=\"date\" office:date-value=\"{}\"><text:p>{shown}</text:p></table:table-cell>", d.iso()));
                }
                (None, Some(t)) => {
                    let cell_style = if bold { "bold" } else { "time" };
                    let seconds = if t.millis == 0 { format!("{:02}", t.second) } else { format!("{:02}.{:03}", t.second, t.millis) };
                    xml.push_str(&format!("<table:table-cell table:style-name=\"{cell_style}\" office:value-type=\"time\" office:time-value=\"PT{:02}H{:02}M{seconds}S\"><text:p>{shown}</text:p></table:table-cell>", t.hour, t.minute));
                }
                (None, None) => {}
            }
        }
        Cell::Error(e) => {
            xml.push_str(&format!("<table:table-cell{style} office:value-type=\"string\" calcext:value-type=\"error\"><text:p>{}</text:p></table:table-cell>", escape_markup(e)));
        }
    }
}

/// Escaped text, with runs of spaces, tabs and line ends as ODF elements
/// (XML readers would otherwise collapse them).
fn push_text(xml: &mut String, line: &str) {
    let mut spaces = 0usize;
    let flush = |xml: &mut String, spaces: &mut usize, first: bool| {
        match *spaces {
            0 => {}
            1 if !first => xml.push(' '),
            n => xml.push_str(&format!("<text:s text:c=\"{n}\"/>")),
        }
        *spaces = 0;
    };
    let mut at_start = true;
    for c in line.chars() {
        if c == ' ' {
            spaces += 1;
            continue;
        }
        flush(xml, &mut spaces, at_start);
        at_start = false;
        match c {
            '\t' => xml.push_str("<text:tab/>"),
            '\r' => {}
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            c if (c as u32) < 0x20 => {}
            c => xml.push(c),
        }
    }
    if spaces > 0 {
        xml.push_str(&format!("<text:s text:c=\"{spaces}\"/>"));
    }
}
