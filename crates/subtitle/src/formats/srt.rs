//! SubRip (`.srt`): numbered cues, `00:00:01,000 --> 00:00:02,500`, text
//! with HTML-like tags. Read leniently, as players do: numbers optional or
//! wrong, `.` for `,`, blank lines inside a cue's text kept.

use std::io::Write;

use fileconv_core::subtitles::{clock, parse_clock};
use fileconv_core::{Category, Context, Cue, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use super::{note_losses, shown, text, write_all, CueList, Holds, READ, WRITE};
use crate::markup::{read_tagged, write_tagged, Tags};

inventory::submit! {
    FormatInfo { id: "srt", aliases: &["subrip"], name: "SubRip subtitles", mime: "application/x-subrip", category: Category::Subtitle, container: None, sniff: Some(sniff) }
}
inventory::submit! { Decoder { format: "srt", name: "srt", output: ValueKind::Subtitles, cost: READ, options: &[], decode } }
inventory::submit! { Encoder { format: "srt", name: "srt", input: ValueKind::Subtitles, cost: WRITE, lossy: false, options: &[], encode } }

const HOLDS: Holds = Holds { name: "SubRip", emphasis: true, color: true, styles: false, speakers: false, top: true };

/// A first cue: an optional number line, then a timing line.
fn sniff(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    let mut lines = head.trim_start_matches('\u{feff}').lines().map(str::trim).skip_while(|l| l.is_empty());
    let first = lines.next().unwrap_or_default();
    let timing = if first.bytes().all(|b| b.is_ascii_digit()) && !first.is_empty() { lines.next().unwrap_or_default() } else { first };
    timing_line(timing).is_some_and(|(_, _, comma)| comma)
}

/// Reads `00:00:01,000 --> 00:00:02,000 [X1:...]`: start, end, and whether
/// the times use SubRip's comma.
fn timing_line(line: &str) -> Option<(u64, u64, bool)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    let start = start.trim();
    Some((parse_clock(start)?, parse_clock(end)?, start.contains(',')))
}

/// # Errors
/// [`fileconv_core::Error::InvalidInput`] for binary input or a file without cues.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = text(&input, "srt", ctx)?;
    let lines: Vec<&str> = text.lines().collect();
    let timings: Vec<(usize, u64, u64)> =
        lines.iter().enumerate().filter_map(|(i, l)| timing_line(l.trim()).map(|(s, e, _)| (i, s, e))).collect();
    let mut cues = CueList::new(ctx);
    for (n, &(at, start_ms, end_ms)) in timings.iter().enumerate() {
        let mut end = timings.get(n + 1).map_or(lines.len(), |next| next.0);
        // The next cue's number belongs to it.
        if n + 1 < timings.len() && end > at + 1 && lines[end - 1].trim().bytes().all(|b| b.is_ascii_digit()) {
            end -= 1;
        }
        let payload = lines[at + 1..end].join("\n");
        let mut cue = Cue { start_ms, end_ms, ..Cue::default() };
        read_tagged(payload.trim_end(), Tags::Srt, &[], &mut cue);
        cues.push(cue)?;
    }
    cues.finish("srt").map(Value::Subtitles)
}

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    let mut text = String::new();
    for (n, cue) in shown(&subtitles).enumerate() {
        let top = if cue.top { "{\\an8}" } else { "" };
        text.push_str(&format!(
            "{}\n{} --> {}\n{top}{}\n\n",
            n + 1,
            clock(cue.start_ms, 2, ',', 3),
            clock(cue.end_ms, 2, ',', 3),
            write_tagged(cue, Tags::Srt)
        ));
    }
    write_all(out, &text)
}
