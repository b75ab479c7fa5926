//! Linux login records beyond syslog, read from files made with the system's own tools
//! (`tests/data/linux/README.md` says how): wtmp and btmp as `utmpdump -r` writes them, in
//! the 32-bit layout of x86-64 glibc, and the same records laid out as the 64-bit layout
//! (aarch64, s390x) and in big-endian byte order; damaged and cut-short files.

mod support;

use std::path::{Path, PathBuf};

use hopscope_ingest::normalized::ExportRow;
use hopscope_ingest::{Format, IngestOptions, ProblemKind};
use hopscope_model::Inventory;

fn data(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/linux").join(rel)
}

fn ingest(paths: &[PathBuf]) -> support::Ingested {
    support::ingest_with(paths, IngestOptions::default(), &Inventory::default())
}

/// Each event as `time src dst user logon_type outcome/orientation record`.
fn rows(got: &support::Ingested) -> Vec<String> {
    got.events
        .iter()
        .map(|e| {
            let r = ExportRow::from_event(&e, &got.catalog);
            let s = |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().unwrap_or("-").to_string();
            let src = format!("{}/{}", s(&r.src_host), s(&r.src_ip));
            format!(
                "{} {} {} {} {} {}/{} #{} {}",
                r.time,
                src,
                s(&r.dst_host),
                s(&r.user),
                r.logon_type,
                r.outcome,
                r.orientation,
                r.evidence.as_ref().and_then(|e| e.record).unwrap_or(0),
                r.format
            )
        })
        .collect()
}

const WTMP: &[&str] = &[
    "2019-09-10T08:14:52.000313Z -/- th-app-02 root interactive success/logon #4 wtmp",
    "2019-09-10T08:20:13.877410Z -/- th-app-02 root interactive unknown/logoff #5 wtmp",
    "2019-09-12T03:04:05.123456Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive success/logon #6 wtmp",
    "2019-09-12T03:09:40.500000Z sg-ops-03/10.30.0.3 th-app-02 svc_backup remote-interactive success/logon #7 wtmp",
    "2019-09-12T03:15:00Z internet/2001:db8:30::3 th-app-02 deploy remote-interactive success/logon #8 wtmp",
    "2019-09-12T03:20:00Z -/- th-app-02 opsadmin interactive success/logon #9 wtmp",
    "2019-09-12T03:25:00Z -/- th-app-02 opsadmin interactive unknown/logoff #10 wtmp",
    "2019-09-12T04:02:11Z sg-ops-03/10.30.0.3 th-app-02 svc_backup remote-interactive unknown/logoff #11 wtmp",
    "2019-09-12T05:30:00Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive unknown/logoff #12 wtmp",
];

#[test]
fn wtmp_logins_logouts_and_what_is_skipped() {
    let got = ingest(&[data("th-app-02/wtmp")]);
    let src = &got.summary.sources[0];
    assert_eq!(src.format, Some(Format::Wtmp));
    assert_eq!(rows(&got), WTMP);
    // 13 records: 9 events, 4 boot/run-level/getty/shutdown records skipped and counted
    assert_eq!((src.lines, src.events, src.ignored), (13, 9, 4));
    assert_eq!(got.summary.problems.total(), 0);
    assert!(
        src.notes.iter().any(|n| n.contains("\"th-app-02\", the directory it lies in")),
        "{:?}",
        src.notes
    );
}

#[test]
fn btmp_records_are_failed_logons() {
    let got = ingest(&[data("th-app-02/btmp")]);
    let src = &got.summary.sources[0];
    assert_eq!(src.format, Some(Format::Btmp));
    assert_eq!(
        rows(&got),
        [
            "2019-09-11T21:40:02Z internet/203.0.113.77 th-app-02 root remote-interactive failure/logon #1 btmp",
            "2019-09-11T21:40:05Z internet/203.0.113.77 th-app-02 root remote-interactive failure/logon #2 btmp",
            "2019-09-11T21:40:09Z internet/203.0.113.77 th-app-02 admin remote-interactive failure/logon #3 btmp",
            "2019-09-12T03:03:51Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive failure/logon #4 btmp",
            "2019-09-12T07:00:00Z -/- th-app-02 rooot interactive failure/logon #5 btmp",
        ]
    );
    assert_eq!(got.summary.problems.total(), 0);
}

/// A directory holding both, as `hopscope ingest DIR` walks it; compressed rotations too.
#[test]
fn a_host_directory_with_rotated_and_compressed_files() {
    let d = tempfile::tempdir().unwrap();
    let host = d.path().join("th-app-02").join("var").join("log");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::copy(data("th-app-02/wtmp"), host.join("wtmp.1")).unwrap();
    let btmp = std::fs::read(data("th-app-02/btmp")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &btmp).unwrap();
    std::fs::write(host.join("btmp.1.gz"), gz.finish().unwrap()).unwrap();
    std::fs::write(host.join("wtmp"), b"").unwrap(); // rotated just now: empty
    let got = ingest(&[d.path().to_path_buf()]);
    let formats: Vec<_> = got.summary.sources.iter().map(|s| s.format).collect();
    assert_eq!(formats, [Some(Format::Btmp), Some(Format::Wtmp), Some(Format::Wtmp)]);
    assert_eq!(got.summary.problems.total(), 0, "{:?}", got.summary.problems);
    assert_eq!(got.events.len(), 5 + 9);
    assert!(rows(&got).iter().all(|r| r.contains(" th-app-02 ")));
}

/// The fields of one 384-byte record, re-laid as `layout` does.
fn relayout(rec: &[u8], bits64: bool, big_endian: bool) -> Vec<u8> {
    let i32_at = |o: usize| i32::from_le_bytes(rec[o..o + 4].try_into().unwrap());
    let mut out = vec![0u8; if bits64 { 400 } else { 384 }];
    let put = |out: &mut Vec<u8>, o: usize, b: &[u8]| out[o..o + b.len()].copy_from_slice(b);
    let kind = i16::from_le_bytes([rec[0], rec[1]]);
    let (pid, session, sec, usec) = (i32_at(4), i32_at(336), i32_at(340), i32_at(344));
    macro_rules! en {
        ($v:expr) => {
            if big_endian {
                $v.to_be_bytes().to_vec()
            } else {
                $v.to_le_bytes().to_vec()
            }
        };
    }
    put(&mut out, 0, &en!(kind));
    put(&mut out, 4, &en!(pid));
    put(&mut out, 8, &rec[8..336]); // line, id, user, host, exit (zero in these records)
    if bits64 {
        put(&mut out, 336, &en!(i64::from(session)));
        put(&mut out, 344, &en!(i64::from(sec)));
        put(&mut out, 352, &en!(i64::from(usec)));
        put(&mut out, 360, &rec[348..364]); // the address, in network order
    } else {
        put(&mut out, 336, &en!(session));
        put(&mut out, 340, &en!(sec));
        put(&mut out, 344, &en!(usec));
        put(&mut out, 348, &rec[348..364]);
    }
    out
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let host = dir.join("th-app-02");
    std::fs::create_dir_all(&host).unwrap();
    let p = host.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_layout_reads_the_same_records() {
    let wtmp = std::fs::read(data("th-app-02/wtmp")).unwrap();
    let d = tempfile::tempdir().unwrap();
    for (bits64, big_endian) in [(false, true), (true, false), (true, true)] {
        let bytes: Vec<u8> =
            wtmp.chunks(384).flat_map(|r| relayout(r, bits64, big_endian)).collect();
        let p = write(d.path(), "wtmp", &bytes);
        let got = ingest(&[p]);
        assert_eq!(rows(&got), WTMP, "64-bit {bits64}, big-endian {big_endian}");
        assert_eq!(got.summary.problems.total(), 0);
        assert!(got.summary.sources[0].notes.iter().any(|n| n.contains("layout")));
    }
    // one record alone: the size tells the layouts apart
    let one = relayout(&wtmp[5 * 384..6 * 384], true, false);
    let got = ingest(&[write(d.path(), "wtmp", &one)]);
    assert_eq!(rows(&got), [WTMP[2].replace("#6", "#1")]);
}

#[test]
fn damaged_and_cut_short_records_are_counted_and_the_file_read_on() {
    let mut wtmp = std::fs::read(data("th-app-02/wtmp")).unwrap();
    // record 7's type overwritten, record 8's microseconds out of range, the file cut in
    // the middle of record 13
    wtmp[6 * 384] = 0x63;
    wtmp[7 * 384 + 344..7 * 384 + 348].copy_from_slice(&2_000_000i32.to_le_bytes());
    wtmp.truncate(12 * 384 + 100);
    let d = tempfile::tempdir().unwrap();
    let got = ingest(&[write(d.path(), "wtmp", &wtmp)]);
    let want: Vec<String> = WTMP
        .iter()
        .filter(|r| !r.contains("#7 ") && !r.contains("#8 "))
        .map(|r| {
            r.replace(
                "sg-ops-03/10.30.0.3 th-app-02 svc_backup remote-interactive unknown/logoff #11",
                "-/- th-app-02 - interactive unknown/logoff #11",
            )
        })
        .collect();
    assert_eq!(rows(&got), want);
    let p = &got.summary.problems;
    assert_eq!(p.counts.get(&ProblemKind::BadRecord), Some(&1));
    assert_eq!(p.counts.get(&ProblemKind::BadTime), Some(&1));
    assert_eq!(p.counts.get(&ProblemKind::Truncated), Some(&1));
    let messages: Vec<String> = p.examples.values().flatten().map(|e| e.to_string()).collect();
    for want in [
        "wtmp record 7: bad-record: at byte offset 2304: type 99 is not a utmp record type",
        "wtmp record 8: bad-time: at byte offset 2688: 2000000 microseconds",
        "wtmp record 13: truncated: cut short at byte offset 4608: 100 of 384 bytes",
    ] {
        assert!(messages.iter().any(|m| m.contains(want)), "{want:?} not in {messages:#?}");
    }
}

#[test]
fn text_is_not_mistaken_for_login_records() {
    let d = tempfile::tempdir().unwrap();
    // `last` output saved under the name: not binary records, so not read as them
    let p =
        write(d.path(), "wtmp.txt", b"opsadmin pts/0 10.30.0.3 Thu Sep 12 03:04 - 05:30 (02:25)\n");
    let got = ingest(&[p]);
    assert_eq!(got.summary.sources[0].format, None);
    assert!(hopscope_ingest::detect(b"hello world, this is a text file of some length").is_none());
}

/// Each event as `time src dst user logon_type outcome/orientation line flags auth`.
fn line_rows(got: &support::Ingested) -> Vec<String> {
    got.events
        .iter()
        .map(|e| {
            let r = ExportRow::from_event(&e, &got.catalog);
            let s = |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().unwrap_or("-").to_string();
            format!(
                "{} {}/{} {} {} {} {}/{} :{} [{}] {}",
                r.time,
                s(&r.src_host),
                s(&r.src_ip),
                s(&r.dst_host),
                s(&r.user),
                r.logon_type,
                r.outcome,
                r.orientation,
                r.evidence.as_ref().and_then(|e| e.line).unwrap_or(0),
                r.flags.join(","),
                s(&r.auth),
            )
        })
        .collect()
}

/// One console login, one SSH session's eight records, a sudo session, a syscall event, failed
/// attempts (PAM's and sshd's record of each), a duplicated serial, a logout and an enriched
/// record: seven events, each login once.
#[test]
fn audit_log_one_event_per_login() {
    let got = ingest(&[data("th-app-02/audit/audit.log")]);
    let src = &got.summary.sources[0];
    assert_eq!(src.format, Some(Format::Audit));
    assert_eq!(
        line_rows(&got),
        [
            "2019-09-10T08:14:52.112000Z -/- th-app-02 root interactive success/logon :5 [] -",
            "2019-09-12T03:04:00.310000Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive failure/logon :7 [] -",
            "2019-09-12T03:04:05.123000Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive success/logon :14 [] -",
            "2019-09-12T06:33:22.500000Z internet/203.0.113.77 th-app-02 root remote-interactive failure/logon :23 [] -",
            "2019-09-12T06:33:29.100000Z internet/203.0.113.77 th-app-02 - remote-interactive failure/logon :25 [invalid-user] -",
            "2019-09-12T08:10:00.002000Z 10.30.0.3/10.30.0.3 th-app-02 opsadmin remote-interactive unknown/logoff :28 [] -",
            "2019-09-12T08:13:20.140000Z sg-ops-03/10.30.0.3 th-app-02 svc_backup remote-interactive success/logon :30 [] -",
        ]
    );
    assert_eq!((src.lines, src.events, src.ignored), (30, 7, 23));
    assert_eq!(got.summary.problems.total(), 0);
}

/// Real audit records from SELinux machines (fail2ban's test lines, read in place): failed
/// logins of existing, unknown and invalid users; `USER_ERR` is not a login.
#[test]
fn audit_corpus_lines() {
    let Some(path) = support::corpus("linux-ssh/fail2ban/selinux-ssh") else { return };
    let got = ingest(&[path]);
    let src = &got.summary.sources[0];
    assert_eq!(src.format, Some(Format::Audit));
    assert_eq!(got.summary.problems.total(), 0, "{:?}", got.summary.problems);
    // the file names no host: the directory it lies in stands for it, as documented
    assert_eq!(
        line_rows(&got),
        [
            "2013-06-29T23:02:08Z internet/113.240.248.18 fail2ban sshd remote-interactive failure/logon :14 [] -",
            "2013-06-30T01:58:20Z internet/113.240.248.18 fail2ban - remote-interactive failure/logon :20 [invalid-user] -",
            "2013-07-06T16:48:00Z internet/194.228.20.113 fail2ban root remote-interactive failure/logon :23 [] publickey",
            "2013-07-09T00:45:16.415000Z internet/173.242.116.187 fail2ban root remote-interactive failure/logon :2 [] -",
            "2013-07-09T00:45:17Z internet/173.242.116.187 fail2ban - remote-interactive failure/logon :5 [] -",
            "2013-07-09T00:45:17Z internet/173.242.116.187 fail2ban - remote-interactive failure/logon :11 [invalid-user] -",
            "2013-10-30T06:54:08Z 192.168.3.100/192.168.3.100 fail2ban dan remote-interactive failure/logon :29 [] -",
            "2013-10-30T06:57:43Z 192.168.3.100/192.168.3.100 fail2ban dan remote-interactive failure/logon :26 [] password",
            "2022-11-13T23:11:11Z internet/192.0.2.111 fail2ban root remote-interactive failure/logon :32 [] -",
        ]
    );
    // the two USER_ERR records and the fail2ban comments are not logins
    assert_eq!((src.events, src.ignored), (9, src.lines - 9));
}

/// A host's directory as collected: wtmp, btmp and audit.log, each recognised from content.
#[test]
fn a_host_directory_of_every_linux_record() {
    let got = ingest(&[data("th-app-02")]);
    let formats: Vec<_> = got
        .summary
        .sources
        .iter()
        .map(|s| (s.path.rsplit('/').next().unwrap().to_string(), s.format))
        .collect();
    assert_eq!(
        formats,
        [
            ("audit.log".to_string(), Some(Format::Audit)),
            ("btmp".to_string(), Some(Format::Btmp)),
            ("wtmp".to_string(), Some(Format::Wtmp)),
        ]
    );
    assert_eq!(got.events.len(), 7 + 5 + 9);
    assert_eq!(got.summary.problems.total(), 0);
}

/// The fixtures are what the system's own tool makes of their dumps: `utmpdump -r` (util-linux)
/// writes them byte for byte, and reads them back to the same dump.
#[test]
fn fixtures_are_what_utmpdump_writes() {
    use std::process::{Command, Stdio};
    if Command::new("utmpdump").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "utmpdump (util-linux) missing under CI=true"
        );
        eprintln!("SKIPPED: utmpdump (util-linux) not installed");
        return;
    }
    for name in ["wtmp", "btmp"] {
        let dump = std::fs::read(data(&format!("dumps/th-app-02.{name}.txt"))).unwrap();
        let mut child = Command::new("utmpdump")
            .arg("-r")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, &dump).unwrap();
        drop(stdin);
        let made = child.wait_with_output().unwrap();
        assert!(made.status.success());
        assert_eq!(
            made.stdout,
            std::fs::read(data(&format!("th-app-02/{name}"))).unwrap(),
            "{name}"
        );
        let back =
            Command::new("utmpdump").arg(data(&format!("th-app-02/{name}"))).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&back.stdout), String::from_utf8_lossy(&dump), "{name}");
    }
}
