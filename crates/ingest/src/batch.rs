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

/// An event time must be one RFC 3339 can write (years 0000 to 9999): a time outside, from
/// an epoch or an offset too big, is a damaged time, counted; never clamped into range.
pub(crate) fn writable(t: Time) -> Result<(), LineError> {
    if t.is_writable() {
        return Ok(());
    }
    let secs = t.0.div_euclid(1_000_000);
    Err(LineError::new(
        ProblemKind::BadTime,
        format!(
            "time {secs} s from 1970 is {} year {}: beyond what RFC 3339 can write",
            if t.0 < 0 { "before" } else { "after" },
            if t.0 < 0 { "0000" } else { "9999" }
        ),
    ))
}

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
    /// The worker whose [`Dictionary`] the local ids belong to, when it outlives the batch.
    /// Then the lists above hold only the strings new to that dictionary since `base`.
    pub worker: Option<u32>,
    /// Lengths of the dictionary's lists (hosts, addresses, accounts, auths, files) when
    /// the batch began: its first new local id in each is `base + 1`.
    pub base: [u32; 5],
}

/// Ids of the strings in a list. Keys up to 23 bytes (host names, `user\u{1}domain`,
/// packages: nearly all) are packed into three words ([`Packed`]), hashed from them and kept
/// inline in the table, so a probe compares words within one cache line.
///
/// A lookup in a table of tens of thousands of names is mostly a wait for memory, so the
/// table is plain open addressing with linear probing over 32-byte slots: the slot a key
/// hashes to is known from the key alone, which lets a parser prefetch it a few lines
/// ahead ([`LocalIds::prefetch`]) and overlap those waits. Each new string is allocated
/// once, in the list.
struct LocalIds {
    /// Power of two long (or empty), at most half full.
    slots: Vec<Slot>,
}

/// One slot of a [`LocalIds`] table: the packed key and its id (0 = empty). Aligned to
/// 32 bytes so that a slot never straddles two cache lines.
#[derive(Clone, Copy, Default)]
#[repr(C, align(32))]
struct Slot {
    key: Packed,
    id: u32,
}

const INLINE: usize = 23;

/// A key packed for comparison: byte 0 is the length (`u8::MAX` when longer than
/// [`INLINE`]), bytes 1..24 the key, zero-padded. Equal keys pack to equal words, so a
/// probe compares three words instead of calling `memcmp`.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Packed([u64; 3]);

impl Packed {
    /// Packed from the key's bytes with a few overlapping word loads: no byte-by-byte copy
    /// through memory, whose narrow stores would stall the wide loads that follow.
    #[inline(always)]
    fn new(s: &[u8]) -> Packed {
        let n = s.len();
        if n > INLINE {
            return Packed([u64::from(u8::MAX), 0, 0]);
        }
        let (a, b) = (n.min(7), n.min(15));
        Packed([n as u64 | le(&s[..a]) << 8, le(&s[a..b]), le(&s[b..])])
    }

    /// `name \u{1} domain` packed, as [`Packed::new`] packs the joined key; `None` when
    /// it is too long to pack. Put together from word loads and shifts of the two parts:
    /// joining them in a buffer first (narrow stores read back as words) stalled on every
    /// account.
    #[inline(always)]
    fn account(name: &[u8], domain: &[u8]) -> Option<Packed> {
        let (n, len) = (name.len(), name.len() + 1 + domain.len());
        if len > INLINE {
            return None;
        }
        let [a, b, c] = shl_bytes(words(name), 1);
        let [d, e, f] = shl_bytes([1, 0, 0], n + 1);
        let [g, h, i] = shl_bytes(words(domain), n + 2);
        Some(Packed([len as u64 | a | d | g, b | e | h, c | f | i]))
    }

    fn is_long(&self) -> bool {
        self.0[0] as u8 == u8::MAX
    }

    /// Hash of the key `s` packed as `self`: a folded multiply of the words, or of a hash
    /// of the whole key when it is too long to pack. Fixed constants: ids never depend on
    /// hashing, but fixed hashes keep runs reproducible.
    #[inline(always)]
    fn hash(&self, s: &[u8]) -> u64 {
        #[inline]
        fn fold(a: u64, b: u64) -> u64 {
            let r = u128::from(a).wrapping_mul(u128::from(b));
            (r as u64) ^ ((r >> 64) as u64)
        }
        let [a, b, c] = self.0;
        let b = if self.is_long() { long_hash(s) } else { b };
        let h = fold(a ^ 0x243f_6a88_85a3_08d3, b ^ 0x1319_8a2e_0370_7344);
        fold(h ^ 0xa409_3822_299f_31d0, c ^ 0x082e_fa98_ec4e_6c89)
    }
}

#[cold]
fn long_hash(s: &[u8]) -> u64 {
    ahash::RandomState::with_seeds(1, 2, 3, 4).hash_one(s)
}

/// Up to 24 bytes as three little-endian words, zero-padded.
#[inline(always)]
fn words(s: &[u8]) -> [u64; 3] {
    let n = s.len().min(24);
    let (a, b) = (n.min(8), n.min(16));
    [le(&s[..a]), le(&s[a..b]), le(&s[b..n])]
}

/// Three little-endian words (24 bytes) shifted `k` bytes towards the high end: the bytes
/// moved past the 24th are lost.
#[inline(always)]
fn shl_bytes(w: [u64; 3], k: usize) -> [u64; 3] {
    let r = (k % 8) as u32 * 8;
    // the bits a word passes to the next: `x >> (64 - r)`, and nothing when `r` is 0
    let carry = |x: u64| (x >> 1) >> (63 - r);
    let [x, y, z] = w;
    match k / 8 {
        0 => [x << r, y << r | carry(x), z << r | carry(y)],
        1 => [0, x << r, y << r | carry(x)],
        2 => [0, 0, x << r],
        _ => [0, 0, 0],
    }
}

/// The `n` (at most 8) bytes `line[at..at + n]` as a little-endian word, zero-padded: one
/// load of a whole word of `line` around them, masked or shifted, when `line` holds one.
#[inline(always)]
fn le_in(line: &[u8], at: usize, n: usize) -> u64 {
    let n = n.min(8);
    if let Some(w) = line.get(at..at + 8) {
        let mask = u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0);
        return u64::from_le_bytes(w.try_into().expect("8 bytes")) & mask;
    }
    let end = at + n;
    match end.checked_sub(8).and_then(|from| line.get(from..end)) {
        Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes"))
            .checked_shr(8 * (8 - n) as u32)
            .unwrap_or(0),
        None => line.get(at..end).map_or(0, le),
    }
}

/// Up to 8 bytes as a little-endian word, zero-padded.
#[inline(always)]
fn le(s: &[u8]) -> u64 {
    match *s {
        [] => 0,
        [a] => u64::from(a),
        [a, b] => u64::from(a) | u64::from(b) << 8,
        [a, b, c] => u64::from(a) | u64::from(b) << 8 | u64::from(c) << 16,
        [a, b, c, d, ..] if s.len() < 8 => {
            let n = s.len();
            let [e, f, g, h] = [s[n - 4], s[n - 3], s[n - 2], s[n - 1]];
            u64::from(u32::from_le_bytes([a, b, c, d]))
                | u64::from(u32::from_le_bytes([e, f, g, h])) << (8 * (n - 4))
        }
        [a, b, c, d, e, f, g, h, ..] => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

impl LocalIds {
    fn new() -> LocalIds {
        LocalIds { slots: Vec::new() }
    }

    /// Ask the CPU to bring in the slot where a key of hash `hash` is probed first, so that
    /// a lookup a little later finds it in cache. Only a hint: no effect on results.
    #[inline]
    fn prefetch(&self, hash: u64) {
        if let Some(slot) = self.slots.get(hash as usize & self.slots.len().wrapping_sub(1)) {
            prefetch(slot);
        }
    }

    /// Double the slots (16 at first) and place every key again.
    fn grow(&mut self, list: &[String]) {
        let n = (self.slots.len() * 2).max(16);
        let mut slots = vec![Slot::default(); n];
        for e in self.slots.iter().filter(|e| e.id != 0) {
            let mut i = e.key.hash(list[e.id as usize - 1].as_bytes()) as usize & (n - 1);
            while slots[i].id != 0 {
                i = (i + 1) & (n - 1);
            }
            slots[i] = *e;
        }
        self.slots = slots;
    }
}

#[inline]
fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and has no effect on memory contents; SSE, which it
    // needs, is part of every x86_64 CPU.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(
            (p as *const T).cast::<i8>(),
        )
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// The id of the name whose key is `key` (never a long one: see [`NameKey`]), or a new id
/// for it, its string made by `s` and pushed to `list`. Same ids as [`intern_str`] gives the
/// name's string.
#[inline]
fn intern_key(
    ids: &mut LocalIds,
    list: &mut Vec<String>,
    key: &NameKey,
    s: impl FnOnce() -> String,
) -> u32 {
    if list.len() * 2 >= ids.slots.len() {
        ids.grow(list);
    }
    let mask = ids.slots.len() - 1;
    let mut i = key.hash as usize & mask;
    loop {
        let e = &ids.slots[i];
        if e.id == 0 {
            break;
        }
        if e.key == key.packed {
            return e.id;
        }
        i = (i + 1) & mask;
    }
    list.push(s());
    let id = list.len() as u32;
    ids.slots[i] = Slot { key: key.packed, id };
    id
}

/// The lookup key of a short name (at most [`INLINE`] bytes: host names, `user\u{1}domain`),
/// packed and hashed once by a parser (in its [`LineParser::hint`](crate::LineParser::hint)),
/// then used both to prefetch the name's slot and to look it up, without hashing it again.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct NameKey {
    packed: Packed,
    hash: u64,
}

impl NameKey {
    /// The key of host name `name`, as given (already trimmed and present); `None` when it is
    /// too long to pack.
    #[inline(always)]
    pub fn host(name: &[u8]) -> Option<NameKey> {
        (name.len() <= INLINE).then(|| {
            let packed = Packed::new(name);
            NameKey { packed, hash: packed.hash(&[]) }
        })
    }

    /// [`NameKey::host`] of `line[at..at + n]`, packed from whole words of `line` (masked):
    /// no per-length dispatch over the name's bytes.
    #[inline(always)]
    pub fn host_in(line: &[u8], at: usize, n: usize) -> Option<NameKey> {
        if n > INLINE || at + n > line.len() {
            return None;
        }
        let (n0, n1) = (n.min(7), n.min(15) - n.min(7));
        let packed = Packed([
            n as u64 | le_in(line, at, n0) << 8,
            le_in(line, at + n0, n1),
            le_in(line, at + n0 + n1, n - n0 - n1),
        ]);
        Some(NameKey { packed, hash: packed.hash(&[]) })
    }

    /// [`NameKey::account`] of the name `line[at..at + n]` and the domain `line[d..d + m]`
    /// (`m` 0: none). When the domain follows the name after one byte (`user@domain`), or
    /// there is none, the key is packed from whole words of `line` with that byte made the
    /// separator; otherwise from the parts.
    #[inline(always)]
    pub fn account_in(line: &[u8], at: usize, n: usize, (d, m): (usize, usize)) -> Option<NameKey> {
        let len = n + 1 + m;
        // without a domain its offset means nothing (it may lie past the end of the line)
        if len > INLINE || at + n > line.len() || (m > 0 && d + m > line.len()) {
            return None;
        }
        if (m > 0 && d != at + n + 1) || at + len > line.len() {
            let domain = if m == 0 { &line[..0] } else { &line[d..d + m] };
            return NameKey::account(&line[at..at + n], domain);
        }
        let (l0, l1) = (len.min(7), len.min(15) - len.min(7));
        let mut w = [
            len as u64 | le_in(line, at, l0) << 8,
            le_in(line, at + l0, l1),
            le_in(line, at + l0 + l1, len - l0 - l1),
        ];
        // the byte after the name is the separator: packed byte n + 1
        let (i, shift) = ((n + 1) / 8, (n + 1) % 8 * 8);
        w[i] = w[i] & !(0xff << shift) | 1 << shift;
        let packed = Packed(w);
        Some(NameKey { packed, hash: packed.hash(&[]) })
    }

    /// The key of account `name@domain` (a domain of `""`: none), as given; `None` when it is
    /// too long to pack.
    #[inline(always)]
    pub fn account(name: &[u8], domain: &[u8]) -> Option<NameKey> {
        Packed::account(name, domain).map(|packed| NameKey { packed, hash: packed.hash(&[]) })
    }
}

/// A host or account name of a [`KeyedEvent`]: its key and its text.
#[derive(Clone, Copy)]
pub struct KeyedName<'a> {
    pub key: NameKey,
    pub name: &'a str,
    /// An account's domain; `None` for hosts and accounts without one.
    pub domain: Option<&'a str>,
}

/// An event whose names were keyed in advance ([`NameKey`]): every name present, trimmed
/// (its first and last bytes visible ASCII) and short. What [`BatchBuilder::push`] makes of
/// the same event as a [`RawEvent`], without hashing a name twice.
#[derive(Clone, Copy)]
pub struct KeyedEvent<'a> {
    pub time: Time,
    pub src_host: Option<KeyedName<'a>>,
    pub dst_host: Option<KeyedName<'a>>,
    pub user: Option<KeyedName<'a>>,
    pub src_user: Option<KeyedName<'a>>,
    /// The authentication package, keyed as a host name is.
    pub auth: Option<KeyedName<'a>>,
    pub logon_type: LogonType,
    pub outcome: Outcome,
    pub orientation: Orientation,
}

fn intern_str(ids: &mut LocalIds, list: &mut Vec<String>, s: &str) -> u32 {
    let probe = Packed::new(s.as_bytes());
    let hash = probe.hash(s.as_bytes());
    if list.len() * 2 >= ids.slots.len() {
        ids.grow(list);
    }
    let mask = ids.slots.len() - 1;
    let mut i = hash as usize & mask;
    loop {
        let e = &ids.slots[i];
        if e.id == 0 {
            break;
        }
        if e.key == probe && (!probe.is_long() || list[e.id as usize - 1] == s) {
            return e.id;
        }
        i = (i + 1) & mask;
    }
    list.push(s.to_string());
    let id = list.len() as u32;
    ids.slots[i] = Slot { key: probe, id };
    id
}

/// A parser's local dictionary: the strings its batches name, with dense local ids. A
/// pipeline worker keeps one across every piece it parses, so a name is interned once per
/// worker rather than once per chunk.
pub struct Dictionary {
    hosts: LocalIds,
    host_names: Vec<String>,
    ips: AHashMap<String, u32>,
    ip_index: AHashMap<IpAddr, u32>,
    addresses: Vec<IpAddr>,
    accounts: LocalIds,
    /// `name \u{1} domain` of each local account, in id order (the lookup keys).
    account_keys: Vec<String>,
    account_list: Vec<(String, Option<String>)>,
    auths: LocalIds,
    auth_list: Vec<String>,
    files: LocalIds,
    file_list: Vec<String>,
    key: String,
}

impl Default for Dictionary {
    fn default() -> Dictionary {
        Dictionary {
            hosts: LocalIds::new(),
            host_names: Vec::new(),
            ips: AHashMap::new(),
            ip_index: AHashMap::new(),
            addresses: Vec::new(),
            accounts: LocalIds::new(),
            account_keys: Vec::new(),
            account_list: Vec::new(),
            auths: LocalIds::new(),
            auth_list: Vec::new(),
            files: LocalIds::new(),
            file_list: Vec::new(),
            key: String::new(),
        }
    }
}

impl Dictionary {
    fn lens(&self) -> [u32; 5] {
        [
            self.host_names.len() as u32,
            self.addresses.len() as u32,
            self.account_list.len() as u32,
            self.auth_list.len() as u32,
            self.file_list.len() as u32,
        ]
    }
}

/// Collects events from a parser, interning strings in a [`Dictionary`].
pub struct BatchBuilder {
    batch: Batch,
    dict: Dictionary,
}

fn present(s: Option<&str>) -> Option<&str> {
    s.map(trim).filter(|s| !s.is_empty() && *s != "-" && *s != "?")
}

/// `s` without leading and trailing whitespace, as [`str::trim`], with a shortcut for the
/// usual name that begins and ends with a visible ASCII character (no whitespace is ASCII
/// above the space).
#[inline]
fn trim(s: &str) -> &str {
    let visible = |b: Option<&u8>| matches!(b, Some(&c) if c > b' ' && c < 0x80);
    if visible(s.as_bytes().first()) && visible(s.as_bytes().last()) {
        s
    } else {
        s.trim()
    }
}

impl BatchBuilder {
    /// A builder with a dictionary of its own.
    pub fn new(format: SourceFormat) -> BatchBuilder {
        BatchBuilder { batch: Batch { format, ..Default::default() }, dict: Dictionary::default() }
    }

    /// A builder continuing `worker`'s dictionary; give it back with [`BatchBuilder::finish_keep`].
    pub fn with_dictionary(format: SourceFormat, dict: Dictionary, worker: u32) -> BatchBuilder {
        let base = dict.lens();
        BatchBuilder {
            batch: Batch { format, worker: Some(worker), base, ..Default::default() },
            dict,
        }
    }

    /// Prefetch the table slot of host name `name`, about to be looked up (see
    /// [`LineParser::hint`](crate::LineParser::hint)). Only a hint: no effect on results.
    #[inline]
    pub fn hint_host(&self, name: &[u8]) {
        let p = Packed::new(name);
        self.dict.hosts.prefetch(p.hash(name));
    }

    /// Prefetch the table slot of account `name@domain` (a domain of `""`: none).
    #[inline]
    pub fn hint_account(&self, name: &[u8], domain: &[u8]) {
        if let Some(p) = Packed::account(name, domain) {
            self.dict.accounts.prefetch(p.hash(&[]));
        }
    }

    /// Prefetch the table slot of the host name keyed `key`.
    #[inline]
    pub fn prefetch_host(&self, key: &NameKey) {
        self.dict.hosts.prefetch(key.hash);
    }

    /// Prefetch the table slot of the account keyed `key`.
    #[inline]
    pub fn prefetch_account(&self, key: &NameKey) {
        self.dict.accounts.prefetch(key.hash);
    }

    fn host_keyed(&mut self, h: Option<&KeyedName<'_>>) -> u32 {
        match h {
            Some(h) => intern_key(&mut self.dict.hosts, &mut self.dict.host_names, &h.key, || {
                h.name.to_string()
            }),
            None => NONE,
        }
    }

    fn account_keyed(&mut self, a: Option<&KeyedName<'_>>) -> u32 {
        let Some(a) = a else { return NONE };
        let d = &mut self.dict;
        let before = d.account_keys.len();
        let id = intern_key(&mut d.accounts, &mut d.account_keys, &a.key, || {
            format!("{}\u{1}{}", a.name, a.domain.unwrap_or(""))
        });
        if d.account_keys.len() > before {
            d.account_list.push((a.name.to_string(), a.domain.map(str::to_string)));
        }
        id
    }

    /// Add one event keyed in advance: the same as [`BatchBuilder::push`] of the same event
    /// (same ids, in the same order), with each name hashed once.
    pub fn push_keyed(&mut self, e: &KeyedEvent<'_>, position: Position) -> Result<(), LineError> {
        writable(e.time)?;
        let src_host = self.host_keyed(e.src_host.as_ref());
        let dst_host = match (&e.dst_host, &e.src_host) {
            (Some(d), Some(s)) if d.key == s.key => src_host,
            (d, _) => self.host_keyed(d.as_ref()),
        };
        let user = self.account_keyed(e.user.as_ref());
        let src_user = match (&e.src_user, &e.user) {
            (Some(s), Some(u)) if s.key == u.key => user,
            (s, _) => self.account_keyed(s.as_ref()),
        };
        let auth = match &e.auth {
            Some(a) => intern_key(&mut self.dict.auths, &mut self.dict.auth_list, &a.key, || {
                a.name.to_string()
            }),
            None => NONE,
        };
        self.batch.events.push(&hopscope_model::Event {
            time: e.time,
            src_host,
            src_ip: NONE,
            dst_host,
            dst_ip: NONE,
            user,
            src_user,
            auth,
            logon_type: e.logon_type,
            outcome: e.outcome,
            orientation: e.orientation,
            format: self.batch.format,
            event_id: 0,
            flags: EventFlags::default(),
            evidence: hopscope_model::Evidence { source: 0, position },
        });
        Ok(())
    }

    fn host(&mut self, s: Option<&str>) -> u32 {
        match present(s) {
            Some(s) => intern_str(&mut self.dict.hosts, &mut self.dict.host_names, s),
            None => NONE,
        }
    }

    /// Local id of an address; an error when it does not parse. Accepts `[v6]`, `v6%zone`.
    pub fn address(&mut self, s: Option<&str>) -> Result<u32, LineError> {
        let Some(s) = present(s) else { return Ok(NONE) };
        if let Some(&id) = self.dict.ips.get(s) {
            return Ok(id);
        }
        let t = s.trim_start_matches('[').trim_end_matches(']');
        let t = t.split('%').next().unwrap_or(t);
        let ip: IpAddr = t.parse().map_err(|_| {
            LineError::new(ProblemKind::BadAddress, format!("not an IP address: {s:?}"))
        })?;
        let ip = canonical_ip(ip);
        let d = &mut self.dict;
        let id = match d.ip_index.get(&ip) {
            Some(&id) => id,
            None => {
                d.addresses.push(ip);
                let id = d.addresses.len() as u32;
                d.ip_index.insert(ip, id);
                id
            }
        };
        d.ips.insert(s.to_string(), id);
        Ok(id)
    }

    fn account(&mut self, name: Option<&str>, domain: Option<&str>) -> u32 {
        let Some(name) = present(name) else {
            return NONE;
        };
        let domain = present(domain);
        // one reusable key buffer: no allocation on the hot path
        let d = &mut self.dict;
        d.key.clear();
        d.key.push_str(name);
        d.key.push('\u{1}');
        d.key.push_str(domain.unwrap_or(""));
        let before = d.account_keys.len();
        let id = intern_str(&mut d.accounts, &mut d.account_keys, &d.key);
        if d.account_keys.len() > before {
            d.account_list.push((name.to_string(), domain.map(str::to_string)));
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

    /// Add one event. Fails (and adds nothing) when an address does not parse, or when the
    /// time is one RFC 3339 cannot write (before year 0000 or after 9999).
    pub fn push(&mut self, e: &RawEvent<'_>, position: Position) -> Result<(), LineError> {
        writable(e.time)?;
        let src_ip = self.address(e.src_ip)?;
        let dst_ip = self.address(e.dst_ip)?;
        // a login from a host to itself, or with the same account at both ends, is common
        // (LANL's local logons, machine accounts): one lookup, not two
        let src_host = self.host(e.src_host);
        let dst_host = if e.dst_host == e.src_host { src_host } else { self.host(e.dst_host) };
        let user = self.account(e.user, e.domain);
        let src_user = if (e.src_user, e.src_domain) == (e.user, e.domain) {
            user
        } else {
            self.account(e.src_user, e.src_domain)
        };
        let auth = match present(e.auth) {
            Some(a) => intern_str(&mut self.dict.auths, &mut self.dict.auth_list, a),
            None => NONE,
        };
        let source = match present(e.evidence_file) {
            Some(f) => intern_str(&mut self.dict.files, &mut self.dict.file_list, f),
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

    /// Make room for `events` events before the first is pushed, so that the columns are not
    /// grown (copied, and their pages touched anew) as they fill.
    pub fn reserve(&mut self, events: usize) {
        if self.batch.events.is_empty() {
            self.batch.events = EventTable::with_capacity(events);
        }
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
    /// The batch, owning its dictionary's strings.
    pub fn finish(self) -> Batch {
        let mut b = self.batch;
        let d = self.dict;
        b.host_names = d.host_names;
        b.addresses = d.addresses;
        b.accounts = d.account_list;
        b.auths = d.auth_list;
        b.evidence_files = d.file_list;
        b.worker = None;
        b.base = [0; 5];
        b
    }

    /// The batch with the strings new since it began, and the dictionary to continue with.
    pub fn finish_keep(self) -> (Batch, Dictionary) {
        let mut b = self.batch;
        let d = self.dict;
        let [h, a, c, u, f] = b.base.map(|n| n as usize);
        b.host_names = d.host_names[h..].to_vec();
        b.addresses = d.addresses[a..].to_vec();
        b.accounts = d.account_list[c..].to_vec();
        b.auths = d.auth_list[u..].to_vec();
        b.evidence_files = d.file_list[f..].to_vec();
        (b, d)
    }
}

/// What the absorbing side knows of one dictionary: its strings and their global ids.
#[derive(Default)]
struct Known {
    host_names: Vec<String>,
    addresses: Vec<IpAddr>,
    addr: Vec<u32>,
    account: Vec<u32>,
    auth: Vec<u32>,
    file: Vec<u32>,
    /// (local name id, local address id) → global host.
    hosts: AHashMap<(u32, u32), u32>,
    /// Local name id - 1 → global host, for names without an address (LANL: every event):
    /// the same answers as `hosts`, by index. `u32::MAX`: not resolved yet.
    by_name: Vec<u32>,
}

impl Known {
    /// Take in a batch's new strings, giving them global ids in first-seen order.
    fn learn(&mut self, batch: &mut Batch, catalog: &mut Catalog) {
        debug_assert_eq!(
            batch.base[0] as usize,
            self.host_names.len(),
            "batches of a worker absorbed out of order"
        );
        self.host_names.append(&mut batch.host_names);
        for ip in batch.addresses.drain(..) {
            self.addr.push(catalog.addresses.intern(&ip.to_string()));
            self.addresses.push(ip);
        }
        for (n, d) in batch.accounts.drain(..) {
            self.account.push(catalog.accounts.intern(&n, d.as_deref()));
        }
        for a in batch.auths.drain(..) {
            self.auth.push(catalog.auths.intern(&a));
        }
        for f in batch.evidence_files.drain(..) {
            self.file.push(catalog.sources.intern(&f));
        }
    }

    fn host(&mut self, name: u32, ip: u32, catalog: &mut Catalog, inventory: &Inventory) -> u32 {
        if name == NONE && ip == NONE {
            return NONE;
        }
        let (names, addrs) = (&self.host_names, &self.addresses);
        if ip == NONE {
            let i = name as usize - 1;
            if self.by_name.len() <= i {
                self.by_name.resize(names.len().max(i + 1), u32::MAX);
            }
            if self.by_name[i] == u32::MAX {
                self.by_name[i] = catalog.hosts.resolve(inventory, Some(names[i].as_str()), None);
            }
            return self.by_name[i];
        }
        *self.hosts.entry((name, ip)).or_insert_with(|| {
            let n = (name != NONE).then(|| names[name as usize - 1].as_str());
            let a = (ip != NONE).then(|| addrs[ip as usize - 1]);
            catalog.hosts.resolve(inventory, n, a)
        })
    }
}

/// Maps batches' local ids to the case's global ids, keeping what it learnt of each
/// worker's dictionary between batches. Batches of one worker must come in the order the
/// worker made them (the pipeline absorbs in input order, and a worker takes input in
/// order, so they do).
#[derive(Default)]
pub struct Absorber {
    workers: Vec<Known>,
}

impl Absorber {
    pub fn new() -> Absorber {
        Absorber::default()
    }

    /// Map a batch's local ids to the catalog's global ids, resolving hosts through the
    /// inventory, and set the evidence source and line offset. Returns the events sorted by
    /// time and the labels with global ids.
    ///
    /// A source address that is loopback with no source name means the destination itself.
    pub fn absorb(
        &mut self,
        batch: &mut Batch,
        catalog: &mut Catalog,
        inventory: &Inventory,
        source: u32,
        line_offset: u64,
    ) -> (EventTable, Vec<RawLabel>) {
        let mut own = Known::default();
        let known = match batch.worker {
            Some(w) => {
                let w = w as usize;
                if self.workers.len() <= w {
                    self.workers.resize_with(w + 1, Known::default);
                }
                &mut self.workers[w]
            }
            None => &mut own,
        };
        known.learn(batch, catalog);
        let map = |v: &[u32], id: u32| if id == NONE { NONE } else { v[id as usize - 1] };

        let mut t = std::mem::take(&mut batch.events);
        for i in 0..t.len() {
            let dst = known.host(t.dst_host[i], t.dst_ip[i], catalog, inventory);
            let mut src = known.host(t.src_host[i], t.src_ip[i], catalog, inventory);
            if src == NONE && t.src_host[i] == NONE && t.src_ip[i] != NONE {
                // loopback: the host logged on to itself
                src = dst;
            }
            t.dst_host[i] = dst;
            t.src_host[i] = src;
            t.src_ip[i] = map(&known.addr, t.src_ip[i]);
            t.dst_ip[i] = map(&known.addr, t.dst_ip[i]);
            t.user[i] = map(&known.account, t.user[i]);
            t.src_user[i] = map(&known.account, t.src_user[i]);
            t.auth[i] = map(&known.auth, t.auth[i]);
            if t.source[i] == 0 {
                t.source[i] = source;
                if t.flags[i] & EventFlags::RECORD.0 == 0 {
                    t.position[i] += line_offset;
                }
            } else {
                // evidence cited by a re-exported row: kept as it was
                t.source[i] = known.file[t.source[i] as usize - 1];
            }
        }
        t.sort_by_time();

        let mut labels = std::mem::take(&mut batch.labels);
        for l in &mut labels {
            l.user = map(&known.account, l.user);
            l.source = source;
            l.src_host = known.host(l.src_host, NONE, catalog, inventory);
            l.dst_host = known.host(l.dst_host, NONE, catalog, inventory);
            if let Position::Line(n) = &mut l.position {
                *n += line_offset;
            }
        }
        (t, labels)
    }
}

/// [`Absorber::absorb`] for a batch with a dictionary of its own.
pub fn absorb(
    batch: &mut Batch,
    catalog: &mut Catalog,
    inventory: &Inventory,
    source: u32,
    line_offset: u64,
) -> (EventTable, Vec<RawLabel>) {
    Absorber::new().absorb(batch, catalog, inventory, source, line_offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Two strings get the same id exactly when they are equal, whatever their length
        /// around the inline limit, padding bytes or shared prefixes.
        #[test]
        fn interning_is_injective(keys in proptest::collection::vec("[ab\\x00]{0,30}", 1..300)) {
            let mut ids = LocalIds::new();
            let mut list = Vec::new();
            let got: Vec<u32> = keys.iter().map(|k| intern_str(&mut ids, &mut list, k)).collect();
            for (i, a) in keys.iter().enumerate() {
                proptest::prop_assert_eq!(&list[got[i] as usize - 1], a);
                for (j, b) in keys.iter().enumerate() {
                    proptest::prop_assert_eq!(got[i] == got[j], a == b);
                }
            }
        }
    }

    proptest::proptest! {
        /// Packing by word loads gives the layout of the documented byte copy.
        #[test]
        fn packing_matches_the_byte_layout(key in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..30)) {
            let mut b = [0u8; 24];
            if key.len() <= INLINE {
                b[0] = key.len() as u8;
                b[1..1 + key.len()].copy_from_slice(&key);
            } else {
                b[0] = u8::MAX;
            }
            let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
            proptest::prop_assert!(Packed::new(&key) == Packed([w(0), w(1), w(2)]));
        }

        #[test]
        fn account_keys_pack_as_joined(name in "[a-zA-Z0-9$ ]{0,20}", domain in "[A-Z0-9?]{0,8}") {
            let joined = format!("{name}\u{1}{domain}");
            let p = Packed::account(name.as_bytes(), domain.as_bytes());
            if joined.len() <= INLINE {
                proptest::prop_assert!(p == Some(Packed::new(joined.as_bytes())));
            } else {
                proptest::prop_assert!(p.is_none());
            }
        }

        /// Any bytes and lengths (around the inline limit, and past it on either side).
        #[test]
        fn account_bytes_pack_as_joined(
            name in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..27),
            domain in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..27),
        ) {
            let joined = [&name[..], &[1], &domain[..]].concat();
            let p = Packed::account(&name, &domain);
            if joined.len() <= INLINE {
                proptest::prop_assert!(p == Some(Packed::new(&joined)));
            } else {
                proptest::prop_assert!(p.is_none());
            }
        }
    }

    proptest::proptest! {
        /// Keys packed from words of a line are the keys of the names cut out of it.
        #[test]
        fn keys_in_a_line_are_keys_of_its_names(
            line in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
            at in 0usize..40, n in 0usize..26, gap in 0usize..3, m in 0usize..26,
        ) {
            let cut = |a: usize, k: usize| line.get(a..a + k);
            if let Some(name) = cut(at, n) {
                proptest::prop_assert!(NameKey::host_in(&line, at, n) == NameKey::host(name));
                let d = at + n + gap;
                let domain = if m == 0 { Some(&line[..0]) } else { cut(d, m) };
                if let Some(domain) = domain {
                    proptest::prop_assert!(NameKey::account_in(&line, at, n, (d, m)) == NameKey::account(name, domain));
                }
            }
        }

        #[test]
        fn trim_is_str_trim(s in "[ \t\u{a0}\u{3000}a-z?-]{0,6}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

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
        b.push(
            &RawEvent {
                time: Time(1),
                src_host: None,
                src_ip: Some("::ffff:127.0.0.1"),
                dst_host: Some("C2"),
                ..ev
            },
            Position::Line(2),
        )
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
