//! `hopscope`: trace an intruder's hops across a server fleet from authentication logs.
//!
//! Thin glue over the library crates: argument parsing, progress, and printing.
//!
//! Every line printed goes through `out` (escaped for a terminal, quiet on a closed pipe):
//! `println!`/`eprintln!` print raw and panic on a closed pipe, so clippy refuses them.
#![warn(clippy::print_stdout, clippy::print_stderr)]

#[macro_use]
mod out;
mod args;
mod cmd_audit;
mod cmd_case;
mod cmd_demo;
mod cmd_detect;
mod cmd_eval;
mod cmd_export;
mod cmd_ingest;
mod cmd_report;
mod cmd_scope;
mod cmd_serve;
mod cmd_simulate;
#[cfg(feature = "sql")]
mod cmd_sql;
mod cmd_trace;
mod cmd_watch;
mod overwrite;
mod saved_alerts;
#[cfg(feature = "sql")]
mod sql_views;
mod watch_state;

use clap::{Parser, Subcommand};

const ABOUT: &str = "Trace an intruder's hops across a server fleet from authentication logs.";

const LONG_ABOUT: &str = "\
Trace an intruder's hops across a server fleet from authentication logs: back to the
forgotten server they came in through, forward to every host, account and client
organisation whose data they could have touched.

A typical investigation:

  hopscope ingest /evidence/logs --inventory /evidence/cmdb --case case1
  hopscope case info --case case1          # what was read, what was wrong with it
  hopscope detect --case case1             # alerts: hop chains, scores, reasons, evidence
  hopscope trace --case case1 --host jp-crm-01 --at 2020-05-11T00:00:00Z   # back to the entry
  hopscope scope --case case1 --alert ID --redact   # hosts, accounts, clients exposed
  hopscope audit --case case1              # weak hosts and paths to crown jewels
  hopscope report --case case1 --out report --redact   # JSON, Markdown, STIX, HTML
  hopscope export --case case1 --format csv --out events.csv
  hopscope sql --case case1 \"SELECT account, count(*) FROM logins GROUP BY account\"
  hopscope serve --case case1             # explore it in the browser (docs/serve.md)
  hopscope watch /var/log/auth.log --inventory cmdb/ --alerts alerts.jsonl   # live

Start with `hopscope demo`: it simulates the 2019 Singapore → Thailand → United States →
Japan intrusion and runs every stage that is built on it.";

#[derive(Parser)]
#[command(name = "hopscope", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read logs into a case: normalise, resolve hosts, store as Parquet.
    Ingest(cmd_ingest::Args),
    /// Write a case's events in time order as JSON lines or CSV (the normalised schema).
    Export(cmd_export::Args),
    /// Find lateral movement: hop chains scored by surprise, explained, within a daily budget.
    Detect(cmd_detect::Args),
    /// Hygiene findings: forgotten hosts in use, stale patches, internet logins, weak paths.
    Audit(cmd_audit::Args),
    /// Walk forward from a compromise to containment: hosts, accounts, clients exposed.
    Scope(cmd_scope::Args),
    /// Walk backward from a host and time to the entry point and the path.
    Trace(cmd_trace::Args),
    /// Write the case's story: JSON, Markdown, STIX 2.1 (and HTML), optionally redacted.
    Report(cmd_report::Args),
    /// Explore a case in the browser: alerts, hosts, accounts, down to the log line.
    Serve(cmd_serve::Args),
    /// Follow logs as they grow and alert on a suspicious hop while it happens.
    Watch(cmd_watch::Args),
    /// Score detection against a simulator's ground truth (recall, precision, alerts/day).
    Eval(cmd_eval::Args),
    /// Ask a case anything in SQL (Apache DataFusion): logins, hosts, accounts with names.
    #[cfg(feature = "sql")]
    Sql(cmd_sql::Args),
    /// Inspect a case.
    #[command(subcommand)]
    Case(cmd_case::CaseCommand),
    /// Generate a fleet with benign logins and injected intrusions, in real log formats.
    Simulate(cmd_simulate::Args),
    /// Tell the 2019 intrusion story end to end on a simulated fleet.
    Demo(cmd_demo::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Ingest(a) => cmd_ingest::run(a),
        Command::Export(a) => cmd_export::run(a),
        Command::Detect(a) => cmd_detect::run(a),
        Command::Audit(a) => cmd_audit::run(a),
        Command::Scope(a) => cmd_scope::run(a),
        Command::Trace(a) => cmd_trace::run(a),
        Command::Report(a) => cmd_report::run(a),
        Command::Serve(a) => cmd_serve::run(a),
        Command::Watch(a) => cmd_watch::run(a),
        Command::Eval(a) => cmd_eval::run(a),
        #[cfg(feature = "sql")]
        Command::Sql(a) => cmd_sql::run(a),
        Command::Case(c) => cmd_case::run(c),
        Command::Simulate(a) => cmd_simulate::run(a),
        Command::Demo(a) => cmd_demo::run(a),
    };
    if let Err(e) = result {
        // a closed pipe (`hopscope export | head`) is not an error worth a message
        if broken_pipe(&e) {
            std::process::exit(0);
        }
        // a query DataFusion refused or could not run: its message, status 2
        #[cfg(feature = "sql")]
        if let Some(q) = e.downcast_ref::<cmd_sql::QueryFailed>() {
            errln!("hopscope: sql: {q}");
            std::process::exit(2);
        }
        errln!("hopscope: error: {e:#}");
        std::process::exit(1);
    }
}

/// Whether `e` comes from writing into a closed pipe, wherever in its chain the I/O error
/// sits (serde_json keeps its I/O error out of the chain: asked by kind).
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}
