//! Shared encoding glue: fitting pixels to what a format can hold, and
//! driving the `image` crate's encoders.

use std::io::{Cursor, Write};

use fileconv_core::image::{
    ColorType, DynamicImage, GrayImage, ImageEncoder, ImageError, RgbImage, RgbaImage,
};
use fileconv_core::{Context, Error, Result, Rgba};

use crate::options::BACKGROUND;

/// The pixel layouts an encoder can write.
#[derive(Clone, Copy, Debug)]
pub struct Accepts {
    pub alpha: bool,
    pub gray: bool,
    pub eight: bool,
    pub sixteen: bool,
    pub float: bool,
}

impl Accepts {
    /// 8-bit L, LA, RGB, RGBA.
    pub const EIGHT_BIT: Accepts = Accepts { alpha: true, gray: true, eight: true, sixteen: false, float: false };
    /// 8- and 16-bit L, LA, RGB, RGBA.
    pub const UP_TO_SIXTEEN: Accepts = Accepts { sixteen: true, ..Self::EIGHT_BIT };
    /// 8-bit RGB and RGBA.
    pub const RGB8: Accepts = Accepts { gray: false, ..Self::EIGHT_BIT };
    /// 32-bit float RGB(A).
    pub const FLOAT: Accepts = Accepts { alpha: true, gray: false, eight: false, sixteen: false, float: true };

    pub const fn without_alpha(self) -> Accepts {
        Accepts { alpha: false, ..self }
    }
}

/// Converts `image` to the closest layout the encoder accepts: alpha flattened
/// onto the `background` option where the target has none, gray kept where it
/// can be, depth kept where it can be. Returns the image untouched when it fits.
///
/// # Errors
/// [`Error::InvalidOption`] for a bad `background`.
pub fn fit_pixels(image: DynamicImage, accepts: Accepts, ctx: &Context<'_>) -> Result<DynamicImage> {
    let color = image.color();
    let image = if color.has_alpha() && !accepts.alpha { flatten(image, BACKGROUND.color(ctx.options)?) } else { image };
    let color = image.color();
    let depth = match color {
        ColorType::Rgb32F | ColorType::Rgba32F => 32,
        c if c.bytes_per_pixel() / c.channel_count() == 2 => 16,
        _ => 8,
    };
    let depth = match depth {
        32 if accepts.float => 32,
        32 | 16 if accepts.sixteen => 16,
        16 if accepts.float => 32,
        _ if accepts.eight => 8,
        _ if accepts.sixteen => 16,
        _ => 32,
    };
    let alpha = color.has_alpha();
    let gray = !color.has_color() && accepts.gray && depth != 32;
    let target = match (gray, alpha, depth) {
        (true, false, 8) => ColorType::L8,
        (true, true, 8) => ColorType::La8,
        (true, false, _) => ColorType::L16,
        (true, true, _) => ColorType::La16,
        (false, false, 8) => ColorType::Rgb8,
        (false, true, 8) => ColorType::Rgba8,
        (false, false, 16) => ColorType::Rgb16,
        (false, true, 16) => ColorType::Rgba16,
        (false, false, _) => ColorType::Rgb32F,
        (false, true, _) => ColorType::Rgba32F,
    };
    if target == color {
        return Ok(image);
    }
    Ok(match target {
        ColorType::L8 => image.into_luma8().into(),
        ColorType::La8 => image.into_luma_alpha8().into(),
        ColorType::L16 => image.into_luma16().into(),
        ColorType::La16 => image.into_luma_alpha16().into(),
        ColorType::Rgb8 => image.into_rgb8().into(),
        ColorType::Rgba8 => image.into_rgba8().into(),
        ColorType::Rgb16 => image.into_rgb16().into(),
        ColorType::Rgba16 => image.into_rgba16().into(),
        ColorType::Rgb32F => image.into_rgb32f().into(),
        _ => image.into_rgba32f().into(),
    })
}

/// Composites an image with alpha onto an opaque `background`.
pub(crate) fn flatten(image: DynamicImage, background: Rgba) -> DynamicImage {
    let [br, bg, bb, _] = background.0;
    let (w, h) = (image.width(), image.height());
    match image {
        DynamicImage::ImageLumaA8(_) | DynamicImage::ImageRgba8(_) => {
            let channels = usize::from(image.color().channel_count());
            let out_channels = flattened_channels(channels, [br, bg, bb]);
            let mut out = vec![0; w as usize * h as usize * out_channels];
            flatten8(image.as_bytes(), channels, [br, bg, bb], out_channels, &mut out);
            if out_channels == 1 {
                DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, out).expect("same dimensions"))
            } else {
                DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, out).expect("same dimensions"))
            }
        }
        other => {
            let mut img = other.into_rgba32f();
            let bgf = [br, bg, bb].map(|c| f32::from(c) / 255.0);
            for p in img.pixels_mut() {
                let a = p.0[3].clamp(0.0, 1.0);
                for c in 0..3 {
                    p.0[c] = p.0[c] * a + bgf[c] * (1.0 - a);
                }
                p.0[3] = 1.0;
            }
            DynamicImage::ImageRgb32F(DynamicImage::ImageRgba32F(img).into_rgb32f())
        }
    }
}

/// The channels pixels of `channels` (2: grey and alpha, 4: RGBA) keep
/// once flattened onto `background`: grey (1) for grey pixels on a grey
/// background, RGB (3) otherwise.
pub(crate) fn flattened_channels(channels: usize, background: [u8; 3]) -> usize {
    if channels == 2 && background[0] == background[1] && background[1] == background[2] {
        1
    } else {
        3
    }
}

/// Composites 8-bit pixels with alpha, `channels` (2: grey and alpha, 4:
/// RGBA) samples each, onto `background`, into `out`: `out_channels` 1
/// (grey, for grey pixels on a grey background) or 3 (RGB).
pub(crate) fn flatten8(pixels: &[u8], channels: usize, background: [u8; 3], out_channels: usize, out: &mut [u8]) {
    match (channels, out_channels) {
        (2, 1) => {
            for (o, p) in out.iter_mut().zip(pixels.chunks_exact(2)) {
                *o = blend8(p[0], background[0], p[1]);
            }
        }
        (2, _) => {
            for (o, p) in out.chunks_exact_mut(3).zip(pixels.chunks_exact(2)) {
                for c in 0..3 {
                    o[c] = blend8(p[0], background[c], p[1]);
                }
            }
        }
        _ => {
            for (o, p) in out.chunks_exact_mut(3).zip(pixels.chunks_exact(4)) {
                for c in 0..3 {
                    o[c] = blend8(p[c], background[c], p[3]);
                }
            }
        }
    }
}

fn blend8(fg: u8, bg: u8, alpha: u8) -> u8 {
    let (fg, bg, a) = (u32::from(fg), u32::from(bg), u32::from(alpha));
    ((fg * a + bg * (255 - a) + 127) / 255) as u8
}

/// Writes `image` with one of the `image` crate's encoders.
///
/// # Errors
/// [`Error::Backend`] when the encoder refuses the image.
pub(crate) fn write_with(encoder: impl ImageEncoder, image: &DynamicImage, id: &str) -> Result<()> {
    encoder
        .write_image(image.as_bytes(), image.width(), image.height(), image.color().into())
        .map_err(|e| encode_error(id, e))
}

/// Maps an encoding failure of the `image` crate.
pub(crate) fn encode_error(id: &str, err: ImageError) -> Error {
    match err {
        ImageError::IoError(e) => Error::Io(e),
        other => Error::backend(id, other),
    }
}

/// The first frame, for a target that holds one image and no colour
/// profile: what it leaves out (later frames, a profile other than sRGB) noted.
///
/// # Errors
/// [`fileconv_core::Error`] when `value` is not a raster.
pub(crate) fn bare_still(value: fileconv_core::Value, format: &str, ctx: &fileconv_core::Context<'_>) -> Result<DynamicImage> {
    let mut raster = value.into_raster()?;
    raster.drop_profile(&format!("{format} holds none"), ctx);
    Ok(raster.into_still(format, ctx))
}

/// Runs an encoder that needs `Seek` (TIFF) against memory, then copies out.
///
/// # Errors
/// Whatever `encode` returns; [`Error::Io`] when the sink fails.
pub(crate) fn via_memory(sink: &mut dyn Write, encode: impl FnOnce(&mut Cursor<Vec<u8>>) -> Result<()>) -> Result<()> {
    let mut buffer = Cursor::new(Vec::new());
    encode(&mut buffer)?;
    sink.write_all(buffer.get_ref())?;
    Ok(())
}

/// Luma thresholded at 50% into the samples a 1-bit PBM encoder takes: 0 black, 1 white.
pub(crate) fn bitmap_samples(image: &DynamicImage) -> GrayImage {
    let mut gray = image.to_luma8();
    for p in gray.pixels_mut() {
        p.0[0] = u8::from(p.0[0] >= 128);
    }
    gray
}

/// One-bit transparency, as GIF has: pixels at least half opaque become opaque,
/// blended onto `background`; the others become fully transparent.
pub(crate) fn binary_alpha(image: DynamicImage, background: Rgba) -> RgbaImage {
    let mut rgba = image.into_rgba8();
    for p in rgba.pixels_mut() {
        let [r, g, b, a] = p.0;
        p.0 = if a >= 128 {
            [blend8(r, background.0[0], a), blend8(g, background.0[1], a), blend8(b, background.0[2], a), 255]
        } else {
            [0, 0, 0, 0]
        };
    }
    rgba
}
