#![no_main]
//! First byte picks a video format and a target (remux to mkv, or a frame as PNG); the rest is the file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_media(data));
