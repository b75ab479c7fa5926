//! The evidence page's reading of an original log file: only files the case's manifest names,
//! checked against the sha256 ingest recorded, the cited line and a few around it.
//!
//! A relative path in the manifest is as `ingest` was given it: it is looked for from the
//! directory `serve` runs in (run it where ingest ran). A file's hash is computed once and
//! kept while its size and modification time stay as they were.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use hopscope_report::view::EvidenceRef;
use sha2::Digest;

use crate::index::Explorer;
use crate::views::{CaseView, EvidenceLine, EvidencePage};

/// Lines shown before and after the cited one.
pub const CONTEXT: u64 = 3;
/// Bytes of a line shown; the rest is cut and said to be.
const LINE_BYTES: usize = 4096;

/// A file's hash as computed: its size and modification time then, and the hex sha256 (or
/// why there is none).
type Hashed = (u64, Option<SystemTime>, Result<String, String>);

/// File hashes computed so far, by path.
#[derive(Default)]
pub struct HashCache(Mutex<HashMap<PathBuf, Hashed>>);

impl HashCache {
    fn sha256(&self, path: &PathBuf) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let key = (meta.len(), meta.modified().ok());
        if let Ok(m) = self.0.lock() {
            if let Some((len, mtime, h)) = m.get(path) {
                if (*len, *mtime) == key {
                    return h.clone();
                }
            }
        }
        let h = hash_file(path);
        if let Ok(mut m) = self.0.lock() {
            m.insert(path.clone(), (key.0, key.1, h.clone()));
        }
        h
    }
}

fn hash_file(path: &PathBuf) -> Result<String, String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The manifest's source named `file` (as pages show it, redacted or not).
pub fn find_source<'a>(x: &'a Explorer, file: &str) -> Option<&'a hopscope_case::SourceEntry> {
    x.manifest.sources.iter().find(|s| {
        s.path == file || x.redactor.as_ref().and_then(|r| r.text(&s.path)).as_deref() == Some(file)
    })
}

/// The evidence page for `evidence`, whose file the manifest names (`None` otherwise).
pub fn read(x: &Explorer, cache: &HashCache, file: &str, pos: Position) -> Option<EvidencePage> {
    let source = find_source(x, file)?;
    let path = PathBuf::from(&source.path);
    let evidence = match pos {
        Position::Line(line) => EvidenceRef::Line { file: source.path.clone(), line },
        Position::Record(record) => EvidenceRef::Record { file: source.path.clone(), record },
    };
    let shown = std::env::current_dir().map(|d| d.join(&path)).unwrap_or_else(|_| path.clone());
    let mut page = EvidencePage {
        case: CaseView::new(x),
        evidence,
        status: String::new(),
        note: String::new(),
        sha256: source.sha256.clone(),
        path: shown.display().to_string(),
        lines: Vec::new(),
    };
    let line = match pos {
        Position::Record(_) => {
            page.status = "record".into();
            page.note = "a record of a binary file (EVTX): serve does not show records yet; \
                         `hopscope export` writes the event as read"
                .into();
            return Some(page);
        }
        Position::Line(l) => l,
    };
    let actual = match cache.sha256(&path) {
        Ok(h) => h,
        Err(e) => {
            page.status = "gone".into();
            page.note = format!("the file cannot be read: {e}");
            return Some(page);
        }
    };
    match &source.sha256 {
        Some(want) if *want != actual => {
            page.status = "changed".into();
            page.note = format!(
                "the file has changed since it was ingested (sha256 {actual}, the manifest \
                 holds {want}): its lines are not shown, as they may not be the ones cited"
            );
            return Some(page);
        }
        Some(_) => {
            page.status = "verified".into();
            page.note = "the file's sha256 is the one recorded at ingest".into();
        }
        None => {
            page.status = "unhashed".into();
            page.note = "the manifest holds no sha256 for this file: lines shown unverified".into();
        }
    }
    match read_lines(&path, line) {
        Ok(lines) => {
            if !lines.iter().any(|l| l.cited) {
                page.status = "not-found".into();
                page.note = format!("the file has fewer than {line} lines");
            }
            page.lines = lines;
        }
        Err(e) => {
            page.status = "gone".into();
            page.note = format!("the file cannot be read: {e}");
        }
    }
    Some(page)
}

/// Where in a file a finding points.
#[derive(Clone, Copy, Debug)]
pub enum Position {
    Line(u64),
    Record(u64),
}

/// Lines `line - CONTEXT ..= line + CONTEXT` of `path`, decompressed as ingest read it.
fn read_lines(path: &Path, line: u64) -> std::io::Result<Vec<EvidenceLine>> {
    let (r, _) = hopscope_ingest::open(path)?;
    let mut r = BufReader::with_capacity(1 << 16, r);
    let first = line.saturating_sub(CONTEXT).max(1);
    let last = line.saturating_add(CONTEXT);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0u64;
    while n < last {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        n += 1;
        if n < first {
            continue;
        }
        while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buf.pop();
        }
        let cut = buf.len() > LINE_BYTES;
        let mut text = String::from_utf8_lossy(&buf[..buf.len().min(LINE_BYTES)]).into_owned();
        if cut {
            text.push_str(&format!(" … ({} more bytes)", buf.len() - LINE_BYTES));
        }
        out.push(EvidenceLine { line: n, text, cited: n == line });
    }
    Ok(out)
}
