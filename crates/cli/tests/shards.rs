//! Case shards: a simulated multi-site fleet ingested per site into shards and merged gives
//! what one ingest of every log gives; merges that must not happen are refused, and one
//! that fails midway leaves the case as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod support;

use support::{hopscope, ok};

/// A simulated fleet, its log files grouped by the site of the host that wrote them.
struct Fleet {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// Site name → log files (relative to `path`), sites and files in sorted order.
    sites: BTreeMap<String, Vec<String>>,
}

fn files_under(root: &Path, rel: &str, out: &mut Vec<String>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(root.join(rel)).unwrap().map(|e| e.unwrap().file_name()).collect();
    entries.sort();
    for name in entries {
        let r = format!("{rel}/{}", name.to_string_lossy());
        if root.join(&r).is_dir() {
            files_under(root, &r, out);
        } else {
            out.push(r);
        }
    }
}

/// The 2019 case at a small scale, its logs split by site (from the inventory's hosts.csv);
/// a log of no inventory host (network sensors) goes to a `collector` shard.
fn fleet() -> &'static Fleet {
    static F: OnceLock<Fleet> = OnceLock::new();
    F.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().to_path_buf();
        ok(&["simulate", "--scenario", "ntt-2019", "--scale", "0.3", "--out", "fleet"], &p);
        let mut r = csv::Reader::from_path(p.join("fleet/hosts.csv")).unwrap();
        let headers = r.headers().unwrap().clone();
        let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
        let (name, site) = (col("host"), col("site"));
        let site_of: BTreeMap<String, String> = r
            .records()
            .map(|x| x.unwrap())
            .map(|x| (x[name].to_lowercase(), x[site].to_string()))
            .collect();
        let mut files = Vec::new();
        files_under(&p, "fleet/logs", &mut files);
        let mut sites: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for f in files {
            // fleet/logs/linux/<host>/auth.log, fleet/logs/windows/<host>.jsonl, …
            let host = f
                .split('/')
                .skip(3)
                .find_map(|part| {
                    let stem = part.split('.').next().unwrap_or(part).to_lowercase();
                    site_of.get(&stem).cloned()
                })
                .unwrap_or_else(|| "collector".into());
            sites.entry(host).or_default().push(f);
        }
        assert!(sites.len() >= 4, "sites: {:?}", sites.keys().collect::<Vec<_>>());
        Fleet { path: p, sites, _dir: d }
    })
}

fn ingest(p: &Path, files: &[String], case: &str) {
    let mut args: Vec<&str> = vec!["ingest"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--inventory", "fleet", "--case", case]);
    ok(&args, p);
}

fn info(p: &Path, case: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&["case", "info", "--case", case, "--json"], p)).unwrap()
}

/// The parts of `case info --json` one ingest and a merge must agree on.
fn counts(m: &serde_json::Value) -> serde_json::Value {
    let sources: Vec<_> = m["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].clone(), s["path"].clone(), s["sha256"].clone(), s["events"].clone()))
        .collect();
    serde_json::json!({
        "events": m["events"], "labels": m["labels"], "hosts": m["hosts"],
        "accounts": m["accounts"], "addresses": m["addresses"],
        "first_time": m["first_time"], "last_time": m["last_time"],
        "time_range": m["time_range"], "problems": m["problems"],
        "inventory": [m["inventory"]["hosts"].clone(), m["inventory"]["sites"].clone(), m["inventory"]["data"].clone()],
        "sources": sources,
    })
}

/// Every log in one ingest, shard after shard; each site into a shard of its own.
struct Ingested {
    _dir: tempfile::TempDir,
    path: PathBuf,
    shards: Vec<String>,
}

fn ingested() -> &'static Ingested {
    static I: OnceLock<Ingested> = OnceLock::new();
    I.get_or_init(|| {
        let f = fleet();
        let d = tempfile::tempdir().unwrap();
        let p = d.path().to_path_buf();
        std::os::unix::fs::symlink(f.path.join("fleet"), p.join("fleet")).unwrap();
        let all: Vec<String> = f.sites.values().flatten().cloned().collect();
        ingest(&p, &all, "single");
        let mut shards = Vec::new();
        for (site, files) in &f.sites {
            let shard = format!("shard-{site}");
            ingest(&p, files, &shard);
            shards.push(shard);
        }
        Ingested { path: p, shards, _dir: d }
    })
}

fn merge(p: &Path, shards: &[String], case: &str) -> std::process::Output {
    let mut args: Vec<&str> = vec!["case", "merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--case", case]);
    hopscope(&args, p)
}

fn sha_of_runs(p: &Path, case: &str) -> Vec<String> {
    let mut v: Vec<String> = info(p, case)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["sha256"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

const SQL: &str = "SELECT account, domain, src_host, dst_host, auth, outcome, evidence_file, \
    count(*) AS n, min(line) AS first_line FROM logins \
    GROUP BY account, domain, src_host, dst_host, auth, outcome, evidence_file \
    ORDER BY account, domain, src_host, dst_host, auth, outcome, evidence_file";

#[test]
#[cfg_attr(not(feature = "sql"), ignore = "reads the case with `hopscope sql`")]
fn merged_shards_give_what_one_ingest_gives() {
    let i = ingested();
    let p = &i.path;
    let o = merge(p, &i.shards, "merged");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("merged {} shard(s)", i.shards.len())), "{err}");

    let (single, merged) = (info(p, "single"), info(p, "merged"));
    assert_eq!(counts(&merged), counts(&single));
    assert_eq!(merged["hopscope_case"], 2, "runs read through remap tables");
    assert_eq!(merged["shards"].as_array().unwrap().len(), i.shards.len());
    // the events were not rewritten: the merged case's runs are the shards' runs
    let mut shard_runs: Vec<String> = i.shards.iter().flat_map(|s| sha_of_runs(p, s)).collect();
    shard_runs.sort();
    assert_eq!(sha_of_runs(p, "merged"), shard_runs);

    let detect = |case: &str| ok(&["detect", "--case", case, "--json"], p);
    let (d1, d2) = (detect("single"), detect("merged"));
    let alerts: serde_json::Value = serde_json::from_str(&d1).unwrap();
    assert!(!alerts["alerts"].as_array().unwrap().is_empty(), "the 2019 intrusion is found");
    assert!(d1 == d2, "detect --json differs between one ingest and the merged shards");
    // every event, in order, with names and evidence
    assert!(ok(&["export", "--case", "single"], p) == ok(&["export", "--case", "merged"], p));
    // SQL reads the shards' runs through their remap tables
    let q = |case: &str| ok(&["sql", "--case", case, "--csv", SQL], p);
    let (s1, s2) = (q("single"), q("merged"));
    assert!(s1.lines().count() > 100, "{s1}");
    assert!(s1 == s2, "sql over logins differs");
    let hosts = "SELECT host, logins_from, logins_to, first_seen FROM hosts ORDER BY id";
    assert_eq!(
        ok(&["sql", "--case", "single", "--csv", hosts], p),
        ok(&["sql", "--case", "merged", "--csv", hosts], p)
    );
}

/// Merges made in steps (a merged case as a shard, more shards into an existing case) give
/// the same case as one merge.
#[test]
fn merges_in_steps_give_the_same_case() {
    let i = ingested();
    let p = &i.path;
    let (first, rest) = i.shards.split_at(2);
    assert!(merge(p, first, "steps-a").status.success());
    let mut nested = vec!["steps-a".to_string()];
    nested.extend(rest.iter().cloned());
    let o = merge(p, &nested, "steps-nested");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for s in rest {
        let o = merge(p, std::slice::from_ref(s), "steps-a");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let single = ok(&["detect", "--case", "single", "--json"], p);
    for case in ["steps-nested", "steps-a"] {
        assert_eq!(counts(&info(p, case)), counts(&info(p, "single")), "{case}");
        assert!(ok(&["detect", "--case", case, "--json"], p) == single, "{case}");
    }
    assert_eq!(info(p, "steps-a")["generation"], 1 + rest.len() as u64);
}

/// A merge that fails after some shards were linked in commits nothing and leaves nothing:
/// the runs and remap tables it wrote are removed, the case reads as before, and the same
/// merge done again once the damage is repaired succeeds.
#[test]
fn a_merge_that_fails_midway_leaves_the_case_as_it_was() {
    let i = ingested();
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::os::unix::fs::symlink(i.path.join("fleet"), p.join("fleet")).unwrap();
    for s in &i.shards {
        copy_dir(&i.path.join(s), &p.join(s));
    }
    let (first, rest) = i.shards.split_at(1);
    assert!(merge(p, first, "m").status.success());
    let before = info(p, "m");
    let detect_before = ok(&["detect", "--case", "m", "--json"], p);
    // every file of the case but its lock
    let files = |c: &Path| -> Vec<String> {
        let mut v = Vec::new();
        for sub in ["", "events", "remaps"] {
            if let Ok(rd) = std::fs::read_dir(c.join(sub)) {
                v.extend(
                    rd.flatten().map(|e| format!("{sub}/{}", e.file_name().to_string_lossy())),
                );
            }
        }
        v.retain(|f| !f.ends_with(".lock"));
        v.sort();
        v
    };
    let files_before = files(&p.join("m"));

    // the last shard's labels are damaged (runs are checked before anything is written,
    // labels when its turn comes): the shards before it and its runs are linked in, then it
    // fails
    let last = rest.last().unwrap();
    let run = p.join(last).join("labels.parquet");
    let good = std::fs::read(&run).unwrap();
    std::fs::write(&run, b"PAR1 not a parquet file PAR1").unwrap();
    let o = merge(p, rest, "m");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("labels.parquet"), "{err}");
    assert_eq!(
        files(&p.join("m")),
        files_before,
        "the runs linked in before the failure are removed"
    );
    assert_eq!(info(p, "m"), before, "nothing of the failed merge is visible");
    assert!(ok(&["detect", "--case", "m", "--json"], p) == detect_before);

    std::fs::write(&run, &good).unwrap();
    let o = merge(p, rest, "m");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = info(p, "m");
    let notes = after["notes"].to_string();
    assert!(!notes.contains("does not name"), "leftovers removed: {notes}");
    let files = std::fs::read_dir(p.join("m/events")).unwrap().count();
    assert_eq!(files, after["runs"].as_array().unwrap().len());
    assert_eq!(counts(&after), counts(&info(&i.path, "single")));
    assert!(
        ok(&["detect", "--case", "m", "--json"], p)
            == ok(&["detect", "--case", "single", "--json"], &i.path)
    );
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

const LANL_A: &str = "1,U1@DOM1,U1@DOM1,C1,C2,Kerberos,Network,LogOn,Success\n\
                      5,U2@DOM1,U2@DOM1,C2,C3,Kerberos,Network,LogOn,Success\n";
const LANL_B: &str = "2,U2@DOM1,U2@DOM1,C3,C4,NTLM,Network,LogOn,Success\n\
                      3,U9@DOM1,U9@DOM1,C9,C1,Kerberos,Network,LogOn,Fail\n";

/// Two small LANL shards in `p/site-a` and `p/site-b`, each from its own `auth.txt`.
fn two_lanl_shards(p: &Path) {
    for (dir, lines) in [("site-a", LANL_A), ("site-b", LANL_B)] {
        std::fs::create_dir_all(p.join(dir)).unwrap();
        std::fs::write(p.join(dir).join("auth.txt"), lines).unwrap();
        ok(
            &["ingest", "auth.txt", "--case", "shard", "--lanl-start", "2019-06-01T00:00:00Z"],
            &p.join(dir),
        );
    }
}

#[test]
#[cfg_attr(not(feature = "sql"), ignore = "reads the case with `hopscope sql`")]
fn sources_of_the_same_path_stay_apart_and_evidence_unambiguous() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_lanl_shards(p);
    let o = merge(p, &["site-a/shard".into(), "site-b/shard".into()], "c");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = info(p, "c");
    let paths: Vec<&str> =
        m["sources"].as_array().unwrap().iter().map(|s| s["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["auth.txt", "site-b/shard:auth.txt"]);
    assert!(m["notes"].to_string().contains("is named site-b/shard:auth.txt"), "{}", m["notes"]);
    let csv = ok(&["sql", "--case", "c", "--csv", "SELECT time, account, src_host, dst_host, evidence_file, line FROM logins ORDER BY time"], p);
    assert_eq!(
        csv,
        "time,account,src_host,dst_host,evidence_file,line\n\
         2019-06-01T00:00:01Z,U1,C1,C2,auth.txt,1\n\
         2019-06-01T00:00:02Z,U2,C3,C4,site-b/shard:auth.txt,1\n\
         2019-06-01T00:00:03Z,U9,C9,C1,site-b/shard:auth.txt,2\n\
         2019-06-01T00:00:05Z,U2,C2,C3,auth.txt,2\n"
    );
    // the same rows through the case reader
    let export = ok(&["export", "--case", "c", "--format", "csv"], p);
    assert_eq!(export.lines().count(), 5, "{export}");
    assert!(export.contains("site-b/shard:auth.txt"), "{export}");
}

#[test]
fn merges_that_would_mislead_are_refused_and_write_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_lanl_shards(p);
    let refused = |shards: &[&str], want: &str| {
        let shards: Vec<String> = shards.iter().map(|s| s.to_string()).collect();
        let o = merge(p, &shards, "c");
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert_eq!(o.status.code(), Some(1), "{shards:?}: {err}");
        assert!(err.contains(want), "{shards:?}: {err}");
        let o = hopscope(&["case", "info", "--case", "c"], p);
        assert!(!o.status.success(), "no case was committed");
    };
    refused(&["site-a/shard", "site-a/shard"], "given twice");
    refused(&["site-a/shard", "site-a/shard/"], "given twice");
    // the same log ingested by two sites would count its events twice
    std::fs::create_dir_all(p.join("site-c")).unwrap();
    std::fs::write(p.join("site-c/copy.txt"), LANL_A).unwrap();
    ok(
        &["ingest", "copy.txt", "--case", "shard", "--lanl-start", "2019-06-01T00:00:00Z"],
        &p.join("site-c"),
    );
    refused(&["site-a/shard", "site-c/shard"], "same content");
    // shards ingested against different inventories resolve hosts differently
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(
        p.join("cmdb/hosts.csv"),
        "host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality\n\
         C2,10.0.0.2,sg,Singapore,server,ops,active,2019-01-01,false,high\n",
    )
    .unwrap();
    std::fs::create_dir_all(p.join("site-d")).unwrap();
    std::fs::write(p.join("site-d/d.txt"), LANL_B.replace("U9", "U8")).unwrap();
    ok(
        &[
            "ingest",
            "d.txt",
            "--case",
            "shard",
            "--inventory",
            "../cmdb",
            "--lanl-start",
            "2019-06-01T00:00:00Z",
        ],
        &p.join("site-d"),
    );
    refused(&["site-a/shard", "site-d/shard"], "inventory conflicts");
    std::fs::create_dir_all(p.join("site-e")).unwrap();
    std::fs::write(
        p.join("cmdb/hosts.csv"),
        std::fs::read_to_string(p.join("cmdb/hosts.csv"))
            .unwrap()
            .replace("active", "decommissioning"),
    )
    .unwrap();
    std::fs::write(p.join("site-e/e.txt"), LANL_B.replace("U9", "U7")).unwrap();
    ok(
        &[
            "ingest",
            "e.txt",
            "--case",
            "shard",
            "--inventory",
            "../cmdb",
            "--lanl-start",
            "2019-06-01T00:00:00Z",
        ],
        &p.join("site-e"),
    );
    refused(
        &["site-d/shard", "site-e/shard"],
        "host \"C2\": lifecycle \"active\" there, \"decommissioning\" here",
    );
    // into itself
    ok(&["case", "merge", "site-a/shard", "--case", "c"], p);
    let o = hopscope(&["case", "merge", "c", "--case", "c"], p);
    assert!(String::from_utf8_lossy(&o.stderr).contains("into itself"));
    assert_eq!(info(p, "c")["generation"], 1);
}

/// The merge is one writer of the case: refused while another holds the case's lock.
#[test]
fn a_merge_takes_the_case_lock() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_lanl_shards(p);
    ok(&["case", "merge", "site-a/shard", "--case", "c"], p);
    let held = hopscope_case::WriterLock::for_case(&p.join("c")).unwrap();
    let o = hopscope(&["case", "merge", "site-b/shard", "--case", "c"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("one writer at a time"));
    drop(held);
    ok(&["case", "merge", "site-b/shard", "--case", "c"], p);
    assert_eq!(info(p, "c")["events"], 4);
}

/// A remap table changed after the merge is refused like a changed run.
#[test]
#[cfg_attr(not(feature = "sql"), ignore = "reads the case with `hopscope sql`")]
fn a_changed_remap_table_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    two_lanl_shards(p);
    ok(&["case", "merge", "site-a/shard", "site-b/shard", "--case", "c"], p);
    let table = info(p, "c")["remaps"][0]["file"].as_str().unwrap().to_string();
    let path = p.join("c").join(table);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    for args in [
        &["case", "info", "--case", "c"][..],
        &["detect", "--case", "c"],
        &["sql", "--case", "c", "SELECT 1"],
    ] {
        let o = hopscope(args, p);
        assert!(!o.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&o.stderr).contains("damaged or changed"), "{args:?}");
    }
}
