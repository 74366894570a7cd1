//! PNG pixels decoded on two cores: the calling thread reads the IDAT chunks
//! and inflates them, a second thread undoes the row filters, a batch of
//! rows at a time, so the two halves of decoding (about 70% and 30% of it)
//! overlap instead of following each other.
//!
//! Taken for the PNGs cameras, phones and screenshots write: 8-bit grey,
//! grey and alpha, RGB or RGBA, not interlaced, without `tRNS`, not
//! animated. Everything else, and every file this reader finds fault with
//! (a bad CRC, a short or corrupt zlib stream, an unknown filter), goes to
//! the png crate as before, which decodes it or gives its error.

use std::io::{Read, Seek, SeekFrom};
use std::sync::mpsc;

use fileconv_core::image::metadata::Orientation;
use fileconv_core::image::{DynamicImage, GrayAlphaImage, GrayImage, RgbImage, RgbaImage};
use fileconv_core::{Context, Error, Frame, Input, Raster, Result, Value};

use crate::decode::{profile_for, InputReader};
use crate::idat::{average, paeth};

/// zlib's window: how far back a match may reach into earlier output.
const LOOKBACK: usize = 32 * 1024;
/// Filtered bytes handed to the unfiltering thread at once.
const BATCH_BYTES: usize = 128 * 1024;

/// Why this reader gave a file back to the png crate.
pub(crate) struct Declined;

/// Where the unfiltered rows go: each row's place, asked for in order, once.
pub(crate) trait RowTarget: Send {
    /// Row `row`'s place, and the row above it, unfiltered (zeros above the first).
    fn place(&mut self, row: usize) -> (&[u8], &mut [u8]);
}

/// The whole picture in one buffer.
struct Picture {
    pixels: Vec<u8>,
    row_bytes: usize,
    zeros: Vec<u8>,
}

impl RowTarget for Picture {
    fn place(&mut self, row: usize) -> (&[u8], &mut [u8]) {
        let row_bytes = self.row_bytes;
        let (done, rest) = self.pixels.split_at_mut(row * row_bytes);
        let above = if row == 0 { &self.zeros[..] } else { &done[(row - 1) * row_bytes..] };
        (above, &mut rest[..row_bytes])
    }
}

/// The decoded still image, or `None` when the file is not one this reader
/// takes or it found fault with it (nothing is left charged then).
///
/// # Errors
/// [`Error::LimitExceeded`] for an image over the limits; [`Error::Io`];
/// [`Error::Cancelled`].
pub(crate) fn decode(input: Input<'_>, ctx: &Context<'_>) -> Result<Option<Value>> {
    let Some(header) = Header::read(input)? else { return Ok(None) };
    let bytes = u64::from(header.width) * u64::from(header.height) * header.channels as u64;
    ctx.charge_frame(header.width, header.height, header.channels as u64)?;
    let row_bytes = header.width as usize * header.channels;
    let picture = Picture { pixels: crate::pixel_buffer(row_bytes * header.height as usize), row_bytes, zeros: vec![0; row_bytes] };
    match decode_rows(input, &header, ctx, picture) {
        Ok(Ok(picture)) => finish(picture.pixels, header, ctx).map(Some),
        Ok(Err(Declined)) => {
            ctx.release_memory(bytes);
            Ok(None)
        }
        Err(e) => {
            ctx.release_memory(bytes);
            Err(e)
        }
    }
}

/// What the png crate read of the header and the chunks before the image data.
pub(crate) struct Header {
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) channels: usize,
    pub(crate) icc: Option<Vec<u8>>,
    pub(crate) exif: Option<Vec<u8>>,
}

impl Header {
    /// The header of a PNG this reader takes; `None` for any other file.
    ///
    /// # Errors
    /// [`Error::Io`] when the input's path cannot be opened again.
    pub(crate) fn read(input: Input<'_>) -> Result<Option<Header>> {
        let Ok(reader) = png::Decoder::new(InputReader::open(input)?).read_info() else { return Ok(None) };
        let info = reader.info();
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => return Ok(None),
        };
        if info.bit_depth != png::BitDepth::Eight
            || info.interlaced
            || info.trns.is_some()
            || info.animation_control.is_some()
            || info.width == 0
            || info.height == 0
        {
            return Ok(None);
        }
        Ok(Some(Header {
            width: info.width,
            height: info.height,
            channels,
            icc: info.icc_profile.as_ref().map(|p| p.to_vec()),
            exif: info.exif_metadata.as_ref().map(|e| e.to_vec()),
        }))
    }
}

fn finish(pixels: Vec<u8>, header: Header, ctx: &Context<'_>) -> Result<Value> {
    let (w, h) = (header.width, header.height);
    let short = || Error::Internal("PNG pixel buffer of the wrong size".into());
    let mut image = match header.channels {
        1 => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(short)?),
        2 => DynamicImage::ImageLumaA8(GrayAlphaImage::from_raw(w, h, pixels).ok_or_else(short)?),
        3 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(short)?),
        _ => DynamicImage::ImageRgba8(RgbaImage::from_raw(w, h, pixels).ok_or_else(short)?),
    };
    let mut exif = header.exif;
    if let Some(exif) = exif.as_mut() {
        if let Some(orientation) = Orientation::remove_from_exif_chunk(exif) {
            image.apply_orientation(orientation);
        }
    }
    let icc_profile = profile_for(header.icc, &image, ctx);
    ctx.progress(1.0);
    Ok(Value::Raster(Raster { frames: vec![Frame { image, delay: std::time::Duration::ZERO }], icc_profile, exif }))
}

/// Inflates on this thread and unfilters on another into `target`, which
/// is given back once every row is in it.
///
/// # Errors
/// As [`decode`].
pub(crate) fn decode_rows<T: RowTarget>(input: Input<'_>, header: &Header, ctx: &Context<'_>, mut target: T) -> Result<std::result::Result<T, Declined>> {
    let row_bytes = header.width as usize * header.channels;
    let height = header.height as usize;
    let (batch_tx, batch_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    if (row_bytes + 1) * height <= BATCH_BYTES {
        // One batch: no second thread is worth starting (icons, sprites).
        let inflated = inflate_rows(input, row_bytes + 1, height, ctx, &batch_tx)?;
        drop(batch_tx);
        return Ok(match (inflated, unfilter_rows(batch_rx, row_bytes, height, header.channels, &mut target)) {
            (Ok(()), Some(())) => Ok(target),
            _ => Err(Declined),
        });
    }
    std::thread::scope(|scope| {
        let unfilter = scope.spawn(move || unfilter_rows(batch_rx, row_bytes, height, header.channels, &mut target).map(|()| target));
        let inflated = inflate_rows(input, row_bytes + 1, height, ctx, &batch_tx);
        drop(batch_tx);
        let target = unfilter.join().map_err(|_| Error::Internal("the PNG unfiltering thread panicked".into()))?;
        Ok(match (inflated?, target) {
            (Ok(()), Some(target)) => Ok(target),
            _ => Err(Declined),
        })
    })
}

/// Reads the IDAT chunks from the start of the file and sends the filtered
/// rows, whole rows only, in batches.
fn inflate_rows(
    input: Input<'_>,
    stride: usize,
    height: usize,
    ctx: &Context<'_>,
    batches: &mpsc::SyncSender<Vec<u8>>,
) -> Result<std::result::Result<(), Declined>> {
    let mut file = InputReader::open(input)?;
    let mut signature = [0u8; 8];
    if file.read_exact(&mut signature).is_err() {
        return Ok(Err(Declined));
    }
    let total = stride * height;
    let mut inflater = fdeflate::Decompressor::new();
    // The png crate does not check the Adler-32 either.
    inflater.ignore_adler32();
    let mut out = vec![0u8; LOOKBACK + (4 * BATCH_BYTES).max(2 * stride)];
    let (mut filled, mut sent, mut sent_total) = (0usize, 0usize, 0usize);
    let mut chunk = vec![0u8; 64 * 1024];
    let mut seen_data = false;
    loop {
        let mut head = [0u8; 8];
        if file.read_exact(&mut head).is_err() {
            return Ok(Err(Declined));
        }
        let length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = [head[4], head[5], head[6], head[7]];
        if &kind != b"IDAT" {
            if seen_data || &kind == b"IEND" {
                break;
            }
            if file.seek(SeekFrom::Current(length as i64 + 4)).is_err() {
                return Ok(Err(Declined));
            }
            continue;
        }
        seen_data = true;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&kind);
        let mut left = length;
        while left > 0 {
            ctx.checkpoint()?;
            let piece = &mut chunk[..left.min(64 * 1024)];
            if file.read_exact(piece).is_err() {
                return Ok(Err(Declined));
            }
            crc.update(piece);
            left -= piece.len();
            let mut data: &[u8] = piece;
            while !data.is_empty() && !inflater.is_done() && sent_total < total {
                let Ok((consumed, produced)) = inflater.read(data, &mut out, filled, false) else { return Ok(Err(Declined)) };
                data = &data[consumed..];
                filled += produced;
                if send_rows(&mut out, &mut filled, &mut sent, &mut sent_total, stride, total, batches, false).is_err() {
                    return Ok(Err(Declined));
                }
            }
        }
        let mut stored = [0u8; 4];
        if file.read_exact(&mut stored).is_err() || crc.finalize() != u32::from_be_bytes(stored) {
            return Ok(Err(Declined));
        }
        ctx.progress(0.9 * sent_total as f32 / total as f32);
    }
    // What the inflater still holds once the input has ended.
    while !inflater.is_done() && sent_total + (filled - sent) < total {
        let Ok((_, produced)) = inflater.read(&[], &mut out, filled, true) else { return Ok(Err(Declined)) };
        if produced == 0 {
            break;
        }
        filled += produced;
        if send_rows(&mut out, &mut filled, &mut sent, &mut sent_total, stride, total, batches, false).is_err() {
            return Ok(Err(Declined));
        }
    }
    if send_rows(&mut out, &mut filled, &mut sent, &mut sent_total, stride, total, batches, true).is_err() || sent_total < total {
        return Ok(Err(Declined));
    }
    Ok(Ok(()))
}

/// Sends the whole rows inflated and not yet sent, once a batch is ready
/// (or at `end`), and makes room in `out` when it is full, keeping the
/// lookback window and the partial row. Rows past the image's are dropped.
#[allow(clippy::too_many_arguments)]
fn send_rows(
    out: &mut [u8],
    filled: &mut usize,
    sent: &mut usize,
    sent_total: &mut usize,
    stride: usize,
    total: usize,
    batches: &mpsc::SyncSender<Vec<u8>>,
    end: bool,
) -> std::result::Result<(), mpsc::SendError<Vec<u8>>> {
    let ready = (*filled - *sent) / stride * stride;
    let ready = ready.min(total - *sent_total);
    if ready > 0 && (ready >= BATCH_BYTES || end || *filled == out.len() || *sent_total + ready == total) {
        batches.send(out[*sent..*sent + ready].to_vec())?;
        *sent += ready;
        *sent_total += ready;
    }
    if *filled == out.len() {
        let keep_from = (*sent).min(*filled - LOOKBACK);
        out.copy_within(keep_from..*filled, 0);
        *filled -= keep_from;
        *sent -= keep_from;
    }
    Ok(())
}

/// Undoes the filters of the rows as they arrive, into `target`; `None`
/// for an unknown filter type or too few rows.
fn unfilter_rows(batches: mpsc::Receiver<Vec<u8>>, row_bytes: usize, height: usize, channels: usize, target: &mut impl RowTarget) -> Option<()> {
    let mut row = 0;
    for batch in batches {
        for line in batch.chunks_exact(row_bytes + 1) {
            let (previous, current) = target.place(row);
            let (filter, raw) = (line[0], &line[1..]);
            match channels {
                1 => unfilter::<1>(filter, raw, previous, current)?,
                2 => unfilter::<2>(filter, raw, previous, current)?,
                3 => unfilter::<3>(filter, raw, previous, current)?,
                _ => unfilter::<4>(filter, raw, previous, current)?,
            }
            row += 1;
        }
    }
    (row == height).then_some(())
}

/// Undoes one row's filter: `raw` is the row as filtered, `current` gets
/// it unfiltered; `B` bytes per pixel.
fn unfilter<const B: usize>(filter: u8, raw: &[u8], previous: &[u8], current: &mut [u8]) -> Option<()> {
    match filter {
        0 => current.copy_from_slice(raw),
        1 => {
            let mut left = [0u8; B];
            for (pixel, raw) in current.chunks_exact_mut(B).zip(raw.chunks_exact(B)) {
                for k in 0..B {
                    pixel[k] = raw[k].wrapping_add(left[k]);
                    left[k] = pixel[k];
                }
            }
        }
        2 => {
            for ((x, &r), &b) in current.iter_mut().zip(raw).zip(previous) {
                *x = r.wrapping_add(b);
            }
        }
        3 => {
            let mut left = [0u8; B];
            for ((pixel, raw), above) in current.chunks_exact_mut(B).zip(raw.chunks_exact(B)).zip(previous.chunks_exact(B)) {
                for k in 0..B {
                    pixel[k] = raw[k].wrapping_add(average(left[k], above[k]));
                    left[k] = pixel[k];
                }
            }
        }
        4 => {
            let (mut left, mut above_left) = ([0u8; B], [0u8; B]);
            for ((pixel, raw), above) in current.chunks_exact_mut(B).zip(raw.chunks_exact(B)).zip(previous.chunks_exact(B)) {
                for k in 0..B {
                    pixel[k] = raw[k].wrapping_add(paeth(left[k], above[k], above_left[k]));
                    left[k] = pixel[k];
                    above_left[k] = above[k];
                }
            }
        }
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};

    fn encode(width: u32, height: u32, color: png::ColorType, pixels: &[u8], compression: png::Compression) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(compression);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(pixels).unwrap();
        writer.finish().unwrap();
        out
    }

    fn with_context<T>(f: impl FnOnce(&Context<'_>) -> T) -> T {
        let (options, limits, control, budget, notes) = (Options::default(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        f(&Context::new(&options, &limits, &control, &budget, &notes))
    }

    fn pixels(len: usize) -> Vec<u8> {
        let mut state = 1u32;
        (0..len)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                if (i / 500) % 3 == 0 { (state >> 28) as u8 } else { (i % 253) as u8 }
            })
            .collect()
    }

    #[test]
    fn every_filter_and_channel_count_decodes_as_the_png_crate_does() {
        for (color, channels) in [(png::ColorType::Grayscale, 1), (png::ColorType::GrayscaleAlpha, 2), (png::ColorType::Rgb, 3), (png::ColorType::Rgba, 4)] {
            for (width, height) in [(1, 1), (300, 211), (1500, 900)] {
                let raw = pixels(width * height * channels);
                for compression in [png::Compression::Fastest, png::Compression::Balanced, png::Compression::NoCompression] {
                    let file = encode(width as u32, height as u32, color, &raw, compression);
                    let value = with_context(|ctx| decode(Input::from_bytes(&file), ctx)).unwrap().expect("taken");
                    let Value::Raster(raster) = value else { panic!("a raster") };
                    assert_eq!(raster.first().as_bytes(), &raw[..], "{color:?} {width}x{height} {compression:?}");
                }
            }
        }
    }

    #[test]
    fn damaged_and_other_files_are_left_to_the_png_crate() {
        let raw = pixels(64 * 64 * 3);
        let file = encode(64, 64, png::ColorType::Rgb, &raw, png::Compression::Balanced);
        let data_at = file.windows(4).position(|w| w == b"IDAT").unwrap();
        // A bit flipped in the image data: the CRC no longer matches.
        let mut flipped = file.clone();
        flipped[data_at + 10] ^= 0x10;
        // Cut in the middle of the image data.
        let cut = &file[..data_at + 40];
        // Sixteen-bit samples.
        let mut sixteen = Vec::new();
        let mut encoder = png::Encoder::new(&mut sixteen, 8, 8);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.write_header().unwrap().write_image_data(&[7; 8 * 8 * 6]).unwrap();
        for (name, bytes) in [("flipped", &flipped[..]), ("cut", cut), ("sixteen", &sixteen[..]), ("noise", &raw[..500])] {
            let (result, used) = with_context(|ctx| (decode(Input::from_bytes(bytes), ctx).unwrap().is_none(), ctx.memory_left()));
            assert!(result, "{name} is declined");
            assert_eq!(used, Limits::default().max_memory_bytes, "{name}: nothing left charged");
        }
    }
}
