//! The HTTP side: the routes and their OpenAPI document ([`routes`]), the
//! one-request conversion ([`convert`]), who
//! is asking ([`auth`], and [`session`] for signed-in pages), plan quotas ([`quota`]), per-IP rates
//! ([`ratelimit`]), signed local URLs ([`signing`]), webhook endpoints
//! ([`webhooks`]), the accept loop
//! ([`serve`]), and the state every route reads.

pub mod auth;
pub mod convert;
pub mod quota;
pub mod ratelimit;
pub mod routes;
pub mod serve;
pub mod session;
pub mod signing;
pub mod webhooks;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use fileconv::Engine;

use crate::config::{Config, FREE_PLAN};
use crate::metrics::{method_label, status_label, Metrics};
use crate::queue::{JobBoard, Queue};
use crate::store::objects::Storage;
use crate::store::records::Db;
use ratelimit::RateLimiter;
use signing::UrlSigner;

pub use routes::{router, worker_router};

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

/// What every route reads: the queue's state (records, store, workers'
/// board; reached through `Deref`), the URL signer, the rate limiter, and
/// an engine per plan for checking requests.
pub struct AppState {
    pub queue: Arc<Queue>,
    pub signer: UrlSigner,
    pub limiter: RateLimiter,
    /// One engine per plan, carrying that plan's limits.
    engines: BTreeMap<String, Arc<Engine>>,
}

impl std::ops::Deref for AppState {
    type Target = Queue;

    fn deref(&self) -> &Queue {
        &self.queue
    }
}

impl AppState {
    /// Opens the records and the store, prepares the converter children (not
    /// started yet) and an engine per plan.
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
        let sandbox = crate::sandbox::Pool::new(program, storage.temp_dir(), if config.role.converts() { config.worker_count() } else { 0 });
        let limiter = RateLimiter::new(config.rate_limits.clone());
        let queue = Arc::new(Queue { sandbox, jobs: JobBoard::default(), metrics: Arc::new(Metrics::default()), config, db, storage });
        Ok(Arc::new(AppState { queue, signer, limiter, engines }))
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
    let key = crate::ids::random_hex(32);
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


/// Middleware: counts each request under its route pattern (never its
/// concrete path, which holds ids and signatures) and logs it.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request.extensions().get::<MatchedPath>().map(|p| p.as_str().to_string()).unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let status = status_label(response.status());
    metrics.request(method, &route, status);
    tracing::info!(target: "fileconv_server::http", method, %route, status, micros = started.elapsed().as_micros() as u64, "request");
    response
}
