//! The Quite OK Image format.

use std::io::Write;

use fileconv_core::image::codecs::qoi::QoiEncoder;
use fileconv_core::image::ImageFormat;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{Accepts, bare_still, fit_pixels, write_with};

const ID: &str = "qoi";

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "Quite OK Image", mime: "image/qoi", category: Category::Image, container: None, sniff: Some(|b| sniff::starts_with(b, b"qoif")) }
}
inventory::submit! { Decoder { format: ID, name: "qoi", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "qoi", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Qoi, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(bare_still(value, "QOI", ctx)?, Accepts::RGB8, ctx)?;
    write_with(QoiEncoder::new(sink), &image, ID)
}
