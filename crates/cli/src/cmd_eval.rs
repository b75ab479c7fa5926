//! `hopscope eval`: run detection on a case and score it against ground truth
//! (the simulator's `truth.json`), next to the unseen-edge baseline rule.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_engine::eval::{
    evaluate, misses, probe_for, Evaluation, Figures, LoginKind, Miss, Truth, TruthIntrusion,
    TruthLogin,
};
use hopscope_engine::{DetectConfig, Detector, Fleet, TraceConfig, DAY, SECOND};
use hopscope_model::{EventTable, Time};
use hopscope_report::view::host_name;
use serde::{Deserialize, Serialize};

#[derive(clap::Args)]
#[command(after_long_help = "\
Runs detection (and the unseen-edge baseline rule) over the case and compares the alerts with
the simulator's ground truth: intrusions alerted, hop recall, precision of alert hops, alerts
per day after the warmup, entry host found, the largest alert (hops, threads), intrusions held
whole by one alert raised at their entry, time to the first alert; recall per goal x stealth;
and these figures at budgets of 1, 2, 5, 9 and 20 alerts a day (one detection run, each budget
applied afterwards; --json `by_budget`). Then, per alerted intrusion, the client
count scope finds from its alert, and the entry point trace names from the latest login its
alert holds (as `hopscope trace --host H --at T` would).

An alert hop matches a malicious login when destination host and account name agree and the
times are within 5 s.

Examples:
  hopscope simulate --out fleet && hopscope ingest fleet/logs --inventory fleet --case case
  hopscope eval --case case --truth fleet/truth.json
  hopscope eval --case case --truth fleet/truth.json --json | jq '.rules[0].figures.hop_recall'
  hopscope eval --case case --truth fleet/truth.json --misses   (why each intrusion was missed)")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// The simulator's truth.json.
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,
    /// Alerts kept per UTC day for the headline figures.
    #[arg(long, value_name = "N", default_value_t = 5)]
    budget: usize,
    /// One JSON document.
    #[arg(long)]
    json: bool,
    /// After the table: each intrusion with a hop no alert holds (or whose entry host was not
    /// found), login by login, with the score the detector gave it and why.
    #[arg(long, conflicts_with = "json")]
    misses: bool,
    /// Detection's settings, as `detect` takes them, to measure a trade-off.
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
}

/// `truth.json` as the simulator writes it (docs/simulator.md): read once, by `eval` and by
/// `demo`.
#[derive(Deserialize)]
pub struct TruthFile {
    #[serde(default)]
    pub scenario: String,
    pub start: String,
    pub end: String,
    pub intrusions: Vec<IntrusionFile>,
    pub logins: Vec<LoginFile>,
}
#[derive(Deserialize)]
pub struct IntrusionFile {
    pub id: u32,
    #[serde(default)]
    pub goal: String,
    #[serde(default)]
    pub stealth: String,
    pub entry_host: String,
    #[serde(default)]
    pub first_malicious: String,
    #[serde(default)]
    pub detected: Option<String>,
    #[serde(default)]
    pub contained: Option<String>,
    #[serde(default)]
    pub target_host: Option<String>,
    /// Client organisations whose data the intruder reached (the simulator's truth).
    #[serde(default)]
    pub clients_exposed: Option<usize>,
    #[serde(default)]
    pub restricted_clients_exposed: Option<usize>,
}
#[derive(Deserialize)]
pub struct LoginFile {
    pub time: String,
    pub intrusion: u32,
    pub kind: String,
    pub src_host: String,
    pub dst_host: String,
    pub account: String,
    #[serde(default)]
    pub protocol: String,
    pub outcome: String,
}

/// Read and parse `truth.json`.
pub fn read_truth_file(path: &std::path::Path) -> Result<TruthFile> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a hopscope truth file", path.display()))
}

fn time(s: &str) -> Result<Time> {
    Time::parse(s).map_err(|e| anyhow::anyhow!("{s:?}: {e}"))
}

/// Parse truth.json (schema `hopscope-sim-truth/1`).
/// Per intrusion: (id, clients exposed, restricted clients exposed, containment), where the
/// truth gives them.
fn client_truth(f: &TruthFile) -> Vec<(u32, usize, usize, Option<Time>)> {
    f.intrusions
        .iter()
        .filter_map(|i| {
            let contained = i.contained.as_deref().and_then(|c| Time::parse(c).ok());
            i.clients_exposed
                .map(|n| (i.id, n, i.restricted_clients_exposed.unwrap_or(0), contained))
        })
        .collect()
}

/// The truth in the engine's terms.
pub fn truth_of(f: &TruthFile, path: &std::path::Path) -> Result<Truth> {
    let logins = f
        .logins
        .iter()
        .map(|l| {
            Ok(TruthLogin {
                time: time(&l.time)?,
                intrusion: l.intrusion,
                kind: match l.kind.as_str() {
                    "entry" => LoginKind::Entry,
                    "hop" => LoginKind::Hop,
                    _ => LoginKind::Revisit,
                },
                src_host: l.src_host.clone(),
                dst_host: l.dst_host.clone(),
                account: l.account.clone(),
                success: l.outcome == "success",
            })
        })
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("{}: bad login time", path.display()))?;
    Ok(Truth {
        scenario: f.scenario.clone(),
        start: time(&f.start)?,
        end: time(&f.end)?,
        intrusions: f
            .intrusions
            .iter()
            .map(|i| TruthIntrusion {
                id: i.id,
                goal: i.goal.clone(),
                stealth: i.stealth.clone(),
                entry_host: i.entry_host.clone(),
            })
            .collect(),
        logins,
    })
}

#[derive(Serialize)]
struct Report {
    case: String,
    scenario: String,
    budget: usize,
    rules: Vec<RuleReport>,
    /// Scope run from the alert covering each intrusion whose truth counts clients.
    clients: Vec<ClientsJson>,
    /// `trace` run back from the latest login of each alerted intrusion its alert holds.
    traces: Vec<TraceJson>,
}

/// The entry `trace` names, run as an analyst reading an intrusion's alert would: from the
/// destination of the latest of its logins the alert holds, one second after it.
#[derive(Serialize)]
struct TraceJson {
    intrusion: u32,
    host: String,
    at: String,
    entry_host: String,
    /// The trace's entry point (none: nothing suspicious reached the host).
    entry_host_found: Option<String>,
    /// The alert whose thread gave the path (none: the rarity walk's).
    along_alert: Option<String>,
    right: bool,
    /// The entries of the trace's alternatives, best first.
    other_entries: Vec<String>,
}

/// The client count `scope` finds from an intrusion's alert, against the truth.
#[derive(Serialize)]
struct ClientsJson {
    intrusion: u32,
    alert: Option<String>,
    truth: usize,
    truth_restricted: usize,
    /// The other alerts scoped with it: begun on its entry within 5 days of its compromise.
    joined_alerts: Vec<String>,
    /// Observed tier: hosts the alert's hops reached (and theirs).
    observed: Option<usize>,
    observed_restricted: Option<usize>,
    /// Everything within reach (observed and possible tiers).
    possible: Option<usize>,
    exact: bool,
}

#[derive(Serialize)]
struct RuleReport {
    rule: &'static str,
    raised: usize,
    figures: FiguresJson,
    by_goal_stealth: Vec<GroupJson>,
    by_budget: Vec<FiguresJson>,
    intrusions: Vec<IntrusionJson>,
}

#[derive(Serialize)]
struct FiguresJson {
    budget: usize,
    alerts: usize,
    benign_alerts: usize,
    days: f64,
    alerts_per_day: f64,
    benign_alerts_per_day: f64,
    intrusions: usize,
    intrusions_alerted: usize,
    intrusion_recall: f64,
    /// Intrusions whose every login lies inside detection's warmup (counted in
    /// `intrusions`; they cannot be alerted).
    intrusions_in_warmup: usize,
    hops_total: usize,
    hops_covered: usize,
    hop_recall: f64,
    alert_hops: usize,
    alert_hops_malicious: usize,
    precision: f64,
    hops_omitted: u64,
    /// Malicious alert hops over every alert hop, the omitted ones (not judged) counted as
    /// not malicious: a lower bound, equal to `precision` when no alert omits hops.
    hop_precision: f64,
    /// The most hops of any alert (listed and omitted), and that alert.
    largest_alert_hops: usize,
    largest_alert: Option<String>,
    /// The most threads of any alert.
    largest_alert_threads: usize,
    /// Intrusions one alert holds whole (every successful entry and hop login).
    intrusions_whole: usize,
    /// Of those, the ones whose alert was raised at their first entry or hop login.
    intrusions_whole_at_entry: usize,
    entry_found: usize,
    /// `entry_found` over `intrusions_alerted`.
    entry_found_rate: f64,
    /// Alerted intrusions whose true entry is the one found or among the other candidates
    /// its thread names.
    entry_named: usize,
    /// Other candidates named, over the alerted intrusions' threads.
    entry_candidates: usize,
    /// Alerted intrusions whose covered logins lie in more than one thread of their alert.
    intrusions_split: usize,
    /// Threads holding covered logins of more than one intrusion.
    threads_shared: usize,
    /// Threads holding covered logins of some intrusion.
    threads_held: usize,
    /// Of those, the threads whose entry is the true entry of an intrusion they hold.
    thread_entries_right: usize,
}

#[derive(Serialize)]
struct GroupJson {
    goal: String,
    stealth: String,
    intrusions: usize,
    intrusions_alerted: usize,
    hops_total: usize,
    hops_covered: usize,
    hop_recall: f64,
}

#[derive(Serialize)]
struct IntrusionJson {
    id: u32,
    goal: String,
    stealth: String,
    hops_total: usize,
    hops_covered: usize,
    alert: Option<String>,
    detected_at: Option<String>,
    delay_hours: Option<f64>,
    delay_from_first_hop_hours: Option<f64>,
    entry_host: String,
    entry_host_found: Option<String>,
    /// The other candidates for the entry that thread names, likeliest first.
    other_entries: Vec<String>,
    /// Which of the alert's threads (from 1, as `detect` numbers them) holds its first covered hop.
    thread: Option<usize>,
    /// The alert's threads holding any of its covered logins (the client count scopes them).
    threads: Vec<usize>,
    /// The first raised alert holding every one of its successful entry and hop logins.
    whole_alert: Option<String>,
    /// That alert was raised at the first of those logins.
    whole_at_entry: bool,
}

fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
fn hours(us: i64) -> f64 {
    (us as f64 / 3_600_000_000.0 * 100.0).round() / 100.0
}

fn figures_json(budget: usize, f: &Figures) -> FiguresJson {
    FiguresJson {
        budget,
        alerts: f.alerts,
        benign_alerts: f.benign_alerts,
        days: r4(f.days),
        alerts_per_day: r4(f.alerts_per_day),
        benign_alerts_per_day: r4(f.benign_alerts_per_day),
        intrusions: f.intrusions,
        intrusions_alerted: f.intrusions_alerted,
        intrusion_recall: r4(if f.intrusions == 0 {
            0.0
        } else {
            f.intrusions_alerted as f64 / f.intrusions as f64
        }),
        intrusions_in_warmup: f.intrusions_in_warmup,
        hops_total: f.hops_total,
        hops_covered: f.hops_covered,
        hop_recall: r4(f.hop_recall),
        alert_hops: f.alert_hops,
        alert_hops_malicious: f.alert_hops_malicious,
        precision: r4(f.precision),
        hops_omitted: f.hops_omitted,
        hop_precision: r4(f.hop_precision),
        largest_alert_hops: f.largest_alert_hops,
        largest_alert: f.largest_alert.clone(),
        largest_alert_threads: f.largest_alert_threads,
        intrusions_whole: f.intrusions_whole,
        intrusions_whole_at_entry: f.intrusions_whole_at_entry,
        entry_found: f.entry_found,
        entry_found_rate: r4(if f.intrusions_alerted == 0 {
            0.0
        } else {
            f.entry_found as f64 / f.intrusions_alerted as f64
        }),
        entry_named: f.entry_named,
        entry_candidates: f.entry_candidates,
        intrusions_split: f.intrusions_split,
        threads_shared: f.threads_shared,
        threads_held: f.threads_held,
        thread_entries_right: f.thread_entries_right,
    }
}

fn rule_report(rule: &'static str, raised: usize, e: &Evaluation) -> RuleReport {
    RuleReport {
        rule,
        raised,
        figures: figures_json(e.budget, &e.figures),
        by_goal_stealth: e
            .groups
            .iter()
            .map(|g| GroupJson {
                goal: g.goal.clone(),
                stealth: g.stealth.clone(),
                intrusions: g.intrusions,
                intrusions_alerted: g.intrusions_alerted,
                hops_total: g.hops_total,
                hops_covered: g.hops_covered,
                hop_recall: r4(if g.hops_total == 0 {
                    0.0
                } else {
                    g.hops_covered as f64 / g.hops_total as f64
                }),
            })
            .collect(),
        by_budget: e.by_budget.iter().map(|b| figures_json(b.budget, &b.figures)).collect(),
        intrusions: e
            .figures
            .per_intrusion
            .iter()
            .map(|r| IntrusionJson {
                id: r.id,
                goal: r.goal.clone(),
                stealth: r.stealth.clone(),
                hops_total: r.hops_total,
                hops_covered: r.hops_covered,
                alert: r.alert.clone(),
                detected_at: r.detected_at.map(|t| t.to_rfc3339()),
                delay_hours: r.delay.map(hours),
                delay_from_first_hop_hours: r.delay_from_first_hop.map(hours),
                entry_host: r.entry_truth.clone(),
                entry_host_found: r.entry_found.clone(),
                other_entries: r.entry_candidates.clone(),
                thread: r.thread.map(|i| i + 1),
                threads: r.threads.iter().map(|i| i + 1).collect(),
                whole_alert: r.whole_alert.clone(),
                whole_at_entry: r.whole_at_entry,
            })
            .collect(),
    }
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let file = read_truth_file(&a.truth)?;
    let truth = truth_of(&file, &a.truth)?;
    let fleet = Fleet::new(&case.catalog, &case.inventory);
    // every raised alert, so the budgets can be applied afterwards
    let config = a.tuning.config(0, 14 * DAY);
    let mut rules = Vec::new();
    let mut clients = Vec::new();
    let mut traces = Vec::new();
    let mut missed = Vec::new();
    for rule in ["hopper", "unseen-edge"] {
        let (d, probe) = if rule == "hopper" && a.misses {
            let mut det = Detector::new(&case.catalog, &case.inventory, config.clone());
            det.set_probe(probe_for(&truth, &case.catalog));
            for t in case.events(1 << 16)? {
                det.feed(&t?);
            }
            let probe = det.take_probe();
            (det.finish(&case.catalog), probe)
        } else {
            (crate::cmd_detect::detect_case(&case, &config, rule)?, None)
        };
        // the hosts as the detector saw them (doors and address pools learned from behaviour)
        let fleet = fleet.clone().with_learned(d.learned.clone());
        let e = evaluate(&d.alerts, &case.catalog, &fleet, &truth, d.warmup_end, a.budget);
        if rule == "hopper" {
            clients = client_counts(&case, &fleet, &d.alerts, &e, &client_truth(&file))?;
            traces = trace_entries(&case, &fleet, &config, &e)?;
        }
        if let Some(p) = probe {
            missed = misses(&e.figures, &truth, &p, &case.catalog);
        }
        rules.push(rule_report(rule, d.alerts.len(), &e));
    }
    let report = Report {
        case: a.case.display().to_string(),
        scenario: truth.scenario.clone(),
        budget: a.budget,
        rules,
        clients,
        traces,
    };
    let mut w = crate::out::stdout();
    if a.json {
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
    } else {
        table(&mut w, &report)?;
        if a.misses {
            misses_table(&mut w, &missed, &truth, &report.rules[0], &case.catalog, &fleet)?;
        }
    }
    w.flush()?;
    Ok(())
}

/// Run scope (as `hopscope scope --alert ID --thread N...` does: with the alerts begun on its
/// entry) from the threads of the alert holding each intrusion's logins, for each intrusion
/// whose truth counts exposed clients, contained when the truth says, and compare the counts.
fn client_counts(
    case: &Case,
    fleet: &Fleet,
    alerts: &[hopscope_engine::Alert],
    e: &Evaluation,
    truth: &[(u32, usize, usize, Option<Time>)],
) -> Result<Vec<ClientsJson>> {
    use hopscope_engine::{collect_logins, same_entry_alerts, scope, ScopeConfig, Seed};
    if truth.is_empty() {
        return Ok(Vec::new());
    }
    let mut logins = Vec::new();
    for t in case.events(1 << 16)? {
        collect_logins(&t?, Time::MAX, &mut logins);
    }
    let mut out = Vec::new();
    for &(id, n, restricted, contained) in truth {
        let result = e.figures.per_intrusion.iter().find(|r| r.id == id);
        let alert_id = result.and_then(|r| r.alert.clone());
        let alert = alert_id.as_ref().and_then(|a| alerts.iter().find(|x| &x.id == a));
        let found = alert.map(|al| {
            let threads = hopscope_engine::threads(al, |h| fleet.foothold(h));
            let chosen: Vec<&hopscope_engine::Thread> = result
                .map_or(&[][..], |r| r.threads.as_slice())
                .iter()
                .filter_map(|&i| threads.get(i))
                .collect();
            let alert = if chosen.is_empty() { al.clone() } else { al.narrowed_to(&chosen) };
            let joined = same_entry_alerts(
                &alert,
                alerts,
                |h| fleet.foothold(h),
                contained.unwrap_or(Time::MAX),
            );
            let seeds = Seed::from_alerts(&alert, &joined);
            let config = ScopeConfig {
                contained_at: contained.unwrap_or(Time::MAX),
                exposure_window: 7 * DAY,
            };
            (
                scope(&logins, &seeds, &case.catalog, &case.inventory, &config),
                joined.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
            )
        });
        let (found, joined_alerts) = match found {
            Some((s, j)) => (Some(s), j),
            None => (None, Vec::new()),
        };
        out.push(ClientsJson {
            intrusion: id,
            joined_alerts,
            alert: alert_id,
            truth: n,
            truth_restricted: restricted,
            observed: found.as_ref().map(|s| s.observed_client_count),
            observed_restricted: found.as_ref().map(|s| s.observed_restricted_client_count),
            possible: found.as_ref().map(|s| s.client_count),
            exact: found.as_ref().is_some_and(|s| {
                s.observed_client_count == n && s.observed_restricted_client_count == restricted
            }),
        });
    }
    Ok(out)
}

/// Trace back (as `hopscope trace --host H --at T` does, with detection's settings) from the
/// latest login each alerted intrusion's alert holds, one second after it, and compare the
/// entry point with the truth.
fn trace_entries(
    case: &Case,
    fleet: &Fleet,
    config: &DetectConfig,
    e: &Evaluation,
) -> Result<Vec<TraceJson>> {
    let c = &case.catalog;
    let mut tables: Option<Vec<EventTable>> = None;
    let mut out = Vec::new();
    for r in &e.figures.per_intrusion {
        let Some((host, t)) = r.latest_covered else { continue };
        let tables = match &mut tables {
            Some(t) => t,
            None => tables.insert(case.events(1 << 16)?.collect::<Result<Vec<_>, _>>()?),
        };
        let at = Time(t.0.saturating_add(SECOND));
        let trace_config =
            TraceConfig { host, at, warmup: config.warmup, ..TraceConfig::default() };
        let trace = crate::cmd_trace::trace_up_to(
            tables.iter().map(Ok),
            case,
            fleet,
            config.clone(),
            &trace_config,
            None,
        )?;
        let best = trace.paths.first();
        let found = best.map(|p| host_name(c, p.entry_host));
        out.push(TraceJson {
            intrusion: r.id,
            host: host_name(c, host),
            at: at.to_rfc3339(),
            entry_host: r.entry_truth.clone(),
            right: found.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(&r.entry_truth)),
            entry_host_found: found,
            along_alert: best.and_then(|p| p.alert.clone()),
            other_entries: trace.paths.iter().skip(1).map(|p| host_name(c, p.entry_host)).collect(),
        });
    }
    Ok(out)
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn table(w: &mut impl Write, r: &Report) -> Result<()> {
    writeln!(w, "eval of {} ({}), budget {}/day\n", r.case, r.scenario, r.budget)?;
    writeln!(w, "{:<50} {:>24} {:>24}", "", r.rules[0].rule, r.rules[1].rule)?;
    let row = |w: &mut dyn Write, name: &str, f: &dyn Fn(&RuleReport) -> String| -> Result<()> {
        writeln!(w, "{:<50} {:>24} {:>24}", name, f(&r.rules[0]), f(&r.rules[1]))?;
        Ok(())
    };
    row(w, "alerts raised (no budget)", &|x| x.raised.to_string())?;
    row(w, "alerts kept", &|x| x.figures.alerts.to_string())?;
    row(w, "alerts per day (after warmup)", &|x| format!("{:.2}", x.figures.alerts_per_day))?;
    row(w, "benign alerts per day", &|x| format!("{:.2}", x.figures.benign_alerts_per_day))?;
    row(w, "intrusions alerted", &|x| {
        format!("{}/{}", x.figures.intrusions_alerted, x.figures.intrusions)
    })?;
    if r.rules[0].figures.intrusions_in_warmup > 0 {
        row(w, "  of which inside the warmup (cannot be alerted)", &|x| {
            x.figures.intrusions_in_warmup.to_string()
        })?;
    }
    row(w, "hop recall (entry + hop logins)", &|x| {
        format!("{} {}/{}", pct(x.figures.hop_recall), x.figures.hops_covered, x.figures.hops_total)
    })?;
    row(w, "precision of alert hops", &|x| {
        format!(
            "{} {}/{}",
            pct(x.figures.precision),
            x.figures.alert_hops_malicious,
            x.figures.alert_hops
        )
    })?;
    if r.rules.iter().any(|x| x.figures.hops_omitted > 0) {
        row(w, "  with omitted hops counted as not malicious", &|x| {
            format!("{} (+{} omitted)", pct(x.figures.hop_precision), x.figures.hops_omitted)
        })?;
    }
    row(w, "largest alert (hops, threads)", &|x| {
        format!("{}, {}", x.figures.largest_alert_hops, x.figures.largest_alert_threads)
    })?;
    row(w, "intrusions one alert holds whole", &|x| {
        format!("{}/{}", x.figures.intrusions_whole, x.figures.intrusions)
    })?;
    row(w, "  of which raised at the entry", &|x| x.figures.intrusions_whole_at_entry.to_string())?;
    row(w, "entry host found", &|x| {
        format!("{}/{}", x.figures.entry_found, x.figures.intrusions_alerted)
    })?;
    row(w, "  named first or as another candidate", &|x| {
        let alerted = x.figures.intrusions_alerted;
        let per =
            if alerted == 0 { 0.0 } else { x.figures.entry_candidates as f64 / alerted as f64 };
        format!("{}/{} ({per:.2} others named per intrusion)", x.figures.entry_named, alerted)
    })?;
    row(w, "intrusions split across threads", &|x| {
        format!("{}/{}", x.figures.intrusions_split, x.figures.intrusions_alerted)
    })?;
    row(w, "threads holding several intrusions", &|x| x.figures.threads_shared.to_string())?;
    row(w, "thread entries right", &|x| {
        format!("{}/{}", x.figures.thread_entries_right, x.figures.threads_held)
    })?;
    row(w, "median hours to alert after 1st login", &|x| {
        let mut d: Vec<f64> = x.intrusions.iter().filter_map(|i| i.delay_hours).collect();
        d.sort_by(f64::total_cmp);
        d.get(d.len() / 2).map_or("-".into(), |v| format!("{v:.1}"))
    })?;
    writeln!(
        w,
        "\nat budgets (intrusions alerted, alerts/day, hop recall; hop precision, largest alert, entry found):"
    )?;
    for i in 0..r.rules[0].by_budget.len() {
        let b = r.rules[0].by_budget[i].budget;
        row(w, &format!("  {b}/day"), &|x| {
            let f = &x.by_budget[i];
            format!(
                "{}/{} {:.2} {}",
                f.intrusions_alerted,
                f.intrusions,
                f.alerts_per_day,
                pct(f.hop_recall)
            )
        })?;
        row(w, "    hop precision, largest alert, entry found", &|x| {
            let f = &x.by_budget[i];
            format!(
                "{} {}h,{}t {}/{}",
                pct(f.hop_precision),
                f.largest_alert_hops,
                f.largest_alert_threads,
                f.entry_found,
                f.intrusions_alerted
            )
        })?;
    }
    if r.rules[0].intrusions.len() > 1 {
        writeln!(w, "\nhop recall by goal x stealth (intrusions alerted):")?;
        for i in 0..r.rules[0].by_goal_stealth.len() {
            let g = &r.rules[0].by_goal_stealth[i];
            row(w, &format!("  {} / {}", g.goal, g.stealth), &|x| {
                let g = &x.by_goal_stealth[i];
                format!("{} {}/{}", pct(g.hop_recall), g.intrusions_alerted, g.intrusions)
            })?;
        }
    } else {
        for x in &r.rules {
            for i in &x.intrusions {
                writeln!(
                    w,
                    "\n{}: intrusion {} {} {}/{} hops; alert {}; detected {}; {} h after first login, {} h after first hop; entry {} (truth {})",
                    x.rule,
                    i.id,
                    i.goal,
                    i.hops_covered,
                    i.hops_total,
                    i.alert.as_deref().unwrap_or("none"),
                    i.detected_at.as_deref().unwrap_or("-"),
                    i.delay_hours.map_or("-".into(), |v| format!("{v:.1}")),
                    i.delay_from_first_hop_hours.map_or("-".into(), |v| format!("{v:.1}")),
                    i.entry_host_found.as_deref().unwrap_or("-"),
                    i.entry_host
                )?;
            }
        }
    }
    if r.clients.is_empty() {
        writeln!(w, "\nclient count found: the truth counts no exposed clients")?;
    } else {
        let exact = r.clients.iter().filter(|c| c.exact).count();
        writeln!(w, "\nclient count found (scope from the intrusion's alert's threads): {exact} of {} exact", r.clients.len())?;
        for c in &r.clients {
            match (c.observed, c.observed_restricted, c.possible) {
                (Some(o), Some(or), Some(p)) => writeln!(
                    w,
                    "  intrusion {}: truth {} ({} restricted); found {} observed ({} restricted), {} possible{}",
                    c.intrusion,
                    c.truth,
                    c.truth_restricted,
                    o,
                    or,
                    p,
                    match c.joined_alerts.len() {
                        0 => String::new(),
                        n => format!(" (with {n} alert{} begun on its entry)", if n == 1 { "" } else { "s" }),
                    }
                )?,
                _ => writeln!(w, "  intrusion {}: truth {} ({} restricted); no alert, so no scope", c.intrusion, c.truth, c.truth_restricted)?,
            }
        }
    }
    if !r.traces.is_empty() {
        let right = r.traces.iter().filter(|t| t.right).count();
        let among = r
            .traces
            .iter()
            .filter(|t| {
                !t.right && t.other_entries.iter().any(|e| e.eq_ignore_ascii_case(&t.entry_host))
            })
            .count();
        writeln!(
            w,
            "\ntrace entry found (trace from each alerted intrusion's latest alerted login): {right} of {}; {among} more an alternative's",
            r.traces.len()
        )?;
        for t in r.traces.iter().filter(|t| !t.right) {
            let along =
                t.along_alert.as_ref().map_or("by rarity".to_string(), |a| format!("along {a}"));
            writeln!(
                w,
                "  intrusion {}: from {} at {}: entry {} ({along}), truth {}{}",
                t.intrusion,
                t.host,
                t.at,
                t.entry_host_found.as_deref().unwrap_or("none"),
                t.entry_host,
                match t.other_entries.iter().position(|e| e.eq_ignore_ascii_case(&t.entry_host)) {
                    Some(k) => format!(" (alternative {})", k + 1),
                    None => String::new(),
                }
            )?;
        }
    }
    Ok(())
}

/// `--misses`: per incomplete intrusion, each successful login, the alerts holding it, and the
/// hop the detector scored for it with every contribution.
fn misses_table(
    w: &mut impl Write,
    missed: &[Miss],
    truth: &Truth,
    rule: &RuleReport,
    catalog: &hopscope_model::Catalog,
    fleet: &Fleet,
) -> Result<()> {
    let names = hopscope_engine::explain::Names { catalog, fleet };
    writeln!(w, "\nmisses (hopper, budget {}): {} intrusion(s) with a hop no alert holds or the entry host not found", rule.figures.budget, missed.len())?;
    for m in missed {
        let r = rule.intrusions.iter().find(|i| i.id == m.id);
        writeln!(
            w,
            "\nintrusion {} {} / {}: {}/{} hops; alert {}; entry {} (found {})",
            m.id,
            r.map_or("", |r| r.goal.as_str()),
            r.map_or("", |r| r.stealth.as_str()),
            r.map_or(0, |r| r.hops_covered),
            r.map_or(0, |r| r.hops_total),
            r.and_then(|r| r.alert.as_deref()).unwrap_or("none"),
            r.map_or("", |r| r.entry_host.as_str()),
            r.and_then(|r| r.entry_host_found.as_deref()).unwrap_or("-"),
        )?;
        for ml in &m.logins {
            let l = &truth.logins[ml.login];
            let kind = match l.kind {
                LoginKind::Entry => "entry",
                LoginKind::Hop => "hop",
                LoginKind::Revisit => "revisit",
            };
            let held =
                if ml.alerts.is_empty() { "MISSED".to_string() } else { ml.alerts.join(",") };
            writeln!(
                w,
                "  {} {:<7} {} -> {} as {}: {}",
                l.time.to_rfc3339(),
                kind,
                l.src_host,
                l.dst_host,
                l.account,
                held
            )?;
            if ml.seen.is_empty() {
                writeln!(w, "      not seen as a hop (during the warmup, or not logged)")?;
            }
            for p in &ml.seen {
                let total: f64 = p.contributions.iter().map(|c| c.bits).sum();
                let parts: Vec<String> = p
                    .contributions
                    .iter()
                    .map(|c| format!("{} {:.1}", c.feature.name(), c.bits))
                    .collect();
                let causal = match p.trail.causal.account() {
                    Some(a) => names.account(a),
                    None => "unclear".into(),
                };
                writeln!(
                    w,
                    "      {:.1} bits, {}; chain from {} (causal {}, depth {}): {}",
                    total,
                    if p.suspicious { "suspicious" } else { "not suspicious" },
                    names.host(p.trail.origin),
                    causal,
                    p.trail.depth,
                    if parts.is_empty() { "nothing odd".into() } else { parts.join(", ") }
                )?;
            }
        }
    }
    Ok(())
}
