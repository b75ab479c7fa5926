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
