//! Finding and opening inputs: directories walked, compression detected by magic bytes.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use hopscope_model::Time;

/// Files a directory walk leaves out: the fleet context and ground truth the simulator
/// writes beside its logs. They are read with `--inventory` and `eval --truth`.
pub const CONTEXT_FILES: [&str; 4] = ["hosts.csv", "sites.csv", "data.csv", "truth.json"];

/// An input the user named that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct InputError {
    pub path: String,
    pub message: String,
}

/// Expand the given paths: files as given, directories walked (sorted, hidden files and
/// context files skipped). A path that does not exist or cannot be read is an error.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| InputError { path: p.display().to_string(), message: io_message(&e) })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            for entry in walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name() {
                let entry = entry.map_err(|e| InputError {
                    path: e.path().unwrap_or(p).display().to_string(),
                    message: e.to_string(),
                })?;
                if !entry.file_type().is_file() {
                    continue;
                }
                let name = entry.file_name().to_string_lossy();
                if name.starts_with('.') || CONTEXT_FILES.contains(&name.as_ref()) {
                    continue;
                }
                found.push(entry.into_path());
            }
            out.extend(found);
        } else {
            File::open(p).map_err(|e| InputError {
                path: p.display().to_string(),
                message: io_message(&e),
            })?;
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// How a file's bytes are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }
}

/// Open a file, decompressing gzip or zstd transparently.
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let mut f = BufReader::with_capacity(1 << 16, File::open(path)?);
    let head = f.fill_buf()?.to_vec();
    let c = Compression::sniff(&head);
    let r: Box<dyn Read + Send> = match c {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(f)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(f)?),
        Compression::None => Box::new(f),
    };
    Ok((r, c))
}

/// The first `limit` decompressed bytes (fewer if the file is shorter or damaged).
pub fn head(path: &Path, limit: usize) -> io::Result<(Vec<u8>, Compression)> {
    let (r, c) = open(path)?;
    let mut buf = Vec::with_capacity(limit.min(1 << 20));
    // a damaged compressed stream still yields what came before the damage
    let _ = r.take(limit as u64).read_to_end(&mut buf);
    Ok((buf, c))
}

pub fn mtime(path: &Path) -> Option<Time> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(Time(d.as_micros() as i64))
}

/// Longest line accepted; longer lines are counted as `overlong-line` and skipped.
pub const MAX_LINE: usize = 1 << 20;
