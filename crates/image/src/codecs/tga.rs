//! Truevision TGA. It has no signature, so it is never detected, only trusted when claimed.

use std::io::Write;

use fileconv_core::image::codecs::tga::TgaEncoder;
use fileconv_core::image::ImageFormat;
use fileconv_core::{Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{fit_pixels, write_with, Accepts};

const ID: &str = "tga";

inventory::submit! {
    FormatInfo { id: ID, aliases: &["icb", "vda", "vst"], name: "Truevision TGA", mime: "image/x-tga", category: Category::Image, sniff: None }
}
inventory::submit! { Decoder { format: ID, name: "tga", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "tga", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Tga, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(value.into_raster()?.into_first(), Accepts::EIGHT_BIT, ctx)?;
    write_with(TgaEncoder::new(sink), &image, ID)
}
