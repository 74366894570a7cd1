//! Bad input gets a typed error, never a panic, a hang or a huge allocation.

mod common;

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use common::{audio_fixtures, document_fixtures, image_fixtures, sheet_fixtures, subtitle_fixtures, video_fixtures};
use fileconv::fuzzing::assert_no_bug;
use fileconv::{Control, Engine, Error, ErrorKind, Limits, Options, Source};

/// Every fixture: images, audio, video, spreadsheets, documents and subtitles.
fn all_fixtures() -> Vec<(String, String, Vec<u8>)> {
    let mut all = image_fixtures();
    all.extend(audio_fixtures());
    all.extend(video_fixtures());
    all.extend(sheet_fixtures());
    all.extend(document_fixtures());
    all.extend(subtitle_fixtures());
    all
}

/// A target every readable format of the same family converts to.
fn target_for(format: &str) -> &'static str {
    match fileconv::engine().format(format).map(|f| f.category) {
        Ok(fileconv::Category::Audio) => "wav",
        Ok(fileconv::Category::Spreadsheet) => "json",
        Ok(fileconv::Category::Document | fileconv::Category::Presentation) => "html",
        Ok(fileconv::Category::Subtitle) => "srt",
        _ => "png",
    }
}

fn readable_formats() -> Vec<&'static str> {
    let engine = fileconv::engine();
    let mut ids: Vec<&str> = engine.registry().decoders.iter().map(|d| d.format).collect();
    ids.dedup();
    ids
}

#[test]
fn truncated_fixtures_fail_cleanly_or_decode_what_is_there() {
    let engine = fileconv::engine();
    for (file, format, bytes) in all_fixtures() {
        let n = bytes.len();
        let mut cuts = vec![0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 100, 200, n / 4, n / 3, n / 2, 2 * n / 3, 3 * n / 4];
        cuts.extend([n.saturating_sub(16), n.saturating_sub(2), n.saturating_sub(1)]);
        cuts.retain(|&c| c < n);
        for cut in cuts {
            let result = engine.convert(&bytes[..cut], &format, target_for(&format));
            if let Err(e) = &result {
                assert!(e.kind() != ErrorKind::Internal, "{file} cut at {cut}: {e}");
            }
            if cut == 0 {
                assert!(matches!(result, Err(Error::InvalidInput { .. })), "{file}: empty input gave {result:?}");
            }
        }
    }
}

/// xorshift64*: reproducible noise without a dependency.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn random_bytes_give_errors_not_panics() {
    let engine = fileconv::engine();
    let mut noise = Noise(0x5EED);
    for format in readable_formats() {
        for _ in 0..40 {
            // At least 64 bytes: a dozen random bytes can be valid text in
            // some legacy character set, and text formats have no signature.
            let len = 64 + (noise.next() % 3000) as usize;
            let bytes = noise.bytes(len);
            let result = engine.convert(&bytes, format, target_for(format));
            assert!(result.is_err(), "{format}: random bytes converted: {bytes:?}");
            assert_no_bug(result);
        }
    }
}

#[test]
fn real_headers_followed_by_noise_give_errors_not_panics() {
    let engine = fileconv::engine();
    let mut noise = Noise(0xF00D);
    for (file, format, bytes) in all_fixtures() {
        for keep in [8usize, 16, 32, 64, 128] {
            let mut mangled = bytes[..keep.min(bytes.len())].to_vec();
            let len = (noise.next() % 2000) as usize;
            mangled.extend(noise.bytes(len));
            let result = engine.convert(&mangled, &format, target_for(&format));
            if let Err(e) = &result {
                assert!(e.kind() != ErrorKind::Internal, "{file} header {keep} + noise: {e}");
            }
        }
        // Flipped bytes through the whole file.
        for _ in 0..20 {
            let mut mangled = bytes.clone();
            for _ in 0..8 {
                let at = (noise.next() as usize) % mangled.len();
                mangled[at] ^= noise.next() as u8 | 1;
            }
            if let Err(e) = engine.convert(&mangled, &format, target_for(&format)) {
                assert!(e.kind() != ErrorKind::Internal, "{file} with flipped bytes: {e}");
            }
        }
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A PNG that declares `width` x `height` RGB pixels and holds a few bytes of data.
fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

fn expect_limit(result: fileconv::Result<Vec<u8>>, what: &str) {
    match result {
        Err(Error::LimitExceeded { .. }) => {}
        other => panic!("{what}: expected a limit error, got {:?}", other.map(|v| v.len())),
    }
}

#[test]
fn bomb_headers_hit_limits_before_allocating() {
    let engine = fileconv::engine();
    expect_limit(engine.convert(&png_bomb(100_000, 100_000), "png", "jpg"), "png 100000x100000");
    expect_limit(engine.convert(&png_bomb(60_000, 60_000), "png", "jpg"), "png 60000x60000 (3.6 gigapixels)");
    expect_limit(engine.convert(b"P6\n100000 100000\n255\n\x00\x00\x00", "ppm", "png"), "ppm");
    let mut qoi = b"qoif".to_vec();
    // 16000x16000 is within QOI's own cap of 400 megapixels, over ours of 200.
    qoi.extend(16_000u32.to_be_bytes());
    qoi.extend(16_000u32.to_be_bytes());
    qoi.extend([3, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect_limit(engine.convert(&qoi, "qoi", "png"), "qoi");
    let hdr = b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 60000 +X 60000\n\x02\x02\x00\x10";
    expect_limit(engine.convert(hdr, "hdr", "png"), "hdr");
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="1000000" height="1000000"><rect width="10" height="10"/></svg>"#;
    expect_limit(engine.convert(svg, "svg", "png"), "svg");
    let mut gif = b"GIF89a".to_vec();
    gif.extend([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]);
    gif.extend([0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x08, 0x02, 0x4C, 0x01, 0x00, 0x3B]);
    expect_limit(engine.convert(&gif, "gif", "png"), "gif 65535x65535");
    let mut bmp = b"BM".to_vec();
    bmp.extend([0u8; 8]);
    bmp.extend(54u32.to_le_bytes());
    bmp.extend(40u32.to_le_bytes());
    // Within BMP's own 65535 cap, over our 200 megapixels.
    bmp.extend(30_000i32.to_le_bytes());
    bmp.extend(30_000i32.to_le_bytes());
    bmp.extend([1, 0, 24, 0]);
    bmp.extend([0u8; 24]);
    expect_limit(engine.convert(&bmp, "bmp", "png"), "bmp");
    // Old-style JPEG, which only the second reader (libtiff) takes: the page
    // size is checked before libtiff is asked for a pixel.
    expect_limit(engine.convert(&tiff_header(60_000, 60_000, 6), "tiff", "png"), "old-style JPEG tiff 60000x60000");
    let mut dds = b"DDS ".to_vec();
    dds.extend(124u32.to_le_bytes());
    dds.extend([0u8; 4]);
    dds.extend(60_000u32.to_le_bytes());
    dds.extend(60_000u32.to_le_bytes());
    dds.resize(80, 0);
    // Uncompressed RGB, 24 bits, and its masks.
    for field in [0x40u32, 0, 24, 0xff, 0xff00, 0xff_0000, 0] {
        dds.extend(field.to_le_bytes());
    }
    dds.resize(128, 0);
    expect_limit(engine.convert(&dds, "dds", "png"), "uncompressed dds 60000x60000");
}

/// A little-endian TIFF whose one directory describes a `width` x `height`
/// YCbCr page in `compression`, with a 10-byte strip of nothing.
fn tiff_header(width: u32, height: u32, compression: u16) -> Vec<u8> {
    // (tag, type 3 SHORT or 4 LONG, value), in ascending tag order.
    let entries: [(u16, u16, u32); 9] =
        [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, u32::from(compression)), (262, 3, 6), (273, 4, 200), (277, 3, 3), (278, 4, height), (279, 4, 10)];
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend((entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(1u32.to_le_bytes());
        if kind == 3 {
            tiff.extend((value as u16).to_le_bytes());
            tiff.extend([0, 0]);
        } else {
            tiff.extend(value.to_le_bytes());
        }
    }
    tiff.extend(0u32.to_le_bytes());
    tiff.resize(210, 0);
    tiff
}

#[test]
fn tighter_limits_are_enforced() {
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let small = fileconv::default_engine().with_limits(Limits { max_pixels: 1000, ..Limits::default() });
    expect_limit(small.convert(&png, "png", "jpg"), "pixels");
    let tiny_input = fileconv::default_engine().with_limits(Limits { max_input_bytes: 100, ..Limits::default() });
    expect_limit(tiny_input.convert(&png, "png", "jpg"), "input size");
    let gif = std::fs::read(common::testdata().join("image/anim.gif")).unwrap();
    let two_frames = fileconv::default_engine().with_limits(Limits { max_frames: 2, ..Limits::default() });
    expect_limit(two_frames.convert(&gif, "gif", "webp"), "frames");
    let no_time = fileconv::default_engine().with_limits(Limits { max_wall_time: Some(Duration::ZERO), ..Limits::default() });
    std::thread::sleep(Duration::from_millis(2));
    expect_limit(no_time.convert(&png, "png", "jpg"), "wall time");
    // Output size requested by options is checked too.
    let options = Options::new().with("width", "60000").with("height", "60000").with("fit", "fill");
    expect_limit(fileconv::engine().convert_with(&png, "png", "png", &options), "resize target");
}

/// Formats one container reader reads alike: a claim within a container
/// whose members differ by a label is honoured (a QuickTime file sent as
/// `mp4`, WebM as `mkv`, Opus as `ogg`), as FFmpeg does; so is an xlsm as `xlsx`.
fn same_family(a: &str, b: &str) -> bool {
    let engine = fileconv::engine();
    let container = |id: &str| engine.format(id).unwrap().container;
    let shared = container(a).filter(|c| c.labels_only() && container(b) == Some(*c)).is_some();
    shared || matches!((a, b), ("xlsx", "xlsm") | ("xlsm", "xlsx"))
}

#[test]
fn mislabelled_files_name_the_detected_format() {
    let engine = fileconv::engine();
    let fixtures = all_fixtures();
    for (file, actual, bytes) in &fixtures {
        if engine.format(actual).unwrap().sniff.is_none() {
            continue;
        }
        for claimed in readable_formats() {
            if claimed == actual {
                continue;
            }
            match engine.convert(bytes, claimed, target_for(claimed)) {
                Err(Error::FormatMismatch { claimed: c, detected }) => {
                    assert_eq!((c.as_str(), detected.as_str()), (claimed, actual.as_str()), "{file}");
                }
                // Within a family the claimed format's reader reads the file:
                // it converts, or says which stream it lacks.
                Ok(_) if same_family(claimed, actual) => {}
                Err(Error::InvalidInput { reason, .. })
                    if same_family(claimed, actual) && (reason.contains("no video") || reason.contains("no audio")) => {}
                other => panic!("{file} claimed as {claimed}: {:?}", other.map(|v| v.len())),
            }
        }
    }
    let err = engine.convert(&fixtures.iter().find(|f| f.1 == "png").unwrap().2, "jpg", "png").unwrap_err();
    assert_eq!(err.to_string(), "the input is not jpg: it looks like png");
}

#[test]
fn cancellation_stops_the_conversion() {
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let control = Control { progress: None, cancel: Some(Arc::new(AtomicBool::new(true))), durable: false };
    let result = fileconv::engine().convert_stream(Source::Bytes(&png), "png", "jpg", &mut Vec::new(), &Options::new(), &control);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
}

#[test]
fn absurd_options_are_refused_with_the_valid_range() {
    let engine: &Engine = fileconv::engine();
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    for (name, value, expect) in [
        ("quality", "0", "an integer from 1 to 100"),
        ("quality", "1e9", "an integer from 1 to 100"),
        ("width", "-5", "an integer from 1 to 65535"),
        ("fit", "stretch", "one of inside, contain, cover, fill"),
        ("background", "#zzz", "a colour"),
    ] {
        let err = engine.convert_with(&png, "png", "jpg", &Options::new().with(name, value)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidOption);
        assert!(err.to_string().contains(expect), "{name}={value}: {err}");
    }
    let err = engine.convert_with(&png, "png", "png", &Options::new().with("quality", "50")).unwrap_err();
    assert!(err.to_string().contains("unknown option") && err.to_string().contains("compression"), "{err}");
}

#[test]
fn audio_output_is_bounded_by_the_output_limit() {
    let wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let small = fileconv::default_engine().with_limits(Limits { max_output_bytes: 20_000, ..Limits::default() });
    for target in ["wav", "flac", "aiff", "mp3"] {
        let err = small.convert(&wav, "wav", target).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{target}: {err}");
    }
    // Images are bounded by the same limit.
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let tiny = fileconv::default_engine().with_limits(Limits { max_output_bytes: 100, ..Limits::default() });
    assert_eq!(tiny.convert(&png, "png", "bmp").unwrap_err().kind(), ErrorKind::LimitExceeded);
}

/// A RIFF/WAVE header declaring `channels`, `rate` and `bits`, then `data` bytes.
fn wav_header(channels: u16, rate: u32, bits: u16, data_len: u32, data: &[u8]) -> Vec<u8> {
    let block = channels.wrapping_mul(bits / 8);
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&channels.to_le_bytes());
    w.extend_from_slice(&rate.to_le_bytes());
    w.extend_from_slice(&rate.wrapping_mul(u32::from(block)).to_le_bytes());
    w.extend_from_slice(&block.to_le_bytes());
    w.extend_from_slice(&bits.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data_len.to_le_bytes());
    w.extend_from_slice(data);
    w
}

#[test]
fn absurd_audio_headers_give_typed_errors() {
    let engine = fileconv::engine();
    let samples = vec![0u8; 4096];
    for (channels, rate, bits) in [(0, 44_100, 16), (65_535, 44_100, 16), (2, 0, 16), (2, u32::MAX, 16), (2, 44_100, 0), (2, 44_100, 7)] {
        let wav = wav_header(channels, rate, bits, 4096, &samples);
        for target in ["wav", "mp3", "flac"] {
            let result = engine.convert(&wav, "wav", target);
            assert!(result.is_err(), "{channels} ch, {rate} Hz, {bits} bits -> {target} converted");
            assert_no_bug(result);
        }
    }
    // Sizes of 4 GB, as a streaming writer leaves them (ffmpeg to a pipe),
    // over 4 KB of samples: what is there is decoded.
    let mut wav = wav_header(2, 44_100, 16, u32::MAX, &samples);
    wav[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let out = engine.convert(&wav, "wav", "wav").unwrap();
    assert!(out.len() < 10_000, "{} bytes from 4 KB of samples", out.len());
}

#[test]
fn chunk_lengths_beyond_the_file_are_refused_before_allocating() {
    // A LIST/INFO chunk whose INAM sub-chunk claims 3 GB, before the data chunk.
    let mut wav = b"RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00".to_vec();
    wav.extend_from_slice(b"LIST\x10\x00\x00\x00INFOINAM");
    wav.extend_from_slice(&3_000_000_000u32.to_le_bytes());
    wav.extend_from_slice(b"data\x04\x00\x00\x00\x00\x00\x00\x00");
    let len = wav.len() as u32 - 8;
    wav[4..8].copy_from_slice(&len.to_le_bytes());
    let err = fileconv::engine().convert(&wav, "wav", "mp3").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("INAM"), "{err}");
}
