//! How surprising one hop is, in bits, feature by feature.
//!
//! Where history gives a probability, a feature is worth `-log2(p)` of a smoothed estimate;
//! where it cannot (inventory facts, flags), a fixed weight, named below. Features split in
//! two groups:
//!
//! - **novelty** (something never seen before: an edge, an account on a host, a credential
//!   switch, a protocol or logon type for the account, pass-the-hash, a brute force that
//!   worked): a hop with at least one is *suspicious*;
//! - **context** (cross-country, weak source, crown-jewel destination, odd hour, remote
//!   service install): they add to a suspicious hop's score but never make a hop suspicious
//!   on their own: a decommissioning server doing its usual job is a hygiene finding, not an
//!   intrusion.
//!
//! The formula and a worked example are in `docs/detection.md`.

use crate::detect::chain::Trail;
use crate::detect::history::{hour_of_day, reach_share, History, CHANGE_WINDOW_SPREADERS};
use crate::fleet::Fleet;
use crate::graph::Hop;
use hopscope_model::{EventFlags, Lifecycle, LogonType};

const DAY: i64 = 86_400_000_000;

/// Each probability-based feature is capped, so one feature cannot drown the others.
pub const CAP_NEW_EDGE_SIDE: f64 = 10.0;
pub const CAP_NEW_ACCOUNT: f64 = 10.0;
pub const CAP_COUNTRY_PAIR: f64 = 12.0;
pub const CAP_SITE_PAIR: f64 = 4.0;
pub const CAP_UNUSUAL_AUTH: f64 = 8.0;
pub const CAP_UNUSUAL_LOGON_TYPE: f64 = 4.0;
pub const CAP_HOUR: f64 = 6.0;
pub const CAP_INTERNET_LOGIN: f64 = 10.0;
/// An internet login is novelty when the destination accepts fewer than one in eight of its
/// logins from outside (3 bits): the door is not one people routinely use.
pub const INTERNET_LOGIN_NOVELTY: f64 = 3.0;
/// An account that has logged in to a host from the internet this many times before reaches it
/// from outside by habit (an administrator from home, a partner's daily transfer): its next
/// login from outside is not novelty. Twice, not once: one earlier login may be the intruder's.
pub const ROUTINE_REMOTE_LOGINS: u32 = 2;
/// Fixed weights (no probability exists).
pub const W_CREDENTIAL_SWITCH: f64 = 6.0;
/// A session is stale when fewer than one in 16 of the sessions the fleet's hops continued
/// were moved on from as late (4 bits): the same rarity as a rare destination.
pub const STALE_SESSION_SHARE: f64 = 1.0 / 16.0;
pub const CAP_STALE_SESSION: f64 = 8.0;
pub const W_PASS_THE_HASH_FLAG: f64 = 6.0;
pub const W_NEW_CREDENTIALS: f64 = 3.0;
pub const W_DECOMMISSIONING: f64 = 4.0;
pub const W_RETIRED: f64 = 6.0;
pub const W_STALE_PATCH: f64 = 2.0;
pub const W_STALE_PATCH_PER_YEAR: f64 = 1.0;
pub const CAP_STALE_PATCH: f64 = 5.0;
pub const W_INTERNET_FACING: f64 = 2.0;
pub const W_INTERNET_LOGINS: f64 = 3.0;
pub const W_CRITICAL: f64 = 3.0;
pub const W_HIGH: f64 = 2.0;
pub const W_HOLDS_DATA: f64 = 2.0;
pub const W_RESTRICTED: f64 = 3.0;
pub const W_BRUTE_FORCE: f64 = 2.0;
pub const CAP_BRUTE_FORCE: f64 = 8.0;
pub const W_SERVICE_INSTALL: f64 = 4.0;
pub const W_ADMIN_SHARE: f64 = 2.0;
/// Failures before a success that make a brute force.
pub const BRUTE_FORCE_FAILURES: u32 = 3;
/// An account's habits (protocols, hours) count only after this many logins.
pub const MIN_HABIT_LOGINS: u32 = 5;
pub const MIN_HOUR_LOGINS: u32 = 20;
/// Patch age that makes a host weak.
pub const STALE_PATCH_DAYS: i64 = 365;
/// Logins of an account out of a source that make the pair *familiar*: the account's own
/// origin (a person's workstation, an admin's jump host).
pub const FAMILIAR_LOGINS: u32 = 5;
/// An account roams when at least one of its logins in four came from a source it had never
/// logged in out of ([`Feature::RoamingAccount`]): a person keeps to one or two machines over
/// hundreds of logins (a rate near 0), a pool of runners or addresses shows a new source
/// every few logins.
pub const ROAMING_RATE: f64 = 0.25;

/// One reason a hop is surprising, with what the explanation needs.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Feature {
    /// Never-seen source → destination.
    NewEdge,
    /// The account never logged on to the destination.
    NewAccountOnDestination,
    /// The account never logged in *out of* the source before (an intruder using
    /// credentials the source never used).
    NewAccountOnSource,
    /// The hop uses an account the chain's causal account (`from`) never used, and that
    /// never logged in out of this source before.
    CredentialSwitch { from: u32 },
    /// The account never logged in out of the source before, and its own login into the
    /// source was `minutes` before the hop: later than the fleet's sessions are usually moved
    /// on from (fewer than one in [`STALE_SESSION_SHARE`]). A credential used long after its
    /// owner's login, from a host the owner never left with it, is one found there.
    StaleSession { minutes: u32 },
    /// An auth label the account never used; `usual` is the one it uses most.
    UnusualAuth { usual: u32 },
    /// A logon type the account never used; `usual` is its most common code.
    UnusualLogonType { usual: u8 },
    /// A login from the `internet` pseudo-host into a host that rarely accepts one: `seen`
    /// such logins before among the destination's `logins`.
    InternetLogin { seen: u32, logins: u32 },
    /// A login from the `internet` pseudo-host with an account that logged on to the
    /// destination `visits` times before, never from outside: a door partners use every day
    /// is not one this account uses.
    AccountFromOutside { visits: u32 },
    /// The pass-the-hash flag (`flagged`), or a new-credentials logon (type 9) without it.
    PassTheHash { flagged: bool },
    /// `failures` failed logons from the same source before this success.
    BruteForce { failures: u32 },
    /// Between countries; `seen` hops between this pair before.
    CrossCountry { seen: u32 },
    /// Between sites of one country; `seen` hops between this pair before.
    CrossSite { seen: u32 },
    /// The source host is being decommissioned.
    Decommissioning,
    /// The source host is retired.
    Retired,
    /// The source host's last patch is older than a year at the hop (`days` old).
    StalePatch { days: u32 },
    /// The source host is internet-facing (or the destination, entered from the internet),
    /// and the hop's chain begins there: not a chain from a door inside the fleet passing
    /// through.
    InternetFacing,
    /// The source host has accepted logins from the internet, and the hop's chain begins there.
    InternetLogins,
    /// The destination's criticality is high (3) or critical (4).
    CrownJewel { criticality: u8 },
    /// The destination holds data of `clients` client organisations.
    HoldsData { clients: u32 },
    /// Some of it is restricted.
    RestrictedData,
    /// The account rarely logs on at this hour (UTC).
    UnusualHour { hour: u8 },
    /// A service was installed right after the logon (PsExec-style).
    ServiceInstall,
    /// An administrative share was accessed.
    AdminShare,
    /// The account logged in out of the source `logins` times before and reaches new
    /// destinations routinely (`rate` of its logins went somewhere new, per mille): its new
    /// edge and new destination are discounted (negative bits) and do not make the hop
    /// suspicious. Never applied out of a host a raised alert reached.
    RoutineSource { logins: u32, rate: u16 },
    /// Not a reason of its own (0 bits): the hop reached the source of a suspicious hop
    /// shortly before it, and joined that hop's alert as its lead-in ([`crate::detect::lead`]).
    LeadIn,
    /// The account logs in out of sources it never used before routinely (`rate` of its
    /// logins came from a new source, per mille, over `sources` sources) and it is not yet at
    /// home on this source ([`Feature::RoutineSource`]): a pool of CI
    /// runners, a roaming laptop's addresses. Its new source and new edge are discounted to
    /// that habit (negative bits) and do not make the hop suspicious. Never applied to a hop
    /// a raised alert's intruder is present for.
    RoamingAccount { sources: u32, rate: u16 },
    /// The account reached `rare` distinct destinations it rarely goes to (each fewer than
    /// one of its logins in 16) out of one source within one spread window, more than it ever
    /// did out of any source (`usual`):
    /// an intruder exploring with a person's own credentials along edges that person has
    /// used, one rarely-used server after another.
    Spread { rare: u8, usual: u8 },
    /// Not a reason of its own (0 bits): on the source, shortly before the hop, the host's log
    /// recorded `from` becoming the hop's account (`method` the program's label, 0 for none), and
    /// a login with `from` into the source is the chain the hop continues
    /// ([`crate::detect::switch`]). The switch's record is the hop's last evidence.
    SwitchedOnSource { from: u32, method: u32, kind: hopscope_model::SwitchKind },
}

impl Feature {
    /// Novelty features make a hop suspicious; context features only add to it.
    pub fn is_novelty(&self) -> bool {
        matches!(
            self,
            Feature::NewEdge
                | Feature::NewAccountOnDestination
                | Feature::NewAccountOnSource
                | Feature::CredentialSwitch { .. }
                | Feature::UnusualAuth { .. }
                | Feature::UnusualLogonType { .. }
                | Feature::PassTheHash { .. }
                | Feature::BruteForce { .. }
                | Feature::InternetLogin { .. }
                | Feature::AccountFromOutside { .. }
                | Feature::Spread { .. }
        )
    }
    /// A stable name for output (`new-edge`, `cross-country`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Feature::NewEdge => "new-edge",
            Feature::NewAccountOnDestination => "new-account-on-destination",
            Feature::NewAccountOnSource => "new-account-on-source",
            Feature::CredentialSwitch { .. } => "credential-switch",
            Feature::UnusualAuth { .. } => "unusual-auth",
            Feature::UnusualLogonType { .. } => "unusual-logon-type",
            Feature::InternetLogin { .. } => "internet-login",
            Feature::AccountFromOutside { .. } => "account-from-outside",
            Feature::PassTheHash { .. } => "pass-the-hash",
            Feature::BruteForce { .. } => "brute-force",
            Feature::CrossCountry { .. } => "cross-country",
            Feature::CrossSite { .. } => "cross-site",
            Feature::Decommissioning => "source-decommissioning",
            Feature::Retired => "source-retired",
            Feature::StalePatch { .. } => "source-stale-patch",
            Feature::InternetFacing => "source-internet-facing",
            Feature::InternetLogins => "source-internet-logins",
            Feature::CrownJewel { .. } => "crown-jewel",
            Feature::HoldsData { .. } => "holds-client-data",
            Feature::RestrictedData => "restricted-data",
            Feature::UnusualHour { .. } => "unusual-hour",
            Feature::ServiceInstall => "service-install",
            Feature::AdminShare => "admin-share",
            Feature::RoutineSource { .. } => "routine-source",
            Feature::LeadIn => "lead-in",
            Feature::RoamingAccount { .. } => "roaming-account",
            Feature::Spread { .. } => "spread",
            Feature::SwitchedOnSource { .. } => "switched-on-source",
            Feature::StaleSession { .. } => "stale-session",
        }
    }
}

/// A feature and the bits it adds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Contribution {
    pub feature: Feature,
    pub bits: f64,
}

/// `-log2(p)`, capped.
fn surprise(p: f64, cap: f64) -> f64 {
    (-p.log2()).clamp(0.0, cap)
}

/// A hop's contributions, in a fixed order (novelty first). Empty when nothing is odd.
pub fn score_hop(hop: &Hop, trail: &Trail, history: &History, fleet: &Fleet) -> Vec<Contribution> {
    score_hop_in(hop, trail, history, fleet, false, None)
}

/// [`score_hop`], knowing whether a raised alert already reached the source (`reached`):
/// then nothing out of it is routine; and how long before the hop its own account last
/// logged in to its source within the chain window (`session_age`, [`Feature::StaleSession`]).
pub fn score_hop_in(
    hop: &Hop,
    trail: &Trail,
    history: &History,
    fleet: &Fleet,
    reached: bool,
    session_age: Option<i64>,
) -> Vec<Contribution> {
    let mut out = Vec::new();
    score_hop_into(hop, trail, history, fleet, reached, session_age, &mut out);
    out
}

/// The bits of `hop`'s own session into its source, `age` old, when it is stale
/// ([`Feature::StaleSession`]): the account never left the source before and as late a move
/// is rare among the fleet's sessions. `None` otherwise, and while the fleet's sessions say
/// nothing yet. The detector asks it before linking the hop (a stale session is no parent),
/// the scorer to add the feature: one definition for both.
pub fn stale_session(hop: &Hop, history: &History, fleet: &Fleet, age: Option<i64>) -> Option<f64> {
    let age = age?;
    if hop.user == 0
        || history.logins_from(hop.user, hop.src) != 0
        || fleet.host(hop.src).is_internet
    {
        return None;
    }
    let share = history.session_ages().share_at_least(age)?;
    (share < STALE_SESSION_SHARE).then(|| surprise(share, CAP_STALE_SESSION))
}

/// [`score_hop_in`] into `out` (cleared first). The detector scores every hop but keeps the
/// contributions of few (suspicious hops and lead-ins): it reuses one buffer rather than
/// allocating a vector per hop.
pub fn score_hop_into(
    hop: &Hop,
    trail: &Trail,
    history: &History,
    fleet: &Fleet,
    reached: bool,
    session_age: Option<i64>,
    out: &mut Vec<Contribution>,
) {
    out.clear();
    let familiar =
        if reached || hop.user == 0 { 0 } else { history.logins_from(hop.user, hop.src) };
    let mut exploration = 0.0;
    let mut new_account_bits = 0.0;
    let mut add = |feature: Feature, bits: f64| {
        if bits > 0.0 {
            out.push(Contribution { feature, bits });
        }
    };
    let (hs, hd) = (history.host(hop.src), history.host(hop.dst));

    // never-seen edge: how often does the source reach somewhere new, and how often is the
    // destination reached from somewhere new (Laplace-smoothed rates)?
    if !history.edge_seen(hop.src, hop.dst) {
        let from_src = (hs.out_distinct as f64 + 1.0) / (hs.out_logins as f64 + 2.0);
        let into_dst = (hd.in_distinct as f64 + 1.0) / (hd.in_logins as f64 + 2.0);
        let bits = surprise(from_src, CAP_NEW_EDGE_SIDE) + surprise(into_dst, CAP_NEW_EDGE_SIDE);
        exploration += bits;
        add(Feature::NewEdge, bits);
    }
    let visits = if hop.user != 0 { history.visits(hop.user, hop.dst) } else { 0 };
    if hop.user != 0 && visits == 0 {
        let p = (hd.accounts_distinct as f64 + 1.0) / (hd.in_logins as f64 + 2.0);
        let bits = surprise(p, CAP_NEW_ACCOUNT);
        exploration += bits;
        new_account_bits = bits;
        add(Feature::NewAccountOnDestination, bits);
    }
    // more rarely-visited destinations within one window than the account ever reached,
    // outside a change window in which several accounts spread at once
    if let Some((rare, usual)) = history.spread(hop, visits) {
        if history.other_spreaders(hop.user, hop.time) < CHANGE_WINDOW_SPREADERS {
            let logins = history.account(hop.user).map_or(0, |a| a.logins);
            let share = reach_share(visits, logins);
            let bits = (surprise(share, CAP_NEW_ACCOUNT) - new_account_bits).max(1.0);
            add(Feature::Spread { rare: rare.min(255) as u8, usual }, bits);
        }
    }
    if hop.user != 0
        && history.logins_from(hop.user, hop.src) == 0
        && !fleet.host(hop.src).is_internet
    {
        let p = (hs.out_accounts_distinct as f64 + 1.0) / (hs.out_logins as f64 + 2.0);
        add(Feature::NewAccountOnSource, surprise(p, CAP_NEW_ACCOUNT));
    }
    if let Some(causal) = trail.causal.account() {
        // a service account that routinely logs out of this host is not a switch, whoever
        // logged in before it
        if trail.depth > 1
            && hop.user != 0
            && hop.user != causal
            && !history.switch_seen(causal, hop.user)
            && !history.account_seen_from(hop.user, hop.src)
        {
            add(Feature::CredentialSwitch { from: causal }, W_CREDENTIAL_SWITCH);
        }
    }
    // the account never left the source, and its own login into it is older than the fleet's
    // sessions are usually moved on from
    if let (Some(bits), Some(age)) = (stale_session(hop, history, fleet, session_age), session_age)
    {
        let minutes = (age / 60_000_000).clamp(0, u32::MAX as i64) as u32;
        add(Feature::StaleSession { minutes }, bits);
    }
    let account = history.account(hop.user).filter(|_| hop.user != 0);
    if let Some(a) = account.filter(|a| a.logins >= MIN_HABIT_LOGINS) {
        let n = a.logins as f64;
        if hop.auth != 0 && a.auth_count(hop.auth) == 0 {
            if let Some(usual) = a.usual_auth().filter(|&u| u != 0) {
                add(Feature::UnusualAuth { usual }, surprise(0.5 / (n + 1.0), CAP_UNUSUAL_AUTH));
            }
        }
        let lt = hop.logon_type;
        if lt != LogonType::Unknown
            && lt != LogonType::NewCredentials
            && a.logon_types[(lt.code() as usize).min(11)] == 0
        {
            add(
                Feature::UnusualLogonType { usual: a.usual_logon_type() },
                surprise(0.5 / (n + 1.0), CAP_UNUSUAL_LOGON_TYPE),
            );
        }
    }
    // a login from outside the fleet, into a host that rarely accepts one (after the unseen
    // edge: how rarely the destination is entered from the internet)
    if fleet.host(hop.src).is_internet
        && (hop.user == 0 || history.remote_logins(hop.user, hop.dst) < ROUTINE_REMOTE_LOGINS)
    {
        let p = (hd.internet_in as f64 + 1.0) / (hd.in_logins as f64 + 2.0);
        let bits = surprise(p, CAP_INTERNET_LOGIN);
        if bits >= INTERNET_LOGIN_NOVELTY {
            add(Feature::InternetLogin { seen: hd.internet_in, logins: hd.in_logins }, bits);
        }
    }
    // an account that reaches the destination from inside by habit, never from outside: the
    // door is routine for the partners who use it, not for this account
    if fleet.host(hop.src).is_internet
        && hop.user != 0
        && history.remote_logins(hop.user, hop.dst) == 0
    {
        let visits = history.visits(hop.user, hop.dst);
        if visits >= MIN_HABIT_LOGINS {
            let bits = surprise(0.5 / (visits as f64 + 1.0), CAP_INTERNET_LOGIN);
            if bits >= INTERNET_LOGIN_NOVELTY {
                add(Feature::AccountFromOutside { visits }, bits);
            }
        }
    }
    if hop.flags.contains(EventFlags::PASS_THE_HASH) {
        add(Feature::PassTheHash { flagged: true }, W_PASS_THE_HASH_FLAG);
    } else if hop.logon_type == LogonType::NewCredentials {
        add(Feature::PassTheHash { flagged: false }, W_NEW_CREDENTIALS);
    }
    if let Some(run) = history.failures(hop, fleet) {
        if run.count >= BRUTE_FORCE_FAILURES && run.first <= hop.time {
            add(
                Feature::BruteForce { failures: run.count },
                (W_BRUTE_FORCE + (run.count as f64).log2()).min(CAP_BRUTE_FORCE),
            );
        }
    }

    // context: where, from what, to what, when
    let (fs, fd) = (fleet.host(hop.src), fleet.host(hop.dst));
    if fs.country != 0 && fd.country != 0 && fs.country != fd.country {
        let (seen, total) = history.country_pair(fs.country, fd.country);
        add(
            Feature::CrossCountry { seen },
            surprise((seen as f64 + 0.5) / (total as f64 + 1.0), CAP_COUNTRY_PAIR),
        );
    } else if fs.site != 0 && fd.site != 0 && fs.site != fd.site {
        let (seen, total) = history.site_pair(fs.site, fd.site);
        add(
            Feature::CrossSite { seen },
            surprise((seen as f64 + 0.5) / (total as f64 + 1.0), CAP_SITE_PAIR),
        );
    }
    // the weak host is the source, or the host entered when the hop came from the internet
    // (a forgotten internet-facing server accepting its first outside login)
    let from_internet = fs.is_internet;
    let fs = if from_internet { fd } else { fs };
    match fs.lifecycle {
        Lifecycle::Decommissioning => add(Feature::Decommissioning, W_DECOMMISSIONING),
        Lifecycle::Retired => add(Feature::Retired, W_RETIRED),
        Lifecycle::Active => {}
    }
    if let Some(patched) = fs.last_patched {
        let days = (hop.time.0 - patched.0).div_euclid(DAY);
        if days > STALE_PATCH_DAYS {
            let extra_years = ((days - STALE_PATCH_DAYS) / 365) as f64;
            add(
                Feature::StalePatch { days: days as u32 },
                (W_STALE_PATCH + W_STALE_PATCH_PER_YEAR * extra_years).min(CAP_STALE_PATCH),
            );
        }
    }
    // the source's exposure to the internet is how an intruder may have reached it: it counts
    // for a hop entered from the internet, or one whose chain begins on the source (came in
    // from outside, or by no login at all); not for a chain that came from a door inside the
    // fleet and only passed through (every admin's way through a bastion)
    let exposed = from_internet || trail.depth <= 1 || trail.origin == hop.src;
    if fs.internet_facing && exposed {
        add(Feature::InternetFacing, W_INTERNET_FACING);
    }
    if hs.internet_logins && !from_internet && exposed {
        add(Feature::InternetLogins, W_INTERNET_LOGINS);
    }
    match fd.criticality {
        4 => add(Feature::CrownJewel { criticality: 4 }, W_CRITICAL),
        3 => add(Feature::CrownJewel { criticality: 3 }, W_HIGH),
        _ => {}
    }
    if fd.data_clients > 0 {
        add(Feature::HoldsData { clients: fd.data_clients }, W_HOLDS_DATA);
    }
    if fd.restricted_data {
        add(Feature::RestrictedData, W_RESTRICTED);
    }
    if let Some(a) = account.filter(|a| a.logins >= MIN_HOUR_LOGINS) {
        // the hour and its two neighbours, against a uniform day (3 of 24 hours = 1/8)
        let h = hour_of_day(hop.time);
        let near = a.hours[(h + 23) % 24] + a.hours[h] + a.hours[(h + 1) % 24];
        let p = (near as f64 + 1.0) / (a.logins as f64 + 8.0);
        let bits = (-p.log2() - 3.0).min(CAP_HOUR);
        if bits >= 1.0 {
            add(Feature::UnusualHour { hour: h as u8 }, bits);
        }
    }
    if hop.flags.contains(EventFlags::SERVICE_INSTALL) {
        add(Feature::ServiceInstall, W_SERVICE_INSTALL);
    }
    if hop.flags.contains(EventFlags::ADMIN_SHARE) {
        add(Feature::AdminShare, W_ADMIN_SHARE);
    }
    // an account that routinely appears on new sources: its new source is its habit
    if !reached && familiar < FAMILIAR_LOGINS && hop.user != 0 {
        if let Some(a) = account.filter(|a| a.logins >= MIN_HABIT_LOGINS) {
            let rate = (a.sources_distinct as f64 + 1.0) / (a.logins as f64 + 2.0);
            let novel: f64 = out
                .iter()
                .filter(|c| matches!(c.feature, Feature::NewEdge | Feature::NewAccountOnSource))
                .map(|c| c.bits)
                .sum();
            if rate >= ROAMING_RATE && novel > 0.0 {
                let keep = surprise(rate, CAP_NEW_ACCOUNT).min(novel);
                out.push(Contribution {
                    feature: Feature::RoamingAccount {
                        sources: a.sources_distinct,
                        rate: (rate * 1000.0).round() as u16,
                    },
                    bits: keep - novel,
                });
            }
        }
    }
    // NoDoze-style discount: an account going somewhere new from its own origin is only as
    // surprising as its habit of going somewhere new (Hopper: a user's own first login to a
    // server is access, not movement)
    if familiar >= FAMILIAR_LOGINS && exploration > 0.0 {
        if let Some(a) = history.account(hop.user) {
            let rate = (a.dst_distinct as f64 + 1.0) / (a.logins as f64 + 2.0);
            let keep = surprise(rate, CAP_NEW_ACCOUNT).min(exploration);
            out.push(Contribution {
                feature: Feature::RoutineSource {
                    logins: familiar,
                    rate: (rate * 1000.0).round() as u16,
                },
                bits: keep - exploration,
            });
        }
    }
}

/// Whether a hop with these contributions is suspicious: it has a novelty feature, not
/// counting a new edge or destination that is [`Feature::RoutineSource`] for its account, nor
/// a new edge or source that is its [`Feature::RoamingAccount`] habit.
pub fn is_suspicious(c: &[Contribution]) -> bool {
    let routine = c.iter().any(|c| matches!(c.feature, Feature::RoutineSource { .. }));
    let roaming = c.iter().any(|c| matches!(c.feature, Feature::RoamingAccount { .. }));
    c.iter().any(|c| {
        c.feature.is_novelty()
            && !(routine
                && matches!(c.feature, Feature::NewEdge | Feature::NewAccountOnDestination))
            && !(roaming && matches!(c.feature, Feature::NewEdge | Feature::NewAccountOnSource))
    })
}

/// The sum of contributions.
pub fn total(c: &[Contribution]) -> f64 {
    c.iter().map(|c| c.bits).sum()
}
