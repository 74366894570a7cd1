//! What the service and a converter child say to each other: one JSON
//! object per line, requests on the child's stdin, replies on its stdout.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::Plan;

/// One conversion for a child to run.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    pub job: String,
    pub input: PathBuf,
    pub output: PathBuf,
    pub from: String,
    pub to: String,
    /// The job's options object, as JSON text.
    pub options: String,
    pub plan: Plan,
    /// [`crate::config::Config::memory_share`] of the service.
    pub memory_share: u64,
}

/// A line a child writes while it converts, then once at the end.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// 0 to 100.
    Progress(u32),
    Converted { notes: Vec<String>, cpu_seconds: f64 },
    /// The engine refused or failed: `code` is the job's `errorCode`.
    Failed { message: String, code: String, cpu_seconds: f64 },
}
