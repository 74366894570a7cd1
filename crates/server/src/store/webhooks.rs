//! Webhook records: endpoints, the deliveries a finished job owes them,
//! and each delivery attempt. A delivery's id is its job, endpoint and
//! event, so announcing a job twice (a worker and a reaper, say) enqueues
//! it once; deliveries are claimed with a lease like jobs, so any worker
//! process sends them and one that dies hands them on.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::records::{status, Db};

/// The events an endpoint can want.
pub const EVENTS: [&str; 2] = [JOB_COMPLETED, JOB_FAILED];
pub const JOB_COMPLETED: &str = "job.completed";
pub const JOB_FAILED: &str = "job.failed";

/// Where a delivery stands.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const DELIVERED: &str = "delivered";
    pub const FAILED: &str = "failed";
    pub const CANCELLED: &str = "cancelled";
}

/// A registered (or job-named) webhook endpoint.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub owner: String,
    pub url: String,
    pub events: Vec<String>,
    /// Made by a job's `webhookUrl`: only jobs that name it are sent to it.
    pub named_only: bool,
    pub secret: String,
    pub old_secret: Option<String>,
    pub old_secret_until: Option<i64>,
    pub disabled_at: Option<i64>,
    pub disabled_reason: Option<String>,
    pub created_at: i64,
}

impl Endpoint {
    /// The secrets a delivery at `now` is signed with: the current one, and
    /// the one it replaced while that is still valid.
    pub fn signing_secrets(&self, now: i64) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(old), Some(until)) = (&self.old_secret, self.old_secret_until) {
            if now < until {
                secrets.push(old);
            }
        }
        secrets
    }
}

/// A delivery a worker claimed.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub job_id: String,
    pub endpoint_id: String,
    pub event: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// One try at a delivery, as `GET /api/jobs/{id}/deliveries` shows it.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub delivery_id: String,
    pub attempted_at: i64,
    pub status: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<String>,
}

/// A delivery with its endpoint's URL, state and attempts, for the job's page.
#[derive(Debug, Clone)]
pub struct DeliveryView {
    pub id: String,
    pub url: String,
    pub event: String,
    pub state: String,
    pub next_at: Option<i64>,
    pub attempts: Vec<Attempt>,
}

const ENDPOINT_COLUMNS: &str = "id, owner, url, events, named_only, secret, old_secret, old_secret_until, disabled_at, disabled_reason, created_at";

fn endpoint_from_row(r: &AnyRow) -> Result<Endpoint, sqlx::Error> {
    let events: String = r.try_get("events")?;
    Ok(Endpoint {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        url: r.try_get("url")?,
        events: events.split(',').filter(|e| !e.is_empty()).map(str::to_string).collect(),
        named_only: r.try_get::<i64, _>("named_only")? != 0,
        secret: r.try_get("secret")?,
        old_secret: r.try_get("old_secret")?,
        old_secret_until: r.try_get("old_secret_until")?,
        disabled_at: r.try_get("disabled_at")?,
        disabled_reason: r.try_get("disabled_reason")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The statement enqueueing the deliveries of the finished jobs `which`
/// selects (with `$3`); `$1` is the pending state, `$2` now.
fn announce_sql(which: &str) -> String {
    let event = format!("CASE WHEN j.status = '{}' THEN '{JOB_COMPLETED}' ELSE '{JOB_FAILED}' END", status::COMPLETED);
    format!(
        "INSERT INTO webhook_deliveries (id, job_id, endpoint_id, event, state, attempts, next_at, created_at) \
         SELECT j.id || ':' || e.id || ':' || {event}, j.id, e.id, {event}, $1, 0, $2, $2 \
         FROM jobs j JOIN webhook_endpoints e ON e.owner = j.owner \
         WHERE {which} AND j.status IN ('{}', '{}') AND e.disabled_at IS NULL \
         AND ((e.named_only = 0 AND e.events LIKE '%,' || {event} || ',%') \
              OR EXISTS (SELECT 1 FROM job_webhooks w WHERE w.job_id = j.id AND w.endpoint_id = e.id)) \
         ON CONFLICT (id) DO NOTHING",
        status::COMPLETED,
        status::FAILED
    )
}

/// Events as stored: `,job.completed,job.failed,`, so that one is found with `LIKE '%,event,%'`.
fn stored_events(events: &[String]) -> String {
    format!(",{},", events.join(","))
}

impl Db {
    pub async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), sqlx::Error> {
        sqlx::query(&format!("INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"))
            .bind(&e.id)
            .bind(&e.owner)
            .bind(&e.url)
            .bind(stored_events(&e.events))
            .bind(i64::from(e.named_only))
            .bind(&e.secret)
            .bind(&e.old_secret)
            .bind(e.old_secret_until)
            .bind(e.disabled_at)
            .bind(&e.disabled_reason)
            .bind(e.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// An owner's endpoints, oldest first.
    pub async fn endpoints(&self, owner: &str) -> Result<Vec<Endpoint>, sqlx::Error> {
        let rows = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner = $1 ORDER BY created_at, id")).bind(owner).fetch_all(&self.pool).await?;
        rows.iter().map(endpoint_from_row).collect()
    }

    pub async fn endpoint(&self, id: &str) -> Result<Option<Endpoint>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| endpoint_from_row(&r)).transpose()
    }

    /// The endpoint an owner's jobs made for `url` with `webhookUrl`, if any.
    pub async fn named_endpoint(&self, owner: &str, url: &str) -> Result<Option<Endpoint>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE owner = $1 AND url = $2 AND named_only = 1 ORDER BY created_at LIMIT 1"))
            .bind(owner)
            .bind(url)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| endpoint_from_row(&r)).transpose()
    }

    /// Deletes an owner's endpoint and cancels what it was still owed; false when it is not theirs.
    pub async fn delete_endpoint(&self, owner: &str, id: &str) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND owner = $2").bind(id).bind(owner).execute(&self.pool).await?;
        if done.rows_affected() == 1 {
            self.cancel_deliveries_to(id).await?;
        }
        Ok(done.rows_affected() == 1)
    }

    /// Replaces an endpoint's secret; the old one still signs until `old_until`.
    pub async fn rotate_secret(&self, owner: &str, id: &str, secret: &str, old_until: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE webhook_endpoints SET old_secret = secret, old_secret_until = $1, secret = $2 WHERE id = $3 AND owner = $4")
            .bind(old_until)
            .bind(secret)
            .bind(id)
            .bind(owner)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stops sending to an endpoint (it answered 410 Gone) and cancels what it was still owed.
    pub async fn disable_endpoint(&self, id: &str, reason: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE webhook_endpoints SET disabled_at = $1, disabled_reason = $2 WHERE id = $3 AND disabled_at IS NULL").bind(now).bind(reason).bind(id).execute(&self.pool).await?;
        self.cancel_deliveries_to(id).await
    }

    async fn cancel_deliveries_to(&self, endpoint: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE webhook_deliveries SET state = $1 WHERE endpoint_id = $2 AND state = $3").bind(state::CANCELLED).bind(endpoint).bind(state::PENDING).execute(&self.pool).await?;
        Ok(())
    }

    /// Records that a job names an endpoint (its `webhookUrl`).
    pub async fn link_job_webhook(&self, job_id: &str, endpoint_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO job_webhooks (job_id, endpoint_id) VALUES ($1, $2) ON CONFLICT (job_id, endpoint_id) DO NOTHING").bind(job_id).bind(endpoint_id).execute(&self.pool).await?;
        Ok(())
    }

    /// Enqueues what a finished job owes: one delivery per endpoint of its
    /// owner that wants its event, and to the endpoint it names. Once per
    /// job, endpoint and event, however often it is called. Returns how
    /// many were new.
    pub async fn announce_job(&self, job_id: &str, now: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query(&announce_sql("j.id = $3")).bind(state::PENDING).bind(now).bind(job_id).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// [`Db::announce_job`] for every job failed at `finished_at` (the reaper's).
    pub async fn announce_failed_at(&self, finished_at: i64) -> Result<u64, sqlx::Error> {
        let which = format!("j.completed_at = $3 AND j.status = '{}'", status::FAILED);
        let done = sqlx::query(&announce_sql(&which)).bind(state::PENDING).bind(finished_at).bind(finished_at).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Claims up to `limit` due deliveries for `worker` with a lease until
    /// `lease_until` (`FOR UPDATE SKIP LOCKED` on PostgreSQL). A delivery
    /// whose lease ran out is due again.
    pub async fn claim_deliveries(&self, now: i64, worker: &str, lease_until: i64, limit: i64) -> Result<Vec<Delivery>, sqlx::Error> {
        let lock = if self.sqlite { "" } else { " FOR UPDATE SKIP LOCKED" };
        let rows = sqlx::query(&format!(
            "UPDATE webhook_deliveries SET worker_id = $1, lease_until = $2 \
             WHERE id IN (SELECT id FROM webhook_deliveries WHERE state = $3 AND next_at <= $4 AND (lease_until IS NULL OR lease_until < $4) \
                 ORDER BY next_at LIMIT $5{lock}) \
             RETURNING id, job_id, endpoint_id, event, attempts, created_at"
        ))
        .bind(worker)
        .bind(lease_until)
        .bind(state::PENDING)
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.try_get("id")?,
                    job_id: r.try_get("job_id")?,
                    endpoint_id: r.try_get("endpoint_id")?,
                    event: r.try_get("event")?,
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records one attempt and what follows it: `next_at` for another try,
    /// or the delivery's final `state`. Only for the worker holding it.
    pub async fn record_attempt(&self, delivery: &Delivery, worker: &str, attempt: &Attempt, next: Result<i64, &str>) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO webhook_attempts (delivery_id, job_id, attempted_at, status, duration_ms, error) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&delivery.id)
            .bind(&delivery.job_id)
            .bind(attempt.attempted_at)
            .bind(attempt.status)
            .bind(attempt.duration_ms)
            .bind(&attempt.error)
            .execute(&self.pool)
            .await?;
        let (state, next_at) = match next {
            Ok(next_at) => (state::PENDING, next_at),
            Err(state) => (state, attempt.attempted_at),
        };
        sqlx::query("UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, next_at = $2, worker_id = NULL, lease_until = NULL WHERE id = $3 AND worker_id = $4 AND state = $5")
            .bind(state)
            .bind(next_at)
            .bind(&delivery.id)
            .bind(worker)
            .bind(state::PENDING)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a delivery without an attempt (its job or endpoint is gone).
    pub async fn cancel_delivery(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE webhook_deliveries SET state = $1, worker_id = NULL, lease_until = NULL WHERE id = $2").bind(state::CANCELLED).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// A job's deliveries with their attempts, oldest first.
    pub async fn deliveries_of_job(&self, job_id: &str) -> Result<Vec<DeliveryView>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT d.id, d.event, d.state, d.next_at, e.url FROM webhook_deliveries d LEFT JOIN webhook_endpoints e ON e.id = d.endpoint_id \
             WHERE d.job_id = $1 ORDER BY d.created_at, d.id",
        )
        .bind(job_id)
        .fetch_all(&self.pool)
        .await?;
        let attempts = sqlx::query("SELECT delivery_id, attempted_at, status, duration_ms, error FROM webhook_attempts WHERE job_id = $1 ORDER BY attempted_at")
            .bind(job_id)
            .fetch_all(&self.pool)
            .await?;
        let attempts: Vec<Attempt> = attempts
            .iter()
            .map(|r| {
                Ok(Attempt {
                    delivery_id: r.try_get("delivery_id")?,
                    attempted_at: r.try_get("attempted_at")?,
                    status: r.try_get("status")?,
                    duration_ms: r.try_get("duration_ms")?,
                    error: r.try_get("error")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let state: String = r.try_get("state")?;
                Ok(DeliveryView {
                    attempts: attempts.iter().filter(|a| a.delivery_id == id).cloned().collect(),
                    url: r.try_get::<Option<String>, _>("url")?.unwrap_or_default(),
                    event: r.try_get("event")?,
                    next_at: (state == state::PENDING).then(|| r.try_get("next_at")).transpose()?,
                    state,
                    id,
                })
            })
            .collect()
    }

    /// Deletes the webhook rows of jobs that are gone (after the sweeper
    /// deleted them) and of deliveries finished before `before`.
    pub async fn purge_webhook_rows(&self, before: i64) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM webhook_attempts WHERE attempted_at < $1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = webhook_attempts.job_id)").bind(before).execute(&self.pool).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE created_at < $1 AND state <> $2 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = webhook_deliveries.job_id)")
            .bind(before)
            .bind(state::PENDING)
            .execute(&self.pool)
            .await?;
        sqlx::query("DELETE FROM job_webhooks WHERE NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_webhooks.job_id)").execute(&self.pool).await?;
        Ok(())
    }
}
