//! `hopscope export`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_ingest::normalized::{csv_writer, write_csv, write_jsonl, ExportRow};

#[derive(clap::Args)]
#[command(after_long_help = "\
The output is hopscope's normalised schema (docs/formats.md): `ingest --format jsonl|csv`
reads it back. Events come in time order; ties are ordered by evidence.

Examples:
  hopscope export --case c1 | jq -c 'select(.outcome == \"failure\")'
  hopscope export --case c1 --format csv --out events.csv")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
    format: String,
    /// Output file (default: standard output).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let sink: Box<dyn Write> = match &a.out {
        Some(p) => {
            Box::new(File::create(p).with_context(|| format!("{}: cannot create", p.display()))?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    // JSON lines are escaped for a terminal wherever they go (the escapes are JSON's own: the
    // same strings); CSV is written as it is, escaped only for a terminal's eyes
    let escape = a.format == "jsonl" || (a.out.is_none() && std::io::stdout().is_terminal());
    let sink: Box<dyn Write> =
        if escape { Box::new(crate::out::Terminal::new(sink, false)) } else { sink };
    let mut w = BufWriter::with_capacity(1 << 20, sink);
    let cat = &case.catalog;
    if a.format == "csv" {
        let mut c = csv_writer(w)?;
        for t in case.events(1 << 16)? {
            let t = t?;
            for e in t.iter() {
                write_csv(&mut c, &ExportRow::from_event(&e, cat))?;
            }
        }
        c.flush()?;
    } else {
        for t in case.events(1 << 16)? {
            let t = t?;
            for e in t.iter() {
                write_jsonl(&mut w, &ExportRow::from_event(&e, cat))?;
            }
        }
        w.flush()?;
    }
    Ok(())
}
