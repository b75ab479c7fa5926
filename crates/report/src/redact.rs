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
    /// Never printed.
    pub fn of_case(dir: &Path) -> Result<RedactionKey, ReportError> {
        let path = dir.join("redaction.key");
        if let Ok(s) = std::fs::read_to_string(&path) {
            let s = s.trim();
            let bytes: Option<Vec<u8>> = (0..s.len() / 2)
                .map(|i| s.get(2 * i..2 * i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
                .collect();
            return match bytes {
                Some(b) if b.len() >= 16 && s.len() % 2 == 0 => Ok(RedactionKey(b)),
                _ => Err(ReportError::Invalid(format!(
                    "{} is not a hex key; delete it to make a new one",
                    path.display()
                ))),
            };
        }
        let key: [u8; 32] = rand::random();
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, format!("{hex}\n"))
            .map_err(|e| ReportError::Io(path.display().to_string(), e))?;
        Ok(RedactionKey(key.to_vec()))
    }

    /// `client-` and 10 hex digits of the keyed hash of the folded name.
    pub fn pseudonym(&self, client: &str) -> String {
        let mac = hmac_sha256(&self.0, client.trim().to_lowercase().as_bytes());
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

/// Every client name of the inventory and what stands for it in a disclosure: its pseudonym,
/// or `a restricted client`. Longest names first, so a name inside another is not replaced
/// before the longer one.
pub fn replacements(
    clients: impl IntoIterator<Item = (String, bool)>,
    key: &RedactionKey,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = clients
        .into_iter()
        .filter(|(name, _)| !name.trim().is_empty())
        .map(|(name, restricted)| {
            let with =
                if restricted { "a restricted client".to_string() } else { key.pseudonym(&name) };
            (name.trim().to_string(), with)
        })
        .collect();
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// Replace every client name left in any string of `v` (case-insensitively for ASCII
/// letters). The views already write pseudonyms; this pass makes sure no free text — an
/// explanation, a detail — carries a name into a disclosure.
pub fn scrub(v: &mut Value, replacements: &[(String, String)]) {
    let folded: Vec<(String, &str)> = replacements
        .iter()
        .map(|(name, with)| (name.to_ascii_lowercase(), with.as_str()))
        .collect();
    scrub_folded(v, &folded);
}

fn scrub_folded(v: &mut Value, names: &[(String, &str)]) {
    match v {
        Value::String(s) => {
            let mut lower = s.to_ascii_lowercase();
            for (name, with) in names {
                if !name.is_empty() && lower.contains(name.as_str()) {
                    *s = replace_at(s, &lower, name, with);
                    lower = s.to_ascii_lowercase();
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| scrub_folded(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| scrub_folded(x, names)),
        _ => {}
    }
}

/// `hay` with every occurrence of `needle` in `lower` (`hay` with ASCII letters folded: the
/// same byte positions) replaced by `with`.
fn replace_at(hay: &str, lower: &str, needle: &str, with: &str) -> String {
    let mut out = String::with_capacity(hay.len());
    let mut last = 0;
    for (i, _) in lower.match_indices(needle) {
        out.push_str(&hay[last..i]);
        out.push_str(with);
        last = i + needle.len();
    }
    out.push_str(&hay[last..]);
    out
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

    #[test]
    fn scrub_reaches_every_string() {
        let key = RedactionKey::from_bytes(b"0123456789abcdef");
        let r = replacements(
            [("Kaito".to_string(), false), ("Defence Agency".to_string(), true)],
            &key,
        );
        let mut v = serde_json::json!({"a": ["data of KAITO and of defence agency", 3], "b": {"c": "東京 Kaito"}});
        scrub(&mut v, &r);
        let s = v.to_string();
        assert!(!s.to_lowercase().contains("kaito"), "{s}");
        assert!(s.contains(&key.pseudonym("Kaito")), "{s}");
        assert!(s.contains("a restricted client"), "{s}");
        assert!(s.contains("東京 client-"), "{s}");
        assert_eq!(replace_at("aXbx", "axbx", "x", "-"), "a-b-");
    }
}
