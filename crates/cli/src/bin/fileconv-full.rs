//! `fileconv-full`: the command line with every format, FFmpeg's and
//! libheif's included. `fileconv` hands it what it cannot do itself.

use std::process::ExitCode;

fn main() -> ExitCode {
    fileconv_cli::main(fileconv::default_engine, fileconv_cli::Reach::Everything)
}
