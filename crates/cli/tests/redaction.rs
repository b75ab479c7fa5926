//! Redaction against hostile client names: every output of every command with `--redact`
//! (`detect`, `trace`, `audit`, `scope` and `case info` in every form, `watch`'s alert events
//! and notices, `report` in every format) names no restricted client, in any case, Unicode
//! form or separator, and pseudonymising a client corrupts no other fact.

mod support;

use std::path::Path;

use support::story::{events, HOSTS};
use support::{hopscope, ok};
use unicode_normalization::UnicodeNormalization;

/// Restricted clients with hostile names: accents (written in other forms in the logs), a
/// name that is also an account, regex, Markdown and HTML metacharacters, a very short one.
const RESTRICTED: [&str; 5] = [
    "Secret Ministry of Defence",
    "École Supérieure de Guerre",
    "svc_backup",
    "A*B (UK) [x]|$^.+? <b>&",
    "Ab",
];

/// `cmdb/data.csv`: the restricted clients, and unrestricted ones named like a country and
/// like a host of the inventory.
fn data_csv() -> String {
    let mut s = String::from("host,client,data_class,records,restricted\n");
    for (i, c) in RESTRICTED.iter().enumerate() {
        let host = ["jp-crm-01", "th-app-02", "us-web-01"][i % 3];
        s.push_str(&format!("{host},\"{c}\",class-{i},{},true\n", 10 + i));
    }
    s.push_str("jp-crm-01,Japan,contracts,100,false\n");
    s.push_str("jp-crm-01,old-db-01,billing,5,false\n");
    s.push_str("jp-crm-01,Kaito Logistics K.K.,customer-contracts,12840,false\n");
    s
}

/// The story with the restricted names in the logs as the intruder's accounts (another case
/// and Unicode form), a workstation's name, and the evidence folder's name.
fn hostile_case(p: &Path) {
    let js = |s: &str| serde_json::to_string(s).unwrap();
    let shouted: String = "ÉCOLE SUPÉRIEURE DE GUERRE".nfd().collect();
    let mut ev = events().replace("\"opsadmin\"", &js(&shouted));
    ev.push_str(&format!(
        "{{\"time\":\"2019-09-05T12:30:00Z\",\"src_host\":\"ab\",\"dst_host\":\"th-app-02\",\"user\":{},\"auth\":\"NTLM\",\"logon_type\":\"network\",\"outcome\":\"success\",\"orientation\":\"logon\",\"format\":\"jsonl\"}}\n",
        js("a*b (uk) [X]|$^.+? <B>&")
    ));
    let dir = p.join("SECRET_MINISTRY_OF_DEFENCE");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("auth.jsonl"), ev).unwrap();
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), HOSTS).unwrap();
    std::fs::write(p.join("cmdb/data.csv"), data_csv()).unwrap();
    ok(&["ingest", "SECRET_MINISTRY_OF_DEFENCE", "--inventory", "cmdb", "--case", "c"], p);
}

/// The restricted names `text` shows as a name (not inside a longer word).
fn leaks(text: &str) -> Vec<&'static str> {
    support::leaks::leaks(text, &RESTRICTED)
}

#[test]
fn no_output_with_redact_names_a_restricted_client() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    hostile_case(p);
    let det: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], p))
            .unwrap();
    let id = det["alerts"][0]["id"].as_str().unwrap().to_string();
    let contained = ["--contained-at", "2019-09-06T00:00:00Z"];
    let scope_alert = ["scope", "--case", "c", "--alert", &id, "--warmup", "2d", "--redact"];
    let scope_host =
        ["scope", "--case", "c", "--host", "sg-ops-03", "--at", "2019-09-04T22:01:00Z", "--redact"];

    // without --redact the names are there (else this test proves nothing)
    let plain = ok(&[&scope_alert[..7], &contained[..], &["--json"]].concat(), p);
    assert_eq!(leaks(&plain).len(), RESTRICTED.len(), "{:?}\n{plain}", leaks(&plain));

    let mut outputs: Vec<(String, String)> = Vec::new();
    for base in [&scope_alert[..], &scope_host[..]] {
        for extra in [&[][..], &["--json"][..]] {
            let args = [base, &contained[..], extra].concat();
            outputs.push((format!("{args:?}"), ok(&args, p)));
        }
    }
    let all = "json,md,stix,html";
    let report = ["report", "--case", "c", "--warmup", "2d", "--formats", all];
    ok(&[&report[..], &contained[..], &["--out", "plain"]].concat(), p);
    // a redacted report of only some formats into the folder of an unredacted one
    let o = hopscope(
        &[&report[..6], &["md", "--redact", "--out", "plain"], &contained[..]].concat(),
        p,
    );
    assert!(o.status.success());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("removed") && said.contains("report.html"), "{said}");
    ok(&[&report[..], &contained[..], &["--out", "red", "--redact"]].concat(), p);
    for dir in ["plain", "red"] {
        let mut files: Vec<_> = std::fs::read_dir(p.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|f| f.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
            .collect();
        files.sort();
        for f in files {
            outputs.push((f.display().to_string(), std::fs::read_to_string(&f).unwrap()));
        }
    }
    assert_eq!(outputs.len(), 4 + 1 + 4, "plain/ holds the redacted report.md alone");

    // detect, trace and audit in every output form: each names restricted clients without
    // --redact (else the check below proves nothing for it), none with it
    let trace = ["trace", "--case", "c", "--host", "jp-crm-01", "--at", "2019-09-06T00:00:00Z"];
    let trace = [&trace[..], &["--warmup", "2d"]].concat();
    let detect = ["detect", "--case", "c", "--warmup", "2d"];
    for (base, forms) in [
        (&detect[..], &[&[][..], &["--json"][..], &["--jsonl"][..]][..]),
        (&trace[..], &[&[][..], &["--json"][..]][..]),
        (&["audit", "--case", "c"][..], &[&[][..], &["--json"][..]][..]),
        (&["case", "info", "--case", "c"][..], &[&[][..], &["--json"][..]][..]),
    ] {
        for form in forms {
            let args = [base, form].concat();
            let plain = ok(&args, p);
            assert!(
                !leaks(&plain).is_empty(),
                "{args:?} names no client without --redact:\n{plain}"
            );
            let args = [&args[..], &["--redact"]].concat();
            let o = hopscope(&args, p);
            assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
            outputs.push((format!("{args:?}"), String::from_utf8(o.stdout).unwrap()));
            outputs.push((format!("{args:?} stderr"), String::from_utf8(o.stderr).unwrap()));
            if form.is_empty() {
                continue;
            }
            // JSON stays JSON, with the same shape as without --redact
            let text = &outputs[outputs.len() - 2].1;
            for (a, b) in plain.lines().zip(text.lines()).filter(|_| form == &["--jsonl"]) {
                let (a, b): (serde_json::Value, serde_json::Value) =
                    (serde_json::from_str(a).unwrap(), serde_json::from_str(b).unwrap());
                assert_eq!(a.as_object().unwrap().len(), b.as_object().unwrap().len());
            }
            if form == &["--json"] {
                let (a, b): (serde_json::Value, serde_json::Value) =
                    (serde_json::from_str(&plain).unwrap(), serde_json::from_str(text).unwrap());
                assert_eq!(a.as_object().unwrap().len(), b.as_object().unwrap().len());
            }
        }
    }
    // watch: alert events on stdout, notices on stderr; the key kept in --state
    let watch = ["watch", "SECRET_MINISTRY_OF_DEFENCE", "--once", "--inventory", "cmdb"];
    let watch = [&watch[..], &["--warmup", "2d", "--budget", "0"]].concat();
    let o = hopscope(&watch, p);
    let plain =
        format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && !leaks(&plain).is_empty(), "watch names no client:\n{plain}");
    let o = hopscope(&[&watch[..], &["--state", "st", "--redact"]].concat(), p);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let alerts = String::from_utf8(o.stdout).unwrap();
    for line in alerts.lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
    let n = plain.lines().filter(|l| l.starts_with("{\"seq\"")).count();
    assert!(n > 0 && alerts.lines().count() == n, "{n} alert events without --redact:\n{alerts}");
    outputs.push(("watch --redact".into(), alerts));
    outputs.push(("watch --redact stderr".into(), String::from_utf8(o.stderr).unwrap()));
    assert!(p.join("st/redaction.key").is_file());
    assert_eq!(outputs.len(), 9 + 2 * 9 + 2);
    for (what, text) in &outputs {
        assert_eq!(leaks(text), Vec::<&str>::new(), "{what}:\n{text}");
    }

    // pseudonymising corrupts no fact: the country Japan and the host old-db-01 stay
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("red/report.json")).unwrap()).unwrap();
    assert_eq!(
        v["summary"]["countries"],
        serde_json::json!(["Singapore", "Thailand", "United States", "Japan"])
    );
    assert!(v["audit"].to_string().contains("old-db-01"), "{}", v["audit"]);
    let clients = v["scope"]["clients"].to_string();
    assert!(!clients.contains("Japan") && !clients.contains("old-db-01"), "{clients}");
    assert!(clients.contains("client-"), "{clients}");
}

#[test]
fn the_redaction_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    ok(
        &[
            "scope",
            "--case",
            "c",
            "--host",
            "sg-ops-03",
            "--at",
            "2019-09-04T22:01:00Z",
            "--redact",
        ],
        p,
    );
    let mode = std::fs::metadata(p.join("c/redaction.key")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
}

#[test]
fn the_redaction_key_is_made_under_the_case_lock_and_read_without_it() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    let scope = ["scope", "--case", "c", "--host", "sg-ops-03", "--at", "2019-09-04T22:01:00Z"];
    let redacted = [&scope[..], &["--redact"]].concat();
    let detect = ["detect", "--case", "c", "--warmup", "2d", "--redact"];
    let report = ["report", "--case", "c", "--warmup", "2d", "--out", "r", "--redact"];
    // an ingest holds the case: the first --redact of every command would write the key
    let held = hopscope_case::WriterLock::for_case(&p.join("c")).unwrap();
    for args in [&redacted[..], &detect[..], &report[..]] {
        let o = hopscope(args, p);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("is writing case") && err.contains("pid"), "{args:?}: {err}");
        assert!(!p.join("c/redaction.key").exists(), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    ok(&scope, p); // without --redact nothing is written: the lock does not matter
    drop(held);
    let first = ok(&redacted, p);
    let key = std::fs::read(p.join("c/redaction.key")).unwrap();
    // once the key exists, reading it needs no lock: the same pseudonyms while a writer works
    let _held = hopscope_case::WriterLock::for_case(&p.join("c")).unwrap();
    assert_eq!(ok(&redacted, p), first);
    ok(&detect, p);
    assert_eq!(std::fs::read(p.join("c/redaction.key")).unwrap(), key);
    let leftovers: Vec<_> = std::fs::read_dir(p.join("c"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_containment_before_the_first_compromise_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    support::story::make_case(p);
    for at in ["1601-01-01T00:00:00Z", "2019-09-04T22:00:00Z", "2019-09-04T22:01:00Z"] {
        for args in [
            vec!["report", "--case", "c", "--warmup", "2d", "--out", "r", "--contained-at", at],
            vec![
                "scope",
                "--case",
                "c",
                "--host",
                "sg-ops-03",
                "--at",
                "2019-09-04T22:01:00Z",
                "--contained-at",
                at,
            ],
        ] {
            let o = hopscope(&args, p);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("not after the first compromise"), "{args:?}: {err}");
            assert!(!p.join("r/report.json").exists());
        }
    }
}
