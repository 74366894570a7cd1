//! Helpers shared by the integration tests: fixtures and independent checks.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use fileconv::image::{DynamicImage, GrayImage, RgbImage};
use fileconv::{Options, Raster, Source};

pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// Every image fixture: (file name, format id from its extension, bytes).
pub fn image_fixtures() -> Vec<(String, String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(testdata().join("image"))
        .expect("testdata/image exists")
        .map(|e| e.expect("readable dir").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            let ext = p.extension().unwrap().to_string_lossy().into_owned();
            let format = fileconv::engine().format(&ext).expect("fixture extension is a format").id.to_string();
            (name, format, std::fs::read(&p).unwrap())
        })
        .collect()
}

/// Decodes bytes back into a raster: with fileconv for the formats it reads,
/// with libavif's `avifdec` for AVIF, which fileconv only writes.
pub fn decode_raster(bytes: &[u8], format: &str) -> Raster {
    if format == "avif" {
        let dir = std::env::temp_dir().join(format!("fileconv-avif-{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (src, dst) = (dir.join("in.avif"), dir.join("out.png"));
        std::fs::write(&src, bytes).unwrap();
        let status = Command::new("avifdec").arg(&src).arg(&dst).output().expect("avifdec is installed (scripts/install-deps)");
        assert!(status.status.success(), "avifdec failed: {}", String::from_utf8_lossy(&status.stderr));
        let png = std::fs::read(&dst).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        return decode_raster(&png, "png");
    }
    let value = fileconv::engine().decode(Source::Bytes(bytes), format, &Options::new()).unwrap_or_else(|e| panic!("{format} output does not decode: {e}"));
    value.into_raster().unwrap()
}

/// The image composited onto white, as 8-bit RGB: what a viewer shows.
pub fn on_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba32f();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = p.0[3].clamp(0.0, 1.0);
        let c = |v: f32| ((v.clamp(0.0, 1.0) * a + (1.0 - a)) * 255.0).round() as u8;
        out.put_pixel(x, y, fileconv::image::Rgb([c(p.0[0]), c(p.0[1]), c(p.0[2])]));
    }
    out
}

/// BT.709 luma of [`on_white`].
pub fn luma(image: &DynamicImage) -> GrayImage {
    DynamicImage::ImageRgb8(on_white(image)).to_luma8()
}

/// Mean absolute difference per sample, 0 to 255.
pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "sizes differ");
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len().max(1) as f64
}
