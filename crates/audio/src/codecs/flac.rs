//! FLAC: symphonia in, FFmpeg's encoder out at 16 or 24 bits, Vorbis comments and cover.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::bit_depth;

const ID: &str = "flac";
const OPTIONS: &[OptionSpec] = &[bit_depth(&["16", "24"])];

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "FLAC audio", mime: "audio/flac", category: Category::Audio, sniff: Some(|b| sniff::starts_with(b, b"fLaC")) }
}
inventory::submit! { Decoder { format: ID, name: "symphonia", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "flac", input: ValueKind::Audio, cost: 10, lossy: false, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "flac",
    codec: |_| "flac",
    depths: &[16, 24],
    rates: &[],
    max_channels: 8,
    cover: Cover::Stream,
    options: OPTIONS,
    quality: None,
    default_quality: None,
    segmented: false,
    muxer_options: &[],
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode(input, ctx, ID, "flac")
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
