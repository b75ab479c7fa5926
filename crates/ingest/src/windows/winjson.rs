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
    let rc = RecordContext { time: None, lanl_start: ctx.lanl_start };
    let mut magic = [0u8; 4];
    let is_zip = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == ZIP_MAGIC;
    if is_zip {
        return read_zip(path, ctx, rc, out);
    }
    let mut cur = Cursor { base: 0, member: None, member_name: None, ctx: rc };
    match input::open(path) {
        Ok((r, _)) => read_stream(r, &mut cur, out),
        Err(e) => out.problem(1, Position::Line(1), LineError::new(ProblemKind::Unreadable, io_message(&e))),
    }
}

fn read_zip(path: &Path, ctx: &ParseContext, rc: RecordContext, out: &mut FileOutput) {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return out.problem(1, Position::Line(1), LineError::new(ProblemKind::Unreadable, io_message(&e))),
    };
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(e) => {
            return out.problem(1, Position::Line(1), LineError::new(ProblemKind::Unreadable, format!("zip archive: {e}")))
        }
    };
    for i in 0..archive.len() {
        let entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                let at = out.lines + 1;
                out.problem(at, Position::Line(at), LineError::new(ProblemKind::Unreadable, format!("zip member {i}: {e}")));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_string();
        out.members.push(format!("{}!{}", ctx.path, name));
        let mut cur = Cursor { base: out.lines, member: Some(out.members.len() as u32 - 1), member_name: Some(name), ctx: rc };
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
                out.problem(at, Position::Line(at), LineError::new(ProblemKind::Unreadable, format!("{}after line {n}: {}", where_(cur, n), io_message(&e))));
                break;
            }
        }
        n += 1;
        let order = cur.base + n;
        if line.len() > MAX_LINE && !line.ends_with(b"\n") {
            out.problem(order, Position::Line(order), LineError::new(ProblemKind::OverlongLine, format!("{}line longer than {MAX_LINE} bytes", where_(cur, n))));
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
                out.problem(order, Position::Line(order), LineError::new(ProblemKind::InvalidUtf8, format!("{}invalid UTF-8 at byte {}", where_(cur, n), e.valid_up_to())));
                continue;
            }
        };
        let starts_document = text == "{" || text.starts_with('[') || is_record_header(text);
        if starts_document {
            let mut doc = line.clone();
            if let Err(e) = reader.read_to_end(&mut doc) {
                out.problem(order, Position::Line(order), LineError::new(ProblemKind::Unreadable, format!("{}{}", where_(cur, n), io_message(&e))));
            }
            read_document(&doc, n - 1, cur, out);
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

/// `evtx_dump -o json` writes `Record 12` before each pretty-printed record.
fn is_record_header(line: &str) -> bool {
    line.strip_prefix("Record ").is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_digit()))
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
        out.problem(order, Position::Line(order), LineError::new(ProblemKind::BadJson, format!("{}expected a JSON object", where_(cur, line))));
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
        Ok(Some(ev)) => out.events.push(Located { ev, order, position: Position::Line(line), member: cur.member }),
        Ok(None) => out.ignored += 1,
        Err(mut e) => {
            e.message = format!("{}{}", where_(cur, line), e.message);
            out.problem(order, Position::Line(order), e);
        }
    }
}

/// A whole JSON document starting at line `first + 1` of the stream: a sequence of objects
/// (with `Record N` lines between them) or an array of objects.
fn read_document(doc: &[u8], first: u64, cur: &mut Cursor, out: &mut FileOutput) {
    let text = String::from_utf8_lossy(doc);
    if let std::borrow::Cow::Owned(_) = text {
        let at = cur.base + first + 1;
        out.problem(at, Position::Line(at), LineError::new(ProblemKind::InvalidUtf8, format!("{}document is not UTF-8; bad bytes replaced", where_(cur, first + 1))));
    }
    let text: &str = &text;
    let total_lines = first + memchr_iter(b'\n', text.as_bytes()).count() as u64 + u64::from(!text.ends_with('\n') && !text.is_empty());
    // line of a byte offset, counted incrementally
    let mut counted = (0usize, first + 1);
    let mut line_at = |off: usize| -> u64 {
        let (from, line) = counted;
        let l = line + memchr_iter(b'\n', &text.as_bytes()[from..off.max(from)]).count() as u64;
        counted = (off.max(from), l);
        l
    };
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' | b',' => pos += 1,
            b'R' if bytes[pos..].starts_with(b"Record ") => {
                // `Record N` header line
                pos = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
            }
            b'[' => {
                let line = line_at(pos);
                let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<Vec<&RawValue>>();
                match stream.next().unwrap_or_else(|| Ok(Vec::new())) {
                    Ok(items) => {
                        for item in items {
                            let off = item.get().as_ptr() as usize - text.as_ptr() as usize;
                            let l = line_at(off);
                            record(item.get(), l, cur.base + l, cur, out);
                        }
                        pos += stream.byte_offset().max(1);
                    }
                    Err(e) => {
                        let order = cur.base + line;
                        out.problem(order, Position::Line(order), LineError::new(ProblemKind::BadJson, format!("{}array: {e}", where_(cur, line))));
                        break;
                    }
                }
            }
            _ => {
                let line = line_at(pos);
                let mut stream = serde_json::Deserializer::from_str(&text[pos..]).into_iter::<&RawValue>();
                match stream.next() {
                    Some(Ok(v)) => {
                        record(v.get(), line, cur.base + line, cur, out);
                        pos += stream.byte_offset();
                    }
                    Some(Err(e)) => {
                        let order = cur.base + line;
                        out.problem(order, Position::Line(order), LineError::new(ProblemKind::BadJson, format!("{}{e}", where_(cur, line))));
                        // resynchronise at the next line that opens a record
                        let mut next = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i + 1);
                        while next < bytes.len() && !(bytes[next] == b'{' || bytes[next..].starts_with(b"Record ")) {
                            next = memchr::memchr(b'\n', &bytes[next..]).map_or(bytes.len(), |i| next + i + 1);
                        }
                        pos = next;
                    }
                    None => break,
                }
            }
        }
    }
    out.lines = cur.base + total_lines;
}

/// Whether the first bytes of a (decompressed) file look like Windows events as JSON.
pub(crate) fn looks_like(head: &str) -> bool {
    ["\"EventID\"", "\"winlog\"", "\"EventRecordID\"", "\"LogHost\""].iter().any(|k| head.contains(k))
        || (head.contains("\"Event\"") && head.contains("\"System\""))
}
