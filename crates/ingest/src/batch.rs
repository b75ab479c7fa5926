//! Parsers fill a [`BatchBuilder`] with borrowed strings; the batch interns them locally so
//! parsing runs in parallel without shared state. [`absorb`] later maps local ids to the
//! case's global ids, in input order, which keeps ids deterministic.

use std::net::IpAddr;

use ahash::AHashMap;
use hopscope_model::{
    canonical_ip, Catalog, EventFlags, EventTable, Inventory, LogonType, Orientation, Outcome,
    Position, SourceFormat, Time, NONE,
};

use crate::problems::{LineError, ProblemKind};

/// One event as a parser sees it: borrowed strings, nothing resolved yet.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawEvent<'a> {
    pub time: Time,
    pub src_host: Option<&'a str>,
    pub src_ip: Option<&'a str>,
    pub dst_host: Option<&'a str>,
    pub dst_ip: Option<&'a str>,
    pub user: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub src_user: Option<&'a str>,
    pub src_domain: Option<&'a str>,
    pub auth: Option<&'a str>,
    pub logon_type: LogonType,
    pub outcome: Outcome,
    pub orientation: Orientation,
    pub event_id: u16,
    pub flags: EventFlags,
    /// The format the event was first read from, when the input is a re-export.
    pub format: Option<SourceFormat>,
    /// The file the evidence position refers to, when it is not the input itself
    /// (normalised input citing its original source).
    pub evidence_file: Option<&'a str>,
}

/// A ground-truth label carried by an input (LANL `redteam.txt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLabel {
    pub time: Time,
    pub user: u32,
    pub src_host: u32,
    pub dst_host: u32,
    pub label: String,
    /// Evidence source id (set when the batch is absorbed).
    pub source: u32,
    pub position: Position,
}

/// A parsed piece of one input, with ids local to it.
#[derive(Debug, Default)]
pub struct Batch {
    pub format: SourceFormat,
    /// Columns hold local ids: `src_host`/`dst_host` index `host_names`, `*_ip` index
    /// `addresses`, `user`/`src_user` index `accounts`, `auth` indexes `auths`.
    pub events: EventTable,
    pub labels: Vec<RawLabel>,
    pub host_names: Vec<String>,
    pub addresses: Vec<IpAddr>,
    pub accounts: Vec<(String, Option<String>)>,
    pub auths: Vec<String>,
    /// Evidence files other than the input (local source ids, 1-based; 0 = this input).
    pub evidence_files: Vec<String>,
    /// Problems with positions relative to this batch's input piece.
    pub problems: Vec<(Position, LineError)>,
    /// Lines (or records) seen, whether used or not.
    pub lines: u64,
    /// Lines that are not authentication events (other syslog programs, comments, headers).
    pub ignored: u64,
    /// Things worth telling the user once per source ("year inferred from file mtime").
    pub notes: Vec<String>,
}

/// Ids of the strings in a list, hashed by the strings themselves. Keys up to 23 bytes (host
/// names, `user\u{1}domain`, packages: nearly all) are kept inline in the table entry, so a
/// lookup compares within one cache line instead of chasing a pointer to the heap; each new
/// string is allocated once, in the list.
struct LocalIds {
    table: hashbrown::HashTable<Entry>,
    hasher: ahash::RandomState,
}

const INLINE: usize = 23;

#[derive(Clone, Copy)]
struct Entry {
    id: u32,
    /// Key length, or `u8::MAX` when the key is longer than [`INLINE`] (compare via the list).
    len: u8,
    key: [u8; INLINE],
}

impl Entry {
    fn new(id: u32, s: &str) -> Entry {
        let mut key = [0u8; INLINE];
        if s.len() <= INLINE {
            key[..s.len()].copy_from_slice(s.as_bytes());
            Entry { id, len: s.len() as u8, key }
        } else {
            Entry { id, len: u8::MAX, key }
        }
    }
    fn matches(&self, s: &str, list: &[String]) -> bool {
        if self.len == u8::MAX {
            s.len() > INLINE && list[self.id as usize - 1] == s
        } else {
            self.len as usize == s.len() && &self.key[..s.len()] == s.as_bytes()
        }
    }
}

impl LocalIds {
    fn new() -> LocalIds {
        // fixed keys: ids never depend on hashing, but fixed keys keep runs reproducible
        LocalIds { table: hashbrown::HashTable::new(), hasher: ahash::RandomState::with_seeds(1, 2, 3, 4) }
    }
}

fn intern_str(ids: &mut LocalIds, list: &mut Vec<String>, s: &str) -> u32 {
    let hash = ids.hasher.hash_one(s.as_bytes());
    if let Some(e) = ids.table.find(hash, |e| e.matches(s, list)) {
        return e.id;
    }
    list.push(s.to_string());
    let id = list.len() as u32;
    let hasher = &ids.hasher;
    ids.table.insert_unique(hash, Entry::new(id, s), |e| hasher.hash_one(list[e.id as usize - 1].as_bytes()));
    id
}

/// Collects events from a parser, interning strings locally.
pub struct BatchBuilder {
    batch: Batch,
    hosts: LocalIds,
    ips: AHashMap<String, u32>,
    ip_index: AHashMap<IpAddr, u32>,
    accounts: LocalIds,
    /// `name \u{1} domain` of each local account, in id order (the lookup keys).
    account_keys: Vec<String>,
    auths: LocalIds,
    evidence_files: LocalIds,
    key: String,
}


fn present(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty() && *s != "-" && *s != "?")
}

impl BatchBuilder {
    pub fn new(format: SourceFormat) -> BatchBuilder {
        BatchBuilder {
            batch: Batch { format, ..Default::default() },
            hosts: LocalIds::new(),
            ips: AHashMap::new(),
            ip_index: AHashMap::new(),
            accounts: LocalIds::new(),
            account_keys: Vec::new(),
            auths: LocalIds::new(),
            evidence_files: LocalIds::new(),
            key: String::new(),
        }
    }

    fn host(&mut self, s: Option<&str>) -> u32 {
        match present(s) {
            Some(s) => intern_str(&mut self.hosts, &mut self.batch.host_names, s),
            None => NONE,
        }
    }

    /// Local id of an address; an error when it does not parse. Accepts `[v6]`, `v6%zone`.
    pub fn address(&mut self, s: Option<&str>) -> Result<u32, LineError> {
        let Some(s) = present(s) else { return Ok(NONE) };
        if let Some(&id) = self.ips.get(s) {
            return Ok(id);
        }
        let t = s.trim_start_matches('[').trim_end_matches(']');
        let t = t.split('%').next().unwrap_or(t);
        let ip: IpAddr = t
            .parse()
            .map_err(|_| LineError::new(ProblemKind::BadAddress, format!("not an IP address: {s:?}")))?;
        let ip = canonical_ip(ip);
        let id = match self.ip_index.get(&ip) {
            Some(&id) => id,
            None => {
                self.batch.addresses.push(ip);
                let id = self.batch.addresses.len() as u32;
                self.ip_index.insert(ip, id);
                id
            }
        };
        self.ips.insert(s.to_string(), id);
        Ok(id)
    }

    fn account(&mut self, name: Option<&str>, domain: Option<&str>) -> u32 {
        let Some(name) = present(name) else { return NONE };
        let domain = present(domain);
        // one reusable key buffer: no allocation on the hot path
        self.key.clear();
        self.key.push_str(name);
        self.key.push('\u{1}');
        self.key.push_str(domain.unwrap_or(""));
        let before = self.account_keys.len();
        let id = intern_str(&mut self.accounts, &mut self.account_keys, &self.key);
        if self.account_keys.len() > before {
            self.batch.accounts.push((name.to_string(), domain.map(str::to_string)));
        }
        id
    }

    /// Local id of an account (for labels).
    pub fn account_id(&mut self, name: Option<&str>, domain: Option<&str>) -> u32 {
        self.account(name, domain)
    }
    /// Local id of a host name (for labels).
    pub fn host_id(&mut self, name: Option<&str>) -> u32 {
        self.host(name)
    }

    /// Add one event. Fails (and adds nothing) only when an address does not parse.
    pub fn push(&mut self, e: &RawEvent<'_>, position: Position) -> Result<(), LineError> {
        let src_ip = self.address(e.src_ip)?;
        let dst_ip = self.address(e.dst_ip)?;
        let src_host = self.host(e.src_host);
        let dst_host = self.host(e.dst_host);
        let user = self.account(e.user, e.domain);
        let src_user = self.account(e.src_user, e.src_domain);
        let auth = match present(e.auth) {
            Some(a) => intern_str(&mut self.auths, &mut self.batch.auths, a),
            None => NONE,
        };
        let source = match present(e.evidence_file) {
            Some(f) => intern_str(&mut self.evidence_files, &mut self.batch.evidence_files, f),
            None => 0,
        };
        self.batch.events.push(&hopscope_model::Event {
            time: e.time,
            src_host,
            src_ip,
            dst_host,
            dst_ip,
            user,
            src_user,
            auth,
            logon_type: e.logon_type,
            outcome: e.outcome,
            orientation: e.orientation,
            format: e.format.unwrap_or(self.batch.format),
            event_id: e.event_id,
            flags: e.flags,
            evidence: hopscope_model::Evidence { source, position },
        });
        Ok(())
    }

    pub fn push_label(&mut self, label: RawLabel) {
        self.batch.labels.push(label);
    }
    pub fn problem(&mut self, position: Position, err: LineError) {
        self.batch.problems.push((position, err));
    }
    pub fn note(&mut self, note: impl Into<String>) {
        let n = note.into();
        if !self.batch.notes.contains(&n) {
            self.batch.notes.push(n);
        }
    }
    pub fn count_line(&mut self) {
        self.batch.lines += 1;
    }
    pub fn count_ignored(&mut self) {
        self.batch.ignored += 1;
    }
    pub fn len(&self) -> usize {
        self.batch.events.len()
    }
    pub fn is_empty(&self) -> bool {
        self.batch.events.is_empty()
    }
    pub fn finish(self) -> Batch {
        self.batch
    }
}

/// Map a batch's local ids to the catalog's global ids, resolving hosts through the
/// inventory, and set the evidence source and line offset. Returns the events sorted by time
/// and the labels with global ids.
///
/// A source address that is loopback with no source name means the destination itself.
pub fn absorb(
    batch: &mut Batch,
    catalog: &mut Catalog,
    inventory: &Inventory,
    source: u32,
    line_offset: u64,
) -> (EventTable, Vec<RawLabel>) {
    let addr_global: Vec<u32> =
        batch.addresses.iter().map(|ip| catalog.addresses.intern(&ip.to_string())).collect();
    let account_global: Vec<u32> =
        batch.accounts.iter().map(|(n, d)| catalog.accounts.intern(n, d.as_deref())).collect();
    let auth_global: Vec<u32> = batch.auths.iter().map(|a| catalog.auths.intern(a)).collect();
    let file_global: Vec<u32> = batch.evidence_files.iter().map(|f| catalog.sources.intern(f)).collect();
    let map = |v: &[u32], id: u32| if id == NONE { NONE } else { v[id as usize - 1] };

    let mut host_cache: AHashMap<(u32, u32), u32> = AHashMap::new();
    let mut resolve = |name: u32, ip: u32, catalog: &mut Catalog| -> u32 {
        if name == NONE && ip == NONE {
            return NONE;
        }
        *host_cache.entry((name, ip)).or_insert_with(|| {
            let n = (name != NONE).then(|| batch.host_names[name as usize - 1].as_str());
            let a = (ip != NONE).then(|| batch.addresses[ip as usize - 1]);
            catalog.hosts.resolve(inventory, n, a)
        })
    };

    let mut t = std::mem::take(&mut batch.events);
    for i in 0..t.len() {
        let dst = resolve(t.dst_host[i], t.dst_ip[i], catalog);
        let mut src = resolve(t.src_host[i], t.src_ip[i], catalog);
        if src == NONE && t.src_host[i] == NONE && t.src_ip[i] != NONE {
            // loopback: the host logged on to itself
            src = dst;
        }
        t.dst_host[i] = dst;
        t.src_host[i] = src;
        t.src_ip[i] = map(&addr_global, t.src_ip[i]);
        t.dst_ip[i] = map(&addr_global, t.dst_ip[i]);
        t.user[i] = map(&account_global, t.user[i]);
        t.src_user[i] = map(&account_global, t.src_user[i]);
        t.auth[i] = map(&auth_global, t.auth[i]);
        if t.source[i] == 0 {
            t.source[i] = source;
            if t.flags[i] & EventFlags::RECORD.0 == 0 {
                t.position[i] += line_offset;
            }
        } else {
            // evidence cited by a re-exported row: kept as it was
            t.source[i] = file_global[t.source[i] as usize - 1];
        }
    }
    t.sort_by_time();

    let mut labels = std::mem::take(&mut batch.labels);
    for l in &mut labels {
        l.user = map(&account_global, l.user);
        l.source = source;
        l.src_host = resolve(l.src_host, NONE, catalog);
        l.dst_host = resolve(l.dst_host, NONE, catalog);
        if let Position::Line(n) = &mut l.position {
            *n += line_offset;
        }
    }
    (t, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_ids_become_global_ids() {
        let inv = Inventory::default();
        let mut cat = Catalog::default();
        let mut b = BatchBuilder::new(SourceFormat::Lanl);
        let ev = RawEvent {
            time: Time(2),
            src_host: Some("C1"),
            dst_host: Some("c2.dom"),
            user: Some("U1"),
            domain: Some("DOM1"),
            auth: Some("NTLM"),
            ..Default::default()
        };
        b.push(&ev, Position::Line(1)).unwrap();
        b.push(&RawEvent { time: Time(1), src_host: None, src_ip: Some("::ffff:127.0.0.1"), dst_host: Some("C2"), ..ev }, Position::Line(2))
            .unwrap();
        assert!(b.push(&RawEvent { src_ip: Some("999.1.1.1"), ..ev }, Position::Line(3)).is_err());
        let mut batch = b.finish();
        let (t, _) = absorb(&mut batch, &mut cat, &inv, 7, 100);
        assert_eq!(t.len(), 2);
        // sorted by time: the loopback event first, its source is the destination itself
        assert_eq!(t.src_host[0], t.dst_host[0]);
        assert_eq!(t.position[0], 102);
        assert_eq!(t.source[1], 7);
        assert_eq!(cat.hosts.name(t.src_host[1]), Some("C1"));
        assert_eq!(cat.accounts.get(t.user[1]).unwrap().display(), "U1@DOM1");
        assert_eq!(cat.addresses.name(t.src_ip[0]), Some("127.0.0.1"));
    }
}
