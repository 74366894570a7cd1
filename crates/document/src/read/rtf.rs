//! RTF: a tokenizer of control words, symbols and groups, with a state
//! stack for character formatting (bold, italic, underline, strike, font).
//! Text is decoded as RTF says: `\uN` (signed 16-bit, surrogate pairs
//! joined) skipping `\ucN` fallback characters, and `\'hh` bytes in the
//! code page of the current font's `\fcharset` (else `\ansicpg`), runs of
//! them decoded together so double-byte code pages work. Destinations that
//! are not text (font and colour tables, pictures, field instructions, `\*`
//! ones) are skipped; field instructions give `HYPERLINK` targets;
//! `\info` gives title and author. Paragraphs are typed by `\outlinelevel`,
//! stylesheet names (heading N, title, quotations, code), list markers
//! (`\listtext`, or a bullet or number followed by a tab) with levels from
//! `\ilvl` or the indent, fixed-pitch fonts (code), indents (quotes);
//! `\trowd...\cell...\row` build tables. Footnotes and endnotes
//! (`\footnote`) become `[n]` marks where they are cited and numbered
//! paragraphs after the body, as the DOCX and DOC readers make them.
//! Headers and footers, comments, text boxes and drawn shapes, and
//! pictures are not read: a note names those the file holds.

use fileconv_core::document::flow::{push_cell_paragraph, push_text, Flow, Kind, MAX_LEVEL};
use fileconv_core::{Block, Context, Error, Inline, Input, Numbering, Result, Run, TableBlock, Value};

use super::rtf_pages::{Chars, PageBuilder};

const FORMAT: &str = "rtf";
/// Deepest group nesting accepted (Word's own files stay under 50).
const MAX_GROUPS: usize = 1000;

/// What the text of a group is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dest {
    Text,
    Skip,
    FontTable,
    StyleSheet,
    Title,
    Author,
    FieldInstruction,
    ListText,
    ColorTable,
}

#[derive(Clone, Debug)]
struct State {
    dest: Dest,
    bold: bool,
    italic: bool,
    underline: bool,
    strike: bool,
    font: i32,
    /// Fallback characters to skip after `\uN`.
    uc: usize,
    link: Option<String>,
    /// Font size in half-points.
    size: i32,
    /// Colour table index (`\cf`), raised or lowered text, capitals.
    color: i32,
    shift: i8,
    caps: bool,
    /// What a skipped group holds, when it is content left out (headers,
    /// comments...), so that a note can name it.
    left_out: Option<&'static str>,
}

/// A footnote or endnote being read, and the paragraph it interrupted.
struct OpenNote {
    /// Groups open when the note began: it ends when its own group closes.
    depth: usize,
    paragraphs: Vec<Vec<Inline>>,
    inlines: Vec<Inline>,
    para: Para,
    counts: (usize, usize, Option<String>),
}

/// Paragraph properties (reset by `\pard`).
#[derive(Clone, Debug, Default)]
struct Para {
    style: Option<i32>,
    outline: Option<u8>,
    left_indent: i32,
    list_level: Option<usize>,
    in_table: bool,
    centered: bool,
}

struct Font {
    charset: i32,
    /// The font's own code page (`\cpgN`), before its charset's.
    code_page: Option<&'static encoding_rs::Encoding>,
    mono: bool,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    stack: Vec<State>,
    state: State,
    para: Para,
    fonts: std::collections::HashMap<i32, Font>,
    styles: std::collections::HashMap<i32, String>,
    /// The font or style entry being read from a table.
    entry_id: Option<i32>,
    entry_name: String,
    entry_mono: bool,
    entry_charset: i32,
    entry_code_page: Option<&'static encoding_rs::Encoding>,
    code_page: &'static encoding_rs::Encoding,
    flow: Flow,
    inlines: Vec<Inline>,
    /// `\'hh` bytes waiting to be decoded together.
    pending: Vec<u8>,
    /// Characters of the current paragraph all in a fixed-pitch font so far.
    mono_chars: usize,
    other_chars: usize,
    /// A list marker was seen for this paragraph (`\listtext`).
    marker: Option<String>,
    title: String,
    author: String,
    instruction: String,
    field_link: Option<String>,
    row: Vec<Vec<Inline>>,
    cell: Vec<Inline>,
    table: Option<TableBlock>,
    paragraphs_seen: usize,
    title_taken: bool,
    /// The high half of a surrogate pair written as two `\u`.
    high_surrogate: Option<u16>,
    /// The row being defined draws bottom borders under its cells; the first row's.
    row_border: bool,
    first_row_border: bool,
    notes: Vec<Vec<Vec<Inline>>>,
    note: Option<OpenNote>,
    /// Kinds of content the file holds that are not read.
    left_out: std::collections::BTreeSet<&'static str>,
    /// The page flow built beside the flowing reading.
    pages: PageBuilder,
}

/// # Errors
/// [`Error::InvalidInput`] when the bytes are not RTF;
/// [`Error::LimitExceeded`] for groups nested past [`MAX_GROUPS`].
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let bytes = input.bytes;
    if !bytes.starts_with(b"{\\rtf") {
        return Err(Error::invalid_input(FORMAT, "does not start with {\\rtf"));
    }
    let state = State { dest: Dest::Text, bold: false, italic: false, underline: false, strike: false, font: 0, uc: 1, link: None, size: 24, color: 0, shift: 0, caps: false, left_out: None };
    let mut reader = Reader {
        bytes,
        at: 0,
        stack: Vec::new(),
        state,
        para: Para::default(),
        fonts: Default::default(),
        styles: Default::default(),
        entry_id: None,
        entry_name: String::new(),
        entry_mono: false,
        entry_charset: 0,
        entry_code_page: None,
        code_page: encoding_rs::WINDOWS_1252,
        flow: Flow::default(),
        inlines: Vec::new(),
        pending: Vec::new(),
        mono_chars: 0,
        other_chars: 0,
        marker: None,
        title: String::new(),
        author: String::new(),
        instruction: String::new(),
        field_link: None,
        row: Vec::new(),
        cell: Vec::new(),
        table: None,
        paragraphs_seen: 0,
        title_taken: false,
        high_surrogate: None,
        row_border: false,
        first_row_border: false,
        notes: Vec::new(),
        note: None,
        left_out: Default::default(),
        pages: PageBuilder::default(),
    };
    reader.run(ctx)?;
    reader.end_note();
    reader.end_paragraph();
    reader.end_table();
    let title = Some(reader.title.trim().to_string());
    let author = Some(reader.author.trim().to_string());
    super::note_unread(ctx, &reader.left_out.iter().copied().collect::<Vec<_>>(), "RTF files");
    let mut flow = reader.flow;
    flow.notes(reader.notes);
    flow.metadata(title, author);
    let mut doc = flow.finish();
    doc.page_flow = Some(reader.pages.finish());
    Ok(Value::Document(doc))
}

/// The Windows code page of an RTF `\fcharset`.
fn charset_encoding(charset: i32) -> Option<&'static encoding_rs::Encoding> {
    Some(match charset {
        128 => encoding_rs::SHIFT_JIS,
        129 => encoding_rs::EUC_KR,
        134 => encoding_rs::GBK,
        136 => encoding_rs::BIG5,
        161 => encoding_rs::WINDOWS_1253,
        162 => encoding_rs::WINDOWS_1254,
        163 => encoding_rs::WINDOWS_1258,
        177 => encoding_rs::WINDOWS_1255,
        178 => encoding_rs::WINDOWS_1256,
        186 => encoding_rs::WINDOWS_1257,
        204 => encoding_rs::WINDOWS_1251,
        222 => encoding_rs::WINDOWS_874,
        238 => encoding_rs::WINDOWS_1250,
        // Mac charsets (RTF written on a Mac).
        77 => encoding_rs::MACINTOSH,
        78 => encoding_rs::SHIFT_JIS,
        79 => encoding_rs::EUC_KR,
        80 => encoding_rs::GBK,
        81 => encoding_rs::BIG5,
        89 => encoding_rs::X_MAC_CYRILLIC,
        0 | 1 => return None,
        _ => return None,
    })
}

/// The encoding of a Windows code page number (`\ansicpgN`, `\cpgN`).
fn code_page_encoding(page: i32) -> Option<&'static encoding_rs::Encoding> {
    fileconv_core::code_page::encoding(u32::try_from(page).ok()?)
}

impl Reader<'_> {
    fn run(&mut self, ctx: &Context<'_>) -> Result<()> {
        let mut steps = 0u64;
        while self.at < self.bytes.len() {
            steps += 1;
            if steps.is_multiple_of(1 << 16) {
                ctx.checkpoint()?;
            }
            let b = self.bytes[self.at];
            match b {
                b'{' => {
                    self.flush_bytes();
                    self.at += 1;
                    if self.stack.len() >= MAX_GROUPS {
                        return Err(Error::limit("nesting depth", MAX_GROUPS as u64, self.stack.len() as u64 + 1));
                    }
                    self.stack.push(self.state.clone());
                }
                b'}' => {
                    self.flush_bytes();
                    self.at += 1;
                    self.close_group();
                }
                b'\\' => self.control()?,
                b'\r' | b'\n' => self.at += 1,
                _ => {
                    // Plain text up to the next special byte.
                    let start = self.at;
                    while self.at < self.bytes.len() && !matches!(self.bytes[self.at], b'{' | b'}' | b'\\' | b'\r' | b'\n') {
                        self.at += 1;
                    }
                    let piece = self.bytes[start..self.at].to_vec();
                    self.pending.extend_from_slice(&piece);
                }
            }
        }
        self.flush_bytes();
        Ok(())
    }

    fn close_group(&mut self) {
        let closing = self.state.dest;
        match closing {
            Dest::FontTable | Dest::StyleSheet => self.end_entry(),
            Dest::FieldInstruction => {
                let instruction = std::mem::take(&mut self.instruction);
                if let Some(rest) = instruction.trim().strip_prefix("HYPERLINK") {
                    self.field_link = rest.split('"').nth(1).map(str::to_string).or_else(|| rest.split_whitespace().next().map(str::to_string));
                }
            }
            _ => {}
        }
        if let Some(previous) = self.stack.pop() {
            self.state = previous;
        }
        if self.note.as_ref().is_some_and(|note| self.stack.len() < note.depth) {
            self.end_note();
        }
    }

    /// Begins a footnote or endnote: its mark goes where it is cited, its
    /// paragraphs aside until its group closes.
    fn begin_note(&mut self) {
        if self.note.is_some() || self.state.dest != Dest::Text {
            self.state.dest = Dest::Skip;
            return;
        }
        let number = self.notes.len() + 1;
        self.text(&format!("[{number}]"));
        let counts = (self.mono_chars, self.other_chars, self.marker.take());
        self.mono_chars = 0;
        self.other_chars = 0;
        self.note = Some(OpenNote {
            depth: self.stack.len(),
            paragraphs: Vec::new(),
            inlines: std::mem::take(&mut self.inlines),
            para: std::mem::take(&mut self.para),
            counts,
        });
    }

    /// Ends the open note, if any, and resumes the paragraph it interrupted.
    fn end_note(&mut self) {
        let Some(note) = self.note.as_mut() else { return };
        let mut last = std::mem::take(&mut self.inlines);
        fileconv_core::document::flow::trim(&mut last);
        if !last.is_empty() {
            note.paragraphs.push(last);
        }
        let note = self.note.take().expect("checked above");
        self.notes.push(note.paragraphs);
        self.inlines = note.inlines;
        self.para = note.para;
        (self.mono_chars, self.other_chars, self.marker) = note.counts;
    }

    /// A control word (`\b0`, `\u8226`), symbol (`\'e9`, `\{`) or `\*`.
    fn control(&mut self) -> Result<()> {
        self.at += 1;
        let Some(&c) = self.bytes.get(self.at) else { return Ok(()) };
        if !c.is_ascii_alphabetic() {
            self.at += 1;
            match c {
                b'\'' => {
                    let hex = self.bytes.get(self.at..self.at + 2).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                    if let Some(byte) = hex {
                        self.at += 2;
                        self.pending.push(byte);
                    }
                }
                b'*' => {
                    // An optional destination: skipped unless we know it.
                    self.flush_bytes();
                    let next = self.peek_word();
                    if !matches!(next.as_str(), "fldinst" | "listtext" | "footnote") {
                        self.state.dest = Dest::Skip;
                    }
                }
                b'\\' | b'{' | b'}' => self.pending.push(c),
                b'~' | b'_' | b'\r' | b'\n' | b'\t' => {
                    // Text before the symbol goes first.
                    self.flush_bytes();
                    match c {
                        b'~' => self.text("\u{a0}"),
                        b'_' => self.text("\u{2011}"),
                        b'\t' => self.text("\t"),
                        _ => self.paragraph_mark(),
                    }
                }
                _ => {}
            }
            return Ok(());
        }
        let start = self.at;
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_alphabetic() && self.at - start < 32 {
            self.at += 1;
        }
        let word = String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned();
        let number_start = self.at;
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_digit() && self.at - number_start < 11 {
            self.at += 1;
        }
        let param: Option<i32> = std::str::from_utf8(&self.bytes[number_start..self.at]).ok().and_then(|n| n.parse::<i64>().ok()).map(|n| n.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
        if self.bytes.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
        if word != "u" {
            self.flush_bytes();
        }
        self.word(&word, param);
        Ok(())
    }

    fn peek_word(&self) -> String {
        let mut at = self.at;
        while self.bytes.get(at).is_some_and(|b| b.is_ascii_whitespace()) {
            at += 1;
        }
        if self.bytes.get(at) != Some(&b'\\') {
            return String::new();
        }
        let start = at + 1;
        let end = self.bytes[start..].iter().take(32).position(|b| !b.is_ascii_alphabetic()).map_or(start, |n| start + n);
        String::from_utf8_lossy(&self.bytes[start..end]).into_owned()
    }

    fn word(&mut self, word: &str, param: Option<i32>) {
        let on = param != Some(0);
        let value = param.unwrap_or(0);
        if self.state.dest == Dest::ColorTable {
            self.pages.color_word(word, value);
            return;
        }
        if self.state.dest == Dest::Text && self.note.is_none() {
            self.pages.word(word, param);
        }
        match word {
            "colortbl" => self.state.dest = Dest::ColorTable,
            "cf" => self.state.color = value,
            "super" | "up" => self.state.shift = 1,
            "sub" | "dn" => self.state.shift = -1,
            "nosupersub" => self.state.shift = 0,
            "caps" | "scaps" => self.state.caps = on,
            "fonttbl" => self.state.dest = Dest::FontTable,
            "stylesheet" => self.state.dest = Dest::StyleSheet,
            "title" if self.in_info() => self.state.dest = Dest::Title,
            "author" if self.in_info() => self.state.dest = Dest::Author,
            "info" => self.state.dest = Dest::Skip,
            "fldinst" => self.state.dest = Dest::FieldInstruction,
            "fldrslt" => self.state.link = self.field_link.clone(),
            "listtext" | "pntext" => {
                self.state.dest = Dest::ListText;
                self.marker = Some(String::new());
            }
            "footnote" => self.begin_note(),
            "header" | "footer" | "headerl" | "headerr" | "headerf" | "footerl" | "footerr" | "footerf" => self.leave_out("headers and footers"),
            "annotation" => self.leave_out("comments"),
            "shp" | "shpinst" | "shptxt" | "do" => self.leave_out("text boxes and drawn shapes"),
            "pict" => {
                self.state.dest = Dest::Skip;
                self.left_out.insert("pictures");
            }
            "object" | "tc" | "tcn" | "xe" | "themedata" | "colorschememapping" | "latentstyles" | "datastore" | "xmlnstbl" | "listtable"
            | "listoverridetable" | "rsidtbl" | "generator" | "pgdsctbl" | "revtbl" | "filetbl" | "bkmkstart" | "bkmkend" | "pn" | "operator" | "company" | "comment" | "doccomm" | "keywords" | "subject" => {
                self.state.dest = Dest::Skip
            }
            "ansicpg" => {
                if let Some(e) = code_page_encoding(value) {
                    self.code_page = e;
                }
            }
            "f" => match self.state.dest {
                Dest::FontTable => {
                    self.end_entry();
                    self.entry_id = Some(value);
                }
                _ => self.state.font = value,
            },
            "fcharset" => self.entry_charset = value,
            "cpg" if self.state.dest == Dest::FontTable => self.entry_code_page = code_page_encoding(value),
            "fmodern" => self.entry_mono = true,
            "s" => match self.state.dest {
                Dest::StyleSheet => {
                    self.end_entry();
                    self.entry_id = Some(value);
                }
                _ => self.para.style = Some(value),
            },
            "b" => self.state.bold = on,
            "i" => self.state.italic = on,
            "ul" | "uld" | "uldb" | "ulw" => self.state.underline = on,
            "ulnone" => self.state.underline = false,
            "strike" | "striked" => self.state.strike = on,
            "plain" => {
                self.state.color = 0;
                self.state.shift = 0;
                self.state.caps = false;
                self.state.bold = false;
                self.state.italic = false;
                self.state.underline = false;
                self.state.strike = false;
                self.state.size = 24;
            }
            "uc" => self.state.uc = value.clamp(0, 16) as usize,
            "u" => {
                self.flush_bytes();
                let unit = value as i16 as u16;
                self.unicode_unit(unit);
                self.skip_fallback();
            }
            "par" => self.paragraph_mark(),
            "sect" => self.paragraph_mark(),
            "page" => {
                self.paragraph_mark();
                if self.state.dest == Dest::Text && self.table.is_none() {
                    self.flow.block(Block::PageBreak);
                    if self.note.is_none() {
                        self.pages.page_break();
                    }
                }
            }
            "line" => self.inline(Inline::Break),
            "tab" => self.text("\t"),
            "emdash" => self.text("—"),
            "endash" => self.text("–"),
            "bullet" => self.text("•"),
            "lquote" => self.text("‘"),
            "rquote" => self.text("’"),
            "ldblquote" => self.text("“"),
            "rdblquote" => self.text("”"),
            "pard" => self.para = Para::default(),
            "fs" => self.state.size = value,
            "qc" => self.para.centered = true,
            "intbl" => self.para.in_table = true,
            "outlinelevel" => self.para.outline = u8::try_from(value).ok().filter(|l| *l < 9),
            "li" => self.para.left_indent = value,
            "ilvl" => self.para.list_level = usize::try_from(value).ok(),
            "ls" => {
                if self.para.list_level.is_none() {
                    self.para.list_level = Some(0);
                }
            }
            "cell" => {
                if self.note.is_none() {
                    let chars = self.chars();
                    self.pages.cell(&chars);
                }
                self.end_cell();
            }
            "row" => {
                self.pages.row();
                self.end_row();
            }
            "clbrdrb" => self.row_border = true,
            "trowd" => {
                self.row_border = false;
                self.end_paragraph();
                if self.table.is_none() {
                    self.table = Some(TableBlock::default());
                }
                self.pages.start_table();
            }
            _ => {}
        }
    }

    fn in_info(&self) -> bool {
        self.stack.last().is_some_and(|s| s.dest == Dest::Skip) && self.stack.len() >= 2
    }

    fn end_entry(&mut self) {
        let name = std::mem::take(&mut self.entry_name);
        let name = name.trim().trim_end_matches(';').trim().to_string();
        if let Some(id) = self.entry_id.take() {
            match self.state.dest {
                Dest::FontTable => {
                    self.pages.font(id, &name);
                    let lower = name.to_ascii_lowercase();
                    let mono = self.entry_mono || ["mono", "courier", "consolas", "code"].iter().any(|n| lower.contains(n));
                    self.fonts.insert(id, Font { charset: self.entry_charset, code_page: self.entry_code_page, mono });
                }
                Dest::StyleSheet => {
                    self.styles.insert(id, name.to_ascii_lowercase());
                }
                _ => {}
            }
        }
        self.entry_mono = false;
        self.entry_charset = 0;
        self.entry_code_page = None;
    }

    fn skip_fallback(&mut self) {
        let mut left = self.state.uc;
        while left > 0 && self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => {
                    // A fallback may be `\'hh` or a control word: skip it whole.
                    if self.bytes.get(self.at + 1) == Some(&b'\'') {
                        self.at += 4;
                    } else {
                        self.at += 1;
                        while self.at < self.bytes.len() && self.bytes[self.at].is_ascii_alphanumeric() {
                            self.at += 1;
                        }
                        if self.bytes.get(self.at) == Some(&b' ') {
                            self.at += 1;
                        }
                    }
                }
                b'{' | b'}' => break,
                _ => self.at += 1,
            }
            left -= 1;
        }
    }

    fn unicode_unit(&mut self, unit: u16) {
        if (0xD800..0xDC00).contains(&unit) {
            self.high_surrogate = Some(unit);
            return;
        }
        let units: Vec<u16> = match self.high_surrogate.take() {
            Some(high) if (0xDC00..0xE000).contains(&unit) => vec![high, unit],
            _ => vec![unit],
        };
        let text: String = char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')).collect();
        self.text(&text);
    }

    /// Decodes waiting bytes in the current font's code page.
    fn flush_bytes(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        let encoding = self.fonts.get(&self.state.font).and_then(|f| f.code_page.or_else(|| charset_encoding(f.charset))).unwrap_or(self.code_page);
        let (text, _, _) = encoding.decode(&bytes);
        let text = text.into_owned();
        self.text(&text);
    }

    /// Skips the group, naming what it holds if it turns out to hold text.
    fn leave_out(&mut self, kind: &'static str) {
        self.state.dest = Dest::Skip;
        self.state.left_out = Some(kind);
    }

    fn text(&mut self, text: &str) {
        match self.state.dest {
            Dest::Skip => {
                if let Some(kind) = self.state.left_out.filter(|_| text.chars().any(char::is_alphanumeric)) {
                    self.left_out.insert(kind);
                }
            }
            Dest::FontTable | Dest::StyleSheet => self.entry_name.push_str(text),
            Dest::Title => self.title.push_str(text),
            Dest::Author => self.author.push_str(text),
            Dest::FieldInstruction => self.instruction.push_str(text),
            Dest::ListText => {
                if let Some(m) = &mut self.marker {
                    m.push_str(text);
                }
                if self.note.is_none() {
                    self.pages.marker(text);
                }
            }
            Dest::ColorTable => self.pages.color_text(text),
            Dest::Text => {
                let mono = self.fonts.get(&self.state.font).is_some_and(|f| f.mono);
                let visible = text.chars().filter(|c| !c.is_whitespace()).count();
                if mono {
                    self.mono_chars += visible;
                } else {
                    self.other_chars += visible;
                }
                let run = Run { bold: self.state.bold, italic: self.state.italic, underline: self.state.underline && self.state.link.is_none(), strike: self.state.strike, code: mono, link: self.state.link.clone(), ..Run::default() };
                push_text(&mut self.inlines, &run, text);
                if self.note.is_none() {
                    let chars = self.chars();
                    self.pages.text(text, &chars, self.state.link.as_ref());
                }
            }
        }
    }

    fn inline(&mut self, inline: Inline) {
        if self.state.dest == Dest::Text {
            self.inlines.push(inline);
        }
    }

    /// The character properties of the text being read, for the page flow.
    fn chars(&self) -> Chars {
        let s = &self.state;
        Chars { bold: s.bold, italic: s.italic, underline: s.underline, strike: s.strike, font: s.font, size: s.size, color: s.color, shift: s.shift, caps: s.caps }
    }

    fn paragraph_mark(&mut self) {
        if self.state.dest != Dest::Text {
            return;
        }
        if self.note.is_some() {
            self.end_paragraph();
            return;
        }
        let chars = self.chars();
        self.pages.paragraph(self.para.in_table && self.table.is_some(), &chars);
        if self.para.in_table && self.table.is_some() {
            // A paragraph inside a cell: a line of the cell.
            let inlines = std::mem::take(&mut self.inlines);
            push_cell_paragraph(&mut self.cell, inlines);
            self.reset_counts();
            return;
        }
        self.end_table();
        self.end_paragraph();
    }

    fn reset_counts(&mut self) {
        self.mono_chars = 0;
        self.other_chars = 0;
        self.marker = None;
    }

    fn end_cell(&mut self) {
        if self.table.is_none() {
            return;
        }
        let inlines = std::mem::take(&mut self.inlines);
        push_cell_paragraph(&mut self.cell, inlines);
        let cell = std::mem::take(&mut self.cell);
        self.row.push(cell);
        self.reset_counts();
    }

    fn end_row(&mut self) {
        let row = std::mem::take(&mut self.row);
        if let Some(table) = &mut self.table {
            if table.rows.is_empty() {
                self.first_row_border = self.row_border;
            }
            if !row.is_empty() && table.rows.len() < 1_000_000 {
                table.rows.push(row);
            }
        }
    }

    fn end_table(&mut self) {
        if let Some(mut table) = self.table.take() {
            if !self.row.is_empty() {
                table.rows.push(std::mem::take(&mut self.row));
            }
            // RTF marks no header; a first row all bold, or ruled off below, is one.
            let first_bold = table.rows.first().is_some_and(|r| r.iter().flatten().all(|i| matches!(i, Inline::Text(run) if run.bold)));
            table.header_rows = usize::from((first_bold || self.first_row_border) && table.rows.len() > 1);
            self.flow.table(table);
        }
    }

    fn end_paragraph(&mut self) {
        let mut inlines = std::mem::take(&mut self.inlines);
        let marker = self.marker.take();
        let code = self.mono_chars > 0 && self.other_chars == 0;
        self.reset_counts();
        fileconv_core::document::flow::trim(&mut inlines);
        if inlines.is_empty() {
            return;
        }
        if let Some(note) = &mut self.note {
            note.paragraphs.push(inlines);
            return;
        }
        self.paragraphs_seen += 1;
        let style = self.para.style.and_then(|s| self.styles.get(&s)).cloned().unwrap_or_default();
        let text = fileconv_core::document::plain_text(&inlines);
        let named = super::style_name_kind(&style).filter(|k| *k != Kind::Rule);
        // A code font makes a quote's paragraph code, not a heading's.
        let mut kind = match (self.para.outline, named) {
            (Some(level), _) => Kind::Heading((level + 1).min(6)),
            (None, Some(Kind::Quote) | None) if code => Kind::Code,
            (None, Some(kind)) => kind,
            (None, None) => Kind::Normal,
        };
        // Lists: a `\listtext` marker, or a bullet or number and a tab at the start.
        let typed_marker = marker.or_else(|| {
            let first = text.split('\t').next().filter(|m| text.contains('\t') && m.chars().count() <= 5)?;
            list_marker(first).map(|_| first.to_string())
        });
        if kind == Kind::Normal || kind == Kind::Code {
            if let Some(m) = typed_marker.as_deref().map(str::trim).filter(|m| list_marker(m).is_some()) {
                let number = list_marker(m).flatten();
                let level = self.para.list_level.unwrap_or_else(|| usize::try_from(self.para.left_indent / 360 - 1).unwrap_or(0)).min(MAX_LEVEL);
                kind = Kind::marked_item(level, number, Numbering::Decimal);
                strip_leading_marker(&mut inlines, m);
            } else if self.para.left_indent >= 360 && kind == Kind::Normal {
                kind = Kind::Quote;
            }
        }
        if kind == Kind::Normal && text.chars().count() >= 3 && text.chars().all(|c| matches!(c, '—' | '–' | '-' | '_' | '*' | ' ')) {
            kind = Kind::Rule;
        }
        // A centered, large first paragraph is the title; a centered one right after, the author.
        if kind == Kind::Normal && self.para.centered && self.paragraphs_seen <= 2 {
            if !self.title_taken && self.state.size >= 30 {
                kind = Kind::Title;
            } else if self.title_taken && self.paragraphs_seen == 2 {
                kind = Kind::Author;
            }
        }
        if kind == Kind::Title {
            self.title_taken = true;
        }
        if kind == Kind::Code {
            // Each `\line` of a code paragraph is a line of code.
            for line in fileconv_core::document::plain_text(&inlines).split('\n') {
                self.flow.paragraph(Kind::Code, vec![Inline::Text(Run::plain(line))]);
            }
            return;
        }
        self.flow.paragraph(kind, inlines);
    }
}

/// A list marker: `Some(None)` for a bullet, `Some(Some(n))` for a number.
fn list_marker(text: &str) -> Option<Option<u64>> {
    let t = text.trim();
    if matches!(t, "•" | "◦" | "▪" | "–" | "—" | "-" | "·" | "o" | "§" | "\u{f0b7}") {
        return Some(None);
    }
    let digits = t.strip_suffix(['.', ')'])?;
    digits.parse::<u64>().ok().filter(|_| digits.len() <= 4).map(Some)
}

/// Removes a marker and the tab after it from the start of a paragraph.
fn strip_leading_marker(inlines: &mut Vec<Inline>, marker: &str) {
    if let Some(Inline::Text(run)) = inlines.first_mut() {
        if let Some(rest) = run.text.trim_start().strip_prefix(marker) {
            run.text = rest.trim_start_matches(['\t', ' ']).to_string();
        }
    }
    inlines.retain(|i| !matches!(i, Inline::Text(r) if r.text.is_empty()));
}
