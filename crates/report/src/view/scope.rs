//! `hopscope scope --json`: hosts, accounts and client organisations exposed, with the
//! disclosure view (pseudonyms, restricted clients numbered) when a key is given.

use hopscope_engine::{Scope, Tier, DAY};
use hopscope_model::{Catalog, Time};
use serde::{Deserialize, Serialize};

use super::{account_name, host_name, EvidenceRef, LoginView};
use crate::redact::RedactionKey;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ScopeView {
    pub seed: String,
    /// With an alert: the other alerts scoped with it, those that began on its entry host
    /// within 5 days of its compromise ([`hopscope_engine::same_entry_alerts`]); their hops
    /// are observed compromise too.
    #[serde(default)]
    pub joined_alerts: Vec<String>,
    pub contained_at: String,
    pub exposure_window_days: u32,
    pub redacted: bool,
    pub host_count: usize,
    pub observed_host_count: usize,
    pub account_count: usize,
    pub client_count: usize,
    pub restricted_client_count: usize,
    pub observed_client_count: usize,
    pub observed_restricted_client_count: usize,
    pub records: u64,
    pub hosts: Vec<HostExposureView>,
    pub accounts: Vec<AccountExposureView>,
    pub clients: Vec<ClientExposureView>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HostExposureView {
    pub host: String,
    pub compromised_at: String,
    pub tier: String,
    pub exposed_until: String,
    pub exposure_days: f64,
    pub site: Option<String>,
    pub country: Option<String>,
    pub via: Option<LoginView>,
    pub via_reason: String,
    /// The login that reached it left a host whose own logs were missing then (a gap, or no
    /// logs at all of an inventory host): how the intruder came to be on that host, and what
    /// else reached it then, the logs cannot show (docs/coverage.md). Present only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub through_blind_spot: bool,
    /// The gaps of its own logs while it was exposed, as sentences. Absent when none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blind: Vec<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AccountExposureView {
    pub account: String,
    pub exposed_at: String,
    pub exposed_until: String,
    pub exposed_on: String,
    pub evidence: EvidenceRef,
    pub spread: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ClientExposureView {
    pub client: String,
    pub restricted: bool,
    pub tier: String,
    pub hosts: Vec<String>,
    pub data_classes: Vec<String>,
    pub records: u64,
    pub earliest_exposure: String,
}

/// Refuses a containment at or before the first compromise of `seeds`: nothing could have
/// spread, and a scope of it would say "0 client organisations" as if that were a finding.
pub fn check_containment(
    seeds: &[hopscope_engine::Seed],
    c: &Catalog,
    contained: Time,
) -> Result<(), String> {
    match seeds.iter().min_by_key(|s| s.time) {
        Some(first) if contained <= first.time => Err(format!(
            "containment at {} is not after the first compromise ({} at {}): nothing to scope; \
             give a --contained-at after it",
            contained.to_rfc3339(),
            super::host_name(c, first.host),
            first.time.to_rfc3339()
        )),
        _ => Ok(()),
    }
}

impl ScopeView {
    /// With the blind spots of its hosts ([`HostExposureView::through_blind_spot`],
    /// [`HostExposureView::blind`]); `s` is the scope the view was made of.
    pub fn with_blind_spots(
        mut self,
        s: &Scope,
        cov: &hopscope_engine::coverage::Coverage,
        c: &Catalog,
        inventory: &hopscope_model::Inventory,
    ) -> ScopeView {
        use hopscope_engine::coverage::Blind;
        let listed = |h: u32| inventory.host_by_name(&host_name(c, h)).is_some();
        for (v, h) in self.hosts.iter_mut().zip(&s.hosts) {
            if v.host == "internet" {
                continue;
            }
            v.through_blind_spot =
                h.via.as_ref().is_some_and(|via| match cov.blind_at(via.src, via.time) {
                    Some(Blind::NoLogs) => listed(via.src),
                    Some(Blind::Gap(_)) => true,
                    None => false,
                });
            v.blind = cov
                .blind_within(h.host, h.compromised_at, h.exposed_until)
                .iter()
                .filter(|b| **b != Blind::NoLogs || listed(h.host))
                .map(|b| super::blind_sentence(&v.host, b))
                .collect();
        }
        self
    }

    /// The hosts within reach, without the pseudo-host `internet`: an alert that starts with
    /// a login from the internet seeds it, but it is where the intruder came from, not a host
    /// they took.
    pub fn fleet_hosts(&self) -> impl Iterator<Item = &HostExposureView> {
        self.hosts.iter().filter(|h| h.host != "internet")
    }

    /// (fleet hosts, of which observed).
    pub fn fleet_host_counts(&self) -> (usize, usize) {
        (self.fleet_hosts().count(), self.fleet_hosts().filter(|h| h.tier == "observed").count())
    }

    /// `seed` says in words where the walk started; `key` turns on the disclosure view.
    pub fn new(
        s: &Scope,
        c: &Catalog,
        seed: String,
        contained: Time,
        exposure_window_days: u32,
        key: Option<&RedactionKey>,
    ) -> ScopeView {
        let hosts = s
            .hosts
            .iter()
            .map(|h| {
                let r = c.hosts.get(h.host);
                HostExposureView {
                    host: host_name(c, h.host),
                    compromised_at: h.compromised_at.to_rfc3339(),
                    tier: h.tier.as_str().to_string(),
                    exposed_until: h.exposed_until.to_rfc3339(),
                    exposure_days: ((h.exposed_until.0 - h.compromised_at.0) as f64 / DAY as f64
                        * 10.0)
                        .round()
                        / 10.0,
                    site: r.and_then(|r| r.site.clone()),
                    country: r.and_then(|r| r.country.clone()),
                    via: h.via.as_ref().map(|v| LoginView::new(c, v)),
                    via_reason: match (h.tier, &h.via, h.via_account) {
                        (Tier::Observed, None, _) => "seed",
                        (Tier::Observed, Some(_), _) => "suspicious hop",
                        (_, _, true) => "exposed account",
                        _ => "from a compromised host",
                    }
                    .to_string(),
                    through_blind_spot: false,
                    blind: Vec::new(),
                }
            })
            .collect();
        let accounts = s
            .accounts
            .iter()
            .map(|x| AccountExposureView {
                account: account_name(c, x.account).unwrap_or_else(|| "?".into()),
                exposed_at: x.exposed_at.to_rfc3339(),
                exposed_until: x.exposed_until.to_rfc3339(),
                exposed_on: host_name(c, x.host),
                evidence: EvidenceRef::new(c, x.evidence),
                spread: x.spread,
            })
            .collect();
        let mut clients: Vec<ClientExposureView> = s
            .clients
            .iter()
            .map(|x| ClientExposureView {
                client: match key {
                    Some(k) => k.pseudonym(&x.client),
                    None => x.client.clone(),
                },
                restricted: x.restricted,
                tier: x.tier.as_str().to_string(),
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
        ScopeView {
            joined_alerts: Vec::new(),
            seed,
            contained_at: contained.to_rfc3339(),
            exposure_window_days,
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
}
