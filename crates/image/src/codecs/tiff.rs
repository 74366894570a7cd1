//! TIFF. Reads every page of the first page's size as frames (a scanned
//! document becomes PDF pages), with libtiff as the second reader; writes
//! every frame as a page, 8 or 16 bits.

use std::io::Write;
use std::time::Duration;

use fileconv_core::image::codecs::tiff::TiffDecoder;
use fileconv_core::image::GenericImageView;
use fileconv_core::image::DynamicImage;
use fileconv_core::{Category, Container, Context, Decoder, Encoder, Frame, FormatInfo, Input, Result, Value, ValueKind};

use crate::decode::{decode_error, finish_still, InputReader};
use tiff::encoder::colortype;

use crate::encode::{fit_pixels, via_memory, Accepts};

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

/// Every frame as a page (a scanned document's pages, an animation's
/// frames), the ICC profile on the first, through the tiff crate.
fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let pages = raster.frames.into_iter().map(|f| fit_pixels(f.image, Accepts::UP_TO_SIXTEEN, ctx)).collect::<Result<Vec<_>>>()?;
    via_memory(sink, |buffer| {
        let mut encoder = tiff::encoder::TiffEncoder::new(buffer).map_err(tiff_error)?;
        for (i, page) in pages.iter().enumerate() {
            ctx.checkpoint()?;
            let icc = if i == 0 { icc.as_deref() } else { None };
            match page {
                DynamicImage::ImageLuma8(p) => write_page::<colortype::Gray8>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageRgb8(p) => write_page::<colortype::RGB8>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageRgba8(p) => write_page::<colortype::RGBA8>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageLuma16(p) => write_page::<colortype::Gray16>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageRgb16(p) => write_page::<colortype::RGB16>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageRgba16(p) => write_page::<colortype::RGBA16>(&mut encoder, p.dimensions(), p.as_raw(), icc),
                DynamicImage::ImageLumaA8(p) => write_page::<colortype::RGBA8>(&mut encoder, p.dimensions(), DynamicImage::from(p.clone()).to_rgba8().as_raw(), icc),
                other => write_page::<colortype::RGBA16>(&mut encoder, other.dimensions(), other.to_rgba16().as_raw(), icc),
            }?;
        }
        Ok(())
    })
}

/// One page (image file directory) of `C` samples.
fn write_page<C: colortype::ColorType>(
    encoder: &mut tiff::encoder::TiffEncoder<&mut std::io::Cursor<Vec<u8>>>,
    (width, height): (u32, u32),
    samples: &[C::Inner],
    icc: Option<&[u8]>,
) -> Result<()>
where
    [C::Inner]: tiff::encoder::TiffValue,
{
    let mut page = encoder.new_image::<C>(width, height).map_err(tiff_error)?;
    // A fourth sample is unassociated alpha (readers warn when it is unnamed).
    if C::BITS_PER_SAMPLE.len() == 4 {
        page.encoder().write_tag(tiff::tags::Tag::ExtraSamples, 2u16).map_err(tiff_error)?;
    }
    if let Some(icc) = icc {
        page.encoder().write_tag(tiff::tags::Tag::IccProfile, icc).map_err(tiff_error)?;
    }
    page.write_data(samples).map_err(tiff_error)
}

fn tiff_error(e: tiff::TiffError) -> fileconv_core::Error {
    match e {
        tiff::TiffError::IoError(e) => fileconv_core::Error::Io(e),
        other => fileconv_core::Error::backend(ID, other),
    }
}

