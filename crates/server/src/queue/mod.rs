//! The job queue: jobs claimed from the records with leases by workers in
//! any number of processes ([`worker`]), the leases and the reaper
//! ([`leases`]), and what one process's workers and API share ([`board`]).

pub mod board;
pub mod leases;
pub mod worker;

use std::sync::Arc;

use crate::config::{Config, Plan, FREE_PLAN};
use crate::metrics::Metrics;
use crate::sandbox::Pool;
use crate::store::objects::Storage;
use crate::store::records::Db;

pub use board::JobBoard;
pub use leases::{listen_forever, reap_forever};
pub use worker::{drain, worker};

/// How many times a job is started before its converter dying (or its
/// worker's lease running out) makes it fail.
pub const MAX_ATTEMPTS: i64 = 2;
/// NOTIFY channel: a job was created or put back in the queue.
pub const QUEUED: &str = "fileconv_queued";
/// NOTIFY channel: a job finished; the payload is its id.
pub const FINISHED: &str = "fileconv_finished";


/// What the workers need: the configuration, the records and the store,
/// the converter children, the metrics, and this process's job board.
pub struct Queue {
    pub config: Config,
    pub db: Db,
    pub storage: Storage,
    pub metrics: Arc<Metrics>,
    /// The converter children every conversion runs in.
    pub sandbox: Pool,
    pub jobs: JobBoard,
}

impl Queue {
    /// A plan by name; an unknown name (a key whose plan was removed from the
    /// configuration) gets the free plan.
    pub fn plan(&self, name: &str) -> &Plan {
        self.config.plans.get(name).unwrap_or_else(|| &self.config.plans[FREE_PLAN])
    }
}
