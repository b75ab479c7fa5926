//! `hopscope eval`: run detection on a case and score it against ground truth
//! (the simulator's `truth.json`), next to the unseen-edge baseline rule.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_engine::eval::{evaluate, Evaluation, Figures, LoginKind, Truth, TruthIntrusion, TruthLogin};
use hopscope_engine::{DetectConfig, Fleet, DAY};
use hopscope_model::Time;
use serde::{Deserialize, Serialize};

/// What `eval` says about the client count until scope is built.
pub const CLIENTS_NOT_BUILT: &str = "not built yet (scope, issue 7)";

#[derive(clap::Args)]
#[command(after_long_help = "\
Runs detection (and the unseen-edge baseline rule) over the case and compares the alerts with
the simulator's ground truth: intrusions alerted, hop recall, precision of alert hops, alerts
per day after the warmup, entry host found, time to the first alert; recall per goal x
stealth and at budgets of 1, 5, 9 and 20 alerts a day.

An alert hop matches a malicious login when destination host and account name agree and the
times are within 5 s.

Examples:
  hopscope simulate --out fleet && hopscope ingest fleet/logs --inventory fleet --case case
  hopscope eval --case case --truth fleet/truth.json
  hopscope eval --case case --truth fleet/truth.json --json | jq '.rules[0].figures.hop_recall'")]
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
}

#[derive(Deserialize)]
struct TruthFile {
    #[serde(default)]
    scenario: String,
    start: String,
    end: String,
    intrusions: Vec<IntrusionFile>,
    logins: Vec<LoginFile>,
}
#[derive(Deserialize)]
struct IntrusionFile {
    id: u32,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    stealth: String,
    entry_host: String,
}
#[derive(Deserialize)]
struct LoginFile {
    time: String,
    intrusion: u32,
    kind: String,
    src_host: String,
    dst_host: String,
    account: String,
    outcome: String,
}

fn time(s: &str) -> Result<Time> {
    Time::parse(s).map_err(|e| anyhow::anyhow!("{s:?}: {e}"))
}

/// Parse truth.json (schema `hopscope-sim-truth/1`).
pub fn load_truth(path: &std::path::Path) -> Result<Truth> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let f: TruthFile = serde_json::from_slice(&bytes).with_context(|| format!("{}: not a hopscope truth file", path.display()))?;
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
        scenario: f.scenario,
        start: time(&f.start)?,
        end: time(&f.end)?,
        intrusions: f
            .intrusions
            .into_iter()
            .map(|i| TruthIntrusion { id: i.id, goal: i.goal, stealth: i.stealth, entry_host: i.entry_host })
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
    clients_found: &'static str,
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
    hops_total: usize,
    hops_covered: usize,
    hop_recall: f64,
    alert_hops: usize,
    alert_hops_malicious: usize,
    precision: f64,
    hops_omitted: u64,
    entry_found: usize,
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
        intrusion_recall: r4(if f.intrusions == 0 { 0.0 } else { f.intrusions_alerted as f64 / f.intrusions as f64 }),
        hops_total: f.hops_total,
        hops_covered: f.hops_covered,
        hop_recall: r4(f.hop_recall),
        alert_hops: f.alert_hops,
        alert_hops_malicious: f.alert_hops_malicious,
        precision: r4(f.precision),
        hops_omitted: f.hops_omitted,
        entry_found: f.entry_found,
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
                hop_recall: r4(if g.hops_total == 0 { 0.0 } else { g.hops_covered as f64 / g.hops_total as f64 }),
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
            })
            .collect(),
    }
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let truth = load_truth(&a.truth)?;
    let fleet = Fleet::new(&case.catalog, &case.inventory);
    // every raised alert, so the budgets can be applied afterwards
    let config = DetectConfig { budget_per_day: 0, warmup: 14 * DAY, ..DetectConfig::default() };
    let mut rules = Vec::new();
    for rule in ["hopper", "unseen-edge"] {
        let d = crate::cmd_detect::detect_case(&case, &config, rule)?;
        let e = evaluate(&d.alerts, &case.catalog, &fleet, &truth, d.warmup_end, a.budget);
        rules.push(rule_report(rule, d.alerts.len(), &e));
    }
    let report = Report {
        case: a.case.display().to_string(),
        scenario: truth.scenario.clone(),
        budget: a.budget,
        rules,
        clients_found: CLIENTS_NOT_BUILT,
    };
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    if a.json {
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
    } else {
        table(&mut w, &report)?;
    }
    w.flush()?;
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn table(w: &mut impl Write, r: &Report) -> Result<()> {
    writeln!(w, "eval of {} ({}), budget {}/day\n", r.case, r.scenario, r.budget)?;
    writeln!(w, "{:<50} {:>14} {:>14}", "", r.rules[0].rule, r.rules[1].rule)?;
    let row = |w: &mut dyn Write, name: &str, f: &dyn Fn(&RuleReport) -> String| -> Result<()> {
        writeln!(w, "{:<50} {:>14} {:>14}", name, f(&r.rules[0]), f(&r.rules[1]))?;
        Ok(())
    };
    row(w, "alerts raised (no budget)", &|x| x.raised.to_string())?;
    row(w, "alerts kept", &|x| x.figures.alerts.to_string())?;
    row(w, "alerts per day (after warmup)", &|x| format!("{:.2}", x.figures.alerts_per_day))?;
    row(w, "benign alerts per day", &|x| format!("{:.2}", x.figures.benign_alerts_per_day))?;
    row(w, "intrusions alerted", &|x| format!("{}/{}", x.figures.intrusions_alerted, x.figures.intrusions))?;
    row(w, "hop recall (entry + hop logins)", &|x| {
        format!("{} {}/{}", pct(x.figures.hop_recall), x.figures.hops_covered, x.figures.hops_total)
    })?;
    row(w, "precision of alert hops", &|x| {
        format!("{} {}/{}", pct(x.figures.precision), x.figures.alert_hops_malicious, x.figures.alert_hops)
    })?;
    row(w, "entry host found", &|x| format!("{}/{}", x.figures.entry_found, x.figures.intrusions_alerted))?;
    row(w, "median hours to alert after 1st login", &|x| {
        let mut d: Vec<f64> = x.intrusions.iter().filter_map(|i| i.delay_hours).collect();
        d.sort_by(f64::total_cmp);
        d.get(d.len() / 2).map_or("-".into(), |v| format!("{v:.1}"))
    })?;
    writeln!(w, "\nrecall at budgets (hops covered, intrusions alerted, alerts/day):")?;
    for i in 0..r.rules[0].by_budget.len() {
        let b = r.rules[0].by_budget[i].budget;
        row(w, &format!("  {b}/day"), &|x| {
            let f = &x.by_budget[i];
            format!("{} {}/{} {:.2}", pct(f.hop_recall), f.intrusions_alerted, f.intrusions, f.alerts_per_day)
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
    writeln!(w, "\nclient count found: {}", r.clients_found)?;
    Ok(())
}
