//! The attacker of Ho et al., "Hopper: Modeling and Detecting Lateral Movement" (USENIX
//! Security 2021), as their public generator (github.com/grantho/lateral-movement-simulator)
//! builds it, over the background logins this simulator generates: the attacker sees the
//! fleet's real login history and moves only where it allows.
//!
//! - **Start**: a phished workstation of a non-admin employee who, like the workstation, is
//!   at least 14 days old; the start time lies in the intrusion window (after the quiet days,
//!   at least two weeks in and a week before the end). Start strategy by stealth, as the
//!   public generator engineers it: agnostic → *random*; prior edges → *long path*; active
//!   credentials → *ambiguous path*; both → *stealth path*.
//! - **Credentials**: the start user's; on every host reached (not a jump host), every
//!   employee account that logged into it in the 7 days before (exposure window).
//! - **Reach**: an account can go to every host it logs into anywhere in the history.
//! - **Candidate hops**: (any host reached) → (a host a held account reaches), not visited.
//! - **Stealth**: *prior edges*: the source→destination pair was used in the 31 days before
//!   (source history), and the full (source, destination, account) triple when one exists;
//!   *active credentials*: the account is the current one or logged into the source in the
//!   24 hours before the last move.
//! - **Constraints**: no other account into a host the start user can reach; no credential
//!   switch into a jump host; from a jump host only onward with the same account, and no
//!   hop leaves a jump host otherwise; an account other than the current one only from a
//!   host where it was harvested.
//! - **Goals**: *exploration* stops at the first credential switch; *aggressive spread*
//!   prefers the current account and goes on to 50 hops or until no hop is left;
//!   *targeted* heads first for hosts where accounts of the target's users are exposed,
//!   then for the target, and stops there.
//! - Hops prefer the current host or the foothold as source; 1 s – 2 h apart; each login
//!   copies the method of the closest real login of the same (source, destination, account)
//!   (ssh to Linux, RDP or network logons to Windows), else a method for the destination.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rand::seq::SliceRandom;
use rand::Rng as _;
use rayon::prelude::*;

use crate::background::{actors, generate};
use crate::fleet::{Os, Role};
use crate::intrusion::{attack_login, Goal, HopKind, Intrusion, MaliciousLogin, Stealth};
use crate::login::{flag, Login, Method, Src};
use crate::people::{AccountKind, Duty};
use crate::rng::{rng, Rng, Stream};
use crate::timefmt::{DAY, US};
use crate::world::World;

/// Credential exposure: accounts that logged into a host this long before it was reached.
pub const CRED_EXPOSURE: i64 = 7 * DAY * US;
/// Active credentials: an account logged into the source this long before the last move.
pub const ACTIVE_CRED: i64 = DAY * US;
/// Source history: pairs seen this long before the last move count as known.
pub const SRC_HISTORY: i64 = 31 * DAY * US;
/// Minimum age of the phished user and workstation.
pub const MIN_START_AGE_DAYS: u32 = 14;
/// Hop limit.
pub const MAX_HOPS: usize = 50;
/// Longest pause between hops, seconds.
pub const INTERARRIVAL_S: i64 = 7200;

/// How the start is engineered (the public generator's `AttackStart` strategies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    Random,
    LongPath,
    AmbiguousPath,
    StealthPath,
}

impl Start {
    pub fn for_stealth(s: Stealth) -> Start {
        match s {
            Stealth::Agnostic => Start::Random,
            Stealth::PriorEdges => Start::LongPath,
            Stealth::ActiveCreds => Start::AmbiguousPath,
            Stealth::Both => Start::StealthPath,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Start::Random => "random",
            Start::LongPath => "long-path",
            Start::AmbiguousPath => "ambiguous-path",
            Start::StealthPath => "stealth-path",
        }
    }
}

/// One successful background login, as the attacker sees the history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub time: i64,
    /// Source host; `None` for console and local logons and logins from outside.
    pub src: Option<u32>,
    pub dst: u32,
    pub account: u32,
    pub method: Method,
}

/// The background's successful logins, every day of the period, in time order.
pub fn history(w: &World) -> Vec<Seen> {
    let mut out: Vec<Seen> = background_logins(w, 0..w.cal.days)
        .into_iter()
        .filter(|l| l.ok)
        .map(|l| Seen {
            time: l.time,
            src: match l.src {
                Src::Host(h) if h != l.dst => Some(h),
                _ => None,
            },
            dst: l.dst,
            account: l.account,
            method: l.method,
        })
        .collect();
    out.sort_unstable();
    out
}

/// Every background login (successful and failed) of `days`, day by day in the order the
/// logs get them (uids left 0).
pub fn background_logins(w: &World, days: std::ops::Range<u32>) -> Vec<Login> {
    let acts = actors(w);
    days.into_par_iter()
        .flat_map_iter(|day| {
            let mut v = Vec::new();
            for &a in &acts {
                generate(w, a, day, &mut v);
            }
            v
        })
        .collect()
}

/// The history indexed the way the attacker queries it.
pub struct Knowledge<'a> {
    w: &'a World,
    /// Logins into each host, by time.
    into: Vec<Vec<Seen>>,
    /// Times each (source, destination) pair was used, sorted.
    pairs: BTreeMap<(u32, u32), Vec<i64>>,
    triples: BTreeMap<(u32, u32, u32), Vec<i64>>,
    /// Hosts each account logs into (its reach).
    reach: BTreeMap<u32, BTreeSet<u32>>,
    /// Accounts of people (the only credentials Hopper's attacker harvests).
    real: BTreeSet<u32>,
    admins: BTreeSet<u32>,
}

impl<'a> Knowledge<'a> {
    pub fn new(w: &'a World, seen: &[Seen]) -> Knowledge<'a> {
        let mut into = vec![Vec::new(); w.fleet.hosts.len()];
        let mut pairs: BTreeMap<(u32, u32), Vec<i64>> = BTreeMap::new();
        let mut triples: BTreeMap<(u32, u32, u32), Vec<i64>> = BTreeMap::new();
        let mut reach: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
        let real: BTreeSet<u32> = (0..w.people.accounts.len() as u32)
            .filter(|&a| matches!(w.people.get(a).kind, AccountKind::User | AccountKind::Admin))
            .collect();
        let mut admins = BTreeSet::new();
        for p in &w.people.persons {
            if p.duty != Duty::Staff {
                admins.insert(p.user);
                admins.extend(p.admin);
            }
        }
        for s in seen {
            into[s.dst as usize].push(*s);
            if let Some(src) = s.src {
                pairs.entry((src, s.dst)).or_default().push(s.time);
                triples.entry((src, s.dst, s.account)).or_default().push(s.time);
                reach.entry(s.account).or_default().insert(s.dst);
            }
        }
        Knowledge { w, into, pairs, triples, reach, real, admins }
    }

    fn is_jump(&self, h: u32) -> bool {
        self.w.fleet.host(h).role.is_jump()
    }

    /// Employee accounts that logged into `host` in `[from, to)`, with their last time.
    fn logged_into(&self, host: u32, from: i64, to: i64) -> BTreeMap<u32, i64> {
        let v = &self.into[host as usize];
        let a = v.partition_point(|s| s.time < from);
        let mut out = BTreeMap::new();
        for s in &v[a..] {
            if s.time >= to {
                break;
            }
            if self.real.contains(&s.account) {
                out.insert(s.account, s.time);
            }
        }
        out
    }

    fn last_before(times: Option<&Vec<i64>>, t: i64) -> Option<i64> {
        let v = times?;
        let k = v.partition_point(|&x| x <= t);
        (k > 0).then(|| v[k - 1])
    }

    /// Whether `src → dst` was used in `[t - SRC_HISTORY, t]`.
    pub fn pair_seen(&self, src: u32, dst: u32, t: i64) -> bool {
        Self::last_before(self.pairs.get(&(src, dst)), t).is_some_and(|x| x >= t - SRC_HISTORY)
    }

    fn triple_seen(&self, src: u32, dst: u32, acct: u32, t: i64) -> bool {
        Self::last_before(self.triples.get(&(src, dst, acct)), t)
            .is_some_and(|x| x >= t - SRC_HISTORY)
    }

    /// The method of the real (src, dst, account) login closest to `t`, if any.
    fn method_like(&self, src: u32, dst: u32, acct: u32, t: i64) -> Option<Method> {
        let v = &self.into[dst as usize];
        let k = v.partition_point(|s| s.time < t);
        let after = v[k..].iter().find(|s| s.src == Some(src) && s.account == acct);
        let before = v[..k].iter().rev().find(|s| s.src == Some(src) && s.account == acct);
        match (before, after) {
            (Some(b), Some(a)) => Some(if t - b.time <= a.time - t { b.method } else { a.method }),
            (b, a) => b.or(a).map(|s| s.method),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Hop {
    src: u32,
    dst: u32,
    user: u32,
}

/// One attack, as planned.
struct Plan {
    start: Start,
    foothold: u32,
    start_user: u32,
    logins: Vec<MaliciousLogin>,
    users: BTreeSet<u32>,
    target: Option<u32>,
}

/// An attack the generator could not make succeed: no start of [`ATTEMPTS`] switched to a
/// second user's credentials. The paper's generator discards such an attempt
/// (`is_synthetic_attack_successful`: an attack that never leaves the phished user's own
/// credentials is not lateral movement by its definition); so does this one, and `truth.json`
/// lists it under `discarded` so that the count of intrusions asked for still adds up.
#[derive(Clone, Debug)]
pub struct Discarded {
    pub id: u32,
    pub goal: Goal,
    pub stealth: Stealth,
    /// Hops of the longest attempt (all under the phished user's own account).
    pub hops: usize,
    /// The longest attempt's logins (never written to the logs; for checking the planner).
    pub attempt: Vec<MaliciousLogin>,
}

/// Starts tried per intrusion before it is discarded.
pub const ATTEMPTS: u64 = 30;

/// Plan intrusion `id` with `goal` and `stealth`, starting in days `[lo, hi)`. Retries a
/// new start (up to [`ATTEMPTS`] times) until the attack switches credentials at least once,
/// as the public generator's success test asks; an intrusion no start makes succeed is
/// [`Discarded`], as the paper's is.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    w: &World,
    k: &Knowledge<'_>,
    id: u32,
    goal: Goal,
    stealth: Stealth,
    lo: u32,
    hi: u32,
) -> Result<Intrusion, Discarded> {
    let mut longest: Vec<MaliciousLogin> = Vec::new();
    let mut found: Option<Plan> = None;
    for attempt in 0..ATTEMPTS {
        let mut r = rng(w.seed, Stream::Hopper, id as u64, attempt);
        let Some(p) = attempt_plan(w, k, goal, stealth, lo, hi, &mut r) else { continue };
        if p.users.len() >= 2 {
            found = Some(p);
            break;
        }
        if p.logins.len() > longest.len() {
            longest = p.logins;
        }
    }
    let Some(p) = found else {
        return Err(Discarded { id, goal, stealth, hops: longest.len(), attempt: longest });
    };
    let last = p.logins.last().map(|m| m.login.time).unwrap_or(0);
    let mut dr = rng(w.seed, Stream::Hopper, id as u64, 1000);
    let detected = last + dr.gen_range(1..10) * DAY * US;
    Ok(Intrusion {
        id,
        name: format!("hopper-{id}"),
        goal,
        stealth,
        entry: p.foothold,
        entry_from: None,
        target: p.target,
        logins: p.logins,
        detected: Some(detected),
        contained: Some(detected + dr.gen_range(1..3) * DAY * US),
        story: format!(
            "Hopper attacker: {} goal, {} stealth, {} start on the phished workstation of {}",
            goal.as_str(),
            stealth.as_str(),
            p.start.as_str(),
            w.people.get(p.start_user).name
        ),
        start: Some(p.start.as_str()),
    })
}

fn attempt_plan(
    w: &World,
    k: &Knowledge<'_>,
    goal: Goal,
    stealth: Stealth,
    lo: u32,
    hi: u32,
    r: &mut Rng,
) -> Option<Plan> {
    let strategy = Start::for_stealth(stealth);
    let (t0, t1) = (
        (w.first_day() + lo as i64) * DAY * US,
        (w.first_day() + hi.min(w.cal.days.saturating_sub(7)).max(lo + 1) as i64) * DAY * US,
    );
    // viable start users: employees (not admins) at least 14 days old, on their own
    // workstation, who log in from it during the window
    let persons: Vec<usize> = (0..w.people.persons.len())
        .filter(|&i| {
            let p = &w.people.persons[i];
            p.duty == Duty::Staff
                && p.left.is_none_or(|l| l > hi)
                && w.fleet.host(p.workstation).added + MIN_START_AGE_DAYS <= lo.max(p.hired)
                && p.hired + MIN_START_AGE_DAYS <= lo
                && !k.admins.contains(&p.user)
        })
        .collect();
    let user_logins = |i: usize| -> Vec<i64> {
        let p = &w.people.persons[i];
        k.reach
            .get(&p.user)
            .into_iter()
            .flatten()
            .flat_map(|&d| k.into[d as usize].iter())
            .filter(|s| s.account == p.user && s.src == Some(p.workstation))
            .map(|s| s.time)
            .filter(|&t| t >= t0 && t < t1)
            .collect()
    };
    let reach = |a: u32| k.reach.get(&a).cloned().unwrap_or_default();
    // engineered starts: a multi-user host the start user reaches where another user with
    // more reach logs in (an elevation opportunity)
    let elevation = |i: usize, intermediates: bool| -> Vec<(u32, u32)> {
        let p = &w.people.persons[i];
        let mine = reach(p.user);
        let mut out = Vec::new();
        for &d in &mine {
            if k.is_jump(d) {
                continue;
            }
            if intermediates && !k.pairs.range((d, 0)..(d + 1, 0)).any(|_| true) {
                continue;
            }
            let others: BTreeSet<u32> = k.into[d as usize]
                .iter()
                .filter(|s| s.account != p.user && k.real.contains(&s.account))
                .map(|s| s.account)
                .collect();
            for o in others {
                if reach(o).difference(&mine).next().is_some() {
                    out.push((o, d));
                }
            }
        }
        out
    };
    let random_start = |r: &mut Rng| -> Option<(usize, i64)> {
        let i = *persons.choose(r)?;
        let times = user_logins(i);
        let t = *times.choose(r)?;
        Some((i, t + r.gen_range(1..5 * 86_400) * US))
    };
    let engineered = |r: &mut Rng| -> Option<(usize, i64)> {
        Some(match strategy {
            Start::Random => return None,
            Start::LongPath | Start::StealthPath | Start::AmbiguousPath => {
                let intermediates = strategy != Start::AmbiguousPath;
                let mut cands: Vec<usize> = persons.clone();
                cands.shuffle(r);
                let (i, opps) = cands
                    .into_iter()
                    .take(40)
                    .map(|i| (i, elevation(i, intermediates)))
                    .find(|(_, o)| !o.is_empty())?;
                let p = &w.people.persons[i];
                let t = if strategy == Start::LongPath {
                    // right after the other user's login on the key host (still exposed)
                    let &(other, d) = opps.choose(r)?;
                    let times: Vec<i64> = k.into[d as usize]
                        .iter()
                        .filter(|s| s.account == other && s.time >= t0 && s.time < t1)
                        .map(|s| s.time)
                        .collect();
                    *times.choose(r)? + r.gen_range(1..5 * 86_400) * US
                } else {
                    // a shared (not jump) server the user logs into: another user's login there,
                    // then within half a day (ambiguous credential switches)
                    let shared: Vec<u32> = reach(p.user)
                        .into_iter()
                        .filter(|&d| {
                            !k.is_jump(d)
                                && k.into[d as usize]
                                    .iter()
                                    .filter(|s| k.real.contains(&s.account))
                                    .map(|s| s.account)
                                    .collect::<BTreeSet<_>>()
                                    .len()
                                    > 2
                        })
                        .collect();
                    let d = *shared.choose(r)?;
                    let times: Vec<i64> = k.into[d as usize]
                        .iter()
                        .filter(|s| {
                            s.account != p.user
                                && k.real.contains(&s.account)
                                && s.time >= t0
                                && s.time < t1
                        })
                        .map(|s| s.time)
                        .collect();
                    *times.choose(r)? + r.gen_range(1..43_200) * US
                };
                (i, t)
            }
        })
    };
    // as the public generator: an engineered start that cannot be had falls back to a
    // random one
    let (strategy, (i, start_time)) = match engineered(r) {
        Some(x) => (strategy, x),
        None => (Start::Random, random_start(r)?),
    };
    let start_time = start_time.min(t1);
    let p = &w.people.persons[i];
    let foothold = p.workstation;
    let start_user = p.user;
    let start_reach = reach(start_user);
    // targeted: a crown jewel the start user cannot reach, its users, the hosts they are
    // exposed on, and which hosts lie on paths (at most 5 hops) to either
    let target = (goal == Goal::Targeted).then(|| {
        let jewels: Vec<u32> = w
            .fleet
            .ids()
            .filter(|&h| {
                matches!(w.fleet.host(h).role, Role::Crm | Role::Database | Role::File)
                    && !start_reach.contains(&h)
                    && !k.into[h as usize].is_empty()
            })
            .collect();
        jewels.choose(r).copied()
    });
    let target = target.flatten();
    let (to_priv, to_target, priv_users) = match target {
        Some(tg) => {
            let priv_users: BTreeSet<u32> = k.into[tg as usize]
                .iter()
                .map(|s| s.account)
                .filter(|a| k.real.contains(a))
                .collect();
            let exposed: BTreeSet<u32> = (0..w.fleet.hosts.len() as u32)
                .filter(|&h| {
                    !k.is_jump(h)
                        && k.into[h as usize].iter().any(|s| priv_users.contains(&s.account))
                })
                .collect();
            (
                on_paths(w, k, foothold, &exposed),
                on_paths(w, k, foothold, &BTreeSet::from([tg])),
                priv_users,
            )
        }
        None => (BTreeSet::new(), BTreeSet::new(), BTreeSet::new()),
    };
    if goal == Goal::Targeted && (target.is_none() || to_priv.is_empty()) {
        return None;
    }
    // state
    let mut visited: BTreeSet<u32> = BTreeSet::from([foothold]);
    let mut held: BTreeMap<u32, BTreeSet<u32>> =
        BTreeMap::from([(start_user, start_reach.clone())]);
    let mut harvested: BTreeMap<u32, BTreeSet<u32>> =
        BTreeMap::from([(foothold, BTreeSet::from([start_user]))]);
    let mut active: BTreeMap<(u32, u32), i64> = BTreeMap::new();
    for (a, t) in k.logged_into(foothold, start_time - ACTIVE_CRED, start_time) {
        active.insert((foothold, a), t);
    }
    let mut cur = foothold;
    let mut cur_user = start_user;
    let mut last = start_time;
    let mut priv_now = false;
    let mut logins = Vec::new();
    let mut users = BTreeSet::from([start_user]);
    loop {
        let hops_made = logins.len();
        match goal {
            Goal::Exploration if hops_made > 0 && cur_user != start_user => break,
            Goal::Targeted if Some(cur) == target => break,
            _ if hops_made + 1 > MAX_HOPS => break,
            _ => {}
        }
        let t = last + r.gen_range(1..=INTERARRIVAL_S) * US;
        let mut hops: Vec<Hop> = Vec::new();
        for &src in &visited {
            for (&user, dsts) in &held {
                for &dst in dsts {
                    if !visited.contains(&dst) {
                        hops.push(Hop { src, dst, user });
                    }
                }
            }
        }
        // stealth
        if matches!(stealth, Stealth::ActiveCreds | Stealth::Both) {
            hops.retain(|h| {
                h.user == cur_user
                    || active.get(&(h.src, h.user)).is_some_and(|&x| x >= last - ACTIVE_CRED)
            });
        }
        if matches!(stealth, Stealth::PriorEdges | Stealth::Both) {
            hops.retain(|h| k.pair_seen(h.src, h.dst, last));
            let full: Vec<Hop> = hops
                .iter()
                .copied()
                .filter(|h| k.triple_seen(h.src, h.dst, h.user, last))
                .collect();
            if !full.is_empty() {
                hops = full;
            }
        }
        // constraints
        hops.retain(|h| !(h.user != start_user && start_reach.contains(&h.dst)));
        hops.retain(|h| !(k.is_jump(h.dst) && h.user != start_user));
        if k.is_jump(cur) {
            hops.retain(|h| h.src == cur && h.user == cur_user);
        } else {
            hops.retain(|h| !k.is_jump(h.src));
        }
        hops.retain(|h| {
            h.user == cur_user || harvested.get(&h.src).is_some_and(|s| s.contains(&h.user))
        });
        // goal
        match goal {
            Goal::Targeted => {
                if !priv_now {
                    hops.retain(|h| to_priv.contains(&h.dst));
                } else {
                    hops.retain(|h| to_target.contains(&h.dst) || Some(h.dst) == target);
                    let fin: Vec<Hop> =
                        hops.iter().copied().filter(|h| Some(h.dst) == target).collect();
                    if !fin.is_empty() {
                        hops = fin;
                    }
                }
            }
            Goal::AggressiveSpread => {
                let mine: Vec<Hop> = hops.iter().copied().filter(|h| h.user == cur_user).collect();
                if !mine.is_empty() {
                    hops = mine;
                }
            }
            Goal::Exploration => {}
        }
        let pref: Vec<Hop> =
            hops.iter().copied().filter(|h| h.src == cur || h.src == foothold).collect();
        if !pref.is_empty() {
            hops = pref;
        }
        let Some(&h) = hops.choose(r) else { break };
        // the login
        let mut l = attack_login(w, r, t, Src::Host(h.src), h.dst, h.user);
        if let Some(m) = k.method_like(h.src, h.dst, h.user, t) {
            l.method = m;
            l.flags = flag::MALICIOUS;
            if m == Method::Rdp {
                l.flags |= flag::EXPLICIT;
            }
        } else if w.fleet.host(h.dst).os == Os::Windows && l.method == Method::NetworkNtlm {
            // keep attack_login's PsExec-style service install
        }
        logins.push(MaliciousLogin { login: l, hop: logins.len() as u32 + 1, kind: HopKind::Hop });
        users.insert(h.user);
        // move: harvest credentials (7 days), learn active ones (24 h)
        visited.insert(h.dst);
        cur = h.dst;
        cur_user = h.user;
        last = t;
        let mut fresh = BTreeSet::new();
        if !k.is_jump(h.dst) {
            for (a, _) in k.logged_into(h.dst, t - CRED_EXPOSURE, t + 1) {
                fresh.insert(a);
                held.entry(a).or_insert_with(|| reach(a));
            }
        }
        harvested.entry(h.dst).or_default().extend(fresh.iter().copied());
        for (a, x) in k.logged_into(h.dst, t - ACTIVE_CRED, t) {
            active.insert((h.dst, a), x);
        }
        // as the public generator: whether the hop exposed a target user (this hop's only)
        priv_now = fresh.iter().any(|a| priv_users.contains(a));
    }
    Some(Plan { start: strategy, foothold, start_user, logins, users, target })
}

/// Hosts on some path of at most 5 hops from `from` to one of `to` in the login graph
/// (logins into workstations left out), by breadth-first distances both ways: a node `v`
/// with `d(from, v) + d(v, to) ≤ 5`.
fn on_paths(w: &World, k: &Knowledge<'_>, from: u32, to: &BTreeSet<u32>) -> BTreeSet<u32> {
    const MAX_PATH: u32 = 5;
    let is_ws = |h: u32| w.fleet.host(h).role == Role::Workstation;
    let mut fwd: BTreeMap<u32, u32> = BTreeMap::from([(from, 0)]);
    let mut q = VecDeque::from([from]);
    while let Some(h) = q.pop_front() {
        let d = fwd[&h];
        if d == MAX_PATH {
            continue;
        }
        for (&(_, n), _) in k.pairs.range((h, 0)..(h + 1, 0)) {
            if !is_ws(n) && !fwd.contains_key(&n) {
                fwd.insert(n, d + 1);
                q.push_back(n);
            }
        }
    }
    let mut rev_edges: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for &(s, d) in k.pairs.keys() {
        if !is_ws(d) {
            rev_edges.entry(d).or_default().push(s);
        }
    }
    let mut bwd: BTreeMap<u32, u32> = to.iter().map(|&t| (t, 0)).collect();
    let mut q: VecDeque<u32> = to.iter().copied().collect();
    while let Some(h) = q.pop_front() {
        let d = bwd[&h];
        if d == MAX_PATH {
            continue;
        }
        for &n in rev_edges.get(&h).into_iter().flatten() {
            if let std::collections::btree_map::Entry::Vacant(e) = bwd.entry(n) {
                e.insert(d + 1);
                q.push_back(n);
            }
        }
    }
    fwd.iter()
        .filter(|(&n, &a)| n != from && bwd.get(&n).is_some_and(|&b| a + b <= MAX_PATH))
        .map(|(&n, _)| n)
        .collect()
}
