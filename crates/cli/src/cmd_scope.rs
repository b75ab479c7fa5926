//! `hopscope scope`: walk forward from a compromise to containment — hosts, accounts,
//! exposure windows, data, client organisations — with a redacted disclosure view.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use hopscope_case::Case;
use hopscope_engine::{collect_logins, scope, DetectConfig, Detector, Hop, Scope, ScopeConfig, Seed, Tier, DAY};
use hopscope_model::{Catalog, Time};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::cmd_audit::{account_name, evidence_json, hop_json, host_name, parse_time, short_time, EvidenceJson, HopJson};

#[derive(clap::Args)]
#[command(after_long_help = "\
Walks forward in time from the compromised set until containment. A host is compromised
from the moment a suspicious hop reaches it (the alert's hops, or --host at --at); an
account is exposed when used from, or logged on to, a compromised host; every later
successful login from a compromised host, or with an exposed account within its exposure
window, spreads compromise. A login before a host's compromise spreads nothing.

Tiers: `observed` (the alert's hops, or the given host) and `possible` (what the walk adds).
--redact replaces client names with stable keyed pseudonyms (key in CASE/redaction.key,
created on first use) and never names restricted clients. docs/investigation.md has the JSON.

Examples:
  hopscope scope --case c1 --alert A-3f2c9a1b
  hopscope scope --case c1 --host th-app-02 --at 2019-09-05T12:04:05Z --contained-at 2020-05-11
  hopscope scope --case c1 --alert A-3f2c9a1b --redact --json")]
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
    /// With --alert: detection's warmup, as given to `detect` (alert ids depend on it).
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    /// With --alert: detection's chain window, as given to `detect`.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
    window: i64,
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

#[derive(Serialize)]
struct Report {
    seed: String,
    contained_at: String,
    exposure_window_days: u32,
    redacted: bool,
    host_count: usize,
    observed_host_count: usize,
    account_count: usize,
    client_count: usize,
    restricted_client_count: usize,
    observed_client_count: usize,
    observed_restricted_client_count: usize,
    records: u64,
    hosts: Vec<HostJson>,
    accounts: Vec<AccountJson>,
    clients: Vec<ClientJson>,
}

#[derive(Serialize)]
struct HostJson {
    host: String,
    compromised_at: String,
    tier: &'static str,
    exposed_until: String,
    exposure_days: f64,
    site: Option<String>,
    country: Option<String>,
    via: Option<HopJson>,
    via_reason: &'static str,
}

#[derive(Serialize)]
struct AccountJson {
    account: String,
    exposed_at: String,
    exposed_until: String,
    exposed_on: String,
    evidence: EvidenceJson,
    spread: u64,
}

#[derive(Serialize)]
struct ClientJson {
    client: String,
    restricted: bool,
    tier: &'static str,
    hosts: Vec<String>,
    data_classes: Vec<String>,
    records: u64,
    earliest_exposure: String,
}

/// `24h`, `14d`, `90m`, `30s`, `2w`, `0` → microseconds (as `detect` reads them).
fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if s == "0" {
        return Ok(0);
    }
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| format!("expected a duration such as 24h or 14d, found {s:?}"))?;
    let unit = match unit {
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => DAY,
        "w" => 7 * DAY,
        _ => return Err(format!("expected a unit s, m, h, d or w in {s:?}")),
    };
    Ok(n * unit)
}

/// The case's redaction key: 32 random bytes as hex in `CASE/redaction.key`, created on
/// first use (never printed).
fn redaction_key(dir: &Path) -> Result<Vec<u8>> {
    let path = dir.join("redaction.key");
    if let Ok(s) = std::fs::read_to_string(&path) {
        let s = s.trim();
        let bytes: Option<Vec<u8>> =
            (0..s.len() / 2).map(|i| s.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
        match bytes {
            Some(b) if b.len() >= 16 && s.len() % 2 == 0 => return Ok(b),
            _ => bail!("{} is not a hex key; delete it to make a new one", path.display()),
        }
    }
    let key: [u8; 32] = rand::random();
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&path, format!("{hex}\n")).with_context(|| format!("writing {}", path.display()))?;
    Ok(key.to_vec())
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| k.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// `client-` and 10 hex digits of the keyed hash of the folded name.
pub fn pseudonym(key: &[u8], client: &str) -> String {
    let mac = hmac_sha256(key, client.trim().to_lowercase().as_bytes());
    let hex: String = mac[..5].iter().map(|b| format!("{b:02x}")).collect();
    format!("client-{hex}")
}

fn seeds_of(a: &Args, case: &Case) -> Result<(Vec<Hop>, Vec<Seed>, Time, String)> {
    let mut hops = Vec::new();
    let mut end = Time::MIN;
    let mut detector = a.alert.as_ref().map(|_| {
        Detector::new(&case.catalog, &case.inventory, DetectConfig { budget_per_day: 0, warmup: a.warmup, window: a.window, ..DetectConfig::default() })
    });
    for t in case.events(1 << 16)? {
        let t = t?;
        if let Some(&last) = t.time.last() {
            end = end.max(Time(last + 1));
        }
        collect_logins(&t, Time::MAX, &mut hops);
        if let Some(d) = detector.as_mut() {
            d.feed(&t);
        }
    }
    if let (Some(id), Some(d)) = (&a.alert, detector) {
        let detection = d.finish(&case.catalog);
        let Some(alert) = detection.alerts.iter().find(|al| al.id.eq_ignore_ascii_case(id)) else {
            bail!("no alert {id} in this case (hopscope detect --case {} lists them)", a.case.display());
        };
        let ah: Vec<Hop> = alert.hops.iter().map(|h| h.hop).collect();
        return Ok((hops, Seed::from_hops(&ah), end, format!("alert {}", alert.id)));
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
    Ok((hops, seeds, end, names.join(", ")))
}

fn build(a: &Args, case: &Case, s: &Scope, seed: String, contained: Time, key: Option<&[u8]>) -> Report {
    let c: &Catalog = &case.catalog;
    let hosts = s
        .hosts
        .iter()
        .map(|h| {
            let r = c.hosts.get(h.host);
            HostJson {
                host: host_name(c, h.host),
                compromised_at: h.compromised_at.to_rfc3339(),
                tier: h.tier.as_str(),
                exposed_until: h.exposed_until.to_rfc3339(),
                exposure_days: ((h.exposed_until.0 - h.compromised_at.0) as f64 / DAY as f64 * 10.0).round() / 10.0,
                site: r.and_then(|r| r.site.clone()),
                country: r.and_then(|r| r.country.clone()),
                via: h.via.as_ref().map(|v| hop_json(c, v)),
                via_reason: match (h.tier, &h.via, h.via_account) {
                    (Tier::Observed, None, _) => "seed",
                    (Tier::Observed, Some(_), _) => "suspicious hop",
                    (_, _, true) => "exposed account",
                    _ => "from a compromised host",
                },
            }
        })
        .collect();
    let accounts = s
        .accounts
        .iter()
        .map(|x| AccountJson {
            account: account_name(c, x.account).unwrap_or_else(|| "?".into()),
            exposed_at: x.exposed_at.to_rfc3339(),
            exposed_until: x.exposed_until.to_rfc3339(),
            exposed_on: host_name(c, x.host),
            evidence: evidence_json(c, x.evidence),
            spread: x.spread,
        })
        .collect();
    let mut clients: Vec<ClientJson> = s
        .clients
        .iter()
        .map(|x| ClientJson {
            client: match key {
                Some(k) => pseudonym(k, &x.client),
                None => x.client.clone(),
            },
            restricted: x.restricted,
            tier: x.tier.as_str(),
            hosts: x.hosts.iter().map(|&h| host_name(c, h)).collect(),
            data_classes: x.data_classes.clone(),
            records: x.records,
            earliest_exposure: x.earliest.to_rfc3339(),
        })
        .collect();
    if key.is_some() {
        // keyed-hash order; restricted clients numbered in it, never named
        clients.sort_by(|x, y| (x.restricted, &x.client).cmp(&(y.restricted, &y.client)));
        let mut n = 0;
        for cl in clients.iter_mut().filter(|cl| cl.restricted) {
            n += 1;
            cl.client = format!("restricted client #{n}");
        }
    }
    Report {
        seed,
        contained_at: contained.to_rfc3339(),
        exposure_window_days: a.exposure_window,
        redacted: key.is_some(),
        host_count: s.hosts.len(),
        observed_host_count: s.hosts.iter().filter(|h| h.tier == Tier::Observed).count(),
        account_count: s.accounts.len(),
        client_count: s.client_count,
        restricted_client_count: s.restricted_client_count,
        observed_client_count: s.observed_client_count,
        observed_restricted_client_count: s.observed_restricted_client_count,
        records: s.clients.iter().map(|x| x.records).sum(),
        hosts,
        accounts,
        clients,
    }
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let (hops, seeds, end, seed) = seeds_of(&a, &case)?;
    let contained = a.contained_at.unwrap_or(end);
    let config = ScopeConfig { contained_at: contained, exposure_window: a.exposure_window as i64 * DAY };
    let s = scope(&hops, &seeds, &case.catalog, &case.inventory, &config);
    let key = if a.redact { Some(redaction_key(&a.case)?) } else { None };
    let r = build(&a, &case, &s, seed, contained, key.as_deref());
    let out = std::io::stdout();
    let mut w = BufWriter::new(out.lock());
    if a.json {
        serde_json::to_writer_pretty(&mut w, &r)?;
        writeln!(w)?;
    } else {
        writeln!(w, "scope of {} until {}", r.seed, short_time(contained))?;
        writeln!(w, "\nhosts ({}, {} observed)", r.host_count, r.observed_host_count)?;
        for h in &r.hosts {
            let via = h.via.as_ref().map(|v| format!("from {} as {} ({})", v.src_host, v.user.as_deref().unwrap_or("?"), ev(&v.evidence))).unwrap_or_default();
            writeln!(
                w,
                "  {:<9} {:<14} {}  {:>6.1}d  {:<14} {}",
                h.tier,
                h.host,
                &h.compromised_at[..19].replace('T', " "),
                h.exposure_days,
                h.country.as_deref().unwrap_or("?"),
                via
            )?;
        }
        writeln!(w, "\naccounts ({})", r.account_count)?;
        for x in r.accounts.iter().take(30) {
            writeln!(w, "  {:<20} {} → {}  on {}", x.account, &x.exposed_at[..19].replace('T', " "), &x.exposed_until[..19].replace('T', " "), x.exposed_on)?;
        }
        if r.accounts.len() > 30 {
            writeln!(w, "  … {} more (--json lists all)", r.accounts.len() - 30)?;
        }
        writeln!(w, "\nclients")?;
        for x in r.clients.iter().take(20) {
            writeln!(w, "  {:<40} {:<9} {:>8} records  {}  {}", x.client, x.tier, x.records, x.data_classes.join(","), x.hosts.join(","))?;
        }
        if r.clients.len() > 20 {
            writeln!(w, "  … {} more (--json lists all)", r.clients.len() - 20)?;
        }
        writeln!(
            w,
            "\n{} client organisations exposed ({} restricted); observed tier: {} ({} restricted); {} records",
            r.client_count, r.restricted_client_count, r.observed_client_count, r.observed_restricted_client_count, r.records
        )?;
    }
    w.flush()?;
    Ok(())
}

fn ev(e: &EvidenceJson) -> String {
    match e {
        EvidenceJson::Line { file, line } => format!("{file}:{line}"),
        EvidenceJson::Record { file, record } => format!("{file}#{record}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2d"), Ok(2 * DAY));
        assert_eq!(parse_duration("0"), Ok(0));
        assert!(parse_duration("2y").is_err());
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_fold_case() {
        assert_eq!(pseudonym(b"k1", "Kaito K.K."), pseudonym(b"k1", " kaito k.k."));
        assert_ne!(pseudonym(b"k1", "Kaito K.K."), pseudonym(b"k2", "Kaito K.K."));
        assert!(!pseudonym(b"k1", "Kaito").contains("Kaito"));
    }
}
