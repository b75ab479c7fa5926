//! `report.md`: the story for a ticket or an e-mail — summary, hop table, trace, scope
//! (clients as counts when redacted), audit findings, evidence, the other alerts.
//!
//! Every text taken from the case (names, reasons, paths, the summary) goes through [`md`]
//! or [`code`] so that it shows literally in any CommonMark or GitHub viewer: no HTML, no
//! link, no emphasis, no table cell or line it did not come with.

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
            Some(n) => format!("# hopscope report: alert {}, thread {n}", md(id)),
            None => format!("# hopscope report: alert {}", md(id)),
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
        line(o, &format!("## Hops of alert {}", md(&a.id)));
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
                line(o, &format!("{}. {}", i + 1, md_start(r)));
            }
            line(o, "");
        }
    }
    if let Some(t) = &doc.trace {
        line(o, &format!("## Trace back from {} at {}", md(&t.host), utc(&t.at)));
        line(o, "");
        match &t.entry_point {
            Some(e) => {
                line(o, &format!("Entry point **{}**: {}.", md(&e.host), md(&e.why.join("; "))));
                if let Some(entry) =
                    doc.summary.entry_host.as_deref().filter(|h| !h.eq_ignore_ascii_case(&e.host))
                {
                    line(o, "");
                    line(
                        o,
                        &format!(
                            "The trace ranks every login into {} by its detection scores and names another entry than the alert's own hops ({}); the summary follows the alert.",
                            md(&t.host),
                            md(entry)
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
                            md(&h.reasons.join(", "))
                        ),
                    );
                }
                line(o, "");
                if !t.alternatives.is_empty() {
                    let alts: Vec<String> = t
                        .alternatives
                        .iter()
                        .map(|p| format!("{} ({:.1} bits)", md(&p.entry_point.host), p.score))
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
                        md(&t.host),
                        t.logins
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
    blind_spots(o, doc);
    evidence(o, doc);
    other_alerts(o, doc);
    out
}

/// "What the logs cannot show": the path's blind spots, tampering and silences, hosts
/// without logs (docs/coverage.md).
fn blind_spots(o: &mut String, doc: &Document) {
    let b = &doc.blind_spots;
    if b.is_empty() {
        return;
    }
    line(o, "## What the logs cannot show");
    line(o, "");
    for n in &b.on_path {
        line(o, &format!("- {}", md(n)));
    }
    if !b.on_path.is_empty() {
        line(o, "");
    }
    if !b.tampering.is_empty() {
        header(o, &["time (UTC)", "host", "what", "evidence"]);
        for t in b.tampering.iter().take(MAX_ROWS) {
            row(
                o,
                &[
                    md(&short_rfc3339(&t.time)),
                    md(&t.host),
                    md(&t.text),
                    code(&t.evidence.to_string(), true),
                ],
            );
        }
        more(o, b.tampering.len());
    }
    if !b.hosts_without_logs.is_empty() {
        line(
            o,
            &format!(
                "Hosts of the inventory with no logs in the case ({}): {}.",
                b.hosts_without_logs.len(),
                md(&b.hosts_without_logs.join(", "))
            ),
        );
        line(o, "");
    }
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
    format!("{} UTC", md(&short_rfc3339(s)))
}

/// Text from the case as Markdown that shows it literally. Control characters become visible
/// escapes first ([`crate::escape::terminal`]: a newline cannot end a line or a table row),
/// then a backslash goes before every character that could begin markup in CommonMark or
/// GitHub Markdown: HTML and entities (`<`, `>`, `&`), links and images (`[`, `]`), code
/// (`` ` ``), emphasis and strikethrough (`*`, `~`, and `_` unless it joins two letters or
/// digits, where it cannot), table cells (`|`) and the backslash itself. Hand-written: the
/// CommonMark escape is one rule (a backslash before ASCII punctuation), only the choice of
/// characters is ours. Text that begins a line or a list item goes through [`md_start`].
pub fn md(s: &str) -> String {
    let s = crate::escape::terminal(s);
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '&' | '|' | '~' => true,
            '_' => {
                let before = i > 0 && chars[i - 1].is_alphanumeric();
                let after = chars.get(i + 1).is_some_and(|c| c.is_alphanumeric());
                !(before && after)
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// [`md`] for text that begins a line or a list item: a heading, list, quote, rule or
/// numbered-list marker at its start is escaped too.
fn md_start(s: &str) -> String {
    let t = md(s);
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    match t[digits..].chars().next() {
        Some('#' | '-' | '+' | '=' | '>' | '_') if digits == 0 => format!("\\{t}"),
        Some('.' | ')') if digits > 0 => format!("{}\\{}", &t[..digits], &t[digits..]),
        _ => t,
    }
}

/// Text from the case as a code span (an evidence reference): fenced by more backticks than
/// any run inside it, control characters made visible, and `|` escaped when `in_table` (GFM
/// splits a table row before it reads code spans).
fn code(s: &str, in_table: bool) -> String {
    let s = crate::escape::terminal(s);
    let s = if in_table { s.replace('|', "\\|") } else { s.into_owned() };
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // a space keeps a backtick at either end from joining the fence (CommonMark strips one)
    let pad = if s.starts_with('`') || s.ends_with('`') || s.starts_with(' ') { " " } else { "" };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A table row of cells already in Markdown ([`md`], [`code`]).
fn row(o: &mut String, cells: &[String]) {
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
        "{} {} → {} as {} ({} {}), {}",
        utc(&h.time),
        md(&h.src_host),
        md(&h.dst_host),
        md(opt(&h.user)),
        md(opt(&h.auth)),
        md(&h.logon_type),
        code(&h.evidence.to_string(), false)
    )
}

fn summary(o: &mut String, doc: &Document) {
    let s = &doc.summary;
    line(o, "## Summary");
    line(o, "");
    line(o, &md_start(&s.text));
    line(o, "");
    if s.alert_id.is_none() {
        return;
    }
    header(o, &["question", "answer"]);
    let entry = match &s.entry_host {
        Some(h) if s.entry_why.is_empty() => md(h),
        Some(h) => md(&format!("{h}: {}", s.entry_why.join("; "))),
        None => "?".into(),
    };
    let days = |d: Option<f64>| d.map(|d| format!("{d:.1} days")).unwrap_or_else(|| "?".into());
    row(o, &["Where did it start?".into(), entry]);
    row(
        o,
        &[
            "Which path?".into(),
            format!("{} hop{}: {}", s.hop_count, plural(s.hop_count), md(&s.countries.join(" → "))),
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
            [one] => md(&one.to_string()),
            [first, rest @ ..] => format!("{} (+{} more)", md(&first.to_string()), rest.len()),
        };
        row(
            o,
            &[
                (i + 1).to_string(),
                md(&short_rfc3339(&h.time)),
                md(&format!("{} → {}", opt(&h.src_host), opt(&h.dst_host))),
                md(&countries),
                md(opt(&h.user)),
                md(&format!("{} {}", opt(&h.auth), h.logon_type)),
                md(&h.techniques.join(", ")),
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
            md(&s.seed),
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
                "{} ({})",
                md(&format!("{} from {} as {}", h.via_reason, v.src_host, opt(&v.user))),
                code(&v.evidence.to_string(), true)
            ),
            None => md(&h.via_reason),
        };
        row(
            o,
            &[
                md(&h.host),
                md(opt(&h.country)),
                md(&h.tier),
                md(&short_rfc3339(&h.compromised_at)),
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
                md(&a.account),
                md(&a.exposed_on),
                md(&short_rfc3339(&a.exposed_at)),
                md(&short_rfc3339(&a.exposed_until)),
                a.spread.to_string(),
                md(&a.evidence.to_string()),
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
                    md(&c.client),
                    if c.restricted { "yes" } else { "no" }.to_string(),
                    md(&c.tier),
                    md(&c.data_classes.join(", ")),
                    c.records.to_string(),
                    md(&c.hosts.join(", ")),
                    md(&short_rfc3339(&c.earliest_exposure)),
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
        row(o, &[md(tier), md(class), n.to_string(), r.to_string()]);
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
                .map(|s| {
                    format!(
                        "{} {}",
                        md(&short_rfc3339(&s.time)),
                        code(&s.evidence.to_string(), true)
                    )
                })
                .unwrap_or_else(|| "-".into())
        };
        row(
            o,
            &[
                md(&f.severity),
                md(&f.host),
                md(&f.kind),
                md(&f.detail),
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
                format!(
                    "alert hop {} {}",
                    utc(&h.time),
                    md(&format!("{} → {}", opt(&h.src_host), opt(&h.dst_host)))
                ),
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
                    "traced login {} {}",
                    utc(&h.hop.time),
                    md(&format!("{} → {}", h.hop.src_host, h.hop.dst_host))
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
        let refs: Vec<String> = refs.iter().map(|e| code(&e.to_string(), false)).collect();
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
                md(&a.id),
                format!("{:.1}", a.score),
                md(&short_rfc3339(&a.raised_at)),
                md(&a.entry_host),
                a.hops.len().to_string(),
            ],
        );
    }
    more(o, others.len());
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_beginning_a_line_starts_no_block() {
        for (s, want) in [
            ("# h", "\\# h"),
            ("- x", "\\- x"),
            ("> q", "\\> q"),
            ("12. x", "12\\. x"),
            ("3) x", "3\\) x"),
            ("2019-09-05", "2019-09-05"),
            ("a - b", "a - b"),
        ] {
            assert_eq!(super::md_start(s), want);
        }
        assert_eq!(super::md("- → Japan"), "- → Japan", "a cell is no block");
    }
}
