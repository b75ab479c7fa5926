//! `hopscope case coverage --json`, trace's notes on what the logs cannot show, and the
//! report's section of the same name: views of [`hopscope_engine::coverage`].

use hopscope_engine::coverage::{blind_phrase, Blind, Coverage, Gap, Stream};
use hopscope_model::{Catalog, Inventory, TamperKind, Tampering, Time};
use serde::{Deserialize, Serialize};

use super::{account_name, host_name, short_time, EvidenceRef};

/// A tampering event or a silence of a host's logs, with the sentence that says it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TamperingView {
    pub time: String,
    pub host: String,
    /// `security-log-cleared`, `system-log-cleared`, `audit-policy-changed`,
    /// `event-log-service-stopped`, `log-stopped`, `clock-jumped-back`.
    pub kind: String,
    /// Who did it, when the event names someone.
    pub user: Option<String>,
    /// A silence: when the logs resume (absent: not within the case). A clock jump: the time
    /// the line above it had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    pub text: String,
    pub evidence: EvidenceRef,
}

/// The day of a time: `2019-10-02`.
pub fn day(t: Time) -> String {
    let s = t.to_rfc3339();
    s.get(..10).unwrap_or(&s).to_string()
}

impl TamperingView {
    pub fn new(c: &Catalog, t: &Tampering) -> TamperingView {
        let host = host_name(c, t.host);
        let user = account_name(c, t.user);
        let text = match t.kind {
            TamperKind::LogStopped => match t.until {
                Some(until) => {
                    format!("{host}'s logs stop on {} and resume on {}", day(t.time), day(until))
                }
                None => format!("{host}'s logs stop on {}", day(t.time)),
            },
            TamperKind::ClockJumpedBack => format!(
                "{host}'s log clock jumped back at {} (the line above reads {})",
                short_time(t.time),
                t.until.map(short_time).unwrap_or_default()
            ),
            k => {
                let by = user.as_deref().map(|u| format!(" by {u}")).unwrap_or_default();
                format!("{host}'s {} at {}{by}", k.phrase(), short_time(t.time))
            }
        };
        TamperingView {
            time: t.time.to_rfc3339(),
            host,
            kind: t.kind.as_str().to_string(),
            user,
            until: t.until.map(|u| u.to_rfc3339()),
            text,
            evidence: EvidenceRef::new(c, t.evidence),
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct PeriodView {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct GapView {
    /// The last event before the silence (the case's first event when the logs begin late).
    pub from: String,
    /// The first event after it; absent when the logs do not resume within the case.
    pub to: Option<String>,
    /// The last line or record before the silence.
    pub evidence: Option<EvidenceRef>,
}

/// One stream of a host's logs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct StreamView {
    pub events: u64,
    pub first: String,
    pub last: String,
    /// The usual longest silence of a week (absent: less than two whole weeks of logs).
    pub rhythm: Option<String>,
    /// A silence longer than this is a gap.
    pub gap_after: String,
    pub periods: Vec<PeriodView>,
    pub gaps: Vec<GapView>,
}

impl StreamView {
    fn new(c: &Catalog, s: &Stream) -> StreamView {
        StreamView {
            events: s.events,
            first: s.first.to_rfc3339(),
            last: s.last.to_rfc3339(),
            rhythm: s.rhythm.map(round_duration),
            gap_after: round_duration(s.allowed),
            periods: s
                .periods()
                .into_iter()
                .map(|(a, b)| PeriodView { from: a.to_rfc3339(), to: b.to_rfc3339() })
                .collect(),
            gaps: s
                .gaps
                .iter()
                .map(|g| GapView {
                    from: g.from.to_rfc3339(),
                    to: g.to.map(|t| t.to_rfc3339()),
                    evidence: g.evidence.map(|e| EvidenceRef::new(c, e)),
                })
                .collect(),
        }
    }
}

/// A duration in its two largest units, to the minute: `2d 15h`, `3h 20m`, `45m`.
pub fn round_duration(us: i64) -> String {
    const MINUTE: i64 = 60_000_000;
    let minutes = (us.max(0) + MINUTE / 2) / MINUTE;
    let (d, h, m) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FormatStreamView {
    pub format: String,
    #[serde(flatten)]
    pub stream: StreamView,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HostCoverageView {
    pub host: String,
    /// All its logs together: logins into the host in its gaps would not be seen.
    #[serde(flatten)]
    pub all: StreamView,
    pub by_format: Vec<FormatStreamView>,
}

/// `hopscope case coverage --json`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CoverageView {
    pub first: Option<String>,
    pub last: Option<String>,
    /// Hosts with logs, by name.
    pub hosts: Vec<HostCoverageView>,
    /// Hosts of the inventory the case holds no logs of, by name.
    pub hosts_without_logs: Vec<String>,
    /// Tampering events and silences, in time order.
    pub tampering: Vec<TamperingView>,
}

impl CoverageView {
    pub fn new(cov: &Coverage, c: &Catalog, inventory: &Inventory) -> CoverageView {
        let mut hosts: Vec<HostCoverageView> = cov
            .hosts
            .iter()
            .map(|h| HostCoverageView {
                host: host_name(c, h.host),
                all: StreamView::new(c, &h.all),
                by_format: h
                    .by_format
                    .iter()
                    .map(|(f, s)| FormatStreamView {
                        format: f.as_str().to_string(),
                        stream: StreamView::new(c, s),
                    })
                    .collect(),
            })
            .collect();
        hosts.sort_by(|a, b| a.host.cmp(&b.host));
        CoverageView {
            first: cov.first.map(|t| t.to_rfc3339()),
            last: cov.last.map(|t| t.to_rfc3339()),
            hosts,
            hosts_without_logs: hosts_without_logs(cov, c, inventory),
            tampering: cov.tampering.iter().map(|t| TamperingView::new(c, t)).collect(),
        }
    }
}

/// The inventory's hosts whose logs the case does not hold, by name.
pub fn hosts_without_logs(cov: &Coverage, c: &Catalog, inventory: &Inventory) -> Vec<String> {
    let mut out: Vec<String> = inventory
        .hosts
        .iter()
        .filter(|h| c.hosts.find(&h.name).is_none_or(|id| cov.host(id).is_none()))
        .map(|h| h.name.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What the logs cannot show about the hosts a path crosses: `hosts` are (host, when the path
/// reached it), in path order; for each, from then to `to`, the tampering it logged and the
/// silences of its logs, as sentences ([`blind_sentence`]). A host the case holds no logs of is named only when the
/// inventory lists it (an address on the internet keeps no logs for anyone).
pub fn path_notes(
    cov: &Coverage,
    c: &Catalog,
    inventory: &Inventory,
    hosts: &[(u32, Time)],
    to: Time,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for &(h, from) in hosts {
        if h == 0 || !seen.insert(h) {
            continue;
        }
        let name = host_name(c, h);
        for t in cov.tampering_of(h, from, to) {
            if t.kind != TamperKind::LogStopped {
                out.push(TamperingView::new(c, t).text);
            }
        }
        for b in cov.blind_within(h, from, to) {
            if b == Blind::NoLogs && inventory.host_by_name(&name).is_none() {
                continue;
            }
            out.push(blind_sentence(&name, &b));
        }
    }
    out
}

/// `th-app-02's logs stop on 2019-10-02: logins into it after that would not be seen, hops out
/// of it only where the hosts they reach log them`. A host's own logs record the logins into it
/// (and, for Windows, the credentials it used elsewhere: 4648); a hop out of it is still in the
/// log of the host it reaches, when that host's logs are there.
pub fn blind_sentence(name: &str, b: &Blind) -> String {
    let what = blind_phrase(b, day);
    let when = match b {
        Blind::NoLogs => "",
        Blind::Gap(Gap { to: None, .. }) => " after that",
        Blind::Gap(_) => " then",
    };
    let consequence = format!(
        "logins into it{when} would not be seen, hops out of it only where the hosts they reach log them"
    );
    match b {
        Blind::NoLogs => format!("{name} {what}: {consequence}"),
        Blind::Gap(_) => format!("{name}'s {what}: {consequence}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_engine::coverage::Gap;

    #[test]
    fn durations_read_in_two_units() {
        const H: i64 = 3_600_000_000;
        assert_eq!(round_duration(63 * H), "2d 15h");
        assert_eq!(round_duration(24 * H), "1d");
        assert_eq!(round_duration(2 * H), "2h");
        assert_eq!(round_duration(H + H / 3), "1h 20m");
        assert_eq!(round_duration(H / 4), "15m");
    }

    #[test]
    fn blind_sentences() {
        let t = |s: &str| Time::parse(s).unwrap();
        let stop = Blind::Gap(Gap {
            from: t("2019-10-02T10:00:00Z"),
            to: None,
            evidence: Some(hopscope_model::Evidence {
                source: 1,
                position: hopscope_model::Position::Line(3),
            }),
        });
        assert_eq!(
            blind_sentence("th-app-02", &stop),
            "th-app-02's logs stop on 2019-10-02: logins into it after that would not be seen, hops out of it only where the hosts they reach log them"
        );
        let hole = Blind::Gap(Gap {
            from: t("2019-10-02T10:00:00Z"),
            to: Some(t("2019-10-09T10:00:00Z")),
            evidence: None,
        });
        assert_eq!(
            blind_sentence("a", &hole),
            "a's logs begin only on 2019-10-09: logins into it then would not be seen, hops out of it only where the hosts they reach log them"
        );
        assert_eq!(
            blind_sentence("a", &Blind::NoLogs),
            "a has no logs in the case: logins into it would not be seen, hops out of it only where the hosts they reach log them"
        );
    }
}
