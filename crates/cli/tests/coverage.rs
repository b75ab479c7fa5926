//! What the logs cannot show, end to end: `case coverage`, trace's notes, the simulator's log
//! gaps and the Security log its intruder clears.

mod support;

use support::story::{events, ingest_case, DATA, HOSTS};
use support::{hopscope, ok};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

/// A 1102 on `host` at `time` by `user`, in hopscope's own JSON lines.
fn cleared(time: &str, host: &str, user: &str) -> String {
    format!(
        r#"{{"time":"{time}","dst_host":{},"user":{},"logon_type":"unknown","outcome":"unknown","orientation":"tampering","event_id":1102,"format":"winjson"}}"#,
        serde_json::to_string(host).unwrap(),
        serde_json::to_string(user).unwrap()
    ) + "\n"
}

#[test]
fn a_cleared_log_on_the_path_is_named_by_trace_and_coverage() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut ev = events();
    ev += &cleared("2019-09-05T12:30:00Z", "th-app-02", "opsadmin");
    ingest_case(p, HOSTS, DATA, &ev);

    let args = [
        "trace",
        "--case",
        "c",
        "--host",
        "jp-crm-01",
        "--at",
        "2019-09-06T00:00:00Z",
        "--warmup",
        "2d",
    ];
    let t = json(&ok(&[&args[..], &["--json"]].concat(), p));
    assert_eq!(
        t["log_notes"],
        serde_json::json!([
            "th-app-02's Security log was cleared at 2019-09-05 12:30:00 by opsadmin"
        ]),
        "{t}"
    );
    let text = ok(&args, p);
    assert!(
        text.contains("what the logs cannot show\n  th-app-02's Security log was cleared"),
        "{text}"
    );
    // before the clearing, nothing to say
    let early = json(&ok(
        &[
            "trace",
            "--case",
            "c",
            "--host",
            "th-app-02",
            "--at",
            "2019-09-05T12:10:00Z",
            "--warmup",
            "2d",
            "--json",
        ],
        p,
    ));
    assert!(early["path"].as_array().is_some_and(|p| !p.is_empty()), "{early}");
    assert!(early.get("log_notes").is_none(), "{early}");

    let out = ok(&["case", "coverage", "--case", "c", "--json"], p);
    assert_eq!(out, ok(&["case", "coverage", "--case", "c", "--json"], p), "deterministic");
    let v = json(&out);
    // the jump hosts are only ever sources: the case holds none of their own logs
    assert_eq!(
        v["hosts_without_logs"],
        serde_json::json!(["jp-jump-01", "sg-jump-01", "th-jump-01", "us-jump-01"])
    );
    let tampering = v["tampering"].as_array().unwrap();
    assert_eq!(tampering.len(), 1, "{out}");
    assert_eq!(tampering[0]["kind"], "security-log-cleared");
    assert_eq!(tampering[0]["host"], "th-app-02");
    assert_eq!(tampering[0]["user"], "opsadmin");
    assert_eq!(tampering[0]["evidence"]["line"], events().lines().count() as u64 + 1);
    let hosts: Vec<&str> =
        v["hosts"].as_array().unwrap().iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(hosts, ["jp-crm-01", "old-db-01", "sg-ops-03", "th-app-02", "us-web-01"]);
    // six days of logs: no rhythm known, no gap
    assert!(v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["rhythm"].is_null() && h["gaps"].as_array().unwrap().is_empty()));
    let table = ok(&["case", "coverage", "--case", "c"], p);
    assert!(
        table.contains("th-app-02's Security log was cleared at 2019-09-05 12:30:00 by opsadmin")
    );
    assert!(table.contains("hosts of the inventory with no logs (4)"), "{table}");
}

#[test]
fn names_in_coverage_are_escaped_for_the_terminal() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut ev = events();
    ev += &cleared("2019-09-05T12:30:00Z", "th-app-02\u{202e}", "x\u{1b}[2Jy\u{7}");
    ingest_case(p, HOSTS, DATA, &ev);
    let table = ok(&["case", "coverage", "--case", "c"], p);
    assert!(!table.contains('\u{1b}') && !table.contains('\u{7}') && !table.contains('\u{202e}'));
    assert!(
        table.contains(
            "th-app-02\\u202e's Security log was cleared at 2019-09-05 12:30:00 by x\\x1b[2Jy\\x07"
        ),
        "{table}"
    );
    // JSON keeps the names as they are (JSON escapes them)
    let v = json(&ok(&["case", "coverage", "--case", "c", "--json"], p));
    assert_eq!(v["tampering"][0]["user"], "x\u{1b}[2Jy\u{7}");
    assert_eq!(v["tampering"][0]["host"], "th-app-02\u{202e}");
}

#[test]
fn the_simulators_cleared_log_and_silence_reach_coverage_and_trace() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let gap = "us-jump-01,2020-04-20T03:12:00Z,,svc-backup";
    ok(&["simulate", "--scale", "0.05", "--out", "fleet", "--log-gap", gap], p);
    let log = std::fs::read_to_string(p.join("fleet/logs/windows/us-jump-01.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(
        last.contains(r#""EventID":1102"#) && last.contains(r#""SubjectUserName":"svc-backup""#)
    );
    assert!(last.starts_with(r#"{"@timestamp":"2020-04-20T03:12:00.000Z""#), "{last}");
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "c"], p);

    let v = json(&ok(&["case", "coverage", "--case", "c", "--json"], p));
    let of_host: Vec<&serde_json::Value> =
        v["tampering"].as_array().unwrap().iter().filter(|t| t["host"] == "us-jump-01").collect();
    let kinds: Vec<&str> = of_host.iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"security-log-cleared"), "{kinds:?}");
    let stop = of_host.iter().find(|t| t["kind"] == "log-stopped" && t["until"].is_null());
    assert_eq!(stop.unwrap()["time"], "2020-04-20T03:12:00Z");
    let host = v["hosts"].as_array().unwrap().iter().find(|h| h["host"] == "us-jump-01").unwrap();
    let gaps = host["gaps"].as_array().unwrap();
    assert!(gaps.last().unwrap()["to"].is_null());

    // the trace from the Japanese server at detection crosses the US jump host
    let t = json(&ok(
        &["trace", "--case", "c", "--host", "jp-crm-01", "--at", "2020-05-11T06:30:00Z", "--json"],
        p,
    ));
    let notes: Vec<&str> =
        t["log_notes"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert!(
        notes.contains(
            &"us-jump-01's Security log was cleared at 2020-04-20 03:12:00 by svc-backup"
        ),
        "{notes:?}"
    );
    assert!(
        notes.contains(
            &"us-jump-01's logs stop on 2020-04-20: logins into it after that would not be seen, hops out of it only where the hosts they reach log them"
        ),
        "{notes:?}"
    );
    // a gap that names no host is refused
    let o = hopscope(&["simulate", "--out", "f2", "--log-gap", "nowhere-01,2020-01-01"], p);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("nowhere-01"));
}
