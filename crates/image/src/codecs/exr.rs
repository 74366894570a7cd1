//! OpenEXR: 32-bit float RGB(A).

use std::io::Write;

use fileconv_core::image::codecs::openexr::OpenExrEncoder;
use fileconv_core::image::ImageFormat;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{fit_pixels, via_memory, write_with, Accepts};

const ID: &str = "exr";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "OpenEXR",
        mime: "image/x-exr",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::starts_with(b, &[0x76, 0x2F, 0x31, 0x01])),
    }
}
inventory::submit! { Decoder { format: ID, name: "exr", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "exr", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::OpenExr, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(value.into_raster()?.into_still("OpenEXR", ctx), Accepts::FLOAT, ctx)?;
    via_memory(sink, |buffer| write_with(OpenExrEncoder::new(buffer), &image, ID))
}
