//! `hopscope trace`: walk backward from a host and time to the entry point and the path.

use std::borrow::Borrow;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use hopscope_case::Case;
use hopscope_engine::coverage::CoverageBuilder;
use hopscope_engine::{
    collect_logins, trace_with_alerts, DetectConfig, Detector, Fleet, Trace, TraceConfig,
};
use hopscope_model::{EventTable, Time};
use hopscope_report::view::{host_name, parse_duration, short_time, EvidenceRef, TraceView};

use crate::out::{fit, wrap, Style, WIDTH};

use crate::cmd_audit::parse_time;

#[derive(clap::Args)]
#[command(after_long_help = "\
Walks backward from HOST at TIME. Detection runs over the logins up to TIME; a thread of an
alert (an intrusion's suspicious hops, linked by compromise) that reached HOST gives the path:
its hop into HOST, the hop that entered that hop's source before it, and so on back, to where
the intrusion began. Then, as alternatives, the rarity walk over every login into HOST and
their sources (never-seen edge, account new on the host or from the source, from the internet
or a weak host, cross-country; routine edges damped). Prints the entry point and why, the most
likely path with evidence, and ranked alternatives. docs/investigation.md describes the JSON.

Example:
  hopscope trace --case c1 --host jp-crm-01 --at 2020-05-11T00:00:00Z")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// The host where the intrusion was detected.
    #[arg(long, value_name = "HOST")]
    host: String,
    /// When it was detected: only logins up to it count.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Time,
    /// Bits of rarity a login needs to be part of a path.
    #[arg(long, value_name = "BITS", default_value_t = 4.0, value_parser = crate::args::finite)]
    min_bits: f64,
    /// Alternatives listed after the most likely path.
    #[arg(long, value_name = "N", default_value_t = 3)]
    alternatives: usize,
    /// From the first login, history is still filling for this long: no login then counts as
    /// novel (on the first day every edge is new), only as from the internet or a weak host.
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    /// One JSON document.
    #[arg(long)]
    json: bool,
    /// Client names (data.csv) as keyed pseudonyms wherever they appear (accounts, hosts,
    /// evidence paths); restricted clients never named. The same pass as `scope --redact`.
    #[arg(long)]
    redact: bool,
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
}

/// The trace back from `config.host` at `config.at` as `hopscope trace` makes it: one pass over
/// the case's events (`tables`, in time order) up to that time, collecting the logins and
/// running detection with `detect`, whose alerts as they stood then give the path
/// ([`trace_with_alerts`]). `eval` measures this very function.
pub fn trace_up_to<T: Borrow<EventTable>>(
    tables: impl IntoIterator<Item = Result<T>>,
    case: &Case,
    fleet: &Fleet,
    detect: DetectConfig,
    config: &TraceConfig,
    mut coverage: Option<&mut CoverageBuilder>,
) -> Result<Trace> {
    let c = &case.catalog;
    let until = Time(config.at.0.saturating_add(1));
    let mut detector = Detector::new(c, &case.inventory, detect);
    let mut hops = Vec::new();
    for t in tables {
        let t = t?;
        let t = t.borrow();
        if t.time.first().is_some_and(|&x| x >= until.0) {
            break;
        }
        let upto = t.time.partition_point(|&x| x < until.0);
        if upto == t.len() {
            detector.feed(t);
        } else {
            let mut part = EventTable::default();
            part.extend_from_range(t, 0..upto);
            detector.feed(&part);
        }
        collect_logins(t, until, &mut hops);
        if let Some(cov) = coverage.as_deref_mut() {
            cov.feed(t, until);
        }
    }
    let detection = detector.finish(c);
    // the hosts as the detector saw them (doors and address pools learned from behaviour)
    let fleet = fleet.clone().with_learned(detection.learned);
    Ok(trace_with_alerts(&hops, &detection.alerts, c, &fleet, config))
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    if a.redact {
        crate::out::redact_case(&a.case, &case)?;
    }
    let c = &case.catalog;
    let Some(host) = c.hosts.find(&a.host) else { bail!("no host {:?} in this case", a.host) };
    let fleet = Fleet::new(c, &case.inventory);
    let config = TraceConfig {
        host,
        at: a.at,
        min_bits: a.min_bits,
        alternatives: a.alternatives,
        warmup: a.warmup,
        ..TraceConfig::default()
    };
    let tables = case.events(1 << 16)?.map(|t| t.map_err(anyhow::Error::from));
    let mut coverage = CoverageBuilder::new();
    let t = trace_up_to(
        tables,
        &case,
        &fleet,
        a.tuning.config(0, a.warmup),
        &config,
        Some(&mut coverage),
    )?;
    let coverage = coverage.finish();
    let best = t.paths.first();
    let report =
        TraceView::new(&t, c, host, a.at).with_log_notes(&t, &coverage, c, &case.inventory, a.at);
    if a.json {
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &crate::out::redact_value(report)?)?;
        writeln!(w)?;
        w.flush()?;
    } else {
        let mut w = crate::out::stdout();
        let st = Style::stdout();
        let (Some(best), Some(entry)) = (best, report.entry_point.as_ref()) else {
            writeln!(w, "no suspicious login reached {} before {}", report.host, short_time(a.at))?;
            w.flush()?;
            return Ok(());
        };
        for l in wrap(
            &format!("entry point {}{}{}: {}", st.bold, entry.host, st.reset, entry.why.join("; ")),
            "",
            WIDTH,
        ) {
            writeln!(w, "{l}")?;
        }
        let n = best.hops.len();
        let along =
            best.alert.as_ref().map_or(" (by rarity: no alert reached it)".to_string(), |id| {
                format!(" along alert {id}")
            });
        writeln!(
            w,
            "first malicious hop {}; {n} hop{} to {}{along}",
            short_time(best.hops[0].hop.time),
            if n == 1 { "" } else { "s" },
            report.host
        )?;
        for (i, p) in t.paths.iter().enumerate() {
            if i == 1 {
                writeln!(w, "\nalternatives")?;
            }
            if i > 0 {
                let along = match (&p.alert, p.thread_only) {
                    (None, _) => ", by rarity".to_string(),
                    (Some(id), false) => format!(", alert {id}"),
                    (Some(id), true) => {
                        format!(", alert {id}: the thread alone, as if a second intruder")
                    }
                };
                writeln!(
                    w,
                    "  entry {} (score {:.1}{along})",
                    host_name(c, p.entry_host),
                    p.score
                )?;
            }
            for h in &p.hops {
                let hop = &h.hop;
                if let Some(s) = &h.switch {
                    // between the hop into the host and this hop out of it
                    let v = hopscope_report::view::SwitchView::new(c, s);
                    let line = format!("  then {}  ({})", v.text, v.evidence);
                    for l in wrap(&line, "      ", WIDTH) {
                        writeln!(w, "{l}")?;
                    }
                }
                let line = format!(
                    "  {}  {} → {}  {} {}  {:.1} bits",
                    short_time(hop.time),
                    host_name(c, hop.src),
                    host_name(c, hop.dst),
                    c.accounts.get(hop.user).map(|a| a.display()).unwrap_or_else(|| "?".into()),
                    c.auths.name(hop.auth).unwrap_or("?"),
                    h.score,
                );
                writeln!(w, "{}", fit(&line, WIDTH))?;
                let why =
                    format!("{}  [{}]", EvidenceRef::new(c, hop.evidence), h.reasons.join(", "));
                for l in wrap(&why, "      ", WIDTH) {
                    writeln!(w, "{}{l}{}", st.dim, st.reset)?;
                }
            }
        }
        if !report.log_notes.is_empty() {
            writeln!(w, "\nwhat the logs cannot show")?;
            for n in &report.log_notes {
                for l in wrap(n, "  ", WIDTH) {
                    writeln!(w, "{l}")?;
                }
            }
        }
        w.flush()?;
    }
    Ok(())
}
