//! HEIC/HEIF, read and written through the system libheif (Debian 12's
//! libheif1 1.15: HEVC decoded by libde265, encoded by x265), which also
//! reads and writes AVIF (AV1 decoded by dav1d, encoded by libaom) for
//! [`super::avif`]. Bound with libheif-rs 0.20 over libheif-sys pinned to
//! 1.14.4, the newest binding that builds against libheif 1.15.
//!
//! What a phone writes is read as it shows it: grid (tiled) images
//! assembled, rotation and mirroring (`irot`, `imir`) and cropping applied,
//! the alpha plane kept, 10- and 12-bit images as 16-bit pixels, the ICC
//! profile and EXIF kept (its orientation reset, as the pixels are turned
//! already). Depth maps and thumbnails are ignored. Several top-level
//! images of the primary's size (a burst) become frames; others are left
//! out with a note. Sizes are checked against the conversion's limits from
//! the header, before anything is decoded.

use std::io::Write;
use std::time::Duration;

use fileconv_core::image::metadata::Orientation;
use fileconv_core::image::{DynamicImage, ImageBuffer};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Frame, Input, OptionKind, OptionSpec, Raster, Result, Value, ValueKind};
use libheif_rs::{
    Channel, ColorSpace, CompressionFormat, EncoderParameterValue, EncoderQuality, HeifContext, Image, ImageHandle, ItemId, LibHeif, RgbChroma,
};

use fileconv_image::shared::{fit_pixels, Accepts};
use fileconv_image::options::HEIF_QUALITY;

const ID: &str = "heic";
/// Top-level images read as frames, at most.
const MAX_FRAMES: usize = 256;

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["heif", "hif"],
        name: "High Efficiency Image File Format (HEVC)",
        mime: "image/heic",
        category: Category::Image,
        container: None,
        sniff: Some(|b| {
            !sniff::iso_brand(b, &[b"avif", b"avis"]) && sniff::iso_brand(b, &[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"])
        }),
    }
}
inventory::submit! { Decoder { format: ID, name: "libheif", output: ValueKind::Raster, cost: 20, options: &[], decode } }
inventory::submit! {
    Encoder { format: ID, name: "x265", input: ValueKind::Raster, cost: 50, lossy: true, options: &[HEIF_QUALITY, SPEED], encode }
}

/// Encoder speed, shared by HEIC (x265's presets) and AVIF (libaom's `speed`).
pub(crate) const SPEED: OptionSpec = OptionSpec {
    name: "speed",
    kind: OptionKind::Integer { min: 1, max: 10 },
    default: "8",
    help: "encoder speed, 1 (smallest file, slowest) to 10 (fastest).",
};

/// x265's presets, slowest first: `speed` 1 to 10.
const X265_PRESETS: [&str; 10] = ["placebo", "veryslow", "slower", "slow", "medium", "fast", "faster", "veryfast", "superfast", "ultrafast"];

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let speed = SPEED.integer(ctx.options)? as usize;
    let preset = EncoderParameterValue::String(X265_PRESETS[speed.clamp(1, 10) - 1].to_string());
    encode_heif(value, sink, ctx, ID, CompressionFormat::Hevc, ("preset", preset))
}

/// Writes the first frame of a raster as a HEIF-family file of format `id`
/// with libheif's encoder for `compression`, at the `quality` option and
/// the encoder parameter `tuning`; 8-bit RGB or RGBA, the ICC profile and
/// EXIF kept.
///
/// # Errors
/// [`Error::InvalidOption`] for a bad option, [`Error::Backend`] when
/// libheif or its encoder fails, [`Error::Io`] when writing fails.
pub(crate) fn encode_heif(value: Value, sink: &mut dyn Write, ctx: &Context<'_>, id: &str, compression: CompressionFormat, tuning: (&str, EncoderParameterValue)) -> Result<()> {
    let quality = HEIF_QUALITY.integer(ctx.options)? as u8;
    let mut raster = value.into_raster()?;
    let (icc, exif) = (raster.icc_profile.take(), raster.exif.take());
    let image = fit_pixels(raster.into_still(&id.to_uppercase(), ctx), Accepts::RGB8, ctx)?;
    let backend = |e: libheif_rs::HeifError| Error::backend(id, e);
    let (width, height) = (image.width(), image.height());
    let (chroma, channels) = if image.color().has_alpha() { (RgbChroma::Rgba, 4) } else { (RgbChroma::Rgb, 3) };
    let mut picture = Image::new(width, height, ColorSpace::Rgb(chroma)).map_err(backend)?;
    picture.create_plane(Channel::Interleaved, width, height, 8).map_err(backend)?;
    {
        let plane = picture.planes_mut().interleaved.ok_or_else(|| Error::Internal("libheif made no interleaved plane".into()))?;
        let row = width as usize * channels;
        for (y, source) in image.as_bytes().chunks_exact(row).enumerate() {
            plane.data[y * plane.stride..y * plane.stride + row].copy_from_slice(source);
        }
    }
    if let Some(icc) = icc {
        set_icc_profile(&mut picture, &icc).map_err(backend)?;
    }
    let lib = LibHeif::new_checked().map_err(backend)?;
    let mut encoder = lib.encoder_for_format(compression).map_err(backend)?;
    encoder.set_quality(EncoderQuality::Lossy(quality)).map_err(backend)?;
    encoder.set_parameter_value(tuning.0, tuning.1).map_err(backend)?;
    let mut context = HeifContext::new().map_err(backend)?;
    let handle = context.encode_image(&picture, &mut encoder, None).map_err(backend)?;
    if let Some(exif) = exif {
        context.add_exif_metadata(&handle, &exif).map_err(backend)?;
    }
    let bytes = context.write_to_bytes().map_err(backend)?;
    sink.write_all(&bytes).map_err(Error::from)
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    decode_heif(input, ctx, ID)
}

/// Reads a HEIF-family file (HEIC or AVIF) as format `id`.
///
/// # Errors
/// [`Error::InvalidInput`] for a file libheif refuses, [`Error::LimitExceeded`]
/// for an image past the conversion's limits.
pub(crate) fn decode_heif(input: Input<'_>, ctx: &Context<'_>, id: &str) -> Result<Value> {
    let lib = LibHeif::new_checked().map_err(|e| Error::backend(id, e))?;
    let file = HeifContext::read_from_bytes(input.bytes).map_err(|e| refused(id, ctx, e))?;
    let primary = file.primary_image_handle().map_err(|e| refused(id, ctx, e))?;
    let (width, height) = (primary.width(), primary.height());
    let mut ids = vec![0 as ItemId; file.number_of_top_level_images().min(MAX_FRAMES)];
    let count = file.top_level_image_ids(&mut ids);
    ids.truncate(count);
    // `None` stands for the primary image, whose handle is held apart.
    let mut handles: Vec<Option<ImageHandle>> = Vec::new();
    let mut left_out = 0;
    for item in ids {
        let handle = file.image_handle(item).map_err(|e| refused(id, ctx, e))?;
        if handle.is_primary() {
            handles.push(None);
        } else if (handle.width(), handle.height()) == (width, height) {
            handles.push(Some(handle));
        } else {
            left_out += 1;
        }
    }
    if handles.is_empty() {
        handles.push(None);
    }
    if left_out > 0 {
        ctx.note(format!("{left_out} image(s) of another size than the primary {width}x{height} are left out"));
    }
    let total = handles.len();
    // Several images show a second each, as TIFF pages do (a slideshow in a
    // video or GIF); a single one is a still.
    let delay = if total > 1 { Duration::from_secs(1) } else { Duration::ZERO };
    let mut frames = Vec::with_capacity(total);
    for (n, handle) in handles.into_iter().enumerate() {
        let handle = handle.as_ref().unwrap_or(&primary);
        frames.push(Frame { image: decode_image(&lib, handle, ctx, id)?, delay });
        ctx.progress((n + 1) as f32 / total as f32);
    }
    let icc_profile = fileconv_image::shared::profile_for(primary.color_profile_raw().map(|p| p.data), &frames[0].image, ctx);
    let exif = exif_of(&primary);
    Ok(Value::Raster(Raster { frames, icc_profile, exif }))
}

fn decode_image(lib: &LibHeif, handle: &ImageHandle, ctx: &Context<'_>, id: &str) -> Result<DynamicImage> {
    let (w, h) = (handle.width(), handle.height());
    let deep = handle.luma_bits_per_pixel() > 8;
    let alpha = handle.has_alpha_channel();
    let channels: u64 = if alpha { 4 } else { 3 };
    if w.max(h) > ctx.limits.max_dimension {
        return Err(Error::limit("image dimension (pixels)", ctx.limits.max_dimension.into(), w.max(h).into()));
    }
    ctx.charge_frame(w, h, channels * if deep { 2 } else { 1 })?;
    let chroma = match (deep, alpha) {
        (false, false) => RgbChroma::Rgb,
        (false, true) => RgbChroma::Rgba,
        (true, false) => RgbChroma::HdrRgbLe,
        (true, true) => RgbChroma::HdrRgbaLe,
    };
    let image = lib.decode(handle, ColorSpace::Rgb(chroma), None).map_err(|e| refused(id, ctx, e))?;
    ctx.checkpoint()?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or_else(|| Error::backend(id, "libheif gave no interleaved plane"))?;
    let (pw, ph) = (plane.width as usize, plane.height as usize);
    let row = pw * channels as usize * if deep { 2 } else { 1 };
    if plane.stride < row || plane.data.len() < plane.stride * ph.saturating_sub(1) + row {
        return Err(Error::backend(id, "libheif's plane is smaller than its size says"));
    }
    let range = u32::from(plane.bits_per_pixel);
    // Row by row (libheif pads rows to its alignment), a copy per row.
    let mut bytes = Vec::with_capacity(row * ph);
    for y in 0..ph {
        bytes.extend_from_slice(&plane.data[y * plane.stride..y * plane.stride + row]);
    }
    drop(image);
    let bad = || Error::backend(id, "libheif's plane does not fill the image");
    if !deep {
        return Ok(if alpha {
            DynamicImage::ImageRgba8(ImageBuffer::from_raw(pw as u32, ph as u32, bytes).ok_or_else(bad)?)
        } else {
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(pw as u32, ph as u32, bytes).ok_or_else(bad)?)
        });
    }
    // 10 or 12 significant bits in 16: scaled to the full 16-bit range.
    // libheif gives the range of one sample for an interleaved plane (10),
    // where older versions gave the whole pixel's (30).
    let bits = if range > 16 { range / channels as u32 } else { range }.clamp(9, 16);
    let samples: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| {
            let value = u32::from(u16::from_le_bytes([pair[0], pair[1]]));
            ((value << (16 - bits)) | (value >> (2 * bits).saturating_sub(16))).min(65_535) as u16
        })
        .collect();
    Ok(if alpha {
        DynamicImage::ImageRgba16(ImageBuffer::from_raw(pw as u32, ph as u32, samples).ok_or_else(bad)?)
    } else {
        DynamicImage::ImageRgb16(ImageBuffer::from_raw(pw as u32, ph as u32, samples).ok_or_else(bad)?)
    })
}

/// Attaches an ICC profile. libheif-rs 0.20's `set_color_profile_raw`
/// hands libheif the profile type as four bytes without a terminating NUL,
/// which libheif measures with `strlen`: the call failed now and then
/// ("Invalid color_profile_type (must be 4 characters)", seen in an ICC JPEG
/// to AVIF test). Here libheif gets "prof" as a C string.
fn set_icc_profile(picture: &mut Image, icc: &[u8]) -> std::result::Result<(), libheif_rs::HeifError> {
    // libheif-rs's `Image` is its one field, the `heif_image` pointer.
    const _: () = assert!(std::mem::size_of::<Image>() == std::mem::size_of::<*mut libheif_sys::heif_image>());
    // SAFETY: reads that pointer (valid while `picture` lives); libheif copies
    // the profile bytes and the NUL-terminated type.
    let error = unsafe {
        let raw = *(picture as *mut Image as *const *mut libheif_sys::heif_image);
        libheif_sys::heif_image_set_raw_color_profile(raw, c"prof".as_ptr(), icc.as_ptr().cast(), icc.len())
    };
    libheif_rs::HeifError::from_heif_error(error)
}

/// The EXIF block of an image (a TIFF structure), its orientation reset:
/// libheif has turned the pixels by the file's `irot` and `imir` already.
fn exif_of(handle: &ImageHandle) -> Option<Vec<u8>> {
    let mut ids = [0 as ItemId; 1];
    if handle.metadata_block_ids(&mut ids, b"Exif") == 0 {
        return None;
    }
    let block = handle.metadata(ids[0]).ok()?;
    // A 4-byte offset to the TIFF header, then (often) `Exif\0\0`.
    let offset = u32::from_be_bytes(block.get(..4)?.try_into().ok()?) as usize;
    let mut tiff = block.get(4usize.checked_add(offset)?..)?;
    if let Some(rest) = tiff.strip_prefix(b"Exif\0\0") {
        tiff = rest;
    }
    if !(tiff.starts_with(b"II*\0") || tiff.starts_with(b"MM\0*")) {
        return None;
    }
    let mut exif = tiff.to_vec();
    let _ = Orientation::remove_from_exif_chunk(&mut exif);
    Some(exif)
}

fn refused(id: &str, ctx: &Context<'_>, e: libheif_rs::HeifError) -> Error {
    use libheif_rs::HeifErrorCode as Code;
    match e.code {
        Code::MemoryAllocationError => Error::LimitExceeded { what: "memory (bytes)", limit: ctx.limits.max_memory_bytes, actual: None },
        Code::UnsupportedFeature | Code::UnsupportedFileType => Error::invalid_input(id, format!("unsupported variant: {}", e.message)),
        _ => Error::invalid_input(id, e.message),
    }
}
