//! The `audio` transform: trim (`start`, `duration`), then resample and remix
//! (`sampleRate`, `channels`), applied lazily as chunks are pulled.

use fileconv_core::{Audio, AudioSource, Context, Result, Samples, Transform, Value, ValueKind};
use fileconv_ffmpeg::samples::{f32_samples, Converter, PcmFormat};

use crate::options::{CHANNELS, DURATION, SAMPLE_RATE, START, TRANSFORM};

inventory::submit! { Transform { name: "audio", kind: ValueKind::Audio, options: TRANSFORM, apply } }

fn apply(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut audio = value.into_audio()?;
    let start = START.seconds(ctx.options)?;
    let duration = DURATION.seconds(ctx.options)?;
    if start.is_some() || duration.is_some() {
        audio = trim(audio, start.unwrap_or(0.0), duration);
    }
    let rate = SAMPLE_RATE.integer_opt(ctx.options)?.map(|r| r as u32).unwrap_or(audio.spec.sample_rate);
    let channels = CHANNELS.integer_opt(ctx.options)?.map(|c| c as u16).unwrap_or(audio.spec.channels);
    Ok(Value::Audio(convert(audio, rate, channels)?))
}

/// `audio` at `rate` Hz and `channels` channels; unchanged when it already is.
///
/// # Errors
/// [`Error::InvalidInput`] when FFmpeg refuses the conversion.
pub fn convert(audio: Audio, rate: u32, channels: u16) -> Result<Audio> {
    if audio.spec.sample_rate == rate && audio.spec.channels == channels {
        return Ok(audio);
    }
    let from = PcmFormat::interleaved_f32(audio.spec.channels, audio.spec.sample_rate);
    let to = PcmFormat::interleaved_f32(channels, rate);
    let converter = Converter::new(from, to, "audio")?;
    let total_frames = audio
        .total_frames
        .map(|n| (u128::from(n) * u128::from(rate) / u128::from(audio.spec.sample_rate.max(1))) as u64);
    let mut spec = audio.spec;
    spec.sample_rate = rate;
    spec.channels = channels;
    Ok(Audio { spec, tags: audio.tags, total_frames, source: Box::new(Resampled { inner: audio.source, converter, done: false }) })
}

struct Resampled {
    inner: Box<dyn AudioSource>,
    converter: Converter,
    done: bool,
}

impl AudioSource for Resampled {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        while !self.done {
            let (planes, frames) = match self.inner.next_chunk()? {
                Some(chunk) => self.converter.convert_interleaved(&chunk)?,
                None => {
                    self.done = true;
                    self.converter.flush()?
                }
            };
            if frames > 0 {
                return Ok(Some(f32_samples(&planes)));
            }
        }
        Ok(None)
    }
}

/// Keeps the part of `audio` from `start` seconds, at most `duration` long,
/// and its chapters cut to it.
fn trim(audio: Audio, start: f64, duration: Option<f64>) -> Audio {
    let rate = f64::from(audio.spec.sample_rate);
    let skip = (start * rate).round() as u64;
    let keep = duration.map(|d| (d * rate).round() as u64);
    let total_frames = audio.total_frames.map(|n| {
        let left = n.saturating_sub(skip);
        keep.map_or(left, |k| left.min(k))
    });
    let channels = usize::from(audio.spec.channels.max(1));
    let mut tags = audio.tags;
    tags.chapters = fileconv_core::cut_chapters(&tags.chapters, start, duration.map_or(f64::INFINITY, |d| start + d));
    let source = Trimmed { inner: audio.source, channels, skip, keep };
    Audio { total_frames, tags, source: Box::new(source), ..audio }
}

struct Trimmed {
    inner: Box<dyn AudioSource>,
    channels: usize,
    /// Frames still to skip.
    skip: u64,
    /// Frames still to keep, `None` for all.
    keep: Option<u64>,
}

impl AudioSource for Trimmed {
    fn next_chunk(&mut self) -> Result<Option<Samples>> {
        loop {
            if self.keep == Some(0) {
                return Ok(None);
            }
            let Some(mut chunk) = self.inner.next_chunk()? else { return Ok(None) };
            let frames = (chunk.len() / self.channels) as u64;
            if self.skip >= frames {
                self.skip -= frames;
                continue;
            }
            let from = self.skip as usize * self.channels;
            self.skip = 0;
            chunk.drain(..from);
            if let Some(keep) = &mut self.keep {
                let frames = (chunk.len() / self.channels) as u64;
                if frames > *keep {
                    chunk.truncate(*keep as usize * self.channels);
                }
                *keep -= (chunk.len() / self.channels) as u64;
            }
            if !chunk.is_empty() {
                return Ok(Some(chunk));
            }
        }
    }
}

