#![no_main]
//! First byte picks a spreadsheet format; the rest is the file, read whole and written as JSON.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_sheet(data));
