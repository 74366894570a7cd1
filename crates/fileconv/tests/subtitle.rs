//! Subtitles: every subtitle fixture (and every subtitled video) to every
//! subtitle target, txt and json, each output read back by an independent
//! reader: FFmpeg's demuxers and decoders for SRT, WebVTT, ASS and SSA
//! (re-written by FFmpeg as SubRip), Python's XML parser for TTML, JSON
//! and text by their own rules.

mod common;

use std::path::PathBuf;
use std::process::Command;

use fileconv::{Category, Options};

use common::{testdata, writable};

/// The cues of `scripts/fixtures/dialogue.srt`: start and end in ms, plain text.
const DIALOGUE: &[(u64, u64, &str)] = &[
    (500, 2000, "Hello, world!"),
    (2250, 4000, "Bold at the top"),
    (4500, 6750, "Two lines:\nÇa va? Привет"),
    (7000, 9000, "Fish & chips, underlined"),
];

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fileconv-subtitle-{}-{:?}-{name}", std::process::id(), std::thread::current().id()))
}

/// FFmpeg's reading of a subtitle file, written back out as SubRip.
fn ffmpeg_srt(bytes: &[u8], ext: &str) -> String {
    let path = temp(&format!("in.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-i"]).arg(&path).args(["-f", "srt", "-"]).output().expect("ffmpeg runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "ffmpeg reads the {ext}: {}\n{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(bytes));
    String::from_utf8(out.stdout).unwrap()
}

fn ms(clock: &str) -> u64 {
    let (hms, millis) = clock.trim().split_once([',', '.']).unwrap();
    let parts: Vec<u64> = hms.split(':').map(|p| p.parse().unwrap()).collect();
    parts.iter().fold(0, |acc, p| acc * 60 + p) * 1000 + millis.parse::<u64>().unwrap()
}

/// Cues of SubRip text, markup removed.
fn srt_cues(text: &str) -> Vec<(u64, u64, String)> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .filter(|block| block.contains("-->"))
        .map(|block| {
            let mut lines = block.lines().skip_while(|l| !l.contains("-->"));
            let (start, end) = lines.next().unwrap().split_once("-->").unwrap();
            let text: Vec<String> = lines.map(strip_markup).collect();
            (ms(start), ms(end.split_whitespace().next().unwrap()), text.join("\n"))
        })
        .collect()
}

fn strip_markup(line: &str) -> String {
    let mut out = String::new();
    let mut skip = None;
    for c in line.chars() {
        match (skip, c) {
            (None, '<') => skip = Some('>'),
            (None, '{') => skip = Some('}'),
            (Some(end), c) if c == end => skip = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out
}

/// Python's XML parser's reading of a TTML document: (begin, end, text) per `<p>`.
fn ttml_cues(bytes: &[u8]) -> Vec<(u64, u64, String)> {
    const SCRIPT: &str = r#"
import sys, json, xml.etree.ElementTree as ET
ns = '{http://www.w3.org/ns/ttml}'
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + 'tt', root.tag
def text(e):
    out = e.text or ''
    for child in e:
        out += '\n' if child.tag == ns + 'br' else text(child)
        out += child.tail or ''
    return out
print(json.dumps([[p.get('begin'), p.get('end'), text(p)] for p in root.iter(ns + 'p')]))
"#;
    let path = temp("out.ttml");
    std::fs::write(&path, bytes).unwrap();
    let out = Command::new("/usr/bin/python3").args(["-c", SCRIPT]).arg(&path).output().expect("python3 runs");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cues: Vec<(String, String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    cues.into_iter().map(|(b, e, t)| (ms(&b), ms(&e), t)).collect()
}

/// SBV by its layout: a `start,end` line, then the text lines.
fn sbv_cues(text: &str) -> Vec<(u64, u64, String)> {
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let (times, text) = block.split_once('\n').unwrap();
            let (start, end) = times.split_once(',').unwrap();
            (ms(start), ms(end), text.trim_end().to_string())
        })
        .collect()
}

/// The cues of a converted file, read by a reader that is not fileconv.
fn cues_of(bytes: &[u8], target: &str) -> Vec<(u64, u64, String)> {
    match target {
        "srt" | "vtt" | "ass" | "ssa" => srt_cues(&ffmpeg_srt(bytes, target)),
        "ttml" => ttml_cues(bytes),
        "sbv" => sbv_cues(std::str::from_utf8(bytes).unwrap()),
        "json" => {
            let json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            json["cues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| ((c["start"].as_f64().unwrap() * 1000.0).round() as u64, (c["end"].as_f64().unwrap() * 1000.0).round() as u64, c["text"].as_str().unwrap().to_string()))
                .collect()
        }
        other => panic!("no reader for {other}"),
    }
}

fn expected(cues: &[(u64, u64, &str)]) -> Vec<(u64, u64, String)> {
    cues.iter().map(|(s, e, t)| (*s, *e, t.to_string())).collect()
}

/// The output and the notes of a conversion.
fn report(input: &[u8], from: &str, to: &str, options: &Options) -> fileconv::Result<(Vec<u8>, Vec<String>)> {
    let mut out = Vec::new();
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(input), from, to, &mut out, options, &fileconv::Control::default())?;
    Ok((out, report.notes))
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(testdata().join("subtitle").join(name)).unwrap()
}

/// Every source of the dialogue: the subtitle fixtures and the videos
/// that carry it, with the format id to read them as.
fn dialogue_sources() -> Vec<(String, String, Vec<u8>)> {
    common::subtitle_fixtures().into_iter().filter(|(name, _, _)| name.starts_with("dialogue.") || name.starts_with("subtitled.")).collect()
}

/// The subtitle targets, txt and json.
fn targets() -> Vec<&'static str> {
    let mut targets = writable(Category::Subtitle);
    targets.extend(["txt", "json"]);
    targets
}

#[test]
fn every_subtitle_source_converts_to_every_subtitle_target() {
    let engine = fileconv::engine();
    assert_eq!(writable(Category::Subtitle), ["ass", "sbv", "srt", "ssa", "ttml", "vtt"]);
    let sources = dialogue_sources();
    assert_eq!(sources.len(), 9, "{:?}", sources.iter().map(|s| &s.0).collect::<Vec<_>>());
    for (name, format, bytes) in &sources {
        for target in targets() {
            let label = format!("{name} -> {target}");
            let output = engine.convert(bytes, format, target).unwrap_or_else(|e| panic!("{label}: {e}"));
            if target == "txt" {
                let text = String::from_utf8(output).unwrap();
                let words: Vec<&str> = DIALOGUE.iter().map(|c| c.2).collect();
                let speakers = ["Ann: ", "Bob: "];
                let mut plain = text.clone();
                for speaker in speakers {
                    plain = plain.replace(speaker, "");
                }
                assert_eq!(plain, words.join("\n\n") + "\n\n", "{label}");
                continue;
            }
            assert_eq!(cues_of(&output, target), expected(DIALOGUE), "{label}:\n{}", String::from_utf8_lossy(&output));
        }
    }
}

#[test]
fn every_conversion_from_or_to_subtitles_is_a_tested_kind() {
    let engine = fileconv::engine();
    let category = |id: &str| engine.format(id).unwrap().category;
    let targets = targets();
    for conversion in engine.conversions() {
        if category(conversion.from) == Category::Subtitle || conversion.path.to_string().contains("subtitle") {
            assert!(targets.contains(&conversion.to), "{}: {}", conversion.from, conversion.path);
            let source_kind = category(conversion.from);
            assert!(matches!(source_kind, Category::Subtitle | Category::Video), "{}: {}", conversion.from, conversion.path);
        }
    }
    // Every video container the engine reads extracts subtitles; the
    // fixtures cover Matroska, MP4 and WebM, the containers that carry text subtitles.
    let videos = engine.conversions().into_iter().filter(|c| category(c.from) == Category::Video && c.to == "srt").count();
    assert!(videos >= 10, "{videos}");
}

#[test]
fn styling_survives_where_both_formats_hold_it() {
    let engine = fileconv::engine();
    let source = fixture("dialogue.srt");
    // FFmpeg's SubRip of each of our files shows the emphasis it read.
    for target in ["srt", "vtt", "ass", "ssa"] {
        let output = engine.convert(&source, "srt", target).unwrap();
        let srt = ffmpeg_srt(&output, target);
        assert!(srt.contains("<i>world</i>"), "{target}: {srt}");
        assert!(srt.contains("<b>Bold</b>"), "{target}: {srt}");
        if target != "vtt" {
            // FFmpeg's WebVTT reader ignores classes.
            assert!(srt.contains("<font color=\"#ffff00\">Ça va? Привет</font>"), "{target}: {srt}");
        }
        if target != "ssa" {
            assert!(srt.contains("<u>underlined</u>"), "{target}: {srt}");
        }
    }
    let vtt = String::from_utf8(engine.convert(&source, "srt", "vtt").unwrap()).unwrap();
    assert!(!vtt.contains("STYLE") && vtt.contains("<c.yellow>Ça va? Привет</c>"), "a default colour class: {vtt}");
    assert!(vtt.contains("00:00:02.250 --> 00:00:04.000 line:0"), "the top cue: {vtt}");
    // A colour WebVTT has no class for gets one in a STYLE block, and comes back.
    let custom = b"1\n00:00:01,000 --> 00:00:02,000\n<font color=\"#123456\">deep blue</font>\n";
    let vtt = String::from_utf8(engine.convert(custom, "srt", "vtt").unwrap()).unwrap();
    assert!(vtt.contains("STYLE\n::cue(.c_123456) { color: #123456; }") && vtt.contains("<c.c_123456>deep blue</c>"), "{vtt}");
    let back = String::from_utf8(engine.convert(vtt.as_bytes(), "vtt", "srt").unwrap()).unwrap();
    assert!(back.contains("<font color=\"#123456\">deep blue</font>"), "{back}");
    let ass = String::from_utf8(engine.convert(&source, "srt", "ass").unwrap()).unwrap();
    assert!(ass.contains(",{\\an8}{\\b1}Bold{\\b0} at the top"), "{ass}");
    let ttml = String::from_utf8(engine.convert(&source, "srt", "ttml").unwrap()).unwrap();
    assert!(ttml.contains("tts:fontStyle=\"italic\" tts:textDecoration=\"none\">world</span>"), "{ttml}");
    assert!(ttml.contains("region=\"top\"><span tts:fontWeight=\"bold\""), "{ttml}");
    // SSA styles: Sign is bold, yellow and at the top; Default is neither.
    let report = report(&fixture("dialogue.ssa"), "ssa", "srt", &Options::new()).unwrap();
    let srt = String::from_utf8(report.0).unwrap();
    assert!(srt.contains("{\\an8}<font color=\"#ffff00\"><b>Bold at the top</b></font>"), "{srt}");
    assert!(report.1.iter().any(|n| n.contains("the fonts and sizes of 2 styles") && n.contains("the speaker names of 2 cues")), "{:?}", report.1);
    // ...and back to ASS, with its styles and speakers.
    let ass = String::from_utf8(engine.convert(&fixture("dialogue.ssa"), "ssa", "ass").unwrap()).unwrap();
    assert!(ass.contains("Style: Sign,Georgia,22,&H0000FFFF,") && ass.contains(",Default,Bob,"), "{ass}");
    assert!(ass.contains("Dialogue: 0,0:00:02.25,0:00:04.00,Sign,,0,0,0,,Bold at the top"), "{ass}");
}

#[test]
fn legacy_encodings_are_detected() {
    let (output, notes) = report(&fixture("cp1251.srt"), "srt", "vtt", &Options::new()).unwrap();
    let cues = cues_of(&output, "vtt");
    assert_eq!(cues, expected(&[(1000, 3000, "Привет, как дела? Это проверка кодировки."), (4000, 5500, "До свидания!")]));
    assert!(notes.iter().any(|n| n.contains("windows-1251")), "{notes:?}");
}

#[test]
fn timing_shifts_and_frame_rates() {
    let engine = fileconv::engine();
    let source = fixture("dialogue.srt");
    let shifted = engine.convert_with(&source, "srt", "srt", &Options::new().with("shift", "-1")).unwrap();
    assert_eq!(cues_of(&shifted, "srt")[..2], expected(&[(0, 1000, "Hello, world!"), (1250, 3000, "Bold at the top")])[..]);
    let later = engine.convert_with(&source, "srt", "vtt", &Options::new().with("shift", "+0:01:00.5")).unwrap();
    assert_eq!(cues_of(&later, "vtt")[0].0, 61_000);
    // 25 fps material played at 23.976: every time grows by 25/23.976.
    let slowed = engine.convert_with(&source, "srt", "srt", &Options::new().with("fps", "25:23.976")).unwrap();
    let cue = &cues_of(&slowed, "srt")[3];
    assert_eq!((cue.0, cue.1), (7299, 9384));
    let (_, notes) = report(&source, "srt", "srt", &Options::new().with("shift", "-5")).unwrap();
    assert!(notes.iter().any(|n| n.contains("2 cues ended before 0:00")), "{notes:?}");
    for (name, value) in [("shift", "soon"), ("shift", "-1000000"), ("fps", "25"), ("fps", "0:25"), ("shift", "-60")] {
        let error = engine.convert_with(&source, "srt", "vtt", &Options::new().with(name, value)).unwrap_err();
        assert!(matches!(error, fileconv::Error::InvalidOption { .. }), "{name}={value}: {error}");
    }
}

#[test]
fn a_video_s_subtitle_streams_are_extracted() {
    let engine = fileconv::engine();
    let mkv = fixture("subtitled.mkv");
    // The second stream is the ASS one: its script header comes along.
    let ass = engine.convert_with(&mkv, "mkv", "ass", &Options::new().with("subtitleTrack", "2")).unwrap();
    assert_eq!(cues_of(&ass, "ass"), expected(DIALOGUE));
    let json: serde_json::Value = serde_json::from_slice(&engine.convert_with(&mkv, "mkv", "json", &Options::new().with("subtitleTrack", "2")).unwrap()).unwrap();
    assert_eq!(json["language"], "fra");
    let error = engine.convert_with(&mkv, "mkv", "srt", &Options::new().with("subtitleTrack", "3")).unwrap_err();
    assert!(error.to_string().contains("has 2 subtitle streams, not 3"), "{error}");
    let silent = std::fs::read(testdata().join("video/clip.mp4")).unwrap();
    let error = engine.convert(&silent, "mp4", "srt").unwrap_err();
    assert!(matches!(error, fileconv::Error::InvalidInput { .. }) && error.to_string().contains("no subtitle stream"), "{error}");
}

/// Each subtitle stream of a video as FFmpeg reads it: codec, language, cues.
fn subtitle_streams(bytes: &[u8], ext: &str) -> Vec<(String, String, Vec<(u64, u64, String)>)> {
    let path = temp(&format!("carried.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "s", "-show_entries", "stream=codec_name:stream_tags=language", "-of", "csv=p=0"])
        .arg(&path)
        .output()
        .expect("ffprobe runs");
    let listed = String::from_utf8(probe.stdout).unwrap();
    let streams = listed.lines().enumerate().map(|(n, line)| {
        let (codec, language) = line.split_once(',').unwrap_or((line, ""));
        let srt = Command::new("ffmpeg").args(["-hide_banner", "-loglevel", "error", "-i"]).arg(&path).args(["-map", &format!("0:s:{n}"), "-f", "srt", "-"]).output().expect("ffmpeg runs");
        assert!(srt.status.success(), "ffmpeg reads subtitle stream {n}: {}", String::from_utf8_lossy(&srt.stderr));
        (codec.to_string(), language.to_string(), srt_cues(&String::from_utf8(srt.stdout).unwrap()))
    });
    let streams = streams.collect();
    let _ = std::fs::remove_file(&path);
    streams
}

#[test]
fn a_video_s_subtitle_streams_are_carried_into_video_targets() {
    let dialogue = expected(DIALOGUE);
    // Copied where the target holds the codec; text re-encoded into the one it holds.
    for (source, from, to, carried) in [
        ("subtitled.mkv", "mkv", "mp4", &[("mov_text", "eng"), ("mov_text", "fra")][..]),
        ("subtitled.mkv", "mkv", "mov", &[("mov_text", "eng"), ("mov_text", "fra")]),
        ("subtitled.mkv", "mkv", "webm", &[("webvtt", "eng"), ("webvtt", "fra")]),
        ("subtitled.mkv", "mkv", "mkv", &[("subrip", "eng"), ("ass", "fra")]),
        ("subtitled.mp4", "mp4", "mkv", &[("ass", "eng")]),
        ("subtitled.webm", "webm", "mkv", &[("webvtt", "")]),
        ("subtitled.webm", "webm", "mp4", &[("mov_text", "und")]),
    ] {
        let (video, notes) = report(&fixture(source), from, to, &Options::new()).unwrap();
        assert!(notes.iter().all(|n| !n.contains("subtitle")), "{source} to {to}: {notes:?}");
        let streams = subtitle_streams(&video, to);
        let found: Vec<(&str, &str)> = streams.iter().map(|(codec, language, _)| (codec.as_str(), language.as_str())).collect();
        assert_eq!(found, carried, "{source} to {to}");
        for (codec, _, cues) in &streams {
            assert_eq!(cues, &dialogue, "{source} to {to}: the {codec} stream's cues");
        }
    }
    // Where they cannot go, a note says so and why.
    let mkv = fixture("subtitled.mkv");
    let (video, notes) = report(&mkv, "mkv", "avi", &Options::new()).unwrap();
    assert!(subtitle_streams(&video, "avi").is_empty());
    assert!(notes.iter().any(|n| n.contains("2 subtitle stream(s) (subrip, ass) are not carried into avi: the target holds no subtitles")), "{notes:?}");
    let (video, notes) = report(&mkv, "mkv", "mp4", &Options::new().with("start", "1")).unwrap();
    assert!(subtitle_streams(&video, "mp4").is_empty());
    assert!(notes.iter().any(|n| n.contains("not carried into mp4: the video is cut")), "{notes:?}");
}

#[test]
fn bad_subtitle_input_is_a_typed_error() {
    let engine = fileconv::engine();
    for format in ["srt", "vtt", "ass", "ssa", "sbv", "ttml"] {
        for bytes in [&b""[..], b"\x00\x01\x02\x03\xff\xfe garbage", b"just some words\nwithout any cue\n", b"WEBVTT\n\n<tt"] {
            let error = engine.convert(bytes, format, "srt").unwrap_err();
            assert!(matches!(error, fileconv::Error::InvalidInput { .. } | fileconv::Error::FormatMismatch { .. }), "{format} {bytes:?}: {error}");
        }
    }
    let deep = format!("<tt xmlns=\"http://www.w3.org/ns/ttml\"><body>{}</body></tt>", "<div>".repeat(10_000));
    let error = engine.convert(deep.as_bytes(), "ttml", "srt").unwrap_err();
    assert!(error.to_string().contains("nest deeper"), "{error}");
}
