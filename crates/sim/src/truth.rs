//! `truth.json`: what really happened, for `eval` and for tests. Schema `hopscope-sim-truth/1`
//! (documented in docs/simulator.md); every list is sorted, every time is RFC 3339 UTC.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::clients::Holding;
use crate::intrusion::Intrusion;
use crate::login::{flag, Src};
use crate::people::AccountKind;
use crate::timefmt::rfc3339;
use crate::world::World;

/// The whole file.
#[derive(Clone, Debug, Serialize)]
pub struct Truth {
    pub schema: &'static str,
    pub scenario: String,
    /// The world (omitted for `baseline`, so the baseline's truth is what it always was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub world: Option<&'static str>,
    /// Who generated the generic intrusions (omitted for `hopscope`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attacker: Option<&'static str>,
    pub seed: u64,
    pub scale: f64,
    /// First and last simulated day (UTC dates; local days of eastern sites begin earlier).
    pub start: String,
    pub end: String,
    /// LANL `auth.txt` time 0: give it to `--lanl-start`.
    pub lanl_start: String,
    /// sshd files are written in UTC; their mtime is their last line's time.
    pub sshd_time_zone: &'static str,
    pub maintenance_weekend: String,
    pub intrusions: Vec<IntrusionTruth>,
    /// Hopper attacks discarded because no start made them switch credentials (the paper's
    /// success test); their logins are not in the logs. Omitted when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discarded: Vec<DiscardedTruth>,
    /// Every malicious login of every intrusion, by time.
    pub logins: Vec<LoginTruth>,
}

/// A Hopper attack the generator discarded ([`crate::hopper::Discarded`]).
#[derive(Clone, Debug, Serialize)]
pub struct DiscardedTruth {
    pub id: u32,
    pub goal: &'static str,
    pub stealth: &'static str,
    /// Hops of its longest attempt, all under the phished user's own account.
    pub hops: usize,
    pub reason: String,
}

/// One intrusion.
#[derive(Clone, Debug, Serialize)]
pub struct IntrusionTruth {
    pub id: u32,
    pub name: String,
    pub goal: &'static str,
    pub stealth: &'static str,
    /// The Hopper attacker's start strategy (omitted for hopscope's own intrusions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<&'static str>,
    pub story: String,
    pub entry_host: String,
    /// Internet address of the first entry, when the attacker came from outside.
    pub entry_from: Option<String>,
    pub target_host: Option<String>,
    pub first_malicious: Option<String>,
    pub last_malicious: Option<String>,
    pub detected: Option<String>,
    pub contained: Option<String>,
    /// Hosts in the order first reached, with the country and when.
    pub hosts: Vec<HostReached>,
    pub accounts: Vec<String>,
    /// Hosts reached that hold client data (data.csv).
    pub data_hosts: Vec<String>,
    /// Distinct client organisations on those hosts, and how many of them are restricted.
    pub clients_exposed: usize,
    pub restricted_clients_exposed: usize,
}

/// A host an intrusion reached.
#[derive(Clone, Debug, Serialize)]
pub struct HostReached {
    pub host: String,
    pub country: String,
    pub hop: u32,
    /// First malicious login onto it (none for a phished entry workstation).
    pub first: Option<String>,
    pub last: Option<String>,
}

/// One malicious login.
#[derive(Clone, Debug, Serialize, PartialEq, PartialOrd)]
pub struct LoginTruth {
    pub time: String,
    pub intrusion: u32,
    pub hop: u32,
    /// `entry`, `hop` or `revisit`.
    pub kind: &'static str,
    pub src_host: String,
    pub src_ip: String,
    pub dst_host: String,
    pub dst_ip: String,
    pub account: String,
    pub domain: Option<String>,
    /// `ssh`, `rdp`, `smb`.
    pub protocol: &'static str,
    /// `password`, `publickey`, `Kerberos`, `NTLM`, `Negotiate`.
    pub auth: &'static str,
    /// Model name: `remote-interactive`, `network`, ...
    pub logon_type: &'static str,
    pub outcome: &'static str,
    pub service_install: bool,
}

/// Build the truth for a run.
pub fn build(
    w: &World,
    intrusions: &[Intrusion],
    data: &[Holding],
    scenario: &str,
    scale: f64,
    lanl_start: i64,
) -> Truth {
    let f = &w.fleet;
    let day_str = |d: i64| rfc3339(d * 86_400 * 1_000_000)[..10].to_string();
    let mut logins = Vec::new();
    let mut its = Vec::new();
    for i in intrusions {
        let mut accounts = BTreeSet::new();
        for m in &i.logins {
            let l = &m.login;
            let a = w.people.get(l.account);
            accounts.insert(match &a.domain {
                Some(d) => format!("{d}\\{}", a.name),
                None => a.name.clone(),
            });
            let (src_host, src_ip) = match l.src {
                Src::Local => (f.host(l.dst).name.clone(), f.host(l.dst).ip.to_string()),
                Src::Host(h) => (f.host(h).name.clone(), f.host(h).ip.to_string()),
                Src::External(ip) => ("internet".to_string(), ip.to_string()),
            };
            logins.push((
                l.time,
                i.id,
                m.hop,
                LoginTruth {
                    time: rfc3339(l.time - l.time.rem_euclid(1_000_000)),
                    intrusion: i.id,
                    hop: m.hop,
                    kind: m.kind.as_str(),
                    src_host,
                    src_ip,
                    dst_host: f.host(l.dst).name.clone(),
                    dst_ip: f.host(l.dst).ip.to_string(),
                    account: a.name.clone(),
                    domain: a.domain.clone().or_else(|| {
                        (a.kind == AccountKind::Local).then(|| f.host(l.dst).name.clone())
                    }),
                    protocol: l.method.protocol(),
                    auth: l.method.auth(),
                    logon_type: l.method.logon_type().as_str(),
                    outcome: if l.ok { "success" } else { "failure" },
                    service_install: l.has(flag::SERVICE_INSTALL),
                },
            ));
        }
        let hosts: Vec<HostReached> = i
            .hosts()
            .into_iter()
            .map(|h| {
                let ok: Vec<&crate::intrusion::MaliciousLogin> =
                    i.logins.iter().filter(|m| m.login.dst == h && m.login.ok).collect();
                HostReached {
                    host: f.host(h).name.clone(),
                    country: f.site_of(h).country.clone(),
                    hop: ok.first().map(|m| m.hop).unwrap_or(0),
                    first: ok
                        .iter()
                        .map(|m| m.login.time)
                        .min()
                        .map(|t| rfc3339(t - t.rem_euclid(1_000_000))),
                    last: ok
                        .iter()
                        .map(|m| m.login.time)
                        .max()
                        .map(|t| rfc3339(t - t.rem_euclid(1_000_000))),
                }
            })
            .collect();
        let names: BTreeSet<&str> = hosts.iter().map(|h| h.host.as_str()).collect();
        let held: Vec<&Holding> = data.iter().filter(|d| names.contains(d.host.as_str())).collect();
        let data_hosts: BTreeSet<String> = held.iter().map(|d| d.host.clone()).collect();
        let clients: BTreeSet<&str> = held.iter().map(|d| d.client.as_str()).collect();
        let restricted: BTreeSet<&str> =
            held.iter().filter(|d| d.restricted).map(|d| d.client.as_str()).collect();
        let times: Vec<i64> = i.logins.iter().map(|m| m.login.time).collect();
        let t = |v: Option<i64>| v.map(|t| rfc3339(t - t.rem_euclid(1_000_000)));
        its.push(IntrusionTruth {
            id: i.id,
            name: i.name.clone(),
            goal: i.goal.as_str(),
            stealth: i.stealth.as_str(),
            start: i.start,
            story: i.story.clone(),
            entry_host: f.host(i.entry).name.clone(),
            entry_from: i.entry_from.map(|ip| ip.to_string()),
            target_host: i.target.map(|h| f.host(h).name.clone()),
            first_malicious: t(times.iter().copied().min()),
            last_malicious: t(times.iter().copied().max()),
            detected: t(i.detected),
            contained: t(i.contained),
            hosts,
            accounts: accounts.into_iter().collect(),
            data_hosts: data_hosts.into_iter().collect(),
            clients_exposed: clients.len(),
            restricted_clients_exposed: restricted.len(),
        });
    }
    logins.sort_by_key(|x| (x.0, x.1, x.2));
    its.sort_by_key(|i| i.id);
    let first = w.first_day();
    Truth {
        schema: "hopscope-sim-truth/1",
        scenario: scenario.into(),
        world: (w.routines.world != crate::WorldName::Baseline).then(|| w.routines.world.as_str()),
        attacker: None,
        seed: w.seed,
        scale,
        start: day_str(first),
        end: day_str(first + w.cal.days as i64 - 1),
        lanl_start: rfc3339(lanl_start * 1_000_000),
        sshd_time_zone: "UTC",
        maintenance_weekend: day_str(first + w.maintenance as i64),
        intrusions: its,
        discarded: Vec::new(),
        logins: logins.into_iter().map(|x| x.3).collect(),
    }
}
