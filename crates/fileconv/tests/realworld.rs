//! Real files from public test suites (`testdata/realworld`, listed with
//! their source and licence in `scripts/realworld/regressions.tsv`), one per
//! defect class the real-world corpus found: each converts, and the result
//! is checked by decoding it again, independently where a reader exists.

mod common;

use fileconv::{Control, Error, Options, Report, Source};

fn fixture(name: &str) -> Vec<u8> {
    let path = common::testdata().join("realworld").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Converts a fixture, claimed as `from`, keeping the report's notes.
fn convert(name: &str, from: &str, to: &str) -> fileconv::Result<(Vec<u8>, Report)> {
    let mut out = Vec::new();
    let report = fileconv::engine().convert_stream(Source::Bytes(&fixture(name)), from, to, &mut out, &Options::new(), &Control::default())?;
    Ok((out, report))
}

#[test]
fn containers_accept_their_siblings_brands() {
    // An .m4a branded mp42 (ALAC/FLAC inside), an .mka with the webm doc type.
    for (name, from, seconds) in [("claim-brand-mp42.m4a", "m4a", 0.5), ("claim-webm-doctype.mka", "mkv", 1.0)] {
        let (wav, _) = convert(name, from, "wav").unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, _, _, probed) = common::ffprobe(&wav, "wav");
        assert!(probed > seconds, "{name}: {probed} s");
    }
}

#[test]
fn mp3_with_padding_before_the_first_frame_is_found() {
    let bytes = fixture("mp3-no-sync-at-start.mp3");
    assert_eq!(fileconv::engine().detect(&bytes).map(|f| f.id), Some("mp3"));
    let (wav, _) = convert("mp3-no-sync-at-start.mp3", "mp3", "wav").unwrap();
    let (_, _, _, seconds) = common::ffprobe(&wav, "wav");
    assert!((seconds - common::ffprobe(&bytes, "mp3").3).abs() < 0.1, "{seconds} s");
}

#[test]
fn a_jpeg_warning_decodes_and_says_so() {
    let (png, report) = convert("jpeg-extraneous-bytes.jpg", "jpg", "png").unwrap();
    let raster = common::decode_raster(&png, "png");
    assert_eq!((raster.width(), raster.height()), (2, 3));
    assert!(report.notes.iter().any(|n| n.contains("extraneous bytes")), "{:?}", report.notes);
    // Asked to be strict, the conversion fails with what it would have said.
    let strict = Options::new().with("strict", "true");
    let err = fileconv::engine().convert_with(&fixture("jpeg-extraneous-bytes.jpg"), "jpg", "png", &strict).unwrap_err();
    assert!(matches!(err, Error::CannotKeep { .. }) && err.to_string().contains("extraneous bytes"), "{err}");
    let rose = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    assert!(fileconv::engine().convert_with(&rose, "png", "jpg", &strict).is_ok(), "nothing to say, nothing refused");
}

#[test]
fn prefixed_spreadsheetml_keeps_its_cells() {
    let (csv, _) = convert("xlsx-prefixed-namespace.xlsx", "xlsx", "csv").unwrap();
    let sheets = common::read_table(&csv, "csv");
    assert_eq!(sheets[0].rows[0][..3], ["Unit", "Unit Priority", "Goal Name"]);
    assert!(sheets[0].rows.len() > 1);
}

#[test]
fn xls_rows_out_of_order_convert() {
    let (csv, _) = convert("xls-rows-out-of-order.xls", "xls", "csv").unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("International Communication Services SA"), "{}", &text[..text.len().min(300)]);
    assert!(text.contains("2012-06-29"));
}

#[test]
fn an_excel_4_worksheet_converts_as_xlrd_reads_it() {
    // A bare BIFF4 stream, no compound file: calamine reads none of these.
    let source = common::read_table(&fixture("xls-biff4-worksheet.xls"), "xls");
    for target in ["csv", "xlsx"] {
        let (out, _) = convert("xls-biff4-worksheet.xls", "xls", target).unwrap();
        let ours = common::read_table(&out, target);
        assert_eq!(ours[0].rows, source[0].rows, "{target}");
    }
    assert_eq!(source[0].rows.len(), 27);
}

#[test]
fn endnotes_are_kept_and_numbered() {
    let (txt, _) = convert("docx-endnotes.docx", "docx", "txt").unwrap();
    let text = String::from_utf8(txt).unwrap();
    assert!(text.starts_with("Ouch[1].[2]"), "{text}");
    assert!(text.contains("[1]  A tachyon walks into a bar.") && text.contains("[2]  Fin."), "{text}");
}

#[test]
fn tiff_variants_the_image_crate_refuses_go_to_libtiff() {
    // 4-bit palette, old-style JPEG (which FFmpeg made a blank page), JPEG
    // YCbCr tiles: the same picture as Pillow's, and not a blank one.
    for name in ["tiff-palette-4bit.tiff", "tiff-old-jpeg.tif", "tiff-jpeg-ycbcr-tiles.tiff"] {
        let (png, report) = convert(name, "tiff", "png").unwrap_or_else(|e| panic!("{name}: {e}"));
        let ours = common::on_white(common::decode_raster(&png, "png").first());
        let (size, pillow) = pillow_on_white(name);
        assert_eq!((ours.width(), ours.height()), size, "{name}");
        let diff = common::mean_abs_diff(ours.as_raw(), &pillow);
        assert!(diff < 1.0, "{name}: mean difference {diff} from Pillow");
        let distinct: std::collections::HashSet<_> = ours.pixels().map(|p| p.0).collect();
        assert!(distinct.len() > 4, "{name}: {} colours", distinct.len());
        assert!(report.notes.iter().any(|n| n.contains("libtiff")), "{name}: {:?}", report.notes);
    }
}

/// A fixture's first frame as Pillow reads it, over white: size and RGB bytes.
fn pillow_on_white(name: &str) -> ((u32, u32), Vec<u8>) {
    let path = common::testdata().join("realworld").join(name);
    let script = "import sys; from PIL import Image; im = Image.open(sys.argv[1]).convert('RGBA'); bg = Image.new('RGBA', im.size, (255, 255, 255, 255)); bg.alpha_composite(im); sys.stdout.buffer.write(b'%d %d\\n' % im.size + bg.convert('RGB').tobytes())";
    let out = std::process::Command::new("/usr/bin/python3").args(["-c", script]).arg(&path).output().expect("python3 with Pillow (scripts/install-deps)");
    assert!(out.status.success(), "Pillow: {}", String::from_utf8_lossy(&out.stderr));
    let newline = out.stdout.iter().position(|b| *b == b'\n').expect("a size line");
    let size: Vec<u32> = std::str::from_utf8(&out.stdout[..newline]).unwrap().split(' ').map(|n| n.parse().unwrap()).collect();
    ((size[0], size[1]), out.stdout[newline + 1..].to_vec())
}

#[test]
fn uncompressed_dds_is_the_picture_it_was_made_from() {
    let (png, _) = convert("dds-dx10-rgba8.dds", "dds", "png").unwrap();
    let ours = common::decode_raster(&png, "png").first().to_rgba8();
    let source = common::decode_raster(&fixture("dds-dx10-rgba8.png"), "png").first().to_rgba8();
    assert_eq!(ours.dimensions(), source.dimensions());
    assert_eq!(common::mean_abs_diff(ours.as_raw(), source.as_raw()), 0.0, "exact, alpha included");
}

#[test]
fn a_streamed_wav_is_read_to_the_end_and_says_so() {
    // RIFF size 8 and data size 0, as a writer that could not seek back leaves them.
    let (flac, report) = convert("wav-unset-sizes.wav", "wav", "flac").unwrap();
    let (_, rate, channels, seconds) = common::ffprobe(&flac, "flac");
    assert_eq!((rate, channels), (44_100, 2));
    let expected = (1024.0 - 44.0) / 4.0 / 44_100.0;
    assert!((seconds - expected).abs() < 0.001, "{seconds} s, expected {expected}");
    assert!(report.notes.iter().any(|n| n.contains("sizes are wrong")), "{:?}", report.notes);
}

#[test]
fn legacy_html_is_read_in_its_character_set() {
    let (txt, report) = convert("html-latin1.html", "html", "txt").unwrap();
    let text = String::from_utf8(txt).unwrap();
    assert_eq!(text.trim(), "ExifTool HTML Test", "the title; the body holds only an Office data island");
    assert!(report.notes.iter().any(|n| n.contains("not UTF-8")), "{:?}", report.notes);
}

#[test]
fn pdf_text_uses_tounicode_before_encoding() {
    let (txt, report) = convert("pdf-tounicode-over-encoding.pdf", "pdf", "txt").unwrap();
    // The title (the first line, which the document information names) and the author, as other targets show them.
    assert_eq!(String::from_utf8(txt).unwrap().trim(), "The quick brown fox jumps over the lazy dog\n\nNevin Nollop");
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn audio_with_no_samples_cannot_become_mp3() {
    let err = convert("wav-no-samples.wav", "wav", "mp3").unwrap_err();
    assert!(matches!(err, Error::CannotKeep { ref target, .. } if target == "mp3"), "{err}");
    assert_eq!(err.to_string(), "cannot make mp3 of this file: the audio has no samples");
    // WAV holds an empty stream: that conversion is exact.
    let (wav, _) = convert("wav-no-samples.wav", "wav", "wav").unwrap();
    assert_eq!(common::decode_audio(&wav, "wav").frames(), 0);
}

#[test]
fn re_encoded_video_keeps_its_last_frames() {
    // Motion JPEG from a camera's QuickTime: 25 frames in, 25 out, to each
    // re-encoding target (the muxers' edit lists cut the last frames when
    // the encoders' packets had no duration).
    let source = std::fs::read(common::testdata().join("video/mjpeg.mov")).unwrap();
    assert_eq!(common::probe_media(&source, "mov").frames, 25);
    for target in ["mp4", "webm", "mkv"] {
        let out = fileconv::engine().convert(&source, "mov", target).unwrap();
        let probe = common::probe_media(&out, target);
        assert_eq!(probe.frames, 25, "{target}");
        assert!((probe.seconds - 1.0).abs() < 0.05, "{target}: {} s", probe.seconds);
    }
}

#[test]
fn tga_output_opens_in_pillow_and_ffmpeg() {
    // Pillow refused our run-length packets that crossed scan lines.
    let png = std::fs::read(common::testdata().join("image/rose.png")).unwrap();
    for (from, bytes) in [("png", png), ("png", std::fs::read(common::testdata().join("image/alpha.png")).unwrap())] {
        let tga = fileconv::engine().convert(&bytes, from, "tga").unwrap();
        let source = common::decode_raster(&bytes, from);
        let path = std::env::temp_dir().join(format!("fileconv-realworld-{}-{}.tga", std::process::id(), source.width()));
        std::fs::write(&path, &tga).unwrap();
        let pillow = std::process::Command::new("/usr/bin/python3")
            .args(["-c", "import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); print(im.size[0], im.size[1], im.mode)"])
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(pillow.status.success(), "Pillow: {}", String::from_utf8_lossy(&pillow.stderr));
        let said = String::from_utf8_lossy(&pillow.stdout).to_string();
        assert!(said.starts_with(&format!("{} {} ", source.width(), source.height())), "{said}");
        let ffmpeg = std::process::Command::new("ffmpeg").args(["-v", "error", "-i"]).arg(&path).args(["-f", "null", "-"]).output().unwrap();
        assert!(ffmpeg.status.success() && ffmpeg.stderr.is_empty(), "ffmpeg: {}", String::from_utf8_lossy(&ffmpeg.stderr));
        let back = common::decode_raster(&tga, "tga");
        assert_eq!(common::on_white(back.first()), common::on_white(source.first()), "lossless");
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn a_single_frame_video_keeps_its_frame() {
    // One VP6 frame and one MP3 frame: the frame rate filter dropped a last
    // frame whose duration nothing said, and the MP4 came out audio only.
    let source = fixture("video-single-frame.flv");
    let mp4 = fileconv::engine().convert(&source, "flv", "mp4").unwrap();
    let probe = common::probe_media(&mp4, "mp4");
    assert_eq!(probe.frames, 1);
    assert!(probe.audio.is_some());
    let gif = fileconv::engine().convert(&source, "flv", "gif").unwrap();
    assert_eq!(common::probe_media(&gif, "gif").frames, 1);
}

#[test]
fn pdf_output_says_what_its_fonts_cannot_draw() {
    // rtfparserkit's testUnicode.rtf: Bengali, Tibetan and Khmer have no glyph
    // in DejaVu or Droid Sans Fallback; Arabic is shaped and set right to left.
    let text = "Bengali বাংলা, Arabic حبيبي, Latin ok\n".as_bytes();
    let mut out = Vec::new();
    let report = fileconv::engine()
        .convert_stream(Source::Bytes(text), "txt", "pdf", &mut out, &Options::new(), &Control::default())
        .unwrap();
    assert!(report.notes.iter().any(|n| n.contains("no glyph") && n.contains('ব')), "{:?}", report.notes);
    assert_eq!(report.notes.len(), 1, "Arabic needs no note: {:?}", report.notes);
    let latin = fileconv::engine().convert_stream(Source::Bytes(b"Latin only\n"), "txt", "pdf", &mut Vec::new(), &Options::new(), &Control::default()).unwrap();
    assert!(latin.notes.is_empty(), "{:?}", latin.notes);
}

/// apache/poi's stress010.docx (Arabic) read back from our PDF lost every
/// word with a lam-alef ligature ("بنغلاديش" came back "بنغالديش"): a
/// right-to-left cluster's text is given in drawing order, so readers that
/// reverse the line get each word right, and marks follow their letters.
#[test]
fn arabic_ligatures_and_marks_read_back_from_pdf() {
    let words = ["بنغلاديش", "الأطراف", "ملامح", "الإنسان", "لا", "مرحبا"];
    let marked = "مُحَمَّد سَلام";
    let text = format!("{}\n{marked}\n", words.join(" "));
    let mut pdf = Vec::new();
    fileconv::engine().convert_stream(Source::Bytes(text.as_bytes()), "txt", "pdf", &mut pdf, &Options::new(), &Control::default()).unwrap();
    let back = common::pdftotext(&pdf);
    let read: Vec<&str> = back.split(|c: char| c.is_whitespace() || ('\u{200e}'..='\u{202e}').contains(&c)).filter(|w| !w.is_empty()).collect();
    for word in words {
        assert!(read.contains(&word), "{word} not read back from {read:?}");
    }
    // pdftotext's reading order (not -raw) puts marks after their letters;
    // its word gaps around a mark are its own guess, so spaces are not compared.
    let path = std::env::temp_dir().join(format!("fileconv-arabic-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let ordered = std::process::Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output().unwrap();
    let _ = std::fs::remove_file(&path);
    let squash = |t: &str| t.chars().filter(|c| !c.is_whitespace() && !('\u{200e}'..='\u{202e}').contains(c)).collect::<String>();
    let ordered = squash(&String::from_utf8(ordered.stdout).unwrap());
    assert!(ordered.contains(&squash(marked)), "{marked} not read back in order from {ordered}");
}

#[test]
fn a_slide_footer_is_kept_once() {
    let (txt, _) = convert("pptx-footer.pptx", "pptx", "txt").unwrap();
    let text = String::from_utf8(txt).unwrap();
    assert_eq!(text.matches("Footer from the master slide").count(), 1, "{text}");
    assert!(text.contains("2nd page subtitle"), "{text}");
}

#[test]
fn lettered_list_items_keep_their_letters() {
    // Word's lowerLetter level under a decimal one, as pandoc reads it: "a." to "c.".
    let (txt, _) = convert("docx-letter-lists.docx", "docx", "txt").unwrap();
    let txt = String::from_utf8(txt).unwrap();
    for line in ["2. Entry #2, with children", "a. 2-a", "c. 2-c", "10. Jump to new list at 10", "12. Carrying on @ 12"] {
        assert!(txt.lines().any(|l| l.trim() == line), "{line:?} in:\n{txt}");
    }
    // Each writer keeps the style where it has one: Word's numFmt, ODF's
    // num-format, HTML's type, and the PDF's drawn markers.
    let (docx, _) = convert("docx-letter-lists.docx", "docx", "docx").unwrap();
    let document = common::zip_entry(&docx, "word/numbering.xml");
    assert!(document.contains(r#"w:numFmt w:val="lowerLetter""#), "{document}");
    let (odt, _) = convert("docx-letter-lists.docx", "docx", "odt").unwrap();
    assert!(common::zip_entry(&odt, "content.xml").contains(r#"style:num-format="a""#));
    let (html, _) = convert("docx-letter-lists.docx", "docx", "html").unwrap();
    assert!(String::from_utf8(html).unwrap().contains(r#"<ol type="a">"#));
    let (pdf, _) = convert("docx-letter-lists.docx", "docx", "pdf").unwrap();
    let text = common::pdftotext(&pdf);
    assert!(text.lines().any(|l| l.trim() == "b. 2-b"), "{text}");
}

#[test]
fn pdf_form_values_and_widget_captions_are_read_once() {
    // LibreOffice left the filled fields' appearances for the viewer to make.
    let (txt, _) = convert("pdf-form-values.pdf", "pdf", "txt").unwrap();
    let txt = String::from_utf8(txt).unwrap();
    assert!(txt.contains("First Name Alice") && txt.contains("Bob"), "{txt}");
    // pdflatex's button: its caption is on the page and in the widget.
    let (txt, _) = convert("pdf-form-button.pdf", "pdf", "txt").unwrap();
    let txt = String::from_utf8(txt).unwrap();
    assert_eq!(txt.matches("Submit").count(), 1, "{txt}");
}

#[test]
fn a_damaged_pdf_says_what_it_could_not_read() {
    // "/F0 . Tf": lopdf's parse stops there, so the one Tj after it is lost.
    let (_, report) = convert("pdf-damaged-content.pdf", "pdf", "txt").unwrap();
    assert!(report.notes.iter().any(|n| n.contains("content stream is damaged") && n.contains("1 text-showing operator")), "{:?}", report.notes);
    // A page tree whose only kid does not exist: text and pictures both come from the page found by its type.
    let (txt, report) = convert("pdf-broken-page-tree.pdf", "pdf", "txt").unwrap();
    assert_eq!(String::from_utf8(txt).unwrap().trim(), "Hello PDF-world!");
    assert!(report.notes.iter().any(|n| n.contains("page tree is broken")), "{:?}", report.notes);
    let (png, report) = convert("pdf-broken-page-tree.pdf", "pdf", "png").unwrap();
    let page = common::luma(common::decode_raster(&png, "png").first());
    assert!(page.pixels().any(|p| p.0[0] < 64), "the text is drawn");
    assert!(report.notes.iter().any(|n| n.contains("page tree is broken")), "{:?}", report.notes);
}

#[test]
fn a_stream_with_a_damaged_end_is_read_and_a_page_listed_twice_is_said() {
    // qpdf's test file: object 26 ends "endstre\xa7m", page 28 is page 8's object again.
    let (txt, report) = convert("pdf-damaged-stream-keyword.pdf", "pdf", "txt").unwrap();
    let txt = String::from_utf8(txt).unwrap();
    for page in [0, 13, 29] {
        assert!(txt.contains(&format!("Potato {page}\n")), "page {page}: {txt}");
    }
    assert!(report.notes.iter().any(|n| n.contains("page 14") && n.contains("26 0 R is damaged")), "{:?}", report.notes);
    assert!(report.notes.iter().any(|n| n.contains("pages 8 and 28") && n.contains("twice")), "{:?}", report.notes);
}

#[test]
fn a_phone_heic_is_put_together_from_its_tiles_and_turned() {
    // An iPhone's picture: 48 HEVC tiles of 512x512 in a 6x8 grid (4032x3024
    // stored), turned a quarter by `irot`, a 240x320 thumbnail, an ICC
    // profile, EXIF saying orientation 6 (already applied by irot).
    let bytes = fixture("heic-phone-grid.heic");
    let raster = fileconv::engine().decode(Source::Bytes(&bytes), "heic", &Options::new()).unwrap().into_raster().unwrap();
    assert_eq!((raster.width(), raster.height()), (3024, 4032), "turned upright");
    assert_eq!(raster.frames.len(), 1, "the thumbnail is not a frame");
    assert!(raster.icc_profile.as_ref().is_some_and(|p| p.len() > 500), "ICC profile kept");
    let exif = raster.exif.as_ref().expect("EXIF kept");
    assert_eq!(fileconv::image::metadata::Orientation::from_exif_chunk(exif), Some(fileconv::image::metadata::Orientation::NoTransforms), "not turned a second time by a viewer");
    // The picture is a hand-drawn arrow pointing up: its tip near the top in
    // the middle, its head wider than its shaft. Ink is where luma < 100.
    let luma = &common::luma(raster.first());
    let ink_columns = |from: f64, to: f64| {
        let rows = (f64::from(luma.height()) * from) as u32..(f64::from(luma.height()) * to) as u32;
        let mut columns: Vec<u32> = rows.flat_map(|y| (0..luma.width()).filter(move |x| luma.get_pixel(*x, y).0[0] < 100).collect::<Vec<_>>()).collect();
        assert!(columns.len() > 100, "ink between {from} and {to} of the height");
        // From the 5th to the 95th percentile: a stray dark speck is not ink.
        columns.sort_unstable();
        let spread = columns[columns.len() * 95 / 100] - columns[columns.len() * 5 / 100];
        (columns.iter().map(|&x| f64::from(x)).sum::<f64>() / columns.len() as f64 / f64::from(luma.width()), f64::from(spread) / f64::from(luma.width()))
    };
    let (tip_centre, tip_spread) = ink_columns(0.08, 0.12);
    assert!((0.4..0.6).contains(&tip_centre) && tip_spread < 0.25, "the tip: centre {tip_centre:.2}, spread {tip_spread:.2}");
    let (_, head_spread) = ink_columns(0.40, 0.44);
    let (_, shaft_spread) = ink_columns(0.55, 0.65);
    assert!(head_spread > 0.6 && shaft_spread < 0.45, "head {head_spread:.2}, shaft {shaft_spread:.2}");
    // The same pixels as libheif's heif-convert shows.
    let reference = common::decode_raster(&bytes, "heic");
    let diff = common::mean_abs_diff(common::on_white(raster.first()).as_raw(), common::on_white(reference.first()).as_raw());
    println!("head {head_spread:.2}, shaft {shaft_spread:.2}, tip {tip_centre:.2} {tip_spread:.2}");
    assert!(diff <= 1.0, "mean difference {diff:.2} from heif-convert");
    // To JPEG: upright pixels and an EXIF orientation that leaves them so.
    let (jpeg, _) = convert("heic-phone-grid.heic", "heic", "jpg").unwrap();
    let written = common::decode_raster(&jpeg, "jpg");
    assert_eq!((written.width(), written.height()), (3024, 4032));
    assert_eq!(written.exif.as_deref().and_then(fileconv::image::metadata::Orientation::from_exif_chunk), Some(fileconv::image::metadata::Orientation::NoTransforms));
    // Its Display P3 profile: kept by WebP, named where the target holds none.
    let small = Options::new().with("width", "300");
    let mut webp = Vec::new();
    fileconv::engine().convert_stream(Source::Bytes(&bytes), "heic", "webp", &mut webp, &small, &Control::default()).unwrap();
    assert_eq!(common::decode_raster(&webp, "webp").icc_profile, raster.icc_profile, "WebP keeps the profile");
    let report = fileconv::engine().convert_stream(Source::Bytes(&bytes), "heic", "bmp", &mut Vec::new(), &small, &Control::default()).unwrap();
    assert!(report.notes.iter().any(|n| n == "the ICC colour profile (Display P3) was left out: BMP holds none, so the colours are shown as sRGB"), "{:?}", report.notes);
    let report = fileconv::engine().convert_stream(Source::Bytes(&bytes), "heic", "jxl", &mut Vec::new(), &small, &Control::default()).unwrap();
    assert!(report.notes.iter().any(|n| n == "the ICC colour profile (Display P3) was left out: the JPEG XL writer stores none, so the colours are shown as sRGB"), "{:?}", report.notes);
}
