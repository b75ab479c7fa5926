//! The input formats ingest knows, and the line-parser interface they implement.

use std::fmt;

use hopscope_model::{SourceFormat, Time};

use crate::batch::BatchBuilder;
use crate::problems::LineError;

/// An input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// LANL 2015 `auth.txt`.
    Lanl,
    /// LANL 2015 `redteam.txt`: labels, not events.
    LanlRedteam,
    /// OpenSSH / dropbear lines in syslog or journalctl exports.
    Sshd,
    /// hopscope's normalised CSV.
    Csv,
    /// hopscope's normalised JSON lines.
    Jsonl,
    /// Windows `.evtx` files.
    Evtx,
    /// Windows events as JSON / JSON lines (evtx_dump, Winlogbeat, NXLog/OTRF, LANL wls),
    /// zip archives of them included.
    Winjson,
    /// Zeek `conn`, `ssh`, `rdp`, `ntlm`, `kerberos`, `smb_mapping`, `dce_rpc` logs, TSV or
    /// JSON lines.
    Zeek,
    /// Linux `wtmp`/`utmp` binary login records (logins and logouts).
    Wtmp,
    /// Linux `btmp` binary records of failed logins.
    Btmp,
    /// Linux auditd `audit.log` login records.
    Audit,
}

impl Format {
    pub const ALL: [Format; 11] = [
        Format::Lanl,
        Format::LanlRedteam,
        Format::Sshd,
        Format::Csv,
        Format::Jsonl,
        Format::Evtx,
        Format::Winjson,
        Format::Zeek,
        Format::Wtmp,
        Format::Btmp,
        Format::Audit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Lanl => "lanl",
            Format::LanlRedteam => "lanl-redteam",
            Format::Sshd => "sshd",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Evtx => "evtx",
            Format::Winjson => "winjson",
            Format::Zeek => "zeek",
            Format::Wtmp => "wtmp",
            Format::Btmp => "btmp",
            Format::Audit => "audit",
        }
    }
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(s))
    }
    /// The format recorded on events read in this format.
    pub fn source_format(self) -> SourceFormat {
        match self {
            Format::Lanl | Format::LanlRedteam => SourceFormat::Lanl,
            Format::Sshd => SourceFormat::Sshd,
            Format::Csv => SourceFormat::Csv,
            Format::Jsonl => SourceFormat::Jsonl,
            Format::Evtx => SourceFormat::Evtx,
            Format::Winjson => SourceFormat::Winjson,
            Format::Zeek => SourceFormat::Zeek,
            Format::Wtmp => SourceFormat::Wtmp,
            Format::Btmp => SourceFormat::Btmp,
            Format::Audit => SourceFormat::Audit,
        }
    }
    /// Lines are independent: a file can be cut into chunks parsed in parallel.
    /// sshd is not: a syslog year is inferred from the sequence of months. Windows formats
    /// are not: events are joined within a file (4672 → logon, 7045 → logon). Zeek is not: a
    /// TSV log's columns come from its `#fields` header, which may change mid-file. audit is
    /// not: one login's records are joined by process and session across lines.
    pub fn chunkable(self) -> bool {
        matches!(self, Format::Lanl | Format::LanlRedteam | Format::Csv | Format::Jsonl)
    }

    /// Read as a whole file by `windows::parse_file`, not line by line.
    pub fn whole_file(self) -> bool {
        matches!(self, Format::Evtx | Format::Winjson)
    }

    /// Fixed-size binary records (`linux::utmp`), read in order from the decompressed input.
    pub fn binary_records(self) -> bool {
        matches!(self, Format::Wtmp | Format::Btmp)
    }

    /// A parser for one input (or one chunk of it). Errs for [`Format::whole_file`] formats.
    pub fn line_parser(self, ctx: &ParseContext) -> Result<Box<dyn LineParser>, String> {
        Ok(match self {
            Format::Lanl => Box::new(crate::lanl::AuthParser::new(ctx.lanl_start)),
            Format::LanlRedteam => Box::new(crate::lanl::RedteamParser::new(ctx.lanl_start)),
            Format::Sshd => Box::new(crate::sshd::SshdParser::new(ctx)),
            Format::Csv => Box::new(crate::normalized::CsvParser::new(ctx.header.as_deref())?),
            Format::Jsonl => Box::new(crate::normalized::JsonlParser::new()),
            Format::Zeek => Box::new(crate::zeek::ZeekParser::new(ctx)),
            Format::Audit => Box::new(crate::linux::audit::AuditParser::new(ctx)),
            Format::Evtx | Format::Winjson | Format::Wtmp | Format::Btmp => {
                return Err(format!("{self} is read per file, not per line"))
            }
        })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a parser may need to know about its input beyond the lines.
#[derive(Clone, Debug)]
pub struct ParseContext {
    /// The input path as the user gave it (for messages).
    pub path: String,
    /// LANL time 0 (`--lanl-start`); LANL time `t` is `lanl_start + t` seconds.
    pub lanl_start: Time,
    /// Year for syslog lines without one (`--year`).
    pub year: Option<i32>,
    /// The first line's year as inferred from the file's mtime and its roll-overs (set by
    /// the pipeline's pre-pass when `year` is not given).
    pub inferred_year: Option<i32>,
    /// Time zone for syslog lines without one (`--tz`); `None` means UTC, and is noted.
    pub tz: Option<jiff::tz::TimeZone>,
    /// The file's modification time, for inferring a syslog year.
    pub mtime: Option<Time>,
    /// The file's first line (a CSV header), for parsers of chunks that do not start there.
    pub header: Option<String>,
}

impl Default for ParseContext {
    fn default() -> ParseContext {
        ParseContext {
            path: String::new(),
            lanl_start: Time(0),
            year: None,
            inferred_year: None,
            tz: None,
            mtime: None,
            header: None,
        }
    }
}

/// What became of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    /// One or more events (or labels) were added.
    Event,
    /// Not an authentication line (another program's syslog line, a comment, a header).
    Ignored,
}

/// A parser of one line-oriented format. It sees each line once, in order, without its
/// line ending, already checked to be UTF-8 and within the length limit.
///
/// Architecture invariant: a parser never panics and never stops the run: a line it cannot
/// use is an `Err` with a reason, and the framework counts and locates it.
pub trait LineParser: Send {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError>;

    /// Called once after the last line of the input (or chunk), with the last batch: for
    /// notes that sum up the file.
    fn finish(&mut self, _out: &mut BatchBuilder) {}

    /// Whether [`LineParser::hint`] does anything (the pipeline skips looking ahead if not).
    fn hints(&self) -> bool {
        false
    }

    /// A look at a line a few lines before it is parsed (raw bytes, not yet checked), to
    /// prefetch the dictionary slots of the names it will look up
    /// ([`BatchBuilder::hint_host`], [`BatchBuilder::hint_account`]), so that the memory
    /// waits of several lines overlap. Only a hint: it must not change any result.
    fn hint(&mut self, _line: &[u8], _out: &BatchBuilder) {}
}
