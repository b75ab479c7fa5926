//! Lead-in hops: how the intruder reached the host a suspicious hop leaves.
//!
//! A person's own workstation reaching a new server with their own account is routine (people
//! open new servers every week), so [`Feature::RoutineSource`] discounts such a hop's novelty
//! and it is not suspicious on its own. But when a suspicious hop later leaves the server it
//! reached, that first login is the likeliest way in: the phished workstation → first server
//! step of an intrusion. Such discounted hops are kept here, per destination, for
//! [`DetectConfig::lead_in_window`](crate::DetectConfig); a suspicious hop out of the
//! destination takes them (and, recursively, the lead-ins into their sources) into its alert,
//! so the alert starts where the intruder did. A lead-in is listed in the alert (marked with
//! the [`Feature::LeadIn`] contribution) but does not count: it adds nothing to the alert's
//! score and claims no host for the campaign window, so it can neither raise an alert nor
//! pull later hops into one.
//!
//! Memory: only discounted novel hops are kept (a new edge or a new account on a host), at
//! most [`LEADS_PER_HOST`] per host, each for the window: bounded by the fleet's novelty per
//! window, not by events.

use std::collections::VecDeque;

use ahash::AHashMap;

use crate::detect::alert::AlertHop;
use crate::detect::attack::techniques;
use crate::detect::chain::Trail;
use crate::detect::score::{is_suspicious, Contribution, Feature};
use crate::fleet::Fleet;
use crate::graph::Hop;
use crate::units::DAY;
use hopscope_model::{Evidence, Time};

/// Lead-in hops kept per destination host (the newest).
pub const LEADS_PER_HOST: usize = 8;
/// How many lead-ins back a suspicious hop follows (workstation → jump host → server).
pub const MAX_LEAD_DEPTH: usize = 4;

/// Whether a hop with these contributions is a lead-in: novel (a new edge or a new account on
/// the destination) but not suspicious only because its source routinely reaches new hosts.
pub fn is_lead_in(c: &[Contribution]) -> bool {
    c.iter().any(|c| matches!(c.feature, Feature::RoutineSource { .. }))
        && c.iter()
            .any(|c| matches!(c.feature, Feature::NewEdge | Feature::NewAccountOnDestination))
        && !is_suspicious(c)
}

/// A lead-in hop as it waits: what its alert hop is made of. Few are ever taken, so the alert
/// hop (its techniques and evidence list) is built only then ([`LeadIn::into_alert_hop`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct LeadIn {
    pub hop: Hop,
    /// Sum of the contributions.
    pub score: f64,
    pub contributions: Box<[Contribution]>,
    /// Evidence of the same login logged elsewhere (usually none).
    pub extra: Vec<Evidence>,
    /// The chain the hop continued, as it was when the hop happened.
    pub trail: Trail,
}

impl LeadIn {
    /// The alert hop of a lead-in taken into an alert: marked with [`Feature::LeadIn`].
    fn into_alert_hop(self, fleet: &Fleet) -> AlertHop {
        let techniques = techniques(&self.hop, &self.contributions, fleet);
        let mut contributions = self.contributions.into_vec();
        contributions.push(Contribution { feature: Feature::LeadIn, bits: 0.0 });
        AlertHop {
            score: self.score,
            techniques,
            contributions,
            evidence: std::iter::once(self.hop.evidence).chain(self.extra).collect(),
            hop: self.hop,
            trail: self.trail,
            arrival: None,
            other_sessions: crate::detect::chain::Doors::NONE,
        }
    }
}

/// Lead-in hops by destination host, waiting for a suspicious hop out of it.
///
/// Lead-ins older than the window are gone from the hour the detector's sweep says so
/// ([`LeadIns::expire`]); they are dropped from a host's list when it is next touched and from
/// every list once a day, so the hourly sweep does not visit every lead-in held.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct LeadIns {
    by_dst: AHashMap<u32, VecDeque<LeadIn>>,
    /// Lead-ins stamped before this are expired, whether or not still held.
    horizon: i64,
    /// The UTC day of the last sweep that dropped expired lead-ins from every list.
    swept_day: i64,
}

impl Default for LeadIns {
    fn default() -> LeadIns {
        LeadIns { by_dst: AHashMap::new(), horizon: i64::MIN, swept_day: i64::MIN }
    }
}

impl LeadIns {
    /// Keep a lead-in hop (see [`is_lead_in`]).
    pub fn offer(&mut self, l: LeadIn) {
        let horizon = self.horizon;
        let v = self.by_dst.entry(l.hop.dst).or_default();
        v.retain(|l| l.hop.time.0 >= horizon);
        if v.len() == LEADS_PER_HOST {
            v.pop_front();
        }
        v.push_back(l);
    }

    /// Take the lead-ins into `host` within `window` before `t` (and at `t`), then the
    /// lead-ins into their sources before them, up to [`MAX_LEAD_DEPTH`] steps back. In time
    /// order (ties by evidence); each is taken once.
    pub fn take_path(&mut self, host: u32, t: Time, window: i64, fleet: &Fleet) -> Vec<AlertHop> {
        let mut out = Vec::new();
        let mut frontier = vec![(host, t)];
        for _ in 0..MAX_LEAD_DEPTH {
            let mut next = Vec::new();
            for (h, at) in frontier {
                let Some(v) = self.by_dst.get_mut(&h) else { continue };
                let horizon = self.horizon;
                v.retain(|l| l.hop.time.0 >= horizon);
                let lo = at.0.saturating_sub(window);
                let mut i = 0;
                while i < v.len() {
                    if v[i].hop.time.0 >= lo && v[i].hop.time <= at {
                        let l = v.remove(i).expect("index within the list");
                        next.push((l.hop.src, l.hop.time));
                        out.push(l.into_alert_hop(fleet));
                    } else {
                        i += 1;
                    }
                }
                if v.is_empty() {
                    self.by_dst.remove(&h);
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        crate::detect::alert::sort_hops(&mut out);
        out
    }

    /// Forget lead-ins older than `window` before `now`.
    pub fn expire(&mut self, now: Time, window: i64) {
        self.horizon = self.horizon.max(now.0.saturating_sub(window));
        let day = now.0.div_euclid(DAY);
        if day != self.swept_day {
            self.swept_day = day;
            let horizon = self.horizon;
            self.by_dst.retain(|_, v| {
                v.retain(|l| l.hop.time.0 >= horizon);
                !v.is_empty()
            });
        }
    }

    /// Lead-ins held.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn len(&self) -> usize {
        self.by_dst.values().flatten().filter(|l| l.hop.time.0 >= self.horizon).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::chain::Causal;

    const H: i64 = 3_600_000_000;

    fn lead(t: i64, src: u32, dst: u32) -> LeadIn {
        let hop = Hop::test(t, src, dst, 7);
        let trail =
            Trail { origin: src, causal: Causal::Clear(7), start: Time(t), depth: 1, alert: 0 };
        LeadIn { hop, score: 3.0, contributions: Box::new([]), extra: Vec::new(), trail }
    }

    fn c(feature: Feature, bits: f64) -> Contribution {
        Contribution { feature, bits }
    }

    #[test]
    fn a_lead_in_is_novelty_discounted_as_routine_and_nothing_else() {
        let routine = c(Feature::RoutineSource { logins: 40, rate: 200 }, -5.0);
        assert!(is_lead_in(&[c(Feature::NewEdge, 7.0), routine]));
        assert!(is_lead_in(&[
            c(Feature::NewAccountOnDestination, 3.0),
            c(Feature::CrossCountry { seen: 0 }, 9.0),
            routine
        ]));
        // not discounted: the hop is suspicious in its own right, not a lead-in
        assert!(!is_lead_in(&[c(Feature::NewEdge, 7.0)]));
        // discounted, but another novelty makes it suspicious anyway
        assert!(!is_lead_in(&[
            c(Feature::NewEdge, 7.0),
            c(Feature::UnusualAuth { usual: 1 }, 6.0),
            routine
        ]));
        // routine and not novel at all: a usual login
        assert!(!is_lead_in(&[c(Feature::CrossCountry { seen: 3 }, 2.0), routine]));
    }

    #[test]
    fn a_suspicious_hop_takes_the_lead_ins_into_its_source_back_along_the_path() {
        let mut l = LeadIns::default();
        l.offer(lead(0, 1, 2)); // workstation 1 → jump 2
        l.offer(lead(2 * H, 2, 3)); // jump 2 → server 3
        l.offer(lead(3 * H, 9, 3)); // another lead-in into 3, later than the hop below
        l.offer(lead(0, 5, 6)); // unrelated
        let path = l.take_path(3, Time(2 * H + 10), 72 * H, &Fleet::default());
        let hops: Vec<(u32, u32)> = path.iter().map(|h| (h.hop.src, h.hop.dst)).collect();
        assert_eq!(
            hops,
            vec![(1, 2), (2, 3)],
            "time-respecting: the later lead-in into 3 is not taken"
        );
        assert_eq!(l.len(), 2, "taken once");
        assert!(
            l.take_path(3, Time(2 * H + 20), 72 * H, &Fleet::default()).is_empty(),
            "the later one still waits for its own hop"
        );
    }

    #[test]
    fn lead_ins_outside_the_window_are_neither_taken_nor_kept() {
        let mut l = LeadIns::default();
        l.offer(lead(0, 1, 2));
        assert!(l.take_path(2, Time(73 * H), 72 * H, &Fleet::default()).is_empty());
        l.expire(Time(73 * H), 72 * H);
        assert_eq!(l.len(), 0);
        for i in 0..20 {
            l.offer(lead(i * H, 100 + i as u32, 2));
        }
        assert_eq!(l.len(), LEADS_PER_HOST, "bounded per host, newest kept");
        let path = l.take_path(2, Time(20 * H), 72 * H, &Fleet::default());
        assert_eq!(path.first().map(|h| h.hop.src), Some(112));
    }
}
