//! DirectDraw Surface textures (DXT1/3/5), read only.

use fileconv_core::image::ImageFormat;
use fileconv_core::{sniff, Category, Context, Decoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;

const ID: &str = "dds";

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "DirectDraw Surface", mime: "image/vnd-ms.dds", category: Category::Image, container: None, sniff: Some(|b| sniff::starts_with(b, b"DDS ")) }
}
inventory::submit! { Decoder { format: ID, name: "dds", output: ValueKind::Raster, cost: 10, options: &[], decode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Dds, ID)
}
