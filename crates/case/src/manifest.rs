//! `manifest.json`: what is in a case and where it came from.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const MANIFEST: &str = "manifest.json";
/// Version of the case layout; bumped when a reader of an older version could misread.
pub const VERSION: u32 = 1;
/// The layout version of a case some of whose runs are read through a remap table (a merged
/// shard's runs, [`RunEntry::remap`]): a reader of [`VERSION`] would take their shard ids
/// for the case's. A case without such runs is still written as [`VERSION`].
pub const VERSION_REMAPPED: u32 = 2;

/// One input file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEntry {
    pub id: u32,
    pub path: String,
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub compressed: Option<String>,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub lines: u64,
    pub events: u64,
    pub labels: u64,
    /// Lines that are not authentication events (other programs, headers, comments).
    pub ignored: u64,
    /// Problems by reason.
    pub problems: BTreeMap<String, u64>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub notes: Vec<String>,
}

/// One located example of a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemExample {
    pub kind: String,
    /// `file:line` or `file record N`.
    pub at: String,
    pub message: String,
}

/// A run of events: one Parquet file sorted by time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEntry {
    pub file: String,
    pub rows: u64,
    /// Microseconds since the epoch, UTC.
    pub min_time: i64,
    pub max_time: i64,
    /// SHA-256 of the file as written, checked before any of it is read. Runs written before
    /// checksums were recorded have none (they are read unchecked).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub sha256: Option<String>,
    /// The remap table (`remaps/remap-G-N.parquet`, listed in [`Manifest::remaps`]) that
    /// turns the run's ids into the case's: a run merged from a shard keeps the shard's ids
    /// as written. None: the run holds the case's ids.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remap: Option<String>,
}

/// A remap table: for each dictionary, the case id of every id of one shard.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemapEntry {
    pub file: String,
    /// SHA-256 of the file as written, checked before it is read.
    pub sha256: String,
    /// The shard whose ids it maps, as given to `case merge`.
    pub shard: String,
}

/// A table of results saved into the case (`detect --save`): derived from the events, not
/// evidence; replaced whole by the next save of the same name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedTable {
    /// What the table is (`alerts`, `alert_hops`).
    pub name: String,
    /// `results/NAME-G-N.parquet`.
    pub file: String,
    /// SHA-256 of the file as written, checked before it is read.
    pub sha256: String,
    pub rows: u64,
    /// The case's generation the results were computed over: when an ingest or merge has
    /// made a newer one since, they describe fewer events than the case holds.
    pub generation: u32,
    /// How they were computed (the command's settings), in words.
    pub settings: String,
}

/// A shard merged into the case by `hopscope case merge`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    /// The shard's directory as given to `case merge`.
    pub path: String,
    /// The shard's generation when it was merged.
    pub generation: u32,
    pub events: u64,
    pub sources: u64,
    /// The generation of this case the merge made.
    pub merged_into: u32,
}

/// Where the bulk of the case's events lie. Events outside are kept in the runs, counted as
/// problems (`out-of-range-time`) and read only on request ([`crate::Case::events_outside_range`]):
/// one absurd timestamp must not move detection's warm-up, containment or the histograms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Microseconds since the epoch, UTC: the range is `start <= time < end` (whole days).
    pub start: i64,
    pub end: i64,
    /// Events before `start` and at or after `end`.
    pub before: u64,
    pub after: u64,
}

impl TimeRange {
    pub fn outside(&self) -> u64 {
        self.before + self.after
    }
    pub fn contains(&self, time: i64) -> bool {
        self.start <= time && time < self.end
    }
}

/// The fleet context the case was resolved against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryEntry {
    pub dir: Option<String>,
    pub hosts: u64,
    pub sites: u64,
    pub data: u64,
    pub problems: u64,
    /// The inventory's problems by reason (also counted in [`Manifest::problems`]), so that a
    /// merge counts them once however many shards read the same inventory.
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub reasons: BTreeMap<String, u64>,
}

/// The whole manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub hopscope_case: u32,
    /// Incremented by every ingest into the case.
    pub generation: u32,
    pub events: u64,
    pub labels: u64,
    pub hosts: u64,
    pub accounts: u64,
    pub addresses: u64,
    /// The first and last event inside the time range (what analysis reads).
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Where the bulk of the events lie; absent in cases written before it was recorded
    /// (all their events are inside).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_range: Option<TimeRange>,
    pub sources: Vec<SourceEntry>,
    pub runs: Vec<RunEntry>,
    pub inventory: InventoryEntry,
    /// Problems by reason, over all sources and the inventory.
    pub problems: BTreeMap<String, u64>,
    /// The first few located examples of each reason.
    pub problem_examples: Vec<ProblemExample>,
    /// What ingest inferred or assumed (syslog years, time zones, LANL anchor).
    pub notes: Vec<String>,
    /// The remap tables runs merged from shards are read through.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub remaps: Vec<RemapEntry>,
    /// The shards merged into the case, in merge order.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub shards: Vec<ShardEntry>,
    /// Results saved into the case, by name.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub saved: Vec<SavedTable>,
}

impl Manifest {
    pub fn problem_total(&self) -> u64 {
        self.problems.values().sum()
    }
}
