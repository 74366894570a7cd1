//! The Netpbm family: ppm (colour), pgm (gray), pbm (1-bit), pam (any).

use std::io::Write;

use fileconv_core::image::codecs::pnm::{PnmEncoder, PnmSubtype, SampleEncoding};
use fileconv_core::image::{DynamicImage, ImageFormat};
use fileconv_core::{Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{Accepts, bare_still, bitmap_samples, fit_pixels, write_with};

/// Netpbm magic: `P` and the variant digits, then whitespace.
fn netpbm(bytes: &[u8], digits: &[u8]) -> bool {
    bytes.len() >= 3 && bytes[0] == b'P' && digits.contains(&bytes[1]) && bytes[2].is_ascii_whitespace()
}

inventory::submit! {
    FormatInfo { id: "ppm", aliases: &["pnm"], name: "Portable Pixmap", mime: "image/x-portable-pixmap", category: Category::Image, container: None, sniff: Some(|b| netpbm(b, b"36")) }
}
inventory::submit! {
    FormatInfo { id: "pgm", aliases: &[], name: "Portable Graymap", mime: "image/x-portable-graymap", category: Category::Image, container: None, sniff: Some(|b| netpbm(b, b"25")) }
}
inventory::submit! {
    FormatInfo { id: "pbm", aliases: &[], name: "Portable Bitmap", mime: "image/x-portable-bitmap", category: Category::Image, container: None, sniff: Some(|b| netpbm(b, b"14")) }
}
inventory::submit! {
    FormatInfo { id: "pam", aliases: &[], name: "Portable Arbitrary Map", mime: "image/x-portable-arbitrarymap", category: Category::Image, container: None, sniff: Some(|b| netpbm(b, b"7")) }
}
inventory::submit! { Decoder { format: "ppm", name: "pnm", output: ValueKind::Raster, cost: 10, options: &[], decode: decode_ppm } }
inventory::submit! { Decoder { format: "pgm", name: "pnm", output: ValueKind::Raster, cost: 10, options: &[], decode: decode_pgm } }
inventory::submit! { Decoder { format: "pbm", name: "pnm", output: ValueKind::Raster, cost: 10, options: &[], decode: decode_pbm } }
inventory::submit! { Decoder { format: "pam", name: "pnm", output: ValueKind::Raster, cost: 10, options: &[], decode: decode_pam } }
inventory::submit! { Encoder { format: "ppm", name: "pnm", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode: encode_ppm } }
inventory::submit! { Encoder { format: "pgm", name: "pnm", input: ValueKind::Raster, cost: 10, lossy: true, options: &[], encode: encode_pgm } }
inventory::submit! { Encoder { format: "pbm", name: "pnm", input: ValueKind::Raster, cost: 10, lossy: true, options: &[], encode: encode_pbm } }
inventory::submit! { Encoder { format: "pam", name: "pnm", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode: encode_pam } }

fn decode_ppm(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Pnm, "ppm")
}
fn decode_pgm(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Pnm, "pgm")
}
fn decode_pbm(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Pnm, "pbm")
}
fn decode_pam(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Pnm, "pam")
}

fn encode_ppm(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let accepts = Accepts { alpha: false, gray: false, ..Accepts::UP_TO_SIXTEEN };
    write_binary(sink, "P6", fit_pixels(bare_still(value, "PPM", ctx)?, accepts, ctx)?)
}

fn encode_pgm(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(bare_still(value, "PGM", ctx)?, Accepts::UP_TO_SIXTEEN.without_alpha(), ctx)?;
    let gray = match image {
        DynamicImage::ImageRgb16(_) | DynamicImage::ImageLuma16(_) => DynamicImage::ImageLuma16(image.into_luma16()),
        other => DynamicImage::ImageLuma8(other.into_luma8()),
    };
    write_binary(sink, "P5", gray)
}

/// Binary P5/P6 at 8 or 16 bits (the `image` encoder writes 8 only); 16-bit
/// samples are big-endian, as Netpbm specifies.
fn write_binary(sink: &mut dyn Write, magic: &str, image: DynamicImage) -> Result<()> {
    let sixteen = matches!(image, DynamicImage::ImageLuma16(_) | DynamicImage::ImageRgb16(_));
    let maxval = if sixteen { 65_535 } else { 255 };
    write!(sink, "{magic}\n{} {}\n{maxval}\n", image.width(), image.height())?;
    if sixteen {
        let samples: &[u16] = match &image {
            DynamicImage::ImageLuma16(i) => i.as_raw(),
            DynamicImage::ImageRgb16(i) => i.as_raw(),
            _ => unreachable!("checked above"),
        };
        let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_be_bytes()).collect();
        sink.write_all(&bytes)?;
    } else {
        sink.write_all(image.as_bytes())?;
    }
    Ok(())
}

fn encode_pbm(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(bare_still(value, "PBM", ctx)?, Accepts::EIGHT_BIT.without_alpha(), ctx)?;
    let bits = DynamicImage::ImageLuma8(bitmap_samples(&image));
    write_with(PnmEncoder::new(sink).with_subtype(PnmSubtype::Bitmap(SampleEncoding::Binary)), &bits, "pbm")
}

fn encode_pam(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(bare_still(value, "PAM", ctx)?, Accepts::UP_TO_SIXTEEN, ctx)?;
    write_with(PnmEncoder::new(sink).with_subtype(PnmSubtype::ArbitraryMap), &image, "pam")
}
