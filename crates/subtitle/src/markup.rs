//! The markup inside cue text: SubRip and WebVTT tags (`<b>`, `<i>`, `<u>`,
//! `<font color>`, `<c.class>`, `<v Name>`), HTML entities, and the ASS
//! override blocks (`{\i1\an8}`) that ASS scripts use and SubRip files
//! borrow. Read into [`Span`]s and written back from them.

use fileconv_core::{Cue, Span};

/// The style runs get while marked-up text is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pen {
    pub bold: bool,
    pub italic: bool,
    pub underline: bool,
    pub color: Option<[u8; 3]>,
}

impl Pen {
    pub fn span(&self, text: impl Into<String>) -> Span {
        Span { text: text.into(), bold: self.bold, italic: self.italic, underline: self.underline, color: self.color }
    }

    pub fn of(span: &Span) -> Pen {
        Pen { bold: span.bold, italic: span.italic, underline: span.underline, color: span.color }
    }
}

/// Which tag language cue text is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tags {
    /// SubRip: HTML-like tags, `<font color>`, ASS override blocks.
    Srt,
    /// WebVTT: tags with classes, `<v>` speakers, entities required for `&` and `<`.
    Vtt,
}

/// How deeply tags may nest before further ones are read as plain text.
const MAX_NESTING: usize = 64;

/// Reads `text`, a cue's payload in `tags` markup, into `cue` (lines and
/// runs; the speaker of `<v>`; top placement from `{\an8}`). `classes`
/// gives the colours of WebVTT classes a `STYLE` block defines.
pub fn read_tagged(text: &str, tags: Tags, classes: &[(String, [u8; 3])], cue: &mut Cue) {
    let mut pen = Pen::default();
    let mut stack: Vec<Pen> = Vec::new();
    let mut run = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        match c {
            '\n' => {
                flush(&mut run, pen, cue);
                cue.new_line();
                rest = &rest[1..];
            }
            '\r' => rest = &rest[1..],
            '<' => match rest.find('>') {
                Some(end) if is_tag(&rest[1..end]) => {
                    flush(&mut run, pen, cue);
                    open_or_close(&rest[1..end], tags, classes, &mut pen, &mut stack, cue);
                    rest = &rest[end + 1..];
                }
                _ => {
                    run.push('<');
                    rest = &rest[1..];
                }
            },
            '{' if tags == Tags::Srt && rest.starts_with("{\\") => match rest.find('}') {
                Some(end) => {
                    flush(&mut run, pen, cue);
                    let mut drawing = false;
                    apply_override(&rest[1..end], &mut pen, Pen::default(), cue, &mut drawing);
                    rest = &rest[end + 1..];
                }
                None => {
                    run.push('{');
                    rest = &rest[1..];
                }
            },
            '&' => {
                let (decoded, used) = entity(rest);
                run.push_str(&decoded);
                rest = &rest[used..];
            }
            _ => {
                run.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    flush(&mut run, pen, cue);
    trim_lines(cue);
}

fn flush(run: &mut String, pen: Pen, cue: &mut Cue) {
    if !run.is_empty() {
        cue.push_span(pen.span(std::mem::take(run)));
    }
}

/// Drops empty lines at the start and end of a cue, and keeps one line at least.
pub fn trim_lines(cue: &mut Cue) {
    while cue.lines.len() > 1 && cue.lines.last().is_some_and(|l| l.iter().all(|s| s.text.trim().is_empty())) {
        cue.lines.pop();
    }
    while cue.lines.len() > 1 && cue.lines[0].iter().all(|s| s.text.trim().is_empty()) {
        cue.lines.remove(0);
    }
    if cue.lines.is_empty() {
        cue.lines.push(Vec::new());
    }
}

/// True for what a tag looks like: `b`, `/i`, `font color="red"`,
/// `c.yellow`, `v Bob`, `00:01.000`; not `3 and 4 >` in `a <3 and 4 > 2`.
fn is_tag(inner: &str) -> bool {
    let name = inner.strip_prefix('/').unwrap_or(inner);
    let first = name.chars().next();
    first.is_some_and(|c| c.is_ascii_alphabetic()) && name.split([' ', '.', '\t']).next().is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric()))
        || first.is_some_and(|c| c.is_ascii_digit()) && fileconv_core::subtitles::parse_clock(name).is_some()
}

fn open_or_close(inner: &str, tags: Tags, classes: &[(String, [u8; 3])], pen: &mut Pen, stack: &mut Vec<Pen>, cue: &mut Cue) {
    if inner.starts_with('/') {
        if let Some(previous) = stack.pop() {
            *pen = previous;
        }
        return;
    }
    if inner.as_bytes()[0].is_ascii_digit() {
        return; // a WebVTT karaoke timestamp
    }
    let (head, annotation) = inner.split_once([' ', '\t']).unwrap_or((inner, ""));
    let mut parts = head.split('.');
    let name = parts.next().unwrap_or_default().to_ascii_lowercase();
    if stack.len() >= MAX_NESTING {
        return;
    }
    stack.push(*pen);
    match name.as_str() {
        "b" => pen.bold = true,
        "i" => pen.italic = true,
        "u" => pen.underline = true,
        "font" => {
            if let Some(color) = attribute(annotation, "color").and_then(parse_color) {
                pen.color = Some(color);
            }
        }
        "v" if tags == Tags::Vtt || !annotation.is_empty() => {
            let speaker = annotation.trim();
            if !speaker.is_empty() && cue.speaker.is_none() {
                cue.speaker = Some(speaker.to_string());
            }
        }
        _ => {}
    }
    for class in parts {
        let defined = classes.iter().find(|(name, _)| name == class).map(|(_, color)| *color);
        if let Some(color) = defined.or_else(|| named_color(class)) {
            pen.color = Some(color);
        }
    }
}

/// The value of `name="..."` (or `'...'`, or bare) in a tag's attributes.
fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let lower = attributes.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))? + name.len() + 1;
    let value = &attributes[at..];
    Some(match value.chars().next()? {
        quote @ ('"' | '\'') => value[1..].split(quote).next().unwrap_or_default(),
        _ => value.split([' ', '\t']).next().unwrap_or_default(),
    })
}

/// Decodes the entity at the start of `text` (which starts with `&`):
/// the text and the bytes it took. A lone `&` is itself.
pub fn entity(text: &str) -> (String, usize) {
    let Some(end) = text.bytes().take(12).position(|b| b == b';') else {
        return ("&".into(), 1);
    };
    let name = &text[1..end];
    let decoded = match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        "lrm" => Some('\u{200e}'),
        "rlm" => Some('\u{200f}'),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
            .and_then(char::from_u32),
    };
    match decoded {
        Some(c) => (c.to_string(), end + 1),
        None => ("&".into(), 1),
    }
}

/// Applies an ASS override block (`\b1\i0\c&H0000FF&\an8`, without its
/// braces) to `pen`; `base` is the style's own pen, which `\r` and a bare
/// `\b`, `\c`... return to. `\an7-9` (and SSA's `\a5-7`) put the cue at the
/// top; `\p1` starts a drawing, whose "text" is not text.
pub fn apply_override(block: &str, pen: &mut Pen, base: Pen, cue: &mut Cue, drawing: &mut bool) {
    for tag in block.split('\\').map(str::trim).filter(|t| !t.is_empty()) {
        let number = |prefix: &str| tag.strip_prefix(prefix).and_then(|n| n.trim().parse::<i64>().ok());
        if tag == "r" || (tag.starts_with('r') && !tag.starts_with("rnd")) {
            *pen = base;
        } else if let Some(rest) = tag.strip_prefix("an") {
            if let Ok(n) = rest.trim().parse::<u8>() {
                cue.top = (7..=9).contains(&n);
            }
        } else if let Some(n) = number("a").filter(|_| !tag.starts_with("alpha")) {
            cue.top = (5..=7).contains(&n);
        } else if let Some(n) = number("b") {
            pen.bold = n == 1 || n >= 600;
        } else if tag == "b" {
            pen.bold = base.bold;
        } else if let Some(n) = number("i") {
            pen.italic = n != 0;
        } else if tag == "i" {
            pen.italic = base.italic;
        } else if let Some(n) = number("u") {
            pen.underline = n != 0;
        } else if tag == "u" {
            pen.underline = base.underline;
        } else if let Some(n) = number("p") {
            *drawing = n > 0;
        } else if let Some(value) = tag.strip_prefix("1c").or_else(|| tag.strip_prefix('c').filter(|v| v.is_empty() || v.starts_with('&'))) {
            pen.color = if value.is_empty() { base.color } else { ass_color(value).or(pen.color) };
        }
    }
}

/// An ASS colour, `&HBBGGRR&` or `&HAABBGGRR` (hex), or a decimal
/// BGR number as SSA scripts write it.
pub fn ass_color(text: &str) -> Option<[u8; 3]> {
    let text = text.trim().trim_end_matches('&');
    let value = match text.strip_prefix("&H").or_else(|| text.strip_prefix("&h")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => text.parse::<i64>().ok()? as u32,
    };
    Some([(value & 0xFF) as u8, (value >> 8 & 0xFF) as u8, (value >> 16 & 0xFF) as u8])
}

/// `&HBBGGRR&` for an RGB colour.
pub fn ass_color_text([r, g, b]: [u8; 3]) -> String {
    format!("&H{b:02X}{g:02X}{r:02X}&")
}

/// A CSS-style colour: `#rgb`, `#rrggbb`, `#rrggbbaa`, `rgb(r, g, b)`,
/// `rgba(...)`, or one of the basic colour names.
pub fn parse_color(text: &str) -> Option<[u8; 3]> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        let digit = |i: usize| u8::from_str_radix(hex.get(i..i + 1)?, 16).ok();
        let pair = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
        return match hex.len() {
            3 | 4 => Some([digit(0)? * 17, digit(1)? * 17, digit(2)? * 17]),
            6 | 8 => Some([pair(0)?, pair(2)?, pair(4)?]),
            _ => None,
        };
    }
    let lower = text.to_ascii_lowercase();
    if let Some(inner) = lower.strip_prefix("rgba(").or_else(|| lower.strip_prefix("rgb(")) {
        let mut channels = inner.trim_end_matches(')').split(',').map(|c| c.trim().parse::<u8>().ok());
        return Some([channels.next()??, channels.next()??, channels.next()??]);
    }
    named_color(&lower)
}

/// The colours CSS and WebVTT's default classes name.
fn named_color(name: &str) -> Option<[u8; 3]> {
    Some(match name.to_ascii_lowercase().as_str() {
        "white" => [255, 255, 255],
        "black" => [0, 0, 0],
        "red" => [255, 0, 0],
        "lime" => [0, 255, 0],
        "green" => [0, 128, 0],
        "blue" => [0, 0, 255],
        "yellow" => [255, 255, 0],
        "cyan" | "aqua" => [0, 255, 255],
        "magenta" | "fuchsia" => [255, 0, 255],
        "silver" => [192, 192, 192],
        "gray" | "grey" => [128, 128, 128],
        "maroon" => [128, 0, 0],
        "olive" => [128, 128, 0],
        "navy" => [0, 0, 128],
        "purple" => [128, 0, 128],
        "teal" => [0, 128, 128],
        "orange" => [255, 165, 0],
        _ => return None,
    })
}

/// `#rrggbb`.
pub fn hex_color([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WebVTT's default text colour classes (the specification's `white`,
/// `lime`...), which players know without a `STYLE` block.
const VTT_DEFAULT_COLORS: [(&str, [u8; 3]); 8] = [
    ("white", [255, 255, 255]),
    ("lime", [0, 255, 0]),
    ("cyan", [0, 255, 255]),
    ("red", [255, 0, 0]),
    ("yellow", [255, 255, 0]),
    ("magenta", [255, 0, 255]),
    ("blue", [0, 0, 255]),
    ("black", [0, 0, 0]),
];

/// The WebVTT class a colour is written with: a default colour class, else
/// `c_rrggbb`, which the file's `STYLE` block defines (see [`needs_style_rule`]).
pub fn color_class(color: [u8; 3]) -> String {
    match VTT_DEFAULT_COLORS.iter().find(|(_, c)| *c == color) {
        Some((name, _)) => (*name).to_string(),
        None => format!("c_{}", &hex_color(color)[1..]),
    }
}

/// True when a colour needs a `::cue(.c_rrggbb)` rule: it is not one of
/// WebVTT's default colours. (FFmpeg 5.1's WebVTT reader, among others,
/// stops at a `STYLE` block, so one is written only when needed.)
pub fn needs_style_rule(color: [u8; 3]) -> bool {
    !VTT_DEFAULT_COLORS.iter().any(|(_, c)| *c == color)
}

/// Writes a cue's lines in `tags` markup, each run in its own tags,
/// lines joined by `\n`. WebVTT text is escaped; a WebVTT speaker opens
/// the first line with `<v Name>`.
pub fn write_tagged(cue: &Cue, tags: Tags) -> String {
    let mut out = String::new();
    if tags == Tags::Vtt {
        if let Some(speaker) = &cue.speaker {
            out.push_str(&format!("<v {}>", speaker.replace(['>', '\n'], " ")));
        }
    }
    let mut first = true;
    for line in &cue.lines {
        let text: String = line.iter().map(|s| s.text.as_str()).collect();
        // WebVTT and SubRip end a cue at a blank line.
        if text.trim().is_empty() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        for span in line {
            let mut closing = Vec::new();
            if let Some(color) = span.color {
                match tags {
                    Tags::Srt => {
                        out.push_str(&format!("<font color=\"{}\">", hex_color(color)));
                        closing.push("</font>");
                    }
                    Tags::Vtt => {
                        out.push_str(&format!("<c.{}>", color_class(color)));
                        closing.push("</c>");
                    }
                }
            }
            for (on, open, close) in [(span.bold, "<b>", "</b>"), (span.italic, "<i>", "</i>"), (span.underline, "<u>", "</u>")] {
                if on {
                    out.push_str(open);
                    closing.push(close);
                }
            }
            match tags {
                Tags::Srt => out.push_str(&span.text),
                Tags::Vtt => out.push_str(&span.text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")),
            }
            for close in closing.iter().rev() {
                out.push_str(close);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, tags: Tags) -> Cue {
        let mut cue = Cue::default();
        read_tagged(text, tags, &[], &mut cue);
        cue
    }

    #[test]
    fn tags_become_runs_and_back() {
        let cue = read("{\\an8}<i>Hello</i> <font color=\"#ff0000\">red</font>\n<b>x &amp; y</b> a <3 b", Tags::Srt);
        assert!(cue.top);
        assert_eq!(cue.lines.len(), 2);
        assert_eq!(cue.lines[0][0], Span { text: "Hello".into(), italic: true, ..Span::default() });
        assert_eq!(cue.lines[0][2].color, Some([255, 0, 0]));
        assert_eq!(cue.plain_text(), "Hello red\nx & y a <3 b");
        assert_eq!(write_tagged(&cue, Tags::Srt), "<i>Hello</i> <font color=\"#ff0000\">red</font>\n<b>x & y</b> a <3 b");
        let vtt = read("<v Mary>Hi <c.yellow>there</c> &lt;3</v>", Tags::Vtt);
        assert_eq!(vtt.speaker.as_deref(), Some("Mary"));
        assert_eq!(vtt.lines[0][1].color, Some([255, 255, 0]));
        assert_eq!(write_tagged(&vtt, Tags::Vtt), "<v Mary>Hi <c.yellow>there</c> &lt;3");
    }

    #[test]
    fn override_blocks() {
        let mut cue = Cue::default();
        let mut pen = Pen::default();
        let mut drawing = false;
        apply_override("\\b1\\i1\\c&H0000FF&\\an8", &mut pen, Pen::default(), &mut cue, &mut drawing);
        assert_eq!(pen, Pen { bold: true, italic: true, underline: false, color: Some([255, 0, 0]) });
        assert!(cue.top);
        apply_override("\\r\\p1", &mut pen, Pen::default(), &mut cue, &mut drawing);
        assert_eq!(pen, Pen::default());
        assert!(drawing);
        assert_eq!(ass_color("&H00FF8000"), Some([0, 128, 255]));
        assert_eq!(ass_color_text([0, 128, 255]), "&HFF8000&");
    }
}
