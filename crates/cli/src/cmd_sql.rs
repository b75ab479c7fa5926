//! `hopscope sql`: SQL over a case on embedded Apache DataFusion.
//!
//! The case's Parquet files are read in place and its ids resolved to names by views
//! ([`crate::sql_views`]). The session is read-only: every statement is planned first and
//! refused when its plan holds DDL (`CREATE`, `DROP`), DML (`INSERT`, `COPY … TO`) or a
//! session statement (`SET`); DataFusion reads no file it was not given (URL tables are off).
//! A query that fails prints DataFusion's message and ends with status 2.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::context::SQLOptions;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::DFParserBuilder;
use futures::StreamExt;
use hopscope_case::Case;
use hopscope_ingest::normalized::guard;

use crate::out::{fit, term};

#[derive(clap::Args)]
#[command(after_long_help = "\
The query comes from the argument, from --file, or (with neither) from an interactive prompt
with history when standard input is a terminal, else from standard input. Views: logins,
events, hosts, accounts, sites, data, problems, problem_examples, sources (docs/sql.md lists
their columns); `SHOW TABLES` and `DESCRIBE logins` list them here.

The session is read-only: CREATE, DROP, INSERT, COPY and SET are refused. A query that fails
prints DataFusion's message and ends with status 2.

Examples:
  hopscope sql --case c1 \"SELECT account, count(DISTINCT dst_host) AS hosts FROM logins
                           WHERE outcome = 'success' GROUP BY account ORDER BY hosts DESC LIMIT 10\"
  hopscope sql --case c1 --file hunts/first-edges.sql --csv > edges.csv
  hopscope sql --case c1 \"SELECT * FROM logins WHERE dst_host = 'jp-crm-01'\" --out crm.parquet
  hopscope sql --case c1")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// The query (one or more statements separated by `;`).
    #[arg(value_name = "QUERY", conflicts_with = "file")]
    query: Option<String>,
    /// Read the query from FILE.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// Write the result as CSV (values a spreadsheet would take as formulas are guarded as
    /// `export` guards them).
    #[arg(long, conflicts_with_all = ["json", "out"])]
    csv: bool,
    /// Write the result as JSON lines: one object a row, nulls written.
    #[arg(long, conflicts_with = "out")]
    json: bool,
    /// Write the result to a Parquet file (never inside a case directory; an existing file
    /// only with --force).
    #[arg(long, value_name = "FILE.parquet")]
    out: Option<PathBuf>,
    /// Replace the --out file when it exists.
    #[arg(long, requires = "out")]
    force: bool,
    /// Read the runs without checking them against the checksums the manifest recorded
    /// (checking reads every run once before the query).
    #[arg(long)]
    skip_checksums: bool,
    /// Threads the query runs on (default: one per core).
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// A query that DataFusion refused or could not run: its message, ending the command with
/// status 2.
#[derive(Debug)]
pub struct QueryFailed(pub String);

impl std::fmt::Display for QueryFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for QueryFailed {}

fn failed(e: impl std::fmt::Display) -> anyhow::Error {
    QueryFailed(e.to_string()).into()
}

/// Where a result goes.
enum Output {
    Table,
    Csv,
    Json,
    Parquet(PathBuf),
}

/// At most this many rows of a result are shown as a table; `--csv`, `--json` and `--out`
/// write all.
const TABLE_ROWS: usize = 1000;
/// A table cell is cut to this many characters.
const CELL: usize = 60;

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let output = match &a.out {
        Some(p) => {
            crate::overwrite::refuse_inside_case(p, "--out")?;
            crate::overwrite::refuse_evidence(p, &case, "--out")?;
            if !a.force && std::fs::symlink_metadata(p).is_ok() {
                bail!("--out {}: exists; --force replaces it", p.display());
            }
            Output::Parquet(p.clone())
        }
        None if a.csv => Output::Csv,
        None if a.json => Output::Json,
        None => Output::Table,
    };
    let text = match (&a.query, &a.file) {
        (Some(q), _) => Some(q.clone()),
        (None, Some(f)) => Some(
            std::fs::read_to_string(f).with_context(|| format!("{}: cannot read", f.display()))?,
        ),
        (None, None) if std::io::stdin().is_terminal() => None,
        (None, None) => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading the query")?;
            Some(s)
        }
    };
    if !a.skip_checksums {
        case.check_runs()?;
    }
    let threads = a
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("hopscope-sql")
        .build()
        .context("starting the query runtime")?;
    let config = SessionConfig::new()
        .with_target_partitions(threads)
        .with_information_schema(true)
        .with_default_catalog_and_schema("datafusion", "public");
    let ctx = SessionContext::new_with_config(config);
    rt.block_on(crate::sql_views::register(&ctx, &case))?;
    match text {
        Some(text) => rt.block_on(run_text(&ctx, &text, &output)).map_err(|e| {
            let hint = e
                .downcast_ref::<QueryFailed>()
                .and_then(|q| crate::sql_views::hint(&case, &q.0).map(|h| format!("{}\n{h}", q.0)));
            match hint {
                Some(h) => failed(h),
                None => e,
            }
        }),
        None => interactive(&rt, &ctx),
    }
}

/// What a session may run: queries only.
fn read_only() -> SQLOptions {
    SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false)
}

/// Run every statement of `text`, writing each result to `output`.
async fn run_text(ctx: &SessionContext, text: &str, output: &Output) -> Result<()> {
    let state = ctx.state();
    let statements = DFParserBuilder::new(text)
        .with_recursion_limit(state.config().options().sql_parser.recursion_limit.get())
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(failed)?;
    if statements.is_empty() {
        return Err(failed("no SQL statement given"));
    }
    if statements.len() > 1 && !matches!(output, Output::Table) {
        return Err(failed(format!(
            "{} statements given: --csv, --json and --out write the result of one",
            statements.len()
        )));
    }
    for statement in statements {
        let plan = state.statement_to_plan(statement).await.map_err(failed)?;
        read_only().verify_plan(&plan).map_err(failed)?;
        let df = ctx.execute_logical_plan(plan).await.map_err(failed)?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let mut stream = df.execute_stream().await.map_err(failed)?;
        match output {
            Output::Table => {
                let mut shown: Vec<RecordBatch> = Vec::new();
                let (mut rows, mut kept) = (0usize, 0usize);
                while let Some(b) = next(&mut stream).await? {
                    rows += b.num_rows();
                    if kept < TABLE_ROWS {
                        let b = b.slice(0, b.num_rows().min(TABLE_ROWS - kept));
                        kept += b.num_rows();
                        shown.push(b);
                    }
                }
                let mut w = crate::out::stdout();
                write_table(&mut w, &schema, &shown, rows)?;
                w.flush()?;
            }
            Output::Csv => {
                // on a terminal CSV is escaped too; into a file or a pipe it is written as
                // it is (its formula guard is in the cells)
                let sink: Box<dyn Write> = if std::io::stdout().is_terminal() {
                    Box::new(crate::out::Terminal::new(std::io::stdout(), false))
                } else {
                    Box::new(std::io::stdout().lock())
                };
                let mut c = csv::Writer::from_writer(std::io::BufWriter::new(sink));
                c.write_record(schema.fields().iter().map(|f| guard(f.name()).into_owned()))?;
                while let Some(b) = next(&mut stream).await? {
                    write_csv(&mut c, &b)?;
                }
                c.flush()?;
            }
            Output::Json => {
                // JSON's own escapes keep it JSON through the terminal escaping
                let w =
                    std::io::BufWriter::new(crate::out::Terminal::new(std::io::stdout(), false));
                let mut j = datafusion::arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, datafusion::arrow::json::writer::LineDelimited>(w);
                while let Some(b) = next(&mut stream).await? {
                    j.write(&b)?;
                }
                j.finish()?;
                j.into_inner().flush()?;
            }
            Output::Parquet(path) => {
                let rows = write_parquet(path, &schema, &mut stream).await?;
                errln!("{rows} row(s) written to {}", term(&path.display().to_string()));
            }
        }
    }
    Ok(())
}

/// Write a result to a Parquet file whole or not at all (a temporary file renamed at the end).
async fn write_parquet(
    path: &Path,
    schema: &SchemaRef,
    stream: &mut SendableRecordBatchStream,
) -> Result<usize> {
    let tmp = crate::overwrite::temporary_beside(path)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1)?))
        .build();
    let mut w = ArrowWriter::try_new(tmp.as_file(), schema.clone(), Some(props))?;
    let mut rows = 0;
    while let Some(b) = next(stream).await? {
        rows += b.num_rows();
        w.write(&b).with_context(|| format!("writing {}", path.display()))?;
    }
    w.close().with_context(|| format!("writing {}", path.display()))?;
    crate::overwrite::commit(tmp, path)?;
    Ok(rows)
}

/// The next batch of a result; an execution error is the query's failure.
async fn next(stream: &mut SendableRecordBatchStream) -> Result<Option<RecordBatch>> {
    stream.next().await.transpose().map_err(failed)
}

/// The cells of a batch as text, column by column (nulls empty).
fn cells(b: &RecordBatch) -> Result<Vec<Vec<String>>> {
    let opts = FormatOptions::default().with_null("");
    b.columns()
        .iter()
        .map(|c| {
            let f = ArrayFormatter::try_new(c.as_ref(), &opts)?;
            Ok((0..b.num_rows()).map(|i| f.value(i).to_string()).collect())
        })
        .collect()
}

fn write_csv<W: Write>(c: &mut csv::Writer<W>, b: &RecordBatch) -> Result<()> {
    let cols = cells(b)?;
    let numeric: Vec<bool> =
        b.schema().fields().iter().map(|f| f.data_type().is_numeric()).collect();
    for i in 0..b.num_rows() {
        // numbers as they are (a guard would turn -5 into text); every other value guarded
        c.write_record(cols.iter().zip(&numeric).map(|(col, &num)| {
            if num {
                col[i].clone()
            } else {
                guard(&col[i]).into_owned()
            }
        }))?;
    }
    Ok(())
}

/// A result as an aligned table: every cell escaped for the terminal and cut to [`CELL`]
/// characters, numbers right-aligned, the row count below.
fn write_table(
    w: &mut dyn Write,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    rows: usize,
) -> Result<()> {
    let names: Vec<String> = schema.fields().iter().map(|f| fit(f.name(), CELL)).collect();
    let right: Vec<bool> = schema.fields().iter().map(|f| f.data_type().is_numeric()).collect();
    let mut grid: Vec<Vec<String>> = Vec::new();
    for b in batches {
        let cols = cells(b)?;
        for i in 0..b.num_rows() {
            grid.push(cols.iter().map(|c| fit(&c[i], CELL)).collect());
        }
    }
    let mut width: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    for r in &grid {
        for (k, c) in r.iter().enumerate() {
            width[k] = width[k].max(c.chars().count());
        }
    }
    let line = |w: &mut dyn Write, r: &[String]| -> std::io::Result<()> {
        let mut s = String::new();
        for (k, c) in r.iter().enumerate() {
            if k > 0 {
                s.push_str("  ");
            }
            let pad = " ".repeat(width[k] - c.chars().count());
            if right[k] {
                s.push_str(&pad);
                s.push_str(c);
            } else {
                s.push_str(c);
                if k + 1 < r.len() {
                    s.push_str(&pad);
                }
            }
        }
        writeln!(w, "{s}")
    };
    line(w, &names)?;
    let rule: Vec<String> = width.iter().map(|n| "-".repeat(*n)).collect();
    line(w, &rule)?;
    for r in &grid {
        line(w, r)?;
    }
    if rows > grid.len() {
        writeln!(
            w,
            "{rows} rows, the first {} shown (--csv, --json or --out write all)",
            grid.len()
        )?;
    } else {
        writeln!(w, "{rows} row{}", if rows == 1 { "" } else { "s" })?;
    }
    Ok(())
}

/// The history file of the interactive prompt: `~/.hopscope_sql_history` (none without a
/// home directory; never in the case).
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".hopscope_sql_history"))
}

/// The prompt: a statement ends with `;`; `quit`, `exit` or end of input leaves; Ctrl-C drops
/// the statement being typed. A failed query prints its message and the prompt goes on.
fn interactive(rt: &tokio::runtime::Runtime, ctx: &SessionContext) -> Result<()> {
    use rustyline::error::ReadlineError;
    let mut ed = rustyline::DefaultEditor::new().context("starting the prompt")?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = ed.load_history(h);
    }
    errln!("hopscope sql: statements end with `;`; `SHOW TABLES;` lists the views, `quit` leaves");
    let mut buf = String::new();
    loop {
        let prompt = if buf.is_empty() { "sql> " } else { "...> " };
        match ed.readline(prompt) {
            Ok(line) => {
                let t = line.trim();
                if buf.is_empty() && matches!(t, "quit" | "exit" | "\\q" | "quit;" | "exit;") {
                    break;
                }
                if t.is_empty() && buf.is_empty() {
                    continue;
                }
                buf.push_str(&line);
                buf.push('\n');
                if t.ends_with(';') {
                    let _ = ed.add_history_entry(buf.trim());
                    if let Err(e) = rt.block_on(run_text(ctx, &buf, &Output::Table)) {
                        if e.downcast_ref::<QueryFailed>().is_none() {
                            return Err(e);
                        }
                        errln!("error: {e}");
                    }
                    buf.clear();
                }
            }
            Err(ReadlineError::Interrupted) => buf.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading the prompt"),
        }
    }
    if let Some(h) = &history {
        let _ = ed.save_history(h);
    }
    Ok(())
}
