#![no_main]
//! First byte picks a document or presentation format; the rest is the file, read and written as PDF on its own pages.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_pages(data));
