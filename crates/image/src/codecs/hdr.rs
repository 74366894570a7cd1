//! Radiance RGBE (.hdr): 32-bit float RGB.

use std::io::Write;

use fileconv_core::image::codecs::hdr::HdrEncoder;
use fileconv_core::image::ImageFormat;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{fit_pixels, write_with, Accepts};

const ID: &str = "hdr";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["rgbe", "pic"],
        name: "Radiance HDR",
        mime: "image/vnd.radiance",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::starts_with(b, b"#?RADIANCE") || sniff::starts_with(b, b"#?RGBE")),
    }
}
inventory::submit! { Decoder { format: ID, name: "hdr", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "hdr", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Hdr, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let image = fit_pixels(value.into_raster()?.into_still("Radiance HDR", ctx), Accepts::FLOAT.without_alpha(), ctx)?;
    write_with(HdrEncoder::new(sink), &image, ID)
}
