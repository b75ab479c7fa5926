//! A probe on chosen logins: how the detector scored them (every contribution, whether the
//! hop was suspicious, its chain), for `eval --misses` — why an intrusion's hop was missed.
//!
//! The detector records a hop when its destination and time are among the probe's wanted
//! logins (within a slack); memory grows with the wanted logins, not with events.

use ahash::AHashMap;

use crate::detect::chain::Trail;
use crate::detect::score::Contribution;
use crate::graph::Hop;
use hopscope_model::Time;

/// One hop as the detector scored it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbedHop {
    pub hop: Hop,
    /// The chain it continued, as the scorer saw it.
    pub trail: Trail,
    pub contributions: Vec<Contribution>,
    /// It had a novelty feature (not discounted as routine) and went into an alert.
    pub suspicious: bool,
}

/// Wanted logins (destination, time) and what the detector made of them.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    wanted: AHashMap<u32, Vec<i64>>,
    slack: i64,
    /// Recorded hops, in processing order.
    pub seen: Vec<ProbedHop>,
}

impl Probe {
    /// Record hops into `dst` within `slack` of a wanted time.
    pub fn new(wanted: impl IntoIterator<Item = (u32, Time)>, slack: i64) -> Probe {
        let mut map: AHashMap<u32, Vec<i64>> = AHashMap::new();
        for (dst, t) in wanted {
            map.entry(dst).or_default().push(t.0);
        }
        Probe { wanted: map, slack, seen: Vec::new() }
    }

    /// Whether `hop` is one of the wanted logins.
    pub fn wants(&self, hop: &Hop) -> bool {
        self.wanted
            .get(&hop.dst)
            .is_some_and(|ts| ts.iter().any(|&t| (t - hop.time.0).abs() <= self.slack))
    }

    pub(crate) fn offer(
        &mut self,
        hop: &Hop,
        trail: &Trail,
        contributions: &[Contribution],
        suspicious: bool,
    ) {
        if self.wants(hop) {
            self.seen.push(ProbedHop {
                hop: *hop,
                trail: *trail,
                contributions: contributions.to_vec(),
                suspicious,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::chain::Causal;

    #[test]
    fn records_only_wanted_destinations_within_the_slack() {
        let mut p = Probe::new([(7, Time(1_000)), (8, Time(5_000))], 10);
        let hop = |t: i64, dst: u32| Hop::test(t, 1, dst, 3);
        let trail =
            Trail { origin: 1, causal: Causal::Clear(3), start: Time(0), depth: 1, alert: 0 };
        for (t, dst) in [(995, 7), (1_011, 7), (1_000, 8), (5_010, 8)] {
            p.offer(&hop(t, dst), &trail, &[], false);
        }
        let got: Vec<(i64, u32)> = p.seen.iter().map(|s| (s.hop.time.0, s.hop.dst)).collect();
        assert_eq!(got, vec![(995, 7), (5_010, 8)]);
    }
}
