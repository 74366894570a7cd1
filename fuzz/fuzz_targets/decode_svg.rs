#![no_main]
//! SVG nesting, references and filters: raw SVG when the input starts with
//! `<`, otherwise a document built from (operation, argument) steps.
libfuzzer_sys::fuzz_target!(|data: &[u8]| fileconv::fuzzing::decode_svg(data));
