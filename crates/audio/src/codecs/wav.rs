//! WAV: PCM 8/16/24/32-bit, float, mu-law, A-law, ADPCM in; 16/24-bit and float out.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::options::bit_depth;

const ID: &str = "wav";
const BIT_DEPTH: OptionSpec = bit_depth(&["16", "24", "32"]);

inventory::submit! {
    FormatInfo { id: ID, aliases: &["wave"], name: "WAV audio", mime: "audio/wav", category: Category::Audio,
        sniff: Some(|b| (sniff::starts_with(b, b"RIFF") || sniff::starts_with(b, b"RF64")) && b.get(8..12) == Some(b"WAVE")) }
}
inventory::submit! { Decoder { format: ID, name: "symphonia", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "hound", input: ValueKind::Audio, cost: 10, lossy: false, options: &[BIT_DEPTH], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode(input, ctx, ID, "wav")
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_wav(value, sink, ctx, &BIT_DEPTH)
}
