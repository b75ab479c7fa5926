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
}
