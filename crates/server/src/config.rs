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
    /// What this process does: `all` (the default: the API and the
    /// conversions), `api` (the API only) or `worker` (conversions only,
    /// serving `/health` and `/metrics`). Any number of `api` and `worker`
    /// processes share one database and one store.
    pub role: Role,
    /// The program converter children are started from. Unset: this very
    /// binary (`fileconv-server convert-child`).
    pub converter_program: Option<PathBuf>,
    /// Conversion workers; 0 means one per core.
    pub workers: usize,
    /// How long `GET /api/jobs/{id}` waits for an unfinished job before
    /// answering (a client polling once right after create sees small jobs done).
    pub job_wait_seconds: f64,
    /// On shutdown, how long running jobs may finish before they are stopped
    /// and put back in the queue.
    pub shutdown_grace_seconds: u64,
    /// Reverse proxies in front of the service, each appending to
    /// `X-Forwarded-For`: the client is the entry this many places from the
    /// right (0: the connection's own address; `X-Forwarded-For`,
    /// `X-Forwarded-Host` and `X-Forwarded-Proto` are then ignored).
    pub trusted_proxies: u32,
    /// Older spelling of `trusted_proxies = 1`.
    pub trust_forwarded_for: bool,
    /// Web origins (`https://app.example.com`) whose pages may call the API
    /// from a browser; `*` for any. The signed upload and download URLs
    /// work from any page.
    pub cors_allowed_origins: Vec<String>,
    /// Jobs one client (a key, or an address on the free tier) may have
    /// waiting at once; 0 for no limit.
    pub max_pending_jobs_per_client: u32,
    /// Workers one client's jobs may hold at once; 0 for all but one (so
    /// another client's job always finds a worker within one job's time).
    pub max_running_jobs_per_client: u32,
    pub http: HttpLimits,
    /// Bounds of the one-request conversion, `POST /api/convert`.
    pub convert: OneRequestLimits,
    /// Webhook deliveries.
    pub webhooks: WebhookSettings,
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

/// Bounds on connections, so that slow or idle clients cannot hold the
/// service's sockets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpLimits {
    /// A request's headers must arrive within this time; it is also how
    /// long an idle keep-alive connection is kept.
    pub header_read_timeout_seconds: u64,
    /// A connection on which nothing moves either way for this long is
    /// closed (above the 60 s a job poll may wait).
    pub idle_timeout_seconds: u64,
    /// An upload that sends nothing for this long fails with 408.
    pub body_timeout_seconds: u64,
    /// Connections open at once, in total.
    pub max_connections: u32,
    /// Connections open at once from one address (0: no limit; behind a
    /// proxy every connection comes from the proxy).
    pub max_connections_per_ip: u32,
    /// The request line and headers together.
    pub max_header_bytes: u32,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout_seconds: 15,
            idle_timeout_seconds: 75,
            body_timeout_seconds: 30,
            max_connections: 4096,
            max_connections_per_ip: 256,
            max_header_bytes: 64 << 10,
        }
    }
}

/// `POST /api/convert` answers with the result in the same request, so it
/// takes only files and conversions small enough for that; larger ones go
/// through the four-step API.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OneRequestLimits {
    /// The largest file, in MB (the plan's own limit applies too).
    pub max_mb: u64,
    /// The longest the request waits for its conversion, queue included.
    pub max_seconds: u64,
}

impl Default for OneRequestLimits {
    fn default() -> Self {
        OneRequestLimits { max_mb: 25, max_seconds: 60 }
    }
}

/// How webhooks are sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// Hosts (names or addresses, as written in URLs) that may be sent to
    /// even though they are loopback, private or link-local: for
    /// self-hosters whose receivers are internal. Empty by default.
    pub allowed_hosts: Vec<String>,
    /// Seconds before each attempt, the first counted from the job's end:
    /// the Standard Webhooks schedule by default (at once, 5 s, 5 min,
    /// 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h), each with ±10% jitter.
    pub retry_schedule_seconds: Vec<f64>,
    /// A receiver must answer within this time.
    pub timeout_seconds: u64,
    /// Deliveries one process sends at once.
    pub concurrency: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allowed_hosts: Vec::new(),
            retry_schedule_seconds: vec![0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 50400.0, 72000.0, 86400.0],
            timeout_seconds: 15,
            concurrency: 16,
        }
    }
}

/// Requests per client IP and minute.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    /// `POST /api/files/get-upload-url`, the upload `PUT` and `POST /api/jobs/create`.
    pub upload_per_minute: u32,
    /// Every other route but `/health`, `/metrics` and the pages' static assets.
    pub other_per_minute: u32,
    /// Sign-in and sign-up attempts (`POST /signin`, `POST /signup`).
    pub sign_in_per_minute: u32,
    /// Failed sign-ins to one account per hour, from any address.
    pub failed_sign_ins_per_hour: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits { upload_per_minute: 20, other_per_minute: 60, sign_in_per_minute: 10, failed_sign_ins_per_hour: 20 }
    }
}

/// What a process of the service does; see [`Config::role`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    All,
    Api,
    Worker,
}

impl Role {
    pub fn serves_api(self) -> bool {
        self != Role::Worker
    }

    pub fn converts(self) -> bool {
        self != Role::Api
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
    /// Memory one conversion may hold, in MiB (capped at start-up to the
    /// machine's memory shared among the workers).
    #[serde(default = "default_memory_mb")]
    pub max_memory_mb: u64,
}

fn default_memory_mb() -> u64 {
    1024
}

impl Plan {
    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_mb.saturating_mul(1 << 20)
    }

    /// The engine limits one job of this plan runs under, its memory at
    /// most `memory_share` (see [`Config::memory_share`]).
    pub fn limits(&self, memory_share: u64) -> fileconv::Limits {
        let defaults = fileconv::Limits::default();
        fileconv::Limits {
            max_input_bytes: self.max_file_bytes(),
            max_pixels: self.max_pixels,
            max_wall_time: Some(Duration::from_secs(self.max_job_seconds.max(1))),
            // A result may be larger than its source (a PNG of a JPEG), not without bound.
            max_output_bytes: self.max_file_bytes().saturating_mul(4).clamp(64 << 20, defaults.max_output_bytes),
            max_memory_bytes: self.max_memory_mb.saturating_mul(1 << 20).min(memory_share),
            ..defaults
        }
    }
}

fn plan(max_file_mb: u64, files_per_hour: u64, conversions_per_day: u64, api_calls_per_month: u64, max_job_seconds: u64, max_memory_mb: u64) -> Plan {
    Plan { max_file_mb, files_per_hour, conversions_per_day, api_calls_per_month, max_job_seconds, max_pixels: 100_000_000, max_memory_mb }
}

/// The name of the plan clients without a key are on.
pub const FREE_PLAN: &str = "free";

impl Default for Config {
    fn default() -> Self {
        let plans = BTreeMap::from([
            (FREE_PLAN.to_string(), plan(25, 20, 50, 0, 120, 1024)),
            ("plus".to_string(), plan(100, 100, 500, 1_000, 300, 2048)),
            ("pro".to_string(), plan(500, 500, 2_000, 10_000, 900, 3072)),
            ("business".to_string(), plan(1024, 2_000, 10_000, 50_000, 1800, 4096)),
            ("enterprise".to_string(), plan(4096, 10_000, 50_000, 100_000, 3600, 4096)),
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
            role: Role::All,
            converter_program: None,
            workers: 0,
            job_wait_seconds: 10.0,
            shutdown_grace_seconds: 30,
            trusted_proxies: 0,
            trust_forwarded_for: false,
            cors_allowed_origins: Vec::new(),
            max_pending_jobs_per_client: 20,
            max_running_jobs_per_client: 0,
            http: HttpLimits::default(),
            convert: OneRequestLimits::default(),
            webhooks: WebhookSettings::default(),
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
        if self.http.max_connections == 0 || self.http.header_read_timeout_seconds == 0 || self.http.idle_timeout_seconds == 0 || self.http.body_timeout_seconds == 0 {
            return invalid("http.max_connections and the http timeouts must be above 0");
        }
        if self.http.max_header_bytes < 8192 {
            return invalid("http.max_header_bytes must be at least 8192");
        }
        if self.plans.values().any(|p| p.max_memory_mb == 0) {
            return invalid("plans.*.max_memory_mb must be above 0");
        }
        if let Some(url) = &self.public_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return invalid("public_url must start with http:// or https://");
            }
        }
        let schedule = &self.webhooks.retry_schedule_seconds;
        if schedule.is_empty() || schedule.iter().any(|s| !s.is_finite() || *s < 0.0 || *s > 7.0 * 86400.0) {
            return invalid("webhooks.retry_schedule_seconds needs at least one delay, each from 0 to a week");
        }
        if self.webhooks.timeout_seconds == 0 || self.webhooks.concurrency == 0 || self.convert.max_seconds == 0 || self.convert.max_mb == 0 {
            return invalid("webhooks.timeout_seconds, webhooks.concurrency, convert.max_seconds and convert.max_mb must be above 0");
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

    /// Workers one client's jobs may hold at once.
    pub fn max_running_per_client(&self) -> i64 {
        match self.max_running_jobs_per_client {
            0 => (self.worker_count().max(2) - 1) as i64,
            n => i64::from(n),
        }
    }

    /// Proxy hops whose `X-Forwarded-*` headers are believed.
    pub fn proxy_hops(&self) -> u32 {
        if self.trusted_proxies == 0 && self.trust_forwarded_for {
            1
        } else {
            self.trusted_proxies
        }
    }

    /// The most memory one conversion may hold whatever its plan: half the
    /// machine's memory divided among the workers (at least 256 MiB).
    pub fn memory_share(&self) -> u64 {
        (physical_memory_bytes() / 2 / self.worker_count().max(1) as u64).max(256 << 20)
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("fileconv.db").display()))
    }
}

/// The machine's memory in bytes (4 GiB when it cannot be told).
pub fn physical_memory_bytes() -> u64 {
    // SAFETY: sysconf only reads system values.
    let (pages, page) = unsafe { (libc::sysconf(libc::_SC_PHYS_PAGES), libc::sysconf(libc::_SC_PAGESIZE)) };
    if pages > 0 && page > 0 {
        pages as u64 * page as u64
    } else {
        4 << 30
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
