//! WAV output through hound (16/24-bit integer, 32-bit float), with the tags
//! in a `LIST/INFO` chunk placed before the sample data.

use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use fileconv_core::{read_ahead, AudioSource, Context, Error, OptionSpec, Result, Spool, Value};

use super::{bit_depth, progress, READ_AHEAD};
use crate::tags::riff_info_chunk;

/// Writes `value` as WAV at the depth `depth_spec` picks (32 = float).
///
/// # Errors
/// [`Error::InvalidOption`], what the source fails with, [`Error::Io`].
pub fn encode_wav(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, depth_spec: &OptionSpec) -> Result<()> {
    let audio = value.into_audio()?;
    let depth = bit_depth(depth_spec, ctx.options, &audio, &[16, 24, 32])?;
    let spec = hound::WavSpec {
        channels: audio.spec.channels,
        sample_rate: audio.spec.sample_rate,
        bits_per_sample: depth,
        sample_format: if depth == 32 { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let limit = ctx.limits.max_output_bytes;
    let mut spool = BufWriter::with_capacity(256 << 10, Spool::with_limit(limit));
    let written = write_samples(read_ahead(audio.source, READ_AHEAD), audio.total_frames, &mut spool, spec, depth, ctx);
    if spool.get_ref().exceeded() {
        return Err(Error::LimitExceeded { what: "output size (bytes)", limit, actual: None });
    }
    written?;
    let spool = spool.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    write_with_info(spool, riff_info_chunk(&audio.tags), sink)
}

fn write_samples(
    mut source: Box<dyn AudioSource>,
    total: Option<u64>,
    spool: &mut BufWriter<Spool>,
    spec: hound::WavSpec,
    depth: u16,
    ctx: &Context<'_>,
) -> Result<()> {
    let wav_error = |e: hound::Error| match e {
        hound::Error::IoError(io) => Error::Io(io),
        other => Error::backend("wav", other),
    };
    let mut writer = hound::WavWriter::new(spool, spec).map_err(wav_error)?;
    let mut done = 0u64;
    let channels = u64::from(spec.channels.max(1));
    while let Some(chunk) = source.next_chunk()? {
        ctx.checkpoint()?;
        match depth {
            16 => {
                let mut w = writer.get_i16_writer(chunk.len() as u32);
                for s in &chunk {
                    w.write_sample(to_int(*s, 32_767.0) as i16);
                }
                w.flush().map_err(wav_error)?;
            }
            24 => {
                for s in &chunk {
                    writer.write_sample(to_int(*s, 8_388_607.0)).map_err(wav_error)?;
                }
            }
            _ => {
                for &s in &chunk {
                    writer.write_sample(s).map_err(wav_error)?;
                }
            }
        }
        done += chunk.len() as u64 / channels;
        progress(ctx, done, total);
    }
    writer.finalize().map_err(wav_error)
}

/// A sample scaled to `full_scale` and rounded half away from zero, clipped
/// at full scale (`round()` is a libm call without SSE4.1; this is not).
#[inline]
fn to_int(sample: f32, full_scale: f32) -> i32 {
    let v = sample.clamp(-1.0, 1.0) * full_scale;
    (v + if v >= 0.0 { 0.5 } else { -0.5 }) as i32
}

/// Copies the RIFF file in `spool` to `sink`, inserting `info` before the `data` chunk.
fn write_with_info(mut spool: Spool, info: Option<Vec<u8>>, sink: &mut dyn Write) -> Result<()> {
    let Some(info) = info else {
        spool.copy_to(sink)?;
        return Ok(());
    };
    let total = spool.seek(SeekFrom::End(0))?;
    spool.seek(SeekFrom::Start(0))?;
    let mut header = [0u8; 12];
    spool.read_exact(&mut header)?;
    // Chunks before `data` (hound writes `fmt ` only), copied as they are.
    let mut before = Vec::new();
    loop {
        let mut chunk = [0u8; 8];
        spool.read_exact(&mut chunk)?;
        if &chunk[..4] == b"data" {
            spool.seek(SeekFrom::Current(-8))?;
            break;
        }
        let len = u64::from(u32::from_le_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]));
        let mut body = vec![0u8; (len + (len & 1)) as usize];
        spool.read_exact(&mut body)?;
        before.extend_from_slice(&chunk);
        before.extend_from_slice(&body);
    }
    let riff_size = (total - 8 + info.len() as u64).min(u64::from(u32::MAX)) as u32;
    header[4..8].copy_from_slice(&riff_size.to_le_bytes());
    sink.write_all(&header)?;
    sink.write_all(&before)?;
    sink.write_all(&info)?;
    std::io::copy(&mut spool, sink)?;
    Ok(())
}
