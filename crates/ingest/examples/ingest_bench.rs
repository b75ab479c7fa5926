//! Run the ingest pipeline over the given paths and print throughput (for `bench/*.sh`;
//! there is no `hopscope ingest` command yet).
//!
//! `cargo run --release -p hopscope-ingest --example ingest_bench -- [--format F] [--threads N] [--events] PATH...`
//! `--events` prints every event (for looking at what a file yields).

use std::path::PathBuf;
use std::time::Instant;

use hopscope_ingest::{discover, run, Format, IngestOptions, SinkItem};
use hopscope_model::{Catalog, Inventory};

fn main() {
    let mut opts = IngestOptions::default();
    let mut paths = Vec::new();
    let mut show = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--format" => {
                let f = args.next().unwrap_or_default();
                opts.format = Some(Format::parse(&f).unwrap_or_else(|| {
                    eprintln!("unknown format {f:?}");
                    std::process::exit(2)
                }));
            }
            "--threads" => opts.threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(0),
            "--events" => show = true,
            _ => paths.push(PathBuf::from(a)),
        }
    }
    let files = match discover(&paths) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2)
        }
    };
    let mut catalog = Catalog::default();
    let inventory = Inventory::default();
    let mut tables = Vec::new();
    let start = Instant::now();
    let summary = run(
        &files,
        &opts,
        &mut catalog,
        &inventory,
        &mut |item| {
            if let SinkItem::Events(t) = item {
                if show {
                    tables.push(t);
                }
            }
            Ok(())
        },
        &|_| {},
    )
    .unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let secs = start.elapsed().as_secs_f64();
    let name = |id: u32| catalog.hosts.name(id).unwrap_or("-").to_string();
    for t in &tables {
        for e in t.iter() {
            println!(
                "{} {} {} {}->{} ip={} user={} src_user={} auth={} {} {} {} flags={:?} {}:{:?}",
                e.time.to_rfc3339(),
                e.event_id,
                e.orientation.as_str(),
                name(e.src_host),
                name(e.dst_host),
                catalog.addresses.name(e.src_ip).unwrap_or("-"),
                catalog.accounts.get(e.user).map(|a| a.display()).unwrap_or_default(),
                catalog.accounts.get(e.src_user).map(|a| a.display()).unwrap_or_default(),
                catalog.auths.name(e.auth).unwrap_or("-"),
                e.logon_type.as_str(),
                e.outcome.as_str(),
                e.format.as_str(),
                e.flags.names().collect::<Vec<_>>(),
                catalog.sources.name(e.evidence.source).unwrap_or("?"),
                e.evidence.position,
            );
        }
    }
    for s in &summary.sources {
        eprintln!(
            "{}: {} records/lines, {} events, {} ignored, {} problems {:?}",
            s.path,
            s.lines,
            s.events,
            s.ignored,
            s.problems.total(),
            s.problems.counts
        );
        for ex in s.problems.examples.values().flatten() {
            eprintln!("  {ex}");
        }
    }
    let lines: u64 = summary.sources.iter().map(|s| s.lines).sum();
    eprintln!(
        "{} files, {} records/lines, {} events in {:.3} s: {:.0} records/s, {:.0} events/s",
        files.len(),
        lines,
        summary.events,
        secs,
        lines as f64 / secs,
        summary.events as f64 / secs
    );
}
