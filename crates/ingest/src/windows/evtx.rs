//! `.evtx` files through the `evtx` crate, its chunks parsed on the rayon pool.
//!
//! The crate gives no event id before a record is rendered, so each record is rendered to
//! compact JSON bytes (the cheapest rendering, the one `evtx_dump -o jsonl` does) and its id
//! read from the bytes ([`sniff_event_id`]); only records hopscope uses are deserialised.
//! That work happens in the crate's per-chunk workers, in parallel.

use std::path::Path;

use evtx::err::{ChunkError, EvtxError};
use evtx::{EvtxParser, ParserSettings};
use hopscope_model::{Position, Time};

use super::fields::{sniff_event_id, sniff_record_id, Fields};
use super::mapping::{interpret, wanted, RecordContext, WinEvent};
use super::{FileOutput, Located};
use crate::format::ParseContext;
use crate::input::{self, io_message, Compression};
use crate::problems::{LineError, ProblemKind};

/// The first bytes of every EVTX file.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";

/// Bytes of the file header; a file shorter than this is truncated.
const HEADER: u64 = 4096;
/// Bytes of one chunk.
const CHUNK: u64 = 65536;

enum Rendered {
    Skipped,
    Event(Box<WinEvent>),
    Bad(LineError),
}

struct Record {
    /// The record's `System/EventRecordID` (what Event Viewer, `evtx_dump` and SIEMs show),
    /// or the record header's number when the event names none.
    id: u64,
    /// The first record read of a chunk whose checksums fail carries why.
    bad_chunk: Option<BadChunk>,
    what: Rendered,
}

/// The record header's time, unless it is zero (1601-01-01: trimmed and filtered exports
/// leave it unset on some records).
fn header_time(record: &evtx::EvtxRecord<'_>) -> Option<Time> {
    const FILETIME_ZERO_MICROS: i64 = -11_644_473_600_000_000;
    let t = record.timestamp.as_microsecond();
    (t != FILETIME_ZERO_MICROS).then_some(Time(t))
}

/// Render one record. `chunk_checked` is false for the first record of each chunk
/// ([`EvtxParser::serialized_records`] clones the closure, and so this flag, per chunk): that
/// record checks its chunk's checksums.
fn render(
    record: evtx::EvtxRecord<'_>,
    lanl_start: Time,
    chunk_checked: &mut bool,
) -> evtx::err::Result<Record> {
    let bad_chunk = if *chunk_checked {
        None
    } else {
        *chunk_checked = true;
        check_chunk(record.chunk)
    };
    let header_id = record.event_record_id;
    let fallback = header_time(&record);
    let bytes = record.into_json_bytes()?.data;
    // the event's own record id; a filtered or trimmed export renumbers the record headers
    // (1, 2, 3 ...) but keeps `EventRecordID` as the log wrote it
    let id = sniff_record_id(&bytes).unwrap_or(header_id);
    if let Some(eid) = sniff_event_id(&bytes) {
        if !wanted(eid) {
            return Ok(Record { id, bad_chunk, what: Rendered::Skipped });
        }
    }
    let what = match std::str::from_utf8(&bytes) {
        Err(e) => Rendered::Bad(LineError::new(
            ProblemKind::InvalidUtf8,
            format!("rendered record is not UTF-8: {e}"),
        )),
        Ok(text) => match Fields::from_json(text) {
            Err(e) => Rendered::Bad(LineError::new(
                ProblemKind::BadRecord,
                format!("rendered record: {e}"),
            )),
            // the event's time is `System/TimeCreated/@SystemTime`; the header's time is
            // when the record was written, and only stands in when the event names no time
            Ok(f) => match interpret(
                &f,
                &RecordContext { fallback_time: fallback, lanl_start, tz: None },
            ) {
                Ok(Some(ev)) => Rendered::Event(Box::new(ev)),
                Ok(None) => Rendered::Skipped,
                Err(e) => Rendered::Bad(e),
            },
        },
    };
    Ok(Record { id, bad_chunk, what })
}

/// A chunk whose stored CRC32 does not match its bytes: its records were changed after
/// Windows wrote them (or the log was copied while being written: a dirty chunk).
struct BadChunk {
    /// Record-header numbers the chunk header names.
    first: u64,
    last: u64,
    what: &'static str,
    dirty: bool,
}

/// The chunk's checksums, as the `evtx` crate's `EvtxChunkData::validate_header_checksum` and
/// `validate_data_checksum` compute them (the header's CRC32 over its bytes 0..120 and
/// 128..512, the records' over 512..free space offset; none when the chunk is flagged
/// `NO_CRC32`). The crate offers them only on an owned copy of a chunk, read in a pass of its
/// own before the records (7% of the CPU time of an EVTX ingest); here they run on the chunk
/// its worker already holds. The crate can also skip failing chunks
/// (`ParserSettings::validate_checksums`), but that would drop every record of a chunk for one
/// altered byte, and live copies of logs have dirty chunks whose checksums lag: hopscope reads
/// the records and counts one located problem per chunk instead.
fn check_chunk(chunk: &evtx::EvtxChunk<'_>) -> Option<BadChunk> {
    const HEADER: usize = 512;
    let h = chunk.header;
    if h.flags.contains(evtx::ChunkFlags::NO_CRC32) {
        return None;
    }
    let crc = |parts: &[&[u8]]| {
        let mut hasher = crc32fast::Hasher::new();
        parts.iter().for_each(|p| hasher.update(p));
        hasher.finalize()
    };
    let data = chunk.data;
    let header_ok =
        data.len() >= HEADER && h.header_chunk_checksum == crc(&[&data[..120], &data[128..HEADER]]);
    let data_ok = data
        .get(HEADER..h.free_space_offset as usize)
        .is_some_and(|records| h.events_checksum == crc(&[records]));
    let what = match (header_ok, data_ok) {
        (true, true) => return None,
        (false, false) => "its header's and its records' CRC32s do not match",
        (false, true) => "its header's CRC32 does not match",
        (true, false) => "its records' CRC32 does not match",
    };
    Some(BadChunk {
        first: h.first_event_record_id,
        last: h.last_event_record_id,
        what,
        dirty: h.flags.contains(evtx::ChunkFlags::DIRTY),
    })
}

impl BadChunk {
    fn problem(&self, first_read: u64) -> LineError {
        let dirty = if self.dirty {
            " (the chunk is marked dirty: the log was copied while being written)"
        } else {
            ""
        };
        LineError::new(
            ProblemKind::BadRecord,
            format!(
                "the chunk of records {}-{} (by record header) fails its CRC32 check: {}{dirty}; its records are read from EventRecordID {first_read} on, but they may have been altered",
                self.first, self.last, self.what
            ),
        )
    }
}

/// Why a part of the file could not be read, and which record it is at (or after).
fn problem_of(e: &EvtxError, last_id: u64) -> (Position, LineError) {
    let after = Position::Record(last_id + 1);
    let chain = |e: &dyn std::error::Error| {
        let mut s = e.to_string();
        let mut src = e.source();
        while let Some(c) = src {
            s.push_str(": ");
            s.push_str(&c.to_string());
            src = c.source();
        }
        s
    };
    match e {
        EvtxError::FailedToParseChunk { chunk_id, source } => {
            let kind = match **source {
                ChunkError::IncompleteChunk => ProblemKind::Truncated,
                ChunkError::FailedToSeekToChunk(_) => ProblemKind::Unreadable,
                _ => ProblemKind::BadRecord,
            };
            (
                after,
                LineError::new(
                    kind,
                    format!(
                        "chunk {chunk_id} (after record {last_id}) skipped: {}",
                        chain(&**source)
                    ),
                ),
            )
        }
        EvtxError::FailedToParseRecord { record_id, .. } => {
            (Position::Record(*record_id), LineError::new(ProblemKind::BadRecord, chain(e)))
        }
        EvtxError::IoError(_) | EvtxError::InputError(_) => {
            (after, LineError::new(ProblemKind::Unreadable, chain(e)))
        }
        _ => (
            after,
            LineError::new(ProblemKind::BadRecord, format!("after record {last_id}: {}", chain(e))),
        ),
    }
}

/// Read every record of an EVTX file (compressed ones decompressed into a temporary file
/// first).
pub(crate) fn read(path: &Path, ctx: &ParseContext, out: &mut FileOutput) {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let reader = match input::open(path) {
        Ok((r, c)) => (r, c),
        Err(e) => {
            out.problem(
                0,
                Position::Record(0),
                LineError::new(ProblemKind::Unreadable, io_message(&e)),
            );
            return;
        }
    };
    match reader {
        (_, Compression::None) => match std::fs::File::open(path) {
            Ok(f) => run(EvtxParser::from_read_seek(f), size, ctx, out),
            Err(e) => out.problem(
                0,
                Position::Record(0),
                LineError::new(ProblemKind::Unreadable, io_message(&e)),
            ),
        },
        (mut r, _) => {
            // decompressed into an unnamed temporary file, not memory: the parser needs to
            // seek, and a compressed EVTX (or a gzip bomb named .evtx.gz) may be any size
            let spooled = tempfile::tempfile().and_then(|mut f| {
                let len = std::io::copy(&mut r, &mut f)?;
                std::io::Seek::rewind(&mut f)?;
                Ok((f, len))
            });
            match spooled {
                Ok((f, len)) => run(EvtxParser::from_read_seek(f), len, ctx, out),
                Err(e) => out.problem(
                    0,
                    Position::Record(0),
                    LineError::new(ProblemKind::Unreadable, io_message(&e)),
                ),
            }
        }
    }
}

/// Read every record through an opened parser; `len` is the (decompressed) file size.
fn run<T: std::io::Read + std::io::Seek + Send + 'static>(
    opened: evtx::err::Result<EvtxParser<T>>,
    len: u64,
    ctx: &ParseContext,
    out: &mut FileOutput,
) {
    let mut parser = match opened {
        Ok(p) => p,
        Err(e) => {
            let kind = if len < HEADER { ProblemKind::Truncated } else { ProblemKind::Unreadable };
            out.problem(
                0,
                Position::Record(0),
                LineError::new(kind, format!("not a readable EVTX file: {e}")),
            );
            return;
        }
    };
    let named_chunks = u64::from(parser.header().chunk_count);
    let threads = rayon::current_num_threads().max(1);
    let settings = ParserSettings::new().num_threads(threads).indent(false);
    parser = parser.with_configuration(settings);
    let lanl_start = ctx.lanl_start;

    let mut seq = 0u64;
    let mut last_id = 0u64;
    let mut chunk_checked = false;
    let records = parser
        .serialized_records(move |r| r.and_then(|r| render(r, lanl_start, &mut chunk_checked)));
    for item in records {
        seq += 1;
        match item {
            Ok(Record { id, bad_chunk, what }) => {
                last_id = id;
                if let Some(b) = bad_chunk {
                    out.problem(seq, Position::Record(id), b.problem(id));
                }
                match what {
                    Rendered::Skipped => out.ignored += 1,
                    Rendered::Event(ev) => out.push_event(Located {
                        ev: *ev,
                        order: seq,
                        position: Position::Record(id),
                        member: None,
                    }),
                    Rendered::Bad(err) => out.problem(seq, Position::Record(id), err),
                }
            }
            Err(e) => {
                let (pos, err) = problem_of(&e, last_id);
                out.problem(seq, pos, err);
            }
        }
    }
    out.lines = seq;
    // the crate stops quietly at the last whole chunk
    let whole_chunks = len.saturating_sub(HEADER) / CHUNK;
    let tail = len.saturating_sub(HEADER) % CHUNK;
    if tail != 0 || named_chunks > whole_chunks {
        out.problem(
            seq,
            Position::Record(last_id + 1),
            LineError::new(
                ProblemKind::Truncated,
                format!(
                    "file ends after {whole_chunks} whole chunks and {tail} bytes; its header names {named_chunks} chunks"
                ),
            ),
        );
    }
}
