//! Time formatting on the hot path: civil dates from Unix days without a time-zone
//! library call per event (jiff is used once per site and day, see [`crate::rhythm`]).

/// Microseconds per second.
pub const US: i64 = 1_000_000;
/// Seconds per day.
pub const DAY: i64 = 86_400;

/// (year, month 1–12, day 1–31) of a count of days since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y as i64 - 1 } else { y as i64 };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

fn two(out: &mut Vec<u8>, n: u32) {
    out.push(b'0' + (n / 10) as u8);
    out.push(b'0' + (n % 10) as u8);
}

fn hms(out: &mut Vec<u8>, secs_of_day: i64) {
    let s = secs_of_day as u32;
    two(out, s / 3600);
    out.push(b':');
    two(out, s / 60 % 60);
    out.push(b':');
    two(out, s % 60);
}

/// `Sep 12 03:04:05` (RFC 3164: month, space-padded day, time; no year), in UTC.
pub fn rfc3164(out: &mut Vec<u8>, us: i64) {
    let secs = us.div_euclid(US);
    let (_, m, d) = civil_from_days(secs.div_euclid(DAY));
    out.extend_from_slice(MONTHS[m as usize - 1]);
    out.push(b' ');
    if d < 10 {
        out.push(b' ');
        out.push(b'0' + d as u8);
    } else {
        two(out, d);
    }
    out.push(b' ');
    hms(out, secs.rem_euclid(DAY));
}

/// `2019-09-12T03:04:05.123Z` (RFC 3339, UTC, milliseconds).
pub fn rfc3339_ms(out: &mut Vec<u8>, us: i64) {
    let secs = us.div_euclid(US);
    let (y, m, d) = civil_from_days(secs.div_euclid(DAY));
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(y).as_bytes());
    out.push(b'-');
    two(out, m);
    out.push(b'-');
    two(out, d);
    out.push(b'T');
    hms(out, secs.rem_euclid(DAY));
    let ms = (us.rem_euclid(US) / 1000) as u32;
    out.push(b'.');
    out.push(b'0' + (ms / 100) as u8);
    two(out, ms % 100);
    out.push(b'Z');
}

/// `1568257445.123456` (Zeek `ts`).
pub fn epoch_micros(out: &mut Vec<u8>, us: i64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(us.div_euclid(US)).as_bytes());
    out.push(b'.');
    let frac = us.rem_euclid(US) as u32;
    let mut digits = [b'0'; 6];
    let mut f = frac;
    for i in (0..6).rev() {
        digits[i] = b'0' + (f % 10) as u8;
        f /= 10;
    }
    out.extend_from_slice(&digits);
}

/// RFC 3339 seconds (`2019-09-12T03:04:05Z`), for truth.json; via the model's formatter.
pub fn rfc3339(us: i64) -> String {
    hopscope_model::Time(us).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-1000i64, 0, 18_000, 18_262, 19_000, 20_000, 50_000] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2019, 9, 12), 18_151);
    }

    #[test]
    fn formats_agree_with_jiff() {
        let us = 1_568_257_445_123_456i64; // 2019-09-12T03:04:05.123456Z
        let mut v = Vec::new();
        rfc3164(&mut v, us);
        assert_eq!(v, b"Sep 12 03:04:05");
        v.clear();
        rfc3164(&mut v, us - 11 * DAY * US);
        assert_eq!(v, b"Sep  1 03:04:05");
        v.clear();
        rfc3339_ms(&mut v, us);
        assert_eq!(v, b"2019-09-12T03:04:05.123Z");
        v.clear();
        epoch_micros(&mut v, us);
        assert_eq!(v, b"1568257445.123456");
        assert_eq!(rfc3339(1_568_257_445_000_000), "2019-09-12T03:04:05Z");
    }
}
