//! The disclosure view: client organisations by keyed pseudonym, restricted clients never
//! named. The key lives in the case (`CASE/redaction.key`), so the same client gets the same
//! pseudonym in `scope --redact` and in every report of that case, and nobody without the key
//! can link a pseudonym back to a name by hashing candidate names.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::ReportError;

/// The case's secret for pseudonyms (at least 16 bytes).
#[derive(Clone)]
pub struct RedactionKey(Vec<u8>);

impl std::fmt::Debug for RedactionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedactionKey(..)")
    }
}

impl RedactionKey {
    /// A key from its bytes (tests; a case keeps its own in `redaction.key`).
    pub fn from_bytes(bytes: &[u8]) -> RedactionKey {
        RedactionKey(bytes.to_vec())
    }

    /// The key in `CASE_DIR/redaction.key` (32 random bytes as hex), created on first use.
    /// Never printed. Creating it writes into the case, so it is created holding the case's
    /// writer lock ([`hopscope_case::WriterLock`]), like every other writer of a case: while
    /// an ingest writes the case, a first `--redact` is refused, naming the ingest.
    pub fn of_case(dir: &Path) -> Result<RedactionKey, ReportError> {
        if let Some(key) = RedactionKey::read(dir)? {
            return Ok(key);
        }
        let _lock = hopscope_case::WriterLock::for_case(dir)?;
        RedactionKey::in_locked_dir(dir)
    }

    /// The key in `DIR/redaction.key`, created on first use, for a caller that holds the
    /// directory's own writer lock (`watch --state DIR`).
    pub fn in_locked_dir(dir: &Path) -> Result<RedactionKey, ReportError> {
        // made by another process before the lock was taken
        if let Some(key) = RedactionKey::read(dir)? {
            return Ok(key);
        }
        let path = dir.join("redaction.key");
        let key: [u8; 32] = rand::random();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        // readable by its owner only, from the moment it exists (never widened after); written
        // whole under another name and renamed, so a reader never sees half a key
        let tmp = dir.join(".redaction.key.tmp");
        let _ = std::fs::remove_file(&tmp); // a killed writer's, under the lock we now hold
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let written = options
            .open(&tmp)
            .and_then(|mut f| {
                use std::io::Write;
                f.write_all(format!("{hex}\n").as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, &path));
        match written {
            Ok(()) => Ok(RedactionKey(key.to_vec())),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(ReportError::Io(path.display().to_string(), e))
            }
        }
    }

    /// The key `CASE_DIR/redaction.key` holds, `None` when there is none yet.
    fn read(dir: &Path) -> Result<Option<RedactionKey>, ReportError> {
        let path = dir.join("redaction.key");
        if let Ok(s) = std::fs::read_to_string(&path) {
            let s = s.trim();
            let bytes: Option<Vec<u8>> = (0..s.len() / 2)
                .map(|i| s.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
                .collect();
            return match bytes {
                Some(b) if b.len() >= 16 && s.len() % 2 == 0 => Ok(Some(RedactionKey(b))),
                _ => Err(ReportError::Invalid(format!(
                    "{} is not a hex key; delete it to make a new one",
                    path.display()
                ))),
            };
        }
        Ok(None)
    }

    /// `client-` and 10 hex digits of the keyed hash of the folded name ([`fold`]).
    pub fn pseudonym(&self, client: &str) -> String {
        let mac = hmac_sha256(&self.0, fold(client).trim().as_bytes());
        let hex: String = mac[..5].iter().map(|b| format!("{b:02x}")).collect();
        format!("client-{hex}")
    }
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |x: u8| k.iter().map(|b| b ^ x).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(msg).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// A name as redaction compares it: NFKC (so `Ｅｃｏｌｅ`, the ligature `ﬁ` and a decomposed
/// `É` are the letters they show), lower case, and every run of spaces, `_` and `-` one
/// space (so `Secret_Ministry-of  Defence` is the ministry). Lower case after NFKC, not a
/// full case fold: the names here are organisations, hosts and accounts, where the two differ
/// only for a few letters (`ß` against `ss`), and lower case keeps the folded text's letters
/// one for one with the original's, so a match can be cut out of the original.
pub fn fold(name: &str) -> String {
    folded(name).into_iter().map(|(c, _)| c).collect()
}

/// The folded characters of `text` (composed by NFC first), each with the byte range of the
/// original character it came from.
fn folded(text: &str) -> Vec<(char, std::ops::Range<usize>)> {
    use unicode_normalization::UnicodeNormalization;
    let mut out: Vec<(char, std::ops::Range<usize>)> = Vec::with_capacity(text.len());
    // a character with the combining marks after it, normalised together (a decomposed `É`
    // is `E` and U+0301), all its folded characters standing for its whole range
    let mut clusters: Vec<std::ops::Range<usize>> = Vec::new();
    for (at, c) in text.char_indices() {
        match clusters.last_mut() {
            Some(last) if unicode_normalization::char::is_combining_mark(c) => {
                last.end = at + c.len_utf8()
            }
            _ => clusters.push(at..at + c.len_utf8()),
        }
    }
    for range in clusters {
        for k in text[range.clone()].nfkc() {
            for l in k.to_lowercase() {
                let l = if l.is_whitespace() || l == '_' || l == '-' { ' ' } else { l };
                if l == ' ' && out.last().is_some_and(|(p, _)| *p == ' ') {
                    out.last_mut().unwrap().1.end = range.end;
                    continue;
                }
                out.push((l, range.clone()));
            }
        }
    }
    out
}

/// Whether `c`, next to a match, continues a word (so the match is part of a longer name).
fn joins(c: Option<char>) -> bool {
    c.is_some_and(char::is_alphanumeric)
}

/// The one redaction pass of every output (`scope --redact` and every format of `report
/// --redact`): each client name of the inventory is replaced by its keyed pseudonym, a
/// restricted one by `a restricted client`, wherever it appears as a name in any text of the
/// output — an account, a host named by the logs, an evidence file's path, a sentence.
///
/// - Compared folded ([`fold`]): `ÉCOLE` in a log is `École` in data.csv.
/// - Only as a whole name: `Japan` is not replaced inside `Japanese`, nor `Ab` inside `Lab`.
/// - Never inside the inventory's own facts: a host name, a site or a country of
///   hosts.csv/sites.csv is left as it is wherever it appears, so a client named `Japan` does
///   not replace the country and one named `CRM` does not rename `jp-crm-01` (a fact the
///   reader needs, and no secret the inventory does not already tell). The price: a client
///   named exactly like a host, site or country is not replaced anywhere, even as an account
///   name, since the text cannot tell which of the two it is.
/// - Longest names first, so a name inside another is not replaced before the longer one;
///   a name listed twice (any case or form) is restricted if any of its rows is.
pub struct Redactor {
    /// (folded name, what stands for it), longest first.
    names: Vec<(Vec<char>, String)>,
    /// Folded inventory facts that are never rewritten.
    facts: Vec<Vec<char>>,
}

impl Redactor {
    pub fn new(inventory: &hopscope_model::Inventory, key: &RedactionKey) -> Redactor {
        Redactor::from_names(
            inventory.data.iter().map(|d| (d.client.clone(), d.restricted)),
            inventory
                .hosts
                .iter()
                .flat_map(|h| [h.name.clone(), h.site.clone(), h.country.clone()])
                .chain(inventory.sites.iter().flat_map(|s| [s.site.clone(), s.country.clone()])),
            key,
        )
    }

    /// From client names (with whether each is restricted) and the facts never rewritten.
    pub fn from_names(
        clients: impl IntoIterator<Item = (String, bool)>,
        facts: impl IntoIterator<Item = String>,
        key: &RedactionKey,
    ) -> Redactor {
        let mut by: std::collections::BTreeMap<String, bool> = Default::default();
        for (name, restricted) in clients {
            let f = fold(name.trim());
            if f.trim().is_empty() {
                continue;
            }
            *by.entry(f.trim().to_string()).or_default() |= restricted;
        }
        let mut names: Vec<(Vec<char>, String)> = by
            .into_iter()
            .map(|(f, restricted)| {
                let with =
                    if restricted { "a restricted client".to_string() } else { key.pseudonym(&f) };
                (f.chars().collect(), with)
            })
            .collect();
        names.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        // the words a redaction writes are never taken for a client's name either
        let written: Vec<String> = names.iter().map(|(_, with)| with.clone()).collect();
        let mut facts: Vec<Vec<char>> = facts
            .into_iter()
            .chain(written)
            .chain(["restricted client".to_string()])
            .map(|f| fold(f.trim()).trim().chars().collect::<Vec<char>>())
            .filter(|f| !f.is_empty())
            .collect();
        facts.sort();
        facts.dedup();
        Redactor { names, facts }
    }

    /// `text` with every client name replaced, or `None` when it names none.
    pub fn text(&self, text: &str) -> Option<String> {
        if self.names.is_empty() {
            return None;
        }
        let f = folded(text);
        let chars: Vec<char> = f.iter().map(|(c, _)| *c).collect();
        let occurs = |name: &[char], at: usize| {
            chars[at..].starts_with(name)
                && !(joins(name.first().copied()) && joins(at.checked_sub(1).map(|i| chars[i])))
                && !(joins(name.last().copied()) && joins(chars.get(at + name.len()).copied()))
        };
        // folded positions inside an inventory fact are never rewritten
        let mut fact = vec![false; chars.len()];
        for name in &self.facts {
            for at in 0..chars.len().saturating_sub(name.len() - 1) {
                if occurs(name, at) {
                    fact[at..at + name.len()].iter_mut().for_each(|x| *x = true);
                }
            }
        }
        // (original byte range, replacement), in order, not overlapping
        let mut cuts: Vec<(std::ops::Range<usize>, &str)> = Vec::new();
        let mut taken = vec![false; chars.len()];
        for (name, with) in &self.names {
            for at in 0..chars.len().saturating_sub(name.len() - 1) {
                let span = at..at + name.len();
                if occurs(name, at)
                    && !fact[span.clone()].iter().any(|&x| x)
                    && !taken[span.clone()].iter().any(|&x| x)
                {
                    taken[span.clone()].iter_mut().for_each(|x| *x = true);
                    cuts.push((f[at].1.start..f[span.end - 1].1.end, with));
                }
            }
        }
        if cuts.is_empty() {
            return None;
        }
        cuts.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (r, with) in cuts {
            if r.start < last {
                continue;
            }
            out.push_str(&text[last..r.start]);
            out.push_str(with);
            last = r.end;
        }
        out.push_str(&text[last..]);
        Some(out)
    }

    /// Every string of `v` (keys too) redacted.
    pub fn json(&self, v: &mut Value) {
        match v {
            Value::String(s) => {
                if let Some(r) = self.text(s) {
                    *s = r;
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.json(x)),
            Value::Object(o) => {
                let old = std::mem::take(o);
                for (k, mut x) in old {
                    self.json(&mut x);
                    o.insert(self.text(&k).unwrap_or(k), x);
                }
            }
            _ => {}
        }
    }

    /// A view or document with every string redacted (through its JSON form).
    pub fn apply<T: serde::Serialize + serde::de::DeserializeOwned>(
        &self,
        t: &T,
    ) -> Result<T, ReportError> {
        let mut v = serde_json::to_value(t)?;
        self.json(&mut v);
        Ok(serde_json::from_value(v)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn pseudonyms_are_stable_keyed_and_fold_case() {
        let (k1, k2) = (RedactionKey::from_bytes(b"k1"), RedactionKey::from_bytes(b"k2"));
        assert_eq!(k1.pseudonym("Kaito K.K."), k1.pseudonym(" kaito k.k."));
        assert_ne!(k1.pseudonym("Kaito K.K."), k2.pseudonym("Kaito K.K."));
        assert!(!k1.pseudonym("Kaito").contains("Kaito"));
    }

    fn redactor(clients: &[(&str, bool)], facts: &[&str]) -> (Redactor, RedactionKey) {
        let key = RedactionKey::from_bytes(b"0123456789abcdef");
        let r = Redactor::from_names(
            clients.iter().map(|(n, r)| (n.to_string(), *r)),
            facts.iter().map(|f| f.to_string()),
            &key,
        );
        (r, key)
    }

    #[test]
    fn redaction_reaches_every_string_and_key() {
        let (r, key) = redactor(&[("Kaito", false), ("Defence Agency", true)], &[]);
        let mut v = serde_json::json!({"a": ["data of KAITO and of defence agency", 3], "b": {"c": "東京 Kaito", "Kaito": 1}});
        r.json(&mut v);
        let s = v.to_string();
        assert!(!s.to_lowercase().contains("kaito"), "{s}");
        assert!(s.contains(&key.pseudonym("Kaito")), "{s}");
        assert!(s.contains("a restricted client"), "{s}");
        assert!(s.contains("東京 client-"), "{s}");
    }

    #[test]
    fn unicode_forms_and_cases_of_a_name_are_the_name() {
        let (r, key) = redactor(&[("École Supérieure", true), ("Kaito", false)], &[]);
        for leak in [
            "ÉCOLE SUPÉRIEURE",
            "e\u{301}cole supe\u{301}rieure",
            "/evidence/École_Supérieure/auth.log",
            "école-supérieure\\admin",
        ] {
            let out = r.text(leak).unwrap_or_else(|| panic!("{leak} not redacted"));
            assert!(out.contains("a restricted client"), "{leak} → {out}");
            assert!(!fold(&out).contains("cole"), "{leak} → {out}");
        }
        assert_eq!(r.text("ＫＡＩＴＯ"), Some(key.pseudonym("kaito")), "NFKC");
        assert_eq!(key.pseudonym("KAITO"), key.pseudonym(" kaito "));
        // a name listed twice, once restricted: restricted wins
        let (r, _) = redactor(&[("ACME", false), ("acme", true)], &[]);
        assert_eq!(r.text("acme").as_deref(), Some("a restricted client"));
    }

    #[test]
    fn only_whole_names_and_never_inventory_facts() {
        let (r, key) = redactor(
            &[("Japan", false), ("CRM", true), ("Ab", true), ("A*B (UK) [x]|$^.+?", true)],
            &["Japan", "jp-crm-01", "tokyo"],
        );
        assert_eq!(r.text("Japanese"), None);
        assert_eq!(r.text("Japan"), None, "a country is a fact");
        assert_eq!(r.text("Singapore → Japan"), None);
        assert_eq!(r.text("jp-crm-01"), None, "a host name is a fact");
        // a client named like a fact of the inventory is that fact wherever it appears
        assert_eq!(r.text("from jp-crm-01 as japan"), None);
        let (r2, _) = redactor(&[("Japan", false), ("CRM", true)], &["Japan", "jp-crm-01"]);
        assert_eq!(
            r2.text("from jp-crm-01 as crm in Japan").as_deref(),
            Some("from jp-crm-01 as a restricted client in Japan")
        );
        let _ = key;
        assert_eq!(r.text("lab"), None);
        assert_eq!(r.text("AB\\svc").as_deref(), Some("a restricted client\\svc"));
        assert_eq!(r.text("crm-backup").as_deref(), Some("a restricted client-backup"));
        assert_eq!(r.text("x A*B (uk) [X]|$^.+? y").as_deref(), Some("x a restricted client y"));
        // what a redaction wrote is not redacted again by clients named like its words
        let (r, key) = redactor(&[("client", true), ("Restricted", true), ("Kaito", false)], &[]);
        let p = key.pseudonym("kaito");
        assert_eq!(r.text(&format!("{p} and a restricted client")), None);
        assert_eq!(r.text("restricted client #2"), None);
    }
}
