//! The objects behind the pages: each page is one of these, rendered as HTML, and the JSON
//! API under it serves the very same object (docs/api.md). They embed the commands' views
//! (`AlertView`, `LoginView`, `FindingView`, ...) unchanged, so a field means what it means in
//! `detect --json`, `trace --json` and `audit --json`.

use hopscope_engine::{
    same_entry_alerts, scope, trace_with_alerts, Alert, Hop, ScopeConfig, Seed, TraceConfig, DAY,
};
use hopscope_model::{criticality_name, Time};
use hopscope_report::view::{
    account_name, check_containment, host_name, AlertView, DetectSettings, DetectStatsView,
    EvidenceRef, FindingView, LoginView, ScopeView, TraceView,
};
use serde::{Deserialize, Serialize};

use crate::index::Explorer;

/// Rows a list shows at once; `offset` pages on.
pub const PAGE_ROWS: usize = 200;

/// The case as the header of every page names it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CaseView {
    pub name: String,
    pub events: u64,
    pub hosts: u64,
    pub accounts: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    pub sources: usize,
    pub logins: usize,
}

impl CaseView {
    pub fn new(x: &Explorer) -> CaseView {
        let m = &x.manifest;
        CaseView {
            name: x.name.clone(),
            events: m.events,
            hosts: m.hosts,
            accounts: m.accounts,
            first_time: m.first_time.clone(),
            last_time: m.last_time.clone(),
            sources: m.sources.len(),
            logins: x.logins.len(),
        }
    }
}

/// An alert as the list shows it: the fields of [`AlertView`] it needs, named alike, and the
/// path's hosts and countries in hop order.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AlertSummary {
    pub id: String,
    pub score: f64,
    pub raised_at: String,
    pub first_time: String,
    pub last_time: String,
    pub entry_host: String,
    pub causal_account: Option<String>,
    pub hops: usize,
    pub hosts: Vec<String>,
    pub countries: Vec<String>,
}

impl AlertSummary {
    pub fn new(a: &AlertView) -> AlertSummary {
        let mut hosts: Vec<String> = Vec::new();
        let mut countries: Vec<String> = Vec::new();
        for h in &a.hops {
            for (host, country) in [(&h.src_host, &h.src_country), (&h.dst_host, &h.dst_country)] {
                if let Some(host) = host {
                    if !hosts.contains(host) {
                        hosts.push(host.clone());
                    }
                }
                if let Some(c) = country {
                    if countries.last() != Some(c) {
                        countries.push(c.clone());
                    }
                }
            }
        }
        AlertSummary {
            id: a.id.clone(),
            score: a.score,
            raised_at: a.raised_at.clone(),
            first_time: a.first_time.clone(),
            last_time: a.last_time.clone(),
            entry_host: a.entry_host.clone(),
            causal_account: a.causal_account.clone(),
            hops: a.hops.len(),
            hosts,
            countries,
        }
    }

    fn matches(&self, q: &str) -> bool {
        let q = q.to_lowercase();
        self.id.to_lowercase().contains(&q)
            || self.hosts.iter().any(|h| h.to_lowercase().contains(&q))
            || self.countries.iter().any(|c| c.to_lowercase().contains(&q))
            || self.causal_account.as_ref().is_some_and(|a| a.to_lowercase().contains(&q))
    }
}

/// What the alert list was asked for.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct AlertFilter {
    /// Text in the id, a host, a country or the causal account (any case).
    pub q: Option<String>,
    /// A UTC day (`2019-09-05`) the alert was raised on.
    pub day: Option<String>,
    pub min_score: Option<f64>,
}

/// `/alerts`: the case's alerts, best first, as `detect` keeps them within its daily budget.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AlertsPage {
    pub case: CaseView,
    pub settings: DetectSettings,
    pub stats: DetectStatsView,
    pub dropped_by_budget: usize,
    pub warmup_end: Option<String>,
    pub filter: AlertFilter,
    /// Alerts that match the filter.
    pub matching: usize,
    pub alerts: Vec<AlertSummary>,
    /// The raising days of all alerts, with how many each, for the day filter.
    pub days: Vec<DayCount>,
}

impl AlertsPage {
    pub fn new(x: &Explorer, filter: AlertFilter) -> AlertsPage {
        let d = &x.detection;
        let mut alerts: Vec<AlertSummary> = d
            .alerts
            .iter()
            .filter(|a| filter.day.as_ref().is_none_or(|day| a.raised_at.starts_with(day.as_str())))
            .filter(|a| filter.min_score.is_none_or(|m| a.score >= m))
            .map(AlertSummary::new)
            .filter(|a| filter.q.as_ref().is_none_or(|q| a.matches(q)))
            .collect();
        alerts.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        let mut days: std::collections::BTreeMap<String, u64> = Default::default();
        for a in &d.alerts {
            *days.entry(a.raised_at.get(..10).unwrap_or("").to_string()).or_default() += 1;
        }
        AlertsPage {
            case: CaseView::new(x),
            settings: d.settings.clone(),
            stats: d.stats.clone(),
            dropped_by_budget: d.dropped_by_budget,
            warmup_end: d.warmup_end.clone(),
            filter,
            matching: alerts.len(),
            alerts,
            days: days
                .into_iter()
                .map(|(day, n)| DayCount { day, logins_in: n, logins_out: 0 })
                .collect(),
        }
    }
}

/// `/alert?id=`: one alert as `detect --json` writes it, with the alerts it shares an entry with.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AlertPage {
    pub case: CaseView,
    pub alert: AlertView,
    /// Earlier alerts that began on this one's entry host (`detect --json`'s `same_entry`).
    pub begun_on_the_entry_of: Vec<String>,
}

impl AlertPage {
    pub fn new(x: &Explorer, i: usize) -> AlertPage {
        let alert = x.detection.alerts[i].clone();
        let begun_on_the_entry_of = x
            .detection
            .same_entry
            .iter()
            .find(|s| s.alert == alert.id)
            .map(|s| s.begun_on_the_entry_of.clone())
            .unwrap_or_default();
        AlertPage { case: CaseView::new(x), alert, begun_on_the_entry_of }
    }
}

/// Logins on one UTC day. On the alert list, `logins_in` counts alerts.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DayCount {
    pub day: String,
    pub logins_in: u64,
    pub logins_out: u64,
}

/// A time window a list is narrowed to, and where in it the rows shown start.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Window {
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: usize,
}

impl Window {
    fn bounds(&self) -> (Time, Time) {
        let parse =
            |s: &Option<String>, dflt: Time| s.as_deref().and_then(parse_when).unwrap_or(dflt);
        (parse(&self.from, Time::MIN), parse(&self.to, Time::MAX))
    }
}

/// `2019-09-05`, `2019-09-05T12:00:00Z` or RFC 3339 → time; a day is its midnight.
pub fn parse_when(s: &str) -> Option<Time> {
    let s = s.trim();
    if s.len() == 10 {
        return Time::parse(&format!("{s}T00:00:00Z")).ok();
    }
    Time::parse(s).ok()
}

/// The facts of a host's inventory row.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct InventoryFacts {
    pub ips: Vec<String>,
    pub site: String,
    pub country: String,
    pub role: String,
    pub owner: String,
    pub lifecycle: String,
    pub last_patched: Option<String>,
    pub internet_facing: bool,
    pub criticality: String,
}

/// A row of `data.csv`: a client organisation's data held on the host.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct DataView {
    pub client: String,
    pub data_class: String,
    pub records: u64,
    pub restricted: bool,
}

/// An edge (source → destination) with its first login, when it was last seen and how often.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct EdgeView {
    pub src_host: String,
    pub dst_host: String,
    pub first: LoginView,
    pub last_time: String,
    pub count: u64,
}

/// `/host?name=`: what the inventory says of a host, the logins into and out of it, its
/// first-seen edges, the alerts it is in and the audit's findings on it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct HostPage {
    pub case: CaseView,
    pub host: String,
    pub kind: String,
    pub site: Option<String>,
    pub country: Option<String>,
    pub inventory: Option<InventoryFacts>,
    pub data: Vec<DataView>,
    pub logins_in: u64,
    pub logins_out: u64,
    /// The time of the last login into it (where the page's trace starts).
    pub last_login_in: Option<String>,
    /// Logins in and out per UTC day, over the whole case.
    pub days: Vec<DayCount>,
    pub window: Window,
    /// Logins in the window.
    pub matching: usize,
    /// At most [`PAGE_ROWS`] of them, from `window.offset` on, in time order.
    pub logins: Vec<LoginView>,
    /// Every edge into or out of the host, by first sight.
    pub edges: Vec<EdgeView>,
    pub alerts: Vec<AlertSummary>,
    pub audit: Vec<FindingView>,
}

fn day_of(t: Time) -> String {
    t.to_rfc3339().get(..10).unwrap_or("").to_string()
}

/// Logins per day of `rows`, `inward` telling a login that counts as in.
fn days(x: &Explorer, rows: &[u32], inward: impl Fn(&Hop) -> bool) -> Vec<DayCount> {
    let mut out: Vec<DayCount> = Vec::new();
    let mut last_day = i64::MIN;
    for &i in rows {
        let h = &x.logins[i as usize];
        let d = h.time.0.div_euclid(hopscope_engine::DAY);
        if d != last_day {
            out.push(DayCount { day: day_of(h.time), logins_in: 0, logins_out: 0 });
            last_day = d;
        }
        let Some(c) = out.last_mut() else { continue };
        if inward(h) {
            c.logins_in += 1;
        } else {
            c.logins_out += 1;
        }
    }
    out
}

/// The rows of `rows` inside `window`, and at most a page of them.
fn windowed(x: &Explorer, rows: &[u32], window: &Window) -> (usize, Vec<u32>) {
    let (from, to) = window.bounds();
    let a = rows.partition_point(|&i| x.logins[i as usize].time < from);
    let b = rows.partition_point(|&i| x.logins[i as usize].time < to);
    let inside = &rows[a..b.max(a)];
    let page = inside.iter().skip(window.offset).take(PAGE_ROWS).copied().collect();
    (inside.len(), page)
}

impl HostPage {
    pub fn new(x: &Explorer, host: u32, window: Window) -> HostPage {
        let c = &x.catalog;
        let rec = c.hosts.get(host);
        let name = host_name(c, host);
        let inv = rec.and_then(|r| r.inventory).and_then(|i| x.inventory.hosts.get(i as usize));
        let inventory = inv.map(|h| InventoryFacts {
            ips: h.ips.iter().map(|ip| ip.to_string()).collect(),
            site: h.site.clone(),
            country: h.country.clone(),
            role: h.role.clone(),
            owner: h.owner.clone(),
            lifecycle: h.lifecycle.as_str().to_string(),
            last_patched: h.last_patched.map(|d| d.to_string()),
            internet_facing: h.internet_facing,
            criticality: criticality_name(h.criticality).to_string(),
        });
        let inv_name = inv.map(|h| h.name.to_lowercase()).unwrap_or_else(|| name.to_lowercase());
        let data = x
            .inventory
            .data
            .iter()
            .filter(|d| d.host.to_lowercase() == inv_name)
            .map(|d| DataView {
                client: d.client.clone(),
                data_class: d.data_class.clone(),
                records: d.records,
                restricted: d.restricted,
            })
            .collect();
        let rows: &[u32] = x.by_host.get(host as usize).map_or(&[], |v| v.as_slice());
        let logins_in = rows.iter().filter(|&&i| x.logins[i as usize].dst == host).count() as u64;
        let (matching, page) = windowed(x, rows, &window);
        let edges = x
            .edges_by_host
            .get(host as usize)
            .map_or(&[][..], |v| v.as_slice())
            .iter()
            .map(|&e| {
                let e = &x.edges[e as usize];
                EdgeView {
                    src_host: host_name(c, e.src),
                    dst_host: host_name(c, e.dst),
                    first: LoginView::new(c, &x.logins[e.first as usize]),
                    last_time: e.last.to_rfc3339(),
                    count: e.count,
                }
            })
            .collect();
        HostPage {
            case: CaseView::new(x),
            kind: rec.map_or("unknown", |r| r.kind.as_str()).to_string(),
            site: rec.and_then(|r| r.site.clone()),
            country: rec.and_then(|r| r.country.clone()),
            inventory,
            data,
            logins_in,
            logins_out: rows.len() as u64 - logins_in,
            last_login_in: rows
                .iter()
                .rev()
                .map(|&i| &x.logins[i as usize])
                .find(|h| h.dst == host)
                .map(|h| h.time.to_rfc3339()),
            days: days(x, rows, |h| h.dst == host),
            window,
            matching,
            logins: page.iter().map(|&i| LoginView::new(c, &x.logins[i as usize])).collect(),
            edges,
            alerts: x
                .alerts_by_host
                .get(&name)
                .map_or(&[][..], |v| v.as_slice())
                .iter()
                .map(|&i| AlertSummary::new(&x.detection.alerts[i]))
                .collect(),
            audit: x.audit.findings.iter().filter(|f| f.host == name).cloned().collect(),
            host: name,
        }
    }
}

/// Where an account logged in: a destination, how often, first and last, and from where.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AccountHostView {
    pub host: String,
    pub logins: u64,
    pub first_time: String,
    pub last_time: String,
    /// The sources it came from, by name, sorted.
    pub from: Vec<String>,
}

/// A login whose account on the source side differs from the one it used on the destination:
/// a credential switch.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct CredentialSwitchView {
    pub src_user: Option<String>,
    pub login: LoginView,
}

/// `/account?name=`: where and when an account logged in, from where, and its credential
/// switches.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct AccountPage {
    pub case: CaseView,
    pub account: String,
    pub logins_total: usize,
    /// Logins with the account per UTC day (`logins_in`: as the destination's account;
    /// `logins_out`: only as the source's).
    pub days: Vec<DayCount>,
    pub hosts: Vec<AccountHostView>,
    pub switches: Vec<CredentialSwitchView>,
    pub window: Window,
    pub matching: usize,
    pub logins: Vec<LoginView>,
}

impl AccountPage {
    pub fn new(x: &Explorer, account: u32, window: Window) -> AccountPage {
        let c = &x.catalog;
        let rows: &[u32] = x.by_account.get(account as usize).map_or(&[], |v| v.as_slice());
        let mut hosts: std::collections::BTreeMap<u32, (u64, Time, Time, Vec<u32>)> =
            Default::default();
        let mut switches = Vec::new();
        for &i in rows {
            let h = &x.logins[i as usize];
            if h.user == account {
                let e = hosts.entry(h.dst).or_insert((0, h.time, h.time, Vec::new()));
                e.0 += 1;
                e.2 = h.time;
                if !e.3.contains(&h.src) {
                    e.3.push(h.src);
                }
            }
            if h.src_user != 0 && h.user != 0 && h.src_user != h.user && switches.len() < PAGE_ROWS
            {
                switches.push(CredentialSwitchView {
                    src_user: account_name(c, h.src_user),
                    login: LoginView::new(c, h),
                });
            }
        }
        let mut hosts: Vec<AccountHostView> = hosts
            .into_iter()
            .map(|(dst, (n, first, last, from))| {
                let mut from: Vec<String> = from.iter().map(|&s| host_name(c, s)).collect();
                from.sort();
                from.dedup();
                AccountHostView {
                    host: host_name(c, dst),
                    logins: n,
                    first_time: first.to_rfc3339(),
                    last_time: last.to_rfc3339(),
                    from,
                }
            })
            .collect();
        hosts.sort_by(|a, b| a.first_time.cmp(&b.first_time).then_with(|| a.host.cmp(&b.host)));
        let (matching, page) = windowed(x, rows, &window);
        AccountPage {
            case: CaseView::new(x),
            account: account_name(c, account).unwrap_or_else(|| "?".into()),
            logins_total: rows.len(),
            days: days(x, rows, |h| h.user == account),
            hosts,
            switches,
            window,
            matching,
            logins: page.iter().map(|&i| LoginView::new(c, &x.logins[i as usize])).collect(),
        }
    }
}

/// One line of an evidence file, as read.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct EvidenceLine {
    pub line: u64,
    pub text: String,
    /// The line the finding cites.
    pub cited: bool,
}

/// `/evidence?file=&line=` (or `&record=`): the cited line read from the original file.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct EvidencePage {
    pub case: CaseView,
    pub evidence: EvidenceRef,
    /// `verified` (the file's sha256 is the manifest's, lines shown), `changed` (it is not:
    /// nothing shown), `gone` (the file cannot be opened), `unhashed` (the manifest holds no
    /// sha256 for it: lines shown, unverified), `not-found` (the line is past the end),
    /// `record` (a record of a binary file: not shown).
    pub status: String,
    pub note: String,
    /// The sha256 the manifest holds for the file.
    pub sha256: Option<String>,
    /// Where the file was looked for.
    pub path: String,
    pub lines: Vec<EvidenceLine>,
}

/// `/trace?host=&at=`: the walk back from a host at a time, as `trace --json` writes it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct TracePage {
    pub case: CaseView,
    pub trace: TraceView,
}

impl TracePage {
    /// Over the logins up to `at` and the alerts raised by then (the loaded detection's: an
    /// alert that grew after `at` keeps its later hops, where `hopscope trace` re-runs
    /// detection up to `at`).
    pub fn new(x: &Explorer, host: u32, at: Time) -> TracePage {
        let c = &x.catalog;
        let upto = x.logins.partition_point(|h| h.time <= at);
        let hops = &x.logins[..upto];
        let alerts: Vec<Alert> = x.alerts.iter().filter(|a| a.raised_at <= at).cloned().collect();
        let config = TraceConfig { host, at, warmup: x.config.warmup, ..TraceConfig::default() };
        let t = trace_with_alerts(hops, &alerts, c, &x.fleet, &config);
        let trace =
            TraceView::new(&t, c, host, at).with_log_notes(&t, &x.coverage, c, &x.inventory, at);
        TracePage { case: CaseView::new(x), trace }
    }
}

/// `/scope?alert=`: the exposure from an alert forward to containment, as `scope --json`
/// writes it.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ScopePage {
    pub case: CaseView,
    pub alert: String,
    pub scope: ScopeView,
}

impl ScopePage {
    /// From alert `i` (with the alerts begun on its entry host, among those listed) to
    /// `contained` (default: the end of the data); clients as pseudonyms when `redact`.
    pub fn new(
        x: &Explorer,
        i: usize,
        contained: Option<Time>,
        redact: bool,
    ) -> Result<ScopePage, String> {
        let c = &x.catalog;
        let alert = &x.alerts[i];
        let contained = contained.unwrap_or(x.end);
        let joined = same_entry_alerts(alert, &x.alerts, |h| x.fleet.foothold(h), contained);
        let seeds = Seed::from_alerts(alert, &joined);
        check_containment(&seeds, c, contained)?;
        let config = ScopeConfig { contained_at: contained, exposure_window: 7 * DAY };
        let s = scope(&x.logins, &seeds, c, &x.inventory, &config);
        let joined_alerts: Vec<String> = joined.iter().map(|a| a.id.clone()).collect();
        let seed = if joined_alerts.is_empty() {
            format!("alert {}", alert.id)
        } else {
            format!("alert {} with {}", alert.id, joined_alerts.join(", "))
        };
        let key = if redact { x.key.as_ref() } else { None };
        let scope = ScopeView { joined_alerts, ..ScopeView::new(&s, c, seed, contained, 7, key) }
            .with_blind_spots(&s, &x.coverage, c, &x.inventory);
        Ok(ScopePage { case: CaseView::new(x), alert: alert.id.clone(), scope })
    }
}
