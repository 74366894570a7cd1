//! WAV output through hound (16/24-bit integer, 32-bit float), with the tags
//! in a `LIST/INFO` chunk placed before the sample data.

use std::io::{BufWriter, Seek, SeekFrom, Write};

use fileconv_core::{read_ahead, AudioSource, Context, Error, OptionSpec, Result, Spool, Value};

use super::{bit_depth, progress, READ_AHEAD};
use crate::tags::riff_info_chunk;

/// Writes `value` as WAV at the depth `depth_spec` picks (32 = float), into
/// the conversion's output spool (the destination file itself when there is
/// one), patching the sizes in the header at the end.
///
/// # Errors
/// [`Error::InvalidOption`], what the source fails with, [`Error::Io`],
/// [`Error::LimitExceeded`] past the output limit or WAV's 4 GB.
pub fn encode_wav(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, depth_spec: &OptionSpec) -> Result<()> {
    let audio = value.into_audio()?;
    super::cover_left_out(&audio.tags, "wav", ctx);
    fileconv_core::chapters_left_out(audio.tags.chapters.len(), "wav", ctx);
    let depth = bit_depth(depth_spec, ctx.options, &audio, &[16, 24, 32])?;
    let spec = hound::WavSpec {
        channels: audio.spec.channels,
        sample_rate: audio.spec.sample_rate,
        bits_per_sample: depth,
        sample_format: if depth == 32 { hound::SampleFormat::Float } else { hound::SampleFormat::Int },
    };
    let mut out = BufWriter::with_capacity(256 << 10, ctx.output_spool());
    let written = write_wav(read_ahead(audio.source, READ_AHEAD), audio.total_frames, &mut out, spec, riff_info_chunk(&audio.tags), ctx);
    if out.get_ref().exceeded() {
        let limit = ctx.limits.max_output_bytes;
        return Err(Error::LimitExceeded { what: "output size (bytes)", limit, actual: None });
    }
    written?;
    let spool = out.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    spool.copy_to(sink)?;
    Ok(())
}

/// The RIFF header and `fmt ` chunk hound writes for `spec` (PCMWAVEFORMAT,
/// or WAVEFORMATEXTENSIBLE past two channels or 16 bits), up to the `data` chunk.
fn riff_and_format(spec: hound::WavSpec) -> Result<Vec<u8>> {
    let mut empty = std::io::Cursor::new(Vec::new());
    hound::WavWriter::new(&mut empty, spec).and_then(hound::WavWriter::finalize).map_err(|e| Error::backend("wav", e))?;
    let mut header = empty.into_inner();
    // An empty file ends with the `data` chunk's id and length.
    header.truncate(header.len().saturating_sub(8));
    Ok(header)
}

/// RIFF header, `fmt `, the tags' `LIST/INFO` (before the samples, where
/// every reader looks), `data`; then the two sizes patched.
fn write_wav(
    mut source: Box<dyn AudioSource>,
    total: Option<u64>,
    out: &mut BufWriter<Spool>,
    spec: hound::WavSpec,
    info: Option<Vec<u8>>,
    ctx: &Context<'_>,
) -> Result<()> {
    let header = riff_and_format(spec)?;
    out.write_all(&header)?;
    let info = info.unwrap_or_default();
    out.write_all(&info)?;
    out.write_all(b"data\0\0\0\0")?;
    let data_length_at = (header.len() + info.len() + 4) as u64;
    let mut data = 0u64;
    let mut done = 0u64;
    let channels = u64::from(spec.channels.max(1));
    let mut bytes: Vec<u8> = Vec::new();
    while let Some(chunk) = source.next_chunk()? {
        ctx.checkpoint()?;
        bytes.clear();
        bytes.resize(chunk.len() * usize::from(spec.bits_per_sample / 8), 0);
        match spec.bits_per_sample {
            16 => fill(bytes.as_chunks_mut().0, &chunk, |s| (to_int(s, 32_767.0) as i16).to_le_bytes()),
            24 => fill(bytes.as_chunks_mut().0, &chunk, |s| {
                let [a, b, c, _] = to_int(s, 8_388_607.0).to_le_bytes();
                [a, b, c]
            }),
            _ => fill(bytes.as_chunks_mut().0, &chunk, f32::to_le_bytes),
        }
        out.write_all(&bytes)?;
        data += bytes.len() as u64;
        done += chunk.len() as u64 / channels;
        progress(ctx, done, total);
    }
    let riff = data + data_length_at + 4 - 8;
    let (Ok(data), Ok(riff)) = (u32::try_from(data), u32::try_from(riff)) else {
        return Err(Error::LimitExceeded { what: "WAV data (bytes)", limit: u64::from(u32::MAX), actual: Some(riff) });
    };
    out.seek(SeekFrom::Start(4))?;
    out.write_all(&riff.to_le_bytes())?;
    out.seek(SeekFrom::Start(data_length_at))?;
    out.write_all(&data.to_le_bytes())?;
    out.seek(SeekFrom::End(0))?;
    Ok(())
}

/// Writes each sample's bytes into its slot (a loop the compiler vectorises).
#[inline]
fn fill<const N: usize>(slots: &mut [[u8; N]], samples: &[f32], encode: impl Fn(f32) -> [u8; N]) {
    for (slot, &sample) in slots.iter_mut().zip(samples) {
        *slot = encode(sample);
    }
}

/// A sample scaled to `full_scale` and rounded half away from zero, clipped
/// at full scale; NaN is silence (`round()` is a libm call without SSE4.1;
/// this is not).
#[inline]
fn to_int(sample: f32, full_scale: f32) -> i32 {
    let finite = if sample.is_nan() { 0.0 } else { sample };
    let v = finite.clamp(-1.0, 1.0) * full_scale;
    // SAFETY: `v` is finite and within +-`full_scale` (at most 2^23), which
    // an i32 holds: no saturating conversion needed, so the loop vectorises.
    unsafe { (v + 0.5f32.copysign(v)).to_int_unchecked() }
}

#[cfg(test)]
mod tests {
    use super::to_int;

    #[test]
    fn samples_round_half_away_from_zero_and_clip() {
        assert_eq!(to_int(0.0, 32_767.0), 0);
        assert_eq!(to_int(-0.0, 32_767.0), 0);
        assert_eq!(to_int(1.0, 32_767.0), 32_767);
        assert_eq!(to_int(-1.0, 32_767.0), -32_767);
        assert_eq!(to_int(2.5, 32_767.0), 32_767);
        assert_eq!(to_int(f32::NEG_INFINITY, 32_767.0), -32_767);
        assert_eq!(to_int(f32::NAN, 32_767.0), 0);
        assert_eq!(to_int(0.5 / 32_767.0, 32_767.0), 1);
        assert_eq!(to_int(-0.5 / 32_767.0, 32_767.0), -1);
        assert_eq!(to_int(0.49 / 32_767.0, 32_767.0), 0);
        assert_eq!(to_int(1.0, 8_388_607.0), 8_388_607);
    }
}
