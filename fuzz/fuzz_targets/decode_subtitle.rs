#![no_main]
//! First byte picks a subtitle format, the second the one it is written as.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_subtitle(data));
