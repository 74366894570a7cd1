//! JPEG XL, read with jxl-oxide (pure Rust): bare codestreams and the ISO
//! container, lossy (XYB) and lossless, grey and RGB with alpha, 8-bit (as
//! 8-bit pixels) and deeper (as 16-bit), orientation applied, an embedded
//! ICC profile kept (as the profile of the rendered pixels), animations as
//! frames with their durations. Its allocations are capped at what is left
//! of the conversion's memory budget; sizes are checked from the header
//! before anything is decoded. CMYK files are refused.
//!
//! Written lossless (modular mode) with zune-jpegxl (pure Rust, the only
//! encoder here: Debian's libjxl 0.7 is older than any maintained binding):
//! 8- and 16-bit grey, grey and alpha, RGB and RGBA, exact to the sample.
//! It writes neither animations, ICC profiles nor lossy files: a second
//! frame or a profile left out is noted.

use std::io::Write;
use std::time::Duration;

use fileconv_core::image::{DynamicImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};
use fileconv_core::image::ColorType;
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Frame, Input, Raster, Result, Value, ValueKind};
use jxl_oxide::{AllocTracker, JxlImage, PixelFormat};
use zune_core::bit_depth::BitDepth;
use zune_core::colorspace::ColorSpace;
use zune_core::options::EncoderOptions;

use crate::decode::profile_for;
use crate::encode::{fit_pixels, Accepts};

const ID: &str = "jxl";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "JPEG XL",
        mime: "image/jxl",
        category: Category::Image,
        container: None,
        sniff: Some(|b| sniff::starts_with(b, &[0xFF, 0x0A]) || sniff::starts_with(b, b"\0\0\0\x0cJXL \r\n\x87\n")),
    }
}
inventory::submit! { Decoder { format: ID, name: "jxl-oxide", output: ValueKind::Raster, cost: 20, options: &[], decode } }
inventory::submit! { Encoder { format: ID, name: "zune-jpegxl", input: ValueKind::Raster, cost: 30, lossy: false, options: &[], encode } }

/// Frames of an animation, at most.
const MAX_FRAMES: usize = 10_000;

/// An image of `channels` (grey, grey and alpha, RGB, RGBA) from interleaved samples.
macro_rules! interleaved {
    ($width:expr, $height:expr, $channels:expr, $samples:expr, $gray:ident, $gray_alpha:ident, $rgb:ident, $rgba:ident) => {
        match $channels {
            1 => ImageBuffer::<Luma<_>, _>::from_raw($width, $height, $samples).map(DynamicImage::$gray),
            2 => ImageBuffer::<LumaA<_>, _>::from_raw($width, $height, $samples).map(DynamicImage::$gray_alpha),
            3 => ImageBuffer::<Rgb<_>, _>::from_raw($width, $height, $samples).map(DynamicImage::$rgb),
            4 => ImageBuffer::<Rgba<_>, _>::from_raw($width, $height, $samples).map(DynamicImage::$rgba),
            _ => None,
        }
    };
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let tracker = AllocTracker::with_limit(usize::try_from(ctx.memory_left()).unwrap_or(usize::MAX));
    let image = JxlImage::builder().alloc_tracker(tracker).read(input.bytes).map_err(|e| Error::invalid_input(ID, e))?;
    let (width, height) = (image.width(), image.height());
    if width == 0 || height == 0 {
        return Err(Error::invalid_input(ID, "the image is empty"));
    }
    let format = image.pixel_format();
    if matches!(format, PixelFormat::Cmyk | PixelFormat::Cmyka) {
        return Err(Error::invalid_input(ID, "CMYK JPEG XL images are not read by fileconv"));
    }
    if !image.is_loading_done() {
        ctx.note(format!("the file is cut short: {} complete frame(s) were read, the rest is missing", image.num_loaded_keyframes()));
    }
    let deep = image.image_header().metadata.bit_depth.bits_per_sample() > 8;
    let frames = image.num_loaded_keyframes();
    if frames == 0 {
        return Err(Error::invalid_input(ID, "the file holds no complete frame"));
    }
    ctx.limits.check_frames(frames.min(MAX_FRAMES + 1) as u64)?;
    let bytes_per_pixel: u64 = if deep { 8 } else { 4 };
    ctx.charge_frame(width, height, bytes_per_pixel * frames as u64)?;
    let tick = image
        .image_header()
        .metadata
        .animation
        .as_ref()
        .filter(|a| a.tps_numerator > 0)
        .map(|a| Duration::from_secs_f64(f64::from(a.tps_denominator) / f64::from(a.tps_numerator)));
    let mut out = Vec::with_capacity(frames);
    for index in 0..frames {
        ctx.checkpoint()?;
        let render = image.render_frame(index).map_err(|e| Error::invalid_input(ID, e))?;
        let mut stream = render.stream();
        let (w, h, channels) = (stream.width(), stream.height(), stream.channels());
        if w == 0 || h == 0 {
            return Err(Error::invalid_input(ID, "a frame is empty"));
        }
        let picture = if deep {
            let mut samples = vec![0u16; w as usize * h as usize * channels as usize];
            stream.write_to_buffer(&mut samples);
            interleaved!(w, h, channels, samples, ImageLuma16, ImageLumaA16, ImageRgb16, ImageRgba16)
        } else {
            let mut samples = vec![0u8; w as usize * h as usize * channels as usize];
            stream.write_to_buffer(&mut samples);
            interleaved!(w, h, channels, samples, ImageLuma8, ImageLumaA8, ImageRgb8, ImageRgba8)
        }
        .ok_or_else(|| Error::invalid_input(ID, format!("a frame of {channels} channels")))?;
        let delay = tick.map_or(Duration::ZERO, |t| t * render.duration());
        out.push(Frame { image: picture, delay });
    }
    let icc = image.original_icc().map(|_| image.rendered_icc());
    let icc = profile_for(icc, &out[0].image, ctx);
    Ok(Value::Raster(Raster { frames: out, icc_profile: icc, exif: None }))
}

/// Writes the first frame losslessly.
///
/// # Errors
/// [`Error::CannotKeep`] for an image one pixel wide or high (the encoder
/// needs two); an encoder failure.
fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    raster.drop_profile("the JPEG XL writer stores none", ctx);
    let image = fit_pixels(raster.into_still("JPEG XL", ctx), Accepts::UP_TO_SIXTEEN, ctx)?;
    let (width, height) = (image.width() as usize, image.height() as usize);
    if width < 2 || height < 2 {
        return Err(Error::cannot_keep(ID, format!("a {width}x{height} image: the JPEG XL writer needs at least 2x2 pixels")));
    }
    let (colorspace, depth) = match image.color() {
        ColorType::L8 => (ColorSpace::Luma, BitDepth::Eight),
        ColorType::La8 => (ColorSpace::LumaA, BitDepth::Eight),
        ColorType::Rgb8 => (ColorSpace::RGB, BitDepth::Eight),
        ColorType::Rgba8 => (ColorSpace::RGBA, BitDepth::Eight),
        ColorType::L16 => (ColorSpace::Luma, BitDepth::Sixteen),
        ColorType::La16 => (ColorSpace::LumaA, BitDepth::Sixteen),
        ColorType::Rgb16 => (ColorSpace::RGB, BitDepth::Sixteen),
        ColorType::Rgba16 => (ColorSpace::RGBA, BitDepth::Sixteen),
        other => return Err(Error::backend(ID, format!("no JPEG XL layout for {other:?} pixels"))),
    };
    // Samples of 16-bit images are native-endian u16, as the encoder reads them.
    let options = EncoderOptions::new(width, height, colorspace, depth).set_num_threads(1);
    zune_jpegxl::JxlSimpleEncoder::new(image.as_bytes(), options).encode(sink).map_err(|e| Error::backend(ID, format!("{e:?}")))?;
    Ok(())
}
