//! What the engine knows about each host and authentication label, by id.
//!
//! Built once from the case's [`Catalog`] and [`Inventory`], so the hot loop reads plain
//! vectors instead of strings; and what hosts are learned to be from what they do
//! ([`crate::behaviour`]), online, as the events pass ([`Fleet::observe`]).

use std::collections::{BTreeMap, BTreeSet};

use ahash::AHashMap;
use hopscope_model::{Catalog, EventTable, HostKind, Inventory, Lifecycle, RoleClass, Time};

use crate::behaviour::{AccountKind, Behaviour, Known};

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
    /// A person's own machine, as the inventory says: its role's class is
    /// [`RoleClass::Workstation`] (`workstation`, `ws`, `pc`, `laptop`, `vdi`, ...:
    /// docs/formats.md#host-roles). [`Fleet::is_door`] also knows the doors learned from
    /// behaviour.
    pub workstation: bool,
    /// The class of the inventory role ([`hopscope_model::read_role`]); unknown without a row.
    pub role: RoleClass,
    /// The host has an inventory row (`hosts.csv`).
    pub inventoried: bool,
    /// Known only by an address in our ranges ([`HostKind::Address`]): no inventory row, no
    /// name in any log. Such a host may be an address pool ([`Fleet::is_pool`]).
    pub by_address: bool,
}

/// Whether an intrusion can begin on a host without a login into it, as the inventory tells
/// and behaviour shows ([`Fleet::foothold`]).
///
/// Intrusions begin where the outside world touches the fleet: a person's workstation (a
/// phishing mail, a malicious download) or a host that serves the internet (an exploited
/// service). An intruder first seen on any other host got there by logging in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foothold {
    /// The `internet` pseudo-host itself.
    Internet,
    /// An address pool (NAT, VPN, DHCP, VDI; [`Fleet::is_pool`]): logins come from it, from
    /// whichever machine held the address then; nobody is *on* it. Like the internet, a place
    /// outside the hosts we know.
    Pool,
    /// A workstation or an internet-facing host: an intrusion can begin on it.
    Door,
    /// An inventoried host that is neither: an intruder on it arrived by a login.
    Inner,
    /// No inventory row: nothing known.
    Unknown,
}

/// Whether an inventory role names a person's own machine (case-insensitive; the vocabulary
/// is [`hopscope_model::ROLE_WORDS`]).
pub fn is_workstation_role(role: &str) -> bool {
    RoleClass::of(role) == RoleClass::Workstation
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

/// Host facts and label kinds for one case, and what hosts were learned to be.
///
/// Only the learned part ([`Behaviour`]) is serialised (a `watch` checkpoint): the rest is
/// derived from the catalog and inventory and rebuilt ([`Fleet::rebuild`]).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Fleet {
    #[serde(skip)]
    hosts: Vec<HostFacts>,
    #[serde(skip)]
    auths: Vec<AuthKind>,
    #[serde(skip)]
    accounts: Vec<AccountKind>,
    #[serde(skip)]
    sites: Vec<String>,
    #[serde(skip)]
    countries: Vec<String>,
    /// By host id - 1: for a host known only by its address, the first such host of its range
    /// (site; 0 = private addresses no site holds), which stands for the range's pooled
    /// addresses in history ([`Fleet::history_source`]); 0 for every other host.
    #[serde(skip)]
    collective: Vec<u32>,
    learned: Behaviour,
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
    role: RoleClass::Unknown,
    inventoried: false,
    by_address: false,
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
                    by_address: r.kind == HostKind::Address,
                    ..HostFacts::default()
                };
                if let Some(h) = r.inventory.and_then(|i| inventory.hosts.get(i as usize)) {
                    f.lifecycle = h.lifecycle;
                    f.last_patched = h.last_patched.and_then(|d| Time::parse(&d.to_string()).ok());
                    f.internet_facing = h.internet_facing;
                    f.criticality = h.criticality;
                    f.role = RoleClass::of(&h.role);
                    f.workstation = f.role == RoleClass::Workstation;
                    f.inventoried = true;
                }
                if let Some((c, restricted)) = clients.get(&id) {
                    f.data_clients = c.len() as u32;
                    f.restricted_data = *restricted;
                }
                f
            })
            .collect();
        let hosts: Vec<HostFacts> = hosts;
        let mut first_of_range: AHashMap<u32, u32> = AHashMap::new();
        let collective = hosts
            .iter()
            .enumerate()
            .map(|(i, f)| match f.by_address {
                true => *first_of_range.entry(f.site).or_insert(i as u32 + 1),
                false => 0,
            })
            .collect();
        let auths = catalog.auths.iter().map(|(_, l)| AuthKind::of_label(l)).collect();
        let accounts =
            catalog.accounts.iter().map(|(_, a)| AccountKind::of_name(&a.name)).collect();
        Fleet {
            hosts,
            auths,
            accounts,
            sites,
            countries,
            collective,
            learned: Behaviour::default(),
        }
    }

    /// Rebuild the facts derived from `catalog` and `inventory`, keeping what was learned
    /// (a detector restored from a checkpoint, or one whose catalog grew).
    pub fn rebuild(&mut self, catalog: &Catalog, inventory: &Inventory) {
        let learned = std::mem::take(&mut self.learned);
        *self = Fleet { learned, ..Fleet::new(catalog, inventory) };
    }

    /// Whether `catalog` holds hosts, accounts or labels this fleet was not built with.
    pub fn is_behind(&self, catalog: &Catalog) -> bool {
        catalog.hosts.len() != self.hosts.len()
            || catalog.auths.len() != self.auths.len()
            || catalog.accounts.len() != self.accounts.len()
    }

    /// Learn what hosts are from row `i` of `t` ([`crate::behaviour`]). The detector calls
    /// this for every event, in time order, before anything else looks at it.
    #[inline]
    pub fn observe(&mut self, t: &EventTable, i: usize) {
        let Fleet { hosts, accounts, learned, .. } = self;
        learned.observe(t, i, &Statics { hosts, accounts });
    }

    /// What was learned from behaviour so far.
    pub fn learned(&self) -> &Behaviour {
        &self.learned
    }

    /// This fleet with what a detector learned ([`crate::Detection::learned`]): a view of a
    /// detection sees the doors and pools the detector saw at the end of its pass.
    pub fn with_learned(mut self, learned: Behaviour) -> Fleet {
        self.learned = learned;
        self
    }

    /// Whether host `id` is a person's own machine: the inventory's role says so, or, when the
    /// inventory gives no role or none of a known word (docs/formats.md#host-roles), people
    /// log on at its console on many days ([`Behaviour::is_door`]). A role of a server class
    /// or a pool is trusted over behaviour.
    pub fn is_workstation(&self, id: u32) -> bool {
        let f = self.host(id);
        f.workstation
            || (f.role == RoleClass::Unknown && !f.is_internet && self.learned.is_door(id))
    }

    /// Whether an intrusion can begin on host `id` without a login into it: a person's machine
    /// ([`Fleet::is_workstation`]) or an internet-facing host.
    pub fn is_door(&self, id: u32) -> bool {
        !self.is_pool(id) && (self.is_workstation(id) || self.host(id).internet_facing)
    }

    /// Whether host `id` is an address pool: an inventory row whose role is a pool (`nat`,
    /// `vdi pool`), or a host known only by its address that many accounts log in out of
    /// within a day ([`Behaviour::is_pool`]).
    pub fn is_pool(&self, id: u32) -> bool {
        let f = self.host(id);
        f.role == RoleClass::Pool || (f.by_address && self.learned.is_pool(id))
    }

    /// The host whose history a login out of `src` is learned and judged by. An address pool
    /// known only by its addresses ([`Fleet::is_pool`]: NAT, VPN, VDI, DHCP, CI runners) hands
    /// each address to whichever machine asks: what one address did before says nothing about
    /// the machine holding it now, and every fresh address made every login out of it a new
    /// edge and a new account on its source. Its addresses are judged together, as the pooled
    /// addresses of their range (the first address of the range seen stands for them:
    /// [`Fleet::stands_for_range`]). Every other host is its own history.
    pub fn history_source(&self, src: u32) -> u32 {
        match src.checked_sub(1).and_then(|i| self.collective.get(i as usize)) {
            Some(&c) if c != 0 && self.is_pool(src) => c,
            _ => src,
        }
    }

    /// Whether host `id` stands for its range's pooled addresses in history
    /// ([`Fleet::history_source`]).
    pub fn stands_for_range(&self, id: u32) -> bool {
        id.checked_sub(1).and_then(|i| self.collective.get(i as usize)).is_some_and(|&c| c == id)
    }

    /// Facts of host `id`; hosts the fleet was not built with (0, or added later) have
    /// default facts: unknown site and country, active, nothing known.
    pub fn host(&self, id: u32) -> &HostFacts {
        if id == 0 {
            return &UNKNOWN_HOST;
        }
        self.hosts.get(id as usize - 1).unwrap_or(&UNKNOWN_HOST)
    }
    /// Whether an intrusion can begin on host `id` ([`Foothold`]), as the inventory tells and
    /// behaviour shows so far.
    pub fn foothold(&self, id: u32) -> Foothold {
        let f = self.host(id);
        if f.is_internet {
            Foothold::Internet
        } else if self.is_pool(id) {
            Foothold::Pool
        } else if self.is_door(id) {
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
        f.internet_facing && !f.is_internet && !self.is_workstation(id) && !self.is_pool(id)
    }
    /// Whether the detector keeps the likeliest logins into host `id`
    /// ([`crate::detect::arrival`]): an inner host, or an internet-facing server.
    pub fn keeps_arrivals(&self, id: u32) -> bool {
        self.foothold(id) == Foothold::Inner || self.exposed_server(id)
    }
    /// What account `id` is (a person's, a machine's, a system identity).
    pub fn account(&self, id: u32) -> AccountKind {
        id.checked_sub(1).and_then(|i| self.accounts.get(i as usize)).copied().unwrap_or_default()
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

/// The static facts [`Behaviour::observe`] reads.
struct Statics<'a> {
    hosts: &'a [HostFacts],
    accounts: &'a [AccountKind],
}

impl Known for Statics<'_> {
    #[inline]
    fn may_be_pool(&self, id: u32) -> bool {
        id.checked_sub(1)
            .and_then(|i| self.hosts.get(i as usize))
            .is_some_and(|f| f.by_address || f.role == RoleClass::Pool)
    }
    #[inline]
    fn address_range(&self, id: u32) -> Option<u32> {
        let f = id.checked_sub(1).and_then(|i| self.hosts.get(i as usize))?;
        f.by_address.then_some(f.site)
    }
    #[inline]
    fn account_kind(&self, id: u32) -> AccountKind {
        id.checked_sub(1).and_then(|i| self.accounts.get(i as usize)).copied().unwrap_or_default()
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
