#![no_main]
//! First byte picks a document, presentation (0x80; with 0x20 also its notes pages) or spreadsheet (0xC0) format; the rest is the file, read and written as PDF on its own pages.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_pages(data));
