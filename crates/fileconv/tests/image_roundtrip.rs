//! Every readable image fixture converted to every writable image format, and
//! the output decoded again: dimensions, frames, and pixels close to the source.

mod common;

use common::{decode_raster, image_fixtures, luma, mean_abs_diff, on_white};
use fileconv::{Options, Raster};

/// Largest mean absolute difference (0-255 scale) allowed for a target, given
/// the source: exact formats allow rounding only; lossy ones what their codec loses.
fn tolerance(target: &str, source_file: &str) -> f64 {
    // Dithered 1-bit input is all high frequencies, the worst case for DCT and
    // palettes; a soft alpha gradient becomes GIF's 1-bit transparency.
    let hard = source_file.ends_with(".pbm") || (source_file.starts_with("alpha.") && target == "gif");
    match target {
        "png" | "bmp" | "tiff" | "tga" | "ppm" | "pam" | "qoi" | "ico" | "exr" | "jxl" => 0.6,
        "hdr" => 1.5,
        "pgm" => 1.0,
        "jpg" | "webp" | "avif" | "gif" if hard => 40.0,
        "jpg" => 8.0,
        "webp" => 8.0,
        "avif" | "heic" => 10.0,
        "gif" => 10.0,
        _ => 0.0,
    }
}

fn writable_image_targets() -> Vec<&'static str> {
    common::writable(fileconv::Category::Image)
}

fn check_pixels(source: &Raster, output: &Raster, target: &str, file: &str) -> Result<f64, String> {
    let (a, b) = (source.first(), output.first());
    if target == "pbm" {
        let (la, lb) = (luma(a), luma(b));
        let wrong = la.pixels().zip(lb.pixels()).filter(|(p, q)| (p.0[0] >= 128) != (q.0[0] >= 128)).count();
        let share = wrong as f64 / la.pixels().len() as f64;
        return if share <= 0.01 { Ok(share) } else { Err(format!("{:.1}% of 1-bit pixels differ", share * 100.0)) };
    }
    let diff = if target == "pgm" {
        mean_abs_diff(luma(a).as_raw(), luma(b).as_raw())
    } else {
        mean_abs_diff(on_white(a).as_raw(), on_white(b).as_raw())
    };
    let limit = tolerance(target, file);
    if diff <= limit { Ok(diff) } else { Err(format!("mean difference {diff:.2} > {limit}")) }
}

#[test]
fn every_readable_fixture_to_every_writable_format() {
    let engine = fileconv::engine();
    let targets = writable_image_targets();
    assert!(targets.len() >= 16, "writable formats: {targets:?}");
    let mut failures = Vec::new();
    let mut checked = 0;
    for (file, from, bytes) in image_fixtures() {
        let source = decode_raster(&bytes, &from);
        for &to in &targets {
            let result = engine.convert(&bytes, &from, to).map_err(|e| e.to_string()).and_then(|out| {
                let output = decode_raster(&out, to);
                let (sw, sh) = (source.width(), source.height());
                if (output.width(), output.height()) != (sw, sh) {
                    return Err(format!("size {}x{} != {sw}x{sh}", output.width(), output.height()));
                }
                let keeps_animation = matches!(to, "gif" | "webp" | "png" | "tiff");
                let frames = if keeps_animation { source.frames.len() } else { 1 };
                if output.frames.len() != frames {
                    return Err(format!("{} frames, expected {frames}", output.frames.len()));
                }
                check_pixels(&source, &output, to, &file)
            });
            checked += 1;
            match result {
                Ok(diff) => println!("{file:>12} -> {to:<5} ok  (difference {diff:.3})"),
                Err(why) => failures.push(format!("{file} -> {to}: {why}")),
            }
        }
    }
    assert!(checked >= 250, "only {checked} conversions checked");
    assert!(failures.is_empty(), "{} of {checked} conversions failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_listed_image_pair_is_covered_by_a_fixture() {
    let engine = fileconv::engine();
    let fixture_formats: Vec<String> = image_fixtures().into_iter().map(|(_, f, _)| f).collect();
    let category = |id: &str| engine.format(id).unwrap().category;
    // Images made into videos are checked in tests/video.rs.
    let pairs: Vec<_> = engine
        .conversions()
        .into_iter()
        .filter(|c| category(c.from) == fileconv::Category::Image && category(c.to) == fileconv::Category::Image)
        .collect();
    assert!(pairs.len() >= 250, "{} image pairs", pairs.len());
    // Camera raw formats but DNG: no camera file with its sensor data is
    // small and freely licensed enough for testdata/ (no open tool writes
    // them); tests/camera_raw.rs refuses stripped real ones of each.
    let without_fixture = ["arw", "cr2", "cr3", "nef", "orf", "raf", "rw2"];
    for c in pairs {
        if without_fixture.contains(&c.from) {
            assert!(engine.registry().decoders.iter().filter(|d| d.format == c.from).all(|d| d.name == "libraw"), "{} is not a raw format", c.from);
            continue;
        }
        assert!(fixture_formats.iter().any(|f| f == c.from), "no fixture reads as {}", c.from);
        assert!(writable_image_targets().contains(&c.to), "{} is listed but has no encoder", c.to);
    }
}

#[test]
fn exif_orientation_is_applied_and_reset() {
    let bytes = std::fs::read(common::testdata().join("image/rotated.jpg")).unwrap();
    let raster = decode_raster(&bytes, "jpg");
    assert_eq!((raster.width(), raster.height()), (70, 46), "stored 46x70 with orientation 6");
    let exif = raster.exif.expect("EXIF kept");
    assert_eq!(fileconv::image::metadata::Orientation::from_exif_chunk(&exif), Some(fileconv::image::metadata::Orientation::NoTransforms));
    // Written back, the JPEG is upright and says so.
    let out = fileconv::convert(&bytes, "jpg", "jpg").unwrap();
    let again = decode_raster(&out, "jpg");
    assert_eq!((again.width(), again.height()), (70, 46));
    // The rotated pixels match the upright original.
    let upright = decode_raster(&std::fs::read(common::testdata().join("image/rose.png")).unwrap(), "png");
    let diff = mean_abs_diff(on_white(upright.first()).as_raw(), on_white(again.first()).as_raw());
    assert!(diff < 8.0, "rotated image differs from the upright one by {diff}");
}

#[test]
fn icc_profile_is_kept_where_the_target_holds_one() {
    let bytes = std::fs::read(common::testdata().join("image/icc.jpg")).unwrap();
    let icc = decode_raster(&bytes, "jpg").icc_profile.expect("fixture has an ICC profile");
    assert_eq!(icc.len(), 2576);
    for to in ["jpg", "png", "tiff", "webp"] {
        let out = fileconv::convert(&bytes, "jpg", to).unwrap();
        assert_eq!(decode_raster(&out, to).icc_profile.as_deref(), Some(&icc[..]), "{to} lost the ICC profile");
    }
    // WebP in each of libwebp's layouts (lossy: VP8, lossless: VP8L, lossy
    // with alpha: VP8X and ALPH), the profile read back by Pillow too.
    let dir = std::env::temp_dir().join(format!("fileconv-webp-icc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("profile.icc"), &icc).unwrap();
    let made = std::process::Command::new("convert").arg(common::testdata().join("image/alpha.png")).arg("-profile").arg(dir.join("profile.icc")).arg(dir.join("alpha-icc.png")).status().unwrap();
    assert!(made.success(), "ImageMagick");
    let alpha = std::fs::read(dir.join("alpha-icc.png")).unwrap();
    for (source, from, lossless) in [(&bytes, "jpg", "false"), (&bytes, "jpg", "true"), (&alpha, "png", "false")] {
        let out = fileconv::engine().convert_with(source, from, "webp", &Options::new().with("lossless", lossless)).unwrap();
        std::fs::write(dir.join("out.webp"), &out).unwrap();
        let script = "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.size, im.mode, len(im.info.get('icc_profile', b'')))";
        let pillow = std::process::Command::new("/usr/bin/python3").args(["-c", script]).arg(dir.join("out.webp")).output().unwrap();
        let seen = String::from_utf8_lossy(&pillow.stdout).trim().to_string();
        let want = if from == "png" { "(64, 48) RGBA 2576" } else { "(70, 46) RGB 2576" };
        assert_eq!(seen, want, "{from} lossless={lossless}: {}", String::from_utf8_lossy(&pillow.stderr));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let stripped = fileconv::engine().convert_with(&bytes, "jpg", "png", &Options::new().with("strip", "true")).unwrap();
    assert!(decode_raster(&stripped, "png").icc_profile.is_none());
}

#[test]
fn alpha_is_kept_or_flattened_onto_the_background() {
    let bytes = std::fs::read(common::testdata().join("image/alpha.png")).unwrap();
    // Kept: the corner of the radial gradient is transparent.
    for to in ["png", "webp", "tiff", "tga", "qoi", "pam", "ico", "bmp", "gif", "exr"] {
        let out = fileconv::convert(&bytes, "png", to).unwrap();
        let img = decode_raster(&out, to).into_first().to_rgba8();
        assert!(img.get_pixel(0, 0).0[3] < 16, "{to} lost alpha: {:?}", img.get_pixel(0, 0));
    }
    // Flattened onto black when asked.
    let out = fileconv::engine().convert_with(&bytes, "png", "jpg", &Options::new().with("background", "black")).unwrap();
    let corner = *decode_raster(&out, "jpg").into_first().to_rgb8().get_pixel(0, 0);
    assert!(corner.0.iter().all(|&c| c < 24), "corner {corner:?} is not black");
    // And onto white by default.
    let out = fileconv::convert(&bytes, "png", "jpg").unwrap();
    let corner = *decode_raster(&out, "jpg").into_first().to_rgb8().get_pixel(0, 0);
    assert!(corner.0.iter().all(|&c| c > 231), "corner {corner:?} is not white");
}

#[test]
fn animation_survives_gif_webp_and_apng_and_stills_say_what_they_leave_out() {
    let gif = std::fs::read(common::testdata().join("image/anim.gif")).unwrap();
    let source = decode_raster(&gif, "gif");
    assert_eq!(source.frames.len(), 3);
    let webp = fileconv::convert(&gif, "gif", "webp").unwrap();
    let via_webp = decode_raster(&webp, "webp");
    assert_eq!(via_webp.frames.len(), 3);
    let back = fileconv::convert(&webp, "webp", "gif").unwrap();
    let via_gif = decode_raster(&back, "gif");
    assert_eq!(via_gif.frames.len(), 3);
    let total = |r: &Raster| r.frames.iter().map(|f| f.delay.as_millis()).sum::<u128>();
    assert_eq!(total(&source), 600);
    assert!(total(&via_gif).abs_diff(600) <= 30, "duration {} ms", total(&via_gif));
    // PNG keeps the animation as APNG: every frame and its delay.
    let png = fileconv::convert(&gif, "gif", "png").unwrap();
    let apng = decode_raster(&png, "png");
    assert_eq!(apng.frames.len(), 3);
    for (i, (ours, theirs)) in apng.frames.iter().zip(&source.frames).enumerate() {
        let diff = mean_abs_diff(on_white(&ours.image).as_raw(), on_white(&theirs.image).as_raw());
        assert!(diff < 0.6, "frame {i} differs by {diff}");
        assert_eq!(ours.delay, theirs.delay, "frame {i}");
    }
    for level in ["0", "1", "9"] {
        let png = fileconv::engine().convert_with(&gif, "gif", "png", &Options::new().with("compression", level)).unwrap();
        assert_eq!(decode_raster(&png, "png").frames.len(), 3, "compression {level}");
    }
    // Read by Pillow too: frames and their durations.
    let path = std::env::temp_dir().join(format!("fileconv-apng-{}.png", std::process::id()));
    std::fs::write(&path, &png).unwrap();
    let script = "import sys; from PIL import Image; im = Image.open(sys.argv[1]); d = []\nfor i in range(im.n_frames): im.seek(i); d.append(im.info['duration'])\nprint(im.n_frames, d)";
    let pillow = std::process::Command::new("/usr/bin/python3").args(["-c", script]).arg(&path).output().expect("python3 with Pillow (scripts/install-deps)");
    let _ = std::fs::remove_file(&path);
    assert_eq!(String::from_utf8_lossy(&pillow.stdout).trim(), "3 [200.0, 200.0, 200.0]", "{}", String::from_utf8_lossy(&pillow.stderr));
    // A target holding one image keeps the first frame and says what it left out.
    let mut jpeg = Vec::new();
    let report = fileconv::engine().convert_stream(fileconv::Source::Bytes(&gif), "gif", "jpg", &mut jpeg, &Options::new(), &fileconv::Control::default()).unwrap();
    assert!(report.notes.iter().any(|n| n == "JPEG holds one image: the first of 3 frames was written, the 2 after it were left out"), "{:?}", report.notes);
    let still = decode_raster(&jpeg, "jpg");
    assert_eq!(still.frames.len(), 1);
    let diff = mean_abs_diff(on_white(source.first()).as_raw(), on_white(still.first()).as_raw());
    assert!(diff < tolerance("jpg", "anim.gif"), "first frame differs by {diff}");
}

#[test]
fn sixteen_bit_and_gray_are_kept_where_possible() {
    use fileconv::image::ColorType;
    let bytes = std::fs::read(common::testdata().join("image/gray16.png")).unwrap();
    assert_eq!(decode_raster(&bytes, "png").first().color(), ColorType::L16);
    for (to, color) in [("png", ColorType::L16), ("tiff", ColorType::L16), ("pgm", ColorType::L16), ("jpg", ColorType::L8), ("bmp", ColorType::Rgb8)] {
        let out = fileconv::convert(&bytes, "png", to).unwrap();
        assert_eq!(decode_raster(&out, to).first().color(), color, "{to}");
    }
}

#[test]
fn resize_options() {
    let engine = fileconv::engine();
    let bytes = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let size = |opts: &[(&str, &str)], to: &str| {
        let options: Options = opts.iter().map(|(k, v)| (*k, *v)).collect();
        let out = engine.convert_with(&bytes, "png", to, &options).unwrap();
        let r = decode_raster(&out, to);
        (r.width(), r.height())
    };
    assert_eq!(size(&[("width", "35")], "png"), (35, 23));
    assert_eq!(size(&[("height", "92")], "jpg"), (140, 92));
    assert_eq!(size(&[("width", "20"), ("height", "20")], "png"), (20, 13));
    assert_eq!(size(&[("width", "20"), ("height", "20"), ("fit", "contain")], "png"), (20, 20));
    assert_eq!(size(&[("width", "20"), ("height", "20"), ("fit", "cover")], "webp"), (20, 20));
    assert_eq!(size(&[("width", "20"), ("height", "20"), ("fit", "fill")], "bmp"), (20, 20));
    // SVG renders at the requested size.
    let svg = std::fs::read(common::testdata().join("image/shapes.svg")).unwrap();
    let out = engine.convert_with(&svg, "svg", "png", &Options::new().with("width", "400")).unwrap();
    let r = decode_raster(&out, "png");
    assert_eq!((r.width(), r.height()), (400, 300));
    // ICO fits inside 256x256, keeping the aspect ratio.
    let out = engine.convert_with(&bytes, "png", "ico", &Options::new().with("width", "700")).unwrap();
    let r = decode_raster(&out, "ico");
    assert_eq!((r.width(), r.height()), (256, 168));
}

#[test]
fn quality_changes_jpeg_size() {
    let engine = fileconv::engine();
    let bytes = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    let low = engine.convert_with(&bytes, "png", "jpg", &Options::new().with("quality", "10")).unwrap();
    let high = engine.convert_with(&bytes, "png", "jpg", &Options::new().with("quality", "95")).unwrap();
    assert!(low.len() * 2 < high.len(), "q10 {} bytes, q95 {} bytes", low.len(), high.len());
    let lossless = engine.convert_with(&bytes, "png", "webp", &Options::new().with("lossless", "true")).unwrap();
    let r = decode_raster(&lossless, "webp");
    let src = decode_raster(&bytes, "png");
    assert_eq!(on_white(r.first()).as_raw(), on_white(src.first()).as_raw(), "lossless webp changed pixels");
}

#[test]
fn small_jpegs_keep_full_chroma() {
    // One-pixel red/blue checks, as in pixel art: 4:2:0 subsampling would
    // average them to purple (libwebp's 16x16 grid test image lost 19/255).
    let checks = fileconv::image::RgbImage::from_fn(16, 16, |x, y| if (x + y) % 2 == 0 { fileconv::image::Rgb([255, 0, 0]) } else { fileconv::image::Rgb([0, 0, 255]) });
    let mut png = Vec::new();
    fileconv::image::DynamicImage::ImageRgb8(checks.clone()).write_to(&mut std::io::Cursor::new(&mut png), fileconv::image::ImageFormat::Png).unwrap();
    let jpg = fileconv::engine().convert(&png, "png", "jpg").unwrap();
    let back = decode_raster(&jpg, "jpg").first().to_rgb8();
    let diff = mean_abs_diff(back.as_raw(), checks.as_raw());
    assert!(diff < 12.0, "mean difference {diff}");
}

/// What libheif's own `heif-convert` makes of a HEIF file, as a raster (its first image).
fn heif_convert(file: &str) -> Raster {
    let dir = std::env::temp_dir().join(format!("fileconv-heif-{}-{file}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("out.png");
    let run = std::process::Command::new("heif-convert").arg(common::testdata().join("image").join(file)).arg(&out).output().expect("heif-convert is installed (scripts/install-deps)");
    assert!(run.status.success(), "heif-convert {file}: {}", String::from_utf8_lossy(&run.stderr));
    // heif-convert writes one PNG per top-level image when there are several.
    let first = if out.exists() { out } else { dir.join("out-1.png") };
    let png = std::fs::read(first).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    // The pixels as heif-convert wrote them: it copies the EXIF block, whose
    // orientation HEIF readers ignore, into the PNG; it is not applied here.
    Raster::still(fileconv::image::load_from_memory(&png).unwrap())
}

#[test]
fn heic_and_avif_read_as_their_reference_decoders_show_them() {
    let engine = fileconv::engine();
    let read = |file: &str, format: &str| decode_raster_with_fileconv(&std::fs::read(common::testdata().join("image").join(file)).unwrap(), format);
    for (file, format, size, alpha, deep) in [
        ("rose.heic", "heic", (70, 46), false, false),
        ("alpha.heic", "heic", (64, 48), true, false),
        ("deep.heic", "heic", (70, 46), false, true),
        ("icc.heic", "heic", (70, 46), false, false),
        ("burst.heic", "heic", (70, 46), false, false),
        ("exif.heic", "heic", (46, 70), false, false),
        ("rose.avif", "avif", (70, 46), false, false),
        ("alpha.avif", "avif", (64, 48), true, false),
    ] {
        let ours = read(file, format);
        assert_eq!((ours.width(), ours.height()), size, "{file}");
        assert_eq!(ours.first().color().has_alpha(), alpha, "{file}: alpha");
        assert_eq!(ours.first().color().bytes_per_pixel() > 4, deep, "{file}: sample depth");
        // The reference decoders: libheif's heif-convert, libavif's avifdec.
        let reference = if format == "heic" { heif_convert(file) } else { decode_raster(&std::fs::read(common::testdata().join("image").join(file)).unwrap(), "avif") };
        let diff = mean_abs_diff(on_white(ours.first()).as_raw(), on_white(reference.first()).as_raw());
        println!("{file}: {}x{} against the reference decoder, mean difference {diff:.3}", ours.width(), ours.height());
        assert!(diff <= 1.0, "{file}: mean difference {diff:.2} from the reference decoder");
    }
    // A burst of two images of one size: two frames; the profile and EXIF kept.
    assert_eq!(read("burst.heic", "heic").frames.len(), 2);
    assert_eq!(read("icc.heic", "heic").icc_profile.as_ref().map(Vec::len), Some(2576));
    let exif = read("exif.heic", "heic").exif.expect("EXIF kept");
    assert!(exif.starts_with(b"II*\0") || exif.starts_with(b"MM\0*"));
    // HEIC to JPEG keeps the profile; a picture past the plan's pixels is refused before decoding.
    let jpeg = engine.convert(&std::fs::read(common::testdata().join("image/icc.heic")).unwrap(), "heic", "jpg").unwrap();
    assert_eq!(decode_raster(&jpeg, "jpg").icc_profile.as_ref().map(Vec::len), Some(2576));
    let small = fileconv::engine().clone().with_limits(fileconv::Limits { max_pixels: 1000, ..fileconv::Limits::default() });
    let refused = small.convert(&std::fs::read(common::testdata().join("image/rose.heic")).unwrap(), "heic", "png").unwrap_err();
    assert_eq!(refused.kind(), fileconv::ErrorKind::LimitExceeded, "{refused}");
    // The format is recognised from the bytes, apart from AVIF.
    assert_eq!(engine.detect(&std::fs::read(common::testdata().join("image/rose.heic")).unwrap()).map(|f| f.id), Some("heic"));
    assert_eq!(engine.detect(&std::fs::read(common::testdata().join("image/rose.avif")).unwrap()).map(|f| f.id), Some("avif"));
}

/// [`decode_raster`] without the reference decoder: fileconv's own reading.
fn decode_raster_with_fileconv(bytes: &[u8], format: &str) -> Raster {
    fileconv::engine().decode(fileconv::Source::Bytes(bytes), format, &Options::new()).unwrap_or_else(|e| panic!("{format}: {e}")).into_raster().unwrap()
}

#[test]
fn jpeg_xl_is_written_losslessly_and_says_what_it_leaves_out() {
    let engine = fileconv::engine();
    let convert = |file: &str, from: &str| {
        let bytes = std::fs::read(common::testdata().join("image").join(file)).unwrap();
        let mut out = Vec::new();
        let report = engine.convert_stream(fileconv::Source::Bytes(&bytes), from, "jxl", &mut out, &Options::new(), &fileconv::Control::default()).unwrap();
        (bytes, out, report.notes)
    };
    // 16-bit grey stays 16-bit grey, sample for sample (read back by djxl).
    let (png, jxl, notes) = convert("gray16.png", "png");
    assert!(notes.is_empty(), "{notes:?}");
    let (source, back) = (decode_raster(&png, "png"), decode_raster(&jxl, "jxl"));
    assert_eq!(back.first().color(), fileconv::image::ColorType::L16);
    assert_eq!(back.first().as_bytes(), source.first().as_bytes());
    // What it cannot hold is named.
    let (_, jxl, notes) = convert("anim.gif", "gif");
    assert_eq!(decode_raster(&jxl, "jxl").frames.len(), 1);
    assert!(notes.iter().any(|n| n.contains("JPEG XL holds one image: the first of 3 frames")), "{notes:?}");
    // An sRGB profile (Ghostscript's) left out changes nothing a viewer shows:
    // nothing to say (a Display P3 one is named: the phone HEIC's test).
    let (_, _, notes) = convert("icc.jpg", "jpg");
    assert!(!notes.iter().any(|n| n.contains("ICC colour profile")), "{notes:?}");
    // One pixel wide: refused, not written wrong.
    let mut dot = Vec::new();
    fileconv::image::DynamicImage::new_rgb8(1, 5).write_to(&mut std::io::Cursor::new(&mut dot), fileconv::image::ImageFormat::Png).unwrap();
    let refused = engine.convert(&dot, "png", "jxl").unwrap_err();
    assert_eq!(refused.kind(), fileconv::ErrorKind::InvalidInput, "{refused}");
}
