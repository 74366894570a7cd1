//! PowerPoint 97-2003 (`.ppt`), from the published [MS-PPT] specification,
//! over the compound file (`cfb`): the current user's last edit, the
//! persist directories of every edit (newer entries win), the document's
//! slide list in presentation order, and in each slide the text of its
//! shapes (text atoms in client text boxes, or the slide list's text where
//! a placeholder refers to it), in drawing order. A slide's title
//! placeholder is a level-1 heading; a first slide holding only a centred
//! title and subtitle is the document's title and author; tables (groups
//! of cell shapes) come out as their cells' paragraphs. Bullets and list
//! levels come from each text's paragraph style runs (`StyleTextPropAtom`:
//! `hasBullet` and the indent level; where a run does not say, body
//! placeholders are bulleted, as PowerPoint's default master makes them),
//! numbering from the PowerPoint 2000 extension of the shape
//! (`StyleTextProp9Atom` in its `___PPT9` tag: the scheme and start
//! number of each paragraph run). Picture shapes (their `pib` property)
//! come from the BLIP store and the Pictures stream: PNG, JPEG, TIFF as
//! stored, a DIB as BMP; metafiles are named in a note. Encrypted files
//! are refused with a message.

use std::collections::HashMap;

use fileconv_core::document::flow::{Flow, Kind, MAX_LEVEL};
use fileconv_core::{Context, Error, Image, Inline, Input, Numbering, Result, Run, Value};

use super::compound::{u16_at, u32_at, Compound};
use super::office_art;

const FORMAT: &str = "ppt";

const DOCUMENT: u16 = 0x03E8;
const SLIDE: u16 = 0x03EE;
/// A notes slide: the slide image and the speaker notes' text box.
const NOTES: u16 = 0x03F0;
const SLIDE_LIST_WITH_TEXT: u16 = 0x0FF0;
const SLIDE_PERSIST_ATOM: u16 = 0x03F3;
const USER_EDIT_ATOM: u16 = 0x0FF5;
const PERSIST_DIRECTORY_ATOM: u16 = 0x1772;
const TEXT_HEADER_ATOM: u16 = 0x0F9F;
const TEXT_CHARS_ATOM: u16 = 0x0FA0;
const TEXT_BYTES_ATOM: u16 = 0x0FA8;
const OUTLINE_TEXT_REF_ATOM: u16 = 0x0F9E;
const STYLE_TEXT_PROP_ATOM: u16 = 0x0FA1;
const STYLE_TEXT_PROP9_ATOM: u16 = 0x0FAC;
const BINARY_TAG_DATA: u16 = 0x138B;
const DRAWING_GROUP: u16 = 0x040B;
const DRAWING_GROUP_CONTAINER: u16 = 0xF000;
const BLIP_STORE: u16 = 0xF001;
const SHAPE_PROPERTIES: u16 = 0xF00B;
/// An OfficeArt shape: its client data (tags) and client text box together.
const SHAPE_CONTAINER: u16 = 0xF004;
/// Text types whose paragraphs are bulleted unless a run says otherwise:
/// body (1), half body (7), quarter body (8).
const BULLETED_TYPES: [u32; 3] = [1, 7, 8];
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

/// The text of one text box: its type (title, body...), its characters,
/// and each paragraph's list marker as its style runs give it; or a
/// picture shape, by its index (from 1) in the BLIP store.
struct Text {
    kind: u32,
    text: String,
    markers: Vec<Marker>,
    picture: Option<u32>,
}

impl Text {
    fn new(kind: u32, text: String) -> Text {
        Text { kind, text, markers: Vec::new(), picture: None }
    }
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

/// A paragraph's list marker: its level, whether its style run says it is
/// bulleted (`None`: the run does not say), its run, and its numbering.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Marker {
    level: usize,
    bullet: Option<bool>,
    run: usize,
    number: Option<(Numbering, u64)>,
}

/// Reads little-endian u16 fields in order.
struct Fields<'a> {
    body: &'a [u8],
    at: usize,
}

impl Fields<'_> {
    fn u16(&mut self) -> Option<u16> {
        let value = u16_at(self.body, self.at)?;
        self.at += 2;
        Some(value)
    }

    fn u32(&mut self) -> Option<u32> {
        let value = u32_at(self.body, self.at)?;
        self.at += 4;
        Some(value)
    }

    fn skip(&mut self, bytes: usize) -> Option<()> {
        self.at += bytes;
        (self.at <= self.body.len()).then_some(())
    }
}

/// One `TextPFException` ([MS-PPT] 2.9.18): its fields in mask order; the
/// bullet flag when the mask says it is given.
fn paragraph_exception(fields: &mut Fields<'_>) -> Option<Option<bool>> {
    let masks = fields.u32()?;
    let has = |bit: u32| masks & (1 << bit) != 0;
    let mut bullet = None;
    if masks & 0xF != 0 {
        let flags = fields.u16()?;
        bullet = has(0).then_some(flags & 1 != 0);
    }
    // bulletChar, bulletFontRef, bulletSize, bulletColor (4 bytes), align,
    // lineSpacing, spaceBefore, spaceAfter, leftMargin, indent, defaultTabSize.
    for (bit, bytes) in [(7, 2), (4, 2), (6, 2), (5, 4), (11, 2), (12, 2), (13, 2), (14, 2), (8, 2), (10, 2), (15, 2)] {
        if has(bit) {
            fields.skip(bytes)?;
        }
    }
    if has(20) {
        let stops = fields.u16()?;
        fields.skip(usize::from(stops) * 4)?;
    }
    // fontAlign; wrapFlags (charWrap, wordWrap, overflow); textDirection.
    if has(16) {
        fields.skip(2)?;
    }
    if masks & (0b111 << 17) != 0 {
        fields.skip(2)?;
    }
    if has(21) {
        fields.skip(2)?;
    }
    Some(bullet)
}

/// The markers of `text`'s paragraphs from its `StyleTextPropAtom`: the
/// paragraph runs, each `count` characters (the last one counts one past
/// the end) at an indent level. Paragraphs past what the runs cover keep
/// the default marker.
fn paragraph_markers(body: &[u8], text: &str) -> Vec<Marker> {
    let starts: Vec<usize> = text
        .split('\r')
        .scan(0, |at, paragraph| {
            let start = *at;
            *at += paragraph.encode_utf16().count() + 1;
            Some(start)
        })
        .collect();
    let mut markers = vec![Marker::default(); starts.len()];
    let mut fields = Fields { body, at: 0 };
    let (mut run_start, mut run) = (0usize, 0usize);
    let mut next = 0;
    while next < starts.len() {
        let (Some(count), Some(level)) = (fields.u32(), fields.u16()) else { break };
        let Some(bullet) = paragraph_exception(&mut fields) else { break };
        let end = run_start.saturating_add(count as usize);
        while next < starts.len() && starts[next] < end {
            markers[next] = Marker { level: usize::from(level).min(MAX_LEVEL), bullet, run, number: None };
            next += 1;
        }
        if count == 0 {
            break;
        }
        run_start = end;
        run += 1;
    }
    markers
}

/// The numbering of each paragraph run from a `StyleTextProp9Atom`
/// ([MS-PPT] 2.9.26; laid out as Apache POI reads it): a
/// `TextPFException9` (bullet picture, whether it numbers, the scheme and
/// start), then the masks of a `TextCFException9` and a `TextSIException`.
fn run_numbering(body: &[u8]) -> Vec<Option<(Numbering, u64)>> {
    let mut numbering = Vec::new();
    let mut fields = Fields { body, at: 0 };
    while fields.at + 4 <= body.len() {
        let Some(masks) = fields.u32() else { break };
        if masks & (1 << 23) != 0 && fields.skip(2).is_none() {
            break;
        }
        let numbers = if masks & (1 << 25) != 0 { fields.u16().map(|f| f != 0) } else { Some(true) };
        let scheme = if masks & (1 << 24) != 0 {
            match (fields.u16(), fields.u16()) {
                (Some(scheme), Some(start)) => Some((counting(scheme), u64::from(start.max(1)))),
                _ => break,
            }
        } else {
            None
        };
        numbering.push(scheme.filter(|_| numbers == Some(true)));
        let (Some(_character), Some(special)) = (fields.u32(), fields.u32()) else { break };
        if special & 0x40 != 0 && fields.skip(2).is_none() {
            break;
        }
    }
    numbering
}

/// How a `TextAutoNumberSchemeEnum` counts; the Asian and Hebrew schemes
/// count in digits here.
fn counting(scheme: u16) -> Numbering {
    match scheme {
        0 | 8 | 9 => Numbering::LowerAlpha,
        1 | 10 | 11 => Numbering::UpperAlpha,
        4..=6 => Numbering::LowerRoman,
        7 | 14 | 15 => Numbering::UpperRoman,
        _ => Numbering::Decimal,
    }
}

/// The `StyleTextProp9Atom` in a `___PPT9` tag's data, if there is one.
fn ppt9_numbering(record: &Record<'_>) -> Option<Vec<Option<(Numbering, u64)>>> {
    records(record.body).find(|r| r.kind == STYLE_TEXT_PROP9_ATOM).map(|r| run_numbering(r.body))
}

/// Text atoms in a slide's drawing, in order, each with the type of the
/// text header before it and the markers of the style atom after it; an
/// outline reference takes the slide list's text. A shape's numbering (its
/// `___PPT9` tag) applies to the texts of that shape.
fn collect(body: &[u8], depth: usize, listed: &[Text], kind: &mut u32, out: &mut Vec<Text>, numbering: &mut Option<Vec<Option<(Numbering, u64)>>>) {
    if depth > MAX_DEPTH {
        return;
    }
    for record in records(body) {
        if record.kind == BINARY_TAG_DATA {
            if let Some(found) = ppt9_numbering(&record) {
                *numbering = Some(found);
            }
            continue;
        }
        if record.container && record.kind == SHAPE_CONTAINER {
            let (mut shape, mut shape_numbering) = (Vec::new(), None);
            collect(record.body, depth + 1, listed, kind, &mut shape, &mut shape_numbering);
            if let Some(by_run) = shape_numbering {
                for marker in shape.iter_mut().flat_map(|text| text.markers.iter_mut()) {
                    marker.number = by_run.get(marker.run).copied().flatten();
                }
            }
            out.extend(shape);
            continue;
        }
        if record.container {
            collect(record.body, depth + 1, listed, kind, out, numbering);
            continue;
        }
        match record.kind {
            TEXT_HEADER_ATOM => *kind = u32_at(record.body, 0).unwrap_or(4),
            OUTLINE_TEXT_REF_ATOM => {
                if let Some(text) = u32_at(record.body, 0).and_then(|i| listed.get(i as usize)) {
                    out.push(Text { kind: text.kind, text: text.text.clone(), markers: text.markers.clone(), picture: None });
                }
            }
            STYLE_TEXT_PROP_ATOM => attach_style(out, &record),
            SHAPE_PROPERTIES => {
                if let Some(index) = office_art::picture_index(record.body, record.instance) {
                    out.push(Text { picture: Some(index), ..Text::new(*kind, String::new()) });
                }
            }
            _ => {
                if let Some(text) = text_of(&record) {
                    out.push(Text::new(*kind, text));
                }
            }
        }
    }
}

/// Gives the last text, when it has none yet, the markers of the style atom after it.
fn attach_style(texts: &mut [Text], record: &Record<'_>) {
    if let Some(text) = texts.last_mut().filter(|t| t.markers.is_empty()) {
        text.markers = paragraph_markers(record.body, &text.text);
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
                STYLE_TEXT_PROP_ATOM => {
                    if let Some(slide) = slides.last_mut() {
                        attach_style(&mut slide.1, &record);
                    }
                }
                _ => {
                    if let (Some(text), Some(slide)) = (text_of(&record), slides.last_mut()) {
                        slide.1.push(Text::new(kind, text));
                    }
                }
            }
        }
    }
    // The BLIP store (document, drawing group, its container) and the
    // Pictures stream its entries point into.
    let store: Vec<&[u8]> = records(document.body)
        .find(|r| r.kind == DRAWING_GROUP)
        .and_then(|group| records(group.body).find(|r| r.kind == DRAWING_GROUP_CONTAINER))
        .and_then(|container| records(container.body).find(|r| r.kind == BLIP_STORE))
        .map(|blips| records(blips.body).filter(|r| r.kind == office_art::FBSE).map(|r| r.body).collect())
        .unwrap_or_default();
    let pictures = if file.has("/Pictures") { file.stream("/Pictures")? } else { Vec::new() };
    let (mut pictures_read, mut pictures_left) = (0, 0);
    let mut flow = Flow::default();
    for (n, (id, listed)) in slides.iter().enumerate() {
        ctx.checkpoint()?;
        let Some(slide) = object(*id).filter(|r| r.kind == SLIDE) else { continue };
        let mut texts = Vec::new();
        collect(slide.body, 0, listed, &mut 4, &mut texts, &mut None);
        // Text types: 0 title, 1 body, 5 centred body (a subtitle), 6 centred title.
        let words: Vec<&Text> = texts.iter().filter(|t| t.picture.is_none()).collect();
        let only_title_and_subtitle = words.len() == 2 && matches!(words[0].kind, 0 | 6) && matches!(words[1].kind, 1 | 5);
        if n == 0 && only_title_and_subtitle {
            flow.paragraph(Kind::Title, vec![Inline::Text(Run::plain(words[0].text.trim()))]);
            flow.paragraph(Kind::Author, vec![Inline::Text(Run::plain(words[1].text.trim()))]);
            texts.retain(|t| t.picture.is_some());
        }
        for text in texts {
            if let Some(index) = text.picture {
                let stored = index.checked_sub(1).and_then(|i| store.get(i as usize)).and_then(|entry| office_art::stored_picture(entry, &pictures));
                match stored {
                    Some((extension, data)) => {
                        pictures_read += 1;
                        flow.image(Image { src: format!("image{pictures_read}.{extension}"), alt: String::new(), data: Some(data) });
                    }
                    None => pictures_left += 1,
                }
                continue;
            }
            let bulleted = BULLETED_TYPES.contains(&text.kind);
            for (n, paragraph) in text.text.split('\r').enumerate() {
                let mut inlines = Vec::new();
                for (i, line) in paragraph.split('\u{b}').enumerate() {
                    if i > 0 {
                        inlines.push(Inline::Break);
                    }
                    if !line.is_empty() {
                        inlines.push(Inline::Text(Run::plain(line)));
                    }
                }
                let marker = text.markers.get(n).copied().unwrap_or_default();
                // Title (0) and centred title (6) placeholders head the slide.
                let kind = if matches!(text.kind, 0 | 6) {
                    Kind::Heading(1)
                } else if let Some((counting, start)) = marker.number {
                    Kind::marked_item(marker.level, Some(start), counting)
                } else if marker.bullet.unwrap_or(bulleted) && !paragraph.trim().is_empty() {
                    Kind::marked_item(marker.level, None, Numbering::Bullet)
                } else {
                    Kind::Normal
                };
                flow.paragraph(kind, inlines);
            }
        }
    }
    if slides.is_empty() {
        return Err(invalid("the presentation has no slides"));
    }
    // Instance 2 lists the notes slides; PowerPoint and LibreOffice write
    // one for every slide, most holding no words.
    let spoken = records(document.body)
        .filter(|r| r.kind == SLIDE_LIST_WITH_TEXT && r.instance == 2)
        .flat_map(|list| records(list.body).filter(|r| r.kind == SLIDE_PERSIST_ATOM).filter_map(|r| u32_at(r.body, 0)).collect::<Vec<_>>())
        .filter_map(|id| object(id).filter(|r| r.kind == NOTES))
        .any(|notes| {
            let mut texts = Vec::new();
            collect(notes.body, 0, &[], &mut 4, &mut texts, &mut None);
            texts.iter().any(|t| t.text.chars().any(char::is_alphanumeric))
        });
    // Speaker notes become pages of their own (notes=true) only from PPTX and ODP.
    super::note_unread(ctx, if spoken { &["speaker notes"] } else { &[] }, "PowerPoint 97-2003 files into flowing text");
    if pictures_left > 0 {
        ctx.note(format!("{pictures_left} picture(s) of the slides (metafiles, or missing from the Pictures stream) are not read from PowerPoint 97-2003 files; they were left out"));
    }
    Ok(Value::Document(flow.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(count: u32, level: u16, masks: u32, fields: &[u16]) -> Vec<u8> {
        let mut bytes = [count.to_le_bytes().as_slice(), &level.to_le_bytes(), &masks.to_le_bytes()].concat();
        bytes.extend(fields.iter().flat_map(|f| f.to_le_bytes()));
        bytes
    }

    #[test]
    fn style_runs_give_each_paragraph_its_level_and_bullet() {
        // "one\r" bulleted at level 0 with a tab stop list to skip; "two\rthree"
        // (one run of two paragraphs) not bulleted at level 1; then no mask.
        let body = [
            run(4, 0, 1 | 1 << 20 | 1 << 11, &[1, 0, 1, 10, 0]),
            run(10, 1, 1, &[0]),
            run(5, 2, 0, &[]),
        ]
        .concat();
        let markers = paragraph_markers(&body, "one\rtwo\rthree\rfour");
        let levels: Vec<(usize, Option<bool>, usize)> = markers.iter().map(|m| (m.level, m.bullet, m.run)).collect();
        assert_eq!(levels, [(0, Some(true), 0), (1, Some(false), 1), (1, Some(false), 1), (2, None, 2)]);
        for cut in 0..body.len() {
            assert_eq!(paragraph_markers(&body[..cut], "one\rtwo\rthree\rfour").len(), 4);
        }
    }

    #[test]
    fn numbering_by_run_and_garbage_without_panic() {
        // Run 0: numbered, scheme 3 (1.) from 4; run 1: no numbering; with the
        // character and special masks (the second asks for the bidi field).
        let mut body = [(3u32 << 24).to_le_bytes().as_slice(), &1u16.to_le_bytes(), &3u16.to_le_bytes(), &4u16.to_le_bytes()].concat();
        body.extend([0u8; 8]);
        body.extend([0u8; 4]);
        body.extend([0u8; 4]);
        body.extend(0x40u32.to_le_bytes());
        body.extend([0u8; 2]);
        assert_eq!(run_numbering(&body), [Some((Numbering::Decimal, 4)), None]);
        assert_eq!(counting(0), Numbering::LowerAlpha);
        assert_eq!(counting(7), Numbering::UpperRoman);
        for cut in 0..body.len() {
            assert!(run_numbering(&body[..cut]).len() <= 2);
        }
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let _ = run_numbering(&noise);
        let _ = paragraph_markers(&noise, "a\rb\rc");
    }
}
