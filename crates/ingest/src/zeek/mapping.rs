//! What each Zeek log row means in the event model (the table in `docs/formats-zeek.md`).
//!
//! Works on a [`Record`], so TSV and JSON mean the same thing. Every event carries what the
//! detection engine needs to merge it with the same hop seen by the host (time, both
//! addresses, the protocol in `auth`); the merge itself is the engine's.

use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, Time};

use super::record::{Field, Record};
use super::LogKind;
use crate::batch::RawEvent;
use crate::problems::{LineError, ProblemKind};
use crate::windows::mapping::is_admin_share;

/// What a row became.
#[derive(Debug)]
pub(crate) enum Mapped<'r> {
    Event(RawEvent<'r>),
    /// Not hop evidence (a conn row on another port, a dce_rpc call to another interface).
    Ignored,
}

/// The ports whose established connections are kept from conn.log, with the service label.
fn remote_access_port(port: u32) -> Option<&'static str> {
    Some(match port {
        22 => "ssh",
        3389 => "rdp",
        445 => "smb",
        135 => "dce_rpc",
        5985 | 5986 => "winrm",
        _ => return None,
    })
}

/// Zeek's `service` (`ssh`, `smb,gssapi,ntlm`, ...) naming a remote-access protocol, for
/// connections on other ports than the usual ones (sshd on 2222).
fn remote_access_service(service: &str) -> Option<&'static str> {
    service.split(',').find_map(|s| match s.trim() {
        "ssh" => Some("ssh"),
        "rdp" | "rdpeudp" => Some("rdp"),
        "smb" => Some("smb"),
        "dce_rpc" => Some("dce_rpc"),
        _ => None,
    })
}

/// A conn.log state in which the handshake completed: `S1`, `SF`, `S2`, `S3`, `RSTO`,
/// `RSTR`. `REJ`, `S0`, `SH`, `OTH` and the rest are scans and half-open attempts.
fn established(state: &str) -> bool {
    matches!(state, "S1" | "SF" | "S2" | "S3" | "RSTO" | "RSTR")
}

/// Whether payload moved: `D`/`d` in the history; when there is no history, non-zero
/// byte counts; when neither is logged, the state alone decides.
fn carried_data(rec: &Record<'_>) -> bool {
    if let Some(h) = rec.get(Field::History) {
        return h.bytes().any(|b| b == b'D' || b == b'd');
    }
    let bytes = |f| rec.get(f).and_then(|v: &str| v.parse::<u64>().ok());
    match (bytes(Field::OrigBytes), bytes(Field::RespBytes)) {
        (None, None) => true,
        (o, r) => o.unwrap_or(0) > 0 || r.unwrap_or(0) > 0,
    }
}

/// The DCE-RPC interfaces used to run code remotely, and the flag a call earns.
fn remote_execution(endpoint: &str, operation: Option<&str>) -> Option<EventFlags> {
    match endpoint {
        "svcctl" => Some(if operation.is_some_and(|o| o.starts_with("CreateService")) {
            EventFlags::SERVICE_INSTALL
        } else {
            EventFlags::default()
        }),
        "atsvc" | "ITaskSchedulerService" | "IWbemServices" | "IWbemLevel1Login" => {
            Some(EventFlags::default())
        }
        _ => None,
    }
}

/// Zeek booleans: `T`/`F` in TSV (JSON `true`/`false` arrive as the same).
fn boolean(rec: &Record<'_>, f: Field) -> Result<Option<bool>, LineError> {
    match rec.get(f) {
        None => Ok(None),
        Some("T") | Some("true") => Ok(Some(true)),
        Some("F") | Some("false") => Ok(Some(false)),
        Some(v) => Err(LineError::new(
            ProblemKind::BadValue,
            format!("{}: expected T or F, found {v:?}", f.name()),
        )),
    }
}

fn outcome(b: Option<bool>) -> Outcome {
    match b {
        Some(true) => Outcome::Success,
        Some(false) => Outcome::Failure,
        None => Outcome::Unknown,
    }
}

/// `DOMAIN\user` → (user, domain); anything else is a bare user.
fn split_backslash(a: &str) -> (&str, Option<&str>) {
    match a.split_once('\\') {
        Some((d, u)) => (u, Some(d).filter(|d| !d.is_empty())),
        None => (a, None),
    }
}

/// `\\HOST\SHARE` → (host, share). The host is `None` when the path is not of that shape.
fn share_path(p: &str) -> (Option<&str>, &str) {
    let share = p.rsplit('\\').next().unwrap_or(p);
    let host = p
        .strip_prefix("\\\\")
        .and_then(|r| r.split_once('\\'))
        .map(|(h, _)| h)
        .filter(|h| !h.is_empty());
    (host, share)
}

fn is_address(s: &str) -> bool {
    s.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok()
}

/// The masked form Zeek's test baselines write instead of real times.
pub(crate) const MASKED_TIME: &str = "XXXXXXXXXX.XXXXXX";

/// A Zeek `ts`: epoch seconds with a fraction (`1521911725.396014`, read exactly, not
/// through a float), integer epoch milliseconds (JSON `TS_MILLIS`), or ISO 8601
/// (`JSON::TS_ISO8601`).
pub(crate) fn parse_ts(s: &str) -> Result<Time, LineError> {
    let bad = |why: String| LineError::new(ProblemKind::BadTime, why);
    if s.bytes().all(|b| b == b'X' || b == b'.') {
        return Err(bad(format!(
            "masked timestamp {s:?} (Zeek test baselines hide times this way)"
        )));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let is_epoch = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if !is_epoch {
        return Time::parse(s).map_err(|e| bad(format!("ts: {e}")));
    }
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || int.len() > 15 || frac.contains('.') {
        return Err(bad(format!("ts: not epoch seconds: {s:?}")));
    }
    let whole: i64 = int.parse().map_err(|_| bad(format!("ts: not epoch seconds: {s:?}")))?;
    let micros = if frac.is_empty() && whole >= 100_000_000_000 {
        // no fraction and beyond year 5138 as seconds: milliseconds
        whole.saturating_mul(1000)
    } else {
        let mut us: i64 = 0;
        for i in 0..6 {
            us = us * 10 + frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        }
        whole.saturating_mul(1_000_000).saturating_add(us)
    };
    Ok(Time(if neg { -micros } else { micros }))
}

/// Interpret one row of a log of type `kind`.
pub(crate) fn map<'r>(kind: LogKind, rec: &'r Record<'_>) -> Result<Mapped<'r>, LineError> {
    // cheap relevance tests first: conn.log is most of the volume and most of it is ignored
    let mut service = None;
    let mut flags = EventFlags::default();
    match kind {
        LogKind::Conn => {
            if rec.get(Field::Proto).is_some_and(|p| p != "tcp") {
                return Ok(Mapped::Ignored);
            }
            service =
                rec.get(Field::RespP).and_then(|p| p.parse().ok()).and_then(remote_access_port);
            if service.is_none() {
                service = rec.get(Field::Service).and_then(remote_access_service);
            }
            let Some(state) = rec.get(Field::ConnState) else { return Ok(Mapped::Ignored) };
            if service.is_none() || !established(state) || !carried_data(rec) {
                return Ok(Mapped::Ignored);
            }
        }
        LogKind::DceRpc => match rec
            .get(Field::Endpoint)
            .and_then(|e| remote_execution(e, rec.get(Field::Operation)))
        {
            Some(f) => flags = f,
            None => return Ok(Mapped::Ignored),
        },
        LogKind::Other => return Ok(Mapped::Ignored),
        _ => {}
    }

    let missing: Vec<&str> = [Field::Ts, Field::OrigH, Field::RespH]
        .into_iter()
        .filter(|f| !rec.has(*f))
        .map(Field::name)
        .collect();
    if !missing.is_empty() {
        return Err(LineError::new(
            ProblemKind::Truncated,
            format!(
                "{} row without {}: hopscope needs ts, id.orig_h and id.resp_h",
                kind.name(),
                missing.join(", ")
            ),
        ));
    }
    let time = parse_ts(rec.get(Field::Ts).unwrap_or_default())?;
    let mut e = RawEvent {
        time,
        src_ip: rec.get(Field::OrigH),
        dst_ip: rec.get(Field::RespH),
        orientation: Orientation::LogOn,
        logon_type: LogonType::Network,
        flags,
        ..Default::default()
    };
    match kind {
        LogKind::Conn => {
            e.auth = service;
            e.logon_type = match service {
                Some("ssh") | Some("rdp") => LogonType::RemoteInteractive,
                _ => LogonType::Network,
            };
            e.flags.insert(EventFlags::NETWORK_ONLY);
        }
        LogKind::Ssh => {
            e.auth = Some("ssh");
            e.logon_type = LogonType::RemoteInteractive;
            let ok = boolean(rec, Field::AuthSuccess)?;
            e.outcome = outcome(ok);
            if ok.is_none() {
                // Zeek could not tell whether authentication happened: a connection attempt
                e.flags.insert(EventFlags::NETWORK_ONLY);
            }
        }
        LogKind::Rdp => {
            e.auth = Some("rdp");
            e.logon_type = LogonType::RemoteInteractive;
            e.outcome = match rec.get(Field::Result) {
                Some("Success") => Outcome::Success,
                // CredSSP/TLS hide the rest of the session from Zeek
                None | Some("encrypted") | Some("Unknown") => Outcome::Unknown,
                // negotiation failures: SSL_NOT_ALLOWED_BY_SERVER, HYBRID_REQUIRED_BY_SERVER, ...
                Some(_) => Outcome::Failure,
            };
            // the cookie is what the client typed as its user name (mstsc truncates it to
            // 9 characters; anyone can send anything): a hint, kept as the source-side account
            if let Some(c) = rec.get(Field::Cookie) {
                let (u, d) = split_backslash(c.trim());
                e.src_user = Some(u).filter(|u| !u.is_empty());
                e.src_domain = d;
            }
        }
        LogKind::Ntlm => {
            e.auth = Some("ntlm");
            let user = rec.get(Field::Username);
            let mut domain = rec.get(Field::Domainname);
            e.user = user;
            if domain.is_none() {
                if let Some((u, d)) = user.and_then(|u| u.rsplit_once('@')) {
                    e.user = Some(u);
                    domain = Some(d);
                }
            }
            e.domain = domain;
            // the client's workstation name as it sent it; "NULL" is a tool's placeholder
            e.src_host = rec.get(Field::Hostname).filter(|h| !h.eq_ignore_ascii_case("NULL"));
            e.dst_host = rec.get(Field::ServerNbComputerName);
            let ok = match boolean(rec, Field::Success)? {
                Some(b) => Some(b),
                None => rec.get(Field::Status).map(|s| s.eq_ignore_ascii_case("SUCCESS")),
            };
            e.outcome = outcome(ok);
            if ok.is_none() && user.is_none() {
                // a challenge seen, no authentication: an NTLM exchange, not a login
                e.flags.insert(EventFlags::NETWORK_ONLY);
            }
        }
        LogKind::Kerberos => {
            e.auth = Some("kerberos");
            e.orientation = match rec.get(Field::RequestType) {
                Some("AS") => Orientation::Tgt,
                Some("TGS") => Orientation::Tgs,
                Some("AP") => Orientation::LogOn,
                _ => Orientation::Unknown,
            };
            if let Some(c) = rec.get(Field::Client) {
                // `user/REALM`; the user part may itself hold a `/` (host/name)
                let (u, realm) = c.rsplit_once('/').unwrap_or((c, ""));
                e.user = Some(u).filter(|u| !u.is_empty());
                e.domain = Some(realm).filter(|r| !r.is_empty() && e.user.is_some());
            }
            e.outcome = outcome(boolean(rec, Field::Success)?);
        }
        LogKind::SmbMapping => {
            e.auth = Some("smb");
            if let Some(p) = rec.get(Field::SharePath) {
                let (host, share) = share_path(p);
                e.dst_host = host.filter(|h| !is_address(h));
                if is_admin_share(share) {
                    e.flags.insert(EventFlags::ADMIN_SHARE);
                }
            }
        }
        LogKind::DceRpc => {
            e.auth = Some("dce_rpc");
        }
        LogKind::Other => return Ok(Mapped::Ignored),
    }
    Ok(Mapped::Event(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn rec(pairs: &[(Field, &'static str)]) -> Record<'static> {
        let mut r = Record::default();
        for (f, v) in pairs {
            r.set(*f, Cow::Borrowed(v));
        }
        r
    }

    fn base(extra: &[(Field, &'static str)]) -> Record<'static> {
        let mut v = vec![
            (Field::Ts, "1521911799.739898"),
            (Field::OrigH, "10.0.0.227"),
            (Field::RespH, "10.47.8.50"),
        ];
        v.extend_from_slice(extra);
        rec(&v)
    }

    fn event<'r>(kind: LogKind, r: &'r Record<'_>) -> RawEvent<'r> {
        match map(kind, r).unwrap() {
            Mapped::Event(e) => e,
            Mapped::Ignored => panic!("ignored"),
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_ts("1521911725.396014").unwrap(), Time(1_521_911_725_396_014));
        assert_eq!(parse_ts("1521911725.3").unwrap(), Time(1_521_911_725_300_000));
        assert_eq!(parse_ts("1521911725").unwrap(), Time(1_521_911_725_000_000));
        assert_eq!(parse_ts("1521911725396").unwrap(), Time(1_521_911_725_396_000));
        assert_eq!(parse_ts("-0.400000").unwrap(), Time(-400_000));
        assert_eq!(parse_ts("2018-03-24T17:15:25.396014Z").unwrap(), Time(1_521_911_725_396_014));
        for bad in ["XXXXXXXXXX.XXXXXX", "1.2.3", "", "-", "abc", "99999999999999999999.1", "."] {
            assert_eq!(parse_ts(bad).unwrap_err().kind, ProblemKind::BadTime, "{bad}");
        }
        assert!(parse_ts(MASKED_TIME).unwrap_err().message.contains("masked"));
    }

    #[test]
    fn ssh_outcomes() {
        let r = base(&[(Field::AuthSuccess, "T"), (Field::AuthAttempts, "3")]);
        let e = event(LogKind::Ssh, &r);
        assert_eq!(
            (e.outcome, e.logon_type, e.auth, e.flags),
            (Outcome::Success, LogonType::RemoteInteractive, Some("ssh"), EventFlags::default())
        );
        assert_eq!((e.src_ip, e.dst_ip, e.user), (Some("10.0.0.227"), Some("10.47.8.50"), None));
        let r = base(&[(Field::AuthSuccess, "F")]);
        assert_eq!(event(LogKind::Ssh, &r).outcome, Outcome::Failure);
        let r = base(&[]);
        let e = event(LogKind::Ssh, &r);
        assert_eq!((e.outcome, e.flags), (Outcome::Unknown, EventFlags::NETWORK_ONLY));
        let r = base(&[(Field::AuthSuccess, "maybe")]);
        assert_eq!(map(LogKind::Ssh, &r).unwrap_err().kind, ProblemKind::BadValue);
    }

    #[test]
    fn missing_fields_and_bad_time_are_problems() {
        let r = rec(&[(Field::Ts, "1.0"), (Field::OrigH, "1.2.3.4")]);
        let err = map(LogKind::Ssh, &r).unwrap_err();
        assert_eq!(err.kind, ProblemKind::Truncated);
        assert!(err.message.contains("id.resp_h"), "{}", err.message);
        let r =
            rec(&[(Field::Ts, MASKED_TIME), (Field::OrigH, "1.2.3.4"), (Field::RespH, "1.2.3.5")]);
        assert_eq!(map(LogKind::Rdp, &r).unwrap_err().kind, ProblemKind::BadTime);
    }

    #[test]
    fn rdp_cookie_is_a_source_side_hint() {
        let r = base(&[(Field::Cookie, "FTBCO\\A70"), (Field::Result, "Success")]);
        let e = event(LogKind::Rdp, &r);
        assert_eq!(
            (e.src_user, e.src_domain, e.user, e.outcome),
            (Some("A70"), Some("FTBCO"), None, Outcome::Success)
        );
        let r = base(&[(Field::Cookie, "JOHN-PC  "), (Field::Result, "SSL_NOT_ALLOWED_BY_SERVER")]);
        let e = event(LogKind::Rdp, &r);
        assert_eq!((e.src_user, e.outcome), (Some("JOHN-PC"), Outcome::Failure));
        let r = base(&[(Field::Result, "encrypted")]);
        let e = event(LogKind::Rdp, &r);
        assert_eq!(
            (e.src_user, e.outcome, e.flags),
            (None, Outcome::Unknown, EventFlags::default())
        );
    }

    #[test]
    fn ntlm_and_kerberos_accounts() {
        let r = base(&[
            (Field::Username, "Administrator"),
            (Field::Domainname, "JERRY"),
            (Field::Hostname, "NULL"),
            (Field::ServerNbComputerName, "SNOZBERRY"),
            (Field::Success, "T"),
        ]);
        let e = event(LogKind::Ntlm, &r);
        assert_eq!(
            (e.user, e.domain, e.src_host, e.dst_host, e.outcome),
            (Some("Administrator"), Some("JERRY"), None, Some("SNOZBERRY"), Outcome::Success)
        );
        let r = base(&[(Field::Username, "sasladmin@slapd.ldap")]);
        let e = event(LogKind::Ntlm, &r);
        assert_eq!(
            (e.user, e.domain, e.outcome, e.flags),
            (Some("sasladmin"), Some("slapd.ldap"), Outcome::Unknown, EventFlags::default())
        );
        let r = base(&[(Field::ServerNbComputerName, "SATURN")]);
        assert_eq!(event(LogKind::Ntlm, &r).flags, EventFlags::NETWORK_ONLY);
        let r = base(&[(Field::Status, "SUCCESS"), (Field::Username, "bob")]);
        assert_eq!(event(LogKind::Ntlm, &r).outcome, Outcome::Success);

        let r = base(&[
            (Field::Client, "host/web01/TEST.LOCAL"),
            (Field::RequestType, "TGS"),
            (Field::Success, "F"),
        ]);
        let e = event(LogKind::Kerberos, &r);
        assert_eq!(
            (e.user, e.domain, e.orientation, e.outcome),
            (Some("host/web01"), Some("TEST.LOCAL"), Orientation::Tgs, Outcome::Failure)
        );
        let r = base(&[(Field::Client, "/NM"), (Field::RequestType, "AS")]);
        let e = event(LogKind::Kerberos, &r);
        assert_eq!((e.user, e.domain, e.orientation), (None, None, Orientation::Tgt));
    }

    #[test]
    fn smb_shares_and_dce_rpc_calls() {
        let r = base(&[(Field::SharePath, "\\\\SNOZBERRY\\admin$")]);
        let e = event(LogKind::SmbMapping, &r);
        assert_eq!(
            (e.dst_host, e.flags, e.auth),
            (Some("SNOZBERRY"), EventFlags::ADMIN_SHARE, Some("smb"))
        );
        let r = base(&[(Field::SharePath, "\\\\10.47.21.25\\C$")]);
        let e = event(LogKind::SmbMapping, &r);
        assert_eq!((e.dst_host, e.flags), (None, EventFlags::ADMIN_SHARE));
        let r = base(&[(Field::SharePath, "\\\\WS2016\\encrypted")]);
        assert_eq!(event(LogKind::SmbMapping, &r).flags, EventFlags::default());

        let r = base(&[(Field::Endpoint, "svcctl"), (Field::Operation, "CreateServiceW")]);
        assert_eq!(event(LogKind::DceRpc, &r).flags, EventFlags::SERVICE_INSTALL);
        let r = base(&[
            (Field::Endpoint, "ITaskSchedulerService"),
            (Field::Operation, "SchRpcRegisterTask"),
        ]);
        assert_eq!(event(LogKind::DceRpc, &r).auth, Some("dce_rpc"));
        let r = base(&[(Field::Endpoint, "samr"), (Field::Operation, "SamrConnect2")]);
        assert!(matches!(map(LogKind::DceRpc, &r).unwrap(), Mapped::Ignored));
    }

    #[test]
    fn conn_keeps_established_remote_access_only() {
        let conn = |p: &'static str, st: &'static str, hist: &'static str| {
            base(&[
                (Field::Proto, "tcp"),
                (Field::RespP, p),
                (Field::ConnState, st),
                (Field::History, hist),
            ])
        };
        let r = conn("22", "SF", "ShADadFf");
        let e = event(LogKind::Conn, &r);
        assert_eq!(
            (e.auth, e.flags, e.logon_type),
            (Some("ssh"), EventFlags::NETWORK_ONLY, LogonType::RemoteInteractive)
        );
        let r = conn("445", "RSTO", "ShADdR");
        assert_eq!(event(LogKind::Conn, &r).auth, Some("smb"));
        for (p, st, h) in [
            ("80", "SF", "ShADadFf"),
            ("22", "REJ", "Sr"),
            ("22", "S0", "S"),
            ("3389", "SF", "ShAFf"),
            ("5985", "OTH", "D"),
        ] {
            let r = conn(p, st, h);
            assert!(matches!(map(LogKind::Conn, &r).unwrap(), Mapped::Ignored), "{p} {st} {h}");
        }
        // sshd on another port, recognised by Zeek's protocol detection
        let r = base(&[
            (Field::RespP, "2200"),
            (Field::Service, "ssh"),
            (Field::ConnState, "SF"),
            (Field::History, "ShADadFf"),
        ]);
        assert_eq!(event(LogKind::Conn, &r).auth, Some("ssh"));
        // no history: byte counts decide
        let r = base(&[
            (Field::RespP, "5986"),
            (Field::ConnState, "S1"),
            (Field::OrigBytes, "0"),
            (Field::RespBytes, "0"),
        ]);
        assert!(matches!(map(LogKind::Conn, &r).unwrap(), Mapped::Ignored));
        let r = base(&[(Field::RespP, "5986"), (Field::ConnState, "S1"), (Field::OrigBytes, "10")]);
        assert_eq!(event(LogKind::Conn, &r).auth, Some("winrm"));
        // masked time on an ignored row is not looked at
        let r = rec(&[(Field::Ts, MASKED_TIME), (Field::RespP, "53"), (Field::ConnState, "SF")]);
        assert!(matches!(map(LogKind::Conn, &r).unwrap(), Mapped::Ignored));
    }
}
