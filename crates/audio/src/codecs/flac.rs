//! FLAC: FFmpeg in and out (16 or 24 bits), Vorbis comments and cover. Not
//! read with symphonia 0.5.5: it allocates whatever a Vorbis comment's length
//! field says (2.6 GB from a 4 KB file, found by `fuzz/decode_audio`).

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::bit_depth;

const ID: &str = "flac";
const OPTIONS: &[OptionSpec] = &[bit_depth(&["16", "24"])];

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "FLAC audio", mime: "audio/flac", category: Category::Audio, container: None, sniff: Some(|b| sniff::starts_with(sniff::after_id3v2(b), b"fLaC")) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "flac", input: ValueKind::Audio, cost: 10, lossy: false, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "flac",
    codec: |_| "flac",
    depths: &[16, 24],
    cover: Cover::Stream,
    options: OPTIONS,
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("flac"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
