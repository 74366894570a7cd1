#![no_main]
//! Bytes of unknown kind, decoded as whatever format they look like.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_any(data));
