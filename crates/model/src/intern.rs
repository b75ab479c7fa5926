//! Interning: strings to dense `u32` ids, id 0 reserved for "none".

use ahash::AHashMap;

/// A string interner with dense ids starting at 1. Ids are assigned in first-seen order, so
/// the same sequence of inserts always gives the same ids.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Interner {
    map: AHashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    pub fn new() -> Interner {
        Interner::default()
    }
    /// The id of `s`, inserting it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.map.get(s) {
            return id;
        }
        self.names.push(s.into());
        let id = self.names.len() as u32;
        self.map.insert(s.into(), id);
        id
    }
    pub fn get(&self, s: &str) -> Option<u32> {
        self.map.get(s).copied()
    }
    /// The string of `id`; `None` for [`crate::NONE`] or an unknown id.
    pub fn name(&self, id: u32) -> Option<&str> {
        if id == 0 {
            return None;
        }
        self.names.get(id as usize - 1).map(|s| &**s)
    }
    pub fn len(&self) -> usize {
        self.names.len()
    }
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// `(id, string)` in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.names.iter().enumerate().map(|(i, s)| (i as u32 + 1, &**s))
    }
}

/// The case-insensitive key hosts and accounts are compared by.
pub fn fold_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The key a domain is compared by: its first DNS label, lower case, so the Kerberos realm
/// `CORP.EXAMPLE` and the NetBIOS domain `CORP` are one domain.
pub fn fold_domain(d: &str) -> String {
    let d = d.trim();
    d.split('.').next().unwrap_or(d).to_lowercase()
}

/// An account: a user name and, where the source gives one, its domain.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Account {
    pub name: String,
    pub domain: Option<String>,
}

impl Account {
    /// `name@domain` or `name`.
    pub fn display(&self) -> String {
        match &self.domain {
            Some(d) => format!("{}@{}", self.name, d),
            None => self.name.clone(),
        }
    }
    /// Machine accounts end in `$` (Windows computer accounts: `WS06$`).
    pub fn is_machine(&self) -> bool {
        self.name.ends_with('$')
    }
}

/// The case's accounts. Names and domains compare case-insensitively (Windows and LANL
/// accounts are case-insensitive; Linux names differing only in case are vanishingly rare),
/// and a domain's FQDN and NetBIOS forms are one domain ([`fold_domain`]); the spelling kept
/// is the first one seen.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct AccountTable {
    map: AHashMap<(String, String), u32>,
    accounts: Vec<Account>,
}

impl AccountTable {
    pub fn new() -> AccountTable {
        AccountTable::default()
    }
    pub fn intern(&mut self, name: &str, domain: Option<&str>) -> u32 {
        let domain = domain.map(str::trim).filter(|d| !d.is_empty());
        let key = (fold_key(name), domain.map(fold_domain).unwrap_or_default());
        if let Some(&id) = self.map.get(&key) {
            return id;
        }
        self.accounts
            .push(Account { name: name.trim().to_string(), domain: domain.map(str::to_string) });
        let id = self.accounts.len() as u32;
        self.map.insert(key, id);
        id
    }
    pub fn get(&self, id: u32) -> Option<&Account> {
        if id == 0 {
            return None;
        }
        self.accounts.get(id as usize - 1)
    }
    /// Accounts with this name, in any domain.
    pub fn find_by_name(&self, name: &str) -> Vec<u32> {
        let k = fold_key(name);
        let mut v: Vec<u32> =
            self.map.iter().filter(|((n, _), _)| *n == k).map(|(_, &id)| id).collect();
        v.sort_unstable();
        v
    }
    pub fn len(&self) -> usize {
        self.accounts.len()
    }
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Account)> {
        self.accounts.iter().enumerate().map(|(i, a)| (i as u32 + 1, a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_ids_are_dense_and_stable() {
        let mut i = Interner::new();
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.intern("b"), 2);
        assert_eq!(i.intern("a"), 1);
        assert_eq!(i.name(2), Some("b"));
        assert_eq!(i.name(0), None);
    }

    #[test]
    fn accounts_fold_case_keep_first_spelling() {
        let mut t = AccountTable::new();
        let a = t.intern("PGustavo", Some("THESHIRE"));
        let b = t.intern("pgustavo", Some("theshire"));
        let c = t.intern("pgustavo", None);
        assert_eq!(
            t.intern("pgustavo", Some("theshire.local")),
            a,
            "realm and NetBIOS domain are one"
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(t.get(a).unwrap().display(), "PGustavo@THESHIRE");
        assert!(t.intern("C625$", Some("DOM1")) > 0);
        assert!(t.get(3).unwrap().is_machine());
    }
}
