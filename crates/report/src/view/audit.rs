//! `hopscope audit --json`: hygiene findings, most severe first, each with its evidence.

use hopscope_engine::{Audit, Finding, Sighting};
use hopscope_model::{Catalog, Time};
use serde::{Deserialize, Serialize};

use super::{host_name, EvidenceRef, LoginView};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AuditView {
    pub as_of: String,
    pub patch_age_days: u32,
    pub logins: u64,
    pub findings: Vec<FindingView>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SightingView {
    pub time: String,
    pub evidence: EvidenceRef,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FindingView {
    pub host: String,
    pub kind: String,
    pub severity: String,
    pub detail: String,
    pub count: u64,
    pub first: Option<SightingView>,
    pub last: Option<SightingView>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<LoginView>,
}

impl SightingView {
    fn new(c: &Catalog, s: Sighting) -> SightingView {
        SightingView { time: s.time.to_rfc3339(), evidence: EvidenceRef::new(c, s.evidence) }
    }
}

impl FindingView {
    pub fn new(c: &Catalog, f: &Finding) -> FindingView {
        FindingView {
            host: host_name(c, f.host),
            kind: f.kind.as_str().to_string(),
            severity: f.severity.as_str().to_string(),
            detail: f.detail.clone(),
            count: f.count,
            first: f.first.map(|s| SightingView::new(c, s)),
            last: f.last.map(|s| SightingView::new(c, s)),
            target: (f.target != 0).then(|| host_name(c, f.target)),
            path: f.path.iter().map(|h| LoginView::new(c, h)).collect(),
        }
    }
}

impl AuditView {
    /// The audit `a` as of `as_of` with stale patches older than `patch_age_days`.
    pub fn new(a: &Audit, c: &Catalog, as_of: Time, patch_age_days: u32) -> AuditView {
        AuditView {
            as_of: as_of.to_rfc3339(),
            patch_age_days,
            logins: a.logins,
            findings: a.findings.iter().map(|f| FindingView::new(c, f)).collect(),
        }
    }
}
