//! `fileconv`: convert files from the command line.
//!
//! Two programs share this code. `fileconv` is the quick one: it holds the
//! image (but HEIC and AVIF), camera RAW, document, PDF, spreadsheet and
//! subtitle formats, which need no shared library that is not always loaded
//! (LibRaw is loaded when a raw file needs it), so it starts in about 2 ms. What it cannot do itself (audio, video, HEIC, AVIF,
//! the whole catalogue) it hands to `fileconv-full`, installed beside it,
//! which holds every format and loads FFmpeg's 160-odd libraries at start.
//! See [`handover`] for how the quick program decides.

mod exit;
mod formats;
mod handover;
mod probe;
mod remote;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use fileconv_core::Engine;

#[derive(Parser)]
#[command(name = "fileconv", version, about = "Convert files between formats", propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Convert INPUT to OUTPUT, or several FILES with --to.
    ///
    /// `fileconv convert in.png out.jpg -o quality=80`
    /// `fileconv convert *.png --to webp --out-dir web/ -j 4`
    /// `-` reads standard input (needs --from) or writes standard output (needs --to).
    /// `fileconv convert in.png out.jpg --server https://convert.example.com --key coco_...`
    /// runs the same conversion on a service.
    Convert(run::ConvertArgs),
    /// List every source-target pair with its options.
    Formats {
        /// Print JSON: an array of {from, to, path, lossy, options}.
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        /// Print the README's formats table.
        #[arg(long)]
        markdown: bool,
        /// Only what this program converts itself, without handing over to
        /// fileconv-full (for tests).
        #[arg(long, hide = true)]
        here: bool,
    },
    /// Show the conversion path chosen between two formats.
    Path { from: String, to: String },
    /// Detect a file's format and describe its content.
    Probe {
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Writes to stdout; a closed pipe (`fileconv formats | head`) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// What the running program holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every format: nothing is handed over.
    Everything,
    /// Some formats: what needs the others is handed to `fileconv-full`.
    Quick,
}

/// Runs the command line with the engine `build` makes once the arguments
/// are parsed (`--version` and `--help` never build one).
pub fn main(build: fn() -> Engine, reach: Reach) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let engine = build();
    let engine = &engine;
    if reach == Reach::Quick && !handover::can_do(engine, &cli.command) {
        let failure = handover::to_full();
        eprintln!("fileconv: {}", failure.message);
        return ExitCode::from(failure.code);
    }
    let probe = matches!(cli.command, Command::Probe { .. });
    let result = match cli.command {
        Command::Convert(args) => run::convert(engine, args, reach),
        Command::Formats { json, markdown, .. } => formats::print(engine, json, markdown),
        Command::Path { from, to } => engine
            .path(&from, &to)
            .map(|p| emit(&format!("{p}\nlossy steps: {}, cost: {}\n", p.lossy_steps(), p.cost())))
            .map_err(exit::Failure::from),
        Command::Probe { file, json } => probe::print(engine, &file, json),
    };
    // A file this program's readers refuse may be read by the full program's further ones.
    let result = match result {
        Err(failure) if probe && reach == Reach::Quick && failure.code == exit::INVALID_INPUT => Err(handover::to_full()),
        result => result,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("fileconv: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
