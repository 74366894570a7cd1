//! JPEG through libjpeg-turbo 3 (SIMD), the same library vips and ImageMagick
//! use. Reading falls back to the `image` crate (zune-jpeg) for what TurboJPEG
//! refuses, such as CMYK files.

use std::io::Write;

use fileconv_core::image::metadata::Orientation;
use fileconv_core::image::{DynamicImage, GrayImage, ImageFormat, RgbImage};
use fileconv_core::{sniff, Category, Context, Decoder, Encoder, Error, Frame, FormatInfo, Input, Raster, Result, Value, ValueKind};
use turbojpeg::{Colorspace, PixelFormat, Subsamp};

use crate::decode::decode_still;
use crate::encode::{fit_pixels, Accepts};
use crate::jpeg_bands;
use crate::jpeg_rows::Outcome;
use crate::options::QUALITY;

const ID: &str = "jpg";

inventory::submit! {
    FormatInfo {
        id: ID,
        aliases: &["jpeg", "jpe", "jfif"],
        name: "JPEG",
        mime: "image/jpeg",
        category: Category::Image,
        container: None, sniff: Some(|b| sniff::starts_with(b, &[0xFF, 0xD8, 0xFF])),
    }
}
inventory::submit! { Decoder { format: ID, name: "turbojpeg", output: ValueKind::Raster, cost: 8, options: &[], decode } }
inventory::submit! {
    Encoder { format: ID, name: "turbojpeg", input: ValueKind::Raster, cost: 8, lossy: true, options: &[QUALITY], encode }
}

fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Value> {
    let header = match turbojpeg::read_header(input.bytes) {
        Ok(header) => header,
        // libjpeg-turbo turns warnings ("extraneous bytes before marker") into
        // errors here; every viewer shows such files, so decode them as they do.
        Err(e) => return decode_damaged(input, ctx, &e.to_string()),
    };
    let (w, h) = (header.width as u32, header.height as u32);
    let format = pixel_format(header.colorspace);
    ctx.charge_frame(w, h, format.map_or(3, |f| f.size() as u64))?;
    let Some(format) = format else { return decode_still(input, ctx, ImageFormat::Jpeg, ID) };
    let gray = format == PixelFormat::GRAY;
    let pixels = match jpeg_bands::decompress(input.bytes, &header, format) {
        Some(pixels) => pixels,
        // One decompressor. Damaged data that libjpeg decodes past (with
        // warnings, which TurboJPEG makes errors) gives its rows, as viewers
        // built on it show them; what it refuses, the zune decoder tries.
        None => match crate::jpeg_rows::decode_whole(input.bytes, header.width, header.height, format.size()) {
            (Outcome::Decoded, pixels) => pixels,
            (Outcome::Damaged(warning), pixels) => {
                ctx.note(damaged_note(&warning));
                pixels
            }
            (Outcome::Cut { reason, rows }, pixels) => {
                ctx.note(cut_note(&reason, rows, header.height));
                pixels
            }
            (Outcome::Failed(reason), _) => return decode_damaged(input, ctx, &reason),
            (Outcome::Stopped, _) => return Err(Error::Internal("the JPEG decoder stopped with room for every row".into())),
        },
    };
    let mut image = if gray {
        DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(|| Error::invalid_input(ID, "short pixel buffer"))?)
    } else {
        DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(|| Error::invalid_input(ID, "short pixel buffer"))?)
    };
    let markers = Markers::read(input.bytes);
    let mut exif = markers.exif;
    if let Some(exif) = exif.as_mut() {
        if let Some(orientation) = Orientation::remove_from_exif_chunk(exif) {
            image.apply_orientation(orientation);
        }
    }
    ctx.progress(1.0);
    Ok(Value::Raster(Raster { frames: vec![Frame { image, delay: Default::default() }], icc_profile: markers.icc, exif }))
}

/// The pixels libjpeg-turbo decodes a JPEG of `colorspace` to here, grey
/// or RGB; `None` for CMYK and YCCK, which the zune decoder reads.
pub(crate) fn pixel_format(colorspace: Colorspace) -> Option<PixelFormat> {
    match colorspace {
        Colorspace::Gray => Some(PixelFormat::GRAY),
        Colorspace::CMYK | Colorspace::YCCK => None,
        _ => Some(PixelFormat::RGB),
    }
}

/// A file libjpeg-turbo stops on: the zune decoder recovers what is there
/// (saying so), or the file is refused with libjpeg-turbo's reason.
fn decode_damaged(input: Input<'_>, ctx: &Context<'_>, reason: &str) -> Result<Value> {
    let reason = reason.trim_start_matches("TurboJPEG error: ").trim_end_matches('.').to_string();
    match decode_still(input, ctx, ImageFormat::Jpeg, ID) {
        Ok(value) => {
            ctx.note(damaged_note(&reason));
            Ok(value)
        }
        Err(e @ (Error::LimitExceeded { .. } | Error::Cancelled)) => Err(e),
        Err(_) => Err(Error::invalid_input(ID, reason)),
    }
}

/// What a conversion of a damaged JPEG says, `reason` being the decoder's.
pub(crate) fn damaged_note(reason: &str) -> String {
    format!("the JPEG is damaged ({}); converted what could be decoded", reason.trim_end_matches('.'))
}

/// What a conversion of a JPEG that libjpeg stopped decoding after `rows`
/// rows of `height` says.
pub(crate) fn cut_note(reason: &str, rows: usize, height: usize) -> String {
    format!(
        "the JPEG is damaged ({}); converted what could be decoded: the {} rows below row {rows} of {height} could not be, and are grey",
        reason.trim_end_matches('.'),
        height - rows
    )
}

/// Images up to this many pixels (icons, sprites, pixel art) keep full
/// chroma: 4:2:0 subsampling smears their one-pixel colour detail and saves
/// them only a few hundred bytes.
const FULL_CHROMA_PIXELS: u64 = 128 * 128;

fn encode(value: Value, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<()> {
    let mut raster = value.into_raster()?;
    let (icc, exif) = (raster.icc_profile.take(), raster.exif.take());
    let quality = QUALITY.integer(ctx.options)? as i32;
    let image = fit_pixels(raster.into_still("JPEG", ctx), Accepts::EIGHT_BIT.without_alpha(), ctx)?;
    let gray = matches!(image, DynamicImage::ImageLuma8(_));
    let (format, subsamp) = sampling(gray, quality, u64::from(image.width()) * u64::from(image.height()));
    let pixels = crate::jpeg_strips::Pixels { bytes: image.as_bytes(), width: image.width() as usize, height: image.height() as usize, format };
    let jpeg = crate::jpeg_strips::compress(&pixels, quality, subsamp)?;
    ctx.progress(0.9);
    write(sink, &jpeg, icc.as_deref(), exif.as_deref())
}

/// How a grey (`gray`) or RGB picture of `pixels` pixels is laid out and
/// its chroma sampled when encoded at `quality`.
pub(crate) fn sampling(gray: bool, quality: i32, pixels: u64) -> (PixelFormat, Subsamp) {
    if gray {
        (PixelFormat::GRAY, Subsamp::Gray)
    } else if quality >= 90 || pixels <= FULL_CHROMA_PIXELS {
        (PixelFormat::RGB, Subsamp::None)
    } else {
        (PixelFormat::RGB, Subsamp::Sub2x2)
    }
}

/// Writes an encoded JPEG with `icc` and `exif` in its header.
///
/// # Errors
/// [`Error::Io`] when `sink` fails.
pub(crate) fn write(sink: &mut dyn Write, jpeg: &crate::jpeg_strips::Jpeg, icc: Option<&[u8]>, exif: Option<&[u8]>) -> Result<()> {
    write_with_markers(sink, jpeg.head(), icc, exif)?;
    Ok(jpeg.write_rest(sink)?)
}

/// Application segments of interest in a JPEG header.
#[derive(Default)]
pub(crate) struct Markers {
    pub(crate) icc: Option<Vec<u8>>,
    pub(crate) exif: Option<Vec<u8>>,
}

const EXIF_TAG: &[u8] = b"Exif\0\0";
const ICC_TAG: &[u8] = b"ICC_PROFILE\0";
/// Payload bytes per APP2 segment: 65535 - 2 (length) - 12 (tag) - 2 (sequence).
const ICC_CHUNK: usize = 65_519;

impl Markers {
    /// Reads the segments before the first scan.
    pub(crate) fn read(bytes: &[u8]) -> Markers {
        let mut markers = Markers::default();
        let mut icc_chunks: Vec<(u8, &[u8])> = Vec::new();
        for (marker, segment) in segments(bytes).map(|s| (s.marker, s.payload(bytes))) {
            match marker {
                0xE1 if segment.starts_with(EXIF_TAG) && markers.exif.is_none() => {
                    markers.exif = Some(segment[EXIF_TAG.len()..].to_vec());
                }
                0xE2 if segment.starts_with(ICC_TAG) && segment.len() > ICC_TAG.len() + 2 => {
                    icc_chunks.push((segment[ICC_TAG.len()], &segment[ICC_TAG.len() + 2..]));
                }
                _ => {}
            }
        }
        if !icc_chunks.is_empty() {
            icc_chunks.sort_by_key(|(seq, _)| *seq);
            markers.icc = Some(icc_chunks.into_iter().flat_map(|(_, data)| data.iter().copied()).collect());
        }
        markers
    }
}

/// A marker segment: its marker byte, where its `FF` stands, and its length
/// field (which counts the two length bytes, not the marker).
#[derive(Clone, Copy)]
pub(crate) struct Segment {
    pub marker: u8,
    pub at: usize,
    pub length: usize,
}

impl Segment {
    /// The bytes after the length field.
    pub fn payload<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        &bytes[self.at + 4..self.at + 2 + self.length.max(2)]
    }
}

/// The segments of a JPEG from after SOI up to and including the first
/// scan header (SOS): the one walk the reader (EXIF, ICC), the strips'
/// joiner and the bands' scan check share. Fill bytes are skipped; a
/// segment running past the end, a byte where a marker should be, and EOI
/// end it.
pub(crate) fn segments(bytes: &[u8]) -> impl Iterator<Item = Segment> + '_ {
    let mut at = 2;
    let mut done = false;
    std::iter::from_fn(move || {
        while !done && bytes.get(at..at + 2) == Some(&[0xFF, 0xFF][..]) {
            at += 1;
        }
        if done || at + 4 > bytes.len() || bytes[at] != 0xFF || bytes[at + 1] == 0xD9 {
            return None;
        }
        let segment = Segment { marker: bytes[at + 1], at, length: usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]])) };
        if at + 2 + segment.length.max(2) > bytes.len() {
            return None;
        }
        done = segment.marker == 0xDA;
        at += 2 + segment.length;
        Some(segment)
    })
}

/// Writes `jpeg` with EXIF (APP1) and ICC (APP2) segments inserted after SOI and JFIF.
fn write_with_markers(sink: &mut dyn Write, jpeg: &[u8], icc: Option<&[u8]>, exif: Option<&[u8]>) -> Result<()> {
    let mut split = 2;
    if jpeg.len() > 6 && jpeg[2] == 0xFF && jpeg[3] == 0xE0 {
        split += 2 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    }
    let split = split.min(jpeg.len());
    sink.write_all(&jpeg[..split])?;
    if let Some(exif) = exif.filter(|e| e.len() + EXIF_TAG.len() + 2 <= 65_535) {
        segment(sink, 0xE1, &[EXIF_TAG, exif])?;
    }
    if let Some(icc) = icc {
        let chunks: Vec<&[u8]> = icc.chunks(ICC_CHUNK).collect();
        if chunks.len() <= 255 {
            for (n, chunk) in chunks.iter().enumerate() {
                segment(sink, 0xE2, &[ICC_TAG, &[n as u8 + 1, chunks.len() as u8], chunk])?;
            }
        }
    }
    sink.write_all(&jpeg[split..])?;
    Ok(())
}

fn segment(sink: &mut dyn Write, marker: u8, parts: &[&[u8]]) -> Result<()> {
    let len: usize = 2 + parts.iter().map(|p| p.len()).sum::<usize>();
    sink.write_all(&[0xFF, marker])?;
    sink.write_all(&(len as u16).to_be_bytes())?;
    for part in parts {
        sink.write_all(part)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_round_trip() {
        let bare = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9];
        let icc = vec![7u8; 70_000];
        let exif = b"MM\0*\0\0\0\x08\0\0".to_vec();
        let mut out = Vec::new();
        write_with_markers(&mut out, &bare, Some(&icc), Some(&exif)).unwrap();
        let read = Markers::read(&out);
        assert_eq!(read.icc.as_deref(), Some(&icc[..]));
        assert_eq!(read.exif.as_deref(), Some(&exif[..]));
        assert!(out.starts_with(&bare[..8]) && out.ends_with(&bare[8..]), "markers go after SOI and APP0");
    }
}
