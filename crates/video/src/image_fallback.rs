//! FFmpeg's image decoders as second readers of image formats: when the
//! image plugin refuses a GIF with a broken LZW stream or a JPEG
//! libjpeg-turbo and zune stop on, the engine passes the file to these,
//! which give its first picture. TIFF is not passed (libtiff is its second
//! reader: FFmpeg decoded JPEG in TIFF with wrong colours and old-style
//! JPEG as a blank page, without an error), nor DDS (FFmpeg swapped the
//! channels of DXGI RGBA textures).

use fileconv_core::{Context, Decoder, Input, Result, Value, ValueKind};

/// Above every image decoder: only tried after the image plugin refused the file.
const COST: u32 = 1000;

inventory::submit! { Decoder { format: "jpg", name: "ffmpeg-jpg", output: ValueKind::Raster, cost: COST, options: &[], decode: |i, c| decode(i, c, "jpg", "jpeg_pipe") } }
inventory::submit! { Decoder { format: "gif", name: "ffmpeg-gif", output: ValueKind::Raster, cost: COST, options: &[], decode: |i, c| decode(i, c, "gif", "gif_pipe") } }

/// The first picture FFmpeg's `demuxer` reads from the file.
///
/// # Errors
/// [`fileconv_core::Error::InvalidInput`] when FFmpeg cannot read a picture from it either.
fn decode(input: Input<'_>, ctx: &Context<'_>, format: &'static str, demuxer: &str) -> Result<Value> {
    crate::still::adapt(Value::Media(crate::container::open_with(input, ctx, format, demuxer)?), ctx)
}
