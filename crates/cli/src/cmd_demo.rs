//! `hopscope demo`: the 2019 story on a simulated fleet, told with every stage that is
//! built. What is not built yet is named as such; nothing is made up.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_model::{Lifecycle, Outcome, Time};
use hopscope_sim::{simulate, SimOptions};
use serde::Deserialize;

use crate::out::num;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the simulated fleet and the case.
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    out: PathBuf,
    /// Simulator seed (the same seed tells the same story).
    #[arg(long, default_value_t = 2019)]
    seed: u64,
}

#[derive(Deserialize)]
struct Truth {
    intrusions: Vec<TruthIntrusion>,
    logins: Vec<TruthLogin>,
}
#[derive(Deserialize)]
struct TruthIntrusion {
    id: u32,
    entry_host: String,
    first_malicious: String,
    detected: Option<String>,
    contained: Option<String>,
    target_host: Option<String>,
}
#[derive(Deserialize)]
struct TruthLogin {
    time: String,
    intrusion: u32,
    kind: String,
    src_host: String,
    dst_host: String,
    account: String,
    protocol: String,
    outcome: String,
}

pub fn run(a: Args) -> Result<()> {
    let fleet = a.out.join("fleet");
    let case_dir = a.out.join("case");
    if case_dir.exists() {
        std::fs::remove_dir_all(&case_dir).with_context(|| format!("{}: cannot replace", case_dir.display()))?;
    }
    println!("hopscope demo: the 2019 intrusion (Singapore → Thailand → United States → Japan) on a simulated fleet\n");

    let t = Instant::now();
    let sim = simulate(&SimOptions { seed: a.seed, ..SimOptions::default() }, &fleet)?;
    println!(
        "1. simulated {} hosts in {} sites, {} to {}: {} log events  ({:.1}s, {})",
        sim.hosts,
        sim.sites,
        sim.start,
        sim.end,
        num(sim.events),
        t.elapsed().as_secs_f64(),
        fleet.display()
    );

    let t = Instant::now();
    let args = crate::cmd_ingest::Args::new(vec![fleet.join("logs")], case_dir.clone(), Some(fleet.clone()));
    let m = crate::cmd_ingest::ingest(&args, true)?;
    println!(
        "2. ingested {} files: {} events, {} problems  ({:.1}s, {})",
        num(m.sources.len() as u64),
        num(m.events),
        num(m.problem_total()),
        t.elapsed().as_secs_f64(),
        case_dir.display()
    );

    let case = Case::open(&case_dir)?;
    let truth: Truth = serde_json::from_slice(&std::fs::read(fleet.join("truth.json"))?)?;
    let Some(intr) = truth.intrusions.iter().find(|i| i.id == 1) else {
        anyhow::bail!("the simulated truth has no intrusion 1");
    };
    let inv = &case.inventory;
    println!("\n3. the injected intrusion (simulator ground truth), checked against the case's evidence:");
    if let Some(h) = inv.host_by_name(&intr.entry_host).map(|i| &inv.hosts[i]) {
        let mut weak = Vec::new();
        if h.lifecycle != Lifecycle::Active {
            weak.push(format!("lifecycle {}", h.lifecycle.as_str()));
        }
        if let Some(p) = h.last_patched {
            weak.push(format!("last patched {p}"));
        }
        if h.internet_facing {
            weak.push("internet-facing".to_string());
        }
        println!("   entry host {} ({}): {}", h.name, h.country, weak.join(", "));
    }

    // each successful hop of the story, found in the case with its evidence
    let events = case.load_events()?;
    let cat = &case.catalog;
    let mut shown = std::collections::BTreeSet::new();
    for l in truth.logins.iter().filter(|l| l.intrusion == 1 && l.outcome == "success" && matches!(l.kind.as_str(), "entry" | "hop")) {
        if !shown.insert((l.src_host.clone(), l.dst_host.clone())) {
            continue;
        }
        let at = Time::parse(&l.time).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dst = cat.hosts.find(&l.dst_host);
        // the destination's own logon record first, a domain controller's ticket otherwise
        let found = (0..events.len())
            .map(|i| events.get(i))
            .filter(|e| {
                Some(e.dst_host) == dst
                    && e.outcome == Outcome::Success
                    && (e.time.0 - at.0).abs() <= 2_000_000
                    && cat.accounts.get(e.user).is_some_and(|u| l.account.to_lowercase().ends_with(&u.name.to_lowercase()))
            })
            .min_by_key(|e| (e.orientation != hopscope_model::Orientation::LogOn, e.time));
        let country = |h: &str| cat.hosts.find(h).and_then(|id| cat.hosts.get(id)).and_then(|r| r.country.clone()).unwrap_or_else(|| "internet".into());
        let evidence = match found {
            Some(e) => {
                let file = cat.sources.name(e.evidence.source).unwrap_or("?");
                let file = file.strip_prefix(&format!("{}/", fleet.display())).unwrap_or(file);
                match e.evidence.position {
                    hopscope_model::Position::Line(n) => format!("{file}:{n}"),
                    hopscope_model::Position::Record(n) => format!("{file} record {n}"),
                }
            }
            None => "NOT FOUND in the case".to_string(),
        };
        println!(
            "   {}  {:<10} → {:<10} {:<16} {:<13} {:<4} {}",
            &l.time[..10],
            l.src_host,
            l.dst_host,
            format!("({})", country(&l.dst_host)),
            l.account.rsplit('\\').next().unwrap_or(&l.account),
            l.protocol,
            evidence
        );
    }
    if let (Ok(first), Some(Ok(det))) = (Time::parse(&intr.first_malicious), intr.detected.as_deref().map(Time::parse)) {
        println!(
            "   dwell: first malicious login {} → detected {}: {} days{}",
            &intr.first_malicious[..10],
            &intr.detected.as_deref().unwrap_or("")[..10],
            (det.0 - first.0) / 86_400_000_000,
            intr.contained.as_deref().map(|c| format!(", contained {}", &c[..10])).unwrap_or_default()
        );
    }
    if let Some(target) = &intr.target_host {
        let rows: Vec<_> = inv.data.iter().filter(|d| d.host.eq_ignore_ascii_case(target)).collect();
        let clients: std::collections::BTreeSet<&str> = rows.iter().map(|d| d.client.as_str()).collect();
        let restricted: std::collections::BTreeSet<&str> = rows.iter().filter(|d| d.restricted).map(|d| d.client.as_str()).collect();
        println!(
            "   data on {target}: {} client organisations, {} of them restricted (from data.csv)",
            num(clients.len() as u64),
            num(restricted.len() as u64)
        );
    }

    println!("\n4. not built yet, so not shown: detection (hop chains, scores, alerts), trace back to the");
    println!("   entry point, scope of exposure, audit of weak hosts, the HTML/Markdown/STIX report.");
    println!("\nexplore: hopscope case info --case {0}   |   hopscope export --case {0} | head", case_dir.display());
    Ok(())
}
