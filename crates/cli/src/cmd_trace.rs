//! `hopscope trace`: walk backward from a host and time to the entry point and the path.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{bail, Result};
use hopscope_case::Case;
use hopscope_engine::{trace, Fleet, TraceConfig, TracePath};
use hopscope_model::{Catalog, Time};
use serde::Serialize;

use crate::cmd_audit::{evidence_str, hop_json, host_name, load_logins, parse_time, short_time, HopJson};

#[derive(clap::Args)]
#[command(after_long_help = "\
Walks backward from HOST at TIME over the successful logins into it, then into their
sources, earlier and earlier. Each login is scored by how rare it was when it happened
(never-seen edge, account new on the host or from the source, from the internet or a weak
host, cross-country; routine edges damped), so routine administration does not swamp the
path. Prints the entry point and why, the most likely path with evidence, and ranked
alternatives. docs/investigation.md describes the JSON.

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
    #[arg(long, value_name = "BITS", default_value_t = 4.0)]
    min_bits: f64,
    /// Alternatives listed after the most likely path.
    #[arg(long, value_name = "N", default_value_t = 3)]
    alternatives: usize,
    /// One JSON document.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    host: String,
    at: String,
    logins: u64,
    entry_point: Option<EntryJson>,
    first_malicious_time: Option<String>,
    path: Vec<TraceHopJson>,
    alternatives: Vec<PathJson>,
}

#[derive(Serialize)]
struct EntryJson {
    host: String,
    why: Vec<String>,
}

#[derive(Serialize)]
struct TraceHopJson {
    #[serde(flatten)]
    hop: HopJson,
    score: f64,
    reasons: Vec<&'static str>,
}

#[derive(Serialize)]
struct PathJson {
    entry_point: EntryJson,
    score: f64,
    first_malicious_time: String,
    path: Vec<TraceHopJson>,
}

fn hops_json(c: &Catalog, p: &TracePath) -> Vec<TraceHopJson> {
    p.hops.iter().map(|h| TraceHopJson { hop: hop_json(c, &h.hop), score: (h.score * 100.0).round() / 100.0, reasons: h.reasons.clone() }).collect()
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let c = &case.catalog;
    let Some(host) = c.hosts.find(&a.host) else { bail!("no host {:?} in this case", a.host) };
    let (hops, _) = load_logins(&case, Time(a.at.0.saturating_add(1)))?;
    let fleet = Fleet::new(c, &case.inventory);
    let config = TraceConfig { host, at: a.at, min_bits: a.min_bits, alternatives: a.alternatives, ..TraceConfig::default() };
    let t = trace(&hops, c, &fleet, &config);
    let best = t.paths.first();
    let entry = |p: &TracePath| EntryJson { host: host_name(c, p.entry_host), why: p.entry_reasons.clone() };
    let report = Report {
        host: host_name(c, host),
        at: a.at.to_rfc3339(),
        logins: t.logins,
        entry_point: best.map(entry),
        first_malicious_time: best.map(|p| p.hops[0].hop.time.to_rfc3339()),
        path: best.map(|p| hops_json(c, p)).unwrap_or_default(),
        alternatives: t
            .paths
            .iter()
            .skip(1)
            .map(|p| PathJson {
                entry_point: entry(p),
                score: (p.score * 100.0).round() / 100.0,
                first_malicious_time: p.hops[0].hop.time.to_rfc3339(),
                path: hops_json(c, p),
            })
            .collect(),
    };
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    if a.json {
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
    } else {
        let Some(best) = best else {
            writeln!(w, "no suspicious login reached {} before {}", report.host, short_time(a.at))?;
            w.flush()?;
            return Ok(());
        };
        writeln!(w, "entry point {}: {}", report.entry_point.as_ref().unwrap().host, best.entry_reasons.join("; "))?;
        writeln!(w, "first malicious hop {}; {} hops to {}", short_time(best.hops[0].hop.time), best.hops.len(), report.host)?;
        for (i, p) in t.paths.iter().enumerate() {
            if i == 1 {
                writeln!(w, "\nalternatives")?;
            }
            if i > 0 {
                writeln!(w, "  entry {} (score {:.1})", host_name(c, p.entry_host), p.score)?;
            }
            for h in &p.hops {
                let hop = &h.hop;
                writeln!(
                    w,
                    "  {}  {} → {}  {} {}  {:.1} bits  {}  [{}]",
                    short_time(hop.time),
                    host_name(c, hop.src),
                    host_name(c, hop.dst),
                    c.accounts.get(hop.user).map(|a| a.display()).unwrap_or_else(|| "?".into()),
                    c.auths.name(hop.auth).unwrap_or("?"),
                    h.score,
                    evidence_str(c, hop.evidence),
                    h.reasons.join(", ")
                )?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
