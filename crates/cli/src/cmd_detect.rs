//! `hopscope detect`: run the detection engine over a case and print its alerts.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_engine::alert::EntryBasis;
use hopscope_engine::{
    same_entry_as, threads, Arrival, DetectConfig, Detection, Detector, Fleet, IdRemap, Thread,
    UnseenEdgeRule, DAY, MAX_ALERT_HOPS,
};
use hopscope_model::{Catalog, Time};
use hopscope_report::view::{account_name, parse_duration, short_time, DetectionView};

use crate::out::{fit, wrap, Style, WIDTH};

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
  hopscope detect --case c1 --rule unseen-edge --jsonl
  hopscope detect --case c1 --redact      # no client name in any output (docs/report.md)
  hopscope detect --case c1 --save        # then: hopscope sql --case c1 \"SELECT * FROM alerts\"")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// Alerts kept per UTC day, best first; 0 keeps all.
    #[arg(long, value_name = "N", default_value_t = 5)]
    budget: usize,
    #[command(flatten)]
    tuning: Tuning,
    /// No alerts while history fills, from the first event [default: 14d; 0 with --baseline].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    warmup: Option<i64>,
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
    /// Client names (data.csv) as keyed pseudonyms wherever they appear (accounts, hosts,
    /// evidence paths); restricted clients never named. The same pass as `scope --redact`.
    #[arg(long)]
    redact: bool,
    /// Save the alerts into the case (tables `alerts` and `alert_hops`, committed through its
    /// manifest) for `hopscope sql`; a later save replaces them.
    #[arg(long)]
    save: bool,
}

/// The detection settings `detect`, `watch` and `eval` share.
#[derive(clap::Args)]
pub struct Tuning {
    /// How long after a login into a host a login out of it continues the chain.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    window: i64,
    /// The dwell window: how long an intruder stays present on a host its alert entered; a
    /// hop out of it with an account the alert brought there joins the alert.
    #[arg(long, value_name = "DURATION", default_value = "120d", value_parser = parse_duration)]
    campaign_window: i64,
    /// Bits an alert needs to be raised.
    #[arg(long, value_name = "BITS", default_value_t = DetectConfig::DEFAULT_MIN_SCORE,
          value_parser = crate::args::finite)]
    min_score: f64,
    /// A routine-looking first login into a host joins the alert of a suspicious hop out of
    /// it for this long (the phished workstation → first server step); 0 turns it off.
    #[arg(long, value_name = "DURATION", default_value = "72h", value_parser = parse_duration)]
    lead_in_window: i64,
    /// A login into an inner host stays a candidate for how an intruder first seen leaving it
    /// got there for this long (the intruder who sat on a server for days); 0 turns it off.
    #[arg(long, value_name = "DURATION", default_value = "4d", value_parser = parse_duration)]
    arrival_window: i64,
}

impl Tuning {
    /// The detector's settings with these flags, `budget` alerts a day and `warmup`.
    pub fn config(&self, budget: usize, warmup: i64) -> DetectConfig {
        DetectConfig {
            window: self.window,
            warmup,
            campaign_window: self.campaign_window,
            min_score: self.min_score,
            budget_per_day: budget,
            lead_in_window: self.lead_in_window,
            arrival_window: self.arrival_window,
            ..DetectConfig::default()
        }
    }
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    if a.redact {
        crate::out::redact_case(&a.case, &case)?;
    }
    let config = a
        .tuning
        .config(a.budget, a.warmup.unwrap_or(if a.baseline.is_some() { 0 } else { 14 * DAY }));
    let baseline = match &a.baseline {
        Some(dir) => Some(Case::open(dir).with_context(|| format!("baseline {}", dir.display()))?),
        None => None,
    };
    let remap = baseline.as_ref().map(|b| IdRemap::new(&b.catalog, &case.catalog));
    // the hops' tampering notes, for the JSON (docs/coverage.md)
    let mut coverage = (a.json || a.jsonl).then(hopscope_engine::coverage::CoverageBuilder::new);
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
        let fleet = Fleet::new(&case.catalog, &case.inventory);
        rule.finish(&case.catalog, &fleet, config.budget_per_day)
    } else {
        let mut d = Detector::new(&case.catalog, &case.inventory, config.clone());
        if let (Some(b), Some(r)) = (&baseline, &remap) {
            for t in b.events(1 << 16)? {
                d.learn(&r.apply(&t?));
            }
        }
        for t in case.events(1 << 16)? {
            let t = t?;
            d.feed(&t);
            if let Some(c) = coverage.as_mut() {
                c.feed(&t, Time::MAX);
            }
        }
        d.finish(&case.catalog)
    };
    let fleet = Fleet::new(&case.catalog, &case.inventory).with_learned(detection.learned.clone());
    // the rows `--json` prints and `--save` keeps: built once for both
    let view = (a.save || a.json || a.jsonl).then(|| {
        DetectionView::new(
            &detection,
            &case.catalog,
            &fleet,
            &a.rule,
            &config,
            a.baseline.as_ref().map(|p| p.display().to_string()),
        )
    });
    if let (true, Some(view)) = (a.save, &view) {
        let (alerts, hops) = crate::saved_alerts::save(&a.case, case.manifest.generation, view)?;
        errln!("saved {alerts} alerts ({hops} hops) into {}", a.case.display());
    }
    if let (true, Some(mut report)) = (a.json || a.jsonl, view) {
        if let Some(c) = coverage.take() {
            hopscope_report::view::note_tampering(&mut report.alerts, &c.finish(), &case.catalog);
        }
        let report = crate::out::redact_value(report)?;
        let mut w = crate::out::json_stdout();
        if a.json {
            serde_json::to_writer_pretty(&mut w, &report)?;
            writeln!(w)?;
        } else {
            for alert in &report.alerts {
                serde_json::to_writer(&mut w, alert)?;
                writeln!(w)?;
            }
            errln!(
                "{} alerts, {} dropped by the budget",
                report.alerts.len(),
                report.dropped_by_budget
            );
        }
        w.flush()?;
    } else {
        let mut w = crate::out::stdout();
        table(&mut w, &detection, &case.catalog, &fleet, &config, Style::stdout())?;
        w.flush()?;
    }
    Ok(())
}

/// Run `rule` (`hopper` or `unseen-edge`) over `case` with no baseline.
pub fn detect_case(case: &Case, config: &DetectConfig, rule: &str) -> Result<Detection> {
    Ok(if rule == "unseen-edge" {
        let mut r = UnseenEdgeRule::new(config.warmup);
        for t in case.events(1 << 16)? {
            r.feed(&t?);
        }
        let fleet = Fleet::new(&case.catalog, &case.inventory);
        r.finish(&case.catalog, &fleet, config.budget_per_day)
    } else {
        let mut d = Detector::new(&case.catalog, &case.inventory, config.clone());
        for t in case.events(1 << 16)? {
            d.feed(&t?);
        }
        d.finish(&case.catalog)
    })
}

/// A thread's entry host, and where it was first seen when that differs.
fn thread_entry(c: &Catalog, t: &Thread, earlier_entry: Option<u32>) -> String {
    let others: Vec<u32> =
        t.other_entries.iter().copied().filter(|&h| Some(h) != earlier_entry).collect();
    entry_text(c, t.entry_host, t.first_host, t.arrival.as_ref(), t.passed_over, &others)
}

/// `entry`, then where the intruder was first seen when that differs, and the login the entry
/// was inferred from when it was ([`EntryBasis::Arrival`]), with the door of the session it
/// was preferred over, then the other candidates `others` (but that one) the logs leave open
/// ([`hopscope_engine::alert::other_entries`]).
fn entry_text(
    c: &Catalog,
    entry: u32,
    first: u32,
    arrival: Option<&Arrival>,
    passed_over: Option<u32>,
    others: &[u32],
) -> String {
    let name = |h: u32| c.hosts.name(h).unwrap_or_default();
    let over = passed_over.map_or(String::new(), |h| format!(" over {}'s session", name(h)));
    let others: Vec<&str> =
        others.iter().copied().filter(|&h| Some(h) != passed_over).map(name).collect();
    let or = if others.is_empty() { String::new() } else { format!("; or {}", others.join(", ")) };
    match arrival {
        _ if first == entry && others.is_empty() => name(entry).to_string(),
        _ if first == entry => format!("{} ({})", name(entry), &or[2..]),
        Some(a) => format!(
            "{} (first seen on {}; likeliest arrival {}{over}{or})",
            name(entry),
            name(first),
            short_time(a.hop.time)
        ),
        None => format!("{} (first seen on {}{or})", name(entry), name(first)),
    }
}

/// The default output: one block per alert, at most 100 columns.
fn table(
    w: &mut impl Write,
    d: &Detection,
    c: &Catalog,
    fleet: &Fleet,
    config: &DetectConfig,
    style: Style,
) -> Result<()> {
    let Style { bold, red, dim, reset, .. } = style;
    let foothold = |h: u32| fleet.foothold(h);
    let same_entry = same_entry_as(&d.alerts, foothold);
    for (a, same_entry) in d.alerts.iter().zip(&same_entry) {
        let arrival = match a.entry_basis(foothold) {
            EntryBasis::Arrival(x) => Some(x),
            _ => None,
        };
        let entry = entry_text(
            c,
            a.entry_host,
            a.first_host(foothold),
            arrival.as_ref(),
            a.passed_over_session(foothold),
            &a.other_entries(foothold),
        );
        let threads = threads(a, foothold);
        writeln!(
            w,
            "{bold}{}{reset}  score {red}{:.1}{reset}  raised {}  entry {}  {} hop{}{}",
            a.id,
            a.score,
            short_time(a.raised_at),
            entry,
            a.hops.len(),
            if a.hops.len() == 1 { "" } else { "s" },
            if threads.len() > 1 { format!(", {} threads", threads.len()) } else { String::new() }
        )?;
        // the bound on an alert: this one took the hops a full one could not
        if let Some(full) = &a.continues {
            let line = format!(
                "continues {full}, which holds {MAX_ALERT_HOPS} hops, the most an alert holds"
            );
            for l in wrap(&line, "  ", WIDTH) {
                writeln!(w, "{dim}{l}{reset}")?;
            }
        }
        // an alert begun on the entry of earlier ones, days after: scope of those takes it too
        if let Some(&first) = same_entry.first() {
            let ids: Vec<&str> = same_entry.iter().map(|&i| d.alerts[i].id.as_str()).collect();
            let line = format!(
                "begun on the entry of {} within 5 days of {} (scope --alert {} takes this one too)",
                ids.join(", "),
                if ids.len() == 1 { "it" } else { "them" },
                d.alerts[first].id
            );
            for l in wrap(&line, "  ", WIDTH) {
                writeln!(w, "{dim}{l}{reset}")?;
            }
        }
        // an alert holding several intrusions: each hop says which (scope --thread N takes it)
        let mut thread_of = vec![0; a.hops.len()];
        if threads.len() > 1 {
            for (n, t) in threads.iter().enumerate() {
                for &i in &t.hops {
                    thread_of[i] = n + 1;
                }
            }
            // a thread that began where an earlier one had been: that one's entry is the other
            // candidate (the same intruder back after a pause)
            let earlier = |t: &Thread| match t.earlier {
                Some((n, at)) if threads[n].entry_host != t.entry_host => {
                    let entry = c.hosts.name(threads[n].entry_host).unwrap_or_default();
                    let day = at.to_rfc3339();
                    let host = c.hosts.name(t.first_host).unwrap_or_default();
                    format!(
                        " [or t{}'s {entry}: t{} was on {host} {}]",
                        n + 1,
                        n + 1,
                        day.get(..10).unwrap_or(&day)
                    )
                }
                _ => String::new(),
            };
            let entries: Vec<String> = threads
                .iter()
                .enumerate()
                .map(|(n, t)| {
                    let earlier_entry = t.earlier.map(|(e, _)| threads[e].entry_host);
                    format!("t{}={}{}", n + 1, thread_entry(c, t, earlier_entry), earlier(t))
                })
                .collect();
            for l in wrap(
                &format!(
                    "threads (hops linked by compromise) and their entry hosts: {}",
                    entries.join(" ")
                ),
                "  ",
                WIDTH,
            ) {
                writeln!(w, "{dim}{l}{reset}")?;
            }
        }
        for ((h, r), n) in a.hops.iter().zip(&a.reasons).zip(&thread_of) {
            let hop = &h.hop;
            let path = format!(
                "{} → {}",
                c.hosts.name(hop.src).unwrap_or_default(),
                c.hosts.name(hop.dst).unwrap_or_default()
            );
            let who = format!(
                "{} {}",
                account_name(c, hop.user).unwrap_or_else(|| "?".into()),
                c.auths.name(hop.auth).unwrap_or("?")
            );
            // the thread number takes its room from the path column
            let thread = if *n > 0 {
                format!("t{n:<w$} ", w = threads.len().to_string().len())
            } else {
                String::new()
            };
            let line = format!(
                "  {thread}{}  {:<p$} {:<24} {:>5.1}",
                short_time(hop.time),
                path,
                who,
                h.score,
                p = 34 - thread.len()
            );
            writeln!(w, "{}", fit(&line, WIDTH))?;
            for l in wrap(r, "      ", WIDTH) {
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
        if config.budget_per_day == 0 {
            "∞".to_string()
        } else {
            config.budget_per_day.to_string()
        },
        d.stats.events,
        d.stats.hops,
        d.stats.suspicious_hops
    )?;
    if let Some(end) = d.warmup_end {
        writeln!(w, "warmup until {} (no alerts before)", short_time(end))?;
    }
    Ok(())
}
