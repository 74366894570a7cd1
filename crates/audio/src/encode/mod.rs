//! Encoding: hound for WAV, FFmpeg's encoders and muxers for the rest.

mod ffmpeg;
mod segmented;
mod wav;

use fileconv_core::{Audio, OptionSpec, Options, Result};

pub use self::ffmpeg::{encode_ffmpeg, Cover, Target};
pub use self::wav::encode_wav;

/// Chunks decoded ahead of the encoder, on a second thread (a few hundred KB).
pub const READ_AHEAD: usize = 8;

/// The depth a lossless target writes: `bitDepth` when given, else the
/// source's rounded up to one the target holds, else 16.
///
/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for a depth the target does not offer.
pub fn bit_depth(spec: &OptionSpec, options: &Options, audio: &Audio, allowed: &[u16]) -> Result<u16> {
    if options.get(spec.name).is_some() {
        return Ok(spec.choice(options)?.parse().unwrap_or(16));
    }
    let source = audio.spec.bits_per_sample.unwrap_or(16);
    Ok(allowed.iter().copied().find(|&d| d >= source).or(allowed.last().copied()).unwrap_or(16))
}

/// Notes that the source's cover picture is not written: `format` holds none.
pub fn cover_left_out(tags: &fileconv_core::Tags, format: &str, ctx: &fileconv_core::Context<'_>) {
    if tags.cover.is_some() {
        ctx.note(format!("the cover picture was left out: {} holds none", format.to_uppercase()));
    }
}

/// Reports progress from frames written so far.
pub fn progress(ctx: &fileconv_core::Context<'_>, done: u64, total: Option<u64>) {
    if let Some(total) = total.filter(|&t| t > 0) {
        ctx.progress((done as f64 / total as f64).min(1.0) as f32);
    }
}
