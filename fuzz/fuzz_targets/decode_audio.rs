#![no_main]
//! First byte picks an audio format; the rest is decoded as it and written as WAV.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_audio(data));
