//! Writing a case: runs of time-sorted events, then dictionaries, then the manifest.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hopscope_model::{Catalog, EventTable, Inventory};
use parquet::arrow::ArrowWriter;

use crate::lock::WriterLock;
use crate::manifest::{
    Manifest, ProblemExample, RemapEntry, RunEntry, TimeRange, MANIFEST, VERSION, VERSION_REMAPPED,
};
use crate::range::{TimeHistogram, OUT_OF_RANGE};
use crate::reader::{histogram_of_run, read_manifest, read_remaps, run_path, Label};
use crate::remap::Remap;
use crate::schema::{events_schema, into_batch};
use crate::tables::{
    events_writer_props, read_catalog, read_labels, stage_catalog, stage_labels, STAGED_TABLES,
};
use crate::CaseError;

/// Events buffered before a run is sorted and written (about 64 bytes each in memory).
pub const RUN_EVENTS: usize = 2 << 20;

/// Writes a new case or appends to an existing one. Nothing is visible to readers until
/// [`CaseWriter::commit`] renames the manifest into place.
///
/// Full runs are sorted and encoded on a background thread while the caller goes on
/// filling the next one; at most one run waits for it, which bounds memory.
pub struct CaseWriter {
    dir: PathBuf,
    generation: u32,
    runs: Vec<RunEntry>,
    new_runs: u32,
    /// Tables handed over since the last run, written by the encoder (not here, so the
    /// caller's thread never copies events).
    pending: Vec<EventTable>,
    pending_events: usize,
    run_events: usize,
    labels: Vec<Label>,
    encoder: Option<Encoder>,
    /// Held from `open` until the writer is dropped (after `commit`, or on failure).
    _lock: WriterLock,
    /// Events per day of the runs written by this writer.
    hist: TimeHistogram,
    /// Runs of earlier generations (counted at commit, read from their files).
    earlier_runs: usize,
    /// Remap tables by file name: the case's (read at open) and this writer's.
    remaps: BTreeMap<String, Arc<Remap>>,
    remap_entries: Vec<RemapEntry>,
    new_remaps: u32,
    /// Runs linked in from shards ([`CaseWriter::adopt_run`]), indexes into `runs`: counted
    /// at commit like earlier runs.
    adopted: Vec<usize>,
    /// What this writer made that was not there before: removed when it ends without a
    /// commit ([`Drop`]).
    made: Made,
    /// Set once the manifest is renamed into place.
    committed: bool,
}

/// The directories a writer made, to remove when it fails.
#[derive(Debug, Default)]
struct Made {
    /// The case directory itself (a first ingest or merge): removed with the lock file.
    dir: bool,
    events: bool,
    remaps: bool,
}

/// Remove what a writer of `generation` wrote into `dir` and did not commit: its runs and
/// remap tables (and their temporary files), its staged tables and manifest, and the
/// directories it made (the case directory of a first ingest or merge with its lock file).
/// The committed case is never touched: nothing a manifest names is of this generation,
/// and the committed tables are replaced only at the commit.
fn undo(dir: &Path, made: &Made, generation: u32) {
    for t in STAGED_TABLES {
        let _ = std::fs::remove_file(dir.join(format!("{t}.parquet.tmp")));
    }
    let _ = std::fs::remove_file(dir.join("manifest.json.tmp"));
    for folder in ["events", "remaps"] {
        let p = dir.join(folder);
        // only the case's own folder (a link to a user's folder was refused, never read)
        if !std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        if let Ok(rd) = std::fs::read_dir(&p) {
            for e in rd.flatten() {
                if own_leftover(&e.file_name().to_string_lossy(), generation) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
    if made.remaps {
        let _ = std::fs::remove_dir(dir.join("remaps"));
    }
    if made.events {
        let _ = std::fs::remove_dir(dir.join("events"));
    }
    if made.dir {
        // the lock goes with the directory this writer made (held until the writer is gone)
        let _ = std::fs::remove_file(dir.join(crate::lock::CASE_LOCK));
        let _ = std::fs::remove_dir(dir);
    }
}

/// Undoes a writer's [`CaseWriter::open`] that fails after taking the lock.
struct Undo<'a> {
    dir: &'a Path,
    made: &'a mut Made,
    generation: u32,
    armed: bool,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.armed {
            undo(self.dir, self.made, self.generation);
        }
    }
}

impl Drop for CaseWriter {
    /// A writer dropped without its commit (an error, a refusal, a panic) leaves the case as
    /// it was: what it wrote is removed while it still holds the lock.
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Some((tx, handle)) = self.encoder.take() {
            drop(tx);
            let _ = handle.join(); // the run being written is finished (or failed) first
        }
        undo(&self.dir, &self.made, self.generation);
    }
}

/// A run to write: its path, its name in the manifest, its events (in pieces).
type RunJob = (PathBuf, String, Vec<EventTable>);
/// The background encoder: where to send runs, and the runs it wrote.
type Encoder = (
    std::sync::mpsc::SyncSender<RunJob>,
    std::thread::JoinHandle<Result<Vec<(RunEntry, TimeHistogram)>, CaseError>>,
);

/// True when `t`'s rows are already in the order `EventTable::sort_by_time` gives.
fn ordered(t: &EventTable) -> bool {
    (1..t.len()).all(|i| t.order_key(i - 1) <= t.order_key(i))
}

/// The columns (other than `time` and `position`) that hold one value in every row of
/// `pieces`: they are written PLAIN (see [`events_writer_props`]).
fn constant_columns(pieces: &[EventTable]) -> Vec<&'static str> {
    fn same<T: PartialEq + Copy>(pieces: &[EventTable], col: impl Fn(&EventTable) -> &[T]) -> bool {
        let Some(first) = pieces.iter().find_map(|p| col(p).first().copied()) else { return false };
        pieces.iter().all(|p| col(p).iter().all(|&v| v == first))
    }
    let checks: [(&'static str, bool); 14] = [
        ("src_host", same(pieces, |t| &t.src_host)),
        ("src_ip", same(pieces, |t| &t.src_ip)),
        ("dst_host", same(pieces, |t| &t.dst_host)),
        ("dst_ip", same(pieces, |t| &t.dst_ip)),
        ("user", same(pieces, |t| &t.user)),
        ("src_user", same(pieces, |t| &t.src_user)),
        ("auth", same(pieces, |t| &t.auth)),
        ("logon_type", same(pieces, |t| &t.logon_type)),
        ("outcome", same(pieces, |t| &t.outcome)),
        ("orientation", same(pieces, |t| &t.orientation)),
        ("format", same(pieces, |t| &t.format)),
        ("event_id", same(pieces, |t| &t.event_id)),
        ("flags", same(pieces, |t| &t.flags)),
        ("source", same(pieces, |t| &t.source)),
    ];
    checks.into_iter().filter(|&(_, c)| c).map(|(name, _)| name).collect()
}

/// Sort one run's pieces and write them as a Parquet file through a temporary name.
///
/// Pieces that are each in order and follow one another (the pipeline's batches of a
/// time-ordered log) are written one after the other, as they are: no copy of the run into
/// one table, whose fresh pages cost more than the copy. Otherwise they are concatenated and
/// sorted. Either way the rows, and their order, are those of the sorted concatenation.
fn write_run(
    path: &Path,
    name: String,
    mut pieces: Vec<EventTable>,
) -> Result<(RunEntry, TimeHistogram), CaseError> {
    pieces.retain(|p| !p.is_empty());
    let in_order = pieces.iter().all(ordered)
        && pieces.windows(2).all(|w| w[0].order_key(w[0].len() - 1) <= w[1].order_key(0));
    if !in_order {
        let mut all = pieces.into_iter();
        let mut t = all.next().unwrap_or_default();
        for p in all {
            t.extend_from(&p);
        }
        t.sort_by_time();
        pieces = vec![t];
    }
    let mut entry = RunEntry {
        file: name,
        rows: pieces.iter().map(|p| p.len() as u64).sum(),
        min_time: pieces.first().and_then(|p| p.time.first()).copied().unwrap_or_default(),
        max_time: pieces.last().and_then(|p| p.time.last()).copied().unwrap_or_default(),
        sha256: None,
        remap: None,
    };
    let mut hist = TimeHistogram::default();
    for p in &pieces {
        hist.add(p);
    }
    let tmp = path.with_extension("parquet.tmp");
    let f = File::create(&tmp).map_err(|e| CaseError::io(&tmp, e))?;
    let props = events_writer_props(&constant_columns(&pieces));
    // the checksum is taken of the bytes as they are written: no second read of the file
    let mut w = ArrowWriter::try_new(HashingWriter::new(f), events_schema(), Some(props))
        .map_err(|e| CaseError::io(&tmp, e))?;
    // the writer cuts row groups at the configured size, whatever the batches
    for p in pieces {
        w.write(&into_batch(p)).map_err(|e| CaseError::io(&tmp, e))?;
    }
    let hashed = w.into_inner().map_err(|e| CaseError::io(&tmp, e))?;
    entry.sha256 = Some(hashed.finish());
    std::fs::rename(&tmp, path).map_err(|e| CaseError::io(path, e))?;
    Ok((entry, hist))
}

/// A writer that feeds every byte it passes on into a SHA-256.
struct HashingWriter<W> {
    inner: W,
    hash: sha2::Sha256,
}

impl<W: std::io::Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter { inner, hash: sha2::Sha256::default() }
    }
    fn finish(self) -> String {
        use sha2::Digest;
        hex(&self.hash.finalize())
    }
}

impl<W: std::io::Write> std::io::Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// True for a run file (or its temporary) this generation's writer names: only such files,
/// when no manifest names them, are removed (left by a writer of this generation that died
/// before its commit). Anything else in `events/` was not written by this generation and
/// stays where it is.
fn own_leftover(name: &str, generation: u32) -> bool {
    let run = format!("run-{generation:05}-");
    let remap = format!("remap-{generation:05}-");
    let Some(rest) = name.strip_prefix(&run).or_else(|| name.strip_prefix(&remap)) else {
        return false;
    };
    let Some(n) = rest.strip_suffix(".parquet").or_else(|| rest.strip_suffix(".parquet.tmp"))
    else {
        return false;
    };
    n.len() >= 5 && n.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `name`, at the top of a directory that is not a case yet, is what a first ingest
/// killed before its commit leaves (so the next one may write there): `events/`, the case's
/// own tables (or their temporary files), the manifest's temporary file, the lock and other
/// hidden files. Anything else is the user's: a directory holding it is not taken as a case.
fn is_case_file(name: &str) -> bool {
    const TABLES: [&str; 8] =
        ["hosts", "accounts", "addresses", "auths", "sources", "sites", "data", "labels"];
    let stem = name.strip_suffix(".parquet").or_else(|| name.strip_suffix(".parquet.tmp"));
    name == "events"
        || name == "remaps"
        || name == "results"
        || name == "manifest.json.tmp"
        || name.starts_with('.')
        || stem.is_some_and(|s| TABLES.contains(&s))
}

/// The note naming the files in `events/` that no manifest names and this writer leaves alone.
const STRAY_NOTE: &str =
    "events/ holds files the manifest does not name (left in place, never read):";
/// The same for `remaps/`.
const STRAY_REMAP_NOTE: &str =
    "remaps/ holds files the manifest does not name (left in place, never read):";

/// `path` made absolute with symbolic links resolved as far as it exists (the rest, not
/// created yet, appended as given).
pub(crate) fn resolved(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    let mut rest = Vec::new();
    let mut cur = abs.as_path();
    loop {
        if let Ok(mut out) = std::fs::canonicalize(cur) {
            out.extend(rest.iter().rev());
            return out;
        }
        match (cur.file_name(), cur.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                cur = parent;
            }
            _ => return abs,
        }
    }
}

/// Whether `dir` is a case directory: it holds `manifest.json` and `events/`.
pub(crate) fn is_case(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file() && dir.join("events").is_dir()
}

/// The case `dir` lies inside (a case directory among its parents, links resolved), if any.
pub fn enclosing_case(dir: &Path) -> Option<PathBuf> {
    resolved(dir).ancestors().skip(1).find(|a| is_case(a)).map(Path::to_path_buf)
}

/// A folder of the case (`events`, `remaps`, `results`), made when missing. Refused when it
/// is a symbolic link or not a directory: writers put files there and remove their own
/// leftovers, which must never happen in a folder of the user's that a link leads to.
pub(crate) fn own_folder(dir: &Path, name: &str) -> Result<PathBuf, CaseError> {
    let p = dir.join(name);
    let refuse = |what: &str| {
        CaseError::Io {
        path: p.display().to_string(),
        message: format!(
            "is {what}, not the case's own folder; hopscope writes and removes files there, so it refuses (make it a plain directory)"
        ),
    }
    };
    match std::fs::symlink_metadata(&p) {
        Ok(m) if m.file_type().is_symlink() => return Err(refuse("a symbolic link")),
        Ok(m) if !m.is_dir() => return Err(refuse("not a directory")),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::create_dir(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return own_folder(dir, name)
            }
            Err(e) => return Err(CaseError::io(&p, e)),
        },
        Err(e) => return Err(CaseError::io(&p, e)),
    }
    Ok(p)
}

impl CaseWriter {
    /// Open `dir` for writing. Returns the writer, the existing manifest (when appending) and
    /// the existing catalog and inventory (empty for a new case).
    ///
    /// Refuses a directory that holds files but is not a case, so a mistyped `--case`
    /// cannot scatter files among a user's logs.
    pub fn open(
        dir: &Path,
    ) -> Result<(CaseWriter, Option<Manifest>, Catalog, Inventory), CaseError> {
        // a case inside another (a shard's folder, a case's events/) would scatter files
        // that case's writers name as strays, and merge a shard into itself
        if let Some(outer) = enclosing_case(dir) {
            return Err(CaseError::Io {
                path: dir.display().to_string(),
                message: format!(
                    "is inside the case directory {}; a case cannot be made inside another (choose a path outside it)",
                    outer.display()
                ),
            });
        }
        let existing = if dir.join(MANIFEST).exists() { Some(read_manifest(dir)?) } else { None };
        if existing.is_none() && dir.exists() {
            let foreign = std::fs::read_dir(dir)
                .map_err(|e| CaseError::io(dir, e))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| !is_case_file(n))
                .collect::<Vec<_>>();
            if !foreign.is_empty() {
                return Err(CaseError::Io {
                    path: dir.display().to_string(),
                    message: format!(
                        "exists, is not a hopscope case and is not empty (holds {}); choose a new directory",
                        foreign.iter().take(3).cloned().collect::<Vec<_>>().join(", ")
                    ),
                });
            }
        }
        let mut made = Made { dir: !dir.exists(), ..Made::default() };
        std::fs::create_dir_all(dir).map_err(|e| CaseError::io(dir, e))?;
        // one writer at a time; the manifest is read again under the lock (another writer
        // may have committed since the check above)
        let lock = match WriterLock::for_case(dir) {
            Ok(l) => l,
            Err(e) => {
                if made.dir {
                    let _ = std::fs::remove_dir(dir);
                }
                return Err(e);
            }
        };
        // from here a failure is undone by the writer's drop: a guard until it exists
        let mut guard = Undo { dir, made: &mut made, generation: 0, armed: true };
        let existing = if dir.join(MANIFEST).exists() { Some(read_manifest(dir)?) } else { None };
        guard.generation = existing.as_ref().map_or(1, |m| m.generation + 1);
        guard.made.events = std::fs::symlink_metadata(dir.join("events")).is_err();
        own_folder(dir, "events")?;
        if std::fs::symlink_metadata(dir.join("remaps")).is_ok() {
            own_folder(dir, "remaps")?; // its strays are removed at commit: it must be ours
        }
        let (catalog, inventory, labels, remaps) = match &existing {
            Some(m) => {
                let (c, i) = read_catalog(dir)?;
                let remaps = read_remaps(dir, m, &c)?;
                (c, i, read_labels(&dir.join("labels.parquet"))?, remaps)
            }
            None => (Catalog::default(), Inventory::default(), Vec::new(), BTreeMap::new()),
        };
        guard.armed = false;
        drop(guard);
        let w = CaseWriter {
            dir: dir.to_path_buf(),
            generation: existing.as_ref().map_or(1, |m| m.generation + 1),
            runs: existing.as_ref().map(|m| m.runs.clone()).unwrap_or_default(),
            new_runs: 0,
            pending: Vec::new(),
            pending_events: 0,
            run_events: RUN_EVENTS,
            labels,
            encoder: None,
            _lock: lock,
            hist: TimeHistogram::default(),
            earlier_runs: existing.as_ref().map_or(0, |m| m.runs.len()),
            remaps,
            remap_entries: existing.as_ref().map(|m| m.remaps.clone()).unwrap_or_default(),
            new_remaps: 0,
            adopted: Vec::new(),
            made,
            committed: false,
        };
        Ok((w, existing, catalog, inventory))
    }

    /// Events per run (tests use small runs to exercise merging).
    pub fn set_run_events(&mut self, n: usize) {
        self.run_events = n.max(1);
    }

    /// Add events (any order; each run is sorted before it is written).
    pub fn push(&mut self, t: &EventTable) -> Result<(), CaseError> {
        self.push_owned(t.clone())
    }

    /// Add events, handing over the table (no copy on the caller's thread).
    pub fn push_owned(&mut self, t: EventTable) -> Result<(), CaseError> {
        self.push_part(t);
        self.cut()
    }

    /// Add events without ending a run here: the run they go into ends at a later
    /// [`CaseWriter::cut`] at the earliest. Lets a caller keep its runs' boundaries where
    /// they were when it hands events over in smaller pieces.
    pub fn push_part(&mut self, t: EventTable) {
        if t.is_empty() {
            return;
        }
        self.pending_events += t.len();
        self.pending.push(t);
    }

    /// A run may end here: it is written once it holds the configured number of events.
    pub fn cut(&mut self) -> Result<(), CaseError> {
        if self.pending_events >= self.run_events {
            self.flush()?;
        }
        Ok(())
    }

    pub fn push_labels(&mut self, labels: impl IntoIterator<Item = Label>) {
        self.labels.extend(labels);
    }

    /// The generation this writer commits.
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Write a remap table (`remaps/remap-G-N.parquet`) for runs merged from `shard`; returns
    /// its name in the manifest, for [`CaseWriter::adopt_run`].
    pub(crate) fn add_remap(&mut self, r: Remap, shard: &str) -> Result<String, CaseError> {
        if std::fs::symlink_metadata(self.dir.join("remaps")).is_err() {
            own_folder(&self.dir, "remaps")?;
            self.made.remaps = true;
        }
        own_folder(&self.dir, "remaps")?;
        self.new_remaps += 1;
        let file = format!("remaps/remap-{:05}-{:05}.parquet", self.generation, self.new_remaps);
        let sha256 = r.write(&self.dir.join(&file))?;
        self.remap_entries.push(RemapEntry { file: file.clone(), sha256, shard: shard.into() });
        self.remaps.insert(file.clone(), Arc::new(r));
        Ok(file)
    }

    /// Take a committed run of another case (a shard) into this one unchanged: hard-linked
    /// under a new name of this generation when both lie on one file system, copied
    /// otherwise. `remap` names the table its ids are read through.
    pub(crate) fn adopt_run(
        &mut self,
        src: &Path,
        run: &RunEntry,
        remap: Option<String>,
    ) -> Result<(), CaseError> {
        self.new_runs += 1;
        let name = format!("events/run-{:05}-{:05}.parquet", self.generation, self.new_runs);
        let path = self.dir.join(&name);
        let tmp = path.with_extension("parquet.tmp");
        // a temporary of this generation is ours: left by a merge that died before its commit
        let _ = std::fs::remove_file(&tmp);
        if std::fs::hard_link(src, &tmp).is_err() {
            std::fs::copy(src, &tmp).map_err(|e| CaseError::io(&tmp, e))?;
        }
        std::fs::rename(&tmp, &path).map_err(|e| CaseError::io(&path, e))?;
        self.adopted.push(self.runs.len());
        self.runs.push(RunEntry { file: name, remap, ..run.clone() });
        Ok(())
    }

    fn flush(&mut self) -> Result<(), CaseError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let t = std::mem::take(&mut self.pending);
        self.pending_events = 0;
        self.new_runs += 1;
        let name = format!("events/run-{:05}-{:05}.parquet", self.generation, self.new_runs);
        let path = self.dir.join(&name);
        let (tx, _) = self.encoder.get_or_insert_with(|| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<RunJob>(1);
            let handle = std::thread::spawn(move || {
                let mut done = Vec::new();
                for (path, name, t) in rx {
                    done.push(write_run(&path, name, t)?);
                }
                Ok(done)
            });
            (tx, handle)
        });
        if tx.send((path, name, t)).is_err() {
            // the encoder stopped on an error: collect it
            return self.join_encoder().map(|_| ());
        }
        Ok(())
    }

    /// Wait for the background encoder and record the runs it wrote.
    fn join_encoder(&mut self) -> Result<(), CaseError> {
        if let Some((tx, handle)) = self.encoder.take() {
            drop(tx);
            let runs = handle.join().map_err(|_| CaseError::Io {
                path: self.dir.display().to_string(),
                message: "run encoder panicked".into(),
            })??;
            for (run, hist) in runs {
                self.runs.push(run);
                self.hist.merge(&hist);
            }
        }
        Ok(())
    }

    /// Write the remaining events, the dictionaries and the manifest (the commit point).
    /// `manifest` supplies sources, problems and notes; counts, runs and the generation
    /// are filled in here.
    pub fn commit(
        mut self,
        catalog: &Catalog,
        inventory: &Inventory,
        mut manifest: Manifest,
    ) -> Result<Manifest, CaseError> {
        self.flush()?;
        self.join_encoder()?;
        self.labels.sort_by_key(|l| (l.time, l.source, l.line));

        let remapped = self.runs.iter().any(|r| r.remap.is_some());
        manifest.hopscope_case = if remapped { VERSION_REMAPPED } else { VERSION };
        manifest.remaps = self.remap_entries.clone();
        manifest.generation = self.generation;
        manifest.runs = self.runs.clone();
        manifest.events = self.runs.iter().map(|r| r.rows).sum();
        manifest.labels = self.labels.len() as u64;
        manifest.hosts = catalog.hosts.len() as u64;
        manifest.accounts = catalog.accounts.len() as u64;
        manifest.addresses = catalog.addresses.len() as u64;
        let counted_apart = (0..self.earlier_runs).chain(self.adopted.iter().copied());
        for i in counted_apart {
            let r = &self.runs[i];
            let remap = r.remap.as_ref().and_then(|f| self.remaps.get(f));
            let h = histogram_of_run(&run_path(&self.dir, &r.file)?, remap.map(|r| &**r))?;
            self.hist.merge(&h);
        }
        set_time_range(&mut manifest, &self.hist, catalog);

        // Remove this generation's runs no manifest names (left by a writer of this generation
        // killed before its commit); name every other file nobody names, and leave it.
        for (folder, note) in [("events", STRAY_NOTE), ("remaps", STRAY_REMAP_NOTE)] {
            let named = |name: &str| match folder {
                "events" => self.runs.iter().any(|r| r.file == name),
                _ => self.remap_entries.iter().any(|r| r.file == name),
            };
            let mut strays = Vec::new();
            if let Ok(rd) = std::fs::read_dir(self.dir.join(folder)) {
                for e in rd.flatten() {
                    let file = e.file_name().to_string_lossy().to_string();
                    if named(&format!("{folder}/{file}")) {
                        continue;
                    }
                    if own_leftover(&file, self.generation) {
                        let _ = std::fs::remove_file(e.path());
                    } else {
                        strays.push(file.escape_debug().to_string());
                    }
                }
            }
            strays.sort();
            manifest.notes.retain(|n| !n.starts_with(note));
            if !strays.is_empty() {
                let more = strays.len().saturating_sub(5);
                strays.truncate(5);
                let mut n = format!("{note} {}", strays.join(", "));
                if more > 0 {
                    n.push_str(&format!(" and {more} more"));
                }
                manifest.notes.push(n);
            }
        }

        // Everything is written under temporary names first: a failure up to here (a full
        // disk, a damaged shard) leaves the committed case's files untouched, and the drop
        // removes what this writer wrote. Then the tables are renamed into place and the
        // manifest's rename commits.
        stage_catalog(&self.dir, catalog, inventory)?;
        stage_labels(&self.dir.join("labels.parquet"), &self.labels)?;
        let staged = stage_manifest(&self.dir, &manifest)?;
        for t in STAGED_TABLES {
            let path = self.dir.join(format!("{t}.parquet"));
            let tmp = path.with_extension("parquet.tmp");
            std::fs::rename(&tmp, &path).map_err(|e| CaseError::io(&path, e))?;
        }
        let path = self.dir.join(MANIFEST);
        std::fs::rename(&staged, &path).map_err(|e| CaseError::io(&path, e))?;
        self.committed = true;
        Ok(manifest)
    }
}

/// Write `manifest.json` through a temporary file, synced, then renamed: the commit point.
/// Nothing is left of a write that fails.
pub(crate) fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<(), CaseError> {
    let path = dir.join(MANIFEST);
    let tmp = stage_manifest(dir, manifest)?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CaseError::io(&path, e)
    })
}

/// Write `manifest.json.tmp`, synced; removed when the write fails.
fn stage_manifest(dir: &Path, manifest: &Manifest) -> Result<PathBuf, CaseError> {
    let tmp = dir.join("manifest.json.tmp");
    let written = serde_json::to_vec_pretty(manifest)
        .map_err(|e| CaseError::io(&tmp, e))
        .and_then(|json| std::fs::write(&tmp, json).map_err(|e| CaseError::io(&tmp, e)))
        .and_then(|()| {
            File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| CaseError::io(&tmp, e))
        });
    match written {
        Ok(()) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// The note that tells of events outside the time range.
const RANGE_NOTE: &str = "events dated outside the case's time range";

/// Record the case's time range, the first and last event inside it, and the events outside
/// it: counted as problems, the earliest and latest named, and said in a note.
fn set_time_range(m: &mut Manifest, hist: &TimeHistogram, catalog: &Catalog) {
    let t = |us: i64| hopscope_model::Time(us).to_rfc3339();
    m.problems.remove(OUT_OF_RANGE);
    m.problem_examples.retain(|e| e.kind != OUT_OF_RANGE);
    m.notes.retain(|n| !n.contains(RANGE_NOTE));
    let Some((start, end)) = hist.range() else {
        m.time_range = None;
        m.first_time = None;
        m.last_time = None;
        return;
    };
    let span = hist.inside_span(start, end);
    m.first_time = span.map(|s| t(s.0));
    m.last_time = span.map(|s| t(s.1));
    let outside: Vec<_> = hist.outside(start, end).collect();
    let before: u64 = outside.iter().filter(|b| b.last_time < start).map(|b| b.count).sum();
    let after: u64 = outside.iter().filter(|b| b.first.0 >= end).map(|b| b.count).sum();
    m.time_range = Some(TimeRange { start, end, before, after });
    if before + after == 0 {
        return;
    }
    m.problems.insert(OUT_OF_RANGE.to_string(), before + after);
    let range = format!("{} .. {}", day(start), day(end.saturating_sub(1)));
    // the earliest outside buckets before the range and the latest after it
    let early = outside.iter().copied().filter(|b| b.last_time < start).take(3);
    let late: Vec<_> = outside.iter().copied().filter(|b| b.first.0 >= end).collect();
    let late = late[late.len().saturating_sub(3)..].iter().copied();
    for b in early.chain(late) {
        let (time, source, position, record) = b.first;
        let file = catalog.sources.name(source).unwrap_or("?");
        let at =
            if record { format!("{file} record {position}") } else { format!("{file}:{position}") };
        let side = if time < start { "before" } else { "after" };
        let more = if b.count > 1 {
            format!(" (and {} more that day)", b.count - 1)
        } else {
            String::new()
        };
        m.problem_examples.push(ProblemExample {
            kind: OUT_OF_RANGE.to_string(),
            at,
            message: format!(
                "dated {}, {side} the case's time range {range}{more}; kept, not analysed",
                t(time)
            ),
        });
    }
    let first = outside.first().map_or(start, |b| b.first.0);
    let last = outside.last().map_or(start, |b| b.last_time);
    m.notes.push(format!(
        "{} {RANGE_NOTE} {range} (earliest {}, latest {}) are kept but not analysed: \
         detect, trace, scope, audit and report read the range only; \
         `hopscope export --include-out-of-range` writes them",
        before + after,
        t(first),
        t(last)
    ));
}

/// The UTC day of `us`, as `YYYY-MM-DD`.
fn day(us: i64) -> String {
    let s = hopscope_model::Time(us).to_rfc3339();
    s.get(..10).unwrap_or(&s).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::{
        Event, EventFlags, Evidence, LogonType, Orientation, Outcome, Position, SourceFormat, Time,
    };

    fn table(users: &[u32], source: u32) -> EventTable {
        let mut t = EventTable::default();
        for (i, &user) in users.iter().enumerate() {
            t.push(&Event {
                time: Time(i as i64),
                src_host: 1,
                src_ip: 0,
                dst_host: 2,
                dst_ip: 0,
                user,
                src_user: user,
                auth: 0,
                logon_type: LogonType::Network,
                outcome: Outcome::Success,
                orientation: Orientation::LogOn,
                format: SourceFormat::Lanl,
                event_id: 0,
                flags: EventFlags::default(),
                evidence: Evidence { source, position: Position::Line(i as u64 + 1) },
            });
        }
        t
    }

    #[test]
    fn constant_columns_hold_one_value_across_every_piece() {
        let c = constant_columns(&[table(&[1, 2], 7), table(&[3], 7)]);
        assert!(c.contains(&"source") && c.contains(&"src_host") && c.contains(&"dst_ip"), "{c:?}");
        assert!(!c.contains(&"user"), "{c:?}");
        // the same value within each piece, another in the next: not constant
        let c = constant_columns(&[table(&[1, 1], 7), table(&[1], 8)]);
        assert!(c.contains(&"user") && !c.contains(&"source"), "{c:?}");
        assert!(constant_columns(&[]).is_empty());
        assert!(constant_columns(&[EventTable::default()]).is_empty());
    }
}
