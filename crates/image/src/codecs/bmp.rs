//! Windows bitmap.

use std::io::Write;

use fileconv_core::image::codecs::bmp::BmpEncoder;
use fileconv_core::image::ImageFormat;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{Accepts, bare_still, fit_pixels, write_with};

const ID: &str = "bmp";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["dib"],
        name: "Windows Bitmap",
        mime: "image/bmp",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::starts_with(b, b"BM") && b.len() >= 26),
    }
}
inventory::submit! { Decoder { format: ID, name: "bmp", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "bmp", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Bmp, ID)
}

fn encode(value: Value, mut sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(bare_still(value, "BMP", ctx)?, Accepts::RGB8, ctx)?;
    write_with(BmpEncoder::new(&mut sink), &image, ID)
}
