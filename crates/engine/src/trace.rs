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
use hopscope_model::{Catalog, Lifecycle, Time};

use crate::fleet::Fleet;
use crate::graph::Hop;

/// Why a login was rare when it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceHop {
    pub hop: Hop,
    /// Bits of rarity (0 for routine).
    pub score: f64,
    pub reasons: Vec<&'static str>,
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
        TraceConfig { host: 0, at: Time::MAX, min_bits: 4.0, max_hops: 12, alternatives: 3, warmup: 0 }
    }
}

const DAY: i64 = 86_400_000_000;
/// Bits for a chain that leaves a host with the account it reached it with.
const CONTINUITY: f64 = 2.0;

fn weak(f: &crate::fleet::HostFacts, at: Time) -> bool {
    matches!(f.lifecycle, Lifecycle::Decommissioning | Lifecycle::Retired)
        || f.internet_facing
        || f.last_patched.is_some_and(|p| p <= at && at.0 - p.0 > 365 * DAY)
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
    let history_from = hops.first().map_or(Time::MAX, |h| Time(h.time.0.saturating_add(config.warmup)));
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
            let same = if h.user != 0 { best_into_as.get(&(h.src, h.user)).map(|&(pv, pi)| (pv + CONTINUITY, pi)) } else { None };
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
        scored.push(TraceHop { hop: *h, score: bits, reasons });
        *edge.entry((h.src, h.dst)).or_default() += 1;
        *acct_dst.entry((h.user, h.dst)).or_default() += 1;
        *acct_src.entry((h.user, h.src)).or_default() += 1;
    }

    // candidate chain ends: suspicious logins into the host, best value first, then latest
    let mut ends: Vec<usize> =
        (0..hops.len()).filter(|&i| hops[i].dst == config.host && value[i] > 0.0).collect();
    ends.sort_by(|&a, &b| value[b].total_cmp(&value[a]).then(hops[b].time.cmp(&hops[a].time)).then(b.cmp(&a)));
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
        if paths.iter().any(|p| p.hops.iter().map(|h| (h.hop.src, h.hop.dst)).collect::<Vec<_>>() == key) {
            continue;
        }
        let first = &chain[0].hop;
        let (entry_host, mut entry_reasons) = if fleet.host(first.src).is_internet {
            (first.dst, vec!["its first suspicious login came from the internet".to_string()])
        } else {
            (first.src, vec!["no suspicious login into it before the path starts".to_string()])
        };
        let f = fleet.host(entry_host);
        if matches!(f.lifecycle, Lifecycle::Decommissioning | Lifecycle::Retired) {
            entry_reasons.push(format!("lifecycle {}", f.lifecycle.as_str()));
        }
        if let Some(p) = f.last_patched.filter(|p| first.time.0 - p.0 > 365 * DAY) {
            entry_reasons.push(format!("last patched {}", &p.to_rfc3339()[..10]));
        }
        if f.internet_facing {
            entry_reasons.push("internet-facing".to_string());
        }
        let score = chain.iter().map(|h| h.score).sum();
        paths.push(TracePath { hops: chain, score, entry_host, entry_reasons });
    }
    Trace { paths, logins: hops.len() as u64 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::fixture::*;

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
        let config = TraceConfig { host: w.host("jp-crm-01"), at: Time((base + 1440) * H), ..TraceConfig::default() };
        let t = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        let p = &t.paths[0];
        assert_eq!(p.entry_host, w.host("sg-ops-03"));
        let route: Vec<&str> = p.hops.iter().map(|h| w.catalog.hosts.name(h.hop.dst).unwrap()).collect();
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
        let config = TraceConfig { host: w.host("aa-1"), at: Time(10 * H), ..TraceConfig::default() };
        let t = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        assert!(!t.paths.is_empty());
        assert!(t.paths[0].hops.len() <= 4);
    }

    #[test]
    fn logins_while_history_fills_are_not_novel_but_the_internet_still_counts() {
        let mut w = world(
            &[("aa-1", Lifecycle::Active, "", false, 1), ("bb-1", Lifecycle::Active, "", false, 1), ("cc-1", Lifecycle::Active, "", false, 1)],
            &[],
        );
        // on the first day everything is new: aa-1 → bb-1 → cc-1 looks like a path
        w.login(1, "aa-1", "bb-1", "alice");
        w.login(2, "bb-1", "cc-1", "alice");
        w.login(3, "internet", "cc-1", "mallory");
        let config = TraceConfig { host: w.host("cc-1"), at: Time(10 * H), ..TraceConfig::default() };
        let cold = trace(&w.hops(), &w.catalog, &w.fleet, &config);
        assert_eq!(cold.paths.first().map(|p| p.hops.len()), Some(2), "without a warmup the day-one path wins");
        let warm = trace(&w.hops(), &w.catalog, &w.fleet, &TraceConfig { warmup: 24 * H, ..config });
        let best = warm.paths.first().expect("the internet login is still suspicious");
        assert_eq!((best.hops.len(), best.entry_host), (1, w.host("cc-1")));
        assert_eq!(warm.paths.len(), 1, "{:?}", warm.paths);
    }
}
