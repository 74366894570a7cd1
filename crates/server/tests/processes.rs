//! The service across processes, tested for real:
//! - converter children: the service's binary with the hostile test
//!   formats (fileconv-testformats) linked in, whose decoders abort, fault,
//!   overflow their stack, allocate without bound and spin; each job fails
//!   with its own `errorCode`, the service and the jobs beside them go on;
//! - PostgreSQL started here: the API flow, leases and rate limits shared
//!   by several API processes, and the router's tests again (router/cases.rs);
//! - an S3-compatible store that checks signatures: pre-signed upload and
//!   download, expired and tampered URLs, a result past 100 MB in multipart;
//! - a distributed run of 2 `api` and 3 `worker` processes over one
//!   database and one bucket, with concurrent clients, hostile files, and
//!   one API and one worker process killed mid-run.
//! One test binary for all, as each links the whole engine. Figures are
//! printed (`--nocapture`).
#![cfg(feature = "test-formats")]

mod common;

use std::collections::HashMap;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::client::{chrono_ms, Client};
use common::postgres::Postgres;
use common::s3::S3Store;
use common::server::{write_config, Server};
use fileconv_server::sandbox::{self, protocol::Request, Failure, Pool, Stop};
use serde_json::{json, Value};

const JOB_SECONDS: u64 = 6;

/// A service process on the hostile test plan, and a client of it; the
/// folder holds its data until dropped.
fn hostile_server() -> (tempfile::TempDir, Server, Client) {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!("workers = 2\nmax_pending_jobs_per_client = 0\nmax_running_jobs_per_client = 2\n{}", busy_free_plan(JOB_SECONDS, 256));
    let config = write_config(dir.path(), &toml);
    let server = Server::start(&dir.path().join("data"), &config, "127.0.0.1:0");
    let client = Client { http: reqwest::Client::new(), base: server.base_url.clone() };
    (dir, server, client)
}

/// Rate limits and free-plan quotas out of the way of a test's many jobs,
/// with the plan's time and memory limits.
fn busy_free_plan(job_seconds: u64, memory_mb: u64) -> String {
    format!(
        "[rate_limits]\nupload_per_minute = 100000\nother_per_minute = 100000\n[plans.free]\nfiles_per_hour = 0\nconversions_per_day = 0\nmax_job_seconds = {job_seconds}\nmax_memory_mb = {memory_mb}\n"
    )
}

/// Bytes no format claims, for the test formats (which sniff nothing).
const NOBODY_S_BYTES: &[u8] = b"\x00\x01\x02\x03hostile test input\xfe\xff";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_converter_that_crashes_or_overruns_fails_its_job_and_nothing_else() {
    let (_dir, mut server, client) = hostile_server();
    let rose = common::rose_png();
    let cases: [(&str, &str, &str); 5] = [
        ("x-test-abort", "converter_crashed", "crashed on this file (it aborted)"),
        ("x-test-segv", "converter_crashed", "crashed on this file (a memory fault)"),
        ("x-test-stack", "converter_crashed", "overflowed its stack"),
        ("x-test-alloc", "out_of_memory", "ran out of its 256 MB memory"),
        ("x-test-spin", "timeout", "took longer than the 6 s"),
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
    let (_dir, mut server, client) = hostile_server();
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
    let pool = Pool::new(program, dir.path(), 1);
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

/// A child sees the input of the job it runs and writes only that job's
/// folder: not the service's other files, not another job's input, not
/// the service's temporary folder; and its folder is emptied between jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_reads_only_its_job_s_input_and_writes_only_its_job_s_folder() {
    let data = tempfile::tempdir().unwrap();
    let temp = data.path().join("tmp");
    std::fs::create_dir_all(&temp).unwrap();
    let secret = data.path().join("signing.key");
    std::fs::write(&secret, "the service's own secret").unwrap();
    let other_input = temp.join("input-of-another-job");
    std::fs::write(&other_input, common::rose_png()).unwrap();
    let program = std::path::PathBuf::from(env!("CARGO_BIN_EXE_fileconv-server"));
    let pool = Pool::new(program, &temp, 1);
    pool.fill().await.unwrap();
    let enforced = pool.enforced().unwrap();
    let planted = temp.join("planted");
    let script = format!(
        "read {}\nread {}\nwrite {}\nwrite {}\nread /etc/passwd\nwrite $TMPDIR/scratch\nread $TMPDIR/scratch\n",
        secret.display(),
        other_input.display(),
        planted.display(),
        data.path().join("objects").display()
    );
    let input = temp.join("snoop-input");
    std::fs::write(&input, &script).unwrap();
    let plan = fileconv_server::Config::default().plans["free"].clone();
    let request = |from: &str, input: &std::path::Path, output: &str| Request {
        job: "snoop".into(),
        input: input.to_path_buf(),
        output: temp.join(output),
        from: from.into(),
        to: "png".into(),
        options: "{}".into(),
        plan: plan.clone(),
        memory_share: 1 << 30,
    };
    let (progress, stop) = (AtomicU32::new(0), Stop::default());
    let failure = pool.run(sandbox::Job { request: request("x-test-snoop", &input, "snooped.png"), progress: &progress, stop: &stop }).await.unwrap_err();
    let Failure::Conversion { message, .. } = failure else { panic!("{failure:?}") };
    println!("landlock: {}; the snooping decoder saw: {message}", enforced.landlock);
    // Reading system files and writing its own folder always work.
    assert!(message.contains("read /etc/passwd: ok"), "{message}");
    assert!(message.contains("/scratch: ok"), "{message}");
    if enforced.landlock.contains("not enforced") {
        println!("this kernel has no landlock: the file rules were not checked");
    } else {
        for denied in [secret.display().to_string(), other_input.display().to_string(), planted.display().to_string()] {
            assert!(message.contains(&format!("{denied}: PermissionDenied")), "{denied} was not denied: {message}");
        }
        assert!(!planted.exists());
    }
    // The child's folder is empty again, and the child converts the next job.
    let children = temp.join(sandbox::CHILDREN_FOLDER);
    let folder = std::fs::read_dir(&children).unwrap().next().unwrap().unwrap().path();
    for part in ["input", "work"] {
        let left: Vec<_> = std::fs::read_dir(folder.join(part)).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(left.is_empty(), "{part}/ keeps {left:?}");
    }
    let png = temp.join("rose.png");
    std::fs::write(&png, common::rose_png()).unwrap();
    pool.run(sandbox::Job { request: request("png", &png, "rose-again.png"), progress: &progress, stop: &stop }).await.unwrap();
    assert_eq!(common::image_size(&std::fs::read(temp.join("rose-again.png")).unwrap(), "png"), common::image_size(&common::rose_png(), "png"));
    assert!(png.exists(), "the job's own input stays where the service keeps it");
    pool.clear().await;
    assert_eq!(std::fs::read_dir(&children).unwrap().count(), 0, "a cleared pool leaves no folder");
}

/// `fileconv convert --server` runs the four steps against a real service
/// process; and the one-request endpoint's cost over converting in process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_converts_on_a_server_and_one_request_costs_little() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), "workers = 2\n[rate_limits]\nupload_per_minute = 1000\nother_per_minute = 1000\n[plans.free]\nfiles_per_hour = 1000\nconversions_per_day = 1000\n");
    let mut server = Server::start(&dir.path().join("data"), &config, "127.0.0.1:0");
    let cli = std::path::Path::new(env!("CARGO_BIN_EXE_fileconv-server")).with_file_name("fileconv");
    assert!(cli.exists(), "{} is built with the workspace (cargo test --workspace, or cargo build -p fileconv-cli)", cli.display());
    let input = dir.path().join("rose.png");
    std::fs::write(&input, common::rose_png()).unwrap();
    let run = |args: &[&std::ffi::OsStr]| std::process::Command::new(&cli).arg("convert").args(args).output().unwrap();
    let output = dir.path().join("rose.jpg");
    let done = run(&[input.as_os_str(), output.as_os_str(), "--server".as_ref(), server.base_url.as_ref(), "-o".as_ref(), "width=20".as_ref()]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(common::image_size(&std::fs::read(&output).unwrap(), "jpg").0, 20, "the option reached the service");
    // Several files, to a folder.
    let other = dir.path().join("other.png");
    std::fs::write(&other, common::rose_png()).unwrap();
    let out_dir = dir.path().join("out");
    let done = run(&[input.as_os_str(), other.as_os_str(), "--to".as_ref(), "webp".as_ref(), "--out-dir".as_ref(), out_dir.as_os_str(), "--server".as_ref(), server.base_url.as_ref()]);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    for name in ["rose.webp", "other.webp"] {
        assert_eq!(common::image_size(&std::fs::read(out_dir.join(name)).unwrap(), "webp"), common::image_size(&common::rose_png(), "png"));
    }
    // A file the service cannot convert: the local exit code and the job's errorCode.
    let broken = dir.path().join("broken.png");
    std::fs::write(&broken, &common::rose_png()[..60]).unwrap();
    let failed = run(&[broken.as_os_str(), dir.path().join("broken.jpg").as_os_str(), "--server".as_ref(), server.base_url.as_ref()]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("errorCode invalid_input"), "{stderr}");
    assert!(!dir.path().join("broken.jpg").exists());
    // A service that is not there.
    let nowhere = run(&[input.as_os_str(), output.as_os_str(), "--server".as_ref(), "http://127.0.0.1:9".as_ref()]);
    assert_eq!(nowhere.status.code(), Some(1), "{}", String::from_utf8_lossy(&nowhere.stderr));

    // One request against converting here: p50 of 40 small PNG to JPEG conversions.
    let http = reqwest::Client::new();
    let png = common::rose_png();
    let (mut remote, mut local) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let t = Instant::now();
        let response = http.post(format!("{}/api/convert?to=jpg&from=png", server.base_url)).body(png.clone()).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let bytes = response.bytes().await.unwrap();
        remote.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let here = fileconv::convert(&png, "png", "jpg").unwrap();
        local.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(common::image_size(&bytes, "jpg"), common::image_size(&here, "jpg"));
    }
    let p50 = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (remote_ms, local_ms) = (p50(&mut remote), p50(&mut local));
    println!("POST /api/convert PNG to JPEG, p50 of 40: {remote_ms:.1} ms; in process {local_ms:.1} ms; overhead {:.1} ms", remote_ms - local_ms);
    assert!(server.is_running());
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_leases_and_shared_rate_limits_work_on_postgresql() {
    let postgres = Postgres::start();
    let url = postgres.database("flow");
    // The four steps, one poll.
    let app = common::app_with_database("", Some(&url)).await;
    app.workers(2);
    let file_key = app.upload("10.1.0.1", None, "rose.png", common::rose_png()).await;
    let (status, _, created) = app.json("POST", "/api/jobs/create", "10.1.0.1", None, Some(json!({"fileKey": file_key, "sourceFormat": "png", "targetFormat": "jpg"}))).await;
    assert_eq!(status, 200, "{created}");
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}", created["jobId"].as_str().unwrap()), "10.1.0.1", None, None).await;
    assert_eq!(job["status"], "completed", "{job}");
    let (status, bytes, _) = app.get_bytes(job["downloadUrl"].as_str().unwrap(), "10.1.0.1").await;
    assert_eq!(status, 200);
    assert_eq!(common::image_size(&bytes, "jpg"), common::image_size(&common::rose_png(), "png"));

    // Two claims race on PostgreSQL: SKIP LOCKED gives them different jobs
    // (on a database of their own, where no worker takes them first).
    let bare = common::app_with_database("", Some(&postgres.database("claims"))).await;
    let db = &bare.state.db;
    let now = fileconv_server::store::records::now_ms();
    for _ in 0..2 {
        let key = bare.upload("10.1.0.2", None, "rose.png", common::rose_png()).await;
        let (status, _, created) = bare.json("POST", "/api/jobs/create", "10.1.0.2", None, Some(json!({"fileKey": key, "sourceFormat": "png", "targetFormat": "jpg"}))).await;
        assert_eq!(status, 200, "{created}");
    }
    let (a, b) = tokio::join!(db.claim_job(now, 100, "a", now + 1000), db.claim_job(now, 100, "b", now + 1000));
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_ne!(a.id, b.id);
    assert_eq!(db.reap_expired_leases(now + 2000, 2).await.unwrap(), (2, 0));

    // Two API processes on one database: 20 uploads a minute in total.
    let other = common::app_with_database("", Some(&url)).await;
    let mut allowed = 0;
    for n in 0..30 {
        let app = if n % 2 == 0 { &app } else { &other };
        let (status, _, _) = app.json("POST", "/api/files/get-upload-url", "10.1.0.9", None, Some(json!({"fileName": "a.png", "fileSize": 10}))).await;
        allowed += usize::from(status == 200);
    }
    assert_eq!(allowed, 20, "the per-IP upload limit holds across both processes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_s3_store_takes_signed_uploads_refuses_bad_urls_and_gets_large_results_in_parts() {
    let postgres = Postgres::start();
    let url = postgres.database("objects");
    let store = S3Store::start().await;
    let app = common::app_with_database(&format!("url_expiry_seconds = 2\n[plans.free]\nmax_file_mb = 100\nmax_pixels = 40000000\n{}", store.storage_toml()), Some(&url)).await;
    app.workers(1);
    let ip = "10.4.0.1";
    // A 6000x6000 PNG of one colour: small to upload, 108 MB as a BMP.
    let mut big = std::io::Cursor::new(Vec::new());
    fileconv::image::RgbImage::from_pixel(6000, 6000, fileconv::image::Rgb([200, 40, 40])).write_to(&mut big, fileconv::image::ImageFormat::Png).unwrap();
    let big = big.into_inner();
    let (status, _, upload) = app.json("POST", "/api/files/get-upload-url", ip, None, Some(json!({"fileName": "big.png", "fileSize": big.len()}))).await;
    assert_eq!(status, 200, "{upload}");
    let upload_url = upload["uploadUrl"].as_str().unwrap();
    assert!(upload_url.starts_with(&store.endpoint) && upload_url.contains("X-Amz-Signature="), "the store's own pre-signed URL: {upload_url}");
    // No connection reuse: the store may close one after refusing a body it did not read.
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    // A tampered signature is refused by the store itself.
    assert_eq!(http.put(tamper(upload_url)).body(big.clone()).send().await.unwrap().status(), 403);
    assert_eq!(http.put(upload_url).body(big.clone()).send().await.unwrap().status(), 200);
    let (status, _, created) = app.json("POST", "/api/jobs/create", ip, None, Some(json!({"fileKey": upload["fileKey"], "sourceFormat": "png", "targetFormat": "bmp"}))).await;
    assert_eq!(status, 200, "{created}");
    let job = loop {
        let (_, _, job) = app.json("GET", &format!("/api/jobs/{}?wait=20", created["jobId"].as_str().unwrap()), ip, None, None).await;
        if job["status"] == "completed" || job["status"] == "failed" {
            break job;
        }
    };
    assert_eq!(job["status"], "completed", "{job}");
    let download = job["downloadUrl"].as_str().unwrap();
    let bytes = http.get(download).send().await.unwrap().bytes().await.unwrap();
    assert!(bytes.len() > 100 << 20, "{} bytes", bytes.len());
    let (width, height) = (u32::from_le_bytes(bytes[18..22].try_into().unwrap()), i32::from_le_bytes(bytes[22..26].try_into().unwrap()).unsigned_abs());
    assert_eq!((&bytes[..2], width, height), (&b"BM"[..], 6000, 6000));
    assert_eq!(http.get(tamper(download)).send().await.unwrap().status(), 403);
    // Past its expiry (2 s here), a URL is refused.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(http.get(download).send().await.unwrap().status(), 403, "an expired URL");
}

/// The URL with its signature's last digit changed.
fn tamper(url: &str) -> String {
    let at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let digit = &url[at..at + 1];
    format!("{}{}{}", &url[..at], if digit == "0" { "1" } else { "0" }, &url[at + 1..])
}

const DISTRIBUTED_JOBS: usize = 300;
const CLIENTS: usize = 10;

/// One kind of job in the mix: a fixture, its formats, and whether it is hostile.
struct Kind {
    name: &'static str,
    input: Vec<u8>,
    from: &'static str,
    to: &'static str,
    /// The result the library gives for the same input, in this process.
    expected: Option<Vec<u8>>,
    /// The `errorCode` a hostile job ends with.
    code: Option<&'static str>,
}

fn kinds() -> Vec<Kind> {
    let fixture = |path: &str| std::fs::read(common::testdata(path)).unwrap();
    let legit = |name, input: Vec<u8>, from, to| {
        let expected = fileconv::convert(&input, from, to).unwrap();
        Kind { name, input, from, to, expected: Some(expected), code: None }
    };
    let hostile = |name, from, code| Kind { name, input: b"\x00\x01\x02hostile\xfe".to_vec(), from, to: "png", expected: None, code: Some(code) };
    vec![
        legit("image", common::rose_png(), "png", "jpg"),
        legit("audio", fixture("audio/alaw.wav"), "wav", "flac"),
        legit("document", fixture("document/sample.md"), "md", "txt"),
        legit("sheet", fixture("sheet/book.csv"), "csv", "json"),
        legit("image", common::rose_png(), "png", "webp"),
        legit("document", fixture("document/sample.html"), "html", "txt"),
        legit("image", common::rose_png(), "png", "bmp"),
        legit("sheet", fixture("sheet/book.csv"), "csv", "tsv"),
        legit("audio", fixture("audio/mulaw.wav"), "wav", "flac"),
        legit("image", common::rose_png(), "png", "gif"),
        legit("sheet", fixture("sheet/book.csv"), "csv", "md"),
        legit("document", fixture("document/sample.md"), "md", "html"),
        legit("image", common::rose_png(), "png", "tiff"),
        legit("audio", fixture("audio/alaw.wav"), "wav", "wav"),
        legit("document", fixture("document/sample.html"), "html", "md"),
        legit("image", common::rose_png(), "png", "ico"),
        legit("sheet", fixture("sheet/book.csv"), "csv", "html"),
        legit("image", common::rose_png(), "png", "tga"),
        legit("document", fixture("document/sample.md"), "md", "odt"),
        legit("image", common::rose_png(), "png", "qoi"),
        hostile("abort", "x-test-abort", "converter_crashed"),
        hostile("spin", "x-test-spin", "timeout"),
    ]
}

fn server_config(url: &str, storage: &str) -> String {
    format!(
        "database_url = \"{url}\"
signing_secret = \"{}\"
trusted_proxies = 1
workers = 1
max_pending_jobs_per_client = 0
max_running_jobs_per_client = 1
job_wait_seconds = 0
{}{storage}
[webhooks]
allowed_hosts = [\"127.0.0.1\"]
retry_schedule_seconds = [0, 0.5, 1, 2]
",
        "ab".repeat(32),
        busy_free_plan(2, 512)
    )
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            found.extend(walk(&entry.path()));
        } else {
            found.push(format!("{} ({} bytes)", entry.path().display(), entry.metadata().map(|m| m.len()).unwrap_or(0)));
        }
    }
    found
}

/// Converter children of the process `parent`.
fn converter_children(parent: u32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
            let ppid = stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().nth(1)).and_then(|p| p.parse::<u32>().ok());
            ppid == Some(parent) && std::fs::read(e.path().join("cmdline")).unwrap_or_default().windows(13).any(|w| w == b"convert-child")
        })
        .count()
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    values[((values.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_api_and_three_worker_processes_on_one_database_survive_kills() {
    let postgres = Postgres::start();
    let url = postgres.database("distributed");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = S3Store::start().await;
    let config = common::server::write_config(dir.path(), &server_config(&url, &store.storage_toml()));
    let api = |_: usize| Server::start_with_role(&data, &config, "api");
    let worker = |_: usize| Server::start_with_role(&data, &config, "worker");
    let mut apis: Vec<Server> = (0..2).map(api).collect();
    let mut workers: Vec<Server> = (0..3).map(worker).collect();
    // A worker answers /health and /metrics only.
    let worker_client = Client { http: reqwest::Client::new(), base: workers[0].base_url.clone() };
    assert_eq!(worker_client.get("/health", None).await.0, 200);
    assert_eq!(worker_client.get("/api/formats", None).await.0, 404);

    // Every client hears its jobs' ends on a webhook, sent by whichever worker process.
    let receiver = common::receiver::Receiver::start(&[]).await;
    let mut secrets = HashMap::new();
    for c in 0..CLIENTS {
        let ip = format!("10.2.0.{c}");
        let response = reqwest::Client::new().post(format!("{}/api/webhooks", apis[c % 2].base_url)).header("x-forwarded-for", &ip).json(&json!({"url": receiver.url})).send().await.unwrap();
        assert_eq!(response.status(), 201);
        let endpoint: Value = response.json().await.unwrap();
        secrets.insert(endpoint["id"].as_str().unwrap().to_string(), endpoint["secret"].as_str().unwrap().to_string());
    }
    let kinds = Arc::new(kinds());
    let bases: Arc<std::sync::Mutex<Vec<String>>> = Arc::new(std::sync::Mutex::new(apis.iter().map(|s| s.base_url.clone()).collect()));
    let started = Instant::now();
    let submitted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (kinds, bases, submitted) = (kinds.clone(), bases.clone(), submitted.clone());
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
            let ip = format!("10.2.0.{c}");
            let mut jobs = Vec::new();
            for n in 0..DISTRIBUTED_JOBS / CLIENTS {
                let k = (c * 7 + n) % kinds.len();
                let kind = &kinds[k];
                // An API process may be down for a moment: try the other one.
                let mut attempt = 0;
                let id = loop {
                    let base = { let b = bases.lock().unwrap(); b[(n + attempt) % b.len()].clone() };
                    let client = Client { http: http.clone(), base };
                    match tokio::time::timeout(Duration::from_secs(20), client.try_submit(&format!("f{n}.{}", kind.from), &kind.input, kind.from, kind.to, Some(&ip))).await {
                        Ok(Some(id)) => break id,
                        _ => attempt += 1,
                    }
                    assert!(attempt < 20, "no API process took the job");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                submitted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                jobs.push((id, k, ip.clone()));
            }
            jobs
        }));
    }
    // Mid-run: kill -9 one worker and one API process, and start replacements.
    while submitted.load(std::sync::atomic::Ordering::Relaxed) < DISTRIBUTED_JOBS / 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_at = submitted.load(std::sync::atomic::Ordering::Relaxed);
    workers.remove(0).kill();
    let killed_api = apis.remove(0);
    bases.lock().unwrap().retain(|b| *b != killed_api.base_url);
    killed_api.kill();
    workers.push(worker(3));
    apis.push(api(2));
    bases.lock().unwrap().push(apis.last().unwrap().base_url.clone());
    println!("killed one worker and one API process after {killed_at} jobs were submitted; replacements started");

    // Status polls while conversions run, on every live API process.
    let poll_bases = bases.lock().unwrap().clone();
    let mut poll_ms = Vec::new();
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await.unwrap());
    }
    let mut end_to_end = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut completed_ids = std::collections::BTreeSet::new();
    let mut lost_with_the_worker = 0;
    for (id, k, ip) in &all {
        let kind = &kinds[*k];
        let deadline = Instant::now() + Duration::from_secs(120);
        let job = loop {
            let base = &poll_bases[poll_ms.len() % poll_bases.len()];
            let t = Instant::now();
            let response = http.get(format!("{base}/api/jobs/{id}")).header("x-forwarded-for", ip).send().await.unwrap();
            poll_ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(response.status(), 200);
            let job: Value = response.json().await.unwrap();
            if job["status"] == "completed" || job["status"] == "failed" {
                break job;
            }
            assert!(Instant::now() < deadline, "{} job {id} never ended: {job}", kind.name);
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let at = |field: &str| chrono_ms(job[field].as_str().unwrap()) as f64 / 1000.0;
        end_to_end.push(at("completedAt") - at("createdAt"));
        match (&kind.expected, kind.code) {
            (Some(expected), _) => {
                assert_eq!(job["status"], "completed", "{} {}→{}: {job}", kind.name, kind.from, kind.to);
                let bytes = http.get(job["downloadUrl"].as_str().unwrap()).send().await.unwrap().bytes().await.unwrap();
                assert!(bytes[..] == expected[..], "{} {}→{}: the download differs from the library's result", kind.name, kind.from, kind.to);
            }
            (None, Some(code)) => {
                assert_eq!(job["status"], "failed", "{job}");
                // A hostile job whose first try crashed its converter (or ran
                // to its time limit) and whose second was on the worker
                // killed above has used its two tries with that worker's
                // lease: it fails as a stopped worker. One job at most.
                let on_the_killed_worker = job["errorCode"] == "internal"
                    && job["error"].as_str().is_some_and(|e| e.starts_with("the worker converting this file stopped"));
                if on_the_killed_worker {
                    lost_with_the_worker += 1;
                    assert!(lost_with_the_worker <= 1, "only the killed worker's job: {job}");
                } else {
                    assert_eq!(job["errorCode"], code, "{job}");
                }
            }
            _ => unreachable!(),
        }
        *by_code.entry(job["errorCode"].as_str().unwrap_or("completed").to_string()).or_default() += 1;
        if job["status"] == "completed" {
            completed_ids.insert(id.clone());
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    // Each result stored once: one object in the folder of each completed
    // job, and no folder for a job that did not complete. (A client whose
    // API process died between storing its job and answering retried, so
    // the records may hold a few more completed jobs than the clients know.)
    let completed_in_records: std::collections::BTreeSet<String> =
        postgres.query("distributed", "SELECT id FROM jobs WHERE status = 'completed'").lines().map(str::to_string).collect();
    assert!(completed_ids.is_subset(&completed_in_records));
    for id in &completed_in_records {
        let objects = walk(&store.object_path(&format!("results/{id}")));
        assert_eq!(objects.len(), 1, "job {id}: {objects:?}");
    }
    let folders: Vec<String> = std::fs::read_dir(store.object_path("results")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let strays: Vec<&String> = folders.iter().filter(|f| !completed_in_records.contains(*f)).collect();
    assert!(strays.is_empty(), "result folders of jobs that did not complete: {strays:?}");
    println!("{} completed jobs in the records ({} more than the clients saw created), each with one result object", completed_in_records.len(), completed_in_records.len() - completed_ids.len());
    let stuck = postgres.query("distributed", "SELECT count(*) FROM jobs WHERE status = 'processing'");
    assert_eq!(stuck.trim(), "0", "no job left processing");
    // Every ended job was delivered to its client's webhook, signed with its
    // client's secret; a worker killed mid-send may have sent one twice, under one webhook-id.
    let ended: std::collections::BTreeSet<String> = postgres.query("distributed", "SELECT id FROM jobs WHERE status IN ('completed', 'failed')").lines().map(str::to_string).collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    let (delivered, hits) = loop {
        let hits = receiver.hits();
        let delivered: std::collections::BTreeSet<String> = hits
            .iter()
            .map(|hit| {
                let body: Value = serde_json::from_slice(&hit.body).unwrap();
                let job = body["data"]["jobId"].as_str().unwrap().to_string();
                let verified = secrets.values().any(|secret| standardwebhooks::Webhook::new(secret).unwrap().verify(&hit.body, &hit.headers).is_ok());
                assert!(verified, "a delivery for job {job} that no client's secret verifies");
                job
            })
            .collect();
        if delivered == ended || Instant::now() > deadline {
            break (delivered, hits);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(delivered, ended, "one delivery per ended job");
    let unique: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.headers["webhook-id"].to_str().unwrap()).collect();
    println!("webhooks: {} deliveries of {} ended jobs ({} sent twice after a kill, under one webhook-id)", hits.len(), ended.len(), hits.len() - unique.len());
    for server in apis.iter_mut().chain(workers.iter_mut()) {
        assert!(server.is_running(), "only the killed processes died");
    }
    let (p50, p99) = (percentile(&mut end_to_end.clone(), 0.5), percentile(&mut end_to_end, 0.99));
    println!(
        "{} jobs ({by_code:?}) in {seconds:.1} s: {:.1} jobs/s; created to completed p50 {p50:.2} s, p99 {p99:.2} s (a queue of {DISTRIBUTED_JOBS} on 3 workers; the killed worker's job waited for its 15 s lease); status poll p99 {:.1} ms over {} polls",
        all.len(),
        all.len() as f64 / seconds,
        percentile(&mut poll_ms.clone(), 0.99),
        poll_ms.len()
    );
    assert!(percentile(&mut poll_ms, 0.99) < 250.0, "status polls stay fast while conversions run");
    // A DELETE through one API process stops a job a worker process runs:
    // the worker's next lease renewal finds the job gone and kills its child.
    // The job is a Pro key's, whose plan gives it the time to be deleted.
    let key = Server::keys(&data, &config, &["create", "--plan", "pro"]).trim().to_string();
    let bearer = format!("Bearer {key}");
    let first_api = &apis[0].base_url;
    let url: Value = http.post(format!("{first_api}/api/files/get-upload-url")).header("authorization", &bearer).json(&json!({"fileName": "slow.x", "fileSize": 6})).send().await.unwrap().json().await.unwrap();
    assert_eq!(http.put(url["uploadUrl"].as_str().unwrap()).body(b"\x00slow\xfe".to_vec()).send().await.unwrap().status(), 200);
    let created: Value = http
        .post(format!("{first_api}/api/jobs/create"))
        .header("authorization", &bearer)
        .json(&json!({"fileKey": url["fileKey"], "sourceFormat": "x-test-slow", "targetFormat": "png"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let slow = created["jobId"].as_str().unwrap().to_string();
    let other_api = &apis[1].base_url;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let job: Value = http.get(format!("{other_api}/api/jobs/{slow}?wait=0")).header("authorization", &bearer).send().await.unwrap().json().await.unwrap();
        if job["status"] == "processing" && job["progress"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the slow job's progress never showed through the other API process: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let children = || workers.iter().map(|w| converter_children(w.child.id())).sum::<usize>();
    let before = children();
    let t = Instant::now();
    let deleted = http.delete(format!("{other_api}/api/jobs/{slow}")).header("authorization", &bearer).send().await.unwrap();
    assert_eq!(deleted.status(), 204);
    while children() >= before {
        assert!(t.elapsed() < Duration::from_secs(8), "the deleted job's converter child still runs");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!("a job deleted through another API process: its worker's child killed {:.1} s later", t.elapsed().as_secs_f64());

    // A wait on one API process hears a job another created and a worker finished.
    let (first, second) = (Client { http: http.clone(), base: apis[0].base_url.clone() }, Client { http: http.clone(), base: apis[1].base_url.clone() });
    let id = first.submit("late.png", &common::rose_png(), "png", "jpg", Some("10.3.0.1")).await;
    let t = Instant::now();
    let (_, job) = second.get(&format!("/api/jobs/{id}?wait=10"), Some("10.3.0.1")).await;
    assert_eq!(job["status"], "completed", "{job}");
    println!("a one-poll wait on the other API process answered in {:.0} ms", t.elapsed().as_secs_f64() * 1000.0);
    for server in apis.into_iter().chain(workers) {
        server.stop();
    }
}

/// The router's tests, each over a new database of this binary's PostgreSQL.
mod router_on_postgres {
    use super::common;

    async fn app(toml: &str) -> common::TestApp {
        common::app_on_postgres(toml).await
    }

    include!("router/cases.rs");
    include!("router/pages.rs");
}

/// The operator's commands for accounts: a user made on the pages is put on
/// a plan, and the keys it made follow.
#[tokio::test]
async fn operators_set_an_accounts_plan_from_the_command_line() {
    use fileconv_server::store::accounts::UserRecord;
    let dir = tempfile::tempdir().unwrap();
    let mut config = fileconv_server::Config::default();
    config.data_dir = dir.path().to_path_buf();
    let db = fileconv_server::store::records::Db::connect(&config.database_url()).await.unwrap();
    let user = UserRecord { id: "u1".into(), email: "ops@example.com".into(), password_hash: "$argon2id$x".into(), plan: "free".into(), created_at: 0 };
    assert!(db.insert_user(&user).await.unwrap());
    db.insert_key("k1", "hash1", "free", Some("ci"), Some("u1"), 0).await.unwrap();
    let program = env!("CARGO_BIN_EXE_fileconv-server");
    let run = |args: &[&str]| std::process::Command::new(program).arg("--data-dir").arg(dir.path()).args(args).output().unwrap();
    let out = run(&["users", "set-plan", "OPS@example.com", "pro"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["users", "set-plan", "ops@example.com", "platinum"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("unknown plan"));
    let out = run(&["users", "set-plan", "nobody@example.com", "pro"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no account"));
    let out = run(&["users", "list"]);
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(listing.lines().any(|l| l.starts_with("ops@example.com") && l.contains("pro")), "{listing}");
    let key = db.active_key("hash1").await.unwrap().unwrap();
    assert_eq!((key.plan.as_str(), key.owner().as_str()), ("pro", "user:u1"), "a user's key has the user's plan");
    db.close().await;
}
