//! The workers: each claims a pending job with a lease, has a converter
//! child run it (see [`crate::sandbox`]) while [`super::leases`] keeps the
//! lease, and publishes the outcome once.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::board::{RunningJob, STOP_SHUTDOWN};
use super::leases::{keep_lease, LEASE};
use super::{Queue, FINISHED, MAX_ATTEMPTS, QUEUED};
use crate::error::JobErrorCode;
use crate::sandbox::{self, Failure};
use crate::store::records::{now_ms, status, JobRecord};

/// A worker: runs jobs until shutdown begins.
pub async fn worker(state: Arc<Queue>) {
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

/// Stops taking jobs, lets running ones finish for `grace`, then stops the
/// rest and puts them back in the queue.
pub async fn drain(state: &Queue, grace: Duration) {
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

async fn run(state: &Arc<Queue>, job: JobRecord) {
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
            state.db.fail_job(&job.id, worker, &message, failure.code().as_str(), cpu_seconds, now).await.map(|held| if held { status::FAILED } else { "gone" })
        }
        Outcome::Requeue { give_back } => state.db.requeue_job(&job.id, worker, *give_back).await.map(|_| "requeued"),
        Outcome::Gone => Ok("gone"),
    };
    match recorded {
        Ok(ending) => {
            if let Outcome::Failed(failure) = &outcome {
                tracing::info!(job = %job.id, micros = (seconds * 1e6) as u64, code = failure.code().as_str(), error = %failure.message(), "job failed");
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

async fn execute(state: &Arc<Queue>, job: &JobRecord, running: &Arc<RunningJob>) -> (Outcome, f64) {
    let failed = |message: String, code: JobErrorCode| (Outcome::Failed(Failure::Conversion { message, code }), 0.0);
    let file = match state.db.file_by_id(&job.file_id).await {
        Ok(Some(file)) => file,
        Ok(None) => return failed("the uploaded file has expired or was deleted".to_string(), JobErrorCode::InvalidInput),
        Err(e) => return failed(format!("the job's file cannot be looked up: {e}"), JobErrorCode::Internal),
    };
    let input = match state.storage.stage_input(&file.file_key).await {
        Ok(input) => input,
        Err(object_store::Error::NotFound { .. }) => return failed("the uploaded file is no longer stored".to_string(), JobErrorCode::InvalidInput),
        Err(e) => return failed(format!("the uploaded file cannot be read: {e}"), JobErrorCode::Internal),
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
            let key = format!("results/{}/{}", job.id, crate::store::objects::safe_file_name(&job.file_name));
            let outcome = match state.storage.store_file(&key, &output).await {
                Ok(size) => Outcome::Completed { key, size, notes: converted.notes },
                Err(e) => Outcome::Failed(Failure::Conversion { message: format!("the result cannot be stored: {e}"), code: JobErrorCode::Internal }),
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
            // A conversion stopped at its wall time is charged that time.
            let charged = if let Failure::TimeLimit { seconds } = failure { seconds as f64 } else { 0.0 };
            (Outcome::Failed(failure), charged)
        }
    };
    let _ = tokio::fs::remove_file(&output).await;
    outcome
}
