//! Credential switches end to end: sudo in a real-shaped auth.log links the login into a host
//! to the login out of it with another account, and `detect` and `trace` say so with the line.

mod support;

use std::path::Path;

use support::ok;
use support::story::{admins_at_work, DATA, HOSTS};

/// The hand-made 2019 story, but the intruder becomes root on sg-ops-03 with sudo and moves on
/// to th-app-02 as root: admins' routine as hopscope's JSON lines, the intruder's steps as the
/// two servers' own auth.log.
fn case(p: &Path) {
    let mut ev = String::new();
    let routes = [
        ("sg-jump-01", "sg-ops-03", "sg_admin"),
        ("th-jump-01", "th-app-02", "th_admin"),
        ("sg-jump-01", "sg-ops-03", "sg_admin2"),
    ];
    admins_at_work(&routes, |time, src, dst, user| {
        ev += &format!(
            r#"{{"time":"{time}","src_host":"{src}","dst_host":"{dst}","user":"{user}","auth":"Kerberos","logon_type":"network","outcome":"success","orientation":"logon","format":"jsonl"}}"#
        );
        ev.push('\n');
    });
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), HOSTS).unwrap();
    std::fs::write(p.join("cmdb/data.csv"), DATA).unwrap();
    std::fs::write(p.join("events.jsonl"), ev).unwrap();
    let sg = "\
Sep  4 22:00:58 sg-ops-03 sshd[811]: Failed password for opsadmin from 203.0.113.66 port 40022 ssh2
Sep  4 22:01:00 sg-ops-03 sshd[811]: Accepted password for opsadmin from 203.0.113.66 port 40022 ssh2
Sep  4 22:01:19 sg-ops-03 sudo:  opsadmin : TTY=pts/0 ; PWD=/home/opsadmin ; USER=root ; COMMAND=/bin/bash
Sep  4 22:01:19 sg-ops-03 sudo[820]: pam_unix(sudo:session): session opened for user root(uid=0) by opsadmin(uid=1000)
";
    let th = "\
Sep  5 12:04:05 th-app-02 sshd[4242]: Accepted password for root from 10.30.0.3 port 52111 ssh2
";
    for (host, text) in [("sg-ops-03", sg), ("th-app-02", th)] {
        std::fs::create_dir_all(p.join("logs").join(host)).unwrap();
        std::fs::write(p.join("logs").join(host).join("auth.log"), text).unwrap();
    }
    ok(
        &["ingest", "events.jsonl", "logs", "--inventory", "cmdb", "--case", "c", "--year", "2019"],
        p,
    );
}

#[test]
fn opsadmin_became_root_with_sudo_and_root_went_on_one_chain_with_its_evidence() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    case(p);
    let args = [
        "trace",
        "--case",
        "c",
        "--host",
        "th-app-02",
        "--at",
        "2019-09-05T13:00:00Z",
        "--warmup",
        "2d",
    ];
    let t: serde_json::Value =
        serde_json::from_str(&ok(&[&args[..], &["--json"]].concat(), p)).unwrap();
    let path = t["path"].as_array().expect("a path");
    let hops: Vec<(&str, &str, &str)> = path
        .iter()
        .map(|h| {
            (
                h["src_host"].as_str().unwrap(),
                h["dst_host"].as_str().unwrap(),
                h["user"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        hops,
        [("internet", "sg-ops-03", "opsadmin"), ("sg-ops-03", "th-app-02", "root")],
        "{t}"
    );
    assert!(t["alert"].is_string(), "the path is the detector's alert: {t}");
    assert!(path[0].get("after_switch").is_none());
    let s = &path[1]["after_switch"];
    assert_eq!(s["text"], "opsadmin became root on sg-ops-03 with sudo", "{t}");
    assert_eq!(
        (&s["from"], &s["to"], &s["method"]),
        (&"opsadmin".into(), &"root".into(), &"sudo".into())
    );
    // the first of sudo's two lines of the switch
    assert_eq!(s["evidence"]["line"], 3, "{t}");
    assert!(s["evidence"]["file"].as_str().unwrap().ends_with("sg-ops-03/auth.log"), "{t}");

    // the table reads as one chain: in, became root, on
    let text = ok(&args, p);
    let into = text.find("internet → sg-ops-03").expect("the entry hop");
    let became = text.find("then opsadmin became root on sg-ops-03 with sudo").expect(&text);
    let on = text.find("sg-ops-03 → th-app-02").expect("the hop on");
    assert!(into < became && became < on, "{text}");

    // detect's reason for the hop names the switch, and its evidence holds the sudo line
    let v: serde_json::Value =
        serde_json::from_str(&ok(&["detect", "--case", "c", "--warmup", "2d", "--json"], p))
            .unwrap();
    let (alert, i) = v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| {
            let hops = a["hops"].as_array().unwrap();
            let i =
                hops.iter().position(|h| h["dst_host"] == "th-app-02" && h["user"] == "root")?;
            Some((a, i))
        })
        .unwrap_or_else(|| panic!("the hop as root is alerted: {v}"));
    let hop = &alert["hops"][i];
    let reason = alert["reasons"][i].as_str().unwrap();
    assert!(
        reason.contains("opsadmin became root on sg-ops-03 with sudo before this hop"),
        "{reason}"
    );
    assert!(
        hop["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "switched-on-source" && f["bits"] == 0.0),
        "{hop}"
    );
    // the hop into sg-ops-03 is in the same alert: one chain
    assert!(
        alert["hops"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["dst_host"] == "sg-ops-03" && h["user"] == "opsadmin"),
        "{alert}"
    );
    let evidence = serde_json::to_string(&hop["evidence"]).unwrap();
    assert!(evidence.contains("sg-ops-03/auth.log") && evidence.contains("\"line\":3"), "{hop}");
}

#[test]
fn without_the_sudo_lines_the_hop_as_root_is_not_linked_through_a_switch() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    case(p);
    // the same logs with sudo's lines taken out
    let sg = p.join("logs/sg-ops-03/auth.log");
    let text: String = std::fs::read_to_string(&sg)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("sudo"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sg, text).unwrap();
    std::fs::remove_dir_all(p.join("c")).unwrap();
    ok(
        &["ingest", "events.jsonl", "logs", "--inventory", "cmdb", "--case", "c", "--year", "2019"],
        p,
    );
    let t: serde_json::Value = serde_json::from_str(&ok(
        &[
            "trace",
            "--case",
            "c",
            "--host",
            "th-app-02",
            "--at",
            "2019-09-05T13:00:00Z",
            "--warmup",
            "2d",
            "--json",
        ],
        p,
    ))
    .unwrap();
    let path = t["path"].as_array().expect("a path");
    assert!(path.iter().all(|h| h.get("after_switch").is_none()), "{t}");
}
