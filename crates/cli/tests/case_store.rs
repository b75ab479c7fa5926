//! The case store against careless and hostile use: two writers, a crash, damaged or edited
//! files, output paths that would destroy what they should protect.

use std::path::Path;
use std::process::Command;

mod support;

use support::{hopscope, ok};

fn lanl(n: u32, from: u32) -> String {
    let mut s = String::new();
    for i in from..from + n {
        s.push_str(&format!(
            "{i},U{}@DOM1,U{}@DOM1,C{},C{},Kerberos,Network,LogOn,Success\n",
            i % 97,
            i % 97,
            i % 113,
            i % 301
        ));
    }
    s
}

fn info(p: &Path, case: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&["case", "info", "--case", case, "--json"], p)).unwrap()
}

#[test]
fn a_second_ingest_into_a_case_being_written_is_refused_and_loses_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("a.txt"), lanl(100, 0)).unwrap();
    std::fs::write(p.join("b.txt"), lanl(50, 1000)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    // another writer holds the case (as a running ingest does)
    let held = hopscope_case::WriterLock::for_case(&p.join("c")).unwrap();
    for args in
        [&["ingest", "b.txt", "--case", "c"][..], &["ingest", "b.txt", "--case", "c", "--json"]]
    {
        let o = hopscope(args, p);
        assert_eq!(o.status.code(), Some(1));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("is writing case") && err.contains("pid"), "{err}");
    }
    // readers are not blocked by a writer
    assert_eq!(info(p, "c")["events"], 100);
    assert_eq!(ok(&["export", "--case", "c"], p).lines().count(), 100);
    drop(held);
    ok(&["ingest", "b.txt", "--case", "c"], p);
    let m = info(p, "c");
    assert_eq!((m["generation"].as_u64(), m["events"].as_u64()), (Some(2), Some(150)));
    assert_eq!(ok(&["export", "--case", "c"], p).lines().count(), 150);
}

#[test]
fn a_killed_ingest_releases_the_case_lock() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("a.txt"), lanl(100, 0)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    std::fs::write(p.join("big.txt"), lanl(600_000, 10_000)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(["ingest", "big.txt", "--case", "c"])
        .current_dir(p)
        .spawn()
        .unwrap();
    // kill -9 once it holds the lock (it writes its pid into the lock file)
    let lock = p.join("c/.lock");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&lock)
        .unwrap_or_default()
        .contains(&format!("pid {}", child.id()))
        && start.elapsed().as_secs() < 20
    {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // the previous case is whole, and the next writer gets the lock
    assert_eq!(info(p, "c")["events"], 100);
    std::fs::write(p.join("b.txt"), lanl(50, 1000)).unwrap();
    ok(&["ingest", "b.txt", "--case", "c"], p);
    assert_eq!(info(p, "c")["events"], 150);
    assert_eq!(ok(&["export", "--case", "c"], p).lines().count(), 150);
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

/// One event dated far outside the bulk of the case, in several formats and at several
/// absurd times (a zeroed Windows FILETIME, a zeroed Unix time, a saturated year): appended
/// to the story case, it changes no alert, no containment time, no histogram; it is kept,
/// counted and named.
#[test]
fn one_absurd_timestamp_changes_no_conclusion() {
    let outliers: [(&str, &str, &[&str]); 6] = [
        (
            "late.jsonl",
            r#"{"time":"1601-01-01T00:00:00Z","src_host":"sg-jump-01","dst_host":"jp-crm-01","user":"mallory","auth":"password","logon_type":"network","outcome":"success","orientation":"logon","format":"jsonl"}"#,
            &[],
        ),
        (
            "late.jsonl",
            r#"{"time":"9999-12-01T00:00:00Z","src_host":"jp-jump-01","dst_host":"old-db-01","user":"jp_admin","auth":"Kerberos","logon_type":"network","outcome":"success","orientation":"logon","format":"jsonl"}"#,
            &[],
        ),
        (
            "late.csv",
            "time,src_host,src_ip,dst_host,dst_ip,user,domain,src_user,src_domain,auth,logon_type,outcome,orientation,event_id,flags,format,evidence_file,evidence_line,evidence_record\n\
             1970-01-01T00:00:00Z,us-jump-01,,us-web-01,,mallory,,,,NTLM,network,success,logon,,,csv,,,",
            &[],
        ),
        ("late.txt", "0,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success", &["--format", "lanl"]),
        (
            "late.winjson",
            r#"{"EventID":4624,"Hostname":"th-app-02","TimeCreated":"1601-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.30.0.3","TargetUserName":"mallory"}"#,
            &[],
        ),
        (
            "late.jsonl",
            r#"{"time":"2031-06-01T00:00:00Z","src_host":"sg-jump-01","dst_host":"jp-crm-01","user":"mallory","auth":"password","logon_type":"network","outcome":"success","orientation":"logon","format":"jsonl"}"#,
            &[],
        ),
    ];
    let base = tempfile::tempdir().unwrap();
    let b = base.path();
    support::story::make_case(b);
    let detect = ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], b);
    ok(&["report", "--case", "c", "--warmup", "2d", "--out", "r", "--formats", "json"], b);
    let report = json(&std::fs::read_to_string(b.join("r/report.json")).unwrap());
    let events = ok(&["export", "--case", "c"], b);
    assert!(json(&detect)["alerts"].as_array().is_some_and(|a| !a.is_empty()), "{detect}");

    for (file, line, args) in outliers {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        support::story::make_case(p);
        std::fs::write(p.join(file), format!("{line}\n")).unwrap();
        let mut ingest = vec!["ingest", file, "--case", "c"];
        ingest.extend_from_slice(args);
        let o = hopscope(&ingest, p);
        assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stderr));
        let said = String::from_utf8_lossy(&o.stderr);
        assert!(said.contains("1 events dated outside the case's time range"), "{line}: {said}");

        assert_eq!(ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], p), detect, "{line}");
        ok(&["report", "--case", "c", "--warmup", "2d", "--out", "r", "--formats", "json"], p);
        let r = json(&std::fs::read_to_string(p.join("r/report.json")).unwrap());
        for part in ["summary", "activity", "alerts", "scope", "trace"] {
            assert_eq!(r[part], report[part], "{line}: report {part}");
        }
        assert_eq!(r["case"]["first_time"], report["case"]["first_time"], "{line}");
        assert_eq!(r["case"]["last_time"], report["case"]["last_time"], "{line}");

        // kept, counted, named
        let m = info(p, "c");
        assert_eq!(m["problems"]["out-of-range-time"], 1, "{line}: {m}");
        let range = &m["time_range"];
        assert_eq!(range["before"].as_u64().unwrap() + range["after"].as_u64().unwrap(), 1);
        let ex = m["problem_examples"].as_array().unwrap();
        assert!(
            ex.iter()
                .any(|e| e["kind"] == "out-of-range-time"
                    && e["at"].as_str().unwrap().starts_with(file)),
            "{line}: {ex:?}"
        );
        let text = ok(&["case", "info", "--case", "c"], p);
        assert!(text.contains("1 events dated outside the time range"), "{text}");
        assert_eq!(ok(&["export", "--case", "c"], p), events, "{line}");
        let all = ok(&["export", "--case", "c", "--include-out-of-range"], p);
        assert_eq!(all.lines().count(), events.lines().count() + 1, "{line}");
    }
}

#[test]
fn export_refuses_to_write_into_a_case() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("a.txt"), lanl(100, 0)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    std::os::unix::fs::symlink(p.join("c"), p.join("link")).unwrap();
    let before = std::fs::read(p.join("c/manifest.json")).unwrap();
    for out in [
        "c/manifest.json",
        "c/hosts.parquet",
        "c/events/x.jsonl",
        "c/new-dir/x.jsonl",
        "./c/../c/manifest.json",
        "link/manifest.json",
        "c",
    ] {
        let o = hopscope(&["export", "--case", "c", "--out", out], p);
        assert_eq!(o.status.code(), Some(1), "{out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("inside the case directory"), "{out}: {err}");
        let o = hopscope(&["report", "--case", "c", "--out", out], p);
        assert_eq!(o.status.code(), Some(1), "report {out}");
    }
    assert_eq!(std::fs::read(p.join("c/manifest.json")).unwrap(), before);
    assert!(!p.join("c/new-dir").exists());
    assert_eq!(ok(&["export", "--case", "c"], p).lines().count(), 100);
}

#[test]
fn a_failed_export_leaves_the_previous_file_whole() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("a.txt"), lanl(100, 0)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    for format in ["jsonl", "csv"] {
        let out = format!("events.{format}");
        ok(&["export", "--case", "c", "--format", format, "--out", &out], p);
        let good = std::fs::read(p.join(&out)).unwrap();
        assert!(good.len() > 1000);
        // damage the case: the next export fails...
        let run = p.join("c/events/run-00001-00001.parquet");
        let clean = std::fs::read(&run).unwrap();
        let mut bad = clean.clone();
        bad[clean.len() / 2] ^= 0x10;
        std::fs::write(&run, bad).unwrap();
        let o = hopscope(&["export", "--case", "c", "--format", format, "--out", &out], p);
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("run-00001-00001.parquet"));
        // ...and the previous export is untouched, with no temporary file left beside it
        assert_eq!(std::fs::read(p.join(&out)).unwrap(), good);
        let names: Vec<_> = std::fs::read_dir(p).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(!names.iter().any(|n| n.to_string_lossy().ends_with(".tmp")), "{names:?}");
        std::fs::write(&run, clean).unwrap();
    }
}

#[test]
fn a_report_that_fails_leaves_the_previous_one_and_no_mix() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    std::fs::create_dir_all(p.join("r")).unwrap();
    for f in ["report.json", "report.md", "report.html"] {
        std::fs::write(p.join("r").join(f), "the previous report").unwrap();
    }
    // a name that cannot be written (a directory stands there): the report fails...
    std::fs::create_dir(p.join("r/report.stix.json")).unwrap();
    let o = hopscope(&["report", "--case", "c", "--warmup", "2d", "--out", "r"], p);
    assert_eq!(o.status.code(), Some(1));
    // ...before any file of the previous report is replaced
    for f in ["report.json", "report.md", "report.html"] {
        assert_eq!(std::fs::read_to_string(p.join("r").join(f)).unwrap(), "the previous report");
    }
    let names: Vec<_> =
        std::fs::read_dir(p.join("r")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 4, "{names:?}");
    std::fs::remove_dir(p.join("r/report.stix.json")).unwrap();
    ok(&["report", "--case", "c", "--warmup", "2d", "--out", "r"], p);
    assert!(std::fs::read_to_string(p.join("r/report.md")).unwrap().contains("sg-ops-03"));
}

#[test]
fn simulate_refuses_a_directory_it_did_not_make() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("real/logs")).unwrap();
    std::fs::write(p.join("real/hosts.csv"), "the real inventory").unwrap();
    std::fs::write(p.join("real/logs/auth.log"), "the real evidence").unwrap();
    std::fs::create_dir_all(p.join("other")).unwrap();
    std::fs::write(p.join("other/auth.log"), "the real evidence").unwrap();
    for out in ["real", "other"] {
        let o = hopscope(&["simulate", "--out", out, "--scale", "0.05", "--days", "7"], p);
        assert_eq!(o.status.code(), Some(1), "{out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("not made by `hopscope simulate`") && err.contains("--force"),
            "{err}"
        );
    }
    assert_eq!(std::fs::read_to_string(p.join("real/hosts.csv")).unwrap(), "the real inventory");
    assert_eq!(std::fs::read_to_string(p.join("real/logs/auth.log")).unwrap(), "the real evidence");
    assert_eq!(std::fs::read_to_string(p.join("other/auth.log")).unwrap(), "the real evidence");
    // into a case: refused even with --force
    std::fs::write(p.join("a.txt"), lanl(10, 0)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    let o = hopscope(&["simulate", "--out", "c/fleet", "--force"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(!p.join("c/fleet").exists());
    // a new directory, then a rerun into the directory simulate made
    let args =
        ["simulate", "--out", "fleet", "--scale", "0.05", "--days", "7", "--formats", "sshd"];
    ok(&args, p);
    ok(&args, p);
    assert!(p.join("fleet/hosts.csv").exists());
}

#[test]
fn demo_refuses_a_directory_it_did_not_make_and_replaces_only_its_own_case() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // the user's files where the demo would write: the demo makes fleet/, case/ and report/
    std::fs::create_dir_all(p.join("work/case")).unwrap();
    std::fs::write(p.join("work/case/notes.txt"), "the user's notes").unwrap();
    std::fs::create_dir_all(p.join("evidence/logs")).unwrap();
    std::fs::write(p.join("evidence/logs/auth.log"), "the real evidence").unwrap();
    for out in ["work", "evidence", "evidence/logs"] {
        let o = hopscope(&["demo", "--out", out], p);
        assert_eq!(o.status.code(), Some(1), "{out}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("not made by `hopscope demo`") && err.contains("--force"), "{err}");
        assert!(o.stdout.is_empty(), "{out}: it began");
    }
    // with --force a directory of the user's is taken, but never what is not a case in case/
    let o = hopscope(&["demo", "--out", "work", "--force"], p);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is not a hopscope case"), "{err}");
    assert_eq!(std::fs::read_to_string(p.join("work/case/notes.txt")).unwrap(), "the user's notes");
    assert_eq!(
        std::fs::read_to_string(p.join("evidence/logs/auth.log")).unwrap(),
        "the real evidence"
    );
    assert!(!p.join("work/fleet").exists() && !p.join("evidence/fleet").exists());
    // into a case: refused even with --force
    std::fs::write(p.join("a.txt"), lanl(10, 0)).unwrap();
    ok(&["ingest", "a.txt", "--case", "c"], p);
    let o = hopscope(&["demo", "--out", "c", "--force"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("inside the case"));
    assert!(!p.join("c/fleet").exists() && !p.join("c/.hopscope-demo").exists());
}

#[test]
fn export_and_report_refuse_to_write_over_the_evidence_the_case_was_read_from() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let evidence = lanl(100, 0);
    std::fs::create_dir_all(p.join("ev")).unwrap();
    std::fs::write(p.join("ev/a.txt"), &evidence).unwrap();
    ok(&["ingest", "ev/a.txt", "--case", "c"], p);
    // the same file by its path, by another path, through a link, and a copy elsewhere
    std::os::unix::fs::symlink(p.join("ev"), p.join("link")).unwrap();
    std::fs::hard_link(p.join("ev/a.txt"), p.join("hard.txt")).unwrap();
    std::fs::create_dir_all(p.join("elsewhere")).unwrap();
    std::fs::write(p.join("elsewhere/copy.txt"), &evidence).unwrap();
    for (out, cwd) in [
        ("ev/a.txt", p.to_path_buf()),
        ("./ev/../ev/a.txt", p.to_path_buf()),
        ("link/a.txt", p.to_path_buf()),
        ("hard.txt", p.to_path_buf()),
        ("copy.txt", p.join("elsewhere")),
    ] {
        for format in ["jsonl", "csv"] {
            let case = p.join("c");
            let args =
                ["export", "--case", case.to_str().unwrap(), "--format", format, "--out", out];
            let o = support::hopscope(&args, &cwd);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{out}: {err}");
            assert!(err.contains("is evidence this case was read from"), "{out}: {err}");
        }
    }
    // a report into the folder of evidence named like one of its files (written or removed)
    for name in ["report.json", "report.html"] {
        std::fs::write(p.join("elsewhere").join(name), &evidence).unwrap();
        let o = support::hopscope(
            &["report", "--case", "c", "--formats", "md", "--out", "elsewhere"],
            p,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("is evidence this case was read from"), "{name}: {err}");
        assert_eq!(std::fs::read_to_string(p.join("elsewhere").join(name)).unwrap(), evidence);
        std::fs::remove_file(p.join("elsewhere").join(name)).unwrap();
    }
    assert!(!p.join("elsewhere/report.md").exists());
    assert_eq!(std::fs::read_to_string(p.join("ev/a.txt")).unwrap(), evidence);
    assert_eq!(std::fs::read_to_string(p.join("elsewhere/copy.txt")).unwrap(), evidence);
    // any other file is written over as asked
    std::fs::write(p.join("old.jsonl"), "an earlier export\n").unwrap();
    ok(&["export", "--case", "c", "--out", "old.jsonl"], p);
    assert_eq!(std::fs::read_to_string(p.join("old.jsonl")).unwrap().lines().count(), 100);
}

#[test]
fn ingest_refuses_a_case_directory_holding_the_user_s_files() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("evidence")).unwrap();
    std::fs::write(p.join("evidence/a.txt"), lanl(50, 0)).unwrap();
    for (dir, file) in [
        ("evidence", "a.txt"),         // the evidence folder itself as the case
        ("zeek", "flows.parquet"),     // another tool's Parquet
        ("scratch", "notes.tmp"),      // a user's temporary file
        ("nested", "events/keep.txt"), // a user's events/ folder beside a file
    ] {
        let at = p.join(dir).join(file);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        if !at.exists() {
            std::fs::write(&at, "the user's").unwrap();
        }
        if dir == "nested" {
            std::fs::write(p.join(dir).join("README"), "the user's").unwrap();
        }
        let before: Vec<_> = walk(&p.join(dir));
        let o = hopscope(&["ingest", "evidence/a.txt", "--case", dir], p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{dir}: {err}");
        assert!(err.contains("is not a hopscope case and is not empty"), "{dir}: {err}");
        assert_eq!(walk(&p.join(dir)), before, "{dir}: changed");
    }
    // what a first ingest killed before its commit leaves is taken: the next one writes there
    std::fs::create_dir_all(p.join("killed/events")).unwrap();
    for f in ["hosts.parquet", "accounts.parquet.tmp", "manifest.json.tmp", ".lock"] {
        std::fs::write(p.join("killed").join(f), "half written").unwrap();
    }
    ok(&["ingest", "evidence/a.txt", "--case", "killed"], p);
    assert_eq!(ok(&["export", "--case", "killed"], p).lines().count(), 50);
}

/// Every path under `dir` with its bytes, sorted.
fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                todo.push(path.clone());
                out.push((path.display().to_string(), Vec::new()));
            } else {
                out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}
