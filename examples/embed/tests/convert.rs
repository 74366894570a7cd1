//! A crate that names only `fileconv` gets every plugin linked in.

#[test]
fn png_to_jpg_through_the_library_call() {
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/image/rose.png")).unwrap();
    let jpg = fileconv::convert(&png, "png", "jpg").unwrap();
    assert!(jpg.starts_with(&[0xFF, 0xD8, 0xFF]), "not a JPEG");
    let decoded = fileconv::engine().decode(fileconv::Source::Bytes(&jpg), "jpg", &fileconv::Options::new()).unwrap();
    let raster = decoded.into_raster().unwrap();
    assert_eq!((raster.width(), raster.height()), (70, 46));
}
