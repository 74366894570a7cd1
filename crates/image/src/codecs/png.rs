//! PNG (and APNG, read as an animation) through the `image` crate's png codec.

use std::io::{Cursor, Write};

use fileconv_core::image::codecs::png::{CompressionType, FilterType, PngDecoder, PngEncoder};
use fileconv_core::image::{ImageDecoder, ImageEncoder};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::{decode_error, decode_frames, finish_still, image_limits};
use crate::encode::{fit_pixels, write_with, Accepts};
use crate::options::COMPRESSION;

const ID: &str = "png";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["apng"],
        name: "Portable Network Graphics",
        mime: "image/png",
        category: Category::Image,
        sniff: Some(|b| sniff::starts_with(b, b"\x89PNG\r\n\x1a\n")),
    }
}
inventory::submit! { Decoder { format: ID, name: "png", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! {
    Encoder { format: ID, name: "png", input: ValueKind::Raster, cost: 10, lossy: false, options: &[COMPRESSION], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let decoder = PngDecoder::with_limits(Cursor::new(input.bytes), image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
    if decoder.is_apng().map_err(|e| decode_error(ID, ctx, e))? {
        let size = decoder.dimensions();
        let frames = decoder.apng().map_err(|e| decode_error(ID, ctx, e))?;
        return decode_frames(frames, size, ID, ctx);
    }
    finish_still(decoder, ID, ctx)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let level = COMPRESSION.integer(ctx.options)? as u8;
    let image = fit_pixels(raster.into_first(), Accepts::UP_TO_SIXTEEN, ctx)?;
    let (compression, filter) = match level {
        0 => (CompressionType::Uncompressed, FilterType::NoFilter),
        1 => (CompressionType::Fast, FilterType::Adaptive),
        level => (CompressionType::Level(level), FilterType::Adaptive),
    };
    let mut encoder = PngEncoder::new_with_quality(sink, compression, filter);
    if let Some(icc) = icc {
        let _ = encoder.set_icc_profile(icc);
    }
    write_with(encoder, &image, ID)
}
