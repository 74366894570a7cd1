//! Decoding through the `image` crate, shared by most codecs: limits checked
//! from the header before any pixel is allocated, EXIF orientation applied,
//! ICC and EXIF kept, animations read frame by frame.

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::time::Duration;

use fileconv_core::image::metadata::Orientation;
use fileconv_core::image::{self, AnimationDecoder, DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use fileconv_core::{Context, Error, Frame, Input, Raster, Result, Value};

/// The `image` crate's limits for our [`fileconv_core::Limits`].
pub(crate) fn image_limits(ctx: &Context<'_>) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(ctx.limits.max_dimension);
    limits.max_image_height = Some(ctx.limits.max_dimension);
    limits.max_alloc = Some(ctx.memory_left());
    limits
}

/// Maps a decoding failure of the `image` crate for format `id`.
pub(crate) fn decode_error(id: &str, ctx: &Context<'_>, err: ImageError) -> Error {
    match err {
        ImageError::Limits(e) => {
            let (what, limit) = match e.kind() {
                image::error::LimitErrorKind::DimensionError => ("image dimension (pixels)", ctx.limits.max_dimension.into()),
                _ => ("memory (bytes)", ctx.limits.max_memory_bytes),
            };
            Error::LimitExceeded { what, limit, actual: None }
        }
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::invalid_input(id, "the file is truncated")
        }
        ImageError::IoError(e) => Error::invalid_input(id, e),
        ImageError::Decoding(e) => Error::invalid_input(id, e),
        ImageError::Unsupported(e) => Error::invalid_input(id, format!("unsupported variant: {e}")),
        ImageError::Parameter(e) => Error::invalid_input(id, e),
        other => Error::backend(id, other),
    }
}

/// Finishes a decoded still image: checks, orientation, metadata.
///
/// Metadata is read before our limits are handed to the decoder (`image`'s
/// TIFF decoder reads no tags once limits are set; each codec's own default
/// caps still bound metadata size). Pixels are allocated only after the
/// frame size has passed our limits.
pub(crate) fn finish_still<D: ImageDecoder>(mut decoder: D, id: &str, ctx: &Context<'_>) -> Result<Value> {
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(Error::invalid_input(id, format!("the image is empty ({w}x{h})")));
    }
    ctx.charge_frame(w, h, u64::from(decoder.color_type().bytes_per_pixel()))?;
    let icc_profile = decoder.icc_profile().ok().flatten();
    let mut exif = decoder.exif_metadata().ok().flatten();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    decoder.set_limits(image_limits(ctx)).map_err(|e| decode_error(id, ctx, e))?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(id, ctx, e))?;
    image.apply_orientation(orientation);
    if let Some(exif) = exif.as_mut() {
        let _ = Orientation::remove_from_exif_chunk(exif);
    }
    let icc_profile = profile_for(icc_profile, &image, ctx);
    ctx.progress(1.0);
    Ok(Value::Raster(Raster { frames: vec![Frame { image, delay: Duration::ZERO }], icc_profile, exif }))
}

/// Sets an EXIF chunk's orientation to upright, as a reader does once it
/// has turned the picture, and says whether it asked for a turn (the
/// conversions that never hold the whole picture decline those).
pub(crate) fn turn_upright(exif: Option<&mut Vec<u8>>) -> bool {
    exif.and_then(|exif| Orientation::remove_from_exif_chunk(exif)).is_some_and(|o| o != Orientation::NoTransforms)
}

/// The ICC profile when it describes the decoded pixels: a CMYK or Lab
/// profile does not describe the RGB the decoder made of CMYK or Lab
/// samples, and a PNG, JPEG or TIFF that carried it would be wrong (Pillow
/// refuses such a PNG). Said when left out.
pub fn profile_for(icc: Option<Vec<u8>>, image: &DynamicImage, ctx: &Context<'_>) -> Option<Vec<u8>> {
    profile_for_samples(icc, !image.color().has_color(), ctx)
}

/// [`profile_for`] pixels that are grey (`gray`) or RGB.
pub(crate) fn profile_for_samples(icc: Option<Vec<u8>>, gray: bool, ctx: &Context<'_>) -> Option<Vec<u8>> {
    let icc = icc?;
    let space = icc.get(16..20)?;
    if (space == b"RGB " && !gray) || (space == b"GRAY" && gray) {
        return Some(icc);
    }
    ctx.note(format!(
        "the {} colour profile does not describe the converted {} pixels; it is left out",
        String::from_utf8_lossy(space).trim(),
        if gray { "grey" } else { "RGB" }
    ));
    None
}

/// Reads an input through a buffered file handle when it came from a path,
/// so that a large file's memory map is never paged in (keeping peak memory
/// to the decoded pixels), and from the bytes otherwise.
pub(crate) enum InputReader<'a> {
    File(BufReader<File>),
    Bytes(Cursor<&'a [u8]>),
}

impl<'a> InputReader<'a> {
    /// # Errors
    /// [`Error::Io`] when the path cannot be opened again.
    pub(crate) fn open(input: Input<'a>) -> Result<Self> {
        Ok(match input.path {
            Some(path) => InputReader::File(BufReader::with_capacity(1 << 16, File::open(path)?)),
            None => InputReader::Bytes(Cursor::new(input.bytes)),
        })
    }
}

impl Read for InputReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            InputReader::File(r) => r.read(buf),
            InputReader::Bytes(r) => r.read(buf),
        }
    }
}

impl BufRead for InputReader<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        match self {
            InputReader::File(r) => r.fill_buf(),
            InputReader::Bytes(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            InputReader::File(r) => r.consume(amount),
            InputReader::Bytes(r) => r.consume(amount),
        }
    }
}

impl Seek for InputReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        match self {
            InputReader::File(r) => r.seek(to),
            InputReader::Bytes(r) => r.seek(to),
        }
    }
}

/// Decodes a still image of a format the `image` crate knows.
pub(crate) fn decode_still(input: Input<'_>, ctx: &Context<'_>, format: ImageFormat, id: &str) -> Result<Value> {
    let mut reader = ImageReader::with_format(InputReader::open(input)?, format);
    // Our limits are applied by `finish_still`, after the header and metadata are read.
    reader.no_limits();
    let decoder = reader.into_decoder().map_err(|e| decode_error(id, ctx, e))?;
    finish_still(decoder, id, ctx)
}

/// Reads every frame of an animation, checking frame count and total size as it goes.
pub(crate) fn decode_frames<'a>(
    decoder: impl AnimationDecoder<'a>,
    (width, height): (u32, u32),
    id: &str,
    ctx: &Context<'_>,
) -> Result<Value> {
    ctx.limits.check_frame(width, height, 4)?;
    let frame_bytes = u64::from(width) * u64::from(height) * 4;
    let mut frames = Vec::new();
    // The decoder composes each frame on a canvas of its own.
    ctx.charge_memory(frame_bytes, "memory for decoded frames (bytes)")?;
    for frame in decoder.into_frames() {
        ctx.checkpoint()?;
        ctx.limits.check_frames(frames.len() as u64 + 1)?;
        ctx.charge_memory(frame_bytes, "memory for decoded frames (bytes)")?;
        let frame = frame.map_err(|e| decode_error(id, ctx, e))?;
        let (num, den) = frame.delay().numer_denom_ms();
        let delay = Duration::from_micros(u64::from(num) * 1000 / u64::from(den.max(1)));
        frames.push(Frame { image: DynamicImage::ImageRgba8(frame.into_buffer()), delay });
    }
    if frames.is_empty() {
        return Err(Error::invalid_input(id, "the animation has no frames"));
    }
    ctx.progress(1.0);
    Ok(Value::Raster(Raster { frames, icc_profile: None, exif: None }))
}
