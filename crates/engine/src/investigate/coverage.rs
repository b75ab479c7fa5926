//! What the logs of a case can and cannot show: per host, the periods its own logs cover (all
//! together and by source format), its silences longer than its usual rhythm, its clock jumps
//! back, and the tampering events it logged ([docs/coverage.md](../../../../docs/coverage.md)).
//!
//! Whose log an event is: the destination's (the computer that wrote it) for every host log,
//! the source's for a 4648 (written on the side the credentials were used from). Kerberos and
//! NTLM validations (`tgt`, `tgs`) are the domain controller's and name it nowhere reliable;
//! network-only records (Zeek) are the sensor's: neither counts for any host.
//!
//! A host's usual rhythm is its longest silence in an ordinary week: each whole week (Monday to
//! Sunday, UTC) its stream spans has a longest silence, and the rhythm is the one four weeks in
//! five stay within (the 80th percentile). A silence is a gap when it is longer than twice the
//! rhythm, and never when it is a day or shorter. A stream of less than two whole weeks has no
//! known rhythm: its gaps are silences of more than three days. The silence before a stream's
//! first event (from the case's first) and after its last (to the case's last) count too.

use std::collections::BTreeMap;

use hopscope_model::{
    EventFlags, EventTable, Evidence, Orientation, Position, SourceFormat, TamperKind, Tampering,
    Time,
};

use crate::units::DAY;
#[cfg(test)]
use crate::units::HOUR;

const WEEK: i64 = 7 * DAY;
/// 1970-01-01 was a Thursday: shift so weeks start on Monday.
const MONDAY_SHIFT: i64 = 3 * DAY;
/// Never a gap: a silence of a day or less.
pub const MIN_GAP: i64 = DAY;
/// The gap of a stream whose rhythm is not known (less than two whole weeks of it).
pub const UNKNOWN_RHYTHM_GAP: i64 = 3 * DAY;
/// A line whose time is more than this before the line above it is a jump back of the clock;
/// less is the ordinary reordering of a syslog relay.
pub const JUMP_TOLERANCE: i64 = 5 * 60 * 1_000_000;

fn week(t: i64) -> i64 {
    (t + MONDAY_SHIFT).div_euclid(WEEK)
}

/// A silence of a stream longer than its rhythm allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    /// The stream's last event before the silence (the case's first event for a stream that
    /// begins late).
    pub from: Time,
    /// The stream's first event after it (`None`: not within the case; it lasts to the case's
    /// last event).
    pub to: Option<Time>,
    /// The last line before it, when the silence follows an event of the stream.
    pub evidence: Option<Evidence>,
}

/// One stream: a host's logs, all together or of one source format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stream {
    pub first: Time,
    pub last: Time,
    pub events: u64,
    /// The longest silence of an ordinary week (`None`: less than two whole weeks of the
    /// stream).
    pub rhythm: Option<i64>,
    /// A silence longer than this is a gap.
    pub allowed: i64,
    /// In time order.
    pub gaps: Vec<Gap>,
}

impl Stream {
    /// The periods the stream covers: from its first event (or the end of a gap) to the start of
    /// the next gap (or its last event).
    pub fn periods(&self) -> Vec<(Time, Time)> {
        let mut out = Vec::new();
        let mut start = self.first;
        for g in &self.gaps {
            match g.to {
                Some(to) if g.from < self.first => start = to,
                Some(to) => {
                    out.push((start, g.from));
                    start = to;
                }
                None => {}
            }
        }
        out.push((start, self.last));
        out
    }

    /// The gap that `t` falls in, if any.
    pub fn gap_at(&self, t: Time) -> Option<&Gap> {
        self.gaps.iter().find(|g| g.from < t && g.to.is_none_or(|to| t < to))
    }
}

/// A host's logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostLogs {
    pub host: u32,
    /// All its logs together: the host is blind in this stream's gaps.
    pub all: Stream,
    /// By source format, in the formats' order.
    pub by_format: Vec<(SourceFormat, Stream)>,
}

/// What a case's logs cover.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The case's first and last event (of any host).
    pub first: Option<Time>,
    pub last: Option<Time>,
    /// Hosts with logs, by id.
    pub hosts: Vec<HostLogs>,
    /// Tampering events stored in the case and the silences and clock jumps read from the
    /// streams, by (time, host, kind).
    pub tampering: Vec<Tampering>,
}

impl Coverage {
    pub fn host(&self, id: u32) -> Option<&HostLogs> {
        self.hosts.binary_search_by_key(&id, |h| h.host).ok().map(|i| &self.hosts[i])
    }

    /// Why hops out of `host` at `t` may be missing: it has no logs, or `t` is in a gap of
    /// them. `None` when its logs cover `t`.
    pub fn blind_at(&self, host: u32, t: Time) -> Option<Blind> {
        match self.host(host) {
            None => Some(Blind::NoLogs),
            Some(h) => h.all.gap_at(t).map(|g| Blind::Gap(*g)),
        }
    }

    /// Why `host` is blind at some time in `from..=to`: it has no logs, or each gap of its logs
    /// that overlaps that time, in time order. Empty when its logs cover all of it.
    pub fn blind_within(&self, host: u32, from: Time, to: Time) -> Vec<Blind> {
        let Some(h) = self.host(host) else { return vec![Blind::NoLogs] };
        h.all
            .gaps
            .iter()
            .filter(|g| g.from <= to && g.to.is_none_or(|end| end >= from))
            .map(|g| Blind::Gap(*g))
            .collect()
    }

    /// The tampering events of `host` within `from..=to`.
    pub fn tampering_of(
        &self,
        host: u32,
        from: Time,
        to: Time,
    ) -> impl Iterator<Item = &Tampering> {
        self.tampering.iter().filter(move |t| t.host == host && t.time >= from && t.time <= to)
    }
}

/// Why a host's logs cannot show something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blind {
    /// The case holds none of its logs.
    NoLogs,
    /// Its logs fall silent.
    Gap(Gap),
}

#[derive(Default)]
struct StreamBuilder {
    first: i64,
    last: i64,
    events: u64,
    /// Longest silence per week, from the week of the first event.
    weekly: Vec<i64>,
    /// Every silence longer than [`MIN_GAP`]: (last event before, first after, its evidence).
    long: Vec<(i64, i64, Evidence)>,
    last_evidence: Option<Evidence>,
}

impl StreamBuilder {
    fn add(&mut self, t: i64, evidence: Evidence) {
        if self.events == 0 {
            self.first = t;
            self.weekly.push(0);
        } else {
            let silence = t - self.last;
            let w0 = week(self.first);
            let (wa, wb) = (week(self.last), week(t));
            for w in wa + 1..=wb {
                let i = (w - w0) as usize;
                if self.weekly.len() <= i {
                    self.weekly.resize(i + 1, 0);
                }
                // a week the silence spans whole, or ends in
                self.weekly[i] = self.weekly[i].max(silence);
            }
            let i = (wb - w0) as usize;
            self.weekly[i] = self.weekly[i].max(silence);
            if silence > MIN_GAP {
                if let Some(e) = self.last_evidence {
                    self.long.push((self.last, t, e));
                }
            }
        }
        self.last = t;
        self.events += 1;
        self.last_evidence = Some(evidence);
    }

    fn finish(self, case_first: i64, case_last: i64) -> Stream {
        // whole weeks only: not the stream's first or last
        let mut whole: Vec<i64> = if self.weekly.len() > 2 {
            self.weekly[1..self.weekly.len() - 1].to_vec()
        } else {
            Vec::new()
        };
        let rhythm = (whole.len() >= 2).then(|| {
            whole.sort_unstable();
            // nearest rank: the smallest that at least four fifths of the weeks stay within
            whole[(whole.len() * 4).div_ceil(5) - 1]
        });
        let allowed = match rhythm {
            Some(r) => r.saturating_mul(2).max(MIN_GAP),
            None => UNKNOWN_RHYTHM_GAP,
        };
        let mut gaps = Vec::new();
        if self.first - case_first > allowed {
            gaps.push(Gap { from: Time(case_first), to: Some(Time(self.first)), evidence: None });
        }
        for (a, b, e) in self.long {
            if b - a > allowed {
                gaps.push(Gap { from: Time(a), to: Some(Time(b)), evidence: Some(e) });
            }
        }
        if case_last - self.last > allowed {
            gaps.push(Gap { from: Time(self.last), to: None, evidence: self.last_evidence });
        }
        Stream {
            first: Time(self.first),
            last: Time(self.last),
            events: self.events,
            rhythm,
            allowed,
            gaps,
        }
    }
}

#[derive(Default)]
struct HostStreams {
    all: StreamBuilder,
    by_format: [Option<StreamBuilder>; SourceFormat::ALL.len()],
}

/// Builds a [`Coverage`] from a case's events, fed in time order.
#[derive(Default)]
pub struct CoverageBuilder {
    first: Option<i64>,
    last: Option<i64>,
    /// By host id - 1: all its logs, and per source format (by format code).
    streams: Vec<Option<Box<HostStreams>>>,
    stored: Vec<Tampering>,
    /// Syslog lines per (source, host): (line, time), to find the clock's jumps back.
    lines: BTreeMap<(u32, u32), Vec<(u64, i64)>>,
}

/// The host whose own log row `i` of `t` is, if any (see the module's description).
pub fn logging_host(t: &EventTable, i: usize) -> Option<u32> {
    let orientation = t.orientation[i];
    let flags = EventFlags(t.flags[i]);
    // a source's record of its own connection (Sysmon 3) is its own log, network-level or not
    let source_side = flags.contains(EventFlags::SOURCE_SIDE);
    if orientation == Orientation::Tgt as u8
        || orientation == Orientation::Tgs as u8
        || (flags.contains(EventFlags::NETWORK_ONLY) && !source_side)
    {
        return None;
    }
    let host = if t.event_id[i] == 4648 || source_side { t.src_host[i] } else { t.dst_host[i] };
    (host != 0).then_some(host)
}

impl CoverageBuilder {
    pub fn new() -> CoverageBuilder {
        CoverageBuilder::default()
    }

    /// Take the events of `t` before `until` (`t` continues, in time order, what was fed).
    pub fn feed(&mut self, t: &EventTable, until: Time) {
        for i in 0..t.len() {
            let time = t.time[i];
            // a case holds only times RFC 3339 can write; anything else is no one's rhythm
            if time >= until.0 || !Time(time).is_writable() {
                continue;
            }
            self.first.get_or_insert(time);
            self.last = Some(self.last.map_or(time, |l| l.max(time)));
            if let Some(x) = Tampering::from_row(t, i) {
                self.stored.push(x);
            }
            let Some(host) = logging_host(t, i) else { continue };
            let record = EventFlags(t.flags[i]).contains(EventFlags::RECORD);
            let evidence = Evidence {
                source: t.source[i],
                position: if record {
                    Position::Record(t.position[i])
                } else {
                    Position::Line(t.position[i])
                },
            };
            let format = SourceFormat::from_code(t.format[i]).unwrap_or_default();
            let at = host as usize - 1;
            if self.streams.len() <= at {
                self.streams.resize_with(at + 1, || None);
            }
            let h = self.streams[at].get_or_insert_with(Box::default);
            h.all.add(time, evidence);
            h.by_format[format as usize]
                .get_or_insert_with(StreamBuilder::default)
                .add(time, evidence);
            if format == SourceFormat::Sshd && !record {
                self.lines.entry((t.source[i], host)).or_default().push((t.position[i], time));
            }
        }
    }

    pub fn finish(self) -> Coverage {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return Coverage::default();
        };
        let mut hosts: Vec<HostLogs> = Vec::new();
        for (i, h) in self.streams.into_iter().enumerate() {
            let Some(h) = h else { continue };
            let HostStreams { all, by_format } = *h;
            hosts.push(HostLogs {
                host: i as u32 + 1,
                all: all.finish(first, last),
                by_format: SourceFormat::ALL
                    .into_iter()
                    .zip(by_format)
                    .filter_map(|(f, b)| b.map(|b| (f, b.finish(first, last))))
                    .collect(),
            });
        }
        let mut tampering = self.stored;
        for h in &hosts {
            for g in &h.all.gaps {
                // a stream that begins late is not a silence that began: only those after logs
                if let Some(evidence) = g.evidence {
                    tampering.push(Tampering {
                        time: g.from,
                        host: h.host,
                        kind: TamperKind::LogStopped,
                        user: 0,
                        format: SourceFormat::Unknown,
                        evidence,
                        until: g.to,
                    });
                }
            }
        }
        for ((source, host), mut lines) in self.lines {
            lines.sort_unstable();
            for w in lines.windows(2) {
                let ((_, before), (line, after)) = (w[0], w[1]);
                if before - after > JUMP_TOLERANCE {
                    tampering.push(Tampering {
                        time: Time(after),
                        host,
                        kind: TamperKind::ClockJumpedBack,
                        user: 0,
                        format: SourceFormat::Sshd,
                        evidence: Evidence { source, position: Position::Line(line) },
                        until: Some(Time(before)),
                    });
                }
            }
        }
        tampering.sort();
        Coverage { first: Some(Time(first)), last: Some(Time(last)), hosts, tampering }
    }
}

/// A host's logs are missing for a while ("logs stop on …") in words for a sentence that
/// begins with the host's name; `at` formats a time.
pub fn blind_phrase(b: &Blind, day: impl Fn(Time) -> String) -> String {
    match b {
        Blind::NoLogs => "has no logs in the case".to_string(),
        Blind::Gap(Gap { from, to: None, evidence: Some(_) }) => {
            format!("logs stop on {}", day(*from))
        }
        Blind::Gap(Gap { to: Some(to), evidence: None, .. }) => {
            format!("logs begin only on {}", day(*to))
        }
        Blind::Gap(Gap { from, to: Some(to), .. }) => {
            format!("logs are missing from {} to {}", day(*from), day(*to))
        }
        Blind::Gap(Gap { from, to: None, evidence: None }) => {
            format!("logs are missing from {} on", day(*from))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::{Event, LogonType, Outcome};

    fn login(t: &mut EventTable, time: i64, dst: u32, line: u64) {
        t.push(&Event {
            time: Time(time),
            src_host: 9,
            src_ip: 0,
            dst_host: dst,
            dst_ip: 0,
            user: 1,
            src_user: 0,
            auth: 0,
            logon_type: LogonType::Network,
            outcome: Outcome::Success,
            orientation: Orientation::LogOn,
            format: SourceFormat::Sshd,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: Evidence { source: 1, position: Position::Line(line) },
        });
    }

    /// Host 1 logs every 2 hours for 8 weeks except a 4-day silence in week 4 and nothing in
    /// the last week; host 2 logs every 2 hours throughout.
    fn fleet() -> Coverage {
        let start = 10 * WEEK - MONDAY_SHIFT; // a Monday
        let mut t = EventTable::default();
        let mut line = 0;
        for k in 0..(8 * 84) {
            let time = start + k * 2 * HOUR;
            let week_of = k / 84;
            let in_silence = (3 * 84 + 10..3 * 84 + 10 + 48).contains(&k);
            line += 1;
            if week_of < 7 && !in_silence {
                login(&mut t, time, 1, line);
            }
            line += 1;
            login(&mut t, time, 2, line);
        }
        let mut b = CoverageBuilder::new();
        b.feed(&t, Time::MAX);
        b.finish()
    }

    #[test]
    fn silences_longer_than_the_rhythm_are_gaps() {
        let c = fleet();
        let h1 = c.host(1).unwrap();
        assert_eq!(h1.all.rhythm, Some(2 * HOUR));
        assert_eq!(h1.all.allowed, MIN_GAP);
        assert_eq!(h1.all.gaps.len(), 2, "{:?}", h1.all.gaps);
        let start = 10 * WEEK - MONDAY_SHIFT;
        let g = h1.all.gaps[0];
        assert_eq!(g.from, Time(start + (3 * 84 + 9) * 2 * HOUR));
        assert_eq!(g.to, Some(Time(start + (3 * 84 + 58) * 2 * HOUR)));
        assert_eq!(h1.all.gaps[1].to, None, "the last week's silence lasts to the case's end");
        assert_eq!(h1.all.periods().len(), 2);
        assert!(c.host(2).unwrap().all.gaps.is_empty());
        assert_eq!(h1.by_format.len(), 1);
        // one derived stop per gap, with the last line before it as evidence
        let stops: Vec<_> =
            c.tampering.iter().filter(|t| t.kind == TamperKind::LogStopped).collect();
        assert_eq!(stops.len(), 2);
        assert!(stops.iter().all(|t| t.host == 1));
        assert!(c.blind_at(1, Time(g.from.0 + HOUR)).is_some());
        assert_eq!(c.blind_within(1, Time(start), Time(start + 8 * WEEK)).len(), 2);
        assert_eq!(c.blind_within(1, Time(start), Time(g.from.0 - HOUR)), vec![]);
        assert!(c.blind_at(1, Time(g.from.0 - HOUR)).is_none());
        assert_eq!(c.blind_at(3, Time(start)), Some(Blind::NoLogs));
    }

    #[test]
    fn a_weekday_rhythm_keeps_its_weekends() {
        // logins every hour 08:00-18:00 on weekdays, for 6 weeks: no gap, weekends included
        let start = 10 * WEEK - MONDAY_SHIFT;
        let mut t = EventTable::default();
        let mut line = 0;
        for d in 0..42 {
            if d % 7 >= 5 {
                continue;
            }
            for h in 8..18 {
                line += 1;
                login(&mut t, start + d * DAY + h * HOUR, 1, line);
            }
        }
        let mut b = CoverageBuilder::new();
        b.feed(&t, Time::MAX);
        let c = b.finish();
        let s = &c.host(1).unwrap().all;
        assert_eq!(s.rhythm, Some(2 * DAY + 15 * HOUR));
        assert!(s.gaps.is_empty(), "{:?}", s.gaps);
    }

    #[test]
    fn a_syslog_clock_that_jumps_back_is_found_at_its_line() {
        let mut t = EventTable::default();
        login(&mut t, 10 * HOUR, 1, 1);
        login(&mut t, 11 * HOUR, 1, 2);
        login(&mut t, 9 * HOUR, 1, 3); // the clock went back two hours
        login(&mut t, 9 * HOUR + 60_000_000, 1, 4);
        login(&mut t, 9 * HOUR, 1, 5); // a minute back: a relay's reordering, not a jump
        t.sort_by_time();
        let mut b = CoverageBuilder::new();
        b.feed(&t, Time::MAX);
        let c = b.finish();
        let jumps: Vec<_> =
            c.tampering.iter().filter(|x| x.kind == TamperKind::ClockJumpedBack).collect();
        assert_eq!(jumps.len(), 1);
        assert_eq!(jumps[0].evidence.position, Position::Line(3));
        assert_eq!((jumps[0].time, jumps[0].until), (Time(9 * HOUR), Some(Time(11 * HOUR))));
    }

    proptest::proptest! {
        /// Any events, in time order or not, any time: no panic, and the same coverage from the
        /// same events whatever the batches.
        #[test]
        fn never_panics_and_batches_do_not_matter(
            rows in proptest::collection::vec((any_time(), 0u32..5, 0u32..5, 0u8..12, 0u16..5000, 0u64..50), 0..60),
            cut in 0usize..60,
        ) {
            let mut t = EventTable::default();
            for (time, src, dst, orientation, id, line) in rows {
                login(&mut t, time, dst, line);
                let i = t.len() - 1;
                t.src_host[i] = src;
                t.orientation[i] = orientation;
                t.event_id[i] = id;
            }
            t.sort_by_time();
            let mut one = CoverageBuilder::new();
            one.feed(&t, Time::MAX);
            let cut = cut.min(t.len());
            let (mut a, mut b) = (EventTable::default(), EventTable::default());
            a.extend_from_range(&t, 0..cut);
            b.extend_from_range(&t, cut..t.len());
            let mut two = CoverageBuilder::new();
            two.feed(&a, Time::MAX);
            two.feed(&b, Time::MAX);
            proptest::prop_assert_eq!(one.finish(), two.finish());
        }
    }

    fn any_time() -> impl proptest::strategy::Strategy<Value = i64> {
        use proptest::prelude::*;
        prop_oneof![Just(i64::MIN), Just(i64::MAX), 0i64..(40 * WEEK), any::<i64>(),]
    }

    #[test]
    fn stored_tampering_is_kept_and_dc_validations_are_nobodys_log() {
        let mut t = EventTable::default();
        login(&mut t, HOUR, 1, 1);
        let mut x = t.get(0);
        x.orientation = Orientation::Tampering;
        x.event_id = 1102;
        x.src_host = 0;
        x.time = Time(2 * HOUR);
        t.push(&x);
        let mut k = t.get(0);
        k.orientation = Orientation::Tgs;
        k.dst_host = 5;
        k.time = Time(3 * HOUR);
        t.push(&k);
        let mut b = CoverageBuilder::new();
        b.feed(&t, Time::MAX);
        let c = b.finish();
        assert!(c.host(5).is_none());
        assert_eq!(c.host(1).unwrap().all.events, 2);
        assert_eq!(c.tampering.len(), 1);
        assert_eq!(c.tampering[0].kind, TamperKind::SecurityLogCleared);
        assert_eq!(c.tampering_of(1, Time(0), Time(5 * HOUR)).count(), 1);
    }
}
