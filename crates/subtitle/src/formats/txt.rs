//! Subtitles as plain text: each cue's lines, cues separated by a blank
//! line, a speaker's name before their words. Times are not kept.

use std::io::Write;

use fileconv_core::{Context, Encoder, Result, Value, ValueKind};

use super::{note_losses, shown, write_all, Holds, WRITE};

inventory::submit! { Encoder { format: "txt", name: "subtitle-text", input: ValueKind::Subtitles, cost: WRITE, lossy: true, options: &[], encode } }

const HOLDS: Holds = Holds { name: "Plain text", emphasis: false, color: false, styles: false, speakers: true, top: false };

/// # Errors
/// [`fileconv_core::Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    ctx.note("plain text keeps the words of the cues, not their times");
    let mut text = String::new();
    for cue in shown(&subtitles) {
        if let Some(speaker) = &cue.speaker {
            text.push_str(&format!("{speaker}: "));
        }
        let lines: Vec<String> = cue.plain_text().lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
        text.push_str(&lines.join("\n"));
        text.push_str("\n\n");
    }
    write_all(out, &text)
}
