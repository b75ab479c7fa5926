//! `audit`: hygiene findings from a case's successful logins and its inventory.
//!
//! Hosts being decommissioned (or retired) that still log in or are logged into, patches
//! older than a threshold, internet logins, and observed time-respecting login paths from a
//! weak host to a crown-jewel host. Everything is computed over the successful logins
//! ([`Hop`]s, as [`classify`] defines them) before the audit's `as_of` time.

use std::collections::BTreeMap;

use hopscope_model::{Catalog, EventTable, Evidence, Lifecycle, Time};

use crate::detect::detector::DetectConfig;
use crate::fleet::{Fleet, HostFacts};
use crate::graph::{classify, GraphEvent, Hop};
use crate::units::DAY;

/// Two records of one login may disagree on the time by this much (the detector's default
/// clock skew).
const RECORD_SKEW: i64 = DetectConfig::DEFAULT_SKEW;

/// The successful logins (hops) of `t` strictly before `until`, appended to `out` (in time
/// order when `t` continues what `out` holds). A login logged at both ends is one hop, with
/// the destination's own record as its evidence, as in the detector.
pub fn collect_logins(t: &EventTable, until: Time, out: &mut Vec<Hop>) {
    for i in 0..t.len() {
        if t.time[i] >= until.0 {
            continue;
        }
        if let GraphEvent::Hop(h) = classify(t, i) {
            let lo = h.time.0 - RECORD_SKEW;
            let same = out
                .iter_mut()
                .rev()
                .take_while(|p| p.time.0 >= lo)
                .find(|p| p.same_login(&h, RECORD_SKEW));
            match same {
                Some(p) => {
                    p.absorb(h);
                }
                None => out.push(h),
            }
        }
    }
}

/// How bad a finding is; sorts most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
    fn raise(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            _ => Severity::Critical,
        }
    }
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingKind {
    /// A decommissioning or retired host still logs in or is logged into.
    LifecycleInUse,
    /// Successful logins from the `internet` pseudo-host.
    InternetLogin,
    /// Last patched longer ago than the threshold.
    StalePatch,
    /// An observed time-respecting login path from a weak host to a crown-jewel host.
    WeakPathToCrownJewel,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::LifecycleInUse => "lifecycle-in-use",
            FindingKind::InternetLogin => "internet-login",
            FindingKind::StalePatch => "stale-patch",
            FindingKind::WeakPathToCrownJewel => "weak-path-to-crown-jewel",
        }
    }
}

/// A login seen: when, and the line that proves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sighting {
    pub time: Time,
    pub evidence: Evidence,
}

impl Sighting {
    fn of(h: &Hop) -> Sighting {
        Sighting { time: h.time, evidence: h.evidence }
    }
}

/// One hygiene finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub host: u32,
    pub kind: FindingKind,
    pub severity: Severity,
    /// In words, with names resolved.
    pub detail: String,
    /// Logins the finding counts (0 when it is about the inventory alone).
    pub count: u64,
    pub first: Option<Sighting>,
    pub last: Option<Sighting>,
    /// For [`FindingKind::WeakPathToCrownJewel`]: the crown-jewel host and the path's hops.
    pub target: u32,
    pub path: Vec<Hop>,
    /// How weak the host is overall (ranks hosts within a severity).
    pub host_risk: u32,
}

/// A patch older than this (a year) is stale unless told otherwise.
pub const DEFAULT_PATCH_AGE: i64 = 365 * DAY;

/// Audit settings.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Logins at or after this time do not count; patch ages are measured at it.
    pub as_of: Time,
    /// A patch older than this (microseconds) is stale.
    pub patch_age: i64,
    /// Longest login path searched from a weak host to a crown jewel.
    pub max_path_hops: usize,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig { as_of: Time::MAX, patch_age: DEFAULT_PATCH_AGE, max_path_hops: 4 }
    }
}

/// The audit's result, findings sorted by severity, then host risk (highest first), host
/// name, kind and target.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    pub findings: Vec<Finding>,
    pub logins: u64,
}

#[derive(Default, Clone)]
struct Usage {
    out: u64,
    into: u64,
    internet: u64,
    first: Option<Sighting>,
    last: Option<Sighting>,
    internet_first: Option<Sighting>,
    internet_last: Option<Sighting>,
}

fn note(first: &mut Option<Sighting>, last: &mut Option<Sighting>, h: &Hop) {
    let s = Sighting::of(h);
    if first.is_none_or(|f| (s.time, s.evidence) < (f.time, f.evidence)) {
        *first = Some(s);
    }
    if last.is_none_or(|l| (s.time, s.evidence) >= (l.time, l.evidence)) {
        *last = Some(s);
    }
}

fn day(t: Time) -> String {
    t.to_rfc3339().get(..10).unwrap_or_default().to_string()
}

/// A host's weaknesses at `as_of` in words, as `trace` and the report give them for an entry
/// point: a lifecycle of `decommissioning` or `retired`, a patch older than `patch_age`,
/// internet-facing. The same tests as the audit's findings.
pub fn weaknesses(f: &HostFacts, as_of: Time, patch_age: i64) -> Vec<String> {
    let w = weakness(f, as_of, patch_age);
    let mut why = Vec::new();
    if w & 1 != 0 {
        why.push(format!("lifecycle {}", f.lifecycle.as_str()));
    }
    if let Some(p) = f.last_patched.filter(|_| w & 2 != 0) {
        why.push(format!("last patched {}", day(p)));
    }
    if w & 4 != 0 {
        why.push("internet-facing".to_string());
    }
    why
}

/// Whether the host is weak, and in which ways (bit 0 lifecycle, 1 stale patch, 2
/// internet-facing).
pub(crate) fn weakness(f: &HostFacts, as_of: Time, patch_age: i64) -> u8 {
    let mut w = 0;
    if matches!(f.lifecycle, Lifecycle::Decommissioning | Lifecycle::Retired) {
        w |= 1;
    }
    if stale(f, as_of, patch_age).is_some() {
        w |= 2;
    }
    if f.internet_facing {
        w |= 4;
    }
    w
}

/// Days since the last patch, when it is older than the threshold at `as_of`. A patch date
/// after `as_of` (an inventory newer than the cut) says nothing about then: not stale.
fn stale(f: &HostFacts, as_of: Time, patch_age: i64) -> Option<i64> {
    let p = f.last_patched?;
    if as_of == Time::MAX || p > as_of {
        return None;
    }
    let age = as_of.0 - p.0;
    (age > patch_age).then_some(age / DAY)
}

fn is_crown_jewel(f: &HostFacts) -> bool {
    f.criticality >= 4 || f.restricted_data
}

/// Run the audit over `hops` (successful logins, any order; those at or after `as_of` are
/// ignored).
pub fn audit(hops: &[Hop], catalog: &Catalog, fleet: &Fleet, config: &AuditConfig) -> Audit {
    let as_of = config.as_of;
    let mut hops: Vec<Hop> = hops.iter().filter(|h| h.time < as_of).copied().collect();
    hops.sort_by_key(|h| (h.time, h.evidence, h.src, h.dst));
    let name = |id: u32| catalog.hosts.name(id).unwrap_or("?").to_string();
    let n_hosts = catalog.hosts.len() + 1;
    let mut usage = vec![Usage::default(); n_hosts.max(fleet_len(&hops))];
    for h in &hops {
        let (s, d) = (h.src as usize, h.dst as usize);
        if fleet.host(h.src).is_internet {
            let u = &mut usage[d];
            u.internet += 1;
            note(&mut u.internet_first, &mut u.internet_last, h);
        } else {
            let u = &mut usage[s];
            u.out += 1;
            note(&mut u.first, &mut u.last, h);
        }
        let u = &mut usage[d];
        u.into += 1;
        note(&mut u.first, &mut u.last, h);
    }

    let mut findings = Vec::new();
    let mut risk = vec![0u32; usage.len()];
    for (id, u) in usage.iter().enumerate() {
        let f = fleet.host(id as u32);
        let in_use = u.out + u.into > 0;
        let mut r = 0;
        if matches!(f.lifecycle, Lifecycle::Decommissioning | Lifecycle::Retired) && in_use {
            r += 4;
        }
        if u.internet > 0 {
            r += 4;
        }
        if stale(f, as_of, config.patch_age).is_some() {
            r += 2;
        }
        if f.internet_facing {
            r += 1;
        }
        risk[id] = r;
    }

    for (id, u) in usage.iter().enumerate() {
        let id32 = id as u32;
        let f = fleet.host(id32);
        if id == 0 || f.is_internet {
            continue;
        }
        let stale_days = stale(f, as_of, config.patch_age);
        let base = |kind, severity, detail: String, count, first, last| Finding {
            host: id32,
            kind,
            severity,
            detail,
            count,
            first,
            last,
            target: 0,
            path: Vec::new(),
            host_risk: risk[id],
        };
        if matches!(f.lifecycle, Lifecycle::Decommissioning | Lifecycle::Retired)
            && u.out + u.into > 0
        {
            let mut sev =
                if f.lifecycle == Lifecycle::Retired { Severity::Critical } else { Severity::High };
            if u.internet > 0 || stale_days.is_some() {
                sev = sev.raise();
            }
            let (first, last) = (u.first.unwrap(), u.last.unwrap());
            findings.push(base(
                FindingKind::LifecycleInUse,
                sev,
                format!(
                    "lifecycle {} but still in use: {} login{} out of it, {} into it, from {} to {}",
                    f.lifecycle.as_str(),
                    u.out,
                    plural(u.out),
                    u.into,
                    day(first.time),
                    day(last.time)
                ),
                u.out + u.into,
                Some(first),
                Some(last),
            ));
        }
        if u.internet > 0 {
            let mut sev = Severity::High;
            if !f.internet_facing || stale_days.is_some() || f.lifecycle != Lifecycle::Active {
                sev = Severity::Critical;
            }
            let (first, last) = (u.internet_first.unwrap(), u.internet_last.unwrap());
            findings.push(base(
                FindingKind::InternetLogin,
                sev,
                format!(
                    "{} successful login{} from the internet{}, from {} to {}",
                    u.internet,
                    plural(u.internet),
                    if f.internet_facing { "" } else { " although not marked internet-facing" },
                    day(first.time),
                    day(last.time)
                ),
                u.internet,
                Some(first),
                Some(last),
            ));
        }
        if let Some(days) = stale_days {
            let mut sev = Severity::Medium;
            if f.internet_facing || f.lifecycle != Lifecycle::Active {
                sev = Severity::High;
            }
            if u.internet > 0 {
                sev = Severity::Critical;
            }
            let patched = f.last_patched.map(day).unwrap_or_default();
            findings.push(base(
                FindingKind::StalePatch,
                sev,
                format!(
                    "last patched {patched}, {days} days before {} (threshold {} days){}",
                    day(as_of),
                    config.patch_age / DAY,
                    if u.out + u.into > 0 {
                        format!("; {} logins while stale", u.out + u.into)
                    } else {
                        String::new()
                    }
                ),
                u.out + u.into,
                u.first,
                u.last,
            ));
        }
    }

    // weak host → crown jewel: per crown jewel, latest-departure layers over the logins in
    // reverse time order; for each weak host the fewest hops, then the most recent path
    let weak: Vec<u32> = (1..usage.len() as u32)
        .filter(|&h| {
            !fleet.host(h).is_internet && weakness(fleet.host(h), as_of, config.patch_age) != 0
        })
        .filter(|&h| usage[h as usize].out > 0)
        .collect();
    let crowns: Vec<u32> =
        (1..usage.len() as u32).filter(|&h| is_crown_jewel(fleet.host(h))).collect();
    if !weak.is_empty() {
        for &c in &crowns {
            let paths = latest_paths(&hops, c, usage.len(), config.max_path_hops);
            for &w in &weak {
                if w == c {
                    continue;
                }
                let Some(path) = paths.path_from(w, &hops) else { continue };
                let fw = fleet.host(w);
                let wk = weakness(fw, as_of, config.patch_age);
                let sev = if path.len() == 1 || wk.count_ones() >= 2 || risk[w as usize] >= 4 {
                    Severity::Critical
                } else {
                    Severity::High
                };
                let mut why = Vec::new();
                if wk & 1 != 0 {
                    why.push(format!("lifecycle {}", fw.lifecycle.as_str()));
                }
                if wk & 2 != 0 {
                    why.push(format!(
                        "last patched {}",
                        fw.last_patched.map(day).unwrap_or_default()
                    ));
                }
                if wk & 4 != 0 {
                    why.push("internet-facing".to_string());
                }
                let fc = fleet.host(c);
                let mut crown = Vec::new();
                if fc.criticality >= 4 {
                    crown.push("criticality critical".to_string());
                }
                if fc.restricted_data {
                    crown.push("holds restricted data".to_string());
                }
                let route: Vec<String> =
                    std::iter::once(name(w)).chain(path.iter().map(|h| name(h.dst))).collect();
                let (first, last) = (Sighting::of(&path[0]), Sighting::of(path.last().unwrap()));
                findings.push(Finding {
                    host: w,
                    kind: FindingKind::WeakPathToCrownJewel,
                    severity: sev,
                    detail: format!(
                        "weak host ({}) reached crown jewel {} ({}) in {} hop{}: {}, last on {}",
                        why.join(", "),
                        name(c),
                        crown.join(", "),
                        path.len(),
                        plural(path.len() as u64),
                        route.join(" → "),
                        day(last.time)
                    ),
                    count: path.len() as u64,
                    first: Some(first),
                    last: Some(last),
                    target: c,
                    path,
                    host_risk: risk[w as usize] + 2,
                });
            }
        }
    }
    // a host that reaches crown jewels ranks above one that does not, within a severity
    let mut reach = vec![0u32; usage.len()];
    for f in &findings {
        if f.kind == FindingKind::WeakPathToCrownJewel {
            reach[f.host as usize] = 2;
        }
    }
    for f in &mut findings {
        f.host_risk = risk[f.host as usize] + reach[f.host as usize];
    }
    findings.sort_by(|a, b| {
        (
            a.severity,
            std::cmp::Reverse(a.host_risk),
            name(a.host),
            a.host,
            a.kind,
            a.path.len(),
            std::cmp::Reverse(a.last.map(|s| s.time)),
            name(a.target),
        )
            .cmp(&(
                b.severity,
                std::cmp::Reverse(b.host_risk),
                name(b.host),
                b.host,
                b.kind,
                b.path.len(),
                std::cmp::Reverse(b.last.map(|s| s.time)),
                name(b.target),
            ))
    });
    Audit { findings, logins: hops.len() as u64 }
}

fn fleet_len(hops: &[Hop]) -> usize {
    hops.iter().map(|h| h.src.max(h.dst) as usize + 1).max().unwrap_or(0)
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Latest-departure layers towards one target: `dep[k][h]` is the latest time a path of
/// exactly `k` hops can leave `h` and still reach the target respecting time, with the hop
/// that leaves.
struct Layers {
    dep: Vec<Vec<Option<(Time, usize)>>>,
}

fn latest_paths(hops: &[Hop], target: u32, n: usize, max_hops: usize) -> Layers {
    let mut dep: Vec<Vec<Option<(Time, usize)>>> = vec![vec![None; n]; max_hops + 1];
    dep[0][target as usize] = Some((Time::MAX, usize::MAX));
    for k in 1..=max_hops {
        let (before, after) = dep.split_at_mut(k);
        let prev = &before[k - 1];
        let cur = &mut after[0];
        for (i, h) in hops.iter().enumerate().rev() {
            if h.src as usize >= n || h.dst as usize >= n || h.src == target {
                continue;
            }
            let Some((t, _)) = prev[h.dst as usize] else { continue };
            if h.time > t {
                continue;
            }
            // reverse order: the first hop that qualifies out of a host is its latest
            if cur[h.src as usize].is_none() {
                cur[h.src as usize] = Some((h.time, i));
            }
        }
    }
    Layers { dep }
}

impl Layers {
    fn path_from(&self, from: u32, hops: &[Hop]) -> Option<Vec<Hop>> {
        let k = (1..self.dep.len()).find(|&k| self.dep[k][from as usize].is_some())?;
        let mut path = Vec::with_capacity(k);
        let mut at = from;
        let mut t = Time::MIN;
        for layer in (1..=k).rev() {
            // follow the latest departure from `at` in this layer that is not before `t`
            let (_, i) = self.dep[layer][at as usize]?;
            let h = hops[i];
            if h.time < t {
                return None;
            }
            path.push(h);
            t = h.time;
            at = h.dst;
        }
        Some(path)
    }
}

/// Findings per host, for callers that want them grouped.
pub fn by_host(a: &Audit) -> BTreeMap<u32, Vec<&Finding>> {
    let mut m: BTreeMap<u32, Vec<&Finding>> = BTreeMap::new();
    for f in &a.findings {
        m.entry(f.host).or_default().push(f);
    }
    m
}

/// Small hand-made fleets for the tests of audit, scope and trace.
#[cfg(test)]
pub(crate) mod fixture {
    use hopscope_model::{
        Catalog, DataHolding, Event, EventFlags, EventTable, Evidence, Inventory, InventoryHost,
        Lifecycle, LogonType, Orientation, Outcome, Position, SourceFormat, Time,
    };

    use crate::fleet::Fleet;
    use crate::graph::Hop;

    pub const H: i64 = 3_600_000_000;

    pub struct World {
        pub catalog: Catalog,
        pub inventory: Inventory,
        pub fleet: Fleet,
        pub events: EventTable,
    }

    /// `hosts`: (name, lifecycle, last_patched, internet_facing, criticality);
    /// `data`: (host, client, class, records, restricted).
    pub fn world(
        hosts: &[(&str, Lifecycle, &str, bool, u8)],
        data: &[(&str, &str, &str, u64, bool)],
    ) -> World {
        let rows = hosts
            .iter()
            .map(|(n, l, p, i, c)| InventoryHost {
                name: n.to_string(),
                site: format!("site-{}", &n[..2]),
                country: format!("country-{}", &n[..2]),
                lifecycle: *l,
                last_patched: if p.is_empty() { None } else { Some(p.parse().unwrap()) },
                internet_facing: *i,
                criticality: *c,
                ..InventoryHost::default()
            })
            .collect();
        let data = data
            .iter()
            .map(|(h, c, k, r, x)| DataHolding {
                host: h.to_string(),
                client: c.to_string(),
                data_class: k.to_string(),
                records: *r,
                restricted: *x,
            })
            .collect();
        let (inventory, _) = Inventory::new(rows, Vec::new(), data);
        let mut catalog = Catalog::default();
        catalog.hosts.add_inventory(&inventory);
        catalog.hosts.internet();
        catalog.sources.intern("auth.log");
        for u in ["alice", "bob", "carol", "svc", "mallory"] {
            catalog.accounts.intern(u, None);
        }
        let fleet = Fleet::new(&catalog, &inventory);
        World { catalog, inventory, fleet, events: EventTable::default() }
    }

    impl World {
        pub fn host(&self, n: &str) -> u32 {
            self.catalog.hosts.find(n).unwrap_or_else(|| panic!("no host {n}"))
        }
        pub fn user(&self, n: &str) -> u32 {
            self.catalog.accounts.find_by_name(n)[0]
        }
        /// A successful network login at hour `t` (line = position in the table + 1).
        pub fn login(&mut self, t: i64, src: &str, dst: &str, user: &str) {
            self.event(t, src, dst, user, Outcome::Success);
        }
        pub fn event(&mut self, t: i64, src: &str, dst: &str, user: &str, outcome: Outcome) {
            let e = Event {
                time: Time(t * H),
                src_host: self.host(src),
                src_ip: 0,
                dst_host: self.host(dst),
                dst_ip: 0,
                user: self.user(user),
                src_user: 0,
                auth: 0,
                logon_type: LogonType::Network,
                outcome,
                orientation: Orientation::LogOn,
                format: SourceFormat::Jsonl,
                event_id: 0,
                flags: EventFlags::default(),
                evidence: Evidence {
                    source: 1,
                    position: Position::Line(self.events.len() as u64 + 1),
                },
            };
            self.events.push(&e);
        }
        pub fn hops(&self) -> Vec<Hop> {
            let mut v = Vec::new();
            super::collect_logins(&self.events, Time::MAX, &mut v);
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;
    use hopscope_model::Outcome;

    #[test]
    fn an_entry_points_weaknesses_are_the_audits() {
        let year = 365 * DAY;
        let patched = Time(10 * year);
        let f = HostFacts {
            lifecycle: Lifecycle::Decommissioning,
            last_patched: Some(patched),
            internet_facing: true,
            ..HostFacts::default()
        };
        let later = Time(patched.0 + year + DAY);
        assert_eq!(
            weaknesses(&f, later, year),
            vec!["lifecycle decommissioning", "last patched 1979-12-30", "internet-facing"]
        );
        assert_eq!(
            weaknesses(&f, Time(patched.0 + DAY), year).len(),
            2,
            "patched a day before: not stale"
        );
        assert_eq!(
            weaknesses(&f, Time(patched.0 - DAY), year).len(),
            2,
            "a patch date after the time says nothing of it"
        );
        let active = HostFacts { lifecycle: Lifecycle::Active, ..HostFacts::default() };
        assert!(weaknesses(&active, later, year).is_empty());
    }

    fn fleet() -> World {
        world(
            &[
                ("sg-ops-03", Lifecycle::Decommissioning, "2018-03-14", true, 2),
                ("sg-old-01", Lifecycle::Retired, "2019-06-01", false, 1),
                ("th-app-02", Lifecycle::Active, "2019-08-01", false, 3),
                ("us-web-01", Lifecycle::Active, "2019-08-01", true, 2),
                ("jp-crm-01", Lifecycle::Active, "2019-08-01", false, 4),
                ("jp-ws-01", Lifecycle::Active, "2019-08-01", false, 1),
                ("de-stale-01", Lifecycle::Active, "2017-01-01", false, 2),
            ],
            &[("jp-crm-01", "Kaito", "contracts", 10, false)],
        )
    }

    fn cfg(as_of: &str) -> AuditConfig {
        AuditConfig { as_of: Time::parse(as_of).unwrap(), ..AuditConfig::default() }
    }

    #[test]
    fn decommissioning_internet_host_is_the_top_finding_and_paths_respect_time() {
        let mut w = fleet();
        // 2019-08-01 + hours
        let base = Time::parse("2019-08-01").unwrap().0 / H;
        w.login(base + 1, "internet", "sg-ops-03", "svc");
        w.login(base + 2, "sg-ops-03", "th-app-02", "svc");
        w.login(base + 3, "th-app-02", "us-web-01", "svc");
        w.login(base + 4, "us-web-01", "jp-crm-01", "alice");
        // time-violating: th-app-02 → jp-crm-01 before sg-ops-03 reached th-app-02 does not
        // give a 2-hop path through it
        w.login(base, "th-app-02", "jp-crm-01", "bob");
        w.login(base + 5, "jp-ws-01", "sg-old-01", "carol");
        w.event(base + 6, "internet", "us-web-01", "svc", Outcome::Failure);
        let a = audit(&w.hops(), &w.catalog, &w.fleet, &cfg("2019-08-31"));
        let top = &a.findings[0];
        assert_eq!(w.catalog.hosts.name(top.host), Some("sg-ops-03"), "{:#?}", a.findings);
        assert_eq!(top.severity, Severity::Critical);
        let path = a
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::WeakPathToCrownJewel && f.host == w.host("sg-ops-03"))
            .unwrap();
        assert_eq!(path.path.len(), 3, "{}", path.detail);
        assert_eq!(path.target, w.host("jp-crm-01"));
        assert!(
            path.detail.contains("sg-ops-03 → th-app-02 → us-web-01 → jp-crm-01"),
            "{}",
            path.detail
        );
        // retired host logged into
        assert!(a
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::LifecycleInUse && f.host == w.host("sg-old-01")));
        // a failed internet login is not a login
        assert!(!a
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::InternetLogin && f.host == w.host("us-web-01")));
        // stale host never used still reported, by the inventory alone
        assert!(a
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::StalePatch && f.host == w.host("de-stale-01")));
        // sorted by severity
        assert!(a.findings.windows(2).all(|p| p[0].severity <= p[1].severity));
        // deterministic
        let b = audit(&w.hops(), &w.catalog, &w.fleet, &cfg("2019-08-31"));
        assert_eq!(a.findings, b.findings);
    }

    #[test]
    fn as_of_cuts_logins_and_patch_ages() {
        let mut w = fleet();
        let base = Time::parse("2019-08-01").unwrap().0 / H;
        w.login(base + 1, "internet", "sg-ops-03", "svc");
        w.login(base + 48, "sg-ops-03", "jp-crm-01", "svc");
        let a = audit(&w.hops(), &w.catalog, &w.fleet, &cfg("2019-08-02"));
        assert!(!a.findings.iter().any(|f| f.kind == FindingKind::WeakPathToCrownJewel));
        assert_eq!(a.logins, 1);
        // before de-stale-01's patch turned a year old: no stale finding for it
        let early = audit(&w.hops(), &w.catalog, &w.fleet, &cfg("2017-06-01"));
        assert!(!early
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::StalePatch && f.host == w.host("de-stale-01")));
        let later = audit(&w.hops(), &w.catalog, &w.fleet, &cfg("2019-08-04"));
        let direct =
            later.findings.iter().find(|f| f.kind == FindingKind::WeakPathToCrownJewel).unwrap();
        assert_eq!(direct.path.len(), 1);
        assert_eq!(direct.severity, Severity::Critical);
    }

    #[test]
    fn loops_do_not_hang_and_shortest_path_wins() {
        let mut w = fleet();
        for i in 0..10 {
            w.login(i * 3, "sg-ops-03", "th-app-02", "svc");
            w.login(i * 3 + 1, "th-app-02", "sg-ops-03", "svc");
        }
        w.login(40, "th-app-02", "us-web-01", "svc");
        w.login(41, "us-web-01", "jp-crm-01", "svc");
        w.login(42, "th-app-02", "jp-crm-01", "svc");
        let a = audit(&w.hops(), &w.catalog, &w.fleet, &AuditConfig::default());
        let p = a
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::WeakPathToCrownJewel && f.host == w.host("sg-ops-03"))
            .unwrap();
        assert_eq!(p.path.len(), 2);
        // the most recent departure that still arrives
        assert_eq!(p.path[0].time.0, 27 * H);
    }
}
