//! Arrivals: how an intruder most likely reached the inner host they are first seen leaving.
//!
//! Intrusions begin at a door ([`Foothold::Door`]: a workstation, an internet-facing host). An
//! intruder first seen leaving an inner host reached it by a login, and often not one the
//! detector found odd, nor one within a chain's window: a phished user's own session to their
//! usual server, 40 hours before the first suspicious hop out of it. For each inner host the
//! detector keeps the few logins into it of the last [`DetectConfig::arrival_window`] that
//! best explain an intruder there (`Arrival::rank`): those whose chain began at a door first,
//! then the fewest logins from it, then those new to the host, then the most surprising, then
//! the latest.
//!
//! It keeps them for internet-facing servers too ([`crate::fleet::Fleet::exposed_server`]).
//! An intruder can begin on such a server without logging in, through the service it exposes.
//! But a login from the internet shows up as the best arrival (no steps). A login new to the
//! server ([`Arrival::novel`]) is the other way in: a phished user's first login to the web
//! server, days before the first suspicious hop out of it. A routine login explains an
//! intruder there no better than the exposed service does.
//!
//! Each arrival carries its chain's **origin**: a login out of a door begins there; a login
//! from the internet begins on the host entered; a login out of an inner host takes the
//! origin of the best arrival into that host at that moment. So the door at the start of an
//! unremarkable three-hop path over four days is known one step at a time, in bounded memory.
//! This is BackTracker's backward walk pruned by NoDoze's surprise ranking, done as the logins
//! stream past rather than after the fact.
//!
//! Memory: at most [`ARRIVALS_PER_HOST`] per inventoried inner host or internet-facing
//! server, each for the window.
//!
//! [`DetectConfig::arrival_window`]: crate::DetectConfig::arrival_window

use crate::fleet::Foothold;
use crate::graph::Hop;
use hopscope_model::Time;

/// Arrivals kept per inner host (the best by `Arrival::rank`).
pub const ARRIVALS_PER_HOST: usize = 4;

/// A login into an inner host, kept as a candidate for how an intruder got there.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Arrival {
    /// The login itself (its source, account, time and evidence).
    pub hop: Hop,
    /// Its surprise in bits as the detector scored it (0 before scoring starts).
    pub score: f32,
    /// The host its chain began on.
    pub origin: u32,
    /// Whether that host is one where an intrusion can begin (a door, or a host entered from
    /// the internet).
    pub door: bool,
    /// Logins from that host to this one, this one included (0: the host was entered from
    /// the internet by this login).
    pub steps: u8,
    /// Whether the login, or one before it on the path from its origin (the best arrival
    /// into its source, and so back), was new to its host as the detector scored it (a
    /// novelty feature: a new edge, a new account, an unusual authentication, a login from
    /// the internet): the way in shows someone who had not been there before.
    pub novel: bool,
}

impl Arrival {
    /// How well the arrival explains an intruder: a chain that began at a door, then the
    /// fewest logins from it, then a login new to the host (a routine one explains an intruder
    /// there no better than the host's everyday traffic, whatever its hour), then the
    /// surprise, then the latest.
    fn rank(&self, other: &Arrival) -> std::cmp::Ordering {
        self.door
            .cmp(&other.door)
            .then(other.steps.cmp(&self.steps))
            .then(self.novel.cmp(&other.novel))
            .then(self.score.total_cmp(&other.score))
            .then(self.hop.time.cmp(&other.hop.time))
    }

    fn better_than(&self, other: &Arrival) -> bool {
        self.rank(other).is_gt()
    }
}

/// The best arrivals into each inner host.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Arrivals {
    into: Vec<Vec<Arrival>>,
}

impl Arrivals {
    /// The best arrival into `host` within `window` before `t` (and up to `skew` after it:
    /// clocks of different hosts disagree by seconds).
    pub fn best(&self, host: u32, t: Time, window: i64, skew: i64) -> Option<&Arrival> {
        let (lo, hi) = (t.0.saturating_sub(window), t.0.saturating_add(skew));
        self.into
            .get(host as usize)?
            .iter()
            .filter(|a| a.hop.time.0 >= lo && a.hop.time.0 <= hi)
            .fold(None, |best: Option<&Arrival>, a| match best {
                Some(b) if !a.better_than(b) => Some(b),
                _ => Some(a),
            })
    }

    /// Where the chain `hop` continues began, whether an intrusion can begin there, in how
    /// many logins it reached `hop`'s destination, and whether a login before `hop` on that
    /// path was new to its host.
    pub fn origin_of(
        &self,
        hop: &Hop,
        foothold: impl Fn(u32) -> Foothold,
        window: i64,
        skew: i64,
    ) -> (u32, bool, u8, bool) {
        match foothold(hop.src) {
            // from outside the hosts we know: the chain begins on the host entered
            Foothold::Internet | Foothold::Pool => (hop.dst, true, 0, false),
            Foothold::Door => (hop.src, true, 1, false),
            Foothold::Inner => {
                self.best(hop.src, hop.time, window, skew).map_or((hop.src, false, 1, false), |a| {
                    (a.origin, a.door, a.steps.saturating_add(1), a.novel)
                })
            }
            Foothold::Unknown => (hop.src, false, 1, false),
        }
    }

    /// Keep `arrival` (a login into an inner host) if it is among the host's best within
    /// `window`; older ones are forgotten.
    pub fn record(&mut self, arrival: Arrival, window: i64) {
        let d = arrival.hop.dst as usize;
        if self.into.len() <= d {
            self.into.resize_with(d + 1, Vec::new);
        }
        let horizon = arrival.hop.time.0.saturating_sub(window);
        let kept = &mut self.into[d];
        kept.retain(|a| a.hop.time.0 >= horizon);
        if kept.len() < ARRIVALS_PER_HOST {
            kept.push(arrival);
            return;
        }
        let worst =
            (0..kept.len()).fold(0, |w, i| if kept[w].better_than(&kept[i]) { i } else { w });
        // ties go to the newcomer: it is the latest
        if !kept[worst].better_than(&arrival) {
            kept[worst] = arrival;
        }
    }

    /// Ask for the arrivals into `host` to be brought into cache (a hop out of it or into it is
    /// coming).
    pub(crate) fn prefetch(&self, host: u32) {
        if let Some(kept) = self.into.get(host as usize) {
            crate::detect::prefetch::prefetch_slice(kept);
        }
    }

    /// Forget every arrival (after a baseline: its logins do not carry into the case).
    pub fn clear(&mut self) {
        self.into.clear();
    }

    /// Arrivals kept in total.
    pub fn len(&self) -> usize {
        self.into.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000;
    const WINDOW: i64 = 96 * H;
    const SKEW: i64 = 5_000_000;

    // 0 internet, 1-2 doors, 3-5 inner, 6 unknown
    fn foothold(h: u32) -> Foothold {
        match h {
            0 => Foothold::Internet,
            1 | 2 => Foothold::Door,
            3..=5 => Foothold::Inner,
            _ => Foothold::Unknown,
        }
    }

    /// Record login `src → dst` at `hours` with `score`, its origin found as the detector does.
    fn login(a: &mut Arrivals, hours: i64, src: u32, dst: u32, score: f32) -> Arrival {
        login_new(a, hours, src, dst, score, false)
    }

    /// [`login`], new to `dst` when `novel`.
    fn login_new(
        a: &mut Arrivals,
        hours: i64,
        src: u32,
        dst: u32,
        score: f32,
        novel: bool,
    ) -> Arrival {
        let hop = Hop::test(hours * H, src, dst, 7);
        let (origin, door, steps, upstream) = a.origin_of(&hop, foothold, WINDOW, SKEW);
        let arrival = Arrival { hop, score, origin, door, steps, novel: novel || upstream };
        a.record(arrival, WINDOW);
        arrival
    }

    fn best(a: &Arrivals, host: u32, hours: i64) -> Option<(u32, i64, u32, bool, u8)> {
        a.best(host, Time(hours * H), WINDOW, SKEW)
            .map(|x| (x.hop.src, x.hop.time.0 / H, x.origin, x.door, x.steps))
    }

    #[test]
    fn an_origin_is_found_one_login_at_a_time_back_to_a_door() {
        let mut a = Arrivals::default();
        login(&mut a, 0, 1, 3, 0.0); // workstation 1 → server 3
        login(&mut a, 30, 3, 4, 0.0); // 3 → 4, 30 h later
        login(&mut a, 60, 4, 5, 0.0); // 4 → 5, 30 h later
        assert_eq!(
            best(&a, 5, 80),
            Some((4, 60, 1, true, 3)),
            "three unremarkable logins over 60 h"
        );
        assert_eq!(login(&mut a, 61, 0, 3, 0.0).origin, 3, "from the internet: the host entered");
        assert_eq!(
            login(&mut a, 62, 6, 4, 0.0).origin,
            6,
            "nothing known of an uninventoried source"
        );
        let lone = Hop::test(63 * H, 5, 4, 7);
        assert_eq!(
            Arrivals::default().origin_of(&lone, foothold, WINDOW, SKEW),
            (5, false, 1, false),
            "no login into 5 known"
        );
    }

    #[test]
    fn the_likeliest_arrival_began_at_a_door_then_is_closest_to_it_then_new_then_most_surprising_then_latest(
    ) {
        let mut a = Arrivals::default();
        login(&mut a, 0, 6, 3, 20.0); // unknown source: surprising, but no door behind it
        assert_eq!(best(&a, 3, 10).map(|b| b.0), Some(6), "the only one");
        login(&mut a, 1, 1, 4, 0.0); // 1 → 4
        login(&mut a, 2, 4, 3, 9.0); // door 1 → 4 → 3: two steps
        assert_eq!(
            best(&a, 3, 10).map(|b| b.0),
            Some(4),
            "a chain from a door beats a surprising one from nowhere"
        );
        login(&mut a, 3, 2, 3, 0.0); // door 2 → 3 directly
        assert_eq!(best(&a, 3, 10).map(|b| b.0), Some(2), "one step beats two, whatever the score");
        login(&mut a, 4, 1, 3, 5.0);
        assert_eq!(best(&a, 3, 10).map(|b| (b.0, b.1)), Some((1, 4)), "more surprising");
        login(&mut a, 5, 2, 3, 5.0);
        assert_eq!(best(&a, 3, 10).map(|b| (b.0, b.1)), Some((2, 5)), "as surprising, later");
        assert_eq!(
            best(&a, 3, 4).map(|b| (b.0, b.1)),
            Some((1, 4)),
            "nothing after the hop counts"
        );
        login_new(&mut a, 6, 1, 3, 1.0, true);
        assert_eq!(
            best(&a, 3, 10).map(|b| (b.0, b.1)),
            Some((1, 6)),
            "new to the host, whatever the score"
        );
        login_new(&mut a, 7, 4, 3, 30.0, true);
        assert_eq!(best(&a, 3, 10).map(|b| (b.0, b.1)), Some((1, 6)), "but not over a closer door");
    }

    #[test]
    fn a_login_is_new_when_one_before_it_on_its_path_was() {
        let mut a = Arrivals::default();
        login(&mut a, 0, 2, 3, 9.0); // door 2 → 3, routine
        login_new(&mut a, 1, 1, 3, 1.0, true); // door 1 → 3, new to 3
        let on = login(&mut a, 5, 3, 4, 0.0); // 3 → 4, routine itself
        assert_eq!((on.origin, on.novel), (1, true), "continues door 1's new login into 3");
        let fresh = login(&mut a, 6, 2, 5, 0.0);
        assert!(!fresh.novel, "out of a door a path starts afresh");
    }

    #[test]
    fn arrivals_are_bounded_per_host_and_forgotten_after_the_window() {
        let mut a = Arrivals::default();
        for i in 0..20 {
            login(&mut a, i, 1, 3, i as f32);
        }
        assert_eq!(a.len(), ARRIVALS_PER_HOST, "the best few kept");
        assert_eq!(best(&a, 3, 20).map(|b| b.1), Some(19));
        assert_eq!(best(&a, 3, 19 + 97), None, "older than the window");
        login(&mut a, 200, 2, 3, 0.0);
        assert_eq!(a.len(), 1, "expired ones are dropped when the host is next logged into");
        // a NaN score (never produced, but no panic and no poisoning)
        login(&mut a, 201, 1, 3, f32::NAN);
        assert!(best(&a, 3, 202).is_some());
    }
}
