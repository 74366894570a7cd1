//! The one-request conversion, `POST /api/convert`: the file in, the
//! result out, for files and conversions small enough to wait for. It is
//! the four steps in one request (a file recorded and stored, a job queued
//! and run by a worker's converter child, the result streamed back), so the
//! plans, quotas, rate limits and isolation are those of the four steps.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::{ApiError, JobErrorCode};
use crate::http::auth::Client;
use crate::http::routes::{clean_file_name, enqueue, reserve_file, store_body, stored_file, upload_error, wait_for_job, Conversion};
use crate::http::AppState;
use crate::store::objects::UploadError;
use crate::store::records::{status, FileRecord};

/// Bytes of a multipart text field (a format or an option).
const FIELD_BYTES: usize = 64 << 10;
/// Bytes read to recognise a file sent without `from`.
const SNIFF_BYTES: u64 = 64 << 10;

/// What the request asks for, from the query string and multipart fields:
/// `to`, `from`, `name`, and every other field an option.
#[derive(Default)]
struct Asked {
    to: Option<String>,
    from: Option<String>,
    name: Option<String>,
    options: Map<String, Value>,
}

impl Asked {
    fn take(&mut self, field: String, value: String) {
        match field.as_str() {
            "to" | "targetFormat" => self.to = Some(value),
            "from" | "sourceFormat" => self.from = Some(value),
            "name" | "fileName" => self.name = Some(value),
            _ => {
                self.options.insert(field, Value::String(value));
            }
        }
    }
}

/// Converts the request's file and answers with the result.
///
/// The file is the body (`Content-Type` anything but multipart), or the
/// `file` part of a `multipart/form-data` body whose other fields are
/// read like the query string's: `to` (required), `from` (else from the
/// file name's extension or the bytes), `name` (the file's name), and
/// options (`quality=80`). The result comes back with its `Content-Type`,
/// `Content-Disposition` (the converted file's name), `X-Job-Id` (the job
/// behind it, readable with `GET /api/jobs/{jobId}`), and
/// `X-Conversion-Warnings` (a JSON array, what the conversion repaired or
/// left out) when there is something to say.
///
/// # Errors
/// As the four steps (400, 401, 415, 422, 429), plus: 413 for a file past
/// the one-request size or the plan's; 408 when the conversion takes longer
/// than the one-request time (the job goes on, its id in the message); a
/// failed conversion with its job's `errorCode` as `code` and the status
/// [`JobErrorCode::status`] gives it.
#[utoipa::path(post, path = "/api/convert", tag = "jobs",
    params(
        ("to" = String, Query, description = "The target format"),
        ("from" = Option<String>, Query, description = "The source format; by default from the name's extension or the bytes"),
        ("name" = Option<String>, Query, description = "The file's name; the result is named after it"),
    ),
    request_body(content = Vec<u8>, description = "The file, or multipart/form-data with a `file` part and the parameters as fields", content_type = "application/octet-stream"),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The converted file"),
        (status = 408, description = "Longer than the one-request time; the job goes on", body = crate::error::ErrorBody),
        (status = 413, description = "Larger than the one-request size or the plan's", body = crate::error::ErrorBody),
        (status = 422, description = "Not a valid file of its format, or of another format", body = crate::error::ErrorBody),
        (status = 429, description = "Rate limit or quota", body = crate::error::ErrorBody)))]
pub async fn convert(State(state): State<Arc<AppState>>, client: Client, Query(query): Query<Vec<(String, String)>>, request: Request) -> Result<Response, ApiError> {
    let plan = state.plan(&client.plan);
    let limit = plan.max_file_bytes().min(state.config.convert.max_mb.saturating_mul(1 << 20));
    let too_large = || {
        ApiError::too_large(format!(
            "POST /api/convert takes files up to {} MB; send larger ones (up to the {} plan's {} MB) through POST /api/files/get-upload-url and POST /api/jobs/create",
            limit >> 20,
            client.plan,
            plan.max_file_mb
        ))
    };
    let declared_length = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > limit.saturating_add(FIELD_BYTES as u64 * 4)) {
        return Err(too_large());
    }
    let mut asked = Asked::default();
    for (field, value) in query {
        asked.take(field, value);
    }
    let is_multipart = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    let upload_failed = |e: UploadError| match e {
        UploadError::TooLarge { .. } => too_large(),
        e => upload_error(&state, e),
    };
    let (file, size) = if is_multipart {
        let multipart = Multipart::from_request(request, &()).await.map_err(|e| ApiError::bad_request(format!("not a multipart body: {e}")))?;
        receive_multipart(&state, &client, multipart, &mut asked, limit, &upload_failed).await?.ok_or_else(|| ApiError::bad_request("the multipart body has no `file` part"))?
    } else {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let name = file_name(&asked);
        let file = reserve_file(&state, &client, &name, content_type, limit).await?;
        let size = store_body(&state, &file.file_key, request.into_body(), limit).await.map_err(&upload_failed)?;
        (file, size)
    };
    let to = asked.to.clone().ok_or_else(|| ApiError::bad_request("say the target format: ?to=jpg"))?;
    let from = match asked.from.clone() {
        Some(from) => from,
        None => source_format(&state, &file, size).await?,
    };
    let conversion = Conversion::check(&state, &client, &from, &to, Value::Object(asked.options).to_string())?;
    let job = enqueue(&state, client.clone(), file, size, conversion, None).await?;
    let mut abandoned = AbandonGuard { state: state.clone(), job: Some(job.id.clone()) };
    let wait = Duration::from_secs(state.config.convert.max_seconds.max(1));
    let job = wait_for_job(&state, &client, &job.id, wait).await?;
    abandoned.job = None;
    match (job.status.as_str(), &job.result_key) {
        (status::COMPLETED, Some(key)) => {
            let mut response = stored_file(&state, key, &job.file_name).await?;
            let headers = response.headers_mut();
            if let Ok(id) = HeaderValue::from_str(&job.id) {
                headers.insert("x-job-id", id);
            }
            if let Some(notes) = job.notes.as_deref().filter(|n| !n.is_empty()) {
                let notes: Vec<&str> = notes.lines().collect();
                if let Ok(value) = HeaderValue::from_str(&ascii_json(&notes)) {
                    headers.insert("x-conversion-warnings", value);
                }
            }
            Ok(response)
        }
        (status::FAILED, _) => {
            let code = job.error_code.as_deref().and_then(|c| JobErrorCode::ALL.into_iter().find(|k| k.as_str() == c)).unwrap_or(JobErrorCode::Internal);
            let mut error = ApiError::new(code.status(), code.as_str(), job.error.unwrap_or_else(|| "the conversion failed".to_string())).into_response();
            if let Ok(id) = HeaderValue::from_str(&job.id) {
                error.headers_mut().insert("x-job-id", id);
            }
            Ok(error)
        }
        _ => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the conversion did not finish within the {} s a one-request conversion waits; it goes on as job {}: poll GET /api/jobs/{}, and send files like this one through the four-step API",
                wait.as_secs(),
                job.id,
                job.id
            ),
        )),
    }
}

/// Reads a multipart body: text fields into `asked`, the `file` part into
/// the store as it arrives. `None` when there is no `file` part.
async fn receive_multipart(
    state: &AppState,
    client: &Client,
    mut multipart: Multipart,
    asked: &mut Asked,
    limit: u64,
    upload_failed: &(dyn Fn(UploadError) -> ApiError + Sync),
) -> Result<Option<(FileRecord, u64)>, ApiError> {
    let broken = |e: axum::extract::multipart::MultipartError| upload_failed(UploadError::Body(e.to_string()));
    let mut stored = None;
    while let Some(mut field) = multipart.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" && stored.is_none() {
            if asked.name.is_none() {
                asked.name = field.file_name().map(str::to_string);
            }
            let content_type = field.content_type().map(str::to_string);
            let file = reserve_file(state, client, &file_name(asked), content_type, limit).await?;
            let (sender, receiver) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(4);
            let body = Body::from_stream(tokio_stream_from(receiver));
            let store = store_body(state, &file.file_key, body, limit);
            let pump = async move {
                while let Some(chunk) = field.chunk().await.transpose() {
                    let chunk = chunk.map_err(std::io::Error::other);
                    let failed = chunk.is_err();
                    if sender.send(chunk).await.is_err() || failed {
                        break;
                    }
                }
            };
            let (size, ()) = tokio::join!(store, pump);
            stored = Some((file, size.map_err(upload_failed)?));
            continue;
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(broken)? {
            value.extend_from_slice(&chunk);
            if value.len() > FIELD_BYTES {
                return Err(ApiError::bad_request(format!("the field `{name}` is longer than {FIELD_BYTES} bytes")));
            }
        }
        asked.take(name, String::from_utf8_lossy(&value).into_owned());
    }
    Ok(stored)
}

/// A receiver as a stream of its messages.
fn tokio_stream_from<T: Send + 'static>(receiver: tokio::sync::mpsc::Receiver<T>) -> impl futures_util::Stream<Item = T> {
    futures_util::stream::unfold(receiver, |mut receiver| async move { receiver.recv().await.map(|item| (item, receiver)) })
}

/// The file's name as the client gave it, or `file` with the source
/// format's extension.
fn file_name(asked: &Asked) -> String {
    let given = asked.name.as_deref().map(clean_file_name).filter(|n| !n.is_empty() && n.chars().count() <= 255);
    given.unwrap_or_else(|| format!("file.{}", asked.from.as_deref().unwrap_or("bin").trim_start_matches('.')))
}

/// The source format of a file sent without `from`: its bytes, then its
/// name's extension.
async fn source_format(state: &AppState, file: &FileRecord, size: u64) -> Result<String, ApiError> {
    let head = state.storage.head_bytes(&file.file_key, size.min(SNIFF_BYTES)).await?;
    let engine = state.engine(crate::config::FREE_PLAN);
    if let Some(format) = engine.detect(&head) {
        return Ok(format.id.to_string());
    }
    match file.file_name.rsplit_once('.') {
        Some((_, extension)) if engine.format(extension).is_ok() => Ok(extension.to_string()),
        _ => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", "the file's format is not recognised: say it with ?from=")),
    }
}

/// JSON text with every character outside printable ASCII escaped, so it
/// can be a header value.
fn ascii_json(notes: &[&str]) -> String {
    let text = serde_json::to_string(notes).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Deletes the job when the request ends before it finished (the client
/// went away), so that nobody's conversion runs for nothing.
struct AbandonGuard {
    state: Arc<AppState>,
    job: Option<String>,
}

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        let Some(id) = self.job.take() else { return };
        let state = self.state.clone();
        state.jobs.cancel_deleted(&id);
        tokio::spawn(async move {
            if let Err(e) = state.db.delete_job(&id).await {
                tracing::warn!(job = %id, error = %e, "cannot delete the job of an abandoned one-request conversion");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn warnings_are_ascii_json() {
        let text = super::ascii_json(&["a “quoted” word", "naïve"]);
        assert!(text.is_ascii());
        let back: Vec<String> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, ["a “quoted” word", "naïve"]);
    }

    #[test]
    fn fields_split_into_formats_and_options() {
        let mut asked = super::Asked::default();
        for (k, v) in [("to", "jpg"), ("from", "png"), ("quality", "80"), ("name", "a.png")] {
            asked.take(k.into(), v.into());
        }
        assert_eq!((asked.to.as_deref(), asked.from.as_deref(), asked.name.as_deref()), (Some("jpg"), Some("png"), Some("a.png")));
        assert_eq!(serde_json::Value::Object(asked.options).to_string(), r#"{"quality":"80"}"#);
    }
}
