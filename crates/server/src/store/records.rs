//! Records: files, jobs, API keys and usage counters, through sqlx's `Any`
//! driver so the same queries run on SQLite (the embedded default) and
//! PostgreSQL. Placeholders are `$1`, `$2`..., which both accept; times are
//! milliseconds since 1970 in BIGINT columns.

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Connection, Executor, Row};

/// Milliseconds since 1970, the unit of every time column.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A time column as the API shows it: RFC 3339, UTC, milliseconds.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Job states, as the API spells them.
pub mod status {
    pub const PENDING: &str = "pending";
    pub const PROCESSING: &str = "processing";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
}

#[derive(Clone, Debug)]
pub struct FileRecord {
    pub id: String,
    pub file_key: String,
    /// `key:<id>` for a key's files, `ip:<address>` on the free tier.
    pub owner: String,
    pub file_name: String,
    pub content_type: String,
    /// The `fileSize` given with the upload URL: the upload may not exceed it.
    pub declared_size: i64,
    /// The uploaded size, once a job has been created from it.
    pub size: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Clone, Debug)]
pub struct JobRecord {
    pub id: String,
    pub owner: String,
    pub plan: String,
    pub file_id: String,
    pub source_format: String,
    pub target_format: String,
    /// The options object, as JSON text.
    pub options: String,
    /// The result's name: the upload's name with the target extension.
    pub file_name: String,
    pub status: String,
    pub progress: i64,
    pub error: Option<String>,
    pub result_key: Option<String>,
    pub result_size: Option<i64>,
    pub cpu_seconds: f64,
    pub attempts: i64,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub expires_at: i64,
    /// What the conversion repaired or left out, one note per line.
    pub notes: Option<String>,
    /// Why it failed, for programs: a [`crate::error::JobErrorCode`].
    pub error_code: Option<String>,
    /// The worker holding (or last holding) it.
    pub worker_id: Option<String>,
}

impl JobRecord {
    pub fn is_finished(&self) -> bool {
        self.status == status::COMPLETED || self.status == status::FAILED
    }
}

#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub id: String,
    /// The key's own plan, or its user's.
    pub plan: String,
    pub label: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    /// The account that made it on its profile page; `None` for an
    /// operator's key (`keys create`).
    pub user_id: Option<String>,
    pub last_used_at: Option<i64>,
    /// Authenticated requests made with it.
    pub uses: i64,
}

impl KeyRecord {
    /// What its files, jobs and counters belong to: its user's account, or the key itself.
    pub fn owner(&self) -> String {
        match &self.user_id {
            Some(user) => format!("user:{user}"),
            None => format!("key:{}", self.id),
        }
    }
}

/// The columns of a key, its plan being its user's when it has one.
pub(super) const KEY_COLUMNS: &str = "k.id, COALESCE(u.plan, k.plan) AS plan, k.label, k.created_at, k.revoked_at, k.user_id, k.last_used_at, k.uses \
     FROM api_keys k LEFT JOIN users u ON u.id = k.user_id";

/// The database, migrated.
#[derive(Clone, Debug)]
pub struct Db {
    pub(super) pool: AnyPool,
    pub(super) sqlite: bool,
}

const JOB_COLUMNS: &str = "id, owner, plan, file_id, source_format, target_format, options, file_name, status, progress, error, \
     result_key, result_size, cpu_seconds, attempts, created_at, started_at, completed_at, expires_at, notes, error_code, worker_id";
const FILE_COLUMNS: &str = "id, file_key, owner, file_name, content_type, declared_size, size, created_at, expires_at";

fn migrator() -> Migrator {
    // sqlx's `migrate!` macro would pull its compile-time toolchain into the
    // build; the migrations are embedded the same way by hand.
    let migrations = vec![
        Migration::new(1, Cow::Borrowed("init"), MigrationType::Simple, Cow::Borrowed(include_str!("../../migrations/0001_init.sql")), false),
        Migration::new(
            2,
            Cow::Borrowed("hostile clients"),
            MigrationType::Simple,
            Cow::Borrowed(include_str!("../../migrations/0002_hostile_clients.sql")),
            false,
        ),
        Migration::new(3, Cow::Borrowed("job notes"), MigrationType::Simple, Cow::Borrowed(include_str!("../../migrations/0003_job_notes.sql")), false),
        Migration::new(4, Cow::Borrowed("leases"), MigrationType::Simple, Cow::Borrowed(include_str!("../../migrations/0004_leases.sql")), false),
        Migration::new(5, Cow::Borrowed("webhooks"), MigrationType::Simple, Cow::Borrowed(include_str!("../../migrations/0005_webhooks.sql")), false),
        Migration::new(6, Cow::Borrowed("accounts"), MigrationType::Simple, Cow::Borrowed(include_str!("../../migrations/0006_accounts.sql")), false),
    ];
    Migrator { migrations: Cow::Owned(migrations), ignore_missing: false, locking: true, no_tx: false }
}

impl Db {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://...`) and
    /// applies the migrations that have not run yet.
    ///
    /// # Errors
    /// The database cannot be reached or a migration fails.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        // Readers do not wait for the writer; writers wait for each other.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        migrator().run(&pool).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        Ok(Db { pool, sqlite })
    }

    pub fn is_sqlite(&self) -> bool {
        self.sqlite
    }

    /// Wakes the processes listening on `channel` (PostgreSQL's NOTIFY,
    /// outside any transaction; nothing on SQLite, where one process
    /// hears its own events).
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
        if !self.sqlite {
            sqlx::query("SELECT pg_notify($1, $2)").bind(channel).bind(payload).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// # Errors
    /// The database does not answer.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.pool.acquire().await?.ping().await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ---- files ----

    pub async fn insert_file(&self, f: &FileRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO files (id, file_key, owner, file_name, content_type, declared_size, size, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&f.id)
        .bind(&f.file_key)
        .bind(&f.owner)
        .bind(&f.file_name)
        .bind(&f.content_type)
        .bind(f.declared_size)
        .bind(f.size)
        .bind(f.created_at)
        .bind(f.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn file_by_key(&self, file_key: &str) -> Result<Option<FileRecord>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {FILE_COLUMNS} FROM files WHERE file_key = $1"))
            .bind(file_key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| file_from_row(&r)).transpose()
    }

    pub async fn file_by_id(&self, id: &str) -> Result<Option<FileRecord>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {FILE_COLUMNS} FROM files WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| file_from_row(&r)).transpose()
    }

    /// Claims a file's one upload; false when another upload has it or had it.
    pub async fn claim_upload(&self, id: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE files SET uploading_since = $1 WHERE id = $2 AND uploading_since IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a failed upload's claim back, so the client can try again.
    pub async fn release_upload(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE files SET uploading_since = NULL WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn set_file_size(&self, id: &str, size: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE files SET size = $1 WHERE id = $2").bind(size).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Files past their expiry: (id, storage key), oldest first.
    pub async fn expired_files(&self, now: i64, limit: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, file_key FROM files WHERE expires_at < $1 ORDER BY expires_at LIMIT $2")
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("file_key")?))).collect()
    }

    pub async fn delete_file(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM files WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    // ---- jobs ----

    pub async fn insert_job(&self, j: &JobRecord) -> Result<(), sqlx::Error> {
        sqlx::query(&format!(
            "INSERT INTO jobs ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        ))
        .bind(&j.id)
        .bind(&j.owner)
        .bind(&j.plan)
        .bind(&j.file_id)
        .bind(&j.source_format)
        .bind(&j.target_format)
        .bind(&j.options)
        .bind(&j.file_name)
        .bind(&j.status)
        .bind(j.progress)
        .bind(j.error.clone())
        .bind(j.result_key.clone())
        .bind(j.result_size)
        .bind(j.cpu_seconds)
        .bind(j.attempts)
        .bind(j.created_at)
        .bind(j.started_at)
        .bind(j.completed_at)
        .bind(j.expires_at)
        .bind(j.notes.clone())
        .bind(j.error_code.clone())
        .bind(j.worker_id.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn job(&self, id: &str) -> Result<Option<JobRecord>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1")).bind(id).fetch_optional(&self.pool).await?;
        row.map(|r| job_from_row(&r)).transpose()
    }

    /// Takes a pending job for `worker`, marks it processing with a lease
    /// until `lease_until`, and counts the attempt. Fair between clients:
    /// the owner with the fewest running jobs goes first (oldest job first
    /// among equals), and no owner runs more than `max_running_per_owner`
    /// at once, so one client's slow jobs never hold every worker. On
    /// PostgreSQL the candidate row is locked with `FOR UPDATE SKIP LOCKED`,
    /// so racing workers take different jobs instead of waiting on one; on
    /// SQLite writers are serialised and the loser's UPDATE matches no row.
    pub async fn claim_job(&self, now: i64, max_running_per_owner: i64, worker: &str, lease_until: i64) -> Result<Option<JobRecord>, sqlx::Error> {
        let lock = if self.sqlite { "" } else { " FOR UPDATE SKIP LOCKED" };
        let row = sqlx::query(&format!(
            "UPDATE jobs SET status = $1, attempts = attempts + 1, started_at = $2, progress = 0, worker_id = $5, lease_until = $6 \
             WHERE id = (SELECT j.id FROM jobs j \
                 WHERE j.status = $3 AND (SELECT COUNT(*) FROM jobs r WHERE r.owner = j.owner AND r.status = $1) < $4 \
                 ORDER BY (SELECT COUNT(*) FROM jobs r WHERE r.owner = j.owner AND r.status = $1), j.created_at, j.id LIMIT 1{lock}) \
             AND status = $3 RETURNING {JOB_COLUMNS}"
        ))
        .bind(status::PROCESSING)
        .bind(now)
        .bind(status::PENDING)
        .bind(max_running_per_owner)
        .bind(worker)
        .bind(lease_until)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| job_from_row(&r)).transpose()
    }

    /// Extends `worker`'s lease on a job and records its progress. False
    /// when the job is no longer the worker's: deleted, or reaped after a
    /// lease that ran out. The worker then stops converting it.
    pub async fn renew_lease(&self, id: &str, worker: &str, lease_until: i64, progress: u32) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE jobs SET lease_until = $1, progress = $2 WHERE id = $3 AND worker_id = $4 AND status = $5")
            .bind(lease_until)
            .bind(i64::from(progress))
            .bind(id)
            .bind(worker)
            .bind(status::PROCESSING)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Returns jobs whose lease ran out before `now` (their worker died or
    /// lost the database) to the queue; a job already on its last attempt
    /// fails instead. Returns (re-queued, failed).
    pub async fn reap_expired_leases(&self, now: i64, max_attempts: i64) -> Result<(u64, u64), sqlx::Error> {
        let failed = sqlx::query(
            "UPDATE jobs SET status = $1, error = $2, error_code = $3, completed_at = $4, worker_id = NULL, lease_until = NULL \
             WHERE status = $5 AND lease_until < $4 AND attempts >= $6",
        )
        .bind(status::FAILED)
        .bind(format!("the worker converting this file stopped, {max_attempts} times; it was not tried again"))
        .bind(crate::error::JobErrorCode::Internal.as_str())
        .bind(now)
        .bind(status::PROCESSING)
        .bind(max_attempts)
        .execute(&self.pool)
        .await?
        .rows_affected();
        let requeued = sqlx::query("UPDATE jobs SET status = $1, progress = 0, started_at = NULL, worker_id = NULL, lease_until = NULL WHERE status = $2 AND lease_until < $3")
            .bind(status::PENDING)
            .bind(status::PROCESSING)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        if failed > 0 {
            if let Err(e) = self.announce_failed_at(now).await {
                tracing::error!(error = %e, "cannot enqueue the webhook deliveries of jobs whose worker was lost");
            }
        }
        Ok((requeued, failed))
    }

    /// Jobs of `owner` waiting for a worker.
    pub async fn pending_jobs(&self, owner: &str) -> Result<i64, sqlx::Error> {
        sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE owner = $1 AND status = $2")
            .bind(owner)
            .bind(status::PENDING)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")
    }

    /// Publishes a result: marks the job completed if `worker` still holds
    /// it. False when it does not (deleted while it ran, or reaped and
    /// given to another worker): a result is published once.
    pub async fn complete_job(&self, id: &str, worker: &str, result_key: &str, result_size: i64, cpu_seconds: f64, notes: &[String], now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, progress = 100, result_key = $2, result_size = $3, cpu_seconds = $4, completed_at = $5, error = NULL, \
             error_code = NULL, notes = $8, lease_until = NULL WHERE id = $6 AND status = $7 AND worker_id = $9",
        )
        .bind(status::COMPLETED)
        .bind(result_key)
        .bind(result_size)
        .bind(cpu_seconds)
        .bind(now)
        .bind(id)
        .bind(status::PROCESSING)
        .bind((!notes.is_empty()).then(|| notes.join("\n")))
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1 && self.announced(id, now).await)
    }

    /// Enqueues a finished job's webhook deliveries; a failure is logged,
    /// not returned: the job's outcome is recorded either way.
    async fn announced(&self, id: &str, now: i64) -> bool {
        if let Err(e) = self.announce_job(id, now).await {
            tracing::error!(job = id, error = %e, "cannot enqueue the job's webhook deliveries");
        }
        true
    }

    /// Fails a job `worker` holds, with a message and an `errorCode`.
    pub async fn fail_job(&self, id: &str, worker: &str, error: &str, error_code: &str, cpu_seconds: f64, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE jobs SET status = $1, error = $2, error_code = $3, cpu_seconds = $4, completed_at = $5, lease_until = NULL \
             WHERE id = $6 AND status = $7 AND worker_id = $8",
        )
        .bind(status::FAILED)
        .bind(error)
        .bind(error_code)
        .bind(cpu_seconds)
        .bind(now)
        .bind(id)
        .bind(status::PROCESSING)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1 && self.announced(id, now).await)
    }

    /// Puts a job `worker` holds back in the queue. `give_back` returns the
    /// attempt (a shutdown stopped it, not the file); otherwise it counts
    /// (its converter crashed once).
    pub async fn requeue_job(&self, id: &str, worker: &str, give_back: bool) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE jobs SET status = $1, attempts = attempts - $4, progress = 0, started_at = NULL, worker_id = NULL, lease_until = NULL \
             WHERE id = $2 AND status = $3 AND worker_id = $5",
        )
        .bind(status::PENDING)
        .bind(id)
        .bind(status::PROCESSING)
        .bind(i64::from(give_back))
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_job(&self, id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Jobs past their expiry: (id, result key).
    pub async fn expired_jobs(&self, now: i64, limit: i64) -> Result<Vec<(String, Option<String>)>, sqlx::Error> {
        let rows = sqlx::query("SELECT id, result_key FROM jobs WHERE expires_at < $1 AND status <> $2 ORDER BY expires_at LIMIT $3")
            .bind(now)
            .bind(status::PROCESSING)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("result_key")?))).collect()
    }

    /// Jobs waiting and jobs running.
    pub async fn queue_depth(&self) -> Result<(i64, i64), sqlx::Error> {
        let count = |s: &'static str| {
            let pool = self.pool.clone();
            async move { sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE status = $1").bind(s).fetch_one(&pool).await?.try_get::<i64, _>("n") }
        };
        Ok((count(status::PENDING).await?, count(status::PROCESSING).await?))
    }

    // ---- API keys ----

    /// Stores a key's hash: an operator's (`user` none) on `plan`, or a user's.
    pub async fn insert_key(&self, id: &str, key_hash: &str, plan: &str, label: Option<&str>, user: Option<&str>, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO api_keys (id, key_hash, plan, label, created_at, revoked_at, user_id, uses) VALUES ($1, $2, $3, $4, $5, NULL, $6, 0)")
            .bind(id)
            .bind(key_hash)
            .bind(plan)
            .bind(label.map(str::to_string))
            .bind(now)
            .bind(user.map(str::to_string))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The key with this hash, unless revoked.
    pub async fn active_key(&self, key_hash: &str) -> Result<Option<KeyRecord>, sqlx::Error> {
        let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} WHERE k.key_hash = $1 AND k.revoked_at IS NULL"))
            .bind(key_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| key_from_row(&r)).transpose()
    }

    /// Notes one authenticated request made with the key.
    pub async fn key_used(&self, id: &str, now: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE api_keys SET uses = uses + 1, last_used_at = $1 WHERE id = $2").bind(now).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn keys(&self) -> Result<Vec<KeyRecord>, sqlx::Error> {
        let rows = sqlx::query(&format!("SELECT {KEY_COLUMNS} ORDER BY k.created_at, k.id")).fetch_all(&self.pool).await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Revokes the key with this id or hash; false when there is none.
    pub async fn revoke_key(&self, id: &str, key_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE (id = $2 OR key_hash = $3) AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(key_hash)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // ---- usage counters ----

    /// Counts one use of `kind` by `owner` in the window starting at
    /// `window_start`, unless that would pass `limit`. Returns the count
    /// after the attempt and whether it was within the limit (a refused
    /// attempt is not counted).
    pub async fn consume(&self, owner: &str, kind: &str, window_start: i64, limit: u64) -> Result<(i64, bool), sqlx::Error> {
        let count: i64 = sqlx::query(
            "INSERT INTO usage_counters (owner, kind, window_start, count) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (owner, kind, window_start) DO UPDATE SET count = usage_counters.count + 1 RETURNING count",
        )
        .bind(owner)
        .bind(kind)
        .bind(window_start)
        .fetch_one(&self.pool)
        .await?
        .try_get("count")?;
        if limit > 0 && count > limit as i64 {
            sqlx::query("UPDATE usage_counters SET count = count - 1 WHERE owner = $1 AND kind = $2 AND window_start = $3")
                .bind(owner)
                .bind(kind)
                .bind(window_start)
                .execute(&self.pool)
                .await?;
            return Ok((count - 1, false));
        }
        Ok((count, true))
    }

    /// Uses of `kind` by `owner` counted in the window starting at `window_start`.
    pub async fn usage(&self, owner: &str, kind: &str, window_start: i64) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT count FROM usage_counters WHERE owner = $1 AND kind = $2 AND window_start = $3")
            .bind(owner)
            .bind(kind)
            .bind(window_start)
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |r| r.try_get("count"))
    }

    /// Drops the per-minute rate windows that started before `before`.
    pub async fn purge_rate_windows(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM usage_counters WHERE kind LIKE 'rate:%' AND window_start < $1").bind(before).execute(&self.pool).await?.rows_affected())
    }

    /// Drops counters of windows that started before `before`.
    pub async fn purge_usage(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(sqlx::query("DELETE FROM usage_counters WHERE window_start < $1").bind(before).execute(&self.pool).await?.rows_affected())
    }
}

fn file_from_row(r: &AnyRow) -> Result<FileRecord, sqlx::Error> {
    Ok(FileRecord {
        id: r.try_get("id")?,
        file_key: r.try_get("file_key")?,
        owner: r.try_get("owner")?,
        file_name: r.try_get("file_name")?,
        content_type: r.try_get("content_type")?,
        declared_size: r.try_get("declared_size")?,
        size: r.try_get("size")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
    })
}

fn job_from_row(r: &AnyRow) -> Result<JobRecord, sqlx::Error> {
    Ok(JobRecord {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        plan: r.try_get("plan")?,
        file_id: r.try_get("file_id")?,
        source_format: r.try_get("source_format")?,
        target_format: r.try_get("target_format")?,
        options: r.try_get("options")?,
        file_name: r.try_get("file_name")?,
        status: r.try_get("status")?,
        progress: r.try_get("progress")?,
        error: r.try_get("error")?,
        result_key: r.try_get("result_key")?,
        result_size: r.try_get("result_size")?,
        cpu_seconds: r.try_get("cpu_seconds")?,
        attempts: r.try_get("attempts")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        completed_at: r.try_get("completed_at")?,
        expires_at: r.try_get("expires_at")?,
        notes: r.try_get("notes")?,
        error_code: r.try_get("error_code")?,
        worker_id: r.try_get("worker_id")?,
    })
}

pub(super) fn key_from_row(r: &AnyRow) -> Result<KeyRecord, sqlx::Error> {
    Ok(KeyRecord {
        id: r.try_get("id")?,
        plan: r.try_get("plan")?,
        label: r.try_get("label")?,
        created_at: r.try_get("created_at")?,
        revoked_at: r.try_get("revoked_at")?,
        user_id: r.try_get("user_id")?,
        last_used_at: r.try_get("last_used_at")?,
        uses: r.try_get("uses")?,
    })
}
