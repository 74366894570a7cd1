//! JPEG to PNG with decoding and encoding overlapped: one thread decodes the
//! JPEG row by row ([`crate::jpeg_rows`]) into a ring of rows while the PNG
//! workers filter and deflate the segments already decoded
//! ([`crate::idat`]), so neither waits for the other to finish the whole
//! picture, and the picture is never whole in memory (the ring holds eight
//! segments' rows: 4 MB, where a 9 MP raster is 27 MB).
//!
//! The PNG is started once libjpeg has decoded rows; a file it refuses
//! before that is declined with nothing written, and goes the usual way
//! (the JPEG reader's fallbacks). Damaged data it decodes past, or stops on
//! after some rows, gives the same rows (grey below where it stopped) and
//! the same note as the JPEG reader. The output is the two steps' byte for
//! byte (a test compares them).

use std::io::Write;
use std::sync::mpsc;

use fileconv_core::image::ColorType;
use fileconv_core::{Context, Error, Fused, Input, Result};

use crate::codecs::jpeg::{cut_note, damaged_note, Markers};
use crate::idat::{RowGate, Rows};
use crate::jpeg_rows::Outcome;
use crate::options::COMPRESSION;

inventory::submit! { Fused { from: "jpg", decoder: "turbojpeg", to: "png", encoder: "png", convert } }

/// Below this many pixels the two steps are as quick: not worth a thread.
const MIN_PIXELS: usize = 1 << 20;
/// Segments' worth of rows the ring holds: enough that the decoder rarely
/// waits for the workers.
const RING_SEGMENTS: usize = 8;

fn convert(input: Input<'_>, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<bool> {
    convert_in_ring(input, sink, ctx, RING_SEGMENTS)
}

fn convert_in_ring(input: Input<'_>, sink: &mut dyn Write, ctx: &Context<'_>, ring_segments: usize) -> Result<bool> {
    let jpeg = input.bytes;
    let Ok(header) = turbojpeg::read_header(jpeg) else { return Ok(false) };
    let (width, height) = (header.width, header.height);
    let Some(format) = crate::codecs::jpeg::pixel_format(header.colorspace) else { return Ok(false) };
    let components = format.size();
    let color = if components == 1 { ColorType::L8 } else { ColorType::Rgb8 };
    let cores = crate::worker_cores();
    if cores < 2 || width.saturating_mul(height) < MIN_PIXELS {
        return Ok(false);
    }
    let mut markers = Markers::read(jpeg);
    // A turned picture is turned whole by the reader.
    if crate::decode::turn_upright(markers.exif.as_mut()) {
        return Ok(false);
    }
    let level = COMPRESSION.integer(ctx.options)? as u8;
    let (Ok(w), Ok(h)) = (u32::try_from(width), u32::try_from(height)) else { return Ok(false) };
    ctx.charge_frame(w, h, components as u64)?;

    let pitch = width * components;
    let segment_rows = crate::idat::rows_per_segment(pitch);
    let held = (ring_segments * segment_rows).max(segment_rows + 1).min(height);
    let mut ring = vec![0u8; held * pitch];
    let ring = RingPointer(ring.as_mut_ptr());
    let gate = RowGate::new(held);
    let (started, decoding) = mpsc::sync_channel::<()>(1);

    // The rows below where libjpeg stopped, as the JPEG reader fills them.
    let fill_missing = |mut done: usize| {
        while done < height {
            let given = gate.room(done, height - done);
            if given == 0 {
                return;
            }
            for row in done..done + given {
                // SAFETY: the gate gave room for these rows, each `pitch`
                // bytes at its place in the ring.
                unsafe { std::ptr::write_bytes(ring.at(row % held * pitch), crate::jpeg_rows::MISSING_SAMPLE, pitch) };
            }
            done += given;
            gate.written(done);
        }
    };
    std::thread::scope(|scope| {
        let decoder = scope.spawn(|| {
            let mut started = Some(started);
            // SAFETY: each pointer given is row `i`'s place `i % held` in the
            // ring, given only once the gate has room for it (the workers
            // are done with the row it held), and read by them only once
            // `written` counts it.
            let outcome = unsafe {
                crate::jpeg_rows::decode(jpeg, width, height, components, |done, rows| {
                    // Rows decoded: libjpeg took the file.
                    if done > 0 {
                        if let Some(started) = started.take() {
                            let _ = started.send(());
                        }
                    }
                    gate.written(done);
                    let given = gate.room(done, rows.len().min(height - done));
                    for (i, row) in rows[..given].iter_mut().enumerate() {
                        *row = ring.at((done + i) % held * pitch);
                    }
                    given
                })
            };
            if let Outcome::Cut { rows, .. } = outcome {
                fill_missing(rows);
            }
            match outcome {
                Outcome::Decoded | Outcome::Damaged(_) | Outcome::Cut { .. } => {
                    gate.written(height);
                    if let Some(started) = started {
                        let _ = started.send(());
                    }
                }
                Outcome::Stopped | Outcome::Failed(_) => gate.stop(),
            }
            outcome
        });
        let outcome = |decoder: std::thread::ScopedJoinHandle<'_, Outcome>| decoder.join().unwrap_or_else(|_| Outcome::Failed("the JPEG decoder panicked".to_string()));
        // Refused before any row was decoded (the sender dropped unused):
        // the two steps take it, and give the reader's fallbacks and error.
        if decoding.recv().is_err() {
            outcome(decoder);
            ctx.release_memory(width as u64 * height as u64 * components as u64);
            return Ok(false);
        }
        // SAFETY: the ring is `held * pitch` bytes, alive until the scope
        // ends; the decoder writes it as `Rows::arriving` requires.
        let rows = unsafe { Rows::arriving(ring.0, height, held, pitch, components, &gate) };
        let written = crate::codecs::png::write_still(sink, w, h, color, markers.icc, &rows, level, ctx);
        gate.stop();
        match (written, outcome(decoder)) {
            (Ok(()), Outcome::Decoded) => Ok(true),
            (Ok(()), Outcome::Damaged(warning)) => {
                ctx.note(damaged_note(&warning));
                Ok(true)
            }
            (Ok(()), Outcome::Cut { reason, rows }) => {
                ctx.note(cut_note(&reason, rows, height));
                Ok(true)
            }
            (_, Outcome::Failed(reason)) => Err(Error::invalid_input("jpg", reason)),
            (Err(e), _) => Err(e),
            (Ok(()), Outcome::Stopped) => Err(Error::Internal("the JPEG decoder stopped before the PNG was written".to_string())),
        }
    })
}

/// The ring's address, for the decoding thread.
#[derive(Clone, Copy)]
struct RingPointer(*mut u8);

impl RingPointer {
    /// # Safety
    /// `offset` must lie inside the ring.
    unsafe fn at(self, offset: usize) -> *mut u8 {
        // SAFETY: as the caller promises.
        unsafe { self.0.add(offset) }
    }
}

// SAFETY: the pointer is used as `Rows::arriving` and the gate require:
// each row by one thread at a time.
unsafe impl Send for RingPointer {}
// SAFETY: as for Send.
unsafe impl Sync for RingPointer {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused_tests::{assert_offered, two_steps, Refuses};
    use crate::jpeg_strips::tests::picture;
    use fileconv_core::{Control, Limits, MemoryBudget, Notes, Options};
    use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

    fn jpeg(width: usize, height: usize, subsamp: Subsamp) -> Vec<u8> {
        let pixels = picture(width, height, 3);
        let mut compressor = Compressor::new().unwrap();
        compressor.set_quality(85).unwrap();
        compressor.set_subsamp(subsamp).unwrap();
        compressor.compress_to_vec(Image { pixels: pixels.as_slice(), width, pitch: width * 3, height, format: PixelFormat::RGB }).unwrap()
    }

    fn fused(jpeg: &[u8], ring_segments: usize, options: &Options) -> (Result<bool>, Vec<u8>) {
        let (limits, control, budget, notes) = (Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(options, &limits, &control, &budget, &notes);
        let mut out = Vec::new();
        let taken = convert_in_ring(Input::from_bytes(jpeg), &mut out, &ctx, ring_segments);
        assert!(notes.take().is_empty(), "no notes");
        (taken, out)
    }

    #[test]
    fn the_engine_offers_jpeg_to_png_to_it() {
        assert_offered("jpg", "png", convert);
    }

    #[test]
    fn the_png_is_the_two_steps_byte_for_byte() {
        for (width, height, subsamp) in [(1500, 1400, Subsamp::Sub2x2), (1031, 1111, Subsamp::Sub2x1), (1024, 1030, Subsamp::Gray)] {
            let jpeg = jpeg(width, height, subsamp);
            let expected = two_steps().convert(&jpeg, "jpg", "png").unwrap();
            // A ring smaller than the picture (it wraps round several
            // times, the decoder waiting for the workers) and a larger one.
            for ring_segments in [2, 3, 100] {
                let (taken, png) = fused(&jpeg, ring_segments, &Options::new());
                assert!(taken.unwrap(), "{width}x{height} {subsamp:?}: taken");
                assert!(png == expected, "{width}x{height} {subsamp:?}, ring of {ring_segments} segments: differs from the two steps");
            }
            let level9 = Options::new().with("compression", "9");
            let (taken, png) = fused(&jpeg, 3, &level9);
            assert!(taken.unwrap());
            assert!(png == two_steps().convert_with(&jpeg, "jpg", "png", &level9).unwrap(), "compression 9 differs");
        }
    }

    #[test]
    fn damaged_data_gives_the_readers_rows_and_note() {
        let whole = jpeg(1200, 1000, Subsamp::Sub2x2);
        // Cut short (a warning: libjpeg decodes past it), and ending in a
        // marker libjpeg stops on after the last row.
        let cut = whole[..whole.len() * 3 / 4].to_vec();
        let bad_end = [&whole[..whole.len() - 2], &[0xFF, 0xA9, 0, 4, 0, 0][..]].concat();
        for (file, note) in [(cut, "damaged (Premature end of JPEG file)"), (bad_end, "damaged (Unsupported marker type 0xa9)")] {
            let two = two_steps().convert_stream(fileconv_core::Source::Bytes(&file), "jpg", "png", &mut Vec::new(), &Options::new(), &Control::default()).unwrap();
            assert!(two.notes.iter().any(|n| n.contains(note)), "{:?}", two.notes);
            let (options, limits, control, budget, notes) = (Options::new(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
            let ctx = Context::new(&options, &limits, &control, &budget, &notes);
            let mut png = Vec::new();
            assert!(convert_in_ring(Input::from_bytes(&file), &mut png, &ctx, 2).unwrap(), "taken");
            assert_eq!(notes.take(), two.notes);
            assert!(png == two_steps().convert(&file, "jpg", "png").unwrap(), "{note}: the two steps' bytes");
        }
    }

    #[test]
    fn small_unreadable_and_turned_files_are_declined_with_nothing_written() {
        let mut turned = jpeg(1200, 1000, Subsamp::Sub2x2);
        // An APP1 Exif segment, big-endian TIFF, one entry: orientation 6.
        let exif = [b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".as_slice()].concat();
        let segment = [&[0xFF, 0xE1][..], &((exif.len() + 2) as u16).to_be_bytes(), &exif].concat();
        turned.splice(2..2, segment);
        let mut header_damaged = jpeg(1200, 1000, Subsamp::Sub2x2);
        // A frame header whose components' sampling factors are zero.
        let sof = header_damaged.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
        header_damaged[sof + 11] = 0;
        // Twelve bits per sample: libjpeg's 8-bit decoder refuses it as it starts.
        let twelve_bit = {
            let samples: Vec<i16> = picture(1200, 1000, 3).into_iter().map(|v| i16::from(v) * 16).collect();
            // SAFETY: a fresh handle, used and destroyed here; the buffers are valid for their lengths.
            unsafe {
                use turbojpeg::raw;
                let handle = raw::tj3Init(raw::TJINIT_TJINIT_COMPRESS as i32);
                assert_eq!(raw::tj3Set(handle, raw::TJPARAM_TJPARAM_SUBSAMP as i32, raw::TJSAMP_TJSAMP_420 as i32), 0);
                assert_eq!(raw::tj3Set(handle, raw::TJPARAM_TJPARAM_QUALITY as i32, 85), 0);
                let (mut buffer, mut size): (*mut u8, raw::size_t) = (std::ptr::null_mut(), 0);
                assert_eq!(raw::tj3Compress12(handle, samples.as_ptr(), 1200, 3600, 1000, PixelFormat::RGB as i32, &mut buffer, &mut size), 0);
                let bytes = std::slice::from_raw_parts(buffer, size as usize).to_vec();
                raw::tj3Free(buffer.cast());
                raw::tj3Destroy(handle);
                bytes
            }
        };
        for (what, file) in [
            ("small", jpeg(300, 200, Subsamp::Sub2x2)),
            ("not a JPEG", b"\xFF\xD8\xFF junk".to_vec()),
            ("turned", turned),
            ("bad frame header", header_damaged),
            ("twelve-bit", twelve_bit),
        ] {
            let (taken, out) = fused(&file, RING_SEGMENTS, &Options::new());
            assert!(!taken.unwrap(), "{what}: declined");
            assert!(out.is_empty(), "{what}: nothing written");
        }
    }

    #[test]
    fn a_failing_sink_or_a_cancel_ends_it_with_that_error() {
        let jpeg = jpeg(1500, 1400, Subsamp::Sub2x2);
        let (options, limits, budget, notes) = (Options::new(), Limits::default(), MemoryBudget::default(), Notes::default());
        let control = Control::default();
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let result = convert_in_ring(Input::from_bytes(&jpeg), &mut Refuses, &ctx, 2);
        assert!(matches!(result, Err(fileconv_core::Error::Io(_))), "{result:?}");
        // Cancelled before the first segment: the decoder, waiting for room
        // in a small ring, is stopped too (the call returns).
        let control = Control { cancel: Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true))), ..Control::default() };
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let result = convert_in_ring(Input::from_bytes(&jpeg), &mut Vec::new(), &ctx, 2);
        assert!(matches!(result, Err(fileconv_core::Error::Cancelled)), "{result:?}");
    }
}
