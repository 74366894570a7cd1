//! PDF pages to images with hayro (a pure-Rust rasterizer: embedded and
//! standard fonts, images, shadings, transparency), on white, at `dpi`.
//! `page` picks one page; `page=all` gives every page as a frame (a
//! multi-page GIF, an animated WebP, one image per page where the target
//! holds only one: the first). The pixel size is checked against the
//! limits before anything is drawn.

use fileconv_core::image::{DynamicImage, RgbaImage};
use fileconv_core::{Context, Error, Frame, Input, OptionKind, OptionSpec, Raster, Result, Value};
use hayro::hayro_interpret::InterpreterSettings;
use hayro::hayro_syntax::Pdf;
use hayro::vello_cpu::color::palette::css::WHITE;
use hayro::{render, PixmapSettings, RenderCache, RenderSettings};

const FORMAT: &str = "pdf";

pub const PAGE: OptionSpec = OptionSpec {
    name: "page",
    kind: OptionKind::Text { max_len: 8 },
    default: "1",
    help: "Which page becomes the image: a number from 1, or `all` (every page a frame, for gif, webp, png (APNG) and tiff)",
};

pub const DPI: OptionSpec = OptionSpec { name: "dpi", kind: OptionKind::Integer { min: 36, max: 600 }, default: "150", help: "Resolution in dots per inch (an A4 page at 150 dpi is 1240 x 1754 pixels)" };

pub const RENDER_OPTIONS: &[OptionSpec] = &[PAGE, DPI];

/// # Errors
/// [`Error::InvalidInput`] when hayro cannot read the file (or it is
/// encrypted); [`Error::InvalidOption`] for a page past the end;
/// [`Error::LimitExceeded`] when a page at `dpi` passes the pixel limits.
pub fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let bytes = input.bytes.to_vec();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rasterize(bytes, ctx))) {
        Ok(result) => result,
        Err(panic) => Err(Error::invalid_input(FORMAT, format!("hayro stopped: {}", fileconv_core::panic_text(panic.as_ref())))),
    }
}

fn rasterize(bytes: Vec<u8>, ctx: &Context<'_>) -> Result<Value> {
    let mut pdf = Pdf::new(bytes).map_err(|e| Error::invalid_input(FORMAT, format!("{e:?}")))?;
    if pdf.pages().is_empty() {
        let rebuilt = crate::read::with_rebuilt_page_tree(pdf.data().as_ref(), ctx).ok_or_else(|| Error::invalid_input(FORMAT, "the PDF has no pages"))?;
        pdf = Pdf::new(rebuilt).map_err(|e| Error::invalid_input(FORMAT, format!("{e:?}")))?;
        ctx.note(crate::read::BROKEN_PAGE_TREE);
    }
    let pages = pdf.pages();
    let count = pages.len();
    if count == 0 {
        return Err(Error::invalid_input(FORMAT, "the PDF has no pages"));
    }
    let choice = PAGE.text(ctx.options)?.unwrap_or(PAGE.default).trim().to_ascii_lowercase();
    if ctx.options.get(PAGE.name).is_none() && count > 1 {
        ctx.note(format!("page 1 of {count} was converted; the page option picks another (page=2), or every page as a frame (page=all)"));
    }
    let chosen: Vec<usize> = if choice == "all" {
        (0..count).collect()
    } else {
        let n: usize = choice.parse().ok().filter(|n| (1..=count).contains(n)).ok_or_else(|| Error::InvalidOption { name: PAGE.name.into(), reason: format!("'{choice}': the PDF has {count} page(s)"), valid: format!("1 to {count}, or all") })?;
        vec![n - 1]
    };
    if chosen.len() as u64 > u64::from(ctx.limits.max_frames) {
        return Err(Error::limit("frames", u64::from(ctx.limits.max_frames), chosen.len() as u64));
    }
    let scale = DPI.integer(ctx.options)? as f32 / 72.0;
    let cache = RenderCache::new();
    let settings = InterpreterSettings::default();
    let mut frames = Vec::with_capacity(chosen.len());
    let mut total_pixels: u64 = 0;
    for index in chosen {
        ctx.checkpoint()?;
        let page = &pages[index];
        let (w, h) = page.render_dimensions();
        let (pw, ph) = ((w * scale).ceil() as u64, (h * scale).ceil() as u64);
        let dimension = u64::from(ctx.limits.max_dimension.min(u32::from(u16::MAX)));
        if pw > dimension || ph > dimension {
            return Err(Error::limit("image dimension (pixels)", dimension, pw.max(ph)));
        }
        total_pixels += pw * ph;
        if total_pixels > ctx.limits.max_pixels {
            return Err(Error::limit("pixels", ctx.limits.max_pixels, total_pixels));
        }
        // hayro's RGBA pixmap, then the RGB frame kept.
        ctx.charge_memory(pw * ph * 7, "memory for rendered pages (bytes)")?;
        let pixmap = render(page, &cache, &settings, &RenderSettings::default(), &PixmapSettings { x_scale: scale, y_scale: scale, bg_color: WHITE });
        let (width, height) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        // On a white background every pixel is opaque: premultiplied is plain.
        let rgba = pixmap.take_rgba8(hayro::vello_cpu::peniko::ImageAlphaType::AlphaPremultiplied);
        let image = RgbaImage::from_raw(width, height, rgba).ok_or_else(|| Error::Internal("hayro pixmap size".into()))?;
        frames.push(Frame { image: DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(image).to_rgb8()), delay: std::time::Duration::from_secs(1) });
    }
    if frames.len() == 1 {
        frames[0].delay = std::time::Duration::ZERO;
    }
    Ok(Value::Raster(Raster { frames, icc_profile: None, exif: None }))
}
