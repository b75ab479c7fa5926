//! Reading a case: manifest, dictionaries, and events merged into time order.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use hopscope_model::{Catalog, EventTable, Inventory, Time};
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};

use crate::manifest::{Manifest, MANIFEST, VERSION, VERSION_REMAPPED};
use crate::remap::Remap;
use crate::schema::append_batch;
use crate::tables::{read_catalog, read_labels};
use crate::CaseError;

/// A ground-truth label stored in the case (LANL `redteam.txt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub time: Time,
    pub user: u32,
    pub src_host: u32,
    pub dst_host: u32,
    pub label: String,
    pub source: u32,
    pub line: u64,
}

/// The largest manifest read: one entry a source (about 600 bytes) and a run, so a case of
/// a million input files. A larger one is refused rather than read into memory.
pub const MAX_MANIFEST: u64 = 1 << 30;

pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, CaseError> {
    let path = dir.join(MANIFEST);
    // a manifest that is a device or a pipe (`/dev/zero`, a FIFO: read forever or never) or
    // absurdly large is refused, never opened or read into memory
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CaseError::NotACase(dir.display().to_string()))
        }
        Err(e) => return Err(CaseError::io(&path, e)),
    };
    if !meta.is_file() {
        return Err(CaseError::corrupt(&path, "is not a regular file; refused"));
    }
    if meta.len() > MAX_MANIFEST {
        return Err(CaseError::corrupt(
            &path,
            format!(
                "is {} bytes, more than a manifest may be ({MAX_MANIFEST}); refused",
                meta.len()
            ),
        ));
    }
    let file = File::open(&path).map_err(|e| CaseError::io(&path, e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_MANIFEST), &mut bytes)
        .map_err(|e| CaseError::io(&path, e))?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| CaseError::corrupt(&path, e))?;
    if m.hopscope_case != VERSION && m.hopscope_case != VERSION_REMAPPED {
        return Err(CaseError::corrupt(
            &path,
            format!(
                "case layout version {} (this hopscope reads {VERSION} and {VERSION_REMAPPED})",
                m.hopscope_case
            ),
        ));
    }
    let remapped = m.runs.iter().any(|r| r.remap.is_some());
    if remapped && m.hopscope_case != VERSION_REMAPPED {
        return Err(CaseError::corrupt(
            &path,
            format!("names remap tables but says layout version {}", m.hopscope_case),
        ));
    }
    Ok(m)
}

/// The path of a remap table the manifest names: a plain file name in `remaps/`, inside the
/// case directory.
pub(crate) fn remap_path(dir: &Path, file: &str) -> Result<PathBuf, CaseError> {
    let rel = Path::new(file);
    let mut parts = rel.components();
    let plain = matches!(parts.next(), Some(Component::Normal(e)) if e == "remaps")
        && matches!(parts.next(), Some(Component::Normal(_)))
        && parts.next().is_none();
    if !plain || file.contains('\\') {
        return Err(CaseError::corrupt(
            &dir.join(MANIFEST),
            format!(
                "names remap table {:?}, which is not a file in the case's remaps/ directory; refused",
                file.escape_debug().to_string()
            ),
        ));
    }
    let path = dir.join(rel);
    inside(dir, &path)?;
    Ok(path)
}

/// The remap tables the manifest lists, read and checked (SHA-256, ids against `catalog`),
/// by file name; a run naming a table the manifest does not list is refused.
pub(crate) fn read_remaps(
    dir: &Path,
    m: &Manifest,
    catalog: &Catalog,
) -> Result<BTreeMap<String, Arc<Remap>>, CaseError> {
    let mut out = BTreeMap::new();
    for e in &m.remaps {
        let path = remap_path(dir, &e.file)?;
        let r = Remap::read(&path, &e.sha256)?;
        r.check(catalog).map_err(|why| CaseError::corrupt(&path, why))?;
        out.insert(e.file.clone(), Arc::new(r));
    }
    for r in &m.runs {
        if let Some(f) = &r.remap {
            if !out.contains_key(f) {
                return Err(CaseError::corrupt(
                    &dir.join(MANIFEST),
                    format!(
                        "run {} names remap table {:?}, which the manifest does not list",
                        r.file,
                        f.escape_debug().to_string()
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Runs whose ids go through one remap table (`None`: the case's own ids), by path.
pub type RunGroup = (Option<Arc<Remap>>, Vec<PathBuf>);

/// An opened case.
pub struct Case {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub catalog: Catalog,
    pub inventory: Inventory,
    /// The remap tables of runs merged from shards, by file name.
    remaps: BTreeMap<String, Arc<Remap>>,
}

impl Case {
    /// Open a case: its manifest, checked for consistency (row counts, run paths inside the
    /// case), and its dictionaries, checked against the manifest's counts. Each run's
    /// checksum is checked when the run is first read.
    pub fn open(dir: &Path) -> Result<Case, CaseError> {
        let manifest = read_manifest(dir)?;
        let mpath = dir.join(MANIFEST);
        for r in &manifest.runs {
            run_path(dir, &r.file)?;
        }
        let rows: u64 = manifest.runs.iter().map(|r| r.rows).sum();
        if rows != manifest.events {
            return Err(CaseError::corrupt(
                &mpath,
                format!(
                    "says {} events but its runs hold {rows} rows: the manifest was edited or damaged",
                    manifest.events
                ),
            ));
        }
        let (catalog, inventory) = read_catalog(dir)?;
        // dictionaries only grow, so a newer one (from a writer killed before its commit) may
        // hold more; fewer than the manifest counted means rows were lost
        for (file, have, want) in [
            ("hosts.parquet", catalog.hosts.len() as u64, manifest.hosts),
            ("accounts.parquet", catalog.accounts.len() as u64, manifest.accounts),
            ("addresses.parquet", catalog.addresses.len() as u64, manifest.addresses),
        ] {
            if have < want {
                return Err(CaseError::corrupt(
                    &dir.join(file),
                    format!("holds {have} rows, the manifest counted {want}: rows are missing"),
                ));
            }
        }
        let remaps = read_remaps(dir, &manifest, &catalog)?;
        Ok(Case { dir: dir.to_path_buf(), manifest, catalog, inventory, remaps })
    }

    /// Events in time order (ties by evidence), in batches of up to `batch` rows, read
    /// lazily from the runs. A run is opened only when the merge reaches its first time and
    /// dropped when exhausted, so memory holds one batch per run *overlapping* the current
    /// time: a case ingested from time-ordered input reads its runs one after another.
    ///
    /// Only events inside the case's time range (`manifest.time_range`): what every analysis
    /// reads. [`Case::events_outside_range`] gives the others, [`Case::all_events`] both.
    pub fn events(&self, batch: usize) -> Result<EventStream, CaseError> {
        let keep = match &self.manifest.time_range {
            Some(r) => Keep::Inside(r.start, r.end),
            None => Keep::All,
        };
        self.stream(batch, keep)
    }

    /// The events dated outside the case's time range, in time order (none when it has none).
    pub fn events_outside_range(&self, batch: usize) -> Result<EventStream, CaseError> {
        let keep = match &self.manifest.time_range {
            Some(r) => Keep::Outside(r.start, r.end),
            None => Keep::Nothing,
        };
        self.stream(batch, keep)
    }

    /// Every event, inside the time range or not, in time order.
    pub fn all_events(&self, batch: usize) -> Result<EventStream, CaseError> {
        self.stream(batch, Keep::All)
    }

    fn stream(&self, batch: usize, keep: Keep) -> Result<EventStream, CaseError> {
        let mut waiting: Vec<Waiting> = Vec::new();
        for r in &self.manifest.runs {
            let path = run_path(&self.dir, &r.file)?;
            // a run with no row to keep is not opened; one whose first rows are dropped opens
            // when its first kept row can come
            let open_at = match keep {
                Keep::All => r.min_time,
                Keep::Nothing => continue,
                Keep::Inside(s, e) if r.max_time < s || r.min_time >= e => continue,
                Keep::Inside(s, _) => r.min_time.max(s),
                Keep::Outside(s, e) if r.min_time >= s && r.max_time < e => continue,
                Keep::Outside(..) => r.min_time,
            };
            let remap = r.remap.as_ref().and_then(|f| self.remaps.get(f)).cloned();
            waiting.push(Waiting {
                open_at,
                path,
                rows: r.rows,
                sha256: r.sha256.clone(),
                bounds: (r.min_time, r.max_time),
                remap,
            });
        }
        // opened from the back: latest first time at the front
        waiting.sort_by(|a, b| (b.open_at, &b.path).cmp(&(a.open_at, &a.path)));
        Ok(EventStream {
            open: Vec::new(),
            keep,
            waiting,
            batch: batch.max(1),
            rows_per_read: batch.clamp(1024, 1 << 20),
        })
    }

    /// Every event in memory, in time order.
    pub fn load_events(&self) -> Result<EventTable, CaseError> {
        let mut all = EventTable::with_capacity(self.manifest.events as usize);
        for t in self.events(1 << 16)? {
            all.extend_from(&t?);
        }
        Ok(all)
    }

    /// The run files the manifest lists, in its order, each refused unless it is a file in
    /// the case's `events/` directory: what another engine (`hopscope sql`) reads. Runs left
    /// by a writer killed before its commit are not listed, so they are not read.
    pub fn run_files(&self) -> Result<Vec<PathBuf>, CaseError> {
        self.manifest.runs.iter().map(|r| run_path(&self.dir, &r.file)).collect()
    }

    /// The run files grouped by the remap table their ids go through (`None`: the case's
    /// own ids), groups in the order of their first run: what another engine must map the
    /// ids of before it joins them with the dictionaries.
    pub fn run_groups(&self) -> Result<Vec<RunGroup>, CaseError> {
        let mut groups: Vec<(Option<String>, Vec<PathBuf>)> = Vec::new();
        for r in &self.manifest.runs {
            let path = run_path(&self.dir, &r.file)?;
            match groups.iter_mut().find(|(k, _)| *k == r.remap) {
                Some((_, v)) => v.push(path),
                None => groups.push((r.remap.clone(), vec![path])),
            }
        }
        Ok(groups
            .into_iter()
            .map(|(k, v)| (k.and_then(|f| self.remaps.get(&f).cloned()), v))
            .collect())
    }

    /// Check every run against the checksum the manifest recorded for it (runs written before
    /// checksums were recorded have none and pass), several runs at once. For readers that do
    /// not go through [`Case::events`], which checks each run as it opens it.
    pub fn check_runs(&self) -> Result<(), CaseError> {
        use rayon::prelude::*;
        self.manifest.runs.par_iter().try_for_each(|r| {
            let Some(want) = &r.sha256 else { return Ok(()) };
            let path = run_path(&self.dir, &r.file)?;
            check_sha256(&path, want)
        })
    }

    pub fn labels(&self) -> Result<Vec<Label>, CaseError> {
        read_labels(&self.dir.join("labels.parquet"))
    }

    /// The remap table of a run the manifest lists (`None` for a run with the case's ids).
    pub fn remap_of(&self, run: &crate::RunEntry) -> Option<Arc<Remap>> {
        run.remap.as_ref().and_then(|f| self.remaps.get(f)).cloned()
    }
}

/// Which events of the runs a stream gives.
#[derive(Clone, Copy, Debug)]
enum Keep {
    All,
    Nothing,
    /// `start <= time < end`
    Inside(i64, i64),
    Outside(i64, i64),
}

/// A run not opened yet: when to open it, its path, rows, checksum, claimed time bounds and
/// remap table.
struct Waiting {
    open_at: i64,
    path: PathBuf,
    rows: u64,
    sha256: Option<String>,
    bounds: (i64, i64),
    remap: Option<Arc<Remap>>,
}

struct RunCursor {
    path: PathBuf,
    /// The first and last time the manifest claims for the run, and the time of the last row
    /// read: rows are checked against both (the merge trusts them).
    bounds: (i64, i64),
    last: i64,
    keep: Keep,
    /// The shard's ids to the case's, for a merged run.
    remap: Option<Arc<Remap>>,
    reader: ParquetRecordBatchReader,
    chunk: EventTable,
    pos: usize,
    done: bool,
}

/// The path of a run the manifest names, refused unless it is a plain file name in
/// `events/`, and (through symbolic links) inside the case directory: an edited manifest
/// must not make hopscope read `../../etc/passwd` as evidence.
pub(crate) fn run_path(dir: &Path, file: &str) -> Result<PathBuf, CaseError> {
    let refuse = |why: &str| {
        Err(CaseError::corrupt(
            &dir.join(MANIFEST),
            format!("names run {:?}, which {why}; refused", file.escape_debug().to_string()),
        ))
    };
    let rel = Path::new(file);
    let mut parts = rel.components();
    let plain = matches!(parts.next(), Some(Component::Normal(e)) if e == "events")
        && matches!(parts.next(), Some(Component::Normal(_)))
        && parts.next().is_none();
    if !plain || file.contains('\\') {
        return refuse("is not a file in the case's events/ directory");
    }
    let path = dir.join(rel);
    inside(dir, &path)?;
    Ok(path)
}

/// Refuse `path` when, through symbolic links, it leads outside `dir`. A missing file is
/// left for the open that follows to report.
pub(crate) fn inside(dir: &Path, path: &Path) -> Result<(), CaseError> {
    let Ok(real) = std::fs::canonicalize(path) else { return Ok(()) };
    let root = std::fs::canonicalize(dir).map_err(|e| CaseError::io(dir, e))?;
    if real.starts_with(&root) {
        Ok(())
    } else {
        Err(CaseError::corrupt(
            path,
            format!("leads outside the case directory (to {}); refused", real.display()),
        ))
    }
}

/// Refuse a run whose SHA-256 is not the one the manifest recorded.
pub(crate) fn check_sha256(path: &Path, want: &str) -> Result<(), CaseError> {
    let got = sha256_of(path)?;
    if got != want {
        return Err(CaseError::corrupt(
            path,
            format!(
                "damaged or changed since it was written: its SHA-256 is {got}, the manifest recorded {want}"
            ),
        ));
    }
    Ok(())
}

/// The SHA-256 of a file, in hex.
pub(crate) fn sha256_of(path: &Path) -> Result<String, CaseError> {
    use sha2::Digest;
    let mut f = File::open(path).map_err(|e| CaseError::io(path, e))?;
    let mut h = sha2::Sha256::default();
    std::io::copy(&mut f, &mut h).map_err(|e| CaseError::io(path, e))?;
    Ok(crate::writer::hex(&h.finalize()))
}

fn open_run(
    path: PathBuf,
    rows: usize,
    expect_rows: u64,
    sha256: Option<&str>,
    bounds: (i64, i64),
) -> Result<RunCursor, CaseError> {
    if let Some(want) = sha256 {
        check_sha256(&path, want)?;
    }
    let f = File::open(&path).map_err(|e| CaseError::io(&path, e))?;
    let builder = parquet_builder(f, &path)?;
    let have = builder.metadata().file_metadata().num_rows();
    if u64::try_from(have).ok() != Some(expect_rows) {
        return Err(CaseError::corrupt(
            &path,
            format!("holds {have} rows, the manifest recorded {expect_rows}"),
        ));
    }
    let reader = builder.with_batch_size(rows).build().map_err(|e| CaseError::corrupt(&path, e))?;
    Ok(RunCursor {
        path,
        bounds,
        last: i64::MIN,
        keep: Keep::All,
        remap: None,
        reader,
        chunk: EventTable::default(),
        pos: 0,
        done: false,
    })
}

impl RunCursor {
    /// Make sure a row is available at `pos` unless the run is exhausted.
    fn fill(&mut self) -> Result<(), CaseError> {
        while !self.done && self.pos >= self.chunk.len() {
            match self.reader.next() {
                Some(Ok(b)) => {
                    self.chunk.clear();
                    self.pos = 0;
                    append_batch(&mut self.chunk, &b)
                        .map_err(|e| CaseError::corrupt(&self.path, e))?;
                    if let Some(r) = &self.remap {
                        r.apply(&mut self.chunk).map_err(|e| CaseError::corrupt(&self.path, e))?;
                    }
                    self.check_times()?;
                    self.filter();
                }
                Some(Err(e)) => return Err(CaseError::corrupt(&self.path, e)),
                None => {
                    self.done = true;
                    let (last, max) = (self.last, self.bounds.1);
                    if last != i64::MIN && last != max {
                        return Err(CaseError::corrupt(
                            &self.path,
                            format!("its last row's time is {last}, the manifest recorded {max}"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
    /// The merge opens a run when it reaches the first time the manifest claims for it and
    /// takes its rows as sorted: a row before the previous one, or outside the claimed
    /// bounds, would come out of time order. Refused, like a row count that disagrees; the
    /// first and last rows must be the claimed bounds exactly.
    fn check_times(&mut self) -> Result<(), CaseError> {
        let (min, max) = self.bounds;
        let first = self.last == i64::MIN;
        for (i, &t) in self.chunk.time.iter().enumerate() {
            let why = if first && i == 0 && t != min {
                Some(format!("its first row's time is {t}, the manifest recorded {min}"))
            } else if t < self.last {
                Some(format!("a row's time {t} follows {}: not in time order", self.last))
            } else if t > max {
                Some(format!(
                    "holds a row at time {t}, after the last the manifest recorded ({max})"
                ))
            } else {
                None
            };
            if let Some(why) = why {
                return Err(CaseError::corrupt(&self.path, why));
            }
            self.last = t;
        }
        Ok(())
    }

    /// Drop the rows of the chunk the stream does not give (rows of a run are in time order,
    /// so those inside a range are one block).
    fn filter(&mut self) {
        let t = &self.chunk.time;
        let (start, end) = match self.keep {
            Keep::All => return,
            Keep::Nothing => (0, 0),
            Keep::Inside(s, e) | Keep::Outside(s, e) => {
                (t.partition_point(|&x| x < s), t.partition_point(|&x| x < e))
            }
        };
        if matches!(self.keep, Keep::Inside(..)) && end < t.len() {
            // the rest of the run lies after the range
            self.done = true;
        }
        let mut kept = EventTable::default();
        match self.keep {
            Keep::Inside(..) if (start, end) == (0, t.len()) => return,
            Keep::Inside(..) => kept.extend_from_range(&self.chunk, start..end),
            Keep::Outside(..) if start == end => return,
            _ => {
                kept.extend_from_range(&self.chunk, 0..start);
                kept.extend_from_range(&self.chunk, end..t.len());
            }
        }
        self.chunk = kept;
    }

    fn head(&self) -> Option<(i64, u32, u64, u16)> {
        (self.pos < self.chunk.len()).then(|| self.chunk.order_key(self.pos))
    }
}

/// Events of a case merged across runs into (time, source, position) order.
pub struct EventStream {
    /// Runs being merged.
    open: Vec<RunCursor>,
    keep: Keep,
    /// Runs not opened yet (first time, path, rows, checksum), by first time, latest first
    /// (the next to open is last).
    waiting: Vec<Waiting>,
    batch: usize,
    rows_per_read: usize,
}

type Key = (i64, u32, u64, u16);

impl EventStream {
    /// Open every waiting run that starts at or before `time` (all of them may hold rows
    /// ordered before anything later).
    fn open_until(&mut self, time: i64) -> Result<(), CaseError> {
        while let Some(w) = self.waiting.last() {
            if w.open_at > time {
                break;
            }
            let w = self.waiting.pop().expect("checked");
            let mut run =
                open_run(w.path, self.rows_per_read, w.rows, w.sha256.as_deref(), w.bounds)?;
            run.keep = self.keep;
            run.remap = w.remap;
            run.fill()?;
            self.open.push(run);
        }
        Ok(())
    }

    /// The open run with the smallest head, and the smallest head of the other open runs.
    fn best(&self) -> (Option<(usize, Key)>, Option<Key>) {
        let mut best: Option<(usize, Key)> = None;
        let mut second: Option<Key> = None;
        for (i, r) in self.open.iter().enumerate() {
            if let Some(k) = r.head() {
                match best {
                    None => best = Some((i, k)),
                    Some((_, bk)) if k < bk => {
                        second = Some(bk);
                        best = Some((i, k));
                    }
                    _ => {
                        if second.is_none_or(|s| k < s) {
                            second = Some(k);
                        }
                    }
                }
            }
        }
        (best, second)
    }
}

impl Iterator for EventStream {
    type Item = Result<EventTable, CaseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut out = EventTable::with_capacity(self.batch.min(1 << 16));
        while out.len() < self.batch {
            for r in &mut self.open {
                if let Err(e) = r.fill() {
                    return Some(Err(e));
                }
            }
            self.open.retain(|r| r.head().is_some());
            // nothing open: the next waiting run starts the merge
            let frontier = match self.best().0 {
                Some((_, k)) => k.0,
                None => match self.waiting.last() {
                    Some(w) => w.open_at,
                    None => break,
                },
            };
            if let Err(e) = self.open_until(frontier) {
                return Some(Err(e));
            }
            let (best, mut second) = self.best();
            let Some((i, _)) = best else { continue };
            // rows at or after the next waiting run's first time wait for it to open
            if let Some(w) = self.waiting.last() {
                let bound = (w.open_at, 0, 0, 0);
                if second.is_none_or(|s| bound < s) {
                    second = Some(bound);
                }
            }
            let r = &mut self.open[i];
            // copy the block of rows that sort before every other run's head
            let room = self.batch - out.len();
            let mut end = r.pos + 1;
            let limit = (r.pos + room).min(r.chunk.len());
            match second {
                None => end = limit,
                Some(s) => {
                    while end < limit && r.chunk.order_key(end) < s {
                        end += 1;
                    }
                }
            }
            out.extend_from_range(&r.chunk, r.pos..end);
            r.pos = end;
        }
        (!out.is_empty()).then_some(Ok(out))
    }
}

/// A reader of one of the case's Parquet files. The Arrow schema a writer embeds in the file's
/// metadata (`ARROW:schema`) is not read: the case's own column types are plain Parquet ones
/// (integers, strings, a UTC timestamp), and a damaged embedded schema made the Arrow IPC
/// decoder panic (found by fuzzing: unknown type ids, lists without children) where every
/// other damage is an error naming the file.
pub(crate) fn parquet_builder(
    f: File,
    path: &Path,
) -> Result<ParquetRecordBatchReaderBuilder<File>, CaseError> {
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    ParquetRecordBatchReaderBuilder::try_new_with_options(f, options)
        .map_err(|e| CaseError::corrupt(path, e))
}

/// Events per day of one run, from its time and evidence columns only.
pub(crate) fn histogram_of_run(
    path: &Path,
    remap: Option<&Remap>,
) -> Result<crate::range::TimeHistogram, CaseError> {
    use arrow_array::{Array, TimestampMicrosecondArray, UInt16Array, UInt32Array, UInt64Array};
    use parquet::arrow::ProjectionMask;
    let f = File::open(path).map_err(|e| CaseError::io(path, e))?;
    let b = parquet_builder(f, path)?;
    let mask = ProjectionMask::columns(b.parquet_schema(), ["time", "source", "position", "flags"]);
    let reader = b
        .with_projection(mask)
        .with_batch_size(1 << 16)
        .build()
        .map_err(|e| CaseError::corrupt(path, e))?;
    let mut h = crate::range::TimeHistogram::default();
    let mut t = EventTable::default();
    for batch in reader {
        let batch = batch.map_err(|e| CaseError::corrupt(path, e))?;
        fn col<'a, T: Array + 'static>(
            b: &'a arrow_array::RecordBatch,
            path: &Path,
            name: &str,
        ) -> Result<&'a T, CaseError> {
            b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<T>()).ok_or_else(|| {
                CaseError::corrupt(path, format!("column {name} missing or of the wrong type"))
            })
        }
        t.time.clear();
        t.source.clear();
        t.position.clear();
        t.flags.clear();
        t.time.extend_from_slice(col::<TimestampMicrosecondArray>(&batch, path, "time")?.values());
        t.source.extend_from_slice(col::<UInt32Array>(&batch, path, "source")?.values());
        if let Some(r) = remap {
            r.apply_sources(&mut t.source).map_err(|e| CaseError::corrupt(path, e))?;
        }
        t.position.extend_from_slice(col::<UInt64Array>(&batch, path, "position")?.values());
        t.flags.extend_from_slice(col::<UInt16Array>(&batch, path, "flags")?.values());
        if t.source.len() != t.time.len()
            || t.position.len() != t.time.len()
            || t.flags.len() != t.time.len()
        {
            return Err(CaseError::corrupt(path, "columns of different lengths"));
        }
        h.add(&t);
    }
    Ok(h)
}

#[cfg(test)]
mod manifest_tests {
    use super::*;

    /// A manifest that is a link to `/dev/zero`, a FIFO or a directory is refused at once,
    /// naming it: never read forever (all memory) or waited on.
    #[test]
    fn a_manifest_that_is_not_a_regular_file_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (w, ..) = crate::CaseWriter::open(d).unwrap();
        w.commit(&Default::default(), &Default::default(), Manifest::default()).unwrap();
        assert!(Case::open(d).is_ok());
        let m = d.join(MANIFEST);
        for make in ["/dev/zero", "fifo", "dir"] {
            std::fs::remove_file(&m).ok();
            std::fs::remove_dir(&m).ok();
            match make {
                "fifo" => {
                    let made = std::process::Command::new("mkfifo").arg(&m).status().unwrap();
                    assert!(made.success());
                }
                "dir" => std::fs::create_dir(&m).unwrap(),
                dev => std::os::unix::fs::symlink(dev, &m).unwrap(),
            }
            let e = match Case::open(d) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{make}: opened"),
            };
            assert!(e.contains("manifest.json"), "{make}: {e}");
        }
    }
}
