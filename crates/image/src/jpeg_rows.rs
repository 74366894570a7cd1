//! A JPEG decoded by libjpeg-turbo's scanline interface (`jpeg_rows.c`)
//! into rows its caller places as decoding goes on, so that the rows
//! already decoded can be used (compressed into a PNG) while the rest are
//! still being decoded. Output is TurboJPEG's default decompression's, byte
//! for byte (accurate IDCT, fancy upsampling).

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_void};
use std::panic::AssertUnwindSafe;

/// Row pointers the C side asks for at once.
const BATCH: usize = 32;

type NextRows = unsafe extern "C" fn(state: *mut c_void, decoded: c_uint, rows: *mut *mut u8, max: c_uint) -> c_uint;

extern "C" {
    fn fileconv_jpeg_rows(
        jpeg: *const u8,
        len: c_ulong,
        width: c_uint,
        height: c_uint,
        components: c_int,
        next: NextRows,
        state: *mut c_void,
        message: *mut c_char,
        message_len: usize,
        rows_decoded: *mut c_uint,
    ) -> c_int;
}

/// How a decode ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every row was written, and libjpeg found nothing to warn about.
    Decoded,
    /// The row source gave no room (the consumer stopped).
    Stopped,
    /// libjpeg refused the file, or it is not the picture expected.
    Failed(String),
    /// Every row was written, but libjpeg found the data damaged (its first
    /// warning, or the error it stopped on after the last row): the damaged
    /// rows are what it made of them, as viewers built on it show them.
    Damaged(String),
    /// libjpeg stopped on an error after writing the rows above `rows`;
    /// those below are not written.
    Cut { reason: String, rows: usize },
}

/// Decodes `jpeg`, a picture of `width` x `height` with `components` (1:
/// grey, 3: RGB) 8-bit samples per pixel. Before each batch of rows,
/// `next(decoded, rows)` is told how many rows are written (from the top)
/// and points `rows` at where the next ones go, returning how many it
/// pointed (at most `rows.len()`), or 0 to stop.
///
/// # Safety
/// Every pointer `next` gives must be valid for writes of
/// `width * components` bytes until `next` is called again or this returns,
/// and not be read by anyone meanwhile.
pub unsafe fn decode<F>(jpeg: &[u8], width: usize, height: usize, components: usize, mut next: F) -> Outcome
where
    F: FnMut(usize, &mut [*mut u8]) -> usize,
{
    let (Ok(w), Ok(h), Ok(len)) = (c_uint::try_from(width), c_uint::try_from(height), c_ulong::try_from(jpeg.len())) else {
        return Outcome::Failed("picture too large for libjpeg".to_string());
    };
    let mut message = [0 as c_char; 200];
    let mut rows_decoded: c_uint = 0;
    // SAFETY: `jpeg` is valid for `len` bytes; the state is `next`, which
    // the trampoline casts back to `F`, and outlives the call; the row
    // pointers' validity is this function's contract.
    let status = unsafe {
        fileconv_jpeg_rows(
            jpeg.as_ptr(),
            len,
            w,
            h,
            components as c_int,
            trampoline::<F>,
            (&mut next as *mut F).cast(),
            message.as_mut_ptr(),
            message.len(),
            &mut rows_decoded,
        )
    };
    // SAFETY: the C side always leaves a NUL-terminated string in `message`.
    let text = || unsafe { std::ffi::CStr::from_ptr(message.as_ptr()) }.to_string_lossy().into_owned();
    match status {
        0 => Outcome::Decoded,
        1 => Outcome::Stopped,
        3 => Outcome::Damaged(text()),
        4 if rows_decoded as usize >= height => Outcome::Damaged(text()),
        4 => Outcome::Cut { reason: text(), rows: rows_decoded as usize },
        _ => Outcome::Failed(text()),
    }
}

/// The sample value rows libjpeg could not decode are filled with.
pub const MISSING_SAMPLE: u8 = 128;

/// Decodes `jpeg` (as [`decode`]) into one buffer of packed rows; rows
/// below a cut are [`MISSING_SAMPLE`].
pub fn decode_whole(jpeg: &[u8], width: usize, height: usize, components: usize) -> (Outcome, Vec<u8>) {
    let pitch = width * components;
    let mut pixels = crate::pixel_buffer(pitch * height);
    let base = pixels.as_mut_ptr();
    // SAFETY: every pointer given is a distinct row of `pixels`, which
    // outlives the call and is not read during it.
    let outcome = unsafe {
        decode(jpeg, width, height, components, |decoded, rows| {
            let given = rows.len().min(height - decoded);
            for (i, row) in rows[..given].iter_mut().enumerate() {
                *row = base.add((decoded + i) * pitch);
            }
            given
        })
    };
    if let Outcome::Cut { rows, .. } = outcome {
        pixels[rows * pitch..].fill(MISSING_SAMPLE);
    }
    (outcome, pixels)
}

unsafe extern "C" fn trampoline<F>(state: *mut c_void, decoded: c_uint, rows: *mut *mut u8, max: c_uint) -> c_uint
where
    F: FnMut(usize, &mut [*mut u8]) -> usize,
{
    let max = (max as usize).min(BATCH);
    // SAFETY: `state` is the `F` that `decode` passed, borrowed for the call;
    // `rows` holds `max` pointers' room on the C side's stack.
    let (next, rows) = unsafe { (&mut *state.cast::<F>(), std::slice::from_raw_parts_mut(rows, max)) };
    // A panic must not unwind into C: it stops the decode instead.
    std::panic::catch_unwind(AssertUnwindSafe(|| next(decoded as usize, rows))).map_or(0, |given| given.min(max) as c_uint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_strips::tests::picture;
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    fn rows_of(jpeg: &[u8], width: usize, height: usize, components: usize) -> (Outcome, Vec<u8>) {
        let pitch = width * components;
        let mut pixels = vec![0u8; pitch * height];
        let base = pixels.as_mut_ptr();
        let mut seen = Vec::new();
        // SAFETY: every pointer is a distinct row of `pixels`, which outlives the call.
        let outcome = unsafe {
            decode(jpeg, width, height, components, |decoded, rows| {
                seen.push(decoded);
                let n = rows.len().min(7).min(height - decoded);
                for (i, row) in rows[..n].iter_mut().enumerate() {
                    *row = base.add((decoded + i) * pitch);
                }
                n
            })
        };
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 7), "rows are asked for in order, as many as given: {seen:?}");
        (outcome, pixels)
    }

    #[test]
    fn rows_are_turbojpegs_default_decompression() {
        for (subsamp, format, components) in
            [(Subsamp::Sub2x2, PixelFormat::RGB, 3), (Subsamp::Sub2x1, PixelFormat::RGB, 3), (Subsamp::None, PixelFormat::RGB, 3), (Subsamp::Gray, PixelFormat::GRAY, 1)]
        {
            let (width, height) = (301, 157);
            let pixels = picture(width, height, 3);
            let mut compressor = Compressor::new().unwrap();
            compressor.set_quality(88).unwrap();
            compressor.set_subsamp(subsamp).unwrap();
            let jpeg = compressor.compress_to_vec(Image { pixels: pixels.as_slice(), width, pitch: width * 3, height, format: PixelFormat::RGB }).unwrap();
            let (outcome, rows) = rows_of(&jpeg, width, height, components);
            assert_eq!(outcome, Outcome::Decoded);
            assert!(turbojpeg::decompress(&jpeg, format).unwrap().pixels == rows, "{subsamp:?}: rows differ from TurboJPEG's");
        }
    }

    #[test]
    fn damage_and_refusal_are_told_apart() {
        let (width, height) = (64, 64);
        let pixels = picture(width, height, 3);
        let jpeg = Compressor::new().unwrap().compress_to_vec(Image { pixels: pixels.as_slice(), width, pitch: width * 3, height, format: PixelFormat::RGB }).unwrap();
        let (outcome, rows) = rows_of(&jpeg[..jpeg.len() * 2 / 3], width, height, 3);
        assert!(matches!(&outcome, Outcome::Damaged(m) if m.contains("Premature end")), "{outcome:?}");
        let top = width * 3;
        assert!(rows[..top] == turbojpeg::decompress(&jpeg, PixelFormat::RGB).unwrap().pixels[..top], "the rows before the damage are decoded");
        assert!(decode_whole(&jpeg[..jpeg.len() * 2 / 3], width, height, 3) == (outcome, rows), "the same in one buffer");
        let (outcome, _) = rows_of(b"GIF89a, not a JPEG", width, height, 3);
        assert!(matches!(&outcome, Outcome::Failed(m) if m.contains("Not a JPEG")), "{outcome:?}");
        let (outcome, _) = rows_of(&jpeg, width, height + 1, 3);
        assert!(matches!(&outcome, Outcome::Failed(m) if m.contains("64x64")), "{outcome:?}");
        // SAFETY: no row is given.
        let stopped = unsafe { decode(&jpeg, width, height, 3, |_, _| 0) };
        assert_eq!(stopped, Outcome::Stopped);
    }
}
