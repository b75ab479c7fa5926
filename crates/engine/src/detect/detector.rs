//! The detection pass: events in, alerts out, one streaming pass in time order.

use std::collections::VecDeque;

use ahash::AHashMap;

use crate::detect::alert::{Alert, AlertBook, AlertHop, RaisedAlert};
use crate::detect::arrival::{Arrival, Arrivals};
use crate::detect::attack::techniques;
use crate::detect::budget::apply_budget;
use crate::detect::chain::Chains;
use crate::detect::explain::{reason, Names};
use crate::detect::history::{pair, History};
use crate::detect::lead::{is_lead_in, LeadIn, LeadIns};
use crate::detect::outgoing::{Outgoing, JOIN};
use crate::detect::probe::Probe;
use crate::detect::score::{
    is_suspicious, score_hop_into, stale_session, total, Contribution, Feature,
};
use crate::detect::stream::{AlertEvent, AlertEventKind};
use crate::detect::switch::Switches;
use crate::fleet::{Fleet, Foothold};
use crate::graph::{classify, FailedLogin, GraphEvent, Hop};
use hopscope_model::{Catalog, CredentialSwitch, EventTable, Evidence, Inventory, Time};

pub use crate::units::{DAY, HOUR, SECOND};

/// With a budget of N alerts a day, the best `N × RETIRE_SLACK` raised alerts of each day are
/// kept once the day is over and the rest forgotten: memory is bounded by days, not by how
/// noisy a fleet is (see `AlertBook::expire`).
pub const RETIRE_SLACK: usize = 10;

/// Detection settings. Durations are in microseconds.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectConfig {
    /// A login out of a host links to logins into it at most this long before (24 h).
    pub window: i64,
    /// No alerts while history fills: this long from the first event fed (14 days).
    pub warmup: i64,
    /// Tolerated clock disagreement between hosts (5 s): a login into a host stamped up to
    /// this much after a login out of it still precedes it.
    pub skew: i64,
    /// Candidate parents remembered per host (8).
    pub parents_per_host: usize,
    /// The dwell window: a raised alert's intruder is taken to be present on a host it entered
    /// for this long after it last touched the host, and a hop out of it with an account the
    /// alert brought there, unexplained by a person's own session, joins the alert (120 days:
    /// the 2019 intrusion paused three months in Thailand; [`crate::detect::alert`]).
    pub campaign_window: i64,
    /// An alert is raised when its summed score reaches this many bits
    /// ([`DetectConfig::DEFAULT_MIN_SCORE`]).
    pub min_score: f64,
    /// Alerts kept per UTC day, best first (5; 0 = unlimited).
    pub budget_per_day: usize,
    /// A routine-looking novel login into a host joins the alert of a suspicious hop out of
    /// that host for this long (72 h): the phished workstation → first server step
    /// ([`crate::detect::lead`]).
    pub lead_in_window: i64,
    /// A login into an inner host stays a candidate for how an intruder reached it for this
    /// long ([`crate::detect::arrival`]).
    #[serde(default = "DetectConfig::default_arrival_window")]
    pub arrival_window: i64,
}

impl DetectConfig {
    /// The default clock skew: 5 s.
    pub const DEFAULT_SKEW: i64 = 5 * SECOND;
    /// The default alert threshold: 9 bits. Measured with `hopscope eval` (docs/detection.md):
    /// at 12 bits intrusions whose strongest hops score 9–12 bits went unreported (94 % on
    /// one seed); at 9 every seed reaches 96 % and benign alerts stay near 0.15 a day, far
    /// under the budget.
    pub const DEFAULT_MIN_SCORE: f64 = 9.0;
    /// The default arrival window: 4 days.
    pub const DEFAULT_ARRIVAL_WINDOW: i64 = 4 * DAY;

    fn default_arrival_window() -> i64 {
        DetectConfig::DEFAULT_ARRIVAL_WINDOW
    }
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            window: DAY,
            warmup: 14 * DAY,
            skew: DetectConfig::DEFAULT_SKEW,
            parents_per_host: 8,
            campaign_window: 120 * DAY,
            min_score: DetectConfig::DEFAULT_MIN_SCORE,
            budget_per_day: 5,
            lead_in_window: 3 * DAY,
            arrival_window: DetectConfig::DEFAULT_ARRIVAL_WINDOW,
        }
    }
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DetectStats {
    /// Events fed (baseline events are counted in `baseline_events`).
    pub events: u64,
    pub baseline_events: u64,
    pub hops: u64,
    pub failures: u64,
    /// Hops with a novelty feature after the warmup.
    pub suspicious_hops: u64,
    /// Alerts that reached the threshold (before the budget).
    pub raised: u64,
    /// Alerts that never reached the threshold.
    pub below_threshold: u64,
    /// Distinct edges learned.
    pub edges: u64,
    /// Hop events that were another record of a login already seen (same source,
    /// destination and account within the clock skew): kept as evidence of that hop.
    pub merged_hops: u64,
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Ranked: score descending, then first time, then id.
    pub alerts: Vec<Alert>,
    pub dropped_by_budget: usize,
    /// When alerts started being possible (first event + warmup).
    pub warmup_end: Option<Time>,
    pub stats: DetectStats,
    /// What hosts were learned to be from behaviour by the end of the pass (doors, address
    /// pools: [`crate::behaviour`]). A view of the alerts builds its fleet with it
    /// ([`Fleet::with_learned`]) to see the hosts as the detector did.
    pub learned: crate::behaviour::Behaviour,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    hop: Hop,
    done: bool,
    /// Evidence of the same login logged elsewhere (the source's 4648, a DC's 4769).
    extra: Vec<Evidence>,
}

/// Hops waiting out the clock skew, oldest first, with how many of them wait per edge: a hop
/// is looked for among the waiting ones (another record of its login) only when one of them
/// has its source and destination, so the hops of a log that records each login once (LANL,
/// sshd) are not compared with every hop of the last few seconds. Checkpointed as the queue
/// alone; the count is rebuilt when read back.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "VecDeque<Pending>", into = "VecDeque<Pending>")]
struct Waiting {
    queue: VecDeque<Pending>,
    /// (source, destination) → hops of that edge in `queue`
    per_edge: AHashMap<u64, u32>,
}

impl Waiting {
    fn push_back(&mut self, p: Pending) {
        *self.per_edge.entry(pair(p.hop.src, p.hop.dst)).or_default() += 1;
        self.queue.push_back(p);
    }

    fn pop_front(&mut self) {
        let Some(p) = self.queue.pop_front() else { return };
        let key = pair(p.hop.src, p.hop.dst);
        if let Some(n) = self.per_edge.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.per_edge.remove(&key);
            }
        }
    }

    /// Whether a hop from `src` to `dst` is waiting.
    fn has_edge(&self, src: u32, dst: u32) -> bool {
        self.per_edge.contains_key(&pair(src, dst))
    }
}

impl From<VecDeque<Pending>> for Waiting {
    fn from(queue: VecDeque<Pending>) -> Waiting {
        let mut per_edge: AHashMap<u64, u32> = AHashMap::new();
        for p in &queue {
            *per_edge.entry(pair(p.hop.src, p.hop.dst)).or_default() += 1;
        }
        Waiting { queue, per_edge }
    }
}

impl From<Waiting> for VecDeque<Pending> {
    fn from(w: Waiting) -> VecDeque<Pending> {
        w.queue
    }
}

/// The detector: feed it event batches in time order, then [`Detector::finish`].
///
/// ```ignore
/// let mut d = Detector::new(&case.catalog, &case.inventory, DetectConfig::default());
/// for batch in case.events(1 << 16)? { d.feed(&batch?); }
/// let detection = d.finish(&case.catalog);
/// ```
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Detector {
    config: DetectConfig,
    /// Derived from the catalog and inventory (rebuilt on restore), and what hosts were
    /// learned to be from behaviour (checkpointed: [`Fleet::rebuild`] keeps it).
    fleet: Fleet,
    history: History,
    chains: Chains,
    book: AlertBook,
    /// Routine-looking novel logins, waiting for a suspicious hop out of their destination.
    lead_ins: LeadIns,
    /// The likeliest ways into each inner host.
    #[serde(default)]
    arrivals: Arrivals,
    /// The credential switches logged on each host within the chain window.
    #[serde(default)]
    switches: Switches,
    /// Hops seen from their source alone, waiting for their destination's record.
    #[serde(default)]
    outgoing: Outgoing,
    /// Hops waiting out the clock skew.
    pending: Waiting,
    pending_into: AHashMap<u32, u32>,
    learning: bool,
    warmup_end: Option<Time>,
    next_sweep: i64,
    stats: DetectStats,
    #[serde(skip)]
    scratch: Vec<u32>,
    /// The contributions of the hop being scored (a buffer reused from hop to hop).
    #[serde(skip)]
    scored: Vec<Contribution>,
    /// Logins whose scoring is recorded (`eval --misses`); not checkpointed.
    #[serde(skip)]
    probe: Option<Probe>,
}

impl Detector {
    pub fn new(catalog: &Catalog, inventory: &Inventory, config: DetectConfig) -> Detector {
        Detector::with_fleet(Fleet::new(catalog, inventory), config)
    }

    pub fn with_fleet(fleet: Fleet, config: DetectConfig) -> Detector {
        Detector {
            chains: Chains::new(config.window, config.skew, config.parents_per_host),
            book: AlertBook::new(
                config.min_score,
                config.campaign_window,
                config.window,
                config.budget_per_day.saturating_mul(RETIRE_SLACK),
            ),
            config,
            fleet,
            lead_ins: LeadIns::default(),
            arrivals: Arrivals::default(),
            switches: Switches::default(),
            outgoing: Outgoing::default(),
            history: History::default(),
            pending: Waiting::default(),
            pending_into: AHashMap::new(),
            learning: false,
            warmup_end: None,
            next_sweep: i64::MIN,
            stats: DetectStats::default(),
            scratch: Vec::new(),
            scored: Vec::new(),
            probe: None,
        }
    }

    pub fn config(&self) -> &DetectConfig {
        &self.config
    }
    pub fn fleet(&self) -> &Fleet {
        &self.fleet
    }

    /// Learn history from baseline events (already in this case's ids: see
    /// [`crate::IdRemap`]), raising nothing. Call before the first [`Detector::feed`].
    pub fn learn(&mut self, events: &EventTable) {
        self.learning = true;
        self.run(events);
    }

    /// Examine events (in time order).
    pub fn feed(&mut self, events: &EventTable) {
        if self.learning {
            self.end_baseline();
        }
        if self.warmup_end.is_none() {
            if let Some(&first) = events.time.first() {
                self.warmup_end = Some(Time(first.saturating_add(self.config.warmup)));
            }
        }
        self.run(events);
    }

    /// Stop learning: a baseline's chains do not continue into the case.
    fn end_baseline(&mut self) {
        self.flush_all();
        self.chains.clear();
        self.arrivals.clear();
        self.learning = false;
        self.next_sweep = i64::MIN;
    }

    fn run(&mut self, t: &EventTable) {
        for i in 0..t.len() {
            let now = t.time[i];
            if self.learning {
                self.stats.baseline_events += 1;
            } else {
                self.stats.events += 1;
            }
            // hops waiting out the skew are settled before anything later changes history
            // (a sweep must not forget the failures a pending success is scored against)
            self.release_outgoing(now.saturating_sub(JOIN));
            if self.config.skew > 0 {
                self.flush_before(now - self.config.skew);
            }
            if now >= self.next_sweep {
                self.sweep(Time(now));
            }
            // learned host facts (doors, address pools: crate::behaviour) see every event,
            // local console logons included, before any hop is processed
            self.fleet.observe(t, i);
            // a logged switch, after every hop it follows was processed: the alert whose
            // intruder brought its account there takes the account it became
            if let Some(s) = CredentialSwitch::from_row(t, i) {
                let (window, skew) = (self.config.window, self.config.skew);
                if let Some(sw) = self.switches.observe(&s, window, skew) {
                    self.book.took(s.host, sw.from, sw.to, sw.time);
                }
            }
            match classify(t, i) {
                GraphEvent::Hop(h) => {
                    self.stats.hops += !self.learning as u64;
                    let skew = self.config.skew.max(0);
                    if Outgoing::is_source_side(&h) {
                        // seen from its source alone: another record of a pending login, or
                        // held for the destination's own record
                        if self.merge_duplicate(&h) || self.outgoing.hold(h, skew) {
                            self.stats.merged_hops += !self.learning as u64;
                        }
                        continue;
                    }
                    let (mut h, mut extra) = (h, Vec::new());
                    if let Some(held) = self.outgoing.claim(&h, skew) {
                        // the source's record of this login becomes its evidence
                        self.stats.merged_hops += !self.learning as u64;
                        let other = h.absorb(held.hop);
                        extra.push(other.evidence);
                        extra.extend(held.extra);
                    }
                    if self.config.skew <= 0 {
                        self.process(h, extra);
                    } else if !self.merge_duplicate_with(&h, &extra) {
                        self.prefetch(&h);
                        self.pending.push_back(Pending { hop: h, done: false, extra });
                        *self.pending_into.entry(h.dst).or_default() += 1;
                    }
                }
                GraphEvent::Failure(f) => {
                    self.stats.failures += !self.learning as u64;
                    if self.outgoing.claim_failure(&f, self.config.skew.max(0)).is_some() {
                        // the connection the source saw was this failed attempt
                        self.stats.merged_hops += !self.learning as u64;
                    }
                    let f = FailedLogin { src: self.fleet.history_source(f.src), ..f };
                    self.history.observe_failure(&f, &self.fleet);
                }
                GraphEvent::Ignored => {}
            }
        }
    }

    /// Ask for the state `hop` will touch when it has waited out the skew to be brought into
    /// cache ([`crate::detect::prefetch`]): the logins into and arrivals at both its hosts, its hosts'
    /// and account's history.
    fn prefetch(&self, hop: &Hop) {
        for h in [hop.src, hop.dst] {
            self.chains.prefetch(h);
            self.arrivals.prefetch(h);
        }
        self.history.prefetch(hop);
    }

    /// One login is often logged at both ends (4648 on the source and 4624 on the
    /// destination; 4769 on a DC and 4624 on the service host): a hop with the source,
    /// destination and account of a pending hop within the clock skew is the same login. It
    /// becomes evidence of that hop, whose missing fields it fills; the destination's own
    /// record wins. Returns whether `h` was merged.
    fn merge_duplicate(&mut self, h: &Hop) -> bool {
        self.merge_duplicate_with(h, &[])
    }

    /// [`Detector::merge_duplicate`] of a hop that brings `extra` evidence of its own (the
    /// source's records of it, [`crate::detect::outgoing`]).
    fn merge_duplicate_with(&mut self, h: &Hop, extra: &[Evidence]) -> bool {
        if !self.pending.has_edge(h.src, h.dst) {
            return false;
        }
        let lo = h.time.0 - self.config.skew;
        for p in self.pending.queue.iter_mut().rev() {
            if p.hop.time.0 < lo {
                break;
            }
            if !p.hop.same_login(h, self.config.skew) {
                continue;
            }
            self.stats.merged_hops += !self.learning as u64;
            if p.done {
                return true;
            }
            let other = p.hop.absorb(*h);
            p.extra.push(other.evidence);
            p.extra.extend_from_slice(extra);
            return true;
        }
        false
    }

    fn sweep(&mut self, now: Time) {
        self.history.expire(now);
        self.book.expire(now);
        self.lead_ins.expire(now, self.config.lead_in_window);
        // once a day, renumber the alert book when most of its slots are alerts gone: it
        // then grows with the alerts alive, not with every alert a noisy fleet ever opened
        let last_sweep = self.next_sweep.saturating_sub(HOUR);
        let new_day =
            self.next_sweep != i64::MIN && last_sweep.div_euclid(DAY) < now.0.div_euclid(DAY);
        if new_day && self.book.wants_compaction() {
            self.compact_alerts();
        }
        self.next_sweep = now.0.saturating_add(HOUR);
    }

    /// Compact the alert book and rewrite the alert ids the chains hold.
    fn compact_alerts(&mut self) {
        let remap = self.book.compact(self.chains.alert_ids());
        self.chains.remap_alerts(|a| remap.id(a));
    }

    /// Process every pending hop stamped before `limit`: all hops that could precede them
    /// within the skew have arrived.
    fn flush_before(&mut self, limit: i64) {
        while let Some(p) = self.pending.queue.front() {
            if p.hop.time.0 >= limit {
                break;
            }
            if !p.done {
                self.finalize(0, 0);
            }
            self.pending.pop_front();
        }
    }

    fn flush_all(&mut self) {
        self.release_outgoing(i64::MAX);
        self.flush_before(i64::MAX);
    }

    /// Process the source-side hops held since before `limit` that no destination's record
    /// claimed: hops of their own ([`crate::detect::outgoing`]).
    fn release_outgoing(&mut self, limit: i64) {
        if self.outgoing.is_empty() {
            return;
        }
        for held in self.outgoing.release(limit) {
            self.process(held.hop, held.extra);
        }
    }

    /// Process pending hop `idx`, first processing pending hops into its source stamped up to
    /// the skew after it (they happened before it; the clocks disagree). A direct return
    /// (B → A just after A → B) is left in time order.
    fn finalize(&mut self, idx: usize, depth: u32) {
        let pending = &mut self.pending.queue;
        let hop = pending[idx].hop;
        let extra = std::mem::take(&mut pending[idx].extra);
        pending[idx].done = true;
        if depth < 16 && self.pending_into.get(&hop.src).is_some_and(|&n| n > 0) {
            let limit = hop.time.0 + self.config.skew;
            let mut j = idx + 1;
            while j < self.pending.queue.len() && self.pending.queue[j].hop.time.0 <= limit {
                let (done, p) = (self.pending.queue[j].done, self.pending.queue[j].hop);
                if !done && p.dst == hop.src && p.src != hop.dst {
                    self.finalize(j, depth + 1);
                }
                j += 1;
            }
        }
        if let Some(n) = self.pending_into.get_mut(&hop.dst) {
            *n -= 1;
            if *n == 0 {
                self.pending_into.remove(&hop.dst);
            }
        }
        self.process(hop, extra);
    }

    /// Link, score, attach and learn one hop.
    fn process(&mut self, hop: Hop, extra: Vec<Evidence>) {
        // a logged switch on the source to the hop's account: the hop continues the logins of
        // the account before it, and is linked, explained and claimed as made with it
        let via = self.switches.link(&hop, &self.chains, self.config.window, self.config.skew);
        let linked = via.map_or(hop, |s| Hop { user: s.from, ..hop });
        // history knows a pooled address as its range's pooled addresses
        let seen = Hop { src: self.fleet.history_source(hop.src), ..hop };
        // the hop's own account's login into the source, and whether it is too old to be the
        // session the hop continues (a credential found there; `Feature::StaleSession`)
        let session_age = self.chains.own_session_age(&linked);
        let stale = stale_session(&seen, &self.history, &self.fleet, session_age).is_some();
        let fleet = &self.fleet;
        let book = &mut self.book;
        let mut trail =
            self.chains.trail_from(&linked, !stale, |h| fleet.foothold(h), |a| book.root(a));
        let scoring = !self.learning && self.warmup_end.is_some_and(|w| hop.time >= w);
        // An unremarkable hop passes an alert on only when it is the same account moving on
        // from a raised alert; otherwise alerts would spread through every benign chain of a
        // busy fleet within a day and swallow unrelated hops.
        trail.alert = match self.chains.same_account_alert(&linked) {
            0 => 0,
            a if self.book.is_raised(a) => self.book.root(a),
            _ => 0,
        };
        let (window, skew) = (self.config.arrival_window, self.config.skew);
        // the intruder of a raised alert on the source, moving on with an account the alert
        // brought there, when no person's own session explains the hop
        let explained = !stale && {
            let (fleet, book) = (&self.fleet, &mut self.book);
            self.chains.explained_by_session(
                &linked,
                |h| fleet.is_workstation(h) || fleet.is_pool(h),
                |a| book.root(a),
            )
        };
        let present = match self.book.present(&hop, explained) {
            0 if via.is_some() => self.book.present(&linked, explained),
            p => p,
        };
        if trail.alert == 0 && present != 0 {
            trail.alert = present;
        }
        let mut score = 0.0;
        let mut novel = false;
        if scoring {
            let reached = present != 0;
            score_hop_into(
                &seen,
                &trail,
                &self.history,
                &self.fleet,
                reached,
                session_age,
                &mut self.scored,
            );
            let contributions = &self.scored;
            score = total(contributions);
            novel = contributions.iter().any(|c| c.feature.is_novelty());
            if is_suspicious(contributions) {
                self.stats.suspicious_hops += 1;
                let mut evidence = vec![hop.evidence];
                evidence.extend_from_slice(&extra);
                if contributions.iter().any(|c| matches!(c.feature, Feature::BruteForce { .. })) {
                    if let Some(run) = self.history.failures(&seen, &self.fleet) {
                        evidence.push(run.first_evidence);
                    }
                }
                let mut contributions = contributions.to_vec();
                if let Some(s) = via {
                    // the switch's record is the hop's last evidence
                    evidence.push(s.evidence);
                    contributions.push(Contribution {
                        feature: Feature::SwitchedOnSource {
                            from: s.from,
                            method: s.method,
                            kind: s.kind,
                        },
                        bits: 0.0,
                    });
                }
                if let Some(p) = self.probe.as_mut() {
                    p.offer(&hop, &trail, &contributions, true);
                }
                let arrival = if window > 0 && self.fleet.keeps_arrivals(hop.src) {
                    self.arrivals.best(hop.src, hop.time, window, skew).copied()
                } else {
                    None
                };
                let other_sessions =
                    self.chains.other_sessions(&hop, &trail, |h| self.fleet.foothold(h));
                let ah = AlertHop {
                    score,
                    techniques: techniques(&hop, &contributions, &self.fleet),
                    contributions,
                    evidence,
                    hop,
                    trail,
                    arrival,
                    other_sessions,
                };
                self.scratch.clear();
                self.chains.parent_alerts(&linked, !stale, &mut self.scratch);
                if present != 0 {
                    self.scratch.push(present);
                } else if score >= self.config.min_score {
                    let first_out = self.history.logins_from(hop.user, seen.src) == 0;
                    let taken = self.book.could_have_taken(&hop, explained, first_out);
                    if taken != 0 {
                        self.scratch.push(taken);
                    }
                }
                let from_internet = self.fleet.host(hop.src).is_internet;
                // how the intruder reached the source (the phished workstation's first hop)
                let leads = self.lead_ins.take_path(
                    hop.src,
                    hop.time,
                    self.config.lead_in_window,
                    &self.fleet,
                );
                // a seat (a workstation, a pooled address) is one person's: with nothing causal
                // naming an alert, the same account's earlier suspicious hop out of it does
                let seat = self.fleet.is_workstation(hop.src) || self.fleet.is_pool(hop.src);
                if seat && self.scratch.iter().all(|&a| self.book.root(a) == 0) {
                    let same = self.book.same_seat(&hop);
                    if same != 0 {
                        self.scratch.push(same);
                    }
                }
                trail.alert = self.book.attach(ah, leads, &mut self.scratch, from_internet);
                if seat {
                    self.book.sat(&hop, trail.alert);
                }
            } else {
                if let Some(p) = self.probe.as_mut() {
                    p.offer(&hop, &trail, contributions, false);
                }
                // a door (a workstation, an internet-facing host) is where an intrusion can
                // begin: a routine login into one is not how the intruder got there
                if is_lead_in(contributions) && self.fleet.foothold(hop.dst) != Foothold::Door {
                    self.lead_ins.offer(LeadIn {
                        hop,
                        score,
                        contributions: contributions.as_slice().into(),
                        extra,
                        trail,
                    });
                }
            }
        }
        if window > 0 && self.fleet.keeps_arrivals(hop.dst) {
            let fleet = &self.fleet;
            let (origin, door, steps, upstream) =
                self.arrivals.origin_of(&hop, |h| fleet.foothold(h), window, skew);
            self.arrivals.record(
                Arrival { hop, score: score as f32, origin, door, steps, novel: novel || upstream },
                window,
            );
        }
        if trail.alert != 0 {
            self.book.touch(trail.alert, &hop);
        }
        // a raised alert's hops are the intruder's: they teach no habit of spreading
        let alerted = trail.alert != 0 && self.book.is_raised(trail.alert);
        self.history.observe(&seen, &self.fleet, trail.causal.account(), alerted);
        if let Some(age) = session_age.filter(|_| !alerted) {
            self.history.observe_session_age(age);
        }
        self.chains.record(&hop, trail);
    }

    /// Take in hosts and authentication labels added to `catalog` since the detector was
    /// built (a follower interns them as lines arrive). Rebuilding gives every host the same
    /// facts a detector built over the finished catalog would: ids only ever grow.
    pub fn refresh_fleet(&mut self, catalog: &Catalog, inventory: &Inventory) {
        if self.fleet.is_behind(catalog) {
            self.fleet.rebuild(catalog, inventory);
        }
    }

    /// Finish restoring a detector read back from a checkpoint (`hopscope watch --state`).
    /// The detector is `Serialize`/`Deserialize`: its history, open chains, alert book
    /// (open and raised alerts, the event journal), hops waiting out the skew, counters and
    /// warmup end are in the checkpoint, and so is what the fleet learned from behaviour; the
    /// rest of the fleet is derived from the catalog and inventory and is rebuilt here (the
    /// catalog must be the one checkpointed with it, so ids agree).
    pub fn restore_fleet(&mut self, catalog: &Catalog, inventory: &Inventory) {
        self.fleet.rebuild(catalog, inventory);
    }

    /// Record alert events as they happen, for [`Detector::drain_events`] (`hopscope
    /// watch`). Off by default: a batch run pays nothing for it.
    pub fn follow_alerts(&mut self) {
        self.book.journal.get_or_insert_with(Vec::new);
    }

    /// The alert events since the last drain, oldest first: an alert raised, or a raised
    /// alert that grew, each with the full alert as it stood at that moment. Folding them
    /// ([`crate::detect::stream::fold`]) gives what [`Detector::finish`] reports before the budget.
    pub fn drain_events(&mut self, catalog: &Catalog) -> Vec<AlertEvent> {
        let Some(journal) = self.book.journal.as_mut() else { return Vec::new() };
        std::mem::take(journal)
            .into_iter()
            .filter(|e| !e.snapshot.2.is_empty())
            .map(|e| AlertEvent {
                kind: if e.raised { AlertEventKind::Raised } else { AlertEventKind::Grew },
                absorbed: e.absorbed.iter().map(|h| alert_id(h, catalog)).collect(),
                alert: explain_alert(e.snapshot, catalog, &self.fleet),
            })
            .collect()
    }

    /// Process the hops waiting out the clock skew that are stamped before `limit`, as if a
    /// later event had arrived: a follower calls this when its inputs are idle and the wall
    /// clock is past `limit + skew`, so an alert need not wait for the next login.
    pub fn settle(&mut self, limit: Time) {
        self.release_outgoing(limit.0.saturating_add(self.config.skew.max(0)).saturating_sub(JOIN));
        self.flush_before(limit.0);
    }

    /// Process every hop still waiting out the clock skew (the end of the input).
    pub fn settle_all(&mut self) {
        self.flush_all();
    }

    /// Hops waiting out the clock skew, or for their destination's record.
    pub fn pending_hops(&self) -> usize {
        self.pending.queue.len() + self.outgoing.len()
    }

    /// Record how the logins `probe` wants are scored (before feeding events).
    pub fn set_probe(&mut self, probe: Probe) {
        self.probe = Some(probe);
    }

    /// The probe with every wanted login seen so far (pending hops are settled first).
    pub fn take_probe(&mut self) -> Option<Probe> {
        self.flush_all();
        self.probe.take()
    }

    /// Counters so far.
    pub fn stats(&self) -> DetectStats {
        DetectStats { edges: self.history.edges() as u64, ..self.stats.clone() }
    }

    /// Sizes of the bounded state, for memory checks: (links kept, open alerts, pending
    /// hops, failure runs).
    pub fn state_sizes(&self) -> (usize, usize, usize, usize) {
        (
            self.chains.links(),
            self.book.open_count(),
            self.pending.queue.len(),
            self.history.pending_failures(),
        )
    }

    /// Drain, explain, apply the budget and rank.
    pub fn finish(mut self, catalog: &Catalog) -> Detection {
        self.flush_all();
        let mut stats = self.stats();
        let retired = self.book.retired;
        let (raised, discarded) = self.book.into_raised();
        stats.raised = raised.len() as u64 + retired;
        stats.below_threshold = discarded;
        let alerts: Vec<Alert> = raised
            .into_iter()
            .filter(|(_, _, hops, _, _)| !hops.is_empty())
            .map(|raised| explain_alert(raised, catalog, &self.fleet))
            .collect();
        let (alerts, dropped) = apply_budget(alerts, self.config.budget_per_day);
        Detection {
            alerts,
            dropped_by_budget: dropped + retired as usize,
            warmup_end: self.warmup_end,
            stats,
            learned: self.fleet.learned().clone(),
        }
    }
}

/// The user's view of a raised alert: id, entry, origin, reasons. `hops` must not be empty.
pub(crate) fn explain_alert(raised: RaisedAlert, catalog: &Catalog, fleet: &Fleet) -> Alert {
    let (raised_at, score, hops, omitted, continues) = raised;
    let names = Names { catalog, fleet };
    let first = hops[0].clone();
    Alert {
        id: alert_id(&first, catalog),
        score,
        raised_at,
        first_time: first.hop.time,
        last_time: hops.iter().map(|h| h.hop.time).max().unwrap_or(first.hop.time),
        entry_host: crate::detect::alert::entry_of(&first, |h| fleet.foothold(h)),
        chain_origin: first.trail.origin,
        causal_account: first.trail.causal,
        reasons: hops.iter().map(|h| reason(h, &names)).collect(),
        hops,
        hops_omitted: omitted,
        continues: continues.map(|h| hop_id(&h, catalog)),
    }
}

/// `A-YYYYMMDD-xxxxxxxx`: the first hop's date and an FNV-1a hash of its time, host and
/// account names and evidence, so ids survive re-ingesting the same logs.
pub fn alert_id(first: &AlertHop, catalog: &Catalog) -> String {
    hop_id(&first.hop, catalog)
}

/// The id of the alert whose first hop is `h` ([`alert_id`]).
fn hop_id(h: &Hop, catalog: &Catalog) -> String {
    let mut key = format!(
        "{}|{}|{}|{}|",
        h.time.0,
        catalog.hosts.name(h.src).unwrap_or(""),
        catalog.hosts.name(h.dst).unwrap_or(""),
        catalog.accounts.get(h.user).map(|a| a.display()).unwrap_or_default()
    );
    // the file's name, not its path: the same logs ingested from another directory (or
    // another machine) give the same ids
    let source = catalog.sources.name(h.evidence.source).unwrap_or("");
    key.push_str(source.rsplit(['/', '\\']).next().unwrap_or(source));
    key.push_str(&format!("|{:?}", h.evidence.position));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        hash ^= b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let date: String = h.time.to_rfc3339().chars().take(10).filter(|c| *c != '-').collect();
    format!("A-{date}-{:08x}", (hash >> 32) as u32 ^ hash as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::HostFacts;
    use hopscope_model::{Orientation, Outcome};

    /// A noisy synthetic fleet (after the `detect_bench` example): accounts log in from their
    /// workstations to their usual servers and onward, and 3% of logins go somewhere new, so
    /// alerts are opened, merged, raised, retired and forgotten every day. One batch a day.
    fn noisy_days(days: i64, hosts: u64, accounts: u64) -> (Fleet, Vec<EventTable>) {
        let mut fleet = Fleet::default();
        for h in 1..=hosts as u32 {
            fleet.set_host(
                h,
                HostFacts {
                    site: 1 + h % 12,
                    country: 1 + h % 5,
                    criticality: (h % 50 == 0) as u8 * 4,
                    ..HostFacts::default()
                },
            );
        }
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut below = |n: u64| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
        };
        let per_day = 4000;
        let start = 1_546_300_800_000_000; // 2019-01-01
        let mut batches = Vec::new();
        for day in 0..days {
            let mut t = EventTable::with_capacity(per_day);
            for k in 0..per_day as i64 {
                let user = 1 + below(accounts) as u32;
                let home = 1 + (user as u64 * 7919 % hosts) as u32;
                let r = below(1000);
                let (src, dst) = if r < 30 {
                    (1 + below(hosts) as u32, 1 + below(hosts) as u32)
                } else {
                    let server = 1 + ((user as u64 * 31 + below(5) * 104_729) % hosts) as u32;
                    if r < 300 {
                        (server, 1 + ((server as u64 * 13 + below(3)) % hosts) as u32)
                    } else {
                        (home, server)
                    }
                };
                t.time.push(start + day * DAY + k * (DAY / per_day as i64));
                t.src_host.push(src);
                t.src_ip.push(0);
                t.dst_host.push(dst);
                t.dst_ip.push(0);
                t.user.push(user);
                t.src_user.push(0);
                t.auth.push(1 + (r % 3 == 0) as u32);
                t.logon_type.push(3);
                t.outcome.push(if r > 30 && r < 50 {
                    Outcome::Failure as u8
                } else {
                    Outcome::Success as u8
                });
                t.orientation.push(Orientation::LogOn as u8);
                t.format.push(1);
                t.event_id.push(0);
                t.flags.push(0);
                t.source.push(1);
                t.position.push((day * per_day as i64 + k + 1) as u64);
            }
            batches.push(t);
        }
        (fleet, batches)
    }

    /// The detection with the hops' own trails' alert ids cleared: those record the book's id
    /// when the hop happened, which compaction renumbers; nothing reads them.
    fn without_book_ids(mut d: Detection) -> Detection {
        for a in &mut d.alerts {
            for h in &mut a.hops {
                h.trail.alert = 0;
            }
        }
        d
    }

    #[test]
    fn compacting_the_alert_book_changes_no_alert() {
        let (fleet, batches) = noisy_days(60, 400, 300);
        let catalog = Catalog::default();
        // one alert a day kept: ten a day retained once the day is over, the rest retired
        let config = DetectConfig { budget_per_day: 1, ..DetectConfig::default() };
        let mut plain = Detector::with_fleet(fleet.clone(), config.clone());
        let mut compacted = Detector::with_fleet(fleet.clone(), config);
        let (mut plain_slots, mut compacted_slots) = (0, 0);
        for (day, batch) in batches.iter().enumerate() {
            plain.feed(batch);
            compacted.feed(batch);
            // compact after every day, whether or not it pays
            compacted.compact_alerts();
            if day == 30 {
                // a checkpoint of a compacted detector reads back and carries on the same
                let bytes = bincode::serialize(&compacted).unwrap();
                compacted = bincode::deserialize(&bytes).unwrap();
                // the static facts are rebuilt, what was learned is checkpointed
                let learned = compacted.fleet.learned().clone();
                compacted.fleet = fleet.clone().with_learned(learned);
            }
            plain_slots = plain.book.slots();
            compacted_slots = compacted.book.slots();
        }
        // the run exercises what compaction must get right: alerts forgotten below the
        // threshold, raised ones retired, merged ones
        assert!(plain.book.merged() > 20, "{} merged", plain.book.merged());
        let (plain, compacted) = (plain.finish(&catalog), compacted.finish(&catalog));
        assert!(plain.stats.below_threshold > 20, "{:?}", plain.stats);
        assert!(plain.stats.raised > plain.alerts.len() as u64, "{:?}", plain.stats);
        assert!(!plain.alerts.is_empty());
        assert_eq!(plain.stats, compacted.stats);
        assert_eq!(without_book_ids(plain), without_book_ids(compacted));
        // compaction frees most slots (a host keeps up to three raised alerts present, each
        // alive for its dwell window, so fewer than a quarter cannot be promised)
        assert!(
            compacted_slots * 3 < plain_slots,
            "{compacted_slots} slots compacted, {plain_slots} not"
        );
    }

    #[test]
    fn alert_ids_do_not_depend_on_the_directory_the_logs_were_ingested_from() {
        let id_from = |path: &str| {
            let mut c = Catalog::default();
            let inv = hopscope_model::Inventory::default();
            let src = c.sources.intern(path);
            let (a, b) =
                (c.hosts.resolve(&inv, Some("a"), None), c.hosts.resolve(&inv, Some("b"), None));
            let mut hop = Hop::test(1_000_000, a, b, 0);
            hop.evidence.source = src;
            let trail = crate::detect::chain::Trail {
                origin: a,
                causal: crate::detect::chain::Causal::Unclear,
                start: hop.time,
                depth: 1,
                alert: 0,
            };
            alert_id(
                &AlertHop {
                    hop,
                    score: 1.0,
                    contributions: vec![],
                    techniques: vec![],
                    evidence: vec![hop.evidence],
                    trail,
                    arrival: None,
                    other_sessions: crate::detect::chain::Doors::NONE,
                },
                &c,
            )
        };
        assert_eq!(
            id_from("/cases/one/logs/sg-ops-03/auth.log"),
            id_from("logs/sg-ops-03/auth.log")
        );
        assert_eq!(id_from("C:\\evidence\\auth.log"), id_from("auth.log"));
        assert_ne!(id_from("auth.log"), id_from("secure"));
    }
}
