#![no_main]
//! First byte picks a camera raw format; the rest is developed through LibRaw and written as PNG.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_raw(data));
