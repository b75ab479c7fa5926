//! `case merge` and `detect --save` never write over, into or out of what they should
//! protect: a shard, the case, an evidence file, a folder of the user's. Every refusal
//! leaves every file as it was (and makes no directory); a refused merge is never half
//! visible.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::Path;

mod support;

use support::{hopscope, ok};

const LANL_A: &str = "1,U1@DOM1,U1@DOM1,C1,C2,Kerberos,Network,LogOn,Success\n\
                      5,U2@DOM1,U2@DOM1,C2,C3,Kerberos,Network,LogOn,Success\n";
const LANL_B: &str = "2,U2@DOM1,U2@DOM1,C3,C4,NTLM,Network,LogOn,Success\n\
                      3,U9@DOM1,U9@DOM1,C9,C1,Kerberos,Network,LogOn,Fail\n";

/// Two LANL shards, `p/site-a/shard` and `p/site-b/shard`, each from its own `auth.txt`.
fn two_shards(p: &Path) {
    for (dir, lines) in [("site-a", LANL_A), ("site-b", LANL_B)] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
        std::fs::write(p.join(dir).join("auth.txt"), lines).unwrap();
        ok(
            &["ingest", "auth.txt", "--case", "shard", "--lanl-start", "2019-06-01T00:00:00Z"],
            &p.join(dir),
        );
    }
}

/// Every entry under `root` (lock files aside, which a refused writer may make): its kind
/// and bytes, or where a link leads.
fn tree(root: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            if e.file_name().to_string_lossy().ends_with(".lock") {
                continue;
            }
            let t = e.file_type().unwrap();
            let what = if t.is_symlink() {
                format!("link to {}", std::fs::read_link(&path).unwrap().display())
            } else if t.is_dir() {
                walk(root, &path, out);
                "dir".to_string()
            } else {
                format!("{:?}", std::fs::read(&path).unwrap())
            };
            out.insert(rel, what);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn refused(p: &Path, args: &[&str], why: &str) {
    let before = tree(p);
    let o = hopscope(args, p);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(why), "{args:?}: {err}");
    let after = tree(p);
    assert_eq!(before, after, "{args:?} changed files");
}

fn merge_refused(p: &Path, shards: &[&str], case: &str, why: &str) {
    let mut args = vec!["case", "merge"];
    args.extend(shards);
    args.extend(["--case", case]);
    refused(p, &args, why);
}

/// A shard or case named as the other, through `..` or a link, a case inside a shard (or a
/// shard inside the case), a shard given twice in any spelling, an evidence file or a user's
/// folder as the case: each refused before anything is written.
#[test]
fn a_merge_never_writes_into_a_shard_evidence_or_a_user_s_folder() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_shards(p);
    symlink("site-a/shard", p.join("shard-link")).unwrap();
    symlink("site-a/auth.txt", p.join("evidence-link")).unwrap();
    std::fs::create_dir(p.join("mine")).unwrap();
    std::fs::write(p.join("mine/notes.txt"), "mine").unwrap();

    // the shard itself as the case, however it is spelled
    for case in ["site-a/shard", "site-b/../site-a/shard", "site-a/shard/", "shard-link"] {
        merge_refused(p, &["site-a/shard", "site-b/shard"], case, "into itself");
    }
    // a case inside a shard: its folder, its events/, a new folder in it, through a link
    for case in ["site-a/shard/events", "site-b/shard/merged", "shard-link/merged"] {
        merge_refused(p, &["site-a/shard", "site-b/shard"], case, "holds the case");
    }
    // inside a shard that is not merged: still a case inside a case
    merge_refused(p, &["site-a/shard"], "site-b/shard/merged", "inside the case directory");
    // an evidence file, directly or through a link; a folder of the user's
    merge_refused(p, &["site-a/shard"], "site-a/auth.txt", "site-a/auth.txt");
    merge_refused(p, &["site-a/shard"], "evidence-link", "evidence-link");
    merge_refused(p, &["site-a/shard"], "mine", "is not a hopscope case and is not empty");
    // a shard twice: by path, with `..`, with a trailing slash, through a link; nothing of
    // the first shard linked into the new case (its directory is not even made)
    for again in ["site-a/shard", "site-b/../site-a/shard", "site-a/shard/", "shard-link"] {
        merge_refused(p, &["site-a/shard", "site-b/shard", again], "c", "given twice");
        assert!(!p.join("c").exists(), "{again}: a refused merge made the case's directory");
    }

    // a damaged run in the last shard: refused before the first shard is linked in
    let run = std::fs::read_dir(p.join("site-b/shard/events")).unwrap().next().unwrap().unwrap();
    let good = std::fs::read(run.path()).unwrap();
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0x55;
    std::fs::write(run.path(), &bad).unwrap();
    merge_refused(p, &["site-a/shard", "site-b/shard"], "c", "damaged or changed");
    assert!(!p.join("c").exists(), "a refused merge made the case's directory");
    std::fs::write(run.path(), &good).unwrap();

    // into an existing case
    ok(&["case", "merge", "site-a/shard", "--case", "c"], p);
    symlink("c", p.join("case-link")).unwrap();
    merge_refused(p, &["case-link"], "c", "into itself");
    merge_refused(p, &["site-b/shard", "site-b/shard"], "case-link", "given twice");
    // a case moved into the case's folder, then given as a shard of it
    ok(
        &["ingest", "auth.txt", "--case", "../moved", "--lanl-start", "2019-06-01T00:00:00Z"],
        &p.join("site-b"),
    );
    std::fs::rename(p.join("moved"), p.join("c/moved")).unwrap();
    merge_refused(p, &["c/moved"], "c", "lies inside the case");
    std::fs::remove_dir_all(p.join("c/moved")).unwrap();
    // a case folder that is a link to a user's folder holding a file named like a leftover
    // remap table (a writer removes its own leftovers there at commit)
    std::fs::create_dir(p.join("theirs")).unwrap();
    std::fs::write(p.join("theirs/remap-00002-00001.parquet"), "theirs").unwrap();
    symlink("../theirs", p.join("c/remaps")).unwrap();
    merge_refused(p, &["site-b/shard"], "c", "is a symbolic link");
    std::fs::remove_file(p.join("c/remaps")).unwrap();
    assert_eq!(
        std::fs::read_to_string(p.join("theirs/remap-00002-00001.parquet")).unwrap(),
        "theirs"
    );

    // what was refused is still possible the right way, and the shards are unchanged by it
    let shards = tree(&p.join("site-b"));
    ok(&["case", "merge", "site-b/shard", "--case", "c"], p);
    let m: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    assert_eq!((m["events"].as_u64(), m["generation"].as_u64()), (Some(4), Some(2)));
    assert_eq!(shards, tree(&p.join("site-b")));
    assert_eq!(std::fs::read_to_string(p.join("site-a/auth.txt")).unwrap(), LANL_A);
}

/// `ingest --case` inside a case (its folder, its events/) is refused like a merge's.
#[test]
fn no_case_is_made_inside_another() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_shards(p);
    for case in ["../site-b/shard/inner", "../site-b/shard/events", "shard/events/x"] {
        let before = tree(p);
        let o = hopscope(
            &["ingest", "auth.txt", "--case", case, "--lanl-start", "2019-06-01T00:00:00Z"],
            &p.join("site-a"),
        );
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(1), "{case}: {err}");
        assert!(err.contains("inside the case directory"), "{case}: {err}");
        assert_eq!(before, tree(p), "{case}");
    }
}

/// `detect --save` writes and removes files only in the case's own `results/`: a `results`
/// that is a link to a user's folder, or a file, is refused with both untouched; a leftover
/// temporary that is a link to an evidence file is removed, never written through.
#[test]
fn detect_save_writes_only_into_the_case_s_own_results() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_shards(p);
    let case = p.join("site-a/shard");
    // results/ a link to a folder of the user's holding files named like earlier saves
    std::fs::create_dir(p.join("theirs")).unwrap();
    for f in ["alerts-00001-00001.parquet", "x.parquet.tmp", "notes.txt"] {
        std::fs::write(p.join("theirs").join(f), f).unwrap();
    }
    symlink("../../theirs", case.join("results")).unwrap();
    refused(p, &["detect", "--case", "site-a/shard", "--save"], "is a symbolic link");
    std::fs::remove_file(case.join("results")).unwrap();
    // results a file
    std::fs::write(case.join("results"), "not a folder").unwrap();
    refused(p, &["detect", "--case", "site-a/shard", "--save"], "not a directory");
    std::fs::remove_file(case.join("results")).unwrap();
    // a leftover temporary linked to the evidence: the link goes, the evidence stays
    std::fs::create_dir(case.join("results")).unwrap();
    symlink("../../auth.txt", case.join("results/alerts-00001-00001.parquet.tmp")).unwrap();
    ok(&["detect", "--case", "site-a/shard", "--save"], p);
    assert_eq!(std::fs::read_to_string(p.join("site-a/auth.txt")).unwrap(), LANL_A);
    let tmp = case.join("results/alerts-00001-00001.parquet.tmp");
    assert!(std::fs::symlink_metadata(tmp).is_err(), "the planted link was removed");
    // the case through a link and `..` is the case: saved there, nothing else written
    symlink("site-a/shard", p.join("shard-link")).unwrap();
    let outside = tree(&p.join("site-b"));
    for via in ["shard-link", "site-b/../site-a/shard"] {
        ok(&["detect", "--case", via, "--save"], p);
        let m: serde_json::Value =
            serde_json::from_str(&ok(&["case", "info", "--case", "site-a/shard", "--json"], p))
                .unwrap();
        let saved: Vec<&str> =
            m["saved"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(saved, ["alert_hops", "alerts"], "{via}");
    }
    assert_eq!(outside, tree(&p.join("site-b")));
    for f in ["alerts-00001-00001.parquet", "x.parquet.tmp", "notes.txt"] {
        assert_eq!(std::fs::read_to_string(p.join("theirs").join(f)).unwrap(), f);
    }
}

/// `detect --save` is a writer of the case: refused while another writer holds the case's
/// lock (an ingest, a merge), the case as it was; saved once the lock is free.
#[test]
fn detect_save_is_refused_while_another_writer_holds_the_case() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_shards(p);
    ok(&["case", "merge", "site-a/shard", "--case", "c"], p);
    let held = hopscope_case::WriterLock::for_case(&p.join("c")).unwrap();
    refused(p, &["detect", "--case", "c", "--save"], "one writer at a time");
    // the second writer of each kind, beside it: refused alike
    refused(p, &["case", "merge", "site-b/shard", "--case", "c"], "one writer at a time");
    drop(held);
    ok(&["detect", "--case", "c", "--save"], p);
    let m: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    assert_eq!(m["saved"].as_array().map(Vec::len), Some(2));
}
