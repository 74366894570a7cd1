//! DirectDraw Surface textures, read only: uncompressed RGB, RGBA and
//! luminance surfaces (bit masks in the legacy header, or the common 8-bit
//! DXGI formats of a DX10 header) here; block-compressed DXT1/3/5 through
//! the `image` crate. The first surface's top mipmap level is the image.

use fileconv_core::image::{DynamicImage, ImageFormat, RgbaImage};
use fileconv_core::{sniff, Category, Context, Decoder, Error, FormatInfo, Input, Raster, Result, Value, ValueKind};

use crate::decode::decode_still;

const ID: &str = "dds";

inventory::submit! {
    FormatInfo { id: ID, aliases: &[], name: "DirectDraw Surface", mime: "image/vnd-ms.dds", category: Category::Image, container: None, sniff: Some(|b| sniff::starts_with(b, b"DDS ")) }
}
inventory::submit! { Decoder { format: ID, name: "dds", output: ValueKind::Raster, cost: 10, options: &[], decode } }

/// Magic and header: the pixels of a legacy file start here.
const HEADER_END: usize = 128;
/// A DX10 header follows the legacy one when the FourCC says "DX10".
const DX10_HEADER_END: usize = 148;
const PF_ALPHA_PIXELS: u32 = 0x1;
const PF_FOURCC: u32 = 0x4;
const PF_RGB: u32 = 0x40;
const PF_LUMINANCE: u32 = 0x2_0000;

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    match uncompressed_layout(input.bytes)? {
        Some(layout) => decode_uncompressed(input.bytes, &layout, ctx),
        None => decode_still(input, ctx, ImageFormat::Dds, ID),
    }
}

/// How an uncompressed surface's pixels are laid out.
#[derive(Debug)]
struct Layout {
    width: u32,
    height: u32,
    data_start: usize,
    bytes_per_pixel: usize,
    /// Red, green, blue and alpha masks over a little-endian pixel value;
    /// a zero alpha mask means opaque. Luminance has the same mask thrice.
    masks: [u32; 4],
}

/// The layout when the header describes an uncompressed surface, `None`
/// when it is block-compressed (or a FourCC this reader leaves to `image`).
///
/// # Errors
/// [`Error::InvalidInput`] when the header is cut short or its bit count
/// is not 8, 16, 24 or 32.
fn uncompressed_layout(bytes: &[u8]) -> Result<Option<Layout>> {
    let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let field = |at: usize| u32_at(at).ok_or_else(|| Error::invalid_input(ID, "the header is truncated"));
    let (height, width, flags, fourcc) = (field(12)?, field(16)?, field(80)?, field(84)?);
    let (mut masks, mut bit_count, mut data_start) = ([field(92)?, field(96)?, field(100)?, field(104)?], field(88)?, HEADER_END);
    if flags & PF_FOURCC != 0 {
        if &fourcc.to_le_bytes() != b"DX10" {
            return Ok(None);
        }
        const RGBA: [u32; 4] = [0xff, 0xff00, 0xff_0000, 0xff00_0000];
        const BGRA: [u32; 4] = [0xff_0000, 0xff00, 0xff, 0xff00_0000];
        const BGRX: [u32; 4] = [0xff_0000, 0xff00, 0xff, 0];
        masks = match field(128)? {
            // R8G8B8A8 UNORM, UNORM_SRGB, UINT
            27..=30 => RGBA,
            // B8G8R8A8 UNORM, TYPELESS, UNORM_SRGB
            87 | 90 | 91 => BGRA,
            // B8G8R8X8 UNORM, TYPELESS, UNORM_SRGB
            88 | 92 | 93 => BGRX,
            _ => return Ok(None),
        };
        (bit_count, data_start) = (32, DX10_HEADER_END);
    } else if flags & (PF_RGB | PF_LUMINANCE) == 0 {
        return Ok(None);
    }
    if flags & PF_ALPHA_PIXELS == 0 && flags & PF_FOURCC == 0 {
        masks[3] = 0;
    }
    if flags & PF_LUMINANCE != 0 {
        masks = [masks[0], masks[0], masks[0], masks[3]];
    }
    if !matches!(bit_count, 8 | 16 | 24 | 32) {
        return Err(Error::invalid_input(ID, format!("{bit_count} bits per pixel is not an uncompressed DDS layout")));
    }
    Ok(Some(Layout { width, height, data_start, bytes_per_pixel: bit_count as usize / 8, masks }))
}

fn decode_uncompressed(bytes: &[u8], layout: &Layout, ctx: &Context<'_>) -> Result<Value> {
    ctx.charge_frame(layout.width, layout.height, 4)?;
    let row = layout.width as usize * layout.bytes_per_pixel;
    let size = row * layout.height as usize;
    let data = bytes
        .get(layout.data_start..)
        .and_then(|d| d.get(..size))
        .ok_or_else(|| Error::invalid_input(ID, format!("the file is truncated: the surface needs {size} bytes")))?;
    let channels = layout.masks.map(Channel::new);
    let opaque = channels[3].is_none();
    let mut rgba = Vec::with_capacity(layout.width as usize * layout.height as usize * 4);
    for pixel in data.chunks_exact(layout.bytes_per_pixel) {
        let value = pixel.iter().rev().fold(0u32, |v, b| (v << 8) | u32::from(*b));
        for (i, channel) in channels.iter().enumerate() {
            rgba.push(channel.as_ref().map_or(if i == 3 { 255 } else { 0 }, |c| c.extract(value)));
        }
    }
    let image = DynamicImage::ImageRgba8(RgbaImage::from_raw(layout.width, layout.height, rgba).expect("four bytes per pixel"));
    let image = if opaque { DynamicImage::ImageRgb8(image.into_rgb8()) } else { image };
    ctx.progress(1.0);
    Ok(Value::Raster(Raster::still(image)))
}

/// One channel of a packed pixel: where its bits are and how many.
struct Channel {
    shift: u32,
    max: u32,
}

impl Channel {
    fn new(mask: u32) -> Option<Self> {
        (mask != 0).then(|| {
            let shift = mask.trailing_zeros();
            Channel { shift, max: mask >> shift }
        })
    }

    /// The channel scaled to 8 bits.
    fn extract(&self, value: u32) -> u8 {
        let raw = (value >> self.shift) & self.max;
        ((u64::from(raw) * 255 + u64::from(self.max) / 2) / u64::from(self.max)) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};

    fn decode_bytes(bytes: &[u8]) -> Result<Value> {
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        decode(Input::from_bytes(bytes), &Context::new(&options, &limits, &control, &budget, &notes))
    }

    /// A legacy header: 2x1 pixels of `bit_count` bits with these masks.
    fn header(flags: u32, bit_count: u32, masks: [u32; 4]) -> Vec<u8> {
        let mut bytes = vec![0u8; HEADER_END];
        bytes[..4].copy_from_slice(b"DDS ");
        bytes[4..8].copy_from_slice(&124u32.to_le_bytes());
        bytes[12..16].copy_from_slice(&1u32.to_le_bytes());
        bytes[16..20].copy_from_slice(&2u32.to_le_bytes());
        bytes[80..84].copy_from_slice(&flags.to_le_bytes());
        bytes[88..92].copy_from_slice(&bit_count.to_le_bytes());
        for (i, mask) in masks.iter().enumerate() {
            bytes[92 + i * 4..96 + i * 4].copy_from_slice(&mask.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn reads_rgb565_and_bgra() {
        let mut rgb565 = header(PF_RGB, 16, [0xf800, 0x07e0, 0x001f, 0]);
        rgb565.extend_from_slice(&[0x00, 0xf8, 0x1f, 0x00]);
        let Value::Raster(r) = decode_bytes(&rgb565).unwrap() else { panic!() };
        assert_eq!(r.first().to_rgb8().into_raw(), vec![255, 0, 0, 0, 0, 255]);

        let mut bgra = header(PF_RGB | PF_ALPHA_PIXELS, 32, [0xff_0000, 0xff00, 0xff, 0xff00_0000]);
        bgra.extend_from_slice(&[1, 2, 3, 128, 10, 20, 30, 255]);
        let Value::Raster(r) = decode_bytes(&bgra).unwrap() else { panic!() };
        assert_eq!(r.first().to_rgba8().into_raw(), vec![3, 2, 1, 128, 30, 20, 10, 255]);
    }

    #[test]
    fn truncated_surface_is_an_error() {
        let mut bytes = header(PF_RGB, 24, [0xff, 0xff00, 0xff_0000, 0]);
        bytes.extend_from_slice(&[1, 2, 3]);
        let err = decode_bytes(&bytes).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
