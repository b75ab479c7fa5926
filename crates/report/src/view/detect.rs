//! `hopscope detect --json`: alerts with their hops, features, techniques and evidence.

use hopscope_engine::alert::EntryBasis;
use hopscope_engine::{
    same_entry_as, threads, Alert, AlertHop, Arrival, Causal, DetectConfig, Detection, Fleet,
};
use hopscope_model::{Catalog, Time};
use serde::{Deserialize, Serialize};

use super::{account_name, duration, round2, EvidenceRef, LoginView};

/// The whole detection run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DetectionView {
    pub rule: String,
    pub alerts: Vec<AlertView>,
    /// Alerts begun on the entry of earlier ones ([`SameEntryView`]), in alert order; absent
    /// when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub same_entry: Vec<SameEntryView>,
    pub dropped_by_budget: usize,
    pub warmup_end: Option<String>,
    pub settings: DetectSettings,
    pub stats: DetectStatsView,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DetectSettings {
    pub budget: usize,
    pub window: String,
    pub warmup: String,
    pub campaign_window: String,
    pub min_score: f64,
    /// How long a routine-looking login into a host waits for a suspicious hop out of it
    /// (absent in reports written before it existed).
    #[serde(default)]
    pub lead_in_window: String,
    /// How long a login into an inner host stays a candidate for how an intruder got there
    /// (absent in reports written before it existed).
    #[serde(default)]
    pub arrival_window: String,
    pub baseline: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DetectStatsView {
    pub events: u64,
    pub baseline_events: u64,
    pub hops: u64,
    pub failures: u64,
    pub suspicious_hops: u64,
    pub raised: u64,
    pub below_threshold: u64,
    pub edges: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AlertView {
    pub id: String,
    pub score: f64,
    pub raised_at: String,
    pub first_time: String,
    pub last_time: String,
    pub entry_host: String,
    /// Present when the entry is upstream of where the alert first saw the intruder: the inner
    /// host (neither a workstation nor internet-facing) its first hop left; the entry is the
    /// workstation or internet-facing host where the chain that reached it began.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_on: Option<String>,
    /// Present when no session of the day before the first hop reached `first_seen_on` from
    /// a door, and the entry is where the likeliest login into it of the days before began
    /// (docs/detection.md#where-intrusions-begin): that login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived_by: Option<ArrivalView>,
    /// The other hosts where the intrusion may have begun, likeliest first: the session the
    /// entry was preferred over, the other doors whose sessions had reached `first_seen_on`
    /// within the day (docs/detection.md#other-candidates). Absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_entries: Vec<String>,
    pub chain_origin: String,
    pub causal_account: Option<String>,
    pub hops: Vec<AlertHopView>,
    pub hops_omitted: u32,
    /// The alert this one continues: that one was full (100 hops, the bound an alert keeps;
    /// docs/detection.md#the-bound-on-an-alert) when a hop that would have joined it came.
    /// Absent for an alert that continues none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continues: Option<String>,
    pub reasons: Vec<String>,
    /// When the alert gathered several threads (hops linked by compromise; several
    /// intrusions a campaign rule joined): each thread's entry host, origin and hop indexes.
    /// Absent when the alert is one thread (its entry is `entry_host`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub threads: Vec<ThreadView>,
    /// When the view is one thread of the alert (`report --thread N`): its number, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<usize>,
}

/// An alert begun on the entry of earlier ones within 5 days of their compromise
/// ([`hopscope_engine::same_entry_as`]): `scope --alert` of one of them scopes it too. A fact
/// about the set of alerts, so it is kept beside them, not in an alert (`watch` writes each
/// alert as it grows, before later ones exist).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SameEntryView {
    pub alert: String,
    pub begun_on_the_entry_of: Vec<String>,
}

/// One thread of an alert ([`hopscope_engine::threads`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ThreadView {
    pub entry_host: String,
    /// As [`AlertView::first_seen_on`], for the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_on: Option<String>,
    /// As [`AlertView::arrived_by`], for the thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arrived_by: Option<ArrivalView>,
    /// As [`AlertView::other_entries`], for the thread, then the earlier thread's entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_entries: Vec<String>,
    pub chain_origin: String,
    /// Indexes into the alert's `hops`.
    pub hops: Vec<usize>,
    /// When an earlier thread of the alert had been on this thread's first host: the other
    /// explanation (the same intruder back after a pause) and its entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_thread: Option<EarlierThreadView>,
}

/// An earlier thread that had been on a thread's first host ([`hopscope_engine::Thread::earlier`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EarlierThreadView {
    /// Its number among the alert's threads, from 1 (as `detect` and `scope --thread` count).
    pub thread: usize,
    pub entry_host: String,
    /// When it last came to the host (or, having begun there, first left it).
    pub at: String,
}

/// The likeliest login into the host an intruder was first seen on
/// ([`hopscope_engine::arrival`]).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ArrivalView {
    pub login: LoginView,
    /// Its surprise in bits, as the detector scored it.
    pub score: f64,
    /// Logins from the entry to the host, this one included.
    pub steps: u8,
    /// Whether this login, or one before it on its path from the entry, was new to its host
    /// (a new edge or account, an unusual authentication or logon type, a login from the
    /// internet).
    #[serde(default)]
    pub new_to_host: bool,
    /// When this login (new to the host, or bringing the account the first suspicious hop left
    /// with, which the session did not use) was preferred over the session of the day before
    /// that had reached it ([`hopscope_engine::alert::passed_over_session`]): the door that
    /// session came from, the other candidate entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_passed_over: Option<String>,
}

impl ArrivalView {
    /// `a`, and the door of the session it was preferred over, if any.
    pub fn new(a: &Arrival, passed_over: Option<u32>, c: &Catalog) -> ArrivalView {
        ArrivalView {
            login: LoginView::new(c, &a.hop),
            score: round2(a.score as f64),
            steps: a.steps,
            new_to_host: a.novel,
            session_passed_over: passed_over
                .map(|h| c.hosts.name(h).unwrap_or_default().to_string()),
        }
    }
}

/// A hop of an alert, with the names `export` uses.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AlertHopView {
    pub time: String,
    pub src_host: Option<String>,
    pub dst_host: Option<String>,
    pub user: Option<String>,
    pub auth: Option<String>,
    pub logon_type: String,
    pub src_site: Option<String>,
    pub dst_site: Option<String>,
    pub src_country: Option<String>,
    pub dst_country: Option<String>,
    pub score: f64,
    pub features: Vec<FeatureView>,
    pub techniques: Vec<String>,
    pub evidence: Vec<EvidenceRef>,
    /// What was done to the logging of the hop's two hosts within a day of it: tampering
    /// events and silences (docs/coverage.md), as sentences. Absent when nothing; never part
    /// of the score.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_notes: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FeatureView {
    pub name: String,
    pub bits: f64,
}

impl DetectionView {
    /// `rule` and `baseline` as the user named them.
    pub fn new(
        d: &Detection,
        c: &Catalog,
        fleet: &Fleet,
        rule: &str,
        config: &DetectConfig,
        baseline: Option<String>,
    ) -> DetectionView {
        let s = &d.stats;
        DetectionView {
            rule: rule.to_string(),
            alerts: d.alerts.iter().map(|a| AlertView::new(a, c, fleet)).collect(),
            same_entry: same_entry_as(&d.alerts, |h| fleet.foothold(h))
                .into_iter()
                .enumerate()
                .filter(|(_, earlier)| !earlier.is_empty())
                .map(|(j, earlier)| SameEntryView {
                    alert: d.alerts[j].id.clone(),
                    begun_on_the_entry_of: earlier
                        .iter()
                        .map(|&i| d.alerts[i].id.clone())
                        .collect(),
                })
                .collect(),
            dropped_by_budget: d.dropped_by_budget,
            warmup_end: d.warmup_end.map(|t| t.to_rfc3339()),
            settings: DetectSettings {
                budget: config.budget_per_day,
                window: duration(config.window),
                warmup: duration(config.warmup),
                campaign_window: duration(config.campaign_window),
                min_score: config.min_score,
                lead_in_window: duration(config.lead_in_window),
                arrival_window: duration(config.arrival_window),
                baseline,
            },
            stats: DetectStatsView {
                events: s.events,
                baseline_events: s.baseline_events,
                hops: s.hops,
                failures: s.failures,
                suspicious_hops: s.suspicious_hops,
                raised: s.raised,
                below_threshold: s.below_threshold,
                edges: s.edges,
            },
        }
    }
}

impl AlertView {
    /// `fleet` tells where intrusions can begin ([`hopscope_engine::fleet::Foothold`]).
    pub fn new(a: &Alert, c: &Catalog, fleet: &Fleet) -> AlertView {
        let foothold = |h: u32| fleet.foothold(h);
        AlertView {
            id: a.id.clone(),
            score: round2(a.score),
            raised_at: a.raised_at.to_rfc3339(),
            first_time: a.first_time.to_rfc3339(),
            last_time: a.last_time.to_rfc3339(),
            entry_host: c.hosts.name(a.entry_host).unwrap_or_default().to_string(),
            first_seen_on: Some(a.first_host(foothold))
                .filter(|&h| h != a.entry_host)
                .map(|h| c.hosts.name(h).unwrap_or_default().to_string()),
            arrived_by: match a.entry_basis(foothold) {
                EntryBasis::Arrival(x) => {
                    Some(ArrivalView::new(&x, a.passed_over_session(foothold), c))
                }
                _ => None,
            },
            other_entries: names(c, &a.other_entries(foothold)),
            chain_origin: c.hosts.name(a.chain_origin).unwrap_or_default().to_string(),
            causal_account: match a.causal_account {
                Causal::Clear(u) => account_name(c, u),
                Causal::Unclear => None,
            },
            hops: a.hops.iter().map(|h| AlertHopView::new(h, c)).collect(),
            hops_omitted: a.hops_omitted,
            continues: a.continues.clone(),
            reasons: a.reasons.clone(),
            threads: {
                let t = threads(a, foothold);
                if t.len() < 2 {
                    Vec::new()
                } else {
                    let entries: Vec<u32> = t.iter().map(|t| t.entry_host).collect();
                    t.into_iter()
                        .map(|t| ThreadView {
                            earlier_thread: t.earlier.map(|(n, at)| EarlierThreadView {
                                thread: n + 1,
                                entry_host: c
                                    .hosts
                                    .name(entries[n])
                                    .unwrap_or_default()
                                    .to_string(),
                                at: at.to_rfc3339(),
                            }),
                            entry_host: c.hosts.name(t.entry_host).unwrap_or_default().to_string(),
                            first_seen_on: (t.first_host != t.entry_host).then(|| {
                                c.hosts.name(t.first_host).unwrap_or_default().to_string()
                            }),
                            arrived_by: t
                                .arrival
                                .as_ref()
                                .map(|x| ArrivalView::new(x, t.passed_over, c)),
                            other_entries: names(c, &t.other_entries),
                            chain_origin: c.hosts.name(t.origin).unwrap_or_default().to_string(),
                            hops: t.hops,
                        })
                        .collect()
                }
            },
            thread: None,
        }
    }
}

/// Hosts by name.
fn names(c: &Catalog, hosts: &[u32]) -> Vec<String> {
    hosts.iter().map(|&h| c.hosts.name(h).unwrap_or_default().to_string()).collect()
}

impl AlertHopView {
    pub fn new(h: &AlertHop, c: &Catalog) -> AlertHopView {
        let hop = &h.hop;
        let (s, d) = (c.hosts.get(hop.src), c.hosts.get(hop.dst));
        AlertHopView {
            time: hop.time.to_rfc3339(),
            src_host: c.hosts.name(hop.src).map(str::to_string),
            dst_host: c.hosts.name(hop.dst).map(str::to_string),
            user: account_name(c, hop.user),
            auth: c.auths.name(hop.auth).map(str::to_string),
            logon_type: hop.logon_type.as_str().to_string(),
            src_site: s.and_then(|r| r.site.clone()),
            dst_site: d.and_then(|r| r.site.clone()),
            src_country: s.and_then(|r| r.country.clone()),
            dst_country: d.and_then(|r| r.country.clone()),
            score: round2(h.score),
            features: h
                .contributions
                .iter()
                .map(|x| FeatureView { name: x.feature.name().to_string(), bits: round2(x.bits) })
                .collect(),
            techniques: h.techniques.iter().map(|t| t.to_string()).collect(),
            evidence: h.evidence.iter().map(|&e| EvidenceRef::new(c, e)).collect(),
            log_notes: Vec::new(),
        }
    }
}

/// Add to every hop of `alerts` the tampering and silences of its source's and destination's
/// logs within a day of it ([`AlertHopView::log_notes`]).
pub fn note_tampering(
    alerts: &mut [AlertView],
    cov: &hopscope_engine::coverage::Coverage,
    c: &Catalog,
) {
    if cov.tampering.is_empty() {
        return;
    }
    const NEAR: i64 = hopscope_engine::DAY;
    for a in alerts {
        for h in &mut a.hops {
            let Ok(t) = hopscope_model::Time::parse(&h.time) else { continue };
            let (from, to) = (Time(t.0.saturating_sub(NEAR)), Time(t.0.saturating_add(NEAR)));
            let mut hosts: Vec<u32> = [&h.src_host, &h.dst_host]
                .into_iter()
                .flatten()
                .filter_map(|n| c.hosts.find(n))
                .collect();
            hosts.dedup();
            for host in hosts {
                for x in cov.tampering_of(host, from, to) {
                    h.log_notes.push(super::TamperingView::new(c, x).text);
                }
            }
        }
    }
}
