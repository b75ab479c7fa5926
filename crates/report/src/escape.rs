//! Escaping text for a terminal: the one rule every printer of hopscope follows.
//!
//! Host names, account names, Zeek strings and file names are chosen by whoever wrote the
//! logs, and an intruder writes some of them (an NTLM workstation name, a user name tried at
//! a login prompt). Printed raw, they could clear the screen, move the cursor, write the
//! clipboard (OSC 52), hide text, ring the bell or reorder what a line seems to say (bidi
//! overrides). So every character that a terminal or a text viewer acts on instead of showing
//! is written as a visible escape:
//!
//! - C0 controls as `\xNN` (`\t`, `\n`, `\r` for those three), ESC as `\x1b`;
//! - DEL, the C1 controls (U+0080–U+009F) and the invisible format characters that reorder or
//!   hide text (bidi embeddings, overrides and isolates, marks, zero-width characters, the
//!   byte-order mark, the line and paragraph separators) as `\uXXXX`.
//!
//! `\uXXXX` (not Rust's `\u{…}`) is chosen because it is also JSON's escape: a JSON document
//! passed through [`terminal_text`] is still valid JSON meaning the same strings (serde_json
//! already writes every C0 control inside a string as `\u00XX`, and JSON's structure is
//! ASCII), so JSON on standard output needs no second rule. A backslash is not escaped:
//! `CORP\alice` must read as it is; the price is that a name may contain the four characters
//! `\x1b` literally, which can mislead a reader but cannot command the terminal.
//!
//! Hand-written: the set is a short list of characters (no crate maps "acts on a terminal"),
//! and the rule must be the same for the terminal, `report.json` and the watch alerts.

use std::borrow::Cow;

/// Whether `c` is a character a terminal or text viewer acts on instead of showing: a C0 or
/// C1 control, DEL, or an invisible format character that reorders or hides text.
pub fn is_hostile(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{ad}'                      // soft hyphen (invisible)
        | '\u{61c}'                     // Arabic letter mark
        | '\u{180e}'                    // Mongolian vowel separator
        | '\u{200b}'..='\u{200f}'       // zero-width space, non-joiner, joiner; LRM, RLM
        | '\u{2028}'..='\u{202e}'       // line/paragraph separators; bidi embeddings, overrides
        | '\u{2060}'..='\u{2064}'       // word joiner, invisible operators
        | '\u{2066}'..='\u{206f}'       // bidi isolates; deprecated format characters
        | '\u{feff}'                    // byte-order mark, zero-width no-break space
        | '\u{fff9}'..='\u{fffb}'       // interlinear annotation
    )
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x20 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
    }
}

fn escape_with(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hostile(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hostile(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value (a name, a path, a message) for a terminal: every hostile character escaped,
/// newlines and tabs included, so the value stays on its line and in its column.
pub fn terminal(s: &str) -> Cow<'_, str> {
    escape_with(s, |_| false)
}

/// Text of several lines for a terminal: like [`terminal`] but a newline stays a newline.
pub fn terminal_text(s: &str) -> Cow<'_, str> {
    escape_with(s, |c| c == '\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The members of the class: every kind of character that acts on a terminal or a viewer.
    const HOSTILE: [&str; 12] = [
        "\x1b[2J\x1b[H",                      // clear the screen, cursor home
        "\x1b]52;c;Y2F0IC9ldGMvcGFzc3dk\x07", // OSC 52: write the clipboard, BEL-terminated
        "\x1b[8mhidden\x1b[0m",               // concealed text
        "\u{9b}2J",                           // C1 CSI
        "\u{9d}0;title\u{9c}",                // C1 OSC … ST
        "\u{202e}gpj.exe",                    // right-to-left override
        "\u{2066}admin\u{2069}",              // isolates
        "a\rroot",                            // carriage return overwrites the line
        "bell\x07",                           // BEL
        "del\x7f",                            // DEL
        "zero\u{200b}width\u{feff}",          // invisible
        "line\u{2028}sep",                    // line separator
    ];

    #[test]
    fn every_member_is_escaped_visibly_and_nothing_else_changes() {
        for s in HOSTILE {
            let e = terminal(s);
            assert!(!e.chars().any(is_hostile), "{s:?} → {e:?}");
            assert!(e.contains('\\'), "{e:?}");
        }
        assert_eq!(terminal("\x1b[2J"), "\\x1b[2J");
        assert_eq!(terminal("\u{202e}x"), "\\u202ex");
        assert_eq!(terminal("\u{9b}"), "\\u009b");
        assert_eq!(terminal("a\tb\nc"), "a\\tb\\nc");
        assert_eq!(terminal_text("a\nb\x1b"), "a\nb\\x1b");
        for plain in ["CORP\\alice", "東京 École jp-crm-01", "ÉCOLE", "😀", ""] {
            assert!(matches!(terminal(plain), Cow::Borrowed(_)), "{plain:?} unchanged");
        }
    }

    #[test]
    fn json_passed_through_stays_json_with_the_same_strings() {
        for s in HOSTILE {
            let v = serde_json::json!({ "user": s, "list": [s, 1] });
            for text in
                [serde_json::to_string(&v).unwrap(), serde_json::to_string_pretty(&v).unwrap()]
            {
                let safe = terminal_text(&text);
                assert!(!safe.chars().any(|c| is_hostile(c) && c != '\n'), "{safe}");
                let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
                assert_eq!(back, v, "{safe}");
            }
        }
    }
}
