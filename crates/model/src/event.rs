//! Login events, stored column-wise.

use crate::Time;

/// The id every table reserves for "unknown / not given". Real ids start at 1.
pub const NONE: u32 = 0;

/// How a logon happened. Codes follow Windows logon types where one exists, so that
/// `logon_type` 3 means the same thing in every source.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(u8)]
pub enum LogonType {
    #[default]
    Unknown = 0,
    /// 2: at the console.
    Interactive = 2,
    /// 3: SMB, RPC, WinRM, Kerberos service tickets: credentials not left on the host.
    Network = 3,
    /// 4: scheduled task.
    Batch = 4,
    /// 5: service start.
    Service = 5,
    /// 7: workstation unlock.
    Unlock = 7,
    /// 8: network logon with clear-text credentials (IIS basic auth, some PowerShell).
    NetworkCleartext = 8,
    /// 9: `runas /netonly`, and pass-the-hash on the source side.
    NewCredentials = 9,
    /// 10: RDP, and SSH sessions.
    RemoteInteractive = 10,
    /// 11: cached domain credentials.
    CachedInteractive = 11,
}

impl LogonType {
    pub const ALL: [LogonType; 10] = [
        LogonType::Unknown,
        LogonType::Interactive,
        LogonType::Network,
        LogonType::Batch,
        LogonType::Service,
        LogonType::Unlock,
        LogonType::NetworkCleartext,
        LogonType::NewCredentials,
        LogonType::RemoteInteractive,
        LogonType::CachedInteractive,
    ];

    /// The name used in every output and in the normalised formats.
    pub fn as_str(self) -> &'static str {
        match self {
            LogonType::Unknown => "unknown",
            LogonType::Interactive => "interactive",
            LogonType::Network => "network",
            LogonType::Batch => "batch",
            LogonType::Service => "service",
            LogonType::Unlock => "unlock",
            LogonType::NetworkCleartext => "network-cleartext",
            LogonType::NewCredentials => "new-credentials",
            LogonType::RemoteInteractive => "remote-interactive",
            LogonType::CachedInteractive => "cached-interactive",
        }
    }

    /// Accepts the model's names, Windows numbers and LANL's spellings
    /// (`Network`, `RemoteInteractive`, `NewCredentials`, `CachedInteractive`, ...).
    pub fn parse(s: &str) -> Option<LogonType> {
        let s = s.trim();
        if let Ok(n) = s.parse::<u8>() {
            return LogonType::from_code(n);
        }
        let norm: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_' && *c != ' ')
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match norm.as_str() {
            "unknown" | "" => LogonType::Unknown,
            "interactive" => LogonType::Interactive,
            "network" => LogonType::Network,
            "batch" => LogonType::Batch,
            "service" => LogonType::Service,
            "unlock" => LogonType::Unlock,
            "networkcleartext" => LogonType::NetworkCleartext,
            "newcredentials" => LogonType::NewCredentials,
            "remoteinteractive" => LogonType::RemoteInteractive,
            "cachedinteractive" => LogonType::CachedInteractive,
            _ => return None,
        })
    }

    pub fn from_code(n: u8) -> Option<LogonType> {
        LogonType::ALL.iter().copied().find(|t| *t as u8 == n)
    }
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// Whether the authentication worked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Outcome {
    #[default]
    Unknown = 0,
    Success = 1,
    Failure = 2,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Unknown => "unknown",
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        match s.trim().to_ascii_lowercase().as_str() {
            "success" => Some(Outcome::Success),
            "failure" | "fail" => Some(Outcome::Failure),
            "unknown" | "" => Some(Outcome::Unknown),
            _ => None,
        }
    }
    pub fn from_code(n: u8) -> Option<Outcome> {
        [Outcome::Unknown, Outcome::Success, Outcome::Failure].into_iter().find(|o| *o as u8 == n)
    }
}

/// Which side of a session the event describes (LANL's "authentication orientation").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(u8)]
pub enum Orientation {
    #[default]
    Unknown = 0,
    LogOn = 1,
    LogOff = 2,
    /// Kerberos ticket-granting ticket request (authentication at a domain controller).
    Tgt = 3,
    /// Kerberos service ticket request.
    Tgs = 4,
    /// LANL AuthMap: mapping of a Kerberos identity to a local account.
    AuthMap = 5,
    /// Not a session at all: the host's own logging was tampered with (a log cleared, the
    /// audit policy changed, the event log service stopped). `event_id` says which
    /// ([`crate::TamperKind::from_event_id`]); `dst_host` is the host whose log it is.
    Tampering = 6,
    /// Not a session between hosts: on `dst_host`, the account `src_user` became `user`
    /// (`sudo`, `su`, `pkexec`, `runuser`; `auth` names the program). Windows' own records of
    /// a switch (4648 to the host itself, 4624 logon type 9) keep their logon orientation;
    /// [`crate::CredentialSwitch::from_row`] reads both.
    Switch = 7,
}

impl Orientation {
    pub fn as_str(self) -> &'static str {
        match self {
            Orientation::Unknown => "unknown",
            Orientation::LogOn => "logon",
            Orientation::LogOff => "logoff",
            Orientation::Tgt => "tgt",
            Orientation::Tgs => "tgs",
            Orientation::AuthMap => "authmap",
            Orientation::Tampering => "tampering",
            Orientation::Switch => "switch",
        }
    }
    pub fn parse(s: &str) -> Option<Orientation> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "logon" => Orientation::LogOn,
            "logoff" => Orientation::LogOff,
            "tgt" => Orientation::Tgt,
            "tgs" => Orientation::Tgs,
            "authmap" => Orientation::AuthMap,
            "tampering" => Orientation::Tampering,
            "switch" => Orientation::Switch,
            "unknown" | "" => Orientation::Unknown,
            _ => return None,
        })
    }
    pub fn from_code(n: u8) -> Option<Orientation> {
        [
            Orientation::Unknown,
            Orientation::LogOn,
            Orientation::LogOff,
            Orientation::Tgt,
            Orientation::Tgs,
            Orientation::AuthMap,
            Orientation::Tampering,
            Orientation::Switch,
        ]
        .into_iter()
        .find(|o| *o as u8 == n)
    }
}

/// The input format an event was read from.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[repr(u8)]
pub enum SourceFormat {
    #[default]
    Unknown = 0,
    Lanl = 1,
    Sshd = 2,
    Csv = 3,
    Jsonl = 4,
    Evtx = 5,
    Winjson = 6,
    Zeek = 7,
    /// Linux `wtmp`/`utmp` login records.
    Wtmp = 8,
    /// Linux `btmp` failed-login records.
    Btmp = 9,
    /// Linux auditd `audit.log`.
    Audit = 10,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 11] = [
        SourceFormat::Unknown,
        SourceFormat::Lanl,
        SourceFormat::Sshd,
        SourceFormat::Csv,
        SourceFormat::Jsonl,
        SourceFormat::Evtx,
        SourceFormat::Winjson,
        SourceFormat::Zeek,
        SourceFormat::Wtmp,
        SourceFormat::Btmp,
        SourceFormat::Audit,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Unknown => "unknown",
            SourceFormat::Lanl => "lanl",
            SourceFormat::Sshd => "sshd",
            SourceFormat::Csv => "csv",
            SourceFormat::Jsonl => "jsonl",
            SourceFormat::Evtx => "evtx",
            SourceFormat::Winjson => "winjson",
            SourceFormat::Zeek => "zeek",
            SourceFormat::Wtmp => "wtmp",
            SourceFormat::Btmp => "btmp",
            SourceFormat::Audit => "audit",
        }
    }
    pub fn parse(s: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
    pub fn from_code(n: u8) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| *f as u8 == n)
    }
}

/// Facts about one event that later stages use and most sources cannot express.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub struct EventFlags(pub u16);

impl EventFlags {
    /// The evidence position is a record id (EVTX, Windows JSON), not a line number.
    pub const RECORD: EventFlags = EventFlags(1 << 0);
    /// Special privileges were assigned to the logon (Windows 4672).
    pub const PRIVILEGED: EventFlags = EventFlags(1 << 1);
    /// Logon type 9 with the `seclogo` process: pass-the-hash on the source side.
    pub const PASS_THE_HASH: EventFlags = EventFlags(1 << 2);
    /// A remote service install followed the logon (PsExec-style).
    pub const SERVICE_INSTALL: EventFlags = EventFlags(1 << 3);
    /// An administrative share (`ADMIN$`, `C$`, `IPC$`) was accessed.
    pub const ADMIN_SHARE: EventFlags = EventFlags(1 << 4);
    /// The account does not exist on the destination (sshd "Invalid user").
    pub const INVALID_USER: EventFlags = EventFlags(1 << 5);
    /// Network-level evidence only (a connection, not a login).
    pub const NETWORK_ONLY: EventFlags = EventFlags(1 << 6);
    /// Seen from the source alone: the source's own record that it connected, or used
    /// credentials, to the destination (RDP client 1024/1102, WinRM client 6, Sysmon 3, 4648
    /// to another server). Its outcome is what the destination decided, which the source does
    /// not know; the engine joins it to the destination's record of the same login when both
    /// exist.
    pub const SOURCE_SIDE: EventFlags = EventFlags(1 << 7);

    /// Named flags, in the order they are written in the normalised formats.
    pub const NAMED: [(EventFlags, &'static str); 7] = [
        (EventFlags::PRIVILEGED, "privileged"),
        (EventFlags::PASS_THE_HASH, "pass-the-hash"),
        (EventFlags::SERVICE_INSTALL, "service-install"),
        (EventFlags::ADMIN_SHARE, "admin-share"),
        (EventFlags::INVALID_USER, "invalid-user"),
        (EventFlags::NETWORK_ONLY, "network-only"),
        (EventFlags::SOURCE_SIDE, "source-side"),
    ];

    pub fn contains(self, other: EventFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub fn insert(&mut self, other: EventFlags) {
        self.0 |= other.0;
    }
    pub fn with(self, other: EventFlags) -> EventFlags {
        EventFlags(self.0 | other.0)
    }
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        EventFlags::NAMED.into_iter().filter(move |(f, _)| self.contains(*f)).map(|(_, n)| n)
    }
    pub fn from_name(name: &str) -> Option<EventFlags> {
        EventFlags::NAMED.into_iter().find(|(_, n)| *n == name).map(|(f, _)| f)
    }
}

/// Where in an input file an event came from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Position {
    /// 1-based line number in the (decompressed) file.
    Line(u64),
    /// Record id (EVTX `EventRecordID`) or, for a JSON document, the element index.
    Record(u64),
}

/// An evidence reference: an input source (an id into the case's source list) and a position.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Evidence {
    pub source: u32,
    pub position: Position,
}

impl Evidence {
    /// The evidence of row `i` of `t`: its source and its position, a record when the row's
    /// flags say so, else a line (panics when out of range, like slice indexing).
    pub fn of_row(t: &EventTable, i: usize) -> Evidence {
        let position = if EventFlags(t.flags[i]).contains(EventFlags::RECORD) {
            Position::Record(t.position[i])
        } else {
            Position::Line(t.position[i])
        };
        Evidence { source: t.source[i], position }
    }
}

/// One event, as a row. Ids refer to the case's host, address, account and label tables;
/// [`NONE`] means not given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: Time,
    pub src_host: u32,
    pub src_ip: u32,
    pub dst_host: u32,
    pub dst_ip: u32,
    pub user: u32,
    pub src_user: u32,
    pub auth: u32,
    pub logon_type: LogonType,
    pub outcome: Outcome,
    pub orientation: Orientation,
    pub format: SourceFormat,
    pub event_id: u16,
    pub flags: EventFlags,
    pub evidence: Evidence,
}

/// Events stored column-wise: one `Vec` per field, all the same length.
///
/// Small enums are kept as their `u8` codes so a column is a plain slice the engine and
/// the Parquet writer can use without conversion.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EventTable {
    pub time: Vec<i64>,
    pub src_host: Vec<u32>,
    pub src_ip: Vec<u32>,
    pub dst_host: Vec<u32>,
    pub dst_ip: Vec<u32>,
    pub user: Vec<u32>,
    pub src_user: Vec<u32>,
    pub auth: Vec<u32>,
    pub logon_type: Vec<u8>,
    pub outcome: Vec<u8>,
    pub orientation: Vec<u8>,
    pub format: Vec<u8>,
    pub event_id: Vec<u16>,
    pub flags: Vec<u16>,
    pub source: Vec<u32>,
    pub position: Vec<u64>,
}

macro_rules! each_column {
    ($self:ident, $c:ident, $body:expr) => {{
        {
            let $c = &mut $self.time;
            $body;
        }
        {
            let $c = &mut $self.src_host;
            $body;
        }
        {
            let $c = &mut $self.src_ip;
            $body;
        }
        {
            let $c = &mut $self.dst_host;
            $body;
        }
        {
            let $c = &mut $self.dst_ip;
            $body;
        }
        {
            let $c = &mut $self.user;
            $body;
        }
        {
            let $c = &mut $self.src_user;
            $body;
        }
        {
            let $c = &mut $self.auth;
            $body;
        }
        {
            let $c = &mut $self.logon_type;
            $body;
        }
        {
            let $c = &mut $self.outcome;
            $body;
        }
        {
            let $c = &mut $self.orientation;
            $body;
        }
        {
            let $c = &mut $self.format;
            $body;
        }
        {
            let $c = &mut $self.event_id;
            $body;
        }
        {
            let $c = &mut $self.flags;
            $body;
        }
        {
            let $c = &mut $self.source;
            $body;
        }
        {
            let $c = &mut $self.position;
            $body;
        }
    }};
}

impl EventTable {
    pub fn with_capacity(n: usize) -> EventTable {
        let mut t = EventTable::default();
        each_column!(t, c, c.reserve(n));
        t
    }
    pub fn len(&self) -> usize {
        self.time.len()
    }
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }
    pub fn clear(&mut self) {
        each_column!(self, c, c.clear());
    }

    pub fn push(&mut self, e: &Event) {
        self.time.push(e.time.0);
        self.src_host.push(e.src_host);
        self.src_ip.push(e.src_ip);
        self.dst_host.push(e.dst_host);
        self.dst_ip.push(e.dst_ip);
        self.user.push(e.user);
        self.src_user.push(e.src_user);
        self.auth.push(e.auth);
        self.logon_type.push(e.logon_type as u8);
        self.outcome.push(e.outcome as u8);
        self.orientation.push(e.orientation as u8);
        self.format.push(e.format as u8);
        self.event_id.push(e.event_id);
        let mut flags = e.flags;
        if matches!(e.evidence.position, Position::Record(_)) {
            flags.insert(EventFlags::RECORD);
        }
        self.flags.push(flags.0);
        self.source.push(e.evidence.source);
        self.position.push(match e.evidence.position {
            Position::Line(n) | Position::Record(n) => n,
        });
    }

    /// The event at row `i` (panics when out of range, like slice indexing).
    pub fn get(&self, i: usize) -> Event {
        let flags = EventFlags(self.flags[i]);
        let evidence = Evidence::of_row(self, i);
        Event {
            time: Time(self.time[i]),
            src_host: self.src_host[i],
            src_ip: self.src_ip[i],
            dst_host: self.dst_host[i],
            dst_ip: self.dst_ip[i],
            user: self.user[i],
            src_user: self.src_user[i],
            auth: self.auth[i],
            logon_type: LogonType::from_code(self.logon_type[i]).unwrap_or_default(),
            outcome: Outcome::from_code(self.outcome[i]).unwrap_or_default(),
            orientation: Orientation::from_code(self.orientation[i]).unwrap_or_default(),
            format: SourceFormat::from_code(self.format[i]).unwrap_or_default(),
            event_id: self.event_id[i],
            flags: EventFlags(flags.0 & !EventFlags::RECORD.0),
            evidence,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Event> + '_ {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Append every row of `other`.
    pub fn extend_from(&mut self, other: &EventTable) {
        self.time.extend_from_slice(&other.time);
        self.src_host.extend_from_slice(&other.src_host);
        self.src_ip.extend_from_slice(&other.src_ip);
        self.dst_host.extend_from_slice(&other.dst_host);
        self.dst_ip.extend_from_slice(&other.dst_ip);
        self.user.extend_from_slice(&other.user);
        self.src_user.extend_from_slice(&other.src_user);
        self.auth.extend_from_slice(&other.auth);
        self.logon_type.extend_from_slice(&other.logon_type);
        self.outcome.extend_from_slice(&other.outcome);
        self.orientation.extend_from_slice(&other.orientation);
        self.format.extend_from_slice(&other.format);
        self.event_id.extend_from_slice(&other.event_id);
        self.flags.extend_from_slice(&other.flags);
        self.source.extend_from_slice(&other.source);
        self.position.extend_from_slice(&other.position);
    }

    /// Append rows `range` of `other`.
    pub fn extend_from_range(&mut self, other: &EventTable, range: std::ops::Range<usize>) {
        let r = range;
        self.time.extend_from_slice(&other.time[r.clone()]);
        self.src_host.extend_from_slice(&other.src_host[r.clone()]);
        self.src_ip.extend_from_slice(&other.src_ip[r.clone()]);
        self.dst_host.extend_from_slice(&other.dst_host[r.clone()]);
        self.dst_ip.extend_from_slice(&other.dst_ip[r.clone()]);
        self.user.extend_from_slice(&other.user[r.clone()]);
        self.src_user.extend_from_slice(&other.src_user[r.clone()]);
        self.auth.extend_from_slice(&other.auth[r.clone()]);
        self.logon_type.extend_from_slice(&other.logon_type[r.clone()]);
        self.outcome.extend_from_slice(&other.outcome[r.clone()]);
        self.orientation.extend_from_slice(&other.orientation[r.clone()]);
        self.format.extend_from_slice(&other.format[r.clone()]);
        self.event_id.extend_from_slice(&other.event_id[r.clone()]);
        self.flags.extend_from_slice(&other.flags[r.clone()]);
        self.source.extend_from_slice(&other.source[r.clone()]);
        self.position.extend_from_slice(&other.position[r]);
    }

    /// The key events are ordered by: time, then evidence (source, position).
    pub fn order_key(&self, i: usize) -> (i64, u32, u64, u16) {
        (self.time[i], self.source[i], self.position[i], self.flags[i] & EventFlags::RECORD.0)
    }

    /// True when rows are in non-decreasing time order.
    pub fn is_time_sorted(&self) -> bool {
        self.time.windows(2).all(|w| w[0] <= w[1])
    }

    /// Reorder rows by (time, source, position): a total order over distinct evidence,
    /// so the result does not depend on the order events were read in.
    pub fn sort_by_time(&mut self) {
        if (1..self.len()).all(|i| self.order_key(i - 1) <= self.order_key(i)) {
            return;
        }
        let mut perm: Vec<u32> = (0..self.len() as u32).collect();
        perm.sort_unstable_by_key(|&i| self.order_key(i as usize));
        self.permute(&perm);
    }

    /// Reorder rows so that row `k` becomes old row `perm[k]`.
    pub fn permute(&mut self, perm: &[u32]) {
        fn apply<T: Copy>(v: &mut Vec<T>, perm: &[u32]) {
            let out: Vec<T> = perm.iter().map(|&i| v[i as usize]).collect();
            *v = out;
        }
        each_column!(self, c, apply(c, perm));
    }

    /// Bytes held by the column buffers (capacity, not length).
    pub fn heap_bytes(&self) -> usize {
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        cap(&self.time)
            + cap(&self.src_host)
            + cap(&self.src_ip)
            + cap(&self.dst_host)
            + cap(&self.dst_ip)
            + cap(&self.user)
            + cap(&self.src_user)
            + cap(&self.auth)
            + cap(&self.logon_type)
            + cap(&self.outcome)
            + cap(&self.orientation)
            + cap(&self.format)
            + cap(&self.event_id)
            + cap(&self.flags)
            + cap(&self.source)
            + cap(&self.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, pos: Position) -> Event {
        Event {
            time: Time(t),
            src_host: 1,
            src_ip: 0,
            dst_host: 2,
            dst_ip: 0,
            user: 3,
            src_user: 0,
            auth: 1,
            logon_type: LogonType::Network,
            outcome: Outcome::Success,
            orientation: Orientation::LogOn,
            format: SourceFormat::Lanl,
            event_id: 0,
            flags: EventFlags::PRIVILEGED,
            evidence: Evidence { source: 1, position: pos },
        }
    }

    #[test]
    fn push_get_round_trip() {
        let mut t = EventTable::default();
        let a = ev(5, Position::Line(7));
        let b = ev(3, Position::Record(9));
        t.push(&a);
        t.push(&b);
        assert_eq!(t.get(0), a);
        assert_eq!(t.get(1), b);
        t.sort_by_time();
        assert_eq!(t.get(0), b);
        assert!(t.is_time_sorted());
    }

    #[test]
    fn enum_names_round_trip() {
        for l in LogonType::ALL {
            assert_eq!(LogonType::parse(l.as_str()), Some(l));
            assert_eq!(LogonType::from_code(l.code()), Some(l));
        }
        assert_eq!(LogonType::parse("RemoteInteractive"), Some(LogonType::RemoteInteractive));
        assert_eq!(LogonType::parse("10"), Some(LogonType::RemoteInteractive));
        for f in SourceFormat::ALL {
            assert_eq!(SourceFormat::parse(f.as_str()), Some(f));
        }
        assert_eq!(Orientation::parse("TGS"), Some(Orientation::Tgs));
        assert_eq!(Orientation::parse("AuthMap"), Some(Orientation::AuthMap));
        for n in 0..=7 {
            let o = Orientation::from_code(n).expect("every code up to 7 is an orientation");
            assert_eq!(Orientation::parse(o.as_str()), Some(o));
        }
    }
}
