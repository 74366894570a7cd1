//! Criterion benches of the image paths the issue sets targets for. Inputs come
//! from `benches/make-inputs.sh` (a 9 MP photo, small PNGs); without them a 1 MP synthetic
//! image is used so that `cargo test --benches` still exercises every bench.

use std::io::Cursor;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fileconv::image::{DynamicImage, ImageFormat, RgbImage};
use fileconv::Options;

fn input(name: &str, format: ImageFormat) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-data").join(name);
    if let Ok(bytes) = std::fs::read(&path) {
        return bytes;
    }
    let image = RgbImage::from_fn(1200, 800, |x, y| {
        let n = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 23;
        fileconv::image::Rgb([(x / 5 + n) as u8, (y / 4 + n) as u8, ((x + y) / 8) as u8])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image).write_to(&mut out, format).expect("synthetic input encodes");
    out.into_inner()
}

fn image_paths(c: &mut Criterion) {
    let engine = fileconv::engine();
    let png = input("photo.png", ImageFormat::Png);
    let jpg = input("photo.jpg", ImageFormat::Jpeg);
    let q85 = Options::new().with("quality", "85");
    let mut group = c.benchmark_group("image");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(png.len() as u64));
    group.bench_function("png_to_jpg_q85", |b| b.iter(|| engine.convert_with(&png, "png", "jpg", &q85).unwrap()));
    group.throughput(Throughput::Bytes(jpg.len() as u64));
    group.bench_function("jpg_to_png", |b| b.iter(|| engine.convert(&jpg, "jpg", "png").unwrap()));
    group.bench_function("jpg_to_webp", |b| b.iter(|| engine.convert(&jpg, "jpg", "webp").unwrap()));
    group.finish();
}

/// Small files, where the command line's start-up was most of the work:
/// the engine the quick program builds at start, one 13 KB PNG to JPEG,
/// and 100 small PNGs to WebP one after another (the batch row).
fn small_files(c: &mut Criterion) {
    let small = input("small.png", ImageFormat::Png);
    let many = input("many/0000.png", ImageFormat::Png);
    let engine = fileconv::engine();
    let mut group = c.benchmark_group("small");
    group.bench_function("engine_from_inventory", |b| b.iter(fileconv::Engine::from_inventory));
    group.bench_function("small_png_to_jpg", |b| b.iter(|| engine.convert(&small, "png", "jpg").unwrap()));
    group.throughput(Throughput::Elements(100));
    group.bench_function("100_small_pngs_to_webp", |b| {
        b.iter(|| {
            for _ in 0..100 {
                engine.convert(&many, "png", "webp").unwrap();
            }
        })
    });
    group.finish();
}

criterion_group!(benches, image_paths, small_files);
criterion_main!(benches);
