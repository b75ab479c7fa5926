//! `hopscope detect`: run the detection engine over a case and print its alerts.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_engine::{Alert, AlertHop, Causal, DetectConfig, Detection, Detector, IdRemap, UnseenEdgeRule, DAY, HOUR, SECOND};
use hopscope_model::{Catalog, Position, Time};
use serde::Serialize;

#[derive(clap::Args)]
#[command(after_long_help = "\
Links logins into hop chains (a login out of a host within --window after a login into it),
scores each hop in bits of surprise (never-seen edges, credential switches, rare country
pairs, weak source hosts, crown-jewel destinations, unusual protocols and hours, brute force,
service installs) and prints the best alerts of each day, each with its hops, evidence and
reasons. docs/detection.md explains the scoring; docs/json.md the JSON.

Durations: a number and a unit, s m h d w (`90m`, `24h`, `14d`).

Examples:
  hopscope detect --case c1
  hopscope detect --case c1 --json | jq '.alerts[0].reasons'
  hopscope detect --case c2 --baseline c1          # c1's history is normal; no warmup
  hopscope detect --case c1 --rule unseen-edge --jsonl")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// Alerts kept per UTC day, best first; 0 keeps all.
    #[arg(long, value_name = "N", default_value_t = 5)]
    budget: usize,
    /// How long after a login into a host a login out of it continues the chain.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    window: i64,
    /// No alerts while history fills, from the first event [default: 14d; 0 with --baseline].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    warmup: Option<i64>,
    /// A suspicious hop out of a host an alert already reached joins it for this long.
    #[arg(long, value_name = "DURATION", default_value = "120d", value_parser = parse_duration)]
    campaign_window: i64,
    /// Bits an alert needs to be raised.
    #[arg(long, value_name = "BITS", default_value_t = 12.0)]
    min_score: f64,
    /// A case whose events are normal history: learned first, alerting on nothing.
    #[arg(long, value_name = "CASE")]
    baseline: Option<PathBuf>,
    /// `hopper`: chains and scores; `unseen-edge`: every first-time source → destination
    /// pair after the warmup (the baseline rule detection is compared with).
    #[arg(long, default_value = "hopper", value_parser = ["hopper", "unseen-edge"])]
    rule: String,
    /// One JSON document (docs/json.md).
    #[arg(long, conflicts_with = "jsonl")]
    json: bool,
    /// One alert per line.
    #[arg(long)]
    jsonl: bool,
}

/// `90m`, `24h`, `14d`, `2w`, `30s`, `0` → microseconds.
pub(crate) fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 = n.parse().map_err(|_| format!("expected a duration such as 24h or 14d, found {s:?}"))?;
    let unit = match unit {
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(format!("expected a unit s, m, h, d or w in {s:?}")),
    };
    Ok((n * unit as f64).round() as i64)
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let config = DetectConfig {
        window: a.window,
        warmup: a.warmup.unwrap_or(if a.baseline.is_some() { 0 } else { 14 * DAY }),
        campaign_window: a.campaign_window,
        min_score: a.min_score,
        budget_per_day: a.budget,
        ..DetectConfig::default()
    };
    let baseline = match &a.baseline {
        Some(dir) => Some(Case::open(dir).with_context(|| format!("baseline {}", dir.display()))?),
        None => None,
    };
    let remap = baseline.as_ref().map(|b| IdRemap::new(&b.catalog, &case.catalog));
    let detection = if a.rule == "unseen-edge" {
        let mut rule = UnseenEdgeRule::new(config.warmup);
        if let (Some(b), Some(r)) = (&baseline, &remap) {
            for t in b.events(1 << 16)? {
                rule.learn(&r.apply(&t?));
            }
        }
        for t in case.events(1 << 16)? {
            rule.feed(&t?);
        }
        let fleet = hopscope_engine::Fleet::new(&case.catalog, &case.inventory);
        rule.finish(&case.catalog, &fleet, config.budget_per_day)
    } else {
        let mut d = Detector::new(&case.catalog, &case.inventory, config.clone());
        if let (Some(b), Some(r)) = (&baseline, &remap) {
            for t in b.events(1 << 16)? {
                d.learn(&r.apply(&t?));
            }
        }
        for t in case.events(1 << 16)? {
            d.feed(&t?);
        }
        d.finish(&case.catalog)
    };
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    if a.json || a.jsonl {
        let report = Report::new(&detection, &case.catalog, &a, &config);
        if a.json {
            serde_json::to_writer_pretty(&mut w, &report)?;
            writeln!(w)?;
        } else {
            for alert in &report.alerts {
                serde_json::to_writer(&mut w, alert)?;
                writeln!(w)?;
            }
            eprintln!("{} alerts, {} dropped by the budget", report.alerts.len(), report.dropped_by_budget);
        }
    } else {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        table(&mut w, &detection, &case.catalog, &config, colour)?;
    }
    w.flush()?;
    Ok(())
}

/// Run `rule` (`hopper` or `unseen-edge`) over `case` with no baseline.
pub fn detect_case(case: &Case, config: &DetectConfig, rule: &str) -> Result<Detection> {
    Ok(if rule == "unseen-edge" {
        let mut r = UnseenEdgeRule::new(config.warmup);
        for t in case.events(1 << 16)? {
            r.feed(&t?);
        }
        let fleet = hopscope_engine::Fleet::new(&case.catalog, &case.inventory);
        r.finish(&case.catalog, &fleet, config.budget_per_day)
    } else {
        let mut d = Detector::new(&case.catalog, &case.inventory, config.clone());
        for t in case.events(1 << 16)? {
            d.feed(&t?);
        }
        d.finish(&case.catalog)
    })
}

#[derive(Serialize)]
struct Report<'a> {
    rule: &'a str,
    alerts: Vec<AlertJson>,
    dropped_by_budget: usize,
    warmup_end: Option<String>,
    settings: Settings,
    stats: Stats,
}

#[derive(Serialize)]
struct Settings {
    budget: usize,
    window: String,
    warmup: String,
    campaign_window: String,
    min_score: f64,
    baseline: Option<String>,
}

#[derive(Serialize)]
struct Stats {
    events: u64,
    baseline_events: u64,
    hops: u64,
    failures: u64,
    suspicious_hops: u64,
    raised: u64,
    below_threshold: u64,
    edges: u64,
}

#[derive(Serialize)]
pub(crate) struct AlertJson {
    id: String,
    score: f64,
    raised_at: String,
    first_time: String,
    last_time: String,
    entry_host: String,
    chain_origin: String,
    causal_account: Option<String>,
    hops: Vec<HopJson>,
    hops_omitted: u32,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct HopJson {
    time: String,
    src_host: Option<String>,
    dst_host: Option<String>,
    user: Option<String>,
    auth: Option<String>,
    logon_type: &'static str,
    src_site: Option<String>,
    dst_site: Option<String>,
    src_country: Option<String>,
    dst_country: Option<String>,
    score: f64,
    features: Vec<FeatureJson>,
    techniques: Vec<&'static str>,
    evidence: Vec<EvidenceJson>,
}

#[derive(Serialize)]
struct FeatureJson {
    name: &'static str,
    bits: f64,
}

#[derive(Serialize)]
#[serde(untagged)]
enum EvidenceJson {
    Line { file: String, line: u64 },
    Record { file: String, record: u64 },
}

/// Scores to two decimals: enough to rank, stable to print.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn duration(us: i64) -> String {
    for (unit, n) in [("w", 7 * DAY), ("d", DAY), ("h", HOUR), ("m", 60 * SECOND), ("s", SECOND)] {
        if us != 0 && us % n == 0 {
            return format!("{}{unit}", us / n);
        }
    }
    format!("{}s", us as f64 / SECOND as f64)
}

fn host(c: &Catalog, id: u32) -> Option<String> {
    c.hosts.name(id).map(str::to_string)
}
fn account(c: &Catalog, id: u32) -> Option<String> {
    c.accounts.get(id).map(|a| a.display())
}

impl<'a> Report<'a> {
    fn new(d: &Detection, c: &Catalog, a: &'a Args, config: &DetectConfig) -> Report<'a> {
        let s = &d.stats;
        Report {
            rule: &a.rule,
            alerts: d.alerts.iter().map(|al| alert_json(al, c)).collect(),
            dropped_by_budget: d.dropped_by_budget,
            warmup_end: d.warmup_end.map(|t| t.to_rfc3339()),
            settings: Settings {
                budget: config.budget_per_day,
                window: duration(config.window),
                warmup: duration(config.warmup),
                campaign_window: duration(config.campaign_window),
                min_score: config.min_score,
                baseline: a.baseline.as_ref().map(|p| p.display().to_string()),
            },
            stats: Stats {
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

pub(crate) fn alert_json(a: &Alert, c: &Catalog) -> AlertJson {
    AlertJson {
        id: a.id.clone(),
        score: round2(a.score),
        raised_at: a.raised_at.to_rfc3339(),
        first_time: a.first_time.to_rfc3339(),
        last_time: a.last_time.to_rfc3339(),
        entry_host: host(c, a.entry_host).unwrap_or_default(),
        chain_origin: host(c, a.chain_origin).unwrap_or_default(),
        causal_account: match a.causal_account {
            Causal::Clear(u) => account(c, u),
            Causal::Unclear => None,
        },
        hops: a.hops.iter().map(|h| hop_json(h, c)).collect(),
        hops_omitted: a.hops_omitted,
        reasons: a.reasons.clone(),
    }
}

fn hop_json(h: &AlertHop, c: &Catalog) -> HopJson {
    let hop = &h.hop;
    let (s, d) = (c.hosts.get(hop.src), c.hosts.get(hop.dst));
    HopJson {
        time: hop.time.to_rfc3339(),
        src_host: host(c, hop.src),
        dst_host: host(c, hop.dst),
        user: account(c, hop.user),
        auth: c.auths.name(hop.auth).map(str::to_string),
        logon_type: hop.logon_type.as_str(),
        src_site: s.and_then(|r| r.site.clone()),
        dst_site: d.and_then(|r| r.site.clone()),
        src_country: s.and_then(|r| r.country.clone()),
        dst_country: d.and_then(|r| r.country.clone()),
        score: round2(h.score),
        features: h.contributions.iter().map(|x| FeatureJson { name: x.feature.name(), bits: round2(x.bits) }).collect(),
        techniques: h.techniques.clone(),
        evidence: h
            .evidence
            .iter()
            .map(|e| {
                let file = c.sources.name(e.source).unwrap_or("?").to_string();
                match e.position {
                    Position::Line(line) => EvidenceJson::Line { file, line },
                    Position::Record(record) => EvidenceJson::Record { file, record },
                }
            })
            .collect(),
    }
}

/// `2019-09-12 03:04:05`.
pub fn short_time(t: Time) -> String {
    let s = t.to_rfc3339();
    s.get(..19).unwrap_or(&s).replace('T', " ")
}

fn wrap(text: &str, indent: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    for word in text.split(' ') {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, String::from(indent)));
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// The default output: one block per alert, at most 100 columns.
fn table(w: &mut impl Write, d: &Detection, c: &Catalog, config: &DetectConfig, colour: bool) -> Result<()> {
    let (bold, red, dim, reset) = if colour { ("\x1b[1m", "\x1b[31m", "\x1b[2m", "\x1b[0m") } else { ("", "", "", "") };
    for a in &d.alerts {
        let entry = host(c, a.entry_host).unwrap_or_default();
        writeln!(
            w,
            "{bold}{}{reset}  score {red}{:.1}{reset}  raised {}  entry {}  {} hop{}",
            a.id,
            a.score,
            short_time(a.raised_at),
            entry,
            a.hops.len(),
            if a.hops.len() == 1 { "" } else { "s" }
        )?;
        for (h, r) in a.hops.iter().zip(&a.reasons) {
            let hop = &h.hop;
            let path = format!("{} → {}", host(c, hop.src).unwrap_or_default(), host(c, hop.dst).unwrap_or_default());
            let who = format!(
                "{} {}",
                account(c, hop.user).unwrap_or_else(|| "?".into()),
                c.auths.name(hop.auth).unwrap_or("?")
            );
            let line = format!("  {}  {:<34} {:<24} {:>5.1}", short_time(hop.time), path, who, h.score);
            writeln!(w, "{}", line.chars().take(100).collect::<String>())?;
            for l in wrap(r, "      ", 100) {
                writeln!(w, "{dim}{l}{reset}")?;
            }
        }
        writeln!(w)?;
    }
    let n = d.alerts.len();
    writeln!(
        w,
        "{n} alert{} ({} dropped by the budget of {}/day); {} events, {} hops, {} suspicious",
        if n == 1 { "" } else { "s" },
        d.dropped_by_budget,
        if config.budget_per_day == 0 { "∞".to_string() } else { config.budget_per_day.to_string() },
        d.stats.events,
        d.stats.hops,
        d.stats.suspicious_hops
    )?;
    if let Some(end) = d.warmup_end {
        writeln!(w, "warmup until {} (no alerts before)", short_time(end))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(DAY));
        assert_eq!(parse_duration("14d"), Ok(14 * DAY));
        assert_eq!(parse_duration("90m"), Ok(90 * 60 * SECOND));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(duration(DAY), "1d");
        assert_eq!(duration(120 * DAY), "120d");
        assert_eq!(duration(14 * DAY), "2w");
    }
}
