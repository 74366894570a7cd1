//! How the quick `fileconv` decides what to hand to `fileconv-full`.
//!
//! It converts a file itself only when it is sure the full program would do
//! the same: the formats and the path between them are its own (a test
//! checks that the full program chooses the same path for every such
//! pair), and the file carries the claimed format's signature or, for a
//! format without one (CSV, Markdown, subtitles...), begins with plain text
//! that no signature matches, so that no audio or video file named
//! `.csv` is read as text. Anything else, including `formats`, goes to the
//! full program: handing over costs its start-up and nothing more.
//!
//! A file its readers refuse gets a second opinion from the full program,
//! which has further readers for some formats (FFmpeg's GIF and JPEG
//! decoders read files with broken streams): see [`second_opinion`].

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use fileconv_core::{Engine, FormatInfo};

use crate::exit::{Failure, OTHER};
use crate::Command;

/// The program that holds every format, looked for beside this one.
pub const FULL_PROGRAM: &str = "fileconv-full";

/// Bytes of an input without a signature checked to be plain text.
const HEAD: usize = 4096;

/// Whether this program can run `command` itself.
pub fn can_do(engine: &Engine, command: &Command) -> bool {
    match command {
        Command::Formats { here, .. } => *here,
        Command::Path { from, to } => engine.path(from, to).is_ok(),
        Command::Probe { file, .. } => sure_of(engine, file, None),
        Command::Convert(args) => crate::run::can_do_here(engine, args),
    }
}

/// Whether `file` is, beyond doubt, a file of `claimed` (or, without a
/// claim, of the format its signature names) as far as this program's
/// formats can tell. The signatures are checked on the whole file, as the
/// engine checks them (a Word file's signature is an entry that may lie
/// anywhere in its zip). Unreadable files count as sure: the error is the
/// same in both programs.
pub fn sure_of(engine: &Engine, file: &Path, claimed: Option<&FormatInfo>) -> bool {
    let Ok(opened) = std::fs::File::open(file) else { return true };
    let len = opened.metadata().map_or(0, |m| m.len());
    // SAFETY: read-only and for this call only, as the engine maps inputs.
    let map = if len == 0 { None } else { unsafe { memmap2::Mmap::map(&opened) }.ok() };
    let bytes: &[u8] = map.as_deref().unwrap_or_default();
    let starts_as_text = || plain_text(&bytes[..bytes.len().min(HEAD)]);
    match claimed {
        Some(claimed) if claimed.sniff.is_some() => claimed.matches(bytes),
        Some(_) => engine.detect(bytes).is_none() && starts_as_text(),
        None if engine.detect(bytes).is_some() => true,
        None => {
            let ext = file.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            engine.format(&ext).is_ok_and(|f| f.sniff.is_none()) && starts_as_text()
        }
    }
}

/// UTF-8 (a character cut by the end of the head allowed) without control
/// characters other than tab, line feed, form feed and carriage return.
fn plain_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        Err(_) => return false,
    };
    !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\x0c' | '\r'))
}

/// Replaces this process with `fileconv-full` and the same arguments.
/// Returns only when that fails.
pub fn to_full() -> Failure {
    match full_program() {
        Ok(program) => {
            let error = std::process::Command::new(&program).arg0("fileconv").args(std::env::args_os().skip(1)).exec();
            Failure { message: format!("cannot run {}: {error}", program.display()), code: OTHER }
        }
        Err(missing) => missing,
    }
}

/// Runs one conversion this program's readers refused again in
/// `fileconv-full`: `arguments` are `convert`'s (the user's format and
/// option flags, then INPUT OUTPUT); `stdin` is standard input's content
/// when INPUT is `-`. Standard output is the full program's own.
/// Returns the lines it wrote to standard error.
///
/// # Errors
/// The full program's failure: its last line and exit code.
pub fn second_opinion(arguments: &[std::ffi::OsString], stdin: Option<&[u8]>) -> Result<Vec<String>, Failure> {
    let program = full_program()?;
    let mut child = std::process::Command::new(&program)
        .arg0("fileconv")
        .arg("convert")
        .args(arguments)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Failure { message: format!("cannot run {}: {e}", program.display()), code: OTHER })?;
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // The full program reads all of its input before it writes a line.
        pipe.write_all(bytes)?;
    }
    let done = child.wait_with_output()?;
    let lines: Vec<String> = String::from_utf8_lossy(&done.stderr).lines().map(str::to_string).collect();
    if done.status.success() {
        return Ok(lines);
    }
    let message = lines.last().map_or_else(|| format!("{FULL_PROGRAM} failed ({})", done.status), |l| l.trim_start_matches("fileconv: ").to_string());
    Err(Failure { message, code: done.status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(OTHER) })
}

fn full_program() -> Result<PathBuf, Failure> {
    let missing = || Failure {
        message: format!("this needs {FULL_PROGRAM} (audio, video, HEIC and AVIF formats, further readers), which is not installed beside this program"),
        code: OTHER,
    };
    let beside = std::env::current_exe().map_err(|_| missing())?.with_file_name(FULL_PROGRAM);
    if beside.is_file() {
        Ok(beside)
    } else {
        Err(missing())
    }
}
