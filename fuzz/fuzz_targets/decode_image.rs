#![no_main]
//! First byte picks an image format; the rest is decoded as it and written as PNG.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_image(data));
