//! `hopscope case info`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use hopscope_case::Case;
use hopscope_model::HostKind;

use crate::out::{num, redacted, term};

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
}

pub fn run(c: CaseCommand) -> Result<()> {
    match c {
        CaseCommand::Info { case, json, redact } => info(case, json, redact),
    }
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
