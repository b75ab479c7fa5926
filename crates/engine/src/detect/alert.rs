//! Alerts: suspicious hops gathered into one intruder's story, on causal evidence only.
//!
//! A suspicious hop joins (a) the alert of a login it continues, (b) the alert whose intruder
//! is present on its source ([`Intruder`]) when it moves on with an account that alert
//! brought there, or with a credential first used out of that host, and no person's own
//! session explains it, (c) the alert whose chains had the same clear causal account from the
//! same origin within the chain window, (d) for a login from the internet, the alert that
//! entered its destination from outside with the same account. When it could join several,
//! they are merged (the oldest absorbs the others). An alert is *raised* the moment its summed
//! score reaches the threshold. docs/detection.md#alerts says why each link is evidence.

use ahash::AHashMap;

use crate::units::{DAY, SECOND};

use crate::detect::arrival::Arrival;
use crate::detect::chain::{Causal, Trail};
pub use crate::detect::chain::{Doors, OTHER_SESSIONS};
use crate::detect::history::pair;
use crate::detect::score::{Contribution, Feature};
use crate::fleet::Foothold;
use crate::graph::Hop;
use hopscope_model::{Evidence, Time};

/// The bound on an alert: it holds at most this many hops (suspicious hops and lead-ins).
///
/// Guaranteed by [`AlertBook::attach`]: alerts merge only while the merged alert stays within
/// it, and a hop that would join a full alert starts (or joins) the alert that continues it
/// ([`Alert::continues`] names the full one), so one intruder's long story reads as a few
/// linked alerts rather than one that no analyst reads to the end. Twice the largest
/// intrusion the simulator's attackers make (the Hopper paper's aggressive spread: 50 hops).
/// [`Alert::hops_omitted`] stays for alerts read from older runs and is 0 for new ones.
pub const MAX_ALERT_HOPS: usize = 100;

/// One suspicious hop of an alert.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AlertHop {
    pub hop: Hop,
    /// Sum of the contributions.
    pub score: f64,
    pub contributions: Vec<Contribution>,
    /// ATT&CK technique ids, sorted.
    #[serde(deserialize_with = "crate::detect::attack::deserialize_techniques")]
    pub techniques: Vec<&'static str>,
    /// The hop's own event first, then supporting events (the first failure of a brute
    /// force).
    pub evidence: Vec<Evidence>,
    /// The chain the hop continued, as it was when the hop happened (its `alert` is the
    /// book's id at that moment, which later compactions renumber: history, not a reference).
    pub trail: Trail,
    /// For a hop out of an inner host: the login that most likely brought the intruder there
    /// ([`crate::detect::arrival`]), as it stood when the hop happened.
    #[serde(default)]
    pub arrival: Option<Arrival>,
    /// For a hop out of an inner host: the doors, other than its chain's origin, whose sessions
    /// had reached that host within the chain window before the hop, latest first (at most
    /// [`OTHER_SESSIONS`]), as they stood when the hop happened. Where the logs cannot tell
    /// which session an intruder rode, these are the other candidates for the entry
    /// ([`other_entries`]).
    #[serde(default)]
    pub other_sessions: Doors,
}

impl AlertHop {
    /// A routine-looking login that reached the source of a suspicious hop ([`crate::detect::lead`]):
    /// listed in the alert, not counted in its score.
    pub fn is_lead_in(&self) -> bool {
        self.contributions.iter().any(|c| c.feature == Feature::LeadIn)
    }
}

/// A raised alert: one intrusion's suspicious hops, scored and explained.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    /// Stable id: `A-YYYYMMDD-` and 8 hex digits of a hash of the first hop (time, hosts,
    /// account, evidence by name), so it survives re-ingesting the same logs.
    pub id: String,
    /// Sum of the hops' scores, in bits.
    pub score: f64,
    /// When the summed score first reached the threshold.
    pub raised_at: Time,
    pub first_time: Time,
    pub last_time: Time,
    /// The source of the first suspicious hop: where the intruder was when first seen.
    pub entry_host: u32,
    /// Where the first hop's chain started ([`crate::detect::chain::Trail::origin`]: the last door it
    /// left; may be upstream of the entry).
    pub chain_origin: u32,
    /// The first hop's causal account.
    pub causal_account: Causal,
    /// In time order (ties by evidence).
    pub hops: Vec<AlertHop>,
    pub hops_omitted: u32,
    /// The alert this one continues: it was full ([`MAX_ALERT_HOPS`]) when a hop that would
    /// have joined it came, so that hop began this one.
    pub continues: Option<String>,
    /// Plain-language reasons, one per hop, in hop order.
    pub reasons: Vec<String>,
}

impl Alert {
    /// Where the alert first saw the intruder: the source of its first hop, or the host
    /// entered when that hop came from the internet. [`Alert::entry_host`] is upstream of it
    /// when [`entry_of`] moved the entry back along the chain.
    pub fn first_host(&self, foothold: impl Fn(u32) -> Foothold) -> u32 {
        match self.hops.first() {
            Some(h) if foothold(h.hop.src) == Foothold::Internet => h.hop.dst,
            Some(h) => h.hop.src,
            None => self.entry_host,
        }
    }

    /// How the alert's entry was found ([`entry_basis`] of its first hop).
    pub fn entry_basis(&self, foothold: impl Fn(u32) -> Foothold) -> EntryBasis {
        self.hops.first().map_or(EntryBasis::Source, |h| entry_basis(h, foothold).1)
    }

    /// The other candidates for its entry ([`other_entries`] of its first hop).
    pub fn other_entries(&self, foothold: impl Fn(u32) -> Foothold) -> Vec<u32> {
        self.hops.first().map_or_else(Vec::new, |h| other_entries(h, foothold))
    }

    /// The session its entry was preferred over ([`passed_over_session`] of its first hop).
    pub fn passed_over_session(&self, foothold: impl Fn(u32) -> Foothold) -> Option<u32> {
        self.hops.first().and_then(|h| passed_over_session(h, foothold))
    }

    /// The alert narrowed to one of its [`threads`] (one intrusion of a campaign): the same
    /// id, that thread's hops and reasons, its entry and chain origin, the score of its
    /// suspicious hops (lead-ins count nothing), raised when the alert was or, for a thread
    /// that began later, at its first suspicious hop.
    pub fn thread(&self, t: &Thread) -> Alert {
        self.narrowed_to(&[t])
    }

    /// The alert narrowed to some of its [`threads`], as [`Alert::thread`] is to one; the entry
    /// and chain origin are the earliest thread's.
    pub fn narrowed_to(&self, threads: &[&Thread]) -> Alert {
        let mut idx: Vec<usize> = threads.iter().flat_map(|t| t.hops.iter().copied()).collect();
        idx.sort_unstable();
        idx.dedup();
        let hops: Vec<AlertHop> = idx.iter().filter_map(|&i| self.hops.get(i).cloned()).collect();
        let reasons = idx.iter().filter_map(|&i| self.reasons.get(i).cloned()).collect();
        let first_thread =
            threads.iter().min_by_key(|t| t.hops.first().copied().unwrap_or(usize::MAX));
        let suspicious = || hops.iter().filter(|h| !h.is_lead_in());
        let first_suspicious = suspicious().next().or(hops.first());
        Alert {
            id: self.id.clone(),
            score: suspicious().map(|h| h.score).sum(),
            raised_at: Time(
                self.raised_at.0.max(first_suspicious.map_or(self.raised_at.0, |h| h.hop.time.0)),
            ),
            first_time: hops.first().map_or(self.first_time, |h| h.hop.time),
            last_time: hops.last().map_or(self.last_time, |h| h.hop.time),
            entry_host: first_thread.map_or(self.entry_host, |t| t.entry_host),
            chain_origin: first_thread.map_or(self.chain_origin, |t| t.origin),
            causal_account: first_suspicious.map_or(self.causal_account, |h| h.trail.causal),
            hops,
            hops_omitted: 0,
            continues: self.continues.clone(),
            reasons,
        }
    }
}

/// One thread of an alert: hops linked by compromise. A hop continues the thread that last
/// entered its source host (or started there), unless that thread has been quiet for longer
/// than [`THREAD_GAP`]; a hop from the internet, or out of a host no hop of the alert entered,
/// starts a thread there. A lead-in hop ([`AlertHop::is_lead_in`]) is routine-looking, so it
/// compromises nothing by itself: a hop continues its thread only when it continued its chain
/// (same trail origin and start). Campaign rules can gather several intrusions into one alert (a raised
/// alert absorbs strong hops out of every host it reached, months apart); each intrusion is
/// its own tree of hops, so the threads tell them apart, and each names its own entry.
///
/// Chain origins do not: a hop continues whatever trail reached its source, and that trail
/// is often the host's routine administration, so one intrusion's hops carry many origins.
#[derive(Clone, Debug, PartialEq)]
pub struct Thread {
    /// Where the intrusion began: [`entry_of`] its earliest hop (as [`Alert::entry_host`] for
    /// the whole alert).
    pub entry_host: u32,
    /// Where it was first seen: the source of its earliest hop, or the host entered when that
    /// hop came from the internet. The entry, unless [`entry_of`] moved it back.
    pub first_host: u32,
    /// Where its earliest hop's chain started ([`crate::detect::chain::Trail::origin`]; may be upstream
    /// of the entry, as [`Alert::chain_origin`] is for the whole alert).
    pub origin: u32,
    /// Indexes into the alert's hops, in time order.
    pub hops: Vec<usize>,
    /// When the entry came from the likeliest login into the first host
    /// ([`EntryBasis::Arrival`]): that login.
    pub arrival: Option<Arrival>,
    /// When that login was preferred, as new to the first host, over the session of the day
    /// before that had reached it ([`passed_over_session`]): that session's door, the other
    /// candidate.
    pub passed_over: Option<u32>,
    /// When an earlier thread of the alert had been on this thread's first host: that thread
    /// (an index into the alert's threads) and when it last came there (or, having begun
    /// there, first left it). The same intruder back
    /// after a pause is then the other explanation, and that thread's entry the other
    /// candidate (right about as often as this thread's own, where this one's is wrong).
    pub earlier: Option<(usize, Time)>,
    /// The other candidates for its entry, likeliest first: [`other_entries`] of its earliest
    /// hop, then the entry of the earlier thread ([`Thread::earlier`]).
    pub other_entries: Vec<u32>,
}

/// How long before a first hop the chain it continued may have begun for [`entry_of`] to take
/// that chain's origin as the entry (24 h): one working day's session, not a chain that a busy
/// fleet's routine logins kept relinking for weeks.
pub const CHAIN_ENTRY_WINDOW: i64 = DAY;

/// How soon after a session from a door began an intruder riding it has moved on (5
/// minutes): a session older than this when the first suspicious hop left its host counts
/// for less than a login new to that host ([`entry_of`], rule 1).
pub const SESSION_RIDE_WINDOW: i64 = 300 * SECOND;

/// How [`entry_of`] found where an intrusion began.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EntryBasis {
    /// The first hop came from the internet: the host it entered.
    Internet,
    /// The first hop left an inner host; the session it continued began on a door within
    /// [`CHAIN_ENTRY_WINDOW`].
    Chain,
    /// The first hop left an inner host no such session reached, or an internet-facing server
    /// that a login new to it had reached: the door at the start of the likeliest login into
    /// it ([`crate::detect::arrival`]), this one.
    Arrival(Arrival),
    /// The first hop's own source.
    Source,
}

/// Where an intrusion first seen in hop `h` began (`foothold` tells what each host is).
///
/// - From the internet: the host entered.
/// - Out of an inner host ([`Foothold::Inner`]: inventoried, neither a workstation nor
///   internet-facing): an intrusion cannot begin there, the intruder logged in.
///   1. When the chain `h` continued began on a door ([`Foothold::Door`]) within
///      [`CHAIN_ENTRY_WINDOW`] before `h`, that door is the entry: the phished workstation
///      whose owner's usual session to the jump host carried the intruder, unremarkable
///      itself, minutes before the first suspicious hop. Unless that session began more than
///      [`SESSION_RIDE_WINDOW`] before `h` and the likeliest login into the host (rule 2)
///      came from another door and was new to it ([`Arrival::novel`]) or used the account
///      `h` uses, which the session's causal account is not: a routine session of hours
///      before explains an intruder there less well than someone's first login to it, or
///      than the login that brought the very account the intruder leaves with. Those are
///      [`passed_over_session`]s.
///   2. Otherwise, when the likeliest login into the host within the detector's arrival
///      window ([`AlertHop::arrival`]) began on a door, that door: the intruder who sat on a
///      server for two days before moving on. The session of the last day is preferred
///      (rule 1): most intruders move on within hours, and a login of days before is a
///      weaker guess, unless it was new to the host.
/// - Out of an internet-facing server ([`crate::fleet::Fleet::exposed_server`], whose hops
///   alone carry an arrival): the server itself, unless its likeliest login of the arrival
///   window was new to it ([`Arrival::novel`]) and began on another door. The server is
///   where an intrusion from the internet begins, by a login (which then ranks first among
///   the arrivals) or through its service (which leaves none); a routine login into it
///   explains an intruder there no better than that. A workstation's first login to the
///   web server does: the phished user's session, days before the first suspicious hop out.
/// - Otherwise: the source of `h`. Out of a door the chain's origin is that door itself (chains
///   begin at the last door they left): a helpdesk session into a workstation hours before is
///   as common as the phished one.
pub fn entry_of(h: &AlertHop, foothold: impl Fn(u32) -> Foothold) -> u32 {
    entry_basis(h, foothold).0
}

/// [`entry_of`], with how the entry was found.
pub fn entry_basis(h: &AlertHop, foothold: impl Fn(u32) -> Foothold) -> (u32, EntryBasis) {
    match foothold(h.hop.src) {
        Foothold::Internet => (h.hop.dst, EntryBasis::Internet),
        Foothold::Inner
            if recent_session(h, &foothold).is_some()
                && passed_over_session(h, &foothold).is_none() =>
        {
            (h.trail.origin, EntryBasis::Chain)
        }
        Foothold::Inner => match h.arrival {
            Some(a) if a.door && a.origin != h.hop.src => (a.origin, EntryBasis::Arrival(a)),
            _ => (h.hop.src, EntryBasis::Source),
        },
        Foothold::Door => match h.arrival {
            Some(a) if a.door && a.novel && a.origin != h.hop.src => {
                (a.origin, EntryBasis::Arrival(a))
            }
            _ => (h.hop.src, EntryBasis::Source),
        },
        _ => (h.hop.src, EntryBasis::Source),
    }
}

/// The other hosts where an intrusion first seen in hop `h` may have begun, after
/// [`entry_of`]'s choice, likeliest first: the session that choice passed over
/// ([`passed_over_session`]); when the session of the day won, the door of the likeliest
/// arrival of the days before if that login was new to the host; the hop's own source when an
/// arrival was preferred to it (a workstation, an internet-facing server exploited through its
/// service); the doors of the other sessions that had reached the host within the day
/// ([`AlertHop::other_sessions`], latest first); last, the door of a routine likeliest
/// arrival. Where the logs cannot tell which of two users' sessions on a jump host the
/// intruder rode, both doors are named, the likelier first.
pub fn other_entries(h: &AlertHop, foothold: impl Fn(u32) -> Foothold) -> Vec<u32> {
    let (entry, basis) = entry_basis(h, &foothold);
    let mut out: Vec<u32> = Vec::new();
    let mut add = |x: u32| {
        if x != entry && !out.contains(&x) && foothold(x) == Foothold::Door {
            out.push(x);
        }
    };
    if let Some(s) = passed_over_session(h, &foothold) {
        add(s);
    }
    // the likeliest arrival of the days before, when the last day's session won: a login new
    // to the host before the day's other sessions, a routine one after them (an intruder
    // usually moves on within hours)
    let arrival = match basis {
        EntryBasis::Chain => h.arrival.filter(|a| a.door),
        _ => None,
    };
    if let Some(a) = arrival.filter(|a| a.novel) {
        add(a.origin);
    }
    if matches!(basis, EntryBasis::Arrival(_)) {
        add(h.hop.src);
    }
    for d in h.other_sessions.iter() {
        add(d);
    }
    if let Some(a) = arrival.filter(|a| !a.novel) {
        add(a.origin);
    }
    out
}

/// The reason that names an entry's [`other_entries`] (by name), as `trace` and the report
/// say it.
pub fn other_entries_reason<S: AsRef<str>>(names: &[S]) -> String {
    let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    format!("other candidates the logs leave open, likeliest first: {}", names.join(", "))
}

/// The door whose session reached the inner host `h` leaves within [`CHAIN_ENTRY_WINDOW`]
/// before it ([`entry_of`], rule 1).
fn recent_session(h: &AlertHop, foothold: impl Fn(u32) -> Foothold) -> Option<u32> {
    let o = h.trail.origin;
    (foothold(h.hop.src) == Foothold::Inner
        && o != h.hop.src
        && foothold(o) == Foothold::Door
        && h.hop.time.0.saturating_sub(h.trail.start.0) <= CHAIN_ENTRY_WINDOW)
        .then_some(o)
}

/// The door whose session of the day before had reached `h`'s source when [`entry_of`] takes
/// another login into that host over it instead: the session began more than
/// [`SESSION_RIDE_WINDOW`] before `h`, and the likeliest login into the host came from
/// another door and either was new to the host or brought the account `h` leaves with,
/// which is not the session's causal account.
pub fn passed_over_session(h: &AlertHop, foothold: impl Fn(u32) -> Foothold) -> Option<u32> {
    let session = recent_session(h, &foothold)?;
    let outweighs = h.arrival.is_some_and(|a| {
        a.door
            && a.origin != h.hop.src
            && a.origin != session
            && (a.novel || brought_hops_account(h, &a))
    });
    (outweighs && h.hop.time.0.saturating_sub(h.trail.start.0) > SESSION_RIDE_WINDOW)
        .then_some(session)
}

/// Whether `a`, a login into `h`'s source, used the account `h` leaves with while the chain
/// `h` continued did not: the intruder's credentials came in by that login, not by the session.
fn brought_hops_account(h: &AlertHop, a: &Arrival) -> bool {
    a.hop.user != 0 && a.hop.user == h.hop.user && h.trail.causal.account() != Some(h.hop.user)
}

/// Why an entry host is where an intrusion began, in the words `trace` and the report share
/// (its `Display`); hosts and accounts by name. [`EntryBasis`] says the same with ids.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EntryReason<'a> {
    /// Its first suspicious login came from the internet (the entry is the host entered).
    Internet,
    /// First seen leaving `first_seen`, an inner host, which a session from the entry had
    /// reached within the day before.
    Chain { first_seen: &'a str },
    /// First seen leaving `first_seen`, an inner host no session of the day before reached
    /// from a door (or, `internet_facing`, an internet-facing server no login from the
    /// internet reached; or, `passed_over`, an inner host that door's session had reached
    /// more than [`SESSION_RIDE_WINDOW`] before); the likeliest login into it of the days
    /// before (from `src` as `account` at `at`, `bits` of surprise; `novel`: new to the host,
    /// as it always is when `internet_facing`, and when `passed_over` unless it brought the
    /// account the first suspicious hop used) began at the entry.
    Arrival {
        first_seen: &'a str,
        internet_facing: bool,
        passed_over: Option<&'a str>,
        novel: bool,
        src: &'a str,
        account: &'a str,
        at: Time,
        bits: f64,
    },
    /// The entry is where the intrusion was first seen: no suspicious login came into it
    /// first. `lead_in`: its first hop was the routine login out of it that led to the first
    /// suspicious one.
    Source { lead_in: bool },
}

impl std::fmt::Display for EntryReason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryReason::Internet => f.write_str("its first suspicious login came from the internet"),
            EntryReason::Chain { first_seen } => write!(
                f,
                "the intruder was first seen on {first_seen}, an inner host reached by logging in, and the session that reached it within the day before came from here"
            ),
            EntryReason::Arrival { first_seen, internet_facing, passed_over, novel, src, account, at, bits } => {
                let at = at.to_rfc3339();
                let (day, time) = (at.get(..10).unwrap_or(&at), at.get(11..19).unwrap_or(""));
                if let Some(session) = passed_over {
                    let which = if *novel {
                        "one new to it"
                    } else {
                        "one as the account the first suspicious hop left with, which that session did not use"
                    };
                    write!(
                        f,
                        "the intruder was first seen on {first_seen}, an inner host reached by logging in; the session from {session} that reached it within the day before had begun more than {} minutes before the first suspicious hop, and the likeliest login into it of the days before, {which} ({src} as {account} at {day} {time} UTC, {bits:.1} bits), began here ({session} is the other candidate)",
                        SESSION_RIDE_WINDOW / (60 * SECOND)
                    )
                } else if *internet_facing {
                    write!(
                        f,
                        "the intruder was first seen on {first_seen}, an internet-facing server; no login from the internet reached it in the days before, and the likeliest login into it, one new to it ({src} as {account} at {day} {time} UTC, {bits:.1} bits), began here (an exploit of its service would leave no login: {first_seen} is the other candidate)"
                    )
                } else {
                    write!(
                        f,
                        "the intruder was first seen on {first_seen}, an inner host reached by logging in; no session of the day before came from a workstation or internet-facing host, and the likeliest login into it of the days before ({src} as {account} at {day} {time} UTC, {bits:.1} bits) began here"
                    )
                }
            }
            EntryReason::Source { lead_in: true } => {
                f.write_str("the login out of it led to the first suspicious hop, and no suspicious login came into it before")
            }
            EntryReason::Source { lead_in: false } => {
                f.write_str("the first suspicious hop left it, and no suspicious login came into it before")
            }
        }
    }
}

/// A thread on a host, as [`threads`] remembers it.
#[derive(Clone, Copy)]
struct Presence {
    thread: usize,
    /// When the thread came by a lead-in: the chain (origin, start) a hop out of the host must
    /// continue to join the thread.
    lead_in: Option<(u32, Time)>,
    /// When it came (or, having begun there, first left).
    at: Time,
}

/// The alert's threads, ordered by their earliest hop; the first one's entry is the alert's.
/// `foothold` tells the `internet` pseudo-host and where intrusions can begin ([`entry_of`]).
pub fn threads(alert: &Alert, foothold: impl Fn(u32) -> Foothold) -> Vec<Thread> {
    let is_internet = |h: u32| foothold(h) == Foothold::Internet;
    let mut out: Vec<Thread> = Vec::new();
    // per thread: the time of its latest hop
    let mut last: Vec<Time> = Vec::new();
    // host → the thread that last entered it (or started on it)
    let mut entered: AHashMap<u32, Presence> = AHashMap::new();
    for (i, h) in alert.hops.iter().enumerate() {
        let from_internet = is_internet(h.hop.src);
        // a hop from the internet always starts a thread: one web server is the door of
        // many unrelated intrusions over a campaign's months
        let continued = match entered.get(&h.hop.src) {
            Some(&Presence { thread, lead_in, .. })
                if !from_internet && h.hop.time.0 - last[thread].0 <= THREAD_GAP =>
            {
                lead_in
                    .is_none_or(|chain| chain == (h.trail.origin, h.trail.start))
                    .then_some(thread)
            }
            _ => None,
        };
        let t = match continued {
            Some(t) => t,
            None => {
                let first_host = if from_internet { h.hop.dst } else { h.hop.src };
                let (entry_host, basis) = entry_basis(h, &foothold);
                let origin = if is_internet(h.trail.origin) { first_host } else { h.trail.origin };
                let arrival = match basis {
                    EntryBasis::Arrival(a) => Some(a),
                    _ => None,
                };
                let earlier = if from_internet {
                    None
                } else {
                    entered.get(&h.hop.src).map(|p| (p.thread, p.at))
                };
                let passed_over = passed_over_session(h, &foothold);
                let mut other = other_entries(h, &foothold);
                if let Some(e) = earlier
                    .map(|(t, _)| out[t].entry_host)
                    .filter(|&e| e != entry_host && !other.contains(&e))
                {
                    other.push(e);
                }
                out.push(Thread {
                    entry_host,
                    first_host,
                    origin,
                    hops: Vec::new(),
                    arrival,
                    passed_over,
                    earlier,
                    other_entries: other,
                });
                last.push(h.hop.time);
                if !from_internet {
                    entered.insert(
                        h.hop.src,
                        Presence { thread: out.len() - 1, lead_in: None, at: h.hop.time },
                    );
                }
                out.len() - 1
            }
        };
        let lead_in = h.is_lead_in().then_some((h.trail.origin, h.trail.start));
        entered.insert(h.hop.dst, Presence { thread: t, lead_in, at: h.hop.time });
        last[t] = h.hop.time;
        out[t].hops.push(i);
    }
    out
}

/// A thread quiet for longer than this (5 days) is not continued: a later hop out of its hosts
/// starts a new one (each episode of a months-long campaign has its own way in).
pub const THREAD_GAP: i64 = 5 * DAY;

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Open {
    parent: u32,
    hops: Vec<AlertHop>,
    omitted: u32,
    score: f64,
    raised_at: Option<Time>,
    first: Time,
    last: Time,
    dead: bool,
    /// Ranked among its raise day's alerts once that day ended, and kept.
    judged: bool,
    /// The alert continuing this one once it is full ([`MAX_ALERT_HOPS`]; unresolved id, 0 =
    /// none yet).
    #[serde(default)]
    next: u32,
    /// The first hop of the full alert this one continues (what its id is made of).
    #[serde(default)]
    continues: Option<Hop>,
}

impl Open {
    fn push(&mut self, mut h: AlertHop) {
        // Most alerts never get a second hop (a noisy fleet's benign novelty, forgotten two
        // days later), and a maintenance weekend opens a million of them at once: hold exactly
        // what is stored, not a vector's spare room (a first push reserves four hops).
        h.contributions.shrink_to_fit();
        h.techniques.shrink_to_fit();
        h.evidence.shrink_to_fit();
        if self.hops.capacity() == 0 {
            self.hops.reserve_exact(1);
        }
        self.hops.push(h);
    }

    /// Hops held, listed or not.
    fn size(&self) -> usize {
        self.hops.len() + self.omitted as usize
    }
}

/// The earliest hop (by time, then evidence): the one an alert's id is made of.
fn first_hop(hops: &[AlertHop]) -> Option<AlertHop> {
    hops.iter().min_by_key(|h| (h.hop.time, h.hop.evidence)).cloned()
}

/// An open alert as it stands: hops sorted and capped as [`AlertBook::into_raised`] gives them.
fn snapshot(o: &Open, raised_at: Time) -> RaisedAlert {
    let mut hops = o.hops.clone();
    sort_hops(&mut hops);
    (raised_at, o.score, hops, o.omitted, o.continues)
}

pub(crate) fn sort_hops(hops: &mut [AlertHop]) {
    hops.sort_by_key(|h| (h.hop.time, h.hop.evidence));
}

/// Below this many slots the book is never compacted: renumbering costs more than it frees.
const COMPACT_MIN_SLOTS: usize = 4096;

/// Old alert id → new id, from [`AlertBook::compact`]; 0 for an alert nothing can reach.
#[derive(Debug)]
pub(crate) struct AlertRemap(Vec<u32>);

impl AlertRemap {
    /// The new id of `old` (0 stays 0).
    pub fn id(&self, old: u32) -> u32 {
        self.0.get(old as usize).copied().unwrap_or(0)
    }
}

/// A raised alert before it is explained: (raised at, score, hops in time order, hops omitted,
/// the first hop of the alert it continues).
pub(crate) type RaisedAlert = (Time, f64, Vec<AlertHop>, u32, Option<Hop>);

/// Accounts a presence remembers per host ([`Intruder::brought`]).
const BROUGHT: usize = 4;

/// A raised alert's intruder on a host it entered: the causal evidence a later hop out of the
/// host must share to be the same intruder's. Kept per host for the dwell window after the
/// alert last touched the host (the 2019 intruder sat three months on the Thai server and
/// moved on with what was there), beside up to [`PRESENCES`]` - 1` other raised alerts on the
/// same host ([`Presences`]).
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Intruder {
    alert: u32,
    last: Time,
    /// The accounts the alert's logins into the host used (destination and source side), most
    /// recent last; 0 = empty slot.
    accounts: [u32; BROUGHT],
}

impl Intruder {
    fn new(alert: u32, at: Time) -> Intruder {
        Intruder { alert, last: at, accounts: [0; BROUGHT] }
    }

    /// The alert's login `hop` into the host: remember its accounts (the oldest forgotten when
    /// full).
    fn enter(&mut self, hop: &Hop) {
        self.last = self.last.max(hop.time);
        for acc in [hop.user, hop.src_user] {
            if acc == 0 || self.accounts.contains(&acc) {
                continue;
            }
            self.accounts.rotate_left(1);
            self.accounts[BROUGHT - 1] = acc;
        }
    }

    /// A switch on the host from `from` to `to`: when the alert brought `from`, `to` is its too
    /// ([`crate::detect::switch`]).
    fn took(&mut self, from: u32, to: u32, at: Time) {
        if from == 0 || to == 0 || !self.accounts.contains(&from) {
            return;
        }
        self.last = self.last.max(at);
        if !self.accounts.contains(&to) {
            self.accounts.rotate_left(1);
            self.accounts[BROUGHT - 1] = to;
        }
    }

    /// Whether `hop` out of the host uses an account the alert brought there.
    fn brought(&self, hop: &Hop) -> bool {
        [hop.user, hop.src_user].iter().any(|&a| a != 0 && self.accounts.contains(&a))
    }
}

/// Raised alerts present on one host at once ([`Presences`]).
///
/// One was not enough: in the 2019 case an administrator's own first login into the Singapore
/// server, novel enough to raise an alert of its own, replaced the intruder's presence there,
/// and the intruder's hop on to Thailand nine days later joined the administrator's alert, not
/// the one that holds the entry. With room for several, a hop out of the host that more than
/// one could claim joins the one with the **strongest evidence** (the highest score so far,
/// then the oldest): a person's novel visit raises an alert of a hop or two, an intruder's
/// way in and on is many bits more. Both simpler choices were measured on the evaluation
/// matrix (docs/detection.md): joining all of them, merging them, held the 2019 case together
/// as well but alerts snowballed again through the hosts each merge added (the largest grew
/// from 190 to 548 hops); the oldest lost the 2019 case wherever a person's novel visit to the
/// Thai server came hours before the intruder's entry (whole in 17 of 33 world × seed cases,
/// against 30 of 33 for joining all). The bound keeps a hub's many alerts from all holding it:
/// the least recently active presence gives way.
pub(crate) const PRESENCES: usize = 3;

/// The raised alerts present on one host: slots with `alert` 0 are empty.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Presences([Intruder; PRESENCES]);

impl Default for Presences {
    fn default() -> Presences {
        Presences([Intruder::new(0, Time(i64::MIN)); PRESENCES])
    }
}

impl Presences {
    /// Alert `alert`'s login `hop` into the host: its presence refreshed, or taking an empty
    /// slot or the least recently active one. Slots must hold resolved ids ([`AlertBook::root`]).
    fn enter(&mut self, alert: u32, hop: &Hop) {
        let slot = match self.0.iter().position(|p| p.alert == alert) {
            Some(i) => i,
            None => {
                let i = (0..PRESENCES)
                    .min_by_key(|&i| (self.0[i].alert != 0, self.0[i].last))
                    .unwrap_or(0);
                self.0[i] = Intruder::new(alert, hop.time);
                i
            }
        };
        self.0[slot].enter(hop);
    }

    /// The present intruders (non-empty slots).
    fn iter(&self) -> impl Iterator<Item = &Intruder> {
        self.0.iter().filter(|p| p.alert != 0)
    }
}

/// Open and raised alerts, and the indexes that decide what a new suspicious hop joins.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct AlertBook {
    open: Vec<Open>,
    /// host raised alerts entered → the intruders' presence there: each alert, when it last
    /// touched the host, and the accounts it brought in ([`Presences`])
    presence: AHashMap<u32, Presences>,
    /// host an alert entered from the internet → (alert, last time)
    /// (host, account) an alert entered from the internet → (alert, last time): the same
    /// account coming back in from outside. Keyed by account too: partners and administrators
    /// reach internet-facing servers from outside every day, and an intruder's return is the
    /// account the intruder used, not any login from outside.
    by_internet: AHashMap<u64, (u32, Time)>,
    /// (causal account, chain origin) → (alert, last time): the same actor
    by_causal: AHashMap<(u32, u32), (u32, Time)>,
    /// (account, seat) → (alert, last time): the alert a suspicious hop of this account out of
    /// this seat (a workstation, a pooled address: where one person sits) joined
    /// ([`AlertBook::same_seat`]).
    #[serde(default)]
    by_seat: AHashMap<(u32, u32), (u32, Time)>,
    min_score: f64,
    campaign: i64,
    window: i64,
    /// Ids of the alerts that are roots and not dead (a superset between sweeps): what
    /// [`AlertBook::expire`] visits, so a sweep costs the live alerts, not every alert ever.
    live: Vec<u32>,
    /// Raised alerts kept per raise day once the day is over (0 = all); see [`AlertBook::expire`].
    keep_per_day: usize,
    /// Alerts forgotten because they never reached the threshold.
    pub discarded: u64,
    /// Raised alerts forgotten at the end of their raise day, ranked below `keep_per_day`.
    pub retired: u64,
    /// Alert events since the last drain, when the caller follows alerts as they happen
    /// (`hopscope watch`); `None` for a batch run, which pays nothing.
    pub journal: Option<Vec<BookEvent>>,
}

/// An alert reaching the threshold or growing, as recorded by [`AlertBook::attach`]: which
/// alert, and a snapshot of it at that moment (the view is built when drained).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct BookEvent {
    /// True when the alert was raised by this hop (or by absorbing a raised alert), false when
    /// a raised alert grew.
    pub raised: bool,
    pub snapshot: RaisedAlert,
    /// First hops of raised alerts this one absorbed (their ids are gone from now on).
    pub absorbed: Vec<AlertHop>,
}

impl AlertBook {
    /// `keep_per_day`: raised alerts kept per raise day once it is over (0 = all).
    pub fn new(min_score: f64, campaign: i64, window: i64, keep_per_day: usize) -> AlertBook {
        AlertBook {
            open: vec![Open { dead: true, ..Open::default() }],
            live: Vec::new(),
            keep_per_day,
            retired: 0,
            presence: AHashMap::new(),
            by_internet: AHashMap::new(),
            by_causal: AHashMap::new(),
            by_seat: AHashMap::new(),
            min_score,
            campaign,
            window,
            discarded: 0,
            journal: None,
        }
    }

    /// The alert `a` was merged into; 0 for none or forgotten.
    pub fn root(&mut self, a: u32) -> u32 {
        let mut r = a;
        while r != 0 && self.open[r as usize].parent != r {
            r = self.open[r as usize].parent;
        }
        // path compression
        let mut x = a;
        while x != r {
            let next = self.open[x as usize].parent;
            self.open[x as usize].parent = r;
            x = next;
        }
        if r != 0 && self.open[r as usize].dead {
            0
        } else {
            r
        }
    }

    /// The alert a suspicious hop of `hop`'s account out of the same seat joined within the
    /// chain window (0 for none). On a workstation or a pooled address one person sits with
    /// one account: the same credential leaving the same seat again is that person's (or
    /// their intruder's) next step, whatever chain each hop was linked to (a workstation a
    /// helpdesk logs in to gives its hops no clear causal account). The detector asks it only
    /// when nothing causal (a chain, a presence, a door, the causal account) names an alert,
    /// and never for a server, where many people share an account such as root.
    pub fn same_seat(&mut self, hop: &Hop) -> u32 {
        match self.by_seat.get(&(hop.user, hop.src)) {
            Some(&(a, t)) if hop.user != 0 && hop.time.0 - t.0 <= self.window => self.root(a),
            _ => 0,
        }
    }

    /// Record that `hop`, out of a seat ([`AlertBook::same_seat`]), joined alert `a`.
    pub fn sat(&mut self, hop: &Hop, a: u32) {
        if hop.user != 0 && a != 0 {
            self.by_seat.insert((hop.user, hop.src), (a, hop.time));
        }
    }

    /// Whether alert `a` (resolved) has been raised.
    pub fn is_raised(&mut self, a: u32) -> bool {
        let r = self.root(a);
        r != 0 && self.open[r as usize].raised_at.is_some()
    }

    /// The raised alerts whose intruders are on `hop`'s source and, by the causal evidence the
    /// logs give, made `hop` (resolved ids, ascending; 0 = none): each entered the source within
    /// the dwell window (`campaign`) before `hop`, and `hop` uses an account that alert brought
    /// there (its own account or the source-side one), and no routine session explains it
    /// (`explained`: the account's own login into the source from a person's seat within the
    /// chain window, [`crate::detect::chain::Chains::explained_by_session`]). A hub every
    /// administrator passes through is therefore never claimed whole: only the intruder's own
    /// credentials moving on from it are. When several could claim the hop, the one with the
    /// strongest evidence does ([`PRESENCES`] says why).
    pub fn present(&mut self, hop: &Hop, explained: bool) -> u32 {
        if explained {
            return 0;
        }
        let Some(ps) = self.presence.get(&hop.src).copied() else { return 0 };
        let mut best = 0;
        for p in ps.iter() {
            if hop.time.0 - p.last.0 <= self.campaign && p.brought(hop) {
                let r = self.raised_root(p.alert);
                best = self.stronger(best, r);
            }
        }
        best
    }

    /// The raised alert on `hop`'s source whose intruder could have taken the credential `hop`
    /// uses there (0 = none): an account that never logged in out of the source before
    /// (`first_out`), not explained by a routine session, while the alert's presence lasts; of
    /// several, the one with the strongest evidence. Weaker evidence than [`AlertBook::present`]: the caller asks it
    /// only for a hop strong enough to raise an alert on its own.
    pub fn could_have_taken(&mut self, hop: &Hop, explained: bool, first_out: bool) -> u32 {
        if explained || !first_out {
            return 0;
        }
        let Some(ps) = self.presence.get(&hop.src).copied() else { return 0 };
        let mut best = 0;
        for p in ps.iter() {
            if hop.time.0 - p.last.0 <= self.campaign {
                let r = self.raised_root(p.alert);
                best = self.stronger(best, r);
            }
        }
        best
    }

    /// A logged credential switch on `host` from `from` to `to` at `at`: every raised alert
    /// present there within its dwell window that brought `from` now holds `to` as well, so a
    /// later hop out of the host with `to` is that intruder's ([`AlertBook::present`]) — the
    /// account its account became, as the host's own log says.
    pub fn took(&mut self, host: u32, from: u32, to: u32, at: Time) {
        let Some(ps) = self.presence.get_mut(&host) else { return };
        for p in ps.0.iter_mut().filter(|p| p.alert != 0) {
            if at.0 - p.last.0 <= self.campaign {
                p.took(from, to, at);
            }
        }
    }

    /// Of two resolved alerts (0 = none), the one with the stronger evidence of an intruder:
    /// the higher score, then the older.
    fn stronger(&self, a: u32, b: u32) -> u32 {
        match (a, b) {
            (0, x) | (x, 0) => x,
            (a, b) => {
                let (sa, sb) = (self.open[a as usize].score, self.open[b as usize].score);
                match sb.total_cmp(&sa) {
                    std::cmp::Ordering::Greater => b,
                    std::cmp::Ordering::Less => a,
                    std::cmp::Ordering::Equal => a.min(b),
                }
            }
        }
    }

    /// Alert `a` (resolved, raised) entered `host` by `hop`: refresh or add its presence there.
    /// Slots are resolved first, so an alert merged into another shares its survivor's slot.
    fn enter(&mut self, host: u32, a: u32, hop: &Hop) {
        let mut ps = self.presence.get(&host).copied().unwrap_or_default();
        for i in 0..PRESENCES {
            let p = ps.0[i];
            if p.alert == 0 {
                continue;
            }
            let r = self.root(p.alert);
            ps.0[i].alert = r;
            // an earlier slot of the same survivor: keep the one touched last
            if r != 0 {
                if let Some(j) = (0..i).find(|&j| ps.0[j].alert == r) {
                    if ps.0[j].last < p.last {
                        ps.0[j] = Intruder { alert: r, ..p };
                    }
                    ps.0[i] = Intruder::new(0, Time(i64::MIN));
                }
            } else {
                ps.0[i] = Intruder::new(0, Time(i64::MIN));
            }
        }
        ps.enter(a, hop);
        self.presence.insert(host, ps);
    }

    /// The alert `a` was merged into when it is raised, else 0.
    fn raised_root(&mut self, a: u32) -> u32 {
        let r = self.root(a);
        if r != 0 && self.open[r as usize].raised_at.is_some() {
            r
        } else {
            0
        }
    }

    /// Record that alert `a` (raised or not yet) moved through `hop` into its destination with
    /// its accounts: an unremarkable hop the same credential carried on, or a hop of the alert.
    pub fn touch(&mut self, a: u32, hop: &Hop) {
        let a = self.root(a);
        if a == 0 || self.open[a as usize].raised_at.is_none() {
            return;
        }
        self.enter(hop.dst, a, hop);
    }

    /// Add a suspicious hop. `candidates` holds alerts of the chains it continues; the
    /// campaign indexes add more. Returns the alert it joined.
    ///
    /// `from_internet`: the hop came from the `internet` pseudo-host; it joins an alert that
    /// entered its destination (the intruder coming back in). `lead_ins`: the hops that
    /// reached its source ([`crate::detect::lead`]); they join the same alert, before it.
    pub fn attach(
        &mut self,
        ah: AlertHop,
        mut lead_ins: Vec<AlertHop>,
        candidates: &mut Vec<u32>,
        from_internet: bool,
    ) -> u32 {
        let hop = ah.hop;
        // a path of lead-ins is a few hops long (`lead::MAX_LEAD_DEPTH`); the bound holds
        // whatever a caller passes, keeping the latest, nearest the hop
        if lead_ins.len() >= MAX_ALERT_HOPS {
            lead_ins.drain(..lead_ins.len() + 1 - MAX_ALERT_HOPS);
        }
        if from_internet {
            if let Some(&(a, t)) = self.by_internet.get(&pair(hop.dst, hop.user)) {
                if hop.time.0 - t.0 <= self.campaign {
                    candidates.push(a);
                }
            }
        }
        // the same account from the same origin: a service account many chains share (and
        // every intruder who stole it) does not tie chains from different origins together
        if let Causal::Clear(c) = ah.trail.causal {
            if let Some(&(a, t)) = self.by_causal.get(&(c, ah.trail.origin)) {
                if hop.time.0 - t.0 <= self.window {
                    candidates.push(a);
                }
            }
        }
        for c in candidates.iter_mut() {
            *c = self.root(*c);
        }
        candidates.retain(|&c| c != 0);
        candidates.sort_unstable();
        candidates.dedup();
        // the hop and its lead-ins, within the bound
        let need = 1 + lead_ins.len();
        let (target, continued) = match candidates.first() {
            Some(&a) => self.with_room(a, need, hop.time),
            None => (self.open_new(hop.time), false),
        };
        let target_was_raised = !continued && self.open[target as usize].raised_at.is_some();
        let mut absorbed = Vec::new();
        for &other in &candidates[candidates.len().min(1)..] {
            // a merge that would pass the bound does not happen: the hop joins the oldest
            // alert (or its continuation) and the others go on apart
            let merged_size = self.open[target as usize].size() + self.open[other as usize].size();
            if other == target || merged_size + need > MAX_ALERT_HOPS {
                continue;
            }
            if self.journal.is_some() && self.open[other as usize].raised_at.is_some() {
                absorbed.extend(first_hop(&self.open[other as usize].hops));
            }
            self.merge(target, other);
        }
        let o = &mut self.open[target as usize];
        // lead-ins are listed, not counted: only suspicious hops raise an alert
        for l in lead_ins {
            o.first = o.first.min(l.hop.time);
            o.last = o.last.max(l.hop.time);
            o.push(l);
        }
        o.score += ah.score;
        o.first = o.first.min(hop.time);
        o.last = o.last.max(hop.time);
        let was_raised = o.raised_at.is_some();
        if !was_raised && o.score >= self.min_score {
            o.raised_at = Some(hop.time);
        }
        let (causal, origin) = (ah.trail.causal, ah.trail.origin);
        o.push(ah);
        if let (Some(journal), Some(raised_at)) = (self.journal.as_mut(), o.raised_at) {
            journal.push(BookEvent {
                raised: !target_was_raised,
                snapshot: snapshot(o, raised_at),
                absorbed,
            });
        }
        let o = &self.open[target as usize];
        // Only a raised alert is present on the hosts it entered: benign novelty below the
        // threshold is common, and letting it claim hosts would snowball unrelated hops into
        // one alert. Hosts *entered* count, not the sources: a benign alert's entry is a
        // person's own workstation.
        if was_raised {
            self.enter(hop.dst, target, &hop);
        } else if o.raised_at.is_some() {
            let hops: Vec<Hop> = o.hops.iter().filter(|h| !h.is_lead_in()).map(|h| h.hop).collect();
            for h in hops {
                self.enter(h.dst, target, &h);
            }
        }
        if from_internet {
            self.by_internet.insert(pair(hop.dst, hop.user), (target, hop.time));
        }
        // an alert still growing keeps the doors it came in through open: the intruder
        // returns from the internet for as long as the campaign lasts
        let doors: Vec<(u64, u32)> = self.by_internet.iter().map(|(&h, &(a, _))| (h, a)).collect();
        for (h, a) in doors {
            if self.root(a) == target {
                self.by_internet.insert(h, (target, hop.time));
            }
        }
        if let Causal::Clear(c) = causal {
            self.by_causal.insert((c, origin), (target, hop.time));
        }
        target
    }

    /// A new alert, beginning at `at`.
    fn open_new(&mut self, at: Time) -> u32 {
        let id = self.open.len() as u32;
        self.open.push(Open { parent: id, first: at, last: at, ..Open::default() });
        self.live.push(id);
        id
    }

    /// Alert `a` (resolved) when it has room for `need` more hops ([`MAX_ALERT_HOPS`]), else the
    /// alert continuing it — begun now when it has none alive, raised when `a` was (the same
    /// evidence that would have joined `a` joins it). True when that alert was begun here.
    fn with_room(&mut self, a: u32, need: usize, at: Time) -> (u32, bool) {
        let mut a = a;
        loop {
            let o = &self.open[a as usize];
            if o.size() + need <= MAX_ALERT_HOPS {
                return (a, false);
            }
            let next = o.next;
            match self.root(next) {
                0 => break,
                n => a = n,
            }
        }
        let continues = first_hop(&self.open[a as usize].hops).map(|h| h.hop);
        let raised = self.open[a as usize].raised_at.map(|_| at);
        let id = self.open_new(at);
        self.open[id as usize].continues = continues;
        self.open[id as usize].raised_at = raised;
        self.open[a as usize].next = id;
        (id, true)
    }

    fn merge(&mut self, into: u32, from: u32) {
        let f = std::mem::take(&mut self.open[from as usize]);
        self.open[from as usize] = Open { parent: into, dead: false, ..Open::default() };
        let o = &mut self.open[into as usize];
        o.score += f.score;
        o.first = o.first.min(f.first);
        o.last = o.last.max(f.last);
        o.omitted += f.omitted;
        o.judged |= f.judged;
        o.raised_at = match (o.raised_at, f.raised_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for h in f.hops {
            o.push(h);
        }
    }

    /// Forget campaign keys older than their windows, and alerts below the threshold that can
    /// no longer grow (idle for twice the chain window and holding no door from the internet,
    /// or idle for a whole campaign window).
    ///
    /// With a budget, bound what raised alerts hold: once a UTC day is over, its raised alerts
    /// are ranked by their score so far and all but the best `keep_per_day` are retired
    /// (forgotten, counted in [`AlertBook::retired`]). The budget keeps a handful a day in
    /// the end; `keep_per_day` is set well above it, so an alert retired here would have had
    /// to outgrow many of its day's alerts later to be reported.
    pub fn expire(&mut self, now: Time) {
        let (campaign, window) = (self.campaign, self.window);
        self.presence.retain(|_, ps| {
            for p in ps.0.iter_mut() {
                if p.alert != 0 && now.0 - p.last.0 > campaign {
                    *p = Intruder::new(0, Time(i64::MIN));
                }
            }
            ps.iter().next().is_some()
        });
        self.by_internet.retain(|_, (_, t)| now.0 - t.0 <= campaign);
        self.by_causal.retain(|_, (_, t)| now.0 - t.0 <= window);
        self.by_seat.retain(|_, (_, t)| now.0 - t.0 <= window);
        let today = now.0.div_euclid(DAY);
        // An alert below the threshold grows only through chains and causal accounts (within
        // the chain window) or through a door it holds from the internet (campaign window):
        // idle longer than twice the window and holding no door, it never can again.
        let doors: Vec<u32> = self.by_internet.values().map(|&(a, _)| a).collect();
        let doors: ahash::AHashSet<u32> = doors.into_iter().map(|a| self.root(a)).collect();
        let mut finished_days: Vec<(i64, f64, Time, u32)> = Vec::new();
        for &i in &self.live {
            let o = &mut self.open[i as usize];
            if o.parent != i || o.dead {
                continue;
            }
            let idle = now.0 - o.last.0;
            match o.raised_at {
                None if idle > campaign || (idle > 2 * window && !doors.contains(&i)) => {
                    o.dead = true;
                    o.hops = Vec::new();
                    self.discarded += 1;
                }
                Some(r) if self.keep_per_day > 0 && !o.judged && r.0.div_euclid(DAY) < today => {
                    finished_days.push((r.0.div_euclid(DAY), o.score, o.first, i));
                }
                _ => {}
            }
        }
        // per day: best score first, then earliest, then oldest alert
        finished_days.sort_by(|a, b| {
            a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3))
        });
        let (mut day, mut rank) = (i64::MIN, 0);
        for (d, _, _, i) in finished_days {
            if d != day {
                (day, rank) = (d, 0);
            }
            rank += 1;
            let o = &mut self.open[i as usize];
            if rank <= self.keep_per_day {
                o.judged = true;
            } else {
                o.dead = true;
                o.hops = Vec::new();
                self.retired += 1;
            }
        }
        let open = &self.open;
        self.live.retain(|&i| open[i as usize].parent == i && !open[i as usize].dead);
    }

    /// Whether [`AlertBook::compact`] is worth its cost: the book holds more slots of forgotten
    /// and merged alerts than of live ones (and more than a few thousand in all).
    pub fn wants_compaction(&self) -> bool {
        let slots = self.open.len();
        slots > COMPACT_MIN_SLOTS && slots - self.live.len() > self.live.len()
    }

    /// Renumber the alerts densely, forgetting the slots of alerts that are gone, so the book
    /// grows with the alerts alive rather than with every alert ever opened.
    ///
    /// `held`: the alert ids held outside the book (the chains' remembered logins), in any
    /// order, 0s allowed. The returned map translates every id held anywhere (there, in the
    /// campaign indexes, in `live`); the caller rewrites its own ids through it.
    ///
    /// Nothing a later hop sees changes: the map keeps the order of ids (the oldest alert
    /// absorbs the others, a chain passes on its oldest alert), a merged alert's id still
    /// resolves to its survivor's new id (paths compressed), and a held id of a forgotten
    /// alert still resolves to 0 through a forgotten slot, distinct from 0 ("no alert"). Held
    /// ids must stay distinct from 0 because [`crate::detect::chain::Chains::same_account_alert`]
    /// takes the oldest *unresolved* id: a forgotten one there means none, even when a
    /// younger parent's alert is alive. Forgotten ids with no live id between them share one
    /// slot. Ids of alerts nothing holds any more, and the hops of forgotten alerts, are
    /// freed. (Hops keep the trail they continued, whose `alert` is the id at that moment:
    /// history, never looked up.)
    pub fn compact(&mut self, held: impl IntoIterator<Item = u32>) -> AlertRemap {
        const GONE: u8 = 1;
        const ALIVE: u8 = 2;
        let n = self.open.len();
        let mut keep = vec![0u8; n];
        // a presence of a forgotten alert claims nothing ([`AlertBook::present`]) and gives way
        // first ([`AlertBook::enter`]): dropped here, it holds no id
        let mut presence = std::mem::take(&mut self.presence);
        presence.retain(|_, ps| {
            for p in ps.0.iter_mut().filter(|p| p.alert != 0) {
                if self.root(p.alert) == 0 {
                    *p = Intruder::new(0, Time(i64::MIN));
                }
            }
            ps.iter().next().is_some()
        });
        self.presence = presence;
        let indexed: Vec<u32> = self
            .presence
            .values()
            .flat_map(|ps| ps.iter().map(|p| (p.alert, p.last)).collect::<Vec<_>>())
            .collect::<Vec<_>>()
            .iter()
            .chain(self.by_internet.values())
            .chain(self.by_causal.values())
            .chain(self.by_seat.values())
            .map(|&(a, _)| a)
            .collect();
        let live = std::mem::take(&mut self.live);
        // the alerts continuing full ones are looked up through them
        let continuations: Vec<u32> = live.iter().map(|&a| self.open[a as usize].next).collect();
        for a in held.into_iter().chain(indexed).chain(live.iter().copied()).chain(continuations) {
            if a == 0 || a as usize >= n {
                continue;
            }
            match self.root(a) {
                0 => keep[a as usize] = keep[a as usize].max(GONE),
                r => {
                    keep[a as usize] = ALIVE;
                    keep[r as usize] = ALIVE;
                }
            }
        }
        // old id → new id, in order; a run of forgotten ids shares one slot
        let mut map = vec![0u32; n];
        let mut next = 0u32;
        let mut last = 0u8;
        for (old, &k) in keep.iter().enumerate().skip(1) {
            if k == 0 {
                continue;
            }
            if !(k == GONE && last == GONE) {
                next += 1;
            }
            map[old] = next;
            last = k;
        }
        // in place: a new id never exceeds the old one, so each slot moves down onto a slot
        // already read (no second book at the peak)
        let mut filled = 1;
        for old in 1..n {
            let new = map[old] as usize;
            if new < filled {
                continue; // not kept (0), or a forgotten slot already written
            }
            let slot = match keep[old] {
                GONE => Open { parent: new as u32, dead: true, ..Open::default() },
                // a survivor moves; a merged alert's slot points at its survivor's new id (the
                // marking above compressed its path, so its parent is the survivor; survivors
                // have lower ids, so theirs has moved already and must not be followed)
                _ if self.open[old].parent as usize == old => {
                    Open { parent: new as u32, ..std::mem::take(&mut self.open[old]) }
                }
                _ => Open { parent: map[self.open[old].parent as usize], ..Open::default() },
            };
            self.open[new] = slot;
            filled = new + 1;
        }
        self.open.truncate(filled);
        self.open.shrink_to_fit();
        let remap = AlertRemap(map);
        for o in self.open.iter_mut().filter(|o| o.next != 0) {
            o.next = remap.id(o.next);
        }
        for ps in self.presence.values_mut() {
            for p in ps.0.iter_mut().filter(|p| p.alert != 0) {
                p.alert = remap.id(p.alert);
            }
        }
        for (_, (a, _)) in self.by_internet.iter_mut() {
            *a = remap.id(*a);
        }
        for (_, (a, _)) in self.by_causal.iter_mut().chain(self.by_seat.iter_mut()) {
            *a = remap.id(*a);
        }
        let open = &self.open;
        self.live = live
            .into_iter()
            .map(|a| remap.id(a))
            .filter(|&i| open[i as usize].parent == i && !open[i as usize].dead)
            .collect();
        self.live.dedup();
        remap
    }

    /// The raised alert present on `host` at `now` that touched it last, whatever the account
    /// (0 = none).
    #[cfg(test)]
    pub fn present_on(&mut self, host: u32, now: Time) -> u32 {
        let Some(ps) = self.presence.get(&host).copied() else { return 0 };
        match ps.iter().max_by_key(|p| p.last) {
            Some(p) if now.0 - p.last.0 <= self.campaign => self.raised_root(p.alert),
            _ => 0,
        }
    }

    /// The raised alerts present on `host` (resolved, ascending).
    #[cfg(test)]
    pub fn presences_on(&mut self, host: u32) -> Vec<u32> {
        let Some(ps) = self.presence.get(&host).copied() else { return Vec::new() };
        let mut out: Vec<u32> = ps.iter().map(|p| self.raised_root(p.alert)).collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Slots in the book: one per alert id that can still be looked up.
    #[cfg(test)]
    pub fn slots(&self) -> usize {
        self.open.len()
    }

    /// Slots of alerts merged into another.
    #[cfg(test)]
    pub fn merged(&self) -> usize {
        self.open.iter().enumerate().filter(|(i, o)| o.parent != *i as u32 && !o.dead).count()
    }

    /// Alerts still open.
    pub fn open_count(&self) -> usize {
        self.open.iter().enumerate().filter(|(i, o)| o.parent == *i as u32 && !o.dead).count()
    }

    /// Raised alerts as (raised_at, score, hops sorted, omitted), in creation order; counts
    /// the open ones that never reached the threshold into `discarded`.
    pub fn into_raised(mut self) -> (Vec<RaisedAlert>, u64) {
        let mut out = Vec::new();
        for (i, o) in self.open.iter_mut().enumerate() {
            if o.parent != i as u32 || o.dead {
                continue;
            }
            match o.raised_at {
                Some(r) => out.push(snapshot(o, r)),
                None => self.discarded += 1,
            }
        }
        (out, self.discarded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_reasons_name_hosts_accounts_and_the_arrivals_time() {
        let at = Time::parse("2021-03-16T17:56:15.250Z").unwrap();
        let reason_novel = |internet_facing, passed_over, novel| EntryReason::Arrival {
            first_seen: "us-app-01",
            internet_facing,
            passed_over,
            novel,
            src: "jp-ws-003",
            account: "svc-backup",
            at,
            bits: 16.04,
        };
        let reason =
            |internet_facing, passed_over| reason_novel(internet_facing, passed_over, true);
        let arrival = |internet_facing| reason(internet_facing, None);
        let text = arrival(false).to_string();
        assert!(
            text.starts_with("the intruder was first seen on us-app-01, an inner host"),
            "{text}"
        );
        assert!(
            text.contains(
                "(jp-ws-003 as svc-backup at 2021-03-16 17:56:15 UTC, 16.0 bits) began here"
            ),
            "{text}"
        );
        let text = arrival(true).to_string();
        assert!(text.starts_with("the intruder was first seen on us-app-01, an internet-facing server; no login from the internet"), "{text}");
        assert!(text.contains("one new to it (jp-ws-003 as svc-backup at 2021-03-16 17:56:15 UTC, 16.0 bits), began here"), "{text}");
        assert!(text.ends_with("us-app-01 is the other candidate)"), "{text}");
        let passed = reason(false, Some("jp-ws-011")).to_string();
        assert!(passed.contains("the session from jp-ws-011 that reached it within the day before had begun more than 5 minutes"), "{passed}");
        assert!(passed.contains("one new to it (jp-ws-003 as svc-backup"), "{passed}");
        let own = reason_novel(false, Some("jp-ws-011"), false).to_string();
        assert!(own.contains("one as the account the first suspicious hop left with, which that session did not use (jp-ws-003 as svc-backup"), "{own}");
        assert!(own.ends_with("(jp-ws-011 is the other candidate)"), "{own}");
        assert!(EntryReason::Chain { first_seen: "sg-jump-01" }
            .to_string()
            .contains("first seen on sg-jump-01"));
        assert_ne!(
            EntryReason::Source { lead_in: true }.to_string(),
            EntryReason::Source { lead_in: false }.to_string()
        );
    }

    const H: i64 = 3_600_000_000;

    fn ah(t: i64, src: u32, dst: u32, origin: u32, causal: u32) -> AlertHop {
        let hop = Hop::test(t, src, dst, causal);
        let trail =
            Trail { origin, causal: Causal::Clear(causal), start: Time(t), depth: 2, alert: 0 };
        AlertHop {
            hop,
            score: 5.0,
            contributions: vec![],
            techniques: vec![],
            evidence: vec![hop.evidence],
            trail,
            arrival: None,
            other_sessions: crate::detect::chain::Doors::NONE,
        }
    }

    #[test]
    fn one_causal_account_ties_chains_of_one_origin_not_of_others() {
        let mut book = AlertBook::new(12.0, 120 * 24 * H, 24 * H, 0);
        // svc-backup (7) moving on in chains from origin 1: one actor, one alert
        let a = book.attach(ah(0, 2, 3, 1, 7), Vec::new(), &mut Vec::new(), false);
        let b = book.attach(ah(H, 4, 5, 1, 7), Vec::new(), &mut Vec::new(), false);
        assert_eq!(a, b);
        // the same service account in a chain from origin 9 within the window: another actor
        let c = book.attach(ah(2 * H, 6, 8, 9, 7), Vec::new(), &mut Vec::new(), false);
        assert_ne!(a, c);
        // after the window, the same origin no longer ties either
        let d = book.attach(ah(30 * H, 10, 11, 1, 7), Vec::new(), &mut Vec::new(), false);
        assert_ne!(a, d);
    }

    /// A book with ten forgotten alerts (1–10), a raised one (11) that absorbed another (12),
    /// one forgotten below the threshold (13) and one still open (14), 60 hours in.
    fn book_with_history() -> AlertBook {
        let mut book = AlertBook::new(12.0, 120 * 24 * H, 24 * H, 0);
        for i in 0..10 {
            book.attach(
                ah(0, 100 + i, 200 + i, 300 + i, 400 + i),
                Vec::new(),
                &mut Vec::new(),
                false,
            );
        }
        assert_eq!(book.attach(ah(0, 2, 3, 1, 7), Vec::new(), &mut Vec::new(), false), 11);
        assert_eq!(book.attach(ah(H, 4, 5, 9, 8), Vec::new(), &mut Vec::new(), false), 12);
        assert_eq!(book.attach(ah(2 * H, 6, 7, 10, 11), Vec::new(), &mut vec![11, 12], false), 11);
        assert_eq!(book.attach(ah(3 * H, 20, 21, 30, 31), Vec::new(), &mut Vec::new(), false), 13);
        assert_eq!(book.attach(ah(60 * H, 40, 41, 42, 43), Vec::new(), &mut Vec::new(), false), 14);
        book.expire(Time(60 * H));
        book
    }

    #[test]
    fn compaction_renumbers_what_is_held_and_keeps_what_it_resolves_to() {
        let mut book = book_with_history();
        let now = Time(60 * H);
        assert_eq!((book.root(12), book.root(13), book.root(5)), (11, 0, 0));
        assert!(book.is_raised(11) && book.present_on(5, now) != 0);
        assert_eq!((book.slots(), book.open_count()), (15, 2));
        // the chains hold a merged alert, forgotten ones, both survivors and "none"
        let held = [12, 13, 5, 11, 14, 0, 3];
        let map = book.compact(held);
        let new = |old: u32| map.id(old);
        // a merged alert keeps its own id, resolving to its survivor's new one
        assert_ne!(new(12), new(11));
        assert_eq!(book.root(new(12)), new(11));
        assert_eq!(book.root(new(11)), new(11));
        assert!(book.is_raised(new(12)));
        // forgotten ones resolve to 0 but are not "none": a chain holding one still has an
        // (oldest) alert, which is gone; forgotten ones with nothing alive between share a slot
        for gone in [13, 5, 3] {
            assert_ne!(new(gone), 0);
            assert_eq!(book.root(new(gone)), 0);
        }
        assert_eq!(new(3), new(5));
        // order is kept (the oldest alert absorbs the others); ids nothing holds are freed
        assert!(new(5) < new(11) && new(11) < new(12) && new(12) < new(13) && new(13) < new(14));
        assert_eq!((new(0), new(1), new(10)), (0, 0, 0));
        assert_eq!(book.slots(), 6);
        assert_eq!(book.open_count(), 2);
        assert_eq!(book.live, vec![new(11), new(14)]);
        // the campaign indexes follow: hosts the raised alert reached, the open alert's account
        assert_eq!((book.present_on(5, now), book.present_on(7, now)), (new(11), new(11)));
        assert_eq!(
            book.attach(ah(61 * H, 41, 50, 42, 43), Vec::new(), &mut Vec::new(), false),
            new(14)
        );
        // and a new alert takes the next id
        assert_eq!(book.attach(ah(62 * H, 60, 61, 62, 63), Vec::new(), &mut Vec::new(), false), 6);
    }

    #[test]
    fn a_compacted_book_raises_the_same_alerts() {
        let (mut plain, mut compacted) = (book_with_history(), book_with_history());
        let map = compacted.compact([12, 13]);
        // the chain that fed the merged alert continues it; the open alert grows past the
        // threshold; a hop continuing the forgotten alert's chain starts a new one
        let a = plain.attach(ah(61 * H, 5, 70, 9, 8), Vec::new(), &mut vec![12], false);
        let b = compacted.attach(ah(61 * H, 5, 70, 9, 8), Vec::new(), &mut vec![map.id(12)], false);
        assert_eq!((a, b), (11, map.id(11)));
        for book in [&mut plain, &mut compacted] {
            book.attach(ah(62 * H, 41, 71, 42, 43), Vec::new(), &mut Vec::new(), false);
            book.attach(ah(63 * H, 41, 72, 42, 43), Vec::new(), &mut Vec::new(), false);
        }
        assert!(
            compacted.attach(ah(64 * H, 21, 73, 30, 31), Vec::new(), &mut vec![map.id(13)], false)
                > map.id(14)
        );
        assert!(plain.attach(ah(64 * H, 21, 73, 30, 31), Vec::new(), &mut vec![13], false) > 14);
        assert_eq!(plain.into_raised(), compacted.into_raised());
    }

    /// A raised alert of its own (min score 5) entering host `dst` as account `user` at hour `t`.
    fn raised_into(book: &mut AlertBook, t: i64, src: u32, dst: u32, user: u32) -> u32 {
        let a = book.attach(ah(t * H, src, dst, src, user), Vec::new(), &mut Vec::new(), false);
        assert!(book.is_raised(a));
        a
    }

    #[test]
    fn a_later_alert_on_a_host_does_not_erase_the_intruder_already_there() {
        let mut book = AlertBook::new(5.0, 120 * 24 * H, 24 * H, 0);
        // the intruder enters host 3 as account 7; nine days on, an administrator's own novel
        // login (an alert of its own) reaches host 3 with the same account
        let intruder = raised_into(&mut book, 0, 1, 3, 7);
        let admin = raised_into(&mut book, 9 * 24, 2, 3, 7);
        assert_eq!(book.presences_on(3), vec![intruder, admin]);
        // a hop out of host 3 with account 7 that no session explains: both could claim it,
        // the one with the stronger evidence does (equal scores here: the older)
        let out = Hop::test(10 * 24 * H, 3, 4, 7);
        assert_eq!(book.present(&out, false), intruder);
        // explained by a person's own session: neither
        assert_eq!(book.present(&out, true), 0);
        // another account that neither brought: neither is present for it; the stronger could
        // have taken it there, when it never left host 3 before
        let other = Hop::test(10 * 24 * H, 3, 4, 8);
        assert_eq!(book.present(&other, false), 0);
        assert_eq!(book.could_have_taken(&other, false, true), intruder);
        assert_eq!(book.could_have_taken(&other, false, false), 0);
        // the administrator's alert alone on a host claims what it brought; grown stronger
        // than the intruder's, it takes what both could claim
        raised_into(&mut book, 9 * 24 + 1, 2, 5, 7);
        assert_eq!(book.present(&Hop::test(10 * 24 * H, 5, 4, 7), false), admin);
        book.attach(ah(9 * 24 * H + 2 * H, 5, 6, 2, 7), Vec::new(), &mut vec![admin], false);
        assert_eq!(book.present(&out, false), admin);
        assert_eq!(book.could_have_taken(&other, false, true), admin);
        // merged, the two hold one slot on host 3
        let joined =
            book.attach(ah(10 * 24 * H, 3, 4, 3, 7), Vec::new(), &mut vec![admin, intruder], false);
        assert_eq!(joined, intruder);
        assert_eq!(book.presences_on(3), vec![intruder]);
        assert_eq!(book.present(&out, false), intruder);
    }

    #[test]
    fn a_host_keeps_the_most_recently_active_alerts_present_and_each_for_its_dwell() {
        let campaign = 120 * 24 * H;
        let mut book = AlertBook::new(5.0, campaign, 24 * H, 0);
        // more raised alerts enter host 3 than it keeps: the least recently active gives way
        let n = PRESENCES as i64 + 1;
        let alerts: Vec<u32> =
            (0..n).map(|i| raised_into(&mut book, i, 10 + i as u32, 3, 7)).collect();
        assert_eq!(book.presences_on(3), alerts[1..].to_vec());
        // the oldest one touching the host again comes back, displacing the next oldest
        book.touch(alerts[0], &Hop::test((n + 1) * H, 9, 3, 7));
        let back: Vec<u32> = alerts.iter().copied().filter(|&a| a != alerts[1]).collect();
        assert_eq!(book.presences_on(3), back);
        // past the dwell window after its last touch a presence is gone, the others stay
        book.expire(Time((n - 1) * H + campaign + 1));
        assert_eq!(book.presences_on(3), vec![alerts[0]]);
        book.expire(Time((n + 1) * H + campaign + 1));
        assert_eq!(book.presences_on(3), Vec::<u32>::new());
    }

    #[test]
    fn an_alert_never_holds_more_than_the_bound_and_a_full_one_is_continued() {
        let mut book = AlertBook::new(5.0, 120 * 24 * H, 24 * H, 0);
        // one intruder's hops, each continuing the alert: the first MAX_ALERT_HOPS fill it
        let first = book.attach(ah(0, 1, 2, 1, 7), Vec::new(), &mut Vec::new(), false);
        for i in 1..MAX_ALERT_HOPS as i64 {
            assert_eq!(
                book.attach(ah(i * H, 2, 3, 1, 7), Vec::new(), &mut vec![first], false),
                first
            );
        }
        // the next one begins the alert that continues it, raised as the full one was
        let n = MAX_ALERT_HOPS as i64;
        let next = book.attach(ah(n * H, 2, 4, 1, 7), Vec::new(), &mut vec![first], false);
        assert_ne!(next, first);
        assert!(book.is_raised(next));
        // later hops claimed by the full alert go to its continuation, with their lead-ins
        let lead = ah((n + 1) * H - 1, 8, 2, 8, 9);
        assert_eq!(
            book.attach(ah((n + 1) * H, 2, 5, 1, 7), vec![lead], &mut vec![first], false),
            next
        );
        // a small alert merges into the continuation while the bound allows it
        let small =
            book.attach(ah((n + 2) * H, 20, 21, 20, 30), Vec::new(), &mut Vec::new(), false);
        assert_eq!(
            book.attach(ah((n + 3) * H, 21, 22, 20, 30), Vec::new(), &mut vec![next, small], false),
            next
        );
        assert_eq!(book.root(small), next);
        // a merge that would pass the bound does not happen: the hop joins the oldest only
        let other =
            book.attach(ah((n + 4) * H, 40, 41, 40, 50), Vec::new(), &mut Vec::new(), false);
        for i in 0..95 {
            book.attach(ah((n + 5 + i) * H, 41, 42, 40, 50), Vec::new(), &mut vec![other], false);
        }
        let joined = book.attach(
            ah((n + 200) * H, 41, 43, 40, 50),
            Vec::new(),
            &mut vec![next, other],
            false,
        );
        assert_eq!((joined, book.root(other)), (next, other));
        let (raised, _) = book.into_raised();
        assert!(raised.iter().all(|r| r.2.len() + r.3 as usize <= MAX_ALERT_HOPS));
        let full = raised.iter().find(|r| r.2.len() == MAX_ALERT_HOPS).expect("the full alert");
        assert_eq!(full.4, None);
        let cont = raised.iter().find(|r| r.4.is_some()).expect("its continuation");
        assert_eq!(cont.4, Some(full.2[0].hop));
        assert_eq!(cont.2.len(), 1 + 2 + 2 + 1);
    }

    #[test]
    fn threads_split_an_alert_by_compromise_each_with_its_own_entry() {
        use hopscope_model::{Catalog, Inventory};
        let mut c = Catalog::default();
        let inv = Inventory::default();
        let internet = c.hosts.internet();
        let ids: Vec<u32> =
            (1..=6).map(|i| c.hosts.resolve(&inv, Some(&format!("h{i}")), None)).collect();
        let fleet = crate::fleet::Fleet::new(&c, &inv);
        let h = |i: usize| ids[i - 1];
        let hops = vec![
            // intrusion A: in from the internet on h1, on to h2 and h3
            ah(0, internet, h(1), internet, 7),
            ah(H, h(1), h(2), internet, 7),
            ah(2 * H, h(2), h(3), h(1), 7),
            // intrusion B, absorbed weeks later: a chain started on h4 passes through h2
            ah(500 * H, h(5), h(2), h(4), 8),
            ah(501 * H, h(2), h(6), h(4), 8),
        ];
        let alert = Alert {
            id: "A".into(),
            score: 25.0,
            raised_at: Time(0),
            first_time: Time(0),
            last_time: Time(501 * H),
            entry_host: h(1),
            chain_origin: internet,
            causal_account: Causal::Clear(7),
            reasons: vec![String::new(); hops.len()],
            hops,
            hops_omitted: 0,
            continues: None,
        };
        let t = threads(&alert, |h| fleet.foothold(h));
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!((t[0].entry_host, t[0].origin, t[0].hops.clone()), (h(1), h(1), vec![0, 1, 2]));
        assert_eq!((t[1].entry_host, t[1].origin, t[1].hops.clone()), (h(5), h(4), vec![3, 4]));
    }

    /// Host 0 is the internet; nothing else is known (no inventory).
    fn no_inventory(h: u32) -> Foothold {
        if h == 0 {
            Foothold::Internet
        } else {
            Foothold::Unknown
        }
    }

    #[test]
    fn an_intruder_first_seen_on_an_inner_host_entered_where_its_recent_chain_began_at_a_door() {
        // 0 internet, 1-2 doors (workstations, internet-facing), 3-4 inner servers, 5 unknown
        let foothold = |h: u32| match h {
            0 => Foothold::Internet,
            1 | 2 => Foothold::Door,
            3 | 4 => Foothold::Inner,
            _ => Foothold::Unknown,
        };
        // hop src → dst at 30 h, continuing a chain from `origin` begun at `start` hours
        let hop = |src: u32, dst: u32, origin: u32, start: i64| {
            let mut h = ah(30 * H, src, dst, origin, 7);
            h.trail.start = Time(start * H);
            h
        };
        assert_eq!(
            entry_of(&hop(3, 4, 1, 29), foothold),
            1,
            "a workstation's session reached the server an hour before"
        );
        assert_eq!(entry_of(&hop(3, 4, 1, 6), foothold), 1, "24 h before: still one day's session");
        assert_eq!(
            entry_of(&hop(3, 4, 1, 5), foothold),
            3,
            "older: a chain routine logins kept relinking"
        );
        assert_eq!(
            entry_of(&hop(3, 4, 4, 29), foothold),
            3,
            "the chain began on another inner host"
        );
        assert_eq!(
            entry_of(&hop(2, 4, 1, 29), foothold),
            2,
            "an intrusion can begin on a door itself"
        );
        assert_eq!(entry_of(&hop(5, 4, 1, 29), foothold), 5, "nothing known of the source");
        assert_eq!(entry_of(&hop(0, 2, 0, 30), foothold), 2, "from the internet: the host entered");
        // the likeliest login into the source of the last days, when no recent chain says
        let arrived = |mut h: AlertHop, origin: u32, door: bool| {
            let login = Hop::test(H, origin, h.hop.src, 8);
            h.arrival =
                Some(Arrival { hop: login, score: 0.0, origin, door, steps: 1, novel: false });
            h
        };
        assert_eq!(
            entry_basis(&arrived(hop(3, 4, 4, 29), 2, true), foothold).0,
            2,
            "arrived from door 2 days before"
        );
        assert!(
            matches!(entry_basis(&arrived(hop(3, 4, 4, 29), 2, true), foothold).1, EntryBasis::Arrival(a) if a.hop.src == 2)
        );
        assert_eq!(
            entry_basis(&arrived(hop(3, 4, 1, 29), 2, true), foothold),
            (1, EntryBasis::Chain),
            "the last day's session first"
        );
        assert_eq!(
            entry_basis(&arrived(hop(3, 4, 4, 29), 4, false), foothold),
            (3, EntryBasis::Source),
            "no door behind it"
        );
        assert_eq!(
            entry_basis(&arrived(hop(2, 4, 4, 29), 1, true), foothold),
            (2, EntryBasis::Source),
            "a door is itself an entry"
        );
        // out of an internet-facing server (the only door whose hops carry an arrival): a
        // login new to it from another door moves the entry there; a routine one does not,
        // nor a login from the internet (its origin is the server itself)
        let novel = |h: AlertHop, origin: u32| {
            let mut h = arrived(h, origin, true);
            h.arrival.as_mut().unwrap().novel = true;
            h
        };
        assert_eq!(
            entry_of(&novel(hop(2, 4, 4, 29), 1), foothold),
            1,
            "a workstation's first login into the server"
        );
        assert_eq!(entry_of(&novel(hop(2, 4, 4, 29), 2), foothold), 2, "entered from the internet");
        assert_eq!(
            entry_of(&novel(hop(3, 4, 4, 29), 1), foothold),
            1,
            "into an inner host, new or not"
        );
        // a login new to an inner host outweighs the last day's session, unless the hop
        // left within minutes of that session or the new login came from the same door
        let h = novel(hop(3, 4, 1, 29), 2);
        assert_eq!(
            (entry_of(&h, foothold), passed_over_session(&h, foothold)),
            (2, Some(1)),
            "a session of an hour before"
        );
        let minutes = |mut h: AlertHop, m: i64| {
            h.trail.start = Time(h.hop.time.0 - m * 60 * SECOND);
            h
        };
        let h = minutes(novel(hop(3, 4, 1, 29), 2), 4);
        assert_eq!(
            (entry_of(&h, foothold), passed_over_session(&h, foothold)),
            (1, None),
            "ridden minutes before"
        );
        assert_eq!(
            entry_of(&minutes(novel(hop(3, 4, 1, 29), 2), 6), foothold),
            2,
            "6 minutes: outweighed"
        );
        assert_eq!(
            entry_of(&novel(hop(3, 4, 1, 29), 1), foothold),
            1,
            "the new login is the session's own door"
        );
        assert_eq!(
            entry_basis(&arrived(hop(3, 4, 1, 29), 2, true), foothold),
            (1, EntryBasis::Chain),
            "a routine arrival does not"
        );
        // ... nor a routine one, unless it brought the account the hop leaves with and the
        // session did not
        let own_account = |mut h: AlertHop, session_account: u32| {
            h.trail.causal = Causal::Clear(session_account);
            let mut h = arrived(h, 2, true);
            h.arrival.as_mut().unwrap().hop.user = h.hop.user;
            h
        };
        let h = own_account(hop(3, 4, 1, 29), 9);
        assert_eq!(
            (entry_of(&h, foothold), passed_over_session(&h, foothold)),
            (2, Some(1)),
            "the hop's account came from door 2"
        );
        let h = own_account(hop(3, 4, 1, 29), 7);
        assert_eq!(
            (entry_of(&h, foothold), passed_over_session(&h, foothold)),
            (1, None),
            "the session used that account too"
        );
        let mut h = own_account(hop(3, 4, 1, 29), 9);
        h.trail.causal = Causal::Unclear;
        assert_eq!(
            entry_of(&h, foothold),
            2,
            "a session of unclear account did not bring it either"
        );
        let h = minutes(own_account(hop(3, 4, 1, 29), 9), 4);
        assert_eq!(entry_of(&h, foothold), 1, "ridden minutes before");
        // the thread names both: where it began and where it was first seen
        let t = threads(&alert_of(vec![hop(3, 4, 1, 29), hop(4, 5, 1, 29)]), foothold);
        assert_eq!(
            t.iter().map(|t| (t.entry_host, t.first_host, t.hops.clone())).collect::<Vec<_>>(),
            vec![(1, 3, vec![0, 1])]
        );
        // the other candidates, likeliest first: the session passed over; the likeliest
        // arrival's door when the session won, or the first host itself when an arrival won
        // over a door; then the other sessions' doors; only doors, never the entry, once each
        let with_sessions = |mut h: AlertHop, s: &[u32]| {
            h.other_sessions = s.iter().copied().collect();
            h
        };
        assert_eq!(
            other_entries(&novel(hop(3, 4, 1, 29), 2), foothold),
            vec![1],
            "the session passed over"
        );
        assert_eq!(
            other_entries(&arrived(hop(3, 4, 1, 29), 2, true), foothold),
            vec![2],
            "the arrival behind the session"
        );
        assert_eq!(
            other_entries(&with_sessions(arrived(hop(3, 4, 1, 29), 2, true), &[2, 5, 1]), foothold),
            vec![2],
            "once each, doors only"
        );
        let mut both = with_sessions(arrived(hop(3, 4, 1, 29), 2, true), &[6]);
        let door6 = |h: u32| if h == 6 { Foothold::Door } else { foothold(h) };
        assert_eq!(
            other_entries(&both, door6),
            vec![6, 2],
            "the day's other sessions before a routine arrival of days before"
        );
        both.arrival.as_mut().unwrap().novel = true;
        both.hop.time = Time(both.trail.start.0 + 4 * 60 * SECOND);
        assert_eq!(
            other_entries(&both, door6),
            vec![2, 6],
            "a login new to the host before them (the session, ridden, won)"
        );
        assert_eq!(
            other_entries(&with_sessions(hop(3, 4, 1, 29), &[2]), foothold),
            vec![2],
            "another session's door"
        );
        assert_eq!(
            other_entries(&novel(hop(2, 4, 4, 29), 1), foothold),
            vec![2],
            "the internet-facing server itself: an exploit"
        );
        assert_eq!(
            other_entries(&hop(2, 4, 1, 29), foothold),
            Vec::<u32>::new(),
            "a door's own hop: nothing else"
        );
        assert_eq!(
            other_entries(&hop(0, 2, 0, 30), foothold),
            Vec::<u32>::new(),
            "from the internet: nothing else"
        );
    }

    /// A fleet of hosts h1..h8 and the internet, and an alert holding `hops`.
    fn alert_of(hops: Vec<AlertHop>) -> Alert {
        Alert {
            id: "A".into(),
            score: 25.0,
            raised_at: Time(0),
            first_time: hops.first().map_or(Time(0), |h| h.hop.time),
            last_time: hops.last().map_or(Time(0), |h| h.hop.time),
            entry_host: hops.first().map_or(0, |h| h.hop.src),
            chain_origin: 0,
            causal_account: Causal::Unclear,
            reasons: vec![String::new(); hops.len()],
            hops,
            hops_omitted: 0,
            continues: None,
        }
    }

    fn lead_in(mut h: AlertHop) -> AlertHop {
        h.contributions.push(Contribution { feature: Feature::LeadIn, bits: 0.0 });
        h
    }

    #[test]
    fn a_thread_follows_compromise_whatever_trails_its_hops_continued() {
        // one intrusion from workstation 1: each hop continued a different routine trail
        // into its source (origins 50, 51, 52), and the last one came four days after the
        // first, the thread still being active
        let alert = alert_of(vec![
            ah(0, 1, 2, 1, 7),
            ah(H, 1, 3, 1, 7),
            ah(30 * H, 2, 4, 50, 8),
            ah(60 * H, 4, 5, 51, 9),
            ah(100 * H, 3, 6, 52, 9),
        ]);
        let t = threads(&alert, no_inventory);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!((t[0].entry_host, t[0].hops.clone()), (1, vec![0, 1, 2, 3, 4]));
    }

    #[test]
    fn a_quiet_thread_is_not_continued_and_the_internet_always_starts_one() {
        let alert = alert_of(vec![
            ah(0, 0, 2, 2, 7),
            ah(H, 2, 3, 2, 7),
            // the internet again into host 2: another way in, another thread
            ah(2 * H, 0, 2, 2, 7),
            // out of host 3, four days after its thread's last hop: the intruder back
            ah(H + 4 * 24 * H, 3, 4, 3, 7),
            // out of host 4, six days after that: a new episode
            ah(H + 10 * 24 * H, 4, 5, 4, 7),
        ]);
        let t = threads(&alert, no_inventory);
        let got: Vec<(u32, Vec<usize>)> =
            t.iter().map(|t| (t.entry_host, t.hops.clone())).collect();
        assert_eq!(got, vec![(2, vec![0, 1, 3]), (2, vec![2]), (4, vec![4])]);
        // the new episode began where the first thread had been: the other candidate
        let earlier: Vec<Option<(usize, Time)>> = t.iter().map(|t| t.earlier).collect();
        assert_eq!(earlier, vec![None, None, Some((0, Time(H + 4 * 24 * H)))]);
    }

    #[test]
    fn a_lead_in_joins_the_thread_of_a_hop_only_when_the_hop_continued_its_chain() {
        // lead-in 1 → 2 starts a chain at origin 1 at time 0; hop 2 → 3 continues it
        let continued = ah(2 * H, 2, 3, 1, 7);
        let mut followed = continued.clone();
        followed.trail.start = Time(0);
        let t = threads(&alert_of(vec![lead_in(ah(0, 1, 2, 1, 7)), followed]), no_inventory);
        assert_eq!(
            t.iter().map(|t| (t.entry_host, t.hops.clone())).collect::<Vec<_>>(),
            vec![(1, vec![0, 1])]
        );
        // hop 2 → 3 on a chain of its own (the lead-in was long before, outside the chain
        // window): the lead-in is listed, but the thread starts on host 2
        let mut own = continued;
        own.trail.origin = 2;
        let t = threads(&alert_of(vec![lead_in(ah(0, 1, 2, 1, 7)), own]), no_inventory);
        assert_eq!(
            t.iter().map(|t| (t.entry_host, t.hops.clone())).collect::<Vec<_>>(),
            vec![(1, vec![0]), (2, vec![1])]
        );
    }

    #[test]
    fn an_alert_narrowed_to_a_thread_keeps_its_id_and_counts_its_own_hops() {
        let mut hops = vec![
            ah(0, 0, 2, 2, 7),
            ah(H, 2, 3, 2, 7),
            lead_in(ah(500 * H, 5, 6, 5, 8)),
            ah(501 * H, 6, 4, 5, 8),
        ];
        hops[3].score = 11.0;
        hops[3].trail.start = Time(500 * H); // it continued the lead-in's chain
        let mut alert = alert_of(hops);
        alert.raised_at = Time(H);
        let t = threads(&alert, no_inventory);
        assert_eq!(t.len(), 2, "{t:?}");
        let second = alert.thread(&t[1]);
        assert_eq!(second.id, alert.id);
        assert_eq!(
            second.hops.iter().map(|h| (h.hop.src, h.hop.dst)).collect::<Vec<_>>(),
            vec![(5, 6), (6, 4)]
        );
        assert_eq!((second.entry_host, second.score), (5, 11.0));
        // known when its first suspicious hop came, not when the alert was raised months before
        assert_eq!(
            (second.raised_at, second.first_time, second.last_time),
            (Time(501 * H), Time(500 * H), Time(501 * H))
        );
        let first = alert.thread(&t[0]);
        assert_eq!((first.entry_host, first.score, first.raised_at), (2, 10.0, Time(H)));
    }
}
