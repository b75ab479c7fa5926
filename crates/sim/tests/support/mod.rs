//! Shared runs: each test binary simulates once and reuses the output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use hopscope_model::{Catalog, Time};
use hopscope_sim::{simulate, OutFormat, SimOptions, SimSummary};

pub struct Run {
    path: PathBuf,
    pub summary: SimSummary,
    pub truth: serde_json::Value,
}

impl Run {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn run_into(opts: &SimOptions, path: PathBuf) -> Run {
    let summary = simulate(opts, &path).expect("simulation runs");
    let truth =
        serde_json::from_str(&std::fs::read_to_string(path.join("truth.json")).unwrap()).unwrap();
    Run { path, summary, truth }
}

/// The default ntt-2019 case with every format, simulated once per test binary. A static is
/// never dropped, so it lives in a directory of its own under cargo's target temporary
/// directory, replaced on every run (a temporary directory would leak 126 MB a run).
pub fn case() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sim-{}", env!("CARGO_CRATE_NAME")));
        if path.exists() {
            std::fs::remove_dir_all(&path).expect("the previous run's output removed");
        }
        std::fs::create_dir_all(&path).expect("output directory");
        run_into(&SimOptions { formats: OutFormat::ALL.to_vec(), ..SimOptions::default() }, path)
    })
}

/// Ingest `paths` through the real pipeline: (events, problems, summary).
pub fn ingest(
    root: &Path,
    paths: &[PathBuf],
    lanl_start: Time,
) -> (u64, hopscope_ingest::IngestSummary) {
    let files = hopscope_ingest::discover(paths).expect("inputs exist");
    let inv = hopscope_ingest::inventory_csv::load(root).expect("inventory").inventory;
    let mut cat = Catalog::default();
    let opts = hopscope_ingest::IngestOptions { lanl_start, ..Default::default() };
    let mut events = 0u64;
    let summary = hopscope_ingest::run(
        &files,
        &opts,
        &mut cat,
        &inv,
        &mut |item| {
            if let hopscope_ingest::SinkItem::Events(t) = item {
                events += t.len() as u64;
            }
            Ok(())
        },
        &|_| {},
    )
    .expect("ingest runs");
    (events, summary)
}

/// LANL time 0 as written in truth.json.
pub fn lanl_start(truth: &serde_json::Value) -> Time {
    Time::parse(truth["lanl_start"].as_str().unwrap()).unwrap()
}
