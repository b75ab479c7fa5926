//! What each Windows event means in the event model (the table in
//! `docs/formats-windows.md`). Works on [`Fields`], so every dialect means the same thing.

use std::borrow::Cow;

use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, Time};

use super::fields::{parse_uint, Fields, Key, Val};
use crate::problems::{LineError, ProblemKind};

/// Event ids read (each in its channel: [`homes`]); every other id is skipped unread.
pub(crate) fn wanted(id: u32) -> bool {
    !homes(id).is_empty()
}

/// What part an event plays in the per-file joins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// 4624/4625 and the RDP session events: a logon on `computer`.
    Logon,
    /// 4634/4647: the end of the logon with the same logon id.
    Logoff,
    /// 4648, 4768/4769/4771/4776: stands as it is.
    Plain,
    /// 4672: special privileges for the logon `logon_id`; not an event itself.
    Privileges,
    /// 4697/7045: a service install, tagging the network logon before it.
    ServiceInstall,
    /// 5140/5145: share access; `admin` for `ADMIN$`, `IPC$` and drive shares.
    Share { admin: bool, share: String },
}

/// One Windows event after interpretation, owning its strings (a file is joined as a whole).
#[derive(Clone, Debug)]
pub(crate) struct WinEvent {
    pub event_id: u16,
    pub time: Time,
    /// The logging computer as the record names it.
    pub computer: String,
    pub src_host: Option<String>,
    pub src_ip: Option<String>,
    pub dst_host: Option<String>,
    pub dst_ip: Option<String>,
    pub user: Option<String>,
    pub domain: Option<String>,
    pub src_user: Option<String>,
    pub src_domain: Option<String>,
    pub auth: Option<String>,
    pub logon_type: LogonType,
    pub outcome: Outcome,
    pub orientation: Orientation,
    pub flags: EventFlags,
    pub role: Role,
    /// The logon session the event is about (`TargetLogonId` of a logon or logoff,
    /// `SubjectLogonId` of 4672/4697/5140/5145, `LogonID` of 4778/4779).
    pub logon_id: Option<u64>,
    /// Kerberos logon GUID (4624, 4769), all-zero GUIDs left out.
    pub logon_guid: Option<String>,
    /// Source address of a share access or the Kerberos client (for the joins).
    pub address: Option<String>,
}

/// What the caller knows about the record beyond its fields.
#[derive(Clone, Debug, Default)]
pub(crate) struct RecordContext {
    /// `--tz`: the zone of a collector's local `EventTime` when nothing in the record gives
    /// its offset.
    pub tz: Option<jiff::tz::TimeZone>,
    /// The EVTX record header's time: used only when the event names no time of its own
    /// (`System/TimeCreated/@SystemTime` is the event's time; the header's is when the record
    /// was written, and trimmed or filtered exports leave it zero).
    pub fallback_time: Option<Time>,
    /// LANL time 0, for "wls" `Time` in seconds.
    pub lanl_start: Time,
}

fn s<'f>(f: &'f Fields<'_>, k: Key) -> Option<Cow<'f, str>> {
    f.str(k).map(|v| match v {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
    })
}

/// A field's value when it says something: not empty, not `-`.
fn given(f: &Fields<'_>, k: Key) -> Option<String> {
    s(f, k).filter(|v| !v.is_empty() && v != "-").map(Cow::into_owned)
}

/// An address field: `-`, empty and `LOCAL` are no address; `::ffff:` and brackets are
/// left to the batch to canonicalise.
fn address(f: &Fields<'_>, k: Key) -> Option<String> {
    given(f, k).filter(|a| !a.eq_ignore_ascii_case("LOCAL"))
}

fn is_loopback(a: &str) -> bool {
    let a = a.trim_start_matches('[').trim_end_matches(']');
    match a.parse::<std::net::IpAddr>() {
        Ok(ip) => hopscope_model::canonical_ip(ip).is_loopback(),
        Err(_) => false,
    }
}

/// `DOMAIN\user` → (user, domain); `user@domain` → (user, domain).
fn split_account(a: &str) -> (String, Option<String>) {
    if let Some((d, u)) = a.split_once('\\') {
        return (u.to_string(), Some(d.to_string()).filter(|d| !d.is_empty()));
    }
    if let Some((u, d)) = a.rsplit_once('@') {
        return (u.to_string(), Some(d.to_string()).filter(|d| !d.is_empty()));
    }
    (a.to_string(), None)
}

/// `\\*\ADMIN$` → `ADMIN$`.
fn share_name(s: &str) -> String {
    s.rsplit('\\').next().unwrap_or(s).to_string()
}

/// `ADMIN$`, `IPC$` and drive shares (`C$`).
pub(crate) fn is_admin_share(share: &str) -> bool {
    let u = share.to_ascii_uppercase();
    u == "ADMIN$"
        || u == "IPC$"
        || (u.len() == 2 && u.ends_with('$') && u.as_bytes()[0].is_ascii_alphabetic())
}

/// The authentication label: `NTLM V2` when `LmPackageName` says so, `NTLM` for the MSV1_0
/// package name, else the package as written (`Kerberos`, `Negotiate`).
fn auth_label(package: Option<String>, lm: Option<String>) -> Option<String> {
    let p = package?;
    if p.eq_ignore_ascii_case("NTLM")
        || p.eq_ignore_ascii_case("MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")
    {
        return Some(match lm {
            Some(lm) if lm.to_ascii_uppercase().starts_with("NTLM V") => lm,
            _ => "NTLM".into(),
        });
    }
    Some(p)
}

fn logon_type(f: &Fields<'_>) -> LogonType {
    f.get(Key::LogonType)
        .and_then(Val::uint)
        .and_then(|n| u8::try_from(n).ok())
        .and_then(LogonType::from_code)
        .unwrap_or_else(|| {
            s(f, Key::LogonType).and_then(|v| LogonType::parse(&v)).unwrap_or_default()
        })
}

/// Kerberos and NTLM result codes: `0x0` is success.
fn status_outcome(f: &Fields<'_>) -> Outcome {
    match f.get(Key::Status).and_then(|v| match v {
        Val::Str(s) => parse_uint(s),
        other => other.uint(),
    }) {
        Some(0) => Outcome::Success,
        Some(_) => Outcome::Failure,
        None => match s(f, Key::Status).as_deref() {
            Some("Success") => Outcome::Success,
            Some("Failure") | Some("Fail") => Outcome::Failure,
            _ => Outcome::Unknown,
        },
    }
}

/// The event's time, in order of trust (docs/formats-windows.md, "Time"):
/// 1. `TimeCreated` — `System/TimeCreated/@SystemTime` (EVTX, `evtx_dump`), Winlogbeat's
///    `winlog.time_created`, a flat `TimeCreated` (PowerShell's `/Date(ms)/` too); the time
///    Windows gave the event, in UTC;
/// 2. NXLog's `EventTime` when it carries a zone (`2020-09-22T14:53:30-04:00`);
/// 3. NXLog's zone-less `EventTime` (the collector's local time) moved to UTC by the offset
///    between its local `EventReceivedTime` and the UTC `@timestamp` of the same moment;
/// 4. `@timestamp` (Winlogbeat: the time the record was generated);
/// 5. the EVTX record header's time (only when the record names no time);
/// 6. LANL wls `Time` (seconds from `--lanl-start`);
/// 7. a zone-less `EventTime` alone, in `--tz`; without `--tz` its instant cannot be known:
///    a `bad-time` problem.
fn time(f: &Fields<'_>, ctx: &RecordContext) -> Result<Time, LineError> {
    let parse = |k: Key| -> Option<Result<Time, LineError>> {
        s(f, k).map(|v| {
            parse_time(&v).map_err(|e| LineError::new(ProblemKind::BadTime, format!("{k:?}: {e}")))
        })
    };
    if let Some(t) = parse(Key::TimeCreated) {
        return t;
    }
    let event_time = s(f, Key::EventTime);
    if let Some(v) = event_time.as_deref().filter(|v| has_zone(v)) {
        return parse_time(v)
            .map_err(|e| LineError::new(ProblemKind::BadTime, format!("EventTime: {e}")));
    }
    if let (Some(local), Some(received), Some(utc)) =
        (parse(Key::EventTime), parse(Key::EventReceivedTime), parse(Key::Timestamp))
    {
        let received_local = s(f, Key::EventReceivedTime).is_some_and(|v| !has_zone(&v));
        let utc_zoned = s(f, Key::Timestamp).is_some_and(|v| has_zone(&v));
        if let (Ok(local), Ok(received), Ok(utc), true, true) =
            (&local, &received, &utc, received_local, utc_zoned)
        {
            // the collector's zone offset, to the nearest quarter hour
            const QUARTER: i64 = 15 * 60 * 1_000_000;
            let offset = ((utc.0 - received.0) as f64 / QUARTER as f64).round() as i64 * QUARTER;
            return Ok(Time(local.0.saturating_add(offset)));
        }
    }
    if let Some(t) = parse(Key::Timestamp) {
        return t;
    }
    if let Some(t) = ctx.fallback_time {
        return Ok(t);
    }
    if let Some(v) = f.get(Key::EpochTime) {
        let secs = v.float().filter(|x| x.is_finite() && x.abs() < 1e12).ok_or_else(|| {
            LineError::new(
                ProblemKind::BadTime,
                format!("Time: expected seconds, found {:?}", v.text()),
            )
        })?;
        return Ok(Time(ctx.lanl_start.0.saturating_add((secs * 1e6) as i64)));
    }
    if let Some(v) = event_time {
        return local_event_time(&v, ctx.tz.as_ref());
    }
    Err(LineError::new(
        ProblemKind::BadTime,
        "no event time (TimeCreated, EventTime, @timestamp or Time)",
    ))
}

/// NXLog's zone-less `EventTime` (the collector's local time) with nothing in the record to
/// give its offset: in `--tz`, when that zone has the time once.
fn local_event_time(v: &str, tz: Option<&jiff::tz::TimeZone>) -> Result<Time, LineError> {
    let bad = |why: String| LineError::new(ProblemKind::BadTime, format!("EventTime: {why}"));
    let dt = v.trim().replace(' ', "T").parse::<jiff::civil::DateTime>().map_err(|_| {
        bad(format!("expected a date and time such as 2020-09-22 14:53:30, found {v:?}"))
    })?;
    let Some(tz) = tz else {
        return Err(bad(format!(
            "{v:?} is the collector's local time and the record gives no offset (no EventReceivedTime and @timestamp): give --tz with the collector's zone"
        )));
    };
    let zone = tz.iana_name().unwrap_or("the --tz zone");
    match tz.to_ambiguous_timestamp(dt).unambiguous() {
        Ok(ts) => Ok(Time::from_jiff(ts)),
        Err(_) => Err(bad(format!(
            "{v:?} happens twice or never in {zone} (a DST change): its instant cannot be known"
        ))),
    }
}

/// Whether a time text names its zone (`Z` or an offset), so it is an instant on its own.
fn has_zone(v: &str) -> bool {
    v.trim().parse::<jiff::Timestamp>().is_ok()
}

/// RFC 3339 (a zone-less time is UTC), or PowerShell `ConvertTo-Json`'s `/Date(ms)/`
/// (milliseconds since 1970 UTC, with an optional offset that does not change the instant).
fn parse_time(v: &str) -> Result<Time, hopscope_model::TimeError> {
    let t = v.trim();
    if let Some(inner) = t
        .strip_prefix("/Date(")
        .or_else(|| t.strip_prefix("\\/Date("))
        .and_then(|r| r.strip_suffix(")/").or_else(|| r.strip_suffix(")\\/")))
    {
        // the offset after the number (`+0200`) only says how to display it
        let end = inner.char_indices().skip(1).find(|(_, c)| matches!(c, '+' | '-'));
        let ms = &inner[..end.map_or(inner.len(), |(i, _)| i)];
        if let Ok(ms) = ms.parse::<i64>() {
            if ms.unsigned_abs() < 253_402_300_800_000 {
                return Ok(Time(ms * 1000));
            }
        }
    }
    Time::parse(t)
}

/// Where an event id means what the table says: the channel it is logged in and the
/// provider that writes it there (both compared without case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Home {
    pub channel: &'static str,
    pub provider: &'static str,
}

pub(crate) const SECURITY: Home =
    Home { channel: "Security", provider: "Microsoft-Windows-Security-Auditing" };
pub(crate) const SERVICE_CONTROL_MANAGER: Home =
    Home { channel: "System", provider: "Service Control Manager" };
pub(crate) const REMOTE_CONNECTION_MANAGER: Home = Home {
    channel: "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
    provider: "Microsoft-Windows-TerminalServices-RemoteConnectionManager",
};
/// The event log service's own events about the Security log (1100, 1102).
pub(crate) const EVENTLOG_SECURITY: Home =
    Home { channel: "Security", provider: "Microsoft-Windows-Eventlog" };
/// The event log service's report, in the System log, that a log was cleared (104).
pub(crate) const EVENTLOG_SYSTEM: Home =
    Home { channel: "System", provider: "Microsoft-Windows-Eventlog" };
pub(crate) const LOCAL_SESSION_MANAGER: Home = Home {
    channel: "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
    provider: "Microsoft-Windows-TerminalServices-LocalSessionManager",
};
/// The RDP client's own log on the machine it runs on (1024, 1102): outgoing RDP.
pub(crate) const RDP_CLIENT: Home = Home {
    channel: "Microsoft-Windows-TerminalServices-RDPClient/Operational",
    provider: "Microsoft-Windows-TerminalServices-ClientActiveXCore",
};
/// The WinRM client's log (6: a WSMan session created towards a server).
pub(crate) const WINRM: Home =
    Home { channel: "Microsoft-Windows-WinRM/Operational", provider: "Microsoft-Windows-WinRM" };
/// Sysmon (3: a network connection).
pub(crate) const SYSMON: Home =
    Home { channel: "Microsoft-Windows-Sysmon/Operational", provider: "Microsoft-Windows-Sysmon" };

/// The channels and providers in which event id `id` is one hopscope reads. Ids mean
/// something only within their channel (the Application log's EventSystem writes 4625,
/// Sysmon writes 3 and 22, the RDP client writes 1102 as the Security log's clearing is),
/// so every id names its homes.
pub(crate) fn homes(id: u32) -> &'static [Home] {
    match id {
        4624 | 4625 | 4634 | 4647 | 4648 | 4672 | 4697 | 4768 | 4769 | 4771 | 4776 | 4778
        | 4779 | 5140 | 5145 | 4719 => &[SECURITY],
        1100 => &[EVENTLOG_SECURITY],
        1102 => &[EVENTLOG_SECURITY, RDP_CLIENT],
        104 => &[EVENTLOG_SYSTEM],
        7045 => &[SERVICE_CONTROL_MANAGER],
        1149 => &[REMOTE_CONNECTION_MANAGER],
        21..=25 => &[LOCAL_SESSION_MANAGER],
        1024 => &[RDP_CLIENT],
        6 => &[WINRM],
        3 => &[SYSMON],
        _ => &[],
    }
}

/// The home of id `id` a record comes from, if any. A record that names its channel or
/// provider must name the home's (both, when it names both); one that names neither (LANL
/// wls, hand-made exports) is read only for the Security log's ids, which are the only ones
/// such exports carry.
fn from_home(f: &Fields<'_>, id: u32) -> Option<Home> {
    let (channel, provider) = (given(f, Key::Channel), given(f, Key::Provider));
    homes(id).iter().copied().find(|home| {
        if channel.is_none() && provider.is_none() {
            return *home == SECURITY;
        }
        channel.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(home.channel))
            && provider.as_deref().is_none_or(|p| p.eq_ignore_ascii_case(home.provider))
    })
}

/// Interpret one record. `Ok(None)`: not an event hopscope uses (skipped, not a problem).
pub(crate) fn interpret(
    f: &Fields<'_>,
    ctx: &RecordContext,
) -> Result<Option<WinEvent>, LineError> {
    let id = f.get(Key::EventId).or_else(|| f.get(Key::EventCode)).ok_or_else(|| {
        LineError::new(
            ProblemKind::BadJson,
            "no event id (EventID, winlog.event_id, Event.System.EventID)",
        )
    })?;
    let id = id.uint().filter(|n| *n <= u64::from(u16::MAX)).ok_or_else(|| {
        LineError::new(ProblemKind::BadValue, format!("event id is not a number: {:?}", id.text()))
    })? as u16;
    if !wanted(u32::from(id)) {
        return Ok(None);
    }
    // an id read outside its channel is another event (skipped, not a problem)
    let Some(home) = from_home(f, u32::from(id)) else {
        return Ok(None);
    };
    let computer =
        given(f, Key::Computer).or_else(|| given(f, Key::HostName)).ok_or_else(|| {
            LineError::new(
                ProblemKind::BadJson,
                "no computer name (Computer, Hostname, host.name, LogHost)",
            )
        })?;
    let time = time(f, ctx)?;
    let mut e = WinEvent {
        event_id: id,
        time,
        computer: computer.clone(),
        src_host: None,
        src_ip: None,
        dst_host: Some(computer.clone()),
        dst_ip: None,
        user: None,
        domain: None,
        src_user: None,
        src_domain: None,
        auth: None,
        logon_type: LogonType::Unknown,
        outcome: Outcome::Success,
        orientation: Orientation::LogOn,
        flags: EventFlags::default(),
        role: Role::Plain,
        logon_id: None,
        logon_guid: None,
        address: None,
    };
    let logon_id = |k| f.get(k).and_then(Val::uint);
    if home == RDP_CLIENT || home == WINRM || home == SYSMON {
        if !outgoing(f, &mut e, home)? {
            return Ok(None);
        }
        local_is_local(&mut e);
        return Ok(Some(e));
    }
    match id {
        4624 | 4625 => logon(f, &mut e, id == 4625),
        4634 | 4647 => {
            e.role = Role::Logoff;
            e.orientation = Orientation::LogOff;
            e.logon_type = logon_type(f);
            e.user = given(f, Key::TargetUserName);
            e.domain = given(f, Key::TargetDomainName);
            e.logon_id = logon_id(Key::TargetLogonId);
        }
        4648 => {
            // seen from the source: the logging host is where the credentials were used from
            e.src_host = Some(computer.clone());
            let target = given(f, Key::TargetServerName);
            e.dst_host = match target {
                Some(t) if t.eq_ignore_ascii_case("localhost") => Some(computer.clone()),
                t => t,
            };
            e.dst_ip = address(f, Key::IpAddress).filter(|a| !is_loopback(a));
            if e.dst_host.is_none() && e.dst_ip.is_none() {
                e.dst_host = Some(computer.clone());
            }
            e.user = given(f, Key::TargetUserName);
            e.domain = given(f, Key::TargetDomainName);
            e.src_user = given(f, Key::SubjectUserName);
            e.src_domain = given(f, Key::SubjectDomainName);
            if given(f, Key::TargetInfo)
                .is_some_and(|t| t.to_ascii_uppercase().starts_with("TERMSRV/"))
            {
                e.logon_type = LogonType::RemoteInteractive;
            }
        }
        4672 => {
            e.role = Role::Privileges;
            e.logon_id = logon_id(Key::SubjectLogonId);
        }
        4697 | 7045 => {
            e.role = Role::ServiceInstall;
            e.orientation = Orientation::Unknown;
            e.flags.insert(EventFlags::SERVICE_INSTALL);
            e.logon_id = logon_id(Key::SubjectLogonId);
            if id == 4697 {
                e.user = given(f, Key::SubjectUserName);
                e.domain = given(f, Key::SubjectDomainName);
            } else {
                // NXLog resolves the installing user into AccountName/Domain; evtx's
                // AccountName is the service's own account (LocalSystem), not a person.
                e.user = given(f, Key::AccountName)
                    .filter(|a| !a.eq_ignore_ascii_case("LocalSystem") && !a.contains('\\'));
                e.domain = e.user.as_ref().and_then(|_| given(f, Key::AccountDomain));
            }
        }
        4768 | 4769 | 4771 => {
            e.orientation = if id == 4769 { Orientation::Tgs } else { Orientation::Tgt };
            e.auth = Some("Kerberos".into());
            e.logon_type = LogonType::Network;
            e.outcome = if id == 4771 { Outcome::Failure } else { status_outcome(f) };
            let (u, d) = match given(f, Key::TargetUserName) {
                Some(u) => {
                    let (u, d) = split_account(&u);
                    (Some(u), d.or_else(|| given(f, Key::TargetDomainName)))
                }
                None => (None, None),
            };
            e.user = u;
            e.domain = d;
            e.src_ip = address(f, Key::IpAddress);
            e.address = e.src_ip.clone();
            if e.src_ip.as_deref().is_some_and(is_loopback) {
                e.src_ip = None;
                e.src_host = Some(computer.clone());
            }
            if id == 4769 {
                // a service ticket for a computer account names the host being accessed
                if let Some(svc) = given(f, Key::ServiceName) {
                    if let Some(host) = svc.strip_suffix('$') {
                        if !host.is_empty() {
                            e.dst_host = Some(host.to_string());
                        }
                    }
                }
                e.logon_guid = guid(f);
            }
        }
        4776 => {
            e.orientation = Orientation::Tgt;
            e.auth = Some("NTLM".into());
            e.logon_type = LogonType::Network;
            e.outcome = status_outcome(f);
            e.user = given(f, Key::TargetUserName);
            e.src_host = given(f, Key::Workstation);
        }
        4778 | 4779 => {
            e.logon_type = LogonType::RemoteInteractive;
            e.orientation = if id == 4778 { Orientation::LogOn } else { Orientation::LogOff };
            e.role = if id == 4778 { Role::Logon } else { Role::Plain };
            e.auth = Some("rdp".into());
            e.user = given(f, Key::AccountName);
            e.domain = given(f, Key::AccountDomain);
            e.logon_id = logon_id(Key::LogonId);
            remote_source(
                &mut e,
                address(f, Key::ClientAddress),
                given(f, Key::ClientName).filter(|n| n != "Unknown"),
            );
        }
        5140 | 5145 => {
            let share = given(f, Key::ShareName).map(|s| share_name(&s)).unwrap_or_default();
            let admin = is_admin_share(&share);
            e.role = Role::Share { admin, share };
            if admin {
                e.flags.insert(EventFlags::ADMIN_SHARE);
            }
            e.logon_type = LogonType::Network;
            e.auth = Some("smb".into());
            e.user = given(f, Key::SubjectUserName);
            e.domain = given(f, Key::SubjectDomainName);
            e.logon_id = logon_id(Key::SubjectLogonId);
            e.address = address(f, Key::IpAddress);
            let a = e.address.clone();
            remote_source(&mut e, a, None);
        }
        1149 => {
            e.logon_type = LogonType::RemoteInteractive;
            e.auth = Some("rdp".into());
            e.user = given(f, Key::Param1);
            e.domain = given(f, Key::Param2);
            remote_source(&mut e, address(f, Key::Param3), None);
        }
        1100 | 1102 | 104 | 4719 => {
            // tampering with the computer's own logging: no session, no source; the one who
            // did it (the subject) when the event names one (1100 names none)
            e.orientation = Orientation::Tampering;
            e.outcome = Outcome::Unknown;
            e.user = given(f, Key::SubjectUserName);
            e.domain = given(f, Key::SubjectDomainName);
            return Ok(Some(e));
        }
        21..=25 => {
            e.role = if matches!(id, 21 | 22 | 25) { Role::Logon } else { Role::Plain };
            e.orientation =
                if matches!(id, 23 | 24) { Orientation::LogOff } else { Orientation::LogOn };
            e.auth = Some("rdp".into());
            if let Some(u) = given(f, Key::User) {
                let (u, d) = split_account(&u);
                e.user = Some(u);
                e.domain = d;
            }
            let addr = given(f, Key::Address);
            if addr.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("LOCAL")) {
                e.logon_type = LogonType::Interactive;
                e.src_host = Some(computer.clone());
            } else {
                e.logon_type = LogonType::RemoteInteractive;
                remote_source(&mut e, addr, None);
            }
        }
        _ => return Ok(None),
    }
    local_is_local(&mut e);
    if id == 4648 && e.dst_host.as_deref() != Some(e.computer.as_str()) {
        // explicit credentials used towards another server: that login seen from its source
        e.flags.insert(EventFlags::SOURCE_SIDE);
    }
    Ok(Some(e))
}

/// Remote-access ports whose Sysmon 3 connections are read, and the service each is.
fn remote_access_port(port: u64) -> Option<(&'static str, LogonType)> {
    Some(match port {
        22 => ("ssh", LogonType::RemoteInteractive),
        135 => ("dce_rpc", LogonType::Network),
        445 => ("smb", LogonType::Network),
        3389 => ("rdp", LogonType::RemoteInteractive),
        5985 | 5986 => ("winrm", LogonType::Network),
        _ => return None,
    })
}

/// A server as a client names it (`th-app-02`, `10.0.0.5`, `th-app-02:3390`, `[2001:db8::1]:3389`,
/// `http://th-app-02:5985/wsman?PSVersion=5.1`) → (host name, address): one of them.
fn server(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    let s = s.split_once("://").map_or(s, |(_, r)| r);
    let s = s.split(['/', '?']).next().unwrap_or(s);
    let bare = s.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_ok() {
        return (None, Some(bare.to_string()));
    }
    // a port after the last ':' (IPv6 addresses are bracketed when a port follows)
    let host = match s.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => s,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.parse::<std::net::IpAddr>().is_ok() {
        (None, Some(host.to_string()))
    } else if host.is_empty() {
        (None, None)
    } else {
        (Some(host.to_string()), None)
    }
}

/// `DOMAIN\user` of a process, as (user, domain); `None` for the machine's own accounts
/// (`NT AUTHORITY\SYSTEM`, `LOCAL SERVICE`, `NETWORK SERVICE`, a computer account).
fn person(f: &Fields<'_>) -> (Option<(String, Option<String>)>, bool) {
    let (user, domain) = match (given(f, Key::User), given(f, Key::WinlogUserName)) {
        (Some(u), _) => split_account(&u),
        (None, Some(u)) => (u, given(f, Key::WinlogUserDomain)),
        (None, None) => return (None, false),
    };
    let machine = user.ends_with('$')
        || domain.as_deref().is_some_and(|d| d.eq_ignore_ascii_case("NT AUTHORITY"))
        || ["SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE"]
            .iter()
            .any(|s| user.eq_ignore_ascii_case(s));
    (Some((user, domain)), machine)
}

/// An outgoing connection seen from the source (RDP client 1024/1102, WinRM client 6, Sysmon 3
/// initiated to a remote-access port): a logon from the computer to the server it names,
/// flagged `source-side`, its outcome unknown. Sysmon 3 of the machine's own accounts is
/// `network-only` (SMB and RPC to domain controllers all day). `Ok(false)`: not one we read
/// (a connection received, to another port, over UDP).
fn outgoing(f: &Fields<'_>, e: &mut WinEvent, home: Home) -> Result<bool, LineError> {
    let event_id = e.event_id;
    let missing = |what: &str| {
        LineError::new(
            ProblemKind::Truncated,
            format!("{} {event_id} without {what}", home.channel),
        )
    };
    e.src_host = Some(e.computer.clone());
    e.dst_host = None;
    e.outcome = Outcome::Unknown;
    e.flags.insert(EventFlags::SOURCE_SIDE);
    let (account, machine) = person(f);
    if let Some((u, d)) = account {
        e.src_user = Some(u);
        e.src_domain = d;
    }
    let target = if home == RDP_CLIENT {
        e.auth = Some("rdp".into());
        e.logon_type = LogonType::RemoteInteractive;
        given(f, Key::Value).ok_or_else(|| missing("the server (Value)"))?
    } else if home == WINRM {
        e.auth = Some("winrm".into());
        e.logon_type = LogonType::Network;
        given(f, Key::Connection).ok_or_else(|| missing("the connection string (connection)"))?
    } else {
        let initiated = f.get(Key::Initiated).map(|v| v.text().trim().eq_ignore_ascii_case("true"));
        if initiated != Some(true) {
            return Ok(false);
        }
        if given(f, Key::Protocol).is_some_and(|p| !p.eq_ignore_ascii_case("tcp")) {
            return Ok(false);
        }
        let port = f.get(Key::DestinationPort).and_then(Val::uint);
        let Some((service, logon_type)) = port.and_then(remote_access_port) else {
            return Ok(false);
        };
        e.auth = Some(service.into());
        e.logon_type = logon_type;
        if machine {
            e.flags.insert(EventFlags::NETWORK_ONLY);
        }
        e.dst_host = given(f, Key::DestinationHostname);
        address(f, Key::DestinationIp).ok_or_else(|| missing("DestinationIp"))?
    };
    let (name, ip) = server(&target);
    if name.is_none() && ip.is_none() {
        return Err(LineError::new(
            ProblemKind::BadValue,
            format!("{} {event_id}: no server in {target:?}", home.channel),
        ));
    }
    if name.is_some() {
        e.dst_host = name;
    }
    e.dst_ip = ip;
    Ok(true)
}

/// A loopback address, `localhost` or the computer's own name on either side of an event is
/// the computer itself. A local logon (a service on the box authenticating over `::1`,
/// `runas` to `localhost`, a 4648 naming the computer) is kept, with its evidence, as an
/// event whose source and destination are both the computer; the login graph never takes an
/// event whose two ends are one host for a hop (`hopscope_engine::graph::classify`).
fn local_is_local(e: &mut WinEvent) {
    let own = hopscope_model::fold_host_name(&e.computer);
    let is_self = |n: &str| {
        let n = n.trim();
        is_loopback(n)
            || n.eq_ignore_ascii_case("localhost")
            || n.to_ascii_lowercase().starts_with("localhost.")
            || (own.is_some() && hopscope_model::fold_host_name(n) == own)
    };
    if e.src_ip.as_deref().is_some_and(is_loopback) {
        e.src_ip = None;
        e.src_host = Some(e.computer.clone());
    }
    if e.dst_ip.as_deref().is_some_and(is_loopback) {
        e.dst_ip = None;
        e.dst_host = Some(e.computer.clone());
    }
    if e.src_host.as_deref().is_some_and(is_self) {
        e.src_host = Some(e.computer.clone());
    }
    if e.dst_host.as_deref().is_some_and(is_self) {
        e.dst_host = Some(e.computer.clone());
    }
}

/// A source seen by address and/or name; loopback is the host itself.
fn remote_source(e: &mut WinEvent, ip: Option<String>, name: Option<String>) {
    match ip {
        Some(ip) if is_loopback(&ip) => e.src_host = Some(e.computer.clone()),
        Some(ip) => {
            e.src_ip = Some(ip);
            e.src_host = name;
        }
        None => e.src_host = name,
    }
}

fn guid(f: &Fields<'_>) -> Option<String> {
    given(f, Key::LogonGuid)
        .map(|g| g.trim_matches(|c| c == '{' || c == '}').to_ascii_lowercase())
        .filter(|g| g.bytes().any(|b| b != b'0' && b != b'-'))
}

/// 4624 / 4625, and LANL wls logons.
fn logon(f: &Fields<'_>, e: &mut WinEvent, failed: bool) {
    e.role = Role::Logon;
    e.outcome = if failed { Outcome::Failure } else { Outcome::Success };
    e.logon_type = logon_type(f);
    e.user = given(f, Key::TargetUserName).or_else(|| given(f, Key::UserName));
    e.domain = given(f, Key::TargetDomainName).or_else(|| given(f, Key::DomainName));
    e.logon_id = f.get(Key::TargetLogonId).or_else(|| f.get(Key::LogonId)).and_then(Val::uint);
    e.logon_guid = guid(f);
    let package =
        given(f, Key::AuthenticationPackageName).or_else(|| given(f, Key::AuthenticationPackage));
    e.auth = auth_label(package, given(f, Key::LmPackageName));

    // LANL wls: `Source` is the client, by name or address
    let (mut ip, mut name) = (address(f, Key::IpAddress), given(f, Key::WorkstationName));
    if ip.is_none() && name.is_none() {
        if let Some(src) = given(f, Key::Source) {
            if src.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok()
            {
                ip = Some(src);
            } else {
                name = Some(src);
            }
        }
    }
    let local = matches!(
        e.logon_type,
        LogonType::Interactive
            | LogonType::Unlock
            | LogonType::CachedInteractive
            | LogonType::Service
            | LogonType::Batch
    ) || e.logon_type == LogonType::Unknown
        && f.get(Key::LogonType).and_then(Val::uint) == Some(0);
    if e.logon_type == LogonType::NewCredentials {
        // runas /netonly and pass-the-hash: a logon on the source itself, credentials for later
        e.src_host = Some(e.computer.clone());
        if given(f, Key::LogonProcessName).is_some_and(|p| p.eq_ignore_ascii_case("seclogo")) {
            e.flags.insert(EventFlags::PASS_THE_HASH);
        }
        e.src_user = given(f, Key::SubjectUserName);
        e.src_domain = given(f, Key::SubjectDomainName);
        if let Some(u) = given(f, Key::TargetOutboundUserName) {
            e.user = Some(u);
            e.domain = given(f, Key::TargetOutboundDomainName);
        }
        return;
    }
    match (ip, name) {
        (None, None) if local => e.src_host = Some(e.computer.clone()),
        (None, None) => {}
        (ip, name) => remote_source(e, ip, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(j: &str) -> Option<WinEvent> {
        let f = Fields::from_json(j).unwrap();
        interpret(&f, &RecordContext::default()).unwrap()
    }

    #[test]
    fn network_logon_ntlm_v2() {
        let e = run(r##"{"EventID":4624,"Hostname":"WS6.corp","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","WorkstationName":"WS5","TargetUserName":"bob","TargetDomainName":"CORP","AuthenticationPackageName":"NTLM","LmPackageName":"NTLM V2","TargetLogonId":"0x1f"}"##).unwrap();
        assert_eq!(e.logon_type, LogonType::Network);
        assert_eq!(e.src_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(e.src_host.as_deref(), Some("WS5"));
        assert_eq!(e.dst_host.as_deref(), Some("WS6.corp"));
        assert_eq!(e.auth.as_deref(), Some("NTLM V2"));
        assert_eq!(e.logon_id, Some(0x1f));
        assert_eq!(e.outcome, Outcome::Success);
    }

    #[test]
    fn loopback_and_local_logons_are_the_host_itself() {
        let e = run(r##"{"EventID":4624,"Hostname":"DC1","TimeCreated":"2020-01-01T00:00:00Z","LogonType":3,"IpAddress":"::1","TargetUserName":"DC1$"}"##).unwrap();
        assert_eq!(e.src_host.as_deref(), Some("DC1"));
        assert_eq!(e.src_ip, None);
        let e = run(r##"{"EventID":4624,"Hostname":"DC1","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"5","IpAddress":"-","TargetUserName":"SYSTEM"}"##).unwrap();
        assert_eq!(e.src_host.as_deref(), Some("DC1"));
        let e = run(r##"{"EventID":4624,"Hostname":"DC1","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"-","WorkstationName":"-","TargetUserName":"bob"}"##).unwrap();
        assert_eq!(e.src_host, None, "a network logon with no source says nothing about it");
    }

    #[test]
    fn same_host_logons_name_the_computer_at_both_ends() {
        let ends = |j: &str| {
            let e = run(j).unwrap();
            (e.src_host, e.dst_host, e.src_ip, e.dst_ip)
        };
        let local = |h: &str| (Some(h.to_string()), Some(h.to_string()), None, None);
        for target in ["127.0.0.1", "::1", "localhost", "LOCALHOST.localdomain", "ws5.corp.local"] {
            let j = format!(
                r##"{{"EventID":4648,"Hostname":"WS5.corp.local","TimeCreated":"2020-01-01T00:00:00Z","SubjectUserName":"alice","TargetUserName":"admin","TargetServerName":"{target}","IpAddress":"-"}}"##
            );
            assert_eq!(ends(&j), local("WS5.corp.local"), "4648 to {target}");
        }
        for (ip, ws) in
            [("::ffff:127.0.0.1", "-"), ("-", "127.0.0.1"), ("-", "WS5"), ("[::1]", "OTHER")]
        {
            let j = format!(
                r##"{{"EventID":4624,"Hostname":"WS5","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"{ip}","WorkstationName":"{ws}","TargetUserName":"bob"}}"##
            );
            assert_eq!(ends(&j), local("WS5"), "4624 from {ip} / {ws}");
        }
        let e = ends(
            r##"{"EventID":4776,"Hostname":"DC1","TimeCreated":"2020-01-01T00:00:00Z","TargetUserName":"bob","Workstation":"dc1","Status":"0x0"}"##,
        );
        assert_eq!(e, local("DC1"));
        // another host stays another host
        let e = ends(
            r##"{"EventID":4624,"Hostname":"WS5","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.6","WorkstationName":"WS6","TargetUserName":"bob"}"##,
        );
        assert_eq!((e.0.as_deref(), e.2.as_deref()), (Some("WS6"), Some("10.0.0.6")));
    }

    #[test]
    fn pass_the_hash() {
        let e = run(r##"{"EventID":4624,"Hostname":"WS5","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"9","LogonProcessName":"seclogo","SubjectUserName":"alice","TargetUserName":"alice","TargetOutboundUserName":"admin","TargetOutboundDomainName":"CORP"}"##).unwrap();
        assert!(e.flags.contains(EventFlags::PASS_THE_HASH));
        assert_eq!(e.user.as_deref(), Some("admin"));
        assert_eq!(e.src_user.as_deref(), Some("alice"));
        assert_eq!(e.src_host.as_deref(), Some("WS5"));
    }

    #[test]
    fn explicit_credentials_seen_from_the_source() {
        let e = run(r##"{"EventID":4648,"Hostname":"WS5.corp","TimeCreated":"2020-01-01T00:00:00Z","SubjectUserName":"alice","TargetUserName":"admin","TargetServerName":"WS6","IpAddress":"-"}"##).unwrap();
        assert_eq!((e.src_host.as_deref(), e.dst_host.as_deref()), (Some("WS5.corp"), Some("WS6")));
        assert_eq!((e.user.as_deref(), e.src_user.as_deref()), (Some("admin"), Some("alice")));
    }

    #[test]
    fn explicit_credentials_towards_another_server_are_source_side() {
        let e = run(r##"{"EventID":4648,"Hostname":"WS5.corp","TimeCreated":"2020-01-01T00:00:00Z","SubjectUserName":"alice","TargetUserName":"admin","TargetServerName":"WS6","IpAddress":"-"}"##).unwrap();
        assert!(e.flags.contains(EventFlags::SOURCE_SIDE));
        let e = run(r##"{"EventID":4648,"Hostname":"WS5.corp","TimeCreated":"2020-01-01T00:00:00Z","SubjectUserName":"alice","TargetUserName":"admin","TargetServerName":"-","IpAddress":"10.0.0.6"}"##).unwrap();
        assert!(e.flags.contains(EventFlags::SOURCE_SIDE), "by address alone");
        let e = run(r##"{"EventID":4648,"Hostname":"WS5.corp","TimeCreated":"2020-01-01T00:00:00Z","SubjectUserName":"alice","TargetUserName":"admin","TargetServerName":"localhost","IpAddress":"-"}"##).unwrap();
        assert!(!e.flags.contains(EventFlags::SOURCE_SIDE), "runas on the host itself");
    }

    #[test]
    fn rdp_and_winrm_clients_are_outgoing_logins_seen_from_the_source() {
        let rdp = |id: u32, value: &str| {
            run(&format!(
                r##"{{"winlog":{{"event_id":{id},"channel":"Microsoft-Windows-TerminalServices-RDPClient/Operational","provider_name":"Microsoft-Windows-TerminalServices-ClientActiveXCore","computer_name":"US-JUMP-01.corp","time_created":"2019-12-16T16:00:00Z","event_data":{{"Value":"{value}"}},"user":{{"name":"svc-backup","domain":"CORP"}}}}}}"##
            ))
        };
        let e = rdp(1024, "jp-crm-01:3389").expect("1024 read");
        assert_eq!(
            (e.src_host.as_deref(), e.dst_host.as_deref(), e.dst_ip.as_deref()),
            (Some("US-JUMP-01.corp"), Some("jp-crm-01"), None)
        );
        assert_eq!(
            (e.src_user.as_deref(), e.src_domain.as_deref(), e.user.as_deref()),
            (Some("svc-backup"), Some("CORP"), None)
        );
        assert_eq!(
            (e.orientation, e.outcome, e.logon_type),
            (Orientation::LogOn, Outcome::Unknown, LogonType::RemoteInteractive)
        );
        assert!(e.flags.contains(EventFlags::SOURCE_SIDE));
        assert_eq!(e.auth.as_deref(), Some("rdp"));
        // 1102 in the RDP client's log is the connection's address, not a clearing
        let e = rdp(1102, "10.40.1.20").expect("1102 read");
        assert_eq!(
            (e.dst_host, e.dst_ip.as_deref(), e.orientation),
            (None, Some("10.40.1.20"), Orientation::LogOn)
        );
        assert_eq!(rdp(1102, "[2001:db8::7]:3390").unwrap().dst_ip.as_deref(), Some("2001:db8::7"));
        // without its server: a problem, not an event
        let f = Fields::from_json(r##"{"EventID":1024,"Channel":"Microsoft-Windows-TerminalServices-RDPClient/Operational","Hostname":"WS5","TimeCreated":"2020-01-01T00:00:00Z"}"##).unwrap();
        assert_eq!(
            interpret(&f, &RecordContext::default()).unwrap_err().kind,
            ProblemKind::Truncated
        );
        let winrm = |c: &str| {
            run(&format!(
                r##"{{"EventID":6,"Channel":"Microsoft-Windows-WinRM/Operational","SourceName":"Microsoft-Windows-WinRM","Hostname":"WORKSTATION5","TimeCreated":"2020-01-01T00:00:00Z","connection":"{c}"}}"##
            ))
            .unwrap()
        };
        let e = winrm("WORKSTATION6/wsman?PSVersion=5.1.17763.592");
        assert_eq!(
            (e.dst_host.as_deref(), e.auth.as_deref(), e.logon_type),
            (Some("WORKSTATION6"), Some("winrm"), LogonType::Network)
        );
        assert!(e.flags.contains(EventFlags::SOURCE_SIDE));
        assert_eq!(winrm("http://172.18.39.6:5985/wsman").dst_ip.as_deref(), Some("172.18.39.6"));
        assert_eq!(winrm("https://ws6.corp:5986/wsman").dst_host.as_deref(), Some("ws6.corp"));
        // WinRM's 6 elsewhere, and other ids of its log, are not read
        assert!(run(r##"{"EventID":6,"Channel":"System","Hostname":"WS5","TimeCreated":"2020-01-01T00:00:00Z","connection":"x"}"##).is_none());
    }

    #[test]
    fn sysmon_connections_to_remote_access_ports() {
        let sysmon = |initiated: &str, port: u32, user: &str, proto: &str| {
            run(&format!(
                r##"{{"EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"WORKSTATION5.theshire.local","UtcTime":"x","TimeCreated":"2020-08-06T15:56:04Z","Initiated":"{initiated}","Protocol":"{proto}","SourceIp":"172.18.39.5","DestinationIp":"172.18.39.6","DestinationHostname":"-","DestinationPort":"{port}","User":"{user}"}}"##
            ))
        };
        let e = sysmon("true", 5985, "THESHIRE\\\\pgustavo", "tcp").expect("read");
        assert_eq!(
            (e.src_host.as_deref(), e.dst_ip.as_deref(), e.dst_host),
            (Some("WORKSTATION5.theshire.local"), Some("172.18.39.6"), None)
        );
        assert_eq!(
            (e.src_user.as_deref(), e.src_domain.as_deref(), e.user),
            (Some("pgustavo"), Some("THESHIRE"), None)
        );
        assert_eq!((e.auth.as_deref(), e.outcome), (Some("winrm"), Outcome::Unknown));
        assert_eq!(e.flags, EventFlags::SOURCE_SIDE);
        for (port, auth, lt) in [
            (22, "ssh", LogonType::RemoteInteractive),
            (135, "dce_rpc", LogonType::Network),
            (445, "smb", LogonType::Network),
            (3389, "rdp", LogonType::RemoteInteractive),
            (5986, "winrm", LogonType::Network),
        ] {
            let e = sysmon("true", port, "THESHIRE\\\\pgustavo", "tcp").unwrap();
            assert_eq!((e.auth.as_deref(), e.logon_type), (Some(auth), lt), "{port}");
        }
        let e = sysmon("true", 445, "NT AUTHORITY\\\\SYSTEM", "tcp").unwrap();
        assert_eq!(
            e.flags,
            EventFlags::SOURCE_SIDE.with(EventFlags::NETWORK_ONLY),
            "the machine's own SMB"
        );
        assert!(sysmon("false", 5985, "NT AUTHORITY\\\\SYSTEM", "tcp").is_none(), "received");
        assert!(sysmon("true", 443, "THESHIRE\\\\pgustavo", "tcp").is_none(), "not remote access");
        assert!(
            sysmon("true", 3389, "THESHIRE\\\\pgustavo", "udp").is_none(),
            "RDP's UDP transport"
        );
    }

    #[test]
    fn kerberos_service_ticket_names_the_service_host() {
        let e = run(r##"{"EventID":4769,"Hostname":"DC","TimeCreated":"2020-01-01T00:00:00Z","TargetUserName":"bob@CORP.LOCAL","ServiceName":"WS6$","IpAddress":"::ffff:10.0.0.5","Status":"0x0"}"##).unwrap();
        assert_eq!(e.orientation, Orientation::Tgs);
        assert_eq!((e.user.as_deref(), e.domain.as_deref()), (Some("bob"), Some("CORP.LOCAL")));
        assert_eq!(e.dst_host.as_deref(), Some("WS6"));
        let e = run(r##"{"EventID":4771,"Hostname":"DC","TimeCreated":"2020-01-01T00:00:00Z","TargetUserName":"bob","IpAddress":"10.0.0.5","Status":"0x18"}"##).unwrap();
        assert_eq!((e.orientation, e.outcome), (Orientation::Tgt, Outcome::Failure));
    }

    #[test]
    fn rdp_session_manager_and_channel_reuse() {
        let e = run(r##"{"Event":{"System":{"EventID":21,"Channel":"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational","Computer":"WS6","TimeCreated":{"#attributes":{"SystemTime":"2020-01-01T00:00:00Z"}}},"UserData":{"EventXML":{"User":"CORP\\bob","Address":"10.0.0.5"}}}}"##).unwrap();
        assert_eq!((e.user.as_deref(), e.domain.as_deref()), (Some("bob"), Some("CORP")));
        assert_eq!(e.logon_type, LogonType::RemoteInteractive);
        // Sysmon 22 is a DNS query
        assert!(run(r##"{"EventID":22,"Channel":"Microsoft-Windows-Sysmon/Operational","Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z"}"##).is_none());
    }

    #[test]
    fn nxlog_local_time_is_moved_to_utc() {
        let e = run(r##"{"EventID":4624,"Hostname":"WS6","EventTime":"2020-09-22 14:53:30","EventReceivedTime":"2020-09-22 14:53:32","@timestamp":"2020-09-22T18:53:32.339Z","LogonType":"3","IpAddress":"172.18.39.5","TargetUserName":"pgustavo"}"##).unwrap();
        assert_eq!(e.time, Time::parse("2020-09-22T18:53:30Z").unwrap());
    }

    #[test]
    fn time_comes_from_the_event_not_the_record_header() {
        let header = Some(Time::parse("1601-01-01T00:00:00Z").unwrap());
        let ctx = RecordContext { fallback_time: header, lanl_start: Time(0), tz: None };
        let evtx = r##"{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"WS6","TimeCreated":{"#attributes":{"SystemTime":"2020-09-09T13:18:27.1234567Z"}}},"EventData":{"LogonType":2}}}"##;
        let e = interpret(&Fields::from_json(evtx).unwrap(), &ctx).unwrap().unwrap();
        assert_eq!(e.time, Time::parse("2020-09-09T13:18:27.123456Z").unwrap());
        // the header's time stands in only when the event names none
        let bare = r##"{"Event":{"System":{"EventID":4624,"Channel":"Security","Computer":"WS6"},"EventData":{"LogonType":2}}}"##;
        let e = interpret(&Fields::from_json(bare).unwrap(), &ctx).unwrap().unwrap();
        assert_eq!(Some(e.time), header);
    }

    #[test]
    fn every_dialect_takes_the_event_time() {
        let at = |j: &str| run(j).unwrap().time.to_rfc3339();
        // Winlogbeat: the record's own time over `@timestamp`, then `@timestamp`
        assert_eq!(
            at(
                r##"{"@timestamp":"2020-01-01T00:05:00Z","winlog":{"event_id":4624,"channel":"Security","computer_name":"WS6","time_created":"2020-01-01T00:00:01Z","event_data":{"LogonType":"2"}}}"##
            ),
            "2020-01-01T00:00:01Z"
        );
        assert_eq!(
            at(
                r##"{"@timestamp":"2020-01-01T00:05:00Z","winlog":{"event_id":4624,"channel":"Security","computer_name":"WS6","event_data":{"LogonType":"2"}}}"##
            ),
            "2020-01-01T00:05:00Z"
        );
        // NXLog: an EventTime with its zone is taken as it is, not shifted again
        assert_eq!(
            at(
                r##"{"EventID":4624,"Hostname":"WS6","EventTime":"2020-09-22T14:53:30-04:00","EventReceivedTime":"2020-09-22 14:53:32","@timestamp":"2020-09-22T18:53:32.339Z","LogonType":"2"}"##
            ),
            "2020-09-22T18:53:30Z"
        );
        // NXLog: a local EventTime with nothing to give its offset is read in --tz, and is a
        // problem without it (never taken as UTC)
        let alone = r##"{"EventID":4624,"Hostname":"WS6","EventTime":"2020-09-22 14:53:30","LogonType":"2"}"##;
        let err =
            interpret(&Fields::from_json(alone).unwrap(), &RecordContext::default()).unwrap_err();
        assert_eq!(err.kind, ProblemKind::BadTime);
        assert!(err.message.contains("--tz"), "{}", err.message);
        let in_tz = |v: &str| {
            let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
            let ctx = RecordContext { tz: Some(tz), ..Default::default() };
            let j = alone.replace("2020-09-22 14:53:30", v);
            interpret(&Fields::from_json(&j).unwrap(), &ctx).map(|e| e.unwrap().time.to_rfc3339())
        };
        assert_eq!(in_tz("2020-09-22 14:53:30").unwrap(), "2020-09-22T18:53:30Z");
        assert_eq!(in_tz("2020-12-22 14:53:30").unwrap(), "2020-12-22T19:53:30Z");
        // the hour New York has twice, and the one it skips
        assert_eq!(in_tz("2020-11-01 01:30:00").unwrap_err().kind, ProblemKind::BadTime);
        assert_eq!(in_tz("2020-03-08 02:30:00").unwrap_err().kind, ProblemKind::BadTime);
        assert_eq!(in_tz("yesterday").unwrap_err().kind, ProblemKind::BadTime);
        // PowerShell ConvertTo-Json
        assert_eq!(
            at(
                r##"{"Id":1,"EventID":4624,"MachineName":"x","Hostname":"WS6","TimeCreated":"/Date(1600786410123)/","LogonType":"2"}"##
            ),
            "2020-09-22T14:53:30.123000Z"
        );
        assert_eq!(
            at(
                r##"{"EventID":4624,"Hostname":"WS6","TimeCreated":"\/Date(1600786410000+0200)\/","LogonType":"2"}"##
            ),
            "2020-09-22T14:53:30Z"
        );
    }

    #[test]
    fn ids_are_read_only_in_their_channel() {
        let ev = |channel: &str, provider: &str, id: u32| {
            let mut j = format!(
                r##"{{"EventID":{id},"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z","LogonType":"3","IpAddress":"10.0.0.5","User":"CORP\\bob","Address":"10.0.0.5","Param1":"bob","Param3":"10.0.0.5""##
            );
            if !channel.is_empty() {
                j += &format!(r##","Channel":"{channel}""##);
            }
            if !provider.is_empty() {
                j += &format!(r##","SourceName":"{provider}""##);
            }
            run(&(j + "}")).is_some()
        };
        let sec = "Microsoft-Windows-Security-Auditing";
        // the Application log's EventSystem 4625 is not a failed logon
        assert!(!ev("Application", "Microsoft-Windows-EventSystem", 4625));
        assert!(!ev("Application", "", 4625));
        assert!(!ev("", "Microsoft-Windows-EventSystem", 4625));
        // a Security id written by another provider into the Security log
        assert!(!ev("Security", "Microsoft-Windows-Eventlog", 4624));
        assert!(ev("Security", sec, 4625));
        assert!(ev("security", "", 4625), "OTRF writes the channel in lower case");
        assert!(ev("", sec, 4625), "an export with only a provider name");
        assert!(ev("", "", 4625), "LANL wls and hand-made exports name neither");
        // ids below 1149 and 1149 itself mean something only in the TerminalServices logs
        let lsm = "Microsoft-Windows-TerminalServices-LocalSessionManager";
        assert!(ev(&format!("{lsm}/Operational"), lsm, 21));
        assert!(ev("", lsm, 21));
        assert!(!ev("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 22));
        assert!(!ev("", "", 21), "a session-manager id needs its channel");
        let rcm = "Microsoft-Windows-TerminalServices-RemoteConnectionManager";
        assert!(ev(&format!("{rcm}/Operational"), rcm, 1149));
        assert!(!ev("Application", "", 1149));
        assert!(!ev(&format!("{rcm}/Admin"), "", 1149));
        // 7045 is the Service Control Manager's, in the System log
        assert!(ev("System", "Service Control Manager", 7045));
        assert!(!ev("System", "Some-Other-Provider", 7045));
        assert!(!ev("", "", 7045));
    }

    #[test]
    fn lanl_wls() {
        let f = Fields::from_json(r##"{"UserName":"User1","EventID":4624,"LogHost":"Comp2","LogonID":"0x3e7","DomainName":"Domain001","LogonType":3,"AuthenticationPackage":"Kerberos","Source":"Comp1","Time":10}"##).unwrap();
        let e = interpret(
            &f,
            &RecordContext { fallback_time: None, lanl_start: Time(1_000_000), tz: None },
        )
        .unwrap()
        .unwrap();
        assert_eq!(e.time, Time(11_000_000));
        assert_eq!((e.src_host.as_deref(), e.dst_host.as_deref()), (Some("Comp1"), Some("Comp2")));
        assert_eq!(e.auth.as_deref(), Some("Kerberos"));
        assert_eq!(e.user.as_deref(), Some("User1"));
    }

    #[test]
    fn tampering_in_every_dialect() {
        // evtx's rendering (and evtx_dump): the subject under UserData/LogFileCleared
        let evtx = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Eventlog"}},"EventID":1102,"Channel":"Security","Computer":"th-app-02.corp","TimeCreated":{"#attributes":{"SystemTime":"2019-10-02T03:04:05Z"}}},"UserData":{"LogFileCleared":{"SubjectUserName":"mallory","SubjectDomainName":"CORP"}}}}"##;
        // Winlogbeat
        let beat = r##"{"@timestamp":"2019-10-02T03:04:05Z","winlog":{"event_id":104,"channel":"System","provider_name":"Microsoft-Windows-Eventlog","computer_name":"th-app-02.corp","user_data":{"SubjectUserName":"mallory","SubjectDomainName":"CORP","Channel":"System"}}}"##;
        // NXLog / OTRF, flat
        let nxlog = r##"{"EventID":4719,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing","Hostname":"th-app-02.corp","TimeCreated":"2019-10-02T03:04:05Z","SubjectUserName":"mallory","SubjectDomainName":"CORP","CategoryId":"%%8274"}"##;
        let stop = r##"{"EventID":1100,"Channel":"Security","SourceName":"Microsoft-Windows-Eventlog","Hostname":"th-app-02.corp","TimeCreated":"2019-10-02T03:04:05Z"}"##;
        for (j, id, user) in [
            (evtx, 1102, Some("mallory")),
            (beat, 104, Some("mallory")),
            (nxlog, 4719, Some("mallory")),
            (stop, 1100, None),
        ] {
            let e = run(j).unwrap_or_else(|| panic!("{id} is read"));
            assert_eq!(e.event_id, id);
            assert_eq!(e.orientation, Orientation::Tampering);
            assert_eq!(e.outcome, Outcome::Unknown);
            assert_eq!((e.src_host.as_deref(), e.src_ip.as_deref()), (None, None));
            assert_eq!(e.dst_host.as_deref(), Some("th-app-02.corp"));
            assert_eq!(e.user.as_deref(), user);
            assert_eq!(e.domain.is_some(), user.is_some());
            assert_eq!(e.time, Time::parse("2019-10-02T03:04:05Z").unwrap());
        }
    }

    #[test]
    fn tampering_ids_are_read_only_in_their_channel() {
        let ev = |channel: &str, provider: &str, id: u32| {
            let mut j = format!(
                r##"{{"EventID":{id},"Hostname":"WS6","TimeCreated":"2020-01-01T00:00:00Z""##
            );
            if !channel.is_empty() {
                j += &format!(r##","Channel":"{channel}""##);
            }
            if !provider.is_empty() {
                j += &format!(r##","SourceName":"{provider}""##);
            }
            run(&(j + "}")).is_some()
        };
        let eventlog = "Microsoft-Windows-Eventlog";
        assert!(ev("Security", eventlog, 1102));
        assert!(ev("Security", eventlog, 1100));
        assert!(ev("System", eventlog, 104));
        assert!(ev("Security", "Microsoft-Windows-Security-Auditing", 4719));
        assert!(ev("", "", 4719), "a Security id, read from exports that name no channel");
        // 104 is an Application/other provider's id elsewhere; 1102 in System is not a clearing
        assert!(!ev("Application", "SomeApp", 104));
        assert!(!ev("System", eventlog, 1102));
        assert!(!ev("Security", "Microsoft-Windows-Security-Auditing", 1102));
        assert!(!ev("", "", 1102), "the clearing needs its channel or provider named");
        assert!(!ev("", "", 104));
    }

    #[test]
    fn missing_pieces_are_problems_not_panics() {
        let f = Fields::from_json(r##"{"EventID":4624}"##).unwrap();
        assert!(interpret(&f, &RecordContext::default()).is_err());
        let f = Fields::from_json(r##"{"EventID":"x"}"##).unwrap();
        assert_eq!(
            interpret(&f, &RecordContext::default()).unwrap_err().kind,
            ProblemKind::BadValue
        );
        let f = Fields::from_json(r##"{"EventID":1}"##).unwrap();
        assert!(interpret(&f, &RecordContext::default()).unwrap().is_none());
    }
}
