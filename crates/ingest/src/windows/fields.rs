//! One flat view of a Windows event, whatever JSON shape it came in.
//!
//! `evtx` renders records as `{"Event":{"System":{..},"EventData":{..}}}`, `evtx_dump` writes
//! the same, Winlogbeat nests under `winlog.event_data`, NXLog/OTRF and LANL 2017 "wls" are
//! flat. A single borrowing visitor walks any of them and keeps only the leaves whose path
//! names a field hopscope uses ([`classify`]); strings stay borrowed from the input unless
//! JSON escapes forced a copy, and unused leaves (the long `Message`) are never copied.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The fields hopscope reads from Windows events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Key {
    EventId,
    EventCode,
    Channel,
    Provider,
    Computer,
    HostName,
    RecordId,
    TimeCreated,
    Timestamp,
    EventTime,
    EventReceivedTime,
    EpochTime,
    TargetUserName,
    TargetDomainName,
    TargetLogonId,
    TargetOutboundUserName,
    TargetOutboundDomainName,
    SubjectUserName,
    SubjectDomainName,
    SubjectLogonId,
    LogonType,
    LogonProcessName,
    IpAddress,
    WorkstationName,
    AuthenticationPackageName,
    LmPackageName,
    TargetServerName,
    TargetInfo,
    ServiceName,
    ShareName,
    Status,
    Workstation,
    ClientAddress,
    ClientName,
    AccountName,
    AccountDomain,
    LogonId,
    Param1,
    Param2,
    Param3,
    User,
    Address,
    LogonGuid,
    UserName,
    DomainName,
    Source,
    Destination,
    AuthenticationPackage,
    /// RDP client (1024, 1102): the server as typed, or its address.
    Value,
    /// WinRM client (6): the connection string.
    Connection,
    /// Sysmon 3: whether the host opened the connection, and to where.
    Initiated,
    DestinationIp,
    DestinationHostname,
    DestinationPort,
    Protocol,
    /// Winlogbeat's `winlog.user`: the account the event's process ran as.
    WinlogUserName,
    WinlogUserDomain,
}

pub(crate) const KEYS: usize = Key::WinlogUserDomain as usize + 1;

/// A leaf value: JSON strings borrowed where possible, numbers kept as numbers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Float(f64),
    Bool(bool),
}

impl Val<'_> {
    /// The value as text (numbers formatted).
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s.as_ref()),
            Val::Int(n) => Cow::Owned(n.to_string()),
            Val::Float(f) => Cow::Owned(f.to_string()),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        }
    }
    /// An unsigned integer, from a number, a decimal string or a `0x` hex string.
    pub fn uint(&self) -> Option<u64> {
        match self {
            Val::Int(n) => u64::try_from(*n).ok(),
            Val::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19 => Some(*f as u64),
            Val::Str(s) => parse_uint(s),
            _ => None,
        }
    }
    /// A signed number of seconds (may be fractional), from a number or a string.
    pub fn float(&self) -> Option<f64> {
        match self {
            Val::Int(n) => Some(*n as f64),
            Val::Float(f) => Some(*f),
            Val::Str(s) => s.trim().parse().ok(),
            Val::Bool(_) => None,
        }
    }
}

pub(crate) fn parse_uint(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The fields of one event that hopscope uses, by [`Key`].
#[derive(Clone, Debug)]
pub(crate) struct Fields<'a> {
    vals: [Option<Val<'a>>; KEYS],
}

impl Default for Fields<'_> {
    fn default() -> Self {
        Fields { vals: std::array::from_fn(|_| None) }
    }
}

impl<'a> Fields<'a> {
    pub fn get(&self, k: Key) -> Option<&Val<'a>> {
        self.vals[k as usize].as_ref()
    }
    /// The value as text, `None` when absent or empty.
    pub fn str(&self, k: Key) -> Option<Cow<'_, str>> {
        self.get(k).map(Val::text).filter(|s| !s.trim().is_empty())
    }
    pub fn set(&mut self, k: Key, v: Val<'a>) {
        // first value wins: the more specific paths come first in every dialect we know
        let slot = &mut self.vals[k as usize];
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    /// Parse one JSON object (any dialect) into fields.
    pub fn from_json(text: &'a str) -> Result<Fields<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(text);
        let mut out = Fields::default();
        let mut path: Vec<Cow<'a, str>> = Vec::with_capacity(8);
        Walk { path: &mut path, out: &mut out }.deserialize(&mut de)?;
        de.end()?;
        Ok(out)
    }
}

/// Which field a JSON path names, if any.
pub(crate) fn classify(path: &[Cow<'_, str>]) -> Option<Key> {
    let p = |i: usize| path.get(i).map(|s| s.as_ref()).unwrap_or("");
    match path.len() {
        1 => top_level(p(0)),
        2 => match (p(0), p(1)) {
            ("Event", "EventData") => None,
            ("winlog", "event_id") => Some(Key::EventId),
            ("winlog", "channel") => Some(Key::Channel),
            ("winlog", "provider_name") => Some(Key::Provider),
            ("winlog", "computer_name") => Some(Key::Computer),
            ("winlog", "record_id") => Some(Key::RecordId),
            // the record's own `TimeCreated`, where a Winlogbeat pipeline keeps it
            ("winlog", "time_created") => Some(Key::TimeCreated),
            ("event", "provider") => Some(Key::Provider),
            ("event", "code") => Some(Key::EventCode),
            ("host", "name") | ("host", "hostname") => Some(Key::HostName),
            _ => None,
        },
        _ => match (p(0), p(1)) {
            ("Event", "System") => system(&path[2..]),
            ("Event", "EventData") if path.len() == 3 => data(p(2)),
            ("Event", "UserData") if path.len() == 4 => data(p(3)),
            ("winlog", "event_data") | ("winlog", "user_data") if path.len() == 3 => data(p(2)),
            ("winlog", "user") if path.len() == 3 => match p(2) {
                "name" => Some(Key::WinlogUserName),
                "domain" => Some(Key::WinlogUserDomain),
                _ => None,
            },
            _ => None,
        },
    }
}

fn system(rest: &[Cow<'_, str>]) -> Option<Key> {
    let r: Vec<&str> = rest.iter().map(|s| s.as_ref()).collect();
    match r.as_slice() {
        ["EventID"] | ["EventID", "#text"] => Some(Key::EventId),
        ["Channel"] => Some(Key::Channel),
        ["Computer"] => Some(Key::Computer),
        ["EventRecordID"] => Some(Key::RecordId),
        ["Provider", "#attributes", "Name"] | ["Provider_attributes", "Name"] => {
            Some(Key::Provider)
        }
        ["TimeCreated", "#attributes", "SystemTime"] | ["TimeCreated_attributes", "SystemTime"] => {
            Some(Key::TimeCreated)
        }
        _ => None,
    }
}

/// Flat dialects (NXLog/OTRF, LANL wls) put system and data fields side by side.
fn top_level(k: &str) -> Option<Key> {
    Some(match k {
        "EventID" | "EventId" => Key::EventId,
        "Channel" => Key::Channel,
        "SourceName" | "ProviderName" => Key::Provider,
        "Hostname" | "Computer" | "LogHost" => Key::Computer,
        "RecordNumber" | "EventRecordID" => Key::RecordId,
        "TimeCreated" => Key::TimeCreated,
        "@timestamp" => Key::Timestamp,
        "EventTime" => Key::EventTime,
        "EventReceivedTime" => Key::EventReceivedTime,
        "Time" => Key::EpochTime,
        "UserName" => Key::UserName,
        "DomainName" => Key::DomainName,
        "Source" => Key::Source,
        "Destination" => Key::Destination,
        "AuthenticationPackage" => Key::AuthenticationPackage,
        // NXLog names the 7045 installer `AccountName`/`Domain`; evtx's 7045 `AccountName` is
        // the service's account. Both are only used as a preference in the install join.
        "Domain" => Key::AccountDomain,
        other => return data(other),
    })
}

fn data(k: &str) -> Option<Key> {
    Some(match k {
        "TargetUserName" => Key::TargetUserName,
        "TargetDomainName" => Key::TargetDomainName,
        "TargetLogonId" => Key::TargetLogonId,
        "TargetOutboundUserName" => Key::TargetOutboundUserName,
        "TargetOutboundDomainName" => Key::TargetOutboundDomainName,
        "SubjectUserName" => Key::SubjectUserName,
        "SubjectDomainName" => Key::SubjectDomainName,
        "SubjectLogonId" => Key::SubjectLogonId,
        "LogonType" => Key::LogonType,
        "LogonProcessName" => Key::LogonProcessName,
        "IpAddress" => Key::IpAddress,
        "WorkstationName" => Key::WorkstationName,
        "AuthenticationPackageName" => Key::AuthenticationPackageName,
        "LmPackageName" => Key::LmPackageName,
        "TargetServerName" => Key::TargetServerName,
        "TargetInfo" => Key::TargetInfo,
        "ServiceName" => Key::ServiceName,
        "ShareName" => Key::ShareName,
        "Status" => Key::Status,
        "Workstation" => Key::Workstation,
        "ClientAddress" => Key::ClientAddress,
        "ClientName" => Key::ClientName,
        "AccountName" => Key::AccountName,
        "AccountDomain" => Key::AccountDomain,
        "LogonID" | "LogonId" => Key::LogonId,
        "Param1" => Key::Param1,
        "Param2" => Key::Param2,
        "Param3" => Key::Param3,
        "User" => Key::User,
        "Address" => Key::Address,
        "LogonGuid" => Key::LogonGuid,
        "Value" => Key::Value,
        "connection" => Key::Connection,
        "Initiated" => Key::Initiated,
        "DestinationIp" => Key::DestinationIp,
        "DestinationHostname" => Key::DestinationHostname,
        "DestinationPort" => Key::DestinationPort,
        "Protocol" => Key::Protocol,
        _ => return None,
    })
}

/// Walks a JSON value, recording classified leaves.
struct Walk<'p, 'a> {
    path: &'p mut Vec<Cow<'a, str>>,
    out: &'p mut Fields<'a>,
}

impl<'a> Walk<'_, 'a> {
    fn leaf(self, v: impl FnOnce() -> Val<'a>) {
        if let Some(k) = classify(self.path) {
            self.out.set(k, v());
        }
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_, 'de> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

struct KeySeed;
impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(KeySeed)
    }
}
impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_string()))
    }
}

impl<'de> Visitor<'de> for Walk<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            self.path.push(key);
            map.next_value_seed(Walk { path: self.path, out: self.out })?;
            self.path.pop();
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // arrays carry nothing we use (unnamed `Data`, tags)
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.leaf(|| Val::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.leaf(|| Val::Str(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.leaf(|| Val::Int(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.leaf(|| match i64::try_from(v) {
            Ok(n) => Val::Int(n),
            Err(_) => Val::Float(v as f64),
        });
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.leaf(|| Val::Float(v));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.leaf(|| Val::Bool(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// The event id a JSON text names, read without parsing it: the number after the first
/// `"EventID":` or `"event_id":` key. `None` when there is none or it is not a plain number
/// (evtx's `{"#text": 7045}` form): the caller then parses the record fully.
pub(crate) fn sniff_event_id(text: &[u8]) -> Option<u32> {
    static KEYS: LazyLock<[Finder<'static>; 2]> =
        LazyLock::new(|| [Finder::new(b"\"EventID\""), Finder::new(b"\"event_id\"")]);
    for key in KEYS.iter() {
        if let Some(found) = sniff_key(text, key) {
            return found.filter(|n| *n <= 999_999_999).map(|n| n as u32);
        }
    }
    None
}

/// The record's `EventRecordID` in a rendered EVTX record, read as [`sniff_event_id`] reads
/// the event id.
pub(crate) fn sniff_record_id(text: &[u8]) -> Option<u64> {
    static KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"EventRecordID\""));
    sniff_key(text, &KEY).flatten()
}

/// `Some(value)` once `key` (a quoted JSON key) is found as a key (`None` inside when its
/// value is not a plain number of at most 19 digits, quoted or not); `None` when it is not
/// found. The finders are built once: building one costs more than a search in a record.
fn sniff_key(text: &[u8], key: &Finder<'_>) -> Option<Option<u64>> {
    let key_len = key.needle().len();
    let mut from = 0;
    while let Some(i) = key.find(&text[from..]) {
        let at = from + i;
        from = at + key_len;
        // inside a JSON string a quote is always escaped: `\"EventID\"` is text, not a key
        if at > 0 && text[at - 1] == b'\\' {
            continue;
        }
        let rest = trim_ws(&text[from..]);
        let Some(rest) = rest.strip_prefix(b":") else { return Some(None) };
        let rest = trim_ws(rest);
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 19 {
            return Some(None);
        }
        let n = std::str::from_utf8(&rest[..digits]).ok().and_then(|d| d.parse().ok());
        // a number followed by a fraction or exponent is not an id we trust
        return Some(match rest.get(digits) {
            Some(b'.') | Some(b'e') | Some(b'E') => None,
            _ => n,
        });
    }
    None
}

fn trim_ws(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evtx_dump_shape() {
        let j = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4624,"Computer":"WS6.corp","EventRecordID":77,"Channel":"Security","TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00.5Z"}}},"EventData":{"TargetUserName":"bob","LogonType":3,"IpAddress":"10.0.0.5","Message":"a\r\nb"}}}"##;
        let f = Fields::from_json(j).unwrap();
        assert_eq!(f.get(Key::EventId).and_then(Val::uint), Some(4624));
        assert_eq!(f.str(Key::Computer).as_deref(), Some("WS6.corp"));
        assert_eq!(f.str(Key::Provider).as_deref(), Some("Microsoft-Windows-Security-Auditing"));
        assert_eq!(f.get(Key::RecordId).and_then(Val::uint), Some(77));
        assert_eq!(f.str(Key::LogonType).as_deref(), Some("3"));
        assert_eq!(f.str(Key::TimeCreated).as_deref(), Some("2020-01-01T00:00:00.5Z"));
        assert!(matches!(f.get(Key::TargetUserName), Some(Val::Str(Cow::Borrowed("bob")))));
    }

    #[test]
    fn attribute_event_id_and_user_data() {
        let j = r##"{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":7045}},"UserData":{"EventXML":{"Param1":"admin","Param3":"10.1.1.1"}}}}"##;
        let f = Fields::from_json(j).unwrap();
        assert_eq!(f.get(Key::EventId).and_then(Val::uint), Some(7045));
        assert_eq!(f.str(Key::Param3).as_deref(), Some("10.1.1.1"));
    }

    #[test]
    fn winlogbeat_and_flat() {
        let j = r##"{"@timestamp":"2020-01-01T00:00:00Z","host":{"name":"ws6"},"winlog":{"event_id":"4624","channel":"Security","event_data":{"IpAddress":"10.0.0.5"}}}"##;
        let f = Fields::from_json(j).unwrap();
        assert_eq!(f.get(Key::EventId).and_then(Val::uint), Some(4624));
        assert_eq!(f.str(Key::HostName).as_deref(), Some("ws6"));
        let j = r##"{"EventID":4624,"LogHost":"Comp1","UserName":"User1","Time":5}"##;
        let f = Fields::from_json(j).unwrap();
        assert_eq!(f.str(Key::Computer).as_deref(), Some("Comp1"));
        assert_eq!(f.get(Key::EpochTime).and_then(Val::float), Some(5.0));
    }

    #[test]
    fn sniff() {
        assert_eq!(sniff_event_id(br##"{"a":1,"EventID": 4624}"##), Some(4624));
        assert_eq!(sniff_event_id(br##"{"winlog":{"event_id":"4769"}}"##), Some(4769));
        assert_eq!(sniff_event_id(br##"{"m":"x \"EventID\": 1","EventID":4625}"##), Some(4625));
        assert_eq!(sniff_event_id(br##"{"EventID":{"#text":7045}}"##), None);
        assert_eq!(sniff_event_id(br##"{"EventID":1.5}"##), None);
        assert_eq!(sniff_event_id(b"{}"), None);
    }
}
