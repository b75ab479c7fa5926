//! No panic on any input: damaged EVTX files (a real sample with bytes overwritten, cut
//! short, or garbage after the file header) are counted problems, never a crash.

mod support;

use hopscope_ingest::{Format, IngestOptions};
use hopscope_model::Inventory;
use proptest::prelude::*;

fn sample() -> Option<Vec<u8>> {
    support::corpus("windows-evtx/evtx-crate-samples/security.evtx")
        .map(|p| std::fs::read(p).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn damaged_evtx_never_panics(
        edits in proptest::collection::vec((0usize..1_100_000, any::<u8>()), 1..64),
        cut in prop_oneof![Just(None), (4096usize..1_100_000).prop_map(Some)],
    ) {
        let Some(mut bytes) = sample() else { return Ok(()) };
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        if let Some(c) = cut {
            bytes.truncate(c.min(bytes.len()));
        }
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("damaged.evtx");
        std::fs::write(&path, &bytes).unwrap();
        let got = support::ingest_with(&[path], IngestOptions { format: Some(Format::Evtx), ..Default::default() }, &Inventory::default());
        // whatever survived is read; the rest is counted
        prop_assert!(got.events.len() <= 2_261);
    }
}
