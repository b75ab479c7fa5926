//! Baseline cases have their own ids: translate them into the case being examined, by name.

use ahash::AHashMap;
use hopscope_model::{fold_key, Catalog, EventTable, NONE};

/// Id translation from one case's catalog to another's. Hosts, accounts and auth labels the
/// target does not know become [`NONE`]: history about them cannot matter to the target's
/// events, except through aggregate counts (country pairs), which lose those rows.
#[derive(Clone, Debug, Default)]
pub struct IdRemap {
    hosts: Vec<u32>,
    accounts: Vec<u32>,
    auths: Vec<u32>,
}

impl IdRemap {
    pub fn new(from: &Catalog, to: &Catalog) -> IdRemap {
        let hosts =
            from.hosts.iter().map(|(_, r)| to.hosts.find(&r.name).unwrap_or(NONE)).collect();
        let by_key: AHashMap<(String, String), u32> = to
            .accounts
            .iter()
            .map(|(id, a)| {
                ((fold_key(&a.name), a.domain.as_deref().map(fold_key).unwrap_or_default()), id)
            })
            .collect();
        let accounts = from
            .accounts
            .iter()
            .map(|(_, a)| {
                let key =
                    (fold_key(&a.name), a.domain.as_deref().map(fold_key).unwrap_or_default());
                by_key.get(&key).copied().unwrap_or(NONE)
            })
            .collect();
        let auths = from.auths.iter().map(|(_, l)| to.auths.get(l).unwrap_or(NONE)).collect();
        IdRemap { hosts, accounts, auths }
    }

    fn map(v: &[u32], id: u32) -> u32 {
        if id == 0 {
            return NONE;
        }
        v.get(id as usize - 1).copied().unwrap_or(NONE)
    }

    /// `events` with host, account and auth ids translated (addresses and sources are not:
    /// detection does not use them).
    pub fn apply(&self, events: &EventTable) -> EventTable {
        let mut t = events.clone();
        for h in t.src_host.iter_mut().chain(t.dst_host.iter_mut()) {
            *h = IdRemap::map(&self.hosts, *h);
        }
        for a in t.user.iter_mut().chain(t.src_user.iter_mut()) {
            *a = IdRemap::map(&self.accounts, *a);
        }
        for a in t.auth.iter_mut() {
            *a = IdRemap::map(&self.auths, *a);
        }
        t
    }
}
