//! WebP. Reading through `image-webp` (pure Rust, animations included);
//! writing through libwebp, because `image` only writes lossless WebP and no
//! Rust encoder does lossy or animated WebP.

use std::io::{Cursor, Write};

use fileconv_core::image::codecs::webp::WebPDecoder;
use fileconv_core::image::{DynamicImage, ImageDecoder};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, FormatInfo, Input, OptionSpec, Result, Value, ValueKind};

use crate::decode::{decode_error, decode_frames, finish_still, image_limits};
use crate::encode::{fit_pixels, Accepts};
use crate::options::{LOSSLESS, QUALITY};

const ID: &str = "webp";
/// WebP's own size limit.
const MAX_DIMENSION: u32 = 16_383;
const WEBP_QUALITY: OptionSpec = OptionSpec { default: "80", ..QUALITY };

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &[],
        name: "WebP",
        mime: "image/webp",
        category: Category::Image,
        container: None, sniff: Some(|b| b.len() >= 12 && sniff::starts_with(b, b"RIFF") && &b[8..12] == b"WEBP"),
    }
}
inventory::submit! { Decoder { format: ID, name: "webp", output: ValueKind::Raster, cost: 10, options: &[], decode } }
inventory::submit! {
    Encoder {
        format: ID,
        name: "libwebp",
        input: ValueKind::Raster,
        cost: 15,
        lossy: true,
        options: &[WEBP_QUALITY, LOSSLESS],
        encode,
    }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut decoder = WebPDecoder::new(Cursor::new(input.bytes)).map_err(|e| decode_error(ID, ctx, e))?;
    if decoder.has_animation() {
        let size = decoder.dimensions();
        decoder.set_limits(image_limits(ctx)).map_err(|e| decode_error(ID, ctx, e))?;
        return decode_frames(decoder, size, ID, ctx);
    }
    finish_still(decoder, ID, ctx)
}

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let raster = value.into_raster()?;
    let (w, h) = (raster.width(), raster.height());
    if w.max(h) > MAX_DIMENSION {
        return Err(Error::limit("WebP dimension (pixels)", MAX_DIMENSION.into(), w.max(h).into()));
    }
    let lossless = LOSSLESS.boolean(ctx.options)?;
    let mut config = webp::WebPConfig::new().map_err(|()| Error::backend(ID, "libwebp version mismatch"))?;
    config.lossless = i32::from(lossless);
    config.quality = if lossless { 75.0 } else { WEBP_QUALITY.integer(ctx.options)? as f32 };
    config.alpha_compression = i32::from(!lossless);

    if raster.is_animated() {
        let frames: Vec<_> = raster.frames.into_iter().map(|f| (f.image.into_rgba8(), f.delay)).collect();
        let mut encoder = webp::AnimEncoder::new(w, h, &config);
        encoder.set_loop_count(0);
        let mut timestamp = 0i32;
        for (image, delay) in &frames {
            encoder.add_frame(webp::AnimFrame::from_rgba(image.as_raw(), w, h, timestamp));
            timestamp = timestamp.saturating_add(delay.as_millis().clamp(1, i32::MAX as u128) as i32);
        }
        ctx.checkpoint()?;
        let data = encoder.try_encode().map_err(|e| Error::backend(ID, format!("{e:?}")))?;
        sink.write_all(&data)?;
        return Ok(());
    }

    let image = fit_pixels(raster.into_still("WebP", ctx), Accepts::RGB8, ctx)?;
    let encoder = match &image {
        DynamicImage::ImageRgba8(_) => webp::Encoder::from_rgba(image.as_bytes(), w, h),
        _ => webp::Encoder::from_rgb(image.as_bytes(), w, h),
    };
    let data = encoder.encode_advanced(&config).map_err(|e| Error::backend(ID, format!("{e:?}")))?;
    sink.write_all(&data)?;
    Ok(())
}
