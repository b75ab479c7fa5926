//! Test support: locating the real third-party corpus beside the checkout.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/corpus/<rel>` next to the checkout (or `$HOPSCOPE_CORPUS/<rel>`).
///
/// Missing corpus: under `CI=true` the test fails; elsewhere it prints that it skipped and
/// returns `None`.
pub fn corpus(rel: &str) -> Option<PathBuf> {
    let base = match std::env::var_os("HOPSCOPE_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    };
    let path = base.join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "corpus missing under CI=true: {} (expected ../shared/corpus beside the checkout)",
            path.display()
        );
    }
    eprintln!("SKIPPED: corpus not found at {}", path.display());
    None
}

use hopscope_ingest::{discover, run, IngestOptions, IngestSummary, SinkItem};
use hopscope_model::{Catalog, EventTable, Inventory};

/// Everything one ingest produced, kept in memory for assertions.
pub struct Ingested {
    pub catalog: Catalog,
    pub events: EventTable,
    pub summary: IngestSummary,
}

/// Run the public pipeline over `paths` and collect its events.
pub fn ingest_with(paths: &[PathBuf], opts: IngestOptions, inventory: &Inventory) -> Ingested {
    let files = discover(paths).expect("inputs exist");
    let mut catalog = Catalog::default();
    let mut events = EventTable::default();
    let summary = run(
        &files,
        &opts,
        &mut catalog,
        inventory,
        &mut |item| {
            if let SinkItem::Events(t) = item {
                events.extend_from(&t);
            }
            Ok(())
        },
        &|_| {},
    )
    .expect("ingest runs");
    Ingested { catalog, events, summary }
}
