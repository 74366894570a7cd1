//! Baseline JPEG encoded on every core: the image is cut into horizontal
//! strips a whole number of MCU rows high, each strip encoded by its own
//! libjpeg-turbo compressor, and the strips' entropy-coded data joined with
//! restart markers into one scan.
//!
//! Why the result is the JPEG one compressor would have written, but for
//! the restart markers: every strip uses the same quantisation tables and
//! libjpeg's standard Huffman tables (no per-image optimisation), and the
//! colour conversion and chroma downsampling of an MCU row read no pixel
//! outside it; a restart marker resets the DC predictions, as the start of
//! each strip's own scan did. So every 8x8 block has the coefficients the
//! one-pass encoder gives it, and decodes to the same pixels (a test holds
//! that). A strip's scan ends padded with 1-bits, as libjpeg pads before a
//! restart marker. The restart interval is the MCUs of one strip.

use fileconv_core::{Error, Result};
use turbojpeg::{Compressor, OwnedBuf, PixelFormat, Subsamp};

/// Below this many pixels one compressor is quicker than starting threads.
const MIN_PIXELS: u64 = 1 << 20;
/// About how many pixels each strip holds: small enough that strips keep
/// both cores busy to the end, and that a conversion which compresses rows
/// as they are decoded ([`crate::png_to_jpeg`]) holds few of them; large
/// enough that a strip's own compressor and restart marker cost nothing
/// measurable (a 9 MP photo is 17 strips).
const STRIP_PIXELS: usize = 1 << 19;

/// What to encode: packed 8-bit pixels, top to bottom.
pub struct Pixels<'a> {
    pub bytes: &'a [u8],
    pub width: usize,
    pub height: usize,
    pub format: PixelFormat,
}

/// How a picture is cut into strips. It depends on the picture's size and
/// sampling only, never on the machine, so that a file is encoded to the
/// same bytes everywhere and whichever way its rows arrive.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Pixel rows per strip (the last may have fewer).
    pub strip_rows: usize,
    pub strips: usize,
    /// MCUs per strip: the restart interval.
    restart_interval: usize,
    height: usize,
}

impl Plan {
    /// The strips of a `width` x `height` picture sampled as `subsamp`, or
    /// `None` when it is best encoded by one compressor (small pictures).
    pub fn new(width: usize, height: usize, subsamp: Subsamp) -> Option<Plan> {
        if (width as u64) * (height as u64) < MIN_PIXELS {
            return None;
        }
        let (across, down) = subsamp.size();
        let mcu_rows = 8 * down;
        let mcu_columns = width.div_ceil(8 * across);
        let bands = height.div_ceil(mcu_rows);
        // The restart interval (MCUs per strip) is a 16-bit field.
        let max_bands = usize::from(u16::MAX) / mcu_columns.max(1);
        let bands_per_strip = STRIP_PIXELS.div_ceil(width * mcu_rows).min(max_bands);
        if bands_per_strip == 0 || bands_per_strip >= bands {
            return None;
        }
        let strip_rows = bands_per_strip * mcu_rows;
        Some(Plan { strip_rows, strips: height.div_ceil(strip_rows), restart_interval: mcu_columns * bands_per_strip, height })
    }

    /// The pixel rows of strip `index`.
    pub fn rows(&self, index: usize) -> std::ops::Range<usize> {
        index * self.strip_rows..((index + 1) * self.strip_rows).min(self.height)
    }

    /// What the strip workers encoded, every strip once in any order, as
    /// one JPEG; `Ok(None)` when the strips' tables differ (not seen with
    /// libjpeg-turbo 3) or one is missing.
    ///
    /// # Errors
    /// The first strip's error, in picture order; [`Error::Internal`] when a worker panicked.
    pub fn assemble(&self, workers: impl IntoIterator<Item = std::thread::Result<Encoded>>) -> Result<Option<Jpeg>> {
        let mut encoded = Vec::with_capacity(self.strips);
        for worker in workers {
            encoded.extend(worker.map_err(|_| Error::Internal("a JPEG strip encoder panicked".into()))?);
        }
        encoded.sort_by_key(|(index, _)| *index);
        let strips = encoded.into_iter().map(|(_, strip)| strip).collect::<Result<Vec<_>>>()?;
        Ok((strips.len() == self.strips).then(|| join(strips, self.height, self.restart_interval)).flatten())
    }
}

/// Encodes `pixels` as a baseline JPEG, in strips on every core when the
/// picture is large ([`Plan`]).
///
/// # Errors
/// [`Error::Backend`] when libjpeg-turbo fails.
pub fn compress(pixels: &Pixels<'_>, quality: i32, subsamp: Subsamp) -> Result<Jpeg> {
    let Some(plan) = Plan::new(pixels.width, pixels.height, subsamp) else {
        return compress_strip(pixels, 0..pixels.height, quality, subsamp).map(Jpeg::whole);
    };
    let cores = crate::worker_cores().min(plan.strips);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if index >= plan.strips {
                return done;
            }
            // libjpeg-turbo's buffer cannot cross threads: copied out.
            done.push((index, compress_strip(pixels, plan.rows(index), quality, subsamp).map(|jpeg| jpeg.to_vec())));
        }
    };
    let joined = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..cores).map(|_| scope.spawn(work)).collect();
        let first = work();
        plan.assemble(std::iter::once(Ok(first)).chain(helpers.into_iter().map(|helper| helper.join())))
    })?;
    match joined {
        Some(joined) => Ok(joined),
        None => compress_strip(pixels, 0..pixels.height, quality, subsamp).map(Jpeg::whole),
    }
}

/// What one strip worker encoded: strips by index, in the order it took them.
pub type Encoded = Vec<(usize, Result<Vec<u8>>)>;

/// An encoded JPEG: its headers, through the scan header, and its strips'
/// scan data, written out with restart markers between them. When one
/// compressor wrote it, the head is the whole file.
pub struct Jpeg {
    head: Head,
    /// Each strip's JPEG and where its scan data starts (it ends before the last two bytes, EOI).
    strips: Vec<(Vec<u8>, usize)>,
}

/// One compressor's buffer as it wrote it, or the headers built for strips.
enum Head {
    Whole(OwnedBuf),
    Built(Vec<u8>),
}

impl Jpeg {
    fn whole(jpeg: OwnedBuf) -> Self {
        Jpeg { head: Head::Whole(jpeg), strips: Vec::new() }
    }

    /// The headers (SOI, JFIF, tables, frame and scan headers), or the whole file.
    pub fn head(&self) -> &[u8] {
        match &self.head {
            Head::Whole(jpeg) => jpeg,
            Head::Built(head) => head,
        }
    }

    /// Writes what follows [`Jpeg::head`]: the scan data and the end marker.
    ///
    /// # Errors
    /// What `sink` fails with.
    pub fn write_rest(&self, sink: &mut dyn std::io::Write) -> std::io::Result<()> {
        for (n, (strip, scan_data)) in self.strips.iter().enumerate() {
            if n > 0 {
                sink.write_all(&[0xFF, 0xD0 + ((n - 1) % 8) as u8])?;
            }
            sink.write_all(&strip[*scan_data..strip.len() - 2])?;
        }
        if !self.strips.is_empty() {
            sink.write_all(&[0xFF, 0xD9])?;
        }
        Ok(())
    }
}

/// One compressor's JPEG of `rows` of `pixels`.
///
/// # Errors
/// [`Error::Backend`] when libjpeg-turbo fails.
pub fn compress_strip(pixels: &Pixels<'_>, rows: std::ops::Range<usize>, quality: i32, subsamp: Subsamp) -> Result<OwnedBuf> {
    let backend = |e: turbojpeg::Error| Error::backend("jpg", e);
    let mut compressor = Compressor::new().map_err(backend)?;
    compressor.set_quality(quality).map_err(backend)?;
    compressor.set_subsamp(subsamp).map_err(backend)?;
    let pitch = pixels.width * pixels.format.size();
    compressor
        .compress_to_owned(turbojpeg::Image {
            pixels: &pixels.bytes[rows.start * pitch..rows.end * pitch],
            width: pixels.width,
            pitch,
            height: rows.len(),
            format: pixels.format,
        })
        .map_err(backend)
}

/// Where a strip's JPEG splits: the tables before the frame header, the
/// frame header's height field, the scan header's start, the scan data.
struct Layout {
    height_at: usize,
    scan_header: usize,
    scan_data: usize,
}

fn layout(jpeg: &[u8]) -> Option<Layout> {
    let mut height_at = None;
    for segment in crate::codecs::jpeg::segments(jpeg) {
        let (marker, i) = (segment.marker, segment.at);
        match marker {
            // Baseline frame header: FF C0, length, precision, height.
            0xC0 => height_at = Some(i + 5),
            0xDA => return Some(Layout { height_at: height_at?, scan_header: i, scan_data: i + 2 + segment.length }),
            // Anything but a baseline Huffman frame: not joined.
            0xC1..=0xCF if marker != 0xC4 && marker != 0xC8 && marker != 0xCC => return None,
            0xDD => return None,
            _ => {}
        }
    }
    None
}

/// The strips as one JPEG: the first strip's headers with the whole image's
/// height and a restart interval, then every strip's scan data with
/// restart markers between them. `None` when the strips' tables differ.
fn join(strips: Vec<Vec<u8>>, height: usize, restart_interval: usize) -> Option<Jpeg> {
    let layouts: Vec<Layout> = strips.iter().map(|s| layout(s)).collect::<Option<_>>()?;
    let tables = |s: &[u8], l: &Layout| (s[..l.height_at].to_vec(), s[l.height_at + 2..l.scan_data].to_vec());
    let first_tables = tables(&strips[0], &layouts[0]);
    if strips.iter().zip(&layouts).any(|(s, l)| tables(s, l) != first_tables || !s.ends_with(&[0xFF, 0xD9])) {
        return None;
    }
    let height = u16::try_from(height).ok()?;
    let restart_interval = u16::try_from(restart_interval).ok()?;
    let (first, l) = (&strips[0], &layouts[0]);
    let mut head = Vec::with_capacity(l.scan_data + 6);
    head.extend_from_slice(&first[..l.height_at]);
    head.extend_from_slice(&height.to_be_bytes());
    head.extend_from_slice(&first[l.height_at + 2..l.scan_header]);
    head.extend_from_slice(&[0xFF, 0xDD, 0, 4]);
    head.extend_from_slice(&restart_interval.to_be_bytes());
    head.extend_from_slice(&first[l.scan_header..l.scan_data]);
    let strips = strips.into_iter().zip(layouts).map(|(strip, l)| (strip, l.scan_data)).collect();
    Some(Jpeg { head: Head::Built(head), strips })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Noise-like pixels that every codec must work for (no flat areas).
    pub(crate) fn picture(width: usize, height: usize, channels: usize) -> Vec<u8> {
        let mut state = 7u32;
        (0..width * height * channels)
            .map(|i| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let (x, y) = ((i / channels) % width, (i / channels) / width);
                // Gradients, edges on strip boundaries, and a little noise.
                ((x * 3 + y * 5 + (i % channels) * 40) as u8).wrapping_add(if (y / 16) % 2 == 0 { 0 } else { 90 }).wrapping_add((state >> 29) as u8)
            })
            .collect()
    }

    fn decode(jpeg: &[u8], format: PixelFormat) -> Vec<u8> {
        turbojpeg::decompress(jpeg, format).expect("a valid JPEG").pixels
    }

    fn file(jpeg: &Jpeg) -> Vec<u8> {
        let mut out = jpeg.head().to_vec();
        jpeg.write_rest(&mut out).unwrap();
        out
    }

    #[test]
    fn strips_decode_to_the_pixels_of_one_compressor() {
        for (width, height, format, subsamp) in [
            (1500, 1100, PixelFormat::RGB, Subsamp::Sub2x2),
            (1203, 1001, PixelFormat::RGB, Subsamp::Sub2x2),
            (1024, 1030, PixelFormat::RGB, Subsamp::None),
            (1100, 999, PixelFormat::GRAY, Subsamp::Gray),
        ] {
            let bytes = picture(width, height, format.size());
            let pixels = Pixels { bytes: &bytes, width, height, format };
            let whole = compress_strip(&pixels, 0..height, 85, subsamp).unwrap();
            // Every strip the same height but the last, which may be shorter.
            let strips: Vec<Vec<u8>> =
                (0..height).step_by(256).map(|top| compress_strip(&pixels, top..(top + 256).min(height), 85, subsamp).unwrap().to_vec()).collect();
            let (across, down) = subsamp.size();
            let (mcu_columns, mcu_rows) = (width.div_ceil(8 * across), 8 * down);
            let joined = file(&join(strips, height, mcu_columns * 256 / mcu_rows).expect("joinable strips"));
            assert_eq!(decode(&joined, format), decode(&whole, format), "{width}x{height} {subsamp:?}");
            let header = turbojpeg::read_header(&joined).unwrap();
            assert_eq!((header.width, header.height), (width, height));
            // And through the entry point, on however many cores there are.
            assert_eq!(decode(&file(&compress(&pixels, 85, subsamp).unwrap()), format), decode(&whole, format));
        }
    }

    #[test]
    fn strips_that_are_not_baseline_huffman_are_not_joined() {
        let bytes = picture(64, 64, 3);
        let pixels = Pixels { bytes: &bytes, width: 64, height: 64, format: PixelFormat::RGB };
        let mut strip = compress_strip(&pixels, 0..32, 85, Subsamp::Sub2x2).unwrap().to_vec();
        let at = layout(&strip).unwrap().height_at - 5;
        strip[at + 1] = 0xC2;
        assert!(join(vec![strip.clone(), strip], 64, 4).is_none());
        assert!(join(vec![vec![0xFF, 0xD8, 0xFF]], 8, 4).is_none());
    }
}
