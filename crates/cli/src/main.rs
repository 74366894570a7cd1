//! `fileconv`: convert files from the command line.

mod exit;
mod formats;
mod probe;
mod remote;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    let engine = fileconv::engine();
    let result = match cli.command {
        Command::Convert(args) => run::convert(engine, args),
        Command::Formats { json, markdown } => formats::print(engine, json, markdown),
        Command::Path { from, to } => engine
            .path(&from, &to)
            .map(|p| emit(&format!("{p}\nlossy steps: {}, cost: {}\n", p.lossy_steps(), p.cost())))
            .map_err(exit::Failure::from),
        Command::Probe { file, json } => probe::print(engine, &file, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("fileconv: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
