//! The case's hosts: every machine an event names, resolved against the inventory.

use std::net::IpAddr;

use ahash::AHashMap;

use crate::inventory::{canonical_ip, AddressClass, Inventory};

/// The name of the pseudo-host that stands for every address outside our ranges.
pub const INTERNET: &str = "internet";

/// How a host came to be in the case.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[repr(u8)]
pub enum HostKind {
    /// A row of `hosts.csv`.
    Inventory = 1,
    /// Named by a log, not in the inventory.
    Named = 2,
    /// Known only by an address inside our ranges (a site or a private range). One host per
    /// address, the address its name: whether the address is a machine's or an address pool's
    /// (DHCP, VPN, VDI, NAT) shows only in what it does, and the engine learns it
    /// (docs/formats.md#address-pools).
    Address = 3,
    /// The pseudo-host `internet`.
    Internet = 4,
}

impl HostKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HostKind::Inventory => "inventory",
            HostKind::Named => "named",
            HostKind::Address => "address",
            HostKind::Internet => "internet",
        }
    }
    pub fn parse(s: &str) -> Option<HostKind> {
        [HostKind::Inventory, HostKind::Named, HostKind::Address, HostKind::Internet]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One host of the case.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HostRecord {
    /// Display name: the inventory's spelling, else the short name as first seen, else the
    /// address, else `internet`.
    pub name: String,
    pub kind: HostKind,
    /// Index into the inventory's hosts, when it is one.
    pub inventory: Option<u32>,
    pub site: Option<String>,
    pub country: Option<String>,
}

/// Fold a host name to the key it is compared by: the first DNS label, lower case, with
/// `\\` prefixes and a trailing dot removed. `None` for empty names, `-`, and addresses.
///
/// `WS06.corp.example`, `ws06` and `\\WS06` are one host.
pub fn fold_host_name(name: &str) -> Option<String> {
    let n = name.trim().trim_start_matches('\\').trim_end_matches('.');
    if n.is_empty() || n == "-" || n == "?" || n.parse::<IpAddr>().is_ok() {
        return None;
    }
    let short = n.split('.').next().unwrap_or(n);
    if short.is_empty() {
        return None;
    }
    Some(short.to_lowercase())
}

/// The case's host table and the rules that map a (name, address) pair to one host.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct HostDirectory {
    records: Vec<HostRecord>,
    by_key: AHashMap<String, u32>,
}

impl HostDirectory {
    pub fn new() -> HostDirectory {
        HostDirectory::default()
    }

    /// Rebuild from stored records (ids are positions + 1).
    pub fn from_records(records: Vec<HostRecord>) -> HostDirectory {
        let mut d = HostDirectory::default();
        for r in records {
            let key = HostDirectory::key_of(&r);
            d.records.push(r);
            d.by_key.insert(key, d.records.len() as u32);
        }
        d
    }

    fn key_of(r: &HostRecord) -> String {
        match r.kind {
            HostKind::Address => format!("@{}", r.name),
            HostKind::Internet => "#internet".into(),
            _ => fold_host_name(&r.name).unwrap_or_else(|| r.name.to_lowercase()),
        }
    }

    fn insert(&mut self, key: String, make: impl FnOnce() -> HostRecord) -> u32 {
        if let Some(&id) = self.by_key.get(&key) {
            return id;
        }
        self.records.push(make());
        let id = self.records.len() as u32;
        self.by_key.insert(key, id);
        id
    }

    fn inventory_host(&mut self, inv: &Inventory, i: usize) -> u32 {
        let h = &inv.hosts[i];
        let key = fold_host_name(&h.name).unwrap_or_else(|| h.name.to_lowercase());
        self.insert(key, || HostRecord {
            name: h.name.clone(),
            kind: HostKind::Inventory,
            inventory: Some(i as u32),
            site: non_empty(&h.site),
            country: non_empty(&h.country)
                .or_else(|| inv.country_of_site(&h.site).map(str::to_string)),
        })
    }

    /// The id of the host `r` stands for, adding `r` when no host of this directory has its
    /// key: what merging another case's hosts into this one does. A host both hold keeps this
    /// directory's record (its first spelling), as resolving it again would.
    pub fn adopt(&mut self, r: &HostRecord) -> u32 {
        self.insert(HostDirectory::key_of(r), || r.clone())
    }

    /// Register every inventory host, so that hosts that never log still appear.
    pub fn add_inventory(&mut self, inv: &Inventory) {
        for i in 0..inv.hosts.len() {
            self.inventory_host(inv, i);
        }
    }

    /// The host an event names by `name` and/or `ip`; [`crate::NONE`] when neither says
    /// anything (or the address is loopback and no name is given: the caller decides
    /// which host "itself" is).
    ///
    /// Rules, first match wins: a name the inventory knows; an address the inventory knows;
    /// any other name (with the site its address falls in); an address in a site or private
    /// range (a host named by its address); any other address is `internet`.
    pub fn resolve(&mut self, inv: &Inventory, name: Option<&str>, ip: Option<IpAddr>) -> u32 {
        let key = name.and_then(fold_host_name);
        // A "name" that is really an address is treated as the address.
        let ip = ip.or_else(|| name.and_then(|n| n.trim().parse::<IpAddr>().ok()));
        let ip = ip.map(canonical_ip);
        if let Some(k) = &key {
            if let Some(i) = inv.host_by_name(k) {
                return self.inventory_host(inv, i);
            }
        }
        let class = ip.map(|ip| inv.classify(ip));
        if let Some(AddressClass::Host(i)) = class {
            return self.inventory_host(inv, i);
        }
        if let Some(k) = key {
            let raw = name.unwrap_or_default().trim().trim_start_matches('\\');
            let short = raw.split('.').next().unwrap_or(raw).to_string();
            let site = match class {
                Some(AddressClass::Site(s)) => Some(&inv.sites[s]),
                _ => None,
            };
            return self.insert(k, || HostRecord {
                name: short,
                kind: HostKind::Named,
                inventory: None,
                site: site.map(|s| s.site.clone()),
                country: site.map(|s| s.country.clone()),
            });
        }
        match (ip, class) {
            (Some(ip), Some(AddressClass::Site(s))) => {
                let site = &inv.sites[s];
                self.insert(format!("@{ip}"), || HostRecord {
                    name: ip.to_string(),
                    kind: HostKind::Address,
                    inventory: None,
                    site: Some(site.site.clone()),
                    country: Some(site.country.clone()),
                })
            }
            (Some(ip), Some(AddressClass::Private)) => {
                self.insert(format!("@{ip}"), || HostRecord {
                    name: ip.to_string(),
                    kind: HostKind::Address,
                    inventory: None,
                    site: None,
                    country: None,
                })
            }
            (Some(_), Some(AddressClass::Internet)) => self.internet(),
            _ => crate::NONE,
        }
    }

    /// The pseudo-host `internet`.
    pub fn internet(&mut self) -> u32 {
        self.insert("#internet".into(), || HostRecord {
            name: INTERNET.into(),
            kind: HostKind::Internet,
            inventory: None,
            site: None,
            country: None,
        })
    }

    pub fn get(&self, id: u32) -> Option<&HostRecord> {
        if id == 0 {
            return None;
        }
        self.records.get(id as usize - 1)
    }
    pub fn name(&self, id: u32) -> Option<&str> {
        self.get(id).map(|r| r.name.as_str())
    }
    /// Find a host by a user-typed name (folded) or address string.
    pub fn find(&self, name: &str) -> Option<u32> {
        if let Some(k) = fold_host_name(name) {
            if let Some(&id) = self.by_key.get(&k) {
                return Some(id);
            }
        }
        if name.trim().eq_ignore_ascii_case(INTERNET) {
            return self.by_key.get("#internet").copied();
        }
        name.trim()
            .parse::<IpAddr>()
            .ok()
            .and_then(|ip| self.by_key.get(&format!("@{}", canonical_ip(ip))).copied())
    }
    pub fn len(&self) -> usize {
        self.records.len()
    }
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, &HostRecord)> {
        self.records.iter().enumerate().map(|(i, r)| (i as u32 + 1, r))
    }
    pub fn records(&self) -> &[HostRecord] {
        &self.records
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{InventoryHost, Site};

    fn inv() -> Inventory {
        Inventory::new(
            vec![InventoryHost {
                name: "WS06".into(),
                ips: vec!["10.1.0.6".parse().unwrap()],
                site: "tokyo".into(),
                ..Default::default()
            }],
            vec![Site {
                cidr: "10.1.0.0/16".parse().unwrap(),
                site: "tokyo".into(),
                country: "Japan".into(),
            }],
            vec![],
        )
        .0
    }

    #[test]
    fn fold() {
        assert_eq!(fold_host_name("WS06.corp.example").as_deref(), Some("ws06"));
        assert_eq!(fold_host_name("\\\\WS06").as_deref(), Some("ws06"));
        assert_eq!(fold_host_name("10.0.0.1"), None);
        assert_eq!(fold_host_name("-"), None);
    }

    #[test]
    fn resolution_rules() {
        let inv = inv();
        let mut d = HostDirectory::new();
        let a = d.resolve(&inv, Some("ws06.corp.example"), None);
        let b = d.resolve(&inv, None, Some("::ffff:10.1.0.6".parse().unwrap()));
        let c = d.resolve(&inv, Some("WS06"), Some("8.8.8.8".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(a, c);
        let r = d.get(a).unwrap();
        assert_eq!((r.kind, r.country.as_deref()), (HostKind::Inventory, Some("Japan")));

        let n = d.resolve(&inv, Some("C625"), Some("10.1.7.7".parse().unwrap()));
        assert_eq!(d.get(n).unwrap().site.as_deref(), Some("tokyo"));
        assert_eq!(d.resolve(&inv, Some("c625.dom1"), None), n);

        let s = d.resolve(&inv, None, Some("10.1.9.9".parse().unwrap()));
        assert_eq!(d.get(s).unwrap().kind, HostKind::Address);
        assert_eq!(d.get(s).unwrap().country.as_deref(), Some("Japan"));

        let i1 = d.resolve(&inv, None, Some("8.8.8.8".parse().unwrap()));
        let i2 = d.resolve(&inv, Some("1.2.3.4"), None);
        assert_eq!(i1, i2);
        assert_eq!(d.name(i1), Some(INTERNET));
        assert_eq!(d.resolve(&inv, None, Some("127.0.0.1".parse().unwrap())), crate::NONE);
        assert_eq!(d.find("WS06.corp.example"), Some(a));
        assert_eq!(d.find("10.1.9.9"), Some(s));
    }
}
