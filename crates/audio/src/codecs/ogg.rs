//! Ogg Vorbis: FFmpeg in (symphonia 0.5.5 allocates whatever a Vorbis
//! comment's length field says), libvorbis out: VBR `quality` (6 by default, about
//! 190 kb/s for stereo at 44.1 kHz) or an average `bitrate`.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::{bitrate, QUALITY};

const ID: &str = "ogg";
const BITRATE: OptionSpec = bitrate("", 45_000, 500_000);
const OPTIONS: &[OptionSpec] = &[BITRATE, QUALITY];

inventory::submit! {
    FormatInfo { id: ID, aliases: &["oga", "oggflac", "spx"], name: "Ogg Vorbis audio", mime: "audio/ogg", category: Category::Audio,
        container: Some(fileconv_core::Container::Ogg), sniff: Some(|b| sniff::starts_with(b, b"OggS") && b.get(28..35) == Some(b"\x01vorbis")) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "libvorbis", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "ogg",
    codec: |_| "libvorbis",
    cover: Cover::VorbisComment,
    options: OPTIONS,
    quality: Some(|q| q as f64),
    default_quality: Some(6),
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("ogg"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
