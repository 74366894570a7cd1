//! Advanced SubStation Alpha (`.ass`, v4.00+) and SubStation Alpha (`.ssa`,
//! v4.00): `[Script Info]`, styles, and `Dialogue:` events laid out by
//! their `Format:` lines, text with override blocks. A style's bold,
//! italic, underline and (when not white) colour become its cues' runs; its
//! font, size and alignment are kept as a [`SubtitleStyle`].

use std::io::Write;

use fileconv_core::subtitles::{clock, parse_clock};
use fileconv_core::{Category, Context, Cue, Decoder, Encoder, FormatInfo, Input, Result, SubtitleStyle, Subtitles, Value, ValueKind};

use super::{note_losses, shown, text, write_all, CueList, Holds, READ, WRITE};
use crate::markup::{apply_override, ass_color, ass_color_text, trim_lines, Pen};

inventory::submit! {
    FormatInfo { id: "ass", aliases: &[], name: "Advanced SubStation Alpha subtitles", mime: "text/x-ass", category: Category::Subtitle, container: None, sniff: Some(sniff_ass) }
}
inventory::submit! {
    FormatInfo { id: "ssa", aliases: &[], name: "SubStation Alpha subtitles", mime: "text/x-ssa", category: Category::Subtitle, container: None, sniff: Some(sniff_ssa) }
}
inventory::submit! { Decoder { format: "ass", name: "ass", output: ValueKind::Subtitles, cost: READ, options: &[], decode: decode_ass } }
inventory::submit! { Decoder { format: "ssa", name: "ssa", output: ValueKind::Subtitles, cost: READ, options: &[], decode: decode_ssa } }
inventory::submit! { Encoder { format: "ass", name: "ass", input: ValueKind::Subtitles, cost: WRITE, lossy: false, options: &[], encode: encode_ass } }
inventory::submit! { Encoder { format: "ssa", name: "ssa", input: ValueKind::Subtitles, cost: WRITE, lossy: false, options: &[], encode: encode_ssa } }

const HOLDS: Holds = Holds { name: "ASS", emphasis: true, color: true, styles: true, speakers: true, top: true };
const WHITE: [u8; 3] = [255, 255, 255];
/// Where text goes in a script without `PlayResX`/`PlayResY`, as libass assumes.
const DEFAULT_CANVAS: (u32, u32) = (384, 288);

/// The script type a `[Script Info]` declares; `None` before one is seen.
fn script_type(bytes: &[u8]) -> Option<bool> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    if !head.trim_start_matches('\u{feff}').trim_start().starts_with("[script info]") {
        return None;
    }
    Some(head.contains("[v4+ styles]") || head.contains("v4.00+") || !head.contains("[v4 styles]"))
}

fn sniff_ass(bytes: &[u8]) -> bool {
    script_type(bytes) == Some(true)
}

fn sniff_ssa(bytes: &[u8]) -> bool {
    script_type(bytes) == Some(false)
}

/// A script's header: what its events need to be read.
#[derive(Debug, Default)]
pub struct Script {
    pub styles: Vec<SubtitleStyle>,
    pub title: Option<String>,
    pub canvas: Option<(u32, u32)>,
    /// The event fields, in order, from the `[Events]` `Format:` line.
    event_format: Vec<String>,
}

impl Script {
    /// The cue an event makes: `text` with its override blocks, in `style`.
    pub fn cue(&self, start_ms: u64, end_ms: u64, style: &str, speaker: &str, text: &str) -> Cue {
        let style = style.trim().trim_start_matches('*');
        let found = self.styles.iter().find(|s| s.name == style).or_else(|| self.styles.iter().find(|s| s.name.eq_ignore_ascii_case(style)));
        let base = found.map_or(Pen::default(), |s| Pen { bold: s.bold, italic: s.italic, underline: s.underline, color: s.color.filter(|c| *c != WHITE) });
        let speaker = speaker.trim();
        let mut cue = Cue {
            start_ms,
            end_ms,
            style: found.map(|s| s.name.clone()),
            speaker: (!speaker.is_empty()).then(|| speaker.to_string()),
            top: found.is_some_and(|s| s.top),
            lines: Vec::new(),
        };
        let (mut pen, mut drawing, mut run) = (base, false, String::new());
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if c == '{' {
                if let Some(end) = rest.find('}') {
                    flush(&mut run, pen, &mut cue);
                    apply_override(&rest[1..end], &mut pen, base, &mut cue, &mut drawing);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            if c == '\\' {
                match rest[1..].chars().next() {
                    Some('N') => {
                        flush(&mut run, pen, &mut cue);
                        cue.new_line();
                        rest = &rest[2..];
                        continue;
                    }
                    Some('n') => {
                        run.push(' ');
                        rest = &rest[2..];
                        continue;
                    }
                    Some('h') => {
                        run.push('\u{a0}');
                        rest = &rest[2..];
                        continue;
                    }
                    _ => {}
                }
            }
            if !drawing {
                run.push(c);
            }
            rest = &rest[c.len_utf8()..];
        }
        flush(&mut run, pen, &mut cue);
        trim_lines(&mut cue);
        cue
    }
}

fn flush(run: &mut String, pen: Pen, cue: &mut Cue) {
    if !run.is_empty() {
        cue.push_span(pen.span(std::mem::take(run)));
    }
}

/// Reads a whole script, or (for a video's ASS stream) just its header, in
/// which case `cues` gets nothing.
///
/// # Errors
/// [`fileconv_core::Error::LimitExceeded`] past the memory budget.
pub fn read_script(text: &str, cues: &mut CueList<'_, '_>) -> Result<Script> {
    let mut script = Script::default();
    let (mut section, mut ssa) = (String::new(), false);
    let mut style_format: Vec<String> = Vec::new();
    let (mut width, mut height) = (None, None);
    for line in text.trim_start_matches('\u{feff}').lines() {
        let line = line.trim_start();
        if line.starts_with('[') && line.trim_end().ends_with(']') {
            section = line.trim().to_ascii_lowercase();
            ssa |= section == "[v4 styles]";
            continue;
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        match (section.as_str(), key) {
            ("[script info]", "Title") if !value.is_empty() && value != "<untitled>" => script.title = Some(value.to_string()),
            ("[script info]", "PlayResX") => width = value.parse().ok(),
            ("[script info]", "PlayResY") => height = value.parse().ok(),
            ("[script info]", "ScriptType") => ssa |= value.eq_ignore_ascii_case("v4.00"),
            (s, "Format") if s.contains("styles") => style_format = fields(value, usize::MAX),
            (s, "Style") if s.contains("styles") => {
                if style_format.is_empty() {
                    style_format = default_style_format(ssa);
                }
                if let Some(style) = style(&style_format, &fields(value, style_format.len()), ssa) {
                    script.styles.push(style);
                }
            }
            ("[events]", "Format") => script.event_format = fields(value, usize::MAX),
            ("[events]", "Dialogue") => {
                if script.event_format.is_empty() {
                    script.event_format = default_event_format(ssa);
                }
                let values = fields(value, script.event_format.len());
                let field = |name: &str| script.event_format.iter().position(|f| f.eq_ignore_ascii_case(name)).and_then(|i| values.get(i)).map_or("", String::as_str);
                let (Some(start), Some(end)) = (parse_clock(field("Start")), parse_clock(field("End"))) else { continue };
                let cue = script.cue(start, end, field("Style"), field("Name"), field("Text"));
                if !cue.is_blank() {
                    cues.push(cue)?;
                }
            }
            _ => {}
        }
    }
    script.canvas = match (width, height) {
        (Some(w), Some(h)) => Some((w, h)),
        // libass: a missing dimension follows from the other at 4:3.
        (Some(w), None) => Some((w, w * 3 / 4)),
        (None, Some(h)) => Some((h * 4 / 3, h)),
        (None, None) => None,
    };
    Ok(script)
}

/// Splits `value` at commas into at most `count` fields, the last taking the rest.
fn fields(value: &str, count: usize) -> Vec<String> {
    value.splitn(count, ',').map(|f| f.trim().to_string()).collect()
}

fn default_style_format(ssa: bool) -> Vec<String> {
    let format = if ssa { SSA_STYLE_FORMAT } else { ASS_STYLE_FORMAT };
    fields(format, usize::MAX)
}

fn default_event_format(ssa: bool) -> Vec<String> {
    fields(if ssa { SSA_EVENT_FORMAT } else { ASS_EVENT_FORMAT }, usize::MAX)
}

const ASS_STYLE_FORMAT: &str = "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding";
const SSA_STYLE_FORMAT: &str = "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, TertiaryColour, BackColour, Bold, Italic, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, AlphaLevel, Encoding";
const ASS_EVENT_FORMAT: &str = "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";
const SSA_EVENT_FORMAT: &str = "Marked, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text";

fn style(format: &[String], values: &[String], ssa: bool) -> Option<SubtitleStyle> {
    let field = |name: &str| format.iter().position(|f| f.eq_ignore_ascii_case(name)).and_then(|i| values.get(i)).map(String::as_str);
    let flag = |name: &str| field(name).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v != 0);
    let name = field("Name")?.to_string();
    let alignment: u8 = field("Alignment").and_then(|a| a.parse().ok()).unwrap_or(2);
    Some(SubtitleStyle {
        name,
        font: field("Fontname").filter(|f| !f.is_empty()).map(str::to_string),
        size: field("Fontsize").and_then(|s| s.parse().ok()),
        color: field("PrimaryColour").and_then(ass_color),
        bold: flag("Bold"),
        italic: flag("Italic"),
        underline: flag("Underline"),
        top: if ssa { (5..=7).contains(&alignment) } else { (7..=9).contains(&alignment) },
    })
}

/// # Errors
/// [`fileconv_core::Error::InvalidInput`] for binary input or a script without events.
pub fn decode_ass(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode(input, ctx, "ass")
}

/// # Errors
/// As [`decode_ass`].
pub fn decode_ssa(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode(input, ctx, "ssa")
}

fn decode(input: Input<'_>, ctx: &Context<'_>, format: &str) -> Result<Value> {
    let text = text(&input, format, ctx)?;
    let mut cues = CueList::new(ctx);
    let script = read_script(&text, &mut cues)?;
    Ok(Value::Subtitles(subtitles_of(script, cues.finish(format)?)))
}

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode_ass(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    encode(value, out, ctx, false)
}

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode_ssa(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    encode(value, out, ctx, true)
}

fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>, ssa: bool) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, Holds { name: if ssa { "SSA" } else { HOLDS.name }, ..HOLDS }, ctx);
    let (width, height) = subtitles.canvas.unwrap_or(DEFAULT_CANVAS);
    let mut text = String::from("[Script Info]\n; Written by fileconv\n");
    if let Some(title) = &subtitles.title {
        text.push_str(&format!("Title: {}\n", one_line(title)));
    }
    text.push_str(&format!(
        "ScriptType: {}\nWrapStyle: 0\nScaledBorderAndShadow: yes\nPlayResX: {width}\nPlayResY: {height}\n\n",
        if ssa { "v4.00" } else { "v4.00+" }
    ));
    let mut styles = subtitles.styles.clone();
    if subtitles.cues.iter().any(|c| c.style.as_ref().is_none_or(|s| subtitles.style(s).is_none())) && subtitles.style("Default").is_none() {
        styles.insert(0, SubtitleStyle { name: "Default".into(), ..SubtitleStyle::default() });
    }
    let size_default = height as f32 * 16.0 / 288.0;
    if ssa {
        text.push_str(&format!("[V4 Styles]\nFormat: {SSA_STYLE_FORMAT}\n"));
    } else {
        text.push_str(&format!("[V4+ Styles]\nFormat: {ASS_STYLE_FORMAT}\n"));
    }
    for style in &styles {
        let color = style.color.unwrap_or(WHITE);
        let flag = |on: bool| if on { -1 } else { 0 };
        let (name, font, size) = (one_line(&style.name).replace(',', ";"), style.font.as_deref().unwrap_or("Arial").replace(',', ";"), style.size.unwrap_or(size_default));
        if ssa {
            let bgr = i64::from(color[2]) << 16 | i64::from(color[1]) << 8 | i64::from(color[0]);
            let alignment = if style.top { 6 } else { 2 };
            text.push_str(&format!("Style: {name},{font},{size},{bgr},65535,0,0,{},{},1,1,0,{alignment},10,10,10,0,1\n", flag(style.bold), flag(style.italic)));
        } else {
            let alignment = if style.top { 8 } else { 2 };
            text.push_str(&format!(
                "Style: {name},{font},{size},&H00{},&H000000FF,&H00000000,&H00000000,{},{},{},0,100,100,0,0,1,1,0,{alignment},10,10,10,1\n",
                &ass_color_text(color)[2..8],
                flag(style.bold),
                flag(style.italic),
                flag(style.underline)
            ));
        }
    }
    text.push_str(&format!("\n[Events]\nFormat: {}\n", if ssa { SSA_EVENT_FORMAT } else { ASS_EVENT_FORMAT }));
    for cue in shown(&subtitles) {
        let style = cue.style.as_deref().and_then(|s| styles.iter().find(|x| x.name == s)).unwrap_or(&styles[0]);
        let base = Pen { bold: style.bold, italic: style.italic, underline: style.underline, color: style.color.filter(|c| *c != WHITE) };
        let mut line = String::new();
        if cue.top != style.top {
            line.push_str(match (cue.top, ssa) {
                (true, false) => "{\\an8}",
                (false, false) => "{\\an2}",
                (true, true) => "{\\a6}",
                (false, true) => "{\\a2}",
            });
        }
        let mut pen = base;
        for (i, spans) in cue.lines.iter().enumerate() {
            if i > 0 {
                line.push_str("\\N");
            }
            for span in spans {
                let want = Pen::of(span);
                let mut tags = String::new();
                for (on, was, tag) in [(want.bold, pen.bold, 'b'), (want.italic, pen.italic, 'i'), (want.underline, pen.underline, 'u')] {
                    if on != was {
                        tags.push_str(&format!("\\{tag}{}", u8::from(on)));
                    }
                }
                if want.color != pen.color {
                    match want.color.or(base.color) {
                        Some(color) => tags.push_str(&format!("\\c{}", ass_color_text(color))),
                        None => tags.push_str(&format!("\\c{}", ass_color_text(style.color.unwrap_or(WHITE)))),
                    }
                }
                if !tags.is_empty() {
                    line.push_str(&format!("{{{tags}}}"));
                }
                pen = want;
                line.push_str(&span.text.replace('\n', "\\N"));
            }
        }
        let speaker = cue.speaker.as_deref().map(one_line).unwrap_or_default().replace(',', ";");
        let (start, end) = (clock(cue.start_ms, 1, '.', 2), clock(cue.end_ms, 1, '.', 2));
        let style_name = style.name.replace(',', ";");
        if ssa {
            text.push_str(&format!("Dialogue: Marked=0,{start},{end},{style_name},{speaker},0,0,0,,{line}\n"));
        } else {
            text.push_str(&format!("Dialogue: 0,{start},{end},{style_name},{speaker},0,0,0,,{line}\n"));
        }
    }
    write_all(out, &text)
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// The subtitles a script holds (for a video's ASS stream: none, its header only).
pub fn subtitles_of(script: Script, cues: Subtitles) -> Subtitles {
    Subtitles { styles: script.styles, title: script.title, canvas: script.canvas, ..cues }
}
