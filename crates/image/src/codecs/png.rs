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
    let reader = InputReader::open(input)?;
    let decoder = PngDecoder::with_limits(reader, image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
    if decoder.is_apng().map_err(|e| decode_error(ID, ctx, e))? {
        let size = decoder.dimensions();
        let frames = decoder.apng().map_err(|e| decode_error(ID, ctx, e))?;
        return decode_frames(frames, size, ID, ctx);
    }
    finish_still(decoder, ID, ctx)
}

/// Streams rows through the png crate, so the compressed file is never held
/// whole in memory. 16-bit samples are written big-endian, as PNG requires.
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
    let mut encoder = png::Encoder::with_info(sink, info).map_err(|e| Error::backend(ID, e))?;
    encoder.set_deflate_compression(match level {
        0 => png::DeflateCompression::NoCompression,
        1 => png::DeflateCompression::FdeflateUltraFast,
        n => png::DeflateCompression::Level(n),
    });
    encoder.set_filter(if level == 0 { png::Filter::NoFilter } else { png::Filter::Adaptive });
    let backend = |e: png::EncodingError| match e {
        png::EncodingError::IoError(e) => Error::Io(e),
        other => Error::backend(ID, other),
    };
    let mut writer = encoder.write_header().map_err(backend)?;
    let mut stream = writer.stream_writer().map_err(backend)?;
    let row_bytes = image.width() as usize * usize::from(image.color().bytes_per_pixel());
    let rows = image.as_bytes().chunks(row_bytes.max(1));
    let total = image.height().max(1) as f32;
    let mut swapped = Vec::new();
    for (i, row) in rows.enumerate() {
        if depth == png::BitDepth::Sixteen {
            swapped.clear();
            swapped.extend(row.chunks_exact(2).flat_map(|s| u16::from_ne_bytes([s[0], s[1]]).to_be_bytes()));
            stream.write_all(&swapped)?;
        } else {
            stream.write_all(row)?;
        }
        if i % 256 == 255 {
            ctx.checkpoint()?;
            ctx.progress(i as f32 / total);
        }
    }
    stream.finish().map_err(backend)?;
    writer.finish().map_err(backend)
}
