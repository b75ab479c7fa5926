//! A writer of a case that fails at any point leaves the case it found byte for byte and
//! nothing of its own: no run, remap table, staged table, temporary file or result, and no
//! case directory when it was making a new one.
//!
//! A full disk is simulated by a file size limit (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so
//! that a write past it fails with `EFBIG` as it would with `ENOSPC`): each writer (`ingest`
//! into a new case and appending with a new inventory, `case merge` into a new and an
//! existing case, `detect --save`) runs under every limit from below the smallest file it
//! writes up to the size at which it succeeds, so that it fails at each file in turn (a run,
//! a remap table, a dictionary, the labels, the manifest, a saved table).

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

mod support;

use support::ok;

const LANL_A: &str = "1,U1@DOM1,U1@DOM1,C1,C2,Kerberos,Network,LogOn,Success\n\
                      5,U2@DOM1,U2@DOM1,C2,C3,Kerberos,Network,LogOn,Success\n";
const LANL_B: &str = "2,U2@DOM1,U2@DOM1,C3,C4,NTLM,Network,LogOn,Success\n\
                      3,U9@DOM1,U9@DOM1,C9,C1,Kerberos,Network,LogOn,Fail\n";
const LANL_C: &str = "4,U7@DOM1,U7@DOM1,C7,C8,Kerberos,Network,LogOn,Success\n\
                      6,U8@DOM1,U8@DOM1,C8,C1,NTLM,Network,LogOn,Success\n";
const START: &str = "2019-06-01T00:00:00Z";

/// Run `hopscope ARGS` in `cwd`, no file it writes larger than `limit` bytes.
fn limited(args: &[&str], cwd: &Path, limit: u64) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hopscope"));
    c.args(args).current_dir(cwd).env("NO_COLOR", "1");
    // SAFETY: between fork and exec only async-signal-safe calls (signal, setrlimit).
    unsafe {
        c.pre_exec(move || {
            // ignored dispositions survive exec: a write past the limit fails with EFBIG
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let r = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &r) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c.output().unwrap()
}

/// Every entry under `root` but the lock files (`.lock`, a watch state's `lock`: rewritten
/// with each writer's pid): its kind and bytes.
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if rel.ends_with(".lock") || e.file_name() == "lock" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                walk(root, &path, out);
                out.insert(rel, b"dir".to_vec());
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if root.exists() {
        walk(root, root, &mut out);
    }
    out
}

/// The sizes of the files a successful `args` writes into `case` (run on a copy of `p`).
fn sizes_written(p: &Path, args: &[&str], case: &str) -> Vec<u64> {
    let copy = tempfile::tempdir().unwrap();
    copy_dir(p, copy.path());
    let before = tree(&copy.path().join(case));
    ok(args, copy.path());
    let after = tree(&copy.path().join(case));
    let mut sizes: Vec<u64> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v) && v.as_slice() != b"dir")
        .map(|(_, v)| v.len() as u64)
        .collect();
    sizes.sort();
    sizes.dedup();
    sizes
}

/// Run `args` (a writer of `case` in `p`) under every file size limit below each size it
/// writes: each run fails and leaves `case` as it was (or absent when it was); then without
/// a limit it succeeds. Returns the files the failures named.
fn fails_cleanly_everywhere(p: &Path, args: &[&str], case: &str) -> BTreeSet<String> {
    let sizes = sizes_written(p, args, case);
    assert!(!sizes.is_empty(), "{args:?} writes files");
    let before = tree(&p.join(case));
    let existed = p.join(case).exists();
    let mut named = BTreeSet::new();
    let limits = std::iter::once(0).chain(sizes.iter().map(|s| s - 1));
    for limit in limits {
        let o = limited(args, p, limit);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        if o.status.success() {
            // every file was within this limit (a size may differ by a byte from the copy's:
            // the paths it names)
            assert!(limit + 16 >= *sizes.last().unwrap(), "{args:?} at {limit}: {sizes:?}");
            eprintln!("{args:?}: failed cleanly at {named:?}");
            return named;
        }
        assert_eq!(o.status.code(), Some(1), "{args:?} at {limit}: {err}");
        assert!(err.contains("too large") || err.contains("File too large"), "{limit}: {err}");
        assert_eq!(p.join(case).exists(), existed, "{args:?} at {limit}: {err}");
        let after = tree(&p.join(case));
        let diff: Vec<&String> =
            after.keys().chain(before.keys()).filter(|k| after.get(*k) != before.get(*k)).collect();
        assert!(diff.is_empty(), "{args:?} failing at {limit} bytes ({err}) left {diff:?}");
        if let Some(f) =
            err.split_whitespace().find(|w| w.contains(".parquet") || w.contains(".json"))
        {
            let f = f.trim_matches(|c: char| !c.is_alphanumeric() && c != '.');
            let f = f.rsplit('/').next().unwrap_or(f);
            named.insert(f.chars().filter(|c| !c.is_ascii_digit()).collect::<String>());
        }
    }
    ok(args, p);
    eprintln!("{args:?}: failed cleanly at {named:?}");
    named
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}

fn logs(p: &Path) {
    for (name, lines) in [("a.txt", LANL_A), ("b.txt", LANL_B), ("c.txt", LANL_C)] {
        std::fs::write(p.join(name), lines).unwrap();
    }
    std::fs::create_dir_all(p.join("inv")).unwrap();
    std::fs::write(p.join("inv/hosts.csv"), "host,site,country\nC1,tokyo,Japan\nC3,osaka,Japan\n")
        .unwrap();
}

/// `ingest` into a new case and appending to one (with a new inventory, so that every
/// dictionary and context table changes): a failure at any file leaves no case, or the case
/// as it was.
#[test]
fn an_ingest_that_fails_at_any_file_leaves_the_case_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    logs(p);
    let new = ["ingest", "a.txt", "--case", "c", "--lanl-start", START];
    let named = fails_cleanly_everywhere(p, &new, "c");
    let append =
        ["ingest", "b.txt", "c.txt", "--case", "c", "--lanl-start", START, "--inventory", "inv"];
    let named_append = fails_cleanly_everywhere(p, &append, "c");
    // the run is an ingest's largest file here: it fails there first (the later files, each
    // in turn: `a_writer_failing_at_each_staged_file_leaves_the_case_as_it_was`)
    for n in [&named, &named_append] {
        assert!(n.iter().any(|f| f.starts_with("run-")), "{n:?}");
    }
    // the case reads as the three logs ingested whole
    let info: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    assert_eq!(info["events"], 6);
    assert_eq!(info["inventory"]["hosts"], 2);
}

/// `case merge` into a new case and into an existing one (adding two shards, the second's
/// runs linked in before the failure): no run, remap table or staged table is left, and
/// the case reads as before.
#[test]
fn a_merge_that_fails_at_any_file_leaves_the_case_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    logs(p);
    for (shard, log) in [("sa", "a.txt"), ("sb", "b.txt"), ("sc", "c.txt")] {
        ok(&["ingest", log, "--case", shard, "--lanl-start", START], p);
    }
    let named = fails_cleanly_everywhere(p, &["case", "merge", "sa", "--case", "m"], "m");
    assert!(named.len() >= 3 && named.contains("hosts.parquet.tmp"), "{named:?}");
    let named = fails_cleanly_everywhere(p, &["case", "merge", "sb", "sc", "--case", "m"], "m");
    assert!(named.len() >= 3 && named.iter().any(|f| f.starts_with("remap-")), "{named:?}");
    let info: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "m", "--json"], p)).unwrap();
    assert_eq!(info["events"], 6);
}

/// `detect --save`: a failure at either saved table or the manifest leaves `results/` and
/// the manifest as they were; then the save succeeds.
#[test]
fn a_save_that_fails_at_any_file_leaves_the_case_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    logs(p);
    ok(&["ingest", "a.txt", "b.txt", "c.txt", "--case", "c", "--lanl-start", START], p);
    ok(&["detect", "--case", "c", "--save"], p);
    let named = fails_cleanly_everywhere(p, &["detect", "--case", "c", "--save"], "c");
    assert!(named.contains("manifest.json.tmp"), "{named:?}");
}

/// Something in the way of each file a writer stages in turn (a directory of the user's
/// named like a staged table or the manifest's temporary file): an `ingest` appending and a
/// `case merge` adding two shards fail there, after their runs are written or linked in,
/// and leave the case as it was (no run, no remap table, no staged file), the user's
/// directory kept.
#[test]
fn a_writer_failing_at_each_staged_file_leaves_the_case_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    logs(p);
    ok(&["ingest", "a.txt", "--case", "c", "--lanl-start", START], p);
    for (shard, log) in [("sa", "a.txt"), ("sb", "b.txt"), ("sc", "c.txt")] {
        ok(&["ingest", log, "--case", shard, "--lanl-start", START], p);
    }
    ok(&["case", "merge", "sa", "--case", "m"], p);
    let append = ["ingest", "b.txt", "--case", "c", "--lanl-start", START, "--inventory", "inv"];
    let merge = ["case", "merge", "sb", "sc", "--case", "m"];
    let staged = ["addresses", "auths", "sources", "accounts", "hosts", "sites", "data", "labels"]
        .map(|t| format!("{t}.parquet.tmp"));
    for (args, case) in [(&append[..], "c"), (&merge[..], "m")] {
        for blocker in staged.iter().map(String::as_str).chain(["manifest.json.tmp"]) {
            let b = p.join(case).join(blocker);
            std::fs::create_dir(&b).unwrap();
            std::fs::write(b.join("theirs"), "x").unwrap();
            let before = tree(&p.join(case));
            let o = support::hopscope(args, p);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{args:?} {blocker}: {err}");
            assert!(err.contains(blocker), "{args:?} {blocker}: {err}");
            assert_eq!(tree(&p.join(case)), before, "{args:?} {blocker}: {err}");
            std::fs::remove_dir_all(b).unwrap();
        }
        ok(args, p);
    }
}

/// `watch --state`: a checkpoint that cannot be written whole (a full disk) fails the watch
/// and leaves the previous checkpoint byte for byte, and no temporary file; the next watch
/// continues from it.
#[test]
fn a_watch_checkpoint_that_fails_leaves_the_previous_one() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join("logs")).unwrap();
    let line = |s: u32, user: &str| {
        format!(
            "Jun  1 10:00:{s:02} sg-ops-03 sshd[{s}]: Accepted password for {user} from 10.0.0.1 port 5{s:04} ssh2\n"
        )
    };
    std::fs::write(p.join("logs/auth.log"), line(1, "alice") + &line(2, "bob")).unwrap();
    let args = ["watch", "logs", "--once", "--state", "st", "--format", "sshd", "--year", "2019"];
    ok(&args, p);
    let mut more = std::fs::OpenOptions::new().append(true).open(p.join("logs/auth.log")).unwrap();
    std::io::Write::write_all(&mut more, line(3, "carol").as_bytes()).unwrap();
    let before = tree(&p.join("st"));
    assert!(before.contains_key("state.bin"), "{:?}", before.keys());
    let o = limited(&args, p, 256);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("checkpoint"), "{err}");
    assert_eq!(tree(&p.join("st")), before, "{err}");
    let out = ok(&args, p);
    assert!(!out.contains("alice"), "continued from the checkpoint: {out}");
}
