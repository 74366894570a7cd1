//! The format graph and the engine's contracts, on the real registry and on
//! small explicit ones.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use fileconv::image::DynamicImage;
use fileconv::{
    Category, Context, Control, Decoder, Encoder, Engine, Error, ErrorKind, FormatInfo, Fused, Input, OptionKind, OptionSpec, Options,
    Raster, Registry, Result, Source, Transform, Value, ValueKind,
};

#[test]
fn paths_are_the_expected_ones() {
    let engine = fileconv::engine();
    assert_eq!(engine.path("png", "jpg").unwrap().to_string(), "png --png--> raster --turbojpeg--> jpg");
    assert_eq!(engine.path("JPEG", ".tif").unwrap().to_string(), "jpg --turbojpeg--> raster --tiff--> tiff");
    assert_eq!(engine.path("gif", "webp").unwrap().lossy_steps(), 1);
    assert_eq!(engine.path("png", "png").unwrap().lossy_steps(), 0);
}

#[test]
fn unknown_formats_and_missing_paths_are_typed() {
    let engine = fileconv::engine();
    assert!(matches!(engine.path("nope", "png"), Err(Error::UnknownFormat { name }) if name == "nope"));
    assert!(matches!(engine.path("png", "svg"), Err(Error::NoPath { .. })), "svg is read only");
    assert!(matches!(engine.path("png", "dds"), Err(Error::NoPath { .. })), "dds is read only");
    assert_eq!(fileconv::convert(b"x", "png", "doc").unwrap_err().kind(), ErrorKind::Unsupported);
}

#[test]
fn conversions_list_is_deterministic_and_carries_options() {
    let engine = fileconv::engine();
    let a: Vec<String> = engine.conversions().iter().map(|c| c.path.to_string()).collect();
    let b: Vec<String> = fileconv::default_engine().conversions().iter().map(|c| c.path.to_string()).collect();
    assert_eq!(a, b);
    let jpg = engine.conversions().into_iter().find(|c| c.from == "png" && c.to == "jpg").unwrap();
    let names: Vec<&str> = jpg.path.options().iter().map(|o| o.name).collect();
    assert_eq!(names, ["background", "fit", "height", "quality", "strict", "strip", "width"]);
}

#[test]
fn every_fixture_is_detected_as_its_format() {
    let engine = fileconv::engine();
    for (file, format, bytes) in common::image_fixtures() {
        let expected = engine.format(&format).unwrap();
        let detected = engine.detect(&bytes).map(|f| f.id);
        if expected.sniff.is_some() {
            assert_eq!(detected, Some(expected.id), "{file}");
        } else {
            assert_eq!(detected, None, "{file} has no signature");
        }
    }
}

#[test]
fn progress_rises_to_one() {
    let png = std::fs::read(common::testdata().join("image/anim.gif")).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let control = Control { progress: Some(Arc::new(move |f| sink.lock().unwrap().push(f))), cancel: None, durable: false };
    let options = Options::new().with("width", "20");
    fileconv::engine().convert_stream(Source::Bytes(&png), "gif", "webp", &mut Vec::new(), &options, &control).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "not monotonic: {seen:?}");
    assert_eq!(*seen.last().unwrap(), 1.0);
}

#[test]
fn files_convert_through_paths_and_failures_leave_nothing() {
    let dir = std::env::temp_dir().join(format!("fileconv-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("rose.webp");
    let input = common::testdata().join("image/rose.png");
    let report = fileconv::engine().convert_file(&input, &out, "png", "webp", &Options::new(), &Control::default()).unwrap();
    assert_eq!(report.bytes_written, std::fs::metadata(&out).unwrap().len());
    let bad = dir.join("bad.jpg");
    let err = fileconv::engine().convert_file(&input, &bad, "gif", "jpg", &Options::new(), &Control::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::FormatMismatch);
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, [std::ffi::OsString::from("rose.webp")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// An output replaces what stood at its path as a rename would (the file
/// is exchanged with the old one, which is then removed): another link of
/// the old file keeps the old bytes, a symbolic link is replaced and not
/// followed, a folder is refused and kept, and nothing is left beside them.
#[test]
fn outputs_replace_files_links_and_never_folders() {
    let dir = std::env::temp_dir().join(format!("fileconv-replace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = common::testdata().join("image/rose.png");
    let convert = |out: &std::path::Path| fileconv::engine().convert_file(&input, out, "png", "webp", &Options::new(), &Control::default());
    let fresh = dir.join("fresh.webp");
    convert(&fresh).unwrap();
    let webp = std::fs::read(&fresh).unwrap();
    assert_eq!(&webp[8..12], b"WEBP");

    let old = dir.join("old.webp");
    std::fs::write(&old, b"old bytes").unwrap();
    let other_link = dir.join("other-link");
    std::fs::hard_link(&old, &other_link).unwrap();
    convert(&old).unwrap();
    assert_eq!(std::fs::read(&old).unwrap(), webp);
    assert_eq!(std::fs::read(&other_link).unwrap(), b"old bytes");

    let target = dir.join("target");
    std::fs::write(&target, b"target bytes").unwrap();
    let link = dir.join("link.webp");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    convert(&link).unwrap();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_file());
    assert_eq!(std::fs::read(&link).unwrap(), webp);
    assert_eq!(std::fs::read(&target).unwrap(), b"target bytes");

    let folder = dir.join("folder.webp");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("inside"), b"kept").unwrap();
    let err = convert(&folder).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert_eq!(std::fs::read(folder.join("inside")).unwrap(), b"kept");

    let mut left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["folder.webp", "fresh.webp", "link.webp", "old.webp", "other-link", "target"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writers that patch headers (WAV, MP4, XLSX) write a file destination in
/// place, through its own spool, and the file holds exactly what a stream
/// gets; a limit stops them there too, and a failure leaves nothing.
#[test]
fn patching_writers_write_file_destinations_in_place() {
    let dir = std::env::temp_dir().join(format!("fileconv-in-place-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let engine = fileconv::engine();
    for (fixture, from, to) in [("audio/tone.wav", "wav", "wav"), ("audio/tone.mp3", "mp3", "wav"), ("video/clip.mkv", "mkv", "mp4"), ("audio/tone.flac", "flac", "m4a")] {
        let input = common::testdata().join(fixture);
        let out = dir.join(format!("out.{to}"));
        let report = engine.convert_file(&input, &out, from, to, &Options::new(), &Control::default()).unwrap();
        let in_file = std::fs::read(&out).unwrap();
        assert_eq!(report.bytes_written, in_file.len() as u64, "{fixture}");
        let mut streamed = Vec::new();
        engine.convert_stream(Source::Path(&input), from, to, &mut streamed, &Options::new(), &Control::default()).unwrap();
        assert!(in_file == streamed, "{fixture} to {to}: the file ({} bytes) and the stream ({} bytes) differ", in_file.len(), streamed.len());
    }
    // The tags' LIST/INFO chunk sits before the samples, and the sizes are patched.
    let wav = std::fs::read(dir.join("out.wav")).unwrap();
    let riff = u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize;
    assert_eq!(riff + 8, wav.len());
    let find = |tag: &[u8]| wav.windows(4).position(|w| w == tag).unwrap();
    let (list, data) = (find(b"LIST"), find(b"data"));
    assert!(list < data);
    let data_len = u32::from_le_bytes(wav[data + 4..data + 8].try_into().unwrap()) as usize;
    assert_eq!(data + 8 + data_len, wav.len());

    let small = fileconv::default_engine().with_limits(fileconv::Limits { max_output_bytes: 10_000, ..fileconv::Limits::default() });
    let out = dir.join("limited.wav");
    let err = small.convert_file(&common::testdata().join("audio/tone.mp3"), &out, "mp3", "wav", &Options::new(), &Control::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(!out.exists());
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".part")).collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// A registry of its own: format "t" decodes to a 1x1 raster; "u" has a cheap
// lossy encoder and a dear exact one; "boom" panics.
fn decode_t(_: Input<'_>, _: &Context<'_>) -> Result<Value> {
    Ok(Value::Raster(Raster::still(DynamicImage::new_rgb8(1, 1))))
}
fn decode_boom(_: Input<'_>, _: &Context<'_>) -> Result<Value> {
    panic!("boom")
}
fn encode_tag(tag: &'static [u8]) -> impl Fn(&mut dyn Write) -> Result<()> {
    move |sink| Ok(sink.write_all(tag)?)
}
fn encode_lossy(_: Value, sink: &mut dyn Write, _: &Context<'_>) -> Result<()> {
    encode_tag(b"lossy")(sink)
}
fn encode_exact(_: Value, sink: &mut dyn Write, _: &Context<'_>) -> Result<()> {
    encode_tag(b"exact")(sink)
}

static T: FormatInfo = FormatInfo { id: "t", aliases: &[], name: "T", mime: "x/t", category: Category::Image, container: None, sniff: None };
static U: FormatInfo = FormatInfo { id: "u", aliases: &[], name: "U", mime: "x/u", category: Category::Image, container: None, sniff: None };
static BOOM: FormatInfo = FormatInfo { id: "boom", aliases: &[], name: "Boom", mime: "x/b", category: Category::Image, container: None, sniff: None };
static DEC_T: Decoder = Decoder { format: "t", name: "t", output: ValueKind::Raster, cost: 1, options: &[], decode: decode_t };
static DEC_BOOM: Decoder = Decoder { format: "boom", name: "boom", output: ValueKind::Raster, cost: 1, options: &[], decode: decode_boom };
static LOSSY: Encoder = Encoder { format: "u", name: "cheap", input: ValueKind::Raster, cost: 1, lossy: true, options: &[], encode: encode_lossy };
static EXACT: Encoder = Encoder { format: "u", name: "dear", input: ValueKind::Raster, cost: 90, lossy: false, options: &[], encode: encode_exact };
static EXACT_TWIN: Encoder = Encoder { format: "u", name: "also-dear", input: ValueKind::Raster, cost: 90, lossy: false, options: &[], encode: encode_lossy };

#[test]
fn lossless_paths_win_and_ties_break_by_name_in_any_registration_order() {
    let forward = Registry::default().format(&T).format(&U).decoder(&DEC_T).encoder(&LOSSY).encoder(&EXACT);
    let engine = Engine::new(forward);
    assert_eq!(engine.path("t", "u").unwrap().to_string(), "t --t--> raster --dear--> u");
    assert_eq!(engine.convert(b"", "t", "u").unwrap(), b"exact");
    let with_twin = Engine::new(Registry::default().encoder(&EXACT_TWIN).encoder(&EXACT).encoder(&LOSSY).decoder(&DEC_T).format(&U).format(&T));
    let reversed = Engine::new(Registry::default().encoder(&EXACT).encoder(&EXACT_TWIN).encoder(&LOSSY).decoder(&DEC_T).format(&U).format(&T));
    assert_eq!(with_twin.path("t", "u").unwrap().to_string(), "t --t--> raster --also-dear--> u");
    assert_eq!(reversed.path("t", "u").unwrap().to_string(), "t --t--> raster --also-dear--> u");
}

fn fuse_t_to_u(input: Input<'_>, sink: &mut dyn Write, _: &Context<'_>) -> Result<bool> {
    if input.bytes == b"decline" {
        return Ok(false);
    }
    sink.write_all(b"fused")?;
    Ok(true)
}
fn grow(value: Value, _: &Context<'_>) -> Result<Value> {
    Ok(value)
}
static FUSED_DEAR: Fused = Fused { from: "t", decoder: "t", to: "u", encoder: "dear", convert: fuse_t_to_u };
static FUSED_CHEAP: Fused = Fused { from: "t", decoder: "t", to: "u", encoder: "cheap", convert: fuse_t_to_u };
static GROW_WIDTH: OptionSpec = OptionSpec { name: "grow", kind: OptionKind::Integer { min: 1, max: 9 }, default: "1", help: "" };
static GROW: Transform = Transform { name: "grow", kind: ValueKind::Raster, options: std::slice::from_ref(&GROW_WIDTH), apply: grow };

#[test]
fn a_fused_conversion_replaces_its_two_steps_unless_it_declines_or_a_transform_is_asked() {
    let registry = Registry::default().format(&T).format(&U).decoder(&DEC_T).encoder(&LOSSY).encoder(&EXACT).transform(&GROW);
    let engine = Engine::new(registry.clone().fused(&FUSED_DEAR));
    assert_eq!(engine.convert(b"", "t", "u").unwrap(), b"fused");
    assert_eq!(engine.convert(b"decline", "t", "u").unwrap(), b"exact", "declined: the two steps");
    assert_eq!(engine.convert_with(b"", "t", "u", &Options::new().with("grow", "2")).unwrap(), b"exact", "a transform: the two steps");
    // Only for the decoder and encoder the path chose.
    assert_eq!(Engine::new(registry.fused(&FUSED_CHEAP)).convert(b"", "t", "u").unwrap(), b"exact");
}

#[test]
fn a_panicking_plugin_fails_only_its_own_call() {
    let engine = Engine::new(Registry::default().format(&BOOM).format(&U).decoder(&DEC_BOOM).encoder(&EXACT));
    let err = engine.convert(b"", "boom", "u").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.to_string().contains("boom"), "{err}");
    // The engine still works afterwards.
    assert!(fileconv::convert(&std::fs::read(common::testdata().join("image/rose.png")).unwrap(), "png", "qoi").is_ok());
}
