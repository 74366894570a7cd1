//! PNG (and APNG, read as an animation) through the `image` crate's png codec.

use std::io::Write;

use fileconv_core::image::codecs::png::PngDecoder;
use fileconv_core::image::{ColorType, ImageDecoder};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::{decode_error, decode_frames, finish_still, image_limits, InputReader};
use crate::encode::{fit_pixels, Accepts};
use crate::options::COMPRESSION;

const ID: &str = "png";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["apng"],
        name: "Portable Network Graphics",
        mime: "image/png",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::starts_with(b, b"\x89PNG\r\n\x1a\n")),
    }
}
inventory::submit! { Decoder { format: ID, name: "png", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! {
    Encoder { format: ID, name: "png", input: ValueKind::Raster, cost: 10, lossy: false, options: &[COMPRESSION], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    if let Some(value) = crate::png_rows::decode(input, ctx)? {
        return Ok(value);
    }
    let reader = InputReader::open(input)?;
    let decoder = PngDecoder::with_limits(reader, image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
    if decoder.is_apng().map_err(|e| decode_error(ID, ctx, e))? {
        let size = decoder.dimensions();
        let frames = decoder.apng().map_err(|e| decode_error(ID, ctx, e))?;
        return decode_frames(frames, size, ID, ctx);
    }
    finish_still(decoder, ID, ctx)
}

/// The png crate writes the header, the ICC profile and the end; the image
/// data is filtered and deflated on every core by [`crate::idat`]. 16-bit
/// samples are written big-endian, as PNG requires.
fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let level = COMPRESSION.integer(ctx.options)? as u8;
    let image = fit_pixels(raster.into_first(), Accepts::UP_TO_SIXTEEN, ctx)?;
    let (color, depth) = match image.color() {
        ColorType::L8 => (png::ColorType::Grayscale, png::BitDepth::Eight),
        ColorType::La8 => (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight),
        ColorType::Rgb8 => (png::ColorType::Rgb, png::BitDepth::Eight),
        ColorType::Rgba8 => (png::ColorType::Rgba, png::BitDepth::Eight),
        ColorType::L16 => (png::ColorType::Grayscale, png::BitDepth::Sixteen),
        ColorType::La16 => (png::ColorType::GrayscaleAlpha, png::BitDepth::Sixteen),
        ColorType::Rgb16 => (png::ColorType::Rgb, png::BitDepth::Sixteen),
        _ => (png::ColorType::Rgba, png::BitDepth::Sixteen),
    };
    let mut info = png::Info::with_size(image.width(), image.height());
    info.color_type = color;
    info.bit_depth = depth;
    info.icc_profile = icc.map(Into::into);
    let backend = |e: png::EncodingError| match e {
        png::EncodingError::IoError(e) => Error::Io(e),
        other => Error::backend(ID, other),
    };
    let mut writer = png::Encoder::with_info(sink, info).map_err(backend)?.write_header().map_err(backend)?;
    let pixel_bytes = usize::from(image.color().bytes_per_pixel());
    let rows = crate::idat::Rows {
        pixels: image.as_bytes(),
        row_bytes: image.width() as usize * pixel_bytes,
        pixel_bytes,
        sixteen: depth == png::BitDepth::Sixteen,
    };
    crate::idat::write(&rows, level, ctx, &mut |piece| writer.write_chunk(png::chunk::IDAT, piece).map_err(backend))?;
    writer.finish().map_err(backend)
}
