//! The working week: local time zones, working hours, weekends and public holidays.
//!
//! Each site keeps its own IANA zone. The UTC offset is looked up once per site and day (at
//! local noon), so a login at local time `h` on day `d` is `local_midnight_utc(d) + h`. On the
//! two DST-change days a year this is off by the change for the hours before it; accepted.

use rand::Rng as _;

use crate::rng::Rng;
use crate::timefmt::{civil_from_days, DAY, US};

/// Public holidays by (month, day). Holidays that move (Easter, Thanksgiving, lunar new year,
/// Songkran) are approximated by fixed dates: the rhythm matters, not the calendar's accuracy.
pub fn holidays(country: &str) -> &'static [(u32, u32)] {
    match country {
        "Japan" => &[
            (1, 1),
            (1, 2),
            (1, 3),
            (2, 11),
            (4, 29),
            (5, 3),
            (5, 4),
            (5, 5),
            (8, 13),
            (8, 14),
            (8, 15),
            (11, 3),
            (11, 23),
            (12, 30),
            (12, 31),
        ],
        "United States" => &[
            (1, 1),
            (1, 20),
            (5, 25),
            (7, 4),
            (9, 7),
            (11, 26),
            (11, 27),
            (12, 24),
            (12, 25),
            (12, 31),
        ],
        "Singapore" => &[(1, 1), (1, 25), (1, 26), (5, 1), (8, 9), (10, 27), (12, 25)],
        "Thailand" => &[
            (1, 1),
            (4, 6),
            (4, 13),
            (4, 14),
            (4, 15),
            (5, 1),
            (7, 28),
            (8, 12),
            (10, 13),
            (12, 5),
            (12, 10),
            (12, 31),
        ],
        "Germany" => {
            &[(1, 1), (4, 10), (4, 13), (5, 1), (10, 3), (12, 24), (12, 25), (12, 26), (12, 31)]
        }
        "Australia" => &[(1, 1), (1, 26), (4, 10), (4, 13), (4, 25), (6, 8), (12, 25), (12, 26)],
        _ => &[(1, 1), (12, 25)],
    }
}

/// One site on one day.
#[derive(Clone, Copy, Debug)]
pub struct SiteDay {
    /// Local midnight of this day, in UTC microseconds.
    pub midnight_us: i64,
    /// Monday to Friday and not a public holiday.
    pub working: bool,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u8,
}

impl SiteDay {
    /// UTC microseconds of a local time given in seconds after midnight.
    pub fn at(&self, local_secs: f64) -> i64 {
        self.midnight_us + (local_secs * US as f64) as i64
    }
    /// Local hour (0–23) of a UTC time on or around this day.
    pub fn local_hour(&self, us: i64) -> u32 {
        ((us - self.midnight_us).div_euclid(3600 * US)).rem_euclid(24) as u32
    }
}

/// The calendar of every site for every simulated day.
#[derive(Clone, Debug)]
pub struct Calendar {
    /// Unix day of simulation day 0.
    pub first_day: i64,
    pub days: u32,
    /// `site_days[site][day]`.
    pub site_days: Vec<Vec<SiteDay>>,
}

impl Calendar {
    /// Build the calendar for sites given as (IANA zone, country).
    pub fn new(first_day: i64, days: u32, sites: &[(jiff::tz::TimeZone, String)]) -> Calendar {
        let site_days = sites
            .iter()
            .map(|(tz, country)| {
                let hol = holidays(country);
                (0..days as i64)
                    .map(|d| {
                        let unix_day = first_day + d;
                        let noon = jiff::Timestamp::from_second(unix_day * DAY + 12 * 3600)
                            .expect("in range");
                        let offset = tz.to_offset(noon).seconds() as i64;
                        let (_, m, dd) = civil_from_days(unix_day);
                        // 1970-01-01 was a Thursday (weekday 3 with Monday = 0)
                        let weekday = (unix_day + 3).rem_euclid(7) as u8;
                        let holiday = hol.contains(&(m, dd));
                        SiteDay {
                            midnight_us: (unix_day * DAY - offset) * US,
                            working: weekday < 5 && !holiday,
                            weekday,
                        }
                    })
                    .collect()
            })
            .collect();
        Calendar { first_day, days, site_days }
    }

    pub fn day(&self, site: usize, day: u32) -> SiteDay {
        self.site_days[site][day as usize]
    }
}

/// A local time of day in seconds, roughly bell-shaped around `center_h` with a spread of
/// about `spread_h` hours either side (sum of three uniforms).
pub fn around(rng: &mut Rng, center_h: f64, spread_h: f64) -> f64 {
    let u: f64 = (rng.gen::<f64>() + rng.gen::<f64>() + rng.gen::<f64>()) / 1.5 - 1.0;
    ((center_h + u * spread_h) * 3600.0).clamp(0.0, 86_399.0)
}

/// A local time of day in seconds, uniform in `[from_h, to_h)`.
pub fn between(rng: &mut Rng, from_h: f64, to_h: f64) -> f64 {
    (rng.gen_range(from_h..to_h) * 3600.0).clamp(0.0, 86_399.0)
}

/// A time within the working day with a lunch dip: morning or afternoon block.
pub fn working_hours(rng: &mut Rng) -> f64 {
    if rng.gen_bool(0.5) {
        around(rng, 10.5, 1.8)
    } else {
        around(rng, 15.0, 2.2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokyo_midnight_and_weekend() {
        let tz = jiff::tz::TimeZone::get("Asia/Tokyo").unwrap();
        // 2019-06-01 is a Saturday
        let first = crate::timefmt::days_from_civil(2019, 6, 1);
        let c = Calendar::new(first, 3, &[(tz, "Japan".into())]);
        let d0 = c.day(0, 0);
        assert_eq!(d0.weekday, 5);
        assert!(!d0.working);
        assert!(c.day(0, 2).working);
        // local midnight in Tokyo is 15:00 UTC the day before
        assert_eq!(crate::timefmt::rfc3339(d0.midnight_us), "2019-05-31T15:00:00Z");
        assert_eq!(d0.local_hour(d0.at(9.0 * 3600.0)), 9);
    }
}
