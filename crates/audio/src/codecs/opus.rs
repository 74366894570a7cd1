//! Opus in Ogg: FFmpeg in (symphonia has no Opus decoder), libopus out at 48 kHz.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::bitrate;

const ID: &str = "opus";
const OPTIONS: &[OptionSpec] = &[bitrate("128k", 6_000, 510_000)];

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "Opus audio", mime: "audio/opus", category: Category::Audio,
        container: Some(fileconv_core::Container::Ogg), sniff: Some(|b| sniff::starts_with(b, b"OggS") && b.get(28..36) == Some(b"OpusHead")) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "libopus", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "opus",
    codec: |_| "libopus",
    // Opus always decodes at 48 kHz; a lower input rate would only be a header hint.
    rates: &[48_000],
    max_channels: 2,
    cover: Cover::VorbisComment,
    // CHAPTERnnn comments, which FFmpeg's Ogg Opus reader finds again (its Vorbis reader does not).
    chapters: true,
    options: OPTIONS,
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("ogg"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
