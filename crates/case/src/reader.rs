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
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(CaseError::NotACase(dir.display().to_string())),
        Err(e) => return Err(CaseError::io(&path, e)),
    };
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| CaseError::corrupt(&path, e))?;
    if m.hopscope_case != VERSION {
        return Err(CaseError::corrupt(&path, format!("case layout version {} (this hopscope reads {VERSION})", m.hopscope_case)));
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
    /// lazily from the runs: memory holds one batch per run.
    pub fn events(&self, batch: usize) -> Result<EventStream, CaseError> {
        let mut runs = Vec::new();
        for r in &self.manifest.runs {
            let path = self.dir.join(&r.file);
            let f = File::open(&path).map_err(|e| CaseError::io(&path, e))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(f)
                .map_err(|e| CaseError::corrupt(&path, e))?
                .with_batch_size(batch.clamp(1024, 1 << 20))
                .build()
                .map_err(|e| CaseError::corrupt(&path, e))?;
            runs.push(RunCursor { path, reader, chunk: EventTable::default(), pos: 0, done: false });
        }
        Ok(EventStream { runs, batch: batch.max(1) })
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

impl RunCursor {
    /// Make sure a row is available at `pos` unless the run is exhausted.
    fn fill(&mut self) -> Result<(), CaseError> {
        while !self.done && self.pos >= self.chunk.len() {
            match self.reader.next() {
                Some(Ok(b)) => {
                    self.chunk.clear();
                    self.pos = 0;
                    append_batch(&mut self.chunk, &b).map_err(|e| CaseError::corrupt(&self.path, e))?;
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
    runs: Vec<RunCursor>,
    batch: usize,
}

impl Iterator for EventStream {
    type Item = Result<EventTable, CaseError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut out = EventTable::with_capacity(self.batch.min(1 << 16));
        while out.len() < self.batch {
            for r in &mut self.runs {
                if let Err(e) = r.fill() {
                    return Some(Err(e));
                }
            }
            // the run with the smallest head, and the smallest head of the others
            let mut best: Option<(usize, (i64, u32, u64, u16))> = None;
            let mut second: Option<(i64, u32, u64, u16)> = None;
            for (i, r) in self.runs.iter().enumerate() {
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
            let Some((i, _)) = best else { break };
            let r = &mut self.runs[i];
            // copy the block of rows that sort before every other run's head
            let room = self.batch - out.len();
            let mut end = r.pos + 1;
            let limit = (r.pos + room).min(r.chunk.len());
            match second {
                None => end = limit,
                Some(s) => {
                    while end < limit && r.chunk.order_key(end) <= s {
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
