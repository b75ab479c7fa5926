//! Remap tables: how a run merged from a shard, which keeps the shard's ids as written, is
//! read with the case's ids.
//!
//! A shard is a case ingested apart (one site, one collector) with dictionaries of its own.
//! `case merge` folds its dictionaries into the case's (a name the case holds keeps its id,
//! a new name gets the next one) and records, per dictionary, the case id of every shard id:
//! one small Parquet file, `remaps/remap-G-N.parquet`, with rows (`dictionary`, `shard_id`,
//! `case_id`). The shard's runs are linked into the case unchanged; the reader maps each
//! batch as it reads it. Evidence sources of a shard are always new names in the case, so
//! their map is increasing and a run's (time, source, position) order survives the map.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{DataType, Field, Schema};
use hopscope_model::{Catalog, EventTable};

use crate::reader::Label;
use crate::tables::{read_all, write_atomic};
use crate::CaseError;

/// The dictionaries a remap table maps, in the order its rows list them.
pub const DICTIONARIES: [&str; 5] = ["hosts", "addresses", "accounts", "auths", "sources"];

/// For each dictionary, the case id of every shard id (index = shard id; index 0, "none",
/// maps to 0).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Remap {
    pub hosts: Vec<u32>,
    pub addresses: Vec<u32>,
    pub accounts: Vec<u32>,
    pub auths: Vec<u32>,
    pub sources: Vec<u32>,
}

impl Default for Remap {
    fn default() -> Self {
        Remap {
            hosts: vec![0],
            addresses: vec![0],
            accounts: vec![0],
            auths: vec![0],
            sources: vec![0],
        }
    }
}

fn map(table: &[u32], col: &mut [u32], what: &str) -> Result<(), String> {
    for v in col.iter_mut() {
        *v = *table.get(*v as usize).ok_or_else(|| {
            format!("{what} id {v} is not in the remap table ({} ids)", table.len() - 1)
        })?;
    }
    Ok(())
}

impl Remap {
    /// The table of dictionary `name` (one of [`DICTIONARIES`]).
    pub fn table(&self, name: &str) -> Option<&[u32]> {
        Some(match name {
            "hosts" => &self.hosts,
            "addresses" => &self.addresses,
            "accounts" => &self.accounts,
            "auths" => &self.auths,
            "sources" => &self.sources,
            _ => return None,
        })
    }
    fn table_mut(&mut self, name: &str) -> Option<&mut Vec<u32>> {
        Some(match name {
            "hosts" => &mut self.hosts,
            "addresses" => &mut self.addresses,
            "accounts" => &mut self.accounts,
            "auths" => &mut self.auths,
            "sources" => &mut self.sources,
            _ => return None,
        })
    }

    /// True when every id maps to itself: such a shard's runs need no table.
    pub fn is_identity(&self) -> bool {
        DICTIONARIES.iter().all(|d| {
            let t = self.table(d).unwrap_or_default();
            t.iter().enumerate().all(|(i, &v)| v as usize == i)
        })
    }

    /// Give the case's ids to the id columns of `t`; an id the table does not hold is an
    /// error (a damaged run or table), never a panic.
    pub fn apply(&self, t: &mut EventTable) -> Result<(), String> {
        map(&self.hosts, &mut t.src_host, "host")?;
        map(&self.hosts, &mut t.dst_host, "host")?;
        map(&self.addresses, &mut t.src_ip, "address")?;
        map(&self.addresses, &mut t.dst_ip, "address")?;
        map(&self.accounts, &mut t.user, "account")?;
        map(&self.accounts, &mut t.src_user, "account")?;
        map(&self.auths, &mut t.auth, "auth")?;
        map(&self.sources, &mut t.source, "source")
    }

    /// Give the case's ids to a label.
    pub fn apply_label(&self, l: &mut Label) -> Result<(), String> {
        let one =
            |table: &[u32], v: &mut u32, what: &str| map(table, std::slice::from_mut(v), what);
        one(&self.accounts, &mut l.user, "account")?;
        one(&self.hosts, &mut l.src_host, "host")?;
        one(&self.hosts, &mut l.dst_host, "host")?;
        one(&self.sources, &mut l.source, "source")
    }

    /// The source ids only (what the per-day histogram reads).
    pub fn apply_sources(&self, sources: &mut [u32]) -> Result<(), String> {
        map(&self.sources, sources, "source")
    }

    /// `self` after `inner`: a nested shard's ids straight to this case's.
    pub fn after(&self, inner: &Remap) -> Result<Remap, String> {
        let mut out = Remap::default();
        for d in DICTIONARIES {
            let mut t = inner.table(d).unwrap_or_default().to_vec();
            map(self.table(d).unwrap_or_default(), &mut t, d)?;
            *out.table_mut(d).expect("a known dictionary") = t;
        }
        Ok(out)
    }

    /// Check the table against the case's dictionaries: every case id exists, 0 maps to 0,
    /// and source ids only grow (the order of a run's rows depends on it).
    pub fn check(&self, catalog: &Catalog) -> Result<(), String> {
        let sizes = [
            catalog.hosts.len(),
            catalog.addresses.len(),
            catalog.accounts.len(),
            catalog.auths.len(),
            catalog.sources.len(),
        ];
        for (d, size) in DICTIONARIES.iter().zip(sizes) {
            let t = self.table(d).unwrap_or_default();
            if t.first() != Some(&0) {
                return Err(format!("{d}: id 0 must map to 0"));
            }
            if let Some(v) = t.iter().find(|&&v| v as usize > size) {
                return Err(format!("{d}: maps to id {v}, the case holds {size}"));
            }
            if t[1..].contains(&0) {
                return Err(format!("{d}: maps an id to 0"));
            }
        }
        if !self.sources.windows(2).all(|w| w[0] < w[1]) {
            return Err("sources: the map does not increase".into());
        }
        Ok(())
    }

    /// Write the table to `path` (through a temporary name) and return its SHA-256.
    pub(crate) fn write(&self, path: &Path) -> Result<String, CaseError> {
        let mut dict = Vec::new();
        let mut from = Vec::new();
        let mut to = Vec::new();
        for d in DICTIONARIES {
            for (i, &v) in self.table(d).unwrap_or_default().iter().enumerate().skip(1) {
                dict.push(d);
                from.push(i as u32);
                to.push(v);
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("dictionary", DataType::Utf8, false),
            Field::new("shard_id", DataType::UInt32, false),
            Field::new("case_id", DataType::UInt32, false),
        ]));
        let cols: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(dict)),
            Arc::new(UInt32Array::from(from)),
            Arc::new(UInt32Array::from(to)),
        ];
        let batch = RecordBatch::try_new(schema, cols).map_err(|e| CaseError::io(path, e))?;
        write_atomic(path, &batch)?;
        crate::reader::sha256_of(path)
    }

    /// Read a table written by [`Remap::write`], refused unless its SHA-256 is `sha256` and
    /// its shard ids are dense and in order.
    pub(crate) fn read(path: &Path, sha256: &str) -> Result<Remap, CaseError> {
        crate::reader::check_sha256(path, sha256)?;
        let mut r = Remap::default();
        for b in read_all(path)? {
            let col = |name: &str| {
                b.column_by_name(name).ok_or_else(|| {
                    CaseError::corrupt(path, format!("column {name} missing or of the wrong type"))
                })
            };
            let dict = col("dictionary")?.as_any().downcast_ref::<StringArray>();
            let from = col("shard_id")?.as_any().downcast_ref::<UInt32Array>();
            let to = col("case_id")?.as_any().downcast_ref::<UInt32Array>();
            let (Some(dict), Some(from), Some(to)) = (dict, from, to) else {
                return Err(CaseError::corrupt(path, "columns of the wrong type"));
            };
            for i in 0..b.num_rows() {
                if dict.is_null(i) {
                    return Err(CaseError::corrupt(path, "a row names no dictionary"));
                }
                let d = dict.value(i);
                let t = r.table_mut(d).ok_or_else(|| {
                    CaseError::corrupt(path, format!("unknown dictionary {:?}", d.escape_debug()))
                })?;
                if from.value(i) as usize != t.len() {
                    return Err(CaseError::corrupt(
                        path,
                        format!("{d}: ids not dense and in order"),
                    ));
                }
                t.push(to.value(i));
            }
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remap(sources: Vec<u32>) -> Remap {
        Remap { hosts: vec![0, 3, 1], sources, ..Default::default() }
    }

    #[test]
    fn applies_to_every_id_column_and_refuses_unknown_ids() {
        let r = remap(vec![0, 5]);
        let mut t = EventTable {
            time: vec![1, 2],
            src_host: vec![1, 2],
            dst_host: vec![0, 1],
            source: vec![1, 1],
            ..Default::default()
        };
        for c in [&mut t.src_ip, &mut t.dst_ip, &mut t.user, &mut t.src_user, &mut t.auth] {
            *c = vec![0, 0];
        }
        r.apply(&mut t).unwrap();
        assert_eq!(
            (t.src_host.clone(), t.dst_host.clone(), t.source.clone()),
            (vec![3, 1], vec![0, 3], vec![5, 5])
        );
        let mut t = EventTable { user: vec![0, 7], ..Default::default() };
        let e = r.apply(&mut t).unwrap_err();
        assert!(e.contains("account id 7"), "{e}");
    }

    #[test]
    fn composes_and_round_trips_through_its_file() {
        let inner = remap(vec![0, 1, 2]);
        let outer =
            Remap { hosts: vec![0, 10, 11, 12], sources: vec![0, 7, 8], ..Default::default() };
        let both = outer.after(&inner).unwrap();
        assert_eq!(both.hosts, vec![0, 12, 10]);
        assert_eq!(both.sources, vec![0, 7, 8]);
        assert!(!both.is_identity());
        assert!(Remap::default().is_identity());

        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.parquet");
        let sha = both.write(&p).unwrap();
        assert_eq!(Remap::read(&p, &sha).unwrap(), both);
        assert!(Remap::read(&p, "00").is_err(), "a changed table is refused");
    }

    #[test]
    fn check_refuses_ids_beyond_the_case_and_a_decreasing_source_map() {
        let mut c = Catalog::default();
        for h in ["a", "b", "c"] {
            c.hosts.adopt(&hopscope_model::HostRecord {
                name: h.into(),
                kind: hopscope_model::HostKind::Named,
                inventory: None,
                site: None,
                country: None,
            });
        }
        c.sources.intern("x");
        c.sources.intern("y");
        assert!(remap(vec![0, 1, 2]).check(&c).is_ok());
        assert!(remap(vec![0, 2, 1]).check(&c).unwrap_err().contains("increase"));
        assert!(remap(vec![0, 3]).check(&c).unwrap_err().contains("sources"));
        let r = Remap { hosts: vec![0, 4], ..Default::default() };
        assert!(r.check(&c).unwrap_err().contains("hosts"));
    }
}
