//! hopscope's own normalised event format, as CSV and as JSON lines: what `export` writes
//! and `ingest --format csv|jsonl` reads. Reader and writer live together so they cannot
//! drift apart; `docs/formats.md` documents the schema.

use std::io::{self, Write};

use hopscope_model::{
    Catalog, Event, EventFlags, LogonType, Orientation, Outcome, Position, SourceFormat, Time,
};
use serde::{Deserialize, Serialize};

use crate::batch::{BatchBuilder, RawEvent};
use crate::format::{LineKind, LineParser};
use crate::problems::{LineError, ProblemKind};

/// CSV columns, in the order `export` writes them.
pub const CSV_COLUMNS: [&str; 19] = [
    "time",
    "src_host",
    "src_ip",
    "dst_host",
    "dst_ip",
    "user",
    "domain",
    "src_user",
    "src_domain",
    "auth",
    "logon_type",
    "outcome",
    "orientation",
    "event_id",
    "flags",
    "format",
    "evidence_file",
    "evidence_line",
    "evidence_record",
];

/// Where an exported event came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef<'a> {
    #[serde(borrow)]
    pub file: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub record: Option<u64>,
}

/// One event with every id resolved to its name: a row of the normalised format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportRow<'a> {
    pub time: String,
    #[serde(borrow, default)]
    pub src_host: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub src_ip: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub dst_host: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub dst_ip: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub domain: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub src_user: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub src_domain: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub auth: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub logon_type: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    pub outcome: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    pub orientation: std::borrow::Cow<'a, str>,
    #[serde(default)]
    pub event_id: Option<u16>,
    #[serde(default)]
    pub flags: Vec<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    pub format: std::borrow::Cow<'a, str>,
    #[serde(borrow, default)]
    pub evidence: Option<EvidenceRef<'a>>,
}

impl<'a> ExportRow<'a> {
    /// Resolve an event's ids against the catalog.
    pub fn from_event(e: &Event, cat: &'a Catalog) -> ExportRow<'a> {
        use std::borrow::Cow::Borrowed;
        let account = |id| cat.accounts.get(id);
        let user = account(e.user);
        let src_user = account(e.src_user);
        let (line, record) = match e.evidence.position {
            Position::Line(n) => (Some(n), None),
            Position::Record(n) => (None, Some(n)),
        };
        ExportRow {
            time: e.time.to_rfc3339(),
            src_host: cat.hosts.name(e.src_host).map(Borrowed),
            src_ip: cat.addresses.name(e.src_ip).map(Borrowed),
            dst_host: cat.hosts.name(e.dst_host).map(Borrowed),
            dst_ip: cat.addresses.name(e.dst_ip).map(Borrowed),
            user: user.map(|a| Borrowed(a.name.as_str())),
            domain: user.and_then(|a| a.domain.as_deref()).map(Borrowed),
            src_user: src_user.map(|a| Borrowed(a.name.as_str())),
            src_domain: src_user.and_then(|a| a.domain.as_deref()).map(Borrowed),
            auth: cat.auths.name(e.auth).map(Borrowed),
            logon_type: Borrowed(e.logon_type.as_str()),
            outcome: Borrowed(e.outcome.as_str()),
            orientation: Borrowed(e.orientation.as_str()),
            event_id: (e.event_id != 0).then_some(e.event_id),
            flags: e.flags.names().map(Borrowed).collect(),
            format: Borrowed(e.format.as_str()),
            evidence: cat.sources.name(e.evidence.source).map(|f| EvidenceRef {
                file: Borrowed(f),
                line,
                record,
            }),
        }
    }

    /// The row as a raw event (the inverse of [`ExportRow::from_event`]).
    fn to_raw(&self) -> Result<(RawEvent<'_>, Option<Position>), LineError> {
        let bad = |what: &str, v: &str| {
            LineError::new(ProblemKind::BadValue, format!("unknown {what} {v:?}"))
        };
        let time = Time::parse(&self.time)
            .map_err(|e| LineError::new(ProblemKind::BadTime, e.to_string()))?;
        let mut flags = EventFlags::default();
        for f in &self.flags {
            flags.insert(EventFlags::from_name(f).ok_or_else(|| bad("flag", f))?);
        }
        let position = match &self.evidence {
            Some(EvidenceRef { line: Some(n), .. }) => Some(Position::Line(*n)),
            Some(EvidenceRef { record: Some(n), .. }) => Some(Position::Record(*n)),
            _ => None,
        };
        let ev = RawEvent {
            time,
            src_host: self.src_host.as_deref(),
            src_ip: self.src_ip.as_deref(),
            dst_host: self.dst_host.as_deref(),
            dst_ip: self.dst_ip.as_deref(),
            user: self.user.as_deref(),
            domain: self.domain.as_deref(),
            src_user: self.src_user.as_deref(),
            src_domain: self.src_domain.as_deref(),
            auth: self.auth.as_deref(),
            logon_type: LogonType::parse(&self.logon_type)
                .ok_or_else(|| bad("logon_type", &self.logon_type))?,
            outcome: Outcome::parse(&self.outcome).ok_or_else(|| bad("outcome", &self.outcome))?,
            orientation: Orientation::parse(&self.orientation)
                .ok_or_else(|| bad("orientation", &self.orientation))?,
            event_id: self.event_id.unwrap_or(0),
            flags,
            // no format: the event was first read in this normalised file
            format: if self.format.is_empty() {
                None
            } else {
                Some(SourceFormat::parse(&self.format).ok_or_else(|| bad("format", &self.format))?)
            },
            evidence_file: if position.is_some() {
                self.evidence.as_ref().map(|e| e.file.as_ref())
            } else {
                None
            },
        };
        Ok((ev, position))
    }
}

fn push_row(
    row: &ExportRow<'_>,
    line_no: u64,
    out: &mut BatchBuilder,
) -> Result<LineKind, LineError> {
    let (ev, position) = row.to_raw()?;
    out.push(&ev, position.unwrap_or(Position::Line(line_no)))?;
    Ok(LineKind::Event)
}

/// Write one row as a JSON line.
pub fn write_jsonl<W: Write>(w: &mut W, row: &ExportRow<'_>) -> io::Result<()> {
    serde_json::to_writer(&mut *w, row)?;
    w.write_all(b"\n")
}

/// A CSV field as `export` writes it, so that a spreadsheet shows it as text and a line-based
/// reader sees one event per line; [`unguard`] gives the value back exactly.
///
/// - a value holding a line break (`\n`, `\r`) is written `'\` followed by the value with
///   `\` as `\\`, `\n` as `\n` and `\r` as `\r` (a quoted line break would cut the event in
///   two for the reader, which reads files in pieces cut at line ends);
/// - a value a spreadsheet would take as a formula — beginning with `=`, `+`, `-`, `@`, a tab
///   or `'` itself — is written with `'` before it (the OWASP "CSV injection" guard);
/// - any other value as it is.
///
/// Reversible by construction: every guarded value begins with `'`, and every value that
/// begins with `'` is guarded. Hand-written: the csv crate quotes, but knows no formulas.
pub fn guard(v: &str) -> std::borrow::Cow<'_, str> {
    if v.contains(['\n', '\r']) {
        let mut out = String::with_capacity(v.len() + 4);
        out.push_str("'\\");
        for c in v.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        return std::borrow::Cow::Owned(out);
    }
    if v.starts_with(['=', '+', '-', '@', '\t', '\'']) {
        return std::borrow::Cow::Owned(format!("'{v}"));
    }
    std::borrow::Cow::Borrowed(v)
}

/// The value of a CSV field [`guard`] wrote (a field without a leading `'` is its value).
pub fn unguard(field: &str) -> std::borrow::Cow<'_, str> {
    if let Some(escaped) = field.strip_prefix("'\\") {
        let mut out = String::with_capacity(escaped.len());
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            match (c, c == '\\') {
                (_, true) => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                },
                (c, false) => out.push(c),
            }
        }
        return std::borrow::Cow::Owned(out);
    }
    match field.strip_prefix('\'') {
        Some(v) => std::borrow::Cow::Borrowed(v),
        None => std::borrow::Cow::Borrowed(field),
    }
}

/// A CSV writer with the header already written.
pub fn csv_writer<W: Write>(w: W) -> io::Result<csv::Writer<W>> {
    let mut c = csv::WriterBuilder::new().has_headers(false).from_writer(w);
    c.write_record(CSV_COLUMNS)?;
    Ok(c)
}

/// Write one row as CSV, every field through [`guard`].
pub fn write_csv<W: Write>(w: &mut csv::Writer<W>, row: &ExportRow<'_>) -> io::Result<()> {
    let o = |v: &Option<std::borrow::Cow<'_, str>>| v.as_deref().unwrap_or("").to_string();
    let g = |v: String| guard(&v).into_owned();
    let flags: Vec<&str> = row.flags.iter().map(|f| f.as_ref()).collect();
    let (file, line, record) = match &row.evidence {
        Some(e) => {
            (e.file.to_string(), e.line.map(|n| n.to_string()), e.record.map(|n| n.to_string()))
        }
        None => (String::new(), None, None),
    };
    w.write_record(
        [
            row.time.clone(),
            o(&row.src_host),
            o(&row.src_ip),
            o(&row.dst_host),
            o(&row.dst_ip),
            o(&row.user),
            o(&row.domain),
            o(&row.src_user),
            o(&row.src_domain),
            o(&row.auth),
            row.logon_type.to_string(),
            row.outcome.to_string(),
            row.orientation.to_string(),
            row.event_id.map(|n| n.to_string()).unwrap_or_default(),
            flags.join(" "),
            row.format.to_string(),
            file,
            line.unwrap_or_default(),
            record.unwrap_or_default(),
        ]
        .map(g),
    )?;
    Ok(())
}

/// Parser of normalised JSON lines.
#[derive(Default)]
pub struct JsonlParser;

impl JsonlParser {
    pub fn new() -> JsonlParser {
        JsonlParser
    }
}

impl LineParser for JsonlParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.trim().is_empty() {
            return Ok(LineKind::Ignored);
        }
        let row: ExportRow<'_> = serde_json::from_str(line)
            .map_err(|e| LineError::new(ProblemKind::BadJson, e.to_string()))?;
        push_row(&row, line_no, out)
    }
}

/// Parser of normalised CSV. Columns are found by the header's names, so any subset in any
/// order works as long as `time` is there. Fields are RFC 4180 quoted and hold what [`guard`]
/// wrote (read back by [`unguard`]); a field never holds a line break (the writer escapes
/// it), so lines can be parsed independently.
pub struct CsvParser {
    index: [Option<usize>; CSV_COLUMNS.len()],
    header: String,
    fields: Vec<String>,
}

impl CsvParser {
    pub fn new(header: Option<&str>) -> Result<CsvParser, String> {
        let header =
            header.ok_or("normalised CSV needs a header line")?.trim_end_matches('\r').to_string();
        let mut cols = Vec::new();
        split_csv(&header, &mut cols).map_err(|e| format!("header: {e}"))?;
        let mut index = [None; CSV_COLUMNS.len()];
        for (i, c) in cols.iter().enumerate() {
            if let Some(k) = CSV_COLUMNS.iter().position(|n| *n == c.trim()) {
                index[k] = Some(i);
            }
        }
        if index[0].is_none() {
            return Err("normalised CSV header has no `time` column".into());
        }
        Ok(CsvParser { index, header, fields: Vec::new() })
    }
}

/// Split one CSV line into fields (RFC 4180 quoting). Hand-written because the `csv` crate
/// reads record streams, and chunks of a file are parsed line by line in parallel.
fn split_csv(line: &str, out: &mut Vec<String>) -> Result<(), String> {
    out.clear();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            at_start = true;
        } else {
            cur.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    out.push(cur);
    Ok(())
}

impl LineParser for CsvParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        if line.trim().is_empty() || line == self.header {
            return Ok(LineKind::Ignored);
        }
        let mut fields = std::mem::take(&mut self.fields);
        let r = (|| {
            split_csv(line, &mut fields).map_err(|e| LineError::new(ProblemKind::Truncated, e))?;
            for f in fields.iter_mut() {
                if f.starts_with('\'') {
                    *f = unguard(f).into_owned();
                }
            }
            let get = |k: usize| {
                self.index[k].and_then(|i| fields.get(i)).map(String::as_str).unwrap_or("")
            };
            if self.index.iter().flatten().any(|&i| i >= fields.len()) {
                return Err(LineError::new(
                    ProblemKind::Truncated,
                    format!("{} fields, the header names more", fields.len()),
                ));
            }
            let cow =
                |k: usize| Some(get(k)).filter(|s| !s.is_empty()).map(std::borrow::Cow::Borrowed);
            let num = |k: usize| -> Result<Option<u64>, LineError> {
                let s = get(k);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse().map(Some).map_err(|_| {
                    LineError::new(
                        ProblemKind::BadValue,
                        format!("{}: not a number: {s:?}", CSV_COLUMNS[k]),
                    )
                })
            };
            let event_id = match num(13)? {
                Some(n) if n <= u16::MAX as u64 => Some(n as u16),
                Some(n) => {
                    return Err(LineError::new(
                        ProblemKind::BadValue,
                        format!("event_id out of range: {n}"),
                    ))
                }
                None => None,
            };
            let evidence = cow(16).map(|file| EvidenceRef { file, line: None, record: None });
            let (line_n, record_n) = (num(17)?, num(18)?);
            let row = ExportRow {
                time: get(0).to_string(),
                src_host: cow(1),
                src_ip: cow(2),
                dst_host: cow(3),
                dst_ip: cow(4),
                user: cow(5),
                domain: cow(6),
                src_user: cow(7),
                src_domain: cow(8),
                auth: cow(9),
                logon_type: std::borrow::Cow::Borrowed(if get(10).is_empty() {
                    "unknown"
                } else {
                    get(10)
                }),
                outcome: std::borrow::Cow::Borrowed(if get(11).is_empty() {
                    "unknown"
                } else {
                    get(11)
                }),
                orientation: std::borrow::Cow::Borrowed(if get(12).is_empty() {
                    "unknown"
                } else {
                    get(12)
                }),
                event_id,
                flags: get(14).split_whitespace().map(std::borrow::Cow::Borrowed).collect(),
                format: std::borrow::Cow::Borrowed(if get(15).is_empty() {
                    "csv"
                } else {
                    get(15)
                }),
                evidence: evidence.map(|e| EvidenceRef { line: line_n, record: record_n, ..e }),
            };
            push_row(&row, line_no, out)
        })();
        self.fields = fields;
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guarded_fields_are_text_to_a_spreadsheet_and_read_back_exactly() {
        let values = [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\tsneaky",
            "\r=1",
            "'=already quoted",
            "'",
            "line\nbreak\r\nand \\ a backslash",
            "'\\not escaped",
            "CORP\\alice",
            "plain",
            "",
        ];
        for v in values {
            let g = guard(v);
            assert!(!g.contains(['\n', '\r']), "{g:?}");
            assert!(!g.starts_with(['=', '+', '-', '@', '\t', '\r']), "{g:?}");
            assert_eq!(unguard(&g), v, "{g:?}");
        }
        assert_eq!(guard("CORP\\alice"), "CORP\\alice", "a plain value is written as it is");
    }

    proptest::proptest! {
        #[test]
        fn guard_round_trips(v in "\\PC{0,40}|['=+@\\t\\-][\\PC\\n\\r]{0,20}|[\\\\'\\n\\r a]{0,12}") {
            let g = guard(&v);
            proptest::prop_assert!(!g.contains(['\n', '\r']));
            proptest::prop_assert_eq!(unguard(&g), v.as_str());
        }
    }

    #[test]
    fn csv_split_quotes() {
        let mut v = Vec::new();
        split_csv(r#"a,"b,c","d""e",,"#, &mut v).unwrap();
        assert_eq!(v, ["a", "b,c", "d\"e", "", ""]);
        assert!(split_csv("\"open", &mut v).is_err());
    }

    #[test]
    fn jsonl_rejects_unknown_values() {
        let mut b = BatchBuilder::new(SourceFormat::Jsonl);
        let mut p = JsonlParser::new();
        let ok = r#"{"time":"2019-09-01T00:00:00Z","src_host":"a","src_ip":null,"dst_host":"b","dst_ip":null,"user":"u","domain":null,"src_user":null,"src_domain":null,"auth":"NTLM","logon_type":"network","outcome":"success","orientation":"logon","event_id":4624,"flags":["privileged"],"format":"winjson","evidence":{"file":"x.json","record":5}}"#;
        assert_eq!(p.parse_line(ok, 1, &mut b), Ok(LineKind::Event));
        // only `time` is required
        assert_eq!(
            p.parse_line(r#"{"time":"2019-09-01T00:00:00Z","dst_host":"b"}"#, 9, &mut b),
            Ok(LineKind::Event)
        );
        let bad = ok.replace("\"network\"", "\"teleport\"");
        assert_eq!(p.parse_line(&bad, 2, &mut b).unwrap_err().kind, ProblemKind::BadValue);
        assert_eq!(p.parse_line("{", 3, &mut b).unwrap_err().kind, ProblemKind::BadJson);
        let batch = b.finish();
        assert_eq!(batch.events.len(), 2);
        assert_eq!(batch.events.format[1], SourceFormat::Jsonl as u8);
        assert_eq!(batch.evidence_files, ["x.json"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,300}") {
            let mut b = BatchBuilder::new(SourceFormat::Csv);
            let _ = JsonlParser::new().parse_line(&line, 1, &mut b);
            let mut p = CsvParser::new(Some(&CSV_COLUMNS.join(","))).unwrap();
            let _ = p.parse_line(&line, 1, &mut b);
        }
    }
}
