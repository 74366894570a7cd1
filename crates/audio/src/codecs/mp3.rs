//! MP3: FFmpeg in, LAME out (CBR `bitrate` or VBR `quality`), ID3v2.3 tags and
//! cover. Read through FFmpeg: its SIMD decoder takes 0.50 s for 5 minutes of
//! 192k stereo where symphonia 0.5 takes 0.85 s (synthesis and Huffman
//! decoding are 55% of a profile).

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::encode::{Cover, Target};
use crate::options::{bitrate, QUALITY};

const ID: &str = "mp3";
const BITRATE: OptionSpec = bitrate("192k", 8_000, 320_000);
const OPTIONS: &[OptionSpec] = &[BITRATE, QUALITY];

/// An MPEG audio frame first (after any ID3v2 tag), or frames in a row
/// after junk; an ID3v2 tag before another format's signature is that format's.
fn is_mp3(b: &[u8]) -> bool {
    let rest = sniff::after_id3v2(b);
    if rest.len() < b.len() && (sniff::starts_with(rest, b"fLaC") || sniff::starts_with(rest, &sniff::AC3_SYNC) || sniff::adts_header(rest)) {
        return false;
    }
    sniff::mpeg_audio_frame_len(rest).is_some() || (rest.len() < b.len() && !rest.is_empty()) || sniff::mpeg_audio_frames(rest)
}

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "MP3 audio", mime: "audio/mpeg", category: Category::Audio, container: None, sniff: Some(is_mp3) }
}
inventory::submit! { Decoder { format: ID, name: "ffmpeg", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "libmp3lame", input: ValueKind::Audio, cost: 10, lossy: true, options: OPTIONS, encode } }

const TARGET: Target = Target {
    format: ID,
    muxer: "mp3",
    codec: |_| "libmp3lame",
    rates: &[8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000],
    max_channels: 2,
    cover: Cover::Stream,
    chapters: true,
    options: OPTIONS,
    // LAME's -V scale: 0 best, 9 smallest.
    quality: Some(|q| (10 - q).clamp(0, 9) as f64),
    segmented: true,
    muxer_options: &[("id3v2_version", "3")],
    ..Target::DEFAULT
};

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    crate::decode::decode_ffmpeg(input, ctx, ID, Some("mp3"))
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_ffmpeg(value, sink, ctx, &TARGET)
}
