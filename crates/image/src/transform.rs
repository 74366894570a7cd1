//! The raster transform: resizing (`width`, `height`, `fit`) and metadata
//! stripping (`strip`), applied before any raster encoder. `background` is
//! listed here because every raster target accepts it; encoders use it when
//! they flatten alpha, and `contain` uses it for padding.

use fileconv_core::image::imageops::{self, FilterType};
use fileconv_core::image::{DynamicImage, GenericImageView, Rgba as Pixel, RgbaImage};
use fileconv_core::{Context, Result, Transform, Value, ValueKind};

use crate::options::{BACKGROUND, FIT, HEIGHT, STRIP, WIDTH};

inventory::submit! {
    Transform {
        name: "resize",
        kind: ValueKind::Raster,
        options: &[WIDTH, HEIGHT, FIT, BACKGROUND, STRIP],
        apply,
    }
}

/// The size a `width` x `height` request with `fit` gives an image of `w` x `h`:
/// `(scaled width, scaled height, canvas width, canvas height)`.
pub(crate) fn target_size(w: u32, h: u32, width: Option<u32>, height: Option<u32>, fit: &str) -> (u32, u32, u32, u32) {
    let (w, h) = (w.max(1), h.max(1));
    let scale_to = |s: f64| (((f64::from(w) * s).round().max(1.0)) as u32, ((f64::from(h) * s).round().max(1.0)) as u32);
    match (width, height) {
        (None, None) => (w, h, w, h),
        (Some(tw), None) => {
            let (_, sh) = scale_to(f64::from(tw) / f64::from(w));
            (tw, sh, tw, sh)
        }
        (None, Some(th)) => {
            let (sw, _) = scale_to(f64::from(th) / f64::from(h));
            (sw, th, sw, th)
        }
        (Some(tw), Some(th)) => {
            let sx = f64::from(tw) / f64::from(w);
            let sy = f64::from(th) / f64::from(h);
            match fit {
                "fill" => (tw, th, tw, th),
                "cover" => {
                    let (sw, sh) = scale_to(sx.max(sy));
                    (sw.max(tw), sh.max(th), tw, th)
                }
                "contain" => {
                    let (sw, sh) = scale_to(sx.min(sy));
                    (sw.min(tw), sh.min(th), tw, th)
                }
                _ => {
                    let (sw, sh) = scale_to(sx.min(sy));
                    let (sw, sh) = (sw.min(tw), sh.min(th));
                    (sw, sh, sw, sh)
                }
            }
        }
    }
}

/// Reads the resize options: `(width, height, fit)`.
///
/// # Errors
/// [`fileconv_core::Error::InvalidOption`] for out-of-range values.
pub(crate) fn requested_size(ctx: &Context<'_>) -> Result<(Option<u32>, Option<u32>, &'static str)> {
    let width = WIDTH.integer_opt(ctx.options)?.map(|v| v as u32);
    let height = HEIGHT.integer_opt(ctx.options)?.map(|v| v as u32);
    Ok((width, height, FIT.choice(ctx.options)?))
}

fn apply(value: Value, ctx: &Context<'_>) -> Result<Value> {
    let mut raster = value.into_raster()?;
    if STRIP.boolean(ctx.options)? {
        raster.icc_profile = None;
        raster.exif = None;
    }
    let (width, height, fit) = requested_size(ctx)?;
    let (w, h) = (raster.width(), raster.height());
    let (sw, sh, cw, ch) = target_size(w, h, width, height, fit);
    if (sw, sh, cw, ch) == (w, h, w, h) {
        return Ok(Value::Raster(raster));
    }
    ctx.charge_frame(sw.max(cw), sh.max(ch), 4 * raster.frames.len() as u64 + 12)?;
    let background = BACKGROUND.color(ctx.options)?;
    let count = raster.frames.len() as f32;
    for (i, frame) in raster.frames.iter_mut().enumerate() {
        ctx.checkpoint()?;
        let image = std::mem::take(&mut frame.image);
        frame.image = resize_frame(image, (sw, sh), (cw, ch), background.0);
        ctx.progress((i + 1) as f32 / count);
    }
    Ok(Value::Raster(raster))
}

fn resize_frame(image: DynamicImage, (sw, sh): (u32, u32), (cw, ch): (u32, u32), background: [u8; 4]) -> DynamicImage {
    let (w, h) = image.dimensions();
    let filter = if sw < w || sh < h { FilterType::Lanczos3 } else { FilterType::CatmullRom };
    let scaled = if (sw, sh) == (w, h) { image } else { image.resize_exact(sw, sh, filter) };
    if (sw, sh) == (cw, ch) {
        return scaled;
    }
    if sw >= cw && sh >= ch {
        // cover: crop the centre.
        return scaled.crop_imm((sw - cw) / 2, (sh - ch) / 2, cw, ch);
    }
    // contain: pad onto the background.
    let mut canvas = RgbaImage::from_pixel(cw, ch, Pixel(background));
    imageops::overlay(&mut canvas, &scaled.to_rgba8(), i64::from((cw - sw) / 2), i64::from((ch - sh) / 2));
    if scaled.color().has_alpha() || background[3] < 255 {
        DynamicImage::ImageRgba8(canvas)
    } else {
        DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(canvas).into_rgb8())
    }
}

#[cfg(test)]
mod tests {
    use super::target_size;

    #[test]
    fn sizes() {
        assert_eq!(target_size(400, 200, Some(100), None, "inside"), (100, 50, 100, 50));
        assert_eq!(target_size(400, 200, None, Some(100), "inside"), (200, 100, 200, 100));
        assert_eq!(target_size(400, 200, Some(100), Some(100), "inside"), (100, 50, 100, 50));
        assert_eq!(target_size(400, 200, Some(100), Some(100), "contain"), (100, 50, 100, 100));
        assert_eq!(target_size(400, 200, Some(100), Some(100), "cover"), (200, 100, 100, 100));
        assert_eq!(target_size(400, 200, Some(100), Some(100), "fill"), (100, 100, 100, 100));
    }
}
