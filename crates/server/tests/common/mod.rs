//! Shared by the service's tests: fixtures, a router over a fresh data dir,
//! and requests with a chosen client address.
#![allow(dead_code)]

pub mod client;
pub mod postgres;
pub mod receiver;
pub mod s3;
pub mod server;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, Response};
use axum::Router;
use fileconv_server::{AppState, Config};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata").join(path)
}

pub fn rose_png() -> Vec<u8> {
    std::fs::read(testdata("image/rose.png")).unwrap()
}

/// A test service: its state, its router, and its data dir (deleted on drop).
pub struct TestApp {
    pub state: Arc<AppState>,
    pub router: Router,
    pub dir: tempfile::TempDir,
}

/// A router over a fresh data dir, configured by `toml` on top of defaults;
/// the client address comes from `X-Forwarded-For` (default 10.0.0.1).
pub async fn app(toml: &str) -> TestApp {
    app_with_database(toml, None).await
}

/// As [`app`], its records in a new database of this test binary's one
/// PostgreSQL server (started on first use, stopped at exit).
pub async fn app_on_postgres(toml: &str) -> TestApp {
    static SERVER: std::sync::OnceLock<postgres::Postgres> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let server = SERVER.get_or_init(|| {
        extern "C" fn stop_at_exit() {
            if let Some(server) = SERVER.get() {
                server.stop();
                let _ = std::fs::remove_dir_all(server.dir());
            }
        }
        // SAFETY: registers a plain function, run once at process exit.
        unsafe { libc::atexit(stop_at_exit) };
        postgres::Postgres::start()
    });
    let name = format!("test{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    app_with_database(toml, Some(&server.database(&name))).await
}

/// As [`app`], with records at `database_url` (SQLite under the data dir when `None`).
pub async fn app_with_database(toml: &str, database_url: Option<&str>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_toml(&format!("trust_forwarded_for = true\npublic_url = \"http://files.test\"\n{toml}")).unwrap();
    config.data_dir = dir.path().to_path_buf();
    config.database_url = database_url.map(str::to_string);
    config.converter_program = Some(PathBuf::from(env!("CARGO_BIN_EXE_fileconv-server")));
    let state = AppState::open(config).await.unwrap();
    let router = fileconv_server::web::site(state.clone()).layer(MockConnectInfo(SocketAddr::from(([10, 0, 0, 1], 4000))));
    TestApp { state, router, dir }
}

impl TestApp {
    /// Starts `n` conversion workers.
    pub fn workers(&self, n: usize) {
        for _ in 0..n {
            tokio::spawn(fileconv_server::queue::worker(self.state.queue.clone()));
        }
    }

    /// Starts the webhook sender, as a converting process does.
    pub fn deliveries(&self) {
        tokio::spawn(fileconv_server::app::send_webhooks(self.state.clone()));
    }

    pub async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// A JSON request from `ip` with an optional bearer key; (status, headers, JSON or Null).
    pub async fn json(&self, method: &str, uri: &str, ip: &str, key: Option<&str>, body: Option<Value>) -> (u16, axum::http::HeaderMap, Value) {
        let mut builder = Request::builder().method(method).uri(uri).header("x-forwarded-for", ip);
        if let Some(key) = key {
            builder = builder.header("authorization", format!("Bearer {key}"));
        }
        let body = match body {
            Some(v) => {
                builder = builder.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        let response = self.send(builder.body(body).unwrap()).await;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into())) };
        (status, headers, value)
    }

    /// PUTs bytes to an upload URL; (status, JSON or Null).
    pub async fn put(&self, url: &str, ip: &str, bytes: Vec<u8>) -> (u16, Value) {
        let request = Request::builder().method("PUT").uri(path_of(url)).header("x-forwarded-for", ip).header("content-type", "image/png").body(Body::from(bytes)).unwrap();
        let response = self.send(request).await;
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() })
    }

    /// GETs a URL's bytes; (status, bytes, content type).
    pub async fn get_bytes(&self, url: &str, ip: &str) -> (u16, Vec<u8>, String) {
        let request = Request::builder().uri(path_of(url)).header("x-forwarded-for", ip).body(Body::empty()).unwrap();
        let response = self.send(request).await;
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (status, response.into_body().collect().await.unwrap().to_bytes().to_vec(), content_type)
    }

    /// Steps 1 and 2: an upload URL for `name`, then the bytes; returns the fileKey.
    pub async fn upload(&self, ip: &str, key: Option<&str>, name: &str, bytes: Vec<u8>) -> String {
        let (status, _, body) = self
            .json("POST", "/api/files/get-upload-url", ip, key, Some(serde_json::json!({"fileName": name, "fileSize": 204800, "contentType": "image/png"})))
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, put) = self.put(body["uploadUrl"].as_str().unwrap(), ip, bytes).await;
        assert_eq!(status, 200, "{put}");
        body["fileKey"].as_str().unwrap().to_string()
    }
}

/// The path and query of an absolute URL handed out by the service.
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".to_string())
}

/// Width and height of an image, decoded by the engine.
pub fn image_size(bytes: &[u8], format: &str) -> (u32, u32) {
    match fileconv::engine().decode(fileconv::Source::Bytes(bytes), format, &fileconv::Options::new()).unwrap() {
        fileconv::Value::Raster(r) => (r.width(), r.height()),
        _ => panic!("not an image"),
    }
}
