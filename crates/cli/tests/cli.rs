//! The `fileconv` binary, run as a user would.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/image").join(name)
}

fn fileconv(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fileconv")).args(args).output().expect("binary runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fileconv-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn dimensions(path: &Path) -> (u64, u64) {
    let out = fileconv(&["probe", "--json", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    (v["width"].as_u64().unwrap(), v["height"].as_u64().unwrap())
}

#[test]
fn converts_one_file_with_options() {
    let dir = scratch("one");
    let out = dir.join("small.jpg");
    let run = fileconv(&["convert", testdata("rose.png").to_str().unwrap(), out.to_str().unwrap(), "-o", "width=35", "-o", "quality=70"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(dimensions(&out), (35, 23));
    let probe = fileconv(&["probe", out.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&probe.stdout).contains("format: jpg"));
}

#[test]
fn converts_through_stdin_and_stdout() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fileconv"))
        .args(["convert", "-", "-", "--to", "png"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(testdata("rose.jpg")).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout.starts_with(b"\x89PNG"), "detected jpg on stdin, wrote png");
}

#[test]
fn converts_a_batch_into_a_directory() {
    let dir = scratch("batch");
    let inputs = ["rose.png", "alpha.png", "anim.gif", "shapes.svg"].map(|n| testdata(n).to_string_lossy().into_owned());
    let mut args = vec!["convert"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--to", "webp", "--out-dir", dir.to_str().unwrap(), "-j", "2"]);
    let run = fileconv(&args);
    assert!(run.status.success(), "{}", stderr(&run));
    let mut made: Vec<String> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    made.sort();
    assert_eq!(made, ["alpha.webp", "anim.webp", "rose.webp", "shapes.webp"]);
    assert_eq!(dimensions(&dir.join("shapes.webp")), (80, 60));
    // Two inputs that would write the same output are refused before any work.
    let clash = [testdata("rose.png"), testdata("rose.bmp")].map(|p| p.to_string_lossy().into_owned());
    let other = scratch("clash");
    let run = fileconv(&["convert", &clash[0], &clash[1], "--to", "jpg", "--out-dir", other.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("would both be written"));
    assert_eq!(std::fs::read_dir(&other).unwrap().count(), 0);
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let dir = scratch("codes");
    let rose = testdata("rose.png");
    let rose = rose.to_str().unwrap();
    let out = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let code = |args: &[&str]| {
        let run = fileconv(args);
        let text = stderr(&run);
        assert_eq!(text.trim_end().lines().count(), 1, "one line on stderr: {text}");
        run.status.code().unwrap()
    };
    assert_eq!(code(&["convert", rose, &out("a.jpg"), "-o", "quality=0"]), 2, "bad option");
    assert_eq!(code(&["convert", rose, &out("a.doc")]), 3, "unsupported target");
    assert_eq!(code(&["convert", rose, &out("a.jpg"), "--from", "gif"]), 4, "wrong source format");
    std::fs::write(dir.join("junk.png"), b"\x89PNG\r\n\x1a\ngarbage").unwrap();
    assert_eq!(code(&["convert", &out("junk.png"), &out("b.jpg")]), 4, "corrupt input");
    let bomb = dir.join("bomb.pgm");
    std::fs::write(&bomb, b"P5\n60000 60000\n255\n\0").unwrap();
    assert_eq!(code(&["convert", bomb.to_str().unwrap(), &out("c.png")]), 5, "limit");
    assert_eq!(fileconv(&["convert"]).status.code(), Some(2), "usage");
    assert!(!dir.join("a.jpg").exists() && !dir.join("b.jpg").exists(), "failed conversions leave no output");
}

#[test]
fn a_file_named_as_another_format_converts_as_what_it_is() {
    // A PNG named .pbm: the name is only a claim; --from is the user's word.
    let dir = scratch("named");
    let named = dir.join("photo.pbm");
    std::fs::copy(testdata("rose.png"), &named).unwrap();
    let out = dir.join("photo.jpg");
    let run = fileconv(&["convert", named.to_str().unwrap(), out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).contains("holds png, not pbm as its name says; converting it as png"), "{}", stderr(&run));
    assert_eq!(dimensions(&out), (70, 46));
    let told = fileconv(&["convert", named.to_str().unwrap(), dir.join("again.jpg").to_str().unwrap(), "--from", "pbm"]);
    assert_eq!(told.status.code(), Some(4), "{}", stderr(&told));
}

#[test]
fn conversions_say_what_they_repaired() {
    let damaged = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/realworld/jpeg-extraneous-bytes.jpg");
    let out = scratch("repaired").join("damaged.png");
    let run = fileconv(&["convert", damaged.to_str().unwrap(), out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stderr(&run).starts_with("fileconv: warning: ") && stderr(&run).contains("extraneous bytes"), "{}", stderr(&run));
}

#[test]
fn formats_json_lists_every_pair_with_options() {
    let run = fileconv(&["formats", "--json"]);
    assert!(run.status.success());
    let list: Vec<serde_json::Value> = serde_json::from_slice(&run.stdout).unwrap();
    let images = list.iter().filter(|c| c["category"] == "image").count();
    assert!(images >= 250, "{images} image pairs");
    let jpg = list.iter().find(|c| c["from"] == "png" && c["to"] == "jpg").unwrap();
    let quality = jpg["options"].as_array().unwrap().iter().find(|o| o["name"] == "quality").unwrap();
    assert_eq!((quality["min"].as_i64(), quality["max"].as_i64(), quality["default"].as_str()), (Some(1), Some(100), Some("85")));
}

#[test]
fn path_explains_the_choice() {
    let run = fileconv(&["path", "png", "jpg"]);
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().next(), Some("png --png--> raster --turbojpeg--> jpg"));
}

#[test]
fn readme_formats_table_is_current() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let start = readme.find("<!-- formats:start -->").expect("README has the formats markers") + "<!-- formats:start -->\n".len();
    let end = readme.find("<!-- formats:end -->").unwrap();
    let run = fileconv(&["formats", "--markdown"]);
    assert_eq!(&readme[start..end], String::from_utf8_lossy(&run.stdout), "README formats table is stale: run `make readme`");
}

#[test]
fn converts_audio_with_options_and_probes_it() {
    let dir = scratch("audio");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/audio/tone.flac");
    let out = dir.join("tone.mp3");
    let run = fileconv(&[
        "convert",
        source.to_str().unwrap(),
        out.to_str().unwrap(),
        "-o",
        "bitrate=96k",
        "-o",
        "channels=1",
        "-o",
        "duration=1",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let probe = fileconv(&["probe", "--json", out.to_str().unwrap()]);
    assert!(probe.status.success(), "{}", stderr(&probe));
    let v: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert_eq!(v["format"], "mp3");
    assert_eq!(v["channels"], 1);
    assert_eq!(v["sample_rate"], 44_100);
    assert_eq!(v["title"], "Test Tone");
    assert!(v["cover"].as_str().is_some_and(|c| c.starts_with("image/jpeg")), "{v}");
    let ms = v["duration_ms"].as_u64().unwrap();
    assert!((950..=1050).contains(&ms), "{ms} ms");
    // A bad option value is a usage error, exit code 2, with the valid range.
    let bad = fileconv(&["convert", source.to_str().unwrap(), dir.join("x.mp3").to_str().unwrap(), "-o", "bitrate=5000k"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("8k to 320k"), "{}", stderr(&bad));
}
