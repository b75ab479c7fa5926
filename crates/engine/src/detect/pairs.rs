//! A hash table keyed by a pair of ids (packed in a `u64`), whose slot for a key can be
//! prefetched.
//!
//! History's largest sets (edges, accounts on hosts, accounts out of hosts: millions of
//! entries each) are looked up for every hop, and each lookup was a cache miss when the hop
//! was scored. The detector knows a hop a few events before it scores it (the hop waits out
//! the clock skew), so it asks for the hop's slots then ([`PairTable::prefetch`]); a standard
//! hash map does not say where a key lives. Open addressing over buckets of one cache line
//! each (8 keys, or 4 keys with their values), probed bucket after bucket; key 0 marks an
//! empty slot and is kept aside. Filled to at most 7/8, like `hashbrown`, so memory is the
//! same. Serialised as a sequence of keys (a set) or a map, as the `AHashSet` and
//! `AHashMap` it replaces were.

use std::fmt;

/// Slots in one bucket: as many as fill a cache line.
const fn slots_per_bucket<V>() -> usize {
    64 / std::mem::size_of::<(u64, V)>()
}

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Bucket<V: Copy, const B: usize> {
    slots: [(u64, V); B],
}

/// A set (`V = ()`) or map (`V = u32`) keyed by packed id pairs.
#[derive(Clone)]
pub(crate) struct PairTable<V: Copy + Default, const B: usize> {
    buckets: Vec<Bucket<V, B>>,
    /// Entries, key 0 included.
    len: usize,
    /// The entry of key 0, which marks empty slots in the buckets.
    zero: Option<V>,
}

/// A set of id pairs.
pub(crate) type PairSet = PairTable<(), { slots_per_bucket::<()>() }>;
/// A map from id pairs to counts.
pub(crate) type PairCounts = PairTable<u32, { slots_per_bucket::<u32>() }>;

impl<V: Copy + Default, const B: usize> Default for PairTable<V, B> {
    fn default() -> Self {
        PairTable { buckets: Vec::new(), len: 0, zero: None }
    }
}

/// Mixes both ids into the high bits the bucket index is taken from.
#[inline]
fn hash(key: u64) -> u64 {
    (key ^ (key >> 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

impl<V: Copy + Default, const B: usize> PairTable<V, B> {
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    fn first_bucket(&self, key: u64) -> usize {
        // the high bits of the product: buckets are a power of two
        let bits = self.buckets.len().trailing_zeros();
        if bits == 0 {
            0
        } else {
            (hash(key) >> (64 - bits)) as usize
        }
    }

    /// Ask the CPU to bring the bucket where `key` is looked up first into cache. Only a hint.
    #[inline]
    pub fn prefetch(&self, key: u64) {
        if !self.buckets.is_empty() {
            crate::detect::prefetch::prefetch_one(&self.buckets[self.first_bucket(key)]);
        }
    }

    /// The value of `key`, if present.
    #[inline]
    pub fn get(&self, key: u64) -> Option<V> {
        if key == 0 {
            return self.zero;
        }
        if self.buckets.is_empty() {
            return None;
        }
        let mask = self.buckets.len() - 1;
        let mut b = self.first_bucket(key);
        loop {
            for &(k, v) in &self.buckets[b].slots {
                if k == key {
                    return Some(v);
                }
                if k == 0 {
                    return None;
                }
            }
            b = (b + 1) & mask;
        }
    }

    pub fn contains(&self, key: u64) -> bool {
        self.get(key).is_some()
    }

    /// The value of `key`, inserted as `V::default()` when absent; and whether it was.
    #[inline]
    pub fn entry(&mut self, key: u64) -> (&mut V, bool) {
        if key == 0 {
            let new = self.zero.is_none();
            self.len += new as usize;
            return (self.zero.get_or_insert_with(V::default), new);
        }
        if (self.len + 1) * 8 > self.buckets.len() * B * 7 {
            self.grow();
        }
        let mask = self.buckets.len() - 1;
        let mut b = self.first_bucket(key);
        loop {
            let at = self.buckets[b].slots.iter().position(|&(k, _)| k == key || k == 0);
            if let Some(i) = at {
                let new = self.buckets[b].slots[i].0 == 0;
                if new {
                    self.buckets[b].slots[i] = (key, V::default());
                    self.len += 1;
                }
                return (&mut self.buckets[b].slots[i].1, new);
            }
            b = (b + 1) & mask;
        }
    }

    /// Double the buckets (8 at first) and place every entry again.
    fn grow(&mut self) {
        let n = (self.buckets.len() * 2).max(8);
        let old =
            std::mem::replace(&mut self.buckets, vec![Bucket { slots: [(0, V::default()); B] }; n]);
        self.len = self.zero.is_some() as usize;
        for bucket in old {
            for (k, v) in bucket.slots {
                if k != 0 {
                    *self.entry(k).0 = v;
                }
            }
        }
    }

    /// Every entry, in no particular order.
    fn iter(&self) -> impl Iterator<Item = (u64, V)> + '_ {
        let zero = self.zero.map(|v| (0, v));
        zero.into_iter().chain(
            self.buckets.iter().flat_map(|b| b.slots.iter().copied().filter(|&(k, _)| k != 0)),
        )
    }
}

impl<const B: usize> PairTable<(), B> {
    /// Add `key`; whether it was new.
    pub fn insert(&mut self, key: u64) -> bool {
        self.entry(key).1
    }
}

impl<const B: usize> fmt::Debug for PairTable<(), B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|(k, _)| k)).finish()
    }
}

impl<const B: usize> fmt::Debug for PairTable<u32, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<const B: usize> serde::Serialize for PairTable<(), B> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // with its length first (bincode needs it; the iterator cannot tell)
        let mut seq = s.serialize_seq(Some(self.len))?;
        for (k, _) in self.iter() {
            seq.serialize_element(&k)?;
        }
        seq.end()
    }
}

impl<'de, const B: usize> serde::Deserialize<'de> for PairTable<(), B> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let keys: Vec<u64> = serde::Deserialize::deserialize(d)?;
        let mut t = PairTable::default();
        for k in keys {
            t.insert(k);
        }
        Ok(t)
    }
}

impl<const B: usize> serde::Serialize for PairTable<u32, B> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.len))?;
        for (k, v) in self.iter() {
            map.serialize_entry(&k, &v)?;
        }
        map.end()
    }
}

impl<'de, const B: usize> serde::Deserialize<'de> for PairTable<u32, B> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let entries: std::collections::HashMap<u64, u32> = serde::Deserialize::deserialize(d)?;
        let mut t = PairTable::default();
        for (k, v) in entries {
            *t.entry(k).0 = v;
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn a_set_and_a_map_agree_with_the_standard_ones() {
        let mut set = PairSet::default();
        let mut counts = PairCounts::default();
        let (mut std_set, mut std_counts) = (HashSet::new(), HashMap::new());
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // small ids, as hosts and accounts are; key 0 included now and then
            let key = if i % 50_000 == 7 { 0 } else { ((x % 3000) << 32) | ((x >> 40) % 5000) };
            assert_eq!(set.insert(key), std_set.insert(key));
            let (n, _) = counts.entry(key);
            *n += 1;
            *std_counts.entry(key).or_insert(0u32) += 1;
            let probe = ((x.rotate_left(17) % 3000) << 32) | (x % 5000);
            assert_eq!(set.contains(probe), std_set.contains(&probe));
            assert_eq!(counts.get(probe), std_counts.get(&probe).copied());
        }
        assert_eq!((set.len(), counts.len()), (std_set.len(), std_counts.len()));
        assert_eq!(set.iter().map(|(k, _)| k).collect::<HashSet<_>>(), std_set);
        assert_eq!(counts.iter().collect::<HashMap<_, _>>(), std_counts);
        // read back from a checkpoint
        let set2: PairSet = bincode::deserialize(&bincode::serialize(&set).unwrap()).unwrap();
        let counts2: PairCounts =
            bincode::deserialize(&bincode::serialize(&counts).unwrap()).unwrap();
        assert_eq!(set2.iter().map(|(k, _)| k).collect::<HashSet<_>>(), std_set);
        assert_eq!(counts2.iter().collect::<HashMap<_, _>>(), std_counts);
    }

    proptest::proptest! {
        /// Any keys, any order (0, collisions into full buckets, growth): the tables hold what
        /// the standard ones hold, and a checkpoint gives them back.
        #[test]
        fn tables_agree_with_the_standard_ones_for_any_keys(
            keys in proptest::collection::vec((0u64..64, 0u64..64), 0..2_000),
            probes in proptest::collection::vec((0u64..64, 0u64..64), 0..200),
        ) {
            let pack = |(a, b): (u64, u64)| (a << 32) | b;
            let mut set = PairSet::default();
            let mut counts = PairCounts::default();
            let (mut std_set, mut std_counts) = (HashSet::new(), HashMap::new());
            for &k in &keys {
                let key = pack(k);
                proptest::prop_assert_eq!(set.insert(key), std_set.insert(key));
                let (n, _) = counts.entry(key);
                *n += 1;
                *std_counts.entry(key).or_insert(0u32) += 1;
            }
            for &p in &probes {
                let probe = pack(p);
                proptest::prop_assert_eq!(set.contains(probe), std_set.contains(&probe));
                proptest::prop_assert_eq!(counts.get(probe), std_counts.get(&probe).copied());
            }
            proptest::prop_assert_eq!((set.len(), counts.len()), (std_set.len(), std_counts.len()));
            let counts2: PairCounts = bincode::deserialize(&bincode::serialize(&counts).unwrap()).unwrap();
            proptest::prop_assert_eq!(counts2.iter().collect::<HashMap<_, _>>(), std_counts);
        }
    }
}
