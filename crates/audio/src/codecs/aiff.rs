//! AIFF: big-endian PCM at 16, 24 or 32 bits, tags in an ID3 chunk. Read
//! through FFmpeg: symphonia 0.5 reads no AIFF tags.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::bit_depth;

const ID: &str = "aiff";
const OPTIONS: &[OptionSpec] = &[bit_depth(&["16", "24", "32"])];

inventory::submit! {
    FormatInfo { id: ID, aliases: &["aif", "aifc"], name: "AIFF audio", mime: "audio/aiff", category: Category::Audio,
        container: None, sniff: Some(|b| sniff::starts_with(b, b"FORM") && matches!(b.get(8..12), Some(b"AIFF" | b"AIFC"))) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "pcm", input: ValueKind::Audio, cost: 10, lossy: false, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "aiff",
    codec: |depth| match depth {
        24 => "pcm_s24be",
        32 => "pcm_s32be",
        _ => "pcm_s16be",
    },
    depths: &[16, 24, 32],
    cover: Cover::Stream,
    options: OPTIONS,
    muxer_options: &[("write_id3v2", "1")],
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("aiff"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
