//! What the engine knows about each host and authentication label, by id.
//!
//! Built once from the case's [`Catalog`] and [`Inventory`], so the hot loop reads plain
//! vectors instead of strings.

use std::collections::{BTreeMap, BTreeSet};

use ahash::AHashMap;
use hopscope_model::{Catalog, HostKind, Inventory, Lifecycle, Time};

/// Facts about one host that scoring uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostFacts {
    /// Site and country as small ids (0 = unknown); names in [`Fleet::site_name`] and
    /// [`Fleet::country_name`].
    pub site: u32,
    pub country: u32,
    pub lifecycle: Lifecycle,
    /// Midnight UTC of the `last_patched` date.
    pub last_patched: Option<Time>,
    pub internet_facing: bool,
    /// 0 unknown, 1 low … 4 critical.
    pub criticality: u8,
    /// Distinct client organisations whose data the host holds (data.csv).
    pub data_clients: u32,
    /// Some of that data is in a restricted category.
    pub restricted_data: bool,
    /// The pseudo-host `internet`.
    pub is_internet: bool,
    /// A person's own machine: the inventory role says `workstation` (or `desktop`, `laptop`,
    /// `vdi`).
    pub workstation: bool,
    /// The host has an inventory row (`hosts.csv`).
    pub inventoried: bool,
}

/// Whether an intrusion can begin on a host without a login into it, as the inventory tells.
///
/// Intrusions begin where the outside world touches the fleet: a person's workstation (a
/// phishing mail, a malicious download) or a host that serves the internet (an exploited
/// service). An intruder first seen on any other host got there by logging in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foothold {
    /// The `internet` pseudo-host itself.
    Internet,
    /// A workstation or an internet-facing host: an intrusion can begin on it.
    Door,
    /// An inventoried host that is neither: an intruder on it arrived by a login.
    Inner,
    /// No inventory row: nothing known.
    Unknown,
}

/// Inventory roles that name a person's own machine.
const WORKSTATION_ROLES: [&str; 4] = ["workstation", "desktop", "laptop", "vdi"];

/// Whether an inventory role names a person's own machine (case-insensitive).
pub fn is_workstation_role(role: &str) -> bool {
    let r = role.trim();
    WORKSTATION_ROLES.iter().any(|w| r.eq_ignore_ascii_case(w))
}

/// What an authentication label means, as far as the engine cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum AuthKind {
    #[default]
    Other,
    Kerberos,
    Ntlm,
    Negotiate,
    /// SSH password or keyboard-interactive.
    Password,
    /// SSH public key or host-based.
    PublicKey,
    WinRm,
}

impl AuthKind {
    /// Classify a label as sources spell it (`Kerberos`, `NTLM V2`, `publickey`, ...).
    pub fn of_label(label: &str) -> AuthKind {
        let l = label.trim().to_ascii_lowercase();
        match l.as_str() {
            "kerberos" => AuthKind::Kerberos,
            "negotiate" => AuthKind::Negotiate,
            "password" | "keyboard-interactive" | "keyboard-interactive/pam" => AuthKind::Password,
            "publickey" | "hostbased" | "gssapi-with-mic" => AuthKind::PublicKey,
            _ if l.contains("ntlm") => AuthKind::Ntlm,
            _ if l.contains("winrm") || l.contains("wsman") => AuthKind::WinRm,
            _ => AuthKind::Other,
        }
    }
    /// SSH authentication methods.
    pub fn is_ssh(self) -> bool {
        matches!(self, AuthKind::Password | AuthKind::PublicKey)
    }
}

/// Host facts and label kinds for one case.
#[derive(Clone, Debug, Default)]
pub struct Fleet {
    hosts: Vec<HostFacts>,
    auths: Vec<AuthKind>,
    sites: Vec<String>,
    countries: Vec<String>,
}

static UNKNOWN_HOST: HostFacts = HostFacts {
    site: 0,
    country: 0,
    lifecycle: Lifecycle::Active,
    last_patched: None,
    internet_facing: false,
    criticality: 0,
    data_clients: 0,
    restricted_data: false,
    is_internet: false,
    workstation: false,
    inventoried: false,
};

impl Fleet {
    pub fn new(catalog: &Catalog, inventory: &Inventory) -> Fleet {
        let mut site_ids = AHashMap::new();
        let mut country_ids = AHashMap::new();
        let mut sites = Vec::new();
        let mut countries = Vec::new();
        let small_id = |map: &mut AHashMap<String, u32>,
                        names: &mut Vec<String>,
                        s: &Option<String>|
         -> u32 {
            let Some(s) = s.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { return 0 };
            let key = s.to_lowercase();
            *map.entry(key).or_insert_with(|| {
                names.push(s.to_string());
                names.len() as u32
            })
        };
        // data.csv rows name hosts; aggregate per case host id
        let mut clients: BTreeMap<u32, (BTreeSet<String>, bool)> = BTreeMap::new();
        for d in &inventory.data {
            if let Some(id) = catalog.hosts.find(&d.host) {
                let e = clients.entry(id).or_default();
                e.0.insert(d.client.to_lowercase());
                e.1 |= d.restricted;
            }
        }
        let hosts = catalog
            .hosts
            .iter()
            .map(|(id, r)| {
                let mut f = HostFacts {
                    site: small_id(&mut site_ids, &mut sites, &r.site),
                    country: small_id(&mut country_ids, &mut countries, &r.country),
                    is_internet: r.kind == HostKind::Internet,
                    ..HostFacts::default()
                };
                if let Some(h) = r.inventory.and_then(|i| inventory.hosts.get(i as usize)) {
                    f.lifecycle = h.lifecycle;
                    f.last_patched = h.last_patched.and_then(|d| Time::parse(&d.to_string()).ok());
                    f.internet_facing = h.internet_facing;
                    f.criticality = h.criticality;
                    f.workstation = is_workstation_role(&h.role);
                    f.inventoried = true;
                }
                if let Some((c, restricted)) = clients.get(&id) {
                    f.data_clients = c.len() as u32;
                    f.restricted_data = *restricted;
                }
                f
            })
            .collect();
        let auths = catalog.auths.iter().map(|(_, l)| AuthKind::of_label(l)).collect();
        Fleet { hosts, auths, sites, countries }
    }

    /// Whether `catalog` holds hosts or labels this fleet was not built with.
    pub fn is_behind(&self, catalog: &Catalog) -> bool {
        catalog.hosts.len() != self.hosts.len() || catalog.auths.len() != self.auths.len()
    }

    /// Facts of host `id`; hosts the fleet was not built with (0, or added later) have
    /// default facts: unknown site and country, active, nothing known.
    pub fn host(&self, id: u32) -> &HostFacts {
        if id == 0 {
            return &UNKNOWN_HOST;
        }
        self.hosts.get(id as usize - 1).unwrap_or(&UNKNOWN_HOST)
    }
    /// Whether an intrusion can begin on host `id` ([`Foothold`]).
    pub fn foothold(&self, id: u32) -> Foothold {
        let f = self.host(id);
        if f.is_internet {
            Foothold::Internet
        } else if f.workstation || f.internet_facing {
            Foothold::Door
        } else if f.inventoried {
            Foothold::Inner
        } else {
            Foothold::Unknown
        }
    }
    /// Whether host `id` is an internet-facing server: a door ([`Foothold::Door`]) that is not
    /// a person's machine, where an intrusion begins from the internet (a login, or an
    /// exploited service that leaves none).
    pub fn exposed_server(&self, id: u32) -> bool {
        let f = self.host(id);
        f.internet_facing && !f.workstation && !f.is_internet
    }
    /// Whether the detector keeps the likeliest logins into host `id`
    /// ([`crate::detect::arrival`]): an inner host, or an internet-facing server.
    pub fn keeps_arrivals(&self, id: u32) -> bool {
        self.foothold(id) == Foothold::Inner || self.exposed_server(id)
    }
    pub fn auth(&self, id: u32) -> AuthKind {
        if id == 0 {
            return AuthKind::Other;
        }
        self.auths.get(id as usize - 1).copied().unwrap_or_default()
    }
    pub fn site_name(&self, id: u32) -> Option<&str> {
        id.checked_sub(1).and_then(|i| self.sites.get(i as usize)).map(String::as_str)
    }
    pub fn country_name(&self, id: u32) -> Option<&str> {
        id.checked_sub(1).and_then(|i| self.countries.get(i as usize)).map(String::as_str)
    }
    /// Replace one host's facts (tests, and callers that learn about hosts late).
    pub fn set_host(&mut self, id: u32, facts: HostFacts) {
        if id == 0 {
            return;
        }
        if self.hosts.len() < id as usize {
            self.hosts.resize(id as usize, HostFacts::default());
        }
        self.hosts[id as usize - 1] = facts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_labels() {
        assert_eq!(AuthKind::of_label("Kerberos"), AuthKind::Kerberos);
        assert_eq!(AuthKind::of_label("NTLM V2"), AuthKind::Ntlm);
        assert_eq!(AuthKind::of_label("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"), AuthKind::Other);
        assert_eq!(AuthKind::of_label("publickey"), AuthKind::PublicKey);
        assert!(AuthKind::of_label("password").is_ssh());
    }

    #[test]
    fn footholds_come_from_the_inventory() {
        assert!(
            is_workstation_role("Workstation")
                && is_workstation_role(" laptop ")
                && is_workstation_role("VDI")
        );
        assert!(
            !is_workstation_role("jump")
                && !is_workstation_role("")
                && !is_workstation_role("workstation-pool")
        );
        let mut f = Fleet::default();
        f.set_host(1, HostFacts { is_internet: true, ..HostFacts::default() });
        f.set_host(2, HostFacts { workstation: true, inventoried: true, ..HostFacts::default() });
        f.set_host(
            3,
            HostFacts { internet_facing: true, inventoried: true, ..HostFacts::default() },
        );
        f.set_host(4, HostFacts { inventoried: true, ..HostFacts::default() });
        let got: Vec<Foothold> = (1..=5).map(|h| f.foothold(h)).collect();
        use Foothold::*;
        assert_eq!(got, vec![Internet, Door, Door, Inner, Unknown], "host 5 has no facts at all");
    }
}
