//! Leases: a worker renews the lease of the job it runs, with its
//! progress; every process returns jobs whose lease ran out; on PostgreSQL
//! NOTIFY carries queued and finished jobs between processes.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::board::{RunningJob, STOP_DELETED};
use super::{Queue, FINISHED, MAX_ATTEMPTS, QUEUED};
use crate::store::records::{now_ms, JobRecord};

/// How long a claim holds without renewal.
pub const LEASE: Duration = Duration::from_secs(15);
/// How often a worker renews the lease of the job it runs.
const RENEW_EVERY: Duration = Duration::from_secs(3);
/// How often each process looks for jobs whose lease ran out.
pub const REAP_EVERY: Duration = Duration::from_secs(5);

/// Renews the job's lease and records its progress every [`RENEW_EVERY`];
/// when the job is no longer this worker's (deleted, or reaped), stops its
/// conversion. Never returns.
pub(super) async fn keep_lease(state: &Queue, job: &JobRecord, running: &RunningJob) {
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

/// Returns jobs whose lease ran out to the queue, every [`REAP_EVERY`],
/// whichever process runs it: several reapers only repeat one UPDATE.
pub async fn reap_forever(state: Arc<Queue>) {
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

/// On PostgreSQL, turns other processes' NOTIFYs into this process's
/// wake-ups: a queued job wakes a worker, a finished one the requests
/// waiting on it. The pollers behind them (a worker's 500 ms, a waiting
/// request's 250 ms) cover a notification lost with a connection.
pub async fn listen_forever(state: Arc<Queue>) {
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

