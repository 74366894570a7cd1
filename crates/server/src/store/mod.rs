//! What the service keeps: records (files, jobs and their queue, keys,
//! usage counters, accounts and sessions, webhook endpoints and deliveries) in SQLite or PostgreSQL, and bytes (uploads, results)
//! in a local folder or an S3-compatible store.

pub mod accounts;
pub mod objects;
pub mod records;
pub mod webhooks;
