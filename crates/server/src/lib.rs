//! fileconv-server: the CocoConvert API over the fileconv engine.
//!
//! The published flow (get an upload URL, PUT the bytes, create a job, poll
//! it, download the result) with real records (SQLite by default, PostgreSQL
//! by URL), real storage (a local folder or an S3-compatible store), API
//! keys with plans, per-IP rate limits and plan quotas. Conversions run in
//! confined child processes ([`sandbox`]), claimed from the database with
//! leases by workers in any number of processes ([`jobs`]).
//!
//! [`app::start`] runs the whole service; [`api::router`] is the router
//! alone, for tests and embedding.

pub mod api;
pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod quota;
pub mod ratelimit;
pub mod sandbox;
pub mod serve;
pub mod signing;
pub mod storage;

pub use app::{start, AppState, Running};
pub use config::Config;
