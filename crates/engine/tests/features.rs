//! Each score feature fires on its case and stays silent on a benign counterpart.

mod support;

use hopscope_engine::history::History;
use hopscope_engine::score::{is_suspicious, score_hop};
use hopscope_engine::{classify, Causal, Contribution, Feature, Fleet, GraphEvent, Hop, Trail};
use hopscope_model::{Event, EventFlags, EventTable, LogonType};
use support::*;

fn hop_of(e: &Event) -> Hop {
    let mut t = EventTable::default();
    t.push(e);
    match classify(&t, 0) {
        GraphEvent::Hop(h) => h,
        other => panic!("not a hop: {other:?}"),
    }
}

fn root(h: &Hop) -> Trail {
    Trail { origin: h.src, causal: Causal::Clear(h.user), start: h.time, depth: 1, alert: 0 }
}

struct Lab {
    w: World,
    fleet: Fleet,
    history: History,
}

impl Lab {
    fn new(w: World) -> Lab {
        let fleet = Fleet::new(&w.catalog, &w.inventory);
        Lab { w, fleet, history: History::default() }
    }
    /// Learn `n` logins src → dst by user, hourly from `from`.
    fn learn(&mut self, n: i64, from: &str, src: &str, dst: &str, user: &str, auth: &str) {
        for i in 0..n {
            let e = self.w.event(Time(t(from).0 + i * H), src, dst, user, auth);
            let h = hop_of(&e);
            self.history.observe(&h, &self.fleet, Some(h.user), false);
        }
    }
    fn score(
        &mut self,
        at: &str,
        src: &str,
        dst: &str,
        user: &str,
        auth: &str,
    ) -> Vec<Contribution> {
        self.score_with(at, src, dst, user, auth, |_| {})
    }
    fn score_with(
        &mut self,
        at: &str,
        src: &str,
        dst: &str,
        user: &str,
        auth: &str,
        f: impl FnOnce(&mut Event),
    ) -> Vec<Contribution> {
        let mut e = self.w.event(t(at), src, dst, user, auth);
        f(&mut e);
        let h = hop_of(&e);
        score_hop(&h, &root(&h), &self.history, &self.fleet)
    }
}

use hopscope_model::Time;

fn bits(c: &[Contribution], name: &str) -> Option<f64> {
    c.iter().find(|c| c.feature.name() == name).map(|c| c.bits)
}

fn plain() -> Lab {
    let hosts = ["a", "b", "c"].iter().map(|n| host(n, "tokyo", "Japan")).collect();
    Lab::new(World::new(hosts, vec![]))
}

#[test]
fn new_edge() {
    let mut lab = plain();
    lab.learn(100, "2019-08-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    lab.learn(100, "2019-08-01T01:00:00Z", "c", "b", "alice", "Kerberos");
    let c = lab.score("2019-09-01T01:00:00Z", "a", "c", "alice", "Kerberos");
    // a reached 1 destination in 100 logins: log2(102/2); c was never reached: log2(2/1)
    let b = bits(&c, "new-edge").expect("fires");
    assert!((b - ((102.0f64 / 2.0).log2() + 1.0)).abs() < 1e-9, "{b}");
    // alice logged in out of a 100 times: her going somewhere new from her own origin is
    // routine, discounted to her own rate of new destinations (1 in 200 logins: log2(202/2))
    // and not suspicious on its own
    let routine = bits(&c, "routine-source").expect("alice is at home on a");
    let kept = (202.0f64 / 2.0).log2();
    let explored = b + bits(&c, "new-account-on-destination").unwrap_or(0.0);
    assert!((routine - (kept - explored)).abs() < 1e-9, "{routine}");
    assert!(!is_suspicious(&c));
    // the same edge by an account that never logged in out of a is suspicious
    let c = lab.score("2019-09-01T01:00:00Z", "a", "c", "mallory", "Kerberos");
    assert!(bits(&c, "new-edge").is_some() && bits(&c, "new-account-on-source").is_some());
    assert_eq!(bits(&c, "routine-source"), None);
    assert!(is_suspicious(&c));
    let c = lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    assert_eq!(bits(&c, "new-edge"), None);
    assert!(!is_suspicious(&c));
}

#[test]
fn new_account_on_destination() {
    let mut lab = plain();
    lab.learn(50, "2019-08-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    let c = lab.score("2019-09-01T01:00:00Z", "a", "b", "mallory", "Kerberos");
    assert!(bits(&c, "new-account-on-destination").unwrap() > 4.0);
    let c = lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    assert_eq!(bits(&c, "new-account-on-destination"), None);
}

#[test]
fn credential_switch() {
    let mut lab = plain();
    lab.learn(50, "2019-08-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    lab.learn(50, "2019-08-01T01:00:00Z", "a", "c", "bob", "Kerberos");
    let alice = lab.w.user_id("alice");
    let e = lab.w.event(t("2019-09-01T01:00:00Z"), "b", "c", "bob", "Kerberos");
    let h = hop_of(&e);
    let chained =
        Trail { origin: 1, causal: Causal::Clear(alice), start: h.time, depth: 2, alert: 0 };
    let c = score_hop(&h, &chained, &lab.history, &lab.fleet);
    assert!(c.iter().any(|c| c.feature == Feature::CredentialSwitch { from: alice }), "{c:?}");
    let has_switch = |c: &[Contribution]| {
        c.iter().any(|c| matches!(c.feature, Feature::CredentialSwitch { .. }))
    };
    // the same hop in a chain of unclear cause, or as a chain's own start, is no switch
    let unclear = Trail { causal: Causal::Unclear, ..chained };
    assert!(!has_switch(&score_hop(&h, &unclear, &lab.history, &lab.fleet)));
    assert!(!has_switch(&score_hop(&h, &root(&h), &lab.history, &lab.fleet)));
    // once alice's chains have used bob, it is no longer new
    let mut seen = History::default();
    seen.observe(&h, &lab.fleet, Some(alice), false);
    assert!(!has_switch(&score_hop(&h, &chained, &seen, &lab.fleet)));
    // a service account that routinely logs out of b is not a switch, whoever came before
    lab.learn(20, "2019-08-01T01:00:00Z", "b", "a", "bob", "Kerberos");
    assert!(!has_switch(&score_hop(&h, &chained, &lab.history, &lab.fleet)));
}

#[test]
fn cross_country_weighted_by_rarity_and_cross_site() {
    let hosts = vec![
        host("sg1", "singapore", "Singapore"),
        host("sg2", "singapore-2", "Singapore"),
        host("th1", "bangkok", "Thailand"),
        host("jp1", "tokyo", "Japan"),
        host("jp2", "tokyo", "Japan"),
    ];
    let mut lab = Lab::new(World::new(hosts, vec![]));
    lab.learn(200, "2019-08-01T01:00:00Z", "jp1", "jp2", "alice", "Kerberos");
    lab.learn(20, "2019-08-01T01:00:00Z", "sg1", "jp1", "alice", "Kerberos");
    let rare = bits(
        &lab.score("2019-09-01T01:00:00Z", "sg1", "th1", "alice", "Kerberos"),
        "cross-country",
    )
    .unwrap();
    let common = bits(
        &lab.score("2019-09-01T01:00:00Z", "sg1", "jp2", "alice", "Kerberos"),
        "cross-country",
    )
    .unwrap();
    // SG→TH never seen among 220 located hops: log2(221/0.5); SG→JP seen 20 times
    assert!((rare - (221.0f64 / 0.5).log2()).abs() < 1e-9, "{rare}");
    assert!((common - (221.0f64 / 20.5).log2()).abs() < 1e-9, "{common}");
    assert!(rare > common);
    let same = lab.score("2019-09-01T01:00:00Z", "jp2", "jp1", "alice", "Kerberos");
    assert_eq!(bits(&same, "cross-country"), None);
    assert_eq!(bits(&same, "cross-site"), None);
    let site = lab.score("2019-09-01T01:00:00Z", "sg1", "sg2", "alice", "Kerberos");
    assert_eq!(bits(&site, "cross-site"), Some(4.0), "capped at 4 bits");
    assert_eq!(bits(&site, "cross-country"), None);
}

#[test]
fn weak_source() {
    let hosts = vec![
        weak(host("old", "singapore", "Singapore"), "2018-03-14"),
        host("new", "singapore", "Singapore"),
        host("b", "singapore", "Singapore"),
    ];
    let mut w = World::new(hosts, vec![]);
    w.host_id("internet"); // the fleet is built from a complete catalog
    let mut lab = Lab::new(w);
    let c = lab.score("2019-09-12T03:00:00Z", "old", "b", "alice", "Kerberos");
    assert_eq!(bits(&c, "source-decommissioning"), Some(4.0));
    assert_eq!(bits(&c, "source-stale-patch"), Some(2.0), "547 days: one year late, no extra year");
    assert_eq!(bits(&c, "source-internet-facing"), Some(2.0));
    assert_eq!(bits(&c, "source-internet-logins"), None);
    assert!(c.iter().any(|c| c.feature == Feature::StalePatch { days: 547 }));
    // patched 11 months before: not stale
    let c = lab.score("2019-02-12T03:00:00Z", "old", "b", "alice", "Kerberos");
    assert_eq!(bits(&c, "source-stale-patch"), None);
    // logins from the internet make a host weak
    let h = hop_of(&lab.w.event(t("2019-09-01T00:00:00Z"), "internet", "new", "alice", "password"));
    lab.history.observe(&h, &lab.fleet, None, false);
    let c = lab.score("2019-09-12T03:00:00Z", "new", "b", "alice", "Kerberos");
    assert_eq!(bits(&c, "source-internet-logins"), Some(3.0));
    // an active, patched host that never saw the internet: nothing
    let c = lab.score("2019-09-12T03:00:00Z", "b", "new", "alice", "Kerberos");
    assert!(c.iter().all(|c| !c.feature.name().starts_with("source-")), "{c:?}");
    // weakness alone does not make a hop suspicious
    lab.learn(3, "2019-08-01T00:00:00Z", "old", "b", "alice", "Kerberos");
    let c = lab.score("2019-09-12T03:00:00Z", "old", "b", "alice", "Kerberos");
    assert!(bits(&c, "source-decommissioning").is_some() && !is_suspicious(&c));
}

/// The source's exposure to the internet counts for a chain that begins there (entered from
/// outside, or by no login at all), not for one that came from a workstation inside the fleet
/// and passes through: every administrator's way through a bastion is not the intruder's door.
#[test]
fn exposure_counts_for_chains_that_begin_on_the_exposed_source() {
    let hosts = vec![
        weak(host("bastion", "singapore", "Singapore"), "2018-03-14"),
        host("ws", "singapore", "Singapore"),
        host("db", "singapore", "Singapore"),
    ];
    let mut w = World::new(hosts, vec![]);
    w.host_id("internet");
    let mut lab = Lab::new(w);
    let h =
        hop_of(&lab.w.event(t("2019-09-01T00:00:00Z"), "internet", "bastion", "bob", "password"));
    lab.history.observe(&h, &lab.fleet, None, false);
    let e = lab.w.event(t("2019-09-12T03:00:00Z"), "bastion", "db", "alice", "Kerberos");
    let hop = hop_of(&e);
    let exposure = |trail: &Trail| {
        let c = score_hop(&hop, trail, &lab.history, &lab.fleet);
        (bits(&c, "source-internet-facing"), bits(&c, "source-internet-logins"))
    };
    // no login into the bastion before the hop: the chain begins on it
    assert_eq!(exposure(&root(&hop)), (Some(2.0), Some(3.0)));
    // alice came in from the internet: the bastion entered is the chain's origin
    let from_outside = Trail { depth: 2, ..root(&hop) };
    assert_eq!(exposure(&from_outside), (Some(2.0), Some(3.0)));
    // alice came from her workstation and passes through
    let ws = lab.w.catalog.hosts.find("ws").unwrap();
    let passing = Trail { origin: ws, depth: 2, ..root(&hop) };
    assert_eq!(exposure(&passing), (None, None));
}

#[test]
fn crown_jewel_destination() {
    let hosts = vec![
        host("a", "tokyo", "Japan"),
        jewel(host("crm", "tokyo", "Japan")),
        host("wiki", "tokyo", "Japan"),
    ];
    let data = vec![
        holding("crm", "Kaito Logistics", false),
        holding("crm", "Defence Agency", true),
        holding("crm", "kaito logistics", false),
    ];
    let mut lab = Lab::new(World::new(hosts, data));
    let c = lab.score("2019-09-12T03:00:00Z", "a", "crm", "alice", "Kerberos");
    assert_eq!(bits(&c, "crown-jewel"), Some(3.0));
    assert!(c.iter().any(|c| c.feature == Feature::HoldsData { clients: 2 }), "clients fold case");
    assert_eq!(bits(&c, "restricted-data"), Some(3.0));
    let c = lab.score("2019-09-12T03:00:00Z", "a", "wiki", "alice", "Kerberos");
    assert!(c.iter().all(|c| !matches!(
        c.feature,
        Feature::CrownJewel { .. } | Feature::HoldsData { .. } | Feature::RestrictedData
    )));
}

#[test]
fn unusual_protocol_for_the_account() {
    let mut lab = plain();
    lab.learn(30, "2019-08-01T01:00:00Z", "a", "b", "alice", "Kerberos");
    let c = lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM");
    // never used in 30 logins: log2(31/0.5)
    let b = bits(&c, "unusual-auth").unwrap();
    assert!((b - (31.0f64 / 0.5).log2()).abs() < 1e-9);
    assert!(is_suspicious(&c));
    assert_eq!(
        bits(&lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "Kerberos"), "unusual-auth"),
        None
    );
    // password where keys are usual
    lab.learn(30, "2019-08-01T01:00:00Z", "a", "c", "deploy", "publickey");
    let c = lab.score("2019-09-01T01:00:00Z", "a", "c", "deploy", "password");
    assert!(c.iter().any(|c| matches!(c.feature, Feature::UnusualAuth { .. })));
    // too little history: no habit to break
    lab.learn(2, "2019-08-01T01:00:00Z", "a", "c", "carol", "Kerberos");
    assert_eq!(
        bits(&lab.score("2019-09-01T01:00:00Z", "a", "c", "carol", "NTLM"), "unusual-auth"),
        None
    );
    // a logon type the account never used
    let c = lab.score_with("2019-09-01T01:00:00Z", "a", "b", "alice", "Kerberos", |e| {
        e.logon_type = LogonType::RemoteInteractive
    });
    assert!(c.iter().any(|c| c.feature == Feature::UnusualLogonType { usual: 3 }));
}

#[test]
fn pass_the_hash() {
    let mut lab = plain();
    lab.learn(30, "2019-08-01T01:00:00Z", "a", "b", "alice", "NTLM");
    let c = lab.score_with("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM", |e| {
        e.logon_type = LogonType::NewCredentials;
        e.flags = EventFlags::PASS_THE_HASH;
    });
    assert_eq!(bits(&c, "pass-the-hash"), Some(6.0));
    assert_eq!(bits(&c, "unusual-logon-type"), None, "type 9 is scored once, as pass-the-hash");
    let c = lab.score_with("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM", |e| {
        e.logon_type = LogonType::NewCredentials
    });
    assert_eq!(bits(&c, "pass-the-hash"), Some(3.0));
    assert_eq!(
        bits(&lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM"), "pass-the-hash"),
        None
    );
}

#[test]
fn unusual_hour() {
    let mut lab = plain();
    // alice works 01:00–04:00 UTC (09:00–12:00 in Tokyo): 4 logins a day for 10 days
    for d in 0..10 {
        lab.learn(4, &format!("2019-08-{:02}T01:00:00Z", d + 1), "a", "b", "alice", "Kerberos");
    }
    let c = lab.score("2019-09-01T15:00:00Z", "a", "b", "alice", "Kerberos");
    // nothing within an hour of 15:00 in 40 logins: log2(48/1) - 3
    let b = bits(&c, "unusual-hour").unwrap();
    assert!((b - ((48.0f64).log2() - 3.0)).abs() < 1e-9, "{b}");
    assert!(!is_suspicious(&c), "an odd hour alone is context");
    assert_eq!(
        bits(&lab.score("2019-09-01T02:30:00Z", "a", "b", "alice", "Kerberos"), "unusual-hour"),
        None
    );
}

/// A failed logon src → dst for `user`, from source address id `addr` (0 = none logged), as
/// the detector learns it.
fn fail_from(lab: &mut Lab, at: &str, src: &str, dst: &str, user: &str, addr: u32) {
    let mut e = lab.w.event(t(at), src, dst, user, "password");
    e.outcome = hopscope_model::Outcome::Failure;
    e.src_ip = addr;
    let mut table = EventTable::default();
    table.push(&e);
    match classify(&table, 0) {
        GraphEvent::Failure(f) => lab.history.observe_failure(&f, &lab.fleet),
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn brute_force_that_worked() {
    let mut lab = plain();
    lab.learn(10, "2019-08-01T01:00:00Z", "a", "b", "alice", "password");
    for i in 0..8 {
        fail_from(&mut lab, &format!("2019-09-01T01:00:{:02}Z", i), "a", "b", "alice", 0);
    }
    let c = lab.score("2019-09-01T01:01:00Z", "a", "b", "alice", "password");
    assert!(c.iter().any(|c| c.feature == Feature::BruteForce { failures: 8 }));
    assert_eq!(bits(&c, "brute-force"), Some(5.0)); // 2 + log2(8)
                                                    // a typo before a success is not a brute force
    let e = lab.w.event(t("2019-09-01T01:01:00Z"), "a", "b", "alice", "password");
    lab.history.observe(&hop_of(&e), &lab.fleet, None, false);
    fail_from(&mut lab, "2019-09-02T01:00:00Z", "a", "b", "alice", 0);
    assert_eq!(
        bits(&lab.score("2019-09-02T01:00:30Z", "a", "b", "alice", "password"), "brute-force"),
        None
    );
}

/// The `internet` stands for every machine outside: scanners' failures from their addresses
/// against other accounts say nothing of a partner's success from its own address, while a run
/// from the success's own address, or against its own account from many addresses (a spray),
/// is a brute force.
#[test]
fn brute_force_from_the_internet_is_told_apart_by_address_and_account() {
    let mut w = World::new(vec![host("sftp", "singapore", "Singapore")], vec![]);
    w.host_id("internet");
    let mut lab = Lab::new(w);
    lab.learn(30, "2019-08-01T00:00:00Z", "internet", "sftp", "xfer-acme", "password");
    let partner_from = |e: &mut Event| e.src_ip = 900;
    // forty scanners' failures, each address and account its own, then the partner's success
    for i in 0..40u32 {
        let at = format!("2019-09-01T01:{:02}:00Z", i);
        fail_from(&mut lab, &at, "internet", "sftp", &format!("root{}", i % 3), 100 + i);
    }
    let c = lab.score_with(
        "2019-09-01T02:00:00Z",
        "internet",
        "sftp",
        "xfer-acme",
        "password",
        partner_from,
    );
    assert_eq!(bits(&c, "brute-force"), None, "{c:?}");
    // a run from the success's own address
    for i in 0..8 {
        fail_from(
            &mut lab,
            &format!("2019-09-01T03:00:{:02}Z", i),
            "internet",
            "sftp",
            "admin",
            900,
        );
    }
    let c = lab.score_with(
        "2019-09-01T03:01:00Z",
        "internet",
        "sftp",
        "xfer-acme",
        "password",
        partner_from,
    );
    assert!(c.iter().any(|c| c.feature == Feature::BruteForce { failures: 8 }), "{c:?}");
    // a spray against the account from many addresses, then a success from yet another
    for i in 0..16u32 {
        let at = format!("2019-09-02T03:00:{:02}Z", i);
        fail_from(&mut lab, &at, "internet", "sftp", "xfer-acme", 500 + i);
    }
    let c =
        lab.score_with("2019-09-02T03:01:00Z", "internet", "sftp", "xfer-acme", "password", |e| {
            e.src_ip = 777
        });
    assert!(c.iter().any(|c| c.feature == Feature::BruteForce { failures: 16 }), "{c:?}");
    // an inner host is one machine: its failures count whatever address each names
    let mut lab = plain();
    lab.learn(10, "2019-08-01T01:00:00Z", "a", "b", "alice", "password");
    for i in 0..8u32 {
        fail_from(&mut lab, &format!("2019-09-01T01:00:{:02}Z", i), "a", "b", "bob", 10 + i);
    }
    let c = lab.score("2019-09-01T01:01:00Z", "a", "b", "alice", "password");
    assert!(c.iter().any(|c| c.feature == Feature::BruteForce { failures: 8 }), "{c:?}");
}

#[test]
fn remote_service_install_and_admin_share() {
    let mut lab = plain();
    lab.learn(10, "2019-08-01T01:00:00Z", "a", "b", "alice", "NTLM");
    let c = lab.score_with("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM", |e| {
        e.flags = EventFlags::SERVICE_INSTALL.with(EventFlags::ADMIN_SHARE)
    });
    assert_eq!(bits(&c, "service-install"), Some(4.0));
    assert_eq!(bits(&c, "admin-share"), Some(2.0));
    let c = lab.score("2019-09-01T01:00:00Z", "a", "b", "alice", "NTLM");
    assert!(c.is_empty(), "{c:?}");
}

#[test]
fn internet_login_into_a_host_that_rarely_accepts_one() {
    let mut w = World::new(
        vec![host("web", "ashburn", "United States"), host("ops", "ashburn", "United States")],
        vec![],
    );
    w.host_id("internet");
    let mut lab = Lab::new(w);
    lab.learn(62, "2019-08-01T00:00:00Z", "ops", "web", "www-admin", "publickey");
    lab.learn(1, "2019-08-10T00:00:00Z", "internet", "web", "www-admin", "password");
    // one login from outside among 63: log2(65/2)
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "web", "www-admin", "password");
    let b = bits(&c, "internet-login").expect("fires");
    assert!((b - (65.0f64 / 2.0).log2()).abs() < 1e-9, "{b}");
    assert!(c.iter().any(|c| c.feature == Feature::InternetLogin { seen: 1, logins: 63 }));
    assert!(is_suspicious(&c), "a rare door is novelty even when the edge was seen");
    // a host entered from outside every other login (a VPN gateway) is not surprising
    lab.learn(62, "2019-08-11T00:00:00Z", "internet", "web", "www-admin", "password");
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "web", "www-admin", "password");
    assert_eq!(bits(&c, "internet-login"), None);
    // logins from inside never fire it
    assert_eq!(
        bits(
            &lab.score("2019-09-01T00:00:00Z", "ops", "web", "www-admin", "publickey"),
            "internet-login"
        ),
        None
    );
}

/// A lab whose workstation `ws` reaches a usual file server and four it rarely visits.
fn spread_lab() -> Lab {
    let hosts = ["ws", "usual", "f1", "f2", "f3", "f4"].iter().map(|n| host(n, "tokyo", "Japan"));
    Lab::new(World::new(hosts.collect(), vec![]))
}

#[test]
fn spread_over_rare_destinations_beyond_the_accounts_habit() {
    let mut lab = spread_lab();
    for user in ["alice", "bob"] {
        lab.learn(60, "2019-08-01T00:00:00Z", "ws", "usual", user, "Kerberos");
        // one rare destination at a time, days apart: a habit of one rare reach per window
        lab.learn(1, "2019-08-05T09:00:00Z", "ws", "f1", user, "Kerberos");
        lab.learn(1, "2019-08-09T09:00:00Z", "ws", "f2", user, "Kerberos");
        lab.learn(1, "2019-08-13T09:00:00Z", "ws", "f3", user, "Kerberos");
    }
    // bob once reached two rare destinations within a few hours: that is his habit
    lab.learn(1, "2019-08-20T09:00:00Z", "ws", "f1", "bob", "Kerberos");
    lab.learn(1, "2019-08-20T11:00:00Z", "ws", "f2", "bob", "Kerberos");

    // a morning on which alice's credentials reach f1, then f2, two hours apart
    lab.learn(1, "2019-09-02T08:00:00Z", "ws", "f1", "alice", "Kerberos");
    let c = lab.score("2019-09-02T10:00:00Z", "ws", "f2", "alice", "Kerberos");
    let spread = c.iter().find(|c| c.feature.name() == "spread").expect("two rare reaches");
    assert_eq!(spread.feature, Feature::Spread { rare: 2, usual: 1 });
    // the bits are how rarely alice goes to f2: once in her 64 logins, smoothed
    let share: f64 = 1.5 / 65.0;
    assert!((spread.bits - -share.log2()).abs() < 1e-9, "{}", spread.bits);
    assert!(is_suspicious(&c), "{c:?}");
    // the same edge alone is routine: every edge here was used before
    assert_eq!(bits(&c, "new-edge"), None);

    // the second rare reach a day later is a new window: nothing spreads
    let c = lab.score("2019-09-03T09:00:00Z", "ws", "f2", "alice", "Kerberos");
    assert_eq!(bits(&c, "spread"), None);
    assert!(!is_suspicious(&c));
    // bob's two rare reaches in one morning are his habit; a third is not
    lab.learn(1, "2019-09-02T08:00:00Z", "ws", "f1", "bob", "Kerberos");
    let c = lab.score("2019-09-02T10:00:00Z", "ws", "f2", "bob", "Kerberos");
    assert_eq!(bits(&c, "spread"), None);
    lab.learn(1, "2019-09-02T10:00:00Z", "ws", "f2", "bob", "Kerberos");
    let c = lab.score("2019-09-02T11:00:00Z", "ws", "f3", "bob", "Kerberos");
    let spread = c.iter().find(|c| c.feature.name() == "spread").expect("a third");
    assert_eq!(spread.feature, Feature::Spread { rare: 3, usual: 2 });
    // the usual server is never rare
    let c = lab.score("2019-09-02T11:30:00Z", "ws", "usual", "alice", "Kerberos");
    assert_eq!(bits(&c, "spread"), None);
}

#[test]
fn hops_a_raised_alert_holds_teach_no_habit_of_spreading() {
    let mut lab = spread_lab();
    lab.learn(60, "2019-08-01T00:00:00Z", "ws", "usual", "alice", "Kerberos");
    for (at, dst) in [("2019-08-05T09:00:00Z", "f1"), ("2019-08-06T09:00:00Z", "f2")] {
        lab.learn(1, at, "ws", dst, "alice", "Kerberos");
    }
    // an intrusion's morning, held by a raised alert: two rare reaches
    for (at, dst) in [("2019-08-20T01:00:00Z", "f1"), ("2019-08-20T02:00:00Z", "f2")] {
        let e = lab.w.event(t(at), "ws", dst, "alice", "Kerberos");
        let h = hop_of(&e);
        lab.history.observe(&h, &lab.fleet, Some(h.user), true);
    }
    // the next intruder on alice's machine still stands out at two
    lab.learn(1, "2019-09-02T08:00:00Z", "ws", "f1", "alice", "Kerberos");
    let c = lab.score("2019-09-02T10:00:00Z", "ws", "f2", "alice", "Kerberos");
    assert!(matches!(
        c.iter().find(|c| c.feature.name() == "spread").map(|c| c.feature),
        Some(Feature::Spread { rare: 2, usual: 1 })
    ));
}

#[test]
fn a_spread_an_alert_held_becomes_habit_when_the_account_repeats_it_another_day() {
    let mut lab = spread_lab();
    lab.learn(200, "2019-07-01T00:00:00Z", "ws", "usual", "svc-monitor", "publickey");
    let sweep = ["f1", "f2", "f3"];
    let held = |lab: &mut Lab, day: u32| {
        for (i, dst) in sweep.iter().enumerate() {
            let at = t(&format!("2019-08-{day:02}T0{i}:00:00Z"));
            let h = hop_of(&lab.w.event(at, "ws", dst, "svc-monitor", "publickey"));
            lab.history.observe(&h, &lab.fleet, Some(h.user), true);
        }
    };
    // a sweep over three rarely visited hosts, held by a raised alert on the 10th
    held(&mut lab, 10);
    // within the same window nothing is learnt: one more rare host still stands out
    let c = lab.score("2019-08-10T05:00:00Z", "ws", "f4", "svc-monitor", "publickey");
    assert!(matches!(
        c.iter().find(|c| c.feature.name() == "spread").map(|c| c.feature),
        Some(Feature::Spread { rare: 4, usual: 0 })
    ));
    // the sweep again on the 11th, held again: the account does this day after day
    held(&mut lab, 11);
    // from then on the same sweep is its habit, and only more than it stands out
    lab.learn(1, "2019-08-12T00:00:00Z", "ws", "f1", "svc-monitor", "publickey");
    lab.learn(1, "2019-08-12T01:00:00Z", "ws", "f2", "svc-monitor", "publickey");
    let c = lab.score("2019-08-12T02:00:00Z", "ws", "f3", "svc-monitor", "publickey");
    assert_eq!(bits(&c, "spread"), None, "{c:?}");
    lab.learn(1, "2019-08-12T02:00:00Z", "ws", "f3", "svc-monitor", "publickey");
    let c = lab.score("2019-08-12T05:00:00Z", "ws", "f4", "svc-monitor", "publickey");
    assert!(bits(&c, "spread").is_some(), "{c:?}");
}

#[test]
fn an_intruder_back_on_an_account_weeks_later_still_spreads_beyond_its_habit() {
    let mut lab = spread_lab();
    lab.learn(200, "2019-07-01T00:00:00Z", "ws", "usual", "alice", "Kerberos");
    let held = |lab: &mut Lab, day: u32| {
        for (i, dst) in ["f1", "f2", "f3"].iter().enumerate() {
            let at = t(&format!("2019-08-{day:02}T0{i}:00:00Z"));
            let h = hop_of(&lab.w.event(at, "ws", dst, "alice", "Kerberos"));
            lab.history.observe(&h, &lab.fleet, Some(h.user), true);
        }
    };
    // two intrusions on alice's machine two weeks apart, each held by its alert
    held(&mut lab, 1);
    held(&mut lab, 15);
    // a third, a week later, stands out as the first did
    lab.learn(1, "2019-08-22T00:00:00Z", "ws", "f1", "alice", "Kerberos");
    let c = lab.score("2019-08-22T01:00:00Z", "ws", "f2", "alice", "Kerberos");
    assert!(bits(&c, "spread").is_some(), "{c:?}");
}

/// Score `src → dst` by `user` at `at`, its own account's login into `src` `age` before.
fn score_after_session(
    lab: &mut Lab,
    at: &str,
    src: &str,
    dst: &str,
    user: &str,
    age: i64,
) -> Vec<Contribution> {
    let h = hop_of(&lab.w.event(t(at), src, dst, user, "password"));
    hopscope_engine::score::score_hop_in(&h, &root(&h), &lab.history, &lab.fleet, false, Some(age))
}

const MIN: i64 = 60_000_000;

#[test]
fn a_credential_used_long_after_its_owners_login_from_a_host_it_never_left_is_a_stale_session() {
    let mut lab = plain();
    // the fleet's sessions are moved on from within minutes: 200 of 1 to 8 minutes
    for i in 0..200 {
        lab.history.observe_session_age((1 + i % 8) * MIN);
    }
    let stale =
        score_after_session(&mut lab, "2024-01-10T10:00:00Z", "a", "b", "admin", 16 * 60 * MIN);
    let b = bits(&stale, "stale-session").expect("a 16-hour-old session, first time out of a");
    assert!((7.0..=8.0).contains(&b), "rarer than any session seen: near the cap, got {b}");
    assert!(matches!(
        stale.iter().find(|c| c.feature.name() == "stale-session").unwrap().feature,
        Feature::StaleSession { minutes: 960 }
    ));
    // as young as the fleet's sessions: nothing
    let fresh = score_after_session(&mut lab, "2024-01-10T10:00:00Z", "a", "b", "admin", 5 * MIN);
    assert_eq!(bits(&fresh, "stale-session"), None);
    // an account that has left this host before is at home there: nothing, however old
    lab.learn(1, "2024-01-01T00:00:00Z", "a", "c", "admin", "password");
    let home =
        score_after_session(&mut lab, "2024-01-10T10:00:00Z", "a", "b", "admin", 16 * 60 * MIN);
    assert_eq!(bits(&home, "stale-session"), None);
    // context, not novelty: it never makes a hop suspicious alone
    assert!(!Feature::StaleSession { minutes: 960 }.is_novelty());
}

#[test]
fn where_people_keep_sessions_open_for_hours_an_old_session_is_not_stale() {
    let mut lab = plain();
    // a jump host worked from all day: a third of the sessions are moved on from hours later
    for i in 0..300 {
        let age = if i % 3 == 0 { (4 + i % 12) * 60 * MIN } else { 3 * MIN };
        lab.history.observe_session_age(age);
    }
    let c = score_after_session(&mut lab, "2024-01-10T10:00:00Z", "a", "b", "admin", 6 * 60 * MIN);
    assert_eq!(bits(&c, "stale-session"), None, "a routine age here: {c:?}");
    // and until the fleet has shown enough sessions, nothing is called stale
    let mut young = plain();
    for _ in 0..50 {
        young.history.observe_session_age(MIN);
    }
    let c =
        score_after_session(&mut young, "2024-01-10T10:00:00Z", "a", "b", "admin", 16 * 60 * MIN);
    assert_eq!(bits(&c, "stale-session"), None);
}

#[test]
fn an_account_that_reaches_a_partners_door_only_from_inside_is_novel_from_outside() {
    let mut w = World::new(
        vec![host("sftp", "bangkok", "Thailand"), host("jump", "bangkok", "Thailand")],
        vec![],
    );
    w.host_id("internet");
    let mut lab = Lab::new(w);
    // partners fetch files from outside every hour; root comes in from the jump host
    lab.learn(300, "2019-08-01T00:00:00Z", "internet", "sftp", "xfer-acme", "publickey");
    lab.learn(30, "2019-08-01T00:30:00Z", "jump", "sftp", "root", "publickey");
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "sftp", "root", "publickey");
    assert_eq!(bits(&c, "internet-login"), None, "the door is routine for the fleet: {c:?}");
    let b = bits(&c, "account-from-outside").expect("root never came from outside");
    assert!((b - (31.0f64 / 0.5).log2()).abs() < 1e-9, "{b}");
    assert!(c.iter().any(|c| c.feature == Feature::AccountFromOutside { visits: 30 }));
    assert!(is_suspicious(&c));
    // the partner's own login from outside: nothing
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "sftp", "xfer-acme", "publickey");
    assert_eq!(bits(&c, "account-from-outside"), None);
    // an account with too few logins to have a habit: nothing
    lab.learn(3, "2019-08-02T00:30:00Z", "jump", "sftp", "backup", "publickey");
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "sftp", "backup", "publickey");
    assert_eq!(bits(&c, "account-from-outside"), None);
    // once root has come from outside, the next time is not new
    lab.learn(1, "2019-08-20T00:00:00Z", "internet", "sftp", "root", "publickey");
    let c = lab.score("2019-09-01T00:00:00Z", "internet", "sftp", "root", "publickey");
    assert_eq!(bits(&c, "account-from-outside"), None);
}
