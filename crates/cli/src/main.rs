//! `fileconv`, the quick program: every format that needs no shared library
//! loaded at start (camera RAW's LibRaw is loaded when a raw file needs it),
//! the rest handed to `fileconv-full` (see the library's `handover` module).

use std::process::ExitCode;

use fileconv_cli::Reach;
use fileconv_core::Engine;

fn engine() -> Engine {
    fileconv_image::link();
    fileconv_raw::link();
    fileconv_document::link();
    fileconv_pdf::link();
    fileconv_sheet::link();
    fileconv_subtitle::link();
    Engine::from_inventory()
}

fn main() -> ExitCode {
    fileconv_cli::main(engine, Reach::Quick)
}
