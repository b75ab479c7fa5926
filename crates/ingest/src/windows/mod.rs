//! Windows security events: `.evtx` files ([`evtx`]) and the JSON dialects users export them
//! in ([`winjson`]), interpreted once ([`mapping`]) and joined per file ([`join`]).
//!
//! Windows files are read whole, not in chunks: a 4672 marks the logon it follows, a 7045
//! tags the network logon before it, a logoff takes its source from its logon. Only the
//! events hopscope uses are kept in memory while a file is joined, never the file itself.

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

/// Everything read from one file, before it is cut into batches.
#[derive(Debug, Default)]
pub(crate) struct FileOutput {
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
}

impl FileOutput {
    pub fn problem(&mut self, order: u64, position: Position, err: LineError) {
        self.problems.push((order, position, err));
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
    let mut out = FileOutput::default();
    match format {
        Format::Evtx => evtx::read(path, ctx, &mut out),
        _ => winjson::read(path, ctx, &mut out),
    }
    let emit = join::join(&mut out.events);
    emit_batches(out, &emit, format.source_format(), batch_events.max(1), send)
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

/// Cut a file's events into batches whose line numbers the pipeline can shift back: a batch
/// covers the lines after the previous batch's last event up to its own last event, and its
/// positions are relative to that start (records and zip-member lines are absolute).
fn emit_batches(
    out: FileOutput,
    emit: &[bool],
    format: SourceFormat,
    batch_events: usize,
    send: &mut dyn FnMut(Batch, bool) -> bool,
) -> bool {
    let FileOutput { events, problems, lines, ignored, notes, members } = out;
    let kept: Vec<&Located> =
        events.iter().zip(emit).filter(|(_, e)| **e).map(|(l, _)| l).collect();
    let mut base = 0u64;
    let mut next_problem = 0usize;
    let mut start = 0usize;
    loop {
        let end = (start + batch_events).min(kept.len());
        let last = end == kept.len();
        let upto = if last { lines.max(base) } else { kept[end - 1].order.max(base) };
        let mut b = BatchBuilder::new(format);
        for l in &kept[start..end] {
            let position = match (l.position, l.member) {
                (Position::Line(n), None) => Position::Line(n.saturating_sub(base)),
                (p, _) => p,
            };
            let raw = raw_event(l, &members);
            if let Err(err) = b.push(&raw, position) {
                let at = match l.position {
                    Position::Line(_) => Position::Line(l.order.saturating_sub(base)),
                    p => p,
                };
                b.problem(at, err);
            }
        }
        while let Some((order, pos, err)) = problems.get(next_problem) {
            if !last && *order > upto {
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
        batch.lines = upto - base;
        if last {
            batch.ignored = ignored;
            batch.notes = notes.clone();
        }
        if !send(batch, last) {
            return false;
        }
        if last {
            return true;
        }
        base = upto;
        start = end;
    }
}
