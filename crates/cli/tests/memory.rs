//! The memory of an ingest does not grow with its input, in every format class: a gzipped
//! JSON array (`evtx_dump -o json` in a `.json.gz`), a gzip of text forced as `--format
//! winjson`, an `evtx_dump -o json` document with `Record N` lines, one JSON record far past
//! the record bound, a zip member of JSON lines, JSON lines and CSV as `export` writes them,
//! Zeek JSON, syslog (sshd), EVTX and gzipped EVTX (chunks of a real log from the corpus),
//! and the inventory (`--inventory`: a large hosts.csv, one of bad rows, one row far past the
//! line bound).
//!
//! Each input is ingested twice by the `hopscope` binary, as a child whose peak resident
//! memory (`ru_maxrss` from `wait4`) is measured: once small (a few MB) and once with 64 MB
//! more of the same content. The large one may take at most [`GROWTH`] more, plus
//! [`PER_EVENT`] for each extra event the case holds (the events wait in memory for their
//! run of up to 2 M events, about 64 bytes each) and [`PER_HOST`] for each extra inventory
//! row it holds. A reader that held the input whole, as text or parsed, would take at least
//! the 64 MB more (the attack that found this: a 9.4 MB gzipped JSON array took 1.1 GB), so
//! this fails for it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// What the large input may add to the peak beyond its events: buffers and their slack.
const GROWTH: u64 = 16 << 20;
/// What each event the case holds may add (twice the run buffer's 64 bytes: a growing
/// vector holds up to twice what it uses).
const PER_EVENT: u64 = 128;
/// What each inventory row the case holds may add: the row, its host in the catalog and
/// the columns of `hosts.parquet` as they are written.
const PER_HOST: u64 = 1024;
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

/// How an input's bytes are stored.
#[derive(Clone, Copy, PartialEq)]
enum Container {
    Plain,
    /// Concatenated gzip members (one compressed block written again and again), which every
    /// gzip reader reads as one stream.
    Gzip,
    /// One deflated member of a zip archive.
    Zip,
}

/// An input: its first bytes, a unit repeated to fill it, its last bytes.
struct Input {
    name: &'static str,
    head: Vec<u8>,
    unit: Vec<u8>,
    tail: Vec<u8>,
    container: Container,
    /// Arguments after the input and `--case`.
    args: &'static [&'static str],
    /// `{n}` in the unit is replaced by a running number (rows that must differ).
    numbered: bool,
    /// The input is this file of an inventory (`--inventory DIR`, this directory) read beside
    /// a small log.
    inventory: Option<&'static str>,
}

impl Input {
    fn new(name: &'static str, head: impl Into<Vec<u8>>, unit: impl Into<Vec<u8>>) -> Input {
        Input {
            name,
            head: head.into(),
            unit: unit.into(),
            tail: Vec::new(),
            container: Container::Plain,
            args: &[],
            numbered: false,
            inventory: None,
        }
    }
    fn tail(mut self, tail: impl Into<Vec<u8>>) -> Input {
        self.tail = tail.into();
        self
    }
    fn args(mut self, args: &'static [&'static str]) -> Input {
        self.args = args;
        self
    }
    fn stored(mut self, c: Container) -> Input {
        self.container = c;
        self
    }

    /// Write the input with at least `bytes` of units; returns its decompressed size.
    fn write(&self, path: &Path, bytes: u64) -> u64 {
        let file = std::fs::File::create(path).unwrap();
        let mut zip = None;
        let mut f: Box<dyn Write> = match self.container {
            Container::Zip => {
                let mut z = zip::ZipWriter::new(file);
                let o = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .large_file(true);
                z.start_file("member.jsonl", o).unwrap();
                zip = Some(z);
                Box::new(std::io::sink())
            }
            _ => Box::new(std::io::BufWriter::new(file)),
        };
        let mut size = 0u64;
        let mut put = |text: &[u8], f: &mut Box<dyn Write>| {
            size += text.len() as u64;
            match (self.container, zip.as_mut()) {
                (Container::Zip, Some(z)) => z.write_all(text).unwrap(),
                (Container::Gzip, _) => {
                    let mut z =
                        flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    z.write_all(text).unwrap();
                    f.write_all(&z.finish().unwrap()).unwrap();
                }
                _ => f.write_all(text).unwrap(),
            }
        };
        put(&self.head, &mut f);
        let per_block = ((1 << 20) / self.unit.len() + 1) as u64;
        let blocks = bytes.div_ceil(per_block * self.unit.len() as u64);
        let block: Vec<u8> = self.unit.repeat(per_block as usize);
        for b in 0..blocks {
            if self.numbered {
                let unit = String::from_utf8(self.unit.clone()).unwrap();
                let mut block = String::new();
                for i in 0..per_block {
                    block.push_str(&unit.replace("{n}", &(b * per_block + i).to_string()));
                }
                put(block.as_bytes(), &mut f);
            } else {
                put(&block, &mut f);
            }
        }
        put(&self.tail, &mut f);
        f.flush().unwrap();
        drop(f);
        if let Some(z) = zip {
            z.finish().unwrap();
        }
        size
    }
}

/// What one ingest held and took.
struct Measured {
    size: u64,
    events: u64,
    hosts: u64,
    peak: u64,
}

/// A log of two sshd logins, read beside an inventory.
const BESIDE: &str = "Jun  1 10:00:00 sg-ops-03 sshd[101]: Accepted password for alice from 10.0.0.1 port 50000 ssh2\n\
Jun  1 10:00:02 sg-ops-03 sshd[102]: Accepted publickey for bob from 10.0.0.1 port 50001 ssh2\n";

/// Ingest `input` of `bytes` units into a new case.
fn ingest(dir: &Path, input: &Input, bytes: u64) -> Measured {
    let inv = dir.join(input.inventory.unwrap_or("inv"));
    let path = if input.inventory.is_some() {
        std::fs::create_dir_all(&inv).unwrap();
        std::fs::write(dir.join("beside.log"), BESIDE).unwrap();
        inv.join(input.name)
    } else {
        dir.join(input.name)
    };
    let size = input.write(&path, bytes);
    let case = dir.join(format!("case-{bytes}"));
    let log = if input.inventory.is_some() { "beside.log" } else { input.name };
    let mut args =
        vec!["ingest", log, "--case", case.to_str().unwrap(), "--json", "--threads", "2"];
    if let Some(inv) = input.inventory {
        args.extend(["--inventory", inv, "--format", "sshd", "--year", "2019"]);
    }
    args.extend(input.args);
    let (code, stdout, stderr, peak) = run_measured(&args, dir);
    assert_eq!(code, 0, "{}: {stderr}", input.name);
    let m: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    std::fs::remove_file(path).unwrap();
    std::fs::remove_dir_all(case).unwrap();
    Measured {
        size,
        events: m["events"].as_u64().unwrap(),
        hosts: m["inventory"]["hosts"].as_u64().unwrap(),
        peak,
    }
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

/// The corpus beside the checkout (`../shared/corpus`, or `$HOPSCOPE_CORPUS`): `None`, said,
/// when it is missing, except under `CI=true`, where that fails.
fn corpus(rel: &str) -> Option<std::path::PathBuf> {
    let base = match std::env::var_os("HOPSCOPE_CORPUS") {
        Some(p) => std::path::PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    let path = base.join(rel);
    if path.exists() {
        return Some(path);
    }
    assert!(std::env::var("CI").as_deref() != Ok("true"), "corpus missing: {}", path.display());
    eprintln!("SKIPPED the EVTX inputs: corpus not found at {}", path.display());
    None
}

/// An EVTX input: a real log's file header, then its chunks again and again (the parser
/// reads chunks up to the file's end; the same records repeated).
fn evtx(name: &'static str, container: Container) -> Option<Input> {
    // the Application log: its events are not logons, so the case holds few
    let log = std::fs::read(corpus("windows-evtx/time-and-channel/many-events-application.evtx")?)
        .unwrap();
    let (head, chunks) = log.split_at(4096);
    Some(Input::new(name, head, chunks).stored(container))
}

fn inputs(dir: &Path) -> Vec<Input> {
    let (csv_head, csv_row, jsonl_row) = exported(dir);
    let pretty = |json: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        serde_json::to_string_pretty(&v).unwrap()
    };
    let hosts_head = "host,ips,site,country,role,lifecycle,notes\n";
    let mut v = vec![
        Input::new("array.json.gz", format!("[\n{LOGON},\n"), format!("{},\n", sysmon()))
            .tail(format!("{LOGON}\n]\n"))
            .stored(Container::Gzip),
        Input::new("forced.gz", "", "Jun  1 10:00:00 sg-ops-03 kernel: [ 1.000000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n")
            .stored(Container::Gzip)
            .args(&["--format", "winjson"]),
        Input::new(
            "records.json",
            format!("Record 1\n{}\n", pretty(LOGON)),
            format!("Record 2\n{}\n", pretty(&sysmon())),
        )
        .tail(format!("Record 3\n{}\n", pretty(LOGON))),
        // one record that never ends within the bound: an array of 64 MB of strings
        Input::new("giant.json", format!("[\n{LOGON},\n[\n"), format!("  \"{}\",\n", "g".repeat(120)))
            .tail(format!("  \"g\"],\n{LOGON}\n]\n")),
        // Windows JSON lines in a deflated zip member
        Input::new("member.zip", format!("{LOGON}\n"), format!("{}\n", sysmon()))
            .tail(format!("{LOGON}\n"))
            .stored(Container::Zip),
        Input::new("events.jsonl", "", jsonl_row).args(&["--format", "jsonl"]),
        Input::new("events.csv", csv_head, csv_row).args(&["--format", "csv"]),
        Input::new(
            "conn.log",
            r#"{"_path":"conn","ts":1559347200.1,"uid":"C0","id.orig_h":"10.0.0.1","id.orig_p":50000,"id.resp_h":"10.0.0.2","id.resp_p":22,"proto":"tcp","conn_state":"SF","history":"ShADadFf"}"#.to_string() + "\n",
            r#"{"_path":"conn","ts":1559347201.5,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":50001,"id.resp_h":"10.0.0.3","id.resp_p":80,"proto":"tcp","service":"http","conn_state":"SF","history":"ShADadFf"}"#.to_string() + "\n",
        )
        .args(&["--format", "zeek"]),
        Input::new(
            "auth.log",
            "Jun  1 10:00:00 sg-ops-03 sshd[101]: Accepted password for alice from 10.0.0.1 port 50000 ssh2\n",
            "Jun  1 10:00:01 sg-ops-03 kernel: [ 1.000000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n",
        )
        .tail("Jun  1 10:00:02 sg-ops-03 sshd[102]: Accepted publickey for bob from 10.0.0.1 port 50001 ssh2\n")
        .args(&["--format", "sshd", "--year", "2019"]),
        // an inventory of many hosts, each row with a long column hopscope does not read: the
        // rows are kept, the file is not
        Input {
            numbered: true,
            inventory: Some("hosts"),
            ..Input::new(
                "hosts.csv",
                hosts_head,
                format!("ws-{{n}},,tokyo,Japan,workstation,active,{}\n", "n".repeat(4000)),
            )
        },
        // rows that are each a problem (a lifecycle hopscope does not know): counted, a few kept
        Input {
            numbered: true,
            inventory: Some("bad-rows"),
            ..Input::new(
                "hosts.csv",
                hosts_head,
                "bad-{n},,tokyo,Japan,workstation,zombie,\n",
            )
        },
        // one row of 64 MB (a quote opened and never closed on it), rows before and after
        Input {
            inventory: Some("long-row"),
            ..Input::new("sites.csv", "cidr,site,country\n10.1.0.0/16,tokyo,Japan\n\"", "s".repeat(1000))
                .tail("\n10.2.0.0/16,osaka,Japan\n")
        },
    ];
    v.extend(evtx("log.evtx", Container::Plain));
    v.extend(evtx("log.evtx.gz", Container::Gzip));
    v
}

#[test]
fn the_memory_of_an_ingest_does_not_grow_with_its_input_in_any_format() {
    let d = tempfile::tempdir().unwrap();
    let mut failed = Vec::new();
    for input in inputs(d.path()) {
        let name = match input.inventory {
            Some(inv) => format!("{inv}/{}", input.name),
            None => input.name.to_string(),
        };
        // `HOPSCOPE_MEMORY_ONLY=WORD`: only the inputs whose name holds WORD
        if std::env::var("HOPSCOPE_MEMORY_ONLY").is_ok_and(|w| !name.contains(&w)) {
            continue;
        }
        let small = ingest(d.path(), &input, 2 << 20);
        let big = ingest(d.path(), &input, small.size + MORE);
        let allowed = small.peak
            + GROWTH
            + big.events.saturating_sub(small.events) * PER_EVENT
            + big.hosts.saturating_sub(small.hosts) * PER_HOST;
        let mb = |b: u64| b as f64 / (1 << 20) as f64;
        eprintln!(
            "{name:14} {:7.1} MB {:>9} events {:>6} hosts: peak {:6.1} MB | {:7.1} MB {:>9} events {:>6} hosts: peak {:6.1} MB (at most {:6.1} MB)",
            mb(small.size),
            small.events,
            small.hosts,
            mb(small.peak),
            mb(big.size),
            big.events,
            big.hosts,
            mb(big.peak),
            mb(allowed)
        );
        assert!(big.size >= small.size + MORE, "{name}");
        if big.peak > allowed {
            failed.push(name);
        }
    }
    assert!(failed.is_empty(), "memory grew with the input: {failed:?}");
}

/// `watch` reads a compressed log that appears in a watched directory (it cannot be
/// followed) a step at a time: a gzip of 64 MB more syslog (a gzip bomb's shape: 66 MB from
/// a few hundred KB) adds less than [`GROWTH`] to its peak. It was decompressed whole.
#[test]
fn watch_reads_a_compressed_log_in_bounded_memory() {
    let d = tempfile::tempdir().unwrap();
    let log = Input::new(
        "auth.log.gz",
        "Jun  1 10:00:00 sg-ops-03 sshd[101]: Accepted password for alice from 10.0.0.1 port 50000 ssh2\n",
        "Jun  1 10:00:01 sg-ops-03 kernel: [ 1.000000] usb 1-1: new high-speed USB device number 2 using ehci-pci\n",
    )
    .tail("Jun  1 10:00:02 sg-ops-03 sshd[102]: Accepted publickey for bob from 10.0.0.1 port 50001 ssh2\n")
    .stored(Container::Gzip);
    let watch = |bytes: u64| -> (u64, u64, String) {
        let dir = d.path().join(format!("logs-{bytes}"));
        std::fs::create_dir(&dir).unwrap();
        let size = log.write(&dir.join(log.name), bytes);
        let args = ["watch", dir.to_str().unwrap(), "--once", "--format", "sshd", "--year", "2019"];
        let (code, _, stderr, peak) = run_measured(&args, d.path());
        assert_eq!(code, 0, "{stderr}");
        std::fs::remove_dir_all(dir).unwrap();
        (size, peak, stderr)
    };
    let (small_size, small_peak, _) = watch(2 << 20);
    let (big_size, big_peak, stderr) = watch(small_size + MORE);
    let mb = |b: u64| b as f64 / (1 << 20) as f64;
    eprintln!(
        "watch auth.log.gz {:7.1} MB: peak {:6.1} MB | {:7.1} MB: peak {:6.1} MB (at most {:6.1} MB)",
        mb(small_size),
        mb(small_peak),
        mb(big_size),
        mb(big_peak),
        mb(small_peak + GROWTH)
    );
    assert!(stderr.contains("read whole"), "{stderr}");
    assert!(big_peak <= small_peak + GROWTH, "memory grew with the input");
}
