//! TIFF. Reads the first page; writes one page, 8 or 16 bits.

use std::io::Write;

use fileconv_core::image::codecs::tiff::{TiffDecoder, TiffEncoder};
use fileconv_core::image::ImageEncoder;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::{decode_error, finish_still, InputReader};
use crate::encode::{fit_pixels, via_memory, write_with, Accepts};

const ID: &str = "tiff";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["tif"],
        name: "Tagged Image File Format",
        mime: "image/tiff",
        category: Category::Image,
        sniff: Some(|b| sniff::starts_with(b, b"II*\0") || sniff::starts_with(b, b"MM\0*")),
    }
}
inventory::submit! { Decoder { format: ID, name: "tiff", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "tiff", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

/// Built directly rather than through `ImageReader`, which sets limits on the
/// decoder first; image 0.25's TIFF decoder reads no tags (ICC) after that.
fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let decoder = TiffDecoder::new(InputReader::open(input)?).map_err(|e| decode_error(ID, ctx, e))?;
    finish_still(decoder, ID, ctx)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let image = fit_pixels(raster.into_first(), Accepts::UP_TO_SIXTEEN, ctx)?;
    via_memory(sink, |buffer| {
        let mut encoder = TiffEncoder::new(buffer);
        if let Some(icc) = icc {
            let _ = encoder.set_icc_profile(icc);
        }
        write_with(encoder, &image, ID)
    })
}

