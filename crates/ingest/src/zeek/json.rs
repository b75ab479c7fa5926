//! Zeek JSON lines: `LogAscii::use_json=T` (keys `id.orig_h`), the same with dots
//! replaced (`id_orig_h`, as Elastic/Splunk pipelines and `Log::default_scope_sep="_"`
//! write), and combined streams marked per record by `_path` (json-streaming-logs) or
//! `@stream`.
//!
//! A record is read in one pass with serde, keeping only the keys hopscope uses (as raw,
//! borrowed values); everything else is skipped without being built.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::mapping::MASKED_TIME;
use super::record::{Field, Record};
use crate::problems::{LineError, ProblemKind};

/// Read one JSON object into `rec`.
pub(crate) fn record<'l>(line: &'l str, rec: &mut Record<'l>) -> Result<(), LineError> {
    let mut de = serde_json::Deserializer::from_str(line);
    let res = RecordSeed(rec).deserialize(&mut de).and_then(|()| de.end());
    res.map_err(|e| {
        if line.contains(MASKED_TIME) {
            // Zeek's test baselines mask times as a bare XXXXXXXXXX.XXXXXX, which is not JSON
            LineError::new(
                ProblemKind::BadTime,
                format!(
                    "masked timestamp {MASKED_TIME:?} (Zeek test baselines hide times this way)"
                ),
            )
        } else {
            LineError::new(ProblemKind::BadJson, e.to_string())
        }
    })
}

/// A key, borrowed unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

struct RecordSeed<'r, 'a>(&'r mut Record<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for RecordSeed<'_, 'a> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for RecordSeed<'_, 'a> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Zeek JSON record (an object)")
    }
    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            match Field::of(&k) {
                Some(f) => {
                    let raw: &'de RawValue = map.next_value()?;
                    if let Some(v) = value(raw).map_err(de::Error::custom)? {
                        self.0.set(f, v);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A JSON value as Zeek TSV would write it: strings unescaped, `true`/`false` as `T`/`F`,
/// numbers as their text; `null`, arrays and objects as absent.
fn value(raw: &RawValue) -> Result<Option<Cow<'_, str>>, serde_json::Error> {
    let text = raw.get();
    Ok(match text.as_bytes().first() {
        Some(b'"') => {
            let inner = &text[1..text.len() - 1];
            if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
                Some(Cow::Borrowed(inner))
            } else {
                Some(Cow::Owned(serde_json::from_str::<String>(text)?))
            }
        }
        Some(b't') => Some(Cow::Borrowed("T")),
        Some(b'f') => Some(Cow::Borrowed("F")),
        Some(b'-' | b'0'..=b'9') => Some(Cow::Borrowed(text)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<Vec<(Field, String)>, ProblemKind> {
        let mut r = Record::default();
        record(line, &mut r).map_err(|e| e.kind)?;
        let all = [
            Field::Stream,
            Field::Ts,
            Field::OrigH,
            Field::RespH,
            Field::RespP,
            Field::AuthSuccess,
            Field::SharePath,
            Field::Cookie,
        ];
        Ok(all.into_iter().filter_map(|f| r.get(f).map(|v| (f, v.to_string()))).collect())
    }

    #[test]
    fn both_dialects_and_value_kinds() {
        let a = read(r#"{"_path":"ssh","ts":1521911799.739898,"uid":"C1","id.orig_h":"10.0.0.227","id.orig_p":59849,"id.resp_h":"10.47.8.50","id.resp_p":22,"auth_success":true,"x":[1,{"y":null}]}"#).unwrap();
        let b = read(r#"{"@stream":"ssh","ts":1521911799.739898,"uid":"C1","id_orig_h":"10.0.0.227","id_orig_p":59849,"id_resp_h":"10.47.8.50","id_resp_p":22,"auth_success":true}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0], (Field::Stream, "ssh".to_string()));
        assert!(a.contains(&(Field::Ts, "1521911799.739898".to_string())));
        assert!(a.contains(&(Field::AuthSuccess, "T".to_string())));
        let c = read(r#"{"path":"\\\\10.47.21.25\\ADMIN$","cookie":"","auth_success":null,"ts":"2018-03-24T17:15:21.382822Z"}"#).unwrap();
        assert_eq!(
            c,
            vec![
                (Field::Ts, "2018-03-24T17:15:21.382822Z".into()),
                (Field::SharePath, "\\\\10.47.21.25\\ADMIN$".into())
            ]
        );
        // escaped keys are still recognised
        let d = read(r#"{"id\u002eorig_h":"1.2.3.4"}"#).unwrap();
        assert_eq!(d, vec![(Field::OrigH, "1.2.3.4".into())]);
    }

    #[test]
    fn bad_lines() {
        assert_eq!(read("{").unwrap_err(), ProblemKind::BadJson);
        assert_eq!(read("[1,2]").unwrap_err(), ProblemKind::BadJson);
        assert_eq!(read(r#"{"ts":1} trailing"#).unwrap_err(), ProblemKind::BadJson);
        assert_eq!(read(r#"{"ts":1,"ts":2}"#).map(|v| v.len()), Ok(1));
        assert_eq!(
            read(r#"{"b":true,"t":XXXXXXXXXX.XXXXXX,"s":"hurz"}"#).unwrap_err(),
            ProblemKind::BadTime
        );
    }
}
