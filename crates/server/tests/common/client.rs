//! A client of the real service over HTTP, as an API user drives it.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
}

impl Client {
    pub async fn post(&self, path: &str, forwarded: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(xff) = forwarded {
            request = request.header("x-forwarded-for", xff);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, forwarded: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(xff) = forwarded {
            request = request.header("x-forwarded-for", xff);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Uploads `bytes` as `name` and creates a job; its id.
    pub async fn submit(&self, name: &str, bytes: &[u8], from: &str, to: &str, forwarded: Option<&str>) -> String {
        self.try_submit(name, bytes, from, to, forwarded).await.unwrap_or_else(|| panic!("{name}: upload or create failed"))
    }

    /// As [`Client::submit`], but `None` instead of a panic when a step fails
    /// (the process answering may have been killed).
    pub async fn try_submit(&self, name: &str, bytes: &[u8], from: &str, to: &str, forwarded: Option<&str>) -> Option<String> {
        let mut request = self.http.post(format!("{}/api/files/get-upload-url", self.base)).json(&json!({"fileName": name, "fileSize": bytes.len()}));
        if let Some(xff) = forwarded {
            request = request.header("x-forwarded-for", xff);
        }
        let url: Value = request.send().await.ok()?.json().await.ok()?;
        let put = self.http.put(url["uploadUrl"].as_str()?).body(bytes.to_vec()).send().await.ok()?;
        if put.status() != 200 {
            return None;
        }
        let mut request = self.http.post(format!("{}/api/jobs/create", self.base)).json(&json!({"fileKey": url["fileKey"], "sourceFormat": from, "targetFormat": to}));
        if let Some(xff) = forwarded {
            request = request.header("x-forwarded-for", xff);
        }
        let created: Value = request.send().await.ok()?.json().await.ok()?;
        created["jobId"].as_str().map(str::to_string)
    }

    /// Polls a job until it has ended; the job and how long it took from creation.
    pub async fn finish(&self, id: &str, forwarded: Option<&str>) -> (Value, f64) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (status, job) = self.get(&format!("/api/jobs/{id}?wait=10"), forwarded).await;
            assert_eq!(status, 200, "{job}");
            if job["status"] == "completed" || job["status"] == "failed" {
                let seconds = |field: &str| chrono_ms(job[field].as_str().unwrap()) as f64 / 1000.0;
                let took = seconds("completedAt") - seconds("createdAt");
                return (job, took);
            }
            assert!(Instant::now() < deadline, "job {id} never ended: {job}");
        }
    }
}

/// Milliseconds of an RFC 3339 UTC time with milliseconds, since midnight of its day
/// (jobs here begin and end within seconds, on the same day).
pub fn chrono_ms(text: &str) -> i64 {
    let time = &text[11..23];
    let h: i64 = time[0..2].parse().unwrap();
    let m: i64 = time[3..5].parse().unwrap();
    let s: i64 = time[6..8].parse().unwrap();
    let ms: i64 = time[9..12].parse().unwrap();
    ((h * 60 + m) * 60 + s) * 1000 + ms
}
