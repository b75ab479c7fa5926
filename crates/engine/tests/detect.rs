//! The detector end to end on fleets built in code.

mod support;

use hopscope_engine::{Causal, DetectConfig, Detection, Detector, Fleet, IdRemap, UnseenEdgeRule};
use hopscope_model::{LogonType, Orientation, Time};
use support::*;

fn run(w: &mut World, config: DetectConfig) -> Detection {
    w.events.sort_by_time();
    let mut d = Detector::new(&w.catalog, &w.inventory, config);
    // feed in small batches: batch boundaries must not matter
    let n = w.events.len();
    for start in (0..n).step_by(97) {
        let mut b = hopscope_model::EventTable::default();
        b.extend_from_range(&w.events, start..(start + 97).min(n));
        d.feed(&b);
    }
    d.finish(&w.catalog)
}

const BACKGROUND: &[(&str, &str, &str)] = &[
    ("sg-ops-03", "sg-app-01", "svc_ops"),
    ("sg-jump-01", "sg-app-01", "sg_admin"),
    ("th-jump-01", "th-app-02", "th_admin"),
    ("th-app-02", "th-db-01", "svc_app"),
    ("us-jump-01", "us-web-01", "us_admin"),
    ("jp-jump-01", "jp-ops-01", "jp_admin"),
    ("jp-ops-01", "jp-crm-01", "svc_crm"),
    ("jp-jump-01", "sg-app-01", "jp_admin"),
];

/// The 2019 fleet: a forgotten Singapore server, Thai, US and Japanese servers, and a month
/// of benign logins before the intrusion (continuing through it).
fn fleet_2019() -> World {
    let hosts = vec![
        weak(host("sg-ops-03", "singapore", "Singapore"), "2018-03-14"),
        host("sg-app-01", "singapore", "Singapore"),
        host("sg-jump-01", "singapore", "Singapore"),
        host("th-jump-01", "bangkok", "Thailand"),
        host("th-app-02", "bangkok", "Thailand"),
        host("th-db-01", "bangkok", "Thailand"),
        host("us-jump-01", "dallas", "United States"),
        host("us-web-01", "dallas", "United States"),
        host("jp-jump-01", "tokyo", "Japan"),
        host("jp-ops-01", "tokyo", "Japan"),
        host("jp-web-01", "tokyo", "Japan"),
        jewel(host("jp-crm-01", "tokyo", "Japan")),
    ];
    let data = vec![
        holding("jp-crm-01", "Kaito Logistics K.K.", false),
        holding("jp-crm-01", "Defence Communications Agency", true),
    ];
    let mut w = World::new(hosts, data);
    w.host_id("internet");
    background(&mut w, BACKGROUND, t("2019-08-01T00:00:00Z"), 153, 2);
    // the forgotten server answers SSH from the internet (weeks before: during the warmup)
    w.login_with(
        t("2019-08-05T22:10:00Z"),
        "internet",
        "sg-ops-03",
        "svc_backup",
        "password",
        |e| e.logon_type = LogonType::RemoteInteractive,
    );
    w
}

fn intrude(w: &mut World) {
    let ssh = |e: &mut hopscope_model::Event| e.logon_type = LogonType::RemoteInteractive;
    w.login_with(
        t("2019-09-12T03:04:05Z"),
        "sg-ops-03",
        "th-app-02",
        "svc_backup",
        "publickey",
        ssh,
    );
    // three months later, back on the Thai server, then on to the US and Japan
    w.login_with(
        t("2019-12-14T14:50:00Z"),
        "sg-ops-03",
        "th-app-02",
        "svc_backup",
        "publickey",
        ssh,
    );
    w.login_with(
        t("2019-12-14T15:00:00Z"),
        "th-app-02",
        "us-web-01",
        "svc_backup",
        "publickey",
        ssh,
    );
    w.login_with(
        t("2019-12-14T16:20:00Z"),
        "us-web-01",
        "jp-web-01",
        "svc_backup",
        "publickey",
        ssh,
    );
    w.login_with(t("2019-12-14T16:41:00Z"), "jp-web-01", "jp-crm-01", "jp_admin", "NTLM", |_| {});
}

#[test]
fn four_hops_singapore_thailand_us_japan_make_one_alert_raised_at_the_first_hop() {
    let mut w = fleet_2019();
    let benign = run(&mut w, DetectConfig::default());
    assert_eq!(benign.alerts, vec![], "background alone raises nothing");
    intrude(&mut w);
    let d = run(&mut w, DetectConfig::default());
    assert_eq!(d.alerts.len(), 1, "{:#?}", d.alerts);
    assert_eq!(d.dropped_by_budget, 0);
    let a = &d.alerts[0];
    let path: Vec<(String, String)> = a
        .hops
        .iter()
        .map(|h| {
            (
                w.catalog.hosts.name(h.hop.src).unwrap().to_string(),
                w.catalog.hosts.name(h.hop.dst).unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        path,
        [
            ("sg-ops-03", "th-app-02"),
            ("th-app-02", "us-web-01"),
            ("us-web-01", "jp-web-01"),
            ("jp-web-01", "jp-crm-01")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert_eq!(a.raised_at, t("2019-09-12T03:04:05Z"), "raised at the first hop");
    assert_eq!(a.first_time, t("2019-09-12T03:04:05Z"));
    assert_eq!(a.last_time, t("2019-12-14T16:41:00Z"));
    assert_eq!(w.catalog.hosts.name(a.entry_host), Some("sg-ops-03"));
    assert_eq!(
        w.catalog.hosts.name(a.chain_origin),
        Some("sg-ops-03"),
        "entered from the internet"
    );
    assert!(a.id.starts_with("A-20190912-"), "{}", a.id);
    assert!(
        a.reasons[0].starts_with("first login ever from sg-ops-03 to th-app-02;"),
        "{}",
        a.reasons[0]
    );
    assert!(
        a.reasons[0].contains("sg-ops-03 is being decommissioned, was last patched 2018-03-14, is internet-facing and has accepted logins from the internet"),
        "{}",
        a.reasons[0]
    );
    assert!(
        a.reasons[0]
            .contains("crosses from Singapore to Thailand (a country pair never hopped before)"),
        "{}",
        a.reasons[0]
    );
    // the last hop continues the US → Japan chain, switching credentials, onto the crown jewel
    let last = &a.hops[3];
    assert_eq!(last.trail.causal, Causal::Clear(w.user_id("svc_backup")));
    assert!(
        a.reasons[3].contains("the chain switched from svc_backup to jp_admin"),
        "{}",
        a.reasons[3]
    );
    assert!(
        a.reasons[3].contains(
            "jp-crm-01 is critical, holds data of 2 client organisations and holds restricted data"
        ),
        "{}",
        a.reasons[3]
    );
    assert_eq!(a.hops[0].techniques, vec!["T1021.004", "T1078"]);
    // print the worked example for docs/detection.md
    for (h, r) in a.hops.iter().zip(&a.reasons) {
        eprintln!("{} {:.2} bits: {}", h.hop.time, h.score, r);
        for c in &h.contributions {
            eprintln!("    {:<28} {:>6.2}", c.feature.name(), c.bits);
        }
    }
    eprintln!("alert {} score {:.2}", a.id, a.score);
}

#[test]
fn deterministic_same_input_same_alerts() {
    let mut w = fleet_2019();
    intrude(&mut w);
    let cfg = DetectConfig { min_score: 0.0, budget_per_day: 0, ..DetectConfig::default() };
    let a = run(&mut w, cfg.clone());
    let b = run(&mut w, cfg);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn warmup_raises_nothing_then_new_edges_do() {
    let mut w = fleet_2019();
    w.login(t("2019-08-03T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    let d = run(&mut w, DetectConfig::default());
    assert!(d.alerts.is_empty());
    assert_eq!(d.warmup_end, Some(t("2019-08-15T01:00:00Z")));
    w.login(t("2019-08-20T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    assert!(run(&mut w, DetectConfig::default()).alerts.is_empty(), "learned during the warmup");
    w.login(t("2019-08-20T03:00:00Z"), "sg-jump-01", "jp-crm-01", "mallory", "NTLM");
    assert_eq!(run(&mut w, DetectConfig::default()).alerts.len(), 1);
}

/// Two suspicious hops, the login into `a` stamped 3 s after the login out of it.
#[test]
fn clock_skew_links_across_hosts() {
    let mut w = fleet_2019();
    w.login(t("2019-09-01T03:00:03Z"), "jp-jump-01", "sg-app-01", "mallory", "NTLM");
    w.login(t("2019-09-01T03:00:00Z"), "sg-app-01", "th-db-01", "bob", "NTLM");
    let cfg = DetectConfig { min_score: 0.0, ..DetectConfig::default() };
    let d = run(&mut w, cfg.clone());
    assert_eq!(d.alerts.len(), 1, "{:#?}", d.alerts);
    let a = &d.alerts[0];
    assert_eq!(a.hops.len(), 2);
    assert_eq!(
        w.catalog.hosts.name(a.chain_origin),
        Some("jp-jump-01"),
        "the later-stamped login came first"
    );
    assert_eq!(a.hops[0].trail.depth, 2);
    let d = run(&mut w, DetectConfig { skew: 0, ..cfg });
    assert_eq!(d.alerts.len(), 2, "without skew tolerance they are unrelated");
}

#[test]
fn overlapping_chains_merge_unrelated_ones_do_not() {
    let mut w = fleet_2019();
    // one intrusion: two chains out of th-db-01 (reached by mallory) on different days
    w.login(t("2019-09-01T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    w.login(t("2019-09-01T04:00:00Z"), "th-db-01", "us-web-01", "mallory", "NTLM");
    w.login(t("2019-09-20T04:00:00Z"), "th-db-01", "jp-ops-01", "oscar", "NTLM");
    // unrelated: a different account, hosts the intrusion never touched
    w.login(t("2019-09-05T03:00:00Z"), "jp-jump-01", "sg-ops-03", "trent", "NTLM");
    let d = run(&mut w, DetectConfig { min_score: 0.0, ..DetectConfig::default() });
    assert_eq!(d.alerts.len(), 2, "{:#?}", d.alerts);
    let mut sizes: Vec<usize> = d.alerts.iter().map(|a| a.hops.len()).collect();
    sizes.sort();
    assert_eq!(sizes, [1, 3]);
    assert!(d.alerts[0].score >= d.alerts[1].score, "ranked by score");
    // merged alerts sum their hops' scores
    for a in &d.alerts {
        let sum: f64 = a.hops.iter().map(|h| h.score).sum();
        assert!((a.score - sum).abs() < 1e-9);
    }
}

#[test]
fn budget_keeps_the_best_of_each_day_and_counts_the_rest() {
    let mut w = fleet_2019();
    let sources = [
        "sg-jump-01",
        "th-jump-01",
        "us-jump-01",
        "jp-jump-01",
        "sg-app-01",
        "th-db-01",
        "jp-ops-01",
        "us-web-01",
    ];
    for (i, s) in sources.iter().enumerate() {
        // eight unrelated accounts, each to a host it never reached, on one day
        let dst = if s.starts_with("sg") { "jp-crm-01" } else { "sg-ops-03" };
        w.login(Time(t("2019-09-03T01:00:00Z").0 + i as i64 * H), s, dst, &format!("x{i}"), "NTLM");
    }
    let all =
        run(&mut w, DetectConfig { min_score: 0.0, budget_per_day: 0, ..DetectConfig::default() });
    let kept =
        run(&mut w, DetectConfig { min_score: 0.0, budget_per_day: 5, ..DetectConfig::default() });
    assert!(all.alerts.len() > 5, "{}", all.alerts.len());
    assert_eq!(kept.alerts.len(), 5);
    assert_eq!(kept.dropped_by_budget, all.alerts.len() - 5);
    assert_eq!(kept.alerts[..], all.alerts[..5], "the five best survive");
}

#[test]
fn baseline_preloads_history_across_catalogs() {
    // the baseline case knows the same hosts under other ids
    let mut base = fleet_2019();
    base.login(t("2019-08-20T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    base.events.sort_by_time();
    let mut w = World::new(vec![host("zz-first", "x", "Nowhere")], vec![]);
    for (s, d, u) in BACKGROUND {
        w.host_id(s);
        w.host_id(d);
        w.user_id(u);
    }
    // sg-jump-01 → th-db-01 is new to this case, not to the baseline
    w.login(t("2020-01-10T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    w.login(t("2020-01-10T04:00:00Z"), "sg-jump-01", "sg-app-01", "sg_admin", "Kerberos");
    let remap = IdRemap::new(&base.catalog, &w.catalog);
    let cfg = DetectConfig { min_score: 0.0, warmup: 0, ..DetectConfig::default() };
    let mut d = Detector::new(&w.catalog, &w.inventory, cfg.clone());
    d.learn(&remap.apply(&base.events));
    d.feed(&w.events);
    let det = d.finish(&w.catalog);
    assert_eq!(det.alerts, vec![], "nothing is new after the baseline");
    assert!(det.stats.baseline_events > 0);
    let mut d = Detector::new(&w.catalog, &w.inventory, cfg);
    d.feed(&w.events);
    let hops: usize = d.finish(&w.catalog).alerts.iter().map(|a| a.hops.len()).sum();
    assert_eq!(hops, 2, "without it, both edges are new");
}

#[test]
fn unseen_edge_rule_alerts_on_every_first_time_edge() {
    let mut w = fleet_2019();
    intrude(&mut w);
    w.events.sort_by_time();
    let mut r = UnseenEdgeRule::new(14 * D);
    r.feed(&w.events);
    assert_eq!(r.hits().len(), 4);
    let fleet = hopscope_engine::Fleet::new(&w.catalog, &w.inventory);
    let d = r.finish(&w.catalog, &fleet, 5);
    assert_eq!(d.alerts.len(), 4);
    assert!(d.alerts.iter().all(|a| a.hops.len() == 1));
}

#[test]
fn state_stays_bounded_on_a_long_busy_stream() {
    // 300 hosts, 200 accounts, a year of logins: links and open alerts bounded by hosts
    let hosts: Vec<_> = (0..300).map(|i| host(&format!("h{i}"), "s", "C")).collect();
    let mut w = World::new(hosts, vec![]);
    let mut d = Detector::new(&w.catalog, &w.inventory, DetectConfig::default());
    let mut x: u64 = 1;
    for day in 0..365i64 {
        let mut b = hopscope_model::EventTable::default();
        for k in 0..400i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (s, dd) = (x % 300, (x >> 20) % 300);
            if s == dd {
                continue;
            }
            let e = w.event(
                Time(day * D + k * 200 * S),
                &format!("h{s}"),
                &format!("h{dd}"),
                &format!("u{}", (x >> 40) % 200),
                "Kerberos",
            );
            b.push(&e);
        }
        d.feed(&b);
        let (links, _open, pending, failures) = d.state_sizes();
        assert!(links <= 300 * 8 && pending < 100 && failures == 0);
    }
    let det = d.finish(&w.catalog);
    assert!(det.alerts.len() <= 365 * 5);
}

#[test]
fn brute_force_through_the_detector() {
    let mut w = fleet_2019();
    for s in 0..4 {
        w.login_with(
            Time(t("2019-09-05T14:00:00Z").0 + s * S),
            "us-web-01",
            "jp-crm-01",
            "jp_admin",
            "NTLM",
            |e| e.outcome = hopscope_model::Outcome::Failure,
        );
    }
    w.login(t("2019-09-05T14:00:30Z"), "us-web-01", "jp-crm-01", "jp_admin", "NTLM");
    let d = run(&mut w, DetectConfig { min_score: 0.0, ..DetectConfig::default() });
    let h = &d.alerts[0].hops[0];
    assert!(
        h.contributions.iter().any(|c| c.feature.name() == "brute-force"),
        "{:?}",
        h.contributions
    );
    assert_eq!(h.evidence.len(), 2, "the first failure is evidence too");
    assert!(h.techniques.contains(&"T1110"));
}

#[test]
fn a_login_logged_at_both_ends_is_one_hop_with_every_record_as_evidence() {
    let mut w = fleet_2019();
    let at = t("2019-09-12T03:04:05Z");
    // the DC's service ticket, the source's explicit-credential record, the destination's logon
    w.login_with(at, "us-jump-01", "jp-crm-01", "jp_admin", "Kerberos", |e| {
        e.orientation = Orientation::Tgs;
        e.event_id = 4769;
    });
    w.login_with(Time(at.0 + 100_000), "us-jump-01", "jp-crm-01", "jp_admin", "Kerberos", |e| {
        e.event_id = 4648;
        e.logon_type = LogonType::Unknown;
    });
    let svc = w.user_id("svc_backup");
    w.login_with(Time(at.0 + 1_000_000), "us-jump-01", "jp-crm-01", "jp_admin", "Negotiate", |e| {
        e.event_id = 4624;
        e.logon_type = LogonType::RemoteInteractive;
        e.src_user = svc;
    });
    let d =
        run(&mut w, DetectConfig { warmup: 14 * hopscope_engine::DAY, ..DetectConfig::default() });
    assert_eq!(d.stats.merged_hops, 2);
    let hops: Vec<_> = d
        .alerts
        .iter()
        .flat_map(|a| &a.hops)
        .filter(|h| h.hop.dst == w.host_id("jp-crm-01") && h.hop.time.0 >= at.0)
        .collect();
    assert_eq!(hops.len(), 1, "one login, one hop");
    let h = hops[0];
    assert_eq!(h.evidence.len(), 3, "{:?}", h.evidence);
    // the destination's own record gives the logon type and protocol; the source side, its account
    assert_eq!(h.hop.logon_type, LogonType::RemoteInteractive);
    assert_eq!(w.catalog.auths.name(h.hop.auth), Some("Negotiate"));
    assert_eq!(h.hop.src_user, svc);
    assert_eq!(h.hop.time, at);
}

#[test]
fn the_investigation_sees_a_login_logged_at_both_ends_as_one_hop_with_the_destinations_record() {
    let mut w = fleet_2019();
    let at = t("2019-09-12T03:04:05Z");
    w.login_with(at, "us-jump-01", "jp-crm-01", "jp_admin", "Kerberos", |e| {
        e.orientation = Orientation::Tgs;
        e.event_id = 4769;
    });
    w.login_with(Time(at.0 + 1_000_000), "us-jump-01", "jp-crm-01", "jp_admin", "Negotiate", |e| {
        e.event_id = 4624;
        e.logon_type = LogonType::RemoteInteractive;
    });
    // the same route 10 s later is another login
    w.login(Time(at.0 + 11_000_000), "us-jump-01", "jp-crm-01", "jp_admin", "Negotiate");
    let mut events = w.events.clone();
    events.sort_by_time();
    let mut logins = Vec::new();
    hopscope_engine::collect_logins(&events, Time::MAX, &mut logins);
    let (src, dst) = (w.host_id("us-jump-01"), w.host_id("jp-crm-01"));
    let hops: Vec<_> =
        logins.iter().filter(|h| h.src == src && h.dst == dst && h.time.0 >= at.0).collect();
    assert_eq!(hops.len(), 2, "{hops:?}");
    assert_eq!(hops[0].time, at);
    assert_eq!(hops[0].logon_type, LogonType::RemoteInteractive);
    assert_eq!(w.catalog.auths.name(hops[0].auth), Some("Negotiate"));
    let record = |id: u16| {
        (0..events.len()).map(|i| events.get(i)).find(|e| e.event_id == id).unwrap().evidence
    };
    assert_eq!(hops[0].evidence, record(4624), "the destination's own record is the evidence");
    assert!(hops[0].primary);
}

/// `watch`'s alert events, folded, are `detect`'s alerts before the budget, in raise order,
/// whatever the batch boundaries.
#[test]
fn alert_events_fold_into_the_alerts_finish_reports() {
    let mut w = fleet_2019();
    intrude(&mut w);
    w.login(t("2019-09-01T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    w.login(t("2019-09-01T04:00:00Z"), "th-db-01", "us-web-01", "mallory", "NTLM");
    w.login(t("2019-09-20T04:00:00Z"), "th-db-01", "jp-ops-01", "oscar", "NTLM");
    w.events.sort_by_time();
    let cfg = DetectConfig { min_score: 0.0, budget_per_day: 0, ..DetectConfig::default() };
    let batch = run(&mut w, cfg.clone());
    for step in [1, 13, 500] {
        let mut d = Detector::new(&w.catalog, &w.inventory, cfg.clone());
        d.follow_alerts();
        let mut events = Vec::new();
        let n = w.events.len();
        for start in (0..n).step_by(step) {
            let mut b = hopscope_model::EventTable::default();
            b.extend_from_range(&w.events, start..(start + step).min(n));
            d.feed(&b);
            events.extend(d.drain_events(&w.catalog));
        }
        d.settle_all();
        events.extend(d.drain_events(&w.catalog));
        assert!(events.iter().any(|e| e.kind == hopscope_engine::AlertEventKind::Grew));
        let keys: std::collections::HashSet<_> = events.iter().map(|e| e.key()).collect();
        assert_eq!(keys.len(), events.len(), "event keys are unique");
        let folded = hopscope_engine::fold(&events);
        assert!(folded.windows(2).all(|p| p[0].raised_at <= p[1].raised_at), "raise order");
        let mut by_id = batch.alerts.clone();
        by_id.sort_by(|a, b| a.id.cmp(&b.id));
        let mut got = folded.clone();
        got.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(got, by_id, "batch step {step}");
    }
}

/// A checkpoint (`watch --state`): a detector fed half the events, serialised with the
/// catalog, read back and fed the rest gives the same alert events as one detector fed all.
#[test]
fn a_detector_restored_from_a_checkpoint_continues_like_one_never_stopped() {
    let mut w = fleet_2019();
    intrude(&mut w);
    w.login(t("2019-09-01T03:00:00Z"), "sg-jump-01", "th-db-01", "mallory", "NTLM");
    w.login(t("2019-09-01T04:00:00Z"), "th-db-01", "us-web-01", "mallory", "NTLM");
    w.login(t("2019-09-20T04:00:00Z"), "th-db-01", "jp-ops-01", "oscar", "NTLM");
    w.events.sort_by_time();
    let cfg = DetectConfig { min_score: 0.0, budget_per_day: 0, ..DetectConfig::default() };
    let n = w.events.len();
    let slice = |r: std::ops::Range<usize>| {
        let mut b = hopscope_model::EventTable::default();
        b.extend_from_range(&w.events, r);
        b
    };
    let mut whole = Detector::new(&w.catalog, &w.inventory, cfg.clone());
    whole.follow_alerts();
    whole.feed(&w.events);
    whole.settle_all();
    let expected = whole.drain_events(&w.catalog);
    assert!(expected.len() > 2, "the case raises alerts");
    // cut where alerts exist already, and where some hops still wait out the skew
    let first_alert = expected.iter().map(|e| e.alert.raised_at).min().unwrap();
    for cut in [n / 3, w.events.time.partition_point(|&x| x <= first_alert.0)] {
        let mut d = Detector::new(&w.catalog, &w.inventory, cfg.clone());
        d.follow_alerts();
        d.feed(&slice(0..cut));
        let mut events = d.drain_events(&w.catalog);
        let bytes = bincode::serialize(&(&w.catalog, &d)).unwrap();
        drop(d);
        let (catalog, mut d): (hopscope_model::Catalog, Detector) =
            bincode::deserialize(&bytes).unwrap();
        d.restore_fleet(&catalog, &w.inventory);
        d.feed(&slice(cut..n));
        d.settle_all();
        events.extend(d.drain_events(&catalog));
        assert_eq!(events, expected, "cut at event {cut} of {n}");
    }
}

/// A noisy day does not fill memory: once a day is over, only its best `budget × 10` raised
/// alerts are kept; the rest are retired and counted as dropped by the budget.
#[test]
fn a_noisy_day_keeps_only_its_best_alerts_once_it_is_over() {
    let noisy_day = |budget: usize| {
        let mut w = fleet_2019();
        let sources = ["sg-app-01", "th-jump-01", "us-jump-01", "jp-web-01", "th-db-01"];
        for i in 0..30 {
            let at = Time(t("2019-09-20T00:30:00Z").0 + i * 40 * 60 * S);
            w.login(at, sources[i as usize % 5], "jp-crm-01", &format!("temp{i}"), "NTLM");
        }
        // the next days' ordinary work moves time on past the noisy day
        w.login(t("2019-09-22T09:00:00Z"), "jp-jump-01", "jp-ops-01", "jp_admin", "Kerberos");
        w.events.sort_by_time();
        let mut d = Detector::new(
            &w.catalog,
            &w.inventory,
            DetectConfig { min_score: 0.0, budget_per_day: budget, ..DetectConfig::default() },
        );
        d.feed(&w.events);
        let open_alerts = d.state_sizes().1;
        (d.finish(&w.catalog), open_alerts)
    };
    let ((all, open_all), (one, open_one)) = (noisy_day(0), noisy_day(1));
    assert!(
        open_one <= 10 && open_all >= 25,
        "memory: {open_one} alerts held with a budget, {open_all} without"
    );
    let on_day = |d: &Detection| {
        d.alerts.iter().filter(|a| a.raised_at.to_rfc3339().starts_with("2019-09-20")).count()
    };
    assert!(
        on_day(&all) >= 25,
        "every hop raises its own alert without a budget: {}",
        on_day(&all)
    );
    assert_eq!(on_day(&one), 1);
    assert_eq!(one.stats.raised, all.stats.raised, "retired alerts were raised");
    assert_eq!(one.dropped_by_budget + one.alerts.len(), all.alerts.len());
    // the one kept is the day's best
    let best = all
        .alerts
        .iter()
        .filter(|a| a.raised_at.to_rfc3339().starts_with("2019-09-20"))
        .map(|a| a.score)
        .fold(0.0, f64::max);
    let kept =
        one.alerts.iter().find(|a| a.raised_at.to_rfc3339().starts_with("2019-09-20")).unwrap();
    assert_eq!(kept.score, best);
}

/// `h` with inventory role `r`, or with none when `roles` is false (an inventory that does not
/// say which hosts are workstations).
fn with_role(
    mut h: hopscope_model::InventoryHost,
    r: &str,
    roles: bool,
) -> hopscope_model::InventoryHost {
    h.role = if roles { r.into() } else { String::new() };
    h
}

/// A small office: two people's workstations, a jump host and servers behind it. `roles`
/// says whether the inventory names the workstations as such.
fn office(roles: bool) -> World {
    let role = |h, r| with_role(h, r, roles);
    let hosts = vec![
        role(host("ws-alice", "tokyo", "Japan"), "workstation"),
        role(host("ws-bob", "tokyo", "Japan"), "workstation"),
        role(host("jump-01", "tokyo", "Japan"), "jump"),
        role(host("app-01", "tokyo", "Japan"), "application"),
        role(host("db-01", "osaka", "Japan"), "database"),
        jewel(role(host("crm-01", "osaka", "Japan"), "crm")),
    ];
    let mut w = World::new(hosts, vec![]);
    let routes = [
        ("ws-alice", "jump-01", "alice"),
        ("ws-bob", "jump-01", "bob"),
        ("ws-bob", "app-01", "bob"),
        ("jump-01", "app-01", "svc_app"),
        ("app-01", "db-01", "svc_app"),
    ];
    background(&mut w, &routes, t("2021-03-01T00:00:00Z"), 40, 2);
    w
}

/// An intruder on Alice's phished workstation rides her usual session to the jump host (a
/// routine login, not suspicious) and moves on from there minutes later: the alert's entry is
/// her workstation, not the jump host where it first saw them, because an intrusion cannot
/// begin on an inner host. Without roles in the inventory nothing says so, and the entry is
/// where the first suspicious hop left.
#[test]
fn an_intruder_first_seen_on_an_inner_host_entered_at_the_workstation_whose_session_reached_it() {
    let entry = |roles: bool| {
        let mut w = office(roles);
        w.login(t("2021-04-02T19:50:00Z"), "ws-alice", "jump-01", "alice", "Kerberos");
        w.login(t("2021-04-02T20:10:00Z"), "jump-01", "db-01", "svc_db", "NTLM");
        w.login(t("2021-04-02T20:20:00Z"), "db-01", "crm-01", "svc_db", "NTLM");
        let d = run(&mut w, DetectConfig::default());
        assert_eq!(d.alerts.len(), 1, "{:#?}", d.alerts);
        let a = &d.alerts[0];
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let threads =
            hopscope_engine::threads(a, |h| Fleet::new(&w.catalog, &w.inventory).foothold(h));
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].entry_host, a.entry_host, "the alert's entry is its first thread's");
        (
            name(a.entry_host),
            name(a.first_host(|h| Fleet::new(&w.catalog, &w.inventory).foothold(h))),
        )
    };
    assert_eq!(entry(true), ("ws-alice".to_string(), "jump-01".to_string()));
    assert_eq!(entry(false), ("jump-01".to_string(), "jump-01".to_string()));
}

/// A routine first login into a workstation is not how an intruder got there (an intrusion
/// can begin on a workstation): it is not taken into the alert of a suspicious hop out of it,
/// while the same login into an inner host is (the lead-in of `crate::detect::lead`).
#[test]
fn a_routine_login_into_a_workstation_is_no_lead_in_but_into_an_inner_host_it_is() {
    let lead_ins = |into: &str| {
        let mut w = office(true);
        // Bob's first login into `into`, from his own workstation: routine
        w.login(t("2021-04-02T19:50:00Z"), "ws-bob", into, "bob", "Kerberos");
        w.login(t("2021-04-02T20:10:00Z"), into, "crm-01", "svc_db", "NTLM");
        // every suspicious hop raises: the test is about what its alert holds
        let d = run(&mut w, DetectConfig { min_score: 0.0, ..DetectConfig::default() });
        assert_eq!(d.alerts.len(), 1, "{:#?}", d.alerts);
        let a = &d.alerts[0];
        a.hops
            .iter()
            .filter(|h| h.is_lead_in())
            .map(|h| w.catalog.hosts.name(h.hop.src).unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(lead_ins("ws-alice"), Vec::<String>::new());
    assert_eq!(lead_ins("db-01"), vec!["ws-bob".to_string()]);
}

/// An intruder on Alice's phished workstation rides her usual session to the file server and
/// sits there for 40 hours before moving on. No session of the last day reaches the file
/// server from a door (only a monitoring job from an inner host logs into it), so the chain
/// says nothing; the likeliest arrival of the last days does: Alice's login, the only one into
/// the file server whose chain began at a door. With an arrival window shorter than the dwell,
/// or without roles in the inventory, the entry is where the first suspicious hop left.
#[test]
fn an_intruder_who_sat_on_an_inner_host_for_days_entered_where_the_likeliest_login_into_it_began() {
    let entry = |roles: bool, arrival_window: i64| {
        let role = |h, r| with_role(h, r, roles);
        let hosts = vec![
            role(host("ws-alice", "tokyo", "Japan"), "workstation"),
            role(host("ops-01", "tokyo", "Japan"), "operations"),
            role(host("file-01", "tokyo", "Japan"), "file"),
            jewel(role(host("crm-01", "osaka", "Japan"), "crm")),
        ];
        let mut w = World::new(hosts, vec![]);
        background(&mut w, &[("ws-alice", "file-01", "alice")], t("2021-03-01T00:00:00Z"), 40, 1);
        background(&mut w, &[("ops-01", "file-01", "svc_mon")], t("2021-03-01T00:00:00Z"), 50, 2);
        w.login(t("2021-04-12T09:00:00Z"), "ws-alice", "file-01", "alice", "Kerberos");
        w.login(t("2021-04-14T01:00:00Z"), "file-01", "crm-01", "svc_backup", "NTLM");
        let d = run(
            &mut w,
            DetectConfig {
                arrival_window: arrival_window * hopscope_engine::HOUR,
                ..DetectConfig::default()
            },
        );
        assert_eq!(d.alerts.len(), 1, "{:#?}", d.alerts);
        let a = &d.alerts[0];
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let arrival = match a.entry_basis(|h| fleet.foothold(h)) {
            hopscope_engine::alert::EntryBasis::Arrival(x) => {
                Some((name(x.hop.src), x.hop.time.to_rfc3339()))
            }
            _ => None,
        };
        (name(a.entry_host), name(a.first_host(|h| fleet.foothold(h))), arrival)
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        entry(true, 96),
        (s("ws-alice"), s("file-01"), Some((s("ws-alice"), s("2021-04-12T09:00:00Z")))),
        "the arrival 40 h before, not Alice's older routine logins"
    );
    assert_eq!(entry(true, 24), (s("file-01"), s("file-01"), None), "dwell longer than the window");
    assert_eq!(entry(false, 96), (s("file-01"), s("file-01"), None), "no roles: nothing is a door");
}

/// An intruder on Alice's phished workstation logs in to the internet-facing web server for the
/// first time (new to it, but discounted: Alice often reaches new servers) and moves on from
/// there 40 hours later. The web server is a door, where an intrusion from the internet begins,
/// but no login from the internet reached it; Alice's new login did, so the entry is her
/// workstation. Bob's daily routine login into the web server explains nothing (an exploited
/// service would as well), nor does anything when a login from the internet came in between.
#[test]
fn an_intruder_first_seen_on_an_internet_facing_server_entered_where_a_login_new_to_it_began() {
    let entry = |alice: bool, from_internet: bool| {
        let mut web = with_role(host("web-01", "virginia", "United States"), "web", true);
        web.internet_facing = true;
        let hosts = vec![
            with_role(host("ws-alice", "tokyo", "Japan"), "workstation", true),
            with_role(host("ws-bob", "virginia", "United States"), "workstation", true),
            web,
            with_role(host("file-01", "tokyo", "Japan"), "file", true),
            with_role(host("app-01", "tokyo", "Japan"), "application", true),
            jewel(with_role(host("crm-01", "osaka", "Japan"), "crm", true)),
        ];
        let mut w = World::new(hosts, vec![]);
        let routes = [
            ("ws-alice", "file-01", "alice"),
            ("ws-alice", "app-01", "alice"),
            ("ws-bob", "web-01", "bob"),
        ];
        background(&mut w, &routes, t("2021-03-01T00:00:00Z"), 40, 1);
        if alice {
            w.login(t("2021-04-12T09:00:00Z"), "ws-alice", "web-01", "alice", "Kerberos");
        }
        if from_internet {
            w.login(t("2021-04-13T03:00:00Z"), "internet", "web-01", "www", "password");
        }
        w.login(t("2021-04-14T01:00:00Z"), "web-01", "crm-01", "svc_backup", "NTLM");
        let d = run(&mut w, DetectConfig::default());
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let a = d
            .alerts
            .iter()
            .find(|a| a.hops.iter().any(|h| name(h.hop.dst) == "crm-01"))
            .expect("an alert into crm-01");
        let arrival = match a.entry_basis(|h| fleet.foothold(h)) {
            hopscope_engine::alert::EntryBasis::Arrival(x) => Some(name(x.hop.src)),
            _ => None,
        };
        (name(a.entry_host), arrival)
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        entry(true, false),
        (s("ws-alice"), Some(s("ws-alice"))),
        "Alice's first login into the web server"
    );
    assert_eq!(
        entry(false, false),
        (s("web-01"), None),
        "only Bob's routine logins: the server itself"
    );
    assert_eq!(entry(true, true), (s("web-01"), None), "a login from the internet since");
}

/// Alice logs in to the application server for the first time (new to it, discounted: she
/// often reaches new servers); 30 hours later, three hours after Bob's daily session reached
/// it, a suspicious hop leaves it. Bob's routine session of hours before explains an intruder
/// there less well than Alice's first login: the entry is her workstation, and Bob's the other
/// candidate. Had the hop left within minutes of Bob's session, it would be his. (Lead-ins are
/// off: one would take Alice's login into the alert itself, a day and a half back.)
#[test]
fn a_login_new_to_the_host_outweighs_a_routine_session_of_hours_before() {
    let entry = |bob_minutes_before: i64| {
        let mut w = office(true);
        // Alice's other usual server, so that a new one is her routine novelty
        background(&mut w, &[("ws-alice", "db-01", "alice")], t("2021-03-01T00:00:00Z"), 40, 1);
        w.login(t("2021-04-12T20:00:00Z"), "ws-alice", "app-01", "alice", "Kerberos");
        let hop = t("2021-04-14T02:00:00Z");
        w.login(
            Time(hop.0 - bob_minutes_before * 60 * hopscope_engine::SECOND),
            "ws-bob",
            "app-01",
            "bob",
            "Kerberos",
        );
        w.login(hop, "app-01", "crm-01", "svc_backup", "NTLM");
        let d = run(&mut w, DetectConfig { lead_in_window: 0, ..DetectConfig::default() });
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let a = d
            .alerts
            .iter()
            .find(|a| a.hops.iter().any(|h| name(h.hop.dst) == "crm-01"))
            .expect("an alert into crm-01");
        assert!(
            a.hops.iter().all(|h| name(h.hop.src) != "ws-alice"),
            "Alice's login is not suspicious itself"
        );
        (name(a.entry_host), a.passed_over_session(|h| fleet.foothold(h)).map(name))
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        entry(180),
        (s("ws-alice"), Some(s("ws-bob"))),
        "Bob's session of three hours before"
    );
    assert_eq!(entry(2), (s("ws-bob"), None), "Bob's session two minutes before");
}

/// Alice's administrator account reaches the application server as it does every day, only in
/// the evening; 33 hours later, three hours after Bob's daily session reached it, a suspicious
/// hop leaves it with Alice's administrator account. Nothing about Alice's login is new, but it
/// brought the very account the intruder leaves with, and Bob's session did not: the entry is
/// her workstation, Bob's the other candidate. Leaving with an account Bob's session could
/// have carried as well as Alice's, the hop is his session's.
#[test]
fn the_login_that_brought_the_hops_account_outweighs_a_session_of_hours_before_that_did_not() {
    let entry = |account: &str| {
        let mut w = office(true);
        background(
            &mut w,
            &[("ws-alice", "app-01", "adm_alice")],
            t("2021-03-01T00:00:00Z"),
            40,
            1,
        );
        w.login(t("2021-04-12T20:00:00Z"), "ws-alice", "app-01", "adm_alice", "Kerberos");
        let hop = t("2021-04-14T05:00:00Z");
        w.login(
            Time(hop.0 - 180 * 60 * hopscope_engine::SECOND),
            "ws-bob",
            "app-01",
            "bob",
            "Kerberos",
        );
        w.login(hop, "app-01", "crm-01", account, "NTLM");
        let d = run(&mut w, DetectConfig { lead_in_window: 0, ..DetectConfig::default() });
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let a = d
            .alerts
            .iter()
            .find(|a| a.hops.iter().any(|h| name(h.hop.dst) == "crm-01"))
            .expect("an alert into crm-01");
        assert!(
            a.hops.iter().all(|h| name(h.hop.src) != "ws-alice"),
            "Alice's login is not suspicious itself"
        );
        let novel = match a.entry_basis(|h| fleet.foothold(h)) {
            hopscope_engine::alert::EntryBasis::Arrival(x) => Some(x.novel),
            _ => None,
        };
        (name(a.entry_host), a.passed_over_session(|h| fleet.foothold(h)).map(name), novel)
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        entry("adm_alice"),
        (s("ws-alice"), Some(s("ws-bob")), Some(false)),
        "Alice's account left the server"
    );
    assert_eq!(entry("svc_backup"), (s("ws-bob"), None, None), "an account neither login brought");
}

/// Alice's and then Bob's usual sessions reach the jump host, an hour apart, as every day; two
/// hours after Bob's, a suspicious hop leaves it. Nothing in the logs says which session the
/// intruder rode: the entry is the later one's workstation (most intruders move on within
/// hours), and Alice's is named as the other candidate, so a responder checks both
/// workstations. Riding a session that alone reached the host, there is no other candidate.
#[test]
fn the_other_sessions_that_reached_the_host_are_named_as_other_candidates_for_the_entry() {
    let run_with = |alice: bool| {
        let mut w = office(true);
        let hop = t("2021-04-14T05:00:00Z");
        if alice {
            w.login(
                Time(hop.0 - 180 * 60 * hopscope_engine::SECOND),
                "ws-alice",
                "jump-01",
                "alice",
                "Kerberos",
            );
        }
        w.login(
            Time(hop.0 - 120 * 60 * hopscope_engine::SECOND),
            "ws-bob",
            "jump-01",
            "bob",
            "Kerberos",
        );
        w.login(hop, "jump-01", "crm-01", "svc_backup", "NTLM");
        let d = run(&mut w, DetectConfig { lead_in_window: 0, ..DetectConfig::default() });
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
        let a = d
            .alerts
            .iter()
            .find(|a| a.hops.iter().any(|h| name(h.hop.dst) == "crm-01"))
            .expect("an alert into crm-01");
        let foothold = |h: u32| fleet.foothold(h);
        let threads = hopscope_engine::alert::threads(a, foothold);
        assert_eq!(
            threads[0].other_entries,
            a.other_entries(foothold),
            "the thread names what the alert names"
        );
        (name(a.entry_host), a.other_entries(foothold).into_iter().map(name).collect::<Vec<_>>())
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        run_with(true),
        (s("ws-bob"), vec![s("ws-alice")]),
        "both sessions reached the jump host"
    );
    assert_eq!(run_with(false), (s("ws-bob"), vec![]), "Bob's session alone");
}

/// A jump host every administrator passes through daily, from their own workstation, and
/// from which each of them reaches a server nobody reached before now and then (new hires'
/// servers, a maintenance night). An intruder enters the hub from the internet with one
/// administrator's account and moves on as `root`. The intruder's alert holds the intruder's
/// hops only: a hub an alert once reached does not pull its traffic into the alert, because
/// each administrator's own session from their workstation explains their hops out of it.
#[test]
fn a_hub_every_admin_passes_through_does_not_pull_its_traffic_into_an_alert() {
    let mut hosts = vec![with_role(host("hub", "tokyo", "Japan"), "jump", true)];
    for i in 0..10 {
        hosts.push(with_role(host(&format!("ws-a{i}"), "tokyo", "Japan"), "workstation", true));
    }
    for i in 0..30 {
        hosts.push(with_role(host(&format!("srv-{i:02}"), "osaka", "Japan"), "server", true));
    }
    for i in 0..40 {
        hosts.push(with_role(host(&format!("new-{i:02}"), "osaka", "Japan"), "server", true));
    }
    let mut w = World::new(hosts, vec![]);
    w.host_id("internet");
    let start = t("2021-03-01T00:00:00Z");
    let at = |day: i64, hour: i64, min: i64| Time(start.0 + day * D + hour * H + min * 60 * S);
    for day in 0..60 {
        for i in 0..10i64 {
            let (ws, user) = (format!("ws-a{i}"), format!("a{i}"));
            w.login(at(day, 8, i), &ws, "hub", &user, "Kerberos");
            let srv = format!("srv-{:02}", i * 3 + day % 3);
            w.login(at(day, 8, 10 + i), "hub", &srv, &user, "Kerberos");
        }
        if day >= 20 {
            // an administrator reaches a server nobody reached before, through the hub
            let i = day % 10;
            let new = format!("new-{:02}", day - 20);
            w.login(at(day, 9, 30), "hub", &new, &format!("a{i}"), "Kerberos");
        }
    }
    // the intruder: an administrator's account from the internet, then root onwards
    w.login(at(16, 2, 0), "internet", "hub", "a5", "password");
    w.login(at(16, 2, 5), "hub", "srv-00", "root", "password");
    w.login(at(16, 2, 9), "srv-00", "srv-01", "root", "password");
    let d = run(&mut w, DetectConfig::default());
    let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
    let intruder = d
        .alerts
        .iter()
        .find(|a| a.hops.iter().any(|h| name(h.hop.src) == "internet"))
        .expect("the intruder's entry is alerted");
    let hops: Vec<(String, String)> =
        intruder.hops.iter().map(|h| (name(h.hop.src), name(h.hop.dst))).collect();
    assert!(
        intruder.hops.iter().all(|h| h.hop.time.0 < at(17, 0, 0).0),
        "only the intruder's night: {hops:?}"
    );
    assert!(hops.contains(&("hub".into(), "srv-00".into())), "{hops:?}");
    for a in &d.alerts {
        assert!(a.hops.len() <= 4, "no alert gathers the hub's traffic: {} hops", a.hops.len());
    }
}

/// A deploy account that logs in from a new runner almost every time (a pool of autoscaled
/// CI runners) roams: its new source is its habit and raises nothing, while a person's
/// account appearing on a machine it never used is still suspicious.
#[test]
fn an_account_that_roams_over_new_sources_is_routine_a_person_on_a_new_machine_is_not() {
    let mut hosts = vec![
        with_role(host("app-01", "tokyo", "Japan"), "server", true),
        with_role(host("app-02", "tokyo", "Japan"), "server", true),
        with_role(host("ws-carol", "tokyo", "Japan"), "workstation", true),
        with_role(host("ws-dave", "tokyo", "Japan"), "workstation", true),
    ];
    for i in 0..80 {
        hosts.push(with_role(host(&format!("runner-{i:02}"), "osaka", "Japan"), "", true));
    }
    let mut w = World::new(hosts, vec![]);
    let start = t("2021-03-01T00:00:00Z");
    let at = |day: i64, hour: i64| Time(start.0 + day * D + hour * H);
    for day in 0..40 {
        // two deploys a day, each from a runner never used before
        for k in 0..2 {
            let runner = format!("runner-{:02}", day * 2 + k);
            w.login(at(day, 10 + k), &runner, "app-01", "svc-ci", "publickey");
            w.login(at(day, 10 + k), &runner, "app-02", "svc-ci", "publickey");
        }
        w.login(at(day, 9), "ws-carol", "app-01", "carol", "Kerberos");
        w.login(at(day, 9), "ws-dave", "app-02", "dave", "Kerberos");
    }
    // any suspicious hop raises an alert: the runners' hops must not be suspicious at all
    let config = DetectConfig { min_score: 0.5, budget_per_day: 0, ..DetectConfig::default() };
    let d = run(&mut w, config.clone());
    let runner_hops = d
        .alerts
        .iter()
        .flat_map(|a| &a.hops)
        .filter(|h| w.catalog.hosts.name(h.hop.src).unwrap().starts_with("runner-"))
        .count();
    assert_eq!(runner_hops, 0, "the runners' deploys raise nothing");
    // carol on dave's workstation: a person on a machine they never used
    w.login(at(39, 15), "ws-dave", "app-01", "carol", "Kerberos");
    let d = run(&mut w, config);
    let carol =
        d.alerts.iter().flat_map(|a| &a.hops).any(|h| {
            w.catalog.hosts.name(h.hop.src) == Some("ws-dave") && h.hop.time == at(39, 15)
        });
    assert!(carol, "a person on a new machine stays suspicious: {:#?}", d.alerts);
}

/// Addresses a pool hands out are judged together: a deploy job on fresh CI runner addresses
/// that no inventory names (one account, a new address every run, six servers within a
/// minute each run: too many logins per address for the roaming discount) makes its range a
/// pool within days, and from then on its deploys are the range's routine, not a new edge and
/// a new account on a new source each time. Out of the same pool, an account that never left
/// it is still a new account on its source; and an unnamed address of a person's fixed
/// machine in another range keeps a history of its own, so another account leaving it is
/// still suspicious.
#[test]
fn the_addresses_of_a_pool_are_judged_together_a_fixed_unnamed_machine_by_itself() {
    let mut hosts = Vec::new();
    for i in 0..6 {
        hosts.push(with_role(host(&format!("app-0{i}"), "tokyo", "Japan"), "server", true));
    }
    let mut w =
        World::with_sites(hosts, &[("10.20.0.0/16", "tokyo-ci"), ("10.30.0.0/16", "tokyo-office")]);
    let start = t("2021-03-01T00:00:00Z");
    let at = |day: i64, hour: i64, sec: i64| Time(start.0 + day * D + hour * H + sec * S);
    for day in 0..40 {
        for run in 0..3 {
            let runner = format!("10.20.{day}.{run}");
            for (k, app) in
                ["app-00", "app-01", "app-02", "app-03", "app-04", "app-05"].iter().enumerate()
            {
                let sec = 10 * k as i64;
                w.login(at(day, 9 + 2 * run, sec), &runner, app, "svc-ci", "publickey");
            }
        }
        // carol's desktop, at a fixed address no inventory row names
        w.login(at(day, 8, 0), "10.30.0.9", "app-00", "carol", "Kerberos");
    }
    let late = |h: &hopscope_engine::AlertHop| h.hop.time.0 >= at(20, 0, 0).0;
    let config = DetectConfig { min_score: 0.5, budget_per_day: 0, ..DetectConfig::default() };
    let d = run(&mut w, config.clone());
    let name = |w: &World, h: u32| w.catalog.hosts.name(h).unwrap().to_string();
    let pooled: Vec<String> = d
        .alerts
        .iter()
        .flat_map(|a| &a.hops)
        .filter(|h| late(h) && name(&w, h.hop.src).starts_with("10.20."))
        .map(|h| format!("{} -> {}", name(&w, h.hop.src), name(&w, h.hop.dst)))
        .collect();
    assert!(pooled.is_empty(), "the runners' deploys raise nothing once pooled: {pooled:?}");
    // out of the pool, an account that never left it; out of carol's desk, another account
    w.login(at(39, 15, 0), "10.20.99.1", "app-02", "mallory", "password");
    w.login(at(39, 16, 0), "10.30.0.9", "app-01", "svc-ci", "publickey");
    let d = run(&mut w, config);
    let suspicious = |src: &str, hour: i64| {
        d.alerts.iter().flat_map(|a| &a.hops).any(|h| {
            name(&w, h.hop.src) == src
                && h.hop.time == at(39, hour, 0)
                && h.contributions.iter().any(|c| c.feature.name() == "new-account-on-source")
        })
    };
    assert!(suspicious("10.20.99.1", 15), "a new account out of the pool: {:#?}", d.alerts);
    assert!(suspicious("10.30.0.9", 16), "another account on carol's desk: {:#?}", d.alerts);
}

/// A workstation is one person's seat: the same account's suspicious hops out of it in one
/// evening are one alert, even when the helpdesk's routine logins into the workstation by
/// two accounts leave its chains no clear causal account and nothing else ties them.
#[test]
fn suspicious_hops_of_one_account_out_of_one_seat_are_one_alert() {
    let mut w = office(true);
    let helpdesk = [("ws-alice", "ws-bob", "hd1"), ("ws-alice", "ws-bob", "hd2")];
    background(&mut w, &helpdesk, t("2021-03-01T00:00:00Z"), 40, 1);
    w.login(t("2021-04-02T19:00:00Z"), "ws-bob", "db-01", "carol", "NTLM");
    w.login(t("2021-04-02T20:30:00Z"), "ws-bob", "crm-01", "carol", "NTLM");
    let d = run(&mut w, DetectConfig::default());
    let name = |h: u32| w.catalog.hosts.name(h).unwrap().to_string();
    let holding = |dst: &str| {
        d.alerts.iter().position(|a| {
            a.hops.iter().any(|h| name(h.hop.src) == "ws-bob" && name(h.hop.dst) == dst)
        })
    };
    let (db, crm) = (holding("db-01"), holding("crm-01"));
    assert!(db.is_some() && crm.is_some(), "both hops are alerted: {:#?}", d.alerts);
    assert_eq!(db, crm, "one seat, one account, one evening: one alert");
    let a = &d.alerts[db.unwrap()];
    assert_eq!(a.hops.len(), 2, "only the two hops: {:#?}", a.hops);
    assert!(
        a.hops.iter().all(|h| h.trail.causal == Causal::Unclear),
        "the chains name no causal account: the seat alone ties them"
    );
}
