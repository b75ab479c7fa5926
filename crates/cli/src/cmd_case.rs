//! `hopscope case info`.

use std::path::PathBuf;

use anyhow::Result;
use hopscope_case::Case;
use hopscope_model::HostKind;

use crate::out::num;

#[derive(clap::Subcommand)]
pub enum CaseCommand {
    /// What a case holds: sources with hashes, counts, time span, problems by reason.
    Info {
        #[arg(long, value_name = "DIR")]
        case: PathBuf,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(c: CaseCommand) -> Result<()> {
    match c {
        CaseCommand::Info { case, json } => info(case, json),
    }
}

fn info(dir: PathBuf, json: bool) -> Result<()> {
    let case = Case::open(&dir)?;
    let m = &case.manifest;
    if json {
        println!("{}", serde_json::to_string_pretty(m)?);
        return Ok(());
    }
    let mut kinds = [0u64; 5];
    for (_, h) in case.catalog.hosts.iter() {
        kinds[h.kind as usize] += 1;
    }
    println!("case        {} (generation {})", dir.display(), m.generation);
    println!(
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
        println!(
            "outside     {} events dated outside the time range {} .. {} ({} before, {} after): kept, not analysed",
            num(r.outside()),
            day(r.start),
            day(r.end.saturating_sub(1)),
            num(r.before),
            num(r.after)
        );
    }
    println!(
        "hosts       {} (inventory {}, named by logs {}, by address {}, internet {})",
        num(m.hosts),
        num(kinds[HostKind::Inventory as usize]),
        num(kinds[HostKind::Named as usize]),
        num(kinds[HostKind::Address as usize]),
        num(kinds[HostKind::Internet as usize])
    );
    println!("accounts    {}", num(m.accounts));
    println!("addresses   {}", num(m.addresses));
    if m.labels > 0 {
        println!("labels      {}", num(m.labels));
    }
    match &m.inventory.dir {
        Some(d) => println!(
            "inventory   {} ({} hosts, {} sites, {} data rows)",
            d,
            num(m.inventory.hosts),
            num(m.inventory.sites),
            num(m.inventory.data)
        ),
        None => println!("inventory   none (give --inventory DIR to ingest)"),
    }
    println!("sources     {}", num(m.sources.len() as u64));
    let w = m.sources.iter().map(|s| s.path.len()).max().unwrap_or(4).clamp(4, 60);
    println!(
        "  {:<w$}  {:<12} {:>12} {:>10} {:>9}  sha256",
        "path", "format", "events", "ignored", "problems"
    );
    for s in &m.sources {
        let path = if s.path.len() > w {
            format!("…{}", &s.path[s.path.len() - (w - 1)..])
        } else {
            s.path.clone()
        };
        println!(
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
        println!("problems    none");
    } else {
        let by: Vec<String> = m.problems.iter().map(|(k, n)| format!("{k} {}", num(*n))).collect();
        println!("problems    {} ({})", num(m.problem_total()), by.join(", "));
        for ex in &m.problem_examples {
            println!("  {}: {}: {}", ex.at, ex.kind, ex.message);
        }
    }
    for n in &m.notes {
        println!("note        {n}");
    }
    Ok(())
}
