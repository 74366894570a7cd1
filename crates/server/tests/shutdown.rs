//! Long jobs: progress while running, DELETE cancelling a running job, and a
//! graceful shutdown putting a running job back in the queue for the next
//! start. The long job is an hour of FLAC silence (made by ffmpeg, a few KB)
//! to MP3, which the engine encodes in chunks, checking for cancellation.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use fileconv_server::{Config, Running};
use serde_json::{json, Value};

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::from_toml("listen = \"127.0.0.1:0\"\nworkers = 1\nshutdown_grace_seconds = 0\njob_wait_seconds = 0.0").unwrap();
    config.data_dir = dir.to_path_buf();
    // This test binary is not the service's: children are started from the real one.
    config.converter_program = Some(std::path::PathBuf::from(env!("CARGO_BIN_EXE_fileconv-server")));
    config
}

async fn job(http: &reqwest::Client, base: &str, id: &str) -> (u16, Value) {
    let response = http.get(format!("{base}/api/jobs/{id}?wait=0")).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn wait_for(http: &reqwest::Client, base: &str, id: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let (code, body) = job(http, base, id).await;
        assert_eq!(code, 200, "{body}");
        if body["status"] == status {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "job {id} never became {status}: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> Value {
    http.post(url).json(&body).send().await.unwrap().json().await.unwrap()
}

async fn create(http: &reqwest::Client, base: &str, flac: &[u8]) -> String {
    let reserved = post(http, format!("{base}/api/files/get-upload-url"), json!({"fileName": "silence.flac", "fileSize": flac.len(), "contentType": "audio/flac"})).await;
    let put = http.put(reserved["uploadUrl"].as_str().unwrap()).body(flac.to_vec()).send().await.unwrap();
    assert_eq!(put.status(), 200);
    let job = json!({"fileKey": reserved["fileKey"], "sourceFormat": "flac", "targetFormat": "mp3", "fileSize": flac.len()});
    let created = post(http, format!("{base}/api/jobs/create"), job).await;
    created["jobId"].as_str().expect("a job id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn running_jobs_report_progress_cancel_on_delete_and_survive_a_graceful_restart() {
    let work = tempfile::tempdir().unwrap();
    let flac_path = work.path().join("silence.flac");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo", "-t", "3600", "-c:a", "flac"])
        .arg(&flac_path)
        .status()
        .expect("ffmpeg (scripts/install-deps installs it)");
    assert!(made.success());
    let flac = std::fs::read(&flac_path).unwrap();
    let data = work.path().join("data");
    let http = reqwest::Client::new();

    let running: Running = fileconv_server::start(config(&data)).await.unwrap();
    let base = format!("http://{}", running.addr);
    let first = create(&http, &base, &flac).await;
    let second = create(&http, &base, &flac).await;

    // The one worker takes the first job; its progress rises.
    wait_for(&http, &base, &first, "processing").await;
    let started = Instant::now();
    let progress = loop {
        let (_, body) = job(&http, &base, &first).await;
        let p = body["progress"].as_u64().unwrap();
        if p > 0 || started.elapsed() > Duration::from_secs(20) {
            break p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!((1..100).contains(&progress), "progress {progress}");
    assert_eq!(job(&http, &base, &second).await.1["status"], "pending");

    // DELETE stops the running conversion: the worker moves on to the second job at once.
    let deleted = http.delete(format!("{base}/api/jobs/{first}")).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(job(&http, &base, &first).await.0, 404);
    let moved_on = Instant::now();
    wait_for(&http, &base, &second, "processing").await;
    assert!(moved_on.elapsed() < Duration::from_secs(5), "the cancelled job kept the worker for {:?}", moved_on.elapsed());

    // A graceful stop with no grace period puts the running job back in the queue, its attempt not counted.
    running.shutdown().await;
    let running = fileconv_server::start(config(&data)).await.unwrap();
    let base = format!("http://{}", running.addr);
    let record = running.state.db.job(&second).await.unwrap().unwrap();
    assert!(record.error.is_none(), "{record:?}");
    let body = wait_for(&http, &base, &second, "processing").await;
    assert!(body["error"].is_null());
    let record = running.state.db.job(&second).await.unwrap().unwrap();
    assert_eq!(record.attempts, 1, "the shutdown's attempt was given back");
    assert_eq!(http.delete(format!("{base}/api/jobs/{second}")).send().await.unwrap().status(), 204);
    running.shutdown().await;
}
