//! `hopscope report` end to end: golden JSON and Markdown on the hand-made case, the same
//! bytes twice, and redaction that leaves no client name in any file.

mod support;

use std::path::Path;

use support::story::make_case;
use support::{hopscope, ok};

/// The hand-made case spans six days: a two-day warmup lets detection alert on day five.
const REPORT: [&str; 8] = [
    "report",
    "--case",
    "c",
    "--warmup",
    "2d",
    "--contained-at",
    "2019-09-06T00:00:00Z",
    "--formats",
];

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn report_matches_golden_files_and_is_byte_identical_run_to_run() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let mut args = REPORT.to_vec();
    args.extend(["json,md,stix", "--out", "r1"]);
    let printed = ok(&args, p);
    assert_eq!(printed, "r1/report.json\nr1/report.md\nr1/report.stix.json\n");
    *args.last_mut().unwrap() = "r2";
    ok(&args, p);
    for name in ["report.json", "report.md", "report.stix.json"] {
        assert_eq!(
            read(&p.join("r1").join(name)),
            read(&p.join("r2").join(name)),
            "{name}: same case, same bytes"
        );
    }
    let json = read(&p.join("r1/report.json"));
    support::golden("report.json", &json);
    support::golden("report.md", &read(&p.join("r1/report.md")));

    // what the document says about the story
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema"], "hopscope-report");
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["entry_host"], "sg-ops-03");
    assert_eq!(
        v["summary"]["countries"],
        serde_json::json!(["Singapore", "Thailand", "United States", "Japan"])
    );
    assert_eq!(v["summary"]["first_malicious_time"], "2019-09-04T22:01:00Z");
    assert_eq!(v["alert"]["id"], v["alerts"][0]["id"], "the top-ranked alert by default");
    assert_eq!(v["trace"]["host"], "jp-crm-01", "traced from the furthest host the alert reached");
    assert_eq!(v["scope"]["seed"], format!("alert {}", v["alert"]["id"].as_str().unwrap()));
    // the alert object is the one `detect --json` prints with the same settings
    let det: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], p))
            .unwrap();
    assert_eq!(v["alerts"], det["alerts"]);
    // hourly activity over six days; its totals are the case's successes and failures
    assert_eq!(v["activity"]["bucket_seconds"], 3600);
    let sum = |k: &str| {
        v["activity"][k].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).sum::<u64>()
    };
    assert_eq!((sum("logins"), sum("failures")), (64, 1));
}

#[test]
fn an_unknown_alert_is_a_clear_error_and_a_quiet_case_still_reports() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let mut args = REPORT.to_vec();
    args.extend(["json", "--out", "r", "--alert", "A-00000000-deadbeef"]);
    let o = hopscope(&args, p);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no alert A-00000000-deadbeef"));

    let mut args = REPORT.to_vec();
    args.extend(["html,json", "--out", "r"]);
    let o = hopscope(&args, p);
    assert!(o.status.success());
    let page = read(&p.join("r/report.html"));
    let doc = read(&p.join("r/report.json"));
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    let entry = v["summary"]["entry_host"].as_str().unwrap();
    assert!(
        page.starts_with("<!DOCTYPE html>") && page.contains(entry),
        "the page names the entry host {entry}"
    );

    // the default 14-day warmup outlasts these six days: a quiet report that says so
    ok(&["report", "--case", "c", "--out", "quiet"], p);
    assert!(read(&p.join("quiet/report.html")).contains("No alert in this case"));
    let v: serde_json::Value = serde_json::from_str(&read(&p.join("quiet/report.json"))).unwrap();
    assert!(v["alert"].is_null() && v["trace"].is_null() && v["scope"].is_null(), "{v}");
    assert!(v["summary"]["text"].as_str().unwrap().starts_with("No alert"), "{v}");
    assert!(!v["audit"]["findings"].as_array().unwrap().is_empty(), "the audit still speaks");
    assert!(read(&p.join("quiet/report.md")).starts_with("# hopscope report: no alert\n"));
}

/// Every client name of data.csv, the names a disclosure must not show.
fn client_names(data_csv: &str) -> Vec<String> {
    let mut names: Vec<String> = data_csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn leaked(dir: &Path, names: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 3, "{files:?}");
    for f in files {
        let text = read(&f);
        for n in names {
            if text.contains(n.as_str()) {
                found.push(format!("{} in {}", n, f.display()));
            }
        }
    }
    found
}

#[test]
fn redacted_reports_name_no_client_in_any_format() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(&["simulate", "--scenario", "ntt-2019", "--scale", "0.3", "--out", "fleet"], p);
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "c"], p);
    let names = client_names(&read(&p.join("fleet/data.csv")));
    assert!(names.len() > 100, "{} client names", names.len());

    let all = "html,md,json,stix";
    ok(&["report", "--case", "c", "--out", "plain", "--formats", all], p);
    let plain = leaked(&p.join("plain"), &names);
    assert!(
        !plain.is_empty(),
        "without --redact the report names clients (else this test proves nothing)"
    );
    // the 2019 story on one page: the trace runs from the furthest host the alert reached
    // (its last hop is a return to Singapore), over a year in day buckets
    let v: serde_json::Value = serde_json::from_str(&read(&p.join("plain/report.json"))).unwrap();
    assert_eq!(
        v["summary"]["countries"],
        serde_json::json!(["Singapore", "Thailand", "United States", "Japan"])
    );
    assert_eq!(v["summary"]["entry_host"], "sg-ops-03");
    assert_eq!(v["trace"]["host"], "jp-crm-01");
    assert_eq!(v["activity"]["bucket_seconds"], 86400);

    ok(&["report", "--case", "c", "--out", "redacted", "--formats", all, "--redact"], p);
    let red = leaked(&p.join("redacted"), &names);
    assert!(
        red.is_empty(),
        "{} client names leaked, e.g. {:?}",
        red.len(),
        &red[..red.len().min(5)]
    );
    let v: serde_json::Value =
        serde_json::from_str(&read(&p.join("redacted/report.json"))).unwrap();
    assert_eq!(v["redacted"], true);
    assert_eq!(v["scope"]["redacted"], true);
    assert!(v["summary"]["client_count"].as_u64().unwrap() > 0, "counts stay");
}

/// The bundle passes the OASIS `stix2-validator` (PyPI) with no error and no warning. Under
/// CI=true a missing validator is a failure; elsewhere the test says it skipped.
#[test]
fn stix_bundle_passes_the_stix2_validator() {
    let probe = std::process::Command::new("stix2_validator").arg("--help").output();
    if probe.is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "stix2_validator missing under CI=true (pip install stix2-validator)"
        );
        eprintln!("skipped: stix2_validator not installed (pip install stix2-validator)");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    make_case(p);
    let mut args = REPORT.to_vec();
    args.extend(["stix", "--out", "r"]);
    ok(&args, p);
    let o = std::process::Command::new("stix2_validator")
        .arg("--strict")
        .arg("r/report.stix.json")
        .current_dir(p)
        .output()
        .unwrap();
    let out =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{out}");
    assert!(out.contains("STIX JSON: Valid"), "{out}");
    assert!(!out.contains("Warning") && !out.contains("[X]"), "{out}");

    let v: serde_json::Value = serde_json::from_str(&read(&p.join("r/report.stix.json"))).unwrap();
    let objects = v["objects"].as_array().unwrap();
    let of = |t: &str| objects.iter().filter(|o| o["type"] == t).count();
    assert_eq!(of("indicator"), 4, "one indicator per hop of the alert");
    assert_eq!(of("sighting"), 4);
    assert_eq!(of("infrastructure"), 4, "sg-ops-03, th-app-02, us-web-01, jp-crm-01");
    let attack: Vec<&str> = objects
        .iter()
        .filter(|o| o["type"] == "attack-pattern")
        .map(|o| o["external_references"][0]["external_id"].as_str().unwrap())
        .collect();
    assert_eq!(attack, ["T1021.004", "T1078"]);
    let report = objects.iter().find(|o| o["type"] == "report").unwrap();
    assert_eq!(
        report["object_refs"].as_array().unwrap().len(),
        objects.len() - 1,
        "the report names every other object"
    );
}
