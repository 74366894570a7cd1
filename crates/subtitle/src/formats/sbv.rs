//! SBV, YouTube's SubViewer variant: `0:00:01.000,0:00:03.500`, then the
//! text lines, cues separated by blank lines. Plain text only.

use std::io::Write;

use fileconv_core::subtitles::{clock, parse_clock};
use fileconv_core::{Category, Context, Cue, Decoder, Encoder, FormatInfo, Input, Result, Span, Value, ValueKind};

use super::{note_losses, shown, text, write_all, CueList, Holds, READ, WRITE};
use crate::markup::trim_lines;

inventory::submit! {
    FormatInfo { id: "sbv", aliases: &[], name: "SubViewer / YouTube SBV subtitles", mime: "text/plain", category: Category::Subtitle, container: None, sniff: Some(sniff) }
}
inventory::submit! { Decoder { format: "sbv", name: "sbv", output: ValueKind::Subtitles, cost: READ, options: &[], decode } }
inventory::submit! { Encoder { format: "sbv", name: "sbv", input: ValueKind::Subtitles, cost: WRITE, lossy: true, options: &[], encode } }

const HOLDS: Holds = Holds { name: "SBV", emphasis: false, color: false, styles: false, speakers: false, top: false };

fn sniff(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(256)]);
    head.trim_start_matches('\u{feff}').lines().map(str::trim).find(|l| !l.is_empty()).is_some_and(|l| timing_line(l).is_some())
}

/// `0:00:01.000,0:00:03.500`.
fn timing_line(line: &str) -> Option<(u64, u64)> {
    let (start, end) = line.split_once(',')?;
    (start.contains(':') && end.contains(':') && !end.contains(',')).then_some(())?;
    Some((parse_clock(start)?, parse_clock(end)?))
}

/// # Errors
/// [`fileconv_core::Error::InvalidInput`] for binary input or a file without cues.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let text = text(&input, "sbv", ctx)?;
    let mut cues = CueList::new(ctx);
    let mut current: Option<Cue> = None;
    for line in text.trim_start_matches('\u{feff}').lines() {
        if let Some((start_ms, end_ms)) = timing_line(line.trim()) {
            if let Some(mut cue) = current.take() {
                trim_lines(&mut cue);
                cues.push(cue)?;
            }
            current = Some(Cue { start_ms, end_ms, lines: Vec::new(), ..Cue::default() });
        } else if let Some(cue) = current.as_mut() {
            cue.lines.push(vec![Span::plain(line.trim_end())]);
        }
    }
    if let Some(mut cue) = current {
        trim_lines(&mut cue);
        cues.push(cue)?;
    }
    cues.finish("sbv").map(Value::Subtitles)
}

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    let mut text = String::new();
    for cue in shown(&subtitles) {
        let lines: Vec<String> = cue.plain_text().lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();
        text.push_str(&format!("{},{}\n{}\n\n", clock(cue.start_ms, 1, '.', 3), clock(cue.end_ms, 1, '.', 3), lines.join("\n")));
    }
    write_all(out, &text)
}
