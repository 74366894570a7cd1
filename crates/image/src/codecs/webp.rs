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
    let mut raster = value.into_raster()?;
    let icc = raster.icc_profile.take();
    let (w, h) = (raster.width(), raster.height());
    if w.max(h) > MAX_DIMENSION {
        return Err(Error::limit("WebP dimension (pixels)", MAX_DIMENSION.into(), w.max(h).into()));
    }
    let lossless = LOSSLESS.boolean(ctx.options)?;
    let mut config = webp::WebPConfig::new().map_err(|()| Error::backend(ID, "libwebp version mismatch"))?;
    config.lossless = i32::from(lossless);
    config.quality = if lossless { 75.0 } else { WEBP_QUALITY.integer(ctx.options)? as f32 };
    config.alpha_compression = i32::from(!lossless);

    let (data, alpha) = if raster.is_animated() {
        let alpha = raster.has_alpha();
        let frames: Vec<_> = raster.frames.into_iter().map(|f| (f.image.into_rgba8(), f.delay)).collect();
        let mut encoder = webp::AnimEncoder::new(w, h, &config);
        encoder.set_loop_count(0);
        let mut timestamp = 0i32;
        for (image, delay) in &frames {
            encoder.add_frame(webp::AnimFrame::from_rgba(image.as_raw(), w, h, timestamp));
            timestamp = timestamp.saturating_add(delay.as_millis().clamp(1, i32::MAX as u128) as i32);
        }
        ctx.checkpoint()?;
        (encoder.try_encode().map_err(|e| Error::backend(ID, format!("{e:?}")))?.to_vec(), alpha)
    } else {
        let image = fit_pixels(raster.into_still("WebP", ctx), Accepts::RGB8, ctx)?;
        let encoder = match &image {
            DynamicImage::ImageRgba8(_) => webp::Encoder::from_rgba(image.as_bytes(), w, h),
            _ => webp::Encoder::from_rgb(image.as_bytes(), w, h),
        };
        (encoder.encode_advanced(&config).map_err(|e| Error::backend(ID, format!("{e:?}")))?.to_vec(), image.color().has_alpha())
    };
    match icc.and_then(|icc| with_icc(&data, &icc, (w, h), alpha)) {
        Some(file) => sink.write_all(&file)?,
        None => sink.write_all(&data)?,
    }
    Ok(())
}

/// The encoded file with the colour profile in an `ICCP` chunk, which
/// libwebp's simple and animation encoders do not write: after the `VP8X`
/// header (made, with the canvas size and the alpha flag, for a simple
/// file), its ICC flag set. `None` for a file not laid out as libwebp writes.
fn with_icc(file: &[u8], icc: &[u8], (width, height): (u32, u32), alpha: bool) -> Option<Vec<u8>> {
    const ICC_FLAG: u8 = 0x20;
    const ALPHA_FLAG: u8 = 0x10;
    fn chunk(id: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(payload.len() + 9);
        out.extend_from_slice(id);
        out.extend_from_slice(&u32::try_from(payload.len()).unwrap_or(u32::MAX).to_le_bytes());
        out.extend_from_slice(payload);
        if payload.len() % 2 == 1 {
            out.push(0);
        }
        out
    }
    if file.get(0..4)? != b"RIFF" || file.get(8..12)? != b"WEBP" || u32::try_from(icc.len()).is_err() {
        return None;
    }
    let body = &file[12..];
    let mut chunks = Vec::with_capacity(file.len() + icc.len() + 32);
    if body.get(0..4)? == b"VP8X" {
        let size = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?) as usize;
        let header = body.get(..8 + size)?;
        chunks.extend_from_slice(header);
        chunks[8] |= ICC_FLAG;
        chunks.extend(chunk(b"ICCP", icc));
        chunks.extend_from_slice(&body[8 + size..]);
    } else {
        let mut vp8x = [0u8; 10];
        vp8x[0] = ICC_FLAG | if alpha { ALPHA_FLAG } else { 0 };
        vp8x[4..7].copy_from_slice(&(width - 1).to_le_bytes()[..3]);
        vp8x[7..10].copy_from_slice(&(height - 1).to_le_bytes()[..3]);
        chunks.extend(chunk(b"VP8X", &vp8x));
        chunks.extend(chunk(b"ICCP", icc));
        chunks.extend_from_slice(body);
    }
    let mut out = Vec::with_capacity(chunks.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&u32::try_from(chunks.len() + 4).ok()?.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend(chunks);
    Some(out)
}
