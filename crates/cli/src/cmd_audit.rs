//! `hopscope audit`: hygiene findings (forgotten hosts still in use, stale patches, internet
//! logins, observed paths from weak hosts to crown jewels). Also the argument and loading
//! helpers the investigation commands (audit, scope, trace) share.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use hopscope_case::Case;
use hopscope_engine::{audit, collect_logins, AuditConfig, Fleet, Hop, DAY};
use hopscope_model::Time;
use hopscope_report::view::{host_name, short_time, AuditView, EvidenceRef};

use crate::out::{fit, wrap, Style, WIDTH};

#[derive(clap::Args)]
#[command(after_long_help = "\
Lists hygiene findings, most severe first: hosts being decommissioned or retired that still
log in or are logged into; patches older than --patch-age days; successful logins from the
internet; observed time-respecting login paths (at most 4 hops) from a weak host
(decommissioning/retired, stale patch, internet-facing) to a crown-jewel host (criticality
critical, or holding restricted data). Every finding cites its first and last evidence.
docs/investigation.md describes the JSON.

Examples:
  hopscope audit --case c1
  hopscope audit --case c1 --as-of 2019-08-31T00:00:00Z --json | jq '.findings[0]'")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// Only events before this time count; patch ages are measured at it [default: end of data].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    as_of: Option<Time>,
    /// A patch older than this many days is stale.
    #[arg(long, value_name = "DAYS", default_value_t = 365)]
    patch_age: u32,
    /// One JSON document.
    #[arg(long)]
    json: bool,
    /// Client names (data.csv) as keyed pseudonyms wherever they appear (accounts, hosts,
    /// evidence paths); restricted clients never named. The same pass as `scope --redact`.
    #[arg(long)]
    redact: bool,
}

pub fn parse_time(s: &str) -> Result<Time, String> {
    Time::parse(s).map_err(|e| e.0)
}

/// All successful logins of the case before `until`, in time order, and the time just after
/// the last event (the end of the data).
pub fn load_logins(case: &Case, until: Time) -> Result<(Vec<Hop>, Time)> {
    let mut hops = Vec::new();
    let mut end = Time::MIN;
    for t in case.events(1 << 16)? {
        let t = t?;
        if let Some(&last) = t.time.last() {
            end = end.max(Time(last + 1));
        }
        collect_logins(&t, until, &mut hops);
    }
    Ok((hops, end))
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    if a.redact {
        crate::out::redact_case(&a.case, &case)?;
    }
    let (hops, end) = load_logins(&case, a.as_of.unwrap_or(Time::MAX))?;
    let as_of = a.as_of.unwrap_or(end);
    let fleet = Fleet::new(&case.catalog, &case.inventory);
    let config =
        AuditConfig { as_of, patch_age: a.patch_age as i64 * DAY, ..AuditConfig::default() };
    let result = audit(&hops, &case.catalog, &fleet, &config);
    let c = &case.catalog;
    if a.json {
        let report = crate::out::redact_value(AuditView::new(&result, c, as_of, a.patch_age))?;
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
        w.flush()?;
    } else {
        let mut w = crate::out::stdout();
        let st = Style::stdout();
        for f in &result.findings {
            let severity = f.severity.as_str();
            let head = format!("{:<8} {:<14} {}", severity, host_name(c, f.host), f.kind.as_str());
            // colour around the padded fields, so the columns stay where they are
            let (sev, rest) = head.split_at(severity.len());
            writeln!(
                w,
                "{}{}{}{}{}{}",
                st.severity(severity),
                sev,
                st.reset,
                st.bold,
                fit(rest, WIDTH - sev.len()),
                st.reset
            )?;
            for l in wrap(&f.detail, "         ", WIDTH) {
                writeln!(w, "{l}")?;
            }
            for (which, seen) in [("first", f.first), ("last", f.last)] {
                if let Some(seen) = seen {
                    let evidence = format!(
                        "{which} {} {}",
                        short_time(seen.time),
                        EvidenceRef::new(c, seen.evidence)
                    );
                    writeln!(
                        w,
                        "{}{}{}",
                        st.dim,
                        fit(&format!("         {evidence}"), WIDTH),
                        st.reset
                    )?;
                }
            }
        }
        let n = result.findings.len();
        writeln!(
            w,
            "{n} finding{} as of {} ({} logins; patch age {} days)",
            if n == 1 { "" } else { "s" },
            short_time(as_of),
            result.logins,
            a.patch_age
        )?;
        w.flush()?;
    }
    Ok(())
}
