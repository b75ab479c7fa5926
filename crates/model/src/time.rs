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
    /// The first instant RFC 3339 can write: 0000-01-01T00:00:00Z (its years have 4 digits).
    pub const FIRST_WRITABLE: Time = Time(-62_167_219_200 * MICROS_PER_SEC);
    /// The last instant RFC 3339 can write: 9999-12-31T23:59:59.999999Z.
    pub const LAST_WRITABLE: Time = Time(253_402_300_800 * MICROS_PER_SEC - 1);

    /// Whether RFC 3339 can write this time (years 0000 to 9999): an event time outside is
    /// a damaged one, never clamped into range.
    pub fn is_writable(self) -> bool {
        (Time::FIRST_WRITABLE..=Time::LAST_WRITABLE).contains(&self)
    }

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
        if let Some(t) = parse_beyond_timestamp(s) {
            return Ok(t);
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
        if jiff::Timestamp::from_microsecond(self.0).is_err() {
            // the last day of year 9999 (and the first of -9999), which jiff's Timestamp
            // leaves out to keep room for offsets: written from the civil date and time
            let dt = EPOCH.checked_add(jiff::SignedDuration::from_micros(self.0));
            if let Ok(dt) = dt {
                return if self.0.rem_euclid(MICROS_PER_SEC) == 0 {
                    format!("{dt:.0}Z")
                } else {
                    format!("{dt:.6}Z")
                };
            }
        }
        let ts = self.to_jiff();
        if self.0.rem_euclid(MICROS_PER_SEC) == 0 {
            format!("{:.0}", ts)
        } else {
            format!("{:.6}", ts)
        }
    }
}

const EPOCH: jiff::civil::DateTime = jiff::civil::date(1970, 1, 1).at(0, 0, 0, 0);

/// An RFC 3339 time that jiff's `Timestamp` does not hold (it ends a day short of
/// 9999-12-31T23:59:59Z, keeping room for offsets): its civil date and time, less its offset,
/// counted from the epoch.
fn parse_beyond_timestamp(s: &str) -> Option<Time> {
    use jiff::fmt::temporal::{Pieces, PiecesOffset};
    let p = Pieces::parse(s).ok()?;
    let offset = match p.offset()? {
        PiecesOffset::Zulu => 0,
        PiecesOffset::Numeric(n) => i128::from(n.offset().seconds()),
        _ => return None,
    };
    let since = p.date().to_datetime(p.time()?).duration_since(EPOCH);
    i64::try_from(since.as_micros() - offset * i128::from(MICROS_PER_SEC)).ok().map(Time)
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

    /// The whole of RFC 3339's range is read and written back, its last day included.
    #[test]
    fn the_ends_of_rfc3339_round_trip() {
        for s in [
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59.999999Z",
            "9999-12-31T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
        ] {
            let t = Time::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(t.to_rfc3339(), s);
            assert!(t.is_writable(), "{s}");
        }
        assert_eq!(Time::parse("9999-12-31T23:59:59.999999Z").unwrap(), Time::LAST_WRITABLE);
        assert_eq!(Time::parse("0000-01-01T00:00:00Z").unwrap(), Time::FIRST_WRITABLE);
        assert_eq!(
            Time::parse("9999-12-31T23:59:59+01:00").unwrap().to_rfc3339(),
            "9999-12-31T22:59:59Z"
        );
        assert!(!Time(Time::LAST_WRITABLE.0 + 1).is_writable());
        assert!(!Time(Time::FIRST_WRITABLE.0 - 1).is_writable());
        assert!(Time::parse("10000-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn negative_micros_format() {
        assert_eq!(Time(-1).to_rfc3339(), "1969-12-31T23:59:59.999999Z");
    }
}
