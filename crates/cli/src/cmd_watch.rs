//! `hopscope watch`: follow logs as they grow and alert on a suspicious hop while it happens.
//!
//! Glue between [`hopscope_ingest::stream`] (the ingest parsers fed pieces of complete
//! lines) and the detector's alert events ([`hopscope_engine::stream`]). This file knows
//! about files, rotation, standard input and output; nothing here parses a log line or
//! scores a hop. docs/watch.md is the user's page.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hopscope_engine::{AlertEvent, DetectConfig, Detector, Fleet, DAY, HOUR};
use hopscope_ingest::stream::{read_whole, LineSource, Parsed};
use hopscope_ingest::{Format, ParseContext, ProblemTally};
use hopscope_model::{Catalog, EventTable, Inventory, Time};
use serde::Serialize;

use hopscope_report::view::{parse_duration, short_time, AlertView};

use crate::watch_state::{self, Checkpoint, CheckpointRef, InputState, ReadLog};

#[derive(clap::Args)]
#[command(after_long_help = "\
Follows log files as they grow (like `tail -F`: rotation, truncation, new files in a watched
directory) and standard input (`-`), runs the detection of `hopscope detect` on what arrives,
and writes one JSON line per alert event: `raised` when an alert first reaches the threshold,
`grew` when a raised alert gains a hop. A one-line summary of each goes to stderr.

With --alerts FILE, a restart (after a crash, a kill -9 or a reboot) re-reads the inputs and
writes only the alert events the file does not hold yet: every event exactly once. With
--state DIR as well, a restart continues from the last checkpoint (every --checkpoint-every,
and at SIGINT/SIGTERM) instead of re-reading the inputs from their start.
docs/watch.md explains the guarantees, the budget and the limits.

Examples:
  hopscope watch /var/log/auth.log --inventory cmdb/ --alerts alerts.jsonl
  hopscope watch /var/log/ --inventory cmdb/ --alerts alerts.jsonl --state /var/lib/hopscope
  hopscope watch logs/ --inventory cmdb/ --once | jq .alert.id     # replay what is there
  journalctl -f -o short -u ssh | hopscope watch - --year 2025")]
pub struct Args {
    /// Files or directories to follow; `-` is standard input.
    #[arg(required = true, value_name = "LOGS")]
    logs: Vec<PathBuf>,
    /// Directory with hosts.csv, sites.csv and data.csv (any subset).
    #[arg(long, value_name = "DIR")]
    inventory: Option<PathBuf>,
    /// Input format; `auto` recognises each file from its content.
    #[arg(long, default_value = "auto", value_name = "FORMAT",
          value_parser = ["auto", "lanl", "sshd", "evtx", "winjson", "zeek", "csv", "jsonl", "audit"])]
    format: String,
    /// Time of LANL second 0 (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "1970-01-01T00:00:00Z")]
    lanl_start: String,
    /// Year of syslog lines; default: inferred from the file's modification time.
    #[arg(long, value_name = "YEAR")]
    year: Option<i32>,
    /// Time zone of times that name none (IANA name or +09:00): syslog lines (default UTC)
    /// and NXLog EventTime with no received time (default: a problem).
    #[arg(long, value_name = "ZONE")]
    tz: Option<String>,
    /// Append alert events to this file (flushed per event) instead of standard output;
    /// events it already holds are not written again after a restart.
    #[arg(long, value_name = "FILE")]
    alerts: Option<PathBuf>,
    /// Checkpoint the detector's state, the catalog and each input's read offset in this
    /// directory (DIR/state.bin, written atomically), and continue from it on start.
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// How often to checkpoint with --state (also at a clean stop: SIGINT, SIGTERM, the end).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    checkpoint_every: Duration,
    /// Read what the inputs hold now, report, and stop (a replay).
    #[arg(long)]
    once: bool,
    /// Stop after the inputs have been idle this long.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    exit_idle: Option<i64>,
    /// Windows JSON events wait at most this long (wall clock) for the per-file join (a 7045
    /// marks the logon up to 2 minutes before it); default: until the file pauses or 2 min
    /// 10 s of newer events arrive. `1s` trades the PsExec marks for latency.
    #[arg(long, value_name = "DURATION", value_parser = parse_wait)]
    windows_join_wait: Option<Duration>,
    /// How often to look for new lines, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    poll: u64,
    /// Alert notifications per UTC day, in the order alerts are raised; 0 = all.
    #[arg(long, value_name = "N", default_value_t = 5)]
    budget: usize,
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
    /// No alerts while history fills, from the first event.
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    /// Client names (--inventory's data.csv) as keyed pseudonyms in every alert event and
    /// notice; restricted clients never named. The key is kept in --state DIR (so pseudonyms
    /// stay the same across restarts), as a case keeps its own for `scope --redact`.
    #[arg(long, requires = "state")]
    redact: bool,
}

/// Bytes read from one input per round: a replay of big files advances in steps, merged by
/// time across inputs, with bounded memory.
const READ_STEP: u64 = 8 << 20;
/// Bytes looked at to recognise a format.
const HEAD: u64 = 1 << 16;
/// Directories are walked again for new files every this many rounds.
const RESCAN_ROUNDS: u32 = 10;
/// First bytes of a log kept to know it again (a copy, a compressed copy, a rewrite).
const FP_HEAD: usize = 4096;
/// Last bytes before the read offset kept to know a rewrite.
const FP_TAIL: usize = 64;
/// Logs read before, remembered to know their copies.
const READ_LOGS: usize = 1024;
/// Event times kept to place the stream's bulk.
const RECENT_TIMES: usize = 1001;
/// No authentication log hopscope reads is dated before 1990-01-01.
const EPOCH_FLOOR: i64 = 631_152_000_000_000;
const YEAR: i64 = 365 * DAY;
/// Problem summaries on stderr at most this often.
const PROBLEM_REPORT: Duration = Duration::from_secs(30);

/// How the reader stands with one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Waiting for enough complete lines to recognise the format.
    Unknown,
    Following,
    /// Read whole once (EVTX, compressed files): not followed.
    Read,
    /// Not a format hopscope reads (reported once).
    Unrecognised,
}

/// One followed input.
struct Input {
    /// `None`: standard input.
    path: Option<PathBuf>,
    display: String,
    stage: Stage,
    file: Option<File>,
    /// (device, inode) of the open file.
    identity: Option<(u64, u64)>,
    /// Bytes of complete lines consumed.
    offset: u64,
    source: Option<LineSource>,
    /// Parsed events not yet fed to the detector.
    queue: EventTable,
    /// Newest event time read.
    newest: i64,
    /// More complete lines are waiting than one round reads.
    more: bool,
    /// Consecutive rounds without new data.
    idle_rounds: u32,
    /// Standard input: bytes received after the last complete line.
    partial: Vec<u8>,
    stdin: Option<mpsc::Receiver<Vec<u8>>>,
    stdin_closed: bool,
    /// Since when Windows events have been held for the join.
    held_since: Option<Instant>,
    /// "following" was said for the current file.
    announced: bool,
    /// Found by walking a directory (forgotten when its file is gone).
    from_dir: bool,
    /// The syslog year inferred when the file was first read (kept in a checkpoint: the
    /// file's mtime moves on).
    inferred_year: Option<i32>,
    /// Format and lines read of the parser [`Reader::close`] let go (a checkpoint after the
    /// end of a `--once` run still knows where the file stands).
    closed: Option<(Format, u64)>,
    /// Why the path cannot be read now, as last said on stderr (said again only when it
    /// changes).
    complaint: Option<String>,
    /// The file's first bytes as read (up to [`FP_HEAD`]) and the last ones read before
    /// `offset` (up to [`FP_TAIL`]): a file rewritten under watch (truncated and filled
    /// again past `offset` between two polls) no longer has them.
    head: Vec<u8>,
    tail: Vec<u8>,
    /// (length, modification time) when the marks were last checked.
    looked: Option<(u64, i64)>,
    /// The file's length at the last poll.
    last_len: u64,
}

impl Input {
    fn new(path: Option<PathBuf>, display: String) -> Input {
        Input {
            path,
            display,
            stage: Stage::Unknown,
            file: None,
            identity: None,
            offset: 0,
            source: None,
            queue: EventTable::default(),
            newest: i64::MIN,
            more: false,
            idle_rounds: 0,
            partial: Vec::new(),
            stdin: None,
            stdin_closed: false,
            held_since: None,
            announced: false,
            from_dir: false,
            inferred_year: None,
            closed: None,
            complaint: None,
            head: Vec::new(),
            tail: Vec::new(),
            looked: None,
            last_len: 0,
        }
    }
}

/// Everything a round needs besides the inputs.
struct Reader {
    format: Option<Format>,
    ctx: ParseContext,
    catalog: Catalog,
    inventory: Inventory,
    problems: ProblemTally,
    problems_reported: u64,
    once: bool,
    /// Identities of files rotated away since the last directory walk.
    retired: HashSet<(u64, u64)>,
    /// Logs read before (rotated away, truncated, replaced, gone), newest last.
    read_logs: std::collections::VecDeque<ReadLog>,
    /// The latest event times within bounds, which place the stream's bulk.
    recent: std::collections::VecDeque<i64>,
}

impl Reader {
    fn take(&mut self, inp: &mut Input, mut parsed: Parsed) {
        for p in parsed.problems {
            self.problems.add(p);
        }
        for n in parsed.notes {
            errln!("hopscope watch: {}: note: {n}", inp.display);
        }
        // the absolute bounds at once (an input's newest time orders the merge); the bulk's
        // when the merged batch is fed, when every input has been read as far
        parsed.events = self.screen_times(std::mem::take(&mut parsed.events), false);
        if let Some(&last) = parsed.events.time.iter().max() {
            inp.newest = inp.newest.max(last);
        }
        inp.queue.extend_from(&parsed.events);
    }

    /// Keep the events dated within the stream's bulk; count the others as problems, not
    /// fed to detection: one absurd time must not start the warm-up in 1601 or move the
    /// detector's clock to 9999. Out of bounds: before 1990, more than a day after the wall
    /// clock, or more than a year before or after the bulk — the median of the latest
    /// [`RECENT_TIMES`] event times kept and the times of this piece. Times before the bulk
    /// never join the latest times (a flood of old-dated lines cannot pull the bulk back);
    /// times after it do (a stream that moves on for good is followed after half of
    /// [`RECENT_TIMES`] events, each earlier one counted).
    /// `against_bulk`: judge against the bulk too (the batch about to be fed), else only against
    /// the absolute bounds.
    fn screen_times(&mut self, events: EventTable, against_bulk: bool) -> EventTable {
        if events.is_empty() {
            return events;
        }
        let latest = now_micros() + DAY;
        let (floor, ceiling, centre) = if against_bulk {
            let mut times: Vec<i64> = self.recent.iter().chain(&events.time).copied().collect();
            let mid = times.len() / 2;
            let centre = *times.select_nth_unstable(mid).1;
            (
                EPOCH_FLOOR.max(centre.saturating_sub(YEAR)),
                latest.min(centre.saturating_add(YEAR)),
                centre,
            )
        } else {
            (EPOCH_FLOOR, latest, 0)
        };
        let mut kept = EventTable::with_capacity(events.len());
        for e in events.iter() {
            let t = e.time.0;
            if t >= floor && t <= ceiling {
                kept.push(&e);
            } else {
                let why = if t < EPOCH_FLOOR {
                    "before 1990".to_string()
                } else if t > latest {
                    "more than a day after the wall clock".to_string()
                } else {
                    format!(
                        "more than a year {} the stream's bulk (around {})",
                        if t < centre { "before" } else { "after" },
                        short_time(Time(centre))
                    )
                };
                let file = self.catalog.sources.name(e.evidence.source).unwrap_or("?");
                self.problems.add(hopscope_ingest::Problem {
                    file: file.to_string(),
                    position: e.evidence.position,
                    kind: hopscope_ingest::ProblemKind::BadTime,
                    message: format!(
                        "dated {}: {why}; counted, not fed to detection",
                        e.time.to_rfc3339()
                    ),
                });
            }
            if against_bulk && t >= floor && t <= latest {
                if self.recent.len() >= RECENT_TIMES {
                    self.recent.pop_front();
                }
                self.recent.push_back(t);
            }
        }
        kept
    }

    fn context(&self, inp: &Input, header: Option<String>) -> ParseContext {
        ParseContext {
            path: inp.display.clone(),
            mtime: inp.path.as_deref().and_then(hopscope_ingest::mtime),
            header,
            ..self.ctx.clone()
        }
    }

    /// Start parsing an input whose first bytes are `head` (complete lines only).
    fn start(&mut self, inp: &mut Input, head: &[u8], complete: bool) {
        let format = self.format.or_else(|| hopscope_ingest::detect(head));
        let Some(format) = format else {
            let lines = head.iter().filter(|&&b| b == b'\n').count();
            if complete || lines >= 50 || head.len() as u64 >= HEAD {
                errln!(
                    "hopscope watch: {}: not a format hopscope reads; give --format to force one",
                    inp.display
                );
                inp.stage = Stage::Unrecognised;
            }
            return;
        };
        let header = head
            .split(|&b| b == b'\n')
            .next()
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string());
        let mut ctx = self.context(inp, header);
        if format == Format::Sshd && ctx.year.is_none() {
            if let Some(path) = &inp.path {
                // the same inference as ingest: anchor the last line to the mtime
                if let Ok(f) = open_regular(path) {
                    let lines = BufReader::new(f).split(b'\n').map_while(std::result::Result::ok);
                    ctx.inferred_year = hopscope_ingest::sshd::first_year_from_mtime(lines, &ctx);
                }
            }
        }
        inp.inferred_year = ctx.inferred_year;
        match LineSource::new(format, &inp.display, ctx, &mut self.catalog) {
            Ok(s) => {
                inp.source = Some(s);
                inp.stage = Stage::Following;
                inp.announced = false;
                inp.closed = None;
            }
            Err(e) => {
                errln!("hopscope watch: {}: {e}", inp.display);
                inp.stage = Stage::Unrecognised;
            }
        }
    }

    /// Read a file that cannot be followed (EVTX, compressed) once, whole.
    fn read_once(&mut self, inp: &mut Input, format: Option<Format>) {
        let Some(path) = inp.path.clone() else { return };
        let ctx = self.context(inp, None);
        let parsed = if format == Some(Format::Evtx)
            || format == Some(Format::Winjson) && !is_lines(&path)
        {
            read_whole(
                &path,
                format.unwrap_or(Format::Evtx),
                &ctx,
                &mut self.catalog,
                &self.inventory,
            )
        } else {
            let Some(rest) = self.read_compressed(inp, &path) else { return };
            rest
        };
        errln!("hopscope watch: {}: read whole (not followed: EVTX and compressed files are read when they appear)", inp.display);
        self.take(inp, parsed);
        inp.stage = Stage::Read;
        inp.source = None;
    }

    /// Read a compressed file like a closed one: decompressed a step at a time, each step's
    /// complete lines parsed and taken, so that memory holds one step whatever the file
    /// decompresses to (a gzip bomb appearing in a watched directory is read, never held).
    /// Returns what the parser held at the end; `None` when no parser takes the file.
    fn read_compressed(&mut self, inp: &mut Input, path: &Path) -> Option<Parsed> {
        let mut r: Box<dyn Read> = match hopscope_ingest::open(path) {
            Ok((r, _)) => r,
            Err(e) => {
                errln!("hopscope watch: {}: {e}", inp.display);
                Box::new(std::io::empty())
            }
        };
        // a step of 1 MiB, the longest line a parser takes (a longer one is overlong anyway)
        const STEP: usize = 1 << 20;
        let mut buf = vec![0u8; STEP];
        let mut carry: Vec<u8> = Vec::new();
        let mut started = false;
        loop {
            // a step (a decompressor hands over less at each read)
            let (mut n, mut end) = (0, false);
            while n < buf.len() {
                match r.read(&mut buf[n..]) {
                    Ok(0) => {
                        end = true;
                        break;
                    }
                    Ok(k) => n += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // a damaged stream: what came before the damage is read
                        errln!("hopscope watch: {}: {e}", inp.display);
                        end = true;
                        break;
                    }
                }
            }
            carry.extend_from_slice(&buf[..n]);
            if !started {
                started = true;
                inp.head = carry[..carry.len().min(FP_HEAD)].to_vec();
                self.start(inp, &carry[..carry.len().min(HEAD as usize)], true);
                inp.source.as_ref()?;
            }
            // complete lines: up to the last `\n`, else a lone `\r` (CR-only lines); a step
            // without either is taken whole (the parser reports the line as overlong)
            let cut = if end {
                carry.len()
            } else if let Some(i) = carry.iter().rposition(|&b| b == b'\n') {
                i + 1
            } else if let Some(i) =
                carry.iter().rposition(|&b| b == b'\r').filter(|&i| i + 1 < carry.len())
            {
                i + 1
            } else if carry.len() >= STEP {
                carry.len()
            } else {
                0
            };
            self.parse(inp, &carry[..cut]);
            carry.drain(..cut);
            if end {
                break;
            }
        }
        let src = inp.source.as_mut()?;
        Some(src.release_all(&mut self.catalog, &self.inventory))
    }

    /// Parse complete lines and take their events.
    fn parse(&mut self, inp: &mut Input, bytes: &[u8]) {
        if let Some(src) = inp.source.as_mut() {
            let parsed = src.parse(bytes, &mut self.catalog, &self.inventory);
            self.take(inp, parsed);
        }
    }

    /// The input ended (rotated away, truncated, closed): release what its parser holds.
    fn close(&mut self, inp: &mut Input) {
        if let Some(mut src) = inp.source.take() {
            inp.closed = Some((src.format(), src.lines()));
            let parsed = src.release_all(&mut self.catalog, &self.inventory);
            self.take(inp, parsed);
        }
        inp.stage = Stage::Unknown;
    }

    /// Remember the log `inp` read (from its first byte), to know a copy of it later; a head
    /// of fewer than two whole lines is not enough to know a copy by (a CSV header alone
    /// would match every file of the kind).
    fn remember(&mut self, inp: &Input) {
        if inp.head.iter().filter(|&&b| b == b'\n').count() < 2 {
            return;
        }
        let (format, lines) = match (&inp.source, inp.closed) {
            (Some(src), _) => (Some(src.format()), src.lines()),
            (None, Some((f, lines))) => (Some(f), lines),
            (None, None) => (None, 0),
        };
        if self.read_logs.len() >= READ_LOGS {
            self.read_logs.pop_front();
        }
        self.read_logs.push_back(ReadLog {
            display: inp.display.clone(),
            head_hash: watch_state::fnv(&inp.head),
            head_len: inp.head.len() as u32,
            offset: (inp.stage != Stage::Read).then_some(inp.offset),
            format: format.map(|f| f.name().to_string()),
            lines,
            inferred_year: inp.inferred_year,
        });
    }

    /// The file `inp` reads ended (rotated away, truncated, rewritten): remember it, release
    /// its parser, and read what is at the path from its start.
    fn restart(&mut self, inp: &mut Input) {
        self.remember(inp);
        self.close(inp);
        inp.offset = 0;
        inp.head.clear();
        inp.tail.clear();
        inp.looked = None;
    }

    /// Count events that may have been lost from `inp` as a problem (at the line after the
    /// last one read), and say it.
    fn lost(&mut self, inp: &Input, why: &str) {
        let line = inp.source.as_ref().map_or(0, |s| s.lines()) + 1;
        errln!("hopscope watch: {}: {why}", inp.display);
        self.problems.add(hopscope_ingest::Problem {
            file: inp.display.clone(),
            position: hopscope_model::Position::Line(line),
            kind: hopscope_ingest::ProblemKind::Unreadable,
            message: why.to_string(),
        });
    }

    /// What a file that appeared in a watched directory is, judged by its first bytes
    /// (decompressed): a copy of a log already read, the rest of one (a copy made before a
    /// truncation, longer than what was read), or a new log.
    fn copy_of(&self, path: &Path, inputs: &[Input]) -> Copy {
        let Ok((head, _)) = hopscope_ingest::head(path, FP_HEAD) else {
            return Copy::New;
        };
        let mut magic = [0u8; 4];
        let compressed = open_regular(path)
            .and_then(|f| f.read_at(&mut magic, 0))
            .is_ok_and(|n| n == 4 && read_whole_magic(&magic));
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        for log in self.read_logs.iter().rev() {
            let n = log.head_len as usize;
            if n > head.len() || watch_state::fnv(&head[..n]) != log.head_hash {
                continue;
            }
            return match log.offset {
                Some(offset) if !compressed && len > offset && log.format.is_some() => {
                    Copy::Rest(log.clone())
                }
                _ => Copy::Read(log.display.clone(), n),
            };
        }
        for inp in inputs {
            let lines = inp.head.iter().filter(|&&b| b == b'\n').count();
            if lines >= 2 && head.starts_with(&inp.head) && inp.path.as_deref() != Some(path) {
                // a copy of a log still followed, unless that log was truncated or rewritten
                // since its last poll: then the copy may hold its rest, known after the poll
                let intact =
                    inp.path.as_deref().and_then(|p| std::fs::metadata(p).ok()).is_some_and(|m| {
                        m.len() >= inp.offset && Some((m.dev(), m.ino())) == inp.identity
                    }) && same_marks(inp);
                return if intact {
                    Copy::Read(inp.display.clone(), inp.head.len())
                } else {
                    Copy::Later
                };
            }
        }
        Copy::New
    }

    /// One look at a file. Returns whether anything was read.
    fn poll_file(&mut self, inp: &mut Input) -> bool {
        let Some(path) = inp.path.clone() else { return self.poll_stdin(inp) };
        if matches!(inp.stage, Stage::Read | Stage::Unrecognised) {
            // a file replaced at the same path starts again
            match std::fs::metadata(&path) {
                Ok(m) if Some((m.dev(), m.ino())) != inp.identity && inp.identity.is_some() => {
                    self.remember(inp);
                    inp.stage = Stage::Unknown;
                    inp.file = None;
                    inp.identity = None;
                    inp.offset = 0;
                    inp.head.clear();
                    inp.tail.clear();
                }
                _ => return false,
            }
        }
        // anything but a regular file (a dangling link, a link loop, a FIFO, a directory, …)
        // is said once and looked at again every poll; what an open handle holds is finished
        let meta = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => m,
            Ok(m) => {
                complain(inp, &format!("{}; not read, looked at again every poll", file_kind(&m)));
                return self.drain_old(inp);
            }
            // gone (rotated away, not yet replaced)
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_link(&path) => {
                return self.drain_old(inp)
            }
            Err(e) => {
                complain(
                    inp,
                    &format!("{}; not read, looked at again every poll", why_path(&path, &e)),
                );
                return self.drain_old(inp);
            }
        };
        let identity = (meta.dev(), meta.ino());
        let mut read_any = false;
        if let Some(old) = inp.identity.filter(|&id| id != identity) {
            read_any |= self.drain_old(inp);
            self.retired.insert(old);
            errln!("hopscope watch: {}: rotated; reading the new file from the start", inp.display);
            self.restart(inp);
            inp.file = None;
        } else if meta.len() < inp.offset {
            errln!(
                "hopscope watch: {}: truncated to {} bytes (was {}); reading from the start",
                inp.display,
                meta.len(),
                inp.offset
            );
            if inp.last_len > inp.offset {
                let unread = inp.last_len - inp.offset;
                self.lost(inp, &format!("truncated before its last {unread} bytes were read: their events are lost unless a copy of the file is in a watched directory"));
            }
            self.restart(inp);
        } else if inp.stage == Stage::Following && inp.offset > 0 {
            // truncated and filled again past the offset between two polls: the length alone
            // cannot tell, the bytes before the offset can
            let stamp = (meta.len(), meta.mtime() * 1_000_000_000 + meta.mtime_nsec());
            if inp.looked != Some(stamp) {
                inp.looked = Some(stamp);
                if !same_marks(inp) {
                    errln!(
                        "hopscope watch: {}: rewritten between two polls (its bytes before {} changed: truncated and filled again past where watch had read); reading it from the start",
                        inp.display, inp.offset
                    );
                    self.lost(inp, &format!("truncated and filled again between two polls: events written after byte {} of the old content before the truncation are lost unless a copy of the file is in a watched directory", inp.offset));
                    self.restart(inp);
                }
            }
        }
        inp.last_len = meta.len();
        if inp.file.is_none() {
            match open_regular(&path) {
                Ok(f) => {
                    inp.file = Some(f);
                    inp.identity = Some(identity);
                }
                Err(e) => {
                    complain(
                        inp,
                        &format!("{}; not read, tried again every poll", why_path(&path, &e)),
                    );
                    return read_any;
                }
            }
        }
        if inp.complaint.take().is_some() {
            errln!("hopscope watch: {}: readable again", inp.display);
        }
        if inp.stage == Stage::Unknown {
            let mut head = vec![0u8; meta.len().min(HEAD) as usize];
            let n = inp.file.as_ref().and_then(|f| f.read_at(&mut head, 0).ok()).unwrap_or(0);
            head.truncate(n);
            let magic_whole = read_whole_magic(&head);
            if magic_whole || self.format == Some(Format::Evtx) {
                let format = self.format.or_else(|| hopscope_ingest::detect(&head));
                self.read_once(inp, format);
                return true;
            }
            let complete = match head.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if self.once && !head.is_empty() => head.len(),
                None => return read_any,
            };
            self.start(inp, &head[..complete], self.once);
            if inp.stage != Stage::Following {
                return read_any;
            }
        }
        // the file may have grown since it was looked at (a head read just now saw more)
        let len = inp
            .file
            .as_ref()
            .and_then(|f| f.metadata().ok())
            .map_or(meta.len(), |m| m.len().max(meta.len()));
        let read = self.read_lines(inp, len, self.once);
        announce(inp);
        read_any | read
    }

    /// Read complete lines from the open file, up to one step. `to_end`: the file is done;
    /// a last line without `\n` counts.
    fn read_lines(&mut self, inp: &mut Input, len: u64, to_end: bool) -> bool {
        let Some(file) = inp.file.as_ref() else { return false };
        let want = len.saturating_sub(inp.offset).min(READ_STEP);
        if want == 0 {
            inp.more = false;
            return false;
        }
        let mut buf = vec![0u8; want as usize];
        let n = match file.read_at(&mut buf, inp.offset) {
            Ok(n) => n,
            Err(e) => {
                errln!("hopscope watch: {}: {e}", inp.display);
                return false;
            }
        };
        buf.truncate(n);
        let last_step = inp.offset + n as u64 >= len;
        let cut = match buf.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if to_end && last_step => buf.len(),
            // a line longer than a step: take the step (the parser reports it as overlong)
            None if n as u64 == READ_STEP => buf.len(),
            None => return false,
        };
        keep_marks(inp, &buf[..cut]);
        inp.offset += cut as u64;
        inp.more = !last_step;
        self.parse(inp, &buf[..cut]);
        true
    }

    /// Finish the file the open handle still holds after its path moved on.
    fn drain_old(&mut self, inp: &mut Input) -> bool {
        let Some(len) = inp.file.as_ref().and_then(|f| f.metadata().ok()).map(|m| m.len()) else {
            return false;
        };
        let mut any = false;
        while inp.stage == Stage::Following && inp.offset < len {
            if !self.read_lines(inp, len, true) {
                break;
            }
            any = true;
        }
        any
    }

    fn poll_stdin(&mut self, inp: &mut Input) -> bool {
        let mut got = Vec::new();
        if let Some(rx) = &inp.stdin {
            loop {
                match rx.try_recv() {
                    Ok(chunk) => got.extend_from_slice(&chunk),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        inp.stdin_closed = true;
                        break;
                    }
                }
            }
        }
        if got.is_empty() && (!inp.stdin_closed || inp.partial.is_empty()) {
            return false;
        }
        inp.partial.extend_from_slice(&got);
        if inp.stage == Stage::Unknown {
            let complete = match inp.partial.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if inp.stdin_closed => inp.partial.len(),
                None => return true,
            };
            let head = inp.partial[..complete.min(HEAD as usize)].to_vec();
            self.start(inp, &head, inp.stdin_closed);
            if inp.stage != Stage::Following {
                if inp.stage == Stage::Unrecognised {
                    inp.partial.clear();
                }
                return true;
            }
        }
        let cut = match inp.partial.iter().rposition(|&b| b == b'\n') {
            Some(i) => i + 1,
            None if inp.stdin_closed => inp.partial.len(),
            None => return true,
        };
        let lines: Vec<u8> = inp.partial.drain(..cut).collect();
        self.parse(inp, &lines);
        announce(inp);
        true
    }

    /// Continue a file from a checkpoint: its identity, offset, queued events and parser.
    /// The parser's carried state (a syslog year and its roll-overs, a CSV header, a Zeek
    /// `#fields` line, the Windows events held for the join) is re-derived by parsing the
    /// file again up to the offset, without feeding the detector; what that gives is dropped
    /// (it was fed, or is in the checkpointed queue), and the Windows events held are cut to
    /// the ones the checkpointed parser held.
    fn resume(&mut self, inp: &mut Input, saved: InputState, label: &str) {
        let Some(path) = inp.path.clone() else { return };
        inp.queue = saved.queue;
        inp.newest = saved.newest;
        inp.from_dir |= saved.from_dir;
        inp.inferred_year = saved.inferred_year;
        let file = match open_regular(&path) {
            Ok(f) => f,
            Err(e) => {
                errln!("hopscope watch: {}: {e}", inp.display);
                return;
            }
        };
        let len = file.metadata().map_or(0, |m| m.len());
        inp.identity = saved.identity;
        match saved.stage.as_str() {
            "read" | "unrecognised" => {
                inp.stage = if saved.stage == "read" { Stage::Read } else { Stage::Unrecognised };
                inp.offset = saved.offset;
                inp.file = Some(file);
                return;
            }
            "following" => {}
            _ => return,
        }
        if len < saved.offset {
            errln!(
                "hopscope watch: {}: truncated to {len} bytes while watch was stopped (was {}); reading from the start",
                inp.display, saved.offset
            );
            return;
        }
        let Some(format) = saved.format.as_deref().and_then(Format::parse) else { return };
        let started = Instant::now();
        let mut head = vec![0u8; saved.offset.min(HEAD) as usize];
        let n = file.read_at(&mut head, 0).unwrap_or(0);
        head.truncate(n);
        let header = head
            .split(|&b| b == b'\n')
            .next()
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string());
        let mut ctx = self.context(inp, header);
        ctx.inferred_year = saved.inferred_year;
        let mut src = match LineSource::new(format, &inp.display, ctx, &mut self.catalog) {
            Ok(s) => s,
            Err(e) => {
                errln!("hopscope watch: {}: {e}", inp.display);
                return;
            }
        };
        // parse again up to the offset, in whole-line steps; nothing reaches the detector
        let (mut pos, mut carry) = (0u64, Vec::new());
        if !src.carries_line_state() {
            src.continue_after(saved.lines);
            pos = saved.offset;
        }
        let reread = saved.offset - pos;
        while pos < saved.offset {
            let mut buf = vec![0u8; (saved.offset - pos).min(READ_STEP) as usize];
            let n = match file.read_at(&mut buf, pos) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            pos += n as u64;
            carry.extend_from_slice(&buf[..n]);
            let cut = if pos >= saved.offset {
                carry.len()
            } else {
                carry.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
            };
            let _ = src.parse(&carry[..cut], &mut self.catalog, &self.inventory);
            carry.drain(..cut);
        }
        src.keep_last_held(saved.held);
        if src.lines() != saved.lines {
            errln!(
                "hopscope watch: {}: {} lines up to byte {} now, {} when checkpointed: the file changed while watch was stopped",
                inp.display,
                src.lines(),
                saved.offset,
                saved.lines
            );
        }
        errln!(
            "hopscope watch: {}: {label} at byte {} (line {}; {})",
            inp.display,
            saved.offset,
            src.lines(),
            if reread == 0 {
                format!("{format}: no parser state to re-derive")
            } else {
                format!("{format} parser state re-derived from {reread} bytes in {:.0?}, detector not fed", started.elapsed())
            }
        );
        inp.source = Some(src);
        inp.stage = Stage::Following;
        inp.offset = saved.offset;
        load_marks(inp, &file);
        inp.file = Some(file);
        inp.announced = true;
    }

    fn report_problems(&mut self, force: bool) {
        let total = self.problems.total();
        if total == self.problems_reported || (!force && total - self.problems_reported < 1) {
            return;
        }
        self.problems_reported = total;
        let by: Vec<String> =
            self.problems.counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
        errln!("hopscope watch: {total} bad line(s) skipped so far: {}", by.join(", "));
        for ex in self.problems.examples.values().flatten().take(5) {
            errln!("  {ex}");
        }
    }
}

/// Whether a file starting with `head` is read whole, not followed: EVTX, gzip, zstd, zip.
fn read_whole_magic(head: &[u8]) -> bool {
    head.starts_with(b"ElfFile\0")
        || head.starts_with(&[0x1f, 0x8b])
        || head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
        || head.starts_with(b"PK\x03\x04")
}

/// What a file appearing in a watched directory is (see [`Reader::copy_of`]).
enum Copy {
    New,
    /// A copy of a followed log that changed since its last poll: judged at the next walk.
    Later,
    /// A copy of the log read as this input, known by this many first bytes.
    Read(String, usize),
    /// A copy of a log read up to its offset that holds more: read from there.
    Rest(ReadLog),
}

/// Keep the first bytes of a file and the last ones before the offset, from `consumed` (the
/// bytes read at `inp.offset`).
fn keep_marks(inp: &mut Input, consumed: &[u8]) {
    if inp.head.len() as u64 == inp.offset && inp.head.len() < FP_HEAD {
        let take = (FP_HEAD - inp.head.len()).min(consumed.len());
        inp.head.extend_from_slice(&consumed[..take]);
    }
    if consumed.len() >= FP_TAIL {
        inp.tail.clear();
        inp.tail.extend_from_slice(&consumed[consumed.len() - FP_TAIL..]);
    } else {
        inp.tail.extend_from_slice(consumed);
        let extra = inp.tail.len().saturating_sub(FP_TAIL);
        inp.tail.drain(..extra);
    }
}

/// Load the marks of a file read up to `inp.offset` (a resumed input) from the file.
fn load_marks(inp: &mut Input, file: &File) {
    let mut head = vec![0u8; inp.offset.min(FP_HEAD as u64) as usize];
    let n = file.read_at(&mut head, 0).unwrap_or(0);
    head.truncate(n);
    let t = inp.offset.min(FP_TAIL as u64);
    let mut tail = vec![0u8; t as usize];
    let n = file.read_at(&mut tail, inp.offset - t).unwrap_or(0);
    tail.truncate(n);
    inp.head = head;
    inp.tail = tail;
}

/// Whether the open file still holds the bytes `inp` read at its start and just before its
/// offset.
fn same_marks(inp: &Input) -> bool {
    let Some(file) = inp.file.as_ref() else { return true };
    let same = |mark: &[u8], at: u64| {
        let mut now = vec![0u8; mark.len()];
        matches!(file.read_at(&mut now, at), Ok(n) if n == mark.len()) && now == mark
    };
    same(&inp.head, 0) && same(&inp.tail, inp.offset - inp.tail.len() as u64)
}

/// Say once per file that it is followed, after its first read (so a reader of stderr knows
/// the lines there were taken).
fn announce(inp: &mut Input) {
    if inp.stage == Stage::Following && !inp.announced {
        inp.announced = true;
        let format = inp.source.as_ref().map_or("?", |s| s.format().name());
        let lines = inp.source.as_ref().map_or(0, |s| s.lines());
        errln!("hopscope watch: {}: following ({format}; {lines} lines read)", inp.display);
    }
}

/// Windows JSON lines can be followed; documents (`[`, pretty-printed records) cannot.
fn is_lines(path: &Path) -> bool {
    let mut head = [0u8; 1];
    open_regular(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && head[0] == b'{'
}

/// One JSON line of output.
#[derive(Serialize)]
struct EventLine<'a> {
    seq: u64,
    event: &'static str,
    alert: AlertView,
    absorbed: &'a [String],
}

/// Where alert events go, each at most once.
struct Outlet {
    out: Box<dyn Write>,
    /// (alert id, hops) of the events already written (read back from --alerts FILE).
    written: HashSet<(String, u64)>,
    seq: u64,
    /// Notifications per UTC day of raising, for the budget.
    per_day: std::collections::BTreeMap<i64, usize>,
    /// Alerts whose raise exceeded the day's budget: their growth is not notified either.
    over_budget: HashSet<String>,
    budget: usize,
    emitted: u64,
    skipped: u64,
}

impl Outlet {
    fn open(alerts: Option<&Path>, budget: usize) -> Result<Outlet> {
        let (out, written, seq): (Box<dyn Write>, _, _) = match alerts {
            None => {
                (Box::new(crate::out::Terminal::new(std::io::stdout(), false)), HashSet::new(), 0)
            }
            Some(path) => match open_sink(path)? {
                Sink::File(f) => {
                    let (written, seq) = read_back(&f, path)?;
                    (Box::new(f), written, seq)
                }
                Sink::Stream(f) => (Box::new(f), HashSet::new(), 0),
            },
        };
        Ok(Outlet {
            out,
            written,
            seq,
            per_day: Default::default(),
            over_budget: HashSet::new(),
            budget,
            emitted: 0,
            skipped: 0,
        })
    }

    fn emit(&mut self, e: &AlertEvent, catalog: &Catalog, fleet: &Fleet) -> Result<()> {
        let a = &e.alert;
        // the budget: a day's first N raised alerts are notified, with their growth
        if e.kind == hopscope_engine::AlertEventKind::Raised && self.budget > 0 {
            let day = self.per_day.entry(a.raised_at.0.div_euclid(DAY)).or_default();
            if *day >= self.budget {
                self.over_budget.insert(a.id.clone());
            }
            *day += 1;
            // at most the budget's days in memory
            while self.per_day.len() > 8 {
                self.per_day.pop_first();
            }
        }
        if self.over_budget.contains(&a.id) {
            return Ok(());
        }
        if !self.written.insert(e.key()) {
            self.skipped += 1;
            return Ok(());
        }
        self.seq += 1;
        let line = EventLine {
            seq: self.seq,
            event: e.kind.as_str(),
            alert: crate::out::redact_value(AlertView::new(a, catalog, fleet))?,
            absorbed: &e.absorbed,
        };
        let mut text = serde_json::to_string(&line)?;
        text.push('\n');
        // one write per line, flushed: a reader (or a crash) sees whole lines
        self.out.write_all(text.as_bytes())?;
        self.out.flush()?;
        self.emitted += 1;
        let newest = a.hops.iter().max_by_key(|h| (h.hop.time, h.hop.evidence));
        let hop = newest.map_or(String::new(), |h| {
            format!(
                "{} → {} as {} at {}",
                catalog.hosts.name(h.hop.src).unwrap_or("?"),
                catalog.hosts.name(h.hop.dst).unwrap_or("?"),
                catalog.accounts.get(h.hop.user).map_or("?".into(), |x| x.display()),
                short_time(h.hop.time)
            )
        });
        errln!(
            "hopscope watch: {} {} score {:.1}, {} hop{}, entry {}: {hop}",
            e.kind.as_str(),
            a.id,
            a.score,
            a.hops.len(),
            if a.hops.len() == 1 { "" } else { "s" },
            catalog.hosts.name(a.entry_host).unwrap_or("?")
        );
        Ok(())
    }
}

/// Where `--alerts` writes.
enum Sink {
    /// A regular file, locked for this process: what it holds is read back (exactly-once).
    File(File),
    /// A FIFO, a terminal or `/dev/null`: written to, never read back.
    Stream(File),
}

/// Open `--alerts PATH` for appending. A regular file (created if missing) is locked (a
/// second watch on it refuses) and read back; a FIFO, a terminal or `/dev/null` is written to
/// without reading back; anything else (a directory, `/dev/zero`, a disk, a socket) cannot
/// hold alert events and is refused with what it is.
fn open_sink(path: &Path) -> Result<Sink> {
    use std::os::unix::fs::FileTypeExt;
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => anyhow::bail!("--alerts {shown}: {}", io_why(&e)),
    };
    let kind = meta.as_ref().map(|m| m.file_type());
    if kind.is_some_and(|k| k.is_fifo()) {
        errln!(
            "hopscope watch: --alerts {shown}: a FIFO; alert events are written as they come and not read \
             back (a restart writes them again: give a regular file for exactly-once); waiting for its reader"
        );
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("--alerts {shown}"))?;
        return Ok(Sink::Stream(f));
    }
    if let Some(m) = meta.as_ref().filter(|m| !m.is_file()) {
        let null = std::fs::metadata("/dev/null").ok().map(|n| n.rdev());
        let char_dev = m.file_type().is_char_device();
        if char_dev {
            let f = std::fs::OpenOptions::new()
                .append(true)
                .open(path)
                .with_context(|| format!("--alerts {shown}"))?;
            if Some(m.rdev()) == null {
                errln!("hopscope watch: --alerts {shown}: /dev/null; alert events are discarded");
                return Ok(Sink::Stream(f));
            }
            if std::io::IsTerminal::is_terminal(&f) {
                return Ok(Sink::Stream(f));
            }
        }
        anyhow::bail!(
            "--alerts {shown}: {}, not a regular file: alert events could not be kept there or read \
             back; give a regular file (or a FIFO, a terminal, /dev/null)",
            file_kind(m)
        );
    }
    let f = std::fs::OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("--alerts {shown}"))?;
    // what was opened, not what the path was a moment before
    let m = f.metadata().with_context(|| format!("--alerts {shown}"))?;
    if !m.is_file() {
        anyhow::bail!(
            "--alerts {shown}: {} (it changed while being opened); give a regular file",
            file_kind(&m)
        );
    }
    if !watch_state::try_lock(&f).with_context(|| format!("locking --alerts {shown}"))? {
        anyhow::bail!(
            "--alerts {shown}: another hopscope watch is writing to this file (it holds its lock); \
             stop it, or give each watch its own --alerts file"
        );
    }
    Ok(Sink::File(f))
}

/// How every alert event line begins (`EventLine`'s first field).
const EVENT_LINE_START: &[u8] = b"{\"seq\":";

/// The keys (alert id, hops) and the last `seq` of the alert events a regular `--alerts`
/// file holds, read line by line; a last line cut short by a crash while writing an alert
/// event is cut off (written again whole later). A file holding anything else (a log, a
/// document, another program's JSON lines) is refused before anything is written or cut:
/// watch appends to a file of its own alert events only.
fn read_back(f: &File, path: &Path) -> Result<(HashSet<(String, u64)>, u64)> {
    let not_ours = |n: u64, what: &str| {
        anyhow::anyhow!(
            "--alerts {}:{n}: {what}, not an alert event of hopscope watch; watch appends its \
             alert events only to a file of them: give a new file",
            path.display()
        )
    };
    let mut written = HashSet::new();
    let mut seq = 0;
    let mut r = BufReader::new(f);
    let (mut complete, mut line, mut n) = (0u64, Vec::new(), 0u64);
    loop {
        line.clear();
        let got = r
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading {}", path.display()))?;
        if got == 0 {
            break;
        }
        n += 1;
        if line.last() != Some(&b'\n') {
            // cut short: only the start of an alert event line is ours to cut
            let k = line.len().min(EVENT_LINE_START.len());
            if line[..k] != EVENT_LINE_START[..k] {
                return Err(not_ours(n, "a last line without a line end"));
            }
            f.set_len(complete)?;
            errln!("hopscope watch: {}: dropped a partly written last line", path.display());
            break;
        }
        complete += got as u64;
        let body = &line[..line.len() - 1];
        if body.is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|_| not_ours(n, "not JSON"))?;
        let (Some(_), Some(id)) = (v["seq"].as_u64(), v["alert"]["id"].as_str()) else {
            return Err(not_ours(n, "JSON without a seq and an alert id"));
        };
        let id = id.to_string();
        let hops = v["alert"]["hops"].as_array().map_or(0, |h| h.len() as u64)
            + v["alert"]["hops_omitted"].as_u64().unwrap_or(0);
        seq = seq.max(v["seq"].as_u64().unwrap_or(0));
        written.insert((id, hops));
    }
    Ok((written, seq))
}

/// Say why `inp` cannot be read, unless that was the last thing said about it.
fn complain(inp: &mut Input, why: &str) {
    if inp.complaint.as_deref() != Some(why) {
        errln!("hopscope watch: {}: {why}", inp.display);
        inp.complaint = Some(why.to_string());
    }
}

/// Whether `path` is itself a symbolic link.
fn is_link(path: &Path) -> bool {
    path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink())
}

/// Why `path` cannot be looked at: [`io_why`], and a dangling link named as one.
fn why_path(path: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound && is_link(path) {
        "a dangling symbolic link (its target does not exist)".into()
    } else {
        io_why(e)
    }
}

/// Open a file for reading only if it is a regular file: never blocks (a FIFO put in a
/// log's place would block a plain open until a writer came) and checks what was opened,
/// not what the path was a moment before.
fn open_regular(path: &Path) -> std::io::Result<File> {
    let f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path)?;
    let m = f.metadata()?;
    if !m.is_file() {
        return Err(std::io::Error::other(format!("{}, not a regular file", file_kind(&m))));
    }
    Ok(f)
}

/// Why an input cannot be opened or looked at, in words.
fn io_why(e: &std::io::Error) -> String {
    match (e.kind(), e.raw_os_error()) {
        (_, Some(libc::ELOOP)) => "a symbolic link loop (the links lead back to themselves)".into(),
        (std::io::ErrorKind::NotFound, _) => "does not exist".into(),
        (std::io::ErrorKind::PermissionDenied, _) => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// What a directory entry that is not a regular file is, for messages.
fn file_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

pub fn run(a: Args) -> Result<()> {
    let lanl_start =
        Time::parse(&a.lanl_start).map_err(|e| anyhow::anyhow!("--lanl-start: {e}"))?;
    let tz = match &a.tz {
        None => None,
        Some(z) => Some(
            crate::cmd_ingest::parse_tz(z)
                .with_context(|| format!("--tz: unknown time zone {z:?}"))?,
        ),
    };
    let format = if a.format == "auto" { None } else { Format::parse(&a.format) };
    let inventory = match &a.inventory {
        Some(dir) => hopscope_ingest::inventory_csv::load(dir)?.inventory,
        None => Inventory::default(),
    };
    let mut catalog = Catalog::default();
    catalog.hosts.add_inventory(&inventory);
    let config = a.tuning.config(a.budget, a.warmup);
    let mut detector = Detector::new(&catalog, &inventory, config.clone());
    detector.follow_alerts();
    let mut reader = Reader {
        format,
        ctx: ParseContext { lanl_start, year: a.year, tz, ..ParseContext::default() },
        catalog,
        inventory,
        problems: ProblemTally::default(),
        problems_reported: 0,
        once: a.once,
        retired: HashSet::new(),
        read_logs: Default::default(),
        recent: Default::default(),
    };
    // one watch per state directory and per alerts file (OS locks: a crash releases them)
    // never into a case (a file there no manifest names; `--state CASE` would sit beside it)
    if let Some(dir) = &a.state {
        crate::overwrite::refuse_inside_case(dir, "--state")?;
    }
    if let Some(path) = &a.alerts {
        crate::overwrite::refuse_inside_case(path, "--alerts")?;
    }
    let _state_lock = match &a.state {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("--state {}", dir.display()))?;
            Some(watch_state::lock_dir(dir)?)
        }
        None => None,
    };
    if let (true, Some(dir)) = (a.redact, &a.state) {
        // under the state directory's lock, taken above
        let key = hopscope_report::redact::RedactionKey::in_locked_dir(dir)?;
        crate::out::redact_with(hopscope_report::redact::Redactor::new(&reader.inventory, &key));
    }
    let mut outlet = Outlet::open(a.alerts.as_deref(), a.budget)?;

    // inputs: files as given, directories walked (and walked again for new files)
    let mut inputs: Vec<Input> = Vec::new();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut known: HashSet<PathBuf> = HashSet::new();
    for p in &a.logs {
        if p.as_os_str() == "-" {
            let mut inp = Input::new(None, "-".into());
            inp.stdin = Some(spawn_stdin());
            inputs.push(inp);
        } else if p.is_dir() {
            dirs.push(p.clone());
        } else {
            if !p.exists() && !is_link(p) {
                errln!("hopscope watch: {}: does not exist yet; waiting for it", p.display());
            }
            known.insert(p.clone());
            inputs.push(Input::new(Some(p.clone()), p.display().to_string()));
        }
    }
    // sources are named in the order ingest names them (inputs as given, walks sorted)
    let mut retired: HashSet<(u64, u64)> = HashSet::new();
    let mut skipped: BTreeMap<PathBuf, String> = BTreeMap::new();
    scan_dirs(&mut reader, &dirs, &mut known, &mut inputs, &mut retired, &mut skipped, true)?;
    let mut fed_newest = i64::MIN;
    if let Some(dir) = &a.state {
        if let Some(cp) = watch_state::load(dir)? {
            let at = dir.join(watch_state::FILE);
            if cp.config != config {
                anyhow::bail!(
                    "{}: the checkpoint was taken with other detection settings (--window, --warmup, \
                     --campaign-window, --min-score, --budget); start with the same ones, or remove it to replay the inputs",
                    at.display()
                );
            }
            fed_newest = cp.fed_newest;
            restore(cp, &mut reader, &mut detector, &mut outlet, &mut inputs, &mut retired);
            errln!(
                "hopscope watch: restored the checkpoint {} ({} events fed before)",
                at.display(),
                detector.stats().events
            );
        }
    }
    // with --state, SIGINT and SIGTERM stop at the end of a round and checkpoint
    let stop = Arc::new(AtomicBool::new(false));
    if a.state.is_some() {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            signal_hook::flag::register(sig, Arc::clone(&stop))
                .context("installing the signal handler")?;
        }
    }
    let mut last_checkpoint = Instant::now();
    let mut dirty = false;
    let mut fed_this_run = 0u64;

    let exit_idle = a.exit_idle.map(|us| Duration::from_micros(us.max(0) as u64));
    let mut last_activity = Instant::now();
    let mut last_problem_report = Instant::now();
    let mut round = 0u32;
    loop {
        round += 1;
        if round.is_multiple_of(RESCAN_ROUNDS) && !a.once {
            let mut gone = HashSet::new();
            forget_gone(&mut reader, &mut inputs, &mut known, &mut gone);
            retired.extend(gone);
            retired.extend(reader.retired.drain());
            scan_dirs(
                &mut reader,
                &dirs,
                &mut known,
                &mut inputs,
                &mut retired,
                &mut skipped,
                false,
            )?;
        }
        let mut read_any = false;
        for inp in inputs.iter_mut() {
            let got = reader.poll_file(inp);
            inp.idle_rounds = if got { 0 } else { inp.idle_rounds.saturating_add(1) };
            read_any |= got;
            // Windows events held for the join go on when their input is idle for two polls,
            // or have waited --windows-join-wait (the source keeps its parser and line count)
            let held = inp.source.as_ref().is_some_and(|s| s.held() > 0);
            if !held {
                inp.held_since = None;
            } else if !a.once {
                let since = *inp.held_since.get_or_insert_with(Instant::now);
                if inp.idle_rounds == 2 || a.windows_join_wait.is_some_and(|w| since.elapsed() >= w)
                {
                    if let Some(src) = inp.source.as_mut() {
                        let parsed = src.release_all(&mut reader.catalog, &reader.inventory);
                        reader.take(inp, parsed);
                    }
                    inp.held_since = None;
                }
            }
        }
        // a replay ends when every file is read to its end and standard input is closed
        let finished = a.once
            && !inputs.iter().any(|i| i.more)
            && inputs.iter().all(|i| i.path.is_some() || (i.stdin_closed && i.partial.is_empty()));
        if finished {
            for inp in inputs.iter_mut() {
                reader.close(inp);
            }
        }
        let batch = reader.screen_times(release(&mut inputs, finished), true);
        dirty |= read_any || !batch.is_empty();
        if !batch.is_empty() {
            fed_this_run += batch.len() as u64;
            fed_newest = fed_newest.max(batch.time.last().copied().unwrap_or(i64::MIN));
            detector.refresh_fleet(&reader.catalog, &reader.inventory);
            detector.feed(&batch);
        }
        if read_any {
            last_activity = Instant::now();
        } else if detector.pending_hops() > 0 {
            // inputs idle: live hops need not wait for a later login to settle
            let now = now_micros();
            if fed_newest > now - HOUR {
                detector.settle(Time(now - config.skew));
            }
        }
        if finished {
            detector.settle_all();
        }
        for e in detector.drain_events(&reader.catalog) {
            outlet.emit(&e, &reader.catalog, detector.fleet())?;
            dirty = true;
        }
        // a checkpoint covers only events already written and flushed (just above)
        if let Some(dir) =
            a.state.as_deref().filter(|_| dirty && last_checkpoint.elapsed() >= a.checkpoint_every)
        {
            checkpoint(dir, &config, &reader, &detector, &outlet, &inputs, &retired, fed_newest)?;
            dirty = false;
            last_checkpoint = Instant::now();
        }
        if stop.load(Ordering::Relaxed) {
            errln!("hopscope watch: stopping (signal)");
            break;
        }
        if last_problem_report.elapsed() >= PROBLEM_REPORT {
            reader.report_problems(false);
            last_problem_report = Instant::now();
        }
        let stdin_done =
            inputs.iter().all(|i| i.path.is_some() || (i.stdin_closed && i.partial.is_empty()));
        let only_stdin = !inputs.is_empty() && inputs.iter().all(|i| i.path.is_none());
        if finished || (only_stdin && stdin_done) {
            if only_stdin {
                for inp in inputs.iter_mut() {
                    reader.close(inp);
                }
                let batch = reader.screen_times(release(&mut inputs, true), true);
                fed_this_run += batch.len() as u64;
                detector.refresh_fleet(&reader.catalog, &reader.inventory);
                detector.feed(&batch);
                detector.settle_all();
                for e in detector.drain_events(&reader.catalog) {
                    outlet.emit(&e, &reader.catalog, detector.fleet())?;
                }
            }
            break;
        }
        if exit_idle.is_some_and(|d| last_activity.elapsed() >= d) {
            break;
        }
        if !read_any {
            std::thread::sleep(Duration::from_millis(a.poll));
        }
    }
    if let Some(dir) = &a.state {
        let started = Instant::now();
        let bytes =
            checkpoint(dir, &config, &reader, &detector, &outlet, &inputs, &retired, fed_newest)?;
        errln!(
            "hopscope watch: checkpoint {} written ({bytes} bytes in {:.0?})",
            dir.join(watch_state::FILE).display(),
            started.elapsed()
        );
    }
    reader.report_problems(true);
    let s = detector.stats();
    errln!(
        "hopscope watch: {} events, {} hops, {} suspicious; {} alert event(s) written{}{}",
        s.events,
        s.hops,
        s.suspicious_hops,
        outlet.emitted,
        if outlet.skipped > 0 {
            format!(", {} already written before", outlet.skipped)
        } else {
            String::new()
        },
        if fed_this_run < s.events {
            format!("; {fed_this_run} events fed by this run, the rest before its checkpoint")
        } else {
            String::new()
        }
    );
    Ok(())
}

/// Write the checkpoint: taken at the end of a round, after the round's alert events were
/// written and flushed, so every event it covers is in the output.
#[allow(clippy::too_many_arguments)]
fn checkpoint(
    dir: &Path,
    config: &DetectConfig,
    reader: &Reader,
    detector: &Detector,
    outlet: &Outlet,
    inputs: &[Input],
    retired: &HashSet<(u64, u64)>,
    fed_newest: i64,
) -> Result<u64> {
    let mut retired: Vec<(u64, u64)> = retired.iter().chain(&reader.retired).copied().collect();
    retired.sort_unstable();
    retired.dedup();
    let mut over_budget: Vec<&String> = outlet.over_budget.iter().collect();
    over_budget.sort();
    let cp = CheckpointRef {
        config,
        catalog: &reader.catalog,
        detector,
        inputs: inputs.iter().map(input_state).collect(),
        retired,
        fed_newest,
        seq: outlet.seq,
        per_day: &outlet.per_day,
        over_budget,
        read_logs: reader.read_logs.iter().collect(),
        recent_times: reader.recent.iter().copied().collect(),
    };
    watch_state::save(dir, &cp)
}

fn input_state(inp: &Input) -> InputState {
    let (stage, format, lines, held) = match (&inp.source, inp.stage) {
        (Some(src), Stage::Following) => ("following", Some(src.format()), src.lines(), src.held()),
        (None, Stage::Unknown) if inp.offset > 0 && inp.closed.is_some() => {
            let (f, lines) = inp.closed.unwrap_or((Format::Jsonl, 0));
            ("following", Some(f), lines, 0)
        }
        (_, Stage::Read) => ("read", None, 0, 0),
        (_, Stage::Unrecognised) => ("unrecognised", None, 0, 0),
        _ => ("unknown", None, 0, 0),
    };
    InputState {
        path: inp.path.clone(),
        identity: inp.identity,
        offset: if inp.path.is_some() { inp.offset } else { 0 },
        stage: stage.to_string(),
        format: format.map(|f| f.name().to_string()),
        inferred_year: inp.inferred_year,
        lines,
        held,
        queue: inp.queue.clone(),
        newest: inp.newest,
        from_dir: inp.from_dir,
    }
}

/// Continue from a checkpoint: the catalog, the detector and the outlet's counters as they
/// were; each input found again continues from its offset. Files are matched by identity
/// first (a log renamed while watch was stopped, found in a watched directory, continues
/// where it stood), then by path (another file at the path: a rotation while stopped, read
/// from the start).
fn restore(
    cp: Checkpoint,
    reader: &mut Reader,
    detector: &mut Detector,
    outlet: &mut Outlet,
    inputs: &mut [Input],
    retired: &mut HashSet<(u64, u64)>,
) {
    reader.catalog = cp.catalog;
    *detector = cp.detector;
    detector.restore_fleet(&reader.catalog, &reader.inventory);
    detector.follow_alerts();
    outlet.seq = outlet.seq.max(cp.seq);
    outlet.per_day = cp.per_day;
    outlet.over_budget = cp.over_budget.into_iter().collect();
    retired.extend(cp.retired);
    reader.read_logs = cp.read_logs.into_iter().collect();
    reader.recent = cp.recent_times.into_iter().collect();
    let mut saved: Vec<Option<InputState>> = cp.inputs.into_iter().map(Some).collect();
    let mut take = |pred: &dyn Fn(&InputState) -> bool| {
        saved.iter_mut().find(|s| s.as_ref().is_some_and(pred)).and_then(Option::take)
    };
    let identity = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    // the same files, by identity
    let mut matched = vec![false; inputs.len()];
    for (i, inp) in inputs.iter_mut().enumerate() {
        let Some(id) = inp.path.as_deref().and_then(identity) else { continue };
        if let Some(s) = take(&|s: &InputState| s.identity == Some(id) && s.path.is_some()) {
            if s.path != inp.path {
                errln!(
                    "hopscope watch: {}: renamed while watch was stopped (was {}); continuing it",
                    inp.display,
                    s.path.as_deref().map_or(String::new(), |p| p.display().to_string())
                );
            }
            reader.resume(inp, s, "resumed from checkpoint");
            matched[i] = true;
        }
    }
    // other files at known paths, standard input, rotated copies already read
    for (i, inp) in inputs.iter_mut().enumerate() {
        if matched[i] {
            continue;
        }
        let Some(path) = inp.path.clone() else {
            // standard input: what it sent before is gone; its parsed, unfed events are kept
            if let Some(s) = take(&|s: &InputState| s.path.is_none()) {
                inp.queue = s.queue;
                inp.newest = s.newest;
            }
            continue;
        };
        let id = identity(&path);
        if let Some(s) = take(&|s: &InputState| s.path.as_deref() == Some(path.as_path())) {
            // its events parsed before the checkpoint still go to the detector
            inp.queue = s.queue;
            inp.newest = s.newest;
            inp.from_dir |= s.from_dir;
            if s.stage == "following" && s.offset > 0 {
                let what = if id.is_some() {
                    "another file is at this path (rotated while watch was stopped); reading it from the start"
                } else {
                    "gone; waiting for it"
                };
                errln!(
                    "hopscope watch: {}: {what}; the old file's rest after byte {} was not found in a watched directory and is not read",
                    inp.display, s.offset
                );
            }
            if let Some(id) = s.identity {
                retired.insert(id);
            }
        } else if id.is_some_and(|id| retired.contains(&id)) {
            errln!(
                "hopscope watch: {}: a rotated copy of a log already read; not read again",
                inp.display
            );
            inp.stage = Stage::Read;
            inp.identity = id;
        }
    }
    for s in saved.into_iter().flatten() {
        if !s.queue.is_empty() {
            errln!(
                "hopscope watch: {}: in the checkpoint but not an input now; its {} events read and not yet fed are dropped",
                s.path.as_deref().map_or("-".to_string(), |p| p.display().to_string()),
                s.queue.len()
            );
        }
    }
}

/// Events every input has moved past, merged in (time, source, position) order: an input
/// with more lines waiting holds back everything at or after the newest time it has read
/// (its next lines may be earlier than another input's); an input at its end holds nothing
/// back. `all`: the end of the run.
fn release(inputs: &mut [Input], all: bool) -> EventTable {
    let watermark = if all {
        i64::MAX
    } else {
        inputs.iter().filter(|i| i.more).map(|i| i.newest).min().unwrap_or(i64::MAX)
    };
    let mut out = EventTable::default();
    for inp in inputs.iter_mut() {
        if inp.queue.is_empty() {
            continue;
        }
        inp.queue.sort_by_time();
        let n = inp.queue.time.partition_point(|&t| t < watermark || watermark == i64::MAX);
        out.extend_from_range(&inp.queue, 0..n);
        let mut rest = EventTable::default();
        rest.extend_from_range(&inp.queue, n..inp.queue.len());
        inp.queue = rest;
    }
    out.sort_by_time();
    out
}

/// Add files that appeared in the watched directories (sorted, hidden and context files
/// skipped, as ingest walks).
fn scan_dirs(
    reader: &mut Reader,
    dirs: &[PathBuf],
    known: &mut HashSet<PathBuf>,
    inputs: &mut Vec<Input>,
    retired: &mut HashSet<(u64, u64)>,
    skipped: &mut BTreeMap<PathBuf, String>,
    startup: bool,
) -> Result<()> {
    if dirs.is_empty() {
        return Ok(());
    }
    let (found, cannot) = walk_dirs(dirs);
    // entries that cannot be followed: said once (again if the reason changes), looked at
    // again every walk; a path that becomes a regular file is found as a new file
    let now: BTreeMap<PathBuf, String> = cannot.into_iter().collect();
    for (path, why) in &now {
        if skipped.get(path) != Some(why) {
            errln!(
                "hopscope watch: {}: {why}; skipped, looked at again every walk",
                path.display()
            );
        }
    }
    *skipped = now;
    let identity = |f: &Path| std::fs::metadata(f).ok().map(|m| (m.dev(), m.ino()));
    // files rotated away that no longer exist need not be remembered
    let present: HashSet<(u64, u64)> = found.iter().filter_map(|f| identity(f)).collect();
    retired.retain(|id| present.contains(id));
    for f in found {
        if !known.insert(f.clone()) {
            continue;
        }
        let display = f.display().to_string();
        let mut inp = Input::new(Some(f.clone()), display.clone());
        inp.from_dir = true;
        if !startup {
            // A file appearing later is a new log, unless it is one already read under
            // another name (`auth.log` renamed `auth.log.1`: the same device and inode) or a
            // copy of one (`auth.log.1` of copytruncate, `auth.log.2.gz`: the same first
            // bytes, decompressed); a copy holding more than was read is read from there.
            // The name says nothing: a new `host.jsonl.gz` is a new log.
            let id = identity(&f);
            let renamed = id.is_some_and(|id| {
                retired.contains(&id) || inputs.iter().any(|i| i.identity == Some(id))
            });
            if renamed {
                errln!("hopscope watch: {display}: a rotated copy of a log already read (the same file, renamed); not read again");
                continue;
            }
            match reader.copy_of(&f, inputs) {
                Copy::New => {}
                Copy::Later => {
                    known.remove(&f);
                    continue;
                }
                Copy::Read(of, n) => {
                    errln!("hopscope watch: {display}: a copy of {of}, already read (the same first {n} bytes); not read again");
                    continue;
                }
                Copy::Rest(log) => {
                    let saved = InputState {
                        path: Some(f.clone()),
                        identity: id,
                        offset: log.offset.unwrap_or(0),
                        stage: "following".into(),
                        format: log.format.clone(),
                        inferred_year: log.inferred_year,
                        lines: log.lines,
                        held: 0,
                        queue: EventTable::default(),
                        newest: i64::MIN,
                        from_dir: true,
                    };
                    let label = format!(
                        "a copy of {}, made before it was truncated, holds more than was read: continued",
                        log.display
                    );
                    reader.resume(&mut inp, saved, &label);
                }
            }
        }
        inputs.push(inp);
    }
    Ok(())
}

/// The regular files under the watched directories (sorted, hidden files and context files
/// left out, as ingest walks; links followed), and the entries that cannot be followed with
/// why: a dangling link, a link loop, a FIFO, a socket, a device, a directory that cannot be
/// read. Never fails: one bad entry must not stop or blind a live monitor.
fn walk_dirs(dirs: &[PathBuf]) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let hidden = |p: &Path| {
        p.file_name().map(|n| n.to_string_lossy()).is_some_and(|n| {
            n.starts_with('.') || hopscope_ingest::CONTEXT_FILES.contains(&n.as_ref())
        })
    };
    let (mut found, mut cannot) = (Vec::new(), Vec::new());
    for dir in dirs {
        for entry in walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() => {
                    if !hidden(e.path()) {
                        found.push(e.into_path());
                    }
                }
                Ok(e) if e.file_type().is_dir() => {}
                Ok(e) => {
                    if !hidden(e.path()) {
                        let why = e.metadata().map_or("not a regular file", |m| file_kind(&m));
                        cannot.push((e.into_path(), format!("{why}, not a log file")));
                    }
                }
                Err(err) => {
                    let path = err.path().unwrap_or(dir).to_path_buf();
                    if hidden(&path) {
                        continue;
                    }
                    let why = match (err.loop_ancestor(), err.io_error()) {
                        (Some(a), _) => {
                            format!("a symbolic link loop (leads back to {})", a.display())
                        }
                        (None, Some(io)) => why_path(&path, io),
                        (None, None) => err.to_string(),
                    };
                    cannot.push((path, why));
                }
            }
        }
    }
    (found, cannot)
}

/// Forget inputs found in a directory whose file is gone and fully read: the file table stays
/// as large as the directories are.
fn forget_gone(
    reader: &mut Reader,
    inputs: &mut Vec<Input>,
    known: &mut HashSet<PathBuf>,
    retired: &mut HashSet<(u64, u64)>,
) {
    inputs.retain(|i| {
        let gone = i.from_dir
            && i.path.as_deref().is_some_and(|p| !p.exists())
            && i.queue.is_empty()
            && i.source.as_ref().is_none_or(|s| s.held() == 0);
        if gone {
            reader.remember(i);
            if let Some(id) = i.identity {
                retired.insert(id);
            }
            if let Some(p) = &i.path {
                known.remove(p);
            }
        }
        !gone
    });
}

fn spawn_stdin() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(buf[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

fn parse_wait(s: &str) -> Result<Duration, String> {
    parse_duration(s).map(|us| Duration::from_micros(us.max(0) as u64))
}

/// A duration as `parse_duration` reads it, or milliseconds (`250ms`).
fn parse_interval(s: &str) -> Result<Duration, String> {
    match s.strip_suffix("ms").map(str::parse::<u64>) {
        Some(Ok(ms)) => Ok(Duration::from_millis(ms)),
        Some(Err(_)) => Err(format!("not a number of milliseconds: {s:?}")),
        None => parse_wait(s),
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
