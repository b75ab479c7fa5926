//! The case's dictionaries and context tables, as small Parquet files.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    Array, ArrayRef, BooleanArray, RecordBatch, StringArray, TimestampMicrosecondArray,
    UInt32Array, UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hopscope_model::{
    AccountTable, Catalog, DataHolding, HostDirectory, HostKind, HostRecord, Interner, Inventory,
    InventoryHost, Lifecycle, Site,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::reader::Label;
use crate::CaseError;

pub(crate) fn writer_props() -> WriterProperties {
    // Ids are already dense integers: Parquet dictionaries cost ~13% of ingest CPU for a
    // ~20% size gain, so they are off; zstd level 1 keeps files small at little cost.
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).expect("level 1 is valid")))
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(1 << 20))
        .build()
}

/// Properties of event runs, the bulk of a case. Snappy on every column, no Parquet
/// dictionaries (ids are already dense integers), and per column:
///
/// - `time` and `position`, sorted or nearly: DELTA_BINARY_PACKED (deltas bit-packed per
///   miniblock), which shrinks them to a few bits a row;
/// - every other column (dense ids, small codes): BYTE_STREAM_SPLIT, the bytes of each value
///   split into one stream per byte position, whose high-byte streams Snappy then squeezes to
///   nearly nothing. For ids in random order, delta encoding saves ~10% of their size but its
///   per-value bit-packing was ~20% of ingest CPU; the split is a transpose.
/// - a column that holds one value throughout the run (LANL's addresses, source, format,
///   event ids and flags): PLAIN, whose copy Snappy squeezes as well as the split streams,
///   without the split's byte-by-byte transpose (~40% of its CPU on LANL);
/// - min/max statistics on `time` only (per column chunk: what pruning by time uses); nobody
///   filters on the others, and computing them was ~1.5% of ingest CPU.
///
/// Rows are handed to the encoders 64k at a time (the default, 1024, spends more on
/// per-batch bookkeeping than on encoding narrow columns).
///
/// Readers need nothing: encoding and codec are recorded per page and column chunk, so runs
/// written with earlier settings (DELTA_BINARY_PACKED everywhere; before that PLAIN + zstd)
/// still read, and a case may mix them after an append.
pub(crate) fn events_writer_props(constant: &[&str]) -> WriterProperties {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_encoding(Encoding::BYTE_STREAM_SPLIT)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_column_statistics_enabled(ColumnPath::from("time"), EnabledStatistics::Chunk)
        .set_write_batch_size(1 << 16)
        .set_max_row_group_row_count(Some(1 << 20));
    for sorted in ["time", "position"] {
        props = props.set_column_encoding(ColumnPath::from(sorted), Encoding::DELTA_BINARY_PACKED);
    }
    for &c in constant.iter().filter(|c| !["time", "position"].contains(c)) {
        props = props.set_column_encoding(ColumnPath::from(c), Encoding::PLAIN);
    }
    props.build()
}

/// Write one batch to `path`'s temporary name (`NAME.parquet.tmp`) only, and return that
/// name: the caller renames it into place or removes it. Removed here when the write fails
/// (a full disk leaves no half-written file).
pub(crate) fn write_staged(path: &Path, batch: &RecordBatch) -> Result<PathBuf, CaseError> {
    let tmp = path.with_extension("parquet.tmp");
    let written = File::create(&tmp).map_err(|e| CaseError::io(&tmp, e)).and_then(|f| {
        let mut w = ArrowWriter::try_new(f, batch.schema(), Some(writer_props()))
            .map_err(|e| CaseError::io(&tmp, e))?;
        w.write(batch).map_err(|e| CaseError::io(&tmp, e))?;
        w.close().map_err(|e| CaseError::io(&tmp, e))
    });
    match written {
        Ok(_) => Ok(tmp),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Write one batch to `path` through a temporary file and a rename; nothing is left of a
/// write that fails.
pub(crate) fn write_atomic(path: &Path, batch: &RecordBatch) -> Result<(), CaseError> {
    let tmp = write_staged(path, batch)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CaseError::io(path, e)
    })
}

/// Every batch of a Parquet file, concatenated logically.
pub(crate) fn read_all(path: &Path) -> Result<Vec<RecordBatch>, CaseError> {
    read_table(path).map(|(_, batches)| batches)
}

/// One of the case's Parquet files read whole: its schema and its batches. As everywhere in
/// the case store, the Arrow schema the file embeds is not read (a damaged one is neither a
/// panic nor believed); the column types are the file's own Parquet ones. For readers outside
/// the store: `hopscope sql` registers the dictionaries, context tables and saved results
/// from this.
pub fn read_table(path: &Path) -> Result<(SchemaRef, Vec<RecordBatch>), CaseError> {
    if let Some(dir) = path.parent() {
        crate::reader::inside(dir, path)?;
    }
    let f = File::open(path).map_err(|e| CaseError::io(path, e))?;
    let b = crate::reader::parquet_builder(f, path)?.with_batch_size(1 << 16);
    let schema = b.schema().clone();
    let r = b.build().map_err(|e| CaseError::corrupt(path, e))?;
    let batches =
        r.map(|b| b.map_err(|e| CaseError::corrupt(path, e))).collect::<Result<_, _>>()?;
    Ok((schema, batches))
}

fn batch(fields: Vec<Field>, cols: Vec<ArrayRef>) -> RecordBatch {
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
        .expect("columns match the schema by construction")
}

fn f(name: &str, t: DataType, nullable: bool) -> Field {
    Field::new(name, t, nullable)
}

fn strings<'a>(b: &'a RecordBatch, path: &Path, name: &str) -> Result<&'a StringArray, CaseError> {
    b.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<StringArray>())
        .ok_or_else(|| CaseError::corrupt(path, format!("column {name} missing or not text")))
}
fn typed<'a, T: Array + 'static>(
    b: &'a RecordBatch,
    path: &Path,
    name: &str,
) -> Result<&'a T, CaseError> {
    b.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<T>()).ok_or_else(|| {
        CaseError::corrupt(path, format!("column {name} missing or of the wrong type"))
    })
}
fn opt(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_string())
}

fn write_interner(path: &Path, value: &str, t: &Interner) -> Result<(), CaseError> {
    let ids: Vec<u32> = t.iter().map(|(id, _)| id).collect();
    let names: Vec<&str> = t.iter().map(|(_, s)| s).collect();
    write_staged(
        path,
        &batch(
            vec![f("id", DataType::UInt32, false), f(value, DataType::Utf8, false)],
            vec![Arc::new(UInt32Array::from(ids)), Arc::new(StringArray::from(names))],
        ),
    )
    .map(drop)
}

fn read_interner(path: &Path, value: &str) -> Result<Interner, CaseError> {
    let mut t = Interner::new();
    for b in read_all(path)? {
        let ids = typed::<UInt32Array>(&b, path, "id")?;
        let names = strings(&b, path, value)?;
        for i in 0..b.num_rows() {
            if t.intern(names.value(i)) != ids.value(i) {
                return Err(CaseError::corrupt(path, "ids are not dense and in order"));
            }
        }
    }
    Ok(t)
}

/// The dictionaries and context tables of a case, written at its commit (with `labels`).
pub(crate) const STAGED_TABLES: [&str; 8] =
    ["addresses", "auths", "sources", "accounts", "hosts", "sites", "data", "labels"];

/// Write every dictionary and context table of the case to its temporary name
/// ([`write_staged`]): the commit renames them into place once everything is written.
pub(crate) fn stage_catalog(dir: &Path, cat: &Catalog, inv: &Inventory) -> Result<(), CaseError> {
    write_interner(&dir.join("addresses.parquet"), "ip", &cat.addresses)?;
    write_interner(&dir.join("auths.parquet"), "auth", &cat.auths)?;
    write_interner(&dir.join("sources.parquet"), "path", &cat.sources)?;

    let accounts: Vec<_> = cat.accounts.iter().collect();
    write_staged(
        &dir.join("accounts.parquet"),
        &batch(
            vec![
                f("id", DataType::UInt32, false),
                f("name", DataType::Utf8, false),
                f("domain", DataType::Utf8, true),
            ],
            vec![
                Arc::new(UInt32Array::from(accounts.iter().map(|(id, _)| *id).collect::<Vec<_>>())),
                Arc::new(StringArray::from(
                    accounts.iter().map(|(_, a)| a.name.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    accounts.iter().map(|(_, a)| a.domain.as_deref()).collect::<Vec<_>>(),
                )),
            ],
        ),
    )?;

    let hosts: Vec<(u32, &HostRecord)> = cat.hosts.iter().collect();
    let inv_host = |r: &HostRecord| r.inventory.and_then(|i| inv.hosts.get(i as usize));
    let col_s = |g: &dyn Fn(&HostRecord) -> Option<String>| -> ArrayRef {
        Arc::new(StringArray::from(hosts.iter().map(|(_, r)| g(r)).collect::<Vec<_>>()))
    };
    write_staged(
        &dir.join("hosts.parquet"),
        &batch(
            vec![
                f("id", DataType::UInt32, false),
                f("name", DataType::Utf8, false),
                f("kind", DataType::Utf8, false),
                f("site", DataType::Utf8, true),
                f("country", DataType::Utf8, true),
                f("inventory_row", DataType::UInt32, true),
                f("ips", DataType::Utf8, true),
                f("role", DataType::Utf8, true),
                f("owner", DataType::Utf8, true),
                f("lifecycle", DataType::Utf8, true),
                f("last_patched", DataType::Utf8, true),
                f("internet_facing", DataType::Boolean, true),
                f("criticality", DataType::UInt8, true),
            ],
            vec![
                Arc::new(UInt32Array::from(hosts.iter().map(|(id, _)| *id).collect::<Vec<_>>())),
                col_s(&|r| Some(r.name.clone())),
                col_s(&|r| Some(r.kind.as_str().to_string())),
                col_s(&|r| r.site.clone()),
                col_s(&|r| r.country.clone()),
                Arc::new(UInt32Array::from(
                    hosts.iter().map(|(_, r)| r.inventory).collect::<Vec<_>>(),
                )),
                col_s(&|r| {
                    inv_host(r).map(|h| {
                        h.ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>().join(";")
                    })
                }),
                col_s(&|r| inv_host(r).map(|h| h.role.clone())),
                col_s(&|r| inv_host(r).map(|h| h.owner.clone())),
                col_s(&|r| inv_host(r).map(|h| h.lifecycle.as_str().to_string())),
                col_s(&|r| inv_host(r).and_then(|h| h.last_patched).map(|d| d.to_string())),
                Arc::new(BooleanArray::from(
                    hosts
                        .iter()
                        .map(|(_, r)| inv_host(r).map(|h| h.internet_facing))
                        .collect::<Vec<_>>(),
                )),
                Arc::new(UInt8Array::from(
                    hosts
                        .iter()
                        .map(|(_, r)| inv_host(r).map(|h| h.criticality))
                        .collect::<Vec<_>>(),
                )),
            ],
        ),
    )?;

    write_staged(
        &dir.join("sites.parquet"),
        &batch(
            vec![
                f("cidr", DataType::Utf8, false),
                f("site", DataType::Utf8, false),
                f("country", DataType::Utf8, false),
            ],
            vec![
                Arc::new(StringArray::from(
                    inv.sites.iter().map(|s| s.cidr.to_string()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    inv.sites.iter().map(|s| s.site.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    inv.sites.iter().map(|s| s.country.as_str()).collect::<Vec<_>>(),
                )),
            ],
        ),
    )?;
    write_staged(
        &dir.join("data.parquet"),
        &batch(
            vec![
                f("host", DataType::Utf8, false),
                f("client", DataType::Utf8, false),
                f("data_class", DataType::Utf8, false),
                f("records", DataType::UInt64, false),
                f("restricted", DataType::Boolean, false),
            ],
            vec![
                Arc::new(StringArray::from(
                    inv.data.iter().map(|d| d.host.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    inv.data.iter().map(|d| d.client.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(StringArray::from(
                    inv.data.iter().map(|d| d.data_class.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(UInt64Array::from(inv.data.iter().map(|d| d.records).collect::<Vec<_>>())),
                Arc::new(BooleanArray::from(
                    inv.data.iter().map(|d| d.restricted).collect::<Vec<_>>(),
                )),
            ],
        ),
    )
    .map(drop)
}

/// Read the dictionaries and rebuild the inventory.
pub(crate) fn read_catalog(dir: &Path) -> Result<(Catalog, Inventory), CaseError> {
    let mut cat = Catalog {
        addresses: read_interner(&dir.join("addresses.parquet"), "ip")?,
        auths: read_interner(&dir.join("auths.parquet"), "auth")?,
        sources: read_interner(&dir.join("sources.parquet"), "path")?,
        ..Default::default()
    };
    let p = dir.join("accounts.parquet");
    let mut accounts = AccountTable::new();
    for b in read_all(&p)? {
        let (ids, names, domains) = (
            typed::<UInt32Array>(&b, &p, "id")?,
            strings(&b, &p, "name")?,
            strings(&b, &p, "domain")?,
        );
        for i in 0..b.num_rows() {
            let d = opt(domains, i);
            if accounts.intern(names.value(i), d.as_deref()) != ids.value(i) {
                return Err(CaseError::corrupt(&p, "account ids are not dense and in order"));
            }
        }
    }
    cat.accounts = accounts;

    let p = dir.join("hosts.parquet");
    let mut records = Vec::new();
    let mut inv_hosts: Vec<(u32, InventoryHost)> = Vec::new();
    for b in read_all(&p)? {
        let name = strings(&b, &p, "name")?;
        let kind = strings(&b, &p, "kind")?;
        let site = strings(&b, &p, "site")?;
        let country = strings(&b, &p, "country")?;
        let row = typed::<UInt32Array>(&b, &p, "inventory_row")?;
        let ips = strings(&b, &p, "ips")?;
        let role = strings(&b, &p, "role")?;
        let owner = strings(&b, &p, "owner")?;
        let lifecycle = strings(&b, &p, "lifecycle")?;
        let patched = strings(&b, &p, "last_patched")?;
        let facing = typed::<BooleanArray>(&b, &p, "internet_facing")?;
        let crit = typed::<UInt8Array>(&b, &p, "criticality")?;
        for i in 0..b.num_rows() {
            let kind = HostKind::parse(kind.value(i))
                .ok_or_else(|| CaseError::corrupt(&p, "unknown host kind"))?;
            let inventory = (!row.is_null(i)).then(|| row.value(i));
            records.push(HostRecord {
                name: name.value(i).to_string(),
                kind,
                inventory,
                site: opt(site, i),
                country: opt(country, i),
            });
            if let Some(r) = inventory {
                inv_hosts.push((
                    r,
                    InventoryHost {
                        name: name.value(i).to_string(),
                        ips: opt(ips, i)
                            .unwrap_or_default()
                            .split(';')
                            .filter_map(|s| s.parse().ok())
                            .collect(),
                        site: opt(site, i).unwrap_or_default(),
                        country: opt(country, i).unwrap_or_default(),
                        role: opt(role, i).unwrap_or_default(),
                        owner: opt(owner, i).unwrap_or_default(),
                        lifecycle: opt(lifecycle, i)
                            .and_then(|l| Lifecycle::parse(&l))
                            .unwrap_or_default(),
                        last_patched: opt(patched, i).and_then(|d| d.parse().ok()),
                        internet_facing: !facing.is_null(i) && facing.value(i),
                        criticality: if crit.is_null(i) { 0 } else { crit.value(i) },
                    },
                ));
            }
        }
    }
    cat.hosts = HostDirectory::from_records(records);
    inv_hosts.sort_by_key(|(r, _)| *r);

    let p = dir.join("sites.parquet");
    let mut sites = Vec::new();
    for b in read_all(&p)? {
        let (c, s, k) =
            (strings(&b, &p, "cidr")?, strings(&b, &p, "site")?, strings(&b, &p, "country")?);
        for i in 0..b.num_rows() {
            let cidr = c.value(i).parse().map_err(|_| CaseError::corrupt(&p, "bad cidr"))?;
            sites.push(Site {
                cidr,
                site: s.value(i).to_string(),
                country: k.value(i).to_string(),
            });
        }
    }
    let p = dir.join("data.parquet");
    let mut data = Vec::new();
    for b in read_all(&p)? {
        let (h, c, d) =
            (strings(&b, &p, "host")?, strings(&b, &p, "client")?, strings(&b, &p, "data_class")?);
        let (r, x) = (
            typed::<UInt64Array>(&b, &p, "records")?,
            typed::<BooleanArray>(&b, &p, "restricted")?,
        );
        for i in 0..b.num_rows() {
            data.push(DataHolding {
                host: h.value(i).to_string(),
                client: c.value(i).to_string(),
                data_class: d.value(i).to_string(),
                records: r.value(i),
                restricted: x.value(i),
            });
        }
    }
    let (inv, _) = Inventory::new(inv_hosts.into_iter().map(|(_, h)| h).collect(), sites, data);
    Ok((cat, inv))
}

pub(crate) fn labels_schema() -> Vec<Field> {
    vec![
        f("time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
        f("user", DataType::UInt32, false),
        f("src_host", DataType::UInt32, false),
        f("dst_host", DataType::UInt32, false),
        f("label", DataType::Utf8, false),
        f("source", DataType::UInt32, false),
        f("line", DataType::UInt64, false),
    ]
}

pub(crate) fn stage_labels(path: &Path, labels: &[Label]) -> Result<(), CaseError> {
    write_staged(
        path,
        &batch(
            labels_schema(),
            vec![
                Arc::new(
                    TimestampMicrosecondArray::from(
                        labels.iter().map(|l| l.time.0).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
                Arc::new(UInt32Array::from(labels.iter().map(|l| l.user).collect::<Vec<_>>())),
                Arc::new(UInt32Array::from(labels.iter().map(|l| l.src_host).collect::<Vec<_>>())),
                Arc::new(UInt32Array::from(labels.iter().map(|l| l.dst_host).collect::<Vec<_>>())),
                Arc::new(StringArray::from(
                    labels.iter().map(|l| l.label.as_str()).collect::<Vec<_>>(),
                )),
                Arc::new(UInt32Array::from(labels.iter().map(|l| l.source).collect::<Vec<_>>())),
                Arc::new(UInt64Array::from(labels.iter().map(|l| l.line).collect::<Vec<_>>())),
            ],
        ),
    )
    .map(drop)
}

pub(crate) fn read_labels(path: &Path) -> Result<Vec<Label>, CaseError> {
    let mut out = Vec::new();
    if !path.exists() {
        return Ok(out);
    }
    for b in read_all(path)? {
        let t = typed::<TimestampMicrosecondArray>(&b, path, "time")?;
        let u = typed::<UInt32Array>(&b, path, "user")?;
        let s = typed::<UInt32Array>(&b, path, "src_host")?;
        let d = typed::<UInt32Array>(&b, path, "dst_host")?;
        let l = strings(&b, path, "label")?;
        let so = typed::<UInt32Array>(&b, path, "source")?;
        let li = typed::<UInt64Array>(&b, path, "line")?;
        for i in 0..b.num_rows() {
            out.push(Label {
                time: hopscope_model::Time(t.value(i)),
                user: u.value(i),
                src_host: s.value(i),
                dst_host: d.value(i),
                label: l.value(i).to_string(),
                source: so.value(i),
                line: li.value(i),
            });
        }
    }
    Ok(out)
}
