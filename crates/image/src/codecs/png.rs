//! PNG, and APNG for animations (read as frames, written from them), through
//! the png crate.

use std::io::Write;

use fileconv_core::image::codecs::png::PngDecoder;
use fileconv_core::image::{ColorType, DynamicImage, ImageDecoder};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Input, Raster, Result, Value, ValueKind};

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
/// samples are written big-endian, as PNG requires. An animation is written
/// as APNG ([`encode_animation`]).
fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let level = COMPRESSION.integer(ctx.options)? as u8;
    if raster.is_animated() {
        return encode_animation(raster, icc, level, sink, ctx);
    }
    let image = fit_pixels(raster.into_still("PNG", ctx), Accepts::UP_TO_SIXTEEN, ctx)?;
    let pixel_bytes = usize::from(image.color().bytes_per_pixel());
    let sixteen = pixel_bytes > usize::from(image.color().channel_count());
    let rows = crate::idat::Rows::whole(image.as_bytes(), image.width() as usize * pixel_bytes, pixel_bytes, sixteen);
    write_still(sink, image.width(), image.height(), image.color(), icc, &rows, level, ctx)
}

/// Writes a still PNG of `width` x `height` pixels laid out as `color`,
/// with `icc` as its colour profile and `rows` as its pixels, deflated at
/// `level` (0 stored, 1 the fast coder, 2-9 zlib's levels).
///
/// # Errors
/// [`Error::Io`] when `sink` fails; as [`crate::idat::write`].
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_still(
    sink: &mut dyn Write,
    width: u32,
    height: u32,
    color: ColorType,
    icc: Option<Vec<u8>>,
    rows: &crate::idat::Rows<'_>,
    level: u8,
    ctx: &Context<'_>,
) -> Result<()> {
    let (color, depth) = layout(color);
    let mut info = png::Info::with_size(width, height);
    info.color_type = color;
    info.bit_depth = depth;
    info.icc_profile = icc.map(Into::into);
    let mut writer = png::Encoder::with_info(sink, info).map_err(backend)?.write_header().map_err(backend)?;
    crate::idat::write(rows, level, ctx, &mut |piece| writer.write_chunk(png::chunk::IDAT, piece).map_err(backend))?;
    writer.finish().map_err(backend)
}

/// Every frame of an animation as an APNG frame, whole (frames are
/// composited when read), with its delay, looping forever; viewers without
/// APNG show the first. The frames share one sample layout: alpha and 16
/// bits if any frame has them, grey only if all are grey.
fn encode_animation(raster: Raster, icc: Option<Vec<u8>>, level: u8, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let frames = raster.frames.into_iter().map(|f| Ok((fit_pixels(f.image, Accepts::UP_TO_SIXTEEN, ctx)?, f.delay))).collect::<Result<Vec<_>>>()?;
    let (alpha, sixteen) = (frames.iter().any(|(i, _)| i.color().has_alpha()), frames.iter().any(|(i, _)| i.color().bytes_per_pixel() > i.color().channel_count()));
    let grey = frames.iter().all(|(i, _)| !i.color().has_color());
    let color = match (grey, alpha, sixteen) {
        (true, false, false) => ColorType::L8,
        (true, true, false) => ColorType::La8,
        (false, false, false) => ColorType::Rgb8,
        (false, true, false) => ColorType::Rgba8,
        (true, false, true) => ColorType::L16,
        (true, true, true) => ColorType::La16,
        (false, false, true) => ColorType::Rgb16,
        (false, true, true) => ColorType::Rgba16,
    };
    let (png_color, depth) = layout(color);
    let (width, height) = (frames[0].0.width(), frames[0].0.height());
    let mut info = png::Info::with_size(width, height);
    info.color_type = png_color;
    info.bit_depth = depth;
    info.icc_profile = icc.map(Into::into);
    let mut encoder = png::Encoder::with_info(sink, info).map_err(backend)?;
    encoder.set_animated(frames.len() as u32, 0).map_err(backend)?;
    // The same meaning as for a still: 0 stored, 1 fdeflate, 2-9 zlib's levels.
    encoder.set_deflate_compression(match level {
        0 => png::DeflateCompression::NoCompression,
        1 => png::DeflateCompression::FdeflateUltraFast,
        n => png::DeflateCompression::Level(n),
    });
    let mut writer = encoder.write_header().map_err(backend)?;
    for (image, delay) in frames {
        ctx.checkpoint()?;
        writer.set_frame_delay(delay.as_millis().min(u128::from(u16::MAX)) as u16, 1000).map_err(backend)?;
        let image = match color {
            ColorType::L8 => DynamicImage::ImageLuma8(image.into_luma8()),
            ColorType::La8 => DynamicImage::ImageLumaA8(image.into_luma_alpha8()),
            ColorType::Rgb8 => DynamicImage::ImageRgb8(image.into_rgb8()),
            ColorType::Rgba8 => DynamicImage::ImageRgba8(image.into_rgba8()),
            ColorType::L16 => DynamicImage::ImageLuma16(image.into_luma16()),
            ColorType::La16 => DynamicImage::ImageLumaA16(image.into_luma_alpha16()),
            ColorType::Rgb16 => DynamicImage::ImageRgb16(image.into_rgb16()),
            _ => DynamicImage::ImageRgba16(image.into_rgba16()),
        };
        if depth == png::BitDepth::Sixteen {
            let big_endian: Vec<u8> = image.as_bytes().chunks_exact(2).flat_map(|s| [s[1], s[0]]).collect();
            writer.write_image_data(&big_endian).map_err(backend)?;
        } else {
            writer.write_image_data(image.as_bytes()).map_err(backend)?;
        }
    }
    writer.finish().map_err(backend)
}

/// PNG's colour type and bit depth for a sample layout.
fn layout(color: ColorType) -> (png::ColorType, png::BitDepth) {
    match color {
        ColorType::L8 => (png::ColorType::Grayscale, png::BitDepth::Eight),
        ColorType::La8 => (png::ColorType::GrayscaleAlpha, png::BitDepth::Eight),
        ColorType::Rgb8 => (png::ColorType::Rgb, png::BitDepth::Eight),
        ColorType::Rgba8 => (png::ColorType::Rgba, png::BitDepth::Eight),
        ColorType::L16 => (png::ColorType::Grayscale, png::BitDepth::Sixteen),
        ColorType::La16 => (png::ColorType::GrayscaleAlpha, png::BitDepth::Sixteen),
        ColorType::Rgb16 => (png::ColorType::Rgb, png::BitDepth::Sixteen),
        _ => (png::ColorType::Rgba, png::BitDepth::Sixteen),
    }
}

fn backend(e: png::EncodingError) -> Error {
    match e {
        png::EncodingError::IoError(e) => Error::Io(e),
        other => Error::backend(ID, other),
    }
}
