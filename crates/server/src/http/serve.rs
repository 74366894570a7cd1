//! The accept loop: HTTP/1.1 connections with bounds, so that slow, idle or
//! numerous connections cannot hold the service's sockets.
//!
//! - at most `max_connections` open at once, and `max_connections_per_ip`
//!   from one address; a connection past either is closed at once;
//! - the request line and headers must arrive within
//!   `header_read_timeout_seconds` (hyper's timer, which also closes a
//!   keep-alive connection that stays idle that long) and fit in
//!   `max_header_bytes`;
//! - a connection on which no byte moves either way for
//!   `idle_timeout_seconds` is closed, whatever it is doing;
//! - on shutdown, no new connection is taken and open ones finish their
//!   request (hyper's graceful shutdown).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::http::AppState;
use crate::config::HttpLimits;

/// Serves `router` on `listener` until `shutdown` resolves, then waits up to
/// `drain` for open requests to finish.
///
/// # Errors
/// None in practice: accept errors (out of descriptors) are logged and
/// retried after a pause.
pub async fn serve(listener: TcpListener, router: Router, state: Arc<AppState>, shutdown: impl Future<Output = ()>, drain: Duration) -> io::Result<()> {
    let limits = effective_limits(&state.config.http);
    let metrics = &state.metrics;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_read_timeout_seconds))
        .max_buf_size(limits.max_header_bytes as usize)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let total = Arc::new(Semaphore::new(limits.max_connections as usize));
    let per_ip = Arc::new(PerIp { open: Mutex::new(HashMap::new()), limit: limits.max_connections_per_ip });
    let idle = Duration::from_secs(limits.idle_timeout_seconds);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: wait for connections to close.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = total.clone().try_acquire_owned() else {
            metrics.connection_refused("total");
            continue;
        };
        let Some(address_slot) = PerIp::acquire(&per_ip, peer.ip()) else {
            metrics.connection_refused("per_ip");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let _slots = (permit, address_slot);
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, %peer, "connection ended with an error");
                    }
                }
                () = activity.stalled(idle) => tracing::debug!(%peer, "idle connection closed"),
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(drain, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace; closing them");
    }
    Ok(())
}

/// Open connections per client address.
struct PerIp {
    open: Mutex<HashMap<IpAddr, u32>>,
    limit: u32,
}

/// One connection's place in [`PerIp`], given back when dropped.
struct AddressSlot {
    owner: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn acquire(this: &Arc<PerIp>, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = this.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if this.limit > 0 && *count >= this.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot { owner: this.clone(), ip })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// When a connection last moved a byte, in milliseconds since it opened.
struct Activity {
    opened: Instant,
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Activity { opened: Instant::now(), last: AtomicU64::new(0) }
    }

    fn touch(&self) {
        self.last.store(self.opened.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `idle`.
    async fn stalled(&self, idle: Duration) {
        loop {
            let since = self.opened.elapsed().saturating_sub(Duration::from_millis(self.last.load(Ordering::Relaxed)));
            if since >= idle {
                return;
            }
            tokio::time::sleep(idle - since).await;
        }
    }
}

/// A socket that records its activity.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(mut self: Pin<&mut Self>, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The configured limits, with the connection cap lowered to what the
/// process's descriptor limit allows (256 kept for files and the database).
fn effective_limits(configured: &HttpLimits) -> HttpLimits {
    let descriptors = raise_descriptor_limit();
    let mut limits = configured.clone();
    let room = descriptors.saturating_sub(256).max(64);
    if u64::from(limits.max_connections) > room {
        tracing::warn!(configured = limits.max_connections, descriptors, "http.max_connections lowered to what the descriptor limit allows");
        limits.max_connections = room.min(u64::from(u32::MAX)) as u32;
    }
    limits
}

/// Raises the soft limit on open descriptors to the hard limit, so the
/// connection caps, not the descriptor table, are what bounds connections.
/// Returns the soft limit in force afterwards.
pub fn raise_descriptor_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct given.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
        limit.rlim_cur
    }
}
