//! The syslog envelope around an sshd message: timestamp, host, program.
//!
//! Written by hand rather than with a regex because it runs on every line of files that can
//! be gigabytes, most of them from other programs: the envelope is cut with byte scans and
//! no allocation, and the time is only validated and converted for lines that turn out to be
//! sshd authentication messages.
//!
//! Shapes read (`<PRI>` before any of them is skipped):
//!
//! - RFC 3164 / `journalctl -o short`: `Dec 10 06:55:46 host sshd[24200]: msg`
//! - `journalctl -o short-precise`: `Dec 10 06:55:46.123456 host sshd[24200]: msg`
//! - ISO (rsyslog RFC 3339 template, `journalctl -o short-iso[-precise]`):
//!   `2019-07-08T17:40:16.954167-04:00 host sshd[57915]: msg`, offsets `Z`, `+02:00`, `+0200`
//! - `journalctl -o short-full`: `Tue 2015-04-16 18:02:50 CEST host sshd[2716]: msg`
//! - `journalctl -o short-unix`: `1429200170.321974 host sshd[2716]: msg`
//! - RFC 5424: `<38>1 2019-07-08T17:40:16.954167-04:00 host sshd 57915 - [sd...] msg`
//!
//! The host may be missing (`Feb 17 17:40:17 sshd[19725]: msg`) and the tag may be
//! `[sshd]:` or `[sshd]`.

/// A timestamp as written, not yet validated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// No year and no zone (RFC 3164, journalctl short / short-precise).
    NoYear { month: i8, day: i8, hour: i8, minute: i8, second: i8, micros: i32 },
    /// A full date; `offset` in seconds east of UTC, `None` when the line names none: then
    /// `zone` is the zone abbreviation it names (`CEST`), if any, and the time is read in
    /// `--tz`.
    Full {
        year: i16,
        month: i8,
        day: i8,
        hour: i8,
        minute: i8,
        second: i8,
        micros: i32,
        offset: Option<i32>,
        zone: Option<Abbrev>,
    },
    /// Seconds since the Unix epoch (`short-unix`).
    Unix { micros: i64 },
    /// The timestamp field is there but cannot be read.
    Bad(&'static str),
}

/// A zone abbreviation as a line names it (`CEST`, `EDT`): 2 to 8 ASCII letters. Ambiguous
/// on its own (`CST` is US Central and China, `IST` India, Ireland and Israel): only `--tz`
/// says which zone it abbreviates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Abbrev {
    bytes: [u8; 8],
    len: u8,
}

impl Abbrev {
    pub(crate) fn new(s: &str) -> Option<Abbrev> {
        if !(2..=8).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let mut bytes = [0; 8];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Abbrev { bytes, len: s.len() as u8 })
    }
    pub(crate) fn as_str(&self) -> &str {
        // only ASCII letters are ever stored
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

/// One syslog line cut into its parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Envelope<'a> {
    pub stamp: Stamp,
    pub host: Option<&'a str>,
    /// The program name without pid: `sshd`, `sshd-session`, `sshd(pam_unix)`, `dropbear`.
    pub program: &'a str,
    pub message: &'a str,
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Month number (1..=12) of a three-letter English abbreviation.
pub(crate) fn month_number(b: &[u8]) -> Option<i8> {
    let b = b.get(..3)?;
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(b)).map(|i| i as i8 + 1)
}

pub(crate) fn month_name(m: i8) -> &'static str {
    match m {
        1..=12 => std::str::from_utf8(MONTHS[m as usize - 1]).unwrap_or("?"),
        _ => "?",
    }
}

/// Digits only, at most 18 of them.
fn num(b: &[u8]) -> Option<i64> {
    if b.is_empty() || b.len() > 18 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0i64, |n, d| n * 10 + (d - b'0') as i64))
}

/// `.123456` → microseconds (extra digits truncated, fewer padded).
fn fraction(b: &[u8]) -> Option<i32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut us = 0i32;
    for i in 0..6 {
        us = us * 10 + b.get(i).map_or(0, |d| (d - b'0') as i32);
    }
    Some(us)
}

/// `HH:MM:SS[.ffffff]` → (h, m, s, micros), ranges not checked.
fn clock(b: &[u8]) -> Option<(i8, i8, i8, i32)> {
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let h = num(&b[0..2])? as i8;
    let m = num(&b[3..5])? as i8;
    let s = num(&b[6..8])? as i8;
    let us = match b.get(8) {
        None => 0,
        Some(b'.') | Some(b',') => fraction(&b[9..])?,
        Some(_) => return None,
    };
    Some((h, m, s, us))
}

/// `2019-07-08` → (y, m, d).
fn date(b: &[u8]) -> Option<(i16, i8, i8)> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((num(&b[0..4])? as i16, num(&b[5..7])? as i8, num(&b[8..10])? as i8))
}

/// `Z`, `+02:00`, `+0200`, `-04` → seconds east of UTC.
fn offset(b: &[u8]) -> Option<i32> {
    if b == b"Z" || b == b"z" {
        return Some(0);
    }
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let r = &b[1..];
    let (h, m) = match r.len() {
        2 => (num(r)?, 0),
        4 => (num(&r[..2])?, num(&r[2..])?),
        5 if r[2] == b':' => (num(&r[..2])?, num(&r[3..])?),
        _ => return None,
    };
    if h > 25 || m > 59 {
        return None;
    }
    Some(sign * (h as i32 * 3600 + m as i32 * 60))
}

/// `2019-07-08T17:40:16.954167-04:00` (also with a space-free `+0200` or `Z`, or none).
fn iso(b: &[u8]) -> Stamp {
    let Some((year, month, day)) = b.get(..10).and_then(date) else {
        return Stamp::Bad("expected YYYY-MM-DD");
    };
    if b.get(10) != Some(&b'T') && b.get(10) != Some(&b't') {
        return Stamp::Bad("expected T after the date");
    }
    let rest = &b[11..];
    let zone_at =
        rest.iter().position(|c| matches!(c, b'Z' | b'z' | b'+' | b'-')).unwrap_or(rest.len());
    let Some((hour, minute, second, micros)) = clock(&rest[..zone_at]) else {
        return Stamp::Bad("expected HH:MM:SS");
    };
    let offset = if zone_at == rest.len() {
        None
    } else {
        match offset(&rest[zone_at..]) {
            Some(o) => Some(o),
            None => return Stamp::Bad("unreadable UTC offset"),
        }
    };
    Stamp::Full { year, month, day, hour, minute, second, micros, offset, zone: None }
}

/// Split off the first space-delimited token (leading spaces skipped).
fn token(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(' ');
    if s.is_empty() {
        return None;
    }
    Some(match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    })
}

/// `Mmm dd HH:MM:SS rest` → `rest` (dropbear repeats its own stamp inside journald messages).
pub(crate) fn skip_rfc3164_stamp(s: &str) -> Option<&str> {
    month_number(s.as_bytes())?;
    if s.as_bytes().get(3) != Some(&b' ') {
        return None;
    }
    let (day, rest) = token(&s[4..])?;
    let (c, rest) = token(rest)?;
    num(day.as_bytes())?;
    clock(c.as_bytes())?;
    Some(rest)
}

/// A syslog tag (`sshd[24200]:`, `sshd:`, `[sshd]:`, `[sshd]`) → program name.
fn tag_program(tag: &str) -> Option<&str> {
    if let Some(inner) = tag.strip_prefix('[') {
        let inner = inner.strip_suffix(':').unwrap_or(inner);
        return inner.strip_suffix(']').filter(|p| !p.is_empty());
    }
    let t = tag.strip_suffix(':')?;
    let t = match t.find('[') {
        Some(i) if t.ends_with(']') => &t[..i],
        Some(_) => return None,
        None => t,
    };
    (!t.is_empty()).then_some(t)
}

/// True when `tok` is a tag rather than a host name.
fn is_tag(tok: &str) -> bool {
    tok.ends_with(':') || tok.starts_with('[')
}

/// After the timestamp: `[host ]tag message`.
fn host_tag_message(rest: &str) -> Option<(Option<&str>, &str, &str)> {
    let (first, after) = token(rest)?;
    if is_tag(first) {
        return Some((None, tag_program(first)?, after));
    }
    let (tag, message) = token(after)?;
    Some((Some(first), tag_program(tag)?, message))
}

/// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD MSG`.
fn rfc5424(rest: &str) -> Option<Envelope<'_>> {
    let (ts, rest) = token(rest)?;
    let stamp = if ts == "-" { Stamp::Bad("RFC 5424 nil timestamp") } else { iso(ts.as_bytes()) };
    let (host, rest) = token(rest)?;
    let (program, rest) = token(rest)?;
    let (_procid, rest) = token(rest)?;
    let (_msgid, rest) = token(rest)?;
    let rest = rest.trim_start_matches(' ');
    let message = if let Some(r) = rest.strip_prefix('-') {
        r
    } else {
        // structured data: one or more [id k="v" ...] elements; values may hold escaped
        // quotes and brackets inside quotes
        let b = rest.as_bytes();
        let mut i = 0;
        while b.get(i) == Some(&b'[') {
            let mut quoted = false;
            i += 1;
            loop {
                match b.get(i)? {
                    b'\\' if quoted => i += 1,
                    b'"' => quoted = !quoted,
                    b']' if !quoted => break,
                    _ => {}
                }
                i += 1;
            }
            i += 1;
        }
        &rest[i..]
    };
    let message = message.strip_prefix(' ').unwrap_or(message);
    let message = message.strip_prefix('\u{feff}').unwrap_or(message);
    Some(Envelope { stamp, host: Some(host), program, message })
}

/// Cut a line into its syslog envelope; `None` when it is not syslog-shaped at all.
pub(crate) fn envelope(line: &str) -> Option<Envelope<'_>> {
    let mut l = line;
    if l.starts_with('<') {
        let close = l.as_bytes().iter().take(5).position(|&c| c == b'>')?;
        if close < 2 || !l.as_bytes()[1..close].iter().all(u8::is_ascii_digit) {
            return None;
        }
        l = &l[close + 1..];
        if let Some(r) = l.strip_prefix("1 ") {
            return rfc5424(r);
        }
    }
    let b = l.as_bytes();
    let first = *b.first()?;
    if first.is_ascii_digit() {
        let (ts, rest) = token(l)?;
        let tb = ts.as_bytes();
        let stamp = if tb.len() >= 10 && tb[4] == b'-' {
            iso(tb)
        } else if let Some(dot) = tb.iter().position(|&c| c == b'.') {
            // short-unix: seconds.micros
            match (num(&tb[..dot]), fraction(&tb[dot + 1..])) {
                (Some(s), Some(us)) => Stamp::Unix { micros: s * 1_000_000 + us as i64 },
                _ => return None,
            }
        } else {
            return None;
        };
        let (host, program, message) = host_tag_message(rest)?;
        return Some(Envelope { stamp, host, program, message });
    }
    if let Some(month) = month_number(b) {
        // RFC 3164: "Mmm dd HH:MM:SS" with the day space-padded or not
        if b.get(3) != Some(&b' ') {
            return None;
        }
        let (day_tok, rest) = token(&l[4..])?;
        let (clock_tok, rest) = token(rest)?;
        let stamp = match (num(day_tok.as_bytes()), clock(clock_tok.as_bytes())) {
            (Some(day), Some((hour, minute, second, micros))) if day < 100 => {
                Stamp::NoYear { month, day: day as i8, hour, minute, second, micros }
            }
            (None, _) if !day_tok.bytes().all(|c| c.is_ascii_alphanumeric()) => return None,
            _ => Stamp::Bad("expected \"Mmm dd HH:MM:SS\""),
        };
        let (host, program, message) = host_tag_message(rest)?;
        return Some(Envelope { stamp, host, program, message });
    }
    // journalctl short-full: "Tue 2015-04-16 18:02:50 CEST host tag msg"
    if b.len() > 4 && b[3] == b' ' && b[..3].iter().all(u8::is_ascii_alphabetic) {
        let (d, rest) = token(&l[4..])?;
        let (c, rest) = token(rest)?;
        let (zone, rest) = token(rest)?;
        let (Some((year, month, day)), Some((hour, minute, second, micros))) =
            (date(d.as_bytes()), clock(c.as_bytes()))
        else {
            return None;
        };
        let (offset, zone) = match zone {
            "UTC" | "GMT" | "Z" => (Some(0), None),
            z => match offset(z.as_bytes()) {
                Some(o) => (Some(o), None),
                None => (None, Abbrev::new(z)),
            },
        };
        let stamp = if offset.is_none() && zone.is_none() {
            Stamp::Bad("unreadable time zone")
        } else {
            Stamp::Full { year, month, day, hour, minute, second, micros, offset, zone }
        };
        let (host, program, message) = host_tag_message(rest)?;
        return Some(Envelope { stamp, host, program, message });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3164_shapes() {
        let e = envelope(
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
        )
        .unwrap();
        assert_eq!(
            e.stamp,
            Stamp::NoYear { month: 12, day: 10, hour: 6, minute: 55, second: 46, micros: 0 }
        );
        assert_eq!(
            (e.host, e.program, e.message),
            (Some("LabSZ"), "sshd", "Invalid user webmaster from 173.234.31.186")
        );
        let e = envelope("Jul  3 14:59:17 host sshd-session[1571]: x").unwrap();
        assert_eq!((e.host, e.program), (Some("host"), "sshd-session"));
        let e = envelope("Feb 17 17:40:17 sshd[19725]: x y").unwrap();
        assert_eq!((e.host, e.program, e.message), (None, "sshd", "x y"));
        let e = envelope("Mar  3 00:17:22 [sshd]: User root").unwrap();
        assert_eq!((e.host, e.program, e.message), (None, "sshd", "User root"));
        let e = envelope("Jun 25 23:53:34 [sshd] User root").unwrap();
        assert_eq!((e.host, e.program), (None, "sshd"));
        let e = envelope("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure;")
            .unwrap();
        assert_eq!(e.program, "sshd(pam_unix)");
        let e = envelope("<38>Feb  7 15:10:42 example pure-ftpd: (pam_unix) x").unwrap();
        assert_eq!((e.host, e.program, e.message), (Some("example"), "pure-ftpd", "(pam_unix) x"));
        let e = envelope("Dec 10 06:55:46.250 h sshd[1]: m").unwrap();
        assert!(matches!(e.stamp, Stamp::NoYear { micros: 250_000, .. }));
        assert!(matches!(
            envelope("Dec 99x 06:55:46 h sshd[1]: m"),
            None | Some(Envelope { stamp: Stamp::Bad(_), .. })
        ));
        assert!(matches!(envelope("Dec 10 6:5:46 h sshd[1]: m").unwrap().stamp, Stamp::Bad(_)));
        assert_eq!(envelope("hello world"), None);
        assert_eq!(envelope("Decimal numbers"), None);
        assert_eq!(envelope(""), None);
    }

    #[test]
    fn iso_and_journal_shapes() {
        let e = envelope("2015-04-16T18:02:50.321974+00:00 host sshd[2716]: m").unwrap();
        assert_eq!(
            e.stamp,
            Stamp::Full {
                year: 2015,
                month: 4,
                day: 16,
                hour: 18,
                minute: 2,
                second: 50,
                micros: 321_974,
                offset: Some(0),
                zone: None,
            }
        );
        let e = envelope("2015-04-16T18:02:50+0200 host sshd[2716]: m").unwrap();
        assert!(matches!(e.stamp, Stamp::Full { offset: Some(7200), .. }));
        let e = envelope("2015-04-16T18:02:50 host sshd[2716]: m").unwrap();
        assert!(matches!(e.stamp, Stamp::Full { offset: None, .. }));
        let e = envelope("Thu 2015-04-16 18:02:50 CEST host sshd[2716]: m").unwrap();
        assert!(
            matches!(e.stamp, Stamp::Full { offset: None, zone: Some(z), .. } if z.as_str() == "CEST")
        );
        assert_eq!((e.host, e.program, e.message), (Some("host"), "sshd", "m"));
        let e = envelope("Thu 2015-04-16 18:02:50 UTC host sshd[2716]: m").unwrap();
        assert!(matches!(e.stamp, Stamp::Full { offset: Some(0), .. }));
        let e = envelope("1429200170.321974 host sshd[2716]: m").unwrap();
        assert_eq!(e.stamp, Stamp::Unix { micros: 1_429_200_170_321_974 });
    }

    #[test]
    fn rfc5424_shapes() {
        let e = envelope(
            "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed x",
        )
        .unwrap();
        assert!(matches!(e.stamp, Stamp::Full { offset: Some(-14400), micros: 954_167, .. }));
        assert_eq!(
            (e.host, e.program, e.message),
            (Some("hostname.example.com"), "sshd", "Failed x")
        );
        let e = envelope(
            "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [timeQuality tzKnown=\"1\"][xxx@123 test=\"[brackets]\"] Failed y",
        )
        .unwrap();
        assert_eq!(e.message, "Failed y");
        let e = envelope("<38>1 - h sshd 1 - - m").unwrap();
        assert!(matches!(e.stamp, Stamp::Bad(_)));
        assert_eq!(envelope("<38>1 2019-07-08T17:40:17Z h sshd 1 - [unclosed"), None);
    }
}
