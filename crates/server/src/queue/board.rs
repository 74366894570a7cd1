//! What the workers and the API of one process share about jobs: the jobs
//! running here (their progress and how to stop them), the wake-up for
//! idle workers, and the broadcast of finished job ids.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, Notify};

use crate::sandbox;

/// Why a running job was stopped.
pub(super) const STOP_DELETED: u8 = 1;
pub(super) const STOP_SHUTDOWN: u8 = 2;

/// A job on a worker right now.
#[derive(Debug, Default)]
pub struct RunningJob {
    pub(super) halt: sandbox::Stop,
    /// 0 to 100.
    pub(super) progress: AtomicU32,
    /// 0 while running; then why it was stopped.
    pub(super) stop: AtomicU8,
}

/// What the workers and the API share about jobs in this process.
#[derive(Debug)]
pub struct JobBoard {
    pub(super) wake: Notify,
    /// The id of every job that finished, for requests waiting on one.
    pub(super) finished: broadcast::Sender<String>,
    pub(super) running: Mutex<HashMap<String, Arc<RunningJob>>>,
    pub(super) stopping: AtomicBool,
    /// This process's name in the jobs it claims.
    pub(super) worker_id: String,
}

impl Default for JobBoard {
    fn default() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let worker_id = format!("{}-{}-{}", host.trim(), std::process::id(), crate::ids::random_hex(4));
        JobBoard { wake: Notify::new(), finished: broadcast::channel(1024).0, running: Mutex::default(), stopping: AtomicBool::new(false), worker_id }
    }
}

impl JobBoard {
    /// Tells a worker that a job is waiting.
    pub fn wake_one(&self) {
        self.wake.notify_one();
    }

    pub fn worker_id(&self) -> &str {
        &self.worker_id
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

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<RunningJob>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }
}

impl RunningJob {
    pub(super) fn stop(&self, reason: u8) {
        self.stop.store(reason, Ordering::Relaxed);
        self.halt.cancel.store(true, Ordering::Relaxed);
    }
}

