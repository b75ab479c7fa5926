//! hopscope's case store: one directory per case.
//!
//! ```text
//! CASE/
//!   manifest.json          sources with hashes, counts, time span, problems, run list
//!   events/run-G-N.parquet events, each run sorted by time (ids, not names)
//!   remaps/remap-G-N.parquet  a merged shard's ids to the case's (merged cases only)
//!   results/NAME-G-N.parquet  results saved into the case (`detect --save`: alerts, alert_hops)
//!   hosts.parquet accounts.parquet addresses.parquet auths.parquet sources.parquet
//!   sites.parquet data.parquet labels.parquet
//! ```
//!
//! Architecture invariant: `manifest.json` is the commit point. Runs are new files; the
//! dictionaries only ever grow (ids are append-only), so a newer dictionary beside an older
//! manifest is still consistent; the manifest is written to a temporary name and renamed
//! last. A killed ingest leaves the previous case (or no case) readable, never a half one.

pub mod lock;
mod manifest;
mod merge;
mod range;
mod reader;
pub mod remap;
mod results;
mod schema;
mod tables;
mod writer;

pub use lock::WriterLock;
pub use manifest::{
    InventoryEntry, Manifest, ProblemExample, RemapEntry, RunEntry, SavedTable, ShardEntry,
    SourceEntry, TimeRange, MANIFEST, VERSION, VERSION_REMAPPED,
};
pub use merge::{inventory_difference, merge, source_notes};
pub use range::OUT_OF_RANGE;
pub use reader::{Case, EventStream, Label, RunGroup};
pub use results::{save_tables, saved_table_path, RESULTS};
pub use schema::events_schema;
pub use tables::read_table;
pub use writer::CaseWriter;

/// Why a case could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("{0}: not a hopscope case (no manifest.json); create one with `hopscope ingest LOGS --case {0}`")]
    NotACase(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: {message}")]
    Corrupt { path: String, message: String },
    /// Another process holds the writer's lock.
    #[error("{path}: {message}")]
    Locked { path: String, message: String },
}

impl CaseError {
    pub(crate) fn io(path: &std::path::Path, e: impl std::fmt::Display) -> CaseError {
        CaseError::Io { path: path.display().to_string(), message: e.to_string() }
    }
    pub(crate) fn corrupt(path: &std::path::Path, e: impl std::fmt::Display) -> CaseError {
        CaseError::Corrupt { path: path.display().to_string(), message: e.to_string() }
    }
}
