//! A process of the service, started for its role: the converter
//! children and workers with the webhook sender, the API or the worker's
//! health routes, the sweeper, the lease reaper and the NOTIFY listener;
//! and its graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::http::{AppState, StartError};
use crate::queue;
use crate::store::records::now_ms;

/// A running service: its address and the handle that waits for its end.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    server: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    sweeper: JoinHandle<()>,
    reaper: JoinHandle<()>,
    notifications: JoinHandle<()>,
    deliveries: Option<JoinHandle<()>>,
    shutdown: Arc<tokio::sync::Notify>,
}

/// Starts the service for its role: the converter children and workers
/// (`all`, `worker`), the API (`all`, `api`; a worker serves `/health` and
/// `/metrics` only), the sweeper and the lease reaper.
///
/// # Errors
/// See [`StartError`].
pub async fn start(config: Config) -> Result<Running, StartError> {
    let listen = config.listen.clone();
    let state = AppState::open(config).await?;
    let role = state.config.role;
    if role.converts() {
        state.sandbox.fill().await.map_err(StartError::Converter)?;
    }
    let listener = TcpListener::bind(&listen).await.map_err(|e| StartError::Listen(listen.clone(), e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen(listen, e))?;
    let workers = if role.converts() { (0..state.config.worker_count()).map(|_| tokio::spawn(queue::worker(state.queue.clone()))).collect() } else { Vec::new() };
    let sweeper = tokio::spawn(sweep_forever(state.clone()));
    let reaper = tokio::spawn(queue::reap_forever(state.queue.clone()));
    let notifications = tokio::spawn(queue::listen_forever(state.queue.clone()));
    let deliveries = role.converts().then(|| tokio::spawn(send_webhooks(state.clone())));
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let router: Router = if role.serves_api() { crate::web::site(state.clone()) } else { crate::http::worker_router(state.clone()) };
    let signal = shutdown.clone();
    let drain = Duration::from_secs(state.config.shutdown_grace_seconds.max(1));
    let server = tokio::spawn(crate::http::serve::serve(listener, router, state.clone(), async move { signal.notified().await }, drain));
    tracing::info!(%addr, ?role, workers = workers.len(), data_dir = %state.config.data_dir.display(), "listening");
    Ok(Running { addr, state, server, workers, sweeper, reaper, notifications, deliveries, shutdown })
}

/// Sends this service's webhook deliveries until the process ends, each
/// job's `data` the object `GET /api/jobs/{id}` returns.
pub async fn send_webhooks(state: Arc<AppState>) {
    let payload_state = state.clone();
    crate::webhooks::deliver_forever(state.queue.clone(), move |job| {
        let state = payload_state.clone();
        async move {
            let view = crate::http::routes::job_response(&state, &axum::http::HeaderMap::new(), job).await.ok()?;
            serde_json::to_value(view).ok()
        }
    })
    .await;
}

impl Running {
    /// Stops accepting connections, lets running jobs finish within the
    /// grace period (the rest go back in the queue), and closes the records.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        self.shutdown.notify_one();
        let grace = Duration::from_secs(self.state.config.shutdown_grace_seconds);
        queue::drain(&self.state, grace).await;
        for worker in self.workers {
            let _ = worker.await;
        }
        self.sweeper.abort();
        self.reaper.abort();
        self.notifications.abort();
        if let Some(deliveries) = self.deliveries {
            deliveries.abort();
        }
        self.state.sandbox.clear().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.server).await;
        self.state.db.close().await;
        tracing::info!("stopped");
    }
}

/// Deletes expired uploads, results and records, and ended rate windows.
pub async fn sweep(state: &AppState) -> Result<(u64, u64), crate::error::ApiError> {
    let now = now_ms();
    let mut removed = (0, 0);
    loop {
        let files = state.db.expired_files(now, 500).await?;
        for (id, key) in &files {
            state.storage.delete(key).await?;
            state.db.delete_file(id).await?;
        }
        removed.0 += files.len() as u64;
        let jobs = state.db.expired_jobs(now, 500).await?;
        for (id, key) in &jobs {
            if let Some(key) = key {
                state.storage.delete(key).await?;
            }
            state.db.delete_job(id).await?;
        }
        removed.1 += jobs.len() as u64;
        if files.len() < 500 && jobs.len() < 500 {
            break;
        }
    }
    // A temporary file older than the longest job, plus an hour, has no job left.
    let longest = state.config.plans.values().map(|p| p.max_job_seconds).max().unwrap_or(3600);
    let leftovers = state.storage.sweep_leftovers(&state.config.data_dir, Duration::from_secs(longest + 3600)) + state.sandbox.sweep_orphans();
    if leftovers > 0 {
        tracing::info!(leftovers, "temporary files of interrupted work deleted");
    }
    // Counters outlive their window by a month at most (the longest window).
    state.db.purge_usage(now - 40 * 24 * 3600 * 1000).await?;
    state.db.purge_rate_windows(now - 120_000).await?;
    state.db.purge_sessions(now).await?;
    // Webhook rows of jobs that are gone, a week after their deliveries began.
    state.db.purge_webhook_rows(now - 7 * 24 * 3600 * 1000).await?;
    state.limiter.purge((now / 1000) as u64);
    Ok(removed)
}

async fn sweep_forever(state: Arc<AppState>) {
    let every = Duration::from_secs(state.config.sweep_interval_seconds.max(1));
    loop {
        match sweep(&state).await {
            Ok((0, 0)) => {}
            Ok((files, jobs)) => tracing::info!(files, jobs, "expired files and jobs deleted"),
            Err(e) => tracing::error!(error = %e, "sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}
