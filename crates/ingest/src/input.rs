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
/// context files skipped). A path that does not exist or cannot be read is an error, and so
/// is anything a directory walk cannot read (see [`discover_all`], which goes on).
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, InputError> {
    let found = discover_all(paths)?;
    match found.skipped.into_iter().find(|s| s.unreadable) {
        Some(s) => Err(InputError { path: s.path, message: s.message }),
        None => Ok(found.files),
    }
}

/// Expand the given paths as [`discover`] does, but go on past what a directory walk cannot
/// read (a dangling symbolic link, a link loop, an unreadable directory, a pipe or device
/// inside a directory): each is left out and said in [`Discovered::skipped`]. A path the
/// user named that does not exist or cannot be opened is still an error. A named stream
/// (a pipe, `/dev/stdin`) is not opened here: it can be read only once, by the pipeline.
pub fn discover_all(paths: &[PathBuf]) -> Result<Discovered, InputError> {
    let mut out = Discovered::default();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| InputError { path: p.display().to_string(), message: io_message(&e) })?;
        if meta.is_dir() {
            for entry in walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name() {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        out.skipped.push(walk_problem(p, &e));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy();
                if entry.depth() > 0
                    && (name.starts_with('.') || CONTEXT_FILES.contains(&name.as_ref()))
                {
                    continue;
                }
                let t = entry.file_type();
                if t.is_dir() {
                    continue;
                }
                if !t.is_file() {
                    let what = match entry.metadata() {
                        Ok(m) => match InputKind::of(&m) {
                            InputKind::Stream(what) => what,
                            InputKind::File => "special file",
                        },
                        Err(_) => "special file",
                    };
                    out.skipped.push(Skipped {
                        unreadable: false,
                        path: entry.path().display().to_string(),
                        message: format!(
                            "a {what}, not a regular file: a directory walk reads regular files only (name it to read it)"
                        ),
                    });
                    continue;
                }
                out.files.push(entry.into_path());
            }
        } else {
            if InputKind::of(&meta) == InputKind::File {
                File::open(p).map_err(|e| InputError {
                    path: p.display().to_string(),
                    message: io_message(&e),
                })?;
            }
            out.files.push(p.clone());
        }
    }
    Ok(out)
}

/// Why a directory walk could not read an entry, in words.
fn walk_problem(root: &Path, e: &walkdir::Error) -> Skipped {
    let path = e.path().unwrap_or(root);
    let message = if let Some(ancestor) = e.loop_ancestor() {
        format!("symbolic link loop (it leads back to {})", ancestor.display())
    } else if let Some(io) = e.io_error() {
        let link = std::fs::symlink_metadata(path).map(|m| m.file_type().is_symlink());
        match (io.kind(), link) {
            (io::ErrorKind::NotFound, Ok(true)) => "dangling symbolic link".to_string(),
            (io::ErrorKind::NotFound, _) => "vanished while the directory was read".to_string(),
            _ => io_message(io),
        }
    } else {
        e.to_string()
    };
    Skipped { path: path.display().to_string(), message, unreadable: true }
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

/// Open a file, decompressing gzip or zstd transparently and dropping a UTF-8 byte order
/// mark at the start of the decompressed text.
pub fn open(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    decode(Box::new(File::open(path)?))
}

/// Decompress `raw` (compression recognised from its first bytes) and drop a UTF-8 byte
/// order mark at the start of what it holds.
pub(crate) fn decode(raw: Box<dyn Read + Send>) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (r, c) = decode_binary(raw)?;
    Ok((Box::new(StripBom::new(r)), c))
}

/// Decompress `raw` (compression recognised from its first bytes), keeping every byte: for
/// binary formats, whose first bytes are never a byte order mark.
pub(crate) fn decode_binary(
    mut raw: Box<dyn Read + Send>,
) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    // four bytes tell the compression; a pipe may hand them over in more than one read
    let mut magic = Vec::with_capacity(4);
    (&mut raw).take(4).read_to_end(&mut magic)?;
    let c = Compression::sniff(&magic);
    let f = BufReader::with_capacity(1 << 16, io::Cursor::new(magic).chain(raw));
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
    Ok((read_head(r, limit), c))
}

fn read_head(r: Box<dyn Read + Send>, limit: usize) -> Vec<u8> {
    let mut buf = Vec::with_capacity(limit.min(1 << 20));
    // a damaged compressed stream still yields what came before the damage
    let _ = r.take(limit as u64).read_to_end(&mut buf);
    buf
}

/// The UTF-8 byte order mark some Windows tools write at the start of text files.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A reader that drops a UTF-8 byte order mark at the start of what `R` holds, so that no
/// text format sees it (a BOM is not part of the first line's first field).
pub struct StripBom<R> {
    inner: R,
    /// The first bytes, held until it is known whether they are a BOM.
    start: Option<Vec<u8>>,
    at: usize,
}

impl<R: Read> StripBom<R> {
    pub fn new(inner: R) -> StripBom<R> {
        StripBom { inner, start: None, at: 0 }
    }
}

impl<R: Read> Read for StripBom<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.start.is_none() {
            let mut first = Vec::with_capacity(BOM.len());
            // the first three bytes may come in several reads (a pipe)
            while first.len() < BOM.len() {
                let mut b = [0u8; 3];
                let n = match self.inner.read(&mut b[..BOM.len() - first.len()]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        // keep what was read: it is served before the error is seen again
                        self.start = Some(first);
                        return Err(e);
                    }
                };
                if n == 0 {
                    break;
                }
                first.extend_from_slice(&b[..n]);
            }
            if first == BOM {
                first.clear();
            }
            self.start = Some(first);
        }
        if let Some(start) = &self.start {
            if self.at < start.len() {
                let n = (start.len() - self.at).min(buf.len());
                buf[..n].copy_from_slice(&start[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
        }
        self.inner.read(buf)
    }
}

pub fn mtime(path: &Path) -> Option<Time> {
    let m = std::fs::metadata(path).ok()?.modified().ok()?;
    let d = m.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(Time(d.as_micros() as i64))
}

/// Longest line accepted; longer lines are counted as `overlong-line` and skipped.
pub const MAX_LINE: usize = 1 << 20;

/// What kind of input a path is, told by its metadata (never by its name): a regular file
/// can be read several times and at any offset (hashed, cut into chunks, read again); any
/// other input (a pipe, `/dev/stdin`, `/proc/self/fd/N`, a process substitution, a named
/// FIFO, a character device, a socket) is a stream, read exactly once, in order, to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    File,
    /// A stream, with what it is (`pipe`, `character device`, ...).
    Stream(&'static str),
}

impl InputKind {
    pub fn of(meta: &std::fs::Metadata) -> InputKind {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_file() {
            InputKind::File
        } else if t.is_fifo() {
            InputKind::Stream("pipe")
        } else if t.is_char_device() {
            InputKind::Stream("character device")
        } else if t.is_socket() {
            InputKind::Stream("socket")
        } else if t.is_block_device() {
            InputKind::Stream("block device")
        } else {
            InputKind::Stream("special file")
        }
    }
}

/// The raw bytes of a stream, with their SHA-256 and count taken as they pass, so that the
/// stream is read once for parsing and hashing alike.
#[derive(Clone)]
pub(crate) struct Tee {
    state: std::sync::Arc<std::sync::Mutex<TeeState>>,
}

struct TeeState {
    src: Box<dyn Read + Send>,
    hasher: sha2::Sha256,
    bytes: u64,
    error: Option<String>,
}

/// What a stream turned out to be once read to its end.
#[derive(Clone, Debug)]
pub(crate) struct StreamEnd {
    pub bytes: u64,
    /// The SHA-256 of every byte, or why the stream could not be read to its end.
    pub sha256: Result<String, String>,
}

impl Tee {
    pub fn new(src: Box<dyn Read + Send>) -> Tee {
        use sha2::Digest;
        Tee {
            state: std::sync::Arc::new(std::sync::Mutex::new(TeeState {
                src,
                hasher: sha2::Sha256::new(),
                bytes: 0,
                error: None,
            })),
        }
    }

    /// Read what is left (so that the hash covers the whole input, and a writer is not cut
    /// off), and say what the stream held.
    pub fn finish(&self) -> StreamEnd {
        use sha2::Digest;
        let mut sink = self.clone();
        let _ = io::copy(&mut sink, &mut io::sink());
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = s.bytes;
        let hasher = std::mem::take(&mut s.hasher);
        let sha256 = match &s.error {
            Some(e) => Err(e.clone()),
            None => Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()),
        };
        StreamEnd { bytes, sha256 }
    }
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use sha2::Digest;
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = &s.error {
            return Err(io::Error::other(e.clone()));
        }
        match s.src.read(buf) {
            Ok(n) => {
                s.hasher.update(&buf[..n]);
                s.bytes += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                s.error = Some(io_message(&e));
                Err(e)
            }
        }
    }
}

/// A stream opened once: its first decompressed bytes (to recognise its format) and the
/// reader that yields all of it from the start.
pub(crate) struct OpenStream {
    pub head: Vec<u8>,
    pub compression: Compression,
    /// Every raw byte from the first, hashed as it passes.
    pub raw: Tee,
}

/// Open a stream once and look at its first `limit` decompressed bytes without losing them.
pub(crate) fn open_stream(path: &Path, limit: usize) -> io::Result<OpenStream> {
    let mut f = File::open(path)?;
    // raw bytes until the decompressed head is complete: `limit` raw bytes are enough for
    // plain text; compressed, what `limit` raw bytes decompress to is enough to recognise it
    let mut raw_head = Vec::with_capacity(limit);
    (&mut f).take(limit as u64).read_to_end(&mut raw_head)?;
    let (r, compression) = decode(Box::new(io::Cursor::new(raw_head.clone())))?;
    let head = read_head(r, limit);
    let raw = Tee::new(Box::new(io::Cursor::new(raw_head).chain(f)));
    Ok(OpenStream { head, compression, raw })
}

/// Lines of a text reader, each without its line end. A line ends at `\n`, `\r\n` or a lone
/// `\r` (old Mac and some network devices end lines so), whichever comes first; a line longer
/// than [`MAX_LINE`] is read to its end and handed over empty, marked overlong.
pub struct LineReader<R> {
    inner: R,
    /// The last line ended with `\r`: a `\n` right after it belongs to that line end.
    after_cr: bool,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> LineReader<R> {
        LineReader { inner, after_cr: false }
    }

    /// The next line into `line` (cleared first). `Ok(None)` at the end; `Ok(Some(true))` for
    /// an overlong line (then `line` is empty).
    pub fn next_line(&mut self, line: &mut Vec<u8>) -> io::Result<Option<bool>> {
        line.clear();
        let mut overlong = false;
        let mut any = false;
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok(any.then_some(overlong));
            }
            if self.after_cr {
                self.after_cr = false;
                if buf[0] == b'\n' {
                    self.inner.consume(1);
                    continue;
                }
            }
            any = true;
            let (take, end) = match memchr::memchr2(b'\n', b'\r', buf) {
                Some(i) => (i + 1, Some(buf[i])),
                None => (buf.len(), None),
            };
            let piece = &buf[..if end.is_some() { take - 1 } else { take }];
            if !overlong {
                if line.len() + piece.len() > MAX_LINE {
                    overlong = true;
                    line.clear();
                } else {
                    line.extend_from_slice(piece);
                }
            }
            self.inner.consume(take);
            if let Some(b) = end {
                self.after_cr = b == b'\r';
                return Ok(Some(overlong));
            }
        }
    }
}

/// The next line of `rest` (without its line end), advancing past it: the in-memory twin of
/// [`LineReader`] (a line ends at `\n`, `\r\n` or a lone `\r`).
#[inline]
pub(crate) fn next_line<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    if rest.is_empty() {
        return None;
    }
    let (line, next) = match memchr::memchr2(b'\n', b'\r', rest) {
        Some(i) if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') => {
            (&rest[..i], &rest[i + 2..])
        }
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (*rest, &rest[rest.len()..]),
    };
    *rest = next;
    Some(line)
}

/// Where the first line that starts at or after `buf[1]` begins, `buf[0]` being the byte
/// before it (a chunk read from one byte before its start): 1 when a line starts right
/// there, else just past the first line end, else `buf.len()`.
pub(crate) fn first_line_start(buf: &[u8]) -> usize {
    let starts_at = |i: usize| match buf[i - 1] {
        b'\n' => true,
        b'\r' => buf.get(i) != Some(&b'\n'),
        _ => false,
    };
    if buf.len() > 1 && starts_at(1) {
        return 1;
    }
    match memchr::memchr2(b'\n', b'\r', &buf[1.min(buf.len())..]) {
        Some(j) => {
            let i = j + 1;
            let past =
                if buf[i] == b'\r' && buf.get(i + 1) == Some(&b'\n') { i + 2 } else { i + 1 };
            past.min(buf.len())
        }
        None => buf.len(),
    }
}

/// A file-level problem met while finding inputs: a path and why it was left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub path: String,
    pub message: String,
    /// The walk could not read it (a dangling link, a loop, permission denied), as opposed to
    /// an entry it does not read (a pipe or device inside a directory).
    pub unreadable: bool,
}

/// What [`discover_all`] found: the files to read, and what a directory walk could not read.
#[derive(Clone, Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Skipped>,
}

/// Open a text file as [`open`] does, with its line ends made `\n` (`\r\n` and a lone `\r`
/// alike), for readers that cut lines themselves (Windows JSON): they then end lines where
/// [`LineReader`] does. Not for binary formats.
pub fn open_text(path: &Path) -> io::Result<(Box<dyn Read + Send>, Compression)> {
    let (r, c) = open(path)?;
    Ok((Box::new(LfLineEnds { inner: r, after_cr: false }), c))
}

/// A reader that makes `\r\n` and a lone `\r` into `\n`.
struct LfLineEnds<R> {
    inner: R,
    /// The last byte read was a `\r` (made `\n`): a `\n` right after it is dropped.
    after_cr: bool,
}

impl<R: Read> Read for LfLineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                return Ok(0);
            }
            let mut w = 0;
            for r in 0..n {
                let b = buf[r];
                if b == b'\n' && std::mem::take(&mut self.after_cr) {
                    continue;
                }
                self.after_cr = b == b'\r';
                buf[w] = if self.after_cr { b'\n' } else { b };
                w += 1;
            }
            // a read of only the `\n` of a `\r\n` gives nothing: read on rather than end
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Made into `\n` line ends, a text has the lines [`LineReader`] finds in it.
        #[test]
        fn lf_line_ends_keep_the_lines(
            data in proptest::collection::vec(
                prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n')], 0..200),
            cap in 1usize..9,
        ) {
            let lines = |bytes: &[u8], cap: usize| {
                let mut r = LineReader::new(BufReader::with_capacity(cap, bytes));
                let (mut line, mut out) = (Vec::new(), Vec::new());
                while r.next_line(&mut line).unwrap().is_some() {
                    out.push(line.clone());
                }
                out
            };
            let mut lf = Vec::new();
            let mut r = LfLineEnds { inner: BufReader::with_capacity(cap, &data[..]), after_cr: false };
            r.read_to_end(&mut lf).unwrap();
            prop_assert!(!lf.contains(&b'\r'));
            prop_assert_eq!(lines(&lf, 64), lines(&data, cap));
        }
    }
}
