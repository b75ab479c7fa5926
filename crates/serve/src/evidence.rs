//! The evidence page's reading of an original log file: only files the case's manifest names,
//! checked against the sha256 ingest recorded, the cited line and a few around it.
//!
//! A relative path in the manifest is as `ingest` was given it: it is looked for from the
//! directory `serve` runs in (run it where ingest ran). A file's hash is computed once and
//! kept while its size and modification time stay as they were.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use hopscope_report::view::EvidenceRef;
use sha2::Digest;

use crate::index::Explorer;
use crate::views::{CaseView, EvidenceLine, EvidencePage};

/// Lines shown before and after the cited one.
pub const CONTEXT: u64 = 3;
/// Bytes of a line shown; the rest is cut and said to be.
const LINE_BYTES: usize = 4096;

/// Every how many lines the byte offset of a line's start is kept.
const EVERY: u64 = 4096;

/// What one read of a whole file tells: its hex sha256 and, when it is not compressed, where
/// lines 1, 1 + [`EVERY`], 1 + 2 × [`EVERY`], … start (so a cited line is reached by a seek
/// and at most [`EVERY`] lines read, not by reading the file from its start).
#[derive(Clone, Debug)]
pub struct FileFacts {
    pub sha256: String,
    starts: Option<Arc<Vec<u64>>>,
}

/// A file's facts as computed: its size and modification time then, and the facts (or why
/// there are none).
type Hashed = (u64, Option<SystemTime>, Result<FileFacts, String>);

/// Files read so far, by path.
#[derive(Default)]
pub struct HashCache(Mutex<HashMap<PathBuf, Hashed>>);

impl HashCache {
    fn facts(&self, path: &PathBuf) -> Result<FileFacts, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let key = (meta.len(), meta.modified().ok());
        if let Ok(m) = self.0.lock() {
            if let Some((len, mtime, h)) = m.get(path) {
                if (*len, *mtime) == key {
                    return h.clone();
                }
            }
        }
        let h = read_facts(path);
        if let Ok(mut m) = self.0.lock() {
            m.insert(path.clone(), (key.0, key.1, h.clone()));
        }
        h
    }
}

fn read_facts(path: &PathBuf) -> Result<FileFacts, String> {
    let mut f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut starts = vec![0u64];
    let mut newlines = 0u64;
    let mut offset = 0u64;
    let mut compressed = false;
    loop {
        let n = f.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        if offset == 0 {
            // gzip or zstd: lines are counted after decompressing, no offset applies
            compressed = buf[..n].starts_with(&[0x1f, 0x8b])
                || buf[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        }
        hasher.update(&buf[..n]);
        if !compressed {
            for i in memchr::memchr_iter(b'\n', &buf[..n]) {
                newlines += 1;
                if newlines.is_multiple_of(EVERY) {
                    starts.push(offset + i as u64 + 1);
                }
            }
        }
        offset += n as u64;
    }
    Ok(FileFacts {
        sha256: hasher.finalize().iter().map(|b| format!("{b:02x}")).collect(),
        starts: (!compressed).then(|| Arc::new(starts)),
    })
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
    let facts = match cache.facts(&path) {
        Ok(h) => h,
        Err(e) => {
            page.status = "gone".into();
            page.note = format!("the file cannot be read: {e}");
            return Some(page);
        }
    };
    let actual = &facts.sha256;
    match &source.sha256 {
        Some(want) if want != actual => {
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
    match read_lines(&path, line, facts.starts.as_deref().map(|v| v.as_slice())) {
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

/// Lines `line - CONTEXT ..= line + CONTEXT` of `path`, decompressed as ingest read it;
/// from the nearest line start kept in `starts` when there is one before them.
fn read_lines(
    path: &Path,
    line: u64,
    starts: Option<&[u64]>,
) -> std::io::Result<Vec<EvidenceLine>> {
    let first = line.saturating_sub(CONTEXT).max(1);
    let last = line.saturating_add(CONTEXT);
    // the first block holds a byte-order mark ingest dropped: read through ingest's reader
    let k = starts.map_or(0, |s| ((first - 1) / EVERY).min(s.len() as u64 - 1));
    let (r, mut n): (Box<dyn Read>, u64) = match starts {
        Some(s) if k > 0 => {
            let mut f = std::fs::File::open(path)?;
            f.seek(SeekFrom::Start(s[k as usize]))?;
            (Box::new(f), k * EVERY)
        }
        _ => (hopscope_ingest::open(path)?.0, 0),
    };
    let mut r = BufReader::with_capacity(1 << 16, r);
    let mut out = Vec::new();
    let mut buf = Vec::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines read by a seek to a kept line start are the lines read from the file's start.
    #[test]
    fn a_seek_to_a_kept_start_reads_the_same_lines() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("log");
        let mut text = String::from("\u{feff}");
        for i in 1..=3 * EVERY + 10 {
            text.push_str(&format!("line {i}{}\n", if i % 7 == 0 { "\r" } else { "" }));
        }
        std::fs::write(&path, &text).unwrap();
        let facts = read_facts(&path).unwrap();
        let starts = facts.starts.as_deref().unwrap();
        assert_eq!(starts.len(), 4);
        for line in [
            1,
            2,
            4,
            EVERY - 2,
            EVERY,
            EVERY + 1,
            EVERY + 4,
            2 * EVERY + 3,
            3 * EVERY + 10,
            3 * EVERY + 11,
        ] {
            let seek = read_lines(&path, line, Some(starts)).unwrap();
            let scan = read_lines(&path, line, None).unwrap();
            assert_eq!(format!("{seek:?}"), format!("{scan:?}"), "line {line}");
            if line <= 3 * EVERY + 10 {
                let cited = seek.iter().find(|l| l.cited).unwrap();
                assert_eq!(cited.text, format!("line {line}"));
            }
        }
        // compressed: no offsets, lines still read
        let gz = d.path().join("log.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, text.as_bytes()).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let facts = read_facts(&gz).unwrap();
        assert!(facts.starts.is_none());
        let lines = read_lines(&gz, EVERY + 1, None).unwrap();
        assert_eq!(lines.iter().find(|l| l.cited).unwrap().text, format!("line {}", EVERY + 1));
    }
}
