//! AVIF, written with rav1e (through `image`'s ravif), read through libheif
//! (AV1 by the system's dav1d; see [`super::heic`]): the Rust `dav1d`
//! bindings need libdav1d 1.3 and Debian 12 ships 1.0.

use std::io::Write;

use fileconv_core::image::codecs::avif::AvifEncoder;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, OptionKind, OptionSpec, Result, Value, ValueKind};

use crate::encode::{fit_pixels, write_with, Accepts};
use crate::options::AVIF_QUALITY;

const ID: &str = "avif";

const SPEED: OptionSpec = OptionSpec {
    name: "speed",
    kind: OptionKind::Integer { min: 1, max: 10 },
    default: "8",
    help: "AV1 encoder speed, 1 (smallest file, slowest) to 10 (fastest).",
};

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "AV1 Image File Format",
        mime: "image/avif",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::iso_brand(b, &[b"avif", b"avis"])),
    }
}
inventory::submit! { Decoder { format: ID, name: "libheif", output: ValueKind::Raster, cost: 20, options: &[], decode } }
inventory::submit! {
    Encoder { format: ID, name: "rav1e", input: ValueKind::Raster, cost: 50, lossy: true, options: &[AVIF_QUALITY, SPEED], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    super::heic::decode_heif(input, ctx, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let quality = AVIF_QUALITY.integer(ctx.options)? as u8;
    let speed = SPEED.integer(ctx.options)? as u8;
    let image = fit_pixels(value.into_raster()?.into_first(), Accepts::RGB8, ctx)?;
    write_with(AvifEncoder::new_with_speed_quality(sink, speed, quality), &image, ID)
}
