//! hopscope's reports: the JSON views of engine results ([`view`]), the report document built
//! from a case ([`document`]), the disclosure view ([`redact`]), the escaping of
//! text for a terminal ([`escape`]) and the renderers: HTML ([`html`]), JSON
//! ([`json`]), Markdown ([`markdown`]) and STIX 2.1 ([`stix`]).
//!
//! Architecture invariants:
//! - this crate and the cli are the only places that know output formats; the engine's types
//!   are plain Rust and the views here give them names, RFC 3339 times and evidence files;
//! - every renderer reads the one [`Document`](document::Document): a fact is computed once;
//! - deterministic: the same case and options give the same bytes in every format (no wall
//!   clock, no random ids, no hash-map order).

pub mod document;
pub mod escape;
pub mod html;
pub mod json;
pub mod markdown;
pub mod redact;
pub mod stix;
pub mod view;

pub use document::{Document, ReportOptions};

/// What can go wrong building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Case(#[from] hopscope_case::CaseError),
    #[error("{0}")]
    NoAlert(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("report JSON: {0}")]
    Json(#[from] serde_json::Error),
}
