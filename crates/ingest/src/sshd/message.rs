//! The text of one sshd or dropbear message → an authentication fact, without allocating.
//!
//! User names, and the free text sshd appends after a login, can hold anything an attacker
//! types, including ` from 10.0.0.1 port 22 ssh2`. Where sshd's format allows it the
//! address is therefore taken from the position the format fixes (the first ` from ADDR`
//! that is followed by what sshd writes after an address), not from the first or last
//! ` from ` in the line.

use std::net::IpAddr;

use crate::problems::{LineError, ProblemKind};

/// What an authentication message says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Act {
    Accepted,
    Failed,
    /// Disconnect or connection close: the end of a session or of an attempt.
    Closed,
}

/// Where the peer came from, as the message writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer<'a> {
    Ip(&'a str),
    Host(&'a str),
}

/// One authentication fact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Auth<'a> {
    pub act: Act,
    pub user: Option<&'a str>,
    /// The method as sshd spells it (`password`, `publickey`, `keyboard-interactive/pam`).
    pub method: Option<&'a str>,
    pub peer: Option<Peer<'a>>,
    pub invalid_user: bool,
    /// How many times the message stands for (`message repeated N times: [ ... ]`).
    pub repeat: u32,
}

impl<'a> Auth<'a> {
    fn new(act: Act) -> Auth<'a> {
        Auth { act, user: None, method: None, peer: None, invalid_user: false, repeat: 1 }
    }
}

/// An sshd message: an authentication fact, or `None` for anything else sshd says.
pub(crate) type Parsed<'a> = Result<Option<Auth<'a>>, LineError>;

fn err(kind: ProblemKind, msg: impl Into<String>) -> LineError {
    LineError::new(kind, msg)
}

/// Classify an address token: an IP, a host name, or neither (an error).
pub(crate) fn peer(tok: &str) -> Result<Peer<'_>, LineError> {
    let bare = tok.trim_start_matches('[').trim_end_matches(']');
    let bare = bare.split('%').next().unwrap_or(bare);
    if bare.parse::<IpAddr>().is_ok() {
        return Ok(Peer::Ip(tok));
    }
    // a host name (UseDNS, PAM rhost): letters, digits, '-', '.', '_', at least one
    // non-digit label character; all-numeric dotted strings (`192.030.0.6`) and anything
    // with ':' are malformed addresses, not names
    let b = tok.as_bytes();
    let name_chars = b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_'));
    let has_alpha = b.iter().any(|c| c.is_ascii_alphabetic() || *c == b'-' || *c == b'_');
    if !b.is_empty() && b.len() <= 253 && name_chars && has_alpha {
        return Ok(Peer::Host(tok));
    }
    Err(err(ProblemKind::BadAddress, format!("not an IP address or host name: {tok:?}")))
}

fn user(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `invalid user X` / `illegal user X` / `X`.
fn maybe_invalid(s: &str) -> (&str, bool) {
    match s.strip_prefix("invalid user ").or_else(|| s.strip_prefix("illegal user ")) {
        Some(u) => (u, true),
        None => (s, false),
    }
}

fn skip_port(s: &str) -> &str {
    if let Some(r) = s.strip_prefix(" port ") {
        let n = r.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            return &r[n..];
        }
    }
    s
}

/// True when `rest` is what sshd writes after an address: nothing, ` port N`, ` sshN`,
/// `: info`, ` [preauth]`, or ` via ADDR` (macOS PAM).
fn ends_address(rest: &str) -> bool {
    let r = skip_port(rest);
    let r = match r.strip_prefix(" ssh") {
        Some(p) => p.trim_start_matches(|c: char| c.is_ascii_digit()),
        None => r,
    };
    r.is_empty() || r.starts_with(": ") || r == ":" || r == " [preauth]" || r.starts_with(" via ")
}

/// `USER from ADDR[ port N][ sshN][: info]` → (user part, address token). The first
/// ` from ` whose address is followed by what sshd writes there wins; `None` when the text
/// has no ` from ` at all.
fn user_from(s: &str) -> Option<(&str, &str)> {
    let mut fallback = None;
    let mut at = 0;
    while let Some(i) = s[at..].find(" from ").map(|i| i + at) {
        let tail = &s[i + 6..];
        let end = memchr::memchr(b' ', tail.as_bytes()).unwrap_or(tail.len());
        let (addr, after) = (&tail[..end], &tail[end..]);
        let addr = addr.strip_suffix(':').filter(|_| after.is_empty()).unwrap_or(addr);
        if ends_address(after) {
            return Some((&s[..i], addr));
        }
        fallback.get_or_insert((&s[..i], addr));
        at = i + 6;
    }
    fallback
}

/// `Accepted|Failed METHOD for USER from ADDR ...` after the verb. The method is one word;
/// other messages that start with the verb (`Accepted key RSA ... found at`, `Failed to
/// ...`) are not this one.
fn method_for_user_from<'a>(act: Act, s: &'a str, whole: &str) -> Parsed<'a> {
    let Some((method, rest)) = s.split_once(' ') else { return Ok(None) };
    let Some(rest) = rest.strip_prefix("for ") else { return Ok(None) };
    let Some((who, addr)) = user_from(rest) else {
        return Err(err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {whole:?}")));
    };
    let (name, invalid) = maybe_invalid(who);
    let (name, invalid) = if name == "<invalid username>" { ("", true) } else { (name, invalid) };
    Ok(Some(Auth {
        user: user(name),
        method: Some(method),
        peer: Some(peer(addr)?),
        invalid_user: invalid,
        ..Auth::new(act)
    }))
}

/// The peer at the end of a close message: `[... user X ]ADDR[ port N][ [preauth]]`,
/// returning the part before the address.
fn trailing_peer(s: &str) -> Result<(&str, Peer<'_>), LineError> {
    let s = s.strip_suffix(" [preauth]").unwrap_or(s).trim_end();
    let s = match s.rfind(" port ") {
        Some(i) if s[i + 6..].bytes().all(|c| c.is_ascii_digit()) && i + 6 < s.len() => &s[..i],
        _ => s,
    };
    let (before, tok) = match s.rfind(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => ("", s),
    };
    Ok((before, peer(tok)?))
}

/// `[authenticating |invalid ]user NAME` before a peer.
fn closing_user(before: &str) -> (Option<&str>, bool) {
    if let Some(u) = before.strip_prefix("invalid user ") {
        return (user(u.trim()), true);
    }
    let b = before.strip_prefix("authenticating ").unwrap_or(before);
    match b.strip_prefix("user ") {
        Some(u) => (user(u.trim()), false),
        None => (None, false),
    }
}

fn closed<'a>(before: &'a str, p: Peer<'a>) -> Auth<'a> {
    let (u, invalid) = closing_user(before);
    Auth { user: u, peer: Some(p), invalid_user: invalid, ..Auth::new(Act::Closed) }
}

/// `... authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=ADDR  user=NAME`.
fn pam_failure(s: &str) -> Parsed<'_> {
    let Some(r) = s.find(" rhost=").map(|i| &s[i..]) else {
        return Err(err(ProblemKind::Truncated, format!("PAM failure without rhost=: {s:?}")));
    };
    // the user field is the first " user=" after the first " rhost="; the rhost is the last
    // " rhost=" before it (values can hold spaces when an attacker injects them)
    let (hosts, name) = match r.find(" user=") {
        Some(i) => (&r[..i], Some(r[i + 6..].trim())),
        None => (r, None),
    };
    let host = &hosts[hosts.rfind(" rhost=").unwrap_or(0) + 7..];
    let host = host.split(' ').next().unwrap_or("");
    let ruser = s.find(" ruser=").map(|i| &s[i + 7..]).and_then(|r| r.split(' ').next());
    let name = name.filter(|n| !n.is_empty()).or(ruser.filter(|r| !r.is_empty()));
    let peer = if host.is_empty() { None } else { Some(peer(host)?) };
    Ok(Some(Auth { user: name, peer, ..Auth::new(Act::Failed) }))
}

/// `error: PAM: Authentication failure for [illegal user ]X from HOST[ via IP]`.
fn pam_error(s: &str) -> Parsed<'_> {
    let Some((_, rest)) = s.split_once(" for ") else { return Ok(None) };
    let Some((who, addr)) = user_from(rest) else {
        return Err(err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")));
    };
    let (name, invalid) = maybe_invalid(who);
    Ok(Some(Auth {
        user: user(name),
        peer: Some(peer(addr)?),
        invalid_user: invalid,
        ..Auth::new(Act::Failed)
    }))
}

/// `'name'` → `name`.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let r = s.strip_prefix('\'')?;
    let end = r.find('\'')?;
    Some((&r[..end], &r[end + 1..]))
}

/// dropbear `ADDR:PORT`, optionally in `<>`.
fn dropbear_peer(tok: &str) -> Result<Peer<'_>, LineError> {
    let t = tok.trim_start_matches('<').trim_end_matches(['>', ':']);
    let t = match t.rfind(':') {
        Some(i) if i + 1 < t.len() && t[i + 1..].bytes().all(|c| c.is_ascii_digit()) => &t[..i],
        _ => t,
    };
    peer(t)
}

/// dropbear messages. `s` starts with a capital or lower-case letter.
fn dropbear(s: &str) -> Parsed<'_> {
    fn from(s: &str) -> Option<&str> {
        let i = s.rfind(" from ")?;
        s[i + 6..].split(' ').next()
    }
    // dropbear has written these both capitalised and not
    let lower_first = |p: &str| {
        let (b, q) = (s.as_bytes(), p.as_bytes());
        b.len() >= q.len() && b[0].eq_ignore_ascii_case(&q[0]) && b[1..].starts_with(&q[1..])
    };
    if let Some(r) = s
        .strip_prefix("Password auth succeeded for ")
        .or_else(|| s.strip_prefix("Pubkey auth succeeded for "))
    {
        let method = if s.starts_with("Password") { "password" } else { "publickey" };
        let (name, _) = quoted(r).unwrap_or(("", r));
        let addr = from(r)
            .ok_or_else(|| err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")))?;
        return Ok(Some(Auth {
            user: user(name),
            method: Some(method),
            peer: Some(dropbear_peer(addr)?),
            ..Auth::new(Act::Accepted)
        }));
    }
    if lower_first("Bad password attempt for ") || lower_first("Bad PAM password attempt for ") {
        let r = &s[s.find(" for ").unwrap_or(0) + 5..];
        let (name, _) = quoted(r).unwrap_or(("", r));
        let addr = from(r)
            .ok_or_else(|| err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")))?;
        return Ok(Some(Auth {
            user: user(name),
            method: Some("password"),
            peer: Some(dropbear_peer(addr)?),
            ..Auth::new(Act::Failed)
        }));
    }
    if lower_first("Login attempt for nonexistent user") {
        let r = &s["Login attempt for nonexistent user".len()..];
        let name = r.strip_prefix(' ').and_then(quoted).map(|(n, _)| n);
        let addr = from(r)
            .ok_or_else(|| err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")))?;
        return Ok(Some(Auth {
            user: name.and_then(user),
            peer: Some(dropbear_peer(addr)?),
            invalid_user: true,
            ..Auth::new(Act::Failed)
        }));
    }
    if let Some(r) = s.strip_prefix("Exit before auth") {
        // "Exit before auth (user 'root', 10 fails): Max auth tries reached - user 'root' from A:P"
        // "Exit before auth from <A:P>: (user 'root', 10 fails): Max auth tries reached - user 'root'"
        // "Exit before auth from <A:P>: Max auth tries reached - user 'is invalid'"
        let addr = match r.strip_prefix(" from ") {
            Some(a) => a.split(' ').next(),
            None => from(r),
        };
        let Some(addr) = addr else { return Ok(None) };
        let peer = dropbear_peer(addr)?;
        let named = r.find("(user ").and_then(|i| quoted(&r[i + 6..]));
        let fails = named
            .and_then(|(_, after)| after.strip_prefix(", "))
            .and_then(|a| a.split(' ').next())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        let tail_user = r.rfind("- user ").and_then(|i| quoted(&r[i + 7..])).map(|(n, _)| n);
        let max_tries = r.contains("Max auth tries reached");
        let invalid = tail_user == Some("is invalid");
        let name = named.map(|(n, _)| n).or(tail_user.filter(|_| !invalid));
        let act = if fails > 0 || max_tries { Act::Failed } else { Act::Closed };
        return Ok(Some(Auth {
            user: name.and_then(user),
            peer: Some(peer),
            invalid_user: invalid,
            ..Auth::new(act)
        }));
    }
    if let Some(r) = s.strip_prefix("Exit (") {
        // "Exit (root) from <A:P>: Disconnect received" / "Exit (root): ..."
        let Some(end) = r.find(')') else { return Ok(None) };
        let name = &r[..end];
        let Some(addr) = r[end..].strip_prefix(") from ").and_then(|a| a.split(' ').next()) else {
            return Ok(None);
        };
        return Ok(Some(Auth {
            user: user(name),
            peer: Some(dropbear_peer(addr)?),
            ..Auth::new(Act::Closed)
        }));
    }
    Ok(None)
}

/// Strip the wrappers syslog daemons and sshd put around the message proper.
/// Returns the message and how many times it stands for.
fn unwrap(mut s: &str) -> Result<(&str, u32), LineError> {
    let mut repeat = 1;
    // rsyslog: "message repeated 5 times: [ Failed password for root from ...]"
    if let Some(r) = s.strip_prefix("message repeated ") {
        let (n, r) = r
            .split_once(" times: [")
            .ok_or_else(|| err(ProblemKind::UnknownMessage, format!("{s:?}")))?;
        repeat =
            n.parse().map_err(|_| err(ProblemKind::BadValue, format!("repeat count {n:?}")))?;
        s = r.trim_start().strip_suffix(']').unwrap_or(r).trim_end();
    }
    // journald forwarding a kernel-stamped entry: "kernel:[  970.699396]: Failed ..."
    if let Some(r) = s.strip_prefix("kernel:") {
        if let Some(r) =
            r.trim_start().strip_prefix('[').and_then(|r| r.split_once(']')).map(|(_, r)| r)
        {
            s = r.strip_prefix(':').unwrap_or(r).trim_start();
        }
    }
    // Solaris: "[ID 800047 auth.info] Failed ..."
    if s.starts_with("[ID ") {
        if let Some(i) = s.find("] ") {
            s = &s[i + 2..];
        }
    }
    // dropbear under journald: "[825] Jul 10 23:53:52 Bad password attempt ..."
    if s.starts_with('[') {
        if let Some(i) = s.find("] ") {
            if let Some(r) = crate::sshd::syslog::skip_rfc3164_stamp(&s[i + 2..]) {
                s = r;
            }
        }
    }
    Ok((s.strip_prefix("error: ").unwrap_or(s), repeat))
}

/// Parse one sshd / dropbear message.
pub(crate) fn parse(message: &str, dropbear_program: bool) -> Parsed<'_> {
    let (s, repeat) = unwrap(message)?;
    let mut parsed = if dropbear_program { dropbear(s)? } else { openssh(s)? };
    if let Some(a) = &mut parsed {
        a.repeat = repeat;
    }
    Ok(parsed)
}

fn openssh(s: &str) -> Parsed<'_> {
    let Some(&first) = s.as_bytes().first() else { return Ok(None) };
    match first {
        b'A' => {
            if let Some(r) = s.strip_prefix("Accepted ") {
                return method_for_user_from(Act::Accepted, r, s);
            }
        }
        b'F' => {
            if let Some(r) = s.strip_prefix("Failed ") {
                return method_for_user_from(Act::Failed, r, s);
            }
        }
        b'I' => {
            if let Some(r) =
                s.strip_prefix("Invalid user ").or_else(|| s.strip_prefix("Illegal user "))
            {
                // "Invalid user NAME from ADDR[ port N]"; NAME may be empty or hold spaces
                let Some((name, addr)) =
                    user_from(r).or_else(|| r.strip_prefix("from ").map(|a| ("", a)))
                else {
                    return Err(err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")));
                };
                let addr = addr.split(' ').next().unwrap_or(addr);
                return Ok(Some(Auth {
                    user: user(name),
                    peer: Some(peer(addr)?),
                    invalid_user: true,
                    ..Auth::new(Act::Failed)
                }));
            }
        }
        b'U' => {
            // "User NAME from ADDR not allowed because ..." (AllowUsers, DenyUsers, groups)
            if let Some(r) = s.strip_prefix("User ") {
                if let Some(i) = r.find(" not allowed because ") {
                    let head = &r[..i];
                    let Some(j) = head.rfind(" from ") else { return Ok(None) };
                    return Ok(Some(Auth {
                        user: user(&head[..j]),
                        peer: Some(peer(&head[j + 6..])?),
                        ..Auth::new(Act::Failed)
                    }));
                }
            }
        }
        b'R' => {
            if let Some(r) = s.strip_prefix("ROOT LOGIN REFUSED FROM ") {
                let addr = r.split(' ').next().unwrap_or(r);
                return Ok(Some(Auth {
                    user: Some("root"),
                    peer: Some(peer(addr)?),
                    ..Auth::new(Act::Failed)
                }));
            }
            if let Some(r) = s.strip_prefix("Received disconnect from ") {
                // "ADDR: 11: Bye Bye [preauth]" / "ADDR port N:11: ..." (IPv6 too: one colon
                // closes the address in the older form)
                let tok = r.split(' ').next().unwrap_or(r);
                let addr = tok.strip_suffix(':').unwrap_or(tok);
                return Ok(Some(Auth { peer: Some(peer(addr)?), ..Auth::new(Act::Closed) }));
            }
        }
        b'C' => {
            for p in ["Connection closed by ", "Connection reset by "] {
                if let Some(r) = s.strip_prefix(p) {
                    let (before, peer) = trailing_peer(r)?;
                    return Ok(Some(closed(before, peer)));
                }
            }
        }
        b'D' => {
            if let Some(r) = s.strip_prefix("Disconnected from ") {
                let (before, peer) = trailing_peer(r)?;
                return Ok(Some(closed(before, peer)));
            }
            // "Disconnecting invalid user X ADDR port N: reason [preauth]"
            if let Some(r) = s.strip_prefix("Disconnecting ") {
                if r.starts_with("invalid user ")
                    || r.starts_with("authenticating user ")
                    || r.starts_with("user ")
                {
                    let Some(colon) = r.find(": ") else { return Ok(None) };
                    let (before, peer) = trailing_peer(&r[..colon])?;
                    return Ok(Some(closed(before, peer)));
                }
            }
        }
        b'm' => {
            // "maximum authentication attempts exceeded for [invalid user ]X from ADDR port N ssh2 [preauth]"
            if let Some(r) = s.strip_prefix("maximum authentication attempts exceeded for ") {
                let Some((who, addr)) = user_from(r) else {
                    return Err(err(ProblemKind::Truncated, format!("no \"from ADDRESS\": {s:?}")));
                };
                let (name, invalid) = maybe_invalid(who);
                return Ok(Some(Auth {
                    user: user(name),
                    peer: Some(peer(addr)?),
                    invalid_user: invalid,
                    ..Auth::new(Act::Failed)
                }));
            }
        }
        b'P' => {
            if let Some(r) = s.strip_prefix("PAM: ") {
                let lower = r.get(..24).map(|h| h.to_ascii_lowercase());
                let known = matches!(lower.as_deref(), Some(h) if h.starts_with("authentication failure")
                    || h.starts_with("authentication error")
                    || h.starts_with("user not known to the un"));
                return if known { pam_error(s) } else { Ok(None) };
            }
            // "PAM 2 more authentication failures; logname= ... rhost=ADDR user=root"
            if s.starts_with("PAM ") && s.contains(" more authentication failure") {
                return pam_failure(s);
            }
        }
        _ => {}
    }
    // PAM module lines: "pam_unix(sshd:auth): authentication failure; ...",
    // "(pam_unix) authentication failure; ...", and with program "sshd(pam_unix)" the bare
    // "authentication failure; ..."
    let body = if s.starts_with("(pam_") {
        match s.find(") ") {
            Some(i) => &s[i + 2..],
            None => return Ok(None),
        }
    } else if s.starts_with("pam_") {
        match s.find(": ") {
            Some(i) => &s[i + 2..],
            None => return Ok(None),
        }
    } else {
        s
    };
    if body.starts_with("authentication failure; ") {
        return pam_failure(body);
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(m: &str) -> Auth<'_> {
        parse(m, false).unwrap().unwrap_or_else(|| panic!("not an auth message: {m}"))
    }

    #[test]
    fn from_is_taken_where_sshd_writes_it() {
        let a =
            ok("Failed password for invalid user from 10.10.1.1 from 127.0.0.1 port 58946 ssh2");
        assert_eq!(
            (a.user, a.peer, a.invalid_user),
            (Some("from 10.10.1.1"), Some(Peer::Ip("127.0.0.1")), true)
        );
        let a = ok("Failed password for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2");
        assert_eq!(
            (a.user, a.peer),
            (Some("test from 10.10.1.2 port 55555 ssh2"), Some(Peer::Ip("127.0.0.1")))
        );
        let a = ok("Failed password for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port 55555 ssh2");
        assert_eq!((a.user, a.peer), (Some("test"), Some(Peer::Ip("127.0.0.1"))));
        let a = ok("Failed password for user from 127.0.0.1 port 20000 ssh1: ruser from 1.2.3.4");
        assert_eq!(a.peer, Some(Peer::Ip("127.0.0.1")));
    }

    #[test]
    fn wrappers() {
        let a = ok("message repeated 5 times: [ Failed password for root from 1.2.3.4 port 22]");
        assert_eq!((a.repeat, a.user, a.peer), (5, Some("root"), Some(Peer::Ip("1.2.3.4"))));
        let a = ok("[ID 800047 auth.info] Failed keyboard-interactive for <invalid username> from 205.186.180.55 port 42742 ssh2");
        assert_eq!((a.user, a.invalid_user, a.method), (None, true, Some("keyboard-interactive")));
        let a =
            parse("[825] Jul 10 23:53:52 Bad password attempt for 'root' from 1.2.3.4:52289", true)
                .unwrap()
                .unwrap();
        assert_eq!((a.user, a.peer), (Some("root"), Some(Peer::Ip("1.2.3.4"))));
        for m in [
            "kernel:[  970.699396]: Failed password for admin from 192.0.2.10 port 42745 ssh2",
            "kernel: [  970.699397] Failed password for admin from 192.0.2.10 port 42745 ssh2",
        ] {
            assert_eq!(ok(m).peer, Some(Peer::Ip("192.0.2.10")), "{m}");
        }
        let a =
            parse("[825] Jul  1 03:53:52 Bad password attempt for 'root' from 1.2.3.4:52289", true)
                .unwrap()
                .unwrap();
        assert_eq!(a.user, Some("root"));
    }

    #[test]
    fn peers() {
        assert_eq!(peer("1.2.3.4").unwrap(), Peer::Ip("1.2.3.4"));
        assert_eq!(peer("::ffff:1.2.3.4").unwrap(), Peer::Ip("::ffff:1.2.3.4"));
        assert_eq!(peer("example.com").unwrap(), Peer::Host("example.com"));
        assert_eq!(
            peer("220-135-151-1.hinet-ip.hinet.net").unwrap(),
            Peer::Host("220-135-151-1.hinet-ip.hinet.net")
        );
        for bad in ["192.030.0.6", "999.1.1.1", "1.2.3", "fe80:::1", "a b", "", "x\"y"] {
            assert_eq!(peer(bad).unwrap_err().kind, ProblemKind::BadAddress, "{bad}");
        }
    }
}
