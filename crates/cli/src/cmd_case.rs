//! `hopscope case info`, `hopscope case coverage` and `hopscope case merge`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use hopscope_case::Case;
use hopscope_engine::coverage::CoverageBuilder;
use hopscope_model::{HostKind, Time};
use hopscope_report::view::{CoverageView, StreamView};

use crate::out::{fit, num, redacted, term, wrap, WIDTH};

#[derive(clap::Subcommand)]
pub enum CaseCommand {
    /// What a case holds: sources with hashes, counts, time span, problems by reason.
    Info {
        #[arg(long, value_name = "DIR")]
        case: PathBuf,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
        /// Client names (data.csv) as keyed pseudonyms wherever they appear (evidence paths,
        /// problems, notes); restricted clients never named. The same pass as `scope --redact`.
        #[arg(long)]
        redact: bool,
    },
    /// What the logs can and cannot show: per host, the periods the case holds its logs (all
    /// together and by source format), gaps longer than the host's usual rhythm, tampering
    /// (logs cleared, audit policy changed, event log stopped, clock jumps back), and the
    /// inventory's hosts with no logs at all (docs/coverage.md).
    Coverage {
        #[arg(long, value_name = "DIR")]
        case: PathBuf,
        /// One JSON document.
        #[arg(long)]
        json: bool,
        /// Client names (data.csv) as keyed pseudonyms wherever they appear (evidence paths);
        /// restricted clients never named. The same pass as `scope --redact`.
        #[arg(long)]
        redact: bool,
    },
    /// Merge shards (cases ingested apart, one per site or collector) into one case whose
    /// ids are consistent: the shards' events are linked in unchanged and read through remap
    /// tables; detection over the merged case equals detection over one ingest of every
    /// shard's logs (docs/shards.md).
    #[command(after_long_help = "\
Examples:
  # at each site, against the same inventory
  hopscope ingest /logs/sg --inventory cmdb/ --case shard-sg
  hopscope ingest /logs/th --inventory cmdb/ --case shard-th
  # where the shards are gathered
  hopscope case merge shard-sg shard-th --case fleet
  hopscope case merge shard-us --case fleet      # later shards into the same case

Shards are merged in the order given. Refused, with nothing written: shards whose inventories
differ, a shard given twice, an input file two shards hold (same SHA-256), a damaged shard.")]
    Merge {
        /// Shard case directories, in merge order.
        #[arg(required = true, value_name = "SHARD")]
        shards: Vec<PathBuf>,
        /// The case to create or merge into.
        #[arg(long, value_name = "DIR")]
        case: PathBuf,
        /// Print the case manifest as JSON on stdout instead of a summary.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(c: CaseCommand) -> Result<()> {
    match c {
        CaseCommand::Info { case, json, redact } => info(case, json, redact),
        CaseCommand::Coverage { case, json, redact } => coverage(case, json, redact),
        CaseCommand::Merge { shards, case, json } => merge(shards, case, json),
    }
}

fn merge(shards: Vec<PathBuf>, dir: PathBuf, json: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let m = hopscope_case::merge(&dir, &shards)?;
    if json {
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &m)?;
        writeln!(w)?;
        w.flush()?;
        return Ok(());
    }
    let merged: Vec<_> = m.shards.iter().filter(|s| s.merged_into == m.generation).collect();
    errln!(
        "merged {} shard(s): {} events from {} sources in {:.2}s into {} (generation {})",
        num(merged.len() as u64),
        num(merged.iter().map(|s| s.events).sum()),
        num(merged.iter().map(|s| s.sources).sum()),
        started.elapsed().as_secs_f64(),
        dir.display(),
        m.generation
    );
    errln!(
        "case now holds {} events from {} sources; {} hosts, {} accounts, {} addresses",
        num(m.events),
        num(m.sources.len() as u64),
        num(m.hosts),
        num(m.accounts),
        num(m.addresses)
    );
    Ok(())
}

fn coverage(dir: PathBuf, json: bool, redact: bool) -> Result<()> {
    let case = Case::open(&dir)?;
    if redact {
        crate::out::redact_case(&dir, &case)?;
    }
    let mut b = CoverageBuilder::new();
    for t in case.events(1 << 16)? {
        b.feed(&t?, Time::MAX);
    }
    let v = CoverageView::new(&b.finish(), &case.catalog, &case.inventory);
    if json {
        let v = crate::out::redact_value(v)?;
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &v)?;
        writeln!(w)?;
        w.flush()?;
        return Ok(());
    }
    let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
    outln!(
        "logs of {} hosts, {} .. {}",
        num(v.hosts.len() as u64),
        v.first.as_deref().map(day).unwrap_or_else(|| "-".into()),
        v.last.as_deref().map(day).unwrap_or_else(|| "-".into())
    );
    let periods = |s: &StreamView| -> String {
        let p: Vec<String> =
            s.periods.iter().map(|p| format!("{} .. {}", day(&p.from), day(&p.to))).collect();
        p.join(", ")
    };
    for h in &v.hosts {
        let rhythm = h.all.rhythm.as_deref().unwrap_or("unknown");
        outln!(
            "{}",
            fit(
                &format!(
                    "  {}  {} events  rhythm {rhythm}, gap after {}  {}",
                    h.host,
                    num(h.all.events),
                    h.all.gap_after,
                    periods(&h.all)
                ),
                WIDTH
            )
        );
        if h.by_format.len() > 1 || !h.all.gaps.is_empty() {
            for f in &h.by_format {
                let line = format!(
                    "      {:<8} {} events  {}",
                    f.format,
                    num(f.stream.events),
                    periods(&f.stream)
                );
                outln!("{}", fit(&line, WIDTH));
            }
        }
    }
    if !v.tampering.is_empty() {
        outln!("tampering and silences");
        for t in &v.tampering {
            for l in wrap(&format!("{} [{}]", t.text, t.evidence), "  ", WIDTH) {
                outln!("{l}");
            }
        }
    }
    if !v.hosts_without_logs.is_empty() {
        outln!("hosts of the inventory with no logs ({})", num(v.hosts_without_logs.len() as u64));
        for l in wrap(&v.hosts_without_logs.join(", "), "  ", WIDTH) {
            outln!("{l}");
        }
    }
    Ok(())
}

fn info(dir: PathBuf, json: bool, redact: bool) -> Result<()> {
    let case = Case::open(&dir)?;
    if redact {
        crate::out::redact_case(&dir, &case)?;
    }
    let m = &case.manifest;
    if json {
        let m = crate::out::redact_value(m.clone())?;
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &m)?;
        writeln!(w)?;
        w.flush()?;
        return Ok(());
    }
    // redacted whole before a long path is cut to its end
    let paths: Vec<String> = m.sources.iter().map(|s| redacted(&s.path).into_owned()).collect();
    let mut kinds = [0u64; 5];
    for (_, h) in case.catalog.hosts.iter() {
        kinds[h.kind as usize] += 1;
    }
    outln!("case        {} (generation {})", dir.display(), m.generation);
    outln!(
        "events      {}   {} .. {}",
        num(m.events),
        m.first_time.as_deref().unwrap_or("-"),
        m.last_time.as_deref().unwrap_or("-")
    );
    if let Some(r) = m.time_range.as_ref().filter(|r| r.outside() > 0) {
        let day = |us: i64| {
            let s = hopscope_model::Time(us).to_rfc3339();
            s.get(..10).unwrap_or(&s).to_string()
        };
        outln!(
            "outside     {} events dated outside the time range {} .. {} ({} before, {} after): kept, not analysed",
            num(r.outside()),
            day(r.start),
            day(r.end.saturating_sub(1)),
            num(r.before),
            num(r.after)
        );
    }
    outln!(
        "hosts       {} (inventory {}, named by logs {}, by address {}, internet {})",
        num(m.hosts),
        num(kinds[HostKind::Inventory as usize]),
        num(kinds[HostKind::Named as usize]),
        num(kinds[HostKind::Address as usize]),
        num(kinds[HostKind::Internet as usize])
    );
    outln!("accounts    {}", num(m.accounts));
    if !m.shards.is_empty() {
        outln!("shards      {} merged", num(m.shards.len() as u64));
        for s in &m.shards {
            let line = format!(
                "  {}  {} events, {} sources (its generation {}, merged by generation {})",
                s.path,
                num(s.events),
                num(s.sources),
                s.generation,
                s.merged_into
            );
            outln!("{}", fit(&line, WIDTH));
        }
    }
    outln!("addresses   {}", num(m.addresses));
    if m.labels > 0 {
        outln!("labels      {}", num(m.labels));
    }
    match &m.inventory.dir {
        Some(d) => outln!(
            "inventory   {} ({} hosts, {} sites, {} data rows)",
            d,
            num(m.inventory.hosts),
            num(m.inventory.sites),
            num(m.inventory.data)
        ),
        None => outln!("inventory   none (give --inventory DIR to ingest)"),
    }
    outln!("sources     {}", num(m.sources.len() as u64));
    let w = paths.iter().map(|p| term(p).chars().count()).max().unwrap_or(4).clamp(4, 60);
    outln!(
        "  {:<w$}  {:<12} {:>12} {:>10} {:>9}  sha256",
        "path",
        "format",
        "events",
        "ignored",
        "problems"
    );
    for (s, path) in m.sources.iter().zip(&paths) {
        // the end of a long path (its file name), cut between characters
        let path: Vec<char> = term(path).chars().collect();
        let path: String = if path.len() > w {
            std::iter::once('…').chain(path[path.len() - (w - 1)..].iter().copied()).collect()
        } else {
            path.into_iter().collect()
        };
        outln!(
            "  {:<w$}  {:<12} {:>12} {:>10} {:>9}  {}",
            path,
            s.format.as_deref().unwrap_or("?"),
            num(s.events),
            num(s.ignored),
            num(s.problems.values().sum()),
            s.sha256.as_deref().map(|h| &h[..12.min(h.len())]).unwrap_or("-")
        );
    }
    if m.problems.is_empty() {
        outln!("problems    none");
    } else {
        let by: Vec<String> = m.problems.iter().map(|(k, n)| format!("{k} {}", num(*n))).collect();
        outln!("problems    {} ({})", num(m.problem_total()), by.join(", "));
        for ex in &m.problem_examples {
            outln!("  {}: {}: {}", ex.at, ex.kind, ex.message);
        }
    }
    for n in &m.notes {
        outln!("note        {n}");
    }
    Ok(())
}
