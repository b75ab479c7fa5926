//! Zeek's ASCII ("TSV") logs: a header block (`#separator \x09`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path`, `#open`, `#fields`, `#types`), rows, a `#close`
//! trailer. A header may come again mid-file (logs concatenated, a writer restarted): each
//! `#fields` line replaces the columns, each `#separator` line starts over.
//!
//! Values are escaped by Zeek: `\xNN` for separators and non-printable bytes, `\\` for a
//! backslash. Only the columns hopscope uses are unescaped.

use std::borrow::Cow;

use memchr::{memchr, memmem};

use super::record::{Field, Record};
use crate::problems::{LineError, ProblemKind};

/// The header state of a TSV log as read so far.
#[derive(Debug)]
pub(crate) struct Header {
    pub sep: String,
    pub unset: String,
    pub empty: String,
    /// `#path`, when given.
    pub path: Option<String>,
    /// The field of each column (`None` for columns hopscope does not use); empty until a
    /// `#fields` line (or a bare field-name line) has been read.
    pub columns: Vec<Option<Field>>,
    /// Column names, for recognising a log by its field set.
    pub names: Vec<String>,
}

impl Default for Header {
    fn default() -> Self {
        Header {
            sep: "\t".into(),
            unset: "-".into(),
            empty: "(empty)".into(),
            path: None,
            columns: Vec::new(),
            names: Vec::new(),
        }
    }
}

/// What a `#` line changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum HeaderChange {
    /// `#separator`: everything before is forgotten.
    Restart,
    /// `#fields` (or `#path`): the log's columns or type may have changed.
    Fields,
    /// Anything else (`#open`, `#types`, `#close`, comments).
    Nothing,
}

/// Undo Zeek's escaping: `\xNN` → the byte, `\\` → `\`. Other backslashes are kept. Bytes
/// that do not form UTF-8 are replaced (U+FFFD).
pub(crate) fn unescape(s: &str) -> Cow<'_, str> {
    if memchr(b'\\', s.as_bytes()).is_none() {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            if b.get(i + 1) == Some(&b'\\') {
                out.push(b'\\');
                i += 2;
                continue;
            }
            if b.get(i + 1) == Some(&b'x') {
                let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
                if let (Some(h), Some(l)) = (hex(b.get(i + 2)), hex(b.get(i + 3))) {
                    out.push((h * 16 + l) as u8);
                    i += 4;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    match String::from_utf8(out) {
        Ok(s) => Cow::Owned(s),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// Call `f` with each field of `line` split on `sep` (non-empty); returns how many there were.
pub(crate) fn split<'l>(line: &'l str, sep: &str, mut f: impl FnMut(usize, &'l str)) -> usize {
    let mut start = 0;
    let mut n = 0;
    if let [b] = sep.as_bytes() {
        for i in memchr::memchr_iter(*b, line.as_bytes()) {
            f(n, &line[start..i]);
            n += 1;
            start = i + 1;
        }
    } else {
        for i in memmem::find_iter(line.as_bytes(), sep.as_bytes()) {
            if i < start {
                continue; // overlapping match of a separator like `||` in `|||`
            }
            f(n, &line[start..i]);
            n += 1;
            start = i + sep.len();
        }
    }
    f(n, &line[start..]);
    n + 1
}

impl Header {
    /// Read a line starting with `#`.
    pub(crate) fn header_line(&mut self, line: &str) -> Result<HeaderChange, LineError> {
        if let Some(v) = line.strip_prefix("#separator ") {
            let sep = unescape(v);
            if sep.is_empty() || sep.contains('\u{FFFD}') {
                return Err(LineError::new(
                    ProblemKind::BadValue,
                    format!("#separator {v:?}: not a usable separator"),
                ));
            }
            *self = Header { sep: sep.into_owned(), ..Header::default() };
            return Ok(HeaderChange::Restart);
        }
        let body = &line[1..];
        let Some(at) = body.find(self.sep.as_str()) else { return Ok(HeaderChange::Nothing) };
        let (name, value) = (&body[..at], &body[at + self.sep.len()..]);
        match name {
            "fields" => {
                self.set_fields(value);
                Ok(HeaderChange::Fields)
            }
            "path" => {
                self.path = Some(unescape(value).into_owned()).filter(|p| !p.is_empty());
                Ok(HeaderChange::Fields)
            }
            "unset_field" => {
                self.unset = unescape(value).into_owned();
                Ok(HeaderChange::Nothing)
            }
            "empty_field" => {
                self.empty = unescape(value).into_owned();
                Ok(HeaderChange::Nothing)
            }
            _ => Ok(HeaderChange::Nothing),
        }
    }

    fn set_fields(&mut self, value: &str) {
        self.columns.clear();
        self.names.clear();
        let sep = self.sep.clone();
        split(value, &sep, |_, name| {
            self.columns.push(Field::of(name));
            self.names.push(name.to_string());
        });
    }

    /// A line of bare field names (`ts<TAB>uid<TAB>id.orig_h...`, as `zeek-cut` and some
    /// test baselines print) before any `#fields`: taken as the header. False otherwise.
    pub(crate) fn bare_fields(&mut self, line: &str) -> bool {
        if !self.columns.is_empty() {
            return false;
        }
        let mut names = Vec::new();
        split(line, &self.sep, |_, n| names.push(n));
        let name_like = |n: &str| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
                && !n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        };
        if names.len() < 2 || !names.contains(&"ts") || !names.iter().all(|n| name_like(n)) {
            return false;
        }
        self.set_fields(line);
        true
    }

    pub(crate) fn has_fields(&self) -> bool {
        !self.columns.is_empty()
    }

    /// Whether a column of the current header is `f`.
    pub(crate) fn has(&self, f: Field) -> bool {
        self.columns.contains(&Some(f))
    }

    /// Split a data row into `rec`. Errs when the row has fewer or more columns than the
    /// header (a cut line, or a row that does not belong to this header).
    pub(crate) fn row<'l>(&self, line: &'l str, rec: &mut Record<'l>) -> Result<(), LineError> {
        let (unset, empty) = (self.unset.as_str(), self.empty.as_str());
        let columns = &self.columns;
        let n = split(line, &self.sep, |i, v| {
            if let Some(Some(f)) = columns.get(i) {
                if v != unset && v != empty {
                    rec.set(*f, unescape(v));
                }
            }
        });
        if n != columns.len() {
            let kind =
                if n < columns.len() { ProblemKind::Truncated } else { ProblemKind::BadValue };
            return Err(LineError::new(
                kind,
                format!("{n} fields where the #fields header has {}", columns.len()),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_zeek_values() {
        assert_eq!(unescape("plain"), "plain");
        assert_eq!(unescape("\\\\\\\\10.0.0.12\\\\IPC$"), "\\\\10.0.0.12\\IPC$");
        assert_eq!(unescape("fa\\x7c\\x7cure"), "fa||ure");
        assert_eq!(unescape("a\\x09b"), "a\tb");
        assert_eq!(unescape("abc\\x0a\\xffdef"), "abc\n\u{FFFD}def");
        assert_eq!(unescape("trailing\\"), "trailing\\");
        assert_eq!(unescape("\\x4"), "\\x4");
        assert_eq!(unescape("\\q"), "\\q");
    }

    #[test]
    fn splits_on_any_separator() {
        let mut got = Vec::new();
        assert_eq!(split("a\tb\t\tc", "\t", |i, v| got.push((i, v))), 4);
        assert_eq!(got, vec![(0, "a"), (1, "b"), (2, ""), (3, "c")]);
        let mut got = Vec::new();
        assert_eq!(split("a||b||c", "||", |_, v| got.push(v)), 3);
        assert_eq!(got, vec!["a", "b", "c"]);
        let mut got = Vec::new();
        split("a|||b", "||", |_, v| got.push(v));
        assert_eq!(got, vec!["a", "|b"]);
    }

    #[test]
    fn header_block_and_changes() {
        let mut h = Header::default();
        assert_eq!(h.header_line("#separator \\x7c\\x7c").unwrap(), HeaderChange::Restart);
        assert_eq!(h.sep, "||");
        assert_eq!(h.header_line("#path||ssh").unwrap(), HeaderChange::Fields);
        assert_eq!(h.header_line("#empty_field||EMPTY").unwrap(), HeaderChange::Nothing);
        assert_eq!(
            h.header_line("#fields||ts||id.orig_h||x||id.resp_h||cookie").unwrap(),
            HeaderChange::Fields
        );
        assert_eq!(h.header_line("#open XXXX-XX-XX").unwrap(), HeaderChange::Nothing);
        assert_eq!(h.path.as_deref(), Some("ssh"));
        assert_eq!(
            h.columns,
            vec![
                Some(Field::Ts),
                Some(Field::OrigH),
                None,
                Some(Field::RespH),
                Some(Field::Cookie)
            ]
        );
        let mut r = Record::default();
        h.row("1.5||1.2.3.4||zz||-||EMPTY", &mut r).unwrap();
        assert_eq!(
            (r.get(Field::Ts), r.get(Field::OrigH), r.get(Field::RespH), r.get(Field::Cookie)),
            (Some("1.5"), Some("1.2.3.4"), None, None)
        );
        let mut r = Record::default();
        assert_eq!(h.row("1.5||1.2.3.4", &mut r).unwrap_err().kind, ProblemKind::Truncated);
        // a new #separator forgets the old header
        h.header_line("#separator \\x09").unwrap();
        assert!(!h.has_fields() && h.path.is_none() && h.empty == "(empty)");
        assert!(h.header_line("#separator \\xff").is_err());
        assert!(h.header_line("#separator ").is_err());
    }

    #[test]
    fn bare_field_names() {
        let mut h = Header::default();
        assert!(!h.bare_fields("1521911725.396014\tC1\t10.0.0.1"));
        assert!(!h.bare_fields("just one"));
        assert!(h.bare_fields("ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h"));
        assert!(h.has(Field::RespH));
        assert!(!h.bare_fields("ts\tuid"));
    }
}
