//! fileconv-server: the CocoConvert API over the fileconv engine.
//!
//! The published flow (get an upload URL, PUT the bytes, create a job, poll
//! it, download the result) with real records (SQLite by default, PostgreSQL
//! by URL), real storage (a local folder or an S3-compatible store), API
//! keys with plans, per-IP rate limits and plan quotas, and the web pages
//! people use it through.
//!
//! The folders say who does what, each using only those listed after it:
//! [`app`] starts a process for its role; [`web`] serves the pages (the
//! converter, formats, plans, docs, accounts); [`http`] answers the API;
//! [`webhooks`] sends signed deliveries of finished jobs; [`queue`] claims
//! jobs with leases and runs them; [`sandbox`] runs each
//! conversion in a confined child process; [`store`] keeps records and
//! bytes; [`config`], [`error`], [`metrics`] and [`ids`] are shared by all.

pub mod app;
pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod queue;
pub mod sandbox;
pub mod store;
pub mod web;
pub mod webhooks;

pub use app::{start, Running};
pub use config::Config;
pub use http::AppState;
