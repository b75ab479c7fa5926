//! The `ntt-2019` truth tells the case: Singapore → Thailand → United States → Japan, with
//! the right months, 621 clients exposed, a weak entry host, detection in May 2020.

mod support;

use support::case;

#[test]
fn path_countries_and_dates() {
    let t = &case().truth;
    assert_eq!(t["schema"], "hopscope-sim-truth/1");
    let i = &t["intrusions"][0];
    assert_eq!(i["name"], "ntt-2019");
    assert_eq!(i["entry_host"], "sg-ops-03");
    let hosts = i["hosts"].as_array().unwrap();
    let countries: Vec<&str> = hosts.iter().map(|h| h["country"].as_str().unwrap()).collect();
    assert_eq!(countries, ["Singapore", "Thailand", "United States", "Japan"]);
    let names: Vec<&str> = hosts.iter().map(|h| h["host"].as_str().unwrap()).collect();
    assert_eq!(names, ["sg-ops-03", "th-app-02", "us-jump-01", "jp-crm-01"]);
    let first = |k: usize| hosts[k]["first"].as_str().unwrap().to_string();
    assert!(first(0).starts_with("2019-08"), "{}", first(0));
    assert!(first(1).starts_with("2019-09"), "{}", first(1));
    assert!(first(2).starts_with("2019-12-0"), "{}", first(2));
    let jp = first(3);
    assert!(jp.starts_with("2019-12-1") && jp > first(2), "{jp}");
    assert!(i["detected"].as_str().unwrap().starts_with("2020-05"));
    assert!(i["last_malicious"].as_str().unwrap() < i["detected"].as_str().unwrap());
    assert_eq!(i["clients_exposed"], 621);
    assert_eq!(i["restricted_clients_exposed"], 7);
    assert_eq!(i["data_hosts"], serde_json::json!(["jp-crm-01"]));
}

#[test]
fn hops_use_real_protocols_and_stolen_credentials() {
    let t = &case().truth;
    let logins = t["logins"].as_array().unwrap();
    let hop = |n: u64| logins.iter().find(|l| l["hop"] == n && l["kind"] == "hop").unwrap();
    assert_eq!(hop(1)["protocol"], "ssh");
    // in to Singapore as opsadmin, root there with sudo, and on to Thailand as root
    assert_eq!(hop(1)["account"], "root");
    let switches = t["switches"].as_array().unwrap();
    let entry = logins.iter().find(|l| l["kind"] == "entry" && l["outcome"] == "success").unwrap();
    assert_eq!(entry["account"], "opsadmin");
    // every hop into Thailand follows, within the hour, a login into Singapore from outside
    // and its sudo
    let secs =
        |v: &serde_json::Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_second();
    for l in logins.iter().filter(|l| l["hop"] == 1) {
        let at = secs(&l["time"]);
        assert!(
            switches.iter().any(|s| secs(&s["time"]) < at && secs(&s["time"]) > at - 3600),
            "no sudo in the hour before {}",
            l["time"]
        );
    }
    let first = &switches[0];
    assert_eq!(
        (&first["host"], &first["from"], &first["to"], &first["method"]),
        (
            &serde_json::json!("sg-ops-03"),
            &serde_json::json!("opsadmin"),
            &serde_json::json!("root"),
            &serde_json::json!("sudo")
        )
    );
    assert!(first["time"].as_str() > entry["time"].as_str(), "sudo after the login");
    assert!(switches.iter().all(|s| s["host"] == "sg-ops-03"));
    assert_eq!(hop(2)["account"], "svc-backup");
    assert_eq!(hop(2)["service_install"], true);
    assert_eq!(hop(3)["protocol"], "rdp");
    assert!(hop(3)["account"].as_str().unwrap().starts_with("adm-"));
    // access kept: revisits of the Japanese server until detection
    let revisits =
        logins.iter().filter(|l| l["dst_host"] == "jp-crm-01" && l["kind"] == "revisit").count();
    assert!(revisits > 10, "{revisits}");
    // sorted by time
    let times: Vec<&str> = logins.iter().map(|l| l["time"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    // the entry came from the internet after failed guesses
    let entry: Vec<_> = logins.iter().filter(|l| l["kind"] == "entry").collect();
    assert!(
        entry.iter().any(|l| l["outcome"] == "failure")
            && entry.iter().any(|l| l["outcome"] == "success")
    );
    assert!(entry.iter().all(|l| l["src_host"] == "internet"));
}

#[test]
fn entry_host_is_weak() {
    let run = case();
    let inv = hopscope_ingest::inventory_csv::load(run.path()).unwrap().inventory;
    let sg = &inv.hosts[inv.host_by_name("sg-ops-03").unwrap()];
    assert_eq!(sg.lifecycle.as_str(), "decommissioning");
    assert!(sg.internet_facing);
    let patched = sg.last_patched.unwrap();
    let entry = jiff::civil::date(2019, 8, 1);
    assert!(patched.until(entry).unwrap().get_days() > 365, "{patched}");
    assert!(sg.ips.iter().any(|ip| !hopscope_model::is_private(*ip)), "a public address");
}

#[test]
fn malicious_logins_are_in_the_logs() {
    let run = case();
    // the hop into Thailand is an sshd line in th-app-02's auth.log
    let log = std::fs::read_to_string(run.path().join("logs/linux/th-app-02/auth.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("Accepted password for root from 10.30.")));
    // the switch to root before it is sudo's pair of lines in sg-ops-03's auth.log
    let sg = std::fs::read_to_string(run.path().join("logs/linux/sg-ops-03/auth.log")).unwrap();
    assert!(sg.lines().any(|l| l.contains(" sudo:  opsadmin : TTY=pts/")
        && l.ends_with(" ; USER=root ; COMMAND=/bin/bash")));
    assert!(sg.lines().any(|l| l
        .contains("pam_unix(sudo:session): session opened for user root(uid=0) by opsadmin(uid=")));
    // the hop into Japan is a 4624 type 10 on jp-crm-01 from us-jump-01's address
    let us_ip = run.truth["logins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["src_host"] == "us-jump-01")
        .unwrap()["src_ip"]
        .as_str()
        .unwrap()
        .to_string();
    let win = std::fs::read_to_string(run.path().join("logs/windows/jp-crm-01.jsonl")).unwrap();
    let needle = format!("\"LogonType\":\"10\",\"LogonProcessName\":\"User32 \",\"AuthenticationPackageName\":\"Negotiate\",\"WorkstationName\":\"US-JUMP-01\",\"LmPackageName\":\"-\",\"IpAddress\":\"{us_ip}\"");
    assert!(win.lines().any(|l| l.contains(&needle)));
    // every line of every Windows file is one JSON object with the dialect's common fields
    for e in std::fs::read_dir(run.path().join("logs/windows")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(
                v["EventID"].is_u64() && v["RecordNumber"].is_u64() && v["Channel"].is_string(),
                "{line}"
            );
        }
    }
    for line in win.lines().take(2000) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        for k in ["@timestamp", "Hostname", "EventID", "Channel", "RecordNumber"] {
            assert!(v.get(k).is_some(), "{k} missing in {line}");
        }
        assert_eq!(v["Hostname"], "JP-CRM-01.corp.example");
    }
    // sshd files: time order and mtime = last line
    let meta = std::fs::metadata(run.path().join("logs/linux/th-app-02/auth.log")).unwrap();
    let mtime = meta.modified().unwrap().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let last = log.lines().last().unwrap();
    let ts =
        jiff::Timestamp::from_second(mtime as i64).unwrap().strftime("%b %e %H:%M:%S").to_string();
    assert!(last.starts_with(&ts), "{last} vs mtime {ts}");
}
