//! Mobipocket e-books (MOBI, PRC, AZW: MOBI 6) and Kindle KF8 books (AZW3):
//! a Palm database whose record 0 holds the PalmDOC and MOBI headers and
//! the EXTH metadata (author, title), followed by the text records
//! (PalmDOC-compressed or stored, each with trailing entries the header's
//! flags describe), then images. The text is HTML: MOBI 6 names pictures
//! by record (`<img recindex="00001">`), KF8 by `kindle:embed:0001` in
//! its first flow (the `FDST` record cuts the text into flows; the others
//! are style sheets). It is read by the HTML reader, and the pictures are
//! filled in from their records. A file holding both (calibre's "both",
//! Amazon's joint files) is read from its MOBI 6 part.
//!
//! Text compressed with Amazon's HUFF/CDIC (Kindle publishing tools,
//! dictionaries) is unpacked by [`super::huff_cdic`]. Refused with a
//! reason: encrypted (DRM) books.
//!
//! KF8 stores each chapter as a skeleton followed by the fragments that
//! belong inside it; [`super::kf8`] puts them together from the skeleton
//! and fragment indexes. A book whose indexes cannot be followed is read in
//! stored order, with a note (fragments after their skeleton's closing tags
//! can fall outside the lists and tables they belong in).

use std::ops::Range;

use fileconv_core::{Block, Context, Error, Input, Result, Value};

/// The Palm database type and creator of a Mobipocket book.
pub const SIGNATURE: &[u8] = b"BOOKMOBI";
/// Bytes before the record list.
const PALM_HEADER: usize = 78;
/// What a text record may decompress to: PalmDOC records hold 4,096 bytes.
const MAX_RECORD_TEXT: usize = 64 << 10;
/// The MOBI header's compression type for Amazon's HUFF/CDIC.
const HUFF_CDIC: u16 = 17480;
/// A value a header leaves unset.
const UNSET: u32 = u32::MAX;

/// The MOBI header's version of a book (8 for KF8), from its record 0;
/// `None` when the bytes are not a Mobipocket book.
pub fn version(bytes: &[u8]) -> Option<u32> {
    if bytes.get(60..68)? != SIGNATURE {
        return None;
    }
    let start = be32(bytes, PALM_HEADER)? as usize;
    let record = bytes.get(start..)?;
    (record.get(16..20)? == b"MOBI").then(|| be32(record, 0x24)).flatten()
}

pub(super) fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]))
}

pub(super) fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Record 0's headers, as far as reading needs them.
struct Header {
    compression: u16,
    text_length: usize,
    text_records: usize,
    encryption: u16,
    code_page: u32,
    version: u32,
    /// Relative to the part's first record.
    first_image: u32,
    fdst: u32,
    /// The HUFF record and the CDIC records after it: the first's index and their count.
    huff: (u32, u32),
    /// KF8's skeleton and fragment indexes.
    skeleton_index: u32,
    fragment_index: u32,
    trailing_flags: u16,
    title: Option<String>,
    authors: Vec<String>,
    /// EXTH 121: the first record of a joint file's KF8 part.
    kf8_boundary: Option<u32>,
}

impl Header {
    fn parse(record: &[u8], format: &str) -> Result<Header> {
        let short = || Error::invalid_input(format, "record 0 is too short for its headers");
        let mut header = Header {
            compression: be16(record, 0).ok_or_else(short)?,
            text_length: be32(record, 4).ok_or_else(short)? as usize,
            text_records: usize::from(be16(record, 8).ok_or_else(short)?),
            encryption: be16(record, 12).ok_or_else(short)?,
            code_page: 1252,
            version: 0,
            first_image: UNSET,
            fdst: UNSET,
            huff: (0, 0),
            skeleton_index: UNSET,
            fragment_index: UNSET,
            trailing_flags: 0,
            title: None,
            authors: Vec::new(),
            kf8_boundary: None,
        };
        if record.get(16..20) != Some(b"MOBI") {
            return Err(Error::invalid_input(format, "record 0 has no MOBI header"));
        }
        let length = be32(record, 20).ok_or_else(short)? as usize;
        let field = |at: usize| if at + 4 <= 16 + length { be32(record, at) } else { None };
        header.code_page = field(0x1C).unwrap_or(1252);
        header.version = field(0x24).unwrap_or(0);
        header.first_image = field(0x6C).unwrap_or(UNSET);
        header.huff = (field(0x70).unwrap_or(0), field(0x74).unwrap_or(0));
        if header.version >= 8 {
            header.fdst = field(0xC0).unwrap_or(UNSET);
            header.fragment_index = field(0xF8).unwrap_or(UNSET);
            header.skeleton_index = field(0xFC).unwrap_or(UNSET);
        }
        if length >= 0xE4 {
            header.trailing_flags = be16(record, 0xF2).unwrap_or(0);
        }
        let (title_at, title_len) = (field(0x54).unwrap_or(0) as usize, field(0x58).unwrap_or(0) as usize);
        if let Some(title) = record.get(title_at..title_at.saturating_add(title_len)).filter(|t| !t.is_empty()) {
            header.title = Some(header.text(title));
        }
        if field(0x80).unwrap_or(0) & 0x40 != 0 {
            header.read_exth(record.get(16 + length..).unwrap_or_default());
        }
        Ok(header)
    }

    fn text(&self, bytes: &[u8]) -> String {
        match self.code_page {
            65001 => String::from_utf8_lossy(bytes).into_owned(),
            page => fileconv_core::code_page::encoding(page).unwrap_or(encoding_rs::WINDOWS_1252).decode_without_bom_handling(bytes).0.into_owned(),
        }
    }

    /// EXTH records: 100 author (one each), 503 the updated title, 121 the KF8 boundary.
    fn read_exth(&mut self, exth: &[u8]) {
        if exth.get(..4) != Some(b"EXTH") {
            return;
        }
        let count = be32(exth, 8).unwrap_or(0);
        let mut at = 12;
        for _ in 0..count.min(10_000) {
            let (Some(kind), Some(size)) = (be32(exth, at), be32(exth, at + 4)) else { break };
            let size = size as usize;
            let Some(data) = exth.get(at + 8..at + size.max(8)) else { break };
            match kind {
                100 => self.authors.push(self.text(data).trim().to_string()),
                503 => self.title = Some(self.text(data).trim().to_string()),
                121 => self.kf8_boundary = be32(data, 0),
                _ => {}
            }
            at += size.max(8);
        }
    }
}

/// The records of a Palm database, checked to lie in the file in order.
fn records(bytes: &[u8], format: &str) -> Result<Vec<Range<usize>>> {
    let count = usize::from(be16(bytes, 76).ok_or_else(|| Error::invalid_input(format, "the Palm database header is cut short"))?);
    if count == 0 || PALM_HEADER + 8 * count > bytes.len() {
        return Err(Error::invalid_input(format, "the record list is empty or cut short"));
    }
    let starts: Vec<usize> = (0..count).map(|i| be32(bytes, PALM_HEADER + 8 * i).unwrap_or(0) as usize).collect();
    let mut ranges = Vec::with_capacity(count);
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
        if start > end || end > bytes.len() {
            return Err(Error::invalid_input(format, format!("record {i} lies outside the file or before the one ahead of it")));
        }
        ranges.push(start..end);
    }
    Ok(ranges)
}

/// Bytes of trailing entries at the end of a text record, as `flags` (the
/// MOBI header's extra data flags) says it carries: one backward-encoded
/// size per flag bit above the lowest, then (lowest bit) up to four bytes
/// of a multibyte character continued in the next record.
fn trailing_size(record: &[u8], flags: u16) -> usize {
    let mut size = 0usize;
    let mut bits = flags >> 1;
    while bits != 0 {
        if bits & 1 == 1 {
            let mut value = 0usize;
            let mut shift = 0;
            for &byte in record[..record.len().saturating_sub(size)].iter().rev().take(4) {
                value |= usize::from(byte & 0x7F) << shift;
                shift += 7;
                if byte & 0x80 != 0 {
                    break;
                }
            }
            size = size.saturating_add(value);
        }
        bits >>= 1;
    }
    if flags & 1 == 1 {
        if let Some(&byte) = record.len().checked_sub(size + 1).and_then(|i| record.get(i)) {
            size += usize::from(byte & 3) + 1;
        }
    }
    size.min(record.len())
}

/// PalmDOC's LZ77: literals, runs of 1-8 stored bytes, a space plus a
/// character in one byte, and copies of 3-10 bytes from up to 2,047 back
/// within the record.
fn palmdoc(input: &[u8], out: &mut Vec<u8>, format: &str) -> Result<()> {
    let start = out.len();
    let broken = |what: &str| Error::invalid_input(format, format!("a text record's compression is broken: {what}"));
    let mut i = 0;
    while i < input.len() {
        let c = input[i];
        i += 1;
        match c {
            0x01..=0x08 => {
                let run = input.get(i..i + usize::from(c)).ok_or_else(|| broken("a run of stored bytes is cut short"))?;
                out.extend_from_slice(run);
                i += usize::from(c);
            }
            0x00 | 0x09..=0x7F => out.push(c),
            0x80..=0xBF => {
                let next = *input.get(i).ok_or_else(|| broken("a copy is cut short"))?;
                i += 1;
                let pair = (usize::from(c) << 8 | usize::from(next)) & 0x3FFF;
                let (distance, length) = (pair >> 3, (pair & 7) + 3);
                if distance == 0 || distance > out.len() - start {
                    return Err(broken("a copy reaches before the record"));
                }
                for _ in 0..length {
                    out.push(out[out.len() - distance]);
                }
            }
            0xC0..=0xFF => out.extend_from_slice(&[b' ', c ^ 0x80]),
        }
        if out.len() - start > MAX_RECORD_TEXT {
            return Err(broken("a record decompresses past 64 KB"));
        }
    }
    Ok(())
}

/// A Mobipocket book (`format` "mobi") or a KF8 book ("azw3") to a document.
///
/// # Errors
/// [`Error::InvalidInput`] for a broken database, headers or compression,
/// an encrypted book; [`Error::LimitExceeded`] past the
/// memory budget or the decompression limit.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &str) -> Result<Value> {
    let bytes = input.bytes;
    if bytes.get(60..68) != Some(SIGNATURE) {
        return Err(Error::invalid_input(format, "not a Mobipocket book (no BOOKMOBI signature)"));
    }
    let records = records(bytes, format)?;
    let header = Header::parse(&bytes[records[0].clone()], format)?;
    if header.encryption != 0 {
        return Err(Error::invalid_input(format, "the book is encrypted (DRM): only DRM-free books can be read"));
    }
    let kf8 = header.version >= 8;
    let text = book_text(bytes, &records, &header, 0, ctx, format)?;
    let html = if kf8 { chapters(first_flow(bytes, &records, &header, text, format)?, bytes, &records, &header, ctx) } else { text.replace("recindex=\"", "src=\"recindex:").replace("recindex='", "src='recindex:") };
    let mut doc = super::html::parse(&html, ctx)?;
    drop(html);
    let first_image = header.first_image;
    let mut load = |src: &str| -> Option<Vec<u8>> {
        let number = if let Some(n) = src.strip_prefix("recindex:") {
            n.trim().parse::<u32>().ok()?
        } else {
            let code = src.strip_prefix("kindle:embed:")?.get(..4)?;
            u32::from_str_radix(code, 32).ok()?
        };
        let index = first_image.checked_add(number)?.checked_sub(1)? as usize;
        let data = &bytes[records.get(index)?.clone()];
        // Records past the first image are fonts, style sheets and indexes too.
        fileconv_core::image::guess_format(data).is_ok().then(|| data.to_vec())
    };
    fill_images(&mut doc.blocks, &mut load);
    if let Some(title) = header.title.filter(|t| !t.is_empty()) {
        doc.title = Some(title);
    }
    if !header.authors.is_empty() {
        doc.author = Some(header.authors.join(", "));
    }
    Ok(Value::Document(doc))
}

/// The text records of the part starting at record `base`, decompressed
/// and decoded.
fn book_text(bytes: &[u8], records: &[Range<usize>], header: &Header, base: usize, ctx: &Context<'_>, format: &str) -> Result<String> {
    let mut huff_cdic = match header.compression {
        1 | 2 => None,
        HUFF_CDIC => {
            let (first, count) = (header.huff.0 as usize, header.huff.1 as usize);
            let record = |i: usize| records.get(i).map(|r| &bytes[r.clone()]);
            let huff = record(first).ok_or_else(|| Error::invalid_input(format, "the HUFF/CDIC dictionary's records are missing"))?;
            let cdics: Vec<&[u8]> = (first + 1..first + count.max(1)).map_while(record).collect();
            Some(super::huff_cdic::HuffCdic::new(huff, &cdics, format)?)
        }
        other => return Err(Error::invalid_input(format, format!("unknown text compression {other}"))),
    };
    let limit = ctx.limits.max_unzipped_bytes;
    if header.text_length as u64 > limit {
        return Err(Error::limit("decompressed e-book text", limit, header.text_length as u64));
    }
    let declared = header.text_length.min(header.text_records.saturating_mul(MAX_RECORD_TEXT));
    ctx.charge_memory(declared as u64 * 2, "e-book text")?;
    let mut text = Vec::with_capacity(declared);
    for i in 1..=header.text_records {
        ctx.checkpoint()?;
        let Some(range) = records.get(base + i) else {
            ctx.note(format!("the book declares {} text records but has {}: the text ends early", header.text_records, records.len().saturating_sub(base + 1)));
            break;
        };
        let record = &bytes[range.clone()];
        let record = &record[..record.len() - trailing_size(record, header.trailing_flags)];
        if let Some(huff_cdic) = huff_cdic.as_mut() {
            huff_cdic.unpack(record, &mut text, format)?;
        } else if header.compression == 2 {
            palmdoc(record, &mut text, format)?;
        } else {
            text.extend_from_slice(record);
        }
        if text.len() > declared.max(1) + MAX_RECORD_TEXT {
            return Err(Error::invalid_input(format, "the text records hold more than the header declares"));
        }
    }
    text.truncate(header.text_length);
    let decoded = header.text(&text);
    if header.code_page == 65001 && decoded.contains('\u{FFFD}') && std::str::from_utf8(&text).is_err() {
        ctx.note("some of the text was not valid UTF-8: those bytes became U+FFFD");
    }
    Ok(decoded)
}

/// KF8's first flow (the book's HTML), cut from the text by the `FDST`
/// record; the whole text when the book has none.
fn first_flow(bytes: &[u8], records: &[Range<usize>], header: &Header, text: String, format: &str) -> Result<String> {
    let Some(range) = (header.fdst != UNSET).then(|| records.get(header.fdst as usize)).flatten() else { return Ok(text) };
    let fdst = &bytes[range.clone()];
    if fdst.get(..4) != Some(b"FDST") {
        return Err(Error::invalid_input(format, "the flow table (FDST) record is not one"));
    }
    let (Some(start), Some(end)) = (be32(fdst, 12), be32(fdst, 16)) else { return Ok(text) };
    // The flows' offsets count bytes of the UTF-8 text; re-encoded text keeps them for UTF-8 books.
    let (start, end) = (start as usize, (end as usize).min(text.len()));
    match text.get(start..end) {
        Some(flow) if start < end => Ok(flow.to_string()),
        _ => Err(Error::invalid_input(format, "the flow table points outside the text")),
    }
}

/// KF8's first flow with its fragments put in their skeletons; in stored
/// order, with a note, when the indexes cannot be followed.
fn chapters(flow: String, bytes: &[u8], records: &[Range<usize>], header: &Header, ctx: &Context<'_>) -> String {
    if header.skeleton_index == UNSET || header.fragment_index == UNSET {
        return flow;
    }
    let record = |i: usize| records.get(i).map(|r| &bytes[r.clone()]);
    match super::kf8::assemble(flow.as_bytes(), &record, header.skeleton_index as usize, header.fragment_index as usize) {
        Ok(assembled) => String::from_utf8(assembled).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(why) => {
            ctx.note(format!("the book's chapter index cannot be followed ({why}); its pieces are read in stored order, and text may fall outside the lists and tables it belongs in"));
            flow
        }
    }
}

/// Gives images that name a record their bytes.
fn fill_images(blocks: &mut [Block], load: &mut dyn FnMut(&str) -> Option<Vec<u8>>) {
    super::visit_images(blocks, &mut |image| {
        if image.data.is_none() {
            image.data = load(&image.src);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palmdoc_decompresses_literals_runs_spaces_and_copies() {
        // "ab", a run of 2 ("cd"), a space and 'e', a copy of 3 from 6 back.
        let mut out = Vec::new();
        palmdoc(&[b'a', b'b', 2, b'c', b'd', 0xE5, 0x80, 6 << 3], &mut out, "mobi").unwrap();
        assert_eq!(out, b"abcd eabc");
        assert!(palmdoc(&[0x80, 0x08], &mut Vec::new(), "mobi").is_err(), "a copy before the start");
        assert!(palmdoc(&[3, b'a'], &mut Vec::new(), "mobi").is_err(), "a cut run");
    }

    #[test]
    fn trailing_entries_are_measured_from_the_end() {
        // One sized entry of 3 bytes, its size in the last byte (high bit: the size's first byte).
        let record = [b'x', b'y', 0xC1, b'z', 0x83];
        assert_eq!(trailing_size(&record, 0b10), 3);
        assert_eq!(trailing_size(&[b'a', b'b', 0x01], 0b1), 2);
        assert_eq!(trailing_size(&[0xFF], 0b110), 1, "never more than the record");
    }
}
