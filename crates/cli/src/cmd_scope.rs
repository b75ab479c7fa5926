//! `hopscope scope`: walk forward from a compromise to containment — hosts, accounts,
//! exposure windows, data, client organisations — with a redacted disclosure view.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use hopscope_case::Case;
use hopscope_engine::{
    collect_logins, same_entry_alerts, scope, threads, Detector, Fleet, Hop, ScopeConfig, Seed, DAY,
};
use hopscope_model::Time;
use hopscope_report::view::{
    check_containment, host_name, parse_duration, short_rfc3339, short_time, ScopeView,
};

use crate::out::{fit, wrap, Style, WIDTH};

use crate::cmd_audit::parse_time;

#[derive(clap::Args)]
#[command(after_long_help = "\
Walks forward in time from the compromised set until containment. A host is compromised
from the moment a suspicious hop reaches it (the alert's hops, or --host at --at); an
account is exposed when used from, or logged on to, a compromised host; every later
successful login from a compromised host, or with an exposed account within its exposure
window, spreads compromise. A login before a host's compromise spreads nothing.

Tiers: `observed` (the alert's hops, or the given host) and `possible` (what the walk adds).
An alert a campaign rule grew can hold several intrusions, each a thread (`detect` numbers
them): --thread N scopes one of them instead of their union. Other alerts that began on the
alert's entry host within 5 days of its compromise (the intruder leaving the same door again,
under another account) are scoped with it, and named; --alone leaves them out.
--redact replaces client names with stable keyed pseudonyms (key in CASE/redaction.key,
created on first use) and never names restricted clients. docs/investigation.md has the JSON.

Examples:
  hopscope scope --case c1 --alert A-3f2c9a1b
  hopscope scope --case c1 --host th-app-02 --at 2019-09-05T12:04:05Z --contained-at 2020-05-11
  hopscope scope --case c1 --alert A-3f2c9a1b --redact --json
  hopscope scope --case c1 --alert A-3f2c9a1b --thread 2     # one intrusion of a campaign")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// An alert id from `hopscope detect`: its hops are the observed compromise.
    #[arg(long, value_name = "ID", conflicts_with_all = ["host", "at"], required_unless_present = "host")]
    alert: Option<String>,
    /// A compromised host (with --at); repeat both for several observed hosts.
    #[arg(long, value_name = "HOST", requires = "at")]
    host: Vec<String>,
    /// When the --host in the same position was compromised.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    at: Vec<Time>,
    /// With --alert: one of the alert's threads (numbered from 1 as `detect` prints them; one
    /// intrusion of a campaign) instead of the whole alert; repeat for several.
    #[arg(long, value_name = "N", requires = "alert", value_parser = clap::value_parser!(u32).range(1..))]
    thread: Vec<u32>,
    /// With --alert: only its own hops as observed compromise, not those of the other alerts
    /// that began on its entry host within 5 days of its compromise (scoped with it by default).
    #[arg(long, requires = "alert")]
    alone: bool,
    /// With --alert: detection's warmup, as given to `detect` (alert ids depend on it).
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    /// With --alert: detection's settings, as given to `detect`.
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
    /// Containment: logins at or after it spread nothing [default: end of data].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    contained_at: Option<Time>,
    /// Days an account stays exposed after its last use on a compromised host.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    exposure_window: u32,
    /// Client names as keyed pseudonyms; restricted clients counted, not named.
    #[arg(long)]
    redact: bool,
    /// One JSON document.
    #[arg(long)]
    json: bool,
}

/// What scope starts from.
struct Start {
    /// The case's successful logins.
    hops: Vec<Hop>,
    /// Where compromise starts.
    seeds: Vec<Seed>,
    /// The end of the data.
    end: Time,
    /// What the case's logs cover (docs/coverage.md).
    coverage: hopscope_engine::coverage::Coverage,
    /// The seeds in words.
    label: String,
    /// The other alerts scoped with the one given.
    joined: Vec<String>,
}

fn seeds_of(a: &Args, case: &Case) -> Result<Start> {
    let mut hops = Vec::new();
    let mut end = Time::MIN;
    let mut coverage = hopscope_engine::coverage::CoverageBuilder::new();
    let mut detector = a
        .alert
        .as_ref()
        .map(|_| Detector::new(&case.catalog, &case.inventory, a.tuning.config(0, a.warmup)));
    for t in case.events(1 << 16)? {
        let t = t?;
        if let Some(&last) = t.time.last() {
            end = end.max(Time(last + 1));
        }
        collect_logins(&t, Time::MAX, &mut hops);
        coverage.feed(&t, Time::MAX);
        if let Some(d) = detector.as_mut() {
            d.feed(&t);
        }
    }
    let coverage = coverage.finish();
    if let (Some(id), Some(d)) = (&a.alert, detector) {
        let detection = d.finish(&case.catalog);
        let Some(alert) = detection.alerts.iter().find(|al| al.id.eq_ignore_ascii_case(id)) else {
            bail!(
                "no alert {id} in this case (hopscope detect --case {} lists them)",
                a.case.display()
            );
        };
        let fleet =
            Fleet::new(&case.catalog, &case.inventory).with_learned(detection.learned.clone());
        let threads = threads(alert, |h| fleet.foothold(h));
        let (alert, seed) = if a.thread.is_empty() {
            let all = if threads.len() > 1 {
                format!(" (all {} threads; --thread N scopes one)", threads.len())
            } else {
                String::new()
            };
            (alert.clone(), format!("alert {}{all}", alert.id))
        } else {
            let mut chosen = Vec::new();
            for &n in &a.thread {
                let Some(t) = threads.get(n as usize - 1) else {
                    bail!(
                        "alert {} has {} thread{}; --thread takes 1 to {}",
                        alert.id,
                        threads.len(),
                        if threads.len() == 1 { "" } else { "s" },
                        threads.len()
                    );
                };
                chosen.push(t);
            }
            let narrowed = alert.narrowed_to(&chosen);
            let entry = host_name(&case.catalog, narrowed.entry_host);
            let numbers: Vec<String> = a.thread.iter().map(u32::to_string).collect();
            let label = if numbers.len() == 1 { "thread" } else { "threads" };
            (narrowed, format!("alert {} {label} {} (entry {entry})", alert.id, numbers.join(", ")))
        };
        let joined = if a.alone {
            Vec::new()
        } else {
            same_entry_alerts(
                &alert,
                &detection.alerts,
                |h| fleet.foothold(h),
                a.contained_at.unwrap_or(end),
            )
        };
        let seeds = Seed::from_alerts(&alert, &joined);
        let seed = match joined.len() {
            0 => seed,
            n => format!(
                "{seed} with {} (begun on its entry within 5 days: {n} more alert{}; --alone leaves {})",
                joined.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", "),
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            ),
        };
        return Ok(Start {
            hops,
            seeds,
            end,
            coverage,
            label: seed,
            joined: joined.iter().map(|b| b.id.clone()).collect(),
        });
    }
    if a.host.is_empty() || a.host.len() != a.at.len() {
        bail!("give --alert ID, or --host HOST --at TIME (as many --at as --host)");
    }
    let mut seeds = Vec::new();
    let mut names = Vec::new();
    for (h, &at) in a.host.iter().zip(&a.at) {
        let Some(id) = case.catalog.hosts.find(h) else { bail!("no host {h:?} in this case") };
        seeds.push(Seed { host: id, time: at, via: None });
        names.push(format!("{} at {}", host_name(&case.catalog, id), at));
    }
    Ok(Start { hops, seeds, end, coverage, label: names.join(", "), joined: Vec::new() })
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let Start { hops, seeds, end, coverage, label: seed, joined: joined_alerts } =
        seeds_of(&a, &case)?;
    let contained = a.contained_at.unwrap_or(end);
    check_containment(&seeds, &case.catalog, contained).map_err(anyhow::Error::msg)?;
    let config =
        ScopeConfig { contained_at: contained, exposure_window: a.exposure_window as i64 * DAY };
    let s = scope(&hops, &seeds, &case.catalog, &case.inventory, &config);
    let key = if a.redact { Some(crate::out::redact_case(&a.case, &case)?) } else { None };
    let r = ScopeView {
        joined_alerts,
        ..ScopeView::new(&s, &case.catalog, seed, contained, a.exposure_window, key.as_ref())
    }
    .with_blind_spots(&s, &coverage, &case.catalog, &case.inventory);
    // the one redaction pass of every output: accounts, paths and words too, not only clients
    let r = crate::out::redact_value(r)?;
    if a.json {
        let mut w = crate::out::json_stdout();
        serde_json::to_writer_pretty(&mut w, &r)?;
        writeln!(w)?;
        w.flush()?;
    } else {
        let mut w = crate::out::stdout();
        let st = Style::stdout();
        writeln!(
            w,
            "{}",
            fit(&format!("scope of {} until {}", r.seed, short_time(contained)), WIDTH)
        )?;
        writeln!(
            w,
            "\n{}hosts{} ({}, {} observed)",
            st.bold, st.reset, r.host_count, r.observed_host_count
        )?;
        for h in &r.hosts {
            let via = h
                .via
                .as_ref()
                .map(|v| {
                    format!(
                        "from {} as {} ({})",
                        v.src_host,
                        v.user.as_deref().unwrap_or("?"),
                        v.evidence
                    )
                })
                .unwrap_or_default();
            let tier = if h.tier == "observed" { st.red } else { "" };
            let blind = if h.through_blind_spot { " (through a blind spot)" } else { "" };
            let line = format!(
                "  {:<9} {:<14} {}  {:>6.1}d  {:<14} {via}{blind}",
                h.tier,
                h.host,
                short_rfc3339(&h.compromised_at),
                h.exposure_days,
                h.country.as_deref().unwrap_or("?"),
            );
            writeln!(w, "{tier}{}{}", fit(&line, WIDTH), st.reset)?;
            for b in &h.blind {
                for l in wrap(b, "      ", WIDTH) {
                    writeln!(w, "{}{l}{}", st.dim, st.reset)?;
                }
            }
        }
        writeln!(w, "\n{}accounts{} ({})", st.bold, st.reset, r.account_count)?;
        for x in r.accounts.iter().take(30) {
            let line = format!(
                "  {:<20} {} → {}  on {}",
                x.account,
                short_rfc3339(&x.exposed_at),
                short_rfc3339(&x.exposed_until),
                x.exposed_on
            );
            writeln!(w, "{}", fit(&line, WIDTH))?;
        }
        if r.accounts.len() > 30 {
            writeln!(w, "  … {} more (--json lists all)", r.accounts.len() - 30)?;
        }
        writeln!(w, "\n{}clients{}", st.bold, st.reset)?;
        for x in r.clients.iter().take(20) {
            let line = format!(
                "  {:<40} {:<9} {:>8} records  {}  {}",
                x.client,
                x.tier,
                x.records,
                x.data_classes.join(","),
                x.hosts.join(",")
            );
            writeln!(w, "{}", fit(&line, WIDTH))?;
        }
        if r.clients.len() > 20 {
            writeln!(w, "  … {} more (--json lists all)", r.clients.len() - 20)?;
        }
        let total = format!(
            "{} client organisations exposed ({} restricted); observed tier: {} ({} restricted); {} records",
            r.client_count, r.restricted_client_count, r.observed_client_count, r.observed_restricted_client_count, r.records
        );
        writeln!(w)?;
        for l in wrap(&total, "", WIDTH) {
            writeln!(w, "{l}")?;
        }
        w.flush()?;
    }
    Ok(())
}
