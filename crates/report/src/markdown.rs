//! `report.md`: the story for a ticket or an e-mail — summary, hop table, trace, scope
//! (clients as counts when redacted), audit findings, evidence, the other alerts.

use std::collections::BTreeMap;

use crate::document::Document;
use crate::view::{short_rfc3339, AlertHopView, EvidenceRef, LoginView, ScopeView};

/// Rows of a long table shown before pointing to `report.json` for the rest.
const MAX_ROWS: usize = 100;

pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    let o = &mut out;
    let title = match &doc.summary.alert_id {
        Some(id) => match doc.alert.as_ref().and_then(|a| a.thread) {
            Some(n) => format!("# hopscope report: alert {id}, thread {n}"),
            None => format!("# hopscope report: alert {id}"),
        },
        None => "# hopscope report: no alert".to_string(),
    };
    line(o, &title);
    line(o, "");
    let c = &doc.case;
    line(
        o,
        &format!(
            "Case: {} events from {} to {} in {} source{}, {} hosts, {} accounts, {} unreadable input line{}.{}",
            c.events,
            c.first_time.as_deref().map(utc).unwrap_or_else(|| "-".into()),
            c.last_time.as_deref().map(utc).unwrap_or_else(|| "-".into()),
            c.sources.len(),
            plural(c.sources.len()),
            c.hosts,
            c.accounts,
            c.problems,
            plural(c.problems as usize),
            if doc.redacted { " **Redacted**: client organisations are pseudonymised, restricted ones never named." } else { "" }
        ),
    );
    line(o, "");
    summary(o, doc);
    if let Some(a) = &doc.alert {
        line(o, &format!("## Hops of alert {}", a.id));
        line(o, "");
        line(
            o,
            &format!(
                "Score {:.1} bits, raised {}. Evidence is `file:line` or `file#record`.",
                a.score,
                utc(&a.raised_at)
            ),
        );
        line(o, "");
        hop_table(o, &a.hops);
        if a.hops_omitted > 0 {
            line(
                o,
                &format!(
                    "{} more hops omitted by detection (the alert keeps its first ones).",
                    a.hops_omitted
                ),
            );
            line(o, "");
        }
        if !a.reasons.is_empty() {
            line(o, "Why, hop by hop:");
            line(o, "");
            for (i, r) in a.reasons.iter().enumerate() {
                line(o, &format!("{}. {}", i + 1, r));
            }
            line(o, "");
        }
    }
    if let Some(t) = &doc.trace {
        line(o, &format!("## Trace back from {} at {}", t.host, utc(&t.at)));
        line(o, "");
        match &t.entry_point {
            Some(e) => {
                line(o, &format!("Entry point **{}**: {}.", e.host, e.why.join("; ")));
                if let Some(entry) =
                    doc.summary.entry_host.as_deref().filter(|h| !h.eq_ignore_ascii_case(&e.host))
                {
                    line(o, "");
                    line(
                        o,
                        &format!(
                            "The trace ranks every login into {} by its detection scores and names another entry than the alert's own hops ({entry}); the summary follows the alert.",
                            t.host
                        ),
                    );
                }
                line(o, "");
                for (i, h) in t.path.iter().enumerate() {
                    line(
                        o,
                        &format!(
                            "{}. {} — {:.1} bits: {}",
                            i + 1,
                            login(&h.hop),
                            h.score,
                            h.reasons.join(", ")
                        ),
                    );
                }
                line(o, "");
                if !t.alternatives.is_empty() {
                    let alts: Vec<String> = t
                        .alternatives
                        .iter()
                        .map(|p| format!("{} ({:.1} bits)", p.entry_point.host, p.score))
                        .collect();
                    line(o, &format!("Other possible entry points: {}.", alts.join(", ")));
                    line(o, "");
                }
            }
            None => {
                line(
                    o,
                    &format!(
                        "No suspicious login reached {} before then ({} logins looked at).",
                        t.host, t.logins
                    ),
                );
                line(o, "");
            }
        }
    }
    if let Some(s) = &doc.scope {
        scope(o, s);
    }
    audit(o, doc);
    evidence(o, doc);
    other_alerts(o, doc);
    out
}

fn line(o: &mut String, s: &str) {
    o.push_str(s);
    o.push('\n');
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn utc(s: &str) -> String {
    format!("{} UTC", short_rfc3339(s))
}

/// A table cell: no line breaks, no column separators.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn row(o: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    line(o, &format!("| {} |", cells.join(" | ")));
}

fn header(o: &mut String, names: &[&str]) {
    line(o, &format!("| {} |", names.join(" | ")));
    line(o, &format!("|{}", "---|".repeat(names.len())));
}

fn opt(s: &Option<String>) -> &str {
    s.as_deref().unwrap_or("?")
}

/// `2019-09-05 12:04:05 UTC sg-ops-03 → th-app-02 as opsadmin (password network), events.jsonl:61`.
fn login(h: &LoginView) -> String {
    format!(
        "{} {} → {} as {} ({} {}), `{}`",
        utc(&h.time),
        h.src_host,
        h.dst_host,
        opt(&h.user),
        opt(&h.auth),
        h.logon_type,
        h.evidence
    )
}

fn summary(o: &mut String, doc: &Document) {
    let s = &doc.summary;
    line(o, "## Summary");
    line(o, "");
    line(o, &s.text);
    line(o, "");
    if s.alert_id.is_none() {
        return;
    }
    header(o, &["question", "answer"]);
    let entry = match &s.entry_host {
        Some(h) if s.entry_why.is_empty() => h.clone(),
        Some(h) => format!("{h}: {}", s.entry_why.join("; ")),
        None => "?".into(),
    };
    let days = |d: Option<f64>| d.map(|d| format!("{d:.1} days")).unwrap_or_else(|| "?".into());
    row(o, &["Where did it start?".into(), entry]);
    row(
        o,
        &[
            "Which path?".into(),
            format!("{} hop{}: {}", s.hop_count, plural(s.hop_count), s.countries.join(" → ")),
        ],
    );
    row(
        o,
        &[
            "First malicious login".into(),
            s.first_malicious_time.as_deref().map(utc).unwrap_or_else(|| "?".into()),
        ],
    );
    row(
        o,
        &[
            "Alert raised".into(),
            format!(
                "{} ({} after the first malicious login)",
                s.raised_at.as_deref().map(utc).unwrap_or_else(|| "?".into()),
                days(s.dwell_days)
            ),
        ],
    );
    row(
        o,
        &[
            "Contained".into(),
            format!(
                "{} ({} after the first malicious login)",
                s.contained_at.as_deref().map(utc).unwrap_or_else(|| "?".into()),
                days(s.exposure_days)
            ),
        ],
    );
    row(
        o,
        &[
            "Clients exposed".into(),
            format!("{} ({} restricted)", s.client_count, s.restricted_client_count),
        ],
    );
    line(o, "");
}

fn hop_table(o: &mut String, hops: &[AlertHopView]) {
    header(
        o,
        &[
            "#",
            "time (UTC)",
            "from → to",
            "countries",
            "account",
            "protocol",
            "techniques",
            "bits",
            "evidence",
        ],
    );
    for (i, h) in hops.iter().enumerate() {
        let countries = format!(
            "{} → {}",
            h.src_country.as_deref().unwrap_or("-"),
            h.dst_country.as_deref().unwrap_or("-")
        );
        let evidence = match h.evidence.as_slice() {
            [] => "-".to_string(),
            [one] => one.to_string(),
            [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
        };
        row(
            o,
            &[
                (i + 1).to_string(),
                short_rfc3339(&h.time),
                format!("{} → {}", opt(&h.src_host), opt(&h.dst_host)),
                countries,
                opt(&h.user).to_string(),
                format!("{} {}", opt(&h.auth), h.logon_type),
                h.techniques.join(", "),
                format!("{:.1}", h.score),
                evidence,
            ],
        );
    }
    line(o, "");
}

fn scope(o: &mut String, s: &ScopeView) {
    let (hosts, observed) = s.fleet_host_counts();
    line(o, "## Scope");
    line(o, "");
    line(
        o,
        &format!(
            "From {} until containment at {} (accounts stay exposed {} days after their last use on a compromised host): {} hosts ({} observed), {} accounts, {} client organisations ({} restricted), {} records.",
            s.seed,
            utc(&s.contained_at),
            s.exposure_window_days,
            hosts,
            observed,
            s.account_count,
            s.client_count,
            s.restricted_client_count,
            s.records
        ),
    );
    line(o, "");
    line(o, "### Hosts");
    line(o, "");
    header(o, &["host", "country", "tier", "compromised at (UTC)", "exposed days", "how"]);
    for h in s.fleet_hosts().take(MAX_ROWS) {
        let how = match &h.via {
            Some(v) => format!(
                "{} from {} as {} (`{}`)",
                h.via_reason,
                v.src_host,
                opt(&v.user),
                v.evidence
            ),
            None => h.via_reason.clone(),
        };
        row(
            o,
            &[
                h.host.clone(),
                opt(&h.country).to_string(),
                h.tier.clone(),
                short_rfc3339(&h.compromised_at),
                format!("{:.1}", h.exposure_days),
                how,
            ],
        );
    }
    more(o, hosts);
    line(o, "### Accounts");
    line(o, "");
    header(
        o,
        &["account", "exposed on", "from (UTC)", "until (UTC)", "logins it spread", "evidence"],
    );
    for a in s.accounts.iter().take(MAX_ROWS) {
        row(
            o,
            &[
                a.account.clone(),
                a.exposed_on.clone(),
                short_rfc3339(&a.exposed_at),
                short_rfc3339(&a.exposed_until),
                a.spread.to_string(),
                a.evidence.to_string(),
            ],
        );
    }
    more(o, s.accounts.len());
    line(o, "### Client organisations");
    line(o, "");
    if s.redacted {
        client_counts(o, s);
    } else {
        header(
            o,
            &[
                "client",
                "restricted",
                "tier",
                "data classes",
                "records",
                "hosts",
                "exposed from (UTC)",
            ],
        );
        for c in s.clients.iter().take(MAX_ROWS) {
            row(
                o,
                &[
                    c.client.clone(),
                    if c.restricted { "yes" } else { "no" }.to_string(),
                    c.tier.clone(),
                    c.data_classes.join(", "),
                    c.records.to_string(),
                    c.hosts.join(", "),
                    short_rfc3339(&c.earliest_exposure),
                ],
            );
        }
        more(o, s.clients.len());
    }
}

fn more(o: &mut String, n: usize) {
    if n > MAX_ROWS {
        line(o, &format!("… and {} more in report.json.", n - MAX_ROWS));
    } else if n == 0 {
        line(o, "(none)");
    }
    line(o, "");
}

/// The disclosure view: how many clients, by tier and by data class; no names.
fn client_counts(o: &mut String, s: &ScopeView) {
    line(
        o,
        &format!(
            "{} client organisations exposed, {} of them restricted (names withheld).",
            s.client_count, s.restricted_client_count
        ),
    );
    line(o, "");
    // a client holding several classes counts once in each (records are per client, not per
    // class, so they are not split here; the scope paragraph has the total)
    let mut by: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for c in &s.clients {
        for class in &c.data_classes {
            let e = by.entry((c.tier.as_str(), class.as_str())).or_default();
            e.0 += 1;
            e.1 += usize::from(c.restricted);
        }
    }
    header(o, &["tier", "data class", "clients", "restricted"]);
    for ((tier, class), (n, r)) in by {
        row(o, &[tier.to_string(), class.to_string(), n.to_string(), r.to_string()]);
    }
    line(o, "");
}

fn audit(o: &mut String, doc: &Document) {
    let a = &doc.audit;
    line(o, "## Audit findings");
    line(o, "");
    line(
        o,
        &format!(
            "As of {}, patches older than {} days stale, {} logins looked at.",
            utc(&a.as_of),
            a.patch_age_days,
            a.logins
        ),
    );
    line(o, "");
    header(o, &["severity", "host", "finding", "detail", "first evidence", "last evidence"]);
    for f in a.findings.iter().take(MAX_ROWS) {
        let seen = |s: &Option<crate::view::SightingView>| {
            s.as_ref()
                .map(|s| format!("{} `{}`", short_rfc3339(&s.time), s.evidence))
                .unwrap_or_else(|| "-".into())
        };
        row(
            o,
            &[
                f.severity.clone(),
                f.host.clone(),
                f.kind.clone(),
                f.detail.clone(),
                seen(&f.first),
                seen(&f.last),
            ],
        );
    }
    more(o, a.findings.len());
}

/// Every log line the report rests on, per hop.
fn evidence(o: &mut String, doc: &Document) {
    let mut items: Vec<(String, Vec<&EvidenceRef>)> = Vec::new();
    if let Some(a) = &doc.alert {
        for h in &a.hops {
            items.push((
                format!("alert hop {} {} → {}", utc(&h.time), opt(&h.src_host), opt(&h.dst_host)),
                h.evidence.iter().collect(),
            ));
        }
    }
    if let Some(t) = &doc.trace {
        // a traced login the alert already cites is listed once
        let cited: std::collections::BTreeSet<&EvidenceRef> =
            items.iter().flat_map(|(_, refs)| refs.iter().copied()).collect();
        for h in t.path.iter().filter(|h| !cited.contains(&h.hop.evidence)) {
            items.push((
                format!(
                    "traced login {} {} → {}",
                    utc(&h.hop.time),
                    h.hop.src_host,
                    h.hop.dst_host
                ),
                vec![&h.hop.evidence],
            ));
        }
    }
    if items.is_empty() {
        return;
    }
    line(o, "## Evidence");
    line(o, "");
    for (what, refs) in items {
        let refs: Vec<String> = refs.iter().map(|e| format!("`{e}`")).collect();
        line(o, &format!("- {what}: {}", refs.join(", ")));
    }
    line(o, "");
}

fn other_alerts(o: &mut String, doc: &Document) {
    let selected = doc.alert.as_ref().map(|a| a.id.as_str());
    let others: Vec<_> = doc.alerts.iter().filter(|a| Some(a.id.as_str()) != selected).collect();
    if others.is_empty() {
        return;
    }
    line(o, "## Other alerts");
    line(o, "");
    header(o, &["alert", "score", "raised (UTC)", "entry", "hops"]);
    for a in others.iter().take(MAX_ROWS) {
        row(
            o,
            &[
                a.id.clone(),
                format!("{:.1}", a.score),
                short_rfc3339(&a.raised_at),
                a.entry_host.clone(),
                a.hops.len().to_string(),
            ],
        );
    }
    more(o, others.len());
}
