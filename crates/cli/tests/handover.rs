//! The quick `fileconv` and `fileconv-full`: the quick one loads no media
//! library, chooses the paths the full one does, and hands over the rest so
//! that a user sees the same result from either.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const QUICK: &str = env!("CARGO_BIN_EXE_fileconv");
const FULL: &str = env!("CARGO_BIN_EXE_fileconv-full");

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program).args(args).output().expect("binary runs")
}

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn conversions(program: &str, args: &[&str]) -> HashMap<(String, String), serde_json::Value> {
    let out = run(program, args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    list.into_iter().map(|c| ((c["from"].as_str().unwrap().to_string(), c["to"].as_str().unwrap().to_string()), c)).collect()
}

#[test]
fn the_quick_program_needs_no_media_library() {
    let out = Command::new("ldd").arg(QUICK).output().expect("ldd (libc-bin) runs");
    let libraries = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{libraries}");
    for heavy in ["libavcodec", "libavformat", "libavutil", "libheif", "libtiff", "libx26"] {
        assert!(!libraries.contains(heavy), "{QUICK} loads {heavy} at start:\n{libraries}");
    }
    let full = String::from_utf8_lossy(&Command::new("ldd").arg(FULL).output().unwrap().stdout).into_owned();
    assert!(full.contains("libavcodec") && full.contains("libheif"), "the full program holds every format:\n{full}");
    assert!(!full.contains("libtiff"), "libtiff is loaded when a TIFF needs it, not at start:\n{full}");
}

#[test]
fn the_quick_program_converts_as_the_full_one_would() {
    let quick = conversions(QUICK, &["formats", "--json", "--here"]);
    let full = conversions(FULL, &["formats", "--json"]);
    assert!(quick.len() > 500, "the quick program holds the image, document, sheet and subtitle pairs: {}", quick.len());
    assert!(full.len() > quick.len() + 500, "{} against {}", full.len(), quick.len());
    for (pair, conversion) in &quick {
        assert_eq!(Some(conversion), full.get(pair), "{pair:?}: the same path and options in both programs");
    }
    assert!(!quick.contains_key(&("wav".to_string(), "mp3".to_string())) && !quick.contains_key(&("heic".to_string(), "jpg".to_string())));
    // `formats` itself lists everything, from either program.
    assert_eq!(conversions(QUICK, &["formats", "--json"]).len(), full.len());
}

/// Every fixture described by both programs alike: the quick one describes
/// what it is sure of and hands over the rest.
#[test]
fn both_programs_describe_every_fixture_alike() {
    let mut checked = 0;
    for family in ["image", "document", "sheet", "subtitle", "audio", "video"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(testdata().join(family)).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        files.sort();
        // Audio and video are all handed over: a few show that it works.
        if matches!(family, "audio" | "video") {
            files.truncate(3);
        }
        for file in files {
            let file = file.to_str().unwrap();
            let (a, b) = (run(QUICK, &["probe", "--json", file]), run(FULL, &["probe", "--json", file]));
            assert_eq!((a.status.code(), &a.stdout, &a.stderr), (b.status.code(), &b.stdout, &b.stderr), "{file}");
            checked += 1;
        }
    }
    assert!(checked > 80, "{checked} fixtures");
}

/// A file whose name says one thing and whose content another is handed
/// over when the content is not the quick program's to judge.
#[test]
fn misnamed_files_get_the_full_programs_answer() {
    let dir = std::env::temp_dir().join(format!("fileconv-handover-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("image/rose.heic", "photo.png", "jpg", true),
        ("audio/alaw.wav", "table.csv", "json", false),
        ("image/rose.jpg", "picture.png", "webp", true),
        ("subtitle/dialogue.srt", "notes.txt", "md", false),
        ("document/sample.md", "notes.txt", "html", true),
    ];
    for (fixture, name, to, converts) in cases {
        let input = dir.join(name);
        std::fs::copy(testdata().join(fixture), &input).unwrap();
        let outputs = [QUICK, FULL].map(|program| {
            let output = dir.join(format!("{}.{to}", Path::new(program).file_name().unwrap().to_string_lossy()));
            let out = run(program, &["convert", input.to_str().unwrap(), output.to_str().unwrap()]);
            (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), std::fs::read(&output).ok())
        });
        assert_eq!(outputs[0], outputs[1], "{fixture} as {name}");
        assert_eq!(outputs[0].2.is_some(), converts, "{fixture} as {name}: {}", outputs[0].1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A GIF whose LZW stream breaks halfway: the image crate refuses it,
/// FFmpeg's GIF decoder (the full program's second reader) reads it.
fn broken_gif() -> Vec<u8> {
    let mut gif = std::fs::read(testdata().join("image/anim.gif")).unwrap();
    let middle = gif.len() / 2;
    gif[middle..middle + 8].fill(0xFF);
    gif
}

/// What this program's readers refuse gets the full program's second
/// readers: one file, standard input, a batch and `probe` alike.
#[test]
fn refused_files_get_a_second_opinion() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("fileconv-second-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.gif");
    std::fs::write(&broken, broken_gif()).unwrap();
    let (input, png) = (broken.to_str().unwrap(), dir.join("broken.png"));

    let out = run(QUICK, &["convert", input, png.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("read instead by the ffmpeg-gif reader"), "the full program's note is passed on: {said}");
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));

    let mut child = Command::new(QUICK)
        .args(["convert", "-", "-", "--from", "gif", "--to", "png"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&broken_gif()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.starts_with(b"\x89PNG"), "standard input is given to the full program");

    let batch = dir.join("batch");
    let rose = testdata().join("image/rose.png");
    let out = run(QUICK, &["convert", input, rose.to_str().unwrap(), "--to", "webp", "--out-dir", batch.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains(&format!("fileconv: warning: {input}: ")), "the note names its file: {said}");
    assert!(batch.join("broken.webp").is_file() && batch.join("rose.webp").is_file());

    let (a, b) = (run(QUICK, &["probe", "--json", input]), run(FULL, &["probe", "--json", input]));
    assert_eq!((a.status.code(), &a.stdout, &a.stderr), (b.status.code(), &b.stdout, &b.stderr));

    // What neither program reads fails with the same words and code.
    let garbage = dir.join("garbage.gif");
    std::fs::write(&garbage, b"GIF89a\x01\x00\x01\x00garbage").unwrap();
    let outputs = [QUICK, FULL].map(|program| {
        let out = run(program, &["convert", garbage.to_str().unwrap(), dir.join("garbage.png").to_str().unwrap()]);
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    });
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0].0, Some(4), "{}", outputs[0].1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The quick program alone (no fileconv-full beside it) converts what it
/// holds, old-style JPEG TIFFs through the system libtiff included, and
/// says what it needs for the rest.
#[test]
fn the_quick_program_alone_converts_what_it_holds() {
    let dir = std::env::temp_dir().join(format!("fileconv-alone-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("fileconv");
    std::fs::copy(QUICK, &alone).unwrap();
    let alone = alone.to_str().unwrap();
    for (fixture, target) in [
        ("image/rose.png", "jpg"),
        ("realworld/tiff-old-jpeg.tif", "png"),
        ("document/sample.docx", "md"),
        ("document/sample.md", "pdf"),
        ("sheet/book.xlsx", "csv"),
        ("subtitle/dialogue.srt", "vtt"),
    ] {
        let output = dir.join(format!("out.{target}"));
        let out = run(alone, &["convert", testdata().join(fixture).to_str().unwrap(), output.to_str().unwrap()]);
        assert!(out.status.success(), "{fixture}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(std::fs::metadata(&output).unwrap().len() > 0, "{fixture}");
    }
    let out = run(alone, &["convert", testdata().join("audio/alaw.wav").to_str().unwrap(), dir.join("out.mp3").to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("needs fileconv-full") && said.contains("not installed beside"), "{said}");
    let _ = std::fs::remove_dir_all(&dir);
}
