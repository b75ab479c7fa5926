//! The memory of an ingest does not grow with its input, in every format class: a gzipped
//! JSON array (`evtx_dump -o json` in a `.json.gz`), a gzip of text forced as `--format
//! winjson`, an `evtx_dump -o json` document with `Record N` lines, one JSON record far past
//! the record bound, JSON lines and CSV as `export` writes them, Zeek JSON and syslog (sshd).
//!
//! Each input is ingested twice by the `hopscope` binary, as a child whose peak resident
//! memory (`ru_maxrss` from `wait4`) is measured: once small (a few MB) and once with 64 MB
//! more of the same content. The large one may take at most [`GROWTH`] more, plus
//! [`PER_EVENT`] for each extra event the case holds (the events wait in memory for their
//! run of up to 2 M events, about 64 bytes each). A reader that held the input whole, as text
//! or parsed, would take at least the 64 MB more (the attack that found this: a 9.4 MB
//! gzipped JSON array took 1.1 GB), so this fails for it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What the large input may add to the peak beyond its events: buffers and their slack.
const GROWTH: u64 = 16 << 20;
/// What each event the case holds may add (twice the run buffer's 64 bytes: a growing
/// vector holds up to twice what it uses).
const PER_EVENT: u64 = 128;
/// How much larger the large input is (decompressed): four times [`GROWTH`].
const MORE: u64 = 64 << 20;

/// Run `hopscope ARGS` in `cwd`; its exit code, standard output
/// and error, and peak resident memory in bytes (`wait4`'s `ru_maxrss` of this child alone).
fn run_measured(args: &[&str], cwd: &Path) -> (i32, String, String, u64) {
    let out = cwd.join(format!("stdout-{}", std::process::id()));
    let err = cwd.join(format!("stderr-{}", std::process::id()));
    let child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our child, not waited for elsewhere; the pointers are valid.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = std::io::Error::last_os_error();
        assert_eq!(e.kind(), std::io::ErrorKind::Interrupted, "wait4: {e}");
    }
    drop(child); // reaped above; dropping a Child does not wait
    use std::os::unix::process::ExitStatusExt;
    let code = std::process::ExitStatus::from_raw(status).code().unwrap_or(-1);
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    std::fs::remove_file(out).unwrap();
    std::fs::remove_file(err).unwrap();
    (code, stdout, stderr, usage.ru_maxrss as u64 * 1024)
}

/// An input: its first bytes, a unit repeated to fill it, its last bytes.
struct Input {
    name: &'static str,
    head: String,
    unit: String,
    tail: String,
    gzip: bool,
    /// Arguments after the input and `--case`.
    args: &'static [&'static str],
}

impl Input {
    /// Write the input with `bytes` of units; returns its decompressed size. A gzip is
    /// written as concatenated members (one compressed block of units written again and
    /// again), which every gzip reader reads as one stream.
    fn write(&self, path: &Path, bytes: u64) -> u64 {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let block: String = self.unit.repeat((1 << 20) / self.unit.len() + 1);
        let blocks = bytes.div_ceil(block.len() as u64);
        let piece = |text: &str| -> Vec<u8> {
            if !self.gzip {
                return text.as_bytes().to_vec();
            }
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(text.as_bytes()).unwrap();
            z.finish().unwrap()
        };
        f.write_all(&piece(&self.head)).unwrap();
        let b = piece(&block);
        for _ in 0..blocks {
            f.write_all(&b).unwrap();
        }
        f.write_all(&piece(&self.tail)).unwrap();
        f.flush().unwrap();
        (self.head.len() + self.tail.len()) as u64 + blocks * block.len() as u64
    }
}

/// Ingest `input` of `bytes` units into a new case; (decompressed size, events, peak).
fn ingest(dir: &Path, input: &Input, bytes: u64) -> (u64, u64, u64) {
    let path = dir.join(input.name);
    let size = input.write(&path, bytes);
    let case = dir.join(format!("case-{bytes}"));
    let mut args =
        vec!["ingest", input.name, "--case", case.to_str().unwrap(), "--json", "--threads", "2"];
    args.extend(input.args);
    let (code, stdout, stderr, peak) = run_measured(&args, dir);
    assert_eq!(code, 0, "{}: {stderr}", input.name);
    let m: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    std::fs::remove_file(path).unwrap();
    std::fs::remove_dir_all(case).unwrap();
    (size, m["events"].as_u64().unwrap(), peak)
}

const LOGON: &str = r#"{"EventID":4624,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","TargetUserName":"bob"}"#;

/// A Sysmon process creation (ignored by its event id), with the long command line such
/// records carry.
fn sysmon() -> String {
    format!(
        r#"{{"EventID":1,"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:01Z","CommandLine":"{}"}}"#,
        "C:\\\\Windows\\\\System32\\\\svchost.exe -k netsvcs ".repeat(12)
    )
}

/// A header and an event line of CSV and JSON lines as `hopscope export` writes them, for a
/// LANL logon of an account with a long name.
fn exported(dir: &Path) -> (String, String, String) {
    let lanl =
        format!("1,U{0}@DOM1,U{0}@DOM1,C1,C2,Kerberos,Network,LogOn,Success\n", "u".repeat(200));
    std::fs::write(dir.join("auth.txt"), lanl).unwrap();
    let case = dir.join("exported");
    let args = ["ingest", "auth.txt", "--case", "exported", "--lanl-start", "2019-06-01T00:00:00Z"];
    let (code, _, stderr, _) = run_measured(&args, dir);
    assert_eq!(code, 0, "{stderr}");
    let export = |format: &str| {
        let (code, out, stderr, _) =
            run_measured(&["export", "--case", "exported", "--format", format], dir);
        assert_eq!(code, 0, "{stderr}");
        out
    };
    let csv = export("csv");
    let jsonl = export("jsonl");
    std::fs::remove_dir_all(case).unwrap();
    std::fs::remove_file(dir.join("auth.txt")).unwrap();
    let mut lines = csv.lines();
    let head = format!("{}\n", lines.next().unwrap());
    let row = format!("{}\n", lines.next().unwrap());
    (head, row, format!("{}\n", jsonl.lines().next().unwrap()))
}

fn inputs(dir: &Path) -> Vec<Input> {
    let (csv_head, csv_row, jsonl_row) = exported(dir);
    let pretty = |json: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    };
    vec![
        Input {
            name: "array.json.gz",
            head: format!("[\n{LOGON},\n"),
            unit: format!("{},\n", sysmon()),
            tail: format!("{LOGON}\n]\n"),
            gzip: true,
            args: &[],
        },
        Input {
            name: "forced.gz",
            head: String::new(),
            unit: "Jun  1 10:00:00 sg-ops-03 kernel: [ 1.000000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n".into(),
            tail: String::new(),
            gzip: true,
            args: &["--format", "winjson"],
        },
        Input {
            name: "records.json",
            head: format!("Record 1\n{}\n", pretty(LOGON)),
            unit: format!("Record 2\n{}\n", pretty(&sysmon())),
            tail: format!("Record 3\n{}\n", pretty(LOGON)),
            gzip: false,
            args: &[],
        },
        Input {
            // one record that never ends within the bound: an array of 64 MB of strings
            name: "giant.json",
            head: format!("[\n{LOGON},\n[\n"),
            unit: format!("  \"{}\",\n", "g".repeat(120)),
            tail: format!("  \"g\"],\n{LOGON}\n]\n"),
            gzip: false,
            args: &[],
        },
        Input {
            name: "events.jsonl",
            head: String::new(),
            unit: jsonl_row,
            tail: String::new(),
            gzip: false,
            args: &["--format", "jsonl"],
        },
        Input {
            name: "events.csv",
            head: csv_head,
            unit: csv_row,
            tail: String::new(),
            gzip: false,
            args: &["--format", "csv"],
        },
        Input {
            name: "conn.log",
            head: r#"{"_path":"conn","ts":1559347200.1,"uid":"C0","id.orig_h":"10.0.0.1","id.orig_p":50000,"id.resp_h":"10.0.0.2","id.resp_p":22,"proto":"tcp","conn_state":"SF","history":"ShADadFf"}"#.to_string() + "\n",
            unit: r#"{"_path":"conn","ts":1559347201.5,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":50001,"id.resp_h":"10.0.0.3","id.resp_p":80,"proto":"tcp","service":"http","conn_state":"SF","history":"ShADadFf"}"#.to_string() + "\n",
            tail: String::new(),
            gzip: false,
            args: &["--format", "zeek"],
        },
        Input {
            name: "auth.log",
            head: "Jun  1 10:00:00 sg-ops-03 sshd[101]: Accepted password for alice from 10.0.0.1 port 50000 ssh2\n".into(),
            unit: "Jun  1 10:00:01 sg-ops-03 kernel: [ 1.000000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n".into(),
            tail: "Jun  1 10:00:02 sg-ops-03 sshd[102]: Accepted publickey for bob from 10.0.0.1 port 50001 ssh2\n".into(),
            gzip: false,
            args: &["--format", "sshd", "--year", "2019"],
        },
    ]
}

#[test]
fn the_memory_of_an_ingest_does_not_grow_with_its_input_in_any_format() {
    let d = tempfile::tempdir().unwrap();
    let mut failed = Vec::new();
    for input in inputs(d.path()) {
        let (small_size, small_events, small_peak) = ingest(d.path(), &input, 2 << 20);
        let (big_size, big_events, big_peak) = ingest(d.path(), &input, small_size + MORE);
        let allowed = small_peak + GROWTH + big_events.saturating_sub(small_events) * PER_EVENT;
        let mb = |b: u64| b as f64 / (1 << 20) as f64;
        eprintln!(
            "{:14} {:7.1} MB {:>9} events: peak {:6.1} MB | {:7.1} MB {:>9} events: peak {:6.1} MB (at most {:6.1} MB)",
            input.name,
            mb(small_size),
            small_events,
            mb(small_peak),
            mb(big_size),
            big_events,
            mb(big_peak),
            mb(allowed)
        );
        assert!(big_size >= small_size + MORE, "{}", input.name);
        if big_peak > allowed {
            failed.push(input.name);
        }
    }
    assert!(failed.is_empty(), "memory grew with the input: {failed:?}");
}
