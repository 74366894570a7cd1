//! Camera RAW through LibRaw: DNGs PiDNG wrote from a known picture
//! (`scripts/fixtures/make_dng.py`) are developed and compared with that
//! picture; real camera files of every raw format, stripped of their sensor
//! data (ExifTool's test images), are refused, never turned into a blank or
//! noisy picture.

mod common;

use common::{decode_raster, testdata};
use fileconv::{ErrorKind, Options};

/// Mean R, G, B of a region of an RGB image.
fn mean(image: &fileconv::image::RgbImage, x: std::ops::Range<u32>, y: std::ops::Range<u32>) -> [f64; 3] {
    let mut sum = [0.0; 3];
    let mut n = 0.0;
    for yy in y {
        for xx in x.clone() {
            let p = image.get_pixel(xx, yy).0;
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
            n += 1.0;
        }
    }
    sum.map(|s| s / n)
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join("image").join(name)).unwrap()
}

#[test]
fn a_dng_is_developed_with_the_white_balance_it_was_shot_with() {
    let png = fileconv::convert(&fixture("photo.dng"), "dng", "png").unwrap();
    let developed = decode_raster(&png, "png").first().to_rgb8();
    assert_eq!(developed.dimensions(), (210, 138));
    // The grey bar along the top: neutral only if the as-shot multipliers
    // (red x2, blue x1/0.7) undid the sensor's tint.
    let [r, g, b] = mean(&developed, 8..202, 2..10);
    assert!((r - g).abs() <= 3.0 && (b - g).abs() <= 3.0, "grey bar developed as {r:.1}, {g:.1}, {b:.1}");
    assert!(g > 60.0 && g < 200.0, "grey bar brightness {g:.1}");
    // The rose below keeps its colours: red over green and blue as in the
    // source picture, within what demosaicing and the tone curve change.
    let rose = decode_raster(&fixture("rose.png"), "png").first().to_rgb8();
    let [sr, sg, sb] = mean(&rose, 0..70, 4..46);
    let [dr, dg, db] = mean(&developed, 0..210, 12..138);
    let (source_red, developed_red) = (sr / sg, dr / dg);
    let (source_blue, developed_blue) = (sb / sg, db / dg);
    assert!((developed_red / source_red - 1.0).abs() < 0.2, "red/green {developed_red:.2} vs the source's {source_red:.2}");
    assert!((developed_blue / source_blue - 1.0).abs() < 0.2, "blue/green {developed_blue:.2} vs the source's {source_blue:.2}");
}

#[test]
fn the_camera_orientation_is_applied() {
    let png = fileconv::convert(&fixture("rotated.dng"), "dng", "png").unwrap();
    let developed = decode_raster(&png, "png").first().to_rgb8();
    // Orientation 6: turned a quarter clockwise, the top bar is now the right edge.
    assert_eq!(developed.dimensions(), (138, 210));
    let [r, g, b] = mean(&developed, 128..136, 8..202);
    assert!((r - g).abs() <= 3.0 && (b - g).abs() <= 3.0, "grey bar on the right {r:.1}, {g:.1}, {b:.1}");
    let [r, g, _] = mean(&developed, 0..120, 8..202);
    assert!(r > g * 1.2, "the rose is left of the bar: {r:.1} vs {g:.1}");
}

#[test]
fn raw_formats_are_detected_and_claims_on_tiff_files_honoured() {
    let engine = fileconv::engine();
    assert_eq!(engine.detect(&fixture("photo.dng")).map(|f| f.id), Some("dng"));
    assert_eq!(engine.detect(&fixture("rose.tiff")).map(|f| f.id), Some("tiff"));
    // NEF and ARW are TIFF files without a signature of their own: read as claimed.
    let as_nef = engine.convert(&fixture("photo.dng"), "nef", "png").unwrap();
    assert_eq!(decode_raster(&as_nef, "png").first().to_rgb8().dimensions(), (210, 138));
    // A TIFF that is no raw file, claimed as one, is named for what it is.
    let error = engine.convert(&fixture("rose.tiff"), "nef", "png").unwrap_err();
    assert_eq!(error.to_string(), "the input is not nef: it looks like tiff");
    // A DNG claimed as TIFF, which the TIFF readers cannot develop, is named as a DNG.
    let error = engine.convert(&fixture("photo.dng"), "tiff", "png").unwrap_err();
    assert_eq!(error.to_string(), "the input is not tiff: it looks like dng");
    // A PNG claimed as a raw format is not one.
    let error = engine.convert(&fixture("rose.png"), "cr2", "png").unwrap_err();
    assert!(matches!(error.kind(), ErrorKind::FormatMismatch | ErrorKind::InvalidInput), "{error}");
}

#[test]
fn raw_files_without_their_sensor_data_are_refused() {
    // ExifTool's test images: real camera files with the sensor data cut out.
    // LibRaw opens most of them and would develop zeros or noise at full size.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/decode_raw");
    let mut checked = 0;
    for format in ["cr2", "cr3", "dng", "nef", "raf", "rw2"] {
        let data = std::fs::read(dir.join(format!("exiftool.{format}"))).unwrap();
        let error = fileconv::engine().convert(&data[1..], format, "png").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{format}: {error}");
        checked += 1;
    }
    // The fixture cut in its sensor data.
    let photo = fixture("photo.dng");
    let error = fileconv::engine().convert(&photo[..photo.len() / 2], "dng", "png").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    assert!(error.to_string().contains("cut short"), "{error}");
    assert_eq!(checked, 6);
    // Limits hold before the sensor data is unpacked.
    let small = fileconv::default_engine().with_limits(fileconv::Limits { max_pixels: 10_000, ..fileconv::Limits::default() });
    let error = small.convert_with(&photo, "dng", "png", &Options::new()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
}
