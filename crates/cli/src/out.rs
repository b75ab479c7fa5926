//! Small output helpers shared by the commands: number formatting, terminal detection, and
//! the conventions of every table printed on standard output (colour only on a terminal
//! with `NO_COLOR` unset, lines of at most [`WIDTH`] columns).

use std::io::IsTerminal;

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

/// `text` cut to `width` characters, the last one `…` when cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// `text` in lines of at most `width` characters, each starting with `indent` (a word longer
/// than a line is cut).
pub fn wrap(text: &str, indent: &str, width: usize) -> Vec<String> {
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
}
