//! Reading a case: manifest, dictionaries, and events merged into time order.

use std::fs::File;
use std::path::{Path, PathBuf};

use hopscope_model::{Catalog, EventTable, Inventory, Time};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};

use crate::manifest::{Manifest, MANIFEST, VERSION};
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

pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, CaseError> {
    let path = dir.join(MANIFEST);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CaseError::NotACase(dir.display().to_string()))
        }
        Err(e) => return Err(CaseError::io(&path, e)),
    };
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| CaseError::corrupt(&path, e))?;
    if m.hopscope_case != VERSION {
        return Err(CaseError::corrupt(
            &path,
            format!("case layout version {} (this hopscope reads {VERSION})", m.hopscope_case),
        ));
    }
    Ok(m)
}

/// An opened case.
pub struct Case {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub catalog: Catalog,
    pub inventory: Inventory,
}

impl Case {
    pub fn open(dir: &Path) -> Result<Case, CaseError> {
        let manifest = read_manifest(dir)?;
        let (catalog, inventory) = read_catalog(dir)?;
        Ok(Case { dir: dir.to_path_buf(), manifest, catalog, inventory })
    }

    /// Events in time order (ties by evidence), in batches of up to `batch` rows, read
    /// lazily from the runs. A run is opened only when the merge reaches its first time and
    /// dropped when exhausted, so memory holds one batch per run *overlapping* the current
    /// time: a case ingested from time-ordered input reads its runs one after another.
    pub fn events(&self, batch: usize) -> Result<EventStream, CaseError> {
        let mut waiting: Vec<(i64, PathBuf)> =
            self.manifest.runs.iter().map(|r| (r.min_time, self.dir.join(&r.file))).collect();
        // opened from the back: latest first time at the front
        waiting.sort_by(|a, b| b.cmp(a));
        Ok(EventStream {
            open: Vec::new(),
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

    pub fn labels(&self) -> Result<Vec<Label>, CaseError> {
        read_labels(&self.dir.join("labels.parquet"))
    }
}

struct RunCursor {
    path: PathBuf,
    reader: ParquetRecordBatchReader,
    chunk: EventTable,
    pos: usize,
    done: bool,
}

fn open_run(path: PathBuf, rows: usize) -> Result<RunCursor, CaseError> {
    let f = File::open(&path).map_err(|e| CaseError::io(&path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| CaseError::corrupt(&path, e))?
        .with_batch_size(rows)
        .build()
        .map_err(|e| CaseError::corrupt(&path, e))?;
    Ok(RunCursor { path, reader, chunk: EventTable::default(), pos: 0, done: false })
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
                }
                Some(Err(e)) => return Err(CaseError::corrupt(&self.path, e)),
                None => self.done = true,
            }
        }
        Ok(())
    }
    fn head(&self) -> Option<(i64, u32, u64, u16)> {
        (self.pos < self.chunk.len()).then(|| self.chunk.order_key(self.pos))
    }
}

/// Events of a case merged across runs into (time, source, position) order.
pub struct EventStream {
    /// Runs being merged.
    open: Vec<RunCursor>,
    /// Runs not opened yet, by first time, latest first (the next to open is last).
    waiting: Vec<(i64, PathBuf)>,
    batch: usize,
    rows_per_read: usize,
}

type Key = (i64, u32, u64, u16);

impl EventStream {
    /// Open every waiting run that starts at or before `time` (all of them may hold rows
    /// ordered before anything later).
    fn open_until(&mut self, time: i64) -> Result<(), CaseError> {
        while let Some((t, _)) = self.waiting.last() {
            if *t > time {
                break;
            }
            let (_, path) = self.waiting.pop().expect("checked");
            let mut run = open_run(path, self.rows_per_read)?;
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
                    Some((t, _)) => *t,
                    None => break,
                },
            };
            if let Err(e) = self.open_until(frontier) {
                return Some(Err(e));
            }
            let (best, mut second) = self.best();
            let Some((i, _)) = best else { continue };
            // rows at or after the next waiting run's first time wait for it to open
            if let Some((t, _)) = self.waiting.last() {
                let bound = (*t, 0, 0, 0);
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
