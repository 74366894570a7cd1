//! The one error type of fileconv. Front ends map [`ErrorKind`] to their own
//! codes (HTTP statuses, exit codes) in exactly one place each.

use std::fmt;

/// Result with fileconv's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Boxed source error of a third-party backend.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in a conversion.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The name is neither a format id nor an alias.
    #[error("unknown format '{name}'")]
    UnknownFormat { name: String },

    /// Both formats are known, but no chain of decoders, adapters and encoders links them.
    #[error("no conversion from {from} to {to}")]
    NoPath { from: String, to: String },

    /// The bytes are not a valid file of the format (truncated, corrupt, unsupported variant).
    #[error("invalid {format} input: {reason}")]
    InvalidInput { format: String, reason: String },

    /// The input is valid, but the target cannot hold what matters in it
    /// (an MP3 of no samples, a GIF of a file with no picture); converting
    /// anyway would lose content without saying so.
    #[error("cannot make {target} of this file: {reason}")]
    CannotKeep { target: String, reason: String },

    /// The bytes are a file of another format than the one claimed.
    #[error("the input is not {claimed}: it looks like {detected}")]
    FormatMismatch { claimed: String, detected: String },

    /// A limit from [`crate::Limits`] would be exceeded. `actual` is the
    /// amount asked for, when known.
    #[error("{what} exceeds the limit of {limit}{}", needs(.actual))]
    LimitExceeded { what: &'static str, limit: u64, actual: Option<u64> },

    /// An option is unknown for this conversion, or its value is out of range.
    #[error("invalid option '{name}': {reason} (valid: {valid})")]
    InvalidOption { name: String, reason: String, valid: String },

    /// The caller's cancel flag was raised.
    #[error("conversion cancelled")]
    Cancelled,

    /// Reading the input or writing the output failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// A third-party codec failed for a reason that is not the input's fault.
    #[error("{format} backend failed: {source}")]
    Backend {
        format: String,
        #[source]
        source: BoxError,
    },

    /// A bug: a plugin panicked or broke a contract. The call fails, the process lives on.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Coarse classes of [`Error`], for mapping to exit codes and HTTP statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Unknown format or no conversion between two formats.
    Unsupported,
    /// The input is not a valid file of the claimed format.
    InvalidInput,
    /// The input is a valid file of another format.
    FormatMismatch,
    /// A resource limit was hit.
    LimitExceeded,
    /// The caller passed an unknown or out-of-range option.
    InvalidOption,
    /// The caller cancelled.
    Cancelled,
    /// I/O failure.
    Io,
    /// Anything else: backend failure or internal bug.
    Internal,
}

impl Error {
    /// The class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::UnknownFormat { .. } | Error::NoPath { .. } => ErrorKind::Unsupported,
            Error::InvalidInput { .. } | Error::CannotKeep { .. } => ErrorKind::InvalidInput,
            Error::FormatMismatch { .. } => ErrorKind::FormatMismatch,
            Error::LimitExceeded { .. } => ErrorKind::LimitExceeded,
            Error::InvalidOption { .. } => ErrorKind::InvalidOption,
            Error::Cancelled => ErrorKind::Cancelled,
            Error::Io(_) => ErrorKind::Io,
            Error::Backend { .. } | Error::Internal(_) => ErrorKind::Internal,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid_input(format: &str, reason: impl fmt::Display) -> Self {
        Error::InvalidInput { format: format.to_string(), reason: reason.to_string() }
    }

    /// Shorthand for [`Error::CannotKeep`].
    pub fn cannot_keep(target: &str, reason: impl fmt::Display) -> Self {
        Error::CannotKeep { target: target.to_string(), reason: reason.to_string() }
    }

    /// Shorthand for [`Error::Backend`].
    pub fn backend(format: &str, source: impl Into<BoxError>) -> Self {
        Error::Backend { format: format.to_string(), source: source.into() }
    }

    /// Shorthand for [`Error::LimitExceeded`].
    pub fn limit(what: &'static str, limit: u64, actual: u64) -> Self {
        Error::LimitExceeded { what, limit, actual: Some(actual) }
    }
}

fn needs(actual: &Option<u64>) -> String {
    actual.map(|a| format!(" (needs {a})")).unwrap_or_default()
}

/// The message of a caught panic's payload (`&str` or `String`), for errors
/// that report a contained panic.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
