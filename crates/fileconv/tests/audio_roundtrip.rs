//! Every readable audio fixture converted to every writable audio format; the
//! output decoded again by fileconv and by FFmpeg's command-line tools:
//! duration within 50 ms, channels and rate kept, the test tones intact.

mod common;

use common::{audio_fixtures, decode_audio, ffprobe, writable, Decoded};
use fileconv::{Category, Options};

/// Rates a target cannot hold are raised to the next one it can.
fn expected_rate(target: &str, source: u32) -> u32 {
    match target {
        "opus" => 48_000,
        _ => source,
    }
}

/// Largest duration difference allowed. Raw ADTS has nowhere to record the
/// AAC encoder's delay: 1024 priming frames plus up to 1023 of padding stay
/// in the stream (46 ms at 44.1 kHz, 256 ms at 8 kHz), for every decoder.
/// In M4A the edit list trims both, but FFmpeg 5.1's decoder (this test's,
/// and ffmpeg's own for the M4A it writes) leaves the padding in: 128 ms at 8 kHz.
fn duration_tolerance(target: &str, rate: u32) -> f64 {
    match target {
        "aac" => 2048.0 / f64::from(rate) + 0.005,
        "m4a" => (1024.0 / f64::from(rate) + 0.005).max(0.05),
        _ => 0.05,
    }
}

/// ffprobe's codec name for what each target writes.
fn expected_codec(target: &str) -> &'static str {
    match target {
        "wav" => "pcm_",
        "mp3" => "mp3",
        "flac" => "flac",
        "ogg" => "vorbis",
        "opus" => "opus",
        "m4a" | "aac" => "aac",
        "aiff" => "pcm_s",
        "wma" => "wmav2",
        _ => "?",
    }
}

fn check(source: &Decoded, output: &Decoded, target: &str) -> Result<(), String> {
    let mut problems = Vec::new();
    if output.spec.channels != source.spec.channels {
        problems.push(format!("{} channels, source has {}", output.spec.channels, source.spec.channels));
    }
    let rate = expected_rate(target, source.spec.sample_rate);
    if output.spec.sample_rate != rate {
        problems.push(format!("{} Hz, expected {rate}", output.spec.sample_rate));
    }
    let drift = (output.seconds() - source.seconds()).abs();
    if drift > duration_tolerance(target, rate) {
        problems.push(format!("{:.3} s, source {:.3} s", output.seconds(), source.seconds()));
    }
    if !output.has_tone(0, 440.0) {
        problems.push("no 440 Hz tone in channel 1".to_string());
    }
    if output.spec.channels == 2 && !output.has_tone(1, 660.0) {
        problems.push("no 660 Hz tone in channel 2".to_string());
    }
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

#[test]
fn every_readable_fixture_to_every_writable_format() {
    let engine = fileconv::engine();
    let targets = writable(Category::Audio);
    assert_eq!(targets, ["aac", "aiff", "flac", "m4a", "mp3", "ogg", "opus", "wav", "wma"]);
    let fixtures = audio_fixtures();
    let mut sources: Vec<&str> = fixtures.iter().map(|(_, f, _)| f.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    assert_eq!(sources, ["aac", "ac3", "aiff", "caf", "flac", "m4a", "mp3", "ogg", "opus", "wav", "wma"]);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, from, bytes) in &fixtures {
        let source = decode_audio(bytes, from);
        assert!(source.has_tone(0, 440.0), "{file}: the fixture itself lacks its tone");
        for target in &targets {
            let out = match engine.convert(bytes, from, target) {
                Ok(out) => out,
                Err(e) => {
                    failures.push(format!("{file} -> {target}: {e}"));
                    continue;
                }
            };
            let output = decode_audio(&out, target);
            if let Err(e) = check(&source, &output, target) {
                failures.push(format!("{file} -> {target}: {e}"));
            }
            // An independent reader agrees on codec, rate, channels and length.
            let (codec, rate, channels, seconds) = ffprobe(&out, target);
            let rate_for_tolerance = rate.max(1);
            if !codec.starts_with(expected_codec(target)) || rate != output.spec.sample_rate || channels != output.spec.channels {
                failures.push(format!("{file} -> {target}: ffprobe sees {codec} {rate} Hz {channels} ch"));
            }
            if (seconds - source.seconds()).abs() > duration_tolerance(target, rate_for_tolerance) {
                failures.push(format!("{file} -> {target}: ffmpeg decodes {seconds:.3} s, source {:.3} s", source.seconds()));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} conversions failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, fixtures.len() * targets.len());
}

#[test]
fn options_resample_remix_trim() {
    let engine = fileconv::engine();
    let wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let cases: &[(&[(&str, &str)], &str, u32, u16, f64)] = &[
        (&[("sampleRate", "22050")], "wav", 22_050, 2, 1.5),
        (&[("sampleRate", "96000")], "flac", 96_000, 2, 1.5),
        (&[("channels", "1")], "mp3", 44_100, 1, 1.5),
        (&[("channels", "1"), ("sampleRate", "16000")], "ogg", 16_000, 1, 1.5),
        (&[("start", "0.5")], "wav", 44_100, 2, 1.0),
        (&[("start", "00:00.25"), ("duration", "0.5")], "flac", 44_100, 2, 0.5),
        (&[("duration", "1")], "m4a", 44_100, 2, 1.0),
    ];
    for (options, target, rate, channels, seconds) in cases {
        let opts: Options = options.iter().map(|(k, v)| (*k, *v)).collect();
        let out = engine.convert_with(&wav, "wav", target, &opts).unwrap_or_else(|e| panic!("{options:?} -> {target}: {e}"));
        let d = decode_audio(&out, target);
        assert_eq!((d.spec.sample_rate, d.spec.channels), (*rate, *channels), "{options:?} -> {target}");
        assert!((d.seconds() - seconds).abs() <= 0.05, "{options:?} -> {target}: {:.3} s, expected {seconds}", d.seconds());
        // Resampled, not decimated: the tone is still 440 Hz.
        assert!(d.has_tone(0, 440.0), "{options:?} -> {target}: tone lost");
    }
}

#[test]
fn bitrate_quality_and_depth_options() {
    let engine = fileconv::engine();
    let wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let size = |target: &str, options: &[(&str, &str)]| {
        let opts: Options = options.iter().map(|(k, v)| (*k, *v)).collect();
        engine.convert_with(&wav, "wav", target, &opts).unwrap_or_else(|e| panic!("{options:?}: {e}")).len()
    };
    for target in ["mp3", "m4a", "opus", "ogg", "wma"] {
        let (low, high) = (size(target, &[("bitrate", "64k")]), size(target, &[("bitrate", "256k")]));
        assert!(low * 2 < high, "{target}: 64k gives {low} bytes, 256k {high}");
    }
    for target in ["mp3", "ogg"] {
        let (low, high) = (size(target, &[("quality", "1")]), size(target, &[("quality", "9")]));
        assert!(low < high, "{target}: quality 1 gives {low} bytes, 9 gives {high}");
    }
    // WAV: 16 -> 2 bytes per sample, 24 -> 3, float -> 4.
    let frames = 66_150 * 2;
    for (depth, bytes) in [("16", 2), ("24", 3), ("32", 4)] {
        let n = size("wav", &[("bitDepth", depth)]);
        assert!((n as i64 - (frames * bytes) as i64).abs() < 400, "wav at {depth} bits: {n} bytes");
    }
    let flac24 = engine.convert_with(&wav, "wav", "flac", &Options::new().with("bitDepth", "24")).unwrap();
    assert_eq!(decode_audio(&flac24, "flac").spec.bits_per_sample, Some(24));
    // Depth follows the source when not given: the 24-bit fixture stays 24-bit.
    let wav24 = std::fs::read(common::testdata().join("audio/tone24.wav")).unwrap();
    let out = engine.convert(&wav24, "wav", "flac").unwrap();
    assert_eq!(decode_audio(&out, "flac").spec.bits_per_sample, Some(24));
    let aiff = engine.convert(&wav24, "wav", "aiff").unwrap();
    assert_eq!(decode_audio(&aiff, "aiff").spec.bits_per_sample, Some(24));
}

#[test]
fn invalid_options_are_refused_with_the_valid_range() {
    let engine = fileconv::engine();
    let wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let cases: &[(&str, &str, &str, &str)] = &[
        ("mp3", "sampleRate", "5", "8000 to 192000"),
        ("mp3", "channels", "0", "1 to 8"),
        ("mp3", "bitrate", "999k", "8k to 320k"),
        ("mp3", "bitrate", "fast", "bitrate"),
        ("mp3", "quality", "11", "0 to 10"),
        ("wav", "bitDepth", "12", "16, 24, 32"),
        ("flac", "bitDepth", "32", "16, 24"),
        ("wav", "start", "-1", "seconds"),
        ("wav", "duration", "1:99", "seconds"),
        ("wav", "bitrate", "128k", "unknown option"),
    ];
    for (target, name, value, expect) in cases {
        let err = engine.convert_with(&wav, "wav", target, &Options::new().with(*name, *value)).unwrap_err();
        assert_eq!(err.kind(), fileconv::ErrorKind::InvalidOption, "{name}={value}: {err}");
        assert!(err.to_string().contains(expect), "{name}={value}: '{err}' lacks '{expect}'");
    }
    // A bitrate the codec cannot reach at this rate and channel count.
    let mono8k = std::fs::read(common::testdata().join("audio/mulaw.wav")).unwrap();
    let err = engine.convert_with(&mono8k, "wav", "ogg", &Options::new().with("bitrate", "480k")).unwrap_err();
    assert_eq!(err.kind(), fileconv::ErrorKind::InvalidOption, "{err}");
}

#[test]
fn tags_and_cover_survive() {
    let engine = fileconv::engine();
    // Targets that hold text tags, and those that also hold a cover.
    let tagged = ["wav", "mp3", "flac", "ogg", "opus", "m4a", "aiff", "wma"];
    let with_cover = ["mp3", "flac", "ogg", "opus", "m4a", "aiff"];
    let mut failures = Vec::new();
    for file in ["tone.wav", "tone.mp3", "tone.flac", "tone.ogg", "tone.opus", "tone.m4a", "tone.wma"] {
        let from = file.rsplit('.').next().unwrap();
        let bytes = std::fs::read(common::testdata().join("audio").join(file)).unwrap();
        let source = decode_audio(&bytes, from).tags;
        assert_eq!(source.title.as_deref(), Some("Test Tone"), "{file}: fixture tags not read: {source:?}");
        for target in tagged {
            let mut out = Vec::new();
            let report = engine.convert_stream(fileconv::Source::Bytes(&bytes), from, target, &mut out, &Options::new(), &fileconv::Control::default()).unwrap();
            let tags = decode_audio(&out, target).tags;
            // A target without a cover says it left the source's out.
            let said = report.notes.iter().any(|n| n.starts_with("the cover picture was left out"));
            if said != (source.cover.is_some() && !with_cover.contains(&target)) {
                failures.push(format!("{file} -> {target}: notes {:?}", report.notes));
            }
            for (key, want) in [("title", &source.title), ("artist", &source.artist), ("album", &source.album), ("genre", &source.genre)] {
                let got = tags.text_fields().into_iter().find(|(k, _)| *k == key).and_then(|(_, v)| v.map(str::to_string));
                if want.is_some() && got.as_ref() != want.as_ref() && !(target == "wma" && key == "genre") {
                    failures.push(format!("{file} -> {target}: {key} {got:?}, expected {want:?}"));
                }
            }
            let year = |d: &Option<String>| d.as_deref().map(|d| d.chars().take(4).collect::<String>());
            if source.date.is_some() && year(&tags.date) != year(&source.date) {
                failures.push(format!("{file} -> {target}: date {:?}, expected {:?}", tags.date, source.date));
            }
            let track = |t: &Option<String>| t.as_deref().and_then(|t| t.split('/').next()).map(str::to_string);
            if source.track.is_some() && track(&tags.track) != track(&source.track) {
                failures.push(format!("{file} -> {target}: track {:?}, expected {:?}", tags.track, source.track));
            }
            if let Some(cover) = source.cover.as_ref().filter(|_| with_cover.contains(&target)) {
                match &tags.cover {
                    Some(c) if c.data == cover.data => {}
                    other => failures.push(format!("{file} -> {target}: cover {other:?}, expected {cover:?}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn surround_mixed_down_for_a_stereo_target_says_so() {
    let dir = std::env::temp_dir().join(format!("fileconv-surround-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("six.wav");
    let made = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=440:d=1", "-filter_complex", "[0]asplit=6[a][b][c][d][e][f];[a][b][c][d][e][f]join=inputs=6:channel_layout=5.1"])
        .arg(&wav)
        .status()
        .unwrap();
    assert!(made.success());
    let bytes = std::fs::read(&wav).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut out = Vec::new();
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&bytes), "wav", "mp3", &mut out, &Options::new(), &fileconv::Control::default()).unwrap();
    assert_eq!(decode_audio(&out, "mp3").spec.channels, 2);
    assert!(report.notes.iter().any(|n| n == "the 6 channels were mixed down to 2: MP3 holds at most 2"), "{:?}", report.notes);
    // FLAC holds all six: nothing to say.
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&bytes), "wav", "flac", &mut Vec::new(), &Options::new(), &fileconv::Control::default()).unwrap();
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn chapters_are_carried_into_m4a_mp3_and_opus_cut_with_the_audio_or_named_where_left_out() {
    // ffmpeg makes a 2 s M4A with two chapters, "One" and "Zwei Ü".
    let m4a = common::with_two_chapters(&["-f", "lavfi", "-i", "sine=d=2"], "Zwei Ü", &["-c:a", "aac"], "chaptered.m4a");
    let both = vec![(0, 1000, "One".to_string()), (1000, 2000, "Zwei Ü".to_string())];
    assert_eq!(common::chapters(&m4a, "m4a"), both);
    let convert = |bytes: &[u8], from: &str, to: &str, options: &Options| {
        let mut out = Vec::new();
        let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(bytes), from, to, &mut out, options, &fileconv::Control::default()).unwrap();
        (out, report.notes)
    };
    let (mp3, _) = convert(&m4a, "m4a", "mp3", &Options::new());
    assert_eq!(common::chapters(&mp3, "mp3"), both, "ID3v2 CHAP frames");
    assert_eq!(common::chapters(&convert(&mp3, "mp3", "m4a", &Options::new()).0, "m4a"), both, "and back");
    // Ogg Opus keeps each chapter's start; its reader ends the last at the end of the stream.
    let opus = common::chapters(&convert(&m4a, "m4a", "opus", &Options::new()).0, "opus");
    assert_eq!(opus.iter().map(|(start, _, title)| (*start, title.as_str())).collect::<Vec<_>>(), [(0, "One"), (1000, "Zwei Ü")]);
    // Cut from 0.5 s for 1 s: both chapters, shifted and clipped.
    let cut = Options::new().with("start", "0.5").with("duration", "1");
    assert_eq!(common::chapters(&convert(&m4a, "m4a", "mp3", &cut).0, "mp3"), vec![(0, 500, "One".to_string()), (500, 1000, "Zwei Ü".to_string())]);
    // A WAV's cue points, titled by their labels, as FFmpeg reads them:
    // tone.wav (ffmpeg's) with a `cue ` chunk at 0.5 s and 1 s and a `LIST/adtl`.
    let mut wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let rate = u32::from_le_bytes(wav[24..28].try_into().unwrap());
    let mut cue = b"cue ".to_vec();
    cue.extend(52u32.to_le_bytes());
    cue.extend(2u32.to_le_bytes());
    for (id, at) in [(3u32, rate / 2), (7, rate)] {
        for field in [id, at, u32::from_le_bytes(*b"data"), 0, 0, at] {
            cue.extend(field.to_le_bytes());
        }
    }
    let mut adtl = b"adtl".to_vec();
    for (id, label) in [(3u32, &b"Half\0"[..]), (7, &b"Second\0"[..])] {
        adtl.extend(b"labl");
        adtl.extend((4 + label.len() as u32).to_le_bytes());
        adtl.extend(id.to_le_bytes());
        adtl.extend(label);
        if label.len() % 2 == 1 {
            adtl.push(0);
        }
    }
    wav.extend(cue);
    wav.extend(b"LIST");
    wav.extend((adtl.len() as u32).to_le_bytes());
    wav.extend(adtl);
    let riff = (wav.len() - 8) as u32;
    wav[4..8].copy_from_slice(&riff.to_le_bytes());
    let by_ffmpeg = common::chapters(&wav, "wav");
    assert_eq!(by_ffmpeg.iter().map(|(s, _, t)| (*s, t.as_str())).collect::<Vec<_>>(), [(500, "Half"), (1000, "Second")]);
    assert_eq!(common::chapters(&convert(&wav, "wav", "mp3", &Options::new()).0, "mp3"), by_ffmpeg);
    // Targets without chapters say so.
    for target in ["wav", "flac", "ogg"] {
        let (_, notes) = convert(&m4a, "m4a", target, &Options::new());
        let said = format!("2 chapter(s) of the source are left out: {} holds none", target.to_uppercase());
        assert!(notes.contains(&said), "{target}: {notes:?}");
    }
}

#[test]
fn progress_rises_and_cancellation_stops() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let engine = fileconv::engine();
    let wav = std::fs::read(common::testdata().join("audio/tone.wav")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let control = fileconv::Control { progress: Some(Arc::new(move |f| log.lock().unwrap().push(f))), cancel: None, durable: false };
    let mut out = Vec::new();
    engine.convert_stream(fileconv::Source::Bytes(&wav), "wav", "mp3", &mut out, &Options::new(), &control).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 5, "only {} progress reports", seen.len());
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "progress went backwards: {seen:?}");
    assert_eq!(seen.last().copied(), Some(1.0));

    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    // Raise the flag from the progress callback: the next chunk must not be encoded.
    let control = fileconv::Control { progress: Some(Arc::new(move |f| if f > 0.2 { flag.store(true, Ordering::Relaxed) })), cancel: Some(cancel), durable: false };
    let err = engine.convert_stream(fileconv::Source::Bytes(&wav), "wav", "flac", &mut Vec::new(), &Options::new(), &control).unwrap_err();
    assert_eq!(err.kind(), fileconv::ErrorKind::Cancelled);
}

/// `seconds` of 16-bit stereo at 44.1 kHz: 440 Hz left, 660 Hz right, at half scale.
fn long_tone_wav(seconds: u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..44_100 * seconds)
        .flat_map(|i| {
            [440.0, 660.0].map(|f| (0.5 * (2.0 * std::f64::consts::PI * f * f64::from(i) / 44_100.0).sin() * 32767.0).round() as i16)
        })
        .collect();
    fileconv::fuzzing::pcm16_wav(44_100, 2, &samples)
}

/// Long MP3 output is encoded in parallel segments (6.7 s each): the joined
/// stream must have the source's exact length and follow the sine across
/// every join, with no gap, repeat or click.
#[test]
fn segmented_mp3_joins_without_gaps_or_clicks() {
    let wav = long_tone_wav(30);
    let mp3 = fileconv::engine().convert(&wav, "wav", "mp3").unwrap();
    let decoded = decode_audio(&mp3, "mp3");
    assert!((decoded.seconds() - 30.0).abs() < 0.01, "{:.4} s", decoded.seconds());
    let mut worst = (0.0f64, 0usize);
    for i in 2_000..decoded.frames() - 2_000 {
        let ideal = 0.5 * (2.0 * std::f64::consts::PI * 440.0 * i as f64 / 44_100.0).sin();
        let err = (f64::from(decoded.samples[i * 2]) - ideal).abs();
        if err > worst.0 {
            worst = (err, i);
        }
    }
    assert!(worst.0 < 0.05, "largest error {:.4} at frame {} (segment joins every 294912 frames)", worst.0, worst.1);
    // An independent decoder agrees on the length (it reads the LAME tag).
    let (_, _, _, seconds) = ffprobe(&mp3, "mp3");
    assert!((seconds - 30.0).abs() < 0.01, "ffmpeg decodes {seconds:.4} s");
}
