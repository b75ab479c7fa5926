//! Small output helpers shared by the commands: number formatting, terminal detection, and
//! the conventions of every table printed on standard output (colour only on a terminal
//! with `NO_COLOR` unset, lines of at most [`WIDTH`] columns).
//!
//! Everything hopscope prints goes through [`Terminal`], which escapes every character a
//! terminal would act on ([`hopscope_report::escape`]): standard output through [`stdout`]
//! (or the [`outln!`] macro), standard error through [`errln!`]. `println!` and `eprintln!`
//! are refused by clippy (`print_stdout`, `print_stderr` in `main.rs`): they print raw and
//! panic when standard output is closed. A table cell is escaped with [`term`] before it is
//! fitted to its column, so a hostile name keeps its width honest.

use std::borrow::Cow;
use std::io::{self, IsTerminal, Write};
use std::sync::OnceLock;

pub use hopscope_report::escape::terminal as term;
use hopscope_report::escape::terminal_text;
use hopscope_report::redact::Redactor;

/// The redaction of this process's output, set once by a command given `--redact`
/// ([`redact_with`]).
static REDACTOR: OnceLock<Redactor> = OnceLock::new();

/// From now on everything this process prints goes through `r`, the one redaction pass
/// ([`Redactor`]): every text written to standard output or error ([`Terminal`] holds it
/// until it is flushed and redacts it whole, so a name a table wrapped over two lines is
/// still one name), every cell before [`fit`] cuts it (a cut name would leak its start), and
/// every value a command prints as JSON ([`redact_value`]).
pub fn redact_with(r: Redactor) {
    let _ = REDACTOR.set(r);
}

/// `--redact`: the case's key (`CASE/redaction.key`, created on first use under the case's
/// writer lock) and, from now on, the one redaction pass over everything this process prints
/// ([`redact_with`]). Returns the key (`scope` names clients by its pseudonyms).
pub fn redact_case(
    dir: &std::path::Path,
    case: &hopscope_case::Case,
) -> anyhow::Result<hopscope_report::redact::RedactionKey> {
    let key = hopscope_report::redact::RedactionKey::of_case(dir)?;
    redact_with(Redactor::new(&case.inventory, &key));
    Ok(key)
}

/// Whether output is redacted ([`redact_with`]).
pub fn redacting() -> bool {
    REDACTOR.get().is_some()
}

/// `text` redacted when output is ([`redact_with`]).
pub fn redacted(text: &str) -> Cow<'_, str> {
    match REDACTOR.get().and_then(|r| r.text(text)) {
        Some(r) => Cow::Owned(r),
        None => Cow::Borrowed(text),
    }
}

/// A value about to be printed as JSON, with every string (and key) redacted when output is
/// ([`redact_with`]): JSON is redacted as a value, never as text (a text pass could cut through
/// its syntax), so it is printed through [`json_stdout`].
pub fn redact_value<T: serde::Serialize + serde::de::DeserializeOwned>(v: T) -> anyhow::Result<T> {
    match REDACTOR.get() {
        Some(r) => Ok(r.apply(&v)?),
        None => Ok(v),
    }
}

/// A writer that escapes what it is given for a terminal: every control character but the
/// newline, DEL, C1 controls and the invisible characters that reorder or hide text
/// ([`hopscope_report::escape::is_hostile`]). The only escape sequences it lets through are
/// [`Style`]'s own, and only when colours are on. JSON passes through unchanged in meaning.
pub struct Terminal<W: Write> {
    inner: W,
    colour: bool,
    /// The start of a UTF-8 character cut by the end of the last write.
    pending: Vec<u8>,
    /// With redaction ([`redact_with`]), the text written since the last flush, redacted
    /// whole when flushed.
    held: Option<String>,
}

impl<W: Write> Terminal<W> {
    pub fn new(inner: W, colour: bool) -> Terminal<W> {
        Terminal { inner, colour, pending: Vec::new(), held: None }
    }

    /// The same writer redacting what passes through it by `r`, flush by flush.
    fn redacting(mut self, on: bool) -> Terminal<W> {
        self.held = on.then(String::new);
        self
    }

    /// Text, held for redaction or escaped and written.
    fn text(&mut self, text: &str) -> io::Result<()> {
        match &mut self.held {
            Some(held) => {
                held.push_str(text);
                Ok(())
            }
            None => self.put(text),
        }
    }

    fn put(&mut self, text: &str) -> io::Result<()> {
        if !self.colour {
            return self.inner.write_all(terminal_text(text).as_bytes());
        }
        // our own styles pass; any other escape sequence is escaped
        let mut rest = text;
        while let Some(i) = rest.find('\x1b') {
            self.inner.write_all(terminal_text(&rest[..i]).as_bytes())?;
            let tail = &rest[i..];
            match Style::SEQUENCES.iter().find(|s| tail.starts_with(*s)) {
                Some(s) => {
                    self.inner.write_all(s.as_bytes())?;
                    rest = &tail[s.len()..];
                }
                None => {
                    self.inner.write_all(b"\\x1b")?;
                    rest = &tail[1..];
                }
            }
        }
        self.inner.write_all(terminal_text(rest).as_bytes())
    }
}

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let mut at = 0;
        while at < bytes.len() {
            match std::str::from_utf8(&bytes[at..]) {
                Ok(s) => {
                    self.text(s)?;
                    at = bytes.len();
                }
                Err(e) => {
                    let good = at + e.valid_up_to();
                    // SAFETY-free: the prefix was just validated
                    self.text(std::str::from_utf8(&bytes[at..good]).unwrap_or_default())?;
                    match e.error_len() {
                        // a character cut by the end of this write: wait for the rest
                        None => {
                            self.pending = bytes[good..].to_vec();
                            at = bytes.len();
                        }
                        Some(n) => {
                            for b in &bytes[good..good + n] {
                                self.text(&format!("\\x{b:02x}"))?;
                            }
                            at = good + n;
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let cut = std::mem::take(&mut self.pending);
            for b in cut {
                self.text(&format!("\\x{b:02x}"))?;
            }
        }
        if let Some(held) = self.held.as_mut().map(std::mem::take) {
            self.put(&redacted(&held))?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Terminal<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Standard output, buffered, redacted ([`redact_with`]) and escaped: what every command
/// prints its result through.
pub fn stdout() -> Terminal<io::BufWriter<io::StdoutLock<'static>>> {
    json_stdout().redacting(redacting())
}

/// Standard output for JSON, escaped: the value printed has been redacted as a value
/// ([`redact_value`]).
pub fn json_stdout() -> Terminal<io::BufWriter<io::StdoutLock<'static>>> {
    Terminal::new(io::BufWriter::new(io::stdout().lock()), !Style::stdout().bold.is_empty())
}

/// Standard error, redacted ([`redact_with`]) and escaped (no colours).
pub fn stderr() -> Terminal<io::StderrLock<'static>> {
    Terminal::new(io::stderr().lock(), false).redacting(redacting())
}

/// What to do when standard output cannot be written: a closed pipe (`hopscope detect |
/// head`) ends the command quietly with status 0, as the reader asked for no more; anything
/// else (a full disk) is an error.
pub fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    let _ = writeln!(stderr(), "hopscope: error: writing standard output: {e}");
    std::process::exit(1);
}

/// `println!` through [`stdout`]: escaped, and ending the command quietly on a closed pipe
/// ([`stdout_failed`]) instead of panicking.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut w = $crate::out::stdout();
        if let Err(e) = writeln!(w, $($arg)*).and_then(|()| w.flush()) {
            $crate::out::stdout_failed(e);
        }
    }};
}

/// `eprintln!` through [`stderr`]: escaped; a standard error that cannot be written is
/// ignored (there is nowhere left to say so).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($crate::out::stderr(), $($arg)*);
    }};
}

/// `1234567` → `1,234,567`.
pub fn num(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether progress bars may be drawn (stderr is a terminal).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// Columns a table line may take.
pub const WIDTH: usize = 100;

/// ANSI styles for standard output: all empty unless it is a terminal and `NO_COLOR` is
/// unset or empty (https://no-color.org).
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub bold: &'static str,
    pub red: &'static str,
    pub yellow: &'static str,
    pub dim: &'static str,
    pub reset: &'static str,
}

impl Style {
    /// Every escape sequence a `Style` writes ([`Terminal`] lets these through).
    pub const SEQUENCES: [&'static str; 5] =
        ["\x1b[1m", "\x1b[31m", "\x1b[33m", "\x1b[2m", "\x1b[0m"];

    pub fn stdout() -> Style {
        let colour = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Style::new(colour)
    }

    pub fn new(colour: bool) -> Style {
        if colour {
            Style {
                bold: "\x1b[1m",
                red: "\x1b[31m",
                yellow: "\x1b[33m",
                dim: "\x1b[2m",
                reset: "\x1b[0m",
            }
        } else {
            Style { bold: "", red: "", yellow: "", dim: "", reset: "" }
        }
    }

    /// The colour of a finding's severity.
    pub fn severity(&self, severity: &str) -> &'static str {
        match severity {
            "critical" | "high" => self.red,
            "medium" => self.yellow,
            _ => "",
        }
    }
}

/// `text` redacted ([`redacted`]), escaped for a terminal ([`term`]) and cut to `width`
/// characters, the last one `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    let text = redacted(text);
    let text = term(&text);
    if text.chars().count() <= width {
        return text.into_owned();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// `text` redacted ([`redacted`]) and escaped for a terminal ([`term`]) in lines of at most
/// `width` characters, each starting with `indent` (a word longer than a line is cut).
pub fn wrap(text: &str, indent: &str, width: usize) -> Vec<String> {
    let text = redacted(text);
    let text = term(&text);
    let mut lines = Vec::new();
    let mut line = String::from(indent);
    let base = indent.chars().count();
    for word in text.split(' ') {
        let (len, w) = (line.chars().count(), word.chars().count());
        if len > base && len + 1 + w > width {
            lines.push(std::mem::replace(&mut line, String::from(indent)));
        }
        if line.chars().count() > base {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::num(0), "0");
        assert_eq!(super::num(999), "999");
        assert_eq!(super::num(1000), "1,000");
        assert_eq!(super::num(1234567), "1,234,567");
    }

    #[test]
    fn lines_fit() {
        assert_eq!(super::fit("abcdef", 4), "abc…");
        assert_eq!(super::fit("abc", 4), "abc");
        let lines = super::wrap("one two three four five", "  ", 10);
        assert_eq!(lines, ["  one two", "  three", "  four", "  five"]);
        assert!(super::wrap(&"x".repeat(150), "", 100)[0].chars().count() == 100);
        assert_eq!(super::Style::new(false).red, "");
    }

    #[test]
    fn cells_are_escaped_before_they_are_fitted() {
        // the escape counts in the width: a hostile name cannot push a line past its column
        assert_eq!(super::fit("ab\x1b[2Jcd", 20), "ab\\x1b[2Jcd");
        assert_eq!(super::fit("\u{202e}abcdef", 8), "\\u202ea…");
        let lines = super::wrap("one \x1b]52;c;AAAA\x07 two", "", 100);
        assert_eq!(lines, ["one \\x1b]52;c;AAAA\\x07 two"]);
    }

    #[test]
    fn redaction_sees_a_name_whole_before_it_is_cut_wrapped_or_written_in_pieces() {
        use hopscope_report::redact::{RedactionKey, Redactor};
        let key = RedactionKey::from_bytes(b"0123456789abcdef");
        let names = [("Secret Ministry of Defence".to_string(), true)];
        super::redact_with(Redactor::from_names(names, Vec::new(), &key));
        let r = "a restricted client";
        // cut by fit: the start of the name would show
        let cut = super::fit("from host-1 as Secret Ministry of Defence (auth.log:12)", 30);
        assert_eq!(cut, "from host-1 as a restricted c…");
        // wrapped: the name over two lines
        let lines = super::wrap("x SECRET_MINISTRY_OF_DEFENCE\\admin y", "  ", 16);
        assert!(lines.iter().all(|l| !l.to_lowercase().contains("secret")), "{lines:?}");
        // written in pieces, a line cut inside the name: held until the flush
        let out = through(&[b"as Secret Minis", b"try of\n  Defence\n"], false);
        assert_eq!(out, format!("as {r}\n"));
    }

    /// Writes `chunks` through a [`super::Terminal`] and returns what came out.
    fn through(chunks: &[&[u8]], colour: bool) -> String {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut t = super::Terminal::new(&mut out, colour).redacting(super::redacting());
            for c in chunks {
                t.write_all(c).unwrap();
            }
            t.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_terminal_writer_escapes_everything_but_newlines_and_its_own_styles() {
        let s = super::Style::new(true);
        let text =
            format!("{}alert{} \x1b[8mx\x1b]52;c;QQ==\x07 \u{9b}2J \u{202e}y\r\n", s.red, s.reset);
        assert_eq!(
            through(&[text.as_bytes()], true),
            "\x1b[31malert\x1b[0m \\x1b[8mx\\x1b]52;c;QQ==\\x07 \\u009b2J \\u202ey\\r\n"
        );
        // without colours not even a style passes
        assert_eq!(through(&[b"\x1b[31m"], false), "\\x1b[31m");
        // a character cut between two writes is joined, a broken one shown as bytes
        let e = "é".as_bytes();
        assert_eq!(through(&[&e[..1], &e[1..], b"\xff!"], false), "é\\xff!");
        // JSON stays JSON with the same strings
        let v = serde_json::json!({"user": "\u{9b}\u{202e}\x1b\x7f"});
        let out = through(&[serde_json::to_string_pretty(&v).unwrap().as_bytes()], false);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap(), v);
        assert!(out.is_ascii(), "{out}");
    }
}
