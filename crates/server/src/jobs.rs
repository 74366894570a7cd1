//! The job queue's workers: each claims a pending job from the database
//! with a lease, has a converter child run it (see [`crate::sandbox`]),
//! renews the lease while it runs (recording progress, and stopping when
//! the job was deleted or reaped), and publishes the result once. The
//! reaper, which runs in every process, returns jobs whose lease ran out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fileconv::Options;
use tokio::sync::{broadcast, Notify};

use crate::app::AppState;
use crate::db::{now_ms, status, JobRecord};
use crate::sandbox::{self, Failure};

/// How many times a job is started before its converter dying (or its
/// worker's lease running out) makes it fail.
pub const MAX_ATTEMPTS: i64 = 2;
/// How long a claim holds without renewal.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a worker renews the lease of the job it runs.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// How often each process looks for jobs whose lease ran out.
pub const REAP_EVERY: Duration = Duration::from_secs(5);

/// Why a running job was stopped.
const STOP_DELETED: u8 = 1;
const STOP_SHUTDOWN: u8 = 2;

/// A job on a worker right now.
#[derive(Debug, Default)]
pub struct RunningJob {
    halt: sandbox::Stop,
    /// 0 to 100.
    progress: AtomicU32,
    /// 0 while running; then why it was stopped.
    stop: AtomicU8,
}

/// What the workers and the API share about jobs in this process.
#[derive(Debug)]
pub struct JobBoard {
    wake: Notify,
    /// The id of every job that finished, for requests waiting on one.
    finished: broadcast::Sender<String>,
    running: Mutex<HashMap<String, Arc<RunningJob>>>,
    stopping: AtomicBool,
    /// This process's name in the jobs it claims.
    worker_id: String,
}

impl Default for JobBoard {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let worker_id = format!("{}-{}-{}", host.trim(), std::process::id(), crate::auth::random_hex(4));
        JobBoard { wake: Notify::new(), finished: broadcast::channel(1024).0, running: Mutex::default(), stopping: AtomicBool::new(false), worker_id }
    }
}

impl JobBoard {
    /// Tells a worker that a job is waiting.
    pub fn wake_one(&self) {
        self.wake.notify_one();
    }

    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.finished.subscribe()
    }

    /// The progress of a job running here, 0 to 100.
    pub fn progress(&self, id: &str) -> Option<u32> {
        self.lock().get(id).map(|r| r.progress.load(Ordering::Relaxed))
    }

    /// Stops a running job because it is being deleted; false when it is not running here.
    pub fn cancel_deleted(&self, id: &str) -> bool {
        self.lock().get(id).map(|r| r.stop(STOP_DELETED)).is_some()
    }

    pub fn running_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<RunningJob>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

impl RunningJob {
    fn stop(&self, reason: u8) {
        self.stop.store(reason, Ordering::Relaxed);
        self.halt.cancel.store(true, Ordering::Relaxed);
    }
}

/// A worker: runs jobs until shutdown begins.
pub async fn worker(state: Arc<AppState>) {
    while !state.jobs.is_stopping() {
        let now = now_ms();
        let lease_until = now + LEASE.as_millis() as i64;
        match state.db.claim_job(now, state.config.max_running_per_client(), &state.jobs.worker_id, lease_until).await {
            Ok(Some(job)) => run(&state, job).await,
            Ok(None) => {
                tokio::select! {
                    _ = state.jobs.wake.notified() => {}
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot take a job from the queue");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// NOTIFY channel: a job was created or put back in the queue.
pub const QUEUED: &str = "fileconv_queued";
/// NOTIFY channel: a job finished; the payload is its id.
pub const FINISHED: &str = "fileconv_finished";

/// On PostgreSQL, turns other processes' NOTIFYs into this process's
/// wake-ups: a queued job wakes a worker, a finished one the requests
/// waiting on it. The pollers behind them (a worker's 500 ms, a waiting
/// request's 250 ms) cover a notification lost with a connection.
pub async fn listen_forever(state: Arc<AppState>) {
    if state.db.is_sqlite() {
        return;
    }
    loop {
        let listening = async {
            let mut listener = sqlx::postgres::PgListener::connect(&state.config.database_url()).await?;
            listener.listen_all([QUEUED, FINISHED]).await?;
            loop {
                let notification = listener.recv().await?;
                if notification.channel() == QUEUED {
                    state.jobs.wake.notify_one();
                } else {
                    let _ = state.jobs.finished.send(notification.payload().to_string());
                }
            }
            #[allow(unreachable_code)]
            Ok::<(), sqlx::Error>(())
        };
        if let Err(e) = listening.await {
            tracing::warn!(error = %e, "LISTEN connection lost; polling until it is back");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Returns jobs whose lease ran out to the queue, every [`REAP_EVERY`],
/// whichever process runs it: several reapers only repeat one UPDATE.
pub async fn reap_forever(state: Arc<AppState>) {
    loop {
        match state.db.reap_expired_leases(now_ms(), MAX_ATTEMPTS).await {
            Ok((0, 0)) => {}
            Ok((requeued, failed)) => {
                tracing::warn!(requeued, failed, "jobs whose worker stopped renewing its lease");
                state.jobs.wake.notify_waiters();
                let _ = state.db.notify(QUEUED, "").await;
            }
            Err(e) => tracing::error!(error = %e, "cannot reap expired leases"),
        }
        tokio::time::sleep(REAP_EVERY).await;
    }
}

/// Stops taking jobs, lets running ones finish for `grace`, then stops the
/// rest and puts them back in the queue.
pub async fn drain(state: &AppState, grace: Duration) {
    state.jobs.stopping.store(true, Ordering::Relaxed);
    state.jobs.wake.notify_waiters();
    let deadline = Instant::now() + grace;
    while state.jobs.running_count() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let left: Vec<Arc<RunningJob>> = state.jobs.lock().values().cloned().collect();
    if !left.is_empty() {
        tracing::warn!(jobs = left.len(), "stopping running jobs for shutdown; they go back in the queue");
        for job in left {
            job.stop(STOP_SHUTDOWN);
        }
    }
}

/// What a worker did with a job.
enum Outcome {
    Completed { key: String, size: u64, notes: Vec<String> },
    Failed(Failure),
    /// Back in the queue: stopped by a shutdown (`true`, the attempt is
    /// given back) or its converter crashed on a first attempt.
    Requeue { give_back: bool },
    /// Deleted, or no longer this worker's: nothing to record.
    Gone,
}

async fn run(state: &Arc<AppState>, job: JobRecord) {
    let started = Instant::now();
    let running = Arc::new(RunningJob::default());
    state.jobs.lock().insert(job.id.clone(), running.clone());
    tracing::info!(job = %job.id, source = %job.source_format, target = %job.target_format, attempt = job.attempts, "job started");
    let (outcome, cpu_seconds) = tokio::select! {
        result = execute(state, &job, &running) => result,
        () = keep_lease(state, &job, &running) => unreachable!("keep_lease returns only when told to stop"),
    };
    state.jobs.lock().remove(&job.id);
    let seconds = started.elapsed().as_secs_f64();
    let now = now_ms();
    let worker = &state.jobs.worker_id;
    let recorded = match &outcome {
        Outcome::Completed { key, size, notes } => match state.db.complete_job(&job.id, worker, key, *size as i64, cpu_seconds, notes, now).await {
            Ok(true) => Ok(status::COMPLETED),
            Ok(false) => {
                // Deleted while it ran, or reaped: the result has no record to belong to.
                let _ = state.storage.delete(key).await;
                Ok("gone")
            }
            Err(e) => Err(e),
        },
        Outcome::Failed(failure) => {
            let message = if failure.is_retryable() { format!("{}; it did so on {MAX_ATTEMPTS} tries", failure.message()) } else { failure.message() };
            state.db.fail_job(&job.id, worker, &message, failure.code(), cpu_seconds, now).await.map(|held| if held { status::FAILED } else { "gone" })
        }
        Outcome::Requeue { give_back } => state.db.requeue_job(&job.id, worker, *give_back).await.map(|_| "requeued"),
        Outcome::Gone => Ok("gone"),
    };
    match recorded {
        Ok(ending) => {
            if let Outcome::Failed(failure) = &outcome {
                tracing::info!(job = %job.id, micros = (seconds * 1e6) as u64, code = failure.code(), error = %failure.message(), "job failed");
            } else {
                tracing::info!(job = %job.id, micros = (seconds * 1e6) as u64, cpu_micros = (cpu_seconds * 1e6) as u64, ending, "job finished");
            }
            if ending == status::COMPLETED || ending == status::FAILED {
                state.metrics.job(&job.source_format, &job.target_format, ending, seconds, cpu_seconds);
            }
            if ending == "requeued" {
                state.jobs.wake.notify_one();
                let _ = state.db.notify(QUEUED, "").await;
            } else if let Err(e) = state.db.notify(FINISHED, &job.id).await {
                tracing::warn!(error = %e, "cannot announce a finished job");
            }
        }
        Err(e) => tracing::error!(job = %job.id, error = %e, "cannot record the job's outcome"),
    }
    let _ = state.jobs.finished.send(job.id.clone());
}

/// Renews the job's lease and records its progress every [`RENEW_EVERY`];
/// when the job is no longer this worker's (deleted, or reaped), stops its
/// conversion. Never returns.
async fn keep_lease(state: &AppState, job: &JobRecord, running: &RunningJob) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let until = now_ms() + LEASE.as_millis() as i64;
        match state.db.renew_lease(&job.id, &state.jobs.worker_id, until, running.progress.load(Ordering::Relaxed)).await {
            Ok(true) => {}
            Ok(false) => running.stop(STOP_DELETED),
            Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot renew the job's lease"),
        }
    }
}

async fn execute(state: &Arc<AppState>, job: &JobRecord, running: &Arc<RunningJob>) -> (Outcome, f64) {
    let failed = |message: String, code: &str| (Outcome::Failed(Failure::Conversion { message, code: code.to_string() }), 0.0);
    let file = match state.db.file_by_id(&job.file_id).await {
        Ok(Some(file)) => file,
        Ok(None) => return failed("the uploaded file has expired or was deleted".to_string(), "file_expired"),
        Err(e) => return failed(format!("the job's file cannot be looked up: {e}"), "internal"),
    };
    let input = match state.storage.stage_input(&file.file_key).await {
        Ok(input) => input,
        Err(object_store::Error::NotFound { .. }) => return failed("the uploaded file is no longer stored".to_string(), "file_expired"),
        Err(e) => return failed(format!("the uploaded file cannot be read: {e}"), "internal"),
    };
    let output = state.storage.temp_dir().join(format!("{}.{}", job.id, job.target_format));
    let request = sandbox::protocol::Request {
        job: job.id.clone(),
        input: input.path.clone(),
        output: output.clone(),
        from: job.source_format.clone(),
        to: job.target_format.clone(),
        options: job.options.clone(),
        plan: state.plan(&job.plan).clone(),
        memory_share: state.config.memory_share(),
    };
    let converted = state.sandbox.run(sandbox::Job { request, progress: &running.progress, stop: &running.halt }).await;
    drop(input);
    let outcome = match converted {
        Ok(converted) => {
            let key = format!("results/{}/{}", job.id, crate::storage::safe_file_name(&job.file_name));
            let outcome = match state.storage.store_file(&key, &output).await {
                Ok(size) => Outcome::Completed { key, size, notes: converted.notes },
                Err(e) => Outcome::Failed(Failure::Conversion { message: format!("the result cannot be stored: {e}"), code: "internal".to_string() }),
            };
            (outcome, converted.cpu_seconds)
        }
        Err(Failure::Cancelled) => match running.stop.load(Ordering::Relaxed) {
            STOP_SHUTDOWN => (Outcome::Requeue { give_back: true }, 0.0),
            _ => (Outcome::Gone, 0.0),
        },
        Err(failure) if failure.is_retryable() && job.attempts < MAX_ATTEMPTS => {
            tracing::warn!(job = %job.id, error = %failure.message(), "the converter died; the job goes back in the queue once");
            (Outcome::Requeue { give_back: false }, 0.0)
        }
        Err(failure) => {
            let limit = matches!(failure, Failure::TimeLimit { seconds } if seconds > 0);
            (Outcome::Failed(failure), if limit { engine_limit_seconds(state, job) as f64 } else { 0.0 })
        }
    };
    let _ = tokio::fs::remove_file(&output).await;
    outcome
}

/// The wall time a job's plan gives its conversion, in seconds.
fn engine_limit_seconds(state: &AppState, job: &JobRecord) -> u64 {
    state.plan(&job.plan).max_job_seconds.max(1)
}

/// The `options` object of a job, as engine options: strings, numbers and
/// booleans are taken as their text.
///
/// # Errors
/// A value that is an object, an array or null, or JSON that is not an object.
pub fn options_from_json(text: &str) -> Result<Options, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("options are not JSON: {e}"))?;
    let mut options = Options::new();
    let serde_json::Value::Object(map) = value else { return Err("options must be a JSON object".to_string()) };
    for (name, value) in map {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(format!("option '{name}' must be a string, a number or a boolean")),
        };
        options.set(name, text);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_strings_numbers_and_booleans() {
        let o = options_from_json(r#"{"quality": 80, "grayscale": true, "background": "white"}"#).unwrap();
        assert_eq!((o.get("quality"), o.get("grayscale"), o.get("background")), (Some("80"), Some("true"), Some("white")));
        assert!(options_from_json(r#"{"quality": [1]}"#).unwrap_err().contains("quality"));
        assert!(options_from_json("[]").is_err());
    }

    #[test]
    fn process_cpu_time_grows_with_work() {
        let before = crate::sandbox::confine::process_cpu_seconds();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(crate::sandbox::confine::process_cpu_seconds() > before);
    }
}
