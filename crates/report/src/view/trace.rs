//! `hopscope trace --json`: the entry point, the most likely path and the alternatives.

use hopscope_engine::{Trace, TracePath};
use hopscope_model::{Catalog, Time};
use serde::{Deserialize, Serialize};

use super::{account_name, host_name, round2, EvidenceRef, LoginView};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TraceView {
    pub host: String,
    pub at: String,
    pub logins: u64,
    pub entry_point: Option<EntryPointView>,
    pub first_malicious_time: Option<String>,
    /// The alert whose thread the path is; absent for a path of the rarity walk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    pub path: Vec<TraceHopView>,
    pub alternatives: Vec<TracePathView>,
    /// What the logs cannot show about the hosts the path crosses, from its first hop to the
    /// trace's time: their tampering events and the silences of their logs
    /// (docs/coverage.md). Absent when there is nothing to say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_notes: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EntryPointView {
    pub host: String,
    pub why: Vec<String>,
    /// The other candidates the logs leave open, likeliest first; absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_entries: Vec<String>,
}

/// A login of a path, with its bits of rarity and why.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TraceHopView {
    #[serde(flatten)]
    pub hop: LoginView,
    pub score: f64,
    pub reasons: Vec<String>,
    /// The credential switch on the hop's source the hop continued, logged before it; absent
    /// when the hop used the account that reached its source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_switch: Option<SwitchView>,
}

/// "opsadmin became root on sg-ops-03 with sudo", with the line that says so.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SwitchView {
    pub host: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `sudo`, `su`, `pkexec`, `runuser`, `explicit-credentials` (4648), `new-credentials`
    /// (4624 type 9).
    pub method: String,
    /// The sentence: `opsadmin became root on sg-ops-03 with sudo`.
    pub text: String,
    pub evidence: EvidenceRef,
}

impl SwitchView {
    pub fn new(c: &Catalog, s: &hopscope_engine::SwitchStep) -> SwitchView {
        use hopscope_model::SwitchKind;
        let label = c.auths.name(s.method);
        let (from, to) = (account_name(c, s.from), account_name(c, s.to));
        let text = format!(
            "{} became {} on {} {}",
            from.as_deref().unwrap_or("an unknown account"),
            to.as_deref().unwrap_or("an unknown account"),
            host_name(c, s.host),
            hopscope_engine::explain::switch_method(s.kind, label)
        );
        SwitchView {
            host: host_name(c, s.host),
            from,
            to,
            method: match s.kind {
                SwitchKind::Program => label.unwrap_or("?").to_string(),
                k => k.as_str().to_string(),
            },
            text,
            evidence: EvidenceRef::new(c, s.evidence),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TracePathView {
    pub entry_point: EntryPointView,
    pub score: f64,
    pub first_malicious_time: String,
    /// As [`TraceView::alert`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert: Option<String>,
    /// The path stops where the thread of its hop into the host began, though the alert
    /// reaches further back ([`hopscope_engine::TracePath::thread_only`]): a second intruder's
    /// reading. Present only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thread_only: bool,
    pub path: Vec<TraceHopView>,
}

fn hops(c: &Catalog, p: &TracePath) -> Vec<TraceHopView> {
    p.hops
        .iter()
        .map(|h| TraceHopView {
            hop: LoginView::new(c, &h.hop),
            score: round2(h.score),
            reasons: h.reasons.iter().map(|r| r.to_string()).collect(),
            after_switch: h.switch.as_ref().map(|s| SwitchView::new(c, s)),
        })
        .collect()
}

fn entry(c: &Catalog, p: &TracePath) -> EntryPointView {
    EntryPointView {
        host: host_name(c, p.entry_host),
        why: p.entry_reasons.clone(),
        other_entries: p.other_entries.iter().map(|&h| host_name(c, h)).collect(),
    }
}

/// When the path's first login happened (`None` for an empty path).
fn first_time(p: &TracePath) -> Option<String> {
    p.hops.first().map(|h| h.hop.time.to_rfc3339())
}

impl TraceView {
    /// The trace `t` from `host` at `at`.
    pub fn new(t: &Trace, c: &Catalog, host: u32, at: Time) -> TraceView {
        let best = t.paths.first();
        TraceView {
            host: host_name(c, host),
            at: at.to_rfc3339(),
            logins: t.logins,
            entry_point: best.map(|p| entry(c, p)),
            first_malicious_time: best.and_then(first_time),
            alert: best.and_then(|p| p.alert.clone()),
            path: best.map(|p| hops(c, p)).unwrap_or_default(),
            alternatives: t
                .paths
                .iter()
                .skip(1)
                .map(|p| TracePathView {
                    entry_point: entry(c, p),
                    score: round2(p.score),
                    first_malicious_time: first_time(p).unwrap_or_default(),
                    alert: p.alert.clone(),
                    thread_only: p.thread_only,
                    path: hops(c, p),
                })
                .collect(),
            log_notes: Vec::new(),
        }
    }

    /// With the notes on what the logs cannot show about the hosts of the most likely path,
    /// each from when the path reached it to the trace's time.
    pub fn with_log_notes(
        mut self,
        t: &Trace,
        cov: &hopscope_engine::coverage::Coverage,
        c: &Catalog,
        inventory: &hopscope_model::Inventory,
        at: Time,
    ) -> TraceView {
        if let Some(p) = t.paths.first() {
            let first = p.hops.first().map_or(at, |h| h.hop.time);
            let mut hosts = vec![(p.entry_host, first)];
            for h in &p.hops {
                hosts.push((h.hop.src, h.hop.time));
                hosts.push((h.hop.dst, h.hop.time));
            }
            self.log_notes = super::path_notes(cov, c, inventory, &hosts, at);
        }
        self
    }
}
