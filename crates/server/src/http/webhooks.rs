//! The webhook routes (beyond the published API): endpoints a client
//! registers for its jobs' events, their secrets and rotation, the
//! endpoint a job names with `webhookUrl`, and each job's delivery
//! attempts. Sending is [`crate::webhooks`]'s.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::http::auth::Client;
use crate::http::routes::ApiJson;
use crate::http::AppState;
use crate::ids::random_hex;
use crate::store::records::{now_ms, rfc3339};
use crate::store::webhooks::{Endpoint, EVENTS};
use crate::webhooks::guard::{check_url_resolving, AllowedHosts};
use crate::webhooks::signature::new_secret;

/// Endpoints one client may have, registered and job-named together.
const MAX_ENDPOINTS: usize = 50;
/// How long a rotated secret still signs.
const OLD_SECRET_VALID_MS: i64 = 24 * 3600 * 1000;

/// `POST /api/webhooks` body.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewWebhook {
    /// Where deliveries are POSTed: `http` or `https`, not an internal address.
    pub url: String,
    /// `job.completed`, `job.failed`; both when absent.
    #[serde(default)]
    pub events: Option<Vec<String>>,
}

/// An endpoint as the client sees it; `secret` only when it is made or rotated.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    /// Made by a job's `webhookUrl`: sent only the events of jobs that name it.
    pub job_named: bool,
    /// `whsec_...`: shown once, when made or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the secret replaced by the last rotation still signs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_valid_until: Option<String>,
    /// Why it is no longer sent to (it answered 410 Gone); null while active.
    pub disabled: Option<String>,
    pub created_at: String,
}

impl WebhookView {
    fn of(endpoint: &Endpoint, secret: Option<String>) -> Self {
        WebhookView {
            id: endpoint.id.clone(),
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
            job_named: endpoint.named_only,
            secret,
            previous_secret_valid_until: endpoint.old_secret_until.filter(|until| *until > now_ms()).map(rfc3339),
            disabled: endpoint.disabled_reason.clone().or_else(|| endpoint.disabled_at.map(|_| "disabled".to_string())),
            created_at: rfc3339(endpoint.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

/// One try at a delivery.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub at: String,
    /// The receiver's HTTP status; null when no answer came.
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// A delivery a job owes an endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub url: String,
    /// `job.completed` or `job.failed`.
    pub event: String,
    /// `pending`, `delivered`, `failed` or `cancelled`.
    pub state: String,
    /// When the next try is due; null unless pending.
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryView>,
}

fn bad_url(message: String) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook_url", message)
}

/// Registers an endpoint for the client's jobs' events.
#[utoipa::path(post, path = "/api/webhooks", tag = "webhooks", request_body = NewWebhook,
    security((), ("bearer" = [])),
    responses((status = 201, body = WebhookView), (status = 400, description = "Bad URL or event", body = ErrorBody)))]
pub async fn create_webhook(State(state): State<Arc<AppState>>, client: Client, ApiJson(request): ApiJson<NewWebhook>) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let events = request.events.unwrap_or_else(|| EVENTS.iter().map(|e| e.to_string()).collect());
    if events.is_empty() || events.iter().any(|e| !EVENTS.contains(&e.as_str())) {
        return Err(ApiError::bad_request(format!("events are some of {}", EVENTS.join(", "))));
    }
    let (endpoint, secret) = new_endpoint(&state, &client, &request.url, events, false).await?;
    Ok((StatusCode::CREATED, Json(WebhookView::of(&endpoint, Some(secret)))))
}

/// The client's endpoints.
#[utoipa::path(get, path = "/api/webhooks", tag = "webhooks", security((), ("bearer" = [])), responses((status = 200, body = WebhookList)))]
pub async fn list_webhooks(State(state): State<Arc<AppState>>, client: Client) -> Result<Json<WebhookList>, ApiError> {
    let endpoints = state.db.endpoints(&client.owner).await?;
    Ok(Json(WebhookList { webhooks: endpoints.iter().map(|e| WebhookView::of(e, None)).collect() }))
}

/// Deletes an endpoint; what it was still owed is not sent.
#[utoipa::path(delete, path = "/api/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    security((), ("bearer" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_webhook(State(state): State<Arc<AppState>>, client: Client, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    if state.db.delete_endpoint(&client.owner, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("webhook"))
    }
}

/// Gives an endpoint a new secret; the old one signs too for 24 hours.
#[utoipa::path(post, path = "/api/webhooks/{id}/rotate", tag = "webhooks", params(("id" = String, Path)),
    security((), ("bearer" = [])), responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
pub async fn rotate_webhook(State(state): State<Arc<AppState>>, client: Client, Path(id): Path<String>) -> Result<Json<WebhookView>, ApiError> {
    let secret = new_secret();
    if !state.db.rotate_secret(&client.owner, &id, &secret, now_ms() + OLD_SECRET_VALID_MS).await? {
        return Err(ApiError::not_found("webhook"));
    }
    let endpoint = state.db.endpoint(&id).await?.ok_or_else(|| ApiError::not_found("webhook"))?;
    Ok(Json(WebhookView::of(&endpoint, Some(secret))))
}

/// A job's webhook deliveries, each with its attempts.
#[utoipa::path(get, path = "/api/jobs/{jobId}/deliveries", tag = "webhooks", params(("jobId" = String, Path)),
    security((), ("bearer" = [])), responses((status = 200, body = DeliveryList), (status = 404, body = ErrorBody)))]
pub async fn job_deliveries(State(state): State<Arc<AppState>>, client: Client, Path(job_id): Path<String>) -> Result<Json<DeliveryList>, ApiError> {
    state.db.job(&job_id).await?.filter(|j| j.owner == client.owner).ok_or_else(|| ApiError::not_found("job"))?;
    let deliveries = state.db.deliveries_of_job(&job_id).await?;
    Ok(Json(DeliveryList {
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                url: d.url,
                event: d.event,
                state: d.state,
                next_attempt_at: d.next_at.map(rfc3339),
                attempts: d.attempts.into_iter().map(|a| AttemptView { at: rfc3339(a.attempted_at), status: a.status, duration_ms: a.duration_ms, error: a.error }).collect(),
            })
            .collect(),
    }))
}

/// The endpoint a job's `webhookUrl` names: the client's endpoint made
/// for that URL by an earlier job, or a new one, whose secret is returned
/// (once) with the job.
///
/// # Errors
/// 400 for a URL that may not be sent to; 429 past the endpoints a client may have.
pub(crate) async fn named_endpoint(state: &AppState, client: &Client, url: &str) -> Result<(Endpoint, Option<String>), ApiError> {
    let normalized = url::Url::parse(url.trim()).map_or_else(|_| url.to_string(), |u| u.to_string());
    if let Some(endpoint) = state.db.named_endpoint(&client.owner, &normalized).await?.filter(|e| e.disabled_at.is_none()) {
        return Ok((endpoint, None));
    }
    let (endpoint, secret) = new_endpoint(state, client, url, EVENTS.iter().map(|e| e.to_string()).collect(), true).await?;
    Ok((endpoint, Some(secret)))
}

async fn new_endpoint(state: &AppState, client: &Client, url: &str, events: Vec<String>, named_only: bool) -> Result<(Endpoint, String), ApiError> {
    let allowed = AllowedHosts::new(&state.config.webhooks.allowed_hosts);
    let url = check_url_resolving(url.trim(), &allowed).await.map_err(bad_url)?;
    if state.db.endpoints(&client.owner).await?.len() >= MAX_ENDPOINTS {
        return Err(ApiError::too_many("too_many_webhooks", format!("a client may have at most {MAX_ENDPOINTS} webhook endpoints; delete some"), 60));
    }
    let secret = new_secret();
    let endpoint = Endpoint {
        id: format!("wh_{}", random_hex(12)),
        owner: client.owner.clone(),
        url: url.to_string(),
        events,
        named_only,
        secret: secret.clone(),
        old_secret: None,
        old_secret_until: None,
        disabled_at: None,
        disabled_reason: None,
        created_at: now_ms(),
    };
    state.db.insert_endpoint(&endpoint).await?;
    Ok((endpoint, secret))
}
