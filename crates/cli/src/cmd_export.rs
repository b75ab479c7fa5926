//! `hopscope export`.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Result;
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
    /// Output file (default: standard output). Written whole or not at all; never inside a
    /// case directory.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also write the events dated outside the case's time range (`case info` counts them),
    /// in time order with the others.
    #[arg(long)]
    include_out_of_range: bool,
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    match &a.out {
        Some(p) => {
            crate::overwrite::refuse_inside_case(p, "--out")?;
            crate::overwrite::refuse_evidence(p, &case, "--out")?;
            // whole or not at all: a failed export leaves the previous file as it was
            // JSON lines are escaped wherever they go (the escapes are JSON's own: the same
            // strings); CSV is written as it is (its formula guard is in the writer)
            if a.format == "jsonl" {
                crate::overwrite::write_file(p, |w| {
                    let mut t = crate::out::Terminal::new(w, false);
                    export(&case, &a, &mut t)
                })?;
            } else {
                crate::overwrite::write_file(p, |w| export(&case, &a, w))?;
            }
        }
        None => {
            // on standard output CSV is escaped too when a terminal shows it
            let escape = a.format == "jsonl" || std::io::stdout().is_terminal();
            let sink: Box<dyn Write> = if escape {
                Box::new(crate::out::Terminal::new(std::io::stdout(), false))
            } else {
                Box::new(std::io::stdout().lock())
            };
            let mut w = BufWriter::with_capacity(1 << 20, sink);
            export(&case, &a, &mut w)?;
            w.flush()?;
        }
    }
    let outside = case.manifest.time_range.as_ref().map_or(0, |r| r.outside());
    if outside > 0 && !a.include_out_of_range {
        errln!(
            "note: {outside} event(s) dated outside the case's time range not written \
             (--include-out-of-range writes them)"
        );
    }
    Ok(())
}

fn export(case: &Case, a: &Args, mut w: &mut dyn Write) -> Result<()> {
    let cat = &case.catalog;
    let events =
        || if a.include_out_of_range { case.all_events(1 << 16) } else { case.events(1 << 16) };
    if a.format == "csv" {
        let mut c = csv_writer(w)?;
        for t in events()? {
            let t = t?;
            for e in t.iter() {
                write_csv(&mut c, &ExportRow::from_event(&e, cat))?;
            }
        }
        c.flush()?;
    } else {
        for t in events()? {
            let t = t?;
            for e in t.iter() {
                write_jsonl(&mut w, &ExportRow::from_event(&e, cat))?;
            }
        }
        w.flush()?;
    }
    Ok(())
}
