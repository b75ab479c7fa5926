#![cfg(feature = "sql")]
//! `hopscope sql`: views with names, output forms, a read-only session, bad queries, and the
//! hunts of docs/sql.md against the simulated 2019 case.

use std::path::Path;
use std::sync::OnceLock;

mod support;

use support::{hopscope, ok};

const LANL: &str = "\
1,C625$@DOM1,U147@DOM1,C625,C625,Negotiate,Batch,LogOn,Success
2,U22@DOM1,U22@DOM1,C1065,C586,Kerberos,Network,LogOn,Success
2,U22@DOM1,U22@DOM1,C1065,C586,Kerberos,Network,LogOn,Success
3,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Success
4,C3050$@DOM1,C3050$@DOM1,C3050,C529,Kerberos,?,TGT,Fail
5,?,?,?,C586,?,?,AuthMap,?
";

/// A small LANL case in a fresh directory.
fn small_case() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("auth.txt"), LANL).unwrap();
    ok(&["ingest", "auth.txt", "--case", "c", "--lanl-start", "2019-06-01T00:00:00Z"], d.path());
    d
}

fn csv_rows(out: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(out.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect()
}

#[test]
fn logins_resolve_names_and_evidence() {
    let d = small_case();
    let p = d.path();
    let out = ok(
        &[
            "sql",
            "--case",
            "c",
            "--csv",
            "SELECT time, src_host, dst_host, account, domain, auth, logon_type, outcome, \
             orientation, evidence_file, line FROM logins ORDER BY line",
        ],
        p,
    );
    let rows = csv_rows(&out);
    assert_eq!(rows.len(), 7, "{out}");
    assert_eq!(
        rows[0],
        [
            "time",
            "src_host",
            "dst_host",
            "account",
            "domain",
            "auth",
            "logon_type",
            "outcome",
            "orientation",
            "evidence_file",
            "line"
        ]
    );
    assert_eq!(
        rows[2],
        [
            "2019-06-01T00:00:02Z",
            "C1065",
            "C586",
            "U22",
            "DOM1",
            "Kerberos",
            "network",
            "success",
            "logon",
            "auth.txt",
            "2"
        ]
    );
    assert_eq!(rows[5][7], "failure");
    assert_eq!(rows[5][8], "tgt");
    // the same events as `export`, in number
    let n = ok(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM events"], p);
    assert_eq!(n, "n\n6\n");
}

#[test]
fn every_view_answers() {
    let d = small_case();
    for view in [
        "logins",
        "events",
        "hosts",
        "accounts",
        "sites",
        "data",
        "problems",
        "problem_examples",
        "sources",
        "store.hosts",
        "store.accounts",
        "store.addresses",
        "store.auths",
        "store.sources",
    ] {
        let o =
            hopscope(&["sql", "--case", "c", "--csv", &format!("SELECT * FROM {view}")], d.path());
        assert!(o.status.success(), "{view}: {}", String::from_utf8_lossy(&o.stderr));
    }
    let hosts = ok(
        &[
            "sql",
            "--case",
            "c",
            "--csv",
            "SELECT host, logins_from, logins_to FROM hosts WHERE host = 'C586'",
        ],
        d.path(),
    );
    assert_eq!(hosts, "host,logins_from,logins_to\nC586,0,4\n");
    let src = ok(&["sql", "--case", "c", "--csv", "SELECT path, events FROM sources"], d.path());
    assert_eq!(src, "path,events\nauth.txt,6\n");
}

#[test]
fn table_json_and_parquet_outputs() {
    let d = small_case();
    let p = d.path();
    let q =
        "SELECT dst_host, count(*) AS n FROM logins GROUP BY dst_host ORDER BY n DESC, dst_host";
    let table = ok(&["sql", "--case", "c", q], p);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "dst_host  n");
    assert_eq!(lines[2], "C586      4");
    assert_eq!(*lines.last().unwrap(), "3 rows");
    let json = ok(&["sql", "--case", "c", "--json", q], p);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first, serde_json::json!({"dst_host": "C586", "n": 4}));
    assert_eq!(json.lines().count(), 3);

    ok(&["sql", "--case", "c", "--out", "r.parquet", q], p);
    let back = ok(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM events"], p);
    assert_eq!(back, "n\n6\n");
    assert!(p.join("r.parquet").metadata().unwrap().len() > 100);
    // an existing file is kept unless --force
    let o = hopscope(&["sql", "--case", "c", "--out", "r.parquet", "SELECT 1 AS x"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--force"));
    ok(&["sql", "--case", "c", "--out", "r.parquet", "--force", "SELECT 1 AS x"], p);
    // never inside the case
    let o = hopscope(&["sql", "--case", "c", "--out", "c/events/x.parquet", "SELECT 1 AS x"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(!p.join("c/events/x.parquet").exists());
    // the query from a file, and from standard input
    std::fs::write(p.join("q.sql"), "SELECT count(*) AS n FROM logins;").unwrap();
    assert_eq!(ok(&["sql", "--case", "c", "--csv", "--file", "q.sql"], p), "n\n6\n");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(["sql", "--case", "c", "--csv"])
        .current_dir(p)
        .stdin(std::fs::File::open(p.join("q.sql")).unwrap())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), "n\n6\n");
}

/// Names chosen by an intruder reach neither the terminal raw nor a spreadsheet as a formula.
#[test]
fn hostile_names_are_escaped_and_guarded() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let evil = "=HYPERLINK(\"http://x\")\u{1b}[2J\u{202e}";
    let line = format!(
        "{{\"time\":\"2019-06-01T00:00:00Z\",\"src_host\":\"a\",\"dst_host\":\"b\",\"user\":{},\"outcome\":\"success\"}}\n",
        serde_json::to_string(evil).unwrap()
    );
    std::fs::write(p.join("e.jsonl"), line).unwrap();
    ok(&["ingest", "e.jsonl", "--case", "c"], p);
    let table = ok(&["sql", "--case", "c", "SELECT account FROM logins"], p);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{202e}'), "{table:?}");
    assert!(table.contains("\\x1b[2J\\u202e"), "{table:?}");
    let csv = ok(&["sql", "--case", "c", "--csv", "SELECT account, 1 - 3 AS n FROM logins"], p);
    let rows = csv_rows(&csv);
    assert!(rows[1][0].starts_with("'="), "{csv:?}");
    assert_eq!(rows[1][1], "-2", "numbers are not guarded");
}

/// The session cannot write: DDL, DML, COPY and SET are refused with status 2, and the case
/// directory holds the same files afterwards.
#[test]
fn sql_cannot_write_into_the_case() {
    let d = small_case();
    let p = d.path();
    let listing = |p: &Path| {
        let mut v: Vec<String> = walkdir(p.join("c"));
        v.sort();
        v
    };
    let before = listing(p);
    for q in [
        "CREATE TABLE t AS SELECT * FROM events",
        "CREATE VIEW v AS SELECT 1",
        "DROP VIEW logins",
        "DROP TABLE events",
        "INSERT INTO events SELECT * FROM events",
        "COPY events TO 'c/events/run-9-9.parquet'",
        "COPY (SELECT 1) TO 'c/manifest.json' STORED AS CSV",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION 'c/x.csv'",
        "SET datafusion.execution.target_partitions = 1",
        "EXPLAIN COPY events TO 'c/x.parquet'",
        "SELECT 1; DROP VIEW logins",
    ] {
        let o = hopscope(&["sql", "--case", "c", q], p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{q}: {err}");
        assert!(err.contains("not supported"), "{q}: {err}");
    }
    // by absolute path, into the runs' folder, into the tables under the views, and the
    // statements DataFusion may refuse before it plans them: refused all the same
    let abs = p.join("c").canonicalize().unwrap().display().to_string();
    for q in [
        format!("COPY logins TO '{abs}/events/' STORED AS PARQUET"),
        format!("COPY (SELECT * FROM events) TO '{abs}/hosts.parquet'"),
        format!("CREATE EXTERNAL TABLE y STORED AS PARQUET LOCATION '{abs}/events/'"),
        format!("CREATE EXTERNAL TABLE z (a INT) STORED AS CSV LOCATION '{abs}/new.csv'"),
        "INSERT INTO store.hosts SELECT * FROM store.hosts".into(),
        "INSERT INTO logins SELECT * FROM logins".into(),
        "CREATE TABLE store.t AS SELECT 1".into(),
        "DELETE FROM events".into(),
        "UPDATE events SET user = 0".into(),
        "TRUNCATE events".into(),
    ] {
        let o = hopscope(&["sql", "--case", "c", &q], p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{q}: {err}");
        assert!(!err.contains("panicked"), "{q}: {err}");
    }
    assert_eq!(listing(p), before);
    // and the views are still there
    assert_eq!(
        ok(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM logins"], p),
        "n\n6\n"
    );
}

fn walkdir(dir: std::path::PathBuf) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        let path = e.path();
        if path.is_dir() {
            out.extend(walkdir(path));
        } else {
            let len = e.metadata().unwrap().len();
            out.push(format!("{} {len}", path.display()));
        }
    }
    out
}

/// A bad query prints DataFusion's message and ends with status 2, never a panic.
#[test]
fn bad_queries_get_the_message_and_status_2() {
    let d = small_case();
    let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    for (q, says) in [
        ("SELEC 1", "Expected"),
        ("SELECT * FROM nowhere", "nowhere"),
        ("SELECT no_such_column FROM logins", "no_such_column"),
        ("SELECT account FROM logins GROUP BY dst_host", "account"),
        ("SELECT 1 +", "Expected"),
        ("SELECT CAST('x' AS INT)", "Cannot cast"),
        ("SELECT 1/0", "Divide by zero"),
        ("SELECT * FROM logins WHERE time > 'not a time'", "not a time"),
        ("", "no SQL statement"),
        (";;", "no SQL statement"),
        ("SELECT * FROM \"\u{1b}[2J\"", "\\x1b[2J"),
        (deep.as_str(), "RecursionLimitExceeded"),
    ] {
        let o = hopscope(&["sql", "--case", "c", q], d.path());
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{q:.60}: {err}");
        assert!(err.contains(says), "{q:.60}: wanted {says:?} in {err}");
        assert!(!err.contains("panicked"), "{q:.60}: {err}");
        assert!(!err.contains('\u{1b}'), "{q:.60}: the message is escaped");
    }
    // not a case: status 1 as every command
    let o = hopscope(&["sql", "--case", "nope", "SELECT 1"], d.path());
    assert_eq!(o.status.code(), Some(1));
}

/// A run changed after ingest is refused before any query reads it.
#[test]
fn a_changed_run_is_refused() {
    let d = small_case();
    let p = d.path();
    let runs: Vec<_> =
        std::fs::read_dir(p.join("c/events")).unwrap().map(|e| e.unwrap().path()).collect();
    let mut bytes = std::fs::read(&runs[0]).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 0x55;
    std::fs::write(&runs[0], bytes).unwrap();
    let o = hopscope(&["sql", "--case", "c", "SELECT count(*) FROM events"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("SHA-256"));
}

/// A run replaced by a Parquet file of other columns (read with `--skip-checksums`, so the
/// reader meets it): an error naming the file, status 2, never a panic.
#[test]
fn a_run_of_other_columns_is_an_error_naming_it() {
    let d = small_case();
    let p = d.path();
    let run = std::fs::read_dir(p.join("c/events")).unwrap().next().unwrap().unwrap().path();
    std::fs::copy(p.join("c/hosts.parquet"), &run).unwrap();
    for q in ["SELECT count(*) FROM events", "SELECT * FROM logins", "SELECT * FROM hosts"] {
        let o = hopscope(&["sql", "--case", "c", "--skip-checksums", q], p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{q}: {err}");
        let name = run.file_name().unwrap().to_string_lossy();
        assert!(err.contains(name.as_ref()) && err.contains("columns"), "{q}: {err}");
        assert!(!err.contains("panicked"), "{q}: {err}");
    }
}

/// Set byte `i` of the Arrow IPC message that `file` embeds as its Arrow schema
/// (`ARROW:schema`, in base64) to `v`, in place; false when it is `v` already or past the end.
fn damage_embedded_schema(file: &Path, i: usize, v: u8) -> bool {
    use base64::Engine;
    use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
    let b64 = base64::engine::general_purpose::STANDARD;
    let r = SerializedFileReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let kv = r.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
    let text = kv.iter().find(|k| k.key == "ARROW:schema").and_then(|k| k.value.clone()).unwrap();
    let mut message = b64.decode(&text).unwrap();
    if message.get(i).is_none_or(|&b| b == v) {
        return false;
    }
    message[i] = v;
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes.windows(text.len()).rposition(|w| w == text.as_bytes()).unwrap();
    bytes[at..at + text.len()].copy_from_slice(b64.encode(&message).as_bytes());
    std::fs::write(file, bytes).unwrap();
    true
}

/// A Parquet file of the case whose embedded Arrow schema is damaged (it made DataFusion's
/// Arrow IPC decoder panic): a dictionary reads as written, since the schema is not read; a
/// run is refused by its checksum, naming the file, and with `--skip-checksums` reads as
/// written too. Never a panic. (Every byte, in-process: `sql_views::tests`.)
#[test]
fn a_damaged_embedded_arrow_schema_is_never_a_panic() {
    let d = small_case();
    let p = d.path();
    let q = "SELECT count(*) AS n, count(DISTINCT account) AS a, count(DISTINCT auth) AS au, \
             count(DISTINCT dst_host) AS h, max(time) AS t FROM logins";
    let expect = ok(&["sql", "--case", "c", "--csv", q], p);
    assert!(expect.starts_with("n,a,au,h,t\n6,"), "{expect}");
    let run = std::fs::read_dir(p.join("c/events")).unwrap().next().unwrap().unwrap().path();
    let run_name = run.file_name().unwrap().to_string_lossy().to_string();
    let (auths, hosts) = (p.join("c/auths.parquet"), p.join("c/hosts.parquet"));
    let files = [&auths, &hosts, &run];
    let originals: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let mut tried = 0;
    for i in (8..400).step_by(29) {
        for v in [0u8, 0xff] {
            for (k, f) in files.into_iter().enumerate() {
                if !damage_embedded_schema(f, i, v) {
                    continue;
                }
                tried += 1;
                let mut args = vec!["sql", "--case", "c", "--csv", q];
                if k == 2 {
                    let o = hopscope(&args, p);
                    let err = String::from_utf8_lossy(&o.stderr);
                    assert_eq!(o.status.code(), Some(1), "byte {i} = {v}: {err}");
                    assert!(err.contains(&run_name) && err.contains("SHA-256"), "{err}");
                    args.push("--skip-checksums");
                }
                let o = hopscope(&args, p);
                let err = String::from_utf8_lossy(&o.stderr);
                assert!(!err.contains("panicked"), "{} byte {i} = {v}: {err}", f.display());
                assert_eq!(String::from_utf8_lossy(&o.stdout), expect, "{err}");
                std::fs::write(f, &originals[k]).unwrap();
            }
        }
    }
    assert!(tried > 30, "{tried}");
}

// ---- the hunts of docs/sql.md against the simulated 2019 case ----

struct Fleet {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

/// The 2019 case, simulated and ingested once for every hunt.
fn fleet() -> &'static Fleet {
    static F: OnceLock<Fleet> = OnceLock::new();
    F.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        ok(&["simulate", "--scenario", "ntt-2019", "--scale", "0.3", "--out", "fleet"], p);
        ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "c"], p);
        ok(&["detect", "--case", "c", "--save"], p);
        Fleet { path: p.to_path_buf(), _dir: d }
    })
}

/// The hunts of docs/sql.md: `### N. title` then a ```sql block.
fn hunts() -> Vec<(String, String)> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sql.md"))
            .unwrap();
    let mut out = Vec::new();
    let mut title = None;
    let mut sql: Option<String> = None;
    for line in doc.lines() {
        if let Some(t) = line.strip_prefix("### ") {
            title = Some(t.to_string());
        } else if line == "```sql" && title.is_some() {
            sql = Some(String::new());
        } else if line == "```" && sql.is_some() {
            out.push((title.take().unwrap(), sql.take().unwrap()));
        } else if let Some(s) = sql.as_mut() {
            s.push_str(line);
            s.push('\n');
        }
    }
    out
}

fn hunt(n: usize) -> Vec<Vec<String>> {
    let all = hunts();
    let (title, sql) = all
        .iter()
        .find(|(t, _)| t.starts_with(&format!("{n}. ")))
        .unwrap_or_else(|| panic!("hunt {n} in docs/sql.md"));
    let f = fleet();
    let o = hopscope(&["sql", "--case", "c", "--csv", sql], &f.path);
    assert!(o.status.success(), "{title}: {}", String::from_utf8_lossy(&o.stderr));
    csv_rows(&String::from_utf8(o.stdout).unwrap())
}

fn truth() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fleet().path.join("fleet/truth.json")).unwrap())
        .unwrap()
}

#[test]
fn docs_list_twelve_hunts() {
    let h = hunts();
    assert_eq!(h.len(), 12, "{:?}", h.iter().map(|x| &x.0).collect::<Vec<_>>());
}

/// The intruder's logins of `truth.json` over one edge (successes), by time.
fn truth_logins(src: &str, dst: &str) -> Vec<serde_json::Value> {
    truth()["logins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["src_host"] == src && l["dst_host"] == dst && l["outcome"] == "success")
        .cloned()
        .collect()
}

fn host_reached(host: &str) -> serde_json::Value {
    truth()["intrusions"][0]["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["host"] == host)
        .cloned()
        .unwrap()
}

#[test]
fn hunt_1_first_time_edges_in_a_week() {
    let rows = hunt(1);
    assert_eq!(rows[0], ["src_host", "dst_host", "first_login", "logins"]);
    let hop = rows.iter().find(|r| r[0] == "th-app-02" && r[1] == "us-jump-01").expect("the hop");
    assert_eq!(hop[2], host_reached("us-jump-01")["first"]);
    assert!(rows.len() <= 10, "a week's new edges are few: {rows:?}");
}

#[test]
fn hunt_2_accounts_on_many_hosts_within_an_hour() {
    let rows = hunt(2);
    let mut accounts: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    accounts.sort();
    assert_eq!(accounts, ["dtakahashi", "hsuzuki", "lwagner"], "{rows:?}");
    let t = truth();
    let used: Vec<&str> =
        t["logins"].as_array().unwrap().iter().map(|l| l["account"].as_str().unwrap()).collect();
    assert!(used.contains(&"adm-hsuzuki") && accounts.iter().all(|a| !used.contains(a)));
    assert!(rows[1..].iter().all(|r| r[2] == "6"), "{rows:?}");
}

#[test]
fn hunt_3_logins_out_of_decommissioning_hosts() {
    let rows = hunt(3);
    let truth = truth_logins("sg-ops-03", "th-app-02");
    let (first, last) = (&host_reached("th-app-02")["first"], &host_reached("th-app-02")["last"]);
    assert_eq!(
        rows[1..],
        [vec![
            "sg-ops-03".to_string(),
            "th-app-02".into(),
            // in to sg-ops-03 as opsadmin, root there with sudo, on as root
            "root".into(),
            truth.len().to_string(),
            first.as_str().unwrap().into(),
            last.as_str().unwrap().into()
        ]]
    );
}

#[test]
fn hunt_4_failures_followed_by_a_success() {
    let rows = hunt(4);
    let t = truth();
    let i = &t["intrusions"][0];
    let failures =
        t["logins"].as_array().unwrap().iter().filter(|l| l["outcome"] == "failure").count();
    assert_eq!(
        rows[1..],
        [vec![
            i["entry_from"].as_str().unwrap().to_string(),
            i["entry_host"].as_str().unwrap().into(),
            "opsadmin".into(),
            host_reached("sg-ops-03")["first"].as_str().unwrap().into(),
            failures.to_string()
        ]]
    );
}

#[test]
fn hunt_5_successful_logins_from_the_internet() {
    let rows = hunt(5);
    let truth = truth_logins("internet", "sg-ops-03");
    let mut ips: Vec<String> =
        truth.iter().map(|l| l["src_ip"].as_str().unwrap().to_string()).collect();
    ips.sort();
    ips.dedup();
    let mut got: Vec<String> = rows[1..].iter().map(|r| r[1].clone()).collect();
    got.sort();
    assert_eq!(got, ips);
    assert!(rows[1..].iter().all(|r| r[0] == "sg-ops-03" && r[2] == "opsadmin"), "{rows:?}");
    let total: usize = rows[1..].iter().map(|r| r[3].parse::<usize>().unwrap()).sum();
    assert_eq!(total, truth.len());
}

#[test]
fn hunt_6_remote_service_installs() {
    let rows = hunt(6);
    let truth: Vec<_> = truth()["logins"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["service_install"] == true)
        .cloned()
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let r = &rows[1];
    assert_eq!(
        (r[0].as_str(), r[1].as_str(), r[2].as_str()),
        (
            truth[0]["src_host"].as_str().unwrap(),
            truth[0]["dst_host"].as_str().unwrap(),
            truth[0]["account"].as_str().unwrap()
        )
    );
    // each seen by its logon and by its service-install record
    assert_eq!(r[3], (2 * truth.len()).to_string());
    assert_eq!(r[4], truth[0]["time"]);
}

#[test]
fn hunt_7_client_organisations_one_host_can_reach() {
    let rows = hunt(7);
    let i = &truth()["intrusions"][0];
    let crm = rows.iter().find(|r| r[0] == "jp-crm-01").expect("jp-crm-01");
    assert_eq!(crm[1], i["clients_exposed"].to_string());
    assert_eq!(crm[2], i["restricted_clients_exposed"].to_string());
}

#[test]
fn hunt_8_cross_country_logins_by_service_accounts() {
    let rows = hunt(8);
    let odd: Vec<&Vec<String>> = rows[1..].iter().filter(|r| r[1] != "Japan").collect();
    assert_eq!(odd.len(), 1, "{rows:?}");
    assert_eq!(
        (odd[0][0].as_str(), odd[0][1].as_str(), odd[0][2].as_str()),
        ("svc-backup", "Thailand", "United States")
    );
    let hop: jiff::Timestamp =
        host_reached("us-jump-01")["first"].as_str().unwrap().parse().unwrap();
    let first: jiff::Timestamp = odd[0][3].parse().unwrap();
    assert!(first <= hop && hop.duration_since(first) < jiff::SignedDuration::from_secs(60));
}

#[test]
fn hunt_9_the_evidence_behind_an_edge() {
    let rows = hunt(9);
    let truth = truth_logins("sg-ops-03", "th-app-02");
    let times: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    let want: Vec<&str> = truth.iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert_eq!(times, want);
    for r in &rows[1..] {
        let file = std::fs::read_to_string(fleet().path.join(&r[6])).unwrap();
        let line = file.lines().nth(r[7].parse::<usize>().unwrap() - 1).unwrap();
        assert!(line.contains("Accepted password for root"), "{r:?}: {line}");
        assert_eq!(r[8], "", "a line, not a record");
    }
}

#[test]
fn hunt_10_unpatched_hosts_reached_from_the_internet() {
    let rows = hunt(10);
    let i = &truth()["intrusions"][0];
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1][0], i["entry_host"].as_str().unwrap());
    assert_eq!(rows[1][1], "decommissioning");
    assert_eq!(rows[1][3], truth_logins("internet", "sg-ops-03").len().to_string());
    assert_eq!(rows[1][4], "3");
}

/// The alerts `detect --json` prints, for the hunts over the saved alerts.
fn detected() -> serde_json::Value {
    static D: OnceLock<serde_json::Value> = OnceLock::new();
    D.get_or_init(|| {
        serde_json::from_str(&ok(&["detect", "--case", "c", "--json"], &fleet().path)).unwrap()
    })
    .clone()
}

#[test]
fn hunt_11_every_hop_of_the_alerts_with_its_evidence() {
    let rows = hunt(11);
    assert_eq!(
        rows[0],
        [
            "alert",
            "score",
            "hop",
            "time",
            "src_host",
            "dst_host",
            "account",
            "dst_country",
            "evidence_file",
            "line"
        ]
    );
    let d = detected();
    let mut want: Vec<Vec<String>> = Vec::new();
    let mut alerts: Vec<&serde_json::Value> = d["alerts"].as_array().unwrap().iter().collect();
    alerts.sort_by(|a, b| {
        b["score"]
            .as_f64()
            .partial_cmp(&a["score"].as_f64())
            .unwrap()
            .then(a["id"].as_str().cmp(&b["id"].as_str()))
    });
    for a in alerts {
        for (i, h) in a["hops"].as_array().unwrap().iter().enumerate() {
            let s = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
            want.push(vec![
                s(&a["id"]),
                s(&h["src_host"]),
                s(&h["dst_host"]),
                (i + 1).to_string(),
                s(&h["evidence"][0]["file"]),
                h["evidence"][0]["line"].to_string(),
            ]);
        }
    }
    let got: Vec<Vec<String>> = rows[1..]
        .iter()
        .map(|r| {
            vec![r[0].clone(), r[4].clone(), r[5].clone(), r[2].clone(), r[8].clone(), r[9].clone()]
        })
        .collect();
    assert_eq!(got, want);
    // the intruder's path is among them: Singapore → Thailand → United States → Japan
    let i = &truth()["intrusions"][0];
    let first = i["hosts"][0]["host"].as_str().unwrap();
    assert!(rows.iter().any(|r| r[4] == first), "{first}: {rows:?}");
    assert!(rows.iter().any(|r| r[5] == "jp-crm-01"), "{rows:?}");
}

#[test]
fn hunt_12_client_organisations_on_hosts_the_alerts_reached() {
    let rows = hunt(12);
    let i = &truth()["intrusions"][0];
    let crm = rows.iter().find(|r| r[0] == "jp-crm-01").expect("jp-crm-01");
    assert_eq!(crm[1], i["clients_exposed"].to_string());
    assert_eq!(crm[2], i["restricted_clients_exposed"].to_string());
    // every row is a host some alert's hop reached
    let d = detected();
    let reached: Vec<&str> = d["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["hops"].as_array().unwrap().iter().map(|h| h["dst_host"].as_str().unwrap()))
        .collect();
    assert!(rows[1..].iter().all(|r| reached.contains(&r[0].as_str())), "{rows:?}");
}

/// `detect --save` commits the alerts through the manifest; `alerts` and `alert_hops` hold
/// what `detect --json` prints; a later save replaces them; before any save, and after an
/// ingest, the views say so.
#[test]
fn saved_alerts_are_committed_replaced_and_dated() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(&["simulate", "--scenario", "ntt-2019", "--scale", "0.1", "--out", "fleet"], p);
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "c"], p);
    let o = hopscope(&["sql", "--case", "c", "SELECT count(*) FROM alerts"], p);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("detect --case c --save"), "a hint");

    let o = hopscope(&["detect", "--case", "c", "--save", "--json"], p);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let n = printed["alerts"].as_array().unwrap().len();
    let hops: usize = printed["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["hops"].as_array().unwrap().len())
        .sum();
    assert!(n > 0);
    let counts =
        "SELECT (SELECT count(*) FROM alerts) AS alerts, (SELECT count(*) FROM alert_hops) AS hops";
    assert_eq!(
        ok(&["sql", "--case", "c", "--csv", counts], p),
        format!("alerts,hops\n{n},{hops}\n")
    );
    let m: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    let saved = m["saved"].as_array().unwrap();
    assert_eq!(
        saved.iter().map(|s| s["name"].as_str().unwrap()).collect::<Vec<_>>(),
        ["alert_hops", "alerts"]
    );
    assert_eq!(saved[1]["rows"], n as u64);
    assert_eq!(m["generation"], 1, "a save adds no generation");
    let first_files: Vec<String> =
        saved.iter().map(|s| s["file"].as_str().unwrap().to_string()).collect();

    // a save with another budget replaces them; the files it replaced stay until the next
    ok(&["detect", "--case", "c", "--save", "--budget", "1"], p);
    let one = ok(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM alerts"], p);
    let per_day = ok(
        &[
            "sql",
            "--case",
            "c",
            "--csv",
            "SELECT count(DISTINCT date_trunc('day', raised_at)) AS n FROM alerts",
        ],
        p,
    );
    assert_eq!(one, per_day, "one alert a day");
    assert!(first_files.iter().all(|f| p.join("c").join(f).exists()));
    ok(&["detect", "--case", "c", "--save"], p);
    assert!(first_files.iter().all(|f| !p.join("c").join(f).exists()), "removed by the next save");
    assert_eq!(std::fs::read_dir(p.join("c/results")).unwrap().count(), 4);

    // an ingest makes a newer generation: the saved alerts are dated, not dropped
    std::fs::write(p.join("more.txt"), "1,U1@DOM1,U1@DOM1,C1,C2,Kerberos,Network,LogOn,Success\n")
        .unwrap();
    ok(&["ingest", "more.txt", "--case", "c", "--lanl-start", "2019-10-01T00:00:00Z"], p);
    let o = hopscope(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM alerts"], p);
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("n\n{n}\n"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("saved over generation 1"));

    // a changed saved table is refused like a changed run
    let m: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    let file = p.join("c").join(m["saved"][0]["file"].as_str().unwrap());
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let o = hopscope(&["sql", "--case", "c", "SELECT 1"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("damaged or changed"));
}

/// `--out` cannot destroy what it must not: a case's files (whatever path leads there), the
/// evidence the case was read from (by path or by content), an existing file without
/// --force; with --force it replaces a link, never what the link points to.
#[test]
fn sql_out_never_writes_over_the_case_the_evidence_or_without_force() {
    let d = small_case();
    let p = d.path();
    let snapshot = |p: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = walkdir(p.join("c"))
            .into_iter()
            .map(|l| {
                let path = l.rsplit_once(' ').unwrap().0.to_string();
                let bytes = std::fs::read(&path).unwrap();
                (path, bytes)
            })
            .collect();
        v.push(("auth.txt".into(), std::fs::read(p.join("auth.txt")).unwrap()));
        v.sort();
        v
    };
    let run = std::fs::read_dir(p.join("c/events")).unwrap().next().unwrap().unwrap().path();
    std::os::unix::fs::symlink(&run, p.join("link.parquet")).unwrap();
    std::os::unix::fs::symlink(p.join("c"), p.join("alias")).unwrap();
    std::os::unix::fs::symlink(p.join("c/new.parquet"), p.join("dangling.parquet")).unwrap();
    std::fs::hard_link(&run, p.join("hard.parquet")).unwrap();
    std::fs::create_dir(p.join("elsewhere")).unwrap();
    std::fs::copy(p.join("auth.txt"), p.join("elsewhere/copy.txt")).unwrap();
    std::fs::write(p.join("mine.parquet"), b"the user's").unwrap();
    ok(&["ingest", "auth.txt", "--case", "other"], p);
    let before = snapshot(p);

    let q = "SELECT 1 AS x";
    for (out, force, says) in [
        ("c/manifest.json", true, "inside the case directory"),
        ("c", true, "inside the case directory"),
        ("c/hosts.parquet", true, "inside the case directory"),
        ("c/new.parquet", false, "inside the case directory"),
        ("link.parquet", true, "inside the case directory"),
        ("alias/new.parquet", true, "inside the case directory"),
        ("other/x.parquet", true, "inside the case directory"),
        ("auth.txt", true, "is evidence"),
        ("elsewhere/copy.txt", true, "is evidence"),
        ("mine.parquet", false, "--force"),
        ("dangling.parquet", false, "--force"),
        ("hard.parquet", false, "--force"),
    ] {
        let mut args = vec!["sql", "--case", "c", "--out", out];
        if force {
            args.push("--force");
        }
        args.push(q);
        let o = hopscope(&args, p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{out}: {err}");
        assert!(err.contains(says), "{out}: wanted {says:?} in {err}");
    }
    assert_eq!(snapshot(p), before, "nothing of the case or the evidence changed");
    assert_eq!(std::fs::read(p.join("mine.parquet")).unwrap(), b"the user's");

    // with --force a link is replaced, not written through
    for out in ["dangling.parquet", "hard.parquet", "mine.parquet"] {
        ok(&["sql", "--case", "c", "--out", out, "--force", q], p);
        let m = std::fs::symlink_metadata(p.join(out)).unwrap();
        assert!(m.file_type().is_file(), "{out}");
    }
    assert!(!p.join("c/new.parquet").exists());
    assert_eq!(snapshot(p), before);
    // the case still reads, every run checked against its SHA-256
    assert_eq!(
        ok(&["sql", "--case", "c", "--csv", "SELECT count(*) AS n FROM events"], p),
        "n\n6\n"
    );
}
