//! Scoring a detection against ground truth (the simulator's `truth.json`, parsed by the
//! caller into [`Truth`]).
//!
//! An alert hop **matches** a malicious login when the destination host names agree, the
//! account names agree (the part after `DOMAIN\` and before `@`, case-insensitive) and the
//! times are within [`MATCH_SLACK`] (truth times are whole seconds; logs carry fractions, and
//! hosts' clocks disagree by a second or two). Only successful malicious logins are matched.
//!
//! Figures: intrusions alerted, hop recall (malicious `entry`/`hop` logins covered by an
//! alert), precision (alert hops matching any malicious login), alerts per day after the
//! warmup, entry host found, time from the first malicious login to the alert, the largest
//! alert (hops, threads), intrusions held whole by one alert (and raised at their entry),
//! recall per goal × stealth, and all of them at several budgets ([`EVAL_BUDGETS`]).

pub mod remap;

use std::collections::{BTreeMap, BTreeSet};

use crate::detect::alert::Alert;
use crate::detect::budget::apply_budget;
use crate::detect::probe::{Probe, ProbedHop};
use crate::fleet::Fleet;
use crate::units::DAY;
use hopscope_model::{Catalog, Evidence, Time};

/// Time tolerance between an alert hop and a truth login (5 s).
pub const MATCH_SLACK: i64 = 5_000_000;

/// Budgets (alerts kept per UTC day) `eval` reports every figure at: 2 and 5 are the ones
/// detection is judged at (docs/detection.md#detection-quality).
pub const EVAL_BUDGETS: [usize; 5] = [1, 2, 5, 9, 20];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginKind {
    Entry,
    Hop,
    Revisit,
}

/// One malicious login of the truth.
#[derive(Clone, Debug, PartialEq)]
pub struct TruthLogin {
    pub time: Time,
    pub intrusion: u32,
    pub kind: LoginKind,
    pub src_host: String,
    pub dst_host: String,
    /// As the truth spells it (`CORP\svc-backup`, `opsadmin`).
    pub account: String,
    pub success: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TruthIntrusion {
    pub id: u32,
    pub goal: String,
    pub stealth: String,
    pub entry_host: String,
}

/// Ground truth: intrusions and their logins.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Truth {
    pub scenario: String,
    /// First day (midnight UTC) and the day after the last one.
    pub start: Time,
    pub end: Time,
    pub intrusions: Vec<TruthIntrusion>,
    pub logins: Vec<TruthLogin>,
}

/// `CORP\adm-x`, `adm-x@CORP.EXAMPLE`, `ADM-X` → `adm-x`.
pub fn account_key(s: &str) -> String {
    let s = s.rsplit('\\').next().unwrap_or(s);
    let s = s.split('@').next().unwrap_or(s);
    s.trim().to_lowercase()
}

/// Per intrusion: what the detection made of it.
#[derive(Clone, Debug, PartialEq)]
pub struct IntrusionResult {
    pub id: u32,
    pub goal: String,
    pub stealth: String,
    /// Successful `entry`/`hop` logins, and those covered by an alert.
    pub hops_total: usize,
    pub hops_covered: usize,
    /// The first alert (by detection time) holding one of its successful logins.
    pub alert: Option<String>,
    /// When that alert knew: the later of its raise time and its first matching hop.
    pub detected_at: Option<Time>,
    /// Detected minus the first successful malicious login.
    pub delay: Option<i64>,
    /// Detected minus the first successful lateral (`hop`) login.
    pub delay_from_first_hop: Option<i64>,
    pub entry_truth: String,
    /// The entry host of the alert's thread holding the intrusion's first covered hop
    /// ([`crate::detect::alert::threads`]).
    pub entry_found: Option<String>,
    /// The other candidates that thread names for its entry, likeliest first
    /// ([`crate::detect::alert::Thread::other_entries`]).
    pub entry_candidates: Vec<String>,
    /// Which of that alert's [`crate::detect::alert::threads`] holds its first covered hop.
    pub thread: Option<usize>,
    /// The alert's threads holding any of its covered logins (its scope is theirs).
    pub threads: Vec<usize>,
    /// The latest of its entry and hop logins (not a return to a host already reached) that
    /// alert holds, as (destination, time): where an analyst reading the alert would start a
    /// trace back.
    pub latest_covered: Option<(u32, Time)>,
    /// Every successful login of the intrusion happened before the warmup ended: detection
    /// was still learning and could not alert it.
    pub in_warmup: bool,
    /// The first raised alert holding every one of its successful `entry`/`hop` logins (none
    /// when it has none, or no alert holds them all).
    pub whole_alert: Option<String>,
    /// That alert was raised no later than the first of those logins (within
    /// [`MATCH_SLACK`]): the intrusion was alerted at its entry, whole.
    pub whole_at_entry: bool,
}

/// Figures for one set of alerts.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    pub alerts: usize,
    /// Alerts holding no malicious hop.
    pub benign_alerts: usize,
    /// Days after the warmup up to the truth's end.
    pub days: f64,
    pub alerts_per_day: f64,
    pub benign_alerts_per_day: f64,
    pub intrusions: usize,
    pub intrusions_alerted: usize,
    /// Intrusions lying entirely inside the warmup (counted in `intrusions`, never alertable).
    pub intrusions_in_warmup: usize,
    pub hops_total: usize,
    pub hops_covered: usize,
    pub hop_recall: f64,
    /// Alert hops listed (`hops_omitted` beyond 500 per alert are not judged).
    pub alert_hops: usize,
    pub alert_hops_malicious: usize,
    pub precision: f64,
    pub hops_omitted: u64,
    /// Alert hops that are malicious, over every alert hop, listed or omitted: the omitted
    /// ones are not judged and count as not malicious (a lower bound; `precision` when no
    /// alert omits any).
    pub hop_precision: f64,
    /// The most hops of any alert (listed and omitted), and that alert's id (the first by
    /// rank among equals).
    pub largest_alert_hops: usize,
    pub largest_alert: Option<String>,
    /// The most [`crate::detect::alert::threads`] of any alert (over its listed hops).
    pub largest_alert_threads: usize,
    /// Intrusions one alert holds whole ([`IntrusionResult::whole_alert`]), and of them those
    /// that alert raised at their entry ([`IntrusionResult::whole_at_entry`]).
    pub intrusions_whole: usize,
    pub intrusions_whole_at_entry: usize,
    pub entry_found: usize,
    /// Alerted intrusions whose true entry is the one found or among the other candidates the
    /// thread names ([`IntrusionResult::entry_candidates`]).
    pub entry_named: usize,
    /// Other candidates named, over the alerted intrusions' threads.
    pub entry_candidates: usize,
    /// Alerted intrusions whose covered logins lie in more than one thread of their alert
    /// (each further thread names an entry of its own).
    pub intrusions_split: usize,
    /// Threads holding covered logins of more than one intrusion (their entry and scope
    /// serve several).
    pub threads_shared: usize,
    /// Threads holding covered logins of some intrusion.
    pub threads_held: usize,
    /// Of those, the threads whose entry is the true entry of an intrusion they hold: every
    /// other one points a responder at a host where no intrusion began.
    pub thread_entries_right: usize,
    pub per_intrusion: Vec<IntrusionResult>,
    /// Truth login index → ids of the alerts holding it.
    pub covering: BTreeMap<usize, Vec<String>>,
}

/// Recall for one goal × stealth group.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupFigures {
    pub goal: String,
    pub stealth: String,
    pub intrusions: usize,
    pub intrusions_alerted: usize,
    pub hops_total: usize,
    pub hops_covered: usize,
}

/// Figures at one budget.
#[derive(Clone, Debug, PartialEq)]
pub struct BudgetFigures {
    pub budget: usize,
    pub figures: Figures,
}

/// Everything `eval` reports for one rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub budget: usize,
    pub figures: Figures,
    pub groups: Vec<GroupFigures>,
    pub by_budget: Vec<BudgetFigures>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Index of truth logins by (destination, account) for matching.
struct Index<'t> {
    by_dst: BTreeMap<(String, String), Vec<(usize, &'t TruthLogin)>>,
}

impl<'t> Index<'t> {
    fn new(truth: &'t Truth) -> Index<'t> {
        let mut by_dst: BTreeMap<(String, String), Vec<(usize, &TruthLogin)>> = BTreeMap::new();
        for (i, l) in truth.logins.iter().enumerate().filter(|(_, l)| l.success) {
            by_dst
                .entry((l.dst_host.to_lowercase(), account_key(&l.account)))
                .or_default()
                .push((i, l));
        }
        Index { by_dst }
    }
    /// The truth logins (indexes) a hop matches.
    fn matches(
        &self,
        dst: &str,
        account: &str,
        t: Time,
    ) -> impl Iterator<Item = (usize, &'t TruthLogin)> + '_ {
        self.by_dst
            .get(&(dst.to_lowercase(), account_key(account)))
            .into_iter()
            .flatten()
            .filter(move |(_, l)| (l.time.0 - t.0).abs() <= MATCH_SLACK)
            .copied()
    }
}

/// Judge `alerts` (already budgeted) against `truth`.
pub fn figures(
    alerts: &[Alert],
    catalog: &Catalog,
    fleet: &Fleet,
    truth: &Truth,
    warmup_end: Option<Time>,
) -> Figures {
    let index = Index::new(truth);
    // truth login index → (alert index) of alerts covering it
    let mut covered: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut alert_hops = 0;
    let mut alert_hops_malicious = 0;
    let mut benign_alerts = 0;
    let mut hops_omitted = 0u64;
    // (alert index, intrusion) → first matching hop (time, index)
    let mut first_match: BTreeMap<(usize, u32), (Time, usize)> = BTreeMap::new();
    // (alert index, intrusion) → indexes of the alert's hops matching its logins
    let mut matched: BTreeMap<(usize, u32), Vec<usize>> = BTreeMap::new();
    // (alert index, intrusion) → the latest of the alert's hops matching its entry or hop logins
    let mut latest_lateral: BTreeMap<(usize, u32), (Time, Evidence, u32)> = BTreeMap::new();
    // (hops, alert index) of the alert with the most hops; the most threads of any alert
    let mut largest: Option<(usize, usize)> = None;
    let mut largest_alert_threads = 0;
    for (ai, a) in alerts.iter().enumerate() {
        let mut any = false;
        hops_omitted += a.hops_omitted as u64;
        let size = a.hops.len() + a.hops_omitted as usize;
        if largest.is_none_or(|(n, _)| size > n) {
            largest = Some((size, ai));
        }
        largest_alert_threads = largest_alert_threads
            .max(crate::detect::alert::threads(a, |h| fleet.foothold(h)).len());
        for (hi, h) in a.hops.iter().enumerate() {
            alert_hops += 1;
            let dst = catalog.hosts.name(h.hop.dst).unwrap_or("");
            let acc = catalog.accounts.get(h.hop.user).map(|a| a.name.clone()).unwrap_or_default();
            let mut hit = false;
            for (li, l) in index.matches(dst, &acc, h.hop.time) {
                hit = true;
                covered.entry(li).or_default().push(ai);
                let e = first_match.entry((ai, l.intrusion)).or_insert((h.hop.time, hi));
                *e = (*e).min((h.hop.time, hi));
                let m = matched.entry((ai, l.intrusion)).or_default();
                if m.last() != Some(&hi) {
                    m.push(hi);
                }
                if matches!(l.kind, LoginKind::Entry | LoginKind::Hop) {
                    let latest = latest_lateral.entry((ai, l.intrusion)).or_insert((
                        h.hop.time,
                        h.hop.evidence,
                        h.hop.dst,
                    ));
                    *latest = (*latest).max((h.hop.time, h.hop.evidence, h.hop.dst));
                }
            }
            if hit {
                alert_hops_malicious += 1;
                any = true;
            }
        }
        if !any {
            benign_alerts += 1;
        }
    }
    let mut per_intrusion = Vec::new();
    // (alert index, thread) holding an intrusion's logins → whether its entry was the true
    // entry of one of the intrusions it holds
    let mut thread_entry_right: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    for intr in &truth.intrusions {
        let logins: Vec<(usize, &TruthLogin)> = truth
            .logins
            .iter()
            .enumerate()
            .filter(|(_, l)| l.intrusion == intr.id && l.success)
            .collect();
        let lateral: Vec<&(usize, &TruthLogin)> = logins
            .iter()
            .filter(|(_, l)| matches!(l.kind, LoginKind::Entry | LoginKind::Hop))
            .collect();
        let hops_covered = lateral.iter().filter(|(i, _)| covered.contains_key(i)).count();
        // the first raised alert holding every entry and hop login
        let whole = lateral
            .first()
            .and_then(|(i, _)| covered.get(i))
            .into_iter()
            .flatten()
            .copied()
            .filter(|&ai| {
                lateral.iter().all(|(i, _)| covered.get(i).is_some_and(|c| c.contains(&ai)))
            })
            .min_by_key(|&ai| (alerts[ai].raised_at, ai));
        let first_lateral = lateral.iter().map(|(_, l)| l.time).min();
        let whole_at_entry = whole
            .zip(first_lateral)
            .is_some_and(|(ai, t)| alerts[ai].raised_at.0 <= t.0.saturating_add(MATCH_SLACK));
        // the alert that knew first
        let mut best: Option<(Time, usize)> = None;
        let mut best_hop = 0;
        for (&(ai, id), &(t, hi)) in &first_match {
            if id != intr.id {
                continue;
            }
            let at = Time(alerts[ai].raised_at.0.max(t.0));
            if best.is_none_or(|(bt, _)| at < bt) {
                best = Some((at, ai));
                best_hop = hi;
            }
        }
        let first = logins.iter().map(|(_, l)| l.time).min();
        let first_hop =
            logins.iter().filter(|(_, l)| l.kind == LoginKind::Hop).map(|(_, l)| l.time).min();
        // the threads (hops linked by compromise) holding its logins, and of them the one
        // holding its first: an alert that gathered several intrusions names each one's own
        // entry, and scopes each one's own hosts
        let latest_covered = best
            .and_then(|(_, ai)| latest_lateral.get(&(ai, intr.id)))
            .map(|&(t, _, dst)| (dst, t));
        let (thread, held) = match best {
            Some((_, ai)) => {
                let threads = crate::detect::alert::threads(&alerts[ai], |h| fleet.foothold(h));
                let hops = matched.get(&(ai, intr.id)).map_or(&[][..], Vec::as_slice);
                let first = threads
                    .iter()
                    .position(|t| t.hops.contains(&best_hop))
                    .map(|i| (i, threads[i].entry_host, threads[i].other_entries.clone()));
                let held: Vec<usize> = (0..threads.len())
                    .filter(|&i| hops.iter().any(|h| threads[i].hops.contains(h)))
                    .collect();
                for &i in &held {
                    let entry = catalog.hosts.name(threads[i].entry_host).unwrap_or("");
                    *thread_entry_right.entry((ai, i)).or_default() |=
                        entry.eq_ignore_ascii_case(&intr.entry_host);
                }
                (first, held)
            }
            None => (None, Vec::new()),
        };
        let entry_found = best.map(|(_, ai)| {
            let e = thread.as_ref().map_or(alerts[ai].entry_host, |(_, e, _)| *e);
            catalog.hosts.name(e).unwrap_or("").to_string()
        });
        let entry_candidates: Vec<String> = thread
            .as_ref()
            .map_or(&[][..], |(_, _, others)| others.as_slice())
            .iter()
            .map(|&h| catalog.hosts.name(h).unwrap_or("").to_string())
            .collect();
        per_intrusion.push(IntrusionResult {
            id: intr.id,
            goal: intr.goal.clone(),
            stealth: intr.stealth.clone(),
            hops_total: lateral.len(),
            hops_covered,
            alert: best.map(|(_, ai)| alerts[ai].id.clone()),
            detected_at: best.map(|(t, _)| t),
            delay: best.and_then(|(t, _)| first.map(|f| t.0 - f.0)),
            delay_from_first_hop: best.and_then(|(t, _)| first_hop.map(|f| t.0 - f.0)),
            entry_truth: intr.entry_host.clone(),
            entry_found,
            entry_candidates,
            thread: thread.map(|(i, _, _)| i),
            threads: held,
            latest_covered,
            in_warmup: warmup_end.is_some_and(|w| logins.iter().all(|(_, l)| l.time < w)),
            whole_alert: whole.map(|ai| alerts[ai].id.clone()),
            whole_at_entry,
        });
    }
    let days = match warmup_end {
        Some(w) => ((truth.end.0 - w.0) as f64 / DAY as f64).max(1.0),
        None => ((truth.end.0 - truth.start.0) as f64 / DAY as f64).max(1.0),
    };
    let hops_total: usize = per_intrusion.iter().map(|r| r.hops_total).sum();
    let hops_covered: usize = per_intrusion.iter().map(|r| r.hops_covered).sum();
    Figures {
        alerts: alerts.len(),
        benign_alerts,
        days,
        alerts_per_day: alerts.len() as f64 / days,
        benign_alerts_per_day: benign_alerts as f64 / days,
        intrusions: per_intrusion.len(),
        intrusions_alerted: per_intrusion.iter().filter(|r| r.alert.is_some()).count(),
        intrusions_in_warmup: per_intrusion.iter().filter(|r| r.in_warmup).count(),
        hops_total,
        hops_covered,
        hop_recall: ratio(hops_covered, hops_total),
        alert_hops,
        alert_hops_malicious,
        precision: ratio(alert_hops_malicious, alert_hops),
        hops_omitted,
        hop_precision: ratio(alert_hops_malicious, alert_hops + hops_omitted as usize),
        largest_alert_hops: largest.map_or(0, |(n, _)| n),
        largest_alert: largest.map(|(_, ai)| alerts[ai].id.clone()),
        largest_alert_threads,
        intrusions_whole: per_intrusion.iter().filter(|r| r.whole_alert.is_some()).count(),
        intrusions_whole_at_entry: per_intrusion.iter().filter(|r| r.whole_at_entry).count(),
        entry_found: per_intrusion
            .iter()
            .filter(|r| {
                r.entry_found.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&r.entry_truth))
            })
            .count(),
        entry_named: per_intrusion
            .iter()
            .filter(|r| {
                let right = |e: &str| e.eq_ignore_ascii_case(&r.entry_truth);
                r.entry_found.as_deref().is_some_and(right)
                    || (r.alert.is_some() && r.entry_candidates.iter().any(|e| right(e)))
            })
            .count(),
        entry_candidates: per_intrusion
            .iter()
            .filter(|r| r.alert.is_some())
            .map(|r| r.entry_candidates.len())
            .sum(),
        intrusions_split: per_intrusion.iter().filter(|r| r.threads.len() > 1).count(),
        threads_shared: {
            let mut owners: BTreeMap<(&str, usize), BTreeSet<u32>> = BTreeMap::new();
            for r in &per_intrusion {
                for &t in &r.threads {
                    owners.entry((r.alert.as_deref().unwrap_or(""), t)).or_default().insert(r.id);
                }
            }
            owners.values().filter(|ids| ids.len() > 1).count()
        },
        threads_held: thread_entry_right.len(),
        thread_entries_right: thread_entry_right.values().filter(|&&right| right).count(),
        per_intrusion,
        covering: covered
            .into_iter()
            .map(|(li, ais)| {
                let mut ids: Vec<String> =
                    ais.into_iter().map(|ai| alerts[ai].id.clone()).collect();
                ids.dedup();
                (li, ids)
            })
            .collect(),
    }
}

/// Judge a run made with no budget (`unbudgeted`, every raised alert) at `budget` and at
/// each of [`EVAL_BUDGETS`].
pub fn evaluate(
    unbudgeted: &[Alert],
    catalog: &Catalog,
    fleet: &Fleet,
    truth: &Truth,
    warmup_end: Option<Time>,
    budget: usize,
) -> Evaluation {
    let at = |b: usize| {
        let (kept, _) = apply_budget(unbudgeted.to_vec(), b);
        figures(&kept, catalog, fleet, truth, warmup_end)
    };
    let main = at(budget);
    let mut groups: BTreeMap<(String, String), GroupFigures> = BTreeMap::new();
    for r in &main.per_intrusion {
        let g = groups.entry((r.goal.clone(), r.stealth.clone())).or_insert_with(|| GroupFigures {
            goal: r.goal.clone(),
            stealth: r.stealth.clone(),
            intrusions: 0,
            intrusions_alerted: 0,
            hops_total: 0,
            hops_covered: 0,
        });
        g.intrusions += 1;
        g.intrusions_alerted += r.alert.is_some() as usize;
        g.hops_total += r.hops_total;
        g.hops_covered += r.hops_covered;
    }
    Evaluation {
        budget,
        by_budget: EVAL_BUDGETS
            .iter()
            .map(|&b| BudgetFigures { budget: b, figures: at(b) })
            .collect(),
        figures: main,
        groups: groups.into_values().collect(),
    }
}

/// One malicious login of a missed intrusion and what the detector made of it.
#[derive(Clone, Debug, PartialEq)]
pub struct MissedLogin {
    /// Index into [`Truth::logins`].
    pub login: usize,
    /// Alerts holding it.
    pub alerts: Vec<String>,
    /// The hops the detector scored for it (a login logged at both ends is one hop).
    pub seen: Vec<ProbedHop>,
}

/// An intrusion with a successful hop no alert holds, or whose entry host was not found.
#[derive(Clone, Debug, PartialEq)]
pub struct Miss {
    pub id: u32,
    pub logins: Vec<MissedLogin>,
}

/// The intrusions `figures` judged incomplete (a lateral login not covered, or the entry host
/// not found), each successful login with the scoring `probe` recorded for it (matched like
/// alert hops: destination, account, time).
pub fn misses(figures: &Figures, truth: &Truth, probe: &Probe, catalog: &Catalog) -> Vec<Miss> {
    let mut out = Vec::new();
    for r in &figures.per_intrusion {
        let found =
            r.entry_found.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&r.entry_truth));
        if r.hops_covered == r.hops_total && found {
            continue;
        }
        let logins = truth
            .logins
            .iter()
            .enumerate()
            .filter(|(_, l)| l.intrusion == r.id && l.success)
            .map(|(i, l)| MissedLogin {
                login: i,
                alerts: figures.covering.get(&i).cloned().unwrap_or_default(),
                seen: probe
                    .seen
                    .iter()
                    .filter(|p| {
                        let dst = catalog.hosts.name(p.hop.dst).unwrap_or("");
                        let acc =
                            catalog.accounts.get(p.hop.user).map(|a| a.name.as_str()).unwrap_or("");
                        dst.eq_ignore_ascii_case(&l.dst_host)
                            && account_key(acc) == account_key(&l.account)
                            && (p.hop.time.0 - l.time.0).abs() <= MATCH_SLACK
                    })
                    .cloned()
                    .collect(),
            })
            .collect();
        out.push(Miss { id: r.id, logins });
    }
    out
}

/// A probe on every successful malicious login of `truth` whose destination the catalog
/// knows.
pub fn probe_for(truth: &Truth, catalog: &Catalog) -> Probe {
    let wanted = truth
        .logins
        .iter()
        .filter(|l| l.success)
        .filter_map(|l| catalog.hosts.find(&l.dst_host).map(|d| (d, l.time)));
    Probe::new(wanted, MATCH_SLACK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::alert::AlertHop;
    use crate::detect::chain::{Causal, Trail};
    use crate::graph::Hop;

    const S: i64 = 1_000_000;

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        let inv = hopscope_model::Inventory::default();
        c.hosts.internet();
        for h in ["sg-ops-03", "th-app-02", "us-jump-01", "jp-ws-001"] {
            c.hosts.resolve(&inv, Some(h), None);
        }
        c.accounts.intern("opsadmin", None);
        c.accounts.intern("svc-backup", Some("CORP"));
        c.accounts.intern("alice", None);
        c
    }

    fn hop(t: i64, src: u32, dst: u32, user: u32) -> AlertHop {
        let hop = Hop::test(t, src, dst, user);
        AlertHop {
            hop,
            score: 20.0,
            contributions: vec![],
            techniques: vec![],
            evidence: vec![hop.evidence],
            trail: Trail {
                origin: src,
                causal: Causal::Unclear,
                start: Time(t),
                depth: 1,
                alert: 0,
            },
            arrival: None,
            other_sessions: crate::detect::alert::Doors::NONE,
        }
    }

    fn alert(id: &str, raised: i64, hops: Vec<AlertHop>) -> Alert {
        Alert {
            id: id.into(),
            score: 20.0 * hops.len() as f64,
            raised_at: Time(raised),
            first_time: hops[0].hop.time,
            last_time: hops.last().unwrap().hop.time,
            entry_host: hops[0].hop.src,
            chain_origin: hops[0].hop.src,
            causal_account: Causal::Unclear,
            reasons: vec![String::new(); hops.len()],
            hops,
            hops_omitted: 0,
            continues: None,
        }
    }

    fn login(t: i64, kind: LoginKind, src: &str, dst: &str, account: &str) -> TruthLogin {
        TruthLogin {
            time: Time(t),
            intrusion: 1,
            kind,
            src_host: src.into(),
            dst_host: dst.into(),
            account: account.into(),
            success: true,
        }
    }

    #[test]
    fn matching_by_destination_account_and_time() {
        let c = catalog();
        let id = |n: &str| c.hosts.find(n).unwrap();
        let acc = |n: &str| c.accounts.iter().find(|(_, a)| a.name == n).unwrap().0;
        let truth = Truth {
            scenario: "test".into(),
            start: Time(0),
            end: Time(10 * DAY),
            intrusions: vec![TruthIntrusion {
                id: 1,
                goal: "targeted".into(),
                stealth: "agnostic".into(),
                entry_host: "sg-ops-03".into(),
            }],
            logins: vec![
                login(DAY, LoginKind::Entry, "internet", "sg-ops-03", "opsadmin"),
                login(2 * DAY, LoginKind::Hop, "sg-ops-03", "th-app-02", "opsadmin"),
                login(3 * DAY, LoginKind::Hop, "th-app-02", "us-jump-01", "CORP\\svc-backup"),
                login(4 * DAY, LoginKind::Revisit, "sg-ops-03", "th-app-02", "opsadmin"),
                TruthLogin {
                    success: false,
                    ..login(5 * DAY, LoginKind::Hop, "sg-ops-03", "th-app-02", "opsadmin")
                },
            ],
        };
        let fleet = Fleet::default();
        let alerts = vec![
            // hop 1, 3 s late in the logs; hop 2 with the account's domain form; the revisit;
            // a failed login's time (not matched: failures are not hops)
            alert(
                "A-1",
                2 * DAY + 3 * S,
                vec![
                    hop(2 * DAY + 3 * S, id("sg-ops-03"), id("th-app-02"), acc("opsadmin")),
                    hop(3 * DAY - 2 * S, id("th-app-02"), id("us-jump-01"), acc("svc-backup")),
                    hop(4 * DAY, id("sg-ops-03"), id("th-app-02"), acc("opsadmin")),
                    hop(5 * DAY, id("sg-ops-03"), id("th-app-02"), acc("opsadmin")),
                ],
            ),
            // benign: right host, wrong account; right account, 6 s off
            alert(
                "A-2",
                DAY,
                vec![
                    hop(DAY, id("jp-ws-001"), id("sg-ops-03"), acc("alice")),
                    hop(DAY + 6 * S, id("jp-ws-001"), id("sg-ops-03"), acc("opsadmin")),
                ],
            ),
        ];
        let f = figures(&alerts, &c, &fleet, &truth, Some(Time(0)));
        assert_eq!((f.alerts, f.benign_alerts), (2, 1));
        assert_eq!(
            (f.hops_total, f.hops_covered),
            (3, 2),
            "entry not covered; both lateral hops are"
        );
        assert_eq!((f.alert_hops, f.alert_hops_malicious), (6, 3), "two hops and the revisit");
        assert_eq!(f.intrusions_alerted, 1);
        assert_eq!(f.intrusions_in_warmup, 0);
        let late = figures(&alerts, &c, &fleet, &truth, Some(Time(5 * DAY + 1)));
        assert_eq!(late.intrusions_in_warmup, 1, "every login before a warmup ending after day 5");
        let mid = figures(&alerts, &c, &fleet, &truth, Some(Time(3 * DAY)));
        assert_eq!(mid.intrusions_in_warmup, 0, "logins after the warmup: alertable");
        let r = &f.per_intrusion[0];
        assert_eq!(r.alert.as_deref(), Some("A-1"));
        assert_eq!(r.detected_at, Some(Time(2 * DAY + 3 * S)));
        assert_eq!(r.delay, Some(DAY + 3 * S));
        assert_eq!(r.delay_from_first_hop, Some(3 * S));
        assert_eq!(r.entry_found.as_deref(), Some("sg-ops-03"));
        assert_eq!(f.entry_found, 1);
        assert!((f.alerts_per_day - 0.2).abs() < 1e-9);
        assert_eq!(account_key("CORP\\Adm-X"), "adm-x");
        assert_eq!(account_key("adm-x@CORP.EXAMPLE"), "adm-x");
    }

    #[test]
    fn intrusions_split_across_threads_threads_holding_several_and_wrong_thread_entries_are_counted(
    ) {
        let c = catalog();
        let id = |n: &str| c.hosts.find(n).unwrap();
        let acc = |n: &str| c.accounts.iter().find(|(_, a)| a.name == n).unwrap().0;
        let intrusion = |id: u32, entry: &str| TruthIntrusion {
            id,
            goal: "targeted".into(),
            stealth: "agnostic".into(),
            entry_host: entry.into(),
        };
        let truth = Truth {
            scenario: "test".into(),
            start: Time(0),
            end: Time(10 * DAY),
            intrusions: vec![intrusion(1, "sg-ops-03"), intrusion(2, "us-jump-01")],
            logins: vec![
                login(2 * DAY, LoginKind::Hop, "sg-ops-03", "th-app-02", "opsadmin"),
                // intrusion 1 moves on after six quiet days: a new thread
                login(8 * DAY, LoginKind::Hop, "th-app-02", "us-jump-01", "opsadmin"),
                // intrusion 2, an hour later, out of the host the new thread just entered
                TruthLogin {
                    intrusion: 2,
                    ..login(8 * DAY + 3600 * S, LoginKind::Hop, "us-jump-01", "jp-ws-001", "alice")
                },
            ],
        };
        let alerts = vec![alert(
            "A-1",
            2 * DAY,
            vec![
                hop(2 * DAY, id("sg-ops-03"), id("th-app-02"), acc("opsadmin")),
                hop(8 * DAY, id("th-app-02"), id("us-jump-01"), acc("opsadmin")),
                hop(8 * DAY + 3600 * S, id("us-jump-01"), id("jp-ws-001"), acc("alice")),
            ],
        )];
        let f = figures(&alerts, &c, &Fleet::default(), &truth, Some(Time(0)));
        assert_eq!(f.intrusions_alerted, 2);
        assert_eq!(
            f.per_intrusion.iter().map(|r| r.threads.clone()).collect::<Vec<_>>(),
            vec![vec![0, 1], vec![1]]
        );
        assert_eq!((f.intrusions_split, f.threads_shared), (1, 1));
        // the first thread began where intrusion 1 did; the second names th-app-02, where
        // neither began
        assert_eq!((f.threads_held, f.thread_entries_right), (2, 1));
    }

    /// Two doors' sessions reached the jump host before the intruder's first suspicious hop
    /// out of it: the entry found is the later session's door, the other one is named as
    /// another candidate. The intruder rode the earlier one: not found first, but named.
    #[test]
    fn an_entry_among_the_other_candidates_is_named_not_found() {
        use crate::investigate::audit::fixture::world;
        use hopscope_model::Lifecycle::Active;
        // internet-facing hosts are doors (no roles in this inventory)
        let w = world(
            &[
                ("ws-a", Active, "", true, 1),
                ("ws-b", Active, "", true, 1),
                ("jump-1", Active, "", false, 2),
                ("db-1", Active, "", false, 4),
            ],
            &[],
        );
        let truth = Truth {
            scenario: "test".into(),
            start: Time(0),
            end: Time(10 * DAY),
            intrusions: vec![TruthIntrusion {
                id: 1,
                goal: "targeted".into(),
                stealth: "agnostic".into(),
                entry_host: "ws-a".into(),
            }],
            logins: vec![login(2 * DAY, LoginKind::Hop, "jump-1", "db-1", "svc")],
        };
        let mut h = hop(2 * DAY, w.host("jump-1"), w.host("db-1"), w.user("svc"));
        // the session it continued came from ws-b an hour before; ws-a's two hours before
        h.trail = Trail {
            origin: w.host("ws-b"),
            causal: Causal::Unclear,
            start: Time(2 * DAY - 3600 * S),
            depth: 2,
            alert: 0,
        };
        let judge = |other_sessions: crate::detect::alert::Doors| {
            let alerts =
                vec![alert("A-1", 2 * DAY, vec![AlertHop { other_sessions, ..h.clone() }])];
            let f = figures(&alerts, &w.catalog, &w.fleet, &truth, Some(Time(0)));
            let r = &f.per_intrusion[0];
            (
                r.entry_found.clone().unwrap(),
                r.entry_candidates.clone(),
                f.entry_found,
                f.entry_named,
                f.entry_candidates,
            )
        };
        let s = |x: &str| x.to_string();
        assert_eq!(
            judge([w.host("ws-a")].into_iter().collect()),
            (s("ws-b"), vec![s("ws-a")], 0, 1, 1)
        );
        assert_eq!(
            judge(crate::detect::alert::Doors::NONE),
            (s("ws-b"), vec![], 0, 0, 0),
            "no other session: nothing named"
        );
    }

    fn intrusion(id: u32, entry: &str) -> TruthIntrusion {
        TruthIntrusion {
            id,
            goal: "targeted".into(),
            stealth: "agnostic".into(),
            entry_host: entry.into(),
        }
    }

    /// Three intrusions: one held whole by an alert raised at its entry from the internet, one
    /// whose hops lie in two alerts and in none, one held whole by an alert raised an hour after its
    /// only hop. The first alert also holds a benign hop in a thread of its own and omits
    /// three more hops.
    #[test]
    fn largest_alert_hop_precision_and_intrusions_held_whole_at_their_entry() {
        use crate::investigate::audit::fixture::world;
        use hopscope_model::Lifecycle::Active;
        let w = world(
            &[
                ("ws-a", Active, "", true, 1),
                ("web-1", Active, "", true, 2),
                ("app-1", Active, "", false, 3),
                ("db-1", Active, "", false, 4),
            ],
            &[],
        );
        let h = |n: &str| w.host(n);
        let u = |n: &str| w.user(n);
        let internet = w.catalog.hosts.find("internet").unwrap();
        const HR: i64 = 3600 * S;
        let truth = Truth {
            scenario: "test".into(),
            start: Time(0),
            end: Time(10 * DAY),
            intrusions: vec![intrusion(1, "web-1"), intrusion(2, "ws-a"), intrusion(3, "app-1")],
            logins: vec![
                login(DAY, LoginKind::Entry, "internet", "web-1", "mallory"),
                login(DAY + HR, LoginKind::Hop, "web-1", "app-1", "mallory"),
                login(DAY + 2 * HR, LoginKind::Hop, "app-1", "db-1", "svc"),
                // a return to a host already reached: not needed whole
                login(DAY + 3 * HR, LoginKind::Revisit, "internet", "web-1", "mallory"),
                TruthLogin {
                    intrusion: 2,
                    ..login(4 * DAY, LoginKind::Hop, "ws-a", "app-1", "alice")
                },
                // one no alert holds
                TruthLogin {
                    intrusion: 2,
                    ..login(4 * DAY + HR / 2, LoginKind::Hop, "app-1", "web-1", "alice")
                },
                TruthLogin {
                    intrusion: 2,
                    ..login(4 * DAY + HR, LoginKind::Hop, "app-1", "db-1", "alice")
                },
                TruthLogin {
                    intrusion: 3,
                    ..login(6 * DAY, LoginKind::Hop, "app-1", "db-1", "bob")
                },
            ],
        };
        let mut first = alert(
            "A-1",
            DAY,
            vec![
                hop(DAY, internet, h("web-1"), u("mallory")),
                hop(DAY + HR, h("web-1"), h("app-1"), u("mallory")),
                hop(DAY + 2 * HR, h("app-1"), h("db-1"), u("svc")),
                // benign, out of a host no hop of the alert entered: a thread of its own
                hop(DAY + 5 * HR, h("ws-a"), h("db-1"), u("carol")),
            ],
        );
        first.hops_omitted = 3;
        let alerts = vec![
            first,
            alert("A-2", 4 * DAY, vec![hop(4 * DAY, h("ws-a"), h("app-1"), u("alice"))]),
            alert("A-3", 4 * DAY + HR, vec![hop(4 * DAY + HR, h("app-1"), h("db-1"), u("alice"))]),
            alert("A-4", 6 * DAY + HR, vec![hop(6 * DAY, h("app-1"), h("db-1"), u("bob"))]),
        ];
        let f = figures(&alerts, &w.catalog, &w.fleet, &truth, Some(Time(0)));
        assert_eq!(f.intrusions_alerted, 3);
        assert_eq!((f.alert_hops, f.alert_hops_malicious, f.hops_omitted), (7, 6, 3));
        assert!((f.precision - 6.0 / 7.0).abs() < 1e-9, "{}", f.precision);
        assert!((f.hop_precision - 6.0 / 10.0).abs() < 1e-9, "omitted hops judged not malicious");
        assert_eq!(
            (f.largest_alert_hops, f.largest_alert.as_deref(), f.largest_alert_threads),
            (7, Some("A-1"), 2),
            "4 listed + 3 omitted; the intrusion's thread and the benign hop's"
        );
        let whole: Vec<_> =
            f.per_intrusion.iter().map(|r| (r.whole_alert.as_deref(), r.whole_at_entry)).collect();
        assert_eq!(whole, vec![(Some("A-1"), true), (None, false), (Some("A-4"), false)]);
        assert_eq!((f.intrusions_whole, f.intrusions_whole_at_entry), (2, 1));
        // no alert at all: nothing to measure, nothing divided by zero
        let none = figures(&[], &w.catalog, &w.fleet, &truth, Some(Time(0)));
        assert_eq!(
            (none.largest_alert_hops, none.largest_alert, none.largest_alert_threads),
            (0, None, 0)
        );
        assert_eq!((none.hop_precision, none.intrusions_whole), (0.0, 0));
    }

    /// One detection run judged at every budget: the intrusion's alert ranks third on its
    /// day, so it is kept at 5 a day and dropped at 2; alerts a day follow the budget.
    #[test]
    fn every_figure_is_judged_at_budgets_2_and_5_from_one_run() {
        let c = catalog();
        let id = |n: &str| c.hosts.find(n).unwrap();
        let acc = |n: &str| c.accounts.iter().find(|(_, a)| a.name == n).unwrap().0;
        let truth = Truth {
            scenario: "test".into(),
            start: Time(0),
            end: Time(10 * DAY),
            intrusions: vec![intrusion(1, "sg-ops-03")],
            logins: vec![login(
                2 * DAY + 120 * S,
                LoginKind::Hop,
                "sg-ops-03",
                "th-app-02",
                "opsadmin",
            )],
        };
        // day 2: six alerts, scores 60, 50, 40 (the intrusion's), 30, 20, 10 (one hop each);
        // day 3: one benign alert
        let mut alerts = Vec::new();
        for k in 0..6i64 {
            let t = 2 * DAY + k * 60 * S;
            let mut a = if k == 2 {
                alert("A-mal", t, vec![hop(t, id("sg-ops-03"), id("th-app-02"), acc("opsadmin"))])
            } else {
                alert(
                    &format!("A-{k}"),
                    t,
                    vec![hop(t, id("jp-ws-001"), id("us-jump-01"), acc("alice"))],
                )
            };
            a.score = 60.0 - 10.0 * k as f64;
            alerts.push(a);
        }
        alerts.push(alert(
            "A-7",
            3 * DAY,
            vec![hop(3 * DAY, id("jp-ws-001"), id("th-app-02"), acc("alice"))],
        ));
        let e = evaluate(&alerts, &c, &Fleet::default(), &truth, Some(Time(0)), 5);
        let at = |b: usize| &e.by_budget.iter().find(|x| x.budget == b).unwrap().figures;
        assert_eq!((at(2).alerts, at(2).intrusions_alerted, at(2).alert_hops_malicious), (3, 0, 0));
        assert_eq!((at(5).alerts, at(5).intrusions_alerted, at(5).alert_hops_malicious), (6, 1, 1));
        assert!((at(2).alerts_per_day - 0.3).abs() < 1e-9);
        assert!((at(5).alerts_per_day - 0.6).abs() < 1e-9);
        assert!((at(5).hop_precision - 1.0 / 6.0).abs() < 1e-9);
        assert_eq!(at(5).entry_found, 1);
        assert_eq!(at(2).entry_found, 0);
        assert_eq!(e.figures, *at(5), "the headline budget is one of them");
        assert_eq!(at(20).alerts, 7);
    }
}
