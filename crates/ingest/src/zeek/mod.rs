//! Zeek network logs as hop evidence: `conn`, `ssh`, `rdp`, `ntlm`, `kerberos`,
//! `smb_mapping` and `dce_rpc`, as Zeek TSV ([`tsv`]) or JSON lines ([`json`]), plain or
//! compressed. Both encodings fill the same [`record::Record`], which [`mapping`] turns into
//! events, so a log means the same in either. `docs/formats-zeek.md` has the table.
//!
//! A TSV log is stateful (its columns come from the `#fields` header, which may change
//! mid-file), so Zeek files are read whole and in order, never in chunks: Zeek rotates and
//! gzips its logs hourly, so parallelism comes from the number of files.
//!
//! The log type of a row comes from, in order: `#path` (TSV) or `_path`/`@stream` (JSON);
//! the file name (`conn.log`, `ssh.json.gz`, `rdp.09:00:00-10:00:00.log.gz`); the field set.

mod json;
pub(crate) mod mapping;
mod record;
mod tsv;

use std::collections::BTreeSet;

use hopscope_model::Position;

use crate::batch::BatchBuilder;
use crate::format::{LineKind, LineParser, ParseContext};
use crate::problems::{LineError, ProblemKind};
use mapping::Mapped;
use record::{Field, Record};
use tsv::{Header, HeaderChange};

/// The type of a Zeek log, as far as hopscope cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogKind {
    Conn,
    Ssh,
    Rdp,
    Ntlm,
    Kerberos,
    SmbMapping,
    DceRpc,
    /// A Zeek log that holds no hop evidence (`dns`, `http`, `smb_files`, ...): rows ignored.
    Other,
}

/// Zeek's other standard logs: recognised by name so that their rows are ignored with a
/// note instead of being guessed at from their fields.
const OTHER_LOGS: &[&str] = &[
    "analyzer",
    "capture_loss",
    "cluster",
    "config",
    "conn_long",
    "dhcp",
    "dnp3",
    "dns",
    "dpd",
    "files",
    "ftp",
    "http",
    "intel",
    "irc",
    "known_certs",
    "known_hosts",
    "known_services",
    "ldap",
    "ldap_search",
    "loaded_scripts",
    "modbus",
    "mqtt",
    "mysql",
    "netcontrol",
    "notice",
    "notice_alarm",
    "ntp",
    "ocsp",
    "packet_filter",
    "pe",
    "quic",
    "radius",
    "reporter",
    "signatures",
    "sip",
    "smb_cmd",
    "smb_files",
    "smtp",
    "snmp",
    "socks",
    "software",
    "ssl",
    "stats",
    "syslog",
    "telemetry",
    "traceroute",
    "tunnel",
    "unified2",
    "weird",
    "websocket",
    "x509",
];

impl LogKind {
    /// The log a `#path`, `_path` or file stem names; `None` for names Zeek does not use.
    pub(crate) fn from_name(name: &str) -> Option<LogKind> {
        Some(match name {
            "conn" => LogKind::Conn,
            "ssh" => LogKind::Ssh,
            "rdp" => LogKind::Rdp,
            "ntlm" => LogKind::Ntlm,
            "kerberos" => LogKind::Kerberos,
            "smb_mapping" => LogKind::SmbMapping,
            "dce_rpc" => LogKind::DceRpc,
            n if OTHER_LOGS.contains(&n) => LogKind::Other,
            _ => return None,
        })
    }

    /// From the fields present (the last resort: no path, no telling file name).
    fn from_fields(has: impl Fn(Field) -> bool) -> Option<LogKind> {
        Some(if has(Field::ConnState) {
            LogKind::Conn
        } else if has(Field::AuthSuccess) || has(Field::KexAlg) {
            LogKind::Ssh
        } else if has(Field::Cookie) || has(Field::SecurityProtocol) {
            LogKind::Rdp
        } else if has(Field::RequestType) {
            LogKind::Kerberos
        } else if has(Field::ServerNbComputerName)
            || (has(Field::Username) && has(Field::Domainname))
        {
            LogKind::Ntlm
        } else if has(Field::ShareType) {
            LogKind::SmbMapping
        } else if has(Field::Endpoint) && has(Field::Operation) {
            LogKind::DceRpc
        } else {
            return None;
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            LogKind::Conn => "conn",
            LogKind::Ssh => "ssh",
            LogKind::Rdp => "rdp",
            LogKind::Ntlm => "ntlm",
            LogKind::Kerberos => "kerberos",
            LogKind::SmbMapping => "smb_mapping",
            LogKind::DceRpc => "dce_rpc",
            LogKind::Other => "other",
        }
    }
}

/// The log type a file name implies: the part before the first dot of its name
/// (`/logs/ssh.log.gz` → `ssh`, `conn.09:00:00-10:00:00.log.gz` → `conn`).
fn kind_of_file(path: &str) -> Option<(LogKind, String)> {
    let name = std::path::Path::new(path).file_name()?.to_str()?;
    let stem = name.split('.').next()?;
    LogKind::from_name(stem).map(|k| (k, stem.to_string()))
}

/// What Zeek's `auth_attempts` added up to, for the file's note: the event model has one
/// outcome per event and no attempt count.
#[derive(Debug, Default)]
struct SshAttempts {
    connections: u64,
    attempts: u64,
    repeated: u64,
}

/// Parser of one Zeek log file (TSV, JSON lines, or both mixed).
pub struct ZeekParser {
    /// The type the file name implies.
    file_kind: Option<(LogKind, String)>,
    header: Header,
    /// The type of the current TSV header's rows; `None` when it cannot be told.
    tsv_kind: Option<LogKind>,
    ssh: SshAttempts,
    noted: BTreeSet<String>,
}

impl ZeekParser {
    pub fn new(ctx: &ParseContext) -> ZeekParser {
        ZeekParser {
            file_kind: kind_of_file(&ctx.path),
            header: Header::default(),
            tsv_kind: None,
            ssh: SshAttempts::default(),
            noted: BTreeSet::new(),
        }
    }

    /// The type of rows under the current TSV header.
    fn tsv_kind(&mut self, out: &mut BatchBuilder) -> Option<LogKind> {
        let kind = match &self.header.path {
            Some(p) => match LogKind::from_name(p) {
                Some(k) => Some((k, p.clone())),
                None => Some((LogKind::Other, p.clone())),
            },
            None => self.file_kind.clone().or_else(|| {
                LogKind::from_fields(|f| self.header.has(f)).map(|k| (k, k.name().to_string()))
            }),
        };
        match kind {
            Some((k, name)) => {
                self.note_kind(k, &name, out);
                Some(k)
            }
            None => {
                self.note_once("log of unknown type (no #path, no telling file name or fields): its rows are ignored", out);
                None
            }
        }
    }

    fn note_kind(&mut self, k: LogKind, name: &str, out: &mut BatchBuilder) {
        if k == LogKind::Other && !self.noted.contains(name) {
            out.note(format!("Zeek {name} log: not hop evidence, its rows are ignored"));
            self.noted.insert(name.to_string());
        }
    }

    fn note_once(&mut self, note: &str, out: &mut BatchBuilder) {
        if !self.noted.contains(note) {
            out.note(note);
            self.noted.insert(note.to_string());
        }
    }

    fn tsv_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.starts_with('#') {
            return match self.header.header_line(line)? {
                HeaderChange::Nothing => Ok(LineKind::Ignored),
                HeaderChange::Restart => {
                    self.tsv_kind = None;
                    Ok(LineKind::Ignored)
                }
                HeaderChange::Fields => {
                    if self.header.has_fields() {
                        self.tsv_kind = self.tsv_kind(out);
                    }
                    Ok(LineKind::Ignored)
                }
            };
        }
        if !self.header.has_fields() {
            if self.header.bare_fields(line) {
                self.tsv_kind = self.tsv_kind(out);
                return Ok(LineKind::Ignored);
            }
            return Err(LineError::new(
                ProblemKind::UnrecognisedFormat,
                "a data line before any #fields header: its columns are unknown",
            ));
        }
        let Some(kind) = self.tsv_kind else { return Ok(LineKind::Ignored) };
        if kind == LogKind::Other {
            return Ok(LineKind::Ignored);
        }
        let mut rec = Record::default();
        self.header.row(line, &mut rec)?;
        self.emit(kind, &rec, line_no, out)
    }

    fn json_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        let mut rec = Record::default();
        json::record(line, &mut rec)?;
        let kind = match rec.get(Field::Stream) {
            Some(p) => {
                let k = LogKind::from_name(p).unwrap_or(LogKind::Other);
                self.note_kind(k, p, out);
                k
            }
            None => match &self.file_kind {
                Some((k, _)) => *k,
                None => match LogKind::from_fields(|f| rec.has(f)) {
                    Some(k) => k,
                    None => {
                        self.note_once("JSON records of unknown type (no _path, no telling file name or fields) are ignored", out);
                        return Ok(LineKind::Ignored);
                    }
                },
            },
        };
        self.emit(kind, &rec, line_no, out)
    }

    fn emit(
        &mut self,
        kind: LogKind,
        rec: &Record<'_>,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        match mapping::map(kind, rec)? {
            Mapped::Ignored => Ok(LineKind::Ignored),
            Mapped::Event(e) => {
                out.push(&e, Position::Line(line_no))?;
                if kind == LogKind::Ssh {
                    let n = rec
                        .get(Field::AuthAttempts)
                        .and_then(|a| a.parse::<u64>().ok())
                        .unwrap_or(0);
                    self.ssh.connections += 1;
                    self.ssh.attempts += n;
                    self.ssh.repeated += u64::from(n > 1);
                }
                Ok(LineKind::Event)
            }
        }
    }
}

impl LineParser for ZeekParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.trim().is_empty() {
            return Ok(LineKind::Ignored);
        }
        if line.starts_with('{') {
            return self.json_line(line, line_no, out);
        }
        self.tsv_line(line, line_no, out)
    }

    fn finish(&mut self, out: &mut BatchBuilder) {
        let s = &self.ssh;
        if s.connections > 0 {
            out.note(format!(
                "Zeek ssh: {} connections, {} authentication attempts (auth_attempts), {} with more than one; \
                 one event per connection with Zeek's final verdict",
                s.connections, s.attempts, s.repeated
            ));
        }
    }
}

/// Whether text looks like a Zeek log: a `#separator`/`#fields` header line, a bare
/// `ts<TAB>uid<TAB>...` field-name line (zeek-cut, test baselines), or a JSON object with `ts`, `uid` and
/// `id.orig_h` (or `id_orig_h`).
pub(crate) fn looks_like(lines: &[&str]) -> bool {
    lines.iter().any(|l| {
        l.starts_with("#separator ") || l.starts_with("#fields") || l.starts_with("ts\tuid\t")
    }) || lines.first().is_some_and(|l| l.starts_with('{') && is_zeek_json(l))
}

fn is_zeek_json(line: &str) -> bool {
    let mut rec = Record::default();
    if json::record(line, &mut rec).is_err() {
        return false;
    }
    // `uid` is not a Field hopscope keeps; look for the key in the text
    rec.has(Field::Ts) && rec.has(Field::OrigH) && line.contains("\"uid\"")
}

#[cfg(test)]
mod tests;
