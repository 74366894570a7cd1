// The router's tests, shared by router.rs (SQLite) and router_postgres.rs
// (PostgreSQL): each includes this file after defining `app`.

use common::{image_size, path_of, rose_png};
use serde_json::json;

const IP: &str = "10.0.0.1";

async fn create(app: &common::TestApp, ip: &str, key: Option<&str>, body: serde_json::Value) -> (u16, serde_json::Value) {
    let (status, _, body) = app.json("POST", "/api/jobs/create", ip, key, Some(body)).await;
    (status, body)
}

/// One upload and two PNG-to-JPEG jobs of it; the job ids.
async fn two_png_jobs(app: &common::TestApp) -> Vec<String> {
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (_, created) = create(app, IP, None, job_body(&file, "png", "jpg")).await;
        ids.push(created["jobId"].as_str().unwrap().to_string());
    }
    ids
}

fn job_body(file_key: &str, from: &str, to: &str) -> serde_json::Value {
    json!({"fileKey": file_key, "sourceFormat": from, "targetFormat": to, "fileSize": 204800})
}

#[tokio::test]
async fn the_four_steps_convert_a_png_to_a_jpeg() {
    let app = app("").await;
    app.workers(2);
    let (status, headers, body) = app
        .json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "my photo.png", "fileSize": 204800, "contentType": "image/png"})))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expiresIn"], 600);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["expiresIn", "fileId", "fileKey", "uploadUrl"]);
    let upload_url = body["uploadUrl"].as_str().unwrap();
    assert!(upload_url.starts_with("http://files.test/storage/uploads/"), "{upload_url}");
    assert_eq!(headers["x-ratelimit-limit"], "20");
    assert_eq!(headers["x-ratelimit-remaining"], "19");

    let (status, put) = app.put(upload_url, IP, rose_png()).await;
    assert_eq!((status, put), (200, serde_json::Value::Null));

    let (status, created) = create(&app, IP, None, job_body(body["fileKey"].as_str().unwrap(), "png", "jpg")).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created.as_object().unwrap().len(), 1);
    let job_id = created["jobId"].as_str().unwrap();

    // One poll: the job endpoint waits for a small job.
    let (status, _, job) = app.json("GET", &format!("/api/jobs/{job_id}"), IP, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(job["status"], "completed", "{job}");
    let mut fields: Vec<&String> = job.as_object().unwrap().keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        ["completedAt", "cpuMinutes", "createdAt", "downloadUrl", "error", "errorCode", "fileName", "jobId", "progress", "queuedMs", "runMs", "sourceFormat", "status", "targetFormat", "warnings"]
    );
    let (queued, run) = (job["queuedMs"].as_i64().unwrap(), job["runMs"].as_i64().unwrap());
    assert!(queued >= 0 && run > 0 && run < 10_000, "{job}");
    assert_eq!(job["warnings"], serde_json::json!([]), "a clean PNG converts with nothing to say");
    assert_eq!(job["fileName"], "my photo.jpg");
    assert_eq!((job["sourceFormat"].as_str(), job["targetFormat"].as_str()), (Some("png"), Some("jpg")));
    assert!(job["error"].is_null());
    assert_eq!(job["progress"], 100);
    assert!(job["cpuMinutes"].as_f64().unwrap() > 0.0, "{job}");
    assert!(job["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(job["completedAt"].as_str().unwrap() >= job["createdAt"].as_str().unwrap());

    let (status, bytes, content_type) = app.get_bytes(job["downloadUrl"].as_str().unwrap(), IP).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "image/jpeg");
    assert_eq!(image_size(&bytes, "jpg"), image_size(&rose_png(), "png"));
}

#[tokio::test]
async fn a_completed_job_says_what_the_conversion_repaired() {
    let app = app("").await;
    app.workers(1);
    let jpeg = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/realworld/jpeg-extraneous-bytes.jpg")).unwrap();
    let (_, _, body) = app
        .json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "damaged.jpg", "fileSize": jpeg.len(), "contentType": "image/jpeg"})))
        .await;
    let (status, _) = app.put(body["uploadUrl"].as_str().unwrap(), IP, jpeg).await;
    assert_eq!(status, 200);
    let (status, created) = create(&app, IP, None, job_body(body["fileKey"].as_str().unwrap(), "jpg", "png")).await;
    assert_eq!(status, 200, "{created}");
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}", created["jobId"].as_str().unwrap()), IP, None, None).await;
    assert_eq!(job["status"], "completed", "{job}");
    let warnings = job["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("extraneous bytes")), "{job}");
}

#[tokio::test]
async fn bad_bodies_are_400_with_a_json_error() {
    let app = app("").await;
    let url = "/api/files/get-upload-url";
    for body in [json!({"fileSize": 10}), json!({"fileName": "a.png", "fileSize": -1}), json!({"fileName": "", "fileSize": 10}), json!({"fileName": "a.png", "fileSize": 1.5})] {
        let (status, _, error) = app.json("POST", url, IP, None, Some(body.clone())).await;
        assert_eq!(status, 400, "{body} -> {error}");
        assert_eq!(error["code"], "bad_request");
        assert!(error["error"].as_str().unwrap().len() > 5);
    }
    let post = |body: String, content_type: Option<&str>| {
        let mut request = axum::http::Request::builder().method("POST").uri(url).header("x-forwarded-for", IP);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.body(axum::body::Body::from(body)).unwrap()
    };
    assert_eq!(app.send(post("{not json".into(), Some("application/json"))).await.status(), 400);
    let huge = format!("{{\"fileName\": \"{}\", \"fileSize\": 1}}", "a".repeat(3 << 20));
    assert_eq!(app.send(post(huge, Some("application/json; charset=utf-8"))).await.status(), 413);
    // A form on another site can post only forms and plain text: never JSON.
    let good = json!({"fileName": "a.png", "fileSize": 10}).to_string();
    for content_type in [None, Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("multipart/form-data; boundary=x")] {
        let response = app.send(post(good.clone(), content_type)).await;
        assert_eq!(response.status(), 415, "{content_type:?}");
        let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&body).unwrap()["code"], "unsupported_media_type");
    }

    let (status, headers, error) = app.json("GET", "/api/nothing-here", IP, None, None).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // The framework's own rejections are JSON too.
    let (status, headers, error) = app.json("PATCH", "/api/jobs/create", IP, None, None).await;
    assert_eq!((status, error["code"].as_str()), (405, Some("method_not_allowed")), "{error}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let (status, _, error) = app.json("GET", "/api/jobs/abc?wait=soon", IP, None, None).await;
    assert_eq!((status, error["code"].as_str()), (400, Some("bad_request")), "{error}");
    assert!(error["error"].as_str().unwrap().contains("wait"), "{error}");
    let (status, _, error) = app.json("GET", "/storage/x?expires=never", IP, None, None).await;
    assert_eq!(status, 400, "{error}");
    assert!(error["code"].is_string(), "{error}");
}

#[tokio::test]
async fn hostile_names_and_label_floods_are_contained() {
    let app = app("").await;
    // A result is named after the last path component, without bidi overrides.
    let (status, _, body) = app
        .json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "../../x/invoice\u{202E}gnp.exe.png", "fileSize": 204800})))
        .await;
    assert_eq!(status, 200, "{body}");
    let file = body["fileKey"].as_str().unwrap().to_string();
    assert!(!file.contains(".."), "{file}");
    assert_eq!(app.put(body["uploadUrl"].as_str().unwrap(), IP, rose_png()).await.0, 200);
    let (_, created) = create(&app, IP, None, job_body(&file, "png", "jpg")).await;
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}?wait=0", created["jobId"].as_str().unwrap()), IP, None, None).await;
    assert_eq!(job["fileName"], "invoicegnp.exe.jpg");
    // Every method name is a request; none becomes a label.
    for i in 0..50 {
        let method = format!("X{}{}", "M".repeat(2000), i);
        let request = axum::http::Request::builder().method(method.as_str()).uri("/api/formats").header("x-forwarded-for", IP).body(axum::body::Body::empty()).unwrap();
        assert_eq!(app.send(request).await.status(), 405);
    }
    let (_, _, metrics) = app.json("GET", "/metrics", IP, None, None).await;
    let text = metrics.as_str().unwrap();
    assert!(text.len() < 20_000, "{} bytes of metrics", text.len());
    assert!(text.contains("method=\"other\""), "{text}");
    assert!(!text.contains("MMMM"));
}

#[tokio::test]
async fn the_client_address_is_the_rightmost_untrusted_one() {
    // One trusted proxy: what the client wrote to the left of the proxy's entry is ignored.
    let app = app("trusted_proxies = 1\n[rate_limits]\nupload_per_minute = 2").await;
    let body = json!({"fileName": "a.png", "fileSize": 10});
    for i in 0..2 {
        let (status, _, _) = app.json("POST", "/api/files/get-upload-url", &format!("6.6.6.{i}, 1.2.3.4"), None, Some(body.clone())).await;
        assert_eq!(status, 200);
    }
    let (status, _, _) = app.json("POST", "/api/files/get-upload-url", "7.7.7.7, 1.2.3.4", None, Some(body.clone())).await;
    assert_eq!(status, 429, "a forged left entry must not escape the limit");
    let (status, _, _) = app.json("POST", "/api/files/get-upload-url", "1.2.3.5", None, Some(body)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn browsers_may_use_signed_urls_and_only_configured_origins_the_api() {
    let app = app("cors_allowed_origins = [\"https://app.example\"]").await;
    let preflight = |path: &str, origin: &str, method: &str| {
        axum::http::Request::builder()
            .method("OPTIONS")
            .uri(path)
            .header("origin", origin)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", "content-type")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let allowed = |r: &axum::http::Response<axum::body::Body>| r.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap().to_string());
    let r = app.send(preflight("/api/jobs/create", "https://app.example", "POST")).await;
    assert_eq!(allowed(&r).as_deref(), Some("https://app.example"));
    let r = app.send(preflight("/api/jobs/create", "https://evil.example", "POST")).await;
    assert_eq!(allowed(&r), None);
    let r = app.send(preflight("/storage/uploads/x/a.png", "https://anywhere.example", "PUT")).await;
    assert_eq!(allowed(&r).as_deref(), Some("https://anywhere.example"));
}

#[tokio::test]
async fn clients_get_their_turn_and_a_pending_cap() {
    let app = app("max_pending_jobs_per_client = 3").await;
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    for _ in 0..3 {
        assert_eq!(create(&app, IP, None, job_body(&file, "png", "jpg")).await.0, 200);
    }
    let (status, error) = create(&app, IP, None, job_body(&file, "png", "jpg")).await;
    assert_eq!((status, error["code"].as_str()), (429, Some("too_many_jobs")), "{error}");
    let other = "10.0.0.2";
    let other_file = app.upload(other, None, "b.png", rose_png()).await;
    let (_, created) = create(&app, other, None, job_body(&other_file, "png", "jpg")).await;
    // The first client's oldest job runs; the next claim is the other client's, although it came last.
    let db = &app.state.db;
    let first = db.claim_job(fileconv_server::store::records::now_ms(), 100, "w1", i64::MAX).await.unwrap().unwrap();
    assert_eq!(first.owner, format!("ip:{IP}"));
    let second = db.claim_job(fileconv_server::store::records::now_ms(), 100, "w1", i64::MAX).await.unwrap().unwrap();
    assert_eq!(second.id, created["jobId"].as_str().unwrap());
    // With one running job each and a cap of one per client, nothing more is claimed.
    assert!(db.claim_job(fileconv_server::store::records::now_ms(), 1, "w1", i64::MAX).await.unwrap().is_none());
}

#[tokio::test]
async fn a_job_whose_lease_ran_out_goes_back_once_and_its_old_worker_cannot_publish() {
    let app = app("").await;
    two_png_jobs(&app).await;
    let db = &app.state.db;
    let now = fileconv_server::store::records::now_ms();
    // A worker that then died holds the first job; a live one holds the second.
    let lost = db.claim_job(now, 100, "dead", now + 1000).await.unwrap().unwrap();
    let live = db.claim_job(now, 100, "live", now + 1000).await.unwrap().unwrap();
    assert!(db.renew_lease(&live.id, "live", now + 60_000, 40).await.unwrap());
    assert!(!db.renew_lease(&live.id, "dead", now + 60_000, 40).await.unwrap(), "only the holder renews");
    let (requeued, failed) = db.reap_expired_leases(now + 2000, fileconv_server::queue::MAX_ATTEMPTS).await.unwrap();
    assert_eq!((requeued, failed), (1, 0));
    let back = db.job(&lost.id).await.unwrap().unwrap();
    assert_eq!((back.status.as_str(), back.attempts, back.worker_id.as_deref()), ("pending", 1, None));
    assert_eq!(db.job(&live.id).await.unwrap().unwrap().progress, 40);
    // Another worker takes it; the dead one, were it only slow, can neither renew nor publish.
    let retaken = db.claim_job(now + 2000, 100, "other", now + 60_000).await.unwrap().unwrap();
    assert_eq!((retaken.id.as_str(), retaken.attempts), (lost.id.as_str(), 2));
    assert!(!db.renew_lease(&lost.id, "dead", now + 60_000, 0).await.unwrap());
    assert!(!db.complete_job(&lost.id, "dead", "results/x", 1, 0.0, &[], now).await.unwrap());
    assert!(db.complete_job(&lost.id, "other", "results/x", 1, 0.0, &[], now).await.unwrap());
    assert!(!db.complete_job(&lost.id, "other", "results/x", 1, 0.0, &[], now).await.unwrap(), "published once");
}

#[tokio::test]
async fn keys_select_plans_and_unknown_keys_are_401() {
    let app = app("[plans.plus]\napi_calls_per_month = 3").await;
    let (key, id, hash) = fileconv_server::http::auth::new_api_key();
    app.state.db.insert_key(&id, &hash, "plus", None, None, 0).await.unwrap();
    let body = json!({"fileName": "a.png", "fileSize": 1000});
    for bad in ["coco_0000", "sk_live_123"] {
        let (status, _, error) = app.json("POST", "/api/files/get-upload-url", IP, Some(bad), Some(body.clone())).await;
        assert_eq!((status, error["code"].as_str()), (401, Some("unauthorized")), "{bad}");
    }
    let request = axum::http::Request::builder().uri("/api/formats").header("authorization", "Basic abc").body(axum::body::Body::empty()).unwrap();
    assert_eq!(app.send(request).await.status(), 200, "formats need no key");
    let request = axum::http::Request::builder().uri("/api/jobs/x").header("authorization", "Basic abc").body(axum::body::Body::empty()).unwrap();
    assert_eq!(app.send(request).await.status(), 401);

    for _ in 0..3 {
        let (status, _, _) = app.json("POST", "/api/files/get-upload-url", IP, Some(&key), Some(body.clone())).await;
        assert_eq!(status, 200);
    }
    let (status, headers, error) = app.json("POST", "/api/files/get-upload-url", IP, Some(&key), Some(body.clone())).await;
    assert_eq!((status, error["code"].as_str()), (429, Some("quota_exceeded")), "{error}");
    assert!(headers["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);

    // Revoked keys are unknown.
    app.state.db.revoke_key(&id, "", 1).await.unwrap();
    let (status, _, _) = app.json("POST", "/api/files/get-upload-url", IP, Some(&key), Some(body)).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn size_limits_are_413() {
    let app = app("[plans.free]\nmax_file_mb = 1").await;
    let (status, _, error) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "a.png", "fileSize": 2 << 20}))).await;
    assert_eq!((status, error["code"].as_str()), (413, Some("too_large")), "{error}");

    let (status, _, body) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "a.png", "fileSize": 100}))).await;
    assert_eq!(status, 200);
    let (status, error) = app.put(body["uploadUrl"].as_str().unwrap(), IP, vec![0u8; 101]).await;
    assert_eq!((status, error["code"].as_str()), (413, Some("too_large")), "{error}");
    // Nothing was kept: the job cannot be created from it.
    let (status, error) = create(&app, IP, None, job_body(body["fileKey"].as_str().unwrap(), "png", "jpg")).await;
    assert_eq!((status, error["code"].as_str()), (409, Some("upload_incomplete")), "{error}");
}

#[tokio::test]
async fn signatures_are_checked_and_uploads_happen_once() {
    let app = app("").await;
    let (_, _, body) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(json!({"fileName": "a.png", "fileSize": 204800}))).await;
    let url = body["uploadUrl"].as_str().unwrap().to_string();
    let tampered = url.replace("signature=", "signature=00");
    assert_eq!(app.put(&tampered, IP, rose_png()).await.0, 403);
    let other_key = url.replace("/a.png?", "/b.png?");
    assert_eq!(app.put(&other_key, IP, rose_png()).await.0, 403);
    let (status, error) = app.put(&url.replace("expires=", "expires=1"), IP, rose_png()).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("bad_signature")));
    // A download signature does not open an upload.
    let key = body["fileKey"].as_str().unwrap();
    let expires = fileconv_server::store::records::now_ms() / 1000 + 60;
    let get_signature = app.state.signer.sign("GET", key, expires);
    assert_eq!(app.put(&format!("/storage/{key}?expires={expires}&signature={get_signature}"), IP, rose_png()).await.0, 403);
    // An expired, correctly signed URL.
    let past = fileconv_server::store::records::now_ms() / 1000 - 1;
    let signature = app.state.signer.sign("PUT", key, past);
    let (status, error) = app.put(&format!("/storage/{key}?expires={past}&signature={signature}"), IP, rose_png()).await;
    assert_eq!(status, 403);
    assert!(error["error"].as_str().unwrap().contains("expired"));
    // A signed URL for a file nobody reserved.
    let signature = app.state.signer.sign("PUT", "uploads/none/x.png", expires);
    assert_eq!(app.put(&format!("/storage/uploads/none/x.png?expires={expires}&signature={signature}"), IP, rose_png()).await.0, 404);

    assert_eq!(app.put(&url, IP, rose_png()).await.0, 200);
    let (status, error) = app.put(&url, IP, rose_png()).await;
    assert_eq!((status, error["code"].as_str()), (409, Some("already_uploaded")));
    // Missing query: 400 from the extractor.
    assert_eq!(app.get_bytes(path_of(&url).split('?').next().unwrap(), IP).await.0, 400);
}

#[tokio::test]
async fn create_refuses_what_it_can_tell_is_wrong() {
    let app = app("").await;
    let png = app.upload(IP, None, "a.png", rose_png()).await;
    let text = app.upload(IP, None, "notes.png", b"just some text, not an image".to_vec()).await;

    let (status, error) = create(&app, IP, None, job_body(&png, "png", "mp3")).await;
    assert_eq!((status, error["code"].as_str()), (415, Some("unsupported_conversion")), "{error}");
    let (status, error) = create(&app, IP, None, job_body(&png, "png", "xyz")).await;
    assert_eq!((status, error["code"].as_str()), (415, Some("unsupported_conversion")), "{error}");
    let (status, error) = create(&app, IP, None, job_body(&text, "png", "jpg")).await;
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_input")), "{error}");
    let (status, error) = create(&app, IP, None, job_body(&png, "jpg", "png")).await;
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_input")), "{error}");
    assert!(error["error"].as_str().unwrap().contains("png"), "{error}");
    let mut with_option = job_body(&png, "png", "jpg");
    with_option["options"] = json!({"quality": 500});
    let (status, error) = create(&app, IP, None, with_option.clone()).await;
    assert_eq!((status, error["code"].as_str()), (400, Some("invalid_option")), "{error}");
    with_option["options"] = json!({"colour": "red"});
    assert_eq!(create(&app, IP, None, with_option).await.0, 400);
    let (status, error) = create(&app, IP, None, job_body("uploads/nope/a.png", "png", "jpg")).await;
    assert_eq!((status, error["code"].as_str()), (404, Some("not_found")));

    // Another client (another IP, or a key) cannot see the file.
    assert_eq!(create(&app, "10.0.0.2", None, job_body(&png, "png", "jpg")).await.0, 404);
    let (key, id, hash) = fileconv_server::http::auth::new_api_key();
    app.state.db.insert_key(&id, &hash, "pro", None, None, 0).await.unwrap();
    assert_eq!(create(&app, IP, Some(&key), job_body(&png, "png", "jpg")).await.0, 404);
}

#[tokio::test]
async fn jobs_are_private_fail_clearly_and_can_be_deleted() {
    let app = app("").await;
    app.workers(1);
    // A PNG signature with nothing valid behind it: accepted at create, fails in the conversion.
    let mut broken = rose_png();
    broken.truncate(60);
    let file = app.upload(IP, None, "broken.png", broken).await;
    let (status, created) = create(&app, IP, None, job_body(&file, "png", "webp")).await;
    assert_eq!(status, 200, "{created}");
    let job = created["jobId"].as_str().unwrap().to_string();
    let (_, _, body) = app.json("GET", &format!("/api/jobs/{job}"), IP, None, None).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert!(body["downloadUrl"].is_null());
    assert!(body["error"].as_str().unwrap().contains("png"), "{body}");
    assert_eq!(body["errorCode"], "invalid_input", "{body}");
    assert!(body["completedAt"].is_string());

    assert_eq!(app.json("GET", &format!("/api/jobs/{job}"), "10.9.9.9", None, None).await.0, 404);
    assert_eq!(app.json("DELETE", &format!("/api/jobs/{job}"), "10.9.9.9", None, None).await.0, 404);
    assert_eq!(app.json("DELETE", &format!("/api/jobs/{job}"), IP, None, None).await.0, 204);
    assert_eq!(app.json("GET", &format!("/api/jobs/{job}"), IP, None, None).await.0, 404);
    assert_eq!(app.json("GET", "/api/jobs/does-not-exist", IP, None, None).await.0, 404);

    // A completed job's result goes with it.
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    let (_, created) = create(&app, IP, None, job_body(&file, "png", "bmp")).await;
    let job = created["jobId"].as_str().unwrap().to_string();
    let (_, _, body) = app.json("GET", &format!("/api/jobs/{job}"), IP, None, None).await;
    let download = body["downloadUrl"].as_str().unwrap().to_string();
    assert_eq!(app.get_bytes(&download, IP).await.0, 200);
    assert_eq!(app.json("DELETE", &format!("/api/jobs/{job}"), IP, None, None).await.0, 204);
    assert_eq!(app.get_bytes(&download, IP).await.0, 404);
}

#[tokio::test]
async fn a_pending_job_is_answered_after_the_wait() {
    let app = app("job_wait_seconds = 0.2").await;
    // No workers: the job stays pending.
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    let (_, created) = create(&app, IP, None, job_body(&file, "png", "jpg")).await;
    let started = std::time::Instant::now();
    let (status, _, body) = app.json("GET", &format!("/api/jobs/{}", created["jobId"].as_str().unwrap()), IP, None, None).await;
    assert_eq!((status, body["status"].as_str(), body["progress"].as_u64()), (200, Some("pending"), Some(0)));
    assert!(body["downloadUrl"].is_null() && body["completedAt"].is_null());
    assert!(started.elapsed().as_millis() >= 150);
    let (_, _, body) = app.json("GET", &format!("/api/jobs/{}?wait=0", created["jobId"].as_str().unwrap()), IP, None, None).await;
    assert_eq!(body["status"], "pending");
}

#[tokio::test]
async fn rate_limits_and_quotas_are_429_with_retry_after() {
    let app = app("[rate_limits]\nupload_per_minute = 2\nother_per_minute = 3\n[plans.free]\nfiles_per_hour = 1").await;
    let body = json!({"fileName": "a.png", "fileSize": 100});
    let (status, _, _) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(body.clone())).await;
    assert_eq!(status, 200);
    let (status, headers, error) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(body.clone())).await;
    assert_eq!((status, error["code"].as_str()), (429, Some("quota_exceeded")), "{error}");
    assert!(headers.contains_key("retry-after"));
    let (status, headers, error) = app.json("POST", "/api/files/get-upload-url", IP, None, Some(body.clone())).await;
    assert_eq!((status, error["code"].as_str()), (429, Some("rate_limited")), "{error}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    // Another address has its own budget; the other class too.
    assert_eq!(app.json("POST", "/api/files/get-upload-url", "10.0.0.7", None, Some(body)).await.0, 200);
    for expected in [404, 404, 404, 429] {
        assert_eq!(app.json("GET", "/api/jobs/x", IP, None, None).await.0, expected);
    }
    // Health and metrics are not limited.
    for _ in 0..5 {
        assert_eq!(app.json("GET", "/health", IP, None, None).await.0, 200);
    }
}

#[tokio::test]
async fn service_routes_describe_the_service() {
    let app = app("").await;
    let (status, _, health) = app.json("GET", "/health", IP, None, None).await;
    let database = if app.state.db.is_sqlite() { "sqlite" } else { "postgres" };
    assert_eq!((status, health["status"].as_str(), health["database"].as_str()), (200, Some("ok"), Some(database)));

    let (status, _, formats) = app.json("GET", "/api/formats", IP, None, None).await;
    assert_eq!(status, 200);
    let conversions = formats["conversions"].as_array().unwrap();
    assert_eq!(conversions.len(), fileconv::engine().conversions().len());
    let png_jpg = conversions.iter().find(|c| c["from"] == "png" && c["to"] == "jpg").unwrap();
    assert!(png_jpg["options"].as_array().unwrap().iter().any(|o| o["name"] == "quality"));
    assert!(formats["formats"].as_array().unwrap().len() >= 50);

    let (status, _, openapi) = app.json("GET", "/api/openapi.json", IP, None, None).await;
    assert_eq!(status, 200);
    for path in ["/api/files/get-upload-url", "/api/jobs/create", "/api/jobs/{jobId}", "/api/formats", "/health"] {
        assert!(openapi["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    let job = &openapi["components"]["schemas"]["JobResponse"]["properties"];
    for field in ["jobId", "status", "downloadUrl", "error", "sourceFormat", "targetFormat", "fileName", "cpuMinutes", "createdAt", "completedAt", "progress"] {
        assert!(job[field].is_object(), "JobResponse.{field} missing");
    }

    let request = axum::http::Request::builder().uri("/metrics").body(axum::body::Body::empty()).unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), 200);
    let text = String::from_utf8(http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("fileconv_http_requests_total{method=\"GET\",route=\"/api/formats\",status=\"200\"} 1"), "{text}");
    assert!(text.contains("fileconv_jobs_pending 0"));
}

#[tokio::test]
async fn the_sweeper_deletes_expired_files_and_jobs() {
    let app = app("file_ttl_hours = 0.0000001").await;
    app.workers(1);
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    // Created before the sweep, its record expires at once; the job itself is made first.
    let (status, created) = create(&app, IP, None, job_body(&file, "png", "gif")).await;
    assert_eq!(status, 200, "{created}");
    let job = created["jobId"].as_str().unwrap().to_string();
    let (_, _, body) = app.json("GET", &format!("/api/jobs/{job}"), IP, None, None).await;
    assert_eq!(body["status"], "completed", "{body}");
    let objects = app.dir.path().join("objects");
    assert!(objects.join(&file).is_file());
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let (files, jobs) = fileconv_server::app::sweep(&app.state).await.unwrap();
    assert_eq!((files, jobs), (1, 1));
    assert!(!objects.join(&file).exists());
    assert_eq!(app.json("GET", &format!("/api/jobs/{job}"), IP, None, None).await.0, 404);
    assert!(app.state.db.file_by_key(&file).await.unwrap().is_none());

    // Leftovers of work that died with a process go once they are older than the longest job.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3 * 24 * 3600);
    let leftovers = [app.dir.path().join("tmp/.out.jpg.77-0.part"), objects.join("uploads/x/a.png#3")];
    for path in &leftovers {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::File::create(path).unwrap().set_modified(old).unwrap();
    }
    let fresh = app.dir.path().join("tmp/.running.part");
    std::fs::write(&fresh, b"x").unwrap();
    fileconv_server::app::sweep(&app.state).await.unwrap();
    assert!(leftovers.iter().all(|p| !p.exists()));
    assert!(fresh.exists());
}

#[tokio::test]
async fn a_job_whose_worker_died_twice_fails_with_its_code() {
    let app = app("").await;
    let ids = two_png_jobs(&app).await;
    let db = &app.state.db;
    let now = fileconv_server::store::records::now_ms();
    // A shutdown gives the attempt back; a lease running out does not.
    let first = db.claim_job(now, 100, "w1", now + 1000).await.unwrap().unwrap();
    db.requeue_job(&first.id, "w1", true).await.unwrap();
    assert_eq!(db.job(&first.id).await.unwrap().unwrap().attempts, 0);
    for round in 1..=2 {
        let a = db.claim_job(now, 100, "w1", now + 1000).await.unwrap().unwrap();
        let b = db.claim_job(now, 100, "w1", now + 1000).await.unwrap().unwrap();
        assert_eq!((a.attempts, b.attempts), (round, round));
        let reaped = db.reap_expired_leases(now + 2000, fileconv_server::queue::MAX_ATTEMPTS).await.unwrap();
        assert_eq!(reaped, if round == 1 { (2, 0) } else { (0, 2) });
    }
    let (_, _, body) = app.json("GET", &format!("/api/jobs/{}", ids[0]), IP, None, None).await;
    assert_eq!((body["status"].as_str(), body["errorCode"].as_str()), (Some("failed"), Some("internal")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("2 times"), "{body}");
}

#[tokio::test]
async fn a_conversion_that_overruns_its_limit_ends_the_job_at_the_limit() {
    // One AV1 encode at the slowest speed cannot be interrupted and takes
    // far longer than the plan's second: the job ends a second after it.
    let app = app("[plans.free]\nmax_job_seconds = 1").await;
    app.workers(1);
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    let mut body = job_body(&file, "png", "avif");
    body["options"] = json!({"speed": 1, "width": 1600});
    let (status, created) = create(&app, IP, None, body).await;
    assert_eq!(status, 200, "{created}");
    let started = std::time::Instant::now();
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}?wait=10", created["jobId"].as_str().unwrap()), IP, None, None).await;
    let took = started.elapsed();
    assert_eq!(job["status"], "failed", "{job}");
    let error = job["error"].as_str().unwrap();
    assert!(error.contains("took longer than the 1 s") || error.contains("wall time"), "{error}");
    assert_eq!(job["errorCode"], "timeout", "{job}");
    assert!(took < std::time::Duration::from_millis(2500), "ended after {took:?}: {error}");
}

#[tokio::test]
async fn a_file_past_the_plan_s_limits_fails_with_limit_exceeded() {
    let app = app("[plans.free]\nmax_pixels = 100").await;
    app.workers(1);
    let file = app.upload(IP, None, "a.png", rose_png()).await;
    let (status, created) = create(&app, IP, None, job_body(&file, "png", "jpg")).await;
    assert_eq!(status, 200, "{created}");
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}", created["jobId"].as_str().unwrap()), IP, None, None).await;
    assert_eq!((job["status"].as_str(), job["errorCode"].as_str()), (Some("failed"), Some("limit_exceeded")), "{job}");
    assert!(job["error"].as_str().unwrap().contains("100"), "the message names the limit: {job}");
}

/// `POST uri` with a raw body; (status, headers, body).
async fn post_raw(app: &common::TestApp, uri: &str, ip: &str, content_type: &str, body: Vec<u8>) -> (u16, axum::http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    let request = axum::http::Request::builder().method("POST").uri(uri).header("x-forwarded-for", ip).header("content-type", content_type).body(axum::body::Body::from(body)).unwrap();
    let response = app.send(request).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn one_request_converts_a_file_of_each_family() {
    let app = app("").await;
    app.workers(2);
    let cases = [
        ("image/rose.png", "png", "jpg"),
        ("audio/tone.wav", "wav", "flac"),
        ("video/clip.mp4", "mp4", "png"),
        ("document/sample.md", "md", "html"),
        ("sheet/book.csv", "csv", "json"),
    ];
    for (n, (fixture, from, to)) in cases.into_iter().enumerate() {
        let input = std::fs::read(common::testdata(fixture)).unwrap();
        let name = fixture.rsplit('/').next().unwrap();
        // Named, without `from`: the bytes or the name say what it is.
        let ip = format!("10.20.0.{n}");
        let (status, headers, body) = post_raw(&app, &format!("/api/convert?to={to}&name={name}"), &ip, "application/octet-stream", input.clone()).await;
        assert_eq!(status, 200, "{fixture}: {}", String::from_utf8_lossy(&body));
        let expected = fileconv::convert(&input, from, to).unwrap();
        let mime = fileconv::engine().format(to).unwrap().mime;
        assert_eq!(headers["content-type"], mime, "{fixture}");
        let stem = name.rsplit_once('.').unwrap().0;
        assert_eq!(headers["content-disposition"], format!("attachment; filename=\"{stem}.{to}\"").as_str(), "{fixture}");
        assert_eq!(headers["content-length"], body.len().to_string().as_str());
        if to == "jpg" || to == "png" {
            assert_eq!(image_size(&body, to), image_size(&expected, to), "{fixture}");
        } else {
            assert!(body == expected, "{fixture}: the result differs from the library's own conversion");
        }
        // The job behind it is the client's, and completed.
        let job_id = headers["x-job-id"].to_str().unwrap();
        let (_, _, job) = app.json("GET", &format!("/api/jobs/{job_id}"), &ip, None, None).await;
        assert_eq!((job["status"].as_str(), job["sourceFormat"].as_str(), job["targetFormat"].as_str()), (Some("completed"), Some(from), Some(to)), "{job}");
    }
}

#[tokio::test]
async fn one_request_takes_multipart_forms_and_says_what_fails() {
    let app = app("[convert]\nmax_mb = 1").await;
    app.workers(1);
    // A form with the file first and the parameters after it, as curl -F sends them.
    let boundary = "x-fileconv-boundary";
    let mut form = Vec::new();
    form.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"my rose.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    form.extend_from_slice(&rose_png());
    form.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nwebp\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"width\"\r\n\r\n20\r\n--{boundary}--\r\n").as_bytes());
    let (status, headers, body) = post_raw(&app, "/api/convert", "10.21.0.1", &format!("multipart/form-data; boundary={boundary}"), form).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(image_size(&body, "webp").0, 20, "the option from the form was applied");
    assert_eq!(headers["content-disposition"], "attachment; filename=\"my_rose.webp\"; filename*=UTF-8''my%20rose.webp");

    // Past the one-request size: 413, pointing at the four steps.
    let (status, _, body) = post_raw(&app, "/api/convert?to=png&from=bmp", "10.21.0.2", "image/bmp", vec![0u8; 1_100_000]).await;
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, error["code"].as_str()), (413, Some("too_large")), "{error}");
    assert!(error["error"].as_str().unwrap().contains("get-upload-url"), "{error}");

    // A file that is another format than claimed: 422 format_mismatch or invalid_input, with the job's message.
    let jpeg = std::fs::read(common::testdata("image/rose.jpg")).unwrap();
    let (status, _, body) = post_raw(&app, "/api/convert?to=webp&from=png", "10.21.0.3", "image/png", jpeg).await;
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 422, "{error}");
    assert!(error["error"].as_str().unwrap().contains("jpg") || error["error"].as_str().unwrap().contains("jpeg"), "{error}");

    // A broken file: the job fails, and the request says why with the job's errorCode.
    let mut broken = rose_png();
    broken.truncate(60);
    let (status, headers, body) = post_raw(&app, "/api/convert?to=webp&from=png", "10.21.0.4", "image/png", broken).await;
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, error["code"].as_str()), (422, Some("invalid_input")), "{error}");
    assert!(headers.contains_key("x-job-id"));

    // No target, an unknown one, an unrecognisable file without `from`.
    assert_eq!(post_raw(&app, "/api/convert", "10.21.0.5", "image/png", rose_png()).await.0, 400);
    assert_eq!(post_raw(&app, "/api/convert?to=nope", "10.21.0.6", "image/png", rose_png()).await.0, 415);
    assert_eq!(post_raw(&app, "/api/convert?to=png", "10.21.0.7", "application/octet-stream", b"\x01\x02\x03 nothing at all".to_vec()).await.0, 422);
}

#[tokio::test]
async fn one_request_past_its_time_is_408_and_the_job_goes_on() {
    let app = app("[convert]\nmax_seconds = 1").await;
    app.workers(1);
    let started = std::time::Instant::now();
    let (status, _, body) = post_raw(&app, "/api/convert?to=avif&from=png&speed=1&width=1600", "10.22.0.1", "image/png", rose_png()).await;
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, error["code"].as_str()), (408, Some("timeout")), "{error}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let message = error["error"].as_str().unwrap();
    let job_id = message.split("as job ").nth(1).unwrap().split(':').next().unwrap();
    let (status, _, job) = app.json("GET", &format!("/api/jobs/{job_id}?wait=0"), "10.22.0.1", None, None).await;
    assert_eq!(status, 200, "{job}");
    assert!(job["status"] == "processing" || job["status"] == "pending" || job["status"] == "completed", "{job}");
}

#[tokio::test]
async fn one_request_counts_as_an_upload_and_a_create() {
    let app = app("[rate_limits]\nupload_per_minute = 5").await;
    app.workers(1);
    let ip = "10.23.0.1";
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(post_raw(&app, "/api/convert?to=bmp&from=png", ip, "image/png", rose_png()).await.0);
    }
    assert_eq!(statuses, [200, 200, 429], "two units each: 5 allow two");
}

/// Loopback receivers allowed, retries within a second, and room for the jobs.
const WEBHOOK_SETTINGS: &str = "max_pending_jobs_per_client = 100\n[webhooks]\nallowed_hosts = [\"127.0.0.1\"]\nretry_schedule_seconds = [0, 0.2, 0.3, 0.4]\n[rate_limits]\nupload_per_minute = 1000\n[plans.free]\nfiles_per_hour = 1000\nconversions_per_day = 1000\n";

/// Verifies a delivery as a receiver would, with the Standard Webhooks
/// reference library, and returns its body.
fn verified(hit: &common::receiver::Hit, secret: &str) -> serde_json::Value {
    standardwebhooks::Webhook::new(secret).unwrap().verify(&hit.body, &hit.headers).unwrap_or_else(|e| panic!("{e:?}: {:?}", hit.headers));
    serde_json::from_slice(&hit.body).unwrap()
}

async fn finished_job(app: &common::TestApp, ip: &str, body: serde_json::Value) -> (serde_json::Value, serde_json::Value) {
    let (status, created) = create(app, ip, None, body).await;
    assert_eq!(status, 200, "{created}");
    let (_, _, job) = app.json("GET", &format!("/api/jobs/{}?wait=20", created["jobId"].as_str().unwrap()), ip, None, None).await;
    (created, job)
}

#[tokio::test]
async fn webhooks_are_signed_retried_and_disabled_by_410() {
    let app = app(WEBHOOK_SETTINGS).await;
    app.workers(2);
    app.deliveries();
    let ip = "10.30.0.1";
    // A registered endpoint hears both events of the client's jobs.
    let receiver = common::receiver::Receiver::start(&[]).await;
    let (status, _, endpoint) = app.json("POST", "/api/webhooks", ip, None, Some(json!({"url": receiver.url}))).await;
    assert_eq!(status, 201, "{endpoint}");
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(endpoint["events"], json!(["job.completed", "job.failed"]));
    let file = app.upload(ip, None, "a.png", rose_png()).await;
    let (created, job) = finished_job(&app, ip, job_body(&file, "png", "jpg")).await;
    assert_eq!(job["status"], "completed");
    let mut broken = rose_png();
    broken.truncate(60);
    let file = app.upload(ip, None, "broken.png", broken).await;
    let (_, failed) = finished_job(&app, ip, job_body(&file, "png", "webp")).await;
    assert_eq!(failed["status"], "failed");
    let hits = receiver.wait_for(2, std::time::Duration::from_secs(10)).await;
    let bodies: Vec<serde_json::Value> = hits.iter().map(|hit| verified(hit, &secret)).collect();
    let completed = bodies.iter().find(|b| b["type"] == "job.completed").expect("a job.completed delivery");
    assert_eq!(completed["data"]["jobId"], created["jobId"]);
    assert_eq!((completed["data"]["status"].as_str(), completed["data"]["fileName"].as_str()), (Some("completed"), Some("a.jpg")));
    let download = completed["data"]["downloadUrl"].as_str().unwrap();
    let (status, bytes, _) = app.get_bytes(download, ip).await;
    assert_eq!((status, image_size(&bytes, "jpg")), (200, image_size(&rose_png(), "png")), "the delivery's download URL works");
    let failure = bodies.iter().find(|b| b["type"] == "job.failed").expect("a job.failed delivery");
    assert_eq!((failure["data"]["jobId"].as_str(), failure["data"]["errorCode"].as_str()), (failed["jobId"].as_str(), Some("invalid_input")));
    assert!(completed["timestamp"].as_str().unwrap().ends_with('Z'));
    // A tampered body does not verify.
    let mut forged = hits[0].clone();
    forged.body = axum::body::Bytes::from(String::from_utf8_lossy(&forged.body).replace("completed", "failed"));
    assert_ne!(forged.body, hits[0].body);
    assert!(standardwebhooks::Webhook::new(&secret).unwrap().verify(&forged.body, &forged.headers).is_err());

    // A job's own webhookUrl: its secret comes once with the job; a receiver
    // that answers 500 twice gets the third attempt.
    let flaky = common::receiver::Receiver::start(&[500, 500]).await;
    let file = app.upload(ip, None, "b.png", rose_png()).await;
    let mut body = job_body(&file, "png", "bmp");
    body["webhookUrl"] = json!(flaky.url);
    let (created, _) = finished_job(&app, ip, body).await;
    let job_secret = created["webhookSecret"].as_str().expect("the secret of a new job endpoint").to_string();
    let hits = flaky.wait_for(3, std::time::Duration::from_secs(10)).await;
    let ids: Vec<&str> = hits.iter().map(|h| h.headers["webhook-id"].to_str().unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one message id on every attempt: {ids:?}");
    for hit in &hits {
        assert_eq!(verified(hit, &job_secret)["data"]["jobId"], created["jobId"]);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, _, deliveries) = app.json("GET", &format!("/api/jobs/{}/deliveries", created["jobId"].as_str().unwrap()), ip, None, None).await;
    let delivery = deliveries["deliveries"].as_array().unwrap().iter().find(|d| d["url"] == flaky.url.as_str()).unwrap();
    assert_eq!((delivery["state"].as_str(), delivery["event"].as_str()), (Some("delivered"), Some("job.completed")), "{deliveries}");
    let statuses: Vec<i64> = delivery["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_i64().unwrap()).collect();
    assert_eq!(statuses, [500, 500, 200], "{deliveries}");
    // The registered endpoint heard that job too.
    receiver.wait_for(3, std::time::Duration::from_secs(10)).await;
    // A second job naming the same URL reuses its endpoint: no new secret.
    let file = app.upload(ip, None, "c.png", rose_png()).await;
    let mut body = job_body(&file, "png", "bmp");
    body["webhookUrl"] = json!(flaky.url);
    let (again, _) = finished_job(&app, ip, body).await;
    assert!(again.get("webhookSecret").is_none() && again["webhookId"] == created["webhookId"], "{again}");
    flaky.wait_for(4, std::time::Duration::from_secs(10)).await;

    // Rotation: deliveries carry both signatures for a day.
    let id = endpoint["id"].as_str().unwrap();
    let (status, _, rotated) = app.json("POST", &format!("/api/webhooks/{id}/rotate"), ip, None, None).await;
    assert_eq!(status, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    // The endpoint has heard jobs a, broken, b and c; deliveries of c may
    // still be arriving, so the rotated one is found by its job.
    let before = receiver.wait_for(4, std::time::Duration::from_secs(10)).await.len();
    let file = app.upload(ip, None, "d.png", rose_png()).await;
    let (rotated_job, _) = finished_job(&app, ip, job_body(&file, "png", "bmp")).await;
    let hits = receiver.wait_for(before + 1, std::time::Duration::from_secs(10)).await;
    let last = hits
        .iter()
        .find(|hit| serde_json::from_slice::<serde_json::Value>(&hit.body).unwrap()["data"]["jobId"] == rotated_job["jobId"])
        .expect("a delivery of the job made after rotation");
    verified(last, &secret);
    verified(last, &new_secret);
    assert_eq!(last.headers["webhook-signature"].to_str().unwrap().split(' ').count(), 2);

    // 410 Gone disables the endpoint: one attempt, then nothing more.
    let gone = common::receiver::Receiver::start(&[410]).await;
    let (_, _, gone_endpoint) = app.json("POST", "/api/webhooks", ip, None, Some(json!({"url": gone.url, "events": ["job.completed"]}))).await;
    let file = app.upload(ip, None, "e.png", rose_png()).await;
    finished_job(&app, ip, job_body(&file, "png", "bmp")).await;
    gone.wait_for(1, std::time::Duration::from_secs(10)).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, _, list) = app.json("GET", "/api/webhooks", ip, None, None).await;
    let listed = list["webhooks"].as_array().unwrap().iter().find(|w| w["id"] == gone_endpoint["id"]).unwrap().clone();
    assert!(listed["disabled"].as_str().unwrap().contains("410"), "{listed}");
    assert!(listed.get("secret").is_none(), "secrets are shown once: {listed}");
    let file = app.upload(ip, None, "f.png", rose_png()).await;
    finished_job(&app, ip, job_body(&file, "png", "bmp")).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(gone.hits().len(), 1, "a disabled endpoint gets nothing more");
    // Endpoints are private and can be deleted.
    assert_eq!(app.json("DELETE", &format!("/api/webhooks/{id}"), "10.30.9.9", None, None).await.0, 404);
    assert_eq!(app.json("DELETE", &format!("/api/webhooks/{id}"), ip, None, None).await.0, 204);
}

#[tokio::test]
async fn webhook_urls_to_internal_addresses_are_refused() {
    let app = app("[rate_limits]\nupload_per_minute = 1000\n[plans.free]\nfiles_per_hour = 1000\nconversions_per_day = 1000\n").await;
    app.workers(1);
    app.deliveries();
    let ip = "10.31.0.1";
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://10.0.0.5/hook",
        "http://192.168.0.1/hook",
        "http://172.20.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://224.0.0.251/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let (status, _, error) = app.json("POST", "/api/webhooks", ip, None, Some(json!({"url": url}))).await;
        assert_eq!((status, error["code"].as_str()), (400, Some("invalid_webhook_url")), "{url}: {error}");
        let file = app.upload(ip, None, "a.png", rose_png()).await;
        let mut body = job_body(&file, "png", "jpg");
        body["webhookUrl"] = json!(url);
        let (status, error) = create(&app, ip, None, body).await;
        assert_eq!((status, error["code"].as_str()), (400, Some("invalid_webhook_url")), "{url}: {error}");
    }
    // An endpoint whose name resolves to loopback when it is sent to (as
    // after DNS rebinding) is refused at the connection, not only at registration.
    let receiver = common::receiver::Receiver::start(&[]).await;
    let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let endpoint = fileconv_server::store::webhooks::Endpoint {
        id: "wh_rebound".into(),
        owner: format!("ip:{ip}"),
        url: format!("http://localhost:{port}/hook"),
        events: vec!["job.completed".into()],
        named_only: false,
        secret: fileconv_server::webhooks::signature::new_secret(),
        old_secret: None,
        old_secret_until: None,
        disabled_at: None,
        disabled_reason: None,
        created_at: fileconv_server::store::records::now_ms(),
    };
    app.state.db.insert_endpoint(&endpoint).await.unwrap();
    let file = app.upload(ip, None, "a.png", rose_png()).await;
    let (created, job) = finished_job(&app, ip, job_body(&file, "png", "jpg")).await;
    assert_eq!(job["status"], "completed");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let attempt = loop {
        let (_, _, deliveries) = app.json("GET", &format!("/api/jobs/{}/deliveries", created["jobId"].as_str().unwrap()), ip, None, None).await;
        if let Some(attempt) = deliveries["deliveries"][0]["attempts"].get(0) {
            break attempt.clone();
        }
        assert!(std::time::Instant::now() < deadline, "{deliveries}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(attempt["status"].is_null(), "{attempt}");
    assert!(attempt["error"].as_str().unwrap().contains("loopback"), "{attempt}");
    assert!(receiver.hits().is_empty(), "nothing reached the loopback receiver");
}

#[tokio::test]
async fn webhook_delivery_latency_after_completion() {
    let app = app(WEBHOOK_SETTINGS).await;
    app.workers(2);
    app.deliveries();
    let ip = "10.32.0.1";
    let receiver = common::receiver::Receiver::start(&[]).await;
    let (status, _, endpoint) = app.json("POST", "/api/webhooks", ip, None, Some(json!({"url": receiver.url, "events": ["job.completed"]}))).await;
    assert_eq!(status, 201, "{endpoint}");
    let jobs = 20;
    for n in 0..jobs {
        let file = app.upload(ip, None, &format!("{n}.png"), rose_png()).await;
        let (status, created) = create(&app, ip, None, job_body(&file, "png", "bmp")).await;
        assert_eq!(status, 200, "{created}");
    }
    let hits = receiver.wait_for(jobs, std::time::Duration::from_secs(60)).await;
    let mut latencies: Vec<i64> = hits
        .iter()
        .map(|hit| {
            let body = verified(hit, endpoint["secret"].as_str().unwrap());
            let completed = chrono::DateTime::parse_from_rfc3339(body["data"]["completedAt"].as_str().unwrap()).unwrap().timestamp_millis();
            hit.at - completed
        })
        .collect();
    latencies.sort_unstable();
    let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!("webhook delivery after completion over {jobs} jobs: p50 {} ms, p99 {} ms", p(0.5), p(0.99));
    assert!(latencies.iter().all(|l| *l >= 0), "{latencies:?}");
}
