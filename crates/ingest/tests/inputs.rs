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

/// A few lines of every text format, each giving events without a problem.
fn samples() -> Vec<(&'static str, String)> {
    let zeek_tsv = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
        #path\tssh\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts\n\
        #types\ttime\tstring\taddr\tport\taddr\tport\tcount\tbool\tcount\n\
        1521911799.739898\tC2\t10.0.0.227\t59849\t10.47.8.50\t22\t2\tT\t3\n\
        1521911800.000001\tC3\t10.0.0.227\t59850\t10.47.8.51\t22\t2\tF\t1\n";
    let zeek_json = concat!(
        r#"{"_path":"ssh","ts":1521911799.739898,"uid":"C2","id.orig_h":"10.0.0.227","id.resp_h":"10.47.8.50","auth_success":true,"auth_attempts":1}"#,
        "\n",
        r#"{"_path":"ssh","ts":1521911800.5,"uid":"C3","id.orig_h":"10.0.0.227","id.resp_h":"10.47.8.51","auth_success":false,"auth_attempts":2}"#,
        "\n"
    );
    let logon = r#"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob"}"#;
    let winjson = format!("{logon}\n{}\n", logon.replace("bob", "alice"));
    let sshd = "Dec 10 06:55:46 LabSZ sshd[24200]: Accepted password for root from 173.234.31.186 port 38926 ssh2\n\
        Dec 10 06:55:48 LabSZ sshd[24201]: Failed password for invalid user webmaster from 173.234.31.186 port 38927 ssh2\n\
        Dec 10 07:02:47 LabSZ sshd[24203]: Accepted publickey for fztu from 119.137.62.142 port 49116 ssh2\n";
    let csv = "time,src_host,src_ip,dst_host,dst_ip,user,outcome\n\
        2019-01-01T00:00:00Z,h1,,d1,,u1,success\n2019-01-01T00:00:05Z,h2,,d2,,u2,failure\n";
    let jsonl = concat!(
        r#"{"time":"2019-01-01T00:00:00Z","src_host":"h1","dst_host":"d1","user":"u1","outcome":"success"}"#,
        "\n",
        r#"{"time":"2019-01-01T00:00:05Z","src_host":"h2","dst_host":"d2","user":"u2","outcome":"failure"}"#,
        "\n"
    );
    vec![
        ("lanl", lanl(300).replace("not,a,lanl,line\n", "")),
        ("lanl-redteam", "151036,U748@DOM1,C17693,C728\n151040,U748@DOM1,C728,C1\n".into()),
        ("sshd", sshd.into()),
        ("csv", csv.into()),
        ("jsonl", jsonl.into()),
        ("zeek-tsv", zeek_tsv.into()),
        ("zeek-json", zeek_json.into()),
        ("winjson", winjson),
    ]
}

/// What one input gave: events and labels, lines, problems.
fn outcome(path: &Path, opts: IngestOptions) -> (usize, u64, u64, u64) {
    let got = ingest(path, opts);
    let s = &got.summary.sources[0];
    (got.events.len(), s.labels, s.lines, got.summary.problems.total())
}

/// A UTF-8 byte order mark, CRLF line ends, lone CR line ends, or both: every text format
/// reads the same events and lines as with plain `\n`, as a file (whole, and cut in chunks)
/// and through a pipe.
#[test]
fn bom_and_every_line_end_read_alike_in_every_text_format() {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in samples() {
        let plain = d.path().join(format!("{name}.plain"));
        std::fs::write(&plain, &text).unwrap();
        let want = outcome(&plain, opts());
        assert!(want.0 + want.1 as usize >= 2, "{name}: {want:?}");
        assert_eq!(want.3, 0, "{name}: the sample reads without a problem");
        let crlf = text.replace('\n', "\r\n");
        let cr = text.replace('\n', "\r");
        for (variant, body) in [
            ("bom", format!("\u{feff}{text}")),
            ("crlf", crlf.clone()),
            ("cr", cr.clone()),
            ("bom-cr", format!("\u{feff}{cr}")),
            ("bom-crlf", format!("\u{feff}{crlf}")),
        ] {
            let what = format!("{name} {variant}");
            let path = d.path().join(format!("{name}.{variant}"));
            std::fs::write(&path, &body).unwrap();
            assert_eq!(outcome(&path, opts()), want, "{what}: a file in chunks");
            let whole = IngestOptions { chunk_bytes: 1 << 30, ..opts() };
            assert_eq!(outcome(&path, whole), want, "{what}: a file in one piece");
            let (r, w) = std::io::pipe().unwrap();
            let writer = feed(w, body.into_bytes());
            let piped = outcome(&PathBuf::from(format!("/proc/self/fd/{}", r.as_raw_fd())), opts());
            writer.join().unwrap();
            assert_eq!(piped, want, "{what}: a pipe");
        }
    }
}

/// RFC 3339 reaches 9999-12-31T23:59:59Z: such a time is read. A time past it (an epoch or
/// LANL second too big, which used to be clamped into range) is a counted, located problem.
#[test]
fn times_past_year_9999_are_problems_and_9999_itself_is_read() {
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("events.csv");
    std::fs::write(
        &csv,
        "time,src_host,src_ip,dst_host,dst_ip,user,outcome\n\
         9999-12-31T23:59:59Z,h1,,d1,,u1,success\n\
         2019-01-01T00:00:00Z,h1,,d1,,u1,success\n",
    )
    .unwrap();
    let got = ingest(&csv, opts());
    assert_eq!(got.events.len(), 2, "{:?}", got.summary.problems);
    assert_eq!(
        got.summary.sources[0].last_time.map(|t| t.to_rfc3339()).as_deref(),
        Some("9999-12-31T23:59:59Z")
    );

    let cases = [
        (
            "zeek.json",
            concat!(
                r#"{"_path":"ssh","ts":1521911799.5,"uid":"C2","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","auth_success":true}"#,
                "\n",
                r#"{"_path":"ssh","ts":100000000000000.5,"uid":"C3","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","auth_success":true}"#,
                "\n"
            )
            .to_string(),
        ),
        (
            "auth.txt",
            "1,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success\n\
             999999999999999,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success\n"
                .to_string(),
        ),
        ("redteam.txt", "151036,U748@DOM1,C17693,C728\n999999999999999,U1@DOM1,C1,C2\n".into()),
    ];
    for (name, text) in cases {
        let path = d.path().join(name);
        std::fs::write(&path, text).unwrap();
        let got = ingest(&path, opts());
        let s = &got.summary.sources[0];
        assert_eq!(got.events.len() as u64 + s.labels, 1, "{name}");
        assert_eq!(got.summary.problems.counts.get(&ProblemKind::BadTime), Some(&1), "{name}");
        let p = got.summary.problems.first().unwrap();
        assert_eq!(p.position, hopscope_model::Position::Line(2), "{name}");
        assert!(p.message.contains("after year 9999"), "{name}: {}", p.message);
    }
}
