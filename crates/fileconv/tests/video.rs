//! Video: every conversion from or to a video container, on fixtures made by
//! the ffmpeg CLI (`scripts/make-fixtures`), each output probed again by
//! `ffprobe` (duration, dimensions, streams) and decoded again by fileconv.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{decode_audio, decode_raster, image_fixtures, probe_media, video_fixtures, writable};
use fileconv::{Category, Control, Error, Options, Source, Value};

/// The fixtures' length, size and tones.
const SECONDS: f64 = 2.0;
const WIDTH: u32 = 160;
const HEIGHT: u32 = 120;
/// Allowed difference in duration: containers round the last frame's or
/// audio packet's length differently.
const TOLERANCE: f64 = 0.2;

fn clips() -> Vec<(String, String, Vec<u8>)> {
    video_fixtures().into_iter().filter(|(name, _, _)| name.starts_with("clip.")).collect()
}

fn convert(bytes: &[u8], from: &str, to: &str, options: &Options) -> Vec<u8> {
    fileconv::engine().convert_with(bytes, from, to, options).unwrap_or_else(|e| panic!("{from} -> {to}: {e}"))
}

fn options(pairs: &[(&str, &str)]) -> Options {
    pairs.iter().fold(Options::new(), |o, (k, v)| o.with(*k, *v))
}

/// Checks a container made from a clip: ffprobe's view, then fileconv's own.
fn check_clip_output(output: &[u8], label: &str, target: &str) {
    let probe = probe_media(output, target);
    assert!((probe.seconds - SECONDS).abs() <= TOLERANCE, "{label}: {} s", probe.seconds);
    let (codec, width, height, _) = probe.video.clone().unwrap_or_else(|| panic!("{label}: no video stream"));
    assert_eq!((width, height), (WIDTH, HEIGHT), "{label}: {codec} frame size");
    let (_, rate, channels) = probe.audio.clone().unwrap_or_else(|| panic!("{label}: the audio track was lost"));
    assert_eq!(channels, 2, "{label}: channels");
    assert!(rate >= 44_100, "{label}: rate {rate}");
    let value = fileconv::engine().decode(Source::Bytes(output), target, &Options::new()).unwrap_or_else(|e| panic!("{label}: fileconv cannot read it back: {e}"));
    let Value::Media(media) = value else { panic!("{label}: not media") };
    let video = media.video.expect("video track");
    assert_eq!((video.width, video.height), (WIDTH, HEIGHT), "{label}");
    assert!(media.audio.is_some(), "{label}: fileconv sees no audio");
}

/// A still image or animation made into a video: its size (even), its length, no audio.
fn check_image_output(output: &[u8], label: &str, target: &str, size: (u32, u32), seconds: f64) {
    let probe = probe_media(output, target);
    let (_, width, height, fps) = probe.video.clone().unwrap_or_else(|| panic!("{label}: no video stream"));
    assert_eq!((width, height), (size.0 & !1, size.1 & !1), "{label}: frame size");
    // MPEG-PS has no duration header to trust (ffprobe estimates 0.04 s for
    // 25 frames), and Theora stores repeated frames as empty packets that
    // decode to nothing: take the longer of the two measures.
    let shown = (probe.frames as f64 / fps).max(probe.seconds);
    assert!((shown - seconds).abs() <= TOLERANCE, "{label}: {} frames at {fps} fps, expected {seconds} s", probe.frames);
    assert!(probe.audio.is_none(), "{label}: an image has no audio");
}

/// One test per target container, so they run in parallel.
macro_rules! container_tests {
    ($($name:ident: $target:literal),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[test]
            fn from_every_video_fixture() {
                for (file, format, bytes) in clips() {
                    let output = convert(&bytes, &format, $target, &Options::new());
                    check_clip_output(&output, &format!("{file} -> {}", $target), $target);
                }
            }

            #[test]
            fn from_a_pdf_page() {
                // A PDF of a small image: its first page drawn at 150 dpi, shown for a second.
                let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
                let pdf = convert(&png, "png", "pdf", &Options::new());
                let page = decode_raster(&convert(&pdf, "pdf", "png", &Options::new()), "png");
                let output = convert(&pdf, "pdf", $target, &options(&[("duration", "1")]));
                check_image_output(&output, &format!("pdf -> {}", $target), $target, (page.width(), page.height()), 1.0);
            }

            #[test]
            fn from_every_image_fixture() {
                for (file, format, bytes) in image_fixtures() {
                    if fileconv::engine().path(&format, $target).is_err() {
                        continue;
                    }
                    let source = decode_raster(&bytes, &format);
                    // A still shows for `duration`; an animation plays, cut at `duration`.
                    let seconds = if source.is_animated() {
                        source.frames.iter().map(|f| f.delay.as_secs_f64()).sum::<f64>().min(1.0)
                    } else {
                        1.0
                    };
                    let output = convert(&bytes, &format, $target, &options(&[("duration", "1")]));
                    let size = (source.width().max(2), source.height().max(2));
                    check_image_output(&output, &format!("{file} -> {}", $target), $target, size, seconds);
                }
            }
        }
    )*};
}

container_tests! {
    to_3gp: "3gp", to_avi: "avi", to_flv: "flv", to_m4v: "m4v", to_mkv: "mkv", to_mov: "mov",
    to_mp4: "mp4", to_mpeg: "mpeg", to_ogv: "ogv", to_ts: "ts", to_webm: "webm", to_wmv: "wmv",
}

#[test]
fn every_container_is_tested_above() {
    let tested = ["3gp", "avi", "flv", "m4v", "mkv", "mov", "mp4", "mpeg", "ogv", "ts", "webm", "wmv"];
    assert_eq!(writable(Category::Video), tested);
    let sources: Vec<String> = clips().into_iter().map(|(_, f, _)| f).collect();
    assert_eq!(sources.len(), tested.len(), "one clip fixture per container");
}

#[test]
fn every_conversion_from_or_to_video_is_one_of_the_tested_kinds() {
    let engine = fileconv::engine();
    let category = |id: &str| engine.format(id).unwrap().category;
    for conversion in engine.conversions() {
        let (from, to) = (category(conversion.from), category(conversion.to));
        // A frame becomes a PDF page; a PDF's page (or any document's, as
        // page images) becomes a still video; a subtitle stream becomes
        // subtitles, text or JSON (tests/subtitle.rs).
        if from == Category::Video {
            assert!(
                matches!(to, Category::Video | Category::Audio | Category::Image | Category::Subtitle) || ["pdf", "txt", "json"].contains(&conversion.to),
                "{} -> {}",
                conversion.from,
                conversion.to
            );
        } else if to == Category::Video {
            // A document's pages as frames go through the `pages` adapter (tests/document.rs).
            let pages = conversion.path.to_string().contains("--pages-->");
            assert!(from == Category::Image || conversion.from == "pdf" || pages, "{} -> {}", conversion.from, conversion.to);
        }
        // An image made into a video has no audio track to take back out.
        if from == Category::Image {
            assert!(matches!(to, Category::Image | Category::Video) || conversion.to == "pdf", "{}: {}", conversion.from, conversion.path);
        }
    }
}

#[test]
fn the_audio_track_converts_to_every_audio_format() {
    for (file, format, bytes) in clips() {
        for target in writable(Category::Audio) {
            let label = format!("{file} -> {target}");
            let output = convert(&bytes, &format, target, &Options::new());
            let decoded = decode_audio(&output, target);
            assert!((decoded.seconds() - SECONDS).abs() <= TOLERANCE, "{label}: {} s", decoded.seconds());
            assert_eq!(decoded.spec.channels, 2, "{label}");
            assert!(decoded.has_tone(0, 440.0) && decoded.has_tone(1, 660.0), "{label}: the tones are gone");
        }
    }
}

#[test]
fn a_frame_converts_to_every_image_format_and_animations_move() {
    for (file, format, bytes) in clips() {
        for target in writable(Category::Image) {
            let label = format!("{file} -> {target}");
            let output = convert(&bytes, &format, target, &Options::new());
            let raster = decode_raster(&output, target);
            assert_eq!((raster.width(), raster.height()), (WIDTH, HEIGHT), "{label}");
            if matches!(target, "gif" | "webp") {
                // 2 s at the default 10 frames per second.
                assert_eq!(raster.frames.len(), 20, "{label}: frames");
                let total: f64 = raster.frames.iter().map(|f| f.delay.as_secs_f64()).sum();
                assert!((total - SECONDS).abs() <= TOLERANCE, "{label}: {total} s");
                assert!(common::mean_abs_diff(raster.frames[0].image.as_bytes(), raster.frames[10].image.as_bytes()) > 1.0, "{label}: it does not move");
            }
        }
    }
}

/// The frame at `time` matches ffmpeg's own extraction of it.
#[test]
fn a_frame_becomes_a_pdf_page() {
    for (file, format, bytes) in clips() {
        let frame = decode_raster(&convert(&bytes, &format, "png", &Options::new()), "png");
        let pdf = convert(&bytes, &format, "pdf", &Options::new());
        let path = std::env::temp_dir().join(format!("fileconv-vpdf-{}-{format}.pdf", std::process::id()));
        std::fs::write(&path, &pdf).unwrap();
        let list = String::from_utf8(std::process::Command::new("pdfimages").arg("-list").arg(&path).output().unwrap().stdout).unwrap();
        let _ = std::fs::remove_file(&path);
        let (w, h) = (frame.width().to_string(), frame.height().to_string());
        let matching = list.lines().map(|l| l.split_whitespace().collect::<Vec<_>>()).filter(|c| c.len() > 4 && c[2] == "image" && c[3] == w && c[4] == h).count();
        assert_eq!(matching, 1, "{file}: {list}");
    }
}

#[test]
fn the_frame_taken_is_the_one_asked_for() {
    let bytes = std::fs::read(common::testdata().join("video/clip.mp4")).unwrap();
    let ours = |time: &str| decode_raster(&convert(&bytes, "mp4", "png", &options(&[("time", time)])), "png").into_first().to_rgb8();
    let dir = std::env::temp_dir().join(format!("fileconv-frame-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let reference = dir.join("ref.png");
    let status = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(common::testdata().join("video/clip.mp4"))
        .args(["-ss", "1.2", "-frames:v", "1"])
        .arg(&reference)
        .status()
        .unwrap();
    assert!(status.success());
    let expected = fileconv::image::open(&reference).unwrap().to_rgb8();
    let _ = std::fs::remove_dir_all(&dir);
    let at = ours("1.2");
    assert!(common::mean_abs_diff(at.as_raw(), expected.as_raw()) < 3.0, "the frame at 1.2 s differs from ffmpeg's");
    assert!(common::mean_abs_diff(ours("0.2").as_raw(), expected.as_raw()) > 3.0, "frames at 0.2 and 1.2 s look the same");
}

#[test]
fn remuxing_copies_the_streams_bit_for_bit() {
    let bytes = std::fs::read(common::testdata().join("video/clip.mkv")).unwrap();
    let mp4 = convert(&bytes, "mkv", "mp4", &Options::new());
    let hash = |data: &[u8], ext: &str| {
        let path = std::env::temp_dir().join(format!("fileconv-remux-{}.{ext}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        let out = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-map", "0", "-c", "copy", "-f", "streamhash", "-hash", "md5", "-"])
            .output()
            .unwrap();
        let _ = std::fs::remove_file(&path);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(hash(&mp4, "mp4"), hash(&bytes, "mkv"), "H.264 and AAC were re-encoded, not copied");
    assert!(fileconv::engine().path("mkv", "mp4").unwrap().to_string().contains("ffmpeg"));
}

#[test]
fn size_rate_and_trim_options_apply() {
    let bytes = std::fs::read(common::testdata().join("video/clip.mkv")).unwrap();
    let output = convert(&bytes, "mkv", "mp4", &options(&[("width", "81"), ("fps", "10"), ("start", "0.5"), ("duration", "1")]));
    let probe = probe_media(&output, "mp4");
    let (codec, width, height, fps) = probe.video.unwrap();
    assert_eq!((codec.as_str(), width, height), ("h264", 80, 60), "width 81 keeps the aspect, rounded to even");
    assert!((fps - 10.0).abs() < 0.01, "fps {fps}");
    assert!((probe.seconds - 1.0).abs() <= 0.1, "{} s", probe.seconds);
    let boxed = probe_media(&convert(&bytes, "mkv", "webm", &options(&[("width", "100"), ("height", "100")])), "webm");
    assert_eq!(boxed.video.map(|v| (v.1, v.2)), Some((100, 74)), "fitted inside 100x100, even");
    let muted = probe_media(&convert(&bytes, "mkv", "mp4", &options(&[("mute", "true")])), "mp4");
    assert!(muted.audio.is_none() && muted.video.is_some());
}

#[test]
fn codec_options_choose_the_encoders() {
    let bytes = std::fs::read(common::testdata().join("video/clip.mp4")).unwrap();
    for (video, audio, expect) in [("hevc", "opus", ("hevc", "opus")), ("vp9", "vorbis", ("vp9", "vorbis")), ("mpeg4", "mp3", ("mpeg4", "mp3"))] {
        let output = convert(&bytes, "mp4", "mkv", &options(&[("videoCodec", video), ("audioCodec", audio)]));
        let probe = probe_media(&output, "mkv");
        assert_eq!((probe.video.unwrap().0.as_str(), probe.audio.unwrap().0.as_str()), expect);
    }
    let small = convert(&bytes, "mp4", "mp4", &options(&[("crf", "40"), ("mute", "true")]));
    let large = convert(&bytes, "mp4", "mp4", &options(&[("crf", "18"), ("mute", "true")]));
    assert!(small.len() * 2 < large.len(), "crf 40: {} bytes, crf 18: {}", small.len(), large.len());
    let low = convert(&bytes, "mp4", "mp4", &options(&[("videoBitrate", "100k"), ("audioBitrate", "32k")]));
    // 2 s at 100k + 32k is 33 KB, plus the container.
    assert!(low.len() < 45_000, "100k + 32k for 2 s: {} bytes", low.len());
}

#[test]
fn impossible_codec_choices_are_refused_with_the_alternatives() {
    let engine = fileconv::engine();
    let avi = std::fs::read(common::testdata().join("video/clip.avi")).unwrap();
    let mp4 = std::fs::read(common::testdata().join("video/clip.mp4")).unwrap();
    let refused = |bytes: &[u8], from: &str, to: &str, pairs: &[(&str, &str)]| match engine.convert_with(bytes, from, to, &options(pairs)) {
        Err(Error::InvalidOption { name, valid, .. }) => (name, valid),
        other => panic!("{from} -> {to} {pairs:?}: {other:?}"),
    };
    let (name, valid) = refused(&avi, "avi", "webm", &[("videoCodec", "copy")]);
    assert_eq!(name, "videoCodec");
    assert!(valid.contains("vp9"), "{valid}");
    let (name, valid) = refused(&mp4, "mp4", "webm", &[("videoCodec", "h264")]);
    assert_eq!((name.as_str(), valid.as_str()), ("videoCodec", "vp9, copy"));
    assert_eq!(refused(&mp4, "mp4", "avi", &[("crf", "20")]).0, "crf");
    assert_eq!(refused(&mp4, "mp4", "mp4", &[("crf", "60")]).0, "crf");
    assert_eq!(refused(&mp4, "mp4", "mp4", &[("start", "1"), ("videoCodec", "copy")]).0, "start");
    assert_eq!(refused(&mp4, "mp4", "mp4", &[("preset", "instant")]).0, "preset");
    assert_eq!(refused(&mp4, "mp4", "mp4", &[("fps", "0")]).0, "fps");
}

#[test]
fn odd_sizes_are_rounded_to_even_and_silent_videos_have_no_audio_to_give() {
    let odd = std::fs::read(common::testdata().join("video/odd.mkv")).unwrap();
    let probe = probe_media(&convert(&odd, "mkv", "mp4", &Options::new()), "mp4");
    assert_eq!(probe.video.map(|v| (v.0, v.1, v.2)), Some(("h264".to_string(), 160, 120)));
    let silent = std::fs::read(common::testdata().join("video/silent.mp4")).unwrap();
    let probe = probe_media(&convert(&silent, "mp4", "webm", &Options::new()), "webm");
    assert!(probe.audio.is_none() && probe.video.is_some());
    match fileconv::engine().convert(&silent, "mp4", "mp3") {
        Err(Error::InvalidInput { reason, .. }) => assert!(reason.contains("no audio"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn progress_rises_to_one_and_cancellation_stops() {
    let engine = fileconv::engine();
    let bytes = std::fs::read(common::testdata().join("video/clip.webm")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let control = Control { progress: Some(Arc::new(move |p| log.lock().unwrap().push(p))), cancel: None, durable: false };
    let mut out = Vec::new();
    engine.convert_stream(Source::Bytes(&bytes), "webm", "mp4", &mut out, &Options::new(), &control).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[1] >= w[0] - 1e-6), "{seen:?}");
    assert!((seen.last().unwrap() - 1.0).abs() < 1e-6);
    let cancel = Arc::new(AtomicBool::new(true));
    let control = Control { progress: None, cancel: Some(cancel.clone()), durable: false };
    let result = engine.convert_stream(Source::Bytes(&bytes), "webm", "mp4", &mut Vec::new(), &Options::new(), &control);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    cancel.store(false, Ordering::Relaxed);
}

#[test]
fn animations_respect_the_frame_limit_before_decoding() {
    let bytes = std::fs::read(common::testdata().join("video/clip.mp4")).unwrap();
    let engine = fileconv::default_engine().with_limits(fileconv::Limits { max_frames: 10, ..fileconv::Limits::default() });
    match engine.convert(&bytes, "mp4", "gif") {
        Err(Error::LimitExceeded { what, .. }) => assert_eq!(what, "animation frames"),
        other => panic!("{other:?}"),
    }
    let short = engine.convert_with(&bytes, "mp4", "gif", &options(&[("duration", "0.5"), ("fps", "10"), ("width", "80")])).unwrap();
    let raster = decode_raster(&short, "gif");
    assert_eq!((raster.frames.len(), raster.width(), raster.height()), (5, 80, 60));
}

#[test]
fn a_path_on_disk_converts_like_bytes() {
    let engine = fileconv::engine();
    let dir = std::env::temp_dir().join(format!("fileconv-video-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.webm");
    engine
        .convert_file(&common::testdata().join("video/clip.ts"), &out, "ts", "webm", &Options::new(), &Control::default())
        .unwrap();
    check_clip_output(&std::fs::read(&out).unwrap(), "ts file -> webm file", "webm");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn chapters_are_carried_cut_with_the_video_or_named_where_left_out() {
    // ffmpeg makes a 2 s Matroska file with two chapters, "One" and "Two".
    let mkv = common::with_two_chapters(
        &["-f", "lavfi", "-i", "testsrc2=s=64x48:d=2", "-f", "lavfi", "-i", "sine=d=2"],
        "Two",
        &["-map", "0", "-map", "1", "-c:v", "libx264", "-c:a", "aac"],
        "chaptered.mkv",
    );
    let both = vec![(0, 1000, "One".to_string()), (1000, 2000, "Two".to_string())];
    assert_eq!(common::chapters(&mkv, "mkv"), both);
    for target in ["mp4", "mov", "mkv", "webm"] {
        assert_eq!(common::chapters(&convert(&mkv, "mkv", target, &Options::new()), target), both, "{target}");
    }
    // Cut from 0.5 s for 1 s: both chapters, shifted and clipped.
    let cut = convert(&mkv, "mkv", "mp4", &options(&[("start", "0.5"), ("duration", "1")]));
    assert_eq!(common::chapters(&cut, "mp4"), vec![(0, 500, "One".to_string()), (500, 1000, "Two".to_string())]);
    // A container without chapters says so.
    let mut avi = Vec::new();
    let report = fileconv::engine().convert_stream(Source::Bytes(&mkv), "mkv", "avi", &mut avi, &Options::new(), &Control::default()).unwrap();
    assert!(report.notes.iter().any(|n| n == "2 chapter(s) of the source are left out: AVI holds none"), "{:?}", report.notes);
}
