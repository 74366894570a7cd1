//! M4A (MPEG-4 audio): AAC or ALAC in, AAC out (FFmpeg's native encoder)
//! with iTunes tags and cover. Read through FFmpeg rather than symphonia:
//! symphonia 0.5 ignores the edit list that trims the encoder's priming
//! samples (1024 frames, 128 ms at 8 kHz), FFmpeg applies it.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::bitrate;

const ID: &str = "m4a";
pub const AAC_RATES: &[u32] = &[8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000, 88_200, 96_000];
const OPTIONS: &[OptionSpec] = &[bitrate("192k", 16_000, 512_000)];

inventory::submit! {
    FormatInfo { id: ID, aliases: &["m4b", "alac"], name: "MPEG-4 audio", mime: "audio/mp4", category: Category::Audio,
        container: Some(fileconv_core::Container::IsoBmff), sniff: Some(|b| sniff::iso_brand(b, &[b"M4A ", b"M4B ", b"M4P "])) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "aac", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "ipod",
    codec: |_| "aac",
    rates: AAC_RATES,
    cover: Cover::Stream,
    chapters: true,
    options: OPTIONS,
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("mov"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
