//! The load run: 200 concurrent small PNG to JPEG jobs from a loopback
//! client against the real server, which is killed (SIGKILL) in the middle
//! of the run and started again on the same data dir. No job may be lost;
//! p50 and p99 end-to-end latencies are printed (`--nocapture`).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{write_config, Server};
use common::{image_size, rose_png};
use serde_json::{json, Value};

const JOBS: usize = 200;

/// Retries a request while the server is down (connection refused or reset).
async fn retry<F, Fut>(mut call: F) -> reqwest::Response
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let started = Instant::now();
    loop {
        match call().await {
            Ok(response) => return response,
            Err(e) if started.elapsed() < Duration::from_secs(120) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("server unreachable for 120 s: {e}"),
        }
    }
}

/// One client's whole Quick Start; returns the JPEG and the latency. Every
/// step is retried across the restart; a job, once created, must survive it.
async fn one_job(http: reqwest::Client, base: String, png: Arc<Vec<u8>>, created: Arc<AtomicUsize>) -> (Vec<u8>, Duration) {
    let started = Instant::now();
    let file_key = loop {
        let response = retry(|| http.post(format!("{base}/api/files/get-upload-url")).json(&json!({"fileName": "photo.png", "fileSize": 204800, "contentType": "image/png"})).send()).await;
        let body: Value = response.json().await.unwrap();
        let url = body["uploadUrl"].as_str().unwrap().to_string();
        let put = retry(|| http.put(&url).header("content-type", "image/png").body(png.as_ref().clone()).send()).await;
        if put.status() == 200 {
            break body["fileKey"].as_str().unwrap().to_string();
        }
        // An upload cut by the kill leaves nothing; reserve a new file and try again.
        assert!(put.status() == 409 || put.status().is_server_error(), "upload: {}", put.status());
    };
    let response = retry(|| http.post(format!("{base}/api/jobs/create")).json(&json!({"fileKey": file_key, "sourceFormat": "png", "targetFormat": "jpg", "fileSize": 204800})).send()).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "create: {body}");
    created.fetch_add(1, Ordering::SeqCst);
    let job_id = body["jobId"].as_str().unwrap().to_string();
    let download_url = loop {
        let response = retry(|| http.get(format!("{base}/api/jobs/{job_id}")).send()).await;
        assert_eq!(response.status(), 200, "job {job_id} lost");
        let body: Value = response.json().await.unwrap();
        match body["status"].as_str().unwrap() {
            "completed" => break body["downloadUrl"].as_str().unwrap().to_string(),
            "failed" => panic!("job {job_id} failed: {body}"),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    };
    let response = retry(|| http.get(&download_url).send()).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap().to_vec();
    (bytes, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_jobs_survive_a_restart() {
    load_run_on("", "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_jobs_survive_a_restart_on_postgresql() {
    let postgres = common::postgres::Postgres::start();
    load_run_on(&format!("database_url = \"{}\"\n", postgres.database("load")), "PostgreSQL").await;
}

/// The load run against a server whose configuration starts with `toml`.
async fn load_run_on(toml: &str, label: &str) {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    // One client address sends everything: the per-IP limits are raised for the run.
    // One loopback client plays 200: no per-client queue or worker caps.
    let config = write_config(work.path(), &format!("{toml}max_pending_jobs_per_client = 0\nmax_running_jobs_per_client = 1000\n[rate_limits]\nupload_per_minute = 100000\nother_per_minute = 100000\n[plans.free]\nfiles_per_hour = 0\nconversions_per_day = 0\n"));
    let server = Server::start(&data, &config, "127.0.0.1:0");
    let port = server.port();
    let base = server.base_url.clone();
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).timeout(Duration::from_secs(60)).build().unwrap();
    let png = Arc::new(rose_png());
    let created = Arc::new(AtomicUsize::new(0));
    let run_started = Instant::now();
    let tasks: Vec<_> = (0..JOBS).map(|_| tokio::spawn(one_job(http.clone(), base.clone(), png.clone(), created.clone()))).collect();

    // Kill the server once a quarter of the jobs exist, then start it again on the same port.
    while created.load(Ordering::SeqCst) < JOBS / 4 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = created.load(Ordering::SeqCst);
    server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restarted = Server::start(&data, &config, &format!("127.0.0.1:{port}"));

    let mut latencies = Vec::new();
    for task in tasks {
        let (jpg, latency) = task.await.expect("a client task");
        assert_eq!(image_size(&jpg, "jpg"), image_size(&png, "png"));
        latencies.push(latency);
    }
    let total = run_started.elapsed();
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    println!(
        "load run on {label}: {JOBS} png->jpg jobs, {killed_at} created before the SIGKILL, all completed in {:.2} s ({:.0} jobs/s); end-to-end p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        total.as_secs_f64(),
        JOBS as f64 / total.as_secs_f64(),
        percentile(0.5).as_secs_f64() * 1e3,
        percentile(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    assert_eq!(latencies.len(), JOBS);
    assert!(restarted.stop().success());
}
