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

/// The `errorCode` of a job the engine failed: the code a request failing
/// the same way would carry (`invalid_input`, `too_large`...).
pub fn job_error_code(e: &fileconv::Error) -> &'static str {
    conversion_status(e).map_or("internal", |(_, code)| code)
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
