//! `scope`: walk forward in time from a compromised set to containment.
//!
//! A host is compromised from the moment a suspicious hop reaches it (a [`Seed`]). An
//! account is exposed when it is used from, or logs on to, a compromised host while that
//! host is compromised; it stays exposed for the exposure window after its last such use
//! (capped at containment). Every later successful login from a compromised host, or with
//! an exposed account inside its window, compromises its destination. Time is respected: a
//! login before a host's compromise spreads nothing.
//!
//! Two tiers: `observed` (the seeds: the alert's hops) and `possible` (what the walk adds).

use std::collections::BTreeMap;

use hopscope_model::{Catalog, Evidence, HostKind, Inventory, Time};

use crate::detect::alert::{threads, Alert, THREAD_GAP};
use crate::fleet::Foothold;
use crate::graph::Hop;

/// Where compromise starts: `host` is compromised from `time`, reached by `via` when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seed {
    pub host: u32,
    pub time: Time,
    pub via: Option<Hop>,
}

impl Seed {
    /// The seeds of an alert's hops: the source of the first hop from its time, and each
    /// hop's destination from the hop's time.
    pub fn from_hops(hops: &[Hop]) -> Vec<Seed> {
        let mut seeds = Vec::new();
        if let Some(first) = hops.iter().min_by_key(|h| (h.time, h.evidence)) {
            seeds.push(Seed { host: first.src, time: first.time, via: None });
        }
        seeds.extend(hops.iter().map(|h| Seed { host: h.dst, time: h.time, via: Some(*h) }));
        seeds
    }

    /// The seeds of an alert ([`Seed::from_hops`] of its hops) and its entry host, when that is
    /// upstream of its first hop (a door whose session reached the inner host where the
    /// intruder was first seen: [`crate::detect::alert::entry_of`]), compromised from that hop's time.
    pub fn from_alert(alert: &Alert) -> Vec<Seed> {
        let hops: Vec<Hop> = alert.hops.iter().map(|h| h.hop).collect();
        let mut seeds = Seed::from_hops(&hops);
        if let Some(first) = hops.iter().min_by_key(|h| (h.time, h.evidence)) {
            if alert.entry_host != first.src && alert.entry_host != first.dst {
                seeds.push(Seed { host: alert.entry_host, time: first.time, via: None });
            }
        }
        seeds
    }

    /// The seeds of `alert` and of the alerts scoped with it (`joined`, as
    /// [`same_entry_alerts`] finds them), each by [`Seed::from_alert`].
    pub fn from_alerts(alert: &Alert, joined: &[&Alert]) -> Vec<Seed> {
        let mut seeds = Seed::from_alert(alert);
        seeds.extend(joined.iter().flat_map(|b| Seed::from_alert(b)));
        seeds
    }
}

/// The other alerts that began on `alert`'s entry — the entry host of any of its threads —
/// within [`THREAD_GAP`] after `alert` had compromised something (a seed of
/// [`Seed::from_alert`]) and before `until`: the intruder leaving the door they came in by
/// again, under another account or after a lull, which detection keeps apart (an alert claims
/// the hosts it entered, never the workstation it left, so that a person's later novelty is
/// not pulled into it). Within one alert, [`threads`] take such hops as the same intrusion;
/// scope does the same across alerts. By first hop, then id.
///
/// Only the entry: alerts leaving other hosts the alert reached are more often someone else's
/// (servers many people use), and measured over the simulator's intrusions they added more
/// clients that were not exposed than ones that were (docs/investigation.md).
pub fn same_entry_alerts<'a>(
    alert: &Alert,
    alerts: &'a [Alert],
    foothold: impl Fn(u32) -> Foothold,
    until: Time,
) -> Vec<&'a Alert> {
    let seeds = Seed::from_alert(alert);
    let mut entries: Vec<u32> = threads(alert, &foothold).iter().map(|t| t.entry_host).collect();
    entries.push(alert.entry_host);
    let first_hop = |a: &Alert| a.hops.iter().filter(|h| !h.is_lead_in()).map(|h| h.hop.time).min();
    let mut out: Vec<(Time, &Alert)> = alerts
        .iter()
        .filter(|b| b.id != alert.id && entries.contains(&b.entry_host))
        .filter_map(|b| Some((first_hop(b)?, b)))
        .filter(|&(t, _)| {
            t < until && seeds.iter().any(|s| s.time <= t && t.0 - s.time.0 <= THREAD_GAP)
        })
        .collect();
    out.sort_by(|x, y| (x.0, &x.1.id).cmp(&(y.0, &y.1.id)));
    out.into_iter().map(|(_, b)| b).collect()
}

/// For each of `alerts`, those of them whose scope joins it ([`same_entry_alerts`] with no
/// containment): the earlier alerts it began on the entry of, within 5 days, by index.
pub fn same_entry_as(alerts: &[Alert], foothold: impl Fn(u32) -> Foothold) -> Vec<Vec<usize>> {
    let index: std::collections::HashMap<&str, usize> =
        alerts.iter().enumerate().map(|(i, a)| (a.id.as_str(), i)).collect();
    let mut out = vec![Vec::new(); alerts.len()];
    for (i, a) in alerts.iter().enumerate() {
        for b in same_entry_alerts(a, alerts, &foothold, Time::MAX) {
            if let Some(&j) = index.get(b.id.as_str()) {
                out[j].push(i);
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Observed,
    Possible,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Observed => "observed",
            Tier::Possible => "possible",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct ScopeConfig {
    /// Logins at or after containment spread nothing.
    pub contained_at: Time,
    /// How long (microseconds) an account stays exposed after its last use on a
    /// compromised host.
    pub exposure_window: i64,
}

/// One compromised host.
#[derive(Clone, Debug, PartialEq)]
pub struct HostExposure {
    pub host: u32,
    pub compromised_at: Time,
    /// The login that reached it (none for an entry point given directly).
    pub via: Option<Hop>,
    /// Why the login spread compromise: from a compromised host, or with an exposed account.
    pub via_account: bool,
    pub tier: Tier,
    /// Exposed until containment.
    pub exposed_until: Time,
}

/// One exposed account.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountExposure {
    pub account: u32,
    pub exposed_at: Time,
    pub exposed_until: Time,
    /// The compromised host it was first exposed on, and the login that shows it.
    pub host: u32,
    pub evidence: Evidence,
    /// Logins with it that spread compromise.
    pub spread: u64,
}

/// One client organisation whose data sits on compromised hosts.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientExposure {
    pub client: String,
    pub restricted: bool,
    pub hosts: Vec<u32>,
    pub data_classes: Vec<String>,
    pub records: u64,
    pub earliest: Time,
    /// Observed when any of its hosts is.
    pub tier: Tier,
}

#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// By compromise time, then host id.
    pub hosts: Vec<HostExposure>,
    /// By exposure time, then account id.
    pub accounts: Vec<AccountExposure>,
    /// By client name.
    pub clients: Vec<ClientExposure>,
    pub client_count: usize,
    pub restricted_client_count: usize,
    pub observed_client_count: usize,
    pub observed_restricted_client_count: usize,
}

/// Walk `hops` (successful logins, any order) forward from `seeds` until containment.
pub fn scope(
    hops: &[Hop],
    seeds: &[Seed],
    catalog: &Catalog,
    inventory: &Inventory,
    config: &ScopeConfig,
) -> Scope {
    let mut hops: Vec<&Hop> = hops.iter().collect();
    hops.sort_by_key(|h| (h.time, h.evidence, h.src, h.dst));
    let mut hosts: BTreeMap<u32, HostExposure> = BTreeMap::new();
    // the internet is where an intruder came from, not a host they hold: everyone else's
    // logins from it would spread compromise
    let internet = |h: u32| catalog.hosts.get(h).is_some_and(|r| r.kind == HostKind::Internet);
    let mut seeds: Vec<Seed> = seeds
        .iter()
        .copied()
        .filter(|s| s.host != 0 && !internet(s.host) && s.time < config.contained_at)
        .collect();
    seeds.sort_by_key(|s| (s.time, s.host));
    for s in &seeds {
        hosts.entry(s.host).or_insert(HostExposure {
            host: s.host,
            compromised_at: s.time,
            via: s.via,
            via_account: false,
            tier: Tier::Observed,
            exposed_until: config.contained_at,
        });
    }
    let start = seeds.first().map(|s| s.time).unwrap_or(Time::MAX);
    let mut accounts: BTreeMap<u32, AccountExposure> = BTreeMap::new();
    let window_end =
        |t: Time| Time(t.0.saturating_add(config.exposure_window).min(config.contained_at.0));
    for h in hops {
        if h.time < start {
            continue;
        }
        if h.time >= config.contained_at {
            break;
        }
        let t = h.time;
        let src_comp = hosts.get(&h.src).is_some_and(|x| x.compromised_at <= t);
        let acct = h.user != 0
            && accounts.get(&h.user).is_some_and(|a| a.exposed_at <= t && t <= a.exposed_until);
        if let Some(a) = accounts.get_mut(&h.user).filter(|_| acct && !src_comp) {
            a.spread += 1;
        }
        if (src_comp || acct) && !hosts.contains_key(&h.dst) {
            hosts.insert(
                h.dst,
                HostExposure {
                    host: h.dst,
                    compromised_at: t,
                    via: Some(*h),
                    via_account: !src_comp,
                    tier: Tier::Possible,
                    exposed_until: config.contained_at,
                },
            );
        }
        let dst_comp = hosts.get(&h.dst).is_some_and(|x| x.compromised_at <= t);
        let mut expose = |account: u32, on: u32| {
            if account == 0 {
                return;
            }
            let until = window_end(t);
            accounts
                .entry(account)
                .and_modify(|a| a.exposed_until = a.exposed_until.max(until))
                .or_insert(AccountExposure {
                    account,
                    exposed_at: t,
                    exposed_until: until,
                    host: on,
                    evidence: h.evidence,
                    spread: 0,
                });
        };
        if src_comp {
            expose(h.user, h.src);
            expose(h.src_user, h.src);
        }
        if dst_comp {
            expose(h.user, h.dst);
        }
    }

    let mut hosts: Vec<HostExposure> = hosts.into_values().collect();
    hosts.sort_by_key(|h| (h.compromised_at, h.host));
    let mut accounts: Vec<AccountExposure> = accounts.into_values().collect();
    accounts.sort_by_key(|a| (a.exposed_at, a.account));

    // clients behind the data on compromised hosts
    let by_host: BTreeMap<u32, &HostExposure> = hosts.iter().map(|h| (h.host, h)).collect();
    let mut clients: BTreeMap<String, ClientExposure> = BTreeMap::new();
    for d in &inventory.data {
        let Some(id) = catalog.hosts.find(&d.host) else { continue };
        let Some(h) = by_host.get(&id) else { continue };
        let key = d.client.trim().to_string();
        let c = clients.entry(key.clone()).or_insert(ClientExposure {
            client: key,
            restricted: false,
            hosts: Vec::new(),
            data_classes: Vec::new(),
            records: 0,
            earliest: h.compromised_at,
            tier: h.tier,
        });
        c.restricted |= d.restricted;
        if !c.hosts.contains(&id) {
            c.hosts.push(id);
        }
        if !c.data_classes.contains(&d.data_class) {
            c.data_classes.push(d.data_class.clone());
        }
        c.records += d.records;
        c.earliest = c.earliest.min(h.compromised_at);
        c.tier = c.tier.min(h.tier);
    }
    let mut clients: Vec<ClientExposure> = clients.into_values().collect();
    for c in &mut clients {
        c.hosts.sort_unstable();
        c.data_classes.sort();
    }
    let count = |f: &dyn Fn(&ClientExposure) -> bool| clients.iter().filter(|c| f(c)).count();
    let client_count = clients.len();
    let restricted_client_count = count(&|c| c.restricted);
    let observed_client_count = count(&|c| c.tier == Tier::Observed);
    let observed_restricted_client_count = count(&|c| c.tier == Tier::Observed && c.restricted);
    Scope {
        hosts,
        accounts,
        clients,
        client_count,
        restricted_client_count,
        observed_client_count,
        observed_restricted_client_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::investigate::audit::fixture::*;
    use hopscope_model::Lifecycle;

    fn w() -> World {
        let a = Lifecycle::Active;
        world(
            &[
                ("sg-ops-03", a, "", true, 2),
                ("th-app-02", a, "", false, 2),
                ("us-web-01", a, "", false, 2),
                ("jp-crm-01", a, "", false, 4),
                ("jp-ws-01", a, "", false, 1),
                ("de-db-01", a, "", false, 3),
            ],
            &[
                ("jp-crm-01", "Kaito", "contracts", 10, false),
                ("jp-crm-01", "Defence Agency", "lines", 3, true),
                ("de-db-01", "Kaito", "billing", 5, false),
                ("th-app-02", "Siam Foods", "orders", 7, false),
            ],
        )
    }

    fn cfg(contained: i64, window_h: i64) -> ScopeConfig {
        ScopeConfig { contained_at: Time(contained * H), exposure_window: window_h * H }
    }

    fn names(w: &World, s: &Scope) -> Vec<(String, i64, Tier)> {
        s.hosts
            .iter()
            .map(|h| {
                (w.catalog.hosts.name(h.host).unwrap().to_string(), h.compromised_at.0 / H, h.tier)
            })
            .collect()
    }

    #[test]
    fn login_before_compromise_does_not_spread() {
        let mut w = w();
        w.login(5, "th-app-02", "de-db-01", "bob"); // before th-app-02 is compromised
        w.login(10, "sg-ops-03", "th-app-02", "svc");
        w.login(12, "th-app-02", "us-web-01", "alice"); // after: spreads, exposes alice
        w.login(13, "jp-ws-01", "jp-crm-01", "alice"); // exposed account from elsewhere spreads
        let seeds = [Seed { host: w.host("sg-ops-03"), time: Time(9 * H), via: None }];
        let s = scope(&w.hops(), &seeds, &w.catalog, &w.inventory, &cfg(100, 24));
        let n = names(&w, &s);
        assert_eq!(
            n,
            vec![
                ("sg-ops-03".into(), 9, Tier::Observed),
                ("th-app-02".into(), 10, Tier::Possible),
                ("us-web-01".into(), 12, Tier::Possible),
                ("jp-crm-01".into(), 13, Tier::Possible),
            ]
        );
        assert!(s.hosts[3].via_account);
        assert!(!n.iter().any(|(h, _, _)| h == "de-db-01"));
        assert_eq!(s.client_count, 3);
        assert_eq!(s.restricted_client_count, 1);
        let kaito = s.clients.iter().find(|c| c.client == "Kaito").unwrap();
        assert_eq!(kaito.records, 10);
        assert_eq!(kaito.earliest, Time(13 * H));
    }

    #[test]
    fn exposure_window_edges_and_containment() {
        let mut w = w();
        w.login(10, "sg-ops-03", "th-app-02", "svc"); // exposes svc until 10 + 5 = 15
        w.login(15, "jp-ws-01", "us-web-01", "svc"); // at the edge: spreads
        w.login(16, "jp-ws-01", "de-db-01", "svc"); // after the window... but
        w.login(17, "jp-ws-01", "jp-crm-01", "carol"); // unrelated account: no spread
        w.login(30, "th-app-02", "jp-crm-01", "bob"); // after containment: nothing
        let seeds = [Seed { host: w.host("sg-ops-03"), time: Time(10 * H), via: None }];
        let s = scope(&w.hops(), &seeds, &w.catalog, &w.inventory, &cfg(20, 5));
        let n: Vec<String> = names(&w, &s).into_iter().map(|x| x.0).collect();
        // us-web-01 compromised at 15 → svc used ON it at 15 refreshes svc until 20 (capped)
        // → the login at 16 with svc spreads too
        assert_eq!(n, ["sg-ops-03", "th-app-02", "us-web-01", "de-db-01"]);
        let svc = s.accounts.iter().find(|a| a.account == w.user("svc")).unwrap();
        assert_eq!(svc.exposed_until, Time(20 * H), "capped at containment");
        assert!(s.hosts.iter().all(|h| h.exposed_until == Time(20 * H)));

        // a tight window without refresh: the login after it does not spread
        let mut w2 = self::w();
        w2.login(10, "sg-ops-03", "th-app-02", "svc");
        w2.login(16, "jp-ws-01", "us-web-01", "svc");
        let seeds = [Seed { host: w2.host("sg-ops-03"), time: Time(10 * H), via: None }];
        let s = scope(&w2.hops(), &seeds, &w2.catalog, &w2.inventory, &cfg(100, 5));
        assert_eq!(s.hosts.len(), 2);
    }

    #[test]
    fn loops_and_a_host_compromised_twice_keep_the_first_compromise() {
        let mut w = w();
        for i in 0..5 {
            w.login(10 + 2 * i, "sg-ops-03", "th-app-02", "svc");
            w.login(11 + 2 * i, "th-app-02", "sg-ops-03", "svc");
        }
        let hops = w.hops();
        let mut seeds = Seed::from_hops(&hops[..2]);
        seeds.push(Seed { host: w.host("th-app-02"), time: Time(14 * H), via: Some(hops[4]) });
        let s = scope(&hops, &seeds, &w.catalog, &w.inventory, &cfg(100, 24));
        assert_eq!(
            names(&w, &s),
            vec![
                ("sg-ops-03".into(), 10, Tier::Observed),
                ("th-app-02".into(), 10, Tier::Observed)
            ]
        );
        assert_eq!(s.observed_client_count, 1);
        assert_eq!(s.accounts.len(), 1);
    }

    #[test]
    fn the_internet_an_intrusion_came_from_is_not_compromised() {
        let mut w = w();
        w.login(10, "internet", "sg-ops-03", "mallory");
        w.login(11, "sg-ops-03", "th-app-02", "svc");
        // someone else from the internet into another host: not the intrusion's doing
        w.login(12, "internet", "us-web-01", "carol");
        let s = scope(
            &w.hops(),
            &Seed::from_hops(&w.hops()[..2]),
            &w.catalog,
            &w.inventory,
            &cfg(100, 24),
        );
        assert_eq!(
            names(&w, &s),
            vec![
                ("sg-ops-03".into(), 10, Tier::Observed),
                ("th-app-02".into(), 11, Tier::Observed)
            ]
        );
    }

    #[test]
    fn an_alert_seeds_its_entry_when_it_is_upstream_of_its_first_hop() {
        let hop = |t: i64, src: u32, dst: u32| {
            let hop = Hop::test(t, src, dst, 1);
            let trail = crate::detect::chain::Trail {
                origin: src,
                causal: crate::detect::chain::Causal::Unclear,
                start: hop.time,
                depth: 1,
                alert: 0,
            };
            crate::detect::alert::AlertHop {
                hop,
                score: 10.0,
                contributions: vec![],
                techniques: vec![],
                evidence: vec![hop.evidence],
                trail,
                arrival: None,
                other_sessions: crate::detect::alert::Doors::NONE,
            }
        };
        let alert = |entry: u32| crate::detect::alert::Alert {
            id: "A".into(),
            score: 20.0,
            raised_at: Time(10),
            first_time: Time(10),
            last_time: Time(20),
            entry_host: entry,
            chain_origin: entry,
            causal_account: crate::detect::chain::Causal::Unclear,
            hops: vec![hop(10, 3, 4), hop(20, 4, 5)],
            hops_omitted: 0,
            continues: None,
            reasons: vec![String::new(); 2],
        };
        let hosts = |s: Vec<Seed>| s.iter().map(|s| (s.host, s.time.0)).collect::<Vec<_>>();
        assert_eq!(hosts(Seed::from_alert(&alert(3))), vec![(3, 10), (4, 10), (5, 20)]);
        assert_eq!(
            hosts(Seed::from_alert(&alert(1))),
            vec![(3, 10), (4, 10), (5, 20), (1, 10)],
            "the door the session came from"
        );
    }

    #[test]
    fn alerts_that_began_on_the_entry_within_the_thread_gap_after_its_compromise_are_joined() {
        const D: i64 = crate::units::DAY;
        // 1 and 2 are doors, 3.. inner hosts
        let foothold = |h: u32| if h <= 2 { Foothold::Door } else { Foothold::Inner };
        let alert = |id: &str, t: i64, src: u32, dst: u32| {
            let hop = Hop::test(t, src, dst, 1);
            let trail = crate::detect::chain::Trail {
                origin: src,
                causal: crate::detect::chain::Causal::Unclear,
                start: hop.time,
                depth: 1,
                alert: 0,
            };
            let h = crate::detect::alert::AlertHop {
                hop,
                score: 10.0,
                contributions: vec![],
                techniques: vec![],
                evidence: vec![hop.evidence],
                trail,
                arrival: None,
                other_sessions: crate::detect::alert::Doors::NONE,
            };
            Alert {
                id: id.into(),
                score: 10.0,
                raised_at: Time(t),
                first_time: Time(t),
                last_time: Time(t),
                entry_host: src,
                chain_origin: src,
                causal_account: crate::detect::chain::Causal::Unclear,
                hops: vec![h],
                hops_omitted: 0,
                continues: None,
                reasons: vec![String::new()],
            }
        };
        let a = alert("A", 10 * D, 1, 3);
        let alerts = vec![
            alert("B-early", 9 * D, 1, 4), // before the alert compromised anything
            a.clone(),
            alert("C", 12 * D, 1, 5), // the same door, two days on
            alert("D", 11 * D, 2, 6), // another door
            alert("E", 16 * D, 1, 7), // the same door, six days on
            alert("F", 14 * D, 1, 8), // four days on
        ];
        let ids = |until: i64| -> Vec<String> {
            same_entry_alerts(&a, &alerts, foothold, Time(until))
                .iter()
                .map(|b| b.id.clone())
                .collect()
        };
        assert_eq!(ids(i64::MAX), vec!["C", "F"]);
        assert_eq!(ids(13 * D), vec!["C"], "contained before F began");
        // an alert whose entry is an inner host's door by a session is joined by that door's
        // later alerts too (its entry, not only its first hop's source)
        let mut inner = alert("G", 10 * D, 3, 4);
        inner.entry_host = 1;
        assert_eq!(
            same_entry_alerts(&inner, &alerts, foothold, Time::MAX)
                .iter()
                .map(|b| b.id.as_str())
                .collect::<Vec<_>>(),
            vec!["A", "C", "F"]
        );
    }
}
