//! Every generated format ingests through `hopscope_ingest::run` with zero problems, and the
//! event count is what the simulator says it wrote.

mod support;

use hopscope_model::Lifecycle;
use support::{case, ingest, lanl_start};

#[test]
fn lanl_ingests_without_problems_and_counts_match() {
    let run = case();
    let (events, summary) = ingest(run.path(), &[run.path().join("lanl")], lanl_start(&run.truth));
    assert!(summary.problems.is_empty(), "{:?}", summary.problems.first());
    assert_eq!(events, run.summary.per_format["lanl"].events);
    assert_eq!(summary.events, events);
    // the first and last events fall inside the simulated period (± a day of time zones)
    let first = summary.sources[0].first_time.unwrap().to_rfc3339();
    assert!(first.starts_with("2019-05-31") || first.starts_with("2019-06-01"), "{first}");
}

#[test]
fn inventory_loads_without_problems() {
    let run = case();
    let l = hopscope_ingest::inventory_csv::load(run.path()).unwrap();
    assert!(l.problems.is_empty(), "{:?}", l.problems);
    let inv = &l.inventory;
    assert_eq!(inv.hosts.len(), run.summary.hosts);
    assert_eq!(inv.sites.len(), 6);
    let jp: std::collections::BTreeSet<&str> =
        inv.data.iter().filter(|d| d.host == "jp-crm-01").map(|d| d.client.as_str()).collect();
    assert_eq!(jp.len(), 621);
    let restricted = inv.data.iter().filter(|d| d.host == "jp-crm-01" && d.restricted).count();
    assert_eq!(restricted, 7);
    let sg = &inv.hosts[inv.host_by_name("sg-ops-03").unwrap()];
    assert_eq!(sg.lifecycle, Lifecycle::Decommissioning);
    assert!(sg.internet_facing);
    // every host address lies in its site's range
    for h in &inv.hosts {
        let site = inv.site_of_ip(h.ips[0]).map(|s| inv.sites[s].site.as_str());
        assert_eq!(site, Some(h.site.as_str()), "{}", h.name);
    }
}

#[test]
fn sshd_ingests_without_problems_and_counts_match() {
    let run = case();
    let (events, summary) =
        ingest(run.path(), &[run.path().join("logs/linux")], lanl_start(&run.truth));
    assert!(summary.problems.is_empty(), "{:?}", summary.problems.first());
    // Accepted/Failed and Invalid user lines are events, and so are sudo's two lines of each
    // switch; pam_unix session opened/closed lines of sshd carry no source address and are
    // read as ignored lines (docs/formats.md)
    let lines = &run.summary.sshd_lines;
    assert!(lines["sudo"] > 0 && lines["sudo"] == lines["sudo-session"], "{lines:?}");
    assert_eq!(
        events,
        lines["auth"] + lines["invalid-user"] + lines["sudo"] + lines["sudo-session"]
    );
    let ignored: u64 = summary.sources.iter().map(|s| s.ignored).sum();
    assert_eq!(ignored, lines["session-opened"] + lines["session-closed"]);
    assert!(summary.sources.iter().all(|s| s.notes.iter().all(|n| !n.contains("time zone"))));
}

#[test]
fn winjson_ingests_without_problems_and_counts_match() {
    let run = case();
    let (events, summary) =
        ingest(run.path(), &[run.path().join("logs/windows")], lanl_start(&run.truth));
    assert!(summary.problems.is_empty(), "{:?}", summary.problems.first());
    // every line is a Windows event, but a 4672 (special privileges) is folded into its
    // logon as the `privileged` flag rather than kept as an event of its own
    let ids = &run.summary.windows_event_ids;
    assert_eq!(events, run.summary.per_format["winjson"].events - ids[&4672]);
}

#[test]
fn zeek_ingests_without_problems_and_counts_match() {
    let run = case();
    let (events, summary) = ingest(run.path(), &[run.path().join("zeek")], lanl_start(&run.truth));
    assert!(summary.problems.is_empty(), "{:?}", summary.problems.first());
    assert_eq!(events, run.summary.per_format["zeek"].events);
}
