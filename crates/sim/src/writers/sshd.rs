//! OpenSSH lines in syslog (RFC 3164), one `auth.log` per Linux host.
//!
//! Times are written in **UTC** (no year, as syslog does): ingest then needs no `--tz`, and
//! infers the year from the file's mtime, which the simulator sets to the last line's time.
//!
//! Lines written (and nothing else, so every line is an authentication event):
//! ```text
//! Sep 12 03:04:05 th-app-02 sshd[4242]: Accepted password for opsadmin from 10.30.1.12 port 52111 ssh2
//! Sep 12 03:04:05 th-app-02 sshd[4242]: Accepted publickey for jsmith from 10.30.1.11 port 52111 ssh2: ED25519 SHA256:...
//! Sep 12 03:04:05 th-app-02 sshd[4242]: pam_unix(sshd:session): session opened for user jsmith by (uid=0)
//! Sep 12 03:09:05 th-app-02 sshd[4242]: pam_unix(sshd:session): session closed for user jsmith
//! Sep 12 03:04:05 sg-ops-03 sshd[4242]: Invalid user admin from 192.0.2.7 port 40022
//! Sep 12 03:04:07 sg-ops-03 sshd[4242]: Failed password for invalid user admin from 192.0.2.7 port 40022 ssh2
//! Sep 12 03:04:07 sg-ops-03 sshd[4242]: Failed password for root from 192.0.2.7 port 40022 ssh2
//! Sep 12 03:04:19 th-app-02 sudo:  jsmith : TTY=pts/0 ; PWD=/home/jsmith ; USER=root ; COMMAND=/bin/bash
//! Sep 12 03:04:19 th-app-02 sudo[4250]: pam_unix(sudo:session): session opened for user root(uid=0) by jsmith(uid=1017)
//! ```

use crate::login::{flag, Login, Method};
use crate::timefmt::rfc3164;
use crate::writers::{num, Ctx, Kind, Rec};

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Render `recs` (all of one host's file, in order) into `out`.
pub fn render(ctx: &Ctx<'_>, host: u32, recs: &[Rec], logins: &[Login], out: &mut Vec<u8>) {
    let name = ctx.host[host as usize].as_bytes();
    let mut ipbuf = String::new();
    for r in recs {
        let l = &logins[r.login as usize];
        rfc3164(out, r.time);
        out.push(b' ');
        out.extend_from_slice(name);
        let user = ctx.w.people.get(l.account).name.as_bytes();
        match r.kind {
            Kind::SudoCommand => {
                out.extend_from_slice(b" sudo:  ");
                out.extend_from_slice(user);
                out.extend_from_slice(b" : TTY=pts/");
                num(out, ctx.derive(l, 2) % 8);
                out.extend_from_slice(b" ; PWD=/home/");
                out.extend_from_slice(user);
                out.extend_from_slice(b" ; USER=root ; COMMAND=/bin/bash\n");
                continue;
            }
            Kind::SudoSession => {
                out.extend_from_slice(b" sudo[");
                num(out, 1000 + ctx.derive(l, 3) % 60_000);
                out.extend_from_slice(
                    b"]: pam_unix(sudo:session): session opened for user root(uid=0) by ",
                );
                out.extend_from_slice(user);
                out.extend_from_slice(b"(uid=");
                num(out, 1000 + l.account % 50_000);
                out.extend_from_slice(b")\n");
                continue;
            }
            _ => {}
        }
        out.extend_from_slice(b" sshd[");
        num(out, 1000 + ctx.derive(l, 1) % 60_000);
        out.extend_from_slice(b"]: ");
        let ip = ctx.src_ip(l, &mut ipbuf).unwrap_or("127.0.0.1");
        match r.kind {
            Kind::SshInvalidUser => {
                out.extend_from_slice(b"Invalid user ");
                out.extend_from_slice(user);
                from(out, ip, l.src_port);
            }
            Kind::SshAuth => {
                out.extend_from_slice(if l.ok { b"Accepted " } else { b"Failed " });
                out.extend_from_slice(if l.method == Method::SshPublickey {
                    b"publickey for "
                } else {
                    b"password for "
                });
                if l.has(flag::INVALID_USER) {
                    out.extend_from_slice(b"invalid user ");
                }
                out.extend_from_slice(user);
                from(out, ip, l.src_port);
                out.extend_from_slice(b" ssh2");
                if l.ok && l.method == Method::SshPublickey {
                    // the key's fingerprint: stable per account
                    out.extend_from_slice(b": ED25519 SHA256:");
                    let mut k = crate::rng::mix(l.account as u64 ^ ctx.w.seed);
                    for i in 0..43 {
                        if i % 10 == 0 {
                            k = crate::rng::mix(k);
                        }
                        out.push(B64[(k >> ((i % 10) * 6) & 63) as usize]);
                    }
                }
            }
            Kind::SshSessionOpened => {
                out.extend_from_slice(b"pam_unix(sshd:session): session opened for user ");
                out.extend_from_slice(user);
                out.extend_from_slice(b" by (uid=0)");
            }
            Kind::SshSessionClosed => {
                out.extend_from_slice(b"pam_unix(sshd:session): session closed for user ");
                out.extend_from_slice(user);
            }
            _ => unreachable!("not an sshd record"),
        }
        out.push(b'\n');
    }
}

fn from(out: &mut Vec<u8>, ip: &str, port: u16) {
    out.extend_from_slice(b" from ");
    out.extend_from_slice(ip.as_bytes());
    out.extend_from_slice(b" port ");
    num(out, port);
}
