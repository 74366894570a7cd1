//! The one place where errors become exit codes.

use fileconv_core::{Error, ErrorKind};

pub const OTHER: u8 = 1;
pub const USAGE: u8 = 2;
pub const UNSUPPORTED: u8 = 3;
pub const INVALID_INPUT: u8 = 4;
pub const LIMIT: u8 = 5;

/// A failed command: one line for stderr and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure { message: message.into(), code: USAGE }
    }
}

/// The exit code for an engine error.
pub fn code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidOption => USAGE,
        ErrorKind::Unsupported => UNSUPPORTED,
        ErrorKind::InvalidInput | ErrorKind::FormatMismatch => INVALID_INPUT,
        ErrorKind::LimitExceeded => LIMIT,
        _ => OTHER,
    }
}

/// The exit code of a remote job's `errorCode`: the code the same failure
/// has locally.
pub fn for_job_error_code(code: &str) -> u8 {
    match code {
        "invalid_input" | "format_mismatch" => INVALID_INPUT,
        "limit_exceeded" | "out_of_memory" | "timeout" => LIMIT,
        _ => OTHER,
    }
}

/// The exit code of a remote service's refusal.
pub fn for_http_status(status: u16) -> u8 {
    match status {
        400 => USAGE,
        413 => LIMIT,
        415 => UNSUPPORTED,
        422 => INVALID_INPUT,
        _ => OTHER,
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure { code: code(e.kind()), message: e.to_string() }
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure { code: OTHER, message: e.to_string() }
    }
}
