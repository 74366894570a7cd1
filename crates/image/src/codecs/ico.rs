//! Windows icon. Written as one PNG-compressed entry fitted inside 256x256.

use std::io::Write;

use fileconv_core::image::codecs::ico::IcoEncoder;
use fileconv_core::image::imageops::FilterType;
use fileconv_core::image::{DynamicImage, ImageFormat};
use fileconv_core::{Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::decode_still;
use crate::encode::{Accepts, bare_still, fit_pixels, write_with};
use crate::transform::target_size;

const ID: &str = "ico";
/// The largest icon an ICO directory entry can describe.
const MAX_SIDE: u32 = 256;

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["cur"],
        name: "Windows Icon",
        mime: "image/x-icon",
        category: Category::Image,
        // Reserved 0, type 1 (icon) or 2 (cursor), at least one entry.
        container: None, sniff: Some(|b| b.len() >= 6 && b[..2] == [0, 0] && (b[2] == 1 || b[2] == 2) && b[3] == 0 && (b[4] | b[5]) != 0),
    }
}
inventory::submit! { Decoder { format: ID, name: "ico", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "ico", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_still(input, ctx, ImageFormat::Ico, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut image = bare_still(value, "ICO", ctx)?;
    if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        let (w, h, _, _) = target_size(image.width(), image.height(), Some(MAX_SIDE), Some(MAX_SIDE), "inside");
        image = image.resize_exact(w, h, FilterType::Lanczos3);
    }
    // Entries are PNG-compressed, and readers expect RGBA PNGs in them.
    let image = DynamicImage::ImageRgba8(fit_pixels(image, Accepts::RGB8, ctx)?.into_rgba8());
    write_with(IcoEncoder::new(sink), &image, ID)
}
