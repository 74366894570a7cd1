//! The routes: the four published endpoints with their exact JSON shapes,
//! the signed storage routes of local mode, and the extras (formats, health,
//! OpenAPI document, metrics, job deletion).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::AppState;
use crate::http::auth::Client;
use crate::ids::random_hex;
use crate::store::records::{now_ms, rfc3339, status, FileRecord, JobRecord};
use crate::error::{ApiError, ErrorBody};
use crate::sandbox::protocol::options_from_json;
use crate::http::quota;
use crate::store::objects::UploadError;

/// The largest JSON body a route reads.
const JSON_BODY_BYTES: usize = 2 << 20;
/// How often a waiting poll re-reads its job: another process may finish it.
const JOB_POLL: Duration = Duration::from_millis(250);
/// Files up to this size are checked against `sourceFormat` when the job is
/// created (422); larger ones are checked by the conversion itself.
const SNIFF_AT_CREATE_BYTES: u64 = 8 << 20;

// ---- bodies ----

/// `POST /api/files/get-upload-url` body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrlRequest {
    /// The file's name; the result is named after it.
    pub file_name: String,
    /// The most bytes the upload may have.
    pub file_size: f64,
    /// The `Content-Type` the upload will be sent with.
    #[serde(default)]
    pub content_type: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadUrlResponse {
    /// Where to `PUT` the bytes; works for `expiresIn` seconds without other authorisation.
    pub upload_url: String,
    pub file_key: String,
    pub file_id: String,
    pub expires_in: u64,
}

/// `POST /api/jobs/create` body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobRequest {
    pub file_key: String,
    /// A format name (file extension): `png`, `docx`, `mp3`...
    pub source_format: String,
    pub target_format: String,
    #[serde(default)]
    pub file_size: Option<f64>,
    /// Conversion options; `GET /api/formats` lists each pair's.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    /// Where to POST a signed `job.completed` or `job.failed` delivery when
    /// the job ends (beyond the original API).
    #[serde(default)]
    pub webhook_url: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateJobResponse {
    pub job_id: String,
    /// The secret that signs deliveries to `webhookUrl` (`whsec_...`),
    /// present only when this job is the first of the client's to name that
    /// URL: keep it, it is not shown again (rotate it with
    /// `POST /api/webhooks/{id}/rotate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// The endpoint `webhookUrl` names, as `GET /api/webhooks` lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_id: Option<String>,
}

/// A job, as `GET /api/jobs/{jobId}` shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobResponse {
    pub job_id: String,
    /// `pending`, `processing`, `completed` or `failed`.
    pub status: String,
    /// The result's URL once completed; works for 600 s from this response.
    pub download_url: Option<String>,
    /// Why the job failed; null unless it did.
    pub error: Option<String>,
    /// Why the job failed, for programs (beyond the original API):
    /// `invalid_input`, `format_mismatch`, `limit_exceeded`, `timeout`,
    /// `converter_crashed`, `out_of_memory`, `cancelled` or `internal`
    /// (`docs/SERVER.md` says what to do about each); null unless it failed.
    pub error_code: Option<String>,
    /// Milliseconds from create to the start of its conversion (the last
    /// attempt's); null until it starts.
    pub queued_ms: Option<i64>,
    /// Milliseconds its conversion ran (so far, while processing); null
    /// until it starts. Only this counts against the plan's time limit.
    pub run_ms: Option<i64>,
    pub source_format: String,
    pub target_format: String,
    /// The result's name: the upload's name with the target extension.
    pub file_name: String,
    /// CPU time the conversion used, in minutes.
    pub cpu_minutes: f64,
    /// What a completed conversion repaired or left out, one sentence each
    /// (beyond the original API, like `progress`); empty when nothing.
    pub warnings: Vec<String>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub completed_at: Option<String>,
    /// 0 to 100.
    pub progress: u32,
}

#[derive(Deserialize)]
pub struct Signed {
    expires: i64,
    signature: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WaitQuery {
    /// Seconds to wait for an unfinished job (default from the configuration, at most 60).
    wait: Option<f64>,
}

/// A JSON body. It must be sent as `Content-Type: application/json` (415
/// otherwise): a form on another site can post a body to any URL, but only
/// as a form or plain text, so it cannot spend its visitors' free tier
/// here. A body that is not the expected JSON is a 400.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &S) -> Result<Self, ApiError> {
        let content_type = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "send the body as Content-Type: application/json"));
        }
        let bytes = axum::body::to_bytes(request.into_body(), JSON_BODY_BYTES).await.map_err(|e| {
            if std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>()) {
                ApiError::too_large("the JSON body is larger than 2 MB")
            } else {
                ApiError::bad_request(format!("cannot read the body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
    }
}

// ---- the published endpoints ----

/// Reserves a file and returns the URL to upload it to.
#[utoipa::path(post, path = "/api/files/get-upload-url", tag = "files", request_body = UploadUrlRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = UploadUrlResponse),
        (status = 400, description = "Bad body", body = ErrorBody),
        (status = 401, description = "Unknown key", body = ErrorBody),
        (status = 413, description = "Larger than the plan allows", body = ErrorBody),
        (status = 429, description = "Rate limit or quota", body = ErrorBody)))]
pub async fn get_upload_url(State(state): State<Arc<AppState>>, client: Client, headers: HeaderMap, ApiJson(request): ApiJson<UploadUrlRequest>) -> Result<Json<UploadUrlResponse>, ApiError> {
    if request.file_name.chars().count() > 255 {
        return Err(ApiError::bad_request("fileName must be at most 255 characters"));
    }
    let cleaned = clean_file_name(&request.file_name);
    let name = cleaned.as_str();
    if name.is_empty() {
        return Err(ApiError::bad_request("fileName must name a file"));
    }
    let size = request.file_size;
    if !size.is_finite() || size < 1.0 || size.fract() != 0.0 {
        return Err(ApiError::bad_request("fileSize must be a whole number of bytes above 0"));
    }
    let plan = state.plan(&client.plan);
    if size > plan.max_file_bytes() as f64 {
        return Err(ApiError::too_large(format!("the {} plan takes files up to {} MB", client.plan, plan.max_file_mb)));
    }
    let file = reserve_file(&state, &client, name, request.content_type, size as u64).await?;
    let upload_url = signed_url(&state, &headers, "PUT", &file.file_key).await?;
    Ok(Json(UploadUrlResponse { upload_url, file_key: file.file_key, file_id: file.id, expires_in: state.config.url_expiry_seconds }))
}

/// Creates a conversion job for an uploaded file; it runs asynchronously.
#[utoipa::path(post, path = "/api/jobs/create", tag = "jobs", request_body = CreateJobRequest,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = CreateJobResponse),
        (status = 400, description = "Bad body or option", body = ErrorBody),
        (status = 404, description = "No such file for this client", body = ErrorBody),
        (status = 409, description = "Not uploaded yet", body = ErrorBody),
        (status = 413, description = "Upload larger than declared", body = ErrorBody),
        (status = 415, description = "Unsupported conversion", body = ErrorBody),
        (status = 422, description = "The file is not sourceFormat", body = ErrorBody),
        (status = 429, description = "Rate limit or quota", body = ErrorBody)))]
pub async fn create_job(State(state): State<Arc<AppState>>, client: Client, ApiJson(request): ApiJson<CreateJobRequest>) -> Result<Json<CreateJobResponse>, ApiError> {
    let file = state.db.file_by_key(&request.file_key).await?.filter(|f| f.owner == client.owner).ok_or_else(|| ApiError::not_found("file"))?;
    let options_text = match request.options {
        None | Some(Value::Null) => "{}".to_string(),
        Some(value) => value.to_string(),
    };
    let conversion = Conversion::check(&state, &client, &request.source_format, &request.target_format, options_text)?;
    let size = state.storage.size(&file.file_key).await?.ok_or_else(|| ApiError::upload_incomplete("the file has not been uploaded yet"))?;
    if size > file.declared_size as u64 {
        return Err(ApiError::too_large(format!("the upload has {size} bytes, more than the {} declared", file.declared_size)));
    }
    let (webhook, webhook_secret) = match request.webhook_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => {
            let (endpoint, secret) = super::webhooks::named_endpoint(&state, &client, url).await?;
            (Some(endpoint.id), secret)
        }
        None => (None, None),
    };
    let job = enqueue(&state, client, file, size, conversion, webhook.as_deref()).await?;
    Ok(Json(CreateJobResponse { job_id: job.id, webhook_secret, webhook_id: webhook }))
}

/// A conversion a request asks for, checked against the engine: both
/// formats known, a path between them, options valid for that path.
pub(crate) struct Conversion {
    pub source: String,
    pub target: String,
    /// The options object, as JSON text.
    pub options: String,
}

impl Conversion {
    /// # Errors
    /// 415 for an unknown format or conversion, 400 for a bad option.
    pub fn check(state: &AppState, client: &Client, source: &str, target: &str, options: String) -> Result<Conversion, ApiError> {
        let engine = state.engine(&client.plan);
        let (source, target) = (format_name(source), format_name(target));
        engine.format(&source)?;
        let path = engine.path(&source, &target)?;
        options_from_json(&options).map_err(ApiError::bad_request)?.validate(path.options())?;
        Ok(Conversion { source, target, options })
    }
}

/// Records a file the client is about to upload, counted against its
/// plan's files per hour.
///
/// # Errors
/// 429 past the quota; a database failure.
pub(crate) async fn reserve_file(state: &AppState, client: &Client, name: &str, content_type: Option<String>, size: u64) -> Result<FileRecord, ApiError> {
    let plan = state.plan(&client.plan);
    quota::consume(&state.db, &client.owner, quota::Kind::FilesPerHour, plan.files_per_hour).await?;
    let now = now_ms();
    let id = random_hex(16);
    let file = FileRecord {
        file_key: format!("uploads/{id}/{}", crate::store::objects::safe_file_name(name)),
        id,
        owner: client.owner.clone(),
        file_name: name.to_string(),
        content_type: content_type.unwrap_or_else(|| "application/octet-stream".to_string()),
        declared_size: size as i64,
        size: None,
        created_at: now,
        expires_at: now + state.config.file_ttl().as_millis() as i64,
    };
    state.db.insert_file(&file).await?;
    Ok(file)
}

/// Queues a job converting an uploaded file of `size` bytes, counted
/// against the plan's conversions per day, naming the webhook endpoint
/// `webhook` (before any worker can take it, so that its end is announced
/// there); a file small enough is first checked to be what `sourceFormat`
/// says.
///
/// # Errors
/// 422 for a file of another format, 429 past the pending cap or the
/// quota; a database failure.
pub(crate) async fn enqueue(state: &AppState, client: Client, file: FileRecord, size: u64, conversion: Conversion, webhook: Option<&str>) -> Result<JobRecord, ApiError> {
    let engine = state.engine(&client.plan);
    let source = engine.format(&conversion.source)?;
    if size <= SNIFF_AT_CREATE_BYTES {
        let head = state.storage.head_bytes(&file.file_key, size).await?;
        engine.check_claim(&head, source)?;
    }
    let cap = state.config.max_pending_jobs_per_client;
    if cap > 0 && state.db.pending_jobs(&client.owner).await? >= i64::from(cap) {
        return Err(ApiError::too_many("too_many_jobs", format!("at most {cap} jobs may wait at once per client; wait for some to finish"), 5));
    }
    let plan = state.plan(&client.plan);
    quota::consume(&state.db, &client.owner, quota::Kind::ConversionsPerDay, plan.conversions_per_day).await?;
    state.db.set_file_size(&file.id, size as i64).await?;
    let now = now_ms();
    let job = JobRecord {
        id: random_hex(16),
        owner: client.owner,
        plan: client.plan,
        file_id: file.id,
        file_name: result_name(&file.file_name, &conversion.target),
        source_format: conversion.source,
        target_format: conversion.target,
        options: conversion.options,
        status: status::PENDING.to_string(),
        progress: 0,
        error: None,
        result_key: None,
        result_size: None,
        cpu_seconds: 0.0,
        attempts: 0,
        created_at: now,
        started_at: None,
        completed_at: None,
        expires_at: now + state.config.file_ttl().as_millis() as i64,
        notes: None,
        error_code: None,
        worker_id: None,
    };
    if let Some(endpoint) = webhook {
        state.db.link_job_webhook(&job.id, endpoint).await?;
    }
    state.db.insert_job(&job).await?;
    state.jobs.wake_one();
    state.db.notify(crate::queue::QUEUED, "").await?;
    Ok(job)
}

/// A job's state. An unfinished job is awaited for a few seconds first, so
/// one poll right after create sees a small conversion completed.
#[utoipa::path(get, path = "/api/jobs/{jobId}", tag = "jobs",
    params(("jobId" = String, Path, description = "From create"), WaitQuery),
    security((), ("bearer" = [])),
    responses((status = 200, body = JobResponse), (status = 404, description = "No such job for this client", body = ErrorBody)))]
pub async fn get_job(
    State(state): State<Arc<AppState>>,
    client: Client,
    headers: HeaderMap,
    Path(job_id): Path<String>,
    Query(query): Query<WaitQuery>,
) -> Result<Json<JobResponse>, ApiError> {
    let wait = query.wait.unwrap_or(state.config.job_wait_seconds).clamp(0.0, 60.0);
    let job = wait_for_job(&state, &client, &job_id, Duration::from_secs_f64(wait)).await?;
    Ok(Json(job_response(&state, &headers, job).await?))
}

/// A job as `GET /api/jobs/{jobId}` shows it, its download URL made for
/// the host `headers` name (or the configured public URL).
///
/// # Errors
/// The result's URL cannot be signed.
pub(crate) async fn job_response(state: &AppState, headers: &HeaderMap, job: JobRecord) -> Result<JobResponse, ApiError> {
    let download_url = match (&job.status[..], &job.result_key) {
        (status::COMPLETED, Some(key)) => Some(signed_url(state, headers, "GET", key).await?),
        _ => None,
    };
    let progress = match &job.status[..] {
        status::COMPLETED => 100,
        status::PROCESSING => state.jobs.progress(&job.id).unwrap_or(job.progress as u32),
        _ => 0,
    };
    Ok(JobResponse {
        job_id: job.id,
        status: job.status,
        download_url,
        error: job.error,
        error_code: job.error_code,
        queued_ms: job.started_at.map(|started| (started - job.created_at).max(0)),
        run_ms: job.started_at.map(|started| (job.completed_at.unwrap_or_else(now_ms) - started).max(0)),
        source_format: job.source_format,
        target_format: job.target_format,
        file_name: job.file_name,
        cpu_minutes: job.cpu_seconds / 60.0,
        warnings: job.notes.as_deref().map(|n| n.lines().map(str::to_string).collect()).unwrap_or_default(),
        created_at: rfc3339(job.created_at),
        completed_at: job.completed_at.map(rfc3339),
        progress,
    })
}

/// The job, once finished or after `wait`, whichever comes first: woken
/// by jobs finished in this process, and re-reading the record every
/// [`JOB_POLL`] for those another process finishes.
///
/// # Errors
/// 404 for a job that is not the client's (or was deleted meanwhile).
pub(crate) async fn wait_for_job(state: &AppState, client: &Client, job_id: &str, wait: Duration) -> Result<JobRecord, ApiError> {
    let mut job = owned_job(state, client, job_id).await?;
    if job.is_finished() || wait.is_zero() {
        return Ok(job);
    }
    let mut finished = state.jobs.subscribe();
    let deadline = tokio::time::Instant::now() + wait;
    // Re-read after subscribing: the job may have finished in between.
    job = owned_job(state, client, job_id).await?;
    let mut poll = tokio::time::interval(JOB_POLL);
    poll.tick().await;
    while !job.is_finished() {
        let heard = tokio::select! {
            heard = tokio::time::timeout_at(deadline, finished.recv()) => heard,
            _ = poll.tick() => {
                job = owned_job(state, client, job_id).await?;
                continue;
            }
        };
        match heard {
            Err(_) => break,
            Ok(Ok(id)) if id != job_id => continue,
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => job = owned_job(state, client, job_id).await?,
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => break,
        }
    }
    Ok(job)
}

/// Cancels a job if it is running and deletes it and its result.
#[utoipa::path(delete, path = "/api/jobs/{jobId}", tag = "jobs",
    params(("jobId" = String, Path, description = "From create")),
    security((), ("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such job for this client", body = ErrorBody)))]
pub async fn delete_job(State(state): State<Arc<AppState>>, client: Client, Path(job_id): Path<String>) -> Result<StatusCode, ApiError> {
    let job = owned_job(&state, &client, &job_id).await?;
    // A job running in another process stops at its worker's next lease
    // renewal, which finds the row gone.
    state.jobs.cancel_deleted(&job.id);
    state.db.delete_job(&job.id).await?;
    if let Some(key) = &job.result_key {
        state.storage.delete(key).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Every format and every source→target pair with its options (gzipped
/// for a client that accepts it).
#[utoipa::path(get, path = "/api/formats", tag = "service", responses((status = 200, description = "`formats` and `conversions`")))]
pub async fn formats(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    static CATALOGUE: OnceLock<(Bytes, Bytes)> = OnceLock::new();
    let (plain, gzipped) = CATALOGUE.get_or_init(|| {
        let engine = state.engine(crate::config::FREE_PLAN);
        let conversions = fileconv::catalog::conversions_json(&engine);
        let formats: Vec<Value> = engine
            .formats()
            .iter()
            .map(|f| {
                let reads = conversions.iter().any(|c| c["from"] == f.id);
                let writes = conversions.iter().any(|c| c["to"] == f.id);
                json!({ "id": f.id, "name": f.name, "mime": f.mime, "category": f.category.name(), "aliases": f.aliases, "read": reads, "write": writes })
            })
            .collect();
        let plain = json!({ "formats": formats, "conversions": conversions }).to_string();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, plain.as_bytes()).expect("writing to memory");
        (Bytes::from(plain), Bytes::from(encoder.finish().expect("writing to memory")))
    });
    let accepts_gzip = headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|coding| {
        let mut parts = coding.split(';');
        parts.next().is_some_and(|name| name.trim().eq_ignore_ascii_case("gzip")) && !parts.any(|p| p.trim().replace(' ', "") == "q=0")
    });
    if accepts_gzip {
        ([(header::CONTENT_TYPE, "application/json"), (header::CONTENT_ENCODING, "gzip"), (header::VARY, "accept-encoding")], gzipped.clone()).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json"), (header::VARY, "accept-encoding")], plain.clone()).into_response()
    }
}

/// Whether the service and its database answer.
#[utoipa::path(get, path = "/health", tag = "service", responses((status = 200, description = "Up"), (status = 503, description = "The database does not answer")))]
pub async fn health(State(state): State<Arc<AppState>>) -> Response {
    let database = if state.db.is_sqlite() { "sqlite" } else { "postgres" };
    let storage = if state.storage.is_local() { "local" } else { "s3" };
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": database, "storage": storage, "workers": state.config.worker_count(), "running": state.jobs.running_count() })).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "error": e.to_string() }))).into_response(),
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let (pending, processing) = state.db.queue_depth().await.unwrap_or((-1, -1));
    let text = state.metrics.render(pending, processing, state.config.worker_count());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

// ---- local mode's signed storage routes ----

async fn upload(State(state): State<Arc<AppState>>, Path(key): Path<String>, Query(signed): Query<Signed>, headers: HeaderMap, body: Body) -> Result<StatusCode, ApiError> {
    state.signer.verify("PUT", &key, signed.expires, &signed.signature, now_ms() / 1000)?;
    let file = state.db.file_by_key(&key).await?.ok_or_else(|| ApiError::not_found("file"))?;
    let limit = file.declared_size as u64;
    let declared_length = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > limit) {
        return Err(ApiError::too_large(format!("the upload is larger than the {limit} bytes declared for it")));
    }
    // One upload per URL, claimed in the database: of two concurrent PUTs one writes.
    if !state.db.claim_upload(&file.id, now_ms()).await? || state.storage.size(&key).await?.is_some() {
        return Err(ApiError::new(StatusCode::CONFLICT, "already_uploaded", "this file has already been uploaded"));
    }
    let result = match store_body(&state, &key, body, limit).await {
        Ok(_) => return Ok(StatusCode::OK),
        Err(UploadError::TooLarge { limit }) => Err(ApiError::too_large(format!("the upload is larger than the {limit} bytes declared for it"))),
        Err(e) => Err(upload_error(&state, e)),
    };
    state.db.release_upload(&file.id).await?;
    result
}

/// Writes a request body to `key` as it arrives, up to `limit` bytes; a
/// body that sends nothing for the configured `body_timeout_seconds` is
/// broken off. Returns the bytes stored.
///
/// # Errors
/// See [`UploadError`]; a stall is `UploadError::Body(STALLED)`.
pub(crate) async fn store_body(state: &AppState, key: &str, body: Body, limit: u64) -> Result<u64, UploadError> {
    let stall = Duration::from_secs(state.config.http.body_timeout_seconds);
    let body = body.into_data_stream();
    let body = futures_util::stream::unfold(body, move |mut body| async move {
        match tokio::time::timeout(stall, futures_util::StreamExt::next(&mut body)).await {
            Ok(Some(chunk)) => Some((chunk.map_err(|e| e.to_string()), body)),
            Ok(None) => None,
            Err(_) => Some((Err(STALLED.to_string()), body)),
        }
    });
    let bytes = state.storage.put_stream(key, Box::pin(body), limit).await?;
    state.metrics.uploaded(bytes);
    Ok(bytes)
}

/// The response to a body that could not be stored (other than too large,
/// whose message depends on the route).
pub(crate) fn upload_error(state: &AppState, e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge { limit } => ApiError::too_large(format!("the upload is larger than {limit} bytes")),
        UploadError::Body(message) if message == STALLED => {
            ApiError::new(StatusCode::REQUEST_TIMEOUT, "timeout", format!("the upload sent nothing for {} s", state.config.http.body_timeout_seconds))
        }
        UploadError::Body(message) => ApiError::bad_request(format!("the upload was interrupted: {message}")),
        UploadError::Store(e) => e.into(),
    }
}

/// What a stalled upload body reports.
const STALLED: &str = "the upload stalled";

async fn download(State(state): State<Arc<AppState>>, Path(key): Path<String>, Query(signed): Query<Signed>) -> Result<Response, ApiError> {
    state.signer.verify("GET", &key, signed.expires, &signed.signature, now_ms() / 1000)?;
    let name = key.rsplit('/').next().unwrap_or("file").to_string();
    stored_file(&state, &key, &name).await
}

/// A stored object as a download named `name`: streamed, with its
/// `Content-Type` (from the name's extension), `Content-Length` and
/// `Content-Disposition` (`filename*` for a name beyond ASCII).
///
/// # Errors
/// 404 for a missing object; a store failure.
pub(crate) async fn stored_file(state: &AppState, key: &str, name: &str) -> Result<Response, ApiError> {
    let (size, chunks) = state.storage.read_stream(key).await?;
    let mime = name.rsplit_once('.').and_then(|(_, ext)| fileconv::engine().format(ext).ok()).map(|f| f.mime).unwrap_or("application/octet-stream");
    let mut response = Body::from_stream(chunks).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    let ascii = crate::store::objects::safe_file_name(name);
    let mut disposition = format!("attachment; filename=\"{ascii}\"");
    if ascii != name {
        let encoded: String = name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
        disposition.push_str(&format!("; filename*=UTF-8''{encoded}"));
    }
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

// ---- helpers ----

async fn owned_job(state: &AppState, client: &Client, id: &str) -> Result<JobRecord, ApiError> {
    state.db.job(id).await?.filter(|j| j.owner == client.owner).ok_or_else(|| ApiError::not_found("job"))
}

/// A URL for `method` on `key`: the store's own pre-signed URL (S3), or this
/// service's `/storage/` route signed with its key (local).
async fn signed_url(state: &AppState, headers: &HeaderMap, method: &str, key: &str) -> Result<String, ApiError> {
    let ttl = state.config.url_expiry_seconds;
    if let Some(url) = state.storage.presigned_url(method, key, Duration::from_secs(ttl)).await? {
        return Ok(url);
    }
    let expires = now_ms() / 1000 + ttl as i64;
    let signature = state.signer.sign(method, key, expires);
    Ok(format!("{}/storage/{key}?expires={expires}&signature={signature}", base_url(state, headers)))
}

/// The service's public base URL: configured, or from the request's `Host`
/// (`X-Forwarded-Host` and `-Proto` behind a trusted proxy). A host that is
/// not a host name or address with an optional port, or a scheme other
/// than `http` and `https`, is not used: the listening address stands in.
pub(crate) fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let proxied = state.config.proxy_hops() > 0;
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.split(',').next().unwrap_or("").trim().to_string());
    let host = header_text("x-forwarded-host")
        .filter(|h| proxied && valid_host(h))
        .or_else(|| header_text("host").filter(|h| valid_host(h)))
        .unwrap_or_else(|| state.config.listen.clone());
    let scheme = header_text("x-forwarded-proto").filter(|p| proxied && (p == "http" || p == "https")).unwrap_or_else(|| "http".to_string());
    format!("{scheme}://{host}")
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port.
fn valid_host(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && (name.starts_with('[') == name.ends_with(']')) && !port.contains(']') => (name, Some(port)),
        _ => (host, None),
    };
    if port.is_some_and(|p| p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u32>().map_or(true, |n| n > 65_535)) {
        return false;
    }
    if let Some(v6) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty() && label.len() <= 63 && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !label.starts_with('-')
        })
}

/// A format name as clients write it: lowercase, without a leading dot.
fn format_name(name: &str) -> String {
    name.trim().trim_start_matches('.').to_ascii_lowercase()
}

/// The upload's name with the target extension: `photo.png` → `photo.jpg`.
pub fn result_name(upload_name: &str, target: &str) -> String {
    let stem = match upload_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => upload_name,
    };
    format!("{stem}.{target}")
}

/// A client's file name as shown back to it: the last path component only,
/// without control characters, bidirectional overrides or invisible format
/// characters (which can make `exe.png` read as `png.exe`), and never `.` or `..`.
pub fn clean_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}'))
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.trim_matches('.').is_empty() {
        String::new()
    } else {
        cleaned.to_string()
    }
}



// ---- the router and its OpenAPI document ----

#[derive(OpenApi)]
#[openapi(
    info(title = "fileconv", description = "The CocoConvert conversion API: ask for an upload URL, PUT the bytes, create a job, poll it, download the result. Without an Authorization header a client is on the free tier, keyed by its IP address."),
    modifiers(&BearerAuth),
    tags((name = "files"), (name = "jobs"), (name = "webhooks"), (name = "service"))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("coco_...").build()));
    }
}

/// The API's routes with their OpenAPI annotations.
fn api_routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(get_upload_url))
        .routes(routes!(create_job))
        .routes(routes!(get_job, delete_job))
        .routes(routes!(super::convert::convert))
        .routes(routes!(super::webhooks::create_webhook, super::webhooks::list_webhooks))
        .routes(routes!(super::webhooks::delete_webhook))
        .routes(routes!(super::webhooks::rotate_webhook))
        .routes(routes!(super::webhooks::job_deliveries))
        .routes(routes!(formats))
        .routes(routes!(health))
}

/// The OpenAPI document of [`router`]'s routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_routes().split_for_parts().1
}

/// Every API route, with rate limits, metrics and request logs.
pub fn router(state: Arc<AppState>) -> Router {
    let (router, openapi) = api_routes().split_for_parts();
    let document = Bytes::from(openapi.to_json().unwrap_or_else(|e| json!({ "error": e.to_string() }).to_string()));
    router
        .route("/api/openapi.json", get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document.clone()) }))
        .route("/metrics", get(metrics))
        .route("/storage/{*key}", put(upload).get(download))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Each route bounds what it reads itself: JSON bodies, uploads.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(from_fn_with_state(state.clone(), crate::http::ratelimit::limit))
        .layer(axum::middleware::from_fn(json_errors))
        .layer(cors(&state.config.cors_allowed_origins))
        .layer(from_fn_with_state(state.metrics.clone(), super::record))
        .layer(axum::middleware::map_response(no_sniff))
        .with_state(state)
}

/// A worker process's routes: `/health` and `/metrics` only.
pub fn worker_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(json_errors))
        .layer(axum::middleware::map_response(no_sniff))
        .with_state(state)
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take this method")
}

/// Every response says its type is what it declares.
async fn no_sniff(mut response: Response) -> Response {
    response.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// Error responses that did not come from [`ApiError`] (the framework's own
/// rejections: a bad query string or path, a body it cannot read) become
/// the same `{error, code}` JSON, with their message kept.
async fn json_errors(request: Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if status.as_u16() < 400 || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::REQUEST_TIMEOUT => "timeout",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if text.is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text };
    let mut json = ApiError::new(status, code, message).into_response();
    for name in [header::RETRY_AFTER, header::ALLOW] {
        if let Some(value) = parts.headers.get(&name) {
            json.headers_mut().insert(name, value.clone());
        }
    }
    json
}

/// Browsers may call the API from the configured origins (`*` for any);
/// the signed storage URLs, authorised by their signature alone, from any
/// page. No cookies are involved, so no credentials are allowed.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use tower_http::cors::{AllowOrigin, CorsLayer};
    let any = origins.iter().any(|o| o == "*");
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, request| {
            any || request.uri.path().starts_with("/storage/") || allowed.iter().any(|o| o == origin)
        }))
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST, axum::http::Method::PUT, axum::http::Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
            axum::http::HeaderName::from_static("x-ratelimit-limit"),
            axum::http::HeaderName::from_static("x-ratelimit-remaining"),
            axum::http::HeaderName::from_static("x-ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(result_name("photo.png", "jpg"), "photo.jpg");
        assert_eq!(result_name("archive.tar.gz", "zip"), "archive.tar.zip");
        assert_eq!(result_name(".hidden", "txt"), ".hidden.txt");
        assert_eq!(result_name("noext", "pdf"), "noext.pdf");
        assert_eq!(crate::store::objects::safe_file_name("my photo (1).png"), "my_photo__1_.png");
        assert_eq!(crate::store::objects::safe_file_name("../../etc/passwd"), ".._.._etc_passwd");
        assert_eq!(crate::store::objects::safe_file_name(".."), "file__");
        assert_eq!(crate::store::objects::safe_file_name("日本.png"), "__.png");
    }

    #[test]
    fn client_names_are_cleaned() {
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("C:\\Users\\me\\photo.png"), "photo.png");
        assert_eq!(clean_file_name("invoice\u{202E}gnp.exe"), "invoicegnp.exe");
        assert_eq!(clean_file_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_file_name(".."), "");
        assert_eq!(clean_file_name("dir/"), "");
        assert_eq!(clean_file_name(" my photo.png "), "my photo.png");
    }

    #[test]
    fn hosts_are_names_or_addresses_with_a_port() {
        for good in ["files.test", "localhost:8080", "127.0.0.1:9", "[::1]:8080", "[2001:db8::1]", "a-b.example.com"] {
            assert!(valid_host(good), "{good}");
        }
        for bad in ["", "evil.com/path", "x@y", "a b", "host:99999", "host:", "[::1", "-a.com", "a..b", "evil.com#", "\u{202e}x"] {
            assert!(!valid_host(bad), "{bad}");
        }
    }
}
