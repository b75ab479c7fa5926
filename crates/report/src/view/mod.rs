//! JSON views of engine results: the one place where ids become names and times become
//! RFC 3339 strings. `hopscope detect/trace/scope/audit --json` print these views, and the
//! report document embeds the very same objects, so a field means the same everywhere
//! (docs/json.md, docs/investigation.md).
//!
//! Views are plain data: they serialise in field order (the order is part of the promise)
//! and deserialise back, so a written report can be read again.

mod audit;
mod coverage;
mod detect;
mod scope;
mod trace;

pub use audit::{AuditView, FindingView, SightingView};
pub use coverage::{
    blind_sentence, day, hosts_without_logs, path_notes, CoverageView, FormatStreamView, GapView,
    HostCoverageView, PeriodView, StreamView, TamperingView,
};
pub use detect::{
    note_tampering, AlertHopView, AlertView, ArrivalView, DetectSettings, DetectStatsView,
    DetectionView, EarlierThreadView, FeatureView, ThreadView,
};
pub use scope::{
    check_containment, AccountExposureView, ClientExposureView, HostExposureView, ScopeView,
};
pub use trace::{EntryPointView, SwitchView, TraceHopView, TracePathView, TraceView};

use hopscope_engine::{Hop, DAY, HOUR, SECOND};
use hopscope_model::{Catalog, Evidence, Position, Time};
use serde::{Deserialize, Serialize};

/// Where a finding comes from: a line of a text file or a record of a binary one.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[serde(untagged)]
pub enum EvidenceRef {
    Line { file: String, line: u64 },
    Record { file: String, record: u64 },
}

impl EvidenceRef {
    pub fn new(c: &Catalog, e: Evidence) -> EvidenceRef {
        let file = c.sources.name(e.source).unwrap_or("?").to_string();
        match e.position {
            Position::Line(line) => EvidenceRef::Line { file, line },
            Position::Record(record) => EvidenceRef::Record { file, record },
        }
    }

    pub fn file(&self) -> &str {
        match self {
            EvidenceRef::Line { file, .. } | EvidenceRef::Record { file, .. } => file,
        }
    }
}

/// `file:line` or `file#record`.
impl std::fmt::Display for EvidenceRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvidenceRef::Line { file, line } => write!(f, "{file}:{line}"),
            EvidenceRef::Record { file, record } => write!(f, "{file}#{record}"),
        }
    }
}

/// A successful login as the investigation commands (trace, scope, audit) show it: the
/// names `export` uses, one evidence reference.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct LoginView {
    pub time: String,
    pub src_host: String,
    pub dst_host: String,
    pub user: Option<String>,
    pub auth: Option<String>,
    pub logon_type: String,
    pub src_country: Option<String>,
    pub dst_country: Option<String>,
    pub evidence: EvidenceRef,
}

impl LoginView {
    pub fn new(c: &Catalog, h: &Hop) -> LoginView {
        let country = |id: u32| c.hosts.get(id).and_then(|r| r.country.clone());
        LoginView {
            time: h.time.to_rfc3339(),
            src_host: host_name(c, h.src),
            dst_host: host_name(c, h.dst),
            user: account_name(c, h.user),
            auth: c.auths.name(h.auth).map(str::to_string),
            logon_type: h.logon_type.as_str().to_string(),
            src_country: country(h.src),
            dst_country: country(h.dst),
            evidence: EvidenceRef::new(c, h.evidence),
        }
    }
}

/// A host's name, `?` for an id the catalog does not know.
pub fn host_name(c: &Catalog, id: u32) -> String {
    c.hosts.name(id).unwrap_or("?").to_string()
}

/// An account as `DOMAIN\name` (or `name`), `None` for no account.
pub fn account_name(c: &Catalog, id: u32) -> Option<String> {
    c.accounts.get(id).map(|a| a.display())
}

/// Scores to two decimals: enough to rank, stable to print.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `2019-09-12 03:04:05`.
pub fn short_time(t: Time) -> String {
    short_rfc3339(&t.to_rfc3339())
}

/// `2019-09-12T03:04:05Z` → `2019-09-12 03:04:05` (as is when it is not that long).
pub fn short_rfc3339(s: &str) -> String {
    s.get(..19).unwrap_or(s).replace('T', " ")
}

/// Microseconds as the shortest whole unit: `2w`, `1d`, `90m`; fractional seconds otherwise.
pub fn duration(us: i64) -> String {
    for (unit, n) in [("w", 7 * DAY), ("d", DAY), ("h", HOUR), ("m", 60 * SECOND), ("s", SECOND)] {
        if us != 0 && us % n == 0 {
            return format!("{}{unit}", us / n);
        }
    }
    format!("{}s", us as f64 / SECOND as f64)
}

/// `90m`, `24h`, `14d`, `2w`, `30s`, `1.5h`, `0` → microseconds (what `--window`,
/// `--warmup` and friends accept).
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: f64 =
        n.parse().map_err(|_| format!("expected a duration such as 24h or 14d, found {s:?}"))?;
    let unit = match unit {
        "s" => SECOND,
        "m" => 60 * SECOND,
        "h" => HOUR,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(format!("expected a unit s, m, h, d or w in {s:?}")),
    };
    Ok((n * unit as f64).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h"), Ok(DAY));
        assert_eq!(parse_duration("14d"), Ok(14 * DAY));
        assert_eq!(parse_duration("90m"), Ok(90 * 60 * SECOND));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
        assert_eq!(duration(DAY), "1d");
        assert_eq!(duration(120 * DAY), "120d");
        assert_eq!(duration(14 * DAY), "2w");
    }

    #[test]
    fn evidence_reads_as_written() {
        let e = EvidenceRef::Line { file: "auth.log".into(), line: 7 };
        assert_eq!(e.to_string(), "auth.log:7");
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"file":"auth.log","line":7}"#);
        assert_eq!(serde_json::from_str::<EvidenceRef>(&json).unwrap(), e);
        let r: EvidenceRef =
            serde_json::from_str(r#"{"file":"Security.evtx","record":42}"#).unwrap();
        assert_eq!(r.to_string(), "Security.evtx#42");
    }
}
