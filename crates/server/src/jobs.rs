//! The job queue's workers: each takes the oldest pending job from the
//! database, runs the engine on a blocking thread with the plan's limits,
//! and stores the result. Progress and cancellation go through the engine's
//! `Control`; CPU time is the worker thread's own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fileconv::{Control, Options};
use tokio::sync::{broadcast, Notify};

use crate::app::AppState;
use crate::db::{now_ms, status, JobRecord};

/// How many times a job is started before a crash during it makes it fail.
pub const MAX_ATTEMPTS: i64 = 2;

/// Why a running job was stopped.
const STOP_DELETED: u8 = 1;
const STOP_SHUTDOWN: u8 = 2;

/// A job on a worker right now.
#[derive(Debug, Default)]
pub struct RunningJob {
    cancel: Arc<AtomicBool>,
    /// 0 to 100.
    progress: Arc<AtomicU32>,
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
}

impl Default for JobBoard {
    fn default() -> Self {
        JobBoard { wake: Notify::new(), finished: broadcast::channel(1024).0, running: Mutex::default(), stopping: AtomicBool::new(false) }
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
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// A worker: runs jobs until shutdown begins.
pub async fn worker(state: Arc<AppState>) {
    while !state.jobs.is_stopping() {
        match state.db.claim_job(now_ms(), state.config.max_running_per_client()).await {
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
    Failed(String),
    Requeue,
    Deleted,
}

async fn run(state: &Arc<AppState>, job: JobRecord) {
    let started = Instant::now();
    let running = Arc::new(RunningJob::default());
    state.jobs.lock().insert(job.id.clone(), running.clone());
    tracing::info!(job = %job.id, source = %job.source_format, target = %job.target_format, attempt = job.attempts, "job started");
    let (outcome, cpu_seconds) = execute(state, &job, &running).await;
    state.jobs.lock().remove(&job.id);
    let seconds = started.elapsed().as_secs_f64();
    let now = now_ms();
    let recorded = match &outcome {
        Outcome::Completed { key, size, notes } => match state.db.complete_job(&job.id, key, *size as i64, cpu_seconds, notes, now).await {
            Ok(true) => Ok(status::COMPLETED),
            Ok(false) => {
                // Deleted while it ran: the result has no record to belong to.
                let _ = state.storage.delete(key).await;
                Ok("deleted")
            }
            Err(e) => Err(e),
        },
        Outcome::Failed(message) => state.db.fail_job(&job.id, message, cpu_seconds, now).await.map(|_| status::FAILED),
        Outcome::Requeue => state.db.requeue_job(&job.id).await.map(|_| "requeued"),
        Outcome::Deleted => Ok("deleted"),
    };
    match recorded {
        Ok(ending) => {
            if let Outcome::Failed(message) = &outcome {
                tracing::info!(job = %job.id, micros = (seconds * 1e6) as u64, error = %message, "job failed");
            } else {
                tracing::info!(job = %job.id, micros = (seconds * 1e6) as u64, cpu_micros = (cpu_seconds * 1e6) as u64, ending, "job finished");
            }
            if ending == status::COMPLETED || ending == status::FAILED {
                state.metrics.job(&job.source_format, &job.target_format, ending, seconds, cpu_seconds);
            }
        }
        Err(e) => tracing::error!(job = %job.id, error = %e, "cannot record the job's outcome"),
    }
    let _ = state.jobs.finished.send(job.id.clone());
}

async fn execute(state: &Arc<AppState>, job: &JobRecord, running: &Arc<RunningJob>) -> (Outcome, f64) {
    let file = match state.db.file_by_id(&job.file_id).await {
        Ok(Some(file)) => file,
        Ok(None) => return (Outcome::Failed("the uploaded file has expired or was deleted".to_string()), 0.0),
        Err(e) => return (Outcome::Failed(format!("the job's file cannot be looked up: {e}")), 0.0),
    };
    let input = match state.storage.stage_input(&file.file_key).await {
        Ok(input) => input,
        Err(object_store::Error::NotFound { .. }) => return (Outcome::Failed("the uploaded file is no longer stored".to_string()), 0.0),
        Err(e) => return (Outcome::Failed(format!("the uploaded file cannot be read: {e}")), 0.0),
    };
    let options = match options_from_json(&job.options) {
        Ok(options) => options,
        Err(message) => return (Outcome::Failed(message), 0.0),
    };
    let output = state.storage.temp_dir().join(format!("{}.{}", job.id, job.target_format));
    let engine = state.engine(&job.plan);
    let progress = running.progress.clone();
    let control = Control {
        progress: Some(Arc::new(move |fraction: f32| progress.store((fraction * 100.0).round().clamp(0.0, 100.0) as u32, Ordering::Relaxed))),
        cancel: Some(running.cancel.clone()),
    };
    let (from, to, out, id) = (job.source_format.clone(), job.target_format.clone(), output.clone(), job.id.clone());
    // A thread of its own rather than the runtime's blocking pool: a
    // conversion abandoned at its deadline (below) must not hold up the
    // runtime's shutdown.
    let (sender, converted) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new().name("fileconv-job".to_string()).spawn(move || {
        // The conversion thread is marked with the job, so a crash in it is
        // charged to this job in the crash journal.
        let result = fileconv::on_conversion_thread(|| {
            let _mark = crate::crash::JobMark::set(&id);
            let before = thread_cpu_seconds();
            let result = engine.convert_file(&input.path, &out, &from, &to, &options, &control);
            (result, thread_cpu_seconds() - before)
        });
        drop(input);
        let _ = sender.send(result);
    });
    if let Err(e) = spawned {
        return (Outcome::Failed(format!("the conversion could not start: {e}")), 0.0);
    }
    // The engine checks its deadline between steps; one call it cannot
    // interrupt must still not hold the job past its limit. A conversion
    // still running a second after the deadline is told to stop and left to
    // finish on its own; the job fails now and the worker moves on.
    let limit = engine_limit_seconds(state, job);
    let converted = match tokio::time::timeout(Duration::from_secs(limit + 1), converted).await {
        Ok(joined) => joined,
        Err(_) => {
            running.cancel.store(true, Ordering::Relaxed);
            tracing::warn!(job = %job.id, limit, "conversion overran its time limit; abandoned");
            return (Outcome::Failed(format!("the conversion took longer than the {limit} s this plan allows")), limit as f64);
        }
    };
    let (result, cpu_seconds) = match converted {
        Ok(pair) => pair,
        Err(_) => return (Outcome::Failed("the conversion stopped unexpectedly".to_string()), 0.0),
    };
    let outcome = match result {
        Ok(report) => {
            let key = format!("results/{}/{}", job.id, crate::api::safe_file_name(&job.file_name));
            match state.storage.store_file(&key, &output).await {
                Ok(size) => Outcome::Completed { key, size, notes: report.notes },
                Err(e) => Outcome::Failed(format!("the result cannot be stored: {e}")),
            }
        }
        Err(fileconv::Error::Cancelled) => match running.stop.load(Ordering::Relaxed) {
            STOP_SHUTDOWN => Outcome::Requeue,
            STOP_DELETED => Outcome::Deleted,
            _ => Outcome::Failed("conversion cancelled".to_string()),
        },
        Err(e) => Outcome::Failed(crate::error::job_error_message(&job.id, &e)),
    };
    let _ = tokio::fs::remove_file(&output).await;
    (outcome, cpu_seconds)
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

/// CPU time (user + system) of the calling thread, in seconds.
#[cfg(target_os = "linux")]
pub fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) != 0 {
            return 0.0;
        }
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// CPU time of the whole process where per-thread time is not available.
#[cfg(not(target_os = "linux"))]
pub fn thread_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    usage.ru_utime.tv_sec as f64 + usage.ru_utime.tv_usec as f64 / 1e6
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
    fn thread_cpu_time_grows_with_work() {
        let before = thread_cpu_seconds();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(thread_cpu_seconds() > before);
    }
}
