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
        panic!("corpus missing under CI=true: {} (expected ../shared/corpus beside the checkout)", path.display());
    }
    eprintln!("SKIPPED: corpus not found at {}", path.display());
    None
}
