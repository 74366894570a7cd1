//! CSV and TSV: the encoding detected (a BOM, else UTF-8 when valid, else
//! Windows-1252) or given, the delimiter detected from the first lines or
//! given, fields typed where that loses nothing (see [`crate::text::infer`]).
//! UTF-8 files are streamed from their path; other encodings are decoded
//! whole first.

use std::io::{Cursor, Read, Seek, SeekFrom};

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
use fileconv_core::{Cell, CellBudget, Context, Error, Input, Result, Row, RowOut, SheetInfo, Table, TableSource, Value};

use crate::options::{delimiter, ENCODING, INPUT_DELIMITER};
use crate::text::infer;

/// How much of the start of a file the encoding and delimiter are guessed from.
const HEAD: usize = 64 << 10;

struct CsvSource {
    reader: Option<csv::Reader<Box<dyn Read + Send>>>,
    format: &'static str,
    budget: CellBudget,
}

/// Opens a delimited text file as a one-sheet [`Table`]. `fixed` is the
/// format's own delimiter (tab for tsv), `None` to detect it.
///
/// # Errors
/// [`Error::InvalidOption`] for an unknown encoding label or a bad delimiter;
/// [`Error::Io`] when the file cannot be reopened.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str, fixed: Option<u8>) -> Result<Value> {
    if input.bytes.is_empty() {
        return Err(Error::invalid_input(format, "the file is empty"));
    }
    let (encoding, bom) = encoding(input.bytes, ctx)?;
    let reader: Box<dyn Read + Send> = if encoding == UTF_8 {
        let mut file = input.open()?;
        file.seek(SeekFrom::Start(bom as u64))?;
        Box::new(file)
    } else {
        let (text, _) = encoding.decode_without_bom_handling(&input.bytes[bom..]);
        Box::new(Cursor::new(text.into_owned().into_bytes()))
    };
    let head_bytes = &input.bytes[bom..input.bytes.len().min(bom + HEAD)];
    let head = encoding.decode_without_bom_handling(head_bytes).0;
    if !looks_like_text(&head) {
        return Err(Error::invalid_input(format, format!("binary data, not {} text (NUL or control characters)", encoding.name())));
    }
    let delimiter = match delimiter(&INPUT_DELIMITER, ctx.options)? {
        Some(d) => d,
        None => fixed.unwrap_or_else(|| sniff_delimiter(&head, input.bytes.len() > bom + HEAD)),
    };
    let reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(reader);
    let source = CsvSource { reader: Some(reader), format, budget: CellBudget::new(ctx.limits) };
    Ok(Value::Table(Table::new(vec![SheetInfo { name: fileconv_core::table::UNNAMED_SHEET.to_string(), columns: None }], Box::new(source))))
}

/// The encoding to read with and the length of the BOM to skip.
fn encoding(bytes: &[u8], ctx: &Context<'_>) -> Result<(&'static Encoding, usize)> {
    let label = ENCODING.text(ctx.options)?.unwrap_or("auto");
    if !label.eq_ignore_ascii_case("auto") {
        let encoding = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| Error::InvalidOption {
            name: ENCODING.name.to_string(),
            reason: format!("unknown encoding '{label}'"),
            valid: "auto, or a WHATWG encoding label such as utf-8, utf-16le, windows-1252, iso-8859-15, shift_jis".to_string(),
        })?;
        let bom = Encoding::for_bom(bytes).filter(|(e, _)| *e == encoding).map_or(0, |(_, len)| len);
        return Ok((encoding, bom));
    }
    if let Some(found) = Encoding::for_bom(bytes) {
        return Ok(found);
    }
    let head = &bytes[..bytes.len().min(HEAD)];
    match std::str::from_utf8(head) {
        Ok(_) => return Ok((UTF_8, 0)),
        // Cut inside a character at the end of the head: still UTF-8.
        Err(e) if e.error_len().is_none() => return Ok((UTF_8, 0)),
        Err(_) => {}
    }
    let zeros_at = |parity: usize| head.iter().skip(parity).step_by(2).filter(|b| **b == 0).count();
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let half = head.len() / 4;
    Ok(if odd > half && even < odd / 8 {
        (UTF_16LE, 0)
    } else if even > half && odd < even / 8 {
        (UTF_16BE, 0)
    } else {
        (WINDOWS_1252, 0)
    })
}

/// Text has no NUL and almost no control characters besides tab, line
/// breaks and form feed; binary data (or a wrong encoding) has plenty.
fn looks_like_text(head: &str) -> bool {
    let (mut chars, mut controls) = (0usize, 0usize);
    for c in head.chars() {
        chars += 1;
        match c {
            '\0' => return false,
            '\t' | '\n' | '\r' | '\x0c' => {}
            c if c.is_control() => controls += 1,
            _ => {}
        }
    }
    controls * 100 <= chars
}

/// The delimiter among comma, semicolon, tab and pipe that splits the first
/// lines into the same number of fields (outside quotes), preferring the one
/// found on most lines; comma when none is found. `truncated` drops the last
/// line of `head`, which may be cut.
fn sniff_delimiter(head: &str, truncated: bool) -> u8 {
    const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut counts: Vec<[usize; 4]> = Vec::new();
    let mut line = [0usize; 4];
    let mut in_quotes = false;
    let mut line_has_text = false;
    for b in head.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if line_has_text {
                    counts.push(line);
                }
                line = [0; 4];
                line_has_text = false;
                if counts.len() == 50 {
                    break;
                }
                continue;
            }
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|c| *c == b) {
                    line[i] += 1;
                }
            }
            _ => {}
        }
        if b != b'\r' {
            line_has_text = true;
        }
    }
    if line_has_text && !truncated && counts.len() < 50 {
        counts.push(line);
    }
    let score = |i: usize| {
        let on_lines = counts.iter().filter(|c| c[i] > 0).count();
        let consistent = on_lines == counts.len() && counts.windows(2).all(|w| w[0][i] == w[1][i]);
        (consistent && on_lines > 0, on_lines, counts.first().map_or(0, |c| c[i]))
    };
    (0..CANDIDATES.len())
        .filter(|i| score(*i).1 > 0)
        .max_by_key(|i| (score(*i), std::cmp::Reverse(*i)))
        .map_or(b',', |i| CANDIDATES[i])
}

impl TableSource for CsvSource {
    fn read_sheet(&mut self, _index: usize, sink: &mut RowOut<'_>) -> Result<()> {
        let format = self.format;
        let mut reader = self.reader.take().ok_or_else(|| Error::Internal("a csv sheet is read once".to_string()))?;
        let mut record = csv::ByteRecord::new();
        let mut line: u64 = 0;
        while reader.read_byte_record(&mut record).map_err(|e| Error::invalid_input(format, e))? {
            self.budget.take(record.len() as u64)?;
            let mut row = Row { index: 0, cells: Vec::with_capacity(record.len()) };
            row.cells.extend(record.iter().map(|field| match std::str::from_utf8(field) {
                Ok(text) => infer(text),
                Err(_) => Cell::String(String::from_utf8_lossy(field).into_owned()),
            }));
            while row.cells.last().is_some_and(Cell::is_empty) {
                row.cells.pop();
            }
            if !row.cells.is_empty() {
                row.index = u32::try_from(line).map_err(|_| Error::limit("rows", u64::from(u32::MAX), line))?;
                sink(row)?;
            }
            line += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_not_text() {
        assert!(looks_like_text("a,b\r\n1,2\n\tx"));
        assert!(!looks_like_text("PK\u{3}\u{4}\0\0"));
        assert!(!looks_like_text(&"\u{1}\u{2}abc".repeat(10)));
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3\n", false), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3\n", false), b';');
        assert_eq!(sniff_delimiter("a\tb\n\"x,y\"\t2\n", false), b'\t');
        assert_eq!(sniff_delimiter("name|note\nx|\"a;b;c\"\n", false), b'|');
        assert_eq!(sniff_delimiter("just one column\nhere\n", false), b',');
    }
}
