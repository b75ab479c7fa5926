//! Linux login records beyond syslog: the binary `wtmp`/`utmp`/`btmp` files (`utmp`) and
//! auditd's `audit.log` (`audit`). `docs/formats-linux-records.md` lists what is read and how
//! each record maps to the model.

pub mod audit;
pub mod utmp;

use std::net::IpAddr;

/// Directory names that say where a log lies on a Linux machine, not which machine it is;
/// and those a stream is named under (`/dev/stdin`, `/proc/self/fd/63`), which name none.
const SYSTEM_DIRS: &[&str] = &[
    "var", "log", "logs", "run", "account", "adm", "audit", "wtmp", "btmp", "utmp", "[root]",
    "dev", "proc", "self", "fd",
];

/// The host a log file that does not name its host belongs to: the nearest directory above
/// it whose name is not one of the system's own log directories (`th-app-02/var/log/wtmp`
/// and `th-app-02/wtmp` are `th-app-02`'s; `/var/log/wtmp` names no host).
pub(crate) fn host_from_path(path: &str) -> Option<String> {
    let p = std::path::Path::new(path);
    for dir in p.parent()?.components().rev() {
        let std::path::Component::Normal(name) = dir else { return None };
        let name = name.to_string_lossy();
        if name.is_empty()
            || name.bytes().all(|b| b.is_ascii_digit())
            || SYSTEM_DIRS.iter().any(|s| name.eq_ignore_ascii_case(s))
        {
            continue;
        }
        return Some(name.into_owned());
    }
    None
}

/// The one note a file that does not name its host gets: which host its logins are into.
pub(crate) fn host_note(what: &str, host: Option<&str>) -> String {
    match host {
        Some(h) => format!(
            "{what} names no host: its logins are read as into {h:?}, the directory it lies in"
        ),
        None => format!(
            "{what} names no host and lies in no directory named after one: its logins have no destination host (put the file in a directory named after its host)"
        ),
    }
}

/// The remote peer a login record names, as (host name, address). A host field holding an
/// address gives the address; one holding a DNS name gives the name; anything else (`:0`,
/// `tmux(1234).%0`, `?`) names no peer: the login was made on the machine itself.
pub(crate) fn peer(host: &str) -> (Option<&str>, Option<IpAddr>) {
    let host = host.trim();
    // mosh writes `ADDR via mosh [PID]`
    let first = host.split_whitespace().next().unwrap_or("");
    let bare = first.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return (None, Some(ip));
    }
    if first.len() == host.len() && is_dns_name(host) {
        return (Some(host), None);
    }
    (None, None)
}

/// Letters, digits, `-`, `_` and `.`, at least one letter, not starting with `.` or `-`.
fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.starts_with(['.', '-'])
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_from_path_skips_system_dirs() {
        assert_eq!(host_from_path("logs/th-app-02/wtmp").as_deref(), Some("th-app-02"));
        assert_eq!(host_from_path("case/th-app-02/var/log/wtmp").as_deref(), Some("th-app-02"));
        assert_eq!(
            host_from_path("sg-ops-03/var/log/audit/audit.log").as_deref(),
            Some("sg-ops-03")
        );
        assert_eq!(host_from_path("/var/log/wtmp"), None);
        assert_eq!(host_from_path("wtmp"), None);
        assert_eq!(host_from_path("../wtmp"), None);
        for stream in ["/dev/stdin", "/proc/self/fd/63", "/dev/fd/3", "/proc/4242/fd/0"] {
            assert_eq!(host_from_path(stream), None, "{stream}");
        }
    }

    #[test]
    fn peers() {
        assert_eq!(peer("10.0.0.5"), (None, Some("10.0.0.5".parse().unwrap())));
        assert_eq!(peer("2001:db8::1"), (None, Some("2001:db8::1".parse().unwrap())));
        assert_eq!(peer("gw.example.com"), (Some("gw.example.com"), None));
        assert_eq!(peer("10.0.0.7 via mosh [4242]"), (None, Some("10.0.0.7".parse().unwrap())));
        for local in [":0", ":0.0", "tmux(1234).%0", "", "?", "mosh [12]", "a b"] {
            assert_eq!(peer(local), (None, None), "{local:?}");
        }
    }
}
