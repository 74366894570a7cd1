//! The one place where failures become HTTP statuses and `{error, code}` bodies.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use fileconv::ErrorKind;
use serde::Serialize;

/// A failed request: its status, a machine-readable code and a message for people.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, sent as `Retry-After` (429).
    pub retry_after: Option<u64>,
}

/// The JSON body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    pub error: String,
    /// What went wrong, for programs: `bad_request`, `invalid_option`,
    /// `unauthorized`, `bad_signature`, `not_found`, `upload_incomplete`,
    /// `too_large`, `unsupported_conversion`, `invalid_input`, `rate_limited`,
    /// `quota_exceeded`, `internal`.
    pub code: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn bad_signature(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "bad_signature", message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    pub fn upload_incomplete(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "upload_incomplete", message)
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// 429 with `Retry-After`.
    pub fn too_many(code: &'static str, message: impl Into<String>, retry_after: u64) -> Self {
        ApiError { retry_after: Some(retry_after.max(1)), ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, message) }
    }

    /// A failure that is ours, not the client's: logged in full, answered briefly.
    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{context}: internal error"))
    }
}

/// The status and code of an engine error; `None` for one that is ours.
fn conversion_status(e: &fileconv::Error) -> Option<(StatusCode, &'static str)> {
    Some(match e.kind() {
        ErrorKind::Unsupported => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_conversion"),
        ErrorKind::InvalidOption => (StatusCode::BAD_REQUEST, "invalid_option"),
        ErrorKind::InvalidInput | ErrorKind::FormatMismatch => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        ErrorKind::LimitExceeded => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
        ErrorKind::Cancelled => (StatusCode::CONFLICT, "cancelled"),
        _ => return None,
    })
}

impl From<fileconv::Error> for ApiError {
    fn from(e: fileconv::Error) -> Self {
        match conversion_status(&e) {
            Some((status, code)) => ApiError::new(status, code, e.to_string()),
            None => ApiError::internal("conversion", e),
        }
    }
}

/// Why a job failed, for programs: the job's `errorCode`, next to the
/// published `error` text. Each says what a client can do about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobErrorCode {
    /// The file is not a valid file of its format, the conversion or an
    /// option does not exist, or the upload expired: the same request will
    /// fail again; change the file or the request.
    InvalidInput,
    /// The file is a valid file of another format than `sourceFormat` (the
    /// message names it): send it again with that format.
    FormatMismatch,
    /// The file, or what converting it needs (pixels, pages, duration, the
    /// result's size), is more than the plan allows: a larger plan, or a
    /// smaller file.
    LimitExceeded,
    /// The conversion ran past the plan's wall time or CPU time (time
    /// waiting in the queue is not counted): a larger plan, or a smaller file.
    Timeout,
    /// The converter crashed on this file on two tries: the file is most
    /// likely malformed in a way we do not handle; report it.
    ConverterCrashed,
    /// The conversion needed more memory than the plan gives it.
    OutOfMemory,
    /// The job was deleted, or the service stopped it.
    Cancelled,
    /// Ours (a storage or database failure, a lost worker, a bug): the
    /// same request may well work later.
    Internal,
}

impl JobErrorCode {
    /// Every code, for documentation and tests.
    pub const ALL: [JobErrorCode; 8] = [
        JobErrorCode::InvalidInput,
        JobErrorCode::FormatMismatch,
        JobErrorCode::LimitExceeded,
        JobErrorCode::Timeout,
        JobErrorCode::ConverterCrashed,
        JobErrorCode::OutOfMemory,
        JobErrorCode::Cancelled,
        JobErrorCode::Internal,
    ];

    /// The code as the job shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            JobErrorCode::InvalidInput => "invalid_input",
            JobErrorCode::FormatMismatch => "format_mismatch",
            JobErrorCode::LimitExceeded => "limit_exceeded",
            JobErrorCode::Timeout => "timeout",
            JobErrorCode::ConverterCrashed => "converter_crashed",
            JobErrorCode::OutOfMemory => "out_of_memory",
            JobErrorCode::Cancelled => "cancelled",
            JobErrorCode::Internal => "internal",
        }
    }

    /// The code of a conversion the engine failed.
    pub fn of(e: &fileconv::Error) -> JobErrorCode {
        match e {
            fileconv::Error::LimitExceeded { what, .. } if what.starts_with("wall time") => return JobErrorCode::Timeout,
            _ => {}
        }
        match e.kind() {
            ErrorKind::Unsupported | ErrorKind::InvalidInput | ErrorKind::InvalidOption => JobErrorCode::InvalidInput,
            ErrorKind::FormatMismatch => JobErrorCode::FormatMismatch,
            ErrorKind::LimitExceeded => JobErrorCode::LimitExceeded,
            ErrorKind::Cancelled => JobErrorCode::Cancelled,
            _ => JobErrorCode::Internal,
        }
    }

    /// The status a request answered with this failure gets (the
    /// one-request conversion's).
    pub fn status(self) -> StatusCode {
        match self {
            JobErrorCode::InvalidInput | JobErrorCode::FormatMismatch | JobErrorCode::ConverterCrashed => StatusCode::UNPROCESSABLE_ENTITY,
            JobErrorCode::LimitExceeded | JobErrorCode::OutOfMemory => StatusCode::PAYLOAD_TOO_LARGE,
            JobErrorCode::Timeout => StatusCode::REQUEST_TIMEOUT,
            JobErrorCode::Cancelled => StatusCode::CONFLICT,
            JobErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal("database", e)
    }
}

impl From<object_store::Error> for ApiError {
    fn from(e: object_store::Error) -> Self {
        match e {
            object_store::Error::NotFound { .. } => ApiError::not_found("file"),
            e => ApiError::internal("storage", e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.message, code: self.code.to_string() };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The message a failed job shows in its `error` field. Failures that are
/// ours (a backend or a contained panic) are logged in full and shown briefly.
pub fn job_error_message(job_id: &str, e: &fileconv::Error) -> String {
    match e.kind() {
        ErrorKind::Internal => {
            tracing::error!(job = job_id, error = %e, "conversion failed inside the service");
            "the conversion failed inside the service; the error was logged".to_string()
        }
        _ => one_line(&e.to_string()),
    }
}

/// A message on one line, with at most 500 characters.
fn one_line(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(500) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line,
    }
}
