//! Windows Media Audio in ASF: FFmpeg in, WMA v2 out.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::Target;
use crate::options::bitrate;

const ID: &str = "wma";
const OPTIONS: &[OptionSpec] = &[bitrate("192k", 24_000, 384_000)];

inventory::submit! {
    FormatInfo { id: ID, aliases: &["asf"], name: "Windows Media Audio", mime: "audio/x-ms-wma", category: Category::Audio, container: Some(fileconv_core::Container::Asf), sniff: Some(|b| sniff::starts_with(b, &sniff::ASF) && !sniff::contains_early(b, &sniff::ASF_VIDEO_MEDIA, 4096)) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "wmav2", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "asf",
    codec: |_| "wmav2",
    rates: &[8_000, 11_025, 16_000, 22_050, 32_000, 44_100, 48_000],
    max_channels: 2,
    options: OPTIONS,
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("asf"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
