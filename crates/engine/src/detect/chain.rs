//! Hop chains (after Ho et al., "Hopper", USENIX Security 2021): a login out of host B within
//! a window after a login into B continues the chain that login belongs to.
//!
//! State is bounded: each host remembers at most `k` recent inbound logins (distinct by
//! source and account), each carrying the summary of its chain ([`Trail`]), never the chain's
//! hops. Memory therefore grows with hosts, not events.

use crate::fleet::Foothold;
use crate::graph::Hop;
use hopscope_model::Time;

/// The account behind a chain: the one used at its origin.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Causal {
    /// Every path into the chain agrees on this account.
    Clear(u32),
    /// Paths disagree, or the origin's account is unknown.
    Unclear,
}

impl Causal {
    pub fn account(self) -> Option<u32> {
        match self {
            Causal::Clear(a) => Some(a),
            Causal::Unclear => None,
        }
    }
}

/// A chain's summary, as carried by each of its logins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Trail {
    /// The host the chain starts on: the door it last left (a workstation, an internet-facing
    /// host: where someone sat), or for a chain that never left one, its first host; for a
    /// chain entered from the internet, the host entered.
    pub origin: u32,
    pub causal: Causal,
    /// Time of the chain's first hop out of its origin.
    pub start: Time,
    /// Hops along the longest path so far, this one included.
    pub depth: u32,
    /// Alert the chain feeds (0 = none); an index into the alert book.
    pub alert: u32,
}

/// A remembered login into a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    pub time: Time,
    pub src: u32,
    pub user: u32,
    pub trail: Trail,
}

/// Inbound logins per host, bounded, used to link outbound logins to their chains.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Chains {
    inbound: Vec<Vec<Link>>,
    window: i64,
    skew: i64,
    k: usize,
}

impl Chains {
    /// `window`: how long after a login into a host a login out of it still links;
    /// `skew`: how far a login into a host may appear *after* the login out of it (clocks of
    /// different hosts disagree by seconds); `k`: candidate parents kept per host.
    pub fn new(window: i64, skew: i64, k: usize) -> Chains {
        Chains { inbound: Vec::new(), window, skew, k: k.max(1) }
    }

    /// The logins into `host` a login out of it at `t` links to, oldest first.
    pub fn parents(&self, host: u32, t: Time) -> impl Iterator<Item = &Link> {
        let (lo, hi) = (t.0.saturating_sub(self.window), t.0.saturating_add(self.skew));
        self.inbound
            .get(host as usize)
            .into_iter()
            .flatten()
            .filter(move |l| l.time.0 >= lo && l.time.0 <= hi)
    }

    /// The trail of `hop`: continued from its parents, or a new chain starting at its source.
    ///
    /// `foothold` tells what each host is. A chain entered from the internet starts on the
    /// host entered. A login out of a door ([`Foothold::Door`]: a workstation, an
    /// internet-facing host) continues its chain (account and depth), but the chain's origin
    /// moves to that door: someone sits at a door, and the helpdesk session into a
    /// workstation an hour before is not where its owner's login out of it began.
    /// `alert_root` resolves an alert index to the alert it was merged into (0 when gone).
    pub fn trail_for(
        &self,
        hop: &Hop,
        foothold: impl Fn(u32) -> Foothold,
        alert_root: impl FnMut(u32) -> u32,
    ) -> Trail {
        self.trail_from(hop, true, foothold, alert_root)
    }

    /// [`Chains::trail_for`], where `own_session` says whether a login into the source with
    /// the hop's own account may be the session the hop continues. The detector says no when
    /// that login is stale ([`crate::detect::score::Feature::StaleSession`]): a credential
    /// used long after its owner's login, from a host the owner never left with it, is not
    /// the owner moving on, and every login into the host within the window is a parent.
    pub fn trail_from(
        &self,
        hop: &Hop,
        own_session: bool,
        foothold: impl Fn(u32) -> Foothold,
        mut alert_root: impl FnMut(u32) -> u32,
    ) -> Trail {
        let source = foothold(hop.src);
        // When some login into the host used the hop's own account, the same credential
        // moving on is the likeliest cause: only those logins are parents. Otherwise every
        // login into the host within the window is.
        let same_account = own_session
            && hop.user != 0
            && self.parents(hop.src, hop.time).any(|p| p.user == hop.user);
        let mut trail: Option<Trail> = None;
        // the origin is taken from the most recent parent, not the oldest chain: in a busy
        // fleet benign chains relink daily and their starts are ancient
        let mut latest = Time::MIN;
        for p in self.parents(hop.src, hop.time).filter(|p| !same_account || p.user == hop.user) {
            let pt = p.trail;
            let alert = if pt.alert != 0 { alert_root(pt.alert) } else { 0 };
            let newer = p.time >= latest;
            latest = latest.max(p.time);
            trail = Some(match trail {
                None => Trail { alert, ..pt },
                Some(t) => Trail {
                    origin: if newer { pt.origin } else { t.origin },
                    start: if newer { pt.start } else { t.start },
                    causal: if t.causal == pt.causal { t.causal } else { Causal::Unclear },
                    depth: t.depth.max(pt.depth),
                    // the oldest alert wins; the detector merges the others
                    alert: match (t.alert, alert) {
                        (0, a) | (a, 0) => a,
                        (a, b) => a.min(b),
                    },
                },
            });
        }
        match trail {
            Some(t) if source == Foothold::Door => {
                Trail { origin: hop.src, start: hop.time, depth: t.depth.saturating_add(1), ..t }
            }
            Some(t) => Trail { depth: t.depth.saturating_add(1), ..t },
            None => {
                let account = if hop.src_user != 0 { hop.src_user } else { hop.user };
                Trail {
                    origin: if source == Foothold::Internet { hop.dst } else { hop.src },
                    causal: if account != 0 { Causal::Clear(account) } else { Causal::Unclear },
                    start: hop.time,
                    depth: 1,
                    alert: 0,
                }
            }
        }
    }

    /// For a hop out of an inner host ([`Foothold::Inner`]): the doors other than `trail`'s
    /// origin whose sessions reached its source within the window before it, latest first, at
    /// most [`crate::detect::alert::OTHER_SESSIONS`] ([`crate::detect::alert::AlertHop::other_sessions`]).
    /// Every remembered login counts, whatever its account: an intruder rides whichever
    /// session they sat in.
    pub fn other_sessions(
        &self,
        hop: &Hop,
        trail: &Trail,
        foothold: impl Fn(u32) -> Foothold,
    ) -> Doors {
        let mut out = Doors::NONE;
        if foothold(hop.src) != Foothold::Inner {
            return out;
        }
        // the parents latest first, without sorting into a vector (at most `k` of them): this
        // runs for every suspicious hop
        let key = |l: &Link| (l.time, l.src, l.user);
        let mut before: Option<(Time, u32, u32)> = None;
        while !out.is_full() {
            let Some(l) = self
                .parents(hop.src, hop.time)
                .filter(|l| before.is_none_or(|b| key(l) < b))
                .max_by_key(|l| key(l))
            else {
                break;
            };
            before = Some(key(l));
            let o = l.trail.origin;
            if o != trail.origin && o != hop.src && foothold(o) == Foothold::Door {
                out.push(o);
            }
        }
        out
    }

    /// Every distinct alert among `hop`'s parents (unresolved indexes), for merging.
    /// `own_session` as for [`Chains::trail_from`].
    pub fn parent_alerts(&self, hop: &Hop, own_session: bool, out: &mut Vec<u32>) {
        let same_account = own_session
            && hop.user != 0
            && self.parents(hop.src, hop.time).any(|p| p.user == hop.user);
        out.extend(
            self.parents(hop.src, hop.time)
                .filter(|p| !same_account || p.user == hop.user)
                .map(|l| l.trail.alert)
                .filter(|&a| a != 0),
        );
    }

    /// Whether a person's own session explains `hop` better than an intruder on its source:
    /// the latest login into the source within the window by the hop's account (the session
    /// the hop continues) came from a person's seat (`seat`: a workstation, learned or
    /// inventoried, or an address pool people sit behind) or along a chain that began at one,
    /// and no live alert carried it. A login from the internet or from another server
    /// explains nothing: that is where an intruder comes from too; and an administrator's
    /// session of the day before does not explain a login out of the host minutes after the
    /// same account came in from the internet. `alert_root` resolves an alert id (0 when
    /// gone).
    pub fn explained_by_session(
        &self,
        hop: &Hop,
        seat: impl Fn(u32) -> bool,
        mut alert_root: impl FnMut(u32) -> u32,
    ) -> bool {
        if hop.user == 0 {
            return false;
        }
        let own = || self.parents(hop.src, hop.time).filter(|p| p.user == hop.user);
        let Some(latest) = own().map(|p| p.time).max() else { return false };
        own().filter(|p| p.time == latest).any(|p| {
            (seat(p.src) || seat(p.trail.origin))
                && (p.trail.alert == 0 || alert_root(p.trail.alert) == 0)
        })
    }

    /// How long before `hop` its own account last logged in to its source within the window
    /// (`None` when it did not): the age of the session the hop would continue.
    pub fn own_session_age(&self, hop: &Hop) -> Option<i64> {
        if hop.user == 0 {
            return None;
        }
        self.parents(hop.src, hop.time)
            .filter(|p| p.user == hop.user)
            .map(|p| p.time.0)
            .max()
            .map(|t| hop.time.0.saturating_sub(t).max(0))
    }

    /// The oldest alert among `hop`'s parents that used `hop`'s own account (0 = none): the
    /// same credential moving on carries an alert through an unremarkable hop.
    pub fn same_account_alert(&self, hop: &Hop) -> u32 {
        self.parents(hop.src, hop.time)
            .filter(|p| hop.user != 0 && p.user == hop.user && p.trail.alert != 0)
            .map(|p| p.trail.alert)
            .min()
            .unwrap_or(0)
    }

    /// Remember `hop` (with its trail) as a login into its destination: replaces the entry
    /// with the same source and account, forgets entries older than the window, and evicts
    /// the oldest when `k` are kept.
    pub fn record(&mut self, hop: &Hop, trail: Trail) {
        let d = hop.dst as usize;
        if self.inbound.len() <= d {
            self.inbound.resize_with(d + 1, Vec::new);
        }
        let horizon = hop.time.0.saturating_sub(self.window);
        let ring = &mut self.inbound[d];
        ring.retain(|l| l.time.0 >= horizon && !(l.src == hop.src && l.user == hop.user));
        if ring.len() >= self.k {
            if let Some((i, _)) = ring.iter().enumerate().min_by_key(|(_, l)| l.time) {
                ring.remove(i);
            }
        }
        ring.push(Link { time: hop.time, src: hop.src, user: hop.user, trail });
    }

    /// Ask for the logins remembered for `host` to be brought into cache (a hop out of it or
    /// into it is coming).
    pub(crate) fn prefetch(&self, host: u32) {
        if let Some(ring) = self.inbound.get(host as usize) {
            crate::detect::prefetch::prefetch_slice(ring);
        }
    }

    /// Inbound logins remembered for `host`.
    pub fn inbound(&self, host: u32) -> &[Link] {
        self.inbound.get(host as usize).map_or(&[], Vec::as_slice)
    }

    /// Forget every remembered login (after a baseline: its chains do not continue into the
    /// case).
    pub fn clear(&mut self) {
        self.inbound.clear();
    }

    /// The alert ids the remembered logins hold (0 = none), for compacting the alert book.
    pub fn alert_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.inbound.iter().flatten().map(|l| l.trail.alert)
    }

    /// Rewrite every alert id the remembered logins hold through `new_id` (the alert book
    /// was compacted).
    pub fn remap_alerts(&mut self, new_id: impl Fn(u32) -> u32) {
        for l in self.inbound.iter_mut().flatten() {
            l.trail.alert = new_id(l.trail.alert);
        }
    }

    /// Links remembered in total (for statistics).
    pub fn links(&self) -> usize {
        self.inbound.iter().map(Vec::len).sum()
    }
}

/// Doors of other sessions kept per hop ([`crate::detect::alert::AlertHop::other_sessions`]).
pub const OTHER_SESSIONS: usize = 3;

/// Up to [`OTHER_SESSIONS`] distinct hosts, in the order added, held inline: an alert hop is
/// kept for every alert below the threshold too (1.6 M at once in a simulated maintenance
/// weekend), and a vector there cost a pointer and an allocation each, 87 MiB of peak
/// (docs/performance-detect.md, session 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Doors([u32; OTHER_SESSIONS]);

impl Doors {
    const EMPTY_SLOT: u32 = u32::MAX;
    pub const NONE: Doors = Doors([Doors::EMPTY_SLOT; OTHER_SESSIONS]);

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.0.iter().copied().take_while(|&h| h != Doors::EMPTY_SLOT)
    }

    pub fn is_empty(&self) -> bool {
        self.0[0] == Doors::EMPTY_SLOT
    }

    pub fn is_full(&self) -> bool {
        self.0[OTHER_SESSIONS - 1] != Doors::EMPTY_SLOT
    }

    /// Add `host` unless it is held already or all slots are taken.
    pub fn push(&mut self, host: u32) {
        if host == Doors::EMPTY_SLOT || self.iter().any(|h| h == host) {
            return;
        }
        if let Some(slot) = self.0.iter_mut().find(|h| **h == Doors::EMPTY_SLOT) {
            *slot = host;
        }
    }
}

impl Default for Doors {
    fn default() -> Doors {
        Doors::NONE
    }
}

impl FromIterator<u32> for Doors {
    fn from_iter<I: IntoIterator<Item = u32>>(hosts: I) -> Doors {
        let mut d = Doors::NONE;
        for h in hosts {
            d.push(h);
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;
    const H: i64 = 3600 * S;

    fn hop(t: i64, src: u32, dst: u32, user: u32) -> Hop {
        Hop::test(t, src, dst, user)
    }

    /// Link and record a hop the way the detector does.
    fn step(c: &mut Chains, h: Hop) -> Trail {
        let t = c.trail_for(&h, |_| Foothold::Unknown, |a| a);
        c.record(&h, t);
        t
    }

    #[test]
    fn the_latest_session_of_the_account_is_the_one_that_explains_a_hop() {
        // 1 is a workstation (a seat), 9 the internet; 2 the server
        let seat = |h: u32| h == 1;
        let mut c = Chains::new(24 * H, 5 * S, 8);
        // the administrator (10) from their workstation into the server in the morning
        step(&mut c, hop(0, 1, 2, 10));
        let out = hop(2 * H, 2, 3, 10);
        assert!(c.explained_by_session(&out, seat, |a| a), "their own session explains it");
        // twenty hours later the same account comes in from the internet; minutes after, a
        // login out of the server with it: the morning's session does not explain that
        step(&mut c, hop(20 * H, 9, 2, 10));
        let out = hop(20 * H + 25 * 60 * S, 2, 3, 10);
        assert!(!c.explained_by_session(&out, seat, |a| a));
        assert_eq!(c.own_session_age(&out), Some(25 * 60 * S));
        // back from the workstation: explained again
        step(&mut c, hop(21 * H, 1, 2, 10));
        assert!(c.explained_by_session(&hop(21 * H + 60 * S, 2, 3, 10), seat, |a| a));
        assert_eq!(c.own_session_age(&hop(21 * H, 2, 3, 11)), None, "another account's");
    }

    #[test]
    fn without_its_own_session_a_hop_continues_every_login_into_its_source() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        // the administrator (10) from 1 into the server 3 long ago; a user (11) from 2 just now
        step(&mut c, hop(0, 1, 3, 10));
        step(&mut c, hop(16 * H, 2, 3, 11));
        let out = hop(16 * H + 30 * 60 * S, 3, 4, 10);
        let own = c.trail_from(&out, true, |_| Foothold::Unknown, |a| a);
        assert_eq!((own.origin, own.causal), (1, Causal::Clear(10)), "the same credential");
        let any = c.trail_from(&out, false, |_| Foothold::Unknown, |a| a);
        assert_eq!((any.origin, any.causal), (2, Causal::Unclear), "the latest login's origin");
    }

    #[test]
    fn links_within_the_window_not_after() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        step(&mut c, hop(0, 1, 2, 10));
        let inside = c.trail_for(&hop(24 * H, 2, 3, 11), |_| Foothold::Unknown, |a| a);
        assert_eq!((inside.origin, inside.depth, inside.causal), (1, 2, Causal::Clear(10)));
        let outside = c.trail_for(&hop(24 * H + 1, 2, 3, 11), |_| Foothold::Unknown, |a| a);
        assert_eq!((outside.origin, outside.depth, outside.causal), (2, 1, Causal::Clear(11)));
    }

    #[test]
    fn a_chain_leaving_a_door_begins_there() {
        // 1 and 2 are workstations (doors), 3 a server
        let foothold = |h: u32| if h <= 2 { Foothold::Door } else { Foothold::Inner };
        let mut c = Chains::new(24 * H, 5 * S, 8);
        // the helpdesk (account 10) from workstation 1 into workstation 2
        let helpdesk = c.trail_for(&hop(0, 1, 2, 10), foothold, |a| a);
        c.record(&hop(0, 1, 2, 10), helpdesk);
        // an hour later, from workstation 2 to the server: the chain goes on (its account,
        // its depth), but it began on workstation 2, when it left
        let out = c.trail_for(&hop(H, 2, 3, 11), foothold, |a| a);
        assert_eq!(
            (out.origin, out.start, out.causal, out.depth),
            (2, Time(H), Causal::Clear(10), 2)
        );
        // a server passes its chain's origin on unchanged
        c.record(&hop(H, 2, 3, 11), out);
        let on = c.trail_for(&hop(2 * H, 3, 4, 11), foothold, |a| a);
        assert_eq!((on.origin, on.start, on.depth), (2, Time(H), 3));
    }

    #[test]
    fn clock_skew_of_a_few_seconds_still_links() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        // the login into 2 is stamped 3 s after the login out of it
        step(&mut c, hop(100 * S + 3 * S, 1, 2, 10));
        assert_eq!(c.trail_for(&hop(100 * S, 2, 3, 11), |_| Foothold::Unknown, |a| a).origin, 1);
        // but not 6 s
        let mut c = Chains::new(24 * H, 5 * S, 8);
        step(&mut c, hop(106 * S, 1, 2, 10));
        assert_eq!(c.trail_for(&hop(100 * S, 2, 3, 11), |_| Foothold::Unknown, |a| a).origin, 2);
    }

    #[test]
    fn loops_terminate_and_keep_their_origin() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        let mut last = step(&mut c, hop(0, 1, 2, 10));
        for i in 1..1000 {
            let (s, d) = if i % 2 == 1 { (2, 1) } else { (1, 2) };
            last = step(&mut c, hop(i * 60 * S, s, d, 10));
        }
        assert_eq!(last.origin, 1);
        assert_eq!(last.causal, Causal::Clear(10));
        assert_eq!(last.depth, 1000);
        assert!(c.links() <= 2);
    }

    #[test]
    fn a_host_with_thousands_of_parents_stays_bounded() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        for i in 0..5000u32 {
            step(&mut c, hop(i as i64 * S, 100 + i, 1, 1000 + i));
        }
        assert_eq!(c.inbound(1).len(), 8);
        // the most recent eight are kept
        assert!(c.inbound(1).iter().all(|l| l.src >= 100 + 4992));
        let t = c.trail_for(&hop(5000 * S, 1, 2, 7), |_| Foothold::Unknown, |a| a);
        assert_eq!(t.causal, Causal::Unclear);
        // same source and account replace each other
        for i in 0..100 {
            step(&mut c, hop(6000 * S + i, 50, 3, 5));
        }
        assert_eq!(c.inbound(3).len(), 1);
    }

    #[test]
    fn alert_ids_of_remembered_logins_are_listed_and_rewritten() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        let t = c.trail_for(&hop(0, 1, 2, 10), |_| Foothold::Unknown, |a| a);
        c.record(&hop(0, 1, 2, 10), Trail { alert: 7, ..t });
        c.record(&hop(S, 3, 2, 11), Trail { alert: 9, ..t });
        c.record(&hop(2 * S, 1, 4, 10), t);
        let mut ids: Vec<u32> = c.alert_ids().collect();
        ids.sort_unstable();
        assert_eq!(ids, vec![0, 7, 9]);
        c.remap_alerts(|a| match a {
            7 => 2,
            9 => 3,
            _ => 0,
        });
        let mut after: Vec<(u32, u32)> =
            [2, 4].iter().flat_map(|&h| c.inbound(h)).map(|l| (l.src, l.trail.alert)).collect();
        after.sort_unstable();
        assert_eq!(after, vec![(1, 0), (1, 2), (3, 3)]);
        let mut out = Vec::new();
        c.parent_alerts(&hop(3 * S, 2, 5, 12), true, &mut out);
        out.sort_unstable();
        assert_eq!(out, vec![2, 3]);
    }

    #[test]
    fn causal_account_clear_when_paths_agree_unclear_otherwise() {
        let mut c = Chains::new(24 * H, 5 * S, 8);
        // alice: 1 -> 2, and alice: 1 -> 3 -> 2. Everything into 2 has causal alice.
        step(&mut c, hop(0, 1, 2, 10));
        step(&mut c, hop(S, 1, 3, 10));
        step(&mut c, hop(2 * S, 3, 2, 20)); // credential switch on the way, same causal
        let t = step(&mut c, hop(3 * S, 2, 4, 30));
        assert_eq!(t.causal, Causal::Clear(10));
        assert_eq!(t.depth, 3);
        // bob also logs into 2: the next hop out of 2 has two candidate causes
        step(&mut c, hop(4 * S, 5, 2, 40));
        let t = step(&mut c, hop(5 * S, 2, 6, 30));
        assert_eq!(t.causal, Causal::Unclear);
        // ... unless one of them used the hop's own account: the same credential moving on
        step(&mut c, hop(5 * S + 1, 5, 2, 30));
        let t = c.trail_for(&hop(5 * S + 2, 2, 6, 30), |_| Foothold::Unknown, |a| a);
        assert_eq!((t.causal, t.origin), (Causal::Clear(30), 5));
        // src_user names the origin account when the source gives it
        let root = c.trail_for(
            &Hop { src_user: 99, ..hop(6 * S, 7, 8, 98) },
            |_| Foothold::Unknown,
            |a| a,
        );
        assert_eq!(root.causal, Causal::Clear(99));
        // a chain entered from the internet starts on the host entered
        let from_internet = c.trail_for(
            &hop(7 * S, 9, 8, 98),
            |h| if h == 9 { Foothold::Internet } else { Foothold::Unknown },
            |a| a,
        );
        assert_eq!(from_internet.origin, 8);
    }
}
