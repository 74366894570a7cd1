//! WAV: PCM 8/16/24/32-bit, float, mu-law, A-law, ADPCM in; 16/24-bit and float out.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

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
    crate::decode::decode(input, ctx, ID, "wav")
}

/// Refuses RIFF chunks (and `LIST` sub-chunks) before `data` that declare more
/// bytes than the file holds (symphonia 0.5.5 allocates an INFO chunk's
/// declared size, up to 4 GB, before reading it), and a `fmt ` chunk with no
/// channels, no sample rate or an impossible PCM depth (symphonia asserts).
///
/// # Errors
/// [`Error::InvalidInput`] naming the chunk.
fn check_chunk_sizes(bytes: &[u8]) -> Result<()> {
    fn walk(bytes: &[u8], mut pos: usize, end: usize) -> Result<()> {
        while pos + 8 <= end {
            let id = &bytes[pos..pos + 4];
            if id == b"data" {
                // May legitimately declare more than is there (streamed WAV).
                return Ok(());
            }
            let size = u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
            let body = pos + 8;
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
            pos = body + size + (size & 1);
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
