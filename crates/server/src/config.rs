//! The service's configuration: built-in defaults, overlaid by a TOML file,
//! overlaid by command-line flags.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Everything the service reads at start-up. Every field has a default, so
/// an empty file (or none) gives a working service on `127.0.0.1:8080`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Where SQLite, local objects, temporary files and the signing key live.
    pub data_dir: PathBuf,
    /// The base of the URLs handed to clients (`https://convert.example.com`).
    /// Unset: taken from each request's `Host` header.
    pub public_url: Option<String>,
    /// `sqlite://PATH` or `postgres://...`. Unset: `fileconv.db` under the data dir.
    pub database_url: Option<String>,
    pub storage: StorageConfig,
    /// Hex key for signing local upload and download URLs. Unset: a random
    /// key made once and kept in `signing.key` under the data dir.
    pub signing_secret: Option<String>,
    /// How long uploads, results and their records live.
    pub file_ttl_hours: f64,
    /// How often expired files and jobs are deleted.
    pub sweep_interval_seconds: u64,
    /// How long signed URLs work (the API's `expiresIn`).
    pub url_expiry_seconds: u64,
    /// Conversion workers; 0 means one per core.
    pub workers: usize,
    /// How long `GET /api/jobs/{id}` waits for an unfinished job before
    /// answering (a client polling once right after create sees small jobs done).
    pub job_wait_seconds: f64,
    /// On shutdown, how long running jobs may finish before they are stopped
    /// and put back in the queue.
    pub shutdown_grace_seconds: u64,
    /// Take the client address from `X-Forwarded-For` (behind a reverse proxy only).
    pub trust_forwarded_for: bool,
    /// `text` or `json` log lines.
    pub log_format: String,
    pub rate_limits: RateLimits,
    /// The plan without a key is `free`; keys name one of the others.
    pub plans: BTreeMap<String, Plan>,
}

/// Where uploads and results are kept.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// `local` (a folder under the data dir, URLs served by this service) or
    /// `s3` (any S3-compatible store, its own pre-signed URLs).
    pub kind: StorageKind,
    pub bucket: Option<String>,
    pub region: Option<String>,
    /// For S3-compatible stores other than AWS (`http://127.0.0.1:9000`).
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub allow_http: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    #[default]
    Local,
    S3,
}

/// Requests per client IP and minute.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// `POST /api/files/get-upload-url`, the upload `PUT` and `POST /api/jobs/create`.
    pub upload_per_minute: u32,
    /// Every other route but `/health` and `/metrics`.
    pub other_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { upload_per_minute: 20, other_per_minute: 60 }
    }
}

/// What a plan allows. Counts of 0 mean "no limit".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Largest upload, in MiB.
    pub max_file_mb: u64,
    /// Upload URLs per hour.
    pub files_per_hour: u64,
    /// Jobs created per day.
    pub conversions_per_day: u64,
    /// API requests per calendar month (keyed plans).
    pub api_calls_per_month: u64,
    /// Wall time of one conversion, in seconds.
    pub max_job_seconds: u64,
    /// Pixels of one decoded frame.
    pub max_pixels: u64,
}

impl Plan {
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_mb.saturating_mul(1 << 20)
    }

    /// The engine limits one job of this plan runs under.
    pub fn limits(&self) -> fileconv::Limits {
        let defaults = fileconv::Limits::default();
        fileconv::Limits {
            max_input_bytes: self.max_file_bytes(),
            max_pixels: self.max_pixels,
            max_wall_time: Some(Duration::from_secs(self.max_job_seconds.max(1))),
            // A result may be larger than its source (a PNG of a JPEG), not without bound.
            max_output_bytes: self.max_file_bytes().saturating_mul(4).clamp(64 << 20, defaults.max_output_bytes),
            ..defaults
        }
    }
}

fn plan(max_file_mb: u64, files_per_hour: u64, conversions_per_day: u64, api_calls_per_month: u64, max_job_seconds: u64) -> Plan {
    Plan { max_file_mb, files_per_hour, conversions_per_day, api_calls_per_month, max_job_seconds, max_pixels: 100_000_000 }
}

/// The name of the plan clients without a key are on.
pub const FREE_PLAN: &str = "free";

impl Default for Config {
    fn default() -> Self {
        let plans = BTreeMap::from([
            (FREE_PLAN.to_string(), plan(25, 20, 50, 0, 120)),
            ("plus".to_string(), plan(100, 100, 500, 1_000, 300)),
            ("pro".to_string(), plan(500, 500, 2_000, 10_000, 900)),
            ("business".to_string(), plan(1024, 2_000, 10_000, 50_000, 1800)),
            ("enterprise".to_string(), plan(4096, 10_000, 50_000, 100_000, 3600)),
        ]);
        Config {
            listen: "127.0.0.1:8080".to_string(),
            data_dir: PathBuf::from("./fileconv-data"),
            public_url: None,
            database_url: None,
            storage: StorageConfig::default(),
            signing_secret: None,
            file_ttl_hours: 24.0,
            sweep_interval_seconds: 60,
            url_expiry_seconds: 600,
            workers: 0,
            job_wait_seconds: 10.0,
            shutdown_grace_seconds: 30,
            trust_forwarded_for: false,
            log_format: "text".to_string(),
            rate_limits: RateLimits::default(),
            plans,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// The defaults overlaid by the TOML file at `path`: tables merge key by
    /// key, so `[plans.pro] max_file_mb = 900` changes that one number.
    ///
    /// # Errors
    /// The file cannot be read, is not TOML, names an unknown setting, or
    /// gives a value of the wrong type; or [`Config::validate`] fails.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else { return Ok(Config::default()) };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse { path: path.into(), message },
            other => other,
        })
    }

    /// As [`Config::load`], from TOML text.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let parse = |message: String| ConfigError::Parse { path: PathBuf::from("configuration"), message };
        let user: toml::Table = toml::from_str(text).map_err(|e| parse(e.to_string()))?;
        let mut merged = toml::Table::try_from(Config::default()).map_err(|e| parse(e.to_string()))?;
        merge(&mut merged, user);
        let config: Config = toml::Value::Table(merged).try_into().map_err(|e: toml::de::Error| parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// # Errors
    /// [`ConfigError::Invalid`] for settings that cannot work together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if !self.plans.contains_key(FREE_PLAN) {
            return invalid("plans.free is required: it is the plan of clients without a key");
        }
        if self.file_ttl_hours.is_nan() || self.file_ttl_hours <= 0.0 {
            return invalid("file_ttl_hours must be above 0");
        }
        if self.url_expiry_seconds == 0 {
            return invalid("url_expiry_seconds must be above 0");
        }
        if !(0.0..=60.0).contains(&self.job_wait_seconds) {
            return invalid("job_wait_seconds must be from 0 to 60");
        }
        if self.log_format != "text" && self.log_format != "json" {
            return invalid("log_format is text or json");
        }
        if self.storage.kind == StorageKind::S3 && self.storage.bucket.is_none() {
            return invalid("storage.bucket is required for storage.kind = \"s3\"");
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return invalid("public_url must start with http:// or https://");
            }
        }
        Ok(())
    }

    /// Settings from the environment, over the file's: `FILECONV_DATABASE_URL`
    /// and `FILECONV_PUBLIC_URL` (secrets and deployment addresses often
    /// arrive that way).
    ///
    /// # Errors
    /// As [`Config::validate`].
    pub fn apply_env(&mut self) -> Result<(), ConfigError> {
        if let Some(url) = std::env::var("FILECONV_DATABASE_URL").ok().filter(|v| !v.is_empty()) {
            self.database_url = Some(url);
        }
        if let Some(url) = std::env::var("FILECONV_PUBLIC_URL").ok().filter(|v| !v.is_empty()) {
            self.public_url = Some(url);
        }
        self.validate()
    }

    pub fn file_ttl(&self) -> Duration {
        Duration::from_secs_f64(self.file_ttl_hours * 3600.0)
    }

    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("fileconv.db").display()))
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (key, value) in overlay {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(inner)), toml::Value::Table(over)) => merge(inner, over),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_setting_overrides_one_number() {
        let config = Config::from_toml("[plans.pro]\nmax_file_mb = 900\n[rate_limits]\nupload_per_minute = 5").unwrap();
        assert_eq!(config.plans["pro"].max_file_mb, 900);
        assert_eq!(config.plans["pro"].api_calls_per_month, 10_000);
        assert_eq!(config.plans["plus"].api_calls_per_month, 1_000);
        assert_eq!(config.rate_limits.upload_per_minute, 5);
        assert_eq!(config.rate_limits.other_per_minute, 60);
    }

    #[test]
    fn a_new_plan_needs_every_setting_and_unknown_settings_are_refused() {
        assert!(Config::from_toml("[plans.team]\nmax_file_mb = 9").is_err());
        let err = Config::from_toml("listen_on = \"x\"").unwrap_err().to_string();
        assert!(err.contains("listen_on"), "{err}");
        let err = Config::from_toml("job_wait_seconds = 100.0").unwrap_err().to_string();
        assert!(err.contains("job_wait_seconds"), "{err}");
    }

    #[test]
    fn published_quotas_are_the_defaults() {
        let c = Config::default();
        let monthly: Vec<u64> = ["plus", "pro", "business", "enterprise"].iter().map(|p| c.plans[*p].api_calls_per_month).collect();
        assert_eq!(monthly, [1_000, 10_000, 50_000, 100_000]);
        assert_eq!((c.rate_limits.upload_per_minute, c.rate_limits.other_per_minute), (20, 60));
        assert_eq!(c.url_expiry_seconds, 600);
    }
}
