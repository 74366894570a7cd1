//! PNG to JPEG with decoding and encoding overlapped: the PNG reader
//! ([`crate::png_rows`]) inflates on one thread and unfilters on another
//! into strips of rows, and each strip is compressed by libjpeg-turbo as
//! soon as its last row is in ([`crate::jpeg_strips`]), while the rows below
//! are still being inflated. The picture is never whole in memory: a 9 MP
//! photo's 27 MB raster becomes a few 1.5 MB strips in flight.
//!
//! Taken for the PNGs the fast reader takes (8-bit grey, grey and alpha,
//! RGB, RGBA; alpha flattened onto the background row by row, as the
//! encoder flattens the whole picture), not turned by EXIF, large enough to
//! be cut into strips. Nothing is written until every strip is compressed, so a
//! file the reader finds fault with half-way is still declined with
//! nothing written, and the two steps give the png crate's reading of it.
//! The output is the two steps' byte for byte (a test compares them): the
//! strips are cut by the same [`Plan`].

use std::io::Write;
use std::sync::{mpsc, Mutex};

use fileconv_core::{Context, Fused, Input, Result};

use crate::jpeg_strips::{Encoded, Pixels, Plan};
use crate::options::{BACKGROUND, QUALITY};
use crate::png_rows::{Header, RowTarget};

inventory::submit! { Fused { from: "png", decoder: "png", to: "jpg", encoder: "turbojpeg", convert } }

/// Decoded strips waiting for a compressor; past that the reader waits.
const QUEUED_STRIPS: usize = 4;

fn convert(input: Input<'_>, sink: &mut dyn Write, ctx: &Context<'_>) -> Result<bool> {
    let cores = crate::worker_cores();
    let Some(header) = Header::read(input)? else { return Ok(false) };
    // Alpha is flattened onto the background as the encoder does: grey
    // and alpha on a grey background stays grey.
    let background = BACKGROUND.color(ctx.options)?.0;
    let background = [background[0], background[1], background[2]];
    let out_channels = match header.channels {
        1 | 3 => header.channels,
        channels => crate::encode::flattened_channels(channels, background),
    };
    let gray = out_channels == 1;
    let mut exif = header.exif.clone();
    // A turned picture is turned whole by the reader.
    if crate::decode::turn_upright(exif.as_mut()) {
        return Ok(false);
    }
    let (width, height) = (header.width as usize, header.height as usize);
    let quality = QUALITY.integer(ctx.options)? as i32;
    let (format, subsamp) = crate::codecs::jpeg::sampling(gray, quality, width as u64 * height as u64);
    let Some(plan) = Plan::new(width, height, subsamp) else { return Ok(false) };
    if cores < 2 {
        return Ok(false);
    }
    ctx.charge_frame(header.width, header.height, header.channels as u64)?;
    let charged = (width * height * header.channels) as u64;
    let (row_bytes, out_bytes) = (width * header.channels, width * out_channels);
    let flatten = (header.channels % 2 == 0).then(|| Flatten {
        rows: [vec![0; row_bytes], vec![0; row_bytes]],
        channels: header.channels,
        out_channels,
        background,
    });

    let (queue, queued) = mpsc::sync_channel::<(usize, Vec<u8>)>(QUEUED_STRIPS);
    let queued = Mutex::new(queued);
    // Compressed strips' buffers, back to the reader for the next strips
    // (every byte of a strip is written before it is sent, so they are not
    // cleared): fresh ones would be 27 MB of page faults for 9 MP.
    let (spare, spares) = mpsc::channel::<Vec<u8>>();
    let compress = |index: usize, rows: &[u8]| {
        let height = plan.rows(index).len();
        let pixels = Pixels { bytes: rows, width, height, format };
        crate::jpeg_strips::compress_strip(&pixels, 0..height, quality, subsamp).map(|jpeg| jpeg.to_vec())
    };
    let (decoded, encoded) = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores)
            .map(|_| {
                let (spare, queued, compress) = (spare.clone(), &queued, &compress);
                scope.spawn(move || -> Encoded {
                    crate::yield_to_the_producer();
                    let mut done = Vec::new();
                    loop {
                        let next = match queued.lock() {
                            Ok(queued) => queued.recv().ok(),
                            Err(_) => None,
                        };
                        let Some((index, rows)) = next else { return done };
                        done.push((index, compress(index, &rows)));
                        let _ = spare.send(rows);
                    }
                })
            })
            .collect();
        drop(spare);
        let strip = vec![0; plan.rows(0).len() * out_bytes];
        let strips = Strips { plan, out_bytes, strip, above: vec![0; out_bytes], flatten, last_row: 0, index: 0, queue, spares };
        // Ends the workers as it goes out of scope: every strip sent, or the reading given up.
        let decoded = crate::png_rows::decode_rows(input, &header, ctx, strips).map(|read| read.map(Strips::finish));
        let encoded: Vec<_> = workers.into_iter().map(|worker| worker.join()).collect();
        (decoded, encoded)
    });
    let joined = match decoded {
        Ok(Ok(())) => plan.assemble(encoded),
        Ok(Err(_declined)) => Ok(None),
        Err(e) => Err(e),
    };
    let jpeg = match joined {
        Ok(Some(jpeg)) => jpeg,
        other => {
            ctx.release_memory(charged);
            // Declined (the reader found fault, or the strips could not be joined): the two steps.
            return other.map(|_| false);
        }
    };
    // As the reader judged it: by the file's own samples.
    let icc = crate::decode::profile_for_samples(header.icc, header.channels <= 2, ctx);
    ctx.progress(0.9);
    crate::codecs::jpeg::write(sink, &jpeg, icc.as_deref(), exif.as_deref())?;
    Ok(true)
}

/// The rows of the strip being read, sent to the compressors as each is
/// complete.
struct Strips {
    plan: Plan,
    /// Bytes per row of a strip.
    out_bytes: usize,
    strip: Vec<u8>,
    /// The last row of the strip sent last: the row above this strip's
    /// first (without alpha, where strips hold the file's own samples).
    above: Vec<u8>,
    flatten: Option<Flatten>,
    last_row: usize,
    index: usize,
    queue: mpsc::SyncSender<(usize, Vec<u8>)>,
    spares: mpsc::Receiver<Vec<u8>>,
}

/// Rows with alpha: unfiltered here, then flattened into the strip.
struct Flatten {
    /// Two rows as the file has them: the one above and the one being unfiltered, by parity.
    rows: [Vec<u8>; 2],
    channels: usize,
    out_channels: usize,
    background: [u8; 3],
}

impl Strips {
    /// Flattens row `row`, unfiltered, into its place in the strip.
    fn flatten_into_strip(&mut self, row: usize) {
        if let Some(f) = &self.flatten {
            let at = row % self.plan.strip_rows * self.out_bytes;
            crate::encode::flatten8(&f.rows[row % 2], f.channels, f.background, f.out_channels, &mut self.strip[at..at + self.out_bytes]);
        }
    }

    /// Sends the strip being read and starts the next.
    fn send(&mut self) {
        let mut next = self.spares.try_recv().unwrap_or_default();
        next.resize(self.plan.rows(self.index + 1).len() * self.out_bytes, 0);
        let full = std::mem::replace(&mut self.strip, next);
        if self.flatten.is_none() {
            self.above.copy_from_slice(&full[full.len() - self.out_bytes..]);
        }
        // Refused only when the workers have ended, which their join reports.
        let _ = self.queue.send((self.index, full));
        self.index += 1;
    }

    /// Sends the last strip.
    fn finish(mut self) {
        self.flatten_into_strip(self.last_row);
        let _ = self.queue.send((self.index, self.strip));
    }
}

impl RowTarget for Strips {
    fn place(&mut self, row: usize) -> (&[u8], &mut [u8]) {
        if row > 0 {
            self.flatten_into_strip(row - 1);
        }
        self.last_row = row;
        let offset = row % self.plan.strip_rows;
        if offset == 0 && row > 0 {
            self.send();
        }
        if let Some(f) = &mut self.flatten {
            let [even, odd] = &mut f.rows;
            return if row % 2 == 0 { (&odd[..], &mut even[..]) } else { (&even[..], &mut odd[..]) };
        }
        let out_bytes = self.out_bytes;
        let (done, rest) = self.strip.split_at_mut(offset * out_bytes);
        let above = if offset == 0 { &self.above[..] } else { &done[(offset - 1) * out_bytes..] };
        (above, &mut rest[..out_bytes])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fused_tests::{assert_offered, two_steps, Refuses};
    use crate::jpeg_strips::tests::picture;
    use fileconv_core::{Control, Error, Limits, MemoryBudget, Notes, Options};

    fn png(width: u32, height: u32, color: png::ColorType, chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
        let channels = match color {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgba => 4,
            _ => 3,
        };
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        for (kind, data) in chunks {
            writer.write_chunk(png::chunk::ChunkType(**kind), data).unwrap();
        }
        writer.write_image_data(&picture(width as usize, height as usize, channels)).unwrap();
        writer.finish().unwrap();
        out
    }

    fn fused(png: &[u8], options: &Options, control: &Control) -> (Result<bool>, Vec<u8>, Vec<String>) {
        let (limits, budget, notes) = (Limits::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(options, &limits, control, &budget, &notes);
        let mut out = Vec::new();
        let taken = convert(Input::from_bytes(png), &mut out, &ctx);
        assert_eq!(ctx.memory_left() == limits.max_memory_bytes, !matches!(taken, Ok(true)), "charged only when taken");
        (taken, out, notes.take())
    }

    #[test]
    fn the_engine_offers_png_to_jpeg_to_it() {
        assert_offered("png", "jpg", convert);
    }

    #[test]
    fn the_jpeg_is_the_two_steps_byte_for_byte() {
        // A Display P3-like RGB profile header is enough for the reader to keep it.
        let mut icc = vec![0u8; 200];
        icc[16..20].copy_from_slice(b"RGB ");
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&icc).unwrap();
        let iccp = [b"p3\0\0".as_slice(), &zlib.finish().unwrap()].concat();
        // Orientation 1: kept, and written to the JPEG.
        let exif = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x01\0\0\0\0\0\0".to_vec();
        for (width, height, color, chunks) in [
            (1500, 1400, png::ColorType::Rgb, vec![(b"iCCP", &iccp[..]), (b"eXIf", &exif[..])]),
            (1203, 1001, png::ColorType::Rgb, vec![]),
            (1100, 999, png::ColorType::Grayscale, vec![]),
            (1500, 1400, png::ColorType::Rgba, vec![]),
            (1100, 999, png::ColorType::GrayscaleAlpha, vec![]),
        ] {
            let file = png(width, height, color, &chunks);
            let orange = Options::new().with("background", "#ff8000");
            for options in [Options::new(), Options::new().with("quality", "95"), Options::new().with("quality", "30"), orange] {
                let two = two_steps().convert_stream(fileconv_core::Source::Bytes(&file), "png", "jpg", &mut Vec::new(), &options, &Control::default()).unwrap();
                let expected = two_steps().convert_with(&file, "png", "jpg", &options).unwrap();
                let (taken, jpeg, notes) = fused(&file, &options, &Control::default());
                assert!(taken.unwrap(), "{width}x{height} {color:?}: taken");
                assert!(jpeg == expected, "{width}x{height} {color:?} {options:?}: differs from the two steps");
                assert_eq!(notes, two.notes);
                let header = turbojpeg::read_header(&jpeg).unwrap();
                assert_eq!((header.width, header.height), (width as usize, height as usize));
            }
            if !chunks.is_empty() {
                let expected = two_steps().convert(&file, "png", "jpg").unwrap();
                let markers = crate::codecs::jpeg::Markers::read(&expected);
                assert_eq!((markers.icc.as_deref(), markers.exif.as_deref()), (Some(&icc[..]), Some(&exif[..])), "profile and EXIF kept");
            }
        }
    }

    #[test]
    fn other_and_damaged_pngs_are_declined_with_nothing_written() {
        let turned_exif = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
        let whole = png(1500, 1400, png::ColorType::Rgb, &[]);
        // A bit flipped late in the image data: found after strips were compressed.
        let mut flipped = whole.clone();
        let at = flipped.len() - 5000;
        flipped[at] ^= 0x10;
        let mut sixteen = Vec::new();
        let mut encoder = png::Encoder::new(&mut sixteen, 1100, 1000);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Sixteen);
        encoder.write_header().unwrap().write_image_data(&picture(1100, 1000, 6)).unwrap();
        for (what, file) in [
            ("small", png(300, 200, png::ColorType::Rgb, &[])),
            ("turned", png(1500, 1400, png::ColorType::Rgb, &[(b"eXIf", &turned_exif[..])])),
            ("sixteen-bit", sixteen),
            ("damaged", flipped),
            ("cut", whole[..whole.len() / 2].to_vec()),
            ("not a PNG", b"\x89PNG\r\n\x1a\n junk".to_vec()),
        ] {
            let (taken, out, notes) = fused(&file, &Options::new(), &Control::default());
            assert!(!taken.unwrap(), "{what}: declined");
            assert!(out.is_empty() && notes.is_empty(), "{what}: nothing written or said");
        }
    }

    #[test]
    fn a_failing_sink_or_a_cancel_ends_it_with_that_error() {
        let file = png(1500, 1400, png::ColorType::Rgb, &[]);
        let (options, limits, control, budget, notes) = (Options::new(), Limits::default(), Control::default(), MemoryBudget::default(), Notes::default());
        let ctx = Context::new(&options, &limits, &control, &budget, &notes);
        let result = convert(Input::from_bytes(&file), &mut Refuses, &ctx);
        assert!(matches!(result, Err(Error::Io(_))), "{result:?}");
        let cancelled = Control { cancel: Some(std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true))), ..Control::default() };
        let (result, out, _) = fused(&file, &options, &cancelled);
        assert!(matches!(result, Err(Error::Cancelled)) && out.is_empty(), "{result:?}");
    }
}
