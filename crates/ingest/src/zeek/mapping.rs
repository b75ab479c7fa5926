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

/// A Zeek `ts`, read exactly (never through a float): epoch seconds with a fraction
/// (`1521911725.396014`, Zeek's default `JSON::TS_EPOCH` and every TSV log), also in exponent
/// form (`1.521911725396014e9`, as pipelines that re-serialise floats write); integer epoch
/// milliseconds (`JSON::TS_MILLIS`: a whole number of 12 digits or more, which as seconds
/// would be past year 5138); or ISO 8601 with a zone (`JSON::TS_ISO8601` writes `Z`).
/// Anything else is a `bad-time` problem, never a guessed time: an ISO time without a zone
/// (the zone cannot be known), a bare date, `nan`, `inf`, a masked baseline time, a value
/// beyond ±292,000 years (a time past year 9999 is refused later, as for every format). Sub-microsecond digits are truncated, as EVTX's 100 ns are.
pub(crate) fn parse_ts(s: &str) -> Result<Time, LineError> {
    let bad = |why: String| LineError::new(ProblemKind::BadTime, why);
    if s.bytes().all(|b| b == b'X' || b == b'.') {
        return Err(bad(format!(
            "masked timestamp {s:?} (Zeek test baselines hide times this way)"
        )));
    }
    if let Some(t) = epoch(s) {
        return t.ok_or_else(|| {
            let when = if s.starts_with('-') { "before year 0000" } else { "after year 9999" };
            bad(format!("ts: {s:?} is {when}: beyond what RFC 3339 can write"))
        });
    }
    use jiff::fmt::temporal::Pieces;
    match Pieces::parse(s.trim()) {
        Ok(p) if p.offset().is_none() => Err(bad(format!(
            "ts: {s:?} names no zone (Zeek writes ISO times in UTC with Z); its instant cannot be known"
        ))),
        Ok(_) => Time::parse(s).map_err(|e| bad(format!("ts: {e}"))),
        Err(_) => Err(bad(format!(
            "ts: not a time: {s:?} (expected epoch seconds such as 1521911725.396014, epoch milliseconds, or ISO 8601 with a zone)"
        ))),
    }
}

/// `Some(Some(t))` for a decimal number `[-]digits[.digits][e[+|-]digits]` (epoch seconds, or
/// milliseconds for a plain whole number of 12 digits or more); `Some(None)` when it is such
/// a number but out of range; `None` when it is not a number.
fn epoch(s: &str) -> Option<Option<Time>> {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let exp: i64 = match exp {
        None => 0,
        Some(e) => {
            let body = e.strip_prefix(['+', '-']).unwrap_or(e);
            if body.is_empty() || !digits(body) {
                return None;
            }
            // an exponent this long moves every digit out of range (or to zero)
            let v: i64 = body.get(..body.len().min(6))?.parse().ok()?;
            let v = if body.len() > 6 { 1_000_000 } else { v };
            if e.starts_with('-') {
                -v
            } else {
                v
            }
        }
    };
    let plain_whole = frac.is_empty() && exp == 0 && !mantissa.contains('.');
    let int = int.trim_start_matches('0');
    // milliseconds: a whole number of at least 12 digits (as seconds, past year 5138)
    let unit_exp = if plain_whole && int.len() >= 12 { 3 } else { 6 };
    // the value in microseconds is int.frac × 10^(exp + unit_exp - frac.len())
    let shift = exp + unit_exp;
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    if all.iter().all(|b| *b == b'0') {
        return Some(Some(Time(0)));
    }
    // how many of the digits stand before the microseconds' decimal point
    let keep = int.len() as i64 + shift;
    let mut us: i64 = 0;
    if keep > 0 {
        for i in 0..keep {
            let d = all.get(i as usize).map_or(0, |b| i64::from(b - b'0'));
            us = match us.checked_mul(10).and_then(|v| v.checked_add(d)) {
                Some(v) => v,
                None => return Some(None),
            };
        }
    }
    Some(Some(Time(if neg { -us } else { us })))
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
    fn every_way_zeek_and_its_pipelines_write_ts() {
        let t = Time(1_521_911_725_396_014);
        for ok in [
            "1521911725.396014",
            "1521911725.3960149",  // beyond the microsecond: truncated
            "1.521911725396014e9", // a float re-serialised
            "1.521911725396014E+9",
            "1521911725396014e-6",
            "2018-03-24T17:15:25.396014Z",
            "2018-03-24T19:15:25.396014+02:00",
        ] {
            assert_eq!(parse_ts(ok).unwrap(), t, "{ok}");
        }
        assert_eq!(parse_ts("1521911725396").unwrap(), Time(1_521_911_725_396_000));
        assert_eq!(parse_ts("-1.5").unwrap(), Time(-1_500_000));
        assert_eq!(parse_ts("0e999999").unwrap(), Time(0));
        // a decimal point says seconds, however many digits
        assert_eq!(parse_ts("100000000000.").unwrap(), Time(100_000_000_000_000_000));
        for bad in [
            "2018-03-24T17:15:25.396014", // no zone: its instant cannot be known
            "2018-03-24 17:15:25",
            "2018-03-24",
            "nan",
            "NaN",
            "-nan",
            "inf",
            "-inf",
            "Infinity",
            "1e400",
            "-1e400",
            "9223372036854.775808",
            "99999999999999999999.1",
            "1e",
            "e5",
            "1.5e+",
            "0x5f",
            "+1521911725",
            " 1521911725",
        ] {
            let e = parse_ts(bad).unwrap_err();
            assert_eq!(e.kind, ProblemKind::BadTime, "{bad}");
        }
        assert!(parse_ts("2018-03-24T17:15:25").unwrap_err().message.contains("no zone"));
        assert!(parse_ts("1e400").unwrap_err().message.contains("after year 9999"));
        assert!(parse_ts("-1e400").unwrap_err().message.contains("before year 0000"));
    }

    /// Epoch seconds as Zeek writes them (`%.6f`).
    fn zeek_seconds(us: i64) -> String {
        let sign = if us < 0 { "-" } else { "" };
        let a = us.unsigned_abs();
        format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
    }

    proptest::proptest! {
        #[test]
        fn ts_round_trips_in_every_form(us in Time::FIRST_WRITABLE.0..=Time::LAST_WRITABLE.0) {
            let t = Time(us);
            proptest::prop_assert_eq!(parse_ts(&zeek_seconds(us)).unwrap(), t);
            // the same number with its point moved into an exponent
            let s = zeek_seconds(us).replace('.', "");
            proptest::prop_assert_eq!(parse_ts(&format!("{s}e-6")).unwrap(), t);
            proptest::prop_assert_eq!(parse_ts(&t.to_rfc3339()).unwrap(), t);
            if us % 1000 == 0 && us >= 100_000_000_000_000 {
                // JSON::TS_MILLIS
                proptest::prop_assert_eq!(parse_ts(&(us / 1000).to_string()).unwrap(), t);
            }
        }

        #[test]
        fn ts_never_panics_and_never_reads_a_zoneless_time(s in "[-+0-9.eETZ:nainf ]{0,40}") {
            let got = parse_ts(&s);
            if let Ok(t) = got {
                // whatever was read is a number or an instant that names its zone
                let zoneless = s.trim().parse::<jiff::civil::DateTime>().is_ok()
                    || s.trim().parse::<jiff::civil::Date>().is_ok();
                proptest::prop_assert!(!zoneless || s.trim().parse::<jiff::Timestamp>().is_ok(), "{s:?} read as {t:?}");
            }
        }
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
