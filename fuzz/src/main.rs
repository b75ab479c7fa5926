//! hopscope's coverage-guided fuzz targets, one binary for all of them:
//! `hopscope-fuzz TARGET` reads inputs from AFL++ (persistent mode), or one input from
//! standard input when run by hand (to reproduce a crash: `hopscope-fuzz sshd < crash`).
//!
//! Every target asserts that no input makes hopscope panic (a panic aborts, and AFL++ keeps
//! the input as a crash) and, where it is cheap, an invariant of what was read: every event
//! and every problem names a line inside the input, the pipeline's counts agree with what it
//! handed over, the same bytes fed to `watch` in two pieces read as they do whole, a case
//! that opens reads exactly the rows its manifest counts. docs/reliability.md (Fuzzing) lists
//! the targets and how long each has run.

use std::path::{Path, PathBuf};

use hopscope_ingest::stream::{LineSource, Parsed};
use hopscope_ingest::{Format, IngestOptions, ParseContext, SinkItem};
use hopscope_model::{Catalog, Event, EventTable, Inventory, Position};

mod case;
mod watch;
/// `hopscope watch --state`'s checkpoint reader, compiled here as it is in the CLI (which is
/// a binary crate only): the fuzzer reads checkpoints with the very code `watch` uses.
#[path = "../../crates/cli/src/watch_state.rs"]
#[allow(dead_code)]
mod watch_state;

/// The fuzz targets: name, what it reads.
const TARGETS: &[(&str, &str)] = &[
    ("sshd", "OpenSSH/dropbear syslog and journal lines (ingest and watch)"),
    ("evtx", "Windows .evtx files"),
    ("winjson", "Windows JSON / JSON lines dialects and zips of them (ingest and watch)"),
    ("zeek", "Zeek TSV and JSON logs (ingest and watch)"),
    ("lanl", "LANL auth.txt and redteam.txt (ingest and watch)"),
    ("wtmp", "Linux wtmp/utmp/btmp login records, every layout"),
    ("audit", "Linux auditd audit.log login records (ingest and watch)"),
    ("csv", "hopscope's normalised CSV (ingest and watch)"),
    ("jsonl", "hopscope's normalised JSON lines (ingest and watch)"),
    ("detect", "any file with no format given: detection, decompression, then its parser"),
    ("case", "a case directory: manifest.json or one of its Parquet files"),
    ("watch_state", "a watch checkpoint (state.bin) payload"),
    ("inventory", "hosts.csv, sites.csv and data.csv (split at NUL bytes)"),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_default();
    if target == "--list" {
        for (name, what) in TARGETS {
            println!("{name}\t{what}");
        }
        return;
    }
    if target == "--case-seeds" {
        // the case target's seeds: the template case's files, each behind its selector byte
        let out = PathBuf::from(args.next().expect("--case-seeds DIR"));
        case::write_seeds(&out);
        return;
    }
    if !TARGETS.iter().any(|(n, _)| *n == target) {
        eprintln!("usage: hopscope-fuzz TARGET (one of: --list)");
        std::process::exit(2);
    }
    // one worker thread: deterministic coverage, and the machine is shared
    let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
    let scratch = Scratch::new();
    let case_template = (target == "case").then(|| case::Template::new(&scratch.dir));
    afl::fuzz!(|data: &[u8]| {
        match target.as_str() {
            "sshd" => lines(Format::Sshd, data, &scratch),
            "audit" => lines(Format::Audit, data, &scratch),
            "zeek" => lines(Format::Zeek, data, &scratch),
            "csv" => lines(Format::Csv, data, &scratch),
            "jsonl" => lines(Format::Jsonl, data, &scratch),
            "lanl" => {
                lines(Format::Lanl, data, &scratch);
                lines(Format::LanlRedteam, data, &scratch);
            }
            "winjson" => {
                ingest(Some(Format::Winjson), data, &scratch);
                follow(Format::Winjson, data);
            }
            "evtx" => {
                ingest(Some(Format::Evtx), data, &scratch);
            }
            "wtmp" => {
                ingest(Some(Format::Wtmp), data, &scratch);
                ingest(Some(Format::Btmp), data, &scratch);
            }
            "detect" => {
                let _ = hopscope_ingest::detect(data);
                ingest(None, data, &scratch);
            }
            "case" => case_template.as_ref().expect("template").run(data),
            "watch_state" => watch::run(data, &scratch.dir),
            "inventory" => inventory(data, &scratch.dir),
            _ => unreachable!(),
        }
    });
}

/// A private directory for the files the targets write (under /dev/shm when it exists).
pub struct Scratch {
    pub dir: PathBuf,
    input: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        // the process never ends by returning (AFL++ stops it), so the directory stays:
        // HOPSCOPE_FUZZ_SCRATCH names a base its runner removes afterwards
        let base = if let Some(dir) = std::env::var_os("HOPSCOPE_FUZZ_SCRATCH") {
            PathBuf::from(dir)
        } else if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("hopscope-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let input = dir.join("input");
        Scratch { dir, input }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Lines in `data` split at `\n` (as `watch` is handed them), a last unterminated one included.
fn line_count(data: &[u8]) -> u64 {
    let n = data.iter().filter(|&&b| b == b'\n').count() as u64;
    n + u64::from(!data.is_empty() && !data.ends_with(b"\n"))
}

/// Lines in `data` as ingest counts them: ended by `\n`, `\r\n` or a lone `\r`
/// (docs/formats.md), a last unterminated one included.
fn text_line_count(data: &[u8]) -> u64 {
    let mut n = 0u64;
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'\n' => n += 1,
            b'\r' if data.get(i + 1) == Some(&b'\n') => {
                n += 1;
                i += 1;
            }
            b'\r' => n += 1,
            _ => {}
        }
        i += 1;
    }
    n + u64::from(!data.is_empty() && !matches!(data.last(), Some(b'\n' | b'\r')))
}

/// A line-format target: the bytes as an ingested file, then as a followed (`watch`) input.
fn lines(format: Format, data: &[u8], scratch: &Scratch) {
    ingest(Some(format), data, scratch);
    follow(format, data);
}

/// `data` as one file through the ingest pipeline (the path `hopscope ingest` takes), with
/// `format` forced (`None`: detected). Checks that the events handed over are those the
/// source report counts and that each names a line (or a record) the file has.
fn ingest(format: Option<Format>, data: &[u8], scratch: &Scratch) {
    std::fs::write(&scratch.input, data).expect("write the input");
    let run = |chunk_bytes: u64| {
        let opts = IngestOptions {
            format,
            threads: 1,
            chunk_bytes,
            cut_bytes: chunk_bytes,
            batch_events: 64,
            ..IngestOptions::default()
        };
        let mut catalog = Catalog::default();
        let mut events = EventTable::default();
        let mut labels = 0u64;
        let summary = hopscope_ingest::run(
            std::slice::from_ref(&scratch.input),
            &opts,
            &mut catalog,
            &Inventory::default(),
            &mut |item| {
                match item {
                    SinkItem::Events(t) => events.extend_from(&t),
                    SinkItem::Labels(l) => labels += l.len() as u64,
                    SinkItem::Cut => {}
                }
                Ok(())
            },
            &|_| {},
        )
        .expect("a run without --strict and with a sink that takes everything ends well");
        assert_eq!(summary.sources.len(), 1);
        let report = &summary.sources[0];
        assert_eq!(report.events, events.len() as u64, "events counted = events handed over");
        assert_eq!(summary.events, events.len() as u64);
        assert_eq!(report.labels, labels, "labels counted = labels handed over");
        let whole_file = report.format.is_some_and(Format::whole_file);
        let records = report.format.is_some_and(Format::binary_records);
        // hopscope's own CSV and JSON lines name the evidence they were exported from
        let own_evidence = !matches!(report.format, Some(Format::Csv | Format::Jsonl));
        for e in events.iter().filter(|_| own_evidence) {
            match e.evidence.position {
                Position::Line(n) => assert!(
                    !records && (1..=report.lines.max(1)).contains(&n),
                    "event at line {n} of a {}-line {:?} file",
                    report.lines,
                    report.format
                ),
                Position::Record(n) if records => assert!(
                    (1..=report.lines).contains(&n),
                    "event at record {n} of a {}-record file",
                    report.lines
                ),
                Position::Record(_) => assert!(
                    whole_file,
                    "a record position from the line format {:?}",
                    report.format
                ),
            }
        }
        if report.compressed.is_none() && report.format.is_some() && !whole_file {
            let most = if records {
                // the smallest layout is 384 bytes a record; a last one may be cut short
                (data.len() as u64).div_ceil(384)
            } else {
                text_line_count(data)
            };
            assert!(
                report.lines <= most,
                "{} lines or records read of at most {most}",
                report.lines
            );
        }
        let mut events: Vec<Event> = events.iter().collect();
        // a total order: two events may share time and position (one cited by an exported row)
        events.sort_by_cached_key(|e| format!("{e:?}"));
        (events, report.lines, report.problems.clone())
    };
    let whole = run(IngestOptions::default().chunk_bytes);
    // a file cut into many small chunks, parsed separately, reads like one piece
    if format.is_some_and(Format::chunkable) {
        let small = run(64);
        assert_eq!(whole.0, small.0, "events of the file whole and cut in 64-byte chunks");
        assert_eq!(whole.1, small.1, "lines of the file whole and cut in 64-byte chunks");
    }
}

/// `data` as a followed input (`hopscope watch`), whole and in two pieces cut after a line:
/// the parser's state carries across pieces, so both read the same.
fn follow(format: Format, data: &[u8]) {
    let ctx = ParseContext {
        path: "fuzz".into(),
        year: Some(2020),
        header: data
            .split(|&b| b == b'\n')
            .next()
            .map(|l| String::from_utf8_lossy(l).trim_end_matches('\r').to_string()),
        ..ParseContext::default()
    };
    let read = |pieces: &[&[u8]]| {
        let mut catalog = Catalog::default();
        let inventory = Inventory::default();
        let Ok(mut src) = LineSource::new(format, "fuzz", ctx.clone(), &mut catalog) else {
            return None;
        };
        let mut events = Vec::new();
        let mut problems = Vec::new();
        let mut take = |p: Parsed| {
            events.extend(p.events.iter());
            problems.extend(p.problems.iter().map(|p| (p.position, p.kind)));
        };
        for piece in pieces {
            take(src.parse(piece, &mut catalog, &inventory));
        }
        take(src.release_all(&mut catalog, &inventory));
        let lines = src.lines();
        assert_eq!(lines, line_count(data), "lines followed");
        for (pos, _) in &problems {
            if let Position::Line(n) = pos {
                assert!((1..=lines).contains(n), "problem at line {n} of {lines}");
            }
        }
        let own_evidence = !matches!(format, Format::Csv | Format::Jsonl);
        for e in events.iter().filter(|_| own_evidence) {
            match e.evidence.position {
                Position::Line(n) => {
                    assert!((1..=lines).contains(&n), "event at line {n} of {lines}")
                }
                p => panic!("a followed line format gave {p:?}"),
            }
        }
        // a total order: two events may share time and position (one cited by an exported row)
        events.sort_by_cached_key(|e| format!("{e:?}"));
        problems.sort();
        Some((events, problems))
    };
    let whole = read(&[data]);
    // cut after the middle line
    let newlines: Vec<usize> =
        data.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i).collect();
    if let Some(&cut) = newlines.get(newlines.len() / 2) {
        let (a, b) = data.split_at(cut + 1);
        if !b.is_empty() {
            let pieces = read(&[a, b]);
            assert_eq!(whole, pieces, "{format} followed whole and in two pieces");
        }
    }
}

/// The inventory reader: `data` split at NUL bytes into hosts.csv, sites.csv and data.csv.
fn inventory(data: &[u8], scratch: &Path) {
    let dir = scratch.join("inventory");
    let _ = std::fs::create_dir_all(&dir);
    let names = ["hosts.csv", "sites.csv", "data.csv"];
    let mut parts = data.splitn(3, |&b| b == 0);
    let mut lines = [0u64; 3];
    for (i, name) in names.iter().enumerate() {
        let path = dir.join(name);
        match parts.next() {
            Some(p) => {
                std::fs::write(&path, p).expect("write");
                // read as a stream of lines like every text format: `\n`, `\r\n` or a lone `\r`
                lines[i] = text_line_count(p);
            }
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let loaded = hopscope_ingest::inventory_csv::load(&dir).expect("the directory exists");
    for p in &loaded.problems {
        let i = names.iter().position(|n| p.file.ends_with(n)).expect("a problem names its file");
        if let Position::Line(n) = p.position {
            assert!((1..=lines[i].max(1)).contains(&n), "{} line {n} of {}", p.file, lines[i]);
        }
    }
}
