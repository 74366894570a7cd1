//! Photoshop documents (PSD, and PSB, the large-document variant), read
//! only: the merged composite image Photoshop stores after the layers (raw,
//! PackBits or zip), 1-, 8-, 16- and 32-bit, in bitmap, grey, duotone (as
//! grey), indexed, RGB and CMYK modes; its alpha when the layer section
//! says the first extra channel is the merged transparency; the ICC profile
//! and EXIF from the image resources. Layers are not composited: a file
//! saved without "Maximize Compatibility" has no real composite, and is
//! refused rather than read as the blank image it holds.

use std::io::Read;

use fileconv_core::image::{DynamicImage, GrayImage, ImageBuffer, Luma, LumaA, Rgb, Rgba};
use fileconv_core::{sniff, Category, Context, Decoder, Error, FormatInfo, Frame, Input, Raster, Result, Value, ValueKind};

use crate::decode::profile_for;

const ID: &str = "psd";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["psb"],
        name: "Adobe Photoshop document",
        mime: "image/vnd.adobe.photoshop",
        category: Category::Image,
        container: None,
        sniff: Some(|b| sniff::starts_with(b, b"8BPS") && matches!(b.get(4..6), Some([0, 1 | 2]))),
    }
}
inventory::submit! { Decoder { format: ID, name: "psd", output: ValueKind::Raster, cost: 10, options: &[], decode } }

const ICC_PROFILE: u16 = 1039;
const VERSION_INFO: u16 = 1057;
const EXIF_DATA: u16 = 1058;

/// A big-endian reader over the file that reports truncation as invalid input.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|end| *end <= self.bytes.len()).ok_or_else(|| Error::invalid_input(ID, format!("the file ends inside the {what}")))?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u16(&mut self, what: &str) -> Result<u16> {
        self.take(2, what).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        self.take(4, what).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A section length: 4 bytes, or 8 in a PSB where `wide`.
    fn length(&mut self, wide: bool, what: &str) -> Result<usize> {
        let n = if wide { self.take(8, what).map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))? } else { u64::from(self.u32(what)?) };
        usize::try_from(n).map_err(|_| Error::invalid_input(ID, format!("the {what} is longer than the file")))
    }
}

/// The colour modes of the header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Bitmap,
    Gray,
    Indexed,
    Rgb,
    Cmyk,
    Duotone,
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let mut cursor = Cursor { bytes: input.bytes, at: 0 };
    if cursor.take(4, "header")? != b"8BPS" {
        return Err(Error::invalid_input(ID, "no 8BPS signature"));
    }
    let psb = match cursor.u16("header")? {
        1 => false,
        2 => true,
        v => return Err(Error::invalid_input(ID, format!("unknown version {v}"))),
    };
    cursor.take(6, "header")?;
    let channels = usize::from(cursor.u16("header")?);
    let (height, width) = (cursor.u32("header")?, cursor.u32("header")?);
    let depth = cursor.u16("header")?;
    let mode = match cursor.u16("header")? {
        0 => Mode::Bitmap,
        1 => Mode::Gray,
        2 => Mode::Indexed,
        3 => Mode::Rgb,
        4 => Mode::Cmyk,
        8 => Mode::Duotone,
        7 => return Err(Error::invalid_input(ID, "multichannel documents have no colour meaning to convert; fileconv does not read them")),
        9 => return Err(Error::invalid_input(ID, "Lab documents are not read by fileconv; save the document as RGB")),
        m => return Err(Error::invalid_input(ID, format!("unknown colour mode {m}"))),
    };
    let color_channels = match mode {
        Mode::Rgb => 3,
        Mode::Cmyk => 4,
        _ => 1,
    };
    if !(1..=56).contains(&channels) || channels < color_channels {
        return Err(Error::invalid_input(ID, format!("{channels} channels for a {mode:?} document")));
    }
    match (mode, depth) {
        (Mode::Bitmap, 1) | (Mode::Indexed, 8) | (Mode::Gray | Mode::Duotone | Mode::Rgb | Mode::Cmyk, 8 | 16) | (Mode::Gray | Mode::Rgb, 32) => {}
        _ => return Err(Error::invalid_input(ID, format!("a {mode:?} document of {depth} bits per channel"))),
    }
    if width == 0 || height == 0 {
        return Err(Error::invalid_input(ID, "the image is empty"));
    }
    let palette = {
        let length = cursor.length(false, "colour mode data")?;
        cursor.take(length, "colour mode data")?
    };
    if mode == Mode::Indexed && palette.len() < 768 {
        return Err(Error::invalid_input(ID, "an indexed document without its 256-colour table"));
    }
    let resources = read_resources(&mut cursor)?;
    if resources.merged == Some(false) {
        return Err(Error::cannot_keep(
            ID,
            "the document was saved without a composite image (Photoshop's \"Maximize Compatibility\" was off); its layers would have to be composited, which fileconv does not do",
        ));
    }
    let alpha = transparency_in_first_extra_channel(&mut cursor, psb)? && channels > color_channels;
    let planes = color_channels + usize::from(alpha);
    let bytes_per_sample = usize::from(depth.max(8) / 8);
    ctx.charge_frame(width, height, (planes * bytes_per_sample) as u64)?;
    let row_bytes = if depth == 1 { (width as usize).div_ceil(8) } else { width as usize * bytes_per_sample };
    let data = read_planes(&mut cursor, channels, planes, height as usize, row_bytes, depth, psb, ctx)?;
    let image = assemble(&data, mode, depth, alpha, width, height, row_bytes, palette)?;
    if mode == Mode::Duotone {
        ctx.note("a duotone document is read as its grey values: the inks are not applied");
    }
    let icc = if mode == Mode::Cmyk {
        if resources.icc.is_some() {
            ctx.note("the CMYK colour profile does not describe the converted RGB pixels; it is left out (CMYK converted without colour management)");
        }
        None
    } else {
        profile_for(resources.icc, &image, ctx)
    };
    Ok(Value::Raster(Raster { frames: vec![Frame { image, delay: Default::default() }], icc_profile: icc, exif: resources.exif }))
}

/// What fileconv uses of the image resources.
#[derive(Default)]
struct Resources {
    icc: Option<Vec<u8>>,
    exif: Option<Vec<u8>>,
    /// The version info's "has real merged data", when the file has one.
    merged: Option<bool>,
}

fn read_resources(cursor: &mut Cursor<'_>) -> Result<Resources> {
    let length = cursor.length(false, "image resources")?;
    let mut section = Cursor { bytes: cursor.take(length, "image resources")?, at: 0 };
    let mut found = Resources::default();
    while section.bytes.len() - section.at >= 12 {
        let signature = section.take(4, "image resource")?;
        if !matches!(signature, b"8BIM" | b"MeSa" | b"AgHg" | b"PHUT" | b"DCSR") {
            break;
        }
        let id = section.u16("image resource")?;
        let name_length = usize::from(section.take(1, "image resource")?[0]);
        // The Pascal name and its length byte are padded to an even size.
        section.take(name_length + usize::from(name_length % 2 == 0), "image resource name")?;
        let size = section.u32("image resource")? as usize;
        let data = section.take(size, "image resource")?;
        section.take(size % 2, "image resource").ok();
        match id {
            ICC_PROFILE => found.icc = Some(data.to_vec()),
            EXIF_DATA if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") => found.exif = Some(data.to_vec()),
            VERSION_INFO if data.len() >= 5 => found.merged = Some(data[4] != 0),
            _ => {}
        }
    }
    Ok(found)
}

/// Skips the layer and mask section; true when its layer count is
/// negative, which says the first extra channel of the composite is its
/// transparency.
fn transparency_in_first_extra_channel(cursor: &mut Cursor<'_>, psb: bool) -> Result<bool> {
    let length = cursor.length(psb, "layer and mask information")?;
    let section = cursor.take(length, "layer and mask information")?;
    let mut inner = Cursor { bytes: section, at: 0 };
    let Ok(layer_info) = inner.length(psb, "layer information") else { return Ok(false) };
    if layer_info < 2 {
        return Ok(false);
    }
    Ok(inner.u16("layer count").is_ok_and(|count| (count as i16) < 0))
}

/// The composite's first `planes` channels, each `height` rows of
/// `row_bytes`, decompressed.
#[allow(clippy::too_many_arguments)]
fn read_planes(cursor: &mut Cursor<'_>, channels: usize, planes: usize, height: usize, row_bytes: usize, depth: u16, psb: bool, ctx: &Context<'_>) -> Result<Vec<u8>> {
    let plane = height * row_bytes;
    let mut out = vec![0u8; plane * planes];
    match cursor.u16("image data")? {
        0 => out.copy_from_slice(cursor.take(plane * planes, "image data")?),
        1 => {
            let count_size = if psb { 4 } else { 2 };
            let counts = cursor.take(channels * height * count_size, "row byte counts")?;
            let count = |i: usize| if psb { u32::from_be_bytes(counts[i * 4..i * 4 + 4].try_into().expect("4 bytes")) as usize } else { usize::from(u16::from_be_bytes([counts[i * 2], counts[i * 2 + 1]])) };
            for row in 0..planes * height {
                if row % 4096 == 0 {
                    ctx.checkpoint()?;
                }
                let packed = cursor.take(count(row), "compressed rows")?;
                unpack_bits(packed, &mut out[row * row_bytes..(row + 1) * row_bytes])?;
            }
        }
        method @ (2 | 3) => {
            let rest = &cursor.bytes[cursor.at..];
            let mut inflater = flate2::read::ZlibDecoder::new(rest);
            inflater.read_exact(&mut out).map_err(|e| Error::invalid_input(ID, format!("the zip-compressed image data: {e}")))?;
            if method == 3 {
                undo_prediction(&mut out, row_bytes, depth)?;
            }
        }
        c => return Err(Error::invalid_input(ID, format!("unknown compression {c}"))),
    }
    Ok(out)
}

/// PackBits: a count byte n, then n+1 literal bytes (n < 128) or one byte
/// repeated 257-n times (n > 128); 128 is a no-op.
fn unpack_bits(mut packed: &[u8], row: &mut [u8]) -> Result<()> {
    let mut at = 0;
    let short = || Error::invalid_input(ID, "a compressed row is shorter than the image is wide");
    while at < row.len() {
        let (&n, rest) = packed.split_first().ok_or_else(short)?;
        packed = rest;
        match n {
            0..=127 => {
                let n = usize::from(n) + 1;
                let (literal, rest) = (packed.get(..n).ok_or_else(short)?, &packed[n..]);
                row.get_mut(at..at + n).ok_or_else(|| Error::invalid_input(ID, "a compressed row is longer than the image is wide"))?.copy_from_slice(literal);
                packed = rest;
                at += n;
            }
            128 => {}
            _ => {
                let n = 257 - usize::from(n);
                let (&value, rest) = packed.split_first().ok_or_else(short)?;
                row.get_mut(at..at + n).ok_or_else(|| Error::invalid_input(ID, "a compressed row is longer than the image is wide"))?.fill(value);
                packed = rest;
                at += n;
            }
        }
    }
    Ok(())
}

/// Zip with prediction: each sample is stored as its difference from the
/// one to its left (8- and 16-bit).
fn undo_prediction(data: &mut [u8], row_bytes: usize, depth: u16) -> Result<()> {
    for row in data.chunks_exact_mut(row_bytes) {
        match depth {
            8 => {
                for i in 1..row.len() {
                    row[i] = row[i].wrapping_add(row[i - 1]);
                }
            }
            16 => {
                for i in (2..row.len()).step_by(2) {
                    let value = u16::from_be_bytes([row[i], row[i + 1]]).wrapping_add(u16::from_be_bytes([row[i - 2], row[i - 1]]));
                    row[i..i + 2].copy_from_slice(&value.to_be_bytes());
                }
            }
            _ => return Err(Error::invalid_input(ID, "zip prediction of 32-bit samples is not read by fileconv")),
        }
    }
    Ok(())
}

/// Interleaves the planes into an image of the mode's colour type.
#[allow(clippy::too_many_arguments)]
fn assemble(data: &[u8], mode: Mode, depth: u16, alpha: bool, width: u32, height: u32, row_bytes: usize, palette: &[u8]) -> Result<DynamicImage> {
    let pixels = width as usize * height as usize;
    let plane = height as usize * row_bytes;
    let sample8 = |p: usize, i: usize| data[p * plane + i];
    let sample16 = |p: usize, i: usize| u16::from_be_bytes([data[p * plane + 2 * i], data[p * plane + 2 * i + 1]]);
    let sample32 = |p: usize, i: usize| f32::from_be_bytes(data[p * plane + 4 * i..p * plane + 4 * i + 4].try_into().expect("4 bytes"));
    let internal = || Error::Internal("psd: a buffer of the wrong size".into());
    Ok(match (mode, depth, alpha) {
        (Mode::Bitmap, _, _) => {
            let mut out = GrayImage::new(width, height);
            for (i, pixel) in out.pixels_mut().enumerate() {
                let (y, x) = (i / width as usize, i % width as usize);
                let bit = data[y * row_bytes + x / 8] >> (7 - x % 8) & 1;
                *pixel = Luma([if bit == 1 { 0 } else { 255 }]);
            }
            DynamicImage::ImageLuma8(out)
        }
        (Mode::Indexed, _, _) => {
            let raw: Vec<u8> = (0..pixels).flat_map(|i| {
                let index = usize::from(sample8(0, i));
                [palette[index], palette[256 + index], palette[512 + index]]
            }).collect();
            DynamicImage::ImageRgb8(ImageBuffer::from_raw(width, height, raw).ok_or_else(internal)?)
        }
        (Mode::Gray | Mode::Duotone, 8, false) => DynamicImage::ImageLuma8(ImageBuffer::from_raw(width, height, data[..pixels].to_vec()).ok_or_else(internal)?),
        (Mode::Gray | Mode::Duotone, 8, true) => DynamicImage::ImageLumaA8(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            LumaA([sample8(0, i), sample8(1, i)])
        })),
        (Mode::Gray | Mode::Duotone, 16, false) => DynamicImage::ImageLuma16(ImageBuffer::from_fn(width, height, |x, y| Luma([sample16(0, (y * width + x) as usize)]))),
        (Mode::Gray | Mode::Duotone, 16, true) => DynamicImage::ImageLumaA16(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            LumaA([sample16(0, i), sample16(1, i)])
        })),
        (Mode::Gray, 32, _) => DynamicImage::ImageRgba32F(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            let v = sample32(0, i);
            Rgba([v, v, v, if alpha { sample32(1, i) } else { 1.0 }])
        })),
        (Mode::Rgb, 8, false) => DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            Rgb([sample8(0, i), sample8(1, i), sample8(2, i)])
        })),
        (Mode::Rgb, 8, true) => DynamicImage::ImageRgba8(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            Rgba([sample8(0, i), sample8(1, i), sample8(2, i), sample8(3, i)])
        })),
        (Mode::Rgb, 16, false) => DynamicImage::ImageRgb16(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            Rgb([sample16(0, i), sample16(1, i), sample16(2, i)])
        })),
        (Mode::Rgb, 16, true) => DynamicImage::ImageRgba16(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            Rgba([sample16(0, i), sample16(1, i), sample16(2, i), sample16(3, i)])
        })),
        (Mode::Rgb, 32, _) => DynamicImage::ImageRgba32F(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            Rgba([sample32(0, i), sample32(1, i), sample32(2, i), if alpha { sample32(3, i) } else { 1.0 }])
        })),
        // Photoshop stores CMYK inverted (255 is no ink): each channel's
        // value times black's is the RGB one, without colour management.
        (Mode::Cmyk, 8, _) => DynamicImage::ImageRgba8(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            let k = u16::from(sample8(3, i));
            let channel = |p: usize| ((u16::from(sample8(p, i)) * k + 127) / 255) as u8;
            Rgba([channel(0), channel(1), channel(2), if alpha { sample8(4, i) } else { 255 }])
        })),
        (Mode::Cmyk, 16, _) => DynamicImage::ImageRgba16(ImageBuffer::from_fn(width, height, |x, y| {
            let i = (y * width + x) as usize;
            let k = u32::from(sample16(3, i));
            let channel = |p: usize| ((u32::from(sample16(p, i)) * k + 32767) / 65535) as u16;
            Rgba([channel(0), channel(1), channel(2), if alpha { sample16(4, i) } else { u16::MAX }])
        })),
        _ => return Err(Error::invalid_input(ID, format!("a {mode:?} document of {depth} bits per channel"))),
    })
}
