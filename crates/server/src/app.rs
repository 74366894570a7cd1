//! The service assembled: state shared by routes and workers, start-up
//! (records, storage, converter children) for the process's role, the
//! sweeper and the lease reaper, and a graceful shutdown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use fileconv::Engine;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{Config, Plan, FREE_PLAN};
use crate::db::{now_ms, Db};
use crate::jobs::{self, JobBoard};
use crate::metrics::Metrics;
use crate::ratelimit::RateLimiter;
use crate::signing::UrlSigner;
use crate::storage::Storage;

/// A start-up failure.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    #[error("signing_secret must be hex")]
    Secret,
    #[error("converter children: {0}")]
    Converter(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(String, std::io::Error),
}

/// What every route and worker reads.
pub struct AppState {
    pub config: Config,
    pub db: Db,
    pub storage: Storage,
    pub signer: UrlSigner,
    pub limiter: RateLimiter,
    pub jobs: JobBoard,
    pub metrics: Metrics,
    /// The converter children every conversion runs in.
    pub sandbox: crate::sandbox::Pool,
    /// One engine per plan, carrying that plan's limits.
    engines: BTreeMap<String, Arc<Engine>>,
}

impl AppState {
    /// Opens the records and the store, and prepares an engine per plan.
    ///
    /// # Errors
    /// See [`StartError`].
    pub async fn open(config: Config) -> Result<Arc<AppState>, StartError> {
        let dir = &config.data_dir;
        std::fs::create_dir_all(dir).map_err(|e| StartError::DataDir(dir.display().to_string(), e))?;
        let db = Db::connect(&config.database_url()).await?;
        let storage = Storage::open(&config.storage, dir)?;
        let signer = UrlSigner::new(signing_secret(&config, dir)?);
        let share = config.memory_share();
        let engines = config.plans.iter().map(|(name, plan)| (name.clone(), Arc::new(fileconv::engine().clone().with_limits(plan.limits(share))))).collect();
        let program = crate::sandbox::program(config.converter_program.as_deref());
        let sandbox = crate::sandbox::Pool::new(program, storage.temp_dir().to_path_buf(), if config.role.converts() { config.worker_count() } else { 0 });
        Ok(Arc::new(AppState {
            sandbox,
            limiter: RateLimiter::new(config.rate_limits.clone()),
            jobs: JobBoard::default(),
            metrics: Metrics::default(),
            config,
            db,
            storage,
            signer,
            engines,
        }))
    }

    /// A plan by name; an unknown name (a key whose plan was removed from the
    /// configuration) gets the free plan.
    pub fn plan(&self, name: &str) -> &Plan {
        self.config.plans.get(name).unwrap_or_else(|| &self.config.plans[FREE_PLAN])
    }

    pub fn engine(&self, plan: &str) -> Arc<Engine> {
        self.engines.get(plan).unwrap_or_else(|| &self.engines[FREE_PLAN]).clone()
    }
}

/// The signing key: from the configuration, or made once and kept in the data dir.
fn signing_secret(config: &Config, dir: &Path) -> Result<Vec<u8>, StartError> {
    if let Some(hex_key) = &config.signing_secret {
        return hex::decode(hex_key.trim()).map_err(|_| StartError::Secret);
    }
    let path = dir.join("signing.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Ok(key) = hex::decode(text.trim()) {
            if key.len() >= 32 {
                return Ok(key);
            }
        }
    }
    let key = crate::auth::random_hex(32);
    let io = |e| StartError::DataDir(path.display().to_string(), e);
    write_private(&path, &key).map_err(io)?;
    Ok(hex::decode(key).expect("random_hex is hex"))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// A running service: its address and the handle that waits for its end.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    server: JoinHandle<std::io::Result<()>>,
    workers: Vec<JoinHandle<()>>,
    sweeper: JoinHandle<()>,
    reaper: JoinHandle<()>,
    notifications: JoinHandle<()>,
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
    let workers = if role.converts() { (0..state.config.worker_count()).map(|_| tokio::spawn(jobs::worker(state.clone()))).collect() } else { Vec::new() };
    let sweeper = tokio::spawn(sweep_forever(state.clone()));
    let reaper = tokio::spawn(jobs::reap_forever(state.clone()));
    let notifications = tokio::spawn(jobs::listen_forever(state.clone()));
    let shutdown = Arc::new(tokio::sync::Notify::new());
    let router: Router = if role.serves_api() { crate::api::router(state.clone()) } else { crate::api::worker_router(state.clone()) };
    let signal = shutdown.clone();
    let drain = Duration::from_secs(state.config.shutdown_grace_seconds.max(1));
    let server = tokio::spawn(crate::serve::serve(listener, router, state.clone(), async move { signal.notified().await }, drain));
    tracing::info!(%addr, ?role, workers = workers.len(), data_dir = %state.config.data_dir.display(), "listening");
    Ok(Running { addr, state, server, workers, sweeper, reaper, notifications, shutdown })
}

impl Running {
    /// Stops accepting connections, lets running jobs finish within the
    /// grace period (the rest go back in the queue), and closes the records.
    pub async fn shutdown(self) {
        tracing::info!("shutting down");
        self.shutdown.notify_one();
        let grace = Duration::from_secs(self.state.config.shutdown_grace_seconds);
        jobs::drain(&self.state, grace).await;
        for worker in self.workers {
            let _ = worker.await;
        }
        self.sweeper.abort();
        self.reaper.abort();
        self.notifications.abort();
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
    let leftovers = state.storage.sweep_leftovers(&state.config.data_dir, Duration::from_secs(longest + 3600));
    if leftovers > 0 {
        tracing::info!(leftovers, "temporary files of interrupted work deleted");
    }
    // Counters outlive their window by a month at most (the longest window).
    state.db.purge_usage(now - 40 * 24 * 3600 * 1000).await?;
    state.db.purge_rate_windows(now - 120_000).await?;
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
