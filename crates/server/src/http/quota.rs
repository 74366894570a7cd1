//! Plan quotas counted in the database (so they survive restarts and are
//! shared by every process on one database): files per hour, conversions
//! per day, API calls per calendar month (UTC).

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};

use crate::store::records::Db;
use crate::error::ApiError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    FilesPerHour,
    ConversionsPerDay,
    ApiCalls,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::FilesPerHour => "files_per_hour",
            Kind::ConversionsPerDay => "conversions_per_day",
            Kind::ApiCalls => "api_calls_per_month",
        }
    }

    /// The start of the window `now` falls in, and the start of the next one.
    pub fn window(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let hour = now.with_minute(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_nanosecond(0)).unwrap_or(now);
        match self {
            Kind::FilesPerHour => (hour, hour + chrono::Duration::hours(1)),
            Kind::ConversionsPerDay => {
                let day = hour.with_hour(0).unwrap_or(hour);
                (day, day + chrono::Duration::days(1))
            }
            Kind::ApiCalls => {
                let month = Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0).single().unwrap_or(now);
                let (y, m) = if now.month() == 12 { (now.year() + 1, 1) } else { (now.year(), now.month() + 1) };
                (month, Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(now))
            }
        }
    }
}

/// Counts one use, or refuses it once `limit` uses were made in the current
/// window (a limit of 0 means none, and the use is still counted: the
/// profile page shows it).
///
/// # Errors
/// 429 `quota_exceeded` with `Retry-After` set to the start of the next window.
pub async fn consume(db: &Db, owner: &str, kind: Kind, limit: u64) -> Result<(), ApiError> {
    let now = Utc::now();
    let (start, next) = kind.window(now);
    let (_, allowed) = db.consume(owner, kind.name(), start.timestamp_millis(), limit).await?;
    if allowed {
        return Ok(());
    }
    let retry = (next - now).num_seconds().max(1) as u64;
    Err(ApiError::too_many("quota_exceeded", format!("the plan's quota of {limit} {} is used up", kind.name().replace('_', " ")), retry))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_start_on_the_hour_day_and_month() {
        let now = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 58).unwrap();
        let (s, e) = Kind::FilesPerHour.window(now);
        assert_eq!((s.hour(), s.minute(), (e - s).num_minutes()), (23, 0, 60));
        let (s, e) = Kind::ConversionsPerDay.window(now);
        assert_eq!((s.day(), s.hour(), e.day(), e.month(), e.year()), (31, 0, 1, 1, 2027));
        let (s, e) = Kind::ApiCalls.window(now);
        assert_eq!((s.day(), s.month(), e.month(), e.year()), (1, 12, 1, 2027));
    }
}
