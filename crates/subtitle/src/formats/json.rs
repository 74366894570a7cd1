//! Subtitles as JSON: `{"title", "language", "cues": [{"start", "end",
//! "text", "speaker", "style", "top"}]}`, times in seconds (milliseconds
//! exact), text lines joined by `\n`, styling as plain text.

use std::io::Write;

use fileconv_core::{Context, Encoder, Error, Result, Value, ValueKind};
use serde_json::{json, Map, Value as Json};

use super::{note_losses, shown, Holds, WRITE};

inventory::submit! { Encoder { format: "json", name: "subtitle-json", input: ValueKind::Subtitles, cost: WRITE, lossy: true, options: &[], encode } }

const HOLDS: Holds = Holds { name: "JSON", emphasis: false, color: false, styles: false, speakers: true, top: true };

/// # Errors
/// [`Error::Io`] when writing fails.
pub fn encode(value: Value, out: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let subtitles = value.into_subtitles()?;
    note_losses(&subtitles, HOLDS, ctx);
    let cues: Vec<Json> = shown(&subtitles)
        .map(|cue| {
            let mut object = Map::new();
            object.insert("start".into(), json!(cue.start_ms as f64 / 1000.0));
            object.insert("end".into(), json!(cue.end_ms as f64 / 1000.0));
            object.insert("text".into(), json!(cue.plain_text()));
            if let Some(speaker) = &cue.speaker {
                object.insert("speaker".into(), json!(speaker));
            }
            if let Some(style) = &cue.style {
                object.insert("style".into(), json!(style));
            }
            if cue.top {
                object.insert("top".into(), json!(true));
            }
            Json::Object(object)
        })
        .collect();
    let document = json!({ "title": subtitles.title, "language": subtitles.language, "cues": cues });
    serde_json::to_writer_pretty(&mut *out, &document).map_err(|e| Error::Io(e.into()))?;
    out.write_all(b"\n").map_err(Error::from)
}
