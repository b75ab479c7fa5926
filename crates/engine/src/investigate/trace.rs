//! `trace`: walk backward from a detection point (host, time) to the entry point.
//!
//! One pass over the successful logins up to the detection time scores each login by how
//! rare it was **when it happened** (online counts: a never-seen source → destination edge,
//! an account new on the destination or new from the source, a login from the internet or
//! from a weak host, a cross-country hop; routine edges are damped), and keeps, per login,
//! the best chain of suspicious logins that ends with it (its score plus the best chain into
//! its source before it: BackTracker over the login graph, with rarity so routine
//! administration does not swamp the path). The trace is the best chain into the detection
//! host before the detection time; alternatives are the next best chains.

use ahash::AHashMap;
use hopscope_model::{Catalog, Evidence, SwitchKind, Time};

use crate::detect::alert::{entry_basis, passed_over_session, Alert, EntryBasis, EntryReason};
use crate::fleet::Fleet;
use crate::graph::Hop;
use crate::investigate::audit::DEFAULT_PATCH_AGE;

/// Why a login was rare when it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceHop {
    pub hop: Hop,
    /// Bits of rarity (0 for routine).
    pub score: f64,
    pub reasons: Vec<&'static str>,
    /// The logged credential switch on the hop's source that the hop continued (an alert's
    /// hop the detector linked through it: [`crate::detect::switch`]); none otherwise.
    pub switch: Option<SwitchStep>,
}

/// "opsadmin became root on sg-ops-03 with sudo": a credential switch on a path, between the
/// hop into a host and the hop out of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwitchStep {
    /// The host it happened on (the next hop's source).
    pub host: u32,
    pub from: u32,
    pub to: u32,
    /// The authentication label of its record (the program), 0 for none.
    pub method: u32,
    pub kind: SwitchKind,
    pub evidence: Evidence,
}

impl SwitchStep {
    /// The switch an alert's hop continued, from its [`Feature::SwitchedOnSource`] and its last
    /// evidence (where the detector puts the switch's record).
    ///
    /// [`Feature::SwitchedOnSource`]: crate::detect::score::Feature::SwitchedOnSource
    pub fn of(h: &crate::detect::alert::AlertHop) -> Option<SwitchStep> {
        use crate::detect::score::Feature;
        h.contributions.iter().find_map(|c| match c.feature {
            Feature::SwitchedOnSource { from, method, kind } => Some(SwitchStep {
                host: h.hop.src,
                from,
                to: h.hop.user,
                method,
                kind,
                evidence: *h.evidence.last()?,
            }),
            _ => None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TracePath {
    /// Oldest first; the last hop reaches the detection host.
    pub hops: Vec<TraceHop>,
    /// Sum of the hops' scores.
    pub score: f64,
    /// The entry point and why it is one.
    pub entry_host: u32,
    pub entry_reasons: Vec<String>,
    /// The alert whose thread this path is ([`alert_paths`]); none for a path of the rarity
    /// walk.
    pub alert: Option<String>,
    /// The path stops where the thread of its hop into the host began, though the alert
    /// reaches further back ([`alert_paths`]): the other reading, a second intruder.
    pub thread_only: bool,
    /// The other candidates for the entry that the alert's logins leave open, likeliest first
    /// ([`crate::detect::alert::other_entries`] of the path's first hop); none for the rarity walk.
    pub other_entries: Vec<u32>,
}

#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// The most likely path, then alternatives (best first); empty when nothing suspicious
    /// reached the host.
    pub paths: Vec<TracePath>,
    pub logins: u64,
}

#[derive(Clone, Copy, Debug)]
pub struct TraceConfig {
    pub host: u32,
    pub at: Time,
    /// A login needs this many bits to be part of a path.
    pub min_bits: f64,
    pub max_hops: usize,
    pub alternatives: usize,
    /// For this long from the first login (microseconds), history is still filling: a login
    /// then is never novel (on the first day every edge is new), only from the internet or a
    /// weak host. 0: none.
    pub warmup: i64,
}

impl Default for TraceConfig {
    fn default() -> TraceConfig {
        TraceConfig {
            host: 0,
            at: Time::MAX,
            min_bits: 4.0,
            max_hops: 12,
            alternatives: 3,
            warmup: 0,
        }
    }
}

/// Bits for a chain that leaves a host with the account it reached it with.
const CONTINUITY: f64 = 2.0;

fn weak(f: &crate::fleet::HostFacts, at: Time) -> bool {
    crate::investigate::audit::weakness(f, at, DEFAULT_PATCH_AGE) != 0
}

/// Trace back from `config.host` at `config.at` over `hops` (successful logins, any order).
pub fn trace(hops: &[Hop], catalog: &Catalog, fleet: &Fleet, config: &TraceConfig) -> Trace {
    let _ = catalog;
    let mut hops: Vec<Hop> = hops.iter().filter(|h| h.time <= config.at).copied().collect();
    hops.sort_by_key(|h| (h.time, h.evidence, h.src, h.dst));
    let mut edge: AHashMap<(u32, u32), u32> = AHashMap::new();
    let mut acct_dst: AHashMap<(u32, u32), u32> = AHashMap::new();
    let mut acct_src: AHashMap<(u32, u32), u32> = AHashMap::new();
    // best chain ending in a login into each host so far: (value, hop index)
    let mut best_into: AHashMap<u32, (f64, usize)> = AHashMap::new();
    // the same, per (host, account): a chain that continues with the account it came in with
    // gains CONTINUITY bits
    let mut best_into_as: AHashMap<(u32, u32), (f64, usize)> = AHashMap::new();
    let mut scored: Vec<TraceHop> = Vec::with_capacity(hops.len());
    let mut value = vec![0.0f64; hops.len()];
    let mut parent = vec![usize::MAX; hops.len()];
    let history_from =
        hops.first().map_or(Time::MAX, |h| Time(h.time.0.saturating_add(config.warmup)));
    for (i, h) in hops.iter().enumerate() {
        let (fs, fd) = (fleet.host(h.src), fleet.host(h.dst));
        let e = *edge.get(&(h.src, h.dst)).unwrap_or(&0);
        let mut bits = 0.0;
        let mut reasons = Vec::new();
        if h.time < history_from {
            // still learning what is routine: novelty means nothing yet
        } else if e == 0 {
            bits += 3.0;
            reasons.push("never-seen edge");
        } else {
            bits -= ((e + 1) as f64).log2().min(3.0);
        }
        let novel = h.time >= history_from && h.user != 0;
        if novel && !acct_dst.contains_key(&(h.user, h.dst)) {
            bits += 2.0;
            reasons.push("account new on this host");
        }
        if novel && !acct_src.contains_key(&(h.user, h.src)) {
            bits += 1.0;
            reasons.push("account new from this source");
        }
        if fs.is_internet {
            // the internet is where intrusions come from: a chain that reaches back to it
            // has its origin explained
            bits += 8.0;
            reasons.push("from the internet");
        } else if weak(fs, h.time) {
            bits += 2.0;
            reasons.push("from a weak host");
        }
        if fs.country != 0 && fd.country != 0 && fs.country != fd.country {
            bits += 1.0;
            reasons.push("cross-country");
        }
        let bits: f64 = if bits < config.min_bits { 0.0 } else { bits };
        if bits > 0.0 {
            let mut v = bits;
            let any = best_into.get(&h.src).copied();
            let same = if h.user != 0 {
                best_into_as.get(&(h.src, h.user)).map(|&(pv, pi)| (pv + CONTINUITY, pi))
            } else {
                None
            };
            let pred = match (any, same) {
                (Some(a), Some(s)) => Some(if s.0 >= a.0 { s } else { a }),
                (a, s) => a.or(s),
            };
            if let Some((pv, pi)) = pred {
                v += pv;
                parent[i] = pi;
            }
            value[i] = v;
            let b = best_into.entry(h.dst).or_insert((v, i));
            if v > b.0 {
                *b = (v, i);
            }
            let b = best_into_as.entry((h.dst, h.user)).or_insert((v, i));
            if v > b.0 {
                *b = (v, i);
            }
        }
        scored.push(TraceHop { hop: *h, score: bits, reasons, switch: None });
        *edge.entry((h.src, h.dst)).or_default() += 1;
        *acct_dst.entry((h.user, h.dst)).or_default() += 1;
        *acct_src.entry((h.user, h.src)).or_default() += 1;
    }

    // candidate chain ends: suspicious logins into the host, best value first, then latest
    let mut ends: Vec<usize> =
        (0..hops.len()).filter(|&i| hops[i].dst == config.host && value[i] > 0.0).collect();
    ends.sort_by(|&a, &b| {
        value[b].total_cmp(&value[a]).then(hops[b].time.cmp(&hops[a].time)).then(b.cmp(&a))
    });
    let mut paths: Vec<TracePath> = Vec::new();
    for end in ends {
        if paths.len() > config.alternatives {
            break;
        }
        let mut chain = Vec::new();
        let mut at = end;
        let mut seen = Vec::new();
        while at != usize::MAX && chain.len() < config.max_hops {
            if seen.contains(&hops[at].dst) {
                break;
            }
            seen.push(hops[at].dst);
            chain.push(scored[at].clone());
            at = parent[at];
        }
        chain.reverse();
        // the same path as a better one (a later revisit of its last hop) adds nothing
        let key: Vec<(u32, u32)> = chain.iter().map(|h| (h.hop.src, h.hop.dst)).collect();
        if paths
            .iter()
            .any(|p| p.hops.iter().map(|h| (h.hop.src, h.hop.dst)).collect::<Vec<_>>() == key)
        {
            continue;
        }
        let first = &chain[0].hop;
        let (entry_host, reason) = if fleet.host(first.src).is_internet {
            (first.dst, EntryReason::Internet)
        } else {
            (first.src, EntryReason::Source { lead_in: false })
        };
        let mut entry_reasons = vec![reason.to_string()];
        entry_reasons.extend(weaknesses(fleet, entry_host, first.time));
        let score = chain.iter().map(|h| h.score).sum();
        paths.push(TracePath {
            hops: chain,
            score,
            entry_host,
            entry_reasons,
            alert: None,
            thread_only: false,
            other_entries: Vec::new(),
        });
    }
    Trace { paths, logins: hops.len() as u64 }
}

/// The trace with detection: the paths of the alerts' threads into the host first
/// ([`alert_paths`]), then the rarity walk's ([`trace`]) that take another route, up to
/// `config.alternatives` after the first. Without an alert into the host it is the rarity
/// walk alone.
pub fn trace_with_alerts(
    hops: &[Hop],
    alerts: &[Alert],
    catalog: &Catalog,
    fleet: &Fleet,
    config: &TraceConfig,
) -> Trace {
    let walk = trace(hops, catalog, fleet, config);
    let mut paths = alert_paths(alerts, catalog, fleet, config);
    let route = |p: &TracePath| p.hops.iter().map(|h| (h.hop.src, h.hop.dst)).collect::<Vec<_>>();
    for p in walk.paths {
        if !paths.iter().any(|q| route(q) == route(&p)) {
            paths.push(p);
        }
    }
    paths.truncate(config.alternatives + 1);
    Trace { paths, logins: walk.logins }
}

/// The host's weaknesses as an entry point at `at`, as the audit judges them.
fn weaknesses(fleet: &Fleet, host: u32, at: Time) -> Vec<String> {
    crate::investigate::audit::weaknesses(fleet.host(host), at, DEFAULT_PATCH_AGE)
}

/// The paths the detector's alerts took into `host` up to `at`, the latest into it first (then
/// the highest summed score): for each alert raised by then holding a hop into `host` at or
/// before `at`, the latest such hop, then the alert's hop that last entered its source before
/// it, and so on back (compromise, as [`crate::detect::alert::threads`] links hops, without their quiet
/// gap: the trace follows an intrusion through its pauses, as the 2019 intruder's three
/// months on a Thai server). The detection scores prune and rank: an alert holds suspicious
/// hops, where the rarity walk of [`trace`] sums every login's novelty and favours long chains
/// of ordinary administration. The entry is [`crate::detect::alert::entry_of`] the path's first hop
/// (where intrusions begin).
///
/// When the hop into `host` belongs to a thread that began later than the path reaches back
/// (after a pause, on a host an earlier thread had been on, or by another way in), that
/// thread's own path, back to where it began and its entry as `detect` names it, follows as
/// the next alternative ([`TracePath::thread_only`]): a second intruder, if it was one.
/// Measured over the simulator's intrusions, traced from each one's latest alerted hop
/// (`hopscope eval`): the path through pauses names the entry for 334 of 382, the thread's own
/// for 340, but not the 2019 intruder's: naming the thread's entry first would lose the case
/// hopscope is built for, so it is the alternative.
pub fn alert_paths(
    alerts: &[Alert],
    catalog: &Catalog,
    fleet: &Fleet,
    config: &TraceConfig,
) -> Vec<TracePath> {
    let (host, at) = (config.host, config.at);
    let foothold = |h: u32| fleet.foothold(h);
    let mut paths = Vec::new();
    for a in alerts.iter().filter(|a| a.raised_at <= at) {
        let hop = |i: usize| &a.hops[i].hop;
        let every: Vec<usize> = (0..a.hops.len()).collect();
        // the latest of `within`'s hops into `into` at or before `by`, other than `not`
        let latest_into = |within: &[usize], into: u32, by: Time, not: usize| {
            within
                .iter()
                .copied()
                .filter(|&i| i != not && hop(i).dst == into && hop(i).time <= by)
                .max_by_key(|&i| (hop(i).time, i))
        };
        let Some(end) = latest_into(&every, host, at, usize::MAX) else { continue };
        // back from `end` over the hops `within`
        let walk = |within: &[usize]| {
            let mut chain = vec![end];
            let mut seen = vec![hop(end).dst];
            while let Some(&cur) = chain.last().filter(|_| chain.len() < config.max_hops) {
                let src = hop(cur).src;
                let Some(prev) =
                    latest_into(within, src, hop(cur).time, cur).filter(|_| !seen.contains(&src))
                else {
                    break;
                };
                seen.push(src);
                chain.push(prev);
            }
            chain.reverse();
            chain
        };
        let through = walk(&every);
        let own = crate::detect::alert::threads(a, foothold)
            .into_iter()
            .find(|t| t.hops.contains(&end))
            .map(|t| walk(&t.hops));
        paths.push(path_of(a, through.clone(), false, catalog, fleet));
        if let Some(own) = own.filter(|own| *own != through) {
            paths.push(path_of(a, own, true, catalog, fleet));
        }
    }
    // the latest intrusion into the host first (BackTracker: the last cause before the
    // detection point), the path through pauses before a thread's own, then the strongest
    let into_host = |p: &TracePath| p.hops.last().map(|h| h.hop.time);
    paths.sort_by(|x, y| {
        into_host(y)
            .cmp(&into_host(x))
            .then(x.thread_only.cmp(&y.thread_only))
            .then(y.score.total_cmp(&x.score))
    });
    paths
}

/// The path of `chain` (indexes into `a`'s hops, oldest first), its entry and why.
fn path_of(
    a: &Alert,
    chain: Vec<usize>,
    thread_only: bool,
    catalog: &Catalog,
    fleet: &Fleet,
) -> TracePath {
    let foothold = |h: u32| fleet.foothold(h);
    let first = &a.hops[chain[0]];
    let (entry_host, basis) = entry_basis(first, foothold);
    let name = |h: u32| catalog.hosts.name(h).unwrap_or("?");
    let account = |a: u32| catalog.accounts.get(a).map_or("?", |a| a.name.as_str());
    let reason = match basis {
        EntryBasis::Internet => EntryReason::Internet,
        EntryBasis::Chain => EntryReason::Chain { first_seen: name(first.hop.src) },
        EntryBasis::Arrival(a) => EntryReason::Arrival {
            first_seen: name(first.hop.src),
            internet_facing: fleet.exposed_server(first.hop.src),
            passed_over: passed_over_session(first, foothold).map(name),
            novel: a.novel,
            src: name(a.hop.src),
            account: account(a.hop.user),
            at: a.hop.time,
            bits: a.score as f64,
        },
        EntryBasis::Source => EntryReason::Source { lead_in: first.is_lead_in() },
    };
    let mut entry_reasons = vec![reason.to_string()];
    let other_entries = crate::detect::alert::other_entries(first, foothold);
    let others: Vec<&str> = other_entries.iter().map(|&h| name(h)).collect();
    if !others.is_empty() {
        entry_reasons.push(crate::detect::alert::other_entries_reason(&others));
    }
    if thread_only {
        entry_reasons.push(
            "this path stops where the thread of the hop into the host began, after a pause or by another way in: the entry of a second intruder, if it was one".to_string(),
        );
    }
    entry_reasons.extend(weaknesses(fleet, entry_host, first.hop.time));
    let hops: Vec<TraceHop> = chain
        .iter()
        .map(|&i| {
            let h = &a.hops[i];
            TraceHop {
                hop: h.hop,
                score: h.score,
                reasons: h.contributions.iter().map(|c| c.feature.name()).collect(),
                switch: SwitchStep::of(h),
            }
        })
        .collect();
    let score = hops.iter().map(|h| h.score).sum();
    TracePath {
        hops,
        score,
        entry_host,
        entry_reasons,
        alert: Some(a.id.clone()),
        thread_only,
        other_entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::investigate::audit::fixture::*;
    use hopscope_model::Lifecycle;

    #[test]
    fn routine_administration_does_not_swamp_the_path() {
        let a = Lifecycle::Active;
        let mut w = world(
            &[
                ("sg-ops-03", Lifecycle::Decommissioning, "2018-03-14", true, 2),
                ("th-app-02", a, "", false, 2),
                ("us-jump-01", a, "", false, 2),
                ("jp-crm-01", a, "", false, 4),
                ("jp-jump-01", a, "", false, 2),
                ("jp-ws-01", a, "", false, 1),
            ],
            &[],
        );
        let base = Time::parse("2019-08-01").unwrap().0 / H;
        // routine: jp admins every day
        for d in 0..60 {
            w.login(base + d * 24, "jp-ws-01", "jp-jump-01", "alice");
            w.login(base + d * 24 + 1, "jp-jump-01", "jp-crm-01", "alice");
        }
        w.login(base + 100, "internet", "sg-ops-03", "svc");
        w.login(base + 300, "sg-ops-03", "th-app-02", "svc");
        w.login(base + 900, "th-app-02", "us-jump-01", "svc");
        w.login(base + 1000, "us-jump-01", "jp-crm-01", "bob");
        w.login(base + 1010, "us-jump-01", "jp-crm-01", "bob"); // revisit
        let config = TraceConfig {
            host: w.host("jp-crm-01"),
            at: Time((base + 1440) * H),
            ..TraceConfig::default()
        };
        let t = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        let p = &t.paths[0];
        assert_eq!(p.entry_host, w.host("sg-ops-03"));
        let route: Vec<&str> =
            p.hops.iter().map(|h| w.catalog.hosts.name(h.hop.dst).unwrap()).collect();
        assert_eq!(route, ["sg-ops-03", "th-app-02", "us-jump-01", "jp-crm-01"]);
        assert_eq!(p.hops[0].hop.time, Time((base + 100) * H), "first malicious time");
        assert!(p.entry_reasons.iter().any(|r| r.contains("decommissioning")));
        // before the intrusion reached it: nothing suspicious into jp-crm-01 after its first
        // (routine) login
        let early = TraceConfig { at: Time((base + 500) * H), ..config };
        let t = trace(&w.hops(), &w.catalog, &w.fleet, &early);
        assert!(t.paths.iter().all(|p| p.hops.iter().all(|h| h.hop.src != w.host("us-jump-01"))));
    }

    #[test]
    fn loops_end() {
        let a = Lifecycle::Active;
        let mut w = world(&[("aa-1", a, "", false, 2), ("bb-1", a, "", false, 2)], &[]);
        w.login(1, "aa-1", "bb-1", "alice");
        w.login(2, "bb-1", "aa-1", "bob");
        w.login(3, "aa-1", "bb-1", "carol");
        w.login(4, "bb-1", "aa-1", "svc");
        let config =
            TraceConfig { host: w.host("aa-1"), at: Time(10 * H), ..TraceConfig::default() };
        let t = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        assert!(!t.paths.is_empty());
        assert!(t.paths[0].hops.len() <= 4);
    }

    #[test]
    fn logins_while_history_fills_are_not_novel_but_the_internet_still_counts() {
        let mut w = world(
            &[
                ("aa-1", Lifecycle::Active, "", false, 1),
                ("bb-1", Lifecycle::Active, "", false, 1),
                ("cc-1", Lifecycle::Active, "", false, 1),
            ],
            &[],
        );
        // on the first day everything is new: aa-1 → bb-1 → cc-1 looks like a path
        w.login(1, "aa-1", "bb-1", "alice");
        w.login(2, "bb-1", "cc-1", "alice");
        w.login(3, "internet", "cc-1", "mallory");
        let config =
            TraceConfig { host: w.host("cc-1"), at: Time(10 * H), ..TraceConfig::default() };
        let cold = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        assert_eq!(
            cold.paths.first().map(|p| p.hops.len()),
            Some(2),
            "without a warmup the day-one path wins"
        );
        let warm =
            trace(&w.hops(), &w.catalog, &w.fleet, &TraceConfig { warmup: 24 * H, ..config });
        let best = warm.paths.first().expect("the internet login is still suspicious");
        assert_eq!((best.hops.len(), best.entry_host), (1, w.host("cc-1")));
        assert_eq!(warm.paths.len(), 1, "{:?}", warm.paths);
    }

    /// An alert of hops (hour, src, dst), raised at hour `raised`.
    fn alert_of(w: &World, id: &str, raised: i64, hops: &[(i64, &str, &str)]) -> Alert {
        let hops: Vec<crate::detect::alert::AlertHop> = hops
            .iter()
            .map(|&(t, s, d)| {
                let hop = Hop::test(t * H, w.host(s), w.host(d), 1);
                let trail = crate::detect::chain::Trail {
                    origin: hop.src,
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
            })
            .collect();
        Alert {
            id: id.into(),
            score: 10.0 * hops.len() as f64,
            raised_at: Time(raised * H),
            first_time: hops[0].hop.time,
            last_time: hops[hops.len() - 1].hop.time,
            entry_host: hops[0].hop.src,
            chain_origin: hops[0].hop.src,
            causal_account: crate::detect::chain::Causal::Unclear,
            reasons: vec![String::new(); hops.len()],
            hops,
            hops_omitted: 0,
            continues: None,
        }
    }

    #[test]
    fn an_alert_path_follows_compromise_back_through_pauses_latest_intrusion_first() {
        let a = Lifecycle::Active;
        let w = world(
            &[
                ("sg-1", Lifecycle::Decommissioning, "2018-01-01", true, 2),
                ("th-1", a, "", false, 2),
                ("jp-1", a, "", false, 4),
                ("us-1", a, "", false, 2),
                ("de-1", a, "", false, 2),
            ],
            &[],
        );
        // the 2019 shape: in from the internet, a hop, three months' pause, on to Japan; an
        // unrelated hop of the same campaign alert out of a host the path does not pass
        let campaign = alert_of(
            &w,
            "A-1",
            1,
            &[
                (1, "internet", "sg-1"),
                (2, "sg-1", "th-1"),
                (2200, "th-1", "jp-1"),
                (2300, "de-1", "us-1"),
            ],
        );
        // a later alert reaching the same host from elsewhere, raised after the detection point
        let later = alert_of(&w, "A-2", 3000, &[(2500, "us-1", "jp-1")]);
        let config =
            TraceConfig { host: w.host("jp-1"), at: Time(2400 * H), ..TraceConfig::default() };
        let paths = alert_paths(&[later.clone(), campaign.clone()], &w.catalog, &w.fleet, &config);
        assert!(
            paths.iter().all(|p| p.alert.as_deref() == Some("A-1")),
            "the later alert was not raised by then"
        );
        let route: Vec<&str> =
            paths[0].hops.iter().map(|h| w.catalog.hosts.name(h.hop.src).unwrap()).collect();
        assert_eq!(route, ["internet", "sg-1", "th-1"]);
        assert!(!paths[0].thread_only);
        // the other reading: the hop into jp-1 began a thread of its own after the pause (a
        // second intruder), whose path stops on th-1
        assert_eq!(paths.len(), 2);
        assert_eq!(
            (paths[1].thread_only, paths[1].hops.len(), paths[1].entry_host),
            (true, 1, w.host("th-1"))
        );
        assert!(
            paths[1].entry_reasons.iter().any(|r| r.contains("after a pause or by another way in")),
            "{:?}",
            paths[1].entry_reasons
        );
        assert_eq!(paths[0].entry_host, w.host("sg-1"));
        assert_eq!(paths[0].entry_reasons[0], "its first suspicious login came from the internet");
        assert!(
            paths[0].entry_reasons.iter().any(|r| r == "lifecycle decommissioning"),
            "{:?}",
            paths[0].entry_reasons
        );
        assert_eq!(paths[0].alert.as_deref(), Some("A-1"));
        // once both are known, the latest intrusion into the host comes first
        let config = TraceConfig { at: Time(3000 * H), ..config };
        let paths = alert_paths(&[campaign, later], &w.catalog, &w.fleet, &config);
        assert_eq!(
            paths.iter().map(|p| (p.alert.as_deref().unwrap(), p.thread_only)).collect::<Vec<_>>(),
            [("A-2", false), ("A-1", false), ("A-1", true)]
        );
        // with the rarity walk: the alert paths first, the walk's other routes after
        let t = trace_with_alerts(&[], &[], &w.catalog, &w.fleet, &config);
        assert!(t.paths.is_empty(), "no logins, no alerts: nothing");
    }
}
