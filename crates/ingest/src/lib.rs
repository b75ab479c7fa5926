//! hopscope ingest: input files to the event model.
//!
//! One module per input format, each a [`LineParser`] (Windows EVTX and JSON, which are
//! joined per file, are read by `windows`); [`pipeline::run`] finds, decompresses,
//! cuts and parses inputs in parallel and hands events over in input order.
//!
//! Architecture invariant: ingest knows nothing of detection. It never fails on a bad line:
//! it produces events plus counted, located [`Problem`]s.

mod batch;
mod detect;
mod format;
mod input;
pub mod inventory_csv;
mod lanl;
pub mod linux;
pub mod normalized;
pub mod pipeline;
mod problems;
pub mod sshd;
pub mod stream;
mod windows;
mod zeek;

pub use batch::{absorb, Batch, BatchBuilder, RawEvent, RawLabel};
pub use detect::{detect, detect_named};
pub use format::{Format, LineKind, LineParser, ParseContext};
pub use input::{
    discover, discover_all, head, mtime, open, Discovered, InputError, InputKind, LineReader,
    Skipped, CONTEXT_FILES,
};
pub use pipeline::{run, IngestError, IngestOptions, IngestSummary, SinkItem, SourceReport};
pub use problems::{LineError, Problem, ProblemKind, ProblemTally};
