//! PowerPoint 97-2003 (`.ppt`), from the published [MS-PPT] specification,
//! over the compound file (`cfb`): the current user's last edit, the
//! persist directories of every edit (newer entries win), the document's
//! slide list in presentation order, and in each slide the text of its
//! shapes (text atoms in client text boxes, or the slide list's text where
//! a placeholder refers to it), in drawing order. A slide's title
//! placeholder is a level-1 heading; a first slide holding only a centred
//! title and subtitle is the document's title and author; tables (groups
//! of cell shapes) come out as their cells' paragraphs. Bullets and
//! numbering (in the paragraph style records and their PowerPoint 2000
//! extension) are not read, and a note says so. Encrypted files are
//! refused with a message.

use std::collections::HashMap;

use fileconv_core::document::flow::{Flow, Kind};
use fileconv_core::{Context, Error, Inline, Input, Result, Run, Value};

use super::compound::{u16_at, u32_at, Compound};

const FORMAT: &str = "ppt";

const DOCUMENT: u16 = 0x03E8;
const SLIDE: u16 = 0x03EE;
const SLIDE_LIST_WITH_TEXT: u16 = 0x0FF0;
const SLIDE_PERSIST_ATOM: u16 = 0x03F3;
const USER_EDIT_ATOM: u16 = 0x0FF5;
const PERSIST_DIRECTORY_ATOM: u16 = 0x1772;
const TEXT_HEADER_ATOM: u16 = 0x0F9F;
const TEXT_CHARS_ATOM: u16 = 0x0FA0;
const TEXT_BYTES_ATOM: u16 = 0x0FA8;
const OUTLINE_TEXT_REF_ATOM: u16 = 0x0F9E;
/// Containers nest no deeper than this in a valid file.
const MAX_DEPTH: usize = 32;

fn invalid(reason: impl Into<String>) -> Error {
    Error::invalid_input(FORMAT, reason.into())
}

/// A record: its type and instance, whether it is a container, and its body.
struct Record<'a> {
    kind: u16,
    instance: u16,
    container: bool,
    body: &'a [u8],
}

fn record_at(stream: &[u8], at: usize) -> Option<Record<'_>> {
    let (version, kind, length) = (u16_at(stream, at)?, u16_at(stream, at + 2)?, u32_at(stream, at + 4)? as usize);
    let body = stream.get(at + 8..(at + 8).checked_add(length)?)?;
    Some(Record { kind, instance: version >> 4, container: version & 0x000F == 0x000F, body })
}

fn records(body: &[u8]) -> impl Iterator<Item = Record<'_>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let record = record_at(body, at)?;
        at += 8 + record.body.len();
        Some(record)
    })
}

/// The text of one text box: its type (title, body...) and its characters.
struct Text {
    kind: u32,
    text: String,
}

fn text_of(record: &Record<'_>) -> Option<String> {
    match record.kind {
        TEXT_CHARS_ATOM => {
            let units: Vec<u16> = record.body.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
            Some(String::from_utf16_lossy(&units))
        }
        TEXT_BYTES_ATOM => Some(encoding_rs::WINDOWS_1252.decode_without_bom_handling(record.body).0.into_owned()),
        _ => None,
    }
}

/// Text atoms in a slide's drawing, in order, each with the type of the
/// text header before it; an outline reference takes the slide list's text.
fn collect(body: &[u8], depth: usize, listed: &[Text], kind: &mut u32, out: &mut Vec<Text>) {
    if depth > MAX_DEPTH {
        return;
    }
    for record in records(body) {
        if record.container {
            collect(record.body, depth + 1, listed, kind, out);
            continue;
        }
        match record.kind {
            TEXT_HEADER_ATOM => *kind = u32_at(record.body, 0).unwrap_or(4),
            OUTLINE_TEXT_REF_ATOM => {
                if let Some(text) = u32_at(record.body, 0).and_then(|i| listed.get(i as usize)) {
                    out.push(Text { kind: text.kind, text: text.text.clone() });
                }
            }
            _ => {
                if let Some(text) = text_of(&record) {
                    out.push(Text { kind: *kind, text });
                }
            }
        }
    }
}

/// Offsets of persist objects by id (every edit's directory, newest
/// first) and the document's persist id.
///
/// # Errors
/// [`Error::InvalidInput`] when an edit record is missing, or the last
/// edit names an encryption session.
fn persist_directory(stream: &[u8], mut edit: usize) -> Result<(HashMap<u32, usize>, u32)> {
    let mut offsets = HashMap::new();
    let mut document = None;
    for _ in 0..1024 {
        let user_edit = record_at(stream, edit).filter(|r| r.kind == USER_EDIT_ATOM).ok_or_else(|| invalid("the last edit's record is missing"))?;
        let body = user_edit.body;
        if document.is_none() && u32_at(body, 28).is_some_and(|session| session != 0) {
            return Err(invalid("the presentation is encrypted (password-protected); fileconv cannot read it"));
        }
        document.get_or_insert(u32_at(body, 16).unwrap_or(0));
        let directory_at = u32_at(body, 12).unwrap_or(0) as usize;
        if let Some(directory) = record_at(stream, directory_at).filter(|r| r.kind == PERSIST_DIRECTORY_ATOM) {
            let mut at = 0;
            while let Some(entry) = u32_at(directory.body, at) {
                let (first, count) = (entry & 0xF_FFFF, (entry >> 20) as usize);
                for i in 0..count {
                    if let Some(offset) = u32_at(directory.body, at + 4 + i * 4) {
                        offsets.entry(first + i as u32).or_insert(offset as usize);
                    }
                }
                at += 4 + count * 4;
            }
        }
        match u32_at(body, 8).unwrap_or(0) as usize {
            0 => break,
            previous => edit = previous,
        }
    }
    Ok((offsets, document.unwrap_or(0)))
}

/// # Errors
/// [`Error::InvalidInput`] for a file that is not a PowerPoint 97-2003
/// presentation, an encrypted one, or one whose records point outside the stream.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut file = Compound::open(input.bytes, FORMAT)?;
    let user = file.stream("/Current User")?;
    let stream = file.stream("/PowerPoint Document")?;
    let edit = u32_at(&user, 16).ok_or_else(|| invalid("the Current User stream is truncated"))? as usize;
    let (offsets, document_id) = persist_directory(&stream, edit)?;
    let object = |id: u32| offsets.get(&id).and_then(|at| record_at(&stream, *at));
    let document = object(document_id).filter(|r| r.kind == DOCUMENT).ok_or_else(|| invalid("no document container"))?;
    // The slide list (instance 0): each slide's persist id, then the text
    // the slide's placeholders may refer to.
    let mut slides: Vec<(u32, Vec<Text>)> = Vec::new();
    // Instance 0 lists the slides; 1 the masters, 2 the notes.
    if let Some(list) = records(document.body).find(|r| r.kind == SLIDE_LIST_WITH_TEXT && r.instance == 0) {
        let mut kind = 4;
        for record in records(list.body) {
            match record.kind {
                SLIDE_PERSIST_ATOM => slides.push((u32_at(record.body, 0).unwrap_or(0), Vec::new())),
                TEXT_HEADER_ATOM => kind = u32_at(record.body, 0).unwrap_or(4),
                _ => {
                    if let (Some(text), Some(slide)) = (text_of(&record), slides.last_mut()) {
                        slide.1.push(Text { kind, text });
                    }
                }
            }
        }
    }
    let mut flow = Flow::default();
    for (n, (id, listed)) in slides.iter().enumerate() {
        ctx.checkpoint()?;
        let Some(slide) = object(*id).filter(|r| r.kind == SLIDE) else { continue };
        let mut texts = Vec::new();
        collect(slide.body, 0, listed, &mut 4, &mut texts);
        // Text types: 0 title, 1 body, 5 centred body (a subtitle), 6 centred title.
        let only_title_and_subtitle = texts.len() == 2 && matches!(texts[0].kind, 0 | 6) && matches!(texts[1].kind, 1 | 5);
        if n == 0 && only_title_and_subtitle {
            flow.paragraph(Kind::Title, vec![Inline::Text(Run::plain(texts[0].text.trim()))]);
            flow.paragraph(Kind::Author, vec![Inline::Text(Run::plain(texts[1].text.trim()))]);
            continue;
        }
        for text in texts {
            for paragraph in text.text.split('\r') {
                let mut inlines = Vec::new();
                for (i, line) in paragraph.split('\u{b}').enumerate() {
                    if i > 0 {
                        inlines.push(Inline::Break);
                    }
                    if !line.is_empty() {
                        inlines.push(Inline::Text(Run::plain(line)));
                    }
                }
                // Title (0) and centred title (6) placeholders head the slide.
                let kind = if matches!(text.kind, 0 | 6) { Kind::Heading(1) } else { Kind::Normal };
                flow.paragraph(kind, inlines);
            }
        }
    }
    if slides.is_empty() {
        return Err(invalid("the presentation has no slides"));
    }
    ctx.note("list bullets and numbers of PowerPoint 97-2003 text (in its paragraph style records) are not read: lists become paragraphs");
    Ok(Value::Document(flow.finish()))
}
