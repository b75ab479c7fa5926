//! The fleet as the CMDB describes it: hosts, sites (CIDR ranges) and data holdings.
//!
//! Parsing CSV is ingest's job; this module holds the typed rows, the value vocabularies
//! (lifecycle, criticality, booleans, dates) and the resolution rules.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::hosts::fold_host_name;

/// Where a host is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Lifecycle {
    #[default]
    Active,
    Decommissioning,
    Retired,
}

impl Lifecycle {
    pub fn parse(s: &str) -> Option<Lifecycle> {
        match s.trim().to_ascii_lowercase().as_str() {
            "active" | "" => Some(Lifecycle::Active),
            "decommissioning" => Some(Lifecycle::Decommissioning),
            "retired" => Some(Lifecycle::Retired),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::Active => "active",
            Lifecycle::Decommissioning => "decommissioning",
            Lifecycle::Retired => "retired",
        }
    }
}

/// A value in an inventory file that is not what the column expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryError {
    pub column: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: expected {}, found {:?}", self.column, self.expected, self.value)
    }
}
impl std::error::Error for InventoryError {}

/// `true`/`false`, `yes`/`no`, `1`/`0`, `y`/`n`; empty is false.
pub fn parse_bool(column: &'static str, s: &str) -> Result<bool, InventoryError> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" | "" => Ok(false),
        _ => Err(InventoryError { column, value: s.into(), expected: "true or false" }),
    }
}

/// Criticality: `low` 1, `medium` 2, `high` 3, `critical` 4, or a number 0–4; empty is 0.
pub fn parse_criticality(s: &str) -> Result<u8, InventoryError> {
    let t = s.trim().to_ascii_lowercase();
    Ok(match t.as_str() {
        "" | "unknown" => 0,
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        n => match n.parse::<u8>() {
            Ok(v) if v <= 4 => v,
            _ => {
                return Err(InventoryError {
                    column: "criticality",
                    value: s.into(),
                    expected: "low, medium, high, critical or 0-4",
                })
            }
        },
    })
}

pub fn criticality_name(c: u8) -> &'static str {
    match c {
        1 => "low",
        2 => "medium",
        3 => "high",
        4 => "critical",
        _ => "unknown",
    }
}

/// What a host is for, as far as tracing an intruder cares: the class of its inventory role.
///
/// Inventories name roles in their own words; [`read_role`] maps them to these classes with a
/// fixed vocabulary ([`ROLE_WORDS`], documented in docs/formats.md#host-roles). A role with no
/// word of the vocabulary is [`RoleClass::Unknown`]: never guessed, counted
/// ([`Inventory::role_census`]).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum RoleClass {
    /// No role, a role of no known word, or words of a person's machine and of a server at
    /// once.
    #[default]
    Unknown,
    /// A person's own machine (desktop, laptop, VDI desktop): a door, where an intrusion can
    /// begin.
    Workstation,
    /// A server of no more specific class (application, web, file, mail, backup, ...).
    Server,
    /// A database server.
    Database,
    /// A jump host or bastion: admins log in to it and go on from it.
    Jump,
    /// A domain controller or other identity server (Kerberos, LDAP).
    DomainController,
    /// An address pool (NAT, DHCP or VPN range, VDI pool): the addresses stand for many
    /// machines, and logins from them for whoever held the address then.
    Pool,
}

impl RoleClass {
    pub const ALL: [RoleClass; 7] = [
        RoleClass::Unknown,
        RoleClass::Workstation,
        RoleClass::Server,
        RoleClass::Database,
        RoleClass::Jump,
        RoleClass::DomainController,
        RoleClass::Pool,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoleClass::Unknown => "unknown",
            RoleClass::Workstation => "workstation",
            RoleClass::Server => "server",
            RoleClass::Database => "database",
            RoleClass::Jump => "jump",
            RoleClass::DomainController => "domain-controller",
            RoleClass::Pool => "pool",
        }
    }

    /// The class of an inventory role ([`read_role`]).
    pub fn of(role: &str) -> RoleClass {
        read_role(role).class()
    }

    /// A server of any kind (server, database, jump host, domain controller).
    pub fn is_server(self) -> bool {
        matches!(
            self,
            RoleClass::Server | RoleClass::Database | RoleClass::Jump | RoleClass::DomainController
        )
    }

    /// Among server classes, the more specific wins (`db server` is a database).
    fn specificity(self) -> u8 {
        match self {
            RoleClass::Server => 1,
            RoleClass::Database => 2,
            RoleClass::Jump => 3,
            RoleClass::DomainController => 4,
            _ => 0,
        }
    }
}

/// The role vocabulary: words (lower case, as they appear after splitting a role at
/// everything that is not a letter or digit and dropping trailing digits) and the class each
/// names. A phrase of two or three words is also looked up joined (`domain controller` as
/// `domaincontroller`, `poste de travail` as `postedetravail`).
pub const ROLE_WORDS: &[(&str, RoleClass)] = {
    use RoleClass::*;
    &[
        // a person's own machine
        ("workstation", Workstation),
        ("ws", Workstation),
        ("wks", Workstation),
        ("wkst", Workstation),
        ("wkstn", Workstation),
        ("pc", Workstation),
        ("desktop", Workstation),
        ("laptop", Workstation),
        ("notebook", Workstation),
        ("client", Workstation),
        ("endpoint", Workstation),
        ("vdi", Workstation),
        ("thinclient", Workstation),
        ("paw", Workstation),
        ("kiosk", Workstation),
        ("arbeitsplatz", Workstation),
        ("arbeitsplatzrechner", Workstation),
        ("poste", Workstation),
        ("postedetravail", Workstation),
        ("portable", Workstation),
        ("estacion", Workstation),
        ("estación", Workstation),
        ("estaciondetrabajo", Workstation),
        ("estacióndetrabajo", Workstation),
        ("portatil", Workstation),
        ("portátil", Workstation),
        ("escritorio", Workstation),
        ("werkplek", Workstation),
        ("postazione", Workstation),
        ("端末", Workstation),
        ("パソコン", Workstation),
        ("工作站", Workstation),
        // servers
        ("server", Server),
        ("srv", Server),
        ("svr", Server),
        ("serveur", Server),
        ("servidor", Server),
        ("サーバ", Server),
        ("サーバー", Server),
        ("服务器", Server),
        ("app", Server),
        ("application", Server),
        ("web", Server),
        ("www", Server),
        ("api", Server),
        ("file", Server),
        ("fs", Server),
        ("nas", Server),
        ("storage", Server),
        ("mail", Server),
        ("smtp", Server),
        ("exchange", Server),
        ("print", Server),
        ("backup", Server),
        ("bak", Server),
        ("build", Server),
        ("ci", Server),
        ("dns", Server),
        ("dhcp", Server),
        ("proxy", Server),
        ("vpn", Server),
        ("ops", Server),
        ("operations", Server),
        ("monitoring", Server),
        ("log", Server),
        ("siem", Server),
        ("crm", Server),
        ("erp", Server),
        ("hypervisor", Server),
        ("esx", Server),
        ("esxi", Server),
        // databases
        ("db", Database),
        ("dbs", Database),
        ("database", Database),
        ("sql", Database),
        ("mssql", Database),
        ("mysql", Database),
        ("mariadb", Database),
        ("postgres", Database),
        ("postgresql", Database),
        ("pg", Database),
        ("oracle", Database),
        ("mongodb", Database),
        ("datenbank", Database),
        ("bdd", Database),
        ("basededatos", Database),
        // jump hosts
        ("jump", Jump),
        ("jumphost", Jump),
        ("jumpbox", Jump),
        ("jumpserver", Jump),
        ("bastion", Jump),
        ("rebond", Jump),
        ("sprungserver", Jump),
        // domain controllers and identity servers
        ("dc", DomainController),
        ("domaincontroller", DomainController),
        ("addc", DomainController),
        ("pdc", DomainController),
        ("bdc", DomainController),
        ("rodc", DomainController),
        ("kdc", DomainController),
        ("ldap", DomainController),
        ("freeipa", DomainController),
        ("domänencontroller", DomainController),
        ("contrôleurdedomaine", DomainController),
        ("controleurdedomaine", DomainController),
        ("controladordedominio", DomainController),
        // address pools
        ("pool", Pool),
        ("nat", Pool),
        ("natpool", Pool),
        ("ippool", Pool),
        ("addresspool", Pool),
    ]
};

/// How a role was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoleReading {
    /// The role is empty: the inventory says nothing.
    Empty,
    /// Some word of the vocabulary names the class.
    Recognised(RoleClass),
    /// No word of the vocabulary: unknown.
    Unrecognised,
    /// Words of a person's machine and of a server at once (`pc server`): unknown.
    Ambiguous,
}

impl RoleReading {
    pub fn class(self) -> RoleClass {
        match self {
            RoleReading::Recognised(c) => c,
            _ => RoleClass::Unknown,
        }
    }
}

/// Read an inventory role with the vocabulary ([`ROLE_WORDS`]), case-insensitively.
///
/// The role is split into words at everything that is not a letter or digit, trailing digits
/// dropped (`DC01` is `dc`); each word, and each run of two or three words joined, is looked
/// up. A pool word makes a pool (`vdi pool`); otherwise words of a person's machine make a
/// workstation, words of servers the most specific server class (`db server` is a database);
/// both at once are ambiguous.
pub fn read_role(role: &str) -> RoleReading {
    let lower = role.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .map(|w| w.trim_end_matches(|c: char| c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return if role.trim().is_empty() { RoleReading::Empty } else { RoleReading::Unrecognised };
    }
    let lookup = |w: &str| ROLE_WORDS.iter().find(|(k, _)| *k == w).map(|(_, c)| *c);
    let (mut pool, mut door, mut server) = (false, false, RoleClass::Unknown);
    let mut note = |c: RoleClass| match c {
        RoleClass::Pool => pool = true,
        RoleClass::Workstation => door = true,
        c if c.specificity() > server.specificity() => server = c,
        _ => {}
    };
    for n in 1..=3 {
        for run in words.windows(n) {
            if let Some(c) = lookup(&run.concat()) {
                note(c);
            }
        }
    }
    match (pool, door, server) {
        (true, _, _) => RoleReading::Recognised(RoleClass::Pool),
        (false, true, RoleClass::Unknown) => RoleReading::Recognised(RoleClass::Workstation),
        (false, true, _) => RoleReading::Ambiguous,
        (false, false, RoleClass::Unknown) => RoleReading::Unrecognised,
        (false, false, s) => RoleReading::Recognised(s),
    }
}

/// How an inventory's roles were read: hosts per class, and the roles not recognised.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleCensus {
    /// Hosts per class, in [`RoleClass::ALL`] order.
    pub hosts: [usize; 7],
    /// Hosts whose role is not empty and not recognised (or ambiguous).
    pub unrecognised_hosts: usize,
    /// Those roles, distinct (folded to lower case), sorted.
    pub unrecognised: Vec<String>,
}

impl RoleCensus {
    /// How [`RoleCensus::note`] begins.
    pub const NOTE_PREFIX: &'static str = "inventory roles not recognised";

    /// The note ingest and `case info` give when some roles were not recognised: the roles,
    /// quoted with control characters escaped, at most 20.
    pub fn note(&self) -> Option<String> {
        if self.unrecognised.is_empty() {
            return None;
        }
        const SHOWN: usize = 20;
        let mut words: Vec<String> =
            self.unrecognised.iter().take(SHOWN).map(|r| format!("{r:?}")).collect();
        if self.unrecognised.len() > SHOWN {
            words.push(format!("and {} more", self.unrecognised.len() - SHOWN));
        }
        Some(format!(
            "{}, counted as unknown ({} hosts): {}",
            Self::NOTE_PREFIX,
            self.unrecognised_hosts,
            words.join(", ")
        ))
    }
}

/// One row of `hosts.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct InventoryHost {
    pub name: String,
    pub ips: Vec<IpAddr>,
    pub site: String,
    pub country: String,
    pub role: String,
    pub owner: String,
    pub lifecycle: Lifecycle,
    pub last_patched: Option<jiff::civil::Date>,
    pub internet_facing: bool,
    /// 0 unknown, 1 low … 4 critical.
    pub criticality: u8,
}

/// One row of `sites.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub cidr: IpNet,
    pub site: String,
    pub country: String,
}

/// One row of `data.csv`: a client organisation's data held on a host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DataHolding {
    pub host: String,
    pub client: String,
    pub data_class: String,
    pub records: u64,
    pub restricted: bool,
}

/// What an address is, given the inventory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressClass {
    /// An address of an inventory host (index into [`Inventory::hosts`]).
    Host(usize),
    /// An address inside a site's range (index into [`Inventory::sites`]).
    Site(usize),
    /// 127.0.0.0/8, ::1: the host itself.
    Loopback,
    /// RFC 1918, RFC 4193, link-local, CGNAT: ours, but no site says where.
    Private,
    /// Everything else: the pseudo-host `internet`.
    Internet,
}

/// Hosts, sites and data holdings, with name and address indexes.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub hosts: Vec<InventoryHost>,
    pub sites: Vec<Site>,
    pub data: Vec<DataHolding>,
    by_name: BTreeMap<String, usize>,
    by_ip: BTreeMap<IpAddr, usize>,
    /// Site indexes, longest prefix first.
    site_order: Vec<usize>,
}

impl Inventory {
    /// Build the indexes. Later rows with a name or address already taken are reported as
    /// conflicts (name, what) and do not override the first.
    pub fn new(
        hosts: Vec<InventoryHost>,
        sites: Vec<Site>,
        data: Vec<DataHolding>,
    ) -> (Inventory, Vec<String>) {
        let mut inv = Inventory { hosts, sites, data, ..Default::default() };
        let mut conflicts = Vec::new();
        for (i, h) in inv.hosts.iter().enumerate() {
            match fold_host_name(&h.name) {
                Some(k) => {
                    if let Some(&j) = inv.by_name.get(&k) {
                        conflicts.push(format!(
                            "host {:?} folds to the same name as {:?}",
                            h.name, inv.hosts[j].name
                        ));
                    } else {
                        inv.by_name.insert(k, i);
                    }
                }
                None => conflicts.push(format!("host name {:?} is empty or an address", h.name)),
            }
            for ip in &h.ips {
                let ip = canonical_ip(*ip);
                if let Some(&j) = inv.by_ip.get(&ip) {
                    if j != i {
                        conflicts.push(format!(
                            "address {ip} belongs to {:?} and {:?}",
                            inv.hosts[j].name, h.name
                        ));
                    }
                } else {
                    inv.by_ip.insert(ip, i);
                }
            }
        }
        let mut order: Vec<usize> = (0..inv.sites.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(inv.sites[i].cidr.prefix_len()));
        inv.site_order = order;
        (inv, conflicts)
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.sites.is_empty() && self.data.is_empty()
    }

    /// The inventory host a name means: case-insensitive, FQDN and NetBIOS forms folded.
    pub fn host_by_name(&self, name: &str) -> Option<usize> {
        fold_host_name(name).and_then(|k| self.by_name.get(&k).copied())
    }

    pub fn host_by_ip(&self, ip: IpAddr) -> Option<usize> {
        self.by_ip.get(&canonical_ip(ip)).copied()
    }

    /// The most specific site whose range holds `ip`.
    pub fn site_of_ip(&self, ip: IpAddr) -> Option<usize> {
        let ip = canonical_ip(ip);
        self.site_order.iter().copied().find(|&i| self.sites[i].cidr.contains(&ip))
    }

    /// Classify an address: inventory host, site range, loopback, private, or internet.
    pub fn classify(&self, ip: IpAddr) -> AddressClass {
        let ip = canonical_ip(ip);
        if let Some(h) = self.host_by_ip(ip) {
            return AddressClass::Host(h);
        }
        if ip.is_loopback() {
            return AddressClass::Loopback;
        }
        if let Some(s) = self.site_of_ip(ip) {
            return AddressClass::Site(s);
        }
        if is_private(ip) {
            AddressClass::Private
        } else {
            AddressClass::Internet
        }
    }

    /// How the hosts' roles read with the role vocabulary ([`read_role`]).
    pub fn role_census(&self) -> RoleCensus {
        let mut census = RoleCensus::default();
        let mut unrecognised = std::collections::BTreeSet::new();
        for h in &self.hosts {
            let reading = read_role(&h.role);
            census.hosts[reading.class() as usize] += 1;
            if matches!(reading, RoleReading::Unrecognised | RoleReading::Ambiguous) {
                census.unrecognised_hosts += 1;
                unrecognised.insert(h.role.trim().to_lowercase());
            }
        }
        census.unrecognised = unrecognised.into_iter().collect();
        census
    }

    /// Country of a site by its name (from `sites.csv`), for hosts whose row leaves it blank.
    pub fn country_of_site(&self, site: &str) -> Option<&str> {
        self.sites.iter().find(|s| s.site.eq_ignore_ascii_case(site)).map(|s| s.country.as_str())
    }
}

/// IPv4-mapped IPv6 (`::ffff:10.0.0.5`) is the IPv4 address.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Addresses that are never "the internet": private, loopback, link-local, CGNAT,
/// unique-local, unspecified.
pub fn is_private(ip: IpAddr) -> bool {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv() -> Inventory {
        let hosts = vec![
            InventoryHost {
                name: "WS06".into(),
                ips: vec!["10.1.0.6".parse().unwrap()],
                site: "tokyo".into(),
                country: "Japan".into(),
                ..Default::default()
            },
            InventoryHost {
                name: "sg-ops-03.corp.example".into(),
                ips: vec![],
                ..Default::default()
            },
        ];
        let sites = vec![
            Site {
                cidr: "10.1.0.0/16".parse().unwrap(),
                site: "tokyo".into(),
                country: "Japan".into(),
            },
            Site {
                cidr: "10.1.5.0/24".parse().unwrap(),
                site: "tokyo-lab".into(),
                country: "Japan".into(),
            },
            Site {
                cidr: "203.0.113.0/24".parse().unwrap(),
                site: "dmz-sg".into(),
                country: "Singapore".into(),
            },
        ];
        Inventory::new(hosts, sites, vec![]).0
    }

    #[test]
    fn names_fold() {
        let inv = inv();
        assert_eq!(inv.host_by_name("ws06"), Some(0));
        assert_eq!(inv.host_by_name("WS06.corp.example"), Some(0));
        assert_eq!(inv.host_by_name("SG-OPS-03"), Some(1));
        assert_eq!(inv.host_by_name("sg-ops-03.corp.example."), Some(1));
        assert_eq!(inv.host_by_name("ws07"), None);
    }

    #[test]
    fn addresses_in_two_forms() {
        let inv = inv();
        assert_eq!(inv.classify("10.1.0.6".parse().unwrap()), AddressClass::Host(0));
        assert_eq!(inv.classify("::ffff:10.1.0.6".parse().unwrap()), AddressClass::Host(0));
    }

    #[test]
    fn cidr_sites_longest_prefix_and_internet() {
        let inv = inv();
        assert_eq!(inv.classify("10.1.9.9".parse().unwrap()), AddressClass::Site(0));
        assert_eq!(inv.classify("10.1.5.9".parse().unwrap()), AddressClass::Site(1));
        assert_eq!(inv.classify("203.0.113.7".parse().unwrap()), AddressClass::Site(2));
        assert_eq!(inv.classify("192.168.3.3".parse().unwrap()), AddressClass::Private);
        assert_eq!(inv.classify("100.64.0.1".parse().unwrap()), AddressClass::Private);
        assert_eq!(inv.classify("fd00::1".parse().unwrap()), AddressClass::Private);
        assert_eq!(inv.classify("127.0.0.1".parse().unwrap()), AddressClass::Loopback);
        assert_eq!(inv.classify("8.8.8.8".parse().unwrap()), AddressClass::Internet);
        assert_eq!(inv.classify("2001:4860::8888".parse().unwrap()), AddressClass::Internet);
    }

    #[test]
    fn duplicate_names_are_conflicts() {
        let hosts = vec![
            InventoryHost { name: "a".into(), ..Default::default() },
            InventoryHost { name: "A.corp".into(), ..Default::default() },
        ];
        let (_, conflicts) = Inventory::new(hosts, vec![], vec![]);
        assert_eq!(conflicts.len(), 1);
    }

    #[test]
    fn vocabularies() {
        assert_eq!(Lifecycle::parse("Decommissioning"), Some(Lifecycle::Decommissioning));
        assert!(Lifecycle::parse("dead").is_none());
        assert_eq!(parse_criticality("critical").unwrap(), 4);
        assert!(parse_criticality("9").is_err());
        assert!(parse_bool("internet_facing", "yes").unwrap());
        assert!(parse_bool("internet_facing", "maybe").is_err());
    }

    #[test]
    fn role_words_name_classes() {
        use RoleClass::*;
        let cases: &[(&str, RoleClass)] = &[
            ("workstation", Workstation),
            ("WS", Workstation),
            ("wks", Workstation),
            ("PC", Workstation),
            (" Client ", Workstation),
            ("Notebook", Workstation),
            ("thin client", Workstation),
            ("user-laptop", Workstation),
            ("VDI", Workstation),
            ("Poste de travail", Workstation),
            ("Arbeitsplatz", Workstation),
            ("portátil", Workstation),
            ("端末", Workstation),
            ("srv", Server),
            ("Web Server", Server),
            ("file", Server),
            ("crm", Server),
            ("serveur", Server),
            ("db", Database),
            ("DB server", Database),
            ("PostgreSQL", Database),
            ("jump", Jump),
            ("Jump Host", Jump),
            ("JumpHost", Jump),
            ("bastion", Jump),
            ("serveur de rebond", Jump),
            ("DC", DomainController),
            ("DC01", DomainController),
            ("Domain Controller", DomainController),
            ("domain-controller", DomainController),
            ("contrôleur de domaine", DomainController),
            ("NAT", Pool),
            ("vdi pool", Pool),
            ("workstation-pool", Pool),
        ];
        for &(role, class) in cases {
            assert_eq!(read_role(role), RoleReading::Recognised(class), "{role:?}");
            assert_eq!(RoleClass::of(role), class, "{role:?}");
        }
        // the simulator's roles are all known
        for role in [
            "workstation",
            "domain-controller",
            "jump",
            "bastion",
            "file",
            "mail",
            "database",
            "application",
            "ops",
            "web",
            "backup",
            "crm",
        ] {
            assert!(matches!(read_role(role), RoleReading::Recognised(_)), "{role:?}");
        }
    }

    #[test]
    fn unknown_roles_are_not_guessed() {
        assert_eq!(read_role(""), RoleReading::Empty);
        assert_eq!(read_role("  "), RoleReading::Empty);
        assert_eq!(read_role("frobnicator"), RoleReading::Unrecognised);
        assert_eq!(read_role("---"), RoleReading::Unrecognised);
        assert_eq!(read_role("42"), RoleReading::Unrecognised);
        assert_eq!(read_role("pc server"), RoleReading::Ambiguous);
        // words inside other words are not words: `dc` in `dcim`, `ws` in `news`
        assert_eq!(read_role("dcim"), RoleReading::Unrecognised);
        assert_eq!(read_role("news"), RoleReading::Unrecognised);
        for r in ["", "frobnicator", "pc server"] {
            assert_eq!(RoleClass::of(r), RoleClass::Unknown);
        }
    }

    #[test]
    fn role_census_counts_unrecognised_roles_once() {
        let host = |name: &str, role: &str| InventoryHost {
            name: name.into(),
            role: role.into(),
            ..Default::default()
        };
        let hosts = vec![
            host("a", "Workstation"),
            host("b", "wks"),
            host("c", "db"),
            host("d", "Frobnicator"),
            host("e", "frobnicator"),
            host("f", "frob\u{1b}[2J"),
            host("g", ""),
        ];
        let (inv, _) = Inventory::new(hosts, vec![], vec![]);
        let c = inv.role_census();
        assert_eq!(c.hosts[RoleClass::Workstation as usize], 2);
        assert_eq!(c.hosts[RoleClass::Database as usize], 1);
        assert_eq!(c.hosts[RoleClass::Unknown as usize], 4);
        assert_eq!(c.unrecognised_hosts, 3);
        assert_eq!(c.unrecognised, vec!["frob\u{1b}[2j".to_string(), "frobnicator".to_string()]);
        let note = c.note().unwrap();
        assert!(note.contains("(3 hosts)") && note.contains("\"frobnicator\""), "{note}");
        assert!(!note.contains('\u{1b}'), "control characters are escaped: {note}");
        let (clean, _) = Inventory::new(vec![host("a", "ws")], vec![], vec![]);
        assert_eq!(clean.role_census().note(), None);
    }

    proptest::proptest! {
        /// Any role reads without panicking, and its reading does not depend on case.
        #[test]
        fn any_role_reads(role in "\\PC{0,40}") {
            let a = read_role(&role);
            let b = read_role(&role.to_uppercase());
            if role.is_ascii() {
                proptest::prop_assert_eq!(a, b);
            }
        }
    }
}
