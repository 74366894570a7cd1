//! Conversions behind the process boundary, tested for real: the service's
//! binary with the hostile test formats (fileconv-testformats) linked in,
//! whose decoders abort, fault, overflow their stack, allocate without
//! bound and spin. Each job fails with its own `errorCode` and a message a
//! user understands; the service, and the jobs beside them, go on. Figures
//! are printed (`--nocapture`): the child boundary's overhead per job.
#![cfg(feature = "test-formats")]

mod common;

use std::sync::atomic::AtomicU32;
use std::time::{Duration, Instant};

use common::client::Client;
use common::server::{write_config, Server};
use fileconv_server::sandbox::{self, protocol::Request, Failure, Pool, Stop};

const JOB_SECONDS: u64 = 6;

fn config() -> String {
    format!(
        "workers = 2
max_pending_jobs_per_client = 0
max_running_jobs_per_client = 2
[rate_limits]
upload_per_minute = 100000
other_per_minute = 100000
[plans.free]
files_per_hour = 0
conversions_per_day = 0
max_job_seconds = {JOB_SECONDS}
max_memory_mb = 256
"
    )
}

/// Bytes no format claims, for the test formats (which sniff nothing).
const NOBODY_S_BYTES: &[u8] = b"\x00\x01\x02\x03hostile test input\xfe\xff";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_converter_that_crashes_or_overruns_fails_its_job_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config());
    let mut server = Server::start(&dir.path().join("data"), &config, "127.0.0.1:0");
    let client = Client { http: reqwest::Client::new(), base: server.base_url.clone() };
    let rose = common::rose_png();
    let cases: [(&str, &str, &str); 5] = [
        ("x-test-abort", "converter_crashed", "crashed on this file (it aborted)"),
        ("x-test-segv", "converter_crashed", "crashed on this file (a memory fault)"),
        ("x-test-stack", "converter_crashed", "overflowed its stack"),
        ("x-test-alloc", "out_of_memory", "ran out of its 256 MB memory"),
        ("x-test-spin", "time_limit", "took longer than the 6 s"),
    ];
    let started = Instant::now();
    let mut hostile = Vec::new();
    for (format, _, _) in &cases {
        hostile.push(client.submit(&format!("bad.{format}"), NOBODY_S_BYTES, format, "png", None).await);
    }
    // Good jobs queued among the hostile ones still convert.
    let mut good = Vec::new();
    for n in 0..4 {
        good.push(client.submit(&format!("rose{n}.png"), &rose, "png", "jpg", None).await);
    }
    for ((format, code, message), id) in cases.iter().zip(&hostile) {
        let (job, _) = client.finish(id, None).await;
        println!("{format}: {} / {}", job["errorCode"], job["error"]);
        assert_eq!(job["status"], "failed", "{format}: {job}");
        assert_eq!(job["errorCode"], *code, "{format}: {job}");
        assert!(job["error"].as_str().unwrap().contains(message), "{format}: {job}");
        if *code == "converter_crashed" {
            assert!(job["error"].as_str().unwrap().contains("on 2 tries"), "a crash is tried twice: {job}");
        }
    }
    for id in &good {
        let (job, _) = client.finish(id, None).await;
        assert_eq!(job["status"], "completed", "{job}");
        let bytes = client.http.get(job["downloadUrl"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(common::image_size(&bytes, "jpg"), common::image_size(&rose, "png"));
    }
    println!("5 hostile and 4 good jobs ended in {:.1} s", started.elapsed().as_secs_f64());
    assert!(server.is_running(), "the service survived every converter");
    let (status, health) = client.get("/health", None).await;
    assert_eq!(status, 200, "{health}");
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deleting_a_running_job_kills_its_converter() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config());
    let mut server = Server::start(&dir.path().join("data"), &config, "127.0.0.1:0");
    let client = Client { http: reqwest::Client::new(), base: server.base_url.clone() };
    let id = client.submit("slow.x-test-slow", NOBODY_S_BYTES, "x-test-slow", "png", None).await;
    // Wait until it runs and reports progress from the child.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, job) = client.get(&format!("/api/jobs/{id}?wait=0"), None).await;
        if job["status"] == "processing" && job["progress"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "never ran: {job}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deleted = client.http.delete(format!("{}/api/jobs/{id}", client.base)).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    let (status, _) = client.get(&format!("/api/jobs/{id}?wait=0"), None).await;
    assert_eq!(status, 404);
    // The workers are free again: a normal job completes at once.
    let next = client.submit("rose.png", &common::rose_png(), "png", "webp", None).await;
    let (job, took) = client.finish(&next, None).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert!(took < 3.0, "took {took} s");
    assert!(server.is_running());
    server.stop();
}

/// The cost of the process boundary: a small conversion run in a pooled
/// child against the same conversion in this process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_child_boundary_costs_little_per_job() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("rose.png");
    std::fs::write(&input, common::rose_png()).unwrap();
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_fileconv-server"));
    let pool = Pool::new(program, dir.path().to_path_buf(), 1);
    let start = Instant::now();
    pool.fill().await.unwrap();
    let start_ms = start.elapsed().as_secs_f64() * 1000.0;
    let enforced = pool.enforced().unwrap();
    println!("a child starts in {start_ms:.1} ms; landlock: {}; seccomp: {}", enforced.landlock, enforced.seccomp);
    let plan = fileconv_server::Config::default().plans["free"].clone();
    let request = |n: usize| Request {
        job: format!("job{n}"),
        input: input.clone(),
        output: dir.path().join(format!("out{n}.jpg")),
        from: "png".into(),
        to: "jpg".into(),
        options: "{}".into(),
        plan: plan.clone(),
        memory_share: 1 << 30,
    };
    let (progress, stop) = (AtomicU32::new(0), Stop::default());
    let mut in_child = Vec::new();
    let mut in_process = Vec::new();
    let engine = fileconv::engine();
    for n in 0..40 {
        let t = Instant::now();
        pool.run(sandbox::Job { request: request(n), progress: &progress, stop: &stop }).await.unwrap();
        in_child.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        engine.convert_file(&input, &dir.path().join("direct.jpg"), "png", "jpg", &fileconv::Options::new(), &fileconv::Control::default()).unwrap();
        in_process.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let p50 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (child_ms, direct_ms) = (p50(&mut in_child), p50(&mut in_process));
    println!("PNG to JPEG, p50 of 40: {child_ms:.2} ms in a pooled child, {direct_ms:.2} ms in process: {:.2} ms added", child_ms - direct_ms);
    // A child that fails is replaced; the pool goes on.
    let mut bad = request(99);
    bad.from = "x-test-abort".into();
    std::fs::write(&bad.input, NOBODY_S_BYTES).unwrap();
    let failure = pool.run(sandbox::Job { request: bad, progress: &progress, stop: &stop }).await.unwrap_err();
    assert_eq!(failure, Failure::Crashed("it aborted".into()));
    std::fs::write(&input, common::rose_png()).unwrap();
    pool.run(sandbox::Job { request: request(100), progress: &progress, stop: &stop }).await.unwrap();
    pool.clear().await;
}
