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
