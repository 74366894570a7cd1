//! Criterion benches of the audio paths the issue sets targets for. Inputs come
//! from `benches/make-inputs.sh` (5 minutes of stereo music-like audio); without
//! them 20 s of synthetic stereo is used so `cargo test --benches` still runs.

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use fileconv::Options;

fn input(name: &str) -> Option<Vec<u8>> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-data").join(name)).ok()
}

/// 20 s of 16-bit stereo at 44.1 kHz: two tones under a little noise.
fn synthetic_wav() -> Vec<u8> {
    let mut seed = 0x2545_F491u32;
    let mut samples = Vec::with_capacity(44_100 * 20 * 2);
    for i in 0..44_100 * 20u32 {
        let t = f64::from(i) / 44_100.0;
        for f in [440.0, 660.0] {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let noise = f64::from(seed % 2000) / 2000.0 - 0.5;
            let v = 0.4 * (2.0 * std::f64::consts::PI * f * t).sin() + 0.05 * noise;
            samples.push((v * 32767.0) as i16);
        }
    }
    fileconv::fuzzing::pcm16_wav(44_100, 2, &samples)
}

fn audio_paths(c: &mut Criterion) {
    let engine = fileconv::engine();
    let wav = input("music.wav").unwrap_or_else(synthetic_wav);
    let flac = input("music.flac").unwrap_or_else(|| engine.convert(&wav, "wav", "flac").unwrap());
    let mp3 = input("music.mp3").unwrap_or_else(|| engine.convert(&wav, "wav", "mp3").unwrap());
    let cbr = Options::new().with("bitrate", "192k");
    let mut group = c.benchmark_group("audio");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(wav.len() as u64));
    group.bench_function("wav_to_mp3_192k", |b| b.iter(|| engine.convert_with(&wav, "wav", "mp3", &cbr).unwrap()));
    group.bench_function("flac_to_mp3_192k", |b| b.iter(|| engine.convert_with(&flac, "flac", "mp3", &cbr).unwrap()));
    group.bench_function("mp3_to_wav", |b| b.iter(|| engine.convert(&mp3, "mp3", "wav").unwrap()));
    // To a file, as the command line writes: the WAV goes into it in place.
    let dir = std::env::temp_dir().join(format!("fileconv-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (source, target) = (dir.join("in.mp3"), dir.join("out.wav"));
    std::fs::write(&source, &mp3).unwrap();
    group.bench_function("mp3_to_wav_file", |b| {
        b.iter(|| engine.convert_file(&source, &target, "mp3", "wav", &Options::new(), &fileconv::Control::default()).unwrap())
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, audio_paths);
criterion_main!(benches);
