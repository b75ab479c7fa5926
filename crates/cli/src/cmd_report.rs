//! `hopscope report`: the case's story in files — JSON, Markdown, STIX 2.1 (and HTML).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hopscope_case::Case;
use hopscope_engine::DetectConfig;
use hopscope_model::Time;
use hopscope_report::view::parse_duration;
use hopscope_report::{html, json, markdown, stix, Document, ReportOptions};

use crate::cmd_audit::parse_time;

#[derive(clap::Args)]
#[command(after_long_help = "\
Runs detection on the case, picks an alert (--alert, else the top-ranked), traces back from
the furthest host it reached, scopes forward from it to containment and audits the fleet,
then writes one document in several formats:

  report.json       the document (docs/json.md, \"hopscope report\")
  report.md         the story for a ticket or an e-mail
  report.stix.json  a STIX 2.1 bundle for sharing (docs/report.md has the mapping)
  report.html       a self-contained page (from the html module)

--redact applies the disclosure view to every format: client organisations by keyed
pseudonym (key in CASE/redaction.key), restricted clients counted, never named.
The same case gives the same bytes.

Examples:
  hopscope report --case c1 --out report
  hopscope report --case c1 --out disclosure --redact --formats md,stix
  hopscope report --case c1 --out t2 --alert A-3f2c9a1b --thread 2   # one intrusion of a campaign")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// Where to write the files (created when missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// The alert to report on [default: the top-ranked].
    #[arg(long, value_name = "ID")]
    alert: Option<String>,
    /// Client names as keyed pseudonyms in every format; restricted clients never named.
    #[arg(long)]
    redact: bool,
    /// Which files to write.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_value = "html,md,json,stix", value_parser = ["html", "md", "json", "stix"])]
    formats: Vec<String>,
    /// Containment: logins at or after it spread nothing [default: end of data].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    contained_at: Option<Time>,
    /// One of the alert's threads (numbered from 1 as `detect` prints them): the story of one
    /// intrusion of a campaign instead of the whole alert.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    thread: Option<u32>,
    /// Detection's warmup, as given to `detect` (alert ids depend on it).
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    /// Detection's settings, as given to `detect`.
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
}

pub fn run(a: Args) -> Result<()> {
    let case = Case::open(&a.case)?;
    let opts = ReportOptions {
        alert: a.alert.clone(),
        thread: a.thread.map(|n| n as usize),
        detect: a.tuning.config(DetectConfig::default().budget_per_day, a.warmup),
        contained_at: a.contained_at,
        redact: a.redact,
        ..ReportOptions::default()
    };
    for path in write(&case, &opts, &a.out, &a.formats)? {
        outln!("{}", path.display());
    }
    Ok(())
}

/// Build the report of `case` and write it in `formats` into `out`; the paths written.
///
/// Every file is rendered and written to a temporary name first, and renamed into place only
/// when all are written: a report that fails midway leaves the previous one as it was, never
/// a mix of the two.
pub fn write(
    case: &Case,
    opts: &ReportOptions,
    out: &Path,
    formats: &[String],
) -> Result<Vec<PathBuf>> {
    crate::overwrite::refuse_inside_case(out, "--out")?;
    // every file a report writes or removes there (an evidence file could be named so)
    for name in ["report.json", "report.md", "report.stix.json", "report.html"] {
        crate::overwrite::refuse_evidence(&out.join(name), case, "--out")?;
    }
    let doc = Document::build(case, opts)?;
    let mut rendered = Vec::new();
    // in a fixed order, whatever order the formats were given in
    for format in ["json", "md", "stix", "html"] {
        if !formats.iter().any(|f| f == format) {
            continue;
        }
        rendered.push(match format {
            "json" => ("report.json", json::render(&doc)?),
            "md" => ("report.md", markdown::render(&doc)),
            "stix" => ("report.stix.json", stix::render(&doc)?),
            _ => ("report.html", html::render_html(&serde_json::to_value(&doc)?)),
        });
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut staged = Vec::new();
    for (name, text) in rendered {
        let path = out.join(name);
        let mut tmp = crate::overwrite::temporary_beside(&path)?;
        tmp.write_all(text.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
        staged.push((tmp, path));
    }
    // a name that cannot be replaced fails the report before any file is
    if let Some((_, path)) =
        staged.iter().find(|(_, p)| p.symlink_metadata().is_ok_and(|m| m.is_dir()))
    {
        anyhow::bail!("{}: is a directory; the report was not written", path.display());
    }
    let mut written = Vec::new();
    for (tmp, path) in staged {
        crate::overwrite::commit(tmp, &path)?;
        written.push(path);
    }
    // a folder holds one report: a format this run did not write is another report's (an
    // unredacted one beside a redacted one), and goes
    for name in ["report.json", "report.md", "report.stix.json", "report.html"] {
        let path = out.join(name);
        if !written.contains(&path) && path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
            errln!(
                "hopscope report: removed {} (an earlier report's; a folder holds one report)",
                path.display()
            );
        }
    }
    Ok(written)
}
