//! `fileconv convert --server URL`: the same conversion run by a remote
//! fileconv service (or any service speaking its API) through the
//! published four steps: an upload URL, the upload, a job, its polls, then
//! the download. Progress of the upload and of the conversion goes to a
//! bar on a terminal; the job's warnings and errors come out as the local
//! conversion's would, with the same exit codes.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use crate::exit::{self, Failure};

/// Where and as whom to convert.
pub struct Remote {
    base: String,
    key: Option<String>,
    agent: ureq::Agent,
}

impl Remote {
    pub fn new(server: &str, key: Option<String>) -> Result<Remote, Failure> {
        let base = server.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::usage(format!("--server takes an http:// or https:// URL, not {server}")));
        }
        let agent = ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(15)).timeout_read(Duration::from_secs(90)).build();
        Ok(Remote { base, key, agent })
    }

    /// Converts `input` (a file) to `output` (a file, or `-` for stdout),
    /// `from` → `to` with `options`.
    ///
    /// # Errors
    /// The service's refusal or the job's failure, with the exit code the
    /// same failure has locally; a connection that fails.
    pub fn convert(&self, input: &Path, output: &Path, from: &str, to: &str, options: &[(String, String)]) -> Result<(), Failure> {
        let size = std::fs::metadata(input)?.len();
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| format!("input.{from}"));
        let upload = self.call(self.request("POST", "/api/files/get-upload-url").send_json(json!({"fileName": name, "fileSize": size})))?;
        let upload_url = text(&upload, "uploadUrl")?;
        let bar = progress_bar(size);
        bar.set_message("uploading");
        let body = bar.wrap_read(std::fs::File::open(input)?);
        self.call_empty(self.agent.put(&upload_url).set("Content-Length", &size.to_string()).set("Content-Type", "application/octet-stream").send(body))?;
        let options: serde_json::Map<String, Value> = options.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let created = self.call(self.request("POST", "/api/jobs/create").send_json(json!({
            "fileKey": text(&upload, "fileKey")?,
            "sourceFormat": from,
            "targetFormat": to,
            "options": options,
        })))?;
        let job_id = text(&created, "jobId")?;
        bar.set_length(100);
        bar.set_position(0);
        bar.set_style(ProgressStyle::with_template("{bar:40} {pos:>3}% {elapsed_precise} {wide_msg}").expect("valid template"));
        bar.set_message("converting");
        let job = loop {
            let job = self.call(self.request("GET", &format!("/api/jobs/{job_id}?wait=10")).call())?;
            match job["status"].as_str() {
                Some("completed") | Some("failed") => break job,
                _ => bar.set_position(job["progress"].as_u64().unwrap_or(0).min(100)),
            }
        };
        bar.finish_and_clear();
        if job["status"] == "failed" {
            let code = job["errorCode"].as_str().unwrap_or("internal");
            let message = job["error"].as_str().unwrap_or("the conversion failed");
            return Err(Failure { message: format!("{message} (errorCode {code}, job {job_id})"), code: exit::for_job_error_code(code) });
        }
        for warning in job["warnings"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            eprintln!("fileconv: warning: {warning}");
        }
        let download = text(&job, "downloadUrl")?;
        let response = self.agent.get(&download).call().map_err(|e| transport_or_status(&download, e))?;
        let mut reader = response.into_reader();
        if output.as_os_str() == "-" {
            let mut stdout = std::io::stdout().lock();
            std::io::copy(&mut reader, &mut stdout)?;
            stdout.flush()?;
        } else {
            // Written beside the output and renamed, so that a broken download leaves nothing.
            let partial = output.with_extension(format!("{to}.part"));
            let written = std::fs::File::create(&partial).and_then(|mut file| std::io::copy(&mut reader, &mut file).and_then(|_| file.sync_all()));
            match written {
                Ok(()) => std::fs::rename(&partial, output)?,
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let request = self.agent.request(method, &format!("{}{path}", self.base));
        match &self.key {
            Some(key) => request.set("Authorization", &format!("Bearer {key}")),
            None => request,
        }
    }

    fn call(&self, result: Result<ureq::Response, ureq::Error>) -> Result<Value, Failure> {
        let response = result.map_err(|e| transport_or_status(&self.base, e))?;
        response.into_json().map_err(|e| Failure { message: format!("{}: the answer is not JSON: {e}", self.base), code: exit::OTHER })
    }

    fn call_empty(&self, result: Result<ureq::Response, ureq::Error>) -> Result<(), Failure> {
        result.map(drop).map_err(|e| transport_or_status(&self.base, e))
    }
}

/// A failed request as a failure: the service's `{error, code}` and the
/// exit code of its status, or what broke the connection.
fn transport_or_status(url: &str, e: ureq::Error) -> Failure {
    match e {
        ureq::Error::Status(status, response) => {
            let retry = response.header("retry-after").map(|s| format!(" (retry after {s} s)")).unwrap_or_default();
            let body: Value = response.into_json().unwrap_or(Value::Null);
            let message = body["error"].as_str().map_or_else(|| format!("HTTP {status}"), str::to_string);
            let code = body["code"].as_str().map(|c| format!(", {c}")).unwrap_or_default();
            Failure { message: format!("the service answered {status}{code}: {message}{retry}"), code: exit::for_http_status(status) }
        }
        ureq::Error::Transport(t) => Failure { message: format!("{url}: {t}"), code: exit::OTHER },
    }
}

fn text(value: &Value, field: &str) -> Result<String, Failure> {
    value[field].as_str().map(str::to_string).ok_or_else(|| Failure { message: format!("the service's answer has no {field}: {value}"), code: exit::OTHER })
}

/// A byte bar on a terminal, hidden otherwise.
fn progress_bar(bytes: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(bytes);
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {elapsed_precise} {wide_msg}").expect("valid template"));
    bar
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_http_servers_are_taken() {
        assert!(super::Remote::new("ftp://example.com", None).is_err());
        assert!(super::Remote::new("http://127.0.0.1:8080/", None).is_ok());
    }
}
