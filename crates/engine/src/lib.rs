//! hopscope's detection engine.
//!
//! One streaming pass over a case's events in time order builds the **temporal login
//! graph** ([`graph`]), learns what is normal online ([`history`]), links logins into **hop
//! chains** with a causal account ([`chain`], after Hopper, USENIX Security 2021), scores each
//! hop in bits of surprise ([`score`]), gathers suspicious hops into **alerts** ([`alert`]),
//! explains them in words ([`explain`]), tags ATT&CK techniques ([`attack`]) and keeps the
//! best few per day ([`budget`]). [`stream`] hands alerts out as they happen. [`rule`] is the "unseen edge" baseline detection is
//! compared with.
//!
//! Architecture invariants:
//! - works on interned ids; names appear only in explanations, resolved through the
//!   [`Catalog`](hopscope_model::Catalog) at the end; evidence stays `(source, position)`;
//! - memory grows with distinct hosts, accounts and edges, never with events;
//! - no output formats here: engine types are plain Rust, the CLI serialises them;
//! - deterministic: no hash-map iteration reaches an output; alerts are sorted by a total
//!   order.

pub mod behaviour;
pub mod detect;
pub mod eval;
pub mod fleet;
pub mod graph;
pub mod investigate;
pub mod units;

// The detection and investigation modules keep their short paths for the crates above.
pub use detect::{
    alert, arrival, attack, budget, chain, explain, history, lead, probe, rule, score, stream,
};
pub use investigate::{audit, coverage, scope, trace};

pub use alert::{threads, Alert, AlertHop, EntryReason, Thread, MAX_ALERT_HOPS};
pub use arrival::Arrival;
pub use audit::{
    audit, collect_logins, weaknesses, Audit, AuditConfig, Finding, FindingKind, Severity,
    Sighting, DEFAULT_PATCH_AGE,
};
pub use behaviour::{AccountKind, Behaviour};
pub use budget::apply_budget;
pub use detect::chain::{Causal, Trail};
pub use detect::detector::{
    alert_id, DetectConfig, DetectStats, Detection, Detector, DAY, HOUR, SECOND,
};
pub use eval::remap::IdRemap;
pub use fleet::{AuthKind, Fleet, Foothold, HostFacts};
pub use graph::{classify, GraphEvent, Hop};
pub use probe::{Probe, ProbedHop};
pub use rule::UnseenEdgeRule;
pub use scope::{
    same_entry_alerts, same_entry_as, scope, AccountExposure, ClientExposure, HostExposure, Scope,
    ScopeConfig, Seed, Tier,
};
pub use score::{Contribution, Feature};
pub use stream::{fold, AlertEvent, AlertEventKind};
pub use trace::{
    alert_paths, trace, trace_with_alerts, SwitchStep, Trace, TraceConfig, TraceHop, TracePath,
};
