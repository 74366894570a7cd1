//! WebVTT (`.vtt`): the `WEBVTT` header, then blocks separated by blank
//! lines: cues (an optional identifier, `00:01.000 --> 00:02.000 line:0`,
//! the payload), `NOTE`, `STYLE` and `REGION` blocks. Colours are kept as
//! the default colour classes (`<c.yellow>`) where they are one, else as
//! classes a `STYLE` block's `::cue(.class) { color: ... }` rules define.

use std::io::Write;

use fileconv_core::subtitles::{clock, parse_clock};
use fileconv_core::{Category, Context, Cue, Decoder, Encoder, Error, FormatInfo, Input, Result, Value, ValueKind};

use super::{note_losses, shown, text, write_all, CueList, Holds, READ, WRITE};
use crate::markup::{color_class, hex_color, needs_style_rule, parse_color, read_tagged, write_tagged, Tags};

inventory::submit! {
    FormatInfo { id: "vtt", aliases: &["webvtt"], name: "WebVTT subtitles", mime: "text/vtt", category: Category::Subtitle, container: None, sniff: Some(sniff) }
}
inventory::submit! { Decoder { format: "vtt", name: "vtt", output: ValueKind::Subtitles, cost: READ, options: &[], decode } }
inventory::submit! { Encoder { format: "vtt", name: "vtt", input: ValueKind::Subtitles, cost: WRITE, lossy: false, options: &[], encode } }

const HOLDS: Holds = Holds { name: "WebVTT", emphasis: true, color: true, styles: false, speakers: true, top: true };

fn sniff(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.starts_with(b"WEBVTT") && bytes.get(6).is_none_or(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

/// # Errors
/// [`Error::InvalidInput`] without the `WEBVTT` header, for binary input, or without cues.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = text(&input, "vtt", ctx)?;
    let text = text.trim_start_matches('\u{feff}');
    if !sniff(text.as_bytes()) {
        return Err(Error::invalid_input("vtt", "a WebVTT file starts with WEBVTT"));
    }
    let blocks: Vec<&str> = text.split("\n\n").map(|b| b.trim_matches('\n')).filter(|b| !b.is_empty()).collect();
    let classes: Vec<(String, [u8; 3])> = blocks.iter().filter(|b| b.starts_with("STYLE")).flat_map(|b| color_rules(b)).collect();
    let mut cues = CueList::new(ctx);
    for block in blocks.iter().skip(1) {
        let mut lines = block.lines();
        let Some(mut line) = lines.next() else { continue };
        if !line.contains("-->") {
            // An identifier, or a NOTE, STYLE or REGION block.
            match lines.next() {
                Some(next) if next.contains("-->") && !line.starts_with("NOTE") => line = next,
                _ => continue,
            }
        }
        let Some((start, rest)) = line.split_once("-->") else { continue };
        let mut settings = rest.split_whitespace();
        let (Some(start_ms), Some(end_ms)) = (parse_clock(start), settings.next().and_then(parse_clock)) else {
            continue;
        };
        let mut cue = Cue { start_ms, end_ms, top: settings.any(at_top), ..Cue::default() };
        read_tagged(&lines.collect::<Vec<_>>().join("\n"), Tags::Vtt, &classes, &mut cue);
        cues.push(cue)?;
    }
    cues.finish("vtt").map(Value::Subtitles)
}

/// A `line:` setting that puts the cue in the top half: a line number
/// from the top (0, 1...) or a percentage under 50.
fn at_top(setting: &str) -> bool {
    let Some(value) = setting.strip_prefix("line:") else { return false };
    let value = value.split(',').next().unwrap_or_default();
    match value.strip_suffix('%') {
        Some(percent) => percent.parse::<f32>().is_ok_and(|p| p < 50.0),
        None => value.parse::<i32>().is_ok_and(|n| n >= 0),
    }
}

/// The colours `::cue(.name) { color: ... }` rules give classes.
fn color_rules(block: &str) -> Vec<(String, [u8; 3])> {
    let mut rules = Vec::new();
    for rule in block.split('}') {
        let Some((selector, body)) = rule.split_once('{') else { continue };
        let Some(class) = selector.find("::cue(.").and_then(|at| selector[at + 7..].split(')').next()) else { continue };
        let color = body.split(';').find_map(|d| d.split_once(':').filter(|(k, _)| k.trim() == "color").and_then(|(_, v)| parse_color(v)));
        if let Some(color) = color {
            rules.push((class.to_string(), color));
        }
    }
    rules
}

/// # Errors
/// [`Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    let mut text = String::from("WEBVTT\n\n");
    let mut colors: Vec<[u8; 3]> = subtitles.cues.iter().flat_map(|c| c.lines.iter().flatten()).filter_map(|s| s.color).filter(|c| needs_style_rule(*c)).collect();
    colors.sort_unstable();
    colors.dedup();
    if !colors.is_empty() {
        text.push_str("STYLE\n");
        for color in colors {
            text.push_str(&format!("::cue(.{}) {{ color: {}; }}\n", color_class(color), hex_color(color)));
        }
        text.push('\n');
    }
    for cue in shown(&subtitles) {
        let settings = if cue.top { " line:0" } else { "" };
        text.push_str(&format!("{} --> {}{settings}\n", clock(cue.start_ms, 2, '.', 3), clock(cue.end_ms, 2, '.', 3)));
        text.push_str(&write_tagged(cue, Tags::Vtt).replace("-->", "--&gt;"));
        text.push_str("\n\n");
    }
    write_all(out, &text)
}
