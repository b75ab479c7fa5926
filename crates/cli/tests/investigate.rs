//! `hopscope audit`, `scope` and `trace` end to end on a small hand-made case: the 2019
//! story in miniature (internet → sg-ops-03 → th-app-02 → us-web-01 → jp-crm-01) among
//! admins at work.

mod support;

use support::story::make_case;
use support::{hopscope, ok};

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap()
}

#[test]
fn audit_ranks_the_forgotten_internet_facing_host_first() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let args = ["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z", "--json"];
    let out = ok(&args, p);
    assert_eq!(out, ok(&args, p), "deterministic");
    let v = json(&out);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f[0]["host"], "sg-ops-03", "{out}");
    assert_eq!(f[0]["severity"], "critical");
    assert!(f[0]["first"]["evidence"]["line"].as_u64().is_some());
    let kinds: Vec<(&str, &str)> =
        f.iter().map(|x| (x["host"].as_str().unwrap(), x["kind"].as_str().unwrap())).collect();
    for want in [
        ("sg-ops-03", "lifecycle-in-use"),
        ("sg-ops-03", "internet-login"),
        ("sg-ops-03", "stale-patch"),
        ("sg-ops-03", "weak-path-to-crown-jewel"),
        ("old-db-01", "lifecycle-in-use"),
    ] {
        assert!(kinds.contains(&want), "{want:?} missing from {kinds:?}");
    }
    let path = f
        .iter()
        .find(|x| x["host"] == "sg-ops-03" && x["kind"] == "weak-path-to-crown-jewel")
        .unwrap();
    assert_eq!(path["target"], "jp-crm-01");
    assert_eq!(path["path"].as_array().unwrap().len(), 3);
    // severities never go up down the list
    let rank =
        |s: &str| ["critical", "high", "medium", "low"].iter().position(|x| *x == s).unwrap();
    assert!(f
        .windows(2)
        .all(|w| rank(w[0]["severity"].as_str().unwrap())
            <= rank(w[1]["severity"].as_str().unwrap())));
    // cut before the intrusion: no internet login
    let early =
        json(&ok(&["audit", "--case", "c", "--as-of", "2019-09-03T00:00:00Z", "--json"], p));
    assert!(!early["findings"].as_array().unwrap().iter().any(|x| x["kind"] == "internet-login"));
    // the table says the same
    let table = ok(&["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z"], p);
    assert!(table.starts_with("critical sg-ops-03"), "{table}");
}

#[test]
fn scope_walks_forward_and_redaction_names_no_client() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let args = [
        "scope",
        "--case",
        "c",
        "--host",
        "sg-ops-03",
        "--at",
        "2019-09-04T22:01:00Z",
        "--contained-at",
        "2019-09-05T20:00:00Z",
        "--json",
    ];
    let out = ok(&args, p);
    let v = json(&out);
    let hosts: Vec<(&str, &str)> = v["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host"].as_str().unwrap(), h["tier"].as_str().unwrap()))
        .collect();
    assert_eq!(
        hosts,
        [
            ("sg-ops-03", "observed"),
            ("th-app-02", "possible"),
            ("us-web-01", "possible"),
            ("jp-crm-01", "possible")
        ],
        "{out}"
    );
    assert_eq!(v["client_count"], 3);
    assert_eq!(v["restricted_client_count"], 1);
    assert!(out.contains("Defence Communications Agency"));

    let mut red = args.to_vec();
    red.push("--redact");
    let r1 = ok(&red, p);
    let key = std::fs::read_to_string(p.join("c/redaction.key")).unwrap();
    for name in ["Kaito", "Defence", "Siam", "Forgotten", key.trim()] {
        assert!(!r1.contains(name), "{name} leaked: {r1}");
    }
    let table =
        ok(&red[..red.len() - 2].iter().copied().chain(["--redact"]).collect::<Vec<_>>(), p);
    for name in ["Kaito", "Defence", "Siam"] {
        assert!(!table.contains(name), "{name} leaked: {table}");
    }
    assert!(r1.contains("restricted client #1"));
    assert_eq!(r1, ok(&red, p), "stable pseudonyms");
    let v = json(&r1);
    assert_eq!(v["client_count"], 3);
    assert_eq!(v["restricted_client_count"], 1);

    // seeded by an alert of `detect` (same warmup): its hops are the observed tier
    let det = json(&ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], p));
    let alert = det["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["hops"].as_array().unwrap().iter().any(|h| h["dst_host"] == "jp-crm-01"));
    let alert = alert.expect("detect finds the intrusion");
    {
        let id = alert["id"].as_str().unwrap();
        let v = json(&ok(&["scope", "--case", "c", "--alert", id, "--warmup", "2d", "--json"], p));
        let observed: Vec<&str> = v["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["tier"] == "observed")
            .map(|h| h["host"].as_str().unwrap())
            .collect();
        assert!(observed.contains(&"jp-crm-01"), "{v}");
        assert!(v["observed_client_count"].as_u64().unwrap() >= 2);
    }

    // bad seeds are clear errors
    let o =
        hopscope(&["scope", "--case", "c", "--host", "nope", "--at", "2019-09-05T00:00:00Z"], p);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no host"));
    let o = hopscope(&["scope", "--case", "c", "--alert", "A-00000000-deadbeef"], p);
    assert!(!o.status.success());
}

#[test]
fn trace_finds_the_entry_point_and_the_hops() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let out = ok(
        &[
            "trace",
            "--case",
            "c",
            "--host",
            "jp-crm-01",
            "--at",
            "2019-09-06T12:00:00Z",
            "--warmup",
            "2d",
            "--json",
        ],
        p,
    );
    let v = json(&out);
    assert_eq!(v["entry_point"]["host"], "sg-ops-03", "{out}");
    let route: Vec<&str> =
        v["path"].as_array().unwrap().iter().map(|h| h["dst_host"].as_str().unwrap()).collect();
    assert_eq!(route, ["sg-ops-03", "th-app-02", "us-web-01", "jp-crm-01"], "{out}");
    assert_eq!(v["first_malicious_time"], "2019-09-04T22:01:00Z");
    assert_eq!(v["path"][0]["src_host"], "internet");
    assert!(v["path"][1]["evidence"]["line"].as_u64().is_some());
    // the path is the alert's: the text says which, and so does the JSON
    let alert = v["alert"].as_str().expect("an alert reached jp-crm-01").to_string();
    let text = ok(
        &[
            "trace",
            "--case",
            "c",
            "--host",
            "jp-crm-01",
            "--at",
            "2019-09-06T12:00:00Z",
            "--warmup",
            "2d",
        ],
        p,
    );
    assert!(text.contains(&format!("4 hops to jp-crm-01 along alert {alert}")), "{text}");
    // with no alert raised (an unreachable threshold) the rarity walk answers alone
    let rare = ok(
        &[
            "trace",
            "--case",
            "c",
            "--host",
            "jp-crm-01",
            "--at",
            "2019-09-06T12:00:00Z",
            "--warmup",
            "2d",
            "--min-score",
            "100000",
            "--json",
        ],
        p,
    );
    let r = json(&rare);
    assert!(r.get("alert").is_none(), "{rare}");
    assert_eq!(
        r["entry_point"]["host"], "sg-ops-03",
        "the rarity walk finds the same door here: {rare}"
    );
}

/// Golden JSON of each investigation command on the hand-made case
/// (`UPDATE_EXPECT=1 cargo test -p hopscope --test investigate` rewrites them).
#[test]
fn investigation_json_matches_golden_files() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let audit = ["audit", "--case", "c", "--as-of", "2019-09-07T00:00:00Z", "--json"];
    let scope = [
        "scope",
        "--case",
        "c",
        "--host",
        "sg-ops-03",
        "--at",
        "2019-09-04T22:01:00Z",
        "--contained-at",
        "2019-09-05T20:00:00Z",
        "--json",
    ];
    let trace = [
        "trace",
        "--case",
        "c",
        "--host",
        "jp-crm-01",
        "--at",
        "2019-09-06T12:00:00Z",
        "--warmup",
        "2d",
        "--json",
    ];
    for (name, args) in
        [("audit.json", &audit[..]), ("scope.json", &scope[..]), ("trace.json", &trace[..])]
    {
        let out = ok(args, p);
        assert_eq!(out, ok(args, p), "{name}: same case, same bytes");
        support::golden(name, &out);
    }
}
