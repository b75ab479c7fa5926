//! `hopscope ingest`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{bail, Context, Result};
use hopscope_case::{CaseWriter, InventoryEntry, ProblemExample, SourceEntry};
use hopscope_ingest::{self as ingest, Format, IngestOptions, Problem, ProblemTally, SinkItem};
use hopscope_model::{Position, Time};

use crate::out::{num, stderr_is_terminal};

#[derive(clap::Args)]
#[command(after_long_help = "\
Examples:
  hopscope ingest auth.txt --case lanl --lanl-start 2015-01-01T00:00:00Z
  hopscope ingest /var/log/auth.log* --case c1 --year 2019 --tz Asia/Singapore
  hopscope ingest logs/ --inventory cmdb/ --case c1      # directories are walked
  hopscope ingest more-logs/ --case c1                   # appends to an existing case

Formats are recognised from content; .gz and .zst are read directly. Bad lines are counted
by reason and reported with file:line; they never stop the run unless --strict is given.")]
pub struct Args {
    /// Log files or directories (walked recursively).
    #[arg(required = true, value_name = "LOGS")]
    pub logs: Vec<PathBuf>,
    /// Case directory to create or append to.
    #[arg(long, value_name = "DIR")]
    pub case: PathBuf,
    /// Directory with hosts.csv, sites.csv and data.csv (any subset). Replaces the case's
    /// inventory; without it an existing case keeps its own.
    #[arg(long, value_name = "DIR")]
    pub inventory: Option<PathBuf>,
    /// Input format; `auto` recognises each file from its content.
    #[arg(long, default_value = "auto", value_name = "FORMAT",
          value_parser = ["auto", "lanl", "lanl-redteam", "sshd", "evtx", "winjson", "zeek", "csv", "jsonl", "wtmp", "btmp", "audit"])]
    pub format: String,
    /// Time of LANL second 0 (RFC 3339).
    #[arg(long, value_name = "TIME", default_value = "1970-01-01T00:00:00Z")]
    pub lanl_start: String,
    /// Year of syslog lines (they carry none); default: inferred from file modification time.
    #[arg(long, value_name = "YEAR")]
    pub year: Option<i32>,
    /// Time zone of times that name none (IANA name such as Asia/Tokyo, or +09:00): syslog
    /// lines (default UTC) and NXLog EventTime with no received time (default: a problem).
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// Stop at the first bad line instead of counting it.
    #[arg(long)]
    pub strict: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Print the case manifest as JSON on stdout instead of a summary.
    #[arg(long)]
    pub json: bool,
    /// Ingest an input whose content (SHA-256) the case already holds, or that is given
    /// twice; without it such an ingest is refused and nothing is written.
    #[arg(long)]
    pub allow_duplicates: bool,
}

impl Args {
    /// Defaults as the command line has them, for other commands (demo) to call ingest.
    pub fn new(logs: Vec<PathBuf>, case: PathBuf, inventory: Option<PathBuf>) -> Args {
        Args {
            logs,
            case,
            inventory,
            format: "auto".into(),
            lanl_start: "1970-01-01T00:00:00Z".into(),
            year: None,
            tz: None,
            strict: false,
            threads: 0,
            json: false,
            allow_duplicates: false,
        }
    }
}

pub fn run(a: Args) -> Result<()> {
    ingest(&a, false).map(|_| ())
}

/// Ingest as `a` says; prints a summary on stderr unless `quiet`. Returns the new manifest.
pub fn ingest(a: &Args, quiet: bool) -> Result<hopscope_case::Manifest> {
    let format = match a.format.as_str() {
        "auto" => None,
        f => Some(Format::parse(f).with_context(|| format!("unknown format {f}"))?),
    };
    let lanl_start =
        Time::parse(&a.lanl_start).map_err(|e| anyhow::anyhow!("--lanl-start: {e}"))?;
    let tz = match &a.tz {
        None => None,
        Some(z) => Some(parse_tz(z).with_context(|| format!("--tz: unknown time zone {z:?} (use an IANA name such as Asia/Tokyo, or an offset such as +09:00)"))?),
    };
    let found = ingest::discover_all(&a.logs)?;
    // what a directory walk could not read is a located problem; the run goes on
    let walk_problems: Vec<Problem> = found
        .skipped
        .iter()
        .map(|s| Problem {
            file: s.path.clone(),
            position: Position::Line(1),
            kind: ingest::ProblemKind::Unreadable,
            message: s.message.clone(),
        })
        .collect();
    if let (true, Some(p)) = (a.strict, walk_problems.first()) {
        bail!("{p} (--strict stops at the first problem)");
    }
    let files = found.files;
    if files.is_empty() {
        bail!(
            "no files found in {}{}",
            a.logs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "),
            match walk_problems.first() {
                Some(p) => format!(" ({} left out; the first: {p})", walk_problems.len()),
                None => String::new(),
            }
        );
    }

    let (mut writer, existing, mut catalog, case_inventory) = CaseWriter::open(&a.case)?;
    let mut tally = ProblemTally::default();
    let (inventory, inv_entry) = match &a.inventory {
        Some(dir) => {
            let l = hopscope_ingest::inventory_csv::load(dir)?;
            // every problem counted, a few of each reason kept as examples
            tally = l.tally();
            let reasons = l.counts.iter().map(|(k, n)| (k.as_str().to_string(), *n)).collect();
            let entry = InventoryEntry {
                dir: Some(dir.display().to_string()),
                hosts: l.inventory.hosts.len() as u64,
                sites: l.inventory.sites.len() as u64,
                data: l.inventory.data.len() as u64,
                problems: l.problem_count(),
                reasons,
            };
            (l.inventory, entry)
        }
        None => {
            let entry = existing.as_ref().map(|m| m.inventory.clone()).unwrap_or_default();
            (case_inventory, entry)
        }
    };
    catalog.hosts.add_inventory(&inventory);

    let opts = IngestOptions {
        format,
        lanl_start,
        year: a.year,
        tz,
        strict: a.strict,
        threads: a.threads,
        ..Default::default()
    };
    let total: u64 = files.iter().filter_map(|f| std::fs::metadata(f).ok()).map(|m| m.len()).sum();
    let bar = stderr_is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} ingest [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        b
    });
    let done = AtomicU64::new(0);
    let progress = |n: u64| {
        let d = done.fetch_add(n, Ordering::Relaxed) + n;
        if let Some(b) = &bar {
            b.set_position(d);
        }
    };
    let mut sink = |item: SinkItem| -> std::result::Result<(), String> {
        match item {
            SinkItem::Events(t) => {
                writer.push_part(t);
                Ok(())
            }
            SinkItem::Cut => writer.cut().map_err(|e| e.to_string()),
            SinkItem::Labels(l) => {
                writer.push_labels(l.into_iter().map(|l| hopscope_case::Label {
                    time: l.time,
                    user: l.user,
                    src_host: l.src_host,
                    dst_host: l.dst_host,
                    label: l.label,
                    source: l.source,
                    line: match l.position {
                        Position::Line(n) | Position::Record(n) => n,
                    },
                }));
                Ok(())
            }
        }
    };
    let started = std::time::Instant::now();
    let summary = ingest::run(&files, &opts, &mut catalog, &inventory, &mut sink, &progress)?;
    if let Some(b) = &bar {
        b.finish_and_clear();
    }

    // The same content twice (a file ingested again, or named twice) would double its events.
    let duplicates = duplicates(existing.as_ref(), &summary.sources);
    if let (false, Some(first)) = (a.allow_duplicates, duplicates.first()) {
        bail!(
            "{first}{}; nothing was written (give --allow-duplicates to ingest it again)",
            match duplicates.len() {
                1 => String::new(),
                n => format!(", and {} more input(s) likewise", n - 1),
            }
        );
    }

    // The manifest: earlier sources kept, new ones added; problems over everything.
    let mut manifest = existing.clone().unwrap_or_default();
    for d in &duplicates {
        manifest.notes.push(format!("{d}: ingested again as --allow-duplicates asks"));
    }
    for p in walk_problems {
        tally.add(p);
    }
    tally.merge(&summary.problems);
    let first_new = manifest.sources.len();
    for r in &summary.sources {
        manifest.sources.push(SourceEntry {
            id: r.source_id,
            path: r.path.clone(),
            format: r.format.map(|f| f.name().to_string()),
            compressed: r.compressed.map(str::to_string),
            bytes: r.bytes,
            sha256: r.sha256.clone(),
            lines: r.lines,
            events: r.events,
            labels: r.labels,
            ignored: r.ignored,
            problems: r.problems.counts.iter().map(|(k, v)| (k.as_str().to_string(), *v)).collect(),
            first_time: r.first_time.map(|t| t.to_rfc3339()),
            last_time: r.last_time.map(|t| t.to_rfc3339()),
            notes: r.notes.clone(),
        });
    }
    // the same note for many files is said once, with the count
    for n in hopscope_case::source_notes(&manifest.sources[first_new..]) {
        if !manifest.notes.contains(&n) {
            manifest.notes.push(n);
        }
    }
    // inventory roles the vocabulary does not know (docs/formats.md#host-roles): said once,
    // and said again only when a new inventory replaces the case's
    if a.inventory.is_some() {
        manifest.notes.retain(|n| !n.starts_with(hopscope_model::RoleCensus::NOTE_PREFIX));
    }
    if let Some(n) = inventory.role_census().note() {
        if !manifest.notes.contains(&n) {
            manifest.notes.push(n);
        }
    }
    if summary.sources.iter().any(|s| s.format == Some(Format::Lanl)) {
        let n = format!("LANL second 0 is {}", lanl_start.to_rfc3339());
        if !manifest.notes.contains(&n) {
            manifest.notes.push(n);
        }
    }
    for (k, v) in &tally.counts {
        *manifest.problems.entry(k.as_str().to_string()).or_default() += v;
    }
    for ex in tally.examples.values().flatten() {
        manifest.problem_examples.push(example(ex));
    }
    manifest.inventory = inv_entry;
    let manifest = writer.commit(&catalog, &inventory, manifest)?;
    let secs = started.elapsed().as_secs_f64();

    if a.json {
        outln!("{}", serde_json::to_string_pretty(&manifest)?);
        return Ok(manifest);
    }
    if quiet {
        return Ok(manifest);
    }
    let new_events = summary.events;
    errln!(
        "ingested {} file(s): {} events{} in {:.2}s ({}/s) into {}",
        num(summary.sources.len() as u64),
        num(new_events),
        if summary.labels > 0 {
            format!(", {} labels", num(summary.labels))
        } else {
            String::new()
        },
        secs,
        num((new_events as f64 / secs.max(1e-9)) as u64),
        a.case.display()
    );
    if existing.is_some() {
        errln!(
            "case now holds {} events from {} sources",
            num(manifest.events),
            num(manifest.sources.len() as u64)
        );
    }
    print_problems(&tally);
    for n in &manifest.notes {
        errln!("note: {n}");
    }
    Ok(manifest)
}

/// Inputs whose content (SHA-256, non-empty) the case already holds or an earlier input of
/// this run has, each said in a sentence.
fn duplicates(
    existing: Option<&hopscope_case::Manifest>,
    sources: &[ingest::SourceReport],
) -> Vec<String> {
    let mut seen: std::collections::BTreeMap<&str, (&str, bool)> =
        std::collections::BTreeMap::new();
    for s in existing.map_or(&[][..], |m| &m.sources[..]) {
        if let (Some(h), true) = (&s.sha256, s.bytes > 0) {
            seen.entry(h.as_str()).or_insert((s.path.as_str(), true));
        }
    }
    let mut out = Vec::new();
    for s in sources {
        let (Some(h), true) = (&s.sha256, s.bytes > 0) else { continue };
        match seen.get(h.as_str()) {
            Some((first, in_case)) => out.push(format!(
                "{} has the same content (sha256 {}) as {first}, {}",
                s.path,
                &h[..16.min(h.len())],
                if *in_case { "which the case already holds" } else { "given before it" }
            )),
            None => {
                seen.insert(h.as_str(), (s.path.as_str(), false));
            }
        }
    }
    out
}

fn example(p: &Problem) -> ProblemExample {
    let at = match p.position {
        Position::Line(n) => format!("{}:{}", p.file, n),
        Position::Record(n) => format!("{} record {}", p.file, n),
    };
    ProblemExample { kind: p.kind.as_str().to_string(), at, message: p.message.clone() }
}

fn print_problems(t: &ProblemTally) {
    if t.is_empty() {
        errln!("no problems");
        return;
    }
    let by: Vec<String> = t.counts.iter().map(|(k, n)| format!("{k} {}", num(*n))).collect();
    errln!("{} problem(s), lines skipped: {}", num(t.total()), by.join(", "));
    for ex in t.examples.values().flatten().take(10) {
        errln!("  {ex}");
    }
}

pub(crate) fn parse_tz(z: &str) -> Result<jiff::tz::TimeZone> {
    if let Ok(tz) = jiff::tz::TimeZone::get(z) {
        return Ok(tz);
    }
    // a fixed offset: +09:00, -0530, +9
    let (sign, rest) = match z.as_bytes().first() {
        Some(b'+') => (1, &z[1..]),
        Some(b'-') => (-1, &z[1..]),
        _ => bail!("not a zone name or offset"),
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>()?, 0),
        4 => (digits[..2].parse::<i32>()?, digits[2..].parse::<i32>()?),
        _ => bail!("offset must look like +09:00"),
    };
    if h > 14 || m > 59 {
        bail!("offset out of range");
    }
    let off = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(jiff::tz::TimeZone::fixed(off))
}
