//! Local credential switches in syslog: `sudo`, `su`, `pkexec` and `runuser`, from the
//! programs' own lines and from their PAM session and authentication lines
//! (docs/formats-sshd.md, "Credential switches").
//!
//! The programs write what the invoking user typed next to the names that matter (`sudo`'s
//! working directory and command, `pkexec`'s command): a name is therefore taken only from the
//! place the program's format fixes, and a line on which that place is ambiguous (a directory
//! named `x ; USER=root`) is a problem, never a guess.

use crate::problems::{LineError, ProblemKind};

/// The program that switched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Program {
    Sudo,
    Su,
    Pkexec,
    Runuser,
}

impl Program {
    /// The authentication label events carry.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Program::Sudo => "sudo",
            Program::Su => "su",
            Program::Pkexec => "pkexec",
            Program::Runuser => "runuser",
        }
    }

    /// A syslog program name (`sudo`, `su`, `su(pam_unix)`, ...) → the program, when it is
    /// one that switches accounts.
    pub(crate) fn of_tag(program: &str) -> Option<Program> {
        let base = program.split('(').next().unwrap_or(program);
        match base {
            "sudo" => Some(Program::Sudo),
            "su" => Some(Program::Su),
            "pkexec" => Some(Program::Pkexec),
            "runuser" => Some(Program::Runuser),
            _ => None,
        }
    }

    /// A PAM service name → the program that uses it.
    fn of_service(service: &str) -> Option<Program> {
        match service {
            "sudo" | "sudo-i" => Some(Program::Sudo),
            "su" | "su-l" => Some(Program::Su),
            "polkit-1" => Some(Program::Pkexec),
            "runuser" | "runuser-l" => Some(Program::Runuser),
            _ => None,
        }
    }
}

/// One switch as a line tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Switch<'a> {
    pub program: Program,
    /// The account before (`None`: the line names none).
    pub from: Option<&'a str>,
    /// The account after (`None`: the line names none, as `sudo`'s failed password).
    pub to: Option<&'a str>,
    pub ok: bool,
}

fn name(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty()).then_some(s)
}

/// `root(uid=0)` → `root`; `(uid=0)` → `root` (uid 0 is the superuser, whatever the line
/// leaves out); `(uid=1000)` → none.
fn pam_account(s: &str) -> Option<&str> {
    let s = s.trim();
    match s.find('(') {
        Some(0) => (s == "(uid=0)").then_some("root"),
        Some(i) => name(&s[..i]),
        None => name(s),
    }
}

/// `session opened for user TO[(uid=N)] by [FROM](uid=M)`.
fn session_opened(program: Program, body: &str) -> Option<Switch<'_>> {
    let rest = body.strip_prefix("session opened for user ")?;
    // names come from the account database and hold no spaces; the last " by " is the one
    // pam_unix writes
    let (to, from) = match rest.rfind(" by ") {
        Some(i) => (&rest[..i], Some(&rest[i + 4..])),
        None => (rest, None),
    };
    Some(Switch { program, from: from.and_then(pam_account), to: pam_account(to), ok: true })
}

/// `authentication failure; logname=A uid=N euid=0 tty=T ruser=R rhost=H  user=U`: R (or A)
/// tried to become U and failed. For `sudo` U is the invoking user, whose own password failed:
/// the account wanted is not on the line.
fn auth_failure(program: Program, body: &str) -> Option<Switch<'_>> {
    let rest = body.strip_prefix("authentication failure;")?;
    let field = |key: &str| {
        let at = rest.find(key)?;
        let v = &rest[at + key.len()..];
        name(v.split(' ').next().unwrap_or(""))
    };
    let user = field(" user=");
    let from = field(" ruser=").or_else(|| field(" logname="));
    let (from, to) = match program {
        Program::Sudo => (user.or(from), None),
        _ => (from, user),
    };
    Some(Switch { program, from, to, ok: false })
}

/// `sudo`'s own line: `USER : [REASON ; ]TTY=... ; PWD=... ; USER=TARGET ; [GROUP=... ; ]
/// COMMAND=...`. The target is the one `USER=` field before the first `COMMAND=`: the working
/// directory comes before it and the command after, and both are the invoking user's text.
fn sudo_line(s: &str) -> Result<Option<Switch<'_>>, LineError> {
    let s = s.trim_start();
    let Some((who, rest)) = s.split_once(" : ") else { return Ok(None) };
    if who.is_empty() || who.contains(' ') {
        return Ok(None);
    }
    let segments: Vec<&str> = rest.split(" ; ").collect();
    let Some(command) = segments.iter().position(|f| f.starts_with("COMMAND=")) else {
        // "unable to resolve host", "conversation failed", ...: not a command run
        return Ok(None);
    };
    let users: Vec<&str> =
        segments[..command].iter().filter_map(|f| f.strip_prefix("USER=")).collect();
    let to = match users[..] {
        [u] => u,
        [] => {
            return Err(LineError::new(
                ProblemKind::Truncated,
                format!("sudo line without USER= before COMMAND=: {s:?}"),
            ))
        }
        _ => {
            return Err(LineError::new(
                ProblemKind::BadValue,
                format!(
                    "sudo line with {} USER= fields before COMMAND= (a directory name holds \" ; USER=\"): which account was wanted cannot be told",
                    users.len()
                ),
            ))
        }
    };
    // a command run starts with TTY=; a refusal or failure starts with its reason
    let ok = segments[0].starts_with("TTY=");
    Ok(Some(Switch { program: Program::Sudo, from: name(who), to: name(to), ok }))
}

/// `su`'s own lines: `(to TO) FROM on TTY`, `FAILED SU (to TO) FROM on TTY`,
/// `Successful su for TO by FROM`, `FAILED su for TO by FROM`, and the sulog form
/// `+ TTY FROM:TO` / `- TTY FROM:TO`.
fn su_line(s: &str) -> Option<Switch<'_>> {
    let s = s.trim_start();
    let (ok, r) = match s.strip_prefix("FAILED SU ") {
        Some(r) => (false, r),
        None => (true, s),
    };
    if let Some(r) = r.strip_prefix("(to ") {
        let (to, rest) = r.split_once(") ")?;
        let from = rest.rsplit_once(" on ").map_or(rest, |(f, _)| f);
        return Some(Switch { program: Program::Su, from: name(from), to: name(to), ok });
    }
    for (prefix, ok) in [("Successful su for ", true), ("FAILED su for ", false)] {
        if let Some(r) = s.strip_prefix(prefix) {
            let (to, from) = r.split_once(" by ")?;
            return Some(Switch { program: Program::Su, from: name(from), to: name(to), ok });
        }
    }
    let ok = match s.as_bytes() {
        [b'+', b' ', ..] => true,
        [b'-', b' ', ..] => false,
        _ => return None,
    };
    let mut words = s[2..].split(' ');
    let (_tty, pair, none) = (words.next()?, words.next()?, words.next());
    if none.is_some() {
        return None;
    }
    let (from, to) = pair.split_once(':')?;
    Some(Switch { program: Program::Su, from: name(from), to: name(to), ok })
}

/// `pkexec`'s own line: `FROM: Executing command [USER=TO] [TTY=...] [CWD=...] [COMMAND=...]`
/// or `FROM: Error executing command as another user: Not authorized [USER=TO] ...`. `[USER=`
/// is the first bracketed field, before the directory and the command.
fn pkexec_line(s: &str) -> Option<Switch<'_>> {
    let (from, rest) = s.trim_start().split_once(": ")?;
    let ok = if rest.starts_with("Executing command ") {
        true
    } else if rest.starts_with("Error executing command") {
        false
    } else {
        return None;
    };
    let at = rest.find("[USER=")?;
    let to = rest[at + 6..].split(']').next()?;
    Some(Switch { program: Program::Pkexec, from: name(from), to: name(to), ok })
}

/// One message of a switching program (`program` from its syslog tag). `Ok(None)`: a line of
/// the program that records no switch (a session closed, a warning).
pub(crate) fn parse(program: Program, message: &str) -> Result<Option<Switch<'_>>, LineError> {
    let m = message.trim_start();
    // PAM: "pam_unix(SERVICE:TYPE): body", "(pam_unix) body", or the bare body under a
    // "su(pam_unix)" tag
    let (service, body) = if let Some(r) = m.strip_prefix("pam_unix(") {
        let Some((inside, body)) = r.split_once("): ") else { return Ok(None) };
        let service = inside.split(':').next().unwrap_or(inside);
        (Some(service), body)
    } else if let Some(r) = m.strip_prefix("(pam_unix) ") {
        (None, r)
    } else {
        (None, m)
    };
    let pam_program = match service {
        Some(s) => match Program::of_service(s) {
            Some(p) => p,
            // another service's PAM line under this tag: not a switch
            None => return Ok(None),
        },
        None => program,
    };
    if let Some(s) = session_opened(pam_program, body) {
        return Ok(Some(s));
    }
    if let Some(s) = auth_failure(pam_program, body) {
        return Ok(Some(s));
    }
    if service.is_some() || body.starts_with("session closed") {
        return Ok(None);
    }
    match program {
        Program::Sudo => sudo_line(m),
        Program::Su => Ok(su_line(m)),
        Program::Pkexec => Ok(pkexec_line(m)),
        Program::Runuser => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sw(program: &str, m: &str) -> Option<(Option<&'static str>, Option<&'static str>, bool)> {
        let p = Program::of_tag(program).expect("a switching program");
        // leak: test strings only
        let m: &'static str = Box::leak(m.to_string().into_boxed_str());
        parse(p, m).unwrap().map(|s| (s.from, s.to, s.ok))
    }

    #[test]
    fn pam_session_lines() {
        let ok = |f, t| Some((Some(f), Some(t), true));
        assert_eq!(
            sw(
                "sudo",
                "pam_unix(sudo:session): session opened for user root(uid=0) by opsadmin(uid=1000)"
            ),
            ok("opsadmin", "root")
        );
        assert_eq!(
            sw("sudo", "pam_unix(sudo-i:session): session opened for user root by opsadmin(uid=0)"),
            ok("opsadmin", "root")
        );
        assert_eq!(
            sw("su", "pam_unix(su-l:session): session opened for user postgres(uid=26) by opsadmin(uid=1000)"),
            ok("opsadmin", "postgres")
        );
        assert_eq!(
            sw("su(pam_unix)", "session opened for user cyrus by (uid=0)"),
            ok("root", "cyrus")
        );
        assert_eq!(
            sw(
                "runuser",
                "pam_unix(runuser-l:session): session opened for user postgres by (uid=0)"
            ),
            ok("root", "postgres")
        );
        assert_eq!(
            sw("pkexec", "pam_unix(polkit-1:session): session opened for user root(uid=0) by opsadmin(uid=1000)"),
            ok("opsadmin", "root")
        );
        // an unnamed account before the switch
        assert_eq!(
            sw("su", "pam_unix(su:session): session opened for user root by (uid=1000)"),
            Some((None, Some("root"), true))
        );
        // not switches
        for (p, m) in [
            ("sudo", "pam_unix(sudo:session): session closed for user root"),
            ("su(pam_unix)", "session closed for user news"),
            ("sudo", "pam_unix(cron:session): session opened for user root by (uid=0)"),
            ("sudo", "pam_unix(sudo:auth): conversation failed"),
            ("sudo", "pam_unix(sudo:auth): auth could not identify password for [opsadmin]"),
            ("su", "pam_authenticate: Authentication failure"),
            ("sudo", "unable to resolve host sg-ops-03: Name or service not known"),
        ] {
            assert_eq!(sw(p, m), None, "{m}");
        }
    }

    #[test]
    fn pam_failures() {
        assert_eq!(
            sw("su", "pam_unix(su:auth): authentication failure; logname=opsadmin uid=1000 euid=0 tty=pts/0 ruser=opsadmin rhost=  user=root"),
            Some((Some("opsadmin"), Some("root"), false))
        );
        assert_eq!(
            sw("sudo", "pam_unix(sudo:auth): authentication failure; logname=opsadmin uid=1000 euid=0 tty=/dev/pts/0 ruser=opsadmin rhost=  user=opsadmin"),
            Some((Some("opsadmin"), None, false))
        );
        assert_eq!(
            sw(
                "su(pam_unix)",
                "authentication failure; logname= uid=500 euid=0 tty= ruser=bob rhost=  user=root"
            ),
            Some((Some("bob"), Some("root"), false))
        );
    }

    #[test]
    fn sudo_lines() {
        let l = "opsadmin : TTY=pts/0 ; PWD=/home/opsadmin ; USER=root ; COMMAND=/bin/bash";
        assert_eq!(sw("sudo", l), Some((Some("opsadmin"), Some("root"), true)));
        let l = "   opsadmin : TTY=pts/0 ; PWD=/ ; USER=postgres ; GROUP=postgres ; ENV=A=1 ; COMMAND=/usr/bin/psql";
        assert_eq!(sw("sudo", l), Some((Some("opsadmin"), Some("postgres"), true)));
        let l = "opsadmin : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/x ; USER=root ; COMMAND=/bin/ls";
        assert_eq!(sw("sudo", l), Some((Some("opsadmin"), Some("root"), false)));
        let l =
            "mallory : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh";
        assert_eq!(sw("sudo", l), Some((Some("mallory"), Some("root"), false)));
        // a command holding " ; USER=" says nothing about the target
        let l = "opsadmin : TTY=pts/0 ; PWD=/ ; USER=backup ; COMMAND=/bin/echo x ; USER=root ; COMMAND=y";
        assert_eq!(sw("sudo", l), Some((Some("opsadmin"), Some("backup"), true)));
        // a directory holding it makes the target unknowable: a problem
        let l = "opsadmin : TTY=pts/0 ; PWD=/x ; USER=root ; y ; USER=backup ; COMMAND=/bin/sh";
        let e = parse(Program::Sudo, l).unwrap_err();
        assert_eq!(e.kind, ProblemKind::BadValue);
        let e = parse(Program::Sudo, "opsadmin : TTY=pts/0 ; PWD=/ ; COMMAND=/bin/sh").unwrap_err();
        assert_eq!(e.kind, ProblemKind::Truncated);
    }

    #[test]
    fn su_and_pkexec_lines() {
        assert_eq!(
            sw("su", "(to root) opsadmin on pts/0"),
            Some((Some("opsadmin"), Some("root"), true))
        );
        assert_eq!(
            sw("su", "FAILED SU (to root) opsadmin on pts/0"),
            Some((Some("opsadmin"), Some("root"), false))
        );
        assert_eq!(
            sw("su", "Successful su for root by opsadmin"),
            Some((Some("opsadmin"), Some("root"), true))
        );
        assert_eq!(
            sw("su", "FAILED su for root by opsadmin"),
            Some((Some("opsadmin"), Some("root"), false))
        );
        assert_eq!(sw("su", "+ pts/0 opsadmin:root"), Some((Some("opsadmin"), Some("root"), true)));
        assert_eq!(
            sw("su", "- pts/0 opsadmin:root"),
            Some((Some("opsadmin"), Some("root"), false))
        );
        assert_eq!(
            sw("pkexec", "opsadmin: Executing command [USER=root] [TTY=unknown] [CWD=/home/opsadmin] [COMMAND=/usr/bin/bash -c '[USER=x]']"),
            Some((Some("opsadmin"), Some("root"), true))
        );
        assert_eq!(
            sw("pkexec", "opsadmin: Error executing command as another user: Not authorized [USER=root] [TTY=unknown] [CWD=/home/opsadmin] [COMMAND=/usr/bin/id]"),
            Some((Some("opsadmin"), Some("root"), false))
        );
        assert_eq!(sw("pkexec", "opsadmin: something else"), None);
        assert_eq!(sw("runuser", "anything"), None);
    }
}
