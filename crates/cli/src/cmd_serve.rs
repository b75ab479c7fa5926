//! `hopscope serve`: explore a case in the browser, from an alert down to the log line.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use hopscope_report::view::parse_duration;

#[derive(clap::Args)]
#[command(after_long_help = "\
Serves a read-only web application over the case: the alerts (ranked, filterable, with the
budget), each alert's hop path across countries with its hops' reasons, scores, ATT&CK ids and
evidence, every host (inventory facts, data held, logins in and out over time, first-seen
edges, alerts, audit) and account (where, when and from where it logged in, its credential
switches), and the evidence itself: the cited log line read from the original file, checked
against the manifest's sha256. Every page has a URL to paste into a ticket, and the same
object as JSON under /api (docs/api.md). docs/serve.md is the manual.

The case is read once at start (detection with `detect`'s settings, or the flags below). It
listens on 127.0.0.1 unless told otherwise; any other address needs a token (--token, or one
is generated and printed in the URL). Relative evidence paths are read from the directory it
runs in: run it where ingest ran.

Examples:
  hopscope serve --case c1
  hopscope serve --case c1 --redact                 # no client name on any page
  hopscope serve --case c1 --listen 0.0.0.0:8080    # prints a URL with a generated token")]
pub struct Args {
    #[arg(long, value_name = "DIR")]
    case: PathBuf,
    /// Address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8023")]
    listen: SocketAddr,
    /// The token every request must carry (in the URL once, then a cookie); at least 16
    /// characters. Generated when listening beyond the loopback without one.
    #[arg(long, value_name = "TOKEN")]
    token: Option<String>,
    /// Client names (data.csv) as keyed pseudonyms on every page and answer; restricted
    /// clients never named. The same pass as `detect --redact`.
    #[arg(long)]
    redact: bool,
    /// Alerts kept per UTC day, best first; 0 keeps all.
    #[arg(long, value_name = "N", default_value_t = 5)]
    budget: usize,
    /// No alerts while history fills, from the first event.
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    warmup: i64,
    #[command(flatten)]
    tuning: crate::cmd_detect::Tuning,
}

pub fn run(a: Args) -> Result<()> {
    let token = match a.token {
        Some(t) => Some(t),
        None if !a.listen.ip().is_loopback() => Some(hopscope_serve::generate_token()),
        None => None,
    };
    errln!("reading {} ...", a.case.display());
    let explorer =
        hopscope_serve::Explorer::load(&a.case, a.tuning.config(a.budget, a.warmup), a.redact)?;
    errln!(
        "{} alerts over {} logins, read in {:.1} s",
        explorer.detection.alerts.len(),
        explorer.logins.len(),
        explorer.load_ms as f64 / 1000.0
    );
    if let Some(e) = &explorer.redactor_error {
        errln!("no redaction switch: the case's redaction key: {e}");
    }
    let options =
        hopscope_serve::Options { listen: a.listen, token, redact: a.redact, start: None };
    hopscope_serve::serve(explorer, options, |url| {
        outln!("{url}");
        errln!("serving: open the URL above; Ctrl-C stops");
    })
}
