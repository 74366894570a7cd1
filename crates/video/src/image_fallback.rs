//! FFmpeg's image decoders as second readers of image formats: when the
//! image plugin refuses a variant (TIFF with CCITT fax, 1-, 2- or 4-bit or
//! palette samples, subsampled YCbCr; GIF with a broken LZW stream; a JPEG
//! libjpeg-turbo and zune stop on), the engine passes the file to these,
//! which give its first picture. Only the TIFF variants FFmpeg was seen to
//! decode right on the real-world corpus are passed: it decodes JPEG in
//! TIFF with wrong colours, old-style JPEG as a blank page, and damaged LZW
//! as noise, all without an error, so those stay refused. (Its DDS decoder
//! swapped channels of DXGI RGBA textures: DDS is not passed either.)

use fileconv_core::{Context, Decoder, Error, Input, Result, Value, ValueKind};

/// Above every image decoder: only tried after the image plugin refused the file.
const COST: u32 = 1000;

inventory::submit! { Decoder { format: "tiff", name: "ffmpeg-tiff", output: ValueKind::Raster, cost: COST, options: &[], decode: decode_tiff } }
inventory::submit! { Decoder { format: "jpg", name: "ffmpeg-jpg", output: ValueKind::Raster, cost: COST, options: &[], decode: |i, c| decode(i, c, "jpg", "jpeg_pipe") } }
inventory::submit! { Decoder { format: "gif", name: "ffmpeg-gif", output: ValueKind::Raster, cost: COST, options: &[], decode: |i, c| decode(i, c, "gif", "gif_pipe") } }

/// The TIFF variants FFmpeg reads right and the image plugin does not.
fn decode_tiff(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let tag = |id| tiff_tag(input.bytes, id);
    let (compression, photometric, bits) = (tag(259).unwrap_or(1), tag(262), tag(258).unwrap_or(1));
    let fax = matches!(compression, 2..=4);
    let plain = matches!(compression, 1 | 5 | 8 | 32773 | 32946);
    let passed = fax
        || (plain && photometric == Some(3))
        || (plain && matches!(photometric, Some(0 | 1)) && bits < 8)
        || (plain && photometric == Some(6) && tag(530).is_some());
    if !passed {
        let what = match compression {
            6 => "old-style JPEG compression (6)".to_string(),
            7 => "JPEG compression in TIFF (7)".to_string(),
            other => format!("this variant (compression {other}, photometric {})", photometric.map_or("none".to_string(), |p| p.to_string())),
        };
        return Err(Error::invalid_input("tiff", format!("{what} is not read by the second TIFF reader")));
    }
    decode(input, ctx, "tiff", "tiff_pipe")
}

/// The first value of tag `id` in a TIFF's first directory (SHORT or LONG).
fn tiff_tag(bytes: &[u8], id: u16) -> Option<u32> {
    let little = match bytes.get(..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| if little { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) });
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| if little { u32::from_le_bytes([b[0], b[1], b[2], b[3]]) } else { u32::from_be_bytes([b[0], b[1], b[2], b[3]]) });
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    let entry = (0..count.min(4096)).map(|i| ifd + 2 + i * 12).find(|at| u16_at(*at) == Some(id))?;
    match u16_at(entry + 2)? {
        3 => u16_at(entry + 8).map(u32::from),
        4 => u32_at(entry + 8),
        _ => None,
    }
}

/// The first picture FFmpeg's `demuxer` reads from the file.
///
/// # Errors
/// [`Error::InvalidInput`] when FFmpeg cannot read a picture from it either.
fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str, demuxer: &str) -> Result<Value> {
    crate::still::adapt(Value::Media(crate::container::open_with(input, ctx, format, demuxer)?), ctx)
}
