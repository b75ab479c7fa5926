//! Hops seen from their source alone (`source-side`: the RDP client's 1024/1102, the WinRM
//! client's 6, Sysmon 3, a 4648 towards another server), held until the destination's own
//! record of the same login can claim them.
//!
//! One login logged at both ends is one hop: the destination's record (4624, an sshd line) is
//! the hop and says who logged on and whether it worked; the source's record becomes its
//! supporting evidence. The destination's record comes up to the clock skew before the
//! source's (then [`crate::detect::detector`]'s duplicate merge joins them) or after it, by the
//! time a person takes to type a password at the RDP client's prompt: a source-side hop
//! therefore waits [`JOIN`] for it. A failed logon at the destination claims it too (the
//! connection was a failed attempt, already counted as one). A source-side hop nothing claims
//! is a hop of its own, marked as such, processed when its wait is over: up to [`JOIN`] later
//! than its time, so a login out of its destination within that wait does not link to it.

use std::collections::VecDeque;

use hopscope_model::Evidence;

use crate::graph::{FailedLogin, Hop};
use crate::units::SECOND;

/// How long a source-side hop waits for its destination's record (2 minutes).
pub const JOIN: i64 = 120 * SECOND;

/// A source-side hop waiting, with the evidence of other source-side records of it (the RDP
/// client's 1024 and 1102 of one connection).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Held {
    pub hop: Hop,
    pub extra: Vec<Evidence>,
}

/// The source-side hops waiting, oldest first.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Outgoing {
    held: VecDeque<Held>,
}

/// Whether `a` and `b` can be one login: same source and destination, the same account where
/// both name one, `b` at most `skew` before `a`'s time and at most [`JOIN`] after it.
fn joins(a: &Hop, src: u32, dst: u32, user: u32, t: i64, skew: i64) -> bool {
    a.src == src
        && a.dst == dst
        && (a.user == user || a.user == 0 || user == 0)
        && t >= a.time.0.saturating_sub(skew)
        && t <= a.time.0.saturating_add(JOIN)
}

impl Outgoing {
    /// Whether `hop` is seen from its source alone.
    pub fn is_source_side(hop: &Hop) -> bool {
        hop.flags.contains(hopscope_model::EventFlags::SOURCE_SIDE)
    }

    /// Hold a source-side hop; another source-side record of a login already held joins it.
    /// Returns whether it joined one.
    pub fn hold(&mut self, hop: Hop, skew: i64) -> bool {
        if let Some(h) = self
            .held
            .iter_mut()
            .find(|h| joins(&h.hop, hop.src, hop.dst, hop.user, hop.time.0, skew))
        {
            let other = h.hop.absorb(hop);
            h.extra.push(other.evidence);
            return true;
        }
        self.held.push_back(Held { hop, extra: Vec::new() });
        false
    }

    /// The held hop the destination's record `hop` is another record of, taken out.
    pub fn claim(&mut self, hop: &Hop, skew: i64) -> Option<Held> {
        let i = self
            .held
            .iter()
            .position(|h| joins(&h.hop, hop.src, hop.dst, hop.user, hop.time.0, skew))?;
        self.held.remove(i)
    }

    /// The held hop a failed logon at its destination answers, taken out.
    pub fn claim_failure(&mut self, f: &FailedLogin, skew: i64) -> Option<Held> {
        let i =
            self.held.iter().position(|h| joins(&h.hop, f.src, f.dst, f.user, f.time.0, skew))?;
        self.held.remove(i)
    }

    /// The held hops whose wait is over at `limit` (time before it), oldest first.
    pub fn release(&mut self, limit: i64) -> Vec<Held> {
        let mut out = Vec::new();
        while self.held.front().is_some_and(|h| h.hop.time.0 < limit) {
            out.extend(self.held.pop_front());
        }
        out
    }

    /// Hops held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::{EventFlags, Position};

    fn source_side(t: i64, src: u32, dst: u32, user: u32) -> Hop {
        let mut h = Hop::test(t, src, dst, user);
        h.flags = EventFlags::SOURCE_SIDE;
        h.primary = false;
        h
    }

    #[test]
    fn the_destinations_record_claims_the_sources_within_the_wait() {
        let skew = 5 * SECOND;
        let mut o = Outgoing::default();
        // the RDP client's 1024 and 1102 of one connection: one held hop
        assert!(!o.hold(source_side(0, 1, 2, 0), skew));
        assert!(o.hold(source_side(SECOND, 1, 2, 0), skew));
        assert_eq!(o.len(), 1);
        // another destination, or too late: not this login
        assert!(o.claim(&Hop::test(30 * SECOND, 1, 3, 7), skew).is_none());
        assert!(o.claim(&Hop::test(JOIN + SECOND, 1, 2, 7), skew).is_none());
        let held = o.claim(&Hop::test(30 * SECOND, 1, 2, 7), skew).expect("claimed");
        assert_eq!(
            held.extra,
            vec![hopscope_model::Evidence { source: 1, position: Position::Line(SECOND as u64) }]
        );
        assert!(o.is_empty());
        // a failure at the destination answers it too
        o.hold(source_side(0, 1, 2, 0), skew);
        let f = FailedLogin {
            time: hopscope_model::Time(10 * SECOND),
            src: 1,
            dst: 2,
            src_addr: 0,
            user: 7,
            evidence: hopscope_model::Evidence { source: 1, position: Position::Line(9) },
        };
        assert!(o.claim_failure(&f, skew).is_some());
        // unclaimed, it is released when its wait is over, not before
        o.hold(source_side(0, 1, 2, 0), skew);
        assert!(o.release(0).is_empty());
        assert_eq!(o.release(1).len(), 1);
    }

    #[test]
    fn accounts_that_disagree_are_two_logins() {
        let mut o = Outgoing::default();
        o.hold(source_side(0, 1, 2, 5), 5 * SECOND);
        assert!(o.claim(&Hop::test(SECOND, 1, 2, 6), 5 * SECOND).is_none());
        assert!(o.claim(&Hop::test(SECOND, 1, 2, 5), 5 * SECOND).is_some());
    }
}
