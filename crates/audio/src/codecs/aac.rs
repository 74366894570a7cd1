//! Raw AAC in ADTS frames: FFmpeg in and out. Not read with symphonia 0.5.5:
//! its AAC decoder indexes out of bounds on malformed section data (found by
//! `fuzz/decode_audio`).

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::Target;
use crate::options::bitrate;

const ID: &str = "aac";
const OPTIONS: &[OptionSpec] = &[bitrate("192k", 16_000, 512_000)];

/// An ADTS frame header, after any ID3v2 tag.
fn is_adts(b: &[u8]) -> bool {
    sniff::adts_header(sniff::after_id3v2(b))
}

inventory::submit! {
    FormatInfo { id: ID, aliases: &["adts"], name: "AAC audio (ADTS)", mime: "audio/aac", category: Category::Audio, container: None, sniff: Some(is_adts) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "aac", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "adts",
    codec: |_| "aac",
    rates: super::m4a::AAC_RATES,
    options: OPTIONS,
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("aac"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
