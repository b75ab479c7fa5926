//! OpenSSH and dropbear lines in syslog and journalctl exports.
//!
//! Not built yet: this parser recognises syslog-shaped lines but extracts no events.

use crate::batch::BatchBuilder;
use crate::format::{LineKind, LineParser, ParseContext};
use crate::problems::LineError;

/// True for lines shaped like syslog (RFC 3164, RFC 5424, ISO timestamps, journalctl short).
pub fn looks_like_syslog(line: &str) -> bool {
    let b = line.as_bytes();
    if b.len() < 16 {
        return false;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let l = line.trim_start_matches(|c: char| c == '<' || c.is_ascii_digit() || c == '>');
    MONTHS.iter().any(|m| l.starts_with(m) && l.as_bytes().get(3) == Some(&b' '))
        || (l.len() > 19 && l.as_bytes()[4] == b'-' && l.as_bytes()[10] == b'T')
}

pub struct SshdParser {}

impl SshdParser {
    pub fn new(_ctx: &ParseContext) -> SshdParser {
        SshdParser {}
    }
}

impl LineParser for SshdParser {
    fn parse_line(&mut self, _line: &str, _line_no: u64, _out: &mut BatchBuilder) -> Result<LineKind, LineError> {
        Ok(LineKind::Ignored)
    }
}
