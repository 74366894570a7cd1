//! Hostile files and hostile clients against the real `fileconv-server`
//! binary, run under an address-space limit so that a regression fails this
//! test instead of taking the machine. Every attack comes through the
//! public API from an anonymous (free-tier) client. Afterwards the server
//! still answers `/health`, has not restarted, every job ended within its
//! time limit plus one second, and peak RSS stayed under a stated bound.
//! Figures are printed (`--nocapture`).

mod common;

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::{Duration, Instant};

use common::client::Client;
use common::server::{write_config, Server};
use serde_json::json;

/// The address space the server may map: its libraries, thread stacks,
/// allocator arenas, and two workers with a 1 GiB budget each.
const ADDRESS_SPACE: u64 = 8 << 30;
/// Peak resident memory the server may reach over the whole suite.
const PEAK_RSS: u64 = 1536 << 20;
/// The free plan's time limit in this suite.
const JOB_SECONDS: u64 = 15;

const CONFIG: &str = "workers = 2
trusted_proxies = 1
max_pending_jobs_per_client = 0
[rate_limits]
upload_per_minute = 100000
other_per_minute = 100000
[http]
header_read_timeout_seconds = 2
body_timeout_seconds = 2
max_connections_per_ip = 64
[plans.free]
files_per_hour = 0
conversions_per_day = 0
max_job_seconds = 15
max_memory_mb = 1024
";

/// A workbook with `A1` and `XFD1048576` filled: 17 billion cells once padded.
fn two_corner_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "top left").unwrap();
    sheet.write_string(1_048_575, 16_383, "bottom right").unwrap();
    book.save_to_buffer().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_files_and_clients_do_not_take_the_service_down() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), CONFIG);
    let mut server = Server::start_limited(&dir.path().join("data"), &config, "127.0.0.1:0", ADDRESS_SPACE);
    let client = Client { http: reqwest::Client::new(), base: server.base_url.clone() };
    let baseline_rss = server.peak_rss();

    // ---- hostile files, all submitted at once ----
    let gif = fileconv::hostile::gif_frames(3000, 3000, 400);
    let attacks: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("5,000 nested <g> (SVG to PNG)", fileconv::hostile::svg_nested("g", 5000), "svg", "png"),
        ("20,000 nested <svg>", fileconv::hostile::svg_nested("svg", 20_000), "svg", "png"),
        ("3,000 chained masks", fileconv::hostile::svg_mask_chain(3000), "svg", "png"),
        ("2,000 chained feOffset over 4000x4000", fileconv::hostile::svg_filter_chain(2000, 4000), "svg", "png"),
        ("5,000-pixel Gaussian blur", fileconv::hostile::svg_huge_blur(), "svg", "png"),
        ("xlsx with A1 and XFD1048576 to PDF", two_corner_workbook(), "xlsx", "pdf"),
        ("3 million one-letter CSV rows to PDF", fileconv::hostile::csv_rows(3_000_000), "csv", "pdf"),
        ("GIF of 3000x3000 x 400 frames", gif.clone(), "gif", "webp"),
        ("the same GIF, a second at once", gif, "gif", "png"),
    ];
    let started = Instant::now();
    let mut submitted = Vec::new();
    for (label, bytes, from, to) in &attacks {
        let id = client.submit(&format!("attack.{from}"), bytes, from, to, None).await;
        submitted.push((*label, bytes.len(), id));
    }
    for (label, size, id) in &submitted {
        let (job, took) = client.finish(id, None).await;
        let error = job["error"].as_str().unwrap_or("");
        println!("{label} ({size} bytes): {} in {took:.2} s: {error}", job["status"]);
        assert_eq!(job["status"], "failed", "{label}: {job}");
        assert!(
            ["limit", "depth", "memory", "pages", "cells", "rows"].iter().any(|w| error.contains(w)),
            "{label}: not refused for a limit: {error}"
        );
        assert!(took <= (JOB_SECONDS + 1) as f64, "{label}: took {took:.1} s");
        assert!(!error.contains("0x") && !error.contains('\n'), "{label}: {error}");
    }
    println!("all hostile files ended {:.2} s after the first upload", started.elapsed().as_secs_f64());
    assert!(server.is_running(), "the server died");
    assert_eq!(client.get("/health", None).await.0, 200);
    let peak = server.peak_rss();
    println!("server peak RSS {} MB (at start {} MB; bound {} MB)", peak >> 20, baseline_rss >> 20, PEAK_RSS >> 20);
    assert!(peak < PEAK_RSS, "peak RSS {} MB", peak >> 20);

    // ---- a legitimate job still converts ----
    let png = std::fs::read(common::testdata("image/rose.png")).unwrap();
    let id = client.submit("rose.png", &png, "png", "jpg", None).await;
    assert_eq!(client.finish(&id, None).await.0["status"], "completed");

    // ---- another client's jobs cannot be read by naming its address ----
    // Behind one trusted proxy, the proxy appends the address it saw; what
    // the client wrote to its left is its own claim.
    let victim = client.submit("rose.png", &png, "png", "jpg", Some("203.0.113.5")).await;
    assert_eq!(client.get(&format!("/api/jobs/{victim}?wait=0"), Some("203.0.113.5")).await.0, 200);
    assert_eq!(client.get(&format!("/api/jobs/{victim}?wait=0"), Some("203.0.113.5, 198.51.100.7")).await.0, 404);

    // ---- an upload that stalls is ended ----
    let (_, url) = client.post("/api/files/get-upload-url", None, json!({"fileName": "slow.png", "fileSize": 1000})).await;
    let target = url["uploadUrl"].as_str().unwrap().split_once("://").unwrap().1.split_once('/').unwrap().1.to_string();
    let port = server.port();
    let stalled = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.write_all(format!("PUT /{target} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n").as_bytes()).unwrap();
        stream.write_all(&[0u8; 100]).unwrap();
        let sent = Instant::now();
        let mut reply = String::new();
        let _ = stream.read_to_string(&mut reply);
        (reply, sent.elapsed())
    })
    .await
    .unwrap();
    println!("an upload stalled after 100 of 1000 bytes: answered in {:.1} s: {}", stalled.1.as_secs_f64(), stalled.0.lines().next().unwrap_or(""));
    assert!(stalled.0.starts_with("HTTP/1.1 408"), "{}", stalled.0);
    assert!(stalled.0.contains("\"code\":\"timeout\""), "{}", stalled.0);

    // ---- method names never become labels ----
    let rss_before = server.peak_rss();
    let flood_started = Instant::now();
    let flood = tokio::task::spawn_blocking(move || {
        let method = "M".repeat(100_000);
        let mut answered = 0;
        for _ in 0..300 {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            let _ = stream.write_all(format!("{method} /api/formats HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
            let mut reply = [0u8; 64];
            if stream.read(&mut reply).is_ok_and(|n| n > 0) {
                answered += 1;
            }
        }
        answered
    })
    .await
    .unwrap();
    let metrics = client.http.get(format!("{}/metrics", client.base)).send().await.unwrap().text().await.unwrap();
    println!(
        "300 requests with 100 KB method names: {flood} answered in {:.2} s; /metrics {} bytes; peak RSS {} -> {} MB",
        flood_started.elapsed().as_secs_f64(),
        metrics.len(),
        rss_before >> 20,
        server.peak_rss() >> 20
    );
    assert!(metrics.len() < 64 << 10, "metrics grew to {} bytes", metrics.len());
    assert!(!metrics.contains("MMMM"));

    // ---- half-sent headers cannot hold the service ----
    fileconv_server::http::serve::raise_descriptor_limit();
    let descriptors_before = server.open_descriptors();
    let mut held = Vec::new();
    for _ in 0..2000 {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(mut stream) => {
                let _ = stream.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                held.push(stream);
            }
            Err(_) => break,
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let descriptors_during = server.open_descriptors();
    // Another address is served at once while 2,000 connections hang.
    let other = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 2])).timeout(Duration::from_secs(2)).build().unwrap();
    let asked = Instant::now();
    let health = other.get(format!("{}/health", client.base)).send().await.unwrap();
    let answered_in = asked.elapsed();
    assert_eq!(health.status(), 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let descriptors_after = server.open_descriptors();
    let held_count = held.len();
    let closed = tokio::task::spawn_blocking(move || {
        let mut closed = 0;
        for stream in &mut held {
            stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
            let mut buf = [0u8; 512];
            let is_closed = loop {
                match stream.read(&mut buf) {
                    Ok(0) => break true,
                    Ok(_) => continue,
                    Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break false,
                    Err(_) => break true,
                }
            };
            closed += usize::from(is_closed);
        }
        closed
    })
    .await
    .unwrap();
    println!(
        "2,000 half-header connections: server descriptors {descriptors_before} -> {descriptors_during} -> {descriptors_after} after the 2 s header timeout; {closed} closed by the server; /health from another address in {:.1} ms",
        answered_in.as_secs_f64() * 1e3
    );
    assert!(descriptors_during < descriptors_before + 64 + 16, "the per-address cap did not hold: {descriptors_during} descriptors");
    assert!(descriptors_after < descriptors_before + 8, "slow connections were not closed: {descriptors_after} descriptors");
    assert!(answered_in < Duration::from_secs(1));
    assert_eq!(closed, held_count, "connections left open past the header timeout");

    assert!(server.is_running(), "the server died");
    assert_eq!(client.get("/health", None).await.0, 200);
    println!("final peak RSS {} MB", server.peak_rss() >> 20);
    assert_eq!(server.stop().code(), Some(0));
}
