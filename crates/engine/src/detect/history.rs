//! What the fleet has done so far, learned online: edges, accounts per destination,
//! protocols and hours per account, country pairs, recent failures.
//!
//! Memory grows with what is distinct (hosts, accounts, edges, pairs), never with events.

use ahash::{AHashMap, AHashSet};

use crate::detect::pairs::{PairCounts, PairSet};
use crate::fleet::Fleet;
use crate::graph::{FailedLogin, Hop};
use hopscope_model::{Evidence, Time};

const HOUR: i64 = 3_600_000_000;

/// How long failures wait for a success from the same source before they are forgotten.
pub const FAILURE_MEMORY: i64 = HOUR;

/// Two ids packed in one key (the first in the high half).
pub(crate) fn pair(a: u32, b: u32) -> u64 {
    (a as u64) << 32 | b as u64
}

/// Logins in and out of one host.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct HostHistory {
    pub out_logins: u32,
    pub out_distinct: u32,
    pub in_logins: u32,
    pub in_distinct: u32,
    pub accounts_distinct: u32,
    /// Distinct accounts that logged in out of this host.
    pub out_accounts_distinct: u32,
    /// A login from the `internet` pseudo-host into this host has been seen.
    pub internet_logins: bool,
    /// Logins from the `internet` pseudo-host into this host.
    pub internet_in: u32,
}

/// One account's habits.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AccountHistory {
    pub logins: u32,
    /// Distinct destinations the account logged on to.
    pub dst_distinct: u32,
    /// Distinct sources the account logged in out of.
    #[serde(default)]
    pub sources_distinct: u32,
    /// Logins per hour of day (UTC).
    pub hours: [u32; 24],
    /// (auth label id, logins), first-seen order.
    pub auths: Vec<(u32, u32)>,
    /// Logins per Windows logon type code (0..=11).
    pub logon_types: [u32; 12],
    /// The account's latest rare reaches (source, destination, time), newest last, at most
    /// [`RECENT_RARE`]: what [`AccountHistory::rare_within`] counts.
    #[serde(default)]
    pub recent_rare: Vec<(u32, u32, Time)>,
    /// The most distinct rare destinations the account ever reached out of one source within
    /// one [`SPREAD_WINDOW`]: its habit of spreading.
    #[serde(default)]
    pub rare_max: u8,
    /// The spread a raised alert held (most distinct rare destinations) and when that episode
    /// began: taught to the habit once the account spreads again in a later
    /// [`SPREAD_WINDOW`] within [`HELD_RECURS`] ([`History::observe`]).
    #[serde(default)]
    pub held_max: u8,
    #[serde(default)]
    pub held_at: Time,
}

/// A destination is *rare* for an account when fewer than one of its logins in 16 went there
/// (4 bits), counted once the account has [`RARE_MIN_LOGINS`] logins: the file server a user
/// visits once a fortnight, the database an administrator touches once a month.
pub const RARE_SHARE: f64 = 1.0 / 16.0;
pub const RARE_MIN_LOGINS: u32 = 20;
/// Rare reaches remembered per account (more than any habit the spread feature compares with).
pub const RECENT_RARE: usize = 8;
/// The window in which an account's rare reaches are counted together: one working day.
pub const SPREAD_WINDOW: i64 = 12 * HOUR;
/// A spread an alert held becomes the account's habit when the account spreads again within
/// this long (two days) after the held one began, in a later [`SPREAD_WINDOW`]: a daily sweep.
pub const HELD_RECURS: i64 = 48 * HOUR;
/// Rare destinations within one [`SPREAD_WINDOW`] that can make a spread: two.
pub const SPREAD_MIN: u32 = 2;

fn spread_of(a: &AccountHistory, hop: &Hop, visits: u32) -> Option<(u32, u8)> {
    if a.logins < RARE_MIN_LOGINS || reach_share(visits, a.logins) >= RARE_SHARE {
        return None;
    }
    let rare = a.rare_within(hop.src, hop.dst, hop.time) + 1;
    (rare >= SPREAD_MIN && rare > a.rare_max as u32).then_some((rare, a.rare_max))
}

/// `(visits + 0.5) / (logins + 1)`: the smoothed share of an account's logins that went to one
/// destination.
pub fn reach_share(visits: u32, logins: u32) -> f64 {
    (visits as f64 + 0.5) / (logins as f64 + 1.0)
}

impl AccountHistory {
    /// Distinct rare destinations other than `dst` the account reached out of `src` within
    /// [`SPREAD_WINDOW`] before `now`.
    pub fn rare_within(&self, src: u32, dst: u32, now: Time) -> u32 {
        let mut seen: [u32; RECENT_RARE] = [0; RECENT_RARE];
        let mut n = 0;
        for &(s, d, t) in self.recent_rare.iter().rev() {
            if now.0 - t.0 > SPREAD_WINDOW {
                break;
            }
            if s == src && d != dst && !seen[..n].contains(&d) {
                seen[n] = d;
                n += 1;
            }
        }
        n as u32
    }
    pub fn auth_count(&self, auth: u32) -> u32 {
        self.auths.iter().find(|(a, _)| *a == auth).map_or(0, |(_, n)| *n)
    }
    /// The auth label this account used most (ties: first seen).
    pub fn usual_auth(&self) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None;
        for &(a, n) in &self.auths {
            if best.is_none_or(|(_, bn)| n > bn) {
                best = Some((a, n));
            }
        }
        best.map(|(a, _)| a)
    }
    pub fn usual_logon_type(&self) -> u8 {
        let mut best = (0u8, 0u32);
        for (code, &n) in self.logon_types.iter().enumerate() {
            if n > best.1 {
                best = (code as u8, n);
            }
        }
        best.0
    }
}

/// Whether host `src` stands for many machines, each with its own address: the `internet`
/// pseudo-host, an address pool, the pooled addresses of a range
/// ([`Fleet::history_source`]). Failures from such a source are told apart by address and
/// account, never pooled: an internet-facing server sees scanners' failures all day, and
/// pooling them made every partner's routine login from outside look like a brute force.
fn stands_for_many(fleet: &Fleet, src: u32) -> bool {
    fleet.host(src).is_internet || fleet.is_pool(src) || fleet.stands_for_range(src)
}

/// Count failure `f` in the run under `key`, restarting a run quiet for [`FAILURE_MEMORY`].
fn add_failure(runs: &mut AHashMap<u64, FailureRun>, key: u64, f: &FailedLogin) {
    let run = runs.entry(key).or_insert(FailureRun {
        count: 0,
        first: f.time,
        last: f.time,
        first_evidence: f.evidence,
    });
    if f.time.0 - run.last.0 > FAILURE_MEMORY {
        *run = FailureRun { count: 0, first: f.time, last: f.time, first_evidence: f.evidence };
    }
    run.count += 1;
    run.last = f.time;
}

/// Failures from one source to one destination not yet followed by a success.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct FailureRun {
    pub count: u32,
    pub first: Time,
    pub last: Time,
    pub first_evidence: Evidence,
}

/// Everything learned so far.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct History {
    // the three sets looked up for every hop: prefetched when the hop is queued
    edges: PairSet,
    /// (account, destination): the account's logins into the destination.
    account_on_host: PairCounts,
    /// (account, source host): the account has logged in *out of* the host.
    account_from_host: PairCounts,
    /// (account, destination): logins of the account into the destination from the internet.
    #[serde(default)]
    remote_account_on_host: PairCounts,
    /// (causal account, account used) pairs seen along chains.
    switches: AHashSet<u64>,
    hosts: Vec<HostHistory>,
    accounts: Vec<AccountHistory>,
    country_pairs: AHashMap<u64, u32>,
    site_pairs: AHashMap<u64, u32>,
    /// Hops whose both ends have a known country (site): the denominators.
    located_hops: u64,
    sited_hops: u64,
    /// (source host, destination) → failures not yet followed by a success.
    failures: AHashMap<u64, FailureRun>,
    /// For a source that stands for many machines (the `internet`, an address pool;
    /// [`stands_for_many`]): (source address, destination) and (account tried, destination) →
    /// failures, in place of the source host's. A scanner's failures from one address say
    /// nothing of a partner's success from another.
    #[serde(default)]
    address_failures: AHashMap<u64, FailureRun>,
    #[serde(default)]
    account_failures: AHashMap<u64, FailureRun>,
    /// Accounts that spread beyond their habit lately (account, time), newest last, at most
    /// [`RECENT_SPREADERS`]: several at once make a change window.
    #[serde(default)]
    spreaders: Vec<(u32, Time)>,
    /// How long after its own login into a host an account moves on from it: the ages of the
    /// sessions hops continue ([`SessionAges`]).
    #[serde(default)]
    session_ages: SessionAges,
}

/// The ages of the sessions the fleet's hops continue: for a hop whose account logged in to
/// its source within the chain window, the time since the latest such login, counted in
/// buckets of powers of two seconds (bucket `b` holds ages of `2^(b-1)` to `2^b - 1` s).
/// Learned from the fleet itself: where people keep sessions open for hours (a jump host
/// worked from all day), long ages are routine and weigh little; where they move on within
/// minutes, a credential used hours after its owner's login is what an intruder who found it
/// there does (Hopper's attacker uses the credentials of anyone logged in within a day).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionAges {
    buckets: [u32; SESSION_AGE_BUCKETS],
    n: u64,
}

const SESSION_AGE_BUCKETS: usize = 24;
/// Sessions seen before their ages say anything: below, no hop's session is called stale.
pub const MIN_SESSION_AGES: u64 = 100;

impl SessionAges {
    fn bucket(age: i64) -> usize {
        let secs = (age.max(0) / 1_000_000) as u64;
        ((64 - secs.leading_zeros()) as usize).min(SESSION_AGE_BUCKETS - 1)
    }

    pub fn observe(&mut self, age: i64) {
        self.buckets[Self::bucket(age)] = self.buckets[Self::bucket(age)].saturating_add(1);
        self.n += 1;
    }

    /// The share of sessions seen that were moved on from at `age` or later (its power of two
    /// seconds), smoothed; `None` until [`MIN_SESSION_AGES`] were seen.
    pub fn share_at_least(&self, age: i64) -> Option<f64> {
        if self.n < MIN_SESSION_AGES {
            return None;
        }
        let older: u64 = self.buckets[Self::bucket(age)..].iter().map(|&c| c as u64).sum();
        Some((older as f64 + 0.5) / (self.n as f64 + 1.0))
    }
}

/// Spreading accounts remembered fleet-wide.
pub const RECENT_SPREADERS: usize = 16;
/// Other accounts spreading beyond their habit within one [`SPREAD_WINDOW`] that make it a
/// change window (a maintenance weekend, a migration), in which spreading is what
/// administrators are doing: three. An intruder exploring quietly does so with one or two
/// accounts at a time; one who takes many is caught by their new edges and switches.
pub const CHANGE_WINDOW_SPREADERS: u32 = 3;

impl History {
    pub fn edge_seen(&self, src: u32, dst: u32) -> bool {
        self.edges.contains(pair(src, dst))
    }
    pub fn account_seen_on(&self, user: u32, dst: u32) -> bool {
        self.account_on_host.contains(pair(user, dst))
    }
    /// Logins of `user` into `dst` so far.
    pub fn visits(&self, user: u32, dst: u32) -> u32 {
        self.account_on_host.get(pair(user, dst)).unwrap_or(0)
    }
    pub fn account_seen_from(&self, user: u32, src: u32) -> bool {
        self.account_from_host.contains(pair(user, src))
    }
    /// Logins of `user` out of `src` so far.
    pub fn logins_from(&self, user: u32, src: u32) -> u32 {
        self.account_from_host.get(pair(user, src)).unwrap_or(0)
    }
    /// Logins of `user` into `dst` from the internet so far.
    pub fn remote_logins(&self, user: u32, dst: u32) -> u32 {
        self.remote_account_on_host.get(pair(user, dst)).unwrap_or(0)
    }
    /// The ages of the sessions hops continued so far.
    pub fn session_ages(&self) -> &SessionAges {
        &self.session_ages
    }
    /// Learn that a hop continued its own account's login into its source `age` after it.
    pub fn observe_session_age(&mut self, age: i64) {
        self.session_ages.observe(age);
    }
    pub fn switch_seen(&self, causal: u32, user: u32) -> bool {
        self.switches.contains(&pair(causal, user))
    }
    pub fn host(&self, id: u32) -> HostHistory {
        self.hosts.get(id as usize).copied().unwrap_or_default()
    }
    pub fn account(&self, id: u32) -> Option<&AccountHistory> {
        self.accounts.get(id as usize)
    }
    /// (times this country pair was hopped, hops with both countries known).
    pub fn country_pair(&self, a: u32, b: u32) -> (u32, u64) {
        (self.country_pairs.get(&pair(a, b)).copied().unwrap_or(0), self.located_hops)
    }
    pub fn site_pair(&self, a: u32, b: u32) -> (u32, u64) {
        (self.site_pairs.get(&pair(a, b)).copied().unwrap_or(0), self.sited_hops)
    }
    /// Whether `hop` reaches more rare destinations out of its source within one window than
    /// its account ever did: `(rare destinations now, the most before)`. `visits`: the
    /// account's logins into the destination so far ([`History::visits`]).
    pub fn spread(&self, hop: &Hop, visits: u32) -> Option<(u32, u8)> {
        let a = self.accounts.get(hop.user as usize).filter(|_| hop.user != 0)?;
        spread_of(a, hop, visits)
    }
    /// Other accounts than `user` that spread beyond their habit within one window before
    /// `now`.
    pub fn other_spreaders(&self, user: u32, now: Time) -> u32 {
        let mut seen: [u32; RECENT_SPREADERS] = [0; RECENT_SPREADERS];
        let mut n = 0;
        for &(a, t) in self.spreaders.iter().rev() {
            if now.0 - t.0 > SPREAD_WINDOW {
                break;
            }
            if a != user && !seen[..n].contains(&a) {
                seen[n] = a;
                n += 1;
            }
        }
        n as u32
    }
    /// Failures still waiting for a success that `hop` would end: from its source host to its
    /// destination, or — when the source stands for many machines ([`stands_for_many`]) — from
    /// its source address or against its account, whichever run is longer.
    pub fn failures(&self, hop: &Hop, fleet: &Fleet) -> Option<&FailureRun> {
        if !stands_for_many(fleet, hop.src) {
            return self.failures.get(&pair(hop.src, hop.dst));
        }
        let by_address =
            (hop.src_addr != 0).then(|| self.address_failures.get(&pair(hop.src_addr, hop.dst)));
        let by_account =
            (hop.user != 0).then(|| self.account_failures.get(&pair(hop.user, hop.dst)));
        [by_address.flatten(), by_account.flatten()]
            .into_iter()
            .flatten()
            .max_by_key(|r| (r.count, std::cmp::Reverse(r.first)))
    }

    /// Ask for what scoring and learning `hop` reads to be brought into cache (it is coming):
    /// its hosts' and account's counters, and its slots in the edges and account sets.
    pub(crate) fn prefetch(&self, hop: &Hop) {
        self.edges.prefetch(pair(hop.src, hop.dst));
        if hop.user != 0 {
            self.account_on_host.prefetch(pair(hop.user, hop.dst));
            self.account_from_host.prefetch(pair(hop.user, hop.src));
        }
        for h in [hop.src, hop.dst] {
            if let Some(h) = self.hosts.get(h as usize) {
                crate::detect::prefetch::prefetch_one(h);
            }
        }
        if let Some(a) = self.accounts.get(hop.user as usize) {
            crate::detect::prefetch::prefetch_one(a);
        }
    }

    /// Learn from a failed login: a run per source host, or — when the source stands for many
    /// machines — per source address and per account tried ([`History::failures`]).
    pub fn observe_failure(&mut self, f: &FailedLogin, fleet: &Fleet) {
        if !stands_for_many(fleet, f.src) {
            add_failure(&mut self.failures, pair(f.src, f.dst), f);
            return;
        }
        if f.src_addr != 0 {
            add_failure(&mut self.address_failures, pair(f.src_addr, f.dst), f);
        }
        if f.user != 0 {
            add_failure(&mut self.account_failures, pair(f.user, f.dst), f);
        }
    }

    /// Learn from a hop (after it was scored). `causal` is the chain's causal account when
    /// clear; `alerted` when a raised alert holds the hop (it counts in the account's recent
    /// rare reaches, but does not raise its habit of spreading).
    pub fn observe(&mut self, hop: &Hop, fleet: &Fleet, causal: Option<u32>, alerted: bool) {
        let new_edge = self.edges.insert(pair(hop.src, hop.dst));
        let mut visits = 0;
        let mut new_account = false;
        if hop.user != 0 {
            let (n, _) = self.account_on_host.entry(pair(hop.user, hop.dst));
            visits = *n;
            new_account = *n == 0;
            *n = n.saturating_add(1);
        }
        let mut new_out_account = false;
        if hop.user != 0 {
            let (n, _) = self.account_from_host.entry(pair(hop.user, hop.src));
            new_out_account = *n == 0;
            *n = n.saturating_add(1);
        }
        let need = hop.src.max(hop.dst) as usize + 1;
        if self.hosts.len() < need {
            self.hosts.resize(need, HostHistory::default());
        }
        let s = &mut self.hosts[hop.src as usize];
        s.out_logins = s.out_logins.saturating_add(1);
        s.out_distinct += new_edge as u32;
        s.out_accounts_distinct += new_out_account as u32;
        let d = &mut self.hosts[hop.dst as usize];
        d.in_logins = d.in_logins.saturating_add(1);
        d.in_distinct += new_edge as u32;
        d.accounts_distinct += new_account as u32;
        if fleet.host(hop.src).is_internet {
            d.internet_logins = true;
            d.internet_in = d.internet_in.saturating_add(1);
            if hop.user != 0 {
                let (n, _) = self.remote_account_on_host.entry(pair(hop.user, hop.dst));
                *n = n.saturating_add(1);
            }
        }
        if hop.user != 0 {
            if self.accounts.len() <= hop.user as usize {
                self.accounts.resize(hop.user as usize + 1, AccountHistory::default());
            }
            let a = &mut self.accounts[hop.user as usize];
            if spread_of(a, hop, visits).is_some() {
                if self.spreaders.len() == RECENT_SPREADERS {
                    self.spreaders.remove(0);
                }
                self.spreaders.push((hop.user, hop.time));
            }
            if a.logins >= RARE_MIN_LOGINS && reach_share(visits, a.logins) < RARE_SHARE {
                let n = a.rare_within(hop.src, hop.dst, hop.time).min(u8::MAX as u32 - 1) as u8 + 1;
                if !alerted {
                    a.rare_max = a.rare_max.max(n);
                } else if n > a.rare_max {
                    // a spread an alert holds is the intruder's, not a habit — unless the
                    // account does it again in the next windows: a monitor's sweep that once
                    // raised an alert repeats day after day, an intruder's burst does not (an
                    // intruder back on the same account weeks later still stands out)
                    let since = hop.time.0 - a.held_at.0;
                    if a.held_max > 0 && since > SPREAD_WINDOW {
                        if since <= HELD_RECURS {
                            a.rare_max = a.rare_max.max(a.held_max);
                        }
                        a.held_max = 0;
                    }
                    if n > a.rare_max {
                        if a.held_max == 0 {
                            a.held_at = hop.time;
                        }
                        a.held_max = a.held_max.max(n);
                    }
                }
                if a.recent_rare.len() == RECENT_RARE {
                    a.recent_rare.remove(0);
                }
                a.recent_rare.push((hop.src, hop.dst, hop.time));
            }
            a.logins = a.logins.saturating_add(1);
            a.dst_distinct += new_account as u32;
            a.sources_distinct += new_out_account as u32;
            a.hours[hour_of_day(hop.time)] += 1;
            match a.auths.iter_mut().find(|(x, _)| *x == hop.auth) {
                Some((_, n)) => *n += 1,
                None => a.auths.push((hop.auth, 1)),
            }
            a.logon_types[(hop.logon_type.code() as usize).min(11)] += 1;
            if let Some(c) = causal.filter(|&c| c != 0 && c != hop.user) {
                self.switches.insert(pair(c, hop.user));
            }
        }
        let (fs, fd) = (fleet.host(hop.src), fleet.host(hop.dst));
        if fs.country != 0 && fd.country != 0 {
            self.located_hops += 1;
            *self.country_pairs.entry(pair(fs.country, fd.country)).or_default() += 1;
        }
        if fs.site != 0 && fd.site != 0 {
            self.sited_hops += 1;
            *self.site_pairs.entry(pair(fs.site, fd.site)).or_default() += 1;
        }
        if !stands_for_many(fleet, hop.src) {
            self.failures.remove(&pair(hop.src, hop.dst));
        } else {
            self.address_failures.remove(&pair(hop.src_addr, hop.dst));
            self.account_failures.remove(&pair(hop.user, hop.dst));
        }
    }

    /// Forget failures older than [`FAILURE_MEMORY`] before `now`.
    pub fn expire(&mut self, now: Time) {
        for runs in [&mut self.failures, &mut self.address_failures, &mut self.account_failures] {
            runs.retain(|_, r| now.0 - r.last.0 <= FAILURE_MEMORY);
        }
    }

    /// Distinct edges learned (for statistics).
    pub fn edges(&self) -> usize {
        self.edges.len()
    }
    /// Failure runs currently remembered.
    pub fn pending_failures(&self) -> usize {
        self.failures.len() + self.address_failures.len() + self.account_failures.len()
    }
}

/// Hour of day, UTC.
pub fn hour_of_day(t: Time) -> usize {
    (t.0.div_euclid(HOUR)).rem_euclid(24) as usize
}
