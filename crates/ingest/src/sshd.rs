//! OpenSSH and dropbear lines in syslog (`auth.log`, `secure`, `messages`) and `journalctl`
//! exports.
//!
//! Each authentication message becomes one event (a `message repeated N times` line
//! becomes N): the logging host is the destination, the peer after `from` the source.
//! Lines of other programs, and sshd messages that are not about authentication, are
//! ignored (counted); an sshd authentication message that cannot be read is a problem with
//! a reason. `docs/formats-sshd.md` lists the messages and the mapping.
//!
//! Syslog times carry no year and no zone: the year is `--year`, else inferred from the
//! file's modification time, and rolls over when the month goes back (Dec → Jan); with
//! neither (a stream), a year-less line is a `bad-time` problem. The zone is `--tz`, else
//! UTC; both inferences are noted once per file. A local time `--tz` skips (DST gap) is a
//! problem; one it repeats (DST fold) is read by the lines around it, or is a problem.

mod message;
mod switch;
mod syslog;

use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, Position, Time};

use crate::batch::{BatchBuilder, RawEvent};
use crate::format::{LineKind, LineParser, ParseContext};
use crate::problems::{LineError, ProblemKind};
use message::{Act, Peer};
use syslog::{Abbrev, Stamp};

/// True for lines shaped like syslog (RFC 3164, RFC 5424, ISO timestamps, journalctl
/// `short`, `short-precise`, `short-iso`, `short-full`, `short-unix`).
pub fn looks_like_syslog(line: &str) -> bool {
    matches!(syslog::envelope(line), Some(e) if !matches!(e.stamp, Stamp::Bad(_)))
}

/// A `message repeated N times` line yields at most this many events.
const MAX_REPEAT: u32 = 10_000;

/// Programs whose messages this parser reads.
fn program_kind(program: &str) -> Option<bool> {
    // Some(false): OpenSSH (sshd, sshd-session, sshd-auth, sshd(pam_unix)); Some(true): dropbear
    if program == "sshd" || program.starts_with("sshd-") || program.starts_with("sshd(") {
        Some(false)
    } else if program == "dropbear" {
        Some(true)
    } else {
        None
    }
}

/// How syslog's missing year is being chosen, for the file's one note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum YearSource {
    Given,
    Mtime,
    Unknown,
}

/// Parser of one sshd / dropbear syslog file. Stateful: the year of a line depends on the
/// months of the lines before it, so a file is read in order, never in chunks.
/// A time of year without the year: (month, day, hour, minute, second).
type TimeOfYear = (i8, i8, i8, i8, i8);

pub struct SshdParser {
    /// `--year`.
    given_year: Option<i32>,
    /// The first line's year from the pipeline's pre-pass (mtime + roll-overs).
    inferred_year: Option<i32>,
    /// The file's modification time as (year, (month, day, hour, minute, second)) in the
    /// reading zone.
    mtime: Option<(i32, TimeOfYear)>,
    tz: jiff::tz::TimeZone,
    tz_given: bool,
    /// Year of the current run of lines, decided at the first year-less line.
    year: Option<i32>,
    year_source: YearSource,
    last_month: i8,
    noted_year: bool,
    noted_tz: bool,
    /// Cache of the last minute converted: (year, month, day, hour, minute, offset) → µs.
    minute_key: (i32, i8, i8, i8, i8, i32),
    minute_micros: Option<i64>,
    /// The time of the last line read: which of a repeated local time a line means.
    last_time: Option<Time>,
}

impl SshdParser {
    pub fn new(ctx: &ParseContext) -> SshdParser {
        let tz = ctx.tz.clone().unwrap_or(jiff::tz::TimeZone::UTC);
        let mtime = ctx.mtime.map(|t| {
            let z = t.to_jiff().to_zoned_datetime(tz.clone());
            (z.year() as i32, (z.month(), z.day(), z.hour(), z.minute(), z.second()))
        });
        SshdParser {
            given_year: ctx.year,
            inferred_year: ctx.inferred_year,
            mtime,
            tz,
            tz_given: ctx.tz.is_some(),
            year: None,
            year_source: YearSource::Unknown,
            last_month: 0,
            noted_year: false,
            noted_tz: false,
            minute_key: (0, 0, 0, 0, 0, 0),
            minute_micros: None,
            last_time: None,
        }
    }

    /// The year of a year-less line of month `month`, following roll-over.
    fn year_for(&mut self, month: i8, when: TimeOfYear) -> i32 {
        let Some(year) = self.year else {
            let (year, source) = match (self.given_year, self.mtime) {
                (Some(y), _) => (y, YearSource::Given),
                (None, Some(_)) if self.inferred_year.is_some() => {
                    (self.inferred_year.unwrap_or_default(), YearSource::Mtime)
                }
                // a file's first line is not later than its last write: a first line whose
                // date and time of year fall after the mtime's belongs to the year before
                // (exact for files spanning less than a year, as rotated logs do)
                (None, Some((y, m))) => (if when > m { y - 1 } else { y }, YearSource::Mtime),
                (None, None) => (1970, YearSource::Unknown),
            };
            self.year = Some(year);
            self.year_source = source;
            self.last_month = month;
            return year;
        };
        let back = self.last_month - month;
        if back > 6 {
            // Dec → Jan: a new year
            self.year = Some(year + 1);
            self.last_month = month;
            year + 1
        } else if back < -6 {
            // a straggler from before the roll-over (Dec written after Jan): last year,
            // without moving the run's year back
            year - 1
        } else {
            self.last_month = month;
            year
        }
    }

    fn note_year(&mut self, out: &mut BatchBuilder, month: i8) {
        if self.noted_year {
            return;
        }
        self.noted_year = true;
        let year = self.year.unwrap_or(1970);
        out.note(match self.year_source {
            YearSource::Given => format!("syslog year from --year: {year} (first line in {})", syslog::month_name(month)),
            YearSource::Mtime => {
                let (y, m) = self.mtime.map(|(y, w)| (y, w.0)).unwrap_or((year, month));
                format!(
                    "syslog year inferred from file mtime: {year} (first line in {}, file modified {} {y}); give --year to override",
                    syslog::month_name(month),
                    syslog::month_name(m)
                )
            }
            YearSource::Unknown => {
                "syslog year unknown (no --year, no file mtime): year-less lines are bad-time problems; give --year".to_string()
            }
        });
    }

    fn note_tz(&mut self, out: &mut BatchBuilder) {
        if !self.noted_tz {
            self.noted_tz = true;
            out.note(if self.tz_given {
                format!(
                    "syslog times without a zone read in {}",
                    self.tz.iana_name().unwrap_or("the --tz zone")
                )
            } else {
                "syslog times read as UTC (no --tz)".to_string()
            });
        }
    }

    /// The reading zone's name, for messages.
    fn tz_name(&self) -> &str {
        if self.tz_given {
            self.tz.iana_name().unwrap_or("the --tz zone")
        } else {
            "UTC"
        }
    }

    /// Civil time → Time: in `offset` seconds east of UTC, else in the reading zone (`--tz`,
    /// else UTC), where `zone` is the abbreviation the line names, if any.
    #[allow(clippy::too_many_arguments)]
    fn civil(
        &mut self,
        year: i32,
        month: i8,
        day: i8,
        hour: i8,
        minute: i8,
        second: i8,
        micros: i32,
        offset: Option<i32>,
        zone: Option<Abbrev>,
    ) -> Result<Time, LineError> {
        let when = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
        let bad = |why: String| LineError::new(ProblemKind::BadTime, why);
        if !(0..=59).contains(&second) && second != 60 {
            return Err(bad(format!("no such time: {when}")));
        }
        // a leap second is read as the last microsecond of its minute
        let us = if second == 60 { 59_999_999 } else { second as i64 * 1_000_000 + micros as i64 };
        let key = (year, month, day, hour, minute, offset.unwrap_or(i32::MIN));
        if zone.is_none() {
            if let Some(m) = self.minute_micros.filter(|_| self.minute_key == key) {
                return Ok(Time(m + us));
            }
        }
        let dt = i16::try_from(year)
            .ok()
            .and_then(|y| jiff::civil::DateTime::new(y, month, day, hour, minute, 0, 0).ok())
            .ok_or_else(|| bad(format!("no such time: {when}")))?;
        let at = |o: jiff::tz::Offset| {
            o.to_timestamp(dt)
                .map(|t| t.as_microsecond())
                .map_err(|_| bad(format!("no such time: {when}")))
        };
        if let Some(o) = offset {
            let o = jiff::tz::Offset::from_seconds(o)
                .map_err(|_| bad(format!("no such UTC offset: {o} s")))?;
            let m = at(o)?;
            (self.minute_key, self.minute_micros) = (key, Some(m));
            return Ok(Time(m + us));
        }
        use jiff::tz::AmbiguousOffset;
        let tz_name = self.tz_name().to_string();
        let candidates = match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => vec![at(offset)? + us],
            AmbiguousOffset::Gap { .. } => {
                return Err(bad(format!(
                    "no such local time in {tz_name}: {when} falls in the hour its clocks skip (DST); the line's zone is another"
                )))
            }
            // the earlier instant first
            AmbiguousOffset::Fold { before, after } => vec![at(before)? + us, at(after)? + us],
        };
        if let Some(z) = zone {
            // a named abbreviation: the instant at which --tz calls its time that
            if !self.tz_given {
                return Err(bad(format!(
                    "the line's zone {} is an abbreviation, ambiguous on its own: give --tz with the zone it abbreviates",
                    z.as_str()
                )));
            }
            let named = |t: &i64| {
                let ts = jiff::Timestamp::from_microsecond(t - us).ok();
                ts.map(|ts| {
                    self.tz.to_offset_info(ts).abbreviation().eq_ignore_ascii_case(z.as_str())
                })
                .unwrap_or(false)
            };
            return match candidates.iter().copied().find(named) {
                Some(t) => Ok(Time(t)),
                None => {
                    let ours = jiff::Timestamp::from_microsecond(candidates[0] - us)
                        .map(|ts| self.tz.to_offset_info(ts).abbreviation().to_string())
                        .unwrap_or_default();
                    Err(bad(format!(
                        "the line's zone {} is not what {tz_name} calls {when} ({ours})",
                        z.as_str()
                    )))
                }
            };
        }
        match candidates[..] {
            [t] => {
                (self.minute_key, self.minute_micros) = (key, Some(t - us));
                Ok(Time(t))
            }
            [early, late] => self.fold(early, late, &when, &tz_name),
            _ => Err(bad(format!("no such time: {when}"))),
        }
    }

    /// A local time the reading zone has twice (the hour DST gives back): the earlier, unless
    /// the line before it is already later (the clocks have gone back) — a minute of disorder
    /// allowed. With no line before it, or none within the fold's length before the earlier,
    /// nothing says which: a problem.
    fn fold(&self, early: i64, late: i64, when: &str, tz_name: &str) -> Result<Time, LineError> {
        const DISORDER: i64 = 60_000_000;
        let ambiguous = |why: &str| {
            LineError::new(
                ProblemKind::BadTime,
                format!("{when} happens twice in {tz_name} (the hour DST gives back) and {why}"),
            )
        };
        let Some(Time(prev)) = self.last_time else {
            return Err(ambiguous("no line before it tells which"));
        };
        if early < prev - DISORDER {
            Ok(Time(late))
        } else if early - prev > late - early {
            Err(ambiguous("the line before it is too far back to tell which"))
        } else {
            Ok(Time(early))
        }
    }

    /// The line's time; `year` is the one [`SshdParser::year_for`] chose for a year-less stamp.
    fn time(
        &mut self,
        stamp: Stamp,
        year: Option<i32>,
        out: &mut BatchBuilder,
    ) -> Result<Time, LineError> {
        match stamp {
            Stamp::NoYear { month, day, hour, minute, second, micros } => {
                self.note_year(out, month);
                let Some(year) = year.filter(|_| self.year_source != YearSource::Unknown) else {
                    // a stream without --year: nothing says which year the line is from
                    return Err(LineError::new(
                        ProblemKind::BadTime,
                        format!(
                            "{} {day} {hour:02}:{minute:02}:{second:02} has no year, and there is neither --year nor a file modification time to infer it from: give --year",
                            syslog::month_name(month)
                        ),
                    ));
                };
                self.note_tz(out);
                self.civil(year, month, day, hour, minute, second, micros, None, None)
            }
            Stamp::Full { year, month, day, hour, minute, second, micros, offset, zone } => {
                if offset.is_none() {
                    self.note_tz(out);
                }
                self.civil(year as i32, month, day, hour, minute, second, micros, offset, zone)
            }
            Stamp::Unix { micros } => Ok(Time(micros)),
            Stamp::Bad(why) => Err(LineError::new(ProblemKind::BadTime, why)),
        }
    }
}

/// Where an sshd or dropbear tag sits in a line that has no syslog envelope
/// (`srv sshd[123]: Failed ...`): the message after it.
fn unframed_message(line: &str) -> Option<(&str, bool)> {
    for (needle, dropbear) in [("sshd[", false), ("sshd-session[", false), ("dropbear[", true)] {
        if let Some(i) = line.find(needle) {
            let rest = &line[i + needle.len()..];
            let close = rest.find("]: ")?;
            if rest[..close].bytes().all(|c| c.is_ascii_digit()) {
                return Some((&rest[close + 3..], dropbear));
            }
        }
    }
    None
}

/// The year of a syslog file's first line, from its modification time and the number of
/// Dec → Jan roll-overs in it: the last dated line is anchored to the mtime (the year in which
/// it is not later than the mtime), and each roll-over before it steps one year back.
/// Exact for files of any span, where the first-line rule alone fails past one year.
/// `None` when the file has no year-less timestamps or no mtime is known.
pub fn first_year_from_mtime(
    lines: impl Iterator<Item = Vec<u8>>,
    ctx: &ParseContext,
) -> Option<i32> {
    let mtime = ctx.mtime?;
    let tz = ctx.tz.clone().unwrap_or(jiff::tz::TimeZone::UTC);
    let z = mtime.to_jiff().to_zoned_datetime(tz);
    let m_when = (z.month(), z.day(), z.hour(), z.minute(), z.second());
    // the same roll-over rule as `year_for`, on a relative year starting at 0
    let mut probe = SshdParser::new(&ParseContext { year: Some(0), ..ParseContext::default() });
    let mut last: Option<(i32, TimeOfYear)> = None;
    for raw in lines {
        let Ok(line) = std::str::from_utf8(&raw) else { continue };
        if let Some(syslog::Envelope {
            stamp: Stamp::NoYear { month, day, hour, minute, second, .. },
            ..
        }) = syslog::envelope(line)
        {
            let when = (month, day, hour, minute, second);
            let rel = probe.year_for(month, when);
            // the run's year, not a straggler's
            let run = probe.year.unwrap_or(rel);
            if rel == run {
                last = Some((run, when));
            }
        }
    }
    let (rel, when) = last?;
    let last_year = if when > m_when { z.year() as i32 - 1 } else { z.year() as i32 };
    Some(last_year - rel)
}

impl SshdParser {
    /// A line of `sudo`, `su`, `pkexec` or `runuser`: a credential switch on the logging host
    /// (orientation `switch`, the account before as the source account, the program as the
    /// authentication label), or nothing when the line records none.
    fn switch_line(
        &mut self,
        program: switch::Program,
        env: syslog::Envelope<'_>,
        year: Option<i32>,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        let Some(sw) = switch::parse(program, env.message)? else {
            return Ok(LineKind::Ignored);
        };
        let time = self.time(env.stamp, year, out)?;
        self.last_time = Some(time);
        let ev = RawEvent {
            time,
            dst_host: env.host,
            user: sw.to,
            src_user: sw.from,
            auth: Some(sw.program.label()),
            outcome: if sw.ok { Outcome::Success } else { Outcome::Failure },
            orientation: Orientation::Switch,
            ..Default::default()
        };
        out.push(&ev, Position::Line(line_no))?;
        Ok(LineKind::Event)
    }
}

impl LineParser for SshdParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        let Some(env) = syslog::envelope(line) else {
            // not syslog: an sshd authentication message without a readable time is a
            // problem; anything else (comments, other formats' lines) is not ours
            return match unframed_message(line) {
                Some((m, dropbear)) => match message::parse(m, dropbear)? {
                    Some(_) => Err(LineError::new(
                        ProblemKind::BadTime,
                        "sshd message without a syslog timestamp",
                    )),
                    None => Ok(LineKind::Ignored),
                },
                None => Ok(LineKind::Ignored),
            };
        };
        // every dated line moves the year on, whichever program wrote it
        let year = match env.stamp {
            Stamp::NoYear { month, day, hour, minute, second, .. } => {
                Some(self.year_for(month, (month, day, hour, minute, second)))
            }
            _ => None,
        };
        let Some(dropbear) = program_kind(env.program) else {
            return match switch::Program::of_tag(env.program) {
                Some(p) => self.switch_line(p, env, year, line_no, out),
                None => Ok(LineKind::Ignored),
            };
        };
        let Some(auth) = message::parse(env.message, dropbear)? else {
            return Ok(LineKind::Ignored);
        };
        let time = self.time(env.stamp, year, out)?;
        self.last_time = Some(time);
        let (src_ip, src_host) = match auth.peer {
            Some(Peer::Ip(ip)) => (Some(ip), None),
            Some(Peer::Host(h)) => (None, Some(h)),
            None => (None, None),
        };
        let (orientation, outcome) = match auth.act {
            Act::Accepted => (Orientation::LogOn, Outcome::Success),
            Act::Failed => (Orientation::LogOn, Outcome::Failure),
            Act::Closed => (Orientation::LogOff, Outcome::Unknown),
        };
        let ev = RawEvent {
            time,
            src_host,
            src_ip,
            dst_host: env.host,
            user: auth.user,
            auth: auth.method,
            logon_type: LogonType::RemoteInteractive,
            outcome,
            orientation,
            flags: if auth.invalid_user { EventFlags::INVALID_USER } else { EventFlags::default() },
            ..Default::default()
        };
        if auth.repeat > MAX_REPEAT {
            out.note(format!("\"message repeated N times\" read as at most {MAX_REPEAT} events"));
        }
        for _ in 0..auth.repeat.clamp(1, MAX_REPEAT) {
            out.push(&ev, Position::Line(line_no))?;
        }
        Ok(LineKind::Event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::SourceFormat;

    /// One event, with its strings resolved from the batch's local tables.
    #[derive(Debug, PartialEq, Eq)]
    struct Row {
        time: String,
        src: String,
        dst: String,
        user: String,
        auth: String,
        what: &'static str,
        invalid: bool,
    }

    fn ctx(year: Option<i32>) -> ParseContext {
        ParseContext { year, ..Default::default() }
    }

    fn run(
        ctx: &ParseContext,
        lines: &[&str],
    ) -> (Vec<Row>, Vec<Result<LineKind, LineError>>, Vec<String>) {
        let mut b = BatchBuilder::new(SourceFormat::Sshd);
        let mut p = SshdParser::new(ctx);
        let results =
            lines.iter().enumerate().map(|(i, l)| p.parse_line(l, i as u64 + 1, &mut b)).collect();
        let batch = b.finish();
        let t = &batch.events;
        let s = |v: &[String], id: u32| {
            if id == 0 {
                String::new()
            } else {
                v[id as usize - 1].clone()
            }
        };
        let rows = (0..t.len())
            .map(|i| {
                let e = t.get(i);
                Row {
                    time: e.time.to_rfc3339(),
                    src: if e.src_ip != 0 {
                        batch.addresses[e.src_ip as usize - 1].to_string()
                    } else {
                        s(&batch.host_names, e.src_host)
                    },
                    dst: s(&batch.host_names, e.dst_host),
                    user: if e.user == 0 {
                        String::new()
                    } else {
                        batch.accounts[e.user as usize - 1].0.clone()
                    },
                    auth: s(&batch.auths, e.auth),
                    what: match (e.orientation, e.outcome) {
                        (Orientation::LogOn, Outcome::Success) => "accepted",
                        (Orientation::LogOn, Outcome::Failure) => "failed",
                        (Orientation::LogOff, Outcome::Unknown) => "closed",
                        (Orientation::Switch, Outcome::Success) => "switch",
                        (Orientation::Switch, Outcome::Failure) => "failed switch",
                        _ => "other",
                    },
                    invalid: e.flags.contains(EventFlags::INVALID_USER),
                }
            })
            .collect();
        assert!((0..t.len()).all(|i| t.orientation[i] == Orientation::Switch as u8
            || t.logon_type[i] == LogonType::RemoteInteractive as u8));
        (rows, results, batch.notes)
    }

    /// The single event of one line read with `--year 2019`.
    fn one(line: &str) -> Row {
        let (mut rows, r, _) = run(&ctx(Some(2019)), &[line]);
        assert_eq!(r, [Ok(LineKind::Event)], "{line}");
        assert_eq!(rows.len(), 1, "{line}");
        rows.remove(0)
    }

    fn row(
        time: &str,
        src: &str,
        dst: &str,
        user: &str,
        auth: &str,
        what: &'static str,
        invalid: bool,
    ) -> Row {
        let s = |x: &str| x.to_string();
        Row { time: s(time), src: s(src), dst: s(dst), user: s(user), auth: s(auth), what, invalid }
    }

    fn kind(line: &str) -> Result<LineKind, ProblemKind> {
        let (_, r, _) = run(&ctx(Some(2019)), &[line]);
        r.into_iter().next().unwrap().map_err(|e| e.kind)
    }

    const T: &str = "2019-12-10T06:55:46Z";

    #[test]
    fn accepted() {
        assert_eq!(
            one("Dec 10 06:55:46 LabSZ sshd[24200]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"),
            row(T, "119.137.62.142", "LabSZ", "fztu", "password", "accepted", false)
        );
        assert_eq!(
            one("Dec 10 06:55:46 srv sshd[1]: Accepted publickey for git from 2001:db8::1 port 57904 ssh2: RSA SHA256:abc"),
            row(T, "2001:db8::1", "srv", "git", "publickey", "accepted", false)
        );
        assert_eq!(
            one("Dec 10 06:55:46 srv sshd[1]: Accepted keyboard-interactive/pam for bob from gw.example.com port 2 ssh2"),
            row(T, "gw.example.com", "srv", "bob", "keyboard-interactive/pam", "accepted", false)
        );
    }

    #[test]
    fn failed() {
        let l = "Dec 10 06:55:46 LabSZ sshd[24206]: Failed password for invalid user test9 from 52.80.34.196 port 36060 ssh2";
        assert_eq!(one(l), row(T, "52.80.34.196", "LabSZ", "test9", "password", "failed", true));
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from 183.62.140.253 port 57646 ssh2";
        assert_eq!(one(l), row(T, "183.62.140.253", "LabSZ", "root", "password", "failed", false));
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: Failed none for invalid user 0 from 181.214.87.4 port 63436 ssh2";
        assert_eq!(one(l), row(T, "181.214.87.4", "LabSZ", "0", "none", "failed", true));
        let l = "Dec 10 06:55:46 s sshd[1]: Failed hostbased for dan from 127.0.0.1 port 45785 ssh2: RSA 8c:e3, client user \"dan\", client host \"x\"";
        assert_eq!(one(l), row(T, "127.0.0.1", "s", "dan", "hostbased", "failed", false));
        let l =
            "Dec 10 06:55:46 s sshd[1]: Failed gssapi-with-mic for bob from 10.0.0.1 port 1 ssh2";
        assert_eq!(one(l).auth, "gssapi-with-mic");
        let l = "Dec 10 06:55:46 s sshd[1]: Failed publickey for invalid user graysky from 127.0.0.1 port 37954 ssh2: RSA SHA256:v3d";
        assert_eq!(one(l), row(T, "127.0.0.1", "s", "graysky", "publickey", "failed", true));
        let l = "Dec 10 06:55:46 s sshd[1]: Failed keyboard-interactive/pam for invalid user jamedds from 205.186.180.77 port 33723 ssh2";
        assert_eq!(one(l).auth, "keyboard-interactive/pam");
        let l = "Dec 10 06:55:46 s sshd[1]: Failed password for invalid user ROOT from aaaa:bbbb:cccc:1234::1:1";
        assert_eq!(one(l).src, "aaaa:bbbb:cccc:1234::1:1");
        let l = "Dec 10 06:55:46 s sshd[1]: error: maximum authentication attempts exceeded for invalid user xxx from 192.0.2.7 port 49941 ssh2 [preauth]";
        assert_eq!(one(l), row(T, "192.0.2.7", "s", "xxx", "", "failed", true));
        let l = "Dec 10 06:55:46 s sshd[1]: User root from 46.45.128.3 not allowed because listed in DenyUsers";
        assert_eq!(one(l), row(T, "46.45.128.3", "s", "root", "", "failed", false));
        let l = "Dec 10 06:55:46 s sshd[1]: ROOT LOGIN REFUSED FROM ::ffff:1.2.3.4 port 12345 [preauth]";
        assert_eq!(one(l), row(T, "1.2.3.4", "s", "root", "", "failed", false));
    }

    #[test]
    fn invalid_user() {
        let l = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186";
        assert_eq!(one(l), row(T, "173.234.31.186", "LabSZ", "webmaster", "", "failed", true));
        let l = "Dec 10 06:55:46 h sshd[1189074]: Invalid user  from 192.0.2.68 port 34916";
        assert_eq!(one(l), row(T, "192.0.2.68", "h", "", "", "failed", true));
        let l = "Dec 10 06:55:46 h sshd[1]: Invalid user a b from 192.0.2.68 port 34916";
        assert_eq!(one(l).user, "a b");
    }

    #[test]
    fn pam() {
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=112.95.230.3  user=root";
        assert_eq!(one(l), row(T, "112.95.230.3", "LabSZ", "root", "", "failed", false));
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ";
        assert_eq!(one(l), row(T, "173.234.31.186", "LabSZ", "", "", "failed", false));
        let l = "Dec 10 06:55:46 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root";
        assert_eq!(
            one(l),
            row(T, "220-135-151-1.hinet-ip.hinet.net", "combo", "root", "", "failed", false)
        );
        let l = "Dec 10 06:55:46 vaio sshd[16004]: (pam_unix) authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root";
        assert_eq!(one(l).src, "1.2.3.4");
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=183.62.140.253  user=root";
        assert_eq!(one(l), row(T, "183.62.140.253", "LabSZ", "root", "", "failed", false));
        let l = "Dec 10 06:55:46 bar sshd[1558]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser=root rhost=192.0.2.114";
        assert_eq!(one(l).user, "root", "ruser stands in for a missing user=");
        let l = "Dec 10 06:55:46 h sshd[1]: error: PAM: Authentication failure for stefanor from example.com";
        assert_eq!(one(l), row(T, "example.com", "h", "stefanor", "", "failed", false));
        let l = "Dec 10 06:55:46 h sshd[1]: error: PAM: authentication error for james from example.com via 192.168.1.201";
        assert_eq!(one(l).src, "example.com");
        let l = "Dec 10 06:55:46 h sshd[1]: error: PAM: User not known to the underlying authentication module for illegal user kernelitshell from 10.215.4.227 ";
        assert_eq!(one(l), row(T, "10.215.4.227", "h", "kernelitshell", "", "failed", true));
        // not authentication events
        for l in [
            "Dec 10 06:55:46 LabSZ sshd[1]: pam_unix(sshd:session): session opened for user fztu by (uid=0)",
            "Dec 10 06:55:46 LabSZ sshd[1]: pam_unix(sshd:auth): check pass; user unknown",
            "Dec 10 06:55:46 LabSZ sshd[1]: PAM service(sshd) ignoring max retries; 6 > 3",
            "Dec 10 06:55:46 srv2 vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=a rhost=1.2.3.4",
        ] {
            assert_eq!(kind(l), Ok(LineKind::Ignored), "{l}");
        }
    }

    #[test]
    fn closes() {
        let l = "Dec 10 06:55:46 LabSZ sshd[1]: Received disconnect from 139.59.209.18: 11: Bye Bye [preauth]";
        assert_eq!(one(l), row(T, "139.59.209.18", "LabSZ", "", "", "closed", false));
        let l = "Dec 10 06:55:46 h sshd[1]: Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]";
        assert_eq!(one(l).src, "198.51.100.76");
        let l = "Dec 10 06:55:46 h sshd[1]: error: Received disconnect from 2001:db8::5: 3: com.jcraft.jsch.JSchException: Auth fail [preauth]";
        assert_eq!(one(l).src, "2001:db8::5");
        let l = "Dec 10 06:55:46 h sshd[1]: Connection closed by 192.0.2.111 [preauth]";
        assert_eq!(one(l), row(T, "192.0.2.111", "h", "", "", "closed", false));
        let l = "Dec 10 06:55:46 h sshd[1]: Connection closed by authenticating user test 127.0.0.1 192.0.2.11 port 46039 [preauth]";
        assert_eq!(one(l), row(T, "192.0.2.11", "h", "test 127.0.0.1", "", "closed", false));
        let l = "Dec 10 06:55:46 h sshd[1]: Connection closed by invalid user  192.0.2.68 port 34916 [preauth]";
        assert_eq!(one(l), row(T, "192.0.2.68", "h", "", "", "closed", true));
        let l = "Dec 10 06:55:46 h sshd[1]: Disconnected from user root 192.0.2.1 port 40000";
        assert_eq!(one(l), row(T, "192.0.2.1", "h", "root", "", "closed", false));
        let l = "Dec 10 06:55:46 h sshd[1]: Connection reset by 192.0.2.39 port 14282 [preauth]";
        assert_eq!(one(l).what, "closed");
        let l = "Dec 10 06:55:46 h sshd[1]: Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username or service not allowed: (admin,ssh-connection) -> (user,ssh-connection) [preauth]";
        assert_eq!(one(l), row(T, "192.0.2.117", "h", "admin", "", "closed", true));
    }

    #[test]
    fn dropbear() {
        let l = "Dec 10 06:55:46 b dropbear[4092]: Password auth succeeded for 'root' from 1.2.3.4:5678";
        assert_eq!(one(l), row(T, "1.2.3.4", "b", "root", "password", "accepted", false));
        let l = "Dec 10 06:55:46 b dropbear[4092]: Pubkey auth succeeded for 'root' with key md5 0a:0b from 1.2.3.4:5678";
        assert_eq!(one(l), row(T, "1.2.3.4", "b", "root", "publickey", "accepted", false));
        let l = "Dec 10 06:55:46 b dropbear[4092]: bad password attempt for 'root' from 198.51.100.87:5543";
        assert_eq!(one(l), row(T, "198.51.100.87", "b", "root", "password", "failed", false));
        let l = "Dec 10 06:55:46 dropbear[1252]: login attempt for nonexistent user from ::ffff:198.51.100.215:60495";
        assert_eq!(one(l), row(T, "198.51.100.215", "", "", "", "failed", true));
        let l = "Dec 10 06:55:46 b dropbear[1335]: Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from 1.2.3.4:60588";
        assert_eq!(one(l), row(T, "1.2.3.4", "b", "root", "", "failed", false));
        let l = "Dec 10 06:55:46 b dropbear[825]: [825] Dec 10 06:55:46 Exit before auth from <192.0.2.3:52325>: Max auth tries reached - user 'is invalid'";
        assert_eq!(one(l), row(T, "192.0.2.3", "b", "", "", "failed", true));
        let l = "Dec 10 06:55:46 b dropbear[825]: Exit before auth from <192.0.2.3:52325>: Exited normally";
        assert_eq!(one(l).what, "closed");
        let l = "Dec 10 06:55:46 b dropbear[825]: Exit (root) from <192.0.2.3:52325>: Disconnect received";
        assert_eq!(one(l), row(T, "192.0.2.3", "b", "root", "", "closed", false));
        assert_eq!(
            kind("Dec 10 06:55:46 b dropbear[825]: Child connection from 192.0.2.3:52325"),
            Ok(LineKind::Ignored)
        );
    }

    #[test]
    fn not_authentication() {
        for l in [
            "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
            "Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]",
            "Dec 10 06:55:46 h sshd[1]: Server listening on 0.0.0.0 port 22.",
            "Dec 10 06:55:46 h sshd[1]: Connection from 192.0.2.10 port 62004 on 192.0.2.10 port 22",
            "Dec 10 06:55:46 h sshd[1]: Postponed publickey for git from 192.0.2.1 port 57904 ssh2 [preauth]",
            "Dec 10 06:55:46 h sshd[1]: Did not receive identification string from 69.61.56.114",
            "Dec 10 06:55:46 h sshd[1]: Disconnecting: Too many authentication failures for root [preauth]",
            "Dec 10 06:55:46 h sshd[1]: User root not allowed because account is locked",
            "Dec 10 06:55:46 h sshd[1]: Accepted key RSA SHA256:abc found at /home/u/.ssh/authorized_keys:1",
            "Dec 10 06:55:46 h sshd[1]: Failed to release session: Interrupted system call",
            "Dec 10 06:55:46 h sshd[1]: Starting session: shell on pts/0 for root from 1.2.3.4 port 5 id 0",
            "Dec 10 06:55:46 h CRON[1]: pam_unix(cron:session): session opened for user root by (uid=0)",
            "Dec 10 06:55:46 h kernel: Failed password for root from 1.2.3.4 port 1 ssh2",
            "# failJSON: { \"match\": false }",
            "",
        ] {
            assert_eq!(kind(l), Ok(LineKind::Ignored), "{l}");
        }
    }

    #[test]
    fn unreadable_auth_lines_have_reasons() {
        let cases = [
            ("Dec 10 06:55:46 h sshd[1]: Failed password for root from 999.1.1.1 port 22 ssh2", ProblemKind::BadAddress),
            ("Dec 10 06:55:46 h sshd[1]: Failed password for root from 192.030.0.6 port 22 ssh2", ProblemKind::BadAddress),
            ("Dec 10 06:55:46 h sshd[1]: Accepted password for root", ProblemKind::Truncated),
            ("Dec 10 06:55:46 h sshd[1]: message repeated 3 tims: [ Failed password]", ProblemKind::UnknownMessage),
            ("Dec 10 06:55:46 h sshd[1]: message repeated x times: [ Failed password]", ProblemKind::BadValue),
            ("Dec 32 06:55:46 h sshd[1]: Accepted password for root from 1.2.3.4 port 1 ssh2", ProblemKind::BadTime),
            ("Feb 30 06:55:46 h sshd[1]: Accepted password for root from 1.2.3.4 port 1 ssh2", ProblemKind::BadTime),
            ("Dec 10 25:55:46 h sshd[1]: Accepted password for root from 1.2.3.4 port 1 ssh2", ProblemKind::BadTime),
            ("Dec 1x 06:55:46 h sshd[1]: Accepted password for root from 1.2.3.4 port 1 ssh2", ProblemKind::BadTime),
            ("srv sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2", ProblemKind::BadTime),
            ("<38>1 - h sshd 1 - - Failed password for x from 1.2.3.4 port 1 ssh2", ProblemKind::BadTime),
        ];
        for (l, k) in cases {
            assert_eq!(kind(l), Err(k), "{l}");
        }
        // other programs' bad times are not our problem
        assert_eq!(kind("Dec 32 06:55:46 h cron[1]: whatever"), Ok(LineKind::Ignored));
    }

    #[test]
    fn repeated_messages_count() {
        let (rows, _, _) = run(
            &ctx(Some(2019)),
            &["Dec 10 06:55:46 LabSZ sshd[24200]: message repeated 3 times: [ Failed password for root from 1.2.3.4 port 1]"],
        );
        assert_eq!(rows.len(), 3);
        assert!(rows.iter().all(|r| r.user == "root" && r.what == "failed"));
    }

    #[test]
    fn timestamps_with_their_own_zone() {
        let l = "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2";
        assert_eq!(
            one(l),
            row(
                "2019-07-08T21:40:16.954167Z",
                "192.0.2.1",
                "hostname.example.com",
                "redmond",
                "unknown",
                "failed",
                true
            )
        );
        let l = "2015-04-16T18:02:50.568798+00:00 host sshd[2716]: Connection closed by 192.0.2.112 [preauth]";
        assert_eq!(one(l).time, "2015-04-16T18:02:50.568798Z");
        let l =
            "2015-04-16T18:02:50+0200 host sshd[2716]: Connection closed by 192.0.2.112 [preauth]";
        assert_eq!(one(l).time, "2015-04-16T16:02:50Z");
        let l = "Thu 2015-04-16 18:02:50 UTC host sshd[2716]: Connection closed by 192.0.2.112 [preauth]";
        assert_eq!(one(l).time, "2015-04-16T18:02:50Z");
        let l = "1429200170.25 host sshd[2716]: Connection closed by 192.0.2.112 [preauth]";
        assert_eq!(one(l).time, "2015-04-16T16:02:50.250000Z");
        let l =
            "Dec 10 06:55:46.123456 host sshd[2716]: Connection closed by 192.0.2.112 [preauth]";
        assert_eq!(one(l).time, "2019-12-10T06:55:46.123456Z");
        let l = "Jul 10 23:53:52 fail2ban-test dropbear[825]: [825] Jul 10 23:53:52 Bad password attempt for 'root' from 1.2.3.4:52289";
        assert_eq!(one(l).time, "2019-07-10T23:53:52Z");
    }

    #[test]
    fn tz_applies_to_zoneless_times_only() {
        let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
        let c = ParseContext { year: Some(2019), tz: Some(ny), ..Default::default() };
        let (rows, _, notes) = run(
            &c,
            &[
                "Jul  1 12:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Dec  1 12:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "2019-07-01T12:00:00Z h sshd[1]: Invalid user a from 1.2.3.4",
                "Mon 2019-07-01 12:00:00 EDT h sshd[1]: Invalid user a from 1.2.3.4",
            ],
        );
        let times: Vec<&str> = rows.iter().map(|r| r.time.as_str()).collect();
        assert_eq!(
            times,
            [
                "2019-07-01T16:00:00Z",
                "2019-12-01T17:00:00Z",
                "2019-07-01T12:00:00Z",
                "2019-07-01T16:00:00Z"
            ]
        );
        assert!(notes.iter().any(|n| n.contains("America/New_York")), "{notes:?}");
        let (_, _, notes) =
            run(&ctx(Some(2019)), &["Jul  1 12:00:00 h sshd[1]: Invalid user a from 1.2.3.4"]);
        assert!(notes.contains(&"syslog times read as UTC (no --tz)".to_string()), "{notes:?}");
    }

    fn in_zone(zone: &str) -> ParseContext {
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        ParseContext { year: Some(2019), tz: Some(tz), ..Default::default() }
    }

    fn times_and_errors(c: &ParseContext, lines: &[&str]) -> Vec<String> {
        let (rows, results, _) = run(c, lines);
        let mut rows = rows.into_iter();
        results
            .into_iter()
            .map(|r| match r {
                Ok(LineKind::Event) => rows.next().unwrap().time,
                Ok(k) => format!("{k:?}"),
                Err(e) => format!("{:?}: {}", e.kind, e.message),
            })
            .collect()
    }

    #[test]
    fn dst_fold_is_read_by_the_lines_around_it() {
        // New York went back from 02:00 EDT to 01:00 EST on 2019-11-03: 01:00-01:59 twice
        let c = in_zone("America/New_York");
        let got = times_and_errors(
            &c,
            &[
                "Nov  3 00:59:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Nov  3 01:10:00 h sshd[1]: Invalid user a from 1.2.3.4", // first pass (EDT)
                "Nov  3 01:50:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Nov  3 01:49:30 h sshd[1]: Invalid user a from 1.2.3.4", // 30 s of disorder
                "Nov  3 01:05:00 h sshd[1]: Invalid user a from 1.2.3.4", // clocks went back (EST)
                "Nov  3 01:30:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Nov  3 02:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            ],
        );
        assert_eq!(
            got,
            [
                "2019-11-03T04:59:00Z",
                "2019-11-03T05:10:00Z",
                "2019-11-03T05:50:00Z",
                "2019-11-03T05:49:30Z",
                "2019-11-03T06:05:00Z",
                "2019-11-03T06:30:00Z",
                "2019-11-03T07:00:00Z",
            ]
        );
        // nothing before it, or nothing within the hour before it: cannot be known
        let got = times_and_errors(
            &c,
            &[
                "Nov  3 01:30:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Nov  2 20:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Nov  3 01:30:00 h sshd[1]: Invalid user a from 1.2.3.4",
            ],
        );
        assert!(
            got[0].starts_with("BadTime: 2019-11-03 01:30:00 happens twice in America/New_York"),
            "{got:?}"
        );
        assert_eq!(got[1], "2019-11-03T00:00:00Z");
        assert!(got[2].contains("too far back"), "{got:?}");
    }

    #[test]
    fn dst_gap_and_zone_abbreviations() {
        // New York skipped 02:00-02:59 on 2019-03-10
        let c = in_zone("America/New_York");
        let got = times_and_errors(
            &c,
            &[
                "Mar 10 02:30:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Mar 10 03:30:00 h sshd[1]: Invalid user a from 1.2.3.4",
                // journalctl short-full names its zone: read in --tz only when it says the same
                "Sun 2019-11-03 01:30:00 EST h sshd[1]: Invalid user a from 1.2.3.4",
                "Sun 2019-11-03 01:30:00 EDT h sshd[1]: Invalid user a from 1.2.3.4",
                "Mon 2019-07-01 12:00:00 CEST h sshd[1]: Invalid user a from 1.2.3.4",
                "Mon 2019-07-01 12:00:00 est h sshd[1]: Invalid user a from 1.2.3.4",
            ],
        );
        assert!(got[0].starts_with("BadTime: no such local time in America/New_York"), "{got:?}");
        assert_eq!(got[1], "2019-03-10T07:30:00Z");
        assert_eq!(got[2], "2019-11-03T06:30:00Z");
        assert_eq!(got[3], "2019-11-03T05:30:00Z");
        assert!(got[4].contains("CEST is not what America/New_York calls"), "{got:?}");
        assert!(
            got[5].contains("est is not what America/New_York calls") && got[5].contains("(EDT)"),
            "{got:?}"
        );
        // without --tz an abbreviation is never read as UTC
        let got = times_and_errors(
            &ctx(Some(2019)),
            &[
                "Thu 2015-04-16 18:02:50 CEST host sshd[2716]: Connection closed by 192.0.2.112 [preauth]",
                "Thu 2015-04-16 18:02:50 C3ST host sshd[2716]: Connection closed by 192.0.2.112 [preauth]",
            ],
        );
        assert!(got[0].contains("CEST is an abbreviation") && got[0].contains("--tz"), "{got:?}");
        assert!(got[1].contains("unreadable time zone"), "{got:?}");
    }

    #[test]
    fn year_from_flag_with_roll_over() {
        let (rows, _, notes) = run(
            &ctx(Some(2019)),
            &[
                "Dec 31 23:59:58 h sshd[1]: Invalid user a from 1.2.3.4",
                "Jan  1 00:00:01 h sshd[1]: Invalid user b from 1.2.3.4",
                // a straggler written late stays in the old year, and does not undo the roll-over
                "Dec 31 23:59:59 h sshd[1]: Invalid user c from 1.2.3.4",
                "Jan  1 00:00:02 h sshd[1]: Invalid user d from 1.2.3.4",
                // a small step back is disorder, not a new year
                "Mar  1 00:00:00 h cron[1]: x",
                "Feb 28 00:00:00 h sshd[1]: Invalid user e from 1.2.3.4",
            ],
        );
        let times: Vec<&str> = rows.iter().map(|r| r.time.as_str()).collect();
        assert_eq!(
            times,
            [
                "2019-12-31T23:59:58Z",
                "2020-01-01T00:00:01Z",
                "2019-12-31T23:59:59Z",
                "2020-01-01T00:00:02Z",
                "2020-02-28T00:00:00Z"
            ]
        );
        assert_eq!(notes[0], "syslog year from --year: 2019 (first line in Dec)");
    }

    #[test]
    fn year_from_mtime() {
        let mtime = |s: &str| Some(Time::parse(s).unwrap());
        // file last written in March 2020, first line in November: it began in 2019
        let c = ParseContext { mtime: mtime("2020-03-05T10:00:00Z"), ..Default::default() };
        let (rows, _, notes) = run(
            &c,
            &[
                "Nov 30 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "Mar  5 09:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            ],
        );
        assert_eq!(rows[0].time, "2019-11-30T10:00:00Z");
        assert_eq!(rows[1].time, "2020-03-05T09:00:00Z");
        assert!(notes[0].starts_with("syslog year inferred from file mtime: 2019"), "{notes:?}");
        // first line in the mtime's own month or before: the mtime's year
        let c = ParseContext { mtime: mtime("2020-03-05T10:00:00Z"), ..Default::default() };
        let (rows, _, _) = run(&c, &["Feb  1 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4"]);
        assert_eq!(rows[0].time, "2020-02-01T10:00:00Z");
        // --year wins over the mtime
        let c = ParseContext {
            year: Some(2005),
            mtime: mtime("2020-03-05T10:00:00Z"),
            ..Default::default()
        };
        let (rows, _, _) = run(&c, &["Feb  1 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4"]);
        assert_eq!(rows[0].time, "2005-02-01T10:00:00Z");
        // a file spanning more than a year: the pre-pass anchors the LAST line to the mtime
        // and counts the roll-overs back to the first
        let lines = [
            "May 31 16:31:59 h sshd[1]: Invalid user a from 1.2.3.4",
            "Nov  2 01:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            "Jan  3 01:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
            "Feb 29 01:07:34 h sshd[1]: Invalid user a from 1.2.3.4",
            "May 31 16:35:35 h sshd[1]: Invalid user a from 1.2.3.4",
        ];
        let mut c = ParseContext { mtime: mtime("2020-05-31T16:35:35Z"), ..Default::default() };
        c.inferred_year = first_year_from_mtime(lines.iter().map(|l| l.as_bytes().to_vec()), &c);
        assert_eq!(c.inferred_year, Some(2019));
        let (rows, _, _) = run(&c, &lines);
        assert_eq!(rows[0].time, "2019-05-31T16:31:59Z");
        assert_eq!(rows[3].time, "2020-02-29T01:07:34Z");
        assert_eq!(rows[4].time, "2020-05-31T16:35:35Z");
        // two roll-overs, and a last line later in the day than the mtime: the last line
        // cannot postdate the file's last write, so it is from the year before
        let lines = [
            "Dec 30 10:00:00 h sshd[1]: x",
            "Jan  2 10:00:00 h sshd[1]: x",
            "Jun  1 10:00:00 h sshd[1]: x",
            "Dec 31 10:00:00 h sshd[1]: x",
            "Jan  1 09:30:00 h sshd[1]: x",
        ];
        let c = ParseContext { mtime: mtime("2021-01-01T09:00:00Z"), ..Default::default() };
        assert_eq!(
            first_year_from_mtime(lines.iter().map(|l| l.as_bytes().to_vec()), &c),
            Some(2018)
        );
        let c = ParseContext { mtime: mtime("2021-01-01T10:00:00Z"), ..Default::default() };
        assert_eq!(
            first_year_from_mtime(lines.iter().map(|l| l.as_bytes().to_vec()), &c),
            Some(2019)
        );
        // neither (a stream without --year): the year cannot be known, every year-less line
        // is a located problem; lines with a full date are still read
        let (rows, results, notes) = run(
            &ctx(None),
            &[
                "Feb  1 10:00:00 h sshd[1]: Invalid user a from 1.2.3.4",
                "2019-02-01T10:00:01Z h sshd[1]: Invalid user a from 1.2.3.4",
                "Feb  1 10:00:02 h sshd[1]: Invalid user b from 1.2.3.4",
            ],
        );
        assert_eq!(
            rows.iter().map(|r| r.time.as_str()).collect::<Vec<_>>(),
            ["2019-02-01T10:00:01Z"]
        );
        for i in [0, 2] {
            let e = results[i].as_ref().unwrap_err();
            assert_eq!(e.kind, ProblemKind::BadTime);
            assert!(e.message.contains("Feb 1 10:00:0") && e.message.contains("--year"), "{e:?}");
        }
        assert!(notes[0].starts_with("syslog year unknown"), "{notes:?}");
    }

    #[test]
    fn looks_like_syslog_shapes() {
        for l in [
            "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
            "<38>Dec 10 06:55:46 LabSZ sshd[24200]: x",
            "Dec 10 06:55:46.123456 LabSZ sshd[24200]: x",
            "2019-07-08T17:40:16.954167-04:00 host sshd[1]: x",
            "2019-07-08T17:40:16+0200 host sshd[1]: x",
            "Mon 2019-07-08 17:40:16 CEST host sshd[1]: x",
            "<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed",
            "Jun 25 23:53:34 [sshd] User root from 1.2.3.4 not allowed because not listed in AllowUsers",
        ] {
            assert!(looks_like_syslog(l), "{l}");
        }
        for l in [
            "hello world",
            "1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success",
            "# failJSON: {}",
            "",
        ] {
            assert!(!looks_like_syslog(l), "{l}");
        }
    }

    /// A switch line read with `--year 2019`: (time, host, from, to, program, what).
    fn switch_row(line: &str) -> (String, String, String, String, String, &'static str) {
        let r = one(line);
        // the account before the switch is the source account: read it back from the batch
        let mut b = BatchBuilder::new(SourceFormat::Sshd);
        SshdParser::new(&ctx(Some(2019))).parse_line(line, 1, &mut b).unwrap();
        let batch = b.finish();
        let from = match batch.events.src_user[0] {
            0 => String::new(),
            id => batch.accounts[id as usize - 1].0.clone(),
        };
        (r.time, r.dst, from, r.user, r.auth, r.what)
    }

    #[test]
    fn credential_switches() {
        let s = |x: &str| x.to_string();
        assert_eq!(
            switch_row("Dec 10 06:55:46 sg-ops-03 sudo: opsadmin : TTY=pts/0 ; PWD=/home/x ; USER=root ; COMMAND=/bin/bash"),
            (s(T), s("sg-ops-03"), s("opsadmin"), s("root"), s("sudo"), "switch")
        );
        assert_eq!(
            switch_row("Dec 10 06:55:46 sg-ops-03 sudo[812]: pam_unix(sudo:session): session opened for user root(uid=0) by opsadmin(uid=1000)"),
            (s(T), s("sg-ops-03"), s("opsadmin"), s("root"), s("sudo"), "switch")
        );
        assert_eq!(
            switch_row("Dec 10 06:55:46 h su[9]: (to root) opsadmin on pts/0"),
            (s(T), s("h"), s("opsadmin"), s("root"), s("su"), "switch")
        );
        assert_eq!(
            switch_row("Dec 10 06:55:46 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)"),
            (s(T), s("combo"), s("root"), s("cyrus"), s("su"), "switch")
        );
        assert_eq!(
            switch_row("Dec 10 06:55:46 combo su(pam_unix)[1]: authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=1.2.3.4 user=x"),
            (s(T), s("combo"), s(""), s("x"), s("su"), "failed switch")
        );
        assert_eq!(
            switch_row("2019-12-10T06:55:46Z h pkexec[3]: opsadmin: Executing command [USER=root] [TTY=unknown] [CWD=/] [COMMAND=/bin/sh]"),
            (s(T), s("h"), s("opsadmin"), s("root"), s("pkexec"), "switch")
        );
        assert_eq!(
            switch_row("Thu 2019-12-10 06:55:46 UTC h runuser[4]: pam_unix(runuser-l:session): session opened for user postgres by (uid=0)"),
            (s(T), s("h"), s("root"), s("postgres"), s("runuser"), "switch")
        );
        // the programs' other lines are not events; an ambiguous sudo line is a problem
        for l in [
            "Dec 10 06:55:46 h sudo: pam_unix(sudo:session): session closed for user root",
            "Dec 10 06:55:46 h su(pam_unix)[1]: session closed for user news",
            "Dec 10 06:55:46 h sudo[1]: unable to resolve host h: Name or service not known",
            "Dec 10 06:55:46 h sudoedit[1]: opsadmin : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=x",
        ] {
            assert_eq!(kind(l), Ok(LineKind::Ignored), "{l}");
        }
        assert_eq!(
            kind("Dec 10 06:55:46 h sudo: x : TTY=pts/0 ; PWD=/a ; USER=root ; b ; USER=y ; COMMAND=z"),
            Err(ProblemKind::BadValue)
        );
        assert_eq!(
            kind("Dec 32 06:55:46 h sudo: x : TTY=pts/0 ; PWD=/a ; USER=root ; COMMAND=z"),
            Err(ProblemKind::BadTime)
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,200}") {
            let mut b = BatchBuilder::new(SourceFormat::Sshd);
            let mut p = SshdParser::new(&ctx(None));
            let _ = p.parse_line(&line, 1, &mut b);
            let _ = looks_like_syslog(&line);
        }

        #[test]
        fn never_panics_on_sshd_shaped_lines(
            head in "(<[0-9]{1,3}>)?(Jan|Dec|2019-07-08T17:40:16(Z|\\+02:00)?) ?[ 0-9]{0,3} ?[0-9:.]{0,12} ",
            prog in "(h )?(sshd|dropbear|\\[sshd\\])(\\[[0-9]{1,5}\\])?:? ",
            verb in "(Accepted|Failed|Invalid user|Connection closed by|Received disconnect from|message repeated|PAM|pam_unix\\(sshd:auth\\):|Exit before auth|Bad password attempt for|User|error:) ",
            rest in "[ -~]{0,80}",
        ) {
            let line = format!("{head}{prog}{verb}{rest}");
            let mut b = BatchBuilder::new(SourceFormat::Sshd);
            let _ = SshdParser::new(&ctx(Some(2019))).parse_line(&line, 1, &mut b);
        }

        #[test]
        fn never_panics_on_switch_shaped_lines(
            prog in "(sudo|su|pkexec|runuser|su\\(pam_unix\\))(\\[[0-9]{1,5}\\])?: ",
            verb in "(pam_unix\\((sudo|su-l|polkit-1|runuser|cron):(session|auth)\\): |\\(to |FAILED SU |[+-] |[a-z]{1,8} : |[a-z]{1,8}: )?(session opened for user |authentication failure; |TTY=|USER=|Executing command |Successful su for )?",
            rest in "[ -~]{0,80}",
        ) {
            let line = format!("Dec 10 06:55:46 h {prog}{verb}{rest}");
            let mut b = BatchBuilder::new(SourceFormat::Sshd);
            let _ = SshdParser::new(&ctx(Some(2019))).parse_line(&line, 1, &mut b);
        }

        #[test]
        fn well_formed_switch_lines_parse(
            host in "[a-z][a-z0-9-]{0,12}",
            from in "[a-z_][a-z0-9_.-]{0,15}",
            to in "[a-z_][a-z0-9_.-]{0,15}",
            pwd in "/[ -:<-~]{0,30}",
            command in "/[ -~]{0,40}",
            shape in 0usize..4,
        ) {
            // the directory holds no ';' (a " ; USER=" in it would make the line ambiguous),
            // the command anything
            let (prog, msg) = match shape {
                0 => ("sudo", format!("{from} : TTY=pts/0 ; PWD={pwd} ; USER={to} ; COMMAND={command}")),
                1 => ("sudo", format!("pam_unix(sudo:session): session opened for user {to}(uid=0) by {from}(uid=1000)")),
                2 => ("su", format!("(to {to}) {from} on pts/3")),
                _ => ("pkexec", format!("{from}: Executing command [USER={to}] [TTY=unknown] [CWD={pwd}] [COMMAND={command}]")),
            };
            let line = format!("Dec 10 06:55:46 {host} {prog}[7]: {msg}");
            let mut b = BatchBuilder::new(SourceFormat::Sshd);
            let r = SshdParser::new(&ctx(Some(2019))).parse_line(&line, 1, &mut b);
            proptest::prop_assert_eq!(r, Ok(LineKind::Event), "{}", line);
            let batch = b.finish();
            let name = |id: u32| batch.accounts[id as usize - 1].0.clone();
            let e = batch.events.get(0);
            proptest::prop_assert_eq!(e.orientation, Orientation::Switch);
            proptest::prop_assert_eq!(e.outcome, Outcome::Success);
            proptest::prop_assert_eq!(name(e.user), to.clone());
            // the same name at both ends is interned once
            proptest::prop_assert_eq!(name(e.src_user), from.clone());
            proptest::prop_assert_eq!(&batch.auths[e.auth as usize - 1], prog);
        }

        #[test]
        fn well_formed_lines_parse(
            month in 0usize..12,
            day in 1u32..=28,
            (h, m, s) in (0u32..24, 0u32..60, 0u32..60),
            host in "[a-z][a-z0-9-]{0,12}",
            verb in proptest::sample::select(vec!["Accepted", "Failed"]),
            method in proptest::sample::select(vec!["password", "publickey", "keyboard-interactive", "none", "hostbased"]),
            invalid in proptest::bool::ANY,
            user in "[a-z_][a-z0-9_.-]{0,15}",
            ip in proptest::array::uniform4(0u8..=255),
            port in 1u32..65536,
        ) {
            const M: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let ip = std::net::Ipv4Addr::from(ip).to_string();
            let inv = if invalid && verb == "Failed" { "invalid user " } else { "" };
            let line = format!(
                "{} {day:>2} {h:02}:{m:02}:{s:02} {host} sshd[42]: {verb} {method} for {inv}{user} from {ip} port {port} ssh2",
                M[month]
            );
            let (rows, r, _) = run(&ctx(Some(2019)), &[line.as_str()]);
            proptest::prop_assert_eq!(&r, &[Ok(LineKind::Event)], "{}", line);
            let want = format!("2019-{:02}-{day:02}T{h:02}:{m:02}:{s:02}Z", month + 1);
            let what = if verb == "Accepted" { "accepted" } else { "failed" };
            proptest::prop_assert_eq!(&rows[0], &row(&want, &ip, &host, &user, method, what, !inv.is_empty()));
        }

        /// Every instant of a year, written as a year-less syslog line in a zone with DST,
        /// is read back as that instant when lines come at least every ten minutes before it
        /// (as in any busy auth.log): the night clocks go back included.
        #[test]
        fn local_times_in_a_dst_zone_read_back(
            us in 1_546_398_000_000_000i64..1_577_660_400_000_000, // 2019-01-02 .. 2019-12-30
            zone in proptest::sample::select(vec!["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata"]),
        ) {
            let c = in_zone(zone);
            let tz = c.tz.clone().unwrap();
            let line = |us: i64| {
                let z = jiff::Timestamp::from_microsecond(us).unwrap().to_zoned_datetime(tz.clone());
                format!("{} h sshd[1]: Invalid user a from 1.2.3.4", z.strftime("%b %e %H:%M:%S"))
            };
            let us = us - us % 1_000_000;
            const MINUTE: i64 = 60_000_000;
            let mut at: Vec<i64> = (1..=18).rev().map(|k| us - k * 10 * MINUTE).collect();
            at.extend([us - MINUTE, us]);
            // the first line of a file in the repeated hour cannot be known (tested above)
            let first = jiff::Timestamp::from_microsecond(at[0]).unwrap().to_zoned_datetime(tz.clone());
            proptest::prop_assume!(!tz.to_ambiguous_timestamp(first.datetime()).is_ambiguous());
            let lines: Vec<String> = at.iter().map(|t| line(*t)).collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let got = times_and_errors(&c, &refs);
            let want: Vec<String> = at.iter().map(|t| Time(*t).to_rfc3339()).collect();
            proptest::prop_assert_eq!(got, want, "{:?}", lines);
        }
    }
}
