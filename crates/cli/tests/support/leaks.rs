//! Whether a text names a restricted client, as a reader would see it: the redaction tests
//! of every command and of `serve` grep their outputs with it.

use unicode_normalization::UnicodeNormalization;

/// Text as a reader sees it, folded: HTML entities, Markdown/JSON backslashes and percent
/// encoding (names in links are names too) undone, NFKC, lower case, `_`, `-` and `+` as
/// spaces.
pub fn fold(text: &str) -> String {
    let t = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
        .replace("\\\"", "\"")
        .replace('\\', "");
    percent_decode(&t)
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| if c == '_' || c == '-' || c == '+' { ' ' } else { c })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(x) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `names` that `text` shows as a name (not inside a longer word).
pub fn leaks(text: &str, names: &[&'static str]) -> Vec<&'static str> {
    let t: Vec<char> = fold(text).chars().collect();
    names
        .iter()
        .filter(|name| {
            let n: Vec<char> = fold(name).chars().collect();
            (0..t.len().saturating_sub(n.len() - 1)).any(|i| {
                t[i..].starts_with(&n)
                    && !(n[0].is_alphanumeric() && i > 0 && t[i - 1].is_alphanumeric())
                    && !(n[n.len() - 1].is_alphanumeric()
                        && t.get(i + n.len()).is_some_and(|c| c.is_alphanumeric()))
            })
        })
        .copied()
        .collect()
}
