//! Windows Security and System events as JSON lines in the NXLog / OTRF flattened dialect
//! (as in OTRF Security-Datasets): one object per line, one file per Windows host.
//!
//! Every line has `@timestamp` (RFC 3339 UTC, milliseconds), `Hostname` (the logging host's
//! FQDN, `JP-CRM-01.corp.example`), `EventID`, `Channel`, `RecordNumber` (per host,
//! increasing), `SourceName`, `EventType`, then the event's own fields under their Windows
//! names. Which host logs what:
//!
//! - destination: 4624 / 4625 (logon / failure), 4672 (privileged logon), 4634 (logoff),
//!   7045 (System: service installed, PsExec-style);
//! - source: 4648 (explicit credentials: RDP or `runas` with another account);
//! - the source site's domain controller: 4768 (TGT, first logon of the day), 4769 (service
//!   ticket) for Kerberos; the destination site's domain controller: 4776 for NTLM.

use crate::login::{flag, Login, Method, Src};
use crate::timefmt::rfc3339_ms;
use crate::writers::{json_str, num, Ctx, Kind, Rec};

/// `PrivilegeList` as Windows writes it (`\r\n\t\t\t` between names), already JSON-escaped.
const PRIVILEGES: &[u8] = br#","PrivilegeList":"SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege""#;

/// Writes `"key":"value"` pairs after the first.
struct Obj<'o> {
    out: &'o mut Vec<u8>,
}

impl Obj<'_> {
    fn s(&mut self, k: &str, v: &str) -> &mut Self {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":\"");
        json_str(self.out, v);
        self.out.push(b'"');
        self
    }
    fn hex(&mut self, k: &str, v: u64) -> &mut Self {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":\"0x");
        let digits = ((64 - v.leading_zeros() as usize).div_ceil(4)).max(1);
        for i in (0..digits).rev() {
            self.out.push(b"0123456789abcdef"[((v >> (i * 4)) & 15) as usize]);
        }
        self.out.push(b'"');
        self
    }
    fn n(&mut self, k: &str, v: u64) -> &mut Self {
        self.out.extend_from_slice(b",\"");
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":\"");
        num(self.out, v);
        self.out.push(b'"');
        self
    }
}

/// Render one Windows host's records; `record` is the host's running `RecordNumber`.
pub fn render(
    ctx: &Ctx<'_>,
    host: u32,
    recs: &[Rec],
    logins: &[Login],
    record: &mut u64,
    out: &mut Vec<u8>,
) {
    let fqdn = ctx.fqdn[host as usize].as_bytes();
    let mut ipbuf = String::new();
    let domain = ctx.w.fleet.domain.as_str();
    let realm = ctx.w.fleet.dns.to_ascii_uppercase();
    for r in recs {
        let l = &logins[r.login as usize];
        *record += 1;
        let (id, channel, source, etype): (u16, &[u8], &[u8], &[u8]) = match r.kind {
            Kind::WinLogon if l.ok => {
                (4624, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::WinLogon => {
                (4625, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_FAILURE")
            }
            Kind::Win4634 => {
                (4634, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4648 => {
                (4648, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4672 => {
                (4672, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4768 => {
                (4768, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4769 => {
                (4769, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4776 if l.ok => {
                (4776, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_SUCCESS")
            }
            Kind::Win4776 => {
                (4776, b"Security", b"Microsoft-Windows-Security-Auditing", b"AUDIT_FAILURE")
            }
            Kind::Win7045 => (7045, b"System", b"Service Control Manager", b"INFO"),
            _ => unreachable!("not a Windows record"),
        };
        out.extend_from_slice(b"{\"@timestamp\":\"");
        rfc3339_ms(out, r.time);
        out.extend_from_slice(b"\",\"Hostname\":\"");
        out.extend_from_slice(fqdn);
        out.extend_from_slice(b"\",\"EventID\":");
        num(out, id);
        out.extend_from_slice(b",\"Channel\":\"");
        out.extend_from_slice(channel);
        out.extend_from_slice(b"\",\"RecordNumber\":");
        num(out, *record);
        out.extend_from_slice(b",\"SourceName\":\"");
        out.extend_from_slice(source);
        out.extend_from_slice(b"\",\"EventType\":\"");
        out.extend_from_slice(etype);
        out.push(b'"');
        let acct = ctx.w.people.get(l.account);
        let user = acct.name.as_str();
        let dom = acct.domain.as_deref().unwrap_or(ctx.host_upper[l.dst as usize].as_str());
        let logon_id = 0x10_0000 + ctx.derive(l, 2) % 0xff_0000;
        let src_ip: Option<&str> = ctx.src_ip(l, &mut ipbuf);
        let src_name = match l.src {
            Src::Host(h) => ctx.host_upper[h as usize].as_str(),
            Src::Local => ctx.host_upper[l.dst as usize].as_str(),
            Src::External(_) => "-",
        };
        let lt = l.method.logon_type().code() as u64;
        let mut o = Obj { out };
        match r.kind {
            Kind::WinLogon => {
                let (process, package, lm) = match l.method {
                    Method::NetworkKerberos => ("Kerberos", "Kerberos", "-"),
                    Method::NetworkNtlm => ("NtLmSsp ", "NTLM", "NTLM V2"),
                    Method::Batch | Method::Service => ("Advapi  ", "Negotiate", "-"),
                    _ => ("User32 ", "Negotiate", "-"),
                };
                let (ip, port, ws): (&str, Option<u16>, &str) = match (l.method, src_ip) {
                    (Method::Console | Method::Unlock, _) => ("127.0.0.1", Some(0), src_name),
                    (Method::Batch | Method::Service, _) => ("-", None, "-"),
                    (Method::NetworkKerberos, Some(ip)) => (ip, Some(l.src_port), "-"),
                    (_, Some(ip)) => (ip, Some(l.src_port), src_name),
                    (_, None) => ("-", None, "-"),
                };
                let local = l.method.is_local();
                o.s("SubjectUserName", if local { &ctx.host_upper[l.dst as usize] } else { "-" });
                o.s("SubjectDomainName", if local { domain } else { "-" });
                o.s("SubjectLogonId", if local { "0x3e7" } else { "0x0" });
                o.s("TargetUserName", user).s("TargetDomainName", dom);
                if l.ok {
                    o.hex("TargetLogonId", logon_id);
                }
                o.n("LogonType", lt)
                    .s("LogonProcessName", process)
                    .s("AuthenticationPackageName", package);
                o.s("WorkstationName", ws).s("LmPackageName", lm).s("IpAddress", ip);
                match port {
                    Some(p) => o.n("IpPort", p as u64),
                    None => o.s("IpPort", "-"),
                };
                if !l.ok {
                    let sub = if l.has(flag::INVALID_USER) { "0xc0000064" } else { "0xc000006a" };
                    o.s("Status", "0xc000006d").s("SubStatus", sub).s("FailureReason", "%%2313");
                }
            }
            Kind::Win4634 => {
                o.s("TargetUserName", user)
                    .s("TargetDomainName", dom)
                    .hex("TargetLogonId", logon_id)
                    .n("LogonType", lt);
            }
            Kind::Win4672 => {
                o.s("SubjectUserName", user)
                    .s("SubjectDomainName", dom)
                    .hex("SubjectLogonId", logon_id);
                o.out.extend_from_slice(PRIVILEGES);
            }
            Kind::Win4648 => {
                let subject = ctx.w.people.get(l.subject);
                let sdom =
                    subject.domain.as_deref().unwrap_or(ctx.host_upper[host as usize].as_str());
                let spn = if l.method == Method::Rdp { "TERMSRV" } else { "cifs" };
                let target = &ctx.host_upper[l.dst as usize];
                o.s("SubjectUserName", &subject.name).s("SubjectDomainName", sdom);
                o.hex("SubjectLogonId", 0x10_0000 + ctx.derive(l, 3) % 0xff_0000);
                o.s("TargetUserName", user)
                    .s("TargetDomainName", dom)
                    .s("TargetServerName", target);
                o.s("TargetInfo", &format!("{spn}/{target}"));
                o.s("IpAddress", &ctx.ip[l.dst as usize])
                    .s("IpPort", if l.method == Method::Rdp { "3389" } else { "445" });
                o.s(
                    "ProcessName",
                    if l.method == Method::Rdp {
                        "C:\\Windows\\System32\\mstsc.exe"
                    } else {
                        "C:\\Windows\\System32\\svchost.exe"
                    },
                );
            }
            Kind::Win4768 | Kind::Win4769 => {
                let ip = format!("::ffff:{}", src_ip.unwrap_or(&ctx.ip[l.dst as usize]));
                if r.kind == Kind::Win4768 {
                    o.s("TargetUserName", user)
                        .s("TargetDomainName", &realm)
                        .s("ServiceName", "krbtgt");
                    o.s("PreAuthType", "2");
                } else {
                    let svc = format!("{}$", ctx.host_upper[l.dst as usize]);
                    o.s("TargetUserName", &format!("{user}@{realm}"))
                        .s("TargetDomainName", &realm)
                        .s("ServiceName", &svc);
                }
                o.s("IpAddress", &ip)
                    .n("IpPort", l.src_port as u64)
                    .s("Status", "0x0")
                    .s("TicketEncryptionType", "0x12");
            }
            Kind::Win4776 => {
                o.s("TargetUserName", user).s("Workstation", src_name);
                o.s("PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0")
                    .s("Status", if l.ok { "0x0" } else { "0xc000006a" });
            }
            Kind::Win7045 => {
                let k = ctx.derive(l, 4);
                let svc: String =
                    (0..4).map(|i| (b'A' + ((k >> (i * 5)) % 26) as u8) as char).collect();
                let image = format!(
                    "%systemroot%\\{}.exe",
                    (0..8)
                        .map(|i| (b'a' + ((k >> (20 + i * 5)) % 26) as u8) as char)
                        .collect::<String>()
                );
                o.s("ServiceName", &svc)
                    .s("ImagePath", &image)
                    .s("ServiceType", "user mode service");
                o.s("StartType", "demand start").s("AccountName", "LocalSystem");
            }
            _ => unreachable!(),
        }
        out.extend_from_slice(b"}\n");
    }
}

/// A 1102 (the Security log cleared by `account`) as the Windows host `fqdn` writes it.
pub fn render_cleared(fqdn: &str, time: i64, account: &str, record: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"@timestamp\":\"");
    rfc3339_ms(out, time);
    out.extend_from_slice(b"\",\"Hostname\":\"");
    json_str(out, fqdn);
    out.extend_from_slice(b"\",\"EventID\":1102,\"Channel\":\"Security\",\"RecordNumber\":");
    num(out, record);
    out.extend_from_slice(b",\"SourceName\":\"Microsoft-Windows-Eventlog\",\"EventType\":\"INFO\"");
    let (domain, user) = account.split_once('\\').unwrap_or(("", account));
    let mut o = Obj { out };
    o.s("SubjectUserName", user);
    if !domain.is_empty() {
        o.s("SubjectDomainName", domain);
    }
    out.extend_from_slice(b"}\n");
}
