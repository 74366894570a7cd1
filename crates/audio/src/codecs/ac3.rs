//! AC-3 / Dolby Digital (read): FFmpeg.

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

const ID: &str = "ac3";

inventory::submit! {
    FormatInfo { id: ID, aliases: &["eac3"], name: "AC-3 audio", mime: "audio/ac3", category: Category::Audio, container: None, sniff: Some(|b| sniff::starts_with(sniff::after_id3v2(b), &sniff::AC3_SYNC)) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("ac3"))
}
