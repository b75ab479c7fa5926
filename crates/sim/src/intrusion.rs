//! Injected intrusions, after Ho et al., "Hopper: Modeling and Detecting Lateral Movement"
//! (USENIX Security 2021): an attacker with a goal (explore, spread aggressively, or reach
//! one target) and a stealth level (agnostic; only source→destination pairs that benign
//! activity uses; only credentials that are active on the current host; both).
//!
//! Stealth is judged against the simulator's access model ([`AccessGraph`]): the pairs and
//! credentials that benign activity uses every day. Those pairs are in the background many
//! times before any intrusion starts, so "previously seen" holds in the logs too.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

use rand::seq::SliceRandom;
use rand::Rng as _;

use crate::fleet::{Os, Role};
use crate::login::{flag, Login, Method, Src};
use crate::people::{AccountKind, Duty};
use crate::rng::Rng;
use crate::timefmt::{DAY, US};
use crate::world::World;

/// What the attacker wants (Hopper §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Goal {
    /// Look around: many hosts, unhurried.
    Exploration,
    /// Compromise as many hosts as fast as possible.
    AggressiveSpread,
    /// Reach one crown-jewel host by a short path.
    Targeted,
}

impl Goal {
    pub const ALL: [Goal; 3] = [Goal::Exploration, Goal::AggressiveSpread, Goal::Targeted];
    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Exploration => "exploration",
            Goal::AggressiveSpread => "aggressive-spread",
            Goal::Targeted => "targeted",
        }
    }
}

/// How hard the attacker tries to blend in (Hopper §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stealth {
    Agnostic,
    /// Only source→destination pairs benign activity already uses.
    PriorEdges,
    /// Only credentials of accounts active on the current host.
    ActiveCreds,
    /// Both of the above.
    Both,
}

impl Stealth {
    pub const ALL: [Stealth; 4] =
        [Stealth::Agnostic, Stealth::PriorEdges, Stealth::ActiveCreds, Stealth::Both];
    pub fn as_str(self) -> &'static str {
        match self {
            Stealth::Agnostic => "agnostic",
            Stealth::PriorEdges => "prior-edges",
            Stealth::ActiveCreds => "active-credentials",
            Stealth::Both => "prior-edges+active-credentials",
        }
    }
    fn prior_edges(self) -> bool {
        matches!(self, Stealth::PriorEdges | Stealth::Both)
    }
    fn active_creds(self) -> bool {
        matches!(self, Stealth::ActiveCreds | Stealth::Both)
    }
}

/// Why a malicious login is in the truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopKind {
    /// The first login onto the entry host (from the internet).
    Entry,
    /// The first login onto a host not compromised before.
    Hop,
    /// A later login onto a host already compromised (keeping access).
    Revisit,
}

impl HopKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HopKind::Entry => "entry",
            HopKind::Hop => "hop",
            HopKind::Revisit => "revisit",
        }
    }
}

/// One malicious login.
#[derive(Clone, Copy, Debug)]
pub struct MaliciousLogin {
    pub login: Login,
    /// 0 for the entry, k for the k-th host compromised; revisits keep the destination's number.
    pub hop: u32,
    pub kind: HopKind,
}

/// One intrusion, planned before the background is generated.
#[derive(Clone, Debug)]
pub struct Intrusion {
    pub id: u32,
    pub name: String,
    pub goal: Goal,
    pub stealth: Stealth,
    pub entry: u32,
    /// The internet address the attacker first came from, when the entry was from outside.
    pub entry_from: Option<Ipv4Addr>,
    /// The host the attacker wanted, for targeted intrusions.
    pub target: Option<u32>,
    pub logins: Vec<MaliciousLogin>,
    /// When the victim noticed (UTC µs), when the attacker was cut off.
    pub detected: Option<i64>,
    pub contained: Option<i64>,
    /// A sentence for the report.
    pub story: String,
    /// The Hopper attacker's start strategy (`random`, `long-path`, `ambiguous-path`,
    /// `stealth-path`); none for hopscope's own intrusions.
    pub start: Option<&'static str>,
}

impl Intrusion {
    /// Hosts in the order they were first reached (the entry first).
    pub fn hosts(&self) -> Vec<u32> {
        let mut seen = vec![self.entry];
        for m in &self.logins {
            if !seen.contains(&m.login.dst) {
                seen.push(m.login.dst);
            }
        }
        seen
    }
}

/// The pairs and credentials benign activity uses regularly.
#[derive(Clone, Debug, Default)]
pub struct AccessGraph {
    pub edges: BTreeSet<(u32, u32)>,
    /// Accounts that log into a host regularly (so their credentials are found there).
    pub creds_on: BTreeMap<u32, BTreeSet<u32>>,
}

impl AccessGraph {
    pub fn from_world(w: &World) -> AccessGraph {
        let mut g = AccessGraph::default();
        let add = |g: &mut AccessGraph, src: u32, dst: u32, acct: u32| {
            if src != dst {
                g.edges.insert((src, dst));
            }
            g.creds_on.entry(dst).or_default().insert(acct);
            g.creds_on.entry(src).or_default().insert(acct);
        };
        for p in &w.people.persons {
            let site = p.site as usize;
            for &f in &w.file[site] {
                add(&mut g, p.workstation, f, p.user);
            }
            if let Some(m) = w.mail {
                add(&mut g, p.workstation, m, p.user);
            }
            if p.duty == Duty::Staff {
                continue;
            }
            let adm = p.admin.unwrap_or(p.user);
            for &s in &p.scope {
                let h = w.fleet.host(s);
                let hs = h.site as usize;
                if h.os == Os::Linux {
                    let role_acct = *w.people.role_accounts.get(&h.role).unwrap_or(&w.people.root);
                    match w.bastion[hs].filter(|&b| b != s) {
                        Some(b) => {
                            add(&mut g, p.workstation, b, p.user);
                            add(&mut g, b, s, p.user);
                            add(&mut g, b, s, role_acct);
                        }
                        None => add(&mut g, p.workstation, s, p.user),
                    }
                } else {
                    match w.jump[hs].filter(|&j| j != s) {
                        Some(j) => {
                            add(&mut g, p.workstation, j, adm);
                            add(&mut g, j, s, adm);
                        }
                        None => add(&mut g, p.workstation, s, adm),
                    }
                }
            }
        }
        for j in &w.people.jobs {
            for &d in &j.dsts {
                add(&mut g, j.src, d, j.account);
            }
        }
        g
    }

    pub fn creds(&self, h: u32) -> Vec<u32> {
        self.creds_on.get(&h).map(|s| s.iter().copied().collect()).unwrap_or_default()
    }
}

/// A malicious login from `src` to `dst` with `account`: the protocol a real intruder uses
/// for the destination (ssh to Linux; RDP, PsExec-style SMB with a service install, or
/// WinRM/SMB network logons to Windows).
pub fn attack_login(w: &World, r: &mut Rng, time: i64, src: Src, dst: u32, account: u32) -> Login {
    let method = if w.fleet.host(dst).os == Os::Linux {
        if r.gen_bool(0.6) {
            Method::SshPassword
        } else {
            Method::SshPublickey
        }
    } else {
        *[Method::Rdp, Method::NetworkNtlm, Method::NetworkKerberos].choose(r).expect("methods")
    };
    let mut flags = flag::MALICIOUS;
    if method == Method::NetworkNtlm && r.gen_bool(0.7) {
        flags |= flag::SERVICE_INSTALL;
    }
    if method == Method::Rdp {
        flags |= flag::EXPLICIT;
    }
    let duration = r.gen_range(120..5400);
    Login {
        time,
        uid: 0,
        src,
        dst,
        account,
        subject: account,
        method,
        ok: true,
        flags,
        duration,
        src_port: r.gen_range(32_768..61_000),
    }
}

/// Move `t` into local working hours (9–17) at `site` when it falls outside them.
pub fn into_working_hours(w: &World, r: &mut Rng, site: usize, t: i64) -> i64 {
    let day =
        ((t.div_euclid(US)).div_euclid(DAY) - w.first_day()).clamp(0, w.cal.days as i64 - 1) as u32;
    let sd = w.cal.day(site, day);
    let h = sd.local_hour(t);
    if (9..17).contains(&h) && sd.working {
        return t;
    }
    for d in day + 1..w.cal.days {
        let sd = w.cal.day(site, d);
        if sd.working {
            return sd.at(r.gen_range(9.5..16.5) * 3600.0);
        }
    }
    t
}

/// The range of a generic intrusion's first day: `[max(days/4, quiet), days·3/5)`, the
/// lower bound capped so the range is never empty.
pub fn start_days(days: u32, quiet_days: u32) -> (u32, u32) {
    let hi = (days * 3 / 5).max(days / 4 + 1);
    let lo = (days / 4).max(quiet_days).min(hi - 1);
    (lo, hi)
}

/// Plan one generic intrusion, starting no earlier than day `quiet_days` (capped at three
/// fifths of the period) nor than a quarter of it.
pub fn plan_generic(
    w: &World,
    g: &AccessGraph,
    id: u32,
    goal: Goal,
    stealth: Stealth,
    quiet_days: u32,
    r: &mut Rng,
) -> Intrusion {
    let days = w.cal.days;
    let (lo, hi) = start_days(days, quiet_days);
    let start_day = r.gen_range(lo..hi);
    let hosts: Vec<u32> = w.fleet.ids().filter(|&h| w.fleet.host(h).active(start_day)).collect();
    let exposed: Vec<u32> = hosts
        .iter()
        .copied()
        .filter(|&h| w.fleet.host(h).internet_facing && w.fleet.host(h).os == Os::Linux)
        .collect();
    let workstations: Vec<u32> =
        hosts.iter().copied().filter(|&h| w.fleet.host(h).role == Role::Workstation).collect();
    let mut logins = Vec::new();
    let mut stolen: BTreeSet<u32> = BTreeSet::new();
    let entry_site;
    let mut t;
    let (entry, entry_from) = if !exposed.is_empty() && (workstations.is_empty() || r.gen_bool(0.3))
    {
        // in from the internet with a guessed or leaked password
        let e = *exposed.choose(r).expect("exposed");
        entry_site = w.fleet.host(e).site as usize;
        t = w.cal.day(entry_site, start_day).at(r.gen_range(0.0..86_000.0));
        let ip = Ipv4Addr::new(198, 51, 100, r.gen_range(200..255));
        let acct = *w.people.role_accounts.get(&w.fleet.host(e).role).unwrap_or(&w.people.root);
        stolen.insert(acct);
        let mut l = attack_login(w, r, t, Src::External(ip), e, acct);
        l.method = Method::SshPassword;
        logins.push(MaliciousLogin { login: l, hop: 0, kind: HopKind::Entry });
        (e, Some(ip))
    } else {
        // a phished workstation: no login event for the entry itself
        let e = *workstations.choose(r).expect("workstations");
        entry_site = w.fleet.host(e).site as usize;
        t = w.cal.day(entry_site, start_day).at(r.gen_range(9.0..17.0) * 3600.0);
        if let Some(u) = w.people.persons.iter().find(|p| p.workstation == e).map(|p| p.user) {
            stolen.insert(u);
        }
        (e, None)
    };
    let target = (goal == Goal::Targeted).then(|| {
        let jewels: Vec<u32> = hosts
            .iter()
            .copied()
            .filter(|&h| {
                matches!(w.fleet.host(h).role, Role::Crm | Role::Database | Role::File)
                    && h != entry
            })
            .collect();
        *jewels.choose(r).unwrap_or(&entry)
    });
    let path = target.map(|tg| path_to(w, g, entry, tg, stealth, r, start_day)).unwrap_or_default();
    let n_hops = match goal {
        Goal::Exploration => r.gen_range(4..=8),
        Goal::AggressiveSpread => r.gen_range(8..=16),
        Goal::Targeted => path.len(),
    };
    let mut owned = vec![entry];
    let mut hop = 0u32;
    let mut tries = 0;
    while (hop as usize) < n_hops && tries < 200 {
        tries += 1;
        let (src, dst) = if goal == Goal::Targeted {
            (owned[owned.len() - 1], path[hop as usize])
        } else {
            let src = if goal == Goal::AggressiveSpread && r.gen_bool(0.7) {
                owned[owned.len() - 1]
            } else {
                *owned.choose(r).expect("owned")
            };
            let day = ((t / US).div_euclid(DAY) - w.first_day()).clamp(0, days as i64 - 1) as u32;
            let cands: Vec<u32> = if stealth.prior_edges() {
                g.edges
                    .range((src, 0)..(src + 1, 0))
                    .map(|&(_, d)| d)
                    .filter(|d| !owned.contains(d) && w.fleet.host(*d).active(day))
                    .collect()
            } else {
                hosts
                    .iter()
                    .copied()
                    .filter(|d| {
                        !owned.contains(d)
                            && w.fleet.host(*d).active(day)
                            && w.fleet.host(*d).role != Role::Workstation
                    })
                    .collect()
            };
            match cands.choose(r) {
                Some(&d) => (src, d),
                None => continue,
            }
        };
        // credentials: those active on the source, or (agnostic) everything stolen so far
        let mut creds: Vec<u32> = g.creds(src);
        if !stealth.active_creds() || creds.is_empty() {
            creds.extend(stolen.iter().copied());
        }
        creds.retain(|&a| w.people.get(a).kind != AccountKind::Guess);
        creds.sort_unstable();
        creds.dedup();
        let on_dst = g.creds(dst);
        let usable: Vec<u32> = creds.iter().copied().filter(|a| on_dst.contains(a)).collect();
        let account = *usable.choose(r).or_else(|| creds.choose(r)).unwrap_or(&w.people.root);
        let gap = match goal {
            Goal::Exploration => r.gen_range(600..6 * 3600) as i64,
            Goal::AggressiveSpread => r.gen_range(5..600) as i64,
            Goal::Targeted => r.gen_range(3600..2 * 86_400) as i64,
        } * US;
        t += gap;
        if stealth.active_creds() {
            t = into_working_hours(w, r, w.fleet.host(src).site as usize, t);
        }
        hop += 1;
        let l = attack_login(w, r, t, Src::Host(src), dst, account);
        logins.push(MaliciousLogin { login: l, hop, kind: HopKind::Hop });
        owned.push(dst);
        stolen.extend(g.creds(dst));
    }
    let last = logins.last().map(|m| m.login.time).unwrap_or(t);
    let detected = last + r.gen_range(1..10) * DAY * US;
    Intrusion {
        id,
        name: format!("generic-{id}"),
        goal,
        stealth,
        entry,
        entry_from,
        target,
        logins,
        detected: Some(detected),
        contained: Some(detected + r.gen_range(1..3) * DAY * US),
        story: format!("{} intrusion, {} stealth", goal.as_str(), stealth.as_str()),
        start: None,
    }
}

/// A path from `from` to `to`: along access-graph edges (shortest, by BFS) for stealth that
/// keeps to known pairs, else one or two random servers and then the target.
fn path_to(
    w: &World,
    g: &AccessGraph,
    from: u32,
    to: u32,
    stealth: Stealth,
    r: &mut Rng,
    day: u32,
) -> Vec<u32> {
    if stealth.prior_edges() {
        let mut prev: BTreeMap<u32, u32> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from]);
        prev.insert(from, from);
        while let Some(h) = queue.pop_front() {
            if h == to {
                let mut path = vec![to];
                let mut c = to;
                while prev[&c] != from {
                    c = prev[&c];
                    path.push(c);
                }
                path.reverse();
                return path;
            }
            for &(_, d) in g.edges.range((h, 0)..(h + 1, 0)) {
                if !prev.contains_key(&d) && w.fleet.host(d).active(day) {
                    prev.insert(d, h);
                    queue.push_back(d);
                }
            }
        }
    }
    let servers: Vec<u32> = w
        .fleet
        .ids()
        .filter(|&h| {
            w.fleet.host(h).role.is_server() && h != from && h != to && w.fleet.host(h).active(day)
        })
        .collect();
    let n = r.gen_range(1..=2);
    let mut path: Vec<u32> = servers.choose_multiple(r, n).copied().collect();
    path.push(to);
    path
}

#[cfg(test)]
mod tests {
    use super::start_days;

    #[test]
    fn generic_intrusions_start_after_the_quiet_days_and_the_range_is_never_empty() {
        assert_eq!(start_days(45, 15), (15, 27), "45 days: after the 14-day warmup");
        assert_eq!(start_days(45, 0), (11, 27), "no quiet days: a quarter in, as before");
        assert_eq!(start_days(366, 15), (91, 219), "long periods: a quarter in already");
        for days in 7..80 {
            let (lo, hi) = start_days(days, 15);
            assert!(lo < hi && hi <= days, "{days} days: {lo}..{hi}");
        }
    }
}
