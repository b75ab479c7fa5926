//! The hand-made case of the investigation and report tests: the 2019 story in miniature
//! (internet → sg-ops-03 → th-app-02 → us-web-01 → jp-crm-01) among admins at work.

use std::fmt::Write as _;
use std::path::Path;

use super::ok;

pub const HOSTS: &str = "\
host,ips,site,country,role,owner,lifecycle,last_patched,internet_facing,criticality
sg-ops-03,10.30.0.3,singapore,Singapore,operations,infra,decommissioning,2018-03-14,true,medium
sg-jump-01,10.30.0.9,singapore,Singapore,jump,infra,active,2019-08-01,false,medium
th-jump-01,10.40.0.9,bangkok,Thailand,jump,infra,active,2019-08-01,false,medium
th-app-02,10.40.0.2,bangkok,Thailand,application,apps,active,2019-07-01,false,high
us-jump-01,10.50.0.9,dallas,United States,jump,infra,active,2019-08-01,false,medium
us-web-01,10.50.0.1,dallas,United States,web,web,active,2019-06-01,true,medium
jp-jump-01,10.10.0.9,tokyo,Japan,jump,infra,active,2019-08-01,false,medium
jp-crm-01,10.10.0.10,tokyo,Japan,database,crm,active,2019-08-20,false,critical
old-db-01,10.10.0.11,tokyo,Japan,database,crm,retired,2016-01-01,false,high
";

/// `cmdb/data.csv`: the client organisations whose names a disclosure must not show.
pub const DATA: &str = "\
host,client,data_class,records,restricted
jp-crm-01,Kaito Logistics K.K.,customer-contracts,12840,false
jp-crm-01,Defence Communications Agency,line-inventory,310,true
th-app-02,Siam Foods Co.,orders,700,false
old-db-01,Forgotten Client Ltd.,billing,5,false
";

fn line(out: &mut String, time: &str, src: &str, dst: &str, user: &str, auth: &str, outcome: &str) {
    let src = if src.starts_with("203.") {
        format!(r#""src_ip":"{src}""#)
    } else {
        format!(r#""src_host":"{src}""#)
    };
    writeln!(
        out,
        r#"{{"time":"{time}",{src},"dst_host":"{dst}","user":"{user}","auth":"{auth}","logon_type":"network","outcome":"{outcome}","orientation":"logon","format":"jsonl"}}"#
    )
    .unwrap();
}

/// Six days of admins at work: each (source, destination, account) route twice a day, the
/// k-th at 01:15 + k h and 05:15 + k h; `login(time, src, dst, user)` writes one.
pub fn admins_at_work(
    routes: &[(&str, &str, &str)],
    mut login: impl FnMut(&str, &str, &str, &str),
) {
    for day in 1..=6 {
        for (k, (src, dst, user)) in routes.iter().enumerate() {
            for hour in [1 + k, 5 + k] {
                login(&format!("2019-09-{day:02}T{hour:02}:15:00Z"), src, dst, user);
            }
        }
    }
}

pub fn events() -> String {
    let mut s = String::new();
    let routes = [
        ("sg-jump-01", "sg-ops-03", "sg_admin"),
        ("th-jump-01", "th-app-02", "th_admin"),
        ("us-jump-01", "us-web-01", "us_admin"),
        ("jp-jump-01", "jp-crm-01", "jp_admin"),
        ("jp-jump-01", "old-db-01", "jp_admin"),
    ];
    admins_at_work(&routes, |time, src, dst, user| {
        line(&mut s, time, src, dst, user, "Kerberos", "success")
    });
    line(
        &mut s,
        "2019-09-04T22:00:00Z",
        "203.0.113.66",
        "sg-ops-03",
        "opsadmin",
        "password",
        "failure",
    );
    line(
        &mut s,
        "2019-09-04T22:01:00Z",
        "203.0.113.66",
        "sg-ops-03",
        "opsadmin",
        "password",
        "success",
    );
    line(
        &mut s,
        "2019-09-05T12:04:05Z",
        "sg-ops-03",
        "th-app-02",
        "opsadmin",
        "password",
        "success",
    );
    line(
        &mut s,
        "2019-09-05T13:10:00Z",
        "th-app-02",
        "us-web-01",
        "svc_backup",
        "publickey",
        "success",
    );
    line(&mut s, "2019-09-05T14:00:30Z", "us-web-01", "jp-crm-01", "jp_admin", "NTLM", "success");
    s
}

/// Write the inputs under `p` and ingest them into the case `p/c`.
pub fn make_case(p: &Path) {
    ingest_case(p, HOSTS, DATA, &events());
}

/// Write `cmdb/hosts.csv`, `cmdb/data.csv` and `events.jsonl` under `p` and ingest them into
/// the case `p/c`.
pub fn ingest_case(p: &Path, hosts: &str, data: &str, events: &str) {
    std::fs::create_dir_all(p.join("cmdb")).unwrap();
    std::fs::write(p.join("cmdb/hosts.csv"), hosts).unwrap();
    std::fs::write(p.join("cmdb/data.csv"), data).unwrap();
    std::fs::write(p.join("events.jsonl"), events).unwrap();
    ok(&["ingest", "events.jsonl", "--inventory", "cmdb", "--case", "c"], p);
}
