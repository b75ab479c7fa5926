//! The report document: one in-memory value built from a case, serialised as `report.json`
//! and rendered to Markdown, HTML and STIX. docs/json.md ("hopscope report") describes it
//! field by field.
//!
//! One pass over the case's events feeds detection, collects the successful logins that
//! trace, scope and audit walk, and counts the activity buckets. Everything after that pass
//! is computed from what it gathered, so the same case gives the same bytes.

use hopscope_case::Case;
use hopscope_engine::{
    audit, collect_logins, same_entry_alerts, scope, threads, trace_with_alerts, weaknesses, Alert,
    AuditConfig, DetectConfig, Detector, EntryReason, Feature, Fleet, ScopeConfig, Seed,
    TraceConfig, DAY, SECOND,
};
use hopscope_model::{Catalog, Inventory, Orientation, Outcome, Time, INTERNET};
use serde::{Deserialize, Serialize};

use crate::redact::{self, RedactionKey};
use crate::view::{
    AlertHopView, AlertView, AuditView, CoverageView, DetectionView, ScopeView, TamperingView,
    TraceView,
};
use crate::ReportError;
use hopscope_engine::coverage::CoverageBuilder;

/// `schema` of every report document.
pub const SCHEMA: &str = "hopscope-report";
/// `version` of the document layout; a change that breaks a reader bumps it.
pub const VERSION: u32 = 1;

/// Activity buckets stay below this many entries (a day bucket for long cases).
const MAX_BUCKETS: i64 = 5000;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Document {
    pub schema: String,
    pub version: u32,
    pub redacted: bool,
    pub case: CaseSummary,
    pub summary: Summary,
    /// The alert the report is about (`--alert`, else the top-ranked); `None` on a quiet case.
    pub alert: Option<AlertView>,
    /// Every alert of the detection run, ranked.
    pub alerts: Vec<AlertView>,
    pub trace: Option<TraceView>,
    pub scope: Option<ScopeView>,
    pub audit: AuditView,
    pub activity: Activity,
    /// What the logs cannot show (docs/coverage.md). Absent in reports written before it.
    #[serde(default)]
    pub blind_spots: BlindSpots,
}

/// What the logs cannot show: the blind spots of the story's path, every tampering event
/// and silence of the case, and the inventory's hosts without logs.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct BlindSpots {
    /// About the hosts the trace's path crosses (the trace's `log_notes`).
    pub on_path: Vec<String>,
    /// Tampering events and silences, in time order.
    pub tampering: Vec<TamperingView>,
    /// Hosts of the inventory the case holds no logs of, by name.
    pub hosts_without_logs: Vec<String>,
}

impl BlindSpots {
    pub fn is_empty(&self) -> bool {
        self.on_path.is_empty() && self.tampering.is_empty() && self.hosts_without_logs.is_empty()
    }
}

/// What the case holds (as `hopscope case info` says it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CaseSummary {
    pub events: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub hosts: u64,
    pub accounts: u64,
    pub sources: Vec<SourceSummary>,
    /// Input lines or records that could not be read (counted, located in `case info`).
    pub problems: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SourceSummary {
    pub file: String,
    pub format: Option<String>,
    pub events: u64,
}

/// The answers in brief: where it started, which path, how long, what was exposed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Summary {
    pub alert_id: Option<String>,
    pub entry_host: Option<String>,
    /// Why the entry host was weak (the trace's reasons, else the inventory's facts).
    pub entry_why: Vec<String>,
    pub first_malicious_time: Option<String>,
    pub raised_at: Option<String>,
    pub contained_at: Option<String>,
    /// Days from the first malicious login to the alert being raised (detection).
    pub dwell_days: Option<f64>,
    /// Days from the first malicious login to containment (how long data could leak).
    pub exposure_days: Option<f64>,
    /// Hops of the story's path (the trace's, else the alert's).
    pub hop_count: usize,
    /// Countries along that path, in order, each once per visit.
    pub countries: Vec<String>,
    /// Client organisations within reach (observed and possible tiers together).
    pub client_count: usize,
    pub restricted_client_count: usize,
    /// Of those, the ones on hosts the intruder was seen on (the observed tier).
    pub observed_client_count: usize,
    pub observed_restricted_client_count: usize,
    pub text: String,
}

/// Login volume over the case, for a timeline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Activity {
    pub bucket_seconds: u64,
    /// Start of the first bucket (`None` for an empty case).
    pub start: Option<String>,
    /// Successful authentications (not log-offs) per bucket.
    pub logins: Vec<u64>,
    /// Failed authentications per bucket.
    pub failures: Vec<u64>,
}

/// What to report on, and the settings detection and scope run with.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// An alert id; the top-ranked alert when `None`.
    pub alert: Option<String>,
    /// One of the alert's threads (from 1; [`hopscope_engine::threads`]) instead of the whole
    /// alert: the story of one intrusion of a campaign.
    pub thread: Option<usize>,
    /// Detection's settings (alert ids depend on the warmup).
    pub detect: DetectConfig,
    /// Containment: the end of the data when `None`.
    pub contained_at: Option<Time>,
    pub exposure_window_days: u32,
    pub patch_age_days: u32,
    /// The disclosure view in every part of the document.
    pub redact: bool,
}

impl Default for ReportOptions {
    fn default() -> ReportOptions {
        ReportOptions {
            alert: None,
            thread: None,
            detect: DetectConfig::default(),
            contained_at: None,
            exposure_window_days: 7,
            patch_age_days: 365,
            redact: false,
        }
    }
}

impl Document {
    /// Build the report of `case`. With `redact`, the case's redaction key is read (created on
    /// first use) and no client name is left anywhere in the document.
    pub fn build(case: &Case, opts: &ReportOptions) -> Result<Document, ReportError> {
        let cat = &case.catalog;
        let config = opts.detect.clone();
        let span = data_span(case);
        let mut activity = ActivityCounter::new(span);
        let mut detector = Detector::new(cat, &case.inventory, config.clone());
        let mut logins = Vec::new();
        let mut coverage = CoverageBuilder::new();
        let mut end = Time::MIN;
        for t in case.events(1 << 16)? {
            let t = t?;
            if let Some(&last) = t.time.last() {
                end = end.max(Time(last + 1));
            }
            detector.feed(&t);
            coverage.feed(&t, Time::MAX);
            collect_logins(&t, Time::MAX, &mut logins);
            activity.count(&t.time, &t.outcome, &t.orientation);
        }
        // an empty case ends at the epoch
        let end = if end == Time::MIN { Time(0) } else { end };
        let detection = detector.finish(cat);
        let coverage = coverage.finish();
        let fleet = Fleet::new(cat, &case.inventory).with_learned(detection.learned.clone());

        let alert = match &opts.alert {
            Some(id) => {
                Some(detection.alerts.iter().find(|a| a.id.eq_ignore_ascii_case(id)).ok_or_else(
                    || {
                        ReportError::NoAlert(format!(
                            "no alert {id} in this case (hopscope detect --case {} lists them)",
                            case.dir.display()
                        ))
                    },
                )?)
            }
            None => detection.alerts.first(),
        };
        let narrowed = match (alert, opts.thread) {
            (Some(a), Some(n)) => {
                let threads = threads(a, |h| fleet.foothold(h));
                let t = n.checked_sub(1).and_then(|i| threads.get(i)).ok_or_else(|| {
                    ReportError::NoAlert(format!(
                        "alert {} has {} thread(s); --thread takes 1 to {}",
                        a.id,
                        threads.len(),
                        threads.len()
                    ))
                })?;
                Some(a.thread(t))
            }
            _ => None,
        };
        let alert = narrowed.as_ref().or(alert);
        let key = if opts.redact { Some(RedactionKey::of_case(&case.dir)?) } else { None };
        // the end of the data, rounded up to a whole second: the last login still counts
        let contained =
            opts.contained_at.unwrap_or(Time((end.0 + SECOND - 1).div_euclid(SECOND) * SECOND));

        let trace_view = alert.map(|a| {
            let host = frontier(a);
            let tc = TraceConfig {
                host,
                at: a.last_time,
                warmup: config.warmup,
                ..TraceConfig::default()
            };
            let t = trace_with_alerts(&logins, &detection.alerts, cat, &fleet, &tc);
            TraceView::new(&t, cat, host, a.last_time).with_log_notes(
                &t,
                &coverage,
                cat,
                &case.inventory,
                a.last_time,
            )
        });
        let coverage_view = CoverageView::new(&coverage, cat, &case.inventory);
        let blind_spots = BlindSpots {
            on_path: trace_view.as_ref().map(|t| t.log_notes.clone()).unwrap_or_default(),
            tampering: coverage_view.tampering,
            hosts_without_logs: coverage_view.hosts_without_logs,
        };
        let scope_view = alert.map(|a| -> Result<ScopeView, ReportError> {
            let config = ScopeConfig {
                contained_at: contained,
                exposure_window: opts.exposure_window_days as i64 * DAY,
            };
            // as `hopscope scope --alert` does: with the alerts that began on its entry
            let joined = same_entry_alerts(a, &detection.alerts, |h| fleet.foothold(h), contained);
            let seeds = Seed::from_alerts(a, &joined);
            crate::view::check_containment(&seeds, cat, contained).map_err(ReportError::Invalid)?;
            let s = scope(&logins, &seeds, cat, &case.inventory, &config);
            let joined: Vec<String> = joined.iter().map(|b| b.id.clone()).collect();
            let seed = match joined.len() {
                0 => format!("alert {}", a.id),
                _ => format!(
                    "alert {} with {} (begun on its entry within 5 days)",
                    a.id,
                    joined.join(", ")
                ),
            };
            Ok(ScopeView {
                joined_alerts: joined,
                ..ScopeView::new(&s, cat, seed, contained, opts.exposure_window_days, key.as_ref())
            }
            .with_blind_spots(&s, &coverage, cat, &case.inventory))
        });
        let scope_view = scope_view.transpose()?;
        let as_of = end;
        let audit_result = audit(
            &logins,
            cat,
            &fleet,
            &AuditConfig {
                as_of,
                patch_age: opts.patch_age_days as i64 * DAY,
                ..AuditConfig::default()
            },
        );
        let audit_view = AuditView::new(&audit_result, cat, as_of, opts.patch_age_days);

        let mut detection_view =
            DetectionView::new(&detection, cat, &fleet, "hopper", &config, None);
        crate::view::note_tampering(&mut detection_view.alerts, &coverage, cat);
        let mut alert_view = alert.map(|a| AlertView {
            thread: narrowed.as_ref().and(opts.thread),
            ..AlertView::new(a, cat, &fleet)
        });
        if let Some(a) = alert_view.as_mut() {
            crate::view::note_tampering(std::slice::from_mut(a), &coverage, cat);
        }
        let summary = summarise(
            case,
            &fleet,
            alert_view.as_ref(),
            trace_view.as_ref(),
            scope_view.as_ref(),
            &audit_view,
        );
        let m = &case.manifest;
        let doc = Document {
            schema: SCHEMA.to_string(),
            version: VERSION,
            redacted: opts.redact,
            case: CaseSummary {
                events: m.events,
                first_time: m.first_time.clone(),
                last_time: m.last_time.clone(),
                hosts: m.hosts,
                accounts: m.accounts,
                sources: m
                    .sources
                    .iter()
                    .map(|s| SourceSummary {
                        file: s.path.clone(),
                        format: s.format.clone(),
                        events: s.events,
                    })
                    .collect(),
                problems: m.problem_total(),
            },
            summary,
            alert: alert_view,
            alerts: detection_view.alerts,
            trace: trace_view,
            scope: scope_view,
            audit: audit_view,
            activity: activity.finish(),
            blind_spots,
        };
        match key {
            Some(k) => doc.redacted_with(&case.inventory, &k),
            None => Ok(doc),
        }
    }

    /// The document through the one redaction pass ([`redact::Redactor`]) `scope --redact`
    /// uses too.
    fn redacted_with(
        self,
        inventory: &Inventory,
        key: &RedactionKey,
    ) -> Result<Document, ReportError> {
        redact::Redactor::new(inventory, key).apply(&self)
    }

    /// The hops of the story: the trace's path to the alert's furthest host when it found
    /// one from the alert's own entry, else the alert's own hops.
    pub fn story_hops(&self) -> Vec<StoryHop<'_>> {
        story_hops(self.trace.as_ref(), self.alert.as_ref())
    }
}

/// The trace, when it found a path and its entry point is the alert's entry.
fn agreeing_trace<'a>(trace: Option<&'a TraceView>, alert: &AlertView) -> Option<&'a TraceView> {
    trace.filter(|t| {
        !t.path.is_empty()
            && t.entry_point
                .as_ref()
                .is_some_and(|e| e.host.eq_ignore_ascii_case(&alert.entry_host))
    })
}

fn story_hops<'a>(trace: Option<&'a TraceView>, alert: Option<&'a AlertView>) -> Vec<StoryHop<'a>> {
    let Some(a) = alert else { return Vec::new() };
    match agreeing_trace(trace, a) {
        Some(t) => t.path.iter().map(|h| StoryHop::of_login(&h.hop)).collect(),
        None => a.hops.iter().map(StoryHop::of_alert_hop).collect(),
    }
}

/// One hop of the story, whichever view it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct StoryHop<'a> {
    pub time: &'a str,
    pub src_host: &'a str,
    pub dst_host: &'a str,
    pub user: Option<&'a str>,
    pub auth: Option<&'a str>,
    pub dst_country: Option<&'a str>,
}

impl<'a> StoryHop<'a> {
    fn of_login(h: &'a crate::view::LoginView) -> StoryHop<'a> {
        StoryHop {
            time: &h.time,
            src_host: &h.src_host,
            dst_host: &h.dst_host,
            user: h.user.as_deref(),
            auth: h.auth.as_deref(),
            dst_country: h.dst_country.as_deref(),
        }
    }
    fn of_alert_hop(h: &'a AlertHopView) -> StoryHop<'a> {
        StoryHop {
            time: &h.time,
            src_host: h.src_host.as_deref().unwrap_or("?"),
            dst_host: h.dst_host.as_deref().unwrap_or("?"),
            user: h.user.as_deref(),
            auth: h.auth.as_deref(),
            dst_country: h.dst_country.as_deref(),
        }
    }
}

/// The host the trace starts from: the last host the alert reached for the first time.
///
/// The brief said "the last hop's destination", but an alert's last hop is often a return
/// along the path (the 2019 intruder came back in through Singapore in 2020), and a trace from
/// there tells one hop. The furthest new host is where the story ends.
fn frontier(a: &Alert) -> u32 {
    let mut seen = std::collections::BTreeSet::new();
    let mut last = a.hops.last().map(|h| h.hop.dst).unwrap_or(a.entry_host);
    for h in &a.hops {
        seen.insert(h.hop.src);
        if seen.insert(h.hop.dst) {
            last = h.hop.dst;
        }
    }
    last
}

/// First and last event time of the case, from its manifest.
fn data_span(case: &Case) -> Option<(Time, Time)> {
    let m = &case.manifest;
    let first = Time::parse(m.first_time.as_deref()?).ok()?;
    let last = Time::parse(m.last_time.as_deref()?).ok()?;
    Some((first, last.max(first)))
}

/// Counts successful and failed authentications per bucket.
struct ActivityCounter {
    bucket: i64,
    start: i64,
    logins: Vec<u64>,
    failures: Vec<u64>,
}

impl ActivityCounter {
    fn new(span: Option<(Time, Time)>) -> ActivityCounter {
        let Some((first, last)) = span else {
            return ActivityCounter {
                bucket: 3600 * SECOND,
                start: 0,
                logins: Vec::new(),
                failures: Vec::new(),
            };
        };
        let length = last.0.saturating_sub(first.0);
        // hourly up to 90 days; whole days beyond, more of them when even days are too many
        let bucket = if length <= 90 * DAY {
            3600 * SECOND
        } else {
            DAY * (1 + length / DAY / MAX_BUCKETS).max(1)
        };
        let start = first.0.div_euclid(bucket) * bucket;
        let n = (last.0.saturating_sub(start) / bucket + 1) as usize;
        ActivityCounter { bucket, start, logins: vec![0; n], failures: vec![0; n] }
    }

    fn count(&mut self, times: &[i64], outcomes: &[u8], orientations: &[u8]) {
        for ((&t, &o), &r) in times.iter().zip(outcomes).zip(orientations) {
            let bucket = t.checked_sub(self.start).map(|d| d.div_euclid(self.bucket));
            let Some(i) =
                bucket.and_then(|b| usize::try_from(b).ok()).filter(|&i| i < self.logins.len())
            else {
                continue;
            };
            if o == Outcome::Failure as u8 {
                self.failures[i] += 1;
            } else if o == Outcome::Success as u8 && r != Orientation::LogOff as u8 {
                self.logins[i] += 1;
            }
        }
    }

    fn finish(self) -> Activity {
        Activity {
            bucket_seconds: (self.bucket / SECOND) as u64,
            start: (!self.logins.is_empty()).then(|| Time(self.start).to_rfc3339()),
            logins: self.logins,
            failures: self.failures,
        }
    }
}

/// Why the alert's entry host is its entry (as `trace` says it, `EntryReason`), then its
/// weaknesses when the intrusion began, as the audit judges them.
fn entry_reasons(
    cat: &Catalog,
    fleet: &Fleet,
    alert: &AlertView,
    patch_age_days: u32,
) -> Vec<String> {
    let first = alert.hops.first();
    let arrival =
        alert.arrived_by.as_ref().and_then(|a| Some((a, Time::parse(&a.login.time).ok()?)));
    let reason = match (alert.first_seen_on.as_deref(), arrival) {
        (Some(seen), Some((a, at))) => EntryReason::Arrival {
            first_seen: seen,
            internet_facing: cat.hosts.find(seen).is_some_and(|h| fleet.exposed_server(h)),
            passed_over: a.session_passed_over.as_deref(),
            novel: a.new_to_host,
            src: &a.login.src_host,
            account: a.login.user.as_deref().unwrap_or("?"),
            at,
            bits: a.score,
        },
        (Some(seen), _) => EntryReason::Chain { first_seen: seen },
        _ if first.is_some_and(|h| {
            h.src_host.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(INTERNET))
        }) =>
        {
            EntryReason::Internet
        }
        _ => EntryReason::Source {
            lead_in: first
                .is_some_and(|h| h.features.iter().any(|f| f.name == Feature::LeadIn.name())),
        },
    };
    let mut why = vec![reason.to_string()];
    if !alert.other_entries.is_empty() {
        why.push(hopscope_engine::alert::other_entries_reason(&alert.other_entries));
    }
    if let (Some(host), Ok(began)) =
        (cat.hosts.find(&alert.entry_host), Time::parse(&alert.first_time))
    {
        why.extend(weaknesses(fleet.host(host), began, patch_age_days as i64 * DAY));
    }
    why
}

fn days_between(from: &str, to: &str) -> Option<f64> {
    let (a, b) = (Time::parse(from).ok()?, Time::parse(to).ok()?);
    Some(((b.0 - a.0) as f64 / DAY as f64 * 10.0).round() / 10.0)
}

/// `2019-09-12 03:04:05 UTC`.
fn when(s: &str) -> String {
    format!("{} UTC", crate::view::short_rfc3339(s))
}

fn date(s: &str) -> &str {
    s.get(..10).unwrap_or(s)
}

fn summarise(
    case: &Case,
    fleet: &Fleet,
    alert: Option<&AlertView>,
    trace: Option<&TraceView>,
    scope: Option<&ScopeView>,
    audit: &AuditView,
) -> Summary {
    let cat: &Catalog = &case.catalog;
    let m = &case.manifest;
    let Some(alert) = alert else {
        let text = format!(
            "No alert: detection raised nothing on this case ({} events from {} to {}). The audit lists {} hygiene finding{}.",
            m.events,
            m.first_time.as_deref().map(date).unwrap_or("-"),
            m.last_time.as_deref().map(date).unwrap_or("-"),
            audit.findings.len(),
            if audit.findings.len() == 1 { "" } else { "s" }
        );
        return Summary {
            alert_id: None,
            entry_host: None,
            entry_why: Vec::new(),
            first_malicious_time: None,
            raised_at: None,
            contained_at: None,
            dwell_days: None,
            exposure_days: None,
            hop_count: 0,
            countries: Vec::new(),
            client_count: 0,
            restricted_client_count: 0,
            observed_client_count: 0,
            observed_restricted_client_count: 0,
            text,
        };
    };
    // The story is the alert's own: its entry (measured on simulated intrusions: 96-100 % of
    // alerted ones) and its hops. The backward trace from the alert's frontier is its own
    // section; summed over every login, its ranking favours long chains and named the
    // intrusion's entry in about one alerted intrusion in ten (docs/investigation.md).
    // A trace that agrees on the entry tells the way from it in full (the login from the
    // internet, unremarkable hops between suspicious ones).
    let entry_host = alert.entry_host.clone();
    let entry_why = entry_reasons(cat, fleet, alert, audit.patch_age_days);
    let agreeing = agreeing_trace(trace, alert);
    let first_malicious = match agreeing.and_then(|t| t.first_malicious_time.as_deref()) {
        Some(t) if Time::parse(t).ok() < Time::parse(&alert.first_time).ok() => t.to_string(),
        _ => alert.first_time.clone(),
    };
    let hops = story_hops(trace, Some(alert));
    let mut countries: Vec<String> = Vec::new();
    let entry_country = cat
        .hosts
        .find(&entry_host)
        .and_then(|id| cat.hosts.get(id))
        .and_then(|r| r.country.clone());
    for c in
        entry_country.iter().map(String::as_str).chain(hops.iter().filter_map(|h| h.dst_country))
    {
        if countries.last().map(String::as_str) != Some(c) {
            countries.push(c.to_string());
        }
    }
    let contained = scope.map(|s| s.contained_at.clone());
    let dwell = days_between(&first_malicious, &alert.raised_at);
    let exposure = contained.as_deref().and_then(|c| days_between(&first_malicious, c));

    let mut text = entry_host.clone();
    if let Some(c) = &entry_country {
        text.push_str(&format!(" ({c})"));
    }
    text.push_str(" was the way in");
    if !entry_why.is_empty() {
        text.push_str(&format!(": {}", entry_why.join("; ")));
    }
    text.push_str(&format!(". The first malicious login was at {}", when(&first_malicious)));
    if !hops.is_empty() {
        let steps: Vec<String> = hops
            .iter()
            .map(|h| {
                let place = h.dst_country.map(|c| format!(" ({c})")).unwrap_or_default();
                format!(
                    "{} → {}{place} on {} as {} over {}",
                    h.src_host,
                    h.dst_host,
                    date(h.time),
                    h.user.unwrap_or("?"),
                    h.auth.unwrap_or("?")
                )
            })
            .collect();
        text.push_str(&format!(
            "; {} hop{} followed",
            hops.len(),
            if hops.len() == 1 { "" } else { "s" }
        ));
        if countries.len() > 1 {
            text.push_str(&format!(" across {}", countries.join(" → ")));
        }
        text.push_str(&format!(": {}", steps.join(", ")));
    }
    text.push_str(&format!(
        ". hopscope raised alert {} at {}, {} days after the first malicious login.",
        alert.id,
        when(&alert.raised_at),
        dwell.map_or("?".to_string(), |d| format!("{d:.1}"))
    ));
    if let Some(s) = scope {
        let (hosts, observed) = s.fleet_host_counts();
        text.push_str(&format!(
            " Until containment at {} ({} days after the first malicious login) {} host{} ({} observed) and {} account{} were within the intruder's reach, holding data of {} client organisation{} ({} restricted); {} of them ({} restricted) on hosts the intruder was seen on.",
            when(&s.contained_at),
            exposure.map_or("?".to_string(), |d| format!("{d:.1}")),
            hosts,
            if hosts == 1 { "" } else { "s" },
            observed,
            s.account_count,
            if s.account_count == 1 { "" } else { "s" },
            s.client_count,
            if s.client_count == 1 { "" } else { "s" },
            s.restricted_client_count,
            s.observed_client_count,
            s.observed_restricted_client_count
        ));
    }
    Summary {
        alert_id: Some(alert.id.clone()),
        entry_host: Some(entry_host),
        entry_why,
        first_malicious_time: Some(first_malicious),
        raised_at: Some(alert.raised_at.clone()),
        contained_at: contained,
        dwell_days: dwell,
        exposure_days: exposure,
        hop_count: hops.len(),
        countries,
        client_count: scope.map_or(0, |s| s.client_count),
        restricted_client_count: scope.map_or(0, |s| s.restricted_client_count),
        observed_client_count: scope.map_or(0, |s| s.observed_client_count),
        observed_restricted_client_count: scope.map_or(0, |s| s.observed_restricted_client_count),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(days: i64) -> ActivityCounter {
        let t0 = Time::parse("2019-06-01T10:30:00Z").unwrap();
        ActivityCounter::new(Some((t0, Time(t0.0 + days * DAY))))
    }

    #[test]
    fn buckets_are_hours_up_to_90_days_then_days() {
        let c = counter(90);
        assert_eq!(c.bucket, 3600 * SECOND);
        assert_eq!(c.logins.len(), 90 * 24 + 1);
        assert_eq!(Time(c.start).to_rfc3339(), "2019-06-01T10:00:00Z");
        let c = counter(91);
        assert_eq!(c.bucket, DAY);
        assert_eq!(Time(c.start).to_rfc3339(), "2019-06-01T00:00:00Z");
        let c = counter(80 * 365);
        assert!(
            c.logins.len() < MAX_BUCKETS as usize && c.bucket % DAY == 0,
            "{} buckets of {}",
            c.logins.len(),
            c.bucket
        );
        assert!(ActivityCounter::new(None).finish().start.is_none());
    }

    #[test]
    fn counts_successes_and_failures_not_logoffs() {
        let mut c = counter(1);
        let t = c.start;
        let (s, f, off) =
            (Outcome::Success as u8, Outcome::Failure as u8, Orientation::LogOff as u8);
        let on = Orientation::LogOn as u8;
        // the last time is outside the counted span and is skipped, not a panic
        c.count(
            &[t, t + 1, t + 3600 * SECOND, t, i64::MAX, i64::MIN],
            &[s, f, s, s, s, s],
            &[on, on, on, off, on, on],
        );
        let a = c.finish();
        assert_eq!((a.logins[0], a.failures[0], a.logins[1]), (1, 1, 1));
    }

    fn login(time: &str, src: &str, dst: &str) -> serde_json::Value {
        serde_json::json!({"time": time, "src_host": src, "dst_host": dst, "user": "u", "auth": "NTLM",
            "logon_type": "network", "src_country": null, "dst_country": null, "evidence": {"file": "a.log", "line": 1}})
    }

    fn alert(entry: &str, first_seen_on: Option<&str>, hops: &[(&str, &str, &str)]) -> AlertView {
        let hops: Vec<serde_json::Value> = hops
            .iter()
            .map(|(t, s, d)| {
                let mut h = login(t, s, d);
                h["score"] = 10.0.into();
                h["features"] = serde_json::json!([]);
                h["techniques"] = serde_json::json!([]);
                h["evidence"] = serde_json::json!([{"file": "a.log", "line": 1}]);
                h
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "A-1", "score": 20.0, "raised_at": hops[0]["time"], "first_time": hops[0]["time"],
            "last_time": hops[hops.len() - 1]["time"], "entry_host": entry, "first_seen_on": first_seen_on,
            "chain_origin": entry, "causal_account": null, "hops": hops, "hops_omitted": 0, "reasons": []
        }))
        .unwrap()
    }

    fn trace_from(entry: &str, path: &[(&str, &str, &str)]) -> TraceView {
        let path: Vec<serde_json::Value> = path
            .iter()
            .map(|(t, s, d)| {
                let mut h = login(t, s, d);
                h["score"] = 5.0.into();
                h["reasons"] = serde_json::json!([]);
                h
            })
            .collect();
        serde_json::from_value(serde_json::json!({
            "host": "db", "at": "2021-05-02T00:00:00Z", "logins": 10,
            "entry_point": {"host": entry, "why": []}, "first_malicious_time": path[0]["time"],
            "path": path, "alternatives": []
        }))
        .unwrap()
    }

    /// The story is the alert's; a trace tells it only when it names the same entry.
    #[test]
    fn the_story_follows_the_alert_and_a_trace_only_when_it_agrees() {
        let a = alert("ws-1", Some("jump"), &[("2021-05-01T10:20:00Z", "jump", "db")]);
        let stray = trace_from(
            "ws-9",
            &[("2021-04-01T00:00:00Z", "ws-9", "file"), ("2021-05-01T10:00:00Z", "file", "db")],
        );
        let hops = |t: &TraceView| {
            story_hops(Some(t), Some(&a)).iter().map(|h| h.src_host.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(hops(&stray), vec!["jump"], "a trace from another entry tells another story");
        let agreeing = trace_from(
            "WS-1",
            &[("2021-05-01T10:00:00Z", "ws-1", "jump"), ("2021-05-01T10:20:00Z", "jump", "db")],
        );
        assert_eq!(
            hops(&agreeing),
            vec!["ws-1", "jump"],
            "it adds the unremarkable session from the entry"
        );
        let (cat, inventory) = (Catalog::default(), Inventory::default());
        let fleet = Fleet::new(&cat, &inventory);
        let why = entry_reasons(&cat, &fleet, &a, 365);
        assert!(why[0].contains("first seen on jump, an inner host"), "{why:?}");
        let from_internet = alert("web", None, &[("2021-05-01T10:20:00Z", "Internet", "web")]);
        assert_eq!(
            entry_reasons(&cat, &fleet, &from_internet, 365),
            vec!["its first suspicious login came from the internet"]
        );
        let plain = alert("ws-2", None, &[("2021-05-01T10:20:00Z", "ws-2", "db")]);
        assert_eq!(
            entry_reasons(&cat, &fleet, &plain, 365),
            vec!["the first suspicious hop left it, and no suspicious login came into it before"]
        );
    }
}
