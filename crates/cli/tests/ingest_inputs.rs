//! `hopscope ingest` on inputs as users give them: pipes (`/dev/stdin`, `<(cmd)`), and
//! directories holding what cannot be read.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use support::{hopscope, ok};

fn lanl(n: usize) -> String {
    (0..n)
        .map(|i| {
            let (a, b, u) = (i * 7 % 97, i * 13 % 89, i * 5 % 61);
            format!("{},U{u}@DOM1,U{u}@DOM1,C{a},C{b},NTLM,Network,LogOn,Success\n", i / 10 + 1)
        })
        .collect()
}

fn manifest(case: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(case.join("manifest.json")).unwrap()).unwrap()
}

/// The events a case holds, as exported JSON lines without the evidence file name (a pipe
/// and a file have different names).
fn events(dir: &Path, case: &str) -> Vec<serde_json::Value> {
    let out = ok(&["export", "--case", case, "--format", "jsonl"], dir);
    out.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v.as_object_mut().unwrap().remove("evidence");
            v
        })
        .collect()
}

/// `cat auth.txt | hopscope ingest /dev/stdin` and `hopscope ingest <(cat auth.txt)` store
/// exactly the events of `hopscope ingest auth.txt`, with the same SHA-256.
#[test]
fn pipes_store_what_the_file_holds() {
    let d = tempfile::tempdir().unwrap();
    let text = lanl(20_000); // ~1.2 MB: bigger than a pipe buffer and than the first look
    std::fs::write(d.path().join("auth.txt"), &text).unwrap();
    ok(&["ingest", "auth.txt", "--case", "file"], d.path());
    let want = events(d.path(), "file");
    assert_eq!(want.len(), 20_000);
    let sha = manifest(&d.path().join("file"))["sources"][0]["sha256"].clone();
    assert!(sha.is_string());

    let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(["ingest", "/dev/stdin", "--case", "stdin"])
        .current_dir(d.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for piece in text.as_bytes().chunks(4096) {
            stdin.write_all(piece).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("{} ingest <(cat auth.txt) --case subst", env!("CARGO_BIN_EXE_hopscope")))
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    for case in ["stdin", "subst"] {
        let m = manifest(&d.path().join(case));
        assert_eq!(m["sources"][0]["sha256"], sha, "{case}");
        assert_eq!(
            m["sources"][0]["bytes"],
            manifest(&d.path().join("file"))["sources"][0]["bytes"]
        );
        assert_eq!(events(d.path(), case), want, "{case}");
    }
}

/// A dangling symbolic link, a link loop and a pipe inside a directory are each a counted,
/// located problem; the files beside them are read.
#[test]
fn a_directory_walk_goes_on_past_what_it_cannot_read() {
    let d = tempfile::tempdir().unwrap();
    let logs = d.path().join("logs");
    std::fs::create_dir_all(logs.join("sub")).unwrap();
    std::fs::write(logs.join("a.txt"), lanl(100)).unwrap();
    std::fs::write(logs.join("sub/z.txt"), lanl(50)).unwrap();
    std::os::unix::fs::symlink("nowhere.txt", logs.join("b-dangling.txt")).unwrap();
    std::os::unix::fs::symlink("..", logs.join("sub/loop")).unwrap();
    let fifo = logs.join("c-fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());

    let o = hopscope(&["ingest", "logs", "--case", "c"], d.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let m = manifest(&d.path().join("c"));
    assert_eq!(m["events"], 150, "{err}");
    assert_eq!(m["problems"]["unreadable"], 3, "{m}");
    for (path, why) in [
        ("b-dangling.txt", "dangling symbolic link"),
        ("loop", "symbolic link loop"),
        ("c-fifo", "not a regular file"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(path) && l.contains(why)),
            "{path}: {why} not said in:\n{err}"
        );
    }
    // --strict stops at the first, and writes no case
    let o = hopscope(&["ingest", "logs", "--case", "s", "--strict"], d.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(!d.path().join("s/manifest.json").exists());
}

/// The same content ingested again — the same file, a copy under another name, or one file
/// named twice — is refused with a sentence and nothing written; `--allow-duplicates` takes it.
#[test]
fn the_same_content_twice_is_refused_unless_asked() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("a.txt"), lanl(40)).unwrap();
    std::fs::write(d.path().join("copy.txt"), lanl(40)).unwrap();
    std::fs::write(d.path().join("b.txt"), lanl(41)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], d.path());
    let before = std::fs::read(d.path().join("c/manifest.json")).unwrap();
    for args in [
        &["ingest", "a.txt", "--case", "c"][..],
        &["ingest", "b.txt", "copy.txt", "--case", "c"],
        &["ingest", "b.txt", "b.txt", "--case", "fresh"],
    ] {
        let o = hopscope(args, d.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("same content") && err.contains("--allow-duplicates"), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
    }
    assert_eq!(std::fs::read(d.path().join("c/manifest.json")).unwrap(), before);
    assert!(!d.path().join("fresh/manifest.json").exists());
    ok(&["ingest", "copy.txt", "--case", "c", "--allow-duplicates"], d.path());
    let m = manifest(&d.path().join("c"));
    assert_eq!(m["events"], 80);
    assert!(m["notes"].to_string().contains("ingested again"), "{m}");
}

/// Every number option refuses NaN and infinities (every comparison with NaN is false: an
/// alert threshold of NaN would silently raise nothing).
#[test]
fn number_options_refuse_nan_and_infinity() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        &["detect", "--case", "c", "--min-score", "NaN"][..],
        &["detect", "--case", "c", "--min-score", "inf"],
        &["scope", "--case", "c", "--min-score", "nan"],
        &["trace", "--case", "c", "--host", "h", "--at", "2019-01-01", "--min-bits", "NaN"],
        &["simulate", "--out", "s", "--scale", "NaN"],
        &["simulate", "--out", "s", "--scale=-1"],
    ] {
        let o = hopscope(args, d.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("expected a") && err.contains("number"), "{args:?}: {err}");
    }
}

/// `hopscope ingest` of a directory of hosts' Linux logs: wtmp, btmp and audit.log beside
/// auth.log, each recognised from content (a btmp by its name), the host taken from the
/// directory, the inventory resolving the source named by DNS name and by address alike;
/// a wtmp piped in (`hopscope ingest --format wtmp /dev/stdin`) is read like the file.
#[test]
fn linux_login_records_in_a_host_directory() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/data/linux/th-app-02");
    let host = p.join("logs/th-app-02/var/log");
    std::fs::create_dir_all(host.join("audit")).unwrap();
    for f in ["wtmp", "btmp", "audit/audit.log"] {
        std::fs::copy(fixtures.join(f), host.join(f)).unwrap();
    }
    std::fs::write(
        host.join("auth.log"),
        "Sep 12 03:04:05 th-app-02 sshd[4242]: Accepted password for opsadmin from 10.30.0.3 port 51412 ssh2\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(
        p.join("cmdb/hosts.csv"),
        "host,ips\nsg-ops-03,10.30.0.3\nth-app-02,10.20.0.2\n",
    )
    .unwrap();
    ok(&["ingest", "logs", "--case", "c", "--inventory", "cmdb", "--year", "2019"], p);
    let m = manifest(&p.join("c"));
    let formats: Vec<(String, String)> = m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let path = s["path"].as_str().unwrap();
            (
                path.rsplit('/').next().unwrap().to_string(),
                s["format"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want = [("audit.log", "audit"), ("auth.log", "sshd"), ("btmp", "btmp"), ("wtmp", "wtmp")];
    assert_eq!(formats, want.map(|(a, b)| (a.to_string(), b.to_string())));
    assert_eq!(m["events"], 1 + 7 + 5 + 9);
    assert!(m["problems"].as_object().unwrap().is_empty(), "{}", m["problems"]);
    // the SSH login of 03:04:05 as sshd, wtmp and auditd each recorded it: one source host,
    // one destination host, each with its own evidence
    let logins: Vec<serde_json::Value> = ok(&["export", "--case", "c"], p)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| {
            v["user"] == "opsadmin"
                && v["outcome"] == "success"
                && v["time"].as_str().unwrap().starts_with("2019-09-12T03:04:05")
        })
        .collect();
    let seen: Vec<(&str, &str, &str, String)> = logins
        .iter()
        .map(|v| {
            let ev = &v["evidence"];
            let at = if ev["line"].is_null() {
                format!("record {}", ev["record"])
            } else {
                format!("line {}", ev["line"])
            };
            (
                v["format"].as_str().unwrap(),
                v["src_host"].as_str().unwrap(),
                v["dst_host"].as_str().unwrap(),
                at,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("sshd", "sg-ops-03", "th-app-02", "line 1".to_string()),
            ("audit", "sg-ops-03", "th-app-02", "line 14".to_string()),
            ("wtmp", "sg-ops-03", "th-app-02", "record 6".to_string()),
        ]
    );

    // the same wtmp through a pipe
    let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(["ingest", "/dev/stdin", "--case", "piped", "--format", "wtmp"])
        .current_dir(p)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(fixtures.join("wtmp")).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let piped = manifest(&p.join("piped"));
    assert_eq!(piped["events"], 9);
    // a pipe lies in no host's directory: the logins have no destination, and the note says so
    assert!(
        piped["notes"]
            .to_string()
            .contains("wtmp names no host and lies in no directory named after one"),
        "{}",
        piped["notes"]
    );
    assert!(piped["problems"].as_object().unwrap().is_empty(), "{}", piped["problems"]);
}
