//! Counters for `GET /metrics`, in Prometheus' text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use axum::http::{Method, StatusCode};




/// Upper bounds of the job-duration histogram, in seconds.
const BUCKETS: [f64; 10] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0, 600.0];

#[derive(Debug, Default)]
pub struct Metrics {
    /// (method, route, status) -> count. Every label comes from a closed
    /// set (see [`method_label`], [`status_label`]; routes are the router's
    /// patterns), so no client can grow this map.
    requests: Mutex<BTreeMap<(&'static str, String, &'static str), u64>>,
    /// Connections closed at once because of a cap: "total" or "per_ip".
    refused_connections: Mutex<BTreeMap<&'static str, u64>>,
    /// (source, target, status) -> count.
    jobs: Mutex<BTreeMap<(String, String, &'static str), u64>>,
    job_buckets: [AtomicU64; BUCKETS.len()],
    job_count: AtomicU64,
    job_seconds_micros: AtomicU64,
    cpu_micros: AtomicU64,
    uploaded_bytes: AtomicU64,
    rate_limited: AtomicU64,
}

impl Metrics {
    pub fn request(&self, method: &'static str, route: &str, status: &'static str) {
        *self.requests.lock().unwrap_or_else(|e| e.into_inner()).entry((method, route.to_string(), status)).or_default() += 1;
    }

    pub fn connection_refused(&self, why: &'static str) {
        *self.refused_connections.lock().unwrap_or_else(|e| e.into_inner()).entry(why).or_default() += 1;
    }

    /// A finished job: its formats, `completed` or `failed`, wall and CPU seconds.
    pub fn job(&self, source: &str, target: &str, status: &'static str, seconds: f64, cpu_seconds: f64) {
        *self.jobs.lock().unwrap_or_else(|e| e.into_inner()).entry((source.to_string(), target.to_string(), status)).or_default() += 1;
        for (bucket, bound) in self.job_buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.job_count.fetch_add(1, Ordering::Relaxed);
        self.job_seconds_micros.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        self.cpu_micros.fetch_add((cpu_seconds * 1e6) as u64, Ordering::Relaxed);
    }

    pub fn uploaded(&self, bytes: u64) {
        self.uploaded_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, with the queue's current depth and the worker count.
    pub fn render(&self, pending: i64, processing: i64, workers: usize) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP fileconv_http_requests_total HTTP requests by method, route and status.");
        let _ = writeln!(out, "# TYPE fileconv_http_requests_total counter");
        for ((method, route, status), n) in self.requests.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "fileconv_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP fileconv_connections_refused_total Connections closed at once by a connection cap.");
        let _ = writeln!(out, "# TYPE fileconv_connections_refused_total counter");
        for (why, n) in self.refused_connections.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "fileconv_connections_refused_total{{cap=\"{why}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP fileconv_jobs_total Finished jobs by source, target and outcome.");
        let _ = writeln!(out, "# TYPE fileconv_jobs_total counter");
        for ((source, target, status), n) in self.jobs.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = writeln!(out, "fileconv_jobs_total{{source=\"{source}\",target=\"{target}\",status=\"{status}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP fileconv_job_duration_seconds Wall time of finished jobs.");
        let _ = writeln!(out, "# TYPE fileconv_job_duration_seconds histogram");
        for (bucket, bound) in self.job_buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "fileconv_job_duration_seconds_bucket{{le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.job_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "fileconv_job_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "fileconv_job_duration_seconds_sum {}", self.job_seconds_micros.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "fileconv_job_duration_seconds_count {count}");
        let gauges = [
            ("fileconv_job_cpu_seconds_total", "counter", "CPU time used by conversions.", self.cpu_micros.load(Ordering::Relaxed) as f64 / 1e6),
            ("fileconv_uploaded_bytes_total", "counter", "Bytes received by the upload route.", self.uploaded_bytes.load(Ordering::Relaxed) as f64),
            ("fileconv_rate_limited_total", "counter", "Requests refused by the per-IP rate limit.", self.rate_limited.load(Ordering::Relaxed) as f64),
            ("fileconv_jobs_pending", "gauge", "Jobs waiting for a worker.", pending as f64),
            ("fileconv_jobs_processing", "gauge", "Jobs being converted.", processing as f64),
            ("fileconv_workers", "gauge", "Conversion workers.", workers as f64),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

/// The label of a request method: the standard ones, or `other`.
pub fn method_label(method: &Method) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|m| *m == method.as_str()).unwrap_or("other")
}

/// The label of a status: the codes this service answers with, or the class (`5xx`).
pub fn status_label(status: StatusCode) -> &'static str {
    const KNOWN: [&str; 20] =
        ["200", "204", "206", "304", "400", "401", "403", "404", "405", "408", "409", "413", "414", "415", "422", "429", "431", "500", "503", "504"];
    let code = status.as_str();
    KNOWN.into_iter().find(|k| *k == code).unwrap_or(match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_closed_sets() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::from_bytes(&[b'X'; 1000]).unwrap()), "other");
        assert_eq!(status_label(StatusCode::NOT_FOUND), "404");
        assert_eq!(status_label(StatusCode::from_u16(599).unwrap()), "5xx");
        assert_eq!(status_label(StatusCode::IM_A_TEAPOT), "4xx");
    }
}
