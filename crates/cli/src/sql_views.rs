//! The tables and views `hopscope sql` sees: the case's Parquet files, and views that resolve
//! their ids to names with joins. No Parquet file is read through the Arrow schema it embeds
//! (`ARROW:schema`): the runs are read against the case's own schema ([`CaseParquet`]), the
//! small tables by the case store.
//!
//! - `events`: the event runs the manifest lists (the case's ids, 0 = none), read in place;
//!   in a merged case, the runs of each shard are read through its remap table
//!   (`store.runs_N` with the `hopscope_remap_N_*` functions, joined by `UNION ALL`);
//! - `store.hosts`, `store.accounts`, `store.addresses`, `store.auths`, `store.sources`,
//!   `store.sites`, `store.data`, `store.labels`: the case's dictionaries and context tables,
//!   in memory;
//! - `sources`, `problems`, `problem_examples`: the manifest's tables, small, in memory;
//! - views `logins`, `hosts`, `accounts`, `sites`, `data` over those;
//! - once `detect --save` has saved them, `store.alerts` and `store.alert_hops` and the
//!   views `alerts` and `alert_hops` over them (names as `detect --json` prints them).
//!
//! Nothing of the events is copied: a query over `logins` streams the runs through the joins.
//! The code-to-name mappings of the small enums (logon type, outcome, …) are generated from
//! the model's own enums, so they cannot drift from what ingest writes.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use datafusion::arrow::array::{
    ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray, UInt32Array, UInt64Array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::catalog::{MemorySchemaProvider, Session, TableProvider};
use datafusion::common::Statistics;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::file_format::FileFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfig, FileSource};
use datafusion::datasource::table_schema::TableSchema;
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::object_store::{ObjectMeta, ObjectStore};
use datafusion::parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use datafusion::parquet::file::metadata::{FileMetaData, KeyValue, ParquetMetaData};
use datafusion::physical_expr::LexOrdering;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use hopscope_case::remap::Remap;
use hopscope_case::{Case, Manifest};
use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, SourceFormat};

/// Parquet as DataFusion reads it, except that the Arrow schema a file embeds in its metadata
/// (`ARROW:schema`, base64 of an Arrow IPC message) is never decoded: a damaged one made the
/// Arrow IPC decoder panic (the case store reads its files the same way,
/// `hopscope_case::read_table`). The table's schema is the case's own; each file is read
/// against it (a file whose columns do not fit it is an error naming the file), and the
/// statistics of a file are computed from its metadata with that key left out. Nothing is
/// written through it.
#[derive(Debug, Default)]
struct CaseParquet(ParquetFormat);

/// `metadata` without its embedded Arrow schema.
fn without_arrow_schema(metadata: &ParquetMetaData) -> ParquetMetaData {
    let f = metadata.file_metadata();
    let kv: Option<Vec<KeyValue>> = f
        .key_value_metadata()
        .map(|kv| kv.iter().filter(|k| k.key != "ARROW:schema").cloned().collect());
    let file = FileMetaData::new(
        f.version(),
        f.num_rows(),
        f.created_by().map(str::to_string),
        kv,
        f.schema_descr_ptr(),
        f.column_orders().cloned(),
    );
    ParquetMetaData::new(file, metadata.row_groups().to_vec())
}

#[async_trait::async_trait]
impl FileFormat for CaseParquet {
    fn get_ext(&self) -> String {
        self.0.get_ext()
    }
    fn get_ext_with_compression(
        &self,
        c: &FileCompressionType,
    ) -> datafusion::error::Result<String> {
        self.0.get_ext_with_compression(c)
    }
    fn compression_type(&self) -> Option<FileCompressionType> {
        self.0.compression_type()
    }
    async fn infer_schema(
        &self,
        _: &dyn Session,
        _: &Arc<dyn ObjectStore>,
        _: &[ObjectMeta],
    ) -> datafusion::error::Result<SchemaRef> {
        // the schema is the case's, given with the table; never read from the files
        Err(datafusion::error::DataFusionError::Internal(
            "the schema of a case's runs is given, not inferred".into(),
        ))
    }
    async fn infer_stats(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> datafusion::error::Result<Statistics> {
        let cache = state.runtime_env().cache_manager.get_file_metadata_cache();
        let metadata = DFParquetMetadata::new(store.as_ref(), object)
            .with_file_metadata_cache(Some(cache))
            .fetch_metadata()
            .await?;
        // a file whose columns do not fit the case's schema is refused here, naming it (the
        // reader would refuse it later without its name)
        let options = ArrowReaderOptions::new().with_schema(table_schema.clone());
        ArrowReaderMetadata::try_new(metadata.clone(), options).map_err(|e| {
            datafusion::error::DataFusionError::Execution(format!(
                "{}: does not hold the columns of a run of the case: {e}",
                object.location
            ))
        })?;
        DFParquetMetadata::statistics_from_parquet_metadata(
            &without_arrow_schema(&metadata),
            &table_schema,
        )
    }
    async fn infer_ordering(
        &self,
        state: &dyn Session,
        store: &Arc<dyn ObjectStore>,
        table_schema: SchemaRef,
        object: &ObjectMeta,
    ) -> datafusion::error::Result<Option<LexOrdering>> {
        // from the row groups' sorting columns, by the Parquet schema
        self.0.infer_ordering(state, store, table_schema, object).await
    }
    async fn create_physical_plan(
        &self,
        state: &dyn Session,
        mut conf: FileScanConfig,
    ) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        // a file given its Arrow schema is read against it, its embedded one not decoded
        let schema = conf.file_schema().clone();
        conf.file_groups = std::mem::take(&mut conf.file_groups)
            .into_iter()
            .map(|g| {
                let stats = g.file_statistics(None).cloned();
                let files = g.into_inner().into_iter().map(|f| f.with_arrow_schema(schema.clone()));
                let g = FileGroup::new(files.collect());
                match stats {
                    Some(s) => g.with_statistics(Arc::new(s)),
                    None => g,
                }
            })
            .collect();
        self.0.create_physical_plan(state, conf).await
    }
    fn file_source(&self, table_schema: TableSchema) -> Arc<dyn FileSource> {
        self.0.file_source(table_schema)
    }
}

/// The case's event runs (each group of a merged case apart), read in place with the case's
/// own schema.
async fn runs_table(files: &[&Path]) -> Result<Arc<dyn TableProvider>> {
    let mut urls = Vec::with_capacity(files.len());
    for f in files {
        // a URL, not a path string: a case directory named with `*` or `?` is not a glob
        let abs = std::fs::canonicalize(f).with_context(|| format!("{}", f.display()))?;
        let url = url::Url::from_file_path(&abs)
            .map_err(|()| anyhow::anyhow!("{}: not an absolute path", abs.display()))?;
        urls.push(ListingTableUrl::try_new(url, None)?);
    }
    let options =
        ListingOptions::new(Arc::new(CaseParquet::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(options)
        .with_schema(hopscope_case::events_schema());
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// One of the case's small tables (a dictionary, a context table, saved results), read whole
/// into memory by the case store.
fn case_table(path: &Path) -> Result<Arc<dyn TableProvider>> {
    let (schema, batches) = hopscope_case::read_table(path)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
}

fn mem_table(schema: SchemaRef, cols: Vec<ArrayRef>) -> Result<Arc<dyn TableProvider>> {
    let batch = RecordBatch::try_new(schema.clone(), cols)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn micros(t: &Option<String>) -> Option<i64> {
    t.as_deref()?.parse::<jiff::Timestamp>().ok().map(|t| t.as_microsecond())
}

/// `sources`: one row per input file, as the manifest records it.
fn sources_table(m: &Manifest) -> Result<Arc<dyn TableProvider>> {
    let s = &m.sources;
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::UInt32, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("format", DataType::Utf8, true),
        Field::new("compressed", DataType::Utf8, true),
        Field::new("bytes", DataType::UInt64, false),
        Field::new("sha256", DataType::Utf8, true),
        Field::new("lines", DataType::UInt64, false),
        Field::new("events", DataType::UInt64, false),
        Field::new("labels", DataType::UInt64, false),
        Field::new("ignored", DataType::UInt64, false),
        Field::new("problems", DataType::UInt64, false),
        Field::new("first_time", utc(), true),
        Field::new("last_time", utc(), true),
    ]));
    let u64s = |f: &dyn Fn(&hopscope_case::SourceEntry) -> u64| -> ArrayRef {
        Arc::new(UInt64Array::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let strs = |f: &dyn Fn(&hopscope_case::SourceEntry) -> Option<&str>| -> ArrayRef {
        Arc::new(StringArray::from(s.iter().map(f).collect::<Vec<_>>()))
    };
    let times = |f: &dyn Fn(&hopscope_case::SourceEntry) -> &Option<String>| -> ArrayRef {
        Arc::new(
            TimestampMicrosecondArray::from(s.iter().map(|e| micros(f(e))).collect::<Vec<_>>())
                .with_timezone("UTC"),
        )
    };
    mem_table(
        schema,
        vec![
            Arc::new(UInt32Array::from(s.iter().map(|e| e.id).collect::<Vec<_>>())),
            strs(&|e| Some(&e.path)),
            strs(&|e| e.format.as_deref()),
            strs(&|e| e.compressed.as_deref()),
            u64s(&|e| e.bytes),
            strs(&|e| e.sha256.as_deref()),
            u64s(&|e| e.lines),
            u64s(&|e| e.events),
            u64s(&|e| e.labels),
            u64s(&|e| e.ignored),
            u64s(&|e| e.problems.values().sum()),
            times(&|e| &e.first_time),
            times(&|e| &e.last_time),
        ],
    )
}

/// `problems`: counts by input file and reason; what the inventory (or anything not tied to
/// one input file) counted has no file.
fn problems_table(m: &Manifest) -> Result<Arc<dyn TableProvider>> {
    let mut rows: Vec<(Option<&str>, &str, u64)> = Vec::new();
    let mut rest = m.problems.clone();
    for s in &m.sources {
        for (reason, n) in &s.problems {
            rows.push((Some(&s.path), reason, *n));
            if let Some(r) = rest.get_mut(reason) {
                *r = r.saturating_sub(*n);
            }
        }
    }
    for reason in m.problems.keys() {
        let left = rest.get(reason).copied().unwrap_or(0);
        if left > 0 {
            rows.push((None, reason, left));
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("file", DataType::Utf8, true),
        Field::new("reason", DataType::Utf8, false),
        Field::new("count", DataType::UInt64, false),
    ]));
    mem_table(
        schema,
        vec![
            Arc::new(StringArray::from(rows.iter().map(|r| r.0).collect::<Vec<_>>())),
            Arc::new(StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
            Arc::new(UInt64Array::from(rows.iter().map(|r| r.2).collect::<Vec<_>>())),
        ],
    )
}

/// `problem_examples`: the first few located examples of each reason.
fn problem_examples_table(m: &Manifest) -> Result<Arc<dyn TableProvider>> {
    let e = &m.problem_examples;
    let schema = Arc::new(Schema::new(vec![
        Field::new("reason", DataType::Utf8, false),
        Field::new("at", DataType::Utf8, false),
        Field::new("message", DataType::Utf8, false),
    ]));
    mem_table(
        schema,
        vec![
            Arc::new(StringArray::from(e.iter().map(|x| x.kind.as_str()).collect::<Vec<_>>())),
            Arc::new(StringArray::from(e.iter().map(|x| x.at.as_str()).collect::<Vec<_>>())),
            Arc::new(StringArray::from(e.iter().map(|x| x.message.as_str()).collect::<Vec<_>>())),
        ],
    )
}

/// `CASE col WHEN code THEN 'name' … END` for a small enum.
fn case_of(col: &str, codes: impl IntoIterator<Item = (u8, &'static str)>) -> String {
    let mut s = format!("CASE {col}");
    for (code, name) in codes {
        s.push_str(&format!(" WHEN {code} THEN '{name}'"));
    }
    s.push_str(" END");
    s
}

/// The flag names of `col`, comma-separated in their documented order; NULL when none.
fn flags_of(col: &str) -> String {
    let parts: Vec<String> = EventFlags::NAMED
        .iter()
        .map(|(f, name)| format!("CASE WHEN {col} & {} <> 0 THEN '{name}' END", f.0))
        .collect();
    format!("NULLIF(concat_ws(',', {}), '')", parts.join(", "))
}

/// The `logins` view: every event of the case with its names resolved.
pub fn logins_sql(m: &Manifest) -> String {
    let logon = case_of("e.logon_type", LogonType::ALL.iter().map(|t| (t.code(), t.as_str())));
    let outcome = case_of(
        "e.outcome",
        (0..=u8::MAX).filter_map(|c| Outcome::from_code(c).map(|o| (c, o.as_str()))),
    );
    let orientation = case_of(
        "e.orientation",
        (0..=u8::MAX).filter_map(|c| Orientation::from_code(c).map(|o| (c, o.as_str()))),
    );
    let format = case_of("e.format", SourceFormat::ALL.iter().map(|f| (*f as u8, f.as_str())));
    let flags = flags_of("e.flags");
    let record = EventFlags::RECORD.0;
    let in_range = match &m.time_range {
        Some(r) => format!(
            "(arrow_cast(e.time, 'Int64') >= {} AND arrow_cast(e.time, 'Int64') < {})",
            r.start, r.end
        ),
        None => "true".into(),
    };
    format!(
        "CREATE VIEW logins AS SELECT \
           e.time, \
           sh.name AS src_host, sh.site AS src_site, sh.country AS src_country, sa.ip AS src_ip, \
           dh.name AS dst_host, dh.site AS dst_site, dh.country AS dst_country, da.ip AS dst_ip, \
           a.name AS account, a.domain AS domain, sa2.name AS src_account, \
           au.auth AS auth, \
           {logon} AS logon_type, {outcome} AS outcome, {orientation} AS orientation, \
           {format} AS format, e.event_id, {flags} AS flags, \
           so.path AS evidence_file, \
           CASE WHEN e.flags & {record} = 0 THEN e.position END AS line, \
           CASE WHEN e.flags & {record} <> 0 THEN e.position END AS record, \
           {in_range} AS in_range \
         FROM events e \
         LEFT JOIN store.hosts sh ON sh.id = e.src_host \
         LEFT JOIN store.hosts dh ON dh.id = e.dst_host \
         LEFT JOIN store.addresses sa ON sa.id = e.src_ip \
         LEFT JOIN store.addresses da ON da.id = e.dst_ip \
         LEFT JOIN store.accounts a ON a.id = e.user \
         LEFT JOIN store.accounts sa2 ON sa2.id = e.src_user \
         LEFT JOIN store.auths au ON au.id = e.auth \
         LEFT JOIN store.sources so ON so.id = e.source"
    )
}

fn hosts_sql() -> String {
    let crit =
        case_of("h.criticality", (0..=4u8).map(|c| (c, hopscope_model::criticality_name(c))));
    format!(
        "CREATE VIEW hosts AS \
         WITH seen AS ( \
           SELECT host, sum(out) AS logins_from, sum(inn) AS logins_to, \
                  min(time) AS first_seen, max(time) AS last_seen FROM ( \
             SELECT src_host AS host, 1 AS out, 0 AS inn, time FROM events WHERE src_host <> 0 \
             UNION ALL \
             SELECT dst_host AS host, 0 AS out, 1 AS inn, time FROM events WHERE dst_host <> 0 \
           ) GROUP BY host) \
         SELECT h.id, h.name AS host, h.kind, h.site, h.country, h.ips, h.role, h.owner, \
                h.lifecycle, h.last_patched, h.internet_facing, {crit} AS criticality, \
                h.inventory_row IS NOT NULL AS in_inventory, \
                COALESCE(s.logins_from, 0) AS logins_from, COALESCE(s.logins_to, 0) AS logins_to, \
                s.first_seen, s.last_seen \
         FROM store.hosts h LEFT JOIN seen s ON s.host = h.id"
    )
}

const ACCOUNTS: &str = "CREATE VIEW accounts AS \
    WITH seen AS ( \
      SELECT user, count(*) AS events, \
             count(*) FILTER (WHERE outcome = 1) AS successes, \
             count(*) FILTER (WHERE outcome = 2) AS failures, \
             count(DISTINCT dst_host) AS dst_hosts, count(DISTINCT src_host) AS src_hosts, \
             min(time) AS first_seen, max(time) AS last_seen \
      FROM events WHERE user <> 0 GROUP BY user) \
    SELECT a.id, a.name AS account, a.domain, COALESCE(s.events, 0) AS events, \
           COALESCE(s.successes, 0) AS successes, COALESCE(s.failures, 0) AS failures, \
           COALESCE(s.dst_hosts, 0) AS dst_hosts, COALESCE(s.src_hosts, 0) AS src_hosts, \
           s.first_seen, s.last_seen \
    FROM store.accounts a LEFT JOIN seen s ON s.user = a.id";

const SITES: &str = "CREATE VIEW sites AS \
    SELECT s.cidr, s.site, s.country, COALESCE(h.hosts, 0) AS hosts \
    FROM store.sites s LEFT JOIN ( \
      SELECT site, count(*) AS hosts FROM store.hosts WHERE inventory_row IS NOT NULL GROUP BY site \
    ) h ON h.site = s.site";

const DATA: &str = "CREATE VIEW data AS \
    SELECT d.host, d.client, d.data_class, d.records, d.restricted, \
           h.site, h.country, h.lifecycle \
    FROM store.data d LEFT JOIN ( \
      SELECT name, site, country, lifecycle FROM store.hosts WHERE inventory_row IS NOT NULL \
    ) h ON lower(h.name) = lower(d.host)";

/// Maps a shard's ids to the case's through one dictionary of its remap table.
#[derive(Debug)]
struct RemapIds {
    name: String,
    table: Arc<Vec<u32>>,
    signature: Signature,
}

// compared and hashed by name: one function per (group, dictionary) in a session
impl PartialEq for RemapIds {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for RemapIds {}
impl std::hash::Hash for RemapIds {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state)
    }
}

impl ScalarUDFImpl for RemapIds {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::UInt32)
    }
    fn invoke_with_args(
        &self,
        args: ScalarFunctionArgs,
    ) -> datafusion::error::Result<ColumnarValue> {
        let [ids] = ColumnarValue::values_to_arrays(&args.args)?.try_into().map_err(|_| {
            datafusion::error::DataFusionError::Execution(format!(
                "{} takes one argument",
                self.name
            ))
        })?;
        let ids = ids.as_any().downcast_ref::<UInt32Array>().ok_or_else(|| {
            datafusion::error::DataFusionError::Execution(format!(
                "{}: ids must be UInt32",
                self.name
            ))
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids.values() {
            out.push(*self.table.get(*id as usize).ok_or_else(|| {
                datafusion::error::DataFusionError::Execution(format!(
                    "{}: id {id} is not in the shard's remap table (a damaged run)",
                    self.name
                ))
            })?);
        }
        Ok(ColumnarValue::Array(Arc::new(UInt32Array::new(
            out.into(),
            datafusion::arrow::array::Array::nulls(ids).cloned(),
        ))))
    }
}

/// `SELECT` of group `n`'s runs with every id through its remap table, registering the
/// functions that do it; the columns of `hopscope_case::events_schema`, in its order.
fn remapped_select(ctx: &SessionContext, n: usize, remap: &Remap) -> String {
    let mut cols = Vec::new();
    for f in hopscope_case::events_schema().fields() {
        let col = f.name().as_str();
        let dict = match col {
            "src_host" | "dst_host" => Some("hosts"),
            "src_ip" | "dst_ip" => Some("addresses"),
            "user" | "src_user" => Some("accounts"),
            "auth" => Some("auths"),
            "source" => Some("sources"),
            _ => None,
        };
        match dict {
            None => cols.push(format!("\"{col}\"")),
            Some(d) => {
                let name = format!("hopscope_remap_{n}_{d}");
                let table = Arc::new(remap.table(d).unwrap_or_default().to_vec());
                let udf = RemapIds {
                    name: name.clone(),
                    table,
                    signature: Signature::exact(vec![DataType::UInt32], Volatility::Immutable),
                };
                ctx.register_udf(ScalarUDF::from(udf));
                cols.push(format!("{name}(\"{col}\") AS \"{col}\""));
            }
        }
    }
    format!("SELECT {} FROM store.runs_{n}", cols.join(", "))
}

/// Register the case's files and the views over them in `ctx`.
pub async fn register(ctx: &SessionContext, case: &Case) -> Result<()> {
    let store = Arc::new(MemorySchemaProvider::new());
    ctx.catalog("datafusion")
        .context("DataFusion's default catalog is missing")?
        .register_schema("store", store)?;

    let groups = case.run_groups()?;
    if groups.iter().all(|(remap, _)| remap.is_none()) {
        let runs: Vec<&Path> =
            groups.iter().flat_map(|(_, r)| r.iter().map(|p| p.as_path())).collect();
        let events: Arc<dyn TableProvider> = if runs.is_empty() {
            let schema = hopscope_case::events_schema();
            Arc::new(MemTable::try_new(schema, vec![vec![]])?)
        } else {
            runs_table(&runs).await?
        };
        ctx.register_table("events", events)?;
    } else {
        // a merged case: each group of runs through its own remap table, as one view
        let mut parts = Vec::new();
        for (n, (remap, runs)) in groups.iter().enumerate() {
            let refs: Vec<&Path> = runs.iter().map(|p| p.as_path()).collect();
            ctx.register_table(format!("store.runs_{n}"), runs_table(&refs).await?)?;
            parts.push(match remap {
                None => format!("SELECT * FROM store.runs_{n}"),
                Some(r) => remapped_select(ctx, n, r),
            });
        }
        ctx.sql(&format!("CREATE VIEW events AS {}", parts.join(" UNION ALL ")))
            .await
            .context("creating the events view")?;
    }

    for name in ["hosts", "accounts", "addresses", "auths", "sources", "sites", "data", "labels"] {
        let file = case.dir.join(format!("{name}.parquet"));
        if name == "labels" && !file.exists() {
            continue;
        }
        ctx.register_table(format!("store.{name}"), case_table(&file)?)?;
    }
    ctx.register_table("sources", sources_table(&case.manifest)?)?;
    ctx.register_table("problems", problems_table(&case.manifest)?)?;
    ctx.register_table("problem_examples", problem_examples_table(&case.manifest)?)?;

    for view in
        [logins_sql(&case.manifest), hosts_sql(), ACCOUNTS.into(), SITES.into(), DATA.into()]
    {
        ctx.sql(&view).await.with_context(|| format!("creating a view: {view}"))?;
    }

    for t in &case.manifest.saved {
        let file = hopscope_case::saved_table_path(&case.dir, t)?;
        ctx.register_table(format!("store.{}", t.name), case_table(&file)?)?;
        let view = format!("CREATE VIEW {} AS SELECT * FROM store.{}", t.name, t.name);
        ctx.sql(&view).await.with_context(|| format!("creating a view: {view}"))?;
        if t.generation != case.manifest.generation {
            errln!(
                "note: {} were saved over generation {} of the case; it is at generation {} now \
                 (`hopscope detect --case {} --save` saves them again)",
                t.name,
                t.generation,
                case.manifest.generation,
                case.dir.display()
            );
        }
    }
    Ok(())
}

/// What to add to DataFusion's message when a query names saved results the case does not
/// hold yet.
pub fn hint(case: &Case, message: &str) -> Option<String> {
    let missing = ["alerts", "alert_hops"].into_iter().find(|t| {
        message.contains(&format!("table '{t}' not found"))
            || message.contains(&format!("table 'datafusion.public.{t}' not found"))
    })?;
    (!case.manifest.saved.iter().any(|s| s.name == missing)).then(|| {
        format!(
            "the case holds no saved alerts: `hopscope detect --case {} --save` saves them",
            case.dir.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use datafusion::arrow::array::Int64Array;
    use hopscope_case::CaseWriter;
    use hopscope_model::*;
    use std::path::PathBuf;

    /// A committed case of 300 events in three runs.
    fn make(dir: &Path) {
        let (mut w, _, mut cat, _) = CaseWriter::open(dir).unwrap();
        w.set_run_events(100);
        let src = cat.sources.intern("a.log");
        for run in 0..3 {
            let mut t = EventTable::default();
            for i in run * 100..(run + 1) * 100 {
                let user = cat.accounts.intern(&format!("user{}", i % 13), Some("CORP"));
                let dst =
                    cat.hosts.resolve(&Inventory::default(), Some(&format!("srv{}", i % 7)), None);
                let auth = cat.auths.intern(["Kerberos", "NTLM"][i % 2]);
                t.push(&Event {
                    time: Time((1_560_000_000 + i as i64 * 37) * 1_000_000),
                    src_host: 0,
                    src_ip: 0,
                    dst_host: dst,
                    dst_ip: 0,
                    user,
                    src_user: 0,
                    auth,
                    logon_type: LogonType::Network,
                    outcome: if i % 5 == 0 { Outcome::Failure } else { Outcome::Success },
                    orientation: Orientation::LogOn,
                    format: SourceFormat::Lanl,
                    event_id: 4624,
                    flags: EventFlags::default(),
                    evidence: Evidence { source: src, position: Position::Line(i as u64 + 1) },
                });
            }
            w.push(&t).unwrap();
        }
        w.commit(&cat, &Inventory::default(), hopscope_case::Manifest::default()).unwrap();
    }

    /// What `sql` answers over the case at `dir` (the runs' checksums not checked, as with
    /// `--skip-checksums`: the files are read).
    fn answer(rt: &tokio::runtime::Runtime, dir: &Path) -> Result<Vec<RecordBatch>> {
        let case = Case::open(dir)?;
        let ctx = SessionContext::new();
        rt.block_on(async {
            register(&ctx, &case).await?;
            let df = ctx
                .sql(
                    "SELECT count(*) AS n, count(DISTINCT account) AS accounts, \
                     count(DISTINCT dst_host) AS hosts, count(DISTINCT auth) AS auths, \
                     sum(line) AS lines, min(time) AS first FROM logins",
                )
                .await?;
            Ok(df.collect().await?)
        })
    }

    /// What a query over the case's runs alone answers (the `events` table `sql` registers).
    fn answer_runs(rt: &tokio::runtime::Runtime, runs: &[PathBuf]) -> Result<Vec<RecordBatch>> {
        let ctx = SessionContext::new();
        let refs: Vec<&Path> = runs.iter().map(|p| p.as_path()).collect();
        rt.block_on(async {
            ctx.register_table("events", runs_table(&refs).await?)?;
            let df = ctx
                .sql(
                    "SELECT count(*) AS n, sum(\"user\") AS u, sum(dst_host) AS d, \
                     sum(auth) AS a, sum(position) AS p, min(time) AS t FROM events",
                )
                .await?;
            Ok(df.collect().await?)
        })
    }

    /// Where the base64 text of a Parquet file's embedded Arrow schema sits in `bytes`, and the
    /// message it decodes to.
    fn embedded_schema(path: &Path, bytes: &[u8]) -> (usize, Vec<u8>) {
        use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
        let r = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
        let kv = r.metadata().file_metadata().key_value_metadata().cloned().unwrap_or_default();
        let text = kv.iter().find(|k| k.key == "ARROW:schema").and_then(|k| k.value.clone());
        let text = text.expect("an embedded Arrow schema");
        let at = bytes.windows(text.len()).rposition(|w| w == text.as_bytes()).unwrap();
        (at, base64::engine::general_purpose::STANDARD.decode(text).unwrap())
    }

    /// Each damaged version of `file`'s embedded Arrow schema: byte `i` (every `step`-th after
    /// the message's 8-byte prefix) set to 0 and to 0xff, written in place; `check` is called
    /// on each, then the file is restored. Returns how many were tried.
    fn each_damaged_schema(file: &Path, step: usize, mut check: impl FnMut(usize, u8)) -> usize {
        let original = std::fs::read(file).unwrap();
        let (at, schema) = embedded_schema(file, &original);
        let mut tried = 0;
        for i in (8..schema.len()).step_by(step) {
            for v in [0u8, 0xff] {
                if v == schema[i] {
                    continue;
                }
                let mut bad = schema.clone();
                bad[i] = v;
                let text = base64::engine::general_purpose::STANDARD.encode(&bad);
                let mut bytes = original.clone();
                bytes[at..at + text.len()].copy_from_slice(text.as_bytes());
                std::fs::write(file, &bytes).unwrap();
                check(i, v);
                tried += 1;
            }
        }
        std::fs::write(file, original).unwrap();
        tried
    }

    /// Found by fuzzing the case store, and reached through DataFusion by `sql`: a Parquet
    /// file whose embedded Arrow schema is damaged (an unknown type id, a list without its
    /// child, …) made the Arrow IPC decoder panic. `sql` reads no file through it: every third
    /// byte of a run's schema set to 0 and to 0xff (the runs are what DataFusion reads; every
    /// byte took minutes in a debug build, and `sql` decodes none of them), and every
    /// ninth byte of two dictionaries' (read by the case store, whose own test sets every
    /// byte) and of another run's under the whole `logins` view; each time the answer is the
    /// one over the case as written.
    #[test]
    fn a_damaged_embedded_arrow_schema_is_never_a_panic_and_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        make(d);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let runs = Case::open(d).unwrap().run_files().unwrap();
        let expect_runs = answer_runs(&rt, &runs).unwrap();
        let n = expect_runs[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
        assert_eq!(n, 300);
        let tried = each_damaged_schema(&runs[1], 3, |i, v| {
            let got = answer_runs(&rt, &runs).unwrap_or_else(|e| panic!("byte {i} = {v}: {e:#}"));
            assert_eq!(got, expect_runs, "byte {i} = {v}");
        });
        assert!(tried > 100, "{tried} damaged schemas of a run tried");

        let expect = answer(&rt, d).unwrap();
        let n = expect[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
        assert_eq!(n, 300);
        for file in [d.join("hosts.parquet"), d.join("auths.parquet"), runs[2].clone()] {
            let tried = each_damaged_schema(&file, 9, |i, v| {
                let got = answer(&rt, d)
                    .unwrap_or_else(|e| panic!("{} byte {i} = {v}: {e:#}", file.display()));
                assert_eq!(got, expect, "{} byte {i} = {v}", file.display());
            });
            assert!(tried > 20, "{tried} damaged schemas of {} tried", file.display());
        }
    }
}
