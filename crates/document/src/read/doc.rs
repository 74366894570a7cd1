//! Word 97-2003 (`.doc`), from the published [MS-DOC] specification, over
//! the compound file (`cfb`): the FIB, the piece table (8-bit and UTF-16
//! pieces), paragraph properties (style, table cells and rows, list level
//! and list) and character properties (bold, italic, strike, character
//! style) from their formatted disk pages, the style sheet (built-in style
//! ids and names: headings, title, code, quotes), the list tables (bullet
//! or number format), hyperlink fields, and title and author from the
//! summary information. Footnotes and endnotes become `[n]` marks where
//! they are cited and numbered plain paragraphs after the body, as the
//! DOCX reader makes them. Inline pictures come from the Data stream
//! (the BLIP in each picture's OfficeArt data: PNG, JPEG, TIFF, DIB as
//! BMP); text boxes from the text box subdocument, their paragraphs where
//! the box is anchored. Metafile pictures (EMF, WMF, PICT), other drawn
//! objects, headers and footers and comments are not read: a note says
//! what was left out. Encrypted and pre-97 files are refused with a message.

use std::collections::HashMap;

use fileconv_core::document::flow::{push_cell_paragraph, push_text, Flow, Kind, MAX_LEVEL};
use fileconv_core::{Context, Error, Image, Inline, Input, Numbering, Result, Run, TableBlock, Value};

use super::compound::{u16_at, u32_at, Compound};
use super::office_art;

const FORMAT: &str = "doc";
const PAGE: usize = 512;

fn invalid(reason: impl Into<String>) -> Error {
    Error::invalid_input(FORMAT, reason.into())
}

/// The slice `fc..fc+lcb` of a stream, as the FIB locates structures.
fn located<'s>(stream: &'s [u8], (fc, lcb): (u32, u32), what: &str) -> Result<&'s [u8]> {
    let (fc, lcb) = (fc as usize, lcb as usize);
    stream.get(fc..fc.saturating_add(lcb)).ok_or_else(|| invalid(format!("the {what} lies past the end of its stream")))
}

/// What the reader uses of the File Information Block.
struct Fib {
    table_stream: &'static str,
    ccp_text: u32,
    /// Characters of the footnote, header, comment and endnote subdocuments,
    /// which follow the main text in that order.
    ccp_ftn: u32,
    ccp_hdd: u32,
    ccp_atn: u32,
    ccp_edn: u32,
    /// Characters of the text box subdocument, which follows the endnotes.
    ccp_txbx: u32,
    /// Footnote and endnote references (CPs in the main text) and texts
    /// (CPs in their subdocument).
    plcf_fnd_ref: (u32, u32),
    plcf_fnd_txt: (u32, u32),
    plcf_end_ref: (u32, u32),
    plcf_end_txt: (u32, u32),
    stshf: (u32, u32),
    bte_chpx: (u32, u32),
    bte_papx: (u32, u32),
    clx: (u32, u32),
    plf_lst: (u32, u32),
    plf_lfo: (u32, u32),
    /// Shapes anchored in the main text (`PlcSpaMom`) and the text box
    /// stories (`PlcftxbxTxt`).
    plc_spa_mom: (u32, u32),
    plcf_txbx_txt: (u32, u32),
}

impl Fib {
    fn parse(word: &[u8]) -> Result<Fib> {
        if u16_at(word, 0) != Some(0xA5EC) {
            return Err(invalid("not a Word 97-2003 document (no FIB signature)"));
        }
        let n_fib = u16_at(word, 2).unwrap_or(0);
        if n_fib < 0x00C1 {
            return Err(invalid(format!("a Word document older than Word 97 (nFib {n_fib:#x}); fileconv reads Word 97 to 2003 files")));
        }
        let flags = u16_at(word, 0x0A).unwrap_or(0);
        if flags & 0x0100 != 0 {
            return Err(invalid("the document is encrypted (password-protected); fileconv cannot read it"));
        }
        let csw = usize::from(u16_at(word, 32).ok_or_else(|| invalid("the FIB is truncated"))?);
        let lw_at = 34 + csw * 2;
        let cslw = usize::from(u16_at(word, lw_at).ok_or_else(|| invalid("the FIB is truncated"))?);
        let lw = |i: usize| u32_at(word, lw_at + 2 + i * 4).ok_or_else(|| invalid("the FIB is truncated"));
        let fc_at = lw_at + 2 + cslw * 4;
        let pairs = usize::from(u16_at(word, fc_at).ok_or_else(|| invalid("the FIB is truncated"))?);
        let pair = |i: usize| -> Result<(u32, u32)> {
            if i >= pairs {
                return Ok((0, 0));
            }
            let at = fc_at + 2 + i * 8;
            Ok((u32_at(word, at).ok_or_else(|| invalid("the FIB is truncated"))?, u32_at(word, at + 4).ok_or_else(|| invalid("the FIB is truncated"))?))
        };
        Ok(Fib {
            table_stream: if flags & 0x0200 != 0 { "/1Table" } else { "/0Table" },
            ccp_text: lw(3)?,
            ccp_ftn: lw(4).unwrap_or(0),
            ccp_hdd: lw(5).unwrap_or(0),
            ccp_atn: lw(7).unwrap_or(0),
            ccp_edn: lw(8).unwrap_or(0),
            ccp_txbx: lw(9).unwrap_or(0),
            plcf_fnd_ref: pair(2)?,
            plcf_fnd_txt: pair(3)?,
            plcf_end_ref: pair(46)?,
            plcf_end_txt: pair(47)?,
            stshf: pair(1)?,
            bte_chpx: pair(12)?,
            bte_papx: pair(13)?,
            clx: pair(33)?,
            plf_lst: pair(73)?,
            plf_lfo: pair(74)?,
            plc_spa_mom: pair(40)?,
            plcf_txbx_txt: pair(56)?,
        })
    }
}

/// A piece of the text: characters `cp..cp_end` stored from `fc`, one byte
/// each (Windows-1252) when `compressed`, else UTF-16.
struct Piece {
    cp: u32,
    cp_end: u32,
    fc: u32,
    compressed: bool,
}

fn pieces(clx: &[u8]) -> Result<Vec<Piece>> {
    let mut at = 0;
    while clx.get(at) == Some(&0x01) {
        let size = u16_at(clx, at + 1).ok_or_else(|| invalid("the piece table is truncated"))?;
        at += 3 + usize::from(size);
    }
    if clx.get(at) != Some(&0x02) {
        return Err(invalid("no piece table"));
    }
    let lcb = u32_at(clx, at + 1).ok_or_else(|| invalid("the piece table is truncated"))? as usize;
    let plc = clx.get(at + 5..at + 5 + lcb).ok_or_else(|| invalid("the piece table is truncated"))?;
    let n = plc.len().saturating_sub(4) / 12;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (cp, cp_end) = (u32_at(plc, i * 4).unwrap_or(0), u32_at(plc, i * 4 + 4).unwrap_or(0));
        let pcd = (n + 1) * 4 + i * 8;
        let fc = u32_at(plc, pcd + 2).ok_or_else(|| invalid("the piece table is truncated"))?;
        let compressed = fc & 0x4000_0000 != 0;
        out.push(Piece { cp, cp_end: cp_end.max(cp), fc: if compressed { (fc & !0x4000_0000) / 2 } else { fc }, compressed });
    }
    Ok(out)
}

/// The operand length of a property modifier (sprm) starting at `at`.
fn operand_length(sprm: u16, grpprl: &[u8], at: usize) -> usize {
    match sprm >> 13 {
        0 | 1 => 1,
        2 | 4 | 5 => 2,
        3 => 4,
        7 => 3,
        // sprmTDefTable: a 2-byte size of the rest of the operand, plus one.
        _ if sprm == 0xD608 => usize::from(u16_at(grpprl, at).unwrap_or(0)) + 1,
        _ => usize::from(*grpprl.get(at).unwrap_or(&0)) + 1,
    }
}

/// The property modifiers of a grpprl, each as (sprm, operand).
fn sprms(grpprl: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let sprm = u16_at(grpprl, at)?;
        let length = operand_length(sprm, grpprl, at + 2);
        let operand = grpprl.get(at + 2..at + 2 + length)?;
        at += 2 + length;
        Some((sprm, operand))
    })
}

/// One of the formatted disk pages a bin table points to, and which
/// properties it gives the text from `fc`.
struct Pages<'a> {
    word: &'a [u8],
    /// (first fc, page number) per page.
    bins: Vec<(u32, u32)>,
}

impl<'a> Pages<'a> {
    fn new(word: &'a [u8], plc: &[u8]) -> Pages<'a> {
        let n = plc.len().saturating_sub(4) / 8;
        let bins = (0..n).map(|i| (u32_at(plc, i * 4).unwrap_or(0), u32_at(plc, (n + 1) * 4 + i * 4).unwrap_or(0) & 0x3F_FFFF)).collect();
        Pages { word, bins }
    }

    /// The page covering `fc`, and the index of the run in it.
    fn find(&self, fc: u32) -> Option<(&'a [u8], usize)> {
        let bin = self.bins.partition_point(|(first, _)| *first <= fc).checked_sub(1)?;
        let start = self.bins[bin].1 as usize * PAGE;
        let page = self.word.get(start..start + PAGE)?;
        let runs = usize::from(page[PAGE - 1]);
        let fcs: Vec<u32> = (0..=runs).filter_map(|i| u32_at(page, i * 4)).collect();
        let run = fcs.partition_point(|f| *f <= fc).checked_sub(1).filter(|r| *r < runs)?;
        Some((page, run))
    }

    /// A paragraph's style index and grpprl.
    fn papx(&self, fc: u32) -> (u16, &'a [u8]) {
        let Some((page, run)) = self.find(fc) else { return (0, &[]) };
        let runs = usize::from(page[PAGE - 1]);
        let offset = usize::from(page[(runs + 1) * 4 + run * 13]) * 2;
        if offset == 0 {
            return (0, &[]);
        }
        let (start, length) = match page.get(offset) {
            Some(0) => (offset + 2, usize::from(*page.get(offset + 1).unwrap_or(&0)) * 2),
            Some(&cb) => (offset + 1, usize::from(cb) * 2 - 1),
            None => return (0, &[]),
        };
        let data = page.get(start..(start + length).min(PAGE - 1)).unwrap_or(&[]);
        (u16_at(data, 0).unwrap_or(0), data.get(2..).unwrap_or(&[]))
    }

    /// A character run's grpprl.
    fn chpx(&self, fc: u32) -> &'a [u8] {
        let Some((page, run)) = self.find(fc) else { return &[] };
        let runs = usize::from(page[PAGE - 1]);
        let offset = usize::from(page[(runs + 1) * 4 + run]) * 2;
        if offset == 0 {
            return &[];
        }
        let length = usize::from(page[offset]);
        page.get(offset + 1..(offset + 1 + length).min(PAGE - 1)).unwrap_or(&[])
    }
}

/// A style: its built-in id (`sti`) and name.
#[derive(Clone, Default)]
struct Style {
    sti: u16,
    name: String,
}

fn stylesheet(stsh: &[u8]) -> Vec<Style> {
    let Some(header) = u16_at(stsh, 0).map(usize::from) else { return Vec::new() };
    let count = usize::from(u16_at(stsh, 2).unwrap_or(0));
    let base = usize::from(u16_at(stsh, 4).unwrap_or(10));
    let mut at = 2 + header;
    let mut styles = Vec::with_capacity(count);
    for _ in 0..count {
        let Some(size) = u16_at(stsh, at).map(usize::from) else { break };
        let std = stsh.get(at + 2..at + 2 + size).unwrap_or(&[]);
        at += 2 + size;
        if std.is_empty() {
            styles.push(Style::default());
            continue;
        }
        let sti = u16_at(std, 0).unwrap_or(0) & 0x0FFF;
        let name = u16_at(std, base)
            .and_then(|length| {
                let units: Vec<u16> = (0..usize::from(length)).map_while(|i| u16_at(std, base + 2 + i * 2)).collect();
                String::from_utf16(&units).ok()
            })
            .unwrap_or_default();
        styles.push(Style { sti, name });
    }
    styles
}

/// The number format of each list's levels, by the LFO index paragraphs name.
fn list_formats(table: &[u8], fib: &Fib) -> HashMap<u16, Vec<Numbering>> {
    let (Ok(lst), Ok(lfo)) = (located(table, fib.plf_lst, "list table"), located(table, fib.plf_lfo, "list override table")) else { return HashMap::new() };
    let count = usize::from(u16_at(lst, 0).unwrap_or(0));
    let mut by_lsid: HashMap<u32, Vec<Numbering>> = HashMap::new();
    let mut lvl_at = fib.plf_lst.0 as usize + 2 + count * 28;
    for i in 0..count {
        let lstf = 2 + i * 28;
        let (Some(lsid), Some(flags)) = (u32_at(lst, lstf), lst.get(lstf + 26)) else { break };
        let levels = if flags & 1 != 0 { 1 } else { 9 };
        let mut formats = Vec::with_capacity(levels);
        for _ in 0..levels {
            let Some(lvlf) = table.get(lvl_at..lvl_at + 28) else { break };
            formats.push(match lvlf[4] {
                0 => Numbering::Decimal,
                1 => Numbering::UpperRoman,
                2 => Numbering::LowerRoman,
                3 => Numbering::UpperAlpha,
                4 => Numbering::LowerAlpha,
                _ => Numbering::Bullet,
            });
            let (chpx, papx) = (usize::from(lvlf[24]), usize::from(lvlf[25]));
            let text_at = lvl_at + 28 + papx + chpx;
            lvl_at = text_at + 2 + usize::from(u16_at(table, text_at).unwrap_or(0)) * 2;
        }
        by_lsid.insert(lsid, formats);
    }
    let overrides = u32_at(lfo, 0).unwrap_or(0).min(4096) as usize;
    (0..overrides).filter_map(|i| Some(((i + 1) as u16, by_lsid.get(&u32_at(lfo, 4 + i * 16)?)?.clone()))).collect()
}

/// Title and author from the `\u{5}SummaryInformation` property set.
fn summary(file: &mut Compound<'_>) -> (Option<String>, Option<String>) {
    let Ok(set) = file.stream("/\u{5}SummaryInformation") else { return (None, None) };
    let Some(section) = u32_at(&set, 44).map(|s| s as usize) else { return (None, None) };
    let count = u32_at(&set, section + 4).unwrap_or(0).min(1000) as usize;
    let mut code_page = 1252;
    let mut found = HashMap::new();
    for i in 0..count {
        let (Some(id), Some(offset)) = (u32_at(&set, section + 8 + i * 8), u32_at(&set, section + 12 + i * 8)) else { break };
        let at = section + offset as usize;
        match (id, u32_at(&set, at)) {
            (1, Some(2)) => code_page = u32::from(u16_at(&set, at + 4).unwrap_or(1252)),
            (2 | 4, Some(30)) => {
                let length = u32_at(&set, at + 4).unwrap_or(0) as usize;
                if let Some(bytes) = set.get(at + 8..at + 8 + length) {
                    found.insert(id, bytes.split(|b| *b == 0).next().unwrap_or_default().to_vec());
                }
            }
            _ => {}
        }
    }
    let encoding = fileconv_core::code_page::encoding(code_page).unwrap_or(encoding_rs::WINDOWS_1252);
    let text = |id: u32| found.get(&id).map(|b| encoding.decode(b).0.trim().to_string()).filter(|t| !t.is_empty());
    (text(2), text(4))
}

/// What a paragraph style means: a built-in heading id (`sti` 1 to 9), else its name.
fn style_kind(style: Option<&Style>) -> Kind {
    let Some(style) = style else { return Kind::Normal };
    if (1..=9).contains(&style.sti) {
        return Kind::Heading(style.sti.min(6) as u8);
    }
    super::style_name_kind(&style.name).unwrap_or(Kind::Normal)
}

/// # Errors
/// [`Error::InvalidInput`] for a file that is not a Word 97-2003 document,
/// an encrypted one, or one whose structures point outside their streams.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut file = Compound::open(input.bytes, FORMAT)?;
    if file.has("/EncryptionInfo") {
        return Err(invalid("the document is encrypted (password-protected); fileconv cannot read it"));
    }
    let word = file.stream("/WordDocument")?;
    let fib = Fib::parse(&word)?;
    let table = file.stream(fib.table_stream)?;
    let pieces = pieces(located(&table, fib.clx, "piece table")?)?;
    let styles = stylesheet(located(&table, fib.stshf, "style sheet").unwrap_or_default());
    let lists = list_formats(&table, &fib);
    let papx_bins = located(&table, fib.bte_papx, "paragraph bin table")?;
    let chpx_bins = located(&table, fib.bte_chpx, "character bin table")?;
    let (paragraphs, characters) = (Pages::new(&word, papx_bins), Pages::new(&word, chpx_bins));
    let data = if file.has("/Data") { file.stream("/Data")? } else { Vec::new() };
    let mut reader = Reader {
        flow: Flow::default(),
        styles: &styles,
        lists: &lists,
        paragraphs: &paragraphs,
        characters: &characters,
        inlines: Vec::new(),
        fields: Vec::new(),
        cell: Vec::new(),
        row: Vec::new(),
        rows: Vec::new(),
        header_rows: 0,
        data: &data,
        boxes: text_boxes(&table, &fib, &pieces, &word, ctx)?,
        pictures_read: 0,
        pictures: 0,
        drawings: 0,
        cp: 0,
        note_marks: HashMap::new(),
    };
    let notes = Notes::read(&table, &fib);
    reader.note_marks = notes.marks();
    for_each_char(&pieces, &word, 0..fib.ccp_text, ctx, |cp, c, fc| {
        reader.cp = cp;
        reader.char(c, fc);
    })?;
    reader.end_paragraph(None);
    reader.flush_table();
    let bodies = notes.bodies(&pieces, &word, &fib, ctx)?;
    reader.flow.notes(bodies);
    let subdocument_text = |range: std::ops::Range<u32>| -> Result<usize> {
        let mut letters = 0;
        for_each_char(&pieces, &word, range, ctx, |_, c, _| letters += usize::from(c.is_alphanumeric()))?;
        Ok(letters)
    };
    let headers = fib.ccp_text + fib.ccp_ftn;
    let comments = headers + fib.ccp_hdd;
    let mut unread = Vec::new();
    if subdocument_text(headers..comments)? > 0 {
        unread.push("headers and footers");
    }
    if subdocument_text(comments..comments + fib.ccp_atn)? > 0 {
        unread.push("comments");
    }
    super::note_unread(ctx, &unread, "Word 97-2003 files");
    // Title and Author paragraphs come first; the summary fills what they leave.
    let (title, author) = summary(&mut file);
    reader.flow.metadata(title, author);
    if reader.pictures + reader.drawings > 0 {
        ctx.note(format!(
            "{} picture(s) (metafiles, or not found in the Data stream) and {} drawn object(s) (shapes, lines, text boxes) of the document are not read from Word 97-2003 files; they were left out",
            reader.pictures, reader.drawings
        ));
    }
    Ok(Value::Document(reader.flow.finish()))
}

/// The non-empty paragraphs (and lines, and table cells) of a subdocument's
/// characters `range`, as plain text: a note's or a text box's.
///
/// # Errors
/// [`Error::Cancelled`] while reading.
fn plain_paragraphs(pieces: &[Piece], word: &[u8], range: std::ops::Range<u32>, ctx: &Context<'_>) -> Result<Vec<Vec<Inline>>> {
    let mut text = String::new();
    for_each_char(pieces, word, range, ctx, |_, c, _| match c {
        '\r' | '\u{b}' | '\u{7}' => text.push('\n'),
        '\t' => text.push(' '),
        c if c >= ' ' => text.push(c),
        _ => {}
    })?;
    Ok(text.split('\n').map(str::trim).filter(|p| !p.is_empty()).map(|p| vec![Inline::Text(Run::plain(p))]).collect())
}

/// The paragraphs of each text box anchored in the main text, by the CP of
/// its anchor: the shape's id (`FSPA.spid` in `PlcSpaMom`) names the story
/// (`FTXBXS.lid` in `PlcftxbxTxt`, not a reusable spare) whose characters,
/// in the text box subdocument, are the box's text. Lists that cannot be
/// read give no boxes (their anchors are then counted as drawn objects).
///
/// # Errors
/// [`Error::Cancelled`] while reading the stories' characters.
fn text_boxes(table: &[u8], fib: &Fib, pieces: &[Piece], word: &[u8], ctx: &Context<'_>) -> Result<HashMap<u32, Vec<Vec<Inline>>>> {
    const FSPA: usize = 26;
    const FTXBXS: usize = 22;
    let mut boxes = HashMap::new();
    let (Ok(anchors), Ok(stories)) = (located(table, fib.plc_spa_mom, "shape anchors"), located(table, fib.plcf_txbx_txt, "text box stories")) else {
        return Ok(boxes);
    };
    let (n, m) = (anchors.len().saturating_sub(4) / (4 + FSPA), stories.len().saturating_sub(4) / (4 + FTXBXS));
    let start = fib.ccp_text + fib.ccp_ftn + fib.ccp_hdd + fib.ccp_atn + fib.ccp_edn;
    let mut by_shape = HashMap::new();
    for i in 0..m {
        let data = (m + 1) * 4 + i * FTXBXS;
        let (Some(from), Some(to), Some(reusable), Some(shape)) = (u32_at(stories, i * 4), u32_at(stories, i * 4 + 4), u16_at(stories, data + 8), u32_at(stories, data + 14)) else { continue };
        if reusable == 0 {
            by_shape.insert(shape, start + from.min(fib.ccp_txbx)..start + to.min(fib.ccp_txbx));
        }
    }
    for i in 0..n {
        let (Some(cp), Some(shape)) = (u32_at(anchors, i * 4), u32_at(anchors, (n + 1) * 4 + i * FSPA)) else { continue };
        let Some(range) = by_shape.get(&shape) else { continue };
        let paragraphs = plain_paragraphs(pieces, word, range.clone(), ctx)?;
        if !paragraphs.is_empty() {
            boxes.insert(cp, paragraphs);
        }
    }
    Ok(boxes)
}

/// The picture file of an inline picture at `at` in the Data stream
/// ([MS-DOC] PICFAndOfficeArtData): the PICF header (and the picture's
/// name when `mm` is 0x66), the shape, then the BLIP store entries, whose
/// first bitmap is the picture: PNG, JPEG and TIFF as they are, a DIB made
/// a BMP file. Metafiles (EMF, WMF, PICT) give `None`.
fn picture_file(data: &[u8], at: usize) -> Option<(&'static str, Vec<u8>)> {
    let picture = data.get(at..)?;
    let length = (u32_at(picture, 0)? as usize).min(picture.len());
    let header = usize::from(u16_at(picture, 4)?);
    let mut start = header;
    if u16_at(picture, 6)? == 0x66 {
        start += 1 + usize::from(*picture.get(header)?);
    }
    let records = picture.get(start..length)?;
    let mut offset = 0;
    while let (Some(kind), Some(size)) = (u16_at(records, offset + 2), u32_at(records, offset + 4)) {
        let body = records.get(offset + 8..(offset + 8).checked_add(size as usize)?)?;
        if kind == office_art::FBSE {
            if let Some(file) = office_art::stored_picture(body, &[]) {
                return Some(file);
            }
        }
        offset += 8 + body.len();
    }
    None
}

/// A field being read: its code until the separator, then its result.
struct Field {
    code: String,
    in_result: bool,
    link: Option<String>,
}

struct Reader<'a> {
    flow: Flow,
    styles: &'a [Style],
    lists: &'a HashMap<u16, Vec<Numbering>>,
    paragraphs: &'a Pages<'a>,
    characters: &'a Pages<'a>,
    inlines: Vec<Inline>,
    fields: Vec<Field>,
    /// The cells of the row being read, and the rows of the table.
    cell: Vec<Inline>,
    row: Vec<Vec<Inline>>,
    rows: Vec<Vec<Vec<Inline>>>,
    header_rows: usize,
    /// The Data stream, where inline pictures are (`sprmCPicLocation`).
    data: &'a [u8],
    /// Text boxes' paragraphs by the CP of their anchor in the main text.
    boxes: HashMap<u32, Vec<Vec<Inline>>>,
    /// Pictures read, and pictures left out (metafiles, or not found).
    pictures_read: usize,
    pictures: usize,
    drawings: usize,
    /// The CP of the character being read.
    cp: u32,
    /// Footnote and endnote references in the main text: CP to the note's number.
    note_marks: HashMap<u32, usize>,
}

impl Reader<'_> {
    fn char(&mut self, c: char, fc: u32) {
        match c {
            '\r' => self.end_paragraph(Some(fc)),
            '\u{7}' => self.end_cell(fc),
            '\u{13}' => self.fields.push(Field { code: String::new(), in_result: false, link: None }),
            '\u{14}' => {
                if let Some(field) = self.fields.last_mut() {
                    field.in_result = true;
                    let code = field.code.trim();
                    if let Some(rest) = code.strip_prefix("HYPERLINK") {
                        field.link = rest.split('"').nth(1).map(str::to_string).filter(|l| !l.is_empty());
                    }
                }
            }
            '\u{15}' => {
                self.fields.pop();
            }
            _ if self.fields.last().is_some_and(|f| !f.in_result) => {
                if let Some(field) = self.fields.last_mut() {
                    if field.code.len() < 4096 {
                        field.code.push(c);
                    }
                }
            }
            '\u{1}' => self.picture(fc),
            '\u{8}' => match self.boxes.remove(&self.cp) {
                Some(paragraphs) if self.paragraph_properties(fc).1 => {
                    for paragraph in paragraphs {
                        self.inlines.push(Inline::Break);
                        self.inlines.extend(paragraph);
                    }
                }
                Some(paragraphs) => paragraphs.into_iter().for_each(|p| self.flow.paragraph(Kind::Normal, p)),
                None => self.drawings += 1,
            },
            '\u{b}' => self.inlines.push(Inline::Break),
            '\u{2}' => {
                if let Some(number) = self.note_marks.get(&self.cp) {
                    self.text(&format!("[{number}]"), fc);
                }
            }
            '\u{c}' | '\u{5}' | '\u{1f}' => {}
            '\u{1e}' => self.text("\u{2011}", fc),
            '\t' => self.text("\t", fc),
            c if c < ' ' => {}
            c => self.text(c.encode_utf8(&mut [0; 4]), fc),
        }
    }

    /// An inline picture: the picture file its character's properties point
    /// at in the Data stream, or one more left out.
    fn picture(&mut self, fc: u32) {
        let (mut location, mut object) = (None, false);
        for (sprm, operand) in sprms(self.characters.chpx(fc)) {
            match sprm {
                0x6A03 => location = u32_at(operand, 0),
                // sprmCFData: the location is an embedded object's, not a picture's.
                0x0806 => object = operand.first().is_some_and(|v| *v != 0),
                _ => {}
            }
        }
        match location.filter(|_| !object).and_then(|at| picture_file(self.data, at as usize)) {
            Some((extension, bytes)) => {
                self.pictures_read += 1;
                let src = format!("image{}.{extension}", self.pictures_read);
                self.inlines.push(Inline::Image(Image { src, alt: String::new(), data: Some(bytes) }));
            }
            None => self.pictures += 1,
        }
    }

    fn text(&mut self, text: &str, fc: u32) {
        let mut run = Run::default();
        for (sprm, operand) in sprms(self.characters.chpx(fc)) {
            let on = operand.first().is_some_and(|v| *v == 1 || *v == 0x81);
            match sprm {
                0x0835 => run.bold = on,
                0x0836 => run.italic = on,
                0x0837 => run.strike = on,
                0x4A30 => {
                    let name = u16_at(operand, 0).and_then(|i| self.styles.get(usize::from(i))).map(|s| s.name.to_ascii_lowercase()).unwrap_or_default();
                    match name.as_str() {
                        "strong" | "strong emphasis" => run.bold = true,
                        "emphasis" => run.italic = true,
                        n if n.contains("source text") || n.contains("verbatim") || n == "code" => run.code = true,
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        run.link = self.fields.iter().rev().find_map(|f| f.link.clone());
        push_text(&mut self.inlines, &run, text);
    }

    /// A paragraph's table flags (in a table, row end) and list (level, LFO index).
    fn paragraph_properties(&self, fc: u32) -> (u16, bool, bool, Option<(usize, u16)>) {
        let (istd, grpprl) = self.paragraphs.papx(fc);
        let (mut in_table, mut row_end, mut level, mut list) = (false, false, 0usize, 0u16);
        for (sprm, operand) in sprms(grpprl) {
            match sprm {
                0x2416 => in_table = operand.first().is_some_and(|v| *v != 0),
                0x2417 => row_end = operand.first().is_some_and(|v| *v != 0),
                0x6649 => in_table |= u32_at(operand, 0).is_some_and(|v| v > 0),
                0x260A => level = usize::from(*operand.first().unwrap_or(&0)),
                0x460B => list = u16_at(operand, 0).unwrap_or(0),
                _ => {}
            }
        }
        (istd, in_table, row_end, (list > 0 && list < 0xF000).then_some((level.min(MAX_LEVEL), list)))
    }

    fn end_paragraph(&mut self, fc: Option<u32>) {
        let inlines = std::mem::take(&mut self.inlines);
        let Some(fc) = fc else {
            if !inlines.is_empty() {
                self.flush_table();
                self.flow.paragraph(Kind::Normal, inlines);
            }
            return;
        };
        let (istd, in_table, _, list) = self.paragraph_properties(fc);
        if in_table {
            push_cell_paragraph(&mut self.cell, inlines);
            return;
        }
        self.flush_table();
        let style = self.styles.get(usize::from(istd));
        let kind = match (style_kind(style), list) {
            (Kind::Normal, Some((level, lfo))) => {
                let numbering = self.lists.get(&lfo).and_then(|l| l.get(level).or(l.first())).copied().unwrap_or(Numbering::Bullet);
                Kind::Item { level, numbering, start: 1 }
            }
            (kind, _) => kind,
        };
        if kind == Kind::Code {
            self.flow.paragraph(Kind::Code, vec![Inline::Text(Run::plain(fileconv_core::document::plain_text(&inlines)))]);
        } else {
            self.flow.paragraph(kind, inlines);
        }
    }

    fn end_cell(&mut self, fc: u32) {
        let (_, _, row_end, _) = self.paragraph_properties(fc);
        if row_end {
            if !self.inlines.is_empty() {
                let inlines = std::mem::take(&mut self.inlines);
                push_cell_paragraph(&mut self.cell, inlines);
            }
            let row = std::mem::take(&mut self.row);
            // sprmTTableHeader: the row repeats as the table's heading.
            let heading = sprms(self.paragraphs.papx(fc).1).any(|(sprm, operand)| sprm == 0x3404 && operand.first().is_some_and(|v| *v != 0));
            if heading && self.rows.len() == self.header_rows {
                self.header_rows += 1;
            }
            self.rows.push(row);
            return;
        }
        let inlines = std::mem::take(&mut self.inlines);
        push_cell_paragraph(&mut self.cell, inlines);
        self.row.push(std::mem::take(&mut self.cell));
    }

    fn flush_table(&mut self) {
        if !self.row.is_empty() {
            let row = std::mem::take(&mut self.row);
            self.rows.push(row);
        }
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            self.flow.table(TableBlock { header_rows: std::mem::take(&mut self.header_rows), rows });
        }
    }
}

/// Calls `f` with each character of the CPs in `range`, with its CP and
/// its offset in the document stream (UTF-16 surrogate pairs joined).
///
/// # Errors
/// [`Error::InvalidInput`] for text past the end of the stream; cancellation.
fn for_each_char(pieces: &[Piece], word: &[u8], range: std::ops::Range<u32>, ctx: &Context<'_>, mut f: impl FnMut(u32, char, u32)) -> Result<()> {
    let mut seen = 0u64;
    let mut high_surrogate = None;
    for piece in pieces {
        for cp in piece.cp.max(range.start)..piece.cp_end.min(range.end) {
            seen += 1;
            if seen.is_multiple_of(1 << 16) {
                ctx.checkpoint()?;
            }
            let offset = (cp - piece.cp) as usize;
            let (c, fc) = if piece.compressed {
                let fc = piece.fc as usize + offset;
                let byte = *word.get(fc).ok_or_else(|| invalid("the text lies past the end of the document stream"))?;
                (encoding_rs::WINDOWS_1252.decode_without_bom_handling(&[byte]).0.chars().next().unwrap_or('\u{fffd}'), fc as u32)
            } else {
                let fc = piece.fc as usize + offset * 2;
                let unit = u16_at(word, fc).ok_or_else(|| invalid("the text lies past the end of the document stream"))?;
                match (high_surrogate.take(), unit) {
                    (_, 0xD800..=0xDBFF) => {
                        high_surrogate = Some(unit);
                        continue;
                    }
                    (Some(high), 0xDC00..=0xDFFF) => (char::decode_utf16([high, unit]).next().and_then(|c| c.ok()).unwrap_or('\u{fffd}'), fc as u32),
                    (_, unit) => (char::from_u32(u32::from(unit)).unwrap_or('\u{fffd}'), fc as u32),
                }
            };
            f(cp, c, fc);
        }
    }
    Ok(())
}

/// Footnotes and endnotes: where the main text cites them, and where their
/// texts lie in their subdocuments.
struct Notes {
    /// (CP of the reference in the main text, endnote?, index among its kind), in text order.
    references: Vec<(u32, bool, usize)>,
    footnote_texts: Vec<u32>,
    endnote_texts: Vec<u32>,
}

impl Notes {
    /// The PLCs of both kinds; one that cannot be read is taken as empty.
    fn read(table: &[u8], fib: &Fib) -> Notes {
        // A PLC: n + 1 CPs, then n data elements of `data` bytes each.
        let cps = |location: (u32, u32), data: usize| -> Vec<u32> {
            let Ok(plc) = located(table, location, "note list") else { return Vec::new() };
            let n = plc.len().saturating_sub(4) / (4 + data);
            (0..=n).filter_map(|i| u32_at(plc, i * 4)).collect()
        };
        let mut references = Vec::new();
        for (endnote, location) in [(false, fib.plcf_fnd_ref), (true, fib.plcf_end_ref)] {
            let refs = cps(location, 2);
            // The last CP closes the list; it cites nothing.
            references.extend(refs.iter().take(refs.len().saturating_sub(1)).enumerate().map(|(i, &cp)| (cp, endnote, i)));
        }
        references.sort_unstable();
        Notes { references, footnote_texts: cps(fib.plcf_fnd_txt, 0), endnote_texts: cps(fib.plcf_end_txt, 0) }
    }

    /// Each reference's CP and the number it shows (`[n]`, counted through the text).
    fn marks(&self) -> HashMap<u32, usize> {
        self.references.iter().enumerate().map(|(n, (cp, _, _))| (*cp, n + 1)).collect()
    }

    /// Each note's paragraphs as plain text, in the order the text cites them.
    fn bodies(&self, pieces: &[Piece], word: &[u8], fib: &Fib, ctx: &Context<'_>) -> Result<Vec<Vec<Vec<Inline>>>> {
        let footnotes = fib.ccp_text;
        let endnotes = fib.ccp_text + fib.ccp_ftn + fib.ccp_hdd + fib.ccp_atn;
        let mut bodies = Vec::with_capacity(self.references.len());
        for &(_, endnote, index) in &self.references {
            let (texts, start, length) = if endnote { (&self.endnote_texts, endnotes, fib.ccp_edn) } else { (&self.footnote_texts, footnotes, fib.ccp_ftn) };
            let (Some(&from), Some(&to)) = (texts.get(index), texts.get(index + 1)) else {
                bodies.push(Vec::new());
                continue;
            };
            bodies.push(plain_paragraphs(pieces, word, start + from.min(length)..start + to.min(length), ctx)?);
        }
        Ok(bodies)
    }
}

#[cfg(test)]
mod picture_tests {
    use super::picture_file;

    fn record(version: u16, kind: u16, body: &[u8]) -> Vec<u8> {
        [version.to_le_bytes().as_slice(), &kind.to_le_bytes(), &(body.len() as u32).to_le_bytes(), body].concat()
    }

    /// A PICF of `mm` whose BLIP store holds `blip`, after a shape container.
    fn picture(mm: u16, blip: &[u8]) -> Vec<u8> {
        let mut fbse = vec![0u8; 36];
        fbse[33] = 0; // no name
        fbse.extend_from_slice(blip);
        let records = [record(0x000F, 0xF004, &[]), record(0x0002, 0xF007, &fbse)].concat();
        let mut picf = vec![0u8; 68];
        picf[0..4].copy_from_slice(&((68 + records.len()) as u32).to_le_bytes());
        picf[4..6].copy_from_slice(&68u16.to_le_bytes());
        picf[6..8].copy_from_slice(&mm.to_le_bytes());
        [picf, records].concat()
    }

    #[test]
    fn the_blip_store_gives_the_picture_file() {
        let png = b"\x89PNG\r\n\x1a\nrest of a png".to_vec();
        let blip = record(0x6E00, 0xF01E, &[vec![7u8; 16], vec![0xFF], png.clone()].concat());
        let data = [vec![1u8; 5], picture(0x64, &blip)].concat();
        assert_eq!(picture_file(&data, 5), Some(("png", png)));
        // A JPEG with two UIDs (odd instance).
        let jpeg = b"\xff\xd8\xff\xe0 a jpeg".to_vec();
        let blip = record(0x46B0, 0xF01D, &[vec![7u8; 32], vec![0xFF], jpeg.clone()].concat());
        assert_eq!(picture_file(&picture(0x64, &blip), 0), Some(("jpg", jpeg)));
        // A metafile is not a picture file here.
        let emf = record(0x3D40, 0xF01A, &[0u8; 60]);
        assert_eq!(picture_file(&picture(0x64, &emf), 0), None);
        // Every truncation and an offset past the end: no panic.
        let whole = picture(0x64, &blip);
        for cut in 0..whole.len() {
            let _ = picture_file(&whole[..cut], 0);
        }
        assert_eq!(picture_file(&whole, whole.len() + 10), None);
    }
}
