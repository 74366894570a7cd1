//! Single-scan JPEG decoded on every core: the picture is cut into
//! horizontal bands a whole number of MCU rows high, each decoded by its own
//! libjpeg-turbo decompressor into its rows of one pixel buffer, through
//! TurboJPEG 3's cropping region.
//!
//! A band's decompressor still reads the entropy-coded data of every band
//! above it (`jpeg_skip_scanlines` Huffman-decodes the rows it skips, with
//! no IDCT, upsampling or colour conversion: about a fifth of the work),
//! and skips the rows below it at no cost. Bands start at MCU rows, where
//! the upsampler has the context a one-pass decode gives it, so every band
//! holds the pixels one decompressor writes (a test compares them byte for
//! byte). Progressive and multi-scan files, which would make every band
//! decode every scan's coefficients, are left to one decompressor, as are
//! files with warnings (a band fails; the caller decodes as before).

use turbojpeg::raw;
use turbojpeg::{DecompressHeader, PixelFormat};

/// Below this many pixels one decompressor is quicker than starting threads.
const MIN_PIXELS: usize = 1 << 20;

/// Decodes `jpeg` (whose header is `header`) into packed `format` pixels on
/// every core. `None` when the file is not worth or not fit for it (small,
/// one core, progressive or several scans) or a band fails: the caller
/// decodes it with one decompressor, which also gives its errors.
pub fn decompress(jpeg: &[u8], header: &DecompressHeader, format: PixelFormat) -> Option<Vec<u8>> {
    let cores = crate::worker_cores();
    let (width, height) = (header.width, header.height);
    if cores < 2 || width.checked_mul(height)? < MIN_PIXELS || !single_scan(jpeg) {
        return None;
    }
    let mcu_rows = 8 * header.subsamp.size().1;
    let pitch = width * format.size();
    let mut pixels = crate::pixel_buffer(pitch.checked_mul(height)?);
    let mut rest = pixels.as_mut_slice();
    let mut bands = Vec::with_capacity(cores);
    let mut first = 0;
    for end in band_ends(height.div_ceil(mcu_rows), cores) {
        let rows = (end * mcu_rows).min(height) - first;
        let (band, below) = std::mem::take(&mut rest).split_at_mut(rows * pitch);
        rest = below;
        bands.push((first, band));
        first += rows;
    }
    // The first band on the calling thread, the others on their own.
    let decoded = std::thread::scope(|scope| {
        let mut bands = bands.into_iter();
        let (top, first_band) = bands.next()?;
        let others: Vec<_> = bands.map(|(top, band)| scope.spawn(move || decompress_band(jpeg, top, band, pitch, format))).collect();
        let ok = decompress_band(jpeg, top, first_band, pitch, format);
        Some(others.into_iter().fold(ok, |ok, band| band.join().unwrap_or(false) && ok))
    })?;
    decoded.then_some(pixels)
}

/// Where each of `bands` bands ends, in MCU rows of `total`, so that they
/// take about the same time: a band's decompressor skips the rows above it
/// at about half the cost of decoding them (measured: 13 ms to skip the top
/// half of a 9 MP picture, 23 ms to decode it), so band `i` of `n` ends at
/// `c (2 - 2^-i)` of the picture, with `c = 1 / (2 - 2^(1-n))`: two thirds
/// and one third for two bands.
fn band_ends(total: usize, bands: usize) -> Vec<usize> {
    let scale = 1.0 / (2.0 - 2f64.powi(1 - bands as i32));
    let mut ends: Vec<usize> = (1..bands).map(|i| (total as f64 * scale * (2.0 - 2f64.powi(1 - i as i32))).round() as usize).collect();
    ends.push(total);
    ends.dedup();
    ends.retain(|&end| end > 0);
    ends
}

/// Whether the file codes every component in one sequential Huffman scan
/// (SOF0 or SOF1, then a scan of all components): read up to its first scan.
fn single_scan(jpeg: &[u8]) -> bool {
    let mut components = None;
    for segment in crate::codecs::jpeg::segments(jpeg) {
        match segment.marker {
            0xC0 | 0xC1 => components = jpeg.get(segment.at + 9).copied(),
            0xC2..=0xCF if !matches!(segment.marker, 0xC4 | 0xC8 | 0xCC) => return false,
            0xDA => return components.is_some() && jpeg.get(segment.at + 4).copied() == components,
            _ => {}
        }
    }
    false
}

/// Decodes rows `first..first + rows.len() / pitch` into `rows`: whether it
/// succeeded without error or warning.
fn decompress_band(jpeg: &[u8], first: usize, rows: &mut [u8], pitch: usize, format: PixelFormat) -> bool {
    let Some(handle) = Handle::decompressor() else { return false };
    let count = rows.len() / pitch;
    let (Ok(y), Ok(h), Ok(pitch_c)) = (i32::try_from(first), i32::try_from(count), i32::try_from(pitch)) else { return false };
    // SAFETY: the handle is live; `jpeg` and `rows` are valid for their
    // lengths, and `rows` holds `count` rows of `pitch` bytes, which is what
    // the cropping region makes tj3Decompress8 write.
    unsafe {
        if raw::tj3DecompressHeader(handle.0, jpeg.as_ptr(), jpeg.len() as raw::size_t) != 0 {
            return false;
        }
        let region = raw::tjregion { x: 0, y, w: 0, h };
        if raw::tj3SetCroppingRegion(handle.0, region) != 0 {
            return false;
        }
        raw::tj3Decompress8(handle.0, jpeg.as_ptr(), jpeg.len() as raw::size_t, rows.as_mut_ptr(), pitch_c, format as i32) == 0
    }
}

/// A TurboJPEG decompressor, destroyed when dropped.
struct Handle(raw::tjhandle);

impl Handle {
    fn decompressor() -> Option<Handle> {
        // SAFETY: tj3Init has no preconditions; a null handle is refused.
        let handle = unsafe { raw::tj3Init(raw::TJINIT_TJINIT_DECOMPRESS as i32) };
        (!handle.is_null()).then_some(Handle(handle))
    }

    #[cfg(test)]
    fn error(&self) -> String {
        // SAFETY: the handle is live; the string is owned by it.
        unsafe { std::ffi::CStr::from_ptr(raw::tj3GetErrorStr(self.0)) }.to_string_lossy().into_owned()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is dropped once.
        unsafe { raw::tj3Destroy(self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jpeg_strips::tests::picture;
    use turbojpeg::{Compressor, Image, Subsamp};

    #[test]
    fn bands_hold_the_pixels_one_decompressor_writes() {
        for (width, height, subsamp, format) in [
            (1200, 1000, Subsamp::Sub2x2, PixelFormat::RGB),
            (1031, 1027, Subsamp::Sub2x2, PixelFormat::RGB),
            (1024, 1100, Subsamp::Sub2x1, PixelFormat::RGB),
            (1100, 1001, Subsamp::None, PixelFormat::RGB),
            (1001, 1100, Subsamp::Sub1x2, PixelFormat::RGB),
            (1030, 1030, Subsamp::Gray, PixelFormat::GRAY),
        ] {
            let channels = format.size();
            let source = picture(width, height, channels);
            let mut compressor = Compressor::new().unwrap();
            compressor.set_quality(85).unwrap();
            compressor.set_subsamp(subsamp).unwrap();
            let image = Image { pixels: source.as_slice(), width, pitch: width * channels, height, format };
            let jpeg = compressor.compress_to_vec(image).unwrap();
            let header = turbojpeg::read_header(&jpeg).unwrap();
            let one = turbojpeg::decompress(&jpeg, format).unwrap().pixels;
            let bands = decompress(&jpeg, &header, format).expect("decoded in bands");
            assert!(one == bands, "{width}x{height} {subsamp:?}: bands differ from one decompressor");
        }
        // With restart markers, as fileconv's own strips write them.
        let source = picture(1500, 1400, 3);
        let strips = crate::jpeg_strips::compress(&crate::jpeg_strips::Pixels { bytes: &source, width: 1500, height: 1400, format: PixelFormat::RGB }, 85, Subsamp::Sub2x2).unwrap();
        let mut jpeg = strips.head().to_vec();
        strips.write_rest(&mut jpeg).unwrap();
        assert!(jpeg.windows(2).any(|m| m == [0xFF, 0xDD]), "a restart interval");
        let bands = decompress(&jpeg, &turbojpeg::read_header(&jpeg).unwrap(), PixelFormat::RGB).expect("decoded in bands");
        assert!(turbojpeg::decompress(&jpeg, PixelFormat::RGB).unwrap().pixels == bands, "restart intervals: bands differ");
    }

    #[test]
    fn bands_are_cut_for_equal_time() {
        assert_eq!(band_ends(100, 2), [67, 100]);
        assert_eq!(band_ends(140, 4), [75, 112, 131, 140]);
        assert_eq!(band_ends(100, 1), [100]);
        assert_eq!(band_ends(1, 3), [1]);
    }

    #[test]
    fn progressive_files_and_small_pictures_are_left_to_one_decompressor() {
        let source = picture(1200, 1000, 3);
        let image = Image { pixels: source.as_slice(), width: 1200, pitch: 3600, height: 1000, format: PixelFormat::RGB };
        let mut compressor = Compressor::new().unwrap();
        let baseline = compressor.compress_to_vec(image).unwrap();
        assert!(single_scan(&baseline));
        // SAFETY: the compressor's handle is not used elsewhere while set.
        let progressive = {
            let handle = Handle(unsafe { raw::tj3Init(raw::TJINIT_TJINIT_COMPRESS as i32) });
            unsafe {
                assert_eq!(raw::tj3Set(handle.0, raw::TJPARAM_TJPARAM_PROGRESSIVE as i32, 1), 0, "{}", handle.error());
                assert_eq!(raw::tj3Set(handle.0, raw::TJPARAM_TJPARAM_SUBSAMP as i32, raw::TJSAMP_TJSAMP_420 as i32), 0);
                assert_eq!(raw::tj3Set(handle.0, raw::TJPARAM_TJPARAM_QUALITY as i32, 85), 0);
                let (mut buffer, mut size): (*mut u8, raw::size_t) = (std::ptr::null_mut(), 0);
                assert_eq!(raw::tj3Compress8(handle.0, source.as_ptr(), 1200, 3600, 1000, PixelFormat::RGB as i32, &mut buffer, &mut size), 0, "{}", handle.error());
                let bytes = std::slice::from_raw_parts(buffer, size as usize).to_vec();
                raw::tj3Free(buffer.cast());
                bytes
            }
        };
        assert!(!single_scan(&progressive));
        assert!(decompress(&progressive, &turbojpeg::read_header(&progressive).unwrap(), PixelFormat::RGB).is_none());
        let small = turbojpeg::compress(Image { pixels: &source[..300 * 200 * 3], width: 300, pitch: 900, height: 200, format: PixelFormat::RGB }, 85, Subsamp::Sub2x2).unwrap();
        assert!(decompress(&small, &turbojpeg::read_header(&small).unwrap(), PixelFormat::RGB).is_none());
        // Cut short: a band fails, so the caller's decompressor reports it.
        let cut = &baseline[..baseline.len() / 2];
        assert!(decompress(cut, &turbojpeg::read_header(cut).unwrap(), PixelFormat::RGB).is_none());
    }
}
