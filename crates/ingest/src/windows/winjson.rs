//! Windows events as JSON: JSON lines (`evtx_dump -o jsonl`, Winlogbeat, NXLog/OTRF, LANL
//! 2017 "wls"), whole documents (`evtx_dump -o json`'s `Record N` + pretty objects, a JSON
//! array), plain, gzip, zstd or inside zip archives (every member read in archive order).
//!
//! The dialect is recognised per record from the paths present ([`super::fields`]), so a
//! file mixing dialects reads fine. Evidence is the line a record starts on.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use hopscope_model::Position;
use memchr::memchr_iter;
use serde_json::value::RawValue;

use super::fields::{sniff_event_id, Fields};
use super::mapping::{interpret, wanted, RecordContext};
use super::{FileOutput, Located};
use crate::format::ParseContext;
use crate::input::{self, io_message, MAX_LINE};
use crate::problems::{LineError, ProblemKind};

/// The first bytes of a zip archive.
pub const ZIP_MAGIC: &[u8; 4] = b"PK\x03\x04";

/// Where the reader is: the file-wide line counter and the zip member being read.
struct Cursor {
    /// Lines before the current stream (zip members follow one another).
    base: u64,
    member: Option<u32>,
    member_name: Option<String>,
    ctx: RecordContext,
}

/// Read one file of Windows JSON.
pub(crate) fn read(path: &Path, ctx: &ParseContext, out: &mut FileOutput) {
    let rc = RecordContext { fallback_time: None, lanl_start: ctx.lanl_start, tz: ctx.tz.clone() };
    let mut magic = [0u8; 4];
    let is_zip = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && &magic == ZIP_MAGIC;
    if is_zip {
        return read_zip(path, ctx, rc, out);
    }
    let mut cur = Cursor { base: 0, member: None, member_name: None, ctx: rc };
    // line ends made `\n` (CR-only and CRLF files), as every text format reads them
    match input::open_text(path) {
        Ok((r, _)) => read_stream(r, &mut cur, out),
        Err(e) => out.problem(
            1,
            Position::Line(1),
            LineError::new(ProblemKind::Unreadable, io_message(&e)),
        ),
    }
}

fn read_zip(path: &Path, ctx: &ParseContext, rc: RecordContext, out: &mut FileOutput) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return out.problem(
                1,
                Position::Line(1),
                LineError::new(ProblemKind::Unreadable, io_message(&e)),
            )
        }
    };
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(e) => {
            return out.problem(
                1,
                Position::Line(1),
                LineError::new(ProblemKind::Unreadable, format!("zip archive: {e}")),
            )
        }
    };
    for i in 0..archive.len() {
        let entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                let at = out.lines + 1;
                out.problem(
                    at,
                    Position::Line(at),
                    LineError::new(ProblemKind::Unreadable, format!("zip member {i}: {e}")),
                );
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        out.members.push(format!("{}!{}", ctx.path, name));
        let mut cur = Cursor {
            base: out.lines,
            member: Some(out.members.len() as u32 - 1),
            member_name: Some(name),
            ctx: rc.clone(),
        };
        read_stream(Box::new(entry), &mut cur, out);
    }
    if out.members.is_empty() {
        out.notes.push("zip archive holds no files".into());
    }
}

fn where_(cur: &Cursor, line: u64) -> String {
    match &cur.member_name {
        Some(m) => format!("{m}:{line}: "),
        None => String::new(),
    }
}

/// Read JSON lines; on a line that opens a document instead (`[`, a lone `{`, `Record N`),
/// read the rest as a document.
fn read_stream<'r>(r: Box<dyn Read + 'r>, cur: &mut Cursor, out: &mut FileOutput) {
    let mut reader = BufReader::with_capacity(1 << 20, r);
    let mut line = Vec::new();
    let mut n = 0u64; // lines of this stream
    loop {
        line.clear();
        match reader.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let at = cur.base + n + 1;
                out.problem(
                    at,
                    Position::Line(at),
                    LineError::new(
                        ProblemKind::Unreadable,
                        format!("{}after line {n}: {}", where_(cur, n), io_message(&e)),
                    ),
                );
                break;
            }
        }
        n += 1;
        let order = cur.base + n;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            out.problem(
                order,
                Position::Line(order),
                LineError::new(
                    ProblemKind::OverlongLine,
                    format!("{}line longer than {MAX_LINE} bytes", where_(cur, n)),
                ),
            );
            // skip the rest of the line
            let mut sink = Vec::new();
            if reader.read_until(b'\n', &mut sink).is_err() {
                break;
            }
            continue;
        }
        let text = match std::str::from_utf8(&line) {
            Ok(t) => t.trim(),
            Err(e) => {
                out.problem(
                    order,
                    Position::Line(order),
                    LineError::new(
                        ProblemKind::InvalidUtf8,
                        format!("{}invalid UTF-8 at byte {}", where_(cur, n), e.valid_up_to()),
                    ),
                );
                continue;
            }
        };
        let starts_document = text == "{" || text.starts_with('[') || is_record_header(text);
        if starts_document {
            // the rest is one document, read element by element: memory holds one record
            let first = std::io::Cursor::new(std::mem::take(&mut line));
            read_document(BufReader::new(first.chain(reader)), n - 1, cur, out);
            return;
        }
        if text.is_empty() {
            out.ignored += 1;
            continue;
        }
        record(text, n, order, cur, out);
    }
    out.lines = cur.base + n;
}

/// One line of a followed JSON-lines file (`hopscope watch`), numbered in the file: what
/// [`read_stream`] does with a line that does not open a document. A line that opens a
/// document (`[`, a lone `{`, `Record N`) is a problem here: documents cannot be followed.
pub(crate) fn follow_line(raw: &[u8], line: u64, ctx: &ParseContext, out: &mut FileOutput) {
    let cur = Cursor {
        base: 0,
        member: None,
        member_name: None,
        ctx: RecordContext { fallback_time: None, lanl_start: ctx.lanl_start, tz: ctx.tz.clone() },
    };
    out.lines = out.lines.max(line);
    if raw.len() > MAX_LINE {
        let err =
            LineError::new(ProblemKind::OverlongLine, format!("line longer than {MAX_LINE} bytes"));
        return out.problem(line, Position::Line(line), err);
    }
    let text = match std::str::from_utf8(raw) {
        Ok(t) => t.trim(),
        Err(e) => {
            let err = LineError::new(
                ProblemKind::InvalidUtf8,
                format!("invalid UTF-8 at byte {}", e.valid_up_to()),
            );
            return out.problem(line, Position::Line(line), err);
        }
    };
    if text == "{" || text.starts_with('[') || is_record_header(text) {
        let err = LineError::new(
            ProblemKind::BadJson,
            "a JSON document (not JSON lines) cannot be followed; ingest it instead",
        );
        return out.problem(line, Position::Line(line), err);
    }
    if text.is_empty() {
        out.ignored += 1;
        return;
    }
    record(text, line, line, &cur, out);
}

/// `evtx_dump -o json` writes `Record 12` before each pretty-printed record.
fn is_record_header(line: &str) -> bool {
    line.strip_prefix("Record ")
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
}

/// One JSON object, on line `line` of the stream (`order` in the file).
fn record(text: &str, line: u64, order: u64, cur: &Cursor, out: &mut FileOutput) {
    if let Some(id) = sniff_event_id(text.as_bytes()) {
        if !wanted(id) {
            out.ignored += 1;
            return;
        }
    }
    if !text.starts_with('{') {
        out.problem(
            order,
            Position::Line(order),
            LineError::new(
                ProblemKind::BadJson,
                format!("{}expected a JSON object", where_(cur, line)),
            ),
        );
        return;
    }
    let fields = match Fields::from_json(text) {
        Ok(f) => f,
        Err(e) => {
            let msg = format!("{}{e}", where_(cur, line));
            out.problem(order, Position::Line(order), LineError::new(ProblemKind::BadJson, msg));
            return;
        }
    };
    match interpret(&fields, &cur.ctx) {
        Ok(Some(ev)) => out.push_event(Located {
            ev,
            order,
            position: Position::Line(line),
            member: cur.member,
        }),
        Ok(None) => out.ignored += 1,
        Err(mut e) => {
            e.message = format!("{}{}", where_(cur, line), e.message);
            out.problem(order, Position::Line(order), e);
        }
    }
}

/// A reader that counts the lines it has handed out, so that a record parsed from it is
/// located without the document being held in memory.
struct Lines<R> {
    inner: R,
    newlines: u64,
    last: Option<u8>,
    /// Bytes the record being parsed may still take ([`next_value`]); `None` between records.
    budget: Option<usize>,
    /// The record being parsed went past [`MAX_RECORD`] (the read error is this, not the input's).
    over: bool,
}

impl<R> Lines<R> {
    fn new(inner: R) -> Lines<R> {
        Lines { inner, newlines: 0, last: None, budget: None, over: false }
    }
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let len = buf.len();
        let buf = match self.budget {
            Some(0) if !buf.is_empty() => {
                self.over = true;
                return Err(std::io::Error::other(format!(
                    "record longer than {MAX_RECORD} bytes"
                )));
            }
            Some(b) => &mut buf[..b.min(len)],
            None => buf,
        };
        let n = self.inner.read(buf)?;
        self.count(&buf[..n]);
        if let Some(b) = &mut self.budget {
            *b -= n;
        }
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        let (newlines, last) = match self.inner.fill_buf() {
            Ok(b) => {
                let b = &b[..amt.min(b.len())];
                (memchr_iter(b'\n', b).count() as u64, b.last().copied())
            }
            Err(_) => (0, None),
        };
        self.newlines += newlines;
        self.last = last.or(self.last);
        self.inner.consume(amt);
    }
}

impl<R> Lines<R> {
    fn count(&mut self, bytes: &[u8]) {
        self.newlines += memchr_iter(b'\n', bytes).count() as u64;
        if let Some(b) = bytes.last() {
            self.last = Some(*b);
        }
    }
}

impl<R: BufRead> Lines<R> {
    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        Ok(self.fill_buf()?.first().copied())
    }
    /// Skip the rest of the current line, then every line that does not open a record.
    fn resync(&mut self) -> std::io::Result<()> {
        self.skip_until(b'\n')?;
        loop {
            match self.peek()? {
                None | Some(b'{') | Some(b'R') | Some(b'[') => return Ok(()),
                Some(_) => {
                    self.skip_until(b'\n')?;
                }
            }
        }
    }
}

/// The most bytes one record of a JSON document may take, as a line of JSON lines: a longer
/// one is an `overlong-line` problem and skipped, so no record holds more memory than this.
pub const MAX_RECORD: usize = MAX_LINE;

/// One JSON value from the reader, kept as its text; at most [`MAX_RECORD`] bytes (beyond,
/// an error with `r.over` set).
fn next_value<R: BufRead>(r: &mut Lines<R>) -> Result<Box<RawValue>, serde_json::Error> {
    use serde::Deserialize;
    r.budget = Some(MAX_RECORD);
    let mut de = serde_json::Deserializer::from_reader(&mut *r);
    let v = Box::<RawValue>::deserialize(&mut de);
    r.budget = None;
    v
}

/// A record that went past [`MAX_RECORD`]: one `overlong-line` problem at its first line;
/// the reader skips to the next line that opens a record.
fn overlong<R: BufRead>(
    r: &mut Lines<R>,
    line: u64,
    cur: &Cursor,
    out: &mut FileOutput,
) -> std::io::Result<()> {
    r.over = false;
    let order = cur.base + line;
    out.problem(
        order,
        Position::Line(order),
        LineError::new(
            ProblemKind::OverlongLine,
            format!("{}record longer than {MAX_RECORD} bytes; skipped", where_(cur, line)),
        ),
    );
    r.resync()
}

/// A whole JSON document starting at line `first + 1` of the stream: a sequence of objects
/// (with `Record N` lines between them) or an array of objects. Read from the stream one
/// record at a time (serde_json over the reader, each element taken as its raw text), so a
/// document of any size takes the memory of its largest record.
fn read_document<R: BufRead>(r: R, first: u64, cur: &Cursor, out: &mut FileOutput) {
    let mut r = Lines::new(r);
    let result = document(&mut r, first, cur, out);
    let total = first + r.newlines + u64::from(r.last.is_some_and(|b| b != b'\n'));
    if let Err(e) = result {
        let at = cur.base + total.max(first + 1);
        out.problem(
            at,
            Position::Line(at),
            LineError::new(
                ProblemKind::Unreadable,
                format!("{}{}", where_(cur, total.max(first + 1)), io_message(&e)),
            ),
        );
    }
    out.lines = cur.base + total;
}

fn document<R: BufRead>(
    r: &mut Lines<R>,
    first: u64,
    cur: &Cursor,
    out: &mut FileOutput,
) -> std::io::Result<()> {
    let problem = |out: &mut FileOutput, line: u64, kind: ProblemKind, msg: String| {
        let order = cur.base + line;
        out.problem(order, Position::Line(order), LineError::new(kind, msg));
    };
    loop {
        let line = first + r.newlines + 1;
        let Some(b) = r.peek()? else { return Ok(()) };
        match b {
            // a `]` here closes an array left after a damaged element
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b']' => r.consume(1),
            b'{' => match next_value(r) {
                Ok(v) => record(v.get(), line, cur.base + line, cur, out),
                Err(_) if r.over => overlong(r, line, cur, out)?,
                Err(e) => {
                    problem(out, line, ProblemKind::BadJson, format!("{}{e}", where_(cur, line)));
                    if e.is_io() || e.is_eof() {
                        return Ok(());
                    }
                    r.resync()?;
                }
            },
            b'[' => {
                r.consume(1);
                if !array(r, first, cur, out)? {
                    r.resync()?;
                }
            }
            _ => {
                // `Record N` lines name the record that follows; anything else is not JSON
                let mut head = Vec::new();
                r.by_ref().take(64).read_until(b'\n', &mut head)?;
                let text = String::from_utf8_lossy(&head);
                if !is_record_header(text.trim()) {
                    problem(
                        out,
                        line,
                        ProblemKind::BadJson,
                        format!("{}expected a JSON object", where_(cur, line)),
                    );
                }
                if !head.ends_with(b"\n") {
                    r.skip_until(b'\n')?;
                }
            }
        }
    }
}

/// The elements of an array whose `[` has been read; false when it ended in an error.
fn array<R: BufRead>(
    r: &mut Lines<R>,
    first: u64,
    cur: &Cursor,
    out: &mut FileOutput,
) -> std::io::Result<bool> {
    loop {
        let line = first + r.newlines + 1;
        match r.peek()? {
            None => {
                let order = cur.base + line;
                let msg = format!("{}array: the input ends before its `]`", where_(cur, line));
                out.problem(
                    order,
                    Position::Line(order),
                    LineError::new(ProblemKind::BadJson, msg),
                );
                return Ok(true);
            }
            Some(b' ' | b'\t' | b'\r' | b'\n' | b',') => r.consume(1),
            Some(b']') => {
                r.consume(1);
                return Ok(true);
            }
            Some(_) => match next_value(r) {
                Ok(v) => record(v.get(), line, cur.base + line, cur, out),
                Err(_) if r.over => {
                    overlong(r, line, cur, out)?;
                    return Ok(true);
                }
                Err(e) => {
                    let order = cur.base + line;
                    let msg = format!("{}array: {e}", where_(cur, line));
                    out.problem(
                        order,
                        Position::Line(order),
                        LineError::new(ProblemKind::BadJson, msg),
                    );
                    return Ok(false);
                }
            },
        }
    }
}

/// Whether the first bytes of a (decompressed) file look like Windows events as JSON.
pub(crate) fn looks_like(head: &str) -> bool {
    ["\"EventID\"", "\"winlog\"", "\"EventRecordID\"", "\"LogHost\""]
        .iter()
        .any(|k| head.contains(k))
        || (head.contains("\"Event\"") && head.contains("\"System\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::parse_file;
    use hopscope_model::SourceFormat;
    use proptest::prelude::*;
    use std::io::Write;

    const LOGON: &str = r#"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob"}"#;
    const SYSMON: &str = r#"{"EventID":1,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z"}"#;

    fn read_text(text: &str) -> FileOutput<'static> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, text).unwrap();
        let mut out = FileOutput::default();
        read(&p, &ParseContext::default(), &mut out);
        out
    }

    fn lines_of(out: &FileOutput) -> Vec<Position> {
        out.events.iter().map(|l| l.position).collect()
    }

    #[test]
    fn json_lines_with_problems_located() {
        let text = format!("{LOGON}\n{SYSMON}\nnot json\n{{\"EventID\":4624}}\n\n{LOGON}\n");
        let out = read_text(&text);
        assert_eq!(lines_of(&out), vec![Position::Line(1), Position::Line(6)]);
        assert_eq!(out.lines, 6);
        assert_eq!(out.ignored, 2); // the Sysmon record and the empty line
        let at: Vec<(u64, ProblemKind)> =
            out.problems.iter().map(|(o, _, e)| (*o, e.kind)).collect();
        assert_eq!(at, vec![(3, ProblemKind::BadJson), (4, ProblemKind::BadJson)]);
    }

    #[test]
    fn evtx_dump_json_documents_and_arrays() {
        let pretty = serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(
            r##"{"Event":{"System":{"EventID":4624,"Computer":"WS6","TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00Z"}}},"EventData":{"LogonType":3,"IpAddress":"10.0.0.5","TargetUserName":"bob"}}}"##,
        ).unwrap()).unwrap();
        let n = pretty.lines().count() as u64;
        let out = read_text(&format!("Record 1\n{pretty}\nRecord 2\n{pretty}\n"));
        assert_eq!(lines_of(&out), vec![Position::Line(2), Position::Line(n + 3)]);
        assert_eq!(out.lines, 2 * n + 2);
        assert!(out.problems.is_empty());
        let out = read_text(&format!("[\n{LOGON},\n{SYSMON},\n{LOGON}\n]\n"));
        assert_eq!(lines_of(&out), vec![Position::Line(2), Position::Line(4)]);
        assert_eq!(out.ignored, 1);
    }

    #[test]
    fn damaged_documents_are_located_and_the_rest_read() {
        // a bad element ends the array; the objects after it are read again
        let out =
            read_text(&format!("[\n{LOGON},\n{{\"EventID\": 4624,,}},\n{LOGON}\n]\n{LOGON}\n"));
        assert_eq!(lines_of(&out), vec![Position::Line(2), Position::Line(4), Position::Line(6)]);
        let at: Vec<(u64, ProblemKind)> =
            out.problems.iter().map(|(o, _, e)| (*o, e.kind)).collect();
        assert_eq!(at, vec![(3, ProblemKind::BadJson)]);
        assert_eq!(out.lines, 6);
        // garbage between records and an array cut short
        let out =
            read_text(&format!("Record 1\n{LOGON}\nnonsense here\nRecord 2\n[{LOGON},\n{LOGON}"));
        assert_eq!(lines_of(&out), vec![Position::Line(2), Position::Line(5), Position::Line(6)]);
        let at: Vec<(u64, ProblemKind)> =
            out.problems.iter().map(|(o, _, e)| (*o, e.kind)).collect();
        assert_eq!(at, vec![(3, ProblemKind::BadJson), (6, ProblemKind::BadJson)]);
        assert_eq!(out.lines, 6);
        // invalid UTF-8 inside one element costs that element only
        let mut bytes = format!("[{LOGON},\n").into_bytes();
        bytes.extend_from_slice(b"{\"EventID\":4624,\"Hostname\":\"W\xff\"},\n");
        bytes.extend_from_slice(format!("{LOGON}]\n").as_bytes());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, &bytes).unwrap();
        let mut out = FileOutput::default();
        read(&p, &ParseContext::default(), &mut out);
        assert_eq!(lines_of(&out), vec![Position::Line(1), Position::Line(3)]);
        let at: Vec<u64> = out.problems.iter().map(|(o, _, _)| *o).collect();
        assert_eq!(at, vec![2], "{:?}", out.problems);
    }

    #[test]
    fn a_large_array_is_read_element_by_element_with_its_lines() {
        // 20,000 elements, half of them logons: every one read, on its own line
        let mut doc = String::from("[\n");
        for i in 0..20_000 {
            doc += if i % 2 == 0 { LOGON } else { SYSMON };
            doc += ",\n";
        }
        doc += "{}]\n";
        let mut cur =
            Cursor { base: 0, member: None, member_name: None, ctx: RecordContext::default() };
        let mut out = FileOutput::default();
        read_stream(Box::new(std::io::Cursor::new(doc.into_bytes())), &mut cur, &mut out);
        assert_eq!(out.events.len(), 10_000);
        assert_eq!(out.events[9_999].position, Position::Line(20_000));
        assert_eq!(out.lines, 20_002);
        assert_eq!(out.ignored, 10_000);
        assert_eq!(out.problems.len(), 1, "the empty object: no event id");
    }

    #[test]
    fn a_record_past_the_bound_is_a_located_problem_and_the_rest_read() {
        // an array element, a `Record N` object and a nested array, each past MAX_RECORD (on
        // one line, or over many), between logons: each one problem at its first line, every
        // logon read at its line, the counts whole
        let big = "x".repeat(MAX_RECORD);
        let pretty: String = (0..MAX_RECORD / 1000 + 2)
            .map(|i| format!("  \"f{i}\": \"{}\",\n", "y".repeat(1000)))
            .collect();
        let strings: String =
            (0..MAX_RECORD / 1000 + 2).map(|_| format!("  \"{}\",\n", "y".repeat(1000))).collect();
        for (doc, logons, at) in [
            (
                format!("[\n{LOGON},\n{{\"EventID\":4624,\"a\":\"{big}\"}},\n{LOGON}\n]\n"),
                [2, 4],
                3,
            ),
            (
                format!("Record 1\n{LOGON}\nRecord 2\n{{\n{pretty}  \"z\": 1\n}}\n{LOGON}\n"),
                [2, 1_057],
                4,
            ),
            (format!("[\n{LOGON},\n[\n{strings}0],\n{LOGON}\n]\n"), [2, 1_055], 3),
        ] {
            let out = read_text(&doc);
            let lines: Vec<Position> = logons.iter().map(|l| Position::Line(*l)).collect();
            assert_eq!(lines_of(&out), lines, "{}", &doc[..60]);
            let problems: Vec<(u64, ProblemKind)> =
                out.problems.iter().map(|(o, _, e)| (*o, e.kind)).collect();
            assert_eq!(problems, vec![(at, ProblemKind::OverlongLine)], "{}", &doc[..60]);
            assert_eq!(out.lines, doc.lines().count() as u64);
        }
    }

    #[test]
    fn zip_members_are_their_own_evidence() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.zip");
        let mut z = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("a.json", o).unwrap();
        z.write_all(format!("{SYSMON}\n{LOGON}\n").as_bytes()).unwrap();
        z.start_file("b.json", o).unwrap();
        z.write_all(format!("{LOGON}\n").as_bytes()).unwrap();
        z.finish().unwrap();
        let mut out = FileOutput::default();
        read(&p, &ParseContext { path: "x.zip".into(), ..Default::default() }, &mut out);
        assert_eq!(out.members, vec!["x.zip!a.json".to_string(), "x.zip!b.json".to_string()]);
        let got: Vec<(Option<u32>, Position, u64)> =
            out.events.iter().map(|l| (l.member, l.position, l.order)).collect();
        assert_eq!(got, vec![(Some(0), Position::Line(2), 2), (Some(1), Position::Line(1), 3)]);
        assert_eq!(out.lines, 3);
    }

    #[test]
    fn batches_keep_absolute_lines_after_the_shift() {
        // five logons on lines 1, 3, 5, 7, 9 with a bad line 4, cut into batches of two
        let text = format!("{LOGON}\n{SYSMON}\n{LOGON}\nbad\n{LOGON}\n{SYSMON}\n{LOGON}\n{SYSMON}\n{LOGON}\n{SYSMON}\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.json");
        std::fs::write(&p, text).unwrap();
        let mut batches = Vec::new();
        assert!(parse_file(
            &p,
            crate::Format::Winjson,
            &ParseContext::default(),
            2,
            &mut |b, _| {
                batches.push(b);
                true
            }
        ));
        let mut offset = 0;
        let mut lines = Vec::new();
        let mut problems = Vec::new();
        for b in &batches {
            assert_eq!(b.format, SourceFormat::Winjson);
            lines.extend(b.events.position.iter().map(|p| p + offset));
            problems.extend(b.problems.iter().map(|(p, _)| match p {
                Position::Line(n) => n + offset,
                Position::Record(n) => *n,
            }));
            offset += b.lines;
        }
        assert_eq!(lines, vec![1, 3, 5, 7, 9]);
        assert_eq!(problems, vec![4]);
        assert_eq!(offset, 10);
    }

    fn arb_json() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(|n| serde_json::json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::json!(f)),
            prop_oneof![
                ".*",
                Just("-".to_string()),
                Just("::1".to_string()),
                Just("0x3e7".to_string()),
                Just("4624".to_string()),
                Just("2020-01-01T00:00:00Z".to_string()),
                Just("DOM\\user".to_string()),
            ]
            .prop_map(serde_json::Value::String),
        ];
        let keys = prop_oneof![
            Just("EventID".to_string()),
            Just("Event".to_string()),
            Just("System".to_string()),
            Just("EventData".to_string()),
            Just("winlog".to_string()),
            Just("event_data".to_string()),
            Just("Hostname".to_string()),
            Just("LogonType".to_string()),
            Just("IpAddress".to_string()),
            Just("TargetUserName".to_string()),
            Just("TargetLogonId".to_string()),
            Just("SubjectLogonId".to_string()),
            Just("ShareName".to_string()),
            Just("Time".to_string()),
            Just("@timestamp".to_string()),
            Just("EventTime".to_string()),
            Just("EventReceivedTime".to_string()),
            Just("Channel".to_string()),
            "[a-zA-Z#@]{1,8}",
        ];
        leaf.prop_recursive(4, 32, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                prop::collection::btree_map(keys.clone(), inner, 0..6)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn event_id_value() -> impl Strategy<Value = serde_json::Value> {
        prop::sample::select(vec![
            4624u32, 4625, 4634, 4648, 4672, 4697, 4768, 4769, 4776, 4778, 5140, 5145, 7045, 1149,
            21, 24, 1, 1100, 1102, 104, 4719,
        ])
        .prop_map(|n| serde_json::json!(n))
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_lines(lines in prop::collection::vec(".{0,200}", 0..20)) {
            let text = lines.join("\n");
            let out = read_text(&text);
            // a lone `\r` ends a line too (as in every text format)
            let crs = text.matches('\r').count();
            prop_assert!(out.lines as usize <= lines.len() + 1 + crs);
        }

        #[test]
        fn documents_never_panic_and_count_every_line(
            values in prop::collection::vec((arb_json(), event_id_value()), 0..8),
            junk in prop::collection::vec(prop_oneof![Just("]".to_string()), Just("Record 7".to_string()), Just("{".to_string()), ".{0,20}"], 0..4),
            cut in any::<prop::sample::Index>(),
            array in any::<bool>(),
        ) {
            let mut parts: Vec<String> = values
                .into_iter()
                .map(|(mut v, id)| {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("EventID".into(), id);
                    }
                    serde_json::to_string_pretty(&v).unwrap()
                })
                .collect();
            parts.extend(junk);
            let text = if array {
                format!("[\n{}\n]\n", parts.join(",\n"))
            } else {
                format!("Record 1\n{}\n", parts.join("\nRecord 2\n"))
            };
            let text = &text[..text.floor_char_boundary(cut.index(text.len() + 1))];
            let out = read_text(text);
            // a lone CR ends a line too (input::open_text)
            let lines = text.replace("\r\n", "\n").replace('\r', "\n").lines().count() as u64;
            prop_assert_eq!(out.lines, lines);
        }

        #[test]
        fn never_panics_on_arbitrary_json(values in prop::collection::vec((arb_json(), event_id_value()), 1..12)) {
            let text: String = values
                .into_iter()
                .map(|(mut v, id)| {
                    if let Some(o) = v.as_object_mut() {
                        o.insert("EventID".into(), id);
                    }
                    v.to_string() + "\n"
                })
                .collect();
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("x.json");
            std::fs::write(&p, &text).unwrap();
            let mut n = 0;
            parse_file(&p, crate::Format::Winjson, &ParseContext::default(), 3, &mut |b, _| { n += b.lines; true });
            prop_assert_eq!(n, text.lines().count() as u64);
        }
    }
}
