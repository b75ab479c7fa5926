//! The baseline rule detection is compared with: alert on every first-time
//! source → destination pair after the warmup.

use ahash::AHashSet;

use crate::detect::alert::{Alert, AlertHop};
use crate::detect::attack::techniques;
use crate::detect::budget::apply_budget;
use crate::detect::chain::{Causal, Trail};
use crate::detect::detector::{alert_id, DetectStats, Detection};
use crate::detect::explain::{reason, Names};
use crate::detect::score::{Contribution, Feature};
use crate::fleet::Fleet;
use crate::graph::{classify, GraphEvent, Hop};
use hopscope_model::{Catalog, EventTable, Time};

/// Score given to every unseen-edge alert: the rule has no notion of surprise, so the budget
/// keeps the earliest alerts of a day.
pub const UNSEEN_EDGE_SCORE: f64 = 1.0;

/// "Unseen source → destination pair": one alert per first-time edge after the warmup.
#[derive(Debug, Default)]
pub struct UnseenEdgeRule {
    warmup: i64,
    warmup_end: Option<Time>,
    learning: bool,
    edges: AHashSet<u64>,
    hits: Vec<Hop>,
    stats: DetectStats,
}

impl UnseenEdgeRule {
    pub fn new(warmup: i64) -> UnseenEdgeRule {
        UnseenEdgeRule { warmup, ..Default::default() }
    }
    /// Learn edges from baseline events (in this case's ids).
    pub fn learn(&mut self, events: &EventTable) {
        self.learning = true;
        self.run(events);
    }
    pub fn feed(&mut self, events: &EventTable) {
        self.learning = false;
        if self.warmup_end.is_none() {
            if let Some(&first) = events.time.first() {
                self.warmup_end = Some(Time(first.saturating_add(self.warmup)));
            }
        }
        self.run(events);
    }
    fn run(&mut self, t: &EventTable) {
        for i in 0..t.len() {
            if self.learning {
                self.stats.baseline_events += 1;
            } else {
                self.stats.events += 1;
            }
            if let GraphEvent::Hop(h) = classify(t, i) {
                self.stats.hops += !self.learning as u64;
                let new = self.edges.insert((h.src as u64) << 32 | h.dst as u64);
                if new && !self.learning && self.warmup_end.is_some_and(|w| h.time >= w) {
                    self.hits.push(h);
                }
            }
        }
    }
    /// The first-time edges after the warmup, in time order.
    pub fn hits(&self) -> &[Hop] {
        &self.hits
    }
    /// The hits as one-hop alerts, budgeted like the detector's.
    pub fn finish(self, catalog: &Catalog, fleet: &Fleet, budget_per_day: usize) -> Detection {
        let names = Names { catalog, fleet };
        let alerts = self
            .hits
            .iter()
            .map(|&hop| {
                let contributions =
                    vec![Contribution { feature: Feature::NewEdge, bits: UNSEEN_EDGE_SCORE }];
                let trail = Trail {
                    origin: hop.src,
                    causal: Causal::Unclear,
                    start: hop.time,
                    depth: 1,
                    alert: 0,
                };
                let ah = AlertHop {
                    score: UNSEEN_EDGE_SCORE,
                    techniques: techniques(&hop, &contributions, fleet),
                    contributions,
                    evidence: vec![hop.evidence],
                    hop,
                    trail,
                    arrival: None,
                    other_sessions: crate::detect::chain::Doors::NONE,
                };
                Alert {
                    id: alert_id(&ah, catalog),
                    score: UNSEEN_EDGE_SCORE,
                    raised_at: hop.time,
                    first_time: hop.time,
                    last_time: hop.time,
                    entry_host: hop.src,
                    chain_origin: hop.src,
                    causal_account: Causal::Unclear,
                    reasons: vec![reason(&ah, &names)],
                    hops: vec![ah],
                    hops_omitted: 0,
                    continues: None,
                }
            })
            .collect();
        let mut stats = self.stats;
        stats.edges = self.edges.len() as u64;
        stats.raised = self.hits.len() as u64;
        stats.suspicious_hops = self.hits.len() as u64;
        let (alerts, dropped_by_budget) = apply_budget(alerts, budget_per_day);
        let learned = fleet.learned().clone();
        Detection { alerts, dropped_by_budget, warmup_end: self.warmup_end, stats, learned }
    }
}
