//! Time: microseconds since the Unix epoch, always UTC.

use std::fmt;

/// An instant in UTC, in microseconds since 1970-01-01T00:00:00Z.
///
/// Microseconds because that is what Zeek, DuckDB and Parquet `TIMESTAMP` use natively;
/// EVTX's 100 ns ticks are truncated.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Time(pub i64);

/// A time string that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeError(pub String);

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for TimeError {}

pub const MICROS_PER_SEC: i64 = 1_000_000;

impl Time {
    pub const MIN: Time = Time(i64::MIN);
    pub const MAX: Time = Time(i64::MAX);

    pub fn from_unix_secs(secs: i64) -> Time {
        Time(secs.saturating_mul(MICROS_PER_SEC))
    }
    pub fn from_micros(us: i64) -> Time {
        Time(us)
    }
    pub fn micros(self) -> i64 {
        self.0
    }
    pub fn unix_secs(self) -> i64 {
        self.0.div_euclid(MICROS_PER_SEC)
    }
    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_microsecond(self.0).unwrap_or(if self.0 < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
    }
    pub fn from_jiff(ts: jiff::Timestamp) -> Time {
        Time(ts.as_microsecond())
    }

    /// Parse RFC 3339 (`2019-09-12T03:04:05Z`, offsets allowed, fractional seconds allowed)
    /// or a date-time with a space; a bare date means midnight UTC.
    pub fn parse(s: &str) -> Result<Time, TimeError> {
        let s = s.trim();
        if let Ok(ts) = s.parse::<jiff::Timestamp>() {
            return Ok(Time::from_jiff(ts));
        }
        if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
            if let Ok(ts) = jiff::tz::TimeZone::UTC.to_timestamp(dt) {
                return Ok(Time::from_jiff(ts));
            }
        }
        if let Ok(d) = s.parse::<jiff::civil::Date>() {
            if let Ok(ts) =
                jiff::tz::TimeZone::UTC.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            {
                return Ok(Time::from_jiff(ts));
            }
        }
        Err(TimeError(format!(
            "expected an RFC 3339 time such as 2019-09-12T03:04:05Z, found {s:?}"
        )))
    }

    /// RFC 3339 in UTC with `Z`; fractional seconds only when non-zero (6 digits).
    pub fn to_rfc3339(self) -> String {
        let ts = self.to_jiff();
        if self.0.rem_euclid(MICROS_PER_SEC) == 0 {
            format!("{:.0}", ts)
        } else {
            format!("{:.6}", ts)
        }
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        for s in ["2019-09-12T03:04:05Z", "1970-01-01T00:00:01Z", "2020-05-01T00:00:00.250000Z"] {
            assert_eq!(Time::parse(s).unwrap().to_rfc3339(), s);
        }
        assert_eq!(
            Time::parse("2019-09-12T05:04:05+02:00").unwrap().to_rfc3339(),
            "2019-09-12T03:04:05Z"
        );
        assert_eq!(Time::parse("2019-09-12").unwrap().to_rfc3339(), "2019-09-12T00:00:00Z");
        assert!(Time::parse("yesterday").is_err());
    }

    #[test]
    fn negative_micros_format() {
        assert_eq!(Time(-1).to_rfc3339(), "1969-12-31T23:59:59.999999Z");
    }
}
