//! Windows security events: `.evtx` files ([`evtx`]) and the JSON dialects users export them
//! in ([`winjson`]), interpreted once ([`mapping`]) and joined per file ([`join`]).
//!
//! Windows files are read whole, not in chunks: a 4672 marks the logon it follows, a 7045
//! tags the network logon before it, a logoff takes its source from its logon. Only the
//! events hopscope uses are kept in memory while a file is joined, never the file itself, and
//! at most [`HELD_EVENTS`] of them (and as many problems): when a file holds more, the join
//! hands over the oldest (those more than the join window before the newest, at least half)
//! and remembers only their sessions and tickets ([`join::Released`]); a mark that belonged
//! to a logon already handed over is counted in the file's note, never set silently wrong.

pub(crate) mod evtx;
pub(crate) mod fields;
pub(crate) mod join;
pub(crate) mod mapping;
pub(crate) mod winjson;

use hopscope_model::{Position, SourceFormat};

use crate::batch::{Batch, BatchBuilder, RawEvent};
use crate::format::{Format, ParseContext};
use crate::problems::LineError;
use mapping::WinEvent;

/// An interpreted event and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Located {
    pub ev: WinEvent,
    /// Position in the file's own sequence (line, or record in reading order), for batching.
    pub order: u64,
    /// The evidence position: a line, or the EVTX `EventRecordID`.
    pub position: Position,
    /// Index into [`FileOutput::members`] when the event is in a member of a zip archive.
    pub member: Option<u32>,
}

/// Interpreted events (and as many problems) a file's join holds at most: about 100 MB
/// (docs/performance-windows.md measures ≈ 1.5 KB an event held).
pub(crate) const HELD_EVENTS: usize = 1 << 16;

/// Everything read from one file that is not handed over yet.
#[derive(Debug, Default)]
pub(crate) struct FileOutput<'s> {
    pub events: Vec<Located>,
    /// Problems with their order (as in [`Located::order`]) and position.
    pub problems: Vec<(u64, Position, LineError)>,
    /// Lines (JSON) or records (EVTX) seen, whatever became of them.
    pub lines: u64,
    /// Records skipped because hopscope does not use their event id.
    pub ignored: u64,
    pub notes: Vec<String>,
    /// Evidence names of zip members (`archive.zip!member.json`).
    pub members: Vec<String>,
    /// A batch ingest's receiver, given the oldest events once [`HELD_EVENTS`] are held;
    /// without one (`watch`, which releases by time itself; tests) everything is held.
    spill: Option<Spill<'s>>,
}

/// Where a bounded file join hands over what it cannot hold ([`FileOutput::push_event`]).
struct Spill<'s> {
    held: usize,
    emitter: Emitter,
    send: &'s mut dyn FnMut(Batch, bool) -> bool,
    released: join::Released,
    /// How often the join was full, and the events handed over then while still inside the
    /// join window of the newest (joins to them from later events may be missing).
    spills: u64,
    early: u64,
    /// The most events held at once.
    peak: usize,
    /// The orders of held marks set on their logon by an earlier join (a later one may find
    /// the logon handed over: the mark is not lost).
    marked: ahash::AHashSet<u64>,
    gone: bool,
}

impl std::fmt::Debug for Spill<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spill").field("held", &self.held).field("spills", &self.spills).finish()
    }
}

impl Spill<'_> {
    /// Count the marks among `events[..n]`, about to be handed over, that were never set on
    /// their logon; remember those among the rest that were.
    fn count_lost(&mut self, events: &[Located], joined: &join::Joined, n: usize) {
        for (i, l) in events.iter().enumerate() {
            if joined.marked[i] {
                self.marked.insert(l.order);
            }
            if i < n {
                let set = self.marked.remove(&l.order);
                if joined.lost[i] && !set {
                    self.released.lost_marks += 1;
                }
            }
        }
    }
}

impl FileOutput<'_> {
    pub fn problem(&mut self, order: u64, position: Position, err: LineError) {
        self.problems.push((order, position, err));
        if self.spill.as_ref().is_some_and(|s| self.problems.len() >= s.held) {
            self.hand_over_oldest(true);
        }
    }

    /// An interpreted event, in file order.
    pub fn push_event(&mut self, l: Located) {
        self.events.push(l);
        if let Some(s) = &mut self.spill {
            s.peak = s.peak.max(self.events.len());
            if self.events.len() >= s.held {
                self.hand_over_oldest(false);
            }
        }
    }

    /// The join is full: join what is held, hand over the events more than the join window
    /// before the newest (at least half; all of them when `problems` filled it) with the
    /// problems before the first event still held, and remember their sessions.
    fn hand_over_oldest(&mut self, problems: bool) {
        let Some(mut s) = self.spill.take() else { return };
        let joined = join::join_with(&mut self.events, &s.released);
        let newest = self.events.iter().map(|l| l.ev.time.0).max().unwrap_or(i64::MIN);
        let cutoff = newest.saturating_sub(join::WINDOW_MICROS + 10 * 1_000_000);
        let old = self.events.iter().take_while(|l| l.ev.time.0 < cutoff).count();
        let n = if problems { self.events.len() } else { old.max(self.events.len() / 2) };
        s.spills += 1;
        s.early += n.saturating_sub(old) as u64;
        s.count_lost(&self.events, &joined, n);
        s.released.remember(&self.events[..n]);
        // everything before the first event still held is handed over
        let upto = match self.events.get(n) {
            Some(l) => l.order.saturating_sub(1),
            None => self
                .problems
                .last()
                .map_or(0, |p| p.0)
                .max(self.events.last().map_or(0, |l| l.order)),
        };
        let kept: Vec<&Located> = self.events[..n]
            .iter()
            .zip(&joined.emit)
            .filter(|(_, e)| **e)
            .map(|(l, _)| l)
            .collect();
        if !s.gone {
            let problems = &mut self.problems;
            s.gone = !s.emitter.emit(&kept, upto, problems, &self.members, None, s.send);
        }
        if s.gone {
            // nobody reads on: hold nothing more
            self.problems.clear();
        }
        self.events.drain(..n);
        self.spill = Some(s);
    }
}

/// Read one Windows file (`format` is [`Format::Evtx`] or [`Format::Winjson`]) and hand it
/// over in batches of at most `batch_events` events. False when the receiver has gone.
pub(crate) fn parse_file(
    path: &std::path::Path,
    format: Format,
    ctx: &ParseContext,
    batch_events: usize,
    send: &mut dyn FnMut(Batch, bool) -> bool,
) -> bool {
    parse_file_holding(path, format, ctx, batch_events, HELD_EVENTS, send).0
}

/// [`parse_file`] holding at most `held` events for the join; also returns the most it held.
pub(crate) fn parse_file_holding(
    path: &std::path::Path,
    format: Format,
    ctx: &ParseContext,
    batch_events: usize,
    held: usize,
    send: &mut dyn FnMut(Batch, bool) -> bool,
) -> (bool, usize) {
    let emitter =
        Emitter { base: 0, format: format.source_format(), batch_events: batch_events.max(1) };
    let mut out = FileOutput {
        spill: Some(Spill {
            held: held.max(2),
            emitter,
            send,
            released: Default::default(),
            spills: 0,
            early: 0,
            peak: 0,
            marked: Default::default(),
            gone: false,
        }),
        ..FileOutput::default()
    };
    match format {
        Format::Evtx => evtx::read(path, ctx, &mut out),
        _ => winjson::read(path, ctx, &mut out),
    }
    let Some(mut s) = out.spill.take() else { return (false, 0) };
    if s.gone {
        return (false, s.peak);
    }
    let joined = join::join_with(&mut out.events, &s.released);
    s.count_lost(&out.events, &joined, out.events.len());
    if s.spills > 0 {
        let r = &s.released;
        out.notes.push(format!(
            "more than {} events to join in this file: the oldest were handed over {} times \
             ({} of them still inside the {}-minute join window); {} marks (privileges, admin \
             share, service install) of a logon already handed over were not set on it; {} \
             sessions forgotten",
            s.held,
            s.spills,
            s.early,
            join::WINDOW_MICROS / 60_000_000,
            r.lost_marks,
            r.forgotten
        ));
    }
    let kept: Vec<&Located> =
        out.events.iter().zip(&joined.emit).filter(|(_, e)| **e).map(|(l, _)| l).collect();
    let upto = out.lines;
    let last = Some((out.ignored, std::mem::take(&mut out.notes)));
    let ok = s.emitter.emit(&kept, upto, &mut out.problems, &out.members, last, s.send);
    (ok, s.peak)
}

/// A located Windows event as a parser's raw event.
pub(crate) fn raw_event<'a>(l: &'a Located, members: &'a [String]) -> RawEvent<'a> {
    let e = &l.ev;
    RawEvent {
        time: e.time,
        src_host: e.src_host.as_deref(),
        src_ip: e.src_ip.as_deref(),
        dst_host: e.dst_host.as_deref(),
        dst_ip: e.dst_ip.as_deref(),
        user: e.user.as_deref(),
        domain: e.domain.as_deref(),
        src_user: e.src_user.as_deref(),
        src_domain: e.src_domain.as_deref(),
        auth: e.auth.as_deref(),
        logon_type: e.logon_type,
        outcome: e.outcome,
        orientation: e.orientation,
        event_id: e.event_id,
        flags: e.flags,
        format: None,
        evidence_file: l.member.and_then(|m| members.get(m as usize)).map(String::as_str),
    }
}

/// Cuts a file's events into batches whose line numbers the pipeline can shift back: a batch
/// covers the lines after the previous batch's last event up to its own last event, and its
/// positions are relative to that start (records and zip-member lines are absolute).
struct Emitter {
    /// The order (line or record) the last batch handed over ended at.
    base: u64,
    format: SourceFormat,
    batch_events: usize,
}

impl Emitter {
    /// Hand over `kept` (in file order) and the problems up to order `upto` (all of them when
    /// `last`, which carries the file's ignored count and notes), taking them out of
    /// `problems`. False when the receiver has gone.
    fn emit(
        &mut self,
        kept: &[&Located],
        upto: u64,
        problems: &mut Vec<(u64, Position, LineError)>,
        members: &[String],
        last: Option<(u64, Vec<String>)>,
        send: &mut dyn FnMut(Batch, bool) -> bool,
    ) -> bool {
        let mut next_problem = 0usize;
        let mut start = 0usize;
        loop {
            let end = (start + self.batch_events).min(kept.len());
            let whole = end == kept.len();
            let base = self.base;
            let to = if whole { upto.max(base) } else { kept[end - 1].order.max(base) };
            let mut b = BatchBuilder::new(self.format);
            for l in &kept[start..end] {
                let position = match (l.position, l.member) {
                    (Position::Line(n), None) => Position::Line(n.saturating_sub(base)),
                    (p, _) => p,
                };
                let raw = raw_event(l, members);
                if let Err(err) = b.push(&raw, position) {
                    let at = match l.position {
                        Position::Line(_) => Position::Line(l.order.saturating_sub(base)),
                        p => p,
                    };
                    b.problem(at, err);
                }
            }
            while let Some((order, pos, err)) = problems.get(next_problem) {
                if !(whole && last.is_some()) && *order > to {
                    break;
                }
                let at = match pos {
                    Position::Line(_) => Position::Line(order.saturating_sub(base)),
                    p => *p,
                };
                b.problem(at, err.clone());
                next_problem += 1;
            }
            let mut batch = b.finish();
            batch.lines = to - base;
            let done = whole && last.is_some();
            if let (true, Some((ignored, notes))) = (whole, &last) {
                batch.ignored = *ignored;
                batch.notes = notes.clone();
            }
            if !send(batch, done) {
                return false;
            }
            self.base = to;
            if whole {
                problems.drain(..next_problem);
                return true;
            }
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problems::ProblemKind;

    /// A day of PsExec-style sessions on three hosts, one every 10 s: privileges then the
    /// network logon; a logoff and an admin-share access of the session 40 before (400 s
    /// earlier, far past the join window); now and then a damaged line.
    fn sessions(from: u64, n: u64) -> String {
        let t = |k: u64| {
            let s = 10 * k;
            format!("2020-01-01T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
        };
        let mut text = String::new();
        for k in from..from + n {
            let (host, id, time) = (format!("WS{}", k % 3), 0x100 + k, t(k));
            text += &format!(
                r#"{{"EventID":4672,"Hostname":"{host}","TimeCreated":"{time}","SubjectLogonId":"{id:#x}","SubjectUserName":"u{k}"}}"#
            );
            text += "\n";
            text += &format!(
                r#"{{"EventID":4624,"Hostname":"{host}","TimeCreated":"{time}","LogonType":"3","IpAddress":"10.0.{}.{}","TargetUserName":"u{k}","TargetLogonId":"{id:#x}"}}"#,
                k / 250,
                k % 250
            );
            text += "\n";
            if k % 10 == 3 {
                text += "not json\n";
            }
            if k >= 40 && k % 7 == 0 {
                let (host, id) = (format!("WS{}", (k - 40) % 3), 0x100 + k - 40);
                text += &format!(
                    r#"{{"EventID":4634,"Hostname":"{host}","TimeCreated":"{time}","TargetLogonId":"{id:#x}","TargetUserName":"u{}"}}"#,
                    k - 40
                );
                text += "\n";
                text += &format!(
                    r#"{{"EventID":5140,"Hostname":"{host}","TimeCreated":"{time}","ShareName":"\\\\*\\ADMIN$","IpAddress":"10.0.0.1","SubjectUserName":"u{}","SubjectLogonId":"{id:#x}"}}"#,
                    k - 40
                );
                text += "\n";
            }
        }
        text
    }

    /// Every event (absolute line, time, id, source address, account, flags) and problem
    /// (absolute line, kind) handed over, the lines counted, the notes, the most held.
    #[allow(clippy::type_complexity)]
    fn read(
        text: &str,
        held: usize,
    ) -> (Vec<(u64, i64, u16, String, String, u16)>, Vec<(u64, ProblemKind)>, u64, Vec<String>, usize)
    {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("security.jsonl");
        std::fs::write(&p, text).unwrap();
        let (mut events, mut problems, mut lines, mut notes) = (vec![], vec![], 0u64, vec![]);
        let mut ended = false;
        let (ok, peak) = parse_file_holding(
            &p,
            Format::Winjson,
            &ParseContext::default(),
            5,
            held,
            &mut |b: Batch, last: bool| {
                assert!(!ended, "a batch after the last");
                ended = last;
                let e = &b.events;
                for i in 0..e.len() {
                    let name = |id: u32, list: &dyn Fn(usize) -> String| {
                        if id == 0 {
                            String::new()
                        } else {
                            list(id as usize - 1)
                        }
                    };
                    events.push((
                        lines + e.position[i],
                        e.time[i],
                        e.event_id[i],
                        name(e.src_ip[i], &|j| b.addresses[j].to_string()),
                        name(e.user[i], &|j| b.accounts[j].0.clone()),
                        e.flags[i],
                    ));
                }
                for (pos, err) in &b.problems {
                    let Position::Line(n) = pos else { panic!("{pos:?}") };
                    problems.push((lines + n, err.kind));
                }
                lines += b.lines;
                notes.extend(b.notes.iter().cloned());
                true
            },
        );
        assert!(ok && ended);
        (events, problems, lines, notes, peak)
    }

    #[test]
    fn a_file_join_holds_a_bounded_number_of_events_and_counts_what_it_could_not_join() {
        let text = sessions(0, 600);
        let (whole, whole_problems, whole_lines, whole_notes, whole_peak) = read(&text, usize::MAX);
        assert!(whole_notes.is_empty(), "{whole_notes:?}");
        assert!(whole_peak > 1200, "{whole_peak}");
        let admin_share = hopscope_model::EventFlags::ADMIN_SHARE.0;
        let shares = text.lines().filter(|l| l.contains("5140")).count();
        let marked =
            |e: &&(u64, i64, u16, String, String, u16)| e.2 == 4624 && e.5 & admin_share != 0;
        assert_eq!(whole.iter().filter(marked).count(), shares);
        for held in [16, 50, 333] {
            let (events, problems, lines, notes, peak) = read(&text, held);
            assert!(peak <= held, "held {peak} of at most {held}");
            // every event, problem and line as without the bound, at the same place; logoffs
            // take their source from logons handed over long before
            assert_eq!(lines, whole_lines);
            assert_eq!(problems, whole_problems, "held {held}");
            assert_eq!(events.len(), whole.len());
            for (a, b) in events.iter().zip(&whole) {
                assert_eq!((a.0, a.1, a.2, &a.3, &a.4), (b.0, b.1, b.2, &b.3, &b.4), "held {held}");
                assert_eq!(a.5 & !admin_share, b.5 & !admin_share, "held {held}: {a:?}");
            }
            let logoffs: Vec<_> = events.iter().filter(|e| e.2 == 4634).collect();
            assert!(!logoffs.is_empty() && logoffs.iter().all(|e| e.3.starts_with("10.0.")));
            // the admin-share marks of logons handed over before them: not set, and counted
            let lost = shares - events.iter().filter(marked).count();
            assert!(held > 16 || lost == shares, "held {held}: {lost} of {shares} lost");
            assert_eq!(notes.len(), 1, "{notes:?}");
            assert!(
                notes[0].contains(&format!("more than {held} events"))
                    && notes[0].contains(&format!("; {lost} marks")),
                "{}",
                notes[0]
            );
        }
    }

    #[test]
    fn a_file_of_problems_holds_a_bounded_number_of_them() {
        let mut text = String::new();
        for k in 0..500 {
            text += &if k % 100 == 0 { sessions(k, 1) } else { "not json\n".to_string() };
        }
        let (whole, whole_problems, ..) = read(&text, usize::MAX);
        let (events, problems, lines, ..) = read(&text, 8);
        assert!(events == whole && problems == whole_problems, "{events:?}");
        assert_eq!(lines, text.lines().count() as u64);
    }
}
