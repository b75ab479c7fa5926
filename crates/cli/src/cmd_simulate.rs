//! `hopscope simulate`.

use std::path::PathBuf;

use anyhow::{anyhow, Result};
use hopscope_sim::{simulate, Attacker, LogGap, OutFormat, Scenario, SimOptions, WorldName};

use crate::out::num;

#[derive(clap::Args)]
#[command(after_long_help = "\
Writes hosts.csv, sites.csv, data.csv, the logs (logs/linux/<host>/auth.log,
logs/windows/<host>.jsonl, optionally lanl/auth.txt and zeek/<site>/) and truth.json (every
injected malicious login). The same options always give byte-identical files.

Examples:
  hopscope simulate --scenario ntt-2019 --out fleet
  hopscope ingest fleet/logs --inventory fleet --case case1
  hopscope simulate --scenario generic --intrusions 50 --scale 4 --out bench-fleet
  hopscope simulate --world partner-sftp --scenario generic --intrusions 20 --attacker hopper --out f
  hopscope simulate --list-worlds")]
pub struct Args {
    /// `ntt-2019` (the 2019 case) or `generic` (Hopper-style intrusions).
    #[arg(long, default_value = "ntt-2019")]
    scenario: String,
    /// Output directory.
    #[arg(long, value_name = "DIR", required_unless_present = "list_worlds")]
    out: Option<PathBuf>,
    /// The world: routines the fleet has beyond the baseline (`--list-worlds` names them).
    #[arg(long, default_value = "baseline", value_name = "NAME")]
    world: String,
    /// Print the worlds' names, one a line, and exit.
    #[arg(long)]
    list_worlds: bool,
    /// Who generates the generic intrusions: `hopscope` (the simulator's own) or `hopper`
    /// (Ho et al., USENIX Security 2021, over the generated logins; an attack that never
    /// switches to a second user's credentials is discarded, as the paper's generator does).
    #[arg(long, default_value = "hopscope", value_name = "NAME")]
    attacker: String,
    #[arg(long, default_value_t = 2019)]
    seed: u64,
    /// Grows hosts, accounts and activity (1 = about 300k events).
    #[arg(long, default_value_t = 1.0, value_parser = crate::args::positive)]
    scale: f64,
    /// Comma-separated: sshd, winjson, lanl, zeek.
    #[arg(long, default_value = "sshd,winjson", value_delimiter = ',')]
    formats: Vec<String>,
    /// Intrusions to inject (ntt-2019: the case plus N-1 generic ones).
    #[arg(long, default_value_t = 1)]
    intrusions: usize,
    /// Generic intrusions start no earlier than this day of the period (default 15: after
    /// detection's 14-day warmup). The ntt-2019 case keeps its dates.
    #[arg(long, default_value_t = hopscope_sim::DEFAULT_QUIET_DAYS, value_name = "DAYS")]
    quiet_days: u32,
    /// Days to simulate [default: ntt-2019 2019-06-01 to 2020-06-01; generic 45·√scale days
    /// or 4 per intrusion, whichever is longer].
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// A host's own logs missing from FROM (to TO, else to the end), optionally its Security
    /// log cleared at FROM by ACCOUNT (Windows hosts): `HOST,FROM[,TO[,ACCOUNT]]`, times in
    /// RFC 3339 or as dates (`us-jump-01,2020-04-20T03:00:00Z,,svc-backup`). Repeatable.
    #[arg(long, value_name = "SPEC", value_parser = parse_log_gap)]
    log_gap: Vec<LogGap>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Write into --out even when it holds files `simulate` did not make (they may be
    /// overwritten).
    #[arg(long)]
    force: bool,
}

pub fn options(a: &Args) -> Result<SimOptions> {
    let scenario = Scenario::parse(&a.scenario)
        .ok_or_else(|| anyhow!("unknown scenario {:?} (ntt-2019, generic)", a.scenario))?;
    let formats = a
        .formats
        .iter()
        .map(|f| {
            OutFormat::parse(f)
                .ok_or_else(|| anyhow!("unknown format {f:?} (sshd, winjson, lanl, zeek)"))
        })
        .collect::<Result<Vec<_>>>()?;
    let names = |v: Vec<&str>| v.join(", ");
    let world = WorldName::parse(&a.world).ok_or_else(|| {
        anyhow!(
            "unknown world {:?} ({})",
            a.world,
            names(WorldName::ALL.iter().map(|w| w.as_str()).collect())
        )
    })?;
    let attacker = Attacker::parse(&a.attacker).ok_or_else(|| {
        anyhow!(
            "unknown attacker {:?} ({})",
            a.attacker,
            names(Attacker::ALL.iter().map(|w| w.as_str()).collect())
        )
    })?;
    Ok(SimOptions {
        world,
        attacker,
        scenario,
        seed: a.seed,
        scale: a.scale,
        formats,
        intrusions: a.intrusions,
        quiet_days: a.quiet_days,
        days: a.days,
        log_gaps: a.log_gap.clone(),
        ..SimOptions::default()
    })
}

/// `HOST,FROM[,TO[,ACCOUNT]]` (see `--log-gap`).
fn parse_log_gap(s: &str) -> Result<LogGap, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let time = |t: &str| -> Result<i64, String> { crate::cmd_audit::parse_time(t).map(|t| t.0) };
    let (host, from) = match parts.as_slice() {
        [h, f, ..] if !h.is_empty() && parts.len() <= 4 => (h.to_string(), time(f)?),
        _ => return Err(format!("expected HOST,FROM[,TO[,ACCOUNT]], found {s:?}")),
    };
    let to = match parts.get(2) {
        Some(t) if !t.is_empty() => Some(time(t)?),
        _ => None,
    };
    let cleared_by = parts.get(3).filter(|a| !a.is_empty()).map(|a| a.to_string());
    Ok(LogGap { host, from, to, cleared_by })
}

pub fn run(a: Args) -> Result<()> {
    if a.list_worlds {
        for w in WorldName::ALL {
            outln!("{}", w.as_str());
        }
        return Ok(());
    }
    let opts = options(&a)?;
    let out = a.out.clone().ok_or_else(|| anyhow!("--out DIR is required"))?;
    crate::overwrite::claim_dir(&out, a.force, "simulate", "hosts.csv, logs/ and more")?;
    let t = std::time::Instant::now();
    let mut s = simulate(&opts, &out)?;
    let secs = t.elapsed().as_secs_f64();
    if a.json {
        s.files.clear();
        outln!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    errln!(
        "simulated {} in world {} ({} to {}): {} hosts, {} accounts, {} intrusion(s), {} events in {:.1}s into {}",
        s.scenario,
        s.world,
        s.start,
        s.end,
        num(s.hosts as u64),
        num(s.accounts as u64),
        s.intrusions,
        num(s.events),
        secs,
        out.display()
    );
    if s.discarded > 0 {
        errln!(
            "  {} Hopper attack(s) discarded: no start switched to a second user's credentials, the paper's test of a lateral movement attack (truth.json `discarded`)",
            s.discarded
        );
    }
    for (f, fs) in &s.per_format {
        errln!("  {f:<8} {:>6} files {:>12} events", num(fs.files), num(fs.events));
    }
    errln!("next: hopscope ingest {0}/logs --inventory {0} --case CASE", out.display());
    Ok(())
}
