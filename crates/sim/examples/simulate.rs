//! Run the simulator from the command line until the CLI wires `hopscope simulate`, and
//! measure its throughput:
//!
//! ```text
//! cargo run --release -p hopscope-sim --example simulate -- OUT_DIR [scenario] [scale] [formats] [seed] [intrusions]
//! ```
//! e.g. `... -- /tmp/case ntt-2019 1 sshd,winjson 2019 1`. Prints the summary as JSON on
//! stdout and the throughput on stderr.

use std::path::PathBuf;
use std::time::Instant;

use hopscope_sim::{simulate, OutFormat, Scenario, SimOptions};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: simulate OUT_DIR [ntt-2019|generic] [scale] [sshd,winjson,lanl,zeek] [seed] [intrusions]");
        std::process::exit(2);
    };
    let mut opts = SimOptions::default();
    if let Some(s) = args.get(1) {
        opts.scenario = Scenario::parse(s).unwrap_or_else(|| panic!("unknown scenario {s:?}"));
    }
    if let Some(s) = args.get(2) {
        opts.scale = s.parse().expect("scale is a number");
    }
    if let Some(s) = args.get(3) {
        opts.formats = s
            .split(',')
            .map(|f| OutFormat::parse(f).unwrap_or_else(|| panic!("unknown format {f:?}")))
            .collect();
    }
    if let Some(s) = args.get(4) {
        opts.seed = s.parse().expect("seed is a number");
    }
    if let Some(s) = args.get(5) {
        opts.intrusions = s.parse().expect("intrusions is a number");
    }
    let t = Instant::now();
    match simulate(&opts, &out) {
        Ok(summary) => {
            let secs = t.elapsed().as_secs_f64();
            let mut s = summary.clone();
            s.files.clear();
            println!("{}", serde_json::to_string_pretty(&s).expect("json"));
            eprintln!(
                "{} events ({} logins) in {:.2} s: {:.0} events/s, {} threads",
                summary.events,
                summary.logins,
                secs,
                summary.events as f64 / secs,
                rayon::current_num_threads()
            );
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
