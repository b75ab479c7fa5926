//! Bad input: counted by reason, located by file and line, never fatal.

use std::collections::BTreeMap;
use std::fmt;

use hopscope_model::Position;

/// Why a line or record could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProblemKind {
    /// Fewer fields than the format needs, or a record cut short.
    Truncated,
    /// A time that cannot be read.
    BadTime,
    /// A field whose value is not one the format allows.
    BadValue,
    /// An IP address that does not parse.
    BadAddress,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A line longer than the limit (1 MiB).
    OverlongLine,
    /// JSON that does not parse, or lacks the fields the dialect needs.
    BadJson,
    /// A line that looks like the format but matches no known message.
    UnknownMessage,
    /// A file whose format could not be recognised.
    UnrecognisedFormat,
    /// The data could not be read (decompression error, I/O error mid-file).
    Unreadable,
    /// A record the decoder rejected (EVTX chunk or record damage).
    BadRecord,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 11] = [
        ProblemKind::Truncated,
        ProblemKind::BadTime,
        ProblemKind::BadValue,
        ProblemKind::BadAddress,
        ProblemKind::InvalidUtf8,
        ProblemKind::OverlongLine,
        ProblemKind::BadJson,
        ProblemKind::UnknownMessage,
        ProblemKind::UnrecognisedFormat,
        ProblemKind::Unreadable,
        ProblemKind::BadRecord,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Truncated => "truncated",
            ProblemKind::BadTime => "bad-time",
            ProblemKind::BadValue => "bad-value",
            ProblemKind::BadAddress => "bad-address",
            ProblemKind::InvalidUtf8 => "invalid-utf8",
            ProblemKind::OverlongLine => "overlong-line",
            ProblemKind::BadJson => "bad-json",
            ProblemKind::UnknownMessage => "unknown-message",
            ProblemKind::UnrecognisedFormat => "unrecognised-format",
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::BadRecord => "bad-record",
        }
    }
    pub fn parse(s: &str) -> Option<ProblemKind> {
        ProblemKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a parser says about a line it could not use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub kind: ProblemKind,
    pub message: String,
}

impl LineError {
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> LineError {
        LineError { kind, message: message.into() }
    }
}

/// One located problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub position: Position,
    pub kind: ProblemKind,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Line(n) => write!(f, "{}:{}: {}: {}", self.file, n, self.kind, self.message),
            Position::Record(n) => {
                write!(f, "{} record {}: {}: {}", self.file, n, self.kind, self.message)
            }
        }
    }
}

/// Problems counted by reason, with the first few examples of each kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProblemTally {
    pub counts: BTreeMap<ProblemKind, u64>,
    pub examples: BTreeMap<ProblemKind, Vec<Problem>>,
}

/// How many examples of each reason are kept.
pub const EXAMPLES_PER_KIND: usize = 5;

impl ProblemTally {
    pub fn add(&mut self, p: Problem) {
        *self.counts.entry(p.kind).or_default() += 1;
        let ex = self.examples.entry(p.kind).or_default();
        if ex.len() < EXAMPLES_PER_KIND {
            ex.push(p);
        }
    }
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
    pub fn merge(&mut self, other: &ProblemTally) {
        for (k, n) in &other.counts {
            *self.counts.entry(*k).or_default() += n;
        }
        for (k, v) in &other.examples {
            let ex = self.examples.entry(*k).or_default();
            for p in v {
                if ex.len() < EXAMPLES_PER_KIND {
                    ex.push(p.clone());
                }
            }
        }
    }
    /// The first example of any kind, in kind order.
    pub fn first(&self) -> Option<&Problem> {
        self.examples.values().flat_map(|v| v.iter()).next()
    }
}
