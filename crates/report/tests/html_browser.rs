//! The HTML report opened in real headless Chromium (Debian's `/usr/bin/chromium`, driven by
//! playwright-core from `tests/browser/`): no console errors, no network, the path diagram holds
//! every hop, clicking a hop shows its evidence, a screenshot and a PDF are made and checked.
//!
//! Needs `tests/browser/setup.sh` (chromium + `npm ci`). Without them the tests print
//! "skipped: ..." and pass, except under `CI=true`, where they fail.
//! `HOPSCOPE_BROWSER_OUT=DIR` keeps the pages, screenshots and PDFs in DIR.

use std::path::{Path, PathBuf};
use std::process::Command;

use hopscope_report::html::{evidence_text, render_html, story_hops};
use serde_json::{json, Value};

const SMALL: &str = include_str!("fixtures/small.json");
const QUIET: &str = include_str!("fixtures/quiet.json");
const HOSTILE: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_USER: &str = "<script>window.__pwned=true</script>";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Why the browser cannot run here, if it cannot.
fn missing() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        return Some(format!("{chromium} is missing (run crates/report/tests/browser/setup.sh)"));
    }
    if !browser_dir().join("node_modules/playwright-core/package.json").exists() {
        return Some(
            "tests/browser/node_modules is missing (run crates/report/tests/browser/setup.sh)"
                .into(),
        );
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not on PATH".into());
    }
    None
}

/// `true` when the browser can run; otherwise "skipped" (or a failure under CI=true).
fn ready(test: &str) -> bool {
    match missing() {
        None => true,
        Some(why) if std::env::var("CI").as_deref() == Ok("true") => panic!("{test}: {why}"),
        Some(why) => {
            println!("skipped: {test}: {why}");
            false
        }
    }
}

struct Run {
    dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

fn out_dir(name: &str) -> Run {
    match std::env::var("HOPSCOPE_BROWSER_OUT") {
        Ok(d) => {
            let dir = Path::new(&d).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            Run { dir, _temp: None }
        }
        Err(_) => {
            let t = tempfile::tempdir().unwrap();
            Run { dir: t.path().to_path_buf(), _temp: Some(t) }
        }
    }
}

/// What the checker should find for `doc`: every hop with its hosts and evidence, the table
/// row counts the document implies.
fn expectation(doc: &Value, dir: &Path) -> Value {
    let hops: Vec<Value> = story_hops(doc)
        .iter()
        .map(|h| {
            json!({
                "src": h["src_host"], "dst": h["dst_host"],
                "evidence": h["evidence"].as_array().unwrap().iter().map(evidence_text).collect::<Vec<_>>(),
            })
        })
        .collect();
    let count = |v: &Value| v.as_array().map_or(0, Vec::len);
    let evidence: usize = hops.iter().map(|h| count(&h["evidence"])).sum();
    let mut tables = json!({
        "hosts-table": count(&doc["scope"]["hosts"]),
        "accounts-table": count(&doc["scope"]["accounts"]),
        "clients-table": count(&doc["scope"]["clients"]),
        "audit-table": count(&doc["audit"]["findings"]),
        "evidence-table": evidence,
        "alerts-table": count(&doc["alerts"]),
    });
    if !hops.is_empty() {
        tables["hop-table"] = json!(hops.len());
    }
    json!({
        "hops": hops,
        "tables": tables,
        "screenshot": dir.join("report.png"),
        "narrow_screenshot": dir.join("narrow.png"),
        "pdf": dir.join("report.pdf"),
        "full_screenshot": dir.join("full.png"),
    })
}

/// One browser at a time: the tests measure timings, and CI machines are small.
static BROWSER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn check(doc: &Value, name: &str, extra: Value) -> (Value, Value) {
    let _one = BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let run = out_dir(name);
    let html = run.dir.join("report.html");
    std::fs::write(&html, render_html(doc)).unwrap();
    let mut expected = expectation(doc, &run.dir);
    for (k, v) in extra.as_object().unwrap() {
        expected[k] = v.clone();
    }
    let exp_path = run.dir.join("expected.json");
    std::fs::write(&exp_path, serde_json::to_string_pretty(&expected).unwrap()).unwrap();
    let out = Command::new("node")
        .arg("check.mjs")
        .arg(&html)
        .arg(&exp_path)
        .current_dir(browser_dir())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name}: node check.mjs failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{name}: {e}: {stdout}"));
    assert!(result["error"].is_null(), "{name}: {}", result["error"]);
    (result, expected)
}

fn assert_clean(r: &Value, name: &str) {
    for key in ["console_errors", "page_errors", "dialogs", "network"] {
        assert_eq!(r[key], json!([]), "{name}: {key}: {r:#}");
    }
}

fn small() -> Value {
    serde_json::from_str(SMALL).unwrap()
}

#[test]
fn report_in_chromium_shows_every_hop_and_its_evidence() {
    if !ready("report_in_chromium_shows_every_hop_and_its_evidence") {
        return;
    }
    let doc = small();
    let (r, exp) =
        check(&doc, "small", json!({"filter": {"table": "clients-table", "term": "kaito"}}));
    assert_clean(&r, "small");
    // the case: internet → sg-ops-03 → th-app-02 → us-web-01 → jp-crm-01
    let hops = exp["hops"].as_array().unwrap();
    let route: Vec<&str> = hops.iter().map(|h| h["dst"].as_str().unwrap()).collect();
    assert_eq!(route, ["sg-ops-03", "th-app-02", "us-web-01", "jp-crm-01"]);
    assert_eq!(r["hop_elements"], hops.len(), "{r:#}");
    assert_eq!(r["missing_hosts"], json!([]), "{r:#}");
    for h in r["hops"].as_array().unwrap() {
        assert_eq!(h["clicked"], true, "{h}");
        assert_eq!(h["selected"], true, "{h}");
        assert_eq!(h["has_hosts"], true, "{h}");
        assert_eq!(h["missing_evidence"], json!([]), "{h}");
    }
    assert_eq!(r["hops"].as_array().unwrap().len(), hops.len());
    assert!(
        r["keyboard_detail"].as_str().unwrap().starts_with("Hop 1: internet → sg-ops-03"),
        "{r:#}"
    );
    assert_eq!(r["h1"], "Singapore → Thailand → United States → Japan");
    assert!(r["summary"].as_str().unwrap().contains("sg-ops-03"));
    // the whole picture is in the first screen of a 1280×800 window
    assert!(r["svg_box"]["bottom"].as_i64().unwrap() <= 800, "{r:#}");
    let shot = &r["screenshot"];
    assert_eq!(shot["png"], true);
    assert_eq!(
        (shot["width"].as_u64(), shot["height"].as_u64()),
        (Some(1280), Some(800)),
        "{shot}"
    );
    assert!(shot["bytes"].as_u64().unwrap() > 40_000, "a blank page is smaller: {shot}");
    assert_eq!(r["tables"], exp["tables"], "{r:#}");
    assert_eq!(r["filter"]["visible"], 1, "{r:#}");
    assert_eq!(r["filter"]["count_text"], "1 of 3 rows");
    assert_eq!(r["sort"]["ascending"], true, "{r:#}");
    assert_eq!(r["sort"]["reversed"], true, "{r:#}");
    assert_eq!(r["sort"]["aria"], "descending");
    let t = &r["timeline"];
    assert!(t["bars"].as_u64().unwrap() > 10, "{t}");
    assert_eq!(t["marks"], hops.len(), "{t}");
    assert_ne!(t["zoomed_range"], t["reset_range"], "{t}");
    assert_ne!(t["dragged_range"], t["reset_range"], "drag-to-zoom: {t}");
    assert_ne!(t["wheel_range"], t["reset_range"], "wheel zoom: {t}");
    assert!(r["row_detail"].as_str().unwrap().starts_with("Hop 2: sg-ops-03 → th-app-02"), "{r:#}");
    assert!(
        r["narrow_overflow"].as_i64().unwrap() <= 0,
        "the page scrolls sideways at 420 px: {r:#}"
    );
    assert_eq!(r["print_hidden_toc"], true);
    assert_eq!(r["print_svg_fits"], true);
    assert_eq!(r["pdf"]["magic"], "%PDF-");
    assert!(r["pdf"]["bytes"].as_u64().unwrap() > 20_000, "{r:#}");
}

/// Replaces `from` by `to` in every string of `v`.
fn replace_all(v: &mut Value, from: &str, to: &str) {
    match v {
        Value::String(s) => *s = s.replace(from, to),
        Value::Array(a) => a.iter_mut().for_each(|x| replace_all(x, from, to)),
        Value::Object(o) => o.values_mut().for_each(|x| replace_all(x, from, to)),
        _ => {}
    }
}

#[test]
fn hostile_names_from_logs_stay_text() {
    if !ready("hostile_names_from_logs_stay_text") {
        return;
    }
    let mut doc = small();
    replace_all(&mut doc, "th-app-02", HOSTILE);
    replace_all(&mut doc, "svc_backup", HOSTILE_USER);
    replace_all(&mut doc, "events.jsonl", "\"><svg onload=alert(2)>.log");
    let (r, _) = check(
        &doc,
        "hostile",
        json!({"text": [HOSTILE, HOSTILE_USER, "\"><svg onload=alert(2)>.log:64"]}),
    );
    assert_clean(&r, "hostile");
    assert_eq!(r["pwned"], false);
    assert_eq!(r["img_elements"], 0, "{r:#}");
    assert_eq!(r["script_elements"], 3, "only the page's own scripts: {r:#}");
    assert_eq!(r["text_missing"], json!([]), "{r:#}");
    assert_eq!(r["missing_hosts"], json!([]), "{r:#}");
    for h in r["hops"].as_array().unwrap() {
        assert_eq!(h["missing_evidence"], json!([]), "{h}");
    }
}

#[test]
fn quiet_case_in_chromium_says_no_alert_and_shows_activity_and_audit() {
    if !ready("quiet_case_in_chromium_says_no_alert_and_shows_activity_and_audit") {
        return;
    }
    let doc: Value = serde_json::from_str(QUIET).unwrap();
    let (r, exp) = check(&doc, "quiet", json!({}));
    assert_clean(&r, "quiet");
    assert_eq!(r["hop_elements"], 0);
    assert_eq!(r["h1"], "No alert in this case");
    assert!(r["timeline"]["bars"].as_u64().unwrap() > 10, "{r:#}");
    assert!(exp["tables"]["audit-table"].as_u64().unwrap() > 0);
    assert_eq!(r["tables"]["audit-table"], exp["tables"]["audit-table"], "{r:#}");
    assert_eq!(r["screenshot"]["png"], true);
}

/// Thousands of client organisations: the page loads and filters quickly.
#[test]
fn large_client_table_stays_fast() {
    if !ready("large_client_table_stays_fast") {
        return;
    }
    let mut doc = small();
    let template = doc["scope"]["clients"][1].clone();
    let clients: Vec<Value> = (0..5000)
        .map(|i| {
            let mut c = template.clone();
            c["client"] = json!(format!("Client {i:04} K.K."));
            c["records"] = json!(i * 7 % 1000);
            c
        })
        .collect();
    doc["scope"]["clients"] = Value::Array(clients);
    let (r, _) =
        check(&doc, "large", json!({"filter": {"table": "clients-table", "term": "1234"}}));
    assert_clean(&r, "large");
    assert_eq!(r["tables"]["clients-table"], 5000);
    assert_eq!(r["filter"]["visible"], 1, "only Client 1234: {r:#}");
    println!(
        "5000 clients: load {} ms, filter {} ms, two sorts {} ms",
        r["load_ms"], r["filter"]["ms"], r["sort"]["ms"]
    );
    assert!(r["load_ms"].as_u64().unwrap() < 5000, "{r:#}");
    assert!(r["filter"]["ms"].as_u64().unwrap() < 2000, "{r:#}");
    assert!(r["sort"]["ms"].as_u64().unwrap() < 4000, "{r:#}");
}

/// Renders a document to a page, for looking at it: `REPORT_JSON=doc.json REPORT_HTML=out.html
/// cargo test -p hopscope-report --test html_browser -- --ignored render_file`.
#[test]
#[ignore]
fn render_file() {
    let input = std::env::var("REPORT_JSON").expect("REPORT_JSON (an absolute path)");
    let output = std::env::var("REPORT_HTML").expect("REPORT_HTML");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(input).unwrap()).unwrap();
    std::fs::write(output, render_html(&doc)).unwrap();
}
