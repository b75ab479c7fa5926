//! What ingest reads is what the input holds, however it arrives: a regular file, or a
//! stream (a pipe, `/proc/self/fd/N`, a named FIFO, a device) read once, in order, to its
//! end; with or without a UTF-8 byte order mark; with lines ended by `\n`, `\r\n` or a lone
//! `\r`. And a directory walk goes on past what it cannot read.

mod support;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use hopscope_ingest::{IngestOptions, ProblemKind};
use hopscope_model::Inventory;

/// LANL lines, `n` of them, with a few bad ones.
fn lanl(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i % 997 == 5 {
            s.push_str("not,a,lanl,line\n");
            continue;
        }
        let (a, b, u) = (i * 7 % 97, i * 13 % 89, i * 5 % 61);
        s.push_str(&format!(
            "{},U{u}@DOM1,U{u}@DOM1,C{a},C{b},NTLM,Network,LogOn,Success\n",
            i / 10 + 1
        ));
    }
    s
}

fn opts() -> IngestOptions {
    // small chunks and several workers: a regular file of a few kB is cut into many chunks
    IngestOptions { chunk_bytes: 4096, threads: 3, year: Some(2019), ..Default::default() }
}

fn ingest(path: &Path, opts: IngestOptions) -> support::Ingested {
    support::ingest_with(&[path.to_path_buf()], opts, &Inventory::default())
}

/// Write `bytes` into the write end of a pipe on another thread, as `cat` would.
fn feed(mut w: impl Write + Send + 'static, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        // in pieces, as a producer writes: a reader must not mistake a short read for the end
        for piece in bytes.chunks(1000) {
            if w.write_all(piece).is_err() {
                return;
            }
        }
    })
}

/// Assert that `got` holds exactly what reading the regular file gave.
fn assert_same(got: &support::Ingested, want: &support::Ingested, what: &str) {
    let (g, w) = (&got.summary.sources[0], &want.summary.sources[0]);
    assert_eq!(got.events, want.events, "{what}: events");
    assert_eq!(g.lines, w.lines, "{what}: lines");
    assert_eq!(g.bytes, w.bytes, "{what}: bytes");
    assert_eq!(g.sha256, w.sha256, "{what}: sha256");
    assert_eq!(got.summary.problems.counts, want.summary.problems.counts, "{what}: problems");
}

/// The kinds of stream a user gives: an anonymous pipe named by `/proc/self/fd/N` (what
/// `/dev/stdin` and `<(cmd)` are) and a named FIFO; each read like the file itself.
#[test]
fn every_kind_of_stream_is_read_once_in_order_and_whole() {
    let d = tempfile::tempdir().unwrap();
    let text = lanl(20_000); // ~1 MB: many chunks were it a file, many pipe buffers
    let file = d.path().join("auth.txt");
    std::fs::write(&file, &text).unwrap();
    let want = ingest(&file, opts());
    assert!(want.events.len() > 19_000);
    assert!(want.summary.problems.total() >= 20, "{:?}", want.summary.problems.counts);

    // an anonymous pipe, by its /proc/self/fd name
    let (r, w) = std::io::pipe().unwrap();
    let writer = feed(w, text.clone().into_bytes());
    let path = PathBuf::from(format!("/proc/self/fd/{}", r.as_raw_fd()));
    let got = ingest(&path, opts());
    writer.join().unwrap();
    drop(r);
    assert_same(&got, &want, "anonymous pipe");

    // a named FIFO whose writer ends before the end is read
    let fifo = d.path().join("fifo");
    let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(status.success());
    let writer = {
        let (fifo, text) = (fifo.clone(), text.clone());
        std::thread::spawn(move || {
            let w = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            feed(w, text.into_bytes()).join().unwrap();
        })
    };
    let got = ingest(&fifo, opts());
    writer.join().unwrap();
    assert_same(&got, &want, "named FIFO");
}

/// Compressed and headed inputs through a pipe: decompressed from the one read, the CSV header
/// kept for every line after it.
#[test]
fn compressed_and_csv_streams_are_read_like_files() {
    let d = tempfile::tempdir().unwrap();
    let mut csv = String::from("time,src_host,src_ip,dst_host,dst_ip,user,outcome\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "2019-01-01T00:{:02}:{:02}Z,h{},,d{},,u{},success\n",
            i / 60 % 60,
            i % 60,
            i % 17,
            i % 13,
            i % 7
        ));
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(lanl(5000).as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    for (name, bytes) in [("auth.txt.gz", gz), ("events.csv", csv.into_bytes())] {
        let file = d.path().join(name);
        std::fs::write(&file, &bytes).unwrap();
        let want = ingest(&file, opts());
        assert!(want.events.len() >= 3000, "{name}: {}", want.events.len());
        let (r, w) = std::io::pipe().unwrap();
        let writer = feed(w, bytes);
        let got = ingest(&PathBuf::from(format!("/proc/self/fd/{}", r.as_raw_fd())), opts());
        writer.join().unwrap();
        assert_same(&got, &want, name);
    }
}

/// One pipe named twice is read once, and the second name says why it holds nothing.
#[test]
fn a_pipe_named_twice_is_read_once_and_said() {
    let text = lanl(3000);
    let (r, w) = std::io::pipe().unwrap();
    let writer = feed(w, text.clone().into_bytes());
    let path = PathBuf::from(format!("/proc/self/fd/{}", r.as_raw_fd()));
    let got = support::ingest_with(&[path.clone(), path], opts(), &Inventory::default());
    writer.join().unwrap();
    let s = &got.summary.sources;
    assert_eq!(s[0].lines, 3000);
    assert_eq!(s[1].lines, 0);
    assert_eq!(s[1].problems.counts.get(&ProblemKind::Unreadable), Some(&1));
    let msg = &s[1].problems.first().unwrap().message;
    assert!(msg.contains("can be read only once"), "{msg}");
}

/// A character device is a stream too: `/dev/null` is read (empty) and said to be no format,
/// not waited on.
#[test]
fn a_character_device_is_read_as_a_stream() {
    let got = ingest(Path::new("/dev/null"), opts());
    let s = &got.summary.sources[0];
    assert_eq!(s.lines, 0);
    assert_eq!(s.problems.counts.get(&ProblemKind::UnrecognisedFormat), Some(&1));
}

/// An EVTX file through a pipe (the Windows reader needs a file: the stream is copied once).
#[test]
fn an_evtx_stream_reads_like_the_file() {
    let Some(file) = support::corpus("windows-evtx/mitre-lateral-movement").and_then(|dir| {
        let mut files: Vec<PathBuf> =
            walk(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "evtx")).collect();
        files.sort();
        files.into_iter().next()
    }) else {
        return;
    };
    let want = ingest(&file, opts());
    assert!(!want.events.is_empty(), "{}", file.display());
    let (r, w) = std::io::pipe().unwrap();
    let writer = feed(w, std::fs::read(&file).unwrap());
    let got = ingest(&PathBuf::from(format!("/proc/self/fd/{}", r.as_raw_fd())), opts());
    writer.join().unwrap();
    assert_same(&got, &want, "evtx through a pipe");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
