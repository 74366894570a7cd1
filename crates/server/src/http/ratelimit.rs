//! Per-IP request rates: fixed one-minute windows, one counter per client
//! address and route class: in memory on SQLite (one process), in the
//! shared database on PostgreSQL, so that a limit holds across every API
//! process together.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::auth::client_ip;
use crate::config::RateLimits;
use crate::store::records::now_ms;
use crate::error::ApiError;

const ONE_REQUEST: &str = "/api/convert";

/// Which budget a route draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Class {
    /// Get an upload URL, upload, create a job, convert in one request.
    Upload,
    /// Sign in and sign up: guessing passwords is slow.
    SignIn,
    Other,
}

impl Class {
    /// The class of a request; `None` for routes without a limit (`/health`, `/metrics`).
    pub fn of(method: &Method, path: &str) -> Option<Class> {
        if path == "/health" || path == "/metrics" || path.starts_with("/assets/") {
            return None;
        }
        if method == Method::POST && (path == "/signin" || path == "/signup") {
            return Some(Class::SignIn);
        }
        let upload = (method == Method::POST && (path == "/api/files/get-upload-url" || path == "/api/jobs/create" || path == ONE_REQUEST))
            || (method == Method::PUT && path.starts_with("/storage/"));
        Some(if upload { Class::Upload } else { Class::Other })
    }

    /// Requests of its class a request counts as: the one-request
    /// conversion is an upload and a create.
    pub fn cost(method: &Method, path: &str) -> u32 {
        if method == Method::POST && path == ONE_REQUEST { 2 } else { 1 }
    }
}

/// The outcome of one check, for the `X-RateLimit-*` headers.
#[derive(Clone, Copy, Debug)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset: u64,
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    windows: Mutex<HashMap<(IpAddr, Class), (u64, u32)>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter { limits, windows: Mutex::new(HashMap::new()) }
    }

    /// Requests per minute a class allows one client.
    pub fn limit(&self, class: Class) -> u32 {
        match class {
            Class::Upload => self.limits.upload_per_minute,
            Class::SignIn => self.limits.sign_in_per_minute,
            Class::Other => self.limits.other_per_minute,
        }
    }

    /// Counts a request at `now_seconds` and says whether it is within the limit.
    pub fn check(&self, ip: IpAddr, class: Class, now_seconds: u64) -> Decision {
        let limit = self.limit(class);
        let minute = now_seconds / 60;
        let reset = 60 - now_seconds % 60;
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let entry = windows.entry((ip, class)).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        let allowed = entry.1 < limit;
        if allowed {
            entry.1 += 1;
        }
        Decision { allowed, limit, remaining: limit - entry.1, reset }
    }

    /// Forgets windows that have ended.
    pub fn purge(&self, now_seconds: u64) {
        let minute = now_seconds / 60;
        self.windows.lock().unwrap_or_else(|e| e.into_inner()).retain(|_, (m, _)| *m == minute);
    }
}

/// Middleware: 429 with `Retry-After` past the limit; `X-RateLimit-Limit`,
/// `-Remaining` and `-Reset` on every limited response.
pub async fn limit(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(class) = Class::of(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let ip = client_ip(request.headers(), peer, state.config.proxy_hops());
    let now_seconds = (now_ms() / 1000) as u64;
    let mut decision = Decision { allowed: true, limit: state.limiter.limit(class), remaining: 0, reset: 0 };
    for _ in 0..Class::cost(request.method(), request.uri().path()) {
        decision = if state.db.is_sqlite() { state.limiter.check(ip, class, now_seconds) } else { shared_check(&state, ip, class, now_seconds).await };
        if !decision.allowed {
            break;
        }
    }
    let mut response = if decision.allowed {
        next.run(request).await
    } else {
        state.metrics.rate_limited();
        let what = match class {
            Class::Upload => "upload and convert",
            Class::SignIn => "sign-in",
            Class::Other => "these",
        };
        ApiError::too_many("rate_limited", format!("at most {} {what} requests per minute per client", decision.limit), decision.reset)
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(decision.remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(decision.reset));
    response
}

/// [`RateLimiter::check`] on the database's counters, which every API
/// process shares; the process's own counters if the database fails.
async fn shared_check(state: &AppState, ip: IpAddr, class: Class, now_seconds: u64) -> Decision {
    let limit = state.limiter.limit(class);
    let minute = now_seconds / 60;
    let kind = match class {
        Class::Upload => "rate:upload",
        Class::SignIn => "rate:sign_in",
        Class::Other => "rate:other",
    };
    match state.db.consume(&format!("ip:{ip}"), kind, (minute * 60_000) as i64, u64::from(limit)).await {
        Ok((count, allowed)) => Decision { allowed, limit, remaining: limit.saturating_sub(count.clamp(0, i64::from(u32::MAX)) as u32), reset: 60 - now_seconds % 60 },
        Err(e) => {
            tracing::warn!(error = %e, "shared rate counters unavailable; counting in this process");
            state.limiter.check(ip, class, now_seconds)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_class_has_its_own_budget_per_minute() {
        let limiter = RateLimiter::new(RateLimits { upload_per_minute: 2, other_per_minute: 3, ..RateLimits::default() });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let t = 6000;
        assert!(limiter.check(ip, Class::Upload, t).allowed);
        let d = limiter.check(ip, Class::Upload, t + 1);
        assert!(d.allowed && d.remaining == 0);
        let d = limiter.check(ip, Class::Upload, t + 2);
        assert!(!d.allowed && d.reset == 58);
        assert!(limiter.check(ip, Class::Other, t + 2).allowed);
        assert!(limiter.check("10.0.0.2".parse().unwrap(), Class::Upload, t + 2).allowed);
        assert!(limiter.check(ip, Class::Upload, t + 60).allowed);
    }

    #[test]
    fn routes_fall_into_classes() {
        assert_eq!(Class::of(&Method::POST, "/api/jobs/create"), Some(Class::Upload));
        assert_eq!(Class::of(&Method::PUT, "/storage/uploads/x/a.png"), Some(Class::Upload));
        assert_eq!(Class::of(&Method::GET, "/api/jobs/abc"), Some(Class::Other));
        assert_eq!(Class::of(&Method::GET, "/health"), None);
        assert_eq!(Class::of(&Method::GET, "/assets/site.0123abcd.css"), None);
        assert_eq!(Class::of(&Method::POST, "/signin"), Some(Class::SignIn));
        assert_eq!(Class::of(&Method::GET, "/signin"), Some(Class::Other));
    }
}
