//! `hopscope audit`: hygiene findings (forgotten hosts still in use, stale patches, internet
//! logins, observed paths from weak hosts to crown jewels). Also the helpers the
//! investigation commands (audit, scope, trace) share.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Result;
use hopscope_case::Case;
use hopscope_engine::{audit, collect_logins, AuditConfig, Finding, Fleet, Hop, Sighting, DAY};
use hopscope_model::{Catalog, Evidence, Position, Time};
use serde::Serialize;

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

#[derive(Serialize, Clone)]
#[serde(untagged)]
pub enum EvidenceJson {
    Line { file: String, line: u64 },
    Record { file: String, record: u64 },
}

pub fn evidence_json(c: &Catalog, e: Evidence) -> EvidenceJson {
    let file = c.sources.name(e.source).unwrap_or("?").to_string();
    match e.position {
        Position::Line(line) => EvidenceJson::Line { file, line },
        Position::Record(record) => EvidenceJson::Record { file, record },
    }
}

pub fn evidence_str(c: &Catalog, e: Evidence) -> String {
    let file = c.sources.name(e.source).unwrap_or("?");
    match e.position {
        Position::Line(n) => format!("{file}:{n}"),
        Position::Record(n) => format!("{file}#{n}"),
    }
}

pub fn host_name(c: &Catalog, id: u32) -> String {
    c.hosts.name(id).unwrap_or("?").to_string()
}

pub fn account_name(c: &Catalog, id: u32) -> Option<String> {
    c.accounts.get(id).map(|a| a.display())
}

/// `2019-09-12 03:04:05`.
pub fn short_time(t: Time) -> String {
    let s = t.to_rfc3339();
    s.get(..19).unwrap_or(&s).replace('T', " ")
}

/// A hop as `export` names it.
#[derive(Serialize, Clone)]
pub struct HopJson {
    pub time: String,
    pub src_host: String,
    pub dst_host: String,
    pub user: Option<String>,
    pub auth: Option<String>,
    pub logon_type: &'static str,
    pub src_country: Option<String>,
    pub dst_country: Option<String>,
    pub evidence: EvidenceJson,
}

pub fn hop_json(c: &Catalog, h: &Hop) -> HopJson {
    let country = |id: u32| c.hosts.get(id).and_then(|r| r.country.clone());
    HopJson {
        time: h.time.to_rfc3339(),
        src_host: host_name(c, h.src),
        dst_host: host_name(c, h.dst),
        user: account_name(c, h.user),
        auth: c.auths.name(h.auth).map(str::to_string),
        logon_type: h.logon_type.as_str(),
        src_country: country(h.src),
        dst_country: country(h.dst),
        evidence: evidence_json(c, h.evidence),
    }
}

#[derive(Serialize)]
struct Report {
    as_of: String,
    patch_age_days: u32,
    logins: u64,
    findings: Vec<FindingJson>,
}

#[derive(Serialize)]
struct SightingJson {
    time: String,
    evidence: EvidenceJson,
}

#[derive(Serialize)]
struct FindingJson {
    host: String,
    kind: &'static str,
    severity: &'static str,
    detail: String,
    count: u64,
    first: Option<SightingJson>,
    last: Option<SightingJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    path: Vec<HopJson>,
}

fn sighting(c: &Catalog, s: Option<Sighting>) -> Option<SightingJson> {
    s.map(|s| SightingJson { time: s.time.to_rfc3339(), evidence: evidence_json(c, s.evidence) })
}

fn finding_json(c: &Catalog, f: &Finding) -> FindingJson {
    FindingJson {
        host: host_name(c, f.host),
        kind: f.kind.as_str(),
        severity: f.severity.as_str(),
        detail: f.detail.clone(),
        count: f.count,
        first: sighting(c, f.first),
        last: sighting(c, f.last),
        target: (f.target != 0).then(|| host_name(c, f.target)),
        path: f.path.iter().map(|h| hop_json(c, h)).collect(),
    }
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let (hops, end) = load_logins(&case, a.as_of.unwrap_or(Time::MAX))?;
    let as_of = a.as_of.unwrap_or(end);
    let fleet = Fleet::new(&case.catalog, &case.inventory);
    let config = AuditConfig { as_of, patch_age: a.patch_age as i64 * DAY, ..AuditConfig::default() };
    let result = audit(&hops, &case.catalog, &fleet, &config);
    let c = &case.catalog;
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    if a.json {
        let report = Report {
            as_of: as_of.to_rfc3339(),
            patch_age_days: a.patch_age,
            logins: result.logins,
            findings: result.findings.iter().map(|f| finding_json(c, f)).collect(),
        };
        serde_json::to_writer_pretty(&mut w, &report)?;
        writeln!(w)?;
    } else {
        for f in &result.findings {
            writeln!(w, "{:<8} {:<14} {}", f.severity.as_str(), host_name(c, f.host), f.kind.as_str())?;
            writeln!(w, "         {}", f.detail)?;
            if let (Some(first), Some(last)) = (f.first, f.last) {
                writeln!(
                    w,
                    "         evidence: first {} {}, last {} {}",
                    short_time(first.time),
                    evidence_str(c, first.evidence),
                    short_time(last.time),
                    evidence_str(c, last.evidence)
                )?;
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
    }
    w.flush()?;
    Ok(())
}
