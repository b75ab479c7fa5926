//! Durations in microseconds, the unit of [`hopscope_model::Time`].

pub const SECOND: i64 = 1_000_000;
pub const HOUR: i64 = 3600 * SECOND;
pub const DAY: i64 = 24 * HOUR;
