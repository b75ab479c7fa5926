//! The ingest pipeline: plan units of work (chunks of big line files, whole files
//! otherwise), parse them on worker threads, and absorb the results on one thread **in
//! input order**, so ids, evidence and output never depend on thread timing.
//!
//! Memory is bounded by the units in flight (a few chunks per worker), not by the input.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

use hopscope_model::{Catalog, EventTable, Inventory, Position, Time};
use sha2::{Digest, Sha256};

use crate::batch::{Absorber, Batch, BatchBuilder, Dictionary, RawLabel};
use crate::detect::detect_named;
use crate::format::{Format, LineKind, LineParser, ParseContext};
use crate::input::{self, io_message, Compression, InputKind, StreamEnd, Tee, MAX_LINE};
use crate::problems::{LineError, Problem, ProblemKind, ProblemTally};

/// How to ingest.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    /// Force a format; `None` detects it per file from content.
    pub format: Option<Format>,
    /// LANL time 0.
    pub lanl_start: Time,
    /// Year for syslog lines (none: inferred).
    pub year: Option<i32>,
    /// Zone for syslog lines (none: UTC, noted in the summary).
    pub tz: Option<jiff::tz::TimeZone>,
    /// Any problem stops the run with an error.
    pub strict: bool,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// Size of the pieces big uncompressed line files are cut into. 8 MiB: small enough that
    /// a chunk read by a worker is still in cache when it is hashed and parsed (32 MiB took
    /// ~9% more CPU on LANL, and 160 MiB more memory), big enough that per-chunk work is noise.
    pub chunk_bytes: u64,
    /// Events per batch when a file is read as a stream.
    pub batch_events: usize,
    /// Bytes of a big file between two [`SinkItem::Cut`]s (a multiple of `chunk_bytes`
    /// keeps them on chunk boundaries): what a batch of a chunked file is for the sink,
    /// whatever the chunk size.
    pub cut_bytes: u64,
}

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            format: None,
            lanl_start: Time(0),
            year: None,
            tz: None,
            strict: false,
            threads: 0,
            chunk_bytes: 8 << 20,
            batch_events: 1 << 18,
            // the chunk size until chunks became smaller: a case's runs end where they did
            cut_bytes: 32 << 20,
        }
    }
}

/// What became of one input file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceReport {
    pub path: String,
    /// Id of this source in the catalog (evidence references use it).
    pub source_id: u32,
    pub format: Option<Format>,
    pub compressed: Option<&'static str>,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub lines: u64,
    pub events: u64,
    pub labels: u64,
    pub ignored: u64,
    pub problems: ProblemTally,
    pub first_time: Option<Time>,
    pub last_time: Option<Time>,
    pub notes: Vec<String>,
}

/// What a run produced, besides the events handed to the sink.
#[derive(Clone, Debug, Default)]
pub struct IngestSummary {
    pub sources: Vec<SourceReport>,
    pub problems: ProblemTally,
    pub events: u64,
    pub labels: u64,
}

/// Output of the pipeline, in input order, with global ids.
// Moved once per batch of ~100k events: boxing the table would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum SinkItem {
    /// Events of one batch, sorted by time.
    Events(EventTable),
    Labels(Vec<RawLabel>),
    /// The events since the last `Cut` are one batch of input: one piece of
    /// [`IngestOptions::cut_bytes`] of a big file (read as several chunks), or one batch of a
    /// file read as a stream. A sink that groups events (the case writer's runs) ends a group
    /// only here, so that its groups do not depend on how the input was cut for the workers.
    Cut,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0} (--strict stops at the first bad line)")]
    Strict(Problem),
    #[error("{0}")]
    Sink(String),
}

struct Plan {
    path: PathBuf,
    display: String,
    format: Option<Format>,
    compression: Compression,
    size: u64,
    ctx: ParseContext,
    /// Set when the input is a stream (a pipe, a device): opened once while planning, read
    /// once by one unit.
    stream: Option<StreamPlan>,
}

/// A stream's single reader, taken by the unit that reads it, and what it held once read.
struct StreamPlan {
    reader: Mutex<Option<Tee>>,
    end: Mutex<Option<StreamEnd>>,
}

impl Plan {
    /// The input's decompressed text from its first byte: the file opened anew, or the
    /// stream's one reader (which only one unit ever asks for).
    fn open(&self) -> std::io::Result<Box<dyn Read + Send>> {
        match &self.stream {
            None => input::open(&self.path).map(|(r, _)| r),
            Some(s) => {
                let tee = s.reader.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let tee = tee.ok_or_else(|| std::io::Error::other("stream already read"))?;
                input::decode(Box::new(tee)).map(|(r, _)| r)
            }
        }
    }

    /// [`Plan::open`] for binary formats: decompressed, every byte kept.
    fn open_binary(&self) -> std::io::Result<Box<dyn Read + Send>> {
        match &self.stream {
            None => {
                input::decode_binary(Box::new(std::fs::File::open(&self.path)?)).map(|(r, _)| r)
            }
            Some(s) => {
                let tee = s.reader.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let tee = tee.ok_or_else(|| std::io::Error::other("stream already read"))?;
                input::decode_binary(Box::new(tee)).map(|(r, _)| r)
            }
        }
    }

    /// For a stream: read what is left of it and keep its size and hash for the report.
    fn finish_stream(&self) {
        if let Some(s) = &self.stream {
            let tee = s.reader.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(tee) = tee {
                *s.end.lock().unwrap_or_else(|e| e.into_inner()) = Some(tee.finish());
            }
        }
    }
}

enum Unit {
    Hash(usize),
    Whole(usize),
    Chunk { file: usize, start: u64, end: u64 },
}

impl Unit {
    fn file(&self) -> usize {
        match self {
            Unit::Hash(f) | Unit::Whole(f) | Unit::Chunk { file: f, .. } => *f,
        }
    }
}

// Moved once per batch: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Payload {
    Batch(Batch),
    Hash(Result<String, String>),
}

struct Msg {
    unit: usize,
    seq: u32,
    last: bool,
    payload: Payload,
}

/// Ingest `files` (already discovered) into `catalog`, handing events to `sink` in input
/// order. `progress` is called with bytes completed.
pub fn run(
    files: &[PathBuf],
    opts: &IngestOptions,
    catalog: &mut Catalog,
    inventory: &Inventory,
    sink: &mut dyn FnMut(SinkItem) -> Result<(), String>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<IngestSummary, IngestError> {
    let mut summary = IngestSummary::default();
    let mut plans = Vec::new();
    // streams already opened, by device and inode: a pipe named twice is read once
    let mut streams: BTreeMap<(u64, u64), String> = BTreeMap::new();
    for path in files {
        use std::os::unix::fs::MetadataExt;
        let display = path.display().to_string();
        let source_id = catalog.sources.intern(&display);
        let mut report = SourceReport { path: display.clone(), source_id, ..Default::default() };
        let meta = std::fs::metadata(path);
        // regular or not is told by metadata, whatever the name (`/dev/stdin`, `/dev/fd/63`)
        let kind = meta.as_ref().map_or(InputKind::File, InputKind::of);
        let size = match (&meta, kind) {
            (Ok(m), InputKind::File) => m.len(),
            _ => 0,
        };
        report.bytes = size;
        if let (Ok(m), InputKind::Stream(what)) = (&meta, kind) {
            if let Some(first) = streams.get(&(m.dev(), m.ino())) {
                report.problems.add(Problem {
                    file: display.clone(),
                    position: Position::Line(1),
                    kind: ProblemKind::Unreadable,
                    message: format!("the same {what} as {first}, which is read in its place: a {what} can be read only once"),
                });
                summary.sources.push(report);
                plans.push(None);
                continue;
            }
            streams.insert((m.dev(), m.ino()), display.clone());
        }
        let opened = match kind {
            InputKind::File => input::head(path, 1 << 16).map(|(h, c)| (h, c, None)),
            InputKind::Stream(_) => input::open_stream(path, 1 << 16).map(|s| {
                let plan = StreamPlan { reader: Mutex::new(Some(s.raw)), end: Mutex::new(None) };
                (s.head, s.compression, Some(plan))
            }),
        };
        let (head, compression, stream) = match opened {
            Ok(h) => h,
            Err(e) => {
                report.problems.add(Problem {
                    file: display.clone(),
                    position: Position::Line(1),
                    kind: ProblemKind::Unreadable,
                    message: io_message(&e),
                });
                summary.sources.push(report);
                plans.push(None);
                continue;
            }
        };
        report.compressed = match compression {
            Compression::Gzip => Some("gzip"),
            Compression::Zstd => Some("zstd"),
            Compression::None => None,
        };
        let format = opts.format.or_else(|| detect_named(&display, &head));
        report.format = format;
        if format.is_none() {
            report.problems.add(Problem {
                file: display.clone(),
                position: Position::Line(1),
                kind: ProblemKind::UnrecognisedFormat,
                message: format!(
                    "not a format hopscope reads ({}); give --format to force one",
                    Format::ALL.map(Format::name).join(", ")
                ),
            });
        }
        let header = input::next_line(&mut &head[..])
            .map(|l| String::from_utf8_lossy(l).trim_end().to_string());
        let ctx = ParseContext {
            path: display.clone(),
            lanl_start: opts.lanl_start,
            year: opts.year,
            inferred_year: None,
            tz: opts.tz.clone(),
            // a stream's mtime is when it was last written to, not when its lines were
            mtime: if stream.is_some() { None } else { input::mtime(path) },
            header,
        };
        summary.sources.push(report);
        plans.push(format.map(|format| Plan {
            path: path.clone(),
            display,
            format: Some(format),
            compression,
            size,
            ctx,
            stream,
        }));
    }

    // Every planned file gets either chunk units, which hash the file as they read it, or a
    // hash unit and one whole-file unit.
    let mut units = Vec::new();
    let mut hashes: Vec<Option<ChunkHash>> = plans.iter().map(|_| None).collect();
    for (i, plan) in plans.iter().enumerate() {
        let Some(plan) = plan else { continue };
        let format = plan.format.expect("planned files have a format");
        if plan.stream.is_some() {
            // a stream is read once, start to end, by one unit that also hashes it
            units.push(Unit::Whole(i));
        } else if format.chunkable()
            && plan.compression == Compression::None
            && plan.size > opts.chunk_bytes
        {
            hashes[i] = Some(ChunkHash::default());
            let mut start = 0;
            while start < plan.size {
                let end = (start + opts.chunk_bytes).min(plan.size);
                units.push(Unit::Chunk { file: i, start, end });
                start = end;
            }
        } else {
            units.push(Unit::Hash(i));
            units.push(Unit::Whole(i));
        }
    }

    let threads =
        if opts.threads == 0 { rayon::current_num_threads().max(1) } else { opts.threads };
    let ahead = threads * 2;
    let next = AtomicUsize::new(0);
    let done = Mutex::new(0usize);
    let cv = Condvar::new();
    let abort = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Msg>(ahead * 2);

    let result = std::thread::scope(|s| {
        for worker in 0..threads {
            let tx = tx.clone();
            let (units, plans, hashes, next, done, cv, abort) =
                (&units, &plans, &hashes, &next, &done, &cv, &abort);
            // the worker's dictionary lives as long as the worker
            let mut dict = Some(Dictionary::default());
            let mut buf = Vec::new();
            let mut line_bytes = 0;
            s.spawn(move || loop {
                let idx = next.fetch_add(1, Ordering::SeqCst);
                if idx >= units.len() || abort.load(Ordering::SeqCst) {
                    break;
                }
                {
                    let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
                    while idx >= *d + ahead && !abort.load(Ordering::SeqCst) {
                        d = cv.wait(d).unwrap_or_else(|e| e.into_inner());
                    }
                }
                let unit = &units[idx];
                let plan =
                    plans[unit.file()].as_ref().expect("units are only made for planned files");
                let hash = hashes[unit.file()].as_ref();
                let mut w = Worker {
                    id: worker as u32,
                    dict: &mut dict,
                    buf: &mut buf,
                    line_bytes,
                    hash,
                    abort,
                };
                let ok = work(idx, unit, plan, opts, &tx, abort, &mut w);
                line_bytes = w.line_bytes;
                if !ok {
                    break;
                }
            });
        }
        drop(tx);

        // The absorbing side: strictly in unit order.
        let mut pending: BTreeMap<(usize, u32), Msg> = BTreeMap::new();
        let mut cursor = (0usize, 0u32);
        let mut lines_before: Vec<u64> = vec![0; plans.len()];
        let mut absorber = Absorber::new();
        let finish = |abort: &AtomicBool| {
            abort.store(true, Ordering::SeqCst);
            cv.notify_all();
        };
        for msg in rx.iter() {
            pending.insert((msg.unit, msg.seq), msg);
            while let Some(msg) = pending.remove(&cursor) {
                let file = units[msg.unit].file();
                let plan = plans[file].as_ref().expect("planned");
                let report = &mut summary.sources[file];
                match msg.payload {
                    Payload::Hash(Ok(h)) => report.sha256 = Some(h),
                    Payload::Hash(Err(e)) => report.problems.add(Problem {
                        file: plan.display.clone(),
                        position: Position::Line(1),
                        kind: ProblemKind::Unreadable,
                        message: e,
                    }),
                    Payload::Batch(mut batch) => {
                        let offset = lines_before[file];
                        lines_before[file] += batch.lines;
                        report.lines += batch.lines;
                        report.ignored += batch.ignored;
                        for n in batch.notes.drain(..) {
                            if !report.notes.contains(&n) {
                                report.notes.push(n);
                            }
                        }
                        for (pos, err) in batch.problems.drain(..) {
                            let position = match pos {
                                Position::Line(n) => Position::Line(n + offset),
                                p => p,
                            };
                            let p = Problem {
                                file: plan.display.clone(),
                                position,
                                kind: err.kind,
                                message: err.message,
                            };
                            if opts.strict {
                                finish(&abort);
                                return Err(IngestError::Strict(p));
                            }
                            report.problems.add(p);
                        }
                        let (events, labels) = absorber.absorb(
                            &mut batch,
                            catalog,
                            inventory,
                            report.source_id,
                            offset,
                        );
                        report.events += events.len() as u64;
                        report.labels += labels.len() as u64;
                        if let (Some(&first), Some(&last)) =
                            (events.time.first(), events.time.last())
                        {
                            report.first_time =
                                Some(report.first_time.map_or(Time(first), |t| t.min(Time(first))));
                            report.last_time =
                                Some(report.last_time.map_or(Time(last), |t| t.max(Time(last))));
                        }
                        if !events.is_empty() {
                            if let Err(e) = sink(SinkItem::Events(events)) {
                                finish(&abort);
                                return Err(IngestError::Sink(e));
                            }
                        }
                        if !labels.is_empty() {
                            if let Err(e) = sink(SinkItem::Labels(labels)) {
                                finish(&abort);
                                return Err(IngestError::Sink(e));
                            }
                        }
                    }
                }
                // a cut after each batch of a stream, and after the last chunk of each piece of
                // `cut_bytes` of a chunked file (or of the file)
                let cut = match &units[msg.unit] {
                    Unit::Hash(_) => false,
                    Unit::Whole(_) => true,
                    Unit::Chunk { start, .. } => {
                        msg.last
                            && match units.get(msg.unit + 1) {
                                Some(Unit::Chunk { file: f, start: next, .. }) if *f == file => {
                                    next / opts.cut_bytes.max(1) != start / opts.cut_bytes.max(1)
                                }
                                _ => true,
                            }
                    }
                };
                if cut {
                    if let Err(e) = sink(SinkItem::Cut) {
                        finish(&abort);
                        return Err(IngestError::Sink(e));
                    }
                }
                let mut read = 0;
                if let (true, Some(stream)) = (msg.last, &plan.stream) {
                    let end = stream.end.lock().unwrap_or_else(|e| e.into_inner()).take();
                    if let Some(end) = end {
                        read = end.bytes;
                        report.bytes = end.bytes;
                        match end.sha256 {
                            Ok(h) => report.sha256 = Some(h),
                            Err(e) => {
                                let p = Problem {
                                    file: plan.display.clone(),
                                    position: Position::Line(report.lines + 1),
                                    kind: ProblemKind::Unreadable,
                                    message: format!("after line {}: {e}", report.lines),
                                };
                                if opts.strict {
                                    finish(&abort);
                                    return Err(IngestError::Strict(p));
                                }
                                report.problems.add(p);
                            }
                        }
                    }
                }
                if msg.last {
                    progress(match &units[msg.unit] {
                        Unit::Chunk { start, end, .. } => end - start,
                        Unit::Whole(_) => plan.size.max(read),
                        Unit::Hash(_) => 0,
                    });
                    cursor = (cursor.0 + 1, 0);
                    *done.lock().unwrap_or_else(|e| e.into_inner()) = cursor.0;
                    cv.notify_all();
                } else {
                    cursor.1 += 1;
                }
            }
        }
        Ok(())
    });
    result?;

    // the hashes of chunked files, complete now that every chunk has been read
    for (file, hash) in hashes.into_iter().enumerate() {
        let Some(hash) = hash else { continue };
        let turn = hash.turn.into_inner().unwrap_or_else(|e| e.into_inner());
        let report = &mut summary.sources[file];
        match (turn.failed, turn.hasher) {
            (Some(message), _) => report.problems.add(Problem {
                file: report.path.clone(),
                position: Position::Line(1),
                kind: ProblemKind::Unreadable,
                message,
            }),
            (None, Some(h)) => report.sha256 = Some(hex(&h.finalize())),
            (None, None) => {}
        }
    }

    for r in &summary.sources {
        summary.problems.merge(&r.problems);
        summary.events += r.events;
        summary.labels += r.labels;
    }
    Ok(summary)
}

/// The SHA-256 of a file cut into chunks, computed by the workers from the chunks they read,
/// so that the file is read once. SHA-256 is sequential: each worker, once it has read its
/// chunk, waits for the hash to reach the chunk's start, hashes the chunk and moves the hash
/// on. Chunks are taken in file order, so the wait is for a chunk already being read (and
/// hashed first thing after), never for one not yet taken; an abort ends every wait.
struct ChunkHash {
    turn: Mutex<HashTurn>,
    moved: Condvar,
}

struct HashTurn {
    /// Bytes hashed so far: the start of the chunk whose turn it is.
    at: u64,
    /// The hash so far; `None` after a chunk could not be read.
    hasher: Option<Sha256>,
    /// Why a chunk could not be read, which leaves the file without a hash.
    failed: Option<String>,
}

impl Default for ChunkHash {
    fn default() -> ChunkHash {
        ChunkHash {
            turn: Mutex::new(HashTurn { at: 0, hasher: Some(Sha256::new()), failed: None }),
            moved: Condvar::new(),
        }
    }
}

impl ChunkHash {
    /// Add the chunk `[start, end)` of the file to the hash once the bytes before it are:
    /// `bytes` are the chunk's, or why they could not be read. Returns early on an abort.
    fn add(&self, start: u64, end: u64, bytes: Result<&[u8], &str>, abort: &AtomicBool) {
        let mut turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        while turn.at != start {
            if abort.load(Ordering::SeqCst) {
                return;
            }
            // a timeout, not only the notification: an abort does not notify this condvar
            turn = self
                .moved
                .wait_timeout(turn, std::time::Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        match bytes {
            Ok(b) if turn.failed.is_none() => {
                if let Some(h) = turn.hasher.as_mut() {
                    h.update(b);
                }
            }
            Ok(_) => {}
            Err(e) => {
                turn.hasher = None;
                turn.failed.get_or_insert_with(|| e.to_string());
            }
        }
        turn.at = end;
        self.moved.notify_all();
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A worker thread's identity and its dictionary, which it carries from unit to unit.
struct Worker<'a> {
    id: u32,
    dict: &'a mut Option<Dictionary>,
    /// The chunk buffer, kept from chunk to chunk (its pages stay mapped).
    buf: &'a mut Vec<u8>,
    /// Bytes per line in the last chunk this worker parsed (0: none yet), to size the next
    /// chunk's columns.
    line_bytes: usize,
    /// The hash the chunks of the current file are added to (chunked files only).
    hash: Option<&'a ChunkHash>,
    abort: &'a AtomicBool,
}

impl Worker<'_> {
    fn builder(&mut self, format: Format) -> BatchBuilder {
        BatchBuilder::with_dictionary(
            format.source_format(),
            self.dict.take().unwrap_or_default(),
            self.id,
        )
    }
    /// Finish a batch, keeping the dictionary for the next one.
    fn finish(&mut self, b: BatchBuilder) -> Batch {
        let (batch, dict) = b.finish_keep();
        *self.dict = Some(dict);
        batch
    }
}

/// Do one unit, sending its output. False when the absorbing side has gone away.
#[allow(clippy::too_many_arguments)]
fn work(
    idx: usize,
    unit: &Unit,
    plan: &Plan,
    opts: &IngestOptions,
    tx: &mpsc::SyncSender<Msg>,
    abort: &AtomicBool,
    w: &mut Worker<'_>,
) -> bool {
    let format = plan.format.expect("planned");
    match unit {
        Unit::Hash(_) => {
            let h = hash_file(&plan.path).map_err(|e| io_message(&e));
            tx.send(Msg { unit: idx, seq: 0, last: true, payload: Payload::Hash(h) }).is_ok()
        }
        Unit::Chunk { start, end, .. } => {
            let batch = parse_chunk(plan, format, *start, *end, w);
            tx.send(Msg { unit: idx, seq: 0, last: true, payload: Payload::Batch(batch) }).is_ok()
        }
        Unit::Whole(_) => {
            let mut seq = 0u32;
            let mut send = |batch: Batch, last: bool| {
                if last {
                    // a stream's size and hash are known before its last batch is absorbed
                    plan.finish_stream();
                }
                let ok =
                    tx.send(Msg { unit: idx, seq, last, payload: Payload::Batch(batch) }).is_ok();
                seq += 1;
                ok
            };
            if format.binary_records() {
                return parse_records(plan, format, opts, &mut send, w);
            }
            if format.whole_file() {
                if plan.stream.is_some() {
                    return parse_spooled(plan, format, opts, &mut send, w);
                }
                return crate::windows::parse_file(
                    &plan.path,
                    format,
                    &plan.ctx,
                    opts.batch_events,
                    &mut send,
                );
            }
            parse_stream(plan, format, opts.batch_events, abort, &mut send, w)
        }
    }
}

/// A Windows file that arrives as a stream (EVTX and zip archives need to seek; JSON is joined
/// per file): copied once to a temporary file, read from there, and the copy removed.
fn parse_spooled(
    plan: &Plan,
    format: Format,
    opts: &IngestOptions,
    send: &mut dyn FnMut(Batch, bool) -> bool,
    w: &mut Worker<'_>,
) -> bool {
    let spool = || -> std::io::Result<tempfile::NamedTempFile> {
        let stream = plan.stream.as_ref().expect("a stream plan");
        let tee = stream.reader.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let mut tee = tee.ok_or_else(|| std::io::Error::other("stream already read"))?;
        let mut tmp = tempfile::Builder::new().prefix("hopscope-stream-").tempfile()?;
        std::io::copy(&mut tee, tmp.as_file_mut())?;
        Ok(tmp)
    };
    match spool() {
        Ok(tmp) => {
            crate::windows::parse_file(tmp.path(), format, &plan.ctx, opts.batch_events, send)
        }
        Err(e) => {
            let mut b = w.builder(format);
            b.problem(
                Position::Line(1),
                LineError::new(
                    ProblemKind::Unreadable,
                    format!("copying the stream to a temporary file: {}", io_message(&e)),
                ),
            );
            send(w.finish(b), true)
        }
    }
}

/// A file of binary login records (wtmp, btmp), read in order from its decompressed bytes.
fn parse_records(
    plan: &Plan,
    format: Format,
    opts: &IngestOptions,
    send: &mut dyn FnMut(Batch, bool) -> bool,
    w: &mut Worker<'_>,
) -> bool {
    match plan.open_binary() {
        Ok(r) => {
            // the size tells the layout apart only when it is the records' own
            let size = (plan.stream.is_none() && plan.compression == Compression::None)
                .then_some(plan.size);
            crate::linux::utmp::parse(
                r,
                format == Format::Btmp,
                size,
                &plan.ctx,
                opts.batch_events.max(1),
                send,
            )
        }
        Err(e) => {
            let mut b = w.builder(format);
            b.problem(Position::Record(1), LineError::new(ProblemKind::Unreadable, io_message(&e)));
            send(w.finish(b), true)
        }
    }
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn new_parser(plan: &Plan, format: Format, b: &mut BatchBuilder) -> Option<Box<dyn LineParser>> {
    match format.line_parser(&plan.ctx) {
        Ok(p) => Some(p),
        Err(e) => {
            b.problem(Position::Line(1), LineError::new(ProblemKind::UnrecognisedFormat, e));
            None
        }
    }
}

/// Feed one raw line (without `\n`) to the parser, counting and locating what goes wrong.
pub(crate) fn handle_line(
    raw: &[u8],
    overlong: bool,
    line_no: u64,
    parser: &mut dyn LineParser,
    b: &mut BatchBuilder,
) {
    b.count_line();
    if overlong || raw.len() > MAX_LINE {
        b.problem(
            Position::Line(line_no),
            LineError::new(ProblemKind::OverlongLine, format!("line longer than {MAX_LINE} bytes")),
        );
        return;
    }
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let line = match std::str::from_utf8(raw) {
        Ok(l) => l,
        Err(e) => {
            b.problem(
                Position::Line(line_no),
                LineError::new(
                    ProblemKind::InvalidUtf8,
                    format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                ),
            );
            return;
        }
    };
    parse_text_line(line, line_no, parser, b);
}

/// [`handle_line`] for a line already known to be UTF-8 (cut from a chunk validated whole).
fn handle_text_line(line: &str, line_no: u64, parser: &mut dyn LineParser, b: &mut BatchBuilder) {
    b.count_line();
    if line.len() > MAX_LINE {
        b.problem(
            Position::Line(line_no),
            LineError::new(ProblemKind::OverlongLine, format!("line longer than {MAX_LINE} bytes")),
        );
        return;
    }
    parse_text_line(line.strip_suffix('\r').unwrap_or(line), line_no, parser, b);
}

fn parse_text_line(line: &str, line_no: u64, parser: &mut dyn LineParser, b: &mut BatchBuilder) {
    match parser.parse_line(line, line_no, b) {
        Ok(LineKind::Event) => {}
        Ok(LineKind::Ignored) => b.count_ignored(),
        Err(e) => b.problem(Position::Line(line_no), e),
    }
}

/// Lines a parser's [`LineParser::hint`] sees before parsing them: enough for the memory
/// waits of that many lines to overlap, few enough that what they bring stays in cache.
const LOOKAHEAD: usize = 8;

/// Read the bytes of `[start - 1, end)` of `path` into `buf`, and on to the end of the line
/// that crosses `end`. Reads into the buffer's spare room (not zero-filled first: the buffer
/// is reused from chunk to chunk, and zeroing it cost as much as a copy).
fn read_chunk(path: &Path, start: u64, end: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    read_chunk_from(std::fs::File::open(path)?, start, end, buf)
}

/// [`read_chunk`] from any seekable reader.
fn read_chunk_from<F: Read + std::io::Seek>(
    mut f: F,
    start: u64,
    end: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<()> {
    use std::io::SeekFrom;
    // one byte before the chunk, to know whether a line starts at `start`
    let from = start.saturating_sub(1);
    let len = end - from;
    buf.clear();
    buf.reserve(len as usize + (1 << 16));
    f.seek(SeekFrom::Start(from))?;
    let n = (&mut f).take(len).read_to_end(buf)?;
    if (n as u64) < len {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "file shorter than when ingest began",
        ));
    }
    // extend to the end of the line that crosses `end` (`\n`, `\r\n` or a lone `\r`)
    if !matches!(buf.last(), Some(b'\n' | b'\r')) {
        let mut tail = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut tail)?;
            if n == 0 {
                break;
            }
            if let Some(i) = memchr::memchr2(b'\n', b'\r', &tail[..n]) {
                buf.extend_from_slice(&tail[..=i]);
                break;
            }
            buf.extend_from_slice(&tail[..n]);
        }
    }
    Ok(())
}

/// Parse the lines that start in `[start, end)` of an uncompressed file. Line numbers are
/// relative to the chunk; the absorbing side adds the lines of earlier chunks. The chunk's
/// bytes go to the file's hash on the way.
fn parse_chunk(plan: &Plan, format: Format, start: u64, end: u64, w: &mut Worker<'_>) -> Batch {
    let mut buf = std::mem::take(w.buf);
    let read = read_chunk(&plan.path, start, end, &mut buf).map_err(|e| io_message(&e));
    if let Some(hash) = w.hash {
        // `buf` begins one byte before `start` (none for the first chunk)
        let skip = (start - start.saturating_sub(1)) as usize;
        let bytes = match &read {
            Ok(()) => Ok(&buf[skip..skip + (end - start) as usize]),
            Err(e) => Err(e.as_str()),
        };
        hash.add(start, end, bytes, w.abort);
    }
    let mut b = w.builder(format);
    let Some(mut parser) = new_parser(plan, format, &mut b) else {
        *w.buf = buf;
        return w.finish(b);
    };
    // the chunk's lines are `buf[begin..]`: past the partial line of the previous chunk, or
    // past a byte order mark at the start of the file
    let read = read.map(|()| match start {
        0 if buf.starts_with(input::BOM) => input::BOM.len(),
        0 => 0,
        _ => input::first_line_start(&buf),
    });
    match read {
        Ok(begin) => {
            let buf = &buf[begin..];
            if let Some(lines) = buf.len().checked_div(w.line_bytes) {
                // as many events as lines of the last chunk's length, and a little more
                b.reserve(lines + lines / 32 + 64);
            }
            // UTF-8 checked once for the whole chunk (nearly always valid); lines are then cut
            // out of the text. Otherwise each line is checked and located on its own.
            let text = std::str::from_utf8(buf).ok();
            let handle = |line: &[u8],
                          line_no: u64,
                          parser: &mut dyn LineParser,
                          b: &mut BatchBuilder| match text {
                Some(text) => {
                    let from = line.as_ptr() as usize - buf.as_ptr() as usize;
                    // cut next to `\n` bytes or the ends: always on character boundaries
                    handle_text_line(&text[from..from + line.len()], line_no, parser, b)
                }
                None => handle_line(line, false, line_no, parser, b),
            };
            let mut line_no = 0u64;
            let mut rest: &[u8] = buf;
            if parser.hints() {
                // lines are cut LOOKAHEAD lines before they are parsed and shown to the
                // parser's hint on the way, so that it can prefetch what they will look up
                let mut ring: [&[u8]; LOOKAHEAD] = [&[]; LOOKAHEAD];
                let (mut head, mut queued) = (0usize, 0usize);
                loop {
                    while queued < LOOKAHEAD {
                        let Some(l) = input::next_line(&mut rest) else { break };
                        parser.hint(l, &b);
                        ring[(head + queued) % LOOKAHEAD] = l;
                        queued += 1;
                    }
                    if queued == 0 {
                        break;
                    }
                    let line = ring[head];
                    (head, queued) = ((head + 1) % LOOKAHEAD, queued - 1);
                    line_no += 1;
                    handle(line, line_no, parser.as_mut(), &mut b);
                }
            } else {
                while let Some(line) = input::next_line(&mut rest) {
                    line_no += 1;
                    handle(line, line_no, parser.as_mut(), &mut b);
                }
            }
            if let Some(n) = (buf.len() as u64).checked_div(line_no) {
                w.line_bytes = n.max(1) as usize;
            }
        }
        Err(e) => b.problem(Position::Line(1), LineError::new(ProblemKind::Unreadable, e)),
    }
    *w.buf = buf;
    parser.finish(&mut b);
    w.finish(b)
}

/// Parse a whole file as a stream (compressed files, stateful formats, small files),
/// sending a batch every `batch_events` events.
fn parse_stream(
    plan: &Plan,
    format: Format,
    batch_events: usize,
    abort: &AtomicBool,
    send: &mut dyn FnMut(Batch, bool) -> bool,
    w: &mut Worker<'_>,
) -> bool {
    let mut b = w.builder(format);
    let mut ctx = plan.ctx.clone();
    let prepass = ctx.year.is_none() && ctx.mtime.is_some() && plan.stream.is_none();
    if format == Format::Sshd && prepass {
        // syslog has no year: anchor the last line to the mtime, count roll-overs back
        if let Ok(r) = plan.open() {
            let mut lines = input::LineReader::new(BufReader::with_capacity(1 << 20, r));
            let mut line = Vec::new();
            let lines = std::iter::from_fn(|| match lines.next_line(&mut line) {
                Ok(Some(_)) => Some(line.clone()),
                _ => None,
            });
            ctx.inferred_year = crate::sshd::first_year_from_mtime(lines, &ctx);
        }
    }
    let mut parser = match format.line_parser(&ctx) {
        Ok(p) => p,
        Err(e) => {
            b.problem(Position::Line(1), LineError::new(ProblemKind::UnrecognisedFormat, e));
            return send(w.finish(b), true);
        }
    };
    let reader = match plan.open() {
        Ok(r) => r,
        Err(e) => {
            b.problem(Position::Line(1), LineError::new(ProblemKind::Unreadable, io_message(&e)));
            return send(w.finish(b), true);
        }
    };
    let mut reader = input::LineReader::new(BufReader::with_capacity(1 << 20, reader));
    let mut line = Vec::new();
    let mut line_no = 0u64; // relative to the current batch
    let mut lines_total = 0u64;
    loop {
        match reader.next_line(&mut line) {
            Ok(None) => break,
            Ok(Some(overlong)) => {
                line_no += 1;
                lines_total += 1;
                handle_line(&line, overlong, line_no, parser.as_mut(), &mut b);
            }
            Err(e) => {
                b.problem(
                    Position::Line(line_no + 1),
                    LineError::new(
                        ProblemKind::Unreadable,
                        format!("after line {lines_total}: {}", io_message(&e)),
                    ),
                );
                break;
            }
        }
        if b.len() >= batch_events {
            if abort.load(Ordering::SeqCst) {
                return false;
            }
            let full = std::mem::replace(&mut b, BatchBuilder::new(format.source_format()));
            let batch = w.finish(full);
            b = w.builder(format);
            if !send(batch, false) {
                return false;
            }
            line_no = 0;
        }
    }
    parser.finish(&mut b);
    send(w.finish(b), true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The lines of `data` as the manual says: a line ends at `\n`, `\r\n` or a lone `\r`.
    fn reference_lines(data: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut line = Vec::new();
        let mut i = 0;
        while i < data.len() {
            match data[i] {
                b'\n' => out.push(std::mem::take(&mut line)),
                b'\r' => {
                    out.push(std::mem::take(&mut line));
                    if data.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b => line.push(b),
            }
            i += 1;
        }
        if !line.is_empty() {
            out.push(line);
        }
        out
    }

    /// The lines the chunked reader finds in `data` cut every `chunk` bytes.
    fn chunked_lines(data: &[u8], chunk: u64) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut start = 0u64;
        let mut buf = Vec::new();
        while start < data.len() as u64 {
            let end = (start + chunk).min(data.len() as u64);
            read_chunk_from(std::io::Cursor::new(data), start, end, &mut buf).unwrap();
            let begin = match start {
                0 if buf.starts_with(input::BOM) => input::BOM.len(),
                0 => 0,
                _ => input::first_line_start(&buf),
            };
            let mut rest = &buf[begin..];
            while let Some(l) = input::next_line(&mut rest) {
                out.push(l.to_vec());
            }
            start = end;
        }
        out
    }

    /// The lines the streaming reader finds, its buffer `cap` bytes.
    fn streamed_lines(data: &[u8], cap: usize) -> Vec<Vec<u8>> {
        let mut r = input::LineReader::new(BufReader::with_capacity(cap, data));
        let mut line = Vec::new();
        let mut out = Vec::new();
        while let Some(overlong) = r.next_line(&mut line).unwrap() {
            assert!(!overlong);
            out.push(line.clone());
        }
        out
    }

    fn text() -> impl Strategy<Value = Vec<u8>> {
        // line ends of every kind, empty lines, a BOM-like prefix never in the middle
        proptest::collection::vec(
            prop_oneof![Just(b'a'), Just(b'b'), Just(b'\r'), Just(b'\n'), Just(0xc3u8)],
            0..300,
        )
    }

    proptest! {
        #[test]
        fn chunks_and_streams_cut_lines_as_the_manual_says(
            data in text(),
            chunk in 1u64..40,
            cap in 1usize..17,
        ) {
            let want = reference_lines(&data);
            prop_assert_eq!(&chunked_lines(&data, chunk), &want);
            prop_assert_eq!(&streamed_lines(&data, cap), &want);
        }

        #[test]
        fn a_byte_order_mark_is_no_part_of_the_first_line(
            data in text(),
            chunk in 1u64..40,
            cap in 1usize..17,
        ) {
            let want = reference_lines(&data);
            let mut with = input::BOM.to_vec();
            with.extend_from_slice(&data);
            prop_assert_eq!(&chunked_lines(&with, chunk.max(4)), &want);
            // the text readers (`input::open`, `input::decode`) drop it before the line reader
            let (mut r, _) = input::decode(Box::new(std::io::Cursor::new(with))).unwrap();
            let mut stripped = Vec::new();
            r.read_to_end(&mut stripped).unwrap();
            prop_assert_eq!(&streamed_lines(&stripped, cap), &want);
        }
    }
}
