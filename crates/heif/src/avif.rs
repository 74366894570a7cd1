//! AVIF, read and written through libheif (AV1 decoded by the system's
//! dav1d, encoded by libaom 3.6; see [`super::heic`]). The Rust `dav1d`
//! bindings need libdav1d 1.3 and Debian 12 ships 1.0; libaom through
//! libheif replaced rav1e, whose assembly alone took 140 s of every cold build.

use std::io::Write;

use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};
use libheif_rs::{CompressionFormat, EncoderParameterValue};

use super::heic::{encode_heif, SPEED};
use fileconv_image::options::HEIF_QUALITY;

const ID: &str = "avif";

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
    Encoder { format: ID, name: "libaom", input: ValueKind::Raster, cost: 50, lossy: true, options: &[HEIF_QUALITY, SPEED], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    super::heic::decode_heif(input, ctx, ID)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    // libaom's speeds are 0 to 9.
    let speed = SPEED.integer(ctx.options)?.clamp(1, 10) as i32 - 1;
    encode_heif(value, sink, ctx, ID, CompressionFormat::Av1, ("speed", EncoderParameterValue::Int(speed)))
}
