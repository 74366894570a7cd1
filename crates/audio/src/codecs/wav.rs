//! WAV: PCM 8/16/24/32-bit, float, mu-law, A-law, ADPCM in; 16/24-bit and float out.

use std::collections::HashMap;
use std::io::Write;

use fileconv_core::{sniff, Category, Chapter, Context, Decoder, Encoder, Error, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::options::bit_depth;

const ID: &str = "wav";
const BIT_DEPTH: OptionSpec = bit_depth(&["16", "24", "32"]);

inventory::submit! {
    FormatInfo { id: ID, aliases: &["wave"], name: "WAV audio", mime: "audio/wav", category: Category::Audio,
        container: None, sniff: Some(|b| (sniff::starts_with(b, b"RIFF") || sniff::starts_with(b, b"RF64")) && b.get(8..12) == Some(b"WAVE")) }
}
inventory::submit! { Decoder { format: ID, name: "symphonia", output: ValueKind::Audio, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "hound", input: ValueKind::Audio, cost: 10, lossy: false, options: &[BIT_DEPTH], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    check_chunk_sizes(input.bytes)?;
    let mut value = match repair_sizes(input.bytes) {
        Some((repaired, what)) => {
            ctx.note(format!("the WAV header's sizes are wrong ({what}); the audio is read to the end of the file"));
            crate::decode::decode(Input::from_bytes(&repaired), ctx, ID, "wav")?
        }
        None => crate::decode::decode(input, ctx, ID, "wav")?,
    };
    if let Value::Audio(audio) = &mut value {
        if audio.tags.chapters.is_empty() {
            audio.tags.chapters = cue_chapters(input.bytes, audio.spec.sample_rate, audio.total_frames);
        }
    }
    Ok(value)
}

/// A RIFF chunk: its id, where its body starts, and the size it declares.
struct Chunk<'a> {
    id: &'a [u8],
    body: usize,
    size: usize,
}

/// The chunks of `bytes[from..end]` in order, each as it declares itself
/// (its size may run past `end`: each caller decides what that means),
/// up to the first header that does not fit.
fn chunks(bytes: &[u8], from: usize, end: usize) -> impl Iterator<Item = Chunk<'_>> {
    let end = end.min(bytes.len());
    let mut pos = from;
    std::iter::from_fn(move || {
        if pos.checked_add(8)? > end {
            return None;
        }
        let size = u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        let chunk = Chunk { id: &bytes[pos..pos + 4], body: pos + 8, size };
        pos = chunk.body.checked_add(size)?.checked_add(size & 1)?;
        Some(chunk)
    })
}

/// The cue points of the `cue ` chunk as chapters, titled by their `labl`
/// in a `LIST/adtl` chunk, each ending where the next starts and the last
/// at the end of the audio, as FFmpeg reads them (symphonia reads none).
fn cue_chapters(bytes: &[u8], rate: u32, frames: Option<u64>) -> Vec<Chapter> {
    let u32_at = |at: usize| bytes.get(at..at.checked_add(4)?).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    // (cue id, sample offset), and the labels by cue id.
    let (mut points, mut labels): (Vec<(u32, u32)>, HashMap<u32, String>) = (Vec::new(), HashMap::new());
    for chunk in chunks(bytes, 12, bytes.len()) {
        let end = chunk.body.saturating_add(chunk.size).min(bytes.len());
        if chunk.id == b"cue " {
            let count = u32_at(chunk.body).unwrap_or(0) as usize;
            for at in (chunk.body + 4..end).step_by(24).take(count) {
                if let (Some(cue), Some(offset)) = (u32_at(at).filter(|_| at + 24 <= end), u32_at(at + 20)) {
                    points.push((cue, offset));
                }
            }
        } else if chunk.id == b"LIST" && bytes.get(chunk.body..chunk.body + 4) == Some(b"adtl") {
            for label in chunks(bytes, chunk.body + 4, end).filter(|c| c.id == b"labl" && c.size >= 4) {
                let text = bytes.get(label.body + 4..label.body.saturating_add(label.size).min(end)).unwrap_or_default();
                let text = &text[..text.iter().position(|&b| b == 0).unwrap_or(text.len())];
                labels.insert(u32_at(label.body).unwrap_or(0), String::from_utf8_lossy(text).into_owned());
            }
        }
    }
    points.sort_by_key(|&(_, offset)| offset);
    let seconds = |frame: u64| frame as f64 / f64::from(rate.max(1));
    let last = frames.map_or(f64::INFINITY, seconds);
    let starts: Vec<f64> = points.iter().map(|&(_, offset)| seconds(u64::from(offset))).collect();
    let chapters: Vec<Chapter> = points
        .iter()
        .enumerate()
        .map(|(i, (cue, _))| Chapter { start: starts[i], end: starts.get(i + 1).copied().unwrap_or(last), title: labels.remove(cue).unwrap_or_default() })
        .collect();
    fileconv_core::cut_chapters(&chapters, 0.0, last)
}

/// A copy with the RIFF and `data` sizes a streaming writer left unset:
/// a RIFF size that ends before the `data` chunk starts, or a `data` size
/// of 0 with samples after it (FFmpeg reads both to the end of the file). `None` when the
/// sizes are usable as they are.
fn repair_sizes(bytes: &[u8]) -> Option<(Vec<u8>, String)> {
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if !bytes.starts_with(b"RIFF") {
        return None;
    }
    let riff_size = u32_at(4)? as usize;
    let data = chunks(bytes, 12, bytes.len()).find(|c| c.id == b"data")?;
    let (data_size, data_body, pos) = (data.size, data.body, data.body - 8);
    let short_riff = riff_size.saturating_add(8) < data_body;
    // An empty `data` chunk followed by another chunk is just empty.
    let chunk_follows = bytes.get(data_body..data_body + 4).is_some_and(|id| id.iter().all(|b| b.is_ascii_alphanumeric() || *b == b' '));
    let empty_data = data_size == 0 && bytes.len() > data_body && !chunk_follows;
    if !short_riff && !empty_data {
        return None;
    }
    let mut repaired = bytes.to_vec();
    let to_end = |from: usize| u32::try_from(bytes.len() - from).unwrap_or(u32::MAX).to_le_bytes();
    repaired[4..8].copy_from_slice(&to_end(8));
    if empty_data {
        repaired[pos + 4..pos + 8].copy_from_slice(&to_end(data_body));
    }
    Some((repaired, format!("RIFF {riff_size} bytes, data {data_size} bytes, in a file of {}", bytes.len())))
}

/// Refuses RIFF chunks (and `LIST` sub-chunks) before `data` that declare more
/// bytes than the file holds (symphonia 0.5.5 allocates an INFO chunk's
/// declared size, up to 4 GB, before reading it), and a `fmt ` chunk with no
/// channels, no sample rate or an impossible PCM depth (symphonia asserts).
///
/// # Errors
/// [`Error::InvalidInput`] naming the chunk.
fn check_chunk_sizes(bytes: &[u8]) -> Result<()> {
    fn walk(bytes: &[u8], from: usize, end: usize) -> Result<()> {
        for Chunk { id, body, size } in chunks(bytes, from, end) {
            if id == b"data" {
                // May legitimately declare more than is there (streamed WAV).
                return Ok(());
            }
            if size > end - body {
                let name = String::from_utf8_lossy(id);
                return Err(Error::invalid_input(ID, format!("chunk '{name}' declares {size} bytes, {} remain", end - body)));
            }
            if id == b"LIST" && size >= 4 {
                walk(bytes, body + 4, body + size)?;
            }
            if id == b"fmt " && size >= 16 {
                check_format(&bytes[body..body + size])?;
            }
        }
        Ok(())
    }
    if bytes.len() < 12 {
        return Ok(());
    }
    walk(bytes, 12, bytes.len())
}

fn check_format(fmt: &[u8]) -> Result<()> {
    let tag = u16::from_le_bytes([fmt[0], fmt[1]]);
    let channels = u16::from_le_bytes([fmt[2], fmt[3]]);
    let rate = u32::from_le_bytes([fmt[4], fmt[5], fmt[6], fmt[7]]);
    let block_align = u16::from_le_bytes([fmt[12], fmt[13]]);
    let bits = u16::from_le_bytes([fmt[14], fmt[15]]);
    let depth_ok = match tag {
        1 => matches!(bits, 8 | 16 | 24 | 32),
        3 => matches!(bits, 32 | 64),
        _ => true,
    };
    if channels == 0 || rate == 0 || block_align == 0 || !depth_ok {
        return Err(Error::invalid_input(
            ID,
            format!("format chunk: {channels} channels, {rate} Hz, {bits} bits, block {block_align} bytes"),
        ));
    }
    // WAVE_FORMAT_EXTENSIBLE: a speaker mask with fewer positions than
    // channels is widened by symphonia with shifts that overflow when the
    // mask's top bit is set or 32 or more positions are missing.
    if tag == 0xFFFE && fmt.len() >= 24 {
        let mask = u32::from_le_bytes([fmt[20], fmt[21], fmt[22], fmt[23]]);
        let missing = i64::from(channels) - i64::from(mask.count_ones());
        if missing > 0 && (missing >= 32 || mask.leading_zeros() == 0) {
            return Err(Error::invalid_input(ID, format!("speaker mask {mask:#010x} does not fit {channels} channels")));
        }
    }
    Ok(())
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    crate::encode::encode_wav(value, sink, ctx, &BIT_DEPTH)
}
