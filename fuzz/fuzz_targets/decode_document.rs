#![no_main]
//! First byte picks a document format; the rest is the file, read and written as HTML.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_document(data));
