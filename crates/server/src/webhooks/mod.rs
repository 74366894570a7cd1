//! Webhook deliveries: when a job ends, the store enqueues one delivery
//! per endpoint that wants its event ([`crate::store::webhooks`]); every
//! converting process runs [`deliver_forever`], which claims due
//! deliveries with a lease, sends each signed ([`signature`]) through a
//! client that cannot reach internal addresses ([`guard`]), records the
//! attempt, and schedules the next try (the Standard Webhooks schedule,
//! `Retry-After` honoured) or ends it: delivered on 2xx, the endpoint
//! disabled on 410 Gone, failed after the last try. Deliveries live in the
//! database, so they survive restarts and any worker process sends them.

pub mod guard;
pub mod signature;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::DateTime;
use serde_json::{json, Value};

use crate::queue::Queue;
use crate::store::records::{now_ms, rfc3339, JobRecord};
use crate::store::webhooks::{state, Attempt, Delivery};

/// How long a claimed delivery is this process's: past the receiver's timeout.
const DELIVERY_LEASE: Duration = Duration::from_secs(60);
/// The poll behind the wake-ups.
const POLL: Duration = Duration::from_millis(1000);

/// Sends due deliveries until the process ends. `payload` makes a job's
/// `data` (the object `GET /api/jobs/{id}` returns), at each attempt so
/// that its download URL is fresh.
pub async fn deliver_forever<F, Fut>(queue: Arc<Queue>, payload: F)
where
    F: Fn(JobRecord) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Value>> + Send,
{
    let settings = &queue.config.webhooks;
    let allowed = guard::AllowedHosts::new(&settings.allowed_hosts);
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(settings.timeout_seconds))
        .connect_timeout(Duration::from_secs(settings.timeout_seconds.min(10)))
        .user_agent(concat!("fileconv-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(guard::GuardedResolver { allowed: allowed.clone() }))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; no webhooks are sent");
            return;
        }
    };
    let sender = Arc::new(Sender { queue: queue.clone(), client, allowed, payload });
    let mut finished = queue.jobs.subscribe();
    let mut sending = tokio::task::JoinSet::new();
    // The soonest retry this process scheduled: a short schedule is kept
    // to, not rounded up to the poll.
    let mut soonest: Option<i64> = None;
    loop {
        while let Some(next) = sending.try_join_next() {
            soonest = earliest(soonest, next.ok().flatten());
        }
        let room = i64::from(settings.concurrency).saturating_sub(sending.len() as i64);
        let now = now_ms();
        let claimed = if room > 0 {
            match queue.db.claim_deliveries(now, &queue.jobs.worker_id(), now + DELIVERY_LEASE.as_millis() as i64, room).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::error!(error = %e, "cannot claim webhook deliveries");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let busy = !claimed.is_empty();
        for delivery in claimed {
            let sender = sender.clone();
            sending.spawn(async move { sender.send(delivery).await });
        }
        if busy {
            continue;
        }
        let now = now_ms();
        let nap = soonest.map_or(POLL, |at| Duration::from_millis(at.saturating_sub(now).max(0) as u64).min(POLL));
        if soonest.is_some_and(|at| at <= now + nap.as_millis() as i64) {
            soonest = None;
        }
        tokio::select! {
            _ = finished.recv() => {}
            Some(next) = sending.join_next(), if !sending.is_empty() => soonest = earliest(soonest, next.ok().flatten()),
            () = tokio::time::sleep(nap) => {}
        }
    }
}

fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

struct Sender<F> {
    queue: Arc<Queue>,
    client: reqwest::Client,
    /// The same hosts the client's resolver allows.
    allowed: guard::AllowedHosts,
    payload: F,
}

impl<F, Fut> Sender<F>
where
    F: Fn(JobRecord) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<Value>> + Send,
{
    /// Sends one delivery; when its next try is due, if it has one.
    async fn send(&self, delivery: Delivery) -> Option<i64> {
        match self.try_send(&delivery).await {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(delivery = %delivery.id, error = %e, "cannot record a webhook delivery");
                None
            }
        }
    }

    async fn try_send(&self, delivery: &Delivery) -> Result<Option<i64>, sqlx::Error> {
        let db = &self.queue.db;
        let endpoint = db.endpoint(&delivery.endpoint_id).await?.filter(|e| e.disabled_at.is_none());
        let job = db.job(&delivery.job_id).await?;
        let (Some(endpoint), Some(job)) = (endpoint, job) else {
            return db.cancel_delivery(&delivery.id).await.map(|()| None);
        };
        let Some(data) = (self.payload)(job).await else {
            return db.cancel_delivery(&delivery.id).await.map(|()| None);
        };
        let now = now_ms();
        let timestamp = now / 1000;
        let body = json!({
            "type": delivery.event,
            "timestamp": rfc3339(now),
            "data": data,
        })
        .to_string();
        let message_id = message_id(&delivery.id);
        let started = Instant::now();
        let settings = &self.queue.config.webhooks;
        let checked = guard::check_url(&endpoint.url, &self.allowed);
        let response = match checked {
            Ok(url) => {
                self.client
                    .post(url)
                    .header("content-type", "application/json")
                    .header("webhook-id", &message_id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", signature::signature_header(&endpoint.signing_secrets(now), &message_id, timestamp, &body))
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| describe(&e))
            }
            Err(refused) => Err(refused),
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        let attempts = delivery.attempts + 1;
        let schedule = &settings.retry_schedule_seconds;
        let next_try = |at_least: Option<Duration>| -> Result<i64, &'static str> {
            let Some(delay) = schedule.get(attempts as usize) else { return Err(state::FAILED) };
            let delay = Duration::from_secs_f64(delay * jitter()).max(at_least.unwrap_or_default());
            Ok(now_ms() + delay.as_millis() as i64)
        };
        let (status, error, next) = match response {
            Ok(response) => {
                let status = response.status();
                let code = i64::from(status.as_u16());
                if status.is_success() {
                    (Some(code), None, Err(state::DELIVERED))
                } else if status == reqwest::StatusCode::GONE {
                    db.disable_endpoint(&endpoint.id, "the receiver answered 410 Gone", now_ms()).await?;
                    tracing::warn!(endpoint = %endpoint.id, "a webhook endpoint answered 410 Gone; it is disabled");
                    (Some(code), Some("410 Gone: the endpoint is disabled".to_string()), Err(state::FAILED))
                } else {
                    let retry_after = (status == reqwest::StatusCode::TOO_MANY_REQUESTS || status == reqwest::StatusCode::SERVICE_UNAVAILABLE)
                        .then(|| response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(retry_after))
                        .flatten();
                    (Some(code), None, next_try(retry_after))
                }
            }
            Err(error) => (None, Some(error), next_try(None)),
        };
        let attempt = Attempt { delivery_id: delivery.id.clone(), attempted_at: now, status, duration_ms, error };
        tracing::info!(delivery = %delivery.id, status = ?attempt.status, error = ?attempt.error, duration_ms, attempts, "webhook attempt");
        db.record_attempt(delivery, self.queue.jobs.worker_id(), &attempt, next).await?;
        Ok(next.ok())
    }
}

/// The `webhook-id` of a delivery: the same on every attempt, so receivers
/// can drop duplicates.
fn message_id(delivery_id: &str) -> String {
    use sha2::Digest;
    format!("msg_{}", &hex::encode(sha2::Sha256::digest(delivery_id.as_bytes()))[..32])
}

/// A factor from 0.9 to 1.1.
fn jitter() -> f64 {
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    0.9 + f64::from(u16::from_le_bytes(byte)) / f64::from(u16::MAX) * 0.2
}

/// A `Retry-After` value: seconds, or an HTTP date; at most a day.
fn retry_after(value: &str) -> Option<Duration> {
    let seconds = match value.trim().parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => {
            let at = DateTime::parse_from_rfc2822(value.trim()).ok()?;
            u64::try_from(at.timestamp_millis() - now_ms()).unwrap_or(0) / 1000
        }
    };
    Some(Duration::from_secs(seconds.min(86_400)))
}

/// A send error as an attempt's error: what failed, with its cause.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "the receiver did not answer in time".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(super::retry_after("120"), Some(std::time::Duration::from_secs(120)));
        assert_eq!(super::retry_after("999999"), Some(std::time::Duration::from_secs(86_400)));
        assert_eq!(super::retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(std::time::Duration::ZERO));
        assert_eq!(super::retry_after("soon"), None);
        let id = super::message_id("job:endpoint:job.completed");
        assert!(id.starts_with("msg_") && id.len() == 36 && id == super::message_id("job:endpoint:job.completed"));
    }
}
