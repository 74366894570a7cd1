//! Decoding: symphonia for WAV (FFmpeg when symphonia lacks the codec);
//! FFmpeg for the other formats, for the reasons each codec file gives.

mod ffmpeg;
mod segmented;
mod symphonia;

use fileconv_core::{AudioSpec, Context, Error, Input, Result, Value};

pub use self::ffmpeg::{decode_ffmpeg, decode_media_input};

/// Most channels a source may declare; real files have up to 8 (7.1) or a few
/// dozen in production formats.
const MAX_CHANNELS: u16 = 64;
const MAX_RATE: u32 = 768_000;

/// Decodes WAV with symphonia, falling back to FFmpeg (demuxer `demuxer`)
/// when symphonia does not support the codec.
///
/// # Errors
/// [`Error::InvalidInput`] when neither can read the file.
pub fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str, demuxer: &str) -> Result<Value> {
    match symphonia::decode(input, ctx, format) {
        Err(symphonia::Unsupported) => decode_ffmpeg(input, ctx, format, Some(demuxer)),
        Ok(value) => value,
    }
}

/// Checks a stream's declared shape before anything is allocated for it.
fn check_spec(spec: &AudioSpec, format: &str) -> Result<()> {
    if spec.channels == 0 || spec.channels > MAX_CHANNELS {
        return Err(Error::invalid_input(format, format!("{} channels (1 to {MAX_CHANNELS} supported)", spec.channels)));
    }
    if spec.sample_rate == 0 || spec.sample_rate > MAX_RATE {
        return Err(Error::invalid_input(format, format!("sample rate {} Hz (1 to {MAX_RATE} supported)", spec.sample_rate)));
    }
    Ok(())
}
