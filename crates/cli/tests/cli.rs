//! The `hopscope` binary end to end: a temp dir with files, run the binary, check output.

use std::process::Command;

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

#[test]
fn export_round_trips_through_jsonl_and_csv() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::write(p.join("auth.txt"), LANL).unwrap();
    ok(&["ingest", "auth.txt", "--case", "c1", "--lanl-start", "2019-06-01T00:00:00Z"], p);
    let jsonl = ok(&["export", "--case", "c1"], p);
    assert_eq!(jsonl.lines().count(), 6);
    assert!(jsonl
        .lines()
        .next()
        .unwrap()
        .starts_with(r#"{"time":"2019-06-01T00:00:01Z","src_host":"C625""#));
    assert!(jsonl.contains(r#""evidence":{"file":"auth.txt","line":6}"#));
    let csv = ok(&["export", "--case", "c1", "--format", "csv"], p);
    std::fs::write(p.join("e.jsonl"), &jsonl).unwrap();
    std::fs::write(p.join("e.csv"), &csv).unwrap();
    ok(&["ingest", "e.jsonl", "--case", "c2"], p);
    ok(&["ingest", "e.csv", "--case", "c3"], p);
    assert_eq!(ok(&["export", "--case", "c2"], p), jsonl, "jsonl round trip");
    assert_eq!(ok(&["export", "--case", "c3"], p), jsonl, "csv round trip");
    assert_eq!(ok(&["export", "--case", "c3", "--format", "csv"], p), csv);
}

#[test]
fn deterministic_across_runs_and_threads() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut big = String::new();
    for i in 0..20_000u32 {
        big.push_str(&format!(
            "{},U{}@DOM1,U{}@DOM1,C{},C{},Kerberos,Network,LogOn,Success\n",
            i / 3,
            i % 97,
            i % 97,
            i % 13,
            i % 31
        ));
    }
    std::fs::write(p.join("auth.txt"), big).unwrap();
    std::fs::write(p.join("auth2.txt"), LANL).unwrap();
    ok(&["ingest", "auth.txt", "auth2.txt", "--case", "a", "--threads", "1"], p);
    ok(&["ingest", "auth.txt", "auth2.txt", "--case", "b", "--threads", "4"], p);
    let a = ok(&["export", "--case", "a"], p);
    assert_eq!(a, ok(&["export", "--case", "b"], p));
    assert_eq!(
        std::fs::read(p.join("a/manifest.json")).unwrap(),
        std::fs::read(p.join("b/manifest.json")).unwrap()
    );
}

#[test]
fn bad_lines_are_counted_and_located_strict_stops() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let text = format!("{LANL}x,U1@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\n6,U1@D\n\u{0}\n");
    let mut bytes = text.into_bytes();
    bytes.extend_from_slice(b"7,U\xff@D,U1@D,C1,C2,NTLM,Network,LogOn,Success\n");
    std::fs::write(p.join("auth.txt"), &bytes).unwrap();
    let o = hopscope(&["ingest", "auth.txt", "--case", "c", "--json"], p);
    assert!(o.status.success());
    let m: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(m["events"], 6);
    assert_eq!(m["problems"]["bad-time"], 1);
    assert_eq!(m["problems"]["truncated"], 2);
    assert_eq!(m["problems"]["invalid-utf8"], 1);
    let at: Vec<&str> = m["problem_examples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(at.contains(&"auth.txt:7"), "{at:?}");
    assert!(at.contains(&"auth.txt:10"), "{at:?}");

    let o = hopscope(&["ingest", "auth.txt", "--case", "s", "--strict"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("auth.txt:7"));
    assert!(!p.join("s/manifest.json").exists(), "strict failure must not leave a case");
}

#[test]
fn missing_input_is_one_line_exit_1() {
    let d = tempfile::tempdir().unwrap();
    let o = hopscope(&["ingest", "nope.log", "--case", "c"], d.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nope.log"));
    let o = hopscope(&["case", "info", "--case", "c"], d.path());
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn append_and_inventory_resolution() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join("cmdb")).unwrap();
    std::fs::write(
        p.join("cmdb/hosts.csv"),
        "host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality\n\
         C586.dom1.example,10.1.0.5,tokyo,Japan,database,crm,active,2020-01-01,false,critical\n",
    )
    .unwrap();
    std::fs::write(p.join("cmdb/sites.csv"), "cidr,site,country\n10.1.0.0/16,tokyo,Japan\n")
        .unwrap();
    std::fs::write(p.join("auth.txt"), LANL).unwrap();
    std::fs::write(p.join("more.txt"), "9,U9@DOM1,U9@DOM1,C9,c586,NTLM,Network,LogOn,Success\n")
        .unwrap();
    ok(&["ingest", "auth.txt", "--case", "c", "--inventory", "cmdb"], p);
    ok(&["ingest", "more.txt", "--case", "c"], p);
    let info: serde_json::Value =
        serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
    assert_eq!(info["generation"], 2);
    assert_eq!(info["events"], 7);
    assert_eq!(info["sources"].as_array().unwrap().len(), 2);
    let out = ok(&["export", "--case", "c"], p);
    // the short, differently-cased name resolves to the inventory host
    let last = out.lines().last().unwrap();
    assert!(last.contains(r#""dst_host":"C586.dom1.example""#), "{last}");
}

/// Inventory roles the vocabulary does not know are counted and named once in the case's
/// notes (docs/formats.md#host-roles); a new inventory replaces the note.
#[test]
fn unrecognised_inventory_roles_are_noted_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir(p.join("cmdb")).unwrap();
    std::fs::write(
        p.join("cmdb/hosts.csv"),
        "host,role\nC625,WS\nC586,Frobnicator\nC1065,frobnicator\nC1250,gizmo\nC529,db server\nC9,\n",
    )
    .unwrap();
    std::fs::write(p.join("auth.txt"), LANL).unwrap();
    std::fs::write(p.join("more.txt"), "9,U9@DOM1,U9@DOM1,C9,c586,NTLM,Network,LogOn,Success\n")
        .unwrap();
    let notes = |p: &std::path::Path| -> Vec<String> {
        let info: serde_json::Value =
            serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
        let notes = info["notes"].as_array().unwrap().iter();
        notes.map(|n| n.as_str().unwrap().to_string()).filter(|n| n.contains("roles")).collect()
    };
    ok(&["ingest", "auth.txt", "--case", "c", "--inventory", "cmdb"], p);
    ok(&["ingest", "more.txt", "--case", "c"], p);
    assert_eq!(
        notes(p),
        vec![
            r#"inventory roles not recognised, counted as unknown (3 hosts): "frobnicator", "gizmo""#
        ]
    );
    let text = ok(&["case", "info", "--case", "c"], p);
    assert!(text.contains(r#"note        inventory roles not recognised"#), "{text}");
    std::fs::write(p.join("cmdb/hosts.csv"), "host,role\nC625,laptop\nC586,srv\n").unwrap();
    std::fs::write(p.join("again.txt"), "10,U9@DOM1,U9@DOM1,C9,c586,NTLM,Network,LogOn,Success\n")
        .unwrap();
    ok(&["ingest", "again.txt", "--case", "c", "--inventory", "cmdb"], p);
    assert!(notes(p).is_empty(), "{:?}", notes(p));
}

#[test]
fn killed_ingest_leaves_no_readable_half_case() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let mut big = String::with_capacity(60 << 20);
    for i in 0..1_000_000u32 {
        big.push_str(&format!(
            "{i},U{}@DOM1,U{}@DOM1,C{},C{},Kerberos,Network,LogOn,Success\n",
            i % 977,
            i % 977,
            i % 1013,
            i % 3001
        ));
    }
    std::fs::write(p.join("auth.txt"), big).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_hopscope"))
        .args(["ingest", "auth.txt", "--case", "c"])
        .current_dir(p)
        .spawn()
        .unwrap();
    // kill it as soon as it has started writing anything into the case
    let start = std::time::Instant::now();
    while !p.join("c").exists() && start.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    let o = hopscope(&["case", "info", "--case", "c"], p);
    if status.success() {
        // finished before the kill landed: the case must then be whole
        assert!(o.status.success());
    } else {
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&o.stderr).contains("not a hopscope case"));
        // and a rerun into the same directory succeeds
        ok(&["ingest", "auth.txt", "--case", "c"], p);
        let info: serde_json::Value =
            serde_json::from_str(&ok(&["case", "info", "--case", "c", "--json"], p)).unwrap();
        assert_eq!(info["events"], 1_000_000);
    }
}

#[test]
fn eval_scores_the_simulated_2019_intrusion_as_one_alert_at_its_entry() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(&["simulate", "--out", "fleet"], p);
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "case"], p);
    let json = ok(&["eval", "--case", "case", "--truth", "fleet/truth.json", "--json"], p);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // scope from the intrusion's alert finds the Japanese server's clients, no more, no fewer
    let c = &v["clients"][0];
    assert_eq!(
        (c["intrusion"].as_u64(), c["truth"].as_u64(), c["truth_restricted"].as_u64()),
        (Some(1), Some(621), Some(7))
    );
    assert_eq!(
        (c["observed"].as_u64(), c["observed_restricted"].as_u64()),
        (Some(621), Some(7)),
        "{c}"
    );
    assert_eq!(c["exact"], true);
    let hopper = &v["rules"][0];
    assert_eq!(hopper["rule"], "hopper");
    assert_eq!(v["rules"][1]["rule"], "unseen-edge");
    let intr = &hopper["intrusions"][0];
    assert_eq!(intr["hops_covered"], intr["hops_total"], "{intr}");
    assert_eq!(intr["entry_host_found"], "sg-ops-03");
    assert!(intr["detected_at"].as_str().unwrap() < "2019-09-13", "{intr}");
    assert!(hopper["figures"]["benign_alerts_per_day"].as_f64().unwrap() <= 1.0);
    // the 2019 case: one alert holds the entry and the four hops, raised at the entry, at
    // 2 alerts a day as at 5
    assert_eq!((&intr["whole_alert"], &intr["whole_at_entry"]), (&intr["alert"], &true.into()));
    let budgets: Vec<u64> = hopper["by_budget"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["budget"].as_u64().unwrap())
        .collect();
    assert_eq!(budgets, [1, 2, 5, 9, 20]);
    for b in &hopper["by_budget"].as_array().unwrap()[1..3] {
        assert_eq!(
            (&b["intrusions_alerted"], &b["intrusions_whole_at_entry"]),
            (&1.into(), &1.into()),
            "{b}"
        );
    }
    let f = &hopper["figures"];
    assert!(f["largest_alert_hops"].as_u64().unwrap() >= 4, "{f}");
    assert!(f["largest_alert_threads"].as_u64().unwrap() >= 1, "{f}");
    assert!(f["hop_precision"].as_f64().unwrap() > 0.0, "{f}");
    // the unseen-edge rule's alerts are single hops
    let edge = &v["rules"][1]["figures"];
    assert_eq!(
        (&edge["largest_alert_hops"], &edge["largest_alert_threads"]),
        (&1.into(), &1.into())
    );
    let table = ok(&["eval", "--case", "case", "--truth", "fleet/truth.json"], p);
    assert!(
        table.contains("hop recall")
            && table.contains("largest alert (hops, threads)")
            && table.contains(
                "client count found (scope from the intrusion's alert's threads): 1 of 1 exact"
            ),
        "{table}"
    );
    // trace back from the last hop the alert holds (into the Japanese server) names the entry,
    // as `hopscope trace` from there does
    let tr = &v["traces"][0];
    assert_eq!(
        (tr["intrusion"].as_u64(), tr["host"].as_str(), tr["entry_host_found"].as_str()),
        (Some(1), Some("jp-crm-01"), Some("sg-ops-03")),
        "{tr}"
    );
    assert_eq!(
        (tr["right"].as_bool(), tr["along_alert"].as_str()),
        (Some(true), intr["alert"].as_str()),
        "{tr}"
    );
    let traced: serde_json::Value = serde_json::from_str(&ok(
        &[
            "trace",
            "--case",
            "case",
            "--host",
            "jp-crm-01",
            "--at",
            tr["at"].as_str().unwrap(),
            "--json",
        ],
        p,
    ))
    .unwrap();
    assert_eq!(traced["entry_point"]["host"], "sg-ops-03", "{traced}");
    assert!(
        table.contains(
            "trace entry found (trace from each alerted intrusion's latest alerted login): 1 of 1;"
        ),
        "{table}"
    );

    // the alert holds the intruder's returns from the internet as threads of their own;
    // `detect` numbers them and `scope --thread` takes the ones eval names
    let alert = intr["alert"].as_str().unwrap();
    let threads: Vec<String> =
        intr["threads"].as_array().unwrap().iter().map(|t| t.to_string()).collect();
    assert!(!threads.is_empty(), "{intr}");
    let listing = ok(&["detect", "--case", "case"], p);
    assert!(
        listing.contains("threads (hops linked by compromise) and their entry hosts: t1=sg-ops-03"),
        "{listing}"
    );
    // a thread after a long pause names its own entry, and the earlier thread that had been
    // on its first host; followed back, every one of them reaches the Singapore server
    let detected: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "case", "--json"], p)).unwrap();
    let a = detected["alerts"].as_array().unwrap().iter().find(|a| a["id"] == alert).unwrap();
    let all = a["threads"].as_array().unwrap();
    for (n, t) in all.iter().enumerate() {
        let mut at = t;
        for _ in 0..all.len() {
            match at["earlier_thread"]["thread"].as_u64() {
                Some(k) if at["entry_host"] != "sg-ops-03" => at = &all[k as usize - 1],
                _ => break,
            }
        }
        assert_eq!(
            at["entry_host"],
            "sg-ops-03",
            "thread {} leads nowhere near the entry: {t}",
            n + 1
        );
    }
    let mut args =
        vec!["scope", "--case", "case", "--alert", alert, "--contained-at", "2020-05-11", "--json"];
    for t in &threads {
        args.extend(["--thread", t.as_str()]);
    }
    let scoped: serde_json::Value = serde_json::from_str(&ok(&args, p)).unwrap();
    assert_eq!(scoped["observed_client_count"], 621, "{}", scoped["seed"]);
    assert!(scoped["hosts"].as_array().unwrap().iter().all(|h| h["host"] != "internet"));
    // the first thread alone is the first way in: sg-ops-03 and no client data
    let first = ok(&["scope", "--case", "case", "--alert", alert, "--thread", "1", "--json"], p);
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (first["observed_host_count"].as_u64(), first["observed_client_count"].as_u64()),
        (Some(1), Some(0)),
        "{first}"
    );
    let o = hopscope(&["scope", "--case", "case", "--alert", alert, "--thread", "999"], p);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--thread takes 1 to"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// An intruder who leaves the phished workstation twice, under two accounts, raises two alerts
/// (detection never lets an alert claim the workstation it left). Scope from one alert joins
/// the other, begun on its entry within 5 days, and so counts the clients both reached: the
/// truth's count exactly, where the alert alone falls short; eval scores the same.
#[test]
fn scope_joins_the_alerts_begun_on_the_alerts_entry_and_eval_counts_them() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        &[
            "simulate",
            "--out",
            "fleet",
            "--scenario",
            "generic",
            "--intrusions",
            "12",
            "--seed",
            "2",
        ],
        p,
    );
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "case"], p);
    // every alert, not the day's budget: this is about joining, and the intrusion's first
    // alert (14 bits, from the workstation) ranks fifth on a day of five
    let v: serde_json::Value = serde_json::from_str(&ok(
        &["eval", "--case", "case", "--truth", "fleet/truth.json", "--json", "--budget", "0"],
        p,
    ))
    .unwrap();
    let c = v["clients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["intrusion"] == 5)
        .expect("intrusion 5's client count");
    assert_eq!(
        (c["joined_alerts"].as_array().map(Vec::len), c["exact"].as_bool()),
        (Some(1), Some(true)),
        "{c}"
    );
    let intr =
        v["rules"][0]["intrusions"].as_array().unwrap().iter().find(|i| i["id"] == 5).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("fleet/truth.json")).unwrap())
            .unwrap();
    let contained = truth["intrusions"].as_array().unwrap().iter().find(|i| i["id"] == 5).unwrap()
        ["contained"]
        .as_str()
        .unwrap()
        .to_string();
    let alert = intr["alert"].as_str().unwrap();
    let mut args = vec![
        "scope",
        "--case",
        "case",
        "--alert",
        alert,
        "--contained-at",
        contained.as_str(),
        "--json",
    ];
    let threads: Vec<String> =
        intr["threads"].as_array().unwrap().iter().map(|t| t.to_string()).collect();
    for t in &threads {
        args.extend(["--thread", t.as_str()]);
    }
    let joined: serde_json::Value = serde_json::from_str(&ok(&args, p)).unwrap();
    assert_eq!(joined["joined_alerts"], c["joined_alerts"], "{}", joined["seed"]);
    assert_eq!(joined["observed_client_count"], c["truth"], "{}", joined["seed"]);
    assert!(
        joined["seed"].as_str().unwrap().contains("begun on its entry within 5 days"),
        "{}",
        joined["seed"]
    );
    // detect points from the joined alert back to the one whose scope takes it
    let joined_id = c["joined_alerts"][0].as_str().unwrap();
    let detected: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "case", "--json", "--budget", "0"], p))
            .unwrap();
    let b = detected["same_entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["alert"] == joined_id)
        .expect("the joined alert in detect's same_entry");
    assert!(b["begun_on_the_entry_of"].as_array().unwrap().iter().any(|x| x == alert), "{b}");
    let listing = ok(&["detect", "--case", "case", "--budget", "0"], p)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(listing.contains(&format!("(scope --alert {alert} takes this one too)")), "{listing}");
    let table = ok(&["eval", "--case", "case", "--truth", "fleet/truth.json", "--budget", "0"], p);
    let n = c["truth"].as_u64().unwrap();
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("intrusion 5:"))
        .expect("intrusion 5's client line");
    assert!(
        line.contains(&format!("found {n} observed"))
            && line.ends_with("(with 1 alert begun on its entry)"),
        "{line}"
    );
    args.push("--alone");
    let alone: serde_json::Value = serde_json::from_str(&ok(&args, p)).unwrap();
    assert_eq!(alone["joined_alerts"], serde_json::json!([]));
    assert!(
        alone["observed_client_count"].as_u64() < c["truth"].as_u64(),
        "{}",
        alone["observed_client_count"]
    );
}

#[test]
fn eval_misses_lists_every_incomplete_intrusion_login_by_login() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    ok(
        &[
            "simulate",
            "--out",
            "fleet",
            "--scenario",
            "generic",
            "--intrusions",
            "12",
            "--seed",
            "7",
        ],
        p,
    );
    ok(&["ingest", "fleet/logs", "--inventory", "fleet", "--case", "case"], p);
    let json = ok(&["eval", "--case", "case", "--truth", "fleet/truth.json", "--json"], p);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let incomplete: Vec<u64> = v["rules"][0]["intrusions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["hops_covered"] != i["hops_total"] || i["entry_host_found"] != i["entry_host"]
        })
        .map(|i| i["id"].as_u64().unwrap())
        .collect();
    let text = ok(&["eval", "--case", "case", "--truth", "fleet/truth.json", "--misses"], p);
    let listed: Vec<u64> = text
        .lines()
        .filter_map(|l| {
            l.strip_prefix("intrusion ")
                .and_then(|r| r.split(' ').next())
                .and_then(|n| n.parse().ok())
        })
        .collect();
    assert_eq!(listed, incomplete, "{text}");
    assert!(
        text.contains(&format!("misses (hopper, budget 5): {} intrusion(s)", incomplete.len())),
        "{text}"
    );
    if !incomplete.is_empty() {
        // every login says which alert holds it or that none does, and how it was scored
        assert!(text.contains("MISSED") || text.contains(" A-"), "{text}");
        assert!(text.contains(" bits, ") || text.contains("not seen as a hop"), "{text}");
    }
}
