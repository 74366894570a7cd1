//! What the service and a converter child say to each other: one JSON
//! object per line, requests on the child's stdin, replies on its stdout.

use std::path::PathBuf;

use fileconv::Options;
use serde::{Deserialize, Serialize};

use crate::config::Plan;
use crate::error::JobErrorCode;

/// One conversion for a child to run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub job: String,
    pub input: PathBuf,
    pub output: PathBuf,
    pub from: String,
    pub to: String,
    /// The job's options object, as JSON text.
    pub options: String,
    pub plan: Plan,
    /// [`crate::config::Config::memory_share`] of the service.
    pub memory_share: u64,
}

/// A line a child writes while it converts, then once at the end.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// 0 to 100.
    Progress(u32),
    Converted { notes: Vec<String>, cpu_seconds: f64 },
    /// The engine refused or failed: `code` is the job's `errorCode`.
    Failed { message: String, code: JobErrorCode, cpu_seconds: f64 },
}

/// The `options` object of a job, as engine options: strings, numbers and
/// booleans are taken as their text.
///
/// # Errors
/// A value that is an object, an array or null, or JSON that is not an object.
pub fn options_from_json(text: &str) -> Result<Options, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("options are not JSON: {e}"))?;
    let mut options = Options::new();
    let serde_json::Value::Object(map) = value else { return Err("options must be a JSON object".to_string()) };
    for (name, value) in map {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            _ => return Err(format!("option '{name}' must be a string, a number or a boolean")),
        };
        options.set(name, text);
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_take_strings_numbers_and_booleans() {
        let o = options_from_json(r#"{"quality": 80, "grayscale": true, "background": "white"}"#).unwrap();
        assert_eq!((o.get("quality"), o.get("grayscale"), o.get("background")), (Some("80"), Some("true"), Some("white")));
        assert!(options_from_json(r#"{"quality": [1]}"#).unwrap_err().contains("quality"));
        assert!(options_from_json("[]").is_err());
    }
}
