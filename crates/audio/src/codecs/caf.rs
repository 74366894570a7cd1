//! Core Audio Format (read): FFmpeg (symphonia 0.5.5 allocates whatever a
//! CAF chunk's 64-bit size says).

use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

const ID: &str = "caf";

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "Core Audio Format", mime: "audio/x-caf", category: Category::Audio, container: None, sniff: Some(|b| sniff::starts_with(b, b"caff")) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("caf"))
}
