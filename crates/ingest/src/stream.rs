//! Parsing inputs that grow (`hopscope watch`): the same parsers as [`crate::run`], fed
//! pieces of complete lines as they are appended, with the parser's state (a syslog year,
//! a CSV header, a Zeek `#fields` line) carried from piece to piece and ids resolved
//! against one persistent [`Catalog`].
//!
//! Windows JSON lines are joined within a file (a 4672 marks the logon before it, a 7045
//! the network logon up to two minutes before it): a [`LineSource`] holds their events back
//! until they are more than the join window older than the newest event of the file (or
//! until [`LineSource::release_all`]), and runs the same join over what it holds. Joins
//! reaching further back than what is held (a logoff taking its source from a logon
//! released long ago) are lost; they do not change detection (logoffs are not hops).
//! EVTX files cannot be read before they are complete: [`read_whole`] reads one once.

use hopscope_model::{Catalog, EventTable, Inventory, Position};

use crate::batch::{Absorber, BatchBuilder, Dictionary};
use crate::format::{Format, LineParser, ParseContext};
use crate::pipeline::handle_line;
use crate::problems::{LineError, Problem, ProblemKind};
use crate::windows::{self, FileOutput, Located};

/// What one piece of input gave.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Events with the catalog's ids, sorted by (time, source, position).
    pub events: EventTable,
    /// Bad lines, located by file and line.
    pub problems: Vec<Problem>,
    /// Lines that are not authentication events.
    pub ignored: u64,
    /// Things worth telling the user once ("year inferred from file mtime").
    pub notes: Vec<String>,
}

enum Parser {
    Lines(Box<dyn LineParser>),
    /// Windows JSON lines, held back for the join (file order).
    Windows {
        held: Vec<Located>,
        newest: i64,
    },
}

/// One followed input: a format, its parser's state and the lines read so far.
pub struct LineSource {
    format: Format,
    display: String,
    source: u32,
    parser: Parser,
    ctx: ParseContext,
    /// Complete lines parsed so far (line numbers continue from here).
    lines: u64,
    dict: Option<Dictionary>,
    absorber: Absorber,
}

impl LineSource {
    /// A source for `format` (not [`Format::Evtx`]), evidence named `display` in `catalog`.
    /// For sshd without a year, `ctx.inferred_year` should come from
    /// [`crate::sshd::first_year_from_mtime`] over what the file holds now.
    pub fn new(
        format: Format,
        display: &str,
        ctx: ParseContext,
        catalog: &mut Catalog,
    ) -> Result<LineSource, String> {
        let parser = match format {
            Format::Evtx => return Err("EVTX files are read when complete, not followed".into()),
            Format::Wtmp | Format::Btmp => {
                return Err(
                    "binary login records (wtmp, btmp) are read by ingest, not followed".into()
                )
            }
            Format::Winjson => Parser::Windows { held: Vec::new(), newest: i64::MIN },
            f => Parser::Lines(f.line_parser(&ctx)?),
        };
        Ok(LineSource {
            format,
            display: display.to_string(),
            source: catalog.sources.intern(display),
            parser,
            ctx,
            lines: 0,
            dict: Some(Dictionary::default()),
            absorber: Absorber::new(),
        })
    }

    pub fn format(&self) -> Format {
        self.format
    }
    /// Complete lines read so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
    /// Id of this input in the catalog's sources.
    pub fn source_id(&self) -> u32 {
        self.source
    }
    /// Windows events held back for the join.
    pub fn held(&self) -> usize {
        match &self.parser {
            Parser::Windows { held, .. } => held.len(),
            Parser::Lines(_) => 0,
        }
    }

    /// Whether what the parser carries from line to line depends on the lines before
    /// (sshd: the year and its roll-overs; Zeek: the `#fields` line; Windows JSON: the events
    /// held for the join; audit: the processes and sessions one login's records are joined by), rather than on nothing (JSONL, LANL) or only the file's first line
    /// (CSV: its header, given in the [`ParseContext`]).
    pub fn carries_line_state(&self) -> bool {
        matches!(self.format, Format::Sshd | Format::Zeek | Format::Winjson | Format::Audit)
    }

    /// Restoring a checkpoint (`watch --state`) of a source that does not
    /// [carry line state](LineSource::carries_line_state): continue after `lines` complete
    /// lines read before (line numbers go on from there) without reading them again.
    pub fn continue_after(&mut self, lines: u64) {
        self.lines = lines;
    }

    /// Restoring a checkpoint (`watch --state`): after the file was parsed again up to the
    /// checkpoint's offset, keep only the last `n` Windows events held for the join (in file
    /// order), as the checkpointed source held. The earlier ones were released before the
    /// checkpoint (by the join window, or because the file was idle): what is held is always
    /// the newest part of the file, so the last `n` are the same events.
    pub fn keep_last_held(&mut self, n: usize) {
        if let Parser::Windows { held, .. } = &mut self.parser {
            let drop = held.len().saturating_sub(n);
            held.drain(..drop);
        }
    }

    /// Parse `bytes`, which must be whole lines (each ending in `\n`; a last line without one
    /// is taken whole too, for the end of a closed file).
    pub fn parse(&mut self, bytes: &[u8], catalog: &mut Catalog, inventory: &Inventory) -> Parsed {
        let mut b = BatchBuilder::with_dictionary(
            self.format.source_format(),
            self.dict.take().unwrap_or_default(),
            0,
        );
        let mut win = FileOutput::default();
        for raw in lines_of(bytes) {
            self.lines += 1;
            match &mut self.parser {
                Parser::Lines(p) => handle_line(raw, false, self.lines, p.as_mut(), &mut b),
                Parser::Windows { .. } => {
                    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
                    windows::winjson::follow_line(raw, self.lines, &self.ctx, &mut win);
                }
            }
        }
        if let Parser::Windows { held, newest } = &mut self.parser {
            *newest = win.events.iter().map(|l| l.ev.time.0).fold(*newest, i64::max);
            held.append(&mut win.events);
            for (_, pos, err) in win.problems.drain(..) {
                b.problem(pos, err);
            }
            for _ in 0..win.ignored {
                b.count_ignored();
            }
            let cutoff = newest.saturating_sub(windows::join::WINDOW_MICROS + 10 * 1_000_000);
            release(held, cutoff, &mut b);
        }
        self.absorb(b, catalog, inventory)
    }

    /// The input ended (closed, rotated away, or the run stops): release what is held and
    /// let the parser sum up.
    pub fn release_all(&mut self, catalog: &mut Catalog, inventory: &Inventory) -> Parsed {
        let mut b = BatchBuilder::with_dictionary(
            self.format.source_format(),
            self.dict.take().unwrap_or_default(),
            0,
        );
        match &mut self.parser {
            Parser::Lines(p) => p.finish(&mut b),
            Parser::Windows { held, .. } => release(held, i64::MAX, &mut b),
        }
        self.absorb(b, catalog, inventory)
    }

    fn absorb(&mut self, b: BatchBuilder, catalog: &mut Catalog, inventory: &Inventory) -> Parsed {
        let (mut batch, dict) = b.finish_keep();
        self.dict = Some(dict);
        let problems = batch
            .problems
            .drain(..)
            .map(|(position, e)| Problem {
                file: self.display.clone(),
                position,
                kind: e.kind,
                message: e.message,
            })
            .collect();
        let (ignored, notes) = (batch.ignored, std::mem::take(&mut batch.notes));
        let (events, _labels) =
            self.absorber.absorb(&mut batch, catalog, inventory, self.source, 0);
        Parsed { events, problems, ignored, notes }
    }
}

/// Join what is held, then hand over (in file order) the events stamped before `cutoff`,
/// stopping at the first later one.
fn release(held: &mut Vec<Located>, cutoff: i64, b: &mut BatchBuilder) {
    if held.is_empty() {
        return;
    }
    let emit = windows::join::join(held);
    let n = held.iter().take_while(|l| l.ev.time.0 < cutoff).count();
    for (l, keep) in held.iter().zip(&emit).take(n) {
        if *keep {
            if let Err(err) = b.push(&windows::raw_event(l, &[]), l.position) {
                b.problem(l.position, err);
            }
        }
    }
    held.drain(..n);
}

/// The lines of `bytes`, without their `\n`.
fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    body.split(|&c| c == b'\n').filter(move |_| !empty)
}

/// Read a complete file of a whole-file format (EVTX, or Windows JSON documents) the way
/// ingest does, with ids resolved against `catalog`.
pub fn read_whole(
    path: &std::path::Path,
    format: Format,
    ctx: &ParseContext,
    catalog: &mut Catalog,
    inventory: &Inventory,
) -> Parsed {
    let source = catalog.sources.intern(&ctx.path);
    let mut absorber = Absorber::new();
    let mut out = Parsed::default();
    let mut offset = 0u64;
    let mut send = |mut batch: crate::batch::Batch, _last: bool| {
        for (pos, e) in batch.problems.drain(..) {
            let position = match pos {
                Position::Line(n) => Position::Line(n + offset),
                p => p,
            };
            out.problems.push(Problem {
                file: ctx.path.clone(),
                position,
                kind: e.kind,
                message: e.message,
            });
        }
        out.ignored += batch.ignored;
        out.notes.append(&mut batch.notes);
        let (events, _) = absorber.absorb(&mut batch, catalog, inventory, source, offset);
        offset += batch.lines;
        out.events.extend_from(&events);
        true
    };
    if format.whole_file() {
        windows::parse_file(path, format, ctx, 1 << 16, &mut send);
    } else {
        let err =
            LineError::new(ProblemKind::UnrecognisedFormat, format!("{format} is not read whole"));
        out.problems.push(Problem {
            file: ctx.path.clone(),
            position: Position::Line(1),
            kind: err.kind,
            message: err.message,
        });
    }
    out.events.sort_by_time();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINJSON: &[&str] = &[
        r##"{"EventID":4672,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","SubjectLogonId":"0x10","SubjectUserName":"bob"}"##,
        r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob","TargetLogonId":"0x10"}"##,
        r##"not json"##,
        r##"{"EventID":7045,"Channel":"System","Hostname":"WS6","TimeCreated":"2020-01-01T00:01:00Z","ServiceName":"PSEXESVC","AccountName":"LocalSystem"}"##,
        r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:30:00Z","LogonType":"3","IpAddress":"10.0.0.6","TargetUserName":"eve","TargetLogonId":"0x20"}"##,
    ];

    const SSHD: &[&str] = &[
        "Dec 31 23:59:58 h1 sshd[1]: Accepted password for bob from 10.0.0.5 port 22 ssh2",
        "Dec 31 23:59:59 h1 sshd[1]: garbage that is not sshd",
        "Jan  1 00:00:01 h1 sshd[2]: Accepted publickey for eve from 10.0.0.6 port 22 ssh2",
    ];

    /// Feed `lines` in pieces of `step` lines; returns the events and problems.
    fn follow(
        format: Format,
        lines: &[&str],
        step: usize,
    ) -> (Vec<hopscope_model::Event>, Vec<String>) {
        let mut catalog = Catalog::default();
        let inventory = Inventory::default();
        let ctx = ParseContext { path: "f".into(), year: Some(2019), ..ParseContext::default() };
        let mut src = LineSource::new(format, "f", ctx, &mut catalog).unwrap();
        let mut events = EventTable::default();
        let mut problems = Vec::new();
        let mut take = |p: Parsed| {
            events.extend_from(&p.events);
            problems.extend(p.problems.iter().map(|p| format!("{:?} {:?}", p.position, p.kind)));
        };
        for piece in lines.chunks(step) {
            let text: String = piece.iter().map(|l| format!("{l}\n")).collect();
            take(src.parse(text.as_bytes(), &mut catalog, &inventory));
        }
        take(src.release_all(&mut catalog, &inventory));
        assert_eq!(src.lines(), lines.len() as u64);
        (events.iter().collect(), problems)
    }

    #[test]
    fn pieces_parse_like_the_whole_file() {
        for format in [Format::Sshd, Format::Winjson] {
            let lines = if format == Format::Sshd { SSHD } else { WINJSON };
            let whole = follow(format, lines, lines.len());
            assert!(!whole.0.is_empty());
            for step in 1..lines.len() {
                assert_eq!(follow(format, lines, step), whole, "{format} in pieces of {step}");
            }
        }
    }

    #[test]
    fn windows_events_are_joined_across_pieces() {
        let (events, problems) = follow(Format::Winjson, WINJSON, 1);
        // the 4672 and the 7045 mark the logon before them; the 4672 itself is not an event
        let logon = events
            .iter()
            .find(|e| e.evidence.position == Position::Line(2))
            .expect("the first logon");
        let flags = logon.flags;
        assert!(flags.contains(hopscope_model::EventFlags::PRIVILEGED), "{flags:?}");
        assert!(flags.contains(hopscope_model::EventFlags::SERVICE_INSTALL), "{flags:?}");
        assert_eq!(problems, vec!["Line(3) BadJson".to_string()]);
    }

    /// A restored checkpoint (`watch --state`): a new source that parses the lines an old one
    /// read (dropping what that gives) and keeps the last `held` Windows events continues
    /// exactly like the old one, also when the old one released its held events early (an
    /// idle file).
    #[test]
    fn a_source_rebuilt_from_the_lines_before_continues_like_the_original() {
        let inventory = Inventory::default();
        let ctx = ParseContext { path: "f".into(), year: Some(2019), ..ParseContext::default() };
        let text = |lines: &[&str]| lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        for (format, lines) in [(Format::Winjson, WINJSON), (Format::Sshd, SSHD)] {
            for cut in 1..lines.len() {
                for idle_release in [false, true] {
                    let mut catalog = Catalog::default();
                    let mut old = LineSource::new(format, "f", ctx.clone(), &mut catalog).unwrap();
                    let _ = old.parse(text(&lines[..cut]).as_bytes(), &mut catalog, &inventory);
                    if idle_release {
                        let _ = old.release_all(&mut catalog, &inventory);
                    }
                    let mut new = LineSource::new(format, "f", ctx.clone(), &mut catalog).unwrap();
                    let _ = new.parse(text(&lines[..cut]).as_bytes(), &mut catalog, &inventory);
                    new.keep_last_held(old.held());
                    assert_eq!((new.held(), new.lines()), (old.held(), old.lines()));
                    let mut rest = |s: &mut LineSource| {
                        let mut p =
                            s.parse(text(&lines[cut..]).as_bytes(), &mut catalog, &inventory);
                        let end = s.release_all(&mut catalog, &inventory);
                        p.events.extend_from(&end.events);
                        p.events.iter().collect::<Vec<_>>()
                    };
                    assert_eq!(
                        rest(&mut new),
                        rest(&mut old),
                        "{format} cut after {cut} lines, idle release {idle_release}"
                    );
                }
            }
        }
    }

    #[test]
    fn syslog_years_roll_over_across_pieces() {
        let (events, _) = follow(Format::Sshd, SSHD, 1);
        assert_eq!(events.len(), 2);
        assert!(events[1].time.to_rfc3339().starts_with("2020-01-01"), "{:?}", events[1].time);
    }
}
