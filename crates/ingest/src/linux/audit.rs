//! auditd's `audit.log`: the login records PAM, sshd and `login` send to the kernel's audit
//! subsystem (`USER_AUTH`, `USER_ACCT`, `CRED_ACQ`, `USER_START`, `USER_LOGIN`, `USER_END`,
//! `USER_LOGOUT`, ...), one record a line:
//!
//! ```text
//! [node=NAME ]type=USER_LOGIN msg=audit(1725003193.327:117286): pid=1712 uid=0 auid=1000 ses=764 msg='op=login id=1000 exe="/usr/sbin/sshd" hostname=other-host.invalid addr=10.10.10.10 terminal=ssh res=success'[\x1dUID="root" AUID="ec2-user" ID="ec2-user"]
//! ```
//!
//! Hand-written: `linux-audit-parser`, the one maintained Rust parser of these lines, is
//! LGPL-3.0-or-later, which a statically linked binary licensed MIT OR Apache-2.0 cannot
//! take in on the same terms; and the records read here are the simple `key=value` user
//! messages (its value lies in the kernel's SYSCALL/PATH/EXECVE records, not read here).
//!
//! One login is several records, each with its own serial: PAM's `USER_AUTH`, `USER_ACCT`,
//! `CRED_ACQ`, `USER_START`, then sshd's `USER_LOGIN`. They are joined by the process that
//! wrote them (`pid=`) and the audit session (`ses=`), so that a login is one event: the
//! first of its `USER_START`/`USER_LOGIN` records that says it succeeded. Records of one
//! audit event share `msg=audit(TIME:SERIAL)`; a serial is counted once.
//! `docs/formats-linux-records.md` gives the whole mapping.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use hopscope_model::{EventFlags, LogonType, Orientation, Outcome, Position, Time};

use crate::batch::{BatchBuilder, RawEvent};
use crate::format::{LineKind, LineParser, ParseContext};
use crate::problems::{LineError, ProblemKind};

/// `ses=` and `auid=` when unset: `(unsigned)-1`.
const UNSET: &str = "4294967295";

/// At most this many processes, sessions and serials are remembered (a log whose sessions
/// never end must not grow memory without bound); the oldest give way.
const MAX_REMEMBERED: usize = 1 << 14;

/// True for a line shaped like an audit record: `[node=N ]type=T msg=audit(`.
pub fn looks_like(line: &str) -> bool {
    header(line).is_some()
}

/// The header of a record: (node, type, the time and serial text, the body after `): `).
fn header(line: &str) -> Option<(Option<&str>, &str, &str, &str)> {
    let mut rest = line;
    let mut node = None;
    if let Some(r) = rest.strip_prefix("node=") {
        let end = r.find(' ')?;
        node = Some(&r[..end]);
        rest = &r[end + 1..];
    }
    let r = rest.strip_prefix("type=")?;
    let end = r.find(' ')?;
    let kind = &r[..end];
    let r = r[end + 1..].strip_prefix("msg=audit(")?;
    let close = r.find(')')?;
    let stamp = &r[..close];
    let body = r[close + 1..].strip_prefix(':').unwrap_or(&r[close + 1..]);
    Some((node, kind, stamp, body.trim_start()))
}

/// `1373330716.415:4063` → (time, serial).
fn stamp(s: &str) -> Result<(Time, u64), LineError> {
    let bad = |why: &str| LineError::new(ProblemKind::BadTime, format!("audit({s}): {why}"));
    if s.contains('/') {
        // `ausearch -i` writes local times: the zone is not in the line
        return Err(bad("a time as `ausearch -i` writes it, in an unknown zone; give the raw log (`ausearch --raw`, or audit.log itself)"));
    }
    let (time, serial) = s.split_once(':').ok_or_else(|| bad("no serial"))?;
    let serial: u64 = serial.parse().map_err(|_| bad("the serial is not a number"))?;
    let (secs, frac) = time.split_once('.').unwrap_or((time, "0"));
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the time is not seconds since 1970"));
    }
    if frac.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("the fraction of a second is not 1 to 6 digits"));
    }
    let secs: i64 = secs.parse().map_err(|_| bad("the time is out of range"))?;
    let frac: i64 = frac.parse().unwrap_or(0) * 10i64.pow(6 - frac.len() as u32);
    let micros = secs.checked_mul(1_000_000).and_then(|m| m.checked_add(frac));
    Ok((Time(micros.ok_or_else(|| bad("the time is out of range"))?), serial))
}

/// The `key=value` fields of a record body, the quoted `msg='...'` opened up, and the
/// enriched fields after it (`UID="root"`, after a `\x1d`).
#[derive(Debug, Default)]
struct Fields<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Fields<'a> {
    fn parse(body: &'a str) -> Result<Fields<'a>, LineError> {
        let mut f = Fields::default();
        f.scan(body)?;
        Ok(f)
    }

    fn scan(&mut self, mut s: &'a str) -> Result<(), LineError> {
        loop {
            s = s.trim_start_matches([' ', '\x1d']);
            if s.is_empty() {
                return Ok(());
            }
            let Some(eq) = s.find('=') else {
                // a word without a value (`user` in old sshd records): skipped
                let end = s.find([' ', '\x1d']).unwrap_or(s.len());
                s = &s[end..];
                continue;
            };
            let key = &s[..eq];
            if key.contains([' ', '\x1d']) {
                let end = s.find([' ', '\x1d']).unwrap_or(s.len());
                s = &s[end..];
                continue;
            }
            let rest = &s[eq + 1..];
            let (value, after) = match rest.as_bytes().first() {
                Some(b'\'') => {
                    let close = rest[1..].find('\'').ok_or_else(|| {
                        LineError::new(
                            ProblemKind::Truncated,
                            format!("{key}='... is never closed"),
                        )
                    })?;
                    (&rest[1..1 + close], &rest[close + 2..])
                }
                Some(b'"') => {
                    let close = rest[1..].find('"').ok_or_else(|| {
                        LineError::new(
                            ProblemKind::Truncated,
                            format!("{key}=\"... is never closed"),
                        )
                    })?;
                    (&rest[..close + 2], &rest[close + 2..])
                }
                _ => {
                    let end = rest.find([' ', '\x1d', '\'']).unwrap_or(rest.len());
                    (&rest[..end], &rest[end..])
                }
            };
            if key == "msg" && rest.starts_with('\'') {
                // the user-space message: its own key=value pairs
                self.scan(value)?;
            } else {
                self.pairs.push((key, value));
            }
            s = after;
        }
    }

    /// The raw value of the first `key` (quotes kept: [`text`] reads it).
    fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// A value as audit writes untrusted text: `"quoted"`, or hex when it holds a space, quote or
/// control character (`acct=28696E76616C6964207573657229` is `(invalid user)`); `?` and empty
/// are none. Hex-encoded bytes that are not UTF-8 (a name an attacker typed) are kept with
/// U+FFFD in their place, and `lossy` is set.
fn text(v: &str, lossy: &mut bool) -> Option<String> {
    if let Some(q) = v.strip_prefix('"').and_then(|q| q.strip_suffix('"')) {
        return (!q.is_empty() && q != "?").then(|| q.to_string());
    }
    if v.is_empty() || v == "?" || v == "(null)" {
        return None;
    }
    if v.len().is_multiple_of(2) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes: Vec<u8> = (0..v.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap_or(0))
            .collect();
        return Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                *lossy = true;
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        });
    }
    Some(v.to_string())
}

/// What one process (`pid=`) has said so far about the login it is making.
#[derive(Clone, Debug, Default)]
struct Process {
    /// The account its PAM records named.
    acct: Option<String>,
    /// A login was read from it (later success records are the same login).
    logged_in: bool,
    /// Its last record was a failed authentication or account check, not yet followed by
    /// sshd's own `USER_LOGIN` failure for the same attempt.
    failed: bool,
    /// The login record it was last seen in (a count over the file), for forgetting the
    /// oldest.
    seen: u64,
}

/// The display managers' own accounts: their greeter's session is not a person's login.
const GREETERS: &[&str] = &["gdm", "Debian-gdm", "lightdm", "sddm", "gnome-initial-setup"];

/// Programs whose records without a remote address are logins at the machine itself.
const CONSOLE_LOGIN: &[&str] =
    &["login", "gdm-session-worker", "lightdm", "sddm-helper", "xdm", "kdm", "lxdm-binary"];

/// Parser of one audit.log. Stateful (records are joined by process and session across
/// lines), so a file is read in order, never in chunks.
pub struct AuditParser {
    /// The host the file is of when its records carry no `node=`.
    path_host: Option<String>,
    noted_host: bool,
    noted_lossy: bool,
    processes: BTreeMap<u32, Process>,
    /// Audit sessions a login was read from, with the login record last seen in.
    sessions: BTreeMap<u32, u64>,
    /// Serials of login records already read (duplicates of one audit event).
    serials: BTreeSet<(i64, u64)>,
    serial_order: VecDeque<(i64, u64)>,
    /// Login records read so far (line numbers start again with each batch).
    records: u64,
}

impl AuditParser {
    pub fn new(ctx: &ParseContext) -> AuditParser {
        AuditParser {
            path_host: super::host_from_path(&ctx.path),
            noted_host: false,
            noted_lossy: false,
            processes: BTreeMap::new(),
            sessions: BTreeMap::new(),
            serials: BTreeSet::new(),
            serial_order: VecDeque::new(),
            records: 0,
        }
    }

    /// At [`MAX_REMEMBERED`] (before one more is added), keep the newer half: one sort per that many new entries,
    /// so forgetting costs little per record however long the log.
    fn forget_oldest(&mut self) {
        fn newer_half(seen: impl Iterator<Item = u64>) -> u64 {
            let mut seen: Vec<u64> = seen.collect();
            let mid = seen.len() / 2;
            *seen.select_nth_unstable(mid).1
        }
        if self.processes.len() >= MAX_REMEMBERED {
            let cut = newer_half(self.processes.values().map(|p| p.seen));
            self.processes.retain(|_, p| p.seen >= cut);
        }
        if self.sessions.len() >= MAX_REMEMBERED {
            let cut = newer_half(self.sessions.values().copied());
            self.sessions.retain(|_, seen| *seen >= cut);
        }
        while self.serial_order.len() >= MAX_REMEMBERED {
            if let Some(k) = self.serial_order.pop_front() {
                self.serials.remove(&k);
            }
        }
    }
}

/// The record types read; every other type is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    UserAuth,
    UserAcct,
    CredAcq,
    UserStart,
    UserLogin,
    UserEnd,
    UserLogout,
    CredDisp,
}

fn kind(t: &str) -> Option<Kind> {
    Some(match t {
        "USER_AUTH" | "UNKNOWN[1100]" => Kind::UserAuth,
        "USER_ACCT" | "UNKNOWN[1101]" => Kind::UserAcct,
        "CRED_ACQ" | "UNKNOWN[1103]" => Kind::CredAcq,
        "USER_START" | "UNKNOWN[1105]" => Kind::UserStart,
        "USER_LOGIN" | "UNKNOWN[1112]" => Kind::UserLogin,
        "USER_END" | "UNKNOWN[1106]" => Kind::UserEnd,
        "USER_LOGOUT" | "UNKNOWN[1113]" => Kind::UserLogout,
        "CRED_DISP" | "UNKNOWN[1104]" => Kind::CredDisp,
        _ => return None,
    })
}

impl LineParser for AuditParser {
    fn parse_line(
        &mut self,
        line: &str,
        line_no: u64,
        out: &mut BatchBuilder,
    ) -> Result<LineKind, LineError> {
        let Some((node, kind_name, stamp_text, body)) = header(line) else {
            if line.starts_with("type=") || line.starts_with("node=") {
                return Err(LineError::new(
                    ProblemKind::Truncated,
                    "an audit record without `type=T msg=audit(TIME:SERIAL):`",
                ));
            }
            return Ok(LineKind::Ignored);
        };
        let Some(kind) = kind(kind_name) else { return Ok(LineKind::Ignored) };
        let (time, serial) = stamp(stamp_text)?;
        let f = Fields::parse(body)?;
        let res = f.get("res").map(|r| r.trim_matches('"'));
        let success = match res {
            Some("success" | "yes" | "1") => true,
            Some("failed" | "no" | "0") => false,
            Some(r) => {
                return Err(LineError::new(
                    ProblemKind::BadValue,
                    format!("res={r} is neither success nor failed"),
                ))
            }
            None => return Err(LineError::new(ProblemKind::Truncated, "no res= field")),
        };
        let pid: Option<u32> = f.get("pid").and_then(|p| p.parse().ok());
        let ses: Option<u32> = f.get("ses").filter(|s| *s != UNSET).and_then(|s| s.parse().ok());
        let mut lossy = false;
        let acct = f.get("acct").and_then(|a| text(a, &mut lossy));
        // `(invalid user)`, `(unknown user)`: sshd's words for a name it will not repeat
        let (acct, invalid) = match acct.as_deref() {
            Some("(invalid user)") => (None, true),
            Some("(unknown user)" | "(unknown)") => (None, false),
            _ => (acct, false),
        };
        // a success USER_LOGIN names the uid (`id=1000`); the enriched log adds its name
        let acct = acct.or_else(|| f.get("ID").and_then(|v| text(v, &mut lossy)));
        let exe = f.get("exe").and_then(|e| text(e, &mut lossy)).unwrap_or_default();
        let program = exe.rsplit('/').next().unwrap_or("");
        let hostname = f.get("hostname").map(|h| h.trim_matches('"')).unwrap_or("?");
        let addr = f.get("addr").map(|a| a.trim_matches('"')).unwrap_or("?");
        let (name, host_ip) = super::peer(hostname);
        let ip = match addr {
            "?" | "" => host_ip.map(|a| a.to_string()),
            a => Some(a.to_string()),
        };
        // `login` at a console writes the machine's own name as `hostname=` with no address
        let login_program = CONSOLE_LOGIN.contains(&program);
        let name = name.filter(|_| ip.is_some() || !login_program);
        let remote = ip.is_some() || name.is_some();
        let greeter = acct.as_deref().is_some_and(|a| GREETERS.contains(&a));
        let console = !remote && login_program && !greeter;
        let key = (time.0, serial);
        if !remote && !console {
            // not a login: a switch of account (sudo, su), a service (cron, systemd)
            return Ok(LineKind::Ignored);
        }
        self.records += 1;
        let now = self.records;
        self.forget_oldest();

        let state = pid.map(|p| {
            let e = self.processes.entry(p).or_default();
            e.seen = now;
            if e.acct.is_none() {
                e.acct.clone_from(&acct);
            }
            e.clone()
        });
        let mut forget = false;
        let set = |this: &mut AuditParser, f: &dyn Fn(&mut Process)| {
            if let Some(p) = pid.and_then(|p| this.processes.get_mut(&p)) {
                f(p);
            }
        };
        // what the record is: Some((orientation, outcome)) for an event, None when it is a
        // step of a login read elsewhere (joined) or not a login at all (ignored)
        let what = match (kind, success) {
            (Kind::UserStart | Kind::UserLogin, true) => {
                let seen = state.as_ref().is_some_and(|p| p.logged_in)
                    || ses.is_some_and(|s| self.sessions.contains_key(&s));
                set(self, &|p| {
                    p.logged_in = true;
                    p.failed = false;
                });
                if let Some(s) = ses {
                    self.sessions.insert(s, now);
                }
                (!seen).then_some((Orientation::LogOn, Outcome::Success))
            }
            (Kind::UserAuth | Kind::UserAcct, false) => {
                set(self, &|p| p.failed = true);
                Some((Orientation::LogOn, Outcome::Failure))
            }
            (Kind::UserLogin, false) => {
                // sshd's record of the attempt PAM's failure already told
                let told = state.as_ref().is_some_and(|p| p.failed);
                set(self, &|p| p.failed = false);
                (!told).then_some((Orientation::LogOn, Outcome::Failure))
            }
            (Kind::UserAuth, true) => {
                // a new authentication in a process that logged in: a new login follows
                set(self, &|p| p.logged_in = false);
                None
            }
            (Kind::UserLogout, _) => {
                forget = true;
                Some((Orientation::LogOff, Outcome::Unknown))
            }
            (Kind::CredDisp, _) => {
                forget = true;
                None
            }
            _ => None,
        };
        if forget {
            if let Some(p) = pid {
                self.processes.remove(&p);
            }
            if let Some(s) = ses {
                self.sessions.remove(&s);
            }
        }
        let Some((orientation, outcome)) = what else { return Ok(LineKind::Ignored) };
        if !self.serials.insert(key) {
            // another record of an audit event already read
            return Ok(LineKind::Ignored);
        }
        self.serial_order.push_back(key);
        let user = acct.or_else(|| state.and_then(|p| p.acct));
        if lossy && !self.noted_lossy {
            self.noted_lossy = true;
            out.note("audit.log names hex-encoded bytes that are not UTF-8: read with U+FFFD in their place");
        }
        if node.is_none() && !self.noted_host {
            self.noted_host = true;
            out.note(super::host_note("audit.log", self.path_host.as_deref()));
        }
        let mut flags = EventFlags::default();
        if invalid {
            flags.insert(EventFlags::INVALID_USER);
        }
        // sshd's own authentication records name the method (`op=password`, `op=pubkey`)
        let auth = match f.get("op") {
            Some("password") => Some("password"),
            Some("pubkey") => Some("publickey"),
            Some("hostbased") => Some("hostbased"),
            Some("kbdint") => Some("keyboard-interactive"),
            _ => None,
        };
        let e = RawEvent {
            time,
            auth,
            src_host: name,
            src_ip: ip.as_deref(),
            dst_host: node.or(self.path_host.as_deref()),
            user: user.as_deref(),
            logon_type: if remote { LogonType::RemoteInteractive } else { LogonType::Interactive },
            outcome,
            orientation,
            flags,
            ..Default::default()
        };
        out.push(&e, Position::Line(line_no))?;
        Ok(LineKind::Event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hopscope_model::SourceFormat;

    /// Parse `lines` of a file at `path`: each event as `src user outcome/orientation :line`,
    /// each line's result, the notes.
    fn run(
        path: &str,
        lines: &[&str],
    ) -> (Vec<String>, Vec<Result<LineKind, ProblemKind>>, Vec<String>) {
        let mut b = BatchBuilder::new(SourceFormat::Audit);
        let mut p = AuditParser::new(&ParseContext { path: path.into(), ..Default::default() });
        let results = lines
            .iter()
            .enumerate()
            .map(|(i, l)| p.parse_line(l, i as u64 + 1, &mut b).map_err(|e| e.kind))
            .collect();
        let batch = b.finish();
        let name = |v: &[String], id: u32| {
            if id == 0 {
                "-".to_string()
            } else {
                v[id as usize - 1].clone()
            }
        };
        let rows = batch
            .events
            .iter()
            .map(|e| {
                let src = match (e.src_host, e.src_ip) {
                    (0, 0) => "-".to_string(),
                    (h, 0) => name(&batch.host_names, h),
                    (_, ip) => batch.addresses[ip as usize - 1].to_string(),
                };
                let user = if e.user == 0 {
                    "-".into()
                } else {
                    batch.accounts[e.user as usize - 1].0.clone()
                };
                let pos = match e.evidence.position {
                    Position::Line(n) | Position::Record(n) => n,
                };
                format!(
                    "{} {src}->{} {user} {}/{} :{pos}",
                    e.time.to_rfc3339(),
                    name(&batch.host_names, e.dst_host),
                    e.outcome.as_str(),
                    e.orientation.as_str()
                )
            })
            .collect();
        (rows, results, batch.notes)
    }

    const T: &str = "1568257445.123";

    fn rec(kind: &str, serial: u32, pid: u32, ses: &str, msg: &str) -> String {
        format!(
            "type={kind} msg=audit({T}:{serial}): pid={pid} uid=0 auid=1001 ses={ses} msg='{msg}'"
        )
    }

    #[test]
    fn node_names_the_host() {
        let l = format!(
            "node=db-07 {}",
            rec(
                "USER_LOGIN",
                1,
                9,
                "3",
                r#"op=login id=1001 exe="/usr/sbin/sshd" hostname=? addr=10.0.0.9 terminal=ssh res=success"#
            )
        );
        let (rows, _, notes) = run("x/h1/audit.log", &[&l]);
        assert_eq!(rows, ["2019-09-12T03:04:05.123000Z 10.0.0.9->db-07 - success/logon :1"]);
        assert!(notes.is_empty(), "a file whose records name their host needs no note: {notes:?}");
    }

    #[test]
    fn without_pam_sshd_records_join_by_process_and_session() {
        // UsePAM no: sshd's own USER_AUTH (method named) and USER_LOGIN (uid only)
        let lines = [
            rec(
                "USER_AUTH",
                1,
                7,
                UNSET,
                r#"op=pubkey acct="deploy" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.7 terminal=ssh res=success"#,
            ),
            rec(
                "USER_LOGIN",
                2,
                7,
                "4",
                r#"op=login id=1003 exe="/usr/sbin/sshd" hostname=10.0.0.7 addr=10.0.0.7 terminal=/dev/pts/2 res=success"#,
            ),
            // the session's child process says it again: the same login
            rec(
                "USER_START",
                3,
                8,
                "4",
                r#"op=login id=1003 exe="/usr/sbin/sshd" hostname=10.0.0.7 addr=10.0.0.7 terminal=/dev/pts/2 res=success"#,
            ),
        ];
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (rows, results, _) = run("h/audit.log", &lines);
        assert_eq!(rows, ["2019-09-12T03:04:05.123000Z 10.0.0.7->h deploy success/logon :2"]);
        assert_eq!(results, [Ok(LineKind::Ignored), Ok(LineKind::Event), Ok(LineKind::Ignored)]);
    }

    #[test]
    fn local_sessions_that_are_not_logins_are_ignored() {
        for msg in [
            r#"op=PAM:session_open grantors=pam_unix acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=/dev/pts/0 res=success"#,
            r#"op=PAM:session_open grantors=pam_unix acct="root" exe="/usr/sbin/cron" hostname=? addr=? terminal=cron res=success"#,
            r#"op=PAM:authentication grantors=? acct="root" exe="/usr/bin/su" hostname=? addr=? terminal=pts/1 res=failed"#,
        ] {
            let (rows, results, _) = run("h/audit.log", &[&rec("USER_START", 1, 5, "2", msg)]);
            assert!(rows.is_empty(), "{msg}");
            assert_eq!(results, [Ok(LineKind::Ignored)]);
        }
        // a display manager's greeter opening its own session at boot
        let greeter = rec(
            "USER_START",
            2,
            900,
            "4294967295",
            r#"op=PAM:session_open grantors=pam_unix acct="Debian-gdm" exe="/usr/libexec/gdm-session-worker" hostname=th-app-02 addr=? terminal=/dev/tty1 res=success"#,
        );
        assert_eq!(run("h/audit.log", &[&greeter]).1, [Ok(LineKind::Ignored)]);
        let person = greeter.replace("Debian-gdm", "alice");
        assert_eq!(
            run("h/audit.log", &[&person]).0,
            ["2019-09-12T03:04:05.123000Z -->h alice success/logon :1"]
        );
        for l in
            ["", "# comment", "----", "type=SYSCALL msg=audit(1.0:1): arch=c000003e syscall=59"]
        {
            assert_eq!(run("h/audit.log", &[l]).1, [Ok(LineKind::Ignored)], "{l}");
        }
    }

    #[test]
    fn values_as_audit_encodes_them() {
        let mut lossy = false;
        assert_eq!(text("\"alice\"", &mut lossy).as_deref(), Some("alice"));
        assert_eq!(text("616C6963652062", &mut lossy).as_deref(), Some("alice b"));
        assert_eq!(text("?", &mut lossy), None);
        assert_eq!(text("\"?\"", &mut lossy), None);
        assert_eq!(text("root", &mut lossy).as_deref(), Some("root"));
        assert!(!lossy);
        assert_eq!(text("61FF62", &mut lossy).as_deref(), Some("a\u{fffd}b"));
        assert!(lossy);
        assert_eq!(stamp("1568257445.123:7").unwrap(), (Time(1_568_257_445_123_000), 7));
        assert_eq!(stamp("1568257445:7").unwrap(), (Time(1_568_257_445_000_000), 7));
    }

    #[test]
    fn unreadable_login_records_have_reasons() {
        let ok = r#"op=login acct="a" exe="/usr/sbin/sshd" hostname=? addr=10.0.0.1 terminal=ssh res=failed"#;
        let cases = [
            (format!("type=USER_LOGIN msg=audit(abc:1): pid=1 msg='{ok}'"), ProblemKind::BadTime),
            (format!("type=USER_LOGIN msg=audit(09/12/2019 03:04:05.123:1) : pid=1 msg='{ok}'"), ProblemKind::BadTime),
            (format!("type=USER_LOGIN msg=audit(99999999999999999999.0:1): pid=1 msg='{ok}'"), ProblemKind::BadTime),
            ("type=USER_LOGIN msg=audit(1.0:1): pid=1 msg='op=login acct=\"a\" addr=10.0.0.1 res=failed".to_string(), ProblemKind::Truncated),
            ("type=USER_LOGIN msg=audit(1.0:1): pid=1 msg='op=login acct=\"a\" addr=10.0.0.1'".to_string(), ProblemKind::Truncated),
            ("type=USER_LOGIN msg=audit(1.0:1): pid=1 msg='op=login acct=\"a\" addr=10.0.0.1 res=maybe'".to_string(), ProblemKind::BadValue),
            ("type=USER_LOGIN msg=audit(1.0:1): pid=1 msg='op=login acct=\"a\" addr=999.0.0.1 res=failed'".to_string(), ProblemKind::BadAddress),
            ("type=USER_LOGIN pid=1 msg='op=login'".to_string(), ProblemKind::Truncated),
        ];
        for (l, want) in cases {
            assert_eq!(run("h/audit.log", &[&l]).1, [Err(want)], "{l}");
        }
    }

    #[test]
    fn looks_like_audit() {
        assert!(looks_like("type=USER_LOGIN msg=audit(1.0:1): x"));
        assert!(looks_like("node=a type=SYSCALL msg=audit(1.0:1): x"));
        assert!(!looks_like("Dec 10 06:55:46 h sshd[1]: type=USER_LOGIN msg=audit(1.0:1)"));
        assert_eq!(
            crate::detect::detect(b"type=DAEMON_START msg=audit(1568102400.001:1): op=start ver=2.8.4\ntype=USER_LOGIN msg=audit(1.0:2): pid=1 msg='res=success'\n"),
            Some(crate::format::Format::Audit)
        );
    }

    /// A brute force from many processes (no session ever ends): what is remembered stays
    /// bounded, and every attempt is still read.
    #[test]
    fn memory_stays_bounded() {
        let mut b = BatchBuilder::new(SourceFormat::Audit);
        let mut p =
            AuditParser::new(&ParseContext { path: "h/audit.log".into(), ..Default::default() });
        let n = 3 * MAX_REMEMBERED as u32;
        for i in 0..n {
            let l = rec(
                "USER_AUTH",
                i,
                10_000 + i,
                "4294967295",
                r#"op=PAM:authentication acct="root" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=ssh res=failed"#,
            );
            assert_eq!(p.parse_line(&l, u64::from(i % 1000) + 1, &mut b), Ok(LineKind::Event));
            assert!(p.processes.len() <= MAX_REMEMBERED && p.serials.len() <= MAX_REMEMBERED);
        }
        assert_eq!(b.len(), n as usize);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(line in "\\PC{0,300}") {
            let _ = run("h/audit.log", &[&line]);
        }

        #[test]
        fn never_panics_on_audit_shaped_lines(
            node in "(node=[a-z0-9]{0,5} )?",
            kind in "(USER_LOGIN|USER_AUTH|USER_START|USER_ACCT|USER_LOGOUT|CRED_DISP|UNKNOWN\\[1112\\])",
            stamp in "[0-9]{0,12}(\\.[0-9]{0,7})?(:[0-9]{0,6})?",
            body in "( ?(pid|ses|acct|addr|hostname|res|exe|ID|msg)=('|\"|[ -~&&[^ '\"]]{0,12}|[0-9A-F]{0,8}|\\x1d)){0,10}",
        ) {
            let line = format!("{node}type={kind} msg=audit({stamp}):{body}");
            let _ = run("h/audit.log", &[&line, &line]);
        }
    }
}
