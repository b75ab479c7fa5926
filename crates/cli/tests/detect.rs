//! `hopscope detect` end to end: a small hand-made case, its alert JSON compared with a
//! golden file (`UPDATE_EXPECT=1 cargo test -p hopscope --test detect` rewrites it).

use std::fmt::Write as _;
use std::path::Path;

mod support;

use support::story::{admins_at_work, ingest_case};
use support::{hopscope, ok};

const HOSTS: &str = "\
host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality
sg-ops-03,10.30.0.3,singapore,Singapore,operations,infra,decommissioning,2018-03-14,true,medium
sg-jump-01,10.30.0.9,singapore,Singapore,jump,infra,active,2019-08-01,false,medium
th-jump-01,10.40.0.9,bangkok,Thailand,jump,infra,active,2019-08-01,false,medium
th-app-02,10.40.0.2,bangkok,Thailand,application,apps,active,2019-07-01,false,high
us-jump-01,10.50.0.9,dallas,United States,jump,infra,active,2019-08-01,false,medium
us-web-01,10.50.0.1,dallas,United States,web,web,active,2019-06-01,true,medium
jp-jump-01,10.10.0.9,tokyo,Japan,jump,infra,active,2019-08-01,false,medium
jp-crm-01,10.10.0.10,tokyo,Japan,database,crm,active,2019-08-20,false,critical
";

const DATA: &str = "\
host,client,data_class,records,restricted
jp-crm-01,Kaito Logistics K.K.,customer-contracts,12840,false
jp-crm-01,Defence Communications Agency,line-inventory,310,true
";

/// How a login went: its authentication package, logon type and outcome.
struct How {
    auth: &'static str,
    logon_type: &'static str,
    outcome: &'static str,
}

const KERBEROS: How = How { auth: "Kerberos", logon_type: "network", outcome: "success" };
const SSH_KEY: How =
    How { auth: "publickey", logon_type: "remote-interactive", outcome: "success" };
const NTLM_FAILED: How = How { auth: "NTLM", logon_type: "network", outcome: "failure" };
const NTLM: How = How { auth: "NTLM", logon_type: "network", outcome: "success" };

fn line(out: &mut String, time: &str, src: &str, dst: &str, user: &str, how: How, flags: &[&str]) {
    let How { auth, logon_type, outcome } = how;
    let flags: Vec<String> = flags.iter().map(|f| format!("\"{f}\"")).collect();
    writeln!(
        out,
        r#"{{"time":"{time}","src_host":"{src}","dst_host":"{dst}","user":"{user}","auth":"{auth}","logon_type":"{logon_type}","outcome":"{outcome}","orientation":"logon","flags":[{}],"format":"jsonl"}}"#,
        flags.join(",")
    )
    .unwrap();
}

/// Six days of admins at work, then the intrusion on day five.
fn events() -> String {
    let mut s = String::new();
    let routes = [
        ("sg-jump-01", "sg-ops-03", "sg_admin"),
        ("th-jump-01", "th-app-02", "th_admin"),
        ("us-jump-01", "us-web-01", "us_admin"),
        ("jp-jump-01", "jp-crm-01", "jp_admin"),
        ("jp-jump-01", "th-app-02", "jp_admin"),
    ];
    admins_at_work(&routes, |time, src, dst, user| {
        line(&mut s, time, src, dst, user, KERBEROS, &[])
    });
    line(&mut s, "2019-09-05T12:04:05Z", "sg-ops-03", "th-app-02", "svc_backup", SSH_KEY, &[]);
    line(&mut s, "2019-09-05T13:10:00Z", "th-app-02", "us-web-01", "svc_backup", SSH_KEY, &[]);
    for sec in 0..4 {
        line(
            &mut s,
            &format!("2019-09-05T14:00:0{sec}Z"),
            "us-web-01",
            "jp-crm-01",
            "jp_admin",
            NTLM_FAILED,
            &[],
        );
    }
    line(
        &mut s,
        "2019-09-05T14:00:30Z",
        "us-web-01",
        "jp-crm-01",
        "jp_admin",
        NTLM,
        &["admin-share", "service-install"],
    );
    s
}

fn make_case(p: &Path) {
    ingest_case(p, HOSTS, DATA, &events());
}

#[test]
fn alert_json_matches_the_golden_file_and_is_deterministic() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let args = ["detect", "--case", "c", "--warmup", "2d", "--json"];
    let json = ok(&args, p);
    assert_eq!(json, ok(&args, p), "same case, same bytes");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/detect.json");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&golden, &json).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        json == expected,
        "detect --json differs from {} (UPDATE_EXPECT=1 to accept):\n{json}",
        golden.display()
    );

    let table = ok(&["detect", "--case", "c", "--warmup", "2d"], p);
    let golden_table = golden.with_extension("txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&golden_table, &table).unwrap();
    }
    assert!(
        table == std::fs::read_to_string(&golden_table).unwrap_or_default(),
        "table differs:\n{table}"
    );

    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["entry_host"], "sg-ops-03");
    assert_eq!(alerts[0]["hops"].as_array().unwrap().len(), 3);
    assert_eq!(alerts[0]["hops"][0]["evidence"][0]["file"], "events.jsonl");

    // one alert per line
    let jsonl = ok(&["detect", "--case", "c", "--warmup", "2d", "--jsonl"], p);
    assert_eq!(jsonl.lines().count(), 1);
    assert_eq!(serde_json::from_str::<serde_json::Value>(jsonl.trim()).unwrap(), alerts[0]);
}

#[test]
fn table_fits_100_columns_and_rule_and_budget_work() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let table = ok(&["detect", "--case", "c", "--warmup", "2d"], p);
    assert!(table.contains("first login ever from sg-ops-03 to th-app-02"), "{table}");
    assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
    assert!(!table.contains('\x1b'), "no colour off a terminal");
    let rule: serde_json::Value = serde_json::from_str(&ok(
        &[
            "detect",
            "--case",
            "c",
            "--warmup",
            "2d",
            "--rule",
            "unseen-edge",
            "--budget",
            "2",
            "--json",
        ],
        p,
    ))
    .unwrap();
    assert_eq!(rule["rule"], "unseen-edge");
    assert_eq!(rule["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(rule["dropped_by_budget"], 1);
    // the case is its own baseline: no edge is new; only the brute force stays suspicious
    let none: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "c", "--baseline", "c", "--json"], p))
            .unwrap();
    let hops: Vec<&serde_json::Value> = none["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["hops"].as_array().unwrap())
        .collect();
    assert_eq!(hops.len(), 1, "{none}");
    let features = hops[0]["features"].to_string();
    assert!(features.contains("brute-force") && !features.contains("new-edge"), "{features}");
    assert!(none["stats"]["baseline_events"].as_u64().unwrap() > 0);
    let bad = hopscope(&["detect", "--case", "c", "--window", "soon"], p);
    assert_eq!(bad.status.code(), Some(2));
}
