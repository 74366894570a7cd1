//! Replays every input under `fuzz/regressions/<target>/` through the same
//! harness the cargo-fuzz target runs, on stable, as an ordinary test.

use std::path::Path;

fn replay(target: &str, harness: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        // An input named after a format (`sample.docx`, `shapes.pptx.cut`)
        // must still reach that format's reader as formats are added; those
        // ending in a number (`print.xlsx.cut.3`) try every reader in turn.
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = name.split('.').collect();
        let named = parts.get(1).and_then(|ext| fileconv::engine().format(ext).ok()).map(|f| f.id);
        let tries_all = parts.last().is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
        if let (Some(named), Some(picked), false) = (named, fileconv::fuzzing::picked(target, &data), tries_all) {
            assert_eq!(picked, named, "{}: its first byte picks {picked}", path.display());
        }
        let outcome = std::panic::catch_unwind(|| harness(&data));
        assert!(outcome.is_ok(), "{} fails", path.display());
        count += 1;
    }
    assert!(count > 0, "no regression inputs in {}", dir.display());
}

#[test]
fn decode_any_regressions() {
    replay("decode_any", fileconv::fuzzing::decode_any);
}

#[test]
fn decode_image_regressions() {
    replay("decode_image", fileconv::fuzzing::decode_image);
}

#[test]
fn decode_raw_regressions() {
    replay("decode_raw", fileconv::fuzzing::decode_raw);
}

#[test]
fn decode_svg_regressions() {
    replay("decode_svg", fileconv::fuzzing::decode_svg);
}

#[test]
fn decode_audio_regressions() {
    replay("decode_audio", fileconv::fuzzing::decode_audio);
}

#[test]
fn decode_media_regressions() {
    replay("decode_media", fileconv::fuzzing::decode_media);
}

#[test]
fn decode_sheet_regressions() {
    replay("decode_sheet", fileconv::fuzzing::decode_sheet);
}

#[test]
fn decode_document_regressions() {
    replay("decode_document", fileconv::fuzzing::decode_document);
}

#[test]
fn decode_pages_regressions() {
    replay("decode_pages", fileconv::fuzzing::decode_pages);
}

#[test]
fn decode_subtitle_regressions() {
    replay("decode_subtitle", fileconv::fuzzing::decode_subtitle);
}
