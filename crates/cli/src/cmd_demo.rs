//! `hopscope demo`: the 2019 story on a simulated fleet, told with every stage that is
//! built. What is not built yet is named as such; nothing is made up.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_model::{Lifecycle, Outcome, Time};
use hopscope_sim::{simulate, LogGap, SimOptions};

use crate::out::num;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the simulated fleet, the case and the report: a new or empty directory,
    /// or one an earlier demo made (its fleet, case and report are replaced).
    #[arg(long, value_name = "DIR", default_value = "demo-out")]
    out: PathBuf,
    /// Write into --out even though it holds files the demo did not make (the demo's own
    /// `fleet/`, `case/` and `report/` in it are replaced).
    #[arg(long)]
    force: bool,
    /// Simulator seed (the same seed tells the same story).
    #[arg(long, default_value_t = 2019)]
    seed: u64,
    /// Then serve the demo case in the browser (`hopscope serve`) and print the URL of its
    /// alert; Ctrl-C stops.
    #[arg(long)]
    serve: bool,
    /// With --serve: where to listen (a loopback address; see `hopscope serve`).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8023", requires = "serve")]
    listen: std::net::SocketAddr,
}

pub fn run(a: Args) -> Result<()> {
    crate::overwrite::claim_dir(&a.out, a.force, "demo", "fleet/, case/ and report/")?;
    let fleet = a.out.join("fleet");
    let case_dir = a.out.join("case");
    if case_dir.exists() {
        // even with --force, only a case is replaced
        let is_case =
            case_dir.join(hopscope_case::MANIFEST).is_file() && case_dir.join("events").is_dir();
        if !is_case && std::fs::read_dir(&case_dir).map_or(true, |mut d| d.next().is_some()) {
            anyhow::bail!(
                "{}: is not a hopscope case; the demo replaces only the case it made there \
                 (move it, or choose another --out)",
                case_dir.display()
            );
        }
        std::fs::remove_dir_all(&case_dir)
            .with_context(|| format!("{}: cannot replace", case_dir.display()))?;
    }
    outln!("hopscope demo: the 2019 intrusion (Singapore → Thailand → United States → Japan) on a simulated fleet\n");

    let t = Instant::now();
    let sim = simulate(
        &SimOptions { seed: a.seed, log_gaps: vec![demo_gap()], ..SimOptions::default() },
        &fleet,
    )?;
    outln!(
        "1. simulated {} hosts in {} sites, {} to {}: {} log events  ({:.1}s, {})",
        sim.hosts,
        sim.sites,
        sim.start,
        sim.end,
        num(sim.events),
        t.elapsed().as_secs_f64(),
        fleet.display()
    );

    let t = Instant::now();
    let args = crate::cmd_ingest::Args::new(
        vec![fleet.join("logs")],
        case_dir.clone(),
        Some(fleet.clone()),
    );
    let m = crate::cmd_ingest::ingest(&args, true)?;
    outln!(
        "2. ingested {} files: {} events, {} problems  ({:.1}s, {})",
        num(m.sources.len() as u64),
        num(m.events),
        num(m.problem_total()),
        t.elapsed().as_secs_f64(),
        case_dir.display()
    );

    let case = Case::open(&case_dir)?;
    let truth_path = fleet.join("truth.json");
    let truth = crate::cmd_eval::read_truth_file(&truth_path)?;
    let Some(intr) = truth.intrusions.iter().find(|i| i.id == 1) else {
        anyhow::bail!("the simulated truth has no intrusion 1");
    };
    let inv = &case.inventory;
    outln!("\n3. the injected intrusion (simulator ground truth), checked against the case's evidence:");
    if let Some(h) = inv.host_by_name(&intr.entry_host).map(|i| &inv.hosts[i]) {
        let mut weak = Vec::new();
        if h.lifecycle != Lifecycle::Active {
            weak.push(format!("lifecycle {}", h.lifecycle.as_str()));
        }
        if let Some(p) = h.last_patched {
            weak.push(format!("last patched {p}"));
        }
        if h.internet_facing {
            weak.push("internet-facing".to_string());
        }
        outln!("   entry host {} ({}): {}", h.name, h.country, weak.join(", "));
    }

    // each successful hop of the story, found in the case with its evidence
    let events = case.load_events()?;
    let cat = &case.catalog;
    let mut shown = std::collections::BTreeSet::new();
    for l in truth.logins.iter().filter(|l| {
        l.intrusion == 1 && l.outcome == "success" && matches!(l.kind.as_str(), "entry" | "hop")
    }) {
        if !shown.insert((l.src_host.clone(), l.dst_host.clone())) {
            continue;
        }
        let at = Time::parse(&l.time).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dst = cat.hosts.find(&l.dst_host);
        // the destination's own logon record first, a domain controller's ticket otherwise
        let found = (0..events.len())
            .map(|i| events.get(i))
            .filter(|e| {
                Some(e.dst_host) == dst
                    && e.outcome == Outcome::Success
                    && (e.time.0 - at.0).abs() <= 2_000_000
                    && cat
                        .accounts
                        .get(e.user)
                        .is_some_and(|u| l.account.to_lowercase().ends_with(&u.name.to_lowercase()))
            })
            .min_by_key(|e| (e.orientation != hopscope_model::Orientation::LogOn, e.time));
        let country = |h: &str| {
            cat.hosts
                .find(h)
                .and_then(|id| cat.hosts.get(id))
                .and_then(|r| r.country.clone())
                .unwrap_or_else(|| "internet".into())
        };
        let evidence = match found {
            Some(e) => {
                let file = cat.sources.name(e.evidence.source).unwrap_or("?");
                let file = file.strip_prefix(&format!("{}/", fleet.display())).unwrap_or(file);
                match e.evidence.position {
                    hopscope_model::Position::Line(n) => format!("{file}:{n}"),
                    hopscope_model::Position::Record(n) => format!("{file} record {n}"),
                }
            }
            None => "NOT FOUND in the case".to_string(),
        };
        outln!(
            "   {}  {:<10} → {:<10} {:<16} {:<13} {:<4} {}",
            &l.time[..10],
            l.src_host,
            l.dst_host,
            format!("({})", country(&l.dst_host)),
            l.account.rsplit('\\').next().unwrap_or(&l.account),
            l.protocol,
            evidence
        );
    }
    if let (Ok(first), Some(Ok(det))) =
        (Time::parse(&intr.first_malicious), intr.detected.as_deref().map(Time::parse))
    {
        outln!(
            "   dwell: first malicious login {} → detected {}: {} days{}",
            &intr.first_malicious[..10],
            &intr.detected.as_deref().unwrap_or("")[..10],
            (det.0 - first.0) / 86_400_000_000,
            intr.contained
                .as_deref()
                .map(|c| format!(", contained {}", &c[..10]))
                .unwrap_or_default()
        );
    }
    if let Some(target) = &intr.target_host {
        let rows: Vec<_> =
            inv.data.iter().filter(|d| d.host.eq_ignore_ascii_case(target)).collect();
        let clients: std::collections::BTreeSet<&str> =
            rows.iter().map(|d| d.client.as_str()).collect();
        let restricted: std::collections::BTreeSet<&str> =
            rows.iter().filter(|d| d.restricted).map(|d| d.client.as_str()).collect();
        outln!(
            "   data on {target}: {} client organisations, {} of them restricted (from data.csv)",
            num(clients.len() as u64),
            num(restricted.len() as u64)
        );
    }

    let dwell_days =
        match (Time::parse(&intr.first_malicious), intr.detected.as_deref().map(Time::parse)) {
            (Ok(first), Some(Ok(det))) => Some((det.0 - first.0) / 86_400_000_000),
            _ => None,
        };
    let engine_truth = crate::cmd_eval::truth_of(&truth, &truth_path)?;
    let (alert_id, alert_hops, alerts) = detection_step(&case, &engine_truth, dwell_days)?;

    let when = |s: Option<&str>| s.and_then(|s| Time::parse(s).ok());
    let told = Told {
        target: intr.target_host.as_deref(),
        detected: when(intr.detected.as_deref()),
        contained: when(intr.contained.as_deref()),
        first_malicious: when(Some(intr.first_malicious.as_str())),
    };
    investigation_step(&case, &events, &alert_hops, &alerts, &told)?;

    report_step(&case, &a.out.join("report"), alert_id.clone(), when(intr.contained.as_deref()))?;
    outln!("\n7. live: `hopscope watch LOGS --inventory DIR --alerts FILE` runs the same detection as logs grow.");
    outln!(
        "\nexplore: hopscope detect --case {0}   |   hopscope scope --case {0} --alert ID --redact\n         hopscope eval --case {0} --truth {1}",
        case_dir.display(),
        fleet.join("truth.json").display()
    );
    if a.serve {
        let explorer = hopscope_serve::Explorer::load(
            &case_dir,
            hopscope_engine::DetectConfig::default(),
            false,
        )?;
        let options = hopscope_serve::Options {
            listen: a.listen,
            token: None,
            redact: false,
            start: alert_id.map(|id| format!("/alert?id={}", hopscope_serve::html::enc(&id))),
        };
        outln!("\n8. the case in the browser, from its alert down to the log lines:");
        hopscope_serve::serve(explorer, options, |url| {
            outln!("{url}");
            errln!("serving: open the URL above; Ctrl-C stops");
        })?;
    }
    Ok(())
}

/// The blind spot the demo's intruder leaves: three weeks before the breach is found, the
/// backup account clears the US jump host's Security log and its logs stop (docs/coverage.md).
fn demo_gap() -> LogGap {
    LogGap {
        host: "us-jump-01".into(),
        from: Time::parse("2020-04-20T03:12:00Z").expect("a valid time").0,
        to: None,
        cleared_by: Some("svc-backup".into()),
    }
}

/// Step 6: the report of the alert that holds the intrusion (the top-ranked one when none
/// does), contained when the truth says it was.
fn report_step(
    case: &Case,
    out: &std::path::Path,
    alert: Option<String>,
    contained: Option<Time>,
) -> Result<()> {
    let t = Instant::now();
    let opts = hopscope_report::ReportOptions {
        alert,
        contained_at: contained,
        ..hopscope_report::ReportOptions::default()
    };
    let formats: Vec<String> = ["html", "md", "json", "stix"].map(String::from).to_vec();
    outln!("\n6. the report: the story above in files for a ticket, a CERT and a browser");
    let written = crate::cmd_report::write(case, &opts, out, &formats, false)?;
    for path in &written {
        outln!("   {}", path.display());
    }
    outln!("   ({:.1}s)", t.elapsed().as_secs_f64());
    outln!(
        "   (hopscope report --case {} --out DIR --redact: the same without client names)",
        case.dir.display()
    );
    Ok(())
}

/// What the scenario's truth tells of the breach: where it was found, when, when it was
/// contained, and its first malicious login.
struct Told<'a> {
    target: Option<&'a str>,
    detected: Option<Time>,
    contained: Option<Time>,
    first_malicious: Option<Time>,
}

/// Step 5: the investigation a responder runs after the alarm, on the same case: trace back
/// from the Japanese server at the detection date, scope forward from the alert to
/// containment, and the audit as it looked before the intrusion.
fn investigation_step(
    case: &Case,
    events: &hopscope_model::EventTable,
    alert_hops: &[hopscope_engine::Hop],
    alerts: &[hopscope_engine::Alert],
    told: &Told,
) -> Result<()> {
    let Told { target, detected, contained, first_malicious } = *told;
    use hopscope_engine::{
        audit, collect_logins, scope, trace_with_alerts, AuditConfig, Fleet, ScopeConfig, Seed,
        Tier, TraceConfig, DAY,
    };
    let t0 = Instant::now();
    let cat = &case.catalog;
    // the events are in memory already (step 3)
    let mut logins = Vec::new();
    collect_logins(events, Time::MAX, &mut logins);
    let fleet = Fleet::new(cat, &case.inventory);
    let name = |h: u32| cat.hosts.name(h).unwrap_or("?").to_string();
    outln!("\n5. investigation on the same case  ({} successful logins)", num(logins.len() as u64));

    // trace: from the server where the breach was found, at the detection date
    match (target.and_then(|t| cat.hosts.find(t)), detected) {
        (Some(host), Some(at)) => {
            let tc = TraceConfig {
                host,
                at,
                warmup: hopscope_engine::DetectConfig::default().warmup,
                ..TraceConfig::default()
            };
            let tr = trace_with_alerts(&logins, alerts, cat, &fleet, &tc);
            match tr.paths.first() {
                Some(p) => {
                    let hops: Vec<String> = p
                        .hops
                        .iter()
                        .map(|h| {
                            format!("{} ({})", name(h.hop.dst), &h.hop.time.to_rfc3339()[..10])
                        })
                        .collect();
                    outln!(
                        "   trace back from {} at {}: entry point {}",
                        name(host),
                        &at.to_rfc3339()[..10],
                        name(p.entry_host)
                    );
                    outln!(
                        "     {} → {}",
                        p.hops.first().map(|h| name(h.hop.src)).unwrap_or_default(),
                        hops.join(" → ")
                    );
                    if let Some(why) = p.entry_reasons.first() {
                        outln!("     why the entry: {why}");
                    }
                    let mut cov = hopscope_engine::coverage::CoverageBuilder::new();
                    cov.feed(events, Time::MAX);
                    let view = hopscope_report::view::TraceView::new(&tr, cat, host, at)
                        .with_log_notes(&tr, &cov.finish(), cat, &case.inventory, at);
                    for n in &view.log_notes {
                        outln!("     what the logs cannot show: {n}");
                    }
                }
                None => outln!(
                    "   trace from {} at {}: no suspicious login reached it",
                    name(host),
                    &at.to_rfc3339()[..10]
                ),
            }
        }
        _ => outln!("   trace: the truth names no target host or detection date"),
    }

    // scope: forward from the alert's hops to containment
    if alert_hops.is_empty() {
        outln!("   scope: no alert to start from");
    } else {
        let config =
            ScopeConfig { contained_at: contained.unwrap_or(Time::MAX), exposure_window: 7 * DAY };
        let sc = scope(&logins, &Seed::from_hops(alert_hops), cat, &case.inventory, &config);
        // the pseudo-host `internet` is where the intruder came from, not a host they took
        let real = |h: &&hopscope_engine::HostExposure| {
            cat.hosts.get(h.host).is_some_and(|r| r.kind != hopscope_model::HostKind::Internet)
        };
        let observed = sc.hosts.iter().filter(real).filter(|h| h.tier == Tier::Observed).count();
        let possible = sc.hosts.iter().filter(real).count() - observed;
        outln!(
            "   scope from the alert to containment{}: {} hosts compromised (observed), {} more within reach",
            contained.map(|c| format!(" ({})", &c.to_rfc3339()[..10])).unwrap_or_default(),
            observed,
            possible
        );
        outln!(
            "     client organisations exposed: {} observed ({} restricted); {} possible in all ({} restricted)",
            num(sc.observed_client_count as u64),
            num(sc.observed_restricted_client_count as u64),
            num(sc.client_count as u64),
            num(sc.restricted_client_count as u64)
        );
    }

    // audit: as the fleet looked ten days before the first malicious login
    if let Some(first) = first_malicious {
        let as_of = Time(first.0 - 10 * DAY);
        let before: Vec<_> = logins.iter().filter(|h| h.time < as_of).copied().collect();
        let au = audit(&before, cat, &fleet, &AuditConfig { as_of, ..AuditConfig::default() });
        match au.findings.first() {
            Some(f) => {
                outln!(
                    "   audit as of {} (before the intrusion): {} findings; the top one is {}:",
                    &as_of.to_rfc3339()[..10],
                    au.findings.len(),
                    name(f.host)
                );
                outln!("     {}", f.detail);
            }
            None => outln!("   audit as of {}: no findings", &as_of.to_rfc3339()[..10]),
        }
    }
    outln!("   ({:.1}s)", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Step 4: run detection on the case (as `hopscope detect` does) and show the alert that holds
/// the injected hops, judged against the truth like `hopscope eval`; say so plainly when none
/// does.
/// Returns the alert holding intrusion 1 (its id and hops) and every alert raised.
fn detection_step(
    case: &Case,
    truth: &hopscope_engine::eval::Truth,
    dwell_days: Option<i64>,
) -> Result<(Option<String>, Vec<hopscope_engine::Hop>, Vec<hopscope_engine::Alert>)> {
    use hopscope_engine::{eval, DetectConfig, Fleet};
    let t = Instant::now();
    let config = DetectConfig::default();
    let detection = crate::cmd_detect::detect_case(case, &config, "hopper")?;
    let engine_fleet = Fleet::new(&case.catalog, &case.inventory);
    let f =
        eval::figures(&detection.alerts, &case.catalog, &engine_fleet, truth, detection.warmup_end);
    let n = detection.alerts.len();
    outln!(
        "\n4. detection (hop chains scored in bits of surprise, budget {}/day): {} alert{} in {:.0} days after the warmup  ({:.1}s)",
        config.budget_per_day,
        n,
        if n == 1 { "" } else { "s" },
        f.days,
        t.elapsed().as_secs_f64()
    );
    let cat = &case.catalog;
    let Some(r) = f.per_intrusion.iter().find(|r| r.id == 1) else {
        outln!("   the truth has no intrusion 1 to look for");
        return Ok((None, Vec::new(), detection.alerts));
    };
    let Some(alert) = r.alert.as_ref().and_then(|id| detection.alerts.iter().find(|a| &a.id == id))
    else {
        outln!("   no alert holds the injected hops: detection missed this intrusion ({n} other alerts)");
        return Ok((None, Vec::new(), detection.alerts));
    };
    outln!(
        "   {}  raised {}  score {:.1}  entry {}: holds {} of the {} injected logins (entry and hops)",
        alert.id,
        hopscope_report::view::short_time(alert.raised_at),
        alert.score,
        cat.hosts.name(alert.entry_host).unwrap_or("?"),
        r.hops_covered,
        r.hops_total
    );
    const SHOWN: usize = 8;
    for h in alert.hops.iter().take(SHOWN) {
        let hop = &h.hop;
        let country =
            cat.hosts.get(hop.dst).and_then(|r| r.country.clone()).unwrap_or_else(|| "?".into());
        let protocol =
            format!("{} {}", cat.auths.name(hop.auth).unwrap_or("?"), hop.logon_type.as_str());
        outln!(
            "   {}  {:<10} → {:<10} {:<16} {:<16} {:<26} {:>5.1} bits",
            &hop.time.to_rfc3339()[..10],
            cat.hosts.name(hop.src).unwrap_or("?"),
            cat.hosts.name(hop.dst).unwrap_or("?"),
            format!("({country})"),
            cat.accounts.get(hop.user).map(|a| a.name.clone()).unwrap_or_else(|| "?".into()),
            protocol,
            h.score
        );
    }
    if alert.hops.len() > SHOWN {
        outln!("   … and {} more hops (returns along the same path)", alert.hops.len() - SHOWN);
    }
    if let Some(d) = r.delay {
        outln!(
            "   raised {} days after the first malicious login (the real intrusion went unseen for {} days)",
            d.div_euclid(86_400_000_000),
            dwell_days.map_or("?".into(), |x| x.to_string())
        );
    }
    outln!("   why (first hops):");
    for reason in alert.reasons.iter().take(4) {
        // two lines per hop at most
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in reason.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > 94 {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
        let more = lines.len() > 2;
        lines.truncate(2);
        for (i, l) in lines.iter().enumerate() {
            let tail = if more && i == 1 { " …" } else { "" };
            outln!("   {} {l}{tail}", if i == 0 { "-" } else { " " });
        }
    }
    let others = n - 1;
    outln!(
        "   {} other alert{} in the whole year ({:.2} a day); hopscope detect --case {} lists them",
        others,
        if others == 1 { "" } else { "s" },
        others as f64 / f.days,
        case.dir.display()
    );
    let hops = alert.hops.iter().map(|h| h.hop).collect();
    Ok((Some(alert.id.clone()), hops, detection.alerts))
}
