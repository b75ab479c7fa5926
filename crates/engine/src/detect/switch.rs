//! Credential switches on a host, as the chain linker and the alert book use them.
//!
//! A login out of a host with account B links to the logins into the host with B when there
//! are any ("the same credential moving on"); otherwise to every login into it within the
//! window, which in a busy host leaves the chain's causal account unclear. A logged switch
//! A → B on the host (`sudo`, `su`, `pkexec`, `runuser`, Windows explicit credentials) says which
//! of those logins the hop continues: the ones with A. [`Switches::link`] finds that switch;
//! the detector then links, explains and claims the hop as if it were made with A, keeps the
//! switch's record as the hop's evidence and says so in its reasons
//! ([`crate::detect::score::Feature::SwitchedOnSource`]). The alert book learns the account an
//! intruder's account switched to on a host it holds (`AlertBook::took`).
//!
//! State is bounded like the chains': per host the last [`PER_HOST`] switches within the chain
//! window, never older ones.

use ahash::AHashMap;
use hopscope_model::{CredentialSwitch, Evidence, Outcome, SwitchKind, Time};

use crate::detect::chain::Chains;
use crate::graph::Hop;

/// Switches remembered per host.
pub const PER_HOST: usize = 8;

/// A successful switch remembered on its host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Switched {
    pub time: Time,
    pub from: u32,
    pub to: u32,
    /// The authentication label (the program) of the record.
    pub method: u32,
    pub kind: SwitchKind,
    /// The first record of the switch (a second record of it within the skew is the same switch).
    pub evidence: Evidence,
}

/// The recent switches of every host (by host id).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Switches {
    by_host: AHashMap<u32, Vec<Switched>>,
}

impl Switches {
    /// Remember `s` when it is a successful switch between two named accounts. Returns the
    /// switch remembered, or `None` for a failure, an unnamed account, or a second record of a
    /// switch already remembered (the same accounts within `skew`: sudo's own line and its PAM
    /// session line).
    pub fn observe(&mut self, s: &CredentialSwitch, window: i64, skew: i64) -> Option<Switched> {
        if s.outcome != Outcome::Success || s.from == 0 || s.to == 0 {
            return None;
        }
        let ring = self.by_host.entry(s.host).or_default();
        let horizon = s.time.0.saturating_sub(window);
        ring.retain(|x| x.time.0 >= horizon);
        if ring
            .iter()
            .any(|x| x.from == s.from && x.to == s.to && (x.time.0 - s.time.0).abs() <= skew)
        {
            return None;
        }
        if ring.len() >= PER_HOST {
            ring.remove(0);
        }
        let sw = Switched {
            time: s.time,
            from: s.from,
            to: s.to,
            method: s.method,
            kind: s.kind,
            evidence: s.evidence,
        };
        ring.push(sw);
        Some(sw)
    }

    /// The switch `hop` continues, if any: when no login into the hop's source within the
    /// chain window used the hop's own account, the latest switch on the source to that
    /// account, at most `window` before the hop (and up to `skew` after it), from an account
    /// one of those logins used before the switch.
    pub fn link(&self, hop: &Hop, chains: &Chains, window: i64, skew: i64) -> Option<Switched> {
        if hop.user == 0 {
            return None;
        }
        let ring = self.by_host.get(&hop.src)?;
        if chains.parents(hop.src, hop.time).any(|p| p.user == hop.user) {
            return None;
        }
        ring.iter()
            .rev()
            .filter(|s| {
                s.to == hop.user
                    && s.time.0 <= hop.time.0.saturating_add(skew)
                    && hop.time.0 - s.time.0 <= window
            })
            .find(|s| {
                chains
                    .parents(hop.src, hop.time)
                    .any(|p| p.user == s.from && p.time.0 <= s.time.0.saturating_add(skew))
            })
            .copied()
    }

    /// Hosts with a switch remembered (for statistics).
    pub fn hosts(&self) -> usize {
        self.by_host.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::chain::Trail;
    use hopscope_model::{Position, SourceFormat};

    const S: i64 = 1_000_000;
    const H: i64 = 3600 * S;

    fn switch(t: i64, host: u32, from: u32, to: u32) -> CredentialSwitch {
        CredentialSwitch {
            time: Time(t),
            host,
            from,
            to,
            outcome: Outcome::Success,
            kind: SwitchKind::Program,
            method: 1,
            format: SourceFormat::Sshd,
            evidence: Evidence { source: 2, position: Position::Line(t as u64) },
        }
    }

    fn login(c: &mut Chains, t: i64, src: u32, dst: u32, user: u32) {
        let h = Hop::test(t, src, dst, user);
        let trail = c.trail_for(&h, |_| crate::fleet::Foothold::Unknown, |a| a);
        c.record(&h, Trail { ..trail });
    }

    #[test]
    fn a_switch_links_the_login_out_to_the_login_in_of_the_account_before() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        let mut sw = Switches::default();
        // opsadmin (10) logs in to host 2 from 1, another person (11) from 3; opsadmin becomes
        // root (20) on 2; root logs in out of 2 to 4
        login(&mut c, 0, 1, 2, 10);
        login(&mut c, 60 * S, 3, 2, 11);
        assert!(sw.observe(&switch(120 * S, 2, 10, 20), 24 * H, 5 * S).is_some());
        // sudo's PAM line: the same switch
        assert!(sw.observe(&switch(120 * S, 2, 10, 20), 24 * H, 5 * S).is_none());
        let out = Hop::test(H, 2, 4, 20);
        let s = sw.link(&out, &c, 24 * H, 5 * S).expect("linked through the switch");
        assert_eq!((s.from, s.to, s.evidence.position), (10, 20, Position::Line(120 * S as u64)));
        // a switch on another host, to another account, or from an account that did not log
        // in links nothing
        assert!(sw.link(&Hop::test(H, 5, 4, 20), &c, 24 * H, 5 * S).is_none());
        assert!(sw.link(&Hop::test(H, 2, 4, 21), &c, 24 * H, 5 * S).is_none());
        sw.observe(&switch(130 * S, 2, 12, 21), 24 * H, 5 * S);
        assert!(sw.link(&Hop::test(H, 2, 4, 21), &c, 24 * H, 5 * S).is_none());
        // past the window the switch is forgotten
        assert!(sw.link(&Hop::test(25 * H, 2, 4, 20), &c, 24 * H, 5 * S).is_none());
        // when root itself logged in to the host, root moving on needs no switch
        login(&mut c, 2 * H, 6, 2, 20);
        assert!(sw.link(&Hop::test(3 * H, 2, 4, 20), &c, 24 * H, 5 * S).is_none());
    }

    #[test]
    fn failures_and_unnamed_accounts_are_not_remembered_and_memory_is_bounded() {
        let mut sw = Switches::default();
        let failed = CredentialSwitch { outcome: Outcome::Failure, ..switch(0, 2, 10, 20) };
        assert!(sw.observe(&failed, 24 * H, 5 * S).is_none());
        assert!(sw.observe(&switch(0, 2, 0, 20), 24 * H, 5 * S).is_none());
        for i in 0..100 {
            sw.observe(&switch(i * 60 * S, 2, 10, 100 + i as u32), 24 * H, 5 * S);
        }
        assert_eq!(sw.by_host[&2].len(), PER_HOST);
        assert_eq!(sw.by_host[&2].last().map(|s| s.to), Some(199));
    }
}
