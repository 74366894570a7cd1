//! TIFF. Reads every page of the first page's size as frames (a scanned
//! document becomes PDF pages), with libtiff as the second reader; writes
//! one page, 8 or 16 bits.

use std::io::Write;
use std::time::Duration;

use fileconv_core::image::codecs::tiff::{TiffDecoder, TiffEncoder};
use fileconv_core::image::ImageEncoder;
use fileconv_core::image::DynamicImage;
use fileconv_core::{Category, Container, Context, Decoder, Encoder, Frame, FormatInfo, Input, Result, Value, ValueKind};

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
        container: Some(Container::Tiff), sniff: Some(|b| Container::Tiff.matches(b)),
    }
}
inventory::submit! { Decoder { format: ID, name: "tiff", output: ValueKind::Raster, cost: 10, options: &[], decode } }
// The variants the first reader refuses (JPEG and old-style JPEG
// compression, subsampled YCbCr, fax, palette and 1- to 4-bit samples, old
// LZW): libtiff, only tried after it.
inventory::submit! { Decoder { format: ID, name: "libtiff", output: ValueKind::Raster, cost: 500, options: &[], decode: fileconv_libtiff::decode } }
inventory::submit! { Encoder { format: ID, name: "tiff", input: ValueKind::Raster, cost: 10, lossy: false, options: &[], encode } }

/// Built directly rather than through `ImageReader`, which sets limits on the
/// decoder first; image 0.25's TIFF decoder reads no tags (ICC) after that.
/// Further pages come from the tiff crate itself (image reads only the first).
fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let bytes = input.bytes;
    let decoder = TiffDecoder::new(InputReader::open(input)?).map_err(|e| decode_error(ID, ctx, e))?;
    let Value::Raster(mut raster) = finish_still(decoder, ID, ctx)? else { unreachable!("a still is a raster") };
    let size = (raster.width(), raster.height());
    let mut pages = match tiff::decoder::Decoder::new(std::io::Cursor::new(bytes)) {
        Ok(pages) => pages,
        Err(_) => return Ok(Value::Raster(raster)),
    };
    let (mut page, mut other_size) = (1usize, 0usize);
    while pages.more_images() {
        ctx.checkpoint()?;
        ctx.limits.check_frames(raster.frames.len() as u64 + 1)?;
        page += 1;
        let unreadable = || ctx.note(format!("page {page} of the TIFF cannot be read; it and any pages after it are left out"));
        if pages.next_image().is_err() {
            unreadable();
            break;
        }
        // Frames share one size: pages of another size are left out.
        if pages.dimensions().ok() != Some(size) {
            other_size += 1;
            continue;
        }
        let Ok(color) = pages.colortype() else {
            unreadable();
            break;
        };
        ctx.charge_frame(size.0, size.1, 8)?;
        let Some(image) = pages.read_image().ok().and_then(|pixels| page_image(color, pixels, size)) else {
            unreadable();
            break;
        };
        raster.frames.push(Frame { image, delay: Duration::from_secs(1) });
    }
    if other_size > 0 {
        ctx.note(format!("{other_size} TIFF page(s) differ in size from the first and are left out"));
    }
    if raster.frames.len() > 1 {
        raster.frames[0].delay = Duration::from_secs(1);
    }
    Ok(Value::Raster(raster))
}

/// A page's pixels as an image, for the common sample layouts.
fn page_image(color: tiff::ColorType, pixels: tiff::decoder::DecodingResult, (w, h): (u32, u32)) -> Option<DynamicImage> {
    use fileconv_core::image::{ImageBuffer, Luma, LumaA, Rgb, Rgba};
    use tiff::decoder::DecodingResult::{U16, U8};
    use tiff::ColorType::{Gray, GrayA, RGB, RGBA};
    Some(match (color, pixels) {
        (Gray(8), U8(v)) => DynamicImage::ImageLuma8(ImageBuffer::<Luma<u8>, _>::from_raw(w, h, v)?),
        (Gray(16), U16(v)) => DynamicImage::ImageLuma16(ImageBuffer::<Luma<u16>, _>::from_raw(w, h, v)?),
        (GrayA(8), U8(v)) => DynamicImage::ImageLumaA8(ImageBuffer::<LumaA<u8>, _>::from_raw(w, h, v)?),
        (RGB(8), U8(v)) => DynamicImage::ImageRgb8(ImageBuffer::<Rgb<u8>, _>::from_raw(w, h, v)?),
        (RGB(16), U16(v)) => DynamicImage::ImageRgb16(ImageBuffer::<Rgb<u16>, _>::from_raw(w, h, v)?),
        (RGBA(8), U8(v)) => DynamicImage::ImageRgba8(ImageBuffer::<Rgba<u8>, _>::from_raw(w, h, v)?),
        (RGBA(16), U16(v)) => DynamicImage::ImageRgba16(ImageBuffer::<Rgba<u16>, _>::from_raw(w, h, v)?),
        _ => return None,
    })
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

