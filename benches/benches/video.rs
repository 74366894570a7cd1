//! Criterion benches of the video paths the issue sets targets for: a remux
//! against a re-encode of the same file (target: at least 20x faster), and
//! the default WebM encode. Inputs come from `benches/make-inputs.sh` (30 s of
//! 720p H.264 + AAC); without them the 2 s test clip from `testdata/` is used.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use fileconv::Options;

fn input(name: &str, fallback: &str) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::read(root.join("bench-data").join(name)).unwrap_or_else(|_| std::fs::read(root.join("testdata/video").join(fallback)).unwrap())
}

fn video_paths(c: &mut Criterion) {
    let engine = fileconv::engine();
    let mkv = input("movie.mkv", "clip.mkv");
    let mp4 = input("movie.mp4", "clip.mp4");
    let mut group = c.benchmark_group("video");
    group.sample_size(10);
    group.bench_function("mkv_to_mp4_remux", |b| b.iter(|| engine.convert(&mkv, "mkv", "mp4").unwrap()));
    let reencode = Options::new().with("crf", "23");
    group.bench_function("mp4_to_mp4_h264_veryfast", |b| b.iter(|| engine.convert_with(&mp4, "mp4", "mp4", &reencode).unwrap()));
    group.bench_function("mp4_to_webm_vp9", |b| b.iter(|| engine.convert(&mp4, "mp4", "webm").unwrap()));
    group.finish();
}

criterion_group!(benches, video_paths);
criterion_main!(benches);
